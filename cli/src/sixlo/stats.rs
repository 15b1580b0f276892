//! `6lo stats`: a capture's counters (`ietfwg_6lo::stats`), as text or one JSON object.

use std::io::Write;

use colored::Colorize;
use ietfwg_6lo::stats::Stats;
use ietfwg_capture::{wpan_frame, CaptureReader, Wpan};

use super::{frame_fcs, Common, SelectArgs};
use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// pcap or pcapng file of 802.15.4 frames; `-` reads stdin.
    #[arg(value_name = "FILE", default_value = "-")]
    input: String,

    /// One JSON object: the counters, conversations, dispatch headers and the RFC 7388
    /// LOWPAN-MIB counters under their MIB names.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    select: SelectArgs,

    #[command(flatten)]
    common: Common,
}

pub fn run(a: &StatsArgs, out: &mut Output) -> anyhow::Result<Status> {
    if a.json {
        out.set_json();
    }
    crate::hints::capture_stdin(&a.input, "ietfwg 6lo stats")?;
    let mut decoder = a.common.decoder()?;
    let mut reader = CaptureReader::open(&a.input)?;
    let sel = a.select.selection();
    let mut st = Stats::default();
    let mut stopped = false;
    while let Some(pkt) = reader.next_packet()? {
        let number = pkt.number;
        if sel.done(number, st.packets) {
            stopped = true;
            break;
        }
        let wanted = sel.wants(number);
        match wpan_frame(&pkt) {
            Ok(Wpan::Frame(w)) => {
                let (fcs, _) = frame_fcs(&pkt, &w);
                let r = decoder.decode_frame(w.frame, fcs, number, pkt.ts.as_nanos());
                if wanted {
                    st.add(&r, w.frame.len());
                }
            }
            _ if wanted => st.add_other(),
            _ => {}
        }
        for inc in decoder.take_expired() {
            st.add_incomplete(&inc);
        }
    }
    if !stopped {
        for inc in decoder.finish() {
            st.add_incomplete(&inc);
        }
    }
    if a.json {
        out.json(&st)?;
    } else {
        text(out, &a.input, &st)?;
    }
    out.flush()?;
    Ok(if st.errors > 0 {
        Status::Findings
    } else {
        Status::Ok
    })
}

fn counts(m: &std::collections::BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return "none".to_string();
    }
    m.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn text(out: &mut Output, input: &str, st: &Stats) -> anyhow::Result<()> {
    let frames: u64 = st.mac_frames.values().sum();
    writeln!(
        out,
        "{}: {} packets, {} IEEE 802.15.4 frames ({})",
        input.bold(),
        st.packets,
        frames,
        counts(&st.mac_frames)
    )?;
    writeln!(out, "  {:<14}{}", "dispatch", counts(&st.dispatch))?;
    writeln!(
        out,
        "  {:<14}{} frames failed to decode ({}), {} bad FCS",
        "errors",
        st.errors,
        counts(&st.errors_by_layer),
        st.bad_fcs
    )?;
    match st.header_ratio() {
        Some(r) => writeln!(
            out,
            "  {:<14}IPHC/NHC headers: {} octets on the wire for {} uncompressed ({:.1} %)",
            "compression",
            st.compressed_header_octets,
            st.uncompressed_header_octets,
            r * 100.0
        )?,
        None => writeln!(out, "  {:<14}no IPHC header seen", "compression")?,
    }
    writeln!(
        out,
        "  {:<14}{} octets of IPv6 delivered, in {} octets of 802.15.4 frames",
        "datagrams", st.ipv6_octets, st.frame_octets
    )?;
    writeln!(
        out,
        "  {}",
        "conversations (link source > destination)".cyan()
    )?;
    for c in &st.conversations {
        writeln!(
            out,
            "    {:>25} > {:<25} {:>6} frames {:>8} octets",
            c.src, c.dst, c.frames, c.octets
        )?;
    }
    if st.conversations_not_listed > 0 {
        writeln!(
            out,
            "    … {} frames of further conversations",
            st.conversations_not_listed
        )?;
    }
    writeln!(
        out,
        "  {}",
        "RFC 7388 LOWPAN-MIB (§6), as this capture's receiver would count".cyan()
    )?;
    for (name, v, what) in st.mib.rows() {
        writeln!(out, "    {name:<22}{v:>8}  {what}")?;
    }
    Ok(())
}
