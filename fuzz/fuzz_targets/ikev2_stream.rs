//! The IKEv2 stream decoder over transport payloads as a capture delivers them: UDP datagrams
//! on 500/4500 (RFC 3948 §2: non-ESP marker, ESP, keepalives) and the octets of RFC 9329 TCP
//! streams in both directions, with holes (gaps) and captures that start mid-stream, so that
//! framing, resynchronisation and the bounded per-direction buffers are all exercised.
//! Invariant: no panic, no hang; every report can be walked.
#![no_main]

use std::net::SocketAddr;

use arbitrary::Arbitrary;
use ietfwg_ikev2::decoder::{Decoder, TcpChunk};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Step {
    Udp {
        from_initiator: bool,
        nat_t: bool,
        payload: Vec<u8>,
    },
    Tcp {
        from_initiator: bool,
        gap: u16,
        saw_syn: bool,
        bytes: Vec<u8>,
    },
}

fuzz_target!(|steps: Vec<Step>| {
    let i: SocketAddr = ([192, 0, 2, 1], 4500).into();
    let r: SocketAddr = ([192, 0, 2, 2], 4500).into();
    let mut decoder = Decoder::new(None);
    let mut offsets = [0u64; 2];
    for (n, step) in steps.iter().enumerate() {
        let frame = n as u64 + 1;
        match step {
            Step::Udp {
                from_initiator,
                nat_t,
                payload,
            } => {
                let port = if *nat_t { 4500 } else { 500 };
                let (mut s, mut d) = if *from_initiator { (i, r) } else { (r, i) };
                s.set_port(port);
                d.set_port(port);
                let _ = decoder.udp(s, d, payload, frame);
            }
            Step::Tcp {
                from_initiator,
                gap,
                saw_syn,
                bytes,
            } => {
                let (s, d) = if *from_initiator { (i, r) } else { (r, i) };
                let dir = usize::from(!*from_initiator);
                offsets[dir] += u64::from(*gap);
                let chunk = TcpChunk {
                    bytes,
                    stream_offset: offsets[dir],
                    gap_before: u64::from(*gap),
                    from_initiator: saw_syn.then_some(*from_initiator),
                };
                offsets[dir] += bytes.len() as u64;
                for report in decoder.tcp(s, d, chunk, frame) {
                    let _ = report.decoded.is_error();
                }
            }
        }
        let _ = decoder.take_dropped();
    }
    let _ = decoder.finish();
});
