//! `ietfwg doh decode`: one DNS message on stdin — raw, hex or base64url (a GET request's `dns`
//! variable), auto-detected or told — printed like dig, as `--short` data, or as one JSON object.

use std::io::{Read as _, Write as _};

use anyhow::Context as _;
use ietfwg_doh::answer::Answer;
use ietfwg_doh::input::{decode_input, InputFormat};

use super::render;
use crate::output::Output;
use crate::Status;

/// How the message on stdin is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecodeFormat {
    /// hex if only hex digits and whitespace, base64url if printable text, else raw octets.
    Auto,
    /// The message octets.
    Binary,
    /// Hex digits, whitespace allowed between them.
    Hex,
    /// base64url without padding (RFC 8484 §6).
    Base64url,
}

#[derive(Debug, clap::Args)]
pub struct DecodeArgs {
    /// How stdin is encoded.
    #[arg(long, value_enum, default_value_t = DecodeFormat::Auto)]
    pub format: DecodeFormat,

    /// One JSON object (the answer model) instead of text.
    #[arg(long, conflicts_with = "short")]
    pub json: bool,

    /// Only the data of the answer records, one per line.
    #[arg(long)]
    pub short: bool,
}

/// `doh decode --json` (`docs/json.md`, `docs/schema/doh-decode.json`): the message's keys, as
/// `doh query --json` gives them.
#[derive(serde::Serialize)]
struct Message<'a> {
    /// Always `message`.
    record: &'static str,
    #[serde(flatten)]
    answer: &'a ietfwg_doh::answer::Answer,
}

/// More than any encoding of a 65535-octet message needs (hex with whitespace is about 3×).
const INPUT_LIMIT: u64 = 1 << 20;

pub fn run(args: DecodeArgs, mut out: Output) -> anyhow::Result<Status> {
    let mut raw = Vec::new();
    crate::hints::text_stdin("one DNS message");
    std::io::stdin()
        .lock()
        .take(INPUT_LIMIT + 1)
        .read_to_end(&mut raw)
        .context("reading stdin")?;
    if raw.len() as u64 > INPUT_LIMIT {
        anyhow::bail!("stdin holds more than {INPUT_LIMIT} octets: not one DNS message");
    }
    let format = match args.format {
        DecodeFormat::Auto => InputFormat::Auto,
        DecodeFormat::Binary => InputFormat::Binary,
        DecodeFormat::Hex => InputFormat::Hex,
        DecodeFormat::Base64url => InputFormat::Base64url,
    };
    let bytes = decode_input(&raw, format)?;
    let answer = Answer::from_wire(&bytes)?;
    if args.json {
        out.set_json();
        out.json(&Message {
            record: "message",
            answer: &answer,
        })?;
    } else if args.short {
        out.write_all(render::short(&answer).as_bytes())?;
    } else {
        let color = out.color;
        write!(out, "{}", render::text(&answer, color))?;
        writeln!(out, "\n;; MSG SIZE: {}", answer.size)?;
    }
    out.flush()?;
    Ok(if answer.is_noerror() {
        Status::Ok
    } else {
        Status::Findings
    })
}
