//! `ietfwg 6lo` against the third-party corpus, with tshark as the independent decoder.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

/// Context 0 of the project's own captures (pcaps/README.md), for tshark and for us.
const TSHARK_CONTEXT0: &str = "6lowpan.context0:2001:db8:1::/64";
const CONTEXT0: &str = "0=2001:db8:1::/64";

/// The corpus captures, then the project's own.
fn all_captures(shared: &Path) -> Vec<std::path::PathBuf> {
    let mut v = captures(&shared.join("corpus/6lo"));
    v.extend(captures(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo"),
    ));
    v
}

/// The fields compared for every IPv6 datagram tshark decompresses from 6LoWPAN.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fields {
    src: String,
    dst: String,
    plen: u64,
    nxt: u64,
    hlim: u64,
    tclass: u64,
    flow: u64,
    udp: Option<(u64, u64, u64)>,
}

/// The 6LoWPAN-borne IPv6 header (and UDP header) tshark shows per frame. tshark also shows the
/// IPv6/UDP that carries ZEP (OpenWSN sniffers): those come before `6lowpan` in
/// frame.protocols and are skipped.
fn tshark_datagrams(file: &Path) -> BTreeMap<u64, Fields> {
    let rows = tshark_fields(
        file,
        // We decode whatever the FCS says (and report it), so tshark must too.
        &[
            "-o",
            "wpan.802154_fcs_ok:FALSE",
            "-o",
            TSHARK_CONTEXT0,
            "-Y",
            "6lowpan && ipv6",
        ],
        &[
            "frame.number",
            "frame.protocols",
            "ipv6.src",
            "ipv6.dst",
            "ipv6.plen",
            "ipv6.nxt",
            "ipv6.hlim",
            "ipv6.tclass",
            "ipv6.flow",
            "udp.srcport",
            "udp.dstport",
            "udp.length",
        ],
    );
    let mut map = BTreeMap::new();
    for r in rows {
        let protos: Vec<&str> = r[1].split(':').collect();
        let Some(lowpan_at) = protos.iter().position(|p| *p == "6lowpan") else {
            continue;
        };
        let skip_ip = protos[..lowpan_at].iter().filter(|p| **p == "ipv6").count();
        let skip_udp = protos[..lowpan_at].iter().filter(|p| **p == "udp").count();
        let has_udp = protos[lowpan_at..].contains(&"udp");
        let pick = |i: usize, skip: usize| -> Option<String> {
            r.get(i)?.split('|').nth(skip).map(str::to_string)
        };
        let Some(src) = pick(2, skip_ip) else {
            continue;
        };
        let f = Fields {
            src,
            dst: pick(3, skip_ip).unwrap_or_default(),
            plen: num(&pick(4, skip_ip).unwrap_or_default()),
            nxt: num(&pick(5, skip_ip).unwrap_or_default()),
            hlim: num(&pick(6, skip_ip).unwrap_or_default()),
            tclass: num(&pick(7, skip_ip).unwrap_or_default()),
            flow: num(&pick(8, skip_ip).unwrap_or_default()),
            udp: if has_udp {
                Some((
                    num(&pick(9, skip_udp).unwrap_or_default()),
                    num(&pick(10, skip_udp).unwrap_or_default()),
                    num(&pick(11, skip_udp).unwrap_or_default()),
                ))
            } else {
                None
            },
        };
        map.insert(num(&r[0]), f);
    }
    map
}

fn ours(frames: &[Value]) -> BTreeMap<u64, Fields> {
    let mut map = BTreeMap::new();
    for f in frames {
        let Some(ip) = f.pointer("/datagram/ipv6").filter(|v| !v.is_null()) else {
            continue;
        };
        let n = |k: &str| {
            ip[k]
                .as_u64()
                .unwrap_or_else(|| panic!("{k} missing in {ip}"))
        };
        let udp = ip.get("upper").filter(|u| u["kind"] == "udp").map(|u| {
            (
                u["src_port"].as_u64().unwrap_or(0),
                u["dst_port"].as_u64().unwrap_or(0),
                u["length"].as_u64().unwrap_or(0),
            )
        });
        let fields = Fields {
            src: ip["src"].as_str().unwrap_or_default().to_string(),
            dst: ip["dst"].as_str().unwrap_or_default().to_string(),
            plen: n("payload_length"),
            nxt: n("next_header"),
            hlim: n("hop_limit"),
            tclass: n("traffic_class"),
            flow: n("flow_label"),
            udp,
        };
        map.insert(f["frame"].as_u64().expect("frame number"), fields);
    }
    map
}

