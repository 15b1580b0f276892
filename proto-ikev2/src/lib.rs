//! # ietfwg-ikev2
//!
//! IKEv2 messages (RFC 7296 and the ipsecme WG's extensions) parsed and emitted byte-exactly,
//! without I/O: the caller hands in the bytes of one message and gets a typed tree back, with
//! precise errors; emitting the tree gives the same bytes.
#![forbid(unsafe_code)]

pub mod audit;
pub mod crypto;
pub mod error;
pub mod explain;
pub mod header;
pub mod ikev1;
pub mod initiator;
pub mod kex;
pub mod keymat;
pub mod keys;
pub mod message;
pub mod payload;
pub mod probe;
pub mod protect;
pub mod reader;
pub mod registry;
pub(crate) mod serhex;
pub mod summary;
pub mod transport;

pub use error::{Error, ErrorInfo, ErrorKind, Result};
pub use header::Header;
pub use message::Message;
pub use payload::{Payload, PayloadBody};
