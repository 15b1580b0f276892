//! `ietfwg ikev2 esp-decrypt` on the project's strongSwan recordings with traffic through the
//! tunnel (`pcaps/ikev2/esp-*`, kernel-libipsec, UDP-encapsulated ESP): the inner packets are
//! those tshark decrypts with the same keys; ICV failures and replays are caught; IP protocol
//! 50 works as UDP encapsulation does.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{assert_exit, ietfwg, stderr, stdout};

fn pcaps_ikev2() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/ikev2")
}

/// A scratch directory of its own for each test, removed when the guard drops.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("ietfwg-esp-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const RECORDINGS: [&str; 8] = [
    "esp-aes-gcm",
    "esp-aes-cbc-sha256",
    "esp-chacha20poly1305",
    "esp-aes-ccm8",
    "esp-aes-ccm12",
    "esp-aes-ccm16",
    "esp-aes-ctr-sha256",
    "esp-3des-sha1",
];

/// A classic pcap: its global header and its records (header, data).
struct Pcap {
    header: Vec<u8>,
    records: Vec<([u8; 16], Vec<u8>)>,
}

fn read_pcap(p: &Path) -> Pcap {
    let b = std::fs::read(p).unwrap();
    assert!(
        b[..4] == [0xd4, 0xc3, 0xb2, 0xa1] || b[..4] == [0x4d, 0x3c, 0xb2, 0xa1],
        "little-endian pcap (µs or ns)"
    );
    let mut records = Vec::new();
    let mut i = 24;
    while i + 16 <= b.len() {
        let h: [u8; 16] = b[i..i + 16].try_into().unwrap();
        let incl = u32::from_le_bytes(h[8..12].try_into().unwrap()) as usize;
        records.push((h, b[i + 16..i + 16 + incl].to_vec()));
        i += 16 + incl;
    }
    Pcap {
        header: b[..24].to_vec(),
        records,
    }
}

fn write_pcap(p: &Path, pcap: &Pcap) {
    let mut out = pcap.header.clone();
    for (h, d) in &pcap.records {
        let mut h = *h;
        let n = (d.len() as u32).to_le_bytes();
        h[8..12].copy_from_slice(&n);
        h[12..16].copy_from_slice(&n);
        out.extend_from_slice(&h);
        out.extend_from_slice(d);
    }
    std::fs::write(p, out).unwrap();
}

/// Ethernet + IPv4 + UDP 4500 whose payload does not start with the non-ESP marker.
fn is_udp_esp(frame: &[u8]) -> bool {
    frame.len() > 14 + 20 + 8 + 8
        && frame[12..14] == [0x08, 0x00]
        && frame[14 + 9] == 17
        && frame[14 + 20 + 2..14 + 20 + 4] == [0x11, 0x94]
        && frame[14 + 28..14 + 32] != [0, 0, 0, 0]
}

fn decrypt(input: &Path, keys: &[&Path], out: &Path) -> std::process::Output {
    let mut args = vec!["ikev2", "esp-decrypt", s(input), "-o", s(out)];
    for k in keys {
        args.push("--keys");
        args.push(s(k));
    }
    ietfwg(&args)
}

