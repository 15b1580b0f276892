//! Where every field of a decoded frame lies in its bytes: the map an annotated hex dump draws.
//!
//! [`frame_fields`] takes a frame and the [`FrameReport`] the decoder gave for it and lists
//! the frame's fields in wire order, each with its byte range, layer, name, value and the
//! section of the standard that defines it; bit fields (802.15.4 Frame Control, LOWPAN_IPHC,
//! LOWPAN_NHC, fragment and mesh headers) carry their sub-fields with the bits they occupy.
//! The ranges are laid out from the decoded values by the rules of each header's format
//! (IEEE 802.15.4-2015 §7.2, RFC 4944 §5, RFC 6282 §3.2 and §4): nothing is parsed again.
//!
//! The list covers the frame exactly, each octet once: what the decoder did not reach (after
//! an error, an encrypted payload, an unknown form) is one field of layer
//! [`FieldLayer::Undecoded`]; a gap that the rules below do not account for is a field named
//! [`UNMAPPED`] (tests check that real captures produce none).

pub use ietfwg_report::fields::{BitField, Layer, UNMAPPED};

use crate::dispatch::DispatchHeader;
use crate::iphc::IphcRepr;
use crate::lowpan::{Compression, FrameReport};
use crate::mac::{self, FcsMode};
use crate::nhc::{self, NhcRepr};
use crate::LinkAddr;

/// The layer a field belongs to (a hex dump colours by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldLayer {
    /// IEEE 802.15.4 MAC header and MIC.
    Mac,
    /// 6LoWPAN dispatch headers: mesh, BC0, fragment, page, 6LoRH, RFRAG.
    Dispatch,
    /// LOWPAN_IPHC, or LOWPAN_HC1/HC2, or an uncompressed IPv6 header.
    Ipv6Header,
    /// LOWPAN_NHC (and GHC) headers.
    Nhc,
    /// Upper-layer bytes carried as they are.
    Payload,
    /// The FCS.
    Fcs,
    /// Bytes the decoder did not reach or could not read.
    Undecoded,
}

impl Layer for FieldLayer {
    const UNDECODED: Self = FieldLayer::Undecoded;

    fn name(self) -> &'static str {
        match self {
            FieldLayer::Mac => "802.15.4",
            FieldLayer::Dispatch => "6LoWPAN",
            FieldLayer::Ipv6Header => "IPHC",
            FieldLayer::Nhc => "NHC",
            FieldLayer::Payload => "payload",
            FieldLayer::Fcs => "FCS",
            FieldLayer::Undecoded => "undecoded",
        }
    }
}

/// One field of a frame.
pub type Field = ietfwg_report::fields::Field<FieldLayer>;

/// Builds the list in wire order.
type Map = ietfwg_report::fields::Map<FieldLayer>;

const MAC_FCF: &str = "IEEE 802.15.4-2015 §7.2.2";
const MAC_FIELDS: &str = "IEEE 802.15.4-2015 §7.2.1";

fn addr_len(a: &LinkAddr) -> usize {
    match a {
        LinkAddr::Short(_) => 2,
        LinkAddr::Extended(_) => 8,
        LinkAddr::Absent => 0,
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "set"
    } else {
        "not set"
    }
}

/// The fields of `frame` (the whole captured frame, FCS included when `fcs` says there is
/// one) as `report` decoded them.
pub fn frame_fields(frame: &[u8], fcs: FcsMode, report: &FrameReport<'_>) -> Vec<Field> {
    let mut m = Map::new(0);
    let body_end = frame.len().saturating_sub(fcs.len());
    let Some(mac) = &report.mac else {
        let why = report
            .error
            .as_ref()
            .map_or_else(|| "not decoded".to_string(), ToString::to_string);
        m.push(
            frame.len(),
            FieldLayer::Undecoded,
            "802.15.4 frame",
            why,
            "",
        );
        return m.fields;
    };
    mac_fields(&mut m, mac);
    m.fill_to(mac.payload_offset);
    let payload_end = mac.payload_offset + mac.payload_len;
    if report.lowpan.is_some() || report.error.is_some() {
        lowpan_fields(&mut m, report, payload_end);
    }
    if m.at < payload_end {
        let (layer, name, value) = if mac.payload_encrypted {
            (
                FieldLayer::Undecoded,
                "MAC payload",
                "encrypted".to_string(),
            )
        } else if let Some(note) = &report.note {
            (FieldLayer::Payload, "MAC payload", note.clone())
        } else {
            (
                FieldLayer::Payload,
                "MAC payload",
                format!("{} byte(s)", payload_end - m.at),
            )
        };
        m.push(payload_end - m.at, layer, name, value, MAC_FIELDS);
    }
    m.fill_to(payload_end);
    if let Some(mic) = &mac.mic {
        m.push(
            mic.len(),
            FieldLayer::Mac,
            "MIC",
            hex(mic),
            "IEEE 802.15.4-2015 §9.3",
        );
    }
    m.fill_to(body_end);
    if let Some(f) = &mac.fcs {
        let width = usize::from(f.bits / 8);
        let value = if f.ok {
            format!("0x{:0w$x} (correct)", f.received, w = width * 2)
        } else {
            format!(
                "0x{:0w$x} (BAD, expected 0x{:0w$x})",
                f.received,
                f.computed,
                w = width * 2
            )
        };
        m.push(
            width,
            FieldLayer::Fcs,
            "FCS",
            value,
            "IEEE 802.15.4-2015 §7.2.10",
        );
    }
    m.fill_to(frame.len());
    m.finish()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn addr_mode(mode: u8) -> &'static str {
    match mode {
        0 => "no address",
        1 => "reserved",
        2 => "short (16-bit)",
        _ => "extended (64-bit)",
    }
}

