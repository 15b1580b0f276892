//! `ietfwg ikev2 replay` with certificates (RFC 7427 Digital Signature, RFC 8420 Ed25519, the
//! classic RSA and ECDSA methods) and with a post-quantum preshared key (RFC 8784), against a
//! real strongSwan responder (charon 5.9) in a network namespace; a CA and the leaf
//! certificates are made with openssl at test time.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use ietfwg_test_support::pki::{Ca, KeyType, Leaf};
use ietfwg_test_support::strongswan::{PubkeyAuth, Responder, ResponderConfig};
use serde_json::Value;

fn pcap(name: &str) -> PathBuf {
    common::pcaps_dir("ikev2").join(format!("{name}.pcap"))
}

const LAB_TS: [&str; 4] = ["--ts", "127.0.0.0/24", "--remote-ts", "127.0.0.0/24"];

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ietfwg-replay-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn show(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `ietfwg ikev2 replay ARGS… --to 127.0.0.1 --json` inside the responder's namespace, with
/// `env` set (IETFWG_PSK and IETFWG_PPK are removed first).
fn replay(r: &Responder, args: &[&str], env: &[(&str, &str)]) -> (Output, Vec<Value>) {
    let mut cmd = r.command(env!("CARGO_BIN_EXE_ietfwg"));
    cmd.env_remove("IETFWG_PSK").env_remove("IETFWG_PPK");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["ikev2", "replay"])
        .args(args)
        .args(["--to", "127.0.0.1", "--timeout", "5", "--json"])
        .output()
        .expect("run ietfwg");
    let lines = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (out, lines)
}

/// A responder authenticating with `resp` and accepting initiators certified by `ca`.
fn cert_responder(ca: &Ca, resp: &Leaf, charon_extra: &str) -> Option<Responder> {
    Responder::start(ResponderConfig {
        ike_proposals: "aes128-sha256-modp2048".into(),
        pubkey: Some(PubkeyAuth {
            cert: resp.cert.clone(),
            key: resp.key.clone(),
            cacert: ca.cert(),
            id: "responder.test.local".into(),
        }),
        charon_extra: charon_extra.into(),
        ..ResponderConfig::default()
    })
}

fn cert_args<'a>(leaf: &'a Leaf, ca: &'a Ca, cacert: &'a Path) -> Vec<String> {
    let _ = ca;
    vec![
        "--cert".into(),
        leaf.cert.display().to_string(),
        "--key".into(),
        leaf.key.display().to_string(),
        "--cacert".into(),
        cacert.display().to_string(),
    ]
}

