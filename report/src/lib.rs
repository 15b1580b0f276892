//! What the protocol crates' typed reports share, so that each is written once: the field maps
//! behind `-x/--hexdump` ([`fields`]) and byte strings serialised as lowercase hex ([`hex`]).
//! `ietfwg-6lo` and `ietfwg-ikev2` build their reports with these, and the binary renders any
//! protocol's through them.

pub mod fields;
pub mod hex;
