//! LOWPAN_NHC decompression (RFC 6282 §4): UDP, IPv6 extension headers and IPv6-in-IPv6.
//!
//! Extension headers (RFC 6282 §4.2):
//!
//! ```text
//!   0   1   2   3   4   5   6   7
//! +---+---+---+---+---+---+---+---+
//! | 1 | 1 | 1 | 0 |    EID    |NH |   then Next Header (NH=0), Length, header data
//! +---+---+---+---+---+---+---+---+
//! ```
//!
//! EID: 0 Hop-by-Hop, 1 Routing, 2 Fragment, 3 Destination Options, 4 Mobility, 5–6 reserved,
//! 7 IPv6 (followed by a LOWPAN_IPHC header; the NH bit is unused). The compressed Length counts
//! the octets that follow it (not 8-octet units). A trailing Pad1/PadN that only brought a
//! Hop-by-Hop or Destination Options header to a multiple of 8 octets may be elided, and is
//! restored here. The Fragment header has no length field of its own: its Length must be 6 (the
//! offset/flags and identification octets); its Reserved octet is rebuilt as zero.
//!
//! UDP (RFC 6282 §4.3):
//!
//! ```text
//!   0   1   2   3   4   5   6   7
//! +---+---+---+---+---+---+---+---+
//! | 1 | 1 | 1 | 1 | 0 | C |   P   |   then ports per P, checksum (C=0)
//! +---+---+---+---+---+---+---+---+
//! ```
//!
//! P: 00 both ports in-line; 01 source in-line, destination 0xF0XX (8 bits); 10 source 0xF0XX
//! (8 bits), destination in-line; 11 both 0xF0BX (4 bits each, source in the high nibble).
//! C=1: checksum elided, to be recomputed ([`crate::ipv6::fill_checksums`]). The UDP Length is
//! always elided and derived from the datagram.
//!
//! RFC 7400 (6LoWPAN-GHC, [`crate::ghc`]) adds three more codes, decoded here too: `11010CPP`
//! (UDP, the payload in GHC), `11011111` (ICMPv6 in GHC) and `10110IIN` (an extension header in
//! GHC). Their decompressed octets are part of the rebuilt headers.

use ietfwg_report::hex::Hex;

use crate::addr::ContextTable;
use crate::error::{Error, Layer, Result};
use crate::ghc;
use crate::iphc::{self, Iids, IphcRepr};
use crate::ipv6::{self, proto, ChecksumFix};
use crate::reader::Reader;

/// Extension header IDs (RFC 6282 §4.2).
pub mod eid {
    pub const HOP_BY_HOP: u8 = 0;
    pub const ROUTING: u8 = 1;
    pub const FRAGMENT: u8 = 2;
    pub const DEST_OPTIONS: u8 = 3;
    pub const MOBILITY: u8 = 4;
    pub const IPV6: u8 = 7;
}

/// The name of an extension header ID.
pub fn eid_name(e: u8) -> &'static str {
    match e {
        eid::HOP_BY_HOP => "Hop-by-Hop Options",
        eid::ROUTING => "Routing",
        eid::FRAGMENT => "Fragment",
        eid::DEST_OPTIONS => "Destination Options",
        eid::MOBILITY => "Mobility",
        eid::IPV6 => "IPv6",
        _ => "reserved",
    }
}

/// The IPv6 Next Header value an EID stands for.
fn eid_protocol(e: u8) -> u8 {
    match e {
        eid::HOP_BY_HOP => proto::HOP_BY_HOP,
        eid::ROUTING => proto::ROUTING,
        eid::FRAGMENT => proto::FRAGMENT,
        eid::DEST_OPTIONS => proto::DEST_OPTIONS,
        eid::MOBILITY => proto::MOBILITY,
        _ => proto::IPV6,
    }
}

/// Words for the UDP P bits.
fn ports_mode(p: u8) -> &'static str {
    match p & 0x03 {
        0 => "16/16 bits inline",
        1 => "16 bits / 0xF0XX (8 bits)",
        2 => "0xF0XX (8 bits) / 16 bits",
        _ => "0xF0BX / 0xF0BX (4 bits each)",
    }
}

