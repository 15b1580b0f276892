//! From the link layer to the network layer: which IP packet (or 802.15.4 frame) a captured
//! packet carries.
//!
//! | LINKTYPE | header walked |
//! |---|---|
//! | 1 ETHERNET | Ethernet II, then any number (≤ 4) of 802.1Q / 802.1ad / 0x9100 tags |
//! | 0 NULL, 108 LOOP | 4-byte address family: host order (NULL: the capturing host's, so both are tried) or network order (LOOP); AF_INET = 2, AF_INET6 = 24 (NetBSD/OpenBSD), 28 (FreeBSD/DragonFly), 30 (macOS) |
//! | 101 RAW | IPv4 or IPv6 by the version nibble |
//! | 228 IPV4, 229 IPV6 | the IP header directly |
//! | 113 LINUX_SLL | 16-byte cooked header (hand-parsed, see `sll`) |
//! | 276 LINUX_SLL2 | 20-byte cooked header (hand-parsed, see `sll2`) |
//! | 165 BACNET_MS_TP, 245 NFC_LLCP, 261 ZWAVE_R1_R2 | not IP: 6LoWPAN links, read by the 6LoWPAN crate's `link` module |
//! | 201, 251, 254, 256, 272 (Bluetooth LE) | not walked here: no IP, see [`crate::ble`] |
//!
//! Errors name the byte offset within the packet; they do not name the frame number (the caller
//! has [`Packet::number`]).

use etherparse::{Ethernet2HeaderSlice, SingleVlanHeaderSlice};

use super::wpan::Fcs;
use super::{linktype, Packet};

/// A malformed link layer, or one this module does not walk. Offsets are bytes from the start
/// of the captured packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The Ethernet header is cut short (etherparse's words).
    #[error("Ethernet header: {detail}")]
    Ethernet { detail: String },
    /// An 802.1Q / 802.1ad tag is cut short (etherparse's words).
    #[error("VLAN tag at byte {offset}: {detail}")]
    VlanTag { offset: usize, detail: String },
    /// More than 4 stacked VLAN tags.
    #[error("more than 4 VLAN tags before byte {offset}")]
    TooManyTags { offset: usize },
    /// A fixed-size link header is cut short.
    #[error("{header} header: {got} of {need} bytes")]
    Truncated {
        header: &'static str,
        got: usize,
        need: usize,
    },
    /// Nothing after the link header.
    #[error("empty IP packet at byte {offset}")]
    EmptyIp { offset: usize },
    /// The link layer says IPv4 (or IPv6) but the version field says otherwise.
    #[error(
        "link layer announces IPv{announced} but the version field at byte {offset} is {found}"
    )]
    VersionMismatch {
        offset: usize,
        announced: u8,
        found: u8,
    },
    /// An IP version field that is neither 4 nor 6.
    #[error("IP version field at byte {offset} is {version}, not 4 or 6")]
    IpVersion { offset: usize, version: u8 },
    /// A link type this module does not walk.
    #[error("link type {linktype} ({}) is not supported", linktype::name(*linktype))]
    Unsupported { linktype: u32 },
}

/// What a packet carries above its link layer.
#[derive(Debug, Clone)]
pub(crate) enum Net<'a> {
    /// An IP packet: starts at the IPv4/IPv6 header and ends at the length the header declares
    /// (Ethernet padding removed), or at the end of the capture if that is shorter.
    Ip(&'a [u8]),
    /// An IEEE 802.15.4 frame straight on the link (Linux cooked capture of a wpan device).
    Wpan { frame: &'a [u8], fcs: Fcs },
    /// Something that is not IP; its text says what.
    Other(NotIp),
    /// A link type this module does not walk.
    Unsupported(u32),
}

/// Why a frame carries no IP packet. The common Ethernet cases keep their numbers and are
/// worded only when shown (`ip_payload` skips an ARP or LLDP frame without formatting a word).
#[derive(Debug, Clone)]
pub(crate) enum NotIp {
    /// An IEEE 802.3 length field instead of an EtherType.
    Llc(u16),
    /// An EtherType other than IPv4/IPv6.
    EtherType(u16),
    /// Anything else, worded.
    Text(String),
}

impl std::fmt::Display for NotIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotIp::Llc(t) => write!(f, "IEEE 802.3 length field {t} (LLC frame), not IP"),
            NotIp::EtherType(t) => match ether_type_name(*t) {
                Some(n) => write!(f, "EtherType 0x{t:04x} ({n}), not IP"),
                None => write!(f, "EtherType 0x{t:04x}, not IP"),
            },
            NotIp::Text(s) => f.write_str(s),
        }
    }
}

