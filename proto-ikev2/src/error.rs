//! The one error type of this crate: where (byte offset in the IKE message, and the payload path
//! leading there), which field, and what was wrong.

use std::fmt;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended before the field was complete.
    Truncated { needed: usize, available: usize },
    /// The field holds a value that is reserved, impossible or inconsistent.
    Invalid { reason: String },
    /// Bytes were left over where a length said the structure ends.
    Trailing { len: usize },
}

/// Where and what: the content of an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ErrorInfo {
    /// Absolute offset of the field.
    pub offset: usize,
    /// The field's name as the RFC names it.
    pub field: &'static str,
    /// Where in the message, outermost first, e.g. `["SA payload #1", "proposal 1", "transform 3"]`.
    pub path: Vec<String>,
    /// What was wrong.
    #[serde(flatten)]
    pub kind: ErrorKind,
}

/// A decoding error. `offset` counts from the first byte of the IKE header (after any non-ESP
/// marker or TCP framing). Boxed, so that every `Result` the parsers pass around stays one
/// pointer wide on the happy path; its fields read through `Deref` (`e.offset`, `e.field`…).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Error(Box<ErrorInfo>);

impl std::ops::Deref for Error {
    type Target = ErrorInfo;
    fn deref(&self) -> &ErrorInfo {
        &self.0
    }
}

impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl Error {
    fn new(offset: usize, field: &'static str, kind: ErrorKind) -> Self {
        Error(Box::new(ErrorInfo {
            offset,
            field,
            path: Vec::new(),
            kind,
        }))
    }

    /// Truncation of `field` at `offset`.
    #[cold]
    pub fn truncated(field: &'static str, offset: usize, needed: usize, available: usize) -> Self {
        Error::new(offset, field, ErrorKind::Truncated { needed, available })
    }

    /// An invalid `field` at `offset`.
    #[cold]
    pub fn invalid(field: &'static str, offset: usize, reason: impl Into<String>) -> Self {
        Error::new(
            offset,
            field,
            ErrorKind::Invalid {
                reason: reason.into(),
            },
        )
    }

    /// `len` bytes left over after `field` ended at `offset`.
    #[cold]
    pub fn trailing(field: &'static str, offset: usize, len: usize) -> Self {
        Error::new(offset, field, ErrorKind::Trailing { len })
    }

    /// The same error, found inside `what` (prepended to the path).
    pub fn within(mut self, what: impl Into<String>) -> Self {
        self.0.path.insert(0, what.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "byte {}: ", self.offset)?;
        for p in &self.path {
            write!(f, "{p}: ")?;
        }
        write!(f, "{}: ", self.field)?;
        match &self.kind {
            ErrorKind::Truncated { needed, available } => {
                write!(f, "truncated: needs {needed} byte(s), {available} left")
            }
            ErrorKind::Invalid { reason } => f.write_str(reason),
            ErrorKind::Trailing { len } => write!(f, "{len} byte(s) left over after it"),
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, Error>;
