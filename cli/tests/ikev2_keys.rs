//! `--keys` with daemon logs, and `ietfwg ikev2 keys`: the keys a strongSwan charon log gives
//! decrypt the project's recordings exactly as the Wireshark table does, and tshark decrypts
//! them with the table `ikev2 keys` prints.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{assert_exit, ietfwg, ndjson, stderr, stdout};

fn pcaps_ikev2() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/ikev2")
}

/// The recordings whose log is a full charon log (`ike = 4`, `chd = 4`), with ESP traffic.
const ESP_RECORDINGS: [&str; 3] = ["esp-aes-gcm", "esp-aes-cbc-sha256", "esp-chacha20poly1305"];

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn charon_log_decrypts_as_the_wireshark_table_does() {
    let dir = pcaps_ikev2();
    for name in ESP_RECORDINGS {
        let pcap = dir.join(format!("{name}.pcap"));
        let log = dir.join(format!("{name}.log"));
        let table = dir.join(format!("{name}.keys"));
        let with_log = ietfwg(&["ikev2", "decode", "--json", s(&pcap), "--keys", s(&log)]);
        let with_table = ietfwg(&["ikev2", "decode", "--json", s(&pcap), "--keys", s(&table)]);
        assert_exit(&with_log, 0);
        assert_exit(&with_table, 0);
        assert_eq!(
            stdout(&with_log),
            stdout(&with_table),
            "{name}: decoding with the log and with the table differ"
        );
        // Every encrypted message decrypted, with every ICV verified.
        let (mut encrypted, mut decrypted) = (0, 0);
        for v in ndjson(&with_log) {
            if let Some(last) = v["ikev2"]["payloads"].as_array().and_then(|p| p.last()) {
                if last["payload_type"]["id"] == 46 {
                    encrypted += 1;
                }
                if let Some(d) = last.get("decrypted") {
                    assert_eq!(d["icv_ok"], true, "{name}: {d}");
                    decrypted += 1;
                }
            }
        }
        assert!(
            decrypted >= 4,
            "{name}: IKE_AUTH ×2 and INFORMATIONAL ×2 at least"
        );
        assert_eq!(decrypted, encrypted, "{name}");
        assert!(
            stderr(&with_log).contains(&format!("{decrypted} decrypted")),
            "{}",
            stderr(&with_log)
        );
    }
}

#[test]
fn keys_prints_the_table_rows_of_a_charon_log() {
    let dir = pcaps_ikev2();
    for name in ESP_RECORDINGS {
        let log = dir.join(format!("{name}.log"));
        let out = ietfwg(&["ikev2", "keys", s(&log)]);
        assert_exit(&out, 0);
        let text = stdout(&out);
        let ike: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != "# ikev2_decryption_table")
            .skip(1)
            .take_while(|l| !l.starts_with('#'))
            .collect();
        let table = std::fs::read_to_string(dir.join(format!("{name}.keys"))).unwrap();
        let want: Vec<String> = table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.replace("CHACHA20-POLY1305", "ChaCha20-Poly1305"))
            .collect();
        assert_eq!(ike, want, "{name}: the rows of the independent table");
        let esp: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != "# esp_sa")
            .skip(1)
            .collect();
        assert_eq!(esp.len(), 2, "{name}: one ESP SA each way: {text}");
        for row in &esp {
            assert!(
                row.starts_with("\"IPv4\",\"10.99.0."),
                "{name}: addresses from the log: {row}"
            );
        }
        assert!(stderr(&out).contains("strongSwan charon log, 1 IKE SA(s), 2 ESP SA(s)"));
    }
}