fn mac_fields(m: &mut Map, f: &mac::Frame<'_>) {
    let fcf = u32::from(f.fcf);
    let is_2015 = f.version == mac::FrameVersion::V2015;
    let field = m.push(
        2,
        FieldLayer::Mac,
        "Frame Control",
        format!("0x{fcf:04x} (little-endian)"),
        MAC_FCF,
    );
    field
        .word(fcf, 16)
        .bit(0, 2, "Source Addressing Mode", addr_mode(f.src_addr_mode))
        .bit(2, 2, "Frame Version", f.version.to_string())
        .bit(
            4,
            2,
            "Destination Addressing Mode",
            addr_mode(f.dst_addr_mode),
        );
    if is_2015 {
        field
            .bit(6, 1, "IE Present", yes(f.ie_present))
            .bit(7, 1, "Sequence Number Suppression", yes(f.seq_suppressed))
            .bit(8, 1, "Reserved", "");
    } else {
        field.bit(6, 3, "Reserved", "");
    }
    field
        .bit(9, 1, "PAN ID Compression", yes(f.pan_id_compression))
        .bit(10, 1, "AR (Acknowledgment Request)", yes(f.ack_request))
        .bit(11, 1, "Frame Pending", yes(f.frame_pending))
        .bit(12, 1, "Security Enabled", yes(f.security_enabled))
        .bit(13, 3, "Frame Type", f.frame_type.to_string());
    if let Some(s) = f.seq {
        m.push(
            1,
            FieldLayer::Mac,
            "Sequence Number",
            s.to_string(),
            MAC_FIELDS,
        );
    }
    if let Some(p) = f.dst_pan {
        m.push(
            2,
            FieldLayer::Mac,
            "Destination PAN ID",
            format!("0x{p:04x}"),
            MAC_FIELDS,
        );
    }
    if f.dst != LinkAddr::Absent {
        m.push(
            addr_len(&f.dst),
            FieldLayer::Mac,
            "Destination Address",
            format!("{} (octets reversed on the wire)", f.dst),
            MAC_FIELDS,
        );
    }
    if f.src_pan_on_wire {
        if let Some(p) = f.src_pan {
            m.push(
                2,
                FieldLayer::Mac,
                "Source PAN ID",
                format!("0x{p:04x}"),
                MAC_FIELDS,
            );
        }
    }
    if f.src != LinkAddr::Absent {
        m.push(
            addr_len(&f.src),
            FieldLayer::Mac,
            "Source Address",
            format!("{} (octets reversed on the wire)", f.src),
            MAC_FIELDS,
        );
    }
    if let Some(s) = &f.security {
        m.fill_to(s.offset);
        m.push(
            s.length,
            FieldLayer::Mac,
            "Auxiliary Security Header",
            format!(
                "level {} ({}), key id mode {}{}",
                s.security_level.0,
                s.security_level.name().unwrap_or("?"),
                s.key_id_mode.0,
                s.frame_counter
                    .map(|c| format!(", frame counter {c}"))
                    .unwrap_or_default()
            ),
            "IEEE 802.15.4-2015 §9.4",
        );
    }
    for ie in &f.header_ies {
        m.fill_to(ie.offset);
        m.push(
            2 + ie.length,
            FieldLayer::Mac,
            "Header IE",
            format!("{} ({} byte(s) of content)", ie.element_id, ie.length),
            "IEEE 802.15.4-2015 §7.4.2",
        );
    }
    for ie in &f.payload_ies {
        m.fill_to(ie.offset);
        m.push(
            2 + ie.length,
            FieldLayer::Mac,
            "Payload IE",
            format!("{} ({} byte(s) of content)", ie.group_id, ie.length),
            "IEEE 802.15.4-2015 §7.4.3",
        );
    }
    if let Some(c) = &f.command {
        m.fill_to(c.offset);
        m.push(
            1,
            FieldLayer::Mac,
            "Command Frame Identifier",
            c.id.to_string(),
            "IEEE 802.15.4-2015 §7.5",
        );
    }
    if let Some(b) = &f.beacon {
        let len = f.payload_offset.saturating_sub(m.at);
        if len > 0 {
            m.push(
                len,
                FieldLayer::Mac,
                "Superframe Specification, GTS, Pending Addresses",
                format!(
                    "beacon order {}, superframe order {}, {} GTS, {} pending",
                    b.beacon_order,
                    b.superframe_order,
                    b.gts.len(),
                    b.pending_addresses.len()
                ),
                "IEEE 802.15.4-2006 §7.2.2.1",
            );
        }
    }
}

