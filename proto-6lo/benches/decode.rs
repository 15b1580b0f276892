//! Frame decode + LOWPAN_IPHC decompression over the 6LoWPAN corpus, ietfwg against smoltcp 0.14
//! on the same frames in the same run.
//!
//! Frames: every frame of `$IETFWG_SHARED/corpus/6lo/*.pcap` (default `../../shared` beside the
//! workspace) whose link type is 195 (`IEEE802_15_4_WITHFCS`) or 230 (`IEEE802_15_4_NOFCS`), plus
//! the project's own `pcaps/6lo/*.pcap`, read and found by `ietfwg-capture` (through
//! `ietfwg_test_support::capture`). The FCS of link type 195 is stripped once, before
//! timing, so both decoders see the same FCS-less bytes.
//!
//! Frame set: data frames whose 6LoWPAN payload starts with LOWPAN_IPHC (0x60–0x7F, no mesh /
//! fragment / BC0 header before it) and uses no context, i.e. the frames where both
//! * smoltcp: `Ieee802154Frame::new_checked` + `Ieee802154Repr::parse` +
//!   `SixlowpanIphcPacket::new_checked` + `SixlowpanIphcRepr::parse(.., &[])` (+ the NHC UDP or
//!   extension header parse when NH=1) succeed, and
//! * ietfwg: `lowpan::Decoder::decode_frame` yields a datagram.
//!
//! Before timing, both decoders must agree on source, destination, next header and hop limit for
//! every selected frame, and the headers-only output (followed by the rest of the payload, elided
//! UDP checksums filled) must equal the full decoder's datagram octet for octet (the bench panics
//! otherwise); the frames whose traffic class or flow label smoltcp cannot carry are counted;
//! differing NHC UDP ports and the frames only one decoder takes are printed, for information.
//!
//! Both sides get the same `black_box`ed input and `black_box` each frame's result before the
//! next frame. Ours decodes into a result kept across frames (as a caller decoding a capture
//! does), so that neither side pays for moving large values around the harness.
//!
//! Groups (all `Throughput::Elements(frames)`, so criterion prints frames per second):
//! * `decode/ietfwg` — `Decoder::decode_frame_into` with one report reused across frames,
//!   `FcsMode::None`: MAC header, dispatch, IPHC/NHC, the whole uncompressed datagram rebuilt,
//!   elided checksums computed, IPv6/upper-layer summary (ICMPv6 checksum, ND message).
//! * `decode/ietfwg_headers_only` — `mac::parse` + `dispatch::parse_chain` +
//!   `iphc::decompress_to`: the closest like-for-like to smoltcp (ours still emits the
//!   uncompressed headers, byte-exact, which smoltcp does not).
//! * `decode/smoltcp` — smoltcp's parse chain above (UDP checksums verified, its default).
//! * `decode/smoltcp_no_udp_checksum` — the same with `ChecksumCapabilities::ignored()`.
//! * `decode/ietfwg_with_fcs` — `decode_frame_into` on the original frames, FCS checked (CRC-16)
//!   for link type 195: for information.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ietfwg_6lo::encap;
use ietfwg_6lo::lowpan::{Compression, Decoder, FrameReport};
use ietfwg_6lo::mac::{self, FcsMode};
use ietfwg_6lo::nhc::NhcRepr;
use ietfwg_6lo::reassembly::Limits;
use ietfwg_6lo::{dispatch, iphc, ipv6, ContextTable};
use ietfwg_test_support::capture::{read_capture, Encap};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    Ieee802154Frame, Ieee802154Repr, IpProtocol, SixlowpanExtHeaderPacket, SixlowpanExtHeaderRepr,
    SixlowpanIphcPacket, SixlowpanIphcRepr, SixlowpanNextHeader, SixlowpanNhcPacket,
    SixlowpanUdpNhcPacket, SixlowpanUdpNhcRepr,
};

/// One frame of the benchmark set.
struct Selected {
    /// FCS-less bytes, what both decoders see.
    bytes: Vec<u8>,
    /// As captured (with the FCS for link type 195).
    original: Vec<u8>,
    /// The FCS mode of `original`.
    fcs: FcsMode,
}

/// What both decoders must agree on.
#[derive(Debug, PartialEq, Eq)]
struct Common {
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    hop_limit: u8,
}

/// smoltcp's view of one frame: the common fields plus its TC / flow label fields as it keeps
/// them (ECN unshifted, flow label truncated to 16 bits).
struct Smol {
    common: Common,
    ecn: Option<u8>,
    dscp: Option<u8>,
    flow_label: Option<u16>,
    /// UDP (source, destination) ports from the NHC UDP header.
    udp_ports: Option<(u16, u16)>,
}

