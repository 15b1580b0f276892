//! `ietfwg 6lo compress IN -o OUT`: IPv6 datagrams → 6LoWPAN over IEEE 802.15.4 frames.
//!
//! Input is any capture:
//! - IP link types (Ethernet, raw IP, Linux SLL/SLL2, loopback): every IPv6 packet is
//!   compressed; link addresses are `--src-addr` / `--dst-addr`, or derived from the IPv6
//!   addresses ([`ietfwg_6lo::frame::link_addr_from_ipv6`]); the PAN is `--pan` (default 0xabcd);
//!   MAC sequence numbers count from 0.
//! - 802.15.4 captures (any 6LoWPAN dispatch, fragmented or not, ZEP/TAP included): each
//!   datagram is decompressed ([`ietfwg_6lo::lowpan::Decoder`]) and compressed again with the MAC
//!   addressing, PANs, frame version, sequence number and mesh header of the frame that carried
//!   it (the completing frame for a reassembled one; further fragments take the next sequence
//!   numbers).
//!
//! Output: pcap link type 230 (no FCS), or 195 with `--fcs`; each frame carries the capture
//! time of the packet its datagram came from. With `--link ethernet`: link type 1, the 6LoWPAN
//! payloads in Ethernet frames of the LoWPAN EtherType 0xA0ED (RFC 7973), fragmented (RFC 4944)
//! only beyond the 1,500-octet Ethernet MTU.
//!
//! A datagram IPHC cannot describe (its Payload Length disagrees with its size) is sent as
//! uncompressed IPv6 (dispatch 0x41), so that it still arrives byte for byte, and named on stderr.
//!
//! Exit status: 0; 1 when a datagram could not be compressed (or went uncompressed) or a frame
//! of an 802.15.4 input did not decode (each named on stderr); 2 for usage and I/O errors.

use std::io::Write;

use anyhow::Context as _;
use ietfwg_6lo::compress::Options;
use ietfwg_6lo::dispatch::DispatchHeader;
use ietfwg_6lo::frame::{self, Config, Framed, Framer, Target};
use ietfwg_6lo::mac::{self, FcsMode, MacHeader};
use ietfwg_6lo::LinkAddr;
use ietfwg_capture::lowpan_eth::{self, mac_from_iid, multicast_mac};
use ietfwg_capture::{ip_payload, linktype, wpan_frame, CaptureWriter, Format, Timestamp, Wpan};

use super::Common;
use crate::output::Output;
use crate::Status;

/// PAN used for IP input when `--pan` is not given.
const DEFAULT_PAN: u16 = 0xabcd;

#[derive(Debug, clap::Args)]
pub struct CompressArgs {
    /// pcap or pcapng of IPv6 (Ethernet, raw IP, SLL/SLL2, loopback) or of 802.15.4 frames;
    /// `-` reads stdin.
    #[arg(value_name = "IN")]
    input: String,

    /// The pcap to write (`-` for stdout): link type 230, or 195 with --fcs.
    #[arg(short, long, value_name = "OUT")]
    output: String,

    #[command(flatten)]
    select: super::SelectArgs,

    /// Elide UDP checksums (RFC 6282 §4.3.2 allows it only when upper layers cover integrity).
    #[arg(long)]
    elide_udp_checksum: bool,

    /// Compress UDP payloads, ICMPv6 and extension headers with RFC 7400 GHC.
    #[arg(long)]
    ghc: bool,

