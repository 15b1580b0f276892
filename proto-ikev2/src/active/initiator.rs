//! A sans-I/O IKEv2 initiator for replaying a recorded IKE_SA_INIT (and, with a pre-shared
//! key, completing IKE_AUTH): it builds requests and reads responses; the caller moves the
//! bytes.
//!
//! ```text
//!   recorded IKE_SA_INIT request ──► InitExchange::build ──► send ──► response
//!        ▲                                                            │
//!        └── COOKIE (§2.6) / INVALID_KE_PAYLOAD (§1.3) / REDIRECT ◄──  InitExchange::on_response
//!                                                                     │ Step::Done
//!                                                                     ▼
//!                                  IkeSa::new (g^ir, SKEYSEED, SK_*; RFC 7296 §2.13–2.14)
//!                                  IkeSa::auth_request (IDi, [IDr], AUTH, SA, TSi, TSr in SK)
//!                                  IkeSa::on_auth_response (decrypt, check AUTH, outcome)
//!                                  IkeSa::delete_request (INFORMATIONAL Delete of our IKE SA)
//! ```
//!
//! The request is the recorded one with a fresh IKE SA initiator SPI, a fresh nonce of the
//! recorded length, a new KE payload for the recorded group, and NAT_DETECTION_SOURCE_IP /
//! NAT_DETECTION_DESTINATION_IP recomputed for the addresses really used (RFC 7296 §2.23);
//! every other payload is kept as recorded. In verbatim mode the recorded bytes are sent
//! unchanged (only N(COOKIE) is put in front when the responder asks for one).
//!
//! [`Answer`] is what an IKE_SA_INIT response says (chosen proposal, notifies, vendor IDs,
//! fragmentation, NAT detection, signature hash algorithms, the COOKIE / INVALID_KE_PAYLOAD /
//! REDIRECT rounds); it is computed the same way for the recorded response and for the one
//! received now, and [`differences`] compares them.

// Payload byte fields are built with `.into()` so that this module does not depend on their
// container (`Vec<u8>` today, possibly `bytes::Bytes`); for `Vec<u8>` that is a no-op.
#![allow(clippy::useless_conversion)]

use std::net::{IpAddr, SocketAddr};

use subtle::ConstantTimeEq;

use crate::analysis::summary::{self, ProposalSummary};
use crate::crypto::decrypt;
use crate::crypto::derive::{self, IkeSaKeys, Prf};
use crate::crypto::key_exchange::KeyExchange;
use crate::crypto::keytable::{AesBits, Encr, IcvLen, Integ, SaKeys};
use crate::crypto::random::{self, RandomError};
use crate::ike_sa_init::{nat_detection_hash, Demand, InitResponse, NatResult, Redirect};
use crate::wire::header::Header;
use crate::wire::message::Message;
use crate::wire::payload::{
    self, notify_type, payload_type, Auth, Delete, GatewayId, Id, IdValue, Notify, NotifyData,
    Payload, PayloadBody, Proposal, Sa, TrafficSelector, Transform, TransformId, Ts,
};
use crate::wire::reader::{Reader, Writer};

use super::auth::{CertCredential, LocalAuth, MethodChoice, PeerAuth, RsaScheme};
use crate::wire::registry::{
    AuthMethod, EncrId, ExchangeType, GatewayIdType, IdType, IntegId, KeId, NotifyType,
    PayloadType, ProtocolId, TransformAttrType, TransformType,
};

/// Times the responder may ask for a COOKIE, or for another group, before the initiator gives
/// up (a responder that keeps asking is misbehaving or under attack).
pub const MAX_ROUNDS: u32 = 3;

