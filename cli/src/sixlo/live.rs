//! Live traffic: `6lo decode --interface` and `--zep-listen` feed what they receive through the
//! same per-packet decoding as a capture file; `6lo zep-send` sends a capture's frames as ZEP.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use ietfwg_6lo::encap;
use ietfwg_6lo::mac::FcsMode;
use ietfwg_capture::zep::{encode_v2, timestamp_to_ntp, ZEP_PORT};
use ietfwg_capture::{
    wpan_frame, CaptureReader, CaptureWriter, Encap, Fcs, Format, Packet, Wpan, ZepHeader,
    ZepListener,
};

use super::{decode_packet, feed_unselected, render, DecodeArgs, Tally};
use crate::ikev2::{Source, SourceArgs};
use crate::output::Output;
use crate::select::{FrameRange, Selection};
use crate::text::Text;
use crate::Status;

/// `[ADDR:]PORT`: a port alone listens on 127.0.0.1.
pub(super) fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    s.parse().map_err(|_| {
        format!("{s:?} is neither a port nor ADDR:PORT (127.0.0.1:17754, [::1]:17754)")
    })
}

/// Where live packets come from.
enum LiveSource {
    /// An interface, through the capture `ikev2 decode --interface` uses (loopback's doubled
    /// frames dropped).
    Interface(Source),
    /// ZEP datagrams on a UDP socket.
    Zep(ZepListener),
}

impl LiveSource {
    /// Opens the interface or binds the socket `a` names; Ctrl-C then stops it.
    fn open(a: &DecodeArgs) -> anyhow::Result<LiveSource> {
        if let Some(iface) = &a.interface {
            let source = Source::open(&SourceArgs {
                input: "-".into(),
                interface: Some(iface.clone()),
                count: None,
                frames: None,
                keys: Vec::new(),
            })?;
            eprintln!("capturing on {iface}; Ctrl-C stops");
            return Ok(LiveSource::Interface(source));
        }
        let addr = a
            .zep_listen
            .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, ZEP_PORT)));
        let listener = ZepListener::bind(addr)?;
        let stop = listener.stop_flag();
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .context("installing the Ctrl-C handler")?;
        eprintln!(
            "listening for ZEP on UDP {}; Ctrl-C stops",
            listener.local_addr()
        );
        Ok(LiveSource::Zep(listener))
    }

    /// The next packet, `None` once Ctrl-C stopped the capture.
    fn next_packet(&mut self) -> anyhow::Result<Option<Packet<'_>>> {
        match self {
            LiveSource::Interface(s) => s.next_packet(),
            LiveSource::Zep(l) => Ok(l.next_packet()?),
        }
    }
}

/// `6lo decode --interface IFACE | --zep-listen [ADDR:]PORT`: each packet decoded and written
/// as it arrives, until `-c` frames or Ctrl-C; then the incomplete datagrams (after Ctrl-C) and
/// the totals, and the exit status as for a file.
pub(super) fn decode(a: &DecodeArgs, out: &mut Output) -> anyhow::Result<Status> {
    if a.write.as_deref() == Some("-") {
        bail!("-w -: standard output carries the decode; name a file");
    }
    let mut decoder = a.common.decoder()?;
    let mut tracker = ietfwg_6lo::ble::Tracker::new(ietfwg_6lo::ble::Limits::default());
    let mut source = LiveSource::open(a)?;
    let mut writer = None;
    let mut saved = 0u64;
    let mut contents = crate::hints::Contents::default();
    let mut tally = Tally::default();
    let mut t = Text::new(out.color);
    let sel = a.select.selection();
    let mut stopped = false;
    while let Some(pkt) = source.next_packet()? {
        if let Some(path) = &a.write {
            // The file's link type is the first packet's (one per interface or socket).
            if writer.is_none() {
                writer = Some(
                    CaptureWriter::create(path, Format::PcapNg, pkt.linktype)
                        .with_context(|| format!("creating {path}"))?,
                );
            }
            if let Some(w) = writer.as_mut() {
                w.write(pkt.ts, pkt.data)
                    .with_context(|| format!("writing to {path}"))?;
                saved += 1;
            }
        }
        if sel.wants(pkt.number) {
            decode_packet(
                a,
                &mut decoder,
                &mut tracker,
                &mut tally,
                &mut contents,
                &mut t,
                &pkt,
            )?;
        } else {
            feed_unselected(&mut decoder, &mut tracker, &pkt);
        }
        // Each frame is shown as it is decoded.
        out.write_all(&t.buf)?;
        out.flush()?;
        t.clear();
        if sel.done(pkt.number.saturating_add(1), tally.frames) {
            stopped = true;
            break;
        }
    }
    // Stopped by --count or --frames: what is left incomplete is not listed (as for a file);
    // stopped by Ctrl-C: it is.
    if !stopped {
        for inc in decoder.finish() {
            tally.incomplete += 1;
            if !a.brief {
                render::incomplete(&mut t, a.json, &inc)?;
            }
        }
    }
    out.write_all(&t.buf)?;
    out.flush()?;
    let mut summary = tally.summary();
    if let Some(path) = &a.write {
        match writer {
            Some(w) => {
                let mut f = w.finish().with_context(|| format!("writing to {path}"))?;
                f.flush().with_context(|| format!("writing to {path}"))?;
                summary += &format!("; {saved} packets saved to {path}");
            }
            None => summary += &format!("; nothing received, {path} not written"),
        }
    }
    eprintln!("{summary}");
    Ok(tally.status())
}

