//! Authoritative answers from a zone file (RFC 1034 §4.3.2, RFC 2308, RFC 4592).
//!
//! The zone file is read by hickory-proto's RFC 1035 master-file parser
//! (`serialize::txt::Parser`: `$ORIGIN`, `$TTL`, `$INCLUDE`, parentheses, relative names,
//! every record type hickory knows). The lookup below is written here because hickory-server's
//! `Catalog` puts the records a CNAME points to in the additional section instead of the answer
//! (RFC 1034 §4.3.2 step 3a restarts the lookup and answers with them) and gives no referral for
//! names below a zone cut; the algorithm is the RFC's, step by step:
//!
//! | case | rcode | AA | answer | authority | additional |
//! |---|---|---|---|---|---|
//! | the RRset exists | NOERROR | 1 | the RRset | | |
//! | a CNAME at the name (other QTYPE) | as the target's | 1 | the CNAME, then the target's answer (≤ 8 links) | | |
//! | the name exists, not the type | NOERROR | 1 | | SOA | |
//! | the name does not exist | NXDOMAIN | 1 | | SOA | |
//! | `*.closest-encloser` exists (RFC 4592) | as above, owner names replaced by the QNAME | | | | |
//! | the name is at or below a zone cut (NS below the apex) | NOERROR | 0 | | the cut's NS | glue A/AAAA |
//! | outside the zone, or a class other than IN | REFUSED | 0 | | | |
//!
//! The SOA of a negative answer has TTL min(SOA TTL, MINIMUM) (RFC 2308 §3).
//!
//! Two habits of hickory's parser to know when writing a zone: a record without a TTL takes
//! the TTL of the record before it when one had an explicit TTL (RFC 1035 §5.1's rule, where
//! BIND uses `$TTL`), so give records with a TTL of their own an explicit one at the end or
//! follow them with `$TTL`; and it gives the SOA its EXPIRE field as TTL whatever the file
//! says, so the SOA is served here with its MINIMUM as TTL (the negative-caching TTL of
//! RFC 2308 §4 either way, as zones keep SOA TTL ≥ MINIMUM).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{DNSClass, LowerName, Name, RData, Record, RecordSet, RecordType, RrKey};
use hickory_proto::serialize::txt::Parser;

/// The largest zone file read (bytes).
pub const MAX_ZONE_FILE: u64 = 256 << 20;
/// How many CNAME links an answer follows inside the zone.
pub const MAX_CNAME_CHAIN: usize = 8;

/// A zone loaded from a master file.
#[derive(Debug)]
pub struct Zone {
    origin: LowerName,
    origin_name: Name,
    records: BTreeMap<RrKey, RecordSet>,
    /// Every owner name and every name between an owner and the origin (empty non-terminals
    /// exist, RFC 8020 — they answer NODATA, not NXDOMAIN).
    names: BTreeSet<LowerName>,
    soa: Record,
}

impl Zone {
    /// Parses a zone in RFC 1035 master format. `origin` is used until the file says
    /// `$ORIGIN`; `path` resolves relative `$INCLUDE`s.
    pub fn parse(text: &str, origin: Option<Name>, path: Option<&Path>) -> Result<Zone, String> {
        let (origin_name, records) = Parser::new(text, path.map(Path::to_path_buf), origin)
            .parse()
            .map_err(|e| format!("zone file: {e}"))?;
        let origin = LowerName::from(&origin_name);
        let mut records = records;
        let soa_key = RrKey::new(origin.clone(), RecordType::SOA);
        let mut soa = records
            .get(&soa_key)
            .and_then(|s| s.records_without_rrsigs().next().cloned())
            .ok_or_else(|| {
                format!("zone file: no SOA record at the origin {origin_name} (RFC 1035 §5.2: a zone starts with its SOA)")
            })?;
        if let RData::SOA(s) = soa.data() {
            soa.set_ttl(s.minimum());
            let mut set = RecordSet::new(origin_name.clone(), RecordType::SOA, 0);
            set.insert(soa.clone(), 0);
            records.insert(soa_key, set);
        }
        let mut names = BTreeSet::new();
        for key in records.keys() {
            if !origin.zone_of(&key.name) {
                return Err(format!(
                    "zone file: {} is outside the zone {origin_name}",
                    key.name
                ));
            }
            let mut n = key.name.clone();
            while names.insert(n.clone()) && n != origin {
                n = n.base_name();
            }
        }
        Ok(Zone {
            origin,
            origin_name,
            records,
            names,
            soa,
        })
    }