/// What went wrong on the initiator's side (the responder's refusals are not errors: they are
/// in [`Answer`] and [`AuthOutcome`]).
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The recorded request cannot be used.
    #[error("the recorded IKE_SA_INIT request: {0}")]
    Recorded(String),
    /// A message from the responder does not parse.
    #[error("the {what} from the responder does not parse: {err}")]
    Parse {
        /// Which message.
        what: &'static str,
        /// The parser's error.
        err: crate::Error,
    },
    /// Key exchange: the peer's value is invalid, or key generation failed.
    #[error("key exchange: {0}")]
    Kex(String),
    /// Key exchange: the group is not implemented here (a front end may offer to send the
    /// recorded key exchange data instead, see [`ModeHint::VerbatimSendsRecorded`]).
    #[error("key exchange: group {} is not implemented (MODP 14/15, ECP 19/20, Curve25519, Curve448 are)", Transform::name_of(TransformType::KE, .0 .0, None))]
    UnsupportedGroup(KeId),
    /// In verbatim mode there is no key exchange data of ours: IKE_AUTH is impossible.
    #[error("no key exchange data of ours (verbatim mode): IKE_AUTH is impossible")]
    Verbatim,
    /// The negotiated algorithms cannot be used to protect IKE_AUTH here.
    #[error("{0}")]
    Unsupported(String),
    /// The protected response could not be opened.
    #[error("the {what} cannot be decrypted: {reason}")]
    Decrypt {
        /// Which message.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The system's random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// A notify payload built here (protocol 0, no SPI); `probe` builds its notifies with it too.
pub(crate) fn notify(t: NotifyType, data: Vec<u8>) -> Payload {
    let decoded = NotifyData::decode(t, &data);
    Payload::new(
        payload_type::N,
        PayloadBody::Notify(Notify {
            protocol_id: ProtocolId(0),
            notify_type: t,
            spi: Vec::new().into(),
            data: data.into(),
            decoded,
        }),
    )
}

fn notify_of(p: &Payload) -> Option<&Notify> {
    match &p.body {
        PayloadBody::Notify(n) => Some(n),
        _ => None,
    }
}

fn has_notify(m: &Message, t: NotifyType) -> bool {
    m.payloads
        .iter()
        .filter_map(notify_of)
        .any(|n| n.notify_type == t)
}

/// The IKE proposals' KE groups of an SA payload, in order.
fn offered_groups(m: &Message) -> Vec<KeId> {
    let mut v = Vec::new();
    for p in &m.payloads {
        if let PayloadBody::Sa(sa) = &p.body {
            for prop in &sa.proposals {
                for t in &prop.transforms {
                    if let (4, TransformId::Ke(g)) = (t.transform_type.0, t.transform_id) {
                        if !v.contains(&g) {
                            v.push(g);
                        }
                    }
                }
            }
        }
    }
    v
}

/// What [`InitExchange::on_response`] asks the caller to do next.
#[derive(Debug, Clone)]
pub enum Step {
    /// Send [`InitExchange::build`] again (a COOKIE or a new KE group was asked for).
    Again,
    /// The responder redirects to another gateway (RFC 5685): resolve it (never to a broadcast
    /// or multicast address), call [`InitExchange::redirected`] and send `build()` there.
    Redirect(GatewayId),
    /// The exchange is over: the final response and what it says.
    Done,
}

/// One IKE SA's IKE_SA_INIT exchange, replayed from a recorded request.
#[derive(Debug)]
pub struct InitExchange {
    /// The recorded request, parsed, without any N(COOKIE).
    template: Message,
    verbatim: bool,
    spi_i: u64,
    nonce: Vec<u8>,
    kex: Option<KeyExchange>,
    cookie: Option<Vec<u8>>,
    /// REDIRECTED_FROM data for the request after a redirect (RFC 5685 §5).
    redirected_from: Option<Vec<u8>>,
    /// The last request built, exactly as sent (it is signed in AUTH).
    request: Vec<u8>,
    /// The last response received.
    response: Option<Vec<u8>>,
    answer: Answer,
    max_redirects: u32,
    /// Add N(USE_PPK) to the request (RFC 8784 §3).
    use_ppk: bool,
}

impl InitExchange {
    /// Starts from the recorded request's bytes. `verbatim`: send them unchanged (no keys are
    /// then known: IKE_AUTH is impossible). `max_redirects`: REDIRECTs followed at most.
    pub fn new(recorded: &[u8], verbatim: bool, max_redirects: u32) -> Result<Self, InitError> {
        let mut template =
            Message::parse(recorded).map_err(|e| InitError::Recorded(e.to_string()))?;
        let h = &template.header;
        if h.exchange != ExchangeType::IKE_SA_INIT || h.response() {
            return Err(InitError::Recorded(format!(
                "it is an {} {}, not an IKE_SA_INIT request",
                h.exchange,
                if h.response() { "response" } else { "request" }
            )));
        }
        // A recorded retry carries the old responder's cookie, which is stale now (also for
        // --verbatim): the responder asks again if it wants one.
        template
            .payloads
            .retain(|p| notify_of(p).is_none_or(|n| n.notify_type != notify_type::COOKIE));
        let nonce_len = template
            .payloads
            .iter()
            .find_map(|p| match &p.body {
                PayloadBody::Nonce(n) => Some(n.data.len()),
                _ => None,
            })
            .ok_or_else(|| InitError::Recorded("it has no Nonce payload".into()))?;
        let ke_group = template.payloads.iter().find_map(|p| match &p.body {
            PayloadBody::Ke(k) => Some(k.group),
            _ => None,
        });
        let (spi_i, nonce, kex) = if verbatim {
            let n = template
                .payloads
                .iter()
                .find_map(|p| match &p.body {
                    PayloadBody::Nonce(n) => Some(n.data[..].to_vec()),
                    _ => None,
                })
                .unwrap_or_default();
            (template.header.spi_i, n, None)
        } else {
            // RFC 7296 §2.10: at least 128 bits, at most 2048.
            let mut n = vec![0u8; nonce_len.clamp(16, 256)];
            random::fill(&mut n)?;
            let kex = match ke_group {
                Some(g) => Some(generate(g)?),
                None => None,
            };
            (random::spi()?, n, kex)
        };
        Ok(InitExchange {
            template,
            verbatim,
            spi_i,
            nonce,
            kex,
            cookie: None,
            redirected_from: None,
            request: recorded.to_vec(),
            response: None,
            answer: Answer::default(),
            max_redirects,
            use_ppk: false,
        })
    }

    /// The IKE SA initiator's SPI in use.
    pub fn spi_i(&self) -> u64 {
        self.spi_i
    }

    /// The KE group of the next request, if it has a KE payload.
    pub fn group(&self) -> Option<KeId> {
        match &self.kex {
            Some(k) => Some(k.group()),
            None => self.template.payloads.iter().find_map(|p| match &p.body {
                PayloadBody::Ke(k) => Some(k.group),
                _ => None,
            }),
        }
    }

    /// Offers a post-quantum preshared key (RFC 8784 §3): N(USE_PPK) is added to the request
    /// when the recorded one has none. Returns true when it had to be added.
    pub fn offer_ppk(&mut self) -> bool {
        self.use_ppk = true;
        !has_notify(&self.template, notify_type::USE_PPK)
    }

    /// True in verbatim mode.
    pub fn verbatim(&self) -> bool {
        self.verbatim
    }

    /// The request for the current state, sent from `local` to `remote` (the NAT detection
    /// hashes depend on them). It is also kept: it is what AUTH signs.
    pub fn build(&mut self, local: SocketAddr, remote: SocketAddr) -> Vec<u8> {
        let mut m = self.template.clone();
        if !self.verbatim {
            m.header.spi_i = self.spi_i;
            for p in &mut m.payloads {
                match &mut p.body {
                    PayloadBody::Nonce(n) => n.data = self.nonce.clone().into(),
                    PayloadBody::Ke(k) => {
                        if let Some(x) = &self.kex {
                            k.group = x.group();
                            k.data = x.public().to_vec().into();
                        }
                    }
                    PayloadBody::Notify(n)
                        if n.notify_type == notify_type::NAT_DETECTION_SOURCE_IP =>
                    {
                        let h = nat_detection_hash(self.spi_i, 0, local).to_vec();
                        n.decoded = NotifyData::decode(n.notify_type, &h);
                        n.data = h.into();
                    }
                    PayloadBody::Notify(n)
                        if n.notify_type == notify_type::NAT_DETECTION_DESTINATION_IP =>
                    {
                        let h = nat_detection_hash(self.spi_i, 0, remote).to_vec();
                        n.decoded = NotifyData::decode(n.notify_type, &h);
                        n.data = h.into();
                    }
                    _ => {}
                }
            }
            if let Some(from) = &self.redirected_from {
                // RFC 5685 §5: the new IKE_SA_INIT names the gateway that redirected.
                m.payloads.retain(|p| {
                    notify_of(p).is_none_or(|n| n.notify_type != notify_type::REDIRECT_SUPPORTED)
                });
                m.payloads
                    .push(notify(notify_type::REDIRECTED_FROM, from.clone()));
            }
            if self.use_ppk && !has_notify(&m, notify_type::USE_PPK) {
                m.payloads.push(notify(notify_type::USE_PPK, Vec::new()));
            }
        }
        if let Some(c) = &self.cookie {
            // RFC 7296 §2.6: N(COOKIE) first, everything else unchanged.
            m.payloads.insert(0, notify(notify_type::COOKIE, c.clone()));
        }
        self.request = m.emit();
        self.request.clone()
    }

    /// The last request built (as sent).
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// The last response received.
    pub fn response(&self) -> Option<&[u8]> {
        self.response.as_deref()
    }

    /// What the responder said so far (final once [`Step::Done`] was returned).
    pub fn answer(&self) -> &Answer {
        &self.answer
    }

    /// Records one more transmission of the current request beyond the first.
    pub fn note_retransmissions(&mut self, n: u32) {
        self.answer.retransmissions += n;
    }

    /// Reads the response to the last request, which came from `from` to `to`.
    pub fn on_response(
        &mut self,
        bytes: &[u8],
        from: SocketAddr,
        to: SocketAddr,
    ) -> Result<Step, InitError> {
        let m = Message::parse(bytes).map_err(|err| InitError::Parse {
            what: "IKE_SA_INIT response",
            err,
        })?;
        self.response = Some(bytes.to_vec());
        let rounds = (
            self.answer.cookies,
            std::mem::take(&mut self.answer.invalid_ke),
            std::mem::take(&mut self.answer.redirects),
            self.answer.retransmissions,
        );
        let read = InitResponse::read(&m);
        self.answer = Answer::from_init_response(&read, from, to);
        self.answer.cookies = rounds.0;
        self.answer.invalid_ke = rounds.1;
        self.answer.redirects = rounds.2;
        self.answer.retransmissions = rounds.3;
        let first = |want: fn(&Demand) -> bool| read.demands.iter().find(|d| want(d));
        if let Some(Demand::Cookie(cookie)) = first(|d| matches!(d, Demand::Cookie(_))) {
            self.answer.cookies += 1;
            if self.answer.cookies > MAX_ROUNDS {
                self.answer
                    .notes
                    .push(format!("gave up after {MAX_ROUNDS} COOKIE requests").into());
                return Ok(Step::Done);
            }
            self.cookie = Some(cookie.clone());
            return Ok(Step::Again);
        }
        if let Some(Demand::InvalidKe(group)) = first(|d| matches!(d, Demand::InvalidKe(_))) {
            let Some(group) = *group else {
                self.answer
                    .notes
                    .push("INVALID_KE_PAYLOAD without a valid group".into());
                return Ok(Step::Done);
            };
            self.answer.invalid_ke.push(ke_name(group));
            if self.verbatim {
                self.answer.notes.push(AnswerNote::hinted(
                    format!("the responder wants group {}", ke_name(group)),
                    ModeHint::VerbatimHasNoKeyExchange,
                ));
                return Ok(Step::Done);
            }
            if !offered_groups(&self.template).contains(&group) {
                self.answer.notes.push(format!(
                    "the responder wants group {}, which the recorded offer does not include: retrying with it would change the proposal",
                    ke_name(group)
                ).into());
                return Ok(Step::Done);
            }
            if self.answer.invalid_ke.len() > MAX_ROUNDS as usize
                || self.kex.as_ref().is_some_and(|k| k.group() == group)
            {
                self.answer.notes.push(
                    format!(
                        "gave up: the responder keeps asking for group {}",
                        ke_name(group)
                    )
                    .into(),
                );
                return Ok(Step::Done);
            }
            match generate(group) {
                Ok(k) => self.kex = Some(k),
                Err(e) => {
                    let hint = matches!(e, InitError::UnsupportedGroup(_))
                        .then_some(ModeHint::VerbatimSendsRecorded);
                    self.answer.notes.push(AnswerNote {
                        text: e.to_string(),
                        hint,
                    });
                    return Ok(Step::Done);
                }
            }
            return Ok(Step::Again);
        }
        if let Some(Demand::Redirect(redirect)) = first(|d| matches!(d, Demand::Redirect(_))) {
            let Some(Redirect { gateway, nonce }) = redirect else {
                self.answer.notes.push("malformed REDIRECT".into());
                return Ok(Step::Done);
            };
            self.answer.redirects.push(gateway.to_string());
            // RFC 5685 §8: the Nonce Data is the initiator's nonce; a REDIRECT without it (or
            // with another) does not answer this request.
            if nonce.as_deref().is_some_and(|x| x[..] != self.nonce[..]) {
                self.answer
                    .notes
                    .push("REDIRECT ignored: its nonce is not the one sent".into());
                return Ok(Step::Done);
            }
            if self.verbatim {
                self.answer.notes.push(AnswerNote::hinted(
                    "REDIRECT not followed".into(),
                    ModeHint::VerbatimFollowsNoRedirect,
                ));
                return Ok(Step::Done);
            }
            if self.answer.redirects.len() > self.max_redirects as usize {
                self.answer.notes.push(
                    format!(
                        "REDIRECT not followed: at most {} redirect(s)",
                        self.max_redirects
                    )
                    .into(),
                );
                return Ok(Step::Done);
            }
            return Ok(Step::Redirect(gateway.clone()));
        }
        Ok(Step::Done)
    }

    /// After a REDIRECT from `old_gateway`: a new IKE SA (fresh SPI, nonce and key exchange
    /// data, no cookie) toward the new gateway, naming the old one in N(REDIRECTED_FROM).
    pub fn redirected(&mut self, old_gateway: IpAddr) -> Result<(), InitError> {
        self.spi_i = random::spi()?;
        random::fill(&mut self.nonce)?;
        if let Some(g) = self.kex.as_ref().map(KeyExchange::group) {
            self.kex = Some(generate(g)?);
        }
        self.cookie = None;
        let (t, addr) = match old_gateway {
            IpAddr::V4(a) => (GatewayIdType::IPV4.0, a.octets().to_vec()),
            IpAddr::V6(a) => (GatewayIdType(2).0, a.octets().to_vec()),
        };
        let mut data = vec![t, u8::try_from(addr.len()).unwrap_or(u8::MAX)];
        data.extend_from_slice(&addr);
        self.redirected_from = Some(data);
        Ok(())
    }

    /// Once the responder accepted (an SA payload in the response): the IKE SA's keys.
    pub fn established(&self) -> Result<IkeSa, InitError> {
        let resp = self
            .response
            .as_deref()
            .ok_or_else(|| InitError::Unsupported("no IKE_SA_INIT response".into()))?;
        IkeSa::new(self, resp)
    }
}

fn generate(g: KeId) -> Result<KeyExchange, InitError> {
    if !KeyExchange::supported(g) {
        return Err(InitError::UnsupportedGroup(g));
    }
    KeyExchange::generate(g).map_err(|e| InitError::Kex(e.to_string()))
}

fn ke_name(g: KeId) -> String {
    Transform::name_of(TransformType::KE, g.0, None)
}

/// What an IKE_SA_INIT response says: the same model for the recorded response and the one
/// received now.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Answer {
    /// A response was received (recorded: one is in the capture).
    pub answered: bool,
    /// IKE SA responder's SPI (16 hex digits; zero when it kept no state).
    pub spi_r: String,
    /// The chosen proposal (IKE), transforms named per the IANA registry.
    pub chosen: Option<ProposalSummary>,
    /// The group of the responder's KE payload; in JSON a code point, as `decode`'s and
    /// `probe`'s groups.
    #[serde(serialize_with = "crate::wire::registry::ke_name_as_code_point")]
    pub ke_group: Option<String>,
    /// Every notify, by name, in order.
    pub notifies: Vec<String>,
    /// The first error notify (refusal), by name. Not serialised: a front end shows it in its
    /// own error shape.
    #[serde(skip)]
    pub error: Option<String>,
    /// Vendor IDs, named when known (hex otherwise).
    pub vendor_ids: Vec<String>,
    /// N(IKEV2_FRAGMENTATION_SUPPORTED) (RFC 7383).
    pub fragmentation: bool,
    /// NAT detection, when the responder sent NAT_DETECTION_* notifies.
    pub nat: Option<NatResult>,
    /// SIGNATURE_HASH_ALGORITHMS (RFC 7427), by name.
    pub signature_hash_algorithms: Vec<String>,
    /// Times the responder asked for a COOKIE before this answer.
    pub cookies: u32,
    /// Groups asked for by INVALID_KE_PAYLOAD before this answer.
    pub invalid_ke: Vec<String>,
    /// REDIRECT targets before this answer.
    pub redirects: Vec<String>,
    /// Retransmissions of the request (now only).
    pub retransmissions: u32,
    /// Why the exchange stopped where it did, when that is not obvious.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<AnswerNote>,
}

