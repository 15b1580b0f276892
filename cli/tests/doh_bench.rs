//! `ietfwg doh bench` against BIND 9.18 on loopback (test-support's lab) and the in-process
//! recording DoH server: counts, RCODEs, errors by phase, exit status, several servers, and
//! the open-loop schedule holding its rate while the server is slow. Speed is not asserted
//! here (see `scripts/bench` and BENCHMARKS.md).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use common::ietfwg;
use ietfwg_test_support::dns_lab::{bulk_name, Bind, MISSING};
use ietfwg_test_support::doh_server::{DohServer, ServerConfig};
use serde_json::Value;

fn bind() -> Option<&'static Bind> {
    static LAB: OnceLock<Option<Bind>> = OnceLock::new();
    LAB.get_or_init(Bind::start).as_ref()
}

/// A query file: `n` bulk names, then `missing` names that do not exist.
fn names_file(n: usize, missing: usize) -> (tempdir::Dir, PathBuf) {
    let dir = tempdir::Dir::new("doh-bench");
    let path = dir.0.join("names.txt");
    let mut text = String::from("# bulk names, then missing ones\n\n");
    for i in 0..n {
        text.push_str(&format!("{} A\n", bulk_name(i)));
    }
    for i in 0..missing {
        text.push_str(&format!("m{i}.{MISSING}\n"));
    }
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

mod tempdir {
    /// A temporary directory removed on Drop.
    pub struct Dir(pub std::path::PathBuf);
    impl Dir {
        pub fn new(what: &str) -> Dir {
            let p = std::env::temp_dir().join(format!(
                "ietfwg-{what}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The NDJSON lines of `doh bench --json`, each checked against its schema.
fn json_lines(out: &[u8]) -> Vec<Value> {
    common::schema_check("doh-bench", out);
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn closed_loop_counts_and_rcodes_against_bind() {
    let Some(b) = bind() else { return };
    let (_dir, names) = names_file(900, 100);
    let ca = b.cacert();
    let out = ietfwg(&[
        "doh",
        "bench",
        &b.doh_url(),
        "-f",
        names.to_str().unwrap(),
        "--count",
        "5000",
        "--concurrency",
        "20",
        "--connections",
        "2",
        "--cacert",
        ca.to_str().unwrap(),
        "--json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v = json_lines(&out.stdout);
    assert_eq!(v.len(), 1);
    let r = &v[0];
    assert_eq!(r["server"], b.doh_url());
    assert_eq!(r["mode"], "closed");
    assert_eq!(r["http"], "HTTP/2");
    assert_eq!(r["method"], "POST");
    assert_eq!(r["sent"], 5000);
    assert_eq!(r["answered"], 5000);
    assert_eq!(r["failed"], 0);
    // The file is cycled: 5 passes over 900 existing and 100 missing names.
    assert_eq!(r["rcodes"]["NOERROR"], 4500, "{r}");
    assert_eq!(r["rcodes"]["NXDOMAIN"], 500, "{r}");
    assert_eq!(r["errors"]["connection"], 0);
    assert_eq!(r["handshakes"]["connections"], 2);
    assert_eq!(r["handshakes"]["tls"], 2);
    let lat = &r["latency_ms"];
    let (p50, p99, max) = (
        lat["p50"].as_f64().unwrap(),
        lat["p99"].as_f64().unwrap(),
        lat["max"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{lat}");
    // The per-second series adds up to the totals.
    let series = r["per_second"].as_array().unwrap();
    let sum = |k: &str| series.iter().map(|s| s[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(
        (sum("sent"), sum("answered"), sum("failed")),
        (5000, 5000, 0)
    );
    assert!(r["achieved_qps"].as_f64().unwrap() > 0.0);
}

#[test]
fn text_report_get_and_http_errors() {
    let Some(b) = bind() else { return };
    let ca = b.cacert();
    let ca = ca.to_str().unwrap();
    let out = ietfwg(&[
        "doh",
        "bench",
        &b.doh_url(),
        "www.example.test",
        "AAAA",
        "--count",
        "300",
        "--get",
        "--cacert",
        ca,
        "--color",
        "never",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("HTTP/2 GET, closed loop, 1 connection × 10 in flight"),
        "{text}"
    );
    assert!(text.contains("sent 300, answered 300, failed 0"), "{text}");
    assert!(text.contains("rcodes      NOERROR 300"), "{text}");
    assert!(text.contains("errors      none"), "{text}");
    assert!(text.contains("p99.9"), "{text}");
    assert!(!text.contains('\x1b'), "no colour in a pipe: {text}");

    // A wrong path: every query is an HTTP 404, counted by phase, exit 1.
    let url = b.doh_url().replace("/dns-query", "/nope");
    let out = ietfwg(&[
        "doh",
        "bench",
        &url,
        "www.example.test",
        "--count",
        "50",
        "--cacert",
        ca,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(
        (r["sent"].as_u64(), r["failed"].as_u64()),
        (Some(50), Some(50))
    );
    assert_eq!(r["errors"]["http_status"], 50, "{r}");
    assert!(
        r["errors"]["first"]["http_status"]
            .as_str()
            .unwrap()
            .contains("404"),
        "{r}"
    );
}

#[test]
fn several_servers_one_table_and_one_object_each() {
    let Some(b) = bind() else { return };
    let ca = b.cacert();
    let ca = ca.to_str().unwrap();
    let tls = b.doh_url();
    let clear = b.http_url();
    let out = ietfwg(&[
        "doh",
        "bench",
        &tls,
        &clear,
        "www.example.test",
        "--count",
        "200",
        "--cacert",
        ca,
        "--color",
        "never",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("server "))
        .collect();
    assert_eq!(table.len(), 3, "{text}");
    assert!(
        table[1].starts_with(&tls) && table[2].starts_with(&clear),
        "{text}"
    );
    assert!(
        table[2].trim_end().ends_with('-'),
        "cleartext: no TLS time: {text}"
    );

    let out = ietfwg(&[
        "doh",
        "bench",
        &tls,
        &clear,
        "www.example.test",
        "--count",
        "100",
        "--cacert",
        ca,
        "--json",
    ]);
    let v = json_lines(&out.stdout);
    assert_eq!(v.len(), 2);
    assert_eq!(
        (v[0]["server"].as_str(), v[1]["server"].as_str()),
        (Some(tls.as_str()), Some(clear.as_str()))
    );
    assert!(v.iter().all(|r| r["answered"] == 100));
    assert_eq!(v[1]["handshakes"]["tls"], 0);
}

#[test]
fn tls_sessions_are_resumed_by_later_connections() {
    let Some(b) = bind() else { return };
    let ca = b.cacert();
    let out = ietfwg(&[
        "doh",
        "bench",
        &b.doh_url(),
        "www.example.test",
        "--count",
        "400",
        "--connections",
        "4",
        "--cacert",
        ca.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(r["handshakes"]["tls"], 4);
    // The first connection's session tickets are awaited before the three others open;
    // TLS 1.3 tickets are single-use and OpenSSL (BIND) sends two per handshake, so two of
    // the three resume.
    let resumed = r["handshakes"]["resumed"].as_u64().unwrap();
    assert!((1..=3).contains(&resumed), "{r}");
}

/// The open loop keeps sending at its rate while every answer takes 300 ms: a closed loop of
/// one would manage 3 q/s; the open loop sends 100 q/s and reports the latency.
#[test]
fn open_loop_keeps_its_rate_when_the_server_is_slow() {
    let server = DohServer::start(ServerConfig {
        delay: Some(Duration::from_millis(300)),
        ..ServerConfig::default()
    });
    let out = ietfwg(&[
        "doh",
        "bench",
        &server.url(),
        "www.example.com",
        "--rate",
        "100",
        "--duration",
        "2",
        "--cacert",
        server.ca_pem_path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(r["mode"], "open");
    assert_eq!(r["offered_qps"], 100.0);
    // 2 s at 100 q/s: 200 due times, each sent (the server recorded them all).
    assert_eq!(r["sent"], 200, "{r}");
    assert_eq!(r["answered"], 200, "{r}");
    assert_eq!(server.requests().len(), 200);
    // Every second of sending sent its 100, whatever the server did.
    let series = r["per_second"].as_array().unwrap();
    assert_eq!(series[0]["sent"], 100, "{r}");
    assert_eq!(series[1]["sent"], 100, "{r}");
    let lat = &r["latency_ms"];
    assert!(lat["p50"].as_f64().unwrap() >= 300.0, "{lat}");
    assert!(lat["max"].as_f64().unwrap() < 2000.0, "{lat}");
    // The sends themselves were on time (the server's slowness does not delay them).
    assert!(r["send_lag_ms"]["p50"].as_f64().unwrap() < 50.0, "{r}");

    // The closed loop against the same server is held back by it: 1 in flight, 1.5 s.
    let out = ietfwg(&[
        "doh",
        "bench",
        &server.url(),
        "www.example.com",
        "--concurrency",
        "1",
        "--duration",
        "1.5",
        "--cacert",
        server.ca_pem_path().to_str().unwrap(),
        "--json",
    ]);
    let r = &json_lines(&out.stdout)[0];
    let sent = r["sent"].as_u64().unwrap();
    assert!((4..=6).contains(&sent), "{r}");
}

#[test]
fn usage_errors() {
    for (args, want) in [
        (
            &["doh", "bench", "https://127.0.0.1:1/dns-query"][..],
            "nothing to ask",
        ),
        (
            &["doh", "bench", "x.test", "https://127.0.0.1:1/q"][..],
            "URLs come first",
        ),
        (
            &[
                "doh",
                "bench",
                "https://127.0.0.1:1/q",
                "-f",
                "/nonexistent",
                "a",
            ][..],
            "not both",
        ),
        (
            &[
                "doh",
                "bench",
                "https://127.0.0.1:1/q",
                "-f",
                "/nonexistent/file",
            ][..],
            "cannot read",
        ),
    ] {
        let out = ietfwg(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    // Nothing listening: a connect error, exit 2.
    let port = ietfwg_test_support::dns_lab::free_port(false);
    let url = format!("https://127.0.0.1:{port}/dns-query");
    let out = ietfwg(&["doh", "bench", &url, "a.test", "--count", "5"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot connect to") && err.contains("Connection refused"),
        "{err}"
    );
}
