//! From captured packets to transport payloads: IP reassembly ([`super::ipfrag`]), then UDP
//! datagrams as they are and TCP streams in order ([`super::tcp`]). The IKE commands call
//! [`Flows::push`] once per packet and [`Flows::finish`] at the end.

use std::borrow::Cow;
use std::net::SocketAddr;

use etherparse::{TcpHeaderSlice, UdpHeaderSlice};

use super::ipfrag::{IpError, IpPacket, Reassembler};
use super::link::LinkError;
use super::tcp::{Segment, TcpReassembler};
use super::{ip_payload, Packet};

/// Why a packet gave no transport payload: its link layer, its IP header or fragment, or its
/// UDP/TCP header (etherparse's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// The link layer.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The IP header, or IP reassembly.
    #[error(transparent)]
    Ip(#[from] IpError),
    /// The UDP header is cut short.
    #[error("UDP header: {detail}")]
    UdpHeader { detail: String },
    /// A UDP Length below the header's 8 octets.
    #[error("UDP length {len} is less than the 8-octet header")]
    UdpTooShort { len: usize },
    /// A UDP Length beyond what the (complete) IP packet carries.
    #[error("UDP length {len} exceeds the {carried} octets the IP packet carries")]
    UdpTooLong { len: usize, carried: usize },
    /// The TCP header is cut short or malformed.
    #[error("TCP header: {detail}")]
    TcpHeader { detail: String },
}

/// The transport protocol of an [`L4`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// UDP (IP protocol 17).
    Udp,
    /// TCP (IP protocol 6).
    Tcp,
}

/// TCP facts that a stream consumer (e.g. an RFC 9329 framer) needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpMeta {
    /// Octets of this direction's stream that were never seen, just before `payload`; a framer
    /// must resynchronise (0: contiguous).
    pub gap_before: u64,
    /// Offset of `payload` in this direction's stream (0 = first octet after the SYN).
    pub stream_offset: u64,
    /// `Some(true)`: this direction opened the connection (sent the SYN); `Some(false)`: it sent
    /// the SYN-ACK; `None`: no SYN seen (the capture started mid-stream).
    pub from_initiator: Option<bool>,
}

/// One transport payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L4<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// UDP or TCP.
    pub proto: Proto,
    /// UDP: the datagram's payload (after IP reassembly; cut short when the capture was).
    /// TCP: the stream octets of this direction that became available, in order.
    pub payload: Cow<'a, [u8]>,
    /// TCP only.
    pub tcp: Option<TcpMeta>,
    /// How many IP fragments the packet carrying this payload was reassembled from (0 when it
    /// was not fragmented).
    pub ip_fragments: usize,
}

/// State across packets: IP fragments waiting, TCP streams.
#[derive(Debug, Default)]
pub struct Flows {
    ipfrag: Reassembler,
    tcp: TcpReassembler,
}

impl Flows {
    /// Default limits (see [`super::ipfrag::FragConfig`] and [`super::tcp::TcpConfig`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// With explicit reassemblers (for other limits).
    pub fn with(ipfrag: Reassembler, tcp: TcpReassembler) -> Self {
        Flows { ipfrag, tcp }
    }

