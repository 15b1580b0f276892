//! An in-process DNS-over-HTTPS server for tests: HTTPS (HTTP/2 and HTTP/1.1 by ALPN) on
//! 127.0.0.1 with a certificate made at start by rcgen, recording every request it gets, so
//! that tests can prove what a client sends (method, path, query, headers, body).
//!
//! The default responder, [`Responder::Echo`], behaves like a small RFC 8484 server:
//!
//! | request | answer |
//! |---|---|
//! | `POST /dns-query`, `Content-Type: application/dns-message` | 200, the query with QR set and one `A 192.0.2.1` (TTL 300) per question |
//! | `GET /dns-query?dns=<base64url, no padding>` | the same |
//! | `GET /dns-query?name=N&type=T` | 200 `application/dns-json`, the same answer in the JSON API's schema |
//! | padded or invalid base64url, a malformed DNS message | 400 |
//! | another path | 404 |
//! | POST with another content type | 415 |
//! | another method | 405 |
//!
//! Answers carry `Cache-Control: max-age=300`. [`Responder::Fixed`] answers every request
//! with the same status, headers and body.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Offer HTTP/1.1 (ALPN "http/1.1").
    pub http1: bool,
    /// Offer HTTP/2 (ALPN "h2").
    pub http2: bool,
    /// What to answer.
    pub responder: Responder,
    /// Serve cleartext HTTP instead of HTTPS (URL `http://…`): HTTP/2 with prior knowledge
    /// when `http2` is set, else HTTP/1.1.
    pub cleartext: bool,
    /// Wait this long before each answer (for timeout tests).
    pub delay: Option<Duration>,
    /// Serve this certificate instead of a fresh one for `localhost` and `127.0.0.1` (for
    /// tests of expired or misnamed certificates).
    pub pki: Option<TestPki>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            http1: true,
            http2: true,
            responder: Responder::Echo,
            cleartext: false,
            delay: None,
            pki: None,
        }
    }
}

impl ServerConfig {
    /// The default configuration with a [`Responder::Fixed`]: the same status, content type,
    /// body and further headers for every request.
    pub fn fixed(
        status: u16,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> ServerConfig {
        ServerConfig {
            responder: Responder::Fixed {
                status,
                content_type: content_type.to_string(),
                body,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
            },
            ..ServerConfig::default()
        }
    }
}

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Responder {
    /// A small DoH server: see the [module documentation](self).
    Echo,
    /// The same response to every request.
    Fixed {
        /// HTTP status.
        status: u16,
        /// `Content-Type` (omitted when empty).
        content_type: String,
        /// Body.
        body: Vec<u8>,
        /// More headers.
        headers: Vec<(String, String)>,
    },
    /// [`Responder::Echo`] with one RFC 8484 fault, for conformance checkers.
    Faulty(Fault),
}

/// One way for [`Responder::Faulty`] to break RFC 8484, everything else as [`Responder::Echo`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 200 answers say `Content-Type: application/octet-stream` (§6).
    WrongMediaType,
    /// 200 answers say `Cache-Control: max-age=86400`, beyond the 300 s TTL (§5.1).
    MaxAgeBeyondTtl,
    /// A malformed `dns` parameter or message gets 200 instead of 400 (§4.1).
    OkOnGarbage,
    /// A POST body of any media type is taken as a DNS message (no 415).
    AnyMediaType,
    /// Answers carry ID 0x1234 whatever the query's (§4.1).
    WrongId,
    /// Answers have TC set (§6: DoH answers are never truncated).
    Truncated,
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// "GET", "POST", …
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Query string without the `?`.
    pub query: Option<String>,
    /// "HTTP/2" or "HTTP/1.1".
    pub version: String,
    /// `:authority` (HTTP/2) or Host (HTTP/1.1).
    pub authority: Option<String>,
    /// Lowercase names, in the order received (HTTP/2 pseudo-headers are not included).
    pub headers: Vec<(String, String)>,
    /// The body (at most 1 MiB is kept).
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The value of a query parameter, as sent (not percent-decoded).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == name).then_some(v)
        })
    }

    /// The DNS message of the request: the POST body or the decoded `dns` parameter.
    pub fn dns_message(&self) -> Option<Vec<u8>> {
        if self.method == "POST" {
            return Some(self.body.clone());
        }
        base64url_decode(self.param("dns")?)
    }
}

