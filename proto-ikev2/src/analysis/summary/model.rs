//! What the analysis returns: one [`SaSummary`] per IKE SA and its parts.

use super::*;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
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
    /// Capture time, nanoseconds since the Unix epoch; in JSON `time`, the string
    /// `"SECONDS.NANOSECONDS"` every command's records use for a capture time.
    #[serde(rename = "time", serialize_with = "time_string")]
    pub time_nanos: u64,
    /// Milliseconds since the SA's first message.
    pub rel_ms: f64,
    /// Who sent it.
    pub direction: Direction,
    /// Exchange type; `Display` gives its name (or number). In JSON a code point, as a
    /// message header's exchange.
    pub exchange: ExchangeType,
    /// Message ID.
    pub message_id: u32,
    /// The R flag.
    pub response: bool,
    /// Outer payloads: `SA`, `KE`, `Ni`/`Nr`, `N(NAT_DETECTION_SOURCE_IP)`, `V`, `SK`,
    /// `SKF(1/3)`…
    pub payloads: Vec<PayloadLabel>,
    /// Payloads inside SK/SKF when decrypted (for SKF: at the fragment that completed it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner: Option<Vec<PayloadLabel>>,
    /// Notify types, outer and inner; in JSON by name (the notify's `Display`).
    #[serde(skip_serializing_if = "Vec::is_empty", serialize_with = "names")]
    pub notifies: Vec<NotifyType>,
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

/// How the ladder names a payload: `SA`, `Ni`, `N(COOKIE)`, `SKF(1/3)`, `type-99`. A small
/// `Copy` value, written out by its `Display` only when the ladder is printed; in JSON the
/// same text as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadLabel {
    /// A fixed name: `SA`, `KE`, `Ni`, `Nr`, `AUTH`, `EAP`, `D`, `SK`.
    Fixed(&'static str),
    /// A payload by its type's short name (`IDi`, `TSr`, `V`…), or `type-N` when it has none.
    Type(PayloadType),
    /// A Notify payload: `N(NAME)`, or `N(NUMBER)` for an unassigned type.
    Notify(NotifyType),
    /// An SKF payload: `SKF(Fragment Number/Total Fragments)`.
    Skf {
        /// Fragment Number.
        number: u16,
        /// Total Fragments.
        total: u16,
    },
}

impl std::fmt::Display for PayloadLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayloadLabel::Fixed(s) => f.write_str(s),
            PayloadLabel::Type(t) => match t.short() {
                Some(s) => f.write_str(s),
                None => write!(f, "type-{}", t.0),
            },
            PayloadLabel::Notify(t) => write!(f, "N({t})"),
            PayloadLabel::Skf { number, total } => write!(f, "SKF({number}/{total})"),
        }
    }
}

impl serde::Serialize for PayloadLabel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl PartialEq<str> for PayloadLabel {
    /// Whether `other` is the label's text, compared piece by piece (no `String`).
    fn eq(&self, other: &str) -> bool {
        let number = |n: u16, text: &str| itoa::Buffer::new().format(n) == text;
        let inside = |prefix: &str| {
            other
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(')'))
        };
        match self {
            PayloadLabel::Fixed(s) => *s == other,
            PayloadLabel::Type(t) => match t.short() {
                Some(s) => s == other,
                None => other
                    .strip_prefix("type-")
                    .is_some_and(|n| number(u16::from(t.0), n)),
            },
            PayloadLabel::Notify(t) => inside("N(").is_some_and(|n| match t.name() {
                Some(name) => name == n,
                None => number(t.0, n),
            }),
            PayloadLabel::Skf { number: k, total } => inside("SKF(")
                .and_then(|n| n.split_once('/'))
                .is_some_and(|(a, b)| number(*k, a) && number(*total, b)),
        }
    }
}

impl PartialEq<&str> for PayloadLabel {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

/// Code points as a list of their names (`Display`).
fn names<T: std::fmt::Display, S: serde::Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(ByName))
}

/// A code point serialised as its name (`Display`).
struct ByName<'a, T>(&'a T);

impl<T: std::fmt::Display> serde::Serialize for ByName<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

/// Nanoseconds since the Unix epoch as `"SECONDS.NANOSECONDS"` (nine digits).
fn time_string<S: serde::Serializer>(nanos: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!(
        "{}.{:09}",
        nanos / 1_000_000_000,
        nanos % 1_000_000_000
    ))
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
    /// In JSON a code point, as `decode`'s and `probe`'s groups.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::wire::registry::ke_name_as_code_point"
    )]
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
    /// In JSON a code point, as `decode`'s and `probe`'s groups.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::wire::registry::ke_name_as_code_point"
    )]
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
    /// In JSON a code point, as a message header's exchange.
    #[serde(serialize_with = "crate::wire::registry::exchange_name_as_code_point")]
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
pub struct DecryptionCounts {
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
    /// Exchange name; in JSON a code point, as a message header's exchange.
    #[serde(serialize_with = "crate::wire::registry::exchange_name_as_code_point")]
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
    /// Exchange name; in JSON a code point, as a message header's exchange.
    #[serde(serialize_with = "crate::wire::registry::exchange_name_as_code_point")]
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
    /// Where a front end adds how to give the IKE SA's keys (not serialised: the library
    /// names no command-line flag).
    #[serde(skip)]
    pub keys_hint: Option<KeysHint>,
}

/// A place where only the IKE SA's keys settle or show more: the library does not know how a
/// front end takes keys, so it marks the place and the front end words the hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysHint {
    /// The text states an inference that decrypting the messages would confirm: the hint
    /// (how to decrypt, to confirm) follows, after `joiner`.
    Confirm {
        /// What separates the hint from the text (" — ", "; ").
        joiner: &'static str,
    },
    /// The check names the key table to give (`a Wireshark ikev2_decryption_table …`): the
    /// hint (how to give it) goes before it.
    KeyTable,
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
    /// Where a front end adds how to give the keys to `outcome_text` (not serialised).
    #[serde(skip)]
    pub outcome_keys_hint: Option<KeysHint>,
    /// How the SA ended, when seen: deleted or rekeyed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
    /// How much was decrypted.
    pub decryption: DecryptionCounts,
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
