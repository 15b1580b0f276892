//! Beacon frame fields (IEEE 802.15.4-2006 §7.2.2.1) and MAC command frames (802.15.4-2015
//! §7.5).

use std::fmt;

use ietfwg_report::hex::Hex;

use crate::addr::LinkAddr;
use crate::error::Result;
use crate::reader::Reader;

/// Command Frame Identifier (802.15.4-2015 Table 7-49).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(pub u8);

impl CommandId {
    pub const ASSOCIATION_REQUEST: Self = Self(0x01);
    pub const ASSOCIATION_RESPONSE: Self = Self(0x02);
    pub const DISASSOCIATION_NOTIFICATION: Self = Self(0x03);
    pub const DATA_REQUEST: Self = Self(0x04);
    pub const PAN_ID_CONFLICT_NOTIFICATION: Self = Self(0x05);
    pub const ORPHAN_NOTIFICATION: Self = Self(0x06);
    pub const BEACON_REQUEST: Self = Self(0x07);
    pub const COORDINATOR_REALIGNMENT: Self = Self(0x08);
    pub const GTS_REQUEST: Self = Self(0x09);

    /// Name, when assigned.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x01 => "Association Request",
            0x02 => "Association Response",
            0x03 => "Disassociation Notification",
            0x04 => "Data Request",
            0x05 => "PAN ID Conflict Notification",
            0x06 => "Orphan Notification",
            0x07 => "Beacon Request",
            0x08 => "Coordinator Realignment",
            0x09 => "GTS Request",
            0x0a => "TRLE Management Request",
            0x0b => "TRLE Management Response",
            0x13 => "DSME Association Request",
            0x14 => "DSME Association Response",
            0x15 => "DSME GTS Request",
            0x16 => "DSME GTS Reply",
            0x17 => "DSME GTS Notify",
            0x18 => "DSME Information Request",
            0x19 => "DSME Information Reply",
            0x1a => "DSME Beacon Allocation Notification",
            0x1b => "DSME Beacon Collision Notification",
            0x1c => "DSME Link Report",
            0x20 => "RIT Data Request",
            0x21 => "DBS Request",
            0x22 => "DBS Response",
            0x23 => "RIT Data Response",
            0x24 => "Vendor Specific",
            _ => return None,
        })
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "0x{:02x}", self.0),
        }
    }
}

impl serde::Serialize for CommandId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.name() {
            Some(n) => s.serialize_str(n),
            None => s.serialize_u8(self.0),
        }
    }
}

/// A MAC command: its identifier and the octets after it (ciphertext when
/// [`super::Frame::payload_encrypted`]).
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MacCommand {
    pub id: CommandId,
    /// Offset of the Command Frame Identifier in the frame.
    pub offset: usize,
    #[serde_as(as = "Hex")]
    pub content: Vec<u8>,
}

/// One GTS descriptor of a beacon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GtsDescriptor {
    pub short_addr: u16,
    pub starting_slot: u8,
    pub length: u8,
    /// From the GTS Directions Mask: true = receive-only, false = transmit-only.
    pub receive: bool,
}

/// The beacon fields of a 2003/2006 beacon frame.
///
/// ```text
/// octets: 2                        1          0/1             3 x n     1                 variable     variable
///       | Superframe Specification | GTS Spec | GTS Directions | GTS List | Pending Addr Spec | Addr List | Beacon Payload |
///
/// Superframe Specification: bits 0-3 Beacon Order, 4-7 Superframe Order, 8-11 Final CAP Slot,
///   12 Battery Life Extension, 13 reserved, 14 PAN Coordinator, 15 Association Permit
/// GTS Specification: bits 0-2 GTS Descriptor Count, 3-6 reserved, 7 GTS Permit
/// Pending Address Specification: bits 0-2 short count, 3 reserved, 4-6 extended count, 7 reserved
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Beacon {
    pub beacon_order: u8,
    pub superframe_order: u8,
    pub final_cap_slot: u8,
    pub battery_life_extension: bool,
    pub pan_coordinator: bool,
    pub association_permit: bool,
    pub gts_permit: bool,
    pub gts: Vec<GtsDescriptor>,
    pub pending_short_count: u8,
    pub pending_ext_count: u8,
    /// Short addresses first, then extended ones, as in the frame.
    pub pending_addresses: Vec<LinkAddr>,
    /// Length of the beacon payload (the frame's [`super::Frame::payload`]).
    pub payload_len: usize,
}

/// Reads the superframe specification, GTS and pending address fields.
pub(super) fn parse_beacon(r: &mut Reader<'_>) -> Result<Beacon> {
    let sf = r.u16_le("superframe specification")?;
    let gts_spec = r.u8("GTS specification")?;
    let gts_count = gts_spec & 0x07;
    let mut gts = Vec::new();
    if gts_count > 0 {
        let directions = r.u8("GTS directions")?;
        for i in 0..gts_count {
            let short_addr = r.u16_le("GTS descriptor")?;
            let slot = r.u8("GTS descriptor")?;
            gts.push(GtsDescriptor {
                short_addr,
                starting_slot: slot & 0x0f,
                length: slot >> 4,
                receive: directions & (1 << i) != 0,
            });
        }
    }
    let pend = r.u8("pending address specification")?;
    let pending_short_count = pend & 0x07;
    let pending_ext_count = (pend >> 4) & 0x07;
    let mut pending_addresses = Vec::new();
    for _ in 0..pending_short_count {
        pending_addresses.push(LinkAddr::Short(r.u16_le("pending short address")?));
    }
    for _ in 0..pending_ext_count {
        let mut a: [u8; 8] = r.array("pending extended address")?;
        a.reverse();
        pending_addresses.push(LinkAddr::Extended(a));
    }
    Ok(Beacon {
        beacon_order: (sf & 0x0f) as u8,
        superframe_order: ((sf >> 4) & 0x0f) as u8,
        final_cap_slot: ((sf >> 8) & 0x0f) as u8,
        battery_life_extension: sf & 0x1000 != 0,
        pan_coordinator: sf & 0x4000 != 0,
        association_permit: sf & 0x8000 != 0,
        gts_permit: gts_spec & 0x80 != 0,
        gts,
        pending_short_count,
        pending_ext_count,
        pending_addresses,
        payload_len: 0,
    })
}
