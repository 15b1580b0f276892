//! Server, bootstrap, TLS and HTTP options shared by `doh query` and `doh batch`, turned into
//! one [`ClientConfig`] (one connection per command).

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use ietfwg_doh::client::{Client, ClientConfig, ClientError, Connector, HttpVersion};

/// The resolver asked when neither `--server` nor `IETFWG_DOH_SERVER` says otherwise.
pub const DEFAULT_SERVER: &str = "https://cloudflare-dns.com/dns-query";

/// Where and how to connect.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Connection")]
pub struct ConnArgs {
    /// DoH server URL, `https://host[:port]/path` (`http://` for cleartext DoH) [default:
    /// https://cloudflare-dns.com/dns-query]
    #[arg(long, env = "IETFWG_DOH_SERVER", value_name = "URL")]
    pub server: Option<String>,

    /// Speak HTTP/1.1 (ALPN http/1.1) instead of HTTP/2; requests then take turns on the one
    /// connection.
    #[arg(long = "http1.1")]
    pub http1_1: bool,

    /// Speak HTTP/3 over QUIC (RFC 9114, ALPN h3, UDP) instead of HTTP/2; requests are
    /// multiplexed as QUIC streams on the one connection.
    #[arg(long, conflicts_with = "http1_1")]
    pub http3: bool,

    /// With --http3 and --get: resume an earlier session and send the requests as 0-RTT early
    /// data (RFC 9001 §4.6), and say whether the server accepted it. Early data can be
    /// replayed, so it is refused with POST.
    #[arg(long = "0rtt", requires = "http3")]
    pub zero_rtt: bool,

    /// Connect to IP for HOST instead of resolving it (the port comes from the URL; curl's
    /// HOST:PORT:IP is accepted too). Repeatable.
    #[arg(long, value_name = "HOST:IP")]
    pub resolve: Vec<String>,

    /// The name for SNI and certificate verification when the URL holds an IP address.
    #[arg(long, value_name = "NAME")]
    pub tls_name: Option<String>,

    /// Trust the CA certificates in this PEM file instead of the system's.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not verify the server's certificate (a warning is printed).
    #[arg(long)]
    pub insecure: bool,

    /// Extra request header, 'Name: value'. Repeatable.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Send this User-Agent (none is sent by default: RFC 8484 §8).
    #[arg(long, value_name = "TEXT")]
    pub user_agent: Option<String>,

    /// Give up after this many seconds: connecting (DNS, TCP, TLS), and each request
    /// [default: 5 to connect, 10 per request]
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<Duration>,
}

impl ConnArgs {
    /// The server URL: `--server`, else `IETFWG_DOH_SERVER`, else [`DEFAULT_SERVER`].
    pub fn server(&self) -> &str {
        self.server
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_SERVER)
    }
}

/// The client configuration these options describe. Prints the `--insecure` warning on stderr.
/// `get`: the command sends its queries with GET (the only form `--0rtt` allows).
pub fn client_config(args: &ConnArgs, get: bool) -> anyhow::Result<ClientConfig> {
    let url = args.server();
    let (scheme, port) = url_scheme_port(url)?;
    let mut cfg = ClientConfig::new(url);
    if args.http1_1 {
        cfg.http = HttpVersion::Http11;
    }
    if args.http3 {
        if scheme != "https" {
            bail!("--http3: HTTP/3 runs over QUIC, which is always encrypted: the server URL must be https://");
        }
        cfg.http = HttpVersion::Http3;
    }
    if args.zero_rtt {
        if !get {
            bail!(
                "--0rtt needs --get: 0-RTT early data can be replayed by anyone on the path \
                 (RFC 8446 §8, RFC 9114 §10.9), so it is only used for GET, never for POST"
            );
        }
        cfg.zero_rtt = true;
    }
    for r in &args.resolve {
        cfg.resolve.push(parse_resolve(r, port)?);
    }
    cfg.tls_name = args.tls_name.clone();
    if let Some(path) = &args.cacert {
        if !path.is_file() {
            bail!("--cacert {}: no such file", path.display());
        }
        cfg.cacert = Some(path.clone());
    }
    cfg.insecure = args.insecure;
    if args.insecure && scheme == "https" {
        eprintln!(
            "ietfwg: warning: --insecure: the server's certificate is not verified; anyone on \
             the path can read and change the answers"
        );
    }
    for h in &args.headers {
        cfg.headers.push(parse_header(h)?);
    }
    cfg.user_agent = args.user_agent.clone();
    if let Some(t) = args.timeout {
        cfg.connect_timeout = t;
        cfg.request_timeout = t;
    }
    Ok(cfg)
}