#[test]
fn keys_are_merged_from_several_files_of_several_kinds() {
    let dir = pcaps_ikev2();
    let gcm = dir.join("esp-aes-gcm.log");
    let cbc = dir.join("esp-aes-cbc-sha256.keys");
    for pcap in ["esp-aes-gcm.pcap", "esp-aes-cbc-sha256.pcap"] {
        let alone = ietfwg(&[
            "ikev2",
            "decode",
            s(&dir.join(pcap)),
            "--keys",
            s(&dir.join(pcap.replace(".pcap", ".keys"))),
        ]);
        let expect = stderr(&alone)
            .split(", ")
            .find(|p| p.ends_with(" decrypted"))
            .map(str::to_string)
            .unwrap();
        let out = ietfwg(&[
            "ikev2",
            "decode",
            s(&dir.join(pcap)),
            "--keys",
            s(&gcm),
            "--keys",
            s(&cbc),
        ]);
        assert_exit(&out, 0);
        assert!(
            stderr(&out).contains(&expect) && !expect.starts_with("0 "),
            "{pcap}: {}",
            stderr(&out)
        );
    }
    // Both in one `ikev2 keys` output, which `--keys` reads back.
    let out = ietfwg(&["ikev2", "keys", s(&gcm), s(&cbc)]);
    assert_exit(&out, 0);
    let tmp = std::env::temp_dir().join(format!("ietfwg-keys-merged-{}.txt", std::process::id()));
    std::fs::write(&tmp, &out.stdout).unwrap();
    let back = ietfwg(&[
        "ikev2",
        "decode",
        s(&dir.join("esp-aes-cbc-sha256.pcap")),
        "--keys",
        s(&tmp),
    ]);
    let _ = std::fs::remove_file(&tmp);
    assert_exit(&back, 0);
    assert!(!stderr(&back).contains(" 0 decrypted"), "{}", stderr(&back));
}

