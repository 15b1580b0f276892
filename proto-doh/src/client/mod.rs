//! The DoH client: hyper over tokio-rustls, one connection per [`Client`] reused for every
//! request, with the timing of each phase and the TLS details of the session.
//!
//! ```text
//!  Client::connect ── DNS lookup (tokio, unless --resolve or an IP) ── TCP ── TLS (ALPN h2 |
//!  http/1.1) ── HTTP/2 handshake (or HTTP/1.1) ──► one connection
//!  Client::query   ── POST body | GET ?dns= ──► Response { status, version, headers, body,
//!                                                         ttfb, total }
//! ```
//!
//! RFC 8484 §5.2 recommends HTTP/2; it is the default, and requests issued concurrently
//! (cloned [`Client`]s, `join`, spawned tasks) are multiplexed as streams over the one
//! connection. Over HTTP/1.1 they are serialised on it. `http://` URLs are served in
//! cleartext (HTTP/2 with prior knowledge, RFC 9113 §3.3), for local test servers.
//!
//! HTTP/3 (RFC 9114, `--http3`) runs over QUIC (RFC 9000) with quinn and h3 instead: the QUIC
//! handshake carries TLS 1.3 (RFC 9001), ALPN "h3", and requests are QUIC streams
//! ([`h3`](self::h3) module). 0-RTT (RFC 9001 §4.6) is used only when asked
//! ([`ClientConfig::zero_rtt`]), and then only GET goes in early data.
//!
//! The client moves bytes: building and judging DNS messages is the sans-I/O modules' work.
//! An HTTP status that is not 2xx is returned in the [`Response`], not as an error.

mod connect;
mod error;
pub(crate) mod frames;
mod h3;
mod http;
pub mod load;
mod quic_hello;
mod tls;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

pub use error::ClientError;
pub use h3::{HandshakeWatch, Settled};
pub(crate) use tls::rfc3339;
pub use tls::{cert_info, spki_pin, CertInfo, TlsInfo};

/// The largest response body collected; beyond it the request fails. (A DNS message is at
/// most 65535 octets; JSON API answers are text and may be longer.)
pub const MAX_BODY: usize = 1 << 20;

/// The HTTP version to speak, chosen by ALPN (RFC 7301) over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum HttpVersion {
    /// HTTP/2 (ALPN "h2"), the default (RFC 8484 §5.2).
    #[serde(rename = "HTTP/2")]
    Http2,
    /// HTTP/1.1 (ALPN "http/1.1").
    #[serde(rename = "HTTP/1.1")]
    Http11,
    /// HTTP/3 over QUIC (ALPN "h3", RFC 9114 §3.1).
    #[serde(rename = "HTTP/3")]
    Http3,
}

impl HttpVersion {
    /// The ALPN protocol identifier.
    pub fn alpn(self) -> &'static str {
        match self {
            HttpVersion::Http2 => "h2",
            HttpVersion::Http11 => "http/1.1",
            HttpVersion::Http3 => "h3",
        }
    }
}

impl std::fmt::Display for HttpVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HttpVersion::Http2 => "HTTP/2",
            HttpVersion::Http11 => "HTTP/1.1",
            HttpVersion::Http3 => "HTTP/3",
        })
    }
}

/// The two request forms of RFC 8484 §4.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// The DNS message as the body, `Content-Type: application/dns-message`.
    Post,
    /// The DNS message base64url-encoded without padding in the `dns` query parameter.
    Get,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Post => "POST",
            Method::Get => "GET",
        })
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://host[:port]/path`; `http://` for cleartext (HTTP/2 with prior knowledge).
    pub url: String,
    /// HTTP/2 by default.
    pub http: HttpVersion,
    /// `--resolve HOST:IP`: addresses used instead of a DNS lookup (port from the URL).
    pub resolve: Vec<(String, IpAddr)>,
    /// Name for SNI, certificate verification and `:authority`/Host, when the URL holds an
    /// IP address (or a name other than the certificate's).
    pub tls_name: Option<String>,
    /// PEM bundle of CA certificates replacing the system roots.
    pub cacert: Option<PathBuf>,
    /// Accept any certificate (the caller warns).
    pub insecure: bool,
    /// Extra headers on every request; one with the name of a default (Accept…) replaces it.
    pub headers: Vec<(String, String)>,
    /// None by default: RFC 8484 §8 advises against identifying headers.
    pub user_agent: Option<String>,
    /// Limit for each connect phase: DNS lookup, TCP connect, TLS handshake.
    pub connect_timeout: Duration,
    /// Limit for each request, from sending it to the end of the response body.
    pub request_timeout: Duration,
    /// HTTP/3 only: send requests as 0-RTT early data (RFC 9001 §4.6) when a resumable
    /// session of the same [`Connector`] allows it. Early data can be replayed, so only GET
    /// requests go in it; a POST waits for the handshake to complete. Off by default.
    pub zero_rtt: bool,
}

