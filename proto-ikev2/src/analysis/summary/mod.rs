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

mod fragmentation;
mod later;
mod model;
mod names;
mod nat;
mod outcome;
mod record;
mod sa;
mod sa_init;
#[cfg(test)]
mod tests;

pub use model::*;
pub use names::summarize_proposal;

use fragmentation::*;
use later::*;
use names::*;
use nat::*;
use outcome::*;
use record::*;
use sa::*;
use sa_init::*;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;

use crate::ike_sa_init::{nat_detection_hash, Demand, InitResponse};

use crate::analysis::explain;
use crate::wire::message::Message;
use crate::wire::payload::{
    notify_type as nt, GatewayId, Notify, NotifyData, Payload, PayloadBody, Proposal, Transform,
    TransformsByType,
};
use crate::wire::registry::{
    AuthMethod, ExchangeType, KeId, NotifyType, PayloadType, ProtocolId, TransformType,
};

/// IKE SAs the analysis holds at once; beyond, the least recently active one is summarised
/// early and handed out by [`Analyzer::take_evicted`].
pub const MAX_SAS: usize = 4096;
/// Messages the analysis holds at once, over all SAs; beyond, the least recently active SA is
/// summarised early as with [`MAX_SAS`].
pub const MAX_MESSAGES: usize = 8192;
/// Copies of one message (same sender, Message ID, fragment and octets) kept for the ladder;
/// further retransmissions are counted, not stored.
pub const MAX_COPIES: u64 = 16;

/// One message, to tell its copies apart: response, from the initiator, Message ID, SKF
/// Fragment Number, digest of its octets.
type CopyKey = (bool, bool, u32, Option<u16>, u64);

/// The messages of one IKE SA held so far.
#[derive(Debug, Default)]
struct Held {
    /// When it first appeared (orders the summaries).
    first: u64,
    /// When it was last active (the LRU key).
    last: u64,
    recs: Vec<Rec>,
    /// Copies seen of each message → (frame of the first copy, copies). `foldhash` (seeded
    /// per process): the key is looked up for every message.
    copies: foldhash::HashMap<CopyKey, (u64, u64)>,
}

impl Held {
    /// Retransmissions beyond [`MAX_COPIES`], counted: frame of the first copy → count (the
    /// copies of each message past the first [`MAX_COPIES`], summed over the messages whose
    /// first copy came in that frame). Read off `copies` when the SA is summarised, instead of
    /// an ordered map updated for every such copy.
    fn uncounted(&self) -> BTreeMap<u64, u64> {
        let mut out = BTreeMap::new();
        for &(frame, n) in self.copies.values() {
            if n > MAX_COPIES {
                *out.entry(frame).or_default() += n - MAX_COPIES;
            }
        }
        out
    }
}

/// The digest of a message's octets that tells its copies apart: `foldhash` with a fixed seed
/// (the same in every run; several times faster over a whole message than SipHash, which it
/// replaces here).
fn digest_of(bytes: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::with_seed(0).hash_one(bytes)
}

/// The Fragment Number of the message's SKF payload, as [`Rec::collect`] keeps it: the last
/// SKF of the decrypted payloads, else of the outer ones.
fn skf_number(m: &Observed<'_>) -> Option<u16> {
    let last = |payloads: &[Payload]| {
        payloads.iter().rev().find_map(|p| match &p.body {
            PayloadBody::Skf(f) => Some(f.fragment_number),
            _ => None,
        })
    };
    m.decrypted
        .and_then(last)
        .or_else(|| last(&m.message.payloads))
}

/// Collects the messages of a capture and groups them by IKE SA. Memory is bounded: at most
/// [`MAX_SAS`] SAs and [`MAX_MESSAGES`] messages are held (the least recently active SA is
/// summarised early when either is exceeded, with an `SA_TABLE_FULL` finding), and only
/// [`MAX_COPIES`] copies of a retransmitted message are kept (the rest counted, with a
/// `RETRANSMISSIONS_COUNTED` finding).
#[derive(Debug, Default)]
pub struct Analyzer {
    /// By initiator's SPI (`foldhash`, seeded per process: looked up for every message).
    sas: foldhash::HashMap<u64, Held>,
    /// (last activity, SPIi) in order of activity, for the least recently active SA: an entry
    /// is current while its SA's [`Held::last`] is that activity; older ones are skipped when
    /// met and dropped when they outnumber the SAs. (A queue instead of an ordered map: a
    /// message that changes the active SA appends one entry instead of a tree removal and
    /// insertion.)
    lru: VecDeque<(u64, u64)>,
    /// The SA of the last message: it is the most recently active already, so its place in
    /// `lru` needs no update when the next message is its too.
    last_active: Option<u64>,
    messages: usize,
    clock: u64,
    capture_end: u64,
    evicted: Vec<SaSummary>,
    evictions: u64,
}

impl Analyzer {
    /// An empty analyzer.
    pub fn new() -> Self {
        Analyzer::default()
    }

