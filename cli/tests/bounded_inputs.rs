//! Malformed and hostile captures: `ikev2 summary`/`audit` count a packet that cannot be read
//! and go on, forged SKF fragments give bounded output, the `--keys` reader is bounded, and the
//! memory of `ikev2 summary` and `6lo decode` stays flat however long the capture. Captures are
//! built here (or streamed to stdin), never committed.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A pcap file (linktype RAW, IPv4) holding `packets`.
fn pcap(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut v = pcap_header();
    for p in packets {
        v.extend(pcap_record(p));
    }
    v
}

fn pcap_header() -> Vec<u8> {
    pcap_header_for(101) // LINKTYPE_RAW
}

fn pcap_header_for(linktype: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(0xa1b2_c3d4u32.to_le_bytes()); // magic, microseconds
    v.extend(2u16.to_le_bytes()); // version 2.4
    v.extend(4u16.to_le_bytes());
    v.extend(0i32.to_le_bytes()); // thiszone
    v.extend(0u32.to_le_bytes()); // sigfigs
    v.extend(65535u32.to_le_bytes()); // snaplen
    v.extend(linktype.to_le_bytes()); // network
    v
}

fn pcap_record(p: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(16 + p.len());
    v.extend(1u32.to_le_bytes()); // ts_sec
    v.extend(0u32.to_le_bytes()); // ts_usec
    v.extend((p.len() as u32).to_le_bytes()); // incl_len
    v.extend((p.len() as u32).to_le_bytes()); // orig_len
    v.extend_from_slice(p);
    v
}

/// An IPv4/UDP packet from `src` port 500 to 192.0.2.2 port 500.
fn udp500(src: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    etherparse::PacketBuilder::ipv4(src, [192, 0, 2, 2], 64)
        .udp(500, 500)
        .write(&mut v, payload)
        .unwrap();
    v
}

/// An IKEv2 header (RFC 7296 §3.1) followed by `body`; `next` is the first payload's type.
fn ike(spi_i: u64, exchange: u8, flags: u8, message_id: u32, next: u8, body: &[u8]) -> Vec<u8> {
    let mut v = spi_i.to_be_bytes().to_vec(); // IKE SA Initiator's SPI
    v.extend(if flags & 0x20 == 0 && exchange == 34 {
        [0; 8]
    } else {
        [7; 8]
    }); // IKE SA Responder's SPI
    v.push(next); // Next Payload
    v.push(0x20); // Version 2.0
    v.push(exchange); // Exchange Type
    v.push(flags); // Flags
    v.extend(message_id.to_be_bytes()); // Message ID
    v.extend(((28 + body.len()) as u32).to_be_bytes()); // Length
    v.extend_from_slice(body);
    v
}

/// An IKE_SA_INIT request (I flag) of SA `spi_i` with one Nonce payload (RFC 7296 §3.9).
fn sa_init(spi_i: u64) -> Vec<u8> {
    let mut nonce = vec![0, 0, 0, 20]; // Next: none, length 20
    nonce.extend([0x5a; 16]);
    ike(spi_i, 34, 0x08, 0, 40, &nonce)
}

/// An SKF payload (RFC 7383 §2.5): fragment `n` of `total`, 16 octets of IV/ciphertext/ICV.
fn skf(spi_i: u64, message_id: u32, n: u16, total: u16) -> Vec<u8> {
    let mut body = vec![0, 0, 0, 24]; // Next: none, length 24
    body.extend(n.to_be_bytes()); // Fragment Number
    body.extend(total.to_be_bytes()); // Total Fragments
    body.extend([0xc3; 16]);
    ike(spi_i, 35, 0x08, message_id, 53, &body) // IKE_AUTH request
}

/// A UDP header claiming 456 octets in a packet that carries fewer.
fn bad_udp_length() -> Vec<u8> {
    let mut p = udp500([192, 0, 2, 1], &sa_init(1));
    p[24..26].copy_from_slice(&456u16.to_be_bytes()); // UDP Length
    p
}

