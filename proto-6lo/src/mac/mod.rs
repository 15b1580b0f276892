//! IEEE 802.15.4 MAC frames (IEEE Std 802.15.4-2003, -2006 and -2015): frame control, sequence
//! number, addressing fields with PAN ID compression, auxiliary security header, header and
//! payload Information Elements, beacon and MAC command contents, and the FCS.
//!
//! ```text
//! IEEE 802.15.4-2015 §7.2, general MAC frame format
//!
//! octets:  2        0/1      0/2       0/2/8     0/2     0/2/8    0/5/6/10/14  variable   variable   variable  0/4/8/16  2/4
//!        +--------+--------+---------+---------+-------+--------+------------+----------+----------+---------+---------+-----+
//!        | Frame  | Seq    | Dest    | Dest    | Src   | Src    | Auxiliary  | Header   | Payload  | MAC     |   MIC   | FCS |
//!        | Control| Number | PAN ID  | Address | PAN ID| Address| Security   | IEs      | IEs      | Payload |         |     |
//!        +--------+--------+---------+---------+-------+--------+------------+----------+----------+---------+---------+-----+
//!        |<------------------------------- MHR ------------------------------------------>|<---- MAC payload --->|<-- MFR -->|
//!
//! Frame Control (little-endian, bit 0 first):
//!   0-2 Frame Type   3 Security Enabled   4 Frame Pending   5 AR   6 PAN ID Compression
//!   7 reserved   8 Sequence Number Suppression (2015)   9 IE Present (2015)
//!   10-11 Destination Addressing Mode   12-13 Frame Version   14-15 Source Addressing Mode
//! ```
//!
//! All multi-octet fields are little-endian; extended addresses are reversed into the usual
//! most-significant-octet-first order (see [`crate::LinkAddr`]).
//!
//! What is decoded, and where this decoder draws its lines:
//! - Frame types 0–3 (beacon, data, acknowledgment, MAC command) in all three frame versions.
//!   Type 4 is reserved; types 5 (multipurpose), 6 (fragment / FRAK) and 7 (extended) have a
//!   different frame control layout (802.15.4-2015 §7.3.5–7.3.7). They are recognised and
//!   rejected with an [`crate::ErrorKind::Invalid`] error on the field `frame type` saying
//!   "not decoded".
//! - Addressing mode 1 is reserved (2003/2006) and has no meaning for frame types 0–3 in 2015
//!   either: it is an error naming the addressing-mode field.
//! - 2003/2006 frames: bits 7–9 of the frame control are reserved; they are kept in
//!   [`Frame::fcf`] but ignored (the sequence number is always present, there are no IEs).
//! - Security: 2006/2015 frames carry an auxiliary security header ([`AuxSecurity`]). Only
//!   security levels with confidentiality (4–7) make the payload ciphertext
//!   ([`Frame::payload_encrypted`]); MIC-only levels (1–3) leave it readable and it is decoded.
//!   In 2015 frames the payload IEs and the command identifier are part of the private payload;
//!   in 2006 frames the command identifier and the beacon superframe/GTS/pending fields are
//!   not encrypted and are decoded. 2003 frames have no auxiliary header (the security suite
//!   comes from the ACL, not the frame): the whole payload is reported as encrypted, with no
//!   MIC split off.
//! - A bad FCS is not an error: [`Fcs::ok`] says so and callers decide.

use std::fmt;

use ietfwg_report::hex::Hex;

use crate::addr::LinkAddr;
use crate::error::{Error, Layer, Result};
use crate::reader::Reader;

mod command;
mod emit;
mod ie;
mod security;
#[cfg(test)]
mod tests;

pub use command::{Beacon, CommandId, GtsDescriptor, MacCommand};
pub use emit::{append_fcs, emit, MacHeader, BROADCAST_PAN};
pub use ie::{
    Csl, HeaderIe, HeaderIeId, MlmeSubIe, MlmeSubIeId, PayloadIe, PayloadIeGroup, TimeCorrection,
};
pub use security::{AuxSecurity, KeyIdMode, SecurityLevel};

