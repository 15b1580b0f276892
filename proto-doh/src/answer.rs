//! One answer model for both media types: `application/dns-message` (RFC 8484 §6, a DNS message
//! as in RFC 1035 §4.1) and the `application/dns-json` API of Google and Cloudflare.
//!
//! A wire message is first walked here for its structure (header, question and record
//! boundaries, the OPT record), so that a malformed message is reported with the section, the
//! record and the byte offset where it breaks; each question and record is then decoded by
//! hickory-proto, and the OPT record's options (RFC 6891 §6.1.2) are read from the raw octets so
//! that they are shown exactly as received.
//!
//! ```text
//! Header (12) | Question × QDCOUNT | Answer × ANCOUNT | Authority × NSCOUNT | Additional × ARCOUNT
//! RR: NAME | TYPE (2) | CLASS (2) | TTL (4) | RDLENGTH (2) | RDATA           RFC 1035 §4.1.3
//! OPT RR: 00 | 0029 | UDP size | ext-RCODE (8) version (8) DO (1) Z (15) | RDLENGTH | options
//! option: OPTION-CODE (2) | OPTION-LENGTH (2) | OPTION-DATA                 RFC 6891 §6.1.2
//! ```

use std::fmt::Write as _;

use hickory_proto::op::Query;
use hickory_proto::rr::{Name, RData, Record as HRecord};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use serde::{Deserialize, Serialize};

use crate::dnssec::RecordFields;
use crate::error::{Error, Result};
use crate::query::{class_name, type_name};

/// A DNS answer (or any DNS message) as shown to users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub id: u16,
    /// QUERY, NOTIFY, UPDATE… or OPCODEn.
    pub opcode: String,
    /// NOERROR, NXDOMAIN, … including the extended RCODEs carried in the OPT record
    /// (RFC 6891 §6.1.3), or RCODEn.
    pub rcode: String,
    pub rcode_value: u16,
    pub flags: Flags,
    pub question: Vec<Question>,
    /// The answer section. In JSON `answers`, the name `doh batch` uses too.
    #[serde(rename = "answers")]
    pub answer: Vec<Record>,
    pub authority: Vec<Record>,
    /// The additional section without the OPT pseudo-record (that is [`Answer::edns`]).
    pub additional: Vec<Record>,
    pub edns: Option<Edns>,
    /// The message size in octets (0 for the JSON API).
    pub size: usize,
    /// The JSON API's `Comment`, when it has one.
    pub comment: Option<String>,
}

/// Header flags (RFC 1035 §4.1.1; AD and CD from RFC 4035 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Flags {
    pub qr: bool,
    pub aa: bool,
    pub tc: bool,
    pub rd: bool,
    pub ra: bool,
    pub ad: bool,
    pub cd: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Question {
    /// Fully qualified, with the trailing dot.
    pub name: String,
    pub qtype: String,
    pub qclass: String,
}

/// A resource record in presentation format (RFC 1035 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub name: String,
    pub ttl: u32,
    pub class: String,
    pub rtype: String,
    /// The RDATA in presentation format; `\# len hex` (RFC 3597 §5) for types not decoded.
    pub data: String,
    /// The typed fields of a DNSSEC record (DNSKEY, RRSIG, DS, NSEC, NSEC3, …); absent for
    /// other records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<RecordFields>,
}

/// The OPT pseudo-record (RFC 6891 §6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edns {
    pub udp_payload_size: u16,
    pub version: u8,
    pub dnssec_ok: bool,
    /// The 15 Z bits after DO (RFC 6891 §6.1.4: must be zero).
    pub z: u16,
    pub options: Vec<EdnsOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdnsOption {
    pub code: u16,
    /// NSID, COOKIE, PADDING, CLIENT-SUBNET, EDE, … or OPTn.
    pub name: String,
    /// The option data as lowercase hex.
    pub data: String,
    /// A readable rendering where the option has one.
    pub text: Option<String>,
}