const FRAG: &str = "RFC 4944 §5.3";

fn dispatch_fields(m: &mut Map, h: &DispatchHeader) {
    let d = FieldLayer::Dispatch;
    match h {
        DispatchHeader::Frag1 {
            datagram_size,
            datagram_tag,
        }
        | DispatchHeader::FragN {
            datagram_size,
            datagram_tag,
            ..
        } => {
            let (kind, code) = match h {
                DispatchHeader::Frag1 { .. } => ("FRAG1", 0b11000),
                _ => ("FRAGN", 0b11100),
            };
            let word = (code << 11) | u32::from(*datagram_size & 0x7ff);
            m.push(
                2,
                d,
                format!("{kind} dispatch, datagram_size"),
                datagram_size.to_string(),
                FRAG,
            )
            .word(word, 16)
            .bit(
                0,
                5,
                "Dispatch",
                if kind == "FRAG1" {
                    "11000: FRAG1, the first fragment"
                } else {
                    "11100: FRAGN, a subsequent fragment"
                },
            )
            .bit(
                5,
                11,
                "datagram_size",
                format!("{datagram_size} octets of uncompressed IPv6"),
            );
            m.push(2, d, "datagram_tag", format!("0x{datagram_tag:04x}"), FRAG);
            if let DispatchHeader::FragN {
                datagram_offset, ..
            } = h
            {
                m.push(
                    1,
                    d,
                    "datagram_offset",
                    format!(
                        "{datagram_offset} (x 8 = byte {})",
                        usize::from(*datagram_offset) * 8
                    ),
                    FRAG,
                );
            }
        }
        DispatchHeader::Mesh(mh) => {
            let v = matches!(mh.originator, LinkAddr::Short(_));
            let f = matches!(mh.final_destination, LinkAddr::Short(_));
            let hops4 = if mh.deep_hops_left {
                0xf
            } else {
                mh.hops_left & 0xf
            };
            let word = 0x80 | (u32::from(v) << 5) | (u32::from(f) << 4) | u32::from(hops4);
            m.push(
                1,
                d,
                "Mesh header",
                format!("hops left {}", mh.hops_left),
                "RFC 4944 §5.2",
            )
            .word(word, 8)
            .bit(0, 2, "Dispatch", "10: Mesh")
            .bit(
                2,
                1,
                "V",
                if v {
                    "originator is a 16-bit short address"
                } else {
                    "originator is an EUI-64"
                },
            )
            .bit(
                3,
                1,
                "F",
                if f {
                    "final destination is a 16-bit short address"
                } else {
                    "final destination is an EUI-64"
                },
            )
            .bit(
                4,
                4,
                "Hops Left",
                if mh.deep_hops_left {
                    "0xF: Deep Hops Left follows".to_string()
                } else {
                    mh.hops_left.to_string()
                },
            );
            if mh.deep_hops_left {
                m.push(
                    1,
                    d,
                    "Deep Hops Left",
                    mh.hops_left.to_string(),
                    "RFC 4944 §5.2",
                );
            }
            m.push(
                addr_len(&mh.originator),
                d,
                "Originator Address",
                mh.originator.to_string(),
                "RFC 4944 §5.2",
            );
            m.push(
                addr_len(&mh.final_destination),
                d,
                "Final Destination Address",
                mh.final_destination.to_string(),
                "RFC 4944 §5.2",
            );
        }
        DispatchHeader::Bc0 { seq } => {
            m.push(1, d, "LOWPAN_BC0 dispatch", "0x50", "RFC 4944 §11.1");
            m.push(1, d, "Sequence Number", seq.to_string(), "RFC 4944 §11.1");
        }
        DispatchHeader::Esc { extended_dispatch } => {
            m.push(1, d, "ESC dispatch", "0x40", "RFC 8066 §3");
            m.push(
                1,
                d,
                "Extended Dispatch",
                format!("0x{extended_dispatch:02x}"),
                "RFC 8066 §3",
            );
        }
        DispatchHeader::PageSwitch { page } => {
            m.push(1, d, "Page switch", format!("page {page}"), "RFC 8025 §3");
        }
        DispatchHeader::Nalp { dispatch } => {
            // The NALP byte belongs to the foreign payload: not a header of its own.
            let _ = dispatch;
        }
        DispatchHeader::SixLoRh(_) => {
            m.push(h.len(), d, "6LoRH", format!("{h:?}"), "RFC 8138 §4");
        }
        DispatchHeader::Rfrag(_) => {
            m.push(
                h.len(),
                d,
                "RFRAG header",
                format!("{h:?}"),
                "RFC 8931 §5.1",
            );
        }
        DispatchHeader::RfragAck(_) => {
            m.push(h.len(), d, "RFRAG-ACK", format!("{h:?}"), "RFC 8931 §5.2");
        }
    }
}

