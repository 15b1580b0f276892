//! From [`Event`]s to decoded messages: IKEv2 parsing, decryption of SK/SKF with a Wireshark
//! key table, RFC 7383 reassembly of SKF fragments, IKEv1 labelling. Shared by the `ikev2`
//! commands (decode prints it; summary/audit analyse it).
//!
//! Decryption (RFC 7296 §3.14): the key table entry is found by the header's SPIs; the I flag
//! says who sent the message, so SK_ei/SK_ai (initiator) or SK_er/SK_ar (responder) apply. The
//! plaintext's payload chain starts with the SK payload's Next Payload and is parsed with
//! [`payload::parse_chain`] (offsets point into the message, where the ciphertext was).
//!
//! Fragments (RFC 7383 §2.6): each SKF fragment is decrypted and verified on its own; a
//! fragment whose ICV does not verify is discarded. Fragments are collected per IKE SA (both
//! SPIs), Message ID and direction (the I and R flags); when all `Total Fragments` have
//! arrived, their plaintexts are concatenated in Fragment Number order and the inner chain
//! (type from fragment 1's Next Payload) is parsed and shown at the last fragment. A fragment
//! announcing another Total Fragments than the ones collected so far starts the collection
//! afresh (§2.6: a sender may re-fragment a retransmission). Memory is bounded: at most
//! [`MAX_PENDING`] messages in reassembly (oldest dropped), each at most [`MAX_MESSAGE`] octets.

use std::collections::{BTreeMap, HashMap};

use ietfwg_ikev2::crypto::decrypt::{self as crypto, Decrypted};
use ietfwg_ikev2::crypto::keytable::{self, SaKeys};
use ietfwg_ikev2::wire::ikev1::{self, Ikev1Message};
use ietfwg_ikev2::wire::payload::{self, Payload, PayloadBody};
use ietfwg_ikev2::wire::reader::Reader;
use ietfwg_ikev2::wire::registry::PayloadType;
use ietfwg_ikev2::{Error, Header, Message};

use super::stream::{Content, Event};

/// Messages whose fragments are being collected at once.
pub const MAX_PENDING: usize = 256;
/// Octets of plaintext one reassembled message may hold.
pub const MAX_MESSAGE: usize = 1 << 20;

/// What one event decoded to.
#[derive(Debug)]
pub enum Decoded {
    /// An IKEv2 message (or something that claimed to be one).
    Ikev2(Box<Ikev2Decoded>),
    /// An IKEv1 message, or why it does not parse.
    Ikev1(Result<Box<Ikev1Message>, Error>),
    /// ESP header fields.
    Esp {
        /// SPI.
        spi: u32,
        /// Sequence Number.
        seq: u32,
        /// ESP packet length.
        len: usize,
    },
    /// NAT-keepalive.
    Keepalive,
    /// A transport-level problem on an IKE port (see [`Content::Error`]).
    Transport(String),
}

/// An IKEv2 message: the parse, and what decryption gave.
#[derive(Debug)]
pub struct Ikev2Decoded {
    /// The header, when at least its 28 octets are there (also for a message that fails to
    /// parse further).
    pub header: Option<Header>,
    /// The whole message, or the first error in it.
    pub message: Result<Message, Error>,
    /// Decryption of the SK/SKF payload (the last one), when a key table was given and the
    /// message has one.
    pub encrypted: Option<Encrypted>,
}

/// What became of an SK or SKF payload.
#[derive(Debug)]
pub struct Encrypted {
    /// Index of the SK/SKF payload in [`Message::payloads`].
    pub payload_index: usize,
    /// The outcome.
    pub outcome: Outcome,
}

/// Decryption outcome.
#[derive(Debug)]
pub enum Outcome {
    /// The table has no entry for this IKE SA.
    NoKeys,
    /// Could not be decrypted at all (lengths, padding).
    Failed(Error),
    /// Decrypted.
    Done(Box<Inner>),
}

/// A decrypted SK/SKF payload.
#[derive(Debug)]
pub struct Inner {
    /// Decryption result (plaintext, pad length, ICV verdict, fragment numbers).
    pub decrypted: Decrypted,
    /// SK (and ICV ok): the inner payload chain, or where it breaks. `None` for SKF (a
    /// fragment is not a chain) and when the ICV did not verify (the plaintext is garbage).
    pub payloads: Option<Result<Vec<Payload>, Error>>,
    /// SKF: the state of its message's reassembly after this fragment.
    pub fragments: Option<FragmentState>,
}

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

