//! A stateful decoder over the IKE traffic of a capture: transport payloads in, typed reports
//! out. Sans-I/O, like `ietfwg_6lo::lowpan::Decoder`: the caller (a capture reader that has
//! already reassembled IP fragments and put each TCP direction in order) hands in
//!
//! * a UDP datagram's payload with its addresses and ports ([`Decoder::udp`]): where either
//!   port is 500 or 4500 (a NAT may rewrite the other side's port, and lab setups move the
//!   initiator), classified per RFC 3948 §2 on port 4500 — 0xFF is a NAT-keepalive, four zero
//!   octets (the non-ESP marker) precede an IKE message, anything else is ESP-in-UDP;
//! * TCP stream octets of one direction ([`Decoder::tcp`]): where either port is 4500 (RFC
//!   9329 keeps TCP port 4500 as the default for TCP encapsulation), framed per RFC 9329 with
//!   resynchronisation after holes ([`tcp`]);
//!
//! and gets one [`Report`] per thing seen on an IKE port: an IKEv2 message parsed (IKEv1 and
//! IKEv2 told apart by the header's major version; anything not version 1 goes to the IKEv2
//! parser, which reports what is wrong with it), its SK payload decrypted with a Wireshark key
//! table (RFC 7296 §3.14: the table entry is found by the header's SPIs; the I flag selects
//! SK_ei/SK_ai or SK_er/SK_ar; the plaintext's chain starts with the SK payload's Next Payload
//! and its offsets point into the message, where the ciphertext was), SKF fragments reassembled
//! (RFC 7383, [`fragments`]), an ESP packet, a keepalive, or a transport problem.
//!
//! Memory is bounded: [`fragments::MAX_PENDING`] messages in reassembly, each at most
//! [`fragments::MAX_MESSAGE`] octets; per TCP direction one message or
//! [`tcp::RESYNC_WINDOW`] octets, at most [`tcp::MAX_TCP_DIRECTIONS`] directions.

pub mod fragments;
pub mod tcp;

use std::fmt;
use std::net::SocketAddr;

use crate::crypto::decrypt::{self, Decrypted};
use crate::crypto::keytable::{self, SaKeys};
use crate::error::Error;
use crate::wire::header::Header;
use crate::wire::ikev1::{self, Ikev1Message};
use crate::wire::message::Message;
use crate::wire::payload::{self, OpaqueData, Payload, PayloadBody};
use crate::wire::reader::Reader;
use crate::wire::registry::PayloadType;
use crate::wire::transport::{
    classify_udp, ike_version, TcpFrame, UdpPayload, IKE_PORT, NAT_T_PORT,
};

pub use fragments::{FragmentState, Reassembled, Unfinished};
pub use tcp::{TcpChunk, TcpLeftover, TcpProblem};

/// How an IKE message (or ESP packet) travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// UDP, the message as the datagram's payload (port 500).
    Udp,
    /// UDP port 4500 (RFC 3948): after the non-ESP marker, or ESP-in-UDP, or a keepalive.
    UdpNatT,
    /// TCP encapsulation (RFC 9329).
    Tcp,
}

impl Transport {
    /// Short label for text output.
    pub fn label(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::UdpNatT => "UDP NAT-T",
            Transport::Tcp => "TCP (RFC 9329)",
        }
    }
}

/// Something on an IKE port that is neither an IKE message, ESP nor a keepalive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportProblem {
    /// A UDP payload on an IKE port that is not IKE (RFC 3948 §2): why.
    Udp(&'static str),
    /// A problem of a TCP direction (RFC 9329).
    Tcp(TcpProblem),
}

impl fmt::Display for TransportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportProblem::Udp(why) => f.write_str(why),
            TransportProblem::Tcp(p) => p.fmt(f),
        }
    }
}

/// What one thing seen on an IKE port decoded to.
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
    /// An RFC 3948 §2.3 NAT-keepalive.
    Keepalive,
    /// A transport-level problem on an IKE port.
    Transport(TransportProblem),
}

