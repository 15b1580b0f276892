//! `ietfwg ikev2 replay FILE --to HOST[:PORT]`: sends each recorded IKE SA's IKE_SA_INIT
//! request again and compares what the responder answers now with what it answered then.
//!
//! The protocol work is in [`ietfwg_ikev2::active::initiator`] (sans-I/O); this module finds the
//! recorded exchanges in the capture, moves the bytes ([`super::net`]) and prints.
//!
//! Per IKE SA (keyed by the initiator's SPI): the first IKE_SA_INIT request and the last
//! IKE_SA_INIT response of the capture (COOKIE and INVALID_KE_PAYLOAD rounds before it are
//! counted). Messages after IKE_SA_INIT are encrypted with keys of the recorded SA and cannot
//! be replayed as bytes; with `--psk` a real IKE_AUTH is made with the new SA's keys instead.

use crate::json::Problem;
use std::collections::HashMap;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::ops::ControlFlow;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use colored::Colorize;
use ietfwg_ikev2::active::auth::{CertCredential, IdCheckStatus, MethodChoice, RsaScheme};
use ietfwg_ikev2::active::initiator::{
    self, Answer, AuthConfig, AuthOutcome, Credential, Difference, IdSpec, InitError, InitExchange,
    ModeHint, PpkConfig, Step,
};
use ietfwg_ikev2::decoder::Decoded;
use ietfwg_ikev2::ike_sa_init::{Demand, InitResponse};
use ietfwg_ikev2::wire::payload::{notify_type, short_name, GatewayId, PayloadBody, Transform};
use ietfwg_ikev2::wire::registry::{ExchangeType, IdType, TransformType};
use ietfwg_ikev2::Message;

use super::net::{self, Pacer, Retransmit, UdpTransport};
use super::stream::IkeStream;
use crate::output::Output;
use crate::Status;
use ietfwg_capture::CaptureReader;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("auth").args(["psk", "cert"]).multiple(false)))]
pub struct ReplayArgs {
    /// pcap or pcapng file holding the recorded IKE_SA_INIT exchanges; `-` reads stdin.
    #[arg(value_name = "FILE")]
    input: String,

    /// The responder to send to (port 500 unless given). Nothing is sent anywhere else;
    /// broadcast, multicast and unspecified addresses are refused.
    #[arg(long, value_name = "HOST[:PORT]")]
    to: String,

    /// Only the IKE SA with this initiator SPI (16 hex digits, as `decode` prints it).
    #[arg(long, value_name = "SPIi")]
    sa: Option<String>,

    /// Only the IKE SAs whose first IKE_SA_INIT request is in these capture frames: `5`,
    /// `10-20`, `100-`, `-20`.
    #[arg(long, value_name = "RANGE")]
    frames: Option<crate::select::FrameRange>,

    /// Replay at most this many IKE SAs (the first ones of the capture, after --frames).
    #[arg(short = 'c', long, value_name = "N")]
    count: Option<usize>,

    /// Send the recorded IKE_SA_INIT bytes unchanged (recorded SPI, nonce and key exchange
    /// data; only N(COOKIE) is added when asked). No IKE_AUTH is then possible.
    #[arg(long, conflicts_with_all = ["psk", "cert"])]
    verbatim: bool,

    /// Complete IKE_AUTH with this pre-shared key (RFC 7296 §2.15) after IKE_SA_INIT. The
    /// environment variable keeps it out of the process list.
    #[arg(
        long,
        value_name = "SECRET",
        env = "IETFWG_PSK",
        hide_env_values = true
    )]
    psk: Option<String>,

    /// Certificate and PPK options (boxed: they are many and most runs have none).
    #[command(flatten)]
    cert: Box<CertArgs>,

    /// IDi: `ipv4:A`, `ipv6:A`, `fqdn:NAME`, `email:USER@HOST`, `keyid:HEX`, or an address or
    /// name (default: the local address, ID_IPV4_ADDR/ID_IPV6_ADDR).
    #[arg(long, value_name = "ID", requires = "auth")]
    id: Option<String>,

    /// IDr to ask for (same forms as --id; default: none).
    #[arg(long = "remote-id", value_name = "ID", requires = "auth")]
    remote_id: Option<String>,

    /// TSi of the CHILD_SA: ADDR[/PREFIX], repeatable (default: the local address /32).
    #[arg(long, value_name = "CIDR", requires = "auth")]
    ts: Vec<String>,

    /// TSr of the CHILD_SA: ADDR[/PREFIX], repeatable (default: the responder's address /32).
    #[arg(long = "remote-ts", value_name = "CIDR", requires = "auth")]
    remote_ts: Vec<String>,

    /// Append the new IKE SAs' keys to FILE in Wireshark's ikev2_decryption_table format.
    #[arg(long, value_name = "FILE", requires = "auth")]
    keylog: Option<String>,

    /// Seconds one exchange may take, retransmissions included.
    #[arg(long, value_name = "S", default_value_t = 10.0)]
    timeout: f64,

    /// Retransmissions of a request (RFC 7296 §2.1: 0.5 s, then doubling).
    #[arg(long, value_name = "N", default_value_t = 5)]
    retries: u32,

    /// Local UDP port (default: an ephemeral one).
    #[arg(long, value_name = "PORT")]
    source_port: Option<u16>,

    /// REDIRECTs (RFC 5685) followed at most; 0 does not follow any.
    #[arg(long, value_name = "N", default_value_t = 2)]
    max_redirects: u32,

    /// Messages per second at most, retransmissions included.
    #[arg(long, value_name = "N", default_value_t = 10.0)]
    rate: f64,

    /// NDJSON: one object per IKE SA.
    #[arg(long)]
    json: bool,
}