impl From<String> for NotIp {
    fn from(s: String) -> Self {
        NotIp::Text(s)
    }
}

/// The IP packet a frame carries, starting at its IPv4/IPv6 header (for IKEv2, DoH, and as
/// 6LoWPAN compression input).
///
/// `Ok(None)`: the frame carries no IP packet (ARP, LLDP, a non-IP loopback family, an 802.15.4
/// link type, ...). `Err`: the link-layer framing is malformed, or the link type is not supported.
/// The slice is trimmed to the length the IP header declares when the capture holds all of it.
pub fn ip_payload<'a>(pkt: &Packet<'a>) -> Result<Option<&'a [u8]>, LinkError> {
    match network(pkt.linktype, pkt.data, pkt.orig_len)? {
        Net::Ip(ip) => Ok(Some(ip)),
        Net::Wpan { .. } | Net::Other(_) => Ok(None),
        Net::Unsupported(linktype) => Err(LinkError::Unsupported { linktype }),
    }
}

/// Walks the link layer of one packet.
pub(crate) fn network(lt: u32, data: &[u8], orig_len: u32) -> Result<Net<'_>, LinkError> {
    match lt {
        linktype::ETHERNET => {
            let eth = Ethernet2HeaderSlice::from_slice(data).map_err(|e| LinkError::Ethernet {
                detail: e.to_string(),
            })?;
            ether_payload(eth.ether_type().0, data.get(14..).unwrap_or_default(), 14)
        }
        linktype::NULL => loopback(data, false),
        linktype::LOOP => loopback(data, true),
        linktype::RAW => {
            if raw_ip_plausible(data, orig_len) {
                ip(data, None, 0)
            } else {
                Ok(Net::Other(
                    format!(
                    "link type RAW but the data does not start with a plausible IPv4/IPv6 header \
                     (first byte {})",
                    data.first()
                        .map_or_else(|| "missing".to_string(), |b| format!("0x{b:02x}"))
                )
                    .into(),
                ))
            }
        }
        linktype::IPV4 => ip(data, Some(4), 0),
        linktype::IPV6 => ip(data, Some(6), 0),
        linktype::LINUX_SLL => sll(data),
        linktype::LINUX_SLL2 => sll2(data),
        linktype::IEEE802_15_4_WITHFCS
        | linktype::IEEE802_15_4_NOFCS
        | linktype::IEEE802_15_4_TAP
        | linktype::IEEE802_15_4_NONASK_PHY => Ok(Net::Other(
            format!(
                "link type {lt} ({}) carries 802.15.4 frames (6LoWPAN), not IP",
                linktype::name(lt)
            )
            .into(),
        )),
        // 6LoWPAN links other than 802.15.4 (RFC 8163, RFC 9428, RFC 7428).
        linktype::BACNET_MS_TP | linktype::NFC_LLCP | linktype::ZWAVE_R1_R2 => Ok(Net::Other(
            format!(
                "link type {lt} ({}) carries 6LoWPAN link frames, not IP",
                linktype::name(lt)
            )
            .into(),
        )),
        linktype::BLUETOOTH_HCI_H4_WITH_PHDR
        | linktype::BLUETOOTH_LE_LL
        | linktype::BLUETOOTH_LINUX_MONITOR
        | linktype::BLUETOOTH_LE_LL_WITH_PHDR
        | linktype::NORDIC_BLE => Ok(Net::Other(
            format!(
                "link type {lt} ({}) carries Bluetooth LE (6LoWPAN over IPSP, RFC 7668), not IP",
                linktype::name(lt)
            )
            .into(),
        )),
        _ => Ok(Net::Unsupported(lt)),
    }
}

