//! Capture analysis behind `ietfwg ikev2 summary` and `ietfwg ikev2 audit`: the IKE messages of
//! a capture, in order, become one [`SaSummary`] per IKE SA — the message ladder, the offered and
//! chosen proposals, NAT detection, fragmentation, the outcome, and findings that explain
//! failures in plain words with what to check.
//!
//! Sans-I/O: the caller (the CLI's capture driver) extracts each IKE message, parses it with
//! [`Message::parse`], optionally decrypts its SK/SKF payload, and hands it in as an
//! [`Observed`]; [`Analyzer::finish`] returns the summaries.
//!
//! How the SAs are told apart (RFC 7296 §2.6, §2.18):
//! - an IKE SA is keyed by the **initiator's SPI**; the responder's SPI appears in responses;
//!   IKE_SA_INIT retried after INVALID_KE_PAYLOAD or COOKIE keeps the initiator's SPI and stays
//!   the same SA;
//! - the **I flag** (not the addresses, which change when the peers float to port 4500) says
//!   which side sent a message; requests and responses pair by (requester, Message ID) —
//!   each side numbers the requests it sends (§2.2);
//! - a rekeyed IKE SA (CREATE_CHILD_SA whose SA payload proposes protocol IKE, §1.3.2) is a new
//!   SA with the SPIs of the proposals; its link to the old SA is visible only when the SK
//!   payload is decrypted.
//!
//! What the analysis **sees** and what it **infers** is kept apart: a [`Finding`] says which
//! ([`Evidence`]). Error notifies inside an SK payload (AUTHENTICATION_FAILED,
//! TS_UNACCEPTABLE…) are seen only with keys; without them some outcomes are inferred from
//! sizes and from the traffic that follows, and the finding says so.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};

use sha1::{Digest, Sha1};

use crate::analysis::explain;
use crate::wire::message::Message;
use crate::wire::payload::{
    notify_type as nt, GatewayId, IdValue, NotifyData, Payload, PayloadBody, Proposal,
    TrafficSelector,
};
use crate::wire::registry::{
    AuthMethod, EncrId, ExchangeType, IntegId, KeId, NotifyType, PayloadType, PrfId, ProtocolId,
    TransformType,
};

/// One IKE message as the capture saw it.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// Frame number in the capture (1-based, as Wireshark counts). For a message the capture
    /// driver reassembled from IP fragments, the frame that completed it.
    pub frame: u64,
    /// Capture timestamp, nanoseconds since the Unix epoch.
    pub time_nanos: u64,
    /// UDP (or TCP) source address and port.
    pub src: SocketAddr,
    /// UDP (or TCP) destination address and port.
    pub dst: SocketAddr,
    /// The IKE message, from the first byte of the IKE header (no non-ESP marker).
    pub bytes: &'a [u8],
    /// `bytes`, parsed.
    pub message: &'a Message,
    /// The payloads inside the SK payload when keys were given and it decrypted (ICV
    /// verified). For SKF: `Some` only at the fragment that completed the message, holding the
    /// reassembled inner chain; `None` at the other fragments.
    pub decrypted: Option<&'a [Payload]>,
    /// How many IP fragments carried this datagram: 0 or 1 when it was not fragmented by IP.
    pub ip_fragments: usize,
}

/// Which side of the IKE SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The original initiator (the I flag, RFC 7296 §3.1).
    Initiator,
    /// The original responder.
    Responder,
}

impl Side {
    /// `"initiator"` or `"responder"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Initiator => "initiator",
            Side::Responder => "responder",
        }
    }
}

/// Direction of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sent by the original initiator (I flag set).
    InitiatorToResponder,
    /// Sent by the original responder.
    ResponderToInitiator,
}

impl Direction {
    /// `"→"` (initiator to responder) or `"←"`.
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::InitiatorToResponder => "→",
            Direction::ResponderToInitiator => "←",
        }
    }
}

/// One row of the message ladder.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LadderEntry {
    /// Frame number.
    pub frame: u64,
    /// Capture time, nanoseconds since the Unix epoch.
    pub time_nanos: u64,
    /// Milliseconds since the SA's first message.
    pub rel_ms: f64,
    /// Who sent it.
    pub direction: Direction,
    /// Exchange type name (or number).
    pub exchange: String,
    /// Message ID.
    pub message_id: u32,
    /// The R flag.
    pub response: bool,
    /// Outer payloads: `SA`, `KE`, `Ni`/`Nr`, `N(NAT_DETECTION_SOURCE_IP)`, `V`, `SK`,
    /// `SKF(1/3)`…
    pub payloads: Vec<String>,
    /// Payloads inside SK/SKF when decrypted (for SKF: at the fragment that completed it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner: Option<Vec<String>>,
    /// Notify types, outer and inner, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifies: Vec<String>,
    /// Size of the IKE message in bytes (IKE header included, non-ESP marker excluded).
    pub size: usize,
    /// IP fragments that carried it, when more than one.
    #[serde(skip_serializing_if = "is_le_one")]
    pub ip_fragments: usize,
    /// This message repeats the one in that frame (same direction, Message ID, exchange and
    /// fragment; same bytes, or same length with no response in between).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retransmission_of: Option<u64>,
    /// On the first copy: how many retransmissions followed.
    #[serde(skip_serializing_if = "is_zero")]
    pub retransmissions: usize,
    /// On a request: the frame of its response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_by: Option<u64>,
    /// On a response: the frame of its request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<u64>,
    /// A request for which the capture holds no response.
    #[serde(skip_serializing_if = "is_false")]
    pub unanswered: bool,
}

fn is_le_one(v: &usize) -> bool {
    *v <= 1
}
fn is_zero(v: &usize) -> bool {
    *v == 0
}
fn is_false(v: &bool) -> bool {
    !*v
}

/// A port or address change of one side.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EndpointChange {
    /// The first frame with the new endpoint.
    pub frame: u64,
    /// Whose endpoint.
    pub side: Side,
    /// Before.
    pub from: SocketAddr,
    /// After.
    pub to: SocketAddr,
    /// E.g. "floated to 4500 (NAT-T, RFC 7296 §2.23)".
    pub note: String,
}

/// One transform of a proposal, raw (for the audit) and named.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TransformEntry {
    /// Transform Type.
    pub transform_type: TransformType,
    /// Transform ID.
    pub id: u16,
    /// Key Length attribute, bits.
    pub key_length: Option<u16>,
    /// Display name, e.g. `ENCR_AES_CBC_128`, `2048-bit MODP Group (14)`.
    pub name: String,
}

/// A proposal, transform names grouped by type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProposalSummary {
    /// Proposal Num.
    pub number: u8,
    /// 1-based position in its SA payload (1 = the most preferred).
    pub position: usize,
    /// Protocol ID name: IKE, ESP, AH.
    pub protocol: String,
    /// SPI (hex): empty in IKE_SA_INIT; the new IKE SPI in an IKE rekey; the Child SA's
    /// inbound SPI for ESP/AH.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spi: Option<String>,
    /// Encryption algorithms (with key length).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub encr: Vec<String>,
    /// Pseudorandom functions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prf: Vec<String>,
    /// Integrity algorithms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub integ: Vec<String>,
    /// Key exchange methods (Transform Type 4).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ke: Vec<String>,
    /// Additional key exchanges (RFC 9370), `ADDKE1`…`ADDKE7`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub addke: BTreeMap<String, Vec<String>>,
    /// Sequence number transforms (ESN / NO_ESN).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub esn: Vec<String>,
    /// Other transform types.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
    /// One line: `#1 IKE: ENCR_AES_CBC_128 / PRF_HMAC_SHA2_256 / AUTH_HMAC_SHA2_256_128 /
    /// 2048-bit MODP Group (14)`.
    pub text: String,
    /// Every transform in wire order.
    pub transforms: Vec<TransformEntry>,
}

/// What the initiator offered in one IKE_SA_INIT request (or IKE rekey).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Offer {
    /// Frame of the request.
    pub frame: u64,
    /// The group of the KE payload sent with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ke_group: Option<String>,
    /// The request carried N(COOKIE) (a retry after the responder asked for one).
    #[serde(skip_serializing_if = "is_false")]
    pub cookie: bool,
    /// The proposals, in order of preference.
    pub proposals: Vec<ProposalSummary>,
}

/// The responder's choice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Chosen {
    /// Frame of the response.
    pub frame: u64,
    /// The group of the responder's KE payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ke_group: Option<String>,
    /// The chosen proposal.
    pub proposal: ProposalSummary,
}

/// Traffic selectors of one message, as text (`127.0.0.0/24`, `10.0.0.1-10.0.0.9 proto 17
/// port 500`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TsPair {
    /// TSi.
    pub ts_i: Vec<String>,
    /// TSr.
    pub ts_r: Vec<String>,
}

/// What became of a Child SA negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildStatus {
    /// The response carries the chosen SA.
    Created,
    /// The response carries an error notify instead.
    Failed,
    /// No response in the capture.
    Unanswered,
    /// Not decrypted: the contents are not visible.
    Encrypted,
}

/// A Child SA negotiation (IKE_AUTH or CREATE_CHILD_SA), when it is visible.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChildSa {
    /// IKE_AUTH or CREATE_CHILD_SA.
    pub exchange: String,
    /// Frame of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_frame: Option<u64>,
    /// Frame of the response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_frame: Option<u64>,
    /// The SPI of the Child SA this one rekeys (N(REKEY_SA)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rekey_of: Option<String>,
    /// The requester's proposals.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offered: Vec<ProposalSummary>,
    /// The chosen proposal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen: Option<ProposalSummary>,
    /// Traffic selectors of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposed_ts: Option<TsPair>,
    /// Traffic selectors of the response (possibly narrowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_ts: Option<TsPair>,
    /// Outcome.
    pub status: ChildStatus,
    /// One line, e.g. "created: ESP ENCR_AES_GCM_16_128" or "failed: NO_PROPOSAL_CHOSEN".
    pub status_text: String,
}

/// An IKE SA rekey seen in a decrypted CREATE_CHILD_SA (RFC 7296 §1.3.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IkeRekey {
    /// Frame of the request.
    pub request_frame: u64,
    /// Frame of the response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_frame: Option<u64>,
    /// Who started the rekey (it becomes the new SA's initiator).
    pub by: Side,
    /// The new IKE SA's initiator SPI (from the request's proposal).
    pub new_spi_i: String,
    /// The new IKE SA's responder SPI (from the response's proposal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_spi_r: Option<String>,
    /// The requester's proposals.
    pub offered: Vec<ProposalSummary>,
    /// The chosen one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen: Option<ProposalSummary>,
}

/// A Delete payload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeleteSeen {
    /// Frame.
    pub frame: u64,
    /// Who sent it.
    pub by: Side,
    /// In a request (a deletion) or in the response (the peer's matching deletion).
    pub response: bool,
    /// IKE, ESP, AH.
    pub protocol: String,
    /// The SPIs (none for IKE: the header names the SA).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spis: Vec<String>,
}

/// Identities and authentication methods, when decrypted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Identities {
    /// IDi.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiator: Option<String>,
    /// IDr.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder: Option<String>,
    /// The initiator's AUTH method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiator_auth: Option<String>,
    /// The responder's AUTH method.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder_auth: Option<String>,
}

/// How much of the encrypted traffic was decrypted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Decryption {
    /// Messages with an SK payload, or SKF fragment sets.
    pub encrypted_messages: usize,
    /// Of those, how many came with decrypted payloads.
    pub decrypted_messages: usize,
}

/// NAT detection verdict (RFC 7296 §2.23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NatOutcome {
    /// All hashes match the addresses in the capture.
    NoNat,
    /// The initiator's address is translated.
    InitiatorBehindNat,
    /// The responder's address is translated.
    ResponderBehindNat,
    /// Both.
    BothBehindNat,
    /// Hashes present but they don't match the addresses in this capture in a way a NAT
    /// between the peers explains (capture taken behind a NAT, or a peer faking NAT).
    HashesDontMatchCapture,
    /// No NAT_DETECTION notifies in IKE_SA_INIT.
    NotDetected,
    /// No IKE_SA_INIT in the capture.
    Unknown,
}

/// One NAT detection hash compared with the capture.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NatCheck {
    /// Frame.
    pub frame: u64,
    /// Who sent the notify.
    pub sender: Side,
    /// NAT_DETECTION_SOURCE_IP or NAT_DETECTION_DESTINATION_IP.
    pub notify: String,
    /// Whose address the hash is about.
    pub about: Side,
    /// The address the capture shows for it (the datagram's source or destination).
    pub address: SocketAddr,
    /// SHA-1(SPIi | SPIr | IP | port) of that address equals the notify data.
    pub matches: bool,
}

/// NAT detection summary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Nat {
    /// Verdict.
    pub outcome: NatOutcome,
    /// The verdict in words, naming each hash that doesn't match.
    pub text: String,
    /// Every hash checked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<NatCheck>,
}

/// One message sent as SKF fragments (RFC 7383).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkfMessage {
    /// Exchange name.
    pub exchange: String,
    /// Message ID.
    pub message_id: u32,
    /// Sender.
    pub direction: Direction,
    /// The R flag.
    pub response: bool,
    /// Total Fragments.
    pub total: u16,
    /// Fragment numbers seen (each once).
    pub seen: Vec<u16>,
    /// Frames, in order (retransmissions included).
    pub frames: Vec<u64>,
}

/// A message fragmented by IP.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IpFragmented {
    /// Frame that completed it.
    pub frame: u64,
    /// Exchange name.
    pub exchange: String,
    /// IKE message size.
    pub size: usize,
    /// Number of IP fragments.
    pub fragments: usize,
}

