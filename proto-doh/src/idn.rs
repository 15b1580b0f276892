//! Internationalised domain names (IDNA 2008, RFC 5890–5893, with the UTS #46 mapping that
//! kdig's `+idn` and browsers apply): a name given in Unicode (`bücher.example`) goes on the
//! wire as A-labels (`xn--bcher-kva.example`), and A-labels read back from the wire are shown
//! as U-labels where they are valid.
//!
//! The conversions are the `idna` crate's (`Uts46`, nontransitional processing, as IDNA 2008
//! wants); this module only decides which labels to touch, so that plain ASCII labels keep
//! their case and their underscores (`_dmarc`, `_443._tcp`) as DNS allows, and turns the
//! crate's opaque error into one that names the label and code point at fault.

use std::borrow::Cow;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

use crate::answer::Answer;
use crate::{Error, Result};

/// The ACE prefix of an A-label (RFC 5890 §2.3.2.1).
const ACE: &str = "xn--";

fn is_a_label(label: &str) -> bool {
    label.len() >= ACE.len() && label[..ACE.len()].eq_ignore_ascii_case(ACE)
}

/// Does the name hold anything IDNA has a say on: a non-ASCII character or an A-label?
fn is_idn(name: &str) -> bool {
    !name.is_ascii() || name.split('.').any(is_a_label)
}

/// The options of both directions: no ASCII deny list (DNS names may hold `_`), hyphens as
/// RFC 5891 §4.2.3.1 has them only for U-labels (the crate checks the `--` in positions 3–4
/// of a non-ACE label when asked; real names with them exist, so it is not asked), and lengths
/// left to [`crate::query::parse_name`], which states them in RFC 1035's words.
fn uts46() -> Uts46 {
    Uts46::new()
}

/// The name as it goes on the wire: Unicode labels become A-labels; plain ASCII labels are
/// left exactly as given. A name IDNA 2008 / UTS #46 refuses is an [`Error::Name`] that says
/// which label, and which code point where one is to blame.
pub fn to_ascii(name: &str) -> Result<Cow<'_, str>> {
    if !is_idn(name) {
        return Ok(Cow::Borrowed(name));
    }
    let converted = uts46()
        .to_ascii(
            name.as_bytes(),
            AsciiDenyList::EMPTY,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .map_err(|_| Error::Name {
            name: name.to_string(),
            reason: why_not(name),
        })?;
    // UTS #46 lowercases every label; keep the ASCII labels as they were given (DNS is case
    // preserving), unless the mapping changed the label count (a U+3002 ideographic full
    // stop is a separator too), when the converted name is taken whole.
    let given: Vec<&str> = name.split('.').collect();
    let out: Vec<&str> = converted.split('.').collect();
    if given.len() != out.len() {
        return Ok(Cow::Owned(converted.into_owned()));
    }
    let labels: Vec<&str> = given
        .iter()
        .zip(&out)
        .map(|(g, o)| if is_idn(g) { *o } else { *g })
        .collect();
    Ok(Cow::Owned(labels.join(".")))
}

/// The name with its A-labels shown as U-labels (`xn--bcher-kva.example.` →
/// `bücher.example.`), or `None` when it holds no A-label, or one that does not decode to a
/// valid U-label (then the name is best shown as sent, as kdig does).
pub fn to_unicode(name: &str) -> Option<String> {
    if !name.split('.').any(is_a_label) {
        return None;
    }
    let (converted, result) =
        uts46().to_unicode(name.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow);
    result.ok()?;
    let given: Vec<&str> = name.split('.').collect();
    let out: Vec<&str> = converted.split('.').collect();
    if given.len() != out.len() {
        return None;
    }
    let shown: Vec<&str> = given
        .iter()
        .zip(&out)
        .map(|(g, o)| if is_a_label(g) { *o } else { *g })
        .collect();
    let shown = shown.join(".");
    (shown != name).then_some(shown)
}

/// The answer as kdig `+idn` shows it: question names, owner names and the names in RDATA
/// (CNAME, NS, MX, SOA, SRV… targets: the fields that are fully qualified names, ending in a
/// dot) with their A-labels as U-labels where they decode. Borrowed when nothing changes.
pub fn unicode_answer(a: &Answer) -> Cow<'_, Answer> {
    let has_a_label = |n: &str| n.split(['.', ' ']).any(is_a_label);
    let any = a.question.iter().any(|q| has_a_label(&q.name))
        || [&a.answer, &a.authority, &a.additional].iter().any(|s| {
            s.iter()
                .any(|r| has_a_label(&r.name) || has_a_label(&r.data))
        });
    if !any {
        return Cow::Borrowed(a);
    }
    let mut u = a.clone();
    for q in &mut u.question {
        if let Some(n) = to_unicode(&q.name) {
            q.name = n;
        }
    }
    for r in u
        .answer
        .iter_mut()
        .chain(u.authority.iter_mut())
        .chain(u.additional.iter_mut())
    {
        if let Some(n) = to_unicode(&r.name) {
            r.name = n;
        }
        if has_a_label(&r.data) {
            r.data = unicode_rdata(&r.data);
        }
    }
    Cow::Owned(u)
}

