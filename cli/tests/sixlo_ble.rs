//! `ietfwg 6lo` on IPv6 over Bluetooth LE (RFC 7668): the captures of `pcaps/6lo-ble/`
//! (recorded with scapy by `pcaps/record-6lo-ble.py`), with tshark as the independent decoder,
//! and `6lo compress --link ble` read back byte for byte.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

fn ble_pcap(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../pcaps/6lo-ble")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The IPv6 header fields compared, per capture frame.
type Headers = BTreeMap<u64, [String; 7]>;

const IPV6_FIELDS: [&str; 7] = [
    "ipv6.src",
    "ipv6.dst",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.tclass",
    "ipv6.flow",
];

/// What tshark decompresses from 6LoWPAN over IPSP, per frame.
fn tshark_headers(file: &Path) -> Headers {
    let mut fields = vec!["frame.number"];
    fields.extend(IPV6_FIELDS);
    tshark_fields(file, &["-Y", "6lowpan && ipv6"], &fields)
        .into_iter()
        .map(|r| {
            let n = num(&r[0]);
            let v: [String; 7] = std::array::from_fn(|i| {
                let f = &r[i + 1];
                if i < 2 {
                    f.clone()
                } else {
                    num(f).to_string()
                }
            });
            (n, v)
        })
        .collect()
}

/// What `6lo decode --json` decompresses, per frame.
fn our_headers(records: &[Value]) -> Headers {
    records
        .iter()
        .filter_map(|r| {
            let h = r.get("datagram")?.get("ipv6")?;
            let n = r["frame"].as_u64()?;
            let g = |k: &str| match &h[k] {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            Some((
                n,
                [
                    g("src"),
                    g("dst"),
                    g("payload_length"),
                    g("next_header"),
                    g("hop_limit"),
                    g("traffic_class"),
                    g("flow_label"),
                ],
            ))
        })
        .collect()
}

fn decode_json(file: &Path) -> (std::process::Output, Vec<Value>) {
    let out = ietfwg(&["6lo", "decode", "--json", s(file)]);
    let recs = ndjson(&out);
    (out, recs)
}

/// Every IPv6 header decompressed from the sniffer captures (PHDR, nRF Sniffer) and the host
/// captures (H4, Linux monitor) equals tshark's, frame for frame, and all six datagrams are
/// there in each.
#[test]
fn ipsp_captures_match_tshark() {
    if tshark().is_none() {
        return;
    }
    for name in [
        "ipsp-phdr.pcap",
        "ipsp-nordic.pcap",
        "ipsp-hci-h4.pcap",
        "ipsp-btmon.pcap",
    ] {
        let f = ble_pcap(name);
        let (out, recs) = decode_json(&f);
        assert_exit(&out, 0);
        let ours = our_headers(&recs);
        let theirs = tshark_headers(&f);
        assert_eq!(ours.len(), 6, "{name}: {ours:?}");
        assert_eq!(ours, theirs, "{name}");
        // Every frame names the link the same way, and the sniffer captures check every CRC.
        for r in &recs {
            assert_eq!(r["ble"]["link"], "ble", "{name}: {r}");
            if r["ble"]["source"] == "ll" {
                assert_eq!(r["ble"]["crc"]["ok"], true, "{name}: {r}");
            }
        }
    }
}

/// The addresses 6LoWPAN derived come from the device addresses (RFC 7668 §3.2.2: no bit
/// inverted) — the random central and the public peripheral of the CONNECT_IND.
#[test]
fn elided_addresses_come_from_device_addresses() {
    let (out, recs) = decode_json(&ble_pcap("ipsp-phdr.pcap"));
    assert_exit(&out, 0);
    let connect = recs
        .iter()
        .find(|r| r["ble"]["pdu"] == "connect_ind")
        .expect("CONNECT_IND");
    assert_eq!(connect["ble"]["src"], "c0:ff:ee:00:00:01");
    assert_eq!(connect["ble"]["connect"]["central"], "c0:ff:ee:00:00:01");
    assert_eq!(connect["ble"]["connect"]["peripheral"], "00:1b:dc:06:5b:2a");
    let first = recs
        .iter()
        .find(|r| r["datagram"]["ipv6"].is_object())
        .unwrap();
    assert_eq!(first["datagram"]["ipv6"]["src"], "fe80::c0ff:eeff:fe00:1");
    assert_eq!(first["datagram"]["ipv6"]["dst"], "fe80::1b:dcff:fe06:5b2a");
    assert_eq!(first["lowpan"]["compression"]["iphc"]["sam"], 3);
    assert_eq!(first["ble"]["l2cap"]["psm"], 35);
    assert_eq!(first["ble"]["l2cap"]["psm_learned"], true);
    // The 600-octet echo reply: one SDU over many LL PDUs, its datagram lists them all.
    let big = recs
        .iter()
        .find(|r| r["datagram"]["ipv6"]["payload_length"] == 608)
        .expect("the 600-octet echo reply");
    let frames = big["datagram"]["frames"].as_array().unwrap();
    assert!(frames.len() > 20, "{frames:?}");
}

/// Without a pseudo-header (LINKTYPE 251) nothing says who sent a data PDU: the device
/// addresses cannot stand for the IIDs, and an elided address is an error naming the field;
/// the datagram with every address inline still decodes.
#[test]
fn ll_without_direction_cannot_derive_iids() {
    let (out, recs) = decode_json(&ble_pcap("ipsp-ll.pcap"));
    assert_exit(&out, 1);
    let errors: Vec<&Value> = recs
        .iter()
        .filter(|r| r["error"].is_object())
        .map(|r| &r["error"])
        .collect();
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(errors.iter().all(|e| e["layer"] == "iphc"), "{errors:?}");
    assert_eq!(our_headers(&recs).len(), 1);
    assert_eq!(
        our_headers(&recs).values().next().unwrap()[1],
        "2001:db8::1"
    );
}

/// No signalling in the capture: the dynamic channel whose SDUs start with IPHC is taken as
/// IPSP, and the output says so; the SDU that is not 6LoWPAN is left alone.
#[test]
fn unsignalled_channel_taken_as_ipsp_by_its_dispatch() {
    let (out, recs) = decode_json(&ble_pcap("ipsp-no-signalling.pcap"));
    assert_exit(&out, 0);
    assert_eq!(our_headers(&recs).len(), 2);
    let notes: Vec<&str> = recs
        .iter()
        .filter_map(|r| r["ble"]["note"].as_str())
        .collect();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.contains("taken as IPSP (PSM 0x0023)"))
            .count(),
        2,
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("CID 0x0042") && n.contains("not taken as IPSP")),
        "{notes:?}"
    );
    let text = ietfwg(&["6lo", "decode", s(&ble_pcap("ipsp-no-signalling.pcap"))]);
    assert!(stdout(&text).contains("(IPSP, by its IPHC dispatch)"));
}

