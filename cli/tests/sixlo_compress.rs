//! `ietfwg 6lo compress`: round trips through the binary, tshark's reading of what it writes,
//! compressed size against the corpus' own encoding, `--stats`, and IPv6 input from Ethernet.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::*;

const CONTEXT: &str = "0=2001:db8:1::/64";
const TSHARK_CONTEXT0: &str = "6lowpan.context0:2001:db8:1::/64";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every capture of the shared corpus (when present) and of pcaps/6lo.
fn inputs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(s) = shared() {
        v.extend(captures(&s.join("corpus/6lo")));
    }
    v.extend(captures(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo"),
    ));
    v
}

/// (link type, packet data) of a classic pcap, either byte order, µs or ns.
fn read_pcap(path: &Path) -> (u32, Vec<Vec<u8>>) {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (mut rest, header) = pcap_parser::parse_pcap_header(&data).unwrap();
    let mut frames = Vec::new();
    while !rest.is_empty() {
        let (r, b) = if header.is_bigendian() {
            pcap_parser::parse_pcap_frame_be(rest)
        } else {
            pcap_parser::parse_pcap_frame(rest)
        }
        .unwrap();
        frames.push(b.data.to_vec());
        rest = r;
    }
    (header.network.0 as u32, frames)
}

struct Tmp(PathBuf);

impl Tmp {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("ietfwg-compress-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        if std::env::var_os("IETFWG_KEEP_TMP").is_some() {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn decompress(input: &Path, output: &Path) {
    let out = ietfwg(&[
        "6lo",
        "decompress",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
        "--context",
        CONTEXT,
    ]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "decompress {}: {}",
        input.display(),
        text(&out.stderr)
    );
}

/// Runs `6lo compress` and returns (exit code, stderr).
fn compress(input: &Path, output: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "6lo",
        "compress",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
        "--context",
        CONTEXT,
    ];
    args.extend_from_slice(extra);
    let out = ietfwg(&args);
    (out.status.code().unwrap_or(-1), text(&out.stderr))
}

/// The datagrams stderr names as not compressed, with their reasons.
fn not_compressed(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("datagram not compressed"))
        .collect()
}

/// `b` is `a` with exactly `missing` datagrams left out, order kept.
fn assert_subsequence(a: &[Vec<u8>], b: &[Vec<u8>], missing: usize, what: &str) {
    let mut it = a.iter();
    for (i, d) in b.iter().enumerate() {
        assert!(
            it.any(|x| x == d),
            "{what}: datagram {i} of the round trip ({} bytes) is not in the original: {}",
            d.len(),
            hex::encode(d)
        );
    }
    assert_eq!(
        a.len() - b.len(),
        missing,
        "{what}: {} datagrams in, {} back, {missing} reported not compressed",
        a.len(),
        b.len()
    );
}

const VARIANTS: &[&[&str]] = &[
    &[],
    &["--frame-size", "60"],
    &["--mesh-hops", "5"],
    &["--mesh-hops", "20", "--bc0"],
    &["--bc0"],
    &["--fcs"],
    &["--elide-udp-checksum"],
];

/// decompress(compress(x)) gives the datagrams decompress(x) gives, byte for byte.
#[test]
fn round_trip_every_capture() {
    let tmp = Tmp::new("rt");
    let files = inputs();
    assert!(files.len() >= 7, "{files:?}");
    let mut total = 0usize;
    for x in &files {
        let name = x.file_name().unwrap().to_string_lossy().to_string();
        let a = tmp.file("a.pcap");
        decompress(x, &a);
        let (lt, a_dg) = read_pcap(&a);
        assert_eq!(lt, 101);
        for extra in VARIANTS {
            let what = format!("{name} {extra:?}");
            let c = tmp.file("c.pcap");
            let (code, err) = compress(x, &c, extra);
            assert!(matches!(code, 0 | 1), "{what}: exit {code}: {err}");
            let (lt, frames) = read_pcap(&c);
            let fcs = extra.contains(&"--fcs");
            assert_eq!(lt, if fcs { 195 } else { 230 }, "{what}");
            let size: usize = extra
                .iter()
                .position(|a| *a == "--frame-size")
                .map_or(127, |i| extra[i + 1].parse().unwrap());
            for f in &frames {
                assert!(
                    f.len() + if fcs { 0 } else { 2 } <= size,
                    "{what}: a {}-octet frame is over {size}",
                    f.len()
                );
            }
            // Datagrams may only be left out for a frame size too small for their headers;
            // those that are not IPv6 at all never reach a.pcap either.
            let failed = not_compressed(&err);
            let mut missing = 0;
            for l in &failed {
                if l.contains("not IPv6") {
                    continue;
                }
                assert!(
                    size < 127 && l.contains("frame size"),
                    "{what}: unexpected failure: {l}"
                );
                missing += 1;
            }
            let b = tmp.file("b.pcap");
            decompress(&c, &b);
            let (_, b_dg) = read_pcap(&b);
            assert_subsequence(&a_dg, &b_dg, missing, &what);
            total += b_dg.len();
        }
    }
    eprintln!(
        "{} captures x {} variants: {total} datagrams round-tripped",
        files.len(),
        VARIANTS.len()
    );
    assert!(total > 100);
}

