//! `ietfwg 6lo decode` on secured 802.15.4 frames (pcaps/6lo-sec/, made by pcaps/secure-6lo.py
//! with Python's `cryptography`): decrypted datagrams equal the clear captures' and tshark's,
//! MIC failures and missing keys or addresses are reported and never decoded.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const KEY: &str = "000102030405060708090a0b0c0d0e0f";
const THREAD_KEY: &str = "00112233445566778899aabbccddeeff";
const CONTEXT0: &str = "0=2001:db8:1::/64";
const TSHARK_CONTEXT0: &str = "6lowpan.context0:2001:db8:1::/64";

fn pcaps() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps")
}

fn decode(file: &Path, extra: &[&str]) -> (std::process::Output, Vec<Value>) {
    let mut args = vec![
        "6lo",
        "decode",
        "--json",
        "--context",
        CONTEXT0,
        file.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    let out = ietfwg(&args);
    let frames = ndjson(&out)
        .into_iter()
        .filter(|f| f.get("incomplete").is_none())
        .collect();
    (out, frames)
}

/// The datagrams, in the order they completed.
fn datagrams(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|f| f.pointer("/datagram/bytes")?.as_str().map(str::to_string))
        .collect()
}

/// One secured capture: (secured capture, the clear one it was made from, our key options,
/// tshark's key table rows, datagrams of the clear capture that cannot be decrypted).
type Case = (&'static str, &'static str, Vec<String>, Vec<String>, usize);

fn cases() -> Vec<Case> {
    let key = vec!["--wpan-key".to_string(), KEY.to_string()];
    // Key identifier mode 0 carries no Key Index; Wireshark matches it with index 0.
    let tshark_key = vec![
        format!("uat:ieee802154_keys:\"{KEY}\",\"1\",\"No hash\""),
        format!("uat:ieee802154_keys:\"{KEY}\",\"0\",\"No hash\""),
    ];
    vec![
        (
            "enc-mic-levels.pcap",
            "frag-icmpv6-echo.pcap",
            key.clone(),
            tshark_key.clone(),
            0,
        ),
        (
            "key-id-modes.pcap",
            "frag-udp.pcap",
            key.clone(),
            tshark_key.clone(),
            0,
        ),
        // The last frame comes from 0x0001 in PAN 0x1234, whose extended address nothing
        // in the capture gives.
        (
            "mic-only.pcap",
            "iphc-forms.pcap",
            key.clone(),
            tshark_key.clone(),
            1,
        ),
        ("enc-only.pcap", "hc1.pcap", key, tshark_key, 0),
        (
            "thread.pcap",
            "ipv6-uncompressed.pcap",
            vec!["--thread-key".to_string(), THREAD_KEY.to_string()],
            vec![format!(
                "uat:ieee802154_keys:\"{THREAD_KEY}\",\"1\",\"Thread hash\""
            )],
            0,
        ),
    ]
}

/// Every secured capture decrypts to the datagrams of the clear capture it was made from,
/// byte for byte, each frame's MIC verified.
#[test]
fn secured_captures_decrypt_to_the_clear_datagrams() {
    for (secured, clear, opts, _, missing) in cases() {
        let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
        let (out, frames) = decode(&pcaps().join("6lo-sec").join(secured), &opts);
        assert_exit(&out, 0);
        let (_, clear_frames) = decode(&pcaps().join("6lo").join(clear), &[]);
        let got = datagrams(&frames);
        let want = datagrams(&clear_frames);
        assert!(!got.is_empty(), "{secured}: no datagrams");
        assert_eq!(
            got.len() + missing,
            want.len(),
            "{secured}: {} datagrams, the clear capture has {}",
            got.len(),
            want.len()
        );
        assert_eq!(got[..], want[..got.len()], "{secured}: datagrams differ");
        let secured_frames: Vec<&Value> = frames
            .iter()
            .filter(|f| f["mac"]["security_enabled"] == true)
            .collect();
        let verified = secured_frames
            .iter()
            .filter(|f| {
                matches!(
                    f["security"]["status"].as_str(),
                    Some("verified" | "unauthenticated")
                )
            })
            .count();
        assert_eq!(
            verified + missing,
            secured_frames.len(),
            "{secured}: every secured frame verified"
        );
    }
}

