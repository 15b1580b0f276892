//! Security Association payload (RFC 7296 §3.3): proposals, transforms, attributes.
//!
//! ```text
//! Proposal Substructure (§3.3.1)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Last Substruc |   RESERVED    |         Proposal Length       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                        SPI (variable)                         ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                        <Transforms>                           ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! Transform Substructure (§3.3.2)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Last Substruc |   RESERVED    |        Transform Length       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Transform Type |   RESERVED    |          Transform ID         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                      Transform Attributes                     ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! Data Attributes (§3.3.5)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |A|       Attribute Type        |    AF=0  Attribute Length     |
//! |F|                             |    AF=1  Attribute Value      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   AF=0  Attribute Value                       |
//! |                   AF=1  Not Transmitted                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Last Substruc is 0 for the last proposal (transform) and 2 (3) before another one; it, the
//! lengths, SPI Size and Num Transforms are checked on parse and recomputed on emit.

use super::{is_zero_u8, Error, Reader, Result, Writer};
use crate::wire::registry::{
    EncrId, IntegId, KeId, PrfId, ProtocolId, SeqNumId, TransformAttrType, TransformType,
};
use ietfwg_report::hex::Hex;
use serde_with::serde_as;
pub use smallvec::{smallvec, SmallVec};

/// Security Association payload body: one or more proposals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sa {
    /// The proposals, in order (held inline when there is one, the usual case).
    pub proposals: SmallVec<[Proposal; 1]>,
}

/// One proposal (§3.3.1).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Proposal {
    /// RESERVED byte after Last Substruc, kept as received.
    #[serde(skip_serializing_if = "is_zero_u8")]
    pub reserved: u8,
    /// Proposal Length as received (recomputed on emit).
    pub length: u16,
    /// Proposal Num.
    pub proposal_num: u8,
    /// Protocol ID (IKE, AH, ESP).
    pub protocol_id: ProtocolId,
    /// SPI (its length is SPI Size): empty in IKE_SA_INIT, 8 bytes for an IKE rekey, 4 for
    /// AH/ESP.
    #[serde_as(as = "Hex")]
    pub spi: Vec<u8>,
    /// The transforms (their count is Num Transforms).
    pub transforms: Vec<Transform>,
}

/// One transform (§3.3.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Transform {
    /// RESERVED byte after Last Substruc, kept as received.
    #[serde(skip_serializing_if = "is_zero_u8")]
    pub reserved1: u8,
    /// Transform Length as received (recomputed on emit).
    pub length: u16,
    /// Transform Type.
    pub transform_type: TransformType,
    /// RESERVED byte after Transform Type, kept as received.
    #[serde(skip_serializing_if = "is_zero_u8")]
    pub reserved2: u8,
    /// Transform ID, typed by Transform Type.
    pub transform_id: TransformId,
    /// Transform attributes (Key Length is the only one RFC 7296 defines), held inline when
    /// there is at most one.
    #[serde(skip_serializing_if = "SmallVec::is_empty")]
    pub attributes: SmallVec<[TransformAttr; 1]>,
}

/// A Transform ID in the registry its Transform Type selects. In JSON a code point like every
/// other, `{"id": 12, "name": "ENCR_AES_CBC"}` (the Transform Type is beside it), as IKEv1's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransformId {
    /// Type 1, Encryption Algorithm.
    Encr(EncrId),
    /// Type 2, Pseudorandom Function.
    Prf(PrfId),
    /// Type 3, Integrity Algorithm.
    Integ(IntegId),
    /// Type 4 (KE) and 6–12 (ADDITIONAL_KEY_EXCHANGE_1..7, RFC 9370): Key Exchange Method.
    Ke(KeId),
    /// Type 5, Sequence Numbers (ESN).
    SeqNum(SeqNumId),
    /// Any other Transform Type: the number.
    Other(u16),
}

impl serde::Serialize for TransformId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            TransformId::Encr(x) => x.serialize(s),
            TransformId::Prf(x) => x.serialize(s),
            TransformId::Integ(x) => x.serialize(s),
            TransformId::Ke(x) => x.serialize(s),
            TransformId::SeqNum(x) => x.serialize(s),
            TransformId::Other(id) => crate::wire::registry::code_point(*id, None, s),
        }
    }
}

impl TransformId {
    /// `id` typed by Transform Type `t`.
    pub fn new(t: TransformType, id: u16) -> TransformId {
        match t.0 {
            1 => TransformId::Encr(EncrId(id)),
            2 => TransformId::Prf(PrfId(id)),
            3 => TransformId::Integ(IntegId(id)),
            4 | 6..=12 => TransformId::Ke(KeId(id)),
            5 => TransformId::SeqNum(SeqNumId(id)),
            _ => TransformId::Other(id),
        }
    }

    /// The number on the wire.
    pub fn value(self) -> u16 {
        match self {
            TransformId::Encr(x) => x.0,
            TransformId::Prf(x) => x.0,
            TransformId::Integ(x) => x.0,
            TransformId::Ke(x) => x.0,
            TransformId::SeqNum(x) => x.0,
            TransformId::Other(x) => x,
        }
    }
}

impl std::fmt::Display for TransformId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransformId::Encr(x) => x.fmt(f),
            TransformId::Prf(x) => x.fmt(f),
            TransformId::Integ(x) => x.fmt(f),
            TransformId::Ke(x) => x.fmt(f),
            TransformId::SeqNum(x) => x.fmt(f),
            TransformId::Other(x) => x.fmt(f),
        }
    }
}

