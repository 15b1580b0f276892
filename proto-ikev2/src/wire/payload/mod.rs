//! IKEv2 payloads (RFC 7296 §3.2–§3.16, RFC 7383 §2.5, RFC 8019 §8.2).
//!
//! Every payload starts with the generic payload header (§3.2):
//!
//! ```text
//!                      1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! "Next Payload" is not stored in [`Payload`]: it is the type of the following payload in the
//! message (0 after the last one), except in SK and SKF where it names the first payload inside
//! the encrypted data ([`Sk::next_payload`], [`Skf::next_payload`]). Payload lengths, and every
//! other length or count that is implied by the structure, are recomputed when emitting.
//!
//! Parsing is strict on structure (lengths, counts, Last Substruc, SPI sizes, nothing after
//! SK/SKF) and tolerant on values: an unassigned code point is kept as a number, and data that
//! doesn't fit its defined layout (an ID_IPV4_ADDR of 5 bytes, a COOKIE notify with a bad
//! length…) keeps its raw bytes with a `malformed` decoding instead of failing the message.

pub mod auth;
pub mod cert;
pub mod cp;
pub mod delete;
pub mod eap;
pub mod id;
pub mod ke;
pub mod nonce;
pub mod notify;
pub mod puzzle;
pub mod sa;
pub mod sk;
pub mod ts;
pub mod vendor;

pub use auth::{Auth, DigitalSignature, SignatureInfo};
pub use cert::{CaHash, Cert, CertReq, HashAndUrl, X509Summary};
pub use cp::{cfg_attr_type, CfgAttribute, CfgValue, Cp};
pub use delete::{Delete, Spi};
pub use eap::Eap;
pub use id::{Id, IdValue};
pub use ke::Ke;
pub use nonce::Nonce;
pub use notify::{notify_type, GatewayId, Notify, NotifyData};
pub use puzzle::PuzzleSolution;
pub use sa::{
    AttrValue, NameSink, Proposal, Sa, Transform, TransformAttr, TransformId, TransformsByType,
};
pub use sk::{Sk, Skf};
pub use ts::{TrafficSelector, Ts};
pub use vendor::VendorId;

use crate::error::{Error, Result};
use crate::wire::reader::{Reader, Writer};
use crate::wire::registry::PayloadType;
use ietfwg_report::hex::Hex;
use serde_with::serde_as;

/// Payload type numbers (IANA "IKEv2 Payload Types"), usable before the registry has names.
pub mod payload_type {
    use crate::wire::registry::PayloadType;
    /// No Next Payload.
    pub const NONE: PayloadType = PayloadType(0);
    /// Security Association.
    pub const SA: PayloadType = PayloadType(33);
    /// Key Exchange.
    pub const KE: PayloadType = PayloadType(34);
    /// Identification - Initiator.
    pub const IDI: PayloadType = PayloadType(35);
    /// Identification - Responder.
    pub const IDR: PayloadType = PayloadType(36);
    /// Certificate.
    pub const CERT: PayloadType = PayloadType(37);
    /// Certificate Request.
    pub const CERTREQ: PayloadType = PayloadType(38);
    /// Authentication.
    pub const AUTH: PayloadType = PayloadType(39);
    /// Nonce.
    pub const NONCE: PayloadType = PayloadType(40);
    /// Notify.
    pub const N: PayloadType = PayloadType(41);
    /// Delete.
    pub const D: PayloadType = PayloadType(42);
    /// Vendor ID.
    pub const V: PayloadType = PayloadType(43);
    /// Traffic Selector - Initiator.
    pub const TSI: PayloadType = PayloadType(44);
    /// Traffic Selector - Responder.
    pub const TSR: PayloadType = PayloadType(45);
    /// Encrypted and Authenticated.
    pub const SK: PayloadType = PayloadType(46);
    /// Configuration.
    pub const CP: PayloadType = PayloadType(47);
    /// Extensible Authentication.
    pub const EAP: PayloadType = PayloadType(48);
    /// Encrypted and Authenticated Fragment (RFC 7383).
    pub const SKF: PayloadType = PayloadType(53);
    /// Puzzle Solution (RFC 8019).
    pub const PS: PayloadType = PayloadType(54);
}

