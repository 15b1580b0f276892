//! The answer model from both media types: wire messages (RFC 1035 §4.1, RFC 6891 OPT) and the
//! `application/dns-json` API; malformed input gives located errors, never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hickory_proto::rr::RecordType;
use ietfwg_doh::answer::Answer;
use ietfwg_doh::query::{build, QueryOptions};
use ietfwg_doh::Error;

/// RFC 8484 §4.2.2's example response.
const RFC_RESPONSE: &str = "00008180000100010000000003777777076578616d706c6503636f6d00001c0001c00c001c000100000e7d001020010db8abcd00120001000200030004";

fn rfc_response() -> Vec<u8> {
    hex::decode(RFC_RESPONSE).unwrap()
}

#[test]
fn rfc8484_response() {
    let a = Answer::from_wire(&rfc_response()).unwrap();
    assert_eq!(a.id, 0);
    assert_eq!(a.opcode, "QUERY");
    assert_eq!((a.rcode.as_str(), a.rcode_value), ("NOERROR", 0));
    assert!(a.flags.qr && a.flags.rd && a.flags.ra && !a.flags.aa && !a.flags.tc);
    assert_eq!(a.question[0].name, "www.example.com.");
    assert_eq!(a.question[0].qtype, "AAAA");
    assert_eq!(a.question[0].qclass, "IN");
    assert_eq!(a.answer.len(), 1);
    let r = &a.answer[0];
    assert_eq!(
        (
            r.name.as_str(),
            r.ttl,
            r.class.as_str(),
            r.rtype.as_str(),
            r.data.as_str()
        ),
        (
            "www.example.com.",
            3709,
            "IN",
            "AAAA",
            "2001:db8:abcd:12:1:2:3:4"
        )
    );
    assert_eq!(a.size, 61);
    assert!(a.edns.is_none());
    assert!(a.is_noerror());
    assert_eq!(a.min_ttl(), Some(3709));
    let j = serde_json::to_value(&a).unwrap();
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "id",
            "opcode",
            "rcode",
            "rcode_value",
            "flags",
            "question",
            "answers",
            "authority",
            "additional",
            "edns",
            "size",
            "comment"
        ]
    );
}

#[test]
fn our_queries_decode() {
    let mut o = QueryOptions::new("Example.COM", RecordType::Unknown(65280));
    o.dnssec_ok = true;
    let a = Answer::from_wire(&build(&o).unwrap()).unwrap();
    assert_eq!(a.question[0].name, "Example.COM.", "case is kept");
    assert_eq!(a.question[0].qtype, "TYPE65280");
    let e = a.edns.unwrap();
    assert!(e.dnssec_ok);
    assert_eq!((e.version, e.udp_payload_size, e.z), (0, 1232, 0));
    assert_eq!(e.options[0].code, 12);
    assert_eq!(e.options[0].name, "PADDING");
}

/// A response whose OPT record carries the upper RCODE bits (RFC 6891 §6.1.3).
fn with_ext_rcode(high: u8, low: u8) -> Vec<u8> {
    let mut m = vec![0, 0, 0x81, 0x80 | low, 0, 1, 0, 0, 0, 0, 0, 1];
    m.extend(b"\x00\x00\x01\x00\x01"); // . A IN
    m.extend([0, 0, 41, 0x04, 0xd0, high, 0, 0, 0, 0, 0]);
    m
}

#[test]
fn extended_rcodes() {
    let a = Answer::from_wire(&with_ext_rcode(1, 0)).unwrap();
    assert_eq!((a.rcode.as_str(), a.rcode_value), ("BADVERS", 16));
    assert!(!a.is_noerror());
    let a = Answer::from_wire(&with_ext_rcode(1, 7)).unwrap();
    assert_eq!((a.rcode.as_str(), a.rcode_value), ("BADCOOKIE", 23));
    let a = Answer::from_wire(&with_ext_rcode(0x20, 0)).unwrap();
    assert_eq!((a.rcode.as_str(), a.rcode_value), ("RCODE512", 512));
    let a = Answer::from_wire(&with_ext_rcode(0, 2)).unwrap();
    assert_eq!(a.rcode, "SERVFAIL");
    assert_eq!(a.question[0].name, ".");
}

#[test]
fn every_truncation_is_a_located_error() {
    let full = rfc_response();
    for n in 0..full.len() {
        match Answer::from_wire(&full[..n]) {
            Err(Error::Wire { size, reason }) => {
                assert_eq!(size, n);
                assert!(
                    reason.contains("offset") || reason.contains("header"),
                    "{n}: {reason}"
                );
            }
            other => panic!("{n} octets: {other:?}"),
        }
    }
}

