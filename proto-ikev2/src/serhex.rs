//! Byte strings serialise as lowercase hex (the project's JSON convention).

use serde::Serializer;

/// `#[serde(serialize_with = "crate::serhex::bytes")]` for `Vec<u8>`, `&[u8]` and arrays.
pub fn bytes<S: Serializer, T: AsRef<[u8]>>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_hex(v.as_ref()))
}

/// Same, for `Option<…>` byte strings (None serialises as null).
pub fn opt_bytes<S: Serializer, T: AsRef<[u8]>>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(b) => s.serialize_str(&to_hex(b.as_ref())),
        None => s.serialize_none(),
    }
}

/// Lowercase hex of `b`.
pub fn to_hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(b.len() * 2);
    for &x in b {
        out.push(char::from(DIGITS[usize::from(x >> 4)]));
        out.push(char::from(DIGITS[usize::from(x & 0x0f)]));
    }
    out
}