    /// Largest frame in octets, MAC header and FCS included; larger datagrams are fragmented
    /// (RFC 4944 §5.3).
    #[arg(long, value_name = "N", default_value_t = frame::DEFAULT_FRAME_SIZE as u16,
          value_parser = clap::value_parser!(u16).range(16..=2047))]
    frame_size: u16,

    /// End every frame with a CRC-16 FCS and write link type 195.
    #[arg(long)]
    fcs: bool,

    /// Add a mesh header (RFC 4944 §5.2) with this Hops Left; originator and final destination
    /// are the link source and destination.
    #[arg(long, value_name = "N")]
    mesh_hops: Option<u8>,

    /// Add a LOWPAN_BC0 broadcast header (RFC 4944 §11.1), sequence numbers from 0.
    #[arg(long)]
    bc0: bool,

    /// IP input: the link source address (0xABCD or aa:bb:cc:dd:ee:ff:00:11) instead of the one
    /// derived from the IPv6 source.
    #[arg(long, value_name = "ADDR")]
    src_addr: Option<LinkAddr>,

    /// IP input: the link destination address instead of the derived one.
    #[arg(long, value_name = "ADDR")]
    dst_addr: Option<LinkAddr>,

    /// IP input: the PAN ID (default 0xabcd).
    #[arg(long, value_name = "0xABCD", value_parser = parse_pan)]
    pan: Option<u16>,

    /// What to write: `wpan` (IEEE 802.15.4 frames, link type 230/195) or `ethernet` (Ethernet
    /// frames of the LoWPAN EtherType 0xA0ED, RFC 7973, link type 1; the MAC addresses are the
    /// input's Ethernet addresses or those the IPv6 interface identifiers were formed from).
    #[arg(long, value_enum, default_value = "wpan", conflicts_with = "fcs")]
    link: LinkOut,

    /// Print per-capture counts on stderr: datagrams, bytes in and out, header bytes saved,
    /// ratio.
    #[arg(long)]
    stats: bool,

    #[command(flatten)]
    common: Common,
}

/// The link the compressed datagrams are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LinkOut {
    Wpan,
    Ethernet,
}

/// Largest 6LoWPAN payload in one Ethernet frame (the Ethernet MTU).
const ETHERNET_MTU: usize = 1500;

/// MAC header of the 802.15.4 frame the framer builds for Ethernet output (2006, both
/// addresses extended, PAN ID compression): stripped before the payload goes into Ethernet.
const EXT_MAC_HEADER: usize = 2 + 1 + 2 + 8 + 8;

fn parse_pan(s: &str) -> Result<u16, String> {
    let t = s.trim();
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u16::from_str_radix(h, 16),
        None => t.parse::<u16>(),
    };
    r.map_err(|_| format!("`{s}`: a PAN ID is 0xABCD (hex) or 0-65535"))
}

/// What a run compressed.
#[derive(Debug, Default)]
struct Stats {
    packets: u64,
    datagrams: u64,
    frames_out: u64,
    /// Uncompressed IPv6 octets in.
    bytes_in: u64,
    /// 802.15.4 MAC payload octets out.
    payload_out: u64,
    /// Whole frames out (as written).
    frame_bytes_out: u64,
    /// Uncompressed header octets minus compressed header octets.
    header_saved: i64,
    fragmented: u64,
    /// Sent as uncompressed IPv6 (0x41): IPHC cannot describe them.
    uncompressed: u64,
    failed: u64,
    decode_errors: u64,
    not_ipv6: u64,
    not_ip: u64,
    incomplete: u64,
    /// Frames of the datagrams that were fragmented.
    fragments_created: u64,
}

impl Stats {
    /// Adds the reading thread's counts to the compressing thread's.
    fn add_read(&mut self, r: &Stats) {
        self.packets += r.packets;
        self.failed += r.failed;
        self.decode_errors += r.decode_errors;
        self.not_ipv6 += r.not_ipv6;
        self.not_ip += r.not_ip;
        self.incomplete += r.incomplete;
    }

    fn add(&mut self, datagram_len: usize, f: &Framed) {
        self.datagrams += 1;
        self.frames_out += f.frames.len() as u64;
        self.bytes_in += datagram_len as u64;
        self.payload_out += f.payload_bytes as u64;
        self.frame_bytes_out += f.frame_bytes as u64;
        self.header_saved += f.consumed as i64 - f.header_len as i64;
        self.uncompressed += u64::from(f.compressed.is_none());
        self.fragmented += u64::from(f.datagram_tag.is_some());
        if f.datagram_tag.is_some() {
            self.fragments_created += f.frames.len() as u64;
        }
    }