#[test]
fn inner_packets_of_every_recording() {
    let t = Scratch::new("inner_packets_of_every_recording");
    for name in RECORDINGS {
        let dir = pcaps_ikev2();
        let out = t.path(&format!("{name}.pcap"));
        let o = decrypt(
            &dir.join(format!("{name}.pcap")),
            &[&dir.join(format!("{name}.log"))],
            &out,
        );
        assert_exit(&o, 0);
        assert!(
            stderr(&o).contains("12 ESP: 12 inner packets written"),
            "{name}: {}",
            stderr(&o)
        );
        // What went through the tunnel: 3 echo requests and their replies, 3 UDP datagrams to
        // port 9999 and the ICMP port unreachable each earned.
        let inner = read_pcap(&out);
        let mut echo = [0; 2];
        let mut udp = 0;
        let mut unreachable = 0;
        for (_, ip) in &inner.records {
            assert_eq!(ip[0] >> 4, 4, "{name}: raw IPv4");
            let (proto, l4) = (ip[9], &ip[20..]);
            match (proto, l4[0]) {
                (1, 8) => echo[0] += 1,
                (1, 0) => echo[1] += 1,
                (1, 3) => unreachable += 1,
                (17, _) => {
                    assert_eq!(&l4[2..4], &9999u16.to_be_bytes());
                    assert!(l4[8..].starts_with(b"ietfwg-esp-udp-"));
                    udp += 1;
                }
                other => panic!("{name}: unexpected inner packet {other:?}"),
            }
        }
        assert_eq!((echo, udp, unreachable), ([3, 3], 3, 3), "{name}");
    }
}

/// The same output from the charon log and from the `esp_sa` table `ikev2 keys` prints.
#[test]
fn esp_sa_table_gives_the_same_packets() {
    let t = Scratch::new("esp_sa_table_gives_the_same_packets");
    let dir = pcaps_ikev2();
    for name in RECORDINGS {
        let table = t.path(&format!("{name}.esp_sa"));
        let k = ietfwg(&[
            "ikev2",
            "keys",
            "--only",
            "esp",
            s(&dir.join(format!("{name}.log"))),
        ]);
        assert_exit(&k, 0);
        std::fs::write(&table, &k.stdout).unwrap();
        let a = t.path(&format!("{name}-log.pcap"));
        let b = t.path(&format!("{name}-table.pcapng"));
        assert_exit(
            &decrypt(
                &dir.join(format!("{name}.pcap")),
                &[&dir.join(format!("{name}.log"))],
                &a,
            ),
            0,
        );
        assert_exit(
            &decrypt(&dir.join(format!("{name}.pcap")), &[&table], &b),
            0,
        );
        let a = read_pcap(&a);
        assert_eq!(a.records.len(), 12);
        // pcapng output: tshark (when installed) reads the same 12 packets.
        if common::tshark().is_some() {
            let rows = common::tshark_fields(&b, &[], &["ip.src", "ip.dst", "ip.len"]);
            let ours: Vec<Vec<String>> = a
                .records
                .iter()
                .map(|(_, ip)| {
                    let src = std::net::Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
                    let dst = std::net::Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
                    let len = u16::from_be_bytes([ip[2], ip[3]]);
                    vec![src.to_string(), dst.to_string(), len.to_string()]
                })
                .collect();
            let theirs: Vec<Vec<String>> = rows
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|f| f.split('|').next().unwrap().to_string())
                        .collect()
                })
                .collect();
            assert_eq!(ours, theirs, "{name}");
        }
    }
}

