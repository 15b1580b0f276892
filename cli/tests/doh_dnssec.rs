//! DNSSEC records through `ietfwg doh query` and `doh batch` against BIND 9.18 serving zones
//! signed at test time (test-support `dns_lab::Bind::start_signed`: NSEC with Ed25519 keys,
//! a delegated child with NSEC3, ECDSA P-256 keys, CDS and CDNSKEY). Every answer and authority
//! record is compared with what kdig gets from the same BIND over UDP, line for line; the JSON
//! lines are checked against their schemas, and each record's typed fields must give back its
//! presentation text.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use ietfwg_test_support::dns_lab::{Bind, NSEC3_ZONE, SIGNED_ZONE};
use ietfwg_test_support::shared::program;
use serde_json::Value;

use common::{assert_exit, doh_batch, doh_query, schema_check, stderr, stdout};

/// The questions asked: every DNSSEC type the zones hold, and an NXDOMAIN in each zone (NSEC
/// and NSEC3 proofs in the authority section).
fn questions() -> Vec<(String, &'static str)> {
    vec![
        (SIGNED_ZONE.to_string(), "DNSKEY"),
        (SIGNED_ZONE.to_string(), "NSEC"),
        (format!("www.{SIGNED_ZONE}"), "RRSIG"),
        (NSEC3_ZONE.to_string(), "DS"),
        (NSEC3_ZONE.to_string(), "DNSKEY"),
        (NSEC3_ZONE.to_string(), "CDS"),
        (NSEC3_ZONE.to_string(), "CDNSKEY"),
        (NSEC3_ZONE.to_string(), "NSEC3PARAM"),
        (format!("nope.{SIGNED_ZONE}"), "A"),
        (format!("nope.{NSEC3_ZONE}"), "A"),
    ]
}

