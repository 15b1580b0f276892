//! `ietfwg doh encode` and `ietfwg doh decode` through the real binary, without a network:
//! against the byte-exact examples of RFC 8484 §4.1.1 and §4.2.2, and against tshark as an
//! independent decoder of the queries we encode and of the responses we decode.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{
    assert_exit, assert_fails_with, ietfwg, ietfwg_stdin, ndjson, num, stderr, stdout, tshark,
    tshark_fields,
};

/// RFC 8484 §4.1.1: www.example.com IN A, ID 0, RD, no EDNS.
const RFC_QUERY_B64: &str = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";
const RFC_QUERY_HEX: &str = "00000100000100000000000003777777076578616d706c6503636f6d0000010001";
/// RFC 8484 §4.1.1's third example: a name whose base64url has '-' and no padding.
const RFC_LONG_NAME: &str =
    "a.62characterlabel-makes-base64url-distinct-from-standard-base64.example.com";
const RFC_LONG_B64: &str = "AAABAAABAAAAAAAAAWE-NjJjaGFyYWN0ZXJsYWJlbC1tYWtlcy1iYXNlNjR1cmwtZGlzdGluY3QtZnJvbS1zdGFuZGFyZC1iYXNlNjQHZXhhbXBsZQNjb20AAAEAAQ";
/// RFC 8484 §4.2.2, as printed there.
const RFC_RESPONSE: &str = "00 00 81 80 00 01 00 01  00 00 00 00 03 77 77 77
07 65 78 61 6d 70 6c 65  03 63 6f 6d 00 00 1c 00
01 c0 0c 00 1c 00 01 00  00 0e 7d 00 10 20 01 0d
b8 ab cd 00 12 00 01 00  02 00 03 00 04
";

#[test]
fn encode_gives_rfc8484_examples() {
    let url = "https://dnsserver.example.net/dns-query";
    let cases: [(&[&str], Vec<u8>); 5] = [
        (
            &["www.example.com", "A", "--no-edns"],
            format!("{RFC_QUERY_B64}\n").into(),
        ),
        (
            &["www.example.com", "--no-edns", "--format", "hex"],
            format!("{RFC_QUERY_HEX}\n").into(),
        ),
        (
            &[RFC_LONG_NAME, "--no-edns"],
            format!("{RFC_LONG_B64}\n").into(),
        ),
        (
            &[
                "www.example.com",
                "--no-edns",
                "--format",
                "url",
                "--server",
                url,
            ],
            format!("{url}?dns={RFC_QUERY_B64}\n").into(),
        ),
        (
            &["www.example.com", "--no-edns", "--format", "raw"],
            hex::decode(RFC_QUERY_HEX).unwrap(),
        ),
    ];
    for (args, want) in cases {
        let o = ietfwg(&[&["doh", "encode"][..], args].concat());
        assert_exit(&o, 0);
        assert_eq!(o.stdout, want, "{args:?}: {}", stdout(&o));
    }
}

#[test]
fn encode_errors() {
    let long = format!("{}.com", "a".repeat(64));
    for (args, want) in [
        (
            &["example.com", "BOGUS"][..],
            "unknown record type \"BOGUS\"",
        ),
        (&["example.com", "--no-edns", "--do"][..], ""),
        (&[long.as_str()][..], "a label of 64 octets"),
    ] {
        let o = ietfwg(&[&["doh", "encode"][..], args].concat());
        assert_fails_with(&o, 2, want);
    }
}

#[test]
fn decode_rfc8484_examples() {
    // The GET query, base64url auto-detected.
    let o = ietfwg_stdin(&["doh", "decode", "--json"], RFC_QUERY_B64.as_bytes());
    assert_exit(&o, 0);
    let j = &ndjson(&o)[0];
    assert_eq!(j["question"][0]["name"], "www.example.com.");
    assert_eq!(j["question"][0]["qtype"], "A");
    assert_eq!(j["flags"]["rd"], true);
    assert_eq!(j["flags"]["qr"], false);
    assert_eq!(j["size"], 33);
    assert!(j["edns"].is_null());
    // The response, hex with the RFC's spacing.
    let o = ietfwg_stdin(
        &["doh", "decode", "--color", "never"],
        RFC_RESPONSE.as_bytes(),
    );
    assert_exit(&o, 0);
    let t = stdout(&o);
    assert!(
        t.starts_with(";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 0\n;; flags: qr rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0\n"),
        "{t}"
    );
    assert!(
        t.contains(
            "\n;; ANSWER SECTION:\nwww.example.com.\t3709\tIN\tAAAA\t2001:db8:abcd:12:1:2:3:4\n"
        ),
        "{t}"
    );
    assert!(t.contains(";; MSG SIZE: 61"), "{t}");
    assert!(!t.contains('\u{1b}'), "no colour in a pipe");
    let o = ietfwg_stdin(
        &["doh", "decode", "--short", "--format", "hex"],
        RFC_RESPONSE.as_bytes(),
    );
    assert_eq!(stdout(&o), "2001:db8:abcd:12:1:2:3:4\n");
}

