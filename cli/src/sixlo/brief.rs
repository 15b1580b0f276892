//! `6lo decode --brief`: one line per frame, in fixed columns, like tcpdump:
//!
//! ```text
//! FRAME TIME MAC-TYPE SEQ LINK-SRC > LINK-DST  6LOWPAN  [IPV6-SRC > IPV6-DST UPPER]  [! ERROR]
//! ```
//!
//! The first five columns are always there (`-` when a frame has no sequence number or
//! address); the 6LoWPAN column names the dispatch headers and compression joined by `+`
//! (`FRAG1+IPHC+UDP`), with the fragment's tag and byte range; the datagram column appears on
//! the frame that completes one. Frames of the other 6LoWPAN links name theirs in the MAC-TYPE
//! column (`mstp`, `llcp`, `zw` with its sequence number) with their link addresses; an MLE
//! datagram ends with its command (`MLE Parent Request`, `MLE (secured)` when not decrypted).
//! the frame that completes one. A Bluetooth LE packet shows `ble`, its PDU kind and the
//! device addresses in the place of the MAC columns.

use std::fmt::Write as _;
use std::io::Write;

use ietfwg_6lo::ble::{BdAddr, BleReport};
use ietfwg_6lo::dispatch::DispatchHeader;
use ietfwg_6lo::ipv6::Upper;
use ietfwg_6lo::link::LinkHeader;
use ietfwg_6lo::lowpan::{Compression, FrameReport};
use ietfwg_6lo::nhc::NhcRepr;
use ietfwg_capture::Timestamp;

use crate::text::Text;

fn dispatch_name(h: &DispatchHeader) -> &'static str {
    match h {
        DispatchHeader::Nalp { .. } => "NALP",
        DispatchHeader::Esc { .. } => "ESC",
        DispatchHeader::Mesh(_) => "MESH",
        DispatchHeader::Bc0 { .. } => "BC0",
        DispatchHeader::Frag1 { .. } => "FRAG1",
        DispatchHeader::FragN { .. } => "FRAGN",
        DispatchHeader::PageSwitch { .. } => "PAGE",
        DispatchHeader::SixLoRh(_) => "6LoRH",
        DispatchHeader::Rfrag(_) => "RFRAG",
        DispatchHeader::RfragAck(_) => "RFRAG-ACK",
    }
}

fn nhc_name(n: &NhcRepr) -> &'static str {
    match n {
        NhcRepr::Udp { .. } => "UDP",
        NhcRepr::ExtHeader { .. } => "EXT",
        NhcRepr::Ipv6 { .. } => "IPv6",
        NhcRepr::GhcUdp { .. } => "GHC-UDP",
        NhcRepr::GhcIcmpv6 { .. } => "GHC-ICMPv6",
        NhcRepr::GhcExtHeader { .. } => "GHC-EXT",
    }
}