/// The DNS header RCODE names (IANA "DNS RCODEs"); 16 is BADVERS in an OPT context.
pub fn rcode_name(value: u16) -> String {
    rcode_mnemonic(value).into_owned()
}

/// [`rcode_name`] without an allocation for the named RCODEs.
pub fn rcode_mnemonic(value: u16) -> std::borrow::Cow<'static, str> {
    let n = match value {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        11 => "DSOTYPENI",
        16 => "BADVERS",
        17 => "BADKEY",
        18 => "BADTIME",
        19 => "BADMODE",
        20 => "BADNAME",
        21 => "BADALG",
        22 => "BADTRUNC",
        23 => "BADCOOKIE",
        n => return std::borrow::Cow::Owned(format!("RCODE{n}")),
    };
    std::borrow::Cow::Borrowed(n)
}

fn opcode_name(value: u8) -> String {
    match value {
        0 => "QUERY".into(),
        1 => "IQUERY".into(),
        2 => "STATUS".into(),
        4 => "NOTIFY".into(),
        5 => "UPDATE".into(),
        6 => "DSO".into(),
        n => format!("OPCODE{n}"),
    }
}

/// EDNS option names (IANA "DNS EDNS0 Option Codes").
pub fn option_name(code: u16) -> String {
    let n = match code {
        1 => "LLQ",
        2 => "UL",
        3 => "NSID",
        5 => "DAU",
        6 => "DHU",
        7 => "N3U",
        8 => "CLIENT-SUBNET",
        9 => "EXPIRE",
        10 => "COOKIE",
        11 => "TCP-KEEPALIVE",
        12 => "PADDING",
        13 => "CHAIN",
        14 => "KEY-TAG",
        15 => "EDE",
        16 => "CLIENT-TAG",
        17 => "SERVER-TAG",
        18 => "REPORT-CHANNEL",
        19 => "ZONEVERSION",
        n => return format!("OPT{n}"),
    };
    n.to_string()
}

/// RFC 8914 §5.2 (and later IANA registrations) extended DNS error INFO-CODEs.
fn ede_purpose(code: u16) -> &'static str {
    match code {
        0 => "Other Error",
        1 => "Unsupported DNSKEY Algorithm",
        2 => "Unsupported DS Digest Type",
        3 => "Stale Answer",
        4 => "Forged Answer",
        5 => "DNSSEC Indeterminate",
        6 => "DNSSEC Bogus",
        7 => "Signature Expired",
        8 => "Signature Not Yet Valid",
        9 => "DNSKEY Missing",
        10 => "RRSIGs Missing",
        11 => "No Zone Key Bit Set",
        12 => "NSEC Missing",
        13 => "Cached Error",
        14 => "Not Ready",
        15 => "Blocked",
        16 => "Censored",
        17 => "Filtered",
        18 => "Prohibited",
        19 => "Stale NXDomain Answer",
        20 => "Not Authoritative",
        21 => "Not Supported",
        22 => "No Reachable Authority",
        23 => "Network Error",
        24 => "Invalid Data",
        25 => "Signature Expired before Valid",
        26 => "Too Early",
        27 => "Unsupported NSEC3 Iterations Value",
        28 => "Unable to conform to policy",
        29 => "Synthesized",
        _ => "unassigned",
    }
}

/// Printable ASCII as is, the rest as `\DDD` (RFC 1035 §5.1), `"` and `\` escaped.
fn escape_text(bytes: &[u8], out: &mut String) {
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\{b:03}");
            }
        }
    }
}

/// A name in presentation format (RFC 1035 §5.1): labels joined by dots, special characters
/// escaped with `\`, other octets as `\DDD` decimal, the trailing dot. Written here because
/// hickory's ASCII form escapes in octal.
fn name_text(name: &Name) -> String {
    let mut s = String::with_capacity(name.len() + 1);
    name_text_into(name, &mut s);
    s
}

/// [`name_text`], appended to `s`.
fn name_text_into(name: &Name, s: &mut String) {
    if name.is_root() {
        s.push('.');
        return;
    }
    for label in name.iter() {
        for &b in label {
            match b {
                b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                    s.push('\\');
                    s.push(char::from(b));
                }
                0x21..=0x7e => s.push(char::from(b)),
                _ => {
                    let _ = write!(s, "\\{b:03}");
                }
            }
        }
        s.push('.');
    }
}

