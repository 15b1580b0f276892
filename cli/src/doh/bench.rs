//! `ietfwg doh bench URL... [-f FILE | NAME [TYPE]]`: load a DoH server and measure it —
//! achieved queries per second, latency percentiles from an HDR histogram, RCODEs, failures
//! by phase, TLS handshakes — in a closed loop (`--concurrency` per connection,
//! `--connections`) or an open loop (`--rate`, latency from each query's due time, so that
//! coordinated omission is avoided). Several URLs are measured in turn on the same queries and
//! compared in one table.
//!
//! ```text
//!  queries (file cycled, or one name) ──► proto-doh client::load (all cores) ──► LoadReport
//!                                          │ progress atomics ──► live line on a terminal
//!  LoadReport ──► text block per server + comparison table │ one JSON object per server
//! ```

use std::io::{BufRead as _, Read as _, Write as _};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use bytes::Bytes;
use colored::Colorize;
use ietfwg_doh::client::load::{self, LoadConfig, LoadReport, Percentiles, Progress, Stop};
use ietfwg_doh::client::{Connector, HttpVersion, Method};

use super::conn::{self, ConnArgs};
use super::flags::QueryFlags;
use crate::json::Problem;
use crate::output::Output;
use crate::Status;

/// Lines read from a query file at most.
const MAX_QUERIES: usize = 1_000_000;
/// Bytes of one query-file line at most.
const MAX_LINE: usize = 1024;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Server URLs (`https://host[:port]/path`; several are measured in turn), then, unless
    /// `-f` is given, the NAME to ask about and its TYPE (default A). Without a URL:
    /// `--server` / `IETFWG_DOH_SERVER`.
    #[arg(value_name = "URL... [NAME [TYPE]]")]
    pub args: Vec<String>,

    /// Queries from this file, `NAME [TYPE]` per line (dnsperf's format; blank lines and `#`
    /// comments skipped), sent in order and cycled.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Closed loop: queries in flight on each connection (HTTP/2 streams).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,

    /// Connections to open to each server (later ones resume the first's TLS session).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub connections: u32,

    /// Open loop: send this many queries per second over all connections, each at its due
    /// time whatever the server does; latency counts from the due time.
    #[arg(long, value_name = "Q/S", value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// Open loop: queries in flight at most (over all connections); beyond it queries go out
    /// late, and the lateness counts in their latency.
    #[arg(long, value_name = "N", default_value_t = 10_000, requires = "rate",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_outstanding: u32,

    /// Send for this many seconds [default: 10, unless --count].
    #[arg(long, value_name = "SECS", value_parser = parse_secs, conflicts_with = "count")]
    pub duration: Option<Duration>,

    /// Send this many queries, then stop.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Send the queries with GET (`?dns=` base64url) instead of POST.
    #[arg(long)]
    pub get: bool,

    /// Worker threads of the client [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,

    /// One JSON object per server (with a per-second series) instead of text.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub flags: QueryFlags,

    #[command(flatten)]
    pub conn: ConnArgs,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let r: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of queries per second"))?;
    if !(r > 0.0 && r <= 10_000_000.0) {
        return Err(format!("{s}: expected more than 0 and at most 10000000"));
    }
    Ok(r)
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err(format!("{s} s: expected more than 0 and at most 86400"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// `doh bench --json`: one server's run (`docs/json.md`). A run with failed queries, or one
/// that could not run at all (then only `server` is given), carries `error`: both make the
/// exit status 1.
#[derive(serde::Serialize)]
struct BenchRecord<'a> {
    record: &'static str,
    #[serde(flatten)]
    report: Option<&'a LoadReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<String>,
    error: Option<Problem>,
}

/// A name and its record type.
type Question = (String, String);

/// The URLs (arguments holding `://`) and the NAME [TYPE] that may follow them.
fn split_args(args: &[String]) -> anyhow::Result<(Vec<String>, Option<Question>)> {
    let urls: Vec<String> = args
        .iter()
        .take_while(|a| a.contains("://"))
        .cloned()
        .collect();
    let rest = &args[urls.len()..];
    if let Some(u) = rest.iter().find(|a| a.contains("://")) {
        bail!("{u:?}: server URLs come first, before NAME [TYPE]");
    }
    let question = match rest {
        [] => None,
        [name] => Some((name.clone(), "A".to_string())),
        [name, qtype] => Some((name.clone(), qtype.clone())),
        more => bail!(
            "expected URL... [NAME [TYPE]], found {} arguments after the URLs: {:?}",
            more.len(),
            more
        ),
    };
    Ok((urls, question))
}

/// Reads `NAME [TYPE]` lines and builds each query. A bad line is an error naming it.
fn read_queries(path: &PathBuf, flags: &QueryFlags) -> anyhow::Result<Vec<Bytes>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut reader = std::io::BufReader::new(file);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut line = 0usize;
    loop {
        buf.clear();
        // Bounded: a line longer than MAX_LINE is refused without reading it all.
        let n = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        line += 1;
        if buf.len() > MAX_LINE && !buf.ends_with(b"\n") {
            bail!(
                "{} line {line}: longer than {MAX_LINE} octets",
                path.display()
            );
        }
        let text = std::str::from_utf8(&buf).map_err(|e| {
            anyhow::anyhow!(
                "{} line {line}: not UTF-8 (byte {})",
                path.display(),
                e.valid_up_to()
            )
        })?;
        let fields: Vec<&str> = text
            .split_whitespace()
            .take_while(|f| !f.starts_with('#'))
            .collect();
        let (name, qtype) = match fields.as_slice() {
            [] => continue,
            [name] => (*name, "A"),
            [name, qtype] => (*name, *qtype),
            _ => bail!(
                "{} line {line}: expected NAME [TYPE], found {} fields",
                path.display(),
                fields.len()
            ),
        };
        let opts = flags
            .options(name, qtype)
            .with_context(|| format!("{} line {line}", path.display()))?;
        let wire = ietfwg_doh::query::build(&opts)
            .with_context(|| format!("{} line {line}", path.display()))?;
        out.push(Bytes::from(wire));
        if out.len() > MAX_QUERIES {
            bail!("{}: more than {MAX_QUERIES} queries", path.display());
        }
    }
    if out.is_empty() {
        bail!("{}: no query in it (NAME [TYPE] per line)", path.display());
    }
    Ok(out)
}

