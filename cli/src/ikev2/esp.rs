//! `ietfwg ikev2 esp-decrypt IN -o OUT --keys KEYS`: ESP packets (IP protocol 50, and
//! UDP-encapsulated on port 4500 per RFC 3948) opened with the library's
//! [`EspDecryptor`], their inner packets written as raw IP to a pcap or pcapng file; with
//! `--json`, one NDJSON record per ESP packet on stdout (`docs/json.md`,
//! `docs/schema/ikev2-esp-decrypt.json`).

use std::borrow::Cow;
use std::net::IpAddr;

use anyhow::{anyhow, bail, Context as _};
use ietfwg_capture::ipfrag::Reassembler;
use ietfwg_capture::Timestamp;
use ietfwg_capture::{ip_payload, linktype, CaptureReader, CaptureWriter, Format};
use ietfwg_ikev2::esp::decrypt::{EspDecryptor, Icv, Opened, Replay, NO_NEXT_HEADER};
use serde::Serialize;

use super::keys::load_keys;
use crate::json::{rfc_cited, Problem, Shown, Time};
use crate::output::Output;
use crate::Status;

#[derive(Debug, clap::Args)]
pub struct EspDecryptArgs {
    /// pcap or pcapng file; `-` reads stdin.
    #[arg(value_name = "IN")]
    pub input: String,

    /// Where the inner packets go (raw IP, link type 101): a pcapng file when the name ends in
    /// `.pcapng`, else pcap; `-` is standard output.
    #[arg(short, long, value_name = "OUT")]
    pub output: String,

    /// CHILD_SA keys: a strongSwan charon log (filelog chd = 4) or a Wireshark `esp_sa` table
    /// (as `ikev2 keys` prints it). Repeatable; the files are merged.
    #[arg(long, value_name = "FILE", required = true)]
    pub keys: Vec<String>,

    /// Also write packets whose ICV does not verify or that the anti-replay window rejects
    /// (they are still reported).
    #[arg(long)]
    pub write_all: bool,

    /// One NDJSON record per ESP packet on standard output (SPI, sequence number, verdict,
    /// inner protocol, error); the inner packets still go to OUT, which cannot be `-` then.
    #[arg(long)]
    pub json: bool,
}

/// `esp-decrypt --json`: one ESP packet. `error` is set exactly when the packet counts among
/// the closing line's failures (ICV failures, replays, errors).
#[derive(Serialize)]
struct EspRecord {
    record: &'static str,
    frame: u64,
    time: Time,
    src: Shown<IpAddr>,
    dst: Shown<IpAddr>,
    /// UDP-encapsulated (RFC 3948) or IP protocol 50.
    encapsulation: &'static str,
    /// 8 hex digits.
    spi: String,
    /// The full sequence number (with ESN, the inferred high half); null when no SA was found
    /// or the packet is too short to hold one.
    seq: Option<u64>,
    /// `ok`, `not_checked`, `icv_failed`, `replayed`, `too_old`, `dummy`, `no_sa`, `error`.
    verdict: &'static str,
    /// `ok`, `not_checked`, `bad`; null when the packet was not opened.
    icv: Option<Icv>,
    /// `new`, `duplicate`, `too_old` (RFC 4303 §3.4.3); null when not opened.
    replay: Option<Replay>,
    /// ESP Next Header (4, 41 in tunnel mode); null when not opened.
    next_header: Option<u8>,
    /// The IP protocol of the inner packet's payload (1 ICMP, 17 UDP, …); null without one.
    inner_protocol: Option<u8>,
    /// Octets of the inner packet as written; null without one.
    inner_length: Option<usize>,
    /// Written to OUT.
    written: bool,
    error: Option<Problem>,
}

/// `esp-decrypt --json`: a packet whose IP or UDP headers could not be read.
#[derive(Serialize)]
struct UnreadableRecord {
    record: &'static str,
    frame: u64,
    time: Time,
    error: Problem,
}

/// The protocol of an inner IP packet's payload (IPv4 Protocol, IPv6 Next Header).
fn inner_protocol(ip: &[u8]) -> Option<u8> {
    match ip.first()? >> 4 {
        4 => ip.get(9).copied(),
        6 => ip.get(6).copied(),
        _ => None,
    }
}

fn esp_problem(
    field: &'static str,
    offset: Option<u64>,
    message: String,
    rfc: &'static str,
) -> Problem {
    Problem {
        layer: Cow::Borrowed("esp"),
        field: Some(Cow::Borrowed(field)),
        offset,
        message,
        rfc: Some(Cow::Borrowed(rfc)),
    }
}