/// The IPv6 header fields of each datagram tshark decrypts and decompresses, by frame.
fn tshark_datagrams(file: &Path, keys: &[String]) -> BTreeMap<u64, Vec<String>> {
    let mut extra = vec![
        "-o".to_string(),
        "wpan.802154_fcs_ok:FALSE".to_string(),
        "-o".to_string(),
        TSHARK_CONTEXT0.to_string(),
        "-Y".to_string(),
        "6lowpan && ipv6".to_string(),
    ];
    for k in keys {
        extra.push("-o".to_string());
        extra.push(k.clone());
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let rows = tshark_fields(
        file,
        &extra,
        &[
            "frame.number",
            "ipv6.src",
            "ipv6.dst",
            "ipv6.plen",
            "ipv6.nxt",
            "ipv6.hlim",
        ],
    );
    rows.into_iter()
        .map(|r| {
            let first = |i: usize| {
                r.get(i)
                    .and_then(|v| v.split('|').next())
                    .unwrap_or_default()
                    .to_string()
            };
            (
                num(&r[0]),
                vec![
                    first(1),
                    first(2),
                    num(&first(3)).to_string(),
                    num(&first(4)).to_string(),
                    num(&first(5)).to_string(),
                ],
            )
        })
        .collect()
}

fn our_datagrams(frames: &[Value]) -> BTreeMap<u64, Vec<String>> {
    frames
        .iter()
        .filter_map(|f| {
            let ip = f.pointer("/datagram/ipv6").filter(|v| !v.is_null())?;
            Some((
                f["frame"].as_u64()?,
                vec![
                    ip["src"].as_str()?.to_string(),
                    ip["dst"].as_str()?.to_string(),
                    ip["payload_length"].to_string(),
                    ip["next_header"].to_string(),
                    ip["hop_limit"].to_string(),
                ],
            ))
        })
        .collect()
}

/// tshark, given the same keys, decrypts the same frames to the same IPv6 datagrams.
#[test]
fn decrypted_datagrams_equal_tsharks() {
    if tshark().is_none() {
        eprintln!("tshark not installed: skipped");
        return;
    }
    let mut compared = 0;
    for (secured, _, opts, tshark_keys, _) in cases() {
        let file = pcaps().join("6lo-sec").join(secured);
        let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
        let (_, frames) = decode(&file, &opts);
        let mine = our_datagrams(&frames);
        let theirs = tshark_datagrams(&file, &tshark_keys);
        assert!(!theirs.is_empty(), "{secured}: tshark decrypted nothing");
        assert_eq!(mine, theirs, "{secured}");
        // Without the keys neither of us sees a datagram in an encrypted frame.
        compared += theirs.len();
    }
    assert!(compared >= 40, "only {compared} datagrams compared");
}

/// A changed MIC fails and its payload is not decoded (exit 1); frames from short addresses
/// nobody mapped, and frames under a key not given, are named and left alone; `--addr-map`
/// supplies the missing addresses.
#[test]
fn failures_are_named_and_never_decoded() {
    let file = pcaps().join("6lo-sec/failures.pcap");
    let key = format!("1={KEY}");
    let (out, frames) = decode(&file, &["--wpan-key", &key]);
    assert_exit(&out, 1);
    let status = |n: u64| {
        frames[usize::try_from(n - 1).unwrap()]["security"]["status"]
            .as_str()
            .unwrap_or("none")
            .to_string()
    };
    assert_eq!(status(1), "mic_failed");
    assert!(frames[0]["datagram"].is_null() && frames[0]["lowpan"].is_null());
    assert!(frames[0]["error"]["message"]
        .to_string()
        .contains("MIC verifies with none"));
    assert_eq!(status(2), "no_extended_address");
    assert_eq!(frames[1]["security"]["short_source"], 1);
    assert_eq!(
        frames[1]["note"],
        "not decrypted: no extended address for 0x0001 (the nonce needs it)"
    );
    assert_eq!(status(8), "no_key");
    assert_eq!(frames[7]["note"], "not decrypted: no key for key index 2");
    let verified = frames
        .iter()
        .filter(|f| f["security"]["status"] == "verified")
        .count();
    assert_eq!(verified, 2, "frames 4 and 5 come from extended addresses");

    let text = stdout(&ietfwg(&[
        "6lo",
        "decode",
        "--wpan-key",
        &key,
        file.to_str().unwrap(),
    ]));
    assert!(text.contains("MIC FAILED (1 key(s) tried"), "{text}");
    assert!(
        text.contains("no extended address for 0x0002 (give it with --addr-map 0x0002=EXT)"),
        "{text}"
    );

    let (out, frames) = decode(
        &file,
        &[
            "--wpan-key",
            &key,
            "--addr-map",
            "0x0001=00:12:4b:00:00:01:02:03,0x0002=00:12:4b:00:00:04:05:06",
        ],
    );
    assert_exit(&out, 1);
    let verified = frames
        .iter()
        .filter(|f| f["security"]["status"] == "verified")
        .count();
    assert_eq!(verified, 6, "all but the bad MIC and the unknown key");
    // Frames 2-5 are whole datagrams; 6 and 7 are fragments whose last one (8) is under the
    // unknown key, so that datagram stays incomplete.
    assert_eq!(datagrams(&frames).len(), 4);
    assert!(
        stderr(&out).contains("1 datagrams incomplete"),
        "{}",
        stderr(&out)
    );
}

/// Mappings learnt from association responses are shown where they are learnt.
#[test]
fn association_responses_teach_extended_addresses() {
    let (_, frames) = decode(&pcaps().join("6lo-sec/mic-only.pcap"), &["--wpan-key", KEY]);
    assert_eq!(
        frames[0]["learned_address"],
        serde_json::json!({"pan": 0xabcd, "short": 1, "extended": "00124b0000010203"})
    );
    let last = frames.last().unwrap();
    assert_eq!(last["mac"]["src_pan"], 0x1234);
    assert_eq!(last["security"]["status"], "no_extended_address");
}

/// Without keys the secured captures decode as before: encrypted payloads are not decoded
/// and no security verdict is made up.
#[test]
fn without_keys_encrypted_payloads_stay_encrypted() {
    let (out, frames) = decode(&pcaps().join("6lo-sec/enc-mic-levels.pcap"), &[]);
    assert_exit(&out, 0);
    assert!(datagrams(&frames).is_empty());
    assert!(frames.iter().all(|f| f.get("security").is_none()));
    assert!(frames
        .iter()
        .filter(|f| f["mac"]["security_enabled"] == true)
        .all(|f| f["note"] == "payload is encrypted (MAC security enabled)"));
}

/// A Thread frame's key sequence is the configured one's upper bits with the Key Index's low 7;
/// a sequence whose bit 7 differs is tried too.
#[test]
fn thread_key_sequence_wraps() {
    let file = pcaps().join("6lo-sec/thread.pcap");
    let (_, frames) = decode(
        &file,
        &["--thread-key", THREAD_KEY, "--thread-key-sequence", "128"],
    );
    let seqs: Vec<u64> = frames
        .iter()
        .filter_map(|f| f.pointer("/security/key/key_sequence")?.as_u64())
        .collect();
    assert_eq!(seqs.len(), 9);
    assert!(seqs.iter().all(|s| *s <= 1), "{seqs:?}");
    let (_, frames) = decode(&file, &["--thread-key", KEY]);
    assert!(frames
        .iter()
        .filter(|f| f["mac"]["security_enabled"] == true)
        .all(|f| f["security"]["status"] == "mic_failed"));
}

#[test]
fn bad_key_options_are_usage_errors() {
    let file = pcaps().join("6lo-sec/thread.pcap");
    let f = file.to_str().unwrap();
    assert_fails_with(
        &ietfwg(&["6lo", "decode", "--wpan-key", "0011", f]),
        2,
        "a key is 16 octets",
    );
    assert_fails_with(
        &ietfwg(&["6lo", "decode", "--wpan-key", "x=0011", f]),
        2,
        "not a key index",
    );
    assert_fails_with(
        &ietfwg(&[
            "6lo",
            "decode",
            "--wpan-key",
            KEY,
            "--addr-map",
            "0x0001",
            f,
        ]),
        2,
        "expected SHORT=EXT",
    );
    assert_fails_with(
        &ietfwg(&[
            "6lo",
            "decode",
            "--addr-map",
            "0x0001=00:12:4b:00:00:00:00:01",
            f,
        ]),
        2,
        "give --wpan-key or --thread-key too",
    );
}
