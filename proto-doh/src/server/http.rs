//! The HTTP side of the server: hyper's HTTP/1.1 and HTTP/2 (`hyper-util`'s automatic
//! version detection) over tokio-rustls, or in cleartext, with limits that keep a slow or
//! hostile client from holding memory or connections:
//!
//! | limit | default | what happens beyond it |
//! |---|---|---|
//! | connections | 1024 | accepting waits until one closes |
//! | HTTP/2 concurrent streams per connection | 100 | the peer's excess streams are refused (RST_STREAM) |
//! | request head (HTTP/1.1 buffer, HTTP/2 header list) | 16 KiB | 431 / connection error |
//! | body | 65,535 octets | 413 |
//! | requests per second per client address | 20,000, bursts of 40,000 | 429 with `Retry-After: 1` |
//! | TLS handshake | 10 s | the connection is closed |
//! | request head (HTTP/1.1) and body | 10 s | the connection is closed / 408 |
//! | idle connection | 30 s | closed gracefully (GOAWAY) |
//!
//! With [`ServeConfig::http3`] (and TLS) each listen address also gets an HTTP/3 listener
//! (RFC 9114) on the same port number over UDP: quinn's QUIC with ALPN "h3", h3 for the
//! framing, and the same request handling. Its bounds are the same: connections share the one
//! limit, concurrent bidirectional streams per connection are `max_streams` (QUIC flow control,
//! RFC 9000 §4.6), the header section is `max_header_bytes` (SETTINGS_MAX_FIELD_SECTION_SIZE),
//! the idle timeout is QUIC's (RFC 9000 §10.1). HTTP/2 and HTTP/1.1 responses then advertise it
//! with `Alt-Svc: h3=":PORT"; ma=86400` (RFC 7838, RFC 9114 §3.1.1).
//!
//! Shutdown is graceful: listeners close, connections get GOAWAY (or `Connection: close`),
//! requests in flight are answered, for at most [`Limits::grace`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use super::log::{AccessLog, Entry};
use super::request::{self, Head, Reject, Wanted, MAX_MESSAGE};
use super::{response, Backend};
use crate::query::type_name;
use crate::wire;

/// The server's bounds (see the module documentation).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections at once.
    pub max_connections: usize,
    /// HTTP/2 concurrent streams per connection.
    pub max_streams: u32,
    /// Request head size.
    pub max_header_bytes: usize,
    /// Sustained requests per second from one client address.
    pub rate: u32,
    /// Requests one client address may send in a burst.
    pub burst: u32,
    /// TLS handshake.
    pub handshake_timeout: Duration,
    /// Reading an HTTP/1.1 request head, and a request body.
    pub read_timeout: Duration,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            max_streams: 100,
            max_header_bytes: 16 * 1024,
            rate: 20_000,
            burst: 40_000,
            handshake_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            grace: Duration::from_secs(10),
        }
    }
}

/// Everything the server needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Addresses to listen on (port 0: the system picks one).
    pub listen: Vec<SocketAddr>,
    /// The DoH endpoint (`/dns-query`).
    pub path: String,
    /// Where answers come from.
    pub backend: Backend,
    /// TLS; None serves cleartext HTTP (HTTP/1.1, or HTTP/2 with prior knowledge).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Serve the JSON API (`?name=&type=`, `application/dns-json`).
    pub json_api: bool,
    /// Bounds.
    pub limits: Limits,
    /// The access log.
    pub log: Option<Arc<AccessLog>>,
    /// Also listen for HTTP/3 over QUIC on the same port numbers over UDP (needs `tls`).
    pub http3: bool,
}

/// A bound server, not yet serving.
#[derive(Debug)]
pub struct Server {
    cfg: ServeConfig,
    listeners: Vec<TcpListener>,
    quic: Vec<quinn::Endpoint>,
}

impl Server {
    /// Binds every listen address.
    pub async fn bind(cfg: ServeConfig) -> Result<Server, String> {
        let mut listeners = Vec::new();
        for a in &cfg.listen {
            let l = TcpListener::bind(a)
                .await
                .map_err(|e| format!("cannot listen on {a}: {e}"))?;
            listeners.push(l);
        }
        let mut quic = Vec::new();
        if cfg.http3 {
            let Some(tls) = &cfg.tls else {
                return Err("HTTP/3 runs over QUIC, which needs TLS".into());
            };
            let qcfg = super::h3::server_config(tls, &cfg.limits)?;
            for l in &listeners {
                let a = l
                    .local_addr()
                    .map_err(|e| format!("cannot read the bound address: {e}"))?;
                let ep = quinn::Endpoint::server(qcfg.clone(), a)
                    .map_err(|e| format!("cannot listen for QUIC on UDP {a}: {e}"))?;
                quic.push(ep);
            }
        }
        Ok(Server {
            cfg,
            listeners,
            quic,
        })
    }

