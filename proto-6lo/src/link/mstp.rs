//! BACnet MS/TP frames carrying 6LoWPAN (RFC 8163; ANSI/ASHRAE 135 Clause 9).
//!
//! ```text
//! RFC 8163 §4 (ASHRAE 135 Clause 9.3), one frame as pcap link type 165 holds it:
//!
//!  +------+------+-------+------+------+--------+--------+--------------------+----------+
//!  | 0x55 | 0xFF | Frame | Dest | Src  | Length | Header | Data               | Data CRC |
//!  |      |      | Type  | Addr | Addr | (2, BE)| CRC-8  | (Length octets)    |          |
//!  +------+------+-------+------+------+--------+--------+--------------------+----------+
//!    preamble                                              present when Length > 0
//!
//!  Frame types 0-7: Token, Poll For Master, Reply to PFM, Test Request, Test Response,
//!    BACnet Data Expecting Reply, BACnet Data Not Expecting Reply, Reply Postponed: plain
//!    data, a 2-octet CRC-16 (least significant octet first).
//!  Frame types 32, 33 (BACnet Extended Data) and 34 (IPv6 over MS/TP (LoBAC)
//!    Encapsulation), the types RFC 8163 §4 uses: Data = COBS(data) XOR 0x55, then
//!    COBS(CRC-32K over the encoded data, 4 octets LSB first) XOR 0x55 (5 octets); Length
//!    counts both encoded fields less two (ASHRAE 135 Clause 9.10).
//!  Frame type 34's decoded data starts with a 6LoWPAN dispatch (RFC 8163 §4, §5).
//!
//! Addresses (RFC 8163 §6): the 8-bit MAC address stands for the 16-bit short address 0x00XX
//! of RFC 4944 §6, IID 0000:00ff:fe00:00XX; 255 is the broadcast address.
//! ```
//!
//! CRCs: the header CRC-8 (x^8 + x^7 + 1, reflected, initial 0xFF, complemented), the data
//! CRC-16 (CRC-16/X-25) and CRC-32K (Koopman's 0x741B8CD7, reflected, initial and final
//! 0xFFFFFFFF: the catalogue's CRC-32/MEF complemented, which a unit test checks) are the `crc`
//! crate's with these parameters. COBS decoding is written here: the
//! MS/TP variant XORs every octet with 0x55 and has the CRC field after it, which no COBS
//! crate does, and it is ten lines.

use crc::{Algorithm, Crc, CRC_16_IBM_SDLC};

use crate::error::{Error, Layer};
use crate::LinkAddr;

use super::{LinkFrame, LinkHeader};

/// The header CRC-8's value over "123456789" (tshark's MS/TP dissector agrees with the header
/// CRCs this gives on every frame of pcaps/6lo-links/mstp.pcap).
const CRC8_CHECK: u8 = 0x89;

/// The header CRC-8 of ASHRAE 135 Annex G.1.
const CRC_8_MSTP: Algorithm<u8> = Algorithm {
    width: 8,
    poly: 0x81,
    init: 0xff,
    refin: true,
    refout: true,
    xorout: 0xff,
    check: CRC8_CHECK,
    residue: 0x00,
};

/// CRC-32K (Koopman) of ASHRAE 135 Annex G.3.
const CRC_32K: Algorithm<u32> = Algorithm {
    width: 32,
    poly: 0x741b_8cd7,
    init: 0xffff_ffff,
    refin: true,
    refout: true,
    xorout: 0xffff_ffff,
    // CRC-32/MEF of the catalogue with the final complement: its check value, complemented.
    check: !crc::CRC_32_MEF.check,
    residue: 0x0000_0000,
};

/// Frame type 34: IPv6 over MS/TP (LoBAC) Encapsulation (RFC 8163 §4).
pub const FRAME_TYPE_IPV6: u8 = 34;

/// The MS/TP broadcast address.
pub const BROADCAST: u8 = 255;

/// The name of an MS/TP frame type (ASHRAE 135 Clause 9.3; 34 from RFC 8163).
pub fn frame_type_name(t: u8) -> &'static str {
    match t {
        0 => "Token",
        1 => "Poll For Master",
        2 => "Reply To Poll For Master",
        3 => "Test Request",
        4 => "Test Response",
        5 => "BACnet Data Expecting Reply",
        6 => "BACnet Data Not Expecting Reply",
        7 => "Reply Postponed",
        32 => "BACnet Extended Data Expecting Reply",
        33 => "BACnet Extended Data Not Expecting Reply",
        34 => "IPv6 over MS/TP (LoBAC) Encapsulation",
        128..=255 => "proprietary",
        _ => "reserved",
    }
}

/// Whether a frame type's data is COBS-encoded with a CRC-32K (ASHRAE 135 Clause 9.10).
pub fn is_cobs(t: u8) -> bool {
    (32..=127).contains(&t)
}

