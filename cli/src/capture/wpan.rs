//! Where the IEEE 802.15.4 frame of a captured packet is, and whether it ends in an FCS.
//!
//! | source | frame | FCS |
//! |---|---|---|
//! | LINKTYPE 195 IEEE802_15_4_WITHFCS | whole packet | CRC-16 |
//! | LINKTYPE 230 IEEE802_15_4_NOFCS | whole packet | none |
//! | LINKTYPE 283 IEEE802_15_4_TAP | after the TAP header | per its FCS-type TLV (none if absent) |
//! | ZEP (UDP port 17754) in Ethernet / SLL / SLL2 / loopback / raw IP | after the ZEP header | CRC-16 in CRC mode; none in LQI mode (metadata bytes removed) |
//! | Linux SLL/SLL2 on a wpan device (ARPHRD 804 / monitor 805) | after the cooked header | none / CRC-16 |
//! | LINKTYPE 101 RAW that is not plausibly IP | whole packet | CRC-16 iff the last two bytes check |
//!
//! Errors do not name the frame number (the caller has [`Packet::number`]); byte offsets are
//! relative to the start of the layer named in the message.

use anyhow::{bail, Result};
use etherparse::{IpNumber, LaxIpSlice, UdpSlice};
use ietfwg_6lo::mac::FcsMode;

use super::link::{self, Net};
use super::zep::{self, Zep, ZEP_PORT};
use super::{linktype, Packet};

/// Where the 802.15.4 frame came from and whether it carries an FCS.
#[derive(Debug, Clone)]
pub enum Wpan<'a> {
    /// An 802.15.4 frame: `frame` starts at the frame control field and, when `fcs` is not
    /// `None`, ends with the FCS.
    Frame {
        frame: &'a [u8],
        fcs: FcsMode,
        encap: Encap,
    },
    /// The packet carries no 802.15.4 frame; the string says why (e.g. "EtherType 0x0806 (ARP),
    /// not IP", "ZEP v2 ack (seq 5) carries no frame").
    NotWpan(String),
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
}

/// Finds the 802.15.4 frame in a captured packet.
///
/// `Ok(NotWpan(why))` for packets that do not carry one (other protocols, ZEP acks, unsupported
/// link types); `Err` for malformed encapsulation (truncated TAP or ZEP header, bad lengths).
pub fn wpan_frame<'a>(pkt: &Packet<'a>) -> Result<Wpan<'a>> {
    let data = pkt.data;
    match pkt.linktype {
        linktype::IEEE802_15_4_WITHFCS => Ok(Wpan::Frame {
            frame: data,
            fcs: FcsMode::Crc16,
            encap: Encap::Direct,
        }),
        linktype::IEEE802_15_4_NOFCS => Ok(Wpan::Frame {
            frame: data,
            fcs: FcsMode::None,
            encap: Encap::Direct,
        }),
        linktype::IEEE802_15_4_TAP => tap(data),
        linktype::RAW if !link::raw_ip_plausible(data, pkt.orig_len) => Ok(raw_frame(data)),
        lt => match link::network(lt, data, pkt.orig_len)? {
            Net::Ip(ip) => zep_in_ip(ip),
            Net::Wpan { frame, fcs } => Ok(Wpan::Frame {
                frame,
                fcs,
                encap: Encap::Direct,
            }),
            Net::Other(why) | Net::Unsupported(why) => Ok(Wpan::NotWpan(why)),
        },
    }
}

/// The 802.15.4 FCS: ITU-T CRC-16 with reflected input and output, initial value 0 and no final
/// XOR — the catalogue's CRC-16/KERMIT — sent least significant byte first
/// (IEEE 802.15.4-2020 §7.2.10).
const FCS16: crc::Crc<u16> = crc::Crc::<u16>::new(&crc::CRC_16_KERMIT);

/// Whether `frame` ends in a correct 2-byte 802.15.4 FCS.
pub fn fcs16_ok(frame: &[u8]) -> bool {
    match frame.len().checked_sub(2) {
        Some(n) => FCS16.checksum(&frame[..n]) == u16::from_le_bytes([frame[n], frame[n + 1]]),
        None => false,
    }
}