    /// The UDP addresses of the HTTP/3 listeners (none without [`ServeConfig::http3`]).
    pub fn quic_addrs(&self) -> Vec<SocketAddr> {
        self.quic
            .iter()
            .filter_map(|e| e.local_addr().ok())
            .collect()
    }

    /// The addresses actually bound (with the ports the system chose).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves until `shutdown` completes, then closes gracefully.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let limits = self.cfg.limits.clone();
        let permits = limits.max_connections.max(1);
        let conns = Arc::new(Semaphore::new(permits));
        let (stop_tx, stop_rx) = watch::channel(false);
        let state = Arc::new(State {
            rate: RateLimiter::new(limits.rate, limits.burst),
            cfg: self.cfg,
        });
        let mut accepting = Vec::new();
        let h3 = !self.quic.is_empty();
        for l in self.listeners {
            // RFC 7838: the HTTP/3 listener on the same port number, for 24 hours.
            let alt_svc = l.local_addr().ok().filter(|_| h3).and_then(|a| {
                hyper::header::HeaderValue::from_str(&format!("h3=\":{}\"; ma=86400", a.port()))
                    .ok()
            });
            accepting.push(tokio::spawn(accept_loop(
                l,
                state.clone(),
                conns.clone(),
                stop_rx.clone(),
                alt_svc,
            )));
        }
        for ep in self.quic {
            accepting.push(tokio::spawn(super::h3::accept_loop(
                ep,
                state.clone(),
                conns.clone(),
                stop_rx.clone(),
            )));
        }
        shutdown.await;
        let _ = stop_tx.send(true);
        for a in accepting {
            let _ = a.await;
        }
        let total = u32::try_from(permits).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(
            limits.grace + Duration::from_secs(1),
            conns.acquire_many(total),
        )
        .await;
    }
}

pub(super) struct State {
    pub(super) cfg: ServeConfig,
    rate: RateLimiter,
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    conns: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
    alt_svc: Option<hyper::header::HeaderValue>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let permit = tokio::select! {
            p = conns.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = stop.changed() => return,
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(x) => x,
            Err(_) => {
                // Out of file descriptors and the like: wait rather than spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let state = state.clone();
        let stop = stop.clone();
        let alt_svc = alt_svc.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match &state.cfg.tls {
                Some(tls) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(tls.clone());
                    let hs = tokio::time::timeout(
                        state.cfg.limits.handshake_timeout,
                        acceptor.accept(tcp),
                    )
                    .await;
                    if let Ok(Ok(s)) = hs {
                        if s.get_ref().1.alpn_protocol() == Some(b"h2") {
                            let s = crate::client::frames::FramePerWrite::server(s);
                            serve_connection(s, peer, state, stop, alt_svc).await;
                        } else {
                            serve_connection(s, peer, state, stop, alt_svc).await;
                        }
                    }
                }
                None => serve_connection(tcp, peer, state, stop, alt_svc).await,
            }
        });
    }
}

/// Requests in flight on a connection and the time of the last one's end.
struct Activity {
    start: Instant,
    in_flight: AtomicUsize,
    last_ms: AtomicU64,
}

impl Activity {
    fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let last = Duration::from_millis(self.last_ms.load(Ordering::Acquire));
        Some(self.start.elapsed().saturating_sub(last))
    }

    fn touch(&self) {
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(now, Ordering::Release);
    }
}

async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
    alt_svc: Option<hyper::header::HeaderValue>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = state.cfg.limits.clone();
    let activity = Arc::new(Activity {
        start: Instant::now(),
        in_flight: AtomicUsize::new(0),
        last_ms: AtomicU64::new(0),
    });
    let svc = {
        let activity = activity.clone();
        let state = state.clone();
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let state = state.clone();
            let activity = activity.clone();
            let alt_svc = alt_svc.clone();
            async move {
                activity.in_flight.fetch_add(1, Ordering::AcqRel);
                let mut resp = handle(&state, peer, req).await;
                if let Some(v) = alt_svc {
                    resp.headers_mut().insert(hyper::header::ALT_SVC, v);
                }
                activity.touch();
                activity.in_flight.fetch_sub(1, Ordering::AcqRel);
                Ok::<_, Infallible>(resp)
            }
        })
    };
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_streams)
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .keep_alive_interval(Some(limits.idle_timeout))
        .keep_alive_timeout(limits.read_timeout);
    let conn = builder.serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    let tick_every = (limits.idle_timeout / 4).max(Duration::from_millis(100));
    let mut tick = tokio::time::interval(tick_every);
    let stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = stop.changed() => break,
            _ = tick.tick() => {
                if activity.idle_for().is_some_and(|d| d >= limits.idle_timeout) {
                    break;
                }
            }
        }
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.grace, conn.as_mut()).await;
}