/// RFC 3597 §5 generic RDATA: `\# length hex`.
fn generic(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "\\# 0".into()
    } else {
        format!("\\# {} {}", bytes.len(), hex::encode(bytes))
    }
}

/// RDATA in presentation format: hickory's Display, except where that is not the zone-file form.
fn rdata_text(rdata: &RData, raw: &[u8]) -> String {
    match rdata {
        // hickory concatenates the strings unquoted; RFC 1035 §5.1 quotes each <character-string>.
        RData::TXT(txt) => {
            let mut s = String::new();
            for (i, part) in txt.txt_data().iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                s.push('"');
                escape_text(part, &mut s);
                s.push('"');
            }
            s
        }
        // Names in RDATA as the owner names are shown: A-labels kept (hickory's Display turns
        // xn-- labels into Unicode) and RFC 1035 decimal escapes.
        RData::CNAME(n) => name_text(&n.0),
        RData::NS(n) => name_text(&n.0),
        RData::PTR(n) => name_text(&n.0),
        RData::MX(mx) => format!("{} {}", mx.preference(), name_text(mx.exchange())),
        RData::SRV(srv) => format!(
            "{} {} {} {}",
            srv.priority(),
            srv.weight(),
            srv.port(),
            name_text(srv.target())
        ),
        RData::SOA(soa) => format!(
            "{} {} {} {} {} {} {}",
            name_text(soa.mname()),
            name_text(soa.rname()),
            soa.serial(),
            // RFC 1035 §3.3.13: unsigned 32-bit; hickory keeps them as i32.
            soa.refresh() as u32,
            soa.retry() as u32,
            soa.expire() as u32,
            soa.minimum()
        ),
        // RFC 1035 §3.3.2: two <character-string>s, quoted like TXT's.
        RData::HINFO(h) => {
            let mut s = String::from("\"");
            escape_text(h.cpu(), &mut s);
            s.push_str("\" \"");
            escape_text(h.os(), &mut s);
            s.push('"');
            s
        }
        // RFC 8659 §4.1.1: flags, tag, and the value as a quoted string.
        RData::CAA(caa) if raw.len() >= 2 && raw.len() >= 2 + usize::from(raw[1]) => {
            let tag_len = usize::from(raw[1]);
            let mut s = format!("{} ", raw[0]);
            escape_text(&raw[2..2 + tag_len], &mut s);
            s.push_str(" \"");
            escape_text(caa.raw_value(), &mut s);
            s.push('"');
            s
        }
        RData::Unknown { .. } | RData::NULL(_) | RData::Update0(_) | RData::OPT(_) => generic(raw),
        other => {
            let mut s = String::new();
            if write!(s, "{other}").is_err() {
                return generic(raw);
            }
            s
        }
    }
}

/// [`rdata_text`], appended to `out`: the common address records without a String of their
/// own.
fn rdata_text_into(rdata: &RData, raw: &[u8], out: &mut String) {
    match rdata {
        RData::A(a) => {
            let _ = write!(out, "{}", a.0);
        }
        RData::AAAA(a) => {
            let _ = write!(out, "{}", a.0);
        }
        other => out.push_str(&rdata_text(other, raw)),
    }
}

/// Where each part of a message is: found by walking the RFC 1035 structure.
struct Layout {
    questions: Vec<usize>,
    /// (section index 0..3, start offset, RDATA start, RDATA end, TYPE)
    records: Vec<(usize, usize, usize, usize, u16)>,
    /// (offset of the OPT record, CLASS, TTL, RDATA start, RDATA end)
    opt: Option<(usize, u16, u32, usize, usize)>,
}

const SECTIONS: [&str; 3] = ["answer", "authority", "additional"];

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}