/// An MS/TP header and its CRCs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    pub frame_type: u8,
    pub frame_type_name: &'static str,
    pub dst: u8,
    pub src: u8,
    /// The Length field as sent (for COBS frames: the encoded fields' length less two).
    pub length: u16,
    pub header_crc: u8,
    pub header_crc_ok: bool,
    /// True for frame types whose data is COBS-encoded (32-127).
    pub cobs: bool,
    /// The data CRC as received: CRC-16 or CRC-32K. Absent when there is no data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_crc: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_crc_ok: Option<bool>,
    /// Length of the data once decoded.
    pub data_length: usize,
}

fn truncated(field: &'static str, offset: usize, needed: usize, available: usize) -> Error {
    Error::truncated(Layer::Link, field, offset, needed, available)
}

/// Decodes one COBS field that was XORed with 0x55 (ASHRAE 135 Clause 9.10.1): `None` when a
/// code octet points past the end or the field holds an encoded zero.
pub fn cobs_decode(encoded: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        let code = encoded[i] ^ 0x55;
        if code == 0 {
            return None;
        }
        let run = encoded.get(i + 1..i + usize::from(code))?;
        if run.contains(&0x55) {
            return None;
        }
        out.extend(run.iter().map(|b| b ^ 0x55));
        i += usize::from(code);
        if code != 0xff && i < encoded.len() {
            out.push(0);
        }
    }
    Some(out)
}

/// COBS-encodes `data` and XORs every octet with 0x55 (ASHRAE 135 Clause 9.10.1): the inverse
/// of [`cobs_decode`].
pub fn cobs_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 254 + 2);
    let mut code_at = 0;
    out.push(0);
    let mut code: u8 = 1;
    for &b in data {
        if b != 0 {
            out.push(b ^ 0x55);
            code += 1;
            if code != 0xff {
                continue;
            }
        }
        if let Some(c) = out.get_mut(code_at) {
            *c = code ^ 0x55;
        }
        code_at = out.len();
        out.push(0);
        code = 1;
    }
    if let Some(c) = out.get_mut(code_at) {
        *c = code ^ 0x55;
    }
    out
}

/// One MS/TP frame of type 34 (IPv6 over MS/TP, RFC 8163 §4) from `src` to `dst` carrying the
/// 6LoWPAN `payload`: preamble, header and header CRC, COBS-encoded data and CRC-32K. `None`
/// when the encoded fields would not fit the 16-bit Length.
pub fn emit_ipv6(dst: u8, src: u8, payload: &[u8]) -> Option<Vec<u8>> {
    let mut body = cobs_encode(payload);
    let crc = Crc::<u32>::new(&CRC_32K).checksum(&body);
    body.extend(cobs_encode(&crc.to_le_bytes()));
    let length = u16::try_from(body.len().checked_sub(2)?).ok()?;
    let mut f = Vec::with_capacity(8 + body.len());
    f.extend([0x55, 0xff, FRAME_TYPE_IPV6, dst, src]);
    f.extend(length.to_be_bytes());
    let header_crc = Crc::<u8>::new(&CRC_8_MSTP).checksum(f.get(2..7).unwrap_or_default());
    f.push(header_crc);
    f.extend(body);
    Some(f)
}

