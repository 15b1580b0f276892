//! Text and NDJSON rendering of 6LoWPAN frame reports.

use std::fmt;

use ietfwg_6lo::ble::BleReport;
use ietfwg_6lo::ipv6::{Summary, Upper};
use ietfwg_6lo::link::LinkHeader;
use ietfwg_6lo::lowpan::{Compression, FrameReport, IncompleteDatagram};
use ietfwg_6lo::mle::MleMessage;
use ietfwg_6lo::security::{SecurityReport, Status};
use ietfwg_6lo::{Detail, Error, LinkAddr};
use ietfwg_capture::{Encap, Timestamp};

use crate::text::{self, Text};

const INDENT: &str = "    ";

/// A codec error as this program prints it: the library's text, then, for an error the user
/// can remedy with an option of this program, the option to give (the library names none).
pub struct Hinted<'a>(pub &'a Error);

impl fmt::Display for Hinted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        match self.0.detail() {
            Some(Detail::ContextNotConfigured { id }) => {
                write!(f, " (give it with --context {id}=PREFIX/LEN)")
            }
            _ => Ok(()),
        }
    }
}

/// A line's label, `{INDENT}{:<9}` in cyan.
fn label_text(t: &mut Text, s: &str) {
    t.styled(text::cyan, |t| {
        t.s(INDENT).pad(s, 9);
    });
}

/// What the capture says about a frame, beside the frame itself.
#[derive(Debug)]
pub struct Link<'a> {
    pub ts: Timestamp,
    pub linktype: u32,
    pub encap: Option<&'a Encap>,
    /// `(captured, original)` length when the capture cut the frame short.
    pub snapped: Option<(usize, u32)>,
    /// The Bluetooth LE link layer, for a frame of a Bluetooth LE capture.
    pub ble: Option<&'a BleReport>,
}