fn version_name(v: hyper::Version) -> &'static str {
    match v {
        hyper::Version::HTTP_2 => "HTTP/2",
        hyper::Version::HTTP_11 => "HTTP/1.1",
        hyper::Version::HTTP_10 => "HTTP/1.0",
        hyper::Version::HTTP_09 => "HTTP/0.9",
        hyper::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP",
    }
}

/// One request, whatever the HTTP version: routing, the answer, the access log entry.
pub(super) async fn handle<B>(
    state: &State,
    peer: SocketAddr,
    req: Request<B>,
) -> Response<Full<Bytes>>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let started = Instant::now();
    let head = req.method() == hyper::Method::HEAD;
    let mut entry = Entry {
        record: "request",
        time: super::log::now_rfc3339(),
        client: peer.to_string(),
        method: req.method().as_str().to_string(),
        version: version_name(req.version()).to_string(),
        path: req.uri().path().to_string(),
        status: 0,
        qname: None,
        qtype: None,
        rcode: None,
        bytes: 0,
        latency_ms: 0.0,
        error: None,
    };
    let resp = match answer(state, peer, req, &mut entry).await {
        Ok(r) => r,
        Err(rej) => {
            let status = rej.status;
            entry.error = Some(super::log::LogError::http(status, rej.reason.clone()));
            let mut b = Response::builder()
                .status(status)
                .header("content-type", "text/plain; charset=utf-8")
                .header("cache-control", "no-store");
            if status == 405 {
                b = b.header("allow", "GET, POST");
            }
            if status == 429 {
                b = b.header("retry-after", "1");
            }
            b.body(Full::new(Bytes::from(format!("{}\n", rej.reason))))
                .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
        }
    };
    // RFC 9110 §9.3.2: no content in a response to HEAD.
    let resp = if head {
        let (parts, _) = resp.into_parts();
        Response::from_parts(parts, Full::new(Bytes::new()))
    } else {
        resp
    };
    entry.status = resp.status().as_u16();
    entry.bytes = usize::try_from(hyper::body::Body::size_hint(resp.body()).lower()).unwrap_or(0);
    entry.latency_ms = (started.elapsed().as_secs_f64() * 1e6).round() / 1e3;
    if let Some(log) = &state.cfg.log {
        log.write(&entry);
    }
    resp
}

async fn answer<B>(
    state: &State,
    peer: SocketAddr,
    req: Request<B>,
    entry: &mut Entry,
) -> Result<Response<Full<Bytes>>, Reject>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if !state.rate.allow(peer.ip()) {
        return Err(Reject {
            status: 429,
            reason: format!(
                "more than {} requests per second from {}",
                state.rate.rate,
                peer.ip()
            ),
        });
    }
    let (parts, body) = req.into_parts();
    let content_length = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let head = Head {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        content_type: parts
            .headers
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        content_length,
    };
    let limits = &state.cfg.limits;
    let (msg, json) = match request::route(&head, &state.cfg.path, state.cfg.json_api)? {
        Wanted::Get(m) => (m, None),
        Wanted::Post => {
            let collected = tokio::time::timeout(
                limits.read_timeout,
                Limited::new(body, MAX_MESSAGE).collect(),
            )
            .await
            .map_err(|_| Reject {
                status: 408,
                reason: format!(
                    "the request body did not arrive within {} s",
                    limits.read_timeout.as_secs()
                ),
            })?;
            let bytes = collected
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        Reject {
                            status: 413,
                            reason: "a body over 65,535 octets: a DNS message is at most 65,535 (RFC 8484 §6)".into(),
                        }
                    } else {
                        Reject {
                            status: 400,
                            reason: format!("reading the body: {e}"),
                        }
                    }
                })?
                .to_bytes();
            (bytes.to_vec(), None)
        }
        Wanted::Json { name, qtype } => {
            // `to_ascii`: the A-labels (hickory's Display shows them as U-labels).
            let mut o = crate::query::QueryOptions::new(&name.to_ascii(), qtype);
            o.padding = crate::query::Padding::None;
            let m = crate::query::build(&o).map_err(|e| Reject {
                status: 400,
                reason: e.to_string(),
            })?;
            (m, Some(()))
        }
    };
    let query = request::parse_query(&msg)?;
    if let Some(q) = query.queries().first() {
        entry.qname = Some(q.name().to_string());
        entry.qtype = Some(type_name(u16::from(q.query_type())));
    }
    let (resp, err) = state.cfg.backend.resolve(&query).await;
    entry.error = err.map(super::log::LogError::upstream);
    if json.is_some() {
        let text = json_api(&resp);
        entry.rcode = Some(crate::answer::rcode_name(u16::from(resp.response_code())));
        let max_age = response::max_age(&resp);
        return Response::builder()
            .status(200)
            .header("content-type", wire::DNS_JSON)
            .header("cache-control", format!("max-age={max_age}"))
            .body(Full::new(Bytes::from(text)))
            .map_err(|e| Reject {
                status: 500,
                reason: e.to_string(),
            });
    }
    let fin = response::finish(resp, response::query_padded(&query)).map_err(|e| Reject {
        status: 500,
        reason: e,
    })?;
    entry.rcode = Some(crate::answer::rcode_name(fin.rcode));
    Response::builder()
        .status(200)
        .header("content-type", wire::DNS_MESSAGE)
        .header("cache-control", format!("max-age={}", fin.max_age))
        .body(Full::new(Bytes::from(fin.wire)))
        .map_err(|e| Reject {
            status: 500,
            reason: e.to_string(),
        })
}

