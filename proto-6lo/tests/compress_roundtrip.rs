//! `compress::compress` against `iphc::decompress`: every IPv6 datagram of the third-party corpus
//! (`shared/corpus/6lo/`) and of the project's captures (`pcaps/6lo/`) round-trips byte for byte,
//! our encoding is never larger than the frames' own, and a property test over random datagrams,
//! contexts and link addresses shows decompress(compress(x)) == x.
//!
//! The corpus is read in place; when it is absent (`$IETFWG_SHARED`, else
//! `CARGO_MANIFEST_DIR/../../shared`) its tests print a notice and pass, unless `CI=true`.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use ietfwg_6lo::addr::Context;
use ietfwg_6lo::compress::{compress, Compressed, Options};
use ietfwg_6lo::dispatch::DispatchHeader;
use ietfwg_6lo::encap;
use ietfwg_6lo::lowpan::{Compression, Decoder, FrameReport};
use ietfwg_6lo::mac::FcsMode;
use ietfwg_6lo::nhc::NhcRepr;
use ietfwg_6lo::reassembly::Limits;
use ietfwg_6lo::{iphc, ipv6, ContextTable, Layer, LinkAddr};
use ietfwg_test_support::capture::read_capture;
use ietfwg_test_support::shared;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Captures
// ---------------------------------------------------------------------------------------------

fn ours_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo")
}

/// The 802.15.4 frames of a capture — found by `ietfwg-capture` as the binary finds them (link
/// types 195/230, ZEP unwrapped, ...) — each with its FCS mode; packets that carry none are left
/// out.
fn frames_of(path: &Path) -> Vec<(Vec<u8>, FcsMode)> {
    read_capture(path, &path.display().to_string())
        .iter()
        .filter_map(|raw| {
            let w = raw.wpan()?;
            Some((
                w.frame.to_vec(),
                encap::capture_fcs(w.frame, w.fcs.octets()),
            ))
        })
        .collect()
}

fn contexts_for(file: &str) -> ContextTable {
    let mut ctx = ContextTable::new();
    if file == "iphc-forms.pcap" {
        ctx.set(
            0,
            Context {
                prefix: "2001:db8:1::".parse().unwrap(),
                len: 64,
            },
        );
    }
    ctx
}

/// The addresses the frame's IIDs came from: the reassembly key (mesh-aware) for a fragment,
/// else the mesh originator / final destination, else the MAC addresses.
fn link_addrs(r: &FrameReport<'_>) -> (LinkAddr, LinkAddr) {
    let l = r.lowpan.as_ref().expect("a datagram has a 6LoWPAN layer");
    if let Some(f) = &l.fragment {
        return (f.key.src, f.key.dst);
    }
    for h in &l.dispatch {
        if let DispatchHeader::Mesh(m) = h {
            return (m.originator, m.final_destination);
        }
    }
    let m = r.mac.as_ref().expect("MAC frame");
    (m.src, m.dst)
}

/// decompress(compressed ++ rest) as the receiver does it.
fn receive(
    c: &Compressed,
    datagram: &[u8],
    ctx: &ContextTable,
    src: LinkAddr,
    dst: LinkAddr,
) -> Vec<u8> {
    let rest = &datagram[c.consumed..];
    let mut frame = c.bytes.clone();
    frame.extend_from_slice(rest);
    let d = iphc::decompress(&frame, 0, ctx, src, dst, None)
        .unwrap_or_else(|e| panic!("{e} decompressing {:02x?}", c.bytes));
    assert_eq!(d.consumed, c.bytes.len());
    let mut out = d.headers;
    out.extend_from_slice(rest);
    ipv6::fill_checksums(&mut out, &d.checksum_fixes);
    out
}

fn has_elided_checksum(chain: &[NhcRepr]) -> bool {
    chain.iter().any(|n| match n {
        NhcRepr::Udp { c, .. } | NhcRepr::GhcUdp { c, .. } => *c,
        NhcRepr::Ipv6 { nhc, .. } => has_elided_checksum(nhc),
        _ => false,
    })
}

#[derive(Default, Debug)]
struct FileStats {
    datagrams: usize,
    refused: usize,
    iphc_frames: usize,
    theirs: usize,
    ours: usize,
    theirs_hdr: usize,
    ours_hdr: usize,
}

