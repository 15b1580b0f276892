//! `ietfwg doh serve` against independent clients: kdig +https, curl --http2 (GET and POST,
//! HTTP/1.1 too), dnsperf -m doh, and our own `doh query`; every kind of bad request gets the
//! status RFC 8484 and RFC 9110 name; the access log; SIGTERM.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod serve_lab;

use std::process::Command;

use hickory_proto::op::{Message, ResponseCode};
use ietfwg_test_support::shared::program;

use common::{assert_exit, doh_query, stdout};
use serve_lab::start;

/// `kdig @127.0.0.1 -p PORT +https +tls-ca=CERT +tls-hostname=localhost NAME TYPE`.
fn kdig(port: u16, cert: &std::path::Path, name: &str, qtype: &str) -> String {
    common::kdig(&[
        "@127.0.0.1",
        "-p",
        &port.to_string(),
        "+https",
        &format!("+tls-ca={}", cert.display()),
        "+tls-hostname=localhost",
        "+timeout=5",
        "+retry=0",
        name,
        qtype,
    ])
}

#[test]
fn kdig_gets_the_zone_answers() {
    if program("kdig").is_none() {
        return;
    }
    let s = start(&[]);
    let c = s.cacert();
    let a = kdig(s.port, &c, "www.lab.test", "A");
    assert!(a.contains("status: NOERROR"), "{a}");
    assert!(a.contains("Flags: qr aa rd"), "authoritative: {a}");
    assert!(
        a.contains("www.lab.test.       \t300\tIN\tA\t192.0.2.10"),
        "{a}"
    );
    assert!(a.contains("192.0.2.11"), "{a}");
    assert!(a.contains("(HTTP/2-POST)"), "{a}");
    // A CNAME chain inside the zone ends in the answer section.
    let a = kdig(s.port, &c, "alias.lab.test", "A");
    assert!(a.contains("ANSWER: 4"), "{a}");
    assert!(a.contains("CNAME\ta2.lab.test."), "{a}");
    assert!(a.contains("CNAME\twww.lab.test."), "{a}");
    // Wildcard.
    let a = kdig(s.port, &c, "anything.wild.lab.test", "TXT");
    assert!(
        a.contains("anything.wild.lab.test.") && a.contains("\"wildcard\""),
        "{a}"
    );
    // NXDOMAIN with the SOA (negative TTL = MINIMUM).
    let a = kdig(s.port, &c, "nope.lab.test", "A");
    assert!(a.contains("status: NXDOMAIN"), "{a}");
    assert!(a.contains("120\tIN\tSOA\tns1.lab.test."), "{a}");
    // Referral: not authoritative, the NS of the cut and its glue.
    let a = kdig(s.port, &c, "host.sub.lab.test", "A");
    assert!(a.contains("Flags: qr rd;"), "no aa: {a}");
    assert!(a.contains("AUTHORITY SECTION:\nsub.lab.test."), "{a}");
    assert!(
        a.contains("ns.sub.lab.test.    \t300\tIN\tA\t192.0.2.80"),
        "{a}"
    );
    // kdig pads its queries (RFC 8467): the answer is padded to 468 octets.
    assert!(a.contains("PADDING:"), "{a}");
    assert!(a.contains("Received 468 B"), "{a}");
}

/// curl's status, HTTP version and headers, and the body, for one request.
struct Curl {
    status: u16,
    version: String,
    headers: String,
    body: Vec<u8>,
}

fn curl(s: &serve_lab::Serve, args: &[&str], url: &str) -> Curl {
    let body = s.dir.join(format!("body-{}", rand_tag()));
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-D", "-", "-o"]).arg(&body);
    if let Some(c) = &s.cert {
        cmd.arg("--cacert").arg(c);
    }
    cmd.args(["-w", "\n%{http_code} %{http_version}\n"])
        .args(args)
        .arg(url);
    let out = cmd.output().expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let last = text
        .trim_end()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    let (code, version) = last.split_once(' ').unwrap_or(("0", ""));
    Curl {
        status: code.parse().unwrap_or(0),
        version: version.to_string(),
        headers: text.to_ascii_lowercase(),
        body: std::fs::read(&body).unwrap_or_default(),
    }
}

fn rand_tag() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// RFC 8484 §4.1.1's example query for www.example.com, here for www.lab.test: ID 0, RD, no EDNS.
fn query_wire(name: &str) -> Vec<u8> {
    let mut o = ietfwg_doh::query::QueryOptions::new(name, hickory_proto::rr::RecordType::A);
    o.edns = false;
    ietfwg_doh::query::build(&o).unwrap()
}