/// A note on why an exchange stopped: its text (serialised as a string), and where the
/// caller's mode decided it, the mode named as data — the library names no command-line flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerNote {
    /// The note.
    pub text: String,
    /// The mode that decided it, for a front end to word (appended to `text`).
    pub hint: Option<ModeHint>,
}

/// What a front end adds to an [`AnswerNote`] or an [`InitError`] about its verbatim mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeHint {
    /// Verbatim mode generates no key exchange data (so it cannot follow INVALID_KE_PAYLOAD).
    VerbatimHasNoKeyExchange,
    /// Verbatim mode follows no REDIRECT.
    VerbatimFollowsNoRedirect,
    /// Verbatim mode would send the recorded key exchange data of a group not implemented.
    VerbatimSendsRecorded,
}

impl AnswerNote {
    /// A note the mode decided.
    pub fn hinted(text: String, hint: ModeHint) -> AnswerNote {
        AnswerNote {
            text,
            hint: Some(hint),
        }
    }
}

impl From<String> for AnswerNote {
    fn from(text: String) -> AnswerNote {
        AnswerNote { text, hint: None }
    }
}

impl From<&str> for AnswerNote {
    fn from(text: &str) -> AnswerNote {
        AnswerNote::from(text.to_owned())
    }
}

impl std::ops::Deref for AnswerNote {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for AnswerNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl serde::Serialize for AnswerNote {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl Answer {
    /// Reads an IKE_SA_INIT response that went from `from` (responder) to `to` (initiator).
    /// The round counters (cookies, invalid_ke, redirects) are left empty.
    pub fn from_response(m: &Message, from: SocketAddr, to: SocketAddr) -> Answer {
        Answer::from_init_response(&InitResponse::read(m), from, to)
    }

    /// [`Answer::from_response`] of a response already read.
    pub fn from_init_response(r: &InitResponse, from: SocketAddr, to: SocketAddr) -> Answer {
        Answer {
            answered: true,
            spi_r: format!("{:016x}", r.header.spi_r),
            chosen: r.chosen().map(|p| summary::summarize_proposal(p, 1)),
            ke_group: r.ke.as_ref().map(|k| ke_name(k.group)),
            notifies: r.notifies.iter().map(ToString::to_string).collect(),
            error: r.first_error().map(|t| t.to_string()),
            vendor_ids: r.vendor_ids.clone(),
            fragmentation: r.fragmentation,
            nat: r.nat(from, to),
            signature_hash_algorithms: r
                .signature_hash_algorithms
                .iter()
                .map(ToString::to_string)
                .collect(),
            ..Answer::default()
        }
    }

    /// True when the responder accepted: an SA payload and no error notify.
    pub fn accepted(&self) -> bool {
        self.chosen.is_some() && self.error.is_none()
    }

    /// The compared fields as (label, value) rows, in display order.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        let list = |v: &[String]| {
            if v.is_empty() {
                "-".to_owned()
            } else {
                v.join(", ")
            }
        };
        let chosen = self.chosen.as_ref().map_or("-".to_owned(), |p| {
            let mut parts: Vec<String> = Vec::new();
            for l in [&p.encr, &p.prf, &p.integ, &p.ke] {
                if !l.is_empty() {
                    parts.push(l.join(","));
                }
            }
            parts.join(" / ")
        });
        let nat = match &self.nat {
            None => "not detected (no NAT_DETECTION_* notifies)".to_owned(),
            Some(n) => match (n.initiator_behind_nat, n.responder_behind_nat) {
                (false, false) => "no NAT".to_owned(),
                (true, false) => "initiator behind NAT".to_owned(),
                (false, true) => "responder behind NAT".to_owned(),
                (true, true) => "both behind NAT".to_owned(),
            },
        };
        let mut notifies = self.notifies.clone();
        notifies.sort();
        notifies.dedup();
        vec![
            (
                "answered",
                if self.answered { "yes" } else { "no" }.to_owned(),
            ),
            ("chosen proposal", chosen),
            (
                "KE group",
                self.ke_group.clone().unwrap_or_else(|| "-".into()),
            ),
            ("error", self.error.clone().unwrap_or_else(|| "-".into())),
            ("notifies", list(&notifies)),
            ("vendor IDs", list(&self.vendor_ids)),
            (
                "fragmentation",
                if self.fragmentation {
                    "supported"
                } else {
                    "no"
                }
                .to_owned(),
            ),
            ("NAT", nat),
            ("signature hashes", list(&self.signature_hash_algorithms)),
            ("COOKIE rounds", self.cookies.to_string()),
            ("INVALID_KE rounds", list(&self.invalid_ke)),
            ("redirects", list(&self.redirects)),
        ]
    }
}

/// One compared field whose value differs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    /// The field (as in [`Answer::rows`]).
    pub field: &'static str,
    /// Recorded value.
    pub recorded: String,
    /// Value now.
    pub now: String,
}

