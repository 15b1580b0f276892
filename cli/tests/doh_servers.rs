//! `ietfwg doh query|batch` against real DoH servers on loopback: BIND 9.18 (authoritative for
//! example.test) and unbound 1.17 (forwarding to it), each with a certificate made at test
//! time (test-support `dns_lab`). Answers are compared with what `kdig +https` gets from the
//! same server. One BIND and one unbound serve every test of this binary (started on first
//! use); the 10,000-name batch has a BIND of its own so that its connection count is exact.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use ietfwg_test_support::dns_lab::{self, Bind, Unbound};
use ietfwg_test_support::doh_server::{DohServer, ServerConfig};
use ietfwg_test_support::shared::program;
use serde_json::Value;

use common::{assert_exit, doh_batch, doh_query, ietfwg, stderr, stdout};

/// A DoH server of the lab.
#[derive(Debug, Clone)]
struct Srv {
    what: &'static str,
    url: String,
    port: u16,
    cacert: PathBuf,
    /// Cleartext DoH (BIND only).
    http_url: Option<String>,
}

fn bind() -> Option<Srv> {
    static LAB: OnceLock<Option<Bind>> = OnceLock::new();
    let b = LAB.get_or_init(Bind::start).as_ref()?;
    Some(Srv {
        what: "BIND",
        url: b.doh_url(),
        port: b.doh_port(),
        cacert: b.cacert(),
        http_url: Some(b.http_url()),
    })
}

fn unbound() -> Option<Srv> {
    static LAB: OnceLock<Option<Unbound>> = OnceLock::new();
    let u = LAB.get_or_init(Unbound::start).as_ref()?;
    Some(Srv {
        what: "unbound",
        url: u.doh_url(),
        port: u.doh_port(),
        cacert: u.cacert(),
        http_url: None,
    })
}

/// Both servers, or none when either is missing (a notice is printed; CI fails instead).
fn servers() -> Vec<Srv> {
    match (bind(), unbound()) {
        (Some(b), Some(u)) => vec![b, u],
        _ => Vec::new(),
    }
}

/// `ietfwg doh query NAME TYPE --server URL --cacert CA EXTRA…` against `s`.
fn query(s: &Srv, name: &str, qtype: &str, extra: &[&str]) -> Output {
    common::doh_query(&s.url, &s.cacert, name, qtype, extra)
}

fn query_json(s: &Srv, name: &str, qtype: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let mut e = vec!["--json"];
    e.extend_from_slice(extra);
    let out = query(s, name, qtype, &e);
    let lines = common::ndjson(&out);
    assert_eq!(
        lines.len(),
        1,
        "{} {name} {qtype}: {}{}",
        s.what,
        stdout(&out),
        stderr(&out)
    );
    (out.status.code(), lines[0].clone(), stderr(&out))
}

/// The data of the answer records of type `qtype`, as a set.
fn data_set(v: &Value, qtype: &str) -> BTreeSet<String> {
    v["answers"]
        .as_array()
        .unwrap_or_else(|| panic!("no answer array: {v}"))
        .iter()
        .filter(|r| r["rtype"] == qtype)
        .map(|r| normalise(r["data"].as_str().unwrap()))
        .collect()
}

/// One form for comparing record data between tools: TXT character-strings are parsed
/// (quotes, `\"` and `\DDD` escapes) and written back quoted, everything else is trimmed.
fn normalise(s: &str) -> String {
    let s = s.trim();
    if !s.starts_with('"') {
        return s.to_string();
    }
    let mut strings = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut cur = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => {
                    let mut digits = String::new();
                    while digits.len() < 3 && chars.peek().is_some_and(char::is_ascii_digit) {
                        digits.push(chars.next().unwrap());
                    }
                    if digits.is_empty() {
                        cur.extend(chars.next());
                    } else {
                        cur.push(char::from(digits.parse::<u8>().unwrap()));
                    }
                }
                c => cur.push(c),
            }
        }
        strings.push(format!("\"{cur}\""));
    }
    strings.join(" ")
}