/// One report: how it travelled and what it is.
#[derive(Debug)]
pub struct Report {
    /// How it travelled.
    pub transport: Transport,
    /// What it is.
    pub decoded: Decoded,
}

/// An IKEv2 message: the parse, and what decryption gave.
#[derive(Debug)]
pub struct Ikev2Decoded {
    /// The message, from the first octet of the IKE header (non-ESP marker and TCP framing
    /// removed).
    pub bytes: Vec<u8>,
    /// The header, when at least its 28 octets are there (also for a message that fails to
    /// parse further).
    pub header: Option<Header>,
    /// The whole message, or the first error in it.
    pub message: Result<Message, Error>,
    /// Decryption of the SK/SKF payload (the last one), when a key table was given and the
    /// message has one.
    pub encrypted: Option<Encrypted>,
    /// When `message` is an error: the payloads read before it.
    pub partial: Vec<Payload>,
}

/// What became of an SK or SKF payload.
#[derive(Debug)]
pub struct Encrypted {
    /// Index of the SK/SKF payload in [`Message::payloads`].
    pub payload_index: usize,
    /// What decryption gave.
    pub decryption: Decryption,
}

/// What decrypting an SK or SKF payload gave.
#[derive(Debug)]
pub enum Decryption {
    /// The table has no entry for this IKE SA.
    NoKeys,
    /// Could not be decrypted at all (lengths, padding).
    Failed(Error),
    /// Decrypted.
    Done(Box<Opened>),
}

/// A decrypted SK/SKF payload.
#[derive(Debug)]
pub struct Opened {
    /// Decryption result (plaintext, pad length, ICV verdict, fragment numbers).
    pub decrypted: Decrypted,
    /// SK: the inner payload chain, or where it breaks. When the ICV was checked and did not
    /// verify, the chain only if it parses (it is then unauthenticated: see
    /// [`Opened::icv`]); `None` for SKF (a fragment is not a chain).
    pub payloads: Option<Result<Vec<Payload>, Error>>,
    /// SKF: the state of its message's reassembly after this fragment.
    pub fragments: Option<FragmentState>,
}

/// What the Integrity Checksum Data of an opened SK/SKF payload says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IcvStatus {
    /// Verified: the plaintext is authentic.
    Ok,
    /// Not checked: the key table's integrity algorithm is one of Wireshark's `ANY …
    /// [No Checking]` entries (or NONE with a non-combined cipher).
    NotChecked,
    /// Checked and wrong: wrong keys or an altered message; the plaintext is unauthenticated.
    Bad,
}

impl Opened {
    /// The ICV's verdict.
    pub fn icv(&self) -> IcvStatus {
        match (self.decrypted.icv_checked, self.decrypted.icv_ok) {
            (_, true) => IcvStatus::Ok,
            (false, false) => IcvStatus::NotChecked,
            (true, false) => IcvStatus::Bad,
        }
    }
}