/// Decodes one capture and round-trips each complete datagram with every option set.
fn round_trip_file(path: &Path) -> Option<FileStats> {
    let file = path.file_name()?.to_str()?.to_string();
    let frames = frames_of(path);
    let ctx = contexts_for(&file);
    let mut dec = Decoder::new(ctx.clone(), Limits::default());
    let mut st = FileStats::default();
    for (i, (f, fcs)) in frames.iter().enumerate() {
        let r = dec.decode_frame(f, *fcs, i as u64 + 1, i as u64 * 1_000_000);
        let Some(dg) = &r.datagram else { continue };
        let datagram = &dg.bytes;
        let (src, dst) = link_addrs(&r);
        st.datagrams += 1;
        for (elide, ghc) in [(false, false), (true, false), (false, true), (true, true)] {
            let opts = Options {
                elide_udp_checksum: elide,
                ghc,
            };
            let c = match compress(datagram, src, dst, &ctx, &opts) {
                Ok(c) => c,
                Err(e) => {
                    // Only an uncompressed (0x41) datagram can have a Payload Length of its own.
                    assert_eq!(e.layer(), Layer::Ipv6, "{file} frame {}: {e}", i + 1);
                    assert!(
                        matches!(
                            r.lowpan.as_ref().and_then(|l| l.compression.as_ref()),
                            Some(Compression::Ipv6)
                        ),
                        "{file} frame {}: {e}",
                        i + 1
                    );
                    if !elide && !ghc {
                        st.refused += 1;
                    }
                    continue;
                }
            };
            assert_eq!(
                receive(&c, datagram, &ctx, src, dst),
                *datagram,
                "{file} frame {} {opts:?}: {:02x?}",
                i + 1,
                c.bytes
            );
        }
        // Size: unfragmented IPHC frames, with the checksum elided exactly when the frame did.
        let unfragmented = r.lowpan.as_ref().is_some_and(|l| l.fragment.is_none());
        if let Some(Compression::Iphc {
            compressed_len,
            uncompressed_len,
            nhc,
            ..
        }) = r.lowpan.as_ref().and_then(|l| l.compression.as_ref())
        {
            if !unfragmented {
                continue;
            }
            let opts = Options {
                elide_udp_checksum: has_elided_checksum(nhc),
                ghc: false,
            };
            let c = compress(datagram, src, dst, &ctx, &opts).unwrap();
            let theirs = compressed_len + (datagram.len() - uncompressed_len);
            let ours = c.bytes.len() + (datagram.len() - c.consumed);
            assert!(
                ours <= theirs,
                "{file} frame {}: ours {ours} ({:02x?}) > theirs {theirs}",
                i + 1,
                c.bytes
            );
            st.iphc_frames += 1;
            st.theirs += theirs;
            st.ours += ours;
            st.theirs_hdr += compressed_len;
            st.ours_hdr += c.bytes.len();
        }
    }
    Some(st)
}

fn round_trip_dir(dir: &Path) -> usize {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    files.sort();
    let mut total = 0;
    for p in files {
        let Some(st) = round_trip_file(&p) else {
            continue;
        };
        total += st.datagrams;
        if st.datagrams == 0 {
            continue;
        }
        println!(
            "{:<60} datagrams {:>4} (refused {:>2})  IPHC frames {:>4}: frame octets theirs {:>6} ours {:>6}; compressed headers theirs {:>5} ours {:>5}",
            p.file_name().unwrap().to_string_lossy(),
            st.datagrams,
            st.refused,
            st.iphc_frames,
            st.theirs,
            st.ours,
            st.theirs_hdr,
            st.ours_hdr
        );
        assert!(st.ours <= st.theirs, "{}", p.display());
    }
    total
}

#[test]
fn corpus_round_trip_and_size() {
    let Some(dir) = shared::corpus("6lo") else {
        return;
    };
    let n = round_trip_dir(&dir);
    assert!(n > 100, "only {n} datagrams in the corpus");
}

#[test]
fn own_captures_round_trip_and_size() {
    let n = round_trip_dir(&ours_dir());
    assert!(n >= 10, "only {n} datagrams in pcaps/6lo");
}

// ---------------------------------------------------------------------------------------------
// Vectors
// ---------------------------------------------------------------------------------------------

