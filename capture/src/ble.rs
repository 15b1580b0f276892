//! Where the Bluetooth LE bytes of a captured packet are, and what the pseudo-header says about
//! them (direction, channel, signal). This module knows link types and pseudo-headers, not
//! Bluetooth: it never looks inside the link-layer PDU or the HCI packet.
//!
//! | LINKTYPE | pseudo-header | what follows |
//! |---|---|---|
//! | 251 BLUETOOTH_LE_LL | none | LL packet: access address, PDU header, payload, CRC |
//! | 256 BLUETOOTH_LE_LL_WITH_PHDR | 10 octets: RF channel, signal, noise, AA offenses, reference AA, flags (PDU type: advertising / data with direction) | LL packet |
//! | 272 NORDIC_BLE | nRF Sniffer: board id, UART header, packet header (flags bit 1: central → peripheral, channel, RSSI, event counter, time) | LL packet |
//! | 201 BLUETOOTH_HCI_H4_WITH_PHDR | 4-octet direction (big-endian; 0 sent by the host, 1 received) | H4 packet type, then the HCI packet |
//! | 254 BLUETOOTH_LINUX_MONITOR | adapter index, opcode (big-endian) | the HCI packet (btmon; the opcode says its type and direction) |
//!
//! The header layouts are those of the tcpdump.org link-layer header types registry and of the
//! nRF Sniffer's documentation; they are parsed by hand because no crate reads them.

use super::{linktype, Packet};

/// Who sent a Bluetooth LE link-layer or HCI packet, as far as the capture says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BleDirection {
    /// A data-channel PDU from the central (master, the initiator of the connection).
    CentralToPeripheral,
    /// A data-channel PDU from the peripheral (slave, the advertiser).
    PeripheralToCentral,
    /// An HCI packet the host sent to its controller.
    HostToController,
    /// An HCI packet the controller sent to its host.
    ControllerToHost,
}

/// The HCI packet types of the H4 UART transport (Bluetooth Core 5.3 Vol 4 Part A §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HciType {
    Command,
    Acl,
    Sco,
    Event,
    Iso,
}

impl HciType {
    fn from_h4(b: u8) -> Option<HciType> {
        Some(match b {
            1 => HciType::Command,
            2 => HciType::Acl,
            3 => HciType::Sco,
            4 => HciType::Event,
            5 => HciType::Iso,
            _ => return None,
        })
    }
}

/// What a Bluetooth LE capture packet holds.
#[derive(Debug, Clone)]
pub enum Ble<'a> {
    /// A link-layer packet from its access address on (the CRC at the end).
    Ll {
        /// From the access address to the end of the CRC.
        packet: &'a [u8],
        /// Where `packet` starts in the captured bytes.
        offset: usize,
        /// The pseudo-header says the PDU was on an advertising channel (`Some(true)`), a data
        /// channel (`Some(false)`), or nothing (`None`).
        advertising: Option<bool>,
        direction: Option<BleDirection>,
        /// The pseudo-header's record of the link, for the decoder's `encap`.
        meta: LlMeta,
    },
    /// An HCI packet (from its own header on: command, ACL, event…).
    Hci {
        kind: HciType,
        packet: &'a [u8],
        offset: usize,
        direction: Option<BleDirection>,
        /// Linux monitor: the controller index (several adapters share one capture).
        adapter: Option<u16>,
    },
    /// A Linux monitor record that carries no HCI packet (New Index, notes, …): the opcode,
    /// and for New Index (opcode 0) the adapter's public address, most significant octet first.
    MonitorOther {
        opcode: u16,
        adapter: u16,
        new_index_address: Option<[u8; 6]>,
    },
    /// Not a Bluetooth LE packet; the string says why.
    NotBle(String),
}

/// What an LL pseudo-header says beside the direction.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LlMeta {
    pub rf_channel: Option<u8>,
    pub rssi_dbm: Option<i8>,
    /// The capturing device checked the CRC: whether it was valid.
    pub crc_valid: Option<bool>,
}

/// Whether `lt` is a Bluetooth LE link type this module reads.
pub fn is_ble_linktype(lt: u32) -> bool {
    matches!(
        lt,
        linktype::BLUETOOTH_LE_LL
            | linktype::BLUETOOTH_LE_LL_WITH_PHDR
            | linktype::NORDIC_BLE
            | linktype::BLUETOOTH_HCI_H4_WITH_PHDR
            | linktype::BLUETOOTH_LINUX_MONITOR
    )
}

