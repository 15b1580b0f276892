//! `ietfwg ikev2 …`: decode IKEv2 (and label IKEv1, ESP, keepalives) from captures or a live
//! interface.
//!
//! | module | role |
//! |---|---|
//! | [`stream`] | packets → [`stream::Event`]s: the capture's IP/TCP reassembly feeding the library's [`Decoder`](ietfwg_ikev2::decoder::Decoder) (the driver every `ikev2` command shares) |
//! | [`render`] | `decode`'s text and NDJSON output |
//! | [`summary`] | `summary` and `audit`: the capture into the SA analysis, rendered |
//! | [`replay`], [`probe`] | sending IKE_SA_INIT with the library's initiators; [`net`] moves the datagrams |

pub mod net;
pub mod probe;
pub mod render;
pub mod replay;
pub mod stream;
pub mod summary;

use std::io::Write as _;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, Context as _};
use clap::Subcommand;
use ietfwg_ikev2::crypto::keytable::{self, SaKeys};
use ietfwg_ikev2::decoder::{Decoded, Decryption, FragmentState};

use crate::output::Output;
use crate::text::Text;
use crate::Status;
use ietfwg_capture::live::LiveCapture;
use ietfwg_capture::{CaptureReader, Packet};

use stream::{Event, IkeStream, Pushed};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One entry per IKE message (UDP 500, UDP 4500 after the non-ESP marker, TCP 4500 per RFC
    /// 9329): endpoints, transport, header, every payload; ESP packets and NAT-keepalives
    /// summarised. With --keys, SK/SKF payloads are decrypted and fragments reassembled.
    Decode(DecodeArgs),
    /// One block per IKE SA: the exchange ladder, what the initiator offered and the responder
    /// chose, NAT detection, fragmentation, retransmissions, unanswered requests, and every
    /// error explained with what to check. Exit 1 when an SA failed.
    Summary(summary::AnalysisArgs),
    /// Rates every offered and chosen IKE transform against RFC 8247 (and RFC 9395's
    /// deprecations). Exit 1 when a MUST NOT is chosen or offered first.
    Audit(summary::AnalysisArgs),
    /// Sends each recorded IKE SA's IKE_SA_INIT again (fresh SPI, nonce and key exchange) to a
    /// responder, acts on COOKIE, INVALID_KE_PAYLOAD and REDIRECT, and compares the answers;
    /// with --psk, completes IKE_AUTH.
    Replay(replay::ReplayArgs),
    /// Sends IKE_SA_INIT offers to a responder and reports which it accepts (--scan walks each
    /// transform type), rated against RFC 8247. Nothing is sent after IKE_SA_INIT.
    Probe(probe::ProbeArgs),
}

/// Where packets come from: a capture file (or stdin), or an interface.
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// pcap or pcapng file; `-` reads stdin.
    #[arg(value_name = "FILE", default_value = "-", conflicts_with = "interface")]
    pub input: String,

    /// Capture live from this interface instead (needs root or CAP_NET_RAW); Ctrl-C stops.
    #[arg(short, long, value_name = "IFACE")]
    pub interface: Option<String>,

    /// Stop after this many IKE messages (IKEv2 or IKEv1).
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,

    /// Wireshark `ikev2_decryption_table` file: decrypt SK and SKF payloads of the IKE SAs it
    /// lists.
    #[arg(long, value_name = "FILE")]
    pub keys: Option<String>,
}

#[derive(Debug, clap::Args)]
struct DecodeArgs {
    #[command(flatten)]
    source: SourceArgs,

    /// NDJSON: one object per message.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args, mut out: Output) -> anyhow::Result<Status> {
    match args.command {
        Command::Decode(a) => {
            if a.json {
                out.set_json();
            }
            let status = decode_cmd(&a, &mut out);
            out.flush()?;
            status
        }
        Command::Summary(a) => {
            if a.json {
                out.set_json();
            }
            summary::summary_cmd(&a, &mut out)
        }
        Command::Audit(a) => {
            if a.json {
                out.set_json();
            }
            summary::audit_cmd(&a, &mut out)
        }
        Command::Replay(a) => replay::run(a, out),
        Command::Probe(a) => probe::run(a, out),
    }
}

