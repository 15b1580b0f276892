//! Building IEEE 802.15.4 MAC frames: the MAC header of a data (or beacon / command) frame
//! without security or IEs, the payload, and the FCS.
//!
//! ```text
//! octets:  2        0/1      0/2       0/2/8     0/2     0/2/8     variable   2 (or 4)
//!        +--------+--------+---------+---------+-------+--------+----------+-----+
//!        | Frame  | Seq    | Dest    | Dest    | Src   | Src    | MAC      | FCS |
//!        | Control| Number | PAN ID  | Address | PAN ID| Address| Payload  |     |
//!        +--------+--------+---------+---------+-------+--------+----------+-----+
//! ```
//!
//! [`MacHeader`] holds the same fields, with the same meaning, as the parsed [`super::Frame`]:
//! `src_pan` is the PAN the source belongs to, whether or not it ends up on the wire. The emitter
//! chooses the PAN ID Compression bit and which PAN ID fields to write:
//!
//! - 2003/2006 (802.15.4-2006 §7.2.1.1.5): both addresses present and the same PAN → PAN ID
//!   Compression set and only the destination PAN ID written; otherwise each present address is
//!   preceded by its PAN ID.
//! - 2015 (802.15.4-2015 Table 7-2, the table in `pan_presence_2015`): the row that carries the
//!   PAN IDs given with the fewest octets. Two extended addresses can only carry one PAN ID (rows
//!   7/8): the destination PAN ID.
//!
//! A PAN ID the format requires but the header lacks is written as the broadcast PAN 0xFFFF;
//! a 2003/2006 header without a sequence number is written with sequence number 0 (only 2015
//! frames can suppress it).

use super::{FcsMode, FrameType, FrameVersion, ADDR_EXT, ADDR_NONE, ADDR_SHORT};
use crate::addr::LinkAddr;

/// The broadcast PAN identifier.
pub const BROADCAST_PAN: u16 = 0xffff;

/// The MAC header fields of a frame to build (no auxiliary security header, no IEs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MacHeader {
    /// Frame type (normally [`FrameType::DATA`]); only the 3-bit value is written.
    pub frame_type: FrameType,
    /// 2003, 2006 or 2015.
    pub version: FrameVersion,
    pub frame_pending: bool,
    /// Acknowledgment request. Never set on the wire for a broadcast destination
    /// (802.15.4-2006 §7.5.6.4: broadcast frames are not acknowledged).
    pub ack_request: bool,
    /// Sequence number; None suppresses it (2015 only).
    pub seq: Option<u8>,
    /// Destination PAN ID.
    pub dst_pan: Option<u16>,
    pub dst: LinkAddr,
    /// The PAN the source belongs to (None: the same as the destination's).
    pub src_pan: Option<u16>,
    pub src: LinkAddr,
}

impl MacHeader {
    /// A 2006 data frame from `src` to `dst` within `pan`; ack request set for unicast.
    pub fn data(src: LinkAddr, dst: LinkAddr, pan: u16, seq: u8) -> Self {
        MacHeader {
            frame_type: FrameType::DATA,
            version: FrameVersion::V2006,
            frame_pending: false,
            ack_request: !dst.is_broadcast() && dst != LinkAddr::Absent,
            seq: Some(seq),
            dst_pan: Some(pan),
            dst,
            src_pan: Some(pan),
            src,
        }
    }

    /// The header of a parsed frame (its security header and IEs are dropped).
    pub fn from_frame(f: &super::Frame<'_>) -> Self {
        let version = if f.version == FrameVersion::RESERVED {
            FrameVersion::V2006
        } else {
            f.version
        };
        MacHeader {
            frame_type: f.frame_type,
            version,
            frame_pending: f.frame_pending,
            ack_request: f.ack_request,
            seq: f.seq,
            dst_pan: f.dst_pan,
            dst: f.dst,
            src_pan: f.src_pan,
            src: f.src,
        }
    }