/// The access address of the advertising channels (Bluetooth Core 5.3 Vol 6 Part B §2.1.2).
pub const ADVERTISING_AA: u32 = 0x8e89_bed6;

/// Finds the Bluetooth LE bytes of `pkt`; `None` for a link type that is not Bluetooth LE.
pub fn ble_packet<'a>(pkt: &Packet<'a>) -> Option<Ble<'a>> {
    let d = pkt.data;
    Some(match pkt.linktype {
        linktype::BLUETOOTH_LE_LL => Ble::Ll {
            packet: d,
            offset: 0,
            advertising: None,
            direction: None,
            meta: LlMeta::default(),
        },
        linktype::BLUETOOTH_LE_LL_WITH_PHDR => phdr(d),
        linktype::NORDIC_BLE => nordic(d),
        linktype::BLUETOOTH_HCI_H4_WITH_PHDR => {
            let (Some(dir), Some(&t)) = (d.get(..4), d.get(4)) else {
                return Some(short("H4 pseudo-header and packet type", d.len(), 5));
            };
            let direction = match u32::from_be_bytes([dir[0], dir[1], dir[2], dir[3]]) {
                0 => Some(BleDirection::HostToController),
                1 => Some(BleDirection::ControllerToHost),
                _ => None,
            };
            match HciType::from_h4(t) {
                Some(kind) => Ble::Hci {
                    kind,
                    packet: &d[5..],
                    offset: 5,
                    direction,
                    adapter: None,
                },
                None => Ble::NotBle(format!(
                    "H4 packet type 0x{t:02x} is not an HCI packet type"
                )),
            }
        }
        linktype::BLUETOOTH_LINUX_MONITOR => monitor(d),
        _ => return None,
    })
}

fn short(what: &str, got: usize, need: usize) -> Ble<'static> {
    Ble::NotBle(format!("{what}: {got} of {need} bytes"))
}

/// LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR: the 10-octet header, little-endian fields.
fn phdr(d: &[u8]) -> Ble<'_> {
    let Some(h) = d.get(..10) else {
        return short("LE LL pseudo-header", d.len(), 10);
    };
    let flags = u16::from_le_bytes([h[8], h[9]]);
    // Flags 0x0380: the PDU type: 0 advertising, 1 data (direction unknown), 2 data central →
    // peripheral, 3 data peripheral → central; others (extended advertising, ISO) not data.
    let (advertising, direction) = match (flags >> 7) & 0x7 {
        0 => (Some(true), None),
        1 => (Some(false), None),
        2 => (Some(false), Some(BleDirection::CentralToPeripheral)),
        3 => (Some(false), Some(BleDirection::PeripheralToCentral)),
        _ => (None, None),
    };
    let meta = LlMeta {
        rf_channel: Some(h[0]),
        rssi_dbm: (flags & 0x0002 != 0).then_some(h[1] as i8),
        crc_valid: (flags & 0x0400 != 0).then_some(flags & 0x0800 != 0),
    };
    Ble::Ll {
        packet: &d[10..],
        offset: 10,
        advertising,
        direction,
        meta,
    }
}

/// LINKTYPE_NORDIC_BLE: board id (1), then the UART header — protocol version 1: header length,
/// payload length; versions 2 and 3: a 2-octet payload length — with the protocol version at
/// octet 3, packet counter (2) and packet id (1) after it; then the packet header, whose first
/// octet is its own length, with flags (bit 0 CRC ok, bit 1 central → peripheral), channel,
/// RSSI (negated), event counter and time. Legacy captures (0xBEEF) are not read.
fn nordic(d: &[u8]) -> Ble<'_> {
    if d.get(1..3) == Some(&[0xbe, 0xef]) {
        return Ble::NotBle("nRF Sniffer 0.9.7 legacy record (0xBEEF): not read".into());
    }
    let Some(&hlen) = d.get(7) else {
        return short("nRF Sniffer header", d.len(), 8);
    };
    let start = 7 + usize::from(hlen);
    if hlen < 4 || d.len() < start {
        return short("nRF Sniffer packet header", d.len(), start.max(11));
    }
    let (flags, channel, rssi) = (d[8], d[9], d[10]);
    // Event packets of data PDUs: the flags' bit 1 says who sent; advertising PDUs are told by
    // their access address.
    let aa = d
        .get(start..start + 4)
        .map(|a| u32::from_le_bytes([a[0], a[1], a[2], a[3]]));
    let advertising = aa.map(|a| a == ADVERTISING_AA);
    let direction = (advertising == Some(false)).then_some(if flags & 0x02 != 0 {
        BleDirection::CentralToPeripheral
    } else {
        BleDirection::PeripheralToCentral
    });
    Ble::Ll {
        packet: &d[start..],
        offset: start,
        advertising,
        direction,
        meta: LlMeta {
            rf_channel: Some(channel),
            rssi_dbm: Some((rssi as i8).wrapping_neg()),
            crc_valid: Some(flags & 0x01 != 0),
        },
    }
}

