//! `ietfwg 6lo …`: decode and decompress IEEE 802.15.4 / 6LoWPAN captures.

mod brief;
mod compress;
mod hexdump;
mod json;
mod live;
mod render;
mod stats;

use std::io::{BufRead, Write};

use anyhow::{bail, Context as _};
use clap::Subcommand;
use ietfwg_6lo::ble::{self as ble, BleReport, Tracker};
use ietfwg_6lo::encap;
use ietfwg_6lo::lowpan::{Decoder, FrameReport};
use ietfwg_6lo::mac::FcsMode;
use ietfwg_6lo::reassembly::Limits;
use ietfwg_6lo::security::{parse_key, AddressBook, KeyTable};
use ietfwg_6lo::{ContextTable, LinkAddr};
use ietfwg_capture::{
    ble_packet, linktype, lowpan_ethernet, wpan_frame, Ble, BleDirection, CaptureWriter, Encap,
    Format, LowpanEthernet, Packet, Timestamp, Wpan, WpanFrame,
};

use crate::output::Output;
use crate::pipeline::ThreadedReader;
use crate::select::{FrameRange, Selection};
use crate::text::Text;
use crate::Status;

/// `-c/--count` and `--frames`, for every 6lo command that reads a capture.
#[derive(Debug, clap::Args)]
pub(super) struct SelectArgs {
    /// Stop after this many frames (counted among those --frames selects).
    #[arg(short = 'c', long, value_name = "N")]
    count: Option<u64>,

    /// Only these capture frames: `5`, `10-20`, `100-` (to the end), `-20`. Frames before
    /// the range are still read for fragment reassembly, but not shown.
    #[arg(long, value_name = "RANGE")]
    frames: Option<FrameRange>,
}

