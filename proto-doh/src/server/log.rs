//! The access log: one JSON object per request (NDJSON), written and flushed as each answer
//! goes out.

use std::io::Write;
use std::sync::Mutex;

/// One request, as logged.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
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
    pub error: Option<String>,
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
