//! HTTP over the one connection: HTTP/2 multiplexed (the `h2` crate's client directly),
//! HTTP/1.1 serialised behind a lock (hyper's client connection).
//!
//! HTTP/2 goes to `h2` without hyper's client layer in between: hyper hands each request to
//! its connection task through a channel and spawns a task per request that waits for the
//! response and passes it back through a oneshot channel — two extra task wake-ups per
//! query, which a load generator on a machine it shares with the server cannot afford. With
//! `h2` directly the request's own task opens the stream, writes the body and reads the
//! response, and the connection task wakes it when the response arrives.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use super::connect::Target;
use super::error::{chain, ClientError};
use super::{ClientConfig, HttpVersion, Response, MAX_BODY};

type Body = Full<Bytes>;

/// The request side of the connection.
pub(crate) enum Sender {
    /// `SendRequest` is Clone: each request takes its own handle and a stream of its own.
    H2(H2),
    /// One request at a time; the lock is held until the response body is read. The flag
    /// says whether any response has come back on the connection.
    H1(tokio::sync::Mutex<http1::SendRequest<Body>>, AtomicBool),
    /// HTTP/3 over QUIC: a stream per request.
    H3(super::h3::H3),
}

/// HTTP/2, with the first request sent alone.
///
/// Until the server's SETTINGS frame (the first frame it sends, RFC 9113 §3.4) arrives, the
/// client does not know the server's limit on concurrent streams and assumes none (§6.5.2):
/// a burst of requests at that moment can exceed it, and BIND 9.18 then closes the
/// connection. So the first request goes alone and the others wait for its response, by
/// which time the SETTINGS have arrived and hyper keeps to the limit.
pub(crate) struct H2 {
    send: h2::client::SendRequest<Bytes>,
    /// Set when the connection task ends (the server closed, or the connection broke).
    closed: Arc<AtomicBool>,
    first_done: AtomicBool,
    first: tokio::sync::Mutex<bool>,
}