impl Decoded {
    /// True when something in it is wrong: a parse error, a decryption failure, an ICV that did
    /// not verify, an inner chain that does not parse, a transport problem.
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
        match &e.decryption {
            Decryption::NoKeys => false,
            Decryption::Failed(_) => true,
            Decryption::Done(opened) => {
                opened.icv() == IcvStatus::Bad
                    || opened.payloads.as_ref().is_some_and(|p| p.is_err())
                    || matches!(&opened.fragments, Some(FragmentState::Complete(r)) if r.payloads.is_err())
            }
        }
    }

    /// The payloads inside the SK payload when it decrypted with a verified ICV; for SKF, the
    /// reassembled inner chain at the fragment that completed the message (`None` at the
    /// others). What [`crate::analysis::summary::Observed::decrypted`] wants.
    pub fn decrypted_payloads(&self) -> Option<&[Payload]> {
        let Decryption::Done(opened) = &self.encrypted.as_ref()?.decryption else {
            return None;
        };
        if opened.icv() == IcvStatus::Bad {
            // Shown, never analysed: an unauthenticated chain.
            return None;
        }
        // A chain whose ICV did not verify was returned above; an unchecked one is used.
        match (&opened.payloads, &opened.fragments) {
            (Some(Ok(p)), _) => Some(p),
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
    /// last SKF fragment, the reassembled ones): what the message says once decrypted.
    pub fn effective_payloads(&self) -> Vec<&Payload> {
        let Ok(m) = &self.message else {
            return Vec::new();
        };
        let mut out: Vec<&Payload> = m.payloads.iter().collect();
        if let (Some(e), Some(inner)) = (&self.encrypted, self.decrypted_payloads()) {
            out.truncate(e.payload_index);
            out.extend(inner.iter());
        }
        out
    }
}

/// A unit of a transport before decoding.
#[derive(Debug)]
enum Unit {
    Message(Vec<u8>),
    Esp { spi: u32, seq: u32, len: usize },
    Keepalive,
    Problem(TransportProblem),
}

/// Decodes the IKE traffic of one capture in order: holds the key table, the TCP directions
/// and the SKF fragments waiting for the rest of their message.
#[derive(Debug, Default)]
pub struct Decoder {
    keys: Option<Vec<SaKeys>>,
    tcp: tcp::TcpStreams,
    fragments: fragments::Reassembly,
    /// IKEv1 messages are read to the end of their header only ([`ikev1::parse_header`]).
    ikev1_headers_only: bool,
    /// IKEv2 payloads' opaque octet strings copied or left ([`Decoder::set_opaque_data`]).
    opaque: OpaqueData,
    /// Buffers of messages handed back with [`Decoder::recycle`], reused by the next message
    /// (instead of an allocation and a free of each per message): the boxed report, the
    /// octets, the payload list.
    spare_box: Option<Box<Ikev2Decoded>>,
    spare_bytes: Vec<u8>,
    spare_payloads: Vec<Payload>,
}

impl Decoder {
    /// A decoder; with `keys` (a parsed `ikev2_decryption_table`), SK/SKF payloads are
    /// decrypted.
    pub fn new(keys: Option<Vec<SaKeys>>) -> Self {
        Decoder {
            keys,
            ..Default::default()
        }
    }

    /// With `on`, IKEv1 messages are reported with their header only ([`ikev1::parse_header`]:
    /// `payloads` empty, errors inside the payload chain not seen), for a consumer that skips
    /// IKEv1 messages and so need not pay for their payloads. IKEv2 decoding is unchanged.
    pub fn set_ikev1_headers_only(&mut self, on: bool) {
        self.ikev1_headers_only = on;
    }

    /// With [`OpaqueData::Left`], IKEv2 messages are parsed with Key Exchange Data, Nonce
    /// Data and the SK/SKF octets left in [`Ikev2Decoded::bytes`] instead of copied into the
    /// payloads (see [`OpaqueData`]), for a consumer that reads the payloads' fixed fields and
    /// lengths only (decryption, which reads the message octets, is unchanged). Every message
    /// parses or fails as with the default, [`OpaqueData::Copied`].
    pub fn set_opaque_data(&mut self, opaque: OpaqueData) {
        self.opaque = opaque;
    }

    /// Hands back a report the caller is done with: the buffers of an IKEv2 message (its
    /// octets, its payload list, the box) are kept, emptied, for the next message to reuse.
    /// Optional: a report simply dropped costs the allocations this saves.
    pub fn recycle(&mut self, decoded: Decoded) {
        let Decoded::Ikev2(mut d) = decoded else {
            return;
        };
        let mut bytes = std::mem::take(&mut d.bytes);
        bytes.clear();
        let mut payloads = match &mut d.message {
            Ok(m) => std::mem::take(&mut m.payloads),
            Err(_) => Vec::new(),
        };
        payloads.clear();
        d.encrypted = None;
        d.partial = Vec::new();
        self.spare_bytes = bytes;
        self.spare_payloads = payloads;
        self.spare_box = Some(d);
    }

    /// `message` in an owned buffer (the spare one when there is one).
    fn owned(&mut self, message: &[u8]) -> Vec<u8> {
        let mut v = std::mem::take(&mut self.spare_bytes);
        v.clear();
        v.extend_from_slice(message);
        v
    }

    /// A UDP datagram's payload from `src` to `dst`, seen in `frame` (a number the caller
    /// chooses; reassembled messages list the frames of their fragments). `None` when neither
    /// port is 500 or 4500.
    ///
    /// ```
    /// use ietfwg_ikev2::decoder::{Decoded, Decoder, Transport};
    ///
    /// // An IKE_SA_INIT request without payloads (a bare 28-octet header) on UDP port 500.
    /// let mut ike = vec![0x11; 8]; // IKE SA Initiator's SPI
    /// ike.extend([0; 8]); // IKE SA Responder's SPI
    /// ike.extend([0, 0x20, 34, 0x08]); // Next Payload 0, version 2.0, IKE_SA_INIT, I flag
    /// ike.extend([0, 0, 0, 0]); // Message ID 0
    /// ike.extend(28u32.to_be_bytes()); // Length
    /// let (src, dst) = ("192.0.2.1:500".parse()?, "192.0.2.2:500".parse()?);
    /// let mut decoder = Decoder::new(None);
    /// let Some(report) = decoder.udp(src, dst, &ike, 1) else {
    ///     return Err("not on an IKE port".into());
    /// };
    /// assert_eq!(report.transport, Transport::Udp);
    /// let Decoded::Ikev2(m) = &report.decoded else {
    ///     return Err(format!("{:?}", report.decoded).into());
    /// };
    /// assert_eq!(m.message.as_ref().map_err(|e| e.to_string())?.header.spi_i, 0x1111111111111111);
    /// // Neither port is 500 or 4500: not IKE.
    /// let dns = ("192.0.2.1:5353".parse()?, "192.0.2.2:53".parse()?);
    /// assert!(decoder.udp(dns.0, dns.1, &ike, 2).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn udp(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        frame: u64,
    ) -> Option<Report> {
        let (sp, dp) = (src.port(), dst.port());
        let ike_port = |p| p == IKE_PORT || p == NAT_T_PORT;
        if !ike_port(sp) && !ike_port(dp) {
            return None;
        }
        let nat_t = sp == NAT_T_PORT || dp == NAT_T_PORT;
        let (transport, unit) = match classify_udp(sp, dp, payload) {
            UdpPayload::Ike {
                non_esp_marker,
                message,
            } => (
                if non_esp_marker {
                    Transport::UdpNatT
                } else {
                    Transport::Udp
                },
                Unit::Message(self.owned(message)),
            ),
            UdpPayload::Keepalive => (Transport::UdpNatT, Unit::Keepalive),
            UdpPayload::Esp { spi, seq, len } => (Transport::UdpNatT, Unit::Esp { spi, seq, len }),
            UdpPayload::NotIke(why) => (
                if nat_t {
                    Transport::UdpNatT
                } else {
                    Transport::Udp
                },
                Unit::Problem(TransportProblem::Udp(why)),
            ),
        };
        Some(Report {
            transport,
            decoded: self.decode(unit, frame),
        })
    }

    /// Stream octets of the TCP direction `src` → `dst`, in order, seen in `frame`: the
    /// reports they complete, decoded one by one as the iterator is advanced (nothing when
    /// neither port is 4500).
    pub fn tcp(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        chunk: TcpChunk<'_>,
        frame: u64,
    ) -> Reports<'_> {
        let units = if src.port() != NAT_T_PORT && dst.port() != NAT_T_PORT {
            Vec::new()
        } else {
            self.tcp
                .push(src, dst, &chunk)
                .into_iter()
                .map(|u| match u {
                    tcp::TcpUnit::Frame(TcpFrame::Ike(m)) => Unit::Message(m),
                    tcp::TcpUnit::Frame(TcpFrame::Esp { spi, seq, len }) => {
                        Unit::Esp { spi, seq, len }
                    }
                    tcp::TcpUnit::Frame(TcpFrame::Error(error)) => {
                        Unit::Problem(TransportProblem::Tcp(TcpProblem::Framing {
                            src,
                            dst,
                            error,
                        }))
                    }
                    tcp::TcpUnit::Problem(p) => Unit::Problem(TransportProblem::Tcp(p)),
                })
                .collect()
        };
        Reports {
            decoder: self,
            units: units.into_iter(),
            frame,
        }
    }

    /// TCP directions dropped since the last call, because more than
    /// [`tcp::MAX_TCP_DIRECTIONS`] were followed.
    pub fn take_dropped(&mut self) -> Vec<TcpLeftover> {
        self.tcp.take_dropped()
    }

    /// What the capture left unfinished: TCP directions with part of a message or octets after
    /// a hole, then messages whose SKF fragments never all arrived. Clears the state.
    pub fn finish(&mut self) -> (Vec<TcpLeftover>, Vec<Unfinished>) {
        (self.tcp.finish(), self.fragments.finish())
    }

    fn decode(&mut self, unit: Unit, frame: u64) -> Decoded {
        match unit {
            // IKEv1 by its major version, everything else to the IKEv2 parser.
            Unit::Message(m) if matches!(ike_version(&m), Some((1, _))) => {
                let parsed = if self.ikev1_headers_only {
                    ikev1::parse_header(&m)
                } else {
                    ikev1::parse(&m)
                };
                if self.spare_bytes.capacity() == 0 {
                    self.spare_bytes = m;
                }
                Decoded::Ikev1(parsed.map(Box::new))
            }
            Unit::Message(m) => Decoded::Ikev2(self.ikev2(m, frame)),
            Unit::Esp { spi, seq, len } => Decoded::Esp { spi, seq, len },
            Unit::Keepalive => Decoded::Keepalive,
            Unit::Problem(p) => Decoded::Transport(p),
        }
    }

    fn ikev2(&mut self, bytes: Vec<u8>, frame: u64) -> Box<Ikev2Decoded> {
        let payloads = std::mem::take(&mut self.spare_payloads);
        let message = Message::parse_reusing(&bytes, payloads, self.opaque);
        // A parsed message's header is the one read from the same octets.
        let header = match &message {
            Ok(m) => Some(m.header.clone()),
            Err(_) => Header::parse(&mut Reader::new(&bytes, 0)).ok(),
        };
        let encrypted = match &message {
            Ok(m) => self.decrypt(m, &bytes, frame),
            Err(_) => None,
        };
        let partial = match &message {
            Ok(_) => Vec::new(),
            Err(_) => Message::payloads_before_error(&bytes),
        };
        let decoded = Ikev2Decoded {
            bytes,
            header,
            message,
            encrypted,
            partial,
        };
        match self.spare_box.take() {
            Some(mut b) => {
                *b = decoded;
                b
            }
            None => Box::new(decoded),
        }
    }

    fn decrypt(&mut self, m: &Message, bytes: &[u8], frame: u64) -> Option<Encrypted> {
        let table = self.keys.as_deref()?;
        let (payload_index, p) = m
            .payloads
            .iter()
            .enumerate()
            .find(|(_, p)| matches!(p.body, PayloadBody::Sk(_) | PayloadBody::Skf(_)))?;
        let h = &m.header;
        let Some(k) = keytable::find(table, h.spi_i, h.spi_r) else {
            return Some(Encrypted {
                payload_index,
                decryption: Decryption::NoKeys,
            });
        };
        let decryption = match decrypt::decrypt(bytes, p.offset, k, h.initiator()) {
            Err(e) => Decryption::Failed(e),
            Ok(d) => {
                let mut opened = Opened {
                    payloads: None,
                    fragments: None,
                    decrypted: d,
                };
                if matches!(p.body, PayloadBody::Skf(_)) {
                    opened.fragments = Some(self.fragments.push(h, &opened.decrypted, frame));
                } else {
                    let d = &opened.decrypted;
                    let mut r = Reader::new(&d.plaintext, d.plaintext_offset);
                    let chain = payload::parse_chain(&mut r, PayloadType(d.first_payload))
                        .map_err(|e| e.within("Encrypted payload (decrypted)"));
                    // With a bad ICV the plaintext may be garbage: its chain is kept only
                    // when it parses (and is shown as unauthenticated).
                    if opened.icv() != IcvStatus::Bad || chain.is_ok() {
                        opened.payloads = Some(chain);
                    }
                }
                Decryption::Done(Box::new(opened))
            }
        };
        Some(Encrypted {
            payload_index,
            decryption,
        })
    }
}