/// The fields of [`Answer::rows`] that differ between `recorded` and `now`.
pub fn differences(recorded: &Answer, now: &Answer) -> Vec<Difference> {
    recorded
        .rows()
        .into_iter()
        .zip(now.rows())
        .filter(|((_, a), (_, b))| a != b)
        .map(|((field, a), (_, b))| Difference {
            field,
            recorded: a,
            now: b,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// IKE_AUTH with a pre-shared key
// ---------------------------------------------------------------------------------------------

/// An identity for IDi/IDr (RFC 7296 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdSpec {
    /// ID Type.
    pub id_type: IdType,
    /// Identification Data.
    pub data: Vec<u8>,
}

impl IdSpec {
    /// `ipv4:A`, `ipv6:A`, `fqdn:NAME`, `email:USER@HOST` (or `rfc822:`), `keyid:HEX`, a bare IP
    /// address, or a bare string (with `@`: ID_RFC822_ADDR, without: ID_FQDN).
    pub fn parse(s: &str) -> Result<IdSpec, String> {
        let (kind, value) = match s.split_once(':') {
            Some((k, v))
                if ["ipv4", "ipv6", "fqdn", "email", "rfc822", "keyid"]
                    .contains(&k.to_ascii_lowercase().as_str()) =>
            {
                (Some(k.to_ascii_lowercase()), v)
            }
            _ => (None, s),
        };
        if value.is_empty() {
            return Err(format!("identity {s:?} is empty"));
        }
        let ip = |v: &str| {
            v.parse::<IpAddr>()
                .map_err(|_| format!("identity {s:?}: {v:?} is not an IP address"))
        };
        Ok(match kind.as_deref() {
            Some("ipv4") => match ip(value)? {
                a @ IpAddr::V4(_) => IdSpec::ip(a),
                IpAddr::V6(_) => return Err(format!("identity {s:?}: not an IPv4 address")),
            },
            Some("ipv6") => match ip(value)? {
                a @ IpAddr::V6(_) => IdSpec::ip(a),
                IpAddr::V4(_) => return Err(format!("identity {s:?}: not an IPv6 address")),
            },
            None if value.parse::<IpAddr>().is_ok() => IdSpec::ip(ip(value)?),
            Some("keyid") => {
                let data = (0..value.len())
                    .step_by(2)
                    .map(|i| {
                        value
                            .get(i..i + 2)
                            .and_then(|h| u8::from_str_radix(h, 16).ok())
                    })
                    .collect::<Option<Vec<u8>>>()
                    .ok_or_else(|| {
                        format!("identity {s:?}: keyid wants an even number of hex digits")
                    })?;
                IdSpec {
                    id_type: IdType::ID_KEY_ID,
                    data,
                }
            }
            Some("email") | Some("rfc822") => IdSpec {
                id_type: IdType::ID_RFC822_ADDR,
                data: value.as_bytes().to_vec(),
            },
            Some("fqdn") => IdSpec {
                id_type: IdType::ID_FQDN,
                data: value.as_bytes().to_vec(),
            },
            _ if value.contains('@') => IdSpec {
                id_type: IdType::ID_RFC822_ADDR,
                data: value.as_bytes().to_vec(),
            },
            _ => IdSpec {
                id_type: IdType::ID_FQDN,
                data: value.as_bytes().to_vec(),
            },
        })
    }

    /// ID_IPV4_ADDR / ID_IPV6_ADDR.
    pub fn ip(a: IpAddr) -> IdSpec {
        match a {
            IpAddr::V4(v) => IdSpec {
                id_type: IdType::ID_IPV4_ADDR,
                data: v.octets().to_vec(),
            },
            IpAddr::V6(v) => IdSpec {
                id_type: IdType::ID_IPV6_ADDR,
                data: v.octets().to_vec(),
            },
        }
    }

    fn payload(&self, t: PayloadType) -> Payload {
        Payload::new(
            t,
            PayloadBody::Id(Id {
                id_type: self.id_type,
                reserved: [0; 3],
                data: self.data.clone().into(),
                value: IdValue::decode(self.id_type, &self.data),
            }),
        )
    }

    /// RestOfInitIDPayload / RestOfRespIDPayload (RFC 7296 §2.15): ID Type, 3 reserved octets
    /// and the data.
    fn body(&self) -> Vec<u8> {
        let mut v = vec![self.id_type.0, 0, 0, 0];
        v.extend_from_slice(&self.data);
        v
    }
}

/// A traffic selector from `ADDR`, `ADDR/PREFIX` (any protocol, all ports).
pub fn parse_ts(s: &str) -> Result<TrafficSelector, String> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr: IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| format!("traffic selector {s:?}: {addr:?} is not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len: u32 = match len {
        Some(l) => l
            .trim()
            .parse()
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| format!("traffic selector {s:?}: prefix length must be 0–{max}"))?,
        None => max,
    };
    Ok(match addr {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            let start = u32::from(a) & mask;
            TrafficSelector::Ipv4Range {
                ip_protocol: 0,
                start_port: 0,
                end_port: 65535,
                start: start.into(),
                end: (start | !mask).into(),
            }
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            let start = u128::from(a) & mask;
            TrafficSelector::Ipv6Range {
                ip_protocol: 0,
                start_port: 0,
                end_port: 65535,
                start: start.into(),
                end: (start | !mask).into(),
            }
        }
    })
}

/// How the initiator authenticates.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A pre-shared key (AUTH method 2, RFC 7296 §2.15).
    Psk(Vec<u8>),
    /// A certificate and its key (signature methods, [`super::auth`]).
    Cert(std::sync::Arc<CertCredential>),
}

/// A post-quantum preshared key (RFC 8784).
#[derive(Debug, Clone)]
pub struct PpkConfig {
    /// PPK_ID, sent as PPK_ID_FIXED (type 2, RFC 8784 §5.1).
    pub id: Vec<u8>,
    /// The PPK.
    pub key: Vec<u8>,
    /// Refuse to authenticate without it (no N(NO_PPK_AUTH) is sent; a responder that does not
    /// answer USE_PPK or PPK_IDENTITY fails the exchange).
    pub mandatory: bool,
}

/// What IKE_AUTH sends besides the key.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// How we authenticate.
    pub credential: Credential,
    /// The AUTH method with a certificate.
    pub method: MethodChoice,
    /// The RSA scheme of method 14.
    pub rsa_scheme: RsaScheme,
    /// A PPK to mix into SK_d, SK_pi and SK_pr (RFC 8784), when the responder answered USE_PPK.
    pub ppk: Option<PpkConfig>,
    /// IDi.
    pub id_i: IdSpec,
    /// IDr, when the responder's identity is to be asked for.
    pub id_r: Option<IdSpec>,
    /// TSi.
    pub ts_i: Vec<TrafficSelector>,
    /// TSr.
    pub ts_r: Vec<TrafficSelector>,
}

/// The IKE_AUTH outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuthOutcome {
    /// The IKE SA is authenticated both ways: the responder accepted our AUTH and its own
    /// AUTH verified.
    pub ike_sa: bool,
    /// The responder's AUTH payload verified with the PSK (None: it sent none).
    pub responder_auth_ok: Option<bool>,
    /// IDr the responder sent, as text.
    pub id_r: Option<String>,
    /// The CHILD_SA the responder chose, if it created one.
    pub child_sa: Option<ProposalSummary>,
    /// TSi of the response.
    pub ts_i: Vec<String>,
    /// TSr of the response.
    pub ts_r: Vec<String>,
    /// The payloads inside the response's SK payload, by short name (IDr, AUTH, SA, TSi…).
    pub payloads: Vec<String>,
    /// Every notify of the response (inside SK), by name.
    pub notifies: Vec<String>,
    /// The first error notify, explained. Not serialised: a front end shows it in its own
    /// error shape.
    #[serde(skip)]
    pub error: Option<ErrorNotify>,
    /// How we authenticated, with a certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_auth: Option<LocalAuth>,
    /// The responder's AUTH method, certificates, path and signature check (signature methods).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_auth: Option<PeerAuth>,
    /// RFC 8784: what was offered and what the responder answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ppk: Option<PpkOutcome>,
}

/// The PPK negotiation (RFC 8784).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PpkOutcome {
    /// PPK_ID (text when printable, else hex).
    pub ppk_id: String,
    /// Mandatory (no NO_PPK_AUTH sent) or optional.
    pub mandatory: bool,
    /// The responder answered N(USE_PPK) in IKE_SA_INIT.
    pub responder_use_ppk: bool,
    /// PPK_IDENTITY (and, when optional, NO_PPK_AUTH) were sent in IKE_AUTH, with AUTH
    /// computed from SK_pi' = prf+(PPK, SK_pi).
    pub sent: bool,
    /// N(NO_PPK_AUTH) was sent (AUTH computed without the PPK, for a responder without it).
    pub no_ppk_auth_sent: bool,
    /// The responder answered PPK_IDENTITY: it used the PPK (SK_d', SK_pr').
    pub responder_ppk_identity: bool,
    /// The IKE SA's SK_d, SK_pi and SK_pr are the PPK-derived ones.
    pub used: bool,
    /// In words.
    pub answer: String,
}

impl AuthOutcome {
    /// True when the IKE SA and the CHILD_SA were both established.
    pub fn success(&self) -> bool {
        self.ike_sa && self.child_sa.is_some() && self.error.is_none()
    }
}

/// An error notify with its meaning and what to check ([`crate::analysis::explain`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErrorNotify {
    /// Notify name.
    pub name: String,
    /// What it means.
    pub meaning: Option<String>,
    /// What to check.
    pub check: Option<String>,
}

/// An IKE SA whose IKE_SA_INIT completed: keys derived, ready for IKE_AUTH.
#[derive(Debug)]
pub struct IkeSa {
    spi_i: u64,
    spi_r: u64,
    prf: Prf,
    keys: IkeSaKeys,
    table: SaKeys,
    ni: Vec<u8>,
    nr: Vec<u8>,
    init_request: Vec<u8>,
    init_response: Vec<u8>,
    next_message_id: u32,
    credential: Option<Credential>,
    /// The responder's SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4).
    peer_hashes: Vec<u16>,
    /// The responder sent N(USE_PPK) (RFC 8784).
    peer_use_ppk: bool,
    /// The PPK configuration and SK_pr' = prf+(PPK, SK_pr), once IKE_AUTH used one.
    ppk: Option<(PpkConfig, Vec<u8>)>,
    ppk_outcome: Option<PpkOutcome>,
    local_auth: Option<LocalAuth>,
    /// The responder's CERTREQ payloads of IKE_SA_INIT.
    peer_certreqs: Vec<payload::CertReq>,
    /// The IKE_AUTH request's inner payloads (short names) and notifies, as built.
    auth_sent: (Vec<String>, Vec<String>),
}

/// The keytable::Encr of a negotiated ENCR transform.
fn encr_of(t: &Transform) -> Option<Encr> {
    let TransformId::Encr(id) = t.transform_id else {
        return None;
    };
    let bits = t.key_length().and_then(AesBits::from_bits);
    Some(match id {
        EncrId(3) => Encr::TripleDesCbc,
        EncrId(11) => Encr::Null,
        EncrId(12) => Encr::AesCbc(bits?),
        EncrId(13) => Encr::AesCtr(bits?),
        // RFC 4309 / RFC 4106 (RFC 5282 for IKE): 14–16 are AES-CCM and 18–20 AES-GCM with an
        // 8-, 12- and 16-octet ICV.
        EncrId(n @ 14..=16) => Encr::AesCcm {
            key: bits?,
            icv: IcvLen::from_octets(8 + 4 * usize::from(n - 14))?,
        },
        EncrId(n @ 18..=20) => Encr::AesGcm {
            key: bits?,
            icv: IcvLen::from_octets(8 + 4 * usize::from(n - 18))?,
        },
        EncrId(28) => Encr::ChaCha20Poly1305,
        _ => return None,
    })
}