/// `--cert`, `--key`, `--cacert`, `--auth-method`, `--rsa-scheme`, `--ppk-id`, `--ppk`,
/// `--ppk-mandatory`.
#[derive(Debug, clap::Args)]
struct CertArgs {
    /// Complete IKE_AUTH with this certificate (PEM: ours first, then any intermediates sent
    /// as further CERT payloads) and a signature AUTH (RFC 7427, RFC 8420, RFC 7296).
    #[arg(long, value_name = "PEM", conflicts_with = "psk", requires = "key")]
    cert: Option<String>,

    /// The certificate's private key (PEM: PKCS#8, or PKCS#1 for RSA).
    #[arg(long, value_name = "PEM", requires = "cert")]
    key: Option<String>,

    /// Trust anchors (PEM) the responder's certificate must chain to; its CERTREQ names them.
    #[arg(long, value_name = "PEM", requires = "cert")]
    cacert: Option<String>,

    /// AUTH method with --cert: `auto` (Digital Signature, 14, when the responder announced a
    /// usable SIGNATURE_HASH_ALGORITHMS, else the key's classic method), `digital-signature`
    /// (14), `classic` (RSA 1, ECDSA 9/10).
    #[arg(long, value_name = "METHOD", value_enum, default_value_t = AuthMethodArg::Auto, requires = "cert")]
    auth_method: AuthMethodArg,

    /// RSA signature scheme in method 14: `pss` (RSASSA-PSS) or `pkcs1` (RSASSA-PKCS1-v1_5).
    #[arg(long, value_name = "SCHEME", value_enum, default_value_t = RsaSchemeArg::Pss, requires = "cert")]
    rsa_scheme: RsaSchemeArg,

    /// Offer a post-quantum preshared key with this PPK_ID (RFC 8784): N(USE_PPK) in
    /// IKE_SA_INIT, N(PPK_IDENTITY) in IKE_AUTH.
    #[arg(long, value_name = "ID", requires = "ppk")]
    ppk_id: Option<String>,

    /// The PPK (`0x` + hex for binary). The environment variable keeps it out of the process
    /// list.
    #[arg(
        long,
        value_name = "SECRET",
        env = "IETFWG_PPK",
        hide_env_values = true
    )]
    ppk: Option<String>,

    /// Refuse to authenticate without the PPK (no N(NO_PPK_AUTH) is sent).
    #[arg(long, requires = "ppk_id")]
    ppk_mandatory: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AuthMethodArg {
    Auto,
    DigitalSignature,
    Classic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RsaSchemeArg {
    Pss,
    Pkcs1,
}

/// One IKE SA found in the capture.
#[derive(Debug)]
struct RecordedSa {
    spi_i: u64,
    frame: u64,
    src: SocketAddr,
    dst: SocketAddr,
    request: Vec<u8>,
    /// The last IKE_SA_INIT response: frame, bytes, responder, initiator.
    response: Option<(u64, Vec<u8>, SocketAddr, SocketAddr)>,
    cookies: u32,
    invalid_ke: Vec<String>,
}

/// One message of the replay, for the report.
#[derive(Debug, Clone, serde::Serialize)]
struct ExchangeRec {
    direction: &'static str,
    /// In JSON a code point, as a message header's exchange.
    #[serde(serialize_with = "ietfwg_ikev2::wire::registry::exchange_name_as_code_point")]
    exchange: String,
    message_id: u32,
    peer: String,
    payloads: Vec<String>,
    notifies: Vec<String>,
    /// The payloads are those inside the Encrypted (SK) payload.
    encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    transmissions: Option<u32>,
    /// For a response: milliseconds from the first transmission of its request.
    #[serde(skip_serializing_if = "Option::is_none")]
    rtt_ms: Option<u64>,
}

impl ExchangeRec {
    /// A message protected with the new IKE SA's keys: `payloads` and `notifies` are those
    /// inside its SK payload (as built, or as decrypted).
    fn encrypted(
        direction: &'static str,
        exchange: &str,
        message_id: u32,
        peer: SocketAddr,
        payloads: Vec<String>,
        notifies: Vec<String>,
    ) -> ExchangeRec {
        ExchangeRec {
            direction,
            exchange: exchange.into(),
            message_id,
            peer: peer.to_string(),
            payloads,
            notifies,
            encrypted: true,
            transmissions: None,
            rtt_ms: None,
        }
    }
}

/// What happened to one IKE SA.
#[derive(Debug, Clone, serde::Serialize)]
struct SaReport {
    spi_i: String,
    frame: u64,
    recorded_from: String,
    recorded_to: String,
    target: String,
    new_spi_i: Option<String>,
    #[serde(serialize_with = "answer_json")]
    recorded: Answer,
    #[serde(serialize_with = "answer_json")]
    now: Answer,
    differences: Vec<Difference>,
    exchanges: Vec<ExchangeRec>,
    #[serde(serialize_with = "auth_json")]
    auth: Option<AuthOutcome>,
    delete: Option<String>,
    notes: Vec<String>,
    /// Why the replay stopped early (printed as `error:`); in JSON the record's `error`.
    #[serde(skip)]
    error: Option<String>,
    ok: bool,
}

/// `replay --json`: one IKE SA replayed (`docs/json.md`). An SA that did not replay (`ok`
/// false, which makes the exit status 1) carries `error`.
#[derive(serde::Serialize)]
struct ReplayRecord<'a> {
    record: &'static str,
    #[serde(flatten)]
    report: &'a SaReport,
    error: Option<Problem>,
}

