//! From captured packets to decoded IKE reports: the driver every `ietfwg ikev2` command shares.
//!
//! [`IkeStream::push`] takes one captured packet; [`Flows`] reassembles its IP fragments and
//! puts TCP streams in order; each UDP payload and each run of TCP stream octets goes to the
//! library's [`Decoder`] (UDP 500/4500 demultiplexing, RFC 9329 framing and resynchronisation,
//! IKEv2 parsing, SK/SKF decryption with a key table, RFC 7383 reassembly, IKEv1 labelling),
//! and every report comes back as an [`Event`] with the packet's number, time and addresses.

use std::net::SocketAddr;
use std::ops::ControlFlow;

use ietfwg_ikev2::crypto::keytable::SaKeys;
use ietfwg_ikev2::decoder::{Decoded, Decoder, Report, TcpChunk, Transport};
use ietfwg_ikev2::wire::payload::OpaqueData;

use ietfwg_capture::flows::{FlowError, Flows, Proto};
use ietfwg_capture::{Packet, Timestamp};

/// One thing seen on an IKE port, decoded.
#[derive(Debug)]
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
    pub decoded: Decoded,
    /// IP fragments the datagram was reassembled from (0: not fragmented).
    pub ip_fragments: usize,
}

/// What [`IkeStream::push`] did with a packet.
#[derive(Debug)]
pub enum Pushed {
    /// Every event of the packet was handed over.
    Done,
    /// The handler asked to stop.
    Stopped,
    /// The packet's IP/UDP/TCP headers are malformed (or its link type unsupported); the
    /// stream stays usable. Kept as the capture crate's error, not an `anyhow::Error`, which
    /// would capture a backtrace for every such packet when `RUST_BACKTRACE` is set.
    BadPacket(FlowError),
}

/// A bad packet's error with its causes, `outer: inner`, as `anyhow`'s `{:#}` writes it.
pub fn bad_packet_text(e: &FlowError) -> String {
    let mut s = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Packets in, decoded IKE events out.
#[derive(Debug, Default)]
pub struct IkeStream {
    flows: Flows,
    decoder: Decoder,
}

impl IkeStream {
    /// Default reassembly limits; with `keys`, SK/SKF payloads are decrypted.
    pub fn new(keys: Option<Vec<SaKeys>>) -> Self {
        IkeStream {
            flows: Flows::default(),
            decoder: Decoder::new(keys),
        }
    }

    /// With explicit IP/TCP reassembly limits.
    #[allow(dead_code)] // tests; commands with other limits
    pub fn with_flows(flows: Flows, keys: Option<Vec<SaKeys>>) -> Self {
        IkeStream {
            flows,
            decoder: Decoder::new(keys),
        }
    }

    /// IKEv1 messages with their header only ([`Decoder::set_ikev1_headers_only`]), for a
    /// command that skips them.
    pub fn ikev1_headers_only(mut self) -> Self {
        self.decoder.set_ikev1_headers_only(true);
        self
    }

    /// IKEv2 payloads' opaque octet strings (KE, Nonce, SK and SKF data) left in the message
    /// ([`Decoder::set_opaque_data`]), for a command that reads only the payloads' fixed
    /// fields.
    pub fn opaque_data_left(mut self) -> Self {
        self.decoder.set_opaque_data(OpaqueData::Left);
        self
    }

    /// As [`IkeStream::push`], lending `each` every event instead of giving it: each UDP
    /// message's buffers then go back to the decoder for the next one
    /// ([`Decoder::recycle`]).
    pub fn push_lent(
        &mut self,
        pkt: &Packet<'_>,
        each: impl FnMut(&Event) -> anyhow::Result<ControlFlow<()>>,
    ) -> anyhow::Result<Pushed> {
        self.push_into(pkt, Lend(each))
    }

    /// One captured packet: hands `each` the IKE messages, ESP packets, keepalives and IKE-port
    /// problems it completes, in order, each decoded only when its turn comes (so that a
    /// handler that stops leaves the rest undecoded).
    pub fn push(
        &mut self,
        pkt: &Packet<'_>,
        each: impl FnMut(Event) -> anyhow::Result<ControlFlow<()>>,
    ) -> anyhow::Result<Pushed> {
        self.push_into(pkt, Give(each))
    }

    /// The packet through [`Flows`] to the decoder, its events to `sink`.
    fn push_into(&mut self, pkt: &Packet<'_>, mut sink: impl Sink) -> anyhow::Result<Pushed> {
        let l4 = match self.flows.push_one(pkt) {
            Ok(Some(l4)) => l4,
            Ok(None) => return Ok(Pushed::Done),
            Err(e) => return Ok(Pushed::BadPacket(e)),
        };
        let event = |r: Report| Event {
            frame: pkt.number,
            ts: pkt.ts,
            src: l4.src,
            dst: l4.dst,
            transport: r.transport,
            decoded: r.decoded,
            ip_fragments: l4.ip_fragments,
        };
        match (l4.proto, l4.tcp) {
            (Proto::Udp, _) => {
                if let Some(r) = self.decoder.udp(l4.src, l4.dst, &l4.payload, pkt.number) {
                    if sink.udp(&mut self.decoder, event(r))?.is_break() {
                        return Ok(Pushed::Stopped);
                    }
                }
            }
            (Proto::Tcp, Some(meta)) => {
                let chunk = TcpChunk {
                    bytes: &l4.payload,
                    stream_offset: meta.stream_offset,
                    gap_before: meta.gap_before,
                    from_initiator: meta.from_initiator,
                };
                for r in self.decoder.tcp(l4.src, l4.dst, chunk, pkt.number) {
                    if sink.tcp(event(r))?.is_break() {
                        return Ok(Pushed::Stopped);
                    }
                }
            }
            (Proto::Tcp, None) => {}
        }
        Ok(Pushed::Done)
    }

    /// Notes on what was left incomplete (TCP directions no longer followed, IP fragments,
    /// TCP holes, unfinished RFC 9329 messages, SKF fragments that never completed a message);
    /// clears the state.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out: Vec<String> = self
            .decoder
            .take_dropped()
            .iter()
            .map(ToString::to_string)
            .collect();
        out.extend(self.flows.finish());
        let (tcp, fragments) = self.decoder.finish();
        out.extend(tcp.iter().map(ToString::to_string));
        out.extend(fragments.iter().map(ToString::to_string));
        out
    }
}