/// The keytable::Integ of a negotiated INTEG transform.
fn integ_of(id: IntegId) -> Option<Integ> {
    Some(match id.0 {
        0 => Integ::None,
        1 => Integ::HmacMd5_96,
        2 => Integ::HmacSha1_96,
        12 => Integ::HmacSha2_256_128,
        13 => Integ::HmacSha2_384_192,
        14 => Integ::HmacSha2_512_256,
        _ => return None,
    })
}

fn nonce_of(m: &Message) -> Option<Vec<u8>> {
    m.payloads.iter().find_map(|p| match &p.body {
        PayloadBody::Nonce(n) => Some(n.data[..].to_vec()),
        _ => None,
    })
}

impl IkeSa {
    fn new(init: &InitExchange, response: &[u8]) -> Result<IkeSa, InitError> {
        let unsupported = |s: String| InitError::Unsupported(s);
        let kex = init.kex.as_ref().ok_or(InitError::Verbatim)?;
        let req = Message::parse(&init.request).map_err(|e| InitError::Recorded(e.to_string()))?;
        let resp = Message::parse(response).map_err(|err| InitError::Parse {
            what: "IKE_SA_INIT response",
            err,
        })?;
        let read = InitResponse::read(&resp);
        let chosen = read
            .chosen()
            .cloned()
            .ok_or_else(|| unsupported("the responder chose no proposal".into()))?;
        let ke_r = read
            .ke
            .clone()
            .ok_or_else(|| unsupported("the response has no KE payload".into()))?;
        if ke_r.group != kex.group() {
            return Err(unsupported(format!(
                "the responder's KE is for group {}, ours for {}",
                ke_name(ke_r.group),
                ke_name(kex.group())
            )));
        }
        let ni = nonce_of(&req).ok_or_else(|| unsupported("our request has no nonce".into()))?;
        let nr = read
            .nonce
            .clone()
            .ok_or_else(|| unsupported("the response has no Nr".into()))?;
        let of_type = |n: u8| chosen.transforms.iter().find(|t| t.transform_type.0 == n);
        let et = of_type(1).ok_or_else(|| unsupported("no ENCR chosen".into()))?;
        let encr =
            encr_of(et).ok_or_else(|| unsupported(format!("cannot protect IKE_AUTH with {et}")))?;
        let integ = match of_type(3).map(|t| t.transform_id) {
            Some(TransformId::Integ(i)) => integ_of(i)
                .ok_or_else(|| unsupported(format!("cannot protect IKE_AUTH with {i}")))?,
            _ if encr.is_aead() => Integ::None,
            _ => return Err(unsupported("no INTEG chosen for a non-AEAD cipher".into())),
        };
        let prf_id = match of_type(2).map(|t| t.transform_id) {
            Some(TransformId::Prf(p)) => p,
            _ => return Err(unsupported("no PRF chosen".into())),
        };
        let prf = Prf::from_id(prf_id)
            .ok_or_else(|| unsupported(format!("PRF {prf_id} is not implemented")))?;
        let shared = kex
            .shared_secret(&ke_r.data[..])
            .map_err(|e| InitError::Kex(e.to_string()))?;
        let (spi_i, spi_r) = (resp.header.spi_i, resp.header.spi_r);
        let keys = derive::derive_ike_sa(&prf, encr, integ, &ni, &nr, &shared, spi_i, spi_r);
        let table = keys.table_keys(spi_i, spi_r, encr, integ);
        let peer_hashes = resp
            .payloads
            .iter()
            .filter_map(notify_of)
            .filter(|n| n.notify_type == notify_type::SIGNATURE_HASH_ALGORITHMS)
            .flat_map(|n| {
                n.data
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect::<Vec<_>>()
            })
            .collect();
        let peer_certreqs = resp
            .payloads
            .iter()
            .filter_map(|p| match &p.body {
                PayloadBody::CertReq(c) => Some(c.clone()),
                _ => None,
            })
            .collect();
        Ok(IkeSa {
            spi_i,
            spi_r,
            prf,
            keys,
            table,
            ni,
            nr,
            init_request: init.request.clone(),
            init_response: response.to_vec(),
            next_message_id: 1,
            credential: None,
            peer_hashes,
            peer_use_ppk: has_notify(&resp, notify_type::USE_PPK),
            peer_certreqs,
            ppk: None,
            ppk_outcome: None,
            local_auth: None,
            auth_sent: (Vec::new(), Vec::new()),
        })
    }

    /// SPIi, SPIr.
    pub fn spis(&self) -> (u64, u64) {
        (self.spi_i, self.spi_r)
    }

    /// The IKE SA's keys as one Wireshark ikev2_decryption_table line (`--keylog`).
    pub fn keylog_line(&self) -> String {
        crate::crypto::keytable::table_line(&self.table)
    }

    /// The table keys (for decrypting a capture of this SA).
    pub fn table_keys(&self) -> &SaKeys {
        &self.table
    }

    /// The Message ID the next request uses.
    pub fn next_message_id(&self) -> u32 {
        self.next_message_id
    }

    fn header(&self, exchange: ExchangeType, message_id: u32) -> Header {
        Header {
            spi_i: self.spi_i,
            spi_r: self.spi_r,
            next_payload: payload_type::SK,
            major_version: 2,
            minor_version: 0,
            exchange,
            flags: Header::FLAG_INITIATOR,
            message_id,
            length: 0,
        }
    }

    fn seal(&mut self, exchange: ExchangeType, inner: &[Payload]) -> Result<Vec<u8>, InitError> {
        let mid = self.next_message_id;
        self.next_message_id += 1;
        let h = self.header(exchange, mid);
        let first = inner.first().map_or(payload_type::NONE, |p| p.payload_type);
        let mut w = Writer::new();
        payload::emit_chain(inner, &mut w);
        crate::crypto::protect::seal(&h, first, &w.buf, &self.table, true)
            .map_err(|e| InitError::Unsupported(format!("protecting {exchange}: {e}")))
    }

    /// The IKE_AUTH request's inner payloads (short names, `N` for each notify) and its
    /// notifies by name, as [`IkeSa::auth_request`] built them.
    pub fn auth_request_payloads(&self) -> (&[String], &[String]) {
        (&self.auth_sent.0, &self.auth_sent.1)
    }

    /// The responder answered N(USE_PPK) in IKE_SA_INIT (RFC 8784 §3).
    pub fn responder_supports_ppk(&self) -> bool {
        self.peer_use_ppk
    }

    /// The responder's SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4), as numbers.
    pub fn responder_hash_algorithms(&self) -> &[u16] {
        &self.peer_hashes
    }

    /// AUTH data over `octets` with our credential: (method, Authentication Data).
    fn auth_data(
        &mut self,
        cfg: &AuthConfig,
        octets: &[u8],
    ) -> Result<(AuthMethod, Vec<u8>), InitError> {
        match &cfg.credential {
            Credential::Psk(psk) => Ok((
                AuthMethod::SHARED_KEY_MIC,
                derive::psk_auth(&self.prf, psk, octets),
            )),
            Credential::Cert(c) => {
                let (m, data, mut local) = c
                    .sign(cfg.method, cfg.rsa_scheme, &self.peer_hashes, octets)
                    .map_err(|e| InitError::Unsupported(e.to_string()))?;
                let reqs: Vec<&payload::CertReq> = self.peer_certreqs.iter().collect();
                local.certreq_answered = c.answer_certreq(&reqs);
                self.local_auth = Some(local);
                Ok((m, data))
            }
        }
    }