/// A transform attribute (§3.3.5).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TransformAttr {
    /// Attribute Type (the 15 bits after AF).
    pub attr_type: TransformAttrType,
    /// The value, in the format AF selects.
    pub value: AttrValue,
}

/// Attribute value: TV (AF=1, 2 bytes) or TLV (AF=0, length-prefixed).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttrValue {
    /// AF=1: the 16-bit value in place of the length.
    Tv(u16),
    /// AF=0: Attribute Length and the bytes.
    Tlv(#[serde_as(as = "Hex")] Vec<u8>),
}

impl Transform {
    /// How transform `id` of Transform Type `t` with Key Length `key_length` is written
    /// everywhere (what [`Transform`]'s `Display` writes, for a transform known by its
    /// numbers): the registry name with the key length after an underscore
    /// (`ENCR_AES_CBC_128`, `PRF_HMAC_SHA2_256`, `AUTH_HMAC_SHA2_256_128`), key exchange methods
    /// with their number (`2048-bit MODP Group (14)`, also for ADDKE1–7), `NO_ESN` / `ESN`,
    /// and unassigned values as `ENCR#99`.
    pub fn name_of(t: TransformType, id: u16, key_length: Option<u16>) -> String {
        let mut s = String::new();
        // Writing into a String cannot fail.
        let _ = Transform::write_name(&mut s, t, id, key_length);
        s
    }

    /// [`Transform::name_of`] written into `f`, without building a `String` (what `Display`
    /// uses).
    pub fn write_name(
        f: &mut dyn std::fmt::Write,
        t: TransformType,
        id: u16,
        key_length: Option<u16>,
    ) -> std::fmt::Result {
        let named = match t.0 {
            1 => EncrId(id).name().map(|n| f.write_str(n)),
            2 => PrfId(id).name().map(|n| f.write_str(n)),
            3 => IntegId(id).name().map(|n| f.write_str(n)),
            4 | 6..=12 => KeId(id).name().map(|n| write!(f, "{n} ({id})")),
            5 => match id {
                0 => Some(f.write_str("NO_ESN")),
                1 => Some(f.write_str("ESN")),
                _ => None,
            },
            _ => None,
        };
        match named {
            Some(r) => r?,
            None => write!(f, "{}#{id}", t.short().unwrap_or("TRANSFORM"))?,
        }
        if let Some(k) = key_length {
            write!(f, "_{k}")?;
        }
        Ok(())
    }

    /// [`Transform::write_name`] appended to `out` without `core::fmt` (numbers through
    /// `itoa`): the same text, for the renderers that write a name per transform of every
    /// proposal they print. A unit test holds the two to the same output.
    pub fn put_name<W: NameSink + ?Sized>(
        out: &mut W,
        t: TransformType,
        id: u16,
        key_length: Option<u16>,
    ) {
        let mut num = itoa::Buffer::new();
        let named = match t.0 {
            1 => EncrId(id).name(),
            2 => PrfId(id).name(),
            3 => IntegId(id).name(),
            4 | 6..=12 => KeId(id).name(),
            5 => match id {
                0 => Some("NO_ESN"),
                1 => Some("ESN"),
                _ => None,
            },
            _ => None,
        };
        match named {
            Some(n) => {
                out.put(n);
                // Key exchange methods carry their number: `2048-bit MODP Group (14)`.
                if matches!(t.0, 4 | 6..=12) {
                    out.put(" (");
                    out.put(num.format(id));
                    out.put(")");
                }
            }
            None => {
                out.put(t.short().unwrap_or("TRANSFORM"));
                out.put("#");
                out.put(num.format(id));
            }
        }
        if let Some(k) = key_length {
            out.put("_");
            out.put(num.format(k));
        }
    }

    /// The Key Length attribute (type 14, TV), in bits, if present.
    pub fn key_length(&self) -> Option<u16> {
        self.attributes.iter().find_map(|a| match a.value {
            AttrValue::Tv(v) if a.attr_type.0 == 14 => Some(v),
            _ => None,
        })
    }

    fn parse(r: &mut Reader<'_>, last: &mut bool) -> Result<Transform> {
        let start = r.offset();
        // The 8-byte transform header at once when it is there; field by field otherwise (the
        // error then names the field that is cut short).
        let (ls, reserved1, length) = match r.peek::<4>() {
            Some(&[ls, reserved1, l0, l1]) => {
                r.skip(4);
                (ls, reserved1, u16::from_be_bytes([l0, l1]))
            }
            None => (
                r.u8("Last Substruc")?,
                r.u8("RESERVED")?,
                r.u16("Transform Length")?,
            ),
        };
        if length < 8 {
            return Err(Error::invalid(
                "Transform Length",
                start + 2,
                format!("{length} is less than the 8-byte transform header"),
            ));
        }
        let body_len = usize::from(length) - 4;
        if body_len > r.remaining() {
            return Err(Error::invalid(
                "Transform Length",
                start + 2,
                format!(
                    "{length} runs {} byte(s) past the end of the proposal",
                    body_len - r.remaining()
                ),
            ));
        }
        let mut b = r.sub(body_len, "transform")?;
        *last = match ls {
            0 => true,
            3 => false,
            v => {
                return Err(Error::invalid(
                    "Last Substruc",
                    start,
                    format!("{v} (expected 0 for the last transform or 3 before another)"),
                ))
            }
        };
        // body_len >= 4, checked above.
        let [transform_type, reserved2, i0, i1] = b.array::<4>("Transform Type")?;
        let transform_type = TransformType(transform_type);
        let transform_id = TransformId::new(transform_type, u16::from_be_bytes([i0, i1]));
        // An attribute takes at least 4 octets; most transforms carry none or one (Key Length).
        let attributes = if b.is_empty() {
            SmallVec::new()
        } else {
            TransformAttr::parse_all(&mut b)?
        };
        Ok(Transform {
            reserved1,
            length,
            transform_type,
            reserved2,
            transform_id,
            attributes,
        })
    }

