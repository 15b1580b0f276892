//! Robustness of the whole pipeline (`lowpan::Decoder::decode_frame`: MAC, dispatch, IPHC/NHC,
//! HC1, reassembly, IPv6 summary) on hostile input: it never panics, never hangs, keeps its
//! memory bounded, and every error it returns points inside the frame and names a field.
//!
//! * Deterministic mutation fuzzing (xorshift64*, fixed seeds, no extra dependency) of every
//!   frame of the project's `pcaps/6lo/*.pcap` and, when present, of the third-party corpus
//!   `shared/corpus/6lo/*.pcap` (link types 195 and 230; found through
//!   `ietfwg_test_support::shared`; skipped with a notice when absent, a failure under
//!   `CI=true`). Mutations: 1–8 bit flips, byte insertions and deletions, truncation at every
//!   length, random tails, duplicated (and corrupted duplicate) fragments, and interleavings of
//!   the frames of different captures through one decoder.
//! * A reassembly flood through the decoder: 100 000 synthetic FRAG1/FRAGN frames from a few
//!   hundred sources, with advancing capture time; every datagram started is accounted for
//!   exactly once (completed, or reported incomplete by `take_expired` / `finish`), which bounds
//!   what the decoder can hold.
//! * Oversized frames (up to 70 000 octets) behind every kind of dispatch.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ietfwg_6lo::addr::Context;
use ietfwg_6lo::dispatch::DispatchHeader;
use ietfwg_6lo::lowpan::{Compression, Decoder, FrameReport};
use ietfwg_6lo::mac::FcsMode;
use ietfwg_6lo::reassembly::{FragKey, IncompleteReason, Limits, MAX_FRAMES};
use ietfwg_6lo::{ContextTable, Error, ErrorKind, Layer, LinkAddr};
use ietfwg_test_support::shared;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// xorshift64* (Vigna): small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        (self.next() >> 56) as u8
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One captured frame.
#[derive(Clone)]
struct Frame {
    data: Vec<u8>,
    time_nanos: u64,
}

/// The frames of one capture file.
struct Capture {
    name: String,
    fcs: FcsMode,
    frames: Vec<Frame>,
}

/// Reads a classic pcap file of either byte order: (link type, frames).
fn read_pcap(path: &Path) -> (u32, Vec<Frame>) {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut rest, header) = pcap_parser::parse_pcap_header(&data)
        .unwrap_or_else(|e| panic!("{}: bad pcap header: {e:?}", path.display()));
    let nanos_per_frac: u64 = if header.is_nanosecond_precision() {
        1
    } else {
        1000
    };
    let mut frames = Vec::new();
    while !rest.is_empty() {
        let parsed = if header.is_bigendian() {
            pcap_parser::parse_pcap_frame_be(rest)
        } else {
            pcap_parser::parse_pcap_frame(rest)
        };
        let (r, b) =
            parsed.unwrap_or_else(|e| panic!("{}: bad pcap record: {e:?}", path.display()));
        frames.push(Frame {
            data: b.data.to_vec(),
            time_nanos: u64::from(b.ts_sec) * 1_000_000_000 + u64::from(b.ts_usec) * nanos_per_frac,
        });
        rest = r;
    }
    (header.network.0 as u32, frames)
}

/// The link-type 195/230 captures of `dir`, sorted by name. Files with more than `max_frames`
/// frames are sampled evenly down to `max_frames`.
fn captures_in(dir: &Path, max_frames: usize) -> Vec<Capture> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let (lt, mut frames) = read_pcap(&p);
        let fcs = match lt {
            195 => FcsMode::Crc16,
            230 => FcsMode::None,
            _ => continue,
        };
        if frames.len() > max_frames {
            let step = frames.len().div_ceil(max_frames);
            frames = frames.into_iter().step_by(step).collect();
        }
        out.push(Capture {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            fcs,
            frames,
        });
    }
    out
}

/// The project's own captures (always there) and the corpus ones (when present).
fn all_captures() -> Vec<Capture> {
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo");
    let mut caps = captures_in(&ours, usize::MAX);
    assert!(
        caps.len() >= 7,
        "expected the 7 captures of {}",
        ours.display()
    );
    if let Some(dir) = shared::corpus("6lo") {
        let corpus = captures_in(&dir, 300);
        assert!(corpus.len() >= 30, "only {} corpus captures", corpus.len());
        caps.extend(corpus);
    }
    caps
}

/// Context 0 as `pcaps/6lo/iphc-forms.pcap` needs it; also context 1, so that SAC/DAC=1 with
/// CID octets reach further into the decompressor.
fn decoder(limits: Limits) -> Decoder {
    let mut ctx = ContextTable::new();
    ctx.set(
        0,
        Context {
            prefix: "2001:db8:1::".parse().unwrap(),
            len: 64,
        },
    );
    ctx.set(
        1,
        Context {
            prefix: "2001:db8:aaaa::".parse().unwrap(),
            len: 48,
        },
    );
    Decoder::new(ctx, limits)
}

