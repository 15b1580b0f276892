//! Building an encrypted IKE message (RFC 7296 §3.14): the inverse of [`crate::crypto::decrypt::decrypt`].
//!
//! ```text
//!                      1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                   IKE header (28 octets, Next Payload = 46)   ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Initialization Vector                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                    Encrypted IKE Payloads                     ~
//! +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |               |             Padding (0-255 octets)            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!                                                 |  Pad Length   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                    Integrity Checksum Data                    ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The layout mirrors `crypto.rs` exactly:
//! - AES-CBC and 3DES-CBC (RFC 3602, RFC 2451): a random IV of one block (unpredictable, as CBC
//!   needs); zero Padding up to a whole number of blocks.
//! - AES-CTR (RFC 5930 → RFC 3686 §4): counter block = nonce (last 4 octets of SK_e) ‖ IV ‖
//!   32-bit counter from 1.
//! - AES-GCM, AES-CCM (RFC 5282) and ChaCha20-Poly1305 (RFC 7634): nonce = salt ‖ IV; the
//!   associated data is the message from the IKE header through the SK generic header, i.e.
//!   everything before the IV (RFC 5282 §5.1); the tag is the ICV. A GCM tag of 8 or 12
//!   octets is the leftmost octets of the full tag (NIST SP 800-38D §5.2.1.2); a CCM tag length
//!   is a parameter of the mode itself (RFC 3610 §2.2).
//! - Counter and combined modes need a 64-bit IV that never repeats under one key: it is drawn
//!   at random from the operating system for every message, as strongSwan's random IV
//!   generator does; the chance that two of the 2^20 messages an IKE SA could reasonably carry
//!   collide is below 2^-24 — no sequence has to be kept between calls. No Padding is added
//!   (the block size is 1).
//! - Separate integrity (CBC, CTR, NULL): the ICV is the HMAC (SK_ai or SK_ar) of everything
//!   from the first octet of the IKE header to the end of the Pad Length, truncated to the
//!   algorithm's ICV length (RFC 7296 §3.14, RFC 4868 §2.6).
//!
//! `Integ::Unchecked` (Wireshark's "ANY … [No Checking]") has no key and cannot produce an ICV,
//! and an IKE message without any integrity protection is not allowed (RFC 7296 §5); both are
//! refused.

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{
    BlockCipher, BlockEncrypt, BlockEncryptMut, BlockSizeUser, KeyIvInit, StreamCipher,
};
use aes_gcm::aead::consts::{U11, U12, U16, U8};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::AesGcm;
use ccm::Ccm;
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};

use crate::crypto::keytable::{AesBits, Encr, IcvLen, Integ, SaKeys};
use crate::wire::header::Header;
use crate::wire::reader::Writer;
use crate::wire::registry::PayloadType;

