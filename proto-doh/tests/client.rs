//! The DoH client against real servers on loopback: the in-process [`DohServer`] (which
//! records what it receives), raw sockets that accept and never answer, and curl as an
//! independent client of the same server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use ietfwg_doh::client::{
    Client, ClientConfig, ClientError, HttpVersion, Method, Response, MAX_BODY,
};
use ietfwg_test_support::doh_server::{DohServer, ServerConfig, TestPki};
use ietfwg_test_support::shared::program;

/// A query for www.example.com A with the given ID, RD, and an OPT record padded to 128
/// octets (RFC 8467), written out so that these tests depend on the client alone.
fn query_id(id: u16) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    q.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
    // OPT: root, type 41, payload 1232, TTL 0, RDLEN, padding option 12.
    let pad = 128 - (q.len() + 11 + 4);
    q.extend_from_slice(&[0, 0, 41, 4, 0xd0, 0, 0, 0, 0]);
    q.extend_from_slice(&u16::try_from(4 + pad).unwrap().to_be_bytes());
    q.extend_from_slice(&[0, 12]);
    q.extend_from_slice(&u16::try_from(pad).unwrap().to_be_bytes());
    q.extend(std::iter::repeat_n(0u8, pad));
    assert_eq!(q.len(), 128);
    q
}

fn query() -> Vec<u8> {
    query_id(0)
}

fn trusting(server: &DohServer) -> ClientConfig {
    let mut cfg = ClientConfig::new(&server.url());
    cfg.cacert = Some(server.ca_pem_path().to_path_buf());
    cfg
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn connect_err(cfg: ClientConfig) -> ClientError {
    match rt().block_on(Client::connect(cfg)) {
        Ok(c) => panic!("connected to {c:?}, expected an error"),
        Err(e) => e,
    }
}

/// Connects with `cfg` and sends `wire` once: the client (for what connecting learned: the
/// TLS session, the timing, the HTTP version) and the outcome of the query.
fn query_once(
    cfg: ClientConfig,
    wire: &[u8],
    method: Method,
) -> (Client, Result<Response, ClientError>) {
    rt().block_on(async {
        let client = Client::connect(cfg).await.unwrap();
        let outcome = client.query(wire, method).await;
        (client, outcome)
    })
}

/// Sends every `(key, query, method)` at once over `client`: the outcomes, keyed, in the order
/// they complete.
async fn all_at_once<K: Send + 'static>(
    client: &Client,
    queries: impl IntoIterator<Item = (K, Vec<u8>, Method)>,
) -> Vec<(K, Result<Response, ClientError>)> {
    let mut set = tokio::task::JoinSet::new();
    for (key, wire, method) in queries {
        let c = client.clone();
        set.spawn(async move { (key, c.query(&wire, method).await) });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.unwrap());
    }
    out
}

/// The echo's answer: our ID, QR set, one A 192.0.2.1 and the OPT record back.
fn assert_echo(body: &[u8], id: u16) {
    assert_eq!(&body[..2], &id.to_be_bytes());
    assert_eq!(body[2] & 0x80, 0x80, "QR");
    assert!(
        body.ends_with(&[192, 0, 2, 1, 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]),
        "{body:02x?}"
    );
}

#[test]
fn post_over_http2_reaches_the_server_as_sent() {
    let server = DohServer::start(ServerConfig::default());
    let q = query();
    let (client, resp) = query_once(trusting(&server), &q, Method::Post);
    let resp = resp.unwrap();
    assert_eq!(client.http_version(), HttpVersion::Http2);
    assert_eq!(client.tls().unwrap().alpn.as_deref(), Some("h2"));
    let timing = client.connect_timing();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.version, HttpVersion::Http2);
    assert_eq!(resp.header("content-type"), Some("application/dns-message"));
    assert_eq!(
        resp.content_type().as_deref(),
        Some("application/dns-message")
    );
    assert_eq!(resp.header("Cache-Control"), Some("max-age=300"));
    assert!(resp
        .headers
        .iter()
        .all(|(n, _)| *n == n.to_ascii_lowercase()));
    assert_echo(&resp.body, 0);
    assert!(resp.ttfb <= resp.total);
    // "localhost" is looked up; TCP and TLS happened.
    assert!(timing.dns.is_some());
    assert!(timing.tls.is_some());

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/dns-query");
    assert_eq!(r.query, None);
    assert_eq!(r.version, "HTTP/2");
    let authority = format!("localhost:{}", server.port());
    assert_eq!(r.authority.as_deref(), Some(authority.as_str()));
    assert_eq!(r.header("accept"), Some("application/dns-message"));
    assert_eq!(r.header("content-type"), Some("application/dns-message"));
    assert_eq!(r.header("content-length"), Some("128"));
    assert_eq!(
        r.header("user-agent"),
        None,
        "no User-Agent unless asked (RFC 8484 §8)"
    );
    assert_eq!(r.body, q);
}

