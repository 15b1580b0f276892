//! HTTP over the one connection: hyper's client connections, HTTP/2 multiplexed, HTTP/1.1
//! serialised behind a lock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
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
    send: http2::SendRequest<Body>,
    first_done: AtomicBool,
    first: tokio::sync::Mutex<bool>,
}

impl Sender {
    /// True once the connection can take no more requests (closed by either side, or broken).
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Sender::H2(h2) => h2.send.is_closed(),
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
                let (send, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(io))
                    .await
                    .map_err(fail)?;
                tokio::spawn(async move {
                    // Errors surface on the requests that were using the connection.
                    let _ = conn.await;
                });
                Ok(Sender::H2(H2 {
                    send,
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
        req: ::http::Request<Body>,
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

impl H2 {
    async fn send(
        &self,
        req: ::http::Request<Body>,
        label: &str,
        limit: Duration,
        lean: bool,
    ) -> Result<Response, ClientError> {
        let mut send = self.send.clone();
        let start = Instant::now();
        let deadline = tokio::time::Instant::now() + limit;
        let ready = tokio::time::timeout_at(deadline, send.ready()).await;
        match ready {
            Err(_) => return Err(timeout(label, "response", limit)),
            Ok(Err(e)) => return Err(closed(label, &e)),
            Ok(Ok(())) => {}
        }
        exchange(send.send_request(req), start, deadline, label, limit, lean).await
    }
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
    // The lean form (load generation) keeps only Content-Type: the checks need no other.
    let headers = parts
        .headers
        .iter()
        .filter(|(n, _)| !lean || *n == ::http::header::CONTENT_TYPE)
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
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
) -> Result<::http::Request<Body>, ClientError> {
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
    b.body(Full::new(body.unwrap_or_default()))
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
    headers
}

/// A request from prepared parts (load generation): `base` headers, plus Content-Type and
/// Content-Length when there is a body — unless `-H` gave them.
pub(crate) fn lean_request(
    sender: &Sender,
    base: &::http::HeaderMap,
    method: ::http::Method,
    uri: ::http::Uri,
    body: Bytes,
) -> ::http::Request<Body> {
    use ::http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
    let mut headers = base.clone();
    if !body.is_empty() {
        if !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(super::DNS_MESSAGE));
        }
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    let mut req = ::http::Request::new(Full::new(body));
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