#[test]
fn log_problems_are_named() {
    let dir = std::env::temp_dir().join(format!("ietfwg-keylog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A charon log whose keys have no SPIs: said on stderr, exit 1 for `keys`.
    let log = dir.join("nospi.log");
    std::fs::write(
        &log,
        "00:00:00.000 12[CFG] <c|1> selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048\n\
         00:00:00.001 12[IKE] <c|1> Sk_ei secret => 16 bytes @ 0x1\n\
         00:00:00.001 12[IKE] <c|1>    0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................\n\
         00:00:00.001 12[IKE] <c|1> Sk_er secret => 16 bytes @ 0x1\n\
         00:00:00.001 12[IKE] <c|1>    0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................\n",
    )
    .unwrap();
    let out = ietfwg(&["ikev2", "keys", s(&log)]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("line 2: IKE SA keys whose SPIs the log does not give"),
        "{}",
        stderr(&out)
    );
    // A log line longer than the bound: refused, naming the line.
    let long = dir.join("long.log");
    let mut text = String::from("00:00:00.000 12[IKE] <c|1> hello\n");
    text.push_str(&"x".repeat(70_000));
    std::fs::write(&long, text).unwrap();
    let out = ietfwg(&["ikev2", "decode", "/dev/null", "--keys", s(&long)]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("line 2 is longer than the limit of 65536 octets"),
        "{}",
        stderr(&out)
    );
    // A pluto line in the documented format.
    let pluto = dir.join("pluto.log");
    std::fs::write(
        &pluto,
        "Dec 07 12:00:00.000000: | ikev2 I 0x0102030405060708 0x1112131415161718 sha256:0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f aes128:0x202122232425262728292a2b2c2d2e2f\n\
         Dec 07 12:00:00.000001: | ikev2 R 0x0102030405060708 0x1112131415161718 sha256:0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f aes128:0x606162636465666768696a6b6c6d6e6f\n",
    )
    .unwrap();
    let out = ietfwg(&["ikev2", "keys", "--only", "ikev2", s(&pluto)]);
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        "# ikev2_decryption_table\n0102030405060708,1112131415161718,202122232425262728292a2b2c2d2e2f,606162636465666768696a6b6c6d6e6f,\"AES-CBC-128 [RFC3602]\",000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f,404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f,\"HMAC_SHA2_256_128 [RFC4868]\"\n"
    );
    assert!(stderr(&out).contains("libreswan pluto log, 1 IKE SA(s)"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// tshark decrypts the IKE and ESP packets with the tables `ikev2 keys` prints from the log.
#[test]
fn tshark_decrypts_with_the_printed_tables() {
    let Some(_) = common::tshark() else {
        eprintln!("tshark not installed: skipped");
        return;
    };
    let dir = pcaps_ikev2();
    // tshark 4.0 has neither IKEv2 nor ESP ChaCha20-Poly1305.
    for name in ["esp-aes-gcm", "esp-aes-cbc-sha256"] {
        let log = dir.join(format!("{name}.log"));
        let out = ietfwg(&["ikev2", "keys", s(&log)]);
        assert_exit(&out, 0);
        let mut opts: Vec<String> = vec![
            "-o".into(),
            "esp.enable_encryption_decode:TRUE".into(),
            "-o".into(),
            "esp.enable_authentication_check:TRUE".into(),
        ];
        let mut section = "";
        for l in stdout(&out).lines() {
            if let Some(h) = l.strip_prefix("# ") {
                section = if h == "esp_sa" {
                    "esp_sa"
                } else {
                    "ikev2_decryption_table"
                };
                continue;
            }
            opts.push("-o".into());
            opts.push(format!("uat:{section}:{l}"));
        }
        let o: Vec<&str> = opts.iter().map(String::as_str).collect();
        let pcap = dir.join(format!("{name}.pcap"));
        // IKE: the identities inside the encrypted IKE_AUTH messages.
        let ids = common::tshark_fields(&pcap, &o, &["isakmp.id.data.user_fqdn"]);
        let ids: Vec<String> = ids
            .into_iter()
            .flatten()
            .filter(|x| !x.is_empty())
            .collect();
        assert!(
            ids.iter().any(|i| i.contains("initiator@test.local")),
            "{name}: tshark did not decrypt IKE_AUTH: {ids:?}"
        );
        // ESP: every ESP packet decrypts to the inner ICMP/UDP between the tunnel addresses.
        let inner = common::tshark_fields(&pcap, &o, &["esp.spi", "ip.src", "ip.dst"]);
        let esp: Vec<&Vec<String>> = inner.iter().filter(|r| !r[0].is_empty()).collect();
        assert_eq!(esp.len(), 12, "{name}: {inner:?}");
        for r in esp {
            assert!(
                r[1].contains("10.99.1.1") || r[1].contains("10.99.2.1"),
                "{name}: inner packet not decrypted: {r:?}"
            );
        }
    }
}

/// The CBC recording's table line, with its integrity column rewritten by `edit`.
fn cbc_table(edit: impl Fn(&[&str]) -> String) -> PathBuf {
    let dir = pcaps_ikev2();
    let text = std::fs::read_to_string(dir.join("esp-aes-cbc-sha256.keys")).unwrap();
    let line = text.lines().find(|l| !l.starts_with('#')).unwrap();
    let f: Vec<&str> = line.split(',').collect();
    let out = std::env::temp_dir().join(format!(
        "ietfwg-cbc-{}-{}.keys",
        std::process::id(),
        edit(&f).len()
    ));
    std::fs::write(&out, edit(&f)).unwrap();
    out
}

#[test]
fn no_checking_integrity_decrypts_without_verifying() {
    let pcap = pcaps_ikev2().join("esp-aes-cbc-sha256.pcap");
    // HMAC_SHA2_256_128 puts 16 octets of ICV: "ANY 128-bits … [No Checking]", no SK_a.
    let keys = cbc_table(|f| {
        format!(
            "{},{},{},{},{},,,\"ANY 128-bits of Authentication [No Checking]\"",
            f[0], f[1], f[2], f[3], f[4]
        )
    });
    let text = ietfwg(&["ikev2", "decode", s(&pcap), "--keys", s(&keys)]);
    assert_exit(&text, 0);
    let t = stdout(&text);
    assert!(t.contains("ICV not checked"), "{t}");
    assert!(!t.contains("icv BAD"), "{t}");
    assert!(
        t.contains("IDi      ID_RFC822_ADDR (3) \"initiator@test.local\""),
        "{t}"
    );
    assert!(!stderr(&text).contains(" 0 decrypted"), "{}", stderr(&text));
    let json = ietfwg(&["ikev2", "decode", "--json", s(&pcap), "--keys", s(&keys)]);
    let mut seen = 0;
    for v in ndjson(&json) {
        if let Some(d) = v["ikev2"]["payloads"]
            .as_array()
            .and_then(|p| p.last())
            .and_then(|p| p.get("decrypted"))
        {
            assert_eq!(d["icv"], "not_checked", "{d}");
            assert_eq!(d["authenticated"], false, "{d}");
            assert!(d.get("payloads").is_some(), "{d}");
            seen += 1;
        }
    }
    assert!(seen >= 4, "{seen}");
    // The summary uses the unchecked chains and does not ask for --keys.
    let sum = ietfwg(&["ikev2", "summary", s(&pcap), "--keys", s(&keys)]);
    assert_exit(&sum, 0);
    assert!(!stdout(&sum).contains("pass --keys"), "{}", stdout(&sum));
    let _ = std::fs::remove_file(&keys);
}

#[test]
fn a_bad_icv_still_shows_the_chain_marked_unauthenticated() {
    let pcap = pcaps_ikev2().join("esp-aes-cbc-sha256.pcap");
    // SK_ai's first octet changed: the initiator's messages fail their ICV.
    let keys = cbc_table(|f| {
        let ai = format!(
            "{:02x}{}",
            u8::from_str_radix(&f[5][..2], 16).unwrap() ^ 1,
            &f[5][2..]
        );
        format!(
            "{},{},{},{},{},{ai},{},{}",
            f[0], f[1], f[2], f[3], f[4], f[6], f[7]
        )
    });
    let text = ietfwg(&["ikev2", "decode", s(&pcap), "--keys", s(&keys)]);
    assert_exit(&text, 1);
    let t = stdout(&text);
    assert!(t.contains("icv BAD"), "{t}");
    assert!(
        t.contains("unauthenticated: the ICV does not verify"),
        "{t}"
    );
    assert!(
        t.contains("IDi      ID_RFC822_ADDR (3) \"initiator@test.local\""),
        "{t}"
    );
    let json = ietfwg(&["ikev2", "decode", "--json", s(&pcap), "--keys", s(&keys)]);
    let bad: Vec<_> = ndjson(&json)
        .into_iter()
        .filter_map(|v| {
            v["ikev2"]["payloads"]
                .as_array()
                .and_then(|p| p.last())
                .and_then(|p| p.get("decrypted"))
                .cloned()
        })
        .filter(|d| d["icv"] == "bad")
        .collect();
    assert!(!bad.is_empty());
    for d in &bad {
        assert_eq!(d["authenticated"], false, "{d}");
        assert!(d.get("payloads").is_some(), "{d}");
    }
    // With keys given, the summary no longer advises passing them.
    let other = pcaps_ikev2().join("child-sa-kernel-refused.pcap");
    let sum = ietfwg(&["ikev2", "summary", s(&other), "--keys", s(&keys)]);
    let out = stdout(&sum);
    assert!(!out.contains("pass --keys"), "{out}");
    assert!(!out.contains("decrypt with --keys"), "{out}");
    assert!(out.contains("`--keys` has no row for SPI"), "{out}");
    let _ = std::fs::remove_file(&keys);
}

/// A real libreswan 4.10 pluto log (`plutodebug=all,private`, `pcaps/record-ikev2-libreswan
/// pluto-psk`): its keys decrypt the capture of the same exchange, as tshark does with the
/// printed table.
#[test]
fn pluto_log_decrypts_its_capture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/libreswan");
    let (pcap, log) = (dir.join("pluto-psk.pcap"), dir.join("pluto-psk.log"));
    let keys = ietfwg(&["ikev2", "keys", "--only", "ikev2", s(&log)]);
    assert_exit(&keys, 0);
    assert!(
        stderr(&keys).contains("libreswan pluto log, 1 IKE SA(s)"),
        "{}",
        stderr(&keys)
    );
    let out = ietfwg(&["ikev2", "decode", s(&pcap), "--keys", s(&log)]);
    assert_exit(&out, 0);
    let t = stdout(&out);
    assert!(
        t.contains("IDi      ID_FQDN (2) \"initiator.test.local\""),
        "{t}"
    );
    assert!(
        t.contains("IDr      ID_FQDN (2) \"responder.test.local\""),
        "{t}"
    );
    assert!(stderr(&out).contains("4 decrypted"), "{}", stderr(&out));
    assert!(!t.contains("icv BAD"), "{t}");
    if common::tshark().is_none() {
        return;
    }
    let mut opts = Vec::new();
    for l in stdout(&keys).lines().filter(|l| !l.starts_with('#')) {
        opts.push("-o".to_string());
        opts.push(format!("uat:ikev2_decryption_table:{l}"));
    }
    let o: Vec<&str> = opts.iter().map(String::as_str).collect();
    let ids: Vec<String> = common::tshark_fields(&pcap, &o, &["isakmp.id.data.fqdn"])
        .into_iter()
        .flatten()
        .filter(|x| !x.is_empty())
        .collect();
    assert!(
        ids.iter().any(|i| i.contains("initiator.test.local")),
        "tshark did not decrypt with the printed table: {ids:?}"
    );
}

/// The same pluto log's CHILD_SA keys (the `ESP enckey:`/`ESP authkey:` dumps of the half pluto
/// handed to the kernel): one `esp_sa` row, for the SPI our initiator offered in IKE_AUTH as
/// tshark reads it from the decrypted SA payload, with the algorithms of the proposal pluto
/// chose; and the IKE SA keys pluto logged are the ones our initiator derived (`--keylog`).
#[test]
fn pluto_log_gives_the_child_sa_keys() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/libreswan");
    let (pcap, log) = (dir.join("pluto-psk.pcap"), dir.join("pluto-psk.log"));
    let k = ietfwg(&["ikev2", "keys", s(&log)]);
    assert_exit(&k, 0);
    assert!(
        stderr(&k).contains("libreswan pluto log, 1 IKE SA(s), 1 ESP SA(s)"),
        "{}",
        stderr(&k)
    );
    let out = stdout(&k);
    let esp: Vec<&str> = out.lines().filter(|l| l.starts_with("\"IPv4\"")).collect();
    assert_eq!(esp.len(), 1, "{out}");
    let f: Vec<&str> = esp[0].split(',').map(|x| x.trim_matches('"')).collect();
    // pluto (192.0.2.1) → our initiator (192.0.2.2): the SA whose SPI the initiator chose.
    assert_eq!(&f[1..3], ["192.0.2.1", "192.0.2.2"], "{out}");
    assert_eq!(f[4], "AES-CBC [RFC3602]");
    assert_eq!(f[5].len(), 2 + 32, "128-bit key: {out}");
    assert_eq!(f[6], "HMAC-SHA-256-128 [RFC4868]");
    assert_eq!(f[7].len(), 2 + 64, "32-octet HMAC key: {out}");
    let ike: Vec<&str> = out
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('"'))
        .collect();
    let keylog = std::fs::read_to_string(dir.join("pluto-psk.keys")).unwrap();
    let ours: Vec<&str> = keylog.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(ike, ours, "pluto's IKE SA keys vs our initiator's --keylog");
    // The decoder shows the offered SPI; tshark too, decrypting with the same table.
    let d = ietfwg(&["ikev2", "decode", s(&pcap), "--keys", s(&log)]);
    let spi = f[3].trim_start_matches("0x");
    assert!(
        stdout(&d).contains(&format!(
            "ENCR_AES_CBC_256,ENCR_AES_CBC_128 / AUTH_HMAC_SHA2_256_128 / NO_ESN, SPI {spi}"
        )),
        "{}",
        stdout(&d)
    );
    if common::tshark().is_none() {
        return;
    }
    let o = [
        "-o".to_string(),
        format!("uat:ikev2_decryption_table:{}", ike[0]),
    ];
    let o: Vec<&str> = o.iter().map(String::as_str).collect();
    let spis: Vec<String> = common::tshark_fields(&pcap, &o, &["isakmp.spi"])
        .into_iter()
        .flatten()
        .filter(|x| !x.is_empty())
        .collect();
    assert!(
        spis.iter().any(|x| x.split(['|', ',']).any(|v| v == spi)),
        "tshark's ESP SPIs {spis:?} vs {spi}"
    );
    // esp-decrypt takes the pluto log (the capture has no ESP: the kernel refused the SA).
    let tmp = std::env::temp_dir().join(format!("ietfwg-pluto-esp-{}.pcap", std::process::id()));
    let e = ietfwg(&[
        "ikev2",
        "esp-decrypt",
        s(&pcap),
        "-o",
        s(&tmp),
        "--keys",
        s(&log),
    ]);
    assert_exit(&e, 0);
    assert!(stderr(&e).contains("6 packets, 0 ESP"), "{}", stderr(&e));
    let _ = std::fs::remove_file(&tmp);
}

#[test]
fn conflicting_keys_are_named() {
    let dir = pcaps_ikev2();
    let table = std::fs::read_to_string(dir.join("esp-aes-gcm.keys")).unwrap();
    let line = table.lines().find(|l| !l.starts_with('#')).unwrap();
    let f: Vec<&str> = line.split(',').collect();
    // SK_ei's first octet changed.
    let ei = format!(
        "{:02x}{}",
        u8::from_str_radix(&f[2][..2], 16).unwrap() ^ 1,
        &f[2][2..]
    );
    let other = format!("{},{},{ei},{}", f[0], f[1], f[3..].join(","));
    let tmp = std::env::temp_dir().join(format!("ietfwg-conflict-{}.keys", std::process::id()));
    std::fs::write(&tmp, other).unwrap();
    let out = ietfwg(&["ikev2", "keys", s(&dir.join("esp-aes-gcm.log")), s(&tmp)]);
    let _ = std::fs::remove_file(&tmp);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains(&format!(
            "IKE SA {}/{}: another file gave other keys for it; the first kept",
            f[0], f[1]
        )),
        "{}",
        stderr(&out)
    );
    // The first (the log's) is what is printed.
    assert!(stdout(&out).contains(f[2]), "{}", stdout(&out));
}