#[test]
fn get_carries_base64url_without_padding() {
    let server = DohServer::start(ServerConfig::default());
    let q = query();
    // Octets whose base64 uses the two characters where base64url differs (62 and 63), and
    // a length that standard base64 pads.
    let odd = [0xfb, 0xff, 0xbf, 0xfe, 0x00];
    let (resp, odd_resp) = rt().block_on(async {
        let client = Client::connect(trusting(&server)).await.unwrap();
        (
            client.query(&q, Method::Get).await.unwrap(),
            client.query(&odd, Method::Get).await.unwrap(),
        )
    });
    assert_eq!(resp.status, 200);
    assert_echo(&resp.body, 0);
    // Not a DNS message: the server says 400 and that is a response, not a client error.
    assert_eq!(odd_resp.status, 400);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let r = &reqs[0];
    assert_eq!(r.method, "GET");
    assert_eq!(r.path, "/dns-query");
    let dns = r.param("dns").unwrap();
    assert_eq!(r.query.as_deref(), Some(format!("dns={dns}").as_str()));
    assert_eq!(
        dns.len(),
        171,
        "128 octets are 171 base64url characters unpadded"
    );
    assert!(!dns.contains('='));
    assert_eq!(r.dns_message().unwrap(), q);
    assert_eq!(r.header("accept"), Some("application/dns-message"));
    assert_eq!(r.header("content-type"), None, "a GET has no body");
    assert!(r.body.is_empty());
    assert_eq!(reqs[1].param("dns"), Some("-_-__gA"));
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(odd),
        "+/+//gA=",
        "the same octets in standard base64, for contrast"
    );
}

#[test]
fn http1_1_when_asked_serialised_on_one_connection() {
    let server = DohServer::start(ServerConfig::default());
    let mut cfg = trusting(&server);
    cfg.http = HttpVersion::Http11;
    let resps = rt().block_on(async {
        let client = Client::connect(cfg).await.unwrap();
        assert_eq!(client.http_version(), HttpVersion::Http11);
        assert_eq!(client.tls().unwrap().alpn.as_deref(), Some("http/1.1"));
        all_at_once(
            &client,
            (0..8u16).map(|id| (id, query_id(id), Method::Post)),
        )
        .await
    });
    assert_eq!(resps.len(), 8);
    for (id, r) in resps {
        let r = r.unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.version, HttpVersion::Http11);
        assert_echo(&r.body, id);
    }
    assert_eq!(server.connections(), 1);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 8);
    for r in &reqs {
        assert_eq!(r.version, "HTTP/1.1");
        let host = format!("localhost:{}", server.port());
        assert_eq!(r.header("host"), Some(host.as_str()));
        assert_eq!(r.header("accept"), Some("application/dns-message"));
        assert_eq!(r.header("user-agent"), None);
    }
}

#[test]
fn concurrent_requests_share_one_http2_connection() {
    let server = DohServer::start(ServerConfig::default());
    let n = 200u16;
    let resps = rt().block_on(async {
        let client = Client::connect(trusting(&server)).await.unwrap();
        let queries = (0..n).map(|id| {
            let method = if id % 2 == 0 {
                Method::Post
            } else {
                Method::Get
            };
            (id, query_id(id), method)
        });
        all_at_once(&client, queries).await
    });
    assert_eq!(resps.len(), usize::from(n));
    for (id, r) in resps {
        let r = r.unwrap();
        assert_eq!(r.status, 200, "query {id}");
        assert_echo(&r.body, id);
    }
    assert_eq!(
        server.connections(),
        1,
        "one TCP connection for every request"
    );
    let reqs = server.requests();
    assert_eq!(reqs.len(), usize::from(n));
    assert!(reqs.iter().all(|r| r.version == "HTTP/2"));
}

