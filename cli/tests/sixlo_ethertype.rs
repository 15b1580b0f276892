//! 6LoWPAN in Ethernet frames of the LoWPAN EtherType 0xA0ED (RFC 7973): `6lo compress --link
//! ethernet` writes them, `6lo decode`/`decompress` read them back byte for byte, and tshark,
//! the second decoder, reads the same IPv6 datagrams out of them.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const CONTEXT0: &str = "0=2001:db8:1::/64";
const TSHARK_CONTEXT0: &str = "6lowpan.context0:2001:db8:1::/64";

struct Tmp(PathBuf);

impl Tmp {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("ietfwg-ethertype-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_ok(args: &[&str]) -> std::process::Output {
    let out = ietfwg(args);
    assert!(
        out.status.success(),
        "ietfwg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The project's 802.15.4 captures, each decompressed to raw IPv6 and compressed again into
/// Ethernet frames of EtherType 0xA0ED: (name, raw IPv6 pcap, Ethernet pcap).
fn ethernet_captures(tmp: &Tmp) -> Vec<(String, PathBuf, PathBuf)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo");
    let mut v = Vec::new();
    for input in captures(&dir) {
        let name = input.file_stem().unwrap().to_str().unwrap().to_string();
        let raw = tmp.file(&format!("{name}-raw.pcap"));
        let eth = tmp.file(&format!("{name}-eth.pcap"));
        // Decompression may find incomplete datagrams (exit 0 all the same).
        ietfwg(&[
            "6lo",
            "decompress",
            "--context",
            CONTEXT0,
            input.to_str().unwrap(),
            "-o",
            raw.to_str().unwrap(),
        ]);
        run_ok(&[
            "6lo",
            "compress",
            "--link",
            "ethernet",
            "--context",
            CONTEXT0,
            raw.to_str().unwrap(),
            "-o",
            eth.to_str().unwrap(),
        ]);
        v.push((name, raw, eth));
    }
    assert!(v.len() >= 7, "only {} captures", v.len());
    v
}

/// Written as Ethernet, read back: the same datagrams, byte for byte (the decompressed pcaps are
/// identical files), every frame link type 1 with EtherType 0xA0ED.
#[test]
fn ethernet_round_trip_is_byte_exact() {
    let tmp = Tmp::new("roundtrip");
    let mut datagrams = 0;
    for (name, raw, eth) in ethernet_captures(&tmp) {
        let bytes = std::fs::read(&eth).unwrap();
        assert_eq!(
            u32::from_le_bytes(bytes[20..24].try_into().unwrap()),
            1,
            "{name}: link type"
        );
        let back = tmp.file(&format!("{name}-back.pcap"));
        let out = run_ok(&[
            "6lo",
            "decompress",
            "--context",
            CONTEXT0,
            eth.to_str().unwrap(),
            "-o",
            back.to_str().unwrap(),
        ]);
        assert!(stderr(&out).contains("0 frames failed"), "{}", stderr(&out));
        assert_eq!(
            std::fs::read(&raw).unwrap(),
            std::fs::read(&back).unwrap(),
            "{name}: datagrams differ after the Ethernet round trip"
        );
        let frames = ndjson(&run_ok(&[
            "6lo",
            "decode",
            "--json",
            "--context",
            CONTEXT0,
            eth.to_str().unwrap(),
        ]));
        for f in &frames {
            assert_eq!(f["encap"]["kind"], "lowpan_ethertype", "{name}: {f}");
            assert!(f["error"].is_null(), "{name}: {f}");
        }
        datagrams += frames.iter().filter(|f| !f["datagram"].is_null()).count();
    }
    assert!(datagrams >= 60, "only {datagrams} datagrams");
}

/// tshark decodes our Ethernet frames as 6LoWPAN and finds the IPv6 header we find in each,
/// with good UDP and ICMPv6 checksums.
#[test]
fn tshark_reads_the_same_datagrams() {
    if tshark().is_none() {
        eprintln!("tshark not installed: skipped");
        return;
    }
    let tmp = Tmp::new("tshark");
    let mut compared = 0;
    for (name, _, eth) in ethernet_captures(&tmp) {
        let rows = tshark_fields(
            &eth,
            &["-o", TSHARK_CONTEXT0, "-o", "udp.check_checksum:TRUE"],
            &[
                "frame.number",
                "eth.type",
                "ipv6.src",
                "ipv6.dst",
                "ipv6.plen",
                "ipv6.nxt",
                "ipv6.hlim",
                "udp.checksum.status",
                "icmpv6.checksum.status",
            ],
        );
        let first = |v: &str| v.split('|').next().unwrap_or_default().to_string();
        let theirs: BTreeMap<u64, Vec<String>> = rows
            .iter()
            .map(|r| {
                assert_eq!(r[1], "0xa0ed", "{name}: {r:?}");
                // Wireshark's checksum status: 0 bad, 1 good, 2 not verified.
                for status in [&r[7], &r[8]] {
                    assert!(
                        status.is_empty() || status.split('|').all(|s| s == "1"),
                        "{name} frame {}: checksum status {status}",
                        r[0]
                    );
                }
                (
                    num(&r[0]),
                    vec![
                        first(&r[2]),
                        first(&r[3]),
                        num(&first(&r[4])).to_string(),
                        num(&first(&r[5])).to_string(),
                        num(&first(&r[6])).to_string(),
                    ],
                )
            })
            .collect();
        let frames = ndjson(&run_ok(&[
            "6lo",
            "decode",
            "--json",
            "--context",
            CONTEXT0,
            eth.to_str().unwrap(),
        ]));
        let ours: BTreeMap<u64, Vec<String>> = frames
            .iter()
            .filter_map(|f: &Value| {
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
            .collect();
        assert_eq!(ours, theirs, "{name}");
        compared += ours.len();
    }
    assert!(compared >= 60, "only {compared} datagrams compared");
}

/// An elided address comes from the MAC with 0xFFFE inserted and the U/L bit as in the MAC
/// (Linux, Wireshark), and a truncated payload is an error with its offset.
#[test]
fn addresses_come_from_the_macs() {
    // dst 02:00:00:00:00:02, src 34:56:78:9a:bc:de, EtherType 0xA0ED; IPHC with both
    // addresses fully elided (SAM=11, DAM=11), next header 58, hop limit 64, then an ICMPv6
    // echo request whose checksum is not checked here.
    let frame = "0200000000023456789abcdea0ed7a333a8000000000010001";
    let out = ietfwg_stdin(&["6lo", "decode", "--json", "-"], &pcap(&[frame]));
    let frames = ndjson(&out);
    assert_eq!(
        frames[0]["datagram"]["ipv6"]["src"],
        "fe80::3456:78ff:fe9a:bcde"
    );
    assert_eq!(frames[0]["datagram"]["ipv6"]["dst"], "fe80::200:ff:fe00:2");
    assert_eq!(frames[0]["encap"]["src"], "34:56:78:9a:bc:de");
    let out = ietfwg_stdin(
        &["6lo", "decode", "--json", "-"],
        &pcap(&["0200000000023456789abcdea0ed7a"]),
    );
    assert_exit(&out, 1);
    let frames = ndjson(&out);
    assert!(
        frames[0]["error"].to_string().contains("IPHC"),
        "{}",
        frames[0]
    );
}

/// A little-endian pcap of link type 1 holding these hex frames.
fn pcap(frames: &[&str]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&65535u32.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        let b = hex::decode(f).unwrap();
        v.extend_from_slice(&(i as u32).to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&(b.len() as u32).to_le_bytes());
        v.extend_from_slice(&(b.len() as u32).to_le_bytes());
        v.extend_from_slice(&b);
    }
    v
}
