//! The RFC 7388 LOWPAN-MIB counters: the input counters of `6lo stats` and the output counters
//! of `6lo compress --stats`, each on a capture whose value can be counted by hand.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{assert_exit, ietfwg, stderr};
use serde_json::Value;

use common::project_pcap as pcap;

fn mib(args: &[&str]) -> Value {
    let o = ietfwg(args);
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    v["mib"].clone()
}

#[track_caller]
fn assert_counters(mib: &Value, expected: &[(&str, u64)]) {
    for (name, n) in expected {
        assert_eq!(mib[*name], *n, "{name} in {mib}");
    }
}

/// iphc-forms.pcap: 25 data frames, each an unfragmented LOWPAN_IPHC datagram; frames 13-17
/// use context 0, which is not configured, so their decompression fails.
#[test]
fn iphc_forms_counts_by_hand() {
    let m = mib(&["6lo", "stats", "--json", &pcap("6lo", "iphc-forms.pcap")]);
    assert_counters(
        &m,
        &[
            ("lowpanInReceives", 25),
            ("lowpanInHdrErrors", 0),
            ("lowpanInMeshReceives", 0),
            ("lowpanInReasmReqds", 0),
            ("lowpanInReasmFails", 0),
            ("lowpanInReasmOKs", 0),
            ("lowpanInCompReqds", 25),
            ("lowpanInCompFails", 5),
            ("lowpanInCompOKs", 20),
            ("lowpanInDiscards", 0),
            ("lowpanInDelivers", 20),
        ],
    );
    // With the context every frame decompresses.
    let m = mib(&[
        "6lo",
        "stats",
        "--json",
        "--context",
        "0=2001:db8:1::/64",
        &pcap("6lo", "iphc-forms.pcap"),
    ]);
    assert_counters(&m, &[("lowpanInCompFails", 0), ("lowpanInDelivers", 25)]);
}

/// frag-udp.pcap: 5 datagrams of 348 octets, each in a FRAG1 and two FRAGNs (15 frames), all
/// complete; hc1.pcap: 7 unfragmented LOWPAN_HC1 datagrams.
#[test]
fn fragments_and_hc1_count_by_hand() {
    let m = mib(&["6lo", "stats", "--json", &pcap("6lo", "frag-udp.pcap")]);
    assert_counters(
        &m,
        &[
            ("lowpanInReceives", 15),
            ("lowpanInReasmReqds", 15),
            ("lowpanInReasmOKs", 5),
            ("lowpanInReasmFails", 0),
            ("lowpanInCompReqds", 5),
            ("lowpanInCompOKs", 5),
            ("lowpanInDelivers", 5),
        ],
    );
    let m = mib(&["6lo", "stats", "--json", &pcap("6lo", "hc1.pcap")]);
    assert_counters(
        &m,
        &[
            ("lowpanInReceives", 7),
            ("lowpanInCompReqds", 7),
            ("lowpanInCompOKs", 7),
            ("lowpanInDelivers", 7),
            ("lowpanInReasmReqds", 0),
        ],
    );
}

/// CRC-16/KERMIT, the 802.15.4 FCS (written here: four lines, for a test fixture).
fn fcs(b: &[u8]) -> [u8; 2] {
    let mut crc = 0u16;
    for &x in b {
        crc ^= u16::from(x);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x8408
            } else {
                crc >> 1
            };
        }
    }
    crc.to_le_bytes()
}

/// A classic pcap of link type 195 (802.15.4 with FCS) holding `frames`.
fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let mut d = Vec::new();
    d.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    d.extend_from_slice(&2u16.to_le_bytes());
    d.extend_from_slice(&4u16.to_le_bytes());
    d.extend_from_slice(&[0; 8]);
    d.extend_from_slice(&65535u32.to_le_bytes());
    d.extend_from_slice(&195u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        d.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes());
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&(f.len() as u32).to_le_bytes());
        d.extend_from_slice(&(f.len() as u32).to_le_bytes());
        d.extend_from_slice(f);
    }
    std::fs::write(path, d).unwrap();
}

/// A data frame 0x0002 → 0x0001 in PAN 0xabcd carrying `payload`, with its FCS.
fn frame(seq: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x41, 0x98, seq, 0xcd, 0xab, 0x01, 0x00, 0x02, 0x00];
    f.extend_from_slice(payload);
    let c = fcs(&f);
    f.extend_from_slice(&c);
    f
}