/// Fragmentation summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Fragmentation {
    /// N(IKEV2_FRAGMENTATION_SUPPORTED) in the initiator's IKE_SA_INIT.
    pub initiator_supported: bool,
    /// N(IKEV2_FRAGMENTATION_SUPPORTED) in the responder's IKE_SA_INIT.
    pub responder_supported: bool,
    /// Messages sent as SKF fragments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skf: Vec<SkfMessage>,
    /// Messages fragmented by IP (as the capture driver reports).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ip_fragmented: Vec<IpFragmented>,
}

/// Outcome of the IKE SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Established (seen: AUTH in the IKE_AUTH response; or inferred, see `outcome_inferred`).
    Established,
    /// Failed: an error notify, or requests retransmitted without answer.
    Failed,
    /// The capture ends before the SA was established or failed.
    Incomplete,
}

/// Finding severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Something failed.
    Error,
    /// Something is off.
    Warning,
    /// Worth knowing.
    Info,
}

/// Whether a finding is what the capture shows or a conclusion drawn from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// Seen in the capture (a notify, a payload, a missing response).
    Seen,
    /// Inferred (from sizes, timing, what follows): decrypt to confirm.
    Inferred,
}

/// A finding: what happened, in plain words, and what to check.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// error, warning, info.
    pub severity: Severity,
    /// A notify name (`NO_PROPOSAL_CHOSEN`) or one of `UNANSWERED`, `RETRANSMITTED`,
    /// `NAT`, `IKE_FRAGMENTATION`, `IP_FRAGMENTATION`, `NOT_DECRYPTED`, `NO_IKE_SA_INIT`,
    /// `IKE_REKEY`, `SPI_R_CHANGED`.
    pub code: String,
    /// What happened.
    pub text: String,
    /// What to check (empty when nothing needs checking).
    pub check: String,
    /// Seen or inferred.
    pub evidence: Evidence,
    /// The frames it is about.
    pub frames: Vec<u64>,
}

/// Everything about one IKE SA.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SaSummary {
    /// Initiator's SPI, 16 hex digits: the key.
    pub spi_i: String,
    /// Responder's SPI, when a response carried one.
    pub spi_r: Option<String>,
    /// The initiator's address and port as first seen.
    pub initiator: SocketAddr,
    /// The responder's address and port as first seen.
    pub responder: SocketAddr,
    /// Later changes (NAT-T float, MOBIKE).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub endpoint_changes: Vec<EndpointChange>,
    /// First frame.
    pub first_frame: u64,
    /// Last frame.
    pub last_frame: u64,
    /// First to last message, milliseconds.
    pub duration_ms: f64,
    /// Outcome.
    pub outcome: Outcome,
    /// The outcome in words.
    pub outcome_text: String,
    /// True when the outcome is inferred (encrypted IKE_AUTH without keys).
    pub outcome_inferred: bool,
    /// How the SA ended, when seen: deleted or rekeyed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// How much was decrypted.
    pub decryption: Decryption,
    /// Identities (decrypted IKE_AUTH).
    pub identities: Identities,
    /// The initiator's last IKE_SA_INIT offer (or, for an SA made by rekeying, the rekey's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered: Option<Offer>,
    /// Earlier different offers of retried IKE_SA_INIT requests (oldest first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub offered_earlier: Vec<Offer>,
    /// The responder's choice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen: Option<Chosen>,
    /// Child SA negotiations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub child_sas: Vec<ChildSa>,
    /// The IKE SA this one replaced (decrypted CREATE_CHILD_SA of the old one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rekeyed_from: Option<String>,
    /// This SA's rekey into a new IKE SA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rekeyed_to: Option<IkeRekey>,
    /// Delete payloads (decrypted INFORMATIONAL).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deletes: Vec<DeleteSeen>,
    /// NAT detection.
    pub nat: Nat,
    /// Fragmentation.
    pub fragmentation: Fragmentation,
    /// Every message, in time order.
    pub ladder: Vec<LadderEntry>,
    /// Findings: errors first, then warnings, then info.
    pub findings: Vec<Finding>,
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/// Display name of a transform: `ENCR_AES_CBC_128`, `PRF_HMAC_SHA2_256`,
/// `AUTH_HMAC_SHA2_256_128`, `2048-bit MODP Group (14)`, `NO_ESN`; unassigned IDs as
/// `ENCR#99`.
pub fn transform_name(t: TransformType, id: u16, key_length: Option<u16>) -> String {
    let base = match t.0 {
        1 => EncrId(id).name().map(str::to_owned),
        2 => PrfId(id).name().map(str::to_owned),
        3 => IntegId(id).name().map(str::to_owned),
        4 | 6..=12 => KeId(id).name().map(|n| format!("{n} ({id})")),
        5 => match id {
            0 => Some("NO_ESN".to_owned()),
            1 => Some("ESN".to_owned()),
            _ => None,
        },
        _ => None,
    };
    let base = base.unwrap_or_else(|| format!("{}#{id}", t.short().unwrap_or("TRANSFORM")));
    match key_length {
        Some(k) => format!("{base}_{k}"),
        None => base,
    }
}

/// Summarises one proposal (`position` is 1-based).
pub fn summarize_proposal(p: &Proposal, position: usize) -> ProposalSummary {
    let mut s = ProposalSummary {
        number: p.proposal_num,
        position,
        protocol: p.protocol_id.to_string(),
        spi: (!p.spi.is_empty()).then(|| hex::encode(&p.spi)),
        encr: Vec::new(),
        prf: Vec::new(),
        integ: Vec::new(),
        ke: Vec::new(),
        addke: BTreeMap::new(),
        esn: Vec::new(),
        other: Vec::new(),
        text: String::new(),
        transforms: Vec::new(),
    };
    for t in &p.transforms {
        let id = t.transform_id.value();
        let kl = t.key_length();
        let name = transform_name(t.transform_type, id, kl);
        match t.transform_type.0 {
            1 => s.encr.push(name.clone()),
            2 => s.prf.push(name.clone()),
            3 => s.integ.push(name.clone()),
            4 => s.ke.push(name.clone()),
            5 => s.esn.push(name.clone()),
            6..=12 => s
                .addke
                .entry(t.transform_type.short().unwrap_or("ADDKE").to_owned())
                .or_default()
                .push(name.clone()),
            _ => s.other.push(name.clone()),
        }
        s.transforms.push(TransformEntry {
            transform_type: t.transform_type,
            id,
            key_length: kl,
            name,
        });
    }
    let mut groups: Vec<String> = Vec::new();
    for list in [&s.encr, &s.prf, &s.integ, &s.ke] {
        if !list.is_empty() {
            groups.push(list.join(","));
        }
    }
    for (k, list) in &s.addke {
        groups.push(format!("{k}={}", list.join(",")));
    }
    for list in [&s.esn, &s.other] {
        if !list.is_empty() {
            groups.push(list.join(","));
        }
    }
    s.text = format!("#{} {}: {}", s.number, s.protocol, groups.join(" / "));
    s
}

fn exchange_name(x: ExchangeType) -> String {
    x.to_string()
}

fn notify_name(t: NotifyType) -> String {
    t.to_string()
}

fn side_of(from_initiator: bool) -> Side {
    if from_initiator {
        Side::Initiator
    } else {
        Side::Responder
    }
}

fn ke_name(g: KeId) -> String {
    transform_name(TransformType::KE, g.0, None)
}

fn id_text(v: &IdValue, data: &[u8]) -> String {
    match v {
        IdValue::Ipv4Addr(a) => a.to_string(),
        IdValue::Ipv6Addr(a) => a.to_string(),
        IdValue::Fqdn(s) | IdValue::Rfc822Addr(s) | IdValue::DerAsn1Dn(s) | IdValue::FcName(s) => {
            s.clone()
        }
        IdValue::Null => "(ID_NULL)".to_owned(),
        IdValue::Opaque | IdValue::Malformed { .. } => hex::encode(data),
    }
}

/// A traffic selector as text: `127.0.0.0/24`, `10.0.0.1-10.0.0.9`, plus ` proto N` and
/// ` port P` / ` ports A-B` when restricted.
pub fn ts_text(ts: &TrafficSelector) -> String {
    let (range, proto, sp, ep) = match ts {
        TrafficSelector::Ipv4Range {
            ip_protocol,
            start_port,
            end_port,
            start,
            end,
        } => (
            range_text(
                u128::from(u32::from(*start)),
                u128::from(u32::from(*end)),
                32,
                || (start.to_string(), end.to_string()),
            ),
            *ip_protocol,
            *start_port,
            *end_port,
        ),
        TrafficSelector::Ipv6Range {
            ip_protocol,
            start_port,
            end_port,
            start,
            end,
        } => (
            range_text(u128::from(*start), u128::from(*end), 128, || {
                (start.to_string(), end.to_string())
            }),
            *ip_protocol,
            *start_port,
            *end_port,
        ),
        TrafficSelector::SecLabel { label, .. } => {
            return format!("seclabel {}", String::from_utf8_lossy(label))
        }
        TrafficSelector::Unknown { .. } => return "TS of unknown type".to_owned(),
    };
    let mut out = range;
    if proto != 0 {
        out.push_str(&format!(" proto {proto}"));
    }
    if !(sp == 0 && ep == 65535) {
        if sp == ep {
            out.push_str(&format!(" port {sp}"));
        } else {
            out.push_str(&format!(" ports {sp}-{ep}"));
        }
    }
    out
}

/// `start/len` when [start, end] is a prefix, else `start-end` (or one address).
fn range_text(start: u128, end: u128, bits: u32, show: impl Fn() -> (String, String)) -> String {
    let (s, e) = show();
    if start == end {
        return s;
    }
    if end < start {
        return format!("{s}-{e}");
    }
    let span = start ^ end;
    // span must be 2^k - 1 and start must have zero host bits.
    if span.checked_add(1).is_some_and(u128::is_power_of_two) && start & span == 0 {
        let host = 128 - span.leading_zeros();
        if host <= bits {
            return format!("{s}/{}", bits - host);
        }
    } else if span == u128::MAX && start == 0 {
        return format!("{s}/0");
    }
    format!("{s}-{e}")
}

// ---------------------------------------------------------------------------------------------
// NAT detection (RFC 7296 §2.23)
// ---------------------------------------------------------------------------------------------

/// NAT_DETECTION_*_IP data: SHA-1(SPIi | SPIr | IP | port), the SPIs as in the header of the
/// message that carries the notify (SPIr is zero in the IKE_SA_INIT request), the address as 4
/// or 16 bytes, the port big-endian (RFC 7296 §2.23).
pub fn nat_detection_hash(spi_i: u64, spi_r: u64, addr: SocketAddr) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(spi_i.to_be_bytes());
    h.update(spi_r.to_be_bytes());
    match addr.ip() {
        IpAddr::V4(a) => h.update(a.octets()),
        IpAddr::V6(a) => h.update(a.octets()),
    }
    h.update(addr.port().to_be_bytes());
    h.finalize().into()
}

// ---------------------------------------------------------------------------------------------
// What push() keeps of each message
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Note {
    t: NotifyType,
    data: NotifyData,
    spi: Vec<u8>,
    inner: bool,
}

#[derive(Debug, Clone, Copy)]
struct NatRec {
    /// DESTINATION (else SOURCE).
    dest: bool,
    matches: bool,
}

#[derive(Debug, Clone)]
struct Rec {
    frame: u64,
    time: u64,
    src: SocketAddr,
    dst: SocketAddr,
    size: usize,
    ip_fragments: usize,
    spi_r: u64,
    exchange: ExchangeType,
    from_initiator: bool,
    response: bool,
    message_id: u32,
    digest: u64,
    outer: Vec<String>,
    inner: Option<Vec<String>>,
    notifies: Vec<Note>,
    sa: Option<Vec<Proposal>>,
    ke: Option<KeId>,
    ts_i: Option<Vec<String>>,
    ts_r: Option<Vec<String>>,
    deletes: Vec<(ProtocolId, Vec<String>)>,
    id_i: Option<String>,
    id_r: Option<String>,
    auth: Option<AuthMethod>,
    eap: bool,
    skf: Option<(u16, u16)>,
    sk_data_len: Option<usize>,
    encrypted: bool,
    decrypted: bool,
    nat: Vec<NatRec>,
}

impl Rec {
    fn has_notify(&self, t: NotifyType) -> bool {
        self.notifies.iter().any(|n| n.t == t)
    }

    fn direction(&self) -> Direction {
        if self.from_initiator {
            Direction::InitiatorToResponder
        } else {
            Direction::ResponderToInitiator
        }
    }

    fn new(m: &Observed<'_>) -> Rec {
        let h = &m.message.header;
        let mut digest = std::collections::hash_map::DefaultHasher::new();
        m.bytes.hash(&mut digest);
        let mut r = Rec {
            frame: m.frame,
            time: m.time_nanos,
            src: m.src,
            dst: m.dst,
            size: m.bytes.len(),
            ip_fragments: m.ip_fragments,
            spi_r: h.spi_r,
            exchange: h.exchange,
            from_initiator: h.initiator(),
            response: h.response(),
            message_id: h.message_id,
            digest: digest.finish(),
            outer: Vec::new(),
            inner: None,
            notifies: Vec::new(),
            sa: None,
            ke: None,
            ts_i: None,
            ts_r: None,
            deletes: Vec::new(),
            id_i: None,
            id_r: None,
            auth: None,
            eap: false,
            skf: None,
            sk_data_len: None,
            encrypted: false,
            decrypted: m.decrypted.is_some(),
            nat: Vec::new(),
        };
        r.outer = r.collect(&m.message.payloads, false);
        if let Some(inner) = m.decrypted {
            r.inner = Some(r.collect(inner, true));
        }
        for n in r.notifies.iter().filter(|n| !n.inner) {
            let dest = match n.t {
                nt::NAT_DETECTION_SOURCE_IP => false,
                nt::NAT_DETECTION_DESTINATION_IP => true,
                _ => continue,
            };
            let NotifyData::NatDetectionHash(data) = &n.data else {
                r.nat.push(NatRec {
                    dest,
                    matches: false,
                });
                continue;
            };
            let addr = if dest { m.dst } else { m.src };
            let want = nat_detection_hash(h.spi_i, h.spi_r, addr);
            r.nat.push(NatRec {
                dest,
                matches: data.as_slice() == want.as_slice(),
            });
        }
        r
    }

