//! LOWPAN_IPHC / LOWPAN_NHC compression of whole IPv6 datagrams, ietfwg against smoltcp 0.14's
//! IPHC (+ NHC UDP) emitter on the same datagrams in the same run.
//!
//! Datagrams: every frame of `$IETFWG_SHARED/corpus/6lo/*.pcap` (default `../../shared` beside
//! the workspace) and of the project's own `pcaps/6lo/*.pcap` — link type 195/230, and ZEP v2
//! over UDP 17754 (link types 1 and 101) unwrapped by `ietfwg-capture` — is decoded with
//! `lowpan::Decoder` (one per capture; context 0 = 2001:db8:1::/64 for `iphc-forms.pcap`, as
//! `pcaps/README.md` says, none elsewhere). Each complete datagram (unfragmented or reassembled)
//! is kept with the link addresses its IIDs came from (the reassembly key for a fragment, else
//! the mesh originator / final destination, else the MAC source / destination) and the MAC and
//! mesh header of the frame that completed it.
//!
//! Set: the datagrams both sides take — ours compresses it (it refuses an IPv6 Payload Length
//! that does not match the datagram, which IPHC must elide) and smoltcp's
//! `Ipv6Packet::new_checked` + `Ipv6Repr::parse` accept it.
//!
//! Before timing, for every datagram of the set: our compressed size against smoltcp's
//! `buffer_len()` (+ `SixlowpanUdpNhcRepr::header_len()`), and smoltcp's output decompressed with
//! OUR `iphc::decompress` and compared with the original datagram (addresses, then every
//! octet). Totals and the datagrams where smoltcp's encoding is larger, smaller or wrong are
//! printed.
//!
//! Groups (all `Throughput::Elements(datagrams)`):
//! * `compress/ietfwg` — `compress::compress(datagram, src, dst, &ctx, &Options::default())`:
//!   parses the IPv6 header and extension header chain, tries every address form and context,
//!   writes IPHC + NHC, then decompresses its result and compares it with the input (self-check).
//! * `compress/smoltcp_emit` — `SixlowpanIphcRepr` (and `SixlowpanUdpNhcRepr` when the next
//!   header is UDP) built before timing; timed: `buffer_len` + `emit`, and for UDP the NHC emit,
//!   which copies the UDP payload after the header and computes the UDP checksum over it (smoltcp
//!   cannot carry a given checksum: it always computes one).
//! * `compress/smoltcp_parse_emit` — the same with `Ipv6Packet::new_checked` + `Ipv6Repr::parse`
//!   (+ `UdpPacket::new_checked` for the ports) and the Repr construction inside the loop: the
//!   like-for-like with ours, which starts from the datagram's bytes.
//! * `frame/ietfwg` — `frame::Framer::frame`: compression, fragmentation (RFC 4944, 127-octet
//!   frames), MAC header, a `Vec` per frame: for information.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ietfwg_6lo::addr::Context;
use ietfwg_6lo::compress::{compress, Options};
use ietfwg_6lo::dispatch::DispatchHeader;
use ietfwg_6lo::encap;
use ietfwg_6lo::frame::{Config, Framer, Target};
use ietfwg_6lo::lowpan::{Decoder, FrameReport};
use ietfwg_6lo::mac::{FcsMode, MacHeader};
use ietfwg_6lo::nhc::NhcRepr;
use ietfwg_6lo::reassembly::Limits;
use ietfwg_6lo::{iphc, ipv6, ContextTable, LinkAddr};
use ietfwg_test_support::capture::{read_capture, Encap, Raw};
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::wire::{
    Ieee802154Address, IpProtocol, Ipv6Packet, Ipv6Repr, SixlowpanIphcPacket, SixlowpanIphcRepr,
    SixlowpanNextHeader, SixlowpanUdpNhcPacket, SixlowpanUdpNhcRepr, UdpPacket, UdpRepr,
};

const IPV6_HEADER: usize = 40;
const UDP_HEADER: usize = 8;

/// smoltcp's Reprs for one datagram, built before timing.
struct SmolPrepared {
    iphc: SixlowpanIphcRepr,
    udp: Option<SixlowpanUdpNhcRepr>,
}