    /// The IKE_AUTH request (Message ID 1): SK { IDi, [CERT…], [CERTREQ], [IDr], AUTH, SA (ESP),
    /// TSi, TSr, [N(PPK_IDENTITY), N(NO_PPK_AUTH)] }.
    ///
    /// With a PPK and a responder that answered USE_PPK (RFC 8784 §3): SK_d, SK_pi and SK_pr
    /// become prf+(PPK, SK_x), AUTH is computed with the new SK_pi, and when the PPK is
    /// optional N(NO_PPK_AUTH) carries the AUTH data computed with the old one. A mandatory PPK
    /// with a responder that did not answer USE_PPK is an error (nothing is sent).
    pub fn auth_request(&mut self, cfg: &AuthConfig) -> Result<Vec<u8>, InitError> {
        self.credential = Some(cfg.credential.clone());
        let id_body = cfg.id_i.body();
        let mut ppk_notifies = Vec::new();
        let mut sk_pi = self.keys.sk_pi.clone();
        if let Some(ppk) = &cfg.ppk {
            let mut out = PpkOutcome {
                ppk_id: printable(&ppk.id),
                mandatory: ppk.mandatory,
                responder_use_ppk: self.peer_use_ppk,
                sent: false,
                no_ppk_auth_sent: false,
                responder_ppk_identity: false,
                used: false,
                answer: String::new(),
            };
            if !self.peer_use_ppk {
                if ppk.mandatory {
                    return Err(InitError::Unsupported(
                        "the PPK is mandatory but the responder did not answer N(USE_PPK) in IKE_SA_INIT (RFC 8784 §3): IKE_AUTH not sent".into(),
                    ));
                }
                out.answer =
                    "the responder did not answer N(USE_PPK): authenticated without the PPK".into();
            } else {
                // RFC 8784 §3: SK_d' = prf+(PPK, SK_d), SK_pi' = prf+(PPK, SK_pi),
                // SK_pr' = prf+(PPK, SK_pr), each as long as the original.
                let plus = |k: &[u8]| self.prf.prf_plus(&ppk.key, k, k.len());
                let sk_d = plus(&self.keys.sk_d);
                let new_pi = plus(&self.keys.sk_pi);
                let sk_pr = plus(&self.keys.sk_pr);
                if !ppk.mandatory {
                    let octets = derive::signed_octets(
                        &self.prf,
                        &self.init_request,
                        &self.nr,
                        &self.keys.sk_pi,
                        &id_body,
                    );
                    let (_, no_ppk) = self.auth_data(cfg, &octets)?;
                    ppk_notifies.push(notify(notify_type::NO_PPK_AUTH, no_ppk));
                    out.no_ppk_auth_sent = true;
                }
                // RFC 8784 §5.1: PPK_ID_FIXED (2), then the PPK_ID.
                let mut id = vec![2u8];
                id.extend_from_slice(&ppk.id);
                ppk_notifies.insert(0, notify(notify_type::PPK_IDENTITY, id));
                out.sent = true;
                self.keys.sk_d = sk_d;
                sk_pi = new_pi;
                self.ppk = Some((ppk.clone(), sk_pr));
            }
            self.ppk_outcome = Some(out);
        }
        let octets =
            derive::signed_octets(&self.prf, &self.init_request, &self.nr, &sk_pi, &id_body);
        let (method, auth) = self.auth_data(cfg, &octets)?;
        let mut spi = [0u8; 4];
        random::fill(&mut spi)?;
        let mut inner = vec![cfg.id_i.payload(payload_type::IDI)];
        if let Credential::Cert(c) = &cfg.credential {
            inner.extend(c.cert_payloads());
            inner.extend(c.certreq_payload());
        }
        if let Some(r) = &cfg.id_r {
            inner.push(r.payload(payload_type::IDR));
        }
        inner.push(Payload::new(
            payload_type::AUTH,
            PayloadBody::Auth(Box::new(Auth {
                method,
                reserved: [0; 3],
                data: auth.into(),
                signature: None,
            })),
        ));
        inner.push(Payload::new(
            payload_type::SA,
            PayloadBody::Sa(child_sa_offer(&spi)),
        ));
        inner.push(Payload::new(
            payload_type::TSI,
            PayloadBody::Ts(Ts {
                reserved: [0; 3],
                selectors: cfg.ts_i.clone(),
            }),
        ));
        inner.push(Payload::new(
            payload_type::TSR,
            PayloadBody::Ts(Ts {
                reserved: [0; 3],
                selectors: cfg.ts_r.clone(),
            }),
        ));
        inner.extend(ppk_notifies);
        self.auth_sent = (
            inner
                .iter()
                .map(|p| payload::short_name(p.payload_type).into_owned())
                .collect(),
            inner
                .iter()
                .filter_map(notify_of)
                .map(|n| n.notify_type.to_string())
                .collect(),
        );
        self.seal(ExchangeType::IKE_AUTH, &inner)
    }

    /// Opens a protected response — one message with an SK payload, or every message of an
    /// RFC 7383 fragmented one (SKF, in any order) — and returns its inner payloads.
    fn open(&self, messages: &[&[u8]], what: &'static str) -> Result<Vec<Payload>, InitError> {
        let decrypt_err = |reason: String| InitError::Decrypt { what, reason };
        let mut parts: Vec<(u16, decrypt::Decrypted)> = Vec::with_capacity(messages.len());
        let mut total = None;
        for bytes in messages {
            let m = Message::parse(bytes).map_err(|err| InitError::Parse { what, err })?;
            let Some(sk) = m.payloads.last() else {
                return Ok(Vec::new());
            };
            let fragment = match &sk.body {
                PayloadBody::Sk(_) => None,
                PayloadBody::Skf(f) => Some((f.fragment_number, f.total_fragments)),
                _ => return Ok(m.payloads),
            };
            let d = decrypt::decrypt(bytes, sk.offset, &self.table, false)
                .map_err(|e| decrypt_err(e.to_string()))?;
            if !d.icv_ok && self.table.integ != Integ::None {
                return Err(decrypt_err("the integrity checksum does not verify".into()));
            }
            match fragment {
                None if messages.len() == 1 => {
                    let mut r = Reader::new(&d.plaintext, d.plaintext_offset);
                    return payload::parse_chain(&mut r, PayloadType(d.first_payload))
                        .map_err(|err| InitError::Parse { what, err });
                }
                None => return Err(decrypt_err("an SK payload among fragments".into())),
                Some((n, t)) => {
                    if *total.get_or_insert(t) != t {
                        return Err(decrypt_err(format!(
                            "fragment {n} says {t} fragments, another one {}",
                            total.unwrap_or(0)
                        )));
                    }
                    parts.push((n, d));
                }
            }
        }
        // RFC 7383 §2.6: fragments 1..=Total, each once; the inner chain is their plaintexts in
        // order, its first payload type in fragment 1.
        parts.sort_by_key(|(n, _)| *n);
        parts.dedup_by_key(|(n, _)| *n);
        let want = usize::from(total.unwrap_or(0));
        if parts.len() != want
            || parts
                .iter()
                .enumerate()
                .any(|(i, (n, _))| usize::from(*n) != i + 1)
        {
            return Err(decrypt_err(format!(
                "{} of {want} fragments received",
                parts.len()
            )));
        }
        let first = parts.first().map_or(0, |(_, d)| d.first_payload);
        let chain: Vec<u8> = parts
            .iter()
            .flat_map(|(_, d)| d.plaintext.iter().copied())
            .collect();
        let mut r = Reader::new(&chain, 0);
        payload::parse_chain(&mut r, PayloadType(first))
            .map_err(|err| InitError::Parse { what, err })
    }

    /// Reads the IKE_AUTH response: decrypts it, verifies the responder's AUTH (RFC 7296
    /// §2.15) and reports the outcome.
    pub fn on_auth_response(&self, bytes: &[u8]) -> Result<AuthOutcome, InitError> {
        self.on_auth_response_fragments(&[bytes])
    }

    /// [`IkeSa::on_auth_response`] for a response the responder fragmented (RFC 7383): every
    /// message carrying one of its SKF payloads ([`fragment_of`] tells how many there are).
    pub fn on_auth_response_fragments(&self, messages: &[&[u8]]) -> Result<AuthOutcome, InitError> {
        let inner = self.open(messages, "IKE_AUTH response")?;
        let mut out = AuthOutcome {
            ike_sa: false,
            responder_auth_ok: None,
            id_r: None,
            child_sa: None,
            ts_i: Vec::new(),
            ts_r: Vec::new(),
            payloads: inner
                .iter()
                .map(|p| payload::short_name(p.payload_type).into_owned())
                .collect(),
            notifies: Vec::new(),
            error: None,
            local_auth: self.local_auth.clone(),
            peer_auth: None,
            ppk: self.ppk_outcome.clone(),
        };
        let mut id_r: Option<&Id> = None;
        let mut certs: Vec<Vec<u8>> = Vec::new();
        let mut ppk_identity = false;
        let mut auth: Option<&Auth> = None;
        for p in &inner {
            match &p.body {
                PayloadBody::Id(id) if p.payload_type == payload_type::IDR => {
                    out.id_r = Some(id.to_string());
                    id_r = Some(id);
                }
                PayloadBody::Auth(a) => auth = Some(a),
                PayloadBody::Cert(c) if c.encoding.0 == 4 && certs.len() < 16 => {
                    certs.push(c.data[..].to_vec());
                }
                PayloadBody::Sa(sa) => {
                    out.child_sa = sa
                        .proposals
                        .first()
                        .map(|p| summary::summarize_proposal(p, 1));
                }
                PayloadBody::Ts(ts) => {
                    let v: Vec<String> = ts.selectors.iter().map(ToString::to_string).collect();
                    if p.payload_type == payload_type::TSI {
                        out.ts_i = v;
                    } else {
                        out.ts_r = v;
                    }
                }
                PayloadBody::Notify(n) => {
                    out.notifies.push(n.notify_type.to_string());
                    ppk_identity |= n.notify_type == notify_type::PPK_IDENTITY;
                    if n.notify_type.is_error() && out.error.is_none() {
                        let x = crate::analysis::explain::error_notify(
                            n.notify_type,
                            ExchangeType::IKE_AUTH,
                        );
                        out.error = Some(ErrorNotify {
                            name: n.notify_type.to_string(),
                            meaning: x.map(|x| x.meaning.to_owned()),
                            check: x.map(|x| x.check.to_owned()),
                        });
                    }
                }
                _ => {}
            }
        }
        if let Some(p) = out.ppk.as_mut() {
            p.responder_ppk_identity = ppk_identity;
            p.used = p.sent && ppk_identity;
            if p.sent {
                p.answer = if ppk_identity {
                    "the responder answered PPK_IDENTITY: SK_d, SK_pi and SK_pr were derived with the PPK".into()
                } else if p.no_ppk_auth_sent {
                    "the responder answered without PPK_IDENTITY: it used NO_PPK_AUTH (no PPK for this PPK_ID), the keys are the ones without the PPK".into()
                } else {
                    "the responder answered without PPK_IDENTITY although the PPK is mandatory"
                        .into()
                };
            }
        }
        // RFC 8784 §3: the responder's AUTH uses SK_pr' when it answered PPK_IDENTITY.
        let sk_pr = match (&self.ppk, ppk_identity) {
            (Some((_, pr)), true) => pr.clone(),
            _ => self.keys.sk_pr.clone(),
        };
        if let (Some(id), Some(a)) = (id_r, auth) {
            let mut body = vec![id.id_type.0];
            body.extend_from_slice(&id.reserved);
            body.extend_from_slice(&id.data[..]);
            let octets =
                derive::signed_octets(&self.prf, &self.init_response, &self.ni, &sk_pr, &body);
            let ok = if a.method == AuthMethod::SHARED_KEY_MIC {
                match &self.credential {
                    Some(Credential::Psk(psk)) => {
                        let expected = derive::psk_auth(&self.prf, psk, &octets);
                        bool::from(expected[..].ct_eq(&a.data[..]))
                    }
                    _ => false,
                }
            } else {
                let trust: &[Vec<u8>] = match &self.credential {
                    Some(Credential::Cert(c)) => c.trust(),
                    _ => &[],
                };
                let mut v = super::auth::verify_peer(trust, &certs, a, &octets);
                v.id_check = certs
                    .first()
                    .and_then(|c| super::auth::check_id(id.id_type.0, &id.data, c));
                let id_ok = v
                    .id_check
                    .as_ref()
                    .is_none_or(|c| c.status != super::auth::IdCheckStatus::Mismatch);
                // With trust anchors given, the responder is authenticated only when its
                // certificate chains to one of them; without, by its signature alone (the
                // report says the path was not checked). Its IDr must be one its
                // certificate names (RFC 7296 §3.5).
                let ok = v.signature_ok && (v.chain_ok || trust.is_empty()) && id_ok;
                out.peer_auth = Some(v);
                ok
            };
            out.responder_auth_ok = Some(ok);
            let mandatory_unmet = out.ppk.as_ref().is_some_and(|p| p.mandatory && !p.used);
            out.ike_sa = ok && !mandatory_unmet;
        }
        Ok(out)
    }