/// What the capture says about the trailing FCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FcsMode {
    /// No FCS (e.g. pcap link type 230, `IEEE802_15_4_NOFCS`).
    None,
    /// 16-bit ITU-T CRC (pcap link type 195, `IEEE802_15_4_WITHFCS`).
    Crc16,
    /// 32-bit CRC (802.15.4-2015 §7.2.10, SUN/LECIM/TVWS PHYs).
    Crc32,
}

impl FcsMode {
    /// The FCS length in octets.
    pub fn len(self) -> usize {
        match self {
            FcsMode::None => 0,
            FcsMode::Crc16 => 2,
            FcsMode::Crc32 => 4,
        }
    }

    /// True for [`FcsMode::None`].
    pub fn is_empty(self) -> bool {
        self == FcsMode::None
    }
}

/// Frame Type subfield (frame control bits 0–2), 802.15.4-2015 Table 7-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameType(pub u8);

impl FrameType {
    pub const BEACON: Self = Self(0);
    pub const DATA: Self = Self(1);
    pub const ACK: Self = Self(2);
    pub const MAC_COMMAND: Self = Self(3);
    pub const RESERVED: Self = Self(4);
    pub const MULTIPURPOSE: Self = Self(5);
    pub const FRAGMENT: Self = Self(6);
    pub const EXTENDED: Self = Self(7);

    /// Human-readable name.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "Beacon",
            1 => "Data",
            2 => "Ack",
            3 => "MAC Command",
            4 => "Reserved",
            5 => "Multipurpose",
            6 => "Fragment",
            7 => "Extended",
            _ => return None,
        })
    }

    /// snake_case name used in JSON.
    pub fn key(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "beacon",
            1 => "data",
            2 => "ack",
            3 => "mac_command",
            4 => "reserved",
            5 => "multipurpose",
            6 => "fragment",
            7 => "extended",
            _ => return None,
        })
    }
}

impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

impl serde::Serialize for FrameType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.key() {
            Some(k) => s.serialize_str(k),
            None => s.serialize_u8(self.0),
        }
    }
}

/// Frame Version subfield (frame control bits 12–13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameVersion(pub u8);

impl FrameVersion {
    /// IEEE Std 802.15.4-2003.
    pub const V2003: Self = Self(0);
    /// IEEE Std 802.15.4-2006.
    pub const V2006: Self = Self(1);
    /// IEEE Std 802.15.4-2015 (and 802.15.4e-2012).
    pub const V2015: Self = Self(2);
    /// Reserved.
    pub const RESERVED: Self = Self(3);

    /// `802.15.4-2006` etc.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "802.15.4-2003",
            1 => "802.15.4-2006",
            2 => "802.15.4-2015",
            _ => return None,
        })
    }
}

impl fmt::Display for FrameVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "reserved ({})", self.0),
        }
    }
}

impl serde::Serialize for FrameVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The frame check sequence as received and as computed over the rest of the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Fcs {
    /// 16 or 32.
    pub bits: u8,
    /// The FCS carried by the frame (read little-endian).
    pub received: u32,
    /// The CRC computed over every octet before the FCS.
    pub computed: u32,
    /// `received == computed`.
    pub ok: bool,
}

/// One decoded IEEE 802.15.4 MAC frame.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Frame<'a> {
    pub frame_type: FrameType,
    pub version: FrameVersion,
    pub security_enabled: bool,
    pub frame_pending: bool,
    pub ack_request: bool,
    pub pan_id_compression: bool,
    /// Sequence Number Suppression (2015 frames only; always false for 2003/2006).
    pub seq_suppressed: bool,
    /// IE Present (2015 frames only; always false for 2003/2006).
    pub ie_present: bool,
    pub dst_addr_mode: u8,
    pub src_addr_mode: u8,
    /// The raw frame control field, reserved bits included.
    pub fcf: u16,
    pub seq: Option<u8>,
    pub dst_pan: Option<u16>,
    pub dst: LinkAddr,
    /// The PAN the source belongs to, after PAN ID compression: the Source PAN ID field when it
    /// is on the wire, else the Destination PAN ID when a source address is present and the
    /// compression rules elide its PAN ([`Frame::src_pan_on_wire`] tells which).
    pub src_pan: Option<u16>,
    /// True when the Source PAN ID field itself was in the frame.
    pub src_pan_on_wire: bool,
    pub src: LinkAddr,
    /// Boxed, like `command` and `beacon`: rarely present, and a data frame's `Frame` stays
    /// small to move.
    pub security: Option<Box<AuxSecurity>>,
    pub header_ies: Vec<HeaderIe>,
    pub payload_ies: Vec<PayloadIe>,
    /// The payload (and, in 2015 frames, the payload IEs and command identifier) is ciphertext.
    pub payload_encrypted: bool,
    #[serde_as(as = "Option<Hex>")]
    pub mic: Option<Vec<u8>>,
    /// MAC payload proper: the data frame payload (where 6LoWPAN starts), the beacon payload,
    /// or the command content after the command identifier. Excludes IEs, MIC and FCS.
    #[serde(skip)]
    pub payload: &'a [u8],
    /// Offset of `payload[0]` in the frame.
    pub payload_offset: usize,
    pub payload_len: usize,
    pub command: Option<Box<MacCommand>>,
    pub beacon: Option<Box<Beacon>>,
    pub fcs: Option<Fcs>,
}