// ---------------------------------------------------------------------------------------------
// Invariants checked on every decode
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Stats {
    decodes: u64,
    errors: u64,
    datagrams: u64,
    reassembled: u64,
    by_layer: HashMap<String, u64>,
    slowest: Duration,
}

/// What must hold for the errors in a report.
fn check_error(e: &Error, frame: &[u8], what: &str) {
    let msg = e.to_string();
    assert!(
        !e.field().is_empty() && msg.contains(e.field()),
        "{what}: error without a field name: {e:?}"
    );
    assert!(
        msg.len() > e.field().len() + 10,
        "{what}: error message says too little: {msg:?}"
    );
    assert!(
        e.offset() <= frame.len(),
        "{what}: error offset {} is past the {}-byte frame: {msg}\n  frame: {}",
        e.offset(),
        frame.len(),
        hex::encode(frame)
    );
}

/// Every invariant of one decode. `frame` is what was decoded.
fn check(report: &FrameReport<'_>, frame: &[u8], what: &str, stats: &mut Stats) {
    stats.decodes += 1;
    if let Some(e) = &report.error {
        stats.errors += 1;
        *stats.by_layer.entry(e.layer().to_string()).or_default() += 1;
        check_error(e, frame, what);
    }
    if let Some(mac) = &report.mac {
        assert!(
            mac.payload_offset + mac.payload.len() <= frame.len(),
            "{what}: MAC payload {}+{} past the {}-byte frame",
            mac.payload_offset,
            mac.payload.len(),
            frame.len()
        );
        assert_eq!(mac.payload.len(), mac.payload_len, "{what}: payload_len");
    }
    if report.error.is_none() && report.mac.is_none() {
        panic!("{what}: neither a MAC frame nor an error");
    }
    if let Some(lowpan) = &report.lowpan {
        // Dispatch headers cannot take more bytes than the frame has.
        let hdrs: usize = lowpan.dispatch.iter().map(DispatchHeader::len).sum();
        assert!(hdrs <= frame.len(), "{what}: {hdrs} dispatch header bytes");
        if let Some(f) = &lowpan.fragment {
            assert!(
                f.offset <= usize::from(f.key.size) || report.error.is_some(),
                "{what}: fragment at {} of a {}-byte datagram without an error",
                f.offset,
                f.key.size
            );
        }
    }
    if let Some(d) = &report.datagram {
        stats.datagrams += 1;
        assert_eq!(d.length, d.bytes.len(), "{what}: datagram length");
        assert!(!d.frames.is_empty(), "{what}: datagram without frames");
        assert!(
            d.frames.contains(&report.frame) || d.frames.len() == MAX_FRAMES,
            "{what}: datagram completed by frame {} does not list it: {:?}",
            report.frame,
            d.frames
        );
        let frag = report.lowpan.as_ref().and_then(|l| l.fragment.as_ref());
        match frag {
            Some(f) => {
                stats.reassembled += 1;
                assert!(f.completes, "{what}: datagram without `completes`");
                assert_eq!(
                    d.length,
                    usize::from(f.key.size),
                    "{what}: reassembled size"
                );
            }
            None => {
                // Decompression can expand the frame (IPHC 2 octets -> 40, NHC 1 -> 8, nested
                // IPv6-in-IPv6 …) but not without bound.
                assert!(
                    d.length <= 40 * frame.len() + 48,
                    "{what}: a {}-byte frame gave a {}-byte datagram",
                    frame.len(),
                    d.length
                );
                assert_eq!(d.frames, [report.frame], "{what}: unfragmented frames");
                // IPHC/HC1 derive the Payload Length from the octets left (RFC 6282 §3.2.1,
                // RFC 4944 §10.1): the header must agree with the datagram built.
                let compressed = report.lowpan.as_ref().is_some_and(|l| {
                    matches!(
                        l.compression,
                        Some(Compression::Iphc { .. } | Compression::Hc1 { .. })
                    )
                });
                if let (true, Some(s)) = (compressed, &d.ipv6) {
                    assert_eq!(
                        usize::from(s.payload_length) + 40,
                        d.length,
                        "{what}: Payload Length vs datagram"
                    );
                }
            }
        }
        if let Some(e) = &d.ipv6_error {
            // Errors found when reading the datagram back point into the datagram.
            assert!(!e.field().is_empty(), "{what}: {e:?}");
            assert!(
                e.offset() <= d.length,
                "{what}: IPv6 error offset {} past the {}-byte datagram: {e}",
                e.offset(),
                d.length
            );
        }
        if d.ipv6.is_none() {
            assert!(d.ipv6_error.is_some(), "{what}: no summary and no error");
        }
    }
    if let Some(n) = &report.note {
        assert!(!n.is_empty(), "{what}: empty note");
    }
}

