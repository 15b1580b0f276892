//! One IEEE 802.15.4 frame through the whole 6LoWPAN decoder (MAC header, IEs, security header,
//! FCS, every dispatch, IPHC/NHC/HC1/GHC, 6LoRH, ND), with the FCS mode and the contexts taken
//! from the first input octet. Several frames per input go through one decoder, so that
//! fragments meet the reassembler. With bit 4 of the first octet set the decoder holds fixed keys
//! (the key of pcaps/6lo-sec, a Thread network key) and a short → extended address mapping, so
//! secured frames go through CCM*, the key table, address learning and the private payload's
//! parsing; MLE messages (UDP 19788) are decrypted with the Thread key's MLE keys. With bit 5
//! set, the frames are MS/TP, NFC LLCP and G.9959 frames in turn instead (the `link` module).
//! Invariant: no panic, no hang, bounded memory.
#![no_main]

use ietfwg_6lo::link::LinkKind;
use ietfwg_6lo::lowpan::{Decoder, FrameReport};
use ietfwg_6lo::mac::FcsMode;
use ietfwg_6lo::reassembly::Limits;
use ietfwg_6lo::security::{AddressBook, KeyTable};
use ietfwg_6lo::{Context, ContextTable};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fcs = match mode & 3 {
        0 => FcsMode::None,
        1 => FcsMode::Crc16,
        _ => FcsMode::Crc32,
    };
    let mut contexts = ContextTable::new();
    if mode & 4 != 0 {
        for (i, len) in [(0u8, 64u8), (1, 48), (2, 128), (15, 1)] {
            let prefix = std::net::Ipv6Addr::new(0x2001, 0xdb8, u16::from(i), 0, 0, 0, 0, 0);
            contexts.set(i, Context { prefix, len });
        }
    }
    let mut decoder = Decoder::new(contexts, Limits::default());
    decoder.set_learn_contexts(mode & 8 != 0);
    if mode & 16 != 0 {
        let mut keys = KeyTable::new();
        let _ = keys.add(
            None,
            *b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
        );
        let _ = keys.add(Some(2), [0x5a; 16]);
        let _ =
            keys.add_thread(*b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff");
        decoder.set_keys(keys);
        let mut book = AddressBook::new();
        let _ = book.add(0x0001, [0x00, 0x12, 0x4b, 0, 0, 0x01, 0x02, 0x03]);
        decoder.set_addresses(book);
    }
    let mut report = FrameReport::default();
    // Frames separated by the two-octet marker 0xf0 0x0d (the fuzzer learns it from the
    // dictionary); each goes through the same decoder.
    for (n, frame) in split(rest).enumerate() {
        if mode & 32 != 0 {
            // 6LoWPAN over BACnet MS/TP, NFC LLCP or G.9959, by frame number.
            let kind = [LinkKind::Mstp, LinkKind::NfcLlcp, LinkKind::G9959][n % 3];
            let _ = decoder.decode_link_frame(kind, frame, n as u64 + 1, n as u64 * 1_000_000);
            continue;
        }
        decoder.decode_frame_into(frame, fcs, n as u64 + 1, n as u64 * 1_000_000, &mut report);
    }
    let _ = decoder.finish();
});

fn split(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.windows(2).position(|w| w == [0xf0, 0x0d]) {
            Some(i) => {
                let (frame, tail) = rest.split_at(i);
                rest = &tail[2..];
                Some(frame)
            }
            None => Some(std::mem::take(&mut rest)),
        }
    })
}
