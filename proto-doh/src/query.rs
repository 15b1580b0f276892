//! DNS queries as RFC 8484 wants them: ID 0 (§4.1), EDNS(0) (RFC 6891) and the RFC 8467
//! block-length padding policy (the Padding option of RFC 7830), DO/CD/RD flags, any QTYPE and
//! QCLASS.
//!
//! The message is built by hickory-proto; this module adds the padding option sized from the
//! length of the message hickory emits.
//!
//! ```text
//!                                 1  1  1  1  1  1
//!   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5     RFC 1035 §4.1.1
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                      ID                       |    0 for DoH (RFC 8484 §4.1)
//! |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |    RD, CD from the options
//! |                    QDCOUNT                    |    1
//! |                    ANCOUNT                    |    0
//! |                    NSCOUNT                    |    0
//! |                    ARCOUNT                    |    1 with EDNS (the OPT record)
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! QNAME QTYPE QCLASS
//! OPT: 00 | 0029 | UDP size | ext-RCODE 00 | version 00 | DO,Z (16 bits) | RDLEN | options
//! Padding option (RFC 7830 §3): 000c | length | length × 00
//! ```

use hickory_proto::op::Edns;
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::{DNSClass, Name, Record as HRecord, RecordType};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder, EncodeMode};

use crate::error::{Error, Result};

/// The EDNS option code of Padding (RFC 7830 §3).
pub const OPTION_PADDING: u16 = 12;

/// The padding policy of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// No Padding option at all.
    None,
    /// RFC 8467 §4.1 Block-Length Padding: the Padding option sized so that the whole DNS
    /// message is a multiple of this many octets (128 is the RFC's recommendation for queries).
    Block(u16),
}

/// Everything that goes into one query.
#[derive(Debug, Clone)]
pub struct QueryOptions {
    /// The name as given; "." is the root. Not IDN-converted: give the A-label form.
    pub name: String,
    pub qtype: RecordType,
    pub qclass: DNSClass,
    /// 0 by default: RFC 8484 §4.1 — "DoH clients SHOULD use 0" to help HTTP caching.
    pub id: u16,
    pub recursion_desired: bool,
    pub checking_disabled: bool,
    /// The DO bit of the OPT record (RFC 3225); needs `edns`.
    pub dnssec_ok: bool,
    /// Add an OPT record (RFC 6891).
    pub edns: bool,
    /// The OPT record's requestor UDP payload size (RFC 6891 §6.2.3; values below 512 are sent
    /// as 512). RFC 8484 §6 says servers ignore it, but it is still sent.
    pub udp_payload_size: u16,
    pub padding: Padding,
}

impl QueryOptions {
    /// The defaults of RFC 8484 and RFC 8467: ID 0, RD, EDNS(0) with a 1232-octet payload size,
    /// padding to a multiple of 128 octets, class IN.
    pub fn new(name: &str, qtype: RecordType) -> QueryOptions {
        QueryOptions {
            name: name.to_string(),
            qtype,
            qclass: DNSClass::IN,
            id: 0,
            recursion_desired: true,
            checking_disabled: false,
            dnssec_ok: false,
            edns: true,
            udp_payload_size: 1232,
            padding: Padding::Block(128),
        }
    }
}

/// Record type mnemonics hickory-proto does not know (IANA "Resource Record (RR) TYPEs"), so that
/// they are accepted and printed by name rather than as `TYPEnnn`.
const EXTRA_TYPES: &[(u16, &str)] = &[
    (3, "MD"),
    (4, "MF"),
    (7, "MB"),
    (8, "MG"),
    (9, "MR"),
    (11, "WKS"),
    (14, "MINFO"),
    (17, "RP"),
    (18, "AFSDB"),
    (19, "X25"),
    (20, "ISDN"),
    (21, "RT"),
    (22, "NSAP"),
    (23, "NSAP-PTR"),
    (26, "PX"),
    (27, "GPOS"),
    (29, "LOC"),
    (30, "NXT"),
    (31, "EID"),
    (32, "NIMLOC"),
    (34, "ATMA"),
    (36, "KX"),
    (38, "A6"),
    (39, "DNAME"),
    (40, "SINK"),
    (41, "OPT"),
    (42, "APL"),
    (45, "IPSECKEY"),
    (49, "DHCID"),
    (53, "SMIMEA"),
    (55, "HIP"),
    (56, "NINFO"),
    (57, "RKEY"),
    (58, "TALINK"),
    (63, "ZONEMD"),
    (99, "SPF"),
    (104, "NID"),
    (105, "L32"),
    (106, "L64"),
    (107, "LP"),
    (108, "EUI48"),
    (109, "EUI64"),
    (249, "TKEY"),
    (251, "IXFR"),
    (253, "MAILB"),
    (254, "MAILA"),
    (256, "URI"),
    (258, "AVC"),
    (259, "DOA"),
    (260, "AMTRELAY"),
    (261, "RESINFO"),
    (32768, "TA"),
    (32769, "DLV"),
];

