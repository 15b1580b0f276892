//! ESP decryption (RFC 4303, `ikev2 esp-decrypt`) with fixed keys for AES-GCM, AES-CBC with
//! HMAC-SHA-256 and ChaCha20-Poly1305: any packet under any of their SPIs, in any order, never
//! panics, and a packet is only ever opened after its ICV verified, at most once per sequence
//! number (the anti-replay window, §3.4.3).
#![no_main]

use ietfwg_ikev2::crypto::keytable::{AesBits, Encr, IcvLen, Integ};
use ietfwg_ikev2::esp::decrypt::{EspDecryptor, Icv, Replay};
use ietfwg_ikev2::esp::sa::EspSa;
use libfuzzer_sys::fuzz_target;

fn sa(spi: u32, encr: Encr, integ: Integ, esn: bool) -> EspSa {
    EspSa {
        spi,
        src: None,
        dst: None,
        encr,
        enc_key: (0..encr.sk_len()).map(|i| i as u8).collect(),
        integ,
        auth_key: (0..integ.key_len()).map(|i| 0x80 | i as u8).collect(),
        esn,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut esp = EspDecryptor::new([
        sa(1, Encr::AesGcm { key: AesBits::B128, icv: IcvLen::Octets16 }, Integ::None, false),
        sa(2, Encr::AesCbc(AesBits::B256), Integ::HmacSha2_256_128, true),
        sa(3, Encr::ChaCha20Poly1305, Integ::None, false),
    ]);
    let mut opened = std::collections::HashSet::new();
    // Packets: a 2-octet length before each (so one input is a sequence).
    let mut rest = data;
    while rest.len() >= 2 {
        let n = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let (packet, tail) = rest[2..].split_at(n);
        rest = tail;
        if let Ok(Some(o)) = esp.open(packet, None, None) {
            // A verified packet new to the window: its sequence number was never taken before.
            if o.icv == Icv::Ok && o.replay == Replay::New {
                assert!(
                    opened.insert((o.spi, o.seq)),
                    "SPI {} sequence {} accepted twice",
                    o.spi,
                    o.seq
                );
            }
        }
    }
});