impl Decoded {
    /// True when something in it is wrong: a parse error, a decryption failure, an ICV that did
    /// not verify, an inner chain that does not parse, a transport error.
    pub fn is_error(&self) -> bool {
        match self {
            Decoded::Ikev2(d) => d.is_error(),
            Decoded::Ikev1(r) => r.is_err(),
            Decoded::Esp { .. } | Decoded::Keepalive => false,
            Decoded::Transport(_) => true,
        }
    }
}

impl Ikev2Decoded {
    /// See [`Decoded::is_error`].
    pub fn is_error(&self) -> bool {
        if self.message.is_err() {
            return true;
        }
        let Some(e) = &self.encrypted else {
            return false;
        };
        match &e.outcome {
            Outcome::NoKeys => false,
            Outcome::Failed(_) => true,
            Outcome::Done(inner) => {
                !inner.decrypted.icv_ok
                    || inner.payloads.as_ref().is_some_and(|p| p.is_err())
                    || matches!(&inner.fragments, Some(FragmentState::Complete(r)) if r.payloads.is_err())
            }
        }
    }

    /// The payloads inside the SK payload when it decrypted with a verified ICV; for SKF, the
    /// reassembled inner chain at the fragment that completed the message (`None` at the
    /// others). What `ietfwg_ikev2::analysis::summary::Observed::decrypted` wants.
    #[allow(dead_code)] // for `ikev2 summary`/`audit`
    pub fn decrypted_payloads(&self) -> Option<&[Payload]> {
        let Some(Encrypted {
            outcome: Outcome::Done(inner),
            ..
        }) = &self.encrypted
        else {
            return None;
        };
        match (&inner.payloads, &inner.fragments) {
            (Some(Ok(p)), _) if inner.decrypted.icv_ok => Some(p),
            (
                _,
                Some(FragmentState::Complete(Reassembled {
                    payloads: Ok(p), ..
                })),
            ) => Some(p),
            _ => None,
        }
    }