/// One datagram of the benchmark set.
struct Dgram {
    file: String,
    /// Frame that completed it (1-based, in `file`).
    number: usize,
    bytes: Vec<u8>,
    /// The link addresses its IIDs come from.
    src: LinkAddr,
    dst: LinkAddr,
    /// The same, as smoltcp takes them.
    ll_src: Option<Ieee802154Address>,
    ll_dst: Option<Ieee802154Address>,
    /// Index into the context tables.
    ctx: usize,
    /// MAC (and mesh) header of the frame that completed it, for the framer.
    target: Target,
    smol: SmolPrepared,
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

/// The 802.15.4 frame in a captured packet (found by `ietfwg-capture`, as the binary finds it)
/// and its FCS mode; the FCS of link type 195 is stripped (as in the decode bench: the big
/// trace's FCSs are mostly bad). ZEP-carried frames are taken from ZEP v2 only, the set this
/// benchmark has always measured.
fn wpan_frame(r: &Raw) -> Option<(&[u8], FcsMode)> {
    let w = r.wpan()?;
    let fcs = encap::capture_fcs(w.frame, w.fcs.octets());
    match w.encap {
        Encap::Direct if fcs == FcsMode::Crc16 => {
            Some((w.frame.get(..w.frame.len().checked_sub(2)?)?, FcsMode::None))
        }
        Encap::Direct | Encap::Zep { version: 2, .. } => Some((w.frame, fcs)),
        _ => None,
    }
}

/// The addresses the frame's IIDs came from: the reassembly key (mesh-aware) for a fragment,
/// else the mesh originator / final destination, else the MAC addresses.
fn link_addrs(r: &FrameReport<'_>) -> Option<(LinkAddr, LinkAddr)> {
    let l = r.lowpan.as_ref()?;
    if let Some(f) = &l.fragment {
        return Some((f.key.src, f.key.dst));
    }
    for h in &l.dispatch {
        if let DispatchHeader::Mesh(m) = h {
            return Some((m.originator, m.final_destination));
        }
    }
    let m = r.mac.as_ref()?;
    Some((m.src, m.dst))
}

fn to_smol(a: LinkAddr) -> Option<Ieee802154Address> {
    match a {
        LinkAddr::Absent => None,
        LinkAddr::Short(s) => Some(Ieee802154Address::Short(s.to_be_bytes())),
        // Both keep the extended address MSB first, as printed.
        LinkAddr::Extended(e) => Some(Ieee802154Address::Extended(e)),
    }
}

/// smoltcp's Reprs for a datagram, as its `ipv6_to_sixlowpan` builds them: traffic class and
/// flow label not carried (`ecn`/`dscp`/`flow_label` None), NHC only for a UDP header right
/// after the IPv6 header, everything else with the Next Header in line.
#[inline]
fn smol_reprs(
    datagram: &[u8],
    ll_src: Option<Ieee802154Address>,
    ll_dst: Option<Ieee802154Address>,
) -> Option<SmolPrepared> {
    let p = Ipv6Packet::new_checked(datagram).ok()?;
    let ip = Ipv6Repr::parse(&p).ok()?;
    let udp = if ip.next_header == IpProtocol::Udp {
        let u = UdpPacket::new_checked(p.payload()).ok()?;
        Some(SixlowpanUdpNhcRepr(UdpRepr {
            src_port: u.src_port(),
            dst_port: u.dst_port(),
        }))
    } else {
        None
    };
    let next_header = match udp {
        Some(_) => SixlowpanNextHeader::Compressed,
        None => SixlowpanNextHeader::Uncompressed(ip.next_header),
    };
    Some(SmolPrepared {
        iphc: SixlowpanIphcRepr {
            src_addr: ip.src_addr,
            ll_src_addr: ll_src,
            dst_addr: ip.dst_addr,
            ll_dst_addr: ll_dst,
            next_header,
            hop_limit: ip.hop_limit,
            ecn: None,
            dscp: None,
            flow_label: None,
        },
        udp,
    })
}

/// Emits smoltcp's IPHC (+ NHC UDP, its payload copied behind it and the checksum computed) into
/// `buf`; returns the compressed header length. The datagram's octets after the IPv6 header
/// (after the UDP header with NHC) follow the header as they are.
#[inline]
fn smol_emit(
    s: &SmolPrepared,
    datagram: &[u8],
    buf: &mut [u8],
    caps: &ChecksumCapabilities,
) -> usize {
    let n = s.iphc.buffer_len();
    s.iphc
        .emit(&mut SixlowpanIphcPacket::new_unchecked(&mut buf[..n]));
    match &s.udp {
        Some(u) => {
            let payload = &datagram[IPV6_HEADER + UDP_HEADER..];
            let h = u.header_len();
            u.emit(
                &mut SixlowpanUdpNhcPacket::new_unchecked(&mut buf[n..n + h + payload.len()]),
                &s.iphc.src_addr,
                &s.iphc.dst_addr,
                payload.len(),
                |b| b.copy_from_slice(payload),
                caps,
            );
            n + h
        }
        None => n,
    }
}

/// Octets of the datagram smoltcp's headers stand for.
fn smol_consumed(s: &SmolPrepared) -> usize {
    IPV6_HEADER + if s.udp.is_some() { UDP_HEADER } else { 0 }
}

fn contexts_for(file: &str) -> usize {
    usize::from(file == "iphc-forms.pcap")
}

fn context_tables() -> [ContextTable; 2] {
    let mut forms = ContextTable::new();
    forms.set(
        0,
        Context {
            prefix: "2001:db8:1::".parse().unwrap(),
            len: 64,
        },
    );
    [ContextTable::new(), forms]
}

/// Decodes every capture and keeps the complete datagrams both compressors take.
fn load(ctxs: &[ContextTable; 2]) -> Vec<Dgram> {
    let mut files: Vec<PathBuf> = Vec::new();
    match ietfwg_test_support::shared::corpus("6lo") {
        Some(corpus) => files.extend(pcaps_in(&corpus)),
        None => eprintln!("bench: notice: benchmarking pcaps/6lo only"),
    }
    files.extend(pcaps_in(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo"),
    ));

    let (mut frames, mut not_wpan, mut datagrams) = (0usize, 0usize, 0usize);
    let (mut ours_refused, mut smol_refused) = (0usize, 0usize);
    let mut per_file: Vec<(String, usize)> = Vec::new();
    let mut out = Vec::new();
    for path in &files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ctx = contexts_for(&file);
        let mut decoder = Decoder::new(ctxs[ctx].clone(), Limits::default());
        let mut kept = 0usize;
        for raw in read_capture(path, &path.display().to_string()) {
            frames += 1;
            let Some((frame, fcs)) = wpan_frame(&raw) else {
                not_wpan += 1;
                continue;
            };
            let report = decoder.decode_frame(frame, fcs, raw.number as u64, 0);
            let Some(dg) = &report.datagram else {
                continue;
            };
            datagrams += 1;
            let (Some((src, dst)), Some(mac)) = (link_addrs(&report), report.mac.as_ref()) else {
                continue;
            };
            let bytes = dg.bytes.clone();
            if let Err(e) = compress(&bytes, src, dst, &ctxs[ctx], &Options::default()) {
                ours_refused += 1;
                eprintln!(
                    "bench: ietfwg does not compress the datagram of {file} frame {}: {e}",
                    raw.number
                );
                continue;
            }
            let (ll_src, ll_dst) = (to_smol(src), to_smol(dst));
            let Some(smol) = smol_reprs(&bytes, ll_src, ll_dst) else {
                smol_refused += 1;
                eprintln!(
                    "bench: smoltcp cannot parse the datagram of {file} frame {}",
                    raw.number
                );
                continue;
            };
            let mesh = report.lowpan.as_ref().and_then(|l| {
                l.dispatch.iter().find_map(|h| match h {
                    DispatchHeader::Mesh(m) => Some(m.clone()),
                    _ => None,
                })
            });
            let target = Target {
                mac: MacHeader::from_frame(mac),
                mesh,
            };
            kept += 1;
            out.push(Dgram {
                file: file.clone(),
                number: raw.number,
                bytes,
                src,
                dst,
                ll_src,
                ll_dst,
                ctx,
                target,
                smol,
            });
        }
        if kept > 0 {
            per_file.push((file, kept));
        }
    }
    eprintln!(
        "bench: {frames} frames read from {} captures ({not_wpan} not 802.15.4 / ZEP); \
         {datagrams} complete datagrams decoded",
        files.len()
    );
    eprintln!(
        "bench: skipped {ours_refused} datagrams ietfwg refuses to compress (not IPv6, or a Payload Length that \
         does not match the datagram), {smol_refused} smoltcp cannot parse"
    );
    eprintln!("bench: selected {} datagrams:", out.len());
    for (name, n) in &per_file {
        eprintln!("bench:   {n:6}  {name}");
    }
    out
}