/// `6lo zep-send`'s options.
#[derive(Debug, clap::Args)]
pub(super) struct ZepSendArgs {
    /// pcap or pcapng file of 802.15.4 frames (any encapsulation `6lo decode` reads); `-`
    /// reads stdin.
    #[arg(value_name = "FILE")]
    input: String,

    /// Where to send: ADDR:PORT, or a port on 127.0.0.1.
    #[arg(long, value_name = "[ADDR:]PORT", default_value = "127.0.0.1:17754", value_parser = parse_listen)]
    to: SocketAddr,

    /// Frames per second; 0 sends as fast as the socket takes them (a receiver may then drop
    /// some: its socket buffer holds a few hundred).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        conflicts_with = "realtime"
    )]
    rate: u32,

    /// Keep the capture's own spacing between frames instead of --rate.
    #[arg(long)]
    realtime: bool,

    /// The channel in the ZEP header of frames whose capture does not name one (frames read
    /// from ZEP keep theirs).
    #[arg(long, value_name = "N", default_value_t = 11)]
    channel: u8,

    /// The device id in the ZEP header of frames whose capture does not name one.
    #[arg(long, value_name = "N", default_value_t = 0)]
    device_id: u16,

    /// Stop after this many packets (counted among those --frames selects).
    #[arg(short = 'c', long, value_name = "N")]
    count: Option<u64>,

    /// Only these capture frames: `5`, `10-20`, `100-` (to the end), `-20`; the others are
    /// not sent.
    #[arg(long, value_name = "RANGE")]
    frames: Option<FrameRange>,
}

/// The CC24xx metadata sent after a frame captured without an FCS (LQI mode): RSSI 0 (not
/// known) and bit 7 set, "CRC OK" — the frame was received, or it would not be in the capture.
const CC24XX_RECEIVED: [u8; 2] = [0x00, 0x80];

/// `6lo zep-send`: each 802.15.4 frame of the capture as a ZEP v2 datagram, paced.
pub(super) fn zep_send(a: &ZepSendArgs) -> anyhow::Result<Status> {
    crate::hints::capture_stdin(&a.input, "ietfwg 6lo zep-send")?;
    let mut reader = CaptureReader::open(&a.input)?;
    let bind = match a.to {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0)),
    };
    let socket = UdpSocket::bind(bind).context("opening a UDP socket")?;
    let sel = Selection {
        frames: a.frames,
        count: a.count,
    };
    let (mut sent, mut skipped, mut malformed) = (0u64, 0u64, 0u64);
    let start = Instant::now();
    let mut first_ts = None;
    while let Some(pkt) = reader.next_packet()? {
        let number = pkt.number;
        if sel.done(number, sent + skipped + malformed) {
            break;
        }
        if !sel.wants(number) {
            continue;
        }
        let w = match wpan_frame(&pkt) {
            Ok(Wpan::Frame(w)) => w,
            Ok(Wpan::NotWpan(why)) => {
                eprintln!("frame {number}: not sent: {why}");
                skipped += 1;
                continue;
            }
            Err(e) => {
                eprintln!("frame {number}: not sent: {e:#}");
                malformed += 1;
                continue;
            }
        };
        let (channel, device_id, lqi) = match w.encap {
            Encap::Zep {
                channel,
                device_id,
                lqi,
                ..
            } => (channel, device_id, lqi),
            _ => (a.channel, a.device_id, 0xff),
        };
        let snapped = usize::try_from(pkt.orig_len).is_ok_and(|o| o > pkt.data.len());
        let crc_mode = match w.fcs {
            Fcs::Crc16 if !snapped => true,
            Fcs::Absent => false,
            Fcs::Unknown if !snapped => encap::capture_fcs(w.frame, None) == FcsMode::Crc16,
            Fcs::Crc32 => {
                eprintln!("frame {number}: not sent: ZEP cannot carry a 4-byte FCS");
                skipped += 1;
                continue;
            }
            _ => {
                eprintln!(
                    "frame {number}: not sent: cut short by the capture ({} of {} bytes)",
                    pkt.data.len(),
                    pkt.orig_len
                );
                skipped += 1;
                continue;
            }
        };
        let header = ZepHeader {
            version: 2,
            channel,
            device_id,
            lqi_mode: !crc_mode,
            lqi,
            ntp_time: Some(timestamp_to_ntp(pkt.ts)),
            seq: Some(u32::try_from(sent.wrapping_add(1) & 0xffff_ffff).unwrap_or(0)),
            length: 0,
            cc24xx: (!crc_mode).then_some(CC24XX_RECEIVED),
        };
        let datagram = match encode_v2(&header, w.frame) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("frame {number}: not sent: {e}");
                skipped += 1;
                continue;
            }
        };
        // Pacing: the capture's own spacing, or --rate frames a second.
        let due = if a.realtime {
            let first = *first_ts.get_or_insert(pkt.ts.as_nanos());
            Some(Duration::from_nanos(
                pkt.ts.as_nanos().saturating_sub(first),
            ))
        } else if a.rate > 0 {
            Some(Duration::from_secs_f64(sent as f64 / f64::from(a.rate)))
        } else {
            None
        };
        if let Some(wait) = due.and_then(|d| d.checked_sub(start.elapsed())) {
            std::thread::sleep(wait);
        }
        socket
            .send_to(&datagram, a.to)
            .with_context(|| format!("sending frame {number} to {}", a.to))?;
        sent += 1;
    }
    let mut summary = format!("{sent} frames sent as ZEP v2 to UDP {}", a.to);
    if skipped + malformed > 0 {
        summary += &format!(", {} packets not sent", skipped + malformed);
    }
    eprintln!("{summary}");
    Ok(if malformed > 0 {
        Status::Findings
    } else {
        Status::Ok
    })
}
