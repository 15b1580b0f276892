//! The query flags `doh query`, `doh batch` and `doh encode` share. The record type is
//! positional in each command, so it is not here.

use anyhow::Context as _;
use ietfwg_doh::query::{parse_class, parse_type, Padding, QueryOptions};

/// DNS message options: class, ID, flags, EDNS(0) and RFC 8467 padding.
#[derive(Debug, Clone, clap::Args)]
pub struct QueryFlags {
    /// Query class: IN, CH, HS, NONE, ANY, CLASSnnn or a number.
    #[arg(long, value_name = "CLASS", default_value = "IN")]
    pub class: String,

    /// DNS message ID (RFC 8484 §4.1 asks for 0, which keeps GET responses cacheable).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub id: u16,

    /// Set the DNSSEC OK bit in the OPT record (RFC 3225).
    #[arg(long = "do")]
    pub dnssec_ok: bool,

    /// Set Checking Disabled: ask the resolver not to validate DNSSEC (RFC 4035 §3.2.2).
    #[arg(long)]
    pub cd: bool,

    /// Recursion desired (the default).
    #[arg(long, overrides_with = "no_rd")]
    pub rd: bool,

    /// Clear Recursion Desired: ask a resolver only for what it already knows.
    #[arg(long = "no-rd", overrides_with = "rd")]
    pub no_rd: bool,

    /// Send no OPT record: no EDNS(0), no padding, no DNSSEC OK.
    #[arg(long, conflicts_with_all = ["dnssec_ok", "pad", "no_pad", "udp_size"])]
    pub no_edns: bool,

    /// Pad the query to a multiple of N octets (RFC 8467 block-length padding; default 128).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub pad: Option<u16>,

    /// Send no Padding option.
    #[arg(long, conflicts_with = "pad")]
    pub no_pad: bool,

    /// EDNS requestor UDP payload size (RFC 6891 §6.2.3; below 512 counts as 512).
    #[arg(long, value_name = "OCTETS")]
    pub udp_size: Option<u16>,
}

impl QueryFlags {
    /// The query for `name` and `qtype` (a mnemonic, TYPEnnn or number) with these flags. A
    /// name in Unicode is asked for by its A-labels (IDNA 2008, [`ietfwg_doh::idn`]).
    pub fn options(&self, name: &str, qtype: &str) -> anyhow::Result<QueryOptions> {
        let qtype = parse_type(qtype).context("record type")?;
        let name = ietfwg_doh::idn::to_ascii(name)?;
        let mut o = QueryOptions::new(&name, qtype);
        o.qclass = parse_class(&self.class).context("--class")?;
        o.id = self.id;
        o.dnssec_ok = self.dnssec_ok;
        o.checking_disabled = self.cd;
        o.recursion_desired = !self.no_rd;
        o.edns = !self.no_edns;
        if let Some(size) = self.udp_size {
            o.udp_payload_size = size;
        }
        o.padding = if self.no_pad || self.no_edns {
            Padding::None
        } else {
            Padding::Block(self.pad.unwrap_or(128))
        };
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        f: QueryFlags,
    }

    fn parse(args: &[&str]) -> Result<QueryFlags, clap::Error> {
        let mut v = vec!["t"];
        v.extend_from_slice(args);
        T::try_parse_from(v).map(|t| t.f)
    }

    #[test]
    fn defaults() {
        let o = parse(&[]).unwrap().options("example.com", "aaaa").unwrap();
        assert_eq!(o.id, 0);
        assert!(o.recursion_desired && o.edns && !o.dnssec_ok && !o.checking_disabled);
        assert_eq!(o.padding, Padding::Block(128));
        assert_eq!(o.udp_payload_size, 1232);
        assert_eq!(u16::from(o.qtype), 28);
    }

    #[test]
    fn unicode_names_go_out_as_a_labels() {
        let o = parse(&[]).unwrap().options("Bücher.example.", "A").unwrap();
        assert_eq!(o.name, "xn--bcher-kva.example.");
        let wire = ietfwg_doh::query::build(&o).unwrap();
        assert!(
            wire.windows(14).any(|w| w == b"\x0dxn--bcher-kva"),
            "the A-label is on the wire"
        );
    }

    #[test]
    fn flags() {
        let f = parse(&[
            "--do",
            "--cd",
            "--no-rd",
            "--pad",
            "468",
            "--udp-size",
            "4096",
            "--id",
            "7",
            "--class",
            "CH",
        ])
        .unwrap();
        let o = f.options("version.bind", "TXT").unwrap();
        assert!(o.dnssec_ok && o.checking_disabled && !o.recursion_desired);
        assert_eq!(o.padding, Padding::Block(468));
        assert_eq!(
            (o.udp_payload_size, o.id, u16::from(o.qclass)),
            (4096, 7, 3)
        );
        let o = parse(&["--no-rd", "--rd"])
            .unwrap()
            .options("a", "A")
            .unwrap();
        assert!(o.recursion_desired, "the last of --rd/--no-rd wins");
        let o = parse(&["--no-pad"]).unwrap().options("a", "A").unwrap();
        assert_eq!(o.padding, Padding::None);
        let o = parse(&["--no-edns"]).unwrap().options("a", "A").unwrap();
        assert!(!o.edns);
        assert_eq!(o.padding, Padding::None);
    }

    #[test]
    fn conflicts_and_errors() {
        assert!(parse(&["--no-edns", "--do"]).is_err());
        assert!(parse(&["--no-pad", "--pad", "64"]).is_err());
        assert!(parse(&["--pad", "0"]).is_err());
        let e = parse(&[]).unwrap().options("a", "BOGUS").unwrap_err();
        assert!(
            format!("{e:#}").contains("unknown record type \"BOGUS\""),
            "{e:#}"
        );
        let e = parse(&[])
            .unwrap()
            .options("xn--a.example", "A")
            .unwrap_err();
        assert_eq!(
            format!("{e:#}"),
            "query name \"xn--a.example\": label 1 \"xn--a\" is not a valid A-label: its \
             Punycode does not decode to a U-label IDNA 2008 allows (RFC 5891 §5.4)"
        );
        let e = parse(&["--class", "XX"])
            .unwrap()
            .options("a", "A")
            .unwrap_err();
        assert!(
            format!("{e:#}").starts_with("--class: unknown class"),
            "{e:#}"
        );
    }
}
