//! RFC 7383 §2.6 reassembly of Encrypted Fragment (SKF) payloads.
//!
//! Each SKF fragment is decrypted and verified on its own; a fragment whose ICV does not verify
//! is discarded. Fragments are collected per IKE SA (both SPIs), Message ID and direction (the
//! I and R flags); when all `Total Fragments` have arrived, their plaintexts are concatenated
//! in Fragment Number order and the inner chain (type from fragment 1's Next Payload) is parsed.
//! A fragment announcing another Total Fragments than the ones collected so far starts the
//! collection afresh (§2.6: a sender may re-fragment a retransmission). Memory is bounded: at
//! most [`MAX_PENDING`] messages in reassembly (oldest dropped), each at most [`MAX_MESSAGE`]
//! octets.
//!
//! Linear in the fragments: each fragment is filed in O(log n) — a hash map keyed by Fragment
//! Number holds the parts, and the numbers still missing are kept as ranges (`[2, 9]`,
//! `[11, 65535]`) in an ordered map, split when a fragment arrives; the first
//! [`MAX_MISSING_LISTED`] missing numbers are read from the first ranges (each range gives at
//! least one), and completion is `parts.len() == total`, checked on arrival. Nothing rescans
//! the fragments already received; the message is concatenated once, when complete.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::crypto::decrypt::Decrypted;
use crate::error::Error;
use crate::wire::header::Header;
use crate::wire::payload::{self, Payload};
use crate::wire::reader::Reader;
use crate::wire::registry::PayloadType;

/// Messages whose fragments are being collected at once.
pub const MAX_PENDING: usize = 256;
/// Octets of plaintext one reassembled message may hold.
pub const MAX_MESSAGE: usize = 1 << 20;

/// Where an SKF fragment's message stands.
#[derive(Debug)]
pub enum FragmentState {
    /// Fragments still missing (their numbers).
    Waiting {
        /// Missing Fragment Numbers.
        missing: Vec<u16>,
    },
    /// This fragment was not kept (ICV failed, or a limit); why.
    Discarded(String),
    /// This was the last missing fragment: the reassembled message.
    Complete(Reassembled),
}

/// A message reassembled from SKF fragments.
#[derive(Debug)]
pub struct Reassembled {
    /// Frames of fragments 1, 2, … in order.
    pub frames: Vec<u64>,
    /// Type of the first inner payload (fragment 1's Next Payload).
    pub first_payload: PayloadType,
    /// The concatenated plaintext.
    pub plaintext: Vec<u8>,
    /// The inner chain (offsets count from the first octet of the concatenated plaintext).
    pub payloads: Result<Vec<Payload>, Error>,
}

/// The message a fragment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct MessageKey {
    spi_i: u64,
    spi_r: u64,
    message_id: u32,
    /// I and R flags.
    direction: u8,
}

/// Missing Fragment Numbers reported per fragment and per unfinished message, at most.
pub const MAX_MISSING_LISTED: usize = 64;

/// One kept fragment.
#[derive(Debug)]
struct Part {
    plaintext: Vec<u8>,
    frame: u64,
    first_payload: u8,
}

/// The fragments of one message collected so far.
#[derive(Debug)]
struct Collection {
    total: u16,
    /// Fragment Number → fragment.
    parts: HashMap<u16, Part>,
    /// Fragment Numbers not yet received, as ranges: first → last (inclusive).
    missing: BTreeMap<u16, u16>,
    octets: usize,
    born: u64,
}

impl Collection {
    fn new(total: u16, born: u64) -> Self {
        Collection {
            total,
            parts: HashMap::new(),
            missing: BTreeMap::from([(1, total)]),
            octets: 0,
            born,
        }
    }

    /// Takes Fragment Number `n` out of the missing ranges (O(log n); nothing when it was
    /// received before).
    fn received(&mut self, n: u16) {
        let Some((&first, &last)) = self.missing.range(..=n).next_back() else {
            return;
        };
        if n > last {
            return;
        }
        self.missing.remove(&first);
        if first < n {
            self.missing.insert(first, n - 1);
        }
        if n < last {
            self.missing.insert(n + 1, last);
        }
    }

