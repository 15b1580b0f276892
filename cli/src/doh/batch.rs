//! `ietfwg doh batch [FILE|-]`: many questions (`NAME [TYPE]` per line) sent concurrently over
//! one connection (HTTP/2 streams; over HTTP/1.1 they take turns) or `--connections M`, one
//! NDJSON object per input line, in input order or, with `--unordered`, as they complete. A
//! summary goes to stderr.
//!
//! ```text
//!   lines ──► M × N workers (--concurrency) ──► M Clients (connections) ──► server
//!                      │ results (line index)
//!                      ▼
//!            reorder buffer (input order) ──► NDJSON on stdout
//! ```

use std::collections::VecDeque;
use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use bytes::Bytes;
use ietfwg_doh::answer::{AnswerRecords, Record};
use ietfwg_doh::check::{check_response, HttpFacts};
use ietfwg_doh::client::load::{self, LoadConfig, Progress, Stop};
use ietfwg_doh::client::{Client, ClientError, Connector, Method, Response};
use ietfwg_doh::query::QueryOptions;
use serde::Serialize;

use super::conn::{self, ConnArgs};
use super::flags::QueryFlags;
use super::query::{judge, ms, Form, Outcome};
use crate::json::Problem;
use crate::jsonser;
use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// File of `NAME [TYPE]` lines (TYPE defaults to A; blank lines and `#` comments are
    /// skipped). `-` or nothing: standard input.
    pub file: Option<PathBuf>,

    /// How many queries may be outstanding at once on each connection (HTTP/2 streams).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub concurrency: u16,

    /// Spread the queries over this many connections (each with `--concurrency` in flight).
    #[arg(long, value_name = "M", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub connections: u16,

    /// Print each result as it completes instead of in input order.
    #[arg(long)]
    pub unordered: bool,

    /// Send the queries with GET (`?dns=` base64url) instead of POST.
    #[arg(long)]
    pub get: bool,

    /// Ask the server's JSON API (`application/dns-json`, `?name=…&type=…`) instead of sending
    /// DNS messages, as `doh query --json-api` does; the lines are the same.
    #[arg(long, conflicts_with = "get")]
    pub json_api: bool,

    #[command(flatten)]
    pub flags: QueryFlags,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// One input line to ask about.
#[derive(Debug)]
struct Job {
    line: usize,
    /// As sent: A-labels for a name given in Unicode; as given when the line is bad.
    name: String,
    /// The name in Unicode when it holds valid A-labels (`name_unicode` of the line).
    name_unicode: Option<String>,
    qtype: String,
    /// The options and the wire query, or why the line cannot be sent.
    prepared: Result<(QueryOptions, Vec<u8>), String>,
}

/// One NDJSON result line (`docs/json.md`, `docs/schema/doh-batch.json`).
#[derive(Debug, Serialize)]
struct LineResult {
    /// Always `batch_line`.
    record: &'static str,
    /// 1-based line number in the input.
    line: usize,
    /// The name as sent (A-labels for an internationalised name).
    name: String,
    /// The name in Unicode, only when it holds A-labels that are valid IDNA 2008.
    #[serde(skip_serializing_if = "Option::is_none")]
    name_unicode: Option<String>,
    qtype: String,
    /// "NOERROR", "NXDOMAIN", …; null when no DNS answer came back.
    rcode: Option<String>,
    /// The answer section, as `doh query` and `doh decode` give it.
    answers: Vec<Record>,
    /// HTTP status; null when the request did not complete.
    status: Option<u16>,
    ttfb_ms: Option<f64>,
    /// Why there is no answer (bad line, HTTP error, failed check, network error); else null.
    /// The closing line's `errors` counts these lines.
    error: Option<Problem>,
}

/// Why a batch line has no answer, in the shape of every command's `error`.
fn line_problem(layer: &'static str, message: String) -> Problem {
    // An HTTP-level failure breaks RFC 8484 §4.2.1's rules for a DoH response.
    let rfc = crate::json::rfc_cited(&message)
        .map(std::borrow::Cow::Owned)
        .or_else(|| (layer == "http").then_some(std::borrow::Cow::Borrowed("RFC 8484 §4.2.1")));
    Problem {
        layer: std::borrow::Cow::Borrowed(layer),
        field: None,
        offset: None,
        message,
        rfc,
    }
}