/// Octets a `--keys` table may hold: far more than any capture's SAs need (a line of the
/// largest keys is under 1 KiB), and a bound on what a wrong file (a disk image, `/dev/zero`)
/// can make the process read.
pub const MAX_KEY_TABLE: u64 = 16 << 20;
/// Octets one line of a `--keys` table may hold.
pub const MAX_KEY_LINE: usize = 4096;

/// Reads and parses a `--keys` table; errors name the line and column. The file is read up to
/// [`MAX_KEY_TABLE`] octets and [`MAX_KEY_LINE`] per line; a line that is not UTF-8 is named.
pub fn load_keys(path: &str) -> anyhow::Result<Vec<SaKeys>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).with_context(|| format!("reading --keys {path}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_KEY_TABLE + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading --keys {path}"))?;
    if bytes.len() as u64 > MAX_KEY_TABLE {
        return Err(anyhow!(
            "--keys {path}: larger than the limit of {MAX_KEY_TABLE} octets for a key table"
        ));
    }
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.len() > MAX_KEY_LINE {
            return Err(anyhow!(
                "--keys {path}: line {} is longer than the limit of {MAX_KEY_LINE} octets",
                i + 1
            ));
        }
        if let Err(e) = std::str::from_utf8(line) {
            return Err(anyhow!(
                "--keys {path}: line {} is not UTF-8 text (octet {} of the line)",
                i + 1,
                e.valid_up_to() + 1
            ));
        }
    }
    // Every line is UTF-8, so the whole is.
    let text = String::from_utf8(bytes).map_err(|e| anyhow!("--keys {path}: {e}"))?;
    keytable::parse_table(&text).map_err(|e| anyhow!("--keys {path}: {e}"))
}

/// A capture file or a live interface, handing out packets the same way.
pub enum Source {
    /// A pcap/pcapng file or stdin.
    File(CaptureReader),
    /// An interface.
    Live(Live),
}

/// A live capture. On a loopback interface an AF_PACKET socket sees every packet twice (once
/// leaving, once arriving; libpcap drops the outgoing copy, pnet cannot tell them apart): a
/// frame identical to the previous one and less than [`LOOPBACK_TWIN_NS`] after it is skipped
/// there, and frames are numbered as kept.
#[derive(Debug)]
pub struct Live {
    cap: LiveCapture,
    loopback: bool,
    prev: Vec<u8>,
    prev_ns: u64,
    number: u64,
}

/// How close in time the second copy of a loopback frame arrives.
pub const LOOPBACK_TWIN_NS: u64 = 5_000_000;

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(_) => f.write_str("Source::File"),
            Source::Live(l) => write!(f, "Source::Live({:?})", l.cap),
        }
    }
}

impl Source {
    /// Opens what `a` names; for an interface, Ctrl-C stops the capture.
    pub fn open(a: &SourceArgs) -> anyhow::Result<Source> {
        match &a.interface {
            Some(iface) => {
                let cap = LiveCapture::open(iface)?;
                let stop: Arc<AtomicBool> = cap.stop_flag();
                ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
                    .context("installing the Ctrl-C handler")?;
                let loopback = pnet_datalink::interfaces()
                    .iter()
                    .any(|i| i.name == *iface && i.is_loopback());
                Ok(Source::Live(Live {
                    cap,
                    loopback,
                    prev: Vec::new(),
                    prev_ns: 0,
                    number: 0,
                }))
            }
            None => Ok(Source::File(CaptureReader::open(&a.input)?)),
        }
    }

