//! A DNS-over-HTTPS server (RFC 8484) for labs and test benches: authoritative answers from a
//! zone file, or forwarding to a Do53 resolver, over HTTP/2 and HTTP/1.1 on TLS (ALPN) or in
//! cleartext.
//!
//! | module | role | I/O |
//! |---|---|---|
//! | [`request`] | RFC 8484 §4.1 routing: GET `?dns=`, POST, the statuses 400/404/405/413/415 | none |
//! | [`zone`] | authoritative answers from an RFC 1035 zone file (hickory's parser) | none |
//! | [`response`] | RFC 8467 padding of the answer, RFC 8484 §5.1 `Cache-Control: max-age` | none |
//! | [`forward`] | Do53 forwarding: UDP, TCP when truncated | sockets |
//! | [`tls`] | the certificate: given PEM files, or a self-signed one made by rcgen | files |
//! | [`http`] | hyper's HTTP/1.1 and HTTP/2 server over tokio-rustls, with its limits | sockets |
//! | `h3` | HTTP/3 (RFC 9114) over quinn's QUIC: the same requests, the same limits | sockets |
//! | [`log`] | the NDJSON access log | a writer |
//!
//! ```text
//!  TCP ─ TLS (ALPN h2 | http/1.1) ─ hyper ─► request::route ─► Zone::answer | Upstream::forward
//!                                     ◄── 200 + response::finish (padding, max-age) ◄──┘
//! ```

pub mod forward;
mod h3;
pub mod http;
pub mod log;
pub mod request;
pub mod response;
pub mod tls;
pub mod zone;

use std::sync::Arc;

use hickory_proto::op::{Message, ResponseCode};

pub use forward::Upstream;
pub use http::{Limits, ServeConfig, Server};
pub use zone::Zone;

/// Where answers come from.
#[derive(Debug, Clone)]
pub enum Backend {
    /// Authoritative for one zone.
    Zone(Arc<Zone>),
    /// Forward to a Do53 resolver.
    Upstream(Arc<Upstream>),
}

impl Backend {
    /// The answer to `query`; SERVFAIL when the upstream fails (with the reason).
    pub async fn resolve(&self, query: &Message) -> (Message, Option<String>) {
        match self {
            Backend::Zone(z) => (z.answer(query), None),
            Backend::Upstream(u) => match u.forward(query).await {
                Ok(m) => (m, None),
                Err(e) => {
                    let mut m = zone::response_to(query);
                    m.set_response_code(ResponseCode::ServFail);
                    (m, Some(e))
                }
            },
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Zone(z) => write!(f, "zone {z}"),
            Backend::Upstream(u) => write!(f, "forwarding to {} (UDP, TCP on TC)", u.addr),
        }
    }
}
