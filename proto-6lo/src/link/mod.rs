//! 6LoWPAN over links other than IEEE 802.15.4: the link frame each RFC specifies, and the
//! link addresses its interface identifiers derive from.
//!
//! | module | link | RFC | frame decoded | IID from |
//! |---|---|---|---|---|
//! | [`mstp`] | BACnet MS/TP (pcap link type 165) | RFC 8163 | preamble, header with its CRC-8, COBS-encoded data with its CRC-32K (frame types 32–34) or plain data with its CRC-16 | the 8-bit MAC address: `0000:00ff:fe00:00XX` (§6) |
//! | [`nfc`] | NFC LLCP (pcap link type 245) | RFC 9428 | the pseudo-header of link type 245, the LLCP PDU header (DSAP, PTYPE, SSAP), the sequence octet of an I PDU | the 6-bit SSAP/DSAP, as a 16-bit short address: `0000:00ff:fe00:00XX` |
//! | [`g9959`] | ITU-T G.9959 (Z-Wave; pcap link type 261) | RFC 7428 | the R1/R2 MAC header: HomeID, source and destination NodeID, frame control, length, checksum | the 8-bit NodeID: `0000:00ff:fe00:00XX` (the HomeID scopes the link) |
//! | — | DECT ULE | RFC 8105 | named only: RFC 8105 leaves the DECT frame to ETSI EN 300 175 and no pcap link type carries it | — |
//!
//! Every parser is sans-I/O and panic-free: bytes in, a header and the 6LoWPAN payload (or an
//! [`Error`] with layer, field and offset) out.

pub mod g9959;
pub mod mstp;
pub mod nfc;

use crate::error::Error;
use crate::LinkAddr;

/// The links this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// BACnet MS/TP, RFC 8163.
    Mstp,
    /// NFC Logical Link Control Protocol, RFC 9428.
    NfcLlcp,
    /// ITU-T G.9959 (Z-Wave), RFC 7428.
    G9959,
}

impl LinkKind {
    /// The link's name and the RFC that carries 6LoWPAN over it.
    pub fn name(self) -> &'static str {
        match self {
            LinkKind::Mstp => "BACnet MS/TP (RFC 8163)",
            LinkKind::NfcLlcp => "NFC LLCP (RFC 9428)",
            LinkKind::G9959 => "ITU-T G.9959 (RFC 7428)",
        }
    }
}

/// The link header of one frame.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkHeader {
    Mstp(mstp::Header),
    NfcLlcp(nfc::Header),
    G9959(g9959::Header),
}

/// A link frame, read: its header, the 6LoWPAN payload it carries (if any: a token, a BACnet
/// NPDU or an LLCP SYMM carries none, and `note` says what it is instead), and the link
/// addresses the payload's elided IPv6 addresses derive from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkFrame {
    pub header: LinkHeader,
    pub payload: Option<Vec<u8>>,
    /// Offset of the payload's first octet in the frame (for a COBS-encoded MS/TP frame, of
    /// the encoded data).
    pub payload_offset: usize,
    pub src: LinkAddr,
    pub dst: LinkAddr,
    pub note: Option<String>,
}

/// Reads one frame of `kind`.
pub fn parse(kind: LinkKind, frame: &[u8]) -> Result<LinkFrame, Error> {
    match kind {
        LinkKind::Mstp => mstp::parse(frame),
        LinkKind::NfcLlcp => nfc::parse(frame),
        LinkKind::G9959 => g9959::parse(frame),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any bytes, any link: an error or a frame, never a panic; a payload never reaches past
    /// the frame (COBS only shrinks).
    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut x: u32 = 0x1234_5678;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for kind in [LinkKind::Mstp, LinkKind::NfcLlcp, LinkKind::G9959] {
            for _ in 0..20_000 {
                let len = (next() % 64) as usize;
                let mut b: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                // Often a plausible start, so that the deeper paths run too.
                if kind == LinkKind::Mstp && len >= 2 && next() % 2 == 0 {
                    b[0] = 0x55;
                    b[1] = 0xff;
                    if len >= 7 {
                        b[5] = 0;
                        b[6] = (next() % 64) as u8;
                        b[2] = if next() % 2 == 0 { 34 } else { 6 };
                    }
                }
                if kind == LinkKind::G9959 && len >= 8 {
                    b[7] = len as u8;
                }
                if let Ok(f) = parse(kind, &b) {
                    assert!(f.payload.map_or(0, |p| p.len()) <= b.len());
                }
            }
        }
    }
}
