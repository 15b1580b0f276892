//! DNS over HTTP/3 (RFC 9114 over QUIC, RFC 9000): `doh query|batch|bench --http3` against an
//! independent HTTP/3 server — hypercorn (aioquic) serving a small DoH application that forwards
//! to the BIND lab server — and against `doh serve --http3`, whose HTTP/3 listener is in turn
//! checked with dnspython's HTTP/3 DoH client. HTTP/3 answers are compared with the HTTP/2
//! answers BIND gives for the same queries; 0-RTT is refused with POST and accepted for GET by
//! `doh serve`; a certificate or ALPN the client does not accept fails in the TLS phase.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod serve_lab;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

use ietfwg_test_support::dns_lab::{self, Bind};
use ietfwg_test_support::hypercorn::{python_with_h3, Hypercorn};
use serde_json::Value;

use common::{assert_exit, doh_batch, doh_query, ietfwg, ndjson, stderr, stdout};

/// The tests of this binary take turns: hypercorn runs one Python worker, and one test's load
/// (a bench) must not make another's QUIC handshake time out on a busy machine.
fn turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// One BIND and one hypercorn forwarding to it, for every test of this binary, with the turn.
fn lab() -> Option<(&'static (Bind, Hypercorn), MutexGuard<'static, ()>)> {
    let guard = turn();
    let lab = shared_lab()?;
    Some((lab, guard))
}

fn shared_lab() -> Option<&'static (Bind, Hypercorn)> {
    static LAB: OnceLock<Option<(Bind, Hypercorn)>> = OnceLock::new();
    LAB.get_or_init(|| {
        let b = Bind::start()?;
        let h = Hypercorn::start(b.dns_port())?;
        Some((b, h))
    })
    .as_ref()
}

/// The one JSON object of `doh query --json`.
fn one(out: &std::process::Output) -> Value {
    let mut v = ndjson(out);
    assert_eq!(v.len(), 1, "{}{}", stdout(out), stderr(out));
    v.remove(0)
}

/// Checks `v` against docs/schema/doh-query.json.
fn matches_query_schema(v: &Value) {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/schema/doh-query.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let problems: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
    assert!(problems.is_empty(), "{problems:?}\n{v}");
}

/// What must agree between two answers to the same query: RCODE, the header flags, and the
/// records of every section (TTLs included: BIND is authoritative, they do not count down).
fn dns_part(v: &Value) -> Value {
    let records = |k: &str| -> BTreeSet<String> {
        v[k].as_array()
            .unwrap_or_else(|| panic!("no {k}: {v}"))
            .iter()
            .filter(|r| r["rtype"] != "OPT")
            .map(|r| r.to_string())
            .collect()
    };
    serde_json::json!({
        "rcode": v["rcode"],
        "flags": v["flags"],
        "answers": records("answers"),
        "authority": records("authority"),
    })
}

