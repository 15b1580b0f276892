//! Where the IEEE 802.15.4 frame of a captured packet is, and what its encapsulation says about
//! a trailing FCS.
//!
//! | source | frame | FCS ([`Fcs`]) |
//! |---|---|---|
//! | LINKTYPE 195 IEEE802_15_4_WITHFCS | whole packet | CRC-16 |
//! | LINKTYPE 230 IEEE802_15_4_NOFCS | whole packet | absent |
//! | LINKTYPE 283 IEEE802_15_4_TAP | after the TAP header | per its FCS-type TLV (absent if none) |
//! | ZEP (UDP port 17754) in Ethernet / SLL / SLL2 / loopback / raw IP | after the ZEP header | CRC-16 in CRC mode; absent in LQI mode (metadata bytes removed) |
//! | Linux SLL/SLL2 on a wpan device (ARPHRD 804 / monitor 805) | after the cooked header | absent / CRC-16 |
//! | LINKTYPE 101 RAW that is not plausibly IP | whole packet | unknown |
//!
//! This module knows link types and pseudo-headers, not IEEE 802.15.4: it never looks inside
//! the frame. Where the encapsulation does not say whether the frame ends in an FCS (raw frames
//! under LINKTYPE_RAW) it reports [`Fcs::Unknown`], and a caller that knows 802.15.4 decides
//! (the `ietfwg` binary asks `ietfwg_6lo::encap`, which checks the CRC).
//!
//! Errors do not name the frame number (the caller has [`Packet::number`]); byte offsets are
//! relative to the start of the layer named in the message.

use etherparse::{IpNumber, LaxIpSlice, UdpSlice};

use super::link::{self, LinkError, Net};
use super::zep::{self, Zep, ZepError, ZEP_PORT};
use super::{linktype, Packet};

/// Whether a captured IEEE 802.15.4 frame ends in an FCS, as far as its encapsulation says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fcs {
    /// No FCS at the end of the frame.
    Absent,
    /// A 2-octet FCS (CRC-16) ends the frame.
    Crc16,
    /// A 4-octet FCS (CRC-32) ends the frame.
    Crc32,
    /// The encapsulation does not say (a raw frame under LINKTYPE_RAW): only the frame's own
    /// bytes can tell.
    Unknown,
}

impl Fcs {
    /// Octets of FCS at the end of the frame, `None` when unknown.
    pub fn octets(self) -> Option<usize> {
        match self {
            Fcs::Absent => Some(0),
            Fcs::Crc16 => Some(2),
            Fcs::Crc32 => Some(4),
            Fcs::Unknown => None,
        }
    }
}

/// An IEEE 802.15.4 frame found in a packet.
#[derive(Debug, Clone)]
pub struct WpanFrame<'a> {
    /// The frame, from its frame control field; it ends with the FCS when [`WpanFrame::fcs`]
    /// says so.
    pub frame: &'a [u8],
    /// What the encapsulation says about the frame's FCS.
    pub fcs: Fcs,
    /// How the frame was encapsulated.
    pub encap: Encap,
}

/// What a packet carries, as far as IEEE 802.15.4 is concerned.
#[derive(Debug, Clone)]
pub enum Wpan<'a> {
    /// An 802.15.4 frame.
    Frame(WpanFrame<'a>),
    /// The packet carries no 802.15.4 frame; the string says why (e.g. "EtherType 0x0806 (ARP),
    /// not IP", "ZEP v2 ack (seq 5) carries no frame").
    NotWpan(String),
}

impl<'a> Wpan<'a> {
    /// The frame, if there is one.
    pub fn frame(self) -> Option<WpanFrame<'a>> {
        match self {
            Wpan::Frame(f) => Some(f),
            Wpan::NotWpan(_) => None,
        }
    }
}

