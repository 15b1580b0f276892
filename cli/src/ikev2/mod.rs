//! `ietfwg ikev2 …`: decode IKEv2 (and label IKEv1, ESP, keepalives) from captures or a live
//! interface.
//!
//! | module | role |
//! |---|---|
//! | [`stream`] | packets → [`stream::Event`]s: the capture's IP/TCP reassembly feeding the library's [`Decoder`](ietfwg_ikev2::decoder::Decoder) (the driver every `ikev2` command shares) |
//! | [`render`] | `decode`'s text and NDJSON output |
//! | [`summary`] | `summary` and `audit`: the capture into the SA analysis, rendered |
//! | [`replay`], [`probe`] | sending IKE_SA_INIT with the library's initiators; [`net`] moves the datagrams |

pub mod brief;
pub mod esp;
pub mod hexdump;
mod json;
pub mod keys;
pub mod net;
pub mod probe;
pub mod render;
pub mod replay;
pub mod stats;
pub mod stream;
pub mod summary;

use std::io::Write as _;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, Context as _};
use clap::Subcommand;
use ietfwg_ikev2::decoder::{Decoded, Decryption, FragmentState, IcvStatus};

use crate::output::Output;
use crate::select::{FrameRange, Spi};
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
    #[command(after_help = crate::examples::IKEV2_DECODE)]
    Decode(DecodeArgs),
    /// One block per IKE SA: the exchange ladder, what the initiator offered and the responder
    /// chose, NAT detection, fragmentation, retransmissions, unanswered requests, and every
    /// error explained with what to check. Exit 1 when an SA failed.
    #[command(after_help = crate::examples::IKEV2_SUMMARY)]
    Summary(summary::AnalysisArgs),
    /// Rates every offered and chosen IKE transform against RFC 8247, and the CHILD_SA ones
    /// (when --keys decrypts them) against RFC 8221, both with RFC 9395's
    /// deprecations). Exit 1 when a MUST NOT is chosen or offered first.
    #[command(after_help = crate::examples::IKEV2_AUDIT)]
    Audit(summary::AnalysisArgs),
    /// Sends each recorded IKE SA's IKE_SA_INIT again (fresh SPI, nonce and key exchange) to a
    /// responder, acts on COOKIE, INVALID_KE_PAYLOAD and REDIRECT, and compares the answers;
    /// with --psk, completes IKE_AUTH.
    /// Counters over a capture: messages by exchange and direction, IKE SAs, conversations,
    /// IP and SKF fragments, ESP, keepalives and errors.
    #[command(after_help = crate::examples::IKEV2_STATS)]
    Stats(stats::StatsArgs),
    #[command(after_help = crate::examples::IKEV2_REPLAY)]
    Replay(replay::ReplayArgs),
    /// Sends IKE_SA_INIT offers to a responder and reports which it accepts (--scan walks each
    /// transform type), rated against RFC 8247. Nothing is sent after IKE_SA_INIT.
    #[command(after_help = crate::examples::IKEV2_PROBE)]
    Probe(probe::ProbeArgs),
    /// Prints the keys of strongSwan charon logs (filelog ike = 4, chd = 4), libreswan pluto
    /// logs (plutodebug=private) or Wireshark tables as Wireshark `ikev2_decryption_table`
    /// rows and `esp_sa` rows, for tshark and Wireshark.
    Keys(keys::KeysArgs),
    /// Decrypts ESP (IP protocol 50 and UDP-encapsulated) with CHILD_SA keys from a charon log
    /// or a Wireshark esp_sa table, checks ICVs and the anti-replay window, and writes the inner
    /// packets to a pcap or pcapng file. Exit 1 when an ICV fails or a packet is replayed.
    EspDecrypt(esp::EspDecryptArgs),
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

    /// Only what these capture frames complete: `5`, `10-20`, `100-` (to the end), `-20`.
    /// Earlier frames are still read for IP and TCP reassembly.
    #[arg(long, value_name = "RANGE")]
    pub frames: Option<FrameRange>,

    /// Keys to decrypt SK and SKF payloads with: a Wireshark `ikev2_decryption_table`, a
    /// strongSwan charon log (filelog ike = 4) or a libreswan pluto log (plutodebug=private),
    /// told apart by content. Repeatable; the files are merged.
    #[arg(long, value_name = "FILE")]
    pub keys: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct DecodeArgs {
    #[command(flatten)]
    source: SourceArgs,

    /// NDJSON: one object per message.
    #[arg(long)]
    json: bool,

    /// After each IKE message, its bytes: a hex dump, then every field's octets, name, value
    /// and RFC section (header flags broken out); with --keys, the decrypted SK plaintext too.
    /// Not with --json (a usage error: a JSON record already holds every decoded value with
    /// its offset).
    #[arg(short = 'x', long, conflicts_with = "json")]
    hexdump: bool,

    /// One line per IKE message (and ESP packet, keepalive): frame, time, endpoints,
    /// transport, exchange, [I]nitiator or [R]esponder, request or response, message ID,
    /// SPIs, and the payloads (those inside SK too, with --keys).
    #[arg(long, conflicts_with_all = ["json", "hexdump"])]
    brief: bool,

    /// Only the IKE SA with this SPI (initiator's or responder's, 16 hex digits); ESP
    /// packets and keepalives are left out. Messages are matched as they come: by the
    /// responder's SPI, the first IKE_SA_INIT request (SPIr 0) is not shown.
    #[arg(long, value_name = "SPI")]
    sa: Option<Spi>,
}

