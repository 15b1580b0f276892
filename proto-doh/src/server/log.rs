//! The access log: one JSON object per request (NDJSON), written and flushed as each answer
//! goes out.

use std::io::Write;
use std::sync::Mutex;

/// One request, as logged.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    /// The record kind of the line: always `request`.
    pub record: &'static str,
    /// RFC 3339 UTC with milliseconds.
    pub time: String,
    /// The client's address and port.
    pub client: String,
    /// `GET`, `POST`, …
    pub method: String,
    /// `HTTP/2`, `HTTP/1.1`.
    pub version: String,
    /// The request path (without the query string).
    pub path: String,
    /// The HTTP status sent.
    pub status: u16,
    /// The question's name, when the request held a DNS query.
    pub qname: Option<String>,
    /// The question's type (mnemonic).
    pub qtype: Option<String>,
    /// The DNS response code (mnemonic).
    pub rcode: Option<String>,
    /// Octets of the response body.
    pub bytes: usize,
    /// From the request head to the response, milliseconds.
    pub latency_ms: f64,
    /// Why the request was refused or the answer is SERVFAIL.
    pub error: Option<LogError>,
}

/// Why a request was refused (`layer` `http`) or answered SERVFAIL (`layer` `upstream`), in the
/// five keys every error of the project's JSON has.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogError {
    /// `http` or `upstream`.
    pub layer: &'static str,
    /// The header or parameter it is about, when one.
    pub field: Option<&'static str>,
    /// Always null: no byte offset to give.
    pub offset: Option<u64>,
    /// The reason, as the response body says it.
    pub message: String,
    /// The section the refusal follows, when one.
    pub rfc: Option<&'static str>,
}

impl LogError {
    /// A refusal with HTTP status `status`.
    pub fn http(status: u16, message: String) -> LogError {
        let rfc = match status {
            400 | 415 => Some("RFC 8484 §4.1"),
            405 => Some("RFC 9110 §15.5.6"),
            413 => Some("RFC 9110 §15.5.14"),
            429 => Some("RFC 6585 §4"),
            _ => None,
        };
        LogError {
            layer: "http",
            field: None,
            offset: None,
            message,
            rfc,
        }
    }

    /// An upstream failure (the answer is SERVFAIL).
    pub fn upstream(message: String) -> LogError {
        LogError {
            layer: "upstream",
            field: None,
            offset: None,
            message,
            rfc: None,
        }
    }
}

/// Where entries go.
pub struct AccessLog {
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessLog").finish_non_exhaustive()
    }
}

impl AccessLog {
    /// Entries go to `out`, one line each, flushed.
    pub fn new(out: Box<dyn Write + Send>) -> AccessLog {
        AccessLog {
            out: Mutex::new(out),
        }
    }

    /// Writes one entry; a failed write (a closed pipe, a full disk) drops it.
    pub fn write(&self, e: &Entry) {
        let Ok(mut line) = serde_json::to_vec(e) else {
            return;
        };
        line.push(b'\n');
        if let Ok(mut out) = self.out.lock() {
            let _ = out.write_all(&line).and_then(|()| out.flush());
        }
    }
}

/// Now as RFC 3339 UTC with milliseconds ("2026-12-07T16:34:19.123Z").
pub fn now_rfc3339() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(0);
    let s = crate::client::rfc3339(secs);
    format!("{}.{:03}Z", s.trim_end_matches('Z'), d.subsec_millis())
}
