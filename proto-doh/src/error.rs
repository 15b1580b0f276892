//! Errors of the sans-I/O layer.

/// What went wrong building, parsing or checking a DNS-over-HTTPS message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Placeholder until the module is written.
    #[error("{0}")]
    Other(String),
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
