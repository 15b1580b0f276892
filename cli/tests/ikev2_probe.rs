//! `ietfwg ikev2 probe` against a real strongSwan charon responder in its own network namespace
//! (test-support's `strongswan::Responder`). The binary runs inside that namespace, so every
//! datagram stays on its loopback; tcpdump captures them, and the capture is decoded by
//! `ietfwg ikev2 decode` and by tshark.
//!
//! Skipped (with a notice) when not root or strongSwan is missing; failures under `CI=true`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use ietfwg_test_support::strongswan::{Responder, ResponderConfig};

const CONFIGURED: &str =
    "aes256-sha256-modp2048,aes128gcm16-prfsha256-ecp256,chacha20poly1305-prfsha512-x25519";

fn responder() -> Option<Responder> {
    responder_with_cookie_threshold(None)
}

/// A responder with the CONFIGURED proposals and `cookie_threshold` (test-support's
/// `ResponderConfig`: None is strongSwan's default, Some(0) never asks for a COOKIE).
fn responder_with_cookie_threshold(cookie_threshold: Option<u32>) -> Option<Responder> {
    Responder::start(ResponderConfig {
        ike_proposals: CONFIGURED.into(),
        cookie_threshold,
        ..ResponderConfig::default()
    })
}

/// `probe ARGS… --proposals P…`, one `--proposals` option per proposal.
fn probe_offers(r: &Responder, args: &[&str], proposals: &[&str]) -> Output {
    let mut all = args.to_vec();
    for p in proposals {
        all.extend(["--proposals", p]);
    }
    probe(r, &all)
}

fn probe(r: &Responder, args: &[&str]) -> Output {
    let out = r
        .command(env!("CARGO_BIN_EXE_ietfwg"))
        .args(["--color", "never", "ikev2", "probe"])
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run ietfwg inside the namespace");
    if args.contains(&"--json") {
        // Every line matches the schema; an `error` only on a probe that got no usable answer.
        let errors = common::schema_check("ikev2-probe", &out.stdout);
        let unanswered = common::ndjson(&out)
            .iter()
            .filter(|l| l["result"] == "no_answer" || l["result"] == "unexpected")
            .count();
        assert_eq!(errors, unanswered as u64);
    }
    out
}

/// `probe TARGET --json --proposals P…`, which must exit 0: its NDJSON lines.
fn probe_json(r: &Responder, target: &str, proposals: &[&str]) -> Vec<serde_json::Value> {
    let o = probe_offers(r, &[target, "--json"], proposals);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    common::ndjson(&o)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One UDP datagram of a tcpdump capture on `lo` (DLT_EN10MB): time in µs, ports, payload.
#[derive(Debug)]
struct Datagram {
    micros: u64,
    src_port: u16,
    dst_port: u16,
}

/// Reads a classic pcap (what tcpdump -w writes) by hand: the test checks the capture
/// independently of the code under test.
fn datagrams(pcap: &Path) -> Vec<Datagram> {
    let b = std::fs::read(pcap).unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
    assert!(b.len() >= 24, "no pcap header");
    let le = b[..4] == [0xd4, 0xc3, 0xb2, 0xa1];
    assert!(le || b[..4] == [0xa1, 0xb2, 0xc3, 0xd4], "not a µs pcap");
    let u32_at = |i: usize| {
        let x: [u8; 4] = b[i..i + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(x)
        } else {
            u32::from_be_bytes(x)
        }
    };
    assert_eq!(u32_at(20), 1, "link type Ethernet (lo)");
    let mut v = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let (sec, usec, incl) = (u32_at(at), u32_at(at + 4), u32_at(at + 8) as usize);
        let frame = &b[at + 16..at + 16 + incl];
        at += 16 + incl;
        let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
        let (proto, l4) = match ethertype {
            0x0800 => (frame[14 + 9], 14 + usize::from(frame[14] & 0x0f) * 4),
            0x86dd => (frame[14 + 6], 14 + 40),
            _ => continue,
        };
        if proto != 17 {
            continue;
        }
        v.push(Datagram {
            micros: u64::from(sec) * 1_000_000 + u64::from(usec),
            src_port: u16::from_be_bytes([frame[l4], frame[l4 + 1]]),
            dst_port: u16::from_be_bytes([frame[l4 + 2], frame[l4 + 3]]),
        });
    }
    v
}

/// The most datagrams in any window of one second (half-open: [t, t + 1 s)).
fn max_per_second(times: &[u64]) -> usize {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi] - times[lo] >= 1_000_000 {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best
}

fn keywords(summary: &serde_json::Value, t: &str) -> BTreeSet<String> {
    summary["scan"]["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| {
            // Transform Type code points (RFC 7296 §3.3.2).
            let id = match t {
                "ENCR" => 1,
                "PRF" => 2,
                "INTEG" => 3,
                _ => 4,
            };
            v["transform_type"]["id"] == id
        })
        .map(|v| v["keyword"].as_str().unwrap().to_string())
        .collect()
}

fn set(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|s| s.to_string()).collect()
}