/// One LOWPAN_NHC header.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NhcRepr {
    /// UDP header (RFC 6282 §4.3).
    Udp {
        /// The P bits (ports encoding).
        ports: u8,
        /// The P bits in words.
        ports_mode: &'static str,
        /// Checksum elided.
        c: bool,
        src_port: u16,
        dst_port: u16,
        /// The in-line checksum; None when elided (C=1).
        checksum: Option<u16>,
        /// The derived UDP Length.
        length: u16,
    },
    /// An IPv6 extension header (RFC 6282 §4.2).
    ExtHeader {
        eid: u8,
        name: &'static str,
        /// The NH bit: the next header is LOWPAN_NHC-encoded.
        nh: bool,
        /// The in-line Next Header; None when NH=1.
        next_header: Option<u8>,
        /// The compressed Length field: octets of header data that follow it.
        length: u8,
        /// The header data as carried (options, routing data, fragment fields …).
        #[serde_as(as = "Hex")]
        data: Vec<u8>,
        /// Octets of Pad1/PadN restored to reach a multiple of 8 (Hop-by-Hop, Destination
        /// Options).
        padding: u8,
    },
    /// IPv6-in-IPv6 (EID 7): the inner LOWPAN_IPHC header and its own chain.
    Ipv6 {
        /// The NH bit of the LOWPAN_NHC octet (unused, should be 0).
        nh: bool,
        iphc: IphcRepr,
        nhc: Vec<NhcRepr>,
    },
    /// GHC-compressed UDP (RFC 7400 §3.1, `11010CPP`): ports and checksum as for
    /// [`NhcRepr::Udp`], then the UDP payload in GHC bytecode.
    GhcUdp {
        /// The P bits (ports encoding).
        ports: u8,
        /// The P bits in words.
        ports_mode: &'static str,
        /// Checksum elided.
        c: bool,
        src_port: u16,
        dst_port: u16,
        /// The in-line checksum; None when elided (C=1).
        checksum: Option<u16>,
        /// The derived UDP Length.
        length: u16,
        /// Octets of GHC bytecode (STOP code included).
        compressed_len: usize,
        /// The bytecode ended with a STOP code (else it ran to the end of the frame).
        stopped: bool,
        /// The decompressed UDP payload (or its first part, when a STOP code ends it).
        #[serde_as(as = "Hex")]
        payload: Vec<u8>,
    },
    /// GHC-compressed ICMPv6 (RFC 7400 §3.1, `11011111`): the whole ICMPv6 message.
    GhcIcmpv6 {
        /// Octets of GHC bytecode (STOP code included).
        compressed_len: usize,
        /// The bytecode ended with a STOP code (else it ran to the end of the frame).
        stopped: bool,
        /// The decompressed ICMPv6 message (or its first part, when a STOP code ends it).
        #[serde_as(as = "Hex")]
        data: Vec<u8>,
    },
    /// A GHC-compressed extension header (RFC 7400 §3.2, `10110IIN`).
    GhcExtHeader {
        /// EID 0–3 (the II bits).
        eid: u8,
        name: &'static str,
        /// The NH bit: the next header is LOWPAN_NHC-encoded.
        nh: bool,
        /// The in-line Next Header; None when NH=1.
        next_header: Option<u8>,
        /// Octets of GHC bytecode (STOP code included).
        compressed_len: usize,
        /// The decompressed header octets after Next Header and Length (Fragment: after Next
        /// Header and Reserved).
        #[serde_as(as = "Hex")]
        data: Vec<u8>,
    },
}

impl NhcRepr {
    /// The IPv6 Next Header value this header stands for.
    pub fn protocol(&self) -> u8 {
        match self {
            NhcRepr::Udp { .. } | NhcRepr::GhcUdp { .. } => proto::UDP,
            NhcRepr::ExtHeader { eid, .. } | NhcRepr::GhcExtHeader { eid, .. } => {
                eid_protocol(*eid)
            }
            NhcRepr::Ipv6 { .. } => proto::IPV6,
            NhcRepr::GhcIcmpv6 { .. } => proto::ICMPV6,
        }
    }