/// `--sa`: whether an event belongs to the IKE SA asked for (everything, without `--sa`).
pub fn in_sa(sa: Option<Spi>, d: &Decoded) -> bool {
    let Some(spi) = sa else {
        return true;
    };
    match d {
        Decoded::Ikev2(x) => x
            .header
            .as_ref()
            .is_some_and(|h| spi.matches(h.spi_i, h.spi_r)),
        Decoded::Ikev1(Ok(m)) => spi.matches(
            u64::from_be_bytes(m.header.initiator_cookie),
            u64::from_be_bytes(m.header.responder_cookie),
        ),
        _ => false,
    }
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
        Command::Stats(a) => stats::run(&a, &mut out),
        Command::Replay(a) => replay::run(a, out),
        Command::Probe(a) => probe::run(a, out),
        Command::Keys(a) => keys::keys_cmd(&a, &mut out),
        Command::EspDecrypt(a) => esp::esp_decrypt_cmd(&a, &mut out),
    }
}

pub use keys::load_keys;

/// A capture file or a live interface, handing out packets the same way.
pub enum Source {
    /// A pcap/pcapng file or stdin.
    File(CaptureReader),
    /// A pcap/pcapng file or stdin read on a thread of its own ([`Source::open_threaded`]).
    Threaded(crate::pipeline::ThreadedPackets),
    /// An interface.
    Live(Live),
}

/// A live capture. On a loopback interface an AF_PACKET socket sees every packet twice (once
/// leaving, once arriving; libpcap drops the outgoing copy, pnet cannot tell them apart): a
/// frame identical to one of the last [`LOOPBACK_TWINS`] kept and less than
/// [`LOOPBACK_TWIN_NS`] after it is skipped there — not only the previous one, since a fast
/// sender's next packet can leave before the last one arrives — and frames are numbered as
/// kept.
#[derive(Debug)]
pub struct Live {
    cap: LiveCapture,
    loopback: bool,
    /// On loopback, the frames kept lately whose second copy has not been seen: (time, bytes).
    unpaired: std::collections::VecDeque<(u64, Vec<u8>)>,
    current: Vec<u8>,
    number: u64,
}

/// How many kept loopback frames still wait for their second copy, at most.
pub const LOOPBACK_TWINS: usize = 64;

