//! What HTTP/3 reports beside the answers, as HTTP/2 reports it: the TLS version and cipher
//! suite of the QUIC handshake, whether it resumed an earlier connection's session, and what
//! became of 0-RTT — in `doh query`, `doh batch` and `doh bench` — and `doh check --http3`.
//!
//! Peers: an aioquic HTTP/3 responder (`test-support/python/quic_doh_peer.py`) held to one
//! cipher suite and giving session tickets, whose own record of each handshake (resumed, early
//! data accepted) the client's counts must equal; `doh serve --http3` (quinn, rustls); and
//! hypercorn serving the DoH application over HTTP/3 and HTTP/2, whose `doh check` verdicts must
//! be the same over both.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod serve_lab;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ietfwg_test_support::dns_lab::{self, Bind};
use ietfwg_test_support::hypercorn::{python_with_h3, Hypercorn};
use serde_json::Value;

use common::{assert_exit, doh_batch, doh_query, ietfwg, ndjson, schema_check, stderr, stdout};

/// The tests of this binary take turns: a bench's load must not make another test's QUIC
/// handshake time out on a busy machine.
fn turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// The one JSON line of `out`, checked against `docs/schema/SCHEMA.json`.
fn one(out: &std::process::Output, schema: &str) -> Value {
    assert!(out.status.code().is_some(), "{}", stderr(out));
    schema_check(schema, &out.stdout);
    let mut v = ndjson(out);
    assert_eq!(v.len(), 1, "{}{}", stdout(out), stderr(out));
    v.remove(0)
}

/// The aioquic peer, and the handshakes it has reported so far.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<(bool, bool)>,
    port: u16,
    ca: PathBuf,
    dir: PathBuf,
}

impl Peer {
    /// Starts the peer with `args` (`--tickets`, `--suite NAME`), or None when Python's QUIC
    /// modules are missing (a notice; CI fails instead).
    fn start(args: &[&str]) -> Option<Peer> {
        let python = python_with_h3()?;
        let dir = serve_lab::tempdir("quic-peer");
        let certs = dns_lab::make_certs(&dir);
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-support/python/quic_doh_peer.py");
        let mut child = Command::new(python)
            .arg(&script)
            .arg(&certs.chain)
            .arg(&certs.key)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run python3");
        let stdin = child.stdin.take();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let ready = lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the aioquic peer did not start");
        let port = ready
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{ready:?}"));
        Some(Peer {
            child,
            stdin,
            lines,
            seen: Vec::new(),
            port,
            ca: certs.ca,
            dir,
        })
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/dns-query", self.port)
    }

