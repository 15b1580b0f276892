//! The views for reading captures by eye and by script: `-x/--hexdump`, `--brief`, selection
//! (`-c`, `--frames`, `--sa`), `stats`, completions and the man page, and the hints a command
//! gives when its input is not what it expects.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{assert_exit, ietfwg, stderr, stdout};

use common::project_pcap as pcap;

/// `6lo decode -x`: after each frame its bytes, every octet of the frame in the field list
/// once (the offsets column runs 0..len without gaps), the IPHC bits broken out with RFC 6282
/// sections, and no colour escape in a pipe.
#[test]
fn sixlo_hexdump_lists_every_octet_once() {
    let o = ietfwg(&["6lo", "decode", "-x", &pcap("6lo", "frag-udp.pcap")]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(!out.contains('\u{1b}'), "colour in a pipe");
    assert!(
        out.contains(".... ..10 .... .... = HLIM: Hop Limit 64"),
        "{out}"
    );
    assert!(out.contains("[RFC 6282 §3.1.1]"), "{out}");
    assert!(
        out.contains("1100 0... .... .... = Dispatch: 11000: FRAG1"),
        "{out}"
    );
    // Frame by frame, the offset column covers 0..len exactly.
    let mut frames = 0;
    for block in out.split("bytes of frame #").skip(1) {
        let len: usize = block
            .split_once('(')
            .and_then(|(_, r)| r.split_once(' '))
            .map(|(n, _)| n.parse().unwrap())
            .unwrap();
        let mut next = 0;
        for line in block.lines().skip(1) {
            let Some(first) = line.split_whitespace().next() else {
                continue;
            };
            let (a, b) = match first.split_once('-') {
                Some((a, b)) => (a, b),
                None => (first, first),
            };
            let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) else {
                continue;
            };
            if line.starts_with("    ")
                && line.len() > 14
                && line.as_bytes()[4].is_ascii_digit()
                && line.contains(" = ")
            {
                assert_eq!(a, next, "frame block: {line}");
                next = b + 1;
            }
        }
        assert_eq!(next, len, "{block}");
        frames += 1;
    }
    assert_eq!(frames, 15);
}

/// `ikev2 decode -x --keys`: the IKE header's Flags broken out (RFC 7296 §3.1), the SK payload
/// split into IV, ciphertext and ICV, and the decrypted plaintext dumped with its payloads.
#[test]
fn ikev2_hexdump_shows_flags_and_the_decrypted_plaintext() {
    let o = ietfwg(&[
        "ikev2",
        "decode",
        "-x",
        "--keys",
        &pcap("ikev2", "aes-gcm-ecp256.keys"),
        &pcap("ikev2", "aes-gcm-ecp256.pcap"),
    ]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains(".... 1... = I (Initiator): sent by the original initiator"),
        "{out}"
    );
    assert!(
        out.contains("..1. .... = R (Response): a response"),
        "{out}"
    );
    assert!(
        out.contains("Integrity Checksum Data = 16 octets, verified  [RFC 7296 §3.14]"),
        "{out}"
    );
    let plain = out.matches("decrypted SK plaintext (").count();
    assert!(plain >= 2, "{plain}");
    assert!(
        out.contains("Identification - Initiator Next Payload"),
        "{out}"
    );
    // Without keys the SK payload is one field.
    let o = ietfwg(&[
        "ikev2",
        "decode",
        "-x",
        &pcap("ikev2", "aes-gcm-ecp256.pcap"),
    ]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("IV, Encrypted IKE Payloads, Padding, ICV"),
        "{out}"
    );
    assert!(!out.contains("decrypted SK plaintext"), "{out}");
    assert!(stderr(&o).contains("IKE messages"));
}

/// `-x` with `--json` is a usage error.
#[test]
fn hexdump_and_json_conflict() {
    let o = ietfwg(&[
        "6lo",
        "decode",
        "-x",
        "--json",
        &pcap("6lo", "frag-udp.pcap"),
    ]);
    assert_exit(&o, 2);
}

