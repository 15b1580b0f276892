//! MLE's own security: `ietfwg 6lo decode --thread-key` on pcaps/6lo-sec/mle.pcap (made by
//! pcaps/secure-6lo.py with Python's `cryptography`), compared with tshark's MLE dissector given
//! the same network key ("Thread hash"): the same messages decrypt, to the same commands and
//! TLVs; the one whose MIC was changed decrypts for neither.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const THREAD_KEY: &str = "00112233445566778899aabbccddeeff";

fn capture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo-sec/mle.pcap")
}

fn decode(extra: &[&str]) -> (std::process::Output, Vec<Value>) {
    let file = capture();
    let mut args = vec![
        "6lo",
        "decode",
        "--json",
        file.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let out = ietfwg(&args);
    let frames = ndjson(&out);
    (out, frames)
}

/// Per frame: the command and the TLV types, as we decode them. A TLV Request (13) is followed
/// by the TLV types it asks for, as tshark lists them among `mle.tlv.type`.
fn ours(frames: &[Value]) -> BTreeMap<u64, (String, String)> {
    frames
        .iter()
        .filter_map(|f| {
            let m = f.pointer("/datagram/mle")?;
            let command = m.get("command").map(|c| c.to_string()).unwrap_or_default();
            let mut types = Vec::new();
            for t in m
                .get("tlvs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                types.push(t["type"].to_string());
                if t["type"] == 13 {
                    let v = t["value"].as_str().unwrap();
                    for i in (0..v.len()).step_by(2) {
                        types.push(u8::from_str_radix(&v[i..i + 2], 16).unwrap().to_string());
                    }
                }
            }
            Some((f["frame"].as_u64()?, (command, types.join(","))))
        })
        .collect()
}

fn tsharks() -> BTreeMap<u64, (String, String)> {
    let key = format!("uat:ieee802154_keys:\"{THREAD_KEY}\",\"1\",\"Thread hash\"");
    tshark_fields(
        &capture(),
        &["-o", &key, "-Y", "mle"],
        &["frame.number", "mle.cmd", "mle.tlv.type"],
    )
    .into_iter()
    .map(|r| {
        (
            num(&r[0]),
            (
                r.get(1).cloned().unwrap_or_default(),
                r.get(2).cloned().unwrap_or_default().replace('|', ","),
            ),
        )
    })
    .collect()
}

#[test]
fn decrypted_mle_equals_tsharks() {
    let (out, frames) = decode(&["--thread-key", THREAD_KEY]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mine = ours(&frames);
    assert_eq!(mine.len(), 8);
    // Seven messages in clear (six decrypted with key sequences 0, 1, 2 and 128, one
    // unsecured), one whose MIC was changed: no command.
    let decoded = mine.values().filter(|(c, _)| !c.is_empty()).count();
    assert_eq!(decoded, 7, "{mine:?}");
    assert_eq!(mine[&7], (String::new(), String::new()));
    let statuses: Vec<_> = frames
        .iter()
        .filter_map(|f| f.pointer("/datagram/mle/security/status")?.as_str())
        .collect();
    assert_eq!(
        statuses,
        [
            "verified",
            "verified",
            "verified",
            "verified",
            "verified",
            "mic_failed",
            "verified"
        ]
    );
    let sequences: Vec<_> = frames
        .iter()
        .filter_map(|f| {
            f.pointer("/datagram/mle/security/key/key_sequence")?
                .as_u64()
        })
        .collect();
    assert_eq!(sequences, [0, 0, 1, 1, 128, 2]);
    let failed = &frames[6];
    assert!(failed["warnings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("MIC"));
    let file = capture();
    let brief = stdout(&ietfwg(&[
        "6lo",
        "decode",
        "--brief",
        file.to_str().unwrap(),
        "--thread-key",
        THREAD_KEY,
    ]));
    assert!(brief
        .lines()
        .next()
        .unwrap()
        .ends_with("UDP 19788 > 19788 len 44 MLE Parent Request"));
    assert!(brief.lines().nth(6).unwrap().ends_with("MLE (secured)"));
    if tshark().is_none() {
        eprintln!("tshark not installed: tshark comparison skipped");
        return;
    }
    let theirs = tsharks();
    assert_eq!(mine, theirs);
}

#[test]
fn without_the_key_only_the_unsecured_message_is_read() {
    let (out, frames) = decode(&[]);
    assert_eq!(out.status.code(), Some(0));
    let mine = ours(&frames);
    let decoded: Vec<_> = mine.iter().filter(|(_, (c, _))| !c.is_empty()).collect();
    assert_eq!(decoded.len(), 1);
    assert_eq!(decoded[0].1 .0, "16");
    let text = ietfwg(&["6lo", "decode", capture().to_str().unwrap()]);
    let s = stdout(&text);
    assert!(s.contains("MLE MIC  no key (give the network key with --thread-key)"));
    assert!(s.contains("command  Discovery Request (16)"));
    // With a wrong network key, every secured message fails its MIC.
    let (_, frames) = decode(&["--thread-key", "000102030405060708090a0b0c0d0e0f"]);
    let failed = frames
        .iter()
        .filter(|f| f.pointer("/datagram/mle/security/status") == Some(&Value::from("mic_failed")))
        .count();
    assert_eq!(failed, 7);
}
