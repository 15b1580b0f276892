//! Load generation: many DNS messages over one or more connections to one server, with the
//! latency of each recorded in an HDR histogram (`doh bench`; `doh batch` uses the same
//! engine with a result channel).
//!
//! ```text
//!  closed loop:  connections × concurrency workers, each: next query ─► send ─► wait ─► record
//!  open loop:    one scheduler: query k is due at t0 + k / rate ─► spawned on connection k mod M
//!                latency = answer time − due time (not − actual send time)
//! ```
//!
//! **Coordinated omission.** A closed-loop client waits for an answer before it sends the next
//! query, so a server that stalls also stalls the client, and the queries that would have been
//! sent during the stall — and would have waited — are never measured. In the open loop every
//! query has a due time fixed in advance by the rate; it is sent at that time whatever happened
//! to the earlier ones, and its latency is counted from the due time. A stall therefore shows
//! as latency of every query due during it, and the offered rate stays the rate asked for. The
//! lateness of the sends themselves (timer granularity, a busy client) is reported apart as
//! `send_lag`, so the client's own share of the latency can be seen.
//!
//! Connections that close during the run are opened again (three failures in a row give the
//! connection up); every handshake is counted, with how many resumed a TLS session.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hdrhistogram::Histogram;
use serde::Serialize;

use super::{Client, ClientError, Connector, HttpVersion, Method, Response, ZeroRtt};
use crate::check::{check_response, HttpFacts};

/// Latencies are recorded in microseconds, up to an hour (longer ones count as an hour).
const HIST_MAX_US: u64 = 3_600_000_000;
/// Per-second histograms: 2 significant digits, up to a minute.
const SECOND_MAX_US: u64 = 60_000_000;
/// The per-second series covers at most the first hour.
pub const MAX_SECONDS: usize = 3600;
/// Connection attempts that fail in a row before a connection is given up.
const MAX_CONNECT_FAILURES: u32 = 3;

/// When a run stops sending.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// After this many queries (the list is cycled).
    Count(u64),
    /// After this long (the list is cycled).
    Duration(Duration),
}

/// What to send, how, and how hard.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// DNS messages, sent in order and cycled.
    pub queries: Arc<[Bytes]>,
    /// POST or GET.
    pub method: Method,
    /// Connections opened at the start (at least 1).
    pub connections: usize,
    /// Closed loop: queries in flight on each connection (at least 1).
    pub concurrency: usize,
    /// Open loop: queries per second over all connections; None for the closed loop.
    pub rate: Option<f64>,
    /// Open loop: queries in flight at most, over all connections; a query due beyond it is
    /// sent late (and its lateness counts in its latency).
    pub max_outstanding: usize,
    /// When to stop sending.
    pub stop: Stop,
}

/// One finished query, for callers that want every answer (`doh batch`, tests).
#[derive(Debug)]
pub struct Completion {
    /// Position in the run (0, 1, 2…); the query sent was `queries[seq % queries.len()]`.
    pub seq: u64,
    /// The connection it went over.
    pub client: Client,
    /// The response (any status) or what went wrong.
    pub result: Result<Response, ClientError>,
    /// From the send (closed loop) or the due time (open loop) to the end of the response.
    pub latency: Duration,
}

/// Counters a caller can read while the run goes on (a progress line).
#[derive(Debug, Default)]
pub struct Progress {
    /// Queries sent.
    pub sent: AtomicU64,
    /// Valid DNS answers received.
    pub answered: AtomicU64,
    /// Queries that failed.
    pub failed: AtomicU64,
}

/// Where a query failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// DNS lookup or TCP connect of a (re)connection.
    Connect,
    /// TLS handshake.
    Tls,
    /// An HTTP status other than 2xx.
    HttpStatus,
    /// No answer within the request timeout (or a connect phase timed out).
    Timeout,
    /// A 2xx answer that is not a DNS response: wrong media type, empty, too short, QR clear.
    Malformed,
    /// The connection or stream broke (closed, reset, protocol error).
    Connection,
}