/// A record line with its whitespace made single spaces (kdig pads owner names).
fn norm(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// kdig's answer and authority records, over UDP with the DO bit.
fn kdig(port: u16, name: &str, qtype: &str) -> BTreeSet<String> {
    let kdig = program("kdig").expect("kdig");
    let out = Command::new(kdig)
        .args([
            "@127.0.0.1",
            "-p",
            &port.to_string(),
            "+dnssec",
            "+noall",
            "+answer",
            "+authority",
            name,
            qtype,
        ])
        .output()
        .expect("run kdig");
    assert!(out.status.success(), "kdig: {}", stderr(&out));
    stdout(&out)
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .map(norm)
        .collect()
}

/// The presentation text a record's typed fields give, built here from the JSON alone.
fn text_from_fields(f: &Value) -> String {
    let n = |k: &str| {
        f[k].as_u64()
            .unwrap_or_else(|| panic!("{k} in {f}"))
            .to_string()
    };
    let s = |k: &str| {
        f[k].as_str()
            .unwrap_or_else(|| panic!("{k} in {f}"))
            .to_string()
    };
    let id = |k: &str| {
        f[k]["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} in {f}"))
            .to_string()
    };
    let types = |k: &str| {
        f[k].as_array()
            .unwrap_or_else(|| panic!("{k} in {f}"))
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    match f["kind"].as_str().unwrap() {
        "dnskey" | "cdnskey" => {
            [n("flags"), n("protocol"), id("algorithm"), s("public_key")].join(" ")
        }
        "ds" | "cds" => [
            n("key_tag"),
            id("algorithm"),
            id("digest_type"),
            s("digest"),
        ]
        .join(" "),
        "rrsig" => [
            s("type_covered"),
            id("algorithm"),
            n("labels"),
            n("original_ttl"),
            s("expiration"),
            s("inception"),
            n("key_tag"),
            s("signer_name"),
            s("signature"),
        ]
        .join(" "),
        "nsec" => {
            let mut v = vec![s("next_domain_name")];
            v.extend(types("types"));
            v.join(" ")
        }
        kind @ ("nsec3" | "nsec3param") => {
            let salt = if s("salt").is_empty() {
                "-".into()
            } else {
                s("salt")
            };
            let mut v = vec![id("hash_algorithm"), n("flags"), n("iterations"), salt];
            if kind == "nsec3" {
                v.push(s("next_hashed_owner"));
                v.extend(types("types"));
            }
            v.join(" ")
        }
        other => panic!("unexpected kind {other}"),
    }
}

const DNSSEC_TYPES: [&str; 8] = [
    "DNSKEY",
    "CDNSKEY",
    "RRSIG",
    "DS",
    "CDS",
    "NSEC",
    "NSEC3",
    "NSEC3PARAM",
];

/// Checks a JSON record: DNSSEC ones have fields of their kind that give back `data`; others
/// have none. Returns 1 for a DNSSEC record.
fn check_fields(r: &Value) -> usize {
    let rtype = r["rtype"].as_str().unwrap();
    if !DNSSEC_TYPES.contains(&rtype) {
        assert!(r.get("fields").is_none(), "fields on {r}");
        return 0;
    }
    let f = &r["fields"];
    assert_eq!(f["kind"], rtype.to_ascii_lowercase(), "{r}");
    assert_eq!(text_from_fields(f), r["data"].as_str().unwrap(), "{r}");
    1
}

#[test]
fn dnssec_records_read_as_kdig_shows_them_in_text_json_and_batch() {
    let Some(bind) = Bind::start_signed() else {
        return;
    };
    if program("kdig").is_none() {
        return;
    }
    let (url, ca) = (bind.doh_url(), bind.cacert());
    let mut compared = 0;
    let mut kinds = BTreeSet::new();
    let mut from_query = Vec::new();
    for (name, qtype) in questions() {
        let want = kdig(bind.dns_port(), &name, qtype);
        assert!(!want.is_empty(), "kdig got nothing for {name} {qtype}");
        // Text: every record line equals kdig's.
        // NXDOMAIN is an answer that failed: exit status 1.
        let code = if name.starts_with("nope.") { 1 } else { 0 };
        let out = doh_query(&url, &ca, &name, qtype, &["--do", "--color", "never"]);
        assert_exit(&out, code);
        let got: BTreeSet<String> = stdout(&out)
            .lines()
            .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
            .map(norm)
            .collect();
        assert_eq!(
            got, want,
            "{name} {qtype}: ietfwg (left) and kdig (right) differ"
        );
        compared += got.len();
        // JSON: the schema, and fields that give back the same text.
        let out = doh_query(&url, &ca, &name, qtype, &["--do", "--json"]);
        assert_exit(&out, code);
        assert_eq!(schema_check("doh-query", &out.stdout), 0);
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let mut json_lines = BTreeSet::new();
        for section in ["answers", "authority"] {
            for r in v[section].as_array().unwrap() {
                if check_fields(r) == 1 {
                    kinds.insert(r["fields"]["kind"].as_str().unwrap().to_string());
                }
                json_lines.insert(norm(&format!(
                    "{} {} {} {} {}",
                    r["name"].as_str().unwrap(),
                    r["ttl"],
                    r["class"].as_str().unwrap(),
                    r["rtype"].as_str().unwrap(),
                    r["data"].as_str().unwrap()
                )));
            }
        }
        assert_eq!(json_lines, want, "{name} {qtype}: JSON and kdig differ");
        from_query.push(v["answers"].clone());
    }
    assert!(compared >= 30, "only {compared} records compared");
    let all: BTreeSet<String> = [
        "dnskey",
        "cdnskey",
        "rrsig",
        "ds",
        "cds",
        "nsec",
        "nsec3",
        "nsec3param",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(kinds, all, "not every DNSSEC kind was seen");

    // The keys' tags: the DS and CDS name the child's KSK, and each RRSIG over a DNSKEY RRset
    // names one of its keys.
    let out = doh_query(&url, &ca, NSEC3_ZONE, "DNSKEY", &["--do", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let answers = v["answers"].as_array().unwrap();
    let tag_of = |flags: u64| {
        answers
            .iter()
            .find(|r| r["rtype"] == "DNSKEY" && r["fields"]["flags"] == flags)
            .map(|r| r["fields"]["key_tag"].as_u64().unwrap())
            .unwrap_or_else(|| panic!("no DNSKEY with flags {flags}"))
    };
    let (ksk, zsk) = (tag_of(257), tag_of(256));
    let sig_tags: BTreeSet<u64> = answers
        .iter()
        .filter(|r| r["rtype"] == "RRSIG")
        .map(|r| r["fields"]["key_tag"].as_u64().unwrap())
        .collect();
    assert!(sig_tags.contains(&ksk), "{sig_tags:?} {ksk}");
    assert!(sig_tags.is_subset(&[ksk, zsk].into()), "{sig_tags:?}");
    let ds = doh_query(&url, &ca, NSEC3_ZONE, "DS", &["--json"]);
    let ds: Value = serde_json::from_slice(&ds.stdout).expect("JSON");
    assert_eq!(ds["answers"][0]["fields"]["key_tag"], ksk);
    assert_eq!(ds["answers"][0]["fields"]["digest_type"]["name"], "SHA-256");
    assert_eq!(
        ds["answers"][0]["fields"]["algorithm"]["name"],
        "ECDSAP256SHA256"
    );

    // Batch: the same answers, fields and all, through its own renderer.
    let input: String = questions()
        .iter()
        .map(|(n, t)| format!("{n} {t}\n"))
        .collect();
    let out = doh_batch(&url, &ca, &input, &["--do"]);
    assert_eq!(schema_check("doh-batch", &out.stdout), 0);
    let lines = common::ndjson(&out);
    let batch: Vec<&Value> = lines
        .iter()
        .filter(|l| l["record"] == "batch_line")
        .collect();
    assert_eq!(batch.len(), from_query.len());
    for (line, answers) in batch.iter().zip(&from_query) {
        let mut a: Vec<String> = line["answers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                check_fields(r);
                r.to_string()
            })
            .collect();
        let mut b: Vec<String> = answers
            .as_array()
            .unwrap()
            .iter()
            .map(Value::to_string)
            .collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "batch and query differ for line {}", line["line"]);
    }
}
