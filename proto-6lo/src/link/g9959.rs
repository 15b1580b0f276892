//! ITU-T G.9959 (Z-Wave) frames carrying 6LoWPAN (RFC 7428), as pcap link type 261
//! (LINKTYPE_ZWAVE_R1_R2: R1/R2 frames, 9.6 and 40 kbit/s, with their 1-octet checksum).
//!
//! ```text
//! G.9959 R1/R2 singlecast MPDU (RFC 7428 §3, ITU-T G.9959 §8.1.3):
//!
//!  +--------+--------+---------------+--------+--------+----------------+----------+
//!  | HomeID | Source | Frame Control | Length | Dest.  | Payload        | Checksum |
//!  |  (4)   | NodeID |     (2)       |  (1)   | NodeID | (6LoWPAN)      |   (1)    |
//!  +--------+--------+---------------+--------+--------+----------------+----------+
//!  Frame Control, first octet: routed (bit 7), ack request (6), low power (5), speed
//!  modified (4), header type (3-0: 1 singlecast, 2 multicast, 3 acknowledgement, 8 routed);
//!  second octet: sequence number (3-0).  Length counts the whole MPDU, checksum included.
//!  Checksum: 0xFF XOR every preceding octet.
//! ```
//!
//! Addresses (RFC 7428 §3.2-§3.3): the HomeID names the network (the link); the 8-bit NodeID
//! stands for the short address 0x00XX, IID `0000:00ff:fe00:00XX`; NodeID 0xFF is broadcast.
//! Only singlecast frames (header type 1) carry 6LoWPAN here; acknowledgements carry nothing.

use crate::error::{Error, Layer};
use crate::LinkAddr;

use super::{LinkFrame, LinkHeader};

/// The name of a G.9959 header type.
pub fn header_type_name(t: u8) -> &'static str {
    match t {
        1 => "singlecast",
        2 => "multicast",
        3 => "acknowledgement",
        8 => "routed",
        _ => "reserved",
    }
}

/// The R1/R2 MAC header and checksum.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    /// The HomeID, as 8 hex digits.
    pub home_id: String,
    pub src_node: u8,
    pub dst_node: u8,
    pub routed: bool,
    pub ack_request: bool,
    pub low_power: bool,
    pub header_type: u8,
    pub header_type_name: &'static str,
    pub sequence: u8,
    pub length: u8,
    pub checksum: u8,
    pub checksum_ok: bool,
}

/// Reads one R1/R2 frame.
pub fn parse(frame: &[u8]) -> Result<LinkFrame, Error> {
    let Some(head) = frame.get(..9) else {
        return Err(Error::truncated(
            Layer::Link,
            "G.9959 MAC header",
            0,
            9,
            frame.len(),
        ));
    };
    let length = head[7];
    let len = usize::from(length);
    if len < 10 {
        return Err(Error::invalid(
            Layer::Link,
            "Length",
            7,
            format!(
                "{length}: shorter than the 9-octet header and the checksum (ITU-T G.9959 §8.1.3)"
            ),
        ));
    }
    let Some(mpdu) = frame.get(..len) else {
        return Err(Error::truncated(Layer::Link, "MPDU", 0, len, frame.len()));
    };
    let checksum = mpdu[len - 1];
    let computed = mpdu[..len - 1].iter().fold(0xffu8, |a, b| a ^ b);
    let header_type = head[5] & 0x0f;
    let h = Header {
        home_id: format!(
            "{:02x}{:02x}{:02x}{:02x}",
            head[0], head[1], head[2], head[3]
        ),
        src_node: head[4],
        dst_node: head[8],
        routed: head[5] & 0x80 != 0,
        ack_request: head[5] & 0x40 != 0,
        low_power: head[5] & 0x20 != 0,
        header_type,
        header_type_name: header_type_name(header_type),
        sequence: head[6] & 0x0f,
        length,
        checksum,
        checksum_ok: computed == checksum,
    };
    let payload = &mpdu[9..len - 1];
    let (payload, note) = if header_type == 1 && !payload.is_empty() {
        (Some(payload.to_vec()), None)
    } else {
        (
            None,
            Some(format!(
                "G.9959 {} frame: no 6LoWPAN payload",
                header_type_name(header_type)
            )),
        )
    };
    Ok(LinkFrame {
        src: LinkAddr::Short(u16::from(h.src_node)),
        dst: LinkAddr::Short(u16::from(h.dst_node)),
        header: LinkHeader::G9959(h),
        payload,
        payload_offset: 9,
        note,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn singlecast_frame() {
        let mut f = vec![
            0xc0, 0xff, 0xee, 0x01, // HomeID
            0x01, // source NodeID
            0x41, 0x03, // singlecast, ack request; sequence 3
            0x0c, // length 12
            0x02, // destination NodeID
            0x7a, 0x33, // IPHC
        ];
        f.push(f.iter().fold(0xff, |a, b| a ^ b));
        let l = parse(&f).unwrap();
        let LinkHeader::G9959(h) = &l.header else {
            panic!()
        };
        assert!(h.checksum_ok);
        assert_eq!((h.home_id.as_str(), h.sequence), ("c0ffee01", 3));
        assert_eq!((l.src, l.dst), (LinkAddr::Short(1), LinkAddr::Short(2)));
        assert_eq!(l.payload.as_deref(), Some(&[0x7a, 0x33][..]));
        for n in 0..f.len() {
            assert!(parse(&f[..n]).is_err());
        }
        f[9] ^= 1;
        let LinkHeader::G9959(h) = parse(&f).unwrap().header else {
            panic!()
        };
        assert!(!h.checksum_ok);
    }
}