impl Phase {
    /// The phase of a client error.
    pub fn of(e: &ClientError) -> Phase {
        match e {
            ClientError::Resolve { .. } | ClientError::Connect { .. } => Phase::Connect,
            ClientError::Tls { .. }
            | ClientError::TlsConfig { .. }
            | ClientError::CaFile { .. } => Phase::Tls,
            ClientError::Timeout { .. } => Phase::Timeout,
            ClientError::BodyTooLarge { .. } => Phase::Malformed,
            _ => Phase::Connection,
        }
    }
}

/// Failures by phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Errors {
    pub connect: u64,
    pub tls: u64,
    pub http_status: u64,
    pub timeout: u64,
    pub malformed: u64,
    pub connection: u64,
    /// The first message of each phase that occurred.
    pub first: BTreeMap<Phase, String>,
}

impl Errors {
    fn add(&mut self, phase: Phase, message: impl FnOnce() -> String) {
        let n = match phase {
            Phase::Connect => &mut self.connect,
            Phase::Tls => &mut self.tls,
            Phase::HttpStatus => &mut self.http_status,
            Phase::Timeout => &mut self.timeout,
            Phase::Malformed => &mut self.malformed,
            Phase::Connection => &mut self.connection,
        };
        *n += 1;
        self.first.entry(phase).or_insert_with(message);
    }

    /// All failures.
    pub fn total(&self) -> u64 {
        self.connect + self.tls + self.http_status + self.timeout + self.malformed + self.connection
    }
}

/// Latency percentiles in milliseconds (microsecond resolution, 3 significant digits).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub max: f64,
}

impl Percentiles {
    /// From a histogram of microseconds; all zero when it is empty.
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Percentiles {
            min: ms(h.min()),
            mean: (h.mean() * 1000.0).round() / 1_000_000.0,
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            p99_9: ms(h.value_at_quantile(0.999)),
            max: ms(h.max()),
        }
    }
}

/// A histogram of microseconds, [`HIST_MAX_US`] at most, 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    new_histogram(HIST_MAX_US, 3)
}

fn new_histogram(max: u64, sigfig: u8) -> Histogram<u64> {
    // The bounds are constants that hdrhistogram accepts (low 1, high ≥ 2, sigfig ≤ 5).
    Histogram::new_with_bounds(1, max, sigfig).unwrap_or_else(|_| {
        Histogram::new(sigfig.min(5)).unwrap_or_else(|_| unreachable_histogram())
    })
}

#[allow(clippy::expect_used)]
fn unreachable_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("hdrhistogram accepts 3 significant digits")
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// One second of the run (by completion time; `sent` by send time).
#[derive(Debug, Clone, Serialize)]
pub struct Second {
    /// Seconds since the first send.
    pub second: u64,
    pub sent: u64,
    pub answered: u64,
    pub failed: u64,
    /// Latency of the answers of this second, ms (2 significant digits).
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// TLS handshakes of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Handshakes {
    /// Connections opened (the first ones and any re-openings).
    pub connections: u64,
    /// TLS handshakes completed.
    pub tls: u64,
    /// Of those, how many resumed an earlier session.
    pub resumed: u64,
    /// TLS (or QUIC) handshake time: mean and max, ms.
    pub handshake_mean_ms: f64,
    pub handshake_max_ms: f64,
    /// The TLS version of the first handshake ("TLSv1.3"), as `query --tls` names it; None in
    /// cleartext.
    pub version: Option<String>,
    /// Its cipher suite, IANA's name ("TLS_AES_256_GCM_SHA384"); None in cleartext.
    pub cipher_suite: Option<String>,
    /// HTTP/3 with 0-RTT: connections that sent requests in early data (those that had a
    /// session ticket allowing it; RFC 9001 §4.6).
    pub zero_rtt_attempted: u64,
    /// Of those, how many the server accepted.
    pub zero_rtt_accepted: u64,
}

