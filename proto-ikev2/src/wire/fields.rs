//! Where every field of an IKEv2 message lies in its bytes: the map an annotated hex dump draws.
//!
//! [`message_fields`] lists the IKE header's fields (RFC 7296 §3.1, the Flags octet broken
//! into its bits), then for each payload its generic header (§3.2: Next Payload, the C bit,
//! Payload Length) and its body, from the offsets and lengths the parser recorded; the SK
//! payload is split into IV, ciphertext and Integrity Checksum Data when it was decrypted.
//! [`chain_fields`] does the same for a decrypted payload chain. Nothing is parsed again.
//!
//! The list covers the bytes exactly, each once: what the parser did not reach (after an
//! error) is a field of layer [`FieldLayer::Undecoded`]; a gap the offsets do not account for
//! is a field named [`UNMAPPED`] (tests check that real captures produce none).

pub use ietfwg_report::fields::{BitField, Layer, UNMAPPED};

use crate::crypto::decrypt::Decrypted;
use crate::error::Error;
use crate::wire::header::Header;
use crate::wire::payload::{Payload, PayloadBody};

/// The layer a field belongs to (a hex dump colours by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldLayer {
    /// The IKE header.
    Header,
    /// A payload's generic header.
    PayloadHeader,
    /// A payload's body.
    PayloadBody,
    /// The encrypted parts of SK/SKF: IV, ciphertext, padding, ICV.
    Encrypted,
    /// Bytes the parser did not reach or could not read.
    Undecoded,
}

impl Layer for FieldLayer {
    const UNDECODED: Self = FieldLayer::Undecoded;

    fn name(self) -> &'static str {
        match self {
            FieldLayer::Header => "IKE hdr",
            FieldLayer::PayloadHeader => "payload",
            FieldLayer::PayloadBody => "body",
            FieldLayer::Encrypted => "SK",
            FieldLayer::Undecoded => "undecoded",
        }
    }
}

/// One field.
pub type Field = ietfwg_report::fields::Field<FieldLayer>;

/// Builds the list in wire order.
type Map = ietfwg_report::fields::Map<FieldLayer>;

const HDR: &str = "RFC 7296 §3.1";
const GENERIC: &str = "RFC 7296 §3.2";

fn set(b: bool) -> &'static str {
    if b {
        "set"
    } else {
        "not set"
    }
}

/// The IKE header's fields at `0..28`.
fn header_fields(m: &mut Map, h: &Header) {
    let l = FieldLayer::Header;
    m.push(
        8,
        l,
        "IKE SA Initiator's SPI",
        format!("0x{:016x}", h.spi_i),
        HDR,
    );
    m.push(
        8,
        l,
        "IKE SA Responder's SPI",
        format!("0x{:016x}", h.spi_r),
        HDR,
    );
    m.push(1, l, "Next Payload", h.next_payload.to_string(), HDR);
    let v = (u32::from(h.major_version) << 4) | u32::from(h.minor_version & 0xf);
    m.push(
        1,
        l,
        "Version",
        format!("{}.{}", h.major_version, h.minor_version),
        HDR,
    )
    .word(v, 8)
    .bit(0, 4, "MjVer", h.major_version.to_string())
    .bit(4, 4, "MnVer", h.minor_version.to_string());
    m.push(1, l, "Exchange Type", h.exchange.to_string(), HDR);
    m.push(1, l, "Flags", format!("0x{:02x}", h.flags), HDR)
        .word(u32::from(h.flags), 8)
        .bit(0, 2, "reserved", "")
        .bit(
            2,
            1,
            "R (Response)",
            if h.response() {
                "a response"
            } else {
                "a request"
            },
        )
        .bit(
            3,
            1,
            "V (Version)",
            format!(
                "{}: a higher major version is {}",
                set(h.version()),
                if h.version() { "spoken" } else { "not claimed" }
            ),
        )
        .bit(
            4,
            1,
            "I (Initiator)",
            if h.initiator() {
                "sent by the original initiator"
            } else {
                "sent by the original responder"
            },
        )
        .bit(5, 3, "reserved", "");
    m.push(4, l, "Message ID", h.message_id.to_string(), HDR);
    m.push(4, l, "Length", format!("{} octets", h.length), HDR);
}