    /// Octets of the uncompressed header(s) this stands for (an IPv6-in-IPv6 entry counts its
    /// whole inner chain).
    pub fn uncompressed_len(&self) -> usize {
        match self {
            NhcRepr::Udp { .. } => 8,
            NhcRepr::ExtHeader {
                eid, data, padding, ..
            } => {
                if *eid == eid::FRAGMENT {
                    8
                } else {
                    2 + data.len() + usize::from(*padding)
                }
            }
            NhcRepr::Ipv6 { nhc, .. } => ipv6::HEADER_LEN + chain_len(nhc),
            NhcRepr::GhcUdp { payload, .. } => 8 + payload.len(),
            NhcRepr::GhcIcmpv6 { data, .. } => data.len(),
            NhcRepr::GhcExtHeader { data, .. } => 2 + data.len(),
        }
    }
}

/// Octets of the uncompressed headers a chain stands for.
pub fn chain_len(chain: &[NhcRepr]) -> usize {
    chain.iter().map(NhcRepr::uncompressed_len).sum()
}

/// Parses the LOWPAN_NHC chain that follows `outer` (an IPHC header with NH=1).
pub(crate) fn parse_chain(
    r: &mut Reader<'_>,
    ctx: &ContextTable,
    outer: &IphcRepr,
    depth: u8,
) -> Result<Vec<NhcRepr>> {
    let mut chain = Vec::new();
    loop {
        r.set_layer(Layer::Nhc);
        let at = r.offset();
        let b = r.u8("LOWPAN_NHC")?;
        if b & 0xf8 == 0xf0 {
            chain.push(parse_udp(r, b)?);
            return Ok(chain);
        }
        // RFC 7400 forms. An error inside one points at its NHC octet, the detail (with the
        // offset of the GHC code at fault) in the message.
        let ghc_err = |e: Error, what: &str| {
            Error::invalid(
                Layer::Nhc,
                "LOWPAN_NHC",
                at,
                format!("0x{b:02x} ({what}, RFC 7400) does not decompress: {e}"),
            )
        };
        if b & ghc::NHC_UDP_MASK == ghc::NHC_UDP {
            let h = parse_ghc_udp(r, b, outer).map_err(|e| ghc_err(e, "GHC-compressed UDP"))?;
            chain.push(h);
            return Ok(chain);
        }
        if b == ghc::NHC_ICMPV6 {
            let start = r.consumed();
            let d = ghc::decompress(r, &outer.src, &outer.dst)
                .map_err(|e| ghc_err(e, "GHC-compressed ICMPv6"))?;
            chain.push(NhcRepr::GhcIcmpv6 {
                compressed_len: r.consumed() - start,
                stopped: d.stopped,
                data: d.data,
            });
            return Ok(chain);
        }
        if b & ghc::NHC_EXT_MASK == ghc::NHC_EXT {
            let h = parse_ghc_ext(r, b, outer).map_err(|e| {
                ghc_err(
                    e,
                    &format!("GHC-compressed {} header", eid_name((b >> 1) & 0x03)),
                )
            })?;
            chain.push(h);
            if b & 0x01 == 0 {
                return Ok(chain);
            }
            continue;
        }
        if b & 0xf0 != 0xe0 {
            return Err(r.invalid_at(
                "LOWPAN_NHC",
                at,
                format!("0x{b:02x} matches no LOWPAN_NHC encoding (1110EEEN extension header, 11110CPP UDP; RFC 6282 §4; 11010CPP, 11011111, 10110IIN GHC; RFC 7400)"),
            ));
        }
        let e = (b >> 1) & 0x07;
        let nh = b & 0x01 != 0;
        match e {
            eid::IPV6 => {
                if depth >= iphc::MAX_DEPTH {
                    return Err(r.invalid_at(
                        "EID",
                        at,
                        format!(
                            "IPv6-in-IPv6 nested more than {} levels deep",
                            iphc::MAX_DEPTH
                        ),
                    ));
                }
                let iids = Iids::of_header(&outer.src, &outer.dst);
                let (inner, inner_chain) = iphc::parse(r, ctx, &iids, depth + 1)?;
                chain.push(NhcRepr::Ipv6 {
                    nh,
                    iphc: inner,
                    nhc: inner_chain,
                });
                return Ok(chain);
            }
            5 | 6 => {
                return Err(r.invalid_at(
                    "EID",
                    at,
                    format!("extension header ID {e} is reserved (RFC 6282 §4.2)"),
                ));
            }
            _ => {
                let next_header = if nh { None } else { Some(r.u8("Next Header")?) };
                let len_at = r.offset();
                let length = r.u8("Length")?;
                let data = r
                    .take(usize::from(length), "extension header data")?
                    .to_vec();
                let total = 2 + usize::from(length);
                let padding = match e {
                    eid::FRAGMENT => {
                        if length != 6 {
                            return Err(r.invalid_at(
                                "Length",
                                len_at,
                                format!("a compressed Fragment header carries 6 octets after its Length, not {length}"),
                            ));
                        }
                        0
                    }
                    eid::HOP_BY_HOP | eid::DEST_OPTIONS => ((8 - total % 8) % 8) as u8,
                    _ => {
                        if total % 8 != 0 {
                            return Err(r.invalid_at(
                                "Length",
                                len_at,
                                format!(
                                    "a {} header of {total} octets is not a multiple of 8 (only Hop-by-Hop and Destination Options padding may be elided)",
                                    eid_name(e)
                                ),
                            ));
                        }
                        0
                    }
                };
                chain.push(NhcRepr::ExtHeader {
                    eid: e,
                    name: eid_name(e),
                    nh,
                    next_header,
                    length,
                    data,
                    padding,
                });
                if !nh {
                    return Ok(chain);
                }
            }
        }
    }
}

