//! `ikev2 stats`: counters over a capture's IKE traffic — messages by exchange and
//! direction, IKE SAs, endpoint conversations, fragments (IP and RFC 7383 SKF), ESP,
//! keepalives, errors — as text or one JSON object. Counted from the decoder's reports.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::SocketAddr;
use std::ops::ControlFlow;

use colored::Colorize;
use ietfwg_ikev2::decoder::{Decoded, Decryption, FragmentState};
use ietfwg_ikev2::wire::payload::PayloadBody;

use super::stream::{IkeStream, Pushed};
use super::{in_sa, load_keys, Source, SourceArgs};
use crate::output::Output;
use crate::select::Spi;
use crate::Status;

/// IKE SAs and conversations kept at most (the rest are counted, not listed).
const MAX_KEYS: usize = 65_536;
const MAX_CONVERSATIONS: usize = 4096;

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    #[command(flatten)]
    source: SourceArgs,

    /// One JSON object with every counter.
    #[arg(long)]
    json: bool,

    /// Only the IKE SA with this SPI (initiator's or responder's, 16 hex digits).
    #[arg(long, value_name = "SPI")]
    sa: Option<Spi>,
}

/// Messages and octets between two endpoints (sender > receiver).
#[derive(Debug, Default, serde::Serialize)]
struct Conversation {
    src: String,
    dst: String,
    messages: u64,
    octets: u64,
}

#[derive(Debug, Default, serde::Serialize)]
struct Stats {
    ikev2_messages: u64,
    ikev1_messages: u64,
    esp_packets: u64,
    keepalives: u64,
    /// Messages that did not parse; in JSON `failed`, as every command names a count of
    /// failures (`errors` is `doh bench`'s object of failures by phase).
    #[serde(rename = "failed")]
    errors: u64,
    bad_packets: u64,
    /// `IKE_SA_INIT request` → count.
    exchanges: BTreeMap<String, u64>,
    /// `UDP`, `UDP NAT-T`, `TCP (RFC 9329)` → messages.
    transports: BTreeMap<String, u64>,
    ike_sas: u64,
    ike_sas_not_counted: u64,
    /// Messages that came in several IP fragments.
    ip_fragmented_messages: u64,
    /// RFC 7383 SKF payloads, and messages reassembled from them (with --keys).
    skf_fragments: u64,
    skf_reassembled: u64,
    decrypted: u64,
    ikev2_octets: u64,
    conversations: Vec<Conversation>,
    conversations_not_listed: u64,
    #[serde(skip)]
    spis: BTreeSet<u64>,
    #[serde(skip)]
    index: BTreeMap<(SocketAddr, SocketAddr), usize>,
}

impl Stats {
    fn conversation(&mut self, src: SocketAddr, dst: SocketAddr, octets: usize) {
        match self.index.get(&(src, dst)) {
            Some(&i) => {
                if let Some(c) = self.conversations.get_mut(i) {
                    c.messages += 1;
                    c.octets += octets as u64;
                }
            }
            None if self.conversations.len() < MAX_CONVERSATIONS => {
                self.index.insert((src, dst), self.conversations.len());
                self.conversations.push(Conversation {
                    src: src.to_string(),
                    dst: dst.to_string(),
                    messages: 1,
                    octets: octets as u64,
                });
            }
            None => self.conversations_not_listed += 1,
        }
    }

    fn add(&mut self, ev: &super::stream::Event) {
        self.errors += u64::from(ev.decoded.is_error());
        match &ev.decoded {
            Decoded::Ikev2(d) => {
                self.ikev2_messages += 1;
                self.ikev2_octets += d.bytes.len() as u64;
                *self
                    .transports
                    .entry(ev.transport.label().to_string())
                    .or_default() += 1;
                self.ip_fragmented_messages += u64::from(ev.ip_fragments > 1);
                self.conversation(ev.src, ev.dst, d.bytes.len());
                if let Some(h) = &d.header {
                    let name = h
                        .exchange
                        .name()
                        .map_or_else(|| h.exchange.0.to_string(), str::to_string);
                    let dir = if h.response() { "response" } else { "request" };
                    *self.exchanges.entry(format!("{name} {dir}")).or_default() += 1;
                    if !self.spis.contains(&h.spi_i) {
                        if self.spis.len() < MAX_KEYS {
                            self.spis.insert(h.spi_i);
                            self.ike_sas += 1;
                        } else {
                            self.ike_sas_not_counted += 1;
                        }
                    }
                }
                if let Ok(m) = &d.message {
                    self.skf_fragments += m
                        .payloads
                        .iter()
                        .filter(|p| matches!(p.body, PayloadBody::Skf(_)))
                        .count() as u64;
                }
                if let Some(Decryption::Done(o)) = d.encrypted.as_ref().map(|e| &e.decryption) {
                    self.decrypted += u64::from(o.decrypted.icv_ok);
                    self.skf_reassembled +=
                        u64::from(matches!(o.fragments, Some(FragmentState::Complete(_))));
                }
            }
            Decoded::Ikev1(_) => self.ikev1_messages += 1,
            Decoded::Esp { .. } => self.esp_packets += 1,
            Decoded::Keepalive => self.keepalives += 1,
            Decoded::Transport(_) => {}
        }
    }
}