    fn emit(&self, w: &mut Writer, last: bool) {
        let start = w.buf.len();
        w.u8(if last { 0 } else { 3 });
        w.u8(self.reserved1);
        let at = w.reserve_u16();
        w.u8(self.transform_type.0);
        w.u8(self.reserved2);
        w.u16(self.transform_id.value());
        for a in &self.attributes {
            a.emit(w);
        }
        w.patch_len_u16(at, start);
    }
}

impl TransformAttr {
    /// Every attribute up to the end of `r` (not empty); one, the usual case, is stored
    /// without going through the growth path.
    fn parse_all(r: &mut Reader<'_>) -> Result<SmallVec<[TransformAttr; 1]>> {
        let first = TransformAttr::parse(r).map_err(|e| e.within("attribute #1"))?;
        let mut attributes = SmallVec::from_buf([first]);
        let mut k = 1usize;
        while !r.is_empty() {
            k += 1;
            let a = TransformAttr::parse(r).map_err(|e| e.within(format!("attribute #{k}")))?;
            attributes.push(a);
        }
        Ok(attributes)
    }

    fn parse(r: &mut Reader<'_>) -> Result<TransformAttr> {
        let t = r.u16("Attribute Type")?;
        let attr_type = TransformAttrType(t & 0x7fff);
        let value = if t & 0x8000 != 0 {
            AttrValue::Tv(r.u16("Attribute Value")?)
        } else {
            let len_at = r.offset();
            let len = usize::from(r.u16("Attribute Length")?);
            if len > r.remaining() {
                return Err(Error::invalid(
                    "Attribute Length",
                    len_at,
                    format!(
                        "{len} runs {} byte(s) past the end of the transform",
                        len - r.remaining()
                    ),
                ));
            }
            AttrValue::Tlv(r.take(len, "Attribute Value")?.to_vec())
        };
        Ok(TransformAttr { attr_type, value })
    }

    fn emit(&self, w: &mut Writer) {
        match &self.value {
            AttrValue::Tv(v) => {
                w.u16(0x8000 | (self.attr_type.0 & 0x7fff));
                w.u16(*v);
            }
            AttrValue::Tlv(data) => {
                w.u16(self.attr_type.0 & 0x7fff);
                w.u16(u16::try_from(data.len()).unwrap_or(u16::MAX));
                w.bytes(data);
            }
        }
    }
}

impl std::fmt::Display for Transform {
    /// See [`Transform::name_of`]; attributes other than Key Length and reserved octets are
    /// not part of the name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Transform::write_name(
            f,
            self.transform_type,
            self.transform_id.value(),
            self.key_length(),
        )
    }
}

/// A proposal's transform names grouped by Transform Type, each group in wire order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransformsByType {
    /// Encryption algorithms (Transform Type 1).
    pub encr: Vec<String>,
    /// Pseudorandom functions (2).
    pub prf: Vec<String>,
    /// Integrity algorithms (3).
    pub integ: Vec<String>,
    /// Key exchange methods (4).
    pub ke: Vec<String>,
    /// Additional key exchanges (RFC 9370), by type name `ADDKE1`…`ADDKE7`.
    pub addke: std::collections::BTreeMap<String, Vec<String>>,
    /// Sequence number transforms (5).
    pub esn: Vec<String>,
    /// Other types.
    pub other: Vec<String>,
}

impl TransformsByType {
    /// Adds the name of a transform of type `ty` to its group.
    pub fn push(&mut self, ty: TransformType, name: String) {
        match ty.0 {
            1 => self.encr.push(name),
            2 => self.prf.push(name),
            3 => self.integ.push(name),
            4 => self.ke.push(name),
            5 => self.esn.push(name),
            6..=12 => self
                .addke
                .entry(ty.short().unwrap_or("ADDKE").to_owned())
                .or_default()
                .push(name),
            _ => self.other.push(name),
        }
    }

    /// The groups as written in a proposal: types in the order ENCR, PRF, INTEG, KE, ADDKEn,
    /// ESN, others; names within a type separated by `,`.
    pub fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        for list in [&self.encr, &self.prf, &self.integ, &self.ke] {
            if !list.is_empty() {
                groups.push(list.join(","));
            }
        }
        for (k, list) in &self.addke {
            groups.push(format!("{k}={}", list.join(",")));
        }
        for list in [&self.esn, &self.other] {
            if !list.is_empty() {
                groups.push(list.join(","));
            }
        }
        groups
    }
}

/// Where [`Transform::put_name`] and [`Proposal::put_text`] append text: a `String` or a byte
/// buffer, without going through `core::fmt`.
pub trait NameSink {
    /// Appends `s`.
    fn put(&mut self, s: &str);
}

impl NameSink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

impl NameSink for Vec<u8> {
    fn put(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
    }
}