/// tshark decrypts the recordings with the same keys: every inner packet we write is the one
/// tshark shows inside the ESP packet, field for field.
#[test]
fn inner_packets_match_tshark() {
    let t = Scratch::new("inner_packets_match_tshark");
    if common::tshark().is_none() {
        eprintln!("tshark not installed: skipped");
        return;
    }
    let dir = pcaps_ikev2();
    // tshark 4.0 has no ESP ChaCha20-Poly1305 and no AES-CCM.
    for name in [
        "esp-aes-gcm",
        "esp-aes-cbc-sha256",
        "esp-aes-ctr-sha256",
        "esp-3des-sha1",
    ] {
        let log = dir.join(format!("{name}.log"));
        let k = ietfwg(&["ikev2", "keys", "--only", "esp", s(&log)]);
        let mut opts = vec![
            "-o".to_string(),
            "esp.enable_encryption_decode:TRUE".to_string(),
            "-o".to_string(),
            "esp.enable_authentication_check:TRUE".to_string(),
        ];
        for l in stdout(&k).lines().filter(|l| !l.starts_with('#')) {
            opts.push("-o".into());
            opts.push(format!("uat:esp_sa:{l}"));
        }
        let o: Vec<&str> = opts.iter().map(String::as_str).collect();
        let fields = [
            "esp.spi",
            "ip.src",
            "ip.dst",
            "ip.len",
            "ip.id",
            "ip.checksum",
            "icmp.checksum",
            "udp.checksum",
            "data.data",
        ];
        let theirs: Vec<Vec<String>> =
            common::tshark_fields(&dir.join(format!("{name}.pcap")), &o, &fields)
                .into_iter()
                .filter(|r| !r[0].is_empty())
                .map(|r| {
                    // Drop the outer IPv4 header's occurrence of each ip.* field.
                    let mut v: Vec<String> = r[1..]
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            if i < 5 {
                                f.split_once('|')
                                    .map(|(_, rest)| rest.to_string())
                                    .unwrap_or_default()
                            } else {
                                f.clone()
                            }
                        })
                        .collect();
                    // The outer UDP checksum (ESP-in-UDP) comes first too.
                    v[6] = v[6]
                        .split_once('|')
                        .map(|(_, r)| r.to_string())
                        .unwrap_or_default();
                    v
                })
                .collect();
        let out = t.path(&format!("{name}-tshark.pcap"));
        assert_exit(
            &decrypt(&dir.join(format!("{name}.pcap")), &[&log], &out),
            0,
        );
        let ours: Vec<Vec<String>> = common::tshark_fields(&out, &[], &fields[1..]);
        assert_eq!(theirs.len(), 12, "{name}: tshark decrypted {theirs:?}");
        assert_eq!(ours, theirs, "{name}");
    }
}

/// tshark 4.0 decrypts neither ESP AES-CCM nor ChaCha20-Poly1305: for those recordings it
/// checks the inner packets we write instead (every IPv4, ICMP and UDP checksum Good, nothing
/// malformed), and the CCM key lengths are those of RFC 4309 §7.1 (key and 3-octet salt).
#[test]
fn ccm_and_chacha_inner_packets_pass_tshark_checks() {
    let t = Scratch::new("ccm_and_chacha_inner_packets_pass_tshark_checks");
    let dir = pcaps_ikev2();
    for (name, key_octets) in [
        ("esp-aes-ccm8", 16 + 3),
        ("esp-aes-ccm12", 24 + 3),
        ("esp-aes-ccm16", 32 + 3),
        ("esp-chacha20poly1305", 32 + 4),
    ] {
        let log = dir.join(format!("{name}.log"));
        let k = ietfwg(&["ikev2", "keys", "--only", "esp", s(&log)]);
        assert_exit(&k, 0);
        let rows: Vec<String> = stdout(&k)
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(String::from)
            .collect();
        assert_eq!(rows.len(), 2, "{name}: {rows:?}");
        for r in &rows {
            let f: Vec<&str> = r.split(',').map(|x| x.trim_matches('"')).collect();
            assert_eq!(f[5].len(), 2 + 2 * key_octets, "{name}: {r}");
            if let Some(icv) = name.strip_prefix("esp-aes-ccm") {
                assert_eq!(f[4], format!("AES-CCM with {icv} octet ICV [RFC4309]"));
            }
        }
        if common::tshark().is_none() {
            continue;
        }
        let out = t.path(&format!("{name}-inner.pcap"));
        assert_exit(
            &decrypt(&dir.join(format!("{name}.pcap")), &[&log], &out),
            0,
        );
        let o = [
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
        ];
        let rows = common::tshark_fields(
            &out,
            &o,
            &[
                "ip.checksum.status",
                "icmp.checksum.status",
                "icmp.type",
                "udp.checksum.status",
                "_ws.malformed",
                "_ws.expert.severity",
            ],
        );
        assert_eq!(rows.len(), 12, "{name}: {rows:?}");
        for r in &rows {
            // checksum status 1 = Good (0 Bad, 2 Unverified); ICMP errors quote the UDP datagram: its IPv4
            // header (Good) and its UDP header (checksum of the quoted datagram).
            assert!(r[0].split(['|', ',']).all(|v| v == "1"), "{name}: {r:?}");
            if !r[2].is_empty() {
                assert!(
                    r[1].split(['|', ',']).all(|v| v == "1"),
                    "{name}: ICMP checksum {r:?}"
                );
            } else {
                assert!(r[3].split(['|', ',']).all(|v| v == "1"), "{name}: {r:?}");
            }
            assert!(r[4].is_empty(), "{name}: malformed {r:?}");
        }
    }
}