/// One frame as text, appended to `t`.
pub fn frame_text(t: &mut Text, r: &FrameReport<'_>, link: &Link<'_>) {
    let (ts, encap) = (link.ts, link.encap);
    t.styled(text::bold, |t| {
        t.s("#").n(r.frame);
    });
    t.s("  ").ts(ts);
    if let Some(m) = &r.mac {
        t.s("  ").d(m.version).s(" ");
        t.styled(text::bold, |t| {
            t.d(m.frame_type);
        });
        if let Some(seq) = m.seq {
            t.s(" seq ").n(seq);
        }
        let pan = m.dst_pan.or(m.src_pan);
        if let Some(p) = pan {
            t.s(" PAN ").hex(u64::from(p), 4);
        }
        t.s("  ");
        link_addr(t, &m.src);
        t.s(" → ");
        link_addr(t, &m.dst);
        if let Some(f) = &m.fcs {
            t.s("  ");
            if f.ok {
                t.st(text::green, "FCS ok");
            } else {
                t.styled(text::red_bold, |t| {
                    t.s("FCS BAD (")
                        .hex(u64::from(f.received), 4)
                        .s(", expected ")
                        .hex(u64::from(f.computed), 4)
                        .s(")");
                });
            }
        }
        if m.security_enabled {
            t.s("  ").st(text::yellow, "secured");
        }
    }
    if let Some(l) = &r.link {
        link_summary(t, l);
    }
    if let Some(b) = link.ble {
        ble_head(t, b);
    }
    t.nl();
    if let Some(l) = &r.link {
        link_lines(t, l);
    }
    if let Some(b) = link.ble {
        ble_lines(t, b);
    }
    if let Some((captured, original)) = link.snapped {
        label_text(t, "capture");
        t.styled(text::yellow, |t| {
            t.s("only ")
                .n(captured)
                .s(" of ")
                .n(original)
                .s(" bytes captured: FCS not checked");
        });
        t.nl();
    }
    if let Some(e) = encap {
        // "direct" (the frame itself is the packet) says nothing: skip it without recording.
        if !matches!(e, Encap::Direct) && t.tape.record(e).is_ok() {
            let (tg, at) = t.tape.tag();
            if tg != "direct" {
                let tg = tg.into_owned();
                label_text(t, "encap");
                t.s(&tg).s(" ");
                let Text { tape, buf, .. } = t;
                tape.write_tagged_fields(at, buf);
                t.nl();
            }
        }
    }
    if let Some(m) = &r.mac {
        for ie in &m.header_ies {
            label_text(t, "header IE");
            t.fields(ie).nl();
        }
        for ie in &m.payload_ies {
            label_text(t, "payload IE");
            t.fields(ie).nl();
        }
        if let Some(s) = &m.security {
            label_text(t, "security");
            t.fields(s).nl();
        }
        if let Some(sec) = &r.security {
            security_line(t, sec);
        }
        if let Some(l) = &r.learned_address {
            label_text(t, "learnt");
            t.hex(u64::from(l.short), 4)
                .s(" in PAN ")
                .hex(u64::from(l.pan), 4)
                .s(" is ");
            link_addr(t, &LinkAddr::Extended(l.extended));
            t.nl();
        }
        if let Some(c) = &m.command {
            label_text(t, "command");
            t.fields(c).nl();
        }
        if let Some(b) = &m.beacon {
            label_text(t, "beacon");
            t.fields(b).nl();
        }
    }
    if let Some(l) = &r.lowpan {
        for h in &l.dispatch {
            label_text(t, "6LoWPAN");
            t.tagged(h, true, " ").nl();
        }
        match &l.compression {
            Some(Compression::Iphc {
                iphc,
                nhc,
                compressed_len,
                uncompressed_len,
            }) => {
                label_text(t, "IPHC");
                t.s("TF=");
                bits2(t, iphc.tf);
                t.s(" NH=").n(u8::from(iphc.nh)).s(" HLIM=");
                bits2(t, iphc.hlim);
                t.s(" CID=")
                    .n(u8::from(iphc.cid))
                    .s(" SAC=")
                    .n(u8::from(iphc.sac))
                    .s(" SAM=");
                bits2(t, iphc.sam);
                t.s(" M=")
                    .n(u8::from(iphc.m))
                    .s(" DAC=")
                    .n(u8::from(iphc.dac))
                    .s(" DAM=");
                bits2(t, iphc.dam);
                t.s("  (")
                    .n(*compressed_len)
                    .s(" bytes for ")
                    .n(*uncompressed_len)
                    .s(")")
                    .nl();
                t.s(INDENT).pad("", 9).s("src ").ipv6(&iphc.src).s("  (");
                t.d(iphc.src_mode).s(")").nl();
                t.s(INDENT).pad("", 9).s("dst ").ipv6(&iphc.dst).s("  (");
                t.d(iphc.dst_mode).s(")").nl();
                for n in nhc {
                    label_text(t, "NHC");
                    t.tagged(n, false, " ").nl();
                }
            }
            Some(Compression::Hc1 {
                hc1,
                uncompressed_len,
            }) => {
                label_text(t, "HC1");
                t.fields(hc1)
                    .s("  (for ")
                    .n(*uncompressed_len)
                    .s(" bytes)")
                    .nl();
            }
            Some(Compression::Ipv6) => {
                label_text(t, "6LoWPAN");
                t.s("uncompressed IPv6 (dispatch 0x41)").nl();
            }
            None => {}
        }
        if let Some(f) = &l.fragment {
            label_text(t, "fragment");
            t.s("bytes ")
                .n(f.offset)
                .s("..")
                .n(f.offset + f.len)
                .s(" of datagram ");
            link_addr(t, &f.key.src);
            t.s(" → ");
            link_addr(t, &f.key.dst);
            t.s(" size ")
                .n(f.key.size)
                .s(" tag ")
                .hex(u64::from(f.key.tag), 4)
                .s(": ");
            if f.completes {
                t.st(text::green, "completes it");
            } else {
                t.s("pending");
            }
            t.nl();
        }
    }
    if let Some(d) = &r.datagram {
        if let Some(ip) = &d.ipv6 {
            ipv6_lines(t, ip);
        }
        if let Some(m) = &d.mle {
            mle_lines(t, m);
        }
        if d.frames.len() > 1 {
            label_text(t, "datagram");
            t.n(d.length).s(" bytes reassembled from frames ");
            for (i, f) in d.frames.iter().enumerate() {
                if i > 0 {
                    t.s(" ");
                }
                t.s("#").n(*f);
            }
            t.nl();
        }
        if d.checksum_recomputed {
            label_text(t, "note");
            t.s("UDP checksum elided on the wire, recomputed (RFC 6282 §4.3.2)")
                .nl();
        }
        if let Some(e) = &d.ipv6_error {
            label_text(t, "warning");
            t.styled(text::yellow, |t| {
                t.d(e);
            });
            t.nl();
        }
    }
    if let Some(n) = &r.note {
        label_text(t, "note");
        t.st(text::dimmed, n).nl();
    }
    if let Some(e) = &r.error {
        label_text(t, "error");
        t.styled(text::red_bold, |t| {
            t.d(Hinted(e));
        });
        t.nl();
    }
}

