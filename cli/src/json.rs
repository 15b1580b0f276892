//! What every command's `--json` output shares (`docs/json.md`): the one shape of a failure or a
//! warning, and the helpers that write typed records straight into the output writer.

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};

/// A failure (the top-level `error` of a record that counts as failed) or a warning (an item of
/// `warnings`): the same five keys everywhere.
///
/// - `layer`: which layer or stage found it (`mac`, `iphc`, `ikev2`, `sk`, `link`, `dns`, …);
/// - `field`: the field it names, or null when the problem is not about one field;
/// - `offset`: the absolute byte offset where the field starts, counted from the first byte of
///   the 802.15.4 frame (6lo) or of the IKE message header (ikev2), or null;
/// - `message`: the whole text, as the text output prints it;
/// - `rfc`: the specification section the rule comes from (`RFC 6282 §3.1.1`), or null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub layer: Cow<'static, str>,
    pub field: Option<Cow<'static, str>>,
    pub offset: Option<u64>,
    pub message: String,
    pub rfc: Option<Cow<'static, str>>,
}

impl Problem {
    /// A problem that names no field and no offset.
    pub fn plain(
        layer: &'static str,
        message: impl Into<String>,
        rfc: Option<&'static str>,
    ) -> Self {
        Problem {
            layer: Cow::Borrowed(layer),
            field: None,
            offset: None,
            message: message.into(),
            rfc: rfc.map(Cow::Borrowed),
        }
    }
}

/// The first `RFC NNNN` (with its ` §N.N` when one follows) that `text` cites, if any.
///
/// Written by hand: a regex crate for one fixed pattern over error messages is not worth it.
pub fn rfc_cited(text: &str) -> Option<String> {
    let start = text.find("RFC ")?;
    let rest = &text[start + 4..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return rfc_cited(rest);
    }
    let mut end = start + 4 + digits;
    if let Some(sec) = text[end..].strip_prefix(" §") {
        let n = sec
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        // A trailing dot ends the sentence, not the section.
        let n = sec[..n].trim_end_matches('.').len();
        if n > 0 {
            end += " §".len() + n;
        }
    }
    Some(text[start..end].to_owned())
}

/// A capture timestamp as the JSON string `"SECONDS.NANOSECONDS"`, written without a
/// temporary `String`.
#[derive(Debug, Clone, Copy)]
pub struct Time(pub ietfwg_capture::Timestamp);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // `Timestamp`'s `Display` (`{secs}.{nanos:09}`) without `core::fmt`: itoa's digits
        // into a stack buffer, handed over as one string.
        let mut buf = [b'0'; 32];
        let mut b = itoa::Buffer::new();
        let secs = b.format(self.0.secs).as_bytes();
        buf[..secs.len()].copy_from_slice(secs);
        let mut len = secs.len();
        buf[len] = b'.';
        len += 1;
        let mut b = itoa::Buffer::new();
        let ns = b.format(self.0.nanos).as_bytes();
        // Zero-padded to nine digits (the buffer is filled with '0').
        let pad = 9usize.saturating_sub(ns.len());
        buf[len + pad..len + pad + ns.len()].copy_from_slice(ns);
        len += pad + ns.len();
        s.serialize_str(std::str::from_utf8(&buf[..len]).unwrap_or_default())
    }
}

/// Bytes as one lowercase hex string.
#[derive(Debug, Clone, Copy)]
pub struct Hex<'a>(pub &'a [u8]);

impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ietfwg_report::hex::serialize(self.0, s)
    }
}

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        // In chunks, so that the formatter sees few, long writes.
        let mut buf = [0u8; 256];
        for chunk in self.0.chunks(buf.len() / 2) {
            for (i, b) in chunk.iter().enumerate() {
                buf[2 * i] = DIGITS[usize::from(b >> 4)];
                buf[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
            }
            let s = std::str::from_utf8(&buf[..2 * chunk.len()]).map_err(|_| fmt::Error)?;
            f.write_str(s)?;
        }
        Ok(())
    }
}

/// Serialises a value through its `Display` (addresses, ports).
#[derive(Debug, Clone, Copy)]
pub struct Shown<T>(pub T);

impl<T: fmt::Display> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_citations_are_found() {
        assert_eq!(
            rfc_cited("x (RFC 6282 §4.3.2) y").as_deref(),
            Some("RFC 6282 §4.3.2")
        );
        assert_eq!(rfc_cited("see RFC 7296.").as_deref(), Some("RFC 7296"));
        assert_eq!(
            rfc_cited("RFC 4944 §5.3. Next").as_deref(),
            Some("RFC 4944 §5.3")
        );
        assert_eq!(rfc_cited("RFC x, RFC 8200").as_deref(), Some("RFC 8200"));
        assert_eq!(rfc_cited("no citation"), None);
    }

    #[test]
    fn times_are_written_as_display_writes_them() -> anyhow::Result<()> {
        for (secs, nanos) in [
            (0, 0),
            (1, 5),
            (1_700_000_000, 123_456_789),
            (u64::MAX, 999_999_999),
        ] {
            let ts = ietfwg_capture::Timestamp { secs, nanos };
            assert_eq!(serde_json::to_string(&Time(ts))?, format!("\"{ts}\""));
        }
        Ok(())
    }

    #[test]
    fn hex_is_lowercase_and_whole() -> anyhow::Result<()> {
        let bytes: Vec<u8> = (0..=255u8).chain(0..=255).collect();
        let s = serde_json::to_string(&Hex(&bytes))?;
        assert_eq!(s, format!("\"{}\"", hex::encode(&bytes)));
        Ok(())
    }
}
