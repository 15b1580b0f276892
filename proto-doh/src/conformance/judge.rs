//! The verdict of each clause from what was sent and what came back (sans-I/O: responses in,
//! clauses out).

use hickory_proto::op::{Message, MessageType};
use hickory_proto::rr::rdata::opt::EdnsCode;

use super::{Clause, ClauseId, Verdict};
use crate::answer::Answer;
use crate::cache;
use crate::client::Response;
use crate::wire;

/// RFC 8467 §4.1's response block.
const RESPONSE_BLOCK: usize = 468;

/// One line about a response: status, media type, and the DNS summary when it is one.
pub fn summary(r: &Response) -> String {
    let ct = r.header("content-type").unwrap_or("(no content type)");
    let mut s = format!("{} {} {ct}", r.version, r.status);
    if let Ok(m) = Message::from_vec(&r.body) {
        let rcode = crate::answer::rcode_name(u16::from(m.response_code()));
        s.push_str(&format!(
            ", {rcode}, ID {}, {} answers, {} octets",
            m.id(),
            m.answers().len(),
            r.body.len()
        ));
    } else if !r.body.is_empty() {
        s.push_str(&format!(", {} octets", r.body.len()));
    }
    s
}

/// The response's DNS message when it is a 200 `application/dns-message` answering `query`
/// (QR set, same question); else why not.
pub fn dns_answer(r: &Response, query: &[u8]) -> Result<Message, String> {
    if r.status != 200 {
        return Err(format!("status {}, not 200", r.status));
    }
    let m = Message::from_vec(&r.body).map_err(|e| {
        format!(
            "the body ({} octets) is not a DNS message: {e}",
            r.body.len()
        )
    })?;
    if m.message_type() != MessageType::Response {
        return Err("the DNS message is not a response (QR=0)".into());
    }
    if let Ok(q) = Message::from_vec(query) {
        if q.queries() != m.queries() {
            return Err("the response's question is not the query's".into());
        }
    }
    Ok(m)
}

/// RFC 8484 §4.1: a query sent with `method` gets a DNS answer.
pub fn method_answers(id: ClauseId, sent: String, r: &Response, query: &[u8]) -> Clause {
    match dns_answer(r, query) {
        Ok(_) => Clause::new(id, Verdict::Pass, sent, summary(r), ""),
        Err(why) => Clause::new(id, Verdict::Fail, sent, summary(r), why),
    }
}

/// RFC 8484 §6: a 2xx answer carries `application/dns-message`.
pub fn media_type(sent: String, responses: &[&Response]) -> Clause {
    let bad: Vec<String> = responses
        .iter()
        .filter(|r| (200..300).contains(&r.status))
        .filter(|r| r.content_type().as_deref() != Some(wire::DNS_MESSAGE))
        .map(|r| r.header("content-type").unwrap_or("(none)").to_string())
        .collect();
    let got = responses
        .iter()
        .map(|r| r.header("content-type").unwrap_or("(none)"))
        .collect::<Vec<_>>()
        .join(", ");
    if responses.iter().all(|r| !(200..300).contains(&r.status)) {
        return Clause::new(
            ClauseId::MediaType,
            Verdict::NotApplicable,
            sent,
            got,
            "no 2xx answer to look at",
        );
    }
    if bad.is_empty() {
        Clause::new(ClauseId::MediaType, Verdict::Pass, sent, got, "")
    } else {
        Clause::new(
            ClauseId::MediaType,
            Verdict::Fail,
            sent,
            got,
            format!(
                "a 2xx answer of type {} (RFC 8484 §6 registers application/dns-message)",
                bad.join(", ")
            ),
        )
    }
}

/// RFC 8484 §4.1: "DoH clients SHOULD use 0" — so a server must accept ID 0 and echo it.
pub fn id_zero(sent: String, r: &Response, query: &[u8]) -> Clause {
    match dns_answer(r, query) {
        Ok(m) if m.id() == 0 => Clause::new(ClauseId::IdZero, Verdict::Pass, sent, summary(r), ""),
        Ok(m) => Clause::new(
            ClauseId::IdZero,
            Verdict::Fail,
            sent,
            summary(r),
            format!("the answer has ID {}, not the query's 0", m.id()),
        ),
        Err(why) => Clause::new(ClauseId::IdZero, Verdict::Fail, sent, summary(r), why),
    }
}