impl Proposal {
    /// [`Proposal`]'s `Display` appended to `out` without `core::fmt`: the same text (a unit
    /// test holds the two to it), written for every proposal a decoder or a summary prints.
    pub fn put_text<W: NameSink + ?Sized>(&self, out: &mut W) {
        let mut num = itoa::Buffer::new();
        out.put("#");
        out.put(num.format(self.proposal_num));
        out.put(" ");
        match self.protocol_id.name() {
            Some(n) => out.put(n),
            None => out.put(num.format(self.protocol_id.0)),
        }
        out.put(": ");
        // One group: its members' names joined by `,`, after ` / ` unless it is the first one
        // written, `prefix=` before it. Generic over `member`, so that each test is inlined.
        fn group<W: NameSink + ?Sized>(
            out: &mut W,
            first_group: &mut bool,
            transforms: &[Transform],
            prefix: Option<&str>,
            member: impl Fn(&Transform) -> bool,
        ) {
            let mut first = true;
            for t in transforms.iter().filter(|t| member(t)) {
                if first {
                    if !*first_group {
                        out.put(" / ");
                    }
                    *first_group = false;
                    first = false;
                    if let Some(p) = prefix {
                        out.put(p);
                        out.put("=");
                    }
                } else {
                    out.put(",");
                }
                Transform::put_name(
                    out,
                    t.transform_type,
                    t.transform_id.value(),
                    t.key_length(),
                );
            }
        }
        let (ts, mut first_group) = (&self.transforms[..], true);
        for ty in [1u8, 2, 3, 4] {
            group(out, &mut first_group, ts, None, |t| {
                t.transform_type.0 == ty
            });
        }
        let is_addke = |t: &Transform| (6..=12).contains(&t.transform_type.0);
        let addke_key = |t: &Transform| t.transform_type.short().unwrap_or("ADDKE");
        let mut keys: [&str; 7] = [""; 7];
        let mut n = 0;
        for t in ts.iter().filter(|t| is_addke(t)) {
            let k = addke_key(t);
            if n < keys.len() && !keys[..n].contains(&k) {
                keys[n] = k;
                n += 1;
            }
        }
        keys[..n].sort_unstable();
        for k in &keys[..n] {
            group(out, &mut first_group, ts, Some(k), |t| {
                is_addke(t) && addke_key(t) == *k
            });
        }
        group(out, &mut first_group, ts, None, |t| t.transform_type.0 == 5);
        group(out, &mut first_group, ts, None, |t| {
            !(1..=12).contains(&t.transform_type.0)
        });
    }

    /// The transforms' names ([`Transform`]'s `Display`) grouped by type.
    pub fn transforms_by_type(&self) -> TransformsByType {
        let mut g = TransformsByType::default();
        for t in &self.transforms {
            g.push(t.transform_type, t.to_string());
        }
        g
    }
}

impl std::fmt::Display for Proposal {
    /// `#1 IKE: ENCR_AES_CBC_128 / PRF_HMAC_SHA2_256 / AUTH_HMAC_SHA2_256_128 / 2048-bit MODP
    /// Group (14)`: Proposal Num, Protocol ID and the transforms grouped by type
    /// ([`TransformsByType::groups`]). The SPI is not part of it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{} {}: ", self.proposal_num, self.protocol_id)?;
        // The text of `transforms_by_type().groups().join(" / ")`, written without building
        // the groups (this runs for every proposal a decoder prints).
        let mut first_group = true;
        let mut group = |f: &mut std::fmt::Formatter<'_>,
                         prefix: Option<&str>,
                         member: &dyn Fn(&Transform) -> bool|
         -> std::fmt::Result {
            let mut first = true;
            for t in self.transforms.iter().filter(|t| member(t)) {
                if first {
                    if !first_group {
                        f.write_str(" / ")?;
                    }
                    first_group = false;
                    first = false;
                    if let Some(p) = prefix {
                        f.write_str(p)?;
                        f.write_str("=")?;
                    }
                } else {
                    f.write_str(",")?;
                }
                write!(f, "{t}")?;
            }
            Ok(())
        };
        for ty in [1u8, 2, 3, 4] {
            group(f, None, &|t| t.transform_type.0 == ty)?;
        }
        // ADDKEn groups in the order of their names, as `TransformsByType::addke` keeps them.
        let is_addke = |t: &Transform| (6..=12).contains(&t.transform_type.0);
        let addke_key = |t: &Transform| t.transform_type.short().unwrap_or("ADDKE");
        let mut keys: [&str; 7] = [""; 7];
        let mut n = 0;
        for t in self.transforms.iter().filter(|t| is_addke(t)) {
            let k = addke_key(t);
            if n < keys.len() && !keys[..n].contains(&k) {
                keys[n] = k;
                n += 1;
            }
        }
        keys[..n].sort_unstable();
        for k in &keys[..n] {
            group(f, Some(k), &|t| is_addke(t) && addke_key(t) == *k)?;
        }
        group(f, None, &|t| t.transform_type.0 == 5)?;
        group(f, None, &|t| !(1..=12).contains(&t.transform_type.0))
    }
}