#[test]
fn extra_headers_and_user_agent_are_sent_and_replace_defaults() {
    let server = DohServer::start(ServerConfig::default());
    let mut cfg = trusting(&server);
    cfg.headers = vec![
        ("X-Trace".into(), "abc 123".into()),
        ("accept".into(), "application/dns-message, */*;q=0.1".into()),
    ];
    cfg.user_agent = Some("lab-probe/1.0".into());
    let resp = query_once(cfg, &query(), Method::Post).1.unwrap();
    assert_eq!(resp.status, 200);
    let r = &server.requests()[0];
    assert_eq!(r.header("x-trace"), Some("abc 123"));
    assert_eq!(r.header("user-agent"), Some("lab-probe/1.0"));
    let accepts: Vec<_> = r.headers.iter().filter(|(n, _)| n == "accept").collect();
    assert_eq!(
        accepts.len(),
        1,
        "-H Accept replaces the default: {accepts:?}"
    );
    assert_eq!(accepts[0].1, "application/dns-message, */*;q=0.1");

    let mut bad = trusting(&server);
    bad.headers = vec![("Bad Name".into(), "x".into())];
    let err = connect_err(bad);
    assert!(matches!(err, ClientError::Header { .. }), "{err}");
    assert!(err.to_string().contains("\"Bad Name: x\""), "{err}");
}

#[test]
fn connection_specific_headers_are_left_out_on_http2() {
    // RFC 9113 §8.2.2: an HTTP/2 request with Connection, Keep-Alive, Transfer-Encoding or a
    // TE other than "trailers" is malformed. A `-H` giving one is dropped on HTTP/2 (the
    // request still goes, with the other headers), on the plain and the load path alike.
    let server = DohServer::start(ServerConfig::default());
    let mut cfg = trusting(&server);
    cfg.headers = vec![
        ("Connection".into(), "keep-alive".into()),
        ("Keep-Alive".into(), "timeout=5".into()),
        ("TE".into(), "trailers".into()),
        ("X-Trace".into(), "kept".into()),
    ];
    let (plain, lean) = rt().block_on(async {
        let c = Client::connect(cfg).await.unwrap();
        let plain = c.query(&query(), Method::Post).await.unwrap();
        let lean = c
            .query_lean(bytes::Bytes::from(query()), Method::Post)
            .await
            .unwrap();
        (plain, lean)
    });
    assert_eq!((plain.status, lean.status), (200, 200));
    assert_eq!(lean.body, plain.body);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.version, "HTTP/2");
        assert_eq!(r.header("x-trace"), Some("kept"), "{:?}", r.headers);
        assert_eq!(r.header("te"), Some("trailers"), "{:?}", r.headers);
        assert_eq!(r.header("connection"), None, "{:?}", r.headers);
        assert_eq!(r.header("keep-alive"), None, "{:?}", r.headers);
        assert_eq!(r.header("content-type"), Some("application/dns-message"));
        assert_eq!(r.body, query());
    }
}

#[test]
fn json_api_asks_for_dns_json() {
    let server = DohServer::start(ServerConfig::default());
    let (a, b) = rt().block_on(async {
        let client = Client::connect(trusting(&server)).await.unwrap();
        let a = client.json_api("name=example.com&type=AAAA").await.unwrap();
        let url = format!("{}?name=example.org&type=MX", server.url());
        let b = client.json_api(&url).await.unwrap();
        (a, b)
    });
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type().as_deref(), Some("application/dns-json"));
    assert!(std::str::from_utf8(&a.body)
        .unwrap()
        .contains("\"example.com.\""));
    assert!(std::str::from_utf8(&b.body)
        .unwrap()
        .contains("\"example.org.\""));
    let reqs = server.requests();
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].query.as_deref(), Some("name=example.com&type=AAAA"));
    assert_eq!(reqs[0].header("accept"), Some("application/dns-json"));
    assert_eq!(reqs[1].query.as_deref(), Some("name=example.org&type=MX"));
}

