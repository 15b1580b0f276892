//! The NDJSON records of `ikev2 decode --json` (`docs/json.md`, `docs/schema/ikev2-decode.json`):
//! typed, borrowed from the decoder's report, written straight into the output writer.

use std::borrow::Cow;
use std::net::SocketAddr;

use ietfwg_capture::Timestamp;
use ietfwg_ikev2::analysis::audit::{AuditEntry, Requirement, Role};
use ietfwg_ikev2::analysis::summary::{Finding, Outcome, SaSummary, Severity};
use ietfwg_ikev2::crypto::decrypt::Fragment;
use ietfwg_ikev2::decoder::{
    Decoded, Decryption, Encrypted, FragmentState, IcvStatus, Ikev2Decoded, Opened, Transport,
};
use ietfwg_ikev2::error::Error;
use ietfwg_ikev2::wire::header::Header;
use ietfwg_ikev2::wire::ikev1::Ikev1Message;
use ietfwg_ikev2::wire::payload::Payload;
use ietfwg_ikev2::wire::registry::PayloadType;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use super::stream::Event;
use crate::json::{rfc_cited, Problem, Shown, Time};
use crate::output::Output;
use crate::text::Text;

/// One captured message (or a packet that carried none that could be read).
#[derive(Serialize)]
struct MessageRecord<'a> {
    /// `ikev2`, `ikev1`, `esp`, `keepalive`, or `packet` (nothing could be read).
    record: &'static str,
    frame: u64,
    time: Time,
    src: Option<Shown<SocketAddr>>,
    dst: Option<Shown<SocketAddr>>,
    transport: Option<Transport>,
    /// The IKE header when the message did not parse but its header did (`record` ikev2).
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<&'a Header>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ikev2: Option<Ikev2Record<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ikev1: Option<&'a Ikev1Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    esp: Option<Esp>,
    error: Option<Problem>,
    warnings: Vec<Problem>,
}

#[derive(Serialize)]
struct Esp {
    spi: Shown<EspSpi>,
    seq: u32,
    length: usize,
}

#[derive(Debug, Clone, Copy)]
struct EspSpi(u32);

impl std::fmt::Display for EspSpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

/// A parsed IKEv2 message: `header` and `payloads`, the SK/SKF payload with its `decrypted`.
struct Ikev2Record<'a> {
    header: &'a Header,
    payloads: &'a [Payload],
    encrypted: Option<(usize, DecryptedRecord<'a>)>,
}

impl Serialize for Ikev2Record<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Ikev2", 2)?;
        st.serialize_field("header", self.header)?;
        st.serialize_field(
            "payloads",
            &Payloads {
                payloads: self.payloads,
                encrypted: self.encrypted.as_ref(),
            },
        )?;
        st.end()
    }
}

struct Payloads<'a, 'b> {
    payloads: &'a [Payload],
    encrypted: Option<&'b (usize, DecryptedRecord<'a>)>,
}

impl Serialize for Payloads<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.payloads.len()))?;
        for (i, p) in self.payloads.iter().enumerate() {
            match self.encrypted {
                Some((at, dec)) if *at == i => seq.serialize_element(&WithDecrypted {
                    payload: p,
                    decrypted: dec,
                })?,
                _ => seq.serialize_element(p)?,
            }
        }
        seq.end()
    }
}

/// The SK or SKF payload with what decrypting it gave.
#[derive(Serialize)]
struct WithDecrypted<'a, 'b> {
    #[serde(flatten)]
    payload: &'a Payload,
    decrypted: &'b DecryptedRecord<'a>,
}

