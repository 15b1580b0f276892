//! Sequences of fragments through reassembly: RFC 4944 §5.3 FRAG1/FRAGN and RFC 8931 RFRAG
//! (and RFRAG-ACK), with arbitrary sizes, tags, offsets, sequence numbers, overlaps,
//! duplicates, senders and capture times, in data frames with short addresses. Invariants: no
//! panic; a datagram the decoder reports is as long as it says; the reassembler never holds more
//! datagrams than its limit.
#![no_main]

use arbitrary::Arbitrary;
use ietfwg_6lo::lowpan::{Decoder, FrameReport};
use ietfwg_6lo::mac::FcsMode;
use ietfwg_6lo::reassembly::Limits;
use ietfwg_6lo::ContextTable;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Header {
    /// RFC 4944 §5.3 first fragment: 11000 + 11-bit size, 16-bit tag.
    Frag1 { size: u16, tag: u16 },
    /// Subsequent fragment: 11100 + size, tag, offset in 8-octet units.
    FragN { size: u16, tag: u16, offset: u8 },
    /// RFC 8931 §5.1 RFRAG: 1110100X, tag, E + 5-bit sequence + 10-bit fragment size, offset.
    Rfrag {
        ack_request: bool,
        tag: u8,
        seq_size: u16,
        offset: u16,
    },
    /// RFC 8931 §5.2 RFRAG-ACK: 1110101Y, tag, 32-bit bitmap.
    RfragAck { ecn: bool, tag: u8, bitmap: u32 },
}

#[derive(Debug, Arbitrary)]
struct Fragment {
    sender: u8,
    header: Header,
    /// How the payload starts: IPHC (a compressed IPv6 header) or raw octets.
    iphc: bool,
    payload: Vec<u8>,
    /// Seconds since the previous frame (reassembly times out after 60).
    delay: u8,
}

fn frame(f: &Fragment, seq: u8) -> Vec<u8> {
    // 802.15.4-2006 data frame, PAN ID compression, short addresses (RFC 4944 §3).
    let mut v = vec![0x41, 0x98, seq, 0xcd, 0xab, 0x01, 0x00, f.sender % 4, 0x00];
    match f.header {
        Header::Frag1 { size, tag } => {
            v.extend_from_slice(&(0xc000 | (size & 0x07ff)).to_be_bytes());
            v.extend_from_slice(&tag.to_be_bytes());
        }
        Header::FragN { size, tag, offset } => {
            v.extend_from_slice(&(0xe000 | (size & 0x07ff)).to_be_bytes());
            v.extend_from_slice(&tag.to_be_bytes());
            v.push(offset);
        }
        Header::Rfrag {
            ack_request,
            tag,
            seq_size,
            offset,
        } => {
            v.push(0xe8 | u8::from(ack_request));
            v.push(tag);
            v.extend_from_slice(&seq_size.to_be_bytes());
            v.extend_from_slice(&offset.to_be_bytes());
        }
        Header::RfragAck { ecn, tag, bitmap } => {
            v.push(0xea | u8::from(ecn));
            v.push(tag);
            v.extend_from_slice(&bitmap.to_be_bytes());
        }
    }
    if f.iphc {
        // IPHC: TF=11 NH=0 HLIM=10, both addresses from the link layer; Next Header 17 inline.
        v.extend_from_slice(&[0x7a, 0x33, 0x11]);
    }
    v.extend_from_slice(&f.payload[..f.payload.len().min(120)]);
    v
}

fuzz_target!(|fragments: Vec<Fragment>| {
    let limits = Limits::default();
    let max_datagrams = limits.max_datagrams;
    let mut decoder = Decoder::new(ContextTable::new(), limits);
    let mut report = FrameReport::default();
    let frames: Vec<Vec<u8>> = fragments
        .iter()
        .enumerate()
        .map(|(i, f)| frame(f, i as u8))
        .collect();
    let mut time = 0u64;
    for (i, (f, bytes)) in fragments.iter().zip(&frames).enumerate() {
        time += u64::from(f.delay) * 1_000_000_000;
        decoder.decode_frame_into(bytes, FcsMode::None, i as u64 + 1, time, &mut report);
        if let Some(d) = &report.datagram {
            assert_eq!(
                d.bytes.len(),
                d.length,
                "a datagram of another length than reported"
            );
        }
        assert!(
            decoder.in_flight() <= max_datagrams,
            "reassembler over its datagram limit"
        );
    }
    let _ = decoder.finish();
});
