//! The default text of `6lo decode` and `ikev2 decode`, on the project's captures: each header
//! line names the section that defines it, addresses are rebuilt step by step, HC1/HC_UDP are
//! written in words, and a frame or message in error shows what was decoded before the error,
//! then the error with its offset.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use common::{assert_exit, ietfwg, ietfwg_stdin, ndjson, stdout};

use common::project_pcap as pcap;

/// The block of frame or message `#n` in `out`.
fn block(out: &str, n: u64) -> String {
    let head = format!("#{n}  ");
    let mut lines = out.lines().skip_while(|l| !l.starts_with(&head));
    let mut b = String::new();
    if let Some(first) = lines.next() {
        b.push_str(first);
        b.push('\n');
    }
    for l in lines.take_while(|l| !l.starts_with('#')) {
        b.push_str(l);
        b.push('\n');
    }
    assert!(!b.is_empty(), "no block #{n} in:\n{out}");
    b
}

/// The header line whose label is `label` in `block`.
fn line<'a>(block: &'a str, label: &str) -> &'a str {
    let want = format!("    {label} ");
    block
        .lines()
        .find(|l| l.starts_with(&want))
        .unwrap_or_else(|| panic!("no {label} line in:\n{block}"))
}

#[test]
fn sixlo_header_lines_cite_their_sections_and_derive_addresses() {
    let o = ietfwg(&["6lo", "decode", &pcap("6lo", "iphc-forms.pcap")]);
    assert_exit(&o, 1); // frames 13-17 need a context
    let out = stdout(&o);
    let b1 = block(&out, 1);
    assert!(
        b1.lines()
            .next()
            .unwrap()
            .ends_with("(IEEE 802.15.4-2015 §7.2)"),
        "{b1}"
    );
    for (label, section) in [
        ("IPHC", "(RFC 6282 §3.1.1)"),
        ("NHC", "(RFC 6282 §4.3)"),
        ("IPv6", "(RFC 8200 §3)"),
        ("UDP", "(RFC 768)"),
    ] {
        let l = line(&b1, label);
        assert!(l.ends_with(section), "{label}: {l}");
    }
    // TF=00 NH=1 HLIM=00 in words, and the octets saved.
    assert!(
        line(&b1, "IPHC").contains(
            "TF=00 NH=1 HLIM=00 CID=0 SAC=0 SAM=11 M=0 DAC=0 DAM=11: ECN, DSCP and flow label \
             inline, next header compressed (LOWPAN_NHC), hop limit inline; 14 octets for 48"
        ),
        "{b1}"
    );
    // SAM=11 from an extended address: the EUI-64 and the IID with the U/L bit flipped.
    assert!(
        b1.contains(
            "src fe80::212:4b00:1:203  SAC=0 SAM=11: prefix fe80::/64 (link-local, elided) + IID \
             0212:4b00:0001:0203 from the MAC source EUI-64 00:12:4b:00:00:01:02:03, U/L bit flipped"
        ),
        "{b1}"
    );
    assert!(
        line(&b1, "NHC").starts_with(
            "    NHC      UDP 50000 → 50001 (P=00: 16/16 bits inline), checksum 0x0b2e inline (C=0)"
        ),
        "{b1}"
    );
    // SAM=11 from a short address: 0000:00ff:fe00:XXXX.
    let b2 = block(&out, 2);
    assert!(
        b2.contains("+ IID 0000:00ff:fe00:0001 from the MAC source short address 0x0001"),
        "{b2}"
    );
    // SAM=01: 64 bits inline; DAM=10: 16 bits inline.
    let b3 = block(&out, 3);
    assert!(
        b3.contains("+ IID 1234:5678:9abc:def0 (64 bits inline)"),
        "{b3}"
    );
    let b4 = block(&out, 4);
    assert!(
        b4.contains("dst fe80::ff:fe00:abcd  DAC=0 DAM=10: prefix fe80::/64 (link-local, elided) + IID 0000:00ff:fe00:abcd (16 bits inline"),
        "{b4}"
    );
    // SAM=00: all 128 bits inline.
    let b5 = block(&out, 5);
    assert!(
        b5.contains("src 2001:db8::1  SAC=0 SAM=00: all 128 bits inline"),
        "{b5}"
    );
    // The generic `k=v` form is gone from the default text.
    assert!(!out.contains("ports_mode="), "{out}");
}