fn body_summary(p: &Payload) -> String {
    match &p.body {
        PayloadBody::Sa(sa) => format!("{} proposal(s)", sa.proposals.len()),
        PayloadBody::Ke(ke) => format!(
            "group {}, {} octets of key exchange data",
            ke.group,
            ke.data.len()
        ),
        PayloadBody::Nonce(n) => format!("{} octets", n.data.len()),
        PayloadBody::Notify(n) => n.notify_type.to_string(),
        PayloadBody::Skf(f) => format!("fragment {} of {}", f.fragment_number, f.total_fragments),
        _ => format!("{} octets", usize::from(p.length).saturating_sub(4)),
    }
}

/// The section that defines payload `p`'s body (RFC 7296 §3.3–§3.16, RFC 7383 §2.5 for SKF;
/// the generic payload header's §3.2 for the others).
pub fn body_reference(p: &Payload) -> &'static str {
    match &p.body {
        PayloadBody::Sa(_) => "RFC 7296 §3.3",
        PayloadBody::Ke(_) => "RFC 7296 §3.4",
        PayloadBody::Id(_) => "RFC 7296 §3.5",
        PayloadBody::Cert(_) => "RFC 7296 §3.6",
        PayloadBody::CertReq(_) => "RFC 7296 §3.7",
        PayloadBody::Auth(_) => "RFC 7296 §3.8",
        PayloadBody::Nonce(_) => "RFC 7296 §3.9",
        PayloadBody::Notify(_) => "RFC 7296 §3.10",
        PayloadBody::Delete(_) => "RFC 7296 §3.11",
        PayloadBody::VendorId(_) => "RFC 7296 §3.12",
        PayloadBody::Ts(_) => "RFC 7296 §3.13",
        PayloadBody::Sk(_) => "RFC 7296 §3.14",
        PayloadBody::Cp(_) => "RFC 7296 §3.15",
        PayloadBody::Eap(_) => "RFC 7296 §3.16",
        PayloadBody::Skf(_) => "RFC 7383 §2.5",
        _ => GENERIC,
    }
}

fn payload_fields(m: &mut Map, payloads: &[Payload], decrypted: Option<&Decrypted>) {
    for (i, p) in payloads.iter().enumerate() {
        m.fill_to(p.offset);
        let next = payloads
            .get(i + 1)
            .map_or_else(|| "none (0)".to_string(), |n| n.payload_type.to_string());
        let next = match &p.body {
            PayloadBody::Sk(sk) => format!("{} (the first payload inside)", sk.next_payload),
            PayloadBody::Skf(f) => format!("{} (first payload inside)", f.next_payload),
            _ => next,
        };
        let h = FieldLayer::PayloadHeader;
        m.push(
            1,
            h,
            format!("{} Next Payload", p.payload_type),
            next,
            GENERIC,
        );
        let cb = (u32::from(p.critical) << 7) | u32::from(p.reserved);
        m.push(1, h, "C, RESERVED", format!("0x{cb:02x}"), GENERIC)
            .word(cb, 8)
            .bit(
                0,
                1,
                "C (Critical)",
                if p.critical {
                    "set: reject the message if this payload type is not understood"
                } else {
                    "not set: skip this payload if its type is not understood"
                },
            )
            .bit(1, 7, "RESERVED", "");
        m.push(
            2,
            h,
            "Payload Length",
            format!("{} octets (header included)", p.length),
            GENERIC,
        );
        let end = p.offset + usize::from(p.length);
        match (&p.body, decrypted) {
            (PayloadBody::Sk(_) | PayloadBody::Skf(_), Some(d)) if d.plaintext_offset >= m.at => {
                let e = FieldLayer::Encrypted;
                let reference = body_reference(p);
                if let PayloadBody::Skf(f) = &p.body {
                    m.push(
                        2,
                        e,
                        "Fragment Number",
                        f.fragment_number.to_string(),
                        reference,
                    );
                    m.push(
                        2,
                        e,
                        "Total Fragments",
                        f.total_fragments.to_string(),
                        reference,
                    );
                }
                let iv = d.plaintext_offset.saturating_sub(m.at);
                m.push(
                    iv,
                    e,
                    "Initialization Vector",
                    format!("{iv} octets"),
                    reference,
                );
                let ct = d.plaintext.len() + usize::from(d.pad_len) + 1;
                m.push(
                    ct.min(end.saturating_sub(m.at)),
                    e,
                    "Encrypted IKE Payloads, Padding, Pad Length",
                    format!(
                        "{} octets of payloads, {} of padding, Pad Length {}",
                        d.plaintext.len(),
                        d.pad_len,
                        d.pad_len
                    ),
                    reference,
                );
                let icv = end.saturating_sub(m.at);
                m.push(
                    icv,
                    e,
                    "Integrity Checksum Data",
                    format!(
                        "{icv} octets, {}",
                        if d.icv_ok { "verified" } else { "NOT verified" }
                    ),
                    reference,
                );
            }
            (PayloadBody::Sk(_) | PayloadBody::Skf(_), None) => {
                let n = end.saturating_sub(m.at);
                m.push(
                    n,
                    FieldLayer::Encrypted,
                    "IV, Encrypted IKE Payloads, Padding, ICV",
                    format!("{n} octets (not decrypted)"),
                    body_reference(p),
                );
            }
            _ => {
                let n = end.saturating_sub(m.at);
                if n > 0 {
                    m.push(
                        n,
                        FieldLayer::PayloadBody,
                        format!("{} body", p.payload_type),
                        body_summary(p),
                        body_reference(p),
                    );
                }
            }
        }
        m.fill_to(end);
    }
}