/// The JSON API's schema (Google's and Cloudflare's `application/dns-json`). Names and data
/// in the presentation form of [`crate::answer`], as `doh query` shows the DNS message: names
/// keep their A-labels (hickory's Display turns them into U-labels) and TXT strings their
/// quotes, as Google's and Cloudflare's endpoints give them.
fn json_api(m: &hickory_proto::op::Message) -> String {
    let answer = m
        .to_vec()
        .ok()
        .and_then(|w| crate::answer::Answer::from_wire(&w).ok());
    let rr = |rs: &[crate::answer::Record]| {
        rs.iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name,
                    "type": crate::query::parse_type(&r.rtype).map_or(0, u16::from),
                    "TTL": r.ttl,
                    "data": r.data,
                })
            })
            .collect::<Vec<_>>()
    };
    let q: Vec<_> = m
        .queries()
        .iter()
        .map(
            |q| serde_json::json!({"name": q.name().to_ascii(), "type": u16::from(q.query_type())}),
        )
        .collect();
    let mut v = serde_json::json!({
        "Status": u16::from(m.response_code()),
        "TC": m.truncated(),
        "RD": m.recursion_desired(),
        "RA": m.recursion_available(),
        "AD": m.authentic_data(),
        "CD": m.checking_disabled(),
        "Question": q,
    });
    if let Some(a) = &answer {
        for (key, recs) in [
            ("Answer", rr(&a.answer)),
            ("Authority", rr(&a.authority)),
            ("Additional", rr(&a.additional)),
        ] {
            if !recs.is_empty() {
                v[key] = serde_json::Value::Array(recs);
            }
        }
    }
    v.to_string()
}

/// A token bucket per client address. The table is bounded: beyond [`MAX_CLIENTS`] addresses,
/// buckets idle for a second (full again) are dropped, and if none is, new addresses are refused
/// until some are.
struct RateLimiter {
    rate: u32,
    burst: u32,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

const MAX_CLIENTS: usize = 65_536;

impl RateLimiter {
    fn new(rate: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            rate,
            burst: burst.max(1),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn allow(&self, ip: IpAddr) -> bool {
        if self.rate == 0 {
            return true;
        }
        let Ok(mut b) = self.buckets.lock() else {
            return true;
        };
        let now = Instant::now();
        let (rate, burst) = (f64::from(self.rate), f64::from(self.burst));
        if b.len() >= MAX_CLIENTS && !b.contains_key(&ip) {
            let full_after = Duration::from_secs_f64(burst / rate);
            b.retain(|_, (_, t)| now.duration_since(*t) < full_after);
            if b.len() >= MAX_CLIENTS {
                return false;
            }
        }
        let (tokens, last) = b.entry(ip).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn rate_limiter_allows_the_burst_then_refuses() {
        let r = RateLimiter::new(1, 5);
        let ip: IpAddr = [192, 0, 2, 1].into();
        assert!((0..5).all(|_| r.allow(ip)));
        assert!(!r.allow(ip));
        assert!(r.allow([192, 0, 2, 2].into()), "per address");
    }
}