/// What unsecuring a frame gave: the MIC verified (with which key) or why the payload was not
/// decoded, with the option that would supply what was missing.
fn security_line(t: &mut Text, sec: &SecurityReport) {
    label_text(t, "MIC");
    let source = |t: &mut Text| {
        if let Some(e) = sec.nonce_source {
            t.s(", nonce from ");
            link_addr(t, &LinkAddr::Extended(e));
        }
    };
    let key = |t: &mut Text| {
        if let Some(k) = sec.key {
            t.s(" with ").d(k);
        }
    };
    match sec.status {
        Status::Verified => {
            t.st(text::green, "MIC verified");
            key(t);
            source(t);
        }
        Status::Unauthenticated => {
            t.st(
                text::yellow,
                "decrypted, no MIC to verify (security level 4)",
            );
            key(t);
            source(t);
        }
        Status::MicFailed => {
            t.st(text::red_bold, "MIC FAILED")
                .s(" (")
                .n(sec.keys_tried)
                .s(" key(s) tried");
            source(t);
            t.s("): payload not decoded");
        }
        Status::NoKey => {
            t.st(text::yellow, "no key")
                .s(" (give it with --wpan-key or --thread-key)");
        }
        Status::NoExtendedAddress => {
            let short = u64::from(sec.short_source.unwrap_or_default());
            t.st(text::yellow, "no extended address")
                .s(" for ")
                .hex(short, 4)
                .s(" (give it with --addr-map ")
                .hex(short, 4)
                .s("=EXT)");
        }
        Status::Unsupported => {
            t.st(text::yellow, "not decrypted")
                .s(": ")
                .s(sec.reason.as_deref().unwrap_or_default());
        }
    }
    t.nl();
}

/// The first line's part for a frame of a link other than 802.15.4: link, frame type,
/// addresses, and whether its check sequence holds.
fn link_summary(t: &mut Text, l: &LinkHeader) {
    let crc = |t: &mut Text, what: &str, ok: bool| {
        t.s("  ");
        if ok {
            t.st(text::green, what).s(" ok");
        } else {
            t.styled(text::red_bold, |t| {
                t.s(what).s(" BAD");
            });
        }
    };
    match l {
        LinkHeader::Mstp(h) => {
            t.s("  BACnet MS/TP ");
            t.st(text::bold, h.frame_type_name);
            t.s("  ").n(h.src).s(" → ").n(h.dst);
            crc(t, "header CRC", h.header_crc_ok);
            if let Some(ok) = h.data_crc_ok {
                crc(t, if h.cobs { "CRC-32K" } else { "data CRC" }, ok);
            }
        }
        LinkHeader::NfcLlcp(h) => {
            t.s("  NFC LLCP ");
            t.st(text::bold, h.ptype_name);
            t.s("  SSAP ").n(h.ssap).s(" → DSAP ").n(h.dsap);
        }
        LinkHeader::G9959(h) => {
            t.s("  G.9959 ");
            t.st(text::bold, h.header_type_name);
            t.s(" HomeID ").s(&h.home_id);
            t.s("  node ").n(h.src_node).s(" → ").n(h.dst_node);
            crc(t, "checksum", h.checksum_ok);
        }
    }
}

/// The link header's fields, one line.
fn link_lines(t: &mut Text, l: &LinkHeader) {
    match l {
        LinkHeader::Mstp(h) => {
            label_text(t, "MS/TP");
            t.fields(h).nl();
        }
        LinkHeader::NfcLlcp(h) => {
            label_text(t, "LLCP");
            t.fields(h).nl();
        }
        LinkHeader::G9959(h) => {
            label_text(t, "G.9959");
            t.fields(h).nl();
        }
    }
}

