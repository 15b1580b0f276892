//! `ietfwg doh query NAME [TYPE]`: one question over one connection, shown like dig (or
//! `--short`, or one `--json` object), with the RFC 8484 response checks, the §5.1 cache report,
//! and on request the connection's timing and TLS details.

use std::io::Write as _;
use std::time::{Duration, Instant};

use colored::Colorize;
use ietfwg_doh::answer::Answer;
use ietfwg_doh::cache::{self, Freshness};
use ietfwg_doh::check::{self, HttpFacts};
use ietfwg_doh::client::{Client, ConnectTiming, Method, Response, TlsInfo, ZeroRtt};
use ietfwg_doh::query::QueryOptions;
use ietfwg_doh::wire;
use serde::Serialize;
use std::borrow::Cow;

use crate::json::{rfc_cited, Problem};

use super::conn::{self, ConnArgs};
use super::flags::QueryFlags;
use super::render;
use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The name to ask about ("." is the root).
    pub name: String,

    /// Record type, by name or number: A, AAAA, TXT, MX, HTTPS, TYPE65, 65…
    #[arg(default_value = "A")]
    pub qtype: String,

    #[command(flatten)]
    pub flags: QueryFlags,

    #[command(flatten)]
    pub conn: ConnArgs,

    /// Send the query with GET (`?dns=` base64url) instead of POST.
    #[arg(long)]
    pub get: bool,

    /// Ask the server's JSON API (`application/dns-json`, `?name=…&type=…`) instead of sending
    /// a DNS message.
    #[arg(long, conflicts_with = "get")]
    pub json_api: bool,

    /// Show names as they are on the wire (A-labels, `xn--…`) rather than in Unicode (like
    /// kdig +noidn).
    #[arg(long)]
    pub no_idn: bool,

    /// Print only the answer data, one per line.
    #[arg(long, conflicts_with = "json")]
    pub short: bool,

    /// One JSON object: question, flags, RCODE, sections, EDNS, HTTP, timing, cache.
    #[arg(long)]
    pub json: bool,

    /// Show how long each phase took: DNS lookup of the server, TCP connect, TLS handshake
    /// (with --http3: the QUIC handshake, and with --0rtt what became of early data), first
    /// response byte, total.
    #[arg(long)]
    pub timing: bool,

    /// Show the TLS session: version, cipher suite, ALPN, the certificate chain and the SPKI
    /// SHA-256 pin.
    #[arg(long)]
    pub tls: bool,
}

/// What one exchange gave.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A DNS answer that passed the response checks.
    Answer {
        answer: Box<Answer>,
        response: Response,
        cache: Freshness,
        /// Remarks that are not findings (e.g. a response ID other than ours).
        notes: Vec<String>,
    },
    /// The server answered but a check failed: not 2xx, wrong content type, empty or
    /// unparsable body. Never parsed as DNS when the status is not 2xx.
    Failed { response: Response, error: String },
}

/// The HTTP request form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    Post,
    Get,
    JsonApi,
}

impl Form {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Form::Post => "POST",
            Form::Get => "GET",
            Form::JsonApi => "GET (JSON API)",
        }
    }
}

/// Sends one query (already built as `wire` unless JSON API), checks and parses the answer.
/// Err is a network/HTTP-layer failure (nothing usable came back).
pub(crate) async fn exchange(
    client: &Client,
    server: &str,
    opts: &QueryOptions,
    wire_query: &[u8],
    form: Form,
) -> anyhow::Result<Outcome> {
    let sent = match form {
        Form::Post => client.query(wire_query, Method::Post).await,
        Form::Get => client.query(wire_query, Method::Get).await,
        // The whole URL: the client sends its path and query on the one connection.
        Form::JsonApi => client.json_api(&wire::json_api_url(server, opts)).await,
    };
    let response = sent.map_err(|e| conn::explain(client, e))?;
    Ok(judge(response, opts, form == Form::JsonApi))
}

