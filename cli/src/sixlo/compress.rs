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
//! only beyond the 1,500-octet Ethernet MTU. With `--link mstp`: link type 165, the payloads in
//! BACnet MS/TP frames of type 34 (RFC 8163), likewise fragmented only beyond 1,500 octets.
//! With `--link ble`: link type 256, a Bluetooth LE
//! connection (CONNECT_IND, the IPSP channel's LE credit-based signalling) carrying each
//! datagram as one L2CAP SDU in LL data PDUs (RFC 7668; the link layer is
//! [`ietfwg_6lo::ble::emit`]). Bluetooth LE captures are read as input too.
//!
//! A datagram IPHC cannot describe (its Payload Length disagrees with its size) is sent as
//! uncompressed IPv6 (dispatch 0x41), so that it still arrives byte for byte, and named on stderr.
//!
//! Exit status: 0; 1 when a datagram could not be compressed (or went uncompressed) or a frame
//! of an 802.15.4 input did not decode (each named on stderr); 2 for usage and I/O errors.

use std::io::Write;

use anyhow::Context as _;
use ietfwg_6lo::ble::emit::{phdr, ConnParams, ConnWriter};
use ietfwg_6lo::ble::{self, AddrType, BdAddr, Direction, Tracker};
use ietfwg_6lo::compress::Options;
use ietfwg_6lo::dispatch::DispatchHeader;
use ietfwg_6lo::frame::{self, Config, Framed, Framer, Target};
use ietfwg_6lo::lowpan::FrameReport;
use ietfwg_6lo::mac::{self, FcsMode, MacHeader};
use ietfwg_6lo::stats::LowpanMibOut;
use ietfwg_6lo::LinkAddr;
use ietfwg_capture::lowpan_eth::{self, mac_from_iid, multicast_mac};
use ietfwg_capture::{
    ble_packet, ip_payload, linktype, wpan_frame, CaptureReader, CaptureWriter, Format, Timestamp,
    Wpan,
};

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

    /// What to write: `wpan` (IEEE 802.15.4 frames, link type 230/195), `ethernet` (Ethernet
    /// frames of the LoWPAN EtherType 0xA0ED, RFC 7973, link type 1; the MAC addresses are the
    /// input's Ethernet addresses or those the IPv6 interface identifiers were formed from),
    /// `mstp` (BACnet MS/TP frames of type 34, RFC 8163, link type 165; the 8-bit MAC
    /// addresses are those the interface identifiers `::ff:fe00:XX` were formed from) or
    /// `ble` (Bluetooth LE, RFC 7668: a CONNECT_IND, the IPSP channel's LE credit-based
    /// signalling, then each datagram as one L2CAP SDU in LL data PDUs, link type 256; the device
    /// addresses are those the first datagram's IIDs were formed from, RFC 7668 §3.2.2).
    #[arg(long, value_enum, default_value = "wpan", conflicts_with = "fcs")]
    link: LinkOut,

    /// Print per-capture counts on stderr: datagrams, bytes in and out, header bytes saved,
    /// ratio; the RFC 7388 LOWPAN-MIB output counters under their MIB names; and the link-layer
    /// overhead of the same datagrams over IEEE 802.15.4 (frames of --frame-size with FCS,
    /// fragmented as needed) and over Bluetooth LE (LL data PDUs of --ble-ll-size).
    #[arg(long)]
    stats: bool,

    /// With --link ble (and for --stats): the largest LL data PDU payload, 27 (Bluetooth 4.x)
    /// to 251 (LE Data Length Extension).
    #[arg(long, value_name = "N", default_value_t = 27,
          value_parser = clap::value_parser!(u16).range(27..=251))]
    ble_ll_size: u16,

    /// With --stats: the counts as one JSON object on stderr (`docs/json.md`), instead of text.
    #[arg(long, requires = "stats")]
    json: bool,

    #[command(flatten)]
    common: Common,
}

/// The link the compressed datagrams are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LinkOut {
    Wpan,
    Ethernet,
    /// BACnet MS/TP frames of type 34 (RFC 8163), link type 165.
    Mstp,
    /// Bluetooth LE (RFC 7668): IPSP L2CAP SDUs in LL data PDUs, link type 256.
    Ble,
}

/// Largest 6LoWPAN payload in one Ethernet frame (the Ethernet MTU).
const ETHERNET_MTU: usize = 1500;

