//! `ietfwg ikev2 probe` (being written).

use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {}

pub fn run(_args: ProbeArgs, _out: Output) -> anyhow::Result<Status> {
    anyhow::bail!("ietfwg ikev2 probe is not written yet")
}