impl Sender {
    /// True once the connection can take no more requests (closed by either side, or broken).
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Sender::H2(h2) => h2.closed.load(Ordering::Acquire),
            Sender::H1(lock, _) => lock.try_lock().map(|s| s.is_closed()).unwrap_or(false),
            Sender::H3(h3) => h3.is_closed(),
        }
    }

    pub(crate) fn version(&self) -> HttpVersion {
        match self {
            Sender::H2(_) => HttpVersion::Http2,
            Sender::H1(..) => HttpVersion::Http11,
            Sender::H3(_) => HttpVersion::Http3,
        }
    }

    /// Sets the connection up and drives it on a task of its own, which ends when the last
    /// [`Client`](super::Client) clone is dropped or the server closes.
    pub(crate) async fn handshake<T>(
        io: T,
        version: HttpVersion,
        url: &str,
    ) -> Result<Sender, ClientError>
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let fail = |e: hyper::Error| ClientError::Http {
            request: format!("{version} setup with {url}"),
            reason: chain(&e),
        };
        match version {
            HttpVersion::Http2 => {
                // hyper's HTTP/2 client settings: large receive windows (no WINDOW_UPDATE
                // round trips for small answers), no server push, and at most 100 streams
                // until the server's SETTINGS say otherwise.
                let (send, conn) = h2::client::Builder::new()
                    .enable_push(false)
                    .initial_window_size(H2_STREAM_WINDOW)
                    .initial_connection_window_size(H2_CONN_WINDOW)
                    .initial_max_send_streams(100)
                    .max_send_buffer_size(H2_MAX_SEND_BUF)
                    .handshake::<_, Bytes>(io)
                    .await
                    .map_err(|e| ClientError::Http {
                        request: format!("{version} setup with {url}"),
                        reason: chain(&e),
                    })?;
                let closed = Arc::new(AtomicBool::new(false));
                let flag = Arc::clone(&closed);
                tokio::spawn(async move {
                    // Errors surface on the requests that were using the connection.
                    let _ = conn.await;
                    flag.store(true, Ordering::Release);
                });
                Ok(Sender::H2(H2 {
                    send,
                    closed,
                    first_done: AtomicBool::new(false),
                    first: tokio::sync::Mutex::new(false),
                }))
            }
            // HTTP/3 connections are made by `h3::connect`, never over a byte stream.
            HttpVersion::Http11 | HttpVersion::Http3 => {
                let (send, conn) = http1::handshake(TokioIo::new(io)).await.map_err(fail)?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                Ok(Sender::H1(
                    tokio::sync::Mutex::new(send),
                    AtomicBool::new(false),
                ))
            }
        }
    }

    /// Sends one request and collects the response within `limit`.
    pub(crate) async fn send(
        &self,
        req: ::http::Request<Bytes>,
        label: &str,
        limit: Duration,
        lean: bool,
    ) -> Result<Response, ClientError> {
        match self {
            Sender::H3(h3) => h3.send(req, label, limit, lean).await,
            Sender::H2(h2) => {
                if !h2.first_done.load(Ordering::Acquire) {
                    let mut done = h2.first.lock().await;
                    if !*done {
                        let res = h2.send(req, label, limit, lean).await;
                        *done = true;
                        h2.first_done.store(true, Ordering::Release);
                        return res;
                    }
                }
                h2.send(req, label, limit, lean).await
            }
            Sender::H1(lock, answered) => {
                // The time queued behind other requests is not this request's time.
                let mut send = lock.lock().await;
                let start = Instant::now();
                let deadline = tokio::time::Instant::now() + limit;
                let res = match tokio::time::timeout_at(deadline, send.ready()).await {
                    Err(_) => Err(timeout(label, "response", limit)),
                    Ok(Err(e)) => Err(closed(label, &e)),
                    // The guard lives to the end of the body: one exchange at a time.
                    Ok(Ok(())) => {
                        let req = req.map(Full::new);
                        exchange(send.send_request(req), start, deadline, label, limit, lean).await
                    }
                };
                match res {
                    Ok(r) => {
                        answered.store(true, Ordering::Release);
                        Ok(r)
                    }
                    Err(ClientError::Http { request, reason })
                        if !answered.load(Ordering::Acquire) =>
                    {
                        Err(ClientError::Http {
                            request,
                            reason: format!(
                                "{reason}; nothing had been answered on it — the server may not speak HTTP/1.1 for DoH (try HTTP/2: drop --http1.1)"
                            ),
                        })
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }
}

/// hyper's HTTP/2 client defaults, kept: 2 MB per stream, 5 MB per connection, 1 MB of
/// send buffer per stream.
const H2_STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const H2_CONN_WINDOW: u32 = 5 * 1024 * 1024;
const H2_MAX_SEND_BUF: usize = 1024 * 1024;

impl H2 {
    async fn send(
        &self,
        req: ::http::Request<Bytes>,
        label: &str,
        limit: Duration,
        lean: bool,
    ) -> Result<Response, ClientError> {
        let start = Instant::now();
        let deadline = tokio::time::Instant::now() + limit;
        // One timer for the whole exchange; `in_body` says what it was waiting for.
        let in_body = AtomicBool::new(false);
        let res =
            tokio::time::timeout_at(deadline, self.exchange(req, start, label, lean, &in_body))
                .await;
        match res {
            Err(_) if in_body.load(Ordering::Relaxed) => {
                Err(timeout(label, "response body", limit))
            }
            Err(_) => Err(timeout(label, "response", limit)),
            Ok(r) => r,
        }
    }

    async fn exchange(
        &self,
        req: ::http::Request<Bytes>,
        start: Instant,
        label: &str,
        lean: bool,
        in_body: &AtomicBool,
    ) -> Result<Response, ClientError> {
        let http_err = |e: h2::Error| ClientError::Http {
            request: label.to_string(),
            reason: chain(&e),
        };
        let mut send = match self.send.clone().ready().await {
            Ok(s) => s,
            Err(e) => return Err(self.unusable(label, &e)),
        };
        let (parts, body) = req.into_parts();
        let end = body.is_empty();
        let (response, mut stream) =
            match send.send_request(::http::Request::from_parts(parts, ()), end) {
                Ok(r) => r,
                Err(e) if e.is_go_away() || e.is_io() || self.closed.load(Ordering::Acquire) => {
                    return Err(self.unusable(label, &e))
                }
                Err(e) => return Err(http_err(e)),
            };
        if !end {
            // Within the server's window, which starts at 64 KB (RFC 9113 §6.9.2) — more than
            // any DNS message; h2 holds back what does not fit until the window opens.
            stream.send_data(body, true).map_err(http_err)?;
        }
        let resp = response.await.map_err(http_err)?;
        let ttfb = start.elapsed();
        in_body.store(true, Ordering::Relaxed);
        let (parts, mut body) = resp.into_parts();
        let headers = kept_headers(&parts.headers, lean);
        // Bounded: at most MAX_BODY octets are gathered. One DATA frame (the usual answer)
        // is kept as it came, without a copy.
        let mut first: Option<Bytes> = None;
        let mut more: Vec<u8> = Vec::new();
        let mut total = 0usize;
        while let Some(chunk) = body.data().await {
            let chunk = chunk.map_err(|e| ClientError::Http {
                request: label.to_string(),
                reason: format!("reading the response body: {}", chain(&e)),
            })?;
            // Give the window back at once: the octets are ours now.
            let _ = body.flow_control().release_capacity(chunk.len());
            total += chunk.len();
            if total > MAX_BODY {
                return Err(ClientError::BodyTooLarge {
                    request: label.to_string(),
                    limit: MAX_BODY,
                });
            }
            match &first {
                None if more.is_empty() => first = Some(chunk),
                _ => {
                    if let Some(f) = first.take() {
                        more.extend_from_slice(&f);
                    }
                    more.extend_from_slice(&chunk);
                }
            }
        }
        let body = match first {
            Some(b) => b,
            None => Bytes::from(more),
        };
        Ok(Response {
            status: parts.status.as_u16(),
            version: HttpVersion::Http2,
            headers,
            body,
            ttfb,
            total: start.elapsed(),
        })
    }

    /// The connection can take no more streams: the server closed it (GOAWAY, or the TCP
    /// connection ended) or it broke.
    fn unusable(&self, label: &str, e: &h2::Error) -> ClientError {
        let reason = if e.is_go_away() || e.is_io() || self.closed.load(Ordering::Acquire) {
            "the server closed the connection, which every request of this command shares"
                .to_string()
        } else {
            format!("the connection is no longer usable: {}", chain(e))
        };
        ClientError::Http {
            request: label.to_string(),
            reason,
        }
    }
}

/// The response headers as (name, value) text; the lean form (load generation) keeps only
/// Content-Type: the checks need no other.
fn kept_headers(headers: &::http::HeaderMap, lean: bool) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(n, _)| !lean || *n == ::http::header::CONTENT_TYPE)
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

async fn exchange(
    fut: impl std::future::Future<
        Output = Result<::http::Response<hyper::body::Incoming>, hyper::Error>,
    >,
    start: Instant,
    deadline: tokio::time::Instant,
    label: &str,
    limit: Duration,
    lean: bool,
) -> Result<Response, ClientError> {
    let resp = match tokio::time::timeout_at(deadline, fut).await {
        Err(_) => return Err(timeout(label, "response", limit)),
        Ok(Err(e)) => {
            return Err(ClientError::Http {
                request: label.to_string(),
                reason: chain(&e),
            })
        }
        Ok(Ok(r)) => r,
    };
    let ttfb = start.elapsed();
    let (parts, body) = resp.into_parts();
    let version = if parts.version == ::http::Version::HTTP_2 {
        HttpVersion::Http2
    } else {
        HttpVersion::Http11
    };
    let headers = kept_headers(&parts.headers, lean);
    let collected =
        match tokio::time::timeout_at(deadline, Limited::new(body, MAX_BODY).collect()).await {
            Err(_) => return Err(timeout(label, "response body", limit)),
            Ok(Err(e)) => {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    return Err(ClientError::BodyTooLarge {
                        request: label.to_string(),
                        limit: MAX_BODY,
                    });
                }
                return Err(ClientError::Http {
                    request: label.to_string(),
                    reason: format!("reading the response body: {}", chain(e.as_ref())),
                });
            }
            Ok(Ok(c)) => c.to_bytes(),
        };
    Ok(Response {
        status: parts.status.as_u16(),
        version,
        headers,
        body: collected,
        ttfb,
        total: start.elapsed(),
    })
}

fn timeout(label: &str, what: &str, limit: Duration) -> ClientError {
    ClientError::Timeout {
        phase: format!("waiting for the {what} to {label}"),
        after: limit,
    }
}

fn closed(label: &str, e: &hyper::Error) -> ClientError {
    let reason = if e.is_closed() || e.is_canceled() {
        "the server closed the connection, which every request of this command shares".to_string()
    } else {
        format!("the connection is no longer usable: {}", chain(e))
    };
    ClientError::Http {
        request: label.to_string(),
        reason,
    }
}

/// `-H` and `--user-agent`, checked once at connect.
pub(crate) fn extra_headers(cfg: &ClientConfig) -> Result<::http::HeaderMap, ClientError> {
    let mut map = ::http::HeaderMap::new();
    let mut add = |name: &str, value: &str| -> Result<(), ClientError> {
        let header = format!("{name}: {value}");
        let n = ::http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
            ClientError::Header {
                header: header.clone(),
                reason: "invalid header name".into(),
            }
        })?;
        let v = ::http::HeaderValue::from_str(value.trim()).map_err(|_| ClientError::Header {
            header: header.clone(),
            reason: "invalid header value (control characters?)".into(),
        })?;
        map.append(n, v);
        Ok(())
    };
    if let Some(ua) = &cfg.user_agent {
        add("user-agent", ua)?;
    }
    for (n, v) in &cfg.headers {
        add(n, v)?;
    }
    Ok(map)
}

