//! `doh check`: RFC 8484 (and RFC 7830/8467, RFC 9110/9113 where DoH relies on them) clause by
//! clause against a server. [`judge`] decides each verdict from the responses (sans-I/O);
//! [`run`] sends the requests through [`crate::client`].
//!
//! | clause | RFC | level | sent | PASS when |
//! |---|---|---|---|---|
//! | `tls` | RFC 8484 §5, RFC 9113 §9.2 | MUST | the TLS handshake | TLS 1.2 or later, chain valid for the name |
//! | `http2` | RFC 8484 §5.2 | SHOULD | ALPN `h2` | the server selects h2 (WARN when only HTTP/1.1) |
//! | `post` | RFC 8484 §4.1 | MUST | POST application/dns-message | 200 and a DNS answer to the query |
//! | `get` | RFC 8484 §4.1 | MUST | GET `?dns=` | 200 and a DNS answer to the query |
//! | `media_type` | RFC 8484 §6 | MUST | (both) | 2xx answers are `application/dns-message` |
//! | `id_zero` | RFC 8484 §4.1 | MUST | a query with ID 0 | the answer has ID 0 |
//! | `unsupported_media_type` | RFC 8484 §4.1, RFC 9110 §15.5.16 | MUST | POST text/plain | 415 (WARN: another 4xx) |
//! | `malformed_dns_param` | RFC 8484 §4.1, §4.2.1 | MUST | `?dns=` padded, and not a DNS message | a 4xx, never 2xx |
//! | `explicit_freshness` | RFC 8484 §5.1 | MUST | GET | `Cache-Control` max-age/s-maxage or `Expires` |
//! | `freshness_within_ttl` | RFC 8484 §5.1 | MUST | GET | the lifetime ≤ the smallest TTL |
//! | `negative_caching` | RFC 8484 §5.1, RFC 2308 §5 | MUST | GET for a name that does not exist | the lifetime ≤ the SOA's min(TTL, MINIMUM) |
//! | `large_response` | RFC 8484 §6 | MUST | GET for a larger answer (`--big`) | over 512 octets, whole, TC clear |
//! | `padding` | RFC 7830 §4, RFC 8467 §4.1 | MUST / SHOULD | a query padded to 128 octets | a padded answer (WARN: not in 468-octet blocks) |
//! | `head` | RFC 9110 §9.3.2, §15.5.6 | — | HEAD | 2xx, or 405 with `Allow` (FAIL: 405 without) |
//! | `options` | RFC 9110 §9.3.7, §15.5.6 | — | OPTIONS | 2xx, or 405 with `Allow` (FAIL: 405 without) |
//!
//! Over HTTP/3 (`--http3`) every clause but `http2` (N/A: it asks about TCP) runs on one
//! HTTP/3 connection; `tls` then judges the TLS 1.3 inside QUIC.

pub mod judge;

use bytes::Bytes;
use hickory_proto::rr::RecordType;

use crate::client::{Client, ClientConfig, ClientError, HttpVersion, Method, Response};
use crate::query::{self, Padding, QueryOptions};
use crate::wire;

/// PASS, FAIL, WARN or N/A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Verdict {
    /// The server does what the clause asks.
    #[serde(rename = "PASS")]
    Pass,
    /// It does not (a MUST).
    #[serde(rename = "FAIL")]
    Fail,
    /// It does not do what is recommended, or answers in an unexpected but allowed way.
    #[serde(rename = "WARN")]
    Warn,
    /// Could not be judged (nothing to compare with).
    #[serde(rename = "N/A")]
    NotApplicable,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Warn => "WARN",
            Verdict::NotApplicable => "N/A",
        })
    }
}

/// The clauses, in the order they are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClauseId {
    Tls,
    Http2,
    Post,
    Get,
    MediaType,
    IdZero,
    UnsupportedMediaType,
    MalformedDnsParam,
    ExplicitFreshness,
    FreshnessWithinTtl,
    NegativeCaching,
    LargeResponse,
    Padding,
    Head,
    Options,
}