/// A frame whose IPHC header needs a context that is not configured: the encoding octets
/// read before the error are shown in words, then the error with its byte offset.
#[test]
fn sixlo_frame_in_error_shows_what_was_read_before_the_error() {
    let o = ietfwg(&[
        "6lo",
        "decode",
        "--frames",
        "16",
        &pcap("6lo", "iphc-forms.pcap"),
    ]);
    assert_exit(&o, 1);
    let b = block(&stdout(&o), 16);
    let lines: Vec<&str> = b.lines().collect();
    assert_eq!(lines.len(), 3, "{b}");
    assert!(
        lines[1].starts_with(
            "    IPHC     TF=11 NH=1 HLIM=10 CID=1 SAC=1 SAM=11 M=0 DAC=1 DAM=11: traffic class and \
             flow label elided, next header compressed (LOWPAN_NHC), hop limit 64, contexts SCI=0 \
             DCI=0, at byte 9"
        ),
        "{b}"
    );
    assert_eq!(
        lines[2],
        "    error    IPHC: byte 11: SCI: context 0 is not configured (give it with --context 0=PREFIX/LEN)"
    );
    // With the context the same frame decodes, its address prefix from context 0.
    let o = ietfwg(&[
        "6lo",
        "decode",
        "--frames",
        "16",
        "--context",
        "0=2001:db8:1::/64",
        &pcap("6lo", "iphc-forms.pcap"),
    ]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("SAC=1 SAM=11: prefix from context 0 + IID 0000:00ff:fe00:0001 from the MAC source short address 0x0001"),
        "{out}"
    );
}

/// Bare payloads that fail after their first header: the headers read before the error stay
/// on screen (a mesh header before a cut FRAG1; an IPHC header before a cut NHC; the HC1 and
/// HC_UDP encodings before a missing Hop Limit), and the JSON record keeps its shape.
#[test]
fn sixlo_payloads_that_fail_part_way() {
    let run = |hex: &str, json: bool| {
        let mut args = vec![
            "6lo",
            "decode",
            "--hex",
            "--payload",
            "--src",
            "0x0001",
            "--dst",
            "0x0002",
        ];
        if json {
            args.push("--json");
        }
        ietfwg_stdin(&args, format!("{hex}\n").as_bytes())
    };
    let o = run("b3 00 10 00 20 c1 5c", false);
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(
        out.contains(
            "    6LoWPAN  mesh: originator 0x0010 → final destination 0x0020, hops left 3  (RFC 4944 §5.2)\n    error    6LoWPAN dispatch: truncated at byte 7: datagram_tag needs 2 byte(s), 0 left"
        ),
        "{out}"
    );
    let j = ndjson(&run("b3 00 10 00 20 c1 5c", true));
    assert_eq!(j[0]["lowpan"], serde_json::Value::Null, "{}", j[0]);
    assert!(j[0].get("partial").is_none(), "{}", j[0]);
    assert_eq!(j[0]["error"]["offset"], 7);

    let o = run("7e 33 f0 c3", false);
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(
        out.contains("src fe80::ff:fe00:1  SAC=0 SAM=11: prefix fe80::/64 (link-local, elided) + IID 0000:00ff:fe00:0001 from the link source short address 0x0001"),
        "{out}"
    );
    assert!(
        out.contains(
            "    error    NHC: truncated at byte 3: UDP source port needs 2 byte(s), 1 left"
        ),
        "{out}"
    );

    let o = run("42 fb e0", false);
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(
        out.contains("    HC1      encoding 0xfb at byte 0  (RFC 4944 §10.1)"),
        "{out}"
    );
    assert!(
        out.contains("SP=1 source prefix elided (fe80::/64)"),
        "{out}"
    );
    assert!(
        out.contains("    HC_UDP   encoding 0xe0: S=1 source port 4 bits (0xF0B0 + n)"),
        "{out}"
    );
    assert!(
        out.contains("    error    HC1: truncated at byte 3: Hop Limit needs 1 byte(s), 0 left"),
        "{out}"
    );
}

