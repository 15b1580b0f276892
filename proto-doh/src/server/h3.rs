//! The HTTP/3 listener (RFC 9114): quinn's QUIC endpoint on a UDP port, h3's server
//! connections over it, and each request handed to the same handling as HTTP/2
//! ([`super::http::handle`]).
//!
//! Requests are answered only once the QUIC handshake is complete: a client's 0-RTT data is
//! accepted by TLS but held until then, so a replayed first flight (RFC 8446 §8), which cannot
//! complete the handshake, is never answered (RFC 9114 §10.9).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use http_body_util::Full;
use tokio::sync::{watch, Semaphore};

use super::http::{handle, Limits, State};
use super::request::MAX_MESSAGE;

type RequestStream = h3::server::RequestStream<h3_quinn::BidiStream<Bytes>, Bytes>;

/// QUIC's server configuration from the TLS one: ALPN "h3" alone, early data accepted (quinn
/// asks for the unlimited size, RFC 9001 §4.6.1), the stream and idle limits of `limits`.
pub(super) fn server_config(
    tls: &Arc<rustls::ServerConfig>,
    limits: &Limits,
) -> Result<quinn::ServerConfig, String> {
    let mut c = (**tls).clone();
    c.alpn_protocols = vec![b"h3".to_vec()];
    c.max_early_data_size = u32::MAX;
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(c)
        .map_err(|e| format!("QUIC needs TLS 1.3 with TLS_AES_128_GCM_SHA256: {e}"))?;
    let mut sc = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let mut tc = quinn::TransportConfig::default();
    tc.max_concurrent_bidi_streams(limits.max_streams.into());
    // The client's control, QPACK encoder and decoder streams (RFC 9114 §6.2, RFC 9204 §4.2),
    // and room for grease.
    tc.max_concurrent_uni_streams(8u32.into());
    let idle = quinn::IdleTimeout::try_from(limits.idle_timeout)
        .map_err(|e| format!("idle timeout {:?}: {e}", limits.idle_timeout))?;
    tc.max_idle_timeout(Some(idle));
    sc.transport_config(Arc::new(tc));
    Ok(sc)
}

/// Accepts QUIC connections until `stop`, each under a permit of the shared connection limit.
pub(super) async fn accept_loop(
    ep: quinn::Endpoint,
    state: Arc<State>,
    conns: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            break;
        }
        let permit = tokio::select! {
            p = conns.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = stop.changed() => break,
        };
        let incoming = tokio::select! {
            i = ep.accept() => match i { Some(i) => i, None => break },
            _ = stop.changed() => break,
        };
        let state = state.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let peer = incoming.remote_address();
            let limit = state.cfg.limits.handshake_timeout;
            if let Ok(Ok(conn)) = tokio::time::timeout(limit, incoming).await {
                serve_connection(conn, peer, state, stop).await;
            }
        });
    }
    let grace = state.cfg.limits.grace;
    let _ = tokio::time::timeout(grace, ep.wait_idle()).await;
    ep.close(0u32.into(), b"shutting down");
}

async fn serve_connection(
    conn: quinn::Connection,
    peer: SocketAddr,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
) {
    let limits = state.cfg.limits.clone();
    let max_field = u64::try_from(limits.max_header_bytes).unwrap_or(u64::MAX);
    // No grease (RFC 9114 §7.2.8 reserved frames): aioquic 1.2's HTTP/3 (dnspython's client)
    // never sees the end of a response that a reserved frame follows.
    let built = h3::server::builder()
        .max_field_section_size(max_field)
        .send_grease(false)
        .build::<_, Bytes>(h3_quinn::Connection::new(conn))
        .await;
    let Ok(mut h3c) = built else { return };
    loop {
        if *stop.borrow() {
            break;
        }
        let accepted = tokio::select! {
            a = h3c.accept() => a,
            _ = stop.changed() => break,
        };
        match accepted {
            Ok(Some(resolver)) => {
                let state = state.clone();
                tokio::spawn(async move {
                    if let Ok((req, stream)) = resolver.resolve_request().await {
                        let read_timeout = state.cfg.limits.read_timeout;
                        respond(&state, peer, req, stream, read_timeout).await;
                    }
                });
            }
            // The client closed the connection, or it broke.
            Ok(None) | Err(_) => return,
        }
    }
    // GOAWAY (RFC 9114 §5.2): requests in flight are answered, for at most the grace time.
    let _ = tokio::time::timeout(limits.grace, h3c.shutdown(0)).await;
}

async fn respond(
    state: &State,
    peer: SocketAddr,
    req: http::Request<()>,
    mut stream: RequestStream,
    read_timeout: Duration,
) {
    // The body, bounded: one octet past the limit is enough for the handling to answer 413.
    let mut body = BytesMut::new();
    let read = tokio::time::timeout(read_timeout, async {
        while let Some(chunk) = stream.recv_data().await? {
            body.put(chunk.take(MAX_MESSAGE + 1 - body.len()));
            if body.len() > MAX_MESSAGE {
                break;
            }
        }
        Ok::<_, h3::error::StreamError>(())
    })
    .await;
    let resp = match read {
        Ok(Ok(())) => {
            let (parts, ()) = req.into_parts();
            handle(
                state,
                peer,
                http::Request::from_parts(parts, Full::new(body.freeze())),
            )
            .await
        }
        // The stream was reset: nobody to answer.
        Ok(Err(_)) => return,
        Err(_) => http::Response::builder()
            .status(408)
            .header("content-type", "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from(format!(
                "the request body did not arrive within {} s\n",
                read_timeout.as_secs()
            ))))
            .unwrap_or_else(|_| http::Response::new(Full::new(Bytes::new()))),
    };
    let (mut parts, body) = resp.into_parts();
    let body = match http_body_util::BodyExt::collect(body).await {
        Ok(c) => c.to_bytes(),
        Err(never) => match never {},
    };
    parts.headers.insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from(body.len()),
    );
    if stream
        .send_response(http::Response::from_parts(parts, ()))
        .await
        .is_err()
    {
        return;
    }
    if !body.is_empty() && stream.send_data(body).await.is_err() {
        return;
    }
    let _ = stream.finish().await;
}