    /// The RFC 7388 §6 LOWPAN-MIB output counters, as the node that sent these frames would
    /// count them: every IPv6 packet in is a request and needs compression; one sent as
    /// uncompressed IPv6 (0x41) or not sent counts as a compression failure; nothing is
    /// discarded for lack of resources.
    fn mib_out(&self) -> String {
        let requests = self.datagrams + self.failed;
        let comp_fails = self.failed + self.uncompressed;
        [
            ("lowpanOutRequests", requests),
            ("lowpanOutCompReqds", requests),
            ("lowpanOutCompFails", comp_fails),
            ("lowpanOutCompOKs", requests.saturating_sub(comp_fails)),
            ("lowpanOutFragReqds", self.fragmented),
            ("lowpanOutFragFails", 0),
            ("lowpanOutFragOKs", self.fragmented),
            ("lowpanOutFragCreates", self.fragments_created),
            ("lowpanOutDiscards", 0),
            ("lowpanOutTransmits", self.frames_out),
        ]
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
    }

    fn ratio(&self) -> f64 {
        if self.bytes_in == 0 {
            0.0
        } else {
            self.payload_out as f64 / self.bytes_in as f64
        }
    }
}

pub fn run(a: &CompressArgs, _out: &Output) -> anyhow::Result<Status> {
    let mut decoder = a.common.decoder()?;
    let contexts = decoder.contexts().clone();
    let ethernet = a.link == LinkOut::Ethernet;
    let config = Config {
        frame_size: if ethernet {
            ETHERNET_MTU + EXT_MAC_HEADER
        } else {
            usize::from(a.frame_size)
        },
        fcs: if a.fcs { FcsMode::Crc16 } else { FcsMode::None },
        options: Options {
            elide_udp_checksum: a.elide_udp_checksum,
            ghc: a.ghc,
        },
        mesh_hops: a.mesh_hops,
        bc0: a.bc0,
    };
    let framer = Framer::new(config, contexts);
    crate::hints::capture_stdin(&a.input, "ietfwg 6lo compress")?;
    // The capture is read and parsed on a second thread; this thread decodes the input and
    // finds each datagram's link addressing, and a third compresses, verifies and writes
    // (`compress_loop`): the jobs go to it in capture order, messages included, so stderr and
    // the written capture are what one thread doing it all would give.
    let mut reader = crate::pipeline::ThreadedPackets::open(&a.input)?;
    let linktype = if ethernet {
        linktype::ETHERNET
    } else if a.fcs {
        linktype::IEEE802_15_4_WITHFCS
    } else {
        linktype::IEEE802_15_4_NOFCS
    };
    let writer = CaptureWriter::create(&a.output, Format::Pcap, linktype)
        .with_context(|| format!("creating {}", a.output))?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Job>>(JOBS_IN_FLIGHT);
    let (read, compressed) = std::thread::scope(|scope| {
        let compressor = std::thread::Builder::new()
            .name("compress".into())
            .spawn_scoped(scope, move || compress_loop(rx, framer, writer, &a.output));
        let compressor = match compressor {
            Ok(c) => c,
            Err(e) => return (Err(e.into()), None),
        };
        let mut jobs = Jobs {
            tx,
            chunk: Vec::with_capacity(JOB_CHUNK),
        };
        let read = read_loop(a, &mut decoder, &mut reader, ethernet, &mut jobs);
        // Whatever is queued goes out (the messages before a read error included), and the
        // compressor ends when the channel closes.
        let read = read.and_then(|st| jobs.finish().map(|()| st));
        (read, Some(compressor.join()))
    });
    let mut st = match compressed {
        Some(Ok(Ok(st))) => st,
        Some(Ok(Err(e))) => return Err(e),
        Some(Err(_)) => anyhow::bail!("the compressing thread ended unexpectedly"),
        None => return read.map(|_| Status::Ok),
    };
    st.add_read(&read?);

    let mut line = format!(
        "{} packets, {} IPv6 datagrams compressed into {} frames written to {}",
        st.packets, st.datagrams, st.frames_out, a.output
    );
    if st.fragmented > 0 {
        line += &format!(" ({} datagrams fragmented)", st.fragmented);
    }
    for (n, what) in [
        (st.failed, "datagrams not compressed"),
        (st.uncompressed, "datagrams sent uncompressed"),
        (st.decode_errors, "frames failed to decode"),
        (st.incomplete, "fragmented datagrams incomplete"),
        (st.not_ipv6, "packets IPv4, not IPv6"),
        (st.not_ip, "packets carry no IP"),
    ] {
        if n > 0 {
            line += &format!(", {n} {what}");
        }
    }
    eprintln!("{line}");
    if a.stats {
        eprintln!(
            "stats {}: {} datagrams, {} bytes in (IPv6), {} bytes out (802.15.4 payload), \
             {} bytes in {} frames, {} header bytes saved, ratio {:.3}",
            a.input,
            st.datagrams,
            st.bytes_in,
            st.payload_out,
            st.frame_bytes_out,
            st.frames_out,
            st.header_saved,
            st.ratio()
        );
        eprintln!("LOWPAN-MIB (RFC 7388 §6): {}", st.mib_out());
    }
    Ok(
        if st.failed > 0 || st.uncompressed > 0 || st.decode_errors > 0 {
            Status::Findings
        } else {
            Status::Ok
        },
    )
}

