//! SK and SKF decryption (RFC 7296 §3.14, RFC 5282, RFC 7634, RFC 7383) with fixed keys: an
//! arbitrary inner payload chain is sealed by `crypto::protect` — whole or in fragments, with
//! every cipher family the key table knows — and must come back out of the stream decoder
//! octet for octet with its ICV verified; a sealed message with one octet changed must fail its
//! ICV (BAD) and its chain, shown when it parses, is never handed on as authentic. The raw input also goes through the decoder as a
//! message with these keys (ICVs that fail, lengths that lie).
#![no_main]

use std::net::SocketAddr;

use arbitrary::Arbitrary;
use ietfwg_ikev2::crypto::keytable::{AesBits, Encr, IcvLen, Integ, SaKeys};
use ietfwg_ikev2::crypto::protect::{seal_fragments, seal_with_iv};
use ietfwg_ikev2::decoder::{Decoded, Decoder, Decryption, FragmentState, IcvStatus};
use ietfwg_ikev2::wire::registry::{ExchangeType, PayloadType};
use ietfwg_ikev2::Header;
use libfuzzer_sys::fuzz_target;

const SPI_I: u64 = 0x0102_0304_0506_0708;
const SPI_R: u64 = 0x1112_1314_1516_1718;

#[derive(Debug, Arbitrary)]
struct Input {
    suite: u8,
    from_initiator: bool,
    message_id: u32,
    first_inner: u8,
    inner: Vec<u8>,
    iv: [u8; 16],
    fragment_size: Option<u16>,
    flip: Option<(u16, u8)>,
    raw: Vec<u8>,
}

fn keys(suite: u8) -> SaKeys {
    let (encr, integ) = match suite % 6 {
        0 => (
            Encr::AesGcm {
                key: AesBits::B256,
                icv: IcvLen::Octets16,
            },
            Integ::None,
        ),
        1 => (Encr::AesCbc(AesBits::B128), Integ::HmacSha2_256_128),
        2 => (Encr::ChaCha20Poly1305, Integ::None),
        3 => (Encr::AesCtr(AesBits::B256), Integ::HmacSha2_512_256),
        4 => (
            Encr::AesCcm {
                key: AesBits::B128,
                icv: IcvLen::Octets8,
            },
            Integ::None,
        ),
        _ => (Encr::TripleDesCbc, Integ::HmacSha1_96),
    };
    let sk = |fill: u8, n: usize| vec![fill; n];
    SaKeys {
        spi_i: SPI_I,
        spi_r: SPI_R,
        sk_ei: sk(0x11, encr.sk_len()),
        sk_er: sk(0x22, encr.sk_len()),
        encr,
        sk_ai: sk(0x33, integ.key_len()),
        sk_ar: sk(0x44, integ.key_len()),
        integ,
    }
}

fuzz_target!(|input: Input| {
    let k = keys(input.suite);
    k.check().expect("fixed keys fit their algorithms");
    let header = Header {
        spi_i: SPI_I,
        spi_r: SPI_R,
        next_payload: PayloadType(46),
        major_version: 2,
        minor_version: 0,
        exchange: ExchangeType(35), // IKE_AUTH
        flags: if input.from_initiator { 0x08 } else { 0x20 },
        message_id: input.message_id,
        length: 0,
    };
    let inner = &input.inner[..input.inner.len().min(4096)];
    let first = PayloadType(input.first_inner);
    let messages = match input.fragment_size {
        None => {
            let iv = &input.iv[..k.encr.iv_len()];
            match seal_with_iv(&header, first, inner, &k, input.from_initiator, iv) {
                Ok(m) => vec![m],
                Err(_) => return,
            }
        }
        Some(size) => {
            match seal_fragments(
                &header,
                first,
                inner,
                &k,
                input.from_initiator,
                usize::from(size % 2048),
            ) {
                Ok(v) if v.len() <= 64 => v,
                _ => return,
            }
        }
    };
    let (i, r): (SocketAddr, SocketAddr) =
        (([192, 0, 2, 1], 500).into(), ([192, 0, 2, 2], 500).into());
    let (src, dst) = if input.from_initiator { (i, r) } else { (r, i) };

    // Sealed as is: decrypts to `inner`, authenticated.
    let mut decoder = Decoder::new(Some(vec![k.clone()]));
    let mut plaintext = Vec::new();
    let mut complete = false;
    for (n, m) in messages.iter().enumerate() {
        let report = decoder
            .udp(src, dst, m, n as u64 + 1)
            .expect("port 500 is IKE");
        let Decoded::Ikev2(d) = report.decoded else {
            panic!("not IKEv2: {:?}", report.decoded)
        };
        let Some(enc) = &d.encrypted else {
            panic!("no SK/SKF found in our own message")
        };
        let Decryption::Done(opened) = &enc.decryption else {
            panic!("our own message does not decrypt: {:?}", enc.decryption)
        };
        assert!(
            opened.decrypted.icv_ok,
            "ICV of our own message does not verify"
        );
        plaintext.extend_from_slice(&opened.decrypted.plaintext);
        if let Some(FragmentState::Complete(_)) = &opened.fragments {
            complete = true;
        }
    }
    assert_eq!(
        plaintext, inner,
        "decrypted plaintext differs from what was sealed"
    );
    assert!(
        messages.len() == 1 || complete,
        "all fragments arrived but none completed"
    );

    // One octet changed past the IKE header: never authentic.
    if let Some((at, x)) = input.flip {
        let mut m = messages[0].clone();
        let at = 28 + usize::from(at) % (m.len() - 28);
        m[at] ^= x.max(1);
        let mut decoder = Decoder::new(Some(vec![k.clone()]));
        if let Some(report) = decoder.udp(src, dst, &m, 1) {
            if let Decoded::Ikev2(d) = &report.decoded {
                if let Some(enc) = &d.encrypted {
                    if let Decryption::Done(opened) = &enc.decryption {
                        assert!(!opened.decrypted.icv_ok, "a changed octet passed the ICV");
                        // A chain that parses may be shown, marked unauthenticated, but is
                        // never handed on as authentic.
                        assert_eq!(opened.icv(), IcvStatus::Bad, "a changed octet was not BAD");
                        assert!(
                            d.decrypted_payloads().is_none(),
                            "an unauthenticated chain was handed on as authentic"
                        );
                    }
                }
            }
        }
    }

    // The raw input as a message with these keys.
    let mut decoder = Decoder::new(Some(vec![k]));
    let _ = decoder.udp(src, dst, &input.raw, 1);
    let _ = decoder.finish();
});