fn lowpan_fields(m: &mut Map, report: &FrameReport<'_>, payload_end: usize) {
    if let Some(l) = &report.lowpan {
        for h in &l.dispatch {
            dispatch_fields(m, h);
        }
        match &l.compression {
            Some(Compression::Iphc {
                iphc,
                nhc,
                compressed_len,
                ..
            }) => {
                let end = m.at + compressed_len;
                iphc_fields(m, iphc);
                nhc_fields(m, nhc, end);
                m.fill_to(end);
                let rest = payload_end.saturating_sub(m.at);
                if rest > 0 {
                    let what = upper_name(iphc.next_header, nhc);
                    m.push(
                        rest,
                        FieldLayer::Payload,
                        what,
                        format!("{rest} byte(s), carried as is"),
                        "RFC 6282 §2",
                    );
                }
            }
            Some(Compression::Ipv6) => {
                m.push(
                    1,
                    FieldLayer::Dispatch,
                    "IPv6 dispatch",
                    "0x41: uncompressed IPv6 follows",
                    "RFC 4944 §5.1",
                );
                let n = 40.min(payload_end.saturating_sub(m.at));
                m.push(
                    n,
                    FieldLayer::Ipv6Header,
                    "IPv6 header",
                    "uncompressed",
                    "RFC 8200 §3",
                );
            }
            Some(Compression::Hc1 { hc1, .. }) => {
                m.push(
                    1,
                    FieldLayer::Dispatch,
                    "LOWPAN_HC1 dispatch",
                    "0x42",
                    "RFC 4944 §10.1",
                );
                m.push(
                    hc1.consumed,
                    FieldLayer::Ipv6Header,
                    "HC1 encoding and in-line fields",
                    format!(
                        "HC1 0x{:02x}{}",
                        hc1.hc1.encoding,
                        if hc1.hc2.is_some() {
                            " with HC_UDP"
                        } else {
                            ""
                        }
                    ),
                    "RFC 4944 §10.1",
                );
            }
            None => {
                if l.fragment.is_some() || l.rfrag.is_some() {
                    let rest = payload_end.saturating_sub(m.at);
                    if rest > 0 && report.error.is_none() {
                        let value = match &l.fragment {
                            Some(f) => {
                                format!("bytes {}..{} of the datagram", f.offset, f.offset + f.len)
                            }
                            None => format!("{rest} byte(s)"),
                        };
                        m.push(rest, FieldLayer::Payload, "Fragment payload", value, FRAG);
                    }
                }
            }
        }
    }
    if let Some(e) = &report.error {
        let rest = payload_end.saturating_sub(m.at);
        if rest > 0 {
            m.push(
                rest,
                FieldLayer::Undecoded,
                "not decoded",
                e.to_string(),
                "",
            );
        }
    }
}