const IPV6_FIELDS: &[&str] = &[
    "ipv6.src",
    "ipv6.dst",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.tclass",
    "ipv6.flow",
    "udp.srcport",
    "udp.dstport",
];

/// tshark's rows for the frames that have an IPv6 layer (IPV6_FIELDS, then `more`), and the
/// values of `more` on every frame.
fn ipv6_rows(file: &Path, more: &[&str]) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let mut fields = IPV6_FIELDS.to_vec();
    fields.extend_from_slice(more);
    let rows = tshark_fields(file, &["-o", TSHARK_CONTEXT0], &fields);
    let extra = rows
        .iter()
        .map(|r| r[IPV6_FIELDS.len()..].to_vec())
        .collect();
    let ip = rows
        .into_iter()
        .filter(|r| r.first().is_some_and(|s| !s.is_empty()))
        .map(|mut r| {
            r.truncate(IPV6_FIELDS.len());
            r
        })
        .collect();
    (ip, extra)
}

/// tshark reads our frames as the same IPv6 datagrams as the decompressed originals (plain, and
/// fragmented behind mesh and BC0 headers); with --fcs every FCS checks.
#[test]
fn tshark_reads_the_same_ipv6_fields() {
    if tshark().is_none() {
        return;
    }
    let files = inputs();
    let compared = std::sync::atomic::AtomicUsize::new(0);
    // Two workers: tshark's start-up dominates.
    std::thread::scope(|s| {
        for (w, chunk) in files.chunks(files.len().div_ceil(2).max(1)).enumerate() {
            let compared = &compared;
            s.spawn(move || {
                let tmp = Tmp::new(&format!("tshark{w}"));
                for x in chunk {
                    let name = x.file_name().unwrap().to_string_lossy().to_string();
                    let a = tmp.file("a.pcap");
                    decompress(x, &a);
                    if read_pcap(&a).1.is_empty() {
                        continue;
                    }
                    let (want, _) = ipv6_rows(&a, &[]);
                    for extra in [
                        &[][..],
                        &["--fcs", "--mesh-hops", "3", "--bc0", "--frame-size", "80"][..],
                    ] {
                        let c = tmp.file("c.pcap");
                        let (code, err) = compress(x, &c, extra);
                        assert!(matches!(code, 0 | 1), "{name}: {err}");
                        if not_compressed(&err).iter().any(|l| !l.contains("not IPv6")) {
                            continue; // left to the round trip test
                        }
                        let fcs = extra.contains(&"--fcs");
                        let (got, fcs_ok) = ipv6_rows(&c, if fcs { &["wpan.fcs_ok"] } else { &[] });
                        assert_eq!(got, want, "{name} {extra:?}");
                        compared.fetch_add(got.len(), std::sync::atomic::Ordering::Relaxed);
                        if fcs {
                            assert!(
                                fcs_ok.iter().all(|r| r[0] == "1"),
                                "{name}: tshark finds a bad FCS: {fcs_ok:?}"
                            );
                        }
                    }
                }
            });
        }
    });
    let compared = compared.into_inner();
    eprintln!("{compared} IPv6 datagrams read alike by tshark");
    assert!(compared > 100);
}

/// Per unfragmented datagram, in order: (datagram bytes, MAC payload octets, IPHC/NHC octets).
fn unfragmented_sizes(file: &Path) -> Vec<(String, Option<(u64, u64)>)> {
    let out = ietfwg(&[
        "6lo",
        "decode",
        "--json",
        file.to_str().unwrap(),
        "--context",
        CONTEXT,
    ]);
    ndjson(&out)
        .into_iter()
        .filter(|v| v["datagram"]["ipv6"].is_object())
        .map(|v| {
            let bytes = v["datagram"]["bytes"].as_str().unwrap_or("").to_string();
            let unfragmented = v["lowpan"]["fragment"].is_null();
            let payload = v["mac"]["payload_len"].as_u64();
            let c = &v["lowpan"]["compression"];
            let hdr = c["compressed_len"]
                .as_u64()
                .or_else(|| c["hc1"]["consumed"].as_u64().map(|n| n + 1))
                .unwrap_or(41);
            (bytes, payload.filter(|_| unfragmented).map(|p| (p, hdr)))
        })
        .collect()
}