/// The request: absolute URI for HTTP/2 (`:scheme`, `:authority`, `:path`), origin form
/// plus Host for HTTP/1.1. Defaults first; a `-H` of the same name replaces a default.
pub(crate) fn build_request(
    t: &Target,
    sender: &Sender,
    extra: &::http::HeaderMap,
    method: ::http::Method,
    path_and_query: &str,
    accept: &'static str,
    body: Option<Bytes>,
) -> Result<::http::Request<Bytes>, ClientError> {
    let uri = match sender {
        Sender::H2(_) | Sender::H3(_) => {
            format!("{}://{}{}", t.scheme, t.authority, path_and_query)
        }
        Sender::H1(..) => path_and_query.to_string(),
    };
    let (version, host) = match sender {
        Sender::H2(_) => (::http::Version::HTTP_2, None),
        Sender::H3(_) => (::http::Version::HTTP_3, None),
        Sender::H1(..) => (::http::Version::HTTP_11, Some(t.authority.as_str())),
    };
    let mut b = ::http::Request::builder()
        .method(method)
        .uri(uri)
        .version(version);
    let Some(headers) = b.headers_mut() else {
        return Err(bad_request(t, path_and_query));
    };
    use ::http::header::{HeaderValue, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST};
    if let Some(h) = host {
        if let Ok(v) = HeaderValue::from_str(h) {
            headers.insert(HOST, v);
        }
    }
    headers.insert(ACCEPT, HeaderValue::from_static(accept));
    if let Some(body) = &body {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(accept));
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    for name in extra.keys() {
        headers.remove(name);
    }
    for (name, value) in extra {
        headers.append(name, value.clone());
    }
    if let Sender::H2(_) = sender {
        strip_connection_headers(headers);
    }
    b.body(body.unwrap_or_default())
        .map_err(|_| bad_request(t, path_and_query))
}

