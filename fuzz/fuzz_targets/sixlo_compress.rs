//! IPHC/NHC compression → fragmentation → decoding is the identity (RFC 6282, RFC 4944 §5.3):
//! a structured IPv6 datagram (every traffic class / flow label, hop limit, address kind and
//! next header the compressor has a form for, extension headers, UDP with and without a
//! checksum, IPv6-in-IPv6) with arbitrary compression options, contexts, frame size, mesh and
//! BC0 headers is framed by `frame::Framer` and decoded back by `lowpan::Decoder`; the
//! reassembled datagram must equal the input octet for octet. The compressor also decompresses
//! its own output before returning; an "internal error" from it is a finding too.
#![no_main]

use std::net::Ipv6Addr;

use arbitrary::Arbitrary;
use ietfwg_6lo::compress::Options;
use ietfwg_6lo::frame::{Config, Framer, Target};
use ietfwg_6lo::lowpan::Decoder;
use ietfwg_6lo::mac::FcsMode;
use ietfwg_6lo::reassembly::Limits;
use ietfwg_6lo::{Context, ContextTable, LinkAddr};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
enum Addr {
    LinkLocalFromLink,
    LinkLocalShort(u16),
    LinkLocal([u8; 8]),
    Context(u8, [u8; 8]),
    Global([u8; 16]),
    Multicast8(u8),
    Multicast32(u8, [u8; 3]),
    Multicast48(u8, [u8; 5]),
    MulticastPrefix([u8; 8], u32),
    Unspecified,
    Loopback,
}

#[derive(Debug, Arbitrary)]
enum Next {
    Udp {
        src: u16,
        dst: u16,
        good_checksum: bool,
        payload: Vec<u8>,
    },
    Icmpv6(Vec<u8>),
    HopByHop {
        options: Vec<u8>,
        inner: Box<Next>,
    },
    Encapsulated(Box<Next>),
    Other(u8, Vec<u8>),
}

#[derive(Debug, Arbitrary)]
struct Input {
    traffic_class: u8,
    flow_label: u32,
    hop_limit: u8,
    src: Addr,
    dst: Addr,
    link_src: Option<u16>,
    link_src_ext: [u8; 8],
    link_dst: Option<u16>,
    next: Next,
    elide_udp_checksum: bool,
    ghc: bool,
    frame_size: u8,
    fcs: bool,
    mesh_hops: Option<u8>,
    bc0: bool,
    contexts: Vec<(u8, [u8; 16], u8)>,
}

fn addr(a: &Addr, link: LinkAddr) -> Ipv6Addr {
    let mut b = [0u8; 16];
    match a {
        Addr::LinkLocalFromLink => {
            b[..2].copy_from_slice(&[0xfe, 0x80]);
            b[8..].copy_from_slice(&link.iid().unwrap_or([0; 8]));
        }
        Addr::LinkLocalShort(s) => {
            b[..2].copy_from_slice(&[0xfe, 0x80]);
            b[11..14].copy_from_slice(&[0xff, 0xfe, 0x00]);
            b[14..].copy_from_slice(&s.to_be_bytes());
        }
        Addr::LinkLocal(iid) => {
            b[..2].copy_from_slice(&[0xfe, 0x80]);
            b[8..].copy_from_slice(iid);
        }
        Addr::Context(n, iid) => {
            b[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
            b[4] = n % 16;
            b[8..].copy_from_slice(iid);
        }
        Addr::Global(g) => b = *g,
        Addr::Multicast8(g) => {
            b[..2].copy_from_slice(&[0xff, 0x02]);
            b[15] = *g;
        }
        Addr::Multicast32(s, g) => {
            b[0] = 0xff;
            b[1] = *s;
            b[13..].copy_from_slice(g);
        }
        Addr::Multicast48(s, g) => {
            b[0] = 0xff;
            b[1] = *s;
            b[11..].copy_from_slice(g);
        }
        Addr::MulticastPrefix(p, g) => {
            // RFC 3306 unicast-prefix-based: ff3x:00LL:prefix:group
            b[..4].copy_from_slice(&[0xff, 0x35, 0x00, 0x40]);
            b[4..12].copy_from_slice(p);
            b[12..].copy_from_slice(&g.to_be_bytes());
        }
        Addr::Unspecified => {}
        Addr::Loopback => b[15] = 1,
    }
    Ipv6Addr::from(b)
}

/// The upper-layer octets and Next Header value of `n`; `pseudo` is the IPv6 pseudo-header
/// source and destination for checksums.
fn body(n: &Next, src: Ipv6Addr, dst: Ipv6Addr, depth: u8) -> (u8, Vec<u8>) {
    match n {
        Next::Udp {
            src: sp,
            dst: dp,
            good_checksum,
            payload,
        } => {
            let payload = &payload[..payload.len().min(1200)];
            let len = (8 + payload.len()) as u16;
            let mut u = Vec::with_capacity(usize::from(len));
            u.extend_from_slice(&sp.to_be_bytes());
            u.extend_from_slice(&dp.to_be_bytes());
            u.extend_from_slice(&len.to_be_bytes());
            u.extend_from_slice(&[0, 0]);
            u.extend_from_slice(payload);
            let sum = if *good_checksum {
                checksum(src, dst, 17, &u)
            } else {
                0x1234
            };
            u[6..8].copy_from_slice(&sum.to_be_bytes());
            (17, u)
        }
        Next::Icmpv6(m) => {
            let mut m = m[..m.len().min(1200)].to_vec();
            if m.len() < 4 {
                m.resize(4, 0);
            }
            m[2] = 0;
            m[3] = 0;
            let sum = checksum(src, dst, 58, &m);
            m[2..4].copy_from_slice(&sum.to_be_bytes());
            (58, m)
        }
        Next::HopByHop { options, inner } if depth < 3 => {
            let (nh, rest) = body(inner, src, dst, depth + 1);
            let mut opts = options[..options.len().min(200)].to_vec();
            // Options area: make the header a multiple of 8 octets with PadN/Pad1.
            let total = (2 + opts.len()).div_ceil(8) * 8;
            let pad = total - 2 - opts.len();
            match pad {
                0 => {}
                1 => opts.push(0),
                n => {
                    opts.push(1);
                    opts.push((n - 2) as u8);
                    opts.extend(std::iter::repeat_n(0, n - 2));
                }
            }
            let mut h = vec![nh, (total / 8 - 1) as u8];
            h.extend_from_slice(&opts);
            h.extend_from_slice(&rest);
            (0, h)
        }
        Next::Encapsulated(inner) if depth < 3 => {
            let (nh, rest) = body(inner, src, dst, depth + 1);
            (41, ipv6(0, 0, 64, src, dst, nh, &rest))
        }
        Next::Other(nh, data) => {
            let nh = match nh {
                0 | 17 | 41 | 43 | 44 | 58 | 60 | 135 | 139 | 140 => 59,
                n => *n,
            };
            (nh, data[..data.len().min(1200)].to_vec())
        }
        _ => (59, Vec::new()),
    }
}

fn ipv6(tc: u8, flow: u32, hlim: u8, src: Ipv6Addr, dst: Ipv6Addr, nh: u8, body: &[u8]) -> Vec<u8> {
    let mut d = Vec::with_capacity(40 + body.len());
    let first = (6u32 << 28) | (u32::from(tc) << 20) | (flow & 0xf_ffff);
    d.extend_from_slice(&first.to_be_bytes());
    d.extend_from_slice(&(body.len() as u16).to_be_bytes());
    d.push(nh);
    d.push(hlim);
    d.extend_from_slice(&src.octets());
    d.extend_from_slice(&dst.octets());
    d.extend_from_slice(body);
    d
}

fn checksum(src: Ipv6Addr, dst: Ipv6Addr, nh: u8, data: &[u8]) -> u16 {
    let mut sum = 0u32;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
        }
    };
    add(&src.octets());
    add(&dst.octets());
    add(&(data.len() as u32).to_be_bytes());
    add(&[0, 0, 0, nh]);
    add(data);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    match !(sum as u16) {
        0 => 0xffff,
        s => s,
    }
}