    /// Records what matters of `payloads`; returns their short names.
    fn collect(&mut self, payloads: &[Payload], inner: bool) -> Vec<String> {
        let mut names = Vec::with_capacity(payloads.len());
        for p in payloads {
            let name = match &p.body {
                PayloadBody::Notify(n) => {
                    self.notifies.push(Note {
                        t: n.notify_type,
                        data: n.decoded.clone(),
                        spi: n.spi.clone(),
                        inner,
                    });
                    format!("N({})", notify_name(n.notify_type))
                }
                PayloadBody::Sa(sa) => {
                    if self.sa.is_none() {
                        self.sa = Some(sa.proposals.to_vec());
                    }
                    "SA".to_owned()
                }
                PayloadBody::Ke(ke) => {
                    self.ke.get_or_insert(ke.group);
                    "KE".to_owned()
                }
                PayloadBody::Nonce(_) => if self.from_initiator { "Ni" } else { "Nr" }.to_owned(),
                PayloadBody::Ts(ts) => {
                    let list: Vec<String> = ts.selectors.iter().map(ts_text).collect();
                    if p.payload_type == PayloadType::TSI {
                        self.ts_i = Some(list);
                    } else {
                        self.ts_r = Some(list);
                    }
                    short(p.payload_type)
                }
                PayloadBody::Id(id) => {
                    let text = id_text(&id.value, &id.data);
                    if p.payload_type == PayloadType::IDI {
                        self.id_i = Some(text);
                    } else {
                        self.id_r = Some(text);
                    }
                    short(p.payload_type)
                }
                PayloadBody::Auth(a) => {
                    self.auth = Some(a.method);
                    "AUTH".to_owned()
                }
                PayloadBody::Eap(_) => {
                    self.eap = true;
                    "EAP".to_owned()
                }
                PayloadBody::Delete(d) => {
                    self.deletes.push((
                        d.protocol_id,
                        d.spis.iter().map(|s| hex::encode(&s.0)).collect(),
                    ));
                    "D".to_owned()
                }
                PayloadBody::Sk(sk) => {
                    self.encrypted = true;
                    self.sk_data_len = Some(sk.data.len());
                    "SK".to_owned()
                }
                PayloadBody::Skf(f) => {
                    self.encrypted = true;
                    self.skf = Some((f.fragment_number, f.total_fragments));
                    format!("SKF({}/{})", f.fragment_number, f.total_fragments)
                }
                _ => short(p.payload_type),
            };
            names.push(name);
        }
        names
    }
}

fn short(t: PayloadType) -> String {
    t.short()
        .map_or_else(|| format!("type-{}", t.0), str::to_owned)
}

// ---------------------------------------------------------------------------------------------
// The analyzer
// ---------------------------------------------------------------------------------------------

/// Collects the messages of a capture and groups them by IKE SA.
#[derive(Debug, Default)]
pub struct Analyzer {
    sas: Vec<(u64, Vec<Rec>)>,
    index: HashMap<u64, usize>,
    capture_end: u64,
}

impl Analyzer {
    /// An empty analyzer.
    pub fn new() -> Self {
        Analyzer::default()
    }

    /// Adds one message (in capture order).
    pub fn push(&mut self, m: &Observed<'_>) {
        self.capture_end = self.capture_end.max(m.time_nanos);
        let rec = Rec::new(m);
        let spi_i = m.message.header.spi_i;
        let at = *self.index.entry(spi_i).or_insert_with(|| {
            self.sas.push((spi_i, Vec::new()));
            self.sas.len() - 1
        });
        if let Some((_, list)) = self.sas.get_mut(at) {
            list.push(rec);
        }
    }

    /// One summary per IKE SA, in order of first appearance; rekeyed SAs linked.
    pub fn finish(self) -> Vec<SaSummary> {
        let end = self.capture_end;
        let mut out: Vec<(SaSummary, Option<u64>)> = self
            .sas
            .into_iter()
            .filter(|(_, recs)| !recs.is_empty())
            .map(|(spi, recs)| analyze(spi, recs, end))
            .collect();
        link_rekeys(&mut out);
        out.into_iter().map(|(s, _)| s).collect()
    }
}

/// Links each decrypted IKE rekey to the new SA it created; without keys, points an SA that
/// appears without IKE_SA_INIT at the encrypted CREATE_CHILD_SA that probably created it.
fn link_rekeys(sas: &mut [(SaSummary, Option<u64>)]) {
    link_decrypted_rekeys(sas);
    for new_i in 0..sas.len() {
        let Some((new, _)) = sas.get(new_i) else {
            continue;
        };
        if new.rekeyed_from.is_some() || !new.findings.iter().any(|f| f.code == "NO_IKE_SA_INIT") {
            continue;
        }
        let hosts = |s: &SaSummary| {
            let mut v = [s.initiator.ip(), s.responder.ip()];
            v.sort();
            v
        };
        let (first, want) = (new.first_frame, hosts(new));
        // The latest answered, encrypted CREATE_CHILD_SA between the same hosts before it.
        let mut best: Option<(usize, u64, u64, String)> = None;
        for (old_i, (old, _)) in sas.iter().enumerate() {
            if old_i == new_i || hosts(old) != want {
                continue;
            }
            for c in &old.child_sas {
                let (Some(q), Some(r)) = (c.request_frame, c.response_frame) else {
                    continue;
                };
                if c.status == ChildStatus::Encrypted
                    && r < first
                    && best.as_ref().is_none_or(|b| r > b.2)
                {
                    best = Some((old_i, q, r, old.spi_i.clone()));
                }
            }
        }
        let Some((old_i, q, r, old_spi)) = best else {
            continue;
        };
        let new_spi = sas
            .get(new_i)
            .map(|(s, _)| s.spi_i.clone())
            .unwrap_or_default();
        if let Some((new, _)) = sas.get_mut(new_i) {
            for f in new
                .findings
                .iter_mut()
                .filter(|f| f.code == "NO_IKE_SA_INIT")
            {
                f.text.push_str(&format!(
                    "; probably the rekey of IKE SA {old_spi}: its encrypted CREATE_CHILD_SA (frames {q}–{r}) comes just before, between the same hosts"
                ));
                f.frames.extend([q, r]);
            }
        }
        if let Some((old, _)) = sas.get_mut(old_i) {
            for c in old
                .child_sas
                .iter_mut()
                .filter(|c| c.response_frame == Some(r))
            {
                c.status_text = format!("encrypted: probably the IKE SA rekey that created IKE SA {new_spi} (inferred; decrypt to confirm)");
            }
        }
    }
}

