//! IKEv2 messages extracted from a capture, for the integration tests that check the crate
//! against recorded exchanges (`mod capture;` in the test file). The extraction is written
//! here, independently of the crate's own parser, with `pcap-parser` and `etherparse`.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

/// One IKEv2 message of a capture.
#[derive(Debug, Clone)]
pub struct Msg {
    /// 1-based frame number, as tshark counts.
    pub frame: usize,
    /// From the IKE header on (after any non-ESP marker).
    pub bytes: Vec<u8>,
}

impl Msg {
    pub fn spi_i(&self) -> u64 {
        u64::from_be_bytes(self.bytes[0..8].try_into().unwrap())
    }
    pub fn spi_r(&self) -> u64 {
        u64::from_be_bytes(self.bytes[8..16].try_into().unwrap())
    }
    pub fn exchange(&self) -> u8 {
        self.bytes[18]
    }
    pub fn is_from_initiator(&self) -> bool {
        self.bytes[19] & 0x08 != 0
    }
    pub fn response(&self) -> bool {
        self.bytes[19] & 0x20 != 0
    }
    pub fn message_id(&self) -> u32 {
        u32::from_be_bytes(self.bytes[20..24].try_into().unwrap())
    }
}

/// The IKEv2 messages of a pcap or pcapng file: UDP 500, and UDP 4500 with the 4-octet
/// non-ESP marker (RFC 3948 §2.2) stripped; ESP and keepalives skipped.
pub fn ike_messages(path: &Path) -> Vec<Msg> {
    use pcap_parser::{Block, PcapBlockOwned, PcapError};
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = pcap_parser::create_reader(1 << 16, file)
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let mut linktypes: Vec<i32> = Vec::new();
    let mut frames: Vec<(i32, Vec<u8>)> = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => linktypes.push(h.network.0),
                    PcapBlockOwned::Legacy(b) => frames.push((linktypes[0], b.data.to_vec())),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        linktypes.push(idb.linktype.0)
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let lt = linktypes[epb.if_id as usize];
                        frames.push((lt, epb.data[..epb.caplen as usize].to_vec()))
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        frames.push((linktypes[0], spb.data.to_vec()))
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().unwrap(),
            Err(e) => panic!("{}: {e:?}", path.display()),
        }
    }
    let mut out = Vec::new();
    for (i, (lt, data)) in frames.iter().enumerate() {
        let sliced = match lt {
            1 => etherparse::SlicedPacket::from_ethernet(data),
            0 => etherparse::SlicedPacket::from_ip(&data[4..]), // DLT_NULL: 4-octet family
            101 => etherparse::SlicedPacket::from_ip(data),
            other => panic!("{}: link type {other}", path.display()),
        }
        .unwrap_or_else(|e| panic!("{} frame {}: {e}", path.display(), i + 1));
        let Some(etherparse::TransportSlice::Udp(udp)) = sliced.transport else {
            continue;
        };
        let ports = [udp.source_port(), udp.destination_port()];
        let payload = udp.payload();
        let ike = if ports.contains(&4500) {
            match payload.strip_prefix(&[0, 0, 0, 0]) {
                Some(rest) => rest,
                None => continue, // ESP or NAT-keepalive
            }
        } else if ports.contains(&500) {
            payload
        } else {
            continue;
        };
        if ike.len() >= 28 && ike[17] >> 4 == 2 {
            out.push(Msg {
                frame: i + 1,
                bytes: ike.to_vec(),
            });
        }
    }
    out
}

/// The tiny walker: (offset, type) of the SK (46) or SKF (53) payload, if the chain has one.
pub fn find_sk(msg: &[u8]) -> Option<(usize, u8)> {
    let mut next = msg[16];
    let mut off = 28;
    while next != 0 {
        if next == 46 || next == 53 {
            return Some((off, next));
        }
        let len = usize::from(u16::from_be_bytes([msg[off + 2], msg[off + 3]]));
        assert!(len >= 4, "payload at {off}: length {len}");
        next = msg[off];
        off += len;
    }
    None
}
