//! From captured packets to IKE messages: the driver every `ietfwg ikev2` command shares.
//!
//! [`IkeStream::push`] takes one captured packet and returns what it carried on an IKE port, as
//! [`Event`]s (usually zero or one):
//!
//! * IP fragments are reassembled and TCP streams put in order by [`Flows`].
//! * **UDP** where either port is 500 or 4500 ([`classify_udp`]): a NAT may rewrite the other
//!   side's port, and lab setups move the initiator (strongSwan test captures use 1500/14500 ↔
//!   500/4500). Port 4500 follows RFC 3948 §2: 0xFF is a NAT-keepalive, four zero octets (the
//!   non-ESP marker) precede an IKE message, anything else is ESP-in-UDP.
//! * **TCP** where either port is 4500: RFC 9329 keeps TCP port 4500 (registered as
//!   `ipsec-nat-t`) as the default for TCP encapsulation (other ports are configured out of
//!   band). One [`TcpFramer`] per direction turns the stream into messages: the side that sent
//!   the SYN starts with the "IKETCP" prefix (RFC 9329 §4). When a direction has a hole (octets
//!   the capture never saw) or the capture started mid-stream, message boundaries are unknown:
//!   the stream is scanned for the next plausible `Length | 0x00000000 | IKE header` whose IKE
//!   Length agrees with the TCP Length, and framing resumes there.
//! * IKEv1 and IKEv2 are told apart by the header's major version ([`ike_version`]); anything
//!   that is not version 1 goes to the IKEv2 parser, which reports what is wrong with it.
//!
//! Memory is bounded: [`Flows`] bounds reassembly; each TCP direction holds at most one message
//! (≤ 65535 octets) or, while resynchronising, [`RESYNC_WINDOW`] octets; at most
//! [`MAX_TCP_DIRECTIONS`] directions are tracked.

use std::collections::HashMap;
use std::net::SocketAddr;

use ietfwg_ikev2::wire::transport::{
    classify_udp, ike_version, TcpFrame, TcpFramer, UdpPayload, IKETCP_PREFIX, IKE_PORT, NAT_T_PORT,
};

use crate::capture::flows::{Flows, Proto, TcpMeta, L4};
use crate::capture::{Packet, Timestamp};

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

/// What one event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// An IKE message whose major version is not 1 (normally IKEv2), from its first header
    /// octet (non-ESP marker and TCP framing removed).
    Ikev2(Vec<u8>),
    /// An IKEv1/ISAKMP message (major version 1).
    Ikev1(Vec<u8>),
    /// An ESP packet (RFC 3948 §2.1 on UDP 4500, or RFC 9329 on TCP): its header.
    Esp {
        /// Security Parameters Index.
        spi: u32,
        /// Sequence Number.
        seq: u32,
        /// Length of the ESP packet.
        len: usize,
    },
    /// An RFC 3948 §2.3 NAT-keepalive (one octet 0xFF on UDP 4500).
    Keepalive,
    /// Something on an IKE port that is neither (a 1-octet datagram that is not 0xFF, a broken
    /// RFC 9329 framing, octets lost from a TCP stream…): why.
    Error(String),
}

/// One thing seen on an IKE port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The frame that completed it (the last IP fragment, the TCP segment ending the message).
    pub frame: u64,
    /// That frame's capture time.
    pub ts: Timestamp,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// How it travelled.
    pub transport: Transport,
    /// What it is.
    pub content: Content,
    /// IP fragments the datagram was reassembled from (0: not fragmented).
    pub ip_fragments: usize,
}

/// Octets a direction may hold while looking for a message boundary after a hole.
pub const RESYNC_WINDOW: usize = 128 * 1024;
/// TCP directions tracked at once (least recently used evicted beyond).
pub const MAX_TCP_DIRECTIONS: usize = 4096;