#[test]
fn http3_answers_equal_http2_answers_for_the_same_queries() {
    let Some(((bind, hc), _turn)) = lab() else {
        return;
    };
    let mut asked: Vec<(&str, &str)> = dns_lab::RECORDS.iter().map(|r| (r.0, r.1)).collect();
    asked.dedup();
    asked.extend([
        (dns_lab::MISSING, "A"),
        (dns_lab::BIG_TXT, "TXT"),
        ("www.example.test", "MX"),
        ("nothing.www.example.test", "AAAA"),
    ]);
    let mut compared = 0;
    for (name, qtype) in asked {
        for get in [false, true] {
            let mut extra = vec!["--json"];
            if get {
                extra.push("--get");
            }
            let h2 = one(&doh_query(
                &bind.doh_url(),
                &bind.cacert(),
                name,
                qtype,
                &extra,
            ));
            let mut e3 = extra.clone();
            e3.push("--http3");
            let h3 = one(&doh_query(&hc.h3_url(), &hc.cacert(), name, qtype, &e3));
            assert_eq!(h2["http"]["version"], "HTTP/2", "{h2}");
            assert_eq!(h3["http"]["version"], "HTTP/3", "{h3}");
            assert_eq!(h3["http"]["status"], 200, "{h3}\n{}", hc.log());
            assert_eq!(
                dns_part(&h3),
                dns_part(&h2),
                "{name} {qtype} (GET: {get}): HTTP/3 via hypercorn vs HTTP/2 from BIND"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 24, "12 questions, by POST and GET");
    // The NXDOMAIN and the big TXT were among them: check one of each outright.
    let nx = one(&doh_query(
        &hc.h3_url(),
        &hc.cacert(),
        dns_lab::MISSING,
        "A",
        &["--json", "--http3"],
    ));
    assert_eq!(nx["rcode"], "NXDOMAIN", "{nx}");
    let big = one(&doh_query(
        &hc.h3_url(),
        &hc.cacert(),
        dns_lab::BIG_TXT,
        "TXT",
        &["--json", "--http3"],
    ));
    assert_eq!(
        big["answers"].as_array().unwrap().len(),
        dns_lab::BIG_TXT_COUNT,
        "a response over 4 KB over UDP truncates, the app asks again over TCP: {big}"
    );
    assert!(big["size"].as_u64().unwrap() > 4096, "{}", big["size"]);
}

#[test]
fn http3_timing_shows_the_quic_handshake_and_tls_shows_h3() {
    let Some(((_, hc), _turn)) = lab() else {
        return;
    };
    let out = doh_query(
        &hc.h3_url(),
        &hc.cacert(),
        "www.example.test",
        "AAAA",
        &["--http3", "--timing", "--tls"],
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    // The run README.md shows (`--nocapture`).
    eprintln!(
        "example: ietfwg doh query www.example.test AAAA --server {} --cacert ca.pem --http3 --timing --tls\n{text}",
        hc.h3_url()
    );
    assert!(text.contains("(HTTP/3, POST, status 200)"), "{text}");
    assert!(text.contains(";;   QUIC handshake "), "{text}");
    assert!(!text.contains("TCP connect"), "{text}");
    assert!(text.contains(";;   ALPN           h3"), "{text}");
    assert!(text.contains(";;   version        TLSv1.3"), "{text}");
    // Read from the QUIC connection's ServerHello: aioquic prefers AES-256-GCM, as rustls does.
    assert!(
        text.contains(";;   cipher suite   TLS_AES_256_GCM_SHA384"),
        "{text}"
    );
    let v = one(&doh_query(
        &hc.h3_url(),
        &hc.cacert(),
        "www.example.test",
        "A",
        &["--http3", "--json", "--tls"],
    ));
    let quic = v["timing"]["quic_ms"].as_f64().expect("quic_ms");
    assert!(quic > 0.0, "{v}");
    assert!(v["timing"]["tls_ms"].is_null(), "{v}");
    assert_eq!(v["tls"]["alpn"], "h3", "{v}");
    assert_eq!(v["tls"]["verified"], true, "{v}");
    assert_eq!(v["tls"]["cipher_suite"], "TLS_AES_256_GCM_SHA384", "{v}");
    assert_eq!(v["timing"]["resumed"], false, "one connection: {v}");
    assert!(
        v["timing"].get("zero_rtt").is_none(),
        "0-RTT off by default: {v}"
    );
    matches_query_schema(&v);
}

/// `n` bulk names and the address each must resolve to.
fn bulk(n: usize) -> (String, Vec<String>) {
    let input = (0..n)
        .map(|i| format!("{} A\n", dns_lab::bulk_name(i)))
        .collect();
    let want = (0..n).map(|i| dns_lab::bulk_addr(i).to_string()).collect();
    (input, want)
}

fn answer_data(v: &Value) -> Vec<String> {
    v["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["data"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn batch_and_bench_over_http3_against_hypercorn() {
    let Some(((_, hc), _turn)) = lab() else {
        return;
    };
    let (input, want) = bulk(300);
    for extra in [
        &["--http3"][..],
        &["--http3", "--get", "--concurrency", "16"],
    ] {
        let out = doh_batch(&hc.h3_url(), &hc.cacert(), &input, extra);
        assert_exit(&out, 0);
        let lines = ndjson(&out);
        assert_eq!(lines.len(), want.len(), "{}", stderr(&out));
        for (v, addr) in lines.iter().zip(&want) {
            assert_eq!(v["rcode"], "NOERROR", "{v}");
            assert_eq!(answer_data(v), vec![addr.clone()], "{v}");
        }
        assert!(stderr(&out).contains("connections: 1"), "{}", stderr(&out));
    }
    bench_checks(&hc.h3_url(), &hc.cacert(), 600, &|| hc.log());
}

/// `doh bench --http3 -f FILE` of bulk names: every query answered NOERROR over HTTP/3.
fn bench_checks(url: &str, ca: &std::path::Path, count: u64, log: &dyn Fn() -> String) {
    let dir = serve_lab::tempdir("h3bench");
    let file = dir.join("names");
    std::fs::write(&file, bulk(200).0).unwrap();
    let out = ietfwg(&[
        "doh",
        "bench",
        url,
        "-f",
        file.to_str().unwrap(),
        "--count",
        &count.to_string(),
        "--connections",
        "2",
        "--concurrency",
        "4",
        "--http3",
        "--cacert",
        ca.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}\n{}",
        stdout(&out),
        stderr(&out),
        log()
    );
    let r = one(&out);
    assert_eq!(r["http"], "HTTP/3", "{r}");
    assert_eq!(r["sent"], count, "{r}");
    assert_eq!(r["answered"], count, "{r}");
    assert_eq!(r["failed"], 0, "{r}");
    assert_eq!(r["rcodes"]["NOERROR"], count, "{r}");
    assert_eq!(r["handshakes"]["connections"], 2, "{r}");
    assert_eq!(r["handshakes"]["tls"], 2, "QUIC handshakes count: {r}");
    assert!(
        r["handshakes"]["handshake_mean_ms"].as_f64().unwrap() > 0.0,
        "{r}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The lab zone's answers, as `doh serve` must give them.
const LAB_ANSWERS: &[(&str, &str, &[&str])] = &[
    ("www.lab.test", "A", &["192.0.2.10", "192.0.2.11"]),
    ("www.lab.test", "AAAA", &["2001:db8::10"]),
    ("short.lab.test", "A", &["192.0.2.60"]),
    ("x.wild.lab.test", "TXT", &["\"wildcard\""]),
];

#[test]
fn doh_serve_http3_listener_with_batch_bench_query_and_alt_svc() {
    let _turn = turn();
    if python_with_h3().is_none() {
        return;
    }
    let s = serve_lab::start(&["--http3"]);
    assert!(
        s.banner
            .iter()
            .any(|l| l.contains(&format!("HTTP/3 on UDP port {}", s.port))),
        "{:?}",
        s.banner
    );
    let ca = s.cacert();
    // Every answer of a batch over HTTP/3 checked against the zone.
    let mut input = String::new();
    let mut want = Vec::new();
    for _ in 0..50 {
        for (name, qtype, data) in LAB_ANSWERS {
            input.push_str(&format!("{name} {qtype}\n"));
            want.push(data.iter().map(|d| d.to_string()).collect::<BTreeSet<_>>());
        }
    }
    for extra in [&["--http3"][..], &["--http3", "--get"]] {
        let out = doh_batch(&s.url(), &ca, &input, extra);
        assert_exit(&out, 0);
        let lines = ndjson(&out);
        assert_eq!(lines.len(), want.len());
        for (v, w) in lines.iter().zip(&want) {
            assert_eq!(v["rcode"], "NOERROR", "{v}");
            let got: BTreeSet<String> = answer_data(v).into_iter().collect();
            assert_eq!(&got, w, "{v}");
        }
    }
    bench_checks_lab(&s);
    // The same request handling as HTTP/2: another path is a 404, told as an HTTP error.
    let wrong = s.url().replace("/dns-query", "/nope");
    let out = doh_query(&wrong, &ca, "www.lab.test", "A", &["--http3"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("(HTTP/3, POST, status 404)"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("HTTP 404"), "{}", stderr(&out));
    // The access log says which requests came over HTTP/3.
    let log = std::fs::read_to_string(s.log()).unwrap();
    assert!(log.contains("\"version\":\"HTTP/3\""), "{log}");
    // HTTP/2 responses advertise the HTTP/3 listener (RFC 7838).
    let v = one(&doh_query(&s.url(), &ca, "www.lab.test", "A", &["--json"]));
    assert_eq!(v["http"]["version"], "HTTP/2");
    assert_eq!(
        v["http"]["headers"]["alt-svc"],
        format!("h3=\":{}\"; ma=86400", s.port),
        "{v}"
    );
    // Without --http3 there is no Alt-Svc.
    let plain = serve_lab::start(&[]);
    let v = one(&doh_query(
        &plain.url(),
        &plain.cacert(),
        "www.lab.test",
        "A",
        &["--json"],
    ));
    assert!(v["http"]["headers"].get("alt-svc").is_none(), "{v}");
}

fn bench_checks_lab(s: &serve_lab::Serve) {
    let dir = serve_lab::tempdir("h3bench-lab");
    let file = dir.join("names");
    let names: String = LAB_ANSWERS
        .iter()
        .map(|(n, t, _)| format!("{n} {t}\n"))
        .collect();
    std::fs::write(&file, names).unwrap();
    let out = ietfwg(&[
        "doh",
        "bench",
        &s.url(),
        "-f",
        file.to_str().unwrap(),
        "--count",
        "2000",
        "--http3",
        "--get",
        "--cacert",
        s.cacert().to_str().unwrap(),
        "--json",
    ]);
    assert_exit(&out, 0);
    let r = one(&out);
    assert_eq!(r["http"], "HTTP/3", "{r}");
    assert_eq!(r["method"], "GET", "{r}");
    assert_eq!(
        (&r["sent"], &r["answered"], &r["failed"]),
        (&Value::from(2000), &Value::from(2000), &Value::from(0)),
        "{r}"
    );
    assert_eq!(r["rcodes"]["NOERROR"], 2000, "{r}");
    let _ = std::fs::remove_dir_all(dir);
}

/// dnspython's HTTP/3 DoH client (`dns.query.https(…, http_version=H3)`, over aioquic): the
/// answers it gets from `doh serve --http3`, one `NAME TYPE DATA…` line per query.
const DNSPYTHON: &str = r#"
import sys, dns.message, dns.query, dns.rdatatype
url, ca = sys.argv[1], sys.argv[2]
for arg in sys.argv[3:]:
    name, qtype = arg.split("/")
    for post in (True, False):
        q = dns.message.make_query(name, qtype)
        r = dns.query.https(q, url, timeout=10, verify=ca, post=post,
                            bootstrap_address="127.0.0.1",
                            http_version=dns.query.HTTPVersion.H3)
        data = sorted(rd.to_text() for rrset in r.answer
                      if rrset.rdtype == dns.rdatatype.from_text(qtype) for rd in rrset)
        print(name, qtype, "POST" if post else "GET", dns.rcode.to_text(r.rcode()),
              "aa" if r.flags & dns.flags.AA else "-", *data)
"#;

#[test]
fn dnspython_http3_client_gets_the_zone_answers_from_doh_serve() {
    let _turn = turn();
    let Some(python) = python_with_h3() else {
        return;
    };
    let s = serve_lab::start(&["--http3"]);
    let mut args = vec![
        "-c".to_string(),
        DNSPYTHON.to_string(),
        s.url(),
        s.cacert().display().to_string(),
    ];
    args.extend(LAB_ANSWERS.iter().map(|(n, t, _)| format!("{n}/{t}")));
    args.push("nope.lab.test/A".into());
    let out = Command::new(python)
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "dnspython failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2 * (LAB_ANSWERS.len() + 1), "{text}");
    for (name, qtype, data) in LAB_ANSWERS {
        for method in ["POST", "GET"] {
            let mut sorted: Vec<&str> = data.to_vec();
            sorted.sort();
            let want = format!("{name} {qtype} {method} NOERROR aa {}", sorted.join(" "));
            assert!(lines.contains(&want.as_str()), "{want:?} not in:\n{text}");
        }
    }
    assert!(
        lines.contains(&"nope.lab.test A POST NXDOMAIN aa"),
        "{text}"
    );
    let log = std::fs::read_to_string(s.log()).unwrap();
    let h3 = log
        .lines()
        .filter(|l| l.contains("\"version\":\"HTTP/3\""))
        .count();
    assert_eq!(
        h3,
        lines.len(),
        "every dnspython request came over HTTP/3: {log}"
    );
}

#[test]
fn zero_rtt_is_refused_with_post_and_accepted_for_get() {
    // A usage error before any connection: no server needed.
    let out = ietfwg(&[
        "doh",
        "query",
        "www.lab.test",
        "--server",
        "https://127.0.0.1:9/dns-query",
        "--http3",
        "--0rtt",
    ]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("--0rtt needs --get"), "{err}");
    assert!(err.contains("never for POST"), "{err}");
    for cmd in [
        &["doh", "batch", "-"][..],
        &["doh", "bench", "www.lab.test"],
    ] {
        let mut args = cmd.to_vec();
        args.extend([
            "--server",
            "https://127.0.0.1:9/dns-query",
            "--http3",
            "--0rtt",
        ]);
        let out = ietfwg(&args);
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains("--0rtt needs --get"),
            "{}",
            stderr(&out)
        );
    }
    // --0rtt without --http3 is a clap usage error.
    let out = ietfwg(&["doh", "query", "x.test", "--get", "--0rtt"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--http3"), "{}", stderr(&out));

    if python_with_h3().is_none() {
        return;
    }
    let _turn = turn();
    let s = serve_lab::start(&["--http3"]);
    let v = one(&doh_query(
        &s.url(),
        &s.cacert(),
        "www.lab.test",
        "A",
        &["--http3", "--get", "--0rtt", "--json"],
    ));
    assert_eq!(v["timing"]["zero_rtt"], "accepted", "{v}");
    matches_query_schema(&v);
    assert_eq!(v["rcode"], "NOERROR", "{v}");
    assert_eq!(v["http"]["version"], "HTTP/3", "{v}");
    let out = doh_query(
        &s.url(),
        &s.cacert(),
        "www.lab.test",
        "A",
        &["--http3", "--get", "--0rtt", "--timing"],
    );
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains(";;   0-RTT          accepted"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_wrong_certificate_or_alpn_fails_in_the_tls_phase() {
    let Some(((bind, hc), _turn)) = lab() else {
        return;
    };
    // hypercorn's certificate is signed by its own CA, not BIND's (both CAs carry the same
    // name, so the path is built and its signature fails).
    let out = doh_query(
        &hc.h3_url(),
        &bind.cacert(),
        "www.example.test",
        "A",
        &["--http3"],
    );
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("TLS with 127.0.0.1:"), "{err}");
    assert!(
        err.contains(
            "certificate for 127.0.0.1 has a bad signature (issuer: CN=ietfwg test lab CA)"
        ),
        "{err}"
    );
    // A CA that names no issuer of it: UnknownIssuer, with the way out.
    let s = serve_lab::start(&[]);
    let out = doh_query(
        &hc.h3_url(),
        &s.cacert(),
        "www.example.test",
        "A",
        &["--http3"],
    );
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("TLS with 127.0.0.1:"), "{err}");
    assert!(err.contains("not trusted: UnknownIssuer"), "{err}");
    assert!(err.contains("pass --cacert FILE"), "{err}");

    // A QUIC server that offers only ALPN "doq" (RFC 9250): aioquic closes the handshake with
    // a TLS alert (CRYPTO_ERROR 0x100 + alert, RFC 9001 §4.8): handshake_failure.
    let Some(python) = python_with_h3() else {
        return;
    };
    let dir = serve_lab::tempdir("doq");
    let certs = dns_lab::make_certs(&dir);
    let port = dns_lab::free_port(true);
    let script = format!(
        r#"
import asyncio, sys
from aioquic.asyncio import serve
from aioquic.quic.configuration import QuicConfiguration
async def main():
    c = QuicConfiguration(is_client=False, alpn_protocols=["doq"])
    c.load_cert_chain({chain:?}, {key:?})
    await serve("127.0.0.1", {port}, configuration=c)
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"#,
        chain = certs.chain.display().to_string(),
        key = certs.key.display().to_string(),
    );
    let mut child = Command::new(python)
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python3");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "ready");
    let url = format!("https://localhost:{port}/dns-query");
    let out = doh_query(&url, &certs.ca, "www.example.test", "A", &["--http3"]);
    drop(child.stdin.take());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("TLS with 127.0.0.1:"), "{err}");
    assert!(
        err.contains("refused by the server with TLS alert HandshakeFailure"),
        "{err}"
    );
    assert!(err.contains("ALPN \"h3\""), "{err}");
}

#[test]
fn http3_needs_https() {
    let out = ietfwg(&[
        "doh",
        "query",
        "x.test",
        "--server",
        "http://127.0.0.1:9/dns-query",
        "--http3",
    ]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("must be https://"),
        "{}",
        stderr(&out)
    );
    let out = ietfwg(&["doh", "query", "x.test", "--http3", "--http1.1"]);
    assert_exit(&out, 2);
    // doh check --http3 (cli/tests/doh_http3_more.rs) needs https:// as the others do.
    let out = ietfwg(&["doh", "check", "http://127.0.0.1:9/dns-query", "--http3"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("must be https://"),
        "{}",
        stderr(&out)
    );
}