/// Every frame of every 6LoWPAN corpus capture is decoded or rejected with a reason, and never
/// makes the decoder panic.
#[test]
fn every_corpus_frame_is_decoded_or_rejected_with_a_reason() {
    let Some(shared) = shared() else { return };
    let files = captures(&shared.join("corpus/6lo"));
    assert!(
        files.len() >= 40,
        "expected the 47 6lo captures, found {}",
        files.len()
    );
    let mut totals = (0usize, 0usize, 0usize);
    for file in &files {
        let out = ietfwg(&[
            "6lo",
            "decode",
            "--json",
            file.to_str().expect("utf-8 path"),
        ]);
        let code = out.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "{}: exit {:?}\n{}",
            file.display(),
            code,
            String::from_utf8_lossy(&out.stderr)
        );
        let frames: Vec<Value> = ndjson(&out)
            .into_iter()
            .filter(|v| v.get("frame").is_some())
            .collect();
        assert!(!frames.is_empty(), "{}: no frames", file.display());
        let mut failed = 0;
        for f in &frames {
            let decoded = f.get("mac").is_some_and(|m| !m.is_null()) || f.get("skipped").is_some();
            let err = f.get("error").filter(|e| !e.is_null());
            assert!(
                decoded || err.is_some(),
                "{}: frame {} neither decoded nor rejected: {f}",
                file.display(),
                f["frame"]
            );
            // A malformed datagram is the frame's `error` too (the closing line counts it).
            if let Some(e) = err {
                failed += 1;
                let msg = e["message"].as_str().unwrap_or_default();
                assert!(
                    msg.len() > 10 && e.get("offset").is_some(),
                    "{}: vague error {e}",
                    file.display()
                );
            }
        }
        assert_eq!(
            code == Some(1),
            failed > 0,
            "{}: exit status must say whether a frame failed",
            file.display()
        );
        totals.0 += frames.len();
        totals.1 += failed;
        totals.2 += frames
            .iter()
            .filter(|f| f.pointer("/datagram/ipv6").is_some_and(|v| !v.is_null()))
            .count();
    }
    eprintln!(
        "{} files: {} frames, {} rejected with a reason, {} IPv6 datagrams",
        files.len(),
        totals.0,
        totals.1,
        totals.2
    );
    // The corpus holds 7,400 frames (tshark counts); thousands of them carry 6LoWPAN.
    assert_eq!(totals.0, 7400);
}

/// Frames where tshark shows an IPv6 header that the frame does not hold: we reject them with an
/// error naming the field.
const TSHARK_IS_LENIENT: &[(&str, u64, &str)] = &[(
    "802_15_4-data.pcap",
    1,
    "only 38 of 2086 bytes captured: the GHC (RFC 7400) Hop-by-Hop header at byte 23 runs past them; tshark 4.0 knows no GHC and shows Next Header 59, plen 0",
)];