/// Our encoding is never larger than the one in the capture, summed per file over the
/// datagrams both carry unfragmented.
#[test]
fn never_larger_than_the_corpus_encoding() {
    let tmp = Tmp::new("size");
    let (mut all_theirs, mut all_ours) = (0, 0);
    for x in inputs() {
        let name = x.file_name().unwrap().to_string_lossy().to_string();
        let c = tmp.file("c.pcap");
        compress(&x, &c, &[]);
        let theirs = unfragmented_sizes(&x);
        let ours = unfragmented_sizes(&c);
        let (mut t_pl, mut o_pl, mut t_hdr, mut o_hdr, mut n) = (0, 0, 0, 0, 0);
        let mut it = theirs.iter();
        for (bytes, o) in &ours {
            let Some((_, t)) = it.find(|(b, _)| b == bytes) else {
                panic!("{name}: a datagram of ours is not in the capture")
            };
            if let (Some((tp, th)), Some((op, oh))) = (t, o) {
                t_pl += tp;
                o_pl += op;
                t_hdr += th;
                o_hdr += oh;
                n += 1;
            }
        }
        eprintln!(
            "{name}: {n} unfragmented datagrams: MAC payload {o_pl} ours vs {t_pl} capture; \
             compressed headers {o_hdr} ours vs {t_hdr} capture"
        );
        assert!(
            o_pl <= t_pl,
            "{name}: our frames carry {o_pl} payload octets, the capture's {t_pl}"
        );
        all_theirs += t_pl;
        all_ours += o_pl;
    }
    eprintln!("all files: MAC payload {all_ours} ours vs {all_theirs} capture");
    assert!(all_theirs > 0);
}

/// A classic µs pcap of the given link type.
fn pcap(linktype: u32, packets: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // magic, µs
    v.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    v.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    v.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
    v.extend_from_slice(&linktype.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        v.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes()); // ts_sec
        v.extend_from_slice(&(500u32).to_le_bytes()); // ts_usec
        v.extend_from_slice(&(p.len() as u32).to_le_bytes()); // incl_len
        v.extend_from_slice(&(p.len() as u32).to_le_bytes()); // orig_len
        v.extend_from_slice(p);
    }
    v
}

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 2];

/// fe80::ff:fe00:1 (IID from the short address 0x0001).
const LL_SHORT1: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 1];
/// fe80::ff:fe00:2.
const LL_SHORT2: [u8; 16] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 0, 0, 2];
/// 2001:db8:1::212:4b00:1:2 (in context 0; IID from EUI-64 00:12:4b:00:00:01:00:02).
const GLOBAL_EUI: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0x02, 0x12, 0x4b, 0, 0, 1, 0, 2,
];
/// ff02::1.
const ALL_NODES: [u8; 16] = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// Ethernet frames: IPv6 UDP (short ↔ short), ICMPv6 echo to ff02::1, a UDP datagram too big
/// for one 802.15.4 frame, and an IPv4 packet (not IPv6, counted).
fn ethernet_packets() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    use etherparse::PacketBuilder;
    let mut eth = Vec::new();
    let mut ipv6 = Vec::new();
    let mut push = |b: PacketBuilder_, payload: &[u8]| {
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        ipv6.push(v[14..].to_vec());
        eth.push(v);
    };
    type PacketBuilder_ = etherparse::PacketBuilderStep<etherparse::UdpHeader>;
    push(
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv6(LL_SHORT1, LL_SHORT2, 64)
            .udp(5683, 5683),
        b"hello 6lo",
    );
    push(
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv6(GLOBAL_EUI, LL_SHORT2, 255)
            .udp(61616, 61617),
        &[0x5a; 300],
    );
    let mut v = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv6(GLOBAL_EUI, ALL_NODES, 1)
        .icmpv6_echo_request(7, 1)
        .write(&mut v, b"ping")
        .unwrap();
    ipv6.push(v[14..].to_vec());
    eth.push(v);
    let mut v4 = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(53, 53)
        .write(&mut v4, b"x")
        .unwrap();
    eth.push(v4);
    (eth, ipv6)
}