    /// An INFORMATIONAL request deleting this IKE SA (RFC 7296 §1.4.1): SK { D(IKE) }.
    pub fn delete_request(&mut self) -> Result<Vec<u8>, InitError> {
        let d = Payload::new(
            payload_type::D,
            PayloadBody::Delete(Delete {
                protocol_id: ProtocolId::IKE,
                spi_size: 0,
                spis: Vec::new(),
            }),
        );
        self.seal(ExchangeType::INFORMATIONAL, &[d])
    }

    /// Checks the INFORMATIONAL response (decrypts it); returns its notifies.
    pub fn on_informational_response(&self, bytes: &[u8]) -> Result<Vec<String>, InitError> {
        let inner = self.open(&[bytes], "INFORMATIONAL response")?;
        Ok(inner
            .iter()
            .filter_map(notify_of)
            .map(|n| n.notify_type.to_string())
            .collect())
    }
}

/// Text when every octet is printable ASCII, else hex.
fn printable(b: &[u8]) -> String {
    if !b.is_empty() && b.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
        String::from_utf8_lossy(b).into_owned()
    } else {
        hex::encode(b)
    }
}

/// Fragment Number and Total Fragments when `msg` is an IKE message whose payload is SKF
/// (RFC 7383 §2.5); a cheap look at the first payload, without parsing the message.
pub fn fragment_of(msg: &[u8]) -> Option<(u16, u16)> {
    let mut r = Reader::new(msg, 0);
    let h = Header::parse(&mut r).ok()?;
    if h.next_payload != payload_type::SKF {
        return None;
    }
    // The generic payload header (Next Payload, C, RESERVED, Payload Length), then the two
    // fragment fields.
    r.u32("generic payload header").ok()?;
    Some((
        r.u16("Fragment Number").ok()?,
        r.u16("Total Fragments").ok()?,
    ))
}

fn transform(t: TransformType, id: u16, key_length: Option<u16>) -> Transform {
    Transform {
        reserved1: 0,
        length: 0,
        transform_type: t,
        reserved2: 0,
        transform_id: TransformId::new(t, id),
        attributes: key_length
            .map(|k| payload::TransformAttr {
                attr_type: TransformAttrType(14),
                value: payload::AttrValue::Tv(k),
            })
            .into_iter()
            .collect(),
    }
}

