//! Errors of the sans-I/O layer: every message says what was wrong, where, and what was expected.

/// What went wrong building, parsing or checking a DNS-over-HTTPS message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A query name that cannot be put on the wire (RFC 1035 §2.3.4: labels ≤ 63 octets,
    /// names ≤ 255 octets).
    #[error("query name {name:?}: {reason}")]
    Name { name: String, reason: String },

    /// A record type that is neither a known mnemonic, `TYPEnnn` (RFC 3597 §5) nor a number.
    #[error(
        "unknown record type {0:?}: give a mnemonic (A, AAAA, TXT, …), TYPEnnn or a number 0–65535"
    )]
    Type(String),

    /// A class that is neither a known mnemonic, `CLASSnnn` (RFC 3597 §5) nor a number.
    #[error("unknown class {0:?}: give IN, CH, HS, NONE, ANY, CLASSnnn or a number 0–65535")]
    Class(String),

    /// Query options that contradict each other or a limit.
    #[error("query options: {0}")]
    Options(String),

    /// The DNS library refused to encode the query.
    #[error("cannot encode the query: {0}")]
    Encode(String),

    /// A base64url string that RFC 8484 §6 / RFC 4648 §5 does not allow.
    #[error("base64url: {0}")]
    Base64(String),

    /// Hex input that is not an even number of hex digits.
    #[error("hex: {0}")]
    Hex(String),

    /// Input that is not a DNS message in any form asked for.
    #[error("input: {0}")]
    Input(String),

    /// A DNS message that does not decode (RFC 1035 §4.1).
    #[error("malformed DNS message ({size} octets): {reason}")]
    Wire { size: usize, reason: String },

    /// A JSON API body that does not follow the `application/dns-json` schema.
    #[error("JSON API answer: {0}")]
    Json(String),

    /// A non-2xx HTTP status (RFC 8484 §4.2.1): the body is not a DNS answer.
    #[error("HTTP {status} {reason} from the server: {summary}")]
    HttpStatus {
        status: u16,
        reason: String,
        summary: String,
    },

    /// A 2xx response with a media type other than the one asked for (RFC 8484 §4.2, §6).
    #[error("the server answered with content type {got}, expected {expected}")]
    ContentType { got: String, expected: String },

    /// A 2xx response with no body.
    #[error("the server answered HTTP {status} with an empty body: no DNS message")]
    EmptyBody { status: u16 },

    /// A body larger than a DNS message can be (RFC 8484 §6: 65535 octets).
    #[error("the response body is {size} octets; an application/dns-message is at most 65535")]
    TooLarge { size: usize },
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