/// A CA and a server certificate signed by it, made at test time.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA certificate, PEM (what a client trusts: `--cacert`).
    pub ca_pem: String,
    /// The server certificate, PEM.
    pub cert_pem: String,
    /// The server certificate, DER.
    pub cert_der: Vec<u8>,
    /// The server's private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The server's private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
}

impl TestPki {
    /// A CA "ietfwg test CA" and a server certificate "CN=<first name>" for `names` (DNS
    /// names and IP addresses), ECDSA P-256.
    pub fn new(names: &[&str]) -> TestPki {
        TestPki::with_validity(names, (1975, 1, 1), (4096, 1, 1))
    }

    /// One self-signed certificate with `CA:TRUE`, as `openssl req -x509` makes by default:
    /// the server's certificate is its own CA (`ca_pem == cert_pem`).
    pub fn self_signed(names: &[&str]) -> TestPki {
        use rcgen::{BasicConstraints, IsCa, KeyPair};
        let mut params = server_params(names);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).expect("certificate");
        TestPki::of(cert.pem(), &cert, &key)
    }

    /// The same with the server certificate valid from `not_before` to `not_after`
    /// (year, month, day; UTC midnight): a date range in the past makes an expired one.
    pub fn with_validity(
        names: &[&str],
        not_before: (i32, u8, u8),
        not_after: (i32, u8, u8),
    ) -> TestPki {
        use rcgen::{
            BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
            ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
        };
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "ietfwg test CA");
        ca.distinguished_name = dn;
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("CA key"))
            .expect("CA certificate");

        let mut leaf = server_params(names);
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        leaf.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
        leaf.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        let key = KeyPair::generate().expect("server key");
        let cert = leaf.signed_by(&key, &ca).expect("server certificate");
        TestPki::of(ca.pem(), &cert, &key)
    }

    fn of(ca_pem: String, cert: &rcgen::Certificate, key: &rcgen::KeyPair) -> TestPki {
        TestPki {
            ca_pem,
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        }
    }
}

/// Certificate parameters for `names` (DNS names and IP addresses), the subject
/// "CN=<first name>".
fn server_params(names: &[&str]) -> rcgen::CertificateParams {
    use rcgen::{CertificateParams, DistinguishedName, DnType};
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names.clone()).expect("server params");
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params.distinguished_name = dn;
    params
}

/// The running server; stopped and its files removed on drop.
#[derive(Debug)]
pub struct DohServer {
    addr: SocketAddr,
    cleartext: bool,
    dir: PathBuf,
    ca_pem: PathBuf,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct State {
    requests: Mutex<Vec<Recorded>>,
    connections: AtomicUsize,
}

impl DohServer {
    /// Starts on 127.0.0.1 with a free port, on a thread and tokio runtime of its own. The
    /// certificate is for `localhost` and `127.0.0.1` (unless `cfg.pki` gives another), issued
    /// by a CA made now.
    pub fn start(cfg: ServerConfig) -> DohServer {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ietfwg-doh-server-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let pki = cfg
            .pki
            .clone()
            .unwrap_or_else(|| TestPki::new(&["localhost", "127.0.0.1"]));
        let ca_pem = dir.join("ca.pem");
        std::fs::write(&ca_pem, &pki.ca_pem).expect("write ca.pem");
        std::fs::write(dir.join("cert.pem"), &pki.cert_pem).expect("write cert.pem");
        std::fs::write(dir.join("key.pem"), &pki.key_pem).expect("write key.pem");

        let mut alpn = Vec::new();
        if cfg.http2 {
            alpn.push(b"h2".to_vec());
        }
        if cfg.http1 {
            alpn.push(b"http/1.1".to_vec());
        }
        let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(pki.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.key_der.clone())),
        )
        .expect("server certificate");
        tls.alpn_protocols = alpn;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let cleartext = cfg.cleartext;
        let thread = std::thread::Builder::new()
            .name("doh-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(serve(listener, acceptor, cfg, st, stopped));
            })
            .expect("server thread");
        DohServer {
            addr,
            cleartext,
            dir,
            ca_pem,
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `https://localhost:PORT/dns-query` (`http://` when cleartext).
    pub fn url(&self) -> String {
        let scheme = if self.cleartext { "http" } else { "https" };
        format!("{scheme}://localhost:{}/dns-query", self.addr.port())
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// 127.0.0.1:PORT.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The CA certificate (PEM) that issued the server's certificate: pass it to `--cacert`.
    pub fn ca_pem_path(&self) -> &Path {
        &self.ca_pem
    }

    /// The server's certificate (PEM), for checks made with other tools.
    pub fn cert_pem_path(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.requests.lock().expect("requests").clone()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }
}

impl Drop for DohServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn serve(
    listener: std::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    cfg: ServerConfig,
    state: Arc<State>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    let cfg = Arc::new(cfg);
    loop {
        let tcp = tokio::select! {
            _ = &mut stopped => return,
            r = listener.accept() => match r {
                Ok((tcp, _)) => tcp,
                Err(_) => continue,
            },
        };
        state.connections.fetch_add(1, Ordering::SeqCst);
        let acceptor = acceptor.clone();
        let cfg = cfg.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            if cfg.cleartext {
                let h2 = cfg.http2;
                return serve_http(tcp, h2, cfg, state).await;
            }
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let h2 = match tls.get_ref().1.alpn_protocol() {
                Some(p) => p == b"h2",
                None => !cfg.http1,
            };
            serve_http(tls, h2, cfg, state).await;
        });
    }
}