impl<'a> ReplayRecord<'a> {
    fn new(r: &'a SaReport) -> Self {
        let message = if r.ok {
            None
        } else if let Some(e) = &r.error {
            Some(e.clone())
        } else if let Some(e) = r.auth.as_ref().and_then(|a| a.error.as_ref()) {
            Some(format!("IKE_AUTH failed: {}", e.name))
        } else if let Some(m) = r.auth.as_ref().and_then(auth_failure) {
            Some(m)
        } else {
            Some(
                r.notes
                    .last()
                    .cloned()
                    .unwrap_or_else(|| "the SA was not replayed".into()),
            )
        };
        ReplayRecord {
            record: "replay",
            report: r,
            error: message.map(|m| {
                let rfc = crate::json::rfc_cited(&m).map(std::borrow::Cow::Owned);
                Problem {
                    layer: std::borrow::Cow::Borrowed("replay"),
                    field: None,
                    offset: None,
                    message: m,
                    rfc,
                }
            }),
        }
    }
}

/// Why the responder is not counted as authenticated, when IKE_AUTH was answered without an
/// error notify: its AUTH, its certificate path, its identity, or a mandatory PPK not used.
fn auth_failure(a: &AuthOutcome) -> Option<String> {
    if a.ike_sa {
        return None;
    }
    if let Some(p) = &a.peer_auth {
        if !p.signature_ok {
            return Some(format!(
                "the responder's AUTH does not verify: {}",
                p.reason.as_deref().unwrap_or("?")
            ));
        }
        if let Some(c) = p
            .id_check
            .as_ref()
            .filter(|c| c.status == IdCheckStatus::Mismatch)
        {
            return Some(format!(
                "the responder's identity check failed: {} ({})",
                c.detail,
                c.rfc.as_deref().unwrap_or("")
            ));
        }
        if !p.chain_ok {
            return Some(format!("the responder's certificate path {}", p.chain));
        }
    }
    if a.responder_auth_ok == Some(false) {
        return Some("the responder's AUTH does not verify with the PSK".into());
    }
    if let Some(p) = a.ppk.as_ref().filter(|p| p.mandatory && !p.used) {
        return Some(format!(
            "the PPK is mandatory and was not used: {}",
            p.answer
        ));
    }
    None
}

/// An IKE_SA_INIT answer in JSON: the responder's error notify, when it sent one, is `error` in
/// the one shape of `docs/json.md` (`layer` `notify`, `field` the notify's name). It is what the
/// responder said, not a failure of the record: that is the record's top-level `error`.
#[derive(serde::Serialize)]
struct AnswerJson<'a> {
    #[serde(flatten)]
    answer: &'a Answer,
    error: Option<Problem>,
}

fn answer_json<S: serde::Serializer>(a: &Answer, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(
        &AnswerJson {
            answer: a,
            error: a
                .error
                .as_deref()
                .map(|name| notify_problem(name, &format!("the responder answered N({name})"))),
        },
        s,
    )
}

/// The IKE_AUTH outcome in JSON, its error notify in the one shape (as [`AnswerJson`]).
#[derive(serde::Serialize)]
struct AuthJson<'a> {
    #[serde(flatten)]
    auth: &'a AuthOutcome,
    error: Option<Problem>,
}

fn auth_json<S: serde::Serializer>(a: &Option<AuthOutcome>, s: S) -> Result<S::Ok, S::Error> {
    let Some(a) = a else {
        return s.serialize_none();
    };
    let error = a.error.as_ref().map(|e| {
        let mut m = format!("the responder answered N({})", e.name);
        if let Some(meaning) = &e.meaning {
            m.push_str(": ");
            m.push_str(meaning);
        }
        if let Some(check) = &e.check {
            m.push_str("; check: ");
            m.push_str(check);
        }
        notify_problem(&e.name, &m)
    });
    s.serialize_some(&AuthJson { auth: a, error })
}