/// The record's `verdict`: what became of the packet, the worst finding first.
fn verdict(o: &Opened) -> &'static str {
    match (o.icv, o.replay) {
        (Icv::Bad, _) => "icv_failed",
        (_, Replay::Duplicate) => "replayed",
        (_, Replay::TooOld) => "too_old",
        _ if o.next_header == NO_NEXT_HEADER => "dummy",
        (Icv::NotChecked, _) => "not_checked",
        (Icv::Ok, Replay::New) => "ok",
    }
}

fn unreadable(
    a: &EspDecryptArgs,
    out: &mut Output,
    frame: u64,
    ts: Timestamp,
    message: String,
) -> anyhow::Result<()> {
    if !a.json {
        return Ok(());
    }
    let rfc = rfc_cited(&message).map(Cow::Owned);
    out.json(&UnreadableRecord {
        record: "unreadable",
        frame,
        time: Time(ts),
        error: Problem {
            layer: Cow::Borrowed("packet"),
            field: None,
            offset: None,
            message,
            rfc,
        },
    })
}

/// The UDP port of UDP-encapsulated ESP (RFC 3948 §3).
const NAT_T_PORT: u16 = 4500;

#[derive(Debug, Default)]
struct Tally {
    packets: u64,
    esp: u64,
    written: u64,
    no_sa: u64,
    icv_bad: u64,
    replayed: u64,
    dummy: u64,
    not_checked: u64,
    errors: u64,
}

/// ESP octets carried by an IP packet: protocol 50, or UDP to/from 4500 whose first four
/// octets are not the non-ESP marker (IKE) and that is not a NAT-keepalive (RFC 3948 §2.2).
fn esp_of(proto: u8, payload: &[u8]) -> Option<&[u8]> {
    match proto {
        50 => Some(payload),
        17 => {
            let h = payload.get(..8)?;
            let sport = u16::from_be_bytes([h[0], h[1]]);
            let dport = u16::from_be_bytes([h[2], h[3]]);
            if sport != NAT_T_PORT && dport != NAT_T_PORT {
                return None;
            }
            let body = &payload[8..];
            if body.len() < 8 || body[..4] == [0, 0, 0, 0] {
                return None;
            }
            Some(body)
        }
        _ => None,
    }
}

pub fn esp_decrypt_cmd(a: &EspDecryptArgs, out: &mut Output) -> anyhow::Result<Status> {
    if a.json && a.output == "-" {
        bail!("--json writes its records to standard output: give -o a file");
    }
    if a.json {
        out.set_json();
    }
    let status = run(a, out);
    out.flush()?;
    status
}