/// How the frame was encapsulated in the capture.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Encap {
    /// The link type is 802.15.4 itself (195, 230), or a Linux cooked header on a wpan device.
    Direct,
    /// ZigBee Encapsulation Protocol over UDP.
    Zep {
        version: u8,
        channel: u8,
        device_id: u16,
        /// `true` in LQI mode: the frame's last two bytes were TI CC24xx metadata, not an FCS,
        /// and have been removed from `frame`.
        lqi_mode: bool,
        /// Link quality indication from the ZEP header (meaningful in LQI mode).
        lqi: u8,
        /// Sequence number (ZEP v2 and later).
        seq: Option<u32>,
    },
    /// LINKTYPE_IEEE802_15_4_TAP: the TLVs decoded from its header.
    Tap {
        /// CHANNEL_ASSIGNMENT TLV (type 3): channel number.
        channel: Option<u16>,
        /// CHANNEL_ASSIGNMENT TLV (type 3): channel page.
        page: Option<u8>,
        /// RSS TLV (type 1): received signal strength, dBm.
        rss_dbm: Option<f32>,
        /// LQI TLV (type 10).
        lqi: Option<u8>,
    },
    /// LINKTYPE_RAW whose data is not an IP packet, taken as a raw 802.15.4 frame.
    RawIpHeuristic,
    /// No 802.15.4 frame at all: a bare 6LoWPAN payload in an Ethernet frame of EtherType
    /// 0xA0ED (RFC 7973, see [`crate::lowpan_eth`]); the link addresses are these MACs.
    LowpanEthertype {
        src: String,
        dst: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        vlans: Vec<u16>,
    },
}

/// A malformed encapsulation around an 802.15.4 frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WpanError {
    /// The link layer below the IP packet.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// The IP header (etherparse's words).
    #[error("IPv{version} header: {detail}")]
    Ip { version: u8, detail: String },
    /// The UDP header (etherparse's words).
    #[error("UDP header in IPv{version}: {detail}")]
    Udp { version: u8, detail: String },
    /// The ZEP header; `at` is where the ZEP datagram (its "EX") starts in the packet.
    #[error("{error}")]
    Zep { at: usize, error: ZepError },
    /// The 802.15.4 TAP header is shorter than 4 bytes.
    #[error("802.15.4 TAP header truncated: {got} of 4 bytes")]
    TapTruncated { got: usize },
    /// A TAP version other than 0.
    #[error("802.15.4 TAP version {version} at byte 0 is not supported (only 0)")]
    TapVersion { version: u8 },
    /// A TAP header length below 4.
    #[error("802.15.4 TAP header length {len} at byte 2 is below the minimum 4")]
    TapShortHeader { len: usize },
    /// A TAP header length beyond the packet.
    #[error("802.15.4 TAP header length {len} at byte 2 exceeds the {packet}-byte packet")]
    TapLongHeader { len: usize, packet: usize },
    /// A TLV header (at byte `at`) that does not fit in the TAP header.
    #[error("802.15.4 TAP TLV header at byte {at} overruns the {header}-byte TAP header")]
    TapTlvHeader { at: usize, header: usize },
    /// A TLV value that does not fit in the TAP header.
    #[error(
        "802.15.4 TAP TLV type {ty} at byte {at}: {len}-byte value overruns the {header}-byte          TAP header"
    )]
    TapTlvValue {
        ty: u16,
        at: usize,
        len: usize,
        header: usize,
    },
    /// A TLV value shorter than its type needs.
    #[error("802.15.4 TAP TLV type {ty} at byte {at}: length {len}, expected {need}")]
    TapTlvLength {
        ty: u16,
        at: usize,
        len: usize,
        need: usize,
    },
    /// An FCS type other than 0, 1, 2.
    #[error(
        "802.15.4 TAP FCS type {value} at byte {at} is not 0 (none), 1 (16-bit) or 2 (32-bit)"
    )]
    TapFcsType { value: u8, at: usize },
}