/// One payload: the generic header's fields and the typed body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Payload {
    /// The payload's type (named by the previous payload's, or the header's, Next Payload).
    pub payload_type: PayloadType,
    /// C (Critical) bit.
    pub critical: bool,
    /// The 7 RESERVED bits after C, kept as received (should be 0).
    #[serde(skip_serializing_if = "is_zero_u8")]
    pub reserved: u8,
    /// Absolute offset of the generic payload header in the message (0 for built payloads).
    pub offset: usize,
    /// Payload Length as received, generic header included (recomputed on emit).
    pub length: u16,
    /// The body after the generic header.
    pub body: PayloadBody,
}

/// The body of a payload, by type.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadBody {
    /// Security Association (33).
    Sa(Sa),
    /// Key Exchange (34).
    Ke(Ke),
    /// Identification, IDi (35) and IDr (36).
    Id(Id),
    /// Certificate (37); boxed, as it is large and rare, to keep every [`Payload`] small.
    Cert(Box<Cert>),
    /// Certificate Request (38).
    CertReq(CertReq),
    /// Authentication (39); boxed, as it is large and rare.
    Auth(Box<Auth>),
    /// Nonce, Ni/Nr (40).
    Nonce(Nonce),
    /// Notify (41).
    Notify(Notify),
    /// Delete (42).
    Delete(Delete),
    /// Vendor ID (43).
    VendorId(VendorId),
    /// Traffic Selector, TSi (44) and TSr (45).
    Ts(Ts),
    /// Encrypted and Authenticated (46).
    Sk(Sk),
    /// Configuration (47).
    Cp(Cp),
    /// Extensible Authentication (48).
    Eap(Eap),
    /// Encrypted and Authenticated Fragment (53, RFC 7383).
    Skf(Skf),
    /// Puzzle Solution (54, RFC 8019).
    Puzzle(PuzzleSolution),
    /// Any other type (IKEv1 numbers, 49–52, unassigned): the body, raw.
    Unknown {
        /// The body after the generic header.
        #[serde_as(as = "Hex")]
        data: Vec<u8>,
    },
}

/// Whether a parse copies the payloads' opaque octet strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpaqueData {
    /// Every body whole: what [`parse_chain`] and `Message::parse` give.
    #[default]
    Copied,
    /// The octet strings that are the rest of a payload — Key Exchange Data, Nonce Data, and
    /// the IV, ciphertext and ICV of SK and SKF — are left empty: they stay in the message at
    /// the payload's `offset` (the body after the 4-octet generic header, `length` − 4
    /// octets, minus SKF's 4 octets of fragment numbers). An SA payload is checked whole but
    /// its proposals are left in the message too (`proposals` empty, which a parsed SA
    /// payload never is; [`Sa::parse_left`] parses them when they are wanted). For a reader
    /// that needs only the fixed fields (group, fragment numbers), the payloads' lengths and
    /// some SA payloads, such as the capture analysis, which keeps the proposals of a few
    /// messages and counts the retransmissions of the others; everything else, and every
    /// error, is as with [`OpaqueData::Copied`] (taking the rest of a body never fails, and
    /// the SA payload goes through the same checks). Such a message is not for
    /// [`emit_chain`].
    Left,
}

/// Short name of a payload type as RFC 7296 §3.2 abbreviates it ("SA", "IDi", "N"…), or
/// "payload type N" for others.
pub fn short_name(t: PayloadType) -> std::borrow::Cow<'static, str> {
    match (t, t.short()) {
        (PayloadType::NONE, _) => std::borrow::Cow::Borrowed("NONE"),
        (_, Some(s)) => std::borrow::Cow::Borrowed(s),
        (PayloadType(n), None) => std::borrow::Cow::Owned(format!("type-{n}")),
    }
}

impl Payload {
    /// A payload built by hand (offset and length 0: they are filled in on emit/parse).
    pub fn new(payload_type: PayloadType, body: PayloadBody) -> Payload {
        Payload {
            payload_type,
            critical: false,
            reserved: 0,
            offset: 0,
            length: 0,
            body,
        }
    }

    /// The Next Payload value this payload's header carries when `following` comes after it:
    /// for SK/SKF the first inner payload, otherwise `following`'s type or 0.
    fn next_payload_field(&self, following: Option<&Payload>) -> PayloadType {
        match &self.body {
            PayloadBody::Sk(sk) => sk.next_payload,
            PayloadBody::Skf(skf) => skf.next_payload,
            _ => following.map_or(payload_type::NONE, |p| p.payload_type),
        }
    }