#[test]
fn tls_details_match_the_servers_certificate() {
    let server = DohServer::start(ServerConfig::default());
    let tls = rt().block_on(async {
        let client = Client::connect(trusting(&server)).await.unwrap();
        client.tls().unwrap().clone()
    });
    assert_eq!(tls.version, "TLSv1.3");
    assert!(tls.cipher_suite.starts_with("TLS_"), "{}", tls.cipher_suite);
    assert_eq!(tls.server_name, "localhost");
    assert!(tls.verified);
    assert_eq!(tls.chain.len(), 1);
    let leaf = &tls.chain[0];
    assert_eq!(leaf.subject, "CN=localhost");
    assert_eq!(leaf.issuer, "CN=ietfwg test CA");
    assert_eq!(leaf.sans, ["localhost", "127.0.0.1"]);
    for t in [&leaf.not_before, &leaf.not_after] {
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z') && &t[10..11] == "T", "{t}");
    }
    assert!(leaf.not_before < leaf.not_after);
    let json = serde_json::to_value(&tls).unwrap();
    assert_eq!(json["chain"][0]["subject"], "CN=localhost");

    // The pin as openssl computes it (the recipe curl documents for --pinnedpubkey).
    let Some(openssl) = program("openssl") else {
        return;
    };
    let pin = spki_pin_by_openssl(&openssl, &server.cert_pem_path());
    assert_eq!(tls.spki_sha256, pin);
}

fn spki_pin_by_openssl(openssl: &Path, cert: &Path) -> String {
    let run = |args: &[&str], input: &[u8]| -> Vec<u8> {
        use std::io::Write as _;
        let mut child = Command::new(openssl)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "openssl {args:?}");
        out.stdout
    };
    let pem = std::fs::read(cert).unwrap();
    let pubkey = run(&["x509", "-noout", "-pubkey"], &pem);
    let der = run(&["pkey", "-pubin", "-outform", "der"], &pubkey);
    let digest = run(&["dgst", "-sha256", "-binary"], &der);
    base64::engine::general_purpose::STANDARD.encode(digest)
}

#[test]
fn untrusted_certificate_fails_in_plain_words() {
    let server = DohServer::start(ServerConfig::default());
    // System roots only: the test CA is not among them.
    let err = connect_err(ClientConfig::new(&server.url()));
    let msg = err.to_string();
    assert!(matches!(err, ClientError::Tls { .. }), "{msg}");
    assert!(
        msg.contains("certificate for localhost is not trusted: UnknownIssuer"),
        "{msg}"
    );
    assert!(msg.contains("CN=ietfwg test CA"), "{msg}");
    assert!(
        msg.contains("pass --cacert FILE with the issuing CA, or --insecure"),
        "{msg}"
    );
    assert!(
        msg.starts_with(&format!(
            "TLS with 127.0.0.1:{} (localhost): ",
            server.port()
        )),
        "{msg}"
    );
    assert!(server.requests().is_empty());
}

