//! The connect phases, each timed and each under the connect timeout: DNS lookup of the
//! server name, TCP connect, TLS handshake, HTTP/2 (or HTTP/1.1) setup.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

use super::error::ClientError;
use super::http::Sender;
use super::{tls, ClientConfig, ConnectTiming, HttpVersion, TlsInfo};

/// The server URL taken apart.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// As given.
    pub url: String,
    /// "https" or "http".
    pub scheme: &'static str,
    /// Host from the URL, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// `:authority` / Host: the URL's authority, or `--tls-name` with the URL's port.
    pub authority: String,
    /// The name the certificate must carry (and SNI when it is a DNS name).
    pub tls_name: String,
    /// Path and query of the URL ("/" when empty).
    pub path_and_query: String,
}

impl Target {
    pub(crate) fn parse(cfg: &ClientConfig) -> Result<Target, ClientError> {
        let bad = |reason: &str| ClientError::Url {
            url: cfg.url.clone(),
            reason: reason.to_string(),
        };
        if !cfg.url.contains("://") {
            return Err(bad("no scheme (expected https://host[:port]/path)"));
        }
        let uri: ::http::Uri = cfg.url.parse().map_err(|e: ::http::uri::InvalidUri| {
            bad(&format!("{e} (expected https://host[:port]/path)"))
        })?;
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => "https",
            Some(s) if s.eq_ignore_ascii_case("http") => "http",
            Some(s) => return Err(bad(&format!("scheme {s:?} is neither https nor http"))),
            None => return Err(bad("no scheme (expected https://host[:port]/path)")),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| bad("no host (expected https://host[:port]/path)"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user information in the URL is not supported"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        let port = authority
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        let path_and_query = match uri.path_and_query().map(|p| p.as_str()) {
            None | Some("") => "/".to_string(),
            Some(p) => p.to_string(),
        };
        let (authority, tls_name) = match &cfg.tls_name {
            Some(name) => {
                let name = name.trim_end_matches('.').to_string();
                let auth = match authority.port() {
                    Some(p) => format!("{name}:{p}"),
                    None => name.clone(),
                };
                (auth, name)
            }
            None => (authority.as_str().to_string(), host.clone()),
        };
        Ok(Target {
            url: cfg.url.clone(),
            scheme,
            host,
            port,
            authority,
            tls_name,
            path_and_query,
        })
    }

    /// The path without the query, for messages.
    pub(crate) fn path_only(&self) -> &str {
        self.path_and_query
            .split('?')
            .next()
            .unwrap_or(&self.path_and_query)
    }
}

pub(crate) struct Connected {
    pub peer: SocketAddr,
    pub timing: ConnectTiming,
    pub tls: Option<TlsInfo>,
    /// Whether the TLS handshake resumed an earlier session (RFC 8446 §2.2); None in cleartext.
    pub resumed: Option<bool>,
    /// What the handshake settles (over HTTP/3 with 0-RTT, after the connection is handed
    /// over): resumption and 0-RTT.
    pub watch: super::h3::HandshakeWatch,
    pub sender: Sender,
}

async fn within<T>(
    limit: Duration,
    phase: impl FnOnce() -> String,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, ClientError> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| ClientError::Timeout {
            phase: phase(),
            after: limit,
        })
}

/// The TLS configuration for `cfg`, None for `http://`. Built before any I/O, so that a bad
/// `--cacert` is reported without touching the network; shared by every connection of a
/// [`Connector`](super::Connector), so that later connections can resume the first session.
pub(crate) fn tls_config(
    cfg: &ClientConfig,
    t: &Target,
) -> Result<Option<tls::Built>, ClientError> {
    if t.scheme == "https" {
        let mut built = tls::build(cfg.cacert.as_deref(), cfg.insecure, cfg.http)?;
        if cfg.http == HttpVersion::Http3 && cfg.zero_rtt {
            // Early data is offered only when asked for (RFC 9001 §4.6.1).
            let mut c = (*built.config).clone();
            c.enable_early_data = true;
            built.config = std::sync::Arc::new(c);
        }
        Ok(Some(built))
    } else if cfg.http == HttpVersion::Http3 {
        Err(ClientError::Url {
            url: cfg.url.clone(),
            reason: "HTTP/3 runs over QUIC, which is always encrypted: use https://".into(),
        })
    } else {
        Ok(None)
    }
}