/// Connects once: the one connection a command uses for everything it sends. With `--0rtt`
/// a first connection is made to receive a session ticket, closed, and the one returned
/// resumes that session and sends its requests as early data.
pub async fn connect(cfg: ClientConfig) -> anyhow::Result<Client> {
    let context = connect_context(&cfg);
    if !cfg.zero_rtt {
        return Client::connect(cfg).await.with_context(|| context);
    }
    let limit = cfg.connect_timeout;
    let connector = Connector::new(cfg).with_context(|| context.clone())?;
    let first = connector.connect().await.with_context(|| context.clone())?;
    connector.wait_session_ticket(limit).await;
    drop(first);
    connector.connect().await.with_context(|| context)
}

/// What a failure to connect is reported under.
pub fn connect_context(cfg: &ClientConfig) -> String {
    if cfg.http == HttpVersion::Http11 {
        format!("cannot open an HTTP/1.1 connection to {}", cfg.url)
    } else {
        format!("cannot connect to {}", cfg.url)
    }
}

/// Worker threads for the commands that send many queries: every core.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// A request error, with what an HTTP/1.1 failure most likely means: BIND and unbound speak
/// HTTP/2 only — BIND selects no ALPN protocol when offered only "http/1.1", unbound selects
/// it and then closes the connection — so the request fails after the handshake.
pub fn explain(client: &Client, e: ClientError) -> anyhow::Error {
    let http11 = client.http_version() == HttpVersion::Http11;
    if !http11 || !matches!(e, ClientError::Http { .. }) {
        return e.into();
    }
    let hint = match client.tls().map(|t| t.alpn.as_deref()) {
        Some(None) => {
            "HTTP/1.1 failed: in ALPN the server did not accept \"http/1.1\" (it chose no \
             protocol), so it likely speaks HTTP/2 only"
        }
        Some(Some(_)) => {
            "HTTP/1.1 failed: the server accepted \"http/1.1\" in ALPN but did not answer the \
             HTTP/1.1 request, so it likely speaks HTTP/2 only"
        }
        None => "HTTP/1.1 failed: the server may speak HTTP/2 only",
    };
    anyhow::Error::new(e).context(hint)
}

/// The tokio runtime a command runs its client on: `threads` worker threads (1: the current
/// thread).
pub fn runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut b = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    b.enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// `https` or `http`, and the port (explicit or the scheme's), of a server URL. The client
/// checks the rest; this is what `--resolve` needs.
fn url_scheme_port(url: &str) -> anyhow::Result<(&'static str, u16)> {
    let (scheme, rest, default) = if let Some(r) = url.strip_prefix("https://") {
        ("https", r, 443)
    } else if let Some(r) = url.strip_prefix("http://") {
        ("http", r, 80)
    } else {
        bail!("server URL {url:?}: expected https://host[:port]/path (or http:// for cleartext)");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.is_empty() {
        bail!("server URL {url:?}: no host");
    }
    // [v6]:port, host:port, or no port.
    let port = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((_, "")) => None,
            Some((_, p)) => Some(p.strip_prefix(':').unwrap_or(p)),
            None => bail!("server URL {url:?}: unclosed '[' in the host"),
        }
    } else {
        authority.rsplit_once(':').map(|(_, p)| p)
    };
    let port = match port {
        None | Some("") => default,
        Some(p) => p
            .parse()
            .with_context(|| format!("server URL {url:?}: port {p:?} is not a number 0-65535"))?,
    };
    Ok((scheme, port))
}