/// What decrypting an SK/SKF payload gave. Every key is present; those that do not apply to
/// the `status` are null. Its failures are the record's `error`.
#[derive(Serialize)]
struct DecryptedRecord<'a> {
    /// `opened`, `no_keys` (no key table entry for the IKE SA) or `failed`.
    status: &'static str,
    icv_ok: Option<bool>,
    /// `ok`, `not_checked` (a key table row with an `ANY … [No Checking]` integrity
    /// algorithm) or `bad`.
    icv: Option<IcvStatus>,
    /// True only when the ICV verified: a `bad` ICV's `payloads` are unauthenticated.
    authenticated: Option<bool>,
    first_payload: Option<PayloadType>,
    plaintext_offset: Option<usize>,
    plaintext_length: Option<usize>,
    pad_len: Option<u8>,
    fragment: Option<Fragment>,
    /// The inner payloads, when the SK payload's chain parsed.
    payloads: Option<&'a [Payload]>,
    /// SKF: the Fragment Numbers still missing.
    waiting_for: Option<&'a [u16]>,
    /// SKF: why the fragment was discarded.
    discarded: Option<&'a str>,
    /// SKF: the message this fragment completed.
    reassembled: Option<ReassembledRecord<'a>>,
}

#[derive(Serialize)]
struct ReassembledRecord<'a> {
    frames: &'a [u64],
    length: usize,
    first_payload: PayloadType,
    payloads: Option<&'a [Payload]>,
}

const SK_RFC: &str = "RFC 7296 §3.14";
const SKF_RFC: &str = "RFC 7383 §2.6";

/// A codec error as a [`Problem`] of `layer`, its RFC section cited or `rfc`.
fn problem(layer: &'static str, e: &Error, offset: bool, rfc: &'static str) -> Problem {
    let message = e.to_string();
    Problem {
        layer: Cow::Borrowed(layer),
        field: Some(Cow::Borrowed(e.field)),
        offset: offset.then_some(e.offset as u64),
        rfc: Some(rfc_cited(&message).map_or(Cow::Borrowed(rfc), Cow::Owned)),
        message,
    }
}

impl<'a> DecryptedRecord<'a> {
    fn new(enc: &'a Encrypted, error: &mut Option<Problem>, warnings: &mut Vec<Problem>) -> Self {
        let empty = DecryptedRecord {
            status: "no_keys",
            icv_ok: None,
            icv: None,
            authenticated: None,
            first_payload: None,
            plaintext_offset: None,
            plaintext_length: None,
            pad_len: None,
            fragment: None,
            payloads: None,
            waiting_for: None,
            discarded: None,
            reassembled: None,
        };
        match &enc.decryption {
            Decryption::NoKeys => empty,
            Decryption::Failed(e) => {
                *error = Some(problem("sk", e, true, SK_RFC));
                DecryptedRecord {
                    status: "failed",
                    ..empty
                }
            }
            Decryption::Done(opened) => Self::opened(opened, error, warnings),
        }
    }

    fn opened(
        opened: &'a Opened,
        error: &mut Option<Problem>,
        warnings: &mut Vec<Problem>,
    ) -> Self {
        let d = &opened.decrypted;
        if opened.icv() == IcvStatus::Bad {
            *error = Some(Problem {
                layer: Cow::Borrowed("sk"),
                field: Some(Cow::Borrowed("Integrity Checksum Data")),
                offset: None,
                message:
                    "icv BAD: the Integrity Checksum Data does not verify with the key table's keys"
                        .into(),
                rfc: Some(Cow::Borrowed(SK_RFC)),
            });
        }
        let payloads = match &opened.payloads {
            Some(Ok(p)) => Some(p.as_slice()),
            Some(Err(e)) => {
                error.get_or_insert_with(|| problem("ikev2", e, true, "RFC 7296 §3"));
                None
            }
            None => None,
        };
        let (mut waiting_for, mut discarded, mut reassembled) = (None, None, None);
        match &opened.fragments {
            Some(FragmentState::Waiting { missing }) => waiting_for = Some(missing.as_slice()),
            Some(FragmentState::Discarded(why)) => {
                warnings.push(Problem {
                    layer: Cow::Borrowed("skf"),
                    field: None,
                    offset: None,
                    message: format!("fragment discarded: {why}"),
                    rfc: Some(Cow::Borrowed(SKF_RFC)),
                });
                discarded = Some(why.as_str());
            }
            Some(FragmentState::Complete(r)) => {
                let payloads = match &r.payloads {
                    Ok(p) => Some(p.as_slice()),
                    Err(e) => {
                        // The offset counts in the reassembled plaintext, not in this message.
                        error.get_or_insert_with(|| problem("skf", e, false, SKF_RFC));
                        None
                    }
                };
                reassembled = Some(ReassembledRecord {
                    frames: &r.frames,
                    length: r.plaintext.len(),
                    first_payload: r.first_payload,
                    payloads,
                });
            }
            None => {}
        }
        DecryptedRecord {
            status: "opened",
            icv_ok: Some(d.icv_ok),
            icv: Some(opened.icv()),
            authenticated: Some(opened.icv() == IcvStatus::Ok),
            first_payload: Some(PayloadType(d.first_payload)),
            plaintext_offset: Some(d.plaintext_offset),
            plaintext_length: Some(d.plaintext.len()),
            pad_len: Some(d.pad_len),
            fragment: d.fragment,
            payloads,
            waiting_for,
            discarded,
            reassembled,
        }
    }
}

