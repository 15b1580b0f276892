//! The cryptography of an IKE SA: key exchange (RFC 7296 §1.2, §3.4), key derivation
//! (§2.13–2.17), the Encrypted payload sealed and opened (§3.14, RFC 7383 §2.5), the Wireshark
//! key table that names an SA's keys, and the operating system's randomness.

pub mod decrypt;
pub mod derive;
pub mod key_exchange;
pub mod keyfile;
pub mod keytable;
pub mod protect;
pub mod random;
