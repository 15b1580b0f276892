//! Internationalised names (IDNA 2008) in and out, against BIND 9.18 (test-support `dns_lab`,
//! whose zone holds `bücher.example.test` as `xn--bcher-kva.example.test`): `doh query` with a
//! Unicode name sends its A-labels and shows the answer as `kdig +idn` does over UDP against
//! the same BIND, and with `--no-idn` as `kdig +noidn` does; JSON keeps the A-labels and adds
//! `name_unicode`; a name IDNA refuses is a usage error. And `doh batch --json-api` against
//! `doh serve`: the same lines as the wire-format batch.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
mod serve_lab;

use std::sync::OnceLock;

use ietfwg_test_support::dns_lab::Bind;
use ietfwg_test_support::shared::program;
use serde_json::Value;

use common::{assert_exit, doh_batch, doh_query, stderr, stdout};

fn bind() -> Option<&'static Bind> {
    static LAB: OnceLock<Option<Bind>> = OnceLock::new();
    LAB.get_or_init(Bind::start).as_ref()
}

/// The records of the sections of dig-like text (kdig's or ours), each as its
/// whitespace-separated fields: kdig pads the owner column with spaces, we use a tab.
fn records(text: &str) -> Vec<Vec<String>> {
    let mut in_section = false;
    let mut v = Vec::new();
    for line in text.lines() {
        if line.starts_with(";; ANSWER SECTION") || line.starts_with(";; AUTHORITY SECTION") {
            in_section = true;
            continue;
        }
        if line.trim().is_empty() || line.starts_with(';') {
            in_section = false;
            continue;
        }
        if in_section {
            v.push(line.split_whitespace().map(str::to_string).collect());
        }
    }
    v
}

/// `kdig @127.0.0.1 -p PORT [+noidn] NAME TYPE` over UDP, in a UTF-8 locale (libidn2
/// converts from and to the locale's character set). kdig converts IDNs by default (its
/// `+idn`); `+noidn` turns that off.
fn kdig(port: u16, idn: bool, name: &str, qtype: &str) -> String {
    let port = port.to_string();
    let mut args = vec!["@127.0.0.1", "-p", &port, "+timeout=5", "+retry=1"];
    if !idn {
        args.push("+noidn");
    }
    args.extend([name, qtype]);
    common::kdig(&args)
}

#[test]
fn unicode_names_against_bind_and_kdig() {
    let (Some(b), Some(_)) = (bind(), program("kdig")) else {
        return;
    };
    let (url, ca) = (b.doh_url(), b.cacert());
    for (name, qtype) in [
        ("bücher.example.test", "A"),
        ("例え.example.test", "TXT"),
        ("idn-alias.example.test", "A"),
    ] {
        // Unicode shown: as kdig +idn shows it.
        let ours = doh_query(&url, &ca, name, qtype, &[]);
        assert_exit(&ours, 0);
        let k = kdig(b.dns_port(), true, name, qtype);
        let (o, k) = (records(&stdout(&ours)), records(&k));
        assert!(!o.is_empty(), "{name}: no records in {}", stdout(&ours));
        assert_eq!(o, k, "{name} {qtype}: ours vs kdig +idn");
        // As sent: as kdig +noidn shows it (given the A-labels, which +noidn needs).
        let ace = ietfwg_doh::idn::to_ascii(name).unwrap().into_owned();
        let ours = doh_query(&url, &ca, name, qtype, &["--no-idn"]);
        assert_exit(&ours, 0);
        let k = kdig(b.dns_port(), false, &ace, qtype);
        assert_eq!(
            records(&stdout(&ours)),
            records(&k),
            "{name} {qtype}: ours --no-idn vs kdig +noidn"
        );
    }
    // Names in RDATA too, as kdig shows them: the CNAME's target.
    let ours = stdout(&doh_query(&url, &ca, "idn-alias.example.test", "A", &[]));
    assert!(ours.contains("\tCNAME\tbücher.example.test.\n"), "{ours}");
    let short = stdout(&doh_query(
        &url,
        &ca,
        "idn-alias.example.test",
        "A",
        &["--short"],
    ));
    assert_eq!(short, "bücher.example.test.\n192.0.2.70\n");
    let short = stdout(&doh_query(
        &url,
        &ca,
        "idn-alias.example.test",
        "A",
        &["--short", "--no-idn"],
    ));
    assert_eq!(short, "xn--bcher-kva.example.test.\n192.0.2.70\n");
    // The question section too, and the owner of the A record in Unicode.
    let ours = stdout(&doh_query(&url, &ca, "BÜCHER.example.test", "A", &[]));
    assert!(ours.contains(";bücher.example.test.\t\tIN\tA\n"), "{ours}");
    assert!(
        ours.contains("bücher.example.test.\t300\tIN\tA\t192.0.2.70\n"),
        "{ours}"
    );
}

