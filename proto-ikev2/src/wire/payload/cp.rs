//! Configuration payload (RFC 7296 §3.15) and its attributes (§3.15.1).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C| RESERVED    |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   CFG Type    |                    RESERVED                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                   Configuration Attributes                    ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! Configuration Attribute:
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |R|         Attribute Type      |            Length             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                             Value                             ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use ietfwg_report::hex::Hex;
use serde_with::serde_as;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{ipv4, ipv6, is_zero_3, utf8, Error, Reader, Result, Writer};
use crate::wire::registry::{CfgAttrType, CfgType};

/// Configuration Attribute Type numbers decoded here (IANA "IKEv2 Configuration Payload
/// Attribute Types").
pub mod cfg_attr_type {
    use crate::wire::registry::CfgAttrType;
    /// INTERNAL_IP4_ADDRESS.
    pub const INTERNAL_IP4_ADDRESS: CfgAttrType = CfgAttrType(1);
    /// INTERNAL_IP4_NETMASK.
    pub const INTERNAL_IP4_NETMASK: CfgAttrType = CfgAttrType(2);
    /// INTERNAL_IP4_DNS.
    pub const INTERNAL_IP4_DNS: CfgAttrType = CfgAttrType(3);
    /// INTERNAL_IP4_NBNS.
    pub const INTERNAL_IP4_NBNS: CfgAttrType = CfgAttrType(4);
    /// INTERNAL_IP4_DHCP.
    pub const INTERNAL_IP4_DHCP: CfgAttrType = CfgAttrType(6);
    /// APPLICATION_VERSION.
    pub const APPLICATION_VERSION: CfgAttrType = CfgAttrType(7);
    /// INTERNAL_IP6_ADDRESS.
    pub const INTERNAL_IP6_ADDRESS: CfgAttrType = CfgAttrType(8);
    /// INTERNAL_IP6_DNS.
    pub const INTERNAL_IP6_DNS: CfgAttrType = CfgAttrType(10);
    /// INTERNAL_IP6_DHCP.
    pub const INTERNAL_IP6_DHCP: CfgAttrType = CfgAttrType(12);
    /// INTERNAL_IP4_SUBNET.
    pub const INTERNAL_IP4_SUBNET: CfgAttrType = CfgAttrType(13);
    /// SUPPORTED_ATTRIBUTES.
    pub const SUPPORTED_ATTRIBUTES: CfgAttrType = CfgAttrType(14);
    /// INTERNAL_IP6_SUBNET.
    pub const INTERNAL_IP6_SUBNET: CfgAttrType = CfgAttrType(15);
    /// INTERNAL_DNS_DOMAIN (RFC 8598).
    pub const INTERNAL_DNS_DOMAIN: CfgAttrType = CfgAttrType(25);
}

/// Configuration payload body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Cp {
    /// CFG Type.
    pub cfg_type: CfgType,
    /// RESERVED (3 bytes), kept as received.
    #[serde(skip_serializing_if = "is_zero_3")]
    pub reserved: [u8; 3],
    /// Configuration Attributes.
    pub attributes: Vec<CfgAttribute>,
}

/// One configuration attribute.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CfgAttribute {
    /// The R (reserved) bit, kept as received.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub r_bit: bool,
    /// Attribute Type (15 bits).
    pub attr_type: CfgAttrType,
    /// Value, raw (what is emitted; its length is Length).
    #[serde_as(as = "Hex")]
    pub value: Vec<u8>,
    /// The value decoded by type; in JSON always an object (`{"empty": {}}`).
    #[serde(serialize_with = "decoded_object")]
    pub decoded: CfgValue,
}

/// [`CfgValue`] with its unit variants as objects (see [`super::unit_variant_object`]).
fn decoded_object<S: serde::Serializer>(
    v: &CfgValue,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::Serialize;
    match v {
        CfgValue::Empty => super::unit_variant_object("empty", s),
        CfgValue::Raw => super::unit_variant_object("raw", s),
        other => other.serialize(s),
    }
}

/// A configuration attribute value decoded by type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CfgValue {
    /// Zero-length value (a request for the attribute).
    Empty,
    /// An IPv4 address (or netmask).
    Ipv4(Ipv4Addr),
    /// An IPv6 address, with its prefix length for INTERNAL_IP6_ADDRESS / _SUBNET.
    Ipv6 {
        /// The address.
        address: Ipv6Addr,
        /// Prefix length, when the type carries one.
        prefix_len: Option<u8>,
    },
    /// INTERNAL_IP4_SUBNET: address and netmask.
    Ipv4Subnet {
        /// Address.
        address: Ipv4Addr,
        /// Netmask.
        netmask: Ipv4Addr,
    },
    /// Text (APPLICATION_VERSION, INTERNAL_DNS_DOMAIN).
    Text(String),
    /// SUPPORTED_ATTRIBUTES: attribute types.
    AttributeTypes(Vec<CfgAttrType>),
    /// Not decoded: see `value`.
    Raw,
    /// The value doesn't fit the type's layout.
    Malformed {
        /// Why.
        reason: String,
    },
}

