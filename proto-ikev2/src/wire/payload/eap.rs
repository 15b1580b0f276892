//! Extensible Authentication payload (RFC 7296 §3.16) carrying one EAP message (RFC 3748 §4).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Code      | Identifier    |           Length              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      | Type_Data...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Type is present for Request (1) and Response (2); the EAP Length must cover the payload body
//! exactly.

use super::{Error, Reader, Result, Writer};
use crate::wire::registry::{EapCode, EapType};
use ietfwg_report::hex::Hex;
use serde_with::serde_as;

/// Extensible Authentication payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Eap {
    /// Code.
    pub code: EapCode,
    /// Identifier.
    pub identifier: u8,
    /// Length as received (recomputed on emit).
    pub length: u16,
    /// Type, for Request/Response messages with one.
    pub eap_type: Option<EapType>,
    /// Type_Data (or, for codes without a Type, the data after Length), raw.
    #[serde_as(as = "Hex")]
    pub type_data: Vec<u8>,
}

impl Eap {
    /// Parses the body (all of `r`).
    #[inline]
    pub fn parse(r: &mut Reader<'_>) -> Result<Eap> {
        let code = EapCode(r.u8("Code")?);
        let identifier = r.u8("Identifier")?;
        let len_at = r.offset();
        let length = r.u16("Length")?;
        if usize::from(length) != r.remaining() + 4 {
            return Err(Error::invalid(
                "Length",
                len_at,
                format!(
                    "EAP Length {length}, but the payload holds {} byte(s) of EAP",
                    r.remaining() + 4
                ),
            ));
        }
        let eap_type = if matches!(code.0, 1 | 2) && !r.is_empty() {
            Some(EapType(r.u8("Type")?))
        } else {
            None
        };
        Ok(Eap {
            code,
            identifier,
            length,
            eap_type,
            type_data: r.take_rest().to_vec(),
        })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        let start = w.buf.len();
        w.u8(self.code.0);
        w.u8(self.identifier);
        let at = w.reserve_u16();
        if let Some(t) = self.eap_type {
            w.u8(t.0);
        }
        w.bytes(&self.type_data);
        w.patch_len_u16(at, start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eap_identity_request_and_success() {
        let body = [
            1, // Code: Request
            7, // Identifier
            0, 8, // Length 8
            1, // Type: Identity
            b'b', b'o', b'b', // Type_Data
        ];
        let e = Eap::parse(&mut Reader::new(&body, 0)).unwrap();
        assert_eq!(
            (e.code, e.identifier, e.eap_type),
            (EapCode(1), 7, Some(EapType(1)))
        );
        let mut w = Writer::new();
        e.emit(&mut w);
        assert_eq!(w.buf, body);
        // Success: no Type.
        let s = Eap::parse(&mut Reader::new(&[3, 7, 0, 4], 0)).unwrap();
        assert_eq!(s.eap_type, None);
        // Length disagreeing with the payload.
        let err = Eap::parse(&mut Reader::new(&[3, 7, 0, 5], 60)).unwrap_err();
        assert_eq!((err.field, err.offset), ("Length", 62));
    }
}