/// Serves one connection, HTTP/2 when `h2`, else HTTP/1.1, until the client closes it.
async fn serve_http<I>(io: I, h2: bool, cfg: Arc<ServerConfig>, state: Arc<State>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let svc = hyper::service::service_fn(move |req| handle(req, cfg.clone(), state.clone()));
    let io = TokioIo::new(io);
    if h2 {
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(io, svc)
            .await;
    } else {
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(io, svc)
            .await;
    }
}

type Resp = hyper::Response<Full<Bytes>>;

async fn handle(
    req: hyper::Request<Incoming>,
    cfg: Arc<ServerConfig>,
    state: Arc<State>,
) -> Result<Resp, std::convert::Infallible> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, 1 << 20).collect().await {
        Ok(c) => c.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let version = if parts.version == http::Version::HTTP_2 {
        "HTTP/2"
    } else {
        "HTTP/1.1"
    };
    let authority = parts.uri.authority().map(|a| a.to_string()).or_else(|| {
        parts
            .headers
            .get(http::header::HOST)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    });
    let rec = Recorded {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        version: version.to_string(),
        authority,
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    state.requests.lock().expect("requests").push(rec.clone());
    if let Some(d) = cfg.delay {
        tokio::time::sleep(d).await;
    }
    let head = rec.method == "HEAD";
    let resp = match &cfg.responder {
        Responder::Fixed {
            status,
            content_type,
            body,
            headers,
        } => {
            let mut b = hyper::Response::builder().status(*status);
            if !content_type.is_empty() {
                b = b.header("content-type", content_type.as_str());
            }
            for (n, v) in headers {
                b = b.header(n.as_str(), v.as_str());
            }
            b.body(Full::new(Bytes::from(body.clone())))
                .unwrap_or_else(|_| plain(500, "bad Fixed responder"))
        }
        Responder::Echo => echo(&rec),
        Responder::Faulty(f) => faulty(&rec, *f),
    };
    // RFC 9110 §9.3.2: no content after HEAD (hyper's HTTP/2 server would send it).
    Ok(if head {
        let (parts, _) = resp.into_parts();
        hyper::Response::from_parts(parts, Full::new(Bytes::new()))
    } else {
        resp
    })
}

fn faulty(rec: &Recorded, f: Fault) -> Resp {
    let mut rec = rec.clone();
    if f == Fault::AnyMediaType && rec.method == "POST" {
        rec.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        rec.headers
            .push(("content-type".into(), "application/dns-message".into()));
    }
    let mut r = echo(&rec);
    let ok = r.status() == http::StatusCode::OK;
    let set = |r: &mut Resp, name: http::header::HeaderName, v: &'static str| {
        r.headers_mut()
            .insert(name, http::HeaderValue::from_static(v));
    };
    match f {
        Fault::WrongMediaType if ok => set(
            &mut r,
            http::header::CONTENT_TYPE,
            "application/octet-stream",
        ),
        Fault::MaxAgeBeyondTtl if ok => set(&mut r, http::header::CACHE_CONTROL, "max-age=86400"),
        Fault::OkOnGarbage if r.status() == http::StatusCode::BAD_REQUEST => {
            r = hyper::Response::new(Full::new(Bytes::from_static(b"ok")));
            set(
                &mut r,
                http::header::CONTENT_TYPE,
                "application/dns-message",
            );
        }
        Fault::WrongId | Fault::Truncated if ok => {
            let mut body = rec
                .dns_message()
                .and_then(|q| echo_answer(&q))
                .unwrap_or_default();
            if body.len() >= 12 {
                if f == Fault::WrongId {
                    body[0] = 0x12;
                    body[1] = 0x34;
                } else {
                    body[2] |= 0x02;
                }
            }
            *r.body_mut() = Full::new(Bytes::from(body));
        }
        _ => {}
    }
    r
}