fn upper_name(next_header: Option<u8>, nhc: &[NhcRepr]) -> &'static str {
    let last = match nhc.last() {
        Some(NhcRepr::Ipv6 { iphc, nhc, .. }) => return upper_name(iphc.next_header, nhc),
        Some(h) => h.protocol(),
        None => next_header.unwrap_or(0),
    };
    match last {
        17 => "UDP payload",
        58 => "ICMPv6 message",
        6 => "TCP segment",
        _ => "payload",
    }
}

const IPHC: &str = "RFC 6282 §3.1.1";
const IPHC_INLINE: &str = "RFC 6282 §3.2";

fn iphc_fields(m: &mut Map, p: &IphcRepr) {
    let start = m.at;
    let word = (0b011 << 13)
        | (u32::from(p.tf) << 11)
        | (u32::from(p.nh) << 10)
        | (u32::from(p.hlim) << 8)
        | (u32::from(p.cid) << 7)
        | (u32::from(p.sac) << 6)
        | (u32::from(p.sam) << 4)
        | (u32::from(p.m) << 3)
        | (u32::from(p.dac) << 2)
        | u32::from(p.dam);
    let tf = match p.tf {
        0 => "ECN, DSCP and Flow Label in-line (4 bytes)",
        1 => "ECN and Flow Label in-line (3 bytes), DSCP elided",
        2 => "ECN and DSCP in-line (1 byte), Flow Label elided",
        _ => "Traffic Class and Flow Label elided (zero)",
    };
    let hlim = match p.hlim {
        0 => "in-line",
        1 => "1",
        2 => "64",
        _ => "255",
    };
    m.push(
        2,
        FieldLayer::Ipv6Header,
        "LOWPAN_IPHC",
        format!("0x{word:04x}"),
        IPHC,
    )
    .word(word, 16)
    .bit(0, 3, "Dispatch", "011: LOWPAN_IPHC")
    .bit(3, 2, "TF", tf)
    .bit(
        5,
        1,
        "NH",
        if p.nh {
            "Next Header compressed with LOWPAN_NHC"
        } else {
            "Next Header in-line"
        },
    )
    .bit(6, 2, "HLIM", format!("Hop Limit {hlim}"))
    .bit(
        8,
        1,
        "CID",
        if p.cid {
            "Context Identifier Extension follows"
        } else {
            "no CID octet: context 0"
        },
    )
    .bit(
        9,
        1,
        "SAC",
        if p.sac {
            "source stateful (context-based)"
        } else {
            "source stateless"
        },
    )
    .bit(
        10,
        2,
        "SAM",
        format!(
            "source {} ({} in-line byte(s))",
            p.src_mode,
            crate::iphc::address_inline_len(p.sac, p.sam, false)
        ),
    )
    .bit(
        12,
        1,
        "M",
        if p.m {
            "destination is multicast"
        } else {
            "destination is not multicast"
        },
    )
    .bit(
        13,
        1,
        "DAC",
        if p.dac {
            "destination stateful (context-based)"
        } else {
            "destination stateless"
        },
    )
    .bit(
        14,
        2,
        "DAM",
        format!(
            "destination {} ({} in-line byte(s))",
            p.dst_mode,
            crate::iphc::address_inline_len(p.dac, p.dam, p.m)
        ),
    );
    if p.cid {
        let w = (u32::from(p.sci) << 4) | u32::from(p.dci);
        m.push(
            1,
            FieldLayer::Ipv6Header,
            "Context Identifier Extension",
            format!("SCI {} DCI {}", p.sci, p.dci),
            "RFC 6282 §3.1.2",
        )
        .word(w, 8)
        .bit(0, 4, "SCI", format!("source context {}", p.sci))
        .bit(4, 4, "DCI", format!("destination context {}", p.dci));
    }
    let tc = format!("ECN {} DSCP {}", p.ecn, p.dscp);
    match p.tf {
        0 => {
            m.push(
                4,
                FieldLayer::Ipv6Header,
                "ECN, DSCP, Flow Label",
                format!("{tc}, flow label 0x{:05x}", p.flow_label),
                IPHC_INLINE,
            );
        }
        1 => {
            m.push(
                3,
                FieldLayer::Ipv6Header,
                "ECN, Flow Label",
                format!("ECN {}, flow label 0x{:05x}", p.ecn, p.flow_label),
                IPHC_INLINE,
            );
        }
        2 => {
            m.push(1, FieldLayer::Ipv6Header, "ECN, DSCP", tc, IPHC_INLINE);
        }
        _ => {}
    }
    if let Some(nh) = p.next_header {
        m.push(
            1,
            FieldLayer::Ipv6Header,
            "Next Header",
            format!("{nh}{}", proto_name(nh)),
            IPHC_INLINE,
        );
    }
    if p.hlim == 0 {
        m.push(
            1,
            FieldLayer::Ipv6Header,
            "Hop Limit",
            p.hop_limit.to_string(),
            IPHC_INLINE,
        );
    }
    let s = crate::iphc::address_inline_len(p.sac, p.sam, false);
    if s > 0 {
        m.push(
            s,
            FieldLayer::Ipv6Header,
            "Source Address (in-line part)",
            format!("→ {}", p.src),
            IPHC_INLINE,
        );
    }
    let d = crate::iphc::address_inline_len(p.dac, p.dam, p.m);
    if d > 0 {
        m.push(
            d,
            FieldLayer::Ipv6Header,
            "Destination Address (in-line part)",
            format!("→ {}", p.dst),
            IPHC_INLINE,
        );
    }
    // The rules above and the decoder's count agree on every valid header; if they ever did
    // not, the difference is shown as a gap rather than hidden.
    m.fill_to(start + p.inline_len);
}