/// RFC 8484 §4.1 / RFC 9110 §15.5.16: a body of another media type gets 415.
pub fn unsupported_media_type(sent: String, r: &Response) -> Clause {
    let (v, note) = match r.status {
        415 => (Verdict::Pass, String::new()),
        200..=299 => (
            Verdict::Fail,
            "a text/plain body was accepted as a DNS message".into(),
        ),
        400..=499 => (
            Verdict::Warn,
            format!("refused with {}, not 415 Unsupported Media Type", r.status),
        ),
        s => (Verdict::Fail, format!("status {s}: expected 415")),
    };
    Clause::new(ClauseId::UnsupportedMediaType, v, sent, summary(r), note)
}

/// RFC 8484 §4.1 / §4.2.1 / §6: a `dns` parameter that is not base64url of a DNS message gets
/// a 4xx, not 200. Each entry: what was sent, its response, and whether it was the query in
/// base64url *with* padding (which §6 excludes; decoding it anyway is lenient, a WARN).
/// A 200 carrying a DNS FORMERR is a WARN (a DNS-level refusal); any other 2xx is a FAIL.
pub fn malformed_dns_param(sent: String, rs: &[(&str, &Response, bool)]) -> Clause {
    let got = rs
        .iter()
        .map(|(what, r, _)| format!("{what}: {}", summary(r)))
        .collect::<Vec<_>>()
        .join("; ");
    let mut verdict = Verdict::Pass;
    let mut notes = Vec::new();
    for (what, r, padded) in rs {
        let dns = Message::from_vec(&r.body)
            .ok()
            .filter(|m| m.message_type() == MessageType::Response);
        let (v, note) = match r.status {
            400..=499 => continue,
            200..=299 => match dns {
                Some(m) if m.response_code() == hickory_proto::op::ResponseCode::FormErr => (
                    Verdict::Warn,
                    format!("{what}: 200 with a DNS FORMERR, where 400 tells HTTP clients and caches more"),
                ),
                Some(_) if *padded => (
                    Verdict::Warn,
                    format!("{what}: decoded and answered (lenient: RFC 8484 §6 excludes '=' padding)"),
                ),
                _ => (
                    Verdict::Fail,
                    format!("{what}: answered {}: a malformed request must get a 4xx", r.status),
                ),
            },
            s => (Verdict::Warn, format!("{what}: {s}, not a 4xx client error")),
        };
        if v == Verdict::Fail || (v == Verdict::Warn && verdict == Verdict::Pass) {
            verdict = v;
        }
        notes.push(note);
    }
    Clause::new(
        ClauseId::MalformedDnsParam,
        verdict,
        sent,
        got,
        notes.join("; "),
    )
}

/// RFC 8484 §5.1: an explicit freshness lifetime, no longer than the smallest TTL (or the
/// negative-answer SOA TTL). `id` is [`ClauseId::ExplicitFreshness`],
/// [`ClauseId::FreshnessWithinTtl`] or [`ClauseId::NegativeCaching`].
pub fn freshness(id: ClauseId, sent: String, r: &Response) -> Clause {
    let Ok(answer) = Answer::from_wire(&r.body) else {
        return Clause::new(
            id,
            Verdict::NotApplicable,
            sent,
            summary(r),
            "no DNS answer to compare with",
        );
    };
    if r.status != 200 {
        return Clause::new(
            id,
            Verdict::NotApplicable,
            sent,
            summary(r),
            "no 200 answer",
        );
    }
    let cc = r.header("cache-control");
    let f = cache::freshness(cc, r.header("age"), &answer);
    let got = format!(
        "Cache-Control: {}{}; smallest TTL {}",
        cc.unwrap_or("(none)"),
        r.header("expires")
            .map(|e| format!(", Expires: {e}"))
            .unwrap_or_default(),
        f.min_ttl
            .map(|t| format!("{t} s"))
            .unwrap_or_else(|| "(no records)".into())
    );
    match id {
        ClauseId::ExplicitFreshness => {
            if f.lifetime.is_some() || r.header("expires").is_some() || f.no_store {
                Clause::new(id, Verdict::Pass, sent, got, "")
            } else {
                Clause::new(
                    id,
                    Verdict::Fail,
                    sent,
                    got,
                    "no explicit freshness lifetime (max-age, s-maxage or Expires): caches may apply a heuristic one",
                )
            }
        }
        _ => {
            let Some(lifetime) = f.lifetime else {
                return Clause::new(
                    id,
                    Verdict::NotApplicable,
                    sent,
                    got,
                    "no max-age or s-maxage to compare",
                );
            };
            if f.min_ttl.is_none() {
                return Clause::new(
                    id,
                    Verdict::NotApplicable,
                    sent,
                    got,
                    "the answer has no TTL to compare with",
                );
            }
            if f.exceeds {
                Clause::new(
                    id,
                    Verdict::Fail,
                    sent,
                    got,
                    format!(
                        "freshness lifetime {lifetime} s is longer than the smallest TTL {} s",
                        f.min_ttl.unwrap_or_default()
                    ),
                )
            } else {
                Clause::new(id, Verdict::Pass, sent, got, "")
            }
        }
    }
}