/// A responder's error notify as a [`Problem`]: the RFC section the message cites, else the
/// section that defines the error notifies.
fn notify_problem(name: &str, message: &str) -> Problem {
    let rfc = crate::json::rfc_cited(message)
        .map(std::borrow::Cow::Owned)
        .unwrap_or(std::borrow::Cow::Borrowed("RFC 7296 §3.10.1"));
    Problem {
        layer: std::borrow::Cow::Borrowed("notify"),
        field: Some(std::borrow::Cow::Owned(name.to_owned())),
        offset: None,
        message: message.to_owned(),
        rfc: Some(rfc),
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn hex_spi(v: u64) -> String {
    format!("{v:016x}")
}

fn parse_spi(s: &str) -> anyhow::Result<u64> {
    let t = s.trim().trim_start_matches("0x").trim_start_matches("0X");
    if t.is_empty() || t.len() > 16 {
        bail!("--sa {s:?}: expected up to 16 hex digits");
    }
    u64::from_str_radix(t, 16).map_err(|_| anyhow!("--sa {s:?}: not hexadecimal"))
}

/// IKE SAs of one capture that replay records (and may send again); the capture's further SAs
/// are counted and named in a note, so that memory does not grow with the capture.
pub const MAX_RECORDED_SAS: usize = 4096;
/// INVALID_KE_PAYLOAD rounds recorded per IKE SA.
pub const MAX_INVALID_KE_ROUNDS: usize = 16;

/// The IKE SAs of the capture, in the order their first IKE_SA_INIT request appears (the first
/// [`MAX_RECORDED_SAS`]).
fn recorded_sas(path: &str) -> anyhow::Result<Vec<RecordedSa>> {
    crate::hints::capture_stdin(path, "ietfwg ikev2 replay")?;
    let mut reader = CaptureReader::open(path)?;
    let mut stream = IkeStream::new(None);
    let mut sas: Vec<RecordedSa> = Vec::new();
    let mut index: HashMap<u64, usize> = HashMap::new();
    let mut not_recorded = 0u64;
    while let Some(pkt) = reader.next_packet()? {
        // A packet whose headers do not decode holds no recorded exchange: skipped (the
        // handler never stops).
        stream.push(&pkt, |ev| {
            let Decoded::Ikev2(d) = &ev.decoded else {
                return Ok(ControlFlow::Continue(()));
            };
            let Ok(m) = &d.message else {
                return Ok(ControlFlow::Continue(()));
            };
            let h = &m.header;
            if h.exchange != ExchangeType::IKE_SA_INIT || h.message_id != 0 {
                return Ok(ControlFlow::Continue(()));
            }
            if !h.response() {
                if sas.len() >= MAX_RECORDED_SAS && !index.contains_key(&h.spi_i) {
                    not_recorded += 1;
                    return Ok(ControlFlow::Continue(()));
                }
                if let std::collections::hash_map::Entry::Vacant(e) = index.entry(h.spi_i) {
                    e.insert(sas.len());
                    sas.push(RecordedSa {
                        spi_i: h.spi_i,
                        frame: ev.frame,
                        src: ev.src,
                        dst: ev.dst,
                        request: d.bytes.clone(),
                        response: None,
                        cookies: 0,
                        invalid_ke: Vec::new(),
                    });
                }
            } else if let Some(&i) = index.get(&h.spi_i) {
                let sa = &mut sas[i];
                let read = InitResponse::read(m);
                if read.notifies.contains(&notify_type::COOKIE) {
                    sa.cookies = sa.cookies.saturating_add(1);
                }
                for d in &read.demands {
                    if sa.invalid_ke.len() >= MAX_INVALID_KE_ROUNDS {
                        break;
                    }
                    if let Demand::InvalidKe(Some(group)) = d {
                        sa.invalid_ke
                            .push(Transform::name_of(TransformType::KE, group.0, None));
                    }
                }
                sa.response = Some((ev.frame, d.bytes.clone(), ev.src, ev.dst));
            }
            Ok(ControlFlow::Continue(()))
        })?;
    }
    if not_recorded > 0 {
        eprintln!(
            "note: {path}: {not_recorded} IKE_SA_INIT request(s) of further IKE SAs not recorded (replay takes the first {MAX_RECORDED_SAS} IKE SAs of a capture)"
        );
    }
    Ok(sas)
}

fn recorded_answer(sa: &RecordedSa) -> Answer {
    let Some((_, bytes, from, to)) = &sa.response else {
        return Answer::default();
    };
    let Ok(m) = Message::parse(bytes) else {
        return Answer::default();
    };
    let read = InitResponse::read(&m);
    let mut a = Answer::from_init_response(&read, *from, *to);
    // The final response of a COOKIE / INVALID_KE round is itself one of the rounds.
    a.cookies = sa
        .cookies
        .saturating_sub(u32::from(read.notifies.contains(&notify_type::COOKIE)));
    a.invalid_ke = sa.invalid_ke.clone();
    if read.notifies.contains(&notify_type::INVALID_KE_PAYLOAD) {
        a.invalid_ke.pop();
    }
    a
}

fn describe(bytes: &[u8], direction: &'static str, peer: SocketAddr) -> ExchangeRec {
    match Message::parse(bytes) {
        Ok(m) => ExchangeRec {
            direction,
            exchange: m.header.exchange.to_string(),
            message_id: m.header.message_id,
            peer: peer.to_string(),
            payloads: m
                .payloads
                .iter()
                .map(|p| short_name(p.payload_type).into_owned())
                .collect(),
            notifies: m
                .payloads
                .iter()
                .filter_map(|p| match &p.body {
                    PayloadBody::Notify(n) => Some(n.notify_type.to_string()),
                    _ => None,
                })
                .collect(),
            encrypted: false,
            transmissions: None,
            rtt_ms: None,
        },
        Err(e) => ExchangeRec {
            direction,
            exchange: "?".into(),
            message_id: 0,
            peer: peer.to_string(),
            payloads: vec![format!("does not parse: {e}")],
            notifies: Vec::new(),
            encrypted: false,
            transmissions: None,
            rtt_ms: None,
        },
    }
}

/// What `--verbatim` changes, where the library marks it ([`ModeHint`]).
fn mode_hint_text(h: ModeHint) -> &'static str {
    match h {
        ModeHint::VerbatimHasNoKeyExchange => "; --verbatim does not generate key exchange data",
        ModeHint::VerbatimFollowsNoRedirect => " with --verbatim",
        ModeHint::VerbatimSendsRecorded => {
            "; use --verbatim to send the recorded key exchange data"
        }
    }
}

/// Words the notes' [`ModeHint`]s with the flag.
fn add_mode_hints(a: &mut Answer) {
    for n in &mut a.notes {
        if let Some(h) = n.hint.take() {
            n.text.push_str(mode_hint_text(h));
        }
    }
}

/// An initiator error, with the flag that avoids it where there is one.
fn with_mode_hint(e: InitError) -> anyhow::Error {
    match e {
        InitError::UnsupportedGroup(_) => {
            anyhow!("{e}{}", mode_hint_text(ModeHint::VerbatimSendsRecorded))
        }
        e => e.into(),
    }
}

/// Settings shared by every SA.
#[derive(Debug)]
struct Plan {
    target: SocketAddr,
    rt: Retransmit,
    rate: f64,
    source_port: Option<u16>,
    verbatim: bool,
    max_redirects: u32,
    credential: Option<Credential>,
    method: MethodChoice,
    rsa_scheme: RsaScheme,
    ppk: Option<PpkConfig>,
    id: Option<IdSpec>,
    remote_id: Option<IdSpec>,
    ts: Vec<ietfwg_ikev2::wire::payload::TrafficSelector>,
    remote_ts: Vec<ietfwg_ikev2::wire::payload::TrafficSelector>,
}

/// Where a REDIRECT points, checked like --to.
fn redirect_target(gw: &GatewayId, port: u16) -> anyhow::Result<SocketAddr> {
    let addr = match gw {
        GatewayId::Ipv4(a) => SocketAddr::new(IpAddr::V4(*a), port),
        GatewayId::Ipv6(a) => SocketAddr::new(IpAddr::V6(*a), port),
        GatewayId::Fqdn(name) => net::resolve_target(name, port)?,
        GatewayId::Raw(_) => bail!("REDIRECT names a gateway of an unknown type"),
    };
    net::check_target(addr.ip(), "REDIRECT target")?;
    Ok(addr)
}

async fn replay_sa(sa: &RecordedSa, plan: &Plan, keylog: &mut Option<std::fs::File>) -> SaReport {
    let recorded = recorded_answer(sa);
    let mut r = SaReport {
        spi_i: hex_spi(sa.spi_i),
        frame: sa.frame,
        recorded_from: sa.src.to_string(),
        recorded_to: sa.dst.to_string(),
        target: plan.target.to_string(),
        new_spi_i: None,
        recorded,
        now: Answer::default(),
        differences: Vec::new(),
        exchanges: Vec::new(),
        auth: None,
        delete: None,
        notes: Vec::new(),
        error: None,
        ok: false,
    };
    if let Err(e) = exchange_all(sa, plan, keylog, &mut r).await {
        r.error = Some(format!("{e:#}"));
        r.ok = false;
    }
    r.differences = initiator::differences(&r.recorded, &r.now);
    r
}

async fn exchange_all(
    sa: &RecordedSa,
    plan: &Plan,
    keylog: &mut Option<std::fs::File>,
    r: &mut SaReport,
) -> anyhow::Result<()> {
    let mut init = InitExchange::new(&sa.request, plan.verbatim, plan.max_redirects)
        .map_err(with_mode_hint)?;
    if plan.ppk.is_some() && init.offer_ppk() {
        r.notes
            .push("N(USE_PPK) added to the recorded IKE_SA_INIT request (RFC 8784 §3)".into());
    }
    let mut target = plan.target;
    let mut t = UdpTransport::connect(target, plan.source_port).await?;
    t.set_pacer(Pacer::new(plan.rate));
    let answered = loop {
        let local = t.local()?;
        let req = init.build(local, target);
        r.new_spi_i = Some(hex_spi(init.spi_i()));
        let mut rec = describe(&req, "sent", target);
        let spi = init.spi_i();
        let got = t
            .exchange(&req, plan.rt, |m| net::is_response_to(m, spi, 0))
            .await?;
        // Answered or not: how many times the request went out.
        rec.transmissions = Some(t.transmissions());
        r.exchanges.push(rec);
        let Some(got) = got else {
            break false;
        };
        r.exchanges
            .push(describe(&got.response, "received", target));
        init.note_retransmissions(got.transmissions - 1);
        match init.on_response(&got.response, target, local)? {
            Step::Again => continue,
            Step::Done => break true,
            Step::Redirect(gw) => {
                let new = match redirect_target(&gw, target.port()) {
                    Ok(a) => a,
                    Err(e) => {
                        r.notes.push(format!("REDIRECT not followed: {e:#}"));
                        break true;
                    }
                };
                init.redirected(target.ip()).map_err(with_mode_hint)?;
                target = new;
                r.target = target.to_string();
                t = UdpTransport::connect(target, plan.source_port).await?;
                t.set_pacer(Pacer::new(plan.rate));
            }
        }
    };
    r.now = init.answer().clone();
    add_mode_hints(&mut r.now);
    if !answered {
        r.now.answered = false;
        r.notes.push(format!(
            "no answer from {target} within {:.1} s ({} transmissions)",
            plan.rt.timeout.as_secs_f64(),
            t.transmissions()
        ));
        return Ok(());
    }
    let Some(credential) = &plan.credential else {
        r.notes.push(
            "messages after IKE_SA_INIT are encrypted with the recorded SA's keys and cannot be replayed as bytes; stopped after IKE_SA_INIT (--psk SECRET or --cert/--key complete IKE_AUTH as a real initiator)"
                .into(),
        );
        r.ok = true;
        return Ok(());
    };
    if !r.now.accepted() {
        r.notes
            .push("IKE_AUTH not attempted: the responder did not accept IKE_SA_INIT".into());
        return Ok(());
    }
    let mut ike = init.established()?;
    if let Some(f) = keylog.as_mut() {
        writeln!(f, "{}", ike.keylog_line()).context("writing --keylog")?;
        f.flush().context("writing --keylog")?;
    }
    // RFC 7296 §2.23: after NAT_DETECTION_* were exchanged, the initiator moves to port 4500.
    let sent_nat = Message::parse(init.request()).is_ok_and(|m| {
        m.payloads.iter().any(|p| {
            matches!(&p.body, PayloadBody::Notify(n)
                if n.notify_type == notify_type::NAT_DETECTION_SOURCE_IP)
        })
    });
    if sent_nat && r.now.nat.is_some() && t.switch_to_natt().await? {
        r.notes.push(format!(
            "NAT detection payloads exchanged: IKE_AUTH goes to port {} with the non-ESP marker (RFC 7296 §2.23)",
            t.peer().port()
        ));
    }
    let local = t.local()?;
    let default_id = match credential {
        // A certificate's identity is its subject DN unless --id says otherwise.
        Credential::Cert(c) => IdSpec {
            id_type: IdType::ID_DER_ASN1_DN,
            data: c.subject_der().to_vec(),
        },
        Credential::Psk(_) => IdSpec::ip(local.ip()),
    };
    let cfg = AuthConfig {
        credential: credential.clone(),
        method: plan.method,
        rsa_scheme: plan.rsa_scheme,
        ppk: plan.ppk.clone(),
        id_i: plan.id.clone().unwrap_or(default_id),
        id_r: plan.remote_id.clone(),
        ts_i: if plan.ts.is_empty() {
            vec![initiator::parse_ts(&local.ip().to_string()).map_err(|e| anyhow!(e))?]
        } else {
            plan.ts.clone()
        },
        ts_r: if plan.remote_ts.is_empty() {
            vec![initiator::parse_ts(&t.peer().ip().to_string()).map_err(|e| anyhow!(e))?]
        } else {
            plan.remote_ts.clone()
        },
    };
    let (spi_i, _) = ike.spis();
    let req = ike.auth_request(&cfg)?;
    let (sent, sent_notifies) = ike.auth_request_payloads();
    let (sent, sent_notifies) = (sent.to_vec(), sent_notifies.to_vec());
    let got = t
        .exchange(&req, plan.rt, |m| net::is_response_to(m, spi_i, 1))
        .await?;
    r.exchanges.push(ExchangeRec {
        transmissions: Some(t.transmissions()),
        ..ExchangeRec::encrypted("sent", "IKE_AUTH", 1, t.peer(), sent, sent_notifies)
    });
    let Some(got) = got else {
        r.notes
            .push(format!("no answer to IKE_AUTH from {}", t.peer()));
        return Ok(());
    };
    // RFC 7383: a fragmented response arrives as Total Fragments messages, in any order.
    let mut fragments: Vec<Vec<u8>> = vec![got.response.clone()];
    if let Some((_, total)) = initiator::fragment_of(&got.response) {
        let until = tokio::time::Instant::now() + plan.rt.timeout;
        let mut seen: Vec<u16> = fragments
            .iter()
            .filter_map(|f| initiator::fragment_of(f).map(|x| x.0))
            .collect();
        while seen.len() < usize::from(total) {
            let Some(m) = t.recv_until(until).await? else {
                break;
            };
            if !net::is_response_to(m, spi_i, 1) {
                continue;
            }
            if let Some((n, _)) = initiator::fragment_of(m) {
                if !seen.contains(&n) {
                    seen.push(n);
                    fragments.push(m.to_vec());
                }
            }
        }
        r.notes.push(format!(
            "the IKE_AUTH response came in {} of {total} fragments (RFC 7383)",
            fragments.len()
        ));
    }
    let parts: Vec<&[u8]> = fragments.iter().map(Vec::as_slice).collect();
    let outcome = ike.on_auth_response_fragments(&parts)?;
    r.exchanges.push(ExchangeRec {
        rtt_ms: Some(ms(got.elapsed)),
        ..ExchangeRec::encrypted(
            "received",
            "IKE_AUTH",
            1,
            t.peer(),
            outcome.payloads.clone(),
            outcome.notifies.clone(),
        )
    });
    r.ok = outcome.success();
    let responder_has_sa = outcome.responder_auth_ok.is_some();
    r.auth = Some(outcome);
    if responder_has_sa {
        // Good manners: delete the IKE SA this run created (and with it its CHILD_SA).
        let del = ike.delete_request()?;
        let rt = Retransmit {
            initial: plan.rt.initial,
            retries: plan.rt.retries.min(2),
            timeout: plan.rt.timeout.min(Duration::from_secs(3)),
        };
        let got = t
            .exchange(&del, rt, |m| net::is_response_to(m, spi_i, 2))
            .await?;
        r.exchanges.push(ExchangeRec {
            transmissions: Some(t.transmissions()),
            ..ExchangeRec::encrypted(
                "sent",
                "INFORMATIONAL",
                2,
                t.peer(),
                vec!["D".into()],
                Vec::new(),
            )
        });
        match got {
            Some(g) => {
                let notifies = ike.on_informational_response(&g.response)?;
                r.exchanges.push(ExchangeRec {
                    rtt_ms: Some(ms(g.elapsed)),
                    ..ExchangeRec::encrypted(
                        "received",
                        "INFORMATIONAL",
                        2,
                        t.peer(),
                        Vec::new(),
                        notifies,
                    )
                });
                r.delete = Some("the IKE SA created by this run was deleted".into());
            }
            None => r.delete = Some("Delete sent, no answer".into()),
        }
    }
    Ok(())
}

pub fn run(args: ReplayArgs, mut out: Output) -> anyhow::Result<Status> {
    if args.json {
        out.set_json();
    }
    // Where to send is checked before anything else is read.
    let target = net::resolve_target(&args.to, ietfwg_ikev2::wire::transport::IKE_PORT)?;
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        bail!("--timeout must be a positive number of seconds");
    }
    if !(args.rate.is_finite() && args.rate > 0.0) {
        bail!("--rate must be a positive number of messages per second");
    }
    let idspec = |s: &Option<String>, flag: &str| {
        s.as_deref()
            .map(|v| IdSpec::parse(v).map_err(|e| anyhow!("{flag}: {e}")))
            .transpose()
    };
    let ts = |v: &[String], flag: &str| {
        v.iter()
            .map(|s| initiator::parse_ts(s).map_err(|e| anyhow!("{flag}: {e}")))
            .collect::<anyhow::Result<Vec<_>>>()
    };
    let credential = match (&args.psk, &args.cert.cert, &args.cert.key) {
        (Some(psk), _, _) => Some(Credential::Psk(psk.as_bytes().to_vec())),
        (None, Some(cert), Some(key)) => {
            let read = |p: &str, flag: &str| {
                // PEM files are small: refuse anything over 1 MiB rather than read it.
                let meta = std::fs::metadata(p).with_context(|| format!("{flag} {p}"))?;
                if meta.len() > 1 << 20 {
                    bail!("{flag} {p}: larger than 1 MiB, not a PEM certificate or key");
                }
                std::fs::read(p).with_context(|| format!("{flag} {p}"))
            };
            let ca = args
                .cert
                .cacert
                .as_deref()
                .map(|p| read(p, "--cacert"))
                .transpose()?;
            let c = CertCredential::from_pem(
                &read(cert, "--cert")?,
                &read(key, "--key")?,
                ca.as_deref(),
            )?;
            Some(Credential::Cert(std::sync::Arc::new(c)))
        }
        _ => None,
    };
    if credential.is_none() && args.cert.ppk_id.is_some() {
        bail!("--ppk-id needs --psk or --cert: the PPK is mixed into IKE_AUTH");
    }
    let ppk = match (&args.cert.ppk_id, &args.cert.ppk) {
        (Some(id), Some(secret)) => Some(PpkConfig {
            id: id.as_bytes().to_vec(),
            key: match secret.strip_prefix("0x") {
                Some(h) => hex::decode(h).context("--ppk: 0x must be followed by hex digits")?,
                None => secret.as_bytes().to_vec(),
            },
            mandatory: args.cert.ppk_mandatory,
        }),
        _ => None,
    };
    let plan = Plan {
        target,
        rt: Retransmit {
            initial: Duration::from_millis(500),
            retries: args.retries,
            timeout: Duration::from_secs_f64(args.timeout),
        },
        rate: args.rate,
        source_port: args.source_port,
        verbatim: args.verbatim,
        max_redirects: args.max_redirects,
        credential,
        method: match args.cert.auth_method {
            AuthMethodArg::Auto => MethodChoice::Auto,
            AuthMethodArg::DigitalSignature => MethodChoice::DigitalSignature,
            AuthMethodArg::Classic => MethodChoice::Classic,
        },
        rsa_scheme: match args.cert.rsa_scheme {
            RsaSchemeArg::Pss => RsaScheme::Pss,
            RsaSchemeArg::Pkcs1 => RsaScheme::Pkcs1,
        },
        ppk,
        id: idspec(&args.id, "--id")?,
        remote_id: idspec(&args.remote_id, "--remote-id")?,
        ts: ts(&args.ts, "--ts")?,
        remote_ts: ts(&args.remote_ts, "--remote-ts")?,
    };
    let only = args.sa.as_deref().map(parse_spi).transpose()?;
    let mut sas = recorded_sas(&args.input)?;
    if sas.is_empty() {
        bail!("{}: no IKE_SA_INIT request found", args.input);
    }
    if let Some(r) = args.frames {
        sas.retain(|s| r.contains(s.frame));
        if sas.is_empty() {
            bail!("{}: no IKE_SA_INIT request in frames {r}", args.input);
        }
    }
    if let Some(n) = args.count {
        sas.truncate(n);
    }
    if let Some(spi) = only {
        sas.retain(|s| s.spi_i == spi);
        if sas.is_empty() {
            bail!(
                "{}: no IKE SA with initiator SPI {}",
                args.input,
                hex_spi(spi)
            );
        }
    }
    let mut keylog = match &args.keylog {
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .with_context(|| format!("opening --keylog {p}"))?,
        ),
        None => None,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut all_ok = true;
    for sa in &sas {
        let report = rt.block_on(replay_sa(sa, &plan, &mut keylog));
        all_ok &= report.ok;
        if args.json {
            out.json(&ReplayRecord::new(&report))?;
        } else {
            print_text(&mut out, &report)?;
        }
        out.flush()?;
    }
    Ok(if all_ok { Status::Ok } else { Status::Findings })
}