/// `Length (2) | non-ESP marker (4) | IKE header (28)`: the shortest framed IKE message.
const MIN_FRAMED_IKE: usize = 2 + 4 + ietfwg_ikev2::Header::LEN;

#[derive(Debug)]
enum Framing {
    /// Boundaries known.
    Framed(TcpFramer),
    /// Looking for a boundary; the octets seen since.
    Resync { buf: Vec<u8>, dropped: u64 },
}

#[derive(Debug)]
struct TcpDir {
    framing: Framing,
    /// Stream offset of the next octet expected from [`Flows`].
    next_offset: u64,
    last_used: u64,
}

impl TcpDir {
    /// A direction whose first delivered octets are `first`.
    fn new(meta: &TcpMeta, first: &[u8], clock: u64) -> TcpDir {
        let framing = match meta.from_initiator {
            Some(initiator) if meta.gap_before == 0 && meta.stream_offset == 0 => {
                Framing::Framed(TcpFramer::new(initiator))
            }
            // The SYN was not seen: only a stream that starts with the prefix is known to start
            // at a boundary.
            None if meta.gap_before == 0
                && meta.stream_offset == 0
                && first.starts_with(&IKETCP_PREFIX) =>
            {
                Framing::Framed(TcpFramer::new(true))
            }
            _ => Framing::Resync {
                buf: Vec::new(),
                dropped: 0,
            },
        };
        TcpDir {
            framing,
            next_offset: meta.stream_offset,
            last_used: clock,
        }
    }
}

/// Packets in, IKE events out. See the module documentation.
#[derive(Debug, Default)]
pub struct IkeStream {
    flows: Flows,
    tcp: HashMap<(SocketAddr, SocketAddr), TcpDir>,
    clock: u64,
    notes: Vec<String>,
}

impl IkeStream {
    /// Default reassembly limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// With explicit IP/TCP reassembly limits.
    #[allow(dead_code)] // tests; commands with other limits
    pub fn with_flows(flows: Flows) -> Self {
        IkeStream {
            flows,
            ..Self::default()
        }
    }