#[test]
fn scan_finds_exactly_the_configured_proposals_and_the_capture_decodes() {
    let Some(r) = responder() else { return };
    let pcap = r.dir().join("scan.pcap");
    let cap = r.capture(&pcap);
    let o = probe(&r, &["127.0.0.1", "--scan", "--json", "--rate", "25"]);
    let pcap = cap.stop();
    assert_eq!(o.status.code(), Some(0), "{}\n{}", text(&o.stderr), r.log());
    let lines = common::ndjson(&o);
    let summary = lines.last().unwrap();
    assert_eq!(summary["record"], "summary", "{summary}");
    assert_eq!(
        keywords(summary, "ENCR"),
        set(&["aes256", "aes128gcm16", "chacha20poly1305"]),
        "{summary}"
    );
    assert_eq!(keywords(summary, "PRF"), set(&["prfsha256", "prfsha512"]));
    assert_eq!(keywords(summary, "INTEG"), set(&["sha256"]));
    assert_eq!(
        keywords(summary, "KE"),
        set(&["modp2048", "ecp256", "curve25519"])
    );
    let scan = &summary["scan"];
    assert_eq!(scan["unknown"], serde_json::json!([]));
    assert_eq!(scan["stopped"], serde_json::Value::Null);
    let probes = scan["probes"].as_u64().unwrap();
    assert!(probes <= scan["max_probes"].as_u64().unwrap());
    // one JSON object per probe, then the summary
    assert_eq!(lines.len() as u64, probes + 1);
    assert!(lines[..lines.len() - 1]
        .iter()
        .all(|l| l["record"] == "probe"));
    // the decoy key exchange: every match was an INVALID_KE_PAYLOAD, no half-open SA was made
    assert_eq!(summary["half_open_sas"], 0);
    // ratings come from RFC 8247: AES-GCM-16 128 is SHOULD, modp2048 MUST
    let rating = |kw: &str| {
        scan["accepted"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["keyword"] == kw)
            .unwrap()["rating"]["requirement"]
            .clone()
    };
    assert_eq!(rating("aes128gcm16"), "SHOULD");
    assert_eq!(rating("aes256"), "MUST");
    assert_eq!(rating("modp2048"), "MUST");
    assert_eq!(rating("ecp256"), "SHOULD");

    // The capture: every request to port 500 and every answer from it.
    let d = datagrams(&pcap);
    let requests = d.iter().filter(|x| x.dst_port == 500).count();
    let answers = d.iter().filter(|x| x.src_port == 500).count();
    assert_eq!(requests as u64, summary["messages"].as_u64().unwrap());
    assert_eq!(answers, requests, "every request was answered once");
    let times: Vec<u64> = d
        .iter()
        .filter(|x| x.dst_port == 500)
        .map(|x| x.micros)
        .collect();
    assert!(max_per_second(&times) <= 25);

    // ietfwg ikev2 decode sees the same messages, all IKE_SA_INIT.
    let dec = common::ietfwg(&["ikev2", "decode", "--json", pcap.to_str().unwrap()]);
    assert_eq!(dec.status.code(), Some(0), "{}", text(&dec.stderr));
    let msgs = common::ndjson(&dec);
    assert_eq!(msgs.len(), d.len());
    assert!(msgs
        .iter()
        .all(|m| m["ikev2"]["header"]["exchange"]["name"] == "IKE_SA_INIT"));
    // and so does tshark
    if common::tshark().is_some() {
        let rows = common::tshark_fields(&pcap, &["-Y", "isakmp"], &["isakmp.exchangetype"]);
        assert_eq!(rows.len(), d.len());
        assert!(rows.iter().all(|r| r[0] == "34"), "{rows:?}");
    }
}