/// Our view of one frame: the common fields plus what smoltcp may lose.
struct Ours {
    common: Common,
    traffic_class: u8,
    flow_label: u32,
    udp_ports: Option<(u16, u16)>,
    /// The rebuilt datagram.
    datagram: Vec<u8>,
}

fn pcaps_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("pcap"))
        .collect();
    v.sort();
    v
}

/// smoltcp's decode of one FCS-less frame, the work timed in `decode/smoltcp`.
#[inline]
fn smoltcp_decode(frame: &[u8], caps: &ChecksumCapabilities) -> Option<Smol> {
    let f = Ieee802154Frame::new_checked(frame).ok()?;
    let mac = Ieee802154Repr::parse(&f).ok()?;
    let payload = f.payload()?;
    let packet = SixlowpanIphcPacket::new_checked(payload).ok()?;
    let repr = SixlowpanIphcRepr::parse(&packet, mac.src_addr, mac.dst_addr, &[]).ok()?;
    let mut udp_ports = None;
    let next_header = match repr.next_header {
        SixlowpanNextHeader::Uncompressed(p) => u8::from(p),
        SixlowpanNextHeader::Compressed => {
            let rest = packet.payload();
            match SixlowpanNhcPacket::dispatch(rest).ok()? {
                SixlowpanNhcPacket::UdpHeader => {
                    let udp = SixlowpanUdpNhcPacket::new_checked(rest).ok()?;
                    let u = SixlowpanUdpNhcRepr::parse(&udp, &repr.src_addr, &repr.dst_addr, caps)
                        .ok()?;
                    udp_ports = Some((u.src_port, u.dst_port));
                    u8::from(IpProtocol::Udp)
                }
                SixlowpanNhcPacket::ExtHeader => {
                    let ext = SixlowpanExtHeaderPacket::new_checked(rest).ok()?;
                    let e = SixlowpanExtHeaderRepr::parse(&ext).ok()?;
                    u8::from(IpProtocol::from(e.ext_header_id))
                }
            }
        }
    };
    Some(Smol {
        common: Common {
            src: repr.src_addr,
            dst: repr.dst_addr,
            next_header,
            hop_limit: repr.hop_limit,
        },
        ecn: repr.ecn,
        dscp: repr.dscp,
        flow_label: repr.flow_label,
        udp_ports,
    })
}

/// Ours, headers only: MAC header, dispatch chain, IPHC (+NHC) decompression into `out`
/// (whose vectors are reused from frame to frame, as a caller decoding a capture would).
/// True when the frame decompressed.
#[inline]
fn ietfwg_headers(frame: &[u8], ctx: &ContextTable, out: &mut iphc::Decompressed) -> bool {
    // Borrowed, not moved out of the `Result`: a move would copy the whole `Frame`.
    let parsed = mac::parse(frame, FcsMode::None);
    let Ok(f) = &parsed else {
        return false;
    };
    let Ok(chain) = dispatch::parse_chain(f.payload, f.payload_offset) else {
        return false;
    };
    let Some(rest) = f.payload.get(chain.payload_offset..) else {
        return false;
    };
    iphc::decompress_to(
        out,
        rest,
        f.payload_offset + chain.payload_offset,
        ctx,
        f.src,
        f.dst,
        None,
    )
    .is_ok()
}

/// Ours, the whole frame: its view when it yields a datagram from an unfragmented,
/// header-less IPHC payload.
fn ietfwg_full(decoder: &mut Decoder, frame: &[u8]) -> Option<Ours> {
    let report = decoder.decode_frame(frame, FcsMode::None, 1, 0);
    let dg = report.datagram.as_ref()?;
    let lowpan = report.lowpan.as_ref()?;
    if !lowpan.dispatch.is_empty() {
        return None;
    }
    let Some(Compression::Iphc { iphc, nhc, .. }) = &lowpan.compression else {
        return None;
    };
    let next_header = iphc
        .next_header
        .or_else(|| nhc.first().map(|n| n.protocol()))?;
    if let Some(s) = &dg.ipv6 {
        assert_eq!(s.next_header, next_header, "datagram vs IPHC next header");
    }
    Some(Ours {
        common: Common {
            src: iphc.src,
            dst: iphc.dst,
            next_header,
            hop_limit: iphc.hop_limit,
        },
        traffic_class: iphc.traffic_class(),
        flow_label: iphc.flow_label,
        udp_ports: match nhc.first() {
            Some(NhcRepr::Udp {
                src_port, dst_port, ..
            }) => Some((*src_port, *dst_port)),
            _ => None,
        },
        datagram: dg.bytes.clone(),
    })
}

