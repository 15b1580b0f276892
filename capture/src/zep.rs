//! ZigBee Encapsulation Protocol (ZEP), Exegin's framing for sniffed IEEE 802.15.4 frames sent
//! over UDP port 17754 (layouts as in Wireshark's `packet-zep.c`; all fields big-endian).
//!
//! ```text
//! ZEP v1 (16 bytes):
//! | "EX" | ver=1 | channel | device id | LQI/CRC mode | LQI | reserved | length |
//! |  2   |   1   |    1    |     2     |      1       |  1  |    7     |   1    |
//!
//! ZEP v2, type 1 = data (32 bytes):
//! | "EX" | ver | type | channel | device id | LQI/CRC mode | LQI | NTP time | seq | reserved | length |
//! |  2   |  1  |  1   |    1    |     2     |      1       |  1  |    8     |  4  |    10    |   1    |
//!
//! ZEP v2, type 2 = ack (8 bytes, no frame):
//! | "EX" | ver | type | seq |
//! |  2   |  1  |  1   |  4  |
//! ```
//!
//! The length is the low 7 bits of the last header byte; the 802.15.4 frame follows. Versions
//! above 2 (Sewio sniffers send 3) use the v2 layout, as Wireshark assumes.
//!
//! *LQI/CRC mode* says what the frame's last two bytes are: 0 = **LQI mode**, they are TI CC24xx
//! radio metadata (RSSI as a signed byte, then bit 7 = CRC OK and bits 0–6 = LQI/correlation)
//! in place of the FCS; non-zero = **CRC mode**, they are the 16-bit FCS. Wireshark hands the
//! former to its `wpan_cc24xx` dissector and the latter to `wpan`.

use super::wpan::Fcs;
use super::Timestamp;

/// The UDP port ZEP uses (either source or destination).
pub const ZEP_PORT: u16 = 17754;

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

const V1_HEADER: usize = 16;
const V2_HEADER: usize = 32;
const V2_ACK: usize = 8;
const TYPE_DATA: u8 = 1;
const TYPE_ACK: u8 = 2;

/// A malformed ZEP datagram. Byte offsets are relative to the start of the UDP payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZepError {
    /// "EX" and nothing more.
    #[error("ZEP header truncated: {got} bytes, the version is at byte 2")]
    NoVersion { got: usize },
    /// Version 0 is not defined.
    #[error("ZEP version 0 at byte 2 is not defined")]
    Version0,
    /// A v2 header without its type byte.
    #[error("ZEP v{version} header truncated: 3 bytes, the type is at byte 3")]
    NoType { version: u8 },
    /// A v2 type other than data and ack.
    #[error("ZEP v{version} type {ty} at byte 3 is neither 1 (data) nor 2 (ack)")]
    Type { version: u8, ty: u8 },
    /// The header is cut short (`what`: "" for v1, "data" or "ack" for v2).
    #[error("ZEP v{version} {what} header truncated: {got} of {need} bytes")]
    Truncated {
        version: u8,
        what: &'static str,
        got: usize,
        need: usize,
    },
    /// Fewer frame bytes than the length field (at byte `at`) says.
    #[error("ZEP frame truncated: the length field (byte {at}) says {len} bytes, {got} captured")]
    FrameTruncated { at: usize, len: usize, got: usize },
    /// More bytes after the header than the length field (at byte `at`) says.
    #[error("ZEP length field (byte {at}) says {len} bytes but {got} follow the header")]
    TrailingBytes { at: usize, len: usize, got: usize },
    /// An LQI-mode frame shorter than its two metadata bytes.
    #[error("ZEP frame of {len} bytes in LQI mode cannot hold the 2 metadata bytes")]
    NoMetadata { len: usize, at: usize },
    /// Encoding: the frame (with its FCS or metadata) does not fit the 7-bit length field.
    #[error("a {len}-byte frame does not fit ZEP's 7-bit length field (at most 127 bytes)")]
    FrameTooLong { len: usize },
}