/// `HOST:IP` (IP may be IPv6, bracketed or not) or curl's `HOST:PORT:IP` (PORT must be the
/// URL's).
fn parse_resolve(s: &str, url_port: u16) -> anyhow::Result<(String, IpAddr)> {
    let Some((host, rest)) = s.split_once(':') else {
        bail!("--resolve {s:?}: expected HOST:IP");
    };
    if host.is_empty() {
        bail!("--resolve {s:?}: no host before ':'");
    }
    let ip_of = |t: &str| -> Option<IpAddr> {
        t.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok()
    };
    if let Some(ip) = ip_of(rest) {
        return Ok((host.to_string(), ip));
    }
    if let Some((port, ip)) = rest.split_once(':') {
        if let (Ok(port), Some(ip)) = (port.parse::<u16>(), ip_of(ip)) {
            if port != url_port {
                bail!(
                    "--resolve {s:?}: port {port} is not the server URL's port {url_port} \
                     (the address is used for the URL's port)"
                );
            }
            return Ok((host.to_string(), ip));
        }
    }
    bail!("--resolve {s:?}: {rest:?} is not an IP address (expected HOST:IP)")
}

/// `Name: value` → (name, value). The name must be an HTTP token (RFC 9110 §5.1).
fn parse_header(s: &str) -> anyhow::Result<(String, String)> {
    let Some((name, value)) = s.split_once(':') else {
        bail!("-H {s:?}: expected 'Name: value'");
    };
    let name = name.trim();
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(tchar) {
        bail!("-H {s:?}: {name:?} is not a valid header name");
    }
    let value = value.trim();
    if value.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        bail!("-H {s:?}: the value holds a line break or NUL");
    }
    Ok((name.to_string(), value.to_string()))
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(format!("{s} s: expected more than 0 and at most 86400"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_ports() {
        assert_eq!(
            url_scheme_port("https://dns.example/dns-query").unwrap(),
            ("https", 443)
        );
        assert_eq!(
            url_scheme_port("https://127.0.0.1:8443/q?x=1").unwrap(),
            ("https", 8443)
        );
        assert_eq!(url_scheme_port("http://[::1]:80/").unwrap(), ("http", 80));
        assert_eq!(url_scheme_port("https://[::1]/").unwrap(), ("https", 443));
        assert!(url_scheme_port("ftp://x/").is_err());
        assert!(url_scheme_port("https://x:99999/").is_err());
        assert!(url_scheme_port("https:///p").is_err());
    }

    #[test]
    fn resolve_forms() {
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            parse_resolve("dns.example:192.0.2.1", 443).unwrap(),
            ("dns.example".into(), v4)
        );
        assert_eq!(parse_resolve("dns.example:2001:db8::1", 443).unwrap().1, v6);
        assert_eq!(
            parse_resolve("dns.example:[2001:db8::1]", 443).unwrap().1,
            v6
        );
        assert_eq!(
            parse_resolve("dns.example:443:192.0.2.1", 443).unwrap().1,
            v4
        );
        let e = parse_resolve("dns.example:8443:192.0.2.1", 443).unwrap_err();
        assert!(
            e.to_string().contains("not the server URL's port 443"),
            "{e}"
        );
        assert!(parse_resolve("dns.example", 443).is_err());
        assert!(parse_resolve("dns.example:nope", 443).is_err());
    }

    #[test]
    fn headers() {
        assert_eq!(
            parse_header("X-Test:  a b ").unwrap(),
            ("X-Test".into(), "a b".into())
        );
        assert_eq!(parse_header("X-Empty:").unwrap().1, "");
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("Bad Name: v").is_err());
        assert!(parse_header(": v").is_err());
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("2.5").unwrap(), Duration::from_millis(2500));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("abc").is_err());
        assert!(parse_timeout("NaN").is_err());
    }
}