#[test]
fn sixlo_hc1_mesh_and_fragments_in_words() {
    let o = ietfwg(&["6lo", "decode", &pcap("6lo", "hc1.pcap")]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(!out.contains("hc1={"), "{out}");
    let b1 = block(&out, 1);
    assert!(
        line(&b1, "HC1").ends_with("encoding 0xfb: 7 octets for 48  (RFC 4944 §10.1)"),
        "{b1}"
    );
    assert!(
        b1.contains("TF=1 traffic class and flow label zero, elided, NH=01 next header UDP, H=1 HC_UDP encoding follows"),
        "{b1}"
    );
    assert!(
        b1.contains("src fe80::212:4b00:1:203  prefix fe80::/64 (elided) + IID 0212:4b00:0001:0203 from the MAC source EUI-64 00:12:4b:00:00:01:02:03, U/L bit flipped"),
        "{b1}"
    );
    assert!(
        line(&b1, "HC_UDP").starts_with(
            "    HC_UDP   UDP 61617 → 61618, length 20, checksum 0x835e; encoding 0xe0: S=1"
        ),
        "{b1}"
    );
    let b5 = block(&out, 5);
    assert!(b5.contains("src 2001:db8::a  all 128 bits inline"), "{b5}");

    let o = ietfwg(&["6lo", "decode", &pcap("6lo", "mesh-bc0.pcap")]);
    let b2 = block(&stdout(&o), 2);
    // Behind a mesh header, IIDs come from the originator and final destination, not the hop.
    assert!(b2.starts_with("#2 "), "{b2}");
    assert!(b2.contains("0x0031 → 0x0032"), "{b2}");
    assert!(
        b2.contains("+ IID 0000:00ff:fe00:0010 from the mesh originator short address 0x0010"),
        "{b2}"
    );

    let o = ietfwg(&["6lo", "decode", &pcap("6lo", "frag-udp.pcap")]);
    let out = stdout(&o);
    assert!(
        line(&block(&out, 1), "6LoWPAN")
            .ends_with("first fragment FRAG1: datagram size 348, tag 0x0100  (RFC 4944 §5.3)"),
        "{out}"
    );
    assert!(
        line(&block(&out, 2), "6LoWPAN").ends_with(
            "next fragment FRAGN: datagram size 348, tag 0x0100, offset 16 × 8 = byte 128  (RFC 4944 §5.3)"
        ),
        "{out}"
    );
}

#[test]
fn ikev2_lines_cite_their_sections_and_spell_out_where_payloads_lie() {
    let o = ietfwg(&[
        "ikev2",
        "decode",
        "--keys",
        &pcap("ikev2", "aes-gcm-ecp256.keys"),
        &pcap("ikev2", "aes-gcm-ecp256.pcap"),
    ]);
    assert_exit(&o, 0);
    let out = stdout(&o);
    let b1 = block(&out, 1);
    assert!(
        line(&b1, "IKEv2").ends_with("len 264  (RFC 7296 §3.1)"),
        "{b1}"
    );
    assert!(
        line(&b1, "SA").ends_with("1 proposal(s)  (RFC 7296 §3.3; type 33, 40 octets at 28)"),
        "{b1}"
    );
    assert!(
        b1.contains("NAT_DETECTION_SOURCE_IP (16388): SHA-1 5a8075701f5eb7102281197cc883ebce288a3ab0  (RFC 7296 §3.10; type 41, 28 octets at 176)"),
        "{b1}"
    );
    let b3 = block(&out, 3);
    assert!(
        b3.contains("(RFC 7296 §3.14; type 46, 273 octets at 28)"),
        "{b3}"
    );
    assert!(
        b3.contains("decrypted: icv ok, 244 octets of plaintext at octet 40, pad length 0"),
        "{b3}"
    );
    assert!(
        b3.contains("        IDi      ID_RFC822_ADDR (3) \"initiator@test.local\"  (RFC 7296 §3.5; type 35, 28 octets at 40)"),
        "{b3}"
    );
    assert!(!out.contains(" @"), "{out}");
}

/// An IKE_SA_INIT whose third payload claims 65535 octets: the header and the two payloads
/// before it are shown, then the error at the Nonce's Payload Length.
#[test]
fn ikev2_message_failing_mid_chain_shows_the_payloads_before() {
    let mut d = std::fs::read(pcap("ikev2", "aes-gcm-ecp256.pcap")).unwrap();
    // pcap header (24) + record header (16) + Ethernet, IPv4, UDP (42): the IKE message; its
    // Nonce payload starts at octet 140, its Payload Length 2 octets later.
    let at = 24 + 16 + 42 + 140 + 2;
    assert_eq!(&d[at..at + 2], &[0x00, 0x24], "not the Nonce's length");
    d[at] = 0xff;
    d[at + 1] = 0xff;
    let path = std::env::temp_dir().join(format!("ietfwg-decode-text-{}.pcap", std::process::id()));
    std::fs::write(&path, &d).unwrap();
    let o = ietfwg(&["ikev2", "decode", "-c", "1", &path.to_string_lossy()]);
    let _ = std::fs::remove_file(&path);
    assert_exit(&o, 1);
    let b = block(&stdout(&o), 1);
    let labels: Vec<&str> = b
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("         "))
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(labels, ["IKEv2", "SA", "KE", "error"], "{b}");
    assert!(
        line(&b, "error").ends_with(
            "byte 142: Nonce payload #3: Payload Length: 65535 runs 65411 byte(s) past the end of the message"
        ),
        "{b}"
    );
}