/// Skips a (possibly compressed) name at `i`: returns the offset after it.
fn skip_name(b: &[u8], mut i: usize) -> std::result::Result<usize, String> {
    let start = i;
    loop {
        let Some(&len) = b.get(i) else {
            return Err(format!(
                "the name starting at offset {start} runs past the end at offset {i}"
            ));
        };
        match len & 0xc0 {
            0x00 if len == 0 => return Ok(i + 1),
            0x00 => {
                i += 1 + usize::from(len);
                if i > b.len() {
                    return Err(format!(
                        "a label of {len} octets at offset {} runs past the end of the message",
                        i - 1 - usize::from(len)
                    ));
                }
            }
            0xc0 => {
                if i + 2 > b.len() {
                    return Err(format!(
                        "a compression pointer at offset {i} is cut off by the end of the message"
                    ));
                }
                let target = usize::from(u16_at(b, i) & 0x3fff);
                if target >= i {
                    return Err(format!(
                        "the compression pointer at offset {i} points forward to offset {target} (RFC 1035 §4.1.4: pointers go to a prior occurrence)"
                    ));
                }
                return Ok(i + 2);
            }
            bits => {
                return Err(format!(
                    "label type 0x{bits:02x} at offset {i}: only plain labels (00) and pointers (11) are defined (RFC 6891 §5)"
                ))
            }
        }
    }
}

fn walk(b: &[u8]) -> std::result::Result<Layout, String> {
    if b.len() < 12 {
        return Err(format!(
            "{} octets cannot hold the 12-octet header (RFC 1035 §4.1.1)",
            b.len()
        ));
    }
    let counts = [u16_at(b, 4), u16_at(b, 6), u16_at(b, 8), u16_at(b, 10)];
    let mut i = 12;
    let mut questions = Vec::new();
    for q in 0..counts[0] {
        let at = i;
        i = skip_name(b, i).map_err(|e| format!("question {}: {e}", q + 1))?;
        if i + 4 > b.len() {
            return Err(format!(
                "question {} at offset {at}: QTYPE and QCLASS cut off by the end of the message (QDCOUNT is {})",
                q + 1,
                counts[0]
            ));
        }
        i += 4;
        questions.push(at);
    }
    let mut records = Vec::new();
    let mut opt = None;
    for (s, &count) in counts[1..].iter().enumerate() {
        for r in 0..count {
            let at = i;
            let ctx = |e: String| format!("{} record {} (of {count}): {e}", SECTIONS[s], r + 1);
            i = skip_name(b, i).map_err(ctx)?;
            if i + 10 > b.len() {
                return Err(ctx(format!(
                    "TYPE, CLASS, TTL and RDLENGTH at offset {i} cut off by the end of the message at {}",
                    b.len()
                )));
            }
            let rtype = u16_at(b, i);
            let class = u16_at(b, i + 2);
            let ttl = u32::from_be_bytes([b[i + 4], b[i + 5], b[i + 6], b[i + 7]]);
            let rdlen = usize::from(u16_at(b, i + 8));
            let rdata = i + 10;
            if rdata + rdlen > b.len() {
                return Err(ctx(format!(
                    "RDLENGTH {rdlen} at offset {} runs past the end of the message ({} octets left)",
                    i + 8,
                    b.len() - rdata
                )));
            }
            i = rdata + rdlen;
            if rtype == 41 {
                if s != 2 {
                    return Err(ctx(
                        "an OPT record outside the additional section (RFC 6891 §6.1.1)".into(),
                    ));
                }
                if opt.is_some() {
                    return Err(ctx(
                        "a second OPT record (RFC 6891 §6.1.1: at most one)".into()
                    ));
                }
                if b[at] != 0 {
                    return Err(ctx(format!(
                        "the OPT record at offset {at} is not owned by the root (RFC 6891 §6.1.2)"
                    )));
                }
                opt = Some((at, class, ttl, rdata, i));
            } else {
                records.push((s, at, rdata, i, rtype));
            }
        }
    }
    Ok(Layout {
        questions,
        records,
        opt,
    })
}