pub fn run(args: BenchArgs, mut out: Output) -> anyhow::Result<Status> {
    let (mut urls, question) = split_args(&args.args)?;
    if urls.is_empty() {
        urls.push(args.conn.server().to_string());
    }
    let queries: Arc<[Bytes]> = match (&args.file, question) {
        (Some(_), Some((name, _))) => {
            bail!("give either -f FILE or NAME [TYPE], not both (found {name:?})")
        }
        (Some(path), None) => read_queries(path, &args.flags)?.into(),
        (None, Some((name, qtype))) => {
            let opts = args.flags.options(&name, &qtype)?;
            vec![Bytes::from(ietfwg_doh::query::build(&opts)?)].into()
        }
        (None, None) => bail!("nothing to ask: give NAME [TYPE] after the URL, or -f FILE"),
    };
    let stop = match (args.count, args.duration) {
        (Some(n), _) => Stop::Count(n),
        (None, Some(d)) => Stop::Duration(d),
        (None, None) => Stop::Duration(Duration::from_secs(10)),
    };
    let method = if args.get { Method::Get } else { Method::Post };
    if args.json {
        out.set_json();
    }
    // Build every configuration before any traffic: a bad URL or --cacert fails at once.
    let mut connectors = Vec::new();
    for url in &urls {
        let mut conn_args = args.conn.clone();
        conn_args.server = Some(url.clone());
        let cfg = conn::client_config(&conn_args, args.get)?;
        let context = conn::connect_context(&cfg);
        connectors.push((
            Connector::new(cfg).with_context(|| context.clone())?,
            context,
        ));
    }

    let rt = conn::runtime(args.threads.map_or_else(conn::threads, usize::from))?;
    let mut reports: Vec<Result<LoadReport, String>> = Vec::new();
    for (connector, context) in &connectors {
        let load = LoadConfig {
            queries: Arc::clone(&queries),
            method,
            connections: args.connections as usize,
            concurrency: args.concurrency as usize,
            rate: args.rate,
            max_outstanding: args.max_outstanding as usize,
            stop,
        };
        let progress = Arc::new(Progress::default());
        let ticker = out
            .stderr_tty
            .then(|| spawn_progress(&rt, connector.url().to_string(), Arc::clone(&progress)));
        let c = connector.clone();
        let res = rt.block_on(async move { load::run(&c, load, progress, None).await });
        if let Some((stop_tx, handle)) = ticker {
            let _ = stop_tx.send(());
            let _ = rt.block_on(handle);
        }
        let res = match res {
            Ok(r) => Ok(r),
            Err(e) if urls.len() == 1 => {
                return Err(anyhow::Error::new(e).context(context.clone()));
            }
            Err(e) => {
                let msg = format!("{context}: {e}");
                eprintln!("ietfwg: {msg}");
                Err(msg)
            }
        };
        if args.json {
            match &res {
                Ok(r) => out.json(&BenchRecord {
                    record: "bench",
                    report: Some(r),
                    server: None,
                    error: (r.failed > 0).then(|| {
                        Problem::plain(
                            "load",
                            format!("{} of {} queries failed", r.failed, r.sent),
                            None,
                        )
                    }),
                })?,
                Err(e) => out.json(&BenchRecord {
                    record: "bench",
                    report: None,
                    server: Some(connector.url().to_string()),
                    error: Some(Problem::plain("network", e.clone(), None)),
                })?,
            }
        } else if let Ok(r) = &res {
            let text = render(r, out.color, args.conn.zero_rtt);
            out.write_all(text.as_bytes())?;
        }
        out.flush()?;
        reports.push(res);
    }
    if !args.json && reports.len() > 1 {
        let text = table(&urls, &reports, out.color);
        out.write_all(text.as_bytes())?;
    }
    out.flush()?;

    let failed = reports
        .iter()
        .any(|r| r.as_ref().map_or(true, |r| r.failed > 0));
    Ok(if failed { Status::Findings } else { Status::Ok })
}