impl WpanError {
    /// For a malformed ZEP header: the field and its byte offset in the packet.
    pub fn zep_location(&self) -> Option<(&'static str, usize)> {
        match self {
            WpanError::Zep { at, error } => Some((error.field(), at + error.offset())),
            _ => None,
        }
    }
}

/// Finds the 802.15.4 frame in a captured packet.
///
/// `Ok(NotWpan(why))` for packets that do not carry one (other protocols, ZEP acks, unsupported
/// link types); `Err` for malformed encapsulation (truncated TAP or ZEP header, bad lengths).
pub fn wpan_frame<'a>(pkt: &Packet<'a>) -> Result<Wpan<'a>, WpanError> {
    let data = pkt.data;
    let direct = |frame: &'a [u8], fcs: Fcs| -> Result<Wpan<'a>, WpanError> {
        Ok(Wpan::Frame(WpanFrame {
            frame,
            fcs,
            encap: Encap::Direct,
        }))
    };
    match pkt.linktype {
        linktype::IEEE802_15_4_WITHFCS => direct(data, Fcs::Crc16),
        linktype::IEEE802_15_4_NOFCS => direct(data, Fcs::Absent),
        linktype::IEEE802_15_4_TAP => tap(data),
        // Some 802.15.4 sniffers write raw MAC frames under DLT 101: whether one ends in an FCS
        // is for a caller that knows 802.15.4 to decide.
        linktype::RAW if !link::raw_ip_plausible(data, pkt.orig_len) => {
            Ok(Wpan::Frame(WpanFrame {
                frame: data,
                fcs: Fcs::Unknown,
                encap: Encap::RawIpHeuristic,
            }))
        }
        lt => match link::network(lt, data, pkt.orig_len)? {
            Net::Ip(ip) => zep_in_ip(data, ip),
            Net::Wpan { frame, fcs } => direct(frame, fcs),
            Net::Other(why) => Ok(Wpan::NotWpan(why.to_string())),
            Net::Unsupported(linktype) => Ok(Wpan::NotWpan(
                LinkError::Unsupported { linktype }.to_string(),
            )),
        },
    }
}

/// An IP packet: a ZEP datagram, or not.
fn zep_in_ip<'a>(packet: &[u8], ip: &'a [u8]) -> Result<Wpan<'a>, WpanError> {
    let version = ip.first().map_or(0, |b| b >> 4);
    let (slice, _ext_stop) = LaxIpSlice::from_slice(ip).map_err(|e| WpanError::Ip {
        version,
        detail: e.to_string(),
    })?;
    let payload = slice.payload();
    if payload.ip_number != IpNumber::UDP {
        let n = payload.ip_number;
        return Ok(Wpan::NotWpan(format!(
            "IPv{version} {} packet, not UDP/ZEP",
            n.keyword_str()
                .map_or_else(|| format!("protocol {}", n.0), str::to_string)
        )));
    }
    if payload.fragmented {
        return Ok(Wpan::NotWpan(format!(
            "fragment of an IPv{version} UDP datagram (ZEP is not reassembled)"
        )));
    }
    let udp = UdpSlice::from_slice(payload.payload).map_err(|e| WpanError::Udp {
        version,
        detail: e.to_string(),
    })?;
    let (sport, dport) = (udp.source_port(), udp.destination_port());
    if sport != ZEP_PORT && dport != ZEP_PORT {
        return Ok(Wpan::NotWpan(format!(
            "UDP port {sport} → {dport}, not ZEP (port {ZEP_PORT})"
        )));
    }
    let zep = udp.payload();
    // Where the datagram starts in the packet: `zep` is a slice of it.
    let at = (zep.as_ptr() as usize).saturating_sub(packet.as_ptr() as usize);
    match zep::decode(zep).map_err(|error| WpanError::Zep { at, error })? {
        Zep::Data { header, frame, fcs } => Ok(Wpan::Frame(WpanFrame {
            frame,
            fcs,
            encap: Encap::Zep {
                version: header.version,
                channel: header.channel,
                device_id: header.device_id,
                lqi_mode: header.lqi_mode,
                lqi: header.lqi,
                seq: header.seq,
            },
        })),
        Zep::Ack { version, seq } => Ok(Wpan::NotWpan(format!(
            "ZEP v{version} ack (seq {seq}) carries no frame"
        ))),
        Zep::NoPreamble => Ok(Wpan::NotWpan(format!(
            "UDP port {sport} → {dport} without the ZEP \"EX\" preamble"
        ))),
    }
}