/// Reads one MS/TP frame (preamble first, as link type 165 holds it).
pub fn parse(frame: &[u8]) -> Result<LinkFrame, Error> {
    let Some(head) = frame.get(..8) else {
        return Err(truncated("MS/TP header", 0, 8, frame.len()));
    };
    if head[..2] != [0x55, 0xff] {
        return Err(Error::invalid(
            Layer::Link,
            "Preamble",
            0,
            format!(
                "0x{:02x}{:02x}, not 0x55ff (ASHRAE 135 Clause 9.3, RFC 8163 §4)",
                head[0], head[1]
            ),
        ));
    }
    let (frame_type, dst, src) = (head[2], head[3], head[4]);
    let length = u16::from_be_bytes([head[5], head[6]]);
    let header_crc = head[7];
    let header_crc_ok = Crc::<u8>::new(&CRC_8_MSTP).checksum(&head[2..7]) == header_crc;
    let cobs = is_cobs(frame_type);
    let mut h = Header {
        frame_type,
        frame_type_name: frame_type_name(frame_type),
        dst,
        src,
        length,
        header_crc,
        header_crc_ok,
        cobs,
        data_crc: None,
        data_crc_ok: None,
        data_length: 0,
    };
    let addr = |a: u8| LinkAddr::Short(u16::from(a));
    let mut out = LinkFrame {
        header: LinkHeader::Mstp(h.clone()),
        payload: None,
        payload_offset: 8,
        src: addr(src),
        dst: addr(dst),
        note: None,
    };
    if length == 0 {
        out.note = Some(format!("MS/TP {}: no data", frame_type_name(frame_type)));
        return Ok(out);
    }
    let wire = usize::from(length) + 2;
    let Some(body) = frame.get(8..8 + wire) else {
        return Err(truncated(
            if cobs {
                "Encoded Data and CRC-32K"
            } else {
                "Data and Data CRC"
            },
            8,
            wire,
            frame.len() - 8,
        ));
    };
    let data = if cobs {
        if wire < 5 + 2 {
            return Err(Error::invalid(
                Layer::Link,
                "Length",
                5,
                format!(
                    "{length}: a COBS-encoded frame holds at least the 5-octet encoded CRC-32K"
                ),
            ));
        }
        let (enc_data, enc_crc) = body.split_at(wire - 5);
        let crc = cobs_decode(enc_crc)
            .filter(|c| c.len() == 4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let Some(crc) = crc else {
            return Err(Error::invalid(
                Layer::Link,
                "Encoded CRC-32K",
                8 + wire - 5,
                "not a COBS-encoded 4-octet CRC (ASHRAE 135 Clause 9.10)",
            ));
        };
        h.data_crc = Some(crc);
        h.data_crc_ok = Some(Crc::<u32>::new(&CRC_32K).checksum(enc_data) == crc);
        let Some(d) = cobs_decode(enc_data) else {
            return Err(Error::invalid(
                Layer::Link,
                "Encoded Data",
                8,
                "malformed COBS encoding (a code octet past the end, or an encoded zero) \
                 (ASHRAE 135 Clause 9.10)",
            ));
        };
        d
    } else {
        let (d, crc) = body.split_at(usize::from(length));
        let crc = u16::from_le_bytes([crc[0], crc[1]]);
        h.data_crc = Some(u32::from(crc));
        h.data_crc_ok = Some(Crc::<u16>::new(&CRC_16_IBM_SDLC).checksum(d) == crc);
        d.to_vec()
    };
    h.data_length = data.len();
    if frame_type == FRAME_TYPE_IPV6 {
        out.payload = Some(data);
    } else {
        out.note = Some(format!(
            "MS/TP {}: not 6LoWPAN (RFC 8163 carries IPv6 in frame type 34)",
            frame_type_name(frame_type)
        ));
    }
    out.header = LinkHeader::Mstp(h);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn token_frame() {
        // A Token from 3 to 4 (tshark's MS/TP dissector also finds its header CRC correct).
        let f = [
            0x55, 0xff, // preamble
            0x00, // frame type: Token
            0x04, // destination
            0x03, // source
            0x00, 0x00, // length 0
            0x73, // header CRC
        ];
        let l = parse(&f).unwrap();
        let LinkHeader::Mstp(h) = &l.header else {
            panic!()
        };
        assert!(h.header_crc_ok, "{h:?}");
        assert!(l.payload.is_none());
        for n in 0..f.len() {
            let e = parse(&f[..n]).unwrap_err();
            assert_eq!(e.field(), "MS/TP header");
        }
    }

    #[test]
    fn crc_check_values() {
        assert_eq!(
            Crc::<u8>::new(&CRC_8_MSTP).checksum(b"123456789"),
            CRC8_CHECK
        );
        // CRC-32K is the catalogue's CRC-32/MEF (Koopman's polynomial) complemented.
        let mef = Crc::<u32>::new(&crc::CRC_32_MEF).checksum(b"123456789");
        assert_eq!(Crc::<u32>::new(&CRC_32K).checksum(b"123456789"), !mef);
        assert_eq!(CRC_32K.check, 0x2d3d_d0ae);
    }

    #[test]
    fn cobs_round_trip_of_a_long_run() {
        // 300 nonzero octets, a zero, 3 more: code blocks 0xff, then 47 octets, then 3.
        let mut data: Vec<u8> = (0..300).map(|i| (i % 255 + 1) as u8).collect();
        data.push(0);
        data.extend([1, 2, 3]);
        let mut enc = Vec::new();
        let mut block = Vec::new();
        for &b in &data {
            if b == 0 {
                enc.push(block.len() as u8 + 1);
                enc.append(&mut block);
                continue;
            }
            block.push(b);
            if block.len() == 254 {
                enc.push(0xff);
                enc.append(&mut block);
            }
        }
        enc.push(block.len() as u8 + 1);
        enc.append(&mut block);
        let enc: Vec<u8> = enc.iter().map(|b| b ^ 0x55).collect();
        assert_eq!(cobs_decode(&enc).unwrap(), data);
        assert_eq!(cobs_encode(&data), enc);
        // A whole frame, written and read back.
        let f = emit_ipv6(4, 3, &data).unwrap();
        let l = parse(&f).unwrap();
        assert_eq!(l.payload.as_deref(), Some(&data[..]));
        let LinkHeader::Mstp(h) = &l.header else {
            panic!()
        };
        assert!(h.header_crc_ok && h.data_crc_ok == Some(true));
        assert_eq!(cobs_decode(&[0x55]), None);
        assert_eq!(cobs_decode(&[0x05 ^ 0x55, 1]), None);
    }
}