fn run(a: &EspDecryptArgs, out: &mut Output) -> anyhow::Result<Status> {
    let keys = load_keys(&a.keys)?.unwrap_or_default();
    if keys.esp.is_empty() {
        return Err(anyhow!(
            "--keys: no ESP SA keys in {} (a charon log needs chd = 4; a Wireshark table needs esp_sa rows)",
            a.keys.join(", ")
        ));
    }
    let mut dec = EspDecryptor::new(keys.esp);
    let mut reader = CaptureReader::open(&a.input)?;
    let format = if a.output.ends_with(".pcapng") {
        Format::PcapNg
    } else {
        Format::Pcap
    };
    let mut writer = CaptureWriter::create(&a.output, format, linktype::RAW)
        .with_context(|| format!("creating {}", a.output))?;
    let mut ipfrag = Reassembler::default();
    let mut t = Tally::default();
    while let Some(pkt) = reader.next_packet()? {
        t.packets += 1;
        let (number, ts) = (pkt.number, pkt.ts);
        let ip = match ip_payload(&pkt) {
            Ok(Some(ip)) => ip,
            Ok(None) => continue,
            Err(e) => {
                t.errors += 1;
                eprintln!("frame {number}: {e}");
                unreadable(a, out, number, ts, e.to_string())?;
                continue;
            }
        };
        let p = match ipfrag.push(number, ts, ip) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => {
                t.errors += 1;
                eprintln!("frame {number}: {e}");
                unreadable(a, out, number, ts, e.to_string())?;
                continue;
            }
        };
        let Some(esp) = esp_of(p.proto, &p.payload) else {
            continue;
        };
        t.esp += 1;
        let (src, dst): (IpAddr, IpAddr) = (p.src, p.dst);
        let mut rec = EspRecord {
            record: "esp",
            frame: number,
            time: Time(ts),
            src: Shown(src),
            dst: Shown(dst),
            encapsulation: if p.proto == 50 { "ip" } else { "udp" },
            spi: esp.get(..4).map(hex::encode).unwrap_or_default(),
            seq: None,
            verdict: "no_sa",
            icv: None,
            replay: None,
            next_header: None,
            inner_protocol: None,
            inner_length: None,
            written: false,
            error: None,
        };
        let o = match dec.open(esp, Some(src), Some(dst)) {
            Ok(Some(o)) => o,
            Ok(None) => {
                t.no_sa += 1;
                if a.json {
                    out.json(&rec)?;
                }
                continue;
            }
            Err(e) => {
                t.errors += 1;
                eprintln!("frame {number}: ESP SPI 0x{}: {e}", rec.spi);
                if a.json {
                    let message = e.to_string();
                    rec.verdict = "error";
                    rec.error = Some(Problem {
                        layer: Cow::Borrowed("esp"),
                        field: Some(Cow::Borrowed(e.field)),
                        offset: Some(e.offset as u64),
                        rfc: Some(
                            rfc_cited(&message).map_or(Cow::Borrowed("RFC 4303 §2"), Cow::Owned),
                        ),
                        message,
                    });
                    out.json(&rec)?;
                }
                continue;
            }
        };
        rec.seq = Some(o.seq);
        rec.icv = Some(o.icv);
        rec.replay = Some(o.replay);
        rec.next_header = Some(o.next_header);
        rec.verdict = verdict(&o);
        let mut keep = true;
        match o.icv {
            Icv::Ok => {}
            Icv::NotChecked => t.not_checked += 1,
            Icv::Bad => {
                t.icv_bad += 1;
                keep = a.write_all;
                rec.error = Some(esp_problem(
                    "ICV",
                    None,
                    format!(
                        "ESP SPI 0x{:08x} seq {}: ICV does not verify (wrong key or altered packet)",
                        o.spi, o.seq
                    ),
                    "RFC 4303 §3.4.4.1",
                ));
                eprintln!(
                    "frame {number}: ESP SPI 0x{:08x} seq {}: ICV does not verify (wrong key or altered packet){}",
                    o.spi,
                    o.seq,
                    if keep { "; written anyway" } else { "; not written" }
                );
            }
        }
        if o.icv != Icv::Bad && o.replay != Replay::New {
            t.replayed += 1;
            keep = a.write_all;
            rec.error = Some(esp_problem(
                "Sequence Number",
                Some(4),
                format!(
                    "ESP SPI 0x{:08x} seq {}: {}",
                    o.spi,
                    o.seq,
                    match o.replay {
                        Replay::Duplicate => "sequence number already received: a replay",
                        _ => "sequence number left of the anti-replay window",
                    }
                ),
                "RFC 4303 §3.4.3",
            ));
            eprintln!(
                "frame {number}: ESP SPI 0x{:08x} seq {}: {} (RFC 4303 §3.4.3){}",
                o.spi,
                o.seq,
                match o.replay {
                    Replay::Duplicate => "sequence number already received: a replay",
                    _ => "sequence number left of the anti-replay window",
                },
                if keep {
                    "; written anyway"
                } else {
                    "; not written"
                }
            );
        }
        if o.next_header == NO_NEXT_HEADER {
            t.dummy += 1;
        } else {
            match o.inner_packet(src, dst) {
                Some(inner) => {
                    rec.inner_protocol = inner_protocol(&inner);
                    rec.inner_length = Some(inner.len());
                    if keep {
                        writer
                            .write(ts, &inner)
                            .with_context(|| format!("writing to {}", a.output))?;
                        t.written += 1;
                        rec.written = true;
                    }
                }
                None if keep => {
                    t.errors += 1;
                    let message = format!(
                        "ESP SPI 0x{:08x}: inner packet cannot be rebuilt (payload too long for an IP header)",
                        o.spi
                    );
                    eprintln!("frame {number}: {message}");
                    rec.verdict = "error";
                    rec.error = Some(esp_problem(
                        "Payload Data",
                        None,
                        message,
                        "RFC 4303 §3.4.4",
                    ));
                }
                None => {}
            }
        }
        if a.json {
            out.json(&rec)?;
        }
    }
    writer
        .finish()
        .with_context(|| format!("writing to {}", a.output))?;
    for note in ipfrag.finish() {
        eprintln!("note: {note}");
    }
    eprintln!(
        "{} packets, {} ESP: {} inner packets written to {}, {} without keys, {} ICV failures, {} replayed or too old, {} dummy, {} not checked (ANY … [no checking]), {} errors",
        t.packets,
        t.esp,
        t.written,
        if a.output == "-" { "standard output" } else { &a.output },
        t.no_sa,
        t.icv_bad,
        t.replayed,
        t.dummy,
        t.not_checked,
        t.errors
    );
    Ok(if t.icv_bad + t.replayed + t.errors > 0 {
        Status::Findings
    } else {
        Status::Ok
    })
}