    /// Reads one payload of type `payload_type` (generic header included); returns it and
    /// the Next Payload field it carried.
    pub fn parse(r: &mut Reader<'_>, payload_type: PayloadType) -> Result<(Payload, PayloadType)> {
        let offset = r.offset();
        let (next, cb, length, mut b) = generic_header(r)?;
        let body = parse_body(&mut b, payload_type, next, OpaqueData::Copied)?;
        let p = Payload {
            payload_type,
            critical: cb & 0x80 != 0,
            reserved: cb & 0x7f,
            offset,
            length,
            body,
        };
        Ok((p, next))
    }

    /// Writes the payload with `next` in its Next Payload field; the length is computed.
    pub fn emit(&self, w: &mut Writer, next: PayloadType) {
        let start = w.buf.len();
        w.u8(next.0);
        w.u8(if self.critical { 0x80 } else { 0 } | (self.reserved & 0x7f));
        let len_at = w.reserve_u16();
        match &self.body {
            PayloadBody::Sa(x) => x.emit(w),
            PayloadBody::Ke(x) => x.emit(w),
            PayloadBody::Id(x) => x.emit(w),
            PayloadBody::Cert(x) => x.emit(w),
            PayloadBody::CertReq(x) => x.emit(w),
            PayloadBody::Auth(x) => x.emit(w),
            PayloadBody::Nonce(x) => x.emit(w),
            PayloadBody::Notify(x) => x.emit(w),
            PayloadBody::Delete(x) => x.emit(w),
            PayloadBody::VendorId(x) => x.emit(w),
            PayloadBody::Ts(x) => x.emit(w),
            PayloadBody::Sk(x) => x.emit(w),
            PayloadBody::Cp(x) => x.emit(w),
            PayloadBody::Eap(x) => x.emit(w),
            PayloadBody::Skf(x) => x.emit(w),
            PayloadBody::Puzzle(x) => x.emit(w),
            PayloadBody::Unknown { data } => w.bytes(data),
        }
        w.patch_len_u16(len_at, start);
    }
}

/// Reads the generic payload header (§3.2) and checks Payload Length against what is left;
/// returns Next Payload, the C/RESERVED octet, Payload Length and a reader over the body.
#[inline]
fn generic_header<'a>(r: &mut Reader<'a>) -> Result<(PayloadType, u8, u16, Reader<'a>)> {
    let offset = r.offset();
    let next = PayloadType(r.u8("Next Payload")?);
    let cb = r.u8("Critical")?;
    let length = r.u16("Payload Length")?;
    if length < 4 {
        return Err(Error::invalid(
            "Payload Length",
            offset + 2,
            format!("{length} is less than the 4-byte generic payload header"),
        ));
    }
    let body_len = usize::from(length) - 4;
    if body_len > r.remaining() {
        return Err(Error::invalid(
            "Payload Length",
            offset + 2,
            format!(
                "{length} runs {} byte(s) past the end of the message",
                body_len - r.remaining()
            ),
        ));
    }
    let b = r.sub(body_len, "payload body")?;
    Ok((next, cb, length, b))
}

/// Decodes a payload body of type `payload_type` (all of `b`); `next` is the generic header's
/// Next Payload (kept by SK and SKF).
#[inline]
fn parse_body(
    b: &mut Reader<'_>,
    payload_type: PayloadType,
    next: PayloadType,
    opaque: OpaqueData,
) -> Result<PayloadBody> {
    let keep = opaque == OpaqueData::Copied;
    let body = match payload_type.0 {
        33 => PayloadBody::Sa(Sa::parse_opaque(b, keep)?),
        34 => PayloadBody::Ke(Ke::parse_opaque(b, keep)?),
        35 | 36 => PayloadBody::Id(Id::parse(b)?),
        37 => PayloadBody::Cert(Box::new(Cert::parse(b)?)),
        38 => PayloadBody::CertReq(CertReq::parse(b)?),
        39 => PayloadBody::Auth(Box::new(Auth::parse(b)?)),
        40 => PayloadBody::Nonce(Nonce::parse_opaque(b, keep)),
        41 => PayloadBody::Notify(Notify::parse(b)?),
        42 => PayloadBody::Delete(Delete::parse(b)?),
        43 => PayloadBody::VendorId(VendorId::parse(b)?),
        44 | 45 => PayloadBody::Ts(Ts::parse(b)?),
        46 => PayloadBody::Sk(Sk::parse_opaque(b, next, keep)),
        47 => PayloadBody::Cp(Cp::parse(b)?),
        48 => PayloadBody::Eap(Eap::parse(b)?),
        53 => PayloadBody::Skf(Skf::parse_opaque(b, next, keep)?),
        54 => PayloadBody::Puzzle(PuzzleSolution::parse(b)?),
        _ => PayloadBody::Unknown {
            data: b.take_rest().to_vec(),
        },
    };
    b.expect_end("payload body")?;
    Ok(body)
}