    /// The next packet, `None` at the end (or once stopped).
    pub fn next_packet(&mut self) -> anyhow::Result<Option<Packet<'_>>> {
        let live = match self {
            Source::File(r) => return Ok(r.next_packet()?),
            Source::Live(l) => l,
        };
        let Live {
            cap,
            loopback,
            prev,
            prev_ns,
            number,
        } = live;
        let (ts, linktype, orig_len) = loop {
            let Some(p) = cap.next_packet()? else {
                return Ok(None);
            };
            let ns = p.ts.as_nanos();
            let twin = *loopback
                && p.data == prev.as_slice()
                && ns.saturating_sub(*prev_ns) < LOOPBACK_TWIN_NS;
            if twin {
                // Once: a third identical frame is a real repetition.
                prev.clear();
                continue;
            }
            prev.clear();
            prev.extend_from_slice(p.data);
            *prev_ns = ns;
            break (p.ts, p.linktype, p.orig_len);
        };
        *number += 1;
        Ok(Some(Packet {
            number: *number,
            ts,
            linktype,
            data: prev,
            orig_len,
        }))
    }

    fn is_live(&self) -> bool {
        matches!(self, Source::Live(_))
    }
}

/// What a run saw: the closing line on stderr and the exit status.
#[derive(Debug, Default)]
struct Tally {
    ikev2: u64,
    ikev1: u64,
    esp: u64,
    keepalives: u64,
    decrypted: u64,
    reassembled: u64,
    errors: u64,
}

impl Tally {
    fn add(&mut self, d: &Decoded) {
        match d {
            Decoded::Ikev2(x) => {
                self.ikev2 += 1;
                if let Some(Decryption::Done(opened)) = x.encrypted.as_ref().map(|e| &e.decryption)
                {
                    self.decrypted += u64::from(opened.decrypted.icv_ok);
                    self.reassembled +=
                        u64::from(matches!(opened.fragments, Some(FragmentState::Complete(_))));
                }
            }
            Decoded::Ikev1(_) => self.ikev1 += 1,
            Decoded::Esp { .. } => self.esp += 1,
            Decoded::Keepalive => self.keepalives += 1,
            Decoded::Transport(_) => {}
        }
        self.errors += u64::from(d.is_error());
    }

    fn messages(&self) -> u64 {
        self.ikev2 + self.ikev1
    }

    fn summary(&self, with_keys: bool) -> String {
        let mut s = format!(
            "{} IKE messages ({} IKEv2, {} IKEv1), {} ESP, {} keepalives",
            self.messages(),
            self.ikev2,
            self.ikev1,
            self.esp,
            self.keepalives
        );
        if with_keys {
            s += &format!(
                ", {} decrypted, {} reassembled from fragments",
                self.decrypted, self.reassembled
            );
        }
        s += &format!(", {} errors", self.errors);
        s
    }
}