/// Whether data under LINKTYPE_RAW looks like a real IP packet: version 4 with IHL ≥ 5 and a
/// total length between the header length and the wire length, or version 6 with a payload
/// length that fits the wire length (or 0 with a hop-by-hop header: a jumbogram).
///
/// The version nibble alone is not enough: the first byte of an 802.15.4 frame is the low byte of
/// its frame control field, and the most common data frames start with 0x41 (PAN ID compression)
/// or 0x61 (plus ack request), i.e. "version" 4 or 6.
pub(crate) fn raw_ip_plausible(data: &[u8], orig_len: u32) -> bool {
    let wire = (orig_len as usize).max(data.len());
    let be16 = |i: usize| {
        data.get(i..i + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    };
    match data.first().map(|b| b >> 4) {
        Some(4) => {
            let ihl = usize::from(data[0] & 0x0f) * 4;
            ihl >= 20 && be16(2).is_some_and(|total| total >= ihl && total <= wire)
        }
        Some(6) => match be16(4) {
            // Payload Length 0: a jumbogram (RFC 2675: Hop-by-Hop next) or a header with
            // nothing after it (No Next Header, RFC 8200 §4.7), which is then all there is.
            Some(0) => data.get(6) == Some(&0) || wire == 40,
            Some(payload) => 40 + payload <= wire,
            None => false,
        },
        _ => false,
    }
}

/// `data` is an IP packet at byte `off` of the frame; `expected` is the version the link layer
/// announced, if any.
fn ip(data: &[u8], expected: Option<u8>, off: usize) -> Result<Net<'_>, LinkError> {
    let Some(&b0) = data.first() else {
        return Err(LinkError::EmptyIp { offset: off });
    };
    let version = b0 >> 4;
    if let Some(want) = expected {
        if version != want {
            return Err(LinkError::VersionMismatch {
                offset: off,
                announced: want,
                found: version,
            });
        }
    }
    let be16 = |i: usize| {
        data.get(i..i + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let declared = match version {
        4 => be16(2).filter(|&total| total >= 20),
        6 => be16(4).filter(|&payload| payload > 0).map(|p| p + 40),
        v => {
            return Err(LinkError::IpVersion {
                offset: off,
                version: v,
            })
        }
    };
    Ok(Net::Ip(match declared {
        Some(n) if n <= data.len() => &data[..n],
        _ => data,
    }))
}

/// Walks 802.1Q/802.1ad tags from `ether_type`; `data` follows the EtherType field, at byte
/// `off` of the frame.
fn ether_payload(
    mut ether_type: u16,
    mut data: &[u8],
    mut off: usize,
) -> Result<Net<'_>, LinkError> {
    for _ in 0..=4 {
        match ether_type {
            0x8100 | 0x88a8 | 0x9100 => {
                let tag =
                    SingleVlanHeaderSlice::from_slice(data).map_err(|e| LinkError::VlanTag {
                        offset: off,
                        detail: e.to_string(),
                    })?;
                ether_type = tag.ether_type().0;
                data = data.get(4..).unwrap_or_default();
                off += 4;
            }
            0x0800 => return ip(data, Some(4), off),
            0x86dd => return ip(data, Some(6), off),
            t if t < 0x0600 => return Ok(Net::Other(NotIp::Llc(t))),
            t => return Ok(Net::Other(NotIp::EtherType(t))),
        }
    }
    Err(LinkError::TooManyTags { offset: off })
}

fn ether_type_name(t: u16) -> Option<&'static str> {
    Some(match t {
        0x0806 => "ARP",
        0x8035 => "RARP",
        0x809b => "AppleTalk",
        0x8847 | 0x8848 => "MPLS",
        0x8863 | 0x8864 => "PPPoE",
        0x888e => "EAPOL",
        0x88cc => "LLDP",
        0x88e5 => "MACsec",
        0x88f7 => "PTP",
        0x893a => "IEEE 1905",
        0xa0ed => "LoWPAN encapsulation, RFC 7973",
        _ => return None,
    })
}

