//! `ietfwg doh query` (being written).

use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct QueryArgs {}

pub fn run(_args: QueryArgs, _out: Output) -> anyhow::Result<Status> {
    anyhow::bail!("ietfwg doh query is not written yet")
}