fn a(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn datagram(tc: u8, fl: u32, next: u8, hlim: u8, src: &str, dst: &str, payload: &[u8]) -> Vec<u8> {
    let first = (6u32 << 28) | (u32::from(tc) << 20) | fl;
    let mut v = first.to_be_bytes().to_vec();
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.push(next);
    v.push(hlim);
    v.extend_from_slice(&a(src).octets());
    v.extend_from_slice(&a(dst).octets());
    v.extend_from_slice(payload);
    v
}

fn udp(sp: u16, dp: u16, data: &[u8], src: &Ipv6Addr, dst: &Ipv6Addr) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sp.to_be_bytes());
    u.extend_from_slice(&dp.to_be_bytes());
    u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    let mut c = ipv6::upper_layer_checksum(src, dst, 17, &u);
    if c == 0 {
        c = 0xffff;
    }
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

/// RFC 8066: 0x7F is a LOWPAN_IPHC dispatch (TF=11 NH=1 HLIM=11), not ESC — and our compressed
/// frame with that first octet decodes through the whole 6LoWPAN chain.
#[test]
fn first_octet_0x7f_is_iphc() {
    let s = "fe80::ff:fe00:1";
    let d = "fe80::ff:fe00:2";
    let u = udp(0xf0b1, 0xf0b2, b"ping", &a(s), &a(d));
    let dg = datagram(0, 0, 17, 255, s, d, &u);
    let (ls, ld) = (LinkAddr::Short(1), LinkAddr::Short(2));
    let c = compress(&dg, ls, ld, &ContextTable::new(), &Options::default()).unwrap();
    assert_eq!(
        c.bytes,
        [
            0x7f, // 011 TF=11 NH=1 HLIM=11
            0x33, // SAM=11 DAM=11
            0xf3, // UDP, checksum in line, 4-bit ports
            0x12, // ports 0xF0B1 / 0xF0B2
            u[6], u[7], // checksum
        ]
    );
    let mut payload = c.bytes.clone();
    payload.extend_from_slice(&dg[c.consumed..]);
    let mut dec = Decoder::new(ContextTable::new(), Limits::default());
    let r = dec.decode_payload(&payload, ls, ld, 1, 0);
    assert!(r.error.is_none(), "{:?}", r.error);
    let l = r.lowpan.as_ref().unwrap();
    assert!(matches!(l.compression, Some(Compression::Iphc { .. })));
    assert_eq!(r.datagram.as_ref().unwrap().bytes, dg);
}

