//! `ietfwg ikev2 summary` and `audit` on the project's strongSwan recordings (pcaps/ikev2) and on
//! third-party captures: each failure is named with its cause.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::PathBuf;

use common::*;

fn lab(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../pcaps/ikev2")
        .join(name)
        .to_str()
        .expect("utf-8")
        .to_string()
}

fn summary(args: &[&str]) -> (Option<i32>, String, Vec<serde_json::Value>) {
    let mut text_args = vec!["ikev2", "summary"];
    text_args.extend_from_slice(args);
    let text = ietfwg(&text_args);
    let mut json_args = text_args.clone();
    json_args.push("--json");
    let json = ietfwg(&json_args);
    assert_eq!(text.status.code(), json.status.code(), "{args:?}");
    (
        text.status.code(),
        String::from_utf8_lossy(&text.stdout).into_owned(),
        ndjson(&json),
    )
}

fn codes(sa: &serde_json::Value) -> Vec<String> {
    sa["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn successful_exchanges_are_established() {
    for name in [
        "aes-cbc-sha256-modp2048",
        "aes-gcm-ecp256",
        "aes-ctr-x25519",
        "aes-ccm-x25519",
        "3des-sha1-modp2048",
        "chacha20poly1305-x25519",
    ] {
        let keys = lab(&format!("{name}.keys"));
        let (code, text, sas) = summary(&[&lab(&format!("{name}.pcap")), "--keys", &keys]);
        assert_eq!(code, Some(0), "{name}: {text}");
        assert_eq!(sas.len(), 1, "{name}");
        assert_eq!(sas[0]["outcome"], "established", "{name}");
        assert_eq!(
            sas[0]["identities"]["initiator"], "initiator@test.local",
            "{name}"
        );
        assert!(text.contains("ESTABLISHED"), "{name}: {text}");
    }
}

#[test]
fn no_common_proposal_is_named_with_the_offers() {
    let (code, text, sas) = summary(&[&lab("no-proposal.pcap")]);
    assert_eq!(code, Some(1));
    assert_eq!(sas[0]["outcome"], "failed");
    assert!(codes(&sas[0]).contains(&"NO_PROPOSAL_CHOSEN".to_string()));
    assert!(
        text.contains("no proposal in common") && text.contains("ENCR_AES_CBC_128"),
        "{text}"
    );
}

#[test]
fn invalid_ke_names_the_group_and_the_retry() {
    let (code, text, sas) = summary(&[&lab("invalid-ke.pcap")]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(sas.len(), 1, "the retry continues the same IKE SA");
    assert!(
        codes(&sas[0]).contains(&"INVALID_KE_PAYLOAD".to_string()),
        "{text}"
    );
    assert!(
        text.contains("2048-bit MODP Group") || text.contains("group 14"),
        "{text}"
    );
    assert_eq!(sas[0]["outcome"], "established");
}

#[test]
fn wrong_psk_is_authentication_failed_seen_with_keys_and_inferred_without() {
    let (code, text, sas) = summary(&[&lab("wrong-psk.pcap"), "--keys", &lab("wrong-psk.keys")]);
    assert_eq!(code, Some(1));
    assert!(
        codes(&sas[0]).contains(&"AUTHENTICATION_FAILED".to_string()),
        "{text}"
    );
    let (code, text, sas) = summary(&[&lab("wrong-psk.pcap")]);
    assert_eq!(code, Some(1));
    assert_eq!(sas[0]["outcome"], "failed");
    assert!(
        text.contains("--keys"),
        "without keys the summary says how to confirm: {text}"
    );
}

#[test]
fn child_sa_refused_after_a_matching_proposal() {
    let (code, text, _) = summary(&[
        &lab("child-sa-kernel-refused.pcap"),
        "--keys",
        &lab("child-sa-kernel-refused.keys"),
    ]);
    assert_eq!(code, Some(1), "an error finding makes the status 1");
    assert!(
        text.contains("the IKE SA was established but the CHILD_SA could not be created"),
        "{text}"
    );
}

#[test]
fn cookie_fragmentation_and_rekey() {
    let (_, text, sas) = summary(&[&lab("cookie.pcap")]);
    assert_eq!(sas.len(), 2);
    assert!(
        sas.iter().any(|s| codes(s).contains(&"COOKIE".to_string())),
        "{text}"
    );
    let (_, _, sas) = summary(&[
        &lab("fragmentation.pcap"),
        "--keys",
        &lab("fragmentation.keys"),
    ]);
    let skf = sas[0]["fragmentation"]["skf"].as_array().expect("skf list");
    let totals: Vec<u64> = skf
        .iter()
        .map(|m| m["total"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(
        totals,
        vec![3, 2],
        "IKE_AUTH request in 3 fragments, response in 2"
    );
    let (_, text, sas) = summary(&[
        &lab("natt-rekey-delete.pcap"),
        "--keys",
        &lab("natt-rekey-delete.keys"),
    ]);
    assert!(sas.iter().any(|s| !s["rekeyed_to"].is_null()), "{text}");
    assert!(text.contains("floated to 4500"), "{text}");
}

#[test]
fn an_unanswered_ip_fragmented_ike_auth() {
    let Some(shared) = shared() else { return };
    let f = shared.join("corpus/ikev2/zeek-spicy-ipsec/ipsec_client.pcap");
    let (code, text, sas) = summary(&[f.to_str().expect("path")]);
    assert_eq!(code, Some(1));
    assert!(codes(&sas[0]).contains(&"UNANSWERED".to_string()), "{text}");
    assert!(
        text.contains("3468 bytes") && text.contains("retransmitted 2 time(s)"),
        "{text}"
    );
    assert!(
        text.contains("sent in 3 IP fragments"),
        "the driver reassembled the IP fragments: {text}"
    );
}

#[test]
fn audit_rates_and_fails_only_on_must_not() {
    let out = ietfwg(&["ikev2", "audit", &lab("3des-sha1-modp2048.pcap")]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ENCR_3DES") && text.contains("MAY") && text.contains("MUST-"),
        "{text}"
    );
    let json = ietfwg(&["ikev2", "audit", "--json", &lab("3des-sha1-modp2048.pcap")]);
    let entries = ndjson(&json);
    assert!(
        entries.iter().any(|e| e["role"]["kind"] == "chosen"
            && e["name"] == "ENCR_3DES"
            && e["rating"]["requirement"] == "MAY"),
        "{entries:?}"
    );
    let Some(shared) = shared() else { return };
    // tcpdump's ikev2four offers a MUST NOT algorithm in its first proposal.
    let f = shared.join("corpus/ikev2/tcpdump/ikev2four.pcap");
    let out = ietfwg(&["ikev2", "audit", f.to_str().expect("path")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("MUST NOT"));
}