#[test]
fn decode_errors_are_precise() {
    let padded = format!("{RFC_QUERY_B64}==");
    let std_b64 = RFC_LONG_B64.replace('-', "+");
    // Cut in the middle of the question's name.
    let cut = &RFC_QUERY_HEX[..40];
    let resp = rfc_response();
    let cases: [(&[&str], &[u8], &str); 7] = [
        (&[], padded.as_bytes(), "'=' at offset 44: DoH's base64url has no padding"),
        (&[], std_b64.as_bytes(), "'+' at offset 19 is standard base64"),
        (
            &[],
            cut.as_bytes(),
            "malformed DNS message (20 octets): question 1: a label of 7 octets at offset 16 runs past the end",
        ),
        // Cut in the middle of the answer's RDATA.
        (
            &["--format", "binary"],
            &resp[..55],
            "answer record 1 (of 1): RDLENGTH 16 at offset 43 runs past the end of the message (10 octets left)",
        ),
        (&[], b"", "empty input"),
        (&["--format", "hex"], b"0001 0g", "'g' at offset 6 is not a hex digit"),
        (&["--format", "binary"], &[0; 11], "11 octets cannot hold the 12-octet header"),
    ];
    for (args, input, want) in cases {
        let o = ietfwg_stdin(&[&["doh", "decode"][..], args].concat(), input);
        assert_fails_with(&o, 2, want);
    }
}

#[test]
fn encode_decode_round_trip() {
    let enc = ietfwg(&[
        "doh",
        "encode",
        "example.org",
        "TYPE65",
        "--do",
        "--cd",
        "--id",
        "513",
    ]);
    assert!(enc.status.success(), "{}", stderr(&enc));
    let o = ietfwg_stdin(&["doh", "decode", "--json"], &enc.stdout);
    assert_exit(&o, 0);
    let j = &ndjson(&o)[0];
    assert_eq!(j["id"], 513);
    assert_eq!(j["question"][0]["qtype"], "HTTPS");
    assert_eq!(j["flags"]["cd"], true);
    assert_eq!(j["edns"]["dnssec_ok"], true);
    assert_eq!(j["edns"]["udp_payload_size"], 1232);
    assert_eq!(j["edns"]["options"][0]["name"], "PADDING");
    assert_eq!(j["size"], 128);
}

/// [`RFC_RESPONSE`] as octets.
fn rfc_response() -> Vec<u8> {
    hex::decode(RFC_RESPONSE.split_whitespace().collect::<String>()).unwrap()
}

/// A hand-assembled NXDOMAIN with an SOA and an OPT record carrying NSID, COOKIE,
/// CLIENT-SUBNET, EDE, PADDING and an unassigned option (every octet written out here, so the
/// decoder under test has no part in making it).
fn nxdomain_with_options() -> Vec<u8> {
    let mut m = vec![
        0x12, 0x34, // ID
        0x81, 0x83, // QR RD; RA, RCODE 3
        0, 1, 0, 0, 0, 1, 0, 1, // QD 1, AN 0, NS 1, AR 1
    ];
    m.extend(b"\x04nope\x07example\x04test\x00\x00\x01\x00\x01");
    // SOA owned by example.test (pointer to offset 17).
    m.extend([0xc0, 0x11, 0, 6, 0, 1, 0, 0, 0x0e, 0x10]);
    let mut soa = b"\x02ns\xc0\x11\x0ahostmaster\xc0\x11".to_vec();
    for v in [2024010101u32, 3600, 900, 604800, 300] {
        soa.extend(v.to_be_bytes());
    }
    m.extend((soa.len() as u16).to_be_bytes());
    m.extend(soa);
    let mut opts = Vec::new();
    let mut opt = |code: u16, data: &[u8]| {
        opts.extend(code.to_be_bytes());
        opts.extend((data.len() as u16).to_be_bytes());
        opts.extend(data);
    };
    opt(3, b"ns1");
    opt(
        10,
        &hex::decode("0102030405060708a1a2a3a4a5a6a7a8").unwrap(),
    );
    opt(8, &[0, 1, 24, 0, 192, 0, 2]);
    opt(15, b"\x00\x11filtered by policy");
    opt(12, &[0; 5]);
    opt(65001, b"ab");
    m.extend([0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0]); // root, OPT, 4096, DO
    m.extend((opts.len() as u16).to_be_bytes());
    m.extend(opts);
    m
}

