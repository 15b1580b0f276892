//! Key Exchange payload (RFC 7296 §3.4).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   Diffie-Hellman Group Num    |           RESERVED            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                       Key Exchange Data                       ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::{is_zero_u16, Reader, Result, Writer};
use crate::wire::registry::KeId;
use ietfwg_report::hex::Hex;
use serde_with::serde_as;

/// Key Exchange payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ke {
    /// Diffie-Hellman Group Num (Key Exchange Method).
    pub group: KeId,
    /// RESERVED, kept as received.
    #[serde(skip_serializing_if = "is_zero_u16")]
    pub reserved: u16,
    /// Key Exchange Data (the public value).
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
}

impl Ke {
    /// Parses the body (all of `r`).
    #[inline]
    pub fn parse(r: &mut Reader<'_>) -> Result<Ke> {
        Ke::parse_opaque(r, true)
    }

    /// [`Ke::parse`]; without `keep_data`, `data` is left empty (see
    /// [`super::OpaqueData::Left`]).
    #[inline]
    pub(crate) fn parse_opaque(r: &mut Reader<'_>, keep_data: bool) -> Result<Ke> {
        let group = KeId(r.u16("Diffie-Hellman Group Num")?);
        let reserved = r.u16("RESERVED")?;
        let rest = r.take_rest();
        Ok(Ke {
            group,
            reserved,
            data: if keep_data { rest.to_vec() } else { Vec::new() },
        })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.u16(self.group.0);
        w.u16(self.reserved);
        w.bytes(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ke_roundtrip() {
        let body = [
            0x00, 0x1f, // group 31 (Curve25519)
            0x00, 0x00, // RESERVED
            1, 2, 3, 4, // Key Exchange Data (shortened)
        ];
        let ke = Ke::parse(&mut Reader::new(&body, 0)).unwrap();
        assert_eq!(ke.group, KeId(31));
        assert_eq!(ke.data, vec![1, 2, 3, 4]);
        let mut w = Writer::new();
        ke.emit(&mut w);
        assert_eq!(w.buf, body);
        let e = Ke::parse(&mut Reader::new(&body[..3], 40)).unwrap_err();
        assert_eq!((e.field, e.offset), ("RESERVED", 42));
    }
}