/// LINKTYPE_RAW data that is not plausibly IP (see [`link::raw_ip_plausible`]): some 802.15.4
/// sniffers write raw MAC frames under DLT 101. Whether the frame ends in an FCS is decided by
/// checking it: the FCS is taken to be present exactly when the last two bytes are the CRC-16 of
/// everything before them. A frame captured without FCS has random last two bytes, which match by
/// chance with probability 2^-16; a frame with an intact FCS always matches. (A frame whose FCS
/// is present but wrong is therefore reported as having none; that is the price of not knowing
/// the sniffer.) Frames shorter than 5 bytes (the smallest frame, an Imm-Ack, is 3 bytes + FCS)
/// are taken as FCS-less.
fn raw_frame(data: &[u8]) -> Wpan<'_> {
    let fcs = if data.len() >= 5 && fcs16_ok(data) {
        FcsMode::Crc16
    } else {
        FcsMode::None
    };
    Wpan::Frame {
        frame: data,
        fcs,
        encap: Encap::RawIpHeuristic,
    }
}

/// An IP packet: a ZEP datagram, or not.
fn zep_in_ip(ip: &[u8]) -> Result<Wpan<'_>> {
    let version = ip.first().map_or(0, |b| b >> 4);
    let (slice, _ext_stop) =
        LaxIpSlice::from_slice(ip).map_err(|e| anyhow::anyhow!("IPv{version} header: {e}"))?;
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
    let udp = UdpSlice::from_slice(payload.payload)
        .map_err(|e| anyhow::anyhow!("UDP header in IPv{version}: {e}"))?;
    let (sport, dport) = (udp.source_port(), udp.destination_port());
    if sport != ZEP_PORT && dport != ZEP_PORT {
        return Ok(Wpan::NotWpan(format!(
            "UDP port {sport} → {dport}, not ZEP (port {ZEP_PORT})"
        )));
    }
    match zep::decode(udp.payload())? {
        Zep::Data { header, frame, fcs } => Ok(Wpan::Frame {
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
        }),
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
fn tap(data: &[u8]) -> Result<Wpan<'_>> {
    let Some(&[version, _reserved, l0, l1]) = data.get(..4) else {
        bail!("802.15.4 TAP header truncated: {} of 4 bytes", data.len());
    };
    if version != 0 {
        bail!("802.15.4 TAP version {version} at byte 0 is not supported (only 0)");
    }
    let hdr_len = usize::from(u16::from_le_bytes([l0, l1]));
    if hdr_len < 4 {
        bail!("802.15.4 TAP header length {hdr_len} at byte 2 is below the minimum 4");
    }
    let Some(tlvs) = data.get(..hdr_len) else {
        bail!(
            "802.15.4 TAP header length {hdr_len} at byte 2 exceeds the {}-byte packet",
            data.len()
        );
    };
    let mut fcs = FcsMode::None;
    let (mut channel, mut page, mut rss_dbm, mut lqi) = (None, None, None, None);
    let mut off = 4;
    while off < hdr_len {
        let Some(&[t0, t1, n0, n1]) = tlvs.get(off..off + 4) else {
            bail!("802.15.4 TAP TLV header at byte {off} overruns the {hdr_len}-byte TAP header");
        };
        let ty = u16::from_le_bytes([t0, t1]);
        let len = usize::from(u16::from_le_bytes([n0, n1]));
        let start = off + 4;
        let padded = (len + 3) & !3;
        let Some(value) = tlvs
            .get(start..start + len)
            .filter(|_| start + padded <= hdr_len)
        else {
            bail!(
                "802.15.4 TAP TLV type {ty} at byte {off}: {len}-byte value overruns the \
                 {hdr_len}-byte TAP header"
            );
        };
        let short = |need: usize| -> Result<()> {
            if len < need {
                bail!("802.15.4 TAP TLV type {ty} at byte {off}: length {len}, expected {need}");
            }
            Ok(())
        };
        match ty {
            0 => {
                short(1)?;
                fcs = match value[0] {
                    0 => FcsMode::None,
                    1 => FcsMode::Crc16,
                    2 => FcsMode::Crc32,
                    x => bail!(
                        "802.15.4 TAP FCS type {x} at byte {start} is not 0 (none), 1 (16-bit) or \
                         2 (32-bit)"
                    ),
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
    Ok(Wpan::Frame {
        frame: data.get(hdr_len..).unwrap_or_default(),
        fcs,
        encap: Encap::Tap {
            channel,
            page,
            rss_dbm,
            lqi,
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::capture::testutil::{self, pkt};
    use crate::capture::zep::tests::{zep_v1, zep_v2};
    use crate::capture::CaptureReader;

    fn ipv4_udp(payload: &[u8], sport: u16, dport: u16) -> Vec<u8> {
        let total = (28 + payload.len()) as u16;
        let mut v = vec![0x45, 0x00]; // version 4, IHL 5; DSCP/ECN
        v.extend(total.to_be_bytes()); // total length
        v.extend([0, 0, 0, 0]); // identification, flags/fragment offset
        v.extend([64, 17, 0, 0]); // TTL, protocol UDP, checksum
        v.extend([10, 10, 10, 2, 10, 10, 10, 1]); // source, destination
        v.extend(sport.to_be_bytes()); // UDP source port
        v.extend(dport.to_be_bytes()); // UDP destination port
        v.extend((8 + payload.len() as u16).to_be_bytes()); // UDP length
        v.extend([0, 0]); // UDP checksum
        v.extend_from_slice(payload);
        v
    }

    fn ipv6_udp(payload: &[u8], sport: u16, dport: u16) -> Vec<u8> {
        let mut v = vec![0x60, 0, 0, 0]; // version 6, traffic class, flow label
        v.extend((8 + payload.len() as u16).to_be_bytes()); // payload length
        v.extend([17, 8]); // next header UDP, hop limit
        v.extend([0xbb; 16]); // source
        v.extend([0xbb; 16]); // destination
        v.extend(sport.to_be_bytes()); // UDP source port
        v.extend(dport.to_be_bytes()); // UDP destination port
        v.extend((8 + payload.len() as u16).to_be_bytes()); // UDP length
        v.extend([0, 0]); // UDP checksum
        v.extend_from_slice(payload);
        v
    }

    fn ethernet(ether_type: u16, tags: &[u16], payload: &[u8]) -> Vec<u8> {
        let mut v = vec![0xa0, 0xd3, 0xc1, 0x9d, 0xbb, 0x4c]; // destination MAC
        v.extend([0x00, 0x04, 0xa3, 0x65, 0x22, 0x23]); // source MAC
        for &tpid in tags {
            v.extend(tpid.to_be_bytes()); // TPID
            v.extend(0x0005u16.to_be_bytes()); // VID 5
        }
        v.extend(ether_type.to_be_bytes()); // EtherType
        v.extend_from_slice(payload);
        v
    }

    /// An 802.15.4 data frame (FCF 0x8841: data, PAN ID compression, short addresses) with a
    /// correct FCS.
    fn frame_with_fcs() -> Vec<u8> {
        let mut f = vec![
            0x41, 0x88, // frame control
            0x2a, // sequence number
            0xcd, 0xab, // destination PAN
            0xff, 0xff, // destination: broadcast
            0x01, 0x00, // source short address
            0x7a, 0x3b, 0x3a, // payload (IPHC...)
        ];
        let fcs = FCS16.checksum(&f);
        f.extend(fcs.to_le_bytes()); // FCS, least significant byte first
        f
    }

    #[test]
    fn fcs16_known_vector() {
        // CRC-16/KERMIT check value for "123456789" is 0x2189.
        assert_eq!(FCS16.checksum(b"123456789"), 0x2189);
        let mut f = b"123456789".to_vec();
        f.extend([0x89, 0x21]);
        assert!(fcs16_ok(&f));
        assert!(!fcs16_ok(&f[..10]));
        assert!(!fcs16_ok(&[0x00]));
    }

    #[test]
    fn direct_link_types() {
        let f = frame_with_fcs();
        match wpan_frame(&pkt(195, &f)).unwrap() {
            Wpan::Frame { frame, fcs, encap } => {
                assert_eq!(frame, f.as_slice());
                assert!(matches!(fcs, FcsMode::Crc16));
                assert_eq!(encap, Encap::Direct);
            }
            other => panic!("{other:?}"),
        }
        match wpan_frame(&pkt(230, &f[..12])).unwrap() {
            Wpan::Frame { frame, fcs, .. } => {
                assert_eq!(frame.len(), 12);
                assert!(matches!(fcs, FcsMode::None));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn zep_in_ethernet_vlan_ipv4() {
        let f = frame_with_fcs();
        let data = ethernet(0x0800, &[0x8100], &ipv4_udp(&zep_v1(&f), 17754, 17754));
        match wpan_frame(&pkt(1, &data)).unwrap() {
            Wpan::Frame { frame, fcs, encap } => {
                assert_eq!(frame, f.as_slice());
                assert!(matches!(fcs, FcsMode::Crc16));
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
                Wpan::Frame { frame, fcs, encap } => {
                    assert_eq!(frame, &f[..f.len() - 2], "link type {lt}: metadata removed");
                    assert!(matches!(fcs, FcsMode::None));
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
        let e = wpan_frame(&pkt(101, &ipv4_udp(&z, 17754, 17754)))
            .unwrap_err()
            .to_string();
        assert!(e.contains("ZEP frame truncated"), "{e}");
    }

    #[test]
    fn raw_802154_under_dlt_raw() {
        let f = frame_with_fcs();
        match wpan_frame(&pkt(101, &f)).unwrap() {
            Wpan::Frame { frame, fcs, encap } => {
                assert_eq!(frame, f.as_slice());
                assert!(matches!(fcs, FcsMode::Crc16));
                assert_eq!(encap, Encap::RawIpHeuristic);
            }
            other => panic!("{other:?}"),
        }
        let nofcs = &f[..f.len() - 2];
        match wpan_frame(&pkt(101, nofcs)).unwrap() {
            Wpan::Frame { fcs, encap, .. } => {
                assert!(matches!(fcs, FcsMode::None));
                assert_eq!(encap, Encap::RawIpHeuristic);
            }
            other => panic!("{other:?}"),
        }
        // First nibble neither 4 nor 6: an ack frame (FCF 0x0002).
        match wpan_frame(&pkt(101, &[0x02, 0x00, 0x2a])).unwrap() {
            Wpan::Frame { fcs, encap, .. } => {
                assert!(matches!(fcs, FcsMode::None));
                assert_eq!(encap, Encap::RawIpHeuristic);
            }
            other => panic!("{other:?}"),
        }
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
            Wpan::Frame { frame, fcs, encap } => {
                assert_eq!(frame, f.as_slice());
                assert!(matches!(fcs, FcsMode::Crc16));
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
            Wpan::Frame {
                fcs: FcsMode::Crc32,
                ..
            }
        ));
        let mut bare = tap_header(&[]);
        bare.extend([0x02, 0x00, 0x01]);
        match wpan_frame(&pkt(283, &bare)).unwrap() {
            Wpan::Frame { frame, fcs, encap } => {
                assert_eq!(frame, &[0x02, 0x00, 0x01]);
                assert!(matches!(fcs, FcsMode::None), "no FCS TLV means no FCS");
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
                let Wpan::Frame { frame, fcs, encap } = w else {
                    panic!("{name} #{}: {w:?}", p.number);
                };
                match p.linktype {
                    195 => assert!(matches!(fcs, FcsMode::Crc16) && encap == Encap::Direct),
                    230 => assert!(matches!(fcs, FcsMode::None) && encap == Encap::Direct),
                    1 | 101 => {
                        let Encap::Zep {
                            channel, lqi_mode, ..
                        } = encap
                        else {
                            panic!("{name} #{}: {encap:?}", p.number);
                        };
                        assert_eq!(channel, 26, "{name}");
                        if lqi_mode {
                            assert!(matches!(fcs, FcsMode::None));
                        } else {
                            assert!(matches!(fcs, FcsMode::Crc16));
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
            Wpan::Frame { frame, fcs, encap } => {
                assert_eq!(frame.len(), 64);
                assert_eq!(&frame[..3], &[0x41, 0xc8, 120], "FCF 0xc841, seq 120");
                assert!(matches!(fcs, FcsMode::None));
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

        // 802_15_4_ACKS.pcap: ZEP v2 CRC mode; tshark's zep.length per frame and "FCS correct".
        let path = dir.join("802_15_4_ACKS.pcap");
        let mut r = CaptureReader::open(path.to_str().unwrap()).unwrap();
        let mut lens = Vec::new();
        while let Some(p) = r.next_packet().unwrap() {
            let Wpan::Frame { frame, encap, .. } = wpan_frame(&p).unwrap() else {
                panic!("#{}", p.number);
            };
            assert!(fcs16_ok(frame), "#{}: FCS checks", p.number);
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

    #[test]
    fn corpus_fcs_checks_where_tshark_says_correct() {
        let Some(dir) = testutil::corpus("6lo") else {
            return;
        };
        for name in [
            "wpan_802_15_4_LLT_195_6lowpan.pcap",
            "802_15_4_with_FCS_13_frames.pcap",
        ] {
            let path = dir.join(name);
            let mut r = CaptureReader::open(path.to_str().unwrap()).unwrap();
            let mut n = 0;
            while let Some(p) = r.next_packet().unwrap() {
                let Wpan::Frame { frame, fcs, .. } = wpan_frame(&p).unwrap() else {
                    panic!("{name} #{}", p.number);
                };
                assert!(matches!(fcs, FcsMode::Crc16));
                assert!(fcs16_ok(frame), "{name} #{}", p.number);
                n += 1;
            }
            assert!(n > 10, "{name}");
        }
    }
}