    /// The handshakes the peer completed since the last call: (resumed, early data accepted).
    fn handshakes(&mut self) -> Vec<(bool, bool)> {
        let before = self.seen.len();
        // The peer prints each line as its handshake completes, before the client's run ends.
        while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(300)) {
            let flag = |k: &str| l.contains(&format!("{k}=True"));
            if l.starts_with("handshake ") {
                self.seen.push((flag("resumed"), flag("early_data")));
            }
        }
        self.seen[before..].to_vec()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn names_file(dir: &Path, names: &[&str]) -> PathBuf {
    let f = dir.join("names");
    std::fs::write(
        &f,
        names.iter().map(|n| format!("{n} A\n")).collect::<String>(),
    )
    .unwrap();
    f
}

/// `doh bench URL -f FILE --count N --connections C --cacert CA --json EXTRA…`.
fn bench(url: &str, ca: &Path, file: &Path, count: u32, conns: u32, extra: &[&str]) -> Value {
    let (count, conns) = (count.to_string(), conns.to_string());
    let mut args = vec![
        "doh",
        "bench",
        url,
        "-f",
        file.to_str().unwrap(),
        "--count",
        &count,
        "--connections",
        &conns,
        "--cacert",
        ca.to_str().unwrap(),
        "--json",
    ];
    args.extend(extra);
    let out = ietfwg(&args);
    assert_exit(&out, 0);
    let r = one(&out, "doh-bench");
    assert_eq!(r["failed"], 0, "{r}");
    r
}

#[test]
fn suite_resumption_and_zero_rtt_agree_with_the_aioquic_peers_own_record() {
    let _turn = turn();
    let Some(mut peer) = Peer::start(&["--tickets", "--suite", "CHACHA20_POLY1305_SHA256"]) else {
        return;
    };
    let (url, ca) = (peer.url(), peer.ca.clone());
    // One query: the suite the peer was held to, a full handshake.
    let v = one(
        &doh_query(&url, &ca, "a.test", "A", &["--http3", "--tls", "--json"]),
        "doh-query",
    );
    assert_eq!(v["answers"][0]["data"], "192.0.2.53", "{v}");
    assert_eq!(v["tls"]["version"], "TLSv1.3", "{v}");
    assert_eq!(
        v["tls"]["cipher_suite"], "TLS_CHACHA20_POLY1305_SHA256",
        "{v}"
    );
    assert_eq!(v["timing"]["resumed"], false, "{v}");
    assert_eq!(peer.handshakes(), vec![(false, false)]);

    // --0rtt: a first connection fetches a ticket, the second resumes it and sends the GET
    // in early data; the peer saw exactly that.
    let v = one(
        &doh_query(
            &url,
            &ca,
            "a.test",
            "A",
            &["--http3", "--get", "--0rtt", "--tls", "--json"],
        ),
        "doh-query",
    );
    assert_eq!(v["timing"]["resumed"], true, "{v}");
    assert_eq!(v["timing"]["zero_rtt"], "accepted", "{v}");
    assert_eq!(
        v["tls"]["cipher_suite"], "TLS_CHACHA20_POLY1305_SHA256",
        "{v}"
    );
    assert_eq!(peer.handshakes(), vec![(false, false), (true, true)]);
    let out = doh_query(
        &url,
        &ca,
        "a.test",
        "A",
        &["--http3", "--get", "--0rtt", "--timing"],
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains(";;   resumed        yes: the session of an earlier connection"),
        "{text}"
    );
    assert!(text.contains(";;   0-RTT          accepted"), "{text}");
    peer.handshakes();

    // bench over 4 connections with --0rtt: the counts are the peer's. (aioquic gives one
    // ticket per connection and rustls uses each once, so not every later connection resumes.)
    let dir = serve_lab::tempdir("h3more-bench");
    let file = names_file(&dir, &["a.test", "b.test", "c.test"]);
    let r = bench(&url, &ca, &file, 400, 4, &["--http3", "--get", "--0rtt"]);
    let seen = peer.handshakes();
    assert_eq!(seen.len(), 4, "{seen:?}");
    let h = &r["handshakes"];
    let count = |f: &dyn Fn(&(bool, bool)) -> bool| seen.iter().filter(|s| f(s)).count();
    assert_eq!(h["tls"], 4, "{r}");
    assert_eq!(h["resumed"], count(&|s| s.0), "{r} vs the peer's {seen:?}");
    assert_eq!(h["zero_rtt_accepted"], count(&|s| s.1), "{r} vs {seen:?}");
    assert_eq!(h["zero_rtt_attempted"], h["zero_rtt_accepted"], "{r}");
    assert!(h["resumed"].as_u64().unwrap() >= 1, "{r}");
    assert_eq!(h["version"], "TLSv1.3", "{r}");
    assert_eq!(h["cipher_suite"], "TLS_CHACHA20_POLY1305_SHA256", "{r}");

    // batch over 2 connections: the second resumes the first's ticket, and says so.
    let input = "a.test A\nb.test A\nc.test A\nd.test A\n".repeat(10);
    let out = doh_batch(
        &url,
        &ca,
        &input,
        &["--http3", "--get", "--0rtt", "--connections", "2"],
    );
    assert_exit(&out, 0);
    schema_check("doh-batch", &out.stdout);
    let err = stderr(&out);
    assert!(
        err.contains(
            "connections: 2 (1 resumed), 0-RTT: 1 of 2 connections sent early data, the server \
             accepted 1 (1 had no session ticket allowing it: a full handshake)"
        ),
        "{err}"
    );
    assert_eq!(peer.handshakes(), vec![(false, false), (true, true)]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn without_tickets_nothing_resumes_and_no_early_data_is_sent() {
    let _turn = turn();
    let Some(mut peer) = Peer::start(&[]) else {
        return;
    };
    let dir = serve_lab::tempdir("h3more-notickets");
    let file = names_file(&dir, &["a.test"]);
    let r = bench(
        &peer.url(),
        &peer.ca,
        &file,
        100,
        3,
        &["--http3", "--get", "--0rtt"],
    );
    let h = &r["handshakes"];
    assert_eq!(
        (&h["tls"], &h["resumed"], &h["zero_rtt_attempted"]),
        (&Value::from(3), &Value::from(0), &Value::from(0)),
        "{r}"
    );
    assert_eq!(peer.handshakes(), vec![(false, false); 3]);
    // The text says why no early data went.
    let out = ietfwg(&[
        "doh",
        "bench",
        &peer.url(),
        "-f",
        file.to_str().unwrap(),
        "--count",
        "50",
        "--connections",
        "2",
        "--cacert",
        peer.ca.to_str().unwrap(),
        "--http3",
        "--get",
        "--0rtt",
    ]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    eprintln!("example: ietfwg doh bench URL -f names --count 50 --connections 2 --http3 --get --0rtt\n{text}");
    assert!(text.contains("(TLS 1.3 inside, 0 resumed)"), "{text}");
    assert!(
        text.contains(
            "0-rtt       0 of 2 connections sent early data, the server accepted 0 (2 had no \
             session ticket allowing it: a full handshake)"
        ),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn doh_serve_http3_resumes_as_its_http2_does_and_names_the_same_suite() {
    let _turn = turn();
    if python_with_h3().is_none() {
        return;
    }
    let s = serve_lab::start(&["--http3"]);
    let dir = serve_lab::tempdir("h3more-serve");
    let file = names_file(&dir, &["www.lab.test", "short.lab.test"]);
    let h2 = bench(&s.url(), &s.cacert(), &file, 300, 3, &[]);
    let h3 = bench(&s.url(), &s.cacert(), &file, 300, 3, &["--http3"]);
    assert_eq!(h2["http"], "HTTP/2", "{h2}");
    assert_eq!(h3["http"], "HTTP/3", "{h3}");
    // rustls's server gives two tickets per connection: both later connections resume, over
    // TCP and over QUIC alike.
    for r in [&h2, &h3] {
        assert_eq!(r["handshakes"]["resumed"], 2, "{r}");
        assert_eq!(r["handshakes"]["zero_rtt_attempted"], 0, "{r}");
        assert_eq!(r["handshakes"]["version"], "TLSv1.3", "{r}");
    }
    assert_eq!(
        h3["handshakes"]["cipher_suite"], h2["handshakes"]["cipher_suite"],
        "the same server, the same name: {h2} {h3}"
    );
    assert!(
        h3["handshakes"]["cipher_suite"]
            .as_str()
            .unwrap()
            .starts_with("TLS_AES_"),
        "{h3}"
    );
    let z = bench(
        &s.url(),
        &s.cacert(),
        &file,
        300,
        3,
        &["--http3", "--get", "--0rtt"],
    );
    assert_eq!(z["handshakes"]["zero_rtt_attempted"], 2, "{z}");
    assert_eq!(z["handshakes"]["zero_rtt_accepted"], 2, "{z}");
    assert_eq!(z["handshakes"]["resumed"], 2, "{z}");
    // query --tls over HTTP/3 names the suite too (it was empty before).
    let v = one(
        &doh_query(
            &s.url(),
            &s.cacert(),
            "www.lab.test",
            "A",
            &["--http3", "--tls", "--json"],
        ),
        "doh-query",
    );
    assert_eq!(
        v["tls"]["cipher_suite"], h2["handshakes"]["cipher_suite"],
        "{v}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// `doh check URL --json EXTRA…`: the clause records by name, and the exit code.
fn check(url: &str, ca: &Path, name: &str, extra: &[&str]) -> (Vec<Value>, Option<i32>) {
    let mut args = vec![
        "doh",
        "check",
        url,
        "--name",
        name,
        "--cacert",
        ca.to_str().unwrap(),
        "--json",
    ];
    args.extend(extra);
    let out = ietfwg(&args);
    schema_check("doh-check", &out.stdout);
    let v = ndjson(&out);
    assert_eq!(v.len(), 15, "{}{}", stdout(&out), stderr(&out));
    (v, out.status.code())
}

fn verdict<'a>(v: &'a [Value], clause: &str) -> &'a Value {
    &v.iter().find(|c| c["clause"] == clause).unwrap()["verdict"]
}

#[test]
fn doh_check_over_http3_against_doh_serve() {
    let _turn = turn();
    if python_with_h3().is_none() {
        return;
    }
    let s = serve_lab::start(&["--http3"]);
    let (v, code) = check(&s.url(), &s.cacert(), "www.lab.test", &["--http3"]);
    assert_eq!(code, Some(0), "{v:?}");
    for c in &v {
        let want = match c["clause"].as_str().unwrap() {
            "http2" | "large_response" => "N/A",
            _ => "PASS",
        };
        assert_eq!(c["verdict"], want, "{c}");
        let shows_response = [
            "post",
            "get",
            "id_zero",
            "unsupported_media_type",
            "malformed_dns_param",
            "padding",
            "head",
            "options",
        ];
        if shows_response.contains(&c["clause"].as_str().unwrap()) {
            assert!(
                c["received"].as_str().unwrap().contains("HTTP/3"),
                "every request went over HTTP/3: {c}"
            );
        }
    }
    let http2 = v.iter().find(|c| c["clause"] == "http2").unwrap();
    assert_eq!(http2["received"], "HTTP/3", "{http2}");
    assert!(
        http2["note"].as_str().unwrap().contains("without --http3"),
        "{http2}"
    );
    let tls = v.iter().find(|c| c["clause"] == "tls").unwrap();
    assert!(
        tls["received"]
            .as_str()
            .unwrap()
            .starts_with("TLSv1.3 TLS_AES_"),
        "{tls}"
    );
    // The log says the requests came over HTTP/3.
    let log = std::fs::read_to_string(s.log()).unwrap();
    let versions: Vec<&str> = log
        .lines()
        .filter_map(|l| l.split("\"version\":\"").nth(1))
        .filter_map(|v| v.split('"').next())
        .collect();
    assert!(versions.len() >= 5, "{log}");
    assert!(versions.iter().all(|v| *v == "HTTP/3"), "{log}");
    // A certificate the client does not trust: tls FAILs, the rest is still checked over
    // HTTP/3 (without verification).
    let other = serve_lab::start(&[]);
    let (v, code) = check(&s.url(), &other.cacert(), "www.lab.test", &["--http3"]);
    assert_eq!(code, Some(1), "{v:?}");
    assert_eq!(verdict(&v, "tls"), "FAIL");
    assert_eq!(verdict(&v, "post"), "PASS");
    assert_eq!(verdict(&v, "get"), "PASS");
}

#[test]
fn doh_check_gives_hypercorns_app_the_same_verdicts_over_http3_as_over_http2() {
    let _turn = turn();
    let Some(bind) = Bind::start() else {
        return;
    };
    let Some(hc) = Hypercorn::start(bind.dns_port()) else {
        return;
    };
    let name = dns_lab::RECORDS[0].0;
    let (h3, _) = check(&hc.h3_url(), &hc.cacert(), name, &["--http3"]);
    let (h2, _) = check(&hc.h2_url(), &hc.cacert(), name, &[]);
    assert_eq!(verdict(&h3, "http2"), "N/A");
    assert_eq!(verdict(&h2, "http2"), "PASS");
    assert_eq!(verdict(&h3, "post"), "PASS", "{h3:?}\n{}", hc.log());
    assert_eq!(verdict(&h3, "get"), "PASS", "{h3:?}");
    for (a, b) in h3.iter().zip(&h2) {
        eprintln!(
            "{:<24} HTTP/3 {:<5} HTTP/2 {:<5} {}",
            a["clause"].as_str().unwrap(),
            a["verdict"].as_str().unwrap(),
            b["verdict"].as_str().unwrap(),
            b["received"]
        );
    }
    // Where both versions got their responses, one application gives one verdict. (hypercorn's
    // HTTP/2 side closes the connection after the GET whose ?dns= is not a DNS message, so the
    // clauses after it have no HTTP/2 response to judge; its HTTP/3 side goes on.)
    let mut compared = 0;
    for (a, b) in h3.iter().zip(&h2) {
        assert_eq!(a["clause"], b["clause"]);
        let answered = |c: &Value| !c["received"].as_str().unwrap().starts_with("no response");
        if a["clause"] != "http2" && answered(a) && answered(b) {
            assert_eq!(
                a["verdict"], b["verdict"],
                "one application, two HTTP versions:\nHTTP/3 {a}\nHTTP/2 {b}"
            );
            compared += 1;
        }
    }
    assert!(compared >= 10, "{compared} clauses compared");
    // Over HTTP/3 every clause had its response: the application's 405 carries no Allow.
    assert!(h3
        .iter()
        .all(|c| !c["received"].as_str().unwrap().starts_with("no response")));
    let head = h3.iter().find(|c| c["clause"] == "head").unwrap();
    assert_eq!(head["verdict"], "FAIL", "{head}");
    assert!(
        head["received"].as_str().unwrap().contains("HTTP/3 405"),
        "{head}"
    );
}