impl ZepError {
    /// The header field that is wrong or missing (the layout's names).
    pub fn field(&self) -> &'static str {
        match self {
            ZepError::NoVersion { .. } | ZepError::Version0 => "version",
            ZepError::NoType { .. } | ZepError::Type { .. } => "type",
            ZepError::Truncated { .. } => "header",
            ZepError::FrameTruncated { .. }
            | ZepError::TrailingBytes { .. }
            | ZepError::NoMetadata { .. }
            | ZepError::FrameTooLong { .. } => "length",
        }
    }

    /// The byte of the ZEP datagram (from its "EX") where the problem is: the field's, or where
    /// a truncated header ends.
    pub fn offset(&self) -> usize {
        match self {
            ZepError::NoVersion { got } | ZepError::Truncated { got, .. } => *got,
            ZepError::Version0 => 2,
            ZepError::NoType { .. } | ZepError::Type { .. } => 3,
            ZepError::FrameTruncated { at, .. }
            | ZepError::TrailingBytes { at, .. }
            | ZepError::NoMetadata { at, .. } => *at,
            ZepError::FrameTooLong { .. } => V2_HEADER - 1,
        }
    }
}

/// The fields of a ZEP data header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ZepHeader {
    /// Protocol version (1, 2, or a later version using the v2 layout).
    pub version: u8,
    /// Channel the frame was received on.
    pub channel: u8,
    /// Sniffer device identifier.
    pub device_id: u16,
    /// `true` in LQI mode (mode byte 0): the frame ended in CC24xx metadata, now in `cc24xx`.
    pub lqi_mode: bool,
    /// Link quality indication (meaningful in LQI mode).
    pub lqi: u8,
    /// NTP timestamp (v2): seconds since 1900 in the high 32 bits, fraction in the low 32.
    pub ntp_time: Option<u64>,
    /// Sequence number (v2).
    pub seq: Option<u32>,
    /// The length field: bytes of 802.15.4 frame including the last two (FCS or metadata).
    pub length: u8,
    /// In LQI mode, the two CC24xx metadata bytes removed from the end of the frame.
    pub cc24xx: Option<[u8; 2]>,
}

/// A decoded ZEP datagram.
#[derive(Debug, Clone)]
pub enum Zep<'a> {
    /// A data packet: the header and the 802.15.4 frame. In CRC mode `frame` ends in its FCS
    /// (`fcs` = Crc16); in LQI mode the metadata bytes are cut off (`fcs` = Absent).
    Data {
        header: ZepHeader,
        frame: &'a [u8],
        fcs: Fcs,
    },
    /// A v2 acknowledgement (carries no frame).
    Ack { version: u8, seq: u32 },
    /// The payload does not start with the "EX" preamble.
    NoPreamble,
}