/// How long a kept loopback frame waits for its second copy. Every frame comes twice and each
/// copy pairs with the oldest unpaired one equal to it, so a frame sent again later is kept
/// again whatever the delay; the bound only keeps a frame whose second copy the socket lost
/// from swallowing a later repetition. Generous, as the second copy is time-stamped when it is
/// read, and a loaded machine can deliver it tens of milliseconds after the first.
pub const LOOPBACK_TWIN_NS: u64 = 1_000_000_000;

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(_) => f.write_str("Source::File"),
            Source::Threaded(_) => f.write_str("Source::Threaded"),
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
                // As `6lo decode --interface` says it: the socket is open from here on.
                eprintln!("capturing on {iface}; Ctrl-C stops");
                Ok(Source::Live(Live {
                    cap,
                    loopback,
                    unpaired: std::collections::VecDeque::new(),
                    current: Vec::new(),
                    number: 0,
                }))
            }
            None => Ok(Source::File(CaptureReader::open(&a.input)?)),
        }
    }

    /// As [`Source::open`], but a file (or stdin) is read and parsed on a second thread, so
    /// that the I/O and the pcap/pcapng parsing overlap with the analysis on the other core.
    pub fn open_threaded(a: &SourceArgs) -> anyhow::Result<Source> {
        match &a.interface {
            Some(_) => Source::open(a),
            None => Ok(Source::Threaded(crate::pipeline::ThreadedPackets::open(
                &a.input,
            )?)),
        }
    }

    /// The next packet, `None` at the end (or once stopped).
    pub fn next_packet(&mut self) -> anyhow::Result<Option<Packet<'_>>> {
        let live = match self {
            Source::File(r) => return Ok(r.next_packet()?),
            Source::Threaded(r) => return Ok(r.next_packet()?),
            Source::Live(l) => l,
        };
        let Live {
            cap,
            loopback,
            unpaired,
            current,
            number,
        } = live;
        let (ts, linktype, orig_len) = loop {
            let Some(p) = cap.next_packet()? else {
                return Ok(None);
            };
            current.clear();
            current.extend_from_slice(p.data);
            if !*loopback {
                break (p.ts, p.linktype, p.orig_len);
            }
            let ns = p.ts.as_nanos();
            unpaired.retain(|(t, _)| ns.saturating_sub(*t) < LOOPBACK_TWIN_NS);
            if let Some(i) = unpaired.iter().position(|(_, d)| d == current) {
                // The second copy of a kept frame; once: a third identical frame is a real
                // repetition.
                unpaired.remove(i);
                continue;
            }
            if unpaired.len() == LOOPBACK_TWINS {
                unpaired.pop_front();
            }
            unpaired.push_back((ns, current.clone()));
            break (p.ts, p.linktype, p.orig_len);
        };
        *number += 1;
        Ok(Some(Packet {
            number: *number,
            ts,
            linktype,
            data: current,
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
                    self.decrypted += u64::from(opened.icv() != IcvStatus::Bad);
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

/// How entries are shown: the text or NDJSON renderer, or `--brief`'s one line each, with
/// `-x`'s dump after each. Every form appends to the same buffer, which is handed to the
/// output in large chunks.
#[derive(Debug, Clone, Copy)]
struct View {
    json: bool,
    brief: bool,
    hexdump: bool,
}

impl View {
    fn render(self, t: &mut Text, item: &Item) -> anyhow::Result<()> {
        match item {
            Item::Event(ev) => {
                if self.brief {
                    brief::event(t, ev);
                } else if self.json {
                    render::entry_json(t, ev)?;
                } else {
                    render::entry_text(t, ev);
                }
                if self.hexdump {
                    hexdump::event(t, ev)?;
                }
            }
            Item::BadPacket { frame, ts, msg } => {
                if self.json {
                    render::packet_error_json(t, *frame, *ts, msg)?;
                } else {
                    render::packet_error_text(t, *frame, *ts, msg);
                }
            }
        }
        Ok(())
    }
}

/// Renders what arrives on `rx` into `out`, in order, until the decoding side is done. Each
/// rendered batch goes back on `back` (when there is room) to be dropped and refilled by the
/// decoding thread: freeing the events is then the decoding side's work, which balances the
/// two threads (rendering is the longer stage).
fn render_items(
    rx: std::sync::mpsc::Receiver<Vec<Item>>,
    back: std::sync::mpsc::SyncSender<Vec<Item>>,
    out: &mut Output,
    view: View,
) -> anyhow::Result<()> {
    let mut t = Text::new(out.color);
    for batch in rx {
        for item in &batch {
            view.render(&mut t, item)?;
        }
        // Never waits: with the return queue full the batch is dropped here.
        let _ = back.try_send(batch);
        if t.buf.len() >= CHUNK {
            out.write_all(&t.buf)?;
            t.clear();
        }
    }
    out.write_all(&t.buf)?;
    out.flush()?;
    Ok(())
}

/// What `decode` keeps of a capture: `--frames`, `--sa` and `-c`.
#[derive(Debug, Clone, Copy)]
struct Filter {
    frames: Option<FrameRange>,
    sa: Option<Spi>,
    limit: Option<u64>,
}

fn decode_cmd(a: &DecodeArgs, out: &mut Output) -> anyhow::Result<Status> {
    let keys = load_keys(&a.source.keys)?.map(|k| k.ike);
    let with_keys = keys.is_some();
    if a.source.interface.is_none() {
        crate::hints::capture_stdin(&a.source.input, "ietfwg ikev2 decode")?;
    }
    let mut source = Source::open(&a.source)?;
    let mut contents = crate::hints::Contents::default();
    let live = source.is_live();
    let bar = progress_bar(&source, out);
    let mut stream = IkeStream::new(keys);
    let mut tally = Tally::default();
    let frames = a.source.frames;
    let filter = Filter {
        frames,
        sa: a.sa,
        limit: a.source.count,
    };
    let view = View {
        json: a.json,
        brief: a.brief,
        hexdump: a.hexdump,
    };
    if live || out.stdout_tty {
        // One thread, each packet's entries written as soon as they are decoded.
        let mut t = Text::new(out.color);
        produce(
            &mut source,
            &mut stream,
            &mut tally,
            &mut contents,
            filter,
            None,
            1,
            |batch| {
                for item in &batch {
                    view.render(&mut t, item)?;
                }
                out.write_all(&t.buf)?;
                out.flush()?;
                t.clear();
                Ok(true)
            },
            || None,
        )?;
    } else {
        // Two stages on two cores: this thread reads packets and decodes them into owned
        // events; a second renders them, in order, and writes.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Item>>(BATCHES_IN_FLIGHT);
        // Rendered batches coming back, emptied here (at most as many as go forward).
        let (back_tx, back_rx) = std::sync::mpsc::sync_channel::<Vec<Item>>(BATCHES_IN_FLIGHT);
        std::thread::scope(|scope| -> anyhow::Result<()> {
            let renderer = scope.spawn(|| render_items(rx, back_tx, out, view));
            let produced = produce(
                &mut source,
                &mut stream,
                &mut tally,
                &mut contents,
                filter,
                bar.as_ref(),
                BATCH,
                |batch| Ok(tx.send(batch).is_ok()),
                || {
                    back_rx.try_recv().ok().map(|mut b| {
                        b.clear();
                        b
                    })
                },
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
    if !live
        && tally.messages() + tally.esp + tally.keepalives == 0
        && frames.is_none()
        && a.sa.is_none()
    {
        if let Some(what) = contents.no_ike() {
            eprintln!("note: {what}");
        }
    }
    eprintln!("{}", tally.summary(with_keys));
    Ok(if tally.errors > 0 {
        Status::Findings
    } else {
        Status::Ok
    })
}

/// Reads `source` to its end (or past `--frames`, or `-c` IKE messages), decoding each packet
/// into the [`Item`]s `filter` keeps, handed to `sink` `batch_len` at a time; `sink` returns
/// false to stop. Each new batch is an empty one from `recycle` when it has one.
#[allow(clippy::too_many_arguments)]
fn produce(
    source: &mut Source,
    stream: &mut IkeStream,
    tally: &mut Tally,
    contents: &mut crate::hints::Contents,
    filter: Filter,
    bar: Option<&indicatif::ProgressBar>,
    batch_len: usize,
    mut sink: impl FnMut(Vec<Item>) -> anyhow::Result<bool>,
    mut recycle: impl FnMut() -> Option<Vec<Item>>,
) -> anyhow::Result<()> {
    let live = source.is_live();
    let Filter { frames, sa, limit } = filter;
    let mut batch = Vec::with_capacity(batch_len);
    while let Some(pkt) = source.next_packet()? {
        let (number, ts) = (pkt.number, pkt.ts);
        if frames.is_some_and(|r| r.past(number)) {
            break;
        }
        // What a capture file holds, for the note when it holds no IKE (not for an interface).
        if !live && tally.messages() + tally.esp == 0 {
            contents.note(&pkt);
        }
        let pushed = stream.push(&pkt, |ev| {
            if !frames.is_none_or(|r| r.contains(ev.frame)) || !in_sa(sa, &ev.decoded) {
                return Ok(ControlFlow::Continue(()));
            }
            tally.add(&ev.decoded);
            batch.push(Item::Event(ev));
            Ok(if limit.is_some_and(|n| tally.messages() >= n) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            })
        })?;
        let stopped = match pushed {
            Pushed::Done => false,
            Pushed::Stopped => true,
            Pushed::BadPacket(_) if !frames.is_none_or(|r| r.contains(number)) => false,
            Pushed::BadPacket(e) => {
                tally.errors += 1;
                batch.push(Item::BadPacket {
                    frame: number,
                    ts,
                    msg: stream::bad_packet_text(&e),
                });
                false
            }
        };
        if stopped {
            break;
        }
        if batch.len() >= batch_len
            && !sink(std::mem::replace(
                &mut batch,
                recycle().unwrap_or_else(|| Vec::with_capacity(batch_len)),
            ))?
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
