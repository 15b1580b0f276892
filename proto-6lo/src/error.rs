//! The one error type of this crate: every failure says which layer, which field, at which byte
//! offset of the frame, and what was expected.

use std::fmt;

/// Which header or layer an error was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Layer {
    /// IEEE 802.15.4 MAC header, IEs, auxiliary security header or FCS.
    Mac,
    /// A 6LoWPAN dispatch header: mesh, BC0, fragment, page, 6LoRH, RFRAG.
    Dispatch,
    /// LOWPAN_IPHC (RFC 6282 §3).
    Iphc,
    /// LOWPAN_NHC (RFC 6282 §4).
    Nhc,
    /// LOWPAN_HC1 / HC2 (RFC 4944 §10).
    Hc1,
    /// Fragment reassembly (RFC 4944 §5.3).
    Reassembly,
    /// The uncompressed IPv6 datagram and its upper-layer header (RFC 8200).
    Ipv6,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Mac => "802.15.4 MAC",
            Layer::Dispatch => "6LoWPAN dispatch",
            Layer::Iphc => "IPHC",
            Layer::Nhc => "NHC",
            Layer::Hc1 => "HC1",
            Layer::Reassembly => "reassembly",
            Layer::Ipv6 => "IPv6",
        })
    }
}

/// A decoding error. `offset` is counted from the first byte of the 802.15.4 frame (or of the
/// 6LoWPAN payload, when only a payload was given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended before a field was complete.
    #[error(
        "{layer}: truncated at byte {offset}: {field} needs {needed} byte(s), {available} left"
    )]
    Truncated {
        layer: Layer,
        field: &'static str,
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// A field holds a value that is reserved, unknown or inconsistent.
    #[error("{layer}: byte {offset}: {field}: {reason}")]
    Invalid {
        layer: Layer,
        field: &'static str,
        offset: usize,
        reason: String,
    },
}

impl Error {
    /// Convenience constructor for [`Error::Invalid`].
    pub fn invalid(
        layer: Layer,
        field: &'static str,
        offset: usize,
        reason: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            layer,
            field,
            offset,
            reason: reason.into(),
        }
    }

    /// The same error pointing at another byte (for errors found in a derived buffer, such as a
    /// reassembled datagram, that must point into the frame).
    pub fn at(mut self, new_offset: usize) -> Self {
        match &mut self {
            Error::Truncated { offset, .. } | Error::Invalid { offset, .. } => *offset = new_offset,
        }
        self
    }

    /// The byte offset the error points at.
    pub fn offset(&self) -> usize {
        match self {
            Error::Truncated { offset, .. } | Error::Invalid { offset, .. } => *offset,
        }
    }

    /// The field the error names.
    pub fn field(&self) -> &'static str {
        match self {
            Error::Truncated { field, .. } | Error::Invalid { field, .. } => field,
        }
    }

    /// The layer the error was found in.
    pub fn layer(&self) -> Layer {
        match self {
            Error::Truncated { layer, .. } | Error::Invalid { layer, .. } => *layer,
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;

/// JSON form: `{"layer": "iphc", "field": "SAM", "offset": 3, "message": "…"}`.
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Error", 5)?;
        st.serialize_field("layer", &self.layer())?;
        st.serialize_field("field", self.field())?;
        st.serialize_field("offset", &self.offset())?;
        st.serialize_field(
            "kind",
            match self {
                Error::Truncated { .. } => "truncated",
                Error::Invalid { .. } => "invalid",
            },
        )?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}