impl ClientConfig {
    /// Defaults: HTTP/2, system roots, 5 s per connect phase, 10 s per request.
    pub fn new(url: &str) -> ClientConfig {
        ClientConfig {
            url: url.to_string(),
            http: HttpVersion::Http2,
            resolve: Vec::new(),
            tls_name: None,
            cacert: None,
            insecure: false,
            headers: Vec::new(),
            user_agent: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            zero_rtt: false,
        }
    }
}

/// How long connecting took, phase by phase (`--timing`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConnectTiming {
    /// DNS lookup of the server name; None when `--resolve` or an IP address gave it.
    #[serde(rename = "dns_ms", serialize_with = "opt_ms")]
    pub dns: Option<Duration>,
    /// TCP connect; for HTTP/3 the QUIC handshake (the same as `quic`).
    #[serde(rename = "tcp_ms", serialize_with = "ms")]
    pub tcp: Duration,
    /// TLS handshake; None for `http://` and for HTTP/3 (whose TLS runs inside the QUIC
    /// handshake).
    #[serde(rename = "tls_ms", serialize_with = "opt_ms")]
    pub tls: Option<Duration>,
    /// HTTP/3: the QUIC handshake (transport and TLS 1.3 together, RFC 9001) until the
    /// connection could carry requests — with 0-RTT that is before the server has answered.
    #[serde(
        rename = "quic_ms",
        serialize_with = "opt_ms",
        skip_serializing_if = "Option::is_none"
    )]
    pub quic: Option<Duration>,
}

/// What became of 0-RTT on an HTTP/3 connection (RFC 9001 §4.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZeroRtt {
    /// Not asked for ([`ClientConfig::zero_rtt`] off, or not HTTP/3).
    Off,
    /// Asked for, but no resumable session with early data was at hand: a full handshake.
    Unavailable,
    /// Sent in early data, and the server accepted it.
    Accepted,
    /// Sent in early data, and the server rejected it: quinn sent the requests again after
    /// the handshake.
    Rejected,
}

/// One HTTP response, whatever its status.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// The version the response came in.
    pub version: HttpVersion,
    /// Lowercase names, in the order received (repeated names repeated).
    pub headers: Vec<(String, String)>,
    /// The body, at most [`MAX_BODY`] octets.
    #[serde(skip)]
    pub body: Bytes,
    /// From sending the request to the response headers.
    #[serde(rename = "ttfb_ms", serialize_with = "ms")]
    pub ttfb: Duration,
    /// From sending the request to the end of the body.
    #[serde(rename = "total_ms", serialize_with = "ms")]
    pub total: Duration,
}

impl Response {
    /// The first header of that name (case-insensitive), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of `Content-Type` without parameters, lowercase.
    pub fn content_type(&self) -> Option<String> {
        self.header("content-type").map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    }
}

fn ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
}

fn opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ms(d, s),
        None => s.serialize_none(),
    }
}

/// Opens connections to one server, all with one TLS configuration: its session cache lets
/// a later connection resume the session of an earlier one (RFC 8446 §2.2), as a resolver's
/// real clients do. Cloning is cheap.
#[derive(Clone)]
pub struct Connector {
    shared: Arc<Shared>,
}

struct Shared {
    cfg: ClientConfig,
    target: connect::Target,
    tls: Option<tls::Built>,
    extra: ::http::HeaderMap,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("url", &self.shared.target.url)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// Checks the URL, the headers and the TLS settings (`--cacert` is read here), without
    /// touching the network.
    pub fn new(cfg: ClientConfig) -> Result<Connector, ClientError> {
        let target = connect::Target::parse(&cfg)?;
        let extra = http::extra_headers(&cfg)?;
        let tls = connect::tls_config(&cfg, &target)?;
        Ok(Connector {
            shared: Arc::new(Shared {
                cfg,
                target,
                tls,
                extra,
            }),
        })
    }

    /// The server URL.
    pub fn url(&self) -> &str {
        &self.shared.target.url
    }

    /// Waits (at most `limit`) until a connection of this connector has received a TLS
    /// session ticket, so that the next connection can resume; at once in cleartext.
    pub async fn wait_session_ticket(&self, limit: Duration) {
        if let Some(t) = &self.shared.tls {
            t.sessions.wait_ticket(limit).await;
        }
    }

