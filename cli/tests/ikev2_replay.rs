//! `ietfwg ikev2 replay` against a real strongSwan responder (charon 5.9) in a network
//! namespace, the binary run inside it: every recorded capture of `pcaps/ikev2/` is replayed
//! to a responder configured like the recorded one; `--psk` completes IKE_AUTH and its
//! `--keylog` lets tshark and `ietfwg ikev2 decode` decrypt a capture of the exchange; the
//! COOKIE and INVALID_KE_PAYLOAD paths; broadcast and multicast targets are refused.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use ietfwg_test_support::strongswan::{Responder, ResponderConfig};
use serde_json::Value;

fn pcap(name: &str) -> PathBuf {
    common::pcaps_dir("ikev2").join(format!("{name}.pcap"))
}

/// The IKE proposals both daemons had when `NAME.pcap` was recorded (pcaps/README.md): the
/// responder of the replay is configured with them, so it must choose as it did then.
fn recorded_proposals(name: &str) -> &'static str {
    match name {
        "aes-cbc-sha256-modp2048" => "aes128-sha256-modp2048",
        "aes-gcm-ecp256" => "aes256gcm16-prfsha384-ecp256",
        "aes-ctr-x25519" => "aes256ctr-sha256-x25519",
        "aes-ccm-x25519" => "aes128ccm16-prfsha256-x25519",
        "3des-sha1-modp2048" => "3des-sha1-modp2048",
        "chacha20poly1305-x25519" => "chacha20poly1305-prfsha256-x25519",
        "natt-rekey-delete" => "aes256gcm16-prfsha256-x25519",
        "fragmentation" => "aes256-sha256-x25519",
        "wrong-psk" => "aes128-sha256-ecp256",
        // the recorded responder's own proposal: no match with the initiator's
        "no-proposal" => "aes256gcm16-prfsha384-ecp384",
        // the recorded responder: modp2048 only, while the initiator's KE is ecp256
        "invalid-ke" => "aes128-sha256-modp2048",
        "cookie" => "aes128-sha256-x25519",
        "child-sa-kernel-refused" => "aes128gcm16-prfsha256-x25519",
        // pcaps/record-esp
        "esp-aes-gcm" => "aes256gcm16-prfsha256-x25519",
        "esp-aes-cbc-sha256" => "aes128-sha256-modp2048",
        "esp-chacha20poly1305" => "chacha20poly1305-prfsha256-x25519",
        "esp-aes-ccm8" | "esp-aes-ccm12" | "esp-aes-ccm16" => "aes256gcm16-prfsha256-x25519",
        "esp-aes-ctr-sha256" | "esp-3des-sha1" => "aes128-sha256-x25519",
        // ietfwg's own offer (aes-cbc-sha256-modp2048's) answered by libreswan 4.10
        // (pcaps/record-ikev2-libreswan): pluto chose aes128-sha2_256;modp2048
        "libreswan-psk"
        | "libreswan-cert-rsa"
        | "libreswan-cert-ecdsa"
        | "libreswan-cert-p521"
        | "libreswan-ppk" => "aes128-sha256-modp2048",
        other => panic!("pcaps/ikev2/{other}.pcap is new: add its proposals to this table"),
    }
}

fn responder(ike: &str) -> Option<Responder> {
    responder_with(ike, ResponderConfig::default())
}

/// A responder with the IKE proposals `ike` and the rest of `config`.
fn responder_with(ike: &str, config: ResponderConfig) -> Option<Responder> {
    Responder::start(ResponderConfig {
        ike_proposals: ike.into(),
        ..config
    })
}

/// Traffic selectors for the lab's IKE_AUTH: the recorded CHILD_SA's /24 (a /32 covering the
/// IKE endpoints themselves conflicts with the IKE traffic in the responder's kernel-libipsec
/// routes).
const LAB_TS: [&str; 4] = ["--ts", "127.0.0.0/24", "--remote-ts", "127.0.0.0/24"];

/// Runs `ietfwg ikev2 replay ARGS…` inside the responder's namespace, `IETFWG_PSK` set to `psk`
/// (or unset).
fn run_replay(r: &Responder, args: &[&str], psk: Option<&str>) -> Output {
    let mut cmd = r.command(env!("CARGO_BIN_EXE_ietfwg"));
    match psk {
        Some(k) => cmd.env("IETFWG_PSK", k),
        None => cmd.env_remove("IETFWG_PSK"),
    };
    cmd.args(["ikev2", "replay"])
        .args(args)
        .output()
        .expect("run ietfwg")
}