/// An MLE message: its security (and whether the MLE key verified the MIC), the command and
/// one line per TLV.
fn mle_lines(t: &mut Text, m: &MleMessage) {
    label_text(t, "MLE");
    match &m.security {
        None if m.security_suite == ietfwg_6lo::mle::SUITE_NONE => {
            t.s("unsecured (security suite 255)");
        }
        None => {
            t.s("security suite ").n(m.security_suite);
        }
        Some(s) => {
            t.s("secured level=")
                .n(s.security_level)
                .s(" key_id_mode=")
                .n(s.key_id_mode)
                .s(" frame_counter=")
                .n(s.frame_counter);
            if let Some(i) = s.key_index {
                t.s(" key_index=").n(i);
            }
            if let Some(q) = s.key_sequence {
                t.s(" key_sequence=").n(q);
            }
            t.nl();
            label_text(t, "MLE MIC");
            match s.status {
                Status::Verified => {
                    t.st(text::green, "MIC verified");
                    if let Some(k) = s.key {
                        t.s(" with MLE key of ").d(k);
                    }
                }
                Status::MicFailed => {
                    t.st(text::red_bold, "MIC FAILED")
                        .s(" (")
                        .n(s.keys_tried)
                        .s(" key(s) tried)");
                }
                Status::NoKey => {
                    t.st(text::yellow, "no key")
                        .s(" (give the network key with --thread-key)");
                }
                _ => {
                    t.st(text::yellow, "not decrypted")
                        .s(": ")
                        .s(s.reason.as_deref().unwrap_or_default());
                }
            }
            if let Some(e) = s.nonce_source {
                t.s(", nonce from ");
                link_addr(t, &LinkAddr::Extended(e));
            }
        }
    }
    t.nl();
    if let (Some(c), Some(name)) = (m.command, m.command_name) {
        label_text(t, "command");
        t.st(text::bold, name).s(" (").n(c).s(")").nl();
    }
    for tlv in &m.tlvs {
        label_text(t, "TLV");
        t.s(tlv.name).s(" (").n(tlv.type_).s(") ");
        if tlv.value.is_empty() {
            t.s("empty");
        } else {
            t.hex_bytes(&tlv.value);
        }
        t.nl();
    }
    if let Some(e) = &m.error {
        label_text(t, "warning");
        t.styled(text::yellow, |t| {
            t.d(e);
        });
        t.nl();
    }
}

/// A link address as its `Display` writes it (`0xabcd`, `00:12:4b:…`, `-`).
fn link_addr(t: &mut Text, a: &LinkAddr) {
    match a {
        LinkAddr::Absent => {
            t.s("-");
        }
        LinkAddr::Short(s) => {
            t.hex(u64::from(*s), 4);
        }
        LinkAddr::Extended(e) => {
            for (i, b) in e.iter().enumerate() {
                if i > 0 {
                    t.s(":");
                }
                t.hex_digits(u64::from(*b), 2);
            }
        }
    }
}

/// A 2-bit field as `{:02b}`.
fn bits2(t: &mut Text, v: u8) {
    if v > 3 {
        t.d(format_args!("{v:02b}"));
    } else {
        t.buf.push(b'0' + (v >> 1));
        t.buf.push(b'0' + (v & 1));
    }
}

fn checksum_verdict(t: &mut Text, ok: Option<bool>) {
    match ok {
        Some(true) => t.st(text::green, "ok"),
        Some(false) => t.st(text::red_bold, "BAD"),
        None => t.st(text::dimmed, "not verified"),
    };
}