/// `--json`: one record per ESP packet with the verdict the text output gives: the replayed
/// packet is `replayed`, the altered one `icv_failed`, each with an `error` naming the field
/// and RFC 4303's section; the others `ok` with the inner protocol.
#[test]
fn json_records_carry_the_verdicts() {
    let t = Scratch::new("json_records_carry_the_verdicts");
    let dir = pcaps_ikev2();
    let mut pcap = read_pcap(&dir.join("esp-aes-ccm12.pcap"));
    let esp: Vec<usize> = (0..pcap.records.len())
        .filter(|&i| is_udp_esp(&pcap.records[i].1))
        .collect();
    assert_eq!(esp.len(), 12);
    let again = pcap.records[esp[0]].clone();
    pcap.records.push(again);
    let third = &mut pcap.records[esp[2]].1;
    let n = third.len();
    third[n - 20] ^= 0x40;
    let edited = t.path("edited.pcap");
    write_pcap(&edited, &pcap);
    let out = t.path("edited-out.pcap");
    let o = ietfwg(&[
        "ikev2",
        "esp-decrypt",
        s(&edited),
        "-o",
        s(&out),
        "--keys",
        s(&dir.join("esp-aes-ccm12.log")),
        "--json",
    ]);
    assert_exit(&o, 1);
    let recs: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 13, "{}", stdout(&o));
    let verdicts: Vec<&str> = recs
        .iter()
        .map(|r| r["verdict"].as_str().unwrap())
        .collect();
    let mut want = vec!["ok"; 13];
    want[2] = "icv_failed";
    want[12] = "replayed";
    assert_eq!(verdicts, want);
    assert_eq!(recs[2]["error"]["field"], "ICV");
    assert_eq!(recs[2]["error"]["rfc"], "RFC 4303 §3.4.4.1");
    assert_eq!(recs[2]["written"], false);
    assert_eq!(recs[12]["error"]["field"], "Sequence Number");
    assert_eq!(recs[12]["error"]["rfc"], "RFC 4303 §3.4.3");
    assert_eq!(recs[12]["seq"], recs[0]["seq"]);
    assert_eq!(recs[12]["replay"], "duplicate");
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r["error"].is_null(), i != 2 && i != 12, "{r}");
        assert_eq!(r["spi"].as_str().unwrap().len(), 8);
        if i != 2 && i != 12 {
            assert_eq!(r["icv"], "ok");
            assert_eq!(r["next_header"], 4, "tunnel mode: IPv4 inside");
            assert!(matches!(r["inner_protocol"].as_u64(), Some(1 | 17)), "{r}");
            assert_eq!(r["written"], true);
        }
    }
    // -o - and --json would share stdout: a usage error.
    let u = ietfwg(&[
        "ikev2",
        "esp-decrypt",
        s(&edited),
        "-o",
        "-",
        "--keys",
        s(&dir.join("esp-aes-ccm12.log")),
        "--json",
    ]);
    assert_exit(&u, 2);
}