impl Frame<'_> {
    /// True for a 2015 beacon (an Enhanced Beacon, which carries IEs instead of the superframe
    /// specification, GTS and pending address fields).
    pub fn is_enhanced_beacon(&self) -> bool {
        self.frame_type == FrameType::BEACON && self.version == FrameVersion::V2015
    }
}

const ADDR_NONE: u8 = 0;
const ADDR_RESERVED: u8 = 1;
const ADDR_SHORT: u8 = 2;
const ADDR_EXT: u8 = 3;

/// Which PAN ID fields are on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PanPresence {
    dst: bool,
    src: bool,
}

/// PAN ID field presence for frame versions 0b00/0b01 (802.15.4-2006 §7.2.1.1.5).
///
/// Both addresses present: the destination PAN ID is present, and the source PAN ID too unless
/// PAN ID Compression is set. Only one address present: its PAN ID is present and PAN ID
/// Compression shall be 0. No address: no PAN ID, compression 0.
fn pan_presence_2006(dst_mode: u8, src_mode: u8, compression: bool) -> Option<PanPresence> {
    let dst = dst_mode != ADDR_NONE;
    let src = src_mode != ADDR_NONE;
    match (dst, src, compression) {
        (true, true, c) => Some(PanPresence { dst: true, src: !c }),
        (_, _, true) => None,
        (d, s, false) => Some(PanPresence { dst: d, src: s }),
    }
}

/// PAN ID field presence for frame version 0b10, IEEE 802.15.4-2015 Table 7-2.
///
/// ```text
///      Dst address  Src address  Dst PAN ID   Src PAN ID   PAN ID Compression
///   1  absent       absent       absent       absent       0
///   2  absent       absent       present      absent       1
///   3  present      absent       present      absent       0
///   4  present      absent       absent       absent       1
///   5  absent       present      absent       present      0
///   6  absent       present      absent       absent       1
///   7  extended     extended     present      absent       0
///   8  extended     extended     absent       absent       1
///   9  short        short        present      present      0
///  10  short        extended     present      present      0
///  11  extended     short        present      present      0
///  12  short        extended     present      absent       1
///  13  extended     short        present      absent       1
///  14  short        short        present      absent       1
/// ```
///
/// With modes restricted to absent/short/extended the table covers all 18 combinations.
fn pan_presence_2015(dst_mode: u8, src_mode: u8, compression: bool) -> PanPresence {
    let p = |dst, src| PanPresence { dst, src };
    match (dst_mode, src_mode, compression) {
        (ADDR_NONE, ADDR_NONE, false) => p(false, false), // row 1
        (ADDR_NONE, ADDR_NONE, true) => p(true, false),   // row 2
        (_, ADDR_NONE, false) => p(true, false),          // row 3
        (_, ADDR_NONE, true) => p(false, false),          // row 4
        (ADDR_NONE, _, false) => p(false, true),          // row 5
        (ADDR_NONE, _, true) => p(false, false),          // row 6
        (ADDR_EXT, ADDR_EXT, false) => p(true, false),    // row 7
        (ADDR_EXT, ADDR_EXT, true) => p(false, false),    // row 8
        (_, _, false) => p(true, true),                   // rows 9, 10, 11
        (_, _, true) => p(true, false),                   // rows 12, 13, 14
    }
}

