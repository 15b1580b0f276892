//! `ietfwg doh encode`: the DNS query a DoH client sends (RFC 8484 §4.1), as base64url (the GET
//! `dns` variable), hex, raw bytes (a POST body) or the whole GET URL — for curl pipelines.

use std::io::Write as _;

use ietfwg_doh::{query, wire};

use super::flags::QueryFlags;
use crate::output::Output;
use crate::Status;

/// How `encode` writes the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EncodeFormat {
    /// base64url without padding: the value of `?dns=` (RFC 8484 §6).
    Base64url,
    /// Lowercase hex.
    Hex,
    /// The message octets: a POST body (`curl --data-binary @-`).
    Raw,
    /// The full GET URL: the server URL with `?dns=…`.
    Url,
}

#[derive(Debug, clap::Args)]
pub struct EncodeArgs {
    /// The name to ask about ("." is the root).
    pub name: String,

    /// Record type: a mnemonic (A, AAAA, TXT, HTTPS…), TYPEnnn or a number.
    #[arg(value_name = "TYPE", default_value = "A")]
    pub qtype: String,

    /// The DoH server URL, for --format url.
    #[arg(
        long,
        value_name = "URL",
        env = "IETFWG_DOH_SERVER",
        default_value = "https://cloudflare-dns.com/dns-query"
    )]
    pub server: String,

    /// Output form.
    #[arg(long, value_enum, default_value_t = EncodeFormat::Base64url)]
    pub format: EncodeFormat,

    #[command(flatten)]
    pub flags: QueryFlags,
}

pub fn run(args: EncodeArgs, mut out: Output) -> anyhow::Result<Status> {
    let opts = args.flags.options(&args.name, &args.qtype)?;
    let bytes = query::build(&opts)?;
    match args.format {
        EncodeFormat::Base64url => writeln!(out, "{}", wire::base64url(&bytes))?,
        EncodeFormat::Hex => writeln!(out, "{}", hex::encode(&bytes))?,
        EncodeFormat::Url => writeln!(out, "{}", wire::get_url(&args.server, &bytes))?,
        EncodeFormat::Raw => {
            if out.stdout_tty {
                anyhow::bail!(
                    "refusing to write {} raw octets to a terminal: pipe them (… | curl --data-binary @- …, … | xxd) or use --format hex",
                    bytes.len()
                );
            }
            out.write_all(&bytes)?;
        }
    }
    out.flush()?;
    Ok(Status::Ok)
}
