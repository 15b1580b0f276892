//! Shared by the workspace's tests (never by the shipped crates): where the third-party corpus
//! is, and real peers on loopback.
//!
//! | module | role |
//! |---|---|
//! | [`capture`] | the packets of a pcap/pcapng file with their link types, and the IEEE 802.15.4 frames they carry, through `ietfwg-capture` (for benchmarks and tests) |
//! | [`shared`] | `../shared` (or `$IETFWG_SHARED`, read nowhere else) and its `corpus/<sub>` folders: skip with a notice when absent, fail under `CI=true` |
//! | [`doh_server`] | an in-process DoH server (HTTP/1.1 and HTTP/2 over TLS) that records every request |
//! | [`dns_lab`] | BIND 9.18 and unbound DoH servers started on loopback with a certificate made at test time |
//! | [`hypercorn`] | hypercorn serving DoH over HTTP/3 (aioquic) with a small ASGI application forwarding to BIND |
//! | [`strongswan`] | a strongSwan charon responder in its own network namespace |
//! | [`libreswan`] | a libreswan 4.10 pluto responder (unpacked from its .deb) in a pair of network namespaces |
//! | [`pki`] | a test CA and RSA / ECDSA / Ed25519 leaf certificates made with openssl |
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod capture;
pub mod dns_lab;
pub mod doh_server;
pub mod hypercorn;
pub mod libreswan;
pub mod pki;
pub mod shared;
pub mod strongswan;
