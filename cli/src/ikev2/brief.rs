//! `ikev2 decode --brief`: one line per IKE message (and per ESP packet, keepalive, IKEv1
//! message or transport problem), in fixed columns, like tcpdump:
//!
//! ```text
//! FRAME TIME SRC > DST TRANSPORT  IKEv2 EXCHANGE[I|R] req|resp MSGID SPIi/SPIr  PAYLOADS  [! ERROR]
//! ```
//!
//! Payloads are named by their RFC 7296 abbreviations (`SA KE Nonce N(NAT_DETECTION_SOURCE_IP)`);
//! with `--keys`, those inside SK follow it in braces: `SK{IDi AUTH SA TSi TSr}`.

use std::fmt::Write as _;

use ietfwg_ikev2::decoder::{Decoded, Decryption};
use ietfwg_ikev2::wire::payload::{short_name, Payload, PayloadBody};

use crate::ikev2::stream::Event;
use crate::text::Text;

fn payload_word(p: &Payload) -> String {
    match &p.body {
        PayloadBody::Notify(n) => format!(
            "N({})",
            n.notify_type
                .name()
                .map_or_else(|| n.notify_type.0.to_string(), str::to_string)
        ),
        _ => short_name(p.payload_type).into_owned(),
    }
}

fn payload_words(ps: &[Payload]) -> String {
    ps.iter().map(payload_word).collect::<Vec<_>>().join(" ")
}

/// The line of one event.
pub fn line(ev: &Event) -> String {
    let mut s = format!(
        "{:>6} {} {} > {} {:<9}",
        ev.frame,
        ev.ts,
        ev.src,
        ev.dst,
        ev.transport.label()
    );
    match &ev.decoded {
        Decoded::Ikev2(d) => {
            let Some(h) = &d.header else {
                let _ = write!(s, "  IKEv2 ? ({} octets)", d.bytes.len());
                if let Err(e) = &d.message {
                    let _ = write!(s, "  ! {e}");
                }
                return s;
            };
            let role = if h.initiator() { "I" } else { "R" };
            let _ = write!(
                s,
                "  IKEv2 {}[{role}] {} {} {:016x}/{:016x}",
                h.exchange
                    .name()
                    .map_or_else(|| h.exchange.0.to_string(), str::to_string),
                if h.response() { "resp" } else { "req" },
                h.message_id,
                h.spi_i,
                h.spi_r
            );
            match &d.message {
                Ok(m) => {
                    let mut words = Vec::new();
                    for (i, p) in m.payloads.iter().enumerate() {
                        let inner = d
                            .encrypted
                            .as_ref()
                            .filter(|e| e.payload_index == i)
                            .and_then(|_| d.decrypted_payloads());
                        match inner {
                            Some(ps) => {
                                words.push(format!("{}{{{}}}", payload_word(p), payload_words(ps)))
                            }
                            None => words.push(payload_word(p)),
                        }
                    }
                    let _ = write!(s, "  {}", words.join(" "));
                    if let Some(e) = &d.encrypted {
                        match &e.decryption {
                            Decryption::Failed(err) => {
                                let _ = write!(s, "  ! decryption: {err}");
                            }
                            Decryption::Done(o) if !o.decrypted.icv_ok => {
                                s += "  ! ICV not verified";
                            }
                            _ => {}
                        }
                    }
                }
                Err(e) => {
                    let _ = write!(s, "  ! {e}");
                }
            }
        }
        Decoded::Ikev1(Ok(m)) => {
            let _ = write!(
                s,
                "  IKEv1 {} cookie {}",
                m.header.exchange_type,
                m.header
                    .initiator_cookie
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            );
        }
        Decoded::Ikev1(Err(e)) => {
            let _ = write!(s, "  IKEv1  ! {e}");
        }
        Decoded::Esp { spi, seq, len } => {
            let _ = write!(s, "  ESP spi 0x{spi:08x} seq {seq} len {len}");
        }
        Decoded::Keepalive => s += "  NAT-keepalive",
        Decoded::Transport(e) => {
            let _ = write!(s, "  ! {e}");
        }
    }
    s
}

/// Writes the line of one event.
pub fn event(t: &mut Text, ev: &Event) {
    t.s(&line(ev)).nl();
}