fn progress_bar(src: &Source, out: &Output) -> Option<indicatif::ProgressBar> {
    // A bar only where a person watches stderr and stdout is not interleaving lines with it.
    let Source::File(reader) = src else {
        return None;
    };
    let len = reader.len()?;
    if out.stdout_tty || !out.stderr_tty {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {wide_bar} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

/// Rendered entries are handed to the output once this many bytes have gathered.
const CHUNK: usize = 64 * 1024;
/// Entries the decoding thread hands over at a time, and batches in flight: the memory the
/// pipeline holds is bounded by these, whatever the capture's size.
const BATCH: usize = 256;
const BATCHES_IN_FLIGHT: usize = 4;

/// What the decoding side hands the rendering side.
#[derive(Debug)]
pub enum Item {
    /// A decoded IKE message, ESP packet, keepalive or IKE-port problem.
    Event(Event),
    /// A packet whose IP/UDP/TCP headers did not decode.
    BadPacket {
        frame: u64,
        ts: ietfwg_capture::Timestamp,
        msg: String,
    },
}

/// What turns one decoded entry into output bytes: the text or the NDJSON renderer. Both append
/// to the same buffer, which is handed to the output in large chunks.
pub type EntryRenderer = fn(&mut Text, &Item) -> anyhow::Result<()>;

fn entry_renderer(json: bool) -> EntryRenderer {
    if json {
        |t, item| match item {
            Item::Event(ev) => render::entry_json(t, ev),
            Item::BadPacket { frame, ts, msg } => render::packet_error_json(t, *frame, *ts, msg),
        }
    } else {
        |t, item| {
            match item {
                Item::Event(ev) => render::entry_text(t, ev),
                Item::BadPacket { frame, ts, msg } => {
                    render::packet_error_text(t, *frame, *ts, msg)
                }
            }
            Ok(())
        }
    }
}

/// Renders what arrives on `rx` into `out`, in order, until the decoding side is done.
fn render_items(
    rx: std::sync::mpsc::Receiver<Vec<Item>>,
    out: &mut Output,
    render_entry: EntryRenderer,
) -> anyhow::Result<()> {
    let mut t = Text::new(out.color);
    for batch in rx {
        for item in &batch {
            render_entry(&mut t, item)?;
        }
        if t.buf.len() >= CHUNK {
            out.write_all(&t.buf)?;
            t.clear();
        }
    }
    out.write_all(&t.buf)?;
    out.flush()?;
    Ok(())
}

fn decode_cmd(a: &DecodeArgs, out: &mut Output) -> anyhow::Result<Status> {
    let keys = a.source.keys.as_deref().map(load_keys).transpose()?;
    let with_keys = keys.is_some();
    let mut source = Source::open(&a.source)?;
    let live = source.is_live();
    let bar = progress_bar(&source, out);
    let mut stream = IkeStream::new(keys);
    let mut tally = Tally::default();
    let limit = a.source.count;
    let render_entry = entry_renderer(a.json);
    if live || out.stdout_tty {
        // One thread, each packet's entries written as soon as they are decoded.
        let mut t = Text::new(out.color);
        produce(
            &mut source,
            &mut stream,
            &mut tally,
            limit,
            None,
            1,
            |batch| {
                for item in &batch {
                    render_entry(&mut t, item)?;
                }
                out.write_all(&t.buf)?;
                out.flush()?;
                t.clear();
                Ok(true)
            },
        )?;
    } else {
        // Two stages on two cores: this thread reads packets and decodes them into owned
        // events; a second renders them, in order, and writes.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Item>>(BATCHES_IN_FLIGHT);
        std::thread::scope(|scope| -> anyhow::Result<()> {
            let renderer = scope.spawn(|| render_items(rx, out, render_entry));
            let produced = produce(
                &mut source,
                &mut stream,
                &mut tally,
                limit,
                bar.as_ref(),
                BATCH,
                |batch| Ok(tx.send(batch).is_ok()),
            );
            drop(tx);
            let rendered = renderer
                .join()
                .map_err(|_| anyhow!("the rendering thread panicked"))?;
            // A rendering (output) error stops the decoding side too: it is the cause.
            rendered?;
            produced
        })?;
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    out.flush()?;
    for note in stream.finish() {
        eprintln!("note: {note}");
    }
    eprintln!("{}", tally.summary(with_keys));
    Ok(if tally.errors > 0 {
        Status::Findings
    } else {
        Status::Ok
    })
}

/// Reads `source` to its end (or `limit` IKE messages), decoding each packet into [`Item`]s
/// handed to `sink` `batch_len` at a time; `sink` returns false to stop.
fn produce(
    source: &mut Source,
    stream: &mut IkeStream,
    tally: &mut Tally,
    limit: Option<u64>,
    bar: Option<&indicatif::ProgressBar>,
    batch_len: usize,
    mut sink: impl FnMut(Vec<Item>) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let mut batch = Vec::with_capacity(batch_len);
    while let Some(pkt) = source.next_packet()? {
        let (number, ts) = (pkt.number, pkt.ts);
        let pushed = stream.push(&pkt, |ev| {
            tally.add(&ev.decoded);
            batch.push(Item::Event(ev));
            Ok(if limit.is_some_and(|n| tally.messages() >= n) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        match pushed {
            Pushed::Done => {}
            Pushed::Stopped => break,
            Pushed::BadPacket(e) => {
                tally.errors += 1;
                batch.push(Item::BadPacket {
                    frame: number,
                    ts,
                    msg: format!("{e:#}"),
                });
            }
        }
        if batch.len() >= batch_len
            && !sink(std::mem::replace(&mut batch, Vec::with_capacity(batch_len)))?
        {
            return Ok(());
        }
        if let (Some(b), Source::File(r)) = (bar, &*source) {
            b.set_position(r.bytes_read());
        }
    }
    if !batch.is_empty() {
        sink(batch)?;
    }
    Ok(())
}