/// `ikev2 stats --json`: one line, the counters (`docs/json.md`). The record itself never
/// fails (the messages and packets that did are counted in `failed` and `bad_packets`), so
/// `error` is always null.
#[derive(serde::Serialize)]
struct StatsRecord<'a> {
    record: &'static str,
    #[serde(flatten)]
    stats: &'a Stats,
    error: Option<crate::json::Problem>,
}

pub fn run(a: &StatsArgs, out: &mut Output) -> anyhow::Result<Status> {
    if a.json {
        out.set_json();
    }
    if a.source.interface.is_none() {
        crate::hints::capture_stdin(&a.source.input, "ietfwg ikev2 stats")?;
    }
    let keys = load_keys(&a.source.keys)?.map(|k| k.ike);
    let mut source = Source::open(&a.source)?;
    let mut stream = IkeStream::new(keys);
    let mut st = Stats::default();
    let frames = a.source.frames;
    while let Some(pkt) = source.next_packet()? {
        let number = pkt.number;
        if frames.is_some_and(|r| r.past(number)) {
            break;
        }
        let pushed = stream.push(&pkt, |ev| {
            if !frames.is_none_or(|r| r.contains(ev.frame)) || !in_sa(a.sa, &ev.decoded) {
                return Ok(ControlFlow::Continue(()));
            }
            st.add(&ev);
            let n = st.ikev2_messages + st.ikev1_messages;
            Ok(if a.source.count.is_some_and(|c| n >= c) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        match pushed {
            Pushed::Stopped => break,
            Pushed::BadPacket(_) if frames.is_none_or(|r| r.contains(number)) => {
                st.bad_packets += 1;
            }
            _ => {}
        }
    }
    if a.json {
        out.json(&StatsRecord {
            record: "stats",
            stats: &st,
            error: None,
        })?;
    } else {
        text(out, &a.source.input, &st)?;
    }
    out.flush()?;
    Ok(if st.errors + st.bad_packets > 0 {
        Status::Findings
    } else {
        Status::Ok
    })
}

fn text(out: &mut Output, input: &str, st: &Stats) -> anyhow::Result<()> {
    writeln!(
        out,
        "{}: {} IKEv2 messages ({} octets), {} IKEv1, {} ESP, {} keepalives; {} IKE SAs",
        input.bold(),
        st.ikev2_messages,
        st.ikev2_octets,
        st.ikev1_messages,
        st.esp_packets,
        st.keepalives,
        st.ike_sas
    )?;
    writeln!(
        out,
        "  {:<14}{} in error, {} packets unreadable",
        "errors", st.errors, st.bad_packets
    )?;
    writeln!(
        out,
        "  {:<14}{} messages IP-fragmented, {} SKF fragments (RFC 7383), {} messages reassembled from them",
        "fragments", st.ip_fragmented_messages, st.skf_fragments, st.skf_reassembled
    )?;
    writeln!(
        out,
        "  {:<14}{} messages decrypted",
        "decryption", st.decrypted
    )?;
    let t: Vec<String> = st
        .transports
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(out, "  {:<14}{}", "transport", t.join(", "))?;
    writeln!(out, "  {}", "exchanges".cyan())?;
    for (k, v) in &st.exchanges {
        writeln!(out, "    {k:<32}{v:>8}")?;
    }
    writeln!(out, "  {}", "conversations (sender > receiver)".cyan())?;
    for c in &st.conversations {
        writeln!(
            out,
            "    {:>28} > {:<28} {:>6} messages {:>8} octets",
            c.src, c.dst, c.messages, c.octets
        )?;
    }
    if st.conversations_not_listed > 0 {
        writeln!(
            out,
            "    … {} messages of further conversations",
            st.conversations_not_listed
        )?;
    }
    Ok(())
}