#[test]
fn json_keeps_a_labels_and_adds_name_unicode() {
    let Some(b) = bind() else { return };
    let (url, ca) = (b.doh_url(), b.cacert());
    let out = doh_query(&url, &ca, "bücher.example.test", "A", &["--json"]);
    assert_exit(&out, 0);
    assert_eq!(common::schema_check("doh-query", &out.stdout), 0);
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["name"], "xn--bcher-kva.example.test");
    assert_eq!(j["name_unicode"], "bücher.example.test");
    assert_eq!(j["question"][0]["name"], "xn--bcher-kva.example.test.");
    assert_eq!(j["answers"][0]["name"], "xn--bcher-kva.example.test.");
    assert_eq!(j["answers"][0]["data"], "192.0.2.70");
    // No name_unicode where there is nothing to convert.
    let out = doh_query(&url, &ca, "www.example.test", "A", &["--json"]);
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j.get("name_unicode").is_none(), "{j}");

    // A batch: the same, line by line; a name IDNA refuses is an `error` line.
    let input = "bücher.example.test\nxn--bcher-kva.example.test\nwww.example.test\nxn--a.example.test\na\u{e000}.example.test\n";
    let out = doh_batch(&url, &ca, input, &[]);
    assert_exit(&out, 1);
    assert_eq!(
        common::schema_check("doh-batch", &out.stdout),
        2,
        "two error lines"
    );
    let lines = common::ndjson(&out);
    assert_eq!(lines.len(), 5, "{}", stdout(&out));
    for l in &lines[..2] {
        assert_eq!(l["name"], "xn--bcher-kva.example.test", "{l}");
        assert_eq!(l["name_unicode"], "bücher.example.test", "{l}");
        assert_eq!(l["answers"][0]["data"], "192.0.2.70", "{l}");
    }
    assert!(lines[2].get("name_unicode").is_none());
    assert_eq!(lines[2]["rcode"], "NOERROR");
    assert_eq!(lines[3]["error"]["layer"], "input");
    assert_eq!(
        lines[3]["error"]["message"],
        "line 4: query name \"xn--a.example.test\": label 1 \"xn--a\" is not a valid A-label: \
         its Punycode does not decode to a U-label IDNA 2008 allows (RFC 5891 §5.4)"
    );
    assert_eq!(lines[3]["rcode"], Value::Null);
    let m = lines[4]["error"]["message"].as_str().unwrap();
    assert!(m.contains("U+E000") && m.contains("disallowed"), "{m}");
}

