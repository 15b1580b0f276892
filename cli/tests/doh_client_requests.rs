//! What `ietfwg doh query|batch` puts on the wire, proven by an in-process DoH server that
//! records every request (test-support `DohServer`): ID 0, EDNS(0) padding to a multiple of
//! 128 octets (RFC 8467), the RFC 8484 headers, base64url without padding for GET, no
//! User-Agent unless asked (RFC 8484 §8), `-H`, HTTP/2 by default and HTTP/1.1 on request,
//! one connection per command — and how the client judges what comes back (status, content
//! type, DNS ID, the §5.1 cache rule, timeouts).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::process::{Command, Output};

use common::{assert_exit, assert_fails_with, ietfwg, stderr, stdout};

use base64::Engine as _;
use hickory_proto::op::{Message, MessageType, Query};
use hickory_proto::rr::rdata::opt::EdnsCode;
use hickory_proto::rr::{Name, RecordType};
use ietfwg_test_support::doh_server::{echo_answer, DohServer, Recorded, ServerConfig};
use serde_json::Value;

/// `ietfwg doh query NAME TYPE --server URL --cacert CA EXTRA…` against `server`.
fn query(server: &DohServer, name: &str, qtype: &str, extra: &[&str]) -> Output {
    common::doh_query(&server.url(), server.ca_pem_path(), name, qtype, extra)
}

/// The one JSON object of `query --json`.
fn json(o: &Output) -> Value {
    let lines = common::ndjson(o);
    assert_eq!(lines.len(), 1, "one JSON object expected: {}", stdout(o));
    lines.into_iter().next().unwrap()
}

fn only_request(server: &DohServer) -> Recorded {
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "requests: {reqs:#?}");
    reqs.into_iter().next().unwrap()
}

fn parse(wire: &[u8]) -> Message {
    Message::from_vec(wire).unwrap_or_else(|e| panic!("not a DNS message ({e}): {wire:02x?}"))
}

/// A DNS query made independently of the binary, for Fixed responders.
fn reference_query(name: &str) -> Vec<u8> {
    let mut m = Message::new();
    m.set_id(0)
        .set_message_type(MessageType::Query)
        .set_recursion_desired(true)
        .add_query(Query::query(Name::from_ascii(name).unwrap(), RecordType::A));
    m.to_vec().unwrap()
}