/// RFC 7668 §3.2.3: fragment, mesh and broadcast headers inside an IPSP SDU are errors that
/// cite the rule; the valid datagram after them decodes.
#[test]
fn fragment_mesh_and_broadcast_headers_are_refused() {
    let (out, recs) = decode_json(&ble_pcap("rfc7668-violations.pcap"));
    assert_exit(&out, 1);
    let errors: Vec<&Value> = recs
        .iter()
        .filter(|r| r["error"].is_object())
        .map(|r| &r["error"])
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    for (e, what) in errors
        .iter()
        .zip(["fragment header", "mesh header", "LOWPAN_BC0"])
    {
        assert_eq!(e["layer"], "ble");
        assert_eq!(e["field"], "6LoWPAN dispatch");
        let m = e["message"].as_str().unwrap();
        assert!(m.contains(what) && m.contains("RFC 7668 §3.2.3"), "{m}");
        assert_eq!(e["rfc"], "RFC 7668 §3.2.3");
    }
    assert_eq!(our_headers(&recs).len(), 1);
}

/// The records of a pcap written by this program or by the recorders (little-endian).
fn pcap_records(path: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(path).unwrap();
    assert!(b.len() >= 24);
    let mut v = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let len = u32::from_le_bytes(b[at + 8..at + 12].try_into().unwrap()) as usize;
        v.push(b[at + 16..at + 16 + len].to_vec());
        at += 16 + len;
    }
    v
}

/// `compress --link ble` then `decompress`: every datagram of the project's 6LoWPAN captures
/// comes back byte for byte, and tshark reads the Bluetooth LE capture to the same IPv6
/// headers as the datagrams that went in.
#[test]
fn compress_ble_round_trip_is_byte_exact() {
    let dir = tempdir();
    let mut total = 0;
    for f in captures(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo")) {
        let ip = dir.join("ip.pcap");
        let ble = dir.join("ble.pcap");
        let back = dir.join("back.pcap");
        let o = ietfwg(&["6lo", "decompress", s(&f), "-o", s(&ip)]);
        assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
        let o = ietfwg(&["6lo", "compress", s(&ip), "-o", s(&ble), "--link", "ble"]);
        assert_exit(&o, 0);
        let o = ietfwg(&["6lo", "decompress", s(&ble), "-o", s(&back)]);
        assert_exit(&o, 0);
        let (a, b) = (pcap_records(&ip), pcap_records(&back));
        assert!(!a.is_empty());
        assert_eq!(a, b, "{}", f.display());
        total += a.len();
        if tshark().is_some() {
            let mut theirs: Vec<[String; 7]> = tshark_headers(&ble).into_values().collect();
            let mut fields = vec!["frame.number"];
            fields.extend(IPV6_FIELDS);
            let mut sent: Vec<[String; 7]> = tshark_fields(&ip, &[], &fields)
                .into_iter()
                .map(|r| {
                    std::array::from_fn(|i| {
                        if i < 2 {
                            r[i + 1].clone()
                        } else {
                            num(&r[i + 1]).to_string()
                        }
                    })
                })
                .collect();
            theirs.sort();
            sent.sort();
            assert_eq!(theirs, sent, "{}", f.display());
        }
    }
    assert!(total >= 40, "{total}");
}