/// LINKTYPE_IEEE802_15_4_TAP (Exegin's "IEEE 802.15.4 TAP Link Type Specification"; all fields
/// little-endian):
///
/// ```text
///  0               1               2               3
/// +---------------+---------------+-------------------------------+
/// |  version (0)  | reserved (0)  |  length (header + TLVs, ≥ 4)  |
/// +---------------+---------------+-------------------------------+
/// |             type              |  length (value, no padding)   |  TLV, repeated
/// +-------------------------------+-------------------------------+
/// :        value, zero-padded to a multiple of 4 bytes            :
/// +---------------------------------------------------------------+
/// :        802.15.4 PHY payload [+ FCS per the FCS-type TLV]      :
/// ```
///
/// TLVs decoded: 0 FCS type (1 byte: 0 none, 1 CRC-16, 2 CRC-32; absent means none), 1 RSS
/// (f32 dBm), 3 channel assignment (u16 channel, u8 page), 10 LQI (u8); others are skipped.
fn tap(data: &[u8]) -> Result<Wpan<'_>, WpanError> {
    let Some(&[version, _reserved, l0, l1]) = data.get(..4) else {
        return Err(WpanError::TapTruncated { got: data.len() });
    };
    if version != 0 {
        return Err(WpanError::TapVersion { version });
    }
    let hdr_len = usize::from(u16::from_le_bytes([l0, l1]));
    if hdr_len < 4 {
        return Err(WpanError::TapShortHeader { len: hdr_len });
    }
    let Some(tlvs) = data.get(..hdr_len) else {
        return Err(WpanError::TapLongHeader {
            len: hdr_len,
            packet: data.len(),
        });
    };
    let mut fcs = Fcs::Absent;
    let (mut channel, mut page, mut rss_dbm, mut lqi) = (None, None, None, None);
    let mut off = 4;
    while off < hdr_len {
        let Some(&[t0, t1, n0, n1]) = tlvs.get(off..off + 4) else {
            return Err(WpanError::TapTlvHeader {
                at: off,
                header: hdr_len,
            });
        };
        let ty = u16::from_le_bytes([t0, t1]);
        let len = usize::from(u16::from_le_bytes([n0, n1]));
        let start = off + 4;
        let padded = (len + 3) & !3;
        let Some(value) = tlvs
            .get(start..start + len)
            .filter(|_| start + padded <= hdr_len)
        else {
            return Err(WpanError::TapTlvValue {
                ty,
                at: off,
                len,
                header: hdr_len,
            });
        };
        let short = |need: usize| -> Result<(), WpanError> {
            if len < need {
                return Err(WpanError::TapTlvLength {
                    ty,
                    at: off,
                    len,
                    need,
                });
            }
            Ok(())
        };
        match ty {
            0 => {
                short(1)?;
                fcs = match value[0] {
                    0 => Fcs::Absent,
                    1 => Fcs::Crc16,
                    2 => Fcs::Crc32,
                    x => {
                        return Err(WpanError::TapFcsType {
                            value: x,
                            at: start,
                        })
                    }
                };
            }
            1 => {
                short(4)?;
                rss_dbm = Some(f32::from_le_bytes([value[0], value[1], value[2], value[3]]));
            }
            3 => {
                short(3)?;
                channel = Some(u16::from_le_bytes([value[0], value[1]]));
                page = Some(value[2]);
            }
            10 => {
                short(1)?;
                lqi = Some(value[0]);
            }
            _ => {}
        }
        off = start + padded;
    }
    Ok(Wpan::Frame(WpanFrame {
        frame: data.get(hdr_len..).unwrap_or_default(),
        fcs,
        encap: Encap::Tap {
            channel,
            page,
            rss_dbm,
            lqi,
        },
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::link::tests::{ethernet, ipv4_udp, ipv6_udp};
    use crate::testutil::{self, pkt};
    use crate::zep::tests::{zep_v1, zep_v2};
    use crate::CaptureReader;

    /// An 802.15.4 data frame (FCF 0x8841: data, PAN ID compression, short addresses) with a
    /// correct FCS (CRC-16/KERMIT 0xd3f4, computed elsewhere: this crate does not check FCSs).
    fn frame_with_fcs() -> Vec<u8> {
        vec![
            0x41, 0x88, // frame control
            0x2a, // sequence number
            0xcd, 0xab, // destination PAN
            0xff, 0xff, // destination: broadcast
            0x01, 0x00, // source short address
            0x7a, 0x3b, 0x3a, // payload (IPHC...)
            0xf4, 0xd3, // FCS, least significant byte first
        ]
    }

    #[test]
    fn direct_link_types() {
        let f = frame_with_fcs();
        match wpan_frame(&pkt(195, &f)).unwrap() {
            Wpan::Frame(WpanFrame { frame, fcs, encap }) => {
                assert_eq!(frame, f.as_slice());
                assert!(matches!(fcs, Fcs::Crc16));
                assert_eq!(encap, Encap::Direct);
            }
            other => panic!("{other:?}"),
        }
        match wpan_frame(&pkt(230, &f[..12])).unwrap() {
            Wpan::Frame(WpanFrame { frame, fcs, .. }) => {
                assert_eq!(frame.len(), 12);
                assert!(matches!(fcs, Fcs::Absent));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zep_in_ethernet_vlan_ipv4() {
        let f = frame_with_fcs();
        let data = ethernet(0x0800, &[0x8100], &ipv4_udp(&zep_v1(&f), 17754, 17754));
        match wpan_frame(&pkt(1, &data)).unwrap() {
            Wpan::Frame(WpanFrame { frame, fcs, encap }) => {
                assert_eq!(frame, f.as_slice());
                assert!(matches!(fcs, Fcs::Crc16));
                assert_eq!(
                    encap,
                    Encap::Zep {
                        version: 1,
                        channel: 15,
                        device_id: 7,
                        lqi_mode: false,
                        lqi: 0,
                        seq: None
                    }
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zep_in_raw_ipv6_sll_and_sll2() {
        let f = frame_with_fcs();
        let ip6 = ipv6_udp(&zep_v2(&f, true), 0, 17754);
        let mut sll = vec![0, 4, 0, 1, 0, 6]; // outgoing, ARPHRD_ETHER, address length 6
        sll.extend([0u8; 8]); // address
        sll.extend(0x86ddu16.to_be_bytes()); // protocol IPv6
        sll.extend(&ip6);
        let mut sll2 = 0x86ddu16.to_be_bytes().to_vec(); // protocol IPv6
        sll2.extend([0, 0, 0, 0, 0, 2]); // reserved, interface index 2
        sll2.extend([0, 1, 0, 6]); // ARPHRD_ETHER, incoming, address length 6
        sll2.extend([0u8; 8]); // address
        sll2.extend(&ip6);
        for (lt, data) in [(101, &ip6), (229, &ip6), (113, &sll), (276, &sll2)] {
            match wpan_frame(&pkt(lt, data)).unwrap() {
                Wpan::Frame(WpanFrame { frame, fcs, encap }) => {
                    assert_eq!(frame, &f[..f.len() - 2], "link type {lt}: metadata removed");
                    assert!(matches!(fcs, Fcs::Absent));
                    assert!(
                        matches!(
                            encap,
                            Encap::Zep {
                                version: 2,
                                channel: 11,
                                lqi_mode: true,
                                lqi: 200,
                                seq: Some(77),
                                ..
                            }
                        ),
                        "{encap:?}"
                    );
                }
                other => panic!("link type {lt}: {other:?}"),
            }
        }
    }

    #[test]
    fn not_wpan_reasons() {
        let ack = [b'E', b'X', 2, 2, 0, 0, 0, 9];
        let cases: Vec<(u32, Vec<u8>, &str)> = vec![
            (1, ethernet(0x0806, &[], &[0; 28]), "ARP"),
            (
                101,
                ipv4_udp(&ack, 17754, 17754),
                "ack (seq 9) carries no frame",
            ),
            (101, ipv4_udp(b"xx", 53, 53), "UDP port 53"),
            (
                101,
                ipv4_udp(b"GET / HTTP/1.1", 1000, 17754),
                "without the ZEP",
            ),
            (127, vec![0; 8], "not supported"),
        ];
        for (lt, data, want) in cases {
            match wpan_frame(&pkt(lt, &data)).unwrap() {
                Wpan::NotWpan(why) => assert!(why.contains(want), "{why}"),
                other => panic!("{want}: {other:?}"),
            }
        }
        let mut tcp = ipv4_udp(b"", 1, 2);
        tcp[9] = 6;
        match wpan_frame(&pkt(228, &tcp)).unwrap() {
            Wpan::NotWpan(why) => assert!(why.contains("TCP"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_zep_is_an_error() {
        let mut z = zep_v2(&[1, 2, 3], false);
        z.truncate(z.len() - 1);
        let err = wpan_frame(&pkt(101, &ipv4_udp(&z, 17754, 17754))).unwrap_err();
        let e = err.to_string();
        assert!(e.contains("ZEP frame truncated"), "{e}");
        // The length field is byte 31 of the ZEP header, after 20 bytes of IPv4 and 8 of UDP.
        assert_eq!(err.zep_location(), Some(("length", 20 + 8 + 31)));
    }

    /// Under DLT 101 a packet that is not plausibly IP is a raw 802.15.4 frame whose FCS the
    /// encapsulation does not declare (`ietfwg_6lo::encap` decides it from the CRC).
    #[test]
    fn raw_802154_under_dlt_raw() {
        let f = frame_with_fcs();
        let nofcs = &f[..f.len() - 2];
        // First nibble neither 4 nor 6: an ack frame (FCF 0x0002).
        for data in [&f[..], nofcs, &[0x02, 0x00, 0x2a]] {
            match wpan_frame(&pkt(101, data)).unwrap() {
                Wpan::Frame(WpanFrame { frame, fcs, encap }) => {
                    assert_eq!(frame, data);
                    assert_eq!(fcs, Fcs::Unknown);
                    assert_eq!(fcs.octets(), None);
                    assert_eq!(encap, Encap::RawIpHeuristic);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    /// A lone IPv6 header (Payload Length 0, No Next Header) under DLT 101 is IP, not an
    /// 802.15.4 frame.
    #[test]
    fn ipv6_no_next_header_under_dlt_raw_is_ip() {
        let mut v6 = vec![0x60, 0, 0, 0, 0, 0, 59, 64];
        v6.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        v6.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        match wpan_frame(&pkt(101, &v6)).unwrap() {
            Wpan::NotWpan(_) => {}
            other => panic!("{other:?}"),
        }
        // One octet more than the header says: not a consistent IPv6 packet.
        v6.push(0);
        assert!(matches!(
            wpan_frame(&pkt(101, &v6)).unwrap(),
            Wpan::Frame(WpanFrame {
                encap: Encap::RawIpHeuristic,
                ..
            })
        ));
    }

    fn tap_header(tlvs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for &(ty, value) in tlvs {
            body.extend(ty.to_le_bytes()); // type
            body.extend((value.len() as u16).to_le_bytes()); // length (unpadded)
            body.extend_from_slice(value);
            while body.len() % 4 != 0 {
                body.push(0); // padding
            }
        }
        let mut v = vec![0, 0]; // version 0, reserved
        v.extend(((4 + body.len()) as u16).to_le_bytes()); // header length
        v.extend(body);
        v
    }

    #[test]
    fn tap_tlvs() {
        let f = frame_with_fcs();
        let mut data = tap_header(&[
            (0, &[1]),                      // FCS type: 16-bit
            (1, &(-61.5f32).to_le_bytes()), // RSS
            (3, &[26, 0, 0]),               // channel 26, page 0
            (10, &[255]),                   // LQI
            (99, &[1, 2, 3, 4, 5]),         // unknown TLV: skipped
        ]);
        data.extend(&f);
        match wpan_frame(&pkt(283, &data)).unwrap() {
            Wpan::Frame(WpanFrame { frame, fcs, encap }) => {
                assert_eq!(frame, f.as_slice());
                assert!(matches!(fcs, Fcs::Crc16));
                assert_eq!(
                    encap,
                    Encap::Tap {
                        channel: Some(26),
                        page: Some(0),
                        rss_dbm: Some(-61.5),
                        lqi: Some(255)
                    }
                );
            }
            other => panic!("{other:?}"),
        }
        let mut crc32 = tap_header(&[(0, &[2])]);
        crc32.extend([1, 2, 3, 4, 5, 6, 7]);
        assert!(matches!(
            wpan_frame(&pkt(283, &crc32)).unwrap(),
            Wpan::Frame(WpanFrame {
                fcs: Fcs::Crc32,
                ..
            })
        ));
        let mut bare = tap_header(&[]);
        bare.extend([0x02, 0x00, 0x01]);
        match wpan_frame(&pkt(283, &bare)).unwrap() {
            Wpan::Frame(WpanFrame { frame, fcs, encap }) => {
                assert_eq!(frame, &[0x02, 0x00, 0x01]);
                assert!(matches!(fcs, Fcs::Absent), "no FCS TLV means no FCS");
                assert!(matches!(encap, Encap::Tap { channel: None, .. }));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tap_malformed() {
        let mut overrun = tap_header(&[(3, &[26, 0, 0])]);
        overrun[6] = 9; // TLV length 9 > what the header holds
        let mut bad_fcs = tap_header(&[(0, &[7])]);
        bad_fcs.push(0);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![0, 0], "2 of 4"),
            (vec![1, 0, 4, 0], "version 1"),
            (vec![0, 0, 2, 0], "below the minimum"),
            (vec![0, 0, 40, 0, 1], "exceeds the 5-byte packet"),
            (vec![0, 0, 6, 0, 0, 0], "overruns the 6-byte TAP header"),
            (overrun, "9-byte value overruns"),
            (bad_fcs, "FCS type 7 at byte 8"),
            (tap_header(&[(3, &[26])]), "length 1, expected 3"),
        ];
        for (input, want) in cases {
            let e = wpan_frame(&pkt(283, &input)).unwrap_err().to_string();
            assert!(e.contains(want), "{input:02x?}: {e}");
        }
    }

    /// Expected FCS mode per corpus file, from its link type (and ZEP mode).
    #[test]
    fn corpus_6lo_every_frame_is_wpan() {
        let Some(dir) = testutil::corpus("6lo") else {
            return;
        };
        let files = testutil::capture_files(&dir);
        assert!(files.len() >= 47, "{} files", files.len());
        let mut zep_files = 0;
        for f in files {
            let name = f.file_name().unwrap().to_string_lossy().to_string();
            let mut r = CaptureReader::open(f.to_str().unwrap()).unwrap();
            while let Some(p) = r.next_packet().unwrap() {
                let w = wpan_frame(&p).unwrap_or_else(|e| panic!("{name} #{}: {e:#}", p.number));
                let Wpan::Frame(WpanFrame { frame, fcs, encap }) = w else {
                    panic!("{name} #{}: {w:?}", p.number);
                };
                match p.linktype {
                    195 => assert!(matches!(fcs, Fcs::Crc16) && encap == Encap::Direct),
                    230 => assert!(matches!(fcs, Fcs::Absent) && encap == Encap::Direct),
                    1 | 101 => {
                        let Encap::Zep {
                            channel, lqi_mode, ..
                        } = encap
                        else {
                            panic!("{name} #{}: {encap:?}", p.number);
                        };
                        assert_eq!(channel, 26, "{name}");
                        if lqi_mode {
                            assert!(matches!(fcs, Fcs::Absent));
                        } else {
                            assert!(matches!(fcs, Fcs::Crc16));
                        }
                        if p.number == 1 {
                            zep_files += 1;
                        }
                    }
                    lt => panic!("{name}: unexpected link type {lt}"),
                }
                assert!(
                    frame.len() >= 3 || name.contains("oobr"),
                    "{name} #{}",
                    p.number
                );
            }
        }
        assert_eq!(
            zep_files, 8,
            "one Ethernet and seven OpenWSN (raw IPv6) ZEP captures"
        );
    }

    #[test]
    fn corpus_zep_details_match_tshark() {
        let Some(dir) = testutil::corpus("6lo") else {
            return;
        };
        // single_zep_and_sixlo_frame.pcap: tshark shows ZEP v3, channel 26, device 8739, LQI
        // mode, LQI 255, seq 55, length 66 (64-byte MAC frame + CC24xx metadata "FCS OK").
        let path = dir.join("single_zep_and_sixlo_frame.pcap");
        let mut r = CaptureReader::open(path.to_str().unwrap()).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        match wpan_frame(&p).unwrap() {
            Wpan::Frame(WpanFrame { frame, fcs, encap }) => {
                assert_eq!(frame.len(), 64);
                assert_eq!(&frame[..3], &[0x41, 0xc8, 120], "FCF 0xc841, seq 120");
                assert!(matches!(fcs, Fcs::Absent));
                assert_eq!(
                    encap,
                    Encap::Zep {
                        version: 3,
                        channel: 26,
                        device_id: 8739,
                        lqi_mode: true,
                        lqi: 255,
                        seq: Some(55)
                    }
                );
                // The metadata's CRC-OK bit (tshark: "FCS OK") sits right after the frame.
                let cut = p.data.len() - 2;
                assert_eq!(&p.data[cut - 64..cut], frame);
                assert_eq!(p.data[cut + 1] & 0x80, 0x80);
            }
            other => panic!("{other:?}"),
        }

        // 802_15_4_ACKS.pcap: ZEP v2 CRC mode; tshark's zep.length per frame (its "FCS correct"
        // is checked in proto-6lo/tests/encap.rs).
        let path = dir.join("802_15_4_ACKS.pcap");
        let mut r = CaptureReader::open(path.to_str().unwrap()).unwrap();
        let mut lens = Vec::new();
        while let Some(p) = r.next_packet().unwrap() {
            let Wpan::Frame(WpanFrame { frame, fcs, encap }) = wpan_frame(&p).unwrap() else {
                panic!("#{}", p.number);
            };
            assert_eq!(fcs, Fcs::Crc16, "#{}", p.number);
            assert!(matches!(
                encap,
                Encap::Zep {
                    version: 2,
                    device_id: 1,
                    lqi_mode: false,
                    seq: Some(33_686_018),
                    ..
                }
            ));
            lens.push(frame.len());
        }
        assert_eq!(lens, [101, 5, 5, 5, 5, 5, 5]);
    }
}