/// The checks of [`Answer::from_wire`], shared with [`AnswerRecords::decode`]: walks the RFC 1035
/// structure, decodes every question (`question`) and record (`record`: section 0–2, the
/// record, its RDATA octets, TYPE and CLASS; the OPT record is not among them) with
/// hickory-proto, and checks that each RDATA decodes to exactly RDLENGTH octets. Returns the
/// RCODE with its extended bits (RFC 6891 §6.1.3) and the OPT record.
fn decode_parts(
    b: &[u8],
    mut question: impl FnMut(Query),
    mut record: impl FnMut(usize, HRecord, &[u8], u16, u16),
) -> Result<(u16, Option<Edns>)> {
    let size = b.len();
    let bad = |reason: String| Error::Wire { size, reason };
    if size > usize::from(u16::MAX) {
        return Err(bad(
            "longer than 65535 octets, the most a DNS message can be (RFC 8484 §6)".into(),
        ));
    }
    let layout = walk(b).map_err(bad)?;
    let decoder = BinDecoder::new(b);
    for (n, &at) in layout.questions.iter().enumerate() {
        // `at` < 65536: checked above.
        let mut d = decoder.clone(at as u16);
        let q = Query::read(&mut d)
            .map_err(|e| bad(format!("question {} at offset {at}: {e}", n + 1)))?;
        question(q);
    }
    let mut counts = [0usize; 3];
    for &(s, at, rstart, rend, rtype) in &layout.records {
        let mut d = decoder.clone(at as u16);
        let rec = HRecord::read(&mut d).map_err(|e| {
            bad(format!(
                "{} record {} ({}) at offset {at}, RDATA at {rstart}–{rend}: {e}",
                SECTIONS[s],
                counts[s] + 1,
                type_name(rtype)
            ))
        })?;
        if d.index() != rend {
            return Err(bad(format!(
                "{} record {} ({}) at offset {at}: RDATA decodes to {} octets but RDLENGTH says {}",
                SECTIONS[s],
                counts[s] + 1,
                type_name(rtype),
                d.index().saturating_sub(rstart),
                rend - rstart
            )));
        }
        counts[s] += 1;
        record(s, rec, &b[rstart..rend], rtype, u16_at(b, rstart - 8));
    }
    let mut rcode_value = u16::from(b[3] & 0x0f);
    let edns = match layout.opt {
        None => None,
        Some((_, class, ttl, start, end)) => {
            // RFC 6891 §6.1.3: the upper 8 bits of the 12-bit RCODE.
            rcode_value |= ((ttl >> 24) as u16) << 4;
            Some(Edns {
                udp_payload_size: class,
                version: ((ttl >> 16) & 0xff) as u8,
                dnssec_ok: ttl & 0x8000 != 0,
                z: (ttl & 0x7fff) as u16,
                options: edns_options(b, start, end).map_err(bad)?,
            })
        }
    };
    Ok((rcode_value, edns))
}

/// The RCODE and answer section of wire messages, decoded one message after another into the
/// same buffers (`doh batch`: one line per answer, many answers): no String or Vec of its own
/// per record. Every message is checked exactly as [`Answer::from_wire`] checks it (the same
/// code), so a message this refuses is one `from_wire` refuses with the same error, and the
/// records read are the ones `from_wire` gives in [`Answer::answer`].
#[derive(Debug, Default)]
pub struct AnswerRecords {
    /// Name, class, type and data of each record, one after another.
    text: String,
    /// Per record: where its four strings end in `text`, and its TTL.
    spans: Vec<([usize; 4], u32)>,
    /// The DNSSEC records' fields, with the index of their record in `spans`.
    fields: Vec<(usize, RecordFields)>,
    rcode_value: u16,
}

/// One answer record as [`AnswerRecords`] holds it; serialises as [`Record`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RecordRef<'a> {
    pub name: &'a str,
    pub ttl: u32,
    pub class: &'a str,
    pub rtype: &'a str,
    pub data: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<&'a RecordFields>,
}