/// The malformed captures of the corpus stop nothing: the bad packet is counted, exit 1.
#[test]
fn malformed_corpus_captures_are_counted_not_fatal() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = shared.join("corpus/ikev2/tcpdump");
    for name in [
        "isakmp-delete-segfault.pcap",
        "ikev1_id_ipv6_addr_subnet-oobr.pcap",
        "isakmp-ikev1_n_print-oobr.pcap",
        "isakmp-various-oobr.pcap",
        "isakmpv1-attr-oobr.pcap",
    ] {
        let path = dir.join(name);
        let path = path.to_str().unwrap();
        for cmd in ["summary", "audit"] {
            for json in [false, true] {
                let mut args = vec!["ikev2", cmd, path];
                if json {
                    args.push("--json");
                }
                let o = common::ietfwg(&args);
                let err = common::stderr(&o);
                assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
                let last = err.lines().last().unwrap_or_default();
                assert!(
                    last.contains("could not be read"),
                    "{args:?}: summary line {last:?}"
                );
            }
        }
    }
}

/// A packet after the bad one is still analysed.
#[test]
fn packets_after_a_bad_one_are_analysed() {
    let cap = pcap(&[bad_udp_length(), udp500([192, 0, 2, 1], &sa_init(0x1111))]);
    for cmd in ["summary", "audit"] {
        let o = common::ietfwg_stdin(&["ikev2", cmd, "-"], &cap);
        let err = common::stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{cmd}: {err}");
        assert!(err.contains("frame 1: UDP length 456"), "{err}");
        assert!(err.contains("1 packet could not be read"), "{err}");
        assert!(err.contains("1 IKE SAs"), "{cmd}: {err}");
    }
    let o = common::ietfwg_stdin(&["ikev2", "summary", "--json", "-"], &cap);
    assert!(common::stdout(&o).contains("0000000000001111"));
}

/// Forged SKF fragments ("fragment 1 of 65535" and the like, no keys needed): the missing
/// Fragment Numbers are listed only up to a few, then counted. 3,000 such frames (distinct
/// messages) stay under 2,000 octets of output per frame (the ladder line, the SKF entry and the
/// finding of each) and do not abort.
#[test]
fn forged_skf_fragments_give_bounded_output() {
    let one = pcap(&[udp500([192, 0, 2, 1], &skf(0x2222, 1, 1, 65535))]);
    for cmd in ["summary", "audit"] {
        for json in [false, true] {
            let mut args = vec!["ikev2", cmd, "-"];
            if json {
                args.push("--json");
            }
            let o = common::ietfwg_stdin(&args, &one);
            assert!(o.status.code().is_some_and(|c| c < 2), "{args:?}");
            let size = o.stdout.len() + o.stderr.len();
            assert!(size < 8_000, "{args:?}: {size} octets of output");
        }
    }
    let flood: Vec<Vec<u8>> = (0..3000u32)
        .map(|i| {
            udp500(
                [192, 0, 2, 1],
                &skf(0x3333, i + 1, (i % 7) as u16 + 2, 65535),
            )
        })
        .collect();
    let cap = pcap(&flood);
    for args in [
        ["ikev2", "summary", "-"],
        ["ikev2", "audit", "-"],
        ["ikev2", "summary", "--json"],
    ] {
        let o = common::ietfwg_stdin(&args, &cap);
        assert!(
            o.status.code().is_some_and(|c| c < 2),
            "{args:?}: {}",
            common::stderr(&o)
        );
        let size = o.stdout.len() + o.stderr.len();
        assert!(size < 3000 * 2000, "{args:?}: {size} octets of output");
    }
}