fn bad_request(t: &Target, pq: &str) -> ClientError {
    ClientError::Url {
        url: format!("{}://{}{}", t.scheme, t.authority, pq),
        reason: "cannot make an HTTP request of it".into(),
    }
}

/// The request URI: absolute for HTTP/2 (`:scheme`, `:authority`, `:path`), origin form for
/// HTTP/1.1.
pub(crate) fn request_uri(
    t: &Target,
    sender: &Sender,
    path_and_query: &str,
) -> Result<::http::Uri, ClientError> {
    let text = match sender {
        Sender::H2(_) | Sender::H3(_) => {
            format!("{}://{}{}", t.scheme, t.authority, path_and_query)
        }
        Sender::H1(..) => path_and_query.to_string(),
    };
    text.parse().map_err(|_| bad_request(t, path_and_query))
}

/// What every DNS-message request on this connection carries: Host (HTTP/1.1), Accept, and
/// the `-H` headers (replacing a default of the same name).
pub(crate) fn base_headers(
    t: &Target,
    sender: &Sender,
    extra: &::http::HeaderMap,
) -> ::http::HeaderMap {
    use ::http::header::{HeaderValue, ACCEPT, HOST};
    let mut headers = ::http::HeaderMap::new();
    if let Sender::H1(..) = sender {
        if let Ok(v) = HeaderValue::from_str(&t.authority) {
            headers.insert(HOST, v);
        }
    }
    headers.insert(ACCEPT, HeaderValue::from_static(super::DNS_MESSAGE));
    for name in extra.keys() {
        headers.remove(name);
    }
    for (name, value) in extra {
        headers.append(name, value.clone());
    }
    if let Sender::H2(_) = sender {
        strip_connection_headers(&mut headers);
    }
    headers
}