/// Decodes the payload of a UDP datagram to or from port 17754. Byte offsets in errors are
/// relative to the start of the UDP payload.
pub fn decode(p: &[u8]) -> Result<Zep<'_>, ZepError> {
    if p.get(..2) != Some(b"EX") {
        return Ok(Zep::NoPreamble);
    }
    let Some(&version) = p.get(2) else {
        return Err(ZepError::NoVersion { got: p.len() });
    };
    let need = |n: usize, what: &'static str| -> Result<(), ZepError> {
        if p.len() < n {
            return Err(ZepError::Truncated {
                version,
                what,
                got: p.len(),
                need: n,
            });
        }
        Ok(())
    };
    let be16 = |i: usize| u16::from_be_bytes([p[i], p[i + 1]]);
    let be32 = |i: usize| u32::from_be_bytes([p[i], p[i + 1], p[i + 2], p[i + 3]]);
    let (header_len, mut header) = match version {
        0 => return Err(ZepError::Version0),
        1 => {
            need(V1_HEADER, "")?;
            (
                V1_HEADER,
                ZepHeader {
                    version,
                    channel: p[3],
                    device_id: be16(4),
                    lqi_mode: p[6] == 0,
                    lqi: p[7],
                    ntp_time: None,
                    seq: None,
                    length: p[V1_HEADER - 1] & 0x7f,
                    cc24xx: None,
                },
            )
        }
        _ => {
            let Some(&ty) = p.get(3) else {
                return Err(ZepError::NoType { version });
            };
            match ty {
                TYPE_ACK => {
                    need(V2_ACK, "ack")?;
                    return Ok(Zep::Ack {
                        version,
                        seq: be32(4),
                    });
                }
                TYPE_DATA => {}
                ty => return Err(ZepError::Type { version, ty }),
            }
            need(V2_HEADER, "data")?;
            let ntp = (u64::from(be32(9)) << 32) | u64::from(be32(13));
            (
                V2_HEADER,
                ZepHeader {
                    version,
                    channel: p[4],
                    device_id: be16(5),
                    lqi_mode: p[7] == 0,
                    lqi: p[8],
                    ntp_time: Some(ntp),
                    seq: Some(be32(17)),
                    length: p[V2_HEADER - 1] & 0x7f,
                    cc24xx: None,
                },
            )
        }
    };
    let body = &p[header_len..];
    let len = usize::from(header.length);
    if body.len() < len {
        return Err(ZepError::FrameTruncated {
            at: header_len - 1,
            len,
            got: body.len(),
        });
    }
    if body.len() > len {
        return Err(ZepError::TrailingBytes {
            at: header_len - 1,
            len,
            got: body.len(),
        });
    }
    if header.lqi_mode {
        let Some(cut) = len.checked_sub(2) else {
            return Err(ZepError::NoMetadata {
                len,
                at: header_len - 1,
            });
        };
        header.cc24xx = Some([body[cut], body[cut + 1]]);
        return Ok(Zep::Data {
            header,
            frame: &body[..cut],
            fcs: Fcs::Absent,
        });
    }
    Ok(Zep::Data {
        header,
        frame: body,
        fcs: Fcs::Crc16,
    })
}

/// The ZEP v2 timestamp of a capture time: NTP seconds since 1900 in the high 32 bits, the
/// binary fraction of a second in the low 32 (truncated, so [`ntp_to_timestamp`] gives the same
/// nanoseconds back). Times past NTP era 0 (February 2036) wrap, as NTP's do.
pub fn timestamp_to_ntp(ts: Timestamp) -> u64 {
    let secs = ts.secs.wrapping_add(NTP_UNIX_OFFSET) & 0xffff_ffff;
    let frac = (u64::from(ts.nanos.min(999_999_999)) << 32) / 1_000_000_000;
    (secs << 32) | frac
}

/// The capture time a ZEP v2 timestamp stands for, `None` for 0 (no time: what senders without
/// a clock write) and for times before the Unix epoch. The fraction is rounded up, which undoes
/// [`timestamp_to_ntp`]'s truncation exactly (2^32 fractions per second are finer than 10^9).
pub fn ntp_to_timestamp(ntp: u64) -> Option<Timestamp> {
    let secs = (ntp >> 32).checked_sub(NTP_UNIX_OFFSET)?;
    if ntp == 0 {
        return None;
    }
    let frac = ntp & 0xffff_ffff;
    let nanos = (frac * 1_000_000_000).div_ceil(1 << 32);
    // A fraction that rounds up to a whole second stays within the second.
    let nanos = u32::try_from(nanos).unwrap_or(999_999_999).min(999_999_999);
    Some(Timestamp { secs, nanos })
}