fn proto_name(nh: u8) -> &'static str {
    match nh {
        0 => " (Hop-by-Hop Options)",
        6 => " (TCP)",
        17 => " (UDP)",
        41 => " (IPv6)",
        43 => " (Routing)",
        44 => " (Fragment)",
        58 => " (ICMPv6)",
        60 => " (Destination Options)",
        _ => "",
    }
}

const NHC_UDP: &str = "RFC 6282 §4.3.3";
const NHC_EXT: &str = "RFC 6282 §4.2";

fn udp_ports(m: &mut Map, ports: u8, src: u16, dst: u16, reference: &'static str) {
    let n = FieldLayer::Nhc;
    match ports {
        0 => {
            m.push(2, n, "Source Port", src.to_string(), reference);
            m.push(2, n, "Destination Port", dst.to_string(), reference);
        }
        1 => {
            m.push(2, n, "Source Port", src.to_string(), reference);
            m.push(
                1,
                n,
                "Destination Port (low 8 bits)",
                format!("{dst} (0xF0 + 8 bits)"),
                reference,
            );
        }
        2 => {
            m.push(
                1,
                n,
                "Source Port (low 8 bits)",
                format!("{src} (0xF0 + 8 bits)"),
                reference,
            );
            m.push(2, n, "Destination Port", dst.to_string(), reference);
        }
        _ => {
            m.push(
                1,
                n,
                "Ports (4 bits each)",
                format!("{src} → {dst} (0xF0B + 4 bits each)"),
                reference,
            )
            .word(u32::from((src & 0xf) << 4 | (dst & 0xf)), 8)
            .bit(0, 4, "Source Port", format!("0xF0B{:X} = {src}", src & 0xf))
            .bit(
                4,
                4,
                "Destination Port",
                format!("0xF0B{:X} = {dst}", dst & 0xf),
            );
        }
    }
}

fn udp_octet(
    m: &mut Map,
    code: u32,
    ports: u8,
    c: bool,
    name: &'static str,
    reference: &'static str,
) {
    let word = (code << 3) | (u32::from(c) << 2) | u32::from(ports);
    let p = match ports {
        0 => "both ports in-line (16 bits each)",
        1 => "source in-line, destination 0xF0 + 8 bits",
        2 => "source 0xF0 + 8 bits, destination in-line",
        _ => "both 0xF0B + 4 bits",
    };
    m.push(1, FieldLayer::Nhc, name, format!("0x{word:02x}"), reference)
        .word(word, 8)
        .bit(
            0,
            5,
            "Dispatch",
            if code == 0b11110 {
                "11110: UDP"
            } else {
                "11010: GHC UDP"
            },
        )
        .bit(
            5,
            1,
            "C",
            if c {
                "checksum elided (recomputed by the decompressor)"
            } else {
                "checksum in-line"
            },
        )
        .bit(6, 2, "P", p);
}

