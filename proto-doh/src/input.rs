//! A DNS message handed over as raw octets, hex or base64url (the `dns` variable of a GET
//! request, RFC 8484 §4.1), told or auto-detected.

use crate::error::{Error, Result};
use crate::wire::from_base64url;

/// How the input is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Hex when the input is only hex digits and whitespace (an even number of digits),
    /// base64url when it is only printable ASCII, otherwise the raw message.
    Auto,
    Binary,
    Hex,
    Base64url,
}

/// Hex digits with any whitespace between them (as `xxd -p` or a hex dump column gives them).
fn from_hex(raw: &[u8]) -> Result<Vec<u8>> {
    let mut digits = Vec::with_capacity(raw.len());
    for (i, &b) in raw.iter().enumerate() {
        if b.is_ascii_hexdigit() {
            digits.push(b);
        } else if !b.is_ascii_whitespace() {
            return Err(Error::Hex(format!(
                "{} at offset {i} is not a hex digit",
                describe(b)
            )));
        }
    }
    if digits.is_empty() {
        return Err(Error::Hex("no hex digits: no DNS message".into()));
    }
    if digits.len() % 2 != 0 {
        return Err(Error::Hex(format!(
            "{} hex digits: an odd count cannot be whole octets",
            digits.len()
        )));
    }
    hex::decode(&digits).map_err(|e| Error::Hex(e.to_string()))
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("{:?}", char::from(b))
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// The message octets. Text forms have leading and trailing whitespace trimmed (a trailing
/// newline from `echo` is fine); binary is taken as is.
pub fn decode_input(raw: &[u8], format: InputFormat) -> Result<Vec<u8>> {
    let trimmed = raw.trim_ascii();
    match format {
        InputFormat::Binary => {
            if raw.is_empty() {
                return Err(Error::Input("empty input: no DNS message".into()));
            }
            Ok(raw.to_vec())
        }
        InputFormat::Hex => from_hex(trimmed),
        InputFormat::Base64url => {
            let s = std::str::from_utf8(trimmed).map_err(|e| {
                Error::Base64(format!(
                    "byte 0x{:02x} at offset {} is not in the base64url alphabet",
                    trimmed[e.valid_up_to()],
                    e.valid_up_to()
                ))
            })?;
            from_base64url(s)
        }
        InputFormat::Auto => {
            if trimmed.is_empty() {
                return Err(Error::Input(
                    "empty input (or only whitespace): no DNS message".into(),
                ));
            }
            let hexlike = trimmed
                .iter()
                .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace());
            let digits = trimmed.iter().filter(|b| b.is_ascii_hexdigit()).count();
            if hexlike && digits % 2 == 0 {
                return from_hex(trimmed);
            }
            // A DNS message starts with its ID and flags, so a raw one is practically never
            // printable text: printable input is base64url, and the base64url decoder says
            // precisely what is wrong with it (padding, '+' or '/', a stray character).
            if trimmed.iter().all(|b| b.is_ascii_graphic()) {
                return decode_input(trimmed, InputFormat::Base64url);
            }
            Ok(raw.to_vec())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    const RFC8484_HEX: &str = "00000100000100000000000003777777076578616d706c6503636f6d0000010001";
    const RFC8484_B64: &str = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";

    #[test]
    fn auto_detection() {
        let want = hex::decode(RFC8484_HEX).unwrap();
        assert_eq!(
            decode_input(RFC8484_HEX.as_bytes(), InputFormat::Auto).unwrap(),
            want
        );
        let spaced = "00 00 01 00 00 01 00 00  00 00 00 00 03 77 77 77\n07 65 78 61 6d 70 6c 65  03 63 6f 6d 00 00 01 00\n01\n";
        assert_eq!(
            decode_input(spaced.as_bytes(), InputFormat::Auto).unwrap(),
            want
        );
        let b64 = format!("{RFC8484_B64}\n");
        assert_eq!(
            decode_input(b64.as_bytes(), InputFormat::Auto).unwrap(),
            want
        );
        assert_eq!(decode_input(&want, InputFormat::Auto).unwrap(), want);
        // A binary message whose last octet is whitespace is not trimmed.
        let mut raw = want.clone();
        raw.push(b'\n');
        assert_eq!(decode_input(&raw, InputFormat::Auto).unwrap(), raw);
    }

    #[test]
    fn auto_gives_base64_errors_for_printable_text() {
        let e = decode_input(
            b"AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB==",
            InputFormat::Auto,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("'=' at offset 44"), "{e}");
        let e = decode_input(b"AA+BAAAB", InputFormat::Auto)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'+' at offset 2"), "{e}");
        assert!(decode_input(b"  \n", InputFormat::Auto).is_err());
    }

    #[test]
    fn told_formats() {
        let e = decode_input(b"0001 02x3", InputFormat::Hex)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "hex: 'x' at offset 7 is not a hex digit");
        let e = decode_input(b"000", InputFormat::Hex)
            .unwrap_err()
            .to_string();
        assert!(e.contains("3 hex digits"), "{e}");
        assert!(decode_input(b"", InputFormat::Binary).is_err());
        assert_eq!(decode_input(b" ab ", InputFormat::Binary).unwrap(), b" ab ");
        let e = decode_input(b"AA\xffB", InputFormat::Base64url)
            .unwrap_err()
            .to_string();
        assert!(e.contains("0xff at offset 2"), "{e}");
        // Hex digits only, told base64url: decoded as base64url.
        assert_eq!(
            decode_input(b"AAAA", InputFormat::Base64url).unwrap(),
            vec![0, 0, 0]
        );
    }
}
