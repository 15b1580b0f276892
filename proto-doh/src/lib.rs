//! DNS over HTTPS (RFC 8484).
//!
//! | module | role |
//! |---|---|
//! | [`query`] | DNS queries as RFC 8484 wants them: ID 0, EDNS(0), RFC 8467 padding, flags |
//! | [`wire`] | the GET (`?dns=` base64url) and POST forms, media types, the JSON API URL |
//! | [`answer`] | one answer model for `application/dns-message` and `application/dns-json` |
//! | [`dnssec`] | DNSKEY, RRSIG, DS, NSEC, NSEC3 (RFC 4034, RFC 5155, RFC 7344) as kdig presents them, and as typed fields |
//! | [`check`] | response checks: HTTP status, content type, size |
//! | [`cache`] | RFC 8484 §5.1: HTTP freshness lifetime against the answer's smallest TTL |
//! | [`idn`] | internationalised names (IDNA 2008, UTS #46): Unicode names to A-labels for the wire, A-labels to U-labels for display |
//! | [`input`] | a DNS message given as binary, hex or base64url, auto-detected |
//! | [`client`] | the HTTP/1.1 and HTTP/2 client (hyper over tokio-rustls) and HTTP/3 (RFC 9114: quinn's QUIC, RFC 9000, with h3): one connection, timing, TLS details |
//! | [`server`] | the DoH server of `doh serve`: RFC 8484 routing, zone answers, padding and `Cache-Control` (sans-I/O), forwarding and hyper's server (I/O) |
//! | [`conformance`] | `doh check`: RFC 8484 clause by clause — the verdicts (sans-I/O) and the requests (through [`client`]) |
//!
//! Everything but [`client`], [`server::forward`], [`server::http`] and [`conformance::run`]
//! is sans-I/O.
#![forbid(unsafe_code)]

pub mod answer;
pub mod cache;
pub mod check;
pub mod client;
pub mod conformance;
pub mod dnssec;
pub mod error;
pub mod idn;
pub mod input;
pub mod query;
pub mod server;
pub mod wire;

pub use error::{Error, Result};