/// The NDJSON line of an answer: the JSON that serde_json makes of a [`LineResult`] (same keys,
/// order and number forms, values written by [`jsonser`]; `counts_classify` and `answer_line_is_line_result_json` below
/// compare them), written here key by key into the reused buffer because building the
/// `LineResult` (a String or Vec per field and record) and serialising it cost as much as
/// the query itself.
fn answer_line(
    buf: &mut Vec<u8>,
    job: &Job,
    rcode: &str,
    records: &AnswerRecords,
    status: u16,
    ttfb_ms: f64,
) -> Result<(), jsonser::Error> {
    buf.extend_from_slice(b"{\"record\":\"batch_line\",\"line\":");
    jsonser::to_vec(buf, &job.line)?;
    buf.extend_from_slice(b",\"name\":");
    jsonser::to_vec(buf, &job.name)?;
    if let Some(u) = &job.name_unicode {
        buf.extend_from_slice(b",\"name_unicode\":");
        jsonser::to_vec(buf, u)?;
    }
    buf.extend_from_slice(b",\"qtype\":");
    jsonser::to_vec(buf, &job.qtype)?;
    buf.extend_from_slice(b",\"rcode\":");
    jsonser::to_vec(buf, rcode)?;
    buf.extend_from_slice(b",\"answers\":[");
    for (i, r) in records.records().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"name\":");
        jsonser::to_vec(buf, r.name)?;
        buf.extend_from_slice(b",\"ttl\":");
        jsonser::to_vec(buf, &r.ttl)?;
        buf.extend_from_slice(b",\"class\":");
        jsonser::to_vec(buf, r.class)?;
        buf.extend_from_slice(b",\"rtype\":");
        jsonser::to_vec(buf, r.rtype)?;
        buf.extend_from_slice(b",\"data\":");
        jsonser::to_vec(buf, r.data)?;
        // DNSSEC records only (absent otherwise, as serde skips it).
        if let Some(f) = r.fields {
            buf.extend_from_slice(b",\"fields\":");
            jsonser::to_vec(buf, f)?;
        }
        buf.push(b'}');
    }
    buf.extend_from_slice(b"],\"status\":");
    jsonser::to_vec(buf, &status)?;
    buf.extend_from_slice(b",\"ttfb_ms\":");
    jsonser::to_vec(buf, &ttfb_ms)?;
    buf.extend_from_slice(b",\"error\":null}");
    Ok(())
}

/// Renders result lines into reused buffers: the answer is decoded once into `records`
/// (checked as `doh query` checks it) and written straight into the line.
#[derive(Default)]
struct Renderer {
    /// Answers come from the JSON API: every line goes through [`line_result`].
    json_api: bool,
    records: AnswerRecords,
    /// Buffers of lines already written, for the next lines.
    spare: Vec<Vec<u8>>,
}

impl Renderer {
    fn buffer(&mut self) -> Vec<u8> {
        let mut b = self.spare.pop().unwrap_or_default();
        b.clear();
        b
    }

    /// The NDJSON line (with its newline) of a job, and whether it is an error line and its
    /// RCODE counted. `done` as for [`line_result`].
    fn render(
        &mut self,
        job: &Job,
        done: Option<(&Client, Result<Response, ClientError>)>,
        counts: &mut Counts,
    ) -> anyhow::Result<Vec<u8>> {
        let mut buf = self.buffer();
        let sent = done.is_some();
        // The usual case: a 2xx DNS answer that passes every check `judge` makes.
        let done = match done {
            Some((client, Ok(response))) if job.prepared.is_ok() && !self.json_api => {
                let facts = HttpFacts {
                    status: response.status,
                    content_type: response.header("content-type"),
                    body: &response.body,
                    json_api: false,
                };
                if check_response(&facts).is_ok() && self.records.decode(&response.body).is_ok() {
                    let rcode = self.records.rcode();
                    counts.add_parts(true, false, Some(&rcode));
                    answer_line(
                        &mut buf,
                        job,
                        &rcode,
                        &self.records,
                        response.status,
                        ms(response.ttfb),
                    )?;
                    buf.push(b'\n');
                    return Ok(buf);
                }
                Some((client, Ok(response)))
            }
            other => other,
        };
        // Everything else (bad lines, failures, answers that fail a check) as before.
        let r = line_result(job, done, self.json_api);
        counts.add(sent, &r);
        jsonser::to_vec(&mut buf, &r)?;
        buf.push(b'\n');
        Ok(buf)
    }
}

