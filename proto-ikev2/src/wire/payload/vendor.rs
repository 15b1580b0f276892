//! Vendor ID payload (RFC 7296 §3.12): opaque bytes, recognised against known vendor IDs.

use super::{Reader, Result, Writer};
use ietfwg_report::hex::Hex;
use serde_with::serde_as;

/// Vendor ID payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VendorId {
    /// Vendor ID.
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
    /// The vendor (and version) the bytes are known to stand for, if any.
    pub vendor: Option<&'static str>,
}

impl VendorId {
    /// Parses the body (all of `r`).
    #[inline]
    pub fn parse(r: &mut Reader<'_>) -> Result<VendorId> {
        let data = r.take_rest().to_vec();
        let vendor = crate::wire::registry::vendor_id(&data);
        Ok(VendorId { data, vendor })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.bytes(&self.data);
    }
}
