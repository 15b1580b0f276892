//! `ietfwg 6lo decode` on 6LoWPAN links other than 802.15.4 (pcaps/6lo-links/, made by
//! pcaps/links-6lo.py from the RFCs' frame formats): BACnet MS/TP (RFC 8163), NFC LLCP
//! (RFC 9428), ITU-T G.9959 (RFC 7428). tshark 4.0 reads MS/TP headers (not its COBS-encoded
//! frame types, nor type 34) and neither NFC LLCP nor G.9959: the MS/TP headers are compared
//! with it; the rest is checked against what the script built (the ICMPv6 and UDP checksums
//! it computed over the addresses each RFC's IID rule gives).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn capture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../pcaps/6lo-links")
        .join(name)
}

fn decode(name: &str) -> (std::process::Output, Vec<Value>) {
    let file = capture(name);
    let out = ietfwg(&["6lo", "decode", "--json", file.to_str().unwrap()]);
    let frames = ndjson(&out);
    (out, frames)
}

/// (source, destination, checksum ok) of each datagram.
fn datagrams(frames: &[Value]) -> Vec<(String, String, bool)> {
    frames
        .iter()
        .filter_map(|f| {
            let ip = f.pointer("/datagram/ipv6").filter(|v| !v.is_null())?;
            Some((
                ip["src"].as_str()?.to_string(),
                ip["dst"].as_str()?.to_string(),
                ip["upper"]["checksum_ok"].as_bool()?,
            ))
        })
        .collect()
}