/// BSD loopback: a 4-byte address family, then the packet.
fn loopback(data: &[u8], network_order: bool) -> Result<Net<'_>, LinkError> {
    let Some(&[a, b, c, d]) = data.get(..4) else {
        return Err(LinkError::Truncated {
            header: "loopback",
            got: data.len(),
            need: 4,
        });
    };
    let is_ip = |f: u32| matches!(f, 2 | 24 | 28 | 30);
    let le = u32::from_le_bytes([a, b, c, d]);
    let be = u32::from_be_bytes([a, b, c, d]);
    // NULL uses the byte order of the host that captured, which the file does not record.
    let family = if network_order || !is_ip(le) { be } else { le };
    let rest = data.get(4..).unwrap_or_default();
    match family {
        2 => ip(rest, Some(4), 4),
        24 | 28 | 30 => ip(rest, Some(6), 4),
        f => Ok(Net::Other(
            format!("loopback address family {f}, not IP").into(),
        )),
    }
}

/// Linux cooked capture v1 (LINKTYPE_LINUX_SLL):
///
/// ```text
///  0      2       4            6                14        16
/// +------+-------+------------+----------------+---------+
/// | type | ARPHRD| addr length| address (8)    | protocol|
/// +------+-------+------------+----------------+---------+
/// ```
///
/// Hand-parsed rather than with etherparse's `LinuxSllHeaderSlice`, which rejects every ARPHRD
/// type but five; captures on Linux's "any" device routinely contain ARPHRD_LOOPBACK (772),
/// ARPHRD_NONE (65534, tun devices) and ARPHRD_IEEE802154 (804) packets.
fn sll(data: &[u8]) -> Result<Net<'_>, LinkError> {
    let Some(h) = data.get(..16) else {
        return Err(LinkError::Truncated {
            header: "Linux cooked (SLL)",
            got: data.len(),
            need: 16,
        });
    };
    let hatype = u16::from_be_bytes([h[2], h[3]]);
    let protocol = u16::from_be_bytes([h[14], h[15]]);
    cooked(
        hatype,
        protocol,
        data.get(16..).unwrap_or_default(),
        16,
        "SLL",
    )
}

/// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2):
///
/// ```text
///  0         2          4           8       10     11          12            20
/// +---------+----------+-----------+-------+------+-----------+-------------+
/// | protocol| reserved | ifindex   | ARPHRD| type | addr len  | address (8) |
/// +---------+----------+-----------+-------+------+-----------+-------------+
/// ```
///
/// Hand-parsed: etherparse (0.21) has no SLL2 support.
fn sll2(data: &[u8]) -> Result<Net<'_>, LinkError> {
    let Some(h) = data.get(..20) else {
        return Err(LinkError::Truncated {
            header: "Linux cooked v2 (SLL2)",
            got: data.len(),
            need: 20,
        });
    };
    let protocol = u16::from_be_bytes([h[0], h[1]]);
    let hatype = u16::from_be_bytes([h[8], h[9]]);
    cooked(
        hatype,
        protocol,
        data.get(20..).unwrap_or_default(),
        20,
        "SLL2",
    )
}

const ARPHRD_IEEE802154: u16 = 804;
const ARPHRD_IEEE802154_MONITOR: u16 = 805;
const ETH_P_IEEE802154: u16 = 0x00f6;