impl AnswerRecords {
    /// Decodes `b`, replacing what the buffers held.
    pub fn decode(&mut self, b: &[u8]) -> Result<()> {
        self.text.clear();
        self.spans.clear();
        self.fields.clear();
        self.rcode_value = 0;
        let text = &mut self.text;
        let spans = &mut self.spans;
        let fields = &mut self.fields;
        let (rcode_value, _) = decode_parts(
            b,
            |_| {},
            |s, rec, raw, rtype, class| {
                if s != 0 {
                    return;
                }
                let mut ends = [0; 4];
                name_text_into(rec.name(), text);
                ends[0] = text.len();
                text.push_str(&crate::query::class_mnemonic(class));
                ends[1] = text.len();
                text.push_str(&crate::query::type_mnemonic(rtype));
                ends[2] = text.len();
                match crate::dnssec::fields(rec.data(), raw, name_text) {
                    Some(f) => {
                        crate::dnssec::write_text(&f, text);
                        fields.push((spans.len(), f));
                    }
                    None => rdata_text_into(rec.data(), raw, text),
                }
                ends[3] = text.len();
                spans.push((ends, rec.ttl()));
            },
        )?;
        self.rcode_value = rcode_value;
        Ok(())
    }

    /// The RCODE, with the extended bits of the OPT record (as [`Answer::rcode_value`]).
    pub fn rcode_value(&self) -> u16 {
        self.rcode_value
    }

    /// The RCODE's name (as [`Answer::rcode`]).
    pub fn rcode(&self) -> std::borrow::Cow<'static, str> {
        rcode_mnemonic(self.rcode_value)
    }

    /// The answer section, in message order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = RecordRef<'_>> + Clone + '_ {
        let mut start = 0;
        let spans = self.spans.iter().enumerate().map(move |(i, &(ends, ttl))| {
            let s = start;
            start = ends[3];
            (i, s, ends, ttl)
        });
        spans.map(|(i, s, e, ttl)| RecordRef {
            name: self.text.get(s..e[0]).unwrap_or(""),
            ttl,
            class: self.text.get(e[0]..e[1]).unwrap_or(""),
            rtype: self.text.get(e[1]..e[2]).unwrap_or(""),
            data: self.text.get(e[2]..e[3]).unwrap_or(""),
            // Few records are DNSSEC ones: a scan of this short list.
            fields: self.fields.iter().find(|(at, _)| *at == i).map(|(_, f)| f),
        })
    }
}

/// The options of an OPT record's RDATA, with readable renderings.
fn edns_options(
    b: &[u8],
    start: usize,
    end: usize,
) -> std::result::Result<Vec<EdnsOption>, String> {
    let mut out = Vec::new();
    let mut i = start;
    while i < end {
        if i + 4 > end {
            return Err(format!(
                "OPT option header at offset {i} cut off by the end of the RDATA at {end}"
            ));
        }
        let code = u16_at(b, i);
        let len = usize::from(u16_at(b, i + 2));
        if i + 4 + len > end {
            return Err(format!(
                "OPT option {} at offset {i}: OPTION-LENGTH {len} runs past the end of the RDATA at {end}",
                option_name(code)
            ));
        }
        let data = &b[i + 4..i + 4 + len];
        out.push(EdnsOption {
            code,
            name: option_name(code),
            data: hex::encode(data),
            text: option_text(code, data),
        });
        i += 4 + len;
    }
    Ok(out)
}

