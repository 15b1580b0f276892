//! An answer as dig shows it (header, OPT pseudosection, sections with tab-separated columns),
//! or just the answer data (`--short`). JSON output is the [`Answer`] itself, serialised.

use std::fmt::Write as _;

use colored::Colorize;
use ietfwg_doh::answer::{Answer, Record};

/// Styles a piece of text only when colour is on.
struct Paint(bool);

impl Paint {
    fn bold(&self, s: &str) -> String {
        if self.0 {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }
    fn status(&self, s: &str, ok: bool) -> String {
        match (self.0, ok) {
            (false, _) => s.to_string(),
            (true, true) => s.green().bold().to_string(),
            (true, false) => s.red().bold().to_string(),
        }
    }
    fn rtype(&self, s: &str) -> String {
        if self.0 {
            s.cyan().to_string()
        } else {
            s.to_string()
        }
    }
    fn dim(&self, s: &str) -> String {
        if self.0 {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }
}

/// dig-like text of an answer, ending with a newline.
pub fn text(a: &Answer, color: bool) -> String {
    let p = Paint(color);
    let mut s = String::new();
    let _ = writeln!(
        s,
        ";; ->>HEADER<<- opcode: {}, status: {}, id: {}",
        a.opcode,
        p.status(&a.rcode, a.is_noerror()),
        a.id
    );
    let f = &a.flags;
    let flags: Vec<&str> = [
        (f.qr, "qr"),
        (f.aa, "aa"),
        (f.tc, "tc"),
        (f.rd, "rd"),
        (f.ra, "ra"),
        (f.ad, "ad"),
        (f.cd, "cd"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, n)| *n)
    .collect();
    // dig counts the OPT record in ADDITIONAL, as the header's ARCOUNT does.
    let _ = writeln!(
        s,
        ";; flags: {}; QUERY: {}, ANSWER: {}, AUTHORITY: {}, ADDITIONAL: {}",
        flags.join(" "),
        a.question.len(),
        a.answer.len(),
        a.authority.len(),
        a.additional.len() + usize::from(a.edns.is_some())
    );
    if let Some(c) = &a.comment {
        let _ = writeln!(s, ";; comment: {c}");
    }
    if let Some(e) = &a.edns {
        let _ = writeln!(s, "\n{}", p.bold(";; OPT PSEUDOSECTION:"));
        let _ = writeln!(
            s,
            "; EDNS: version: {}, flags:{}; udp: {}",
            e.version,
            if e.dnssec_ok { " do" } else { "" },
            e.udp_payload_size
        );
        if e.z != 0 {
            let _ = writeln!(s, "; MBZ: 0x{:04x}", e.z);
        }
        for o in &e.options {
            let _ = match (&o.text, o.code) {
                // Padding is zeros: its length is what matters.
                (Some(t), 12) => writeln!(s, "; {}: {t}", o.name),
                (Some(t), _) if o.data.is_empty() => writeln!(s, "; {}: {t}", o.name),
                (Some(t), _) => {
                    writeln!(s, "; {}: {t} {}", o.name, p.dim(&format!("({})", o.data)))
                }
                (None, _) if o.data.is_empty() => writeln!(s, "; {}: (empty)", o.name),
                (None, _) => writeln!(s, "; {}: {}", o.name, o.data),
            };
        }
    }
    if !a.question.is_empty() {
        let _ = writeln!(s, "\n{}", p.bold(";; QUESTION SECTION:"));
        for q in &a.question {
            let _ = writeln!(s, ";{}\t\t{}\t{}", q.name, q.qclass, p.rtype(&q.qtype));
        }
    }
    let mut section = |title: &str, records: &[Record]| {
        if records.is_empty() {
            return;
        }
        let _ = writeln!(s, "\n{}", p.bold(title));
        for r in records {
            let _ = writeln!(
                s,
                "{}\t{}\t{}\t{}\t{}",
                r.name,
                r.ttl,
                r.class,
                p.rtype(&r.rtype),
                r.data
            );
        }
    };
    section(";; ANSWER SECTION:", &a.answer);
    section(";; AUTHORITY SECTION:", &a.authority);
    section(";; ADDITIONAL SECTION:", &a.additional);
    s
}

/// The data of each answer record, one per line (like `dig +short`).
pub fn short(a: &Answer) -> String {
    let mut s = String::new();
    for r in &a.answer {
        s.push_str(&r.data);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// RFC 8484 §4.2.2's example response: www.example.com AAAA 2001:db8:abcd:12:1:2:3:4, TTL 3709.
    const RFC8484_RESPONSE: &str = "00008180000100010000000003777777076578616d706c6503636f6d00001c0001c00c001c000100000e7d001020010db8abcd00120001000200030004";

    #[test]
    fn dig_like() {
        let a = Answer::from_wire(&hex::decode(RFC8484_RESPONSE).unwrap()).unwrap();
        let t = text(&a, false);
        assert_eq!(
            t,
            ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 0\n\
             ;; flags: qr rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0\n\
             \n;; QUESTION SECTION:\n\
             ;www.example.com.\t\tIN\tAAAA\n\
             \n;; ANSWER SECTION:\n\
             www.example.com.\t3709\tIN\tAAAA\t2001:db8:abcd:12:1:2:3:4\n"
        );
        assert_eq!(short(&a), "2001:db8:abcd:12:1:2:3:4\n");
        // `colored` follows the process-wide decision Output makes; the test makes it here.
        colored::control::set_override(true);
        let c = text(&a, true);
        assert!(c.contains("\u{1b}["), "colour codes when asked");
        assert_eq!(
            text(&a, false),
            t,
            "no colour when not asked, whatever `colored` thinks"
        );
    }

    #[test]
    fn opt_pseudosection() {
        let mut o =
            ietfwg_doh::query::QueryOptions::new("example.com", hickory_proto::rr::RecordType::A);
        o.dnssec_ok = true;
        let a = Answer::from_wire(&ietfwg_doh::query::build(&o).unwrap()).unwrap();
        let t = text(&a, false);
        assert!(
            t.contains(";; flags: rd; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1\n"),
            "{t}"
        );
        assert!(t.contains("\n;; OPT PSEUDOSECTION:\n; EDNS: version: 0, flags: do; udp: 1232\n; PADDING: 84 octets\n"), "{t}");
        assert!(!t.contains("ANSWER SECTION"), "{t}");
        assert_eq!(short(&a), "");
    }
}