/// The fields of the IKE message `bytes` (from the first octet of the IKE header): `header`
/// and `message` as the parser gave them, `decrypted` the SK/SKF payload's decryption when
/// there was one.
pub fn message_fields(
    bytes: &[u8],
    header: Option<&Header>,
    message: Result<&[Payload], &Error>,
    decrypted: Option<&Decrypted>,
) -> Vec<Field> {
    let mut m = Map::new(0);
    let Some(h) = header else {
        m.push(
            bytes.len(),
            FieldLayer::Undecoded,
            "IKE message",
            message.err().map_or_else(String::new, ToString::to_string),
            HDR,
        );
        return m.fields;
    };
    if bytes.len() < Header::LEN {
        m.push(
            bytes.len(),
            FieldLayer::Undecoded,
            "IKE header",
            "truncated",
            HDR,
        );
        return m.fields;
    }
    header_fields(&mut m, h);
    match message {
        Ok(payloads) => payload_fields(&mut m, payloads, decrypted),
        Err(e) => {
            let n = bytes.len().saturating_sub(m.at);
            if n > 0 {
                m.push(n, FieldLayer::Undecoded, "not decoded", e.to_string(), "");
            }
        }
    }
    let len = bytes.len();
    if m.at < len {
        m.fill_to(len);
    }
    m.finish()
}