/// How smoltcp's encoding of one datagram decompresses with our decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The original datagram, octet for octet.
    Exact,
    /// The original except the traffic class / flow label (smoltcp always writes TF=11).
    LostTcFl,
    /// Addresses right, something else differs (first differing octet).
    OtherDiff(usize),
    /// Source or destination address differs.
    WrongAddress,
    /// Our decoder rejects it.
    Undecodable,
}

fn check_smol(d: &Dgram, ctxs: &[ContextTable; 2], header: &[u8]) -> (Verdict, String) {
    let rest = &d.bytes[smol_consumed(&d.smol)..];
    let mut frame = header.to_vec();
    frame.extend_from_slice(rest);
    let dec = match iphc::decompress(&frame, 0, &ctxs[d.ctx], d.src, d.dst, None) {
        Ok(x) => x,
        Err(e) => return (Verdict::Undecodable, e.to_string()),
    };
    let mut rebuilt = dec.headers;
    rebuilt.extend_from_slice(rest);
    ipv6::fill_checksums(&mut rebuilt, &dec.checksum_fixes);
    let (src, dst) = (addr(&d.bytes, 8), addr(&d.bytes, 24));
    if dec.iphc.src != src || dec.iphc.dst != dst {
        return (
            Verdict::WrongAddress,
            format!(
                "src {} dst {} instead of {src} {dst}",
                dec.iphc.src, dec.iphc.dst
            ),
        );
    }
    if rebuilt == d.bytes {
        return (Verdict::Exact, String::new());
    }
    let at = rebuilt
        .iter()
        .zip(&d.bytes)
        .position(|(a, b)| a != b)
        .unwrap_or(rebuilt.len().min(d.bytes.len()));
    let mut masked = rebuilt.clone();
    if masked.len() == d.bytes.len() && masked.len() >= 4 {
        masked[..4].copy_from_slice(&d.bytes[..4]);
        if masked == d.bytes {
            return (Verdict::LostTcFl, String::new());
        }
    }
    (
        Verdict::OtherDiff(at),
        format!(
            "first difference at octet {at} ({} octets rebuilt, {} original)",
            rebuilt.len(),
            d.bytes.len()
        ),
    )
}

