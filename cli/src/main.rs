//! `ietfwg`: DNS over HTTPS, 6LoWPAN and IKEv2 in one binary.
//!
//! This crate is thin: argument parsing, wiring and rendering. Protocol logic lives in the
//! `ietfwg-*` protocol crates, capture reading and writing in `ietfwg-capture`.
#![forbid(unsafe_code)]

mod doh;
mod examples;
mod hexdump;
mod hints;
mod ikev2;
mod json;
mod jsonser;
mod manpages;
mod output;
mod pipeline;
mod select;
mod sixlo;
mod tape;
mod text;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use output::ColorChoice;

/// Exit status: 0 all went well, 1 the input was processed but something in it failed (a frame
/// that does not decode, …), 2 usage or I/O error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Findings,
}

#[derive(Debug, Parser)]
#[command(
    name = "ietfwg",
    version,
    about = "DNS over HTTPS, 6LoWPAN and IKEv2: decode, check and rewrite real traffic",
    propagate_version = true
)]
struct Cli {
    /// When to colour the output: auto colours a terminal only (and honours NO_COLOR).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// DNS over HTTPS (RFC 8484): query, batch, encode, decode.
    #[command(after_help = examples::DOH)]
    Doh(doh::Args),
    /// 6LoWPAN over IEEE 802.15.4 (RFC 4944, 6282, 8025, 8066, 8138, 8931).
    #[command(name = "6lo", after_help = examples::SIXLO)]
    SixLo(sixlo::Args),
    /// IKEv2 (RFC 7296) and its extensions; IKEv1, ESP and NAT-keepalives labelled.
    #[command(after_help = examples::IKEV2)]
    Ikev2(ikev2::Args),
    /// Write a shell completion script (bash, zsh, fish, powershell, elvish) to standard output.
    Completions(manpages::CompletionsArgs),
    /// Write the man page (roff) to standard output, or one page per command with --dir.
    Man(manpages::ManArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are not errors; clap prints them and says so.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let mut out = output::Output::new(cli.color);
    let result = match cli.command {
        Command::Completions(a) => manpages::completions(&a, Cli::command(), &mut out)
            .and_then(|()| Ok(out.flush()?))
            .map(|()| Status::Ok),
        Command::Man(a) => manpages::man(&a, Cli::command(), &mut out)
            .and_then(|()| Ok(out.flush()?))
            .map(|()| Status::Ok),
        Command::Doh(args) => doh::run(args, out),
        Command::SixLo(args) => sixlo::run(args, out),
        Command::Ikev2(args) => ikev2::run(args, out),
    };
    match result {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::Findings) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ietfwg: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// A reader closing the pipe (`ietfwg … | head`) is a normal end, not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