/// CRC-16 of the FCS (ITU-T, reflected: CRC-16/KERMIT), slice-by-16 table built at compile time.
static FCS16: crc::Crc<u16, crc::Table<16>> =
    crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_KERMIT);

/// CRC-32 of the 4-octet FCS (CRC-32/ISO-HDLC), slice-by-16 table built at compile time.
static FCS32: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISO_HDLC);

fn crc16(data: &[u8]) -> u16 {
    FCS16.checksum(data)
}

fn crc32(data: &[u8]) -> u32 {
    FCS32.checksum(data)
}

/// Whether `frame` ends in an FCS of kind `mode` that matches the octets before it
/// (IEEE 802.15.4-2020 §7.2.10); false for [`FcsMode::None`] and for frames shorter than the FCS.
pub fn fcs_matches(frame: &[u8], mode: FcsMode) -> bool {
    matches!(
        split_fcs(frame, mode, true),
        Ok((_, Some(Fcs { ok: true, .. })))
    )
}

/// Splits off and, with `check`, checks the FCS. Returns the frame without its FCS (and no
/// [`Fcs`] when `check` is off).
#[inline(always)]
fn split_fcs(frame: &[u8], mode: FcsMode, check: bool) -> Result<(&[u8], Option<Fcs>)> {
    let n = mode.len();
    if frame.len() < n {
        return Err(Error::truncated(Layer::Mac, "FCS", 0, n, frame.len()));
    }
    let (body, tail) = frame.split_at(frame.len() - n);
    let fcs = match mode {
        FcsMode::None => None,
        _ if !check => None,
        FcsMode::Crc16 => {
            let mut r = Reader::new(tail, body.len(), Layer::Mac);
            let received = u32::from(r.u16_le("FCS")?);
            let computed = u32::from(crc16(body));
            Some(Fcs {
                bits: 16,
                received,
                computed,
                ok: received == computed,
            })
        }
        FcsMode::Crc32 => {
            let mut r = Reader::new(tail, body.len(), Layer::Mac);
            let received = r.u32_le("FCS")?;
            let computed = crc32(body);
            Some(Fcs {
                bits: 32,
                received,
                computed,
                ok: received == computed,
            })
        }
    };
    Ok((body, fcs))
}

#[inline(always)]
fn read_addr(r: &mut Reader<'_>, mode: u8, field: &'static str) -> Result<LinkAddr> {
    Ok(match mode {
        ADDR_SHORT => LinkAddr::Short(r.u16_le(field)?),
        ADDR_EXT => {
            let mut a: [u8; 8] = r.array(field)?;
            a.reverse();
            LinkAddr::Extended(a)
        }
        _ => LinkAddr::Absent,
    })
}

/// Header IEs, then payload IEs when they follow and the payload is not encrypted.
#[inline(never)]
fn parse_ies(rest: &mut Reader<'_>, encrypted: bool) -> Result<(Vec<HeaderIe>, Vec<PayloadIe>)> {
    let mut header_ies = Vec::new();
    let mut payload_ies = Vec::new();
    let payload_ies_follow = ie::parse_header_ies(rest, &mut header_ies)?;
    if payload_ies_follow && !encrypted {
        ie::parse_payload_ies(rest, &mut payload_ies)?;
    }
    Ok((header_ies, payload_ies))
}

/// Decodes one IEEE 802.15.4 MAC frame. `fcs` says whether the last 2 or 4 octets are an FCS.
///
/// Errors name the field and its absolute offset in `frame`. A bad FCS is not an error (see
/// [`Fcs::ok`]).
pub fn parse(frame: &[u8], fcs: FcsMode) -> Result<Frame<'_>> {
    parse_with(frame, fcs, true)
}

/// [`parse`] without computing the CRC: the FCS octets are split off as `fcs` says, but
/// [`Frame::fcs`] is None whatever they hold. Everything else (the errors included: a frame
/// shorter than its FCS still fails) is as [`parse`] gives it. For a caller that does not
/// read the verdict (`6lo compress`): the CRC is most of the cost of a short frame's header.
pub fn parse_fcs_unchecked(frame: &[u8], fcs: FcsMode) -> Result<Frame<'_>> {
    parse_with(frame, fcs, false)
}

