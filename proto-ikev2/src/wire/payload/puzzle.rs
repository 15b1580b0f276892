//! Puzzle Solution payload (RFC 8019 §8.2, type 54).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                   Puzzle Solution Data                        ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! In IKE_SA_INIT the data is one key of the PRF's key size; in IKE_AUTH it is a sequence of
//! them (the count comes from the PUZZLE notify), so it stays raw here.

use super::{Reader, Result, Writer};
use ietfwg_report::hex::Hex;
use serde_with::serde_as;

/// Puzzle Solution payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PuzzleSolution {
    /// Puzzle Solution Data.
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
}

impl PuzzleSolution {
    /// Parses the body (all of `r`).
    #[inline]
    pub fn parse(r: &mut Reader<'_>) -> Result<PuzzleSolution> {
        Ok(PuzzleSolution {
            data: r.take_rest().to_vec(),
        })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.bytes(&self.data);
    }
}