/// Every key type, with method 14 and (except Ed25519) the classic method: strongSwan accepts
/// our AUTH, we verify its certificate path and its AUTH.
#[test]
fn certificates_of_every_key_type_complete_ike_auth() {
    if common::tshark().is_none() {
        return;
    }
    let dir = tmpdir("certs");
    let Some(ca) = Ca::new(&dir) else {
        return;
    };
    let file = pcap("aes-cbc-sha256-modp2048");
    for (t, key, sig14, classic) in [
        (KeyType::Rsa, "rsa", "RSASSA-PSS with SHA2-256", Some("(1)")),
        (
            KeyType::EcdsaP256,
            "ecdsa_p256",
            "ECDSA with SHA2-256",
            Some("(9)"),
        ),
        (
            KeyType::EcdsaP384,
            "ecdsa_p384",
            "ECDSA with SHA2-384",
            Some("(10)"),
        ),
        (KeyType::Ed25519, "ed25519", "Ed25519", None),
    ] {
        let resp = ca.leaf("responder.test.local", t);
        let init = ca.leaf("initiator.test.local", t);
        // rsa_pss: charon signs with RSASSA-PSS too.
        let Some(r) = cert_responder(&ca, &resp, "  rsa_pss = yes\n") else {
            return;
        };
        let mut args: Vec<String> = vec![file.display().to_string()];
        args.extend(cert_args(&init, &ca, &ca.cert()));
        args.extend(LAB_TS.iter().map(|s| s.to_string()));
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (out, sas) = replay(&r, &a, &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{t:?}: {}\n{}",
            show(&out),
            r.log()
        );
        let auth = &sas[0]["auth"];
        assert_eq!(auth["ike_sa"], true, "{}", sas[0]);
        let local = &auth["local_auth"];
        assert_eq!(local["method"], "Digital Signature (14)", "{auth}");
        assert_eq!(local["algorithm"], sig14, "{auth}");
        assert_eq!(local["key"], key, "{auth}");
        assert_eq!(local["certs_sent"], 1, "{auth}");
        assert_eq!(local["certreq_sent"], true, "{auth}");
        // charon asked for our CA in IKE_SA_INIT
        assert_eq!(local["certreq_answered"]["ours_requested"], true, "{auth}");
        let peer = &auth["peer_auth"];
        assert_eq!(peer["signature_ok"], true, "{auth}");
        assert_eq!(peer["chain_ok"], true, "{auth}");
        assert_eq!(peer["method"], "Digital Signature (14)", "{auth}");
        assert_eq!(peer["algorithm"], sig14, "{auth}");
        assert!(
            peer["certificates"][0]["subject"]
                .as_str()
                .unwrap()
                .contains("CN=responder.test.local"),
            "{auth}"
        );
        assert_eq!(auth["id_r"], "responder.test.local", "{auth}");
        // IDi is the certificate's subject DN, and charon checked our signature with it.
        let log = r.log();
        assert!(
            log.contains("authentication of 'O=ietfwg test, CN=initiator.test.local' with"),
            "{log}"
        );
        let sent = &sas[0]["exchanges"][2];
        assert!(
            sent["payloads"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == "CERT"),
            "{sent}"
        );

        if let Some(m) = classic {
            let mut a2 = a.clone();
            a2.extend(["--auth-method", "classic"]);
            let (out, sas) = replay(&r, &a2, &[]);
            assert_eq!(out.status.code(), Some(0), "{t:?} classic: {}", show(&out));
            let auth = &sas[0]["auth"];
            assert!(
                auth["local_auth"]["method"].as_str().unwrap().ends_with(m),
                "{auth}"
            );
            assert_eq!(auth["peer_auth"]["signature_ok"], true, "{auth}");
        } else {
            // Ed25519 has no classic method: refused before IKE_AUTH is sent, exit 1.
            let mut a2 = a.clone();
            a2.extend(["--auth-method", "classic"]);
            let (out, sas) = replay(&r, &a2, &[]);
            assert_eq!(out.status.code(), Some(1), "{}", show(&out));
            assert!(
                sas[0]["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("RFC 8420"),
                "{}",
                sas[0]
            );
        }
        if t == KeyType::Ed25519 {
            keylog_decrypts_with_tshark(&r, &a, &dir);
            // the text report (as the README shows it)
            let out = r
                .command(env!("CARGO_BIN_EXE_ietfwg"))
                .env_remove("IETFWG_PSK")
                .args(["ikev2", "replay"])
                .args(&a)
                .args(["--to", "127.0.0.1", "--color", "never"])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            println!("{text}");
            assert!(
                text.contains("our AUTH    Digital Signature (14) Ed25519"),
                "{text}"
            );
            assert!(
                text.contains("responder's AUTH verified: Digital Signature (14) Ed25519"),
                "{text}"
            );
            assert!(text.contains("path        verified"), "{text}");
        }
        if t == KeyType::Rsa {
            let mut a2 = a.clone();
            a2.extend(["--rsa-scheme", "pkcs1"]);
            let (out, sas) = replay(&r, &a2, &[]);
            assert_eq!(out.status.code(), Some(0), "pkcs1: {}", show(&out));
            assert_eq!(
                sas[0]["auth"]["local_auth"]["algorithm"],
                "RSASSA-PKCS1-v1_5 with SHA2-256"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A capture of the exchange, decrypted by tshark with the line `--keylog` wrote: the
/// IKE_AUTH request carries IDi (ID_DER_ASN1_DN), CERT, CERTREQ and AUTH method 14; the
/// response IDr, CERT, AUTH method 14.
fn keylog_decrypts_with_tshark(r: &Responder, args: &[&str], dir: &Path) {
    let Some(tshark) = common::tshark() else {
        return;
    };
    let keylog = dir.join("cert.keys");
    let _ = std::fs::remove_file(&keylog);
    let cap = r.capture(&dir.join("cert.pcap"));
    let mut a = args.to_vec();
    a.extend(["--keylog", keylog.to_str().unwrap()]);
    let (out, _) = replay(r, &a, &[]);
    let pcap = cap.stop();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let table = std::fs::read_to_string(&keylog).unwrap();
    let line = table.lines().find(|l| !l.starts_with('#')).unwrap();
    let t = std::process::Command::new(tshark)
        .arg("-r")
        .arg(&pcap)
        .args(["-o", &format!("uat:ikev2_decryption_table:{line}")])
        .args(["-Y", "isakmp.exchangetype == 35", "-T", "fields"])
        .args(["-e", "isakmp.typepayload", "-e", "isakmp.id.type"])
        .args(["-e", "isakmp.auth.method", "-e", "_ws.expert"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&t.stdout).into_owned();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "tshark: {text}");
    let req: Vec<&str> = rows[0][0].split(',').collect();
    for p in ["46", "35", "37", "38", "39", "33", "44", "45"] {
        assert!(
            req.contains(&p),
            "request payload {p} not decrypted: {text}"
        );
    }
    assert_eq!(rows[0][1], "9", "IDi is ID_DER_ASN1_DN: {text}");
    assert_eq!(rows[0][2], "14", "AUTH is Digital Signature: {text}");
    let resp: Vec<&str> = rows[1][0].split(',').collect();
    for p in ["36", "37", "39"] {
        assert!(resp.contains(&p), "response payload {p}: {text}");
    }
    assert_eq!(rows[1][2], "14", "{text}");
    assert!(rows.iter().all(|r| r[3].is_empty()), "expert info: {text}");
}

/// The responder's certificate under another CA: its signature verifies, its path does not,
/// and the IKE SA is not counted as authenticated (exit 1). A key that is not the
/// certificate's is refused before anything is sent (exit 2).
#[test]
fn untrusted_responder_and_mismatched_key() {
    let dir = tmpdir("untrusted");
    let Some(ca) = Ca::new(&dir) else {
        return;
    };
    let other = Ca::new(&dir.join("other")).unwrap();
    let resp = ca.leaf("responder.test.local", KeyType::EcdsaP256);
    let init = ca.leaf("initiator.test.local", KeyType::EcdsaP256);
    let Some(r) = cert_responder(&ca, &resp, "") else {
        return;
    };
    let file = pcap("aes-cbc-sha256-modp2048");
    let mut args: Vec<String> = vec![file.display().to_string()];
    args.extend(cert_args(&init, &ca, &other.cert()));
    args.extend(LAB_TS.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, sas) = replay(&r, &a, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let peer = &sas[0]["auth"]["peer_auth"];
    assert_eq!(peer["signature_ok"], true, "{peer}");
    assert_eq!(peer["chain_ok"], false, "{peer}");
    // both CAs have the same name: the path is found, its signature fails
    assert!(
        peer["chain"]
            .as_str()
            .unwrap()
            .starts_with("does not verify"),
        "{peer}"
    );
    assert_eq!(sas[0]["auth"]["ike_sa"], false);
    // charon's CERTREQ names the real CA, which is not among the CA keys we were given
    assert_eq!(
        sas[0]["auth"]["local_auth"]["certreq_answered"]["ours_requested"],
        false
    );

    let wrong = ca.leaf("someone.test.local", KeyType::EcdsaP256);
    let out = r
        .command(env!("CARGO_BIN_EXE_ietfwg"))
        .args([
            "ikev2",
            "replay",
            file.to_str().unwrap(),
            "--to",
            "127.0.0.1",
        ])
        .args(["--cert", init.cert.to_str().unwrap()])
        .args(["--key", wrong.key.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not the private key"),
        "{}",
        show(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

const PPK_HEX: &str = "0x6a2f0c3e5b7d9e1f2a4c6e8091b3d5f70a2c4e6f8193b5d7f9a1c3e5072b4d6f";

fn ppk_responder(conn_extra: &str, with_ppk: bool) -> Option<Responder> {
    Responder::start(ResponderConfig {
        ike_proposals: "aes128-sha256-modp2048".into(),
        conn_extra: conn_extra.into(),
        secrets_extra: if with_ppk {
            format!("  ppk-test {{\n    secret = {PPK_HEX}\n    id = ppk-test\n  }}\n")
        } else {
            String::new()
        },
        ..ResponderConfig::default()
    })
}

/// RFC 8784 against strongSwan: the PPK used when both have it (optional and mandatory), the
/// NO_PPK_AUTH fallback for a PPK_ID the responder does not know, and a mandatory PPK with a
/// responder that has none.
#[test]
fn ppk_used_fallback_and_mandatory() {
    let file = pcap("aes-cbc-sha256-modp2048");
    let f = file.to_str().unwrap();
    let Some(r) = ppk_responder("", true) else {
        return;
    };
    let base = [&[f, "--ppk-id", "ppk-test"][..], &LAB_TS].concat();
    for mandatory in [false, true] {
        let mut a = base.clone();
        if mandatory {
            a.push("--ppk-mandatory");
        }
        let (out, sas) = replay(
            &r,
            &a,
            &[("IETFWG_PSK", "ietfwg-test-psk"), ("IETFWG_PPK", PPK_HEX)],
        );
        assert_eq!(out.status.code(), Some(0), "{}\n{}", show(&out), r.log());
        let auth = &sas[0]["auth"];
        let ppk = &auth["ppk"];
        assert_eq!(ppk["responder_use_ppk"], true, "{auth}");
        assert_eq!(ppk["sent"], true, "{auth}");
        assert_eq!(ppk["no_ppk_auth_sent"], !mandatory, "{auth}");
        assert_eq!(ppk["responder_ppk_identity"], true, "{auth}");
        assert_eq!(ppk["used"], true, "{auth}");
        // the responder's AUTH verified with SK_pr' = prf+(PPK, SK_pr)
        assert_eq!(auth["responder_auth_ok"], true, "{auth}");
        let sent = &sas[0]["exchanges"];
        assert!(sent[0]["notifies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "USE_PPK"));
        let notes = sas[0]["notes"].to_string();
        assert!(notes.contains("N(USE_PPK) added"), "{notes}");
    }
    let out = r
        .command(env!("CARGO_BIN_EXE_ietfwg"))
        .env("IETFWG_PSK", "ietfwg-test-psk")
        .env("IETFWG_PPK", PPK_HEX)
        .args(["ikev2", "replay"])
        .args(&base)
        .args(["--to", "127.0.0.1", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(
        text.contains(
            "PPK         optional PPK_ID \"ppk-test\": the responder answered PPK_IDENTITY"
        ),
        "{text}"
    );
    // A PPK_ID the responder has no PPK for: optional → NO_PPK_AUTH, the IKE SA without PPK.
    let a = [&[f, "--ppk-id", "unknown-id"][..], &LAB_TS].concat();
    let (out, sas) = replay(
        &r,
        &a,
        &[("IETFWG_PSK", "ietfwg-test-psk"), ("IETFWG_PPK", PPK_HEX)],
    );
    assert_eq!(out.status.code(), Some(0), "{}\n{}", show(&out), r.log());
    let ppk = &sas[0]["auth"]["ppk"];
    assert_eq!(ppk["used"], false, "{ppk}");
    assert_eq!(ppk["responder_ppk_identity"], false, "{ppk}");
    assert!(
        ppk["answer"].as_str().unwrap().contains("NO_PPK_AUTH"),
        "{ppk}"
    );
    assert_eq!(sas[0]["auth"]["ike_sa"], true);
    // ... and mandatory: the responder cannot use the PPK, we refuse the SA (exit 1).
    let mut a2 = a.clone();
    a2.push("--ppk-mandatory");
    let (out, sas) = replay(
        &r,
        &a2,
        &[("IETFWG_PSK", "ietfwg-test-psk"), ("IETFWG_PPK", PPK_HEX)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(sas[0]["auth"]["ike_sa"], false, "{}", sas[0]);
    drop(r);

    // A responder with no PPK at all does not answer USE_PPK: optional goes on without,
    // mandatory stops before IKE_AUTH.
    let Some(r) = ppk_responder("", false) else {
        return;
    };
    let (out, sas) = replay(
        &r,
        &base,
        &[("IETFWG_PSK", "ietfwg-test-psk"), ("IETFWG_PPK", PPK_HEX)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(sas[0]["auth"]["ppk"]["responder_use_ppk"], false);
    assert_eq!(sas[0]["auth"]["ppk"]["sent"], false);
    let mut a = base.clone();
    a.push("--ppk-mandatory");
    let (out, sas) = replay(
        &r,
        &a,
        &[("IETFWG_PSK", "ietfwg-test-psk"), ("IETFWG_PPK", PPK_HEX)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        sas[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("USE_PPK"),
        "{}",
        sas[0]
    );
}

/// ECDSA P-521 (method 14 with SHA2-512, and the classic method 11) and Ed448 (RFC 8420)
/// certificates made by openssl: strongSwan (its openssl plugin) accepts our AUTH and we verify
/// its own P-521 / Ed448 signature and path; tshark decrypts each capture with the line
/// `--keylog` wrote.
#[test]
fn p521_and_ed448_certificates_complete_ike_auth() {
    if common::tshark().is_none() {
        return;
    }
    let dir = tmpdir("p521-ed448");
    let Some(ca) = Ca::new(&dir) else {
        return;
    };
    let file = pcap("aes-cbc-sha256-modp2048");
    for (t, key, sig14, classic) in [
        (
            KeyType::EcdsaP521,
            "ecdsa_p521",
            "ECDSA with SHA2-512",
            Some("ECDSA with SHA2-512 on P-521"),
        ),
        (KeyType::Ed448, "ed448", "Ed448", None),
    ] {
        let resp = ca.leaf("responder.test.local", t);
        let init = ca.leaf("initiator.test.local", t);
        let Some(r) = cert_responder(&ca, &resp, "") else {
            return;
        };
        let mut args: Vec<String> = vec![file.display().to_string()];
        args.extend(cert_args(&init, &ca, &ca.cert()));
        args.extend(LAB_TS.iter().map(|s| s.to_string()));
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (out, sas) = replay(&r, &a, &[]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{t:?}: {}\n{}",
            show(&out),
            r.log()
        );
        let auth = &sas[0]["auth"];
        assert_eq!(auth["ike_sa"], true, "{}", sas[0]);
        let local = &auth["local_auth"];
        assert_eq!(local["method"], "Digital Signature (14)", "{auth}");
        assert_eq!(local["algorithm"], sig14, "{auth}");
        assert_eq!(local["key"], key, "{auth}");
        let peer = &auth["peer_auth"];
        assert_eq!(peer["signature_ok"], true, "{auth}");
        assert_eq!(peer["chain_ok"], true, "{auth}");
        assert_eq!(peer["algorithm"], sig14, "{auth}");
        assert_eq!(peer["certificates"][0]["key"], key, "{auth}");
        assert_eq!(peer["id_check"]["status"], "match", "{auth}");
        // charon checked our signature with our certificate's key
        let log = r.log();
        assert!(
            log.contains("authentication of 'O=ietfwg test, CN=initiator.test.local' with"),
            "{log}"
        );
        let mut a2 = a.clone();
        a2.extend(["--auth-method", "classic"]);
        let (out, sas) = replay(&r, &a2, &[]);
        match classic {
            Some(alg) => {
                assert_eq!(out.status.code(), Some(0), "{t:?} classic: {}", show(&out));
                let auth = &sas[0]["auth"];
                assert_eq!(
                    auth["local_auth"]["method"], "ECDSA with SHA-512 on the P-521 curve (11)",
                    "{auth}"
                );
                assert_eq!(auth["local_auth"]["algorithm"], alg, "{auth}");
                assert_eq!(auth["peer_auth"]["signature_ok"], true, "{auth}");
            }
            None => {
                assert_eq!(out.status.code(), Some(1), "{}", show(&out));
                let msg = sas[0]["error"]["message"].as_str().unwrap();
                assert!(msg.contains("Ed448") && msg.contains("RFC 8420"), "{msg}");
            }
        }
        // the text report (as the README shows it)
        let out = r
            .command(env!("CARGO_BIN_EXE_ietfwg"))
            .env_remove("IETFWG_PSK")
            .args(["ikev2", "replay"])
            .args(&a)
            .args(["--to", "127.0.0.1", "--color", "never"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        println!("{text}");
        assert!(
            text.contains(&format!("our AUTH    Digital Signature (14) {sig14}")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "responder's AUTH verified: Digital Signature (14) {sig14}"
            )),
            "{text}"
        );
        assert!(
            text.contains(
                "identity    IDr responder.test.local is the certificate's subjectAltName dNSName"
            ),
            "{text}"
        );
        let sub = dir.join(key);
        std::fs::create_dir_all(&sub).unwrap();
        keylog_decrypts_with_tshark(&r, &a, &sub);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The responder's certificate names `other.test.local` (subjectAltName) while it is
/// configured as `responder.test.local`: its signature and path verify, but IDr is not one
/// its certificate names (RFC 7296 §3.5, RFC 4945 §3.1), so the IKE SA is not counted as
/// authenticated (exit 1) and the report says which check failed.
#[test]
fn idr_not_named_by_the_certificate_fails_the_check() {
    let dir = tmpdir("idr-mismatch");
    let Some(ca) = Ca::new(&dir) else {
        return;
    };
    let resp = ca.leaf_with_san(
        "responder.test.local",
        KeyType::EcdsaP256,
        "DNS:other.test.local",
    );
    let init = ca.leaf("initiator.test.local", KeyType::EcdsaP256);
    let Some(r) = cert_responder(&ca, &resp, "") else {
        return;
    };
    let file = pcap("aes-cbc-sha256-modp2048");
    let mut args: Vec<String> = vec![file.display().to_string()];
    args.extend(cert_args(&init, &ca, &ca.cert()));
    args.extend(LAB_TS.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, sas) = replay(&r, &a, &[]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", show(&out), r.log());
    let auth = &sas[0]["auth"];
    // charon sends IDr responder.test.local with the certificate it was given
    assert_eq!(auth["id_r"], "responder.test.local", "{auth}");
    let peer = &auth["peer_auth"];
    assert_eq!(peer["signature_ok"], true, "{peer}");
    assert_eq!(peer["chain_ok"], true, "{peer}");
    let check = &peer["id_check"];
    assert_eq!(check["status"], "mismatch", "{check}");
    assert_eq!(
        check["detail"],
        "IDr responder.test.local is not the certificate's subjectAltName dNSName (other.test.local)"
    );
    assert!(
        check["rfc"]
            .as_str()
            .unwrap()
            .starts_with("RFC 7296 §3.5, RFC 4945 §3.1.2"),
        "{check}"
    );
    assert_eq!(auth["ike_sa"], false, "{auth}");
    assert_eq!(auth["responder_auth_ok"], false, "{auth}");
    let err = &sas[0]["error"];
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("the responder's identity check failed"),
        "{err}"
    );
    assert_eq!(err["rfc"], "RFC 7296 §3.5", "{err}");
    // the text report names the failed check
    let out = r
        .command(env!("CARGO_BIN_EXE_ietfwg"))
        .env_remove("IETFWG_PSK")
        .args(["ikev2", "replay"])
        .args(&a)
        .args(["--to", "127.0.0.1", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(
        text.contains("identity    FAILED: IDr responder.test.local is not the certificate's subjectAltName dNSName (other.test.local) (RFC 7296 §3.5, RFC 4945 §3.1.2"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}