fn new_decoder() -> Decoder {
    Decoder::new(ContextTable::new(), Limits::default())
}

/// Loads, strips, selects and cross-checks the frame set.
fn load() -> Vec<Selected> {
    let mut files: Vec<PathBuf> = Vec::new();
    match ietfwg_test_support::shared::corpus("6lo") {
        Some(corpus) => files.extend(pcaps_in(&corpus)),
        None => eprintln!("bench: notice: benchmarking pcaps/6lo only"),
    }
    files.extend(pcaps_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo"),
    ));

    let mut raw = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        raw.extend(read_capture(f, &name));
    }
    let total = raw.len();
    let caps = ChecksumCapabilities::default();
    let ctx = ContextTable::new();
    let mut decoder = new_decoder();
    let mut headers = iphc::Decompressed::default();
    let (mut other_linktype, mut not_iphc, mut smol_failed, mut ours_failed, mut both_failed) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    let (mut tc_or_fl, mut fl_over_16, mut smol_tc_mismatch) = (0usize, 0usize, 0usize);
    let mut port_mismatch = 0usize;
    let mut per_file: Vec<(String, usize)> = Vec::new();
    let mut selected = Vec::new();
    for r in raw {
        // 802.15.4 directly on the link (link types 195 and 230), as `ietfwg-capture` finds it.
        let direct = r.wpan().filter(|w| w.encap == Encap::Direct).map(|w| {
            (
                w.frame.to_vec(),
                encap::capture_fcs(w.frame, w.fcs.octets()),
            )
        });
        let (bytes, original, fcs) = match direct {
            Some((f, FcsMode::Crc16)) if f.len() >= 2 => {
                (f[..f.len() - 2].to_vec(), f, FcsMode::Crc16)
            }
            Some((f, FcsMode::None)) => (f.clone(), f, FcsMode::None),
            _ => {
                other_linktype += 1;
                continue;
            }
        };
        // Is the 6LoWPAN payload an IPHC header (no dispatch header before it)?
        let starts_iphc = mac::parse(&bytes, FcsMode::None).is_ok_and(|f| {
            f.frame_type == mac::FrameType::DATA
                && !f.payload_encrypted
                && f.payload.first().is_some_and(|&b| iphc::is_iphc(b))
        });
        if !starts_iphc {
            not_iphc += 1;
            continue;
        }
        let smol = smoltcp_decode(&bytes, &caps);
        let ours = ietfwg_full(&mut decoder, &bytes);
        let (smol, ours) = match (smol, ours) {
            (Some(s), Some(o)) => (s, o),
            (None, Some(Ours { udp_ports, .. })) => {
                let lax = smoltcp_decode(&bytes, &ChecksumCapabilities::ignored());
                eprintln!(
                    "bench: smoltcp rejects {} frame {} (UDP ports {:?}); with UDP checksum \
                     verification off it {}",
                    r.file,
                    r.number,
                    udp_ports,
                    match lax {
                        Some(l) => format!("accepts it with UDP ports {:?}", l.udp_ports),
                        None => "still rejects it".to_string(),
                    }
                );
                smol_failed += 1;
                continue;
            }
            (Some(_), None) => {
                ours_failed += 1;
                continue;
            }
            (None, None) => {
                both_failed += 1;
                continue;
            }
        };
        let (tc, fl, ports) = (ours.traffic_class, ours.flow_label, ours.udp_ports);
        let full_datagram = ours.datagram;
        let ours = ours.common;
        assert_eq!(
            smol.common,
            ours,
            "{}: smoltcp and ietfwg disagree on {}",
            r.file,
            hex::encode(&bytes)
        );
        assert!(
            ietfwg_headers(&bytes, &ctx, &mut headers),
            "headers-only path fails a frame the full decoder took"
        );
        assert_eq!(
            (headers.iphc.src, headers.iphc.dst, headers.iphc.hop_limit),
            (ours.src, ours.dst, ours.hop_limit)
        );
        // The headers-only output, followed by the rest of the payload and with its elided UDP
        // checksums filled, is byte for byte the full decoder's datagram (which the tshark tests
        // check against an independent decoder).
        let mut rebuilt = headers.headers.clone();
        let payload = mac::parse(&bytes, FcsMode::None).unwrap().payload;
        rebuilt.extend_from_slice(&payload[headers.consumed..]);
        ipv6::fill_checksums(&mut rebuilt, &headers.checksum_fixes);
        assert_eq!(
            hex::encode(&rebuilt),
            hex::encode(&full_datagram),
            "{} frame {}: headers-only output differs from the full datagram",
            r.file,
            r.number
        );
        if tc != 0 || fl != 0 {
            tc_or_fl += 1;
        }
        if fl > 0xffff {
            fl_over_16 += 1;
        }
        // smoltcp's own IPHC fields: ECN unshifted in the 2 high bits, flow label as u16.
        let s_ecn = smol.ecn.map_or(0, |e| e >> 6);
        let s_dscp = smol.dscp.unwrap_or(0);
        let s_fl = smol.flow_label.map_or(0, u32::from);
        if (s_dscp << 2) | s_ecn != tc || s_fl != fl & 0xffff {
            smol_tc_mismatch += 1;
        }
        if smol.udp_ports != ports {
            port_mismatch += 1;
            eprintln!(
                "bench: UDP ports differ on {} frame {}: smoltcp {:?}, ietfwg {:?}",
                r.file, r.number, smol.udp_ports, ports
            );
        }
        match per_file.last_mut() {
            Some((name, n)) if *name == r.file => *n += 1,
            _ => per_file.push((r.file.clone(), 1)),
        }
        selected.push(Selected {
            bytes,
            original,
            fcs,
        });
    }
    eprintln!("bench: {} frames read from {} captures", total, files.len());
    eprintln!(
        "bench: skipped: {other_linktype} other link type, {not_iphc} not a data frame with an IPHC payload first, \
         {smol_failed} smoltcp cannot decode (ours can), {ours_failed} ours yields no datagram (smoltcp can), {both_failed} neither"
    );
    eprintln!("bench: selected {} frames:", selected.len());
    for (name, n) in &per_file {
        eprintln!("bench:   {n:6}  {name}");
    }
    eprintln!(
        "bench: src/dst/next header/hop limit agree on all {} frames",
        selected.len()
    );
    eprintln!(
        "bench: {tc_or_fl} frames have a non-zero traffic class or flow label (dropped by smoltcp's \
         Ipv6Repr, kept byte-exact by ietfwg); {fl_over_16} have a flow label over 16 bits \
         (truncated even in SixlowpanIphcRepr); {smol_tc_mismatch} where SixlowpanIphcRepr's \
         ECN/DSCP/low 16 flow label bits differ from ours"
    );
    eprintln!("bench: {port_mismatch} selected frames where the NHC UDP ports differ");
    selected
}

