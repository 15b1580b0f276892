//! DNSSEC records (RFC 4034 §2–§5, RFC 5155 §3–§4, RFC 7344 §3) in presentation format, as
//! kdig and dig show them, and as typed fields for JSON.
//!
//! ```text
//! DNSKEY/CDNSKEY: Flags (2) | Protocol (1) | Algorithm (1) | Public Key          RFC 4034 §2.1
//! RRSIG: Type Covered (2) | Algorithm (1) | Labels (1) | Original TTL (4) |
//!        Signature Expiration (4) | Signature Inception (4) | Key Tag (2) |
//!        Signer's Name | Signature                                            RFC 4034 §3.1
//! DS/CDS: Key Tag (2) | Algorithm (1) | Digest Type (1) | Digest              RFC 4034 §5.1
//! NSEC: Next Domain Name | Type Bit Maps                                      RFC 4034 §4.1
//! NSEC3: Hash Alg (1) | Flags (1) | Iterations (2) | Salt Length (1) | Salt |
//!        Hash Length (1) | Next Hashed Owner Name | Type Bit Maps            RFC 5155 §3.2
//! NSEC3PARAM: Hash Alg (1) | Flags (1) | Iterations (2) | Salt Length (1) | Salt  §4.2
//! ```
//!
//! hickory-proto (feature `dnssec-ring`) decodes and checks each record; the values shown are
//! read from its decoded form, except the algorithm and digest-type numbers and the key octets,
//! which are taken from the RDATA as received: hickory maps them to enums (and CDS/CDNSKEY's
//! algorithm 0 to `None`) and re-encodes keys per algorithm, while a presentation must show
//! exactly what was on the wire.

use std::fmt::{self, Write as _};

use base64::Engine as _;
use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::dnssec::rdata::DNSKEY;
use hickory_proto::rr::{Name, RData, RecordType};
use serde::Serialize;

use crate::query::type_mnemonic;

/// A code point as everywhere in the JSON: the number and its IANA name (null when unassigned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodePoint {
    pub id: u8,
    pub name: Option<&'static str>,
}

/// IANA "DNS Security Algorithm Numbers".
fn algorithm(id: u8) -> CodePoint {
    let name = match id {
        0 => Some("DELETE"),
        1 => Some("RSAMD5"),
        2 => Some("DH"),
        3 => Some("DSA"),
        5 => Some("RSASHA1"),
        6 => Some("DSA-NSEC3-SHA1"),
        7 => Some("RSASHA1-NSEC3-SHA1"),
        8 => Some("RSASHA256"),
        10 => Some("RSASHA512"),
        12 => Some("ECC-GOST"),
        13 => Some("ECDSAP256SHA256"),
        14 => Some("ECDSAP384SHA384"),
        15 => Some("ED25519"),
        16 => Some("ED448"),
        17 => Some("SM2SM3"),
        23 => Some("ECC-GOST12"),
        252 => Some("INDIRECT"),
        253 => Some("PRIVATEDNS"),
        254 => Some("PRIVATEOID"),
        _ => None,
    };
    CodePoint { id, name }
}

/// IANA "Digest Algorithms" (DS RR Type).
fn digest_type(id: u8) -> CodePoint {
    let name = match id {
        0 => Some("DELETE"),
        1 => Some("SHA-1"),
        2 => Some("SHA-256"),
        3 => Some("GOST R 34.11-94"),
        4 => Some("SHA-384"),
        5 => Some("GOST R 34.11-2012"),
        6 => Some("SM3"),
        _ => None,
    };
    CodePoint { id, name }
}

/// IANA "DNSSEC NSEC3 Hash Algorithms".
fn nsec3_hash(id: u8) -> CodePoint {
    let name = match id {
        1 => Some("SHA-1"),
        _ => None,
    };
    CodePoint { id, name }
}

/// DNSKEY and CDNSKEY (RFC 4034 §2, RFC 7344 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyFields {
    pub flags: u16,
    pub protocol: u8,
    pub algorithm: CodePoint,
    /// Base64 (RFC 4648 §4), as kdig and dig show it.
    pub public_key: String,
    /// RFC 4034 Appendix B, computed over the RDATA.
    pub key_tag: u16,
}

/// DS and CDS (RFC 4034 §5, RFC 7344 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DsFields {
    pub key_tag: u16,
    pub algorithm: CodePoint,
    pub digest_type: CodePoint,
    /// Uppercase hex, as kdig shows it.
    pub digest: String,
}

/// RRSIG (RFC 4034 §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigFields {
    pub type_covered: String,
    pub algorithm: CodePoint,
    pub labels: u8,
    pub original_ttl: u32,
    /// `YYYYMMDDHHmmSS` in UTC (RFC 4034 §3.2).
    pub expiration: String,
    pub inception: String,
    pub key_tag: u16,
    pub signer_name: String,
    /// Base64 (RFC 4648 §4).
    pub signature: String,
}

