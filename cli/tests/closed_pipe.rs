//! Every command that writes results to stdout ends quietly with status 0 when the reader
//! closes the pipe (`ietfwg … | head -1`), in text and in `--json`, whatever layer the write
//! error surfaces in. The input goes in on stdin *after* stdout's read end is closed, so the
//! first write the command makes already meets a closed pipe.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `ietfwg ARGS…` with stdout's read end closed before `input` is written to stdin; returns
/// the exit status and stderr.
fn into_closed_pipe(args: &[&str], input: &[u8]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ietfwg"))
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ietfwg");
    drop(child.stdout.take()); // the reader goes away, as `head` does
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    // The command may stop reading once it is done with the pipe: a failed write here is fine.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait ietfwg");
    writer.join().expect("stdin writer");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn assert_quiet(args: &[&str], input: &[u8]) {
    let (code, stderr) = into_closed_pipe(args, input);
    assert_eq!(
        code,
        Some(0),
        "ietfwg {args:?} into a closed pipe: stderr {stderr}"
    );
    assert!(
        !stderr.contains("error")
            && !stderr.contains("panicked")
            && !stderr.contains("Broken pipe"),
        "ietfwg {args:?} into a closed pipe said: {stderr}"
    );
}

fn project(path: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn sixlo_commands_end_quietly() {
    let cap = project("pcaps/6lo/frag-icmpv6-echo.pcap");
    for args in [
        &["6lo", "decode", "-"][..],
        &["6lo", "decode", "-", "--json"],
        &["6lo", "decompress", "-", "-o", "-"],
        &["6lo", "compress", "-", "-o", "-"],
        &["6lo", "compress", "-", "-o", "-", "--stats"],
        &["6lo", "decode", "-", "--brief"],
        &["6lo", "decode", "-", "-x"],
        &["6lo", "stats", "-"],
        &["6lo", "stats", "-", "--json"],
    ] {
        assert_quiet(args, &cap);
    }
    // One frame per stdin line as hex.
    let hex = "41c8a2cdabffff0200000000000000410000000000000000\n".repeat(2000);
    assert_quiet(&["6lo", "decode", "--hex"], hex.as_bytes());
    assert_quiet(&["6lo", "decode", "--hex", "--json"], hex.as_bytes());
}

#[test]
fn sixlo_big_trace_ends_quietly() {
    // Far more output than a pipe buffer holds, in both forms.
    let Some(shared) = common::shared() else {
        return;
    };
    let big = std::fs::read(shared.join("corpus/6lo/6lowpan_dissector_enourmously_big_trace.pcap"))
        .expect("big trace");
    assert_quiet(&["6lo", "decode", "-"], &big);
    assert_quiet(&["6lo", "decode", "-", "--json"], &big);
}

#[test]
fn ikev2_commands_end_quietly() {
    let cap = project("pcaps/ikev2/natt-rekey-delete.pcap");
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/ikev2/natt-rekey-delete.keys");
    let keys = keys.to_str().expect("utf-8 path");
    for cmd in ["decode", "summary", "audit"] {
        assert_quiet(&["ikev2", cmd, "-"], &cap);
        assert_quiet(&["ikev2", cmd, "-", "--json"], &cap);
        assert_quiet(&["ikev2", cmd, "-", "--keys", keys], &cap);
        assert_quiet(&["ikev2", cmd, "-", "--keys", keys, "--json"], &cap);
    }
    for args in [
        &["ikev2", "decode", "-", "--brief"][..],
        &["ikev2", "decode", "-", "-x", "--keys", keys],
        &["ikev2", "stats", "-"],
        &["ikev2", "stats", "-", "--json"],
    ] {
        assert_quiet(args, &cap);
    }
    // `ikev2 keys` reads files, not stdin: a charon log recorded with its capture.
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/ikev2/esp-aes-gcm.log");
    assert_quiet(&["ikev2", "keys", log.to_str().expect("utf-8 path")], b"");
}

#[test]
fn doh_decode_ends_quietly() {
    // RFC 8484 §4.1.1's example query for www.example.com, as hex.
    let q = b"00000100000100000000000003777777076578616d706c6503636f6d0000010001\n";
    assert_quiet(&["doh", "decode"], q);
    assert_quiet(&["doh", "decode", "--json"], q);
    assert_quiet(
        &["doh", "encode", "www.example.com", "--format", "url"],
        b"",
    );
}

/// A full disk behind stdout (`/dev/full`) is an I/O error, exit 2, naming standard output.
#[test]
fn full_stdout_is_named() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("notice: /dev/full is absent, skipping");
        return;
    };
    let cap = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo/frag-udp.pcap");
    let cap = cap.to_str().expect("utf-8 path");
    for args in [
        &["6lo", "decode", cap][..],
        &["6lo", "decode", cap, "--json"],
        &["6lo", "decompress", cap, "-o", "-"],
        &["6lo", "compress", cap, "-o", "-"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_ietfwg"))
            .args(args)
            .stdout(full.try_clone().expect("dup /dev/full"))
            .stderr(Stdio::piped())
            .output()
            .expect("run ietfwg");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("writing to standard output") && err.contains("No space left"),
            "{args:?}: {err}"
        );
    }
}