fn b64(b: &[u8]) -> String {
    ietfwg_doh::wire::base64url(b)
}

#[test]
fn curl_http2_get_and_post_get_the_answers() {
    if program("curl").is_none() {
        return;
    }
    let s = start(&[]);
    let q = query_wire("www.lab.test");
    let get = curl(&s, &["--http2"], &format!("{}?dns={}", s.url(), b64(&q)));
    std::fs::write(s.dir.join("q.bin"), &q).unwrap();
    let post = curl(
        &s,
        &[
            "--http2",
            "-H",
            "content-type: application/dns-message",
            "--data-binary",
            &format!("@{}", s.dir.join("q.bin").display()),
        ],
        &s.url(),
    );
    let h11 = curl(&s, &["--http1.1"], &format!("{}?dns={}", s.url(), b64(&q)));
    for (r, version) in [(&get, "2"), (&post, "2"), (&h11, "1.1")] {
        assert_eq!(r.status, 200, "{}", r.headers);
        assert_eq!(r.version, version);
        assert!(
            r.headers.contains("content-type: application/dns-message"),
            "{}",
            r.headers
        );
        assert!(
            r.headers.contains("cache-control: max-age=300"),
            "{}",
            r.headers
        );
        let m = Message::from_vec(&r.body).unwrap();
        assert_eq!(m.id(), 0);
        assert!(m.authoritative());
        assert_eq!(m.answers().len(), 2);
        assert!(m.extensions().is_none(), "no OPT asked, none sent");
    }
    assert_eq!(get.body, post.body);
    // The smallest TTL is the max-age; a negative answer's is the SOA MINIMUM.
    let short = curl(
        &s,
        &["--http2"],
        &format!("{}?dns={}", s.url(), b64(&query_wire("short.lab.test"))),
    );
    assert!(
        short.headers.contains("cache-control: max-age=60"),
        "{}",
        short.headers
    );
    let nx = curl(
        &s,
        &["--http2"],
        &format!("{}?dns={}", s.url(), b64(&query_wire("nx.lab.test"))),
    );
    assert!(
        nx.headers.contains("cache-control: max-age=120"),
        "{}",
        nx.headers
    );
    assert_eq!(
        Message::from_vec(&nx.body).unwrap().response_code(),
        ResponseCode::NXDomain
    );
}

#[test]
fn bad_requests_get_the_status_the_rfcs_name() {
    if program("curl").is_none() {
        return;
    }
    let s = start(&[]);
    let url = s.url();
    let q = query_wire("www.lab.test");
    let big = s.dir.join("big.bin");
    std::fs::write(&big, vec![0u8; 70_000]).unwrap();
    let bigarg = format!("@{}", big.display());
    let garbage = s.dir.join("garbage.bin");
    std::fs::write(&garbage, b"this is not a DNS message").unwrap();
    let garg = format!("@{}", garbage.display());
    let mut response = q.clone();
    response[2] |= 0x80;
    let cases: Vec<(&str, Vec<String>, String, u16)> = vec![
        (
            "POST text/plain",
            vec![
                "-H".into(),
                "content-type: text/plain".into(),
                "--data-binary".into(),
                "x".into(),
            ],
            url.clone(),
            415,
        ),
        (
            "POST no content type",
            vec!["-X".into(), "POST".into()],
            url.clone(),
            415,
        ),
        (
            "POST dns-json",
            vec![
                "-H".into(),
                "content-type: application/dns-json".into(),
                "--data-binary".into(),
                "{}".into(),
            ],
            url.clone(),
            415,
        ),
        (
            "GET padded base64url",
            vec![],
            format!("{url}?dns={}==", b64(&q)),
            400,
        ),
        (
            "GET standard base64",
            vec![],
            format!("{url}?dns=AAAB+AAB/AAA"),
            400,
        ),
        (
            "GET not DNS",
            vec![],
            format!("{url}?dns={}", b64(b"hello, world")),
            400,
        ),
        (
            "GET a response",
            vec![],
            format!("{url}?dns={}", b64(&response)),
            400,
        ),
        ("GET empty dns", vec![], format!("{url}?dns="), 400),
        ("GET no dns", vec![], url.clone(), 400),
        (
            "POST garbage",
            vec![
                "-H".into(),
                "content-type: application/dns-message".into(),
                "--data-binary".into(),
                garg.clone(),
            ],
            url.clone(),
            400,
        ),
        (
            "POST 70,000 octets",
            vec![
                "-H".into(),
                "content-type: application/dns-message".into(),
                "--data-binary".into(),
                bigarg.clone(),
            ],
            url.clone(),
            413,
        ),
        ("PUT", vec!["-X".into(), "PUT".into()], url.clone(), 405),
        (
            "DELETE",
            vec!["-X".into(), "DELETE".into()],
            url.clone(),
            405,
        ),
        (
            "other path",
            vec![],
            format!("https://localhost:{}/other?dns={}", s.port, b64(&q)),
            404,
        ),
    ];
    for version in ["--http2", "--http1.1"] {
        for (what, args, u, want) in &cases {
            let mut a: Vec<&str> = vec![version];
            a.extend(args.iter().map(String::as_str));
            let r = curl(&s, &a, u);
            assert_eq!(r.status, *want, "{what} over {version}: {}", r.headers);
            if *want == 405 {
                assert!(r.headers.contains("allow: get, post"), "{}", r.headers);
            }
        }
    }
    // Every refusal is in the access log with its reason; the server still answers.
    let log = std::fs::read_to_string(s.log()).unwrap();
    // Each line matches the access log's schema, and every refusal carries `error`.
    assert_eq!(
        common::schema_check("doh-serve-log", log.as_bytes()),
        (cases.len() * 2) as u64
    );
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), cases.len() * 2);
    assert!(lines
        .iter()
        .all(|l| l["status"].as_u64().unwrap() >= 400 && l["error"]["layer"] == "http"));
    let ok = curl(&s, &["--http2"], &format!("{url}?dns={}", b64(&q)));
    assert_eq!(ok.status, 200);
}