/// Jobs sent to the compressing thread per chunk, and chunks queued.
const JOB_CHUNK: usize = 256;
const JOBS_IN_FLIGHT: usize = 4;

/// What the reading thread hands the compressing one, in capture order.
enum Job {
    /// A line for stderr.
    Msg(String),
    /// A datagram to compress and write.
    Datagram {
        number: u64,
        ts: Timestamp,
        bytes: Vec<u8>,
        target: Target,
        out: Out,
    },
}

/// The jobs not sent yet, and the channel they go by.
struct Jobs {
    tx: std::sync::mpsc::SyncSender<Vec<Job>>,
    chunk: Vec<Job>,
}

impl Jobs {
    fn push(&mut self, job: Job) -> anyhow::Result<()> {
        self.chunk.push(job);
        if self.chunk.len() >= JOB_CHUNK {
            self.send()?;
        }
        Ok(())
    }

    fn msg(&mut self, m: String) -> anyhow::Result<()> {
        self.push(Job::Msg(m))
    }

    fn send(&mut self) -> anyhow::Result<()> {
        let chunk = std::mem::replace(&mut self.chunk, Vec::with_capacity(JOB_CHUNK));
        self.tx
            .send(chunk)
            .map_err(|_| anyhow::anyhow!("the compressing thread stopped"))
    }

    /// Sends what is left; the channel closes when `self` is dropped.
    fn finish(mut self) -> anyhow::Result<()> {
        if self.chunk.is_empty() {
            Ok(())
        } else {
            self.send()
        }
    }
}

/// The compressing thread: compresses, verifies and writes each datagram and prints the
/// messages, in the order they came; returns its counts once the channel closes.
fn compress_loop<W: Write>(
    rx: std::sync::mpsc::Receiver<Vec<Job>>,
    mut framer: Framer,
    mut writer: CaptureWriter<W>,
    output: &str,
) -> anyhow::Result<Stats> {
    let mut st = Stats::default();
    for chunk in rx {
        for job in chunk {
            match job {
                Job::Msg(m) => eprintln!("{m}"),
                Job::Datagram {
                    number,
                    ts,
                    bytes,
                    target,
                    out,
                } => one(
                    &mut framer,
                    &mut writer,
                    &mut st,
                    number,
                    ts,
                    &bytes,
                    &target,
                    out,
                )?,
            }
        }
    }
    let mut w = writer
        .finish()
        .with_context(|| format!("writing to {}", super::output_label(output)))?;
    w.flush()
        .with_context(|| format!("writing to {}", super::output_label(output)))?;
    Ok(st)
}