/// RFC 8484 §4.1 / §6: an answer over 512 octets comes whole (DoH has no 512-octet limit and
/// no truncation).
pub fn large_response(sent: String, r: &Response, query: &[u8]) -> Clause {
    let id = ClauseId::LargeResponse;
    match dns_answer(r, query) {
        Err(why) => Clause::new(id, Verdict::Fail, sent, summary(r), why),
        Ok(m) if m.truncated() => Clause::new(
            id,
            Verdict::Fail,
            sent,
            summary(r),
            "the answer has TC set: DoH answers are not truncated",
        ),
        Ok(_) if r.body.len() <= 512 => Clause::new(
            id,
            Verdict::NotApplicable,
            sent,
            summary(r),
            "the answer is not over 512 octets: give --big NAME with a larger answer",
        ),
        Ok(_) => Clause::new(id, Verdict::Pass, sent, summary(r), ""),
    }
}

/// RFC 7830 §4 / RFC 8467 §4.1: a padded query gets a padded answer, in 468-octet blocks.
pub fn padding(sent: String, r: &Response, query: &[u8]) -> Clause {
    let id = ClauseId::Padding;
    let m = match dns_answer(r, query) {
        Ok(m) => m,
        Err(why) => return Clause::new(id, Verdict::NotApplicable, sent, summary(r), why),
    };
    let Some(edns) = m.extensions() else {
        return Clause::new(
            id,
            Verdict::Fail,
            sent,
            summary(r),
            "no OPT record in the answer to an EDNS query with Padding",
        );
    };
    let got = format!(
        "{}, padded: {}",
        summary(r),
        edns.option(EdnsCode::Padding).is_some()
    );
    if edns.option(EdnsCode::Padding).is_none() {
        return Clause::new(
            id,
            Verdict::Fail,
            sent,
            got,
            "the query was padded, the answer is not (RFC 7830 §4: responders MUST pad)",
        );
    }
    if r.body.len() % RESPONSE_BLOCK != 0 {
        return Clause::new(
            id,
            Verdict::Warn,
            sent,
            got,
            format!(
                "padded to {} octets, not a multiple of 468 (RFC 8467 §4.1's recommended block)",
                r.body.len()
            ),
        );
    }
    Clause::new(id, Verdict::Pass, sent, got, "")
}