fn plain(status: u16, text: &str) -> Resp {
    let mut r = hyper::Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_REQUEST);
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain"),
    );
    r
}

fn echo(rec: &Recorded) -> Resp {
    if rec.path != "/dns-query" {
        return plain(404, "not found");
    }
    let query = match rec.method.as_str() {
        "POST" => {
            let ct = rec.header("content-type").unwrap_or_default();
            if !ct.eq_ignore_ascii_case("application/dns-message") {
                return plain(415, "unsupported media type");
            }
            rec.body.clone()
        }
        "GET" => {
            if rec.param("dns").is_none() {
                if let Some(name) = rec.param("name") {
                    return json_answer(name, rec.param("type").unwrap_or("1"));
                }
                return plain(400, "missing dns parameter");
            }
            match rec.dns_message() {
                Some(q) => q,
                None => return plain(400, "dns parameter is not base64url without padding"),
            }
        }
        _ => return plain(405, "method not allowed"),
    };
    let Some(answer) = echo_answer(&query) else {
        return plain(400, "malformed DNS query");
    };
    let mut r = hyper::Response::new(Full::new(Bytes::from(answer)));
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/dns-message"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("max-age=300"),
    );
    r
}

/// The answer to a DNS query: the same ID, opcode, RD and CD, QR and RA set, RCODE 0, the
/// questions copied, one `A 192.0.2.1` TTL 300 per question (its owner a compression pointer
/// to the question's name), and an OPT record (RFC 6891, payload 1232) when the query had
/// one. Parsed by hand: this crate is a test oracle kept independent of the DNS library the
/// client side uses.
///
/// ```text
///   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
/// |                      ID                       |
/// |QR|  Opcode   |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
/// |        QDCOUNT  |  ANCOUNT  |  NSCOUNT  |  ARCOUNT  (16 bits each)
/// ```
pub fn echo_answer(q: &[u8]) -> Option<Vec<u8>> {
    if q.len() < 12 || q[2] & 0x80 != 0 {
        return None;
    }
    let count = |i: usize| usize::from(u16::from_be_bytes([q[i], q[i + 1]]));
    let (qd, an, ns, ar) = (count(4), count(6), count(8), count(10));
    let mut pos = 12;
    let mut owners = Vec::new();
    for _ in 0..qd {
        let owner = pos;
        pos = skip_name(q, pos)?;
        let class = q.get(pos + 2..pos + 4)?.to_vec();
        pos += 4;
        owners.push((owner, class));
    }
    let questions_end = pos;
    let mut edns = None;
    for i in 0..an + ns + ar {
        pos = skip_name(q, pos)?;
        let rtype = u16::from_be_bytes([*q.get(pos)?, *q.get(pos + 1)?]);
        let ttl = q.get(pos + 4..pos + 8)?.to_vec();
        let rdlen = usize::from(u16::from_be_bytes([*q.get(pos + 8)?, *q.get(pos + 9)?]));
        pos += 10 + rdlen;
        if pos > q.len() {
            return None;
        }
        if rtype == 41 && i >= an + ns {
            edns = Some(ttl);
        }
    }
    let mut out = Vec::with_capacity(q.len() + 16 * qd + 11);
    out.extend_from_slice(&q[0..2]);
    out.push(0x80 | (q[2] & 0x79)); // QR, opcode, RD
    out.push(0x80 | (q[3] & 0x10)); // RA, CD; RCODE 0
    let n = u16::try_from(qd).ok()?;
    out.extend_from_slice(&n.to_be_bytes()); // QDCOUNT
    out.extend_from_slice(&n.to_be_bytes()); // ANCOUNT
    out.extend_from_slice(&[0, 0]); // NSCOUNT
    out.extend_from_slice(&[0, u8::from(edns.is_some())]); // ARCOUNT
    out.extend_from_slice(&q[12..questions_end]);
    for (owner, class) in owners {
        let ptr = 0xC000 | u16::try_from(owner).ok().filter(|o| *o < 0x4000)?;
        out.extend_from_slice(&ptr.to_be_bytes());
        out.extend_from_slice(&[0, 1]); // A
        out.extend_from_slice(&class);
        out.extend_from_slice(&300u32.to_be_bytes());
        out.extend_from_slice(&[0, 4, 192, 0, 2, 1]);
    }
    if let Some(ttl) = edns {
        out.push(0); // root
        out.extend_from_slice(&41u16.to_be_bytes());
        out.extend_from_slice(&1232u16.to_be_bytes());
        // Extended RCODE 0, version 0, the DO bit echoed (RFC 3225 §3).
        out.extend_from_slice(&[0, 0, ttl[2] & 0x80, 0]);
        out.extend_from_slice(&[0, 0]);
    }
    Some(out)
}