/// The reports of one TCP chunk ([`Decoder::tcp`]), decoded as they are taken.
#[derive(Debug)]
pub struct Reports<'d> {
    decoder: &'d mut Decoder,
    units: std::vec::IntoIter<Unit>,
    frame: u64,
}

impl Iterator for Reports<'_> {
    type Item = Report;

    fn next(&mut self) -> Option<Report> {
        let unit = self.units.next()?;
        Some(Report {
            transport: Transport::Tcp,
            decoded: self.decoder.decode(unit, self.frame),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::testcapture::{datagrams, keys, Datagram};

    fn decode(d: &mut Decoder, g: &Datagram) -> Decoded {
        d.udp(g.src, g.dst, &g.payload, g.frame).unwrap().decoded
    }

    fn state(d: &Decoded) -> &FragmentState {
        let Decoded::Ikev2(x) = d else {
            panic!("{d:?}")
        };
        let Some(Encrypted {
            decryption: Decryption::Done(opened),
            ..
        }) = &x.encrypted
        else {
            panic!("{x:?}")
        };
        opened.fragments.as_ref().unwrap()
    }

    /// fragmentation.pcap frames 3–5: the IKE_AUTH request in 3 SKF fragments.
    #[test]
    fn skf_out_of_order_and_duplicates() {
        let ev = datagrams("fragmentation");
        let (f1, f2, f3) = (&ev[2], &ev[3], &ev[4]);
        let mut d = Decoder::new(Some(keys("fragmentation")));
        assert!(
            matches!(state(&decode(&mut d, f3)), FragmentState::Waiting { missing } if missing == &[1, 2])
        );
        assert!(
            matches!(state(&decode(&mut d, f1)), FragmentState::Waiting { missing } if missing == &[2])
        );
        // Fragment 1 again (a retransmission): still waiting for 2.
        assert!(
            matches!(state(&decode(&mut d, f1)), FragmentState::Waiting { missing } if missing == &[2])
        );
        let last = decode(&mut d, f2);
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
        assert!(d.finish().1.is_empty());
    }

    /// Over 10,000 SKF fragments of one message (sealed with the SA's keys, each with its own ICV),
    /// fed in order with fragment 1 last: every one decrypts and is filed, the message
    /// is reassembled once, in Fragment Number order, from all of them.
    #[test]
    fn skf_many_fragments_reassembled() {
        use crate::crypto::protect::seal_fragments;
        use crate::wire::reader::Reader;
        let ev = datagrams("fragmentation");
        let g = &ev[2];
        let marker = usize::from(g.payload.starts_with(&[0, 0, 0, 0])) * 4;
        let header = Header::parse(&mut Reader::new(&g.payload[marker..], 0)).unwrap();
        let keys = keys("fragmentation");
        let sa = keys
            .iter()
            .find(|k| k.spi_i == header.spi_i)
            .expect("the SA's keys");
        // 360,000 octets in messages of at most 100 octets: some 11,600 fragments with
        // AES-CBC and HMAC-SHA2-256-128 (31 octets of plaintext each). The inner chain itself
        // need not parse: reassembly is what is tested.
        let inner: Vec<u8> = (0..360_000u32).map(|i| i as u8).collect();
        let frags = seal_fragments(&header, PayloadType(40), &inner, sa, true, 100).unwrap();
        let total = frags.len();
        assert!(total > 10_000, "{total} fragments");
        let mut d = Decoder::new(Some(keys.clone()));
        let mut done = None;
        // In order, fragment 1 held back to the end: the gap at the front stays open while
        // every other fragment arrives (the order that made a rescan per fragment quadratic).
        let order = (1..total).chain([0]);
        for i in order {
            let f = &frags[i];
            let mut payload = g.payload[..marker].to_vec();
            payload.extend_from_slice(f);
            let got = decode(
                &mut d,
                &Datagram {
                    frame: i as u64 + 1,
                    src: g.src,
                    dst: g.dst,
                    payload,
                },
            );
            match state(&got) {
                FragmentState::Waiting { missing } => {
                    assert_eq!(missing.first(), Some(&1));
                    assert!(missing.len() <= fragments::MAX_MISSING_LISTED);
                }
                FragmentState::Complete(r) => {
                    assert_eq!(i, 0);
                    done = Some(r.plaintext.clone());
                    assert!(r.frames.iter().copied().eq(1..=total as u64));
                }
                FragmentState::Discarded(why) => panic!("fragment {}: {why}", i + 1),
            }
        }
        assert_eq!(done.unwrap(), inner);
        assert!(d.finish().1.is_empty());
    }

    #[test]
    fn tampered_fragment_is_discarded() {
        let ev = datagrams("fragmentation");
        let mut bad = ev[3].clone();
        let n = bad.payload.len();
        bad.payload[n - 20] ^= 1; // a ciphertext octet of fragment 2
        let mut d = Decoder::new(Some(keys("fragmentation")));
        decode(&mut d, &ev[2]);
        let t = decode(&mut d, &bad);
        assert!(matches!(state(&t), FragmentState::Discarded(w) if w.contains("ICV")));
        assert!(t.is_error());
        assert!(
            matches!(state(&decode(&mut d, &ev[4])), FragmentState::Waiting { missing } if missing == &[2])
        );
        let left = d.finish().1;
        assert_eq!(left.len(), 1);
        let left = left[0].to_string();
        assert!(
            left.contains("2 of 3 fragment(s) (frames #3 #5)"),
            "{left:?}"
        );
    }

    #[test]
    fn keys_for_another_sa_and_no_table() {
        let ev = datagrams("aes-cbc-sha256-modp2048");
        let mut d = Decoder::new(Some(keys("fragmentation")));
        let Decoded::Ikev2(x) = decode(&mut d, &ev[2]) else {
            panic!()
        };
        assert!(matches!(
            x.encrypted.as_ref().unwrap().decryption,
            Decryption::NoKeys
        ));
        assert!(!x.is_error());
        let mut d = Decoder::new(None);
        let Decoded::Ikev2(x) = decode(&mut d, &ev[2]) else {
            panic!()
        };
        assert!(x.encrypted.is_none());
        assert_eq!(x.effective_payloads().len(), 1, "the SK payload itself");
    }

    /// A decoder with [`OpaqueData::Left`] whose reports go back through [`Decoder::recycle`]
    /// reports what the default one does on every datagram of the project's recordings, with
    /// their keys and without: the same octets, header and errors, payloads at the same places
    /// with the same types and lengths, and the same decrypted (fully parsed) inner chains.
    #[test]
    fn opaque_data_left_and_recycling_report_the_same() {
        let names = [
            "aes-cbc-sha256-modp2048",
            "aes-gcm-ecp256",
            "chacha20poly1305-x25519",
            "cookie",
            "fragmentation",
            "invalid-ke",
            "natt-rekey-delete",
            "no-proposal",
            "wrong-psk",
            "libreswan-cert-rsa",
        ];
        let mut n = 0;
        for name in names {
            for with_keys in [false, true] {
                let k = || with_keys.then(|| keys(name));
                let (mut full, mut left) = (Decoder::new(k()), Decoder::new(k()));
                left.set_opaque_data(OpaqueData::Left);
                for g in datagrams(name) {
                    let a = decode(&mut full, &g);
                    let b = decode(&mut left, &g);
                    let (Decoded::Ikev2(x), Decoded::Ikev2(y)) = (&a, &b) else {
                        assert_eq!(format!("{a:?}"), format!("{b:?}"), "{name} #{}", g.frame);
                        continue;
                    };
                    n += 1;
                    let at = format!("{name} frame {} (keys: {with_keys})", g.frame);
                    assert_eq!((&x.bytes, &x.header), (&y.bytes, &y.header), "{at}");
                    assert_eq!(a.is_error(), b.is_error(), "{at}");
                    let shape = |d: &Ikev2Decoded| match &d.message {
                        Ok(m) => Ok(m
                            .payloads
                            .iter()
                            .map(|p| (p.payload_type, p.offset, p.length, p.critical))
                            .collect::<Vec<_>>()),
                        Err(e) => Err(e.clone()),
                    };
                    assert_eq!(shape(x), shape(y), "{at}");
                    assert_eq!(x.decrypted_payloads(), y.decrypted_payloads(), "{at}");
                    assert_eq!(
                        x.encrypted.as_ref().map(|e| e.payload_index),
                        y.encrypted.as_ref().map(|e| e.payload_index),
                        "{at}"
                    );
                    left.recycle(b);
                }
            }
        }
        assert!(n > 50, "{n} IKEv2 messages");
    }

    /// A 28-octet IKE header: IKE_SA_INIT request from SPIi `spi`, no payloads.
    fn ike(spi: u8, version: u8) -> Vec<u8> {
        let mut v = vec![spi; 8]; // IKE SA Initiator's SPI
        v.extend([0; 8]); // IKE SA Responder's SPI
        v.push(0); // Next Payload: none
        v.push(version); // MjVer/MnVer
        v.push(34); // Exchange Type: IKE_SA_INIT
        v.push(0x08); // Flags: I
        v.extend([0, 0, 0, 0]); // Message ID 0
        v.extend(28u32.to_be_bytes()); // Length 28
        v
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn ikev2_bytes(d: &Decoded) -> &[u8] {
        match d {
            Decoded::Ikev2(x) => &x.bytes,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn udp_ports_and_kinds() {
        let mut d = Decoder::new(None);
        let (a, b) = ("192.0.2.1", "192.0.2.2");
        let mut udp = |sp: u16, dp: u16, payload: &[u8]| {
            d.udp(
                addr(&format!("{a}:{sp}")),
                addr(&format!("{b}:{dp}")),
                payload,
                1,
            )
        };
        // Port 500 on one side only (NAT rewrote the other).
        let r = udp(1500, 500, &ike(1, 0x20)).unwrap();
        assert_eq!(r.transport, Transport::Udp);
        assert_eq!(ikev2_bytes(&r.decoded), ike(1, 0x20));
        // IKEv1 by version.
        let r = udp(500, 500, &ike(2, 0x10)).unwrap();
        assert!(matches!(&r.decoded, Decoded::Ikev1(Ok(m)) if m.header.initiator_cookie == [2; 8]));
        // 4500 with the marker, keepalive, ESP.
        let mut marked = vec![0, 0, 0, 0];
        marked.extend(ike(3, 0x20));
        let r = udp(14500, 4500, &marked).unwrap();
        assert_eq!(r.transport, Transport::UdpNatT);
        assert_eq!(ikev2_bytes(&r.decoded), ike(3, 0x20));
        assert!(matches!(
            udp(4500, 4500, &[0xff]).unwrap().decoded,
            Decoded::Keepalive
        ));
        let esp = [0, 0, 0x12, 0x34, 0, 0, 0, 9, 0xaa]; // SPI 0x1234, seq 9, 1 octet
        assert!(matches!(
            udp(4500, 61000, &esp).unwrap().decoded,
            Decoded::Esp {
                spi: 0x1234,
                seq: 9,
                len: 9
            }
        ));
        // Not IKE ports: nothing. A bad 4500 payload: a transport problem.
        assert!(udp(53, 5353, &ike(1, 0x20)).is_none());
        let r = udp(4500, 4500, &[0x01]).unwrap();
        assert!(matches!(&r.decoded, Decoded::Transport(e) if e.to_string().contains("0xFF")));
    }
}