/// RFC 9110 §9.3.2 / §9.3.7 / §15.5.6: HEAD and OPTIONS either work or get 405 with `Allow`.
pub fn other_method(id: ClauseId, sent: String, r: &Response) -> Clause {
    let allow = r.header("allow");
    let got = format!(
        "{}{}",
        summary(r),
        allow.map(|a| format!(", Allow: {a}")).unwrap_or_default()
    );
    match r.status {
        200..=299 => Clause::new(id, Verdict::Pass, sent, got, ""),
        405 if allow.is_some() => {
            Clause::new(id, Verdict::Pass, sent, got, "not supported, said properly")
        }
        405 => Clause::new(
            id,
            Verdict::Fail,
            sent,
            got,
            "405 without an Allow header (RFC 9110 §15.5.6: the server MUST send one)",
        ),
        s => Clause::new(
            id,
            Verdict::Warn,
            sent,
            got,
            format!("status {s}: neither an answer nor 405 Method Not Allowed"),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::client::HttpVersion;
    use crate::query::{build, Padding, QueryOptions};
    use crate::server::{response, zone::Zone};
    use bytes::Bytes;
    use hickory_proto::rr::RecordType;
    use std::time::Duration;

    fn zone() -> Zone {
        Zone::parse(
            "$ORIGIN j.test.\n$TTL 300\n@ IN SOA ns h 1 2 3 4 90\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n",
            None,
            None,
        )
        .unwrap()
    }

    fn query(name: &str, padding: Padding) -> Vec<u8> {
        let mut o = QueryOptions::new(name, RecordType::A);
        o.padding = padding;
        build(&o).unwrap()
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
        Response {
            status,
            version: HttpVersion::Http2,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Bytes::from(body),
            ttfb: Duration::ZERO,
            total: Duration::ZERO,
        }
    }

    /// The answer the lab zone gives, padded when asked.
    fn answer(q: &[u8], pad: bool) -> Vec<u8> {
        let m = Message::from_vec(q).unwrap();
        response::finish(zone().answer(&m), pad).unwrap().wire
    }

    const DM: (&str, &str) = ("content-type", "application/dns-message");

    #[test]
    fn good_answers_pass() {
        let q = query("www.j.test", Padding::Block(128));
        let r = resp(
            200,
            &[DM, ("cache-control", "max-age=300")],
            answer(&q, true),
        );
        assert_eq!(
            method_answers(ClauseId::Post, "x".into(), &r, &q).verdict,
            Verdict::Pass
        );
        assert_eq!(media_type("x".into(), &[&r]).verdict, Verdict::Pass);
        assert_eq!(id_zero("x".into(), &r, &q).verdict, Verdict::Pass);
        assert_eq!(padding("x".into(), &r, &q).verdict, Verdict::Pass);
        for id in [ClauseId::ExplicitFreshness, ClauseId::FreshnessWithinTtl] {
            assert_eq!(
                freshness(id, "x".into(), &r).verdict,
                Verdict::Pass,
                "{id:?}"
            );
        }
        assert_eq!(
            large_response("x".into(), &r, &q).verdict,
            Verdict::NotApplicable
        );
    }

    #[test]
    fn each_fault_fails_its_clause() {
        let q = query("www.j.test", Padding::Block(128));
        let good = answer(&q, true);
        let r = resp(
            200,
            &[
                ("content-type", "text/plain"),
                ("cache-control", "max-age=300"),
            ],
            good.clone(),
        );
        assert_eq!(media_type("x".into(), &[&r]).verdict, Verdict::Fail);
        let r = resp(200, &[DM, ("cache-control", "max-age=301")], good.clone());
        assert_eq!(
            freshness(ClauseId::FreshnessWithinTtl, "x".into(), &r).verdict,
            Verdict::Fail
        );
        let r = resp(200, &[DM], good.clone());
        assert_eq!(
            freshness(ClauseId::ExplicitFreshness, "x".into(), &r).verdict,
            Verdict::Fail
        );
        assert_eq!(
            freshness(ClauseId::FreshnessWithinTtl, "x".into(), &r).verdict,
            Verdict::NotApplicable
        );
        let r = resp(200, &[DM], answer(&q, false));
        assert_eq!(padding("x".into(), &r, &q).verdict, Verdict::Fail);
        let mut other_id = good.clone();
        other_id[1] = 7;
        let r = resp(200, &[DM], other_id);
        assert_eq!(id_zero("x".into(), &r, &q).verdict, Verdict::Fail);
        let r = resp(200, &[DM], good.clone());
        assert_eq!(
            unsupported_media_type("x".into(), &r).verdict,
            Verdict::Fail
        );
        assert_eq!(
            malformed_dns_param("x".into(), &[("garbage", &r, false)]).verdict,
            Verdict::Fail
        );
        assert_eq!(
            malformed_dns_param("x".into(), &[("padded", &r, true)]).verdict,
            Verdict::Warn
        );
        let r400 = resp(400, &[], vec![]);
        assert_eq!(
            malformed_dns_param("x".into(), &[("padded", &r400, true)]).verdict,
            Verdict::Pass
        );
        let ok = resp(200, &[], b"ok".to_vec());
        assert_eq!(
            malformed_dns_param(
                "x".into(),
                &[("padded", &r400, true), ("garbage", &ok, false)]
            )
            .verdict,
            Verdict::Fail
        );
        let r405 = resp(405, &[], vec![]);
        assert_eq!(
            other_method(ClauseId::Head, "x".into(), &r405).verdict,
            Verdict::Fail
        );
        let r405 = resp(405, &[("allow", "GET, POST")], vec![]);
        assert_eq!(
            other_method(ClauseId::Head, "x".into(), &r405).verdict,
            Verdict::Pass
        );
        let mut tc = good;
        tc[2] |= 0x02;
        let r = resp(200, &[DM], tc);
        assert_eq!(large_response("x".into(), &r, &q).verdict, Verdict::Fail);
        let r = resp(500, &[], b"oops".to_vec());
        assert_eq!(
            method_answers(ClauseId::Get, "x".into(), &r, &q).verdict,
            Verdict::Fail
        );
    }

    #[test]
    fn negative_answers_are_judged_by_the_soa() {
        let q = query("nx.j.test", Padding::None);
        let body = answer(&q, false);
        let r = resp(200, &[DM, ("cache-control", "max-age=90")], body.clone());
        assert_eq!(
            freshness(ClauseId::NegativeCaching, "x".into(), &r).verdict,
            Verdict::Pass
        );
        let r = resp(200, &[DM, ("cache-control", "max-age=3600")], body);
        assert_eq!(
            freshness(ClauseId::NegativeCaching, "x".into(), &r).verdict,
            Verdict::Fail
        );
    }
}
