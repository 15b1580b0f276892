//! Byte strings as one lowercase hex string in serialised output, for
//! `#[serde_as(as = "Hex")]`: the same text as `serde_with::hex::Hex`, written
//! without building a `String` for every field.
//!
//! Written by hand: serde_with's adapter allocates the whole hex string before handing it to the
//! serialiser, and `--json` output writes one for every key, MIC, nonce, IE content and key
//! exchange of a capture.

use std::fmt;

use serde::Serializer;
use serde_with::SerializeAs;

/// Lowercase hex, no separators.
#[derive(Debug, Clone, Copy)]
pub struct Hex;

impl<T: AsRef<[u8]>> SerializeAs<T> for Hex {
    fn serialize_as<S: Serializer>(source: &T, s: S) -> Result<S::Ok, S::Error> {
        serialize(source.as_ref(), s)
    }
}

/// Encodes `bytes` into the front of `buf` (which holds at least twice as many octets) with the
/// hex crate's encoder; "" if it does not fit (callers size `buf` so that it does).
fn encode<'b>(bytes: &[u8], buf: &'b mut [u8]) -> &'b str {
    let Some(out) = buf.get_mut(..2 * bytes.len()) else {
        return "";
    };
    if hex::encode_to_slice(bytes, out).is_err() {
        return "";
    }
    // Only ASCII hex digits were written.
    std::str::from_utf8(out).unwrap_or_default()
}

/// `bytes` as one lowercase hex string: short ones from a stack buffer, longer ones in chunks.
pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 256];
    if bytes.len() <= buf.len() / 2 {
        s.serialize_str(encode(bytes, &mut buf))
    } else {
        s.collect_str(&Chunks(bytes))
    }
}

/// Hex through `Display`, a few long writes at a time.
struct Chunks<'a>(&'a [u8]);

impl fmt::Display for Chunks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 512];
        for chunk in self.0.chunks(buf.len() / 2) {
            f.write_str(encode(chunk, &mut buf))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stack_and_chunked_encodings_are_the_hex_crates() {
        let bytes: Vec<u8> = (0..=255u8).chain(0..=255).collect();
        let mut buf = [0u8; 512];
        assert_eq!(
            super::encode(&bytes[..200], &mut buf),
            hex::encode(&bytes[..200])
        );
        assert_eq!(super::encode(&bytes[..300], &mut buf), "", "does not fit");
        assert_eq!(super::Chunks(&bytes).to_string(), hex::encode(&bytes));
    }
}