#[test]
fn insecure_accepts_the_untrusted_certificate() {
    let server = DohServer::start(ServerConfig::default());
    let mut cfg = ClientConfig::new(&server.url());
    cfg.insecure = true;
    let (client, resp) = query_once(cfg, &query(), Method::Post);
    assert_eq!(resp.unwrap().status, 200);
    let tls = client.tls().unwrap();
    assert!(!tls.verified);
    assert_eq!(tls.chain[0].subject, "CN=localhost");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_name_the_certificate_lacks_is_named_in_the_error() {
    let server = DohServer::start(ServerConfig::default());
    let mut cfg = trusting(&server);
    cfg.url = format!("https://127.0.0.1:{}/dns-query", server.port());
    cfg.tls_name = Some("example.test".into());
    let msg = connect_err(cfg).to_string();
    assert!(
        msg.contains("certificate is valid for localhost, 127.0.0.1, not for example.test"),
        "{msg}"
    );
    assert!(msg.contains("--tls-name"), "{msg}");
}

#[test]
fn tls_name_resolve_and_ip_urls_bootstrap_without_dns() {
    let server = DohServer::start(ServerConfig::default());
    let port = server.port();
    let rt = rt();

    // An IP address in the URL and --tls-name: SNI, certificate and :authority use the name.
    let mut cfg = trusting(&server);
    cfg.url = format!("https://127.0.0.1:{port}/dns-query");
    cfg.tls_name = Some("localhost".into());
    let (c, resp) = query_once(cfg, &query(), Method::Post);
    assert_eq!(resp.unwrap().status, 200);
    assert_eq!(c.connect_timing().dns, None, "no lookup for an IP address");
    let auth = format!("localhost:{port}");
    assert_eq!(
        server.requests()[0].authority.as_deref(),
        Some(auth.as_str())
    );

    // An IP address alone: the certificate's IP SAN is checked.
    let mut cfg = trusting(&server);
    cfg.url = format!("https://127.0.0.1:{port}/dns-query");
    let c = rt.block_on(Client::connect(cfg)).unwrap();
    assert_eq!(c.tls().unwrap().server_name, "127.0.0.1");
    assert_eq!(c.peer().to_string(), format!("127.0.0.1:{port}"));

    // --resolve for a name that no DNS knows (.invalid, RFC 6761 §6.4).
    let mut cfg = trusting(&server);
    cfg.url = format!("https://doh.invalid:{port}/dns-query");
    cfg.resolve = vec![("doh.invalid".into(), "127.0.0.1".parse().unwrap())];
    cfg.tls_name = Some("localhost".into());
    let (c, resp) = query_once(cfg, &query(), Method::Get);
    assert_eq!(resp.unwrap().status, 200);
    assert_eq!(
        c.connect_timing().dns,
        None,
        "--resolve replaces the lookup"
    );
    assert_eq!(server.requests().len(), 2);

    // --resolve for the URL's own name, which the certificate carries.
    let mut cfg = trusting(&server);
    cfg.resolve = vec![("LOCALHOST".into(), "127.0.0.1".parse().unwrap())];
    let c = rt.block_on(Client::connect(cfg)).unwrap();
    assert_eq!(c.connect_timing().dns, None);
    assert_eq!(c.tls().unwrap().server_name, "localhost");
}

#[test]
fn alpn_mismatch_is_a_clear_error() {
    let h1_only = DohServer::start(ServerConfig {
        http2: false,
        ..ServerConfig::default()
    });
    let msg = connect_err(trusting(&h1_only)).to_string();
    assert!(
        msg.contains("the server does not offer HTTP/2 (it refused ALPN \"h2\") — try --http1.1"),
        "{msg}"
    );

    let h2_only = DohServer::start(ServerConfig {
        http1: false,
        ..ServerConfig::default()
    });
    let mut cfg = trusting(&h2_only);
    cfg.http = HttpVersion::Http11;
    let msg = connect_err(cfg).to_string();
    assert!(msg.contains("does not offer HTTP/1.1"), "{msg}");
    // And each works with the version it has.
    let mut cfg = trusting(&h1_only);
    cfg.http = HttpVersion::Http11;
    let c = rt().block_on(Client::connect(cfg)).unwrap();
    assert_eq!(c.http_version(), HttpVersion::Http11);
}

/// A TCP listener that accepts and never says a word.
fn silent_listener() -> (std::net::TcpListener, u16) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

#[test]
fn a_silent_server_times_out_naming_the_phase() {
    let (_l, port) = silent_listener();
    // The kernel completes the TCP handshake (backlog); TLS then waits for a ServerHello.
    let mut cfg = ClientConfig::new(&format!("https://localhost:{port}/dns-query"));
    cfg.resolve = vec![("localhost".into(), "127.0.0.1".parse().unwrap())];
    cfg.connect_timeout = Duration::from_millis(300);
    let err = connect_err(cfg);
    assert!(matches!(err, ClientError::Timeout { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("TLS handshake with 127.0.0.1:{port} (localhost) timed out after 300 ms")
    );

    // Cleartext HTTP/2 (prior knowledge) and HTTP/1.1: the request waits for an answer.
    for (http, label) in [
        (HttpVersion::Http2, "HTTP/2"),
        (HttpVersion::Http11, "HTTP/1.1"),
    ] {
        let mut cfg = ClientConfig::new(&format!("http://127.0.0.1:{port}/dns-query"));
        cfg.http = http;
        cfg.request_timeout = Duration::from_secs(1);
        let (c, outcome) = query_once(cfg, &query(), Method::Post);
        assert!(c.tls().is_none());
        let err = outcome.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "waiting for the response to {label} POST http://127.0.0.1:{port}/dns-query timed out after 1 s"
            )
        );
    }
}

#[test]
fn a_slow_answer_times_out_naming_the_request() {
    let server = DohServer::start(ServerConfig {
        delay: Some(Duration::from_secs(3)),
        ..ServerConfig::default()
    });
    let mut cfg = trusting(&server);
    cfg.request_timeout = Duration::from_millis(500);
    let err = query_once(cfg, &query(), Method::Get).1.unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with("waiting for the response to HTTP/2 GET https://localhost:"),
        "{msg}"
    );
    assert!(msg.ends_with("/dns-query timed out after 500 ms"), "{msg}");
    assert!(
        !msg.contains("dns="),
        "the long query is left out of messages: {msg}"
    );
}