/// The fields of a decrypted payload chain: `plaintext` as [`Decrypted::plaintext`] holds it,
/// `base` the offset its payloads were parsed at ([`Decrypted::plaintext_offset`] for SK, 0
/// for a reassembled SKF message); ranges count from `plaintext[0]`.
pub fn chain_fields(
    plaintext: &[u8],
    base: usize,
    chain: Result<&[Payload], &Error>,
) -> Vec<Field> {
    let mut m = Map::new(base);
    match chain {
        Ok(payloads) => payload_fields(&mut m, payloads, None),
        Err(e) => {
            m.push(
                plaintext.len(),
                FieldLayer::Undecoded,
                "not decoded",
                e.to_string(),
                "",
            );
        }
    }
    if m.at < base + plaintext.len() {
        m.fill_to(base + plaintext.len());
    }
    let mut fields = m.finish();
    for f in &mut fields {
        f.range = f.range.start.saturating_sub(base)..f.range.end.saturating_sub(base);
    }
    fields
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::decoder::{Decoded, Decoder, Decryption, FragmentState};
    use crate::testcapture::{datagrams, keys};

    /// Every field is non-empty and follows the previous one; together they cover `len`
    /// octets from 0, and none is an unmapped gap.
    fn check_cover(fields: &[Field], len: usize, at: &str) {
        let mut next = 0;
        for f in fields {
            assert_eq!(
                f.range.start, next,
                "{at}: {f:?} does not follow the previous field"
            );
            assert!(!f.range.is_empty(), "{at}: empty field {f:?}");
            assert_ne!(f.name, UNMAPPED, "{at}: {f:?}");
            next = f.range.end;
        }
        assert_eq!(next, len, "{at}: fields end at {next} of {len}");
    }

    /// Over the project's keyed captures: the field map of every message, and of every
    /// decrypted plaintext, covers it exactly; each payload's generic header starts at the
    /// offset the parser recorded and its body ends at offset + Payload Length; SK's ICV ends
    /// the message.
    #[test]
    fn fields_cover_messages_and_match_parser_offsets() {
        let (mut messages, mut plaintexts) = (0, 0);
        for name in [
            "aes-gcm-ecp256",
            "aes-cbc-sha256-modp2048",
            "fragmentation",
            "cookie",
        ] {
            let mut dec = Decoder::new(Some(keys(name)));
            for d in datagrams(name) {
                let Some(r) = dec.udp(d.src, d.dst, &d.payload, d.frame) else {
                    continue;
                };
                let Decoded::Ikev2(x) = &r.decoded else {
                    continue;
                };
                let at = format!("{name} frame {}", d.frame);
                let opened = match x.encrypted.as_ref().map(|e| &e.decryption) {
                    Some(Decryption::Done(o)) => Some(o),
                    _ => None,
                };
                let payloads = x.message.as_ref().map(|m| m.payloads.as_slice());
                let map = message_fields(
                    &x.bytes,
                    x.header.as_ref(),
                    payloads,
                    opened.map(|o| &o.decrypted),
                );
                check_cover(&map, x.bytes.len(), &at);
                messages += 1;
                for p in payloads.unwrap() {
                    let starts: Vec<_> = map.iter().filter(|f| f.range.start == p.offset).collect();
                    assert_eq!(
                        starts.len(),
                        1,
                        "{at}: no field at payload offset {}",
                        p.offset
                    );
                    assert_eq!(starts[0].layer, FieldLayer::PayloadHeader, "{at}");
                    let end = p.offset + usize::from(p.length);
                    assert!(
                        map.iter().any(|f| f.range.end == end),
                        "{at}: no field ends at {end}"
                    );
                }
                if let Some(o) = opened {
                    let icv = map.last().unwrap();
                    assert_eq!(icv.name, "Integrity Checksum Data", "{at}");
                    assert!(
                        map.iter()
                            .any(|f| f.range.start == o.decrypted.plaintext_offset),
                        "{at}"
                    );
                    if let Some(chain) = &o.payloads {
                        let p = &o.decrypted;
                        let inner = chain_fields(
                            &p.plaintext,
                            p.plaintext_offset,
                            chain.as_ref().map(Vec::as_slice),
                        );
                        check_cover(&inner, p.plaintext.len(), &format!("{at} plaintext"));
                        for q in chain.as_ref().unwrap() {
                            let rel = q.offset - p.plaintext_offset;
                            assert!(
                                inner.iter().any(|f| f.range.start == rel),
                                "{at}: inner payload at {rel}"
                            );
                        }
                        plaintexts += 1;
                    }
                    if let Some(FragmentState::Complete(r)) = &o.fragments {
                        let inner =
                            chain_fields(&r.plaintext, 0, r.payloads.as_ref().map(Vec::as_slice));
                        check_cover(&inner, r.plaintext.len(), &format!("{at} reassembled"));
                        plaintexts += 1;
                    }
                }
            }
        }
        assert!(messages > 10 && plaintexts > 4, "{messages} {plaintexts}");
    }

    /// A message cut inside its payload chain: the header is mapped, the rest is one
    /// undecoded field holding the parser's error.
    #[test]
    fn truncated_chain_is_undecoded_after_the_header() {
        let d = datagrams("aes-gcm-ecp256");
        let mut bytes = d[0].payload.clone();
        bytes.truncate(60);
        bytes[24..28].copy_from_slice(&60u32.to_be_bytes());
        let m = crate::wire::message::Message::parse(&bytes);
        let e = m.as_ref().unwrap_err();
        let mut r = crate::wire::reader::Reader::new(&bytes, 0);
        let h = Header::parse(&mut r).unwrap();
        let map = message_fields(&bytes, Some(&h), Err(e), None);
        check_cover(&map, 60, "truncated");
        let last = map.last().unwrap();
        assert_eq!(last.layer, FieldLayer::Undecoded);
        assert_eq!(last.range, 28..60);
        assert!(last.value.contains("byte"), "{last:?}");
    }
}