/// Decodes one frame, timing it, and checks it.
fn run(
    dec: &mut Decoder,
    frame: &[u8],
    fcs: FcsMode,
    number: u64,
    time: u64,
    what: &dyn Fn() -> String,
    stats: &mut Stats,
) {
    let t = Instant::now();
    let report = dec.decode_frame(frame, fcs, number, time);
    let dt = t.elapsed();
    stats.slowest = stats.slowest.max(dt);
    assert!(
        dt < Duration::from_secs(2),
        "{}: one decode took {dt:?}",
        what()
    );
    check(&report, frame, &what(), stats);
}

/// Drains the decoder's incomplete-datagram reports and checks them.
fn drain(dec: &mut Decoder, end: bool) -> usize {
    let list = if end {
        dec.finish()
    } else {
        dec.take_expired()
    };
    for i in &list {
        assert!(
            i.received <= usize::from(i.key.size),
            "incomplete datagram: {} of {} bytes",
            i.received,
            i.key.size
        );
        assert!(!i.frames.is_empty() || i.received == 0);
    }
    list.len()
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

fn flip_bits(rng: &mut Rng, f: &mut [u8]) {
    if f.is_empty() {
        return;
    }
    for _ in 0..1 + rng.below(8) {
        let i = rng.below(f.len() * 8);
        f[i / 8] ^= 1 << (i % 8);
    }
}

fn insert_bytes(rng: &mut Rng, f: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(f.len() + 1);
        let b = match rng.below(4) {
            0 => 0x00,
            1 => 0xff,
            _ => rng.byte(),
        };
        f.insert(at, b);
    }
}

fn delete_bytes(rng: &mut Rng, f: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        if f.is_empty() {
            return;
        }
        let at = rng.below(f.len());
        f.remove(at);
    }
}

fn random_tail(rng: &mut Rng, f: &mut Vec<u8>) {
    let keep = rng.below(f.len() + 1);
    f.truncate(keep);
    for _ in 0..rng.below(120) {
        f.push(rng.byte());
    }
}

/// Overwrites one of the "interesting" early bytes (dispatch, IPHC, NHC) with an interesting
/// value: many dispatch/IPHC paths hang off one byte.
fn poke_interesting(rng: &mut Rng, f: &mut [u8]) {
    const VALUES: &[u8] = &[
        0x00, 0x01, 0x3f, 0x40, 0x41, 0x42, 0x50, 0x60, 0x7f, 0x80, 0xbf, 0xc0, 0xc7, 0xe0, 0xe7,
        0xe8, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf7, 0xf8, 0xfb, 0xff,
    ];
    if f.is_empty() {
        return;
    }
    let at = rng.below(f.len().min(40));
    f[at] = VALUES[rng.below(VALUES.len())];
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut f = seed.to_vec();
    for _ in 0..1 + rng.below(2) {
        match rng.below(6) {
            0 | 1 => flip_bits(rng, &mut f),
            2 => insert_bytes(rng, &mut f),
            3 => delete_bytes(rng, &mut f),
            4 => random_tail(rng, &mut f),
            _ => poke_interesting(rng, &mut f),
        }
    }
    f
}

fn random_fcs(rng: &mut Rng, usual: FcsMode) -> FcsMode {
    match rng.below(10) {
        0 => FcsMode::None,
        1 => FcsMode::Crc16,
        2 => FcsMode::Crc32,
        _ => usual,
    }
}

const SEC: u64 = 1_000_000_000;