#[derive(Debug, Default)]
struct Counts {
    sent: usize,
    noerror: usize,
    nxdomain: usize,
    other: usize,
    errors: usize,
}

impl Counts {
    fn add(&mut self, sent: bool, r: &LineResult) {
        self.add_parts(sent, r.error.is_some(), r.rcode.as_deref());
    }

    fn add_parts(&mut self, sent: bool, error: bool, rcode: Option<&str>) {
        if sent {
            self.sent += 1;
        }
        match (error, rcode) {
            (true, _) | (false, None) => self.errors += 1,
            (false, Some("NOERROR")) => self.noerror += 1,
            (false, Some("NXDOMAIN")) => self.nxdomain += 1,
            (false, Some(_)) => self.other += 1,
        }
    }
}

/// Splits the input into jobs. Comments start at a `#` that begins a field.
fn parse_jobs(input: &str, flags: &QueryFlags) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (i, raw) in input.lines().enumerate() {
        let line = i + 1;
        let fields: Vec<&str> = raw
            .split_whitespace()
            .take_while(|f| !f.starts_with('#'))
            .collect();
        let (name, qtype, extra) = match fields.as_slice() {
            [] => continue,
            [name] => (*name, "A", None),
            [name, qtype] => (*name, *qtype, None),
            [name, qtype, rest @ ..] => (*name, *qtype, Some(rest.len() + 2)),
        };
        let prepared = match extra {
            Some(n) => Err(format!(
                "line {line}: expected NAME [TYPE], found {n} fields: {:?}",
                raw.trim()
            )),
            None => flags
                .options(name, qtype)
                .and_then(|o| {
                    let w = ietfwg_doh::query::build(&o)?;
                    Ok((o, w))
                })
                .map_err(|e| format!("line {line}: {e:#}")),
        };
        // The name as sent once it is prepared: its A-labels for a Unicode name.
        let name = match &prepared {
            Ok((o, _)) => o.name.clone(),
            Err(_) => name.to_string(),
        };
        jobs.push(Job {
            line,
            name_unicode: ietfwg_doh::idn::to_unicode(&name),
            name,
            qtype: qtype.to_string(),
            prepared,
        });
    }
    jobs
}

/// The result line of a job: not sent (a bad line), or what the engine brought back for it.
fn line_result(
    job: &Job,
    done: Option<(&Client, Result<Response, ClientError>)>,
    json_api: bool,
) -> LineResult {
    let mut r = LineResult {
        record: "batch_line",
        line: job.line,
        name: job.name.clone(),
        name_unicode: job.name_unicode.clone(),
        qtype: job.qtype.clone(),
        rcode: None,
        answers: Vec::new(),
        status: None,
        ttfb_ms: None,
        error: None,
    };
    let (opts, (client, result)) = match (&job.prepared, done) {
        (Err(e), _) => {
            r.error = Some(line_problem("input", e.clone()));
            return r;
        }
        (Ok((opts, _)), Some(done)) => (opts, done),
        (Ok(_), None) => {
            r.error = Some(line_problem(
                "network",
                format!("line {}: not sent", job.line),
            ));
            return r;
        }
    };
    let response = match result {
        Ok(response) => response,
        Err(e) => {
            r.error = Some(line_problem(
                "network",
                format!("{:#}", conn::explain(client, e)),
            ));
            return r;
        }
    };
    match judge(response, opts, json_api) {
        Outcome::Answer {
            answer, response, ..
        } => {
            r.status = Some(response.status);
            r.ttfb_ms = Some(ms(response.ttfb));
            r.rcode = Some(answer.rcode.clone());
            r.answers = answer.answer;
        }
        Outcome::Failed { response, error } => {
            r.status = Some(response.status);
            r.ttfb_ms = Some(ms(response.ttfb));
            r.error = Some(line_problem("http", error));
        }
    }
    r
}

/// The output lines in input order although results arrive in completion order: each waits in
/// its slot until every earlier line is out. With `unordered`, lines go out as they come.
struct LineOrder {
    pending: VecDeque<Option<Vec<u8>>>,
    emitted: usize,
    unordered: bool,
}

