//! Text and NDJSON rendering of 6LoWPAN frame reports.

use std::fmt;

use ietfwg_6lo::ble::BleReport;
use ietfwg_6lo::dispatch::DispatchHeader;
use ietfwg_6lo::hc1;
use ietfwg_6lo::iphc::{Encoding, IphcRepr};
use ietfwg_6lo::ipv6::{Summary, Upper};
use ietfwg_6lo::link::LinkHeader;
use ietfwg_6lo::lowpan::{
    Compression, DatagramReport, FrameReport, IncompleteDatagram, PartialCompression,
};
use ietfwg_6lo::mle::MleMessage;
use ietfwg_6lo::nhc::NhcRepr;
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
        cite(t, "IEEE 802.15.4-2015 §7.2");
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
    // Elided interface identifiers come from the mesh header's addresses when there is one
    // (RFC 4944 §11), else from the MAC header's.
    let (link_src, link_dst) = iid_sources(r);
    if let Some(p) = &r.partial {
        for h in &p.dispatch {
            dispatch_line(t, h);
        }
    }
    if let Some(l) = &r.lowpan {
        for h in &l.dispatch {
            dispatch_line(t, h);
        }
        match &l.compression {
            Some(Compression::Iphc {
                iphc,
                nhc,
                compressed_len,
                uncompressed_len,
            }) => {
                iphc_lines(
                    t,
                    iphc,
                    Some((*compressed_len, *uncompressed_len)),
                    link_src,
                    link_dst,
                );
                for n in nhc {
                    nhc_line(t, n);
                }
            }
            Some(Compression::Hc1 {
                hc1,
                uncompressed_len,
            }) => hc1_lines(t, hc1, *uncompressed_len, link_src, link_dst),
            Some(Compression::Ipv6) => {
                label_text(t, "6LoWPAN");
                t.s("uncompressed IPv6 header follows (dispatch 0x41)");
                cite(t, "RFC 4944 §5.1");
                t.nl();
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
        if d.trailing > 0 {
            label_text(t, "warning");
            t.styled(text::yellow, |t| {
                t.s(&trailing_message(d));
            });
            cite(t, "RFC 8200 §3");
            t.nl();
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
    if let Some(PartialCompression::Iphc {
        at,
        encoding,
        header,
    }) = r.partial.as_ref().and_then(|p| p.compression.as_ref())
    {
        match header {
            Some(h) => iphc_lines(t, h, None, link_src, link_dst),
            None => {
                label_text(t, "IPHC");
                encoding_words(t, encoding);
                t.s(", at byte ").n(*at);
                cite(t, "RFC 6282 §3.1.1");
                t.nl();
            }
        }
    }
    if let Some(PartialCompression::Hc1 {
        at,
        encoding,
        hc_udp,
    }) = r.partial.as_ref().and_then(|p| p.compression.as_ref())
    {
        label_text(t, "HC1");
        t.s("encoding ")
            .hex(u64::from(*encoding), 2)
            .s(" at byte ")
            .n(*at);
        cite(t, "RFC 4944 §10.1");
        t.nl();
        hc1_encoding_words(t, *encoding);
        if let Some(u) = hc_udp {
            label_text(t, "HC_UDP");
            t.s("encoding ").hex(u64::from(*u), 2).s(": ");
            hc_udp_words(t, *u);
            cite(t, "RFC 4944 §10.2");
            t.nl();
        }
    }
    if let Some(e) = &r.error {
        label_text(t, "error");
        t.styled(text::red_bold, |t| {
            t.d(Hinted(e));
        });
        t.nl();
    }
}

/// The section that defines a line's header, at the end of the line (dimmed on a terminal).
fn cite(t: &mut Text, section: &str) {
    t.s("  (");
    t.st(text::dimmed, section);
    t.s(")");
}

/// The link addresses elided interface identifiers are derived from, with their role: the
/// mesh header's originator and final destination when the frame has one, else the MAC
/// source and destination.
fn iid_sources(r: &FrameReport<'_>) -> ((LinkAddr, &'static str), (LinkAddr, &'static str)) {
    let dispatch = r
        .lowpan
        .as_ref()
        .map(|l| l.dispatch.as_slice())
        .unwrap_or_default();
    let mesh = dispatch.iter().find_map(|h| match h {
        DispatchHeader::Mesh(m) => Some(m),
        _ => None,
    });
    match (mesh, &r.mac) {
        (Some(m), _) => (
            (m.originator, "mesh originator"),
            (m.final_destination, "mesh final destination"),
        ),
        (None, Some(m)) => ((m.src, "MAC source"), (m.dst, "MAC destination")),
        // A bare payload (`--payload`): the link addresses were given, not captured.
        (None, None) => (
            (LinkAddr::Absent, "link source"),
            (LinkAddr::Absent, "link destination"),
        ),
    }
}

/// One dispatch header in words (RFC 4944 §5: mesh, broadcast, fragment; RFC 8025 pages,
/// RFC 8138 6LoRH, RFC 8931 RFRAG).
fn dispatch_line(t: &mut Text, h: &DispatchHeader) {
    label_text(t, "6LoWPAN");
    match h {
        DispatchHeader::Mesh(m) => {
            t.s("mesh: originator ");
            link_addr(t, &m.originator);
            t.s(" → final destination ");
            link_addr(t, &m.final_destination);
            t.s(", hops left ").n(m.hops_left);
            if m.deep_hops_left {
                t.s(" (deep hops left octet)");
            }
            cite(t, "RFC 4944 §5.2");
        }
        DispatchHeader::Bc0 { seq } => {
            t.s("broadcast LOWPAN_BC0, sequence ").n(*seq);
            cite(t, "RFC 4944 §11.1");
        }
        DispatchHeader::Frag1 {
            datagram_size,
            datagram_tag,
        } => {
            t.s("first fragment FRAG1: datagram size ")
                .n(*datagram_size)
                .s(", tag ")
                .hex(u64::from(*datagram_tag), 4);
            cite(t, "RFC 4944 §5.3");
        }
        DispatchHeader::FragN {
            datagram_size,
            datagram_tag,
            datagram_offset,
        } => {
            t.s("next fragment FRAGN: datagram size ")
                .n(*datagram_size)
                .s(", tag ")
                .hex(u64::from(*datagram_tag), 4)
                .s(", offset ")
                .n(*datagram_offset)
                .s(" × 8 = byte ")
                .n(u32::from(*datagram_offset) * 8);
            cite(t, "RFC 4944 §5.3");
        }
        DispatchHeader::Nalp { dispatch } => {
            t.s("NALP ")
                .hex(u64::from(*dispatch), 2)
                .s(": not a LoWPAN frame");
            cite(t, "RFC 4944 §5.1");
        }
        DispatchHeader::Esc { extended_dispatch } => {
            t.s("ESC, extended dispatch ").n(*extended_dispatch);
            cite(t, "RFC 6282 §2");
        }
        DispatchHeader::PageSwitch { page } => {
            t.s("page switch to page ").n(*page);
            cite(t, "RFC 8025 §3");
        }
        DispatchHeader::SixLoRh(_) => {
            t.tagged(h, true, " ");
            cite(t, "RFC 8138");
        }
        DispatchHeader::Rfrag(_) => {
            t.tagged(h, true, " ");
            cite(t, "RFC 8931 §5.1");
        }
        DispatchHeader::RfragAck(_) => {
            t.tagged(h, true, " ");
            cite(t, "RFC 8931 §5.2");
        }
    }
    t.nl();
}

/// The encoding bits of a LOWPAN_IPHC header as the RFC writes them.
fn encoding_bits(t: &mut Text, e: &Encoding) {
    t.s("TF=");
    bits2(t, e.tf);
    t.s(" NH=").n(u8::from(e.nh)).s(" HLIM=");
    bits2(t, e.hlim);
    t.s(" CID=")
        .n(u8::from(e.cid))
        .s(" SAC=")
        .n(u8::from(e.sac))
        .s(" SAM=");
    bits2(t, e.sam);
    t.s(" M=")
        .n(u8::from(e.m))
        .s(" DAC=")
        .n(u8::from(e.dac))
        .s(" DAM=");
    bits2(t, e.dam);
}

/// The encoding bits, then what TF, NH and HLIM leave inline or elide (RFC 6282 §3.1.1).
fn encoding_words(t: &mut Text, e: &Encoding) {
    encoding_bits(t, e);
    t.s(": ").s(match e.tf {
        0 => "ECN, DSCP and flow label inline",
        1 => "ECN and flow label inline, DSCP elided",
        2 => "ECN and DSCP inline, flow label elided",
        _ => "traffic class and flow label elided",
    });
    t.s(if e.nh {
        ", next header compressed (LOWPAN_NHC)"
    } else {
        ", next header inline"
    });
    t.s(match e.hlim {
        0 => ", hop limit inline",
        1 => ", hop limit 1",
        2 => ", hop limit 64",
        _ => ", hop limit 255",
    });
    if let Some((sci, dci)) = e.sci_dci {
        t.s(", contexts SCI=").n(sci).s(" DCI=").n(dci);
    }
}

fn encoding_of(p: &IphcRepr) -> Encoding {
    Encoding {
        tf: p.tf,
        nh: p.nh,
        hlim: p.hlim,
        cid: p.cid,
        sac: p.sac,
        sam: p.sam,
        m: p.m,
        dac: p.dac,
        dam: p.dam,
        sci_dci: p.cid.then_some((p.sci, p.dci)),
    }
}

/// The link address an elided IID was derived from: `link`, or when it is not known here (a
/// bare payload) the one the IID itself stands for (`0000:00ff:fe00:XXXX` a short address,
/// anything else an EUI-64 with the U/L bit flipped back).
/// " from the ROLE EUI-64 …, U/L bit flipped" or "… short address XXXX": the link address an
/// elided IID was formed from (RFC 4944 §6, RFC 6282 §3.2.2).
fn iid_from_link(t: &mut Text, role: &str, link: LinkAddr, a: &std::net::Ipv6Addr) {
    t.s(" from the ").s(role).s(" ");
    let link = link_of(link, a);
    match link {
        LinkAddr::Extended(_) => {
            t.s("EUI-64 ");
            link_addr(t, &link);
            t.s(", U/L bit flipped");
        }
        LinkAddr::Short(s) => {
            t.s("short address ").hex(u64::from(s), 4);
        }
        LinkAddr::Absent => {
            t.s("(absent)");
        }
    }
}

fn link_of(link: LinkAddr, a: &std::net::Ipv6Addr) -> LinkAddr {
    if link != LinkAddr::Absent {
        return link;
    }
    let iid = u128::from(*a) as u64;
    if iid >> 16 == 0x0000_00ff_fe00 {
        LinkAddr::Short(iid as u16)
    } else {
        LinkAddr::Extended((iid ^ (0x02 << 56)).to_be_bytes())
    }
}

/// The low 64 bits of an address as an interface identifier, `xxxx:xxxx:xxxx:xxxx`.
fn iid_text(t: &mut Text, a: &std::net::Ipv6Addr) {
    let seg = a.segments();
    for (i, s) in seg[4..].iter().enumerate() {
        if i > 0 {
            t.s(":");
        }
        t.hex_digits(u64::from(*s), 4);
    }
}

/// How a unicast address was rebuilt: prefix from where, IID from where (RFC 6282 §3.1.1 for
/// the modes, §3.2.2 and RFC 4944 §6 for IIDs derived from link addresses).
fn address_line(
    t: &mut Text,
    side: &str,
    addr: &std::net::Ipv6Addr,
    (stateful, mode, ctx): (bool, u8, u8),
    multicast_mode: Option<&str>,
    (link, role): (LinkAddr, &str),
) {
    t.s(INDENT).pad("", 9).s(side).s(" ");
    t.ipv6(addr);
    let (mode_name, ctx_name) = if side == "src" {
        ("SAM=", "SAC=")
    } else {
        ("DAM=", "DAC=")
    };
    t.s("  ")
        .s(ctx_name)
        .n(u8::from(stateful))
        .s(" ")
        .s(mode_name);
    bits2(t, mode);
    t.s(": ");
    if let Some(m) = multicast_mode {
        t.s("multicast, ").s(m);
        t.nl();
        return;
    }
    if stateful && mode == 0 {
        t.s("the unspecified address ::").nl();
        return;
    }
    if !stateful && mode == 0 {
        t.s("all 128 bits inline").nl();
        return;
    }
    if stateful {
        t.s("prefix from context ").n(ctx);
    } else {
        t.s("prefix fe80::/64 (link-local, elided)");
    }
    t.s(" + IID ");
    iid_text(t, addr);
    match mode {
        1 => {
            t.s(" (64 bits inline)");
        }
        2 => {
            t.s(" (16 bits inline, as 0000:00ff:fe00:XXXX)");
        }
        _ => {
            iid_from_link(t, role, link, addr);
        }
    }
    t.nl();
}

/// A LOWPAN_IPHC header: its encoding in words, then each address with its derivation.
/// `sizes`: compressed and uncompressed header octets, when decompression completed.
fn iphc_lines(
    t: &mut Text,
    p: &IphcRepr,
    sizes: Option<(usize, usize)>,
    src: (LinkAddr, &'static str),
    dst: (LinkAddr, &'static str),
) {
    label_text(t, "IPHC");
    encoding_words(t, &encoding_of(p));
    if let Some((c, u)) = sizes {
        t.s("; ").n(c).s(" octets for ").n(u);
    }
    cite(t, "RFC 6282 §3.1.1");
    t.nl();
    address_line(t, "src", &p.src, (p.sac, p.sam, p.sci), None, src);
    let multicast = p.m.then_some(p.dst_mode);
    address_line(t, "dst", &p.dst, (p.dac, p.dam, p.dci), multicast, dst);
}

/// One LOWPAN_NHC header: UDP in words, the others as their fields.
fn nhc_line(t: &mut Text, n: &NhcRepr) {
    label_text(t, "NHC");
    match n {
        NhcRepr::Udp {
            ports,
            ports_mode,
            c,
            src_port,
            dst_port,
            checksum,
            length,
        } => {
            t.s("UDP ").n(*src_port).s(" → ").n(*dst_port).s(" (P=");
            bits2(t, *ports);
            t.s(": ").s(ports_mode).s("), ");
            match (c, checksum) {
                (false, Some(x)) => {
                    t.s("checksum ").hex(u64::from(*x), 4).s(" inline (C=0)");
                }
                _ => {
                    t.s("checksum elided (C=1)");
                }
            }
            t.s(", length ").n(*length).s(" from the datagram");
            cite(t, "RFC 6282 §4.3");
        }
        NhcRepr::ExtHeader { .. } | NhcRepr::Ipv6 { .. } => {
            t.tagged(n, false, " ");
            cite(t, "RFC 6282 §4.2");
        }
        NhcRepr::GhcUdp { .. } => {
            t.tagged(n, false, " ");
            cite(t, "RFC 7400 §3.1");
        }
        _ => {
            t.tagged(n, false, " ");
            cite(t, "RFC 7400");
        }
    }
    t.nl();
}

/// The HC1 encoding octet in words: what is elided, what is inline (RFC 4944 §10.1).
fn hc1_encoding_words(t: &mut Text, e: u8) {
    t.s(INDENT).pad("", 9);
    let bit = |b: u8| e & b != 0;
    t.s(if bit(0x80) {
        "SP=1 source prefix elided (fe80::/64)"
    } else {
        "SP=0 source prefix inline"
    });
    t.s(if bit(0x40) {
        ", SI=1 source IID elided (from the link address)"
    } else {
        ", SI=0 source IID inline"
    });
    t.s(if bit(0x20) {
        ", DP=1 destination prefix elided"
    } else {
        ", DP=0 destination prefix inline"
    });
    t.s(if bit(0x10) {
        ", DI=1 destination IID elided"
    } else {
        ", DI=0 destination IID inline"
    })
    .nl();
    t.s(INDENT).pad("", 9);
    t.s(if bit(0x08) {
        "TF=1 traffic class and flow label zero, elided"
    } else {
        "TF=0 traffic class and flow label inline"
    });
    t.s(match (e >> 1) & 0x03 {
        0 => ", NH=00 next header inline",
        1 => ", NH=01 next header UDP",
        2 => ", NH=10 next header ICMPv6",
        _ => ", NH=11 next header TCP",
    });
    t.s(if bit(0x01) {
        ", H=1 HC_UDP encoding follows"
    } else {
        ", H=0 no HC2 encoding"
    });
    t.s(", hop limit inline").nl();
}

/// The HC_UDP encoding octet in words (RFC 4944 §10.2).
fn hc_udp_words(t: &mut Text, e: u8) {
    t.s(if e & 0x80 != 0 {
        "S=1 source port 4 bits (0xF0B0 + n)"
    } else {
        "S=0 source port inline"
    });
    t.s(if e & 0x40 != 0 {
        ", D=1 destination port 4 bits"
    } else {
        ", D=0 destination port inline"
    });
    t.s(if e & 0x20 != 0 {
        ", L=1 length elided (from the IPv6 payload length)"
    } else {
        ", L=0 length inline"
    });
    t.s(", checksum inline");
}

/// LOWPAN_HC1 and HC_UDP in words: what each encoding bit elides, then the addresses.
fn hc1_lines(
    t: &mut Text,
    d: &hc1::Decompressed,
    uncompressed_len: usize,
    src: (LinkAddr, &'static str),
    dst: (LinkAddr, &'static str),
) {
    let h = &d.hc1;
    label_text(t, "HC1");
    t.s("encoding ")
        .hex(u64::from(h.encoding), 2)
        .s(": ")
        .n(d.consumed)
        .s(" octets for ")
        .n(uncompressed_len);
    cite(t, "RFC 4944 §10.1");
    t.nl();
    hc1_encoding_words(t, h.encoding);
    for (side, a, prefix, iid, (link, role)) in [
        (
            "src",
            &h.src,
            h.src_prefix_compressed,
            h.src_iid_compressed,
            src,
        ),
        (
            "dst",
            &h.dst,
            h.dst_prefix_compressed,
            h.dst_iid_compressed,
            dst,
        ),
    ] {
        t.s(INDENT).pad("", 9).s(side).s(" ");
        t.ipv6(a);
        t.s("  ");
        match (prefix, iid) {
            (false, false) => {
                t.s("all 128 bits inline");
            }
            _ => {
                t.s(if prefix {
                    "prefix fe80::/64 (elided)"
                } else {
                    "prefix inline"
                })
                .s(" + IID ");
                iid_text(t, a);
                if iid {
                    iid_from_link(t, role, link, a);
                } else {
                    t.s(" (inline)");
                }
            }
        }
        t.nl();
    }
    if let Some(u) = &d.hc2 {
        label_text(t, "HC_UDP");
        t.s("UDP ")
            .n(u.src_port)
            .s(" → ")
            .n(u.dst_port)
            .s(", length ")
            .n(u.length)
            .s(", checksum ")
            .hex(u64::from(u.checksum), 4)
            .s("; encoding ")
            .hex(u64::from(u.encoding), 2)
            .s(": ");
        hc_udp_words(t, u.encoding);
        cite(t, "RFC 4944 §10.2");
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
        .hex(u64::from(ip.flow_label), 5);
    cite(t, "RFC 8200 §3");
    t.nl();
    if !ip.ext_headers.is_empty() {
        label_text(t, "ext hdrs");
        for (i, (ty, len)) in ip.ext_headers.iter().enumerate() {
            if i > 0 {
                t.s(", ");
            }
            t.d(ty).s(" (").d(len).s(" bytes)");
        }
        cite(t, "RFC 8200 §4");
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
            cite(t, "RFC 768");
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
            cite(t, "RFC 4443 §2");
            t.nl();
            if let Some(nd) = nd {
                label_text(t, "ND");
                t.fields(&nd.body);
                cite(t, "RFC 4861 §4");
                t.nl();
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

/// The warning for octets after the end of a datagram's Payload Length (text and JSON).
pub fn trailing_message(d: &DatagramReport) -> String {
    format!(
        "{} octet{} after the end of the datagram, which its Payload Length ({}) puts at \
         {} octets: not part of it, dropped",
        d.trailing,
        if d.trailing == 1 { "" } else { "s" },
        d.length.saturating_sub(ietfwg_6lo::ipv6::HEADER_LEN),
        d.length
    )
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
