//! NFC Logical Link Control Protocol PDUs carrying 6LoWPAN (RFC 9428), as pcap link type 245
//! (LINKTYPE_NFC_LLCP) holds them.
//!
//! ```text
//! LINKTYPE_NFC_LLCP pseudo-header:  | Adapter (1) | Flags (1): bit 0 = received |
//!
//! LLCP PDU (RFC 9428 §3.4, NFC Forum LLCP 1.3 §4):
//!    0                   1                   2
//!    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
//!   +-----------+-------+-----------+---------------+---------------
//!   |   DSAP    | PTYPE |   SSAP    | N(S)  | N(R)  | Information ...
//!   +-----------+-------+-----------+---------------+---------------
//!                                    (I PDU only)
//!
//!   PTYPE 3 = UI (connectionless), 12 = I (connection-oriented): their information field
//!   carries the 6LoWPAN dispatch and payload (RFC 9428 §3.4, §4).
//! ```
//!
//! Addresses (RFC 9428 §3.3): the 6-bit SSAP of the sender and DSAP of the receiver; an IID
//! derived from one is that of the short address 0x00XX (`0000:00ff:fe00:00XX`).

use crate::error::{Error, Layer};
use crate::LinkAddr;

use super::{LinkFrame, LinkHeader};

/// PTYPE of an Unnumbered Information PDU.
pub const PTYPE_UI: u8 = 3;
/// PTYPE of an Information PDU.
pub const PTYPE_I: u8 = 12;

/// The name of an LLCP PDU type (NFC Forum LLCP §4.3).
pub fn ptype_name(p: u8) -> &'static str {
    match p {
        0 => "SYMM",
        1 => "PAX",
        2 => "AGF",
        3 => "UI",
        4 => "CONNECT",
        5 => "DISC",
        6 => "CC",
        7 => "DM",
        8 => "FRMR",
        9 => "SNL",
        10 => "DPS",
        12 => "I",
        13 => "RR",
        14 => "RNR",
        _ => "reserved",
    }
}

/// The pseudo-header and LLCP PDU header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Header {
    pub adapter: u8,
    pub received: bool,
    pub dsap: u8,
    pub ptype: u8,
    pub ptype_name: &'static str,
    pub ssap: u8,
    /// N(S) and N(R) of an I PDU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ns: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nr: Option<u8>,
}

/// Reads one LINKTYPE_NFC_LLCP record.
pub fn parse(frame: &[u8]) -> Result<LinkFrame, Error> {
    let Some(&[adapter, flags, h0, h1]) = frame.get(..4) else {
        return Err(Error::truncated(
            Layer::Link,
            "LLCP pseudo-header and PDU header",
            0,
            4,
            frame.len(),
        ));
    };
    let hdr = u16::from_be_bytes([h0, h1]);
    let ptype = ((hdr >> 6) & 0x0f) as u8;
    let mut h = Header {
        adapter,
        received: flags & 0x01 != 0,
        dsap: (hdr >> 10) as u8,
        ptype,
        ptype_name: ptype_name(ptype),
        ssap: (hdr & 0x3f) as u8,
        ns: None,
        nr: None,
    };
    let mut at = 4;
    if ptype == PTYPE_I {
        let Some(&seq) = frame.get(4) else {
            return Err(Error::truncated(Layer::Link, "Sequence", 4, 1, 0));
        };
        h.ns = Some(seq >> 4);
        h.nr = Some(seq & 0x0f);
        at = 5;
    }
    let carries = ptype == PTYPE_UI || ptype == PTYPE_I;
    let note = (!carries).then(|| format!("LLCP {} PDU: no 6LoWPAN payload", ptype_name(ptype)));
    let payload = carries.then(|| frame.get(at..).unwrap_or_default().to_vec());
    if payload.as_ref().is_some_and(Vec::is_empty) {
        return Err(Error::truncated(Layer::Link, "Information", at, 1, 0));
    }
    Ok(LinkFrame {
        src: LinkAddr::Short(u16::from(h.ssap)),
        dst: LinkAddr::Short(u16::from(h.dsap)),
        header: LinkHeader::NfcLlcp(h),
        payload,
        payload_offset: at,
        note,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn ui_and_i_pdus() {
        // Adapter 0, received; DSAP 0x21, PTYPE 3 (UI), SSAP 0x20; IPHC follows.
        let ui = [0x00, 0x01, 0x84, 0xe0, 0x7a, 0x33];
        let l = parse(&ui).unwrap();
        let LinkHeader::NfcLlcp(h) = &l.header else {
            panic!()
        };
        assert_eq!((h.dsap, h.ptype, h.ssap, h.received), (0x21, 3, 0x20, true));
        assert_eq!(l.src, LinkAddr::Short(0x20));
        assert_eq!(l.payload.as_deref(), Some(&[0x7a, 0x33][..]));
        // I PDU: PTYPE 12, N(S) 1, N(R) 2.
        let i = [0x00, 0x00, 0x87, 0x20, 0x12, 0x41];
        let l = parse(&i).unwrap();
        let LinkHeader::NfcLlcp(h) = &l.header else {
            panic!()
        };
        assert_eq!((h.ptype, h.ns, h.nr), (12, Some(1), Some(2)));
        assert_eq!(l.payload_offset, 5);
        // SYMM: no payload.
        let l = parse(&[0, 0, 0, 0]).unwrap();
        assert!(l.payload.is_none() && l.note.is_some());
        for n in 0..4 {
            assert!(parse(&ui[..n]).is_err());
        }
        assert_eq!(parse(&i[..5]).unwrap_err().field(), "Information");
    }
}