/// The live line on stderr (a terminal only), once a second; cleared when the run ends.
fn spawn_progress(
    rt: &tokio::runtime::Runtime,
    url: String,
    p: Arc<Progress>,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
    let handle = rt.spawn(async move {
        let start = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        let mut last = (0u64, start);
        loop {
            tokio::select! {
                _ = &mut rx => break,
                _ = tick.tick() => {}
            }
            let now = Instant::now();
            let answered = p.answered.load(Ordering::Relaxed);
            let rate = (answered - last.0.min(answered)) as f64
                / now.duration_since(last.1).as_secs_f64().max(1e-3);
            last = (answered, now);
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\r\x1b[K{url}  {:.0} s  sent {}  answered {}  failed {}  {:.0} q/s",
                now.duration_since(start).as_secs_f64(),
                p.sent.load(Ordering::Relaxed),
                answered,
                p.failed.load(Ordering::Relaxed),
                rate
            );
            let _ = err.flush();
        }
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[K");
        let _ = err.flush();
    });
    (tx, handle)
}

fn ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn percentiles(p: &Percentiles) -> String {
    format!(
        "p50 {} ms  p90 {} ms  p99 {} ms  p99.9 {} ms  max {} ms",
        ms(p.p50),
        ms(p.p90),
        ms(p.p99),
        ms(p.p99_9),
        ms(p.max)
    )
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The text report of one server; `zero_rtt`: --0rtt was given.
fn render(r: &LoadReport, color: bool, zero_rtt: bool) -> String {
    let http = r.http.map_or("-".to_string(), |h| h.to_string());
    let shape = match r.rate {
        Some(rate) => format!(
            "open loop at {rate} q/s over {}",
            plural(r.connections as u64, "connection", "connections")
        ),
        None => format!(
            "closed loop, {} × {} in flight",
            plural(r.connections as u64, "connection", "connections"),
            r.concurrency
        ),
    };
    let head = format!("{}  {http} {}, {shape}", r.server, r.method);
    let mut s = String::new();
    s.push_str(&if color { head.bold().to_string() } else { head });
    s.push('\n');
    let failed = if color && r.failed > 0 {
        r.failed.to_string().red().to_string()
    } else {
        r.failed.to_string()
    };
    s.push_str(&format!(
        "  queries     sent {}, answered {}, failed {failed} in {:.2} s\n",
        r.sent, r.answered, r.elapsed_s
    ));
    s.push_str(&format!(
        "  rate        offered {:.0} q/s, achieved {:.0} q/s\n",
        r.offered_qps, r.achieved_qps
    ));
    let from = if r.rate.is_some() {
        "from each query's due time (coordinated omission avoided)"
    } else {
        "from each send"
    };
    s.push_str(&format!(
        "  latency     {}  ({from})\n",
        percentiles(&r.latency)
    ));
    if let Some(lag) = &r.send_lag {
        s.push_str(&format!(
            "  send lag    p50 {} ms  p99 {} ms  max {} ms  (sends after their due time)\n",
            ms(lag.p50),
            ms(lag.p99),
            ms(lag.max)
        ));
    }
    let rcodes: Vec<String> = r.rcodes.iter().map(|(k, v)| format!("{k} {v}")).collect();
    s.push_str(&format!(
        "  rcodes      {}\n",
        if rcodes.is_empty() {
            "none".to_string()
        } else {
            rcodes.join(", ")
        }
    ));
    let e = &r.errors;
    if e.total() == 0 {
        s.push_str("  errors      none\n");
    } else {
        s.push_str(&format!(
            "  errors      connect {}, tls {}, http status {}, timeout {}, malformed {}, connection {}\n",
            e.connect, e.tls, e.http_status, e.timeout, e.malformed, e.connection
        ));
        for (phase, msg) in &e.first {
            let line = format!("    first {}: {msg}", phase_name(*phase));
            s.push_str(&if color { line.red().to_string() } else { line });
            s.push('\n');
        }
    }
    let h = &r.handshakes;
    if h.tls > 0 && r.http == Some(HttpVersion::Http3) {
        s.push_str(&format!(
            "  handshakes  {} (TLS 1.3 inside, {} resumed), mean {} ms, max {} ms\n",
            plural(h.tls, "QUIC handshake", "QUIC handshakes"),
            h.resumed,
            ms(h.handshake_mean_ms),
            ms(h.handshake_max_ms)
        ));
    } else if h.tls > 0 {
        s.push_str(&format!(
            "  handshakes  {} ({} resumed), TLS handshake mean {} ms, max {} ms\n",
            plural(h.tls, "TLS handshake", "TLS handshakes"),
            h.resumed,
            ms(h.handshake_mean_ms),
            ms(h.handshake_max_ms)
        ));
    } else {
        s.push_str(&format!(
            "  handshakes  {} in cleartext\n",
            plural(h.connections, "connection", "connections")
        ));
    }
    if let (Some(v), Some(c)) = (&h.version, &h.cipher_suite) {
        s.push_str(&format!("  tls         {v} {c}\n"));
    }
    if r.http == Some(HttpVersion::Http3) && (h.zero_rtt_attempted > 0 || zero_rtt) {
        s.push_str(&format!("  0-rtt       {}\n", zero_rtt_text(h)));
    }
    s
}

/// What became of 0-RTT over a run's connections.
pub(crate) fn zero_rtt_text(h: &load::Handshakes) -> String {
    let unavailable = h.tls.saturating_sub(h.zero_rtt_attempted);
    let mut t = format!(
        "{} of {} sent early data, the server accepted {}",
        h.zero_rtt_attempted,
        plural(h.tls, "connection", "connections"),
        h.zero_rtt_accepted
    );
    if unavailable > 0 {
        t.push_str(&format!(
            " ({unavailable} had no session ticket allowing it: a full handshake)"
        ));
    }
    t
}

fn phase_name(p: load::Phase) -> &'static str {
    match p {
        load::Phase::Connect => "connect",
        load::Phase::Tls => "tls",
        load::Phase::HttpStatus => "http status",
        load::Phase::Timeout => "timeout",
        load::Phase::Malformed => "malformed",
        load::Phase::Connection => "connection",
    }
}

/// The comparison of several servers, one row each.
fn table(urls: &[String], reports: &[Result<LoadReport, String>], color: bool) -> String {
    let w = urls.iter().map(|u| u.len()).max().unwrap_or(6).max(6);
    let head = format!(
        "{:<w$}  {:>8}  {:>10}  {:>8}  {:>8}  {:>8}  {:>8}  {:>7}",
        "server", "http", "q/s", "p50 ms", "p99 ms", "max ms", "failed", "TLS ms"
    );
    let mut s = String::from("\n");
    s.push_str(&if color { head.bold().to_string() } else { head });
    s.push('\n');
    for (url, r) in urls.iter().zip(reports) {
        match r {
            Ok(r) => s.push_str(&format!(
                "{url:<w$}  {:>8}  {:>10.0}  {:>8}  {:>8}  {:>8}  {:>8}  {:>7}\n",
                r.http.map_or("-".to_string(), |h| h.to_string()),
                r.achieved_qps,
                ms(r.latency.p50),
                ms(r.latency.p99),
                ms(r.latency.max),
                r.failed,
                if r.handshakes.tls > 0 {
                    ms(r.handshakes.handshake_mean_ms)
                } else {
                    "-".to_string()
                }
            )),
            Err(e) => s.push_str(&format!("{url:<w$}  {e}\n")),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn urls_then_question() {
        let (u, q) =
            split_args(&strings(&["https://a/q", "https://b/q", "www.x", "AAAA"])).unwrap();
        assert_eq!(u, strings(&["https://a/q", "https://b/q"]));
        assert_eq!(q, Some(("www.x".into(), "AAAA".into())));
        let (u, q) = split_args(&strings(&["https://a/q", "www.x"])).unwrap();
        assert_eq!((u.len(), q.unwrap().1.as_str()), (1, "A"));
        let (u, q) = split_args(&strings(&["www.x"])).unwrap();
        assert!(u.is_empty() && q.is_some());
        assert!(split_args(&strings(&["www.x", "https://a/q"])).is_err());
        assert!(split_args(&strings(&["https://a/q", "a", "A", "x"])).is_err());
    }

    #[test]
    fn rates_and_durations() {
        assert_eq!(parse_rate("1500").unwrap(), 1500.0);
        assert!(parse_rate("0").is_err() && parse_rate("-3").is_err() && parse_rate("x").is_err());
        assert_eq!(parse_secs("0.5").unwrap(), Duration::from_millis(500));
        assert!(parse_secs("0").is_err() && parse_secs("NaN").is_err());
    }
}