impl LineOrder {
    fn new(lines: usize, unordered: bool) -> Self {
        let mut pending = VecDeque::new();
        pending.resize_with(if unordered { 0 } else { lines }, || None);
        LineOrder {
            pending,
            emitted: 0,
            unordered,
        }
    }

    /// Line `i`, rendered: written at once when order does not matter, else put in its slot
    /// and every line now in order written. Written lines' buffers go to `spare` for reuse.
    fn put(
        &mut self,
        i: usize,
        line: Vec<u8>,
        out: &mut Output,
        spare: &mut Vec<Vec<u8>>,
    ) -> anyhow::Result<()> {
        if self.unordered {
            out.write_all(&line)?;
            spare.push(line);
            return Ok(());
        }
        if let Some(slot) = i
            .checked_sub(self.emitted)
            .and_then(|at| self.pending.get_mut(at))
        {
            *slot = Some(line);
        }
        while let Some(Some(_)) = self.pending.front() {
            if let Some(Some(line)) = self.pending.pop_front() {
                out.write_all(&line)?;
                spare.push(line);
                self.emitted += 1;
            }
        }
        Ok(())
    }
}

fn read_input(file: Option<&PathBuf>) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            bytes = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?
        }
        _ => {
            crate::hints::text_stdin("questions, `NAME [TYPE]` per line,");
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
        }
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        anyhow::anyhow!("the input is not UTF-8 text (byte offset {at})")
    })
}