    /// Opens one more connection (DNS lookup, TCP, TLS, HTTP setup; each phase with the
    /// connect timeout).
    pub async fn connect(&self) -> Result<Client, ClientError> {
        let sh = &self.shared;
        let conn = connect::connect(&sh.cfg, &sh.target, sh.tls.as_ref()).await?;
        let label = |m: &str| {
            format!(
                "{} {m} {}://{}{}",
                conn.sender.version(),
                sh.target.scheme,
                sh.target.authority,
                sh.target.path_only()
            )
        };
        let labels = [label("POST"), label("GET")];
        let post_uri = http::request_uri(&sh.target, &conn.sender, &sh.target.path_and_query)?;
        Ok(Client {
            inner: Arc::new(Inner {
                target: sh.target.clone(),
                peer: conn.peer,
                timing: conn.timing,
                tls: conn.tls,
                resumed: conn.resumed,
                watch: conn.watch,
                tls_settled: std::sync::OnceLock::new(),
                base_headers: http::base_headers(&sh.target, &conn.sender, &sh.extra),
                post_headers: http::post_headers(http::base_headers(
                    &sh.target,
                    &conn.sender,
                    &sh.extra,
                )),
                sender: conn.sender,
                extra: sh.extra.clone(),
                request_timeout: sh.cfg.request_timeout,
                labels,
                post_uri,
            }),
        })
    }
}

