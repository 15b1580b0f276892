//! 6LoWPAN carried in Ethernet frames with the LoWPAN EtherType 0xA0ED (RFC 7973), as Linux and
//! test beds use it to carry 6LoWPAN over Ethernet.
//!
//! ```text
//!  0        6        12          14 (+4 per 802.1Q / 802.1ad tag)
//! +--------+--------+-----------+------------------------------------------+
//! | dst MAC| src MAC| 0xA0ED    | 6LoWPAN: dispatch (RFC 4944 §5.1) …     |
//! +--------+--------+-----------+------------------------------------------+
//! ```
//!
//! RFC 7973 only assigns the EtherType: the payload is a LoWPAN-encapsulated IPv6 datagram,
//! starting with a dispatch octet. Where a 6LoWPAN header elides an address, the link
//! addresses it is derived from are the Ethernet MAC addresses; RFC 7973 does not say how, and
//! Linux (since 4.12) and Wireshark insert 0xFFFE between the halves and keep the U/L bit as
//! it is (RFC 2464 §4 would invert it): `ietfwg_6lo::LinkAddr::from_eui48` does the same.
//!
//! This module knows Ethernet framing, not 6LoWPAN: it hands back the payload and the MAC
//! addresses. [`write_frame`] is the other direction.

use etherparse::{Ethernet2HeaderSlice, SingleVlanHeaderSlice};

use super::{linktype, Packet};

/// The LoWPAN EtherType (RFC 7973).
pub const ETHERTYPE_LOWPAN: u16 = 0xA0ED;

/// A 6LoWPAN payload found in an Ethernet frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowpanEthernet<'a> {
    /// From the dispatch octet to the end of the captured frame.
    pub payload: &'a [u8],
    /// Offset of the payload in the captured packet.
    pub offset: usize,
    pub src: [u8; 6],
    pub dst: [u8; 6],
    /// VLAN identifiers of the 802.1Q / 802.1ad tags crossed, outermost first.
    pub vlans: Vec<u16>,
}

/// The 6LoWPAN payload of an Ethernet packet (link type 1) whose EtherType, after at most 4
/// VLAN tags, is 0xA0ED; `None` for any other packet (including a malformed Ethernet header,
/// which the IP path reports).
pub fn lowpan_ethernet<'a>(pkt: &Packet<'a>) -> Option<LowpanEthernet<'a>> {
    if pkt.linktype != linktype::ETHERNET {
        return None;
    }
    let eth = Ethernet2HeaderSlice::from_slice(pkt.data).ok()?;
    let (dst, src) = (eth.destination(), eth.source());
    let mut ether_type = eth.ether_type().0;
    let mut off = 14;
    let mut vlans = Vec::new();
    for _ in 0..=4 {
        match ether_type {
            0x8100 | 0x88a8 | 0x9100 => {
                let tag = SingleVlanHeaderSlice::from_slice(pkt.data.get(off..)?).ok()?;
                vlans.push(tag.vlan_identifier().value());
                ether_type = tag.ether_type().0;
                off += 4;
            }
            ETHERTYPE_LOWPAN => {
                return Some(LowpanEthernet {
                    payload: pkt.data.get(off..)?,
                    offset: off,
                    src,
                    dst,
                    vlans,
                })
            }
            _ => return None,
        }
    }
    None
}

/// An Ethernet II frame carrying `payload` (a 6LoWPAN payload) with EtherType 0xA0ED. No FCS
/// (pcap link type 1 frames carry none).
pub fn write_frame(dst: [u8; 6], src: [u8; 6], payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ETHERTYPE_LOWPAN.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// The MAC an interface identifier of the form `XXXX:XXFF:FEXX:XXXX` was formed from, as
/// 6LoWPAN over Ethernet forms it (0xFFFE inserted, the U/L bit kept; see the module text).
pub fn mac_from_iid(iid: [u8; 8]) -> Option<[u8; 6]> {
    (iid[3] == 0xff && iid[4] == 0xfe).then(|| [iid[0], iid[1], iid[2], iid[5], iid[6], iid[7]])
}

/// The Ethernet multicast address of an IPv6 multicast destination (RFC 2464 §7: 33:33 and the
/// last four octets).
pub fn multicast_mac(group: [u8; 16]) -> [u8; 6] {
    [0x33, 0x33, group[12], group[13], group[14], group[15]]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Timestamp;

    fn pkt(data: &[u8]) -> Packet<'_> {
        Packet {
            number: 1,
            ts: Timestamp { secs: 0, nanos: 0 },
            linktype: linktype::ETHERNET,
            orig_len: data.len() as u32,
            data,
        }
    }

    #[test]
    fn finds_the_payload_behind_vlan_tags() {
        let dst = [0x02, 0, 0, 0, 0, 0x02];
        let src = [0x02, 0, 0, 0, 0, 0x01];
        let f = write_frame(dst, src, &[0x7a, 0x33, 0x3a]);
        let l = lowpan_ethernet(&pkt(&f)).unwrap();
        assert_eq!(
            (l.payload, l.offset, l.src, l.dst),
            (&[0x7a, 0x33, 0x3a][..], 14, src, dst)
        );
        // One 802.1Q tag, VLAN 5.
        let mut t = f[..12].to_vec();
        t.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0xa0, 0xed, 0x41]);
        let l = lowpan_ethernet(&pkt(&t)).unwrap();
        assert_eq!(
            (l.payload, l.offset, l.vlans.clone()),
            (&[0x41][..], 18, vec![5])
        );
        // Cut inside the tag, another EtherType, another link type: none.
        assert!(lowpan_ethernet(&pkt(&t[..15])).is_none());
        let mut ip = f.clone();
        ip[12..14].copy_from_slice(&[0x86, 0xdd]);
        assert!(lowpan_ethernet(&pkt(&ip)).is_none());
        let mut p = pkt(&f);
        p.linktype = linktype::RAW;
        assert!(lowpan_ethernet(&p).is_none());
    }

    #[test]
    fn addresses() {
        assert_eq!(
            mac_from_iid([0x02, 0x12, 0x4b, 0xff, 0xfe, 0x01, 0x02, 0x03]),
            Some([0x02, 0x12, 0x4b, 0x01, 0x02, 0x03])
        );
        assert_eq!(mac_from_iid([0, 0, 0, 0, 0, 0, 0, 1]), None);
        let mut g = [0u8; 16];
        g[0] = 0xff;
        g[1] = 0x02;
        g[15] = 1;
        assert_eq!(multicast_mac(g), [0x33, 0x33, 0, 0, 0, 1]);
    }
}