fn progress_bar(n: usize, out: &Output) -> Option<indicatif::ProgressBar> {
    if !out.stderr_tty || n < 2 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(n as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} {wide_bar} {per_sec} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

pub fn run(args: BatchArgs, mut out: Output) -> anyhow::Result<Status> {
    let input = read_input(args.file.as_ref())?;
    let jobs = Arc::new(parse_jobs(&input, &args.flags));
    let cfg = conn::client_config(&args.conn, args.get)?;
    let form = if args.get { Form::Get } else { Form::Post };
    out.set_json();
    let n = jobs.len();
    let bar = progress_bar(n, &out);
    if args.json_api {
        return run_json_api(&args, jobs, cfg, out, bar);
    }

    // The load engine of `doh bench`, closed loop over `--connections`: `--concurrency`
    // queries in flight on each, each line once. Lines that cannot be sent never reach it.
    let sendable: Vec<usize> = (0..n).filter(|&i| jobs[i].prepared.is_ok()).collect();
    let queries: Arc<[Bytes]> = sendable
        .iter()
        .filter_map(|&i| jobs[i].prepared.as_ref().ok())
        .map(|(_, w)| Bytes::copy_from_slice(w))
        .collect();
    let load = LoadConfig {
        queries,
        method: if form == Form::Get {
            Method::Get
        } else {
            Method::Post
        },
        connections: usize::from(args.connections),
        concurrency: usize::from(args.concurrency).min(sendable.len().max(1)),
        rate: None,
        max_outstanding: usize::from(args.concurrency) * usize::from(args.connections),
        stop: Stop::Count(sendable.len() as u64),
    };
    let connect_context = conn::connect_context(&cfg);
    let connector = Connector::new(cfg).with_context(|| connect_context.clone())?;

    let rt = conn::runtime(conn::threads())?;
    let start = Instant::now();
    let unordered = args.unordered;
    let writer_bar = bar.clone();
    let ran = rt.block_on(async move {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let progress = Arc::new(Progress::default());
        let engine =
            tokio::spawn(async move { load::run(&connector, load, progress, Some(tx)).await });

        // The lines are rendered and written by a task of the runtime, not on this thread:
        // an answer then wakes a task on a worker, not a parked thread.
        let writer = tokio::spawn(async move {
            let bar = writer_bar;
            let mut counts = Counts::default();
            // Lines that were not sent are ready from the start.
            let mut order = LineOrder::new(n, unordered);
            let mut render = Renderer::default();
            for (i, job) in jobs.iter().enumerate().filter(|(_, j)| j.prepared.is_err()) {
                let line = render.render(job, None, &mut counts)?;
                if let Some(b) = &bar {
                    b.inc(1);
                }
                order.put(i, line, &mut out, &mut render.spare)?;
            }
            while let Some(done) = rx.recv().await {
                let Some(&i) = usize::try_from(done.seq).ok().and_then(|s| sendable.get(s)) else {
                    continue;
                };
                let line =
                    render.render(&jobs[i], Some((&done.client, done.result)), &mut counts)?;
                if let Some(b) = &bar {
                    b.inc(1);
                }
                order.put(i, line, &mut out, &mut render.spare)?;
            }
            anyhow::Ok((out, counts))
        });
        let (out, counts) = match writer.await {
            Ok(r) => r?,
            Err(e) => anyhow::bail!("the output task failed: {e}"),
        };
        let handshakes = match engine.await {
            Ok(r) => r
                .map(|r| r.handshakes)
                .with_context(|| connect_context.clone()),
            Err(e) => Err(anyhow::anyhow!("the query engine failed: {e}")),
        };
        anyhow::Ok((out, counts, handshakes))
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (mut out, counts, connections) = ran?;
    out.flush()?;
    let handshakes = connections?;
    let elapsed = start.elapsed();
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        counts.sent as f64 / secs
    } else {
        0.0
    };
    // Resumption over more than one connection, and 0-RTT when asked: as `doh bench` says them.
    let mut tls = String::new();
    if handshakes.tls > 1 {
        tls.push_str(&format!(" ({} resumed)", handshakes.resumed));
    }
    if args.conn.zero_rtt {
        tls.push_str(&format!(
            ", 0-RTT: {}",
            super::bench::zero_rtt_text(&handshakes)
        ));
    }
    summary(&counts, secs, rate, handshakes.connections, &tls);
    Ok(if counts.noerror == n {
        Status::Ok
    } else {
        Status::Findings
    })
}

/// The closing line on standard error.
fn summary(counts: &Counts, secs: f64, rate: f64, connections: u64, tls: &str) {
    eprintln!(
        "ietfwg: batch: sent {}, NOERROR {}, NXDOMAIN {}, other {}, errors {}, elapsed {:.2} s, \
         {:.0} q/s, connections: {connections}{tls}",
        counts.sent, counts.noerror, counts.nxdomain, counts.other, counts.errors, secs, rate,
    );
}

/// `doh batch --json-api`: each line a JSON API GET (`?name=…&type=…`), `--concurrency` in
/// flight on each of `--connections` connections (line i on connection i mod M), answers
/// parsed with [`ietfwg_doh::answer::Answer::from_json_api`] and written as the same NDJSON
/// lines. The load engine of `doh bench` sends DNS messages only, so the requests go through
/// [`Client::json_api`] here, as `doh query --json-api` sends its one.
fn run_json_api(
    args: &BatchArgs,
    jobs: Arc<Vec<Job>>,
    cfg: ietfwg_doh::client::ClientConfig,
    out: Output,
    bar: Option<indicatif::ProgressBar>,
) -> anyhow::Result<Status> {
    let n = jobs.len();
    let m = usize::from(args.connections);
    let in_flight = usize::from(args.concurrency) * m;
    let unordered = args.unordered;
    let server = cfg.url.clone();
    let rt = conn::runtime(conn::threads())?;
    let start = Instant::now();
    let ran = rt.block_on(async move {
        let mut clients = Vec::with_capacity(m);
        for _ in 0..m {
            clients.push(conn::connect(cfg.clone()).await?);
        }
        let connections = clients.len() as u64;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let permits = Arc::new(tokio::sync::Semaphore::new(in_flight.max(1)));
        let sender_jobs = Arc::clone(&jobs);
        let sender = tokio::spawn(async move {
            for (i, job) in sender_jobs.iter().enumerate() {
                let (Ok((opts, _)), Some(client)) = (&job.prepared, clients.get(i % m.max(1)))
                else {
                    let _ = tx.send((i, None));
                    continue;
                };
                let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
                    break;
                };
                let url = ietfwg_doh::wire::json_api_url(&server, opts);
                let client = client.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let result = client.json_api(&url).await;
                    drop(permit);
                    let _ = tx.send((i, Some((client, result))));
                });
            }
        });
        let mut out = out;
        let mut counts = Counts::default();
        let mut render = Renderer {
            json_api: true,
            ..Renderer::default()
        };
        let mut order = LineOrder::new(n, unordered);
        while let Some((i, done)) = rx.recv().await {
            let Some(job) = jobs.get(i) else { continue };
            let line = match done {
                Some((client, result)) => {
                    render.render(job, Some((&client, result)), &mut counts)?
                }
                None => render.render(job, None, &mut counts)?,
            };
            if let Some(b) = &bar {
                b.inc(1);
            }
            order.put(i, line, &mut out, &mut render.spare)?;
        }
        if let Err(e) = sender.await {
            anyhow::bail!("the query task failed: {e}");
        }
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        anyhow::Ok((out, counts, connections))
    });
    let (mut out, counts, connections) = ran?;
    out.flush()?;
    let secs = start.elapsed().as_secs_f64();
    let rate = if secs > 0.0 {
        counts.sent as f64 / secs
    } else {
        0.0
    };
    summary(&counts, secs, rate, connections, "");
    Ok(if counts.noerror == n {
        Status::Ok
    } else {
        Status::Findings
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ietfwg_doh::answer::Answer;

    /// The line written key by key is the JSON of the `LineResult` of the same answer: with an
    /// A record, and a TXT record whose text needs escapes (quote, backslash, control octet).
    #[test]
    fn answer_line_is_line_result_json() {
        #[rustfmt::skip]
        let wire: Vec<u8> = [
            &[0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0][..], // header: NOERROR, 1 question, 3 answers
            b"\x01q\x07example\x00\x00\x01\x00\x01",               // q.example. A IN
            &[0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1], // A 192.0.2.1, TTL 3600
            &[0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 7, 6],        // TXT, TTL 60, one string of 6
            b"a\"b\\\x01c",
            &[0xc0, 12, 0, 43, 0, 1, 0, 0, 0, 60, 0, 36],         // DS, TTL 60, RDLENGTH 36
            &[0xaa, 0xbb, 13, 2],                                   // key tag, ECDSAP256SHA256, SHA-256
            &[0x5a; 32],                                            // digest
        ]
        .concat();
        let mut records = AnswerRecords::default();
        records.decode(&wire).unwrap();
        let answer = Answer::from_wire(&wire).unwrap();
        for (name, qtype) in [
            ("q.example", "A"),
            ("odd\"name\u{e9}", "TYPE65"),
            ("xn--bcher-kva.example", "A"),
        ] {
            let name_unicode = ietfwg_doh::idn::to_unicode(name);
            let job = Job {
                line: 7,
                name: name.into(),
                name_unicode: name_unicode.clone(),
                qtype: qtype.into(),
                prepared: Err(String::new()),
            };
            let mut buf = Vec::new();
            answer_line(&mut buf, &job, &records.rcode(), &records, 200, 1.25).unwrap();
            let want = LineResult {
                record: "batch_line",
                line: 7,
                name: name.into(),
                name_unicode,
                qtype: qtype.into(),
                rcode: Some(answer.rcode.clone()),
                answers: answer.answer.clone(),
                status: Some(200),
                ttfb_ms: Some(1.25),
                error: None,
            };
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(&want).unwrap()
            );
        }
        assert_eq!(answer.answer.len(), 3);
        // The DNSSEC record's typed fields are in both lines (the comparison above).
        assert_eq!(
            answer.answer[2].data,
            format!("43707 13 2 {}", "5A".repeat(32))
        );
        assert!(answer.answer[2].fields.is_some());
        assert!(
            answer.answer[1].data.contains("\\\""),
            "{:?}",
            answer.answer[1]
        );
    }

    #[test]
    fn counts_classify() {
        let mut c = Counts::default();
        let mut r = LineResult {
            record: "batch_line",
            line: 1,
            name: "a".into(),
            name_unicode: None,
            qtype: "A".into(),
            rcode: Some("NOERROR".into()),
            answers: vec![],
            status: Some(200),
            ttfb_ms: None,
            error: None,
        };
        c.add(true, &r);
        r.rcode = Some("NXDOMAIN".into());
        c.add(true, &r);
        r.rcode = Some("SERVFAIL".into());
        c.add(true, &r);
        r.rcode = None;
        r.error = Some(line_problem("input", "x".into()));
        c.add(false, &r);
        assert_eq!(
            (c.sent, c.noerror, c.nxdomain, c.other, c.errors),
            (3, 1, 1, 1, 1)
        );
    }
}