/// The reading thread's part: every packet decoded (802.15.4 frames reassembled) and each
/// datagram's link addressing found; returns its counts.
fn read_loop(
    a: &CompressArgs,
    decoder: &mut ietfwg_6lo::lowpan::Decoder,
    reader: &mut crate::pipeline::ThreadedPackets,
    ethernet: bool,
    jobs: &mut Jobs,
) -> anyhow::Result<Stats> {
    let mut st = Stats::default();
    let sel = a.select.selection();
    while let Some(pkt) = reader.next_packet()? {
        let (number, ts) = (pkt.number, pkt.ts);
        if sel.done(number, st.packets) {
            break;
        }
        if !sel.wants(number) {
            // 802.15.4 input: read for reassembly only.
            if let Ok(Wpan::Frame(w)) = wpan_frame(&pkt) {
                let (fcs, _) = super::frame_fcs(&pkt, &w);
                decoder.decode_frame(w.frame, fcs, number, ts.as_nanos());
            }
            continue;
        }
        st.packets += 1;
        match wpan_frame(&pkt) {
            Ok(Wpan::Frame(w)) => {
                let (fcs, _) = super::frame_fcs(&pkt, &w);
                let report = decoder.decode_frame(w.frame, fcs, number, ts.as_nanos());
                if let Some(e) = &report.error {
                    st.decode_errors += 1;
                    jobs.msg(format!("frame {number}: {}", super::render::Hinted(e)))?;
                }
                let (Some(d), Some(mac)) = (&report.datagram, &report.mac) else {
                    continue;
                };
                if d.ipv6.is_none() {
                    st.failed += 1;
                    let why = d.ipv6_error.as_ref().map(ToString::to_string);
                    jobs.msg(format!(
                        "frame {number}: datagram not compressed: not IPv6: {}",
                        why.unwrap_or_default()
                    ))?;
                    continue;
                }
                let mesh = report.lowpan.as_ref().and_then(|l| {
                    l.dispatch.iter().find_map(|h| match h {
                        DispatchHeader::Mesh(m) => Some(m.clone()),
                        _ => None,
                    })
                });
                let (target, out) = if ethernet {
                    match ethernet_target(None, &d.bytes, a) {
                        Ok(t) => t,
                        Err(e) => {
                            st.failed += 1;
                            jobs.msg(format!("frame {number}: datagram not compressed: {e}"))?;
                            continue;
                        }
                    }
                } else {
                    let t = Target {
                        mac: MacHeader::from_frame(mac),
                        mesh,
                    };
                    (t, Out::Wpan)
                };
                jobs.push(Job::Datagram {
                    number,
                    ts,
                    bytes: d.bytes.clone(),
                    target,
                    out,
                })?;
            }
            Ok(Wpan::NotWpan(_)) => match ip_payload(&pkt) {
                Ok(Some(ip)) if ip.first().is_some_and(|b| b >> 4 == 6) => {
                    let (target, out) = if ethernet {
                        let eth = (pkt.linktype == linktype::ETHERNET).then_some(pkt.data);
                        match ethernet_target(eth, ip, a) {
                            Ok(t) => t,
                            Err(e) => {
                                st.failed += 1;
                                jobs.msg(format!("frame {number}: datagram not compressed: {e}"))?;
                                continue;
                            }
                        }
                    } else {
                        (ip_target(a, ip), Out::Wpan)
                    };
                    jobs.push(Job::Datagram {
                        number,
                        ts,
                        bytes: ip.to_vec(),
                        target,
                        out,
                    })?;
                }
                Ok(Some(_)) => st.not_ipv6 += 1,
                Ok(None) => st.not_ip += 1,
                Err(e) => {
                    st.not_ip += 1;
                    jobs.msg(format!("frame {number}: {e:#}"))?;
                }
            },
            Err(e) => {
                st.decode_errors += 1;
                jobs.msg(format!("frame {number}: {e:#}"))?;
            }
        }
        st.incomplete += decoder.take_expired().len() as u64;
    }
    st.incomplete += decoder.finish().len() as u64;
    Ok(st)
}

/// Link addressing for an IPv6 packet from an IP capture.
fn ip_target(a: &CompressArgs, ip: &[u8]) -> Target {
    let (src, dst) = frame::link_addrs(ip).unwrap_or((LinkAddr::Absent, LinkAddr::Absent));
    Target::new(
        a.src_addr.unwrap_or(src),
        a.dst_addr.unwrap_or(dst),
        a.pan.unwrap_or(DEFAULT_PAN),
    )
}