#[test]
fn offers_are_accepted_rejected_and_retried_after_invalid_ke() {
    let Some(r) = responder() else { return };
    // no common proposal: NO_PROPOSAL_CHOSEN, exit 1
    let o = probe(&r, &["127.0.0.1", "--proposals", "3des-md5-modp1024"]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}{}", text(&o.stderr));
    assert!(out.contains("rejected"), "{out}");
    assert!(out.contains("NO_PROPOSAL_CHOSEN"), "{out}");
    assert!(out.contains("0 of 1 offer(s) accepted"), "{out}");

    // ecp256 first: the responder wants modp2048 (INVALID_KE_PAYLOAD), the retry with a real
    // MODP public value is accepted; ECP and X25519 values are accepted as sent (charon checks
    // the points).
    let v = probe_json(
        &r,
        "127.0.0.1:500",
        &[
            "aes256-sha256-ecp256-modp2048",
            "aes128gcm16-prfsha256-ecp256",
            "chacha20poly1305-prfsha512-x25519",
            "aes128-sha1-modp2048",
        ],
    );
    assert_eq!(v.len(), 5);
    assert_eq!(v[0]["result"], "accepted", "{}", v[0]);
    assert_eq!(v[0]["ke_group"]["id"], 14);
    assert_eq!(v[0]["chosen"]["encr"]["keyword"], "aes256");
    assert_eq!(v[0]["chosen"]["ke"]["id"], 14);
    assert!(v[0]["messages"].as_u64().unwrap() >= 2, "INVALID_KE retry");
    assert_eq!(v[1]["result"], "accepted", "{}", v[1]);
    assert_eq!(v[1]["chosen"]["ke"]["id"], 19);
    assert_eq!(v[2]["result"], "accepted", "{}", v[2]);
    assert_eq!(v[2]["chosen"]["prf"]["name"], "PRF_HMAC_SHA2_512");
    assert_eq!(v[3]["result"], "rejected");
    assert_eq!(v[3]["notify"], "NO_PROPOSAL_CHOSEN");
    assert_eq!(v[4]["record"], "summary");
    assert_eq!(v[4]["offers_accepted"], 3);
    assert_eq!(v[4]["half_open_sas"], 3);
    // the responder does fragmentation (ResponderConfig::default) and NAT-T
    assert_eq!(v[1]["responder"]["fragmentation"], true);
    assert_eq!(v[1]["responder"]["nat_detection"], true);

    // port 4500: the request carries the non-ESP marker (RFC 7296 §2.23), charon answers
    let v = probe_json(&r, "127.0.0.1:4500", &["aes128gcm16-prfsha256-ecp256"]);
    assert_eq!(v[0]["result"], "accepted");

    // usage errors: exit 2
    let o = probe(&r, &["127.0.0.1", "--proposals", "aes256-sha256-modp2049"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("modp2049"), "{}", text(&o.stderr));
}

#[test]
fn rate_is_never_exceeded_on_the_wire() {
    let Some(r) = responder() else { return };
    let pcap = r.dir().join("rate.pcap");
    let cap = r.capture(&pcap);
    let o = probe_offers(
        &r,
        &["127.0.0.1", "--rate", "4", "--json"],
        &["aes128-sha1-modp1024"; 10],
    );
    let pcap = cap.stop();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let d = datagrams(&pcap);
    let times: Vec<u64> = d
        .iter()
        .filter(|x| x.dst_port == 500)
        .map(|x| x.micros)
        .collect();
    assert_eq!(times.len(), 10, "one request per offer");
    let worst = max_per_second(&times);
    assert!(worst <= 4, "{worst} requests within one second at --rate 4");
}

#[test]
fn broadcast_and_multicast_targets_are_refused_without_sending() {
    let Some(r) = responder() else { return };
    let pcap = r.dir().join("refused.pcap");
    let cap = r.capture(&pcap);
    for target in [
        "255.255.255.255",
        "224.0.0.1",
        "[ff02::1]:500",
        "ff02::1",
        "0.0.0.0",
    ] {
        let o = probe(&r, &[target, "--proposals", "aes256-sha256-modp2048"]);
        assert_eq!(o.status.code(), Some(2), "{target}: {}", text(&o.stdout));
        assert!(o.stdout.is_empty(), "{target}: {}", text(&o.stdout));
        let err = text(&o.stderr);
        assert!(
            err.contains("broadcast") || err.contains("multicast") || err.contains("unspecified"),
            "{target}: {err}"
        );
    }
    let pcap = cap.stop();
    assert!(datagrams(&pcap).is_empty(), "something was sent");
}

#[test]
fn cookie_is_returned_when_the_responder_asks() {
    // RFC 7296 §2.6: with cookie_threshold 1, the responder demands a COOKIE once one IKE SA
    // is half open — here, after the first accepted offer.
    let Some(r) = responder_with_cookie_threshold(Some(1)) else {
        return;
    };
    let v = probe_json(
        &r,
        "127.0.0.1",
        &[
            "aes256-sha256-modp2048",
            "chacha20poly1305-prfsha512-x25519",
        ],
    );
    assert_eq!(v[0]["result"], "accepted");
    assert_eq!(v[0]["cookie"], false);
    assert_eq!(v[1]["result"], "accepted", "{}", v[1]);
    assert_eq!(v[1]["cookie"], true, "{}", v[1]);
    assert_eq!(v[1]["messages"], 2);
    assert!(r.log().contains("sending COOKIE notify"));
}

#[test]
fn cookie_threshold_zero_never_asks_for_a_cookie() {
    // test-support documents `cookie_threshold: Some(0)` as "never" (strongSwan skips the check)
    let Some(r) = responder_with_cookie_threshold(Some(0)) else {
        return;
    };
    let v = probe_json(
        &r,
        "127.0.0.1",
        &[
            "aes256-sha256-modp2048",
            "aes128gcm16-prfsha256-ecp256",
            "chacha20poly1305-prfsha512-x25519",
            "aes256-sha256-modp2048",
        ],
    );
    // with strongSwan's default (cookie_threshold_ip = 3) the 4th would need a cookie
    for p in &v[..4] {
        assert_eq!(p["result"], "accepted", "{p}");
        assert_eq!(p["cookie"], false, "{p}");
    }
    assert!(!r.log().contains("sending COOKIE notify"));
}