#[test]
fn structural_errors() {
    // A compression pointer to itself (a loop) and one pointing forward.
    let mut m = vec![
        0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1,
    ];
    let e = Answer::from_wire(&m).unwrap_err().to_string();
    assert!(
        e.contains("pointer at offset 12 points forward to offset 12"),
        "{e}"
    );
    m[13] = 40;
    assert!(Answer::from_wire(&m).is_err());
    // Extended label type 01.
    m[12] = 0x41;
    let e = Answer::from_wire(&m).unwrap_err().to_string();
    assert!(e.contains("label type 0x40 at offset 12"), "{e}");
    // Two OPT records.
    let mut two = with_ext_rcode(0, 0);
    two[11] = 2;
    two.extend([0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);
    let e = Answer::from_wire(&two).unwrap_err().to_string();
    assert!(e.contains("a second OPT record"), "{e}");
    // An option running past the RDATA.
    let mut bad = with_ext_rcode(0, 0);
    let n = bad.len();
    bad[n - 1] = 4; // RDLENGTH 4
    bad.extend([0, 12, 0, 9]);
    let e = Answer::from_wire(&bad).unwrap_err().to_string();
    assert!(
        e.contains("OPTION-LENGTH 9 runs past the end of the RDATA"),
        "{e}"
    );
    // An A record with 3 octets of RDATA.
    let mut a =
        hex::decode("000081800001000100000000000001000100000100010000012c0003c00002").unwrap();
    let e = Answer::from_wire(&a).unwrap_err().to_string();
    assert!(e.contains("answer record 1 (A) at offset 17"), "{e}");
    a.truncate(12);
    a[5] = 0;
    a[7] = 0;
    assert!(Answer::from_wire(&a).is_ok(), "a bare header is a message");
    assert!(Answer::from_wire(&vec![0u8; 65536]).is_err());
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A fixed xorshift sequence: reproducible, no extra dependency.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let base = rfc_response();
    for i in 0..20_000 {
        let mut m = if i % 2 == 0 {
            base.clone()
        } else {
            let len = (next() % 200) as usize;
            (0..len).map(|_| next() as u8).collect()
        };
        if !m.is_empty() {
            for _ in 0..(next() % 4 + 1) {
                let k = (next() as usize) % m.len();
                m[k] = next() as u8;
            }
        }
        let _ = Answer::from_wire(&m);
    }
}

#[test]
fn json_api_google_style() {
    let text = r#"{"Status": 0,"TC": false,"RD": true,"RA": true,"AD": false,"CD": false,
      "Question":[{"name": "example.com.","type": 16}],
      "Answer":[{"name": "example.com.","type": 16,"TTL": 86400,"data": "\"v=spf1 -all\""},
                {"name": "example.com.","type": 16,"TTL": 300,"data": "\"hello\""}],
      "Comment": "Response from 192.0.2.53."}"#;
    let a = Answer::from_json_api(text).unwrap();
    assert_eq!(a.rcode, "NOERROR");
    assert!(a.flags.qr && a.flags.rd && a.flags.ra);
    assert_eq!(a.question[0].qtype, "TXT");
    assert_eq!(a.answer[0].data, "\"v=spf1 -all\"");
    assert_eq!(a.answer[1].rtype, "TXT");
    assert_eq!(a.min_ttl(), Some(300));
    assert_eq!(a.comment.as_deref(), Some("Response from 192.0.2.53."));
    assert_eq!(a.size, 0);
}

#[test]
fn json_api_cloudflare_nxdomain() {
    let text = r#"{"Status":3,"TC":false,"RD":true,"RA":true,"AD":true,"CD":false,
      "Question":[{"name":"nope.example.com","type":1}],
      "Authority":[{"name":"example.com","type":6,"TTL":1800,
        "data":"ns.icann.org. noc.dns.icann.org. 2024081439 7200 3600 1209600 3600"}],
      "Comment":["EDE(9): DNSKEY Missing", "second"]}"#;
    let a = Answer::from_json_api(text).unwrap();
    assert_eq!((a.rcode.as_str(), a.rcode_value), ("NXDOMAIN", 3));
    assert!(a.flags.ad);
    assert_eq!(a.question[0].name, "nope.example.com.");
    assert_eq!(a.authority[0].name, "example.com.");
    assert_eq!(a.authority[0].rtype, "SOA");
    assert_eq!(a.min_ttl(), Some(1800));
    assert_eq!(a.comment.as_deref(), Some("EDE(9): DNSKEY Missing second"));
    assert!(!a.is_noerror());
}

#[test]
fn json_api_errors() {
    let e = Answer::from_json_api("{\"TC\":false}")
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing field `Status`"), "{e}");
    let e = Answer::from_json_api("<html>").unwrap_err().to_string();
    assert!(
        e.starts_with("JSON API answer: not the dns-json schema"),
        "{e}"
    );
    let e = Answer::from_json_api(r#"{"Status":0,"Answer":[{"name":"a","type":"A"}]}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1"), "{e}");
}
