//! Secured frames that were changed in transit are never decoded as if they were good: every
//! single-bit change of every secured frame of `pcaps/6lo-sec/` (made with Python's
//! `cryptography` by `pcaps/secure-6lo.py`) either fails to parse, or is not decrypted, or
//! fails its MIC (the FCS, which the MIC does not cover, is recomputed after each change), and
//! a MIC failure never comes with a 6LoWPAN layer, a datagram or a plaintext.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::path::Path;

use ietfwg_6lo::lowpan::Decoder;
use ietfwg_6lo::mac::FcsMode;
use ietfwg_6lo::reassembly::Limits;
use ietfwg_6lo::security::{AddressBook, KeyTable, Status};
use ietfwg_6lo::ContextTable;
use ietfwg_test_support::capture::read_capture;

const KEY: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

fn decoder() -> Decoder {
    let mut keys = KeyTable::new();
    keys.add(None, KEY).unwrap();
    let mut book = AddressBook::new();
    book.add_from_arg("0x0001=00:12:4b:00:00:01:02:03").unwrap();
    book.add_from_arg("0x0002=00:12:4b:00:00:04:05:06").unwrap();
    let mut d = Decoder::new(ContextTable::new(), Limits::default());
    d.set_keys(keys);
    d.set_addresses(book);
    d
}

#[test]
fn no_changed_bit_passes_the_mic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo-sec");
    let mut checked = 0usize;
    for name in [
        "enc-mic-levels.pcap",
        "key-id-modes.pcap",
        "mic-only.pcap",
        "failures.pcap",
    ] {
        let path = dir.join(name);
        for raw in read_capture(&path, name) {
            let Some(w) = raw.wpan() else { continue };
            let fcs = match w.fcs.octets() {
                Some(2) => FcsMode::Crc16,
                _ => FcsMode::None,
            };
            let frame = w.frame.to_vec();
            let clean = decoder().decode_frame(&frame, fcs, 1, 0);
            let Some(sec) = clean.security.as_ref() else {
                continue;
            };
            if sec.status != Status::Verified {
                continue;
            }
            let covered = frame.len() - fcs.len();
            for bit in 0..covered * 8 {
                let mut bad = frame.clone();
                bad[bit / 8] ^= 1 << (bit % 8);
                // The FCS is not what is being tested: recompute it over the changed frame.
                if fcs == FcsMode::Crc16 {
                    let crc = crc16(&bad[..covered]);
                    bad[covered..].copy_from_slice(&crc.to_le_bytes());
                }
                let r = decoder().decode_frame(&bad, fcs, 1, 0);
                checked += 1;
                let Some(s) = r.security.as_ref() else {
                    // Security Enabled cleared, the frame version made 2003 or the level 0, or
                    // the header no longer parses: the changed frame no longer claims the
                    // protection, and there is nothing to verify.
                    continue;
                };
                assert_ne!(
                    s.status,
                    Status::Verified,
                    "{name}: bit {bit} of a {}-octet frame changed, MIC still verified",
                    frame.len()
                );
                if s.status == Status::MicFailed {
                    assert!(
                        r.lowpan.is_none() && r.datagram.is_none(),
                        "{name}: bit {bit}"
                    );
                    assert!(r.error.is_some(), "{name}: bit {bit}");
                    assert!(s.plaintext.is_none(), "{name}: bit {bit}");
                }
            }
        }
    }
    assert!(checked > 10_000, "only {checked} changed frames");
}

/// CRC-16/KERMIT, the 802.15.4 FCS (written out: the test must not trust the decoder's).
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x8408
            } else {
                crc >> 1
            };
        }
    }
    crc
}
