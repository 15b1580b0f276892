//! RFC 8484 §4.1 as a server sees it: which requests carry a DNS query, and the HTTP status
//! of every other one. Sans-I/O: the request head (and then the body) in, a query or a
//! rejection out.
//!
//! | request | status |
//! |---|---|
//! | another path | 404 Not Found |
//! | a method other than GET and POST | 405 Method Not Allowed (`Allow: GET, POST`) |
//! | POST whose `Content-Type` is not `application/dns-message` | 415 Unsupported Media Type |
//! | POST whose body is over 65,535 octets (RFC 8484 §6) | 413 Content Too Large |
//! | GET without `dns` (nor `name` for the JSON API), `dns` not base64url without padding | 400 Bad Request |
//! | a body or `dns` value that is not a DNS query message | 400 Bad Request |

use hickory_proto::op::{Message, MessageType};
use hickory_proto::rr::{Name, RecordType};

use crate::wire;

/// The largest DNS message (RFC 8484 §6; RFC 1035 §4.2.2's 16-bit length).
pub const MAX_MESSAGE: usize = 65_535;

/// A request the server does not answer with DNS, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The HTTP status.
    pub status: u16,
    /// One line for the body and the access log.
    pub reason: String,
}

impl Reject {
    fn new(status: u16, reason: impl Into<String>) -> Reject {
        Reject {
            status,
            reason: reason.into(),
        }
    }
}

/// What the request head asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// A GET whose `dns` parameter held this DNS message.
    Get(Vec<u8>),
    /// A POST: the body is the DNS message (read it with at most [`MAX_MESSAGE`] octets).
    Post,
    /// The JSON API: `?name=&type=` (type A when absent).
    Json {
        /// The name asked.
        name: Name,
        /// The type asked.
        qtype: RecordType,
    },
}

/// The request head: what the server knows before reading the body.
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The path without the query.
    pub path: &'a str,
    /// The query string without `?`.
    pub query: Option<&'a str>,
    /// `Content-Type`.
    pub content_type: Option<&'a str>,
    /// `Content-Length`, when given.
    pub content_length: Option<u64>,
}

/// Routes the request head (RFC 8484 §4.1): the DoH endpoint is `endpoint`; the JSON API is
/// served only when `json_api`.
pub fn route(head: &Head<'_>, endpoint: &str, json_api: bool) -> Result<Wanted, Reject> {
    if head.path != endpoint {
        return Err(Reject::new(
            404,
            format!("no DoH endpoint at {} (it is {endpoint})", head.path),
        ));
    }
    match head.method {
        "GET" => {
            let Some(q) = head.query else {
                return Err(Reject::new(
                    400,
                    "GET without a query string: RFC 8484 §4.1 puts the message in ?dns=",
                ));
            };
            if let Some(dns) = param(q, "dns") {
                let msg = wire::from_base64url(dns)
                    .map_err(|e| Reject::new(400, format!("dns parameter: {e}")))?;
                if msg.len() > MAX_MESSAGE {
                    return Err(Reject::new(413, "dns parameter over 65,535 octets"));
                }
                return Ok(Wanted::Get(msg));
            }
            if let (true, Some(name)) = (json_api, param(q, "name")) {
                let name = percent_decode(name)
                    .ok_or_else(|| Reject::new(400, "name parameter: bad percent-encoding"))?;
                let name = crate::query::parse_name(&name)
                    .map_err(|e| Reject::new(400, format!("name parameter: {e}")))?;
                let qtype = match param(q, "type") {
                    None | Some("") => RecordType::A,
                    Some(t) => crate::query::parse_type(t)
                        .map_err(|e| Reject::new(400, format!("type parameter: {e}")))?,
                };
                return Ok(Wanted::Json { name, qtype });
            }
            Err(Reject::new(
                400,
                "GET without a dns parameter (RFC 8484 §4.1)",
            ))
        }
        "POST" => {
            let ct = head.content_type.map(media_type);
            if ct.as_deref() != Some(wire::DNS_MESSAGE) {
                return Err(Reject::new(
                    415,
                    format!(
                        "POST body of type {}: RFC 8484 §4.1 takes application/dns-message",
                        head.content_type.unwrap_or("(none)")
                    ),
                ));
            }
            if head.content_length.is_some_and(|n| n > MAX_MESSAGE as u64) {
                return Err(Reject::new(
                    413,
                    format!(
                        "a body of {} octets: a DNS message is at most 65,535 (RFC 8484 §6)",
                        head.content_length.unwrap_or_default()
                    ),
                ));
            }
            Ok(Wanted::Post)
        }
        m => Err(Reject::new(
            405,
            format!("method {m}: RFC 8484 §4.1 uses GET and POST"),
        )),
    }
}

