//! Errors of the DoH client: each message says what failed, where, and what to check.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// What went wrong connecting to a DoH server or exchanging a request with it.
///
/// An HTTP status that is not 2xx is *not* an error here: the [`Response`](super::Response)
/// carries it, and the checks of [`crate::check`] judge it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server URL cannot be used.
    #[error("server URL {url:?} is not usable: {reason}")]
    Url {
        /// The URL as given.
        url: String,
        /// Why.
        reason: String,
    },
    /// A `-H` header or `--user-agent` that is not a valid HTTP field.
    #[error("header {header:?} is not usable: {reason}")]
    Header {
        /// The header as given.
        header: String,
        /// Why.
        reason: String,
    },
    /// The `--cacert` file cannot be read or holds no usable certificate.
    #[error("CA file {}: {reason}", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Building the TLS configuration failed (no trust anchors at all, for instance).
    #[error("TLS configuration: {reason}")]
    TlsConfig {
        /// Why.
        reason: String,
    },
    /// The DNS lookup of the server name failed or gave no address.
    #[error("cannot resolve server name {host}: {reason} — check the name, or give its address with --resolve {host}:IP")]
    Resolve {
        /// The server name.
        host: String,
        /// Why.
        reason: String,
    },
    /// The TCP connection was refused or failed.
    #[error("cannot connect to {addr} ({host}): {source} — is a DoH server listening there?")]
    Connect {
        /// The address tried (the last one when there were several).
        addr: SocketAddr,
        /// The server name from the URL.
        host: String,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// The TLS handshake failed; `reason` is in plain words (untrusted or misnamed
    /// certificate, ALPN refused, not a TLS server…).
    #[error("TLS with {addr} ({host}): {reason}")]
    Tls {
        /// The server address.
        addr: SocketAddr,
        /// The server name from the URL.
        host: String,
        /// What happened and what to do about it.
        reason: String,
    },
    /// A phase did not finish in time.
    #[error("{phase} timed out after {}", human(*after))]
    Timeout {
        /// What was running: "TLS handshake with 127.0.0.1:443 (localhost)", …
        phase: String,
        /// The limit that ran out.
        after: Duration,
    },
    /// The HTTP exchange failed (connection closed, stream reset, protocol error…).
    #[error("{request}: {reason}")]
    Http {
        /// The request: "HTTP/2 POST https://host/dns-query".
        request: String,
        /// What happened.
        reason: String,
    },
    /// The response body is larger than the client accepts.
    #[error("{request}: the response body exceeds {limit} octets")]
    BodyTooLarge {
        /// The request.
        request: String,
        /// The cap.
        limit: usize,
    },
}

/// "5 s", "1.5 s", "250 ms".
pub(crate) fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// An error and its sources on one line: "a: b: c" (hyper's own message is terse; the source
/// names the HTTP/2 reason or the socket error).
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        cur = e.source();
    }
    out
}
