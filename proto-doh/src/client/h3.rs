//! HTTP/3 (RFC 9114) over QUIC (RFC 9000): quinn's QUIC over the same rustls configuration as
//! HTTP/2 (the same roots, `--cacert`, `--insecure`, pins and session cache; ALPN "h3"), and
//! h3's HTTP/3 framing and QPACK over it.
//!
//! ```text
//!  UDP socket ── QUIC handshake (TLS 1.3 inside, RFC 9001; ALPN h3) ── h3 control streams
//!  request     ── one bidirectional QUIC stream: HEADERS [DATA] ─► HEADERS DATA…
//! ```
//!
//! 0-RTT (RFC 9001 §4.6) only when [`ClientConfig::zero_rtt`] asks and the session cache holds
//! a ticket from an earlier connection to the server that allows early data: requests are then
//! sent before the handshake completes. Early data can be replayed by an attacker (RFC 8446
//! §8, RFC 9114 §10.9), so a POST waits for the handshake to complete; only GET goes early.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use tokio::sync::watch;

use super::connect::{Connected, Target};
use super::error::ClientError;
use super::http::Sender;
use super::quic_hello::{HelloSlot, ServerHello, Watching};
use super::{cert_info, spki_pin, MAX_BODY};
use super::{tls, CertInfo, ClientConfig, ConnectTiming, HttpVersion, Response, TlsInfo, ZeroRtt};

type SendRequest = h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>;

/// The request side of an HTTP/3 connection. `SendRequest` is Clone: each request opens a
/// stream of its own, so requests are multiplexed as over HTTP/2.
pub(crate) struct H3 {
    send: SendRequest,
    conn: quinn::Connection,
    early: HandshakeWatch,
    /// The UDP socket's endpoint, kept as long as the connection.
    _endpoint: quinn::Endpoint,
}

/// What a connection's handshake settles: whether it resumed an earlier session, and what
/// became of 0-RTT. Over HTTP/3 with 0-RTT the connection carries requests before its
/// handshake is complete, so these are known only later; this holds no connection, so a
/// caller may keep one for every connection of a long run. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HandshakeWatch {
    early: Early,
    /// Over TCP: known when the connection is handed over; None in cleartext.
    tcp_resumed: Option<bool>,
    /// Over QUIC: the ServerHello, once read.
    hello: Option<HelloSlot>,
}

/// What the handshake settled ([`HandshakeWatch::settle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// The server accepted a session ticket of an earlier connection (RFC 8446 §2.2); None
    /// in cleartext, or when the handshake did not complete in time.
    pub resumed: Option<bool>,
    /// What became of 0-RTT.
    pub zero_rtt: ZeroRtt,
}

#[derive(Debug, Clone)]
enum Early {
    Off,
    Unavailable,
    /// None until the handshake completes, then whether the server accepted early data.
    Pending(watch::Receiver<Option<bool>>),
}

impl HandshakeWatch {
    /// A TCP connection: no 0-RTT, resumption known.
    pub(crate) fn tcp(resumed: Option<bool>) -> HandshakeWatch {
        HandshakeWatch {
            early: Early::Off,
            tcp_resumed: resumed,
            hello: None,
        }
    }

    fn quic(early: Early, hello: HelloSlot) -> HandshakeWatch {
        HandshakeWatch {
            early,
            tcp_resumed: None,
            hello: Some(hello),
        }
    }

    /// The ServerHello of a QUIC connection, once read.
    pub(crate) fn hello(&self) -> Option<ServerHello> {
        self.hello.as_ref().and_then(|h| h.get().copied())
    }

    /// Over QUIC, the TLS version and cipher suite of the ServerHello, once read (over TCP the
    /// client's [`TlsInfo`] has them from the start).
    pub fn negotiated(&self) -> Option<(String, String)> {
        self.hello().map(|h| (h.version_name(), h.suite_name()))
    }

    /// Whether the handshake resumed a session, if known yet.
    pub(crate) fn resumed_now(&self) -> Option<bool> {
        match &self.hello {
            Some(_) => self.hello().map(|h| h.resumed),
            None => self.tcp_resumed,
        }
    }