/// The presentation name of a record type: its mnemonic, or `TYPEnnn` (RFC 3597 §5).
pub fn type_name(value: u16) -> String {
    type_mnemonic(value).into_owned()
}

/// [`type_name`] without an allocation for the mnemonics (`doh batch` names every record).
pub fn type_mnemonic(value: u16) -> std::borrow::Cow<'static, str> {
    if let Some((_, n)) = EXTRA_TYPES.iter().find(|(v, _)| *v == value) {
        return std::borrow::Cow::Borrowed(n);
    }
    match RecordType::from(value) {
        // hickory's ZERO and ANAME (a draft, at a private-use number) are not IANA mnemonics.
        RecordType::Unknown(_) | RecordType::ZERO | RecordType::ANAME => {
            std::borrow::Cow::Owned(format!("TYPE{value}"))
        }
        // hickory's Display writes exactly this string.
        t => std::borrow::Cow::Borrowed(<&'static str>::from(t)),
    }
}

/// The presentation name of a class: IN, CH, HS, NONE, ANY or `CLASSnnn` (RFC 3597 §5).
pub fn class_name(value: u16) -> String {
    class_mnemonic(value).into_owned()
}

/// [`class_name`] without an allocation for the mnemonics.
pub fn class_mnemonic(value: u16) -> std::borrow::Cow<'static, str> {
    use std::borrow::Cow::Borrowed;
    match value {
        1 => Borrowed("IN"),
        3 => Borrowed("CH"),
        4 => Borrowed("HS"),
        254 => Borrowed("NONE"),
        255 => Borrowed("ANY"),
        n => std::borrow::Cow::Owned(format!("CLASS{n}")),
    }
}

/// Parses `prefix` + decimal digits (`TYPE65`, `CLASS3`) or plain digits (`65`).
fn numeric(s: &str, prefix: &str) -> Option<Option<u16>> {
    let digits = s.strip_prefix(prefix).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<u16>().ok())
}

/// A record type by mnemonic (any case), `TYPEnnn` or number: "A", "aaaa", "TYPE65", "65".
pub fn parse_type(s: &str) -> Result<RecordType> {
    let up = s.trim().to_ascii_uppercase();
    if let Some(n) = numeric(&up, "TYPE") {
        return n.map(RecordType::from).ok_or_else(|| Error::Type(s.into()));
    }
    if let Some((v, _)) = EXTRA_TYPES.iter().find(|(_, n)| *n == up) {
        return Ok(RecordType::from(*v));
    }
    match up.parse::<RecordType>() {
        Ok(RecordType::ANAME) | Err(_) => Err(Error::Type(s.into())),
        Ok(t) => Ok(t),
    }
}

/// A class by mnemonic (any case), `CLASSnnn` or number: "IN", "CH", "CLASS3", "3".
pub fn parse_class(s: &str) -> Result<DNSClass> {
    let up = s.trim().to_ascii_uppercase();
    if let Some(n) = numeric(&up, "CLASS") {
        return n.map(DNSClass::from).ok_or_else(|| Error::Class(s.into()));
    }
    match up.as_str() {
        "IN" | "INTERNET" => Ok(DNSClass::IN),
        "CH" | "CHAOS" => Ok(DNSClass::CH),
        "HS" | "HESIOD" => Ok(DNSClass::HS),
        "NONE" => Ok(DNSClass::NONE),
        "ANY" | "*" => Ok(DNSClass::ANY),
        _ => Err(Error::Class(s.into())),
    }
}

/// The query name as a fully qualified [`Name`], with the RFC 1035 §2.3.4 limits checked.
pub fn parse_name(name: &str) -> Result<Name> {
    let bad = |reason: String| Error::Name {
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("empty name (the root is \".\")".into()));
    }
    if !name.is_ascii() {
        return Err(bad(
            "not ASCII: give an internationalised name in its A-label form (xn--…)".into(),
        ));
    }
    if name.contains("..") {
        return Err(bad("empty label (two dots in a row)".into()));
    }
    // Without escapes the labels are the dot-separated parts: check the RFC 1035 §2.3.4 limits
    // here, in its words (names with `\.` or `\DDD` escapes are left to hickory's parser).
    if !name.contains('\\') && name != "." {
        let labels = name.trim_end_matches('.').split('.');
        if let Some(l) = labels.clone().find(|l| l.len() > 63) {
            return Err(bad(format!(
                "a label of {} octets; labels are at most 63 (RFC 1035 §2.3.4)",
                l.len()
            )));
        }
        let wire: usize = labels.map(|l| l.len() + 1).sum::<usize>() + 1;
        if wire > 255 {
            return Err(bad(format!(
                "{wire} octets on the wire; names are at most 255 (RFC 1035 §2.3.4)"
            )));
        }
    }
    let mut n = Name::from_ascii(name).map_err(|e| bad(e.to_string()))?;
    n.set_fqdn(true);
    Ok(n)
}