/// Ethernet addresses for IPv6 addresses whose interface identifiers are not formed from a MAC.
const FALLBACK_SRC_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const FALLBACK_DST_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// Where a compressed datagram's frames go.
#[derive(Debug, Clone, Copy)]
enum Out {
    /// As the 802.15.4 frames the framer built.
    Wpan,
    /// Their 6LoWPAN payloads in Ethernet frames of EtherType 0xA0ED.
    Ethernet { src: [u8; 6], dst: [u8; 6] },
}

/// For Ethernet output: the MAC addresses (those of the input's Ethernet header, else the ones
/// the IPv6 interface identifiers were formed from — `XXXX:XXFF:FEXX:XXXX`, U/L bit kept, as
/// Linux and Wireshark read them —, or the multicast MAC of a multicast destination, RFC 2464
/// §7) and the framer target whose link addresses stand for them.
fn ethernet_target(
    eth: Option<&[u8]>,
    ip: &[u8],
    a: &CompressArgs,
) -> Result<(Target, Out), String> {
    if ip.len() < 40 {
        return Err(format!("{} octets: shorter than an IPv6 header", ip.len()));
    }
    let from_header = eth.and_then(|d| {
        let dst: [u8; 6] = d.get(0..6)?.try_into().ok()?;
        let src: [u8; 6] = d.get(6..12)?.try_into().ok()?;
        Some((src, dst))
    });
    let (src, dst) = match from_header {
        Some(p) => p,
        None => {
            let iid = |at: usize| -> Option<[u8; 8]> { ip.get(at..at + 8)?.try_into().ok() };
            // An interface identifier not formed from a MAC gets a fixed locally administered
            // one: the header then carries the address inline, and the datagram still
            // arrives byte for byte.
            let src = iid(16).and_then(mac_from_iid).unwrap_or(FALLBACK_SRC_MAC);
            let dst = match ip.get(24..40) {
                Some(g) if g[0] == 0xff => {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(g);
                    multicast_mac(a)
                }
                _ => iid(32).and_then(mac_from_iid).unwrap_or(FALLBACK_DST_MAC),
            };
            (src, dst)
        }
    };
    let target = Target::new(
        LinkAddr::from_eui48(src),
        LinkAddr::from_eui48(dst),
        a.pan.unwrap_or(DEFAULT_PAN),
    );
    Ok((target, Out::Ethernet { src, dst }))
}

/// Compresses and writes one datagram; a datagram that cannot be compressed is named on stderr
/// and counted.
#[allow(clippy::too_many_arguments)]
fn one<W: Write>(
    framer: &mut Framer,
    writer: &mut CaptureWriter<W>,
    st: &mut Stats,
    number: u64,
    ts: Timestamp,
    datagram: &[u8],
    target: &Target,
    out: Out,
) -> anyhow::Result<()> {
    match framer.frame(datagram, target) {
        Ok(f) => {
            if let Some(e) = &f.uncompressed_because {
                eprintln!(
                    "frame {number}: datagram sent uncompressed (IPv6 dispatch 0x41), IPHC cannot \
                     describe it: {e}"
                );
            }
            for fr in &f.frames {
                match out {
                    Out::Wpan => writer.write(ts, fr)?,
                    Out::Ethernet { src, dst } => {
                        // The framer's own 802.15.4 frame: its payload is the 6LoWPAN part.
                        let m = mac::parse(fr, FcsMode::None)
                            .map_err(|e| anyhow::anyhow!("frame {number}: own frame: {e}"))?;
                        let payload = fr.get(m.payload_offset..).unwrap_or_default();
                        writer.write(ts, &lowpan_eth::write_frame(dst, src, payload))?;
                    }
                }
            }
            st.add(datagram.len(), &f);
        }
        Err(e) => {
            st.failed += 1;
            eprintln!(
                "frame {number}: datagram not compressed ({} bytes): {e}",
                datagram.len()
            );
        }
    }
    Ok(())
}