fn link_decrypted_rekeys(sas: &mut [(SaSummary, Option<u64>)]) {
    let links: Vec<(usize, u64)> = sas
        .iter()
        .enumerate()
        .filter_map(|(i, (_, new))| new.map(|n| (i, n)))
        .collect();
    for (old_i, new_spi) in links {
        let new_key = format!("{new_spi:016x}");
        let Some(rekey) = sas.get(old_i).and_then(|(s, _)| s.rekeyed_to.clone()) else {
            continue;
        };
        let old_spi = sas
            .get(old_i)
            .map(|(s, _)| s.spi_i.clone())
            .unwrap_or_default();
        let Some((new, _)) = sas.iter_mut().find(|(s, _)| s.spi_i == new_key) else {
            continue;
        };
        new.rekeyed_from = Some(old_spi.clone());
        if new.offered.is_none() {
            new.offered = Some(Offer {
                frame: rekey.request_frame,
                ke_group: None,
                cookie: false,
                proposals: rekey.offered.clone(),
            });
        }
        if new.chosen.is_none() {
            if let (Some(p), Some(f)) = (rekey.chosen.clone(), rekey.response_frame) {
                new.chosen = Some(Chosen {
                    frame: f,
                    ke_group: None,
                    proposal: p,
                });
            }
        }
        new.findings.retain(|f| f.code != "NO_IKE_SA_INIT");
        if new.outcome == Outcome::Established && rekey.response_frame.is_some() {
            new.outcome_inferred = false;
            new.outcome_text = format!(
                "IKE SA established by rekeying IKE SA {old_spi} (CREATE_CHILD_SA, frames {}–{})",
                rekey.request_frame,
                rekey.response_frame.unwrap_or(rekey.request_frame)
            );
        }
        new.findings.push(Finding {
            severity: Severity::Info,
            code: "IKE_REKEY".to_owned(),
            text: format!(
                "this IKE SA replaces IKE SA {old_spi}: created by the CREATE_CHILD_SA in frame {} (decrypted)",
                rekey.request_frame
            ),
            check: String::new(),
            evidence: Evidence::Seen,
            frames: vec![rekey.request_frame],
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Per-SA analysis
// ---------------------------------------------------------------------------------------------

/// Part of a request or response: one SKF fragment, or the whole message.
#[derive(Debug, Clone, Copy)]
struct Part {
    frag: Option<u16>,
    digest: u64,
    len: usize,
    row: usize,
}

/// One request/response exchange.
#[derive(Debug, Clone)]
struct Ex {
    requester_initiator: bool,
    message_id: u32,
    exchange: ExchangeType,
    /// Rows of the request (fragments; no retransmissions).
    req: Vec<Part>,
    /// Rows of the response (fragments; no retransmissions).
    resp: Vec<Part>,
    /// Rows of retransmitted request copies.
    req_retx: Vec<usize>,
    /// Retransmissions of the request, counted per fragment, the largest count.
    retx: BTreeMap<Option<u16>, usize>,
}

impl Ex {
    fn answered(&self) -> bool {
        !self.resp.is_empty()
    }
    fn retransmissions(&self) -> usize {
        self.retx.values().copied().max().unwrap_or(0)
    }
    fn first_req_row(&self) -> Option<usize> {
        self.req.first().map(|p| p.row)
    }
    fn first_resp_row(&self) -> Option<usize> {
        self.resp.first().map(|p| p.row)
    }
}

/// Working state for one SA.
struct Sa<'r> {
    recs: &'r [Rec],
    rows: Vec<LadderEntry>,
    exs: Vec<Ex>,
    findings: Vec<Finding>,
}

impl<'r> Sa<'r> {
    fn rec(&self, row: usize) -> Option<&'r Rec> {
        self.recs.get(row)
    }
    fn frame(&self, row: usize) -> u64 {
        self.rec(row).map_or(0, |r| r.frame)
    }
    fn recs_of(&self, parts: &[Part]) -> Vec<&'r Rec> {
        parts.iter().filter_map(|p| self.recs.get(p.row)).collect()
    }
    fn find(
        &mut self,
        severity: Severity,
        code: &str,
        text: String,
        check: &str,
        evidence: Evidence,
        frames: Vec<u64>,
    ) {
        self.findings.push(Finding {
            severity,
            code: code.to_owned(),
            text,
            check: check.to_owned(),
            evidence,
            frames,
        });
    }
}

fn analyze(spi_i: u64, mut recs: Vec<Rec>, capture_end: u64) -> (SaSummary, Option<u64>) {
    recs.sort_by_key(|r| (r.time, r.frame));
    let t0 = recs.first().map_or(0, |r| r.time);
    let rows = recs
        .iter()
        .map(|r| LadderEntry {
            frame: r.frame,
            time_nanos: r.time,
            rel_ms: r.time.saturating_sub(t0) as f64 / 1e6,
            direction: r.direction(),
            exchange: exchange_name(r.exchange),
            message_id: r.message_id,
            response: r.response,
            payloads: r.outer.clone(),
            inner: r.inner.clone(),
            notifies: r.notifies.iter().map(|n| notify_name(n.t)).collect(),
            size: r.size,
            ip_fragments: r.ip_fragments,
            retransmission_of: None,
            retransmissions: 0,
            answered_by: None,
            answers: None,
            unanswered: false,
        })
        .collect();
    let mut sa = Sa {
        recs: &recs,
        rows,
        exs: Vec::new(),
        findings: Vec::new(),
    };
    pair(&mut sa);

    let (initiator, responder, endpoint_changes) = endpoints(&recs);
    let spi_r = responder_spi(&mut sa);
    let decryption = decryption_counts(&sa);
    let identities = identities(&sa);
    let fragmentation = fragmentation(&mut sa);
    let init = ike_sa_init(&mut sa);
    let nat = nat(&sa, &init, &endpoint_changes);
    nat_finding(&mut sa, &nat);
    let later = later_exchanges(&mut sa, init.chosen.is_some());
    let (outcome, outcome_text, outcome_inferred) = outcome(&mut sa, &init, &later, capture_end);
    unanswered(&mut sa, &init, &fragmentation, capture_end);
    not_decrypted(&mut sa, &decryption);

    let ended = if let Some(d) = later
        .deletes
        .iter()
        .find(|d| d.protocol == "IKE" && !d.response)
    {
        Some(match &later.rekey {
            Some(k) => format!(
                "rekeyed into IKE SA {} (frame {}), then deleted by the {} (frame {})",
                k.new_spi_i,
                k.request_frame,
                d.by.as_str(),
                d.frame
            ),
            None => format!("deleted by the {} (frame {})", d.by.as_str(), d.frame),
        })
    } else {
        later.rekey.as_ref().map(|k| {
            format!(
                "rekeyed into IKE SA {} (frame {})",
                k.new_spi_i, k.request_frame
            )
        })
    };

    let mut findings = std::mem::take(&mut sa.findings);
    findings.sort_by_key(|f| f.severity);
    let new_spi = later
        .rekey
        .as_ref()
        .and_then(|k| u64::from_str_radix(&k.new_spi_i, 16).ok());
    let first_frame = recs.first().map_or(0, |r| r.frame);
    let last_frame = recs.last().map_or(0, |r| r.frame);
    let duration_ms = recs
        .last()
        .map_or(0.0, |r| r.time.saturating_sub(t0) as f64 / 1e6);
    let summary = SaSummary {
        spi_i: format!("{spi_i:016x}"),
        spi_r: spi_r.map(|s| format!("{s:016x}")),
        initiator,
        responder,
        endpoint_changes,
        first_frame,
        last_frame,
        duration_ms,
        outcome,
        outcome_text,
        outcome_inferred,
        ended,
        decryption,
        identities,
        offered: init.offers.last().cloned(),
        offered_earlier: init
            .offers
            .iter()
            .take(init.offers.len().saturating_sub(1))
            .cloned()
            .collect(),
        chosen: init.chosen.clone(),
        child_sas: later.children,
        rekeyed_from: None,
        rekeyed_to: later.rekey,
        deletes: later.deletes,
        nat,
        fragmentation,
        ladder: sa.rows,
        findings,
    };
    (summary, new_spi)
}

/// Pairs requests and responses, flags retransmissions.
fn pair(sa: &mut Sa<'_>) {
    let mut open: HashMap<(bool, u32), usize> = HashMap::new();
    for (row, r) in sa.recs.iter().enumerate() {
        let part = Part {
            frag: r.skf.map(|(n, _)| n),
            digest: r.digest,
            len: r.size,
            row,
        };
        let requester_initiator = if r.response {
            !r.from_initiator
        } else {
            r.from_initiator
        };
        let key = (requester_initiator, r.message_id);
        let current = open.get(&key).copied();
        if !r.response {
            if let Some(ei) = current {
                let Some(ex) = sa.exs.get_mut(ei) else {
                    continue;
                };
                if ex.exchange == r.exchange {
                    let answered = ex.answered();
                    let same = ex.req.iter().copied().find(|p| {
                        p.frag == part.frag
                            && (p.digest == part.digest || (p.len == part.len && !answered))
                    });
                    if let Some(orig) = same {
                        *ex.retx.entry(part.frag).or_default() += 1;
                        ex.req_retx.push(row);
                        let count = ex.retransmissions();
                        let first = ex.first_req_row();
                        let orig_frame = sa.recs.get(orig.row).map(|o| o.frame);
                        if let Some(e) = sa.rows.get_mut(row) {
                            e.retransmission_of = orig_frame;
                        }
                        if let Some(e) = first.and_then(|f| sa.rows.get_mut(f)) {
                            e.retransmissions = count;
                        }
                        continue;
                    }
                    if !answered
                        && part.frag.is_some()
                        && ex.req.iter().all(|p| p.frag != part.frag)
                    {
                        ex.req.push(part);
                        continue;
                    }
                }
            }
            sa.exs.push(Ex {
                requester_initiator,
                message_id: r.message_id,
                exchange: r.exchange,
                req: vec![part],
                resp: Vec::new(),
                req_retx: Vec::new(),
                retx: BTreeMap::new(),
            });
            open.insert(key, sa.exs.len() - 1);
        } else {
            let ei = match current {
                Some(ei) => ei,
                None => {
                    // A response whose request is not in the capture.
                    sa.exs.push(Ex {
                        requester_initiator,
                        message_id: r.message_id,
                        exchange: r.exchange,
                        req: Vec::new(),
                        resp: Vec::new(),
                        req_retx: Vec::new(),
                        retx: BTreeMap::new(),
                    });
                    open.insert(key, sa.exs.len() - 1);
                    sa.exs.len() - 1
                }
            };
            let Some(ex) = sa.exs.get_mut(ei) else {
                continue;
            };
            let same =
                ex.resp.iter().copied().find(|p| {
                    p.frag == part.frag && (p.digest == part.digest || p.len == part.len)
                });
            if let Some(orig) = same {
                let orig_frame = sa.recs.get(orig.row).map(|o| o.frame);
                let first = ex.first_resp_row();
                if let Some(e) = sa.rows.get_mut(row) {
                    e.retransmission_of = orig_frame;
                }
                if let Some(e) = first.and_then(|f| sa.rows.get_mut(f)) {
                    e.retransmissions += 1;
                }
                continue;
            }
            ex.resp.push(part);
            if ex.resp.len() == 1 {
                let req_row = ex.first_req_row();
                let req_frame = req_row.and_then(|f| sa.recs.get(f)).map(|o| o.frame);
                if let Some(e) = sa.rows.get_mut(row) {
                    e.answers = req_frame;
                }
                if let Some(e) = req_row.and_then(|f| sa.rows.get_mut(f)) {
                    e.answered_by = Some(r.frame);
                }
            }
        }
    }
    for ex in &sa.exs {
        if ex.answered() {
            continue;
        }
        for row in ex
            .req
            .iter()
            .map(|p| p.row)
            .chain(ex.req_retx.iter().copied())
        {
            if let Some(e) = sa.rows.get_mut(row) {
                e.unanswered = true;
            }
        }
    }
}

fn endpoints(recs: &[Rec]) -> (SocketAddr, SocketAddr, Vec<EndpointChange>) {
    let unspecified = SocketAddr::from(([0, 0, 0, 0], 0));
    let Some(first) = recs.first() else {
        return (unspecified, unspecified, Vec::new());
    };
    let (mut cur_i, mut cur_r) = if first.from_initiator {
        (first.src, first.dst)
    } else {
        (first.dst, first.src)
    };
    let (initiator, responder) = (cur_i, cur_r);
    let mut changes: Vec<EndpointChange> = Vec::new();
    for r in recs {
        let (i, rr) = if r.from_initiator {
            (r.src, r.dst)
        } else {
            (r.dst, r.src)
        };
        let mut here: Vec<EndpointChange> = Vec::new();
        for (side, cur, new) in [
            (Side::Initiator, &mut cur_i, i),
            (Side::Responder, &mut cur_r, rr),
        ] {
            if *cur != new {
                here.push(EndpointChange {
                    frame: r.frame,
                    side,
                    from: *cur,
                    to: new,
                    note: String::new(),
                });
                *cur = new;
            }
        }
        let any_4500 = here
            .iter()
            .any(|c| c.to.port() == 4500 && c.from.port() != 4500);
        for c in &mut here {
            c.note = if c.from.ip() != c.to.ip() {
                "address changed (MOBIKE address update, or NAT rebinding)".to_owned()
            } else if c.to.port() == 4500 {
                "floated to 4500 (NAT-T, RFC 7296 §2.23)".to_owned()
            } else if any_4500 {
                format!(
                    "moved to port {} with the float to 4500 (its NAT-T port)",
                    c.to.port()
                )
            } else {
                format!(
                    "port changed from {} to {} (NAT rebinding?)",
                    c.from.port(),
                    c.to.port()
                )
            };
        }
        changes.extend(here);
    }
    (initiator, responder, changes)
}

/// The first non-zero responder SPI; a later different one is reported.
fn responder_spi(sa: &mut Sa<'_>) -> Option<u64> {
    let mut spi: Option<(u64, u64)> = None;
    let mut conflicts: Vec<(u64, u64)> = Vec::new();
    for r in sa.recs {
        if r.spi_r == 0 {
            continue;
        }
        match spi {
            None => spi = Some((r.spi_r, r.frame)),
            Some((s, _)) if s != r.spi_r => {
                if !conflicts.iter().any(|(c, _)| *c == r.spi_r) {
                    conflicts.push((r.spi_r, r.frame));
                }
            }
            Some(_) => {}
        }
    }
    if let Some((s, f)) = spi {
        for (c, cf) in conflicts {
            sa.find(
                Severity::Warning,
                "SPI_R_CHANGED",
                format!(
                    "messages with this initiator SPI carry responder SPI {c:016x} (from frame {cf}), but frame {f} had {s:016x}: two IKE SAs share an initiator SPI, or the responder answered a retransmitted IKE_SA_INIT twice"
                ),
                "whether the initiator reuses SPIs; the ladder mixes both SAs",
                Evidence::Seen,
                vec![f, cf],
            );
        }
    }
    spi.map(|(s, _)| s)
}

fn decryption_counts(sa: &Sa<'_>) -> Decryption {
    let mut d = Decryption::default();
    let mut skf_sets: HashMap<(bool, bool, u32), bool> = HashMap::new();
    for r in sa.recs {
        if r.skf.is_some() {
            let e = skf_sets
                .entry((r.from_initiator, r.response, r.message_id))
                .or_default();
            *e |= r.decrypted;
        } else if r.encrypted {
            d.encrypted_messages += 1;
            if r.decrypted {
                d.decrypted_messages += 1;
            }
        }
    }
    d.encrypted_messages += skf_sets.len();
    d.decrypted_messages += skf_sets.values().filter(|v| **v).count();
    d
}

fn identities(sa: &Sa<'_>) -> Identities {
    let mut ids = Identities::default();
    for r in sa
        .recs
        .iter()
        .filter(|r| r.exchange == ExchangeType::IKE_AUTH)
    {
        if r.from_initiator {
            if r.id_i.is_some() {
                ids.initiator.clone_from(&r.id_i);
            }
            if let Some(a) = r.auth {
                ids.initiator_auth = Some(a.to_string());
            }
        } else {
            if r.id_r.is_some() {
                ids.responder.clone_from(&r.id_r);
            }
            if let Some(a) = r.auth {
                ids.responder_auth = Some(a.to_string());
            }
        }
    }
    ids
}

fn fragmentation(sa: &mut Sa<'_>) -> Fragmentation {
    let mut f = Fragmentation::default();
    for r in sa
        .recs
        .iter()
        .filter(|r| r.exchange == ExchangeType::IKE_SA_INIT)
    {
        if r.has_notify(nt::IKEV2_FRAGMENTATION_SUPPORTED) {
            if r.from_initiator {
                f.initiator_supported = true;
            } else {
                f.responder_supported = true;
            }
        }
    }
    let mut sets: Vec<SkfMessage> = Vec::new();
    for r in sa.recs {
        if r.ip_fragments > 1 {
            f.ip_fragmented.push(IpFragmented {
                frame: r.frame,
                exchange: exchange_name(r.exchange),
                size: r.size,
                fragments: r.ip_fragments,
            });
        }
        let Some((n, total)) = r.skf else { continue };
        let exchange = exchange_name(r.exchange);
        let dir = r.direction();
        let found = sets.iter_mut().find(|s| {
            s.exchange == exchange
                && s.message_id == r.message_id
                && s.direction == dir
                && s.response == r.response
        });
        let set = match found {
            Some(s) => s,
            None => {
                sets.push(SkfMessage {
                    exchange,
                    message_id: r.message_id,
                    direction: dir,
                    response: r.response,
                    total,
                    seen: Vec::new(),
                    frames: Vec::new(),
                });
                let Some(s) = sets.last_mut() else { continue };
                s
            }
        };
        if !set.seen.contains(&n) {
            set.seen.push(n);
        }
        set.frames.push(r.frame);
    }
    for s in &mut sets {
        s.seen.sort_unstable();
    }
    if !sets.is_empty() {
        let parts: Vec<String> = sets
            .iter()
            .map(|s| {
                format!(
                    "{} {} sent as {} SKF fragment(s) (frames {})",
                    s.exchange,
                    if s.response { "response" } else { "request" },
                    s.total,
                    frames_text(&s.frames)
                )
            })
            .collect();
        let frames: Vec<u64> = sets.iter().flat_map(|s| s.frames.clone()).collect();
        sa.find(
            Severity::Info,
            "IKE_FRAGMENTATION",
            format!("IKEv2 fragmentation (RFC 7383): {}", parts.join("; ")),
            "",
            Evidence::Seen,
            frames,
        );
        for s in &sets {
            let missing: Vec<String> = (1..=s.total)
                .filter(|n| !s.seen.contains(n))
                .map(|n| n.to_string())
                .collect();
            if !missing.is_empty() {
                sa.find(
                    Severity::Warning,
                    "IKE_FRAGMENTATION",
                    format!(
                        "{} {} (message ID {}): fragment(s) {} of {} missing from the capture; the receiver cannot reassemble the message",
                        s.exchange,
                        if s.response { "response" } else { "request" },
                        s.message_id,
                        missing.join(", "),
                        s.total
                    ),
                    "packet loss between the peers (or at the capture point); fragment size (strongSwan `fragment_size`) against the path MTU",
                    Evidence::Seen,
                    s.frames.clone(),
                );
            }
        }
        if !(f.initiator_supported && f.responder_supported)
            && sa
                .recs
                .iter()
                .any(|r| r.exchange == ExchangeType::IKE_SA_INIT)
        {
            sa.find(
                Severity::Warning,
                "IKE_FRAGMENTATION",
                "SKF fragments are used although IKE_SA_INIT did not show IKEV2_FRAGMENTATION_SUPPORTED from both sides (RFC 7383 §2.3 requires both)".to_owned(),
                "the fragmentation settings of both peers",
                Evidence::Seen,
                Vec::new(),
            );
        }
    }
    f.skf = sets;
    for ip in f.ip_fragmented.clone() {
        let answered = sa
            .rows
            .iter()
            .find(|e| e.frame == ip.frame)
            .is_some_and(|e| !e.unanswered);
        if answered {
            sa.find(
                Severity::Warning,
                "IP_FRAGMENTATION",
                format!(
                    "the {} message in frame {} ({} bytes) was fragmented by IP into {} fragments; it got through here, but IP fragments are often dropped by firewalls and NATs",
                    ip.exchange, ip.frame, ip.size, ip.fragments
                ),
                fragmentation_advice(&f),
                Evidence::Seen,
                vec![ip.frame],
            );
        }
    }
    f
}

fn fragmentation_advice(f: &Fragmentation) -> &'static str {
    match (f.initiator_supported, f.responder_supported) {
        (true, true) => "both peers announced IKEv2 fragmentation (RFC 7383): lower its fragment size below the path MTU (strongSwan `fragment_size`)",
        (false, false) => "neither peer announced IKEV2_FRAGMENTATION_SUPPORTED: enable IKEv2 fragmentation (RFC 7383, strongSwan `fragmentation = yes`) on both",
        (false, true) => "the initiator did not announce IKEV2_FRAGMENTATION_SUPPORTED: enable IKEv2 fragmentation (RFC 7383) on it",
        (true, false) => "the responder did not announce IKEV2_FRAGMENTATION_SUPPORTED: enable IKEv2 fragmentation (RFC 7383) on it",
    }
}

