//! `ietfwg ikev2 decode` as a user runs it: exit codes, text and JSON output, stdin, colour, a
//! closed pipe, key tables, live capture on loopback.
//!
//! The captures are the project's own `pcaps/ikev2` (always present) and, where a test says so,
//! the third-party corpus (`$IETFWG_SHARED`, skipped with a notice when absent).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

fn pcap(name: &str) -> PathBuf {
    common::pcaps_dir("ikev2").join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn clean_capture_text_exit_0() {
    let f = pcap("aes-cbc-sha256-modp2048.pcap");
    let o = common::ietfwg(&["ikev2", "decode", s(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    // Head line: frame, time, endpoints with ports, transport.
    assert!(
        text.contains("#1  1795792969.850977000  127.0.0.1:1500 → 127.0.0.1:500  UDP\n"),
        "{text}"
    );
    assert!(text.contains("127.0.0.1:14500 → 127.0.0.1:4500  UDP NAT-T"));
    // Header: exchange with its number, I/R, message ID, SPIs as 16 hex digits.
    assert!(text.contains(
        "IKE_SA_INIT (34) request  flags 0x08 [I]  msgid 0  SPIi 8b3b99f3f222e9c6  SPIr 0000000000000000"
    ));
    assert!(text.contains("IKE_AUTH (35) response  flags 0x20 [R]  msgid 1"));
    // SA proposal line (the proposal's Display, as in summary), notifies with data, KE group.
    assert!(text.contains(
        "proposal #1 IKE: ENCR_AES_CBC_128 / PRF_HMAC_SHA2_256 / AUTH_HMAC_SHA2_256_128 / 2048-bit MODP Group (14)"
    ));
    assert!(text.contains(
        "SIGNATURE_HASH_ALGORITHMS (16431): SHA2-256 (2), SHA2-384 (3), SHA2-512 (4), Identity (5)"
    ));
    assert!(text.contains("2048-bit MODP Group (14), "));
    // Without keys the SK payload is described, not decrypted.
    assert!(text.contains("SK       first inner payload IDi (35), 272 octets"));
    assert!(!text.contains("decrypted"));
    assert!(
        stderr(&o).contains("6 IKE messages (6 IKEv2, 0 IKEv1), 0 ESP, 0 keepalives, 0 errors"),
        "{}",
        stderr(&o)
    );
}

/// Every key of every object, recursively.
fn keys_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys_of(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys_of(x, out)),
        _ => {}
    }
}

#[test]
fn json_shape() {
    let f = pcap("aes-cbc-sha256-modp2048.pcap");
    let o = common::ietfwg(&["ikev2", "decode", "--json", s(&f)]);
    assert_eq!(o.status.code(), Some(0));
    let lines = common::ndjson(&o);
    assert_eq!(lines.len(), 6);
    for v in &lines {
        let top: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            top,
            [
                "record",
                "frame",
                "time",
                "src",
                "dst",
                "transport",
                "ikev2",
                "error",
                "warnings"
            ]
        );
        let mut keys = Vec::new();
        keys_of(v, &mut keys);
        for k in keys {
            assert!(
                k.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "key {k:?} is not snake_case"
            );
        }
        let h = &v["ikev2"]["header"];
        for spi in [&h["spi_i"], &h["spi_r"]] {
            let spi = spi.as_str().unwrap();
            assert_eq!(spi.len(), 16);
            assert!(spi
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        }
    }
    assert_eq!(lines[0]["frame"], 1);
    assert_eq!(lines[0]["time"], "1795792969.850977000");
    assert_eq!(lines[0]["src"], "127.0.0.1:1500");
    assert_eq!(lines[0]["dst"], "127.0.0.1:500");
    assert_eq!(lines[0]["transport"], "udp");
    assert_eq!(lines[2]["transport"], "udp_nat_t");
    assert_eq!(lines[0]["ikev2"]["header"]["spi_i"], "8b3b99f3f222e9c6");
    assert_eq!(
        lines[0]["ikev2"]["header"]["exchange"]["name"],
        "IKE_SA_INIT"
    );
    assert_eq!(
        lines[0]["ikev2"]["payloads"][0]["body"]["sa"]["proposals"][0]["transforms"][0]
            ["transform_id"]["name"],
        "ENCR_AES_CBC"
    );
}

#[test]
fn keys_decrypt_sk_and_reassemble_skf() {
    let f = pcap("fragmentation.pcap");
    let k = pcap("fragmentation.keys");
    let o = common::ietfwg(&["ikev2", "decode", "--json", "--keys", s(&k), s(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines = common::ndjson(&o);
    // Frames 3–5: the IKE_AUTH request in 3 SKF fragments; reassembled at frame 5.
    let d3 = &lines[2]["ikev2"]["payloads"][0]["decrypted"];
    assert_eq!(d3["icv_ok"], true);
    assert_eq!(d3["fragment"]["number"], 1);
    assert_eq!(d3["waiting_for"], serde_json::json!([2, 3]));
    let d5 = &lines[4]["ikev2"]["payloads"][0]["decrypted"];
    let r = &d5["reassembled"];
    assert_eq!(r["frames"], serde_json::json!([3, 4, 5]));
    assert_eq!(r["first_payload"]["id"], 35);
    assert_eq!(
        r["payloads"][0]["body"]["id"]["value"]["rfc822_addr"],
        "initiator@test.local"
    );
    // Frame 8: an unfragmented SK (INFORMATIONAL Delete).
    let d8 = &lines[7]["ikev2"]["payloads"][0]["decrypted"];
    assert_eq!(d8["icv_ok"], true);
    assert_eq!(d8["payloads"][0]["payload_type"]["id"], 42);
    assert!(stderr(&o).contains("7 decrypted, 2 reassembled from fragments, 0 errors"));

    // Text: the inner chain under the SK payload.
    let o = common::ietfwg(&["ikev2", "decode", "--keys", s(&k), s(&f)]);
    let text = stdout(&o);
    assert!(text.contains("decrypted: icv ok"), "{text}");
    assert!(text.contains("reassembled: 228 octets from frames #3 #4 #5, first payload IDi (35)"));
    assert!(text.contains("IDi      ID_RFC822_ADDR (3) \"initiator@test.local\""));
}

#[test]
fn wrong_keys_show_bad_icv_and_exit_1() {
    // The 3DES capture's own key line with SK_ai and SK_ar altered: the ciphertext still
    // decrypts, the HMAC does not verify.
    let f = pcap("3des-sha1-modp2048.pcap");
    let table = std::fs::read_to_string(pcap("3des-sha1-modp2048.keys")).unwrap();
    let line = table
        .lines()
        .find(|l| !l.starts_with('#') && !l.is_empty())
        .unwrap();
    let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
    for i in [5, 6] {
        let mut b = hex::decode(&fields[i]).unwrap();
        b[0] ^= 0xff;
        fields[i] = hex::encode(b);
    }
    let dir = std::env::temp_dir().join(format!("ietfwg-ikev2-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad-icv.keys");
    std::fs::write(&bad, fields.join(",") + "\n").unwrap();
    let o = common::ietfwg(&["ikev2", "decode", "--keys", s(&bad), s(&f)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("icv BAD"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_key_table_is_a_usage_error_naming_line_and_column() {
    let dir = std::env::temp_dir().join(format!("ietfwg-ikev2-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.keys");
    std::fs::write(
        &bad,
        "# comment\n0011223344556677,zz11223344556677,00,00,\"AES-CBC-128 [RFC3602]\",,,\"NONE [RFC4306]\"\n",
    )
    .unwrap();
    let f = pcap("aes-cbc-sha256-modp2048.pcap");
    let o = common::ietfwg(&["ikev2", "decode", "--keys", s(&bad), s(&f)]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("line 2, column 18 (SPIr)"), "{e}");
    assert!(o.stdout.is_empty());
    // A missing table file.
    let o = common::ietfwg(&["ikev2", "decode", "--keys", s(&dir.join("nope")), s(&f)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("reading --keys"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = common::ietfwg(&["ikev2", "decode", "/nonexistent/file.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ietfwg: error:"), "{}", stderr(&o));
    let o = common::ietfwg(&["ikev2", "decode", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    let f = pcap("cookie.pcap");
    let o = common::ietfwg(&["ikev2", "decode", s(&f), "--interface", "lo"]);
    assert_eq!(o.status.code(), Some(2), "a file and an interface conflict");
    let o = common::ietfwg(&["ikev2", "decode", "--count", "many", s(&f)]);
    assert_eq!(o.status.code(), Some(2));
    // Not a capture at all.
    let o = common::ietfwg_stdin(&["ikev2", "decode", "-"], b"this is not a pcap file at all");
    assert_eq!(o.status.code(), Some(2));
    // --help is not an error.
    let o = common::ietfwg(&["ikev2", "decode", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("--keys"));
}

#[test]
fn stdin_and_count() {
    let f = pcap("cookie.pcap");
    let bytes = std::fs::read(&f).unwrap();
    let from_file = common::ietfwg(&["ikev2", "decode", "--json", s(&f)]);
    let from_stdin = common::ietfwg_stdin(&["ikev2", "decode", "--json", "-"], &bytes);
    assert_eq!(from_stdin.status.code(), Some(0));
    assert_eq!(from_file.stdout, from_stdin.stdout);
    assert_eq!(common::ndjson(&from_file).len(), 14);
    // No FILE at all means stdin too.
    let implicit = common::ietfwg_stdin(&["ikev2", "decode", "--json"], &bytes);
    assert_eq!(implicit.stdout, from_file.stdout);
    let o = common::ietfwg(&["ikev2", "decode", "--json", "--count", "3", s(&f)]);
    assert_eq!(o.status.code(), Some(0));
    let v = common::ndjson(&o);
    assert_eq!(v.len(), 3);
    assert_eq!(v[2]["frame"], 3);
}

#[test]
fn colour_only_when_asked() {
    let f = pcap("no-proposal.pcap");
    let piped = common::ietfwg(&["ikev2", "decode", s(&f)]);
    assert!(
        !piped.stdout.contains(&0x1b),
        "a pipe gets no colour by default"
    );
    let never = common::ietfwg(&["--color", "never", "ikev2", "decode", s(&f)]);
    assert!(!never.stdout.contains(&0x1b));
    let always = common::ietfwg(&["--color", "always", "ikev2", "decode", s(&f)]);
    assert!(stdout(&always).contains("\x1b["));
    // The same text once the escapes are removed.
    let plain: String = strip_ansi(&stdout(&always));
    assert_eq!(plain, stdout(&never));
    // The error notify is highlighted.
    assert!(stdout(&never).contains("NO_PROPOSAL_CHOSEN (14)"));
    // JSON is never coloured.
    let json = common::ietfwg(&["--color", "always", "ikev2", "decode", "--json", s(&f)]);
    assert!(!json.stdout.contains(&0x1b));
    assert_eq!(common::ndjson(&json).len(), 2);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' && it.peek() == Some(&'[') {
            for d in it.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn closed_pipe_is_a_normal_end() {
    // A capture big enough to fill the pipe: the records of one file repeated.
    let bytes = std::fs::read(pcap("natt-rekey-delete.pcap")).unwrap();
    let (header, records) = bytes.split_at(24); // pcap global header
    let mut big = header.to_vec();
    for _ in 0..300 {
        big.extend_from_slice(records);
    }
    let dir = std::env::temp_dir().join(format!("ietfwg-ikev2-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.pcap");
    std::fs::write(&file, &big).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ietfwg"))
        .args(["ikev2", "decode", s(&file)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    out.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"#1  "));
    drop(out); // the reader goes away, like `| head -c 64`
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("error"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// tcpdump's fuzzed and crash captures: exit 1, every problem an entry naming where.
#[test]
fn malformed_tcpdump_captures_exit_1() {
    let Some(shared) = common::shared() else {
        return;
    };
    let dir = shared.join("corpus/ikev2/tcpdump");
    let mut n = 0;
    for f in common::captures(&dir) {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        if !(name.contains("oobr") || name.contains("segfault")) {
            continue;
        }
        let o = common::ietfwg(&["ikev2", "decode", "--json", s(&f)]);
        if name == "isakmp-identification-segfault.pcap" {
            // Structurally valid (an ID_FQDN of 248 zero octets): tcpdump's crash was in its
            // own printer. tshark decodes it without complaint too.
            assert_eq!(o.status.code(), Some(0), "{name}: {}", stderr(&o));
            continue;
        }
        n += 1;
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        let errors: Vec<Value> = common::ndjson(&o)
            .into_iter()
            .filter_map(|v| v.get("error").cloned())
            .collect();
        assert!(!errors.is_empty(), "{name}");
        for e in &errors {
            let msg = e["message"].as_str().unwrap();
            if e["offset"].is_null() {
                // Below IKE: a packet or datagram problem, named in words.
                assert!(
                    msg.contains("snapshot length")
                        || msg.contains("UDP length")
                        || msg.contains("UDP payload"),
                    "{name}: {msg}"
                );
            } else {
                // Inside an IKE message: the byte and the field.
                let off = e["offset"].as_u64().unwrap();
                let field = e["field"].as_str().unwrap();
                assert!(!field.is_empty());
                assert!(msg.starts_with(&format!("byte {off}: ")), "{name}: {msg}");
                assert!(msg.contains(field), "{name}: {msg}");
            }
        }
        assert!(
            stderr(&o).contains(&format!("{} errors", errors.len())),
            "{name}: {}",
            stderr(&o)
        );
    }
    assert_eq!(n, 8);
    // The one IKEv2 crash case, precisely.
    let o = common::ietfwg(&["ikev2", "decode", s(&dir.join("ikev2pI2-segfault.pcapng"))]);
    let text = stdout(&o);
    assert!(
        text.contains(
            "byte 56: SA payload #1: proposal #1: transform #3: Last Substruc: 46 (expected 0 \
             for the last transform or 3 before another)"
        ),
        "{text}"
    );
    let o = common::ietfwg(&[
        "ikev2",
        "decode",
        "--json",
        s(&dir.join("ikev2pI2-segfault.pcapng")),
    ]);
    let v = &common::ndjson(&o)[0];
    assert_eq!(v["error"]["offset"], 56);
    assert_eq!(v["error"]["field"], "Last Substruc");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SA payload #1: proposal #1: transform #3: Last Substruc"),
        "{v}"
    );
    assert_eq!(v["error"]["layer"], "ikev2");
    assert_eq!(v["record"], "ikev2");
    assert_eq!(
        v["header"]["exchange"]["id"], 34,
        "the header that did parse"
    );
}

/// ESP and keepalives on 4500, IKEv1 labelled (tcpdump's isakmp4500.pcap).
#[test]
fn ikev1_esp_and_keepalives() {
    let Some(shared) = common::shared() else {
        return;
    };
    let f = shared.join("corpus/ikev2/tcpdump/isakmp4500.pcap");
    let o = common::ietfwg(&["ikev2", "decode", "--json", s(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = common::ndjson(&o);
    let count = |k: &str| v.iter().filter(|x| x["record"] == k).count();
    assert_eq!(
        (count("ikev1"), count("esp"), count("keepalive")),
        (15, 8, 4)
    );
    assert_eq!(v.iter().filter(|x| x.get("ikev1").is_some()).count(), 15);
    let esp = v.iter().find(|x| x.get("esp").is_some()).unwrap();
    assert_eq!(esp["transport"], "udp_nat_t");
    assert_eq!(esp["esp"]["spi"].as_str().unwrap().len(), 8);
    let text = stdout(&common::ietfwg(&["ikev2", "decode", s(&f)]));
    assert!(text.contains("IKEv1    "), "{text}");
    assert!(text.contains("ESP      SPI 0x"));
    assert!(text.contains("NAT-keepalive"));
}

/// The IKE message of frame `n` (1-based) of an Ethernet/IPv4/UDP-500 pcap.
fn ike_of_frame(path: &Path, n: usize) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let cap = pcap_parser::PcapCapture::from_file(&bytes).unwrap();
    let data = cap.blocks[n - 1].data;
    data[14 + 20 + 8..].to_vec() // Ethernet, IPv4 without options, UDP
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn live_capture_on_loopback() {
    if !is_root() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true runs as root; live capture must be tested");
        }
        eprintln!("notice: not root; skipping the live capture test");
        return;
    }
    let f = pcap("aes-cbc-sha256-modp2048.pcap");
    let request = ike_of_frame(&f, 1);
    let response = ike_of_frame(&f, 2);
    assert_eq!(request[18], 34, "IKE_SA_INIT");
    // A network namespace of its own: other tests' datagrams on the host's loopback would
    // otherwise be counted among the two.
    let ns = format!("ietfwg-live-{}", std::process::id());
    let ip = |args: &[&str]| {
        let st = Command::new("ip").args(args).status().expect("run ip");
        assert!(st.success(), "ip {args:?}");
    };
    let _ = Command::new("ip").args(["netns", "del", &ns]).status();
    ip(&["netns", "add", &ns]);
    struct Netns(String);
    impl Drop for Netns {
        fn drop(&mut self) {
            let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
        }
    }
    let _cleanup = Netns(ns.clone());
    ip(&["netns", "exec", &ns, "ip", "link", "set", "lo", "up"]);
    let dir = std::env::temp_dir().join(format!("ietfwg-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("request"), &request).unwrap();
    std::fs::write(dir.join("response"), &response).unwrap();
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns, env!("CARGO_BIN_EXE_ietfwg")])
        .args([
            "ikev2",
            "decode",
            "--interface",
            "lo",
            "--count",
            "2",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The capture says it has started ("… Ctrl-C stops") once its socket is open.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut err, &mut first).unwrap();
    assert!(first.contains("Ctrl-C stops"), "{first}");
    // Nothing listens on 127.0.0.1:500; the capture sees the datagrams all the same.
    let send = format!(
        "cat {0}/request > /dev/udp/127.0.0.1/500; cat {0}/response > /dev/udp/127.0.0.1/500",
        dir.display()
    );
    ip(&["netns", "exec", &ns, "bash", "-c", &send]);
    // Give up (and fail) rather than hang if the capture never sees them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("live capture did not end after 2 messages");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut err, &mut rest);
    assert_eq!(o.status.code(), Some(0), "{rest}");
    let v = common::ndjson(&o);
    assert_eq!(v.len(), 2, "{}", stdout(&o));
    for (x, spi_r) in v.iter().zip(["0000000000000000", "1d75e2fbe7f555d3"]) {
        assert!(
            x["src"].as_str().unwrap().starts_with("127.0.0.1:"),
            "{}",
            x["src"]
        );
        assert_eq!(x["dst"], "127.0.0.1:500");
        assert_eq!(x["transport"], "udp");
        assert_eq!(x["ikev2"]["header"]["spi_i"], "8b3b99f3f222e9c6");
        assert_eq!(x["ikev2"]["header"]["spi_r"], spi_r);
        assert_eq!(x["ikev2"]["header"]["exchange"]["id"], 34);
    }
}
