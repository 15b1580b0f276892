//! `ietfwg ikev2 probe` and `replay` against libreswan 4.10 (pluto, unpacked from its .deb by
//! test-support) — the second IKEv2 implementation: its proposals found by `probe --scan`,
//! IKE_AUTH completed with a PSK and with certificates, and what it answers differently from
//! the strongSwan responder the captures were recorded with.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use ietfwg_test_support::libreswan::{LswAuth, LswConfig, Pluto};
use ietfwg_test_support::pki::{Ca, KeyType};
use serde_json::Value;

fn pcap(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../pcaps/ikev2/{name}.pcap"))
}

fn show(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `ietfwg ARGS…` in the initiator's namespace; IETFWG_PSK/IETFWG_PPK removed.
fn run(p: &Pluto, args: &[&str]) -> (Output, Vec<Value>) {
    let out = p
        .command(env!("CARGO_BIN_EXE_ietfwg"))
        .env_remove("IETFWG_PSK")
        .env_remove("IETFWG_PPK")
        .args(args)
        .output()
        .expect("run ietfwg");
    if args.contains(&"--json") {
        for (cmd, schema) in [("probe", "ikev2-probe"), ("replay", "ikev2-replay")] {
            if args.contains(&cmd) {
                common::schema_check(schema, &out.stdout);
            }
        }
    }
    let lines = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (out, lines)
}

const PSK_IDS: [&str; 4] = [
    "--id",
    "fqdn:initiator.test.local",
    "--remote-id",
    "fqdn:responder.test.local",
];

#[test]
fn probe_scan_finds_plutos_proposals() {
    let Some(p) = Pluto::start(LswConfig::default()) else {
        return;
    };
    let (out, lines) = run(
        &p,
        &[
            "ikev2",
            "probe",
            "192.0.2.1",
            "--scan",
            "--rate",
            "50",
            "--timeout",
            "2",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let summary = lines.iter().find(|l| l["record"] == "summary").unwrap();
    let found: Vec<String> = summary["scan"]["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["keyword"].as_str().unwrap().to_owned())
        .collect();
    // ike=aes128-sha2_256;modp2048,aes256-sha2_256;modp2048
    assert_eq!(
        found,
        ["aes128", "aes256", "prfsha256", "sha256", "modp2048"],
        "{summary}"
    );
    assert_eq!(summary["half_open_sas"], 0, "{summary}");
}

fn replay_json(p: &Pluto, extra: &[&str]) -> (Output, Value) {
    let f = pcap("aes-cbc-sha256-modp2048");
    let args = [
        &[
            "ikev2",
            "replay",
            f.to_str().unwrap(),
            "--to",
            "192.0.2.1",
            "--json",
        ][..],
        extra,
    ]
    .concat();
    let (out, lines) = run(p, &args);
    assert_eq!(lines.len(), 1, "{}", show(&out));
    (out, lines[0].clone())
}

/// PSK: pluto completes IKE_AUTH (both AUTHs verified); the CHILD_SA is refused with
/// TS_UNACCEPTABLE as this kernel has no XFRM ESP. The same recorded offer, answered by
/// strongSwan when it was recorded and by libreswan now, differs in the notifies (no
/// MULTIPLE_AUTH_SUPPORTED) and the signature hashes (no SIGNATURE_HASH_ALGORITHMS at all with
/// a PSK-only connection).
#[test]
fn replay_with_psk_and_the_differences_from_strongswan() {
    let Some(p) = Pluto::start(LswConfig::default()) else {
        return;
    };
    let (out, sa) = replay_json(&p, &[&["--psk", "ietfwg-test-psk"][..], &PSK_IDS].concat());
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let auth = &sa["auth"];
    assert_eq!(auth["ike_sa"], true, "{sa}");
    assert_eq!(auth["responder_auth_ok"], true, "{sa}");
    assert_eq!(auth["id_r"], "responder.test.local", "{sa}");
    assert_eq!(auth["error"]["field"], "TS_UNACCEPTABLE", "{sa}");
    assert!(sa["delete"].as_str().unwrap().contains("deleted"), "{sa}");
    let diffs: Vec<&str> = sa["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(diffs.contains(&"notifies"), "{sa}");
    assert!(diffs.contains(&"signature hashes"), "{sa}");
    assert!(!diffs.contains(&"chosen proposal"), "{sa}");
    let now: Vec<&str> = sa["now"]["notifies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(!now.contains(&"MULTIPLE_AUTH_SUPPORTED"), "{sa}");
    // pluto logged the established IKE SA
    assert!(p.log().contains("established IKE SA"), "{}", p.log());
    // a wrong PSK: AUTHENTICATION_FAILED
    let (out, sa) = replay_json(&p, &[&["--psk", "wrong"][..], &PSK_IDS].concat());
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(sa["auth"]["ike_sa"], false, "{sa}");
    assert_eq!(
        sa["auth"]["error"]["field"], "AUTHENTICATION_FAILED",
        "{sa}"
    );
}

/// Certificates: RSA (pluto signs RSASSA-PSS) and ECDSA P-256 (with `authby=ecdsa`) complete
/// IKE_AUTH, path and signature verified. With an ECDSA certificate and libreswan's default
/// `authby` (rsasig), pluto 4.10 accepts our ECDSA AUTH but labels its own method-14 AUTH with
/// an RSASSA-PSS AlgorithmIdentifier, which no ECDSA key can verify: the report names it.
#[test]
fn replay_with_certificates() {
    let dir = std::env::temp_dir().join(format!("ietfwg-lsw-pki-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let Some(ca) = Ca::new(&dir) else {
        return;
    };
    for (t, authby, alg) in [
        (KeyType::Rsa, "", Some("RSASSA-PSS with SHA2-256")),
        (
            KeyType::EcdsaP256,
            "    authby=ecdsa\n",
            Some("ECDSA with SHA2-256"),
        ),
        (KeyType::EcdsaP256, "", None),
    ] {
        let resp = ca.leaf("responder.test.local", t);
        let init = ca.leaf("initiator.test.local", t);
        let Some(p) = Pluto::start(LswConfig {
            auth: LswAuth::Cert {
                cert: resp.cert.clone(),
                key: resp.key.clone(),
                cacert: ca.cert(),
            },
            conn_extra: authby.into(),
            ..LswConfig::default()
        }) else {
            return;
        };
        let ca_pem = ca.cert();
        let (out, sa) = replay_json(
            &p,
            &[
                "--cert",
                init.cert.to_str().unwrap(),
                "--key",
                init.key.to_str().unwrap(),
                "--cacert",
                ca_pem.to_str().unwrap(),
            ],
        );
        // TS_UNACCEPTABLE (no XFRM here): exit 1 in every case
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        let auth = &sa["auth"];
        let peer = &auth["peer_auth"];
        assert_eq!(peer["chain_ok"], true, "{t:?} {sa}");
        assert_eq!(
            auth["id_r"], "O=ietfwg test, CN=responder.test.local",
            "{sa}"
        );
        match alg {
            Some(a) => {
                assert_eq!(auth["ike_sa"], true, "{t:?} {sa}");
                assert_eq!(peer["signature_ok"], true, "{sa}");
                assert_eq!(peer["algorithm"], a, "{sa}");
            }
            None => {
                assert_eq!(auth["ike_sa"], false, "{sa}");
                assert_eq!(peer["signature_ok"], false, "{sa}");
                let why = peer["reason"].as_str().unwrap();
                assert!(
                    why.contains("1.2.840.113549.1.1.10") && why.contains("ECDSA P-256"),
                    "{why}"
                );
            }
        }
        // pluto verified our certificate and signature either way
        assert!(p.log().contains("authenticated peer"), "{t:?}: {}", p.log());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