    /// The outcome, waiting at most `limit` for the handshake to settle it.
    pub async fn settle(&self, limit: Duration) -> Settled {
        let zero_rtt = self.outcome(limit).await;
        Settled {
            resumed: self.resumed_now(),
            zero_rtt,
        }
    }

    /// What became of 0-RTT, waiting at most `limit` for the handshake to settle it.
    pub(crate) async fn outcome(&self, limit: Duration) -> ZeroRtt {
        match &self.early {
            Early::Off => ZeroRtt::Off,
            Early::Unavailable => ZeroRtt::Unavailable,
            Early::Pending(rx) => {
                let mut rx = rx.clone();
                let settled = tokio::time::timeout(limit, rx.wait_for(Option::is_some)).await;
                match settled {
                    Ok(Ok(v)) if *v == Some(true) => ZeroRtt::Accepted,
                    _ => ZeroRtt::Rejected,
                }
            }
        }
    }

    /// Waits until the handshake is complete (at once unless 0-RTT is in use).
    async fn handshake_done(&self, limit: Duration) {
        if let Early::Pending(rx) = &self.early {
            let mut rx = rx.clone();
            let _ = tokio::time::timeout(limit, rx.wait_for(Option::is_some)).await;
        }
    }
}

/// The QUIC handshake with the first address that completes one, then HTTP/3 setup.
pub(crate) async fn connect(
    cfg: &ClientConfig,
    t: &Target,
    built: &tls::Built,
    addrs: &[SocketAddr],
    dns: Option<Duration>,
) -> Result<Connected, ClientError> {
    let limit = cfg.connect_timeout;
    let crypto =
        quinn::crypto::rustls::QuicClientConfig::try_from(built.config.clone()).map_err(|e| {
            ClientError::TlsConfig {
                reason: format!("QUIC needs TLS 1.3 with TLS_AES_128_GCM_SHA256: {e}"),
            }
        })?;
    let crypto = Arc::new(crypto);
    let mut last: Option<ClientError> = None;
    for &peer in addrs {
        // A TLS session of its own for each attempt, so that its ServerHello is this
        // connection's.
        let hello = HelloSlot::default();
        let quic_cfg = quinn::ClientConfig::new(Arc::new(Watching {
            inner: crypto.clone(),
            slot: hello.clone(),
        }));
        let start = Instant::now();
        match handshake(cfg, t, built, &quic_cfg, peer, hello).await {
            Ok((endpoint, conn, early)) => {
                let quic_time = start.elapsed();
                return setup(cfg, t, endpoint, conn, early, peer, dns, quic_time, limit).await;
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| ClientError::Resolve {
        host: t.host.clone(),
        reason: "no address".into(),
    }))
}

async fn handshake(
    cfg: &ClientConfig,
    t: &Target,
    built: &tls::Built,
    quic_cfg: &quinn::ClientConfig,
    peer: SocketAddr,
    hello: HelloSlot,
) -> Result<(quinn::Endpoint, quinn::Connection, HandshakeWatch), ClientError> {
    let limit = cfg.connect_timeout;
    let bind: SocketAddr = if peer.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let endpoint = quinn::Endpoint::client(bind).map_err(|e| ClientError::Connect {
        addr: peer,
        host: t.host.clone(),
        source: e,
    })?;
    let connecting = endpoint
        .connect_with(quic_cfg.clone(), peer, &t.tls_name)
        .map_err(|e| ClientError::Url {
            url: t.url.clone(),
            reason: format!("cannot start a QUIC connection to {peer}: {e}"),
        })?;
    let phase = || format!("QUIC handshake with {peer} ({})", t.host);
    let failed = |e: quinn::ConnectionError| handshake_error(&e, peer, t, &built.seen);
    if cfg.zero_rtt {
        match connecting.into_0rtt() {
            Ok((conn, accepted)) => {
                let (tx, rx) = watch::channel(None);
                tokio::spawn(async move {
                    let _ = tx.send(Some(accepted.await));
                });
                return Ok((
                    endpoint,
                    conn,
                    HandshakeWatch::quic(Early::Pending(rx), hello),
                ));
            }
            Err(connecting) => {
                let conn = tokio::time::timeout(limit, connecting)
                    .await
                    .map_err(|_| ClientError::Timeout {
                        phase: phase(),
                        after: limit,
                    })?
                    .map_err(failed)?;
                return Ok((
                    endpoint,
                    conn,
                    HandshakeWatch::quic(Early::Unavailable, hello),
                ));
            }
        }
    }
    let conn = tokio::time::timeout(limit, connecting)
        .await
        .map_err(|_| ClientError::Timeout {
            phase: phase(),
            after: limit,
        })?
        .map_err(failed)?;
    Ok((endpoint, conn, HandshakeWatch::quic(Early::Off, hello)))
}

#[allow(clippy::too_many_arguments)]
async fn setup(
    cfg: &ClientConfig,
    t: &Target,
    endpoint: quinn::Endpoint,
    conn: quinn::Connection,
    early: HandshakeWatch,
    peer: SocketAddr,
    dns: Option<Duration>,
    quic_time: Duration,
    limit: Duration,
) -> Result<Connected, ClientError> {
    // No grease (RFC 9114 §7.2.8 reserved frames): hypercorn 0.17 over aioquic 1.2 never
    // ends a POST body that a reserved frame follows, though receivers must ignore them.
    let setup = tokio::time::timeout(
        limit,
        h3::client::builder()
            .send_grease(false)
            .build::<_, _, Bytes>(h3_quinn::Connection::new(conn.clone())),
    )
    .await
    .map_err(|_| ClientError::Timeout {
        phase: format!("HTTP/3 setup with {peer} ({})", t.host),
        after: limit,
    })?;
    let (mut driver, send) = setup.map_err(|e| ClientError::Http {
        request: format!("HTTP/3 setup with {}", t.url),
        reason: e.to_string(),
    })?;
    tokio::spawn(async move {
        // Errors surface on the requests that were using the connection.
        let _ = std::future::poll_fn(|cx| driver.poll_close(cx)).await;
    });
    let info = session_info(&conn, early.hello(), &t.tls_name, !cfg.insecure);
    Ok(Connected {
        peer,
        timing: ConnectTiming {
            dns,
            tcp: quic_time,
            tls: None,
            quic: Some(quic_time),
        },
        tls: Some(info),
        // From the ServerHello (with 0-RTT it may come after this): see [`HandshakeWatch`].
        resumed: None,
        watch: early.clone(),
        sender: Sender::H3(H3 {
            send,
            conn,
            early,
            _endpoint: endpoint,
        }),
    })
}

/// What `--tls` shows. quinn exposes the ALPN protocol and the certificates; the version and
/// cipher suite come from the ServerHello ([`super::quic_hello`]). With 0-RTT that may not have
/// come yet: QUIC always runs TLS 1.3 (RFC 9001 §4.2), and the suite is filled in later
/// ([`TlsInfo::with_hello`]).
pub(crate) fn session_info(
    conn: &quinn::Connection,
    hello: Option<ServerHello>,
    server_name: &str,
    verified: bool,
) -> TlsInfo {
    let alpn = conn
        .handshake_data()
        .and_then(|d| d.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
        .and_then(|d| d.protocol)
        .map(|p| String::from_utf8_lossy(&p).into_owned());
    let certs: Vec<rustls::pki_types::CertificateDer<'static>> = conn
        .peer_identity()
        .and_then(|d| {
            d.downcast::<Vec<rustls::pki_types::CertificateDer<'static>>>()
                .ok()
        })
        .map(|b| *b)
        .unwrap_or_default();
    let chain: Vec<CertInfo> = certs.iter().map(cert_info).collect();
    let info = TlsInfo {
        version: "TLSv1.3".to_string(),
        cipher_suite: String::new(),
        alpn,
        server_name: server_name.to_string(),
        verified,
        chain,
        spki_sha256: certs.first().map(spki_pin).unwrap_or_default(),
    };
    match hello {
        Some(h) => info.with_hello(h),
        None => info,
    }
}

impl TlsInfo {
    /// The version and cipher suite a QUIC connection's ServerHello chose.
    pub(crate) fn with_hello(mut self, h: ServerHello) -> TlsInfo {
        self.version = h.version_name();
        self.cipher_suite = h.suite_name();
        self
    }
}

/// A failed QUIC handshake in plain words: TLS alerts (RFC 9001 §4.8: CRYPTO_ERROR 0x100 +
/// alert) and certificate rejections are TLS-phase errors.
fn handshake_error(
    e: &quinn::ConnectionError,
    addr: SocketAddr,
    t: &Target,
    seen: &tls::Seen,
) -> ClientError {
    use quinn::ConnectionError as C;
    let tls_err = |reason: String| ClientError::Tls {
        addr,
        host: t.host.clone(),
        reason,
    };
    let alert = |code: u64| -> Option<u8> {
        (0x100..=0x1ff)
            .contains(&code)
            .then(|| u8::try_from(code - 0x100).ok())
            .flatten()
    };
    let alert_reason = |a: u8, by: &str| {
        match a {
        120 => "the server does not offer HTTP/3 (it refused ALPN \"h3\") — drop --http3 to use HTTP/2".to_string(),
        // aioquic answers an ALPN it does not serve with handshake_failure.
        40 => format!("the handshake was refused {by} with TLS alert HandshakeFailure — does the server offer HTTP/3 (ALPN \"h3\")? Drop --http3 to use HTTP/2"),
        a => format!("the handshake was refused {by} with TLS alert {:?}", rustls::AlertDescription::from(a)),
    }
    };
    match e {
        C::TransportError(te) => {
            let code = u64::from(te.code);
            match alert(code) {
                Some(_) if te.reason.contains("invalid peer certificate") => {
                    tls_err(tls::certificate_reason_text(&te.reason, &t.tls_name, seen))
                }
                Some(a) => tls_err(format!("{} ({})", alert_reason(a, "here"), te.reason)),
                None => tls_err(format!("QUIC handshake failed: {te}")),
            }
        }
        C::ConnectionClosed(cc) => {
            let code = u64::from(cc.error_code);
            match alert(code) {
                Some(a) => tls_err(alert_reason(a, "by the server")),
                None => tls_err(format!("the server closed the QUIC handshake: {cc}")),
            }
        }
        C::VersionMismatch => {
            tls_err("the server speaks no QUIC version this client offers (v1)".into())
        }
        other => tls_err(format!("QUIC handshake failed: {other}")),
    }
}

impl H3 {
    pub(crate) fn is_closed(&self) -> bool {
        self.conn.close_reason().is_some()
    }

    /// Sends one request on a new stream and collects the response within `limit`.
    pub(crate) async fn send(
        &self,
        req: ::http::Request<Bytes>,
        label: &str,
        limit: Duration,
        lean: bool,
    ) -> Result<Response, ClientError> {
        if req.method() != ::http::Method::GET {
            // Only GET may go in replayable early data.
            self.early.handshake_done(limit).await;
        }
        let (parts, body) = req.into_parts();
        let start = Instant::now();
        let fail = |what: &str, e: &dyn std::fmt::Display| ClientError::Http {
            request: label.to_string(),
            reason: format!("{what}: {e}"),
        };
        let mut send = self.send.clone();
        let exchange = async {
            let mut stream = send
                .send_request(::http::Request::from_parts(parts, ()))
                .await
                .map_err(|e| fail("sending the request", &e))?;
            if !body.is_empty() {
                stream
                    .send_data(body)
                    .await
                    .map_err(|e| fail("sending the body", &e))?;
            }
            stream
                .finish()
                .await
                .map_err(|e| fail("ending the request stream", &e))?;
            let resp = stream
                .recv_response()
                .await
                .map_err(|e| fail("reading the response", &e))?;
            let ttfb = start.elapsed();
            let mut collected = BytesMut::new();
            while let Some(chunk) = stream
                .recv_data()
                .await
                .map_err(|e| fail("reading the response body", &e))?
            {
                if collected.len() + chunk.remaining() > MAX_BODY {
                    return Err(ClientError::BodyTooLarge {
                        request: label.to_string(),
                        limit: MAX_BODY,
                    });
                }
                collected.put(chunk);
            }
            Ok((resp, ttfb, collected.freeze()))
        };
        let (resp, ttfb, body) =
            tokio::time::timeout(limit, exchange)
                .await
                .map_err(|_| ClientError::Timeout {
                    phase: format!("waiting for the response to {label}"),
                    after: limit,
                })??;
        let headers = resp
            .headers()
            .iter()
            .filter(|(n, _)| !lean || *n == ::http::header::CONTENT_TYPE)
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        Ok(Response {
            status: resp.status().as_u16(),
            version: HttpVersion::Http3,
            headers,
            body,
            ttfb,
            total: start.elapsed(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn target() -> Target {
        Target::parse(&ClientConfig::new("https://dns.example:8443/dns-query")).unwrap()
    }

    fn closed_by_server(alert: u8) -> String {
        let e = quinn::ConnectionError::ConnectionClosed(quinn::ConnectionClose {
            error_code: quinn::TransportErrorCode::crypto(alert),
            frame_type: None,
            reason: Bytes::new(),
        });
        let seen: tls::Seen = Default::default();
        handshake_error(&e, "192.0.2.1:8443".parse().unwrap(), &target(), &seen).to_string()
    }

    #[test]
    fn tls_alerts_in_connection_close_are_tls_errors_in_plain_words() {
        // RFC 9001 §4.8: CRYPTO_ERROR 0x100 + the TLS alert.
        let e = closed_by_server(120);
        assert!(
            e.starts_with("TLS with 192.0.2.1:8443 (dns.example): the server does not offer HTTP/3 (it refused ALPN \"h3\")"),
            "{e}"
        );
        let e = closed_by_server(40);
        assert!(e.contains("TLS alert HandshakeFailure"), "{e}");
        assert!(e.contains("ALPN \"h3\""), "{e}");
        let e = closed_by_server(42);
        assert!(
            e.contains("refused by the server with TLS alert BadCertificate"),
            "{e}"
        );
    }

    #[test]
    fn a_rejected_certificate_is_named() {
        // quinn reports a certificate the verifier refused only as rustls's message.
        let seen: tls::Seen = Default::default();
        let e = tls::certificate_reason_text(
            "invalid peer certificate: UnknownIssuer",
            "dns.example",
            &seen,
        );
        assert!(
            e.starts_with(
                "certificate for dns.example is not trusted: UnknownIssuer — pass --cacert FILE"
            ),
            "{e}"
        );
        let e = tls::certificate_reason_text(
            "invalid peer certificate: NotValidForName",
            "dns.example",
            &seen,
        );
        assert!(e.contains("not for dns.example"), "{e}");
        let e =
            tls::certificate_reason_text("invalid peer certificate: Revoked", "dns.example", &seen);
        assert_eq!(
            e,
            "certificate for dns.example was rejected: invalid peer certificate: Revoked"
        );
    }

    #[tokio::test]
    async fn early_data_outcomes() {
        let limit = Duration::from_millis(50);
        let w = |e: Early| HandshakeWatch::quic(e, HelloSlot::default());
        assert_eq!(HandshakeWatch::tcp(None).outcome(limit).await, ZeroRtt::Off);
        assert_eq!(
            w(Early::Unavailable).outcome(limit).await,
            ZeroRtt::Unavailable
        );
        let (tx, rx) = watch::channel(None);
        let early = w(Early::Pending(rx));
        // Not settled in time: counted as rejected.
        assert_eq!(early.outcome(limit).await, ZeroRtt::Rejected);
        tx.send(Some(true)).unwrap();
        assert_eq!(early.outcome(limit).await, ZeroRtt::Accepted);
        let (tx, rx) = watch::channel(None);
        tx.send(Some(false)).unwrap();
        assert_eq!(
            w(Early::Pending(rx)).outcome(limit).await,
            ZeroRtt::Rejected
        );
        // Resumption: over TCP as given, over QUIC once the ServerHello is read.
        assert_eq!(HandshakeWatch::tcp(Some(true)).resumed_now(), Some(true));
        let quic = w(Early::Off);
        assert_eq!(quic.resumed_now(), None);
        if let Some(slot) = &quic.hello {
            let _ = slot.set(ServerHello {
                suite: 0x1301,
                version: 0x0304,
                resumed: true,
            });
        }
        assert_eq!(
            quic.settle(limit).await,
            Settled {
                resumed: Some(true),
                zero_rtt: ZeroRtt::Off
            }
        );
    }
}
