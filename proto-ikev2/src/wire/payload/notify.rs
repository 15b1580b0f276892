//! Notify payload (RFC 7296 §3.10) and the notification data layouts defined for it.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Protocol ID  |   SPI Size    |      Notify Message Type      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                Security Parameter Index (SPI)                 ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                       Notification Data                       ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The Notification Data is always kept raw (it is what is emitted); [`NotifyData`] is its
//! decoding for the types whose layout an RFC defines.

use ietfwg_report::hex::Hex;
use serde_with::serde_as;
use smallvec::SmallVec;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{ipv4, ipv6, utf8, Error, Reader, Result, Writer};
use crate::wire::registry::{GatewayIdType, HashAlgorithm, KeId, NotifyType, PrfId, ProtocolId};

/// Notify Message Type numbers this module decodes (IANA "IKEv2 Notify Message Types").
pub mod notify_type {
    use crate::wire::registry::NotifyType;
    /// UNSUPPORTED_CRITICAL_PAYLOAD (data: the payload type, 1 byte).
    pub const UNSUPPORTED_CRITICAL_PAYLOAD: NotifyType = NotifyType(1);
    /// INVALID_SYNTAX.
    pub const INVALID_SYNTAX: NotifyType = NotifyType(7);
    /// INVALID_MESSAGE_ID (data: the Message ID, 4 bytes).
    pub const INVALID_MESSAGE_ID: NotifyType = NotifyType(9);
    /// INVALID_SPI (data: the SPI).
    pub const INVALID_SPI: NotifyType = NotifyType(11);
    /// NO_PROPOSAL_CHOSEN.
    pub const NO_PROPOSAL_CHOSEN: NotifyType = NotifyType(14);
    /// INVALID_KE_PAYLOAD (data: the accepted group, 2 bytes).
    pub const INVALID_KE_PAYLOAD: NotifyType = NotifyType(17);
    /// AUTHENTICATION_FAILED.
    pub const AUTHENTICATION_FAILED: NotifyType = NotifyType(24);
    /// INITIAL_CONTACT.
    pub const INITIAL_CONTACT: NotifyType = NotifyType(16384);
    /// SET_WINDOW_SIZE (data: window size, 4 bytes).
    pub const SET_WINDOW_SIZE: NotifyType = NotifyType(16385);
    /// IPCOMP_SUPPORTED (data: CPI, 2 bytes; Transform ID, 1 byte).
    pub const IPCOMP_SUPPORTED: NotifyType = NotifyType(16387);
    /// NAT_DETECTION_SOURCE_IP (data: SHA-1 hash).
    pub const NAT_DETECTION_SOURCE_IP: NotifyType = NotifyType(16388);
    /// NAT_DETECTION_DESTINATION_IP (data: SHA-1 hash).
    pub const NAT_DETECTION_DESTINATION_IP: NotifyType = NotifyType(16389);
    /// COOKIE (data: 1–64 bytes).
    pub const COOKIE: NotifyType = NotifyType(16390);
    /// USE_TRANSPORT_MODE.
    pub const USE_TRANSPORT_MODE: NotifyType = NotifyType(16391);
    /// REKEY_SA (the SPI names the SA being rekeyed).
    pub const REKEY_SA: NotifyType = NotifyType(16393);
    /// ESP_TFC_PADDING_NOT_SUPPORTED.
    pub const ESP_TFC_PADDING_NOT_SUPPORTED: NotifyType = NotifyType(16394);
    /// NON_FIRST_FRAGMENTS_ALSO.
    pub const NON_FIRST_FRAGMENTS_ALSO: NotifyType = NotifyType(16395);
    /// MOBIKE_SUPPORTED (RFC 4555).
    pub const MOBIKE_SUPPORTED: NotifyType = NotifyType(16396);
    /// ADDITIONAL_IP4_ADDRESS (RFC 4555).
    pub const ADDITIONAL_IP4_ADDRESS: NotifyType = NotifyType(16397);
    /// ADDITIONAL_IP6_ADDRESS (RFC 4555).
    pub const ADDITIONAL_IP6_ADDRESS: NotifyType = NotifyType(16398);
    /// AUTH_LIFETIME (RFC 4478; data: seconds, 4 bytes).
    pub const AUTH_LIFETIME: NotifyType = NotifyType(16403);
    /// MULTIPLE_AUTH_SUPPORTED (RFC 4739).
    pub const MULTIPLE_AUTH_SUPPORTED: NotifyType = NotifyType(16404);
    /// REDIRECT_SUPPORTED (RFC 5685).
    pub const REDIRECT_SUPPORTED: NotifyType = NotifyType(16406);
    /// REDIRECT (RFC 5685).
    pub const REDIRECT: NotifyType = NotifyType(16407);
    /// REDIRECTED_FROM (RFC 5685).
    pub const REDIRECTED_FROM: NotifyType = NotifyType(16408);
    /// CHILDLESS_IKEV2_SUPPORTED (RFC 6023).
    pub const CHILDLESS_IKEV2_SUPPORTED: NotifyType = NotifyType(16418);
    /// IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383).
    pub const IKEV2_FRAGMENTATION_SUPPORTED: NotifyType = NotifyType(16430);
    /// SIGNATURE_HASH_ALGORITHMS (RFC 7427; data: 2-byte hash algorithm IDs).
    pub const SIGNATURE_HASH_ALGORITHMS: NotifyType = NotifyType(16431);
    /// PUZZLE (RFC 8019; data: PRF, 2 bytes; Difficulty, 1 byte).
    pub const PUZZLE: NotifyType = NotifyType(16434);
    /// USE_PPK (RFC 8784).
    pub const USE_PPK: NotifyType = NotifyType(16435);
    /// PPK_IDENTITY (RFC 8784; data: PPK_ID Type, 1 byte; PPK_ID).
    pub const PPK_IDENTITY: NotifyType = NotifyType(16436);
    /// NO_PPK_AUTH (RFC 8784; data: authentication data computed without the PPK).
    pub const NO_PPK_AUTH: NotifyType = NotifyType(16437);
    /// INTERMEDIATE_EXCHANGE_SUPPORTED (RFC 9242).
    pub const INTERMEDIATE_EXCHANGE_SUPPORTED: NotifyType = NotifyType(16438);
    /// ADDITIONAL_KEY_EXCHANGE (RFC 9370; data: Link, opaque).
    pub const ADDITIONAL_KEY_EXCHANGE: NotifyType = NotifyType(16441);
}