/// The IPv6 header and its upper layer, one line each (and again for IPv6-in-IPv6).
fn ipv6_lines(t: &mut Text, ip: &Summary) {
    label_text(t, "IPv6");
    t.styled(text::bold, |t| {
        t.ipv6(&ip.src);
    });
    t.s(" → ");
    t.styled(text::bold, |t| {
        t.ipv6(&ip.dst);
    });
    t.s("  plen ")
        .n(ip.payload_length)
        .s(" nh ")
        .n(ip.next_header)
        .s(" hlim ")
        .n(ip.hop_limit)
        .s(" tc ")
        .hex(u64::from(ip.traffic_class), 2)
        .s(" flow ")
        .hex(u64::from(ip.flow_label), 5)
        .nl();
    if !ip.ext_headers.is_empty() {
        label_text(t, "ext hdrs");
        for (i, (ty, len)) in ip.ext_headers.iter().enumerate() {
            if i > 0 {
                t.s(", ");
            }
            t.d(ty).s(" (").d(len).s(" bytes)");
        }
        t.nl();
    }
    match &ip.upper {
        Upper::Udp {
            src_port,
            dst_port,
            length,
            checksum,
            checksum_ok,
        } => {
            label_text(t, "UDP");
            t.n(*src_port)
                .s(" → ")
                .n(*dst_port)
                .s("  len ")
                .n(*length)
                .s("  checksum ")
                .hex(u64::from(*checksum), 4)
                .s(" ");
            checksum_verdict(t, *checksum_ok);
            t.nl();
        }
        Upper::Icmpv6 {
            type_,
            code,
            name,
            checksum,
            checksum_ok,
            nd,
            nd_error,
        } => {
            label_text(t, "ICMPv6");
            t.d(name)
                .s(" (type ")
                .n(*type_)
                .s(" code ")
                .n(*code)
                .s(")  checksum ")
                .hex(u64::from(*checksum), 4)
                .s(" ");
            checksum_verdict(t, *checksum_ok);
            t.nl();
            if let Some(nd) = nd {
                label_text(t, "ND");
                t.fields(&nd.body).nl();
                for o in &nd.options {
                    label_text(t, "ND option");
                    t.tagged(o, false, " ").nl();
                }
            }
            if let Some(e) = nd_error {
                label_text(t, "warning");
                t.styled(text::yellow, |t| {
                    t.d(e);
                });
                t.nl();
            }
        }
        Upper::Ipv6(inner) => ipv6_lines(t, inner),
        Upper::Other { protocol } => {
            label_text(t, "payload");
            t.s("protocol ").d(protocol).s(", not decoded").nl();
        }
        Upper::None => {}
    }
}

/// One frame as an NDJSON line (`super::json`), appended to `t`.
pub fn frame_json(t: &mut Text, r: &FrameReport<'_>, link: &Link<'_>) -> anyhow::Result<()> {
    super::json::frame(t, r, link)
}

pub fn skipped(
    t: &mut Text,
    json: bool,
    number: u64,
    ts: Timestamp,
    linktype: u32,
    why: &str,
) -> anyhow::Result<()> {
    if json {
        super::json::skipped(t, number, ts, linktype, why)
    } else {
        t.styled(text::bold, |t| {
            t.s("#").n(number);
        });
        t.s("  ").ts(ts).s("  ");
        t.styled(text::dimmed, |t| {
            t.s("not 802.15.4: ").s(why);
        });
        t.nl();
        Ok(())
    }
}

pub fn link_error(
    t: &mut Text,
    json: bool,
    number: u64,
    ts: Timestamp,
    linktype: u32,
    msg: &str,
    location: Option<(&'static str, usize)>,
) -> anyhow::Result<()> {
    if json {
        super::json::link_error(t, number, ts, linktype, msg, location)
    } else {
        t.styled(text::bold, |t| {
            t.s("#").n(number);
        });
        t.s("  ").ts(ts).nl();
        label_text(t, "error");
        t.st(text::red_bold, msg).nl();
        Ok(())
    }
}

pub fn incomplete_line(inc: &IncompleteDatagram) -> String {
    let frames: Vec<String> = inc.frames.iter().map(|f| format!("#{f}")).collect();
    format!(
        "incomplete datagram {} → {} size {} tag 0x{:04x}: {} of {} bytes from frames {} ({})",
        inc.key.src,
        inc.key.dst,
        inc.key.size,
        inc.key.tag,
        inc.received,
        inc.key.size,
        frames.join(" "),
        serde_json::to_value(inc.reason)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .unwrap_or_default()
    )
}

pub fn incomplete(t: &mut Text, json: bool, inc: &IncompleteDatagram) -> anyhow::Result<()> {
    if json {
        super::json::incomplete(t, inc)
    } else {
        t.st(text::yellow, &incomplete_line(inc)).nl();
        Ok(())
    }
}

/// The Bluetooth LE part of a frame's first line: what the packet is, the connection, who sent
/// it, the CRC.
fn ble_head(t: &mut Text, b: &BleReport) {
    t.s("  BLE ");
    t.styled(text::bold, |t| {
        t.s(serde_json::to_value(b.pdu)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .as_deref()
            .unwrap_or("?"));
    });
    if let Some(aa) = &b.access_address {
        t.s(" AA ").s(aa);
    }
    if let Some(h) = b.handle {
        t.s(" handle ").n(h);
    }
    if let Some(llid) = b.llid {
        t.s(" LLID ").n(llid);
        if let (Some(sn), Some(nesn)) = (b.sn, b.nesn) {
            t.s(" SN ").n(sn).s(" NESN ").n(nesn);
        }
    }
    if let Some(pb) = b.pb {
        t.s(" PB ").n(pb);
    }
    if b.src.is_some() || b.dst.is_some() {
        let a = |x: &Option<ietfwg_6lo::ble::BdAddr>| {
            x.map_or_else(|| "?".to_string(), |a| format!("{a} ({})", kind(a.kind)))
        };
        t.s("  ").s(&a(&b.src)).s(" → ").s(&a(&b.dst));
    } else if let Some(d) = b.direction {
        let name = serde_json::to_value(d)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        t.s("  ").s(&name);
    }
    if let Some(c) = &b.crc {
        t.s("  ");
        if c.ok {
            t.st(text::green, "CRC ok");
        } else {
            t.styled(text::red_bold, |t| {
                t.s("CRC BAD (")
                    .hex(u64::from(c.received), 6)
                    .s(", expected ")
                    .hex(u64::from(c.computed), 6)
                    .s(")");
            });
        }
    }
}

fn kind(k: ietfwg_6lo::ble::AddrType) -> &'static str {
    match k {
        ietfwg_6lo::ble::AddrType::Public => "public",
        ietfwg_6lo::ble::AddrType::Random => "random",
    }
}

