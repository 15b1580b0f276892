//! Response checks before a body is read as DNS (RFC 8484 §4.2.1): a non-2xx status is an HTTP
//! error, never a DNS answer; the media type must be the one asked for; the body must be a
//! plausible DNS message size.

use crate::error::{Error, Result};
use crate::wire::{DNS_JSON, DNS_MESSAGE};

/// What the checks need to know about an HTTP response.
#[derive(Debug, Clone, Copy)]
pub struct HttpFacts<'a> {
    pub status: u16,
    /// The Content-Type header value, if any.
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// The request asked for `application/dns-json` (the JSON API).
    pub json_api: bool,
}

/// The media type of a Content-Type value without parameters (RFC 9110 §8.3.1: type and
/// subtype are case-insensitive — compare with `eq_ignore_ascii_case`; `; charset=…` and other
/// parameters are ignored).
fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or("").trim()
}

/// RFC 8484 §4.2.1 response handling: Ok when the body can be read as the answer asked for.
pub fn check_response(f: &HttpFacts<'_>) -> Result<()> {
    if !(200..300).contains(&f.status) {
        let reason = http::StatusCode::from_u16(f.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("(no standard reason)");
        return Err(Error::HttpStatus {
            status: f.status,
            reason: reason.to_string(),
            summary: body_summary(f.body),
        });
    }
    let expected = if f.json_api { DNS_JSON } else { DNS_MESSAGE };
    let ok = match f.content_type.map(media_type) {
        Some(t) if t.eq_ignore_ascii_case(expected) => true,
        // The JSON API is served as application/json by some resolvers (Google without `ct`).
        Some(t) if t.eq_ignore_ascii_case("application/json") => f.json_api,
        _ => false,
    };
    if !ok {
        return Err(Error::ContentType {
            got: match f.content_type {
                Some(v) => format!("{:?}", v.trim()),
                None => "(none: no Content-Type header)".into(),
            },
            expected: expected.to_string(),
        });
    }
    if f.body.is_empty() {
        return Err(Error::EmptyBody { status: f.status });
    }
    if !f.json_api && f.body.len() > usize::from(u16::MAX) {
        return Err(Error::TooLarge { size: f.body.len() });
    }
    Ok(())
}

/// One printable line of at most 200 characters telling what a body holds: its text (HTML tags
/// dropped, whitespace collapsed, control characters removed), or its size when it is binary.
pub fn body_summary(body: &[u8]) -> String {
    const MAX: usize = 200;
    if body.is_empty() {
        return "(empty body)".into();
    }
    let text = String::from_utf8_lossy(body);
    let binary = text
        .chars()
        .filter(|c| *c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()))
        .count();
    if binary * 10 > text.chars().count() {
        return format!("({} octets of binary data)", body.len());
    }
    let mut out = String::new();
    let mut in_tag = false;
    let mut space = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                space = true;
            }
            _ if in_tag => {}
            c if c.is_whitespace() => space = true,
            c if c.is_control() => {}
            c => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.push(c);
            }
        }
    }
    if out.is_empty() {
        return format!("({} octets, no text)", body.len());
    }
    if out.chars().count() > MAX {
        let cut: String = out.chars().take(MAX - 1).collect();
        return format!("{cut}…");
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn facts<'a>(status: u16, ct: Option<&'a str>, body: &'a [u8]) -> HttpFacts<'a> {
        HttpFacts {
            status,
            content_type: ct,
            body,
            json_api: false,
        }
    }

    #[test]
    fn non_2xx_is_an_http_error_with_a_summary() {
        let e = check_response(&facts(
            404,
            Some("text/html"),
            b"<html><body><h1>Not   Found</h1>\n<p>no such path</p></body></html>",
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "HTTP 404 Not Found from the server: Not Found no such path"
        );
        // Even a body that is a perfectly good DNS message is not read as one.
        let e = check_response(&facts(500, Some(DNS_MESSAGE), &[0; 40])).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "HTTP 500 Internal Server Error from the server: (40 octets of binary data)"
            ),
            "{e}"
        );
        let e = check_response(&facts(415, None, b"")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "HTTP 415 Unsupported Media Type from the server: (empty body)"
        );
        let e = check_response(&facts(599, None, b"x")).unwrap_err();
        assert!(e.to_string().contains("599 (no standard reason)"), "{e}");
    }

    #[test]
    fn content_type() {
        assert!(check_response(&facts(200, Some("application/dns-message"), &[0; 12])).is_ok());
        assert!(check_response(&facts(
            200,
            Some("Application/DNS-Message ; charset=utf-8"),
            &[0; 12]
        ))
        .is_ok());
        let e =
            check_response(&facts(200, Some("text/html; charset=utf-8"), b"<html>")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the server answered with content type \"text/html; charset=utf-8\", expected application/dns-message"
        );
        let e = check_response(&facts(200, None, &[0; 12])).unwrap_err();
        assert!(e.to_string().contains("no Content-Type"), "{e}");
        let mut f = facts(200, Some("application/dns-json"), b"{}");
        f.json_api = true;
        assert!(check_response(&f).is_ok());
        f.content_type = Some("application/json; charset=UTF-8");
        assert!(check_response(&f).is_ok());
        f.content_type = Some("application/dns-message");
        assert!(check_response(&f).is_err());
        // application/json is not a DNS message.
        assert!(check_response(&facts(200, Some("application/json"), b"{}")).is_err());
    }

    #[test]
    fn sizes() {
        let e = check_response(&facts(200, Some(DNS_MESSAGE), b"")).unwrap_err();
        assert!(matches!(e, Error::EmptyBody { status: 200 }));
        let big = vec![0u8; 65536];
        let e = check_response(&facts(200, Some(DNS_MESSAGE), &big)).unwrap_err();
        assert!(e.to_string().contains("65536 octets"), "{e}");
        assert!(check_response(&facts(200, Some(DNS_MESSAGE), &big[..65535])).is_ok());
    }

    #[test]
    fn summaries() {
        let long = "x".repeat(500);
        let s = body_summary(long.as_bytes());
        assert_eq!(s.chars().count(), 200);
        assert!(s.ends_with('…'));
        assert_eq!(body_summary(b"bad request\r\n\x1b[31m"), "bad request [31m");
        assert_eq!(body_summary(b"<p></p>"), "(7 octets, no text)");
    }
}
