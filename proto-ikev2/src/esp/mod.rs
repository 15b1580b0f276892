//! ESP (RFC 4303): the keys of an ESP SA and Wireshark's `esp_sa` table ([`sa`]), and packets
//! opened with them, ICV and anti-replay window checked ([`decrypt`]).

pub mod decrypt;
pub mod sa;
