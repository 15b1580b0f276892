//! `ietfwg doh serve --upstream`: forwarding to BIND 9.18 over Do53 — UDP, and TCP when the
//! answer is truncated — checked against the zone BIND serves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod serve_lab;

use ietfwg_test_support::dns_lab::{self, Bind};

use common::{assert_exit, doh_query, stdout};

#[test]
fn forwards_to_bind_with_tcp_fallback() {
    let Some(bind) = Bind::start() else { return };
    let upstream = format!("127.0.0.1:{}", bind.dns_port());
    let s = serve_lab::start(&["--upstream", &upstream]);
    assert!(
        s.banner
            .iter()
            .any(|l| l.contains(&format!("forwarding to {upstream}"))),
        "{:?}",
        s.banner
    );
    // Every record of BIND's zone comes back through the forwarder.
    for (owner, rtype, data) in dns_lab::RECORDS {
        if *rtype == "CNAME" {
            continue;
        }
        let out = doh_query(&s.url(), &s.cacert(), owner, rtype, &["--short"]);
        assert_exit(&out, 0);
        let want = data.trim_end_matches('.');
        assert!(
            stdout(&out)
                .lines()
                .any(|l| l.trim_end_matches('.') == want),
            "{owner} {rtype}: {want} missing from {}",
            stdout(&out)
        );
    }
    // Over 4 KB: BIND truncates the UDP answer (1232-octet payload), the forwarder asks again
    // over TCP and the DoH answer is whole.
    let out = doh_query(&s.url(), &s.cacert(), dns_lab::BIG_TXT, "TXT", &["--short"]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out).lines().count(), dns_lab::BIG_TXT_COUNT);
    let text = stdout(&doh_query(
        &s.url(),
        &s.cacert(),
        dns_lab::BIG_TXT,
        "TXT",
        &[],
    ));
    assert!(!text.contains(" tc"), "not truncated: {text}");
    // NXDOMAIN with BIND's SOA, cacheable for its negative TTL.
    let out = doh_query(&s.url(), &s.cacert(), dns_lab::MISSING, "A", &[]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("status: NXDOMAIN"), "{text}");
    assert!(text.contains("IN\tSOA\tns1.example.test."), "{text}");
    assert!(
        text.contains("CACHE: HTTP freshness lifetime 300 s"),
        "{text}"
    );
    // The answer is BIND's (authoritative), with the DoH client's ID 0.
    let text = stdout(&doh_query(
        &s.url(),
        &s.cacert(),
        "www.example.test",
        "A",
        &[],
    ));
    assert!(
        text.contains("id: 0") && text.contains("flags: qr aa rd"),
        "{text}"
    );
    let log = std::fs::read_to_string(s.log()).unwrap();
    assert!(log.lines().all(|l| l.contains("\"error\":null")), "{log}");
}

#[test]
fn an_upstream_that_does_not_answer_is_servfail() {
    // A UDP port nobody listens on: ICMP port unreachable, then SERVFAIL with the reason logged.
    let port = dns_lab::free_port(true);
    let s = serve_lab::start(&["--upstream", &format!("127.0.0.1:{port}")]);
    let out = doh_query(&s.url(), &s.cacert(), "www.example.test", "A", &[]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("status: SERVFAIL"),
        "{}",
        stdout(&out)
    );
    let log = std::fs::read_to_string(s.log()).unwrap();
    assert!(log.contains("\"rcode\":\"SERVFAIL\""), "{log}");
    assert!(log.contains(&format!("upstream 127.0.0.1:{port}")), "{log}");
}