/// Each TF form carries traffic class (ECN and DSCP) and flow label exactly.
#[test]
fn every_tf_form_preserves_traffic_class_and_flow_label() {
    let s = "fe80::ff:fe00:1";
    let d = "fe80::ff:fe00:2";
    let (ls, ld) = (LinkAddr::Short(1), LinkAddr::Short(2));
    let mut seen = [0usize; 4];
    for tc in [0u8, 0x01, 0x02, 0x03, 0x04, 0xb8, 0xb9, 0xfc, 0xff] {
        for fl in [0u32, 1, 0x0_1234, 0x8_0000, 0xf_ffff] {
            let dg = datagram(tc, fl, 59, 64, s, d, &[]);
            let c = compress(&dg, ls, ld, &ContextTable::new(), &Options::default()).unwrap();
            seen[usize::from(c.iphc.tf)] += 1;
            let expect_tf = match (tc, fl) {
                (0, 0) => 3,
                (_, 0) => 2,
                (t, _) if t >> 2 == 0 => 1,
                _ => 0,
            };
            assert_eq!(c.iphc.tf, expect_tf, "tc {tc:#04x} fl {fl:#07x}");
            let back = receive(&c, &dg, &ContextTable::new(), ls, ld);
            assert_eq!(back, dg, "tc {tc:#04x} fl {fl:#07x}");
            assert_eq!(c.iphc.traffic_class(), tc);
            assert_eq!(c.iphc.flow_label, fl);
            assert_eq!(c.iphc.ecn, tc & 3);
            assert_eq!(c.iphc.dscp, tc >> 2);
        }
    }
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

fn link_strategy() -> impl Strategy<Value = LinkAddr> {
    prop_oneof![
        Just(LinkAddr::Absent),
        any::<u16>().prop_map(LinkAddr::Short),
        any::<[u8; 8]>().prop_map(LinkAddr::Extended),
    ]
}

type Ctxs = Vec<(u8, [u8; 16], u8)>;

fn table(c: &Ctxs) -> ContextTable {
    let mut t = ContextTable::new();
    for (id, p, len) in c {
        t.set(
            *id,
            Context {
                prefix: Ipv6Addr::from(*p),
                len: *len,
            },
        );
    }
    t
}

/// The first `len` bits of `prefix`, the rest from `rest`.
fn with_prefix(prefix: &[u8; 16], len: u8, rest: [u8; 16]) -> [u8; 16] {
    let mut a = rest;
    let len = usize::from(len.min(128));
    a[..len / 8].copy_from_slice(&prefix[..len / 8]);
    if len % 8 != 0 {
        let m = 0xffu8 << (8 - len % 8);
        a[len / 8] = (a[len / 8] & !m) | (prefix[len / 8] & m);
    }
    a
}

/// An address of kind `k` (unicast kinds 0–7, multicast 8–12).
fn address(k: u8, link: LinkAddr, ctx: &Ctxs, pick: usize, r: [u8; 16]) -> Ipv6Addr {
    let iid = link
        .iid()
        .unwrap_or([r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]]);
    let mut o = [0u8; 16];
    match k {
        0 => {
            o[..2].copy_from_slice(&[0xfe, 0x80]);
            o[8..].copy_from_slice(&iid);
        }
        1 => {
            o[..2].copy_from_slice(&[0xfe, 0x80]);
            o[8..].copy_from_slice(&[0, 0, 0, 0xff, 0xfe, 0, r[0], r[1]]);
        }
        2 => {
            o[..2].copy_from_slice(&[0xfe, 0x80]);
            o[8..].copy_from_slice(&r[8..]);
        }
        3 => o = r,
        4..=6 if !ctx.is_empty() => {
            let (_, p, len) = &ctx[pick % ctx.len()];
            let mut rest = r;
            if k == 4 {
                rest[8..].copy_from_slice(&iid);
            } else if k == 5 {
                rest[8..].copy_from_slice(&[0, 0, 0, 0xff, 0xfe, 0, r[0], r[1]]);
            }
            // Bits 0..64 past the prefix are zero in a context-compressible address.
            for b in rest.iter_mut().take(8) {
                *b = 0;
            }
            o = with_prefix(p, *len, rest);
        }
        7 => o = [0; 16],
        8 => {
            o[0] = 0xff;
            o[1] = 0x02;
            o[15] = r[0];
        }
        9 => {
            o[0] = 0xff;
            o[1] = r[1];
            o[13..].copy_from_slice(&r[13..]);
        }
        10 => {
            o[0] = 0xff;
            o[1] = r[1];
            o[11..].copy_from_slice(&r[11..]);
        }
        11 if !ctx.is_empty() => {
            let (_, p, len) = &ctx[pick % ctx.len()];
            let plen = (*len).min(64);
            let pp = with_prefix(p, plen, [0u8; 16]);
            o[0] = 0xff;
            o[1] = r[1];
            o[2] = r[2];
            o[3] = plen;
            o[4..12].copy_from_slice(&pp[..8]);
            o[12..].copy_from_slice(&r[12..]);
        }
        _ => {
            o = r;
            o[0] = 0xff;
        }
    }
    Ipv6Addr::from(o)
}