#[test]
fn replays_and_bad_icvs_are_caught() {
    let t = Scratch::new("replays_and_bad_icvs_are_caught");
    let dir = pcaps_ikev2();
    let mut pcap = read_pcap(&dir.join("esp-aes-cbc-sha256.pcap"));
    let esp: Vec<usize> = (0..pcap.records.len())
        .filter(|&i| is_udp_esp(&pcap.records[i].1))
        .collect();
    assert_eq!(esp.len(), 12);
    // The first ESP packet again at the end: a replay.
    let again = pcap.records[esp[0]].clone();
    pcap.records.push(again);
    // One octet of the third ESP packet's ciphertext changed: its ICV fails.
    let third = &mut pcap.records[esp[2]].1;
    let n = third.len();
    third[n - 20] ^= 0x40;
    let edited = t.path("edited.pcap");
    write_pcap(&edited, &pcap);
    let out = t.path("edited-out.pcap");
    let o = decrypt(&edited, &[&dir.join("esp-aes-cbc-sha256.log")], &out);
    assert_exit(&o, 1);
    let e = stderr(&o);
    assert!(
        e.contains("ICV does not verify (wrong key or altered packet); not written"),
        "{e}"
    );
    assert!(
        e.contains("sequence number already received: a replay (RFC 4303 §3.4.3); not written"),
        "{e}"
    );
    assert!(e.contains("13 ESP: 11 inner packets written"), "{e}");
    assert!(e.contains("1 ICV failures, 1 replayed or too old"), "{e}");
    assert_eq!(read_pcap(&out).records.len(), 11);
    // Without keys for the SA: counted, nothing written, exit 0.
    let other = decrypt(&edited, &[&dir.join("esp-aes-gcm.log")], &out);
    assert_exit(&other, 0);
    assert!(
        stderr(&other).contains("0 inner packets written"),
        "{}",
        stderr(&other)
    );
    assert!(
        stderr(&other).contains("13 without keys"),
        "{}",
        stderr(&other)
    );
}

/// The recording's UDP-encapsulated ESP rewritten as IP protocol 50 decrypts to the same
/// inner packets.
#[test]
fn ip_protocol_50_decrypts_as_udp_encapsulation_does() {
    let t = Scratch::new("ip_protocol_50_decrypts_as_udp_encapsulation_does");
    let dir = pcaps_ikev2();
    let mut pcap = read_pcap(&dir.join("esp-aes-gcm.pcap"));
    for (_, f) in &mut pcap.records {
        if !is_udp_esp(f) {
            continue;
        }
        let mut ip = f[14..14 + 20].to_vec();
        let total = u16::from_be_bytes([ip[2], ip[3]]) - 8;
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip[9] = 50;
        ip[10..12].copy_from_slice(&[0, 0]);
        let mut sum: u32 = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
        let mut new = f[..14].to_vec();
        new.extend_from_slice(&ip);
        new.extend_from_slice(&f[14 + 28..]);
        *f = new;
    }
    let p50 = t.path("proto50.pcap");
    write_pcap(&p50, &pcap);
    let (a, b) = (t.path("p50-out.pcap"), t.path("udp-out.pcap"));
    let log = dir.join("esp-aes-gcm.log");
    assert_exit(&decrypt(&p50, &[&log], &a), 0);
    assert_exit(&decrypt(&dir.join("esp-aes-gcm.pcap"), &[&log], &b), 0);
    let (a, b) = (read_pcap(&a), read_pcap(&b));
    assert_eq!(a.records.len(), 12);
    let pa: Vec<&Vec<u8>> = a.records.iter().map(|r| &r.1).collect();
    let pb: Vec<&Vec<u8>> = b.records.iter().map(|r| &r.1).collect();
    assert_eq!(pa, pb);
}

#[test]
fn usage_errors() {
    let t = Scratch::new("usage_errors");
    let dir = pcaps_ikev2();
    // A key file without ESP keys.
    let o = decrypt(
        &dir.join("esp-aes-gcm.pcap"),
        &[&dir.join("esp-aes-gcm.keys")],
        &t.path("none.pcap"),
    );
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("no ESP SA keys"), "{}", stderr(&o));
    let o = ietfwg(&[
        "ikev2",
        "esp-decrypt",
        s(&dir.join("esp-aes-gcm.pcap")),
        "-o",
        "/dev/null",
    ]);
    assert_exit(&o, 2);
}
