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
        Ok(Nonce {
            data: r.take_rest().to_vec(),
        })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.bytes(&self.data);
    }
}
