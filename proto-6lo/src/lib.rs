//! # ietfwg-6lo
//!
//! IEEE 802.15.4 MAC frames and the 6LoWPAN adaptation layer, decoded byte-exactly and without
//! I/O: the caller hands in bytes (and the state the wire does not carry — link addresses,
//! contexts, capture time) and gets typed headers, decompressed IPv6 datagrams and precise
//! errors back.
//!
//! | module | covers |
//! |---|---|
//! | [`mac`] | IEEE 802.15.4-2003/2006/2015 MAC header, IEs, auxiliary security header, FCS |
//! | [`dispatch`] | 6LoWPAN dispatch (RFC 4944, 8025, 8066): mesh, BC0, FRAG1/FRAGN, ESC, pages, 6LoRH (RFC 8138) and RFRAG (RFC 8931) recognition |
//! | [`iphc`] | LOWPAN_IPHC (RFC 6282 §3) |
//! | [`nhc`] | LOWPAN_NHC (RFC 6282 §4): UDP, IPv6 extension headers, IPv6-in-IPv6 |
//! | [`hc1`] | LOWPAN_HC1/HC2 (RFC 4944 §10, decode only) |
//! | [`reassembly`] | RFC 4944 §5.3 fragment reassembly, bounded and expiring |
//! | [`lowpan`] | the whole chain for one frame, and a stateful [`lowpan::Decoder`] over a capture |
//!
//! Every decoder of untrusted bytes here returns [`Error`] instead of panicking, reads only
//! within its input, and allocates at most what the input's declared sizes allow.
#![forbid(unsafe_code)]

pub mod addr;
pub mod compress;
pub mod dispatch;
pub mod error;
pub mod ghc;
pub mod hc1;
pub mod iphc;
pub mod ipv6;
pub mod lowpan;
pub mod mac;
pub mod nhc;
pub mod reader;
pub mod reassembly;
pub(crate) mod serhex;

pub use addr::{Context, ContextTable, LinkAddr};
pub use error::{Error, Layer, Result};