/// The outcome of a run.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// The server URL.
    pub server: String,
    /// HTTP version of the connections.
    pub http: Option<HttpVersion>,
    pub method: Method,
    /// "closed" or "open".
    pub mode: &'static str,
    pub connections: usize,
    /// Closed loop: queries in flight per connection.
    pub concurrency: usize,
    /// Open loop: the rate asked for.
    pub rate: Option<f64>,
    pub sent: u64,
    /// Valid DNS answers, of any RCODE.
    pub answered: u64,
    pub failed: u64,
    /// From the first send to the last answer.
    pub elapsed_s: f64,
    /// Open loop: queries due per second of the sending period; closed loop: sent per second.
    pub offered_qps: f64,
    /// Answers per second.
    pub achieved_qps: f64,
    /// Latency of the answers (failed queries are not in it).
    #[serde(rename = "latency_ms")]
    pub latency: Percentiles,
    /// Open loop: how late queries were sent after their due time.
    #[serde(rename = "send_lag_ms")]
    pub send_lag: Option<Percentiles>,
    /// Header RCODE counts ("NOERROR", "NXDOMAIN", …).
    pub rcodes: BTreeMap<String, u64>,
    pub errors: Errors,
    pub handshakes: Handshakes,
    /// Second by second.
    pub per_second: Vec<Second>,
    /// The whole latency histogram (µs), for callers that merge or plot.
    #[serde(skip)]
    pub histogram: Histogram<u64>,
}

/// The DNS header RCODE of a 2xx body that passed the media-type checks, or why it is not a
/// DNS response. Only the header is read: a benchmark does not pay for a full parse.
pub fn response_rcode(r: &Response) -> Result<u8, (Phase, String)> {
    let facts = HttpFacts {
        status: r.status,
        content_type: r.header("content-type"),
        body: &r.body,
        json_api: false,
    };
    if let Err(e) = check_response(&facts) {
        let phase = if (200..300).contains(&r.status) {
            Phase::Malformed
        } else {
            Phase::HttpStatus
        };
        return Err((phase, e.to_string()));
    }
    let b = &r.body;
    if b.len() < 12 {
        return Err((
            Phase::Malformed,
            format!(
                "the response body ({} octets) is shorter than a DNS header (12)",
                b.len()
            ),
        ));
    }
    if b[2] & 0x80 == 0 {
        return Err((
            Phase::Malformed,
            "the response body is a DNS query (QR bit clear), not a response".into(),
        ));
    }
    Ok(b[3] & 0x0f)
}

struct Recorder {
    start: Instant,
    hist: Histogram<u64>,
    lag: Option<Histogram<u64>>,
    rcodes: [u64; 16],
    errors: Errors,
    seconds: Vec<(u64, u64, u64, Histogram<u64>)>,
    handshakes: Handshakes,
    handshake_sum: f64,
    /// Every handshake's watch: resumption and 0-RTT are counted once they are settled.
    watches: Vec<super::HandshakeWatch>,
    last_done: Option<Instant>,
}

impl Recorder {
    fn second(&mut self, at: Instant) -> Option<&mut (u64, u64, u64, Histogram<u64>)> {
        let s = at.saturating_duration_since(self.start).as_secs() as usize;
        if s >= MAX_SECONDS {
            return None;
        }
        while self.seconds.len() <= s {
            self.seconds
                .push((0, 0, 0, new_histogram(SECOND_MAX_US, 2)));
        }
        self.seconds.get_mut(s)
    }

    fn handshake(&mut self, c: &Client) {
        self.handshakes.connections += 1;
        // HTTP/3: the QUIC handshake, which carries TLS 1.3.
        let timing = c.connect_timing();
        if let Some(t) = timing.tls.or(timing.quic) {
            let ms = t.as_secs_f64() * 1000.0;
            self.handshakes.tls += 1;
            self.handshake_sum += ms;
            if ms > self.handshakes.handshake_max_ms {
                self.handshakes.handshake_max_ms = ms;
            }
            if self.handshakes.cipher_suite.is_none() {
                if let Some(t) = c.tls().filter(|t| !t.cipher_suite.is_empty()) {
                    self.handshakes.version = Some(t.version.clone());
                    self.handshakes.cipher_suite = Some(t.cipher_suite.clone());
                }
            }
            // Resumption (and 0-RTT) are counted at the end: with 0-RTT the handshake is
            // still going on now.
            self.watches.push(c.handshake_watch());
        }
    }