fuzz_target!(|input: Input| {
    let link_src = match input.link_src {
        Some(s) => LinkAddr::Short(s & 0x7fff),
        None => LinkAddr::Extended(input.link_src_ext),
    };
    let link_dst = match input.link_dst {
        Some(s) => LinkAddr::Short(s),
        None => LinkAddr::Extended([0x02, 0x12, 0x4b, 0, 0, 0, 0, 1]),
    };
    let src = addr(&input.src, link_src);
    let dst = addr(&input.dst, link_dst);
    let (nh, rest) = body(&input.next, src, dst, 0);
    let datagram = ipv6(
        input.traffic_class,
        input.flow_label,
        input.hop_limit,
        src,
        dst,
        nh,
        &rest,
    );

    let mut contexts = ContextTable::new();
    for (id, prefix, len) in input.contexts.iter().take(16) {
        contexts.set(
            id % 16,
            Context {
                prefix: Ipv6Addr::from(*prefix),
                len: len % 129,
            },
        );
    }
    let mut config = Config::new(Options {
        elide_udp_checksum: input.elide_udp_checksum,
        ghc: input.ghc,
    });
    config.frame_size = usize::from(input.frame_size).max(40);
    config.fcs = if input.fcs {
        FcsMode::Crc16
    } else {
        FcsMode::None
    };
    config.mesh_hops = input.mesh_hops;
    config.bc0 = input.bc0;
    let mut framer = Framer::new(config, contexts.clone());
    let framed = match framer.frame(&datagram, &Target::new(link_src, link_dst, 0xabcd)) {
        Ok(f) => f,
        Err(e) => {
            let text = e.to_string();
            assert!(
                !text.contains("internal error"),
                "compressor disowned its output: {text}"
            );
            return; // e.g. a frame size too small for the headers: refused, said why
        }
    };
    let mut decoder = Decoder::new(contexts, Limits::default());
    let mut got = None;
    for (i, f) in framed.frames.iter().enumerate() {
        let fcs = if input.fcs {
            FcsMode::Crc16
        } else {
            FcsMode::None
        };
        let report = decoder.decode_frame(f, fcs, i as u64 + 1, 0);
        assert!(
            report.error.is_none(),
            "frame {} of our own does not decode: {:?}",
            i + 1,
            report.error
        );
        if let Some(d) = report.datagram {
            got = Some(d.bytes.clone());
        }
    }
    let got = got.expect("the last frame completes the datagram");
    assert_eq!(got, datagram, "compress → decode changed the datagram");
});
