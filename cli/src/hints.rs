//! What a command says when its input is not what it expects: a terminal on standard input
//! (instead of a silent wait), and a capture that holds none of the protocol asked for (what
//! it does hold, and which command reads that).

use std::io::IsTerminal;

use ietfwg_capture::flows::{Flows, Proto};
use ietfwg_capture::{wpan_frame, Packet, Wpan};

/// Refuses to read a capture from a terminal: a pcap cannot be typed, so waiting would only
/// look like a hang. `cmd` is the command as typed (`ietfwg 6lo decode`).
pub fn capture_stdin(input: &str, cmd: &str) -> anyhow::Result<()> {
    if input == "-" && std::io::stdin().is_terminal() {
        anyhow::bail!(
            "{cmd} reads a pcap or pcapng capture, and standard input is a terminal: give a \
             FILE (`{cmd} capture.pcap`) or pipe one in (`tcpdump -w - … | {cmd}`); \
             `{cmd} --help` has examples"
        );
    }
    Ok(())
}

/// Says on stderr what to type when text is read from a terminal (`what`: "hex frames, one
/// per line"), then reading goes on.
pub fn text_stdin(what: &str) {
    if std::io::stdin().is_terminal() {
        eprintln!("reading {what} from the terminal; Ctrl-D ends (--help has examples)");
    }
}

/// Packets looked at, at most: the first ones say what a capture holds.
const SNIFF_PACKETS: u64 = 10_000;

/// What a capture holds, counted from its first [`SNIFF_PACKETS`] packets.
#[derive(Debug, Default)]
pub struct Contents {
    packets: u64,
    wpan: u64,
    ike: u64,
    udp: u64,
    tcp: u64,
    other: u64,
    flows: Flows,
}

impl Contents {
    /// Counts one packet (after the first [`SNIFF_PACKETS`], nothing).
    pub fn note(&mut self, pkt: &Packet<'_>) {
        if self.packets >= SNIFF_PACKETS {
            return;
        }
        self.packets += 1;
        if let Ok(Wpan::Frame(_)) = wpan_frame(pkt) {
            self.wpan += 1;
            return;
        }
        match self.flows.push(pkt) {
            Ok(l4s) if !l4s.is_empty() => {
                for l in l4s {
                    let ports = [l.src.port(), l.dst.port()];
                    match l.proto {
                        Proto::Udp if ports.iter().any(|p| *p == 500 || *p == 4500) => {
                            self.ike += 1
                        }
                        Proto::Tcp if ports.contains(&4500) => self.ike += 1,
                        Proto::Udp => self.udp += 1,
                        Proto::Tcp => self.tcp += 1,
                    }
                }
            }
            _ => self.other += 1,
        }
    }

    /// For `ikev2` commands that found no IKE message: what the capture holds instead.
    pub fn no_ike(&self) -> Option<String> {
        if self.packets == 0 {
            return Some("the capture holds no packets".to_string());
        }
        let mut s = format!("no IKE traffic in the first {} packets: ", self.packets);
        if self.wpan > 0 {
            s += &format!(
                "{} IEEE 802.15.4 frames: try `ietfwg 6lo decode`",
                self.wpan
            );
        } else if self.ike > 0 {
            s += &format!(
                "{} packets on UDP 500/4500 or TCP 4500 that are not IKE",
                self.ike
            );
        } else {
            s += &format!(
                "{} UDP and {} TCP packets on other ports, {} other packets",
                self.udp, self.tcp, self.other
            );
        }
        Some(s)
    }

    /// For `6lo` commands: what the packets that are not 802.15.4 hold.
    pub fn not_wpan(&self) -> Option<String> {
        let n = self.ike + self.udp + self.tcp + self.other;
        if n == 0 {
            return None;
        }
        let mut s = format!("{n} packets are not IEEE 802.15.4");
        if self.ike > 0 {
            s += &format!(
                ", {} of them on UDP 500/4500 or TCP 4500 (IKE): try `ietfwg ikev2 decode`",
                self.ike
            );
        } else {
            s += &format!(
                " ({} UDP, {} TCP, {} other)",
                self.udp, self.tcp, self.other
            );
        }
        Some(s)
    }
}