    /// One captured packet: what UDP or TCP payload it makes available (usually zero or one).
    /// Packets that are not IP, or carry neither UDP nor TCP, give nothing. `Err`: a malformed
    /// IP/UDP/TCP header or an invalid fragment (the caller names the frame).
    pub fn push<'a>(&mut self, pkt: &Packet<'a>) -> Result<Vec<L4<'a>>, FlowError> {
        Ok(self.push_one(pkt)?.into_iter().collect())
    }

    /// As [`Flows::push`], for a caller that takes the payload as it comes: a packet makes at
    /// most one available (a UDP datagram, or the TCP stream octets its segment put in order),
    /// and this returns it without a `Vec` per packet.
    pub fn push_one<'a>(&mut self, pkt: &Packet<'a>) -> Result<Option<L4<'a>>, FlowError> {
        let Some(ip) = ip_payload(pkt)? else {
            return Ok(None);
        };
        if let Some(l4) = plain_udp4(ip) {
            // What `Reassembler::push` does first for every packet, whole or fragment.
            self.ipfrag.sweep_at(pkt.ts);
            return Ok(Some(l4));
        }
        self.push_ip(pkt, ip)
    }

    /// [`Flows::push_one`] from the IP header on, for any IP packet (reassembly included).
    fn push_ip<'a>(&mut self, pkt: &Packet<'a>, ip: &'a [u8]) -> Result<Option<L4<'a>>, FlowError> {
        let Some(p) = self.ipfrag.push(pkt.number, pkt.ts, ip)? else {
            return Ok(None);
        };
        let IpPacket {
            src,
            dst,
            proto,
            payload,
            truncated,
            fragments,
            ..
        } = p;
        // An unfragmented packet counts as one "fragment" in the reassembler.
        let ip_fragments = if fragments > 1 { fragments } else { 0 };
        match proto {
            17 => {
                let h = UdpHeaderSlice::from_slice(&payload).map_err(|e| FlowError::UdpHeader {
                    detail: e.to_string(),
                })?;
                let (sport, dport) = (h.source_port(), h.destination_port());
                let ulen = usize::from(h.length());
                if ulen < 8 {
                    return Err(FlowError::UdpTooShort { len: ulen });
                }
                if ulen > payload.len() && !truncated {
                    return Err(FlowError::UdpTooLong {
                        len: ulen,
                        carried: payload.len(),
                    });
                }
                let end = ulen.min(payload.len());
                let body = match payload {
                    Cow::Borrowed(b) => Cow::Borrowed(b.get(8..end).unwrap_or_default()),
                    Cow::Owned(mut v) => {
                        v.truncate(end);
                        v.drain(..8);
                        Cow::Owned(v)
                    }
                };
                Ok(Some(L4 {
                    src: SocketAddr::new(src, sport),
                    dst: SocketAddr::new(dst, dport),
                    proto: Proto::Udp,
                    payload: body,
                    tcp: None,
                    ip_fragments,
                }))
            }
            6 => {
                let h = TcpHeaderSlice::from_slice(&payload).map_err(|e| FlowError::TcpHeader {
                    detail: e.to_string(),
                })?;
                let hl = h.slice().len();
                let src = SocketAddr::new(src, h.source_port());
                let dst = SocketAddr::new(dst, h.destination_port());
                let data = payload.get(hl..).unwrap_or_default();
                // With a cut capture the wire length is unknown beyond what IP said; the IP
                // layer trimmed to the captured bytes, so a cut segment shows as shorter.
                let seg = Segment {
                    src,
                    dst,
                    seq: h.sequence_number(),
                    syn: h.syn(),
                    ack: h.ack(),
                    fin: h.fin(),
                    rst: h.rst(),
                    payload: data,
                    wire_len: data.len(),
                };
                let Some(d) = self.tcp.push(seg) else {
                    return Ok(None);
                };
                let meta = TcpMeta {
                    gap_before: d.gap_before,
                    stream_offset: d.stream_offset,
                    from_initiator: d.from_initiator,
                };
                // A borrowed delivery points into `payload`; it is borrowed from the packet only
                // when the IP layer did not reassemble.
                let bytes = match (&payload, d.bytes) {
                    (Cow::Borrowed(whole), Cow::Borrowed(part)) => {
                        match subslice_range(whole, part) {
                            Some(r) => Cow::Borrowed(whole.get(r).unwrap_or_default()),
                            None => Cow::Owned(part.to_vec()),
                        }
                    }
                    (_, b) => Cow::Owned(b.into_owned()),
                };
                Ok(Some(L4 {
                    src,
                    dst,
                    proto: Proto::Tcp,
                    payload: bytes,
                    tcp: Some(meta),
                    ip_fragments,
                }))
            }
            _ => Ok(None),
        }
    }

    /// Notes on incomplete IP datagrams and TCP streams; clears the state.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = self.ipfrag.finish();
        out.extend(self.tcp.finish());
        out
    }
}

/// The UDP datagram of a whole IPv4 packet with a 20-octet header (no options), neither a
/// fragment nor cut short, whose UDP Length fits it: the usual IKE packet, read directly.
/// Written by hand because going through etherparse's header slices, the reassembler's
/// `IpPacket` and the UDP checks built and moved several structures per packet (a sixth of the
/// main thread of `ikev2 summary`). It takes only packets that the general path below reads
/// to the same `L4` without an error (version 4, IHL 5, Total Length within the captured
/// octets and holding the UDP header, More Fragments clear, Fragment Offset 0, protocol 17,
/// 8 ≤ UDP Length ≤ what the IP packet carries); anything else gives `None` and goes that way.
fn plain_udp4(ip: &[u8]) -> Option<L4<'_>> {
    use std::net::{IpAddr, Ipv4Addr};
    // RFC 791 §3.1: Version/IHL, TOS, Total Length, Identification, Flags/Fragment Offset, TTL,
    // Protocol, Header Checksum, Source, Destination.
    let h: &[u8; 20] = ip.get(..20)?.try_into().ok()?;
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let frag = u16::from_be_bytes([h[6], h[7]]) & 0x3fff;
    if h[0] != 0x45 || frag != 0 || h[9] != 17 || total < 28 || total > ip.len() {
        return None;
    }
    let payload = ip.get(20..total)?;
    // RFC 768: Source Port, Destination Port, Length, Checksum.
    let u: &[u8; 8] = payload.get(..8)?.try_into().ok()?;
    let ulen = usize::from(u16::from_be_bytes([u[4], u[5]]));
    if ulen < 8 || ulen > payload.len() {
        return None;
    }
    let src = Ipv4Addr::new(h[12], h[13], h[14], h[15]);
    let dst = Ipv4Addr::new(h[16], h[17], h[18], h[19]);
    Some(L4 {
        src: SocketAddr::new(IpAddr::V4(src), u16::from_be_bytes([u[0], u[1]])),
        dst: SocketAddr::new(IpAddr::V4(dst), u16::from_be_bytes([u[2], u[3]])),
        proto: Proto::Udp,
        payload: Cow::Borrowed(payload.get(8..ulen)?),
        tcp: None,
        ip_fragments: 0,
    })
}