#[test]
fn ethernet_ipv6_input_and_stats() {
    let tmp = Tmp::new("eth");
    let (eth, ipv6) = ethernet_packets();
    let input = tmp.file("eth.pcap");
    std::fs::write(&input, pcap(1, &eth)).unwrap();
    let c = tmp.file("c.pcap");
    let (code, err) = compress(&input, &c, &["--stats", "--fcs"]);
    assert_eq!(code, 0, "{err}");
    let bytes_in: usize = ipv6.iter().map(Vec::len).sum();
    let stats = err
        .lines()
        .find(|l| l.starts_with("stats "))
        .unwrap_or_else(|| panic!("no stats line: {err}"));
    assert!(stats.contains("3 datagrams"), "{stats}");
    assert!(
        stats.contains(&format!("{bytes_in} bytes in (IPv6)")),
        "{stats}"
    );
    for needle in [
        "bytes out (802.15.4 payload)",
        "header bytes saved",
        "ratio ",
    ] {
        assert!(stats.contains(needle), "{stats}");
    }
    assert!(err.contains("1 packets IPv4, not IPv6"), "{err}");

    // The frames: link type 195 with good FCS, addresses derived from the IPv6 addresses.
    let (lt, frames) = read_pcap(&c);
    assert_eq!(lt, 195);
    assert!(frames.len() >= 4, "the 348-octet datagram is fragmented");
    let out = ietfwg(&[
        "6lo",
        "decode",
        "--json",
        c.to_str().unwrap(),
        "--context",
        CONTEXT,
    ]);
    let v = ndjson(&out);
    assert_eq!(v[0]["mac"]["src"], "0x0001");
    assert_eq!(v[0]["mac"]["dst"], "0x0002");
    assert_eq!(v[0]["mac"]["dst_pan"], 0xabcd);
    assert_eq!(v[0]["mac"]["fcs"]["ok"], true);
    assert_eq!(v[0]["mac"]["ack_request"], true);
    let last = v.last().unwrap();
    assert_eq!(last["mac"]["src"], "00:12:4b:00:00:01:00:02", "{last}");
    assert_eq!(last["mac"]["dst"], "0xffff");
    assert_eq!(last["mac"]["ack_request"], false);
    // Sequence numbers run on, frame after frame.
    let seqs: Vec<u64> = v
        .iter()
        .map(|f| f["mac"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (0..v.len() as u64).collect::<Vec<_>>());

    // And back.
    let b = tmp.file("b.pcap");
    decompress(&c, &b);
    let (_, back) = read_pcap(&b);
    assert_eq!(back, ipv6);

    // Given link addressing and PAN.
    let (code, err) = compress(
        &input,
        &c,
        &[
            "--src-addr",
            "0x0a0b",
            "--dst-addr",
            "00:11:22:33:44:55:66:77",
            "--pan",
            "0x1234",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let out = ietfwg(&[
        "6lo",
        "decode",
        "--json",
        c.to_str().unwrap(),
        "--context",
        CONTEXT,
    ]);
    let v = ndjson(&out);
    assert_eq!(v[0]["mac"]["src"], "0x0a0b");
    assert_eq!(v[0]["mac"]["dst"], "00:11:22:33:44:55:66:77");
    assert_eq!(v[0]["mac"]["dst_pan"], 0x1234);
    decompress(&c, &b);
    assert_eq!(read_pcap(&b).1, ipv6);
}

#[test]
fn exit_codes() {
    let tmp = Tmp::new("exit");
    let (eth, _) = ethernet_packets();
    let input = tmp.file("eth.pcap");
    std::fs::write(&input, pcap(1, &eth)).unwrap();
    let c = tmp.file("c.pcap");
    // A frame too small for any datagram: each is named, exit 1.
    let (code, err) = compress(&input, &c, &["--frame-size", "16"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(not_compressed(&err).len(), 3, "{err}");
    assert!(err.contains("frame size"), "{err}");
    // Usage errors and unreadable input: 2.
    let (code, _) = compress(&input, &c, &["--pan", "0xfffff"]);
    assert_eq!(code, 2);
    let (code, _) = compress(&input, &c, &["--frame-size", "5000"]);
    assert_eq!(code, 2);
    let (code, err) = compress(&tmp.file("missing.pcap"), &c, &[]);
    assert_eq!(code, 2, "{err}");
}