/// A hand-assembled answer: A, AAAA, MX, TXT with quotes and a control octet, an unassigned
/// type, CNAME to an A-label, PTR with a control octet, HINFO, SRV to a label holding a dot,
/// CAA — with compression pointers.
fn answer_with_records() -> Vec<u8> {
    let mut m = vec![0, 0, 0x85, 0x80, 0, 1, 0, 10, 0, 0, 0, 0];
    m.extend(b"\x07example\x04test\x00\x00\xff\x00\x01"); // ANY
    let mut rr = |t: u16, ttl: u32, data: &[u8]| {
        m.extend([0xc0, 0x0c]);
        m.extend(t.to_be_bytes());
        m.extend([0, 1]);
        m.extend(ttl.to_be_bytes());
        m.extend((data.len() as u16).to_be_bytes());
        m.extend(data);
    };
    rr(1, 300, &[192, 0, 2, 1]);
    rr(
        28,
        60,
        &hex::decode("20010db8000000000000000000000001").unwrap(),
    );
    rr(15, 600, b"\x00\x0a\x04mail\xc0\x0c");
    rr(16, 30, b"\x08say \"hi\"\x04\x03a\\b");
    rr(65280, 90, &[1, 2, 3]);
    rr(5, 100, b"\x0dxn--bcher-kva\x07example\x00");
    rr(12, 100, b"\x03x\x07y\x00");
    rr(13, 100, b"\x05Intel\x05Linux");
    rr(33, 100, b"\x00\x0a\x00\x14\x01\xbb\x03a.b\xc0\x0c");
    rr(257, 100, b"\x00\x05issueca.example");
    m
}

#[test]
fn decode_hand_assembled_messages() {
    let o = ietfwg_stdin(
        &["doh", "decode", "--json", "--format", "binary"],
        &nxdomain_with_options(),
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "NXDOMAIN is a finding: {}",
        stderr(&o)
    );
    let j = &ndjson(&o)[0];
    assert_eq!(j["rcode"], "NXDOMAIN");
    assert_eq!(j["authority"][0]["name"], "example.test.");
    assert_eq!(
        j["authority"][0]["data"],
        "ns.example.test. hostmaster.example.test. 2024010101 3600 900 604800 300"
    );
    let opts = j["edns"]["options"].as_array().unwrap();
    let names: Vec<&str> = opts.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "NSID",
            "COOKIE",
            "CLIENT-SUBNET",
            "EDE",
            "PADDING",
            "OPT65001"
        ]
    );
    assert_eq!(opts[0]["text"], "\"ns1\"");
    assert_eq!(
        opts[1]["text"],
        "client 0102030405060708, server a1a2a3a4a5a6a7a8"
    );
    assert_eq!(opts[2]["text"], "192.0.2.0/24/0");
    assert_eq!(opts[3]["text"], "17 (Filtered): filtered by policy");
    assert_eq!(opts[4]["text"], "5 octets");
    assert_eq!(opts[5]["data"], "6162");
    assert!(opts[5]["text"].is_null());

    let o = ietfwg_stdin(
        &["doh", "decode", "--format", "binary"],
        &answer_with_records(),
    );
    assert_exit(&o, 0);
    let t = stdout(&o);
    for line in [
        ";; flags: qr aa rd ra; QUERY: 1, ANSWER: 10, AUTHORITY: 0, ADDITIONAL: 0",
        ";example.test.\t\tIN\tANY",
        "example.test.\t300\tIN\tA\t192.0.2.1",
        "example.test.\t60\tIN\tAAAA\t2001:db8::1",
        "example.test.\t600\tIN\tMX\t10 mail.example.test.",
        "example.test.\t30\tIN\tTXT\t\"say \\\"hi\\\"\" \"\\003a\\\\b\"",
        "example.test.\t90\tIN\tTYPE65280\t\\# 3 010203",
        "example.test.\t100\tIN\tCNAME\txn--bcher-kva.example.",
        "example.test.\t100\tIN\tPTR\tx\\007y.",
        "example.test.\t100\tIN\tHINFO\t\"Intel\" \"Linux\"",
        "example.test.\t100\tIN\tSRV\t10 20 443 a\\.b.example.test.",
        "example.test.\t100\tIN\tCAA\t0 issue \"ca.example\"",
    ] {
        assert!(t.contains(line), "missing {line:?} in\n{t}");
    }
}