/// The wire form of the query (RFC 1035 §4.1). With EDNS and [`Padding::Block`], the length is a
/// multiple of the block (RFC 8467 §4.1).
pub fn build(opts: &QueryOptions) -> Result<Vec<u8>> {
    let name = parse_name(&opts.name)?;
    if opts.dnssec_ok && !opts.edns {
        return Err(Error::Options(
            "the DO bit lives in the EDNS OPT record (RFC 3225): DNSSEC OK needs EDNS".into(),
        ));
    }
    if opts.padding == Padding::Block(0) {
        return Err(Error::Options(
            "a padding block of 0 octets: give 1–65535, or no padding".into(),
        ));
    }
    if !opts.edns {
        return emit(opts, &name, None);
    }
    let mut edns = Edns::new();
    edns.set_max_payload(opts.udp_payload_size)
        .set_version(0)
        .set_dnssec_ok(opts.dnssec_ok);
    let Padding::Block(block) = opts.padding else {
        return emit(opts, &name, Some(&edns));
    };
    // RFC 8467 §4.1: pad to the next multiple of the block. The option itself takes 4 octets
    // (code, length) before its zero octets (RFC 7830 §3). hickory writes an option of any
    // length through EdnsOption::Unknown, so the padding is sized from the unpadded length.
    let unpadded = emit(opts, &name, Some(&edns))?.len();
    let block = usize::from(block);
    let pad = (block - (unpadded + 4) % block) % block;
    edns.options_mut()
        .insert(EdnsOption::Unknown(OPTION_PADDING, vec![0; pad]));
    let wire = emit(opts, &name, Some(&edns))?;
    if wire.len() % block != 0 || wire.len() > usize::from(u16::MAX) {
        return Err(Error::Encode(format!(
            "padded query is {} octets, not a multiple of {block}",
            wire.len()
        )));
    }
    Ok(wire)
}

