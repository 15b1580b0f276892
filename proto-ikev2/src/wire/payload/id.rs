//! Identification payloads IDi and IDr (RFC 7296 §3.5).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   ID Type     |                 RESERVED                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                   Identification Data                         ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use ietfwg_report::hex::Hex;
use serde_with::serde_as;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{ipv4, ipv6, is_zero_3, utf8, Reader, Result, Writer};
use crate::wire::registry::IdType;

/// Identification payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Id {
    /// ID Type.
    pub id_type: IdType,
    /// RESERVED (3 bytes), kept as received.
    #[serde(skip_serializing_if = "is_zero_3")]
    pub reserved: [u8; 3],
    /// Identification Data, raw (what is emitted).
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
    /// The data decoded by ID Type, for display; in JSON always an object (`{"null": {}}`).
    #[serde(serialize_with = "value_object")]
    pub value: IdValue,
}

impl std::fmt::Display for Id {
    /// The identity as a person reads it: the address, the name or the DN; `(ID_NULL)`; the
    /// data in lowercase hex when it is opaque or malformed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            IdValue::Ipv4Addr(a) => a.fmt(f),
            IdValue::Ipv6Addr(a) => a.fmt(f),
            IdValue::Fqdn(s)
            | IdValue::Rfc822Addr(s)
            | IdValue::DerAsn1Dn(s)
            | IdValue::FcName(s) => f.write_str(s),
            IdValue::Null => f.write_str("(ID_NULL)"),
            IdValue::Opaque | IdValue::Malformed { .. } => f.write_str(&hex::encode(&self.data)),
        }
    }
}

/// [`IdValue`] with its unit variants as objects (see [`super::unit_variant_object`]).
fn value_object<S: serde::Serializer>(v: &IdValue, s: S) -> std::result::Result<S::Ok, S::Error> {
    use serde::Serialize;
    match v {
        IdValue::Opaque => super::unit_variant_object("opaque", s),
        IdValue::Null => super::unit_variant_object("null", s),
        other => other.serialize(s),
    }
}

/// Identification Data decoded by ID Type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdValue {
    /// ID_IPV4_ADDR (1).
    Ipv4Addr(Ipv4Addr),
    /// ID_FQDN (2).
    Fqdn(String),
    /// ID_RFC822_ADDR (3).
    Rfc822Addr(String),
    /// ID_IPV6_ADDR (5).
    Ipv6Addr(Ipv6Addr),
    /// ID_DER_ASN1_DN (9), as an RFC 4514-style string.
    DerAsn1Dn(String),
    /// ID_DER_ASN1_GN (10), ID_KEY_ID (11) and other opaque types: see `data`.
    Opaque,
    /// ID_FC_NAME (12, RFC 4595), as text when it is UTF-8.
    FcName(String),
    /// ID_NULL (13, RFC 7619): no data.
    Null,
    /// The data doesn't fit its ID Type.
    Malformed {
        /// Why.
        reason: String,
    },
}

impl IdValue {
    /// Decodes `data` as ID Type `t`.
    pub fn decode(t: IdType, data: &[u8]) -> IdValue {
        let bad = |reason: String| IdValue::Malformed { reason };
        match t.0 {
            1 => ipv4(data).map_or_else(
                || {
                    bad(format!(
                        "ID_IPV4_ADDR of {} byte(s), expected 4",
                        data.len()
                    ))
                },
                IdValue::Ipv4Addr,
            ),
            5 => ipv6(data).map_or_else(
                || {
                    bad(format!(
                        "ID_IPV6_ADDR of {} byte(s), expected 16",
                        data.len()
                    ))
                },
                IdValue::Ipv6Addr,
            ),
            2 => utf8(data).map_or_else(|| bad("ID_FQDN is not UTF-8".into()), IdValue::Fqdn),
            3 => utf8(data).map_or_else(
                || bad("ID_RFC822_ADDR is not UTF-8".into()),
                IdValue::Rfc822Addr,
            ),
            9 => match der_dn(data) {
                Ok(s) => IdValue::DerAsn1Dn(s),
                Err(reason) => bad(reason),
            },
            12 => utf8(data).map_or(IdValue::Opaque, IdValue::FcName),
            13 if data.is_empty() => IdValue::Null,
            13 => bad(format!("ID_NULL with {} byte(s) of data", data.len())),
            _ => IdValue::Opaque,
        }
    }
}

/// A DER-encoded X.501 Name as a string ("C=US, O=Example, CN=gw"), or why it doesn't parse.
pub(crate) fn der_dn(data: &[u8]) -> std::result::Result<String, String> {
    use x509_parser::prelude::FromDer;
    match x509_parser::x509::X509Name::from_der(data) {
        Ok(([], name)) => Ok(name.to_string()),
        Ok((rest, _)) => Err(format!("{} byte(s) after the DER Name", rest.len())),
        Err(e) => Err(format!("not a DER Name: {e}")),
    }
}

impl Id {
    /// Parses the body (all of `r`).
    pub fn parse(r: &mut Reader<'_>) -> Result<Id> {
        let id_type = IdType(r.u8("ID Type")?);
        let reserved = r.array::<3>("RESERVED")?;
        let data = r.take_rest().to_vec();
        let value = IdValue::decode(id_type, &data);
        Ok(Id {
            id_type,
            reserved,
            data,
            value,
        })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.u8(self.id_type.0);
        w.bytes(&self.reserved);
        w.bytes(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_types_decode() {
        let body = [
            2, // ID Type ID_FQDN
            0, 0, 0, // RESERVED
            b'g', b'w', b'.', b'e', b'x', // "gw.ex"
        ];
        let id = Id::parse(&mut Reader::new(&body, 0)).unwrap();
        assert_eq!(id.value, IdValue::Fqdn("gw.ex".into()));
        let mut w = Writer::new();
        id.emit(&mut w);
        assert_eq!(w.buf, body);
        assert_eq!(
            IdValue::decode(IdType(1), &[192, 0, 2, 1]),
            IdValue::Ipv4Addr(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert!(matches!(
            IdValue::decode(IdType(1), &[192, 0, 2]),
            IdValue::Malformed { .. }
        ));
        let mut v6 = [0u8; 16];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[15] = 1;
        assert_eq!(
            IdValue::decode(IdType(5), &v6),
            IdValue::Ipv6Addr("2001::1".parse().unwrap())
        );
        assert_eq!(IdValue::decode(IdType(11), &[1, 2]), IdValue::Opaque);
        assert_eq!(IdValue::decode(IdType(13), &[]), IdValue::Null);
        // DER Name: SEQUENCE { SET { SEQUENCE { OID 2.5.4.3 (CN), UTF8String "gw" } } }
        let dn = [
            0x30, 0x0d, // SEQUENCE, 13
            0x31, 0x0b, // SET, 11
            0x30, 0x09, // SEQUENCE, 9
            0x06, 0x03, 0x55, 0x04, 0x03, // OID 2.5.4.3 commonName
            0x0c, 0x02, b'g', b'w', // UTF8String "gw"
        ];
        assert_eq!(
            IdValue::decode(IdType(9), &dn),
            IdValue::DerAsn1Dn("CN=gw".into())
        );
        assert!(matches!(
            IdValue::decode(IdType(9), &dn[..10]),
            IdValue::Malformed { .. }
        ));
    }
}