    /// Counts what the handshakes settled: resumption and 0-RTT. A handshake still going on
    /// a second from now (a 0-RTT connection whose server went away) counts as not resumed,
    /// its early data as rejected.
    async fn settle_handshakes(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(1);
        for w in std::mem::take(&mut self.watches) {
            let s = w
                .settle(deadline.saturating_duration_since(Instant::now()))
                .await;
            let h = &mut self.handshakes;
            h.resumed += u64::from(s.resumed == Some(true));
            if matches!(s.zero_rtt, ZeroRtt::Accepted | ZeroRtt::Rejected) {
                h.zero_rtt_attempted += 1;
            }
            h.zero_rtt_accepted += u64::from(s.zero_rtt == ZeroRtt::Accepted);
            if h.cipher_suite.is_none() {
                if let Some((version, suite)) = w.negotiated() {
                    h.version = Some(version);
                    h.cipher_suite = Some(suite);
                }
            }
        }
    }
}

/// A connection the workers share, opened again when it closes.
struct Slot {
    state: Mutex<(u64, Option<Client>)>,
    reconnect: tokio::sync::Mutex<u32>,
    dead: AtomicBool,
}

impl Slot {
    fn get(&self) -> (u64, Option<Client>) {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (s.0, s.1.clone())
    }
}

struct Run {
    cfg: LoadConfig,
    connector: Connector,
    slots: Vec<Slot>,
    rec: Mutex<Recorder>,
    progress: Arc<Progress>,
    results: Option<tokio::sync::mpsc::UnboundedSender<Completion>>,
    next: AtomicU64,
    deadline: Option<Instant>,
}

impl Run {
    fn lock(&self) -> std::sync::MutexGuard<'_, Recorder> {
        self.rec.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next sequence number, or None when the run is over.
    fn take(&self) -> Option<u64> {
        if let Some(d) = self.deadline {
            if Instant::now() >= d {
                return None;
            }
        }
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        match self.cfg.stop {
            Stop::Count(n) if seq >= n => None,
            _ => Some(seq),
        }
    }

    fn query(&self, seq: u64) -> Bytes {
        let n = self.cfg.queries.len() as u64;
        self.cfg
            .queries
            .get((seq % n.max(1)) as usize)
            .cloned()
            .unwrap_or_default()
    }