impl Proposal {
    /// One proposal; without `keep`, checked as thoroughly but with its SPI and transforms
    /// not stored (see [`Sa::parse_opaque`]).
    fn parse(r: &mut Reader<'_>, last: &mut bool, keep: bool) -> Result<Proposal> {
        let start = r.offset();
        let (ls, reserved, length) = match r.peek::<4>() {
            Some(&[ls, reserved, l0, l1]) => {
                r.skip(4);
                (ls, reserved, u16::from_be_bytes([l0, l1]))
            }
            None => (
                r.u8("Last Substruc")?,
                r.u8("RESERVED")?,
                r.u16("Proposal Length")?,
            ),
        };
        if length < 8 {
            return Err(Error::invalid(
                "Proposal Length",
                start + 2,
                format!("{length} is less than the 8-byte proposal header"),
            ));
        }
        let body_len = usize::from(length) - 4;
        if body_len > r.remaining() {
            return Err(Error::invalid(
                "Proposal Length",
                start + 2,
                format!(
                    "{length} runs {} byte(s) past the end of the SA payload",
                    body_len - r.remaining()
                ),
            ));
        }
        let mut b = r.sub(body_len, "proposal")?;
        *last = match ls {
            0 => true,
            2 => false,
            v => {
                return Err(Error::invalid(
                    "Last Substruc",
                    start,
                    format!("{v} (expected 0 for the last proposal or 2 before another)"),
                ))
            }
        };
        // body_len >= 4, checked above.
        let spi_size_at = b.offset() + 2;
        let num_at = b.offset() + 3;
        let [proposal_num, protocol_id, spi_size, num_transforms] = b.array::<4>("Proposal Num")?;
        let protocol_id = ProtocolId(protocol_id);
        let ok = match protocol_id.0 {
            1 => spi_size == 0 || spi_size == 8,
            2 | 3 => spi_size == 4,
            _ => true,
        };
        if !ok {
            return Err(Error::invalid(
                "SPI Size",
                spi_size_at,
                format!("{spi_size} for protocol {protocol_id} (IKE: 0 or 8; AH, ESP: 4)"),
            ));
        }
        if usize::from(spi_size) > b.remaining() {
            return Err(Error::invalid(
                "SPI Size",
                spi_size_at,
                format!("{spi_size} runs past the end of the proposal"),
            ));
        }
        let spi = b.take(usize::from(spi_size), "SPI")?;
        let spi = if keep { spi.to_vec() } else { Vec::new() };
        // Sized from the count field, bounded by what the proposal can hold (a transform is at
        // least 8 octets), so input cannot inflate it.
        let mut transforms = if keep {
            Vec::with_capacity(usize::from(num_transforms).min(b.remaining() / 8))
        } else {
            Vec::new()
        };
        let mut count = 0usize;
        let mut more = !b.is_empty() || num_transforms > 0;
        while more {
            let n = count + 1;
            if b.is_empty() {
                return Err(Error::invalid(
                    "Last Substruc",
                    b.offset(),
                    format!("the previous transform announced another, but the proposal ends (Num Transforms {num_transforms})"),
                ));
            }
            let mut is_last = false;
            let t = Transform::parse(&mut b, &mut is_last)
                .map_err(|e| e.within(format!("transform #{n}")))?;
            count = n;
            if keep {
                transforms.push(t);
            }
            if is_last && !b.is_empty() {
                return Err(Error::invalid(
                    "Last Substruc",
                    b.offset(),
                    format!(
                        "transform #{n} says it is the last, but {} byte(s) of the proposal follow",
                        b.remaining()
                    ),
                ));
            }
            more = !is_last;
        }
        if count != usize::from(num_transforms) {
            return Err(Error::invalid(
                "Num Transforms",
                num_at,
                format!("{num_transforms}, but the proposal holds {count} transform(s)"),
            ));
        }
        Ok(Proposal {
            reserved,
            length,
            proposal_num,
            protocol_id,
            spi,
            transforms,
        })
    }

    fn emit(&self, w: &mut Writer, last: bool) {
        let start = w.buf.len();
        w.u8(if last { 0 } else { 2 });
        w.u8(self.reserved);
        let at = w.reserve_u16();
        w.u8(self.proposal_num);
        w.u8(self.protocol_id.0);
        w.u8(u8::try_from(self.spi.len()).unwrap_or(u8::MAX));
        w.u8(u8::try_from(self.transforms.len()).unwrap_or(u8::MAX));
        w.bytes(&self.spi);
        for (i, t) in self.transforms.iter().enumerate() {
            t.emit(w, i + 1 == self.transforms.len());
        }
        w.patch_len_u16(at, start);
    }
}

/// True when `body`, an SA payload body, passes every check [`Sa::parse`] makes: the same
/// rules, read straight off the octets without a [`Reader`], an error or a stored field (the
/// checking parse of [`super::OpaqueData::Left`] spent most of its time building and dropping
/// transforms it did not keep). Written by hand because it must agree with the parser rule
/// for rule; it only has to be sound — when it says false the parser runs and names the error
/// — and a test holds it equal to the parser on every prefix and on mutations of real SA
/// payloads.
fn well_formed(body: &[u8]) -> bool {
    let be16 = |b: &[u8], at: usize| match b.get(at..at + 2) {
        Some(&[x, y]) => Some(usize::from(u16::from_be_bytes([x, y]))),
        _ => None,
    };
    let mut rest = body;
    if rest.is_empty() {
        return false;
    }
    loop {
        // Proposal header: Last Substruc, RESERVED, Proposal Length (≥ 8, within the payload).
        let (Some(&ls), Some(plen)) = (rest.first(), be16(rest, 2)) else {
            return false;
        };
        if plen < 8 || plen > rest.len() {
            return false;
        }
        let last = match ls {
            0 => true,
            2 => false,
            _ => return false,
        };
        let (Some(&[_num, protocol, spi_size, num_transforms]), Some(after)) =
            (rest.get(4..8), rest.get(plen..))
        else {
            return false;
        };
        let spi_ok = match protocol {
            1 => spi_size == 0 || spi_size == 8,
            2 | 3 => spi_size == 4,
            _ => true,
        };
        let Some(mut t) = rest.get(8 + usize::from(spi_size)..plen).filter(|_| spi_ok) else {
            return false;
        };
        let mut count = 0usize;
        let mut more = !t.is_empty() || num_transforms > 0;
        while more {
            // Transform header: Last Substruc, RESERVED, Transform Length (≥ 8, within the
            // proposal), then type, RESERVED, ID, then attributes to the end.
            let (Some(&tls), Some(tlen)) = (t.first(), be16(t, 2)) else {
                return false;
            };
            if tlen < 8 || tlen > t.len() {
                return false;
            }
            let t_last = match tls {
                0 => true,
                3 => false,
                _ => return false,
            };
            let (Some(mut attrs), Some(next)) = (t.get(8..tlen), t.get(tlen..)) else {
                return false;
            };
            while !attrs.is_empty() {
                // TV: type with the AF bit and a 2-octet value; TLV: type, length, value.
                let Some(ty) = be16(attrs, 0) else {
                    return false;
                };
                let end = if ty & 0x8000 != 0 {
                    4
                } else {
                    let Some(len) = be16(attrs, 2) else {
                        return false;
                    };
                    4 + len
                };
                let Some(a) = attrs.get(end..) else {
                    return false;
                };
                attrs = a;
            }
            count += 1;
            t = next;
            if t_last && !t.is_empty() {
                return false;
            }
            more = !t_last;
            if more && t.is_empty() {
                return false;
            }
        }
        if count != usize::from(num_transforms) {
            return false;
        }
        rest = after;
        if last {
            return rest.is_empty();
        }
        if rest.is_empty() {
            return false;
        }
    }
}

