//! `ietfwg doh batch` (being written).

use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct BatchArgs {}

pub fn run(_args: BatchArgs, _out: Output) -> anyhow::Result<Status> {
    anyhow::bail!("ietfwg doh batch is not written yet")
}
