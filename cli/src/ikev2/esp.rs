//! `ietfwg ikev2 esp-decrypt IN -o OUT --keys KEYS`: ESP packets (IP protocol 50, and
//! UDP-encapsulated on port 4500 per RFC 3948) opened with the library's
//! [`EspDecryptor`], their inner packets written as raw IP to a pcap or pcapng file.

use std::net::IpAddr;

use anyhow::{anyhow, Context as _};
use ietfwg_capture::ipfrag::Reassembler;
use ietfwg_capture::{ip_payload, linktype, CaptureReader, CaptureWriter, Format};
use ietfwg_ikev2::esp::decrypt::{EspDecryptor, Icv, Replay, NO_NEXT_HEADER};

use super::keys::load_keys;
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

pub fn esp_decrypt_cmd(a: &EspDecryptArgs) -> anyhow::Result<Status> {
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
                continue;
            }
        };
        let p = match ipfrag.push(number, ts, ip) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => {
                t.errors += 1;
                eprintln!("frame {number}: {e}");
                continue;
            }
        };
        let Some(esp) = esp_of(p.proto, &p.payload) else {
            continue;
        };
        t.esp += 1;
        let (src, dst): (IpAddr, IpAddr) = (p.src, p.dst);
        let o = match dec.open(esp, Some(src), Some(dst)) {
            Ok(Some(o)) => o,
            Ok(None) => {
                t.no_sa += 1;
                continue;
            }
            Err(e) => {
                t.errors += 1;
                let spi = esp.get(..4).map(hex::encode).unwrap_or_default();
                eprintln!("frame {number}: ESP SPI 0x{spi}: {e}");
                continue;
            }
        };
        let mut keep = true;
        match o.icv {
            Icv::Ok => {}
            Icv::NotChecked => t.not_checked += 1,
            Icv::Bad => {
                t.icv_bad += 1;
                keep = a.write_all;
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
            continue;
        }
        if !keep {
            continue;
        }
        match o.inner_packet(src, dst) {
            Some(inner) => {
                writer
                    .write(ts, &inner)
                    .with_context(|| format!("writing to {}", a.output))?;
                t.written += 1;
            }
            None => {
                t.errors += 1;
                eprintln!(
                    "frame {number}: ESP SPI 0x{:08x}: inner packet cannot be rebuilt",
                    o.spi
                );
            }
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