impl Sa {
    /// Parses the SA payload body (all of `r`).
    pub fn parse(r: &mut Reader<'_>) -> Result<Sa> {
        Sa::parse_opaque(r, true)
    }

    /// [`Sa::parse`]; without `keep`, every check is made (the same errors at the same
    /// places) but nothing is stored: `proposals` is left empty, which a parsed SA payload
    /// never is (see [`super::OpaqueData::Left`] and [`Sa::parse_left`]).
    pub(crate) fn parse_opaque(r: &mut Reader<'_>, keep: bool) -> Result<Sa> {
        if !keep && well_formed(r.rest()) {
            r.take_rest();
            return Ok(Sa {
                proposals: SmallVec::new(),
            });
        }
        if r.is_empty() {
            return Err(Error::truncated("Proposal", r.offset(), 8, 0));
        }
        // Usually one proposal: held inline, no allocation.
        let mut proposals = SmallVec::new();
        let mut count = 0usize;
        loop {
            let n = count + 1;
            let mut last = false;
            let p = Proposal::parse(r, &mut last, keep)
                .map_err(|e| e.within(format!("proposal #{n}")))?;
            count = n;
            if keep {
                proposals.push(p);
            }
            if last {
                if !r.is_empty() {
                    return Err(Error::invalid(
                        "Last Substruc",
                        r.offset(),
                        format!(
                            "proposal #{n} says it is the last, but {} byte(s) of the SA payload follow",
                            r.remaining()
                        ),
                    ));
                }
                return Ok(Sa { proposals });
            }
            if r.is_empty() {
                return Err(Error::invalid(
                    "Last Substruc",
                    r.offset(),
                    format!("proposal #{n} announces another proposal, but the SA payload ends"),
                ));
            }
        }
    }

    /// The SA payload `payload` of the message `message` parsed whole, for one whose
    /// proposals a parse with [`super::OpaqueData::Left`] left in the message (its
    /// `proposals` empty); `None` when the octets at the payload's offset are not an SA
    /// payload body that parses.
    pub fn parse_left(payload: &super::Payload, message: &[u8]) -> Option<Sa> {
        let start = payload.offset.checked_add(4)?;
        let end = payload.offset.checked_add(usize::from(payload.length))?;
        let body = message.get(start..end)?;
        Sa::parse(&mut Reader::new(body, start)).ok()
    }

