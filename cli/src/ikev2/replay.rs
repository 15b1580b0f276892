//! `ietfwg ikev2 replay` (being written).

use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {}

pub fn run(_args: ReplayArgs, _out: Output) -> anyhow::Result<Status> {
    anyhow::bail!("ietfwg ikev2 replay is not written yet")
}