fn cooked<'a>(
    hatype: u16,
    protocol: u16,
    rest: &'a [u8],
    off: usize,
    what: &str,
) -> Result<Net<'a>, LinkError> {
    match hatype {
        // Linux mac802154 strips the FCS before handing frames to a wpan device, but appends it
        // again for monitor devices (net/mac802154/rx.c).
        ARPHRD_IEEE802154_MONITOR => Ok(Net::Wpan {
            frame: rest,
            fcs: Fcs::Crc16,
        }),
        ARPHRD_IEEE802154 => Ok(Net::Wpan {
            frame: rest,
            fcs: Fcs::Absent,
        }),
        _ if protocol == ETH_P_IEEE802154 => Ok(Net::Wpan {
            frame: rest,
            fcs: Fcs::Absent,
        }),
        _ if protocol < 0x0600 => Ok(Net::Other(
            format!("Linux {what} protocol 0x{protocol:04x} on ARPHRD {hatype}, not IP").into(),
        )),
        _ => ether_payload(protocol, rest, off),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use crate::testutil::{self, pkt};
    use crate::CaptureReader;

    /// An IPv4/UDP packet (28 header bytes) around `payload`.
    pub(crate) fn ipv4_udp(payload: &[u8], sport: u16, dport: u16) -> Vec<u8> {
        let total = (28 + payload.len()) as u16;
        let mut v = vec![
            0x45, 0x00, // version 4, IHL 5; DSCP/ECN
        ];
        v.extend(total.to_be_bytes()); // total length
        v.extend([0, 0, 0, 0]); // identification, flags/fragment offset
        v.extend([64, 17, 0, 0]); // TTL, protocol UDP, checksum (unchecked)
        v.extend([10, 0, 0, 1, 10, 0, 0, 2]); // source, destination
        v.extend(sport.to_be_bytes()); // UDP source port
        v.extend(dport.to_be_bytes()); // UDP destination port
        v.extend((8 + payload.len() as u16).to_be_bytes()); // UDP length
        v.extend([0, 0]); // UDP checksum (none)
        v.extend_from_slice(payload);
        v
    }

    /// An IPv6/UDP packet (48 header bytes) around `payload`.
    pub(crate) fn ipv6_udp(payload: &[u8], sport: u16, dport: u16) -> Vec<u8> {
        let mut v = vec![0x60, 0, 0, 0]; // version 6, traffic class, flow label
        v.extend((8 + payload.len() as u16).to_be_bytes()); // payload length
        v.extend([17, 64]); // next header UDP, hop limit
        v.extend([0xbb; 16]); // source
        v.extend([0xcc; 16]); // destination
        v.extend(sport.to_be_bytes());
        v.extend(dport.to_be_bytes());
        v.extend((8 + payload.len() as u16).to_be_bytes());
        v.extend([0, 0]);
        v.extend_from_slice(payload);
        v
    }

    pub(crate) fn ethernet(ether_type: u16, tags: &[u16], payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xa0, 0xd3, 0xc1, 0x9d, 0xbb, 0x4c]; // destination MAC
        v.extend([0x00, 0x04, 0xa3, 0x65, 0x22, 0x23]); // source MAC
        for &tpid in tags {
            v.extend(tpid.to_be_bytes()); // TPID
            v.extend(0x0064u16.to_be_bytes()); // PCP 0, DEI 0, VID 100
        }
        v.extend(ether_type.to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[test]
    fn ethernet_with_qinq_and_padding() {
        let ip4 = ipv4_udp(b"hi", 500, 500);
        let mut frame = ethernet(0x0800, &[0x88a8, 0x8100], &ip4);
        frame.extend([0u8; 6]); // Ethernet padding to the 60-byte minimum
        let got = ip_payload(&pkt(1, &frame)).unwrap().unwrap();
        assert_eq!(got, ip4.as_slice(), "padding trimmed, tags skipped");

        let arp = ethernet(0x0806, &[], &[0u8; 28]);
        assert_eq!(ip_payload(&pkt(1, &arp)).unwrap(), None);
        match network(1, &arp, 42).unwrap() {
            Net::Other(why) => assert_eq!(why.to_string(), "EtherType 0x0806 (ARP), not IP"),
            other => panic!("{other:?}"),
        }
        // The texts the 6LoWPAN commands show for other frames, worded only when shown.
        for (ether_type, text) in [
            (0x88cc, "EtherType 0x88cc (LLDP), not IP"),
            (0x1234, "EtherType 0x1234, not IP"),
            (0x0100, "IEEE 802.3 length field 256 (LLC frame), not IP"),
        ] {
            let frame = ethernet(ether_type, &[], &[0u8; 46]);
            match network(1, &frame, 60).unwrap() {
                Net::Other(why) => assert_eq!(why.to_string(), text),
                other => panic!("{other:?}"),
            }
        }

        let short = [0u8; 10];
        let e = ip_payload(&pkt(1, &short)).unwrap_err().to_string();
        assert!(e.contains("Ethernet"), "{e}");

        let wrong = ethernet(0x86dd, &[], &ip4);
        let e = ip_payload(&pkt(1, &wrong)).unwrap_err().to_string();
        assert!(
            e.contains("IPv6") && e.contains("byte 14") && e.contains("is 4"),
            "{e}"
        );

        let tagged_short = ethernet(0x8100, &[], &[0x00]);
        let e = ip_payload(&pkt(1, &tagged_short)).unwrap_err().to_string();
        assert!(e.contains("VLAN tag at byte 14"), "{e}");
    }

    #[test]
    fn loopback_families() {
        let ip6 = ipv6_udp(b"x", 1, 2);
        for fam in [24u32, 28, 30] {
            let mut le = fam.to_le_bytes().to_vec();
            le.extend(&ip6);
            assert_eq!(
                ip_payload(&pkt(0, &le)).unwrap(),
                Some(ip6.as_slice()),
                "NULL LE {fam}"
            );
            let mut be = fam.to_be_bytes().to_vec();
            be.extend(&ip6);
            assert_eq!(
                ip_payload(&pkt(0, &be)).unwrap(),
                Some(ip6.as_slice()),
                "NULL BE {fam}"
            );
            assert_eq!(
                ip_payload(&pkt(108, &be)).unwrap(),
                Some(ip6.as_slice()),
                "LOOP {fam}"
            );
        }
        let ip4 = ipv4_udp(b"", 1, 2);
        let mut v = 2u32.to_le_bytes().to_vec();
        v.extend(&ip4);
        assert_eq!(ip_payload(&pkt(0, &v)).unwrap(), Some(ip4.as_slice()));
        let mut other = 7u32.to_be_bytes().to_vec();
        other.extend(&ip4);
        assert_eq!(ip_payload(&pkt(108, &other)).unwrap(), None);
        assert!(ip_payload(&pkt(0, &[2, 0])).is_err());
    }

    #[test]
    fn raw_ip_link_types() {
        let ip4 = ipv4_udp(b"abc", 1, 2);
        let ip6 = ipv6_udp(b"abc", 1, 2);
        assert_eq!(ip_payload(&pkt(101, &ip4)).unwrap(), Some(ip4.as_slice()));
        assert_eq!(ip_payload(&pkt(101, &ip6)).unwrap(), Some(ip6.as_slice()));
        assert_eq!(ip_payload(&pkt(228, &ip4)).unwrap(), Some(ip4.as_slice()));
        assert_eq!(ip_payload(&pkt(229, &ip6)).unwrap(), Some(ip6.as_slice()));
        assert!(ip_payload(&pkt(228, &ip6)).is_err());
        assert!(ip_payload(&pkt(229, &[])).is_err());
        // An 802.15.4 data frame (FCF 0x8841) under RAW: first nibble 4, but IHL 1.
        let wpan = [0x41, 0x88, 0x01, 0xcd, 0xab, 0xff, 0xff, 0x01, 0x00];
        assert_eq!(ip_payload(&pkt(101, &wpan)).unwrap(), None);
        assert!(!raw_ip_plausible(&wpan, 9));
        assert!(raw_ip_plausible(&ip4, ip4.len() as u32));
        // IPv6 whose payload length exceeds the wire length is not plausible.
        let mut bad6 = ip6.clone();
        bad6[4] = 0x10;
        assert!(!raw_ip_plausible(&bad6, bad6.len() as u32));
        // snaplen-sliced IPv4: plausible by the wire length, returned as captured.
        let sliced = &ip4[..24];
        let p = Packet {
            orig_len: ip4.len() as u32,
            ..pkt(101, sliced)
        };
        assert_eq!(ip_payload(&p).unwrap(), Some(sliced));
    }

    #[test]
    fn linux_cooked_v1_and_v2() {
        let ip6 = ipv6_udp(b"q", 1, 2);
        let mut sll = vec![0, 0, 0x03, 0x04, 0, 0]; // to us, ARPHRD_LOOPBACK (772), address length 0
        sll.extend([0u8; 8]); // address
        sll.extend(0x86ddu16.to_be_bytes()); // protocol
        sll.extend(&ip6);
        assert_eq!(ip_payload(&pkt(113, &sll)).unwrap(), Some(ip6.as_slice()));

        let mut sll2 = 0x86ddu16.to_be_bytes().to_vec(); // protocol
        sll2.extend([0, 0]); // reserved
        sll2.extend(3u32.to_be_bytes()); // interface index
        sll2.extend(0xfffeu16.to_be_bytes()); // ARPHRD_NONE
        sll2.extend([4, 0]); // packet type (outgoing), address length
        sll2.extend([0u8; 8]); // address
        sll2.extend(&ip6);
        assert_eq!(ip_payload(&pkt(276, &sll2)).unwrap(), Some(ip6.as_slice()));

        let mut wpan = vec![0, 0, 0x03, 0x25, 0, 8]; // to us, ARPHRD_IEEE802154_MONITOR (805), length 8
        wpan.extend([0u8; 8]);
        wpan.extend(0x00f6u16.to_be_bytes());
        wpan.extend([0x41, 0x88, 0x00]);
        assert_eq!(ip_payload(&pkt(113, &wpan)).unwrap(), None);
        match network(113, &wpan, 19).unwrap() {
            Net::Wpan { frame, fcs } => {
                assert_eq!(frame, &[0x41, 0x88, 0x00]);
                assert_eq!(fcs, Fcs::Crc16);
            }
            other => panic!("{other:?}"),
        }
        assert!(ip_payload(&pkt(276, &[0u8; 19]))
            .unwrap_err()
            .to_string()
            .contains("19 of 20"));
    }

    #[test]
    fn unsupported_and_wpan_link_types() {
        let e = ip_payload(&pkt(127, b"x")).unwrap_err().to_string();
        assert!(e.contains("127") && e.contains("RADIOTAP"), "{e}");
        assert_eq!(ip_payload(&pkt(195, b"xyz")).unwrap(), None);
    }

    #[test]
    fn corpus_ikev2_ip_counts() {
        let Some(dir) = testutil::corpus("ikev2") else {
            return;
        };
        // (file, frames that carry IP per `tshark -Y "ip or ipv6"`)
        for (rel, want) in [
            ("wireshark-wiki/ipsec.cap", 312),
            ("tcpdump/ikev2four.pcap", 21),
            ("scapy/ikev2_nat_t.pcapng", 54),
            ("local-strongswan/strongswan-loopback-psk-natt.pcap", 10),
            ("tcpdump/ikev2pI2-segfault.pcapng", 1),
        ] {
            let path = dir.join(rel);
            let mut r = CaptureReader::open(path.to_str().unwrap()).unwrap();
            let mut n = 0;
            while let Some(p) = r.next_packet().unwrap() {
                if let Some(ip) =
                    ip_payload(&p).unwrap_or_else(|e| panic!("{rel} #{}: {e:#}", p.number))
                {
                    assert!(matches!(ip[0] >> 4, 4 | 6), "{rel} #{}", p.number);
                    n += 1;
                }
            }
            assert_eq!(n, want, "{rel}");
        }
    }
}
