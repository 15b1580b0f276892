//! The HTTP side of an answer (sans-I/O): the response message padded per RFC 8467 when the
//! query was, and its `Cache-Control` freshness per RFC 8484 §5.1.
//!
//! - **Freshness**: `max-age` is the smallest TTL of the answer and authority sections (the
//!   OPT pseudo-record excluded); an answer without records takes the SOA of the authority
//!   section with min(TTL, MINIMUM) (RFC 2308 §5); a response with neither (REFUSED,
//!   SERVFAIL without SOA) gets `max-age=0`.
//! - **Padding**: RFC 8467 §4.1 — a server pads its response only when the query carried the
//!   Padding option, to a multiple of 468 octets.

use hickory_proto::op::Message;
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use hickory_proto::rr::{RData, RecordType};

use crate::query::OPTION_PADDING;

/// RFC 8467 §4.1's block size for responses.
pub const RESPONSE_BLOCK: usize = 468;

/// A response ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The DNS message.
    pub wire: Vec<u8>,
    /// `Cache-Control: max-age=` value.
    pub max_age: u32,
    /// The response code (with the extended bits of EDNS), for the access log.
    pub rcode: u16,
}

/// Whether the query carried an EDNS Padding option (RFC 7830).
pub fn query_padded(query: &Message) -> bool {
    query
        .extensions()
        .as_ref()
        .is_some_and(|e| e.option(EdnsCode::Padding).is_some())
}

/// The freshness lifetime of a response (RFC 8484 §5.1 with RFC 2308 §5).
pub fn max_age(resp: &Message) -> u32 {
    let ttls = resp
        .answers()
        .iter()
        .chain(resp.name_servers())
        .filter(|r| r.record_type() != RecordType::OPT)
        .map(|r| match r.data() {
            RData::SOA(soa) if resp.answers().is_empty() => r.ttl().min(soa.minimum()),
            _ => r.ttl(),
        });
    ttls.min().unwrap_or(0)
}

/// Encodes `resp`, padded to a multiple of [`RESPONSE_BLOCK`] when `pad` and the response has
/// an OPT record; any Padding option the response already had (an upstream's) is replaced.
pub fn finish(mut resp: Message, pad: bool) -> Result<Finished, String> {
    let max_age = max_age(&resp);
    let rcode = u16::from(resp.response_code());
    let encode = |m: &Message| {
        m.to_vec()
            .map_err(|e| format!("encoding the response: {e}"))
    };
    let Some(mut edns) = resp.extensions().clone() else {
        return Ok(Finished {
            wire: encode(&resp)?,
            max_age,
            rcode,
        });
    };
    edns.options_mut().remove(EdnsCode::Padding);
    resp.set_edns(edns.clone());
    let unpadded = encode(&resp)?;
    if !pad {
        return Ok(Finished {
            wire: unpadded,
            max_age,
            rcode,
        });
    }
    // The option takes 4 octets (code, length) before its zero octets (RFC 7830 §3).
    let pad_len = (RESPONSE_BLOCK - (unpadded.len() + 4) % RESPONSE_BLOCK) % RESPONSE_BLOCK;
    if unpadded.len() + 4 + pad_len > usize::from(u16::MAX) {
        return Ok(Finished {
            wire: unpadded,
            max_age,
            rcode,
        });
    }
    edns.options_mut()
        .insert(EdnsOption::Unknown(OPTION_PADDING, vec![0; pad_len]));
    resp.set_edns(edns);
    let wire = encode(&resp)?;
    Ok(Finished {
        wire,
        max_age,
        rcode,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::query::{build, Padding, QueryOptions};
    use crate::server::zone::Zone;

    fn zone() -> Zone {
        Zone::parse(
            "$ORIGIN p.test.\n$TTL 300\n@ 300 SOA ns h 1 2 3 4 90\n@ NS ns\nns A 192.0.2.1\nlow 30 A 192.0.2.2\nlow 400 TXT \"x\"\n",
            None,
            None,
        )
        .unwrap()
    }

    fn ask(name: &str, padding: Padding) -> (Message, Message) {
        let mut o = QueryOptions::new(name, RecordType::A);
        o.padding = padding;
        let q = Message::from_vec(&build(&o).unwrap()).unwrap();
        let r = zone().answer(&q);
        (q, r)
    }

    #[test]
    fn padded_only_when_the_query_was() {
        let (q, r) = ask("low.p.test", Padding::Block(128));
        assert!(query_padded(&q));
        let f = finish(r.clone(), true).unwrap();
        assert_eq!(f.wire.len() % RESPONSE_BLOCK, 0);
        assert_eq!(f.wire.len(), RESPONSE_BLOCK);
        let back = Message::from_vec(&f.wire).unwrap();
        assert_eq!(back.answers(), r.answers());
        let (q, r) = ask("low.p.test", Padding::None);
        assert!(!query_padded(&q));
        let f = finish(r, false).unwrap();
        assert!(f.wire.len() < 100, "{}", f.wire.len());
    }

    #[test]
    fn max_age_is_the_smallest_ttl_or_the_negative_soa_ttl() {
        let (_, r) = ask("low.p.test", Padding::None);
        assert_eq!(max_age(&r), 30);
        let (_, r) = ask("nothing.p.test", Padding::None);
        assert_eq!(max_age(&r), 90, "the SOA MINIMUM (RFC 2308 §5)");
        let (_, r) = ask("elsewhere.test", Padding::None);
        assert_eq!(max_age(&r), 0, "REFUSED");
    }
}
