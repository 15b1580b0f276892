//! The `ietfwg 6lo` command line as users meet it: inputs, exit codes, colour, pipes.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::*;

/// An 802.15.4-2006 data frame carrying an IPHC-compressed ICMPv6 echo request.
const FRAME: &str = concat!(
    "4198",     // FCF: data, PAN ID compression, dst short, 2006, src short
    "01",       // sequence number
    "cdab",     // destination PAN 0xabcd
    "ffff",     // destination 0xffff
    "0100",     // source 0x0001
    "7b3b",     // IPHC: TF=11 NH=0 HLIM=11 (255); SAC=0 SAM=11, M=1 DAC=0 DAM=11
    "3a",       // next header 58 (ICMPv6), inline
    "01",       // multicast ff02::1, 8 bits inline
    "80000000", // ICMPv6 echo request, checksum left 0
    "00000001", // identifier 0, sequence 1
);

fn pcaps(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../pcaps/6lo")
        .join(name)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn hex_frame_on_stdin_decodes() {
    let out = ietfwg_stdin(&["6lo", "decode", "--hex"], format!("{FRAME}\n").as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("fe80::ff:fe00:1 → ff02::1"), "{s}");
    assert!(s.contains("echo request"), "{s}");
    assert!(
        !s.contains('\u{1b}'),
        "piped output must not be coloured: {s:?}"
    );
}

#[test]
fn hex_payload_with_link_addresses_decodes() {
    let payload = &FRAME[18..];
    let out = ietfwg_stdin(
        &[
            "6lo",
            "decode",
            "--hex",
            "--payload",
            "--src",
            "0x0001",
            "--dst",
            "0xffff",
            "--json",
        ],
        format!("{payload}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = ndjson(&out);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["datagram"]["ipv6"]["src"], "fe80::ff:fe00:1");
    assert_eq!(v[0]["datagram"]["ipv6"]["dst"], "ff02::1");
    assert_eq!(v[0]["datagram"]["ipv6"]["hop_limit"], 255);
    // Byte strings are lowercase hex.
    let bytes = v[0]["datagram"]["bytes"].as_str().expect("hex bytes");
    assert!(
        bytes.starts_with("6000000000083aff")
            && bytes
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{bytes}"
    );
}

#[test]
fn a_frame_that_does_not_decode_exits_1_with_offset_and_field() {
    // The same frame cut inside the IPHC inline fields.
    let cut = &FRAME[..24];
    let out = ietfwg_stdin(
        &["6lo", "decode", "--hex"],
        format!("{FRAME}\n{cut}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("IPHC: truncated at byte 12"), "{s}");
    assert!(
        text(&out.stderr).contains("2 frames, 1 IPv6 datagrams, 1 frames failed to decode"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn unknown_context_is_an_error_naming_it() {
    let out = ietfwg(&[
        "6lo",
        "decode",
        pcaps("iphc-forms.pcap").to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(s.contains("context 0"), "{s}");
    let out = ietfwg(&[
        "6lo",
        "decode",
        "--context",
        "0=2001:db8:1::/64",
        pcaps("iphc-forms.pcap").to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn bad_hex_lines_are_reported_and_the_next_lines_decode() {
    // A line that is not hex, and one far longer than any frame (stored only up to the line
    // limit), each counts as a frame that failed; the frames around them still decode.
    let long = "00".repeat(4 << 20);
    let out = ietfwg_stdin(
        &["6lo", "decode", "--hex"],
        format!("zz\n{FRAME}\n{long}\n{FRAME}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("line 1: not hex"), "{err}");
    assert!(
        err.contains("line 3: longer than 16384 characters"),
        "{err}"
    );
    assert!(
        err.contains("4 frames, 2 IPv6 datagrams, 2 frames failed to decode"),
        "{err}"
    );
    assert_eq!(text(&out.stdout).matches("echo request").count(), 2);
}

#[test]
fn usage_and_io_errors_exit_2() {
    for (args, stdin, needle) in [
        (vec!["6lo", "decode", "--hex"], "", "no hex frames on stdin"),
        (
            vec!["6lo", "decode", "--context", "16=2001:db8::/64", "-"],
            "",
            "context 16 is out of range",
        ),
        (
            vec!["6lo", "decode", "--context", "1=2001:db8::/129", "-"],
            "",
            "prefix length 129",
        ),
        (
            vec!["6lo", "decode", "/nonexistent/capture.pcap"],
            "",
            "/nonexistent/capture.pcap",
        ),
        (
            vec!["6lo", "decode", "-"],
            "this is not a capture at all, just text\n",
            "not a pcap or pcapng file",
        ),
        (vec!["6lo"], "", "Usage"),
        (vec!["6lo", "decode", "--payload", "--hex"], "", "--src"),
    ] {
        let out = ietfwg_stdin(&args, stdin.as_bytes());
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains(needle),
            "{args:?}: stderr lacks {needle:?}: {}",
            text(&out.stderr)
        );
        assert!(
            out.stdout.is_empty() || args.len() < 3,
            "{args:?}: stdout {:?}",
            text(&out.stdout)
        );
    }
}

#[test]
fn truncated_capture_names_the_frame() {
    let data = std::fs::read(pcaps("frag-udp.pcap")).expect("read");
    let cut = &data[..data.len() - 7];
    let out = ietfwg_stdin(&["6lo", "decode", "-"], cut);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("frame 15"), "{err}");
    // Everything before the cut was printed.
    assert!(text(&out.stdout).contains("#14"), "{}", text(&out.stdout));
}

#[test]
fn stdin_and_file_give_the_same_output() {
    let path = pcaps("mesh-bc0.pcap");
    let from_file = ietfwg(&["6lo", "decode", "--json", path.to_str().expect("path")]);
    let from_stdin = ietfwg_stdin(
        &["6lo", "decode", "--json", "-"],
        &std::fs::read(&path).expect("read"),
    );
    assert_eq!(from_file.status.code(), Some(0));
    assert_eq!(from_file.stdout, from_stdin.stdout);
    assert_eq!(ndjson(&from_file).len(), 15);
}

#[test]
fn colour_follows_the_flag_and_never_reaches_json() {
    let input = format!("{FRAME}\n");
    let always = ietfwg_stdin(
        &["--color", "always", "6lo", "decode", "--hex"],
        input.as_bytes(),
    );
    assert!(
        text(&always.stdout).contains("\u{1b}["),
        "--color always must colour"
    );
    let json = ietfwg_stdin(
        &["--color", "always", "6lo", "decode", "--hex", "--json"],
        input.as_bytes(),
    );
    assert!(
        !text(&json.stdout).contains('\u{1b}'),
        "JSON must never be coloured"
    );
    let never = ietfwg_stdin(
        &["--color", "never", "6lo", "decode", "--hex"],
        input.as_bytes(),
    );
    assert!(!text(&never.stdout).contains('\u{1b}'));
}

#[test]
fn a_closed_pipe_is_a_normal_end() {
    let frames: String = std::iter::repeat_n(format!("{FRAME}\n"), 20_000).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ietfwg"))
        .args(["6lo", "decode", "--hex"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(frames.as_bytes());
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read a line");
    assert!(first.starts_with("#1 "), "{first}");
    // stdout is dropped here: the reader has gone, as `| head -1` does.
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("error"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn decompress_writes_one_ipv6_datagram_per_packet() {
    let dir = std::env::temp_dir().join(format!("ietfwg-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let outfile = dir.join("out.pcap");
    let out = ietfwg(&[
        "6lo",
        "decompress",
        pcaps("frag-icmpv6-echo.pcap").to_str().expect("path"),
        "-o",
        outfile.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("4 datagrams written"), "{err}");
    assert!(
        err.contains("incomplete datagram"),
        "the missing-fragment datagram is reported: {err}"
    );
    // Read it back with our own reader through `decode`: link type 101 holding IPv6 is not
    // 802.15.4, so every packet is reported as such — 4 of them.
    let back = ietfwg(&["6lo", "decode", "--json", outfile.to_str().expect("path")]);
    let v = ndjson(&back);
    assert_eq!(v.len(), 4);
    assert!(v.iter().all(|f| f["linktype"] == 101), "{v:?}");
    // And to stdout: the same bytes.
    let to_stdout = ietfwg(&[
        "6lo",
        "decompress",
        pcaps("frag-icmpv6-echo.pcap").to_str().expect("path"),
        "-o",
        "-",
    ]);
    assert_eq!(to_stdout.stdout, std::fs::read(&outfile).expect("read"));
    let _ = std::fs::remove_dir_all(&dir);
}