/// `3`, `3–5`, or `3, 8, 11`.
fn frames_text(frames: &[u64]) -> String {
    match frames {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last]
            if frames
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.checked_add(1) == Some(*b))) =>
        {
            format!("{first}–{last}")
        }
        _ => frames
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// What IKE_SA_INIT showed.
#[derive(Debug, Default)]
struct Init {
    offers: Vec<Offer>,
    chosen: Option<Chosen>,
    /// Index (in `sa.exs`) of the last IKE_SA_INIT exchange.
    last: Option<usize>,
    /// The last exchange ended in an error notify (its name and frame).
    failed: Option<(String, u64)>,
    /// The request and response rows that carry the NAT detection of the SA.
    nat_req: Option<usize>,
    nat_resp: Option<usize>,
}

fn ike_sa_init(sa: &mut Sa<'_>) -> Init {
    let mut init = Init::default();
    let idx: Vec<usize> = sa
        .exs
        .iter()
        .enumerate()
        .filter(|(_, e)| e.exchange == ExchangeType::IKE_SA_INIT && e.requester_initiator)
        .map(|(i, _)| i)
        .collect();
    for (k, &ei) in idx.iter().enumerate() {
        let Some(ex) = sa.exs.get(ei).cloned() else {
            continue;
        };
        init.last = Some(ei);
        let req = sa.recs_of(&ex.req);
        let resp = sa.recs_of(&ex.resp);
        if let Some(q) = req.first() {
            if let Some(props) = &q.sa {
                let offer = Offer {
                    frame: q.frame,
                    ke_group: q.ke.map(ke_name),
                    cookie: q.has_notify(nt::COOKIE),
                    proposals: props
                        .iter()
                        .enumerate()
                        .map(|(i, p)| summarize_proposal(p, i + 1))
                        .collect(),
                };
                let same = init.offers.last().is_some_and(|o: &Offer| {
                    o.proposals == offer.proposals && o.ke_group == offer.ke_group
                });
                if same {
                    if let Some(o) = init.offers.last_mut() {
                        o.frame = offer.frame;
                        o.cookie = offer.cookie;
                    }
                } else {
                    init.offers.push(offer);
                }
            }
            if !q.nat.is_empty() {
                init.nat_req = ex.first_req_row();
                init.nat_resp = None;
            }
        }
        let Some(p) = resp.first() else { continue };
        if !p.nat.is_empty() {
            init.nat_resp = ex.first_resp_row();
        }
        init.failed = None;
        if let Some(props) = &p.sa {
            if let Some(first) = props.first() {
                init.chosen = Some(Chosen {
                    frame: p.frame,
                    ke_group: p.ke.map(ke_name),
                    proposal: summarize_proposal(first, 1),
                });
            }
        }
        let next_req = idx
            .get(k + 1)
            .and_then(|n| sa.exs.get(*n))
            .and_then(|e| e.req.first())
            .and_then(|part| sa.rec(part.row));
        let req_frame = req.first().map_or(0, |q| q.frame);
        for n in p.notifies.iter().filter(|n| !n.inner) {
            match n.t {
                nt::INVALID_KE_PAYLOAD => {
                    let wanted = match &n.data {
                        NotifyData::InvalidKePayload { group } => Some(*group),
                        _ => None,
                    };
                    let sent = req.first().and_then(|q| q.ke);
                    let wanted_text =
                        wanted.map_or_else(|| "an unreadable group".to_owned(), ke_name);
                    let sent_text = sent.map_or_else(|| "no KE payload".to_owned(), ke_name);
                    let retry = next_req.map(|q| (q.frame, q.ke));
                    let (sev, tail) = match retry {
                        Some((f, Some(g))) if Some(g) == wanted => (
                            Severity::Info,
                            format!("; the initiator retried with {} (frame {f}) — this costs one round trip", ke_name(g)),
                        ),
                        Some((f, g)) => (
                            Severity::Error,
                            format!(
                                "; the initiator retried (frame {f}) but with {}, not the group asked for",
                                g.map_or_else(|| "no KE payload".to_owned(), ke_name)
                            ),
                        ),
                        None => (
                            Severity::Error,
                            "; the initiator did not retry in this capture".to_owned(),
                        ),
                    };
                    if sev == Severity::Error {
                        init.failed = Some(("INVALID_KE_PAYLOAD".to_owned(), p.frame));
                    }
                    let check = explain::error_notify(n.t, ExchangeType::IKE_SA_INIT)
                        .map_or("", |x| x.check);
                    sa.find(
                        sev,
                        "INVALID_KE_PAYLOAD",
                        format!(
                            "the responder rejected the key exchange group of IKE_SA_INIT: the initiator's KE payload used {sent_text} (frame {req_frame}); the responder's N(INVALID_KE_PAYLOAD) wants {wanted_text} (frame {}){tail}",
                            p.frame
                        ),
                        check,
                        Evidence::Seen,
                        [Some(req_frame), Some(p.frame), retry.map(|r| r.0)]
                            .into_iter()
                            .flatten()
                            .collect(),
                    );
                }
                nt::COOKIE => {
                    let retry = next_req.filter(|q| q.has_notify(nt::COOKIE));
                    let same_cookie = retry.is_some_and(|q| {
                        q.notifies
                            .iter()
                            .any(|m| m.t == nt::COOKIE && m.data == n.data)
                    });
                    let tail = match (retry, same_cookie) {
                        (Some(q), true) => format!(
                            "; the initiator repeated IKE_SA_INIT with the cookie (frame {})",
                            q.frame
                        ),
                        (Some(q), false) => format!(
                            "; the initiator repeated IKE_SA_INIT (frame {}) but with a different cookie",
                            q.frame
                        ),
                        (None, _) => {
                            "; the initiator did not repeat IKE_SA_INIT with it in this capture"
                                .to_owned()
                        }
                    };
                    if retry.is_none() {
                        init.failed = Some(("COOKIE".to_owned(), p.frame));
                    }
                    sa.find(
                        if same_cookie {
                            Severity::Info
                        } else {
                            Severity::Warning
                        },
                        "COOKIE",
                        format!(
                            "DoS protection engaged: the responder answered the IKE_SA_INIT request (frame {req_frame}) with N(COOKIE) (frame {}) — {}{tail}",
                            p.frame,
                            explain::COOKIE.meaning
                        ),
                        explain::COOKIE.check,
                        Evidence::Seen,
                        [Some(p.frame), retry.map(|q| q.frame)]
                            .into_iter()
                            .flatten()
                            .collect(),
                    );
                }
                nt::REDIRECT => {
                    let to = match &n.data {
                        NotifyData::Redirect { gateway_id, .. } => gateway_text(gateway_id),
                        _ => "an unreadable gateway".to_owned(),
                    };
                    init.failed = Some(("REDIRECT".to_owned(), p.frame));
                    sa.find(
                        Severity::Info,
                        "REDIRECT",
                        format!(
                            "REDIRECT (frame {}): {} — to {to}",
                            p.frame,
                            explain::REDIRECT.meaning
                        ),
                        explain::REDIRECT.check,
                        Evidence::Seen,
                        vec![p.frame],
                    );
                }
                nt::NO_PROPOSAL_CHOSEN => {
                    let offers: Vec<String> = req
                        .first()
                        .and_then(|q| q.sa.as_ref())
                        .map(|props| {
                            props
                                .iter()
                                .enumerate()
                                .map(|(i, p)| summarize_proposal(p, i + 1).text)
                                .collect()
                        })
                        .unwrap_or_default();
                    init.failed = Some(("NO_PROPOSAL_CHOSEN".to_owned(), p.frame));
                    let x = explain::error_notify(n.t, ExchangeType::IKE_SA_INIT);
                    sa.find(
                        Severity::Error,
                        "NO_PROPOSAL_CHOSEN",
                        format!(
                            "IKE_SA_INIT response (frame {}) is N(NO_PROPOSAL_CHOSEN): {}. The initiator offered (frame {req_frame}): {}. The responder's own proposals are not visible in the capture (unknown)",
                            p.frame,
                            x.map_or("", |x| x.meaning),
                            if offers.is_empty() { "nothing readable".to_owned() } else { offers.join("; ") }
                        ),
                        x.map_or("", |x| x.check),
                        Evidence::Seen,
                        vec![req_frame, p.frame],
                    );
                }
                t if t.is_error() => {
                    init.failed = Some((notify_name(t), p.frame));
                    error_finding(sa, n, p, ExchangeType::IKE_SA_INIT);
                }
                _ => {}
            }
        }
    }
    init
}

fn gateway_text(g: &GatewayId) -> String {
    match g {
        GatewayId::Ipv4(a) => a.to_string(),
        GatewayId::Ipv6(a) => a.to_string(),
        GatewayId::Fqdn(f) => f.clone(),
        GatewayId::Raw(b) => format!("gateway identity {}", hex::encode(b)),
    }
}

/// A finding for an error notify, from the explanation table.
fn error_finding(sa: &mut Sa<'_>, n: &Note, r: &Rec, exchange: ExchangeType) {
    let name = notify_name(n.t);
    let x = explain::error_notify(n.t, exchange);
    let detail = match &n.data {
        NotifyData::InvalidKePayload { group } => format!(" (wants {})", ke_name(*group)),
        NotifyData::InvalidMessageId { message_id } => format!(" (message ID {message_id})"),
        NotifyData::UnsupportedCriticalPayload { payload_type } => {
            format!(" (payload type {})", short(PayloadType(*payload_type)))
        }
        _ if !n.spi.is_empty() => format!(" (SPI {})", hex::encode(&n.spi)),
        _ => String::new(),
    };
    let meaning = x.map_or(
        "an error notify: the request it answers failed (RFC 7296 §3.10.1)",
        |x| x.meaning,
    );
    sa.find(
        Severity::Error,
        &name,
        format!(
            "{} {} from the {} (frame {}) carries N({name}){detail}{}: {meaning}",
            exchange_name(exchange),
            if r.response { "response" } else { "request" },
            side_of(r.from_initiator).as_str(),
            r.frame,
            if n.inner {
                ", inside the encrypted payload"
            } else {
                ""
            },
        ),
        x.map_or("the peer's log for why it sent this notify", |x| x.check),
        Evidence::Seen,
        vec![r.frame],
    );
}

// ---- NAT ---------------------------------------------------------------------------------------

fn nat(sa: &Sa<'_>, init: &Init, changes: &[EndpointChange]) -> Nat {
    let req = init.nat_req.and_then(|i| sa.rec(i));
    let resp = init.nat_resp.and_then(|i| sa.rec(i));
    let Some(req) = req else {
        let has_init = sa
            .recs
            .iter()
            .any(|r| r.exchange == ExchangeType::IKE_SA_INIT);
        return Nat {
            outcome: if has_init {
                NatOutcome::NotDetected
            } else {
                NatOutcome::Unknown
            },
            text: if has_init {
                "no NAT_DETECTION notifies in IKE_SA_INIT: NAT detection was not performed (NAT traversal not supported or disabled)".to_owned()
            } else {
                "IKE_SA_INIT is not in the capture: NAT detection not visible".to_owned()
            },
            checks: Vec::new(),
        };
    };
    let mut checks: Vec<NatCheck> = Vec::new();
    // Per notify kind, "any SOURCE hash matches" (a host may send several).
    let mut verdict = |r: &Rec, dest: bool| -> Option<bool> {
        let list: Vec<&NatRec> = r.nat.iter().filter(|n| n.dest == dest).collect();
        if list.is_empty() {
            return None;
        }
        let matches = list.iter().any(|n| n.matches);
        let sender = side_of(r.from_initiator);
        let about = if dest {
            side_of(!r.from_initiator)
        } else {
            sender
        };
        checks.push(NatCheck {
            frame: r.frame,
            sender,
            notify: if dest {
                "NAT_DETECTION_DESTINATION_IP"
            } else {
                "NAT_DETECTION_SOURCE_IP"
            }
            .to_owned(),
            about,
            address: if dest { r.dst } else { r.src },
            matches,
        });
        Some(matches)
    };
    let i_self = verdict(req, false);
    let r_peer = verdict(req, true);
    let (r_self, i_peer) = match resp {
        Some(p) => (verdict(p, false), verdict(p, true)),
        None => (None, None),
    };
    let bad = |v: Option<bool>| v == Some(false);
    let mut lines: Vec<String> = Vec::new();
    for c in checks.iter().filter(|c| !c.matches) {
        lines.push(if c.sender == c.about {
            format!(
                "the {}'s {} (frame {}) does not match {}, the address the capture shows it sending from",
                c.sender.as_str(),
                c.notify,
                c.frame,
                c.address
            )
        } else {
            format!(
                "the {}'s {} (frame {}) does not match {}, the {}'s address in this capture: the {} sees it at another address",
                c.sender.as_str(),
                c.notify,
                c.frame,
                c.address,
                c.about.as_str(),
                c.sender.as_str()
            )
        });
    }
    let matching: Vec<String> = checks
        .iter()
        .filter(|c| c.matches)
        .map(|c| {
            format!(
                "the {}'s {} (frame {})",
                c.sender.as_str(),
                c.notify,
                c.frame
            )
        })
        .collect();
    let translated_i = bad(i_self) || bad(i_peer);
    let translated_r = bad(r_self) || bad(r_peer);
    let same_host = req.src.ip() == req.dst.ip();
    let loopback = req.src.ip().is_loopback() || req.dst.ip().is_loopback();
    let impossible_pair = (bad(i_self) && bad(i_peer))
        || (bad(r_self) && bad(r_peer))
        || (bad(i_peer) && bad(r_peer));
    let suspicious = impossible_pair || ((translated_i || translated_r) && (same_host || loopback));
    let floated = changes
        .iter()
        .find(|c| c.to.port() == 4500)
        .map(|c| format!(" The peers then floated to port 4500 (frame {}).", c.frame))
        .unwrap_or_default();
    let mismatch_text = lines.join("; ");
    let match_text = if matching.is_empty() {
        String::new()
    } else {
        format!(" Matching: {}.", matching.join(", "))
    };
    let partial = if resp.is_none() {
        " Only the request's hashes could be checked: no IKE_SA_INIT response with NAT detection in the capture."
    } else {
        ""
    };
    let (outcome, text) = if suspicious {
        let why = if same_host || loopback {
            format!(
                "Both ends use {} in this capture{}, so no NAT can be between them: the mismatching hash(es) were faked by the sender — strongSwan does so on purpose to force UDP encapsulation of ESP (`encap = yes`, or kernel-libipsec) — or the capture was taken behind a NAT",
                if same_host { format!("the same IP address {}", req.src.ip()) } else { "a loopback address".to_owned() },
                if loopback && same_host { " (loopback)" } else { "" }
            )
        } else {
            "No single NAT between the peers, seen from one capture point, gives this combination: the capture was taken behind a NAT (or between two), or a peer faked its hash (strongSwan does so to force UDP encapsulation: `encap = yes`, kernel-libipsec)".to_owned()
        };
        (
            NatOutcome::HashesDontMatchCapture,
            format!(
                "NAT detection hashes are present but don't match the addresses in this capture (capture taken behind a NAT, or a peer faking NAT): {mismatch_text}.{match_text} {why}. The peers act on their own comparison: each one that sees a mismatch behaves as if a NAT were present.{partial}{floated}"
            ),
        )
    } else {
        let side_note = |self_bad: bool, who: &str| {
            if self_bad {
                format!(" (the capture shows the translated address of the {who}: it was taken outside that NAT)")
            } else {
                format!(" (the capture shows the {who}'s own address: it was taken on the {who}'s side of the NAT)")
            }
        };
        match (translated_i, translated_r) {
            (false, false) => (
                NatOutcome::NoNat,
                format!("no NAT between the peers: every NAT detection hash matches the addresses in the capture.{partial}{floated}"),
            ),
            (true, false) => (
                NatOutcome::InitiatorBehindNat,
                format!(
                    "the initiator is behind a NAT{}: {mismatch_text}.{match_text}{partial}{floated}",
                    side_note(bad(i_self), "initiator")
                ),
            ),
            (false, true) => (
                NatOutcome::ResponderBehindNat,
                format!(
                    "the responder is behind a NAT{}: {mismatch_text}.{match_text}{partial}{floated}",
                    side_note(bad(r_self), "responder")
                ),
            ),
            (true, true) => (
                NatOutcome::BothBehindNat,
                format!("both peers are behind a NAT: {mismatch_text}.{match_text}{partial}{floated}"),
            ),
        }
    };
    Nat {
        outcome,
        text,
        checks,
    }
}