/// The response checks (RFC 8484 §4.2.1), the answer parsed, the §5.1 cache report.
pub(crate) fn judge(response: Response, opts: &QueryOptions, json_api: bool) -> Outcome {
    let facts = HttpFacts {
        status: response.status,
        content_type: response.header("content-type"),
        body: &response.body,
        json_api,
    };
    if let Err(e) = check::check_response(&facts) {
        return Outcome::Failed {
            error: e.to_string(),
            response,
        };
    }
    let parsed = if json_api {
        match std::str::from_utf8(&response.body) {
            Ok(text) => Answer::from_json_api(text),
            Err(e) => {
                return Outcome::Failed {
                    error: format!(
                        "the JSON API body is not UTF-8 (byte {}): {}",
                        e.valid_up_to(),
                        check::body_summary(&response.body)
                    ),
                    response,
                }
            }
        }
    } else {
        Answer::from_wire(&response.body)
    };
    let answer = match parsed {
        Ok(a) => a,
        Err(e) => {
            return Outcome::Failed {
                error: format!("the response body is not a valid DNS answer: {e}"),
                response,
            }
        }
    };
    let mut notes = Vec::new();
    if !json_api && answer.id != opts.id {
        // RFC 8484 §4.1: HTTP pairs request and response, so the DNS ID plays no part in
        // matching them; a different ID is accepted.
        notes.push(format!(
            "the response's DNS ID is {} where the query's was {}; HTTP pairs them, so it is \
             accepted (RFC 8484 §4.1)",
            answer.id, opts.id
        ));
    }
    let cache = cache::freshness(
        response.header("cache-control"),
        response.header("age"),
        &answer,
    );
    Outcome::Answer {
        answer: Box::new(answer),
        response,
        cache,
        notes,
    }
}

/// One line saying how the HTTP freshness lifetime compares with the answer's TTLs.
pub(crate) fn cache_line(c: &Freshness) -> String {
    let ttl = match c.min_ttl {
        Some(t) => format!("smallest TTL {t} s"),
        None => "no TTL to compare (empty answer, no SOA)".to_string(),
    };
    let lifetime = match c.lifetime {
        Some(l) => format!("HTTP freshness lifetime {l} s"),
        None if c.no_store => "HTTP freshness lifetime not given (no-store)".to_string(),
        None => "HTTP freshness lifetime not given (no Cache-Control max-age)".to_string(),
    };
    let mut s = format!("{lifetime}, {ttl}");
    if c.exceeds {
        s.push_str(" — the lifetime exceeds the smallest TTL (RFC 8484 §5.1)");
    }
    s
}

/// Milliseconds with microsecond precision, for JSON.
pub(crate) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[derive(Debug, Serialize)]
struct Timing {
    /// DNS lookup of the server's name; null when an IP or --resolve gave the address.
    dns_ms: Option<f64>,
    connect_ms: f64,
    /// null over cleartext and over HTTP/3.
    tls_ms: Option<f64>,
    /// HTTP/3: the QUIC handshake (transport and TLS 1.3); absent over TCP.
    #[serde(skip_serializing_if = "Option::is_none")]
    quic_ms: Option<f64>,
    /// Whether the TLS handshake resumed an earlier connection's session (RFC 8446 §2.2):
    /// with --0rtt, the connection that sends the query resumes the first one's; null in
    /// cleartext.
    resumed: Option<bool>,
    /// With --0rtt: "accepted", "rejected" or "unavailable" (no resumable session).
    #[serde(skip_serializing_if = "Option::is_none")]
    zero_rtt: Option<ZeroRtt>,
    /// From sending the request to the first response byte.
    ttfb_ms: f64,
    /// From the start of the connection to the last response byte.
    total_ms: f64,
}

impl Timing {
    fn new(
        c: &ConnectTiming,
        r: &Response,
        total: Duration,
        resumed: Option<bool>,
        zero_rtt: ZeroRtt,
    ) -> Timing {
        Timing {
            resumed,
            dns_ms: c.dns.map(ms),
            connect_ms: ms(c.tcp),
            tls_ms: c.tls.map(ms),
            quic_ms: c.quic.map(ms),
            zero_rtt: (zero_rtt != ZeroRtt::Off).then_some(zero_rtt),
            ttfb_ms: ms(r.ttfb),
            total_ms: ms(total),
        }
    }
}

#[derive(Debug, Serialize)]
struct HttpReport<'a> {
    status: u16,
    version: ietfwg_doh::client::HttpVersion,
    content_type: Option<&'a str>,
    body_size: usize,
    /// Lowercase names; repeated headers joined with ", " (RFC 9110 §5.3).
    headers: serde_json::Map<String, serde_json::Value>,
}