    /// Fragment Numbers not yet received (the first [`MAX_MISSING_LISTED`]), read from the
    /// first ranges.
    fn missing(&self) -> Vec<u16> {
        self.missing
            .iter()
            .flat_map(|(&first, &last)| first..=last)
            .take(MAX_MISSING_LISTED)
            .collect()
    }

    /// The frames of the fragments received, in Fragment Number order.
    fn frames(&self) -> Vec<u64> {
        let mut numbered: Vec<(u16, u64)> = self.parts.iter().map(|(n, p)| (*n, p.frame)).collect();
        numbered.sort_unstable();
        numbered.into_iter().map(|(_, f)| f).collect()
    }
}

/// A message whose fragments never all arrived (see [`Reassembly::finish`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    /// IKE SA initiator's SPI.
    pub spi_i: u64,
    /// IKE SA responder's SPI.
    pub spi_r: u64,
    /// Message ID.
    pub message_id: u32,
    /// Fragments received.
    pub received: usize,
    /// Total Fragments.
    pub total: u16,
    /// Frames of the fragments received, in Fragment Number order.
    pub frames: Vec<u64>,
    /// Fragment Numbers missing (the first [`MAX_MISSING_LISTED`]).
    pub missing: Vec<u16>,
}

impl fmt::Display for Unfinished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frames: Vec<String> = self.frames.iter().map(|f| format!("#{f}")).collect();
        write!(
            f,
            "IKE SA {:016x}/{:016x} message {}: {} of {} fragment(s) (frames {}) never \
             completed; missing {:?}",
            self.spi_i,
            self.spi_r,
            self.message_id,
            self.received,
            self.total,
            frames.join(" "),
            self.missing
        )
    }
}

/// The SKF fragments waiting for the rest of their message.
#[derive(Debug, Default)]
pub struct Reassembly {
    pending: HashMap<MessageKey, Collection>,
    clock: u64,
}

impl Reassembly {
    /// Files one decrypted SKF fragment of the message with header `h`, seen in `frame`;
    /// reassembles when it was the last one missing.
    pub fn push(&mut self, h: &Header, d: &Decrypted, frame: u64) -> FragmentState {
        let Some(f) = d.fragment else {
            return FragmentState::Discarded("no fragment numbers".into());
        };
        if d.icv_checked && !d.icv_ok {
            return FragmentState::Discarded(
                "its ICV does not verify (RFC 7383 §2.6: such fragments are discarded)".into(),
            );
        }
        if f.number == 0 || f.total == 0 || f.number > f.total {
            return FragmentState::Discarded(format!(
                "Fragment Number {} of Total Fragments {} (RFC 7383 §2.5: 1 ≤ number ≤ total)",
                f.number, f.total
            ));
        }
        self.clock += 1;
        let key = MessageKey {
            spi_i: h.spi_i,
            spi_r: h.spi_r,
            message_id: h.message_id,
            direction: h.flags & (Header::FLAG_INITIATOR | Header::FLAG_RESPONSE),
        };
        if self.pending.get(&key).is_some_and(|s| s.total != f.total) {
            self.pending.remove(&key);
        }
        if !self.pending.contains_key(&key) && self.pending.len() >= MAX_PENDING {
            if let Some(old) = self
                .pending
                .iter()
                .min_by_key(|(_, s)| s.born)
                .map(|(k, _)| *k)
            {
                self.pending.remove(&old);
            }
        }
        let clock = self.clock;
        let set = self
            .pending
            .entry(key)
            .or_insert_with(|| Collection::new(f.total, clock));
        let old = set.parts.get(&f.number).map_or(0, |p| p.plaintext.len());
        if set.octets - old + d.plaintext.len() > MAX_MESSAGE {
            return FragmentState::Discarded(format!(
                "the message would exceed {MAX_MESSAGE} octets"
            ));
        }
        set.octets = set.octets - old + d.plaintext.len();
        set.parts.insert(
            f.number,
            Part {
                plaintext: d.plaintext.clone(),
                frame,
                first_payload: d.first_payload,
            },
        );
        set.received(f.number);
        if set.parts.len() < usize::from(set.total) {
            return FragmentState::Waiting {
                missing: set.missing(),
            };
        }
        let Some(mut set) = self.pending.remove(&key) else {
            return FragmentState::Discarded("internal: fragment set vanished".into());
        };
        let first_payload = PayloadType(set.parts.get(&1).map_or(0, |p| p.first_payload));
        let mut plaintext = Vec::with_capacity(set.octets);
        let mut frames = Vec::with_capacity(set.parts.len());
        // Complete: every number from 1 to total is present, one lookup each.
        for n in 1..=set.total {
            if let Some(p) = set.parts.remove(&n) {
                plaintext.extend_from_slice(&p.plaintext);
                frames.push(p.frame);
            }
        }
        let payloads = payload::parse_chain(&mut Reader::new(&plaintext, 0), first_payload)
            .map_err(|e| e.within("reassembled message (offsets in its plaintext)"));
        FragmentState::Complete(Reassembled {
            frames,
            first_payload,
            plaintext,
            payloads,
        })
    }