    /// The payloads of the message with the decrypted inner ones in place of SK (or, for the
    /// last SKF fragment, the reassembled ones): what the message says once decrypted. For the
    /// SA analysis commands (`ikev2 summary`/`audit`).
    #[allow(dead_code)]
    pub fn effective_payloads(&self) -> Vec<&Payload> {
        let Ok(m) = &self.message else {
            return Vec::new();
        };
        let mut out: Vec<&Payload> = m.payloads.iter().collect();
        if let Some(Encrypted {
            payload_index,
            outcome: Outcome::Done(inner),
        }) = &self.encrypted
        {
            let inner_payloads = match (&inner.payloads, &inner.fragments) {
                (Some(Ok(p)), _) => Some(p),
                (
                    _,
                    Some(FragmentState::Complete(Reassembled {
                        payloads: Ok(p), ..
                    })),
                ) => Some(p),
                _ => None,
            };
            if let Some(p) = inner_payloads {
                out.truncate(*payload_index);
                out.extend(p.iter());
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FragKey {
    spi_i: u64,
    spi_r: u64,
    message_id: u32,
    /// I and R flags.
    direction: u8,
}

#[derive(Debug)]
struct FragSet {
    total: u16,
    /// Fragment Number → (plaintext, frame, first payload).
    parts: BTreeMap<u16, (Vec<u8>, u64, u8)>,
    octets: usize,
    born: u64,
}

/// Decodes events; holds the key table and the SKF fragments waiting for the rest.
#[derive(Debug, Default)]
pub struct Decoder {
    keys: Vec<SaKeys>,
    have_keys: bool,
    frags: HashMap<FragKey, FragSet>,
    clock: u64,
}

impl Decoder {
    /// A decoder; with `keys` (a parsed `ikev2_decryption_table`), SK/SKF payloads are
    /// decrypted.
    pub fn new(keys: Option<Vec<SaKeys>>) -> Self {
        Decoder {
            have_keys: keys.is_some(),
            keys: keys.unwrap_or_default(),
            ..Default::default()
        }
    }

    /// Decodes one event.
    pub fn decode(&mut self, ev: &Event) -> Decoded {
        match &ev.content {
            Content::Ikev2(bytes) => Decoded::Ikev2(Box::new(self.ikev2(bytes, ev.frame))),
            Content::Ikev1(bytes) => Decoded::Ikev1(ikev1::parse(bytes).map(Box::new)),
            Content::Esp { spi, seq, len } => Decoded::Esp {
                spi: *spi,
                seq: *seq,
                len: *len,
            },
            Content::Keepalive => Decoded::Keepalive,
            Content::Error(e) => Decoded::Transport(e.clone()),
        }
    }

    /// Messages whose fragments never all arrived: (SPIi, SPIr, Message ID, frames seen,
    /// missing Fragment Numbers). Clears them.
    pub fn finish(&mut self) -> Vec<String> {
        let mut left: Vec<_> = self.frags.drain().collect();
        left.sort_by_key(|(_, s)| s.born);
        left.into_iter()
            .map(|(k, s)| {
                let frames: Vec<String> =
                    s.parts.values().map(|(_, f, _)| format!("#{f}")).collect();
                format!(
                    "IKE SA {:016x}/{:016x} message {}: {} of {} fragment(s) (frames {}) never \
                     completed; missing {:?}",
                    k.spi_i,
                    k.spi_r,
                    k.message_id,
                    s.parts.len(),
                    s.total,
                    frames.join(" "),
                    missing(&s)
                )
            })
            .collect()
    }

    fn ikev2(&mut self, bytes: &[u8], frame: u64) -> Ikev2Decoded {
        let header = Header::parse(&mut Reader::new(bytes, 0)).ok();
        let message = Message::parse(bytes);
        let encrypted = match (&message, self.have_keys) {
            (Ok(m), true) => self.decrypt(m, bytes, frame),
            _ => None,
        };
        Ikev2Decoded {
            header,
            message,
            encrypted,
        }
    }

    fn decrypt(&mut self, m: &Message, bytes: &[u8], frame: u64) -> Option<Encrypted> {
        let (payload_index, p) = m
            .payloads
            .iter()
            .enumerate()
            .find(|(_, p)| matches!(p.body, PayloadBody::Sk(_) | PayloadBody::Skf(_)))?;
        let h = &m.header;
        let Some(k) = keytable::find(&self.keys, h.spi_i, h.spi_r) else {
            return Some(Encrypted {
                payload_index,
                outcome: Outcome::NoKeys,
            });
        };
        let outcome = match crypto::decrypt(bytes, p.offset, k, h.initiator()) {
            Err(e) => Outcome::Failed(e),
            Ok(d) => {
                let is_skf = matches!(p.body, PayloadBody::Skf(_));
                let mut inner = Inner {
                    payloads: None,
                    fragments: None,
                    decrypted: d,
                };
                if is_skf {
                    inner.fragments = Some(self.fragment(h, &inner.decrypted, frame));
                } else if inner.decrypted.icv_ok {
                    let d = &inner.decrypted;
                    let mut r = Reader::new(&d.plaintext, d.plaintext_offset);
                    inner.payloads = Some(
                        payload::parse_chain(&mut r, PayloadType(d.first_payload))
                            .map_err(|e| e.within("Encrypted payload (decrypted)")),
                    );
                }
                Outcome::Done(Box::new(inner))
            }
        };
        Some(Encrypted {
            payload_index,
            outcome,
        })
    }

    /// Files one decrypted SKF fragment; reassembles when it was the last one missing.
    fn fragment(&mut self, h: &Header, d: &Decrypted, frame: u64) -> FragmentState {
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
        let key = FragKey {
            spi_i: h.spi_i,
            spi_r: h.spi_r,
            message_id: h.message_id,
            direction: h.flags & (Header::FLAG_INITIATOR | Header::FLAG_RESPONSE),
        };
        if self.frags.get(&key).is_some_and(|s| s.total != f.total) {
            self.frags.remove(&key);
        }
        if !self.frags.contains_key(&key) && self.frags.len() >= MAX_PENDING {
            if let Some(old) = self
                .frags
                .iter()
                .min_by_key(|(_, s)| s.born)
                .map(|(k, _)| *k)
            {
                self.frags.remove(&old);
            }
        }
        let clock = self.clock;
        let set = self.frags.entry(key).or_insert_with(|| FragSet {
            total: f.total,
            parts: BTreeMap::new(),
            octets: 0,
            born: clock,
        });
        let old = set.parts.get(&f.number).map_or(0, |(p, _, _)| p.len());
        if set.octets - old + d.plaintext.len() > MAX_MESSAGE {
            return FragmentState::Discarded(format!(
                "the message would exceed {MAX_MESSAGE} octets"
            ));
        }
        set.octets = set.octets - old + d.plaintext.len();
        set.parts
            .insert(f.number, (d.plaintext.clone(), frame, d.first_payload));
        if set.parts.len() < usize::from(set.total) {
            return FragmentState::Waiting {
                missing: missing(set),
            };
        }
        let Some(set) = self.frags.remove(&key) else {
            return FragmentState::Discarded("internal: fragment set vanished".into());
        };
        let first_payload = PayloadType(set.parts.get(&1).map_or(0, |(_, _, t)| *t));
        let mut plaintext = Vec::with_capacity(set.octets);
        let mut frames = Vec::with_capacity(set.parts.len());
        for (p, fr, _) in set.parts.into_values() {
            plaintext.extend_from_slice(&p);
            frames.push(fr);
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
}

/// Fragment Numbers of `set` not yet received.
fn missing(set: &FragSet) -> Vec<u16> {
    (1..=set.total)
        .filter(|n| !set.parts.contains_key(n))
        .take(64)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::super::stream::IkeStream;
    use super::*;
    use crate::capture::CaptureReader;

    /// The events of one of the project's own captures, and its key table.
    fn events(name: &str) -> (Vec<Event>, Vec<SaKeys>) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../pcaps/ikev2/");
        let mut rd = CaptureReader::open(&format!("{dir}{name}.pcap")).unwrap();
        let mut s = IkeStream::new();
        let mut out = Vec::new();
        while let Some(p) = rd.next_packet().unwrap() {
            out.extend(s.push(&p).unwrap());
        }
        assert!(s.finish().is_empty());
        let keys =
            keytable::parse_table(&std::fs::read_to_string(format!("{dir}{name}.keys")).unwrap())
                .unwrap();
        (out, keys)
    }

    fn state(d: &Decoded) -> &FragmentState {
        let Decoded::Ikev2(x) = d else {
            panic!("{d:?}")
        };
        let Some(Encrypted {
            outcome: Outcome::Done(inner),
            ..
        }) = &x.encrypted
        else {
            panic!("{x:?}")
        };
        inner.fragments.as_ref().unwrap()
    }

    /// fragmentation.pcap frames 3–5: the IKE_AUTH request in 3 SKF fragments.
    #[test]
    fn skf_out_of_order_and_duplicates() {
        let (ev, keys) = events("fragmentation");
        let (f1, f2, f3) = (&ev[2], &ev[3], &ev[4]);
        let mut d = Decoder::new(Some(keys));
        assert!(
            matches!(state(&d.decode(f3)), FragmentState::Waiting { missing } if missing == &[1, 2])
        );
        assert!(
            matches!(state(&d.decode(f1)), FragmentState::Waiting { missing } if missing == &[2])
        );
        // Fragment 1 again (a retransmission): still waiting for 2.
        assert!(
            matches!(state(&d.decode(f1)), FragmentState::Waiting { missing } if missing == &[2])
        );
        let last = d.decode(f2);
        let FragmentState::Complete(r) = state(&last) else {
            panic!("{last:?}")
        };
        assert_eq!(r.frames, [3, 4, 5], "in Fragment Number order");
        assert_eq!(r.first_payload, PayloadType(35));
        let p = r.payloads.as_ref().unwrap();
        assert_eq!(p[0].payload_type, PayloadType(35));
        assert!(!last.is_error());
        let Decoded::Ikev2(x) = &last else { panic!() };
        assert_eq!(x.decrypted_payloads().map(<[Payload]>::len), Some(p.len()));
        // With the inner chain in place of the SKF payload.
        let eff = x.effective_payloads();
        assert_eq!(eff.len(), p.len());
        assert!(d.finish().is_empty());
    }

    #[test]
    fn tampered_fragment_is_discarded() {
        let (ev, keys) = events("fragmentation");
        let mut bad = ev[3].clone();
        let Content::Ikev2(b) = &mut bad.content else {
            panic!()
        };
        let n = b.len();
        b[n - 20] ^= 1; // a ciphertext octet of fragment 2
        let mut d = Decoder::new(Some(keys));
        d.decode(&ev[2]);
        let t = d.decode(&bad);
        assert!(matches!(state(&t), FragmentState::Discarded(w) if w.contains("ICV")));
        assert!(t.is_error());
        assert!(
            matches!(state(&d.decode(&ev[4])), FragmentState::Waiting { missing } if missing == &[2])
        );
        let left = d.finish();
        assert_eq!(left.len(), 1);
        assert!(
            left[0].contains("2 of 3 fragment(s) (frames #3 #5)"),
            "{left:?}"
        );
    }

    #[test]
    fn keys_for_another_sa_and_no_table() {
        let (ev, _) = events("aes-cbc-sha256-modp2048");
        let (_, other) = events("fragmentation");
        let mut d = Decoder::new(Some(other));
        let Decoded::Ikev2(x) = d.decode(&ev[2]) else {
            panic!()
        };
        assert!(matches!(
            x.encrypted.as_ref().unwrap().outcome,
            Outcome::NoKeys
        ));
        assert!(!x.is_error());
        let mut d = Decoder::new(None);
        let Decoded::Ikev2(x) = d.decode(&ev[2]) else {
            panic!()
        };
        assert!(x.encrypted.is_none());
        assert_eq!(x.effective_payloads().len(), 1, "the SK payload itself");
    }
}