/// NSEC3 (RFC 5155 §3) and NSEC3PARAM (§4): `next_hashed_owner` and `types` only in NSEC3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Nsec3Fields {
    pub hash_algorithm: CodePoint,
    pub flags: u8,
    pub iterations: u16,
    /// Uppercase hex; empty for no salt (shown as `-`).
    pub salt: String,
    /// Base32 with the extended hex alphabet (RFC 4648 §7), lowercase as kdig shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_hashed_owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub types: Option<Vec<String>>,
}

/// The typed fields of a DNSSEC record, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum RecordFields {
    Dnskey(KeyFields),
    Cdnskey(KeyFields),
    Ds(DsFields),
    Cds(DsFields),
    Rrsig(SigFields),
    Nsec {
        next_domain_name: String,
        types: Vec<String>,
    },
    Nsec3(Nsec3Fields),
    Nsec3param(Nsec3Fields),
}

/// `YYYYMMDDHHmmSS` (RFC 4034 §3.2) of seconds since 1970 in UTC.
fn sig_time(t: u32) -> String {
    match time::OffsetDateTime::from_unix_timestamp(i64::from(t)) {
        Ok(d) => format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        ),
        Err(_) => t.to_string(),
    }
}

fn types(it: impl Iterator<Item = RecordType>) -> Vec<String> {
    it.map(|t| type_mnemonic(u16::from(t)).into_owned())
        .collect()
}

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn key_fields(raw: &[u8]) -> Option<KeyFields> {
    let key = raw.get(4..)?;
    Some(KeyFields {
        flags: u16::from_be_bytes([raw[0], raw[1]]),
        protocol: raw[2],
        algorithm: algorithm(raw[3]),
        public_key: b64(key),
        key_tag: DNSKEY::calculate_key_tag_internal(raw),
    })
}

fn ds_fields(raw: &[u8]) -> Option<DsFields> {
    let digest = raw.get(4..)?;
    Some(DsFields {
        key_tag: u16::from_be_bytes([raw[0], raw[1]]),
        algorithm: algorithm(raw[2]),
        digest_type: digest_type(raw[3]),
        digest: hex::encode_upper(digest),
    })
}

/// The fields of a DNSSEC record that hickory decoded, from its decoded form and its RDATA
/// octets `raw`; None for every other record.
pub fn fields(rdata: &RData, raw: &[u8], name_text: fn(&Name) -> String) -> Option<RecordFields> {
    let RData::DNSSEC(d) = rdata else {
        return None;
    };
    Some(match d {
        DNSSECRData::DNSKEY(_) => RecordFields::Dnskey(key_fields(raw)?),
        DNSSECRData::CDNSKEY(_) => RecordFields::Cdnskey(key_fields(raw)?),
        DNSSECRData::DS(_) => RecordFields::Ds(ds_fields(raw)?),
        DNSSECRData::CDS(_) => RecordFields::Cds(ds_fields(raw)?),
        DNSSECRData::RRSIG(sig) => RecordFields::Rrsig(SigFields {
            type_covered: type_mnemonic(u16::from(sig.type_covered())).into_owned(),
            algorithm: algorithm(*raw.get(2)?),
            labels: sig.num_labels(),
            original_ttl: sig.original_ttl(),
            expiration: sig_time(sig.sig_expiration().get()),
            inception: sig_time(sig.sig_inception().get()),
            key_tag: sig.key_tag(),
            signer_name: name_text(sig.signer_name()),
            signature: b64(sig.sig()),
        }),
        DNSSECRData::NSEC(n) => RecordFields::Nsec {
            next_domain_name: name_text(n.next_domain_name()),
            types: types(n.type_bit_maps()),
        },
        DNSSECRData::NSEC3(n) => RecordFields::Nsec3(Nsec3Fields {
            hash_algorithm: nsec3_hash(*raw.first()?),
            flags: n.flags(),
            iterations: n.iterations(),
            salt: hex::encode_upper(n.salt()),
            next_hashed_owner: Some(
                data_encoding::BASE32HEX_NOPAD
                    .encode(n.next_hashed_owner_name())
                    .to_ascii_lowercase(),
            ),
            types: Some(types(n.type_bit_maps())),
        }),
        DNSSECRData::NSEC3PARAM(n) => RecordFields::Nsec3param(Nsec3Fields {
            hash_algorithm: nsec3_hash(*raw.first()?),
            flags: n.flags(),
            iterations: n.iterations(),
            salt: hex::encode_upper(n.salt()),
            next_hashed_owner: None,
            types: None,
        }),
        _ => return None,
    })
}

fn join(out: &mut fmt::Formatter<'_>, types: &[String]) -> fmt::Result {
    for t in types {
        write!(out, " {t}")?;
    }
    Ok(())
}