fn record<'a>(ev: &'a Event) -> MessageRecord<'a> {
    let mut r = MessageRecord {
        record: "ikev2",
        frame: ev.frame,
        time: Time(ev.ts),
        src: Some(Shown(ev.src)),
        dst: Some(Shown(ev.dst)),
        transport: Some(ev.transport),
        header: None,
        ikev2: None,
        ikev1: None,
        esp: None,
        error: None,
        warnings: Vec::new(),
    };
    match &ev.decoded {
        Decoded::Ikev2(x) => ikev2(x, &mut r),
        Decoded::Ikev1(m) => {
            r.record = "ikev1";
            match m {
                Ok(m) => r.ikev1 = Some(m),
                Err(e) => r.error = Some(problem("ikev1", e, true, "RFC 2408 §3")),
            }
        }
        Decoded::Esp { spi, seq, len } => {
            r.record = "esp";
            r.esp = Some(Esp {
                spi: Shown(EspSpi(*spi)),
                seq: *seq,
                length: *len,
            });
        }
        Decoded::Keepalive => r.record = "keepalive",
        Decoded::Transport(e) => {
            r.record = "packet";
            let message = e.to_string();
            let rfc =
                rfc_cited(&message)
                    .map(Cow::Owned)
                    .or(Some(Cow::Borrowed(match ev.transport {
                        Transport::Tcp => "RFC 9329 §3",
                        Transport::Udp | Transport::UdpNatT => "RFC 3948 §2",
                    })));
            r.error = Some(Problem {
                layer: Cow::Borrowed("transport"),
                field: None,
                offset: None,
                message,
                rfc,
            });
        }
    }
    r
}

fn ikev2<'a>(x: &'a Ikev2Decoded, r: &mut MessageRecord<'a>) {
    match &x.message {
        Ok(m) => {
            let encrypted = x.encrypted.as_ref().map(|e| {
                (
                    e.payload_index,
                    DecryptedRecord::new(e, &mut r.error, &mut r.warnings),
                )
            });
            r.ikev2 = Some(Ikev2Record {
                header: &m.header,
                payloads: &m.payloads,
                encrypted,
            });
        }
        Err(e) => {
            r.header = x.header.as_ref();
            r.error = Some(problem("ikev2", e, true, "RFC 7296 §3"));
        }
    }
}

/// One entry as an NDJSON line.
pub fn entry(t: &mut Text, ev: &Event) -> anyhow::Result<()> {
    t.json(&record(ev))
}

/// A packet whose IP/UDP/TCP headers did not decode.
pub fn packet_error(t: &mut Text, frame: u64, ts: Timestamp, msg: &str) -> anyhow::Result<()> {
    t.json(&MessageRecord {
        record: "packet",
        frame,
        time: Time(ts),
        src: None,
        dst: None,
        transport: None,
        header: None,
        ikev2: None,
        ikev1: None,
        esp: None,
        error: Some(Problem::plain("packet", msg, None)),
        warnings: Vec::new(),
    })
}

// ------------------------------------------------------------- summary and audit

/// `summary --json`: one IKE SA. Failed SAs (those the closing line counts as failed) carry
/// `error`; the other findings of severity error or warning are copied into `warnings`.
#[derive(Serialize)]
struct SaRecord<'a> {
    record: &'static str,
    #[serde(flatten)]
    sa: &'a SaSummary,
    error: Option<Problem>,
    warnings: Vec<Problem>,
}