fn nat_finding(sa: &mut Sa<'_>, nat: &Nat) {
    let check = match nat.outcome {
        NatOutcome::HashesDontMatchCapture => "if no NAT is expected between the peers, look for a peer that forces UDP encapsulation (strongSwan `encap = yes`, kernel-libipsec); otherwise, where the capture was taken relative to the NAT(s)",
        NatOutcome::InitiatorBehindNat | NatOutcome::ResponderBehindNat | NatOutcome::BothBehindNat => "UDP 4500 must pass the NAT after the float; the peer behind the NAT sends NAT-keepalives to hold the mapping (strongSwan `keep_alive`)",
        _ => return,
    };
    let mut frames: Vec<u64> = nat.checks.iter().map(|c| c.frame).collect();
    frames.dedup();
    sa.find(
        Severity::Info,
        "NAT",
        nat.text.clone(),
        check,
        Evidence::Seen,
        frames,
    );
}

// ---- IKE_AUTH, CREATE_CHILD_SA, INFORMATIONAL ----------------------------------------------------

#[derive(Debug, Default)]
struct Later {
    children: Vec<ChildSa>,
    rekey: Option<IkeRekey>,
    deletes: Vec<DeleteSeen>,
    /// Index of the last IKE_AUTH exchange.
    last_auth: Option<usize>,
    /// The IKE_AUTH response (decrypted) carried AUTH and no AUTHENTICATION_FAILED.
    auth_seen_ok: bool,
    /// A decrypted fatal notify ended the IKE SA (name, frame, inner).
    fatal: Option<(String, u64)>,
    /// The IKE_AUTH response shows a Child SA failure (name).
    child_failed: Option<String>,
    /// EAP in the last IKE_AUTH response without AUTH: still authenticating.
    eap_pending: bool,
}

fn proposals_of(props: &[Proposal]) -> Vec<ProposalSummary> {
    props
        .iter()
        .enumerate()
        .map(|(i, p)| summarize_proposal(p, i + 1))
        .collect()
}

fn ts_pair(r: &Rec) -> Option<TsPair> {
    match (&r.ts_i, &r.ts_r) {
        (None, None) => None,
        (i, t) => Some(TsPair {
            ts_i: i.clone().unwrap_or_default(),
            ts_r: t.clone().unwrap_or_default(),
        }),
    }
}

/// Merges the content of several rows (SKF fragments: only the last one has inner payloads).
fn content<'r>(recs: &[&'r Rec]) -> Option<&'r Rec> {
    recs.iter()
        .copied()
        .find(|r| r.decrypted)
        .or_else(|| recs.first().copied())
}

/// Error notifies that end the IKE SA when they appear in an IKE_AUTH response.
fn fatal_in_auth(t: NotifyType) -> bool {
    matches!(t.0, 1 | 4 | 5 | 7 | 9 | 24 | 46)
}

/// Error notifies about the Child SA (the IKE SA survives, RFC 7296 §1.2).
fn child_error(t: NotifyType) -> bool {
    matches!(t.0, 14 | 17 | 34..=39 | 43 | 44)
}

fn later_exchanges(sa: &mut Sa<'_>, ike_proposals_matched: bool) -> Later {
    let mut later = Later::default();
    for ei in 0..sa.exs.len() {
        let Some(ex) = sa.exs.get(ei).cloned() else {
            continue;
        };
        if ex.exchange == ExchangeType::IKE_SA_INIT {
            continue;
        }
        let req_recs = sa.recs_of(&ex.req);
        let resp_recs = sa.recs_of(&ex.resp);
        let req = content(&req_recs);
        let resp = content(&resp_recs);
        let req_frame = req.map(|r| r.frame);
        let resp_frame = resp.map(|r| r.frame);
        let requester = side_of(ex.requester_initiator);

        // Deletes, in requests and responses.
        for r in [req, resp].into_iter().flatten() {
            for (proto, spis) in &r.deletes {
                later.deletes.push(DeleteSeen {
                    frame: r.frame,
                    by: side_of(r.from_initiator),
                    response: r.response,
                    protocol: proto.to_string(),
                    spis: spis.clone(),
                });
            }
        }

        // Error notifies (decrypted or outer) in both directions.
        let mut errors: Vec<(&Note, &Rec)> = Vec::new();
        for r in [req, resp].into_iter().flatten() {
            for n in r.notifies.iter().filter(|n| n.t.is_error()) {
                errors.push((n, r));
            }
        }

        match ex.exchange {
            ExchangeType::IKE_AUTH if ex.requester_initiator => {
                later.last_auth = Some(ei);
                later.eap_pending = false;
                let q = req;
                let p = resp;
                let child_offer = q.and_then(|q| q.sa.as_ref()).map(|s| proposals_of(s));
                if let Some(p) = p.filter(|p| p.decrypted) {
                    let has_auth = p.auth.is_some();
                    let auth_failed = p.has_notify(nt::AUTHENTICATION_FAILED);
                    if has_auth && !auth_failed {
                        later.auth_seen_ok = true;
                    }
                    if !has_auth && p.eap && !auth_failed {
                        later.eap_pending = true;
                    }
                    for (n, r) in &errors {
                        if r.response && fatal_in_auth(n.t) {
                            later.fatal = Some((notify_name(n.t), r.frame));
                        }
                        if r.response && !has_auth && child_error(n.t) && later.fatal.is_none() {
                            later.fatal = Some((notify_name(n.t), r.frame));
                        }
                    }
                    if child_offer.is_some() || p.sa.is_some() {
                        let child_err = p.notifies.iter().find(|n| child_error(n.t));
                        let chosen =
                            p.sa.as_ref()
                                .and_then(|s| s.first())
                                .map(|x| summarize_proposal(x, 1));
                        let (status, status_text) = match (&chosen, child_err) {
                            (Some(c), _) => (ChildStatus::Created, format!("created: {}", c.text)),
                            (None, Some(n)) => {
                                later.child_failed = Some(notify_name(n.t));
                                (ChildStatus::Failed, format!("failed: {}", notify_name(n.t)))
                            }
                            (None, None) => (
                                ChildStatus::Failed,
                                match p.notifies.iter().find(|n| n.t.is_error()) {
                                    Some(n) => format!(
                                        "not created: the IKE_AUTH response carries N({}) and no SA",
                                        notify_name(n.t)
                                    ),
                                    None => "not created: no SA in the IKE_AUTH response".to_owned(),
                                },
                            ),
                        };
                        later.children.push(ChildSa {
                            exchange: exchange_name(ex.exchange),
                            request_frame: req_frame,
                            response_frame: resp_frame,
                            rekey_of: None,
                            offered: child_offer.unwrap_or_default(),
                            chosen,
                            proposed_ts: q.and_then(ts_pair),
                            accepted_ts: ts_pair(p),
                            status,
                            status_text,
                        });
                    }
                } else if let (Some(q), None) = (q.filter(|q| q.decrypted), p) {
                    if let Some(offer) = child_offer {
                        later.children.push(ChildSa {
                            exchange: exchange_name(ex.exchange),
                            request_frame: Some(q.frame),
                            response_frame: None,
                            rekey_of: None,
                            offered: offer,
                            chosen: None,
                            proposed_ts: ts_pair(q),
                            accepted_ts: None,
                            status: ChildStatus::Unanswered,
                            status_text: "no response in the capture".to_owned(),
                        });
                    }
                }
            }
            ExchangeType::CREATE_CHILD_SA => {
                let visible = req.is_some_and(|q| q.decrypted);
                if !visible {
                    later.children.push(ChildSa {
                        exchange: exchange_name(ex.exchange),
                        request_frame: req_frame,
                        response_frame: resp_frame,
                        rekey_of: None,
                        offered: Vec::new(),
                        chosen: None,
                        proposed_ts: None,
                        accepted_ts: None,
                        status: if resp.is_none() { ChildStatus::Unanswered } else { ChildStatus::Encrypted },
                        status_text: "encrypted: a new Child SA, a Child SA rekey or an IKE SA rekey (decrypt to see which)".to_owned(),
                    });
                } else if let Some(q) = req {
                    let props = q.sa.as_deref().unwrap_or_default();
                    let is_ike = props
                        .first()
                        .is_some_and(|p| p.protocol_id == ProtocolId::IKE);
                    let chosen_raw = resp
                        .filter(|p| p.decrypted)
                        .and_then(|p| p.sa.as_ref())
                        .and_then(|s| s.first());
                    if is_ike {
                        let new_spi_i = props
                            .first()
                            .map(|p| hex::encode(&p.spi))
                            .unwrap_or_default();
                        later.rekey = Some(IkeRekey {
                            request_frame: q.frame,
                            response_frame: resp_frame,
                            by: requester,
                            new_spi_i: new_spi_i.clone(),
                            new_spi_r: chosen_raw.map(|c| hex::encode(&c.spi)),
                            offered: proposals_of(props),
                            chosen: chosen_raw.map(|c| summarize_proposal(c, 1)),
                        });
                        sa.find(
                            Severity::Info,
                            "IKE_REKEY",
                            format!(
                                "the {} rekeyed the IKE SA (CREATE_CHILD_SA, frames {}): new IKE SA {new_spi_i}{}",
                                requester.as_str(),
                                frames_text(&[Some(q.frame), resp_frame].into_iter().flatten().collect::<Vec<_>>()),
                                chosen_raw.map(|c| format!("/{}", hex::encode(&c.spi))).unwrap_or_default()
                            ),
                            "",
                            Evidence::Seen,
                            vec![q.frame],
                        );
                    } else {
                        let rekey_of = q
                            .notifies
                            .iter()
                            .find(|n| n.t == nt::REKEY_SA)
                            .map(|n| hex::encode(&n.spi));
                        let err = resp.and_then(|p| p.notifies.iter().find(|n| n.t.is_error()));
                        let chosen = chosen_raw.map(|c| summarize_proposal(c, 1));
                        let (status, status_text) = match (&chosen, err, resp) {
                            (Some(c), _, _) => {
                                (ChildStatus::Created, format!("created: {}", c.text))
                            }
                            (None, Some(n), _) => {
                                (ChildStatus::Failed, format!("failed: {}", notify_name(n.t)))
                            }
                            (None, None, None) => (
                                ChildStatus::Unanswered,
                                "no response in the capture".to_owned(),
                            ),
                            (None, None, Some(p)) if !p.decrypted => {
                                (ChildStatus::Encrypted, "response not decrypted".to_owned())
                            }
                            (None, None, Some(_)) => {
                                (ChildStatus::Failed, "no SA in the response".to_owned())
                            }
                        };
                        later.children.push(ChildSa {
                            exchange: exchange_name(ex.exchange),
                            request_frame: Some(q.frame),
                            response_frame: resp_frame,
                            rekey_of,
                            offered: proposals_of(props),
                            chosen,
                            proposed_ts: ts_pair(q),
                            accepted_ts: resp.and_then(ts_pair),
                            status,
                            status_text,
                        });
                    }
                }
            }
            ExchangeType::INFORMATIONAL => {
                for (n, r) in &errors {
                    if n.t == nt::AUTHENTICATION_FAILED {
                        later.fatal = Some((notify_name(n.t), r.frame));
                    }
                }
            }
            _ => {}
        }

        // Findings for every error notify of this exchange.
        for (n, r) in errors {
            if ex.exchange == ExchangeType::IKE_AUTH
                && n.t == nt::NO_PROPOSAL_CHOSEN
                && r.response
                && ike_proposals_matched
            {
                let has_auth = r.auth.is_some();
                let offered: Vec<String> = req
                    .and_then(|q| q.sa.as_ref())
                    .map(|s| proposals_of(s).into_iter().map(|p| p.text).collect())
                    .unwrap_or_default();
                sa.find(
                    Severity::Error,
                    "NO_PROPOSAL_CHOSEN",
                    format!(
                        "IKE_AUTH response (frame {}) carries N(NO_PROPOSAL_CHOSEN){} after the IKE SA proposals matched in IKE_SA_INIT{}: {}{}",
                        r.frame,
                        if n.inner { " inside the encrypted payload" } else { "" },
                        if has_auth { " and with the responder's AUTH" } else { "" },
                        explain::CHILD_SA_REFUSED.meaning,
                        if offered.is_empty() {
                            String::new()
                        } else {
                            format!(". The initiator's CHILD_SA proposals: {}", offered.join("; "))
                        }
                    ),
                    explain::CHILD_SA_REFUSED.check,
                    Evidence::Seen,
                    [req_frame, Some(r.frame)].into_iter().flatten().collect(),
                );
            } else if ex.exchange == ExchangeType::IKE_AUTH && n.t == nt::AUTHENTICATION_FAILED {
                let x = explain::error_notify(n.t, ex.exchange);
                let who = if r.from_initiator {
                    "the initiator rejected the responder's authentication"
                } else {
                    "the responder rejected the initiator's authentication"
                };
                sa.find(
                    Severity::Error,
                    "AUTHENTICATION_FAILED",
                    format!(
                        "IKE_AUTH {} (frame {}) carries N(AUTHENTICATION_FAILED){} — seen: {who}; {}{}",
                        if r.response { "response" } else { "request" },
                        r.frame,
                        if n.inner { " inside the encrypted payload (decrypted)" } else { "" },
                        x.map_or("", |x| x.meaning),
                        later_ids_text(req),
                    ),
                    x.map_or("", |x| x.check),
                    Evidence::Seen,
                    [req_frame, Some(r.frame)].into_iter().flatten().collect(),
                );
            } else {
                error_finding(sa, n, r, ex.exchange);
            }
        }
    }
    later
}