fn benches(c: &mut Criterion) {
    let set = load();
    assert!(!set.is_empty(), "no frame selected");
    let n = set.len() as u64;
    let ctx = ContextTable::new();
    let caps = ChecksumCapabilities::default();
    let caps_ignored = ChecksumCapabilities::ignored();

    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(n));
    g.measurement_time(std::time::Duration::from_secs(5));
    g.warm_up_time(std::time::Duration::from_secs(2));

    g.bench_function("ietfwg", |b| {
        let mut decoder = new_decoder();
        let mut report = FrameReport::default();
        b.iter(|| {
            for (i, s) in set.iter().enumerate() {
                decoder.decode_frame_into(
                    black_box(&s.bytes),
                    FcsMode::None,
                    i as u64,
                    0,
                    &mut report,
                );
                black_box(&mut report);
            }
        })
    });
    g.bench_function("ietfwg_headers_only", |b| {
        let mut out = iphc::Decompressed::default();
        b.iter(|| {
            for s in &set {
                black_box(ietfwg_headers(black_box(&s.bytes), &ctx, &mut out));
                black_box(&mut out);
            }
        })
    });
    g.bench_function("smoltcp", |b| {
        b.iter(|| {
            for s in &set {
                black_box(smoltcp_decode(black_box(&s.bytes), &caps));
            }
        })
    });
    g.bench_function("smoltcp_no_udp_checksum", |b| {
        b.iter(|| {
            for s in &set {
                black_box(smoltcp_decode(black_box(&s.bytes), &caps_ignored));
            }
        })
    });
    g.bench_function("ietfwg_with_fcs", |b| {
        let mut decoder = new_decoder();
        let mut report = FrameReport::default();
        b.iter(|| {
            for (i, s) in set.iter().enumerate() {
                decoder.decode_frame_into(black_box(&s.original), s.fcs, i as u64, 0, &mut report);
                black_box(&mut report);
            }
        })
    });
    g.finish();
}

criterion_group!(decode, benches);
criterion_main!(decode);