fn finding_problem(f: &Finding) -> Problem {
    Problem {
        layer: Cow::Borrowed("ike_sa"),
        field: Some(Cow::Owned(f.code.clone())),
        offset: None,
        message: f.text.clone(),
        rfc: Some(
            rfc_cited(&f.text)
                .or_else(|| rfc_cited(&f.check))
                .map_or(Cow::Borrowed("RFC 7296"), Cow::Owned),
        ),
    }
}

pub fn sa(out: &mut Output, sa: &SaSummary) -> anyhow::Result<()> {
    let failing = sa
        .findings
        .iter()
        .position(|f| f.severity == Severity::Error);
    let error = (sa.outcome == Outcome::Failed).then(|| match failing {
        Some(i) => Problem {
            message: sa.outcome_text.clone(),
            ..finding_problem(&sa.findings[i])
        },
        None => Problem {
            layer: Cow::Borrowed("ike_sa"),
            field: None,
            offset: None,
            rfc: Some(rfc_cited(&sa.outcome_text).map_or(Cow::Borrowed("RFC 7296"), Cow::Owned)),
            message: sa.outcome_text.clone(),
        },
    });
    let in_error = if error.is_some() { failing } else { None };
    let warnings = sa
        .findings
        .iter()
        .enumerate()
        .filter(|(i, f)| f.severity != Severity::Info && Some(*i) != in_error)
        .map(|(_, f)| finding_problem(f))
        .collect();
    out.json(&SaRecord {
        record: "ike_sa",
        sa,
        error,
        warnings,
    })
}

/// `audit --json`: one rated transform. The entry that makes its SA fail the audit (the first
/// MUST NOT chosen or offered in the first proposal) carries `error`: one per failing SA.
#[derive(Serialize)]
struct AuditRecord<'a> {
    record: &'static str,
    #[serde(flatten)]
    entry: &'a AuditEntry,
    error: Option<Problem>,
}

pub fn audit(out: &mut Output, entries: &[AuditEntry]) -> anyhow::Result<()> {
    let failing = entries.iter().position(|e| {
        e.rating.requirement == Requirement::MustNot
            && matches!(e.role, Role::Chosen | Role::Offered { position: 1, .. })
    });
    for (i, entry) in entries.iter().enumerate() {
        let error = (Some(i) == failing).then(|| {
            let how = match entry.role {
                Role::Chosen => "chosen",
                Role::Offered { .. } => "offered in the first proposal",
            };
            Problem {
                layer: Cow::Borrowed("audit"),
                field: Some(Cow::Owned(entry.name.clone())),
                offset: None,
                message: format!(
                    "{} is MUST NOT ({}) and was {how}",
                    entry.name, entry.rating.source
                ),
                rfc: Some(Cow::Borrowed(entry.rating.source)),
            }
        });
        out.json(&AuditRecord {
            record: "transform",
            entry,
            error,
        })?;
    }
    Ok(())
}

/// `summary`/`audit --json`: a packet that could not be read, or an IKE message that did not
/// parse (counted by the closing line; the analysis skips it).
#[derive(Serialize)]
struct UnreadableRecord {
    record: &'static str,
    frame: u64,
    time: Time,
    src: Option<Shown<SocketAddr>>,
    dst: Option<Shown<SocketAddr>>,
    error: Problem,
}

pub fn unreadable(
    out: &mut Output,
    frame: u64,
    ts: Timestamp,
    ends: Option<(SocketAddr, SocketAddr)>,
    error: Problem,
) -> anyhow::Result<()> {
    out.json(&UnreadableRecord {
        record: "unreadable",
        frame,
        time: Time(ts),
        src: ends.map(|e| Shown(e.0)),
        dst: ends.map(|e| Shown(e.1)),
        error,
    })
}

/// The [`Problem`] of an IKEv2 message that did not parse.
pub fn message_problem(e: &Error) -> Problem {
    problem("ikev2", e, true, "RFC 7296 §3")
}