    /// Reads and parses a zone file (at most [`MAX_ZONE_FILE`] bytes).
    pub fn load(path: &Path, origin: Option<Name>) -> Result<Zone, String> {
        let len = std::fs::metadata(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .len();
        if len > MAX_ZONE_FILE {
            return Err(format!(
                "{}: {len} bytes, more than the {MAX_ZONE_FILE} a zone file may have here",
                path.display()
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Zone::parse(&text, origin, Some(path)).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The zone's origin.
    pub fn origin(&self) -> &Name {
        &self.origin_name
    }

    /// How many RRsets the zone holds.
    pub fn rrsets(&self) -> usize {
        self.records.len()
    }

    fn rrset(&self, name: &LowerName, rtype: RecordType) -> Option<&RecordSet> {
        self.records.get(&RrKey::new(name.clone(), rtype))
    }

    /// The negative-answer SOA: TTL min(TTL, MINIMUM) (RFC 2308 §3).
    fn negative_soa(&self) -> Record {
        let mut soa = self.soa.clone();
        if let RData::SOA(s) = self.soa.data() {
            soa.set_ttl(self.soa.ttl().min(s.minimum()));
        }
        soa
    }

    /// The highest zone cut (an NS RRset below the apex) at or above `name`.
    fn zone_cut(&self, name: &LowerName) -> Option<LowerName> {
        let depth = self.origin.num_labels();
        let mut cut = None;
        let mut n = name.clone();
        while n.num_labels() > depth {
            if self.rrset(&n, RecordType::NS).is_some() {
                cut = Some(n.clone());
            }
            n = n.base_name();
        }
        cut
    }

    /// Answers one query message (its first question). The response has the query's ID, RD
    /// and CD, and an OPT record when the query had one (payload size 1232, DO echoed).
    pub fn answer(&self, query: &Message) -> Message {
        let mut resp = response_to(query);
        let Some(q) = query.queries().first() else {
            resp.set_response_code(ResponseCode::FormErr);
            return resp;
        };
        if query.op_code() != OpCode::Query {
            resp.set_response_code(ResponseCode::NotImp);
            return resp;
        }
        if q.query_class() != DNSClass::IN && q.query_class() != DNSClass::ANY {
            resp.set_response_code(ResponseCode::Refused);
            return resp;
        }
        let qtype = q.query_type();
        let mut name = LowerName::from(q.name());
        if !self.origin.zone_of(&name) {
            resp.set_response_code(ResponseCode::Refused);
            return resp;
        }
        resp.set_authoritative(true);
        for link in 0..=MAX_CNAME_CHAIN {
            if !self.origin.zone_of(&name) {
                // A CNAME out of the zone: the client follows it (RFC 1034 §4.3.2 step 3a).
                return resp;
            }
            if let Some(cut) = self.zone_cut(&name) {
                if !(qtype == RecordType::DS && cut == name) {
                    if link == 0 {
                        resp.set_authoritative(false);
                    }
                    self.referral(&cut, &mut resp);
                    return resp;
                }
            }
            // The node that answers: the name itself, or the wildcard at its closest encloser.
            let node = if self.names.contains(&name) {
                Some(name.clone())
            } else {
                self.wildcard_for(&name)
            };
            let Some(node) = node else {
                resp.set_response_code(ResponseCode::NXDomain);
                resp.add_name_server(self.negative_soa());
                return resp;
            };
            let owner = Name::from(&name);
            let copy = |r: &Record| {
                let mut r = r.clone();
                r.set_name(owner.clone());
                r
            };
            if qtype == RecordType::ANY {
                let start = RrKey::new(node.clone(), RecordType::Unknown(0));
                let mut any = false;
                for (k, set) in self.records.range(start..) {
                    if k.name != node {
                        break;
                    }
                    for r in set.records_without_rrsigs() {
                        resp.add_answer(copy(r));
                        any = true;
                    }
                }
                if !any {
                    resp.add_name_server(self.negative_soa());
                }
                return resp;
            }
            if let Some(set) = self.rrset(&node, qtype) {
                resp.add_answers(set.records_without_rrsigs().map(copy));
                return resp;
            }
            if let Some(cname) = self.rrset(&node, RecordType::CNAME) {
                let Some(target) = cname
                    .records_without_rrsigs()
                    .next()
                    .and_then(|r| r.data().as_cname().map(|c| c.0.clone()))
                else {
                    return resp;
                };
                resp.add_answers(cname.records_without_rrsigs().map(copy));
                name = LowerName::from(&target);
                continue;
            }
            resp.add_name_server(self.negative_soa());
            return resp;
        }
        // A chain longer than MAX_CNAME_CHAIN: answer with what was found.
        resp
    }

    /// RFC 4592 §3.3.1: the closest encloser is the longest existing ancestor; `*.` under it
    /// answers for the name when it exists.
    fn wildcard_for(&self, name: &LowerName) -> Option<LowerName> {
        let mut n = name.base_name();
        loop {
            if self.names.contains(&n) {
                let wild = LowerName::from(Name::from(&n).prepend_label("*").ok()?);
                return self.names.contains(&wild).then_some(wild);
            }
            if n == self.origin || n.num_labels() == 0 {
                return None;
            }
            n = n.base_name();
        }
    }

    fn referral(&self, cut: &LowerName, resp: &mut Message) {
        let Some(ns) = self.rrset(cut, RecordType::NS) else {
            return;
        };
        for r in ns.records_without_rrsigs() {
            resp.add_name_server(r.clone());
            let Some(target) = r.data().as_ns().map(|n| LowerName::from(&n.0)) else {
                continue;
            };
            if !self.origin.zone_of(&target) {
                continue;
            }
            for t in [RecordType::A, RecordType::AAAA] {
                if let Some(glue) = self.rrset(&target, t) {
                    resp.add_additionals(glue.records_without_rrsigs().cloned());
                }
            }
        }
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} RRsets)", self.origin_name, self.records.len())
    }
}

/// An empty response to `query`: same ID, opcode, question, RD and CD; an OPT record when
/// the query had one (RFC 6891 §7: payload 1232, version 0, DO echoed).
pub fn response_to(query: &Message) -> Message {
    let mut resp = Message::new();
    resp.set_id(query.id())
        .set_message_type(MessageType::Response)
        .set_op_code(query.op_code())
        .set_recursion_desired(query.recursion_desired())
        .set_checking_disabled(query.checking_disabled());
    if let Some(q) = query.queries().first() {
        resp.add_query(q.clone());
    }
    if let Some(e) = query.extensions() {
        let mut edns = hickory_proto::op::Edns::new();
        edns.set_max_payload(1232)
            .set_version(0)
            .set_dnssec_ok(e.flags().dnssec_ok);
        resp.set_edns(edns);
    }
    resp
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use hickory_proto::op::Query;
    use std::str::FromStr;

    const ZONE: &str = "$ORIGIN lab.test.
$TTL 300
@    300 IN SOA ns1 hostmaster 7 3600 600 86400 120
@        IN NS  ns1
ns1      IN A   192.0.2.53
www      IN A   192.0.2.10
www      IN A   192.0.2.11
alias    IN CNAME a2
a2       IN CNAME www
out      IN CNAME www.example.com.
loop1    IN CNAME loop2
loop2    IN CNAME loop1
*.wild   IN TXT \"wildcard\"
x.y.ent  IN A   192.0.2.70
sub      IN NS  ns.sub
ns.sub   IN A   192.0.2.80
short 60 IN A   192.0.2.60
";

    fn zone() -> Zone {
        Zone::parse(ZONE, None, None).unwrap()
    }

    fn ask(z: &Zone, name: &str, t: RecordType) -> Message {
        let mut q = Message::new();
        q.add_query(Query::query(Name::from_str(name).unwrap(), t));
        z.answer(&q)
    }

    fn rdata(m: &[Record]) -> Vec<String> {
        m.iter()
            .map(|r| format!("{} {} {} {}", r.name(), r.ttl(), r.record_type(), r.data()))
            .collect()
    }

    #[test]
    fn positive_answer_is_authoritative() {
        let m = ask(&zone(), "www.lab.test.", RecordType::A);
        assert_eq!(m.response_code(), ResponseCode::NoError);
        assert!(m.authoritative());
        assert_eq!(
            rdata(m.answers()),
            [
                "www.lab.test. 300 A 192.0.2.10",
                "www.lab.test. 300 A 192.0.2.11"
            ]
        );
    }

    #[test]
    fn nxdomain_carries_the_soa_with_the_negative_ttl() {
        let m = ask(&zone(), "nope.lab.test.", RecordType::A);
        assert_eq!(m.response_code(), ResponseCode::NXDomain);
        assert!(m.authoritative());
        assert!(m.answers().is_empty());
        let auth = rdata(m.name_servers());
        assert_eq!(auth.len(), 1);
        assert!(auth[0].starts_with("lab.test. 120 SOA"), "{auth:?}");
        let m = ask(&zone(), "lab.test.", RecordType::SOA);
        assert_eq!(m.answers()[0].ttl(), 120);
    }

    #[test]
    fn nodata_and_empty_non_terminals() {
        let m = ask(&zone(), "www.lab.test.", RecordType::MX);
        assert_eq!(m.response_code(), ResponseCode::NoError);
        assert!(m.answers().is_empty());
        assert_eq!(m.name_servers().len(), 1);
        let m = ask(&zone(), "y.ent.lab.test.", RecordType::A);
        assert_eq!(m.response_code(), ResponseCode::NoError, "RFC 8020");
    }

    #[test]
    fn cname_chain_is_followed_into_the_answer() {
        let m = ask(&zone(), "alias.lab.test.", RecordType::A);
        assert_eq!(
            rdata(m.answers()),
            [
                "alias.lab.test. 300 CNAME a2.lab.test.",
                "a2.lab.test. 300 CNAME www.lab.test.",
                "www.lab.test. 300 A 192.0.2.10",
                "www.lab.test. 300 A 192.0.2.11"
            ]
        );
        let m = ask(&zone(), "alias.lab.test.", RecordType::CNAME);
        assert_eq!(m.answers().len(), 1);
        let m = ask(&zone(), "out.lab.test.", RecordType::A);
        assert_eq!(
            m.answers().len(),
            1,
            "out-of-zone target left to the client"
        );
        assert_eq!(m.response_code(), ResponseCode::NoError);
        let m = ask(&zone(), "loop1.lab.test.", RecordType::A);
        assert_eq!(m.answers().len(), MAX_CNAME_CHAIN + 1, "a loop ends");
    }

    #[test]
    fn wildcard_answers_with_the_query_name() {
        let m = ask(&zone(), "anything.wild.lab.test.", RecordType::TXT);
        assert_eq!(
            rdata(m.answers()),
            ["anything.wild.lab.test. 300 TXT wildcard"]
        );
        let m = ask(&zone(), "a.b.wild.lab.test.", RecordType::TXT);
        assert_eq!(m.answers().len(), 1);
        let m = ask(&zone(), "anything.wild.lab.test.", RecordType::A);
        assert_eq!(m.response_code(), ResponseCode::NoError);
        assert!(m.answers().is_empty());
    }

    #[test]
    fn delegation_gives_a_referral_with_glue() {
        let m = ask(&zone(), "host.sub.lab.test.", RecordType::A);
        assert_eq!(m.response_code(), ResponseCode::NoError);
        assert!(!m.authoritative());
        assert!(m.answers().is_empty());
        assert_eq!(
            rdata(m.name_servers()),
            ["sub.lab.test. 300 NS ns.sub.lab.test."]
        );
        assert_eq!(
            rdata(m.additionals()),
            ["ns.sub.lab.test. 300 A 192.0.2.80"]
        );
    }

    #[test]
    fn outside_the_zone_is_refused() {
        let m = ask(&zone(), "www.example.com.", RecordType::A);
        assert_eq!(m.response_code(), ResponseCode::Refused);
        assert!(!m.authoritative());
    }

    /// Any octets as a request: parsed or refused with 400, answered and encoded without a
    /// panic (mutations of real queries, every prefix of them, and random bytes).
    #[test]
    fn arbitrary_requests_never_panic() {
        use crate::query::{build, QueryOptions};
        use crate::server::{request, response};
        let z = zone();
        let mut seeds = Vec::new();
        for (name, t) in [
            ("www.lab.test", RecordType::A),
            ("alias.lab.test", RecordType::A),
            ("x.wild.lab.test", RecordType::TXT),
            ("host.sub.lab.test", RecordType::AAAA),
            ("nope.lab.test", RecordType::ANY),
        ] {
            seeds.push(build(&QueryOptions::new(name, t)).unwrap());
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let run = |b: &[u8]| {
            if let Ok(q) = request::parse_query(b) {
                let pad = response::query_padded(&q);
                let _ = response::finish(z.answer(&q), pad);
            }
        };
        for s in &seeds {
            for n in 0..=s.len() {
                run(&s[..n]);
            }
        }
        for i in 0..5_000u64 {
            let mut b = seeds[(i % seeds.len() as u64) as usize].clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % b.len() as u64) as usize;
                b[at] = next() as u8;
            }
            run(&b);
            let len = (next() % 64) as usize;
            let random: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            run(&random);
        }
    }

    #[test]
    fn a_zone_without_soa_is_an_error() {
        let e = Zone::parse("$ORIGIN a.test.\nwww 300 IN A 192.0.2.1\n", None, None).unwrap_err();
        assert!(e.contains("no SOA"), "{e}");
        let e =
            Zone::parse("@ IN SOA", Some(Name::from_str("a.test.").unwrap()), None).unwrap_err();
        assert!(e.starts_with("zone file:"), "{e}");
    }
}