/// What `kdig +https` gets from the same server: (status, answer data of type qtype).
fn kdig(s: &Srv, name: &str, qtype: &str) -> Option<(String, BTreeSet<String>)> {
    let kdig = program("kdig")?;
    let out = Command::new(kdig)
        .args([
            "+https",
            "@127.0.0.1",
            "-p",
            &s.port.to_string(),
            &format!("+tls-ca={}", s.cacert.display()),
            "+tls-hostname=localhost",
            "+noall",
            "+header",
            "+answer",
            "+nocrypto",
            name,
            qtype,
        ])
        .output()
        .expect("run kdig");
    let text = stdout(&out);
    assert!(out.status.success(), "kdig failed: {text}{}", stderr(&out));
    // ";; ->>HEADER<<- opcode: QUERY; status: NOERROR; id: 0"
    let status = text
        .lines()
        .find(|l| l.contains("->>HEADER<<-"))
        .and_then(|l| l.split("status: ").nth(1))
        .and_then(|r| r.split(';').next())
        .unwrap_or_else(|| panic!("no status in kdig output: {text}"))
        .trim()
        .to_string();
    // Answer lines: OWNER TTL CLASS TYPE DATA… (tab separated).
    let data = text
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 5 && f[3] == qtype).then(|| normalise(&f[4..].join(" ")))
        })
        .collect();
    Some((status, data))
}

/// The zone's records of (owner, type), from the lab's own table.
fn expected(owner: &str, qtype: &str) -> BTreeSet<String> {
    dns_lab::RECORDS
        .iter()
        .filter(|(o, t, _)| *o == owner && *t == qtype)
        .map(|(_, _, d)| normalise(d))
        .collect()
}

const CASES: &[(&str, &str)] = &[
    ("www.example.test", "A"),
    ("www.example.test", "AAAA"),
    ("www.example.test", "TXT"),
    ("example.test", "MX"),
    ("mail.example.test", "A"),
    ("alias.example.test", "CNAME"),
];

#[test]
fn answers_equal_the_zone_and_kdig() {
    for s in servers() {
        for &(name, qtype) in CASES {
            let (code, v, err) = query_json(&s, name, qtype, &[]);
            assert_eq!(code, Some(0), "{} {name} {qtype}: {err}", s.what);
            assert_eq!(v["rcode"], "NOERROR");
            let ours = data_set(&v, qtype);
            assert_eq!(ours, expected(name, qtype), "{} {name} {qtype}", s.what);
            if let Some((status, theirs)) = kdig(&s, name, qtype) {
                assert_eq!(status, "NOERROR");
                assert_eq!(ours, theirs, "{} {name} {qtype}: ietfwg vs kdig", s.what);
            }
        }
    }
}

#[test]
fn get_and_post_give_the_same_answers() {
    for s in servers() {
        for &(name, qtype) in CASES {
            let (c1, post, e1) = query_json(&s, name, qtype, &[]);
            let (c2, get, e2) = query_json(&s, name, qtype, &["--get"]);
            assert_eq!((c1, c2), (Some(0), Some(0)), "{}: {e1}{e2}", s.what);
            assert_eq!(post["method"], "POST");
            assert_eq!(get["method"], "GET");
            assert_eq!(
                data_set(&post, qtype),
                data_set(&get, qtype),
                "{} {name}",
                s.what
            );
        }
    }
}

#[test]
fn nxdomain_exits_1_with_the_soa() {
    for s in servers() {
        let (code, v, _) = query_json(&s, dns_lab::MISSING, "A", &[]);
        assert_eq!(code, Some(1), "{}", s.what);
        assert_eq!(v["rcode"], "NXDOMAIN");
        assert!(v["answers"].as_array().unwrap().is_empty());
        let soa = v["authority"].as_array().unwrap();
        assert!(soa.iter().any(|r| r["rtype"] == "SOA"), "{}: {v}", s.what);
        if let Some((status, _)) = kdig(&s, dns_lab::MISSING, "A") {
            assert_eq!(status, "NXDOMAIN");
        }
        // The text form says so too, on stdout; --short prints nothing.
        let out = query(&s, dns_lab::MISSING, "A", &[]);
        assert_eq!(out.status.code(), Some(1));
        assert!(stdout(&out).contains("NXDOMAIN"), "{}", stdout(&out));
        let out = query(&s, dns_lab::MISSING, "A", &["--short"]);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(stdout(&out).trim(), "");
    }
}

#[test]
fn a_response_larger_than_4_kb_comes_whole() {
    let want: BTreeSet<String> = (0..dns_lab::BIG_TXT_COUNT)
        .map(|i| format!("\"{}\"", dns_lab::big_txt(i)))
        .collect();
    for s in servers() {
        for method in [&[][..], &["--get"][..]] {
            let (code, v, err) = query_json(&s, dns_lab::BIG_TXT, "TXT", method);
            assert_eq!(code, Some(0), "{}: {err}", s.what);
            let size = v["http"]["body_size"].as_u64().unwrap();
            assert!(size > 4096, "{}: {size} octets", s.what);
            assert_eq!(v["size"].as_u64(), Some(size));
            assert!(!v["flags"]["tc"].as_bool().unwrap(), "not truncated");
            assert_eq!(data_set(&v, "TXT"), want, "{}", s.what);
        }
        if let Some((_, theirs)) = kdig(&s, dns_lab::BIG_TXT, "TXT") {
            assert_eq!(theirs, want);
        }
    }
}