    /// The field layout the emitter will use.
    fn layout(&self) -> Layout {
        let dst_mode = addr_mode(&self.dst);
        let src_mode = addr_mode(&self.src);
        let dst_pan = self.dst_pan;
        // The source's PAN, when it differs from the destination's.
        let src_pan_differs = match (self.src_pan, dst_pan) {
            (Some(s), Some(d)) => s != d,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let src_pan = self.src_pan.or(dst_pan);
        let is_2015 = self.version == FrameVersion::V2015;
        let (compression, dst_pan_w, src_pan_w) = if is_2015 {
            match (dst_mode, src_mode) {
                (ADDR_NONE, ADDR_NONE) => match dst_pan {
                    Some(p) => (true, Some(p), None), // row 2
                    None => (false, None, None),      // row 1
                },
                (_, ADDR_NONE) => match dst_pan {
                    Some(p) => (false, Some(p), None), // row 3
                    None => (true, None, None),        // row 4
                },
                (ADDR_NONE, _) => match src_pan {
                    Some(p) => (false, None, Some(p)), // row 5
                    None => (true, None, None),        // row 6
                },
                (ADDR_EXT, ADDR_EXT) => match dst_pan.or(src_pan) {
                    Some(p) => (false, Some(p), None), // row 7
                    None => (true, None, None),        // row 8
                },
                _ => {
                    let d = dst_pan.unwrap_or(BROADCAST_PAN);
                    if src_pan_differs {
                        (false, Some(d), Some(src_pan.unwrap_or(BROADCAST_PAN)))
                    // rows 9-11
                    } else {
                        (true, Some(d), None) // rows 12-14
                    }
                }
            }
        } else {
            let dst_present = dst_mode != ADDR_NONE;
            let src_present = src_mode != ADDR_NONE;
            let d = dst_present.then(|| dst_pan.unwrap_or(BROADCAST_PAN));
            match (dst_present, src_present) {
                (true, true) if !src_pan_differs => (true, d, None),
                (_, true) => (false, d, Some(src_pan.unwrap_or(BROADCAST_PAN))),
                _ => (false, d, None),
            }
        };
        Layout {
            dst_mode,
            src_mode,
            compression,
            dst_pan: dst_pan_w,
            src_pan: src_pan_w,
            seq: if is_2015 {
                self.seq
            } else {
                Some(self.seq.unwrap_or(0))
            },
        }
    }

    /// The frame control field this header is written with.
    pub fn frame_control(&self) -> u16 {
        self.layout().fcf(self)
    }

    /// Length of the MAC header (MHR) in octets.
    pub fn len(&self) -> usize {
        let l = self.layout();
        2 + usize::from(l.seq.is_some())
            + 2 * usize::from(l.dst_pan.is_some())
            + addr_len(&self.dst)
            + 2 * usize::from(l.src_pan.is_some())
            + addr_len(&self.src)
    }

    /// Never empty (a MAC header is at least the 2-octet frame control).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Appends the MAC header to `buf`.
    pub fn emit_into(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(self.mhr().bytes());
    }

    /// The MAC header assembled in an array of the largest header's size (to be appended at
    /// once: one capacity check for the header instead of one per field), its length known
    /// before it is written.
    pub(crate) fn mhr(&self) -> Mhr {
        let l = self.layout();
        let mut h = Mhr::default();
        h.put(&l.fcf(self).to_le_bytes());
        if let Some(s) = l.seq {
            h.put(&[s]);
        }
        if let Some(p) = l.dst_pan {
            h.put(&p.to_le_bytes());
        }
        h.put_addr(&self.dst);
        if let Some(p) = l.src_pan {
            h.put(&p.to_le_bytes());
        }
        h.put_addr(&self.src);
        h
    }
}

/// A MAC header being assembled: frame control, sequence number, two PAN IDs and two extended
/// addresses at most (23 octets).
#[derive(Default)]
pub(crate) struct Mhr {
    buf: [u8; 23],
    len: usize,
}

impl Mhr {
    /// Appends `b`; never more than the 23 octets of the largest header (anything beyond would
    /// be dropped, not written out of bounds).
    fn put(&mut self, b: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + b.len()) {
            dst.copy_from_slice(b);
            self.len += b.len();
        }
    }

