//! `ietfwg doh decode` (being written).

use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct DecodeArgs {}

pub fn run(_args: DecodeArgs, _out: Output) -> anyhow::Result<Status> {
    anyhow::bail!("ietfwg doh decode is not written yet")
}
