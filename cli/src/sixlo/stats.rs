//! `6lo stats`: a capture's counters (`ietfwg_6lo::stats`), as text or one JSON object.

use std::collections::BTreeMap;
use std::io::Write;

use colored::Colorize;
use ietfwg_6lo::stats::Stats;
use ietfwg_capture::{ble_packet, lowpan_ethernet, wpan_frame, CaptureReader, Wpan};

use super::{decode_ble, decode_ethertype, frame_fcs, link_kind, Common, SelectArgs};
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

/// `6lo stats --json`: one line, the counters (`docs/json.md`). The record itself never fails
/// (the frames that did are counted in `failed`), so `error` is always null.
/// `failed_by_layer` is keyed by the names `error.layer` has in `6lo decode --json`. (`failed`
/// is what every command names a count of failures; `errors` is `doh bench`'s object.)
#[derive(serde::Serialize)]
struct StatsRecord<'a> {
    record: &'static str,
    packets: u64,
    mac_frames: &'a BTreeMap<String, u64>,
    dispatch: &'a BTreeMap<String, u64>,
    failed: u64,
    failed_by_layer: BTreeMap<&'a str, u64>,
    bad_fcs: u64,
    compressed_header_octets: u64,
    uncompressed_header_octets: u64,
    ipv6_octets: u64,
    frame_octets: u64,
    conversations: &'a [ietfwg_6lo::stats::Conversation],
    conversations_not_listed: u64,
    mib: &'a ietfwg_6lo::stats::LowpanMib,
    error: Option<crate::json::Problem>,
}

impl<'a> StatsRecord<'a> {
    fn new(st: &'a Stats) -> Self {
        let mut failed_by_layer = BTreeMap::new();
        for (layer, n) in &st.errors_by_layer {
            // The text names (`802.15.4 MAC`, `IPHC`) as `error.layer` spells them.
            let name = match layer.as_str() {
                "802.15.4 MAC" => "mac",
                "6LoWPAN dispatch" => "dispatch",
                "IPHC" => "iphc",
                "NHC" => "nhc",
                "HC1" => "hc1",
                "reassembly" => "reassembly",
                "IPv6" => "ipv6",
                "MLE" => "mle",
                "Bluetooth LE" => "ble",
                other => other,
            };
            *failed_by_layer.entry(name).or_default() += n;
        }
        StatsRecord {
            record: "stats",
            packets: st.packets,
            mac_frames: &st.mac_frames,
            dispatch: &st.dispatch,
            failed: st.errors,
            failed_by_layer,
            bad_fcs: st.bad_fcs,
            compressed_header_octets: st.compressed_header_octets,
            uncompressed_header_octets: st.uncompressed_header_octets,
            ipv6_octets: st.ipv6_octets,
            frame_octets: st.frame_octets,
            conversations: &st.conversations,
            conversations_not_listed: st.conversations_not_listed,
            mib: &st.mib,
            error: None,
        }
    }
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
    let mut tracker = ietfwg_6lo::ble::Tracker::new(ietfwg_6lo::ble::Limits::default());
    while let Some(pkt) = reader.next_packet()? {
        let number = pkt.number;
        if sel.done(number, st.packets) {
            stopped = true;
            break;
        }
        let wanted = sel.wants(number);
        // The links `decode` reads besides 802.15.4, counted as it counts them.
        if let Some(b) = ble_packet(&pkt) {
            match decode_ble(&mut tracker, &mut decoder, &b, number, pkt.ts) {
                Ok((r, _)) if wanted => st.add(&r, pkt.data.len()),
                Err(_) if wanted => st.add_other(),
                _ => {}
            }
        } else if let Some(kind) = link_kind(pkt.linktype) {
            let r = decoder.decode_link_frame(kind, pkt.data, number, pkt.ts.as_nanos());
            if wanted {
                st.add(&r, pkt.data.len());
            }
        } else if let Some(l) = lowpan_ethernet(&pkt) {
            let (r, _) = decode_ethertype(&mut decoder, &l, number, pkt.ts);
            if wanted {
                st.add(&r, pkt.data.len());
            }
        } else {
            match wpan_frame(&pkt) {
                Ok(Wpan::Frame(w)) => {
                    let (fcs, _) = frame_fcs(&pkt, &w);
                    let r = decoder.decode_frame(w.frame, fcs, number, pkt.ts.as_nanos());
                    if wanted {
                        st.add(&r, w.frame.len());
                    }
                }
                Err(_) if wanted => st.add_link_error(),
                _ if wanted => st.add_other(),
                _ => {}
            }
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
        out.json(&StatsRecord::new(&st))?;
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

fn counts(m: &BTreeMap<String, u64>) -> String {
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