fn addr(d: &[u8], at: usize) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&d[at..at + 16]);
    Ipv6Addr::from(a)
}

/// A multicast destination that none of smoltcp's 8/32/48-bit forms fits: it then writes the
/// 128 bits in line, but with DAM=11 (the 8-bit form) instead of DAM=00.
fn smol_multicast_fallback(dst: &[u8]) -> bool {
    dst[0] == 0xff && !(dst[1] == 0x02 && dst[2..15] == [0; 13]) && dst[2..11] != [0; 9]
}

/// The smoltcp 0.14 emit bug a datagram meets, in words.
fn smol_bug(d: &Dgram) -> &'static str {
    let ports = |a: usize| u16::from_be_bytes([d.bytes[a], d.bytes[a + 1]]);
    if smol_multicast_fallback(&d.bytes[24..40]) {
        "multicast destination outside the 8/32/48-bit forms: 128 bits in line but DAM=11 \
         (the 8-bit form)"
    } else if d.smol.udp.is_some()
        && (0xf0b0..=0xf0bf).contains(&ports(40))
        && (0xf0b0..=0xf0bf).contains(&ports(42))
    {
        "UDP ports both 0xF0B0-0xF0BF (NHC P=11): the nibbles are ANDed instead of ORed"
    } else if d.smol.udp.is_some() && !udp_checksum_ok(&d.bytes) {
        "the datagram's UDP checksum is wrong: smoltcp computes a new one, it cannot carry a given one"
    } else {
        "unexplained"
    }
}

/// The UDP checksum right after the IPv6 header is correct.
fn udp_checksum_ok(d: &[u8]) -> bool {
    let mut udp = d[IPV6_HEADER..].to_vec();
    let given = u16::from_be_bytes([udp[6], udp[7]]);
    udp[6..8].fill(0);
    let computed = ipv6::upper_layer_checksum(&addr(d, 8), &addr(d, 24), 17, &udp);
    given == computed || (given == 0xffff && computed == 0) || (given == 0 && computed == 0xffff)
}

fn uses_ext_nhc(nhc: &[NhcRepr]) -> bool {
    nhc.iter().any(|n| !matches!(n, NhcRepr::Udp { .. }))
}