/// HTTP/2 has no connection-specific header fields (RFC 9113 §8.2.2): a request carrying one
/// is malformed, and `h2` refuses to send it. A `-H Connection: …` is therefore left out on
/// HTTP/2, as hyper's HTTP/2 client does (`TE` only as `trailers`).
fn strip_connection_headers(headers: &mut ::http::HeaderMap) {
    use ::http::header::{CONNECTION, TE, TRANSFER_ENCODING, UPGRADE};
    for name in [CONNECTION, TRANSFER_ENCODING, UPGRADE] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
    if headers.get(TE).is_some_and(|v| v != "trailers") {
        headers.remove(TE);
    }
}

/// [`base_headers`] of a POST: with the body's Content-Type, unless `-H` gave one.
pub(crate) fn post_headers(mut base: ::http::HeaderMap) -> ::http::HeaderMap {
    use ::http::header::{HeaderValue, CONTENT_TYPE};
    if !base.contains_key(CONTENT_TYPE) {
        base.insert(CONTENT_TYPE, HeaderValue::from_static(super::DNS_MESSAGE));
    }
    base
}

/// A request from prepared parts (load generation): `base` headers ([`post_headers`] for a
/// body), plus Content-Length when there is a body.
pub(crate) fn lean_request(
    sender: &Sender,
    base: &::http::HeaderMap,
    method: ::http::Method,
    uri: ::http::Uri,
    body: Bytes,
) -> ::http::Request<Bytes> {
    use ::http::header::{HeaderValue, CONTENT_LENGTH};
    let mut headers = base.clone();
    if !body.is_empty() {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    let mut req = ::http::Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    *req.version_mut() = match sender {
        Sender::H2(_) => ::http::Version::HTTP_2,
        Sender::H3(_) => ::http::Version::HTTP_3,
        Sender::H1(..) => ::http::Version::HTTP_11,
    };
    *req.headers_mut() = headers;
    req
}
