//! `ietfwg doh encode` (being written).

use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct EncodeArgs {}

pub fn run(_args: EncodeArgs, _out: Output) -> anyhow::Result<Status> {
    anyhow::bail!("ietfwg doh encode is not written yet")
}