/// LINKTYPE_BLUETOOTH_LINUX_MONITOR: adapter index and opcode, both big-endian (the pcap form of
/// the btsnoop monitor header), then the payload. Opcodes (Linux `include/net/bluetooth/hci_mon.h`):
/// 0 New Index, 2 command, 3 event, 4/5 ACL TX/RX, 6/7 SCO TX/RX, 18/19 ISO TX/RX.
fn monitor(d: &[u8]) -> Ble<'_> {
    let Some(h) = d.get(..4) else {
        return short("Linux monitor header", d.len(), 4);
    };
    let adapter = u16::from_be_bytes([h[0], h[1]]);
    let opcode = u16::from_be_bytes([h[2], h[3]]);
    let (kind, direction) = match opcode {
        2 => (HciType::Command, BleDirection::HostToController),
        3 => (HciType::Event, BleDirection::ControllerToHost),
        4 => (HciType::Acl, BleDirection::HostToController),
        5 => (HciType::Acl, BleDirection::ControllerToHost),
        6 => (HciType::Sco, BleDirection::HostToController),
        7 => (HciType::Sco, BleDirection::ControllerToHost),
        18 => (HciType::Iso, BleDirection::HostToController),
        19 => (HciType::Iso, BleDirection::ControllerToHost),
        _ => {
            // New Index: type (1), bus (1), address (6, least significant octet first), name.
            let new_index_address = (opcode == 0)
                .then(|| d.get(6..12))
                .flatten()
                .map(|a| [a[5], a[4], a[3], a[2], a[1], a[0]]);
            return Ble::MonitorOther {
                opcode,
                adapter,
                new_index_address,
            };
        }
    };
    Ble::Hci {
        kind,
        packet: &d[4..],
        offset: 4,
        direction: Some(direction),
        adapter: Some(adapter),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::testutil::pkt;

    #[test]
    fn pseudo_headers() {
        // PHDR: channel 5, flags 0x0100 | 0x0400 | 0x0800 = data central → peripheral, CRC ok.
        let mut d = vec![5, 0xc0, 0, 0, 0, 0, 0, 0, 0x00, 0x0d];
        d.extend([0x71, 0x4c, 0x65, 0x50, 0x01, 0x00, 1, 2, 3]);
        match ble_packet(&pkt(256, &d)).unwrap() {
            Ble::Ll {
                packet,
                offset,
                advertising,
                direction,
                meta,
            } => {
                assert_eq!((packet.len(), offset), (9, 10));
                assert_eq!(advertising, Some(false));
                assert_eq!(direction, Some(BleDirection::CentralToPeripheral));
                assert_eq!(meta.crc_valid, Some(true));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ble_packet(&pkt(256, &d[..9])).unwrap(),
            Ble::NotBle(_)
        ));
        // H4 with direction: received ACL.
        let h4 = [0, 0, 0, 1, 2, 0x40, 0x20, 0, 0];
        assert!(matches!(
            ble_packet(&pkt(201, &h4)).unwrap(),
            Ble::Hci {
                kind: HciType::Acl,
                direction: Some(BleDirection::ControllerToHost),
                offset: 5,
                ..
            }
        ));
        // Linux monitor: New Index of hci0 with its address.
        let ni = [
            0, 0, 0, 0, 0, 1, 6, 5, 4, 3, 2, 1, b'h', b'c', b'i', b'0', 0, 0, 0, 0,
        ];
        assert!(matches!(
            ble_packet(&pkt(254, &ni)).unwrap(),
            Ble::MonitorOther {
                opcode: 0,
                new_index_address: Some([1, 2, 3, 4, 5, 6]),
                ..
            }
        ));
        assert!(ble_packet(&pkt(195, &ni)).is_none());
    }
}