/// Where `part` sits inside `whole`, when it is a sub-slice of it.
fn subslice_range(whole: &[u8], part: &[u8]) -> Option<std::ops::Range<usize>> {
    let w = whole.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    let start = p.checked_sub(w)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some(start..end)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::super::ipfrag::tests::{fragment4, ts, udp4};
    use super::super::{linktype, testutil, CaptureReader, Timestamp};
    use super::*;
    use etherparse::PacketBuilder;

    /// The hand-read IPv4/UDP packet gives exactly what the general path gives, or declines:
    /// over UDP packets with and without payload, padding after them, every prefix of each and
    /// each IP and UDP header octet set in turn to several values.
    #[test]
    fn plain_udp4_agrees_with_the_general_path() {
        let mut packets = vec![udp4(b"ike message", 500, 4500), udp4(b"", 4500, 500)];
        let mut padded = udp4(&[0x55; 3], 1, 2);
        padded.extend([0; 17]);
        packets.push(padded);
        let mut variants = Vec::new();
        for p in &packets {
            for cut in 0..p.len() {
                variants.push(p[..cut].to_vec());
            }
            for at in 0..28 {
                for v in [0u8, 1, 5, 8, 0x11, 0x1f, 0x20, 0x40, 0x45, 0x46, 0x80, 0xff] {
                    let mut m = p.clone();
                    m[at] = v;
                    variants.push(m);
                }
            }
            variants.push(p.clone());
        }
        let mut taken = 0;
        for v in &variants {
            let Some(fast) = plain_udp4(v) else {
                continue;
            };
            taken += 1;
            let general = Flows::new().push_ip(&raw(1, ts(1), v), v);
            assert_eq!(general, Ok(Some(fast)), "{v:02x?}");
        }
        assert!(taken > packets.len() * 20, "{taken}");
    }

    fn raw(number: u64, t: Timestamp, data: &[u8]) -> Packet<'_> {
        Packet {
            number,
            ts: t,
            linktype: linktype::RAW,
            data,
            orig_len: data.len() as u32,
        }
    }

    #[test]
    fn udp_whole_and_fragmented() {
        let small = udp4(b"\x00\x00\x00\x00ike", 4500, 4500);
        let mut f = Flows::new();
        let out = f.push(&raw(1, ts(0), &small)).unwrap();
        assert_eq!(out.len(), 1);
        assert!(matches!(
            out[0].payload,
            Cow::Borrowed(b"\x00\x00\x00\x00ike")
        ));
        assert_eq!(out[0].src.port(), 4500);
        assert_eq!(out[0].proto, Proto::Udp);

        let data: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let big = udp4(&data, 4500, 4500);
        let frags = fragment4(&big, 42, 1480);
        assert!(f.push(&raw(2, ts(0), &frags[1])).unwrap().is_empty());
        assert!(f.push(&raw(3, ts(0), &frags[2])).unwrap().is_empty());
        let out = f.push(&raw(4, ts(0), &frags[0])).unwrap();
        assert_eq!(out[0].payload.len(), 3000);
        assert_eq!(&out[0].payload[..], &data[..]);
        assert!(f.finish().is_empty());
    }

    #[test]
    fn udp_length_checked() {
        let mut p = udp4(b"abcdef", 500, 500);
        p[24..26].copy_from_slice(&100u16.to_be_bytes()); // UDP length 100 > 14
        let e = Flows::new()
            .push(&raw(1, ts(0), &p))
            .unwrap_err()
            .to_string();
        assert!(e.contains("UDP length 100"), "{e}");
        p[24..26].copy_from_slice(&4u16.to_be_bytes());
        assert!(Flows::new().push(&raw(1, ts(0), &p)).is_err());
    }

    fn tcp4(seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
        let mut b =
            PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64).tcp(40000, 4500, seq, 65535);
        if syn {
            b = b.syn();
        } else {
            b = b.ack(1);
        }
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        v
    }

    #[test]
    fn tcp_segments_out_of_order_and_retransmitted() {
        let mut f = Flows::new();
        let pkts = [
            tcp4(100, true, b""),
            tcp4(107, false, b"\x00\x0a"), // offset 6 (after "IKETCP"), early
            tcp4(101, false, b"IKETCP"),   // offset 0
            tcp4(101, false, b"IKETCP"),   // retransmission
            tcp4(109, false, b"\x00\x00\x00\x00\x01\x02\x03\x04"),
        ];
        let mut stream = Vec::new();
        let mut metas = Vec::new();
        for (i, p) in pkts.iter().enumerate() {
            for l4 in f.push(&raw(i as u64 + 1, ts(0), p)).unwrap() {
                assert_eq!(l4.proto, Proto::Tcp);
                metas.push(l4.tcp.unwrap());
                stream.extend_from_slice(&l4.payload);
            }
        }
        assert_eq!(stream, b"IKETCP\x00\x0a\x00\x00\x00\x00\x01\x02\x03\x04");
        assert_eq!(metas[0].from_initiator, Some(true));
        assert_eq!(metas.len(), 2);
        assert_eq!(metas[1].stream_offset, 8);
    }

    /// zeek-spicy-ipsec/ipsec_client.pcap: a Windows client's IKE_AUTH (3468 octets) IP-
    /// fragmented in three on UDP 4500, sent three times (IP ids 0x1b1e, 0x1b1f, 0x1b20).
    #[test]
    fn ipsec_client_ike_auth_reassembled() {
        let Some(dir) = testutil::corpus("ikev2") else {
            return;
        };
        let path = dir.join("zeek-spicy-ipsec/ipsec_client.pcap");
        let mut rd = CaptureReader::open(path.to_str().unwrap()).unwrap();
        let mut f = Flows::new();
        let mut sa_init_spi = None;
        let mut auth = Vec::new();
        while let Some(pkt) = rd.next_packet().unwrap() {
            let number = pkt.number;
            for l4 in f.push(&pkt).unwrap() {
                assert_eq!(l4.proto, Proto::Udp);
                let m: &[u8] = &l4.payload;
                match l4.dst.port() {
                    500 if l4.src.ip().to_string() == "192.168.0.10" => {
                        assert_eq!(m[18], 34, "IKE_SA_INIT");
                        sa_init_spi = Some(m[..8].to_vec());
                    }
                    4500 => auth.push((number, m.to_vec())),
                    _ => {}
                }
            }
        }
        let spi = sa_init_spi.expect("IKE_SA_INIT from the client");
        assert_eq!(spi, [0x23, 0x86, 0x71, 0xc8, 0x03, 0x75, 0xa0, 0xfb]);
        assert_eq!(auth.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [5, 8, 11]);
        for (_, m) in &auth {
            assert_eq!(&m[..4], &[0, 0, 0, 0], "non-ESP marker");
            let ike = &m[4..];
            assert_eq!(ike.len(), 3468);
            assert_eq!(
                &ike[..8],
                spi.as_slice(),
                "initiator SPI of the IKE_SA_INIT"
            );
            assert_eq!(ike[17], 0x20, "IKEv2");
            assert_eq!(ike[18], 35, "IKE_AUTH");
            assert_eq!(
                u32::from_be_bytes([ike[24], ike[25], ike[26], ike[27]]),
                3468,
                "Length"
            );
        }
        assert!(f.finish().is_empty());
    }

    /// Every capture of the IKE corpus goes through. tshark shows 613 UDP datagrams
    /// (`tshark -Y udp`, with IP reassembly); the 6 missing here are tcpdump's fuzzed files
    /// whose fragments the capture cut short (tshark shows them unreassembled) or whose UDP
    /// length exceeds the packet: each is a precise error instead.
    #[test]
    fn corpus_flows_match_tshark() {
        let Some(dir) = testutil::corpus("ikev2") else {
            return;
        };
        let mut udp = 0;
        let mut errors = Vec::new();
        for path in testutil::capture_files(&dir) {
            let mut rd = CaptureReader::open(path.to_str().unwrap()).unwrap();
            let mut f = Flows::new();
            while let Some(pkt) = rd.next_packet().unwrap() {
                match f.push(&pkt) {
                    Ok(v) => udp += v.iter().filter(|l| l.proto == Proto::Udp).count(),
                    Err(e) => errors.push(format!("{}#{}: {e}", path.display(), pkt.number)),
                }
            }
            let notes = f.finish();
            assert!(notes.is_empty(), "{}: {notes:?}", path.display());
        }
        assert_eq!(udp, 607, "{errors:#?}");
        assert_eq!(errors.len(), 8, "{errors:#?}");
        let cut = errors
            .iter()
            .filter(|e| e.contains("snapshot length"))
            .count();
        assert_eq!(cut, 7, "{errors:#?}");
        assert!(errors
            .iter()
            .any(|e| e
                .contains("isakmp-delete-segfault.pcap#1: UDP length 456 exceeds the 146 octets")));
    }
}
