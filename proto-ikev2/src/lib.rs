//! # ietfwg-ikev2
//!
//! IKEv2 messages (RFC 7296 and the ipsecme WG's extensions) parsed and emitted byte-exactly,
//! without I/O: the caller hands in the bytes of one message and gets a typed tree back, with
//! precise errors; emitting the tree gives the same bytes. Around the codec: a stream decoder
//! over a capture's transport payloads, the SA's cryptography, the analysis of a capture's IKE
//! SAs, and initiators that build requests and read responses for a caller that moves bytes.
//!
//! | module | covers |
//! |---|---|
//! | [`wire::header`] | the IKE header (RFC 7296 §3.1) |
//! | [`wire::message`] | a whole message: header and payload chain (RFC 7296 §3) |
//! | [`wire::payload`] | every payload (RFC 7296 §3.2–3.16, RFC 7383 §2.5 SKF, RFC 8019 puzzles) |
//! | [`wire::registry`] | the IANA IKEv2 registries (RFC 7296 §3.3.2, §3.10.1 …) |
//! | [`wire::reader`] | bounds-checked reading and writing of fields |
//! | [`wire::ikev1`] | IKEv1/ISAKMP messages recognised and decoded (RFC 2408, RFC 2409) |
//! | [`wire::transport`] | UDP 500/4500 multiplexing (RFC 3948 §2) and RFC 9329 TCP framing |
//! | [`decoder`] | a stateful [`decoder::Decoder`] over a capture's UDP payloads and TCP streams: IKEv2 parsed, SK decrypted, SKF reassembled (RFC 7383), IKEv1, ESP and keepalives told apart, RFC 9329 resynchronised after holes |
//! | [`ike_sa_init`] | what an IKE_SA_INIT response says (RFC 7296 §1.2, §2.6, §3.10.1; RFC 5685) and the NAT detection hash (§2.23) |
//! | [`crypto::key_exchange`] | MODP, ECP and Curve25519/448 key exchange (RFC 3526, 5903, 8031) |
//! | [`crypto::derive`] | SKEYSEED, SK_*, Child SA KEYMAT and PSK AUTH (RFC 7296 §2.13–2.17) |
//! | [`crypto::protect`] | building SK/SKF payloads (RFC 7296 §3.14, RFC 7383 §2.5) |
//! | [`crypto::decrypt`] | opening SK/SKF payloads (RFC 7296 §3.14, RFC 5282, RFC 7634) |
//! | [`crypto::keytable`] | Wireshark's `ikev2_decryption_table`: the keys of an IKE SA |
//! | [`crypto::keyfile`] | every key file `--keys` takes, told apart by content: the Wireshark tables, strongSwan charon and libreswan pluto logs |
//! | [`esp::sa`], [`esp::decrypt`] | ESP SAs (Wireshark's `esp_sa` table) and ESP packets opened, ICV and anti-replay window checked (RFC 4303) |
//! | [`crypto::random`] | the operating system's random source: nonces, private keys, SPIs (RFC 7296 §2.10, §3.1) |
//! | [`analysis::summary`] | one summary per IKE SA of a capture, with findings |
//! | [`analysis::audit`] | RFC 8247 / RFC 9395 ratings of IKE SA algorithms |
//! | [`analysis::explain`] | error notifies in plain words (RFC 7296 §3.10.1) |
//! | [`active::initiator`] | an IKE_SA_INIT replayed, IKE_AUTH with a PSK (RFC 7296 §1.2, §2.15) |
//! | [`active::probe`] | IKE_SA_INIT offers and a scan of what a responder accepts (RFC 7296 §2.7) |
//!
//! Every decoder of untrusted bytes here returns [`Error`] instead of panicking and reads only
//! within its input.
#![forbid(unsafe_code)]

pub mod active;
pub mod analysis;
pub mod crypto;
pub mod decoder;
pub mod error;
pub mod esp;
pub mod ike_sa_init;
#[cfg(test)]
mod testcapture;
pub mod wire;

pub use error::{Error, ErrorInfo, ErrorKind, Result};
pub use wire::header::Header;
pub use wire::message::Message;
pub use wire::payload::{Payload, PayloadBody};