#[test]
fn dnsperf_loses_nothing() {
    if program("dnsperf").is_none() {
        return;
    }
    let s = start(&[]);
    let input = s.dir.join("queries.txt");
    let mut text = String::new();
    for _ in 0..250 {
        text.push_str("www.lab.test A\nnope.lab.test AAAA\nalias.lab.test A\nbig.lab.test TXT\n");
    }
    std::fs::write(&input, text).unwrap();
    for method in ["GET", "POST"] {
        let out = Command::new("dnsperf")
            .args([
                "-m",
                "doh",
                "-s",
                "127.0.0.1",
                "-p",
                &s.port.to_string(),
                "-n",
                "2",
                "-l",
                "60",
            ])
            .arg("-d")
            .arg(&input)
            .args(["-O", &format!("doh-method={method}")])
            .output()
            .expect("run dnsperf");
        let text = stdout(&out);
        assert!(
            text.contains("Queries sent:         2000"),
            "{method}: {text}"
        );
        assert!(
            text.contains("Queries completed:    2000 (100.00%)"),
            "{method}: {text}"
        );
        assert!(
            text.contains("Queries lost:         0 (0.00%)"),
            "{method}: {text}"
        );
        assert!(
            text.contains("HTTP/2 return codes:  200: 2000"),
            "{method}: {text}"
        );
    }
}

#[test]
fn our_client_padding_and_cache_report() {
    let s = start(&[]);
    let out = doh_query(&s.url(), &s.cacert(), "big.lab.test", "TXT", &["--json"]);
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let size = v.to_string();
    assert!(size.contains("\"PADDING\""), "{size}");
    // Three 200-octet strings: more than 512 octets, whole, padded to 2 × 468.
    let out = doh_query(&s.url(), &s.cacert(), "big.lab.test", "TXT", &["--short"]);
    assert_eq!(stdout(&out).lines().count(), 3);
    let text = stdout(&doh_query(
        &s.url(),
        &s.cacert(),
        "big.lab.test",
        "TXT",
        &[],
    ));
    assert!(text.contains("MSG SIZE rcvd: 936"), "{text}");
    // No padding asked, none given.
    let text = stdout(&doh_query(
        &s.url(),
        &s.cacert(),
        "www.lab.test",
        "A",
        &["--no-pad"],
    ));
    assert!(!text.contains("PADDING"), "{text}");
    assert!(
        text.contains("CACHE: HTTP freshness lifetime 300 s, smallest TTL 300 s"),
        "{text}"
    );
}