/// The CHILD_SA offer (ESP, inbound SPI `spi`): #1 AES-GCM-16 (256, 128), #2 AES-CBC (256,
/// 128) with HMAC-SHA2-256-128; no ESN. Both are RFC 8221 MUSTs.
fn child_sa_offer(spi: &[u8; 4]) -> Sa {
    let esp = ProtocolId::ESP;
    let no_esn = transform(TransformType::SN, 0, None);
    Sa {
        proposals: smallvec::smallvec![
            Proposal {
                reserved: 0,
                length: 0,
                proposal_num: 1,
                protocol_id: esp,
                spi: spi.to_vec().into(),
                transforms: vec![
                    transform(TransformType::ENCR, EncrId(20).0, Some(256)),
                    transform(TransformType::ENCR, EncrId(20).0, Some(128)),
                    no_esn.clone(),
                ],
            },
            Proposal {
                reserved: 0,
                length: 0,
                proposal_num: 2,
                protocol_id: esp,
                spi: spi.to_vec().into(),
                transforms: vec![
                    transform(TransformType::ENCR, EncrId(12).0, Some(256)),
                    transform(TransformType::ENCR, EncrId(12).0, Some(128)),
                    transform(TransformType(3), IntegId(12).0, None),
                    no_esn,
                ],
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(name: &str) -> Vec<(Vec<u8>, bool)> {
        // (IKE message, sent by the initiator) for every UDP datagram of a recorded capture,
        // non-ESP marker removed on 4500.
        let mut out = Vec::new();
        for d in crate::testcapture::datagrams(name) {
            let (sport, dport) = (d.src.port(), d.dst.port());
            let mut p = &d.payload[..];
            if sport == 4500 || dport == 4500 {
                if p.len() < 4 || p[..4] != [0; 4] {
                    continue;
                }
                p = &p[4..];
            }
            out.push((p.to_vec(), dport == 500 || dport == 4500));
        }
        out
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn fresh_request_keeps_the_offer_and_changes_the_secrets() {
        let msgs = recorded("aes-cbc-sha256-modp2048");
        let rec = &msgs[0].0;
        let mut x = InitExchange::new(rec, false, 2).unwrap();
        let local = addr("192.0.2.1:40000");
        let remote = addr("198.51.100.7:500");
        let out = x.build(local, remote);
        let a = Message::parse(rec).unwrap();
        let b = Message::parse(&out).unwrap();
        assert_ne!(a.header.spi_i, b.header.spi_i);
        assert_eq!(b.header.spi_r, 0);
        let types = |m: &Message| {
            m.payloads
                .iter()
                .map(|p| p.payload_type)
                .collect::<Vec<_>>()
        };
        assert_eq!(types(&a), types(&b));
        for (pa, pb) in a.payloads.iter().zip(&b.payloads) {
            match (&pa.body, &pb.body) {
                (PayloadBody::Sa(x), PayloadBody::Sa(y)) => assert_eq!(x, y),
                (PayloadBody::Nonce(x), PayloadBody::Nonce(y)) => {
                    assert_eq!(x.data.len(), y.data.len());
                    assert_ne!(x.data, y.data);
                }
                (PayloadBody::Ke(x), PayloadBody::Ke(y)) => {
                    assert_eq!(x.group, y.group);
                    assert_eq!(x.data.len(), y.data.len());
                    assert_ne!(x.data, y.data);
                }
                (PayloadBody::Notify(x), PayloadBody::Notify(y)) => {
                    assert_eq!(x.notify_type, y.notify_type);
                    let spi = b.header.spi_i;
                    match x.notify_type {
                        notify_type::NAT_DETECTION_SOURCE_IP => {
                            assert_eq!(y.data[..], nat_detection_hash(spi, 0, local)[..])
                        }
                        notify_type::NAT_DETECTION_DESTINATION_IP => {
                            assert_eq!(y.data[..], nat_detection_hash(spi, 0, remote)[..])
                        }
                        _ => assert_eq!(x, y),
                    }
                }
                (x, y) => assert_eq!(x, y),
            }
        }
    }

    #[test]
    fn verbatim_sends_the_recorded_bytes() {
        let msgs = recorded("aes-gcm-ecp256");
        let mut x = InitExchange::new(&msgs[0].0, true, 0).unwrap();
        assert_eq!(
            x.build(addr("127.0.0.1:1"), addr("127.0.0.1:500")),
            msgs[0].0
        );
        assert!(x.established().is_err());
    }

    #[test]
    fn not_a_request_is_refused() {
        let msgs = recorded("aes-gcm-ecp256");
        let e = InitExchange::new(&msgs[1].0, false, 0).unwrap_err();
        assert!(e.to_string().contains("not an IKE_SA_INIT request"), "{e}");
    }

    /// A response carrying only `n` (SPIr zero), as a stateless refusal.
    fn response_with(spi_i: u64, n: Payload) -> Vec<u8> {
        Message {
            header: Header {
                spi_i,
                spi_r: 0,
                next_payload: payload_type::N,
                major_version: 2,
                minor_version: 0,
                exchange: ExchangeType::IKE_SA_INIT,
                flags: Header::FLAG_RESPONSE,
                message_id: 0,
                length: 0,
            },
            payloads: vec![n],
        }
        .emit()
    }

    #[test]
    fn cookie_goes_first_and_nothing_else_changes() {
        let msgs = recorded("aes-cbc-sha256-modp2048");
        let mut x = InitExchange::new(&msgs[0].0, false, 0).unwrap();
        let (l, r) = (addr("127.0.0.1:1500"), addr("127.0.0.1:500"));
        let first = x.build(l, r);
        let resp = response_with(x.spi_i(), notify(notify_type::COOKIE, vec![7; 20]));
        assert!(matches!(x.on_response(&resp, r, l).unwrap(), Step::Again));
        let second = x.build(l, r);
        let a = Message::parse(&first).unwrap();
        let b = Message::parse(&second).unwrap();
        assert_eq!(b.payloads.len(), a.payloads.len() + 1);
        let n = notify_of(&b.payloads[0]).unwrap();
        assert_eq!(n.notify_type, notify_type::COOKIE);
        assert_eq!(n.data[..], [7; 20]);
        let bodies = |v: &[Payload]| v.iter().map(|p| p.body.clone()).collect::<Vec<_>>();
        assert_eq!(bodies(&a.payloads), bodies(&b.payloads[1..]));
        assert_eq!(x.answer().cookies, 1);
        // Verbatim: the recorded bytes behind the cookie.
        let mut v = InitExchange::new(&msgs[0].0, true, 0).unwrap();
        v.build(l, r);
        let resp = response_with(v.spi_i(), notify(notify_type::COOKIE, vec![9; 8]));
        v.on_response(&resp, r, l).unwrap();
        let out = v.build(l, r);
        assert_eq!(out[28 + 16..], msgs[0].0[28..]);
    }

    #[test]
    fn invalid_ke_switches_group_when_offered() {
        // invalid-ke.pcap: the offer is aes128-sha256-ecp256-modp2048 with KE 19.
        let msgs = recorded("invalid-ke");
        let mut x = InitExchange::new(&msgs[0].0, false, 0).unwrap();
        assert_eq!(x.group(), Some(KeId(19)));
        let (l, r) = (addr("127.0.0.1:1500"), addr("127.0.0.1:500"));
        x.build(l, r);
        let resp = response_with(
            x.spi_i(),
            notify(
                notify_type::INVALID_KE_PAYLOAD,
                14u16.to_be_bytes().to_vec(),
            ),
        );
        assert!(matches!(x.on_response(&resp, r, l).unwrap(), Step::Again));
        assert_eq!(x.group(), Some(KeId(14)));
        let m = Message::parse(&x.build(l, r)).unwrap();
        let ke = m
            .payloads
            .iter()
            .find_map(|p| match &p.body {
                PayloadBody::Ke(k) => Some(k.clone()),
                _ => None,
            })
            .unwrap();
        assert_eq!((ke.group, ke.data.len()), (KeId(14), 256));
        // A group outside the offer ends the exchange with a note.
        let resp = response_with(
            x.spi_i(),
            notify(
                notify_type::INVALID_KE_PAYLOAD,
                31u16.to_be_bytes().to_vec(),
            ),
        );
        assert!(matches!(x.on_response(&resp, r, l).unwrap(), Step::Done));
        assert!(x.answer().notes[0].contains("does not include"));
        assert_eq!(x.answer().invalid_ke.len(), 2);
    }

    #[test]
    fn redirect_checks_the_nonce_and_restarts() {
        let msgs = recorded("aes-cbc-sha256-modp2048");
        let mut x = InitExchange::new(&msgs[0].0, false, 1).unwrap();
        let (l, r) = (addr("127.0.0.1:1500"), addr("127.0.0.1:500"));
        let first = Message::parse(&x.build(l, r)).unwrap();
        let spi0 = x.spi_i();
        let mut data = vec![1, 4, 192, 0, 2, 9];
        data.extend_from_slice(&x.nonce);
        let resp = response_with(spi0, notify(notify_type::REDIRECT, data));
        let Step::Redirect(GatewayId::Ipv4(gw)) = x.on_response(&resp, r, l).unwrap() else {
            panic!("not a redirect");
        };
        assert_eq!(gw.to_string(), "192.0.2.9");
        x.redirected(r.ip()).unwrap();
        assert_ne!(x.spi_i(), spi0);
        let again = Message::parse(&x.build(l, addr("192.0.2.9:500"))).unwrap();
        assert!(has_notify(&again, notify_type::REDIRECTED_FROM));
        assert!(!has_notify(&again, notify_type::REDIRECT_SUPPORTED));
        assert_eq!(
            nonce_of(&first).unwrap().len(),
            nonce_of(&again).unwrap().len()
        );
        assert_ne!(nonce_of(&first), nonce_of(&again));
        // A second redirect is beyond the limit; one with a foreign nonce is ignored.
        let mut data = vec![1, 4, 192, 0, 2, 10];
        data.extend_from_slice(&[0u8; 32]);
        let resp = response_with(x.spi_i(), notify(notify_type::REDIRECT, data));
        assert!(matches!(x.on_response(&resp, r, l).unwrap(), Step::Done));
        assert!(x.answer().notes[0].contains("nonce"));
    }

    #[test]
    fn recorded_answers_compare() {
        let ok = recorded("aes-cbc-sha256-modp2048");
        let m = Message::parse(&ok[1].0).unwrap();
        let (r, i) = (addr("127.0.0.1:500"), addr("127.0.0.1:1500"));
        let a = Answer::from_response(&m, r, i);
        assert!(a.accepted());
        let c = a.chosen.as_ref().unwrap();
        assert_eq!(c.encr, vec!["ENCR_AES_CBC_128"]);
        assert_eq!(c.prf, vec!["PRF_HMAC_SHA2_256"]);
        assert!(a.fragmentation);
        // The responder ran kernel-libipsec, which needs UDP encapsulation: charon fakes its
        // NAT_DETECTION_SOURCE_IP hash, so a NAT is seen on its side.
        assert_eq!(
            a.nat,
            Some(NatResult {
                responder_behind_nat: true,
                initiator_behind_nat: false
            })
        );
        assert!(!a.signature_hash_algorithms.is_empty());
        let np = recorded("no-proposal");
        let b = Answer::from_response(&Message::parse(&np[1].0).unwrap(), r, i);
        assert!(!b.accepted());
        assert_eq!(b.error.as_deref(), Some("NO_PROPOSAL_CHOSEN"));
        let d = differences(&a, &b);
        let fields: Vec<&str> = d.iter().map(|d| d.field).collect();
        assert!(fields.contains(&"chosen proposal") && fields.contains(&"error"));
        assert!(!fields.contains(&"answered"));
        assert!(differences(&a, &a).is_empty());
        // Seen from another address, the responder's destination hash no longer matches.
        let c = Answer::from_response(&m, r, addr("192.0.2.1:1500"));
        assert!(c.nat.unwrap().initiator_behind_nat);
    }

    #[test]
    fn ids_and_selectors() {
        let id = IdSpec::parse("email:initiator@test.local").unwrap();
        assert_eq!(id.id_type, IdType::ID_RFC822_ADDR);
        assert_eq!(
            IdSpec::parse("a@b").unwrap().id_type,
            IdType::ID_RFC822_ADDR
        );
        assert_eq!(
            IdSpec::parse("vpn.example").unwrap().id_type,
            IdType::ID_FQDN
        );
        let v4 = IdSpec::parse("192.0.2.1").unwrap();
        assert_eq!(
            (v4.id_type, v4.data.clone()),
            (IdType::ID_IPV4_ADDR, vec![192, 0, 2, 1])
        );
        assert_eq!(
            IdSpec::parse("ipv6:::1").unwrap().id_type,
            IdType::ID_IPV6_ADDR
        );
        assert_eq!(IdSpec::parse("keyid:0aff").unwrap().data, vec![0x0a, 0xff]);
        assert!(IdSpec::parse("keyid:abc").is_err());
        assert!(IdSpec::parse("ipv4:nope").is_err());
        assert!(IdSpec::parse("ipv4:::1").is_err());
        assert!(IdSpec::parse("ipv6:10.0.0.1").is_err());
        assert!(IdSpec::parse("fqdn:").is_err());
        assert_eq!(v4.body(), vec![1, 0, 0, 0, 192, 0, 2, 1]);
        let ts = parse_ts("10.1.2.3/24").unwrap();
        assert_eq!(ts.to_string(), "10.1.2.0/24");
        let ts = parse_ts("127.0.0.1").unwrap();
        assert_eq!(ts.to_string(), "127.0.0.1");
        assert!(parse_ts("10.0.0.0/33").is_err());
        assert!(parse_ts("2001:db8::/32")
            .unwrap()
            .to_string()
            .starts_with("2001:db8::"));
    }

    #[test]
    fn child_offer_emits_and_parses() {
        let sa = child_sa_offer(&[1, 2, 3, 4]);
        let p = Payload::new(payload_type::SA, PayloadBody::Sa(sa.clone()));
        let mut w = Writer::new();
        payload::emit_chain(&[p], &mut w);
        let back = payload::parse_chain(&mut Reader::new(&w.buf, 0), payload_type::SA).unwrap();
        let mut again = Writer::new();
        payload::emit_chain(&back, &mut again);
        assert_eq!(again.buf, w.buf);
        let PayloadBody::Sa(parsed) = &back[0].body else {
            panic!("not an SA");
        };
        assert_eq!(parsed.proposals.len(), sa.proposals.len());
        assert_eq!(parsed.proposals[0].spi[..], [1, 2, 3, 4]);
        let s = summary::summarize_proposal(&child_sa_offer(&[0; 4]).proposals[1], 2);
        assert_eq!(s.protocol, "ESP");
        assert_eq!(s.integ, vec!["AUTH_HMAC_SHA2_256_128"]);
    }

    #[test]
    fn fragment_numbers_are_read_from_skf_messages() {
        let frag = recorded("fragmentation");
        let skf: Vec<(u16, u16)> = frag.iter().filter_map(|(m, _)| fragment_of(m)).collect();
        // IKE_AUTH request in 3 fragments, response in 2 (pcaps/README.md).
        assert_eq!(skf, [(1, 3), (2, 3), (3, 3), (1, 2), (2, 2)]);
        assert_eq!(fragment_of(&frag[0].0), None);
        assert_eq!(fragment_of(&[0u8; 20]), None);
    }
}