/// A directory of its own under the system's temporary directory.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ietfwg-bounds-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The `--keys` reader is bounded: an endless file, an oversized one and an overlong line are
/// refused with the file and the limit named; a line that is not UTF-8 is named by number.
#[test]
fn key_table_reader_is_bounded() {
    let dir = temp_dir("keys");
    let cap = dir.join("one.pcap");
    std::fs::write(&cap, pcap(&[udp500([192, 0, 2, 1], &sa_init(5))])).unwrap();
    let cap = cap.to_str().unwrap();
    let big = dir.join("big.keys");
    std::fs::write(&big, vec![b'\n'; (16 << 20) + 1]).unwrap();
    let long = dir.join("long.keys");
    std::fs::write(&long, format!("# fine\n{}\n", "a".repeat(5000))).unwrap();
    let binary = dir.join("binary.keys");
    std::fs::write(&binary, b"# a comment\n\n\xff\xfe\n").unwrap();
    let cases = [
        (
            "/dev/zero".to_owned(),
            "/dev/zero: larger than the limit of 16777216 octets",
        ),
        (
            big.display().to_string(),
            "big.keys: larger than the limit of 16777216 octets",
        ),
        (
            long.display().to_string(),
            "long.keys: line 2 is longer than the limit of 4096 octets",
        ),
        (
            binary.display().to_string(),
            "binary.keys: line 3 is not UTF-8",
        ),
    ];
    for (keys, want) in &cases {
        for cmd in ["decode", "summary", "audit"] {
            let o = common::ietfwg(&["ikev2", cmd, "--keys", keys, cap]);
            let err = common::stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{cmd} {keys}: {err}");
            assert!(err.contains(want), "{cmd} {keys}: {err}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Peak resident memory (`VmHWM`, kB) of `ietfwg ARGS… -` while it reads a pcap of link type
/// `linktype` holding `n` frames made by `frame(i)`, streamed to its stdin (the capture is never
/// held whole here, so a million frames cost this process nothing). Read once the whole capture
/// was written (all but a pipe buffer consumed) and the process has had a moment to take the
/// rest, before stdin is closed — so the figure is of the reading, not of the end. Output goes to
/// /dev/null.
pub fn peak_rss_kb(
    args: &[&str],
    linktype: u32,
    n: usize,
    frame: &impl Fn(usize) -> Vec<u8>,
) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ietfwg"))
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ietfwg");
    let mut input = std::io::BufWriter::with_capacity(1 << 16, child.stdin.take().expect("stdin"));
    input
        .write_all(&pcap_header_for(linktype))
        .expect("write the capture");
    for i in 0..n {
        input
            .write_all(&pcap_record(&frame(i)))
            .expect("write the capture");
    }
    input.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    drop(input);
    child.wait().unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in {status}"))
}

/// Peak memory of `ietfwg ARGS…` on `small` and on `large` frames made by `frame(i)`: the
/// second may exceed the first by at most `margin_kb`.
pub fn assert_flat(
    args: &[&str],
    small: usize,
    large: usize,
    margin_kb: u64,
    frame: impl Fn(usize) -> Vec<u8>,
) {
    assert_flat_on(101, args, small, large, margin_kb, frame);
}

/// [`assert_flat`] with frames of another link type.
pub fn assert_flat_on(
    linktype: u32,
    args: &[&str],
    small: usize,
    large: usize,
    margin_kb: u64,
    frame: impl Fn(usize) -> Vec<u8>,
) {
    let a = peak_rss_kb(args, linktype, small, &frame);
    let b = peak_rss_kb(args, linktype, large, &frame);
    assert!(
        b <= a + margin_kb,
        "{args:?}: {a} kB peak on {small} frames, {b} kB on {large}"
    );
}

/// `ikev2 summary` memory stays flat on 10,000 vs 1,000,000 copies of one IKE_SA_INIT request
/// (retransmissions: counted, not stored beyond a few copies). Some seconds in a debug build.
#[test]
fn summary_memory_flat_under_retransmissions() {
    let packet = udp500([192, 0, 2, 1], &sa_init(0x42));
    assert_flat(&["ikev2", "summary"], 10_000, 1_000_000, 8 * 1024, |_| {
        packet.clone()
    });
}

/// `ikev2 summary` memory stays flat on 10,000 vs 40,000 distinct IKE SAs (one IKE_SA_INIT
/// request each: the SA table is capped, the least recently active SA summarised early). A
/// few seconds in a debug build.
#[test]
fn summary_memory_flat_under_distinct_sas() {
    assert_flat(&["ikev2", "summary"], 10_000, 40_000, 8 * 1024, |i| {
        udp500([192, 0, 2, 1], &sa_init(i as u64 + 1))
    });
}

/// `ikev2 summary` memory stays flat on 10,000 vs 40,000 SKF fragments that never complete a
/// message (fragment 1 of 2 of a new Message ID each). A few seconds in a debug build.
#[test]
fn summary_memory_flat_under_unfinished_skf() {
    assert_flat(&["ikev2", "summary"], 10_000, 40_000, 8 * 1024, |i| {
        udp500([192, 0, 2, 1], &skf(0x77, i as u32 + 1, 1, 2))
    });
}

/// The eviction is reported: in text and JSON (an `SA_TABLE_FULL` finding) and in the closing
/// line; copies of one message beyond the kept ones are counted in a finding.
#[test]
fn evictions_and_counted_retransmissions_are_reported() {
    let sas: Vec<Vec<u8>> = (0..4200u64)
        .map(|i| udp500([192, 0, 2, 1], &sa_init(i + 1)))
        .collect();
    let cap = pcap(&sas);
    let o = common::ietfwg_stdin(&["ikev2", "summary", "-"], &cap);
    let (out, err) = (common::stdout(&o), common::stderr(&o));
    assert!(out.contains("SA_TABLE_FULL"), "{err}");
    assert!(err.contains("4200 IKE SAs"), "{err}");
    assert!(err.contains("IKE SAs summarised early"), "{err}");
    let o = common::ietfwg_stdin(&["ikev2", "summary", "--json", "-"], &cap);
    assert!(common::stdout(&o).contains("\"code\":\"SA_TABLE_FULL\""));
    let o = common::ietfwg_stdin(&["ikev2", "audit", "-"], &cap);
    assert!(common::stderr(&o).contains("IKE SAs summarised early"));

    let copies = vec![udp500([192, 0, 2, 1], &sa_init(9)); 100];
    let o = common::ietfwg_stdin(&["ikev2", "summary", "--json", "-"], &pcap(&copies));
    let out = common::stdout(&o);
    assert!(out.contains("RETRANSMISSIONS_COUNTED"), "{out}");
    assert!(out.contains("84 further retransmission(s)"), "{out}");
}

/// An IEEE 802.15.4-2006 data frame (no FCS; PAN ID compression, short addresses, PAN 0xabcd)
/// from short address `src` to 0x0001, carrying `payload` (IEEE 802.15.4-2015 §7.2).
fn wpan(src: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x41, 0x98]; // FCF: data, PAN ID compression, dst short, 2006, src short
    v.push(1); // sequence number
    v.extend(0xabcdu16.to_le_bytes()); // destination PAN
    v.extend(0x0001u16.to_le_bytes()); // destination
    v.extend(src.to_le_bytes()); // source
    v.extend_from_slice(payload);
    v
}

/// LINKTYPE_IEEE802_15_4_NOFCS.
const WPAN_NOFCS: u32 = 230;

/// `6lo decode`'s peak memory on 10,000 and on 40,000 802.15.4 frames made by `frame(i)`
/// differs by at most 8 MiB.
fn sixlo_decode_flat(frame: impl Fn(usize) -> Vec<u8>) {
    assert_flat_on(
        WPAN_NOFCS,
        &["6lo", "decode"],
        10_000,
        40_000,
        8 * 1024,
        frame,
    );
}

/// `6lo decode` memory stays flat on 10,000 vs 40,000 RFC 4944 FRAG1 fragments, each the
/// first of another 1280-octet datagram that never completes (all at one capture time, so none
/// times out). A few seconds in a debug build.
#[test]
fn sixlo_memory_flat_under_frag1_flood() {
    sixlo_decode_flat(|i| {
        let mut p = vec![0xc5, 0x00]; // FRAG1, datagram_size 1280 (RFC 4944 §5.3)
        p.extend((i as u16).to_be_bytes()); // datagram_tag
        p.extend([0x7a, 0x33, 0x3a]); // IPHC: link-local addresses elided, NH 58 inline
        p.extend([0; 8]);
        wpan((i >> 16) as u16 + 2, &p)
    });
}

/// `6lo decode` memory stays flat on 10,000 vs 40,000 RFC 8931 RFRAG first fragments of
/// datagrams that never complete. A few seconds in a debug build.
#[test]
fn sixlo_memory_flat_under_rfrag_flood() {
    sixlo_decode_flat(|i| {
        let mut p = vec![0xe8, i as u8]; // RFRAG, Datagram_Tag (RFC 8931 §5.1)
        p.extend(10u16.to_be_bytes()); // X=0, Sequence 0, Fragment_Size 10
        p.extend(1280u16.to_be_bytes()); // Datagram_Size (first fragment)
        p.extend([0x7a, 0x33, 0x3a]); // IPHC: link-local addresses elided, NH 58 inline
        p.extend([0; 7]);
        wpan((i >> 8) as u16 + 2, &p)
    });
}

/// `6lo decode` memory stays flat on 10,000 vs 1,000,000 ordinary 802.15.4 frames (IPHC,
/// link-local addresses from the link layer, ICMPv6 inline) from a thousand senders: nothing
/// per frame outlives the frame. About fifteen seconds in a debug build.
#[test]
fn sixlo_memory_flat_on_a_million_frames() {
    assert_flat_on(
        WPAN_NOFCS,
        &["6lo", "decode"],
        10_000,
        1_000_000,
        8 * 1024,
        |i| {
            let mut p = vec![0x7a, 0x33, 0x3a]; // IPHC: link-local addresses elided, NH 58 inline
            p.extend([0x80, 0, 0, 0, 0, 1, 0, i as u8]); // ICMPv6 echo request (RFC 4443 §4.1)
            wpan((i % 1000) as u16 + 2, &p)
        },
    );
}