impl ClauseId {
    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            ClauseId::Tls => "tls",
            ClauseId::Http2 => "http2",
            ClauseId::Post => "post",
            ClauseId::Get => "get",
            ClauseId::MediaType => "media_type",
            ClauseId::IdZero => "id_zero",
            ClauseId::UnsupportedMediaType => "unsupported_media_type",
            ClauseId::MalformedDnsParam => "malformed_dns_param",
            ClauseId::ExplicitFreshness => "explicit_freshness",
            ClauseId::FreshnessWithinTtl => "freshness_within_ttl",
            ClauseId::NegativeCaching => "negative_caching",
            ClauseId::LargeResponse => "large_response",
            ClauseId::Padding => "padding",
            ClauseId::Head => "head",
            ClauseId::Options => "options",
        }
    }

    /// Where the requirement is written.
    pub fn rfc(self) -> &'static str {
        match self {
            ClauseId::Tls => "RFC 8484 §5",
            ClauseId::Http2 => "RFC 8484 §5.2",
            ClauseId::Post | ClauseId::Get | ClauseId::IdZero => "RFC 8484 §4.1",
            ClauseId::MediaType | ClauseId::LargeResponse => "RFC 8484 §6",
            ClauseId::UnsupportedMediaType => "RFC 8484 §4.1, RFC 9110 §15.5.16",
            ClauseId::MalformedDnsParam => "RFC 8484 §4.1, §4.2.1",
            ClauseId::ExplicitFreshness | ClauseId::FreshnessWithinTtl => "RFC 8484 §5.1",
            ClauseId::NegativeCaching => "RFC 8484 §5.1, RFC 2308 §5",
            ClauseId::Padding => "RFC 7830 §4, RFC 8467 §4.1",
            ClauseId::Head => "RFC 9110 §9.3.2",
            ClauseId::Options => "RFC 9110 §9.3.7",
        }
    }
}

/// One clause's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Clause {
    /// The clause.
    pub clause: ClauseId,
    /// Where it is written.
    pub rfc: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// What was sent.
    pub sent: String,
    /// What came back.
    pub received: String,
    /// Why, when it is not a plain PASS.
    pub note: String,
}

impl Clause {
    /// A clause result.
    pub fn new(
        clause: ClauseId,
        verdict: Verdict,
        sent: impl Into<String>,
        received: impl Into<String>,
        note: impl Into<String>,
    ) -> Clause {
        Clause {
            clause,
            rfc: clause.rfc(),
            verdict,
            sent: sent.into(),
            received: received.into(),
            note: note.into(),
        }
    }
}

/// The names the checks ask about.
#[derive(Debug, Clone)]
pub struct Names {
    /// A name with an A record (the positive answers).
    pub name: String,
    /// A name that does not exist (the negative answer).
    pub nxdomain: String,
    /// A name whose TXT answer is over 512 octets; None: [`ClauseId::LargeResponse`] is judged
    /// on the answer to `name` (N/A when it is small).
    pub big: Option<String>,
}

fn q(opts: &QueryOptions) -> Result<Vec<u8>, ClientError> {
    query::build(opts).map_err(|e| ClientError::Url {
        url: opts.name.clone(),
        reason: e.to_string(),
    })
}

/// Connects (HTTP/2, else HTTP/1.1; with a TLS failure, again without verification so the
/// other clauses still run) and runs every clause. Err only when no connection can be made.
///
/// With `cfg.http` HTTP/3 every clause runs over one HTTP/3 connection (QUIC, RFC 9114)
/// instead, with no fallback to TCP: RFC 8484's clauses are about HTTP semantics, which HTTP/3
/// carries as HTTP/2 does. `http2` is N/A then (it asks about the TCP transport), and `tls`
/// judges the TLS 1.3 that QUIC runs inside (RFC 9001 §4.2).
pub async fn run(cfg: ClientConfig, names: &Names) -> Result<Vec<Clause>, ClientError> {
    let https = cfg.url.starts_with("https://");
    let http3 = cfg.http == HttpVersion::Http3;
    let mut out = Vec::new();
    let (client, tls_error) = if http3 {
        connect_http3(&cfg).await?
    } else {
        connect_tcp(&cfg, https).await?
    };
    clauses(&client, https, tls_error, names, &mut out).await?;
    Ok(out)
}

/// One HTTP/3 connection; with a certificate the client does not accept, again without
/// verification (the TLS failure is then the `tls` clause's verdict).
async fn connect_http3(cfg: &ClientConfig) -> Result<(Client, Option<String>), ClientError> {
    match Client::connect(cfg.clone()).await {
        Ok(c) => Ok((c, None)),
        Err(e @ ClientError::Tls { .. }) if !cfg.insecure => {
            let mut insecure = cfg.clone();
            insecure.insecure = true;
            let text = e.to_string();
            let c = Client::connect(insecure).await.map_err(|_| e)?;
            Ok((c, Some(text)))
        }
        Err(e) => Err(e),
    }
}

/// HTTP/2, else HTTP/1.1; with a TLS failure, again without verification.
async fn connect_tcp(
    cfg: &ClientConfig,
    https: bool,
) -> Result<(Client, Option<String>), ClientError> {
    let mut h2cfg = cfg.clone();
    h2cfg.http = HttpVersion::Http2;
    let (client, tls_error) = match Client::connect(h2cfg.clone()).await {
        Ok(c) => (c, None),
        Err(e2) => {
            let mut h1 = cfg.clone();
            h1.http = HttpVersion::Http11;
            match Client::connect(h1.clone()).await {
                Ok(c) => (c, None),
                Err(e1) if https && !cfg.insecure => {
                    let mut insecure = h2cfg.clone();
                    insecure.insecure = true;
                    let c = match Client::connect(insecure).await {
                        Ok(c) => c,
                        Err(_) => {
                            let mut i1 = h1;
                            i1.insecure = true;
                            Client::connect(i1).await.map_err(|_| e1)?
                        }
                    };
                    (c, Some(e2.to_string()))
                }
                Err(e1) => return Err(if https { e2 } else { e1 }),
            }
        }
    };
    Ok((client, tls_error))
}