/// Bluetooth LE in, every other link out: the datagrams the IPSP channels carried, compressed
/// for 802.15.4, Ethernet (EtherType 0xA0ED) and MS/TP and decompressed again, are those
/// `decompress` reads from the Bluetooth LE capture, byte for byte.
#[test]
fn ble_input_compresses_to_every_link() {
    let dir = tempdir();
    let f = ble_pcap("ipsp-nordic.pcap");
    let direct = dir.join("direct.pcap");
    let o = ietfwg(&["6lo", "decompress", s(&f), "-o", s(&direct)]);
    assert_exit(&o, 0);
    let want = pcap_records(&direct);
    assert_eq!(want.len(), 6);
    for link in ["wpan", "ethernet", "mstp"] {
        let (out, back) = (dir.join("out.pcap"), dir.join("back.pcap"));
        let o = ietfwg(&["6lo", "compress", s(&f), "-o", s(&out), "--link", link]);
        assert_exit(&o, 0);
        let o = ietfwg(&["6lo", "decompress", s(&out), "-o", s(&back)]);
        assert_exit(&o, 0);
        assert_eq!(pcap_records(&back), want, "--link {link}");
    }
}

/// `--stats` puts 802.15.4 and Bluetooth LE side by side on the same datagrams: 802.15.4 needs
/// fewer frames than Bluetooth LE needs 27-octet LL PDUs, and with the Data Length Extension
/// (251) far fewer PDUs go.
#[test]
fn compress_stats_compares_the_links() {
    let dir = tempdir();
    let ip = dir.join("ip.pcap");
    let o = ietfwg(&[
        "6lo",
        "decompress",
        s(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo/frag-udp.pcap")),
        "-o",
        s(&ip),
    ]);
    assert_exit(&o, 0);
    let counts = |ll: &str| {
        let o = ietfwg(&[
            "6lo",
            "compress",
            s(&ip),
            "-o",
            s(&dir.join("x.pcap")),
            "--stats",
            "--ble-ll-size",
            ll,
        ]);
        assert_exit(&o, 0);
        let e = stderr(&o);
        let line = |k: &str| {
            e.lines()
                .find(|l| l.trim_start().starts_with(k))
                .unwrap_or_else(|| panic!("no {k} line: {e}"))
                .to_string()
        };
        assert!(line("compare:").contains("the same 5 datagrams"), "{e}");
        let first_num = |l: String| -> u64 {
            l.split(':')
                .nth(1)
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        (
            first_num(line("802.15.4:")),
            first_num(line("Bluetooth LE:")),
        )
    };
    let (wpan, ble27) = counts("27");
    let (wpan2, ble251) = counts("251");
    assert_eq!(wpan, wpan2);
    assert!(
        wpan > 5 && ble27 > wpan && ble251 < ble27,
        "{wpan} {ble27} {ble251}"
    );
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ietfwg-ble-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The recorder is re-runnable: `pcaps/record-6lo-ble.py` (scapy 2.8.0) writes the committed
/// captures again, byte for byte. Skipped (with a notice) without python3 and that scapy;
/// under CI=true (where `scripts/test` installs it) their absence fails.
#[test]
fn recorder_reproduces_the_captures() {
    let has_scapy = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, scapy; sys.exit(scapy.__version__ != '2.8.0')",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_scapy {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 with scapy 2.8.0 is missing (scripts/test installs it)"
        );
        eprintln!("notice: python3 with scapy 2.8.0 not found: recorder not re-run");
        return;
    }
    let dir = tempdir();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let o = std::process::Command::new("python3")
        .arg(root.join("pcaps/record-6lo-ble.py"))
        .args(["--out", s(&dir)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let committed = captures(&root.join("pcaps/6lo-ble"));
    assert_eq!(committed.len(), 7);
    for f in committed {
        let again = dir.join(f.file_name().unwrap());
        assert_eq!(
            std::fs::read(&f).unwrap(),
            std::fs::read(&again).unwrap(),
            "{} differs when re-recorded",
            f.display()
        );
    }
}

/// `--brief`: one line per packet, the PDU kind and device addresses in the MAC columns, the
/// datagram on the packet completing its SDU, an error after `!`.
#[test]
fn brief_lines_name_the_ble_link() {
    let out = ietfwg(&["6lo", "decode", "--brief", s(&ble_pcap("ipsp-hci-h4.pcap"))]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let line = text.lines().nth(6).unwrap();
    assert!(
        line.contains("ble  hci_acl 00:1a:7d:da:71:13 > c0:ff:ee:00:00:02  IPHC  fe80::1a:7dff:feda:7113 > fe80::c0ff:eeff:fe00:2 UDP 61616 > 61617"),
        "{line}"
    );
    let out = ietfwg(&[
        "6lo",
        "decode",
        "--brief",
        s(&ble_pcap("rfc7668-violations.pcap")),
    ]);
    assert_exit(&out, 1);
    assert_eq!(
        stdout(&out)
            .lines()
            .filter(|l| l.contains("! Bluetooth LE: byte 0: 6LoWPAN dispatch: RFC 7668 §3.2.3"))
            .count(),
        3
    );
}