/// Notify payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Notify {
    /// Protocol ID (0 when the notification is about no particular SA).
    pub protocol_id: ProtocolId,
    /// Notify Message Type.
    pub notify_type: NotifyType,
    /// SPI (its length is SPI Size).
    #[serde_as(as = "Hex")]
    pub spi: Vec<u8>,
    /// Notification Data, raw (what is emitted); held inline up to 24 bytes (a NAT_DETECTION
    /// hash is 20), so most notifications need no allocation.
    #[serde_as(as = "Hex")]
    pub data: SmallVec<[u8; 24]>,
    /// Notification Data decoded by type; in JSON always an object (`{"empty": {}}`).
    #[serde(serialize_with = "decoded_object")]
    pub decoded: NotifyData,
}

/// [`NotifyData`] with its unit variants as objects (see [`super::unit_variant_object`]).
fn decoded_object<S: serde::Serializer>(
    d: &NotifyData,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::Serialize;
    match d {
        NotifyData::Empty => super::unit_variant_object("empty", s),
        NotifyData::Raw => super::unit_variant_object("raw", s),
        other => other.serialize(s),
    }
}

/// Notification Data decoded by Notify Message Type.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyData {
    /// No data.
    Empty,
    /// Data whose layout is not decoded (unknown or opaque types): see `data`.
    Raw,
    /// NAT_DETECTION_SOURCE_IP / NAT_DETECTION_DESTINATION_IP: SHA-1(SPIs | IP | port).
    NatDetectionHash(#[serde_as(as = "Hex")] [u8; 20]),
    /// COOKIE.
    Cookie(#[serde_as(as = "Hex")] Vec<u8>),
    /// INVALID_KE_PAYLOAD: the group the responder wants.
    InvalidKePayload {
        /// Accepted DH group.
        group: KeId,
    },
    /// UNSUPPORTED_CRITICAL_PAYLOAD: the payload type that was not understood.
    UnsupportedCriticalPayload {
        /// The payload type number.
        payload_type: u8,
    },
    /// INVALID_MESSAGE_ID: the Message ID received.
    InvalidMessageId {
        /// The Message ID.
        message_id: u32,
    },
    /// SIGNATURE_HASH_ALGORITHMS: the hash algorithms supported.
    SignatureHashAlgorithms(SmallVec<[HashAlgorithm; 8]>),
    /// REDIRECT (RFC 5685 §8, with the Nonce of IKE_SA_INIT when present) or
    /// REDIRECTED_FROM (no nonce).
    Redirect {
        /// GW Identity Type.
        gateway_id_type: GatewayIdType,
        /// GW Identity Len as received.
        gateway_id_len: u8,
        /// New Responder GW Identity (boxed: rare, and it would double the size of every
        /// [`NotifyData`]).
        gateway_id: Box<GatewayId>,
        /// Nonce Data (REDIRECT in IKE_SA_INIT), absent otherwise.
        #[serde_as(as = "Option<Hex>")]
        nonce: Option<Vec<u8>>,
    },
    /// SET_WINDOW_SIZE.
    SetWindowSize(u32),
    /// AUTH_LIFETIME, seconds.
    AuthLifetime(u32),
    /// IPCOMP_SUPPORTED.
    IpcompSupported {
        /// Compression Parameter Index.
        cpi: u16,
        /// IPComp Transform ID.
        transform_id: u8,
    },
    /// ADDITIONAL_IP4_ADDRESS / ADDITIONAL_IP6_ADDRESS.
    AdditionalAddress(IpAddr),
    /// PUZZLE (RFC 8019 §8.1).
    Puzzle {
        /// PRF to use.
        prf: PrfId,
        /// Difficulty, in zero bits.
        difficulty: u8,
    },
    /// PPK_IDENTITY (RFC 8784 §3).
    PpkIdentity {
        /// PPK_ID Type: 1 = PPK_ID_OPAQUE, 2 = PPK_ID_FIXED.
        ppk_id_type: u8,
        /// PPK_ID.
        #[serde_as(as = "Hex")]
        ppk_id: Vec<u8>,
    },
    /// NO_PPK_AUTH: authentication data computed without the PPK.
    NoPpkAuth(#[serde_as(as = "Hex")] Vec<u8>),
    /// N(ADDITIONAL_KEY_EXCHANGE) (RFC 9370): the Link data.
    AdditionalKeyExchangeLink(#[serde_as(as = "Hex")] Vec<u8>),
    /// The data doesn't fit the type's layout.
    Malformed {
        /// Why.
        reason: String,
    },
}

/// A REDIRECT gateway identity (RFC 5685 §8).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayId {
    /// Type 1.
    Ipv4(Ipv4Addr),
    /// Type 2.
    Ipv6(Ipv6Addr),
    /// Type 3.
    Fqdn(String),
    /// Other types, or a malformed identity: raw.
    Raw(#[serde_as(as = "Hex")] Vec<u8>),
}

impl std::fmt::Display for GatewayId {
    /// The address or the name; an identity of another type in lowercase hex.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GatewayId::Ipv4(a) => a.fmt(f),
            GatewayId::Ipv6(a) => a.fmt(f),
            GatewayId::Fqdn(s) => f.write_str(s),
            GatewayId::Raw(b) => f.write_str(&hex::encode(b)),
        }
    }
}

/// Types defined without Notification Data.
fn no_data(t: u16) -> bool {
    matches!(
        t,
        4 | 7 | 14 | 24 | 34..=38 | 41..=44 | 46
            | 16384 | 16386 | 16391..=16396 | 16399 | 16400 | 16404..=16406 | 16410
            | 16415 | 16417 | 16418 | 16420 | 16421 | 16430 | 16432 | 16435 | 16438..=16440
            | 16442
    )
}

impl NotifyData {
    /// Decodes `data` for Notify Message Type `t`.
    pub fn decode(t: NotifyType, data: &[u8]) -> NotifyData {
        let bad = |reason: String| NotifyData::Malformed { reason };
        let fixed = |n: usize| -> std::result::Result<(), NotifyData> {
            if data.len() == n {
                Ok(())
            } else {
                Err(NotifyData::Malformed {
                    reason: format!("{} byte(s) of data, expected {n}", data.len()),
                })
            }
        };
        let t = t.0;
        if no_data(t) {
            return if data.is_empty() {
                NotifyData::Empty
            } else {
                bad(format!(
                    "{} byte(s) of data for a type that carries none",
                    data.len()
                ))
            };
        }
        let r = match t {
            1 => fixed(1).map(|()| NotifyData::UnsupportedCriticalPayload {
                payload_type: data.first().copied().unwrap_or_default(),
            }),
            9 => fixed(4).map(|()| NotifyData::InvalidMessageId {
                message_id: be32(data),
            }),
            17 => fixed(2).map(|()| NotifyData::InvalidKePayload {
                group: KeId(be16(data)),
            }),
            16385 => fixed(4).map(|()| NotifyData::SetWindowSize(be32(data))),
            16403 => fixed(4).map(|()| NotifyData::AuthLifetime(be32(data))),
            16387 => fixed(3).map(|()| NotifyData::IpcompSupported {
                cpi: be16(data),
                transform_id: data.get(2).copied().unwrap_or_default(),
            }),
            16388 | 16389 => fixed(20).map(|()| {
                NotifyData::NatDetectionHash(<[u8; 20]>::try_from(data).unwrap_or_default())
            }),
            16390 if (1..=64).contains(&data.len()) => Ok(NotifyData::Cookie(data.to_vec())),
            16390 => Err(bad(format!(
                "COOKIE of {} byte(s), expected 1 to 64",
                data.len()
            ))),
            16397 => ipv4(data)
                .map(|a| NotifyData::AdditionalAddress(IpAddr::V4(a)))
                .ok_or_else(|| bad(format!("{} byte(s), expected an IPv4 address", data.len()))),
            16398 => ipv6(data)
                .map(|a| NotifyData::AdditionalAddress(IpAddr::V6(a)))
                .ok_or_else(|| bad(format!("{} byte(s), expected an IPv6 address", data.len()))),
            16407 | 16408 => decode_redirect(data, t == 16407),
            16431 if data.len() % 2 == 0 => Ok(NotifyData::SignatureHashAlgorithms(
                data.chunks_exact(2)
                    .map(|c| HashAlgorithm(be16(c)))
                    .collect(),
            )),
            16431 => Err(bad(format!(
                "{} byte(s), not a list of 2-byte hash algorithm IDs",
                data.len()
            ))),
            16434 => fixed(3).map(|()| NotifyData::Puzzle {
                prf: PrfId(be16(data)),
                difficulty: data.get(2).copied().unwrap_or_default(),
            }),
            16436 => match data.split_first() {
                Some((&ppk_id_type, id)) => Ok(NotifyData::PpkIdentity {
                    ppk_id_type,
                    ppk_id: id.to_vec(),
                }),
                None => Err(bad("PPK_IDENTITY without a PPK_ID Type".into())),
            },
            16437 => Ok(NotifyData::NoPpkAuth(data.to_vec())),
            16441 => Ok(NotifyData::AdditionalKeyExchangeLink(data.to_vec())),
            _ if data.is_empty() => Ok(NotifyData::Empty),
            _ => Ok(NotifyData::Raw),
        };
        r.unwrap_or_else(|e| e)
    }
}

/// Big-endian u16 from the first 2 bytes (0 when shorter; callers check lengths first).
fn be16(d: &[u8]) -> u16 {
    match d {
        [a, b, ..] => u16::from_be_bytes([*a, *b]),
        _ => 0,
    }
}

/// Big-endian u32 from the first 4 bytes (0 when shorter; callers check lengths first).
fn be32(d: &[u8]) -> u32 {
    match d {
        [a, b, c, e, ..] => u32::from_be_bytes([*a, *b, *c, *e]),
        _ => 0,
    }
}

/// RFC 5685 §8: GW Identity Type (1), GW Identity Len (1), identity, then (REDIRECT only) the
/// Nonce Data.
fn decode_redirect(
    data: &[u8],
    nonce_allowed: bool,
) -> std::result::Result<NotifyData, NotifyData> {
    let bad = |reason: String| NotifyData::Malformed { reason };
    let [ty, len, rest @ ..] = data else {
        return Err(bad(format!(
            "{} byte(s), less than the 2-byte GW Identity header",
            data.len()
        )));
    };
    let (id, nonce) = rest.split_at_checked(usize::from(*len)).ok_or_else(|| {
        bad(format!(
            "GW Identity Len {len} runs past the {} byte(s) left",
            rest.len()
        ))
    })?;
    if !nonce.is_empty() && !nonce_allowed {
        return Err(bad(format!(
            "{} byte(s) after the GW Identity",
            nonce.len()
        )));
    }
    let gateway_id = match ty {
        1 => ipv4(id).map(GatewayId::Ipv4),
        2 => ipv6(id).map(GatewayId::Ipv6),
        3 => utf8(id).map(GatewayId::Fqdn),
        _ => None,
    }
    .unwrap_or_else(|| GatewayId::Raw(id.to_vec()));
    Ok(NotifyData::Redirect {
        gateway_id_type: GatewayIdType(*ty),
        gateway_id_len: *len,
        gateway_id: Box::new(gateway_id),
        nonce: (!nonce.is_empty()).then(|| nonce.to_vec()),
    })
}

impl Notify {
    /// Parses the body (all of `r`).
    #[inline]
    pub fn parse(r: &mut Reader<'_>) -> Result<Notify> {
        let size_at = r.offset() + 1;
        // The 4 octets at once when they are there; field by field otherwise (the error then
        // names the field that is cut short).
        let (protocol_id, spi_size, notify_type) = match r.peek::<4>() {
            Some(&[p, s, t0, t1]) => {
                r.skip(4);
                (p, s, u16::from_be_bytes([t0, t1]))
            }
            None => (
                r.u8("Protocol ID")?,
                r.u8("SPI Size")?,
                r.u16("Notify Message Type")?,
            ),
        };
        let (protocol_id, notify_type) = (ProtocolId(protocol_id), NotifyType(notify_type));
        if usize::from(spi_size) > r.remaining() {
            return Err(Error::invalid(
                "SPI Size",
                size_at,
                format!(
                    "{spi_size} runs past the end of the payload ({} byte(s) left)",
                    r.remaining()
                ),
            ));
        }
        let spi = r.take(usize::from(spi_size), "SPI")?.to_vec();
        let data = SmallVec::from_slice(r.take_rest());
        let decoded = NotifyData::decode(notify_type, &data);
        Ok(Notify {
            protocol_id,
            notify_type,
            spi,
            data,
            decoded,
        })
    }

    /// Writes the body (SPI Size from the SPI).
    pub fn emit(&self, w: &mut Writer) {
        w.u8(self.protocol_id.0);
        w.u8(u8::try_from(self.spi.len()).unwrap_or(u8::MAX));
        w.u16(self.notify_type.0);
        w.bytes(&self.spi);
        w.bytes(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(body: &[u8]) -> Notify {
        let n = Notify::parse(&mut Reader::new(body, 0)).unwrap();
        let mut w = Writer::new();
        n.emit(&mut w);
        assert_eq!(w.buf, body);
        n
    }

    #[test]
    fn invalid_ke_payload() {
        let n = roundtrip(&[
            0, // Protocol ID: none
            0, // SPI Size 0
            0, 17, // INVALID_KE_PAYLOAD
            0, 19, // accepted group 19 (256-bit random ECP)
        ]);
        assert_eq!(n.decoded, NotifyData::InvalidKePayload { group: KeId(19) });
        let n = roundtrip(&[0, 0, 0, 17, 0]); // 1 byte of data: malformed, raw kept
        assert!(matches!(n.decoded, NotifyData::Malformed { .. }));
    }

    #[test]
    fn rekey_sa_with_spi() {
        let n = roundtrip(&[
            3, // Protocol ID ESP
            4, // SPI Size 4
            0x40, 0x09, // REKEY_SA (16393)
            0xca, 0xfe, 0x00, 0x01, // SPI of the Child SA being rekeyed
        ]);
        assert_eq!(n.spi, vec![0xca, 0xfe, 0, 1]);
        assert_eq!(n.decoded, NotifyData::Empty);
        // SPI Size past the end.
        let e = Notify::parse(&mut Reader::new(&[3, 4, 0x40, 0x09, 1], 50)).unwrap_err();
        assert_eq!((e.field, e.offset), ("SPI Size", 51));
    }

    #[test]
    fn signature_hash_algorithms_and_nat() {
        let n = roundtrip(&[
            0, 0, // no protocol, SPI Size 0
            0x40, 0x2f, // SIGNATURE_HASH_ALGORITHMS (16431)
            0, 2, 0, 3, 0, 4, // SHA2-256, SHA2-384, SHA2-512
        ]);
        assert_eq!(
            n.decoded,
            NotifyData::SignatureHashAlgorithms(smallvec::smallvec![
                HashAlgorithm(2),
                HashAlgorithm(3),
                HashAlgorithm(4)
            ])
        );
        let mut b = vec![0, 0, 0x40, 0x04]; // NAT_DETECTION_SOURCE_IP (16388)
        b.extend([0x5a; 20]); // SHA-1 hash
        assert_eq!(
            roundtrip(&b).decoded,
            NotifyData::NatDetectionHash([0x5a; 20])
        );
        // IKEV2_FRAGMENTATION_SUPPORTED (16430) with no data.
        assert_eq!(roundtrip(&[0, 0, 0x40, 0x2e]).decoded, NotifyData::Empty);
        // ... and with data: malformed.
        assert!(matches!(
            roundtrip(&[0, 0, 0x40, 0x2e, 1]).decoded,
            NotifyData::Malformed { .. }
        ));
        // COOKIE (16390).
        assert_eq!(
            roundtrip(&[0, 0, 0x40, 0x06, 1, 2, 3]).decoded,
            NotifyData::Cookie(vec![1, 2, 3])
        );
        // Unknown status type 40000 with data: raw.
        assert_eq!(roundtrip(&[0, 0, 0x9c, 0x40, 7]).decoded, NotifyData::Raw);
    }

    #[test]
    fn redirect_and_ppk() {
        let n = roundtrip(&[
            0, 0, // no protocol, SPI Size 0
            0x40, 0x17, // REDIRECT (16407)
            1,    // GW Identity Type: IPv4
            4,    // GW Identity Len 4
            192, 0, 2, 7, // 192.0.2.7
            0xaa, 0xbb, 0xcc, // Nonce Data (shortened)
        ]);
        assert_eq!(
            n.decoded,
            NotifyData::Redirect {
                gateway_id_type: GatewayIdType(1),
                gateway_id_len: 4,
                gateway_id: Box::new(GatewayId::Ipv4(Ipv4Addr::new(192, 0, 2, 7))),
                nonce: Some(vec![0xaa, 0xbb, 0xcc]),
            }
        );
        let n = roundtrip(&[
            0, 0, 0x40, 0x18, // REDIRECTED_FROM (16408)
            3, 5, b'g', b'w', b'.', b'e', b'x', // FQDN "gw.ex"
        ]);
        assert!(
            matches!(n.decoded, NotifyData::Redirect { ref gateway_id, nonce: None, .. } if matches!(**gateway_id, GatewayId::Fqdn(ref s) if s == "gw.ex"))
        );
        // REDIRECTED_FROM with trailing bytes, identity length too long.
        assert!(matches!(
            roundtrip(&[0, 0, 0x40, 0x18, 1, 4, 1, 2, 3, 4, 5]).decoded,
            NotifyData::Malformed { .. }
        ));
        assert!(matches!(
            roundtrip(&[0, 0, 0x40, 0x17, 1, 9, 1]).decoded,
            NotifyData::Malformed { .. }
        ));
        // PPK_IDENTITY (16436): PPK_ID_FIXED, id 0x0102.
        assert_eq!(
            roundtrip(&[0, 0, 0x40, 0x34, 2, 1, 2]).decoded,
            NotifyData::PpkIdentity {
                ppk_id_type: 2,
                ppk_id: vec![1, 2]
            }
        );
        assert_eq!(roundtrip(&[0, 0, 0x40, 0x33]).decoded, NotifyData::Empty); // USE_PPK
        assert_eq!(
            roundtrip(&[0, 0, 0x40, 0x35, 9, 9]).decoded,
            NotifyData::NoPpkAuth(vec![9, 9])
        );
        // PUZZLE (16434): PRF_HMAC_SHA2_256, difficulty 20.
        assert_eq!(
            roundtrip(&[0, 0, 0x40, 0x32, 0, 5, 20]).decoded,
            NotifyData::Puzzle {
                prf: PrfId(5),
                difficulty: 20
            }
        );
        // ADDITIONAL_KEY_EXCHANGE (16441): link data.
        assert_eq!(
            roundtrip(&[0, 0, 0x40, 0x39, 0xde, 0xad]).decoded,
            NotifyData::AdditionalKeyExchangeLink(vec![0xde, 0xad])
        );
    }
}