pub(crate) async fn connect(
    cfg: &ClientConfig,
    t: &Target,
    tls_cfg: Option<&tls::Built>,
) -> Result<Connected, ClientError> {
    let limit = cfg.connect_timeout;

    // DNS lookup, unless --resolve or an IP address in the URL says where.
    let wanted = t.host.trim_end_matches('.');
    let pinned: Vec<IpAddr> = cfg
        .resolve
        .iter()
        .filter(|(h, _)| h.trim_end_matches('.').eq_ignore_ascii_case(wanted))
        .map(|(_, ip)| *ip)
        .collect();
    let (addrs, dns): (Vec<SocketAddr>, Option<Duration>) = if !pinned.is_empty() {
        (
            pinned
                .into_iter()
                .map(|ip| SocketAddr::new(ip, t.port))
                .collect(),
            None,
        )
    } else if let Ok(ip) = t.host.parse::<IpAddr>() {
        (vec![SocketAddr::new(ip, t.port)], None)
    } else {
        let start = Instant::now();
        let found = within(
            limit,
            || format!("DNS lookup of {}", t.host),
            tokio::net::lookup_host((t.host.as_str(), t.port)),
        )
        .await?
        .map_err(|e| ClientError::Resolve {
            host: t.host.clone(),
            reason: e.to_string(),
        })?;
        let addrs: Vec<SocketAddr> = found.collect();
        if addrs.is_empty() {
            return Err(ClientError::Resolve {
                host: t.host.clone(),
                reason: "no address".into(),
            });
        }
        (addrs, Some(start.elapsed()))
    };

    if cfg.http == HttpVersion::Http3 {
        let Some(built) = tls_cfg else {
            return Err(ClientError::Url {
                url: t.url.clone(),
                reason: "HTTP/3 runs over QUIC, which is always encrypted: use https://".into(),
            });
        };
        return super::h3::connect(cfg, t, built, &addrs, dns).await;
    }

    // TCP: the addresses in order, the first that answers.
    let start = Instant::now();
    let mut last: Option<ClientError> = None;
    let mut tcp = None;
    for addr in &addrs {
        let attempt = within(
            limit,
            || format!("TCP connect to {addr} ({})", t.host),
            TcpStream::connect(addr),
        )
        .await;
        match attempt {
            Ok(Ok(s)) => {
                tcp = Some((s, *addr));
                break;
            }
            Ok(Err(e)) => {
                last = Some(ClientError::Connect {
                    addr: *addr,
                    host: t.host.clone(),
                    source: e,
                })
            }
            Err(timeout) => last = Some(timeout),
        }
    }
    let (tcp, peer) = match (tcp, last) {
        (Some(found), _) => found,
        (None, Some(err)) => return Err(err),
        (None, None) => {
            return Err(ClientError::Resolve {
                host: t.host.clone(),
                reason: "no address".into(),
            })
        }
    };
    let tcp_time = start.elapsed();
    // DNS messages are small and latency-bound.
    let _ = tcp.set_nodelay(true);

    let Some(built) = tls_cfg else {
        let sender = within(
            limit,
            || format!("{} setup with {peer} ({})", cfg.http, t.host),
            Sender::handshake(tcp, cfg.http, &t.url),
        )
        .await??;
        return Ok(Connected {
            peer,
            timing: ConnectTiming {
                dns,
                tcp: tcp_time,
                tls: None,
                quic: None,
            },
            tls: None,
            resumed: None,
            watch: super::h3::HandshakeWatch::tcp(None),
            sender,
        });
    };

    let server_name = ServerName::try_from(t.tls_name.clone()).map_err(|_| ClientError::Url {
        url: t.url.clone(),
        reason: format!("{:?} is not a valid TLS server name", t.tls_name),
    })?;
    let start = Instant::now();
    let connector = tokio_rustls::TlsConnector::from(built.config.clone());
    let mut stream = within(
        limit,
        || format!("TLS handshake with {peer} ({})", t.host),
        connector.connect(server_name, super::frames::Coalesce::new(tcp)),
    )
    .await?
    .map_err(|e| tls::handshake_error(&e, peer, &t.host, &t.tls_name, cfg.http, &built.seen))?;
    let tls_time = start.elapsed();
    stream.get_mut().0.enable();

    let session = stream.get_ref().1;
    let info = tls::session_info(session, &t.tls_name, !cfg.insecure);
    let resumed = Some(matches!(
        session.handshake_kind(),
        Some(rustls::HandshakeKind::Resumed)
    ));
    let alpn = session.alpn_protocol().map(<[u8]>::to_vec);
    match (cfg.http, alpn.as_deref()) {
        (HttpVersion::Http2, Some(b"h2")) | (HttpVersion::Http11, Some(b"http/1.1") | None) => {}
        // HTTP/3 returned above: it never runs over TCP.
        (HttpVersion::Http3, _) => {
            return Err(ClientError::Tls {
                addr: peer,
                host: t.host.clone(),
                reason: "HTTP/3 runs over QUIC, not TCP".into(),
            })
        }
        (HttpVersion::Http2, None) => return Err(ClientError::Tls {
            addr: peer,
            host: t.host.clone(),
            reason:
                "the server did not agree to HTTP/2 (no protocol selected by ALPN) — try --http1.1"
                    .into(),
        }),
        (asked, Some(other)) => {
            return Err(ClientError::Tls {
                addr: peer,
                host: t.host.clone(),
                reason: format!(
                    "asked for {:?} by ALPN, the server selected {:?}",
                    asked.alpn(),
                    String::from_utf8_lossy(other)
                ),
            })
        }
    }

    let setup = || format!("{} setup with {peer} ({})", cfg.http, t.host);
    let sender = match cfg.http {
        HttpVersion::Http2 => {
            let io = super::frames::FramePerWrite::new(stream);
            within(limit, setup, Sender::handshake(io, cfg.http, &t.url)).await??
        }
        HttpVersion::Http11 | HttpVersion::Http3 => {
            within(limit, setup, Sender::handshake(stream, cfg.http, &t.url)).await??
        }
    };
    Ok(Connected {
        peer,
        timing: ConnectTiming {
            dns,
            tcp: tcp_time,
            tls: Some(tls_time),
            quic: None,
        },
        tls: Some(info),
        resumed,
        watch: super::h3::HandshakeWatch::tcp(resumed),
        sender,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str, tls_name: Option<&str>) -> Result<Target, ClientError> {
        let mut cfg = ClientConfig::new(url);
        cfg.tls_name = tls_name.map(str::to_string);
        Target::parse(&cfg)
    }

    #[test]
    fn urls_taken_apart() {
        let t = parse("https://dns.example:8443/dns-query", None).unwrap();
        assert_eq!(
            (t.scheme, t.host.as_str(), t.port, t.authority.as_str()),
            ("https", "dns.example", 8443, "dns.example:8443")
        );
        assert_eq!(t.path_and_query, "/dns-query");
        assert_eq!(t.tls_name, "dns.example");

        let t = parse("https://dns.example", None).unwrap();
        assert_eq!((t.port, t.path_and_query.as_str()), (443, "/"));
        let t = parse("http://dns.example/q?x=1", None).unwrap();
        assert_eq!(
            (t.port, t.path_and_query.as_str(), t.path_only()),
            (80, "/q?x=1", "/q")
        );

        let t = parse("https://[::1]:853/dns-query", Some("localhost.")).unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.authority, "localhost:853");
        assert_eq!(t.tls_name, "localhost");
        let t = parse("https://[::1]/dns-query", None).unwrap();
        assert_eq!((t.host.as_str(), t.authority.as_str()), ("::1", "[::1]"));
    }

    #[test]
    fn unusable_urls_say_why() {
        for (url, why) in [
            ("dns.example/dns-query", "no scheme"),
            ("ftp://dns.example/", "neither https nor http"),
            ("https://user@dns.example/", "user information"),
            ("https://dns example/", "expected https://host[:port]/path"),
        ] {
            let e = parse(url, None).unwrap_err().to_string();
            assert!(e.contains(why), "{url}: {e}");
        }
    }
}