/// Why a message could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtectError {
    /// The keys do not fit their algorithms (the field and why, as `SaKeys::check` says).
    #[error("{field}: {reason}")]
    Keys {
        /// `SK_ei`, `SK_ai`, `Integrity algorithm`…
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The integrity algorithm cannot protect a message we send.
    #[error("cannot send with {0}: {1}")]
    Integrity(Integ, &'static str),
    /// The inner payloads do not fit in one Encrypted payload (its Payload Length is 16 bits).
    #[error("the Encrypted payload would be {0} octets; at most 65535 fit (send it in fragments)")]
    TooLong(usize),
    /// `seal_fragments`: not even one octet of the inner chain fits in a fragment.
    #[error("fragments of at most {max} octets cannot carry anything: the headers, IV, ICV and padding alone take {overhead}")]
    TooSmall {
        /// The size asked for.
        max: usize,
        /// Octets each fragment needs besides its share of the inner chain.
        overhead: usize,
    },
    /// The operating system's random source failed.
    #[error("random number generator failed: {0}")]
    Random(String),
    /// The cipher refused the key or IV (cannot happen with keys that pass `SaKeys::check`).
    #[error("{0} refused the key")]
    Cipher(Encr),
}

/// Payload type of the Encrypted payload.
const SK: PayloadType = PayloadType(46);
/// Payload type of the Encrypted Fragment payload (RFC 7383).
const SKF: PayloadType = PayloadType(53);

/// Builds a whole IKE message whose only outer payload is SK: `header` (its Next Payload is set
/// to SK and its Length filled in; its flags and Message ID are used as given), the encrypted
/// inner chain `inner` (already emitted bytes, first type `first_inner`), a fresh random IV,
/// padding, and the ICV with SK_ei/SK_ai (`from_initiator`) or SK_er/SK_ar.
/// [`crate::crypto::decrypt::decrypt`] of the result at offset 28 gives `inner` back.
pub fn seal(
    header: &Header,
    first_inner: PayloadType,
    inner: &[u8],
    keys: &SaKeys,
    from_initiator: bool,
) -> Result<Vec<u8>, ProtectError> {
    let mut iv = vec![0u8; keys.encr.iv_len()];
    getrandom::fill(&mut iv).map_err(|e| ProtectError::Random(e.to_string()))?;
    seal_with_iv(header, first_inner, inner, keys, from_initiator, &iv)
}

/// [`seal`] with a given IV (`encr.iv_len()` octets). For tests and known-answer checks only:
/// an IV must never be used twice with one key.
#[doc(hidden)]
pub fn seal_with_iv(
    header: &Header,
    first_inner: PayloadType,
    inner: &[u8],
    keys: &SaKeys,
    from_initiator: bool,
    iv: &[u8],
) -> Result<Vec<u8>, ProtectError> {
    check(keys)?;
    seal_one(header, first_inner.0, None, inner, keys, from_initiator, iv)
}

/// Splits the inner chain `inner` (first type `first_inner`) into Encrypted Fragment payloads
/// (SKF, RFC 7383 §2.5), each in its own message of at most `max_message_len` octets (the IKE
/// message from its header on; the caller subtracts the IP and UDP headers and any non-ESP
/// marker from the path MTU, RFC 7383 §2.5.1). Every fragment has `header`'s Message ID and
/// flags, its Next Payload set to SKF, a fresh IV and its own ICV; the first fragment's SKF
/// Next Payload is `first_inner`, the others' 0 (§2.5). The associated data (AEAD) or MAC input
/// covers the Fragment Number and Total Fragments fields (§2.5.3).
pub fn seal_fragments(
    header: &Header,
    first_inner: PayloadType,
    inner: &[u8],
    keys: &SaKeys,
    from_initiator: bool,
    max_message_len: usize,
) -> Result<Vec<Vec<u8>>, ProtectError> {
    check(keys)?;
    let encr = keys.encr;
    let icv_len = encr.aead_icv_len().unwrap_or_else(|| keys.integ.icv_len());
    let block = encr.block_len();
    // IKE header, SKF header (8), IV, ICV; then the largest content that, with at least the
    // Pad Length octet, fills whole cipher blocks.
    let fixed = Header::LEN + 8 + encr.iv_len() + icv_len;
    let room = max_message_len.saturating_sub(fixed) / block * block;
    let chunk = room.saturating_sub(1);
    if chunk == 0 {
        return Err(ProtectError::TooSmall {
            max: max_message_len,
            overhead: fixed + block,
        });
    }
    let chunks: Vec<&[u8]> = if inner.is_empty() {
        vec![inner]
    } else {
        inner.chunks(chunk).collect()
    };
    let total = u16::try_from(chunks.len()).map_err(|_| ProtectError::TooLong(inner.len()))?;
    let mut out = Vec::with_capacity(chunks.len());
    for (i, part) in chunks.into_iter().enumerate() {
        let number = u16::try_from(i + 1).map_err(|_| ProtectError::TooLong(inner.len()))?;
        let next = if number == 1 { first_inner.0 } else { 0 };
        let mut iv = vec![0u8; encr.iv_len()];
        getrandom::fill(&mut iv).map_err(|e| ProtectError::Random(e.to_string()))?;
        out.push(seal_one(
            header,
            next,
            Some((number, total)),
            part,
            keys,
            from_initiator,
            &iv,
        )?);
    }
    Ok(out)
}

/// The keys are consistent and can protect a message we send.
fn check(keys: &SaKeys) -> Result<(), ProtectError> {
    keys.check()
        .map_err(|(field, reason)| ProtectError::Keys { field, reason })?;
    if !keys.encr.is_aead() {
        match keys.integ {
            Integ::Unchecked(_) => {
                return Err(ProtectError::Integrity(
                    keys.integ,
                    "it has no key and cannot compute an ICV",
                ))
            }
            Integ::None => {
                return Err(ProtectError::Integrity(
                    keys.integ,
                    "an IKE message must be integrity protected (RFC 7296 §5)",
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// One SK payload (`fragment` None) or SKF payload (Fragment Number, Total Fragments) in a
/// message of its own; `next` is the SK/SKF payload's Next Payload field.
fn seal_one(
    header: &Header,
    next: u8,
    fragment: Option<(u16, u16)>,
    inner: &[u8],
    keys: &SaKeys,
    from_initiator: bool,
    iv: &[u8],
) -> Result<Vec<u8>, ProtectError> {
    let encr = keys.encr;
    if iv.len() != encr.iv_len() {
        return Err(ProtectError::Keys {
            field: "Initialization Vector",
            reason: format!("{} octet(s), {encr} needs {}", iv.len(), encr.iv_len()),
        });
    }
    let (sk_e, sk_a) = if from_initiator {
        (&keys.sk_ei, &keys.sk_ai)
    } else {
        (&keys.sk_er, &keys.sk_ar)
    };
    let (key, salt) = sk_e.split_at(encr.cipher_key_len().min(sk_e.len()));

    // Plaintext: inner ‖ Padding ‖ Pad Length, a whole number of blocks.
    let block = encr.block_len();
    let pad = (block - (inner.len() + 1) % block) % block;
    let mut buf = Vec::with_capacity(inner.len() + pad + 1 + 32);
    buf.extend_from_slice(inner);
    buf.resize(inner.len() + pad, 0);
    buf.push(u8::try_from(pad).unwrap_or(0));

    let icv_len = encr.aead_icv_len().unwrap_or_else(|| keys.integ.icv_len());
    let head = if fragment.is_some() { 8 } else { 4 };
    let payload_len = head + iv.len() + buf.len() + icv_len;
    let plen = u16::try_from(payload_len).map_err(|_| ProtectError::TooLong(payload_len))?;
    let total = Header::LEN + payload_len;
    let total32 = u32::try_from(total).map_err(|_| ProtectError::TooLong(payload_len))?;

    let mut h = header.clone();
    h.next_payload = if fragment.is_some() { SKF } else { SK };
    h.length = total32;
    let mut w = Writer::new();
    h.emit(&mut w);
    let mut msg = w.buf;
    msg.reserve(payload_len);
    msg.push(next); // Next Payload: the first inner payload (0 in later fragments)
    msg.push(0); // C = 0, RESERVED
    msg.extend_from_slice(&plen.to_be_bytes()); // Payload Length
    if let Some((number, total)) = fragment {
        msg.extend_from_slice(&number.to_be_bytes()); // Fragment Number
        msg.extend_from_slice(&total.to_be_bytes()); // Total Fragments
    }

    let cipher_err = || ProtectError::Cipher(encr);
    if encr.is_aead() {
        let aad = msg.clone(); // the IKE header and the SK generic header
        let nonce = [salt, iv].concat();
        let tag = combined(encr, key, &nonce, &aad, &mut buf).ok_or_else(cipher_err)?;
        msg.extend_from_slice(iv);
        msg.extend_from_slice(&buf);
        msg.extend_from_slice(tag.get(..icv_len).ok_or_else(cipher_err)?);
    } else {
        separate(encr, key, salt, iv, &mut buf).ok_or_else(cipher_err)?;
        msg.extend_from_slice(iv);
        msg.extend_from_slice(&buf);
        let icv = integrity(keys.integ, sk_a, &msg)
            .ok_or(ProtectError::Integrity(keys.integ, "the key was refused"))?;
        msg.extend_from_slice(icv.get(..icv_len).ok_or(ProtectError::Integrity(
            keys.integ,
            "the MAC is shorter than the ICV",
        ))?);
    }
    debug_assert_eq!(msg.len(), total);
    Ok(msg)
}

/// Evaluates `$body` with the type alias `$c` set to the AES block cipher of `$bits`
/// (`AesBits`): one generic call instead of a match arm per key length.
macro_rules! with_aes {
    ($bits:expr, $c:ident => $body:expr) => {
        match $bits {
            AesBits::B128 => {
                type $c = aes::Aes128;
                $body
            }
            AesBits::B192 => {
                type $c = aes::Aes192;
                $body
            }
            AesBits::B256 => {
                type $c = aes::Aes256;
                $body
            }
        }
    };
}

/// NULL, CBC and CTR: encrypts `buf` in place.
fn separate(encr: Encr, key: &[u8], salt: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<()> {
    match encr {
        Encr::Null => Some(()),
        Encr::TripleDesCbc => cbc_encrypt::<des::TdesEde3>(key, iv, buf),
        Encr::AesCbc(bits) => with_aes!(bits, C => cbc_encrypt::<C>(key, iv, buf)),
        Encr::AesCtr(bits) => {
            // RFC 3686 §4: nonce ‖ IV ‖ block counter (32 bits, big-endian, from 1).
            let mut block = [0u8; 16];
            block.get_mut(..4)?.copy_from_slice(salt.get(..4)?);
            block.get_mut(4..12)?.copy_from_slice(iv.get(..8)?);
            block[15] = 1;
            with_aes!(bits, C => ctr_apply::<C>(key, &block, buf))
        }
        Encr::AesGcm { .. } | Encr::AesCcm { .. } | Encr::ChaCha20Poly1305 => None,
    }
}

fn cbc_encrypt<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<()>
where
    C: BlockEncryptMut + BlockCipher + KeyInit,
{
    let len = buf.len();
    let e = cbc::Encryptor::<C>::new_from_slices(key, iv).ok()?;
    e.encrypt_padded_mut::<NoPadding>(buf, len).ok().map(|_| ())
}

fn ctr_apply<C>(key: &[u8], block: &[u8; 16], buf: &mut [u8]) -> Option<()>
where
    C: BlockCipher + BlockSizeUser<BlockSize = U16> + BlockEncrypt + KeyInit,
{
    let mut c = ctr::Ctr32BE::<C>::new_from_slices(key, block).ok()?;
    c.try_apply_keystream(buf).ok()
}

/// Encrypts in place with a combined-mode cipher; returns the (full) tag.
fn combined(
    encr: Encr,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    buf: &mut Vec<u8>,
) -> Option<Vec<u8>> {
    match encr {
        // GCM: the full 16-octet tag; the caller keeps its leftmost 8, 12 or 16 octets.
        Encr::AesGcm { key: bits, .. } => {
            with_aes!(bits, C => aead::<AesGcm<C, U12, U16>>(key, nonce, aad, buf))
        }
        // CCM: the tag length is a parameter of the mode (RFC 3610 §2.2); 11-octet nonce.
        Encr::AesCcm { key: bits, icv } => with_aes!(bits, C => match icv {
            IcvLen::Octets8 => aead::<Ccm<C, U8, U11>>(key, nonce, aad, buf),
            IcvLen::Octets12 => aead::<Ccm<C, U12, U11>>(key, nonce, aad, buf),
            IcvLen::Octets16 => aead::<Ccm<C, U16, U11>>(key, nonce, aad, buf),
        }),
        Encr::ChaCha20Poly1305 => aead::<ChaCha20Poly1305>(key, nonce, aad, buf),
        Encr::Null | Encr::TripleDesCbc | Encr::AesCbc(_) | Encr::AesCtr(_) => None,
    }
}

fn aead<A: KeyInit + AeadInPlace>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    buf: &mut Vec<u8>,
) -> Option<Vec<u8>> {
    let a = A::new_from_slice(key).ok()?;
    let n = GenericArray::from_exact_iter(nonce.iter().copied())?;
    let tag = a
        .encrypt_in_place_detached(&n, aad, buf.as_mut_slice())
        .ok()?;
    Some(tag.to_vec())
}

/// The full HMAC of `signed` (the caller truncates it to the ICV length).
fn integrity(integ: Integ, key: &[u8], signed: &[u8]) -> Option<Vec<u8>> {
    match integ {
        Integ::None | Integ::Unchecked(_) => None,
        Integ::HmacMd5_96 | Integ::HmacMd5_128 => mac::<Hmac<md5::Md5>>(key, signed),
        Integ::HmacSha1_96 | Integ::HmacSha1_160 => mac::<Hmac<sha1::Sha1>>(key, signed),
        Integ::HmacSha2_256_96 | Integ::HmacSha2_256_128 => mac::<Hmac<sha2::Sha256>>(key, signed),
        Integ::HmacSha2_384_192 => mac::<Hmac<sha2::Sha384>>(key, signed),
        Integ::HmacSha2_512_256 => mac::<Hmac<sha2::Sha512>>(key, signed),
    }
}

fn mac<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    let mut m = <M as KeyInit>::new_from_slice(key).ok()?;
    m.update(data);
    Some(m.finalize().into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::decrypt::decrypt;
    use crate::wire::registry::ExchangeType;

    /// An N(INITIAL_CONTACT) payload (8 octets, last in the chain).
    const INNER: [u8; 8] = [0, 0, 0, 8, 0, 0, 0x40, 0x00];

    fn header(initiator: bool) -> Header {
        Header {
            spi_i: 0x1122_3344_5566_7788,
            spi_r: 0x99aa_bbcc_ddee_ff00,
            next_payload: PayloadType(0),
            major_version: 2,
            minor_version: 0,
            exchange: ExchangeType(35),
            flags: if initiator {
                Header::FLAG_INITIATOR
            } else {
                Header::FLAG_RESPONSE
            },
            message_id: 1,
            length: 0,
        }
    }

    fn keys(encr: Encr, integ: Integ) -> SaKeys {
        let k = |n: usize, b: u8| (0..n).map(|i| b.wrapping_add(i as u8)).collect::<Vec<u8>>();
        SaKeys {
            spi_i: 0x1122_3344_5566_7788,
            spi_r: 0x99aa_bbcc_ddee_ff00,
            sk_ei: k(encr.sk_len(), 0x10),
            sk_er: k(encr.sk_len(), 0x80),
            encr,
            sk_ai: k(integ.key_len(), 0x30),
            sk_ar: k(integ.key_len(), 0xa0),
            integ,
        }
    }

    /// Every cipher: AEAD ones alone, the others with every HMAC (every integrity algorithm
    /// but NONE and the keyless "no checking" ones).
    fn pairs() -> Vec<(Encr, Integ)> {
        let hmacs: Vec<Integ> = Integ::ALL
            .into_iter()
            .filter(|i| !matches!(i, Integ::None | Integ::Unchecked(_)))
            .collect();
        let mut v = Vec::new();
        for e in Encr::ALL {
            if e.is_aead() {
                v.push((e, Integ::None));
            } else {
                v.extend(hmacs.iter().map(|i| (e, *i)));
            }
        }
        v
    }

    #[test]
    fn every_cipher_and_integrity_round_trips() {
        let mut n = 0;
        for (encr, integ) in pairs() {
            let k = keys(encr, integ);
            for from_initiator in [true, false] {
                for inner_len in [0usize, 1, 8, 15, 16, 17, 100] {
                    let mut inner = INNER.to_vec();
                    inner.resize(inner_len.max(8), 0xee);
                    let l = inner.len() as u16;
                    inner[2..4].copy_from_slice(&l.to_be_bytes());
                    let m = seal(
                        &header(from_initiator),
                        PayloadType(41),
                        &inner,
                        &k,
                        from_initiator,
                    )
                    .unwrap();
                    assert_eq!(m[16], 46);
                    assert_eq!(
                        u32::from_be_bytes(m[24..28].try_into().unwrap()) as usize,
                        m.len()
                    );
                    let d = decrypt(&m, 28, &k, from_initiator)
                        .unwrap_or_else(|e| panic!("{encr} / {integ}: {e}"));
                    assert!(d.icv_ok, "{encr} / {integ}");
                    assert_eq!(d.first_payload, 41);
                    assert_eq!(d.plaintext, inner, "{encr} / {integ}");
                    assert!(usize::from(d.pad_len) < encr.block_len());
                    // The other direction's keys do not verify it.
                    match decrypt(&m, 28, &k, !from_initiator) {
                        Ok(d) => assert!(!d.icv_ok, "{encr} / {integ}"),
                        Err(e) => assert_eq!(e.field, "Integrity Checksum Data"),
                    }
                    n += 1;
                }
            }
        }
        // 8 non-AEAD ciphers × 8 HMACs + 19 AEAD ciphers, both directions, 7 lengths.
        assert_eq!(pairs().len(), 8 * 8 + 19);
        assert_eq!(n, pairs().len() * 14);
    }

    #[test]
    fn fragments_reassemble_for_every_cipher() {
        let inner: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        for (encr, integ) in pairs() {
            let k = keys(encr, integ);
            for max in [100usize, 300, 1280] {
                let frags =
                    seal_fragments(&header(true), PayloadType(35), &inner, &k, true, max).unwrap();
                let mut got = Vec::new();
                for (i, m) in frags.iter().enumerate() {
                    assert!(m.len() <= max, "{encr}: {} > {max}", m.len());
                    assert_eq!(m[16], 53);
                    assert_eq!(&m[20..24], &1u32.to_be_bytes(), "Message ID");
                    let d = decrypt(m, 28, &k, true).unwrap_or_else(|e| panic!("{encr}: {e}"));
                    assert!(d.icv_ok, "{encr} / {integ}");
                    let f = d.fragment.unwrap();
                    assert_eq!(usize::from(f.number), i + 1);
                    assert_eq!(usize::from(f.total), frags.len());
                    assert_eq!(d.first_payload, if i == 0 { 35 } else { 0 });
                    got.extend_from_slice(&d.plaintext);
                }
                assert_eq!(got, inner, "{encr} / {integ} / {max}");
                // A fragment fills its room: all but the last are within one block of `max`.
                for m in &frags[..frags.len() - 1] {
                    assert!(
                        m.len() + encr.block_len() > max,
                        "{encr}: {} of {max}",
                        m.len()
                    );
                }
            }
        }
        let k = keys(Encr::AesCbc(AesBits::B256), Integ::HmacSha2_512_256);
        let frags = |inner: &[u8], max| {
            seal_fragments(&header(true), PayloadType(35), inner, &k, true, max)
        };
        // IKE header, SKF header, IV, ICV: 84 octets; one 16-octet block more is needed.
        assert!(matches!(
            frags(&inner, 28 + 8 + 16 + 32 + 15),
            Err(ProtectError::TooSmall { .. })
        ));
        assert_eq!(
            frags(&inner, 28 + 8 + 16 + 32 + 32).unwrap().len(),
            1000usize.div_ceil(31)
        );
        let one = frags(&[], 1280).unwrap();
        assert_eq!(one.len(), 1);
    }

    #[test]
    fn fresh_iv_every_time() {
        let k = keys(
            Encr::AesGcm {
                key: AesBits::B256,
                icv: IcvLen::Octets16,
            },
            Integ::None,
        );
        let a = seal(&header(true), PayloadType(41), &INNER, &k, true).unwrap();
        let b = seal(&header(true), PayloadType(41), &INNER, &k, true).unwrap();
        assert_ne!(a[32..40], b[32..40], "IV");
        assert_ne!(a[40..], b[40..]);
    }

    /// RFC 5282 AEAD layout, checked against the ciphers directly: a fixed IV, the AAD is the
    /// 32 octets before it, the tag is the last ICV-length octets.
    #[test]
    fn known_layout_with_a_fixed_iv() {
        let encr = Encr::AesGcm {
            key: AesBits::B128,
            icv: IcvLen::Octets8,
        };
        let k = keys(encr, Integ::None);
        let iv = [1, 2, 3, 4, 5, 6, 7, 8];
        let m = seal_with_iv(&header(true), PayloadType(41), &INNER, &k, true, &iv).unwrap();
        assert_eq!(m.len(), 28 + 4 + 8 + 9 + 8);
        assert_eq!(&m[28..32], &[41, 0, 0, 29]);
        assert_eq!(&m[32..40], &iv);
        let mut buf = [&INNER[..], &[0]].concat();
        let nonce = [&k.sk_ei[16..], &iv[..]].concat();
        let tag = aead::<AesGcm<aes::Aes128, U12, U16>>(&k.sk_ei[..16], &nonce, &m[..32], &mut buf)
            .unwrap();
        assert_eq!(&m[40..49], &buf[..]);
        assert_eq!(&m[49..], &tag[..8]);
    }

    #[test]
    fn refusals() {
        let k = keys(Encr::AesCbc(AesBits::B128), Integ::Unchecked(12));
        assert!(matches!(
            seal(&header(true), PayloadType(41), &INNER, &k, true),
            Err(ProtectError::Integrity(..))
        ));
        let k = keys(Encr::Null, Integ::None);
        assert!(matches!(
            seal(&header(true), PayloadType(41), &INNER, &k, true),
            Err(ProtectError::Integrity(Integ::None, _))
        ));
        let mut k = keys(Encr::AesCbc(AesBits::B128), Integ::HmacSha1_96);
        k.sk_ei.pop();
        assert_eq!(
            seal(&header(true), PayloadType(41), &INNER, &k, true),
            Err(ProtectError::Keys {
                field: "SK_ei",
                reason: "15 octet(s), but AES-CBC-128 [RFC3602] needs 16".into()
            })
        );
        let k = keys(Encr::ChaCha20Poly1305, Integ::None);
        let e = seal(&header(true), PayloadType(41), &vec![0; 70_000], &k, true).unwrap_err();
        assert!(matches!(e, ProtectError::TooLong(_)), "{e}");
        assert!(seal(&header(true), PayloadType(41), &vec![0; 65_000], &k, true).is_ok());
        let e =
            seal_with_iv(&header(true), PayloadType(41), &INNER, &k, true, &[0; 7]).unwrap_err();
        assert!(matches!(
            e,
            ProtectError::Keys {
                field: "Initialization Vector",
                ..
            }
        ));
    }
}
