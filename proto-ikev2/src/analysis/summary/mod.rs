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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
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