/// Where [`IkeStream::push_into`] hands events: given away ([`IkeStream::push`]) or lent, the
/// UDP messages' buffers going back to the decoder ([`IkeStream::push_lent`]).
trait Sink {
    /// A message of a UDP datagram; `decoder` takes its buffers back when lent.
    fn udp(&mut self, decoder: &mut Decoder, ev: Event) -> anyhow::Result<ControlFlow<()>>;
    /// A message of a TCP stream (the reports borrow the decoder: dropped, not recycled).
    fn tcp(&mut self, ev: Event) -> anyhow::Result<ControlFlow<()>>;
}

struct Give<F>(F);

impl<F: FnMut(Event) -> anyhow::Result<ControlFlow<()>>> Sink for Give<F> {
    fn udp(&mut self, _: &mut Decoder, ev: Event) -> anyhow::Result<ControlFlow<()>> {
        (self.0)(ev)
    }
    fn tcp(&mut self, ev: Event) -> anyhow::Result<ControlFlow<()>> {
        (self.0)(ev)
    }
}

struct Lend<F>(F);

impl<F: FnMut(&Event) -> anyhow::Result<ControlFlow<()>>> Sink for Lend<F> {
    fn udp(&mut self, decoder: &mut Decoder, ev: Event) -> anyhow::Result<ControlFlow<()>> {
        let flow = (self.0)(&ev)?;
        decoder.recycle(ev.decoded);
        Ok(flow)
    }
    fn tcp(&mut self, ev: Event) -> anyhow::Result<ControlFlow<()>> {
        (self.0)(&ev)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;
    use ietfwg_capture::linktype;
    use ietfwg_ikev2::wire::transport::IKETCP_PREFIX;

    /// What an event carries, in a form to compare.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Content {
        /// An IKEv2 message's bytes.
        Ikev2(Vec<u8>),
        /// An IKEv1 message's initiator cookie.
        Ikev1([u8; 8]),
        Esp {
            spi: u32,
            seq: u32,
            len: usize,
        },
        Keepalive,
        Error(String),
    }