/// Decodes the DNS message of a request: a query (QR clear) with at least a header. A
/// message that does not parse, or a response, is a 400.
pub fn parse_query(msg: &[u8]) -> Result<Message, Reject> {
    if msg.is_empty() {
        return Err(Reject::new(400, "empty DNS message"));
    }
    if msg.len() > MAX_MESSAGE {
        return Err(Reject::new(413, "DNS message over 65,535 octets"));
    }
    let m = Message::from_vec(msg).map_err(|e| {
        Reject::new(
            400,
            format!("not a DNS message ({} octets): {e}", msg.len()),
        )
    })?;
    if m.message_type() != MessageType::Query {
        return Err(Reject::new(400, "a DNS response (QR=1), not a query"));
    }
    Ok(m)
}

/// The media type without parameters, lowercase.
pub fn media_type(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The first value of a query parameter, as sent.
fn param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })
}

/// RFC 3986 percent-decoding (and `+` as space, as forms send it); None when malformed.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn head<'a>(method: &'a str, path: &'a str, query: Option<&'a str>) -> Head<'a> {
        Head {
            method,
            path,
            query,
            content_type: None,
            content_length: None,
        }
    }

    // RFC 8484 §4.1.1's first example, www.example.com A.
    const Q: &str = "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB";

    #[test]
    fn statuses() {
        let ep = "/dns-query";
        let st = |h: Head<'_>| route(&h, ep, true).map_err(|r| r.status);
        assert!(matches!(
            st(head("GET", ep, Some(&format!("dns={Q}")))),
            Ok(Wanted::Get(_))
        ));
        assert_eq!(
            st(head("GET", "/other", Some(&format!("dns={Q}")))),
            Err(404)
        );
        assert_eq!(st(head("PUT", ep, None)), Err(405));
        assert_eq!(st(head("DELETE", "/x", None)), Err(404));
        assert_eq!(st(head("GET", ep, None)), Err(400));
        assert_eq!(st(head("GET", ep, Some("dns="))), Err(400));
        assert_eq!(
            st(head("GET", ep, Some(&format!("dns={Q}==")))),
            Err(400),
            "padding"
        );
        assert_eq!(
            st(head("GET", ep, Some("dns=ab+/"))),
            Err(400),
            "standard base64"
        );
        assert_eq!(st(head("GET", ep, Some("foo=1"))), Err(400));
        let mut post = head("POST", ep, None);
        assert_eq!(st(post), Err(415));
        post.content_type = Some("text/plain");
        assert_eq!(st(post), Err(415));
        post.content_type = Some("Application/DNS-Message; charset=x");
        assert_eq!(st(post), Ok(Wanted::Post));
        post.content_length = Some(65_535);
        assert_eq!(st(post), Ok(Wanted::Post));
        post.content_length = Some(65_536);
        assert_eq!(st(post), Err(413));
    }

    #[test]
    fn json_api_only_when_enabled() {
        let h = head("GET", "/q", Some("name=www.example.com&type=AAAA"));
        match route(&h, "/q", true) {
            Ok(Wanted::Json { name, qtype }) => {
                assert_eq!(name.to_string(), "www.example.com.");
                assert_eq!(qtype, RecordType::AAAA);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(route(&h, "/q", false).unwrap_err().status, 400);
        let h = head("GET", "/q", Some("name=a&type=NOPE"));
        assert_eq!(route(&h, "/q", true).unwrap_err().status, 400);
    }

    #[test]
    fn messages() {
        let q = crate::wire::from_base64url(Q).unwrap();
        assert!(parse_query(&q).is_ok());
        assert_eq!(parse_query(&[]).unwrap_err().status, 400);
        assert_eq!(parse_query(&q[..5]).unwrap_err().status, 400);
        let mut r = q.clone();
        r[2] |= 0x80;
        assert_eq!(parse_query(&r).unwrap_err().status, 400);
        for n in 0..q.len() {
            let _ = parse_query(&q[..n]);
        }
    }

    #[test]
    fn percent() {
        assert_eq!(percent_decode("a%2Eb+c").as_deref(), Some("a.b c"));
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%zz"), None);
    }
}
