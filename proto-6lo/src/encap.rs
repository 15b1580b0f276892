//! IEEE 802.15.4 frames as captures deliver them: the one question about a captured frame that
//! a capture reader cannot answer without knowing 802.15.4 — does it end in an FCS?
//!
//! A capture reader (in this workspace `ietfwg-capture`) finds the frame in a packet — link
//! types 195/230, the TAP header of link type 283, ZEP on UDP port 17754, Linux cooked wpan
//! devices — and says how many FCS octets its encapsulation declares. Some sniffers write raw
//! MAC frames under LINKTYPE_RAW (DLT 101) with or without the FCS, and nothing in the capture
//! says which: there the frame's own CRC decides ([`guess_fcs`]), with this crate's one FCS
//! implementation ([`mac::fcs_matches`], IEEE 802.15.4-2020 §7.2.10).

use crate::mac::{self, FcsMode};

/// The shortest frame taken to end in an FCS: an Imm-Ack (3 octets) plus a 2-octet FCS.
const MIN_FRAME_WITH_FCS: usize = 5;

/// The [`FcsMode`] to decode a captured frame with. `declared`: the FCS octets the capture's
/// encapsulation says end the frame — 2 (CRC-16), 4 (CRC-32), anything else none — or `None`
/// when it does not say, in which case [`guess_fcs`] decides.
pub fn capture_fcs(frame: &[u8], declared: Option<usize>) -> FcsMode {
    match declared {
        Some(2) => FcsMode::Crc16,
        Some(4) => FcsMode::Crc32,
        Some(_) => FcsMode::None,
        None => guess_fcs(frame),
    }
}

/// Whether a frame whose capture does not say (a raw frame under LINKTYPE_RAW) ends in an FCS:
/// it is taken to be present exactly when the last two octets are the CRC-16 of everything
/// before them. A frame captured without FCS has random last two octets, which match by chance
/// with probability 2^-16; a frame with an intact FCS always matches. (A frame whose FCS is
/// present but wrong is therefore reported as having none; that is the price of not knowing the
/// sniffer.) Frames shorter than 5 octets (the smallest frame, an Imm-Ack, is 3 octets + FCS)
/// are taken as FCS-less.
pub fn guess_fcs(frame: &[u8]) -> FcsMode {
    if frame.len() >= MIN_FRAME_WITH_FCS && mac::fcs_matches(frame, FcsMode::Crc16) {
        FcsMode::Crc16
    } else {
        FcsMode::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An 802.15.4 data frame (FCF 0x8841: data, PAN ID compression, short addresses: seq 0x2a,
    /// PAN 0xabcd, broadcast from 0x0001, IPHC payload) and its FCS.
    fn frame_with_fcs() -> Vec<u8> {
        let mut f = vec![
            0x41, 0x88, 0x2a, 0xcd, 0xab, 0xff, 0xff, 0x01, 0x00, 0x7a, 0x3b, 0x3a,
        ];
        mac::append_fcs(&mut f, FcsMode::Crc16);
        f
    }

    #[test]
    fn fcs16_known_vector() {
        // CRC-16/KERMIT check value for "123456789" is 0x2189.
        let mut f = b"123456789".to_vec();
        f.extend([0x89, 0x21]);
        assert!(mac::fcs_matches(&f, FcsMode::Crc16));
        assert!(!mac::fcs_matches(&f[..10], FcsMode::Crc16));
        assert!(!mac::fcs_matches(&[0x00], FcsMode::Crc16));
        let f = frame_with_fcs();
        assert_eq!(
            f[12..],
            [0xf4, 0xd3],
            "CRC-16/KERMIT, least significant octet first"
        );
        assert!(mac::fcs_matches(&f, FcsMode::Crc16));
    }

    /// Raw frames under DLT 101: the FCS is there exactly when the CRC says so.
    #[test]
    fn raw_802154_under_dlt_raw() {
        let f = frame_with_fcs();
        assert_eq!(capture_fcs(&f, None), FcsMode::Crc16);
        let nofcs = &f[..f.len() - 2];
        assert_eq!(capture_fcs(nofcs, None), FcsMode::None);
        // First nibble neither 4 nor 6: an ack frame (FCF 0x0002), too short for an FCS.
        assert_eq!(capture_fcs(&[0x02, 0x00, 0x2a], None), FcsMode::None);
    }

    #[test]
    fn declared_lengths() {
        let f = frame_with_fcs();
        assert_eq!(capture_fcs(&f, Some(0)), FcsMode::None);
        assert_eq!(capture_fcs(&f, Some(2)), FcsMode::Crc16);
        assert_eq!(capture_fcs(&f, Some(4)), FcsMode::Crc32);
        assert_eq!(capture_fcs(&f, Some(3)), FcsMode::None);
    }
}