/// Small reassembly limits, so that eviction also happens during the fuzz runs.
fn fuzz_limits() -> Limits {
    Limits {
        max_datagrams: 16,
        max_bytes: 16 * 1024,
        timeout_nanos: 60 * SEC,
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzz tests
// ---------------------------------------------------------------------------------------------

/// The unmodified captures decode without any error pointing outside the frame, in order, with
/// their reassembly — the baseline the mutations start from.
#[test]
fn unmodified_captures_hold_the_invariants() {
    let caps = all_captures();
    let mut stats = Stats::default();
    for cap in &caps {
        let mut dec = decoder(Limits::default());
        for (i, f) in cap.frames.iter().enumerate() {
            let what = || format!("{} frame {}", cap.name, i + 1);
            let r = dec.decode_frame(&f.data, cap.fcs, i as u64 + 1, f.time_nanos);
            if let Some(e) = &r.error {
                eprintln!("{}: {e}", what());
            }
            check(&r, &f.data, &what(), &mut stats);
        }
        drain(&mut dec, true);
    }
    eprintln!(
        "unmodified: {} frames, {} errors {:?}, {} datagrams ({} reassembled)",
        stats.decodes, stats.errors, stats.by_layer, stats.datagrams, stats.reassembled
    );
    assert!(stats.datagrams >= 60, "{} datagrams", stats.datagrams);
}

/// Truncation at every length of every frame (a prefix is what a short capture or a snaplen
/// gives), decoded with the capture's FCS mode and without an FCS.
#[test]
fn truncation_at_every_length() {
    let caps = all_captures();
    let mut stats = Stats::default();
    let start = Instant::now();
    let mut seen = HashSet::new();
    let mut mac_cuts = 0u64;
    for cap in &caps {
        let mut dec = decoder(fuzz_limits());
        let mut n = 0u64;
        for (i, f) in cap.frames.iter().enumerate() {
            if !seen.insert(f.data.clone()) {
                continue;
            }
            // Where the MAC payload starts in the whole frame (no FCS assumed): every shorter
            // prefix must be a MAC error.
            let mac_end = ietfwg_6lo::mac::parse(&f.data, FcsMode::None)
                .map(|m| m.payload_offset)
                .unwrap_or(0);
            for len in 0..=f.data.len() {
                let cut = &f.data[..len];
                for fcs in [cap.fcs, FcsMode::None] {
                    n += 1;
                    let what = || format!("{} frame {} cut to {len} bytes", cap.name, i + 1);
                    run(&mut dec, cut, fcs, n, f.time_nanos, &what, &mut stats);
                    if len < mac_end && fcs == FcsMode::None {
                        let r = dec.decode_frame(cut, fcs, n, f.time_nanos);
                        let e = r.error.unwrap_or_else(|| panic!("{}: no error", what()));
                        assert_eq!(e.layer(), Layer::Mac, "{}: {e}", what());
                        assert!(
                            matches!(e.kind(), ErrorKind::Truncated { .. }),
                            "{}: {e}",
                            what()
                        );
                        mac_cuts += 1;
                    }
                }
            }
            drain(&mut dec, false);
        }
        drain(&mut dec, true);
    }
    eprintln!(
        "truncation: {} decodes in {:?} (slowest {:?}), {} errors {:?}",
        stats.decodes,
        start.elapsed(),
        stats.slowest,
        stats.errors,
        stats.by_layer
    );
    assert!(mac_cuts > 5_000, "{mac_cuts} cuts inside MAC headers");
}

/// Random mutations (bit flips, insertions, deletions, random tails, interesting bytes) of
/// every frame, each capture through its own decoder so that reassembly state carries over.
#[test]
fn mutations_of_every_frame() {
    let caps = all_captures();
    let mut stats = Stats::default();
    let start = Instant::now();
    let total_frames: usize = caps.iter().map(|c| c.frames.len()).sum();
    // ~110k decodes whatever the corpus size (fewer rounds over more frames).
    let rounds = (110_000 / total_frames.max(1)).clamp(1, 2000);
    for (ci, cap) in caps.iter().enumerate() {
        let mut rng = Rng::new(0x6c6f_7770_616e ^ ((ci as u64 + 1) * 0x9e37_79b9));
        let mut dec = decoder(fuzz_limits());
        let mut n = 0u64;
        for round in 0..rounds {
            for (i, f) in cap.frames.iter().enumerate() {
                let m = mutate(&mut rng, &f.data);
                let fcs = random_fcs(&mut rng, cap.fcs);
                n += 1;
                let time = f.time_nanos + round as u64 * 7 * SEC;
                let what = || {
                    format!(
                        "{} frame {} mutation (round {round}): {}",
                        cap.name,
                        i + 1,
                        hex::encode(&m)
                    )
                };
                run(&mut dec, &m, fcs, n, time, &what, &mut stats);
                if n % 64 == 0 {
                    drain(&mut dec, false);
                }
            }
        }
        drain(&mut dec, true);
    }
    eprintln!(
        "mutations: {} decodes in {:?} (slowest {:?}, {rounds} rounds), {} errors {:?}, {} datagrams ({} reassembled)",
        stats.decodes,
        start.elapsed(),
        stats.slowest,
        stats.errors,
        stats.by_layer,
        stats.datagrams,
        stats.reassembled
    );
    assert!(stats.decodes >= 90_000, "{} decodes", stats.decodes);
    assert!(stats.datagrams > 0 && stats.errors > 0);
}

/// Streams built from the captures' frames: fragments repeated (exact duplicates and corrupted
/// duplicates, which must drop the datagram with an error), reordered, and frames of different
/// captures interleaved through one decoder (same MAC addresses and tags meet).
#[test]
fn duplicates_reordering_and_interleaving() {
    let caps = all_captures();
    let mut stats = Stats::default();
    let start = Instant::now();
    let mut rng = Rng::new(0x5eed_0fd0_b1e5);
    // Fragment-bearing captures are the interesting ones; all take part.
    let streams = 250;
    let mut reassembly_errors = 0u64;
    for s in 0..streams {
        let mut dec = decoder(if s % 2 == 0 {
            Limits::default()
        } else {
            fuzz_limits()
        });
        // 2–4 captures, their frames merged in random order (each capture's own order kept
        // unless reordered below).
        let k = 2 + rng.below(3);
        let picks: Vec<&Capture> = (0..k).map(|_| &caps[rng.below(caps.len())]).collect();
        let mut cursors = vec![0usize; k];
        let mut time = 1_700_000_000 * SEC;
        let mut n = 0u64;
        let limit = 200 + rng.below(200);
        while n < limit as u64 {
            let c = rng.below(k);
            let cap = picks[c];
            if cursors[c] >= cap.frames.len() {
                cursors[c] = 0; // play that capture again
            }
            // Sometimes jump ahead or back in that capture (reordering).
            if rng.chance(10) {
                cursors[c] = rng.below(cap.frames.len());
            }
            let f = &cap.frames[cursors[c]];
            cursors[c] += 1;
            let copies = if rng.chance(15) { 2 + rng.below(2) } else { 1 };
            for copy in 0..copies {
                let mut data = f.data.clone();
                if copy > 0 && rng.chance(30) {
                    // A corrupted duplicate: flip one payload bit past the MAC header.
                    if data.len() > 24 {
                        let at = 20 + rng.below(data.len() - 20);
                        data[at] ^= 1 << rng.below(8);
                    }
                }
                n += 1;
                time += rng.below(50_000_000) as u64;
                if rng.chance(1) {
                    time += 61 * SEC; // let everything in flight expire
                } else if rng.chance(1) {
                    time = time.saturating_sub(90 * SEC); // captures merged out of time order
                }
                let what = || {
                    format!(
                        "stream {s}: {} frame {} copy {copy}: {}",
                        cap.name,
                        cursors[c],
                        hex::encode(&data)
                    )
                };
                let t = Instant::now();
                let report = dec.decode_frame(&data, cap.fcs, n, time);
                stats.slowest = stats.slowest.max(t.elapsed());
                if report
                    .error
                    .as_ref()
                    .is_some_and(|e| e.layer() == Layer::Reassembly)
                {
                    reassembly_errors += 1;
                }
                check(&report, &data, &what(), &mut stats);
            }
            if rng.chance(20) {
                drain(&mut dec, false);
            }
        }
        drain(&mut dec, true);
    }
    eprintln!(
        "streams: {} decodes in {:?} (slowest {:?}), {} errors {:?} ({reassembly_errors} reassembly), {} datagrams ({} reassembled)",
        stats.decodes,
        start.elapsed(),
        stats.slowest,
        stats.errors,
        stats.by_layer,
        stats.datagrams,
        stats.reassembled
    );
    assert!(stats.reassembled > 0, "some datagrams reassemble");
}

/// Frames far larger than 802.15.4 allows (up to 70 000 octets, as a bad capture or a
/// mis-set link type could give): a valid MAC header, then each dispatch followed by a long
/// random body. Uncompressed datagrams over 65 575 octets cannot have a 16-bit Payload Length:
/// an error, not a wrap-around.
#[test]
fn oversized_frames() {
    let mut rng = Rng::new(0xb16_f4a3e);
    let mut stats = Stats::default();
    let mut dec = decoder(fuzz_limits());
    let src = [0x00, 0x12, 0x4b, 0x00, 0x00, 0x01, 0x02, 0x03];
    let heads: &[&[u8]] = &[
        &[0x41, 0x60, 0, 0, 0, 0xff, 0xff, 17, 64], // 0x41 + IPv6 header start
        &[0x7b, 0x3b, 0x3a],                        // IPHC, NH inline 58
        &[0x7e, 0x33, 0xf0, 0x16, 0x33, 0x04, 0xd2], // IPHC + NHC UDP
        &[0x42, 0xfb, 0xe0],                        // HC1 + HC_UDP
        &[0xc7, 0xff, 0x00, 0x01, 0x7b, 0x3b, 0x3a], // FRAG1 size 2047 + IPHC
        &[0xe7, 0xff, 0x00, 0x01, 0x08],            // FRAGN size 2047 offset 64
        &[0x80 | 0x30 | 0x05, 0x00, 0x10, 0x00, 0x20, 0x41, 0x60], // mesh + 0x41
    ];
    for (i, &len) in [200usize, 1_000, 4_096, 65_535, 65_600, 70_000]
        .iter()
        .enumerate()
    {
        for head in heads {
            let mut f = mac_header(i as u8, 0x0002, src);
            f.extend_from_slice(head);
            while f.len() < len {
                f.push(rng.byte());
            }
            let what = || format!("{len}-byte frame starting {}", hex::encode(&f[..20]));
            run(&mut dec, &f, FcsMode::None, i as u64, 0, &what, &mut stats);
            let r = dec.decode_frame(&f, FcsMode::None, i as u64, 0);
            if let Some(d) = &r.datagram {
                let uncompressed = r
                    .lowpan
                    .as_ref()
                    .is_some_and(|l| l.compression == Some(Compression::Ipv6));
                // 0x41: the datagram is the rest of the frame, data past the Payload Length
                // included (`ipv6::summary` ignores it); decompressed: at most 40 + 65 535.
                let max = if uncompressed { f.len() } else { 40 + 65_535 };
                assert!(d.length <= max, "{}: {} bytes", what(), d.length);
            }
        }
    }
    drain(&mut dec, true);
    eprintln!(
        "oversized: {} decodes, {} errors {:?}, slowest {:?}",
        stats.decodes, stats.errors, stats.by_layer, stats.slowest
    );
    assert!(stats.errors > 0 && stats.datagrams > 0);
}

// ---------------------------------------------------------------------------------------------
// Reassembly flood through the decoder
// ---------------------------------------------------------------------------------------------

/// An 802.15.4-2006 data frame, PAN ID compression, short destination, extended source, no FCS:
///
/// ```text
/// 41 d8        frame control 0xd841: data, PAN ID compression, dst mode 2, version 1, src mode 3
/// SS           sequence number
/// cd ab        destination PAN 0xabcd (little-endian)
/// DD DD        destination short address (little-endian)
/// EE × 8       source extended address (little-endian, i.e. reversed)
/// ```
fn mac_header(seq: u8, dst: u16, src: [u8; 8]) -> Vec<u8> {
    let mut f = vec![0x41, 0xd8, seq, 0xcd, 0xab];
    f.extend_from_slice(&dst.to_le_bytes());
    f.extend(src.iter().rev());
    f
}

/// FRAG1 (`11000` + 11-bit size, 16-bit tag) or FRAGN (`11100` + size, tag, offset/8).
fn frag_header(size: u16, tag: u16, offset: usize) -> Vec<u8> {
    let first = if offset == 0 { 0xc0 } else { 0xe0 };
    let mut h = vec![first | (size >> 8) as u8 & 0x07, size as u8];
    h.extend_from_slice(&tag.to_be_bytes());
    if offset != 0 {
        h.push((offset / 8) as u8);
    }
    h
}

/// A datagram the flood sends: its key, bytes, fragments still to send.
struct Plan {
    key: FragKey,
    src: [u8; 8],
    bytes: Vec<u8>,
    /// (offset, len) still to send, in sending order.
    todo: Vec<(usize, usize)>,
}

/// An uncompressed datagram (sent after the 0x41 dispatch): a valid IPv6 header, UDP, payload.
fn datagram(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut d = vec![0x60, 0, 0, 0];
    d.extend_from_slice(&((size - 40) as u16).to_be_bytes());
    d.push(17);
    d.push(64);
    d.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 1]);
    d.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 2]);
    while d.len() < size {
        d.push(rng.byte());
    }
    d
}

