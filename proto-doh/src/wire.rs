//! The two forms of a DoH request (RFC 8484 §4.1): GET with the query in the `dns` variable as
//! base64url without padding (RFC 4648 §5), and POST with the raw message; the media types; the
//! URL of the JSON API some resolvers offer.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::{Error, Result};
use crate::query::{type_name, QueryOptions};

/// RFC 8484 §6: the media type of a DNS message in wire format.
pub const DNS_MESSAGE: &str = "application/dns-message";
/// The JSON API's media type (Google, Cloudflare: not an IETF standard).
pub const DNS_JSON: &str = "application/dns-json";

/// RFC 8484 §6: base64url (RFC 4648 §5) with the padding characters left out.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes the `dns` variable. Padding (`=`) and the characters of standard base64 (`+`, `/`)
/// are refused with a message that says which character, where, and what RFC 8484 wants.
pub fn from_base64url(s: &str) -> Result<Vec<u8>> {
    for (i, c) in s.char_indices() {
        let reason = match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' => continue,
            '=' => format!(
                "'=' at offset {i}: DoH's base64url has no padding (RFC 8484 §6); remove the trailing '='"
            ),
            '+' | '/' => format!(
                "'{c}' at offset {i} is standard base64 (RFC 4648 §4); base64url uses '-' and '_' instead of '+' and '/' (RFC 4648 §5)"
            ),
            c if c.is_whitespace() => format!("whitespace at offset {i} inside the base64url text"),
            c => format!("{c:?} at offset {i} is not in the base64url alphabet (A–Z a–z 0–9 - _)"),
        };
        return Err(Error::Base64(reason));
    }
    if s.is_empty() {
        return Err(Error::Base64("empty: no DNS message".into()));
    }
    URL_SAFE_NO_PAD.decode(s).map_err(|e| {
        Error::Base64(match e {
            base64::DecodeError::InvalidLength(n) => format!(
                "{n} characters: a length of 4k+1 cannot be base64url (truncated or one character too many)"
            ),
            base64::DecodeError::InvalidLastSymbol { offset, symbol, .. } => format!(
                "the last character {:?} at offset {offset} has non-zero unused bits: truncated or corrupted",
                char::from(symbol)
            ),
            other => other.to_string(),
        })
    })
}

/// The GET URL of a query: the server URL with `?dns=` (or `&dns=` when it already has a query
/// string) and the base64url of the message (RFC 8484 §4.1).
pub fn get_url(server: &str, wire: &[u8]) -> String {
    let sep = if server.ends_with('?') || server.ends_with('&') {
        ""
    } else if server.contains('?') {
        "&"
    } else {
        "?"
    };
    format!("{server}{sep}dns={}", base64url(wire))
}

/// Percent-encodes everything but RFC 3986 §2.3's unreserved characters. Written here because a
/// name's characters are ASCII (query names are A-labels) and this one rule is all that is needed.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The JSON API URL: `server?name=…&type=…` plus `&do=1` and `&cd=1` when asked (the parameters
/// Google's and Cloudflare's `application/dns-json` endpoints take).
pub fn json_api_url(server: &str, opts: &QueryOptions) -> String {
    let sep = if server.ends_with('?') || server.ends_with('&') {
        ""
    } else if server.contains('?') {
        "&"
    } else {
        "?"
    };
    let t = type_name(u16::from(opts.qtype));
    let t = if t.starts_with("TYPE") {
        u16::from(opts.qtype).to_string()
    } else {
        t
    };
    let mut url = format!(
        "{server}{sep}name={}&type={}",
        percent_encode(&opts.name),
        percent_encode(&t)
    );
    if opts.dnssec_ok {
        url.push_str("&do=1");
    }
    if opts.checking_disabled {
        url.push_str("&cd=1");
    }
    url
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use hickory_proto::rr::RecordType;

    #[test]
    fn rfc8484_examples() {
        // RFC 8484 §4.1.1, first and third examples.
        let q = hex::decode("00000100000100000000000003777777076578616d706c6503636f6d0000010001")
            .unwrap();
        assert_eq!(
            base64url(&q),
            "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB"
        );
        assert_eq!(
            from_base64url("AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB").unwrap(),
            q
        );
        let long = "AAABAAABAAAAAAAAAWE-NjJjaGFyYWN0ZXJsYWJlbC1tYWtlcy1iYXNlNjR1cmwtZGlzdGluY3QtZnJvbS1zdGFuZGFyZC1iYXNlNjQHZXhhbXBsZQNjb20AAAEAAQ";
        let bytes = from_base64url(long).unwrap();
        assert_eq!(bytes.len(), 94);
        assert_eq!(base64url(&bytes), long);
        assert_eq!(
            get_url("https://dnsserver.example.net/dns-query", &q),
            "https://dnsserver.example.net/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB"
        );
    }

    #[test]
    fn refusals_are_precise() {
        let e = from_base64url("AAAB==").unwrap_err().to_string();
        assert!(
            e.contains("'='") && e.contains("offset 4") && e.contains("no padding"),
            "{e}"
        );
        let e = from_base64url("AA+B").unwrap_err().to_string();
        assert!(
            e.contains("'+' at offset 2") && e.contains("standard base64"),
            "{e}"
        );
        let e = from_base64url("AA/B").unwrap_err().to_string();
        assert!(e.contains("'/' at offset 2"), "{e}");
        let e = from_base64url("AA*B").unwrap_err().to_string();
        assert!(e.contains("'*' at offset 2"), "{e}");
        let e = from_base64url("AAAAA").unwrap_err().to_string();
        assert!(e.contains("5 characters"), "{e}");
        let e = from_base64url("AB").unwrap_err().to_string();
        assert!(e.contains("non-zero unused bits"), "{e}");
        assert!(from_base64url("").is_err());
    }

    #[test]
    fn get_url_with_existing_query() {
        assert_eq!(get_url("https://h/q?x=1", &[0]), "https://h/q?x=1&dns=AA");
        assert_eq!(get_url("https://h/q?", &[0]), "https://h/q?dns=AA");
    }

    #[test]
    fn json_api() {
        let mut o = QueryOptions::new("example.com", RecordType::AAAA);
        assert_eq!(
            json_api_url("https://dns.google/resolve", &o),
            "https://dns.google/resolve?name=example.com&type=AAAA"
        );
        o.name = "a b&c=.example".into();
        o.qtype = RecordType::Unknown(65280);
        o.dnssec_ok = true;
        o.checking_disabled = true;
        assert_eq!(
            json_api_url("https://h/dns-query?ct=application/dns-json", &o),
            "https://h/dns-query?ct=application/dns-json&name=a%20b%26c%3D.example&type=65280&do=1&cd=1"
        );
    }
}