/// An extension header of kind `k` followed by `next`.
fn ext_header(k: u8, next: u8, r: &[u8; 16]) -> (u8, Vec<u8>) {
    match k {
        // Hop-by-Hop: option of 4 data octets + canonical PadN(0) (elidable)
        0 => (0, vec![next, 0, 0x63, 0x02, r[0], r[1], 0x01, 0x00]),
        // Destination Options: option with 5 data octets + Pad1 (elidable)
        1 => (60, vec![next, 0, 0x1e, 0x03, r[0], r[1], r[2], 0x00]),
        // Destination Options: PadN with non-zero content (not elidable)
        2 => (60, vec![next, 0, 0x01, 0x04, r[0] | 1, 0, 0, 0]),
        // Routing: type 3, 16 octets
        3 => {
            let mut v = vec![next, 1, 3, r[0] & 3];
            v.extend_from_slice(&r[..12]);
            (43, v)
        }
        // Fragment: offset 0, M=0 (Reserved zero)
        4 => (44, vec![next, 0, 0, 0, r[0], r[1], r[2], r[3]]),
        // Fragment with a non-zero Reserved octet (carried in line)
        5 => (44, vec![next, r[4] | 1, 0, 0, r[0], r[1], r[2], r[3]]),
        // Hop-by-Hop: 14 octets of option + nothing to pad (16 octets)
        _ => {
            let mut v = vec![next, 1, 0x05, 0x0c];
            v.extend_from_slice(&r[..12]);
            (0, v)
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    tc: u8,
    fl: u32,
    hlim: u8,
    kinds: (u8, u8, usize),
    links: (LinkAddr, LinkAddr),
    ctx: Ctxs,
    upper: u8,
    ports: (u16, u16),
    payload: Vec<u8>,
    exts: Vec<u8>,
    ipip: Option<(u8, u8)>,
    rnd: ([u8; 16], [u8; 16]),
    opts: (bool, bool),
    bad_checksum: bool,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    let header = (
        any::<u8>(),
        prop_oneof![Just(0u32), 0u32..(1 << 20)],
        prop_oneof![Just(1u8), Just(64), Just(255), any::<u8>()],
        (0u8..8, 0u8..13, any::<usize>()),
        (link_strategy(), link_strategy()),
        prop::collection::vec((0u8..16, any::<[u8; 16]>(), 0u8..=128), 0..4),
    );
    let body = (
        0u8..4,
        (
            prop_oneof![Just(0xf0b5u16), Just(0xf012), any::<u16>()],
            prop_oneof![Just(0xf0bau16), Just(0xf0fe), any::<u16>()],
        ),
        prop::collection::vec(any::<u8>(), 0..48),
        prop::collection::vec(0u8..7, 0..3),
        prop::option::weighted(0.2, (0u8..8, 0u8..13)),
        (any::<[u8; 16]>(), any::<[u8; 16]>()),
        (any::<bool>(), any::<bool>()),
        prop::bool::weighted(0.1),
    );
    (header, body).prop_map(
        |(
            (tc, fl, hlim, kinds, links, ctx),
            (upper, ports, payload, exts, ipip, rnd, opts, bad_checksum),
        )| Case {
            tc,
            fl,
            hlim,
            kinds,
            links,
            ctx,
            upper,
            ports,
            payload,
            exts,
            ipip,
            rnd,
            opts,
            bad_checksum,
        },
    )
}

/// The datagram a case describes: IPv6 / ext headers / [IPv6 /] UDP, ICMPv6 or No Next Header.
fn build(c: &Case) -> Vec<u8> {
    let (ls, ld) = c.links;
    let src = address(c.kinds.0, ls, &c.ctx, c.kinds.2, c.rnd.0);
    let dst = address(c.kinds.1, ld, &c.ctx, c.kinds.2 / 7, c.rnd.1);
    // Inner header (IPv6-in-IPv6): its own addresses; IIDs may come from the outer header.
    let inner = c.ipip.map(|(ks, kd)| {
        let s = address(ks, LinkAddr::Extended(low(&src)), &c.ctx, 3, c.rnd.1);
        let d = address(kd, LinkAddr::Extended(low(&dst)), &c.ctx, 5, c.rnd.0);
        (s, d)
    });
    let (us, ud) = inner.unwrap_or((src, dst));
    let (proto, upper) = match c.upper {
        0 | 1 => {
            let mut u = udp(c.ports.0, c.ports.1, &c.payload, &us, &ud);
            if c.bad_checksum {
                u[7] ^= 0x5a;
            }
            (17, u)
        }
        2 => {
            let mut m = vec![128, 0, 0x12, 0x34];
            m.extend_from_slice(&c.payload);
            (58, m)
        }
        _ => (59, c.payload.clone()),
    };
    // Inside out: upper, [inner IPv6 header], ext headers, outer header.
    let mut body = upper;
    let mut next = proto;
    if let Some((s, d)) = inner {
        let mut h = header_bytes(c.tc ^ 0x55, c.fl ^ 0x1111, body.len(), next, 17, &s, &d);
        h.extend_from_slice(&body);
        body = h;
        next = 41;
    }
    for &k in c.exts.iter().rev() {
        let (p, mut h) = ext_header(k, next, &c.rnd.0);
        h.extend_from_slice(&body);
        body = h;
        next = p;
    }
    let mut out = header_bytes(c.tc, c.fl, body.len(), next, c.hlim, &src, &dst);
    out.extend_from_slice(&body);
    out
}

fn low(a: &Ipv6Addr) -> [u8; 8] {
    // As an "extended address" whose IID (U/L bit flipped) is the address's low 64 bits.
    let mut e = [0u8; 8];
    e.copy_from_slice(&a.octets()[8..]);
    e[0] ^= 0x02;
    e
}

fn header_bytes(
    tc: u8,
    fl: u32,
    plen: usize,
    next: u8,
    hlim: u8,
    s: &Ipv6Addr,
    d: &Ipv6Addr,
) -> Vec<u8> {
    let first = (6u32 << 28) | (u32::from(tc) << 20) | (fl & 0xfffff);
    let mut v = first.to_be_bytes().to_vec();
    v.extend_from_slice(&(plen as u16).to_be_bytes());
    v.push(next);
    v.push(hlim);
    v.extend_from_slice(&s.octets());
    v.extend_from_slice(&d.octets());
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn compress_then_decompress_is_identity(c in case_strategy()) {
        let dg = build(&c);
        let ctx = table(&c.ctx);
        let (ls, ld) = c.links;
        let opts = Options { elide_udp_checksum: c.opts.0, ghc: c.opts.1 };
        let out = compress(&dg, ls, ld, &ctx, &opts)
            .unwrap_or_else(|e| panic!("{e} for {dg:02x?}"));
        prop_assert_eq!(receive(&out, &dg, &ctx, ls, ld), dg.clone());
        // A few minimality checks that hold whatever else is configured.
        let ll_derived = c.kinds.0 == 0 && ls != LinkAddr::Absent;
        if ll_derived {
            prop_assert_eq!((out.iphc.sac, out.iphc.sam), (false, 3));
        }
        if c.kinds.1 == 8 {
            prop_assert_eq!((out.iphc.m, out.iphc.dac, out.iphc.dam), (true, false, 3));
        }
        let carried = out.bytes.len() + (dg.len() - out.consumed);
        prop_assert!(carried <= dg.len() + 3, "{} > {}", carried, dg.len());
    }

    #[test]
    fn random_bytes_never_panic(mut v in prop::collection::vec(any::<u8>(), 0..160), fix in any::<bool>()) {
        if fix && v.len() >= 40 {
            v[0] = 0x60 | (v[0] & 0x0f);
            let pl = (v.len() - 40) as u16;
            v[4..6].copy_from_slice(&pl.to_be_bytes());
        }
        let r = compress(&v, LinkAddr::Short(1), LinkAddr::Absent, &ContextTable::new(),
            &Options { elide_udp_checksum: true, ghc: true });
        match r {
            Ok(c) => {
                prop_assert!(v.len() >= 40 && v[0] >> 4 == 6);
                prop_assert_eq!(receive(&c, &v, &ContextTable::new(), LinkAddr::Short(1), LinkAddr::Absent), v.clone());
            }
            Err(e) => {
                prop_assert_eq!(e.layer(), Layer::Ipv6);
                if v.len() >= 40 && v[0] >> 4 == 6 {
                    prop_assert_eq!(e.field(), "Payload Length");
                }
            }
        }
    }
}

/// Every prefix of a valid datagram is refused (its Payload Length no longer matches) or, at
/// full length, compressed — never a panic.
#[test]
fn truncated_datagrams_are_refused() {
    let s = a("2001:db8::1");
    let d = a("ff02::1");
    let u = udp(1234, 5678, b"truncate me", &s, &d);
    let mut dg = header_bytes(0, 0, 8 + u.len(), 0, 64, &s, &d);
    dg.extend_from_slice(&[17, 0, 0x63, 0x02, 1, 2, 0x01, 0x00]);
    dg.extend_from_slice(&u);
    for n in 0..dg.len() {
        let e = compress(
            &dg[..n],
            LinkAddr::Short(1),
            LinkAddr::Short(2),
            &ContextTable::new(),
            &Options::default(),
        )
        .unwrap_err();
        assert_eq!(e.layer(), Layer::Ipv6);
        assert_eq!(
            e.field(),
            if n < 40 {
                "IPv6 header"
            } else {
                "Payload Length"
            }
        );
    }
    assert!(compress(
        &dg,
        LinkAddr::Short(1),
        LinkAddr::Short(2),
        &ContextTable::new(),
        &Options::default()
    )
    .is_ok());
}