#[test]
fn refused_connection_names_the_address() {
    let (l, port) = silent_listener();
    drop(l);
    let mut cfg = ClientConfig::new(&format!("https://localhost:{port}/dns-query"));
    cfg.resolve = vec![("localhost".into(), "127.0.0.1".parse().unwrap())];
    let err = connect_err(cfg);
    assert!(matches!(err, ClientError::Connect { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("cannot connect to 127.0.0.1:{port} (localhost): ")),
        "{msg}"
    );
    assert!(msg.contains("is a DoH server listening there?"), "{msg}");
}

#[test]
fn tls_to_a_cleartext_server_says_so() {
    let server = DohServer::start(ServerConfig {
        cleartext: true,
        http2: false,
        ..ServerConfig::default()
    });
    let url = server.url().replace("http://", "https://");
    let msg = connect_err(ClientConfig::new(&url)).to_string();
    assert!(msg.contains("does not answer with TLS"), "{msg}");
}

#[test]
fn cleartext_http2_with_prior_knowledge() {
    let server = DohServer::start(ServerConfig {
        cleartext: true,
        ..ServerConfig::default()
    });
    assert!(server.url().starts_with("http://"));
    let (c, resp) = query_once(ClientConfig::new(&server.url()), &query(), Method::Post);
    assert!(c.tls().is_none());
    assert!(c.connect_timing().tls.is_none());
    let resp = resp.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.version, HttpVersion::Http2);
    assert_eq!(server.requests()[0].version, "HTTP/2");
}

#[test]
fn error_statuses_are_responses_not_errors() {
    let server = DohServer::start(ServerConfig::fixed(
        404,
        "text/plain",
        b"no DoH here\n".to_vec(),
        &[("X-Reason", "fixed")],
    ));
    let resp = query_once(trusting(&server), &query(), Method::Post)
        .1
        .unwrap();
    assert_eq!(resp.status, 404);
    assert_eq!(&resp.body[..], b"no DoH here\n");
    assert_eq!(resp.header("x-reason"), Some("fixed"));
    assert_eq!(resp.content_type().as_deref(), Some("text/plain"));

    // The echo server on a wrong path.
    let echo = DohServer::start(ServerConfig::default());
    let mut cfg = trusting(&echo);
    cfg.url = cfg.url.replace("/dns-query", "/wrong");
    let resp = query_once(cfg, &query(), Method::Get).1.unwrap();
    assert_eq!(resp.status, 404);
    assert_eq!(echo.requests()[0].path, "/wrong");
}