/// The frame numbers at the start of each `--brief` line.
fn brief_frames(out: &str) -> Vec<u64> {
    out.lines()
        .map(|l| {
            l.split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("not a brief line: {l}"))
        })
        .collect()
}

/// `6lo decode --brief`: one line per frame, in order; the frame that completes a datagram
/// names its IPv6 addresses and UDP ports.
#[test]
fn sixlo_brief_is_one_line_per_frame() {
    let o = ietfwg(&["6lo", "decode", "--brief", &pcap("6lo", "frag-udp.pcap")]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert_eq!(brief_frames(&out), (1..=15).collect::<Vec<_>>(), "{out}");
    let line7 = out.lines().nth(6).unwrap();
    assert!(
        line7.contains("FRAGN tag 0x0101 256..298/298 complete  fe80::ff:fe00:2 > fe80::ff:fe00:c UDP 61617 > 61618 len 258"),
        "{line7}"
    );
    assert!(stderr(&o).starts_with("15 frames, 5 IPv6 datagrams"));
}

/// `-c` and `--frames` on `6lo decode` select what they say; frames before the range still
/// feed reassembly (frame 7 completes a datagram begun in frame 5); `-c` counts selected
/// frames.
#[test]
fn sixlo_count_and_frames_select() {
    let f = pcap("6lo", "frag-udp.pcap");
    let o = ietfwg(&["6lo", "decode", "--brief", "-c", "4", &f]);
    assert_eq!(brief_frames(&stdout(&o)), [1, 2, 3, 4]);
    let o = ietfwg(&["6lo", "decode", "--brief", "--frames", "6-7", &f]);
    let out = stdout(&o);
    assert_eq!(brief_frames(&out), [6, 7]);
    assert!(out.contains("complete  fe80::ff:fe00:2"), "{out}");
    let o = ietfwg(&["6lo", "decode", "--brief", "--frames", "13-", "-c", "2", &f]);
    assert_eq!(brief_frames(&stdout(&o)), [13, 14]);
    let o = ietfwg(&["6lo", "decode", "--frames", "9", &f]);
    assert_exit(&o, 0);
    assert_eq!(
        stdout(&o).matches("\n#").count() + usize::from(stdout(&o).starts_with('#')),
        1
    );
    // A range that ends before it starts, or frame 0, is a usage error.
    assert_exit(&ietfwg(&["6lo", "decode", "--frames", "7-5", &f]), 2);
    assert_exit(&ietfwg(&["6lo", "decode", "--frames", "0", &f]), 2);
}

/// `ikev2 decode --brief`: one line per message, the payloads inside SK named with --keys.
#[test]
fn ikev2_brief_is_one_line_per_message() {
    let o = ietfwg(&[
        "ikev2",
        "decode",
        "--brief",
        "--keys",
        &pcap("ikev2", "aes-gcm-ecp256.keys"),
        &pcap("ikev2", "aes-gcm-ecp256.pcap"),
    ]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert_eq!(brief_frames(&out), [1, 2, 3, 4, 5, 6], "{out}");
    assert!(out.lines().nth(2).unwrap().contains(
        "IKEv2 IKE_AUTH[I] req 1 2071b2d18433d3ca/bf44e98c96ce57a0  SK{IDi N(INITIAL_CONTACT) IDr AUTH SA TSi TSr"
    ), "{out}");
}

/// `--sa` picks one IKE SA in `decode`, `summary` and `audit`; `--frames` and `-c` select
/// messages by frame and count.
#[test]
fn ikev2_sa_frames_and_count_select() {
    let f = pcap("ikev2", "natt-rekey-delete.pcap");
    // The capture holds two IKE SAs: frames 1-8 and, after the rekey, 9-16.
    let o = ietfwg(&["ikev2", "decode", "--brief", "--sa", "168bdb3e97be0907", &f]);
    assert_exit(&o, 0);
    assert_eq!(brief_frames(&stdout(&o)), (9..=16).collect::<Vec<_>>());
    // By the responder's SPI, with 0x: the first request carries SPIr 0, so it is not shown.
    let o = ietfwg(&[
        "ikev2",
        "decode",
        "--brief",
        "--sa",
        "0xfb03d650309ebfbe",
        &f,
    ]);
    assert_eq!(brief_frames(&stdout(&o)), (2..=8).collect::<Vec<_>>());
    let o = ietfwg(&["ikev2", "summary", "--json", "--sa", "168bdb3e97be0907", &f]);
    let sas: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(sas.len(), 1, "{sas:?}");
    assert_eq!(sas[0]["spi_i"], "168bdb3e97be0907");
    let o = ietfwg(&["ikev2", "audit", "--sa", "ae0ff2c9a788af71", &f]);
    assert!(
        stderr(&o).starts_with("1 IKE SAs audited"),
        "{}",
        stderr(&o)
    );
    let o = ietfwg(&["ikev2", "decode", "--brief", "--frames", "3-5", &f]);
    assert_eq!(brief_frames(&stdout(&o)), [3, 4, 5]);
    let o = ietfwg(&[
        "ikev2", "decode", "--brief", "--frames", "10-", "-c", "3", &f,
    ]);
    assert_eq!(brief_frames(&stdout(&o)), [10, 11, 12]);
    let o = ietfwg(&["ikev2", "summary", "--json", "--frames", "9-", &f]);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert_exit(&ietfwg(&["ikev2", "decode", "--sa", "xyz", &f]), 2);
}

/// `-c` and `--frames` on `6lo decompress` and `6lo compress`: only the datagrams that the
/// selected frames complete are written.
#[test]
fn sixlo_decompress_and_compress_select() {
    let dir = std::env::temp_dir().join(format!("ietfwg-views-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("d.pcap");
    let f = pcap("6lo", "frag-udp.pcap");
    let o = ietfwg(&[
        "6lo",
        "decompress",
        &f,
        "-c",
        "7",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_exit(&o, 0);
    assert!(
        stderr(&o).starts_with("7 frames, 2 IPv6 datagrams"),
        "{}",
        stderr(&o)
    );
    let o = ietfwg(&[
        "6lo",
        "decompress",
        &f,
        "--frames",
        "7",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        stderr(&o).starts_with("1 frames, 1 IPv6 datagrams"),
        "{}",
        stderr(&o)
    );
    let o = ietfwg(&[
        "6lo",
        "compress",
        &f,
        "--frames",
        "5-7",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_exit(&o, 0);
    assert!(
        stderr(&o).starts_with("3 packets, 1 IPv6 datagrams"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every command and subcommand, as the man pages name them.
const COMMANDS: &[&[&str]] = &[
    &["doh"],
    &["doh", "query"],
    &["doh", "batch"],
    &["doh", "encode"],
    &["doh", "decode"],
    &["6lo"],
    &["6lo", "decode"],
    &["6lo", "decompress"],
    &["6lo", "compress"],
    &["6lo", "stats"],
    &["ikev2"],
    &["ikev2", "decode"],
    &["ikev2", "summary"],
    &["ikev2", "audit"],
    &["ikev2", "stats"],
    &["ikev2", "replay"],
    &["ikev2", "probe"],
    &["completions"],
    &["man"],
];

/// Every command's `--help` ends with examples that start with `ietfwg` (or feed it).
#[test]
fn every_help_has_examples() {
    for c in COMMANDS {
        let mut args = c.to_vec();
        args.push("--help");
        let o = ietfwg(&args);
        assert_exit(&o, 0);
        let out = stdout(&o);
        let (_, ex) = out
            .split_once("\nExamples:\n")
            .unwrap_or_else(|| panic!("{c:?}: no examples in --help:\n{out}"));
        let lines: Vec<&str> = ex.lines().filter(|l| !l.trim().is_empty()).collect();
        assert!(lines.len() >= 2, "{c:?}: {lines:?}");
        assert!(
            lines.iter().all(|l| l.contains("ietfwg ")),
            "{c:?}: {lines:?}"
        );
    }
}

/// `completions` writes a script for each shell that names the subcommands; an unknown shell
/// is a usage error.
#[test]
fn completions_generate_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = ietfwg(&["completions", shell]);
        assert_exit(&o, 0);
        let out = stdout(&o);
        for word in ["ietfwg", "decode", "summary", "hexdump", "brief", "frames"] {
            assert!(out.contains(word), "{shell}: no {word}");
        }
    }
    assert_exit(&ietfwg(&["completions", "tcsh"]), 2);
    // bash can read what it is given.
    if let Ok(o) = std::process::Command::new("bash")
        .arg("-n")
        .arg("-c")
        .arg(stdout(&ietfwg(&["completions", "bash"])))
        .output()
    {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

/// `man` writes the main page; `man --dir` one page per command, each with its examples.
#[test]
fn man_pages_generate_for_every_command() {
    let o = ietfwg(&["man"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains(".TH ietfwg 1"), "{}", stdout(&o));
    let dir = std::env::temp_dir().join(format!("ietfwg-man-{}", std::process::id()));
    let o = ietfwg(&["man", "--dir", dir.to_str().unwrap()]);
    assert_exit(&o, 0);
    let page = std::fs::read_to_string(dir.join("ietfwg.1")).unwrap();
    assert!(page.contains(".TH ietfwg 1"));
    for c in COMMANDS {
        let name = format!("ietfwg-{}.1", c.join("-"));
        let page =
            std::fs::read_to_string(dir.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(page.contains("Examples:"), "{name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A capture of the other protocol: each command says what the capture holds and which
/// command reads it.
#[test]
fn a_capture_of_the_other_protocol_names_the_right_command() {
    let o = ietfwg(&["ikev2", "decode", &pcap("6lo", "frag-udp.pcap")]);
    assert_exit(&o, 0);
    assert!(
        stderr(&o).contains("no IKE traffic in the first 15 packets: 15 IEEE 802.15.4 frames: try `ietfwg 6lo decode`"),
        "{}",
        stderr(&o)
    );
    let o = ietfwg(&["6lo", "decode", &pcap("ikev2", "cookie.pcap")]);
    assert!(
        stderr(&o).contains("14 packets are not IEEE 802.15.4, 14 of them on UDP 500/4500 or TCP 4500 (IKE): try `ietfwg ikev2 decode`"),
        "{}",
        stderr(&o)
    );
    // A capture that does hold IKE says nothing of the kind.
    let o = ietfwg(&["ikev2", "decode", &pcap("ikev2", "cookie.pcap")]);
    assert!(!stderr(&o).contains("no IKE traffic"), "{}", stderr(&o));
}

/// A terminal on standard input: the capture commands refuse at once with a usage hint
/// (exit 2) instead of waiting; run under `script`, which gives the command a terminal.
#[test]
fn a_terminal_on_stdin_gets_a_hint() {
    if ietfwg_test_support::shared::program("script").is_none() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    for cmd in [
        "6lo decode",
        "6lo decompress - -o /dev/null",
        "ikev2 decode",
        "ikev2 summary",
        "ikev2 audit",
    ] {
        let line = format!("{} {cmd}; echo rc=$?", env!("CARGO_BIN_EXE_ietfwg"));
        let o = std::process::Command::new("timeout")
            .args(["20", "script", "-qec", &line, "/dev/null"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("standard input is a terminal"), "{cmd}: {out}");
        assert!(out.contains("rc=2"), "{cmd}: {out}");
    }
}

/// `summary`: an explanation is given once per SA (the NAT finding refers to the NAT line;
/// a repeated check says "as above"); with `--keys` lacking the SA, it says so instead of
/// advising `--keys`.
#[test]
fn summary_explains_once_and_names_the_missing_key_row() {
    let f = pcap("ikev2", "natt-rekey-delete.pcap");
    let o = ietfwg(&["ikev2", "summary", &f]);
    let out = stdout(&o);
    for sa in out.split("\nIKE SA ") {
        let mut long: Vec<&str> = sa.lines().filter(|l| l.len() > 120).collect();
        let n = long.len();
        long.sort_unstable();
        long.dedup();
        assert_eq!(long.len(), n, "a long line repeats in one SA:\n{sa}");
    }
    assert!(
        out.contains("info NAT: as explained on the NAT line above"),
        "{out}"
    );
    assert!(out.contains("check: pass --keys with"), "{out}");
    let o = ietfwg(&[
        "ikev2",
        "summary",
        "--keys",
        &pcap("ikev2", "aes-gcm-ecp256.keys"),
        &f,
    ]);
    let out = stdout(&o);
    assert!(!out.contains("pass --keys"), "{out}");
    assert!(
        out.contains("check: `--keys` has no row for SPI ae0ff2c9a788af71/fb03d650309ebfbe: add a line for this SA to the table (SPIi, SPIr, SK_ei, SK_er, SK_ai, SK_ar)"),
        "{out}"
    );
}

fn json_of(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Frames tshark shows for a display filter.
fn tshark_count(file: &str, filter: &str) -> Option<u64> {
    let t = common::tshark()?;
    let o = std::process::Command::new(t)
        .args(["-r", file, "-Y", filter])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Some(String::from_utf8_lossy(&o.stdout).lines().count() as u64)
}

/// `6lo stats`: the RFC 7388 counters of the project's captures, under their MIB names;
/// the mesh and fragment counts agree with what tshark counts with `6lowpan.mesh.hops` and
/// `6lowpan.frag.size`.
#[test]
fn sixlo_stats_counts_the_lowpan_mib() {
    let f = pcap("6lo", "frag-udp.pcap");
    let o = ietfwg(&["6lo", "stats", "--json", &f]);
    assert_exit(&o, 0);
    let v = json_of(&o);
    let mib = &v["mib"];
    assert_eq!(mib["lowpanInReceives"], 15);
    assert_eq!(mib["lowpanInReasmReqds"], 15);
    assert_eq!(mib["lowpanInReasmOKs"], 5);
    assert_eq!(mib["lowpanInReasmFails"], 0);
    assert_eq!(mib["lowpanInCompReqds"], 5);
    assert_eq!(mib["lowpanInCompOKs"], 5);
    assert_eq!(mib["lowpanInDelivers"], 5);
    assert_eq!(v["dispatch"]["frag1"], 5);
    assert_eq!(v["dispatch"]["frag_n"], 10);
    assert_eq!(v["conversations"].as_array().unwrap().len(), 3);
    let text = stdout(&ietfwg(&["6lo", "stats", &f]));
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("lowpanInReasmOKs "))
        .unwrap_or_else(|| panic!("{text}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words[..3], ["lowpanInReasmOKs", "5", "IPv6"], "{line}");
    // Reassembly failures: an incomplete datagram is one (frag-icmpv6-echo leaves one).
    let o = ietfwg(&[
        "6lo",
        "stats",
        "--json",
        &pcap("6lo", "frag-icmpv6-echo.pcap"),
    ]);
    assert_eq!(json_of(&o)["mib"]["lowpanInReasmFails"], 1);
    // --frames: only frames 1-4 counted, and the datagram they complete.
    let v = json_of(&ietfwg(&["6lo", "stats", "--json", "--frames", "1-4", &f]));
    assert_eq!(v["mib"]["lowpanInReceives"], 4);
    assert_eq!(v["mib"]["lowpanInReasmOKs"], 1);
    for (file, filter, counter) in [
        ("mesh-bc0.pcap", "6lowpan.mesh.hops", "lowpanInMeshReceives"),
        ("mesh-bc0.pcap", "6lowpan.frag.size", "lowpanInReasmReqds"),
        ("frag-udp.pcap", "6lowpan.frag.size", "lowpanInReasmReqds"),
    ] {
        let f = pcap("6lo", file);
        let v = json_of(&ietfwg(&["6lo", "stats", "--json", &f]));
        let Some(n) = tshark_count(&f, filter) else {
            eprintln!("skipped the tshark comparison: tshark is not installed");
            return;
        };
        assert_eq!(
            v["mib"][counter], n,
            "{file}: {counter} vs tshark -Y {filter}"
        );
    }
}

/// `ikev2 stats`: exchanges by direction agree with tshark's `isakmp.exchangetype` and
/// `isakmp.flag_r`; SKF fragments and reassembly are counted.
#[test]
fn ikev2_stats_counts_exchanges_like_tshark() {
    for name in ["cookie", "natt-rekey-delete", "fragmentation"] {
        let f = pcap("ikev2", &format!("{name}.pcap"));
        let o = ietfwg(&["ikev2", "stats", "--json", &f]);
        assert_exit(&o, 0);
        let v = json_of(&o);
        for (exchange, code) in [
            ("IKE_SA_INIT", 34),
            ("IKE_AUTH", 35),
            ("CREATE_CHILD_SA", 36),
            ("INFORMATIONAL", 37),
        ] {
            for (dir, r) in [("request", 0), ("response", 1)] {
                let ours = v["exchanges"][format!("{exchange} {dir}")]
                    .as_u64()
                    .unwrap_or(0);
                let filter = format!("isakmp.exchangetype == {code} && isakmp.flag_r == {r}");
                let Some(theirs) = tshark_count(&f, &filter) else {
                    eprintln!("skipped the tshark comparison: tshark is not installed");
                    return;
                };
                assert_eq!(ours, theirs, "{name}: {exchange} {dir}");
            }
        }
    }
    let v = json_of(&ietfwg(&[
        "ikev2",
        "stats",
        "--json",
        "--keys",
        &pcap("ikev2", "fragmentation.keys"),
        &pcap("ikev2", "fragmentation.pcap"),
    ]));
    assert_eq!(v["skf_fragments"], 5);
    assert_eq!(v["skf_reassembled"], 2);
    assert_eq!(v["ike_sas"], 1);
    let v = json_of(&ietfwg(&[
        "ikev2",
        "stats",
        "--json",
        &pcap("ikev2", "natt-rekey-delete.pcap"),
    ]));
    assert_eq!(v["ike_sas"], 2);
    assert_eq!(v["ikev2_messages"], 16);
}

/// `ikev2 replay` selects recorded IKE SAs with `-c` and `--frames` (sent to the discard port
/// on loopback, where nothing answers).
#[test]
fn replay_count_and_frames_select() {
    let f = pcap("ikev2", "cookie.pcap");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "ikev2",
            "replay",
            f.as_str(),
            "--to",
            "127.0.0.1:9",
            "--timeout",
            "1",
            "--retries",
            "0",
            "--json",
        ];
        args.extend_from_slice(extra);
        ietfwg(&args)
    };
    let all = stdout(&run(&[])).lines().count();
    assert_eq!(all, 2, "cookie.pcap records two IKE SAs");
    let o = run(&["-c", "1"]);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["frame"], 1);
    let o = run(&["--frames", "900-"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("no IKE_SA_INIT request in frames 900-"),
        "{}",
        stderr(&o)
    );
}

/// `--hex` input: `-c` and `--frames` count the frames given, and `--brief` and `-x` apply;
/// `--color always` colours the hex dump by layer.
#[test]
fn hex_input_selects_and_colours() {
    let frame = "41 98 01 cd ab 01 00 02 00 7a 33 3a 80 00 00 00 00 01 00 01\n";
    let input = frame.repeat(3);
    let o = common::ietfwg_stdin(
        &["6lo", "decode", "--hex", "--brief", "--frames", "2-"],
        input.as_bytes(),
    );
    assert_eq!(brief_frames(&stdout(&o)), [2, 3]);
    let o = common::ietfwg_stdin(
        &["6lo", "decode", "--hex", "--brief", "-c", "1"],
        input.as_bytes(),
    );
    assert_eq!(brief_frames(&stdout(&o)), [1]);
    let o = common::ietfwg_stdin(
        &[
            "--color", "always", "6lo", "decode", "--hex", "-x", "-c", "1",
        ],
        input.as_bytes(),
    );
    let out = stdout(&o);
    assert!(out.contains("\u{1b}["), "no colour: {out}");
    assert!(out.contains("LOWPAN_IPHC = 0x7a33"), "{out}");
}