/// MAC header of the 802.15.4 frame the framer builds for Ethernet output (2006, both
/// addresses extended, PAN ID compression): stripped before the payload goes into Ethernet.
const EXT_MAC_HEADER: usize = 2 + 1 + 2 + 8 + 8;

/// The same with both addresses short (MS/TP output): payloads of up to 1,500 octets per
/// MS/TP frame, RFC 4944 fragments beyond.
const SHORT_MAC_HEADER: usize = 2 + 1 + 2 + 2 + 2;

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
    /// RFC 7388 LOWPAN-MIB output counters.
    mib: LowpanMibOut,
}

impl Stats {
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
    // The datagrams are compressed again: no summary, ND or MLE is built of them.
    decoder.set_datagrams_only(true);
    // Nothing here reads a captured frame's FCS verdict: its CRC is not computed.
    decoder.set_fcs_unchecked(true);
    // A frame that is one whole IPHC datagram has no dispatch header (mesh) to read.
    decoder.set_whole_iphc_unreported(true);
    let contexts = decoder.contexts().clone();
    let ethernet = a.link == LinkOut::Ethernet;
    let mstp = a.link == LinkOut::Mstp;
    let ble_out = a.link == LinkOut::Ble;
    let config = Config {
        frame_size: if ethernet {
            ETHERNET_MTU + EXT_MAC_HEADER
        } else if mstp {
            ETHERNET_MTU + SHORT_MAC_HEADER
        } else if ble_out {
            usize::from(IPSP_MTU) + EXT_MAC_HEADER
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
    let cmp = a.stats.then(|| Compare::new(&config, &contexts, a));
    let framer = Framer::new(config, contexts);
    let mut tracker = Tracker::new(ble::Limits::default());
    crate::hints::capture_stdin(&a.input, "ietfwg 6lo compress")?;
    let mut reader = CaptureReader::open(&a.input)?;
    let linktype = if ethernet {
        linktype::ETHERNET
    } else if mstp {
        linktype::BACNET_MS_TP
    } else if ble_out {
        linktype::BLUETOOTH_LE_LL_WITH_PHDR
    } else if a.fcs {
        linktype::IEEE802_15_4_WITHFCS
    } else {
        linktype::IEEE802_15_4_NOFCS
    };
    let writer = CaptureWriter::create(&a.output, Format::Pcap, linktype)
        .with_context(|| format!("creating {}", a.output))?;
    let mut sink = Sink {
        framer,
        framed: Framed::default(),
        writer,
        cmp,
        ble_conn: None,
    };
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
        if let Some(b) = ble_packet(&pkt) {
            // Bluetooth LE input: each datagram an IPSP SDU carried.
            let Ok((report, _)) = super::decode_ble(&mut tracker, &mut decoder, &b, number, ts)
            else {
                st.not_ip += 1;
                continue;
            };
            if let Some(e) = &report.error {
                st.decode_errors += 1;
                eprintln!("frame {number}: {}", super::render::Hinted(e));
            }
            if let Some(d) = report.datagram.as_ref().filter(|d| d.ipv6.is_some()) {
                let target = || ip_target(a, &d.bytes);
                emit(&mut sink, &mut st, a, number, ts, &d.bytes, None, target)?;
            }
            continue;
        }
        match wpan_frame(&pkt) {
            Ok(Wpan::Frame(w)) => {
                let (fcs, _) = super::frame_fcs(&pkt, &w);
                // The previous datagram's buffers, handed back to the decoder below
                // (`Decoder::recycle`), serve this frame's.
                let mut report = FrameReport::default();
                decoder.decode_frame_into(w.frame, fcs, number, ts.as_nanos(), &mut report);
                if let Some(e) = &report.error {
                    st.decode_errors += 1;
                    eprintln!("frame {number}: {}", super::render::Hinted(e));
                }
                let (Some(d), Some(mac)) = (&report.datagram, &report.mac) else {
                    continue;
                };
                if d.ipv6.is_none() {
                    st.failed += 1;
                    st.mib.add_not_compressed();
                    let why = d.ipv6_error.as_ref().map(ToString::to_string);
                    eprintln!(
                        "frame {number}: datagram not compressed: not IPv6: {}",
                        why.unwrap_or_default()
                    );
                    continue;
                }
                let mesh = report.lowpan.as_ref().and_then(|l| {
                    l.dispatch.iter().find_map(|h| match h {
                        DispatchHeader::Mesh(m) => Some(m.clone()),
                        _ => None,
                    })
                });
                let target = || Target {
                    mac: MacHeader::from_frame(mac),
                    mesh,
                };
                emit(&mut sink, &mut st, a, number, ts, &d.bytes, None, target)?;
                if let Some(d) = report.datagram.as_mut() {
                    decoder.recycle(d);
                }
            }
            Ok(Wpan::NotWpan(_)) => match ip_payload(&pkt) {
                Ok(Some(ip)) if ip.first().is_some_and(|b| b >> 4 == 6) => {
                    let eth = (pkt.linktype == linktype::ETHERNET).then_some(pkt.data);
                    emit(&mut sink, &mut st, a, number, ts, ip, eth, || {
                        ip_target(a, ip)
                    })?;
                }
                Ok(Some(_)) => st.not_ipv6 += 1,
                Ok(None) => st.not_ip += 1,
                Err(e) => {
                    st.not_ip += 1;
                    eprintln!("frame {number}: {e:#}");
                }
            },
            Err(e) => {
                st.decode_errors += 1;
                eprintln!("frame {number}: {e:#}");
            }
        }
        st.incomplete += decoder.take_expired().len() as u64;
    }
    st.incomplete += decoder.finish().len() as u64;
    let Sink { writer, cmp, .. } = sink;
    let mut w = writer
        .finish()
        .with_context(|| format!("writing to {}", super::output_label(&a.output)))?;
    w.flush()
        .with_context(|| format!("writing to {}", super::output_label(&a.output)))?;

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
    if a.stats && a.json {
        let record = serde_json::json!({
            "record": "compress_stats",
            "input": a.input,
            "packets": st.packets,
            "datagrams": st.datagrams,
            "frames": st.frames_out,
            "ipv6_octets": st.bytes_in,
            "payload_octets": st.payload_out,
            "frame_octets": st.frame_bytes_out,
            "header_octets_saved": st.header_saved,
            "ratio": st.ratio(),
            "fragmented": st.fragmented,
            "uncompressed": st.uncompressed,
            "not_compressed": st.failed,
            "mib": st.mib,
        });
        eprintln!("{record}");
    } else if a.stats {
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
        let rows: Vec<String> = st
            .mib
            .rows()
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        eprintln!("LOWPAN-MIB (RFC 7388 §6): {}", rows.join(", "));
        if let Some(c) = &cmp {
            for l in c.lines() {
                eprintln!("{l}");
            }
        }
    }
    Ok(
        if st.failed > 0 || st.uncompressed > 0 || st.decode_errors > 0 {
            Status::Findings
        } else {
            Status::Ok
        },
    )
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
    /// Their 6LoWPAN payloads in MS/TP frames of type 34.
    Mstp { src: u8, dst: u8 },
}

/// For MS/TP output: the 8-bit MAC addresses the IPv6 interface identifiers were formed from
/// (`0000:00ff:fe00:00XX`, RFC 8163 §6), else 1 and 2 (the header then carries the addresses
/// inline); 255 (broadcast) for a multicast destination.
fn mstp_target(ip: &[u8], pan: u16) -> Result<(Target, Out), String> {
    if ip.len() < 40 {
        return Err(format!("{} octets: shorter than an IPv6 header", ip.len()));
    }
    let mac = |at: usize| match ip.get(at..at + 8) {
        Some(&[0, 0, 0, 0xff, 0xfe, 0, 0, x]) if x != 255 => Some(x),
        _ => None,
    };
    let src = mac(16).unwrap_or(1);
    let dst = if ip.get(24) == Some(&0xff) {
        ietfwg_6lo::link::mstp::BROADCAST
    } else {
        mac(32).unwrap_or(2)
    };
    let target = Target::new(
        LinkAddr::Short(u16::from(src)),
        LinkAddr::Short(u16::from(dst)),
        pan,
    );
    Ok((target, Out::Mstp { src, dst }))
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

/// Where compressed datagrams go, and what is counted of them on the way.
struct Sink<W: Write> {
    framer: Framer,
    /// The last datagram's frames, whose buffers the next one reuses.
    framed: Framed,
    writer: CaptureWriter<W>,
    /// `--stats`: the same datagrams over 802.15.4 and Bluetooth LE.
    cmp: Option<Compare>,
    /// `--link ble`: the connection once its opening packets are written.
    ble_conn: Option<ConnWriter>,
}

/// One IPv6 datagram out on the link `--link` names: its link addressing (`eth`: the input's
/// Ethernet header, if any; `wpan`: the 802.15.4 target for `--link wpan`), then compressed and
/// written. A datagram no addressing fits is named on stderr and counted as not compressed.
#[allow(clippy::too_many_arguments)]
fn emit<W: Write>(
    sink: &mut Sink<W>,
    st: &mut Stats,
    a: &CompressArgs,
    number: u64,
    ts: Timestamp,
    ip: &[u8],
    eth: Option<&[u8]>,
    wpan: impl FnOnce() -> Target,
) -> anyhow::Result<()> {
    if let Some(c) = sink.cmp.as_mut() {
        c.add(ip);
    }
    let addressed = match a.link {
        LinkOut::Ble => {
            let Sink {
                framer,
                writer,
                ble_conn,
                ..
            } = sink;
            return one_ble(framer, writer, st, ble_conn, a, number, ts, ip);
        }
        LinkOut::Mstp => mstp_target(ip, a.pan.unwrap_or(DEFAULT_PAN)),
        LinkOut::Ethernet => ethernet_target(eth, ip, a),
        LinkOut::Wpan => Ok((wpan(), Out::Wpan)),
    };
    match addressed {
        Ok((target, out)) => one(
            &mut sink.framer,
            &mut sink.framed,
            &mut sink.writer,
            st,
            number,
            ts,
            ip,
            &target,
            out,
        ),
        Err(e) => {
            st.failed += 1;
            st.mib.add_not_compressed();
            eprintln!("frame {number}: datagram not compressed: {e}");
            Ok(())
        }
    }
}

/// Compresses and writes one datagram; a datagram that cannot be compressed is named on stderr
/// and counted.
#[allow(clippy::too_many_arguments)]
fn one<W: Write>(
    framer: &mut Framer,
    spare: &mut Framed,
    writer: &mut CaptureWriter<W>,
    st: &mut Stats,
    number: u64,
    ts: Timestamp,
    datagram: &[u8],
    target: &Target,
    out: Out,
) -> anyhow::Result<()> {
    let mesh = target.mesh.is_some() || framer.config().mesh_hops.is_some();
    let framed = framer.frame_into(datagram, target, spare).map(|()| &*spare);
    st.mib.add(framed.as_ref().map(|f| *f), mesh);
    match framed {
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
                    Out::Mstp { src, dst } => {
                        let m = mac::parse(fr, FcsMode::None)
                            .map_err(|e| anyhow::anyhow!("frame {number}: own frame: {e}"))?;
                        let payload = fr.get(m.payload_offset..).unwrap_or_default();
                        let f = ietfwg_6lo::link::mstp::emit_ipv6(dst, src, payload)
                            .ok_or_else(|| anyhow::anyhow!("frame {number}: too long for MS/TP"))?;
                        writer.write(ts, &f)?;
                    }
                }
            }
            st.add(datagram.len(), f);
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

/// The IPSP MTU announced on the channel written (RFC 7668 §2.2: at least 1280).
const IPSP_MTU: u16 = 1280;

/// The device addresses of the connection written for Bluetooth LE output: those the first
/// datagram's source and destination IIDs were formed from (RFC 7668 §3.2.2), else fixed ones.
/// No bit of an IID tells a public from a random address (RFC 7668 §3.2.2), so an address whose
/// two top bits are 11 (a static random address, Core 5.3 Vol 6 Part B §1.3.2.1) is written as
/// random, any other as public.
fn ble_params(datagram: &[u8], a: &CompressArgs) -> ConnParams {
    let mut p = ConnParams {
        ll_payload: usize::from(a.ble_ll_size),
        mtu: IPSP_MTU,
        ..ConnParams::default()
    };
    let kind = |addr: [u8; 6]| {
        if addr[0] & 0xc0 == 0xc0 {
            AddrType::Random
        } else {
            AddrType::Public
        }
    };
    if let Some(c) = datagram.get(16..24).and_then(BdAddr::from_iid) {
        p.central = BdAddr {
            addr: c,
            kind: kind(c),
        };
    }
    if let Some(d) = datagram.get(32..40).and_then(BdAddr::from_iid) {
        if d != p.central.addr {
            p.peripheral = BdAddr {
                addr: d,
                kind: kind(d),
            };
        }
    }
    p
}

/// Which way a datagram goes on the connection: from the peripheral when its source IID is the
/// peripheral's, else from the central.
fn ble_direction(p: &ConnParams, datagram: &[u8]) -> Direction {
    if datagram.get(16..24) == Some(&p.peripheral.iid()[..]) {
        Direction::PeripheralToCentral
    } else {
        Direction::CentralToPeripheral
    }
}

/// RF channel of the PHDR: 0 (2402 MHz, advertising channel 37) for CONNECT_IND, 1 (2404 MHz,
/// data channel 0) for data.
fn ble_rf_channel(direction: Option<Direction>) -> u8 {
    u8::from(direction.is_some())
}

/// Compresses one datagram for Bluetooth LE and writes its LL packets (the connection's
/// opening packets before the first).
#[allow(clippy::too_many_arguments)]
fn one_ble<W: Write>(
    framer: &mut Framer,
    writer: &mut CaptureWriter<W>,
    st: &mut Stats,
    conn: &mut Option<ConnWriter>,
    a: &CompressArgs,
    number: u64,
    ts: Timestamp,
    datagram: &[u8],
) -> anyhow::Result<()> {
    let w = match conn {
        Some(w) => w,
        None => {
            let mut w = ConnWriter::new(ble_params(datagram, a));
            for o in w.open() {
                let mut rec = phdr(ble_rf_channel(o.direction), o.direction).to_vec();
                rec.extend(&o.bytes);
                writer.write(ts, &rec)?;
            }
            conn.insert(w)
        }
    };
    let p = *w.params();
    let dir = ble_direction(&p, datagram);
    let (src, dst) = match dir {
        Direction::PeripheralToCentral => (p.peripheral, p.central),
        _ => (p.central, p.peripheral),
    };
    let target = Target::new(src.link_addr(), dst.link_addr(), DEFAULT_PAN);
    let f = match framer.frame(datagram, &target) {
        Ok(f) if f.datagram_tag.is_some() => {
            st.failed += 1;
            eprintln!(
                "frame {number}: datagram not compressed ({} bytes): larger than the IPSP MTU {IPSP_MTU} \
                 (RFC 7668 §2.2); L2CAP does not fragment beyond it",
                datagram.len()
            );
            return Ok(());
        }
        Ok(f) => f,
        Err(e) => {
            st.failed += 1;
            eprintln!(
                "frame {number}: datagram not compressed ({} bytes): {e}",
                datagram.len()
            );
            return Ok(());
        }
    };
    if let Some(e) = &f.uncompressed_because {
        eprintln!(
            "frame {number}: datagram sent uncompressed (IPv6 dispatch 0x41), IPHC cannot describe it: {e}"
        );
    }
    // The framer's one 802.15.4 frame: its payload is the 6LoWPAN SDU.
    let Some(fr) = f.frames.first() else {
        return Ok(());
    };
    let m = mac::parse(fr, FcsMode::None)
        .map_err(|e| anyhow::anyhow!("frame {number}: own frame: {e}"))?;
    let sdu = fr.get(m.payload_offset..).unwrap_or_default();
    let pkts = w.sdu(dir, sdu);
    st.datagrams += 1;
    st.bytes_in += datagram.len() as u64;
    st.payload_out += sdu.len() as u64;
    st.frames_out += pkts.len() as u64;
    st.header_saved += f.consumed as i64 - f.header_len as i64;
    st.uncompressed += u64::from(f.compressed.is_none());
    for o in pkts {
        st.frame_bytes_out += o.bytes.len() as u64;
        let mut rec = phdr(ble_rf_channel(o.direction), o.direction).to_vec();
        rec.extend(&o.bytes);
        writer.write(ts, &rec)?;
    }
    Ok(())
}

/// `--stats`: the same datagrams over IEEE 802.15.4 and over Bluetooth LE, link-layer octets
/// counted as they go on the air (802.15.4: MAC header, payload, FCS; Bluetooth LE: access
/// address, PDU header, payload, CRC of every LL data PDU, the connection's set-up left out).
struct Compare {
    wpan: Framer,
    ble: Option<ConnWriter>,
    ble_framer: Framer,
    ll_size: usize,
    datagrams: u64,
    ipv6_octets: u64,
    wpan_frames: u64,
    wpan_octets: u64,
    wpan_lowpan: u64,
    ble_pdus: u64,
    ble_octets: u64,
    ble_lowpan: u64,
    failed: u64,
}

impl Compare {
    fn new(config: &Config, contexts: &ietfwg_6lo::ContextTable, a: &CompressArgs) -> Compare {
        let wpan = Config {
            frame_size: usize::from(a.frame_size),
            fcs: FcsMode::Crc16,
            mesh_hops: None,
            bc0: false,
            options: config.options,
        };
        let ble = Config {
            frame_size: usize::from(IPSP_MTU) + EXT_MAC_HEADER,
            fcs: FcsMode::None,
            mesh_hops: None,
            bc0: false,
            options: config.options,
        };
        Compare {
            wpan: Framer::new(wpan, contexts.clone()),
            ble: None,
            ble_framer: Framer::new(ble, contexts.clone()),
            ll_size: usize::from(a.ble_ll_size),
            datagrams: 0,
            ipv6_octets: 0,
            wpan_frames: 0,
            wpan_octets: 0,
            wpan_lowpan: 0,
            ble_pdus: 0,
            ble_octets: 0,
            ble_lowpan: 0,
            failed: 0,
        }
    }

    fn add(&mut self, datagram: &[u8]) {
        let (src, dst) =
            frame::link_addrs(datagram).unwrap_or((LinkAddr::Absent, LinkAddr::Absent));
        let w = self
            .wpan
            .frame(datagram, &Target::new(src, dst, DEFAULT_PAN));
        let ll = self.ll_size;
        let conn = self.ble.get_or_insert_with(|| {
            let mut p = ConnParams {
                ll_payload: ll,
                ..ConnParams::default()
            };
            if let Some(c) = datagram.get(16..24).and_then(BdAddr::from_iid) {
                p.central.addr = c;
            }
            if let Some(d) = datagram.get(32..40).and_then(BdAddr::from_iid) {
                p.peripheral.addr = d;
            }
            let mut w = ConnWriter::new(p);
            let _ = w.open();
            w
        });
        let p = *conn.params();
        let dir = ble_direction(&p, datagram);
        let (s, d) = match dir {
            Direction::PeripheralToCentral => (p.peripheral, p.central),
            _ => (p.central, p.peripheral),
        };
        let b = self.ble_framer.frame(
            datagram,
            &Target::new(s.link_addr(), d.link_addr(), DEFAULT_PAN),
        );
        match (w, b) {
            (Ok(w), Ok(b)) if b.datagram_tag.is_none() => {
                let Some(sdu) = b.frames.first().and_then(|fr| {
                    let m = mac::parse(fr, FcsMode::None).ok()?;
                    fr.get(m.payload_offset..).map(<[u8]>::to_vec)
                }) else {
                    self.failed += 1;
                    return;
                };
                let pkts = conn.sdu(dir, &sdu);
                self.datagrams += 1;
                self.ipv6_octets += datagram.len() as u64;
                self.wpan_frames += w.frames.len() as u64;
                self.wpan_octets += w.frame_bytes as u64;
                self.wpan_lowpan += w.header_len as u64;
                self.ble_pdus += pkts.len() as u64;
                self.ble_octets += pkts.iter().map(|o| o.bytes.len() as u64).sum::<u64>();
                self.ble_lowpan += b.header_len as u64;
            }
            _ => self.failed += 1,
        }
    }

    fn lines(&self) -> Vec<String> {
        let per = |x: u64| {
            if self.datagrams == 0 {
                0.0
            } else {
                x as f64 / self.datagrams as f64
            }
        };
        let over = |octets: u64| octets as i64 - self.ipv6_octets as i64;
        let mut v = vec![
            format!(
                "compare: the same {} datagrams ({} IPv6 octets; {} not comparable)",
                self.datagrams, self.ipv6_octets, self.failed
            ),
            format!(
                "  802.15.4:      {} frames, {} octets on the link (MAC header, 6LoWPAN, FCS), {:+} vs IPv6 ({:+.1}/datagram), IPHC/NHC {:.1} octets/datagram",
                self.wpan_frames,
                self.wpan_octets,
                over(self.wpan_octets),
                per(over(self.wpan_octets).unsigned_abs()) * over(self.wpan_octets).signum() as f64,
                per(self.wpan_lowpan)
            ),
            format!(
                "  Bluetooth LE:  {} LL data PDUs, {} octets on the link (AA, header, L2CAP, 6LoWPAN, CRC), {:+} vs IPv6 ({:+.1}/datagram), IPHC/NHC {:.1} octets/datagram",
                self.ble_pdus,
                self.ble_octets,
                over(self.ble_octets),
                per(over(self.ble_octets).unsigned_abs()) * over(self.ble_octets).signum() as f64,
                per(self.ble_lowpan)
            ),
        ];
        v.retain(|_| self.datagrams > 0 || self.failed > 0);
        v
    }
}