/// A connection to one DoH server. Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    target: connect::Target,
    peer: SocketAddr,
    timing: ConnectTiming,
    tls: Option<TlsInfo>,
    resumed: Option<bool>,
    sender: http::Sender,
    watch: h3::HandshakeWatch,
    /// HTTP/3 with 0-RTT: `tls` with the version and cipher suite of the ServerHello that
    /// came after the connection was handed over.
    tls_settled: std::sync::OnceLock<TlsInfo>,
    extra: ::http::HeaderMap,
    request_timeout: Duration,
    /// "HTTP/2 POST https://host/path" and the GET one, for error messages.
    labels: [String; 2],
    /// The POST request's URI, made once.
    post_uri: ::http::Uri,
    /// Accept, Host (HTTP/1.1) and the `-H` headers: what every DNS-message request carries.
    base_headers: ::http::HeaderMap,
    /// `base_headers` and the POST body's Content-Type (unless `-H` gave one), made once.
    post_headers: ::http::HeaderMap,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.inner.target.url)
            .field("peer", &self.inner.peer)
            .field("version", &self.inner.sender.version())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Resolves, connects, does the TLS handshake and the HTTP/2 (or HTTP/1.1) setup. Each
    /// phase has `cfg.connect_timeout`.
    pub async fn connect(cfg: ClientConfig) -> Result<Client, ClientError> {
        Connector::new(cfg)?.connect().await
    }

    /// Whether the TLS handshake resumed an earlier session of the same [`Connector`];
    /// None in cleartext, and over HTTP/3 with 0-RTT until the server's ServerHello has come
    /// ([`Client::zero_rtt`] waits for it).
    pub fn resumed(&self) -> Option<bool> {
        self.inner
            .resumed
            .or_else(|| self.inner.watch.resumed_now())
    }

    /// What the handshake settles (resumption, 0-RTT), to be awaited later without holding
    /// the connection: a load run keeps one per connection it opened.
    pub fn handshake_watch(&self) -> HandshakeWatch {
        self.inner.watch.clone()
    }

    /// Over HTTP/3, what became of 0-RTT: waits (at most the connect timeout) for the
    /// handshake to settle it. [`ZeroRtt::Off`] when not asked for.
    pub async fn zero_rtt(&self) -> ZeroRtt {
        self.inner.watch.outcome(self.inner.request_timeout).await
    }

    /// True once the connection can take no more requests (the server closed it, or it
    /// broke): a new one is needed.
    pub fn is_closed(&self) -> bool {
        self.inner.sender.is_closed()
    }

    /// [`query`](Client::query) for load generation: the request is made from parts built
    /// at connect time, and the response keeps only its `Content-Type` header (all that
    /// [`crate::check`] needs).
    pub async fn query_lean(&self, wire: Bytes, method: Method) -> Result<Response, ClientError> {
        use base64::Engine as _;
        let i = &self.inner;
        let (m, uri, body, label, headers) = match method {
            Method::Post => (
                ::http::Method::POST,
                i.post_uri.clone(),
                wire,
                &i.labels[0],
                &i.post_headers,
            ),
            Method::Get => {
                let path = &i.target.path_and_query;
                let dns = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&wire);
                let sep = if path.contains('?') { '&' } else { '?' };
                let uri =
                    http::request_uri(&i.target, &i.sender, &format!("{path}{sep}dns={dns}"))?;
                (
                    ::http::Method::GET,
                    uri,
                    Bytes::new(),
                    &i.labels[1],
                    &i.base_headers,
                )
            }
        };
        let req = http::lean_request(&i.sender, headers, m, uri, body);
        i.sender.send(req, label, i.request_timeout, true).await
    }

    /// Time spent in each connect phase.
    pub fn connect_timing(&self) -> &ConnectTiming {
        &self.inner.timing
    }

    /// The TLS session, None for `http://`. Over HTTP/3 with 0-RTT the version and cipher
    /// suite are filled in once the ServerHello has come (after [`Client::zero_rtt`]).
    pub fn tls(&self) -> Option<&TlsInfo> {
        let i = &self.inner;
        if let Some(t) = i.tls_settled.get() {
            return Some(t);
        }
        let base = i.tls.as_ref()?;
        if !base.cipher_suite.is_empty() {
            return Some(base);
        }
        match i.watch.hello() {
            Some(h) => Some(i.tls_settled.get_or_init(|| base.clone().with_hello(h))),
            None => Some(base),
        }
    }

    /// The HTTP version of the connection, as negotiated by ALPN.
    pub fn http_version(&self) -> HttpVersion {
        self.inner.sender.version()
    }

    /// The server's address.
    pub fn peer(&self) -> SocketAddr {
        self.inner.peer
    }

    /// The server URL.
    pub fn url(&self) -> &str {
        &self.inner.target.url
    }

    /// Sends a DNS message (RFC 8484 §4.1): POST with it as the body, or GET with it
    /// base64url-encoded without padding in `?dns=`; `Accept: application/dns-message`.
    pub async fn query(&self, wire: &[u8], method: Method) -> Result<Response, ClientError> {
        use base64::Engine as _;
        let path = &self.inner.target.path_and_query;
        match method {
            Method::Post => {
                self.send(
                    ::http::Method::POST,
                    path.clone(),
                    DNS_MESSAGE,
                    Some(Bytes::copy_from_slice(wire)),
                )
                .await
            }
            Method::Get => {
                let dns = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(wire);
                let sep = if path.contains('?') { '&' } else { '?' };
                self.send(
                    ::http::Method::GET,
                    format!("{path}{sep}dns={dns}"),
                    DNS_MESSAGE,
                    None,
                )
                .await
            }
        }
    }

    /// GET with `Accept: application/dns-json` (the JSON API some resolvers offer).
    /// `url_query` is the query string (`name=example.com&type=AAAA`, with or without a
    /// leading `?`), or a whole URL whose path and query are used on this connection.
    pub async fn json_api(&self, url_query: &str) -> Result<Response, ClientError> {
        let path = &self.inner.target.path_and_query;
        let pq = if url_query.contains("://") {
            match url_query.parse::<::http::Uri>() {
                Ok(u) => u
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "/".into()),
                Err(e) => {
                    return Err(ClientError::Url {
                        url: url_query.to_string(),
                        reason: e.to_string(),
                    })
                }
            }
        } else {
            let q = url_query.trim_start_matches('?');
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}{q}")
        };
        self.send(::http::Method::GET, pq, DNS_JSON, None).await
    }

    /// Any request to the server's URL, for conformance checks: `method`, the URL's path with
    /// `query` appended (after `?`, or `&` when the URL has a query already), `Content-Type`
    /// as given (none when None), `Accept: application/dns-message`.
    pub async fn request(
        &self,
        method: ::http::Method,
        query: Option<&str>,
        content_type: Option<&str>,
        body: Option<Bytes>,
    ) -> Result<Response, ClientError> {
        let i = &self.inner;
        let path = &i.target.path_and_query;
        let pq = match query {
            Some(q) => {
                let sep = if path.contains('?') { '&' } else { '?' };
                format!("{path}{sep}{q}")
            }
            None => path.clone(),
        };
        let mut req = http::build_request(
            &i.target,
            &i.sender,
            &i.extra,
            method,
            &pq,
            DNS_MESSAGE,
            body,
        )?;
        let headers = req.headers_mut();
        headers.remove(::http::header::CONTENT_TYPE);
        if let Some(ct) = content_type.and_then(|c| ::http::HeaderValue::from_str(c).ok()) {
            headers.insert(::http::header::CONTENT_TYPE, ct);
        }
        let label = format!(
            "{} {} {}://{}{}",
            i.sender.version(),
            req.method(),
            i.target.scheme,
            i.target.authority,
            i.target.path_only()
        );
        i.sender.send(req, &label, i.request_timeout, false).await
    }

    async fn send(
        &self,
        method: ::http::Method,
        path_and_query: String,
        accept: &'static str,
        body: Option<Bytes>,
    ) -> Result<Response, ClientError> {
        let i = &self.inner;
        let req = http::build_request(
            &i.target,
            &i.sender,
            &i.extra,
            method,
            &path_and_query,
            accept,
            body,
        )?;
        let label = format!(
            "{} {} {}://{}{}",
            i.sender.version(),
            req.method(),
            i.target.scheme,
            i.target.authority,
            i.target.path_only()
        );
        i.sender.send(req, &label, i.request_timeout, false).await
    }
}

const DNS_MESSAGE: &str = "application/dns-message";
const DNS_JSON: &str = "application/dns-json";
