//! Encrypted and Authenticated payload SK (RFC 7296 §3.14) and its fragment SKF (RFC 7383 §2.5).
//!
//! ```text
//! SK:
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Initialization Vector                     |
//! ~        Encrypted IKE Payloads, Padding, Pad Length            ~
//! ~                    Integrity Checksum Data                    ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! SKF:
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Fragment Number        |        Total Fragments        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Initialization Vector                     |
//! ~                      Encrypted content                        ~
//! ~                    Integrity Checksum Data                    ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The IV and ICV sizes depend on the negotiated transforms, so the data stays whole. The
//! Next Payload field of SK (and of SKF fragment 1) names the first payload inside; SKF
//! fragments after the first carry 0.

use super::{Reader, Result, Writer};
use crate::wire::registry::PayloadType;
use ietfwg_report::hex::Hex;
use serde_with::serde_as;

/// Encrypted and Authenticated payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sk {
    /// The Next Payload field: the type of the first payload inside the encrypted data.
    pub next_payload: PayloadType,
    /// IV, ciphertext and ICV, undivided.
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
}

impl Sk {
    /// Parses the body (all of `r`); `next_payload` is the generic header's Next Payload.
    #[inline]
    pub fn parse(r: &mut Reader<'_>, next_payload: PayloadType) -> Result<Sk> {
        Ok(Sk::parse_opaque(r, next_payload, true))
    }

    /// [`Sk::parse`], which cannot fail; without `keep_data`, `data` is left empty (see
    /// [`super::OpaqueData::Left`]).
    #[inline]
    pub(crate) fn parse_opaque(
        r: &mut Reader<'_>,
        next_payload: PayloadType,
        keep_data: bool,
    ) -> Sk {
        let rest = r.take_rest();
        Sk {
            next_payload,
            data: if keep_data { rest.to_vec() } else { Vec::new() },
        }
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.bytes(&self.data);
    }
}

/// Encrypted and Authenticated Fragment payload body (RFC 7383).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skf {
    /// The Next Payload field: first inner payload in fragment 1, 0 in the others.
    pub next_payload: PayloadType,
    /// Fragment Number, from 1.
    pub fragment_number: u16,
    /// Total Fragments.
    pub total_fragments: u16,
    /// IV, encrypted fragment and ICV, undivided.
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
}

impl Skf {
    /// Parses the body (all of `r`); `next_payload` is the generic header's Next Payload.
    #[inline]
    pub fn parse(r: &mut Reader<'_>, next_payload: PayloadType) -> Result<Skf> {
        Skf::parse_opaque(r, next_payload, true)
    }

    /// [`Skf::parse`]; without `keep_data`, `data` is left empty (see
    /// [`super::OpaqueData::Left`]).
    #[inline]
    pub(crate) fn parse_opaque(
        r: &mut Reader<'_>,
        next_payload: PayloadType,
        keep_data: bool,
    ) -> Result<Skf> {
        let fragment_number = r.u16("Fragment Number")?;
        let total_fragments = r.u16("Total Fragments")?;
        let rest = r.take_rest();
        Ok(Skf {
            next_payload,
            fragment_number,
            total_fragments,
            data: if keep_data { rest.to_vec() } else { Vec::new() },
        })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.u16(self.fragment_number);
        w.u16(self.total_fragments);
        w.bytes(&self.data);
    }
}
