//! `ietfwg 6lo …`: decode and decompress IEEE 802.15.4 / 6LoWPAN captures.

mod compress;
mod render;

use std::io::{BufRead, Write};

use anyhow::{bail, Context as _};
use clap::Subcommand;
use ietfwg_6lo::encap;
use ietfwg_6lo::lowpan::{Decoder, FrameReport};
use ietfwg_6lo::mac::FcsMode;
use ietfwg_6lo::reassembly::Limits;
use ietfwg_6lo::{ContextTable, LinkAddr};
use ietfwg_capture::{
    linktype, wpan_frame, CaptureWriter, Format, Packet, Timestamp, Wpan, WpanFrame,
};

use crate::output::Output;
use crate::pipeline::ThreadedReader;
use crate::text::Text;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// Options every 6lo command shares.
#[derive(Debug, clap::Args)]
struct Common {
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
}

impl Common {
    fn decoder(&self) -> anyhow::Result<Decoder> {
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
        Ok(decoder)
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One entry per frame: MAC header, every 6LoWPAN header, the decompressed IPv6 header and
    /// UDP/ICMPv6 summary; fragments name their datagram and where it completed.
    Decode(DecodeArgs),
    /// Write the IPv6 datagrams a capture carries, decompressed and reassembled, as a pcap of
    /// link type 101 (raw IP), one datagram per packet, stamped with the completing frame's time.
    Decompress(DecompressArgs),
    /// Compress the IPv6 datagrams of a capture (IP link types, or 802.15.4 frames of any
    /// 6LoWPAN form) into 6LoWPAN/IPHC over 802.15.4 frames, fragmenting as needed; writes a
    /// pcap of link type 230 (195 with --fcs).
    Compress(compress::CompressArgs),
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

    #[command(flatten)]
    common: Common,
}

#[derive(Debug, clap::Args)]
struct DecompressArgs {
    /// pcap or pcapng file of 802.15.4 frames; `-` reads stdin.
    #[arg(value_name = "IN")]
    input: String,

    /// The pcap to write (`-` for stdout).
    #[arg(short, long, value_name = "OUT")]
    output: String,

    #[command(flatten)]
    common: Common,
}

pub fn run(args: Args, mut out: Output) -> anyhow::Result<Status> {
    match args.command {
        Command::Decode(a) => {
            if a.json {
                out.set_json();
            }
            let status = if a.hex {
                decode_hex(&a, &mut out)
            } else {
                decode_capture(&a, &mut out)
            }?;
            out.flush()?;
            Ok(status)
        }
        Command::Decompress(a) => decompress(&a, &out),
        Command::Compress(a) => compress::run(&a, &out),
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
}

impl Tally {
    fn add(&mut self, r: &FrameReport<'_>) {
        self.frames += 1;
        // A frame fails when it does not decode, or when the datagram it completes is malformed.
        self.errors += u64::from(
            r.error.is_some() || r.datagram.as_ref().is_some_and(|d| d.ipv6_error.is_some()),
        );
        self.datagrams += u64::from(r.datagram.is_some());
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
fn frame_fcs(pkt: &Packet<'_>, w: &WpanFrame<'_>) -> (FcsMode, Option<(usize, u32)>) {
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
    // The capture is read on another thread, batch by batch.
    let (mut reader, len) = ThreadedReader::open(&a.input)?;
    let mut tally = Tally::default();
    let bar = progress_bar(len, out, !out.stdout_tty);
    let json = a.json;
    // Records are rendered into one buffer, handed to the output in large chunks.
    let mut t = Text::new(out.color);
    let render_frame = frame_renderer(json);
    while let Some(mut batch) = reader.next_batch() {
        for pkt in batch.packets() {
            let (number, ts, linktype) = (pkt.number, pkt.ts, pkt.linktype);
            match wpan_frame(&pkt) {
                Ok(Wpan::Frame(w)) => {
                    let (fcs, snapped) = frame_fcs(&pkt, &w);
                    let report = decoder.decode_frame(w.frame, fcs, number, ts.as_nanos());
                    tally.add(&report);
                    let link = render::Link {
                        ts,
                        linktype,
                        encap: Some(&w.encap),
                        snapped,
                    };
                    render_frame(&mut t, &report, &link)?;
                }
                Ok(Wpan::NotWpan(why)) => {
                    tally.frames += 1;
                    tally.not_wpan += 1;
                    render::skipped(&mut t, json, number, ts, linktype, &why)?;
                }
                Err(e) => {
                    tally.frames += 1;
                    tally.errors += 1;
                    render::link_error(&mut t, json, number, ts, linktype, &format!("{e:#}"))?;
                }
            }
            for inc in decoder.take_expired() {
                tally.incomplete += 1;
                render::incomplete(&mut t, json, &inc)?;
            }
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
    for inc in decoder.finish() {
        tally.incomplete += 1;
        render::incomplete(&mut t, json, &inc)?;
    }
    out.write_all(&t.buf)?;
    out.flush()?;
    eprintln!("{}", tally.summary());
    Ok(tally.status())
}

fn decode_hex(a: &DecodeArgs, out: &mut Output) -> anyhow::Result<Status> {
    let mut decoder = a.common.decoder()?;
    let mut tally = Tally::default();
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
                out.write_all(&t.buf)?;
                t.clear();
                out.flush()?;
                eprintln!("ietfwg: line {number}: {e}");
                continue;
            }
        };
        let report = if a.payload {
            let (src, dst) = (a.src.unwrap_or_default(), a.dst.unwrap_or_default());
            decoder.decode_payload(&bytes, src, dst, number, 0)
        } else {
            decoder.decode_frame(&bytes, fcs, number, 0)
        };
        tally.add(&report);
        let link = render::Link {
            ts: Timestamp { secs: 0, nanos: 0 },
            linktype: 0,
            encap: None,
            snapped: None,
        };
        render_frame(&mut t, &report, &link)?;
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
    let (mut reader, len) = ThreadedReader::open(&a.input)?;
    // Raw IPv4/IPv6 datagrams.
    let mut writer = CaptureWriter::create(&a.output, Format::Pcap, linktype::RAW)
        .with_context(|| format!("creating {}", a.output))?;
    let mut tally = Tally::default();
    let mut no_ipv6 = 0u64;
    let bar = progress_bar(len, out, a.output != "-");
    while let Some(mut batch) = reader.next_batch() {
        for pkt in batch.packets() {
            let (number, ts) = (pkt.number, pkt.ts);
            let report = match wpan_frame(&pkt) {
                Ok(Wpan::Frame(w)) => {
                    let (fcs, _) = frame_fcs(&pkt, &w);
                    decoder.decode_frame(w.frame, fcs, number, ts.as_nanos())
                }
                Ok(Wpan::NotWpan(_)) => {
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
            tally.add(&report);
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
    for inc in decoder.finish() {
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