/// The L2CAP line and the notes of a Bluetooth LE frame.
fn ble_lines(t: &mut Text, b: &BleReport) {
    if let Some(c) = &b.connect {
        label_text(t, "connect");
        t.s("central ")
            .d(c.central)
            .s(" (")
            .s(kind(c.central.kind))
            .s("), peripheral ")
            .d(c.peripheral)
            .s(" (")
            .s(kind(c.peripheral.kind))
            .s("), AA ")
            .hex(u64::from(c.access_address), 8)
            .s(", CRCInit ")
            .hex(u64::from(c.crc_init), 6)
            .nl();
    }
    if let Some(l) = &b.l2cap {
        label_text(t, "L2CAP");
        t.s("CID ").hex(u64::from(l.cid), 4).s(" ").s(l.segment);
        if let Some(n) = l.length {
            t.s(" length ").n(n);
        }
        if let Some(p) = l.psm {
            t.s(" PSM ").hex(u64::from(p), 4);
            if p == ietfwg_6lo::ble::PSM_IPSP {
                t.s(" (IPSP");
                if !l.psm_learned {
                    t.s(", by its IPHC dispatch");
                }
                t.s(")");
            }
        }
        if let Some(n) = l.sdu_length {
            t.s(" SDU length ").n(n);
        }
        t.nl();
        if let Some(s) = &l.signal {
            label_text(t, "signal");
            t.tagged(s, false, " ").nl();
        }
    }
    if let Some(s) = &b.sdu {
        label_text(t, "SDU");
        t.n(s.length).s(" octets from frames");
        for f in &s.frames {
            t.s(" #").n(*f);
        }
        t.nl();
    }
    if let Some(n) = &b.note {
        label_text(t, "note");
        t.st(text::dimmed, n).nl();
    }
}

#[cfg(test)]
mod tests {
    use ietfwg_6lo::iphc;
    use ietfwg_6lo::{ContextTable, LinkAddr};

    use super::*;

    /// The library says which context is missing; the option to give it is added here, in text
    /// and in JSON alike.
    #[test]
    fn missing_context_is_printed_with_the_option() -> anyhow::Result<()> {
        // SAC=1 SAM=11 with SCI=5 (CID octet 0x50), no context configured.
        let (a, b) = (LinkAddr::Short(1), LinkAddr::Short(2));
        let ctx = ContextTable::new();
        let Err(e) = iphc::decompress(&[0x7b, 0xf3, 0x50, 0x11], 0, &ctx, a, b, None) else {
            anyhow::bail!("decompressed without context 5");
        };
        let text = "IPHC: byte 2: SCI: context 5 is not configured";
        assert_eq!(e.to_string(), text);
        let hinted = format!("{text} (give it with --context 5=PREFIX/LEN)");
        assert_eq!(Hinted(&e).to_string(), hinted);
        // Other errors print as the library says.
        let Err(e) = iphc::decompress(&[0x7b], 0, &ctx, a, b, None) else {
            anyhow::bail!("decompressed one octet");
        };
        assert_eq!(Hinted(&e).to_string(), e.to_string());
        Ok(())
    }
}