impl<'a> HttpReport<'a> {
    fn new(r: &'a Response) -> HttpReport<'a> {
        let mut headers = serde_json::Map::new();
        for (n, v) in &r.headers {
            let n = n.to_ascii_lowercase();
            let joined = match headers.get(&n).and_then(|x| x.as_str()) {
                Some(prev) => format!("{prev}, {v}"),
                None => v.clone(),
            };
            headers.insert(n, serde_json::Value::String(joined));
        }
        HttpReport {
            status: r.status,
            version: r.version,
            content_type: r.header("content-type"),
            body_size: r.body.len(),
            headers,
        }
    }
}

/// `doh query --json` (`docs/json.md`, `docs/schema/doh-query.json`).
#[derive(Debug, Serialize)]
struct Report<'a> {
    /// Always `query`.
    record: &'static str,
    server: &'a str,
    method: &'static str,
    /// The question asked, as `doh batch` names it: as sent (A-labels for an IDN).
    name: &'a str,
    /// The question name in Unicode, only when it holds A-labels that are valid IDNA 2008.
    #[serde(skip_serializing_if = "Option::is_none")]
    name_unicode: Option<String>,
    qtype: &'a str,
    /// The DNS answer's keys, as `doh decode --json` gives them; absent when none came back.
    #[serde(flatten)]
    answer: Option<&'a Answer>,
    /// A failed check: the response was not a DoH answer, or its HTTP freshness lifetime
    /// exceeds the answer's TTL (RFC 8484 §5.1).
    error: Option<Problem>,
    http: HttpReport<'a>,
    timing: Timing,
    #[serde(skip_serializing_if = "Option::is_none")]
    tls: Option<&'a TlsInfo>,
    cache: Option<&'a Freshness>,
    notes: &'a [String],
}

pub fn run(args: QueryArgs, mut out: Output) -> anyhow::Result<Status> {
    let opts = args.flags.options(&args.name, &args.qtype)?;
    let cfg = conn::client_config(&args.conn, args.get)?;
    let server = cfg.url.clone();
    let form = if args.json_api {
        Form::JsonApi
    } else if args.get {
        Form::Get
    } else {
        Form::Post
    };
    let wire_query = if form == Form::JsonApi {
        Vec::new()
    } else {
        ietfwg_doh::query::build(&opts)?
    };
    if args.json {
        out.set_json();
    }

    let rt = conn::runtime(1)?;
    let start = Instant::now();
    let (client, outcome, zero_rtt) = rt.block_on(async {
        let client = conn::connect(cfg).await?;
        let outcome = exchange(&client, &server, &opts, &wire_query, form).await?;
        let zero_rtt = client.zero_rtt().await;
        anyhow::Ok((client, outcome, zero_rtt))
    })?;
    let total = start.elapsed();

    let (answer, response, cache, notes, error) = match &outcome {
        Outcome::Answer {
            answer,
            response,
            cache,
            notes,
        } => (
            Some(answer.as_ref()),
            response,
            Some(cache),
            notes.as_slice(),
            None,
        ),
        Outcome::Failed { response, error } => {
            (None, response, None, &[][..], Some(error.as_str()))
        }
    };
    let tls = if args.tls { client.tls() } else { None };
    // After zero_rtt(): with 0-RTT the ServerHello that says whether the handshake resumed
    // has come by then.
    let timing = Timing::new(
        client.connect_timing(),
        response,
        total,
        client.resumed(),
        zero_rtt,
    );

    for n in notes {
        eprintln!("ietfwg: note: {n}");
    }
    if let Some(e) = error {
        eprintln!("ietfwg: {e}");
    }
    // --short shows data only: say why the exit status is 1 when the answer is not NOERROR.
    if let Some(a) = answer.filter(|a| args.short && !a.is_noerror()) {
        eprintln!("ietfwg: {} for {} {}", a.rcode, opts.name, args.qtype);
    }
    if let Some(c) = cache.filter(|c| c.exceeds) {
        eprintln!("ietfwg: finding: {}", cache_line(c));
    }

    if args.json {
        let error = match (error, cache) {
            (Some(e), _) => Some(Problem {
                layer: Cow::Borrowed("http"),
                field: None,
                offset: None,
                rfc: Some(rfc_cited(e).map_or(Cow::Borrowed("RFC 8484 §4.2.1"), Cow::Owned)),
                message: e.to_owned(),
            }),
            (None, Some(c)) if c.exceeds => Some(Problem {
                layer: Cow::Borrowed("http"),
                field: Some(Cow::Borrowed("Cache-Control")),
                offset: None,
                message: cache_line(c),
                rfc: Some(Cow::Borrowed("RFC 8484 §5.1")),
            }),
            (None, _) => None,
        };
        out.json(&Report {
            record: "query",
            server: &server,
            method: form.name(),
            name: &opts.name,
            name_unicode: ietfwg_doh::idn::to_unicode(&opts.name),
            qtype: &args.qtype,
            answer,
            error,
            http: HttpReport::new(response),
            timing,
            tls,
            cache,
            notes,
        })?;
    } else {
        let mut text = String::new();
        if let Some(a) = answer {
            // As kdig shows them: question, owner and RDATA names in Unicode where they are
            // valid A-labels, unless --no-idn.
            let a = if args.no_idn {
                Cow::Borrowed(a)
            } else {
                ietfwg_doh::idn::unicode_answer(a)
            };
            if args.short {
                text.push_str(&render::short(&a));
            } else {
                text.push_str(&render::text(&a, out.color));
            }
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
        }
        if !args.short {
            if !text.is_empty() {
                text.push('\n');
            }
            let mut footer = vec![format!(
                ";; SERVER: {server} ({}, {}, status {})",
                version_name(response),
                form.name(),
                response.status
            )];
            footer.push(format!(";; MSG SIZE rcvd: {}", response.body.len()));
            if let Some(c) = cache {
                footer.push(format!(";; CACHE: {}", cache_line(c)));
            }
            text.push_str(&paint(&footer, out.color));
        }
        if args.timing {
            text.push_str(&paint(&timing_lines(&timing), out.color));
        }
        if args.tls {
            text.push_str(&paint(&tls_lines(client.tls()), out.color));
        }
        out.write_all(text.as_bytes())?;
    }
    out.flush()?;

    let ok = answer.is_some_and(Answer::is_noerror) && !cache.is_some_and(|c| c.exceeds);
    Ok(if ok { Status::Ok } else { Status::Findings })
}