/// A ZEP v2 data datagram (type 1) carrying `frame`, with `header`'s channel, device id, mode,
/// LQI, timestamp and sequence number (its `version` and `length` are not used: the version is
/// 2 and the length is computed). In CRC mode `frame` must end in its FCS; in LQI mode
/// `header.cc24xx` (or `[0, 0]`) is appended as the two CC24xx metadata bytes.
///
/// Written by hand: no crate encodes ZEP (the layout is Wireshark's `packet-zep.c`, as
/// [`decode`] reads it).
pub fn encode_v2(header: &ZepHeader, frame: &[u8]) -> Result<Vec<u8>, ZepError> {
    let trailer: &[u8] = match (header.lqi_mode, &header.cc24xx) {
        (false, _) => &[],
        (true, Some(m)) => m,
        (true, None) => &[0, 0],
    };
    let len = frame.len() + trailer.len();
    let length = u8::try_from(len)
        .ok()
        .filter(|l| *l <= 0x7f)
        .ok_or(ZepError::FrameTooLong { len })?;
    let mut v = Vec::with_capacity(V2_HEADER + len);
    v.extend_from_slice(b"EX"); // preamble
    v.push(2); // version
    v.push(TYPE_DATA); // type
    v.push(header.channel);
    v.extend(header.device_id.to_be_bytes());
    v.push(u8::from(!header.lqi_mode)); // 0 = LQI mode, 1 = CRC mode
    v.push(header.lqi);
    v.extend(header.ntp_time.unwrap_or(0).to_be_bytes());
    v.extend(header.seq.unwrap_or(0).to_be_bytes());
    v.extend([0u8; 10]); // reserved
    v.push(length);
    v.extend_from_slice(frame);
    v.extend_from_slice(trailer);
    Ok(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;

    /// A ZEP v2 data header for `frame` (CRC mode unless `lqi_mode`).
    pub(crate) fn zep_v2(frame: &[u8], lqi_mode: bool) -> Vec<u8> {
        let mut v = b"EX".to_vec(); // preamble
        v.push(2); // version
        v.push(1); // type: data
        v.push(11); // channel
        v.extend(0x1234u16.to_be_bytes()); // device id
        v.push(if lqi_mode { 0 } else { 1 }); // LQI/CRC mode
        v.push(200); // LQI
        v.extend(0x0102_0304_0506_0708u64.to_be_bytes()); // NTP timestamp
        v.extend(77u32.to_be_bytes()); // sequence number
        v.extend([0u8; 10]); // reserved
        v.push(frame.len() as u8); // length
        v.extend_from_slice(frame);
        v
    }

    /// A ZEP v1 header for `frame`.
    pub(crate) fn zep_v1(frame: &[u8]) -> Vec<u8> {
        let mut v = b"EX".to_vec(); // preamble
        v.push(1); // version
        v.push(15); // channel
        v.extend(7u16.to_be_bytes()); // device id
        v.push(1); // CRC mode
        v.push(0); // LQI (unused in CRC mode)
        v.extend([0u8; 7]); // reserved
        v.push(frame.len() as u8); // length
        v.extend_from_slice(frame);
        v
    }

    #[test]
    fn v2_data_crc_and_lqi_modes() {
        let frame = [0x41, 0xd8, 0x01, 0xcd, 0xab, 0xff, 0xff, 0xaa, 0xbb];
        match decode(&zep_v2(&frame, false)).unwrap() {
            Zep::Data {
                header,
                frame: f,
                fcs,
            } => {
                assert_eq!(f, &frame);
                assert_eq!(fcs, Fcs::Crc16);
                assert_eq!(
                    (header.version, header.channel, header.device_id),
                    (2, 11, 0x1234)
                );
                assert_eq!(
                    (header.lqi_mode, header.seq, header.length),
                    (false, Some(77), 9)
                );
                assert_eq!(header.ntp_time, Some(0x0102_0304_0506_0708));
            }
            other => panic!("{other:?}"),
        }
        match decode(&zep_v2(&frame, true)).unwrap() {
            Zep::Data {
                header,
                frame: f,
                fcs,
            } => {
                assert_eq!(f, &frame[..7], "metadata cut off");
                assert_eq!(fcs, Fcs::Absent);
                assert!(header.lqi_mode);
                assert_eq!(header.lqi, 200);
                assert_eq!(header.cc24xx, Some([0xaa, 0xbb]));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn v1_and_ack() {
        match decode(&zep_v1(&[1, 2, 3, 4, 5])).unwrap() {
            Zep::Data { header, frame, fcs } => {
                assert_eq!(frame, &[1, 2, 3, 4, 5]);
                assert_eq!(fcs, Fcs::Crc16);
                assert_eq!(
                    (header.version, header.channel, header.device_id),
                    (1, 15, 7)
                );
                assert_eq!((header.seq, header.ntp_time), (None, None));
            }
            other => panic!("{other:?}"),
        }
        let ack = [b'E', b'X', 2, 2, 0, 0, 0x01, 0x02];
        match decode(&ack).unwrap() {
            Zep::Ack { version, seq } => assert_eq!((version, seq), (2, 258)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_headers() {
        assert!(matches!(decode(b"HTTP/1.1").unwrap(), Zep::NoPreamble));
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"EX".to_vec(), "byte 2"),
            (zep_v2(&[1, 2, 3], false)[..20].to_vec(), "20 of 32"),
            (zep_v1(&[1, 2, 3])[..10].to_vec(), "10 of 16"),
            (vec![b'E', b'X', 2, 2, 0], "5 of 8"),
            (vec![b'E', b'X', 2, 9], "type 9"),
            (vec![b'E', b'X', 0], "version 0"),
            (zep_v2(&[1], true), "LQI mode"),
        ];
        for (input, want) in cases {
            let e = decode(&input).unwrap_err().to_string();
            assert!(e.contains(want), "{input:02x?}: {e}");
        }
        let mut long = zep_v2(&[1, 2, 3], false);
        long.push(9);
        let e = decode(&long).unwrap_err().to_string();
        assert!(e.contains("says 3 bytes but 4 follow"), "{e}");
        let mut short = zep_v2(&[1, 2, 3], false);
        short.pop();
        let err = decode(&short).unwrap_err();
        let e = err.to_string();
        assert!(e.contains("byte 31") && e.contains("2 captured"), "{e}");
        assert_eq!((err.field(), err.offset()), ("length", 31));
        let err = decode(&zep_v1(&[1, 2, 3])[..10]).unwrap_err();
        assert_eq!((err.field(), err.offset()), ("header", 10));
        let err = decode(&[b'E', b'X', 2, 9]).unwrap_err();
        assert_eq!((err.field(), err.offset()), ("type", 3));
    }

    #[test]
    fn encode_v2_round_trips() {
        let frame = [0x41, 0xd8, 0x01, 0xcd, 0xab, 0xff, 0xff, 0xaa, 0xbb];
        let ts = Timestamp {
            secs: 1_700_000_100,
            nanos: 5_000_001,
        };
        for lqi_mode in [false, true] {
            let header = ZepHeader {
                version: 2,
                channel: 26,
                device_id: 0xbeef,
                lqi_mode,
                lqi: 0xff,
                ntp_time: Some(timestamp_to_ntp(ts)),
                seq: Some(9),
                length: 0,
                cc24xx: Some([0xd6, 0x80]),
            };
            let bytes = encode_v2(&header, &frame).unwrap();
            match decode(&bytes).unwrap() {
                Zep::Data {
                    header: h,
                    frame: f,
                    ..
                } => {
                    assert_eq!(f, &frame);
                    assert_eq!((h.channel, h.device_id, h.seq), (26, 0xbeef, Some(9)));
                    assert_eq!(h.lqi_mode, lqi_mode);
                    assert_eq!(h.cc24xx, lqi_mode.then_some([0xd6, 0x80]));
                    assert_eq!(ntp_to_timestamp(h.ntp_time.unwrap()), Some(ts));
                }
                other => panic!("{other:?}"),
            }
        }
        let e = encode_v2(
            &ZepHeader {
                version: 2,
                channel: 11,
                device_id: 0,
                lqi_mode: true,
                lqi: 0,
                ntp_time: None,
                seq: None,
                length: 0,
                cc24xx: None,
            },
            &[0; 126],
        )
        .unwrap_err();
        assert_eq!(e, ZepError::FrameTooLong { len: 128 });
    }

    #[test]
    fn ntp_times_round_trip_to_the_nanosecond() {
        for nanos in [0, 1, 2, 999_999_999, 123_456_789, 500_000_000] {
            let ts = Timestamp {
                secs: 1_464_257_477,
                nanos,
            };
            assert_eq!(ntp_to_timestamp(timestamp_to_ntp(ts)), Some(ts), "{nanos}");
        }
        assert_eq!(ntp_to_timestamp(0), None);
        assert_eq!(ntp_to_timestamp(0x0102_0304_0506_0708), None, "before 1970");
        // 2016-05-26T10:11:17Z: NTP 3673246277.
        assert_eq!(
            ntp_to_timestamp(3_673_246_277u64 << 32),
            Some(Timestamp {
                secs: 1_464_257_477,
                nanos: 0
            })
        );
    }
}
