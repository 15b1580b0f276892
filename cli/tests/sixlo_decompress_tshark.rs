//! `ietfwg 6lo decompress` against tshark doing the same job: `tshark -U IP -w OUT` exports, as
//! a raw-IP capture, every IP datagram tshark's dissectors decompress and reassemble, stamped
//! with the frame that completed it. Over every 6LoWPAN capture of the corpus and of `pcaps/6lo`
//! both files must hold the same datagrams, octet for octet and with the same times, but for the
//! differences listed (and checked) here:
//!
//! - tshark also exports the IPv4/IPv6 datagrams that carry ZEP (UDP port 17754) to the sniffer
//!   host; those are the capture's outer layers, not 6LoWPAN, and are left out of the comparison.
//! - Where the UDP checksum was elided (RFC 6282 §4.3.2, C = 1), tshark writes 0xFFFF in its
//!   place; the decompressor must compute it, and ours is checked against the checksum computed
//!   here over the IPv6 pseudo-header.
//! - `802_15_4-data.pcap` carries a GHC-compressed Hop-by-Hop header (RFC 7400) whose frame the
//!   capture cut short: tshark exports a 40-octet IPv6 header with Payload Length 0 and Next
//!   Header 59 in place of the datagram; `decompress` writes nothing and reports the frame failed.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use ietfwg_test_support::capture::read_capture;

/// Context 0 of the project's own captures (pcaps/README.md), for tshark and for us.
const TSHARK_CONTEXT0: &str = "6lowpan.context0:2001:db8:1::/64";
const CONTEXT0: &str = "0=2001:db8:1::/64";

/// LINKTYPE_RAW: both files hold bare IP datagrams.
const LINKTYPE_RAW: i32 = 101;

/// ZEP's UDP port (the sniffer encapsulation of some corpus captures).
const ZEP_PORT: u16 = 17754;

/// A datagram of either file: time in nanoseconds, octets.
type Datagram = (u64, Vec<u8>);

fn datagrams(file: &Path) -> Vec<Datagram> {
    read_capture(file, &file.display().to_string())
        .into_iter()
        .map(|r| {
            assert_eq!(r.linktype, LINKTYPE_RAW, "{}: link type", file.display());
            (r.ts.as_nanos(), r.data)
        })
        .collect()
}

/// An IPv4 datagram, or IPv6 carrying UDP to or from the ZEP port: the sniffer's carrier.
fn is_zep_carrier(d: &[u8]) -> bool {
    match d.first().map(|b| b >> 4) {
        Some(4) => true,
        Some(6) if d.len() >= 44 && d[6] == 17 => {
            let sport = u16::from_be_bytes([d[40], d[41]]);
            let dport = u16::from_be_bytes([d[42], d[43]]);
            sport == ZEP_PORT || dport == ZEP_PORT
        }
        _ => false,
    }
}

/// The UDP checksum of an IPv6 datagram whose Next Header is UDP, computed over the
/// pseudo-header (RFC 8200 §8.1) with etherparse.
fn udp_checksum(d: &[u8]) -> u16 {
    let (ip, rest) = etherparse::Ipv6Header::from_slice(d).expect("IPv6 header");
    assert_eq!(ip.next_header, etherparse::IpNumber::UDP, "UDP after IPv6");
    let (udp, payload) = etherparse::UdpHeader::from_slice(rest).expect("UDP header");
    udp.calc_checksum_ipv6(&ip, payload).expect("UDP length")
}

