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
    parts: BTreeMap<u16, Part>,
    octets: usize,
    born: u64,
}

impl Collection {
    /// Fragment Numbers not yet received (the first 64).
    fn missing(&self) -> Vec<u16> {
        (1..=self.total)
            .filter(|n| !self.parts.contains_key(n))
            .take(64)
            .collect()
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
    /// Fragment Numbers missing (the first 64).
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
        if !d.icv_ok {
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
        let set = self.pending.entry(key).or_insert_with(|| Collection {
            total: f.total,
            parts: BTreeMap::new(),
            octets: 0,
            born: clock,
        });
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
        if set.parts.len() < usize::from(set.total) {
            return FragmentState::Waiting {
                missing: set.missing(),
            };
        }
        let Some(set) = self.pending.remove(&key) else {
            return FragmentState::Discarded("internal: fragment set vanished".into());
        };
        let first_payload = PayloadType(set.parts.get(&1).map_or(0, |p| p.first_payload));
        let mut plaintext = Vec::with_capacity(set.octets);
        let mut frames = Vec::with_capacity(set.parts.len());
        for p in set.parts.into_values() {
            plaintext.extend_from_slice(&p.plaintext);
            frames.push(p.frame);
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
                frames: s.parts.values().map(|p| p.frame).collect(),
                missing: s.missing(),
            })
            .collect()
    }
}
