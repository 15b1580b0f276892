//! `ietfwg doh …`: DNS over HTTPS (RFC 8484) — query, batch, bench, encode, decode.
//!
//! | module | role |
//! |---|---|
//! | [`flags`] | the query flags every command shares (type, class, EDNS, padding, DO/CD/RD) |
//! | [`conn`] | server, bootstrap, TLS and HTTP options → one client connection |
//! | [`query`] | `doh query` |
//! | [`batch`] | `doh batch` |
//! | [`bench`] | `doh bench` |
//! | [`encode`] | `doh encode` |
//! | [`decode`] | `doh decode` |
//! | [`render`] | dig-like text and JSON for an answer |

pub mod batch;
pub mod bench;
pub mod check;
pub mod conn;
pub mod decode;
pub mod encode;
pub mod flags;
pub mod query;
pub mod render;
pub mod serve;

use clap::Subcommand;

use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Ask one question over DoH and show the answer like dig (or --short, or --json).
    #[command(after_help = crate::examples::DOH_QUERY)]
    Query(query::QueryArgs),
    /// Ask many questions (`NAME [TYPE]` per line) concurrently over one connection: NDJSON.
    #[command(after_help = crate::examples::DOH_BATCH)]
    Batch(batch::BatchArgs),
    /// Load DoH servers and measure them: q/s, latency percentiles, RCODEs, errors by phase.
    Bench(bench::BenchArgs),
    /// Print the DNS query a DoH client would send: base64url, hex, raw bytes or the GET URL.
    #[command(after_help = crate::examples::DOH_ENCODE)]
    Encode(encode::EncodeArgs),
    /// Read one DNS message on stdin (binary, hex or base64url) and print it.
    #[command(after_help = crate::examples::DOH_DECODE)]
    Decode(decode::DecodeArgs),
    /// Serve DoH (HTTP/2 and HTTP/1.1, TLS or cleartext) from a zone file or a Do53 upstream.
    Serve(serve::ServeArgs),
    /// Check a DoH server against RFC 8484, clause by clause: PASS, FAIL, WARN or N/A.
    Check(check::CheckArgs),
}

pub fn run(args: Args, out: Output) -> anyhow::Result<Status> {
    match args.command {
        Command::Query(a) => query::run(a, out),
        Command::Batch(a) => batch::run(a, out),
        Command::Bench(a) => bench::run(a, out),
        Command::Encode(a) => encode::run(a, out),
        Command::Decode(a) => decode::run(a, out),
        Command::Serve(a) => serve::run(a, out),
        Command::Check(a) => check::run(a, out),
    }
}
