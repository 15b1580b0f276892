//! Records the project's libreswan captures (`pcaps/ikev2/libreswan-*`): `ietfwg ikev2 replay`
//! (the binary given) as the initiator against a libreswan 4.10 pluto responder (the lab of
//! `ietfwg_test_support::libreswan`), tcpdump on the initiator's side, the new IKE SA's keys
//! from `--keylog`, pluto's log (debug lines left out).
//!
//! `pluto-psk` (written to `OUT_DIR/../libreswan/`) is the PSK exchange with
//! `plutodebug=all,private`: its log keeps, besides the event lines, the lines that carry keys
//! (the IKE SA's `| ikev2 I …`/`| ikev2 R …` and the CHILD_SA half pluto handed to the kernel:
//! `looking for alg`, `keymat_len`, `ESP enckey:`/`ESP authkey:` with their hex dumps,
//! `add_sa()`), so that the log itself is the key file.
//!
//! usage: record-libreswan IETFWG_BINARY OUT_DIR [NAME...]   (root; run by pcaps/record-ikev2-libreswan)
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};

use ietfwg_test_support::libreswan::{LswAuth, LswConfig, Pluto};
use ietfwg_test_support::pki::{Ca, KeyType};

const SCENARIOS: &[&str] = &[
    "libreswan-psk",
    "libreswan-cert-rsa",
    "libreswan-cert-ecdsa",
    "libreswan-cert-p521",
    "libreswan-ppk",
    "pluto-psk",
];

/// The lines of a `plutodebug=all,private` log that `pluto-psk` keeps: the event lines, and
/// the debug lines that carry or name keys.
fn pluto_key_lines(log: &str) -> String {
    let mut keep = String::new();
    let mut dump = false;
    for l in log.lines() {
        let debug = l.contains(": | ") || l.starts_with("| ");
        let msg = l.split_once("| ").map_or("", |(_, m)| m);
        let is_dump = dump && msg.starts_with("  ") && !msg.trim().is_empty();
        dump = is_dump || msg.starts_with("ESP enckey:") || msg.starts_with("ESP authkey:");
        if !debug
            || is_dump
            || msg.starts_with("ikev2 I 0x")
            || msg.starts_with("ikev2 R 0x")
            || msg.starts_with("ESP enckey:")
            || msg.starts_with("ESP authkey:")
            || msg.starts_with("kernel: looking for alg with encrypt:")
            || msg.starts_with("kernel: st->st_esp.keymat_len=")
            || msg.starts_with("kernel: add_sa()")
        {
            keep.push_str(l);
            keep.push('\n');
        }
    }
    keep
}

fn record(bin: &Path, out: &Path, name: &str, tmp: &Path) {
    let recorded =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/ikev2/aes-cbc-sha256-modp2048.pcap");
    let ca = Ca::new(&tmp.join("pki")).expect("openssl");
    let (cfg, args): (LswConfig, Vec<String>) = match name {
        "libreswan-psk" | "pluto-psk" => (
            if name == "pluto-psk" {
                LswConfig {
                    ike: "aes128-sha2_256;modp2048".into(),
                    esp: "aes128-sha2_256".into(),
                    plutodebug: "all,private".into(),
                    ..LswConfig::default()
                }
            } else {
                LswConfig::default()
            },
            [
                "--psk",
                "ietfwg-test-psk",
                "--id",
                "fqdn:initiator.test.local",
                "--remote-id",
                "fqdn:responder.test.local",
            ]
            .map(String::from)
            .to_vec(),
        ),
        // RFC 8784: the PPK mandatory on our side, `ppk=insist` on pluto's.
        "libreswan-ppk" => (
            LswConfig {
                conn_extra: "    ppk=insist\n".into(),
                secrets_extra: "@responder.test.local @initiator.test.local : PPKS \"ppk-test\" \"ietfwg-test-ppk-0123456789abcdef\"\n".into(),
                ..LswConfig::default()
            },
            [
                "--psk",
                "ietfwg-test-psk",
                "--id",
                "fqdn:initiator.test.local",
                "--remote-id",
                "fqdn:responder.test.local",
                "--ppk-id",
                "ppk-test",
                "--ppk",
                "ietfwg-test-ppk-0123456789abcdef",
                "--ppk-mandatory",
            ]
            .map(String::from)
            .to_vec(),
        ),
        _ => {
            let (t, authby) = if name.ends_with("rsa") {
                (KeyType::Rsa, "")
            } else if name.ends_with("p521") {
                (KeyType::EcdsaP521, "    authby=ecdsa\n")
            } else {
                (KeyType::EcdsaP256, "    authby=ecdsa\n")
            };
            let resp = ca.leaf("responder.test.local", t);
            let init = ca.leaf("initiator.test.local", t);
            (
                LswConfig {
                    auth: LswAuth::Cert {
                        cert: resp.cert,
                        key: resp.key,
                        cacert: ca.cert(),
                    },
                    conn_extra: authby.into(),
                    ..LswConfig::default()
                },
                vec![
                    "--cert".into(),
                    init.cert.display().to_string(),
                    "--key".into(),
                    init.key.display().to_string(),
                    "--cacert".into(),
                    ca.cert().display().to_string(),
                ],
            )
        }
    };
    let p = Pluto::start(cfg).expect("libreswan lab (root, apt-get download libreswan)");
    let out = if name == "pluto-psk" {
        let o = out.join("../libreswan");
        std::fs::create_dir_all(&o).expect("create pcaps/libreswan");
        o
    } else {
        out.to_path_buf()
    };
    let out = out.as_path();
    let pcap = out.join(format!("{name}.pcap"));
    let keys = out.join(format!("{name}.keys"));
    let _ = std::fs::remove_file(&keys);
    let cap = p.capture(&pcap);
    let run = p
        .command(bin)
        .env_remove("IETFWG_PSK")
        .env_remove("IETFWG_PPK")
        .args(["ikev2", "replay"])
        .arg(&recorded)
        .args(["--to", "192.0.2.1", "--keylog"])
        .arg(&keys)
        .args(&args)
        .output()
        .expect("run ietfwg");
    cap.stop();
    print!("{}", String::from_utf8_lossy(&run.stdout));
    eprint!("{}", String::from_utf8_lossy(&run.stderr));
    let log: String = if name == "pluto-psk" {
        pluto_key_lines(&p.log())
    } else {
        p.log()
            .lines()
            .filter(|l| !l.contains(": | "))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    std::fs::write(out.join(format!("{name}.log")), log).expect("write the log");
    // the keylog holds the one IKE SA; prefix it with what it is
    let k = std::fs::read_to_string(&keys).expect("--keylog written");
    std::fs::write(
        &keys,
        format!("# {name}: written by `ietfwg ikev2 replay --keylog` (pcaps/record-ikev2-libreswan)\n{k}"),
    )
    .expect("write keys");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: record-libreswan IETFWG_BINARY OUT_DIR [NAME...]");
        std::process::exit(2);
    }
    let bin = PathBuf::from(&args[0]);
    let out = PathBuf::from(&args[1]);
    let names: Vec<&str> = if args.len() > 2 {
        args[2..].iter().map(String::as_str).collect()
    } else {
        SCENARIOS.to_vec()
    };
    let tmp = std::env::temp_dir().join(format!("ietfwg-record-lsw-{}", std::process::id()));
    for n in names {
        if !SCENARIOS.contains(&n) {
            eprintln!("record-libreswan: unknown scenario {n} (known: {SCENARIOS:?})");
            std::process::exit(2);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        record(&bin, &out, n, &tmp);
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