#[inline(always)]
fn parse_with(frame: &[u8], fcs: FcsMode, check: bool) -> Result<Frame<'_>> {
    let (body, fcs) = split_fcs(frame, fcs, check)?;
    let mut r = Reader::new(body, 0, Layer::Mac);

    // Frame control.
    let fcf = r.u16_le("frame control")?;
    let frame_type = FrameType((fcf & 0x0007) as u8);
    let security_enabled = fcf & 0x0008 != 0;
    let frame_pending = fcf & 0x0010 != 0;
    let ack_request = fcf & 0x0020 != 0;
    let pan_id_compression = fcf & 0x0040 != 0;
    let dst_addr_mode = ((fcf >> 10) & 0x3) as u8;
    let version = FrameVersion(((fcf >> 12) & 0x3) as u8);
    let src_addr_mode = ((fcf >> 14) & 0x3) as u8;
    let is_2015 = version == FrameVersion::V2015;
    let seq_suppressed = is_2015 && fcf & 0x0100 != 0;
    let ie_present = is_2015 && fcf & 0x0200 != 0;

    match frame_type.0 {
        0..=3 => {}
        4 => {
            return Err(Error::invalid(
                Layer::Mac,
                "frame type",
                0,
                "reserved frame type 4",
            ))
        }
        t => {
            return Err(Error::invalid(
                Layer::Mac,
                "frame type",
                0,
                format!(
                    "{frame_type} frame (type {t}, 802.15.4-2015 §7.3) recognised but not decoded: \
                     its frame control layout differs from types 0-3"
                ),
            ));
        }
    }
    if version == FrameVersion::RESERVED {
        return Err(Error::invalid(
            Layer::Mac,
            "frame version",
            1,
            "reserved frame version 3",
        ));
    }
    if dst_addr_mode == ADDR_RESERVED {
        return Err(Error::invalid(
            Layer::Mac,
            "destination addressing mode",
            1,
            "reserved addressing mode 1",
        ));
    }
    if src_addr_mode == ADDR_RESERVED {
        return Err(Error::invalid(
            Layer::Mac,
            "source addressing mode",
            1,
            "reserved addressing mode 1",
        ));
    }

    let pans = if is_2015 {
        pan_presence_2015(dst_addr_mode, src_addr_mode, pan_id_compression)
    } else {
        match pan_presence_2006(dst_addr_mode, src_addr_mode, pan_id_compression) {
            Some(p) => p,
            None => {
                return Err(Error::invalid(
                    Layer::Mac,
                    "PAN ID compression",
                    0,
                    "set, but the frame does not carry both a destination and a source address",
                ))
            }
        }
    };

    let seq = if seq_suppressed {
        None
    } else {
        Some(r.u8("sequence number")?)
    };
    let dst_pan = if pans.dst {
        Some(r.u16_le("destination PAN ID")?)
    } else {
        None
    };
    let dst = read_addr(&mut r, dst_addr_mode, "destination address")?;
    let src_pan_wire = if pans.src {
        Some(r.u16_le("source PAN ID")?)
    } else {
        None
    };
    let src = read_addr(&mut r, src_addr_mode, "source address")?;
    let src_pan = match src_pan_wire {
        Some(p) => Some(p),
        None if src != LinkAddr::Absent => dst_pan,
        None => None,
    };

    // The common case — a data or acknowledgment frame without security or IEs — in one
    // piece: everything after the addresses is payload. Building the frame here from plain
    // values (rather than merging with the general path below) lets it be stored once, in
    // place, instead of being assembled on the stack and copied.
    if !security_enabled
        && !ie_present
        && (frame_type == FrameType::DATA || frame_type == FrameType::ACK)
    {
        let payload_offset = r.offset();
        let payload = r.take_rest();
        return Ok(Frame {
            frame_type,
            version,
            security_enabled,
            frame_pending,
            ack_request,
            pan_id_compression,
            seq_suppressed,
            ie_present,
            dst_addr_mode,
            src_addr_mode,
            fcf,
            seq,
            dst_pan,
            dst,
            src_pan,
            src_pan_on_wire: src_pan_wire.is_some(),
            src,
            security: None,
            header_ies: Vec::new(),
            payload_ies: Vec::new(),
            payload_encrypted: false,
            mic: None,
            payload,
            payload_offset,
            payload_len: payload.len(),
            command: None,
            beacon: None,
            fcs,
        });
    }

    // Auxiliary security header (2006 and 2015 only).
    // The rare parts (security, IEs, beacon, command) are read with copies of the readers, so
    // that `r` and `rest` never have their address taken and stay in registers.
    let security = if security_enabled && version != FrameVersion::V2003 {
        let mut t = r.clone();
        let s = security::parse_aux(&mut t, version);
        r = t;
        Some(Box::new(s?))
    } else {
        None
    };
    let mic_len = security.as_ref().map_or(0, |s| s.mic_len());
    // Ciphertext: confidentiality levels (2006/2015), or any 2003 secured frame.
    let encrypted = match &security {
        Some(s) => s.security_level.encrypts(),
        None => security_enabled,
    };

    // Everything after the MHR fields read so far, minus the MIC.
    if r.remaining() < mic_len {
        return Err(Error::truncated(
            Layer::Mac,
            "MIC",
            r.offset(),
            mic_len,
            r.remaining(),
        ));
    }
    let mut rest = r.sub(r.remaining() - mic_len, "MAC payload")?;
    let mic = if mic_len > 0 {
        Some(r.take(mic_len, "MIC")?.to_vec())
    } else {
        None
    };

    // Information elements (2015).
    let (header_ies, payload_ies) = if ie_present {
        let mut t = rest.clone();
        let res = parse_ies(&mut t, encrypted);
        rest = t;
        res?
    } else {
        (Vec::new(), Vec::new())
    };

    let mut beacon = None;
    let mut command = None;
    match frame_type {
        FrameType::BEACON if !is_2015 => {
            // Superframe specification, GTS and pending address fields are never encrypted.
            let mut t = rest.clone();
            let b = command::parse_beacon(&mut t);
            rest = t;
            beacon = Some(Box::new(b?));
        }
        FrameType::MAC_COMMAND if !(is_2015 && encrypted) => {
            let offset = rest.offset();
            let id = CommandId(rest.u8("command frame identifier")?);
            command = Some(Box::new(MacCommand {
                id,
                offset,
                content: rest.rest().to_vec(),
            }));
        }
        _ => {}
    }

    let payload_offset = rest.offset();
    let payload = rest.take_rest();
    if let Some(b) = beacon.as_mut() {
        b.payload_len = payload.len();
    }

    Ok(Frame {
        frame_type,
        version,
        security_enabled,
        frame_pending,
        ack_request,
        pan_id_compression,
        seq_suppressed,
        ie_present,
        dst_addr_mode,
        src_addr_mode,
        fcf,
        seq,
        dst_pan,
        dst,
        src_pan,
        src_pan_on_wire: src_pan_wire.is_some(),
        src,
        security,
        header_ies,
        payload_ies,
        payload_encrypted: encrypted,
        mic,
        payload,
        payload_offset,
        payload_len: payload.len(),
        command,
        beacon,
        fcs,
    })
}

/// The private fields of a secured frame, read from its plaintext (see
/// [`crate::security`]): what [`parse`] could not read because it was ciphertext.
pub(crate) fn parse_private(
    frame: &Frame<'_>,
    plaintext: &[u8],
) -> Result<crate::security::PrivatePayload> {
    let mut r = Reader::new(plaintext, frame.payload_offset, Layer::Mac);
    let mut payload_ies = Vec::new();
    let mut command = None;
    if frame.payload_encrypted {
        let payload_ies_follow = frame.ie_present
            && frame
                .header_ies
                .last()
                .is_some_and(|ie| ie.element_id == HeaderIeId::HT1);
        if payload_ies_follow {
            let mut t = r.clone();
            let res = ie::parse_payload_ies(&mut t, &mut payload_ies);
            r = t;
            res?;
        }
        if frame.frame_type == FrameType::MAC_COMMAND && frame.command.is_none() {
            let offset = r.offset();
            let id = CommandId(r.u8("command frame identifier")?);
            command = Some(Box::new(MacCommand {
                id,
                offset,
                content: r.rest().to_vec(),
            }));
        }
    }
    Ok(crate::security::PrivatePayload {
        payload_ies,
        command,
        payload_start: r.consumed(),
    })
}
