//! Information Elements, IEEE 802.15.4-2015 §7.4.
//!
//! ```text
//! Header IE descriptor (§7.4.2.1), little-endian:
//!   bits 0-6 Length | bits 7-14 Element ID | bit 15 Type = 0
//! Payload IE descriptor (§7.4.3.1):
//!   bits 0-10 Length | bits 11-14 Group ID | bit 15 Type = 1
//! Nested (MLME sub-) IE descriptor (§7.4.4.1):
//!   short: bits 0-7 Length  | bits 8-14 Sub-ID | bit 15 Type = 0
//!   long:  bits 0-10 Length | bits 11-14 Sub-ID | bit 15 Type = 1
//! ```
//!
//! Header IEs run until a Header Termination IE (HT1: payload IEs follow; HT2: the payload
//! follows) or the end of the frame; payload IEs run until a Payload Termination IE or the end
//! of the frame. Every length is checked against what is left of the frame (MIC excluded).

use std::fmt;

use ietfwg_report::hex::Hex;

use crate::error::Result;
use crate::reader::Reader;

/// Header IE Element ID (802.15.4-2015 Table 7-7 and later assignments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HeaderIeId(pub u8);

impl HeaderIeId {
    pub const VENDOR_SPECIFIC: Self = Self(0x00);
    pub const CSL: Self = Self(0x1a);
    pub const RIT: Self = Self(0x1b);
    pub const DSME_PAN_DESCRIPTOR: Self = Self(0x1c);
    pub const RENDEZVOUS_TIME: Self = Self(0x1d);
    pub const TIME_CORRECTION: Self = Self(0x1e);
    pub const HT1: Self = Self(0x7e);
    pub const HT2: Self = Self(0x7f);

    /// Name, when assigned.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "Vendor Specific",
            0x1a => "CSL",
            0x1b => "RIT",
            0x1c => "DSME PAN Descriptor",
            0x1d => "Rendezvous Time",
            0x1e => "Time Correction",
            0x21 => "Extended DSME PAN Descriptor",
            0x22 => "Fragment Sequence Context Description",
            0x23 => "Simplified Superframe Specification",
            0x24 => "Simplified GTS Specification",
            0x25 => "LECIM Capabilities",
            0x26 => "TRLE Descriptor",
            0x27 => "RCC Capabilities",
            0x28 => "RCCN Descriptor",
            0x29 => "Global Time",
            0x2a => "Wi-SUN",
            0x2b => "DA",
            0x7e => "HT1",
            0x7f => "HT2",
            _ => return None,
        })
    }
}

impl fmt::Display for HeaderIeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "0x{:02x}", self.0),
        }
    }
}

impl serde::Serialize for HeaderIeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.name() {
            Some(n) => s.serialize_str(n),
            None => s.serialize_u8(self.0),
        }
    }
}

/// ACK/NACK Time Correction IE content (802.15.4-2015 §7.4.2.7).
///
/// ```text
/// Time Sync Info (2 octets, little-endian):
///   bits 0-11 Time Synchronization (signed, microseconds) | 12-14 reserved | 15 ACK/NACK (1 = NACK)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TimeCorrection {
    /// Signed correction in microseconds (12-bit two's complement).
    pub time_correction_us: i16,
    /// True when the acknowledgment is a NACK.
    pub nack: bool,
}

/// CSL IE content (802.15.4-2015 §7.4.2.3): phase, period and optional rendezvous time, in
/// units of 10 symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Csl {
    pub phase: u16,
    pub period: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendezvous_time: Option<u16>,
}

/// One header IE.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeaderIe {
    pub element_id: HeaderIeId,
    /// Offset of the IE descriptor in the frame.
    pub offset: usize,
    /// Content length (the Length field).
    pub length: usize,
    #[serde_as(as = "Hex")]
    pub content: Vec<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_correction: Option<TimeCorrection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csl: Option<Csl>,
}

/// Payload IE Group ID (802.15.4-2015 Table 7-15; 3 = MPX (802.15.9), 4 = Wi-SUN, 5 = IETF
/// (RFC 8137)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PayloadIeGroup(pub u8);