    /// Writes the SA payload body.
    pub fn emit(&self, w: &mut Writer) {
        for (i, p) in self.proposals.iter().enumerate() {
            p.emit(w, i + 1 == self.proposals.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`well_formed`] says yes exactly where [`Sa::parse`] succeeds: on the distinct SA
    /// payloads of the project's recordings (IKE_SA_INIT offers and answers), on a body with
    /// ESP proposals and TLV attributes, on every prefix of each, and with each octet set in
    /// turn to values that hit the rules (Last Substruc, lengths, SPI sizes, the AF bit).
    #[test]
    fn well_formed_agrees_with_the_parser() {
        use crate::testcapture::datagrams;
        use crate::wire::message::Message;
        use crate::wire::payload::PayloadBody;
        use crate::wire::transport::{classify_udp, UdpPayload};
        let names = [
            "3des-sha1-modp2048",
            "aes-cbc-sha256-modp2048",
            "aes-ccm-x25519",
            "aes-gcm-ecp256",
            "chacha20poly1305-x25519",
            "cookie",
            "invalid-ke",
            "no-proposal",
            "natt-rekey-delete",
            "libreswan-psk",
            "libreswan-cert-rsa",
        ];
        let mut bodies: Vec<Vec<u8>> = Vec::new();
        for name in names {
            for g in datagrams(name) {
                let UdpPayload::Ike { message, .. } =
                    classify_udp(g.src.port(), g.dst.port(), &g.payload)
                else {
                    continue;
                };
                let Ok(m) = Message::parse(message) else {
                    continue;
                };
                for p in m
                    .payloads
                    .iter()
                    .filter(|p| matches!(p.body, PayloadBody::Sa(_)))
                {
                    let body = message[p.offset + 4..p.offset + usize::from(p.length)].to_vec();
                    if !bodies.contains(&body) {
                        bodies.push(body);
                    }
                }
            }
        }
        assert!(bodies.len() >= 5, "{} SA payloads", bodies.len());
        // Two ESP proposals (SPI size 4), one transform with a TLV attribute after a TV one.
        bodies.push(vec![
            2, 0, 0, 32, // proposal: more follow, length 32
            1, 3, 4, 2, // #1 ESP, SPI size 4, 2 transforms
            0xca, 0xfe, 0xba, 0xbe, // SPI
            3, 0, 0, 8, 3, 0, 0, 12, // transform: more, length 8, INTEG 12
            0, 0, 0, 12, 1, 0, 0, 12, // last transform, length 12, ENCR 12,
            0x80, 14, 0, 128, // Key Length 128 (TV)
            0, 0, 0, 26, // last proposal, length 26
            2, 3, 4, 1, 1, 2, 3, 4, // #2 ESP, SPI size 4, 1 transform, SPI
            0, 0, 0, 14, 5, 0, 0, 0, // last transform, length 14, ESN 0,
            0, 1, 0, 2, 0xaa, 0xbb, // a TLV attribute of 2 octets
        ]);
        let parses = |b: &[u8]| Sa::parse(&mut Reader::new(b, 0)).is_ok();
        for body in &bodies {
            assert!(parses(body) && well_formed(body), "{}", hex::encode(body));
            for n in 0..body.len() {
                let b = &body[..n];
                assert_eq!(
                    well_formed(b),
                    parses(b),
                    "prefix {n} of {}",
                    hex::encode(body)
                );
            }
            for i in 0..body.len() {
                for v in [0u8, 1, 2, 3, 4, 7, 8, 9, 12, 0x80, 0x8e, 0xff] {
                    let mut b = body.clone();
                    b[i] = v;
                    assert_eq!(
                        well_formed(&b),
                        parses(&b),
                        "octet {i} = {v} in {}",
                        hex::encode(&b)
                    );
                }
            }
        }
    }

    /// `Display` writes what the grouped names join to, for every transform type (ENCR…KE,
    /// ADDKE1–7 in any order, ESN, unassigned types), without building the groups.
    #[test]
    fn proposal_display_equals_its_groups_joined() {
        let types: [u8; 16] = [12, 3, 1, 6, 0, 2, 4, 9, 5, 1, 13, 6, 200, 11, 3, 7];
        for n in 0..=types.len() {
            let transforms = types[..n]
                .iter()
                .enumerate()
                .map(|(i, &ty)| Transform {
                    reserved1: 0,
                    length: 8,
                    transform_type: TransformType(ty),
                    reserved2: 0,
                    transform_id: TransformId::new(TransformType(ty), i as u16 + 1),
                    attributes: Default::default(),
                })
                .collect();
            let p = Proposal {
                reserved: 0,
                length: 8,
                proposal_num: 1,
                protocol_id: ProtocolId(1),
                spi: Vec::new(),
                transforms,
            };
            let expected = format!(
                "#1 {}: {}",
                p.protocol_id,
                p.transforms_by_type().groups().join(" / ")
            );
            assert_eq!(p.to_string(), expected, "{n} transforms");
        }
    }

    /// `put_name` and `put_text` write what `Display` writes: every transform type with
    /// assigned, unassigned and large IDs, with and without a key length, every protocol.
    #[test]
    fn put_text_equals_display() {
        for ty in 0..=14u8 {
            for id in [0u16, 1, 2, 3, 12, 14, 20, 28, 31, 36, 99, 1024, u16::MAX] {
                for kl in [None, Some(128), Some(0)] {
                    let attributes = kl
                        .map(|v| {
                            vec![TransformAttr {
                                attr_type: TransformAttrType(14),
                                value: AttrValue::Tv(v),
                            }]
                        })
                        .unwrap_or_default();
                    let t = Transform {
                        reserved1: 0,
                        length: 8,
                        transform_type: TransformType(ty),
                        reserved2: 0,
                        transform_id: TransformId::new(TransformType(ty), id),
                        attributes: attributes.into(),
                    };
                    let mut s = String::new();
                    Transform::put_name(&mut s, t.transform_type, id, t.key_length());
                    assert_eq!(s, t.to_string(), "type {ty} id {id} {kl:?}");
                    let mut b = Vec::new();
                    Transform::put_name(&mut b, t.transform_type, id, t.key_length());
                    assert_eq!(b, s.as_bytes());
                }
            }
        }
        let types: [u8; 16] = [12, 3, 1, 6, 0, 2, 4, 9, 5, 1, 13, 6, 200, 11, 3, 7];
        for protocol in [0u8, 1, 3, 250] {
            for n in 0..=types.len() {
                let p = Proposal {
                    reserved: 0,
                    length: 8,
                    proposal_num: n as u8,
                    protocol_id: ProtocolId(protocol),
                    spi: Vec::new(),
                    transforms: types[..n]
                        .iter()
                        .enumerate()
                        .map(|(i, &ty)| Transform {
                            reserved1: 0,
                            length: 8,
                            transform_type: TransformType(ty),
                            reserved2: 0,
                            transform_id: TransformId::new(TransformType(ty), i as u16 * 7),
                            attributes: Default::default(),
                        })
                        .collect(),
                };
                let mut s = String::new();
                p.put_text(&mut s);
                assert_eq!(s, p.to_string(), "protocol {protocol}, {n} transforms");
            }
        }
    }

    /// One IKE proposal: AES-CBC-256, PRF_HMAC_SHA2_256, AUTH_HMAC_SHA2_256_128, group 14;
    /// plus a second ESP proposal with SPI and ESN.
    const SA_BODY: &[u8] = &[
        // proposal #1
        2, 0, 0, 44, // Last Substruc 2 (more), RESERVED, Proposal Length 44
        1, 1, 0, 4, // Proposal Num 1, Protocol ID IKE, SPI Size 0, Num Transforms 4
        3, 0, 0, 12, // transform: Last Substruc 3, RESERVED, Length 12
        1, 0, 0, 12, // Type ENCR, RESERVED, ID 12 (AES-CBC)
        0x80, 14, 0x01, 0x00, // attribute AF=1 Key Length = 256
        3, 0, 0, 8, // transform: more, Length 8
        2, 0, 0, 5, // PRF, ID 5 (PRF_HMAC_SHA2_256)
        3, 0, 0, 8, // transform: more, Length 8
        3, 0, 0, 12, // INTEG, ID 12 (AUTH_HMAC_SHA2_256_128)
        0, 0, 0, 8, // transform: last, Length 8
        4, 0, 0, 14, // KE, ID 14 (2048-bit MODP)
        // proposal #2
        0, 0, 0, 20, // Last Substruc 0 (last), Proposal Length 20
        2, 3, 4, 1, // Proposal Num 2, ESP, SPI Size 4, 1 transform
        0xc0, 0xff, 0xee, 0x01, // SPI
        0, 0, 0, 8, // transform: last, Length 8
        5, 0, 0, 1, // ESN, ID 1 (Extended Sequence Numbers)
    ];

    #[test]
    fn proposals_transforms_attributes() {
        let sa = Sa::parse(&mut Reader::new(SA_BODY, 32)).unwrap();
        assert_eq!(sa.proposals.len(), 2);
        let p = &sa.proposals[0];
        assert_eq!(
            (p.proposal_num, p.protocol_id, p.spi.len()),
            (1, ProtocolId::IKE, 0)
        );
        assert_eq!(p.transforms.len(), 4);
        assert_eq!(p.transforms[0].transform_id, TransformId::Encr(EncrId(12)));
        assert_eq!(p.transforms[0].key_length(), Some(256));
        assert_eq!(p.transforms[1].transform_id, TransformId::Prf(PrfId(5)));
        assert_eq!(
            p.transforms[2].transform_id,
            TransformId::Integ(IntegId(12))
        );
        assert_eq!(p.transforms[3].transform_id, TransformId::Ke(KeId(14)));
        let q = &sa.proposals[1];
        assert_eq!(q.spi, vec![0xc0, 0xff, 0xee, 0x01]);
        assert_eq!(
            q.transforms[0].transform_id,
            TransformId::SeqNum(SeqNumId(1))
        );
        let mut w = Writer::new();
        sa.emit(&mut w);
        assert_eq!(w.buf, SA_BODY);
    }

    #[test]
    fn structural_errors() {
        // Last proposal says "more".
        let mut b = SA_BODY.to_vec();
        b[44] = 2;
        let e = Sa::parse(&mut Reader::new(&b, 0)).unwrap_err();
        assert_eq!((e.field, e.offset), ("Last Substruc", 64));
        // First proposal says "last" though another follows.
        let mut b = SA_BODY.to_vec();
        b[0] = 0;
        let e = Sa::parse(&mut Reader::new(&b, 0)).unwrap_err();
        assert_eq!((e.field, e.offset), ("Last Substruc", 44));
        // Num Transforms 5 but 4 present.
        let mut b = SA_BODY.to_vec();
        b[7] = 5;
        let e = Sa::parse(&mut Reader::new(&b, 0)).unwrap_err();
        assert_eq!(
            (e.field, e.offset, e.path.clone()),
            ("Num Transforms", 7, vec!["proposal #1".to_string()])
        );
        // Transform length 13 (past the proposal when combined) → the next transform misparses;
        // Transform length 200 runs past the proposal.
        let mut b = SA_BODY.to_vec();
        b[11] = 200;
        let e = Sa::parse(&mut Reader::new(&b, 0)).unwrap_err();
        assert_eq!((e.field, e.offset), ("Transform Length", 10));
        assert_eq!(
            e.path,
            vec!["proposal #1".to_string(), "transform #1".to_string()]
        );
        // TLV attribute whose length runs past the transform: AF=0, length 9.
        let mut b = SA_BODY.to_vec();
        b[16] = 0x00;
        b[18] = 0;
        b[19] = 9;
        let e = Sa::parse(&mut Reader::new(&b, 0)).unwrap_err();
        assert_eq!((e.field, e.offset), ("Attribute Length", 18));
        assert_eq!(e.path.last().map(String::as_str), Some("attribute #1"));
        // ESP with SPI size 3.
        let mut b = SA_BODY.to_vec();
        b[50] = 3;
        let e = Sa::parse(&mut Reader::new(&b, 0)).unwrap_err();
        assert_eq!((e.field, e.offset), ("SPI Size", 50));
        // Proposal length 7.
        let mut b = SA_BODY.to_vec();
        b[3] = 7;
        let e = Sa::parse(&mut Reader::new(&b, 0)).unwrap_err();
        assert_eq!((e.field, e.offset), ("Proposal Length", 2));
        // Empty SA.
        assert!(Sa::parse(&mut Reader::new(&[], 0)).is_err());
    }
}