#[test]
fn cleartext_http2_and_http11() {
    if program("curl").is_none() {
        return;
    }
    let s = start(&["--http"]);
    assert!(s.url().starts_with("http://"));
    let q = query_wire("www.lab.test");
    let r = curl(
        &s,
        &["--http2-prior-knowledge"],
        &format!("{}?dns={}", s.url(), b64(&q)),
    );
    assert_eq!((r.status, r.version.as_str()), (200, "2"));
    let r = curl(&s, &["--http1.1"], &format!("{}?dns={}", s.url(), b64(&q)));
    assert_eq!((r.status, r.version.as_str()), (200, "1.1"));
    assert_eq!(Message::from_vec(&r.body).unwrap().answers().len(), 2);
}

#[test]
fn access_log_and_graceful_sigterm() {
    let s = start(&["--json-api"]);
    assert!(
        s.banner.iter().any(|l| l.starts_with("spki pin sha256//")),
        "{:?}",
        s.banner
    );
    let out = doh_query(&s.url(), &s.cacert(), "alias.lab.test", "A", &["--get"]);
    assert_exit(&out, 0);
    let out = doh_query(
        &s.url(),
        &s.cacert(),
        "www.lab.test",
        "AAAA",
        &["--json-api"],
    );
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("2001:db8::10"), "{}", stdout(&out));
    let log = std::fs::read_to_string(s.log()).unwrap();
    assert_eq!(common::schema_check("doh-serve-log", log.as_bytes()), 0);
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    let l = &lines[0];
    for key in [
        "time",
        "client",
        "method",
        "version",
        "qname",
        "qtype",
        "rcode",
        "status",
        "latency_ms",
    ] {
        assert!(!l[key].is_null(), "{key} in {l}");
    }
    assert_eq!(l["method"], "GET");
    assert_eq!(l["version"], "HTTP/2");
    assert_eq!(l["qname"], "alias.lab.test.");
    assert_eq!(l["rcode"], "NOERROR");
    assert_eq!(lines[1]["qtype"], "AAAA");
    let st = s.terminate();
    assert_eq!(st.code(), Some(0));
}

#[test]
fn per_client_rate_limit_answers_429() {
    if program("curl").is_none() {
        return;
    }
    let s = start(&["--rate", "2"]);
    let q = query_wire("www.lab.test");
    let url = format!("{}?dns={}", s.url(), b64(&q));
    // A burst of twice the rate passes; the requests after it within the same second do not.
    let statuses: Vec<u16> = (0..12)
        .map(|_| curl(&s, &["--http2"], &url).status)
        .collect();
    assert!(statuses.iter().take(4).all(|&c| c == 200), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    let r = curl(&s, &["--http2"], &url);
    if r.status == 429 {
        assert!(r.headers.contains("retry-after: 1"), "{}", r.headers);
    }
}

#[test]
fn an_oversized_request_head_is_refused() {
    if program("curl").is_none() {
        return;
    }
    let s = start(&[]);
    let q = query_wire("www.lab.test");
    let url = format!("{}?dns={}", s.url(), b64(&q));
    let big = format!("x-filler: {}", "a".repeat(64 * 1024));
    for version in ["--http1.1", "--http2"] {
        let r = curl(&s, &[version, "-H", &big], &url);
        assert_ne!(r.status, 200, "{version}: a 64 KiB header was accepted");
        // The server is still there for everyone else.
        assert_eq!(curl(&s, &[version], &url).status, 200);
    }
}

#[test]
fn an_idle_connection_is_closed() {
    use std::io::Read as _;
    let s = start(&["--http", "--idle-timeout", "1"]);
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    // Generous: the point is that the server ends it, not how fast.
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut buf = [0u8; 64];
    match tcp.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the idle connection was not closed: {other:?}"),
    }
}

#[test]
fn a_broken_zone_file_is_a_clear_error() {
    let dir = serve_lab::tempdir("badzone");
    let zone = dir.join("bad.zone");
    std::fs::write(
        &zone,
        "$ORIGIN bad.test.\n@ IN SOA ns h 1 2 3 4 5\nwww IN A 999.1.2.3\n",
    )
    .unwrap();
    let out = common::ietfwg(&[
        "doh",
        "serve",
        "--zone",
        &zone.display().to_string(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    // hickory's parser names the fault, not the line.
    assert!(
        err.contains("bad.zone: zone file:") && err.contains("invalid IPv4 address"),
        "{err}"
    );
    std::fs::write(&zone, "$ORIGIN bad.test.\nwww 300 IN A 192.0.2.1\n").unwrap();
    let out = common::ietfwg(&[
        "doh",
        "serve",
        "--zone",
        &zone.display().to_string(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("no SOA record"),
        "{}",
        common::stderr(&out)
    );
}