impl PayloadIeGroup {
    pub const ESDU: Self = Self(0x0);
    pub const MLME: Self = Self(0x1);
    pub const VENDOR_SPECIFIC: Self = Self(0x2);
    pub const MPX: Self = Self(0x3);
    pub const WISUN: Self = Self(0x4);
    pub const IETF: Self = Self(0x5);
    pub const TERMINATION: Self = Self(0xf);

    /// Name, when assigned.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0 => "ESDU",
            0x1 => "MLME",
            0x2 => "Vendor Specific",
            0x3 => "MPX",
            0x4 => "Wi-SUN",
            0x5 => "IETF",
            0xf => "Payload Termination",
            _ => return None,
        })
    }
}

impl fmt::Display for PayloadIeGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "0x{:x}", self.0),
        }
    }
}

impl serde::Serialize for PayloadIeGroup {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.name() {
            Some(n) => s.serialize_str(n),
            None => s.serialize_u8(self.0),
        }
    }
}

/// MLME nested IE Sub-ID, with its format (short: 7-bit Sub-ID, long: 4-bit Sub-ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MlmeSubIeId {
    pub long: bool,
    pub id: u8,
}

impl MlmeSubIeId {
    pub const TSCH_SYNCHRONIZATION: Self = Self {
        long: false,
        id: 0x1a,
    };
    pub const TSCH_SLOTFRAME_AND_LINK: Self = Self {
        long: false,
        id: 0x1b,
    };
    pub const TSCH_TIMESLOT: Self = Self {
        long: false,
        id: 0x1c,
    };
    pub const CHANNEL_HOPPING: Self = Self {
        long: true,
        id: 0x9,
    };

    /// Name (802.15.4-2015 Tables 7-18 and 7-19), when assigned.
    pub fn name(self) -> Option<&'static str> {
        if self.long {
            return Some(match self.id {
                0x8 => "Vendor Specific Nested",
                0x9 => "Channel Hopping",
                _ => return None,
            });
        }
        Some(match self.id {
            0x1a => "TSCH Synchronization",
            0x1b => "TSCH Slotframe and Link",
            0x1c => "TSCH Timeslot",
            0x1d => "Hopping Timing",
            0x1e => "Enhanced Beacon Filter",
            0x1f => "MAC Metrics",
            0x20 => "All MAC Metrics",
            0x21 => "Coexistence Specification",
            0x22 => "SUN Device Capabilities",
            0x23 => "SUN FSK Generic PHY",
            0x24 => "Mode Switch Parameter",
            0x25 => "PHY Parameter Change",
            0x26 => "O-QPSK PHY Mode",
            0x27 => "PCA Allocation",
            0x28 => "LECIM DSSS Operating Mode",
            0x29 => "LECIM FSK Operating Mode",
            0x2b => "TVWS PHY Operating Mode Description",
            0x2c => "TVWS Device Capabilities",
            0x2d => "TVWS Device Category",
            0x2e => "TVWS Device Identification",
            0x2f => "TVWS Device Location",
            0x30 => "TVWS Channel Information Query",
            0x31 => "TVWS Channel Information Source",
            0x32 => "CTM",
            0x33 => "Timestamp",
            0x34 => "Timestamp Difference",
            0x35 => "TMCTP Specification",
            0x36 => "RCC PHY Operating Mode",
            _ => return None,
        })
    }
}

impl fmt::Display for MlmeSubIeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(
                f,
                "{} 0x{:02x}",
                if self.long { "long" } else { "short" },
                self.id
            ),
        }
    }
}

impl serde::Serialize for MlmeSubIeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One MLME nested IE.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MlmeSubIe {
    pub sub_id: MlmeSubIeId,
    /// "short" or "long" descriptor format.
    pub format: &'static str,
    /// Offset of the sub-IE descriptor in the frame.
    pub offset: usize,
    pub length: usize,
    #[serde_as(as = "Hex")]
    pub content: Vec<u8>,
}

/// One payload IE.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PayloadIe {
    pub group_id: PayloadIeGroup,
    /// Offset of the IE descriptor in the frame.
    pub offset: usize,
    pub length: usize,
    #[serde_as(as = "Hex")]
    pub content: Vec<u8>,
    /// Nested IEs, for the MLME group.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sub_ies: Vec<MlmeSubIe>,
}