/// Splits a datagram of `size` into fragments that fit a 127-byte frame (RFC 4944 §5.3: all
/// but the last carry a multiple of 8 octets).
fn fragments(rng: &mut Rng, size: usize) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut off = 0;
    while off < size {
        let max = if off == 0 { 96 } else { 88 };
        let mut len = (8 * (1 + rng.below(max / 8))).min(size - off);
        if off + len < size {
            len -= len % 8;
        }
        v.push((off, len));
        off += len;
    }
    v
}

fn cost(size: usize) -> usize {
    size + size.div_ceil(64) * 8
}

/// 100 000 fragment frames from 300 sources: datagrams sent whole, datagrams with fragments
/// dropped, fragments reordered and duplicated, interleaved, and noise frames (random
/// size/tag/offset) from another 100 sources; capture time advances so that the 60 s timeout
/// fires. Every datagram started is accounted for exactly once — completed with the bytes sent,
/// or reported incomplete (evicted, expired, or at the end) — and at every step the datagrams
/// the decoder can still hold stay within its limits.
#[test]
fn reassembly_flood_stays_bounded() {
    let limits = Limits::default();
    let mut dec = decoder(limits);
    let mut rng = Rng::new(0xf100d);
    let sources: Vec<[u8; 8]> = (0..400u32)
        .map(|i| {
            let b = i.to_be_bytes();
            [0x00, 0x12, 0x4b, 0x00, 0xaa, b[1], b[2], b[3]]
        })
        .collect();
    let (planned_sources, noise_sources) = sources.split_at(300);
    let noise_keys: HashSet<LinkAddr> = noise_sources
        .iter()
        .map(|s| LinkAddr::Extended(*s))
        .collect();
    let mut next_tag: HashMap<[u8; 8], u16> = HashMap::new();
    let mut active: Vec<Plan> = Vec::new();
    // Keys the decoder may hold: started, not yet completed nor reported.
    let mut open: HashSet<FragKey> = HashSet::new();
    let mut plan_complete: HashMap<FragKey, bool> = HashMap::new();
    let mut sent: HashMap<FragKey, Vec<u8>> = HashMap::new();
    let mut open_noise: HashSet<FragKey> = HashSet::new();
    let (mut started, mut completed, mut incomplete) = (0u64, 0u64, 0u64);
    let mut reasons: HashMap<String, u64> = HashMap::new();
    let mut stats = Stats::default();
    let mut time = 1_700_000_000 * SEC;
    let start = Instant::now();
    let total = 100_000u64;
    let mut decode_time = Duration::ZERO;
    let mut plans = 0u64;

    let mut account = |list: Vec<ietfwg_6lo::lowpan::IncompleteDatagram>,
                       open: &mut HashSet<FragKey>,
                       open_noise: &mut HashSet<FragKey>,
                       incomplete: &mut u64| {
        for i in list {
            *reasons.entry(format!("{:?}", i.reason)).or_default() += 1;
            if open_noise.remove(&i.key) {
                continue;
            }
            assert!(
                open.remove(&i.key),
                "an incomplete datagram that is not open (or reported twice): {:?}",
                i.key
            );
            assert_ne!(i.reason, IncompleteReason::EndOfCapture, "{i:?}");
            *incomplete += 1;
        }
    };

    for n in 1..=total {
        time += 1_000_000 + rng.below(20_000_000) as u64;
        if n % 20_000 == 0 {
            time += 61 * SEC; // a quiet minute: what is in flight expires
        }
        let noise = rng.chance(10);
        let frame = if noise {
            // Random size, tag, offset and length: errors (past the end, size 0, overlaps)
            // are expected, panics and unbounded growth are not.
            let src = noise_sources[rng.below(noise_sources.len())];
            let size = rng.below(2048) as u16;
            let tag = rng.below(8) as u16;
            let offset = if rng.chance(30) {
                0
            } else {
                8 * (1 + rng.below(255))
            };
            let mut f = mac_header(n as u8, 0x0001, src);
            f.extend(frag_header(size, tag, offset));
            if offset == 0 {
                f.push(0x41);
            }
            for _ in 0..rng.below(100) {
                f.push(rng.byte());
            }
            f
        } else {
            // Start a datagram when there are few in flight, else continue one.
            if active.len() < 50 || rng.chance(5) {
                let src = planned_sources[rng.below(planned_sources.len())];
                let tag = next_tag.entry(src).or_insert(0);
                *tag += 1;
                let size = 41 + rng.below(1280 - 41);
                let bytes = datagram(&mut rng, size);
                let mut todo = fragments(&mut rng, size);
                let complete = todo.len() == 1 || rng.chance(60);
                if !complete {
                    let drop = rng.below(todo.len());
                    todo.remove(drop);
                }
                // Reorder some and duplicate some.
                if rng.chance(30) {
                    for i in (1..todo.len()).rev() {
                        let j = rng.below(i + 1);
                        todo.swap(i, j);
                    }
                }
                if rng.chance(20) {
                    let d = todo[rng.below(todo.len())];
                    todo.insert(rng.below(todo.len() + 1), d);
                }
                let key = FragKey {
                    src: LinkAddr::Extended(src),
                    dst: LinkAddr::Short(0x0001),
                    size: size as u16,
                    tag: *tag,
                };
                todo.reverse(); // popped from the end
                plan_complete.insert(key, complete);
                plans += 1;
                sent.insert(key, bytes.clone());
                active.push(Plan {
                    key,
                    src,
                    bytes,
                    todo,
                });
            }
            let pi = rng.below(active.len());
            let plan = &mut active[pi];
            let (off, len) = plan.todo.pop().unwrap();
            let mut f = mac_header(n as u8, 0x0001, plan.src);
            f.extend(frag_header(plan.key.size, plan.key.tag, off));
            if off == 0 {
                f.push(0x41);
            }
            f.extend_from_slice(&plan.bytes[off..off + len]);
            if plan.todo.is_empty() {
                active.swap_remove(pi);
            }
            f
        };

        let t = Instant::now();
        let report = dec.decode_frame(&frame, FcsMode::None, n, time);
        let dt = t.elapsed();
        decode_time += dt;
        stats.slowest = stats.slowest.max(dt);
        check(&report, &frame, &format!("flood frame {n}"), &mut stats);

        // Reports first: a push expires or evicts older datagrams before it stores its own
        // fragment, possibly under the same key.
        let gone = dec.take_expired();
        account(gone, &mut open, &mut open_noise, &mut incomplete);
        let frag = report
            .lowpan
            .as_ref()
            .and_then(|l| l.fragment.as_ref())
            .map(|f| f.key);
        if let Some(key) = frag {
            let is_noise = noise_keys.contains(&key.src);
            if is_noise {
                match (&report.error, &report.datagram) {
                    // A noise fragment was refused, or dropped its datagram (overlap).
                    (Some(e), _) if e.to_string().contains("dropped") => {
                        open_noise.remove(&key);
                    }
                    (Some(_), _) => {}
                    (None, Some(_)) => {
                        open_noise.remove(&key);
                    }
                    (None, None) => {
                        open_noise.insert(key);
                    }
                }
            } else {
                assert!(
                    report.error.is_none(),
                    "flood frame {n}: {:?}",
                    report.error
                );
                let plan_complete = plan_complete.get(&key).copied();
                if let Some(d) = &report.datagram {
                    if !open.remove(&key) {
                        started += 1; // a one-fragment datagram
                    }
                    completed += 1;
                    assert_eq!(d.length, usize::from(key.size));
                    assert_eq!(
                        Some(&d.bytes),
                        sent.get(&key),
                        "flood frame {n}: reassembled bytes"
                    );
                    let s = d.ipv6.as_ref().expect("valid IPv6 header");
                    assert_eq!(usize::from(s.payload_length) + 40, d.length);
                    assert_eq!(
                        plan_complete,
                        Some(true),
                        "flood frame {n}: a datagram with a dropped fragment completed"
                    );
                } else if open.insert(key) {
                    // New, or a key seen again after completing or being given up.
                    started += 1;
                }
            }
        }

        // What the decoder may hold: every open key. Its limits bound it (datagrams that were
        // evicted were reported above, so `open` is exactly the decoder's set).
        let held: usize = open.len() + open_noise.len();
        assert!(
            held <= limits.max_datagrams,
            "frame {n}: {held} datagrams may be in flight (limit {})",
            limits.max_datagrams
        );
        if n % 16 == 0 {
            let bytes: usize = open
                .iter()
                .chain(open_noise.iter())
                .map(|k| cost(usize::from(k.size)))
                .sum();
            assert!(
                bytes <= limits.max_bytes,
                "frame {n}: {bytes} buffer bytes may be in flight"
            );
        }
    }
    // The end: everything still open is reported exactly once.
    let left = dec.finish();
    let mut at_end = 0u64;
    for i in left {
        *reasons.entry(format!("{:?}", i.reason)).or_default() += 1;
        if open_noise.remove(&i.key) {
            continue;
        }
        assert!(open.remove(&i.key), "{:?} reported twice", i.key);
        at_end += 1;
    }
    assert!(
        open.is_empty(),
        "never reported: {:?}",
        open.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        open_noise.is_empty(),
        "noise never reported: {}",
        open_noise.len()
    );
    assert!(dec.finish().is_empty());
    let elapsed = start.elapsed();
    eprintln!(
        "flood: {total} frames in {elapsed:?} (decoding {decode_time:?}, slowest {:?}); {plans} datagrams sent, {} of them whole; {started} started, {completed} completed, \
         {incomplete} given up, {at_end} open at the end; reasons {reasons:?}; {} errors {:?}",
        stats.slowest, plan_complete.values().filter(|c| **c).count(), stats.errors, stats.by_layer
    );
    assert_eq!(started, completed + incomplete + at_end);
    assert!(completed > 1000, "{completed} completed");
    assert!(incomplete > 100, "{incomplete} given up");
    assert!(reasons.contains_key("Expired") && reasons.contains_key("Evicted"));
}