fn version_name(r: &Response) -> &'static str {
    match r.version {
        ietfwg_doh::client::HttpVersion::Http2 => "HTTP/2",
        ietfwg_doh::client::HttpVersion::Http11 => "HTTP/1.1",
        ietfwg_doh::client::HttpVersion::Http3 => "HTTP/3",
    }
}

/// `;;` lines, dimmed on a colour terminal.
fn paint(lines: &[String], color: bool) -> String {
    let mut s = String::new();
    for l in lines {
        if color {
            s.push_str(&l.dimmed().to_string());
        } else {
            s.push_str(l);
        }
        s.push('\n');
    }
    s
}

fn timing_lines(t: &Timing) -> Vec<String> {
    let f = |v: Option<f64>, none: &str| match v {
        Some(v) => format!("{v:>9.3} ms"),
        None => format!("{:>12}  ({none})", "-"),
    };
    let mut v = vec![
        ";; TIMING:".to_string(),
        format!(";;   DNS lookup     {}", f(t.dns_ms, "address given")),
    ];
    match t.quic_ms {
        Some(q) => v.push(format!(
            ";;   QUIC handshake {}  (TLS 1.3 inside, RFC 9001)",
            f(Some(q), "")
        )),
        None => {
            v.push(format!(";;   TCP connect    {}", f(Some(t.connect_ms), "")));
            v.push(format!(";;   TLS handshake  {}", f(t.tls_ms, "cleartext")));
        }
    }
    if t.resumed == Some(true) || t.zero_rtt.is_some() {
        v.push(format!(
            ";;   resumed        {}",
            match t.resumed {
                Some(true) => "yes: the session of an earlier connection (RFC 8446 §2.2)",
                Some(false) => "no: a full handshake",
                None => "unknown: the handshake did not complete",
            }
        ));
    }
    if let Some(z) = t.zero_rtt {
        v.push(format!(
            ";;   0-RTT          {}",
            match z {
                ZeroRtt::Accepted => "accepted: the request went in early data",
                ZeroRtt::Rejected =>
                    "rejected by the server: the request was sent again after the handshake",
                ZeroRtt::Unavailable =>
                    "not possible: the server gave no session ticket allowing early data",
                ZeroRtt::Off => "off",
            }
        ));
    }
    v.extend([
        format!(
            ";;   first byte     {}  after the request",
            f(Some(t.ttfb_ms), "")
        ),
        format!(";;   total          {}", f(Some(t.total_ms), "")),
    ]);
    v
}

fn tls_lines(tls: Option<&TlsInfo>) -> Vec<String> {
    let Some(t) = tls else {
        return vec![";; TLS: none (cleartext HTTP)".to_string()];
    };
    let mut v = vec![
        ";; TLS:".to_string(),
        format!(";;   version        {}", t.version),
        format!(
            ";;   cipher suite   {}",
            if t.cipher_suite.is_empty() {
                "(not known: the handshake did not complete)"
            } else {
                &t.cipher_suite
            }
        ),
        format!(
            ";;   ALPN           {}",
            t.alpn.as_deref().unwrap_or("(none negotiated)")
        ),
    ];
    for (i, c) in t.chain.iter().enumerate() {
        v.push(format!(";;   certificate {i}  {}", c.subject));
        v.push(format!(";;     issuer       {}", c.issuer));
        if !c.sans.is_empty() {
            v.push(format!(";;     SANs         {}", c.sans.join(", ")));
        }
        v.push(format!(
            ";;     valid        {} to {}",
            c.not_before, c.not_after
        ));
    }
    v.push(format!(";;   SPKI pin       sha256//{}", t.spki_sha256));
    v
}