/// Writes frames as Ethernet/IPv4/UDP packets (port 53 on one side) in a classic pcap file.
/// Checksums are zero: tshark does not verify them by default.
fn write_pcap(path: &Path, frames: &[(bool, &[u8])]) {
    let mut f = Vec::new();
    f.extend(0xa1b2_c3d4u32.to_le_bytes());
    f.extend(2u16.to_le_bytes());
    f.extend(4u16.to_le_bytes());
    f.extend([0u8; 8]);
    f.extend(65535u32.to_le_bytes());
    f.extend(1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    for (i, (response, dns)) in frames.iter().enumerate() {
        let (sport, dport) = if *response {
            (53u16, 40000u16)
        } else {
            (40000, 53)
        };
        let mut p = Vec::new();
        p.extend([0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]);
        let ip_len = (20 + 8 + dns.len()) as u16;
        p.extend([0x45, 0]);
        p.extend(ip_len.to_be_bytes());
        p.extend([0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
        p.extend(sport.to_be_bytes());
        p.extend(dport.to_be_bytes());
        p.extend(((8 + dns.len()) as u16).to_be_bytes());
        p.extend([0, 0]);
        p.extend(*dns);
        f.extend((i as u32 + 1).to_le_bytes());
        f.extend(0u32.to_le_bytes());
        f.extend((p.len() as u32).to_le_bytes());
        f.extend((p.len() as u32).to_le_bytes());
        f.extend(p);
    }
    std::fs::write(path, f).unwrap();
}

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("ietfwg-doh-offline-{}-{name}", std::process::id()))
}

#[test]
fn tshark_reads_our_queries_as_we_meant_them() {
    if tshark().is_none() {
        return;
    }
    let long = [
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(61),
    ]
    .join(".");
    // (args, id, rd, cd, name, type, class, edns: Some((udp, do, padding block)))
    #[allow(clippy::type_complexity)]
    let cases: Vec<(
        Vec<&str>,
        u64,
        bool,
        bool,
        &str,
        u64,
        u64,
        Option<(u64, bool, Option<u64>)>,
    )> = vec![
        (
            vec!["example.com"],
            0,
            true,
            false,
            "example.com",
            1,
            1,
            Some((1232, false, Some(128))),
        ),
        (
            vec!["example.com", "AAAA", "--do", "--cd"],
            0,
            true,
            true,
            "example.com",
            28,
            1,
            Some((1232, true, Some(128))),
        ),
        (
            vec!["svc.example", "TYPE65", "--no-rd", "--id", "4660"],
            4660,
            false,
            false,
            "svc.example",
            65,
            1,
            Some((1232, false, Some(128))),
        ),
        (
            vec![
                "version.bind",
                "TXT",
                "--class",
                "CH",
                "--no-pad",
                "--udp-size",
                "4096",
            ],
            0,
            true,
            false,
            "version.bind",
            16,
            3,
            Some((4096, false, None)),
        ),
        (
            vec![&long, "65280", "--pad", "468"],
            0,
            true,
            false,
            &long,
            65280,
            1,
            Some((1232, false, Some(468))),
        ),
        (
            vec!["www.example.com", "--no-edns"],
            0,
            true,
            false,
            "www.example.com",
            1,
            1,
            None,
        ),
    ];
    let mut wires = Vec::new();
    for (args, ..) in &cases {
        let mut a = vec!["doh", "encode", "--format", "raw"];
        a.extend(args.iter().copied());
        let o = ietfwg(&a);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        wires.push(o.stdout);
    }
    let pcap = tmp("queries.pcap");
    let frames: Vec<(bool, &[u8])> = wires.iter().map(|w| (false, w.as_slice())).collect();
    write_pcap(&pcap, &frames);
    let rows = tshark_fields(
        &pcap,
        &["-d", "udp.port==53,dns"],
        &[
            "dns.id",
            "dns.flags.response",
            "dns.flags.recdesired",
            "dns.flags.checkdisable",
            "dns.qry.name",
            "dns.qry.type",
            "dns.qry.class",
            "dns.rr.udp_payload_size",
            "dns.resp.z.do",
            "dns.opt.code",
            "dns.opt.len",
            "dns.count.add_rr",
            "udp.length",
        ],
    );
    let _ = std::fs::remove_file(&pcap);
    assert_eq!(rows.len(), cases.len());
    let flag = |s: &str| s == "1" || s == "True";
    for (row, (args, id, rd, cd, name, qtype, qclass, edns)) in rows.iter().zip(&cases) {
        let ctx = format!("{args:?}: tshark says {row:?}");
        assert_eq!(num(&row[0]), *id, "{ctx}");
        assert!(!flag(&row[1]), "{ctx}");
        assert_eq!(flag(&row[2]), *rd, "{ctx}");
        assert_eq!(flag(&row[3]), *cd, "{ctx}");
        assert_eq!(row[4], *name, "{ctx}");
        assert_eq!(num(&row[5]), *qtype, "{ctx}");
        assert_eq!(num(&row[6]), *qclass, "{ctx}");
        let size = num(&row[12]) - 8;
        match edns {
            None => {
                assert_eq!(num(&row[11]), 0, "{ctx}");
                assert!(row[7].is_empty() && row[9].is_empty(), "{ctx}");
            }
            Some((udp, dnssec_ok, pad)) => {
                assert_eq!(num(&row[11]), 1, "{ctx}");
                assert_eq!(num(&row[7]), *udp, "{ctx}");
                assert_eq!(flag(&row[8]), *dnssec_ok, "{ctx}");
                match pad {
                    Some(block) => {
                        assert_eq!(num(&row[9]), 12, "{ctx}");
                        assert_eq!(size % block, 0, "{ctx}");
                        // The option fills the message exactly to the block.
                        let unpadded = 12 + (name.len() as u64 + 2) + 4 + 11 + 4;
                        assert_eq!(num(&row[10]), size - unpadded, "{ctx}");
                    }
                    None => assert!(row[9].is_empty(), "{ctx}"),
                }
            }
        }
    }
}

#[test]
fn our_decode_agrees_with_tshark() {
    if tshark().is_none() {
        return;
    }
    let nx = nxdomain_with_options();
    let ans = answer_with_records();
    let rfc = rfc_response();
    let pcap = tmp("responses.pcap");
    write_pcap(&pcap, &[(true, &nx), (true, &ans), (true, &rfc)]);
    let rows = tshark_fields(
        &pcap,
        &["-d", "udp.port==53,dns"],
        &[
            "dns.id",
            "dns.flags.rcode",
            "dns.resp.name",
            "dns.resp.type",
            "dns.resp.ttl",
            "dns.soa.minimum_ttl",
            "dns.opt.code",
            "dns.opt.len",
            "dns.opt.client.addr4",
            "dns.opt.ext_error.info_code",
            "dns.opt.ext_error.extra_text",
            "dns.opt.cookie.server",
            "dns.a",
            "dns.aaaa",
            "dns.mx.mail_exchange",
        ],
    );
    let _ = std::fs::remove_file(&pcap);
    assert_eq!(rows.len(), 3);
    let mut ours = Vec::new();
    for m in [&nx, &ans, &rfc] {
        let o = ietfwg_stdin(&["doh", "decode", "--json", "--format", "binary"], m);
        assert!(o.status.code() != Some(2), "{}", stderr(&o));
        ours.push(ndjson(&o).remove(0));
    }
    for (row, j) in rows.iter().zip(&ours) {
        let ctx = format!("tshark {row:?}\nours {j}");
        assert_eq!(num(&row[0]), j["id"].as_u64().unwrap(), "{ctx}");
        assert_eq!(num(&row[1]), j["rcode_value"].as_u64().unwrap(), "{ctx}");
        // Every record (tshark lists the OPT pseudo-record too, owned by "<Root>").
        let records: Vec<&serde_json::Value> = ["answers", "authority", "additional"]
            .iter()
            .flat_map(|s| j[*s].as_array().unwrap())
            .collect();
        let names: Vec<&str> = occurrences(&row[2]).filter(|n| *n != "<Root>").collect();
        let types: Vec<u64> = occurrences(&row[3]).map(num).filter(|t| *t != 41).collect();
        let ttls: Vec<u64> = occurrences(&row[4]).map(num).collect();
        // tshark files an SRV record's owner under a field of its own.
        let owners: Vec<&str> = records
            .iter()
            .filter(|r| r["rtype"] != "SRV")
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        let names: Vec<String> = names.iter().map(|n| format!("{n}.")).collect();
        assert_eq!(names, owners, "{ctx}");
        assert_eq!(types.len(), records.len(), "{ctx}");
        for (k, r) in records.iter().enumerate() {
            assert_eq!(ietfwg_type(types[k]), r["rtype"].as_str().unwrap(), "{ctx}");
            assert_eq!(ttls[k], r["ttl"].as_u64().unwrap(), "{ctx}");
        }
        let opts = j["edns"]["options"].as_array().cloned().unwrap_or_default();
        let codes: Vec<u64> = occurrences(&row[6]).map(num).collect();
        let lens: Vec<u64> = occurrences(&row[7]).map(num).collect();
        assert_eq!(
            codes,
            opts.iter()
                .map(|o| o["code"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            "{ctx}"
        );
        assert_eq!(
            lens,
            opts.iter()
                .map(|o| o["data"].as_str().unwrap().len() as u64 / 2)
                .collect::<Vec<_>>(),
            "{ctx}"
        );
        for o in &opts {
            let text = o["text"].as_str().unwrap_or("");
            match o["code"].as_u64().unwrap() {
                8 => assert!(text.starts_with(&format!("{}/", row[8])), "{ctx}"),
                15 => assert_eq!(
                    text,
                    format!("{} (Filtered): {}", num(&row[9]), row[10]),
                    "{ctx}"
                ),
                10 => assert!(text.ends_with(&row[11].replace(':', "")), "{ctx}"),
                _ => {}
            }
        }
        let data = |t: &str| -> Vec<String> {
            records
                .iter()
                .filter(|r| r["rtype"] == t)
                .map(|r| r["data"].as_str().unwrap().to_string())
                .collect()
        };
        let split = |s: &str| -> Vec<String> { occurrences(s).map(str::to_string).collect() };
        assert_eq!(split(&row[12]), data("A"), "{ctx}");
        assert_eq!(split(&row[13]), data("AAAA"), "{ctx}");
        let mx: Vec<String> = data("MX")
            .iter()
            .map(|d| {
                d.split(' ')
                    .nth(1)
                    .unwrap()
                    .trim_end_matches('.')
                    .to_string()
            })
            .collect();
        assert_eq!(split(&row[14]), mx, "{ctx}");
        if let Some(soa) = data("SOA").first() {
            assert_eq!(soa.split(' ').nth(6).unwrap(), row[5], "{ctx}");
        }
    }
}

/// The values of a tshark field that occurs several times (joined by `|`), empty ones left out.
fn occurrences(field: &str) -> impl Iterator<Item = &str> {
    field.split('|').filter(|v| !v.is_empty())
}

/// The mnemonics the hand-assembled messages use.
fn ietfwg_type(t: u64) -> String {
    match t {
        1 => "A".into(),
        5 => "CNAME".into(),
        12 => "PTR".into(),
        13 => "HINFO".into(),
        33 => "SRV".into(),
        257 => "CAA".into(),
        6 => "SOA".into(),
        15 => "MX".into(),
        16 => "TXT".into(),
        28 => "AAAA".into(),
        n => format!("TYPE{n}"),
    }
}

/// Serves `message` (with each query's ID copied in) over UDP on loopback and asks kdig for
/// `name type`: kdig's text, an independent decoding of the same octets.
fn kdig_view(kdig: &Path, message: &[u8], name: &str, qtype: &str) -> String {
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let msg = message.to_vec();
    let server = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // kdig asks once; one more in case it retries.
        for _ in 0..2 {
            let Ok((n, peer)) = sock.recv_from(&mut buf) else {
                return;
            };
            if n < 2 {
                continue;
            }
            let mut m = msg.clone();
            m[..2].copy_from_slice(&buf[..2]);
            let _ = sock.send_to(&m, peer);
            return;
        }
    });
    let out = std::process::Command::new(kdig)
        .args([
            "@127.0.0.1",
            "-p",
            &port.to_string(),
            name,
            qtype,
            "+noedns",
            "+noidn",
            "+retry=0",
            "+timeout=5",
        ])
        .output()
        .unwrap();
    server.join().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The records of a dig-style section, each as whitespace-separated tokens.
fn section_tokens(text: &str, title: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip_while(|l| !l.starts_with(title))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn our_text_agrees_with_kdig() {
    let Some(kdig) = ietfwg_test_support::shared::program("kdig") else {
        return;
    };
    let rfc = rfc_response();
    let cases: [(Vec<u8>, &str, &str); 3] = [
        (rfc, "www.example.com", "AAAA"),
        (answer_with_records(), "example.test", "ANY"),
        (nxdomain_with_options(), "nope.example.test", "A"),
    ];
    for (msg, name, qtype) in &cases {
        let theirs = kdig_view(&kdig, msg, name, qtype);
        let o = ietfwg_stdin(&["doh", "decode", "--format", "binary"], msg);
        let ours = stdout(&o);
        let ctx = format!("kdig:\n{theirs}\nours:\n{ours}");
        assert!(theirs.contains(";; ->>HEADER<<-"), "{ctx}");
        let mut compared = 0;
        for title in [";; ANSWER SECTION:", ";; AUTHORITY SECTION:"] {
            let t = section_tokens(&theirs, title);
            assert_eq!(section_tokens(&ours, title), t, "{title}\n{ctx}");
            compared += t.len();
        }
        assert!(compared > 0, "{ctx}");
        // The header: status and flags.
        let status = |s: &str| {
            s.split("status: ")
                .nth(1)
                .map(|r| r.split([',', ';']).next().unwrap_or("").to_string())
        };
        assert_eq!(status(&ours), status(&theirs), "{ctx}");
        let flags = |s: &str, label: &str| {
            s.lines().find(|l| l.starts_with(label)).map(|l| {
                l[label.len()..]
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string()
            })
        };
        assert_eq!(
            flags(&ours, ";; flags:"),
            flags(&theirs, ";; Flags:"),
            "{ctx}"
        );
        if theirs.contains("CLIENT-SUBNET") {
            let ecs = |s: &str| {
                s.lines()
                    .find(|l| l.contains("CLIENT-SUBNET:"))
                    .and_then(|l| l.split_whitespace().nth(2).map(str::to_string))
            };
            assert_eq!(ecs(&ours), ecs(&theirs), "{ctx}");
            assert!(theirs.contains("flags: do; UDP size: 4096 B"), "{ctx}");
            assert!(
                ours.contains("; EDNS: version: 0, flags: do; udp: 4096"),
                "{ctx}"
            );
            assert!(
                theirs.contains("EDE: 17 (Filtered)") && ours.contains("EDE: 17 (Filtered)"),
                "{ctx}"
            );
        }
    }
}

#[test]
fn raw_octets_are_not_written_to_a_terminal() {
    // script(1) (util-linux, always installed on Debian) gives the command a terminal.
    let Some(script) = ietfwg_test_support::shared::program("script") else {
        return;
    };
    let cmd = format!(
        "{} doh encode example.com --format raw",
        env!("CARGO_BIN_EXE_ietfwg")
    );
    let o = std::process::Command::new(script)
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(2), "{text}");
    assert!(
        text.contains("refusing to write 128 raw octets to a terminal"),
        "{text}"
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let msg = rfc_response();
    let o = ietfwg_stdin(&["doh", "decode", "--color", "always"], &msg);
    assert!(stdout(&o).contains("\u{1b}["), "{}", stdout(&o));
    let o = ietfwg_stdin(&["doh", "decode"], &msg);
    assert!(!stdout(&o).contains('\u{1b}'), "a pipe gets no colour");
    let o = ietfwg_stdin(&["doh", "decode", "--json", "--color", "always"], &msg);
    assert!(!stdout(&o).contains('\u{1b}'), "JSON is never coloured");
}
