//! The bytes on the wire: the IKE header and message (RFC 7296 §3.1–3.2), every payload
//! (RFC 7296 §3.3–3.16 and the ipsecme extensions), the IANA registries, the bounds-checked
//! reader and writer, IKEv1/ISAKMP recognition (RFC 2408), and how messages travel over UDP
//! and TCP (RFC 3948, RFC 9329).

pub mod fields;
pub mod header;
pub mod ikev1;
pub mod message;
pub mod payload;
pub mod reader;
pub mod registry;
pub mod transport;
