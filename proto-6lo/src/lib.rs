//! # ietfwg-6lo
//!
//! IEEE 802.15.4 MAC frames and the 6LoWPAN adaptation layer, decoded byte-exactly and without
//! I/O: the caller hands in bytes (and the state the wire does not carry — link addresses,
//! contexts, capture time) and gets typed headers, decompressed IPv6 datagrams and precise
//! errors back.
//!
//! | module | covers |
//! |---|---|
//! | [`ble`] | Bluetooth LE under 6LoWPAN (RFC 7668): LL data PDUs, HCI ACL, L2CAP LE credit-based channels on the IPSP PSM with SDU reassembly, IIDs from device addresses; and writing such traffic |
//! | [`mac`] | IEEE 802.15.4-2003/2006/2015 MAC header, IEs, auxiliary security header, FCS |
//! | [`encap`] | captured frames: whether one ends in an FCS where the capture does not say (IEEE 802.15.4-2020 §7.2.10) |
//! | [`dispatch`] | 6LoWPAN dispatch (RFC 4944, 8025, 8066): mesh, BC0, FRAG1/FRAGN, ESC, pages, 6LoRH (RFC 8138) and RFRAG (RFC 8931) recognition |
//! | [`iphc`] | LOWPAN_IPHC (RFC 6282 §3) |
//! | [`nhc`] | LOWPAN_NHC (RFC 6282 §4): UDP, IPv6 extension headers, IPv6-in-IPv6 |
//! | [`hc1`] | LOWPAN_HC1/HC2 (RFC 4944 §10, decode only) |
//! | [`reassembly`] | RFC 4944 §5.3 and RFC 8931 (RFRAG) reassembly, bounded and expiring |
//! | [`ghc`] | RFC 7400 generic header compression (GHC), both directions |
//! | [`sixlorh`] | RFC 8138 6LoRH headers applied: the outer IPv6 header, RPL option and source route they stand for |
//! | [`nd`] | Neighbor Discovery (RFC 4861) and 6LoWPAN-ND (RFC 6775/8505) messages and options |
//! | [`security`] | IEEE 802.15.4-2015 §9 frame security: CCM* (levels 1–7), nonces, the key table (keys given, Thread key derivation), short → extended addresses |
//! | [`link`] | 6LoWPAN over other links: BACnet MS/TP (RFC 8163), NFC LLCP (RFC 9428), ITU-T G.9959 (RFC 7428); DECT ULE (RFC 8105) named |
//! | [`mle`] | Mesh Link Establishment (draft-ietf-6lo-mesh-link-establishment, Thread 1.1 §4): command, TLVs, and its own security (MLE key, AES-CCM*) |
//! | [`lowpan`] | the whole chain for one frame, and a stateful [`lowpan::Decoder`] over a capture |
//! | [`compress`] | IPHC/NHC compression: the smallest legal encoding of an IPv6 datagram's headers |
//! | [`fragment`] | RFC 4944 §5.3 fragmentation |
//! | [`fields`] | where each decoded field lies in the frame's bytes (range, layer, name, value, section, bits): the map of an annotated hex dump |
//! | [`stats`] | counters over a capture: RFC 7388 LOWPAN-MIB input counters, conversations, dispatch headers, compression |
//! | [`frame`] | whole 802.15.4 frames (MAC header, mesh, BC0, fragments, FCS) from IPv6 datagrams |
//!
//! Every decoder of untrusted bytes here returns [`Error`] instead of panicking, reads only
//! within its input, and allocates at most what the input's declared sizes allow.
#![forbid(unsafe_code)]

pub mod addr;
pub mod ble;
pub mod compress;
pub mod dispatch;
pub mod encap;
pub mod error;
pub mod fields;
pub mod fragment;
pub mod frame;
pub mod ghc;
pub mod hc1;
pub mod iphc;
pub mod ipv6;
pub mod link;
pub mod lowpan;
pub mod mac;
pub mod mle;
pub mod nd;
pub mod nhc;
pub mod reader;
pub mod reassembly;
pub mod security;
pub mod sixlorh;
pub mod stats;

pub use addr::{Context, ContextTable, LinkAddr};
pub use error::{Detail, Error, ErrorKind, Layer, Result};