// ---------------------------------------------------------------------------------------------
// Known bug
// ---------------------------------------------------------------------------------------------

/// `Error` documents its offset as counted from the first byte of the frame, but the
/// reassembly errors that `decode_frame` passes through from `Reassembler::push` carry an offset
/// in the reassembled datagram: a 28-byte frame gets "byte 256".
#[test]
fn reassembly_errors_point_into_the_frame() {
    let src = [0x00, 0x12, 0x4b, 0x00, 0x00, 0x01, 0x02, 0x03];
    let mut dec = decoder(Limits::default());

    // 1. A FRAGN past datagram_size: size 64, tag 1, datagram_offset 32 (byte 256), 8 bytes.
    let mut past_end = mac_header(1, 0x0002, src); // 15 bytes
    past_end.extend(frag_header(64, 1, 256)); // e0 40 00 01 20, at bytes 15..20
    past_end.extend_from_slice(&[0xaa; 8]);
    assert_eq!(
        hex::encode(&past_end),
        "41d801cdab020003020100004b1200e040000120aaaaaaaaaaaaaaaa"
    );
    let r = dec.decode_frame(&past_end, FcsMode::None, 1, 0);
    let e = r.error.expect("a fragment past datagram_size is an error");
    assert_eq!(
        (e.layer(), e.field()),
        (Layer::Reassembly, "datagram_offset")
    );
    assert!(e.to_string().contains("256..264"), "{e}");
    // It should name the datagram_offset octet of the FRAGN header (byte 19).
    assert!(
        (15..20).contains(&e.offset()),
        "offset {} is not in the FRAGN header at bytes 15..20 of the {}-byte frame: {e}",
        e.offset(),
        past_end.len()
    );

    // 2. Overlapping fragments that disagree: FRAG1 (0x41 + 48 bytes of 0x11) then a FRAGN at
    //    offset 40 with 16 bytes of 0x22; they disagree at datagram byte 40.
    let mut frag1 = mac_header(2, 0x0002, src);
    frag1.extend(frag_header(96, 2, 0)); // c0 60 00 02
    frag1.push(0x41);
    frag1.extend_from_slice(&[0x11; 48]);
    assert!(dec
        .decode_frame(&frag1, FcsMode::None, 2, 0)
        .error
        .is_none());
    let mut fragn = mac_header(3, 0x0002, src);
    fragn.extend(frag_header(96, 2, 40)); // e0 60 00 02 05
    fragn.extend_from_slice(&[0x22; 16]);
    let r = dec.decode_frame(&fragn, FcsMode::None, 3, 0);
    let e = r.error.expect("disagreeing overlap is an error");
    assert!(e.to_string().contains("datagram byte 40"), "{e}");
    assert!(
        e.offset() <= fragn.len(),
        "offset {} past the {}-byte frame: {e}",
        e.offset(),
        fragn.len()
    );
}