    /// Messages whose fragments never all arrived, oldest first. Clears them.
    pub fn finish(&mut self) -> Vec<Unfinished> {
        let mut left: Vec<_> = self.pending.drain().collect();
        left.sort_by_key(|(_, s)| s.born);
        left.into_iter()
            .map(|(k, s)| Unfinished {
                spi_i: k.spi_i,
                spi_r: k.spi_r,
                message_id: k.message_id,
                received: s.parts.len(),
                total: s.total,
                frames: s.frames(),
                missing: s.missing(),
            })
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::crypto::decrypt::Fragment;

    fn header() -> Header {
        Header {
            spi_i: 1,
            spi_r: 2,
            next_payload: PayloadType(53),
            major_version: 2,
            minor_version: 0,
            exchange: crate::wire::registry::ExchangeType::IKE_AUTH,
            flags: Header::FLAG_INITIATOR,
            message_id: 1,
            length: 0,
        }
    }

    fn fragment(number: u16, total: u16) -> Decrypted {
        Decrypted {
            first_payload: 0,
            plaintext: number.to_be_bytes().to_vec(),
            plaintext_offset: 0,
            pad_len: 0,
            icv_ok: true,
            icv_checked: true,
            fragment: Some(Fragment { number, total }),
        }
    }

    /// 20,000 fragments of one message, in an order that keeps a gap at the front until the
    /// end (even numbers, then odd ones from the top down), with duplicates: the missing list
    /// stays right and bounded, and the message is reassembled in Fragment Number order.
    #[test]
    fn many_fragments_out_of_order() {
        const TOTAL: u16 = 20_000;
        let h = header();
        let mut r = Reassembly::default();
        let order = (2..=TOTAL).step_by(2).chain((1..TOTAL).rev().step_by(2));
        let mut frame = 0;
        let mut last = None;
        for n in order {
            frame += 1;
            if n % 1000 == 0 {
                // A duplicate changes nothing.
                let st = r.push(&h, &fragment(n, TOTAL), frame);
                assert!(matches!(st, FragmentState::Waiting { .. }), "{st:?}");
            }
            match r.push(&h, &fragment(n, TOTAL), frame) {
                FragmentState::Waiting { missing } => {
                    assert!(missing.len() <= MAX_MISSING_LISTED);
                    assert!(!missing.contains(&n));
                    if n == 4 {
                        assert_eq!(missing[..3], [1, 3, 5]);
                    }
                }
                FragmentState::Complete(done) => last = Some(done),
                FragmentState::Discarded(why) => panic!("{n}: {why}"),
            }
        }
        let done = last.unwrap();
        assert_eq!(done.frames.len(), usize::from(TOTAL));
        let numbers: Vec<u16> = done
            .plaintext
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        assert!(numbers.iter().copied().eq(1..=TOTAL));
        assert!(r.finish().is_empty());
    }
}