/// Runs `ietfwg ikev2 replay ARGS… --json` inside the responder's namespace.
fn replay(r: &Responder, args: &[&str]) -> (Output, Vec<Value>) {
    replay_env(r, args, None)
}

/// [`replay`] with `IETFWG_PSK` set to `psk` (or unset).
fn replay_env(r: &Responder, args: &[&str], psk: Option<&str>) -> (Output, Vec<Value>) {
    let args = [args, &["--to", "127.0.0.1", "--timeout", "5", "--json"]].concat();
    let out = run_replay(r, &args, psk);
    // Every line matches the schema; one line with `error` per SA that did not replay (exit 1).
    let errors = common::schema_check("ikev2-replay", &out.stdout);
    assert_eq!(
        errors > 0,
        out.status.code() == Some(1),
        "lines with error: {errors}; {}",
        show(&out)
    );
    let lines = String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (out, lines)
}

fn show(out: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn diff_fields(sa: &Value) -> Vec<String> {
    sa["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn refuses_broadcast_multicast_and_unspecified_targets() {
    let file = pcap("aes-cbc-sha256-modp2048");
    for to in [
        "255.255.255.255",
        "224.0.0.1",
        "239.1.2.3:500",
        "ff02::1",
        "[ff0e::1]:500",
        "0.0.0.0",
        "::",
    ] {
        let out = common::ietfwg(&["ikev2", "replay", file.to_str().unwrap(), "--to", to]);
        assert_eq!(out.status.code(), Some(2), "{to}: {}", show(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("refusing to send"), "{to}: {err}");
        assert!(out.stdout.is_empty(), "{to}: {}", show(&out));
    }
}

#[test]
fn replays_every_recorded_capture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/ikev2");
    let files = common::captures(&dir);
    assert!(files.len() >= 13, "{files:?}");
    for file in files {
        let name = file.file_stem().unwrap().to_str().unwrap().to_owned();
        let Some(r) = responder(recorded_proposals(&name)) else {
            return;
        };
        let (out, sas) = replay(&r, &[file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", show(&out));
        // cookie.pcap has two IKE SAs; natt-rekey-delete's second one came from a
        // CREATE_CHILD_SA rekey, not from IKE_SA_INIT.
        let want = if name == "cookie" { 2 } else { 1 };
        assert_eq!(sas.len(), want, "{name}: {}", show(&out));
        for sa in &sas {
            let now = &sa["now"];
            assert_eq!(now["answered"], true, "{name}: {sa}");
            // The same offer to a responder with the recorded proposals: the same choice (or
            // the same refusal).
            let diffs = diff_fields(sa);
            for f in ["answered", "chosen proposal", "KE group", "error"] {
                assert!(!diffs.iter().any(|d| d == f), "{name}: {f} differs: {sa}");
            }
            if name.starts_with("libreswan-") {
                // pluto lists the chosen transforms ENCR, PRF, INTEG, KE; charon ENCR, INTEG,
                // PRF, KE: the same choice in another order
                assert_eq!(
                    now["chosen"]["text"], sa["recorded"]["chosen"]["text"],
                    "{name}"
                );
            } else {
                assert_eq!(now["chosen"], sa["recorded"]["chosen"], "{name}");
            }
            assert!(sa["new_spi_i"].as_str().unwrap() != sa["spi_i"].as_str().unwrap());
            let notes = strs(&sa["notes"]).join(" ");
            assert!(
                notes.contains("cannot be replayed as bytes"),
                "{name}: {notes}"
            );
        }
        match name.as_str() {
            "no-proposal" => {
                assert_eq!(sas[0]["now"]["error"]["field"], "NO_PROPOSAL_CHOSEN");
                assert_eq!(sas[0]["now"]["error"]["layer"], "notify");
                assert!(sas[0]["now"]["chosen"].is_null());
            }
            "invalid-ke" => {
                // Offered KE ecp256, the responder wants modp2048 (which the offer includes).
                let ke = strs(&sas[0]["now"]["invalid_ke"]);
                assert_eq!(ke, ["2048-bit MODP Group (14)"], "{}", sas[0]);
                assert_eq!(sas[0]["now"]["ke_group"]["id"], 14);
            }
            "aes-gcm-ecp256" => {
                let c = &sas[0]["now"]["chosen"];
                assert_eq!(strs(&c["encr"]), ["ENCR_AES_GCM_16_256"]);
                assert_eq!(strs(&c["prf"]), ["PRF_HMAC_SHA2_384"]);
            }
            _ => {}
        }
        // The responder parsed the replayed request and chose from its offer.
        let log = r.log();
        assert!(
            log.contains("parsed IKE_SA_INIT request 0"),
            "{name}: {log}"
        );
    }
}

#[test]
fn psk_completes_ike_auth_and_the_keylog_decrypts_it() {
    let Some(r) = responder("aes128-sha256-modp2048") else {
        return;
    };
    let Some(tshark) = common::tshark() else {
        return;
    };
    let tmp = std::env::temp_dir().join(format!("ietfwg-replay-psk-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let keylog = tmp.join("replay.keys");
    let _ = std::fs::remove_file(&keylog);
    let cap = r.capture(&tmp.join("replay.pcap"));
    let file = pcap("aes-cbc-sha256-modp2048");
    let args = [
        file.to_str().unwrap(),
        "--psk",
        "ietfwg-test-psk",
        "--keylog",
        keylog.to_str().unwrap(),
    ];
    let (out, sas) = replay(&r, &[&args[..], &LAB_TS].concat());
    let pcap_path = cap.stop();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let sa = &sas[0];
    let auth = &sa["auth"];
    assert_eq!(auth["ike_sa"], true, "{sa}");
    assert_eq!(auth["responder_auth_ok"], true, "{sa}");
    assert_eq!(auth["id_r"], "responder@test.local", "{sa}");
    assert!(auth["error"].is_null(), "{sa}");
    let child = &auth["child_sa"];
    assert_eq!(child["protocol"], "ESP", "{sa}");
    assert_eq!(strs(&child["encr"]), ["ENCR_AES_GCM_16_128"], "{sa}");
    assert_eq!(strs(&auth["ts_i"]), ["127.0.0.0/24"], "{sa}");
    assert_eq!(strs(&auth["ts_r"]), ["127.0.0.0/24"], "{sa}");
    assert!(sa["delete"].as_str().unwrap().contains("deleted"), "{sa}");
    // The responder logged the established IKE SA and the CHILD_SA, then the deletion.
    let log = r.log();
    assert!(log.contains("established between"), "{log}");
    assert!(log.contains("CHILD_SA child{"), "{log}");
    assert!(log.contains("deleting IKE_SA"), "{log}");

    // The key table: one line for the new SA, readable by keys::parse_table (via decode) and
    // by tshark.
    let table = std::fs::read_to_string(&keylog).unwrap();
    let lines: Vec<&str> = table.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len(), 1, "{table}");
    assert!(
        lines[0].starts_with(sa["new_spi_i"].as_str().unwrap()),
        "{table}"
    );

    // tshark decrypts IKE_AUTH: IDi (ID_IPV4_ADDR), AUTH (PSK), SA, TSi, TSr.
    let t = std::process::Command::new(tshark)
        .arg("-r")
        .arg(&pcap_path)
        .args(["-o", &format!("uat:ikev2_decryption_table:{}", lines[0])])
        .args(["-Y", "isakmp.exchangetype == 35", "-T", "fields"])
        .args(["-e", "isakmp.flags", "-e", "isakmp.typepayload"])
        .args(["-e", "isakmp.id.type", "-e", "isakmp.auth.method"])
        .args(["-e", "isakmp.ts.start_ipv4", "-e", "_ws.expert"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&t.stdout).into_owned();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "tshark: {text}");
    let request = &rows[0];
    let types: Vec<&str> = request[1].split(',').collect();
    for p in ["46", "35", "39", "33", "44", "45"] {
        assert!(types.contains(&p), "payload {p} not decrypted: {text}");
    }
    assert_eq!(request[2], "1", "IDi is ID_IPV4_ADDR: {text}");
    assert_eq!(request[3], "2", "AUTH is PSK: {text}");
    assert!(request[4].contains("127.0.0.0"), "{text}");
    assert!(rows.iter().all(|r| r[5].is_empty()), "expert info: {text}");
    let resp_types: Vec<&str> = rows[1][1].split(',').collect();
    for p in ["36", "39", "33", "44", "45"] {
        assert!(resp_types.contains(&p), "response payload {p}: {text}");
    }

    // ietfwg ikev2 decode --keys decrypts the same messages, ICV verified.
    let d = common::ietfwg(&[
        "ikev2",
        "decode",
        "--keys",
        keylog.to_str().unwrap(),
        pcap_path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(d.status.code(), Some(0), "{}", show(&d));
    let mut decrypted = Vec::new();
    for l in String::from_utf8_lossy(&d.stdout).lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        for p in v["ikev2"]["payloads"].as_array().into_iter().flatten() {
            let dec = &p["decrypted"];
            if dec.is_null() {
                continue;
            }
            assert_eq!(dec["icv_ok"], true, "{l}");
            let names: Vec<String> = dec["payloads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["payload_type"]["id"].to_string())
                .collect();
            decrypted.push((v["ikev2"]["header"]["exchange"]["name"].clone(), names));
        }
    }
    // IKE_AUTH request and response, INFORMATIONAL Delete and its answer.
    assert_eq!(decrypted.len(), 4, "{decrypted:?}");
    assert_eq!(decrypted[0].0, "IKE_AUTH");
    for p in ["35", "39", "33", "44", "45"] {
        assert!(decrypted[0].1.iter().any(|x| x == p), "{decrypted:?}");
    }
    assert_eq!(decrypted[2].0, "INFORMATIONAL");
    assert_eq!(decrypted[2].1, ["42"], "{decrypted:?}");

    // The default selectors (this host /32 to the responder /32) are refused here: exit 1,
    // TS_UNACCEPTABLE explained, and the IKE SA that did get established is deleted.
    let (out, sas) = replay(&r, &[file.to_str().unwrap(), "--psk", "ietfwg-test-psk"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let auth = &sas[0]["auth"];
    assert_eq!(auth["ike_sa"], true);
    assert_eq!(auth["error"]["field"], "TS_UNACCEPTABLE", "{}", sas[0]);
    assert!(sas[0]["delete"].as_str().unwrap().contains("deleted"));

    // With the wrong key the responder refuses: exit 1, AUTHENTICATION_FAILED explained.
    let (out, sas) = replay(&r, &[file.to_str().unwrap(), "--psk", "not-the-psk"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let auth = &sas[0]["auth"];
    assert_eq!(auth["ike_sa"], false);
    assert_eq!(
        auth["error"]["field"], "AUTHENTICATION_FAILED",
        "{}",
        sas[0]
    );
    assert!(auth["error"]["message"]
        .as_str()
        .is_some_and(|s| s.contains("check: ")));

    // --verbatim: the recorded bytes, recorded SPI; the same choice.
    let (out, sas) = replay(&r, &[file.to_str().unwrap(), "--verbatim"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(sas[0]["new_spi_i"], sas[0]["spi_i"]);
    assert_eq!(sas[0]["now"]["chosen"], sas[0]["recorded"]["chosen"]);
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn cookie_is_sent_back_first_when_asked() {
    // cookie_threshold 1: while one IKE SA is half open, the next IKE_SA_INIT gets N(COOKIE).
    let Some(r) = responder_with(
        "aes128-sha256-x25519",
        ResponderConfig {
            cookie_threshold: Some(1),
            ..ResponderConfig::default()
        },
    ) else {
        return;
    };
    // cookie.pcap holds two IKE SAs; the first stays half open at the responder (no IKE_AUTH).
    let (out, sas) = replay(&r, &[pcap("cookie").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(sas.len(), 2);
    assert_eq!(sas[0]["now"]["cookies"], 0, "{}", sas[0]);
    let b = &sas[1];
    assert_eq!(b["now"]["cookies"], 1, "{b}");
    assert_eq!(b["recorded"]["cookies"], 1, "{b}");
    assert!(b["now"]["chosen"].is_object(), "{b}");
    // Sent, COOKIE received, sent again with N(COOKIE) as the first payload, answered.
    let ex = b["exchanges"].as_array().unwrap();
    assert_eq!(ex.len(), 4, "{b}");
    assert_eq!(strs(&ex[1]["notifies"]), ["COOKIE"], "{b}");
    assert_eq!(ex[2]["direction"], "sent");
    assert_eq!(ex[2]["payloads"][0], "N", "{b}");
    assert_eq!(strs(&ex[2]["notifies"])[0], "COOKIE", "{b}");
    assert!(!diff_fields(b).iter().any(|f| f == "COOKIE rounds"), "{b}");
}

#[test]
fn invalid_ke_payload_retry_then_ike_auth() {
    // invalid-ke.pcap offers aes128-sha256-ecp256-modp2048 with a KE for ecp256; this
    // responder takes modp2048 only and answers INVALID_KE_PAYLOAD(14).
    let Some(r) = responder("aes128-sha256-modp2048") else {
        return;
    };
    // The key from the environment (kept out of the process list).
    let file = pcap("invalid-ke");
    let args = [&[file.to_str().unwrap()][..], &LAB_TS].concat();
    let (out, sas) = replay_env(&r, &args, Some("ietfwg-test-psk"));
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let sa = &sas[0];
    assert_eq!(strs(&sa["now"]["invalid_ke"]), ["2048-bit MODP Group (14)"]);
    assert_eq!(sa["recorded"]["invalid_ke"], sa["now"]["invalid_ke"]);
    assert_eq!(sa["now"]["ke_group"]["id"], 14);
    let ex = sa["exchanges"].as_array().unwrap();
    assert_eq!(strs(&ex[1]["notifies"]), ["INVALID_KE_PAYLOAD"], "{sa}");
    // AUTH signs the retried request (KE 14), and the responder accepts it.
    assert_eq!(sa["auth"]["ike_sa"], true, "{sa}");
    assert_eq!(sa["auth"]["responder_auth_ok"], true, "{sa}");
}

#[test]
fn text_output_side_by_side_and_unanswered() {
    let Some(r) = responder("aes256gcm16-prfsha384-ecp384") else {
        return;
    };
    // The recorded SA chose aes128-sha256-modp2048; this responder refuses it.
    let file = pcap("aes-cbc-sha256-modp2048");
    let file = file.to_str().unwrap();
    let out = run_replay(&r, &[file, "--to", "127.0.0.1", "--color", "never"], None);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let chosen = text
        .lines()
        .find(|l| l.contains("chosen proposal"))
        .unwrap();
    assert!(chosen.starts_with('≠'), "{text}");
    assert!(chosen.contains("ENCR_AES_CBC_128"), "{text}");
    let error = text.lines().find(|l| l.contains(" error ")).unwrap();
    assert!(error.contains("NO_PROPOSAL_CHOSEN"), "{text}");
    assert!(text.contains("cannot be replayed as bytes"), "{text}");
    // Nobody on port 600: the ICMP port unreachable ends the SA's replay, exit 1.
    let out = run_replay(
        &r,
        &[file, "--to", "127.0.0.1:600", "--timeout", "1", "--json"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["now"]["answered"], false, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing listens"),
        "{v}"
    );

    // IPv6: the same request to ::1, NAT detection hashes computed over the IPv6 addresses.
    let gcm = pcap("aes-gcm-ecp256");
    let out = run_replay(
        &r,
        &[
            gcm.to_str().unwrap(),
            "--to",
            "[::1]:500",
            "--timeout",
            "5",
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(common::schema_check("ikev2-replay", &out.stdout), 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["target"], "[::1]:500", "{v}");
    assert_eq!(v["now"]["answered"], true, "{v}");
    // this responder (ecp384 only) refuses the recorded ecp256 offer over IPv6 too
    assert_eq!(v["now"]["error"]["field"], "NO_PROPOSAL_CHOSEN", "{v}");

    // --sa picks one IKE SA of the capture; an SPI that is not there is a usage error.
    let (out, sas) = replay(
        &r,
        &[pcap("cookie").to_str().unwrap(), "--sa", "c27c26b7fc14f9e6"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(sas.len(), 1);
    assert_eq!(sas[0]["spi_i"], "c27c26b7fc14f9e6");
    let (out, _) = replay(&r, &[pcap("cookie").to_str().unwrap(), "--sa", "0123"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no IKE SA with initiator SPI"));
}

#[test]
fn fragmented_ike_auth_response_is_reassembled() {
    // fragment_size 200: the responder's IKE_AUTH response (IDr, AUTH, SA, TSi, TSr) does not
    // fit and goes as RFC 7383 fragments, since the replayed request offers
    // IKEV2_FRAGMENTATION_SUPPORTED as recorded.
    let Some(r) = responder_with(
        "aes256-sha256-x25519",
        ResponderConfig {
            charon_extra: "  fragment_size = 200".into(),
            ..ResponderConfig::default()
        },
    ) else {
        return;
    };
    let file = pcap("fragmentation");
    let args = [file.to_str().unwrap(), "--psk", "ietfwg-test-psk"];
    let (out, sas) = replay(&r, &[&args[..], &LAB_TS].concat());
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let sa = &sas[0];
    let notes = strs(&sa["notes"]).join(" ");
    assert!(notes.contains("fragments (RFC 7383)"), "{sa}");
    assert_eq!(sa["auth"]["ike_sa"], true, "{sa}");
    assert_eq!(sa["auth"]["responder_auth_ok"], true, "{sa}");
    assert!(sa["auth"]["child_sa"].is_object(), "{sa}");
}