/// The abbreviations strongSwan's log uses for the common notifies, which operators know;
/// other names are kept whole.
fn short_notify(name: &str) -> &str {
    match name {
        "NAT_DETECTION_SOURCE_IP" => "NATD_S_IP",
        "NAT_DETECTION_DESTINATION_IP" => "NATD_D_IP",
        "IKEV2_FRAGMENTATION_SUPPORTED" => "FRAG_SUP",
        "SIGNATURE_HASH_ALGORITHMS" => "HASH_ALG",
        "REDIRECT_SUPPORTED" => "REDIR_SUP",
        "CHILDLESS_IKEV2_SUPPORTED" => "CHDLESS_SUP",
        "MULTIPLE_AUTH_SUPPORTED" => "MULT_AUTH",
        "MOBIKE_SUPPORTED" => "MOBIKE_SUP",
        other => other,
    }
}

/// Width of a value column in the side-by-side table; longer values wrap.
const COLUMN: usize = 40;

/// `s` in lines of at most `width` characters, broken at spaces (a longer word stays whole).
fn wrap(s: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    lines.push(cur);
    lines
}

fn print_text(out: &mut Output, r: &SaReport) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} {} (frame {}, {} → {}) replayed to {}{}",
        "IKE SA".bold(),
        r.spi_i.bold(),
        r.frame,
        r.recorded_from,
        r.recorded_to,
        r.target,
        r.new_spi_i
            .as_ref()
            .map(|s| format!(" as SPIi {s}"))
            .unwrap_or_default()
    )?;
    let rec = r.recorded.rows();
    let now = r.now.rows();
    let width = rec
        .iter()
        .map(|(_, v)| v.chars().count())
        .max()
        .unwrap_or(8)
        .clamp(8, COLUMN);
    writeln!(
        out,
        "  {:<19} {}{}  {}",
        "",
        "recorded".underline(),
        " ".repeat(width - 8),
        "now".underline()
    )?;
    for ((label, a), (_, b)) in rec.iter().zip(&now) {
        let differs = a != b;
        let mark = if differs { "≠" } else { " " };
        let (la, lb) = (wrap(a, width), wrap(b, COLUMN));
        for i in 0..la.len().max(lb.len()) {
            let x = la.get(i).map_or("", String::as_str);
            let y = lb.get(i).map_or("", String::as_str);
            let y = if differs {
                y.yellow().bold().to_string()
            } else {
                y.to_owned()
            };
            let (m, l) = if i == 0 { (mark, *label) } else { (" ", "") };
            let line = format!("{m} {l:<19} {x:<width$}  {y}");
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    for n in &r.now.notes {
        writeln!(out, "  note: {n}")?;
    }
    for e in &r.exchanges {
        let arrow = if e.direction == "sent" { "→" } else { "←" };
        let tx = match e.transmissions {
            Some(n) if n > 1 => format!(" ({n} transmissions)"),
            _ => String::new(),
        };
        let mut names = e.notifies.iter();
        let list: Vec<String> = e
            .payloads
            .iter()
            .map(
                |p| match (p.as_str() == "N").then(|| names.next()).flatten() {
                    Some(n) => format!("N({})", short_notify(n)),
                    None => p.clone(),
                },
            )
            .collect();
        let payloads = match (list.is_empty(), e.encrypted) {
            (true, true) => "SK{}".to_owned(),
            (true, false) => "(no payloads)".to_owned(),
            (false, true) => format!("SK{{{}}}", list.join(" ")),
            (false, false) => list.join(" "),
        };
        writeln!(
            out,
            "  {arrow} {} #{} {payloads}{tx}",
            e.exchange, e.message_id
        )?;
    }
    if let Some(a) = &r.auth {
        let verdict = if a.success() {
            "IKE SA and CHILD_SA established".green().bold().to_string()
        } else if a.ike_sa {
            "IKE SA established, CHILD_SA not"
                .yellow()
                .bold()
                .to_string()
        } else {
            "failed".red().bold().to_string()
        };
        writeln!(out, "  IKE_AUTH: {verdict}")?;
        if let Some(id) = &a.id_r {
            writeln!(out, "    IDr {id}")?;
        }
        if let Some(l) = &a.local_auth {
            writeln!(
                out,
                "    our AUTH    {} {}, {} key of {} ({} CERT sent{})",
                l.method,
                l.algorithm,
                l.key,
                l.subject,
                l.certs_sent,
                if l.certreq_sent { ", CERTREQ sent" } else { "" }
            )?;
            match &l.certreq_answered {
                Some(c) if c.ca_hashes.is_empty() => writeln!(
                    out,
                    "    CERTREQ     the responder's CERTREQ names no CA key"
                )?,
                Some(c) => writeln!(
                    out,
                    "    CERTREQ     the responder asked for {} CA key(s): {}",
                    c.ca_hashes.len(),
                    if c.ours_requested {
                        "ours is among them"
                    } else {
                        "ours is not among them"
                    }
                )?,
                None => {}
            }
        }
        match (&a.peer_auth, a.responder_auth_ok) {
            (Some(p), _) => {
                for (i, c) in p.certificates.iter().enumerate() {
                    writeln!(
                        out,
                        "    {} {}  (issuer {}, {}, until {})",
                        if i == 0 { "CERT       " } else { "  chain    " },
                        c.subject,
                        c.issuer,
                        c.key.map_or_else(|| "key ?".to_string(), |k| k.to_string()),
                        c.not_after
                    )?;
                }
                let chain = if p.chain_ok {
                    p.chain.green().to_string()
                } else {
                    p.chain.yellow().to_string()
                };
                writeln!(out, "    path        {chain}")?;
                if let Some(c) = &p.id_check {
                    match c.status {
                        IdCheckStatus::Mismatch => writeln!(
                            out,
                            "    identity    {} {} ({})",
                            "FAILED:".red().bold(),
                            c.detail,
                            c.rfc.as_deref().unwrap_or("")
                        )?,
                        IdCheckStatus::Match => writeln!(out, "    identity    {}", c.detail)?,
                        IdCheckStatus::NotChecked => {
                            writeln!(out, "    identity    not checked: {}", c.detail)?
                        }
                    }
                }
                let alg = p.algorithm.as_deref().unwrap_or("?");
                if p.signature_ok {
                    writeln!(out, "    responder's AUTH verified: {} {alg}", p.method)?;
                } else {
                    writeln!(
                        out,
                        "    {} {} {alg}: {}",
                        "responder's AUTH does NOT verify:".red(),
                        p.method,
                        p.reason.as_deref().unwrap_or("")
                    )?;
                }
            }
            (None, Some(true)) => writeln!(out, "    responder's AUTH verified with the PSK")?,
            (None, Some(false)) => writeln!(
                out,
                "    {}",
                "responder's AUTH does NOT verify with the PSK".red()
            )?,
            (None, None) => {}
        }
        if let Some(p) = &a.ppk {
            writeln!(
                out,
                "    PPK         {} PPK_ID {:?}: {}",
                if p.mandatory { "mandatory" } else { "optional" },
                p.ppk_id,
                p.answer
            )?;
        }
        if let Some(c) = &a.child_sa {
            writeln!(out, "    CHILD_SA {}", c.text)?;
            writeln!(
                out,
                "    TSi {}  TSr {}",
                a.ts_i.join(", "),
                a.ts_r.join(", ")
            )?;
        }
        if let Some(e) = &a.error {
            writeln!(out, "    {} {}", "error:".red().bold(), e.name)?;
            if let Some(m) = &e.meaning {
                writeln!(out, "      {m}")?;
            }
            if let Some(c) = &e.check {
                writeln!(out, "      check: {c}")?;
            }
        }
    }
    if let Some(d) = &r.delete {
        writeln!(out, "  {d}")?;
    }
    for n in &r.notes {
        writeln!(out, "  note: {n}")?;
    }
    if let Some(e) = &r.error {
        writeln!(out, "  {} {e}", "error:".red().bold())?;
    }
    writeln!(out)?;
    Ok(())
}