    /// Adds one message (in capture order).
    pub fn push(&mut self, m: &Observed<'_>) {
        self.capture_end = self.capture_end.max(m.time_nanos);
        self.clock += 1;
        let clock = self.clock;
        let spi_i = m.message.header.spi_i;
        let held = self.sas.entry(spi_i).or_insert_with(|| Held {
            first: clock,
            ..Held::default()
        });
        // The most recently active SA stays last in `lru` under its earlier key: no other SA
        // was active since, so the order is the same.
        if self.last_active != Some(spi_i) || held.last == 0 {
            held.last = clock;
            self.lru.push_back((clock, spi_i));
            self.last_active = Some(spi_i);
        }
        // The copy is told apart before anything else is read of it: a retransmission beyond
        // MAX_COPIES is only counted, so it costs a digest and a lookup, not a record.
        let h = &m.message.header;
        let digest = digest_of(m.bytes);
        let key = (
            h.response(),
            h.initiator(),
            h.message_id,
            skf_number(m),
            digest,
        );
        let copies = held.copies.entry(key).or_insert((m.frame, 0));
        copies.1 += 1;
        if copies.1 <= MAX_COPIES {
            held.recs.push(Rec::new(m, digest));
            self.messages += 1;
        }
        if self.lru.len() > 2 * self.sas.len() + 64 {
            let sas = &self.sas;
            self.lru
                .retain(|(t, spi)| sas.get(spi).is_some_and(|h| h.last == *t));
        }
        while self.sas.len() > MAX_SAS || self.messages > MAX_MESSAGES {
            if !self.evict_one() {
                break;
            }
        }
    }

    /// Summarises the least recently active SA now; false when none is held.
    fn evict_one(&mut self) -> bool {
        // The first current entry (see `lru`).
        let spi = loop {
            let Some((t, spi)) = self.lru.pop_front() else {
                return false;
            };
            if self.sas.get(&spi).is_some_and(|h| h.last == t) {
                break spi;
            }
        };
        let Some(held) = self.sas.remove(&spi) else {
            return false;
        };
        self.messages = self.messages.saturating_sub(held.recs.len());
        self.evictions += 1;
        let frames = held.recs.last().map(|r| vec![r.frame]).unwrap_or_default();
        let Some((mut sa, _)) = summarise(spi, held, self.capture_end) else {
            return true;
        };
        sa.findings.push(Finding {
            severity: Severity::Info,
            code: "SA_TABLE_FULL".to_owned(),
            text: format!(
                "summarised before the end of the capture: the analysis holds at most {MAX_SAS} IKE SAs and {MAX_MESSAGES} messages at once, and this IKE SA was the least recently active; later messages of it, if any, are summarised in another block"
            ),
            check: String::new(),
            evidence: Evidence::Seen,
            frames,
            keys_hint: None,
        });
        self.evicted.push(sa);
        true
    }

    /// The SAs summarised early since the last call (see [`MAX_SAS`]), to be output now.
    pub fn take_evicted(&mut self) -> Vec<SaSummary> {
        std::mem::take(&mut self.evicted)
    }

    /// How many SAs were summarised early so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// One summary per IKE SA still held (after any [`Analyzer::take_evicted`] ones), in order
    /// of first appearance; rekeyed SAs linked.
    pub fn finish(self) -> Vec<SaSummary> {
        let end = self.capture_end;
        let mut held: Vec<(u64, Held)> = self.sas.into_iter().collect();
        held.sort_by_key(|(_, h)| h.first);
        let mut out: Vec<(SaSummary, Option<u64>)> = self
            .evicted
            .into_iter()
            .map(|s| (s, None))
            .chain(
                held.into_iter()
                    .filter_map(|(spi, h)| summarise(spi, h, end)),
            )
            .collect();
        link_rekeys(&mut out);
        out.into_iter().map(|(s, _)| s).collect()
    }
}

/// The summary of one held SA, with the retransmissions counted beyond [`MAX_COPIES`].
fn summarise(spi: u64, held: Held, end: u64) -> Option<(SaSummary, Option<u64>)> {
    if held.recs.is_empty() {
        return None;
    }
    let uncounted = held.uncounted();
    let (mut sa, next) = analyze(spi, held.recs, end);
    if !uncounted.is_empty() {
        let total: u64 = uncounted.values().sum();
        let each: Vec<String> = uncounted
            .iter()
            .take(8)
            .map(|(frame, n)| format!("{n} of frame {frame}"))
            .collect();
        let more = uncounted.len().saturating_sub(each.len());
        let more = if more > 0 {
            format!(" and of {more} more message(s)")
        } else {
            String::new()
        };
        sa.findings.push(Finding {
            severity: Severity::Info,
            code: "RETRANSMISSIONS_COUNTED".to_owned(),
            text: format!(
                "{total} further retransmission(s) counted, not listed in the ladder ({}{more}): the analysis keeps {MAX_COPIES} copies of each message",
                each.join(", ")
            ),
            check: String::new(),
            evidence: Evidence::Seen,
            frames: uncounted.keys().take(8).copied().collect(),
            keys_hint: None,
        });
    }
    Some((sa, next))
}

/// Links each decrypted IKE rekey to the new SA it created; without keys, points an SA that
/// appears without IKE_SA_INIT at the encrypted CREATE_CHILD_SA that probably created it.
pub(super) fn link_rekeys(sas: &mut [(SaSummary, Option<u64>)]) {
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

pub(super) fn link_decrypted_rekeys(sas: &mut [(SaSummary, Option<u64>)]) {
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
            new.outcome_keys_hint = None;
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
            keys_hint: None,
        });
    }
}