/// Whether `ours` is `theirs` but for the UDP checksum tshark wrote as 0xFFFF where it was
/// elided on the wire, with ours the right one.
fn differs_in_elided_udp_checksum(ours: &[u8], theirs: &[u8]) -> bool {
    if ours.len() != theirs.len() || ours.len() < 48 || ours[6] != 17 {
        return false;
    }
    let differing: Vec<usize> = (0..ours.len()).filter(|&i| ours[i] != theirs[i]).collect();
    if differing.iter().any(|&i| !(46..48).contains(&i)) || theirs[46..48] != [0xff, 0xff] {
        return false;
    }
    let carried = u16::from_be_bytes([ours[46], ours[47]]);
    assert_eq!(
        carried,
        udp_checksum(ours),
        "the UDP checksum written where it was elided must be the computed one"
    );
    true
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn decompress_writes_the_datagrams_tshark_exports() {
    let Some(shared) = shared() else { return };
    let Some(tshark) = tshark() else { return };
    let mut files: Vec<(PathBuf, bool)> = captures(&shared.join("corpus/6lo"))
        .into_iter()
        .map(|f| (f, false))
        .collect();
    files.extend(captures(&pcaps_dir("6lo")).into_iter().map(|f| (f, true)));
    assert!(files.len() >= 50, "found {} captures", files.len());

    let dir = tempfile_dir();
    let (mut compared, mut checksums, mut carriers) = (0usize, 0usize, 0usize);
    for (file, own) in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let ours_file = dir.join("ours.pcap");
        let theirs_file = dir.join("theirs.pcap");
        let mut args = vec!["6lo", "decompress", s(file), "-o", s(&ours_file)];
        if *own {
            args.extend(["--context", CONTEXT0]);
        }
        let out = ietfwg(&args);
        let code = out.status.code();
        assert!(matches!(code, Some(0 | 1)), "{name}: exit {code:?}");

        let mut targs = vec![
            "-r",
            s(file),
            "-o",
            "wpan.802154_fcs_ok:FALSE",
            "-U",
            "IP",
            "-F",
            "pcap",
            "-w",
            s(&theirs_file),
        ];
        if *own {
            targs.extend(["-o", TSHARK_CONTEXT0]);
        }
        let t = std::process::Command::new(tshark)
            .args(&targs)
            .output()
            .expect("run tshark");
        assert!(t.status.success(), "{name}: tshark failed");

        let ours = datagrams(&ours_file);
        let all_theirs = datagrams(&theirs_file);
        let before = all_theirs.len();
        let mut theirs: Vec<Datagram> = all_theirs
            .into_iter()
            .filter(|(_, d)| !is_zep_carrier(d))
            .collect();
        carriers += before - theirs.len();

        if name == "802_15_4-data.pcap" {
            assert!(ours.is_empty(), "{name}: {} datagrams", ours.len());
            assert_eq!(code, Some(1), "{name}: the frame must count as failed");
            assert!(stderr(&out).contains("GHC"), "{name}: {}", stderr(&out));
            assert_eq!(theirs.len(), 1, "{name}");
            let d = &theirs[0].1;
            assert_eq!((d.len(), d[4], d[5], d[6]), (40, 0, 0, 59), "{name}");
            theirs.clear();
        }

        assert_eq!(
            ours.len(),
            theirs.len(),
            "{name}: {} datagrams written, tshark exported {}",
            ours.len(),
            theirs.len()
        );
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(a.0, b.0, "{name}: datagram {}: time", i + 1);
            if a.1 != b.1 {
                assert!(
                    differs_in_elided_udp_checksum(&a.1, &b.1),
                    "{name}: datagram {} differs:\n ours   {}\n tshark {}",
                    i + 1,
                    hex::encode(&a.1),
                    hex::encode(&b.1)
                );
                checksums += 1;
            }
            compared += 1;
        }
    }
    eprintln!(
        "{compared} datagrams identical to tshark's ({checksums} with the elided UDP checksum \
         tshark leaves as 0xFFFF); {carriers} ZEP carriers left out"
    );
    // The big trace alone has 6,565 datagrams; the project's captures have elided checksums.
    assert!(compared > 7000, "{compared}");
    assert!(checksums >= 2, "{checksums}");
    assert!(carriers > 0, "{carriers}");
}

/// A fresh directory under the target's temporary folder.
fn tempfile_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sixlo_decompress_tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    dir
}