#[test]
fn an_oversized_body_is_refused() {
    let server = DohServer::start(ServerConfig::fixed(
        200,
        "application/dns-message",
        vec![0; MAX_BODY + 1],
        &[],
    ));
    let err = query_once(trusting(&server), &query(), Method::Post)
        .1
        .unwrap_err();
    assert!(matches!(err, ClientError::BodyTooLarge { .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with("the response body exceeds 1048576 octets"),
        "{err}"
    );
}

#[test]
fn unusable_configuration_is_reported_before_connecting() {
    let err = connect_err(ClientConfig::new("ftp://localhost/dns-query"));
    assert!(matches!(err, ClientError::Url { .. }), "{err}");
    assert!(err.to_string().contains("neither https nor http"), "{err}");

    let err = connect_err(ClientConfig::new("localhost/dns-query"));
    assert!(matches!(err, ClientError::Url { .. }), "{err}");

    let dir = std::env::temp_dir().join(format!("ietfwg-client-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.pem");
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    for (path, want) in [
        (&missing, "No such file"),
        (&empty, "holds no PEM \"CERTIFICATE\" block"),
    ] {
        let mut cfg = ClientConfig::new("https://127.0.0.1:1/dns-query");
        cfg.cacert = Some(path.clone());
        let err = connect_err(cfg);
        assert!(matches!(err, ClientError::CaFile { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains(&path.display().to_string()) && msg.contains(want),
            "{msg}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// curl, an independent client, gets the same bytes from the same server by POST and GET.
#[test]
fn curl_and_this_client_get_the_same_answer() {
    let Some(curl) = program("curl") else {
        return;
    };
    let server = DohServer::start(ServerConfig::default());
    let q = query_id(0x1234);
    let (post, get) = rt().block_on(async {
        let c = Client::connect(trusting(&server)).await.unwrap();
        (
            c.query(&q, Method::Post).await.unwrap(),
            c.query(&q, Method::Get).await.unwrap(),
        )
    });
    assert_eq!(post.body, get.body);
    assert_echo(&post.body, 0x1234);

    let dir = std::env::temp_dir().join(format!("ietfwg-curl-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let qfile = dir.join("q.bin");
    std::fs::write(&qfile, &q).unwrap();
    let run = |extra: &[String]| -> Vec<u8> {
        let out = Command::new(&curl)
            .args(["--http2", "--silent", "--show-error", "--fail", "--cacert"])
            .arg(server.ca_pem_path())
            .args(["-H", "accept: application/dns-message"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "curl: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let by_post = run(&[
        "-H".into(),
        "content-type: application/dns-message".into(),
        "--data-binary".into(),
        format!("@{}", qfile.display()),
        server.url(),
    ]);
    let dns = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&q);
    let by_get = run(&[format!("{}?dns={dns}", server.url())]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(by_post, post.body);
    assert_eq!(by_get, get.body);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    assert!(reqs.iter().all(|r| r.version == "HTTP/2"));
    // What curl sent is what this client sent (bar curl's own User-Agent).
    assert_eq!(reqs[2].body, reqs[0].body);
    assert_eq!(reqs[3].query, reqs[1].query);
}

#[test]
fn a_closed_http1_1_connection_is_reported() {
    let server = DohServer::start(ServerConfig::fixed(
        200,
        "application/dns-message",
        query(),
        &[("Connection", "close")],
    ));
    let mut cfg = trusting(&server);
    cfg.http = HttpVersion::Http11;
    let (first, second) = rt().block_on(async {
        let c = Client::connect(cfg).await.unwrap();
        let first = c.query(&query(), Method::Post).await.unwrap();
        // Let the close arrive.
        tokio::time::sleep(Duration::from_millis(200)).await;
        (first, c.query(&query(), Method::Post).await.unwrap_err())
    });
    assert_eq!(first.status, 200);
    let msg = second.to_string();
    assert!(matches!(second, ClientError::Http { .. }), "{msg}");
    assert!(msg.starts_with("HTTP/1.1 POST https://localhost:"), "{msg}");
    assert!(
        msg.ends_with(
            ": the server closed the connection, which every request of this command shares"
        ),
        "{msg}"
    );
    assert_eq!(server.connections(), 1);
}

#[test]
fn an_expired_certificate_gives_its_date() {
    let server = DohServer::start(ServerConfig {
        pki: Some(TestPki::with_validity(
            &["localhost"],
            (2020, 1, 1),
            (2021, 6, 30),
        )),
        ..ServerConfig::default()
    });
    let msg = connect_err(trusting(&server)).to_string();
    assert!(
        msg.contains("certificate for localhost expired on 2021-06-30T00:00:00Z"),
        "{msg}"
    );
}

#[test]
fn http1_1_to_an_http2_only_server_hints_at_http2() {
    // Cleartext, HTTP/2 only: the server drops a connection that does not start with the
    // HTTP/2 preface.
    let server = DohServer::start(ServerConfig {
        cleartext: true,
        http1: false,
        ..ServerConfig::default()
    });
    let mut cfg = ClientConfig::new(&server.url());
    cfg.http = HttpVersion::Http11;
    let err = query_once(cfg, &query(), Method::Post).1.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ClientError::Http { .. }), "{msg}");
    assert!(
        msg.ends_with("the server may not speak HTTP/1.1 for DoH (try HTTP/2: drop --http1.1)"),
        "{msg}"
    );
    assert!(server.requests().is_empty());
}

/// `openssl req -x509` makes CA:TRUE certificates, which WebPKI refuses as a server's own;
/// given as the trusted certificate itself, such a certificate is accepted (as curl and kdig
/// accept it), its name and dates still checked.
#[test]
fn a_self_signed_ca_certificate_given_with_cacert_is_trusted() {
    let server = DohServer::start(ServerConfig {
        pki: Some(TestPki::self_signed(&["localhost", "127.0.0.1"])),
        ..ServerConfig::default()
    });
    let (c, resp) = query_once(trusting(&server), &query(), Method::Post);
    assert_eq!(resp.unwrap().status, 200);
    let tls = c.tls().unwrap();
    assert!(tls.verified);
    assert_eq!(tls.chain[0].subject, tls.chain[0].issuer);

    let mut cfg = trusting(&server);
    cfg.url = format!("https://127.0.0.1:{}/dns-query", server.port());
    cfg.tls_name = Some("example.test".into());
    let msg = connect_err(cfg).to_string();
    assert!(
        msg.contains("certificate is valid for localhost, 127.0.0.1, not for example.test"),
        "{msg}"
    );
    let msg = connect_err(ClientConfig::new(&server.url())).to_string();
    assert!(
        msg.contains("certificate for localhost is not trusted: it is self-signed (CN=localhost, CA:TRUE) — pass --cacert FILE with this very certificate, or --insecure"),
        "{msg}"
    );
}

/// A query for `name` A, ID 0, RD, no EDNS.
fn query_for(name: &str) -> Vec<u8> {
    let mut q = vec![0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.trim_end_matches('.').split('.') {
        q.push(u8::try_from(label.len()).unwrap());
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// BIND 9.18 answers a burst of concurrent POSTs sent the moment the connection is up —
/// thanks to the first request going alone and to one HTTP/2 frame per TLS record (see the
/// client's `frames` module); without them BIND closes the connection or leaves most of the
/// burst unanswered, more often than not.
#[test]
fn bind_answers_bursts_over_one_connection_each() {
    use ietfwg_test_support::dns_lab::{bulk_addr, bulk_name, Bind};
    let Some(bind) = Bind::start() else {
        return;
    };
    let rounds = 4usize;
    let burst = 150usize;
    for url in [bind.doh_url(), bind.http_url()] {
        let before = bind.accepted_connections();
        for round in 0..rounds {
            let mut cfg = ClientConfig::new(&url);
            cfg.cacert = Some(bind.cacert());
            cfg.request_timeout = Duration::from_secs(5);
            let results = rt().block_on(async {
                let client = Client::connect(cfg).await.unwrap();
                let queries = (round * burst..(round + 1) * burst)
                    .map(|i| (i, query_for(&bulk_name(i)), Method::Post));
                all_at_once(&client, queries).await
            });
            assert_eq!(results.len(), burst);
            for (i, r) in results {
                let r = r.unwrap_or_else(|e| panic!("{url} query {i}: {e}"));
                assert_eq!(r.status, 200, "{url} query {i}");
                assert_eq!(r.body[3] & 0x0f, 0, "{url} query {i}: RCODE");
                let want = bulk_addr(i).octets();
                assert!(
                    r.body
                        .windows(6)
                        .any(|w| w == [0, 4, want[0], want[1], want[2], want[3]]),
                    "{url} query {i}: no A {}",
                    bulk_addr(i)
                );
            }
        }
        assert_eq!(
            bind.accepted_connections() - before,
            u64::try_from(rounds).unwrap(),
            "{url}: one connection per client"
        );
    }
}