impl CfgValue {
    /// Decodes a value of attribute type `t`.
    pub fn decode(t: CfgAttrType, v: &[u8]) -> CfgValue {
        if v.is_empty() {
            return CfgValue::Empty;
        }
        let bad = |what: &str| CfgValue::Malformed {
            reason: format!("{} byte(s), expected {what}", v.len()),
        };
        match t.0 {
            1 | 2 | 3 | 4 | 6 | 20 => {
                ipv4(v).map_or_else(|| bad("an IPv4 address"), CfgValue::Ipv4)
            }
            10 | 12 | 21 => ipv6(v).map_or_else(
                || bad("an IPv6 address"),
                |address| CfgValue::Ipv6 {
                    address,
                    prefix_len: None,
                },
            ),
            8 | 15 | 18 => match v.split_last() {
                Some((&p, a)) if a.len() == 16 => ipv6(a).map_or_else(
                    || bad("an IPv6 address and a prefix length"),
                    |address| CfgValue::Ipv6 {
                        address,
                        prefix_len: Some(p),
                    },
                ),
                _ => bad("an IPv6 address and a prefix length (17)"),
            },
            13 => match (v.get(..4).and_then(ipv4), v.get(4..).and_then(ipv4)) {
                (Some(address), Some(netmask)) => CfgValue::Ipv4Subnet { address, netmask },
                _ => bad("an IPv4 address and netmask (8)"),
            },
            7 | 25 => utf8(v).map_or_else(|| bad("UTF-8 text"), CfgValue::Text),
            14 if v.len() % 2 == 0 => CfgValue::AttributeTypes(
                v.chunks_exact(2)
                    .map(|c| CfgAttrType(u16::from_be_bytes([c[0], c[1]]) & 0x7fff))
                    .collect(),
            ),
            14 => bad("a list of 2-byte attribute types"),
            _ => CfgValue::Raw,
        }
    }
}

impl Cp {
    /// Parses the body (all of `r`).
    pub fn parse(r: &mut Reader<'_>) -> Result<Cp> {
        let cfg_type = CfgType(r.u8("CFG Type")?);
        let reserved = r.array::<3>("RESERVED")?;
        let mut attributes = Vec::new();
        while !r.is_empty() {
            let k = attributes.len() + 1;
            let a = (|| {
                let t = r.u16("Attribute Type")?;
                let len_at = r.offset();
                let len = usize::from(r.u16("Length")?);
                if len > r.remaining() {
                    return Err(Error::invalid(
                        "Length",
                        len_at,
                        format!(
                            "{len} runs {} byte(s) past the end of the payload",
                            len - r.remaining()
                        ),
                    ));
                }
                let value = r.take(len, "Value")?.to_vec();
                let attr_type = CfgAttrType(t & 0x7fff);
                let decoded = CfgValue::decode(attr_type, &value);
                Ok(CfgAttribute {
                    r_bit: t & 0x8000 != 0,
                    attr_type,
                    value,
                    decoded,
                })
            })()
            .map_err(|e: Error| e.within(format!("attribute #{k}")))?;
            attributes.push(a);
        }
        Ok(Cp {
            cfg_type,
            reserved,
            attributes,
        })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.u8(self.cfg_type.0);
        w.bytes(&self.reserved);
        for a in &self.attributes {
            w.u16(if a.r_bit { 0x8000 } else { 0 } | (a.attr_type.0 & 0x7fff));
            w.u16(u16::try_from(a.value.len()).unwrap_or(u16::MAX));
            w.bytes(&a.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp_reply_roundtrip() {
        let body = [
            2, 0, 0, 0, // CFG_REPLY, RESERVED
            0, 1, 0, 4, 10, 9, 0, 2, // INTERNAL_IP4_ADDRESS 10.9.0.2
            0, 3, 0, 4, 9, 9, 9, 9, // INTERNAL_IP4_DNS 9.9.9.9
            0, 8, 0, 0, // INTERNAL_IP6_ADDRESS, empty (request form)
            0, 13, 0, 8, 10, 0, 0, 0, 255, 0, 0, 0, // INTERNAL_IP4_SUBNET 10.0.0.0/255.0.0.0
            0, 7, 0, 2, b'v', b'1', // APPLICATION_VERSION "v1"
            0x40, 0, 0, 1, 0xee, // private type 16384, raw
        ];
        let cp = Cp::parse(&mut Reader::new(&body, 0)).unwrap();
        assert_eq!(cp.attributes.len(), 6);
        assert_eq!(
            cp.attributes[0].decoded,
            CfgValue::Ipv4(Ipv4Addr::new(10, 9, 0, 2))
        );
        assert_eq!(cp.attributes[2].decoded, CfgValue::Empty);
        assert_eq!(
            cp.attributes[3].decoded,
            CfgValue::Ipv4Subnet {
                address: Ipv4Addr::new(10, 0, 0, 0),
                netmask: Ipv4Addr::new(255, 0, 0, 0)
            }
        );
        assert_eq!(cp.attributes[4].decoded, CfgValue::Text("v1".into()));
        assert_eq!(cp.attributes[5].decoded, CfgValue::Raw);
        let mut w = Writer::new();
        cp.emit(&mut w);
        assert_eq!(w.buf, body);
        // Attribute length past the payload.
        let e = Cp::parse(&mut Reader::new(&body[..10], 100)).unwrap_err();
        assert_eq!((e.field, e.offset), ("Length", 106));
        assert_eq!(e.path, vec!["attribute #1".to_string()]);
        // IPv6 address with prefix.
        let mut v = vec![0x20, 0x01, 0x0d, 0xb8];
        v.extend([0; 12]);
        v.push(64);
        assert_eq!(
            CfgValue::decode(CfgAttrType(8), &v),
            CfgValue::Ipv6 {
                address: "2001:db8::".parse().unwrap(),
                prefix_len: Some(64)
            }
        );
    }
}