/// `11010CPP`: the RFC 6282 UDP fields, then the payload in GHC.
fn parse_ghc_udp(r: &mut Reader<'_>, b: u8, outer: &IphcRepr) -> Result<NhcRepr> {
    let NhcRepr::Udp {
        ports,
        ports_mode,
        c,
        src_port,
        dst_port,
        checksum,
        ..
    } = parse_udp(r, b)?
    else {
        return Err(r.invalid_at("LOWPAN_NHC", r.offset(), "UDP fields"));
    };
    let start = r.consumed();
    let d = ghc::decompress(r, &outer.src, &outer.dst)?;
    Ok(NhcRepr::GhcUdp {
        ports,
        ports_mode,
        c,
        src_port,
        dst_port,
        checksum,
        length: 0,
        compressed_len: r.consumed() - start,
        stopped: d.stopped,
        payload: d.data,
    })
}

/// `10110IIN`: Next Header when N=0, then the header body in GHC up to a STOP code.
fn parse_ghc_ext(r: &mut Reader<'_>, b: u8, outer: &IphcRepr) -> Result<NhcRepr> {
    let e = (b >> 1) & 0x03;
    let nh = b & 0x01 != 0;
    let next_header = if nh { None } else { Some(r.u8("Next Header")?) };
    let start = r.consumed();
    let code_at = r.offset();
    let d = ghc::decompress(r, &outer.src, &outer.dst)?;
    if !d.stopped {
        return Err(r.invalid_at(
            "GHC code",
            code_at,
            format!(
                "the GHC-compressed {} header ends without a STOP code (RFC 7400 §3.2)",
                eid_name(e)
            ),
        ));
    }
    let total = 2 + d.data.len();
    let at = r.offset();
    let ok = if e == eid::FRAGMENT {
        total == 8
    } else {
        total % 8 == 0 && total <= 2048
    };
    if !ok {
        return Err(r.invalid_at(
            "GHC code",
            at,
            format!(
                "the GHC-compressed {} header decompresses to {} octets after its Length, making a {total}-octet header ({})",
                eid_name(e),
                d.data.len(),
                if e == eid::FRAGMENT { "a Fragment header is 8" } else { "not a multiple of 8 up to 2048" }
            ),
        ));
    }
    Ok(NhcRepr::GhcExtHeader {
        eid: e,
        name: eid_name(e),
        nh,
        next_header,
        compressed_len: r.consumed() - start,
        data: d.data,
    })
}