/// The query message: the header and the one question written here, the OPT record (when
/// there is one) by hickory-proto's record encoder. Written by hand because hickory's `Message`
/// (four record Vecs, the name-compression table of its encoder) cost ~4,000 instructions a
/// query in `doh batch`, for 12 fixed octets and one uncompressed name; `same_octets_as_
/// hickorys_message_encoder` below compares the two over generated options.
fn emit(opts: &QueryOptions, name: &Name, edns: Option<&Edns>) -> Result<Vec<u8>> {
    let mut w = Vec::with_capacity(12 + name.len() + 6 + if edns.is_some() { 11 } else { 0 });
    // RFC 1035 §4.1.1: ID; QR 0 (query), OPCODE 0 (QUERY), AA 0, TC 0, RD; RA 0, Z 0, AD 0
    // (RFC 4035 §3.2), CD, RCODE 0; QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT (the OPT record).
    w.extend_from_slice(&opts.id.to_be_bytes());
    w.push(u8::from(opts.recursion_desired));
    w.push(if opts.checking_disabled { 0x10 } else { 0 });
    w.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, u8::from(edns.is_some())]);
    // RFC 1035 §4.1.2: QNAME as length-prefixed labels (checked by `parse_name`), the root's
    // empty label; QTYPE; QCLASS.
    for label in name.iter() {
        w.push(label.len() as u8);
        w.extend_from_slice(label);
    }
    w.push(0);
    w.extend_from_slice(&u16::from(opts.qtype).to_be_bytes());
    w.extend_from_slice(&u16::from(opts.qclass).to_be_bytes());
    if let Some(edns) = edns {
        let at = w.len() as u32;
        let mut enc = BinEncoder::with_offset(&mut w, at, EncodeMode::Normal);
        HRecord::from(edns)
            .emit(&mut enc)
            .map_err(|e| Error::Encode(e.to_string()))?;
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// Walks the OPT record of a query built by [`build`] (one question, OPT last).
    fn opt(wire: &[u8]) -> (u16, u32, Vec<(u16, Vec<u8>)>) {
        let mut i = 12;
        while wire[i] != 0 {
            i += 1 + usize::from(wire[i]);
        }
        i += 5; // root, QTYPE, QCLASS
        assert_eq!(wire[i], 0, "OPT owner is the root");
        assert_eq!(&wire[i + 1..i + 3], &[0, 41]);
        let class = u16::from_be_bytes([wire[i + 3], wire[i + 4]]);
        let ttl = u32::from_be_bytes(wire[i + 5..i + 9].try_into().unwrap());
        let rdlen = usize::from(u16::from_be_bytes([wire[i + 9], wire[i + 10]]));
        let mut p = i + 11;
        let end = p + rdlen;
        assert_eq!(end, wire.len());
        let mut options = vec![];
        while p < end {
            let code = u16::from_be_bytes([wire[p], wire[p + 1]]);
            let len = usize::from(u16::from_be_bytes([wire[p + 2], wire[p + 3]]));
            options.push((code, wire[p + 4..p + 4 + len].to_vec()));
            p += 4 + len;
        }
        (class, ttl, options)
    }

    #[test]
    fn padded_to_128_for_every_name_length() {
        for len in 1..=253usize {
            // Labels of up to 63 octets separated by dots, exactly `len` characters.
            let mut name = String::new();
            while name.len() < len {
                if !name.is_empty() {
                    name.push('.');
                }
                let room = (len - name.len()).min(63);
                name.push_str(&"a".repeat(room));
            }
            if name.len() > len || name.ends_with('.') {
                continue;
            }
            let wire = build(&QueryOptions::new(&name, RecordType::A)).unwrap();
            assert_eq!(wire.len() % 128, 0, "name of {len} characters");
            let (_, _, options) = opt(&wire);
            assert_eq!(options.len(), 1);
            assert_eq!(options[0].0, 12);
            assert!(options[0].1.iter().all(|b| *b == 0));
        }
    }

    #[test]
    fn other_block_sizes() {
        for block in [1u16, 7, 64, 128, 468, 512] {
            let mut o = QueryOptions::new("example.com", RecordType::AAAA);
            o.padding = Padding::Block(block);
            let wire = build(&o).unwrap();
            assert_eq!(wire.len() % usize::from(block), 0, "block {block}");
        }
        let mut o = QueryOptions::new("example.com", RecordType::AAAA);
        o.padding = Padding::Block(0);
        assert!(build(&o).is_err());
    }

    #[test]
    fn exact_bytes_of_a_padded_query() {
        let wire = build(&QueryOptions::new("example.com", RecordType::A)).unwrap();
        let mut expected = vec![
            0x00, 0x00, // ID 0 (RFC 8484 §4.1)
            0x01, 0x00, // QR=0 opcode QUERY, RD=1; RA=0 Z=0 AD=0 CD=0 RCODE=0
            0x00, 0x01, // QDCOUNT 1
            0x00, 0x00, // ANCOUNT 0
            0x00, 0x00, // NSCOUNT 0
            0x00, 0x01, // ARCOUNT 1: the OPT record
            7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', // label "example"
            3, b'c', b'o', b'm', 0, // label "com", root
            0x00, 0x01, // QTYPE A
            0x00, 0x01, // QCLASS IN
            0x00, // OPT owner: root
            0x00, 0x29, // TYPE OPT (41)
            0x04, 0xd0, // CLASS: UDP payload size 1232
            0x00, // extended RCODE
            0x00, // EDNS version 0
            0x00, 0x00, // DO=0, Z=0
            0x00, 0x58, // RDLENGTH 88
            0x00, 0x0c, // option code 12: Padding
            0x00, 0x54, // option length 84
        ];
        // 12 + 17 + 11 + 4 = 44 octets so far; 84 zero octets make 128.
        assert_eq!(expected.len(), 44);
        expected.extend(std::iter::repeat_n(0u8, 84));
        assert_eq!(wire, expected);
    }

    #[test]
    fn rfc8484_example_without_edns() {
        let mut o = QueryOptions::new("www.example.com", RecordType::A);
        o.edns = false;
        let wire = build(&o).unwrap();
        assert_eq!(
            hex::encode(&wire),
            "00000100000100000000000003777777076578616d706c6503636f6d0000010001"
        );
    }

    #[test]
    fn no_pad_has_no_padding_option() {
        let mut o = QueryOptions::new("example.com", RecordType::TXT);
        o.padding = Padding::None;
        let wire = build(&o).unwrap();
        let (class, _, options) = opt(&wire);
        assert_eq!(class, 1232);
        assert!(options.is_empty());
        assert_eq!(wire.len(), 12 + 17 + 11);
    }

    #[test]
    fn flags_and_do_bit() {
        let mut o = QueryOptions::new("example.com", RecordType::A);
        o.dnssec_ok = true;
        o.checking_disabled = true;
        o.recursion_desired = false;
        o.id = 0xbeef;
        o.udp_payload_size = 4096;
        let wire = build(&o).unwrap();
        assert_eq!(&wire[0..2], &[0xbe, 0xef]);
        assert_eq!(wire[2], 0x00, "RD off");
        assert_eq!(wire[3], 0x10, "CD on");
        let (class, ttl, _) = opt(&wire);
        assert_eq!(class, 4096);
        assert_eq!(ttl, 0x0000_8000, "DO is the top bit of the OPT TTL's flags");
        o.edns = false;
        assert!(matches!(build(&o), Err(Error::Options(_))));
    }

    #[test]
    fn small_payload_size_is_raised_to_512() {
        let mut o = QueryOptions::new("example.com", RecordType::A);
        o.udp_payload_size = 100;
        let (class, _, _) = opt(&build(&o).unwrap());
        assert_eq!(class, 512);
    }

    #[test]
    fn types_by_name_and_number() {
        assert_eq!(parse_type("A").unwrap(), RecordType::A);
        assert_eq!(parse_type("aaaa").unwrap(), RecordType::AAAA);
        assert_eq!(parse_type("TYPE65").unwrap(), RecordType::HTTPS);
        assert_eq!(parse_type("type65").unwrap(), RecordType::HTTPS);
        assert_eq!(parse_type("65").unwrap(), RecordType::HTTPS);
        assert_eq!(parse_type("TYPE65280").unwrap(), RecordType::Unknown(65280));
        assert_eq!(parse_type("65535").unwrap(), RecordType::Unknown(65535));
        assert_eq!(parse_type("dname").unwrap(), RecordType::Unknown(39));
        assert_eq!(parse_type("ANY").unwrap(), RecordType::ANY);
        assert!(parse_type("65536").is_err());
        assert!(parse_type("TYPE").is_err());
        assert!(parse_type("BOGUS").is_err());
        assert!(parse_type("ANAME").is_err());
        let e = parse_type("AAA").unwrap_err().to_string();
        assert!(e.contains("\"AAA\"") && e.contains("TYPEnnn"), "{e}");
        assert_eq!(type_name(1), "A");
        assert_eq!(type_name(65), "HTTPS");
        assert_eq!(type_name(39), "DNAME");
        assert_eq!(type_name(0), "TYPE0");
        assert_eq!(type_name(65280), "TYPE65280");
        assert_eq!(type_name(65305), "TYPE65305");
    }

    #[test]
    fn classes() {
        assert_eq!(parse_class("IN").unwrap(), DNSClass::IN);
        assert_eq!(parse_class("ch").unwrap(), DNSClass::CH);
        assert_eq!(parse_class("CLASS3").unwrap(), DNSClass::CH);
        assert_eq!(parse_class("3").unwrap(), DNSClass::CH);
        assert_eq!(parse_class("CLASS1000").unwrap(), DNSClass::Unknown(1000));
        assert!(parse_class("XX").is_err());
        let mut o = QueryOptions::new("version.bind", RecordType::TXT);
        o.qclass = DNSClass::CH;
        o.edns = false;
        let wire = build(&o).unwrap();
        assert_eq!(&wire[wire.len() - 4..], &[0, 16, 0, 3]);
        assert_eq!(class_name(3), "CH");
        assert_eq!(class_name(1000), "CLASS1000");
    }

    #[test]
    fn names() {
        let mut o = QueryOptions::new(".", RecordType::NS);
        o.edns = false;
        let wire = build(&o).unwrap();
        assert_eq!(&wire[12..], &[0, 0, 2, 0, 1]);
        o.name = "example.com.".into();
        let with_dot = build(&o).unwrap();
        o.name = "example.com".into();
        assert_eq!(build(&o).unwrap(), with_dot);
        for bad in [
            "",
            "a..b",
            "bücher.example",
            &format!("{}.com", "a".repeat(64)),
        ] {
            o.name = bad.to_string();
            let e = build(&o).unwrap_err();
            assert!(matches!(e, Error::Name { .. }), "{bad:?}: {e}");
        }
        o.name = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(62),
        ]
        .join(".");
        let e = build(&o).unwrap_err().to_string();
        assert!(e.contains("256 octets"), "{e}");
        o.name = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(61),
        ]
        .join(".");
        assert!(build(&o).is_ok());
    }
}