    /// An address little-endian, as the MAC header carries it.
    fn put_addr(&mut self, a: &LinkAddr) {
        match a {
            LinkAddr::Absent => {}
            LinkAddr::Short(s) => self.put(&s.to_le_bytes()),
            LinkAddr::Extended(e) => {
                let mut r = *e;
                r.reverse();
                self.put(&r);
            }
        }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Which fields go on the wire.
#[derive(Debug, Clone, Copy)]
struct Layout {
    dst_mode: u8,
    src_mode: u8,
    compression: bool,
    dst_pan: Option<u16>,
    src_pan: Option<u16>,
    seq: Option<u8>,
}

impl Layout {
    fn fcf(&self, h: &MacHeader) -> u16 {
        let ack = h.ack_request && !h.dst.is_broadcast();
        let mut fcf = u16::from(h.frame_type.0 & 0x07);
        fcf |= u16::from(h.frame_pending) << 4;
        fcf |= u16::from(ack) << 5;
        fcf |= u16::from(self.compression) << 6;
        if h.version == FrameVersion::V2015 && self.seq.is_none() {
            fcf |= 1 << 8;
        }
        fcf |= u16::from(self.dst_mode) << 10;
        fcf |= u16::from(h.version.0 & 0x03) << 12;
        fcf |= u16::from(self.src_mode) << 14;
        fcf
    }
}

fn addr_mode(a: &LinkAddr) -> u8 {
    match a {
        LinkAddr::Absent => ADDR_NONE,
        LinkAddr::Short(_) => ADDR_SHORT,
        LinkAddr::Extended(_) => ADDR_EXT,
    }
}

fn addr_len(a: &LinkAddr) -> usize {
    match a {
        LinkAddr::Absent => 0,
        LinkAddr::Short(_) => 2,
        LinkAddr::Extended(_) => 8,
    }
}

/// Appends the FCS of `frame` (CRC-16/KERMIT or CRC-32, little-endian), as [`FcsMode`] says.
pub fn append_fcs(frame: &mut Vec<u8>, fcs: FcsMode) {
    match fcs {
        FcsMode::None => {}
        FcsMode::Crc16 => {
            let c = super::crc16(frame);
            frame.extend_from_slice(&c.to_le_bytes());
        }
        FcsMode::Crc32 => {
            let c = super::crc32(frame);
            frame.extend_from_slice(&c.to_le_bytes());
        }
    }
}

/// A whole frame: MAC header, `payload`, and the FCS when `fcs` asks for one.
pub fn emit(header: &MacHeader, payload: &[u8], fcs: FcsMode) -> Vec<u8> {
    let mut v = Vec::with_capacity(header.len() + payload.len() + fcs.len());
    header.emit_into(&mut v);
    v.extend_from_slice(payload);
    append_fcs(&mut v, fcs);
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::super::{parse, Frame};
    use super::*;

    const EXT_A: LinkAddr = LinkAddr::Extended([0x00, 0x12, 0x4b, 0x00, 0x01, 0x02, 0x03, 0x04]);
    const EXT_B: LinkAddr = LinkAddr::Extended([0x02, 0x12, 0x4b, 0x00, 0x05, 0x06, 0x07, 0x08]);

    fn round_trip(h: &MacHeader, fcs: FcsMode) -> Frame<'static> {
        let payload: &'static [u8] = &[0x7a, 0x33, 0x3a, 0x80];
        let bytes = emit(h, payload, fcs);
        assert_eq!(bytes.len(), h.len() + payload.len() + fcs.len());
        let leaked: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let f = parse(leaked, fcs).unwrap_or_else(|e| panic!("{h:?}: {e}"));
        assert_eq!(f.payload, payload, "{h:?}");
        assert_eq!(f.payload_offset, h.len());
        assert_eq!(f.fcf, h.frame_control());
        f
    }

    /// One frame byte for byte: 2006 data, PAN ID compression, both extended.
    #[test]
    fn known_bytes() {
        let h = MacHeader::data(EXT_A, EXT_B, 0xabcd, 0x42);
        let f = emit(&h, &[0x41], FcsMode::Crc16);
        let mut want = vec![
            0x61, 0xdc, // data, AR, PAN ID compression; dst ext, 2006, src ext
            0x42, // sequence number
            0xcd, 0xab, // destination PAN, little-endian
            0x08, 0x07, 0x06, 0x05, 0x00, 0x4b, 0x12, 0x02, // destination, little-endian
            0x04, 0x03, 0x02, 0x01, 0x00, 0x4b, 0x12, 0x00, // source, little-endian
            0x41, // payload
        ];
        let crc = crc::Crc::<u16>::new(&crc::CRC_16_KERMIT).checksum(&want);
        want.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(f, want);
        let p = parse(&f, FcsMode::Crc16).unwrap();
        assert!(p.fcs.unwrap().ok);
    }

    #[test]
    fn broadcast_never_requests_ack() {
        let mut h = MacHeader::data(LinkAddr::Short(1), LinkAddr::Short(0xffff), 0x1234, 9);
        assert!(!h.ack_request);
        h.ack_request = true;
        let f = round_trip(&h, FcsMode::None);
        assert!(!f.ack_request);
        assert!(f.pan_id_compression);
        assert_eq!(h.len(), 9);
    }

    /// Every addressing-mode pair, every version, same and different PANs: parse(emit(h)) gives
    /// back the header's fields.
    #[test]
    fn parse_of_emit_is_identity() {
        let addrs = [LinkAddr::Absent, LinkAddr::Short(0x0102), EXT_A];
        let dsts = [
            LinkAddr::Absent,
            LinkAddr::Short(0xffff),
            LinkAddr::Short(0xbeef),
            EXT_B,
        ];
        let mut n = 0;
        for version in [
            FrameVersion::V2003,
            FrameVersion::V2006,
            FrameVersion::V2015,
        ] {
            for src in addrs {
                for dst in dsts {
                    for (dpan, span) in [(0x1111u16, 0x1111u16), (0x1111, 0x2222)] {
                        for fcs in [FcsMode::None, FcsMode::Crc16, FcsMode::Crc32] {
                            let h = MacHeader {
                                frame_type: FrameType::DATA,
                                version,
                                frame_pending: n % 2 == 0,
                                ack_request: true,
                                seq: Some(n as u8),
                                dst_pan: (dst != LinkAddr::Absent).then_some(dpan),
                                dst,
                                src_pan: (src != LinkAddr::Absent).then_some(span),
                                src,
                            };
                            n += 1;
                            let f = round_trip(&h, fcs);
                            assert_eq!(f.frame_type, FrameType::DATA);
                            assert_eq!(f.version, version);
                            assert_eq!((f.src, f.dst, f.seq), (src, dst, h.seq), "{h:?}");
                            assert_eq!(f.frame_pending, h.frame_pending);
                            assert_eq!(f.ack_request, !dst.is_broadcast(), "{h:?}");
                            assert_eq!(f.fcs.map(|x| x.ok), (!fcs.is_empty()).then_some(true));
                            // Two extended addresses in a 2015 frame carry one PAN ID only.
                            let one_pan = version == FrameVersion::V2015
                                && matches!(
                                    (src, dst),
                                    (LinkAddr::Extended(_), LinkAddr::Extended(_))
                                );
                            assert_eq!(f.dst_pan, h.dst_pan, "{h:?}");
                            if !one_pan {
                                assert_eq!(f.src_pan, h.src_pan, "{h:?}");
                            }
                            let both = src != LinkAddr::Absent && dst != LinkAddr::Absent;
                            if both && dpan == span && version != FrameVersion::V2015 {
                                assert!(f.pan_id_compression && !f.src_pan_on_wire);
                            }
                            if both && dpan != span && !one_pan {
                                assert!(f.src_pan_on_wire, "{h:?}");
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(n, 3 * 3 * 4 * 2 * 3);
    }

    #[test]
    fn sequence_number_suppression_2015_only() {
        let mut h = MacHeader::data(EXT_A, EXT_B, 0xabcd, 0);
        h.seq = None;
        h.version = FrameVersion::V2015;
        let f = round_trip(&h, FcsMode::None);
        assert!(f.seq_suppressed);
        assert_eq!(f.seq, None);
        h.version = FrameVersion::V2006;
        let f = round_trip(&h, FcsMode::None);
        assert_eq!(f.seq, Some(0));
    }

    #[test]
    fn from_parsed_frame() {
        let h = MacHeader::data(LinkAddr::Short(7), EXT_B, 0x2222, 200);
        let bytes = emit(&h, &[0x41, 0x60], FcsMode::None);
        let f = parse(&bytes, FcsMode::None).unwrap();
        assert_eq!(MacHeader::from_frame(&f), h);
    }
}