impl SelectArgs {
    pub(super) fn selection(&self) -> Selection {
        Selection {
            frames: self.frames,
            count: self.count,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// Options every 6lo command shares.
#[derive(Debug, clap::Args)]
pub(super) struct Common {
    /// A 6LoWPAN context, N=PREFIX/LEN (N 0-15); repeat for several.
    #[arg(long = "context", value_name = "N=PREFIX/LEN")]
    contexts: Vec<String>,

    /// Give up on an incomplete fragmented datagram after this many seconds of capture time.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    reassembly_timeout: u64,

    /// Take contexts from the 6LoWPAN Context Options (RFC 6775 6CO) of router advertisements
    /// as they appear, for the frames that follow.
    #[arg(long)]
    learn_contexts: bool,

    /// The RPL root's address, for RFC 8138 6LoRH headers that elide the encapsulator.
    #[arg(long, value_name = "IPV6")]
    rpl_root: Option<std::net::Ipv6Addr>,

    /// An AES-128 key (32 hex digits) for secured 802.15.4 frames; with INDEX= only for frames
    /// of that Key Index. Repeat for several; they are tried in order until the MIC verifies.
    #[arg(long = "wpan-key", value_name = "[INDEX=]HEX")]
    wpan_keys: Vec<String>,

    /// A Thread network key: the MAC key of each key sequence is derived from it
    /// (HMAC-SHA256(key, sequence || "Thread"), Thread 1.1 §7.1.4). Repeatable.
    #[arg(long = "thread-key", value_name = "HEX")]
    thread_keys: Vec<String>,

    /// The Thread key sequence in use: the Key Index of a frame gives only its low 7 bits.
    #[arg(long, value_name = "N", default_value_t = 0)]
    thread_key_sequence: u32,

    /// The extended address of a short one, SHORT=EXT (0x0002=00:12:4b:00:00:01:02:03), for
    /// the nonces of secured frames sent from it; comma-separated or repeated. Mappings are
    /// also learnt from association responses.
    #[arg(long = "addr-map", value_name = "SHORT=EXT", value_delimiter = ',')]
    addr_map: Vec<String>,
}

impl Common {
    pub(super) fn decoder(&self) -> anyhow::Result<Decoder> {
        let mut table = ContextTable::new();
        for c in &self.contexts {
            table
                .set_from_arg(c)
                .map_err(|e| anyhow::anyhow!("--context {e}"))?;
        }
        let limits = Limits {
            timeout_nanos: self.reassembly_timeout.saturating_mul(1_000_000_000),
            ..Limits::default()
        };
        let mut decoder = Decoder::new(table, limits);
        decoder.set_learn_contexts(self.learn_contexts);
        decoder.set_rpl_root(self.rpl_root);
        let mut keys = KeyTable::new();
        for k in &self.wpan_keys {
            keys.add_from_arg(k)
                .map_err(|e| anyhow::anyhow!("--wpan-key {e}"))?;
        }
        for k in &self.thread_keys {
            keys.add_thread(parse_key(k).map_err(|e| anyhow::anyhow!("--thread-key {e}"))?)
                .map_err(|e| anyhow::anyhow!("--thread-key: {e}"))?;
        }
        keys.set_thread_sequence(self.thread_key_sequence);
        let mut book = AddressBook::new();
        for m in &self.addr_map {
            book.add_from_arg(m)
                .map_err(|e| anyhow::anyhow!("--addr-map {e}"))?;
        }
        if keys.is_empty() && !self.addr_map.is_empty() {
            anyhow::bail!("--addr-map serves the nonces of secured frames: give --wpan-key or --thread-key too");
        }
        decoder.set_keys(keys);
        decoder.set_addresses(book);
        Ok(decoder)
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One entry per frame: MAC header, every 6LoWPAN header, the decompressed IPv6 header and
    /// UDP/ICMPv6 summary; fragments name their datagram and where it completed.
    #[command(after_help = crate::examples::SIXLO_DECODE)]
    Decode(DecodeArgs),
    /// Write the IPv6 datagrams a capture carries, decompressed and reassembled, as a pcap of
    /// link type 101 (raw IP), one datagram per packet, stamped with the completing frame's time.
    #[command(after_help = crate::examples::SIXLO_DECOMPRESS)]
    Decompress(DecompressArgs),
    /// Compress the IPv6 datagrams of a capture (IP link types, or 802.15.4 frames of any
    /// 6LoWPAN form) into 6LoWPAN/IPHC over 802.15.4 frames, fragmenting as needed; writes a
    /// pcap of link type 230 (195 with --fcs; 1 with --link ethernet; 256, Bluetooth LE, with
    /// --link ble).
    #[command(after_help = crate::examples::SIXLO_COMPRESS)]
    Compress(compress::CompressArgs),
    /// Counters over a capture: frames by type, dispatch headers, errors, header compression,
    /// link-layer conversations, and the RFC 7388 LOWPAN-MIB input counters under their MIB
    /// names.
    #[command(after_help = crate::examples::SIXLO_STATS)]
    Stats(stats::StatsArgs),
    /// Send a capture's 802.15.4 frames as ZEP v2 datagrams over UDP (to Wireshark, a sniffer
    /// dashboard or `6lo decode --zep-listen`), each with its capture time as the ZEP
    /// timestamp; frames with an FCS go in CRC mode, frames without in LQI mode.
    #[command(after_help = crate::examples::SIXLO_ZEP_SEND)]
    ZepSend(live::ZepSendArgs),
}

#[derive(Debug, clap::Args)]
struct DecodeArgs {
    /// pcap or pcapng file; `-` reads stdin.
    #[arg(value_name = "FILE", default_value = "-")]
    input: String,

    /// NDJSON: one object per frame (and one per datagram left incomplete).
    #[arg(long)]
    json: bool,

    /// Read hex frames from stdin, one per line, instead of a capture.
    #[arg(long, conflicts_with = "input")]
    hex: bool,

    /// With --hex: each line ends with a 2-byte FCS (CRC-16).
    #[arg(long, requires = "hex")]
    fcs: bool,

    /// With --hex: each line is a bare 6LoWPAN payload (no MAC header); give --src and --dst.
    #[arg(long, requires_all = ["hex", "src", "dst"])]
    payload: bool,

    /// With --payload: the link source address (0xABCD or aa:bb:cc:dd:ee:ff:00:11).
    #[arg(long, value_name = "ADDR", requires = "payload")]
    src: Option<LinkAddr>,

    /// With --payload: the link destination address.
    #[arg(long, value_name = "ADDR", requires = "payload")]
    dst: Option<LinkAddr>,

    /// After each frame, its bytes: a hex dump, then every field's octets, layer, name, value
    /// and defining section, bit fields broken out (802.15.4 Frame Control, IPHC, NHC, fragment
    /// and mesh headers). Not with --json (a usage error: a JSON record already holds every
    /// decoded value with its offset).
    #[arg(short = 'x', long, conflicts_with_all = ["json", "payload"])]
    hexdump: bool,

    /// One line per frame: number, time, MAC frame type, sequence number, link addresses,
    /// 6LoWPAN headers, and on the frame that completes a datagram its IPv6 addresses and
    /// upper layer; an error ends the line after `!`.
    #[arg(long, conflicts_with_all = ["json", "hexdump"])]
    brief: bool,

    /// Decode live from this interface instead of a file (needs root or CAP_NET_RAW): a Linux
    /// 802.15.4 monitor or node interface, or one carrying ZEP (UDP 17754) or the LoWPAN
    /// EtherType 0xA0ED. Ctrl-C stops and prints the totals and the incomplete datagrams.
    #[arg(short = 'i', long, value_name = "IFACE", conflicts_with_all = ["input", "hex", "zep_listen"])]
    interface: Option<String>,

    /// Decode ZEP v1/v2 datagrams received on this UDP port (127.0.0.1 unless ADDR is given;
    /// 17754 without a value), as sniffers send them. Ctrl-C stops and prints the totals and
    /// the incomplete datagrams.
    #[arg(
        long,
        value_name = "[ADDR:]PORT",
        num_args = 0..=1,
        default_missing_value = "17754",
        value_parser = live::parse_listen,
        conflicts_with_all = ["input", "hex"]
    )]
    zep_listen: Option<std::net::SocketAddr>,

    /// With --interface or --zep-listen: also save every packet received to this pcapng file
    /// (ZEP datagrams as IP/UDP packets to port 17754), which `6lo decode FILE` reads back to
    /// the same output.
    #[arg(short = 'w', long = "write", value_name = "FILE")]
    write: Option<String>,

    #[command(flatten)]
    select: SelectArgs,

    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct DecompressArgs {
    /// pcap or pcapng file of 802.15.4 frames (or 6LoWPAN over Ethernet or Bluetooth LE); `-`
    /// reads stdin.
    #[arg(value_name = "IN")]
    input: String,

    /// The pcap to write (`-` for stdout).
    #[arg(short, long, value_name = "OUT")]
    output: String,

    #[command(flatten)]
    select: SelectArgs,

    #[command(flatten)]
    common: Common,
}

pub fn run(args: Args, mut out: Output) -> anyhow::Result<Status> {
    match args.command {
        Command::Decode(a) => {
            if a.json {
                out.set_json();
            }
            if a.write.is_some() && a.interface.is_none() && a.zep_listen.is_none() {
                bail!("-w saves live traffic: give --interface or --zep-listen");
            }
            let status = if a.hex {
                decode_hex(&a, &mut out)
            } else if a.interface.is_some() || a.zep_listen.is_some() {
                live::decode(&a, &mut out)
            } else {
                decode_capture(&a, &mut out)
            }?;
            out.flush()?;
            Ok(status)
        }
        Command::Decompress(a) => decompress(&a, &out),
        Command::Compress(a) => compress::run(&a, &out),
        Command::Stats(a) => stats::run(&a, &mut out),
        Command::ZepSend(a) => live::zep_send(&a),
    }
}

/// Counts what a run saw, for the closing line on stderr and the exit status.
#[derive(Debug, Default)]
struct Tally {
    frames: u64,
    errors: u64,
    datagrams: u64,
    not_wpan: u64,
    bad_fcs: u64,
    incomplete: u64,
    /// Secured frames left undecrypted for want of a key or an extended address (MIC failures
    /// are errors, counted in `errors`).
    not_decrypted: u64,
}

impl Tally {
    fn add(&mut self, r: &FrameReport<'_>) {
        self.frames += 1;
        // A frame fails when it does not decode, or when the datagram it completes is malformed.
        self.errors += u64::from(
            r.error.is_some() || r.datagram.as_ref().is_some_and(|d| d.ipv6_error.is_some()),
        );
        self.datagrams += u64::from(r.datagram.is_some());
        self.not_decrypted += u64::from(r.security.as_ref().is_some_and(|s| {
            !s.status.ok() && s.status != ietfwg_6lo::security::Status::MicFailed
        }));
        self.bad_fcs += u64::from(
            r.mac
                .as_ref()
                .and_then(|m| m.fcs.as_ref())
                .is_some_and(|f| !f.ok),
        );
    }

    fn status(&self) -> Status {
        if self.errors > 0 {
            Status::Findings
        } else {
            Status::Ok
        }
    }

    fn summary(&self) -> String {
        let mut s = format!(
            "{} frames, {} IPv6 datagrams, {} frames failed to decode",
            self.frames, self.datagrams, self.errors
        );
        if self.not_wpan > 0 {
            s += &format!(", {} packets not 802.15.4", self.not_wpan);
        }
        if self.bad_fcs > 0 {
            s += &format!(", {} bad FCS", self.bad_fcs);
        }
        if self.incomplete > 0 {
            s += &format!(", {} datagrams incomplete", self.incomplete);
        }
        if self.not_decrypted > 0 {
            s += &format!(", {} secured frames not decrypted", self.not_decrypted);
        }
        s
    }
}

fn progress_bar(len: Option<u64>, out: &Output, enabled: bool) -> Option<indicatif::ProgressBar> {
    // A bar only where a person watches stderr and stdout is not interleaving lines with it.
    let len = len?;
    if !(enabled && out.stderr_tty) {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {wide_bar} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// The FCS mode to decode a frame found in `pkt` with — what its encapsulation declares, or,
/// where the capture cannot say, what the frame's CRC shows ([`encap::capture_fcs`]) — and
/// `(captured, original)` when the capture cut the frame short (snaplen): its FCS, if it had one,
/// is not in the captured bytes, so it is neither stripped nor checked.
pub(super) fn frame_fcs(pkt: &Packet<'_>, w: &WpanFrame<'_>) -> (FcsMode, Option<(usize, u32)>) {
    let fcs = encap::capture_fcs(w.frame, w.fcs.octets());
    let captured = pkt.data.len();
    let snapped = (usize::try_from(pkt.orig_len).is_ok_and(|o| o > captured)
        && fcs != FcsMode::None)
        .then_some((captured, pkt.orig_len));
    match snapped {
        Some(_) => (FcsMode::None, snapped),
        None => (fcs, None),
    }
}

/// Rendered records are handed to the output once this many bytes have gathered (at once on a
/// terminal, so each frame shows as it is decoded).
const CHUNK: usize = 64 * 1024;

/// What turns one decoded frame into output bytes: the text or the NDJSON renderer. Both
/// append to the same buffer, which the decode loop hands to the output in large chunks.
type FrameRenderer = fn(&mut Text, &FrameReport<'_>, &render::Link<'_>) -> anyhow::Result<()>;

fn frame_renderer(json: bool) -> FrameRenderer {
    if json {
        render::frame_json
    } else {
        |t, r, link| {
            render::frame_text(t, r, link);
            Ok(())
        }
    }
}

fn decode_capture(a: &DecodeArgs, out: &mut Output) -> anyhow::Result<Status> {
    let mut decoder = a.common.decoder()?;
    crate::hints::capture_stdin(&a.input, "ietfwg 6lo decode")?;
    // The capture is read on another thread, batch by batch.
    let (mut reader, len) = ThreadedReader::open(&a.input)?;
    let mut contents = crate::hints::Contents::default();
    let mut tally = Tally::default();
    let bar = progress_bar(len, out, !out.stdout_tty);
    let json = a.json;
    let sel = a.select.selection();
    let mut stopped = false;
    // Records are rendered into one buffer, handed to the output in large chunks.
    let mut t = Text::new(out.color);
    let mut tracker = Tracker::new(ble::Limits::default());
    'read: while let Some(mut batch) = reader.next_batch() {
        for pkt in batch.packets() {
            let number = pkt.number;
            if sel.done(number, tally.frames) {
                stopped = true;
                break 'read;
            }
            if !sel.wants(number) {
                // Read for reassembly only.
                feed_unselected(&mut decoder, &mut tracker, &pkt);
                continue;
            }
            decode_packet(
                a,
                &mut decoder,
                &mut tracker,
                &mut tally,
                &mut contents,
                &mut t,
                &pkt,
            )?;
            if t.buf.len() >= CHUNK || out.stdout_tty {
                out.write_all(&t.buf)?;
                t.clear();
            }
        }
        if let Some(b) = &bar {
            b.set_position(batch.bytes_read);
        }
        if let Some(e) = batch.error.take() {
            // What was decoded before the read error is shown, then the error.
            out.write_all(&t.buf)?;
            out.flush()?;
            return Err(e.into());
        }
        reader.recycle(batch);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    // Stopped by --count or --frames: what is left incomplete is not listed.
    if !stopped {
        for inc in decoder.finish() {
            tally.incomplete += 1;
            if !a.brief {
                render::incomplete(&mut t, json, &inc)?;
            }
        }
    }
    out.write_all(&t.buf)?;
    out.flush()?;
    if let Some(what) = contents.not_wpan() {
        eprintln!("note: {what}");
    }
    eprintln!("{}", tally.summary());
    Ok(tally.status())
}

/// Decodes one packet of a capture or of live traffic (802.15.4 frame somewhere in it, or
/// 6LoWPAN in Ethernet) and renders it into `t`, with the datagrams given up on so far.
fn decode_packet(
    a: &DecodeArgs,
    decoder: &mut Decoder,
    tracker: &mut Tracker,
    tally: &mut Tally,
    contents: &mut crate::hints::Contents,
    t: &mut Text,
    pkt: &Packet<'_>,
) -> anyhow::Result<()> {
    let (number, ts, linktype) = (pkt.number, pkt.ts, pkt.linktype);
    let json = a.json;
    let render_frame = frame_renderer(json);
    if let Some(b) = ble_packet(pkt) {
        match decode_ble(tracker, decoder, &b, number, ts) {
            Ok((report, br)) => {
                tally.add(&report);
                let link = render::Link {
                    ts,
                    linktype,
                    encap: None,
                    snapped: None,
                    ble: Some(&br),
                };
                if a.brief {
                    brief::ble_frame(t, &report, &br, ts);
                } else {
                    render_frame(t, &report, &link)?;
                }
            }
            Err(why) => {
                tally.frames += 1;
                tally.not_wpan += 1;
                if a.brief {
                    brief::other(t, number, ts, &why);
                } else {
                    render::skipped(t, json, number, ts, linktype, &why)?;
                }
            }
        }
        return Ok(());
    }
    // 6LoWPAN over MS/TP, NFC LLCP or G.9959.
    if let Some(kind) = link_kind(linktype) {
        let report = decoder.decode_link_frame(kind, pkt.data, number, ts.as_nanos());
        tally.add(&report);
        let link = render::Link {
            ts,
            linktype,
            encap: None,
            snapped: None,
            ble: None,
        };
        if a.brief {
            brief::frame(t, &report, ts);
        } else {
            render_frame(t, &report, &link)?;
        }
        return continue_after(decoder, tally, t, json, a.brief);
    }
    // 6LoWPAN straight in Ethernet (EtherType 0xA0ED), or an 802.15.4 frame somewhere.
    let lowpan_eth = lowpan_ethernet(pkt);
    let found = match &lowpan_eth {
        Some(_) => Ok(None),
        None => wpan_frame(pkt).map(Some),
    };
    match found {
        Ok(None) => {
            let Some(l) = &lowpan_eth else {
                return Ok(());
            };
            let (report, encap) = decode_ethertype(decoder, l, number, ts);
            tally.add(&report);
            let link = render::Link {
                ts,
                linktype,
                encap: Some(&encap),
                snapped: None,
                ble: None,
            };
            if a.brief {
                brief::frame(t, &report, ts);
            } else {
                render_frame(t, &report, &link)?;
            }
        }
        Ok(Some(Wpan::Frame(w))) => {
            let (fcs, snapped) = frame_fcs(pkt, &w);
            let report = decoder.decode_frame(w.frame, fcs, number, ts.as_nanos());
            tally.add(&report);
            let link = render::Link {
                ts,
                linktype,
                encap: Some(&w.encap),
                snapped,
                ble: None,
            };
            if a.brief {
                brief::frame(t, &report, ts);
            } else {
                render_frame(t, &report, &link)?;
            }
            if a.hexdump {
                hexdump::frame(t, w.frame, fcs, &report)?;
            }
        }
        Ok(Some(Wpan::NotWpan(why))) => {
            tally.frames += 1;
            tally.not_wpan += 1;
            contents.note(pkt);
            if a.brief {
                brief::other(t, number, ts, &why.to_string());
            } else {
                render::skipped(t, json, number, ts, linktype, &why)?;
            }
        }
        Err(e) => {
            tally.frames += 1;
            tally.errors += 1;
            if a.brief {
                brief::other(t, number, ts, &format!("! {e:#}"));
            } else {
                let at = e.zep_location();
                render::link_error(t, json, number, ts, linktype, &format!("{e:#}"), at)?;
            }
        }
    }
    continue_after(decoder, tally, t, json, a.brief)
}

/// After a frame: the datagrams given up on so far (listed, except in --brief).
fn continue_after(
    decoder: &mut Decoder,
    tally: &mut Tally,
    t: &mut Text,
    json: bool,
    brief: bool,
) -> anyhow::Result<()> {
    for inc in decoder.take_expired() {
        tally.incomplete += 1;
        if !brief {
            render::incomplete(t, json, &inc)?;
        }
    }
    Ok(())
}

fn decode_hex(a: &DecodeArgs, out: &mut Output) -> anyhow::Result<Status> {
    let mut decoder = a.common.decoder()?;
    let mut tally = Tally::default();
    crate::hints::text_stdin("hex 802.15.4 frames, one per line,");
    let stdin = std::io::stdin();
    let fcs = if a.fcs { FcsMode::Crc16 } else { FcsMode::None };
    let mut number = 0u64;
    let mut input = stdin.lock();
    let mut line = Vec::new();
    let mut t = Text::new(out.color);
    let render_frame = frame_renderer(a.json);
    while let Some(fits) = read_bounded_line(&mut input, &mut line).context("reading stdin")? {
        let text: String = String::from_utf8_lossy(&line)
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ':')
            .collect();
        if fits && (text.is_empty() || text.starts_with('#')) {
            continue;
        }
        number += 1;
        // -c and --frames count the frames (non-blank lines) given.
        if a.select.selection().done(number, tally.frames) {
            break;
        }
        // A bad line is reported and counted as a frame that failed; the next line goes on.
        let parsed = if fits {
            hex::decode(&text).map_err(|e| format!("not hex: {e}"))
        } else {
            Err(format!(
                "longer than {HEX_LINE_LIMIT} characters (an 802.15.4 frame is at most 2,047 octets)"
            ))
        };
        let bytes = match parsed {
            Ok(b) => b,
            Err(e) => {
                tally.frames += 1;
                tally.errors += 1;
                if a.json {
                    // The failure is a line of its own, as for every frame counted as failed.
                    json::input_error(&mut t, number, &e)?;
                } else {
                    out.write_all(&t.buf)?;
                    t.clear();
                    out.flush()?;
                    eprintln!("ietfwg: line {number}: {e}");
                }
                continue;
            }
        };
        let report = if a.payload {
            let (src, dst) = (a.src.unwrap_or_default(), a.dst.unwrap_or_default());
            decoder.decode_payload(&bytes, src, dst, number, 0)
        } else {
            decoder.decode_frame(&bytes, fcs, number, 0)
        };
        if !a.select.selection().wants(number) {
            continue;
        }
        tally.add(&report);
        if a.brief {
            brief::frame(&mut t, &report, Timestamp { secs: 0, nanos: 0 });
        } else {
            let link = render::Link {
                ts: Timestamp { secs: 0, nanos: 0 },
                linktype: 0,
                encap: None,
                snapped: None,
                ble: None,
            };
            render_frame(&mut t, &report, &link)?;
            if a.hexdump {
                hexdump::frame(&mut t, &bytes, fcs, &report)?;
            }
        }
        if t.buf.len() >= CHUNK || out.stdout_tty {
            out.write_all(&t.buf)?;
            t.clear();
        }
    }
    for inc in decoder.finish() {
        tally.incomplete += 1;
        render::incomplete(&mut t, a.json, &inc)?;
    }
    out.write_all(&t.buf)?;
    out.flush()?;
    if number == 0 {
        bail!("no hex frames on stdin");
    }
    eprintln!("{}", tally.summary());
    Ok(tally.status())
}

/// A frame `--frames`/`-c` did not select: decoded only so that fragments it carries reach the
/// reassembler (and expired datagrams are dropped), nothing shown.
fn feed_unselected(decoder: &mut Decoder, tracker: &mut Tracker, pkt: &Packet<'_>) {
    let (number, ts) = (pkt.number, pkt.ts);
    if let Some(kind) = link_kind(pkt.linktype) {
        decoder.decode_link_frame(kind, pkt.data, number, ts.as_nanos());
    } else if let Some(b) = ble_packet(pkt) {
        let _ = decode_ble(tracker, decoder, &b, number, ts);
    } else if let Some(l) = lowpan_ethernet(pkt) {
        decode_ethertype(decoder, &l, number, ts);
    } else if let Ok(Wpan::Frame(w)) = wpan_frame(pkt) {
        let (fcs, _) = frame_fcs(pkt, &w);
        decoder.decode_frame(w.frame, fcs, number, ts.as_nanos());
    }
    decoder.take_expired();
}

/// The 6LoWPAN link (other than 802.15.4) a capture's link type holds.
fn link_kind(linktype: u32) -> Option<ietfwg_6lo::link::LinkKind> {
    use ietfwg_6lo::link::LinkKind;
    match linktype {
        linktype::BACNET_MS_TP => Some(LinkKind::Mstp),
        linktype::NFC_LLCP => Some(LinkKind::NfcLlcp),
        linktype::ZWAVE_R1_R2 => Some(LinkKind::G9959),
        _ => None,
    }
}

fn ble_direction(d: BleDirection) -> ble::Direction {
    match d {
        BleDirection::CentralToPeripheral => ble::Direction::CentralToPeripheral,
        BleDirection::PeripheralToCentral => ble::Direction::PeripheralToCentral,
        BleDirection::HostToController => ble::Direction::HostToController,
        BleDirection::ControllerToHost => ble::Direction::ControllerToHost,
    }
}

/// One packet of a Bluetooth LE capture: its link layer through the connection tracker, and
/// the L2CAP SDU it completes on an IPSP channel through the 6LoWPAN decoder, with the link
/// addresses RFC 7668 §3.2.2 derives IIDs from. `Err`: not a Bluetooth LE packet (why).
pub(super) fn decode_ble<'a>(
    tracker: &mut Tracker,
    decoder: &mut Decoder,
    b: &Ble<'_>,
    number: u64,
    ts: Timestamp,
) -> Result<(FrameReport<'a>, BleReport), String> {
    let (mut f, offset) = match b {
        Ble::Ll {
            packet,
            offset,
            advertising,
            direction,
            ..
        } => {
            let f = tracker.ll_packet(packet, *advertising, direction.map(ble_direction), number);
            (f, *offset)
        }
        Ble::Hci {
            kind,
            packet,
            offset,
            direction,
            adapter,
        } => {
            let h4 = match kind {
                ietfwg_capture::HciType::Command => 1,
                ietfwg_capture::HciType::Acl => 2,
                ietfwg_capture::HciType::Sco => 3,
                ietfwg_capture::HciType::Event => 4,
                ietfwg_capture::HciType::Iso => 5,
            };
            let f = tracker.hci_packet(
                h4,
                packet,
                direction.map(ble_direction),
                adapter.unwrap_or(0),
                number,
            );
            (f, *offset)
        }
        Ble::MonitorOther {
            opcode,
            adapter,
            new_index_address,
        } => (
            tracker.monitor_record(*adapter, *opcode, *new_index_address),
            0,
        ),
        Ble::NotBle(why) => return Err(why.clone()),
    };
    // Offsets in the captured packet, past the pseudo-header.
    f.error = f.error.map(|e| {
        let at = e.offset() + offset;
        e.at(at)
    });
    let mut report = FrameReport::empty(number);
    if let Some(e) = f.error {
        report.error = Some(e);
    } else if let Some(sdu) = f.sdu {
        match ble::check_dispatch(&sdu.bytes) {
            Ok(()) => {
                report =
                    decoder.decode_payload(&sdu.bytes, sdu.src, sdu.dst, number, ts.as_nanos());
                if let (Some(d), Some(s)) = (report.datagram.as_mut(), &f.report.sdu) {
                    d.frames.clone_from(&s.frames);
                }
            }
            Err(e) => report.error = Some(e),
        }
    }
    Ok((report, f.report))
}

/// A bare 6LoWPAN payload from an Ethernet frame of the LoWPAN EtherType (RFC 7973): the MAC
/// addresses stand for the link addresses (RFC 2464 §4), and the encapsulation says so.
fn decode_ethertype<'a>(
    decoder: &mut Decoder,
    l: &LowpanEthernet<'_>,
    number: u64,
    ts: Timestamp,
) -> (FrameReport<'a>, Encap) {
    let report = decoder.decode_payload(
        l.payload,
        LinkAddr::from_eui48(l.src),
        LinkAddr::from_eui48(l.dst),
        number,
        ts.as_nanos(),
    );
    let mac = |m: [u8; 6]| {
        m.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let encap = Encap::LowpanEthertype {
        src: mac(l.src),
        dst: mac(l.dst),
        vlans: l.vlans.clone(),
    };
    (report, encap)
}

/// How an output path is named in messages: `-` is standard output.
pub(crate) fn output_label(path: &str) -> &str {
    if path == "-" {
        "standard output"
    } else {
        path
    }
}

/// The longest stdin line `--hex` takes: the largest 802.15.4 frame (2,047 octets, a SUN PHY
/// frame of IEEE 802.15.4-2015) as hex with a separator after every octet fits well within it.
const HEX_LINE_LIMIT: usize = 16 * 1024;

/// Reads one line (without its newline) into `line`, storing at most [`HEX_LINE_LIMIT`] bytes:
/// `Some(true)` a line, `Some(false)` a line that was longer (the rest of it is skipped
/// without being stored), `None` at the end of input.
fn read_bounded_line(r: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    line.clear();
    let mut fits = true;
    let mut any = false;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(any.then_some(fits));
        }
        any = true;
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        let room = HEX_LINE_LIMIT.saturating_sub(line.len());
        if chunk.len() > room {
            fits = false;
        }
        if fits {
            line.extend_from_slice(chunk);
        }
        let used = done.unwrap_or(buf.len());
        r.consume(used);
        if done.is_some() {
            return Ok(Some(fits));
        }
    }
}

fn decompress(a: &DecompressArgs, out: &Output) -> anyhow::Result<Status> {
    let mut decoder = a.common.decoder()?;
    // Only the datagrams and the verdicts are written: no summary, ND or MLE is built, and a
    // frame that is one whole IPHC datagram gets no 6LoWPAN report (only the fragment headers
    // of frames that complete no datagram are read below).
    decoder.set_datagrams_only(true);
    decoder.set_whole_iphc_unreported(true);
    crate::hints::capture_stdin(&a.input, "ietfwg 6lo decompress")?;
    // The capture is read on another thread, batch by batch.
    let (mut reader, len) = ThreadedReader::open(&a.input)?;
    // Raw IPv4/IPv6 datagrams.
    let mut writer = CaptureWriter::create(&a.output, Format::Pcap, linktype::RAW)
        .with_context(|| format!("creating {}", a.output))?;
    let mut tally = Tally::default();
    let mut no_ipv6 = 0u64;
    let bar = progress_bar(len, out, a.output != "-");
    let sel = a.select.selection();
    let mut stopped = false;
    let mut tracker = Tracker::new(ble::Limits::default());
    'read: while let Some(mut batch) = reader.next_batch() {
        // One report for the batch's frames: the decoder decompresses each datagram into the
        // buffers of the previous one (`decode_frame_into`) instead of allocating them anew.
        let mut reused = FrameReport::default();
        for pkt in batch.packets() {
            let (number, ts) = (pkt.number, pkt.ts);
            if sel.done(number, tally.frames) {
                stopped = true;
                break 'read;
            }
            if !sel.wants(number) {
                // Read for reassembly only: a datagram is written when a selected frame completes it.
                feed_unselected(&mut decoder, &mut tracker, &pkt);
                continue;
            }
            let ble = ble_packet(&pkt);
            let lowpan_eth = if ble.is_some() {
                None
            } else {
                lowpan_ethernet(&pkt)
            };
            let found = match (&ble, &lowpan_eth) {
                (Some(_), _) => Ok(Ok(None)),
                (None, Some(l)) => Ok(Err(l)),
                (None, None) => wpan_frame(&pkt).map(|w| Ok(Some(w))),
            };
            // A report the decoder returned rather than wrote into `reused`.
            let owned_report;
            let report = match found {
                // 6LoWPAN over MS/TP, NFC LLCP or G.9959.
                _ if link_kind(pkt.linktype).is_some() => match link_kind(pkt.linktype) {
                    Some(kind) => {
                        owned_report =
                            decoder.decode_link_frame(kind, pkt.data, number, ts.as_nanos());
                        &owned_report
                    }
                    None => continue,
                },
                Ok(Ok(None)) => {
                    let Some(b) = &ble else { continue };
                    match decode_ble(&mut tracker, &mut decoder, b, number, ts) {
                        Ok((report, _)) => {
                            owned_report = report;
                            &owned_report
                        }
                        Err(_) => {
                            tally.frames += 1;
                            tally.not_wpan += 1;
                            no_ipv6 += 1;
                            continue;
                        }
                    }
                }
                Ok(Err(l)) => {
                    owned_report = decode_ethertype(&mut decoder, l, number, ts).0;
                    &owned_report
                }
                Ok(Ok(Some(Wpan::Frame(w)))) => {
                    let (fcs, _) = frame_fcs(&pkt, &w);
                    decoder.decode_frame_into(w.frame, fcs, number, ts.as_nanos(), &mut reused);
                    &reused
                }
                Ok(Ok(Some(Wpan::NotWpan(_)))) => {
                    tally.frames += 1;
                    tally.not_wpan += 1;
                    no_ipv6 += 1;
                    continue;
                }
                Err(e) => {
                    tally.frames += 1;
                    tally.errors += 1;
                    eprintln!("frame {number}: {e:#}");
                    continue;
                }
            };
            tally.add(report);
            if let Some(e) = &report.error {
                eprintln!("frame {number}: {}", render::Hinted(e));
            } else if let Some(e) = report
                .datagram
                .as_ref()
                .filter(|d| d.ipv6.is_some())
                .and_then(|d| d.ipv6_error.as_ref())
            {
                eprintln!("frame {number}: malformed datagram written as captured: {e}");
            }
            match &report.datagram {
                // Only what reads as IPv6 goes out; a datagram that does not even start with an
                // IPv6 header (a corrupt 0x41 frame) is reported instead.
                Some(d) if d.ipv6.is_some() => writer
                    .write(ts, &d.bytes)
                    .with_context(|| format!("writing to {}", output_label(&a.output)))?,
                Some(d) => {
                    let why = d
                        .ipv6_error
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    eprintln!("frame {number}: datagram not written: {why}");
                }
                None if report
                    .lowpan
                    .as_ref()
                    .is_some_and(|l| l.fragment.is_some() || l.rfrag.is_some()) => {}
                None => no_ipv6 += 1,
            }
            for inc in decoder.take_expired() {
                tally.incomplete += 1;
                eprintln!("{}", render::incomplete_line(&inc));
            }
        }
        drop(reused);
        if let Some(b) = &bar {
            b.set_position(batch.bytes_read);
        }
        if let Some(e) = batch.error.take() {
            return Err(e.into());
        }
        reader.recycle(batch);
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    for inc in decoder.finish().into_iter().filter(|_| !stopped) {
        tally.incomplete += 1;
        eprintln!("{}", render::incomplete_line(&inc));
    }
    let mut w = writer
        .finish()
        .with_context(|| format!("writing to {}", output_label(&a.output)))?;
    w.flush()
        .with_context(|| format!("writing to {}", output_label(&a.output)))?;
    eprintln!(
        "{}; {} datagrams written to {}, {} frames carried no IPv6",
        tally.summary(),
        tally.datagrams,
        a.output,
        no_ipv6
    );
    Ok(tally.status())
}
