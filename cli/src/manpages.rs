//! `ietfwg completions SHELL` and `ietfwg man`: generated from the clap command tree by
//! clap_complete and clap_mangen, so they never disagree with the parser.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Command;

/// `ietfwg completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::examples::COMPLETIONS)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// `ietfwg man`.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::examples::MAN)]
pub struct ManArgs {
    /// Write one page per command (ietfwg.1, ietfwg-6lo-decode.1, …) into this folder instead
    /// of the main page to standard output.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn completions(
    a: &CompletionsArgs,
    mut cmd: Command,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    clap_complete::generate(a.shell, &mut cmd, "ietfwg", out);
    Ok(())
}

pub fn man(a: &ManArgs, cmd: Command, out: &mut dyn Write) -> anyhow::Result<()> {
    match &a.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("writing man pages to {}", dir.display()))?;
            Ok(())
        }
        None => {
            clap_mangen::Man::new(cmd).render(out)?;
            Ok(())
        }
    }
}