    fn content(e: &Event) -> Content {
        match &e.decoded {
            Decoded::Ikev2(x) => Content::Ikev2(x.bytes.clone()),
            Decoded::Ikev1(m) => Content::Ikev1(m.as_ref().unwrap().header.initiator_cookie),
            Decoded::Esp { spi, seq, len } => Content::Esp {
                spi: *spi,
                seq: *seq,
                len: *len,
            },
            Decoded::Keepalive => Content::Keepalive,
            Decoded::Transport(p) => Content::Error(p.to_string()),
        }
    }

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
        let mut out = Vec::new();
        let pushed = s
            .push(
                &Packet {
                    number: n,
                    ts: Timestamp::default(),
                    linktype: linktype::RAW,
                    data,
                    orig_len: data.len() as u32,
                },
                |e| {
                    out.push(e);
                    Ok(ControlFlow::Continue(()))
                },
            )
            .unwrap();
        assert!(matches!(pushed, Pushed::Done), "{pushed:?}");
        out
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
        let mut s = IkeStream::new(None);
        // Port 500 on one side only (NAT rewrote the other).
        let ev = push(&mut s, 1, &udp(1500, 500, &ike(1, 0x20)));
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].transport, Transport::Udp);
        assert_eq!(content(&ev[0]), Content::Ikev2(ike(1, 0x20)));
        assert_eq!(ev[0].src.port(), 1500);
        // IKEv1 by version.
        let ev = push(&mut s, 2, &udp(500, 500, &ike(2, 0x10)));
        assert_eq!(content(&ev[0]), Content::Ikev1([2; 8]));
        // 4500 with the marker, keepalive, ESP.
        let ev = push(&mut s, 3, &udp(14500, 4500, &marker(&ike(3, 0x20))));
        assert_eq!(ev[0].transport, Transport::UdpNatT);
        assert_eq!(content(&ev[0]), Content::Ikev2(ike(3, 0x20)));
        let ev = push(&mut s, 4, &udp(4500, 4500, &[0xff]));
        assert_eq!(content(&ev[0]), Content::Keepalive);
        let esp = [0, 0, 0x12, 0x34, 0, 0, 0, 9, 0xaa]; // SPI 0x1234, seq 9, 1 octet
        let ev = push(&mut s, 5, &udp(4500, 61000, &esp));
        assert_eq!(
            content(&ev[0]),
            Content::Esp {
                spi: 0x1234,
                seq: 9,
                len: 9
            }
        );
        // Not IKE ports: nothing. A bad 4500 payload: an error event.
        assert!(push(&mut s, 6, &udp(53, 5353, &ike(1, 0x20))).is_empty());
        let ev = push(&mut s, 7, &udp(4500, 4500, &[0x01]));
        assert!(matches!(&content(&ev[0]), Content::Error(e) if e.contains("0xFF")));
        assert_eq!(ev[0].frame, 7);
        assert!(s.finish().is_empty());
    }

    /// `push_lent` (buffers recycled from one message to the next) hands out the same events
    /// as `push`, over UDP and TCP, messages of different sizes after one another.
    #[test]
    fn lent_events_equal_given_ones() {
        // 40 octets after a header whose Length counts them but whose Next Payload is 0:
        // octets left over after the chain, a message in error.
        let mut big = ike(4, 0x20);
        big.extend([0u8; 40]);
        big[27] = 68;
        let mut packets = vec![
            udp(1500, 500, &ike(1, 0x20)),
            udp(500, 500, &ike(2, 0x10)),
            udp(500, 500, &big),
            udp(14500, 4500, &marker(&ike(3, 0x20))),
            udp(4500, 4500, &[0xff]),
            udp(4500, 61000, &[0, 0, 0x12, 0x34, 0, 0, 0, 9, 0xaa]),
            udp(4500, 4500, &[0x01]),
            udp(1500, 500, &ike(5, 0x20)),
            tcp(40000, 4500, 1000, true, b""),
        ];
        let mut stream = IKETCP_PREFIX.to_vec();
        stream.extend(framed(&marker(&ike(7, 0x20))));
        packets.push(tcp(40000, 4500, 1001, false, &stream));
        let (mut given, mut lent) = (IkeStream::new(None), IkeStream::new(None));
        for (i, data) in packets.iter().enumerate() {
            let a = push(&mut given, i as u64 + 1, data);
            let mut b = Vec::new();
            let pkt = Packet {
                number: i as u64 + 1,
                ts: Timestamp::default(),
                linktype: linktype::RAW,
                data,
                orig_len: data.len() as u32,
            };
            lent.push_lent(&pkt, |e| {
                b.push(format!("{e:?}"));
                Ok(ControlFlow::Continue(()))
            })
            .unwrap();
            let a: Vec<String> = a.iter().map(|e| format!("{e:?}")).collect();
            assert_eq!(a, b, "packet {}", i + 1);
        }
    }

    #[test]
    fn tcp_rfc9329_both_directions() {
        let mut s = IkeStream::new(None);
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
        assert_eq!(content(&ev[0]), Content::Ikev2(ike(7, 0x20)));
        assert_eq!(ev[0].frame, 3);
        assert!(matches!(content(&ev[1]), Content::Esp { spi: 5, .. }));
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
        assert_eq!(content(&ev[0]), Content::Ikev2(ike(8, 0x20)));
        assert!(s.finish().is_empty());
    }

    #[test]
    fn tcp_midstream_resynchronises() {
        let mut s = IkeStream::new(None);
        // No SYN seen: 5 octets of the end of some earlier message, then a whole one.
        let mut data = vec![0xde, 0xad, 0xbe, 0xef, 0x00];
        data.extend(framed(&marker(&ike(9, 0x20))));
        let ev = push(&mut s, 1, &tcp(4500, 40001, 77, false, &data));
        assert_eq!(ev.len(), 2, "{ev:?}");
        assert!(matches!(&content(&ev[0]), Content::Error(e) if e.contains("5 octet(s) skipped")));
        assert_eq!(content(&ev[1]), Content::Ikev2(ike(9, 0x20)));
        // A later message on the same direction is framed normally.
        let more = framed(&marker(&ike(10, 0x20)));
        let ev = push(
            &mut s,
            2,
            &tcp(4500, 40001, 77 + data.len() as u32, false, &more),
        );
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(content(&ev[0]), Content::Ikev2(ike(10, 0x20)));
    }

    #[test]
    fn tcp_other_ports_ignored_and_half_message_noted() {
        let mut s = IkeStream::new(None);
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
        use ietfwg_capture::ipfrag::Reassembler;
        use ietfwg_capture::tcp::{TcpConfig, TcpReassembler};
        let tcp_cfg = TcpConfig {
            max_stream_buffer: 64,
            ..TcpConfig::default()
        };
        let mut s = IkeStream::with_flows(
            Flows::with(Reassembler::default(), TcpReassembler::new(tcp_cfg)),
            None,
        );
        push(&mut s, 1, &tcp(40000, 4500, 0, true, b""));
        let [m1, m2, m3, m4] = [1, 2, 3, 4].map(|i| framed(&marker(&ike(i, 0x20))));
        let mut a = IKETCP_PREFIX.to_vec();
        a.extend(&m1);
        a.extend(&m2[..10]);
        let ev = push(&mut s, 2, &tcp(40000, 4500, 1, false, &a));
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(content(&ev[0]), Content::Ikev2(ike(1, 0x20)));
        // m2[10..25] is never captured.
        let mut b = m2[25..].to_vec();
        b.extend(&m3);
        b.extend(&m4);
        let seq = 1 + a.len() as u32 + 15;
        let ev = push(&mut s, 3, &tcp(40000, 4500, seq, false, &b));
        let kinds: Vec<String> = ev.iter().map(|e| format!("{:?}", content(e))).collect();
        assert_eq!(ev.len(), 4, "{kinds:?}");
        assert!(
            matches!(&content(&ev[0]), Content::Error(e) if e.contains("15 octet(s) of the stream were not captured")),
            "{kinds:?}"
        );
        assert!(
            matches!(&content(&ev[1]), Content::Error(e) if e.contains("9 octet(s) skipped")),
            "{kinds:?}"
        );
        assert_eq!(content(&ev[2]), Content::Ikev2(ike(3, 0x20)));
        assert_eq!(content(&ev[3]), Content::Ikev2(ike(4, 0x20)));
    }
}