fn fixed(status: u16, content_type: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> DohServer {
    DohServer::start(ServerConfig::fixed(status, content_type, body, headers))
}

#[test]
fn post_by_default_with_id_0_padding_and_rfc8484_headers() {
    let server = DohServer::start(ServerConfig::default());
    let out = query(&server, "www.example.test", "AAAA", &[]);
    assert_exit(&out, 0);
    let r = only_request(&server);
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/dns-query");
    assert_eq!(r.query, None);
    assert_eq!(r.version, "HTTP/2");
    assert_eq!(r.header("content-type"), Some("application/dns-message"));
    assert_eq!(r.header("accept"), Some("application/dns-message"));
    assert_eq!(
        r.header("user-agent"),
        None,
        "no User-Agent by default (RFC 8484 §8)"
    );

    let wire = &r.body;
    assert_eq!(wire.len() % 128, 0, "query of {} octets", wire.len());
    assert_eq!(&wire[0..2], &[0, 0], "DNS ID 0 (RFC 8484 §4.1)");
    let m = parse(wire);
    assert_eq!(m.message_type(), MessageType::Query);
    assert!(m.recursion_desired());
    assert!(!m.checking_disabled());
    assert_eq!(m.queries().len(), 1);
    assert_eq!(m.queries()[0].name().to_ascii(), "www.example.test.");
    assert_eq!(m.queries()[0].query_type(), RecordType::AAAA);
    let edns = m.extensions().as_ref().expect("EDNS(0) by default");
    assert!(!edns.flags().dnssec_ok);
    assert!(
        edns.option(EdnsCode::Padding).is_some(),
        "RFC 7830 padding option"
    );
}

#[test]
fn get_sends_base64url_without_padding() {
    let server = DohServer::start(ServerConfig::default());
    let out = query(&server, "www.example.test", "A", &["--get"]);
    assert_exit(&out, 0);
    let r = only_request(&server);
    assert_eq!(r.method, "GET");
    assert!(r.body.is_empty());
    assert_eq!(r.header("accept"), Some("application/dns-message"));
    let dns = r.param("dns").expect("dns parameter");
    assert!(
        dns.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
        "base64url alphabet only, no '=': {dns}"
    );
    let wire = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(dns)
        .expect("base64url without padding");
    assert_eq!(wire.len() % 128, 0);
    assert_eq!(&wire[0..2], &[0, 0]);
    // The query string is the dns parameter alone.
    assert_eq!(r.query.as_deref(), Some(format!("dns={dns}").as_str()));
    assert_eq!(
        parse(&wire).queries()[0].name().to_ascii(),
        "www.example.test."
    );
}

#[test]
fn extra_headers_and_user_agent_only_when_asked() {
    let server = DohServer::start(ServerConfig::default());
    let out = query(
        &server,
        "www.example.test",
        "A",
        &[
            "-H",
            "X-Lab: one",
            "--header",
            "X-Other:two",
            "--user-agent",
            "ietfwg-test/1.0",
        ],
    );
    assert_exit(&out, 0);
    let r = only_request(&server);
    assert_eq!(r.header("x-lab"), Some("one"));
    assert_eq!(r.header("x-other"), Some("two"));
    assert_eq!(r.header("user-agent"), Some("ietfwg-test/1.0"));

    let bad = query(&server, "www.example.test", "A", &["-H", "no colon here"]);
    assert_fails_with(&bad, 2, "Name: value");
}

#[test]
fn http2_by_default_http11_on_request() {
    let server = DohServer::start(ServerConfig::default());
    let out = query(&server, "www.example.test", "A", &["--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["http"]["version"], "HTTP/2");
    let out = query(&server, "www.example.test", "A", &["--json", "--http1.1"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["http"]["version"], "HTTP/1.1");
    let versions: Vec<String> = server.requests().into_iter().map(|r| r.version).collect();
    assert_eq!(versions, ["HTTP/2", "HTTP/1.1"]);
    // Each query command opened exactly one connection.
    assert_eq!(server.connections(), 2);
}

#[test]
fn http11_against_a_server_that_speaks_only_http11() {
    let server = DohServer::start(ServerConfig {
        http2: false,
        ..ServerConfig::default()
    });
    let out = query(&server, "www.example.test", "A", &["--http1.1", "--short"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim(), "192.0.2.1");
    // Without --http1.1 the client asks for h2 only: a clear error, not a hang.
    let out = query(&server, "www.example.test", "A", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).to_ascii_lowercase().contains("alpn"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn query_flags_reach_the_wire() {
    let server = DohServer::start(ServerConfig::default());
    let out = query(
        &server,
        "www.example.test",
        "TXT",
        &["--do", "--cd", "--no-rd"],
    );
    assert_exit(&out, 0);
    let m = parse(&only_request(&server).body);
    assert!(!m.recursion_desired());
    assert!(m.checking_disabled());
    assert!(m.extensions().as_ref().expect("EDNS").flags().dnssec_ok);
    assert_eq!(m.queries()[0].query_type(), RecordType::TXT);
}

#[test]
fn no_pad_sends_no_padding_option() {
    let server = DohServer::start(ServerConfig::default());
    let out = query(&server, "www.example.test", "A", &["--no-pad"]);
    assert_exit(&out, 0);
    let r = only_request(&server);
    let m = parse(&r.body);
    let edns = m.extensions().as_ref().expect("EDNS stays on");
    assert!(edns.option(EdnsCode::Padding).is_none());
    assert_ne!(
        r.body.len() % 128,
        0,
        "unpadded query of {} octets",
        r.body.len()
    );
}

#[test]
fn json_output_holds_question_answer_http_and_timing() {
    let server = DohServer::start(ServerConfig::default());
    let out = query(
        &server,
        "www.example.test",
        "A",
        &["--json", "--resolve", "localhost:127.0.0.1"],
    );
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["rcode"], "NOERROR");
    assert_eq!(v["method"], "POST");
    assert_eq!(v["answers"][0]["data"], "192.0.2.1");
    assert_eq!(v["answers"][0]["ttl"], 300);
    assert_eq!(v["question"][0]["name"], "www.example.test.");
    assert_eq!(v["http"]["status"], 200);
    assert_eq!(
        v["http"]["headers"]["content-type"],
        "application/dns-message"
    );
    assert_eq!(v["http"]["headers"]["cache-control"], "max-age=300");
    // --resolve gave the address: no DNS lookup was timed.
    assert!(v["timing"]["dns_ms"].is_null(), "{}", v["timing"]);
    assert!(v["timing"]["tls_ms"].as_f64().is_some());
    assert!(v["timing"]["ttfb_ms"].as_f64().is_some());
    assert!(v["tls"].is_null(), "TLS details only with --tls");
    assert_eq!(v["cache"]["lifetime"], 300);
    assert_eq!(v["cache"]["min_ttl"], 300);
    assert_eq!(v["cache"]["exceeds"], false);
    // The ID the Echo server returns is ours: no note.
    assert!(!stderr(&out).contains("DNS ID"), "{}", stderr(&out));
}

#[test]
fn another_response_id_is_accepted_with_a_note() {
    let mut answer = echo_answer(&reference_query("www.example.test.")).unwrap();
    answer[0..2].copy_from_slice(&0x1234u16.to_be_bytes());
    let server = fixed(
        200,
        "application/dns-message",
        answer,
        &[("cache-control", "max-age=300")],
    );
    let out = query(&server, "www.example.test", "A", &["--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["id"], 0x1234);
    let err = stderr(&out);
    assert!(err.contains("DNS ID") && err.contains("4660"), "{err}");
    assert!(err.contains("RFC 8484"), "{err}");
}

#[test]
fn http_error_is_reported_not_parsed_as_dns() {
    let server = fixed(
        503,
        "text/plain",
        b"server overloaded, try later\n".to_vec(),
        &[],
    );
    let out = query(&server, "www.example.test", "A", &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("503") && err.contains("server overloaded"),
        "{err}"
    );
    assert!(!stdout(&out).contains("ANSWER"), "{}", stdout(&out));

    let out = query(&server, "www.example.test", "A", &["--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["http"]["status"], 503);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("503"),
        "{v}"
    );
    assert!(
        v.get("rcode").is_none(),
        "no DNS fields for an HTTP error: {v}"
    );
}

#[test]
fn wrong_content_type_is_a_failed_check() {
    let server = fixed(200, "text/html", b"<html>hello</html>".to_vec(), &[]);
    let out = query(&server, "www.example.test", "A", &[]);
    assert_fails_with(&out, 1, "text/html");
}

#[test]
fn cache_lifetime_beyond_the_ttl_is_a_finding() {
    let answer = echo_answer(&reference_query("www.example.test.")).unwrap(); // TTL 300
    let server = fixed(
        200,
        "application/dns-message",
        answer.clone(),
        &[("cache-control", "public, max-age=3600")],
    );
    let out = query(&server, "www.example.test", "A", &["--json"]);
    assert_exit(&out, 1);
    let v = json(&out);
    assert_eq!(v["rcode"], "NOERROR");
    assert_eq!(v["cache"]["lifetime"], 3600);
    assert_eq!(v["cache"]["min_ttl"], 300);
    assert_eq!(v["cache"]["exceeds"], true);
    assert!(stderr(&out).contains("exceeds"), "{}", stderr(&out));

    let out = query(&server, "www.example.test", "A", &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("HTTP freshness lifetime 3600 s, smallest TTL 300 s"),
        "{text}"
    );

    // Age counts: max-age 3600 with Age 3400 leaves 200 s, within the TTL.
    let server = fixed(
        200,
        "application/dns-message",
        answer,
        &[("cache-control", "max-age=3600"), ("age", "3400")],
    );
    let out = query(&server, "www.example.test", "A", &["--json"]);
    assert_exit(&out, 0);
    let v = json(&out);
    assert_eq!(v["cache"]["lifetime"], 200);
    assert_eq!(v["cache"]["exceeds"], false);
}

#[test]
fn json_api_maps_to_the_same_answer() {
    let server = DohServer::start(ServerConfig::default());
    let out = query(&server, "www.example.test", "A", &["--json-api", "--json"]);
    assert_exit(&out, 0);
    let r = only_request(&server);
    assert_eq!(r.method, "GET");
    assert_eq!(r.header("accept"), Some("application/dns-json"));
    assert_eq!(r.param("name"), Some("www.example.test"));
    assert!(r.param("dns").is_none());
    let v = json(&out);
    assert_eq!(v["rcode"], "NOERROR");
    assert_eq!(v["answers"][0]["data"], "192.0.2.1");
    assert_eq!(v["method"], "GET (JSON API)");
}

#[test]
fn timeout_is_a_clear_error() {
    let server = DohServer::start(ServerConfig {
        delay: Some(std::time::Duration::from_secs(5)),
        ..ServerConfig::default()
    });
    let out = query(&server, "www.example.test", "A", &["--timeout", "0.5"]);
    assert_fails_with(&out, 2, "timed out");
}

#[test]
fn insecure_works_without_the_ca_and_warns() {
    let server = DohServer::start(ServerConfig::default());
    let url = server.url();
    let out = ietfwg(&[
        "doh",
        "query",
        "www.example.test",
        "--server",
        &url,
        "--insecure",
        "--short",
    ]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).trim(), "192.0.2.1");
    assert!(stderr(&out).contains("--insecure"), "{}", stderr(&out));
}

#[test]
fn server_from_the_environment() {
    let server = DohServer::start(ServerConfig::default());
    let ca = server.ca_pem_path().to_string_lossy().into_owned();
    let out = Command::new(env!("CARGO_BIN_EXE_ietfwg"))
        .args([
            "doh",
            "query",
            "www.example.test",
            "--cacert",
            &ca,
            "--short",
        ])
        .env("IETFWG_DOH_SERVER", server.url())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(server.requests().len(), 1);
}

/// `batch` input: N names, a comment and a blank line.
fn batch_input(n: usize) -> String {
    let mut s = String::from("# names to ask\n\n");
    for i in 0..n {
        s.push_str(&format!(
            "h{i}.example.test {}\n",
            if i % 2 == 0 { "A" } else { "AAAA" }
        ));
    }
    s
}

fn batch(server: &DohServer, input: &str, extra: &[&str]) -> Output {
    common::doh_batch(&server.url(), server.ca_pem_path(), input, extra)
}

#[test]
fn batch_uses_one_connection_and_keeps_input_order() {
    let server = DohServer::start(ServerConfig::default());
    let out = batch(&server, &batch_input(300), &["--concurrency", "16"]);
    assert_exit(&out, 0);
    assert_eq!(
        server.connections(),
        1,
        "one TCP connection for the whole batch"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), 300);
    assert!(reqs
        .iter()
        .all(|r| r.version == "HTTP/2" && r.method == "POST"));
    assert!(reqs
        .iter()
        .all(|r| r.body.len() % 128 == 0 && r.body[0..2] == [0, 0]));
    let lines = common::ndjson(&out);
    assert_eq!(lines.len(), 300);
    for (i, v) in lines.iter().enumerate() {
        assert_eq!(v["line"], i + 3, "input order: {v}");
        assert_eq!(v["name"], format!("h{i}.example.test"));
        assert_eq!(v["rcode"], "NOERROR");
        assert_eq!(v["answers"][0]["data"], "192.0.2.1");
        assert!(v["error"].is_null());
    }
    let err = stderr(&out);
    assert!(
        err.contains("sent 300") && err.contains("connections: 1"),
        "{err}"
    );
}

#[test]
fn batch_over_http11_and_get_still_one_connection() {
    let server = DohServer::start(ServerConfig::default());
    let out = batch(
        &server,
        &batch_input(40),
        &["--http1.1", "--get", "--unordered"],
    );
    assert_exit(&out, 0);
    assert_eq!(server.connections(), 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 40);
    assert!(reqs
        .iter()
        .all(|r| r.version == "HTTP/1.1" && r.method == "GET"));
    let mut lines: Vec<u64> = common::ndjson(&out)
        .iter()
        .map(|v| v["line"].as_u64().unwrap())
        .collect();
    lines.sort_unstable();
    assert_eq!(lines, (3..43).collect::<Vec<u64>>());
}

#[test]
fn batch_reports_bad_lines_by_number() {
    let server = DohServer::start(ServerConfig::default());
    let input = "www.example.test A\nwww.example.test NOSUCHTYPE\na b c\nok.example.test\n";
    let out = batch(&server, input, &[]);
    assert_exit(&out, 1);
    let lines = common::ndjson(&out);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["rcode"], "NOERROR");
    assert!(
        lines[1]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 2:"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("NOSUCHTYPE"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2]["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 3:"),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3]["qtype"], "A");
    assert_eq!(lines[3]["rcode"], "NOERROR");
    assert_eq!(server.requests().len(), 2, "bad lines are not sent");
    let err = stderr(&out);
    assert!(err.contains("sent 2") && err.contains("errors 2"), "{err}");
}

#[test]
fn batch_http_errors_are_per_line() {
    let server = fixed(404, "text/plain", b"not here".to_vec(), &[]);
    let out = batch(&server, "a.example.test\nb.example.test\n", &[]);
    assert_eq!(out.status.code(), Some(1));
    let lines = common::ndjson(&out);
    assert_eq!(lines.len(), 2);
    for v in &lines {
        assert_eq!(v["status"], 404);
        assert!(v["rcode"].is_null());
        assert!(
            v["error"]["message"].as_str().unwrap().contains("404"),
            "{v}"
        );
    }
}
