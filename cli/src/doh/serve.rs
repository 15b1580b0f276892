//! `ietfwg doh serve`: a DoH server for labs — authoritative from a zone file or forwarding
//! to a Do53 resolver — over HTTP/2 and HTTP/1.1 on TLS, or cleartext with `--http`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use ietfwg_doh::server::log::AccessLog;
use ietfwg_doh::server::{tls, Backend, Limits, ServeConfig, Server, Upstream, Zone};

use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["zone", "upstream"])))]
pub struct ServeArgs {
    /// Address and port to listen on (repeatable; port 0 lets the system choose). Default
    /// 127.0.0.1:8443, or 127.0.0.1:8080 with --http.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Vec<SocketAddr>,

    /// Answer authoritatively from this zone file (RFC 1035 master format).
    #[arg(long, value_name = "FILE")]
    pub zone: Option<PathBuf>,

    /// The zone's origin when the file has no $ORIGIN.
    #[arg(long, value_name = "NAME", requires = "zone")]
    pub origin: Option<String>,

    /// Forward every query to this Do53 resolver (UDP, TCP when truncated); port 53 by default.
    #[arg(long, value_name = "ADDR[:PORT]", conflicts_with = "zone")]
    pub upstream: Option<String>,

    /// Certificate chain (PEM, leaf first). Without it a self-signed certificate is made.
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,

    /// The certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,

    /// Where the self-signed certificate and key are written (default: a new directory in the
    /// system's temporary directory).
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,

    /// More names for the self-signed certificate (it always has localhost, 127.0.0.1, ::1
    /// and the listen addresses).
    #[arg(long = "cert-name", value_name = "NAME")]
    pub cert_names: Vec<String>,

    /// The DoH endpoint's path.
    #[arg(long, default_value = "/dns-query")]
    pub path: String,

    /// Serve cleartext HTTP (HTTP/1.1, or HTTP/2 with prior knowledge), e.g. behind a proxy.
    #[arg(long, conflicts_with_all = ["tls", "cert", "key"])]
    pub http: bool,

    /// Serve HTTPS (the default).
    #[arg(long)]
    pub tls: bool,

    /// Also serve HTTP/3 (RFC 9114) over QUIC on the same port number over UDP, with the same
    /// limits; HTTP/2 and HTTP/1.1 responses then advertise it with Alt-Svc (RFC 7838).
    #[arg(long, conflicts_with = "http")]
    pub http3: bool,

    /// Also serve the JSON API (`?name=…&type=…`, `application/dns-json`).
    #[arg(long)]
    pub json_api: bool,

    /// Write an NDJSON access log line per request to FILE (appended), or `-` for stdout.
    #[arg(long, value_name = "FILE|-")]
    pub log: Option<String>,

    /// Open connections at most.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,

    /// HTTP/2 (and HTTP/3) concurrent streams per connection at most.
    #[arg(long, default_value_t = 100)]
    pub max_streams: u32,

    /// Requests per second per client address (0: no limit); bursts of twice as many.
    #[arg(long, default_value_t = 20_000)]
    pub rate: u32,

    /// Seconds without a request before a connection is closed.
    #[arg(long, default_value_t = 30)]
    pub idle_timeout: u64,
}

pub fn run(a: ServeArgs, _out: Output) -> anyhow::Result<Status> {
    if !a.path.starts_with('/') {
        bail!("--path {}: a path starts with /", a.path);
    }
    let backend = if let Some(zone) = &a.zone {
        let origin = a
            .origin
            .as_deref()
            .map(ietfwg_doh::query::parse_name)
            .transpose()?;
        let z = Zone::load(zone, origin).map_err(|e| anyhow!(e))?;
        Backend::Zone(Arc::new(z))
    } else if let Some(up) = &a.upstream {
        Backend::Upstream(Arc::new(Upstream::new(upstream_addr(up)?)))
    } else {
        bail!("give --zone FILE or --upstream ADDR");
    };
    let listen = if a.listen.is_empty() {
        vec![SocketAddr::from((
            [127, 0, 0, 1],
            if a.http { 8080 } else { 8443 },
        ))]
    } else {
        a.listen.clone()
    };

    let mut notes = Vec::new();
    let tls = if a.http {
        None
    } else {
        let id = match (&a.cert, &a.key) {
            (Some(c), Some(k)) => tls::load(c, k).map_err(|e| anyhow!(e))?,
            _ => {
                let mut names: Vec<String> =
                    vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
                for l in &listen {
                    let ip = l.ip();
                    if !ip.is_unspecified() && !names.contains(&ip.to_string()) {
                        names.push(ip.to_string());
                    }
                }
                names.extend(a.cert_names.iter().cloned());
                let dir = match &a.cert_dir {
                    Some(d) => d.clone(),
                    None => std::env::temp_dir()
                        .join(format!("ietfwg-doh-serve-{}", std::process::id())),
                };
                let id = tls::self_signed(&names, &dir).map_err(|e| anyhow!(e))?;
                notes.push(format!(
                    "certificate {} (self-signed for {}; trust it with --cacert {0})",
                    id.cert_path.display(),
                    names.join(", ")
                ));
                id
            }
        };
        notes.push(format!("spki pin sha256//{}", id.pin));
        Some(tls::server_config(&id, true, true).map_err(|e| anyhow!(e))?)
    };

    let log = match a.log.as_deref() {
        None => None,
        Some("-") => Some(Arc::new(AccessLog::new(Box::new(std::io::stdout())))),
        Some(f) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(f)
                .with_context(|| format!("access log {f}"))?;
            Some(Arc::new(AccessLog::new(Box::new(file))))
        }
    };
    let limits = Limits {
        max_connections: a.max_connections.max(1),
        max_streams: a.max_streams.max(1),
        rate: a.rate,
        burst: a.rate.saturating_mul(2),
        idle_timeout: Duration::from_secs(a.idle_timeout.max(1)),
        ..Limits::default()
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let cfg = ServeConfig {
        listen,
        path: a.path.clone(),
        backend: backend.clone(),
        tls,
        json_api: a.json_api,
        limits,
        log,
        http3: a.http3,
    };
    let rt = super::conn::runtime(2)?;
    rt.block_on(async move {
        let server = Server::bind(cfg).await.map_err(|e| anyhow!(e))?;
        eprintln!("serving {backend}");
        for n in &notes {
            eprintln!("{n}");
        }
        let quic = server.quic_addrs();
        for addr in server.local_addrs() {
            let h3 = if quic.contains(&addr) {
                format!("; HTTP/3 on UDP port {}", addr.port())
            } else {
                String::new()
            };
            eprintln!(
                "listening on {scheme}://{addr}{} (HTTP/2, HTTP/1.1{h3})",
                a.path
            );
        }
        server.run(shutdown_signal()).await;
        eprintln!("stopped");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(Status::Ok)
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        match (term, int) {
            (Ok(mut t), Ok(mut i)) => {
                tokio::select! {
                    _ = t.recv() => {},
                    _ = i.recv() => {},
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `ADDR`, `ADDR:PORT`, `[V6]:PORT` or a bare IPv6 address; port 53 by default.
fn upstream_addr(s: &str) -> anyhow::Result<SocketAddr> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = s.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, 53));
    }
    bail!("--upstream {s}: give an IP address, with :PORT when not 53 ([V6]:PORT for IPv6)")
}