/// Presentation format as kdig prints it (one line, no parentheses).
impl fmt::Display for RecordFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordFields::Dnskey(k) | RecordFields::Cdnskey(k) => write!(
                f,
                "{} {} {} {}",
                k.flags, k.protocol, k.algorithm.id, k.public_key
            ),
            RecordFields::Ds(d) | RecordFields::Cds(d) => write!(
                f,
                "{} {} {} {}",
                d.key_tag, d.algorithm.id, d.digest_type.id, d.digest
            ),
            RecordFields::Rrsig(s) => write!(
                f,
                "{} {} {} {} {} {} {} {} {}",
                s.type_covered,
                s.algorithm.id,
                s.labels,
                s.original_ttl,
                s.expiration,
                s.inception,
                s.key_tag,
                s.signer_name,
                s.signature
            ),
            RecordFields::Nsec {
                next_domain_name,
                types,
            } => {
                f.write_str(next_domain_name)?;
                join(f, types)
            }
            RecordFields::Nsec3(n) | RecordFields::Nsec3param(n) => {
                let salt = if n.salt.is_empty() { "-" } else { &n.salt };
                write!(
                    f,
                    "{} {} {} {salt}",
                    n.hash_algorithm.id, n.flags, n.iterations
                )?;
                if let Some(h) = &n.next_hashed_owner {
                    write!(f, " {h}")?;
                }
                join(f, n.types.as_deref().unwrap_or_default())
            }
        }
    }
}

/// [`RecordFields`]'s text appended to `out`.
pub fn write_text(fields: &RecordFields, out: &mut String) {
    let _ = write!(out, "{fields}");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::answer::Answer;

    /// A message with one answer of TYPE `rtype` and RDATA `rdata`, owner `q.example.`.
    fn message(rtype: u16, rdata: &[u8]) -> Vec<u8> {
        let len = u16::try_from(rdata.len()).unwrap();
        #[rustfmt::skip]
        let m = [
            &[0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0][..],      // header: QR AA, 1 question, 1 answer
            b"\x01q\x07example\x00",                            // q.example.
            &rtype.to_be_bytes(), &[0, 1],                      // QTYPE, IN
            &[0xc0, 12], &rtype.to_be_bytes(), &[0, 1],         // owner → question name, TYPE, IN
            &[0, 0, 0x0e, 0x10], &len.to_be_bytes(),            // TTL 3600, RDLENGTH
            rdata,
        ]
        .concat();
        m
    }

    fn first(rtype: u16, rdata: &[u8]) -> crate::answer::Record {
        Answer::from_wire(&message(rtype, rdata))
            .unwrap()
            .answer
            .remove(0)
    }

    #[test]
    fn dnskey_with_an_unassigned_algorithm_keeps_its_number() {
        // Flags 257 (ZONE, SEP), protocol 3, algorithm 200 (unassigned), key 01 02 03.
        let r = first(48, &[0x01, 0x01, 3, 200, 1, 2, 3]);
        assert_eq!(r.data, "257 3 200 AQID");
        let f = serde_json::to_value(r.fields.unwrap()).unwrap();
        assert_eq!(f["kind"], "dnskey");
        assert_eq!(f["algorithm"]["id"], 200);
        assert_eq!(f["algorithm"]["name"], serde_json::Value::Null);
        // RFC 4034 Appendix B over 01 01 03 c8 01 02 03.
        let sum: u32 = 0x0101 + 0x03c8 + 0x0102 + 0x0300;
        assert_eq!(f["key_tag"], (sum + (sum >> 16)) & 0xffff);
    }

    #[test]
    fn nsec_shows_unknown_types_in_the_bitmap_as_typennn() {
        // Next name a.example., window 0 with A (1) and RRSIG (46), window 255 with TYPE65280.
        #[rustfmt::skip]
        let rdata = [
            &b"\x01a\x07example\x00"[..],
            &[0, 6, 0x40, 0, 0, 0, 0, 0x02],  // window 0, 6 octets: bit 1 (A), bit 46 (RRSIG)
            &[255, 1, 0x80],                  // window 255, 1 octet: bit 0 (65280)
        ]
        .concat();
        let r = first(47, &rdata);
        assert_eq!(r.data, "a.example. A RRSIG TYPE65280");
    }

    #[test]
    fn rrsig_times_are_utc_calendar_times() {
        #[rustfmt::skip]
        let rdata = [
            &[0, 1, 13, 2][..],                // covers A, ECDSAP256SHA256, 2 labels
            &3600u32.to_be_bytes(),
            &1_798_761_600u32.to_be_bytes(),   // 2027-01-01 00:00:00
            &1_796_083_199u32.to_be_bytes(),   // 2026-11-30 23:59:59
            &[0x12, 0x34],                     // key tag 4660
            b"\x07example\x00",
            &[0xde, 0xad, 0xbe, 0xef],
        ]
        .concat();
        let r = first(46, &rdata);
        assert_eq!(
            r.data,
            "A 13 2 3600 20270101000000 20261130235959 4660 example. 3q2+7w=="
        );
    }
}