/// `doh bench` with a Unicode name (and a file of them) asks BIND for the A-labels: every
/// answer NOERROR, where the name BIND holds only as `xn--bcher-kva` would be NXDOMAIN if
/// sent otherwise.
#[test]
fn bench_sends_a_labels() {
    let Some(b) = bind() else { return };
    let ca = b.cacert();
    let dir = serve_lab::tempdir("idn-bench");
    let file = dir.join("names.txt");
    std::fs::write(&file, "bücher.example.test\n例え.example.test TXT\n").unwrap();
    for source in [
        &["bücher.example.test", "A"][..],
        &["-f", file.to_str().unwrap()][..],
    ] {
        let url = b.doh_url();
        let mut args = vec!["doh", "bench", &url];
        args.extend_from_slice(source);
        args.extend(["--count", "20", "--cacert", ca.to_str().unwrap(), "--json"]);
        let out = common::ietfwg(&args);
        assert_exit(&out, 0);
        let r: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["rcodes"]["NOERROR"], 20, "{r}");
    }
    let out = common::ietfwg(&[
        "doh",
        "bench",
        &b.doh_url(),
        "xn--a.example.test",
        "--count",
        "1",
    ]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("is not a valid A-label"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn invalid_names_are_usage_errors() {
    // Refused before any connection: the server is never reached.
    for (name, says) in [
        ("xn--a.example", "label 1 \"xn--a\" is not a valid A-label"),
        (
            "www.\u{301}x.example",
            "label 2 \"\\u{301}x\" begins with the combining mark U+0301",
        ),
        ("a\u{200d}b.example", "U+200D"),
    ] {
        let out = common::ietfwg(&[
            "doh",
            "query",
            name,
            "A",
            "--server",
            "https://127.0.0.1:9/dns-query",
        ]);
        assert_exit(&out, 2);
        assert!(stderr(&out).contains(says), "{name}: {}", stderr(&out));
        let out = common::ietfwg(&["doh", "encode", name]);
        assert_exit(&out, 2);
    }
    // doh encode: the A-labels on the wire.
    let out = common::ietfwg(&[
        "doh",
        "encode",
        "bücher.example",
        "--format",
        "hex",
        "--no-edns",
    ]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains(&hex::encode(b"\x0dxn--bcher-kva\x07example\x00")),
        "{}",
        stdout(&out)
    );
}

/// `doh batch --json-api` against `doh serve --json-api`: the same lines (but timing) as the
/// wire-format batch of the same names.
#[test]
fn batch_json_api_matches_wire_batch() {
    let s = serve_lab::start(&["--json-api"]);
    let input = "www.lab.test\nalias.lab.test A\nwww.lab.test AAAA\nnope.lab.test\n\
                 x.wild.lab.test TXT\nbad..name\nshort.lab.test\n";
    let wire = doh_batch(&s.url(), &s.cacert(), input, &[]);
    let api = doh_batch(
        &s.url(),
        &s.cacert(),
        input,
        &["--json-api", "--concurrency", "2"],
    );
    assert_exit(&wire, 1);
    assert_exit(&api, 1);
    assert_eq!(
        common::schema_check("doh-batch", &api.stdout),
        1,
        "one error line"
    );
    let strip = |mut v: Vec<Value>| {
        for l in &mut v {
            l.as_object_mut().unwrap().remove("ttfb_ms");
        }
        v
    };
    let (w, a) = (strip(common::ndjson(&wire)), strip(common::ndjson(&api)));
    assert_eq!(a.len(), 7);
    assert_eq!(w, a);
    // TXT strings quoted in both, as Google's and Cloudflare's JSON APIs give them.
    assert_eq!(a[4]["answers"][0]["data"], "\"wildcard\"");
    assert_eq!(a[1]["answers"].as_array().unwrap().len(), 4, "{}", a[1]);
    assert_eq!(a[3]["rcode"], "NXDOMAIN");
    assert_eq!(a[5]["error"]["layer"], "input");
    // The server saw JSON API requests: GETs with ?name=.
    let log = std::fs::read_to_string(s.log()).unwrap();
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("\"method\":\"GET\""))
            .count(),
        6,
        "{log}"
    );
    assert!(
        stderr(&api).contains("sent 6, NOERROR 5, NXDOMAIN 1, other 0, errors 1"),
        "{}",
        stderr(&api)
    );
}