/// How many payloads the chain starting with type `first` holds, by walking the generic
/// headers only (an upper bound when the chain is malformed: parsing then fails anyway).
fn count_chain(mut rest: &[u8], first: PayloadType) -> usize {
    let mut n = 0;
    let mut next = first;
    while next != payload_type::NONE {
        let Some(&[np, _, l0, l1]) = rest.first_chunk::<4>() else {
            break;
        };
        n += 1;
        if matches!(next, payload_type::SK | payload_type::SKF) {
            break;
        }
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        match rest.get(len.max(4)..) {
            Some(r) => rest = r,
            None => break,
        }
        next = PayloadType(np);
    }
    n
}

/// Reads the payload chain that starts with type `first` and must fill `r` exactly: it ends
/// with Next Payload 0, or with an SK/SKF payload (whose Next Payload names its first inner
/// payload; nothing may follow it). Each payload takes at least 4 bytes, so the walk ends.
pub fn parse_chain(r: &mut Reader<'_>, first: PayloadType) -> Result<Vec<Payload>> {
    parse_chain_reusing(r, first, Vec::new(), OpaqueData::Copied)
}

/// [`parse_chain`] into `out` (cleared first; its allocation reused, e.g. from the previous
/// message's payloads), with the opaque octet strings copied or left ([`OpaqueData`]).
pub fn parse_chain_reusing(
    r: &mut Reader<'_>,
    first: PayloadType,
    mut out: Vec<Payload>,
    opaque: OpaqueData,
) -> Result<Vec<Payload>> {
    // Sized exactly from a first walk over the generic headers (at most one payload per 4
    // bytes of input).
    out.clear();
    out.reserve(count_chain(r.rest(), first));
    parse_chain_into(r, first, &mut out, opaque)?;
    Ok(out)
}

/// The payloads [`parse_chain`] read before the error it returns for the same input (none
/// when it returns none): what a front end shows of a message whose chain fails part way.
#[cold]
pub fn payloads_before_error(r: &mut Reader<'_>, first: PayloadType) -> Vec<Payload> {
    let mut out = Vec::new();
    match parse_chain_into(r, first, &mut out, OpaqueData::Copied) {
        Ok(()) => Vec::new(),
        Err(_) => out,
    }
}

/// [`parse_chain`] into `out`, which holds every payload read before an error.
fn parse_chain_into(
    r: &mut Reader<'_>,
    first: PayloadType,
    out: &mut Vec<Payload>,
    opaque: OpaqueData,
) -> Result<()> {
    let mut next = first;
    while next != payload_type::NONE {
        let ty = next;
        let what = |n: usize| format!("{} payload #{n}", short_name(ty));
        if r.is_empty() {
            return Err(
                Error::truncated("payload header", r.offset(), 4, 0).within(what(out.len() + 1))
            );
        }
        let offset = r.offset();
        let (np, cb, length, mut b) =
            generic_header(r).map_err(|e| e.within(what(out.len() + 1)))?;
        let body = parse_body(&mut b, ty, np, opaque).map_err(|e| e.within(what(out.len() + 1)))?;
        let encrypted = matches!(body, PayloadBody::Sk(_) | PayloadBody::Skf(_));
        out.push(Payload {
            payload_type: ty,
            critical: cb & 0x80 != 0,
            reserved: cb & 0x7f,
            offset,
            length,
            body,
        });
        if encrypted {
            if !r.is_empty() {
                return Err(Error::invalid(
                    "Payload Length",
                    r.offset(),
                    format!(
                        "{} byte(s) follow the {} payload, which must be the last one",
                        r.remaining(),
                        short_name(ty)
                    ),
                )
                .within(what(out.len())));
            }
            return Ok(());
        }
        next = np;
    }
    if !r.is_empty() {
        return Err(Error::trailing("payload chain", r.offset(), r.remaining()));
    }
    Ok(())
}

/// Writes the payloads in order, each naming the next one (see [`Payload::emit`]).
pub fn emit_chain(payloads: &[Payload], w: &mut Writer) {
    for (i, p) in payloads.iter().enumerate() {
        let next = p.next_payload_field(payloads.get(i + 1));
        p.emit(w, next);
    }
}