/// Size comparison and smoltcp round trip, printed before timing.
fn compare(set: &[Dgram], ctxs: &[ContextTable; 2]) {
    let caps = ChecksumCapabilities::default();
    let mut buf = vec![0u8; set.iter().map(|d| d.bytes.len()).max().unwrap_or(0) + 64];
    // Totals: uncompressed, ours (header, whole 6LoWPAN datagram), smoltcp (the same).
    let (mut raw, mut ours_h, mut ours_t, mut smol_h, mut smol_t) = (0, 0, 0, 0, 0);
    let (mut larger, mut equal, mut smaller) = (0usize, 0usize, 0usize);
    let mut verdicts: Vec<(Verdict, usize)> = Vec::new();
    // Per reason for a size difference: (datagrams, ours total, smoltcp total).
    let mut reasons: Vec<(&'static str, usize, usize, usize)> = Vec::new();
    let mut shown = 0usize;
    let mut tcfl_octets = 0usize;
    // Why smoltcp's encoding does not give the datagram back: (cause, datagrams).
    let mut causes: Vec<(&'static str, usize)> = Vec::new();
    for d in set {
        let c = compress(&d.bytes, d.src, d.dst, &ctxs[d.ctx], &Options::default()).unwrap();
        let ours_total = c.bytes.len() + d.bytes.len() - c.consumed;
        let sh = smol_emit(&d.smol, &d.bytes, &mut buf, &caps);
        let smol_expected =
            d.smol.iphc.buffer_len() + d.smol.udp.as_ref().map_or(0, |u| u.header_len());
        assert_eq!(sh, smol_expected);
        let smol_total = sh + d.bytes.len() - smol_consumed(&d.smol);
        raw += d.bytes.len();
        ours_h += c.bytes.len();
        ours_t += ours_total;
        smol_h += sh;
        smol_t += smol_total;
        match smol_total.cmp(&ours_total) {
            std::cmp::Ordering::Greater => larger += 1,
            std::cmp::Ordering::Equal => equal += 1,
            std::cmp::Ordering::Less => smaller += 1,
        }
        let (verdict, why) = check_smol(d, ctxs, &buf[..sh]);
        let key = match verdict {
            Verdict::OtherDiff(_) => Verdict::OtherDiff(0),
            v => v,
        };
        match verdicts.iter_mut().find(|(v, _)| *v == key) {
            Some((_, n)) => *n += 1,
            None => verdicts.push((key, 1)),
        }
        if !matches!(verdict, Verdict::Exact | Verdict::LostTcFl) {
            let cause = smol_bug(d);
            match causes.iter_mut().find(|c| c.0 == cause) {
                Some(c) => c.1 += 1,
                None => causes.push((cause, 1)),
            }
            eprintln!(
                "bench: smoltcp's encoding of {} frame {} ({:02x?}) decodes {verdict:?}: {why}; \
                 cause: {cause}",
                d.file,
                d.number,
                &buf[..sh.min(24)]
            );
        }
        let i = &c.iphc;
        let tcfl = i.tf != 0b11;
        tcfl_octets += [4, 3, 1, 0][usize::from(i.tf & 3)];
        let reason = if smol_multicast_fallback(&d.bytes[24..40]) {
            "multicast destination outside smoltcp's 8/32/48-bit forms"
        } else if (i.sac && i.sam != 0) || i.dac {
            "ours uses a context"
        } else if uses_ext_nhc(&c.nhc) {
            "ours compresses extension headers / IPv6-in-IPv6 (NHC)"
        } else if tcfl && smol_total < ours_total {
            "traffic class / flow label (smoltcp drops them)"
        } else if smol_total != ours_total {
            "other"
        } else {
            "same size"
        };
        if reason == "other" && shown < 20 {
            shown += 1;
            eprintln!(
                "bench: size differs on {} frame {}: ours {:02x?} ({} consumed), smoltcp {:02x?} ({} consumed)",
                d.file,
                d.number,
                c.bytes,
                c.consumed,
                &buf[..sh],
                smol_consumed(&d.smol)
            );
        }
        match reasons.iter_mut().find(|r| r.0 == reason) {
            Some(r) => {
                r.1 += 1;
                r.2 += ours_total;
                r.3 += smol_total;
            }
            None => reasons.push((reason, 1, ours_total, smol_total)),
        }
    }
    let n = set.len();
    eprintln!(
        "bench: sizes over {n} datagrams ({raw} octets uncompressed): compressed headers ietfwg \
         {ours_h} / smoltcp {smol_h} octets; 6LoWPAN datagram (headers + rest) ietfwg {ours_t} / \
         smoltcp {smol_t} octets ({:.1} / {:.1} per datagram)",
        ours_t as f64 / n as f64,
        smol_t as f64 / n as f64
    );
    eprintln!(
        "bench: {tcfl_octets} of ietfwg's header octets carry traffic class / flow label, which \
         smoltcp's emit never writes (TF=11 always)"
    );
    eprintln!(
        "bench: smoltcp's encoding is larger on {larger}, the same size on {equal}, smaller on \
         {smaller} datagrams"
    );
    for (reason, k, o, s) in &reasons {
        eprintln!("bench:   {k:6} {reason}: ietfwg {o} octets, smoltcp {s} octets");
    }
    for (cause, k) in &causes {
        eprintln!("bench: smoltcp's encoding is wrong on {k} datagrams: {cause}");
    }
    for (v, k) in &verdicts {
        let what = match v {
            Verdict::Exact => "decode (our decoder) to the original datagram",
            Verdict::LostTcFl => "decode to it except the traffic class / flow label",
            Verdict::OtherDiff(_) => "decode to the right addresses but another datagram",
            Verdict::WrongAddress => "decode to a wrong source or destination address",
            Verdict::Undecodable => "do not decode",
        };
        eprintln!("bench: smoltcp's encodings of {k} datagrams {what}");
    }
}

/// The timed smoltcp path from the datagram's bytes.
#[inline]
fn smol_parse_emit(d: &Dgram, buf: &mut [u8], caps: &ChecksumCapabilities) -> Option<usize> {
    let s = smol_reprs(&d.bytes, d.ll_src, d.ll_dst)?;
    Some(smol_emit(&s, &d.bytes, buf, caps))
}

fn benches(c: &mut Criterion) {
    let ctxs = context_tables();
    let set = load(&ctxs);
    assert!(!set.is_empty(), "no datagram selected");
    compare(&set, &ctxs);
    let n = set.len() as u64;
    let opts = Options::default();
    let caps = ChecksumCapabilities::default();
    let max = set.iter().map(|d| d.bytes.len()).max().unwrap_or(0) + 64;

    // Framer pre-check: every datagram frames.
    {
        let mut framers = ctxs
            .clone()
            .map(|t| Framer::new(Config::new(Options::default()), t));
        let (mut frames, mut fragmented) = (0usize, 0usize);
        for d in &set {
            let f = framers[d.ctx]
                .frame(&d.bytes, &d.target)
                .unwrap_or_else(|e| panic!("{} frame {}: {e}", d.file, d.number));
            frames += f.frames.len();
            fragmented += usize::from(f.datagram_tag.is_some());
        }
        eprintln!(
            "bench: the framer makes {frames} frames of the {} datagrams ({fragmented} fragmented)",
            set.len()
        );
    }

    let mut g = c.benchmark_group("compress");
    g.throughput(Throughput::Elements(n));
    g.measurement_time(std::time::Duration::from_secs(4));
    g.warm_up_time(std::time::Duration::from_secs(1));
    g.bench_function("ietfwg", |b| {
        b.iter(|| {
            for d in &set {
                let _ = black_box(compress(
                    black_box(&d.bytes),
                    d.src,
                    d.dst,
                    &ctxs[d.ctx],
                    &opts,
                ));
            }
        })
    });
    g.bench_function("smoltcp_emit", |b| {
        let mut buf = vec![0u8; max];
        b.iter(|| {
            for d in &set {
                black_box(smol_emit(
                    black_box(&d.smol),
                    black_box(&d.bytes),
                    &mut buf,
                    &caps,
                ));
            }
            black_box(&buf);
        })
    });
    g.bench_function("smoltcp_parse_emit", |b| {
        let mut buf = vec![0u8; max];
        b.iter(|| {
            for d in &set {
                black_box(smol_parse_emit(black_box(d), &mut buf, &caps));
            }
            black_box(&buf);
        })
    });
    g.finish();

    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Elements(n));
    g.measurement_time(std::time::Duration::from_secs(4));
    g.warm_up_time(std::time::Duration::from_secs(1));
    g.bench_function("ietfwg", |b| {
        let mut framers = ctxs
            .clone()
            .map(|t| Framer::new(Config::new(Options::default()), t));
        b.iter(|| {
            for d in &set {
                let _ = black_box(framers[d.ctx].frame(black_box(&d.bytes), &d.target));
            }
        })
    });
    g.finish();
}

criterion_group!(compress_benches, benches);
criterion_main!(compress_benches);