fn skip_name(m: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = *m.get(pos)?;
        match len & 0xC0 {
            0xC0 => {
                m.get(pos + 1)?;
                return Some(pos + 2);
            }
            0x00 if len == 0 => return Some(pos + 1),
            0x00 => pos += 1 + usize::from(len),
            _ => return None,
        }
    }
}

/// base64url (RFC 4648 §5) without padding, strictly: `=` or characters of the standard
/// alphabet make it fail, as they make BIND answer 400. Written here so that the server
/// checks the client's encoding independently of the library the client encodes with.
pub fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = s.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let b = acc.to_be_bytes();
        out.extend_from_slice(&b[1..chunk.len()]);
    }
    Some(out)
}

/// The JSON API answer (the schema of Google's and Cloudflare's `application/dns-json`).
fn json_answer(name: &str, qtype: &str) -> Resp {
    let name = percent_decode(name);
    let fqdn = if name.ends_with('.') {
        name
    } else {
        format!("{name}.")
    };
    let t: u16 = qtype
        .parse()
        .unwrap_or(match qtype.to_ascii_uppercase().as_str() {
            "NS" => 2,
            "CNAME" => 5,
            "SOA" => 6,
            "MX" => 15,
            "TXT" => 16,
            "AAAA" => 28,
            _ => 1,
        });
    let n = json_string(&fqdn);
    let text = format!(
        "{{\"Status\":0,\"TC\":false,\"RD\":true,\"RA\":true,\"AD\":false,\"CD\":false,\
         \"Question\":[{{\"name\":{n},\"type\":{t}}}],\
         \"Answer\":[{{\"name\":{n},\"type\":1,\"TTL\":300,\"data\":\"192.0.2.1\"}}]}}"
    );
    let mut r = hyper::Response::new(Full::new(Bytes::from(text)));
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/dns-json"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("max-age=300"),
    );
    r
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_is_strict() {
        assert_eq!(base64url_decode("AAEC").unwrap(), vec![0, 1, 2]);
        assert_eq!(base64url_decode("AAE").unwrap(), vec![0, 1]);
        assert_eq!(base64url_decode("_-8").unwrap(), vec![0xff, 0xef]);
        assert!(base64url_decode("AAE=").is_none());
        assert!(base64url_decode("+/8").is_none());
        assert!(base64url_decode("A").is_none());
    }

    #[test]
    fn echo_answers_each_question() {
        // ID 0, RD, one question www.example.com A IN, an OPT with DO.
        let mut q = vec![0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1];
        q.extend_from_slice(b"\x03www\x07example\x03com\x00\x00\x01\x00\x01");
        q.extend_from_slice(&[0, 0, 41, 4, 0xd0, 0, 0, 0x80, 0, 0, 0]);
        let a = echo_answer(&q).unwrap();
        assert_eq!(&a[..12], &[0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 1]);
        let qend = 12 + 17 + 4;
        assert_eq!(&a[12..qend], &q[12..qend]);
        assert_eq!(
            &a[qend..qend + 16],
            &[0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 192, 0, 2, 1]
        );
        assert_eq!(&a[qend + 16..], &[0, 0, 41, 4, 0xd0, 0, 0, 0x80, 0, 0, 0]);
        assert!(echo_answer(&a).is_none(), "a response is not a query");
        assert!(echo_answer(&q[..20]).is_none());
    }
}
