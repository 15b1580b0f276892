//! `ietfwg doh check URL`: RFC 8484 conformance of a DoH server, one line per clause (or one
//! JSON object per clause with `--json`); exit 1 when a clause FAILs. With `--http3` the same
//! clauses run over HTTP/3 (the `http2` clause is N/A, and says why).

use std::borrow::Cow;
use std::io::Write as _;

use colored::Colorize;
use ietfwg_doh::conformance::{self, Clause, Names, Verdict};

use super::conn::{self, ConnArgs};
use crate::json::Problem;
use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The server's DoH URL: https://HOST[:PORT]/PATH (http:// for cleartext).
    pub url: String,

    /// A name with an A record, for the positive answers.
    #[arg(long, default_value = "example.com")]
    pub name: String,

    /// A name that does not exist, for the negative answer (default: a random label next to
    /// --name).
    #[arg(long, value_name = "NAME")]
    pub nxdomain: Option<String>,

    /// A name whose TXT answer is over 512 octets (default: the answer to --name is judged,
    /// N/A when small).
    #[arg(long, value_name = "NAME")]
    pub big: Option<String>,

    /// One JSON object per clause.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub conn: ConnArgs,
}

pub fn run(mut a: CheckArgs, mut out: Output) -> anyhow::Result<Status> {
    if a.json {
        out.set_json();
    }
    a.conn.server = Some(a.url.clone());
    let cfg = conn::client_config(&a.conn, false)?;
    let names = Names {
        nxdomain: a.nxdomain.clone().unwrap_or_else(|| nx_name(&a.name)),
        name: a.name.clone(),
        big: a.big.clone(),
    };
    let rt = conn::runtime(1)?;
    let clauses = rt
        .block_on(conformance::run(cfg, &names))
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot check {}", a.url)))?;
    for c in &clauses {
        if a.json {
            out.json(&ClauseRecord::new(c))?;
        } else {
            line(&mut out, c)?;
        }
    }
    out.flush()?;
    let count = |v: Verdict| clauses.iter().filter(|c| c.verdict == v).count();
    eprintln!(
        "{} clauses: {} PASS, {} FAIL, {} WARN, {} N/A",
        clauses.len(),
        count(Verdict::Pass),
        count(Verdict::Fail),
        count(Verdict::Warn),
        count(Verdict::NotApplicable)
    );
    Ok(if count(Verdict::Fail) > 0 {
        Status::Findings
    } else {
        Status::Ok
    })
}

/// `doh check --json`: one clause (`docs/json.md`). A FAIL is the record's `error` (the closing
/// line counts it, and it makes the exit status 1); a WARN is its one warning.
#[derive(serde::Serialize)]
struct ClauseRecord<'a> {
    record: &'static str,
    #[serde(flatten)]
    clause: &'a Clause,
    error: Option<Problem>,
    warnings: Vec<Problem>,
}

impl<'a> ClauseRecord<'a> {
    fn new(c: &'a Clause) -> Self {
        let problem = || {
            let mut message = format!("{}: sent {} → {}", c.clause.name(), c.sent, c.received);
            if !c.note.is_empty() {
                message.push_str(" — ");
                message.push_str(&c.note);
            }
            Problem {
                layer: Cow::Borrowed("conformance"),
                field: Some(Cow::Borrowed(c.clause.name())),
                offset: None,
                message,
                rfc: Some(Cow::Borrowed(c.rfc)),
            }
        };
        ClauseRecord {
            record: "clause",
            clause: c,
            error: (c.verdict == Verdict::Fail).then(problem),
            warnings: (c.verdict == Verdict::Warn)
                .then(problem)
                .into_iter()
                .collect(),
        }
    }
}

fn line(out: &mut Output, c: &Clause) -> anyhow::Result<()> {
    let v = format!("{:<4}", c.verdict.to_string());
    let v = if out.color {
        match c.verdict {
            Verdict::Pass => v.green().to_string(),
            Verdict::Fail => v.red().bold().to_string(),
            Verdict::Warn => v.yellow().to_string(),
            Verdict::NotApplicable => v.dimmed().to_string(),
        }
    } else {
        v
    };
    let note = if c.note.is_empty() {
        String::new()
    } else {
        format!("  — {}", c.note)
    };
    writeln!(
        out,
        "{v}  {:<22}  {:<32}  {} → {}{note}",
        c.clause.name(),
        c.rfc,
        c.sent,
        c.received
    )?;
    Ok(())
}

/// A random label beside `name`: `ietfwg-check-<hex>.<name without its first label>`.
fn nx_name(name: &str) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ (d.as_secs() as u32))
        .unwrap_or(0)
        ^ std::process::id();
    let name = name.trim_end_matches('.');
    let parent = match name.split_once('.') {
        Some((_, rest)) if rest.contains('.') => rest,
        _ => name,
    };
    format!("ietfwg-check-{t:08x}.{parent}")
}