#[test]
fn http11_is_refused_by_h2_only_servers_with_an_alpn_message() {
    for s in servers() {
        let out = query(&s, "www.example.test", "A", &["--http1.1"]);
        assert_eq!(out.status.code(), Some(2), "{}: {}", s.what, stderr(&out));
        let err = stderr(&out);
        assert!(
            err.to_ascii_lowercase().contains("alpn"),
            "{}: {err}",
            s.what
        );
        assert!(
            err.contains("HTTP/1.1") || err.contains("http/1.1"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    // The same command works where the server has HTTP/1.1.
    let d = DohServer::start(ServerConfig::default());
    let out = doh_query(
        &d.url(),
        d.ca_pem_path(),
        "www.example.test",
        "A",
        &["--http1.1", "--json"],
    );
    assert_exit(&out, 0);
    assert_eq!(common::ndjson(&out)[0]["http"]["version"], "HTTP/1.1");
}

#[test]
fn a_wrong_path_is_an_http_404_not_dns() {
    for s in servers() {
        let wrong = Srv {
            url: s.url.replace(dns_lab::DOH_PATH, "/no-such-endpoint"),
            ..s.clone()
        };
        let out = query(&wrong, "www.example.test", "A", &[]);
        assert_eq!(out.status.code(), Some(1), "{}: {}", s.what, stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("HTTP 404"), "{}: {err}", s.what);
        assert!(!stdout(&out).contains("ANSWER"), "{}", stdout(&out));
        let (code, v, _) = query_json(&wrong, "www.example.test", "A", &[]);
        assert_eq!(code, Some(1));
        assert_eq!(v["http"]["status"], 404);
        assert!(v.get("rcode").is_none(), "not parsed as DNS: {v}");
    }
}

#[test]
fn an_untrusted_certificate_is_a_clear_tls_error() {
    for s in servers() {
        // No --cacert: the lab's CA is not among the system's.
        let out = ietfwg(&["doh", "query", "www.example.test", "--server", &s.url]);
        assert_eq!(out.status.code(), Some(2), "{}", s.what);
        let err = stderr(&out);
        assert!(
            err.contains("TLS") && err.contains("certificate"),
            "{}: {err}",
            s.what
        );
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(stdout(&out), "");

        // Trusted CA but another name than the certificate's.
        let out = query(
            &s,
            "www.example.test",
            "A",
            &["--tls-name", "doh.example.net"],
        );
        assert_eq!(out.status.code(), Some(2), "{}", s.what);
        let err = stderr(&out);
        assert!(err.contains("certificate"), "{}: {err}", s.what);
        assert!(err.contains("doh.example.net"), "{}: {err}", s.what);
    }
}

#[test]
fn cache_report_bind_max_age_is_the_ttl() {
    let Some(s) = bind() else { return };
    let (code, v, err) = query_json(&s, "www.example.test", "A", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        v["http"]["headers"]["cache-control"],
        format!("max-age={}", dns_lab::TTL)
    );
    assert_eq!(v["cache"]["lifetime"], dns_lab::TTL);
    assert_eq!(v["cache"]["min_ttl"], dns_lab::TTL);
    assert_eq!(v["cache"]["exceeds"], false);
    let out = query(&s, "www.example.test", "A", &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("HTTP freshness lifetime 300 s, smallest TTL 300 s"),
        "{}",
        stdout(&out)
    );
    // A smaller TTL gives a smaller max-age.
    let (code, v, _) = query_json(&s, "short.example.test", "A", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(v["cache"]["lifetime"], dns_lab::SHORT_TTL);
    assert_eq!(v["cache"]["min_ttl"], dns_lab::SHORT_TTL);
    // A negative answer: the SOA's TTL/MINIMUM bounds it (RFC 2308).
    let (_, v, _) = query_json(&s, dns_lab::MISSING, "A", &[]);
    assert_eq!(v["cache"]["min_ttl"], dns_lab::TTL);
    assert_eq!(v["cache"]["exceeds"], false);
}

#[test]
fn cache_report_unbound_gives_no_lifetime() {
    let Some(s) = unbound() else { return };
    let (code, v, err) = query_json(&s, "www.example.test", "A", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(v["http"]["headers"].get("cache-control").is_none(), "{v}");
    assert!(v["cache"]["lifetime"].is_null());
    assert_eq!(v["cache"]["exceeds"], false);
    assert!(v["cache"]["min_ttl"].as_u64().is_some_and(|t| t <= 300));
    let out = query(&s, "www.example.test", "A", &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("not given"), "{}", stdout(&out));
}

/// The SPKI SHA-256 pin of the server's certificate, computed by openssl from what the
/// server sends (`sha256//BASE64` as curl's --pinnedpubkey takes it).
fn openssl_pin(port: u16) -> Option<String> {
    program("openssl")?;
    let script = format!(
        "openssl s_client -connect 127.0.0.1:{port} -servername localhost -alpn h2 </dev/null 2>/dev/null \
         | openssl x509 -pubkey -noout | openssl pkey -pubin -outform der \
         | openssl dgst -sha256 -binary | openssl base64 -A"
    );
    let out = Command::new("sh").arg("-c").arg(script).output().ok()?;
    let pin = stdout(&out).trim().to_string();
    assert!(pin.len() == 44, "openssl pin: {pin:?} {}", stderr(&out));
    Some(pin)
}

#[test]
fn timing_and_tls_details() {
    let Some(s) = bind() else { return };
    let out = query(&s, "www.example.test", "A", &["--timing", "--tls"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    for want in [
        "TCP connect",
        "TLS handshake",
        "first byte",
        "TLSv1.3",
        "h2",
        "localhost",
        "ietfwg test lab CA",
        "SPKI pin",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }

    let (code, v, _) = query_json(&s, "www.example.test", "A", &["--tls"]);
    assert_eq!(code, Some(0));
    let tls = &v["tls"];
    assert_eq!(tls["version"], "TLSv1.3");
    assert_eq!(tls["alpn"], "h2");
    let chain = tls["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 2, "server certificate and CA: {tls}");
    let sans: Vec<&str> = chain[0]["sans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(sans.iter().any(|s| s.contains("localhost")), "{sans:?}");
    assert!(sans.iter().any(|s| s.contains("127.0.0.1")), "{sans:?}");
    assert!(chain[1]["subject"]
        .as_str()
        .unwrap()
        .contains("ietfwg test lab CA"));
    if let Some(pin) = openssl_pin(s.port) {
        assert_eq!(tls["spki_sha256"], pin, "ietfwg's pin vs openssl's");
        assert!(text.contains(&format!("sha256//{pin}")), "{text}");
    }
    // The address was in the URL: no DNS lookup; TCP and TLS were timed.
    assert!(v["timing"]["dns_ms"].is_null());
    assert!(v["timing"]["connect_ms"].as_f64().is_some());
    assert!(v["timing"]["tls_ms"].as_f64().is_some());
    assert!(v["timing"]["total_ms"].as_f64().unwrap() >= v["timing"]["ttfb_ms"].as_f64().unwrap());
}

#[test]
fn cleartext_doh_on_bind() {
    let Some(s) = bind() else { return };
    let url = s.http_url.expect("BIND has a cleartext listener");
    let out = ietfwg(&[
        "doh",
        "query",
        "www.example.test",
        "AAAA",
        "--server",
        &url,
        "--json",
    ]);
    assert_exit(&out, 0);
    let v = &common::ndjson(&out)[0];
    assert_eq!(data_set(v, "AAAA"), expected("www.example.test", "AAAA"));
    assert!(v["timing"]["tls_ms"].is_null());
    assert_eq!(v["http"]["version"], "HTTP/2");
}

#[test]
fn batch_of_10000_names_over_one_connection() {
    // A BIND of its own, so that nothing else connects to it meanwhile.
    let Some(b) = Bind::start() else { return };
    let mut input = String::from("# 9,000 existing names and 1,000 that do not exist\n");
    let mut want = Vec::new();
    for i in 0..10_000usize {
        if i % 10 == 7 {
            input.push_str(&format!("missing{i}.bulk.example.test A\n"));
            want.push(None);
        } else {
            input.push_str(&format!("{}\n", dns_lab::bulk_name(i)));
            want.push(Some(dns_lab::bulk_addr(i).to_string()));
        }
    }
    let before = b.accepted_connections();
    // POST (the default) at the default concurrency of 32.
    let ca = b.cacert().to_string_lossy().into_owned();
    // No input file: standard input.
    let out = common::ietfwg_stdin(
        &["doh", "batch", "--server", &b.doh_url(), "--cacert", &ca],
        input.as_bytes(),
    );
    let after = b.accepted_connections();
    // Exit 1: the NXDOMAIN answers are findings.
    assert_exit(&out, 1);
    assert_eq!(
        after - before,
        1,
        "BIND accepted {} connections",
        after - before
    );
    let err = stderr(&out);
    for part in [
        "sent 10000",
        "NOERROR 9000",
        "NXDOMAIN 1000",
        "other 0",
        "errors 0",
        "connections: 1",
    ] {
        assert!(
            err.contains(part),
            "{part:?} missing from the summary: {err}"
        );
    }
    let lines = common::ndjson(&out);
    assert_eq!(lines.len(), 10_000);
    for (i, (v, want)) in lines.iter().zip(&want).enumerate() {
        assert_eq!(v["line"], i + 2, "input order");
        match want {
            Some(addr) => {
                assert_eq!(v["rcode"], "NOERROR", "{v}");
                assert_eq!(answer_data(v), serde_json::json!([addr]), "{v}");
            }
            None => {
                assert_eq!(v["rcode"], "NXDOMAIN", "{v}");
                assert_eq!(answer_data(v), serde_json::json!([]));
            }
        }
        assert!(v["error"].is_null(), "{v}");
    }
}

#[test]
fn batch_over_several_connections_checks_every_answer() {
    // A BIND of its own, so that its connection count is exact. 4 connections with 100
    // streams each (the load of `scripts/bench-doh`): every answer is still the zone's
    // address for its name, in input order.
    let Some(b) = Bind::start() else { return };
    let n = 4_000usize;
    let input: String = (0..n)
        .map(|i| format!("{} A\n", dns_lab::bulk_name(i)))
        .collect();
    let before = b.accepted_connections();
    let out = doh_batch(
        &b.doh_url(),
        &b.cacert(),
        &input,
        &["--connections", "4", "--concurrency", "100", "--no-edns"],
    );
    let after = b.accepted_connections();
    assert_exit(&out, 0);
    assert_eq!(
        after - before,
        4,
        "BIND accepted {} connections",
        after - before
    );
    let err = stderr(&out);
    for part in ["sent 4000", "NOERROR 4000", "errors 0", "connections: 4"] {
        assert!(
            err.contains(part),
            "{part:?} missing from the summary: {err}"
        );
    }
    let lines = common::ndjson(&out);
    assert_eq!(lines.len(), n);
    for (i, v) in lines.iter().enumerate() {
        assert_eq!(v["line"], i + 1, "input order");
        assert_eq!(v["rcode"], "NOERROR", "{v}");
        assert_eq!(
            answer_data(v),
            serde_json::json!([dns_lab::bulk_addr(i).to_string()]),
            "{v}"
        );
    }
}

#[test]
fn batch_against_unbound_ordered_and_unordered() {
    let Some(s) = unbound() else { return };
    let mut input = String::new();
    for i in 0..200 {
        input.push_str(&format!("{} A\n", dns_lab::bulk_name(i)));
    }
    input.push_str("www.example.test MX\n");
    for extra in [&[][..], &["--unordered", "--concurrency", "8"][..]] {
        let out = doh_batch(&s.url, &s.cacert, &input, extra);
        assert_exit(&out, 0);
        let lines = common::ndjson(&out);
        assert_eq!(lines.len(), 201);
        let mut seen = BTreeSet::new();
        for v in &lines {
            let line = v["line"].as_u64().unwrap() as usize;
            seen.insert(line);
            if line <= 200 {
                let want = dns_lab::bulk_addr(line - 1).to_string();
                assert_eq!(answer_data(v), serde_json::json!([want]), "{v}");
            } else {
                assert_eq!(v["rcode"], "NOERROR");
            }
        }
        assert_eq!(seen.len(), 201);
        if extra.is_empty() {
            let order: Vec<u64> = lines.iter().map(|v| v["line"].as_u64().unwrap()).collect();
            assert_eq!(order, (1..=201).collect::<Vec<u64>>());
        }
        assert!(stderr(&out).contains("connections: 1"), "{}", stderr(&out));
    }
}

#[test]
fn batch_get_against_bind() {
    let Some(s) = bind() else { return };
    let input: String = (0..1000)
        .map(|i| format!("{}\n", dns_lab::bulk_name(i)))
        .collect();
    let out = doh_batch(&s.url, &s.cacert, &input, &["--get", "--concurrency", "64"]);
    assert_exit(&out, 0);
    let lines = common::ndjson(&out);
    assert_eq!(lines.len(), 1000);
    for (i, v) in lines.iter().enumerate() {
        assert_eq!(
            answer_data(v),
            serde_json::json!([dns_lab::bulk_addr(i).to_string()]),
            "{v}"
        );
    }
    assert!(stderr(&out).contains("connections: 1"));
}

/// The data of a batch line's `answers` (records, as `doh query` gives them).
fn answer_data(v: &serde_json::Value) -> serde_json::Value {
    v["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["data"].clone())
        .collect()
}