fn later_ids_text(req: Option<&Rec>) -> String {
    match req.and_then(|q| q.id_i.as_ref()) {
        Some(id) => format!(". The initiator identified as {id}"),
        None => String::new(),
    }
}

// ---- outcome -----------------------------------------------------------------------------------

/// IV and ICV sizes of the SK payload for the chosen IKE transforms.
fn sk_overhead(chosen: &ProposalSummary) -> Option<(usize, usize)> {
    let encr = chosen.transforms.iter().find(|t| t.transform_type.0 == 1)?;
    let integ = chosen.transforms.iter().find(|t| t.transform_type.0 == 3);
    let (iv, aead_icv) = match encr.id {
        3 => (8, None),
        12 | 23 => (16, None),
        13 | 24 => (8, None),
        14 | 18 | 25 => (8, Some(8)),
        15 | 19 | 26 => (8, Some(12)),
        16 | 20 | 27 | 28 => (8, Some(16)),
        _ => return None,
    };
    let icv = match aead_icv {
        Some(n) => n,
        None => match integ.map(|t| t.id)? {
            1 | 2 | 5 | 8 => 12,
            12 => 16,
            13 => 24,
            14 => 32,
            _ => return None,
        },
    };
    Some((iv, icv))
}

fn outcome(
    sa: &mut Sa<'_>,
    init: &Init,
    later: &Later,
    capture_end: u64,
) -> (Outcome, String, bool) {
    let _ = capture_end;
    let has_init = init.last.is_some();
    if !has_init {
        let answered = sa.exs.iter().any(Ex::answered);
        let first = sa.recs.first().map_or(0, |r| r.frame);
        sa.find(
            Severity::Info,
            "NO_IKE_SA_INIT",
            format!(
                "first seen in frame {first} without IKE_SA_INIT: the IKE SA was created before the capture started, or by rekeying another IKE SA (CREATE_CHILD_SA; the link is visible only with keys)"
            ),
            "",
            Evidence::Inferred,
            vec![first],
        );
        if let Some((name, f)) = &later.fatal {
            return (
                Outcome::Failed,
                format!("failed: {name} (frame {f})"),
                false,
            );
        }
        return if answered {
            (
                Outcome::Established,
                "IKE SA already established when the capture starts (its exchanges are answered)"
                    .to_owned(),
                true,
            )
        } else {
            (
                Outcome::Incomplete,
                "IKE SA seen mid-life, no exchange answered in the capture".to_owned(),
                true,
            )
        };
    }
    let last_init = init.last.and_then(|i| sa.exs.get(i)).cloned();
    if init.chosen.is_none() {
        if let Some((name, f)) = &init.failed {
            return (
                Outcome::Failed,
                format!("IKE_SA_INIT failed: the responder answered N({name}) (frame {f})"),
                false,
            );
        }
        if let Some(ex) = last_init.filter(|e| !e.answered()) {
            let f = ex.first_req_row().map_or(0, |r| sa.frame(r));
            return if ex.retransmissions() > 0 {
                (
                    Outcome::Failed,
                    format!(
                        "no response to IKE_SA_INIT (frame {f}, retransmitted {} time(s))",
                        ex.retransmissions()
                    ),
                    false,
                )
            } else {
                (
                    Outcome::Incomplete,
                    format!("IKE_SA_INIT request (frame {f}) without response in the capture"),
                    false,
                )
            };
        }
        return (
            Outcome::Failed,
            "IKE_SA_INIT response without an SA payload".to_owned(),
            false,
        );
    }
    let chosen_frame = init.chosen.as_ref().map_or(0, |c| c.frame);
    let Some(auth_i) = later.last_auth else {
        let intermediate = sa
            .exs
            .iter()
            .any(|e| e.exchange == ExchangeType::IKE_INTERMEDIATE);
        return (
            Outcome::Incomplete,
            format!(
                "IKE_SA_INIT completed (frame {chosen_frame}){}; no IKE_AUTH in the capture",
                if intermediate {
                    " and IKE_INTERMEDIATE"
                } else {
                    ""
                }
            ),
            false,
        );
    };
    let Some(auth) = sa.exs.get(auth_i).cloned() else {
        return (Outcome::Incomplete, String::new(), false);
    };
    let req_frame = auth.first_req_row().map_or(0, |r| sa.frame(r));
    if !auth.answered() {
        return if auth.retransmissions() > 0 {
            (
                Outcome::Failed,
                format!(
                    "IKE_SA_INIT completed (frame {chosen_frame}), but IKE_AUTH (frame {req_frame}) got no response although retransmitted {} time(s)",
                    auth.retransmissions()
                ),
                false,
            )
        } else {
            (
                Outcome::Incomplete,
                format!(
                    "IKE_SA_INIT completed (frame {chosen_frame}); IKE_AUTH request (frame {req_frame}) without response in the capture"
                ),
                false,
            )
        };
    }
    let resp_recs = sa.recs_of(&auth.resp);
    let Some(resp) = content(&resp_recs) else {
        return (Outcome::Incomplete, String::new(), false);
    };
    if let Some((name, f)) = &later.fatal {
        return (
            Outcome::Failed,
            format!("IKE SA failed: N({name}) (frame {f}, decrypted)"),
            false,
        );
    }
    if resp.decrypted {
        if later.auth_seen_ok {
            let child = match &later.child_failed {
                Some(n) => {
                    format!("; the CHILD_SA was not created (N({n}) in the IKE_AUTH response)")
                }
                None => String::new(),
            };
            return (
                Outcome::Established,
                format!(
                    "IKE SA established: the IKE_AUTH response (frame {}) carries the responder's AUTH{child}",
                    resp.frame
                ),
                false,
            );
        }
        if later.eap_pending {
            return (
                Outcome::Incomplete,
                format!(
                    "EAP authentication in progress (frame {}): no final IKE_AUTH in the capture",
                    resp.frame
                ),
                false,
            );
        }
        return (
            Outcome::Failed,
            format!(
                "the IKE_AUTH response (frame {}) carries no AUTH payload",
                resp.frame
            ),
            false,
        );
    }
    // Not decrypted: infer.
    let last_auth_row = auth.resp.last().map_or(0, |p| p.row);
    let used_after: Vec<u64> = sa
        .exs
        .iter()
        .filter(|e| e.answered() && e.req.first().is_some_and(|p| p.row > last_auth_row))
        .filter_map(|e| e.first_req_row().map(|r| sa.frame(r)))
        .collect();
    if !used_after.is_empty() {
        return (
            Outcome::Established,
            format!(
                "IKE SA established (inferred): the IKE_AUTH response (frame {}) is encrypted, but the SA is used afterwards (exchanges from frame {})",
                resp.frame,
                used_after.first().copied().unwrap_or(0)
            ),
            true,
        );
    }
    let tiny = match (
        init.chosen.as_ref().and_then(|c| sk_overhead(&c.proposal)),
        resp.sk_data_len,
    ) {
        (Some((iv, icv)), Some(len)) => Some(len.saturating_sub(iv + icv)),
        _ => None,
    };
    // IDr (≥ 9 bytes) + AUTH (≥ 8 + 16) + Pad Length: a successful response needs ≥ 34.
    if let Some(ct) = tiny.filter(|ct| *ct < 34) {
        sa.find(
            Severity::Error,
            "AUTHENTICATION_FAILED",
            format!(
                "inferred, not seen: the IKE_AUTH response (frame {}) is encrypted and holds only {ct} bytes of ciphertext — too small for IDr and AUTH, so it most likely carries only an error notify, and nothing follows it: the responder rejected authentication (AUTHENTICATION_FAILED, or another error) — decrypt with --keys to confirm",
                resp.frame
            ),
            explain::error_notify(nt::AUTHENTICATION_FAILED, ExchangeType::IKE_AUTH).map_or("", |x| x.check),
            Evidence::Inferred,
            vec![req_frame, resp.frame],
        );
        return (
            Outcome::Failed,
            format!(
                "IKE_AUTH failed (inferred): the encrypted response (frame {}) is too small to carry the responder's AUTH; decrypt with --keys to confirm",
                resp.frame
            ),
            true,
        );
    }
    (
        Outcome::Established,
        format!(
            "IKE SA probably established (inferred): IKE_AUTH answered (frame {}), contents encrypted — decrypt with --keys to confirm",
            resp.frame
        ),
        true,
    )
}

// ---- unanswered, retransmissions, decryption ----------------------------------------------------

fn unanswered(sa: &mut Sa<'_>, init: &Init, frag: &Fragmentation, capture_end: u64) {
    let _ = init;
    let exs = sa.exs.clone();
    let port500_answered = exs.iter().any(|e| {
        e.answered()
            && e.req
                .first()
                .and_then(|p| sa.rec(p.row))
                .is_some_and(|r| r.dst.port() == 500 || r.src.port() == 500)
    });
    for ex in &exs {
        let Some(first_row) = ex.first_req_row() else {
            continue;
        };
        let Some(first) = sa.rec(first_row) else {
            continue;
        };
        let name = exchange_name(ex.exchange);
        let retx_frames: Vec<u64> = ex.req_retx.iter().map(|r| sa.frame(*r)).collect();
        if ex.answered() {
            if ex.retransmissions() > 0 {
                let resp_frame = ex.first_resp_row().map_or(0, |r| sa.frame(r));
                sa.find(
                    Severity::Warning,
                    "RETRANSMITTED",
                    format!(
                        "{name} request (frame {}) was retransmitted {} time(s) (frames {}) before the response (frame {resp_frame})",
                        first.frame,
                        ex.retransmissions(),
                        frames_text(&retx_frames)
                    ),
                    "packet loss on the path, or a slow peer (busy, or waiting on a RADIUS/LDAP back end)",
                    Evidence::Seen,
                    std::iter::once(first.frame).chain(retx_frames).collect(),
                );
            }
            continue;
        }
        let last_time = ex
            .req_retx
            .iter()
            .chain(ex.req.iter().map(|p| &p.row))
            .filter_map(|r| sa.rec(*r))
            .map(|r| r.time)
            .max()
            .unwrap_or(first.time);
        let wait = capture_end.saturating_sub(last_time) as f64 / 1e9;
        let ipf = ex
            .req
            .iter()
            .filter_map(|p| sa.rec(p.row))
            .map(|r| r.ip_fragments)
            .max()
            .unwrap_or(0);
        let mut text = format!(
            "{name} request from the {} (message ID {}, frame {}, {} bytes{}) got no response",
            side_of(ex.requester_initiator).as_str(),
            ex.message_id,
            first.frame,
            first.size,
            if ipf > 1 {
                format!(", sent in {ipf} IP fragments")
            } else {
                String::new()
            }
        );
        if ex.retransmissions() > 0 {
            text.push_str(&format!(
                "; retransmitted {} time(s) over {:.1} s (frames {})",
                ex.retransmissions(),
                last_time.saturating_sub(first.time) as f64 / 1e9,
                frames_text(&retx_frames)
            ));
        }
        if wait < 0.001 {
            text.push_str("; it is the last IKE message of the capture");
        } else {
            text.push_str(&format!(
                "; the capture's last IKE message comes {wait:.1} s after it"
            ));
        }
        let mut check = String::from(explain::UNANSWERED.check);
        let on_4500 = first.dst.port() == 4500 || first.src.port() == 4500;
        if on_4500 && port500_answered {
            check.push_str(". Here the exchange on UDP 500 was answered and this one, on UDP 4500, was not: check that UDP 4500 passes");
        }
        if ipf > 1 {
            check.push_str(&format!(
                ". This message was IP-fragmented: {}",
                fragmentation_advice(frag)
            ));
        }
        let severity = if matches!(
            ex.exchange,
            ExchangeType::IKE_SA_INIT | ExchangeType::IKE_AUTH
        ) || ex.retransmissions() > 0
        {
            Severity::Error
        } else {
            Severity::Warning
        };
        sa.find(
            severity,
            "UNANSWERED",
            text,
            &check,
            Evidence::Seen,
            std::iter::once(first.frame).chain(retx_frames).collect(),
        );
    }
}