    /// One captured packet: the IKE messages, ESP packets, keepalives and IKE-port errors it
    /// completes, in order. `Err`: the packet's IP/UDP/TCP headers are malformed (or its link
    /// type unsupported); the stream stays usable.
    pub fn push(&mut self, pkt: &Packet<'_>) -> anyhow::Result<Vec<Event>> {
        let mut out = Vec::new();
        for l4 in self.flows.push(pkt)? {
            let mk = |transport, content| Event {
                frame: pkt.number,
                ts: pkt.ts,
                src: l4.src,
                dst: l4.dst,
                transport,
                content,
                ip_fragments: l4.ip_fragments,
            };
            match l4.proto {
                Proto::Udp => {
                    let (sp, dp) = (l4.src.port(), l4.dst.port());
                    let ike_port = |p| p == IKE_PORT || p == NAT_T_PORT;
                    if !ike_port(sp) && !ike_port(dp) {
                        continue;
                    }
                    let nat_t = sp == NAT_T_PORT || dp == NAT_T_PORT;
                    let (transport, content) = match classify_udp(sp, dp, &l4.payload) {
                        UdpPayload::Ike {
                            non_esp_marker,
                            message,
                        } => (
                            if non_esp_marker {
                                Transport::UdpNatT
                            } else {
                                Transport::Udp
                            },
                            ike_content(message),
                        ),
                        UdpPayload::Keepalive => (Transport::UdpNatT, Content::Keepalive),
                        UdpPayload::Esp { spi, seq, len } => {
                            (Transport::UdpNatT, Content::Esp { spi, seq, len })
                        }
                        UdpPayload::NotIke(why) => (
                            if nat_t {
                                Transport::UdpNatT
                            } else {
                                Transport::Udp
                            },
                            Content::Error(why.to_string()),
                        ),
                    };
                    out.push(mk(transport, content));
                }
                Proto::Tcp => {
                    if l4.src.port() != NAT_T_PORT && l4.dst.port() != NAT_T_PORT {
                        continue;
                    }
                    for content in self.tcp_push(&l4) {
                        out.push(mk(Transport::Tcp, content));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Stream octets of one TCP direction.
    fn tcp_push(&mut self, l4: &L4<'_>) -> Vec<Content> {
        let Some(meta) = l4.tcp else {
            return Vec::new();
        };
        self.clock += 1;
        let clock = self.clock;
        let key = (l4.src, l4.dst);
        let bytes: &[u8] = &l4.payload;
        let mut out = Vec::new();
        match self.tcp.get_mut(&key) {
            Some(dir) if meta.gap_before == 0 && meta.stream_offset == dir.next_offset => {
                dir.last_used = clock;
            }
            Some(dir) if meta.gap_before == 0 && meta.stream_offset == 0 => {
                // A new connection on the same 4-tuple (SYN with another ISN).
                if let Framing::Framed(f) = &dir.framing {
                    if f.pending() > 0 {
                        out.push(Content::Error(format!(
                            "TCP {} > {}: connection restarted with {} octet(s) of an \
                             unfinished message pending",
                            l4.src,
                            l4.dst,
                            f.pending()
                        )));
                    }
                }
                *dir = TcpDir::new(&meta, bytes, clock);
            }
            Some(dir) => {
                dir.last_used = clock;
                if meta.gap_before > 0 {
                    out.push(Content::Error(format!(
                        "TCP {} > {}: {} octet(s) of the stream were not captured; looking for \
                         the next IKE message",
                        l4.src, l4.dst, meta.gap_before
                    )));
                }
                dir.framing = Framing::Resync {
                    buf: Vec::new(),
                    dropped: 0,
                };
            }
            None => {
                if self.tcp.len() >= MAX_TCP_DIRECTIONS {
                    if let Some(old) = self
                        .tcp
                        .iter()
                        .min_by_key(|(_, d)| d.last_used)
                        .map(|(k, _)| *k)
                    {
                        self.tcp.remove(&old);
                        self.note(format!(
                            "TCP {} > {}: no longer followed (more than {MAX_TCP_DIRECTIONS} \
                             TCP directions on port 4500)",
                            old.0, old.1
                        ));
                    }
                }
                self.tcp.insert(key, TcpDir::new(&meta, bytes, clock));
            }
        }
        let Some(dir) = self.tcp.get_mut(&key) else {
            return out;
        };
        dir.next_offset = meta.stream_offset.saturating_add(bytes.len() as u64);
        let label = || format!("TCP {} > {}", l4.src, l4.dst);
        let mut feed: Vec<u8> = Vec::new();
        let mut use_feed = false;
        if let Framing::Resync { buf, dropped } = &mut dir.framing {
            buf.extend_from_slice(bytes);
            match find_boundary(buf) {
                Some(p) => {
                    let skipped = *dropped + p as u64;
                    if skipped > 0 {
                        out.push(Content::Error(format!(
                            "{}: {skipped} octet(s) skipped before the next IKE message \
                             (message boundaries were unknown)",
                            label()
                        )));
                    }
                    feed = buf.split_off(p);
                    use_feed = true;
                    dir.framing = Framing::Framed(TcpFramer::new(false));
                }
                None => {
                    if buf.len() > RESYNC_WINDOW {
                        let keep = MIN_FRAMED_IKE - 1;
                        let cut = buf.len() - keep;
                        buf.drain(..cut);
                        *dropped += cut as u64;
                    }
                    return out;
                }
            }
        }
        let data: &[u8] = if use_feed { &feed } else { bytes };
        if let Framing::Framed(f) = &mut dir.framing {
            for frame in f.push(data) {
                out.push(match frame {
                    TcpFrame::Ike(m) => ike_content(&m),
                    TcpFrame::Esp { spi, seq, len } => Content::Esp { spi, seq, len },
                    TcpFrame::Error(e) => {
                        Content::Error(format!("{}: RFC 9329 framing: {e}", label()))
                    }
                });
            }
        }
        out
    }

    fn note(&mut self, n: String) {
        if self.notes.len() < 1000 {
            self.notes.push(n);
        }
    }

    /// Notes on what was left incomplete (IP fragments, TCP holes, unfinished RFC 9329
    /// messages); clears the state.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = std::mem::take(&mut self.notes);
        out.extend(self.flows.finish());
        let mut left: Vec<_> = self.tcp.drain().collect();
        left.sort_by_key(|(k, _)| *k);
        for ((src, dst), d) in left {
            match d.framing {
                Framing::Framed(f) if f.pending() > 0 => out.push(format!(
                    "TCP {src} > {dst}: {} octet(s) of an unfinished message at the end of the \
                     capture",
                    f.pending()
                )),
                Framing::Resync { buf, dropped } if !buf.is_empty() || dropped > 0 => {
                    out.push(format!(
                        "TCP {src} > {dst}: {} octet(s) after a hole never led to an IKE message",
                        buf.len() as u64 + dropped
                    ))
                }
                _ => {}
            }
        }
        out
    }
}

/// IKEv1 by its major version, everything else to the IKEv2 parser.
fn ike_content(message: &[u8]) -> Content {
    match ike_version(message) {
        Some((1, _)) => Content::Ikev1(message.to_vec()),
        _ => Content::Ikev2(message.to_vec()),
    }
}

/// The first offset in `buf` where an RFC 9329 frame holding an IKE message plausibly starts:
/// `Length`, the non-ESP marker, an IKE header of major version 1 or 2 whose Length is the TCP
/// Length minus the 6 octets before it.
fn find_boundary(buf: &[u8]) -> Option<usize> {
    let last = buf.len().checked_sub(MIN_FRAMED_IKE)?;
    (0..=last).find(|&p| {
        let w = &buf[p..p + MIN_FRAMED_IKE];
        let len = usize::from(u16::from_be_bytes([w[0], w[1]]));
        let ike = &w[6..];
        let ike_len = u32::from_be_bytes([ike[24], ike[25], ike[26], ike[27]]) as usize;
        w[2..6] == [0, 0, 0, 0]
            && matches!(ike[17] >> 4, 1 | 2)
            && len >= MIN_FRAMED_IKE
            && ike_len + 6 == len
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::capture::linktype;
    use etherparse::PacketBuilder;

    /// A 28-octet IKEv2 header: IKE_SA_INIT request from SPIi `spi`, no payloads.
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

    fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
            .udp(sport, dport)
            .write(&mut v, payload)
            .unwrap();
        v
    }

    fn tcp(sport: u16, dport: u16, seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
        // The server (port 4500) is 192.0.2.2.
        let (a, z) = if sport == 4500 {
            ([192, 0, 2, 2], [192, 0, 2, 1])
        } else {
            ([192, 0, 2, 1], [192, 0, 2, 2])
        };
        let mut b = PacketBuilder::ipv4(a, z, 64).tcp(sport, dport, seq, 65535);
        b = if syn { b.syn() } else { b.ack(1) };
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        v
    }

    fn push(s: &mut IkeStream, n: u64, data: &[u8]) -> Vec<Event> {
        s.push(&Packet {
            number: n,
            ts: Timestamp::default(),
            linktype: linktype::RAW,
            data,
            orig_len: data.len() as u32,
        })
        .unwrap()
    }

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 2) as u16).to_be_bytes().to_vec(); // Length counts itself
        v.extend_from_slice(body);
        v
    }

    fn marker(m: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 0, 0]; // non-ESP marker
        v.extend_from_slice(m);
        v
    }

    #[test]
    fn udp_ports_and_kinds() {
        let mut s = IkeStream::new();
        // Port 500 on one side only (NAT rewrote the other).
        let ev = push(&mut s, 1, &udp(1500, 500, &ike(1, 0x20)));
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].transport, Transport::Udp);
        assert_eq!(ev[0].content, Content::Ikev2(ike(1, 0x20)));
        assert_eq!(ev[0].src.port(), 1500);
        // IKEv1 by version.
        let ev = push(&mut s, 2, &udp(500, 500, &ike(2, 0x10)));
        assert_eq!(ev[0].content, Content::Ikev1(ike(2, 0x10)));
        // 4500 with the marker, keepalive, ESP.
        let ev = push(&mut s, 3, &udp(14500, 4500, &marker(&ike(3, 0x20))));
        assert_eq!(ev[0].transport, Transport::UdpNatT);
        assert_eq!(ev[0].content, Content::Ikev2(ike(3, 0x20)));
        let ev = push(&mut s, 4, &udp(4500, 4500, &[0xff]));
        assert_eq!(ev[0].content, Content::Keepalive);
        let esp = [0, 0, 0x12, 0x34, 0, 0, 0, 9, 0xaa]; // SPI 0x1234, seq 9, 1 octet
        let ev = push(&mut s, 5, &udp(4500, 61000, &esp));
        assert_eq!(
            ev[0].content,
            Content::Esp {
                spi: 0x1234,
                seq: 9,
                len: 9
            }
        );
        // Not IKE ports: nothing. A bad 4500 payload: an error event.
        assert!(push(&mut s, 6, &udp(53, 5353, &ike(1, 0x20))).is_empty());
        let ev = push(&mut s, 7, &udp(4500, 4500, &[0x01]));
        assert!(matches!(&ev[0].content, Content::Error(e) if e.contains("0xFF")));
        assert_eq!(ev[0].frame, 7);
        assert!(s.finish().is_empty());
    }

    #[test]
    fn tcp_rfc9329_both_directions() {
        let mut s = IkeStream::new();
        assert!(push(&mut s, 1, &tcp(40000, 4500, 1000, true, b"")).is_empty());
        let mut stream = IKETCP_PREFIX.to_vec();
        stream.extend(framed(&marker(&ike(7, 0x20))));
        stream.extend(framed(&[0, 0, 0, 5, 0, 0, 0, 1])); // ESP SPI 5 seq 1
                                                          // Split across two segments in the middle of the first message.
        let ev = push(&mut s, 2, &tcp(40000, 4500, 1001, false, &stream[..20]));
        assert!(ev.is_empty());
        let ev = push(&mut s, 3, &tcp(40000, 4500, 1021, false, &stream[20..]));
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert_eq!(ev[0].transport, Transport::Tcp);
        assert_eq!(ev[0].content, Content::Ikev2(ike(7, 0x20)));
        assert_eq!(ev[0].frame, 3);
        assert!(matches!(ev[1].content, Content::Esp { spi: 5, .. }));
        // The responder's direction has no prefix.
        let back = framed(&marker(&ike(8, 0x20)));
        let mut syn_ack = Vec::new();
        PacketBuilder::ipv4([192, 0, 2, 2], [192, 0, 2, 1], 64)
            .tcp(4500, 40000, 5000, 65535)
            .syn()
            .ack(1001)
            .write(&mut syn_ack, &[])
            .unwrap();
        push(&mut s, 4, &syn_ack);
        let ev = push(&mut s, 5, &tcp(4500, 40000, 5001, false, &back));
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0].content, Content::Ikev2(ike(8, 0x20)));
        assert!(s.finish().is_empty());
    }

    #[test]
    fn tcp_midstream_resynchronises() {
        let mut s = IkeStream::new();
        // No SYN seen: 5 octets of the end of some earlier message, then a whole one.
        let mut data = vec![0xde, 0xad, 0xbe, 0xef, 0x00];
        data.extend(framed(&marker(&ike(9, 0x20))));
        let ev = push(&mut s, 1, &tcp(4500, 40001, 77, false, &data));
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert!(matches!(&ev[0].content, Content::Error(e) if e.contains("5 octet(s) skipped")));
        assert_eq!(ev[1].content, Content::Ikev2(ike(9, 0x20)));
        // A later message on the same direction is framed normally.
        let more = framed(&marker(&ike(10, 0x20)));
        let ev = push(
            &mut s,
            2,
            &tcp(4500, 40001, 77 + data.len() as u32, false, &more),
        );
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0].content, Content::Ikev2(ike(10, 0x20)));
    }

    #[test]
    fn tcp_other_ports_ignored_and_half_message_noted() {
        let mut s = IkeStream::new();
        assert!(push(&mut s, 1, &tcp(40000, 443, 1, true, b"")).is_empty());
        assert!(push(&mut s, 2, &tcp(40000, 443, 2, false, b"IKETCP\x00\x40")).is_empty());
        push(&mut s, 3, &tcp(40002, 4500, 1, true, b""));
        let mut half = IKETCP_PREFIX.to_vec();
        half.extend(&framed(&marker(&ike(1, 0x20)))[..10]);
        assert!(push(&mut s, 4, &tcp(40002, 4500, 2, false, &half)).is_empty());
        let notes = s.finish();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("8 octet(s) of an unfinished message"),
            "{notes:?}"
        );
    }

    /// A hole in a TCP stream (a segment never captured; the reassembler gives up waiting for
    /// it once its buffer limit is reached): framing resumes at the next IKE message.
    #[test]
    fn tcp_hole_then_resync() {
        use crate::capture::ipfrag::Reassembler;
        use crate::capture::tcp::{TcpConfig, TcpReassembler};
        let tcp_cfg = TcpConfig {
            max_stream_buffer: 64,
            ..TcpConfig::default()
        };
        let mut s = IkeStream::with_flows(Flows::with(
            Reassembler::default(),
            TcpReassembler::new(tcp_cfg),
        ));
        push(&mut s, 1, &tcp(40000, 4500, 0, true, b""));
        let [m1, m2, m3, m4] = [1, 2, 3, 4].map(|i| framed(&marker(&ike(i, 0x20))));
        let mut a = IKETCP_PREFIX.to_vec();
        a.extend(&m1);
        a.extend(&m2[..10]);
        let ev = push(&mut s, 2, &tcp(40000, 4500, 1, false, &a));
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0].content, Content::Ikev2(ike(1, 0x20)));
        // m2[10..25] is never captured.
        let mut b = m2[25..].to_vec();
        b.extend(&m3);
        b.extend(&m4);
        let seq = 1 + a.len() as u32 + 15;
        let ev = push(&mut s, 3, &tcp(40000, 4500, seq, false, &b));
        let kinds: Vec<String> = ev.iter().map(|e| format!("{:?}", e.content)).collect();
        assert_eq!(ev.len(), 4, "{kinds:?}");
        assert!(
            matches!(&ev[0].content, Content::Error(e) if e.contains("15 octet(s) of the stream were not captured")),
            "{kinds:?}"
        );
        assert!(
            matches!(&ev[1].content, Content::Error(e) if e.contains("9 octet(s) skipped")),
            "{kinds:?}"
        );
        assert_eq!(ev[2].content, Content::Ikev2(ike(3, 0x20)));
        assert_eq!(ev[3].content, Content::Ikev2(ike(4, 0x20)));
    }

    #[test]
    fn boundary_scan() {
        let mut b = vec![1, 2, 3];
        b.extend(framed(&marker(&ike(1, 0x20))));
        assert_eq!(find_boundary(&b), Some(3));
        assert_eq!(find_boundary(&b[..20]), None);
        // Wrong IKE Length: not a boundary.
        let mut bad = framed(&marker(&ike(1, 0x20)));
        bad[2 + 4 + 27] = 29;
        assert_eq!(find_boundary(&bad), None);
    }
}
