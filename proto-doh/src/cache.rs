//! RFC 8484 §5.1: the HTTP freshness lifetime of a DoH response (Cache-Control, RFC 9111 §5.2.2,
//! minus Age, RFC 9111 §5.1) must not exceed the smallest TTL of the answer section (or, for a
//! negative answer, the SOA's MINIMUM, RFC 2308).

use serde::Serialize;

use crate::answer::Answer;

/// The caching facts of one response and the §5.1 verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Freshness {
    pub max_age: Option<u64>,
    pub s_maxage: Option<u64>,
    pub age: Option<u64>,
    pub no_store: bool,
    pub no_cache: bool,
    pub private: bool,
    /// (s-maxage or max-age) − Age, saturating at 0; None without a freshness directive.
    pub lifetime: Option<u64>,
    /// [`Answer::min_ttl`].
    pub min_ttl: Option<u32>,
    /// lifetime > min_ttl: an RFC 8484 §5.1 finding (never set with no-store or no-cache,
    /// which forbid serving the stored response without revalidation).
    pub exceeds: bool,
}

/// A delta-seconds value (RFC 9111 §1.2.2): digits only; larger than u64 saturates.
fn delta_seconds(v: &str) -> Option<u64> {
    let v = v.trim().trim_matches('"').trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(v.parse::<u64>().unwrap_or(u64::MAX))
}

/// Reads Cache-Control (several header lines joined with ", ") and Age.
pub fn freshness(cache_control: Option<&str>, age: Option<&str>, answer: &Answer) -> Freshness {
    let mut f = Freshness {
        max_age: None,
        s_maxage: None,
        age: age.and_then(delta_seconds),
        no_store: false,
        no_cache: false,
        private: false,
        lifetime: None,
        min_ttl: answer.min_ttl(),
        exceeds: false,
    };
    // RFC 9111 §5.2: directives are comma-separated `token[=value]`, value a token or a quoted
    // string; names are case-insensitive. A directive whose value is not delta-seconds is ignored.
    for directive in cache_control.unwrap_or("").split(',') {
        let (name, value) = match directive.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (directive, None),
        };
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "max-age" => {
                if let Some(v) = value.and_then(delta_seconds) {
                    // RFC 9111 §4.2.1: with duplicates, the first one counts.
                    f.max_age.get_or_insert(v);
                }
            }
            "s-maxage" => {
                if let Some(v) = value.and_then(delta_seconds) {
                    f.s_maxage.get_or_insert(v);
                }
            }
            "no-store" => f.no_store = true,
            "no-cache" => f.no_cache = true,
            "private" => f.private = true,
            _ => {}
        }
    }
    f.lifetime = f
        .s_maxage
        .or(f.max_age)
        .map(|l| l.saturating_sub(f.age.unwrap_or(0)));
    f.exceeds = !f.no_store
        && !f.no_cache
        && matches!((f.lifetime, f.min_ttl), (Some(l), Some(t)) if l > u64::from(t));
    f
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::answer::{Flags, Record};

    fn answer(ttls: &[u32], soa: Option<(u32, u32)>) -> Answer {
        let rec = |ttl, rtype: &str, data: String| Record {
            name: "example.test.".into(),
            ttl,
            class: "IN".into(),
            rtype: rtype.into(),
            data,
            fields: None,
        };
        Answer {
            id: 0,
            opcode: "QUERY".into(),
            rcode: "NOERROR".into(),
            rcode_value: 0,
            flags: Flags::default(),
            question: vec![],
            answer: ttls
                .iter()
                .map(|t| rec(*t, "A", "192.0.2.1".into()))
                .collect(),
            authority: soa
                .map(|(ttl, min)| {
                    vec![rec(
                        ttl,
                        "SOA",
                        format!(
                            "ns.example.test. hostmaster.example.test. 1 3600 900 604800 {min}"
                        ),
                    )]
                })
                .unwrap_or_default(),
            additional: vec![],
            edns: None,
            size: 0,
            comment: None,
        }
    }

    #[test]
    fn bind_style_max_age() {
        let f = freshness(Some("max-age=300"), None, &answer(&[300], None));
        assert_eq!(f.max_age, Some(300));
        assert_eq!(f.lifetime, Some(300));
        assert_eq!(f.min_ttl, Some(300));
        assert!(!f.exceeds);
    }

    #[test]
    fn rfc8484_example_ttls_30_600_300() {
        let a = answer(&[30, 600, 300], None);
        assert!(!freshness(Some("max-age=30"), None, &a).exceeds);
        let f = freshness(Some("max-age=300"), None, &a);
        assert!(f.exceeds);
        assert_eq!(f.min_ttl, Some(30));
    }

    #[test]
    fn age_is_subtracted() {
        // RFC 8484 §5.1's example: TTL 600 seen through a cache that held it 250 s.
        let f = freshness(Some("max-age=600"), Some("250"), &answer(&[350], None));
        assert_eq!(f.lifetime, Some(350));
        assert!(!f.exceeds);
        let f = freshness(Some("max-age=100"), Some("250"), &answer(&[10], None));
        assert_eq!(f.lifetime, Some(0));
        assert!(!f.exceeds);
        let f = freshness(Some("max-age=100"), Some("junk"), &answer(&[10], None));
        assert_eq!(f.age, None);
        assert!(f.exceeds);
    }

    #[test]
    fn tolerant_parsing() {
        let a = answer(&[60], None);
        let f = freshness(
            Some(" Public ,MAX-AGE = \"120\" , S-MaxAge=90,no-cache=\"Set-Cookie\", private"),
            Some(" 5 "),
            &a,
        );
        assert_eq!(f.max_age, Some(120));
        assert_eq!(f.s_maxage, Some(90));
        assert_eq!(f.age, Some(5));
        assert_eq!(f.lifetime, Some(85));
        assert!(f.no_cache && f.private && !f.no_store);
        assert!(!f.exceeds, "no-cache responses are revalidated");
        let f = freshness(Some("max-age=abc, max-age=30, max-age=9999"), None, &a);
        assert_eq!(f.max_age, Some(30));
        let f = freshness(Some("no-store, max-age=3600"), None, &a);
        assert!(f.no_store && !f.exceeds);
        let f = freshness(Some("max-age=99999999999999999999999"), None, &a);
        assert_eq!(f.max_age, Some(u64::MAX));
        assert!(f.exceeds);
    }

    #[test]
    fn no_header_no_lifetime() {
        let f = freshness(None, None, &answer(&[60], None));
        assert_eq!(f.lifetime, None);
        assert!(!f.exceeds);
        let f = freshness(Some(""), None, &answer(&[], None));
        assert_eq!((f.lifetime, f.min_ttl), (None, None));
    }

    #[test]
    fn negative_answers_use_the_soa() {
        // RFC 2308 §5: min(SOA TTL, MINIMUM).
        let a = answer(&[], Some((3600, 300)));
        assert_eq!(a.min_ttl(), Some(300));
        assert!(freshness(Some("max-age=301"), None, &a).exceeds);
        assert!(!freshness(Some("max-age=300"), None, &a).exceeds);
        let a = answer(&[], Some((60, 300)));
        assert_eq!(a.min_ttl(), Some(60));
    }
}