fn warnings(f: &Value) -> Vec<String> {
    f["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["field"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn mstp_frames_decode_and_their_addresses_follow_rfc_8163() {
    let (out, frames) = decode("mstp.pcap");
    assert_exit(&out, 0);
    assert_eq!(frames.len(), 7);
    let kinds: Vec<_> = frames
        .iter()
        .map(|f| f["link"]["frame_type"].as_u64().unwrap())
        .collect();
    assert_eq!(kinds, [0, 34, 34, 34, 34, 6, 34]);
    let a3 = "fe80::ff:fe00:3".to_string();
    let a4 = "fe80::ff:fe00:4".to_string();
    assert_eq!(
        datagrams(&frames),
        [
            (a3.clone(), a4.clone(), true),
            (a4.clone(), a3.clone(), true),
            (a3.clone(), "ff02::2".to_string(), true),
            (a3.clone(), a4.clone(), true),
            (a3.clone(), a4.clone(), true),
        ]
    );
    // The 390-octet datagram crossed a COBS block of 254 octets.
    assert_eq!(frames[4]["link"]["data_length"], 390);
    assert_eq!(frames[4]["datagram"]["length"], 389);
    // Frame 6 is BACnet, not 6LoWPAN; its CRC-16 holds. Frame 7's CRC-32K was changed.
    assert_eq!(frames[5]["link"]["data_crc_ok"], true);
    assert!(frames[5]["note"].as_str().unwrap().contains("not 6LoWPAN"));
    assert_eq!(frames[6]["link"]["data_crc_ok"], false);
    assert_eq!(warnings(&frames[6]), ["CRC-32K"]);
    for f in &frames[..6] {
        assert!(warnings(f).is_empty(), "{f}");
    }
    let text = stdout(&ietfwg(&[
        "6lo",
        "decode",
        capture("mstp.pcap").to_str().unwrap(),
    ]));
    assert!(text.contains(
        "BACnet MS/TP IPv6 over MS/TP (LoBAC) Encapsulation  3 → 4  header CRC ok  CRC-32K ok"
    ));
    assert!(text.contains("CRC-32K BAD"));
    let brief = stdout(&ietfwg(&[
        "6lo",
        "decode",
        "--brief",
        capture("mstp.pcap").to_str().unwrap(),
    ]));
    let lines: Vec<&str> = brief.lines().collect();
    assert!(
        lines[1].contains(
            "mstp   - 3 > 4  IPHC  fe80::ff:fe00:3 > fe80::ff:fe00:4 ICMPv6 echo request"
        ),
        "{brief}"
    );
    assert!(lines[6].ends_with("[bad CRC]"), "{brief}");
}

/// tshark's MS/TP dissector reads the same headers and finds every header CRC good.
#[test]
fn mstp_headers_equal_tsharks() {
    if tshark().is_none() {
        assert!(std::env::var("CI").is_err(), "tshark missing under CI");
        eprintln!("tshark not installed: skipped");
        return;
    }
    let (_, frames) = decode("mstp.pcap");
    let theirs = tshark_fields(
        &capture("mstp.pcap"),
        &[],
        &[
            "mstp.frame_type",
            "mstp.dst",
            "mstp.src",
            "mstp.len",
            "mstp.hdr_crc",
            "mstp.checksum.status",
        ],
    );
    assert_eq!(theirs.len(), frames.len());
    for (f, t) in frames.iter().zip(&theirs) {
        let l = &f["link"];
        let mine = [
            l["frame_type"].as_u64().unwrap(),
            l["dst"].as_u64().unwrap(),
            l["src"].as_u64().unwrap(),
            l["length"].as_u64().unwrap(),
            l["header_crc"].as_u64().unwrap(),
            u64::from(l["header_crc_ok"].as_bool().unwrap()),
        ];
        let t: Vec<u64> = t
            .iter()
            .map(|v| num(v.split('|').next().unwrap()))
            .collect();
        assert_eq!(mine.to_vec(), t, "frame {}", f["frame"]);
    }
}

#[test]
fn nfc_llcp_pdus_decode_and_their_addresses_follow_rfc_9428() {
    let (out, frames) = decode("nfc-llcp.pcap");
    assert_exit(&out, 0);
    let ptypes: Vec<_> = frames
        .iter()
        .map(|f| f["link"]["ptype_name"].as_str().unwrap())
        .collect();
    assert_eq!(ptypes, ["SYMM", "UI", "I"]);
    assert_eq!(frames[2]["link"]["ns"], 1);
    assert_eq!(
        datagrams(&frames),
        [
            ("fe80::ff:fe00:20".into(), "fe80::ff:fe00:21".into(), true),
            ("fe80::ff:fe00:21".into(), "fe80::ff:fe00:20".into(), true),
        ]
    );
}

#[test]
fn g9959_frames_decode_and_their_addresses_follow_rfc_7428() {
    let (out, frames) = decode("g9959.pcap");
    assert_exit(&out, 0);
    assert_eq!(frames.len(), 4);
    assert_eq!(frames[0]["link"]["home_id"], "c0ffee01");
    assert_eq!(
        datagrams(&frames),
        [
            ("fe80::ff:fe00:1".into(), "fe80::ff:fe00:2".into(), true),
            ("fe80::ff:fe00:2".into(), "fe80::ff:fe00:1".into(), true),
            ("fe80::ff:fe00:1".into(), "fe80::ff:fe00:2".into(), true),
        ]
    );
    assert!(frames[2]["note"]
        .as_str()
        .unwrap()
        .contains("acknowledgement"));
    assert_eq!(warnings(&frames[3]), ["Checksum"]);
}

/// `6lo compress --link mstp`: the datagrams of every capture of pcaps/6lo/, written as MS/TP
/// frames of type 34 and decompressed again, are the same file; tshark finds every header
/// CRC good.
#[test]
fn compress_link_mstp_round_trips() {
    let dir = std::env::temp_dir().join(format!("ietfwg-mstp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcaps = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo");
    let mut written = 0;
    for input in captures(&pcaps) {
        let name = input.file_stem().unwrap().to_str().unwrap().to_string();
        let raw = dir.join(format!("{name}-raw.pcap"));
        let mstp = dir.join(format!("{name}-mstp.pcap"));
        let again = dir.join(format!("{name}-again.pcap"));
        let ctx = ["--context", "0=2001:db8:1::/64"];
        let mut a = vec!["6lo", "decompress", input.to_str().unwrap(), "-o"];
        a.push(raw.to_str().unwrap());
        a.extend(ctx);
        ietfwg(&a);
        let mut a = vec!["6lo", "compress", raw.to_str().unwrap(), "--link", "mstp"];
        a.extend(["-o", mstp.to_str().unwrap()]);
        a.extend(ctx);
        assert_exit(&ietfwg(&a), 0);
        let mut a = vec!["6lo", "decompress", mstp.to_str().unwrap(), "-o"];
        a.push(again.to_str().unwrap());
        a.extend(ctx);
        assert_exit(&ietfwg(&a), 0);
        let (x, y) = (std::fs::read(&raw).unwrap(), std::fs::read(&again).unwrap());
        assert_eq!(x, y, "{name}: datagrams differ after MS/TP");
        written += x.len();
        if tshark().is_some() {
            for r in tshark_fields(&mstp, &[], &["mstp.frame_type", "mstp.checksum.status"]) {
                assert_eq!(r[0], "34", "{name}");
                assert!(r[1].starts_with('1'), "{name}: header CRC {r:?}");
            }
        }
    }
    assert!(written > 1000);
    std::fs::remove_dir_all(&dir).ok();
}