/// Every clause, over `client`.
async fn clauses(
    client: &Client,
    https: bool,
    tls_error: Option<String>,
    names: &Names,
    out: &mut Vec<Clause>,
) -> Result<(), ClientError> {
    let http3 = client.http_version() == HttpVersion::Http3;
    // tls
    if !https {
        out.push(Clause::new(
            ClauseId::Tls,
            Verdict::NotApplicable,
            "cleartext http:// URL",
            "",
            "no TLS to check",
        ));
    } else if let Some(e) = tls_error {
        out.push(Clause::new(
            ClauseId::Tls,
            Verdict::Fail,
            if http3 {
                "QUIC handshake (TLS 1.3 inside), certificate verified"
            } else {
                "TLS handshake, certificate verified"
            },
            e,
            "the rest was checked without verifying the certificate",
        ));
    } else if let Some(t) = client.tls() {
        let got = format!(
            "{} {}, certificate for {} {}",
            t.version,
            t.cipher_suite,
            t.server_name,
            if t.verified {
                "verified"
            } else {
                "not verified (--insecure)"
            }
        );
        let v = if t.version == "TLSv1.2" || t.version == "TLSv1.3" {
            if t.verified {
                Verdict::Pass
            } else {
                Verdict::NotApplicable
            }
        } else {
            Verdict::Fail
        };
        out.push(Clause::new(
            ClauseId::Tls,
            v,
            if http3 {
                "QUIC handshake (TLS 1.3 inside, RFC 9001 §4.2)"
            } else {
                "TLS handshake (1.2 and 1.3 offered)"
            },
            got,
            "",
        ));
    }
    // http2
    let version = client.http_version();
    let sent = if http3 {
        "ALPN h3 over QUIC (--http3)"
    } else if https {
        "ALPN h2, http/1.1"
    } else {
        "HTTP/2 with prior knowledge"
    };
    out.push(if http3 {
        Clause::new(
            ClauseId::Http2,
            Verdict::NotApplicable,
            sent,
            "HTTP/3",
            "asks which HTTP runs over TCP; this run checked the HTTP/3 endpoint (RFC 9114) — run without --http3 to judge HTTP/2",
        )
    } else if version == HttpVersion::Http2 {
        Clause::new(ClauseId::Http2, Verdict::Pass, sent, "HTTP/2", "")
    } else {
        Clause::new(
            ClauseId::Http2,
            Verdict::Warn,
            sent,
            "HTTP/1.1 only",
            "HTTP/2 is the RECOMMENDED minimum (RFC 8484 §5.2)",
        )
    });

    let mut opts = QueryOptions::new(&names.name, RecordType::A);
    opts.padding = Padding::Block(128);
    let padded = q(&opts)?;
    let desc = |o: &QueryOptions, w: &[u8]| {
        format!(
            "{} {} (ID {}, {} octets{})",
            o.name,
            query::type_name(u16::from(o.qtype)),
            o.id,
            w.len(),
            if o.padding == Padding::None {
                ""
            } else {
                ", padded"
            }
        )
    };
    let post = client.query(&padded, Method::Post).await;
    let get = client.query(&padded, Method::Get).await;
    let post_sent = format!("POST application/dns-message {}", desc(&opts, &padded));
    let get_sent = format!("GET ?dns= {}", desc(&opts, &padded));
    let failed = |id: ClauseId, sent: &str, e: &ClientError| {
        Clause::new(id, Verdict::Fail, sent, format!("no response: {e}"), "")
    };
    match &post {
        Ok(r) => out.push(judge::method_answers(
            ClauseId::Post,
            post_sent.clone(),
            r,
            &padded,
        )),
        Err(e) => out.push(failed(ClauseId::Post, &post_sent, e)),
    }
    match &get {
        Ok(r) => out.push(judge::method_answers(
            ClauseId::Get,
            get_sent.clone(),
            r,
            &padded,
        )),
        Err(e) => out.push(failed(ClauseId::Get, &get_sent, e)),
    }
    let answered: Vec<&Response> = [&post, &get]
        .into_iter()
        .filter_map(|r| r.as_ref().ok())
        .collect();
    out.push(judge::media_type("POST and GET above".into(), &answered));
    match &post {
        Ok(r) => out.push(judge::id_zero(post_sent.clone(), r, &padded)),
        Err(e) => out.push(failed(ClauseId::IdZero, &post_sent, e)),
    }
    // 415
    let sent = format!("POST text/plain with the query of {}", opts.name);
    match client
        .request(
            ::http::Method::POST,
            None,
            Some("text/plain"),
            Some(Bytes::copy_from_slice(&padded)),
        )
        .await
    {
        Ok(r) => out.push(judge::unsupported_media_type(sent, &r)),
        Err(e) => out.push(failed(ClauseId::UnsupportedMediaType, &sent, &e)),
    }
    // malformed dns parameter
    let b64 = wire::base64url(&padded);
    let padded_b64 = format!("dns={b64}{}", "=".repeat(((4 - b64.len() % 4) % 4).max(1)));
    let garbage = format!("dns={}", wire::base64url(b"this is not a DNS message"));
    let sent = format!(
        "GET ?{}… (base64url with '=' padding), GET ?{garbage}",
        &padded_b64[..padded_b64.len().min(16)]
    );
    let r1 = client
        .request(::http::Method::GET, Some(&padded_b64), None, None)
        .await;
    let r2 = client
        .request(::http::Method::GET, Some(&garbage), None, None)
        .await;
    match (&r1, &r2) {
        (Ok(a), Ok(b)) => out.push(judge::malformed_dns_param(
            sent,
            &[
                ("padded base64url", a, true),
                ("not a DNS message", b, false),
            ],
        )),
        (Err(e), _) | (_, Err(e)) => out.push(failed(ClauseId::MalformedDnsParam, &sent, e)),
    }
    // freshness
    match &get {
        Ok(r) => {
            out.push(judge::freshness(
                ClauseId::ExplicitFreshness,
                get_sent.clone(),
                r,
            ));
            out.push(judge::freshness(
                ClauseId::FreshnessWithinTtl,
                get_sent.clone(),
                r,
            ));
        }
        Err(e) => {
            out.push(failed(ClauseId::ExplicitFreshness, &get_sent, e));
            out.push(failed(ClauseId::FreshnessWithinTtl, &get_sent, e));
        }
    }
    let mut nx = QueryOptions::new(&names.nxdomain, RecordType::A);
    nx.padding = Padding::None;
    let nxw = q(&nx)?;
    let sent = format!("GET ?dns= {}", desc(&nx, &nxw));
    match client.query(&nxw, Method::Get).await {
        Ok(r) => {
            let is_negative = hickory_proto::op::Message::from_vec(&r.body)
                .map(|m| m.answers().is_empty())
                .unwrap_or(false);
            if is_negative {
                out.push(judge::freshness(ClauseId::NegativeCaching, sent, &r));
            } else {
                out.push(Clause::new(
                    ClauseId::NegativeCaching,
                    Verdict::NotApplicable,
                    sent,
                    judge::summary(&r),
                    "no negative answer (give --nxdomain NAME)",
                ));
            }
        }
        Err(e) => out.push(failed(ClauseId::NegativeCaching, &sent, &e)),
    }
    // large
    match &names.big {
        Some(big) => {
            let mut b = QueryOptions::new(big, RecordType::TXT);
            b.padding = Padding::None;
            let bw = q(&b)?;
            let sent = format!("GET ?dns= {}", desc(&b, &bw));
            match client.query(&bw, Method::Get).await {
                Ok(r) => out.push(judge::large_response(sent, &r, &bw)),
                Err(e) => out.push(failed(ClauseId::LargeResponse, &sent, &e)),
            }
        }
        None => match &get {
            Ok(r) => out.push(judge::large_response(get_sent.clone(), r, &padded)),
            Err(e) => out.push(failed(ClauseId::LargeResponse, &get_sent, e)),
        },
    }
    // padding
    match &post {
        Ok(r) => out.push(judge::padding(post_sent.clone(), r, &padded)),
        Err(e) => out.push(failed(ClauseId::Padding, &post_sent, e)),
    }
    // HEAD, OPTIONS
    let get_q = format!("dns={b64}");
    for (id, m) in [
        (ClauseId::Head, ::http::Method::HEAD),
        (ClauseId::Options, ::http::Method::OPTIONS),
    ] {
        let sent = format!(
            "{m} {}",
            if id == ClauseId::Head {
                "?dns= (the GET above)"
            } else {
                "the endpoint"
            }
        );
        let query = (id == ClauseId::Head).then_some(get_q.as_str());
        match client.request(m, query, None, None).await {
            Ok(r) => out.push(judge::other_method(id, sent, &r)),
            Err(e) => out.push(Clause::new(
                id,
                Verdict::Warn,
                sent,
                format!("no response: {e}"),
                "",
            )),
        }
    }
    Ok(())
}