fn not_decrypted(sa: &mut Sa<'_>, d: &Decryption) {
    if d.encrypted_messages == 0 || d.decrypted_messages == d.encrypted_messages {
        return;
    }
    let frames: Vec<u64> = sa
        .recs
        .iter()
        .filter(|r| r.encrypted && !r.decrypted && r.skf.is_none())
        .map(|r| r.frame)
        .collect();
    if d.decrypted_messages == 0 {
        sa.find(
            Severity::Info,
            "NOT_DECRYPTED",
            format!(
                "{} encrypted message(s) not decrypted: identities, CHILD_SA proposals, traffic selectors, deletes and error notifies inside SK are not visible, and conclusions about them are inferred",
                d.encrypted_messages
            ),
            "pass --keys with a Wireshark ikev2_decryption_table for this SA (SPIi, SPIr, SK_ei, SK_er, SK_ai, SK_ar)",
            Evidence::Seen,
            frames,
        );
    } else {
        sa.find(
            Severity::Warning,
            "NOT_DECRYPTED",
            format!(
                "{} of {} encrypted message(s) came without decrypted payloads (integrity check failed or keys missing)",
                d.encrypted_messages - d.decrypted_messages,
                d.encrypted_messages
            ),
            "the key table line for this SA (wrong SK_e/SK_a, or the algorithm names)",
            Evidence::Seen,
            frames,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::payload::{AttrValue, Transform, TransformAttr, TransformId};
    use crate::wire::registry::TransformAttrType;

    fn tr(t: u8, id: u16, kl: Option<u16>) -> Transform {
        Transform {
            reserved1: 0,
            length: 0,
            transform_type: TransformType(t),
            reserved2: 0,
            transform_id: TransformId::new(TransformType(t), id),
            attributes: kl
                .map(|k| TransformAttr {
                    attr_type: TransformAttrType::KEY_LENGTH,
                    value: AttrValue::Tv(k),
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn nat_hash_is_rfc7296_layout() {
        // SHA-1 over 8 + 8 + 4 + 2 bytes: SPIi, SPIr, IPv4, port.
        let addr: SocketAddr = "192.0.2.1:500".parse().unwrap();
        let mut h = Sha1::new();
        h.update([
            1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1, 0x01, 0xf4,
        ]);
        let want: [u8; 20] = h.finalize().into();
        assert_eq!(nat_detection_hash(0x0102030405060708, 0, addr), want);
        assert_ne!(nat_detection_hash(0x0102030405060708, 1, addr), want);
    }

    #[test]
    fn proposal_names() {
        let p = Proposal {
            reserved: 0,
            length: 0,
            proposal_num: 1,
            protocol_id: ProtocolId::IKE,
            spi: Vec::new(),
            transforms: vec![
                tr(1, 12, Some(128)),
                tr(1, 3, None),
                tr(2, 5, None),
                tr(3, 12, None),
                tr(4, 14, None),
                tr(6, 36, None),
                tr(1, 99, None),
            ],
        };
        let s = summarize_proposal(&p, 1);
        assert_eq!(s.encr, ["ENCR_AES_CBC_128", "ENCR_3DES", "ENCR#99"]);
        assert_eq!(s.ke, ["2048-bit MODP Group (14)"]);
        assert_eq!(s.addke.get("ADDKE1").unwrap(), &["ml-kem-768 (36)"]);
        assert_eq!(
            s.text,
            "#1 IKE: ENCR_AES_CBC_128,ENCR_3DES,ENCR#99 / PRF_HMAC_SHA2_256 / AUTH_HMAC_SHA2_256_128 / 2048-bit MODP Group (14) / ADDKE1=ml-kem-768 (36)"
        );
        assert_eq!(s.transforms.len(), 7);
    }

    #[test]
    fn traffic_selector_text() {
        let v4 = TrafficSelector::Ipv4Range {
            ip_protocol: 0,
            start_port: 0,
            end_port: 65535,
            start: "10.1.0.0".parse().unwrap(),
            end: "10.1.255.255".parse().unwrap(),
        };
        assert_eq!(ts_text(&v4), "10.1.0.0/16");
        let odd = TrafficSelector::Ipv4Range {
            ip_protocol: 17,
            start_port: 500,
            end_port: 500,
            start: "10.0.0.1".parse().unwrap(),
            end: "10.0.0.9".parse().unwrap(),
        };
        assert_eq!(ts_text(&odd), "10.0.0.1-10.0.0.9 proto 17 port 500");
        let all6 = TrafficSelector::Ipv6Range {
            ip_protocol: 0,
            start_port: 0,
            end_port: 65535,
            start: "::".parse().unwrap(),
            end: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap(),
        };
        assert_eq!(ts_text(&all6), "::/0");
    }

    #[test]
    fn frames_ranges() {
        assert_eq!(frames_text(&[3, 4, 5]), "3–5");
        assert_eq!(frames_text(&[5, 8, 11]), "5, 8, 11");
        assert_eq!(frames_text(&[7]), "7");
    }

    #[test]
    fn sk_overheads() {
        let p = Proposal {
            reserved: 0,
            length: 0,
            proposal_num: 1,
            protocol_id: ProtocolId::IKE,
            spi: Vec::new(),
            transforms: vec![tr(1, 12, Some(128)), tr(3, 12, None)],
        };
        assert_eq!(sk_overhead(&summarize_proposal(&p, 1)), Some((16, 16)));
        let g = Proposal {
            transforms: vec![tr(1, 20, Some(256))],
            ..p
        };
        assert_eq!(sk_overhead(&summarize_proposal(&g, 1)), Some((8, 16)));
    }

    // ---- hand-built exchanges ----

    use crate::wire::header::Header;
    use crate::wire::payload::{Auth, Notify, Sa as SaBody, Sk, Ts};

    fn msg(spi_r: u64, exchange: u8, flags: u8, mid: u32, payloads: Vec<Payload>) -> Message {
        Message {
            header: Header {
                spi_i: 0x1111_2222_3333_4444,
                spi_r,
                next_payload: PayloadType(0),
                major_version: 2,
                minor_version: 0,
                exchange: ExchangeType(exchange),
                flags,
                message_id: mid,
                length: 0,
            },
            payloads,
        }
    }

    fn notify(t: u16, spi: Vec<u8>) -> Payload {
        Payload::new(
            PayloadType(41),
            PayloadBody::Notify(Notify {
                protocol_id: ProtocolId(if spi.is_empty() { 0 } else { 3 }),
                notify_type: NotifyType(t),
                spi,
                data: Default::default(),
                decoded: NotifyData::Empty,
            }),
        )
    }

    fn sa(protocol: u8, transforms: Vec<Transform>) -> Payload {
        Payload::new(
            PayloadType(33),
            PayloadBody::Sa(SaBody {
                proposals: smallvec::smallvec![Proposal {
                    reserved: 0,
                    length: 0,
                    proposal_num: 1,
                    protocol_id: ProtocolId(protocol),
                    spi: if protocol == 3 {
                        vec![1, 2, 3, 4]
                    } else {
                        Vec::new()
                    },
                    transforms,
                }],
            }),
        )
    }

    fn sk() -> Payload {
        Payload::new(
            PayloadType(46),
            PayloadBody::Sk(Sk {
                next_payload: PayloadType(39),
                data: vec![0; 120],
            }),
        )
    }

    fn auth() -> Payload {
        Payload::new(
            PayloadType(39),
            PayloadBody::Auth(Box::new(Auth {
                method: AuthMethod(2),
                reserved: [0; 3],
                data: vec![0; 32],
                signature: None,
            })),
        )
    }

    fn ts(t: u8) -> Payload {
        Payload::new(
            PayloadType(t),
            PayloadBody::Ts(Ts {
                reserved: [0; 3],
                selectors: vec![TrafficSelector::Ipv6Range {
                    ip_protocol: 0,
                    start_port: 0,
                    end_port: 65535,
                    start: "2001:db8::".parse().unwrap(),
                    end: "2001:db8::ffff".parse().unwrap(),
                }],
            }),
        )
    }

    /// Feeds (frame, from initiator, message, inner) in order; addresses are IPv6.
    fn drive(list: &[(u64, bool, &Message, Option<Vec<Payload>>)]) -> Vec<SaSummary> {
        let i: SocketAddr = "[2001:db8::1]:500".parse().unwrap();
        let r: SocketAddr = "[2001:db8::2]:500".parse().unwrap();
        let mut a = Analyzer::new();
        for (frame, from_i, m, inner) in list {
            let bytes = m.emit();
            a.push(&Observed {
                frame: *frame,
                time_nanos: frame.saturating_mul(1_000_000),
                src: if *from_i { i } else { r },
                dst: if *from_i { r } else { i },
                bytes: &bytes,
                message: m,
                decrypted: inner.as_deref(),
                ip_fragments: 0,
            });
        }
        a.finish()
    }

    #[test]
    fn ts_unacceptable_in_ike_auth() {
        let ike = vec![tr(1, 20, Some(256)), tr(2, 5, None), tr(4, 19, None)];
        let esp = vec![tr(1, 20, Some(128)), tr(5, 0, None)];
        let init_q = msg(0, 34, 0x08, 0, vec![sa(1, ike.clone())]);
        let init_r = msg(9, 34, 0x20, 0, vec![sa(1, ike)]);
        let auth_q = msg(9, 35, 0x08, 1, vec![sk()]);
        let auth_r = msg(9, 35, 0x20, 1, vec![sk()]);
        let info_q = msg(9, 37, 0x00, 0, vec![sk()]); // from the responder: its message ID 0
        let out = drive(&[
            (1, true, &init_q, None),
            (2, false, &init_r, None),
            (
                3,
                true,
                &auth_q,
                Some(vec![auth(), sa(3, esp), ts(44), ts(45)]),
            ),
            (
                4,
                false,
                &auth_r,
                Some(vec![auth(), notify(38, Vec::new())]),
            ),
            (
                5,
                false,
                &info_q,
                Some(vec![notify(11, vec![0xca, 0xfe, 0, 1])]),
            ),
        ]);
        let s = &out[0];
        assert_eq!(s.outcome, Outcome::Established, "{}", s.outcome_text);
        assert!(
            s.outcome_text.contains("N(TS_UNACCEPTABLE)"),
            "{}",
            s.outcome_text
        );
        let c = &s.child_sas[0];
        assert_eq!(
            (c.status, c.status_text.as_str()),
            (ChildStatus::Failed, "failed: TS_UNACCEPTABLE")
        );
        assert_eq!(c.proposed_ts.as_ref().unwrap().ts_i, ["2001:db8::/112"]);
        let f = s
            .findings
            .iter()
            .find(|f| f.code == "TS_UNACCEPTABLE")
            .unwrap();
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.text.contains("inside the encrypted payload"),
            "{}",
            f.text
        );
        assert!(f.check.contains("local_ts/remote_ts"), "{}", f.check);
        let f = s.findings.iter().find(|f| f.code == "INVALID_SPI").unwrap();
        assert!(
            f.text.contains("(SPI cafe0001)")
                && f.text.contains("INFORMATIONAL request from the responder"),
            "{}",
            f.text
        );
        // The responder's INFORMATIONAL request has no response: a warning, not an error.
        let u = s.findings.iter().find(|f| f.code == "UNANSWERED").unwrap();
        assert_eq!(u.severity, Severity::Warning);
        assert!(s.ladder[4].unanswered && s.ladder[4].direction == Direction::ResponderToInitiator);
    }

    #[test]
    fn odd_sequences_do_not_panic() {
        assert!(Analyzer::new().finish().is_empty());
        // A lone response, frame numbers at the top of the range, a request retransmitted.
        let resp = msg(7, 35, 0x20, 1, vec![sk()]);
        let req = msg(7, 37, 0x08, u32::MAX, vec![]);
        let out = drive(&[
            (u64::MAX - 2, false, &resp, None),
            (u64::MAX - 1, true, &req, None),
            (u64::MAX, true, &req, None),
        ]);
        assert_eq!(out.len(), 1);
        let s = &out[0];
        assert_eq!(s.ladder[0].answers, None);
        assert_eq!(s.ladder[2].retransmission_of, Some(u64::MAX - 1));
        assert_eq!(s.ladder[1].retransmissions, 1);
        assert!(s.findings.iter().any(|f| f.code == "NO_IKE_SA_INIT"));
        assert!(serde_json_like(s));
        // IKE_SA_INIT answered by an unknown error notify (private use 9000).
        let q = msg(0, 34, 0x08, 0, vec![]);
        let r = msg(0, 34, 0x20, 0, vec![notify(9000, Vec::new())]);
        let out = drive(&[(1, true, &q, None), (2, false, &r, None)]);
        assert_eq!(out[0].outcome, Outcome::Failed);
        assert!(out[0]
            .findings
            .iter()
            .any(|f| f.code == "9000" && f.severity == Severity::Error));
        assert_eq!(out[0].nat.outcome, NatOutcome::NotDetected);
    }

    /// The summary serialises (serde_json is a dev-dependency of the integration tests only).
    fn serde_json_like(s: &SaSummary) -> bool {
        crate::wire::registry::testjson::to_json(&s.ladder[0].direction)
            == r#""responder_to_initiator""#
    }
}