/// For every frame tshark decompresses to IPv6, our IPv6 header fields and UDP ports/length are
/// tshark's.
#[test]
fn ipv6_and_udp_fields_equal_tsharks() {
    let Some(shared) = shared() else { return };
    if tshark().is_none() {
        return;
    }
    let mut compared = 0;
    let mut mismatches = Vec::new();
    let mut files = 0;
    for file in all_captures(&shared) {
        let theirs = tshark_datagrams(&file);
        if theirs.is_empty() {
            continue;
        }
        files += 1;
        let out = ietfwg(&[
            "6lo",
            "decode",
            "--json",
            "--context",
            CONTEXT0,
            file.to_str().expect("utf-8 path"),
        ]);
        let frames = ndjson(&out);
        let mine = ours(&frames);
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        for (frame, t) in &theirs {
            if let Some((_, _, why)) = TSHARK_IS_LENIENT
                .iter()
                .find(|(f, n, _)| *f == name && n == frame)
            {
                let ours = frames
                    .iter()
                    .find(|f| f["frame"] == *frame)
                    .expect("frame present");
                assert!(
                    !ours["error"].is_null(),
                    "{name} frame {frame}: expected an error ({why}), got {ours}"
                );
                continue;
            }
            compared += 1;
            match mine.get(frame) {
                Some(m) if m == t => {}
                other => mismatches.push(format!(
                    "{} frame {frame}:\n  tshark {t:?}\n  ietfwg {other:?}",
                    file.display()
                )),
            }
        }
    }
    eprintln!(
        "compared {compared} datagrams with tshark, {} mismatches",
        mismatches.len()
    );
    assert!(compared > 7000, "only {compared} datagrams compared");
    assert!(
        files >= 48,
        "only {files} captures had datagrams to compare"
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `decompress` writes a pcap that tshark opens and reads as the same IPv6 datagrams, with UDP
/// checksums (recomputed where the frame elided them) that tshark finds correct.
#[test]
fn decompress_output_reads_back_in_tshark() {
    let Some(shared) = shared() else { return };
    if tshark().is_none() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ietfwg-decompress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut checked = 0;
    let mut good_checksums = 0;
    for name in [
        "wpan_802_15_4_LLT_195_6lowpan.pcap",
        "echo_req_and_reply_and_other_packets_with_openmote_sniffer.pcap",
        "TD_6LOWPAN_HC_07_PASS.pcap",
        "6lowpan_dissector_enourmously_big_trace.pcap",
    ] {
        let input = shared.join("corpus/6lo").join(name);
        let output = dir.join(format!("{name}.ipv6.pcap"));
        let out = ietfwg(&[
            "6lo",
            "decompress",
            input.to_str().expect("path"),
            "-o",
            output.to_str().expect("path"),
        ]);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let decoded = ietfwg(&["6lo", "decode", "--json", input.to_str().expect("path")]);
        let expected: Vec<Fields> = ours(&ndjson(&decoded)).into_values().collect();
        let rows = tshark_fields(
            &output,
            &["-o", "udp.check_checksum:TRUE"],
            &[
                "frame.protocols",
                "ipv6.src",
                "ipv6.dst",
                "ipv6.plen",
                "ipv6.nxt",
                "ipv6.hlim",
                "ipv6.tclass",
                "ipv6.flow",
                "udp.checksum.status",
                "_ws.malformed",
            ],
        );
        assert_eq!(rows.len(), expected.len(), "{name}: packet count");
        for (i, (r, e)) in rows.iter().zip(&expected).enumerate() {
            assert!(
                r[0].starts_with("raw:ipv6"),
                "{name} packet {}: {}",
                i + 1,
                r[0]
            );
            let first = |k: usize| r[k].split('|').next().unwrap_or_default().to_string();
            assert_eq!(
                (first(1), first(2)),
                (e.src.clone(), e.dst.clone()),
                "{name} packet {}",
                i + 1
            );
            assert_eq!(
                (
                    num(&first(3)),
                    num(&first(4)),
                    num(&first(5)),
                    num(&first(6)),
                    num(&first(7))
                ),
                (e.plen, e.nxt, e.hlim, e.tclass, e.flow),
                "{name} packet {}",
                i + 1
            );
            // 0 is Bad; 2 (unverified) is what tshark says of the corrupt sniffer frames whose
            // UDP length exceeds the datagram.
            if !r[8].is_empty() {
                assert_ne!(
                    first(8),
                    "0",
                    "{name} packet {}: tshark finds the UDP checksum bad",
                    i + 1
                );
                good_checksums += u32::from(first(8) == "1");
            }
            checked += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked > 100, "only {checked} datagrams checked");
    assert!(
        good_checksums > 20,
        "only {good_checksums} UDP checksums verified by tshark"
    );
}