/// The line of one decoded frame.
pub fn frame_line(r: &FrameReport<'_>, ts: Timestamp) -> String {
    let mut s = format!("{:>6} {ts} ", r.frame);
    match &r.mac {
        Some(m) => {
            let seq = m.seq.map_or_else(|| "-".to_string(), |q| q.to_string());
            let kind = m.frame_type.key().unwrap_or("?");
            let _ = write!(s, "{kind:<4} {seq:>3} {} > {}", m.src, m.dst);
        }
        None => match r.link.as_deref() {
            // Another 6LoWPAN link: its name, then its addresses.
            Some(LinkHeader::Mstp(h)) => {
                let _ = write!(s, "mstp   - {} > {}", h.src, h.dst);
            }
            Some(LinkHeader::NfcLlcp(h)) => {
                let _ = write!(s, "llcp   - {} > {}", h.ssap, h.dsap);
            }
            Some(LinkHeader::G9959(h)) => {
                let _ = write!(s, "zw   {:>3} {} > {}", h.sequence, h.src_node, h.dst_node);
            }
            None => s += "?      - - > -",
        },
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(l) = &r.lowpan {
        for h in &l.dispatch {
            if !matches!(h, DispatchHeader::Nalp { .. }) {
                parts.push(dispatch_name(h).to_string());
            }
        }
        match &l.compression {
            Some(Compression::Iphc { nhc, .. }) => {
                parts.push("IPHC".to_string());
                parts.extend(nhc.iter().map(|n| nhc_name(n).to_string()));
            }
            Some(Compression::Ipv6) => parts.push("IPv6".to_string()),
            Some(Compression::Hc1 { .. }) => parts.push("HC1".to_string()),
            None => {}
        }
    }
    let lowpan = if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join("+")
    };
    let _ = write!(s, "  {lowpan}");
    if let Some(f) = r.lowpan.as_ref().and_then(|l| l.fragment.as_ref()) {
        let _ = write!(
            s,
            " tag 0x{:04x} {}..{}/{}{}",
            f.key.tag,
            f.offset,
            f.offset + f.len,
            f.key.size,
            if f.completes { " complete" } else { "" }
        );
    }
    if let Some(ip) = r.datagram.as_ref().and_then(|d| d.ipv6.as_ref()) {
        let _ = write!(s, "  {} > {}", ip.src, ip.dst);
        match &ip.upper {
            Upper::Udp {
                src_port,
                dst_port,
                length,
                ..
            } => {
                let _ = write!(s, " UDP {src_port} > {dst_port} len {length}");
                if let Some(m) = r.datagram.as_ref().and_then(|d| d.mle.as_deref()) {
                    match m.command_name {
                        Some(c) => {
                            let _ = write!(s, " MLE {c}");
                        }
                        None => s += " MLE (secured)",
                    }
                }
            }
            Upper::Icmpv6 { name, .. } => {
                let _ = write!(s, " ICMPv6 {name}");
            }
            Upper::Ipv6(inner) => {
                let _ = write!(s, " IPv6-in-IPv6 {} > {}", inner.src, inner.dst);
            }
            Upper::Other { protocol } => {
                let _ = write!(s, " proto {protocol}");
            }
            Upper::None => {}
        }
    }
    if let Some(n) = &r.note {
        if r.lowpan.is_none() {
            let _ = write!(s, "  ({n})");
        }
    }
    if r.mac
        .as_ref()
        .and_then(|m| m.fcs.as_ref())
        .is_some_and(|f| !f.ok)
    {
        s += "  [bad FCS]";
    }
    let link_ok = match r.link.as_deref() {
        Some(LinkHeader::Mstp(h)) => h.header_crc_ok && h.data_crc_ok != Some(false),
        Some(LinkHeader::G9959(h)) => h.checksum_ok,
        _ => true,
    };
    if !link_ok {
        s += "  [bad CRC]";
    }
    if let Some(e) = &r.error {
        let _ = write!(s, "  ! {e}");
    } else if let Some(e) = r.datagram.as_ref().and_then(|d| d.ipv6_error.as_ref()) {
        let _ = write!(s, "  ! {e}");
    }
    s
}

/// Writes the line of one frame.
pub fn frame(t: &mut Text, r: &FrameReport<'_>, ts: Timestamp) {
    t.s(&frame_line(r, ts)).nl();
}

/// The line of one Bluetooth LE packet: `ble`, its PDU kind in the sequence column's place, and
/// the device addresses of sender and receiver (`-` when the capture does not tell them).
pub fn ble_frame(t: &mut Text, r: &FrameReport<'_>, b: &BleReport, ts: Timestamp) {
    let line = frame_line(r, ts);
    let addr = |a: Option<BdAddr>| a.map_or_else(|| "-".to_string(), |a| a.to_string());
    let pdu = serde_json::to_value(b.pdu)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let head = format!("ble  {pdu} {} > {}", addr(b.src), addr(b.dst));
    t.s(&line.replacen("?      - - > -", &head, 1)).nl();
}

/// The line of a packet that is not an 802.15.4 frame, or whose link layer failed.
pub fn other(t: &mut Text, number: u64, ts: Timestamp, why: &str) {
    let _ = writeln!(t.buf, "{number:>6} {ts} -      - - > -  -  ({why})");
}