fn parse_udp(r: &mut Reader<'_>, b: u8) -> Result<NhcRepr> {
    let c = b & 0x04 != 0;
    let ports = b & 0x03;
    let (src_port, dst_port) = match ports {
        0 => (
            r.u16_be("UDP source port")?,
            r.u16_be("UDP destination port")?,
        ),
        1 => (
            r.u16_be("UDP source port")?,
            0xf000 | u16::from(r.u8("UDP destination port")?),
        ),
        2 => (
            0xf000 | u16::from(r.u8("UDP source port")?),
            r.u16_be("UDP destination port")?,
        ),
        _ => {
            let x = r.u8("UDP ports")?;
            (0xf0b0 | u16::from(x >> 4), 0xf0b0 | u16::from(x & 0x0f))
        }
    };
    let checksum = if c {
        None
    } else {
        Some(r.u16_be("UDP checksum")?)
    };
    Ok(NhcRepr::Udp {
        ports,
        ports_mode: ports_mode(ports),
        c,
        src_port,
        dst_port,
        checksum,
        length: 0,
    })
}

/// Emits the uncompressed headers of `chain` (which follows the IPv6 header at `ipv6_at`), at
/// `out.len()` in a datagram of `total` octets, filling in the derived lengths.
pub(crate) fn emit_chain(
    chain: &mut [NhcRepr],
    ipv6_at: usize,
    total: usize,
    base: usize,
    out: &mut Vec<u8>,
    fixes: &mut Vec<ChecksumFix>,
) -> Result<()> {
    for i in 0..chain.len() {
        let following = chain.get(i + 1).map(NhcRepr::protocol);
        let Some(h) = chain.get_mut(i) else { break };
        match h {
            NhcRepr::Udp {
                src_port,
                dst_port,
                checksum,
                length,
                ..
            }
            | NhcRepr::GhcUdp {
                src_port,
                dst_port,
                checksum,
                length,
                ..
            } => {
                let at = out.len();
                let len = total.checked_sub(at).and_then(|l| u16::try_from(l).ok()).ok_or_else(|| {
                    Error::invalid(
                        Layer::Nhc,
                        "UDP length",
                        base,
                        format!("the UDP length derived from a {total}-octet datagram does not fit in 16 bits"),
                    )
                })?;
                *length = len;
                out.extend_from_slice(&src_port.to_be_bytes());
                out.extend_from_slice(&dst_port.to_be_bytes());
                out.extend_from_slice(&len.to_be_bytes());
                match checksum {
                    Some(c) => out.extend_from_slice(&c.to_be_bytes()),
                    None => {
                        out.extend_from_slice(&[0, 0]);
                        fixes.push(ChecksumFix {
                            ipv6_at,
                            udp_at: at,
                        });
                    }
                }
                if let NhcRepr::GhcUdp { payload, .. } = h {
                    out.extend_from_slice(payload);
                }
            }
            NhcRepr::GhcIcmpv6 { data, .. } => out.extend_from_slice(data),
            NhcRepr::GhcExtHeader {
                eid,
                next_header,
                data,
                ..
            } => {
                out.push(next_header.or(following).unwrap_or(proto::NO_NEXT_HEADER));
                if *eid == eid::FRAGMENT {
                    out.push(0); // Reserved
                } else {
                    out.push(((2 + data.len()) / 8).saturating_sub(1) as u8);
                }
                out.extend_from_slice(data);
            }
            NhcRepr::ExtHeader {
                eid,
                next_header,
                data,
                padding,
                ..
            } => {
                let nh = next_header.or(following).unwrap_or(proto::NO_NEXT_HEADER);
                out.push(nh);
                if *eid == eid::FRAGMENT {
                    out.push(0); // Reserved
                    out.extend_from_slice(data);
                } else {
                    let len = 2 + data.len() + usize::from(*padding);
                    out.push(((len / 8).saturating_sub(1)) as u8);
                    out.extend_from_slice(data);
                    match *padding {
                        0 => {}
                        1 => out.push(0), // Pad1
                        n => {
                            out.push(1); // PadN
                            out.push(n - 2);
                            out.extend(std::iter::repeat_n(0, usize::from(n - 2)));
                        }
                    }
                }
            }
            NhcRepr::Ipv6 { iphc, nhc, .. } => {
                iphc::emit(iphc, nhc, total, base, out, fixes)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::{ContextTable, LinkAddr};

    fn dec(buf: &[u8]) -> Result<iphc::Decompressed> {
        iphc::decompress(
            buf,
            0,
            &ContextTable::new(),
            LinkAddr::Short(1),
            LinkAddr::Short(2),
            None,
        )
    }

    #[test]
    fn udp_4bit_ports_checksum_elided() {
        let buf = [
            0x7e, // IPHC: TF=11 NH=1 HLIM=10
            0x33, // SAM=11 DAM=11
            0xf7, // NHC UDP: C=1 P=11
            0x12, // ports: src 0xF0B1, dst 0xF0B2
            b'x', // payload
        ];
        let d = dec(&buf).unwrap();
        assert_eq!(d.consumed, 4);
        assert_eq!(d.headers.len(), 48);
        assert_eq!(d.headers[6], 17);
        assert_eq!(
            &d.headers[40..48],
            &[0xf0, 0xb1, 0xf0, 0xb2, 0x00, 0x09, 0, 0]
        );
        assert_eq!(
            d.checksum_fixes,
            vec![ChecksumFix {
                ipv6_at: 0,
                udp_at: 40
            }]
        );
        match &d.nhc[0] {
            NhcRepr::Udp {
                length, checksum, ..
            } => {
                assert_eq!(*length, 9);
                assert_eq!(*checksum, None);
            }
            n => panic!("{n:?}"),
        }
    }

    #[test]
    fn hop_by_hop_padding_is_restored() {
        let buf = [
            0x7e, 0x33, // IPHC NH=1
            0xe1, // NHC ext: EID 0 (Hop-by-Hop), NH=1
            0x04, // Length: 4 octets follow
            0x63, 0x02, 0xab, 0xcd, // option type 0x63 (RPL), len 2
            0xf7, 0x00, // UDP 4-bit ports, C=1
        ];
        let d = dec(&buf).unwrap();
        // 2 + 4 = 6 octets -> PadN of 2 restored (0x01 0x00).
        assert_eq!(
            &d.headers[40..48],
            &[17, 0, 0x63, 0x02, 0xab, 0xcd, 0x01, 0x00]
        );
        assert_eq!(d.headers[6], 0);
        assert_eq!(
            d.checksum_fixes,
            vec![ChecksumFix {
                ipv6_at: 0,
                udp_at: 48
            }]
        );
    }

    #[test]
    fn unknown_nhc_and_reserved_eid() {
        let e = dec(&[0x7e, 0x33, 0x80]).unwrap_err();
        assert_eq!(
            (e.field(), e.offset(), e.layer()),
            ("LOWPAN_NHC", 2, Layer::Nhc)
        );
        let e = dec(&[0x7e, 0x33, 0xea, 0x00]).unwrap_err();
        assert_eq!(e.field(), "EID");
        let e = dec(&[0x7e, 0x33, 0xe5, 0x00]).unwrap_err();
        assert_eq!(e.field(), "Length");
    }

    #[test]
    fn ghc_udp_payload() {
        let buf = [
            0x7e, 0x33, // IPHC NH=1, addresses from the link
            0xd7, // GHC UDP (11010CPP): C=1 P=11
            0x12, // ports 0xF0B1 / 0xF0B2
            0x02, b'h', b'i', // GHC APPEND 2
            0x82, // GHC ZEROS 4
        ];
        let d = dec(&buf).unwrap();
        assert_eq!(d.consumed, buf.len());
        assert_eq!(d.headers.len(), 40 + 8 + 6);
        assert_eq!(
            &d.headers[40..],
            &[0xf0, 0xb1, 0xf0, 0xb2, 0x00, 0x0e, 0, 0, b'h', b'i', 0, 0, 0, 0]
        );
        assert_eq!(d.headers[6], 17);
        assert_eq!(d.checksum_fixes.len(), 1);
        assert!(matches!(
            &d.nhc[..],
            [NhcRepr::GhcUdp {
                length: 14,
                compressed_len: 4,
                stopped: false,
                ..
            }]
        ));
    }

    #[test]
    fn ghc_icmpv6_with_stop_and_uncompressed_rest() {
        let buf = [
            0x7e, 0x33, // IPHC NH=1
            0xdf, // GHC ICMPv6
            0x02, 0x80, 0x00, // APPEND type 128 code 0
            0xa1, // extended arguments: sa = 8
            0xc8, // backref nnn=1 kkk=0: n = 3, s = 0 + 8 + 3 = 11
            0x90, // STOP
            0x42, // carried as is
        ];
        let d = dec(&buf).unwrap();
        assert_eq!(d.consumed, 9);
        assert_eq!(d.headers[6], 58);
        // 11 back from the 50 octets so far (48 of dictionary): dictionary octets 39..42, the
        // static octets 7..10, 01 00 00. The 0x42 after STOP follows uncompressed.
        assert_eq!(&d.headers[40..], &[0x80, 0x00, 0x01, 0x00, 0x00]);
    }

    #[test]
    fn ghc_extension_header() {
        let buf = [
            0x7e, 0x33, // IPHC NH=1
            0xb1, // GHC extension header: II=00 (Hop-by-Hop), N=1
            0x04, 0x63, 0x02, 0xab, 0xcd, // APPEND 4: option 0x63 len 2
            0x01, 0x01, // APPEND 1: PadN …
            0x01, 0x00, // APPEND 1: … of 0
            0x90, // STOP
            0xf7, 0x00, // UDP C=1, 4-bit ports
        ];
        let d = dec(&buf).unwrap();
        assert_eq!(
            &d.headers[40..48],
            &[17, 0, 0x63, 0x02, 0xab, 0xcd, 0x01, 0x00]
        );
        assert_eq!(d.headers[6], 0);
        // Without a STOP code, or with a length that is not a multiple of 8: errors at the
        // NHC octet.
        let e = dec(&[0x7e, 0x33, 0xb1, 0x02, 1, 2]).unwrap_err();
        assert_eq!((e.field(), e.offset()), ("LOWPAN_NHC", 2));
        assert!(e.to_string().contains("STOP"), "{e}");
        let e = dec(&[0x7e, 0x33, 0xb0, 59, 0x02, 1, 2, 0x90]).unwrap_err();
        assert_eq!((e.field(), e.offset()), ("LOWPAN_NHC", 2));
        assert!(e.to_string().contains("multiple of 8"), "{e}");
    }

    #[test]
    fn ipv6_in_ipv6_depth_is_bounded() {
        let mut buf = vec![0x7e, 0x33];
        for _ in 0..=iphc::MAX_DEPTH {
            buf.extend_from_slice(&[0xee, 0x7e, 0x33]);
        }
        buf.extend_from_slice(&[0xf7, 0x00]);
        let e = dec(&buf).unwrap_err();
        assert_eq!(e.field(), "EID");
        // One level less is fine.
        let mut ok = vec![0x7e, 0x33];
        for _ in 0..iphc::MAX_DEPTH {
            ok.extend_from_slice(&[0xee, 0x7e, 0x33]);
        }
        ok.extend_from_slice(&[0xf7, 0x00]);
        let d = dec(&ok).unwrap();
        assert_eq!(d.headers.len(), 40 * (1 + usize::from(iphc::MAX_DEPTH)) + 8);
    }
}