/// The presentation RDATA with each field that is a fully qualified name (ends in a dot,
/// unquoted) shown in Unicode where it holds valid A-labels; other fields as they are.
fn unicode_rdata(data: &str) -> String {
    data.split(' ')
        .map(|f| match f.ends_with('.') && !f.starts_with('"') {
            true => to_unicode(f).map_or(Cow::Borrowed(f), Cow::Owned),
            false => Cow::Borrowed(f),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why UTS #46 refused `name`: the first label that fails alone and, inside it, the first
/// code point that is disallowed on its own; else what the label breaks as a whole.
fn why_not(name: &str) -> String {
    let u = uts46();
    let ok = |s: &str| {
        u.to_ascii(
            s.as_bytes(),
            AsciiDenyList::EMPTY,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .is_ok()
    };
    for (i, label) in name
        .split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'])
        .enumerate()
    {
        if ok(label) {
            continue;
        }
        let n = i + 1;
        if is_a_label(label) {
            return format!(
                "label {n} {label:?} is not a valid A-label: its Punycode does not decode to a \
                 U-label IDNA 2008 allows (RFC 5891 §5.4)"
            );
        }
        for (j, c) in label.chars().enumerate() {
            if ok(&c.to_string()) {
                continue;
            }
            let code = c as u32;
            if matches!(c, '\u{200c}' | '\u{200d}') {
                return format!(
                    "label {n} {label:?}: U+{code:04X} (a zero width joiner or non-joiner) is \
                     allowed only where RFC 5892 Appendix A.1/A.2 says (after a virama)"
                );
            }
            if ok(&format!("a{c}")) {
                if j == 0 {
                    return format!(
                        "label {n} {label:?} begins with the combining mark U+{code:04X} \
                         (RFC 5891 §5.4)"
                    );
                }
                continue;
            }
            return format!(
                "label {n} {label:?}: U+{code:04X} {c:?} is disallowed in IDNA 2008 / UTS #46 \
                 (RFC 5892)"
            );
        }
        return format!(
            "label {n} {label:?} breaks IDNA 2008's contextual rules for joiners or the \
             Bidi rule (RFC 5892 Appendix A, RFC 5893)"
        );
    }
    "the whole name breaks the Bidi rule across its labels (RFC 5893 §2)".into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn unicode_to_a_labels() {
        assert_eq!(to_ascii("bücher.example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(
            to_ascii("bücher.example.").unwrap(),
            "xn--bcher-kva.example."
        );
        // UTS #46 mapping: upper case folded in the IDN label, U+3002 as a dot.
        assert_eq!(
            to_ascii("BÜCHER。example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(to_ascii("例え.テスト").unwrap(), "xn--r8jz45g.xn--zckzah");
        // Nontransitional (IDNA 2008): ß and ς are kept, not mapped to ss and σ.
        assert_eq!(to_ascii("faß.de").unwrap(), "xn--fa-hia.de");
    }

    #[test]
    fn ascii_names_untouched() {
        for n in [
            ".",
            "Example.COM",
            "_dmarc.example",
            "_443._tcp.www.example.",
            "a\\.b.c",
        ] {
            assert!(
                matches!(to_ascii(n).unwrap(), Cow::Borrowed(s) if s == n),
                "{n}"
            );
        }
        // The ASCII labels around an IDN label keep their case.
        assert_eq!(
            to_ascii("WWW.bücher.Example").unwrap(),
            "WWW.xn--bcher-kva.Example"
        );
        // A valid A-label given as such goes out as given.
        assert_eq!(
            to_ascii("xn--bcher-kva.example").unwrap(),
            "xn--bcher-kva.example"
        );
    }

    #[test]
    fn invalid_names_refused() {
        let reason = |n: &str| match to_ascii(n).unwrap_err() {
            Error::Name { name, reason } => {
                assert_eq!(name, n);
                reason
            }
            e => panic!("{e:?}"),
        };
        // A private-use code point.
        let r = reason("a\u{e000}b.example");
        assert_eq!(
            r,
            "label 1 \"a\\u{e000}b\": U+E000 '\\u{e000}' is disallowed in IDNA 2008 / UTS #46 (RFC 5892)"
        );
        let r = reason("xn--a.example");
        assert!(
            r.contains("label 1 \"xn--a\" is not a valid A-label"),
            "{r}"
        );
        let r = reason("www.\u{0301}abc.example");
        assert!(r.starts_with("label 2 "), "{r}");
        assert!(r.contains("combining mark"), "{r}");
        // ZERO WIDTH JOINER outside the context RFC 5892 A.2 allows it in.
        let r = reason("a\u{200d}b.example");
        assert!(r.starts_with("label 1 ") && r.contains("U+200D"), "{r}");
        // Hebrew followed by a European digit at the start: RFC 5893 rule 1.
        let r = reason("1\u{05d0}.example");
        assert!(r.starts_with("label 1 "), "{r}");
    }

    #[test]
    fn rdata_names_to_unicode() {
        assert_eq!(unicode_rdata("xn--bcher-kva.example."), "bücher.example.");
        assert_eq!(
            unicode_rdata("10 mail.xn--bcher-kva.example."),
            "10 mail.bücher.example."
        );
        // Text is text, even when it looks like a name; invalid A-labels stay as sent.
        assert_eq!(unicode_rdata("\"xn--bcher-kva.\""), "\"xn--bcher-kva.\"");
        assert_eq!(unicode_rdata("xn--a.example."), "xn--a.example.");
    }

    #[test]
    fn a_labels_to_unicode() {
        assert_eq!(
            to_unicode("xn--bcher-kva.example.").as_deref(),
            Some("bücher.example.")
        );
        assert_eq!(
            to_unicode("WWW.XN--BCHER-KVA.Example").as_deref(),
            Some("WWW.bücher.Example")
        );
        assert_eq!(to_unicode("www.example."), None, "no A-label");
        assert_eq!(
            to_unicode("xn--a.example."),
            None,
            "invalid A-label: as sent"
        );
        assert_eq!(to_unicode("xn--.example."), None);
        // Round trip.
        for n in ["bücher.example.", "例え.テスト.", "faß.de."] {
            assert_eq!(to_unicode(&to_ascii(n).unwrap()).as_deref(), Some(n));
        }
    }
}