/// Header errors, mesh receptions and what the MAC layer drops: (1) a mesh header followed by
/// a cut FRAG1 is received, has a mesh header and a header error; (2) an IPHC datagram is
/// received, decompressed and delivered; (3) the same frame with a bad FCS never reaches the
/// 6LoWPAN layer.
#[test]
fn header_errors_mesh_and_bad_fcs() {
    // IPHC TF=11 NH=0 HLIM=10, addresses from the link; Next Header 58; an ICMPv6 echo.
    let iphc = [
        0x7a, 0x33, 0x3a, 0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
    ];
    let mut bad = frame(3, &iphc);
    let n = bad.len();
    bad[n - 1] ^= 0xff;
    let frames = vec![
        // Mesh V=1 F=1 Hops Left 3, 0x0010 → 0x0020, then FRAG1 cut after its first 2 octets.
        frame(1, &[0xb3, 0x00, 0x10, 0x00, 0x20, 0xc1, 0x5c]),
        frame(2, &iphc),
        bad,
    ];
    let path = std::env::temp_dir().join(format!("ietfwg-lowpan-mib-{}.pcap", std::process::id()));
    write_pcap(&path, &frames);
    let o = ietfwg(&["6lo", "stats", "--json", &path.to_string_lossy()]);
    let _ = std::fs::remove_file(&path);
    assert_exit(&o, 1);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["bad_fcs"], 1, "{v}");
    assert_counters(
        &v["mib"],
        &[
            ("lowpanInReceives", 2),
            ("lowpanInHdrErrors", 1),
            ("lowpanInMeshReceives", 1),
            ("lowpanInReasmReqds", 0),
            ("lowpanInCompReqds", 1),
            ("lowpanInCompOKs", 1),
            ("lowpanInCompFails", 0),
            ("lowpanInDelivers", 1),
        ],
    );
}

fn compress_mib(args: &[&str]) -> (Value, u64) {
    let out = std::env::temp_dir().join(format!(
        "ietfwg-lowpan-mib-out-{}-{}.pcap",
        std::process::id(),
        args.join("_").len()
    ));
    let mut all = vec!["6lo", "compress"];
    all.extend_from_slice(args);
    let out_s = out.to_string_lossy().into_owned();
    all.extend_from_slice(&["-o", &out_s, "--stats", "--json"]);
    let o = ietfwg(&all);
    let err = stderr(&o);
    let line = err
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON on stderr: {err}"));
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["record"], "compress_stats");
    // Frames written, read back: the pcap's records.
    let d = std::fs::read(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    let mut at = 24;
    let mut records = 0;
    while at + 16 <= d.len() {
        let len = u32::from_le_bytes(d[at + 8..at + 12].try_into().unwrap()) as usize;
        at += 16 + len;
        records += 1;
    }
    (v["mib"].clone(), records)
}

/// `6lo compress --stats --json`: the output counters. frag-udp.pcap's 5 datagrams of 348
/// octets each need 3 frames of the default size, 4 behind a mesh header; hc1.pcap's 7
/// datagrams do not fit frames of 24 octets at all.
#[test]
fn compress_output_counters() {
    let (m, written) = compress_mib(&[&pcap("6lo", "frag-udp.pcap")]);
    assert_counters(
        &m,
        &[
            ("lowpanOutRequests", 5),
            ("lowpanOutCompReqds", 5),
            ("lowpanOutCompOKs", 5),
            ("lowpanOutCompFails", 0),
            ("lowpanOutFragReqds", 5),
            ("lowpanOutFragOKs", 5),
            ("lowpanOutFragFails", 0),
            ("lowpanOutFragCreates", written),
            ("lowpanOutMeshRequests", 0),
            ("lowpanOutMeshTransmits", 0),
            ("lowpanOutDiscards", 0),
            ("lowpanOutTransmits", written),
        ],
    );
    assert_eq!(written, 15);
    let (m, written) = compress_mib(&["--mesh-hops", "3", &pcap("6lo", "frag-udp.pcap")]);
    assert!(written > 15, "{written}");
    assert_counters(
        &m,
        &[
            ("lowpanOutMeshRequests", 5),
            ("lowpanOutMeshForwds", 5),
            ("lowpanOutMeshTransmits", written),
            ("lowpanOutMeshHopLimitExceeds", 0),
            ("lowpanOutMeshNoRoutes", 0),
            ("lowpanOutFragCreates", written),
            ("lowpanOutTransmits", written),
        ],
    );
    let (m, written) = compress_mib(&["--frame-size", "24", &pcap("6lo", "hc1.pcap")]);
    assert_eq!(written, 0);
    assert_counters(
        &m,
        &[
            ("lowpanOutRequests", 7),
            ("lowpanOutCompOKs", 7),
            ("lowpanOutFragReqds", 7),
            ("lowpanOutFragFails", 7),
            ("lowpanOutFragOKs", 0),
            ("lowpanOutTransmits", 0),
        ],
    );
}