fn time_correction(content: &[u8]) -> Option<TimeCorrection> {
    let &[lo, hi] = content else { return None };
    let v = u16::from_le_bytes([lo, hi]);
    // Sign-extend the 12-bit field.
    let raw = (v & 0x0fff) as i16;
    let time_correction_us = if raw & 0x0800 != 0 { raw - 0x1000 } else { raw };
    Some(TimeCorrection {
        time_correction_us,
        nack: v & 0x8000 != 0,
    })
}

fn csl(content: &[u8]) -> Option<Csl> {
    match *content {
        [a, b, c, d] => Some(Csl {
            phase: u16::from_le_bytes([a, b]),
            period: u16::from_le_bytes([c, d]),
            rendezvous_time: None,
        }),
        [a, b, c, d, e, f] => Some(Csl {
            phase: u16::from_le_bytes([a, b]),
            period: u16::from_le_bytes([c, d]),
            rendezvous_time: Some(u16::from_le_bytes([e, f])),
        }),
        _ => None,
    }
}

/// Reads header IEs into `out`. Returns true when the list ended with HT1 (payload IEs follow).
pub(super) fn parse_header_ies(r: &mut Reader<'_>, out: &mut Vec<HeaderIe>) -> Result<bool> {
    while r.remaining() > 0 {
        let offset = r.offset();
        let d = r.u16_le("header IE descriptor")?;
        if d & 0x8000 != 0 {
            return Err(r.invalid_at(
                "header IE type",
                offset,
                "payload IE descriptor (type 1) where a header IE was expected: \
                 a header termination IE (HT1) must precede payload IEs",
            ));
        }
        let length = usize::from(d & 0x7f);
        let element_id = HeaderIeId(((d >> 7) & 0xff) as u8);
        let content = r.take(length, "header IE content")?;
        let (time_correction, csl) = match element_id {
            HeaderIeId::TIME_CORRECTION => (time_correction(content), None),
            HeaderIeId::CSL => (None, csl(content)),
            _ => (None, None),
        };
        out.push(HeaderIe {
            element_id,
            offset,
            length,
            content: content.to_vec(),
            time_correction,
            csl,
        });
        match element_id {
            HeaderIeId::HT1 => return Ok(true),
            HeaderIeId::HT2 => return Ok(false),
            _ => {}
        }
    }
    Ok(false)
}

fn parse_mlme(r: &mut Reader<'_>, out: &mut Vec<MlmeSubIe>) -> Result<()> {
    while r.remaining() > 0 {
        let offset = r.offset();
        let d = r.u16_le("MLME sub-IE descriptor")?;
        let (sub_id, length) = if d & 0x8000 != 0 {
            (
                MlmeSubIeId {
                    long: true,
                    id: ((d >> 11) & 0x0f) as u8,
                },
                usize::from(d & 0x07ff),
            )
        } else {
            (
                MlmeSubIeId {
                    long: false,
                    id: ((d >> 8) & 0x7f) as u8,
                },
                usize::from(d & 0x00ff),
            )
        };
        let content = r.take(length, "MLME sub-IE content")?;
        out.push(MlmeSubIe {
            sub_id,
            format: if sub_id.long { "long" } else { "short" },
            offset,
            length,
            content: content.to_vec(),
        });
    }
    Ok(())
}

/// Reads payload IEs into `out`, up to and including a Payload Termination IE, or to the end.
pub(super) fn parse_payload_ies(r: &mut Reader<'_>, out: &mut Vec<PayloadIe>) -> Result<()> {
    while r.remaining() > 0 {
        let offset = r.offset();
        let d = r.u16_le("payload IE descriptor")?;
        if d & 0x8000 == 0 {
            return Err(r.invalid_at(
                "payload IE type",
                offset,
                "header IE descriptor (type 0) where a payload IE was expected",
            ));
        }
        let length = usize::from(d & 0x07ff);
        let group_id = PayloadIeGroup(((d >> 11) & 0x0f) as u8);
        let mut content = r.sub(length, "payload IE content")?;
        let bytes = content.rest().to_vec();
        let mut sub_ies = Vec::new();
        if group_id == PayloadIeGroup::MLME {
            parse_mlme(&mut content, &mut sub_ies)?;
        }
        out.push(PayloadIe {
            group_id,
            offset,
            length,
            content: bytes,
            sub_ies,
        });
        if group_id == PayloadIeGroup::TERMINATION {
            break;
        }
    }
    Ok(())
}
