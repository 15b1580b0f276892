//! Nonce payload (RFC 7296 §3.9): Ni / Nr, 16 to 256 bytes of random data (the size is not
//! enforced here; the audit reports it).

use super::{Reader, Result, Writer};
use ietfwg_report::hex::Hex;
use serde_with::serde_as;

/// Nonce payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Nonce {
    /// Nonce Data.
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
}

impl Nonce {
    /// Parses the body (all of `r`).
    #[inline]
    pub fn parse(r: &mut Reader<'_>) -> Result<Nonce> {
        Ok(Nonce::parse_opaque(r, true))
    }

    /// [`Nonce::parse`], which cannot fail; without `keep_data`, `data` is left empty (see
    /// [`super::OpaqueData::Left`]).
    #[inline]
    pub(crate) fn parse_opaque(r: &mut Reader<'_>, keep_data: bool) -> Nonce {
        let rest = r.take_rest();
        Nonce {
            data: if keep_data { rest.to_vec() } else { Vec::new() },
        }
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.bytes(&self.data);
    }
}