    /// Reopens slot `i` unless another worker already did (generation `gen` moved on).
    async fn reconnect(&self, i: usize, gen: u64) {
        let Some(slot) = self.slots.get(i) else {
            return;
        };
        let mut failures = slot.reconnect.lock().await;
        if slot.get().0 != gen || slot.dead.load(Ordering::Acquire) {
            return;
        }
        match self.connector.connect().await {
            Ok(c) => {
                *failures = 0;
                self.lock().handshake(&c);
                let mut s = slot.state.lock().unwrap_or_else(|e| e.into_inner());
                *s = (gen + 1, Some(c));
            }
            Err(e) => {
                *failures += 1;
                self.lock().errors.add(Phase::of(&e), || e.to_string());
                if *failures >= MAX_CONNECT_FAILURES {
                    slot.dead.store(true, Ordering::Release);
                } else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn live(&self) -> bool {
        self.slots.iter().any(|s| !s.dead.load(Ordering::Acquire))
    }

    /// Sends one query on slot `i`; `due` is when it was meant to go (open loop), else now.
    /// Returns false when the slot has no connection (the query was not sent).
    async fn one(&self, i: usize, seq: u64, due: Option<Instant>) -> bool {
        let Some(slot) = self.slots.get(i) else {
            return false;
        };
        let (gen, client) = slot.get();
        let Some(client) = client else {
            self.reconnect(i, gen).await;
            return false;
        };
        let wire = self.query(seq);
        let sent_at = Instant::now();
        self.progress.sent.fetch_add(1, Ordering::Relaxed);
        let result = client.query_lean(wire, self.cfg.method).await;
        let done = Instant::now();
        let from = due.unwrap_or(sent_at);
        let latency = done.saturating_duration_since(from);
        let verdict = match &result {
            Ok(r) => response_rcode(r),
            Err(e) => Err((Phase::of(e), e.to_string())),
        };
        {
            let mut rec = self.lock();
            rec.last_done = Some(rec.last_done.map_or(done, |l| l.max(done)));
            if let (Some(lag), Some(due)) = (rec.lag.as_mut(), due) {
                lag.saturating_record(micros(sent_at.saturating_duration_since(due)));
            }
            if let Some(s) = rec.second(sent_at) {
                s.0 += 1;
            }
            match &verdict {
                Ok(rcode) => {
                    let us = micros(latency);
                    rec.hist.saturating_record(us);
                    rec.rcodes[usize::from(*rcode & 0x0f)] += 1;
                    if let Some(s) = rec.second(done) {
                        s.1 += 1;
                        s.3.saturating_record(us.min(SECOND_MAX_US));
                    }
                }
                Err((phase, msg)) => {
                    rec.errors.add(*phase, || msg.clone());
                    if let Some(s) = rec.second(done) {
                        s.2 += 1;
                    }
                }
            }
        }
        match verdict {
            Ok(_) => self.progress.answered.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.progress.failed.fetch_add(1, Ordering::Relaxed),
        };
        let closed = result.is_err() && client.is_closed();
        if let Some(tx) = &self.results {
            let _ = tx.send(Completion {
                seq,
                client: client.clone(),
                result,
                latency,
            });
        }
        if closed {
            // Clear the slot (once per generation) so that the next query reconnects.
            let mut s = slot.state.lock().unwrap_or_else(|e| e.into_inner());
            if s.0 == gen && s.1.is_some() {
                s.1 = None;
            }
        }
        true
    }
}

/// Runs the load: opens `cfg.connections` connections with `connector` (concurrently), then
/// sends until `cfg.stop`. Err when no connection at all could be opened (the first error).
/// `results`, when given, receives every finished query; `progress` is updated as they finish.
pub async fn run(
    connector: &Connector,
    cfg: LoadConfig,
    progress: Arc<Progress>,
    results: Option<tokio::sync::mpsc::UnboundedSender<Completion>>,
) -> Result<LoadReport, ClientError> {
    let connections = cfg.connections.max(1);
    // The first connection alone; the others, opened together once its TLS session ticket
    // has come (or 200 ms), resume its session as a real client's later connections would.
    let first = connector.connect().await;
    if connections > 1 && first.is_ok() {
        connector
            .wait_session_ticket(Duration::from_millis(200))
            .await;
    }
    let mut opening = Vec::with_capacity(connections);
    opening.push(tokio::spawn(async move { first }));
    for _ in 1..connections {
        let c = connector.clone();
        opening.push(tokio::spawn(async move { c.connect().await }));
    }
    let mut rec = Recorder {
        start: Instant::now(),
        hist: latency_histogram(),
        lag: cfg.rate.map(|_| latency_histogram()),
        rcodes: [0; 16],
        errors: Errors::default(),
        seconds: Vec::new(),
        handshakes: Handshakes::default(),
        handshake_sum: 0.0,
        watches: Vec::new(),
        last_done: None,
    };
    let mut slots = Vec::with_capacity(connections);
    let mut first_err = None;
    for h in opening {
        let res = match h.await {
            Ok(r) => r,
            Err(e) => Err(ClientError::Http {
                request: format!("connecting to {}", connector.url()),
                reason: format!("the connecting task failed: {e}"),
            }),
        };
        let client = match res {
            Ok(c) => {
                rec.handshake(&c);
                Some(c)
            }
            Err(e) => {
                rec.errors.add(Phase::of(&e), || e.to_string());
                first_err.get_or_insert(e);
                None
            }
        };
        slots.push(Slot {
            dead: AtomicBool::new(client.is_none()),
            state: Mutex::new((0, client)),
            reconnect: tokio::sync::Mutex::new(0),
        });
    }
    let http = slots
        .iter()
        .find_map(|s| s.get().1.map(|c| c.http_version()));
    if http.is_none() {
        if let Some(e) = first_err {
            return Err(e);
        }
    }

    let start = Instant::now();
    rec.start = start;
    let deadline = match cfg.stop {
        Stop::Duration(d) => Some(start + d),
        Stop::Count(_) => None,
    };
    let run = Arc::new(Run {
        connector: connector.clone(),
        slots,
        rec: Mutex::new(rec),
        progress,
        results,
        next: AtomicU64::new(0),
        deadline,
        cfg,
    });

    match run.cfg.rate {
        None => closed_loop(&run).await,
        Some(rate) => open_loop(&run, rate, start).await,
    }

    let Ok(run) = Arc::try_unwrap(run) else {
        // Every task holding the run has been awaited, so this does not happen; report what
        // was counted rather than fail.
        return Err(ClientError::Http {
            request: format!("load on {}", connector.url()),
            reason: "internal: a worker outlived the run".into(),
        });
    };
    let mut rec = run.rec.into_inner().unwrap_or_else(|e| e.into_inner());
    rec.settle_handshakes().await;
    let sent = run.progress.sent.load(Ordering::Relaxed);
    let answered = rec.hist.len();
    let failed = rec.errors.total();
    let elapsed = rec
        .last_done
        .map_or(Duration::ZERO, |l| l.saturating_duration_since(start));
    let secs = elapsed.as_secs_f64();
    let per = |n: f64, over: f64| if over > 0.0 { n / over } else { 0.0 };
    let offered = match (run.cfg.rate, run.cfg.stop) {
        (Some(rate), _) => rate,
        (None, _) => per(sent as f64, secs),
    };
    let mut rcodes = BTreeMap::new();
    for (i, n) in rec.rcodes.iter().enumerate() {
        if *n > 0 {
            rcodes.insert(crate::answer::rcode_name(i as u16), *n);
        }
    }
    let mut handshakes = rec.handshakes;
    if handshakes.tls > 0 {
        handshakes.handshake_mean_ms = rec.handshake_sum / handshakes.tls as f64;
    }
    handshakes.handshake_mean_ms = (handshakes.handshake_mean_ms * 1000.0).round() / 1000.0;
    handshakes.handshake_max_ms = (handshakes.handshake_max_ms * 1000.0).round() / 1000.0;
    let per_second = rec
        .seconds
        .iter()
        .enumerate()
        .map(|(i, (s, a, f, h))| {
            let p = Percentiles::of(h);
            Second {
                second: i as u64,
                sent: *s,
                answered: *a,
                failed: *f,
                p50_ms: p.p50,
                p99_ms: p.p99,
                max_ms: p.max,
            }
        })
        .collect();
    Ok(LoadReport {
        server: connector.url().to_string(),
        http,
        method: run.cfg.method,
        mode: if run.cfg.rate.is_some() {
            "open"
        } else {
            "closed"
        },
        connections,
        concurrency: run.cfg.concurrency,
        rate: run.cfg.rate,
        sent,
        answered,
        failed,
        elapsed_s: (secs * 1000.0).round() / 1000.0,
        offered_qps: offered.round(),
        achieved_qps: per(answered as f64, secs).round(),
        latency: Percentiles::of(&rec.hist),
        send_lag: rec.lag.as_ref().map(Percentiles::of),
        rcodes,
        errors: rec.errors,
        handshakes,
        per_second,
        histogram: rec.hist,
    })
}

async fn closed_loop(run: &Arc<Run>) {
    let mut tasks = Vec::new();
    for i in 0..run.slots.len() {
        for _ in 0..run.cfg.concurrency.max(1) {
            let run = Arc::clone(run);
            tasks.push(tokio::spawn(async move {
                while let Some(seq) = run.take() {
                    // A query that found its connection closed is sent again after the
                    // reconnect, as long as the connection is not given up.
                    loop {
                        if run
                            .slots
                            .get(i)
                            .is_none_or(|s| s.dead.load(Ordering::Acquire))
                        {
                            return;
                        }
                        if run.one(i, seq, None).await {
                            break;
                        }
                    }
                }
            }));
        }
    }
    for t in tasks {
        let _ = t.await;
    }
}

async fn open_loop(run: &Arc<Run>, rate: f64, start: Instant) {
    let interval = Duration::from_secs_f64(1.0 / rate.max(1e-6));
    let limit = Arc::new(tokio::sync::Semaphore::new(run.cfg.max_outstanding.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let n = run.slots.len().max(1) as u64;
    loop {
        // The due time of query k is fixed by k alone: late sends do not shift later ones.
        let k = run.next.load(Ordering::Relaxed);
        let due = start + interval.mul_f64(k as f64);
        if let Some(d) = run.deadline {
            if due >= d {
                break;
            }
        }
        if let Stop::Count(c) = run.cfg.stop {
            if k >= c {
                break;
            }
        }
        if !run.live() {
            break;
        }
        if due > Instant::now() {
            tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
        }
        let Ok(permit) = Arc::clone(&limit).acquire_owned().await else {
            break;
        };
        run.next.store(k + 1, Ordering::Relaxed);
        let run = Arc::clone(run);
        tasks.spawn(async move {
            let _permit = permit;
            // Round robin over the connections; a closed one is reopened, a dead one skipped.
            for step in 0..n {
                let i = ((k + step) % n) as usize;
                if run
                    .slots
                    .get(i)
                    .is_some_and(|s| !s.dead.load(Ordering::Acquire))
                    && run.one(i, k, Some(due)).await
                {
                    return;
                }
            }
            // Not sent on any connection: it failed to connect.
            run.progress.failed.fetch_add(1, Ordering::Relaxed);
            run.lock().errors.add(Phase::Connect, || {
                "no connection to send on (every connection is closed or given up)".into()
            });
        });
        // Reap finished tasks now and then so the set stays small.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        // 1..=10000 µs, once each: the q-quantile is q × 10000 µs (within 3 digits).
        let mut h = latency_histogram();
        for us in 1..=10_000u64 {
            h.record(us).unwrap();
        }
        let p = Percentiles::of(&h);
        let close = |got: f64, want: f64| (got - want).abs() <= want * 0.001 + 0.001;
        assert!(close(p.p50, 5.0), "{p:?}");
        assert!(close(p.p90, 9.0), "{p:?}");
        assert!(close(p.p99, 9.9), "{p:?}");
        assert!(close(p.p99_9, 9.99), "{p:?}");
        assert!(close(p.max, 10.0), "{p:?}");
        assert!(close(p.min, 0.001), "{p:?}");
        assert!(close(p.mean, 5.0005), "{p:?}");

        // A bimodal distribution: 990 answers at 1 ms, 10 at 100 ms. p99 is the last of the
        // fast ones, p99.9 one of the slow ones.
        let mut h = latency_histogram();
        h.record_n(1000, 990).unwrap();
        h.record_n(100_000, 10).unwrap();
        let p = Percentiles::of(&h);
        assert!(close(p.p50, 1.0) && close(p.p99, 1.0), "{p:?}");
        assert!(close(p.p99_9, 100.0) && close(p.max, 100.0), "{p:?}");
        assert_eq!(
            Percentiles::of(&latency_histogram()),
            Percentiles::default()
        );
    }

    #[test]
    fn rcode_and_malformed_bodies() {
        let resp = |status: u16, ct: Option<&str>, body: &[u8]| Response {
            status,
            version: HttpVersion::Http2,
            headers: ct
                .map(|c| vec![("content-type".to_string(), c.to_string())])
                .unwrap_or_default(),
            body: Bytes::copy_from_slice(body),
            ttfb: Duration::ZERO,
            total: Duration::ZERO,
        };
        let mut nx = [0u8; 12];
        nx[2] = 0x81;
        nx[3] = 0x83;
        assert_eq!(
            response_rcode(&resp(200, Some("application/dns-message"), &nx)),
            Ok(3)
        );
        let phase = |r: Result<u8, (Phase, String)>| r.unwrap_err().0;
        assert_eq!(
            phase(response_rcode(&resp(503, Some("text/plain"), b"busy"))),
            Phase::HttpStatus
        );
        assert_eq!(
            phase(response_rcode(&resp(200, Some("text/html"), &nx))),
            Phase::Malformed
        );
        assert_eq!(
            phase(response_rcode(&resp(
                200,
                Some("application/dns-message"),
                &nx[..5]
            ))),
            Phase::Malformed
        );
        nx[2] = 0x01;
        assert_eq!(
            phase(response_rcode(&resp(
                200,
                Some("application/dns-message"),
                &nx
            ))),
            Phase::Malformed
        );
    }
}
