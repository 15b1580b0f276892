//! `ietfwg doh check URL`: the clause verdicts against `doh serve`, BIND 9.18 and unbound 1.17
//! (the results expected of each written below), and against the in-process recording server
//! made to break RFC 8484 one way at a time: each fault changes its own clause and nothing else.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod serve_lab;

use std::collections::BTreeMap;
use std::path::Path;

use ietfwg_test_support::dns_lab::{self, Bind, Unbound};
use ietfwg_test_support::doh_server::{DohServer, Fault, Responder, ServerConfig};

use common::{ietfwg, stderr, stdout};

/// `doh check URL --cacert CA --json EXTRA…`: the exit code and clause → verdict.
fn check(
    url: &str,
    cacert: &Path,
    extra: &[&str],
) -> (i32, BTreeMap<String, String>, Vec<serde_json::Value>) {
    let ca = cacert.display().to_string();
    let mut args = vec!["doh", "check", url, "--cacert", &ca, "--json"];
    args.extend_from_slice(extra);
    let out = ietfwg(&args);
    // Every line matches the schema; one line with `error` per FAIL, as the closing line counts.
    let errors = common::schema_check("doh-check", &out.stdout);
    let closing = stderr(&out).lines().last().unwrap_or_default().to_owned();
    let fails = closing
        .split(" FAIL")
        .next()
        .and_then(|h| h.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no FAIL count in {closing:?}"));
    assert_eq!(errors, fails, "lines with error vs {closing:?}");
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let verdicts = lines
        .iter()
        .map(|v| {
            (
                v["clause"].as_str().unwrap().to_string(),
                v["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (out.status.code().unwrap_or(-1), verdicts, lines)
}

fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(c, v)| (c.to_string(), v.to_string()))
        .collect()
}

const ALL_PASS: &[(&str, &str)] = &[
    ("tls", "PASS"),
    ("http2", "PASS"),
    ("post", "PASS"),
    ("get", "PASS"),
    ("media_type", "PASS"),
    ("id_zero", "PASS"),
    ("unsupported_media_type", "PASS"),
    ("malformed_dns_param", "PASS"),
    ("explicit_freshness", "PASS"),
    ("freshness_within_ttl", "PASS"),
    ("negative_caching", "PASS"),
    ("large_response", "PASS"),
    ("padding", "PASS"),
    ("head", "PASS"),
    ("options", "PASS"),
];

#[test]
fn doh_serve_passes_every_clause() {
    let s = serve_lab::start(&[]);
    let (code, verdicts, lines) = check(
        &s.url(),
        &s.cacert(),
        &["--name", "www.lab.test", "--big", "big.lab.test"],
    );
    assert_eq!(verdicts, expect(ALL_PASS), "{lines:#?}");
    assert_eq!(code, 0);
    for l in &lines {
        for key in ["clause", "rfc", "verdict", "sent", "received", "note"] {
            assert!(l.get(key).is_some(), "{key} missing from {l}");
        }
    }
    // The text form: one line per clause, the verdict first, the RFC section, sent → received.
    let ca = s.cacert().display().to_string();
    let out = ietfwg(&[
        "doh",
        "check",
        &s.url(),
        "--cacert",
        &ca,
        "--name",
        "www.lab.test",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), ALL_PASS.len(), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("PASS  freshness_within_ttl")
                && l.contains("RFC 8484 §5.1")
                && l.contains("max-age=300; smallest TTL 300 s")),
        "{text}"
    );
    // Without --big, the small answer cannot be judged.
    assert!(
        text.lines().any(|l| l.starts_with("N/A   large_response")),
        "{text}"
    );
    assert!(
        stderr(&out).contains("15 clauses: 14 PASS, 0 FAIL, 0 WARN, 1 N/A"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bind_and_unbound_give_the_results_written_down() {
    let Some(bind) = Bind::start() else { return };
    let Some(unbound) = Unbound::start_with(&bind) else {
        return;
    };
    let name = "www.example.test";
    let big = dns_lab::BIG_TXT;
    // BIND 9.18: HTTP/2 only; max-age = the TTL; no padding in answers; HEAD and OPTIONS are
    // not DoH methods to it.
    let (code, verdicts, lines) = check(
        &bind.doh_url(),
        &bind.cacert(),
        &["--name", name, "--big", big],
    );
    let mut want = expect(ALL_PASS);
    for (c, v) in BIND_DIFFERS {
        want.insert(c.to_string(), v.to_string());
    }
    assert_eq!(verdicts, want, "BIND: {lines:#?}");
    assert_eq!(code, 1);
    // unbound 1.17: no Cache-Control at all.
    let (code, verdicts, lines) = check(
        &unbound.doh_url(),
        &unbound.cacert(),
        &["--name", name, "--big", big],
    );
    let mut want = expect(ALL_PASS);
    for (c, v) in UNBOUND_DIFFERS {
        want.insert(c.to_string(), v.to_string());
    }
    assert_eq!(verdicts, want, "unbound: {lines:#?}");
    assert_eq!(code, 1);
}

/// Where BIND 9.18 differs from [`ALL_PASS`]: a `dns` value that is base64url but not a DNS
/// message gets 200 with a DNS FORMERR (a padded value gets 400); answers to padded queries
/// are not padded; HEAD gets 501 and OPTIONS 400.
const BIND_DIFFERS: &[(&str, &str)] = &[
    ("malformed_dns_param", "WARN"),
    ("padding", "FAIL"),
    ("head", "WARN"),
    ("options", "WARN"),
];
/// Where unbound 1.17 differs from [`ALL_PASS`]: no `Cache-Control` at all (so nothing to
/// compare with the TTLs); a padded `dns` value is decoded anyway, and one that is not a DNS
/// message comes back in a 200 `application/dns-message`; answers are not padded; its HEAD
/// response is an HTTP/2 protocol error and OPTIONS is not answered as a method.
const UNBOUND_DIFFERS: &[(&str, &str)] = &[
    ("explicit_freshness", "FAIL"),
    ("freshness_within_ttl", "N/A"),
    ("negative_caching", "N/A"),
    ("malformed_dns_param", "FAIL"),
    ("padding", "FAIL"),
    ("head", "WARN"),
    ("options", "WARN"),
];

/// The recording server as it is: an RFC 8484 server that never pads, answers every name with
/// one A record (so no negative or large answer), and 405s HEAD and OPTIONS without `Allow`.
const ECHO: &[(&str, &str)] = &[
    ("tls", "PASS"),
    ("http2", "PASS"),
    ("post", "PASS"),
    ("get", "PASS"),
    ("media_type", "PASS"),
    ("id_zero", "PASS"),
    ("unsupported_media_type", "PASS"),
    ("malformed_dns_param", "PASS"),
    ("explicit_freshness", "PASS"),
    ("freshness_within_ttl", "PASS"),
    ("negative_caching", "N/A"),
    ("large_response", "N/A"),
    ("padding", "FAIL"),
    ("head", "FAIL"),
    ("options", "FAIL"),
];

#[test]
fn each_fault_of_the_recording_server_fails_its_clause_only() {
    let base = DohServer::start(ServerConfig::default());
    let (_, verdicts, lines) = check(
        &base.url(),
        base.ca_pem_path(),
        &["--name", "www.example.com"],
    );
    assert_eq!(verdicts, expect(ECHO), "{lines:#?}");
    let faults: &[(Option<Fault>, bool, &str, &str)] = &[
        (Some(Fault::WrongMediaType), true, "media_type", "FAIL"),
        (
            Some(Fault::MaxAgeBeyondTtl),
            true,
            "freshness_within_ttl",
            "FAIL",
        ),
        (
            Some(Fault::OkOnGarbage),
            true,
            "malformed_dns_param",
            "FAIL",
        ),
        (
            Some(Fault::AnyMediaType),
            true,
            "unsupported_media_type",
            "FAIL",
        ),
        (Some(Fault::WrongId), true, "id_zero", "FAIL"),
        (Some(Fault::Truncated), true, "large_response", "FAIL"),
        // HTTP/2 is RECOMMENDED (a SHOULD): its absence is a WARN.
        (None, false, "http2", "WARN"),
    ];
    for (fault, http2, clause, verdict) in faults {
        let cfg = ServerConfig {
            http2: *http2,
            responder: fault.map(Responder::Faulty).unwrap_or(Responder::Echo),
            ..ServerConfig::default()
        };
        let srv = DohServer::start(cfg);
        let (code, got, lines) = check(
            &srv.url(),
            srv.ca_pem_path(),
            &["--name", "www.example.com"],
        );
        let mut want = expect(ECHO);
        want.insert(clause.to_string(), verdict.to_string());
        assert_eq!(got, want, "{fault:?}: {lines:#?}");
        assert_eq!(code, 1, "{fault:?}");
    }
}

#[test]
fn an_untrusted_certificate_fails_tls_and_the_rest_is_still_checked() {
    let s = serve_lab::start(&[]);
    let other = serve_lab::tempdir("ca");
    let pki = ietfwg_test_support::doh_server::TestPki::new(&["localhost"]);
    let ca = other.join("ca.pem");
    std::fs::write(&ca, pki.ca_pem).unwrap();
    let (code, verdicts, lines) = check(
        &s.url(),
        &ca,
        &["--name", "www.lab.test", "--big", "big.lab.test"],
    );
    let mut want = expect(ALL_PASS);
    want.insert("tls".into(), "FAIL".into());
    assert_eq!(verdicts, want, "{lines:#?}");
    assert_eq!(code, 1);
    assert!(
        lines[0]["received"]
            .as_str()
            .unwrap()
            .contains("not trusted"),
        "{}",
        lines[0]
    );
}

#[test]
fn nothing_listening_is_exit_2() {
    let port = dns_lab::free_port(false);
    let out = ietfwg(&[
        "doh",
        "check",
        &format!("https://127.0.0.1:{port}/dns-query"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot check"), "{}", stderr(&out));
}
