//! Auxiliary Security Header, IEEE 802.15.4-2006 §7.6.2 / 802.15.4-2015 §9.4.
//!
//! ```text
//! octets:      1                 0/4              0/1/5/9
//!        +------------------+---------------+--------------------------+
//!        | Security Control | Frame Counter | Key Identifier           |
//!        +------------------+---------------+--------------------------+
//!                                           | Key Source | Key Index   |
//!                                           |  0/4/8     |  1          |
//!
//! Security Control:  bits 0-2 Security Level, 3-4 Key Identifier Mode,
//!                    5 Frame Counter Suppression (2015), 6 ASN in Nonce (2015), 7 reserved
//! ```

use std::fmt;

use ietfwg_report::hex::Hex;

use crate::error::Result;
use crate::reader::Reader;

use super::FrameVersion;

/// Security Level (802.15.4-2015 Table 9-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecurityLevel(pub u8);

impl SecurityLevel {
    pub const NONE: Self = Self(0);
    pub const MIC_32: Self = Self(1);
    pub const MIC_64: Self = Self(2);
    pub const MIC_128: Self = Self(3);
    pub const ENC: Self = Self(4);
    pub const ENC_MIC_32: Self = Self(5);
    pub const ENC_MIC_64: Self = Self(6);
    pub const ENC_MIC_128: Self = Self(7);

    /// `ENC-MIC-64` etc.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "None",
            1 => "MIC-32",
            2 => "MIC-64",
            3 => "MIC-128",
            4 => "ENC",
            5 => "ENC-MIC-32",
            6 => "ENC-MIC-64",
            7 => "ENC-MIC-128",
            _ => return None,
        })
    }

    /// Length of the MIC this level appends: 0, 4, 8 or 16 octets.
    pub fn mic_len(self) -> usize {
        match self.0 & 0x3 {
            1 => 4,
            2 => 8,
            3 => 16,
            _ => 0,
        }
    }

    /// True when the level provides confidentiality (levels 4–7): the private payload is
    /// ciphertext.
    pub fn encrypts(self) -> bool {
        self.0 & 0x4 != 0
    }
}

impl fmt::Display for SecurityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

impl serde::Serialize for SecurityLevel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.name() {
            Some(n) => s.serialize_str(n),
            None => s.serialize_u8(self.0),
        }
    }
}

/// Key Identifier Mode (802.15.4-2015 Table 9-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyIdMode(pub u8);

impl KeyIdMode {
    /// Key determined implicitly from the originator and recipient; no Key Identifier field.
    pub const IMPLICIT: Self = Self(0);
    /// Key Index only (macDefaultKeySource).
    pub const INDEX: Self = Self(1);
    /// 4-octet Key Source + Key Index.
    pub const SOURCE4_INDEX: Self = Self(2);
    /// 8-octet Key Source + Key Index.
    pub const SOURCE8_INDEX: Self = Self(3);

    /// Length of the Key Source subfield.
    pub fn key_source_len(self) -> usize {
        match self.0 {
            2 => 4,
            3 => 8,
            _ => 0,
        }
    }

    /// Name.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "implicit",
            1 => "key index",
            2 => "4-octet key source + key index",
            3 => "8-octet key source + key index",
            _ => return None,
        })
    }
}

impl fmt::Display for KeyIdMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

impl serde::Serialize for KeyIdMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

/// The auxiliary security header.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuxSecurity {
    /// Offset of the Security Control field in the frame.
    pub offset: usize,
    /// Length of the whole auxiliary security header.
    pub length: usize,
    pub security_level: SecurityLevel,
    pub key_id_mode: KeyIdMode,
    /// Frame Counter Suppression (2015 only; false for 2006).
    pub frame_counter_suppressed: bool,
    /// ASN in Nonce (2015 only; false for 2006).
    pub asn_in_nonce: bool,
    /// Absent when suppressed.
    pub frame_counter: Option<u32>,
    /// Key Source, as on the wire (4 or 8 octets), for key identifier modes 2 and 3.
    #[serde_as(as = "Option<Hex>")]
    pub key_source: Option<Vec<u8>>,
    /// Key Index, for key identifier modes 1–3.
    pub key_index: Option<u8>,
}

impl AuxSecurity {
    /// Length of the MIC at the end of the frame.
    pub fn mic_len(&self) -> usize {
        self.security_level.mic_len()
    }
}

/// Reads the auxiliary security header at the reader's position.
pub(super) fn parse_aux(r: &mut Reader<'_>, version: FrameVersion) -> Result<AuxSecurity> {
    let offset = r.offset();
    let sc = r.u8("security control")?;
    let security_level = SecurityLevel(sc & 0x07);
    let key_id_mode = KeyIdMode((sc >> 3) & 0x03);
    let is_2015 = version == FrameVersion::V2015;
    let frame_counter_suppressed = is_2015 && sc & 0x20 != 0;
    let asn_in_nonce = is_2015 && sc & 0x40 != 0;
    let frame_counter = if frame_counter_suppressed {
        None
    } else {
        Some(r.u32_le("frame counter")?)
    };
    let ks_len = key_id_mode.key_source_len();
    let key_source = if ks_len > 0 {
        Some(r.take(ks_len, "key source")?.to_vec())
    } else {
        None
    };
    let key_index = if key_id_mode != KeyIdMode::IMPLICIT {
        Some(r.u8("key index")?)
    } else {
        None
    };
    Ok(AuxSecurity {
        offset,
        length: r.offset() - offset,
        security_level,
        key_id_mode,
        frame_counter_suppressed,
        asn_in_nonce,
        frame_counter,
        key_source,
        key_index,
    })
}