// ---- small helpers shared by the payload modules ----

pub(crate) fn is_zero_u8(v: &u8) -> bool {
    *v == 0
}

pub(crate) fn is_zero_u16(v: &u16) -> bool {
    *v == 0
}

pub(crate) fn is_zero_3(v: &[u8; 3]) -> bool {
    *v == [0; 3]
}

/// Text for display: the UTF-8 string, or None when it isn't UTF-8.
pub(crate) fn utf8(data: &[u8]) -> Option<String> {
    std::str::from_utf8(data).ok().map(str::to_owned)
}

/// An IPv4 address from exactly 4 bytes.
pub(crate) fn ipv4(data: &[u8]) -> Option<std::net::Ipv4Addr> {
    <[u8; 4]>::try_from(data).ok().map(std::net::Ipv4Addr::from)
}

/// An IPv6 address from exactly 16 bytes.
pub(crate) fn ipv6(data: &[u8]) -> Option<std::net::Ipv6Addr> {
    <[u8; 16]>::try_from(data)
        .ok()
        .map(std::net::Ipv6Addr::from)
}

/// Serialises the unit variant `name` of an externally tagged enum as `{"name": {}}`, so that
/// a decoded value (`decoded`, `value`) is always a JSON object whose one key names its kind,
/// never a bare string for some kinds and an object for others.
pub(crate) fn unit_variant_object<S: serde::Serializer>(
    name: &'static str,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    /// `{}`.
    #[derive(serde::Serialize)]
    struct NoData {}
    let mut m = s.serialize_map(Some(1))?;
    m.serialize_entry(name, &NoData {})?;
    m.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_header_errors() {
        // Next Payload 0, C=1 + reserved 0x01, Payload Length 3 (< 4).
        let bytes = [0u8, 0x81, 0, 3];
        let e = Payload::parse(&mut Reader::new(&bytes, 100), PayloadType(40)).unwrap_err();
        assert_eq!((e.field, e.offset), ("Payload Length", 102));
        // Payload Length 9 but only 6 bytes.
        let bytes = [0u8, 0, 0, 9, 1, 2];
        let e = Payload::parse(&mut Reader::new(&bytes, 28), PayloadType(40)).unwrap_err();
        assert_eq!((e.field, e.offset), ("Payload Length", 30));
        assert!(e.to_string().contains("3 byte(s) past"), "{e}");
    }

    #[test]
    fn critical_and_reserved_bits_kept() {
        let bytes = [
            0u8,  // Next Payload: none
            0x85, // C=1, RESERVED=5
            0, 6, // Payload Length 6
            0xab, 0xcd, // body of unassigned type 200
        ];
        let (p, np) = Payload::parse(&mut Reader::new(&bytes, 0), PayloadType(200)).unwrap();
        assert_eq!(np, payload_type::NONE);
        assert!(p.critical);
        assert_eq!(p.reserved, 5);
        assert_eq!(
            p.body,
            PayloadBody::Unknown {
                data: vec![0xab, 0xcd]
            }
        );
        let mut w = Writer::new();
        p.emit(&mut w, np);
        assert_eq!(w.buf, bytes);
    }

    #[test]
    fn chain_must_end_and_nothing_after_sk() {
        // Nonce (next = Nonce again) but the message ends: truncated at the second payload.
        let bytes = [40u8, 0, 0, 5, 0xaa];
        let e = parse_chain(&mut Reader::new(&bytes, 28), payload_type::NONCE).unwrap_err();
        assert_eq!(e.path, vec!["Nonce payload #2".to_string()]);
        assert_eq!(e.offset, 33);
        // SK (inner first = IDi) followed by 4 more bytes.
        let bytes = [35u8, 0, 0, 5, 0xaa, 0, 0, 0, 4];
        let e = parse_chain(&mut Reader::new(&bytes, 28), payload_type::SK).unwrap_err();
        assert_eq!(e.path, vec!["SK payload #1".to_string()]);
        assert_eq!(e.offset, 33);
        // Next Payload 0 but bytes remain.
        let bytes = [0u8, 0, 0, 4, 9, 9];
        let e = parse_chain(&mut Reader::new(&bytes, 28), payload_type::NONCE).unwrap_err();
        assert_eq!((e.field, e.offset), ("payload chain", 32));
    }
}