fn option_text(code: u16, d: &[u8]) -> Option<String> {
    match code {
        // RFC 5001 §2.3: opaque, often ASCII.
        3 => {
            let mut s = String::from("\"");
            escape_text(d, &mut s);
            s.push('"');
            Some(s)
        }
        // RFC 6975: algorithm numbers.
        5..=7 => Some(d.iter().map(u8::to_string).collect::<Vec<_>>().join(" ")),
        // RFC 7871 §6: FAMILY, SOURCE PREFIX-LENGTH, SCOPE PREFIX-LENGTH, ADDRESS.
        8 if d.len() >= 4 => {
            let family = u16_at(d, 0);
            let (src, scope, addr) = (d[2], d[3], &d[4..]);
            let a = match family {
                1 if addr.len() <= 4 => {
                    let mut o = [0u8; 4];
                    o[..addr.len()].copy_from_slice(addr);
                    std::net::Ipv4Addr::from(o).to_string()
                }
                2 if addr.len() <= 16 => {
                    let mut o = [0u8; 16];
                    o[..addr.len()].copy_from_slice(addr);
                    std::net::Ipv6Addr::from(o).to_string()
                }
                f => format!("family {f} {}", hex::encode(addr)),
            };
            Some(format!("{a}/{src}/{scope}"))
        }
        // RFC 7314: seconds.
        9 if d.len() == 4 => Some(format!(
            "{} s",
            u32::from_be_bytes([d[0], d[1], d[2], d[3]])
        )),
        // RFC 7873 §4: an 8-octet client cookie, then 8–32 octets of server cookie.
        10 if d.len() >= 8 => Some(if d.len() > 8 {
            format!(
                "client {}, server {}",
                hex::encode(&d[..8]),
                hex::encode(&d[8..])
            )
        } else {
            format!("client {}", hex::encode(d))
        }),
        // RFC 7828 §3.1: units of 100 ms, absent in queries.
        11 if d.len() == 2 => {
            let t = u16_at(d, 0);
            Some(format!("{}.{} s", t / 10, t % 10))
        }
        11 if d.is_empty() => Some("no timeout given".into()),
        // RFC 7830: zero octets; anything else is worth showing.
        12 => Some(if d.iter().all(|b| *b == 0) {
            format!("{} octets", d.len())
        } else {
            format!("{} octets, not all zero", d.len())
        }),
        // RFC 8145 §4.1: key tags.
        14 if d.len() % 2 == 0 => Some(
            d.chunks(2)
                .map(|c| u16_at(c, 0).to_string())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        // RFC 8914 §2: INFO-CODE, EXTRA-TEXT (UTF-8).
        15 if d.len() >= 2 => {
            let info = u16_at(d, 0);
            let mut s = format!("{info} ({})", ede_purpose(info));
            if d.len() > 2 {
                s.push_str(": ");
                s.push_str(&String::from_utf8_lossy(&d[2..]));
            }
            Some(s)
        }
        _ => None,
    }
}

impl Answer {
    /// Decodes a DNS message (RFC 1035 §4.1) of at most 65535 octets (RFC 8484 §6).
    pub fn from_wire(b: &[u8]) -> Result<Answer> {
        let size = b.len();
        let mut question = Vec::new();
        let mut sections: [Vec<Record>; 3] = Default::default();
        let (rcode_value, edns) = decode_parts(
            b,
            |q| {
                question.push(Question {
                    name: name_text(q.name()),
                    qtype: type_name(u16::from(q.query_type())),
                    qclass: class_name(u16::from(q.query_class())),
                })
            },
            |s, rec, raw, rtype, class| {
                sections[s].push(Record {
                    name: name_text(rec.name()),
                    ttl: rec.ttl(),
                    class: class_name(class),
                    rtype: type_name(rtype),
                    data: String::new(),
                    fields: None,
                });
                if let Some(r) = sections[s].last_mut() {
                    r.fields = crate::dnssec::fields(rec.data(), raw, name_text);
                    r.data = match &r.fields {
                        Some(f) => f.to_string(),
                        None => rdata_text(rec.data(), raw),
                    };
                }
            },
        )?;
        let [answer, authority, additional] = sections;
        Ok(Answer {
            id: u16_at(b, 0),
            opcode: opcode_name((b[2] >> 3) & 0x0f),
            rcode: rcode_name(rcode_value),
            rcode_value,
            flags: Flags {
                qr: b[2] & 0x80 != 0,
                aa: b[2] & 0x04 != 0,
                tc: b[2] & 0x02 != 0,
                rd: b[2] & 0x01 != 0,
                ra: b[3] & 0x80 != 0,
                ad: b[3] & 0x20 != 0,
                cd: b[3] & 0x10 != 0,
            },
            question,
            answer,
            authority,
            additional,
            edns,
            size,
            comment: None,
        })
    }

    /// Maps a JSON API answer (`application/dns-json`, Google's and Cloudflare's schema) to the
    /// same model: type numbers become names, names get their trailing dot, class is IN.
    pub fn from_json_api(text: &str) -> Result<Answer> {
        let j: JsonAnswer = serde_json::from_str(text)
            .map_err(|e| Error::Json(format!("not the dns-json schema: {e}")))?;
        let fq = |n: &str| {
            if n.ends_with('.') {
                n.to_string()
            } else {
                format!("{n}.")
            }
        };
        let records = |v: Option<Vec<JsonRecord>>| {
            v.unwrap_or_default()
                .into_iter()
                .map(|r| Record {
                    name: fq(&r.name),
                    ttl: r.ttl,
                    class: "IN".into(),
                    rtype: type_name(r.rtype),
                    data: r.data,
                    fields: None,
                })
                .collect::<Vec<_>>()
        };
        let comment = match j.comment {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s),
            Some(serde_json::Value::Array(a)) => Some(
                a.iter()
                    .map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Some(other) => Some(other.to_string()),
        };
        Ok(Answer {
            id: 0,
            opcode: "QUERY".into(),
            rcode: rcode_name(j.status),
            rcode_value: j.status,
            flags: Flags {
                qr: true,
                aa: false,
                tc: j.tc,
                rd: j.rd,
                ra: j.ra,
                ad: j.ad,
                cd: j.cd,
            },
            question: j
                .question
                .unwrap_or_default()
                .into_iter()
                .map(|q| Question {
                    name: fq(&q.name),
                    qtype: type_name(q.qtype),
                    qclass: "IN".into(),
                })
                .collect(),
            answer: records(j.answer),
            authority: records(j.authority),
            additional: records(j.additional),
            edns: None,
            size: 0,
            comment,
        })
    }

    /// RCODE 0.
    pub fn is_noerror(&self) -> bool {
        self.rcode_value == 0
    }

    /// RFC 8484 §5.1: the smallest TTL of the answer section; for an answer with no records
    /// there but an SOA in the authority section, that SOA's MINIMUM — or its TTL when smaller,
    /// as RFC 2308 §5 caps the negative-caching time with both. None when neither exists.
    pub fn min_ttl(&self) -> Option<u32> {
        if let Some(t) = self.answer.iter().map(|r| r.ttl).min() {
            return Some(t);
        }
        self.authority
            .iter()
            .filter(|r| r.rtype == "SOA")
            .map(|r| {
                let minimum = r
                    .data
                    .split_whitespace()
                    .nth(6)
                    .and_then(|m| m.parse::<u32>().ok())
                    .unwrap_or(r.ttl);
                minimum.min(r.ttl)
            })
            .min()
    }
}

#[derive(Deserialize)]
struct JsonAnswer {
    #[serde(rename = "Status")]
    status: u16,
    #[serde(rename = "TC", default)]
    tc: bool,
    #[serde(rename = "RD", default)]
    rd: bool,
    #[serde(rename = "RA", default)]
    ra: bool,
    #[serde(rename = "AD", default)]
    ad: bool,
    #[serde(rename = "CD", default)]
    cd: bool,
    #[serde(rename = "Question", default)]
    question: Option<Vec<JsonQuestion>>,
    #[serde(rename = "Answer", default)]
    answer: Option<Vec<JsonRecord>>,
    #[serde(rename = "Authority", default)]
    authority: Option<Vec<JsonRecord>>,
    #[serde(rename = "Additional", default)]
    additional: Option<Vec<JsonRecord>>,
    #[serde(rename = "Comment", default)]
    comment: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct JsonQuestion {
    name: String,
    #[serde(rename = "type")]
    qtype: u16,
}

#[derive(Deserialize)]
struct JsonRecord {
    name: String,
    #[serde(rename = "type")]
    rtype: u16,
    #[serde(rename = "TTL", default)]
    ttl: u32,
    #[serde(default)]
    data: String,
}