fn nhc_fields(m: &mut Map, nhc: &[NhcRepr], end: usize) {
    let n = FieldLayer::Nhc;
    for h in nhc {
        if m.at >= end {
            return;
        }
        match h {
            NhcRepr::Udp {
                ports,
                c,
                src_port,
                dst_port,
                checksum,
                ..
            } => {
                udp_octet(m, 0b11110, *ports, *c, "LOWPAN_NHC UDP", NHC_UDP);
                udp_ports(m, *ports, *src_port, *dst_port, NHC_UDP);
                if let Some(ck) = checksum {
                    m.push(2, n, "Checksum", format!("0x{ck:04x}"), NHC_UDP);
                }
            }
            NhcRepr::GhcUdp {
                ports,
                c,
                src_port,
                dst_port,
                checksum,
                compressed_len,
                ..
            } => {
                udp_octet(m, 0b11010, *ports, *c, "GHC UDP", "RFC 7400 §3.1");
                udp_ports(m, *ports, *src_port, *dst_port, "RFC 7400 §3.1");
                if let Some(ck) = checksum {
                    m.push(2, n, "Checksum", format!("0x{ck:04x}"), "RFC 7400 §3.1");
                }
                m.push(
                    *compressed_len,
                    n,
                    "GHC bytecode",
                    "UDP payload, GHC-compressed",
                    "RFC 7400 §2",
                );
            }
            NhcRepr::GhcIcmpv6 { compressed_len, .. } => {
                m.push(1, n, "GHC ICMPv6", "0xdf", "RFC 7400 §3.1");
                m.push(
                    *compressed_len,
                    n,
                    "GHC bytecode",
                    "ICMPv6 message, GHC-compressed",
                    "RFC 7400 §2",
                );
            }
            NhcRepr::GhcExtHeader {
                eid,
                name,
                nh,
                next_header,
                compressed_len,
                ..
            } => {
                let word = (0b10110 << 3) | (u32::from(*eid) << 1) | u32::from(*nh);
                m.push(1, n, "GHC extension header", *name, "RFC 7400 §3.2")
                    .word(word, 8);
                if let Some(x) = next_header {
                    m.push(
                        1,
                        n,
                        "Next Header",
                        format!("{x}{}", proto_name(*x)),
                        "RFC 7400 §3.2",
                    );
                }
                m.push(
                    *compressed_len,
                    n,
                    "GHC bytecode",
                    "extension header, GHC-compressed",
                    "RFC 7400 §2",
                );
            }
            NhcRepr::ExtHeader {
                eid,
                name,
                nh,
                next_header,
                length,
                ..
            } => {
                let word = (0b1110 << 4) | (u32::from(*eid) << 1) | u32::from(*nh);
                m.push(1, n, "LOWPAN_NHC extension header", *name, NHC_EXT)
                    .word(word, 8)
                    .bit(0, 4, "Dispatch", "1110: IPv6 extension header")
                    .bit(4, 3, "EID", format!("{eid}: {}", nhc::eid_name(*eid)))
                    .bit(
                        7,
                        1,
                        "NH",
                        if *nh {
                            "next header compressed with LOWPAN_NHC"
                        } else {
                            "Next Header in-line"
                        },
                    );
                if let Some(x) = next_header {
                    m.push(
                        1,
                        n,
                        "Next Header",
                        format!("{x}{}", proto_name(*x)),
                        NHC_EXT,
                    );
                }
                m.push(
                    1,
                    n,
                    "Length",
                    format!("{length} byte(s) of header data follow"),
                    NHC_EXT,
                );
                m.push(
                    usize::from(*length),
                    n,
                    "Header data",
                    format!("{length} byte(s)"),
                    NHC_EXT,
                );
            }
            NhcRepr::Ipv6 { nh, iphc, nhc } => {
                let word = (0b1110 << 4) | (7 << 1) | u32::from(*nh);
                m.push(
                    1,
                    n,
                    "LOWPAN_NHC IPv6",
                    "IPv6-in-IPv6 (EID 7)",
                    "RFC 6282 §4.2",
                )
                .word(word, 8)
                .bit(0, 4, "Dispatch", "1110: IPv6 extension header")
                .bit(4, 3, "EID", "7: IPv6")
                .bit(7, 1, "NH", "unused");
                iphc_fields(m, iphc);
                nhc_fields(m, nhc, end);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::lowpan::tests::captures;
    use crate::lowpan::Decoder;
    use crate::reassembly::Limits;
    use crate::{dispatch, ContextTable};

    /// Over the project's captures and the third-party corpus (when present): the field map
    /// of every frame covers it exactly, each octet once, with no unmapped gap; the MAC
    /// payload starts at a field boundary at the decoder's `payload_offset`; for IPHC frames
    /// the compressed headers end exactly where the decoder's count (`compressed_len`) puts
    /// them; a frame that failed has its undecoded rest starting at or before the error's
    /// offset; the FCS is the last field when there is one.
    #[test]
    fn fields_cover_frames_and_match_decoder_offsets() {
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo")];
        dirs.extend(ietfwg_test_support::shared::corpus("6lo"));
        let (mut frames_seen, mut iphc_frames, mut errors) = (0usize, 0usize, 0usize);
        for dir in dirs {
            for (path, fcs, frames) in captures(&dir) {
                let mut dec = Decoder::new(ContextTable::new(), Limits::default());
                for (i, f) in frames.iter().enumerate() {
                    let at = format!("{} frame {}", path.display(), i + 1);
                    let r = dec.decode_frame(f, fcs, i as u64 + 1, 0);
                    let map = frame_fields(f, fcs, &r);
                    let mut next = 0;
                    for x in &map {
                        assert_eq!(x.range.start, next, "{at}: {x:?}");
                        assert!(!x.range.is_empty(), "{at}: {x:?}");
                        assert_ne!(x.name, UNMAPPED, "{at}: {map:#?}");
                        next = x.range.end;
                    }
                    assert_eq!(next, f.len(), "{at}");
                    frames_seen += 1;
                    let boundary =
                        |o: usize| map.iter().any(|x| x.range.start == o) || o == f.len();
                    if let Some(m) = &r.mac {
                        assert!(
                            boundary(m.payload_offset),
                            "{at}: payload at {}",
                            m.payload_offset
                        );
                        if m.fcs.is_some() {
                            assert_eq!(map.last().unwrap().layer, FieldLayer::Fcs, "{at}");
                        }
                        if let Some(l) = &r.lowpan {
                            if let Some(Compression::Iphc { compressed_len, .. }) = &l.compression {
                                let lens: usize =
                                    l.dispatch.iter().map(dispatch::DispatchHeader::len).sum();
                                let end = m.payload_offset + lens + compressed_len;
                                assert!(
                                    boundary(end),
                                    "{at}: compressed headers end at {end}: {map:#?}"
                                );
                                let iphc = map.iter().find(|x| x.name == "LOWPAN_IPHC").unwrap();
                                assert_eq!(iphc.range.start, m.payload_offset + lens, "{at}");
                                iphc_frames += 1;
                            }
                        }
                    }
                    if let Some(e) = &r.error {
                        let u = map.iter().find(|x| x.layer == FieldLayer::Undecoded);
                        if let Some(u) = u {
                            assert!(
                                u.range.start <= e.offset() || e.offset() == 0,
                                "{at}: {u:?} {e}"
                            );
                        }
                        errors += 1;
                    }
                }
            }
        }
        assert!(
            frames_seen > 50 && iphc_frames > 20,
            "{frames_seen} {iphc_frames} {errors}"
        );
    }

    /// The Frame Control of a known frame, bit by bit: the sub-fields read back the values
    /// the MAC parser decoded.
    #[test]
    fn frame_control_bits_match_the_parser() {
        // 802.15.4-2006 data frame, short addresses 0x0002 -> 0x0001 in PAN 0xabcd, IPHC.
        let frame = [
            0x41, 0x98, 0x01, 0xcd, 0xab, 0x01, 0x00, 0x02, 0x00, 0x7a, 0x33, 0x3a, 0x80, 0x00,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
        ];
        let mut dec = Decoder::new(ContextTable::new(), Limits::default());
        let r = dec.decode_frame(&frame, FcsMode::None, 1, 0);
        let map = frame_fields(&frame, FcsMode::None, &r);
        let fcf = &map[0];
        assert_eq!(fcf.range, 0..2);
        assert_eq!(fcf.word, Some((0x9841, 16)));
        let bit = |n: &str| fcf.bits.iter().find(|b| b.name == n).unwrap().value;
        assert_eq!(bit("Frame Type"), 1);
        assert_eq!(bit("PAN ID Compression"), 1);
        assert_eq!(bit("Destination Addressing Mode"), 2);
        assert_eq!(bit("Source Addressing Mode"), 2);
        assert_eq!(bit("Frame Version"), 1);
        let names: Vec<&str> = map.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Frame Control",
                "Sequence Number",
                "Destination PAN ID",
                "Destination Address",
                "Source Address",
                "LOWPAN_IPHC",
                "Next Header",
                "ICMPv6 message"
            ]
        );
        let iphc = &map[5];
        assert_eq!(iphc.word, Some((0x7a33, 16)));
        let tf = iphc.bits.iter().find(|b| b.name == "TF").unwrap();
        assert_eq!((tf.first, tf.len, tf.value), (3, 2, 3));
    }
}
