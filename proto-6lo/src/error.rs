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
    /// A Mesh Link Establishment message (UDP 19788) inside a datagram.
    Mle,
    /// A link layer other than 802.15.4 below 6LoWPAN (BACnet MS/TP, NFC LLCP, ITU-T G.9959,
    /// DECT ULE).
    Link,
    /// Bluetooth LE: link layer, HCI ACL, L2CAP (RFC 7668 §2, Bluetooth Core 5.3).
    Ble,
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
            Layer::Mle => "MLE",
            Layer::Link => "link",
            Layer::Ble => "Bluetooth LE",
        })
    }
}

/// A decoding error. `offset` is counted from the first byte of the 802.15.4 frame (or of the
/// 6LoWPAN payload, when only a payload was given).
///
/// The details ([`ErrorKind`] and, for an error the caller can remedy, its [`Detail`]) live
/// behind one pointer, so that an `Error` is a single word and the `Result`s of the hot decoding
/// paths are returned in registers; errors are the rare path. Match on [`Error::kind`] (and
/// [`Error::detail`]); build one with [`Error::truncated`], [`Error::invalid`],
/// [`Error::invalid_with`] or `Error::from(ErrorKind::…)`.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

/// What an [`Error`] points to.
#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    detail: Option<Detail>,
}

/// What went wrong, where: the contents of an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
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

/// What an error's reason says, as data, for the errors the caller can remedy: what was
/// missing, so that a front end can say how to supply it in its own terms (the reason itself
/// names no front end's options). See [`Error::detail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Detail {
    /// A context-based address (SAC or DAC = 1, RFC 6282 §3.1.1) names context `id` (the SCI or
    /// DCI field), which the context table does not hold: contexts are configured out of band
    /// (RFC 6282 §3.1.1, RFC 6775 §4.2).
    ContextNotConfigured {
        /// The context identifier, 0–15.
        id: u8,
    },
}

impl From<ErrorKind> for Error {
    #[cold]
    fn from(kind: ErrorKind) -> Self {
        Error(Box::new(Inner { kind, detail: None }))
    }
}

impl Error {
    /// Convenience constructor for [`ErrorKind::Truncated`].
    #[cold]
    #[inline(never)]
    pub fn truncated(
        layer: Layer,
        field: &'static str,
        offset: usize,
        needed: usize,
        available: usize,
    ) -> Self {
        Error::from(ErrorKind::Truncated {
            layer,
            field,
            offset,
            needed,
            available,
        })
    }

    /// Convenience constructor for [`ErrorKind::Invalid`].
    #[cold]
    pub fn invalid(
        layer: Layer,
        field: &'static str,
        offset: usize,
        reason: impl Into<String>,
    ) -> Self {
        Self::invalid_string(layer, field, offset, reason.into())
    }

    #[cold]
    #[inline(never)]
    fn invalid_string(layer: Layer, field: &'static str, offset: usize, reason: String) -> Self {
        Error::from(ErrorKind::Invalid {
            layer,
            field,
            offset,
            reason,
        })
    }

    /// [`Error::invalid`] with the [`Detail`] its reason states.
    #[cold]
    #[inline(never)]
    pub fn invalid_with(
        layer: Layer,
        field: &'static str,
        offset: usize,
        reason: impl Into<String>,
        detail: Detail,
    ) -> Self {
        Error(Box::new(Inner {
            kind: ErrorKind::Invalid {
                layer,
                field,
                offset,
                reason: reason.into(),
            },
            detail: Some(detail),
        }))
    }

    /// The data of a remediable error (see [`Detail`]), if it is one.
    pub fn detail(&self) -> Option<Detail> {
        self.0.detail
    }

    /// What went wrong, to match on.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The [`ErrorKind`], by value.
    pub fn into_kind(self) -> ErrorKind {
        self.0.kind
    }

    /// The same error pointing at another byte (for errors found in a derived buffer, such as a
    /// reassembled datagram, that must point into the frame).
    pub fn at(mut self, new_offset: usize) -> Self {
        match &mut self.0.kind {
            ErrorKind::Truncated { offset, .. } | ErrorKind::Invalid { offset, .. } => {
                *offset = new_offset
            }
        }
        self
    }

    /// The byte offset the error points at.
    pub fn offset(&self) -> usize {
        match self.kind() {
            ErrorKind::Truncated { offset, .. } | ErrorKind::Invalid { offset, .. } => *offset,
        }
    }

    /// The field the error names.
    pub fn field(&self) -> &'static str {
        match self.kind() {
            ErrorKind::Truncated { field, .. } | ErrorKind::Invalid { field, .. } => field,
        }
    }

    /// The layer the error was found in.
    pub fn layer(&self) -> Layer {
        match self.kind() {
            ErrorKind::Truncated { layer, .. } | ErrorKind::Invalid { layer, .. } => *layer,
        }
    }
}

/// The same text as [`ErrorKind`]'s `Debug` (`Truncated { layer: …, … }`).
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.kind(), f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.kind(), f)
    }
}

impl std::error::Error for Error {}

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
            match self.kind() {
                ErrorKind::Truncated { .. } => "truncated",
                ErrorKind::Invalid { .. } => "invalid",
            },
        )?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_word_and_same_text() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<Result<u16>>(),
            2 * std::mem::size_of::<usize>()
        );
        let e = Error::truncated(Layer::Mac, "FCS", 3, 2, 1);
        assert_eq!(
            e.to_string(),
            "802.15.4 MAC: truncated at byte 3: FCS needs 2 byte(s), 1 left"
        );
        assert_eq!(
            format!("{e:?}"),
            "Truncated { layer: Mac, field: \"FCS\", offset: 3, needed: 2, available: 1 }"
        );
        let e = Error::invalid(Layer::Iphc, "SAM", 7, "bad").at(9);
        assert_eq!(e.to_string(), "IPHC: byte 9: SAM: bad");
        assert_eq!((e.layer(), e.field(), e.offset()), (Layer::Iphc, "SAM", 9));
        assert!(matches!(e.kind(), ErrorKind::Invalid { reason, .. } if reason == "bad"));
    }
}
