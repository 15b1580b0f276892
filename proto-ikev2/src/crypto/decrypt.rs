//! Decryption of the Encrypted payload (SK, RFC 7296 §3.14) and of the Encrypted Fragment
//! payload (SKF, RFC 7383 §2.5), given the IKE SA's keys ([`SaKeys`]). Every cipher and MAC is
//! a RustCrypto crate; this module only lays out IV, nonce, associated data and ICV.
//!
//! ```text
//!                      1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Fragment Number        |        Total Fragments        |  (SKF only)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                     Initialization Vector                     |
//! ~                                                               ~
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
//! - Separate integrity (CBC, CTR, NULL + HMAC): the Integrity Checksum Data is the truncated
//!   HMAC (key SK_ai or SK_ar) of the whole message from the first octet of the IKE header up
//!   to, not including, the ICV (RFC 7296 §3.14); the SK payload is the last payload, so the
//!   ICV is the last octets of the message.
//! - AES-CBC and 3DES (RFC 3602, RFC 2451): the IV is one block; the ciphertext is a whole
//!   number of blocks.
//! - AES-CTR (RFC 5930 → RFC 3686 §4): counter block = nonce (last 4 octets of SK_e) ‖ IV (8)
//!   ‖ 32-bit big-endian block counter starting at 1.
//! - AES-GCM, AES-CCM (RFC 5282) and ChaCha20-Poly1305 (RFC 7634): nonce = salt (last 4, or for
//!   CCM 3, octets of SK_e) ‖ IV (8); associated data = the message from the IKE header through
//!   the SK payload's generic header (RFC 5282 §5.1), and for SKF through Total Fragments
//!   (RFC 7383 §2.5.3), i.e. everything before the IV; the tag is the Integrity Checksum Data.
//!
//! A checksum that does not verify is not an error: [`Decrypted::icv_ok`] is false and the
//! plaintext is still returned (as Wireshark shows it, "[incorrect]"), so that a caller can
//! report it; callers must not trust such a plaintext. Errors are for what cannot be
//! decrypted at all (truncation, lengths, impossible padding).

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{
    BlockCipher, BlockDecryptMut, BlockEncrypt, BlockSizeUser, KeyInit, KeyIvInit, StreamCipher,
    StreamCipherSeek,
};
use aes_gcm::aead::consts::{U11, U12, U16, U8};
use aes_gcm::aead::generic_array::ArrayLength;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::AeadInPlace;
use aes_gcm::AesGcm;
use ccm::Ccm;
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use ietfwg_report::hex::Hex;
use serde_with::serde_as;
use subtle::ConstantTimeEq;

use crate::crypto::keytable::{AesBits, Encr, IcvLen, Integ, SaKeys};
use crate::error::{Error, Result};
use crate::wire::header::Header;
use crate::wire::reader::Reader;

/// A 128-bit block cipher (AES-128/192/256), for CTR, GCM and CCM.
trait Block128: BlockCipher + BlockSizeUser<BlockSize = U16> + BlockEncrypt + KeyInit {}
impl<C: BlockCipher + BlockSizeUser<BlockSize = U16> + BlockEncrypt + KeyInit> Block128 for C {}

/// Offset of the IKE header's Next Payload field.
const HEADER_NEXT_PAYLOAD: usize = 16;
/// Payload type of the Encrypted payload (SK).
const SK: u8 = 46;
/// Payload type of the Encrypted Fragment payload (SKF).
const SKF: u8 = 53;

/// The Fragment Number and Total Fragments fields of an SKF payload (RFC 7383 §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Fragment {
    /// Fragment Number, from 1.
    pub number: u16,
    /// Total Fragments.
    pub total: u16,
}

/// A decrypted SK or SKF payload.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decrypted {
    /// The SK/SKF payload's Next Payload field: the type of the first inner payload (for SKF,
    /// only in fragment 1; later fragments carry 0).
    pub first_payload: u8,
    /// The inner payload chain (for SKF: this fragment's share of it), Padding and Pad Length
    /// removed.
    #[serde_as(as = "Hex")]
    pub plaintext: Vec<u8>,
    /// Offset in the message of the ciphertext octet that became `plaintext[0]`: errors inside
    /// the inner chain can point there.
    pub plaintext_offset: usize,
    /// The Pad Length field.
    pub pad_len: u8,
    /// True when the Integrity Checksum Data was verified: the AEAD tag for combined-mode
    /// ciphers, the HMAC over the message for the others. False when it did not match (wrong
    /// keys, altered message) and when there was nothing to verify (integrity `NONE` or
    /// `ANY … [No Checking]` with a non-AEAD cipher).
    pub icv_ok: bool,
    /// False when there was nothing to verify: integrity `NONE` with a non-AEAD cipher, or one
    /// of Wireshark's `ANY … [No Checking]` entries, whose ICV is skipped. Then `icv_ok` is
    /// false too, but the plaintext is what the key table's user asked for, not a failure.
    pub icv_checked: bool,
    /// Fragment Number and Total Fragments, for an SKF payload.
    pub fragment: Option<Fragment>,
}

/// Decrypts the SK (46) or SKF (53) payload whose generic header is at `sk_offset` in
/// `message`, the whole IKE message from the first octet of the IKE header (the header's
/// Length field bounds it; octets after that are ignored). `from_initiator` (the header's I
/// flag) selects SK_ei/SK_ai rather than SK_er/SK_ar.
///
/// The payload chain is walked from the header's Next Payload to check that a payload starts
/// at `sk_offset` and that it is SK or SKF; that payload must end the message.
pub fn decrypt(
    message: &[u8],
    sk_offset: usize,
    keys: &SaKeys,
    from_initiator: bool,
) -> Result<Decrypted> {
    let (msg, kind) = locate(message, sk_offset)?;
    let what = if kind == SKF {
        "Encrypted Fragment payload"
    } else {
        "Encrypted payload"
    };
    open(msg, sk_offset, kind == SKF, keys, from_initiator).map_err(|e| e.within(what))
}

/// Checks the IKE header and walks the payload chain up to `sk_offset`; returns the message
/// cut to the header's Length and the type of the payload at `sk_offset`.
fn locate(message: &[u8], sk_offset: usize) -> Result<(&[u8], u8)> {
    let mut r = Reader::new(message, 0);
    r.u64("IKE SA Initiator's SPI")?;
    r.u64("IKE SA Responder's SPI")?;
    let mut next = r.u8("Next Payload")?;
    r.u8("Version")?;
    r.u8("Exchange Type")?;
    r.u8("Flags")?;
    r.u32("Message ID")?;
    let len_at = r.offset();
    let len = usize::try_from(r.u32("Length")?).unwrap_or(usize::MAX);
    if len < Header::LEN {
        return Err(Error::invalid(
            "Length",
            len_at,
            format!("{len} is shorter than the {}-octet IKE header", Header::LEN),
        ));
    }
    let msg = message
        .get(..len)
        .ok_or_else(|| Error::truncated("IKE message", 0, len, message.len()))?;
    if sk_offset < Header::LEN {
        return Err(Error::invalid(
            "Next Payload",
            HEADER_NEXT_PAYLOAD,
            format!("offset {sk_offset} of the Encrypted payload lies inside the IKE header"),
        ));
    }
    let mut off = Header::LEN;
    let mut next_at = HEADER_NEXT_PAYLOAD;
    let mut len_field_at = len_at;
    while off < sk_offset {
        if next == 0 {
            return Err(Error::invalid(
                "Next Payload",
                next_at,
                format!("the payload chain ends at offset {off}, before offset {sk_offset}"),
            ));
        }
        if next == SK || next == SKF {
            return Err(Error::invalid(
                "Next Payload",
                next_at,
                format!(
                    "the Encrypted payload at offset {off} must be the last one, yet offset {sk_offset} lies after it"
                ),
            ));
        }
        let mut p = Reader::new(msg.get(off..).unwrap_or(&[]), off);
        let np = p.u8("Next Payload")?;
        p.u8("Critical")?;
        len_field_at = p.offset();
        let plen = usize::from(p.u16("Payload Length")?);
        if plen < 4 {
            return Err(Error::invalid(
                "Payload Length",
                len_field_at,
                format!("{plen} is shorter than the 4-octet generic payload header"),
            ));
        }
        next_at = off;
        next = np;
        off += plen;
    }
    if off != sk_offset {
        return Err(Error::invalid(
            "Payload Length",
            len_field_at,
            format!("the payload ends at offset {off}: no payload starts at offset {sk_offset}"),
        ));
    }
    if next != SK && next != SKF {
        return Err(Error::invalid(
            "Next Payload",
            next_at,
            format!(
                "the payload at offset {sk_offset} has type {next}, not Encrypted (46) or Encrypted Fragment (53)"
            ),
        ));
    }
    Ok((msg, next))
}

fn open(
    msg: &[u8],
    sk_offset: usize,
    skf: bool,
    keys: &SaKeys,
    from_initiator: bool,
) -> Result<Decrypted> {
    keys.check()
        .map_err(|(field, why)| Error::invalid(field, sk_offset, why))?;
    let mut r = Reader::new(msg.get(sk_offset..).unwrap_or(&[]), sk_offset);
    let first_payload = r.u8("Next Payload")?;
    r.u8("Critical")?;
    let plen_at = r.offset();
    let plen = usize::from(r.u16("Payload Length")?);
    let fragment = if skf {
        let number_at = r.offset();
        let number = r.u16("Fragment Number")?;
        let total_at = r.offset();
        let total = r.u16("Total Fragments")?;
        if total == 0 {
            return Err(Error::invalid("Total Fragments", total_at, "0: at least 1"));
        }
        if number == 0 || number > total {
            return Err(Error::invalid(
                "Fragment Number",
                number_at,
                format!("{number}: fragments are numbered from 1 to Total Fragments ({total})"),
            ));
        }
        Some(Fragment { number, total })
    } else {
        None
    };
    let iv_at = r.offset();
    let head = iv_at - sk_offset;
    if plen < head {
        return Err(Error::invalid(
            "Payload Length",
            plen_at,
            format!("{plen} is shorter than the payload's {head}-octet header"),
        ));
    }
    let end = sk_offset + plen;
    if end > msg.len() {
        return Err(Error::truncated(
            "Payload Length",
            plen_at,
            plen,
            msg.len() - sk_offset,
        ));
    }
    if end < msg.len() {
        // RFC 7296 §3.14: the Encrypted payload MUST be the last payload in the message.
        return Err(Error::trailing("Payload Length", end, msg.len() - end));
    }
    let mut body = r.sub(plen - head, "Payload Length")?;

    let encr = keys.encr;
    let iv = body.take(encr.iv_len(), "Initialization Vector")?;
    let icv_len = encr.aead_icv_len().unwrap_or_else(|| keys.integ.icv_len());
    let ct_at = body.offset();
    if body.remaining() < icv_len + 1 {
        // At least the Pad Length octet, then the ICV.
        return Err(Error::truncated(
            if body.remaining() < icv_len {
                "Integrity Checksum Data"
            } else {
                "Pad Length"
            },
            ct_at,
            icv_len + 1,
            body.remaining(),
        ));
    }
    let ct = body.take(body.remaining() - icv_len, "Encrypted IKE Payloads")?;
    let icv_at = body.offset();
    let icv = body.take_rest();
    if ct.len() % encr.block_len() != 0 {
        return Err(Error::invalid(
            "Encrypted IKE Payloads",
            ct_at,
            format!(
                "{} octets: not a whole number of {}-octet blocks of {encr}",
                ct.len(),
                encr.block_len()
            ),
        ));
    }

    let (sk_e, sk_a, key_field) = if from_initiator {
        (&keys.sk_ei, &keys.sk_ai, "SK_ei")
    } else {
        (&keys.sk_er, &keys.sk_ar, "SK_er")
    };
    let setup = || Error::invalid(key_field, sk_offset, format!("rejected by {encr}"));
    let (key, salt) = sk_e.split_at(encr.cipher_key_len().min(sk_e.len()));

    let (plain, icv_ok) = if encr.is_aead() {
        let mut nonce = Vec::with_capacity(salt.len() + iv.len());
        nonce.extend_from_slice(salt);
        nonce.extend_from_slice(iv);
        let aad = &msg[..iv_at];
        combined(encr, key, &nonce, aad, ct, icv).ok_or_else(setup)?
    } else {
        let mut buf = ct.to_vec();
        separate(encr, key, salt, iv, &mut buf).ok_or_else(setup)?;
        let signed = &msg[..icv_at];
        let ok = integrity(keys.integ, sk_a, signed, icv).ok_or_else(|| {
            Error::invalid(
                if from_initiator { "SK_ai" } else { "SK_ar" },
                sk_offset,
                format!("rejected by {}", keys.integ),
            )
        })?;
        (buf, ok)
    };
    let verified_something = encr.is_aead() || keys.integ.key_len() > 0;

    // Pad Length is the last plaintext octet; ct is non-empty (checked above).
    let n = plain.len();
    let pad_len = plain.last().copied().unwrap_or(0);
    let pad_at = ct_at + n.saturating_sub(1);
    if usize::from(pad_len) + 1 > n {
        if verified_something && !icv_ok {
            return Err(Error::invalid(
                "Integrity Checksum Data",
                icv_at,
                format!(
                    "does not match (wrong keys or altered message); the decrypted Pad Length ({pad_len}) is impossible too"
                ),
            ));
        }
        return Err(Error::invalid(
            "Pad Length",
            pad_at,
            format!(
                "{pad_len} octets of Padding, but only {} octet(s) precede the Pad Length",
                n - 1
            ),
        ));
    }
    let mut plaintext = plain;
    plaintext.truncate(n - 1 - usize::from(pad_len));
    Ok(Decrypted {
        first_payload,
        plaintext,
        plaintext_offset: ct_at,
        pad_len,
        icv_ok,
        icv_checked: verified_something,
        fragment,
    })
}

/// NULL, CBC and CTR: decrypts `buf` in place. `None` if the cipher refused the key or IV.
pub(crate) fn separate(
    encr: Encr,
    key: &[u8],
    salt: &[u8],
    iv: &[u8],
    buf: &mut [u8],
) -> Option<()> {
    match encr {
        Encr::Null => Some(()),
        Encr::TripleDesCbc => cbc_decrypt::<des::TdesEde3>(key, iv, buf),
        Encr::AesCbc(AesBits::B128) => cbc_decrypt::<aes::Aes128>(key, iv, buf),
        Encr::AesCbc(AesBits::B192) => cbc_decrypt::<aes::Aes192>(key, iv, buf),
        Encr::AesCbc(AesBits::B256) => cbc_decrypt::<aes::Aes256>(key, iv, buf),
        Encr::AesCtr(bits) => {
            // RFC 3686 §4: nonce ‖ IV ‖ block counter (32 bits, big-endian, from 1).
            let block = counter_block(&[salt, iv], 1)?;
            match bits {
                AesBits::B128 => ctr_apply::<aes::Aes128>(key, &block, buf),
                AesBits::B192 => ctr_apply::<aes::Aes192>(key, &block, buf),
                AesBits::B256 => ctr_apply::<aes::Aes256>(key, &block, buf),
            }
        }
        Encr::AesGcm { .. } | Encr::AesCcm { .. } | Encr::ChaCha20Poly1305 => None,
    }
}

/// The combined-mode ciphers: plaintext and whether the tag verified.
pub(crate) fn combined(
    encr: Encr,
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ct: &[u8],
    icv: &[u8],
) -> Option<(Vec<u8>, bool)> {
    use aes::{Aes128, Aes192, Aes256};
    use AesBits::*;
    use IcvLen::*;
    match encr {
        Encr::AesGcm { key: B128, .. } => gcm::<Aes128>(key, nonce, aad, ct, icv),
        Encr::AesGcm { key: B192, .. } => gcm::<Aes192>(key, nonce, aad, ct, icv),
        Encr::AesGcm { key: B256, .. } => gcm::<Aes256>(key, nonce, aad, ct, icv),
        Encr::AesCcm {
            key: B128,
            icv: Octets8,
        } => ccm::<Aes128, U8>(key, nonce, aad, ct, icv),
        Encr::AesCcm {
            key: B128,
            icv: Octets12,
        } => ccm::<Aes128, U12>(key, nonce, aad, ct, icv),
        Encr::AesCcm {
            key: B128,
            icv: Octets16,
        } => ccm::<Aes128, U16>(key, nonce, aad, ct, icv),
        Encr::AesCcm {
            key: B192,
            icv: Octets8,
        } => ccm::<Aes192, U8>(key, nonce, aad, ct, icv),
        Encr::AesCcm {
            key: B192,
            icv: Octets12,
        } => ccm::<Aes192, U12>(key, nonce, aad, ct, icv),
        Encr::AesCcm {
            key: B192,
            icv: Octets16,
        } => ccm::<Aes192, U16>(key, nonce, aad, ct, icv),
        Encr::AesCcm {
            key: B256,
            icv: Octets8,
        } => ccm::<Aes256, U8>(key, nonce, aad, ct, icv),
        Encr::AesCcm {
            key: B256,
            icv: Octets12,
        } => ccm::<Aes256, U12>(key, nonce, aad, ct, icv),
        Encr::AesCcm {
            key: B256,
            icv: Octets16,
        } => ccm::<Aes256, U16>(key, nonce, aad, ct, icv),
        Encr::ChaCha20Poly1305 => chacha(key, nonce, aad, ct, icv),
        Encr::Null | Encr::TripleDesCbc | Encr::AesCbc(_) | Encr::AesCtr(_) => None,
    }
}

/// Checks the truncated HMAC `icv` over `signed`. `Some(false)` when there is nothing to check.
pub(crate) fn integrity(integ: Integ, key: &[u8], signed: &[u8], icv: &[u8]) -> Option<bool> {
    match integ {
        Integ::None | Integ::Unchecked(_) => Some(false),
        Integ::HmacMd5_96 | Integ::HmacMd5_128 => hmac_ok::<Hmac<md5::Md5>>(key, signed, icv),
        Integ::HmacSha1_96 | Integ::HmacSha1_160 => hmac_ok::<Hmac<sha1::Sha1>>(key, signed, icv),
        Integ::HmacSha2_256_96 | Integ::HmacSha2_256_128 => {
            hmac_ok::<Hmac<sha2::Sha256>>(key, signed, icv)
        }
        Integ::HmacSha2_384_192 => hmac_ok::<Hmac<sha2::Sha384>>(key, signed, icv),
        Integ::HmacSha2_512_256 => hmac_ok::<Hmac<sha2::Sha512>>(key, signed, icv),
    }
}

fn hmac_ok<M: Mac + KeyInit>(key: &[u8], signed: &[u8], icv: &[u8]) -> Option<bool> {
    let mut m = <M as KeyInit>::new_from_slice(key).ok()?;
    m.update(signed);
    // Constant-time comparison of the leftmost octets (RFC 2104 §5 truncation).
    Some(m.verify_truncated_left(icv).is_ok())
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<()>
where
    C: BlockDecryptMut + BlockCipher + KeyInit,
{
    let d = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    d.decrypt_padded_mut::<NoPadding>(buf).ok().map(|_| ())
}

/// A 16-octet counter block: the `parts` concatenated (12 octets) ‖ `counter` (32-bit BE).
fn counter_block(parts: &[&[u8]], counter: u32) -> Option<[u8; 16]> {
    let mut block = [0u8; 16];
    let mut at = 0;
    for p in parts {
        block.get_mut(at..at + p.len())?.copy_from_slice(p);
        at += p.len();
    }
    if at != 12 {
        return None;
    }
    block[12..].copy_from_slice(&counter.to_be_bytes());
    Some(block)
}

fn ctr_apply<C: Block128>(key: &[u8], block: &[u8; 16], buf: &mut [u8]) -> Option<()> {
    let mut c = ctr::Ctr32BE::<C>::new_from_slices(key, block).ok()?;
    c.try_apply_keystream(buf).ok()
}

/// Opens with a full-length tag; `None` on any failure (tag mismatch included).
fn aead_open<A: KeyInit + AeadInPlace>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ct: &[u8],
    tag: &[u8],
) -> Option<Vec<u8>> {
    let a = A::new_from_slice(key).ok()?;
    let n = GenericArray::from_exact_iter(nonce.iter().copied())?;
    let t = GenericArray::from_exact_iter(tag.iter().copied())?;
    let mut buf = ct.to_vec();
    a.decrypt_in_place_detached(&n, aad, &mut buf, &t).ok()?;
    Some(buf)
}

/// AES-GCM with a 16-, 12- or 8-octet ICV. aes-gcm has no 8-octet tag, so when the tag is not
/// the full 16 octets (or does not verify) the plaintext comes from GCM's own counter-mode
/// keystream and the full tag from sealing that plaintext again; the ICV is its leftmost octets
/// (NIST SP 800-38D §5.2.1.2, RFC 4106 §3).
fn gcm<C: Block128>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ct: &[u8],
    icv: &[u8],
) -> Option<(Vec<u8>, bool)> {
    if icv.len() == 16 {
        if let Some(pt) = aead_open::<AesGcm<C, U12, U16>>(key, nonce, aad, ct, icv) {
            return Some((pt, true));
        }
    }
    // SP 800-38D §7.2: J0 = nonce ‖ 1; the payload is encrypted from inc32(J0) = nonce ‖ 2.
    let block = counter_block(&[nonce], 2)?;
    let mut pt = ct.to_vec();
    ctr_apply::<C>(key, &block, &mut pt)?;
    let mut again = pt.clone();
    let n = GenericArray::from_exact_iter(nonce.iter().copied())?;
    let tag = AesGcm::<C, U12, U16>::new_from_slice(key)
        .ok()?
        .encrypt_in_place_detached(&n, aad, &mut again)
        .ok()?;
    let ok = tag
        .get(..icv.len())
        .is_some_and(|t| bool::from(t.ct_eq(icv)));
    Some((pt, ok))
}

/// AES-CCM (11-octet nonce) with a tag of `T` octets; on mismatch the plaintext comes from
/// CCM's counter-mode keystream (RFC 3610 §2.3: A_i = Flags (L-1 = 3) ‖ nonce ‖ i, payload
/// from i = 1).
fn ccm<C: Block128, T: ArrayLength<u8> + ccm::TagSize>(
    key: &[u8],
    nonce: &[u8],
    aad: &[u8],
    ct: &[u8],
    icv: &[u8],
) -> Option<(Vec<u8>, bool)> {
    if let Some(pt) = aead_open::<Ccm<C, T, U11>>(key, nonce, aad, ct, icv) {
        return Some((pt, true));
    }
    let block = counter_block(&[&[3u8], nonce], 1)?;
    let mut pt = ct.to_vec();
    ctr_apply::<C>(key, &block, &mut pt)?;
    Some((pt, false))
}

/// ChaCha20-Poly1305 (RFC 7634, RFC 8439); on mismatch the plaintext comes from the ChaCha20
/// keystream from block 1 (block 0 makes the Poly1305 key, RFC 8439 §2.8).
fn chacha(key: &[u8], nonce: &[u8], aad: &[u8], ct: &[u8], icv: &[u8]) -> Option<(Vec<u8>, bool)> {
    if let Some(pt) = aead_open::<ChaCha20Poly1305>(key, nonce, aad, ct, icv) {
        return Some((pt, true));
    }
    let mut c = chacha20::ChaCha20::new_from_slices(key, nonce).ok()?;
    c.try_seek(64u64).ok()?;
    let mut pt = ct.to_vec();
    c.try_apply_keystream(&mut pt).ok()?;
    Some((pt, false))
}

#[cfg(test)]
mod tests {
    //! Synthetic messages sealed here with the RustCrypto encryptors (independently of the
    //! decryption path, e.g. GCM-12 with aes-gcm's own 12-octet tag) for the ciphers the
    //! corpus captures don't cover; the captures themselves are in tests/decrypt.rs.
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::crypto::keytable::{AesBits::*, IcvLen::*};
    use aes::cipher::BlockEncryptMut;

    const SPI_I: u64 = 0x0001_0203_0405_0607;
    const SPI_R: u64 = 0x1011_1213_1415_1617;

    /// Inner chain: one Notify payload (type 41), 12 octets.
    const INNER: [u8; 12] = [
        0x00, 0x00, 0x00, 0x0c, // Next Payload 0, C 0, Payload Length 12
        0x00, 0x00, 0x40, 0x00, // Protocol ID 0, SPI Size 0, Notify Message Type 16384
        0xde, 0xad, 0xbe, 0xef, // Notification Data
    ];

    fn key_bytes(n: usize, seed: u8) -> Vec<u8> {
        (0..n)
            .map(|i| seed.wrapping_add(i as u8).wrapping_mul(7))
            .collect()
    }

    fn sa(encr: Encr, integ: Integ) -> SaKeys {
        SaKeys {
            spi_i: SPI_I,
            spi_r: SPI_R,
            sk_ei: key_bytes(encr.sk_len(), 1),
            sk_er: key_bytes(encr.sk_len(), 2),
            encr,
            sk_ai: key_bytes(integ.key_len(), 3),
            sk_ar: key_bytes(integ.key_len(), 4),
            integ,
        }
    }

    fn mac<M: Mac + KeyInit>(key: &[u8], data: &[u8], n: usize) -> Vec<u8> {
        let mut m = <M as KeyInit>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes()[..n].to_vec()
    }

    fn aead_seal<A: KeyInit + AeadInPlace>(
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Vec<u8> {
        A::new_from_slice(key)
            .unwrap()
            .encrypt_in_place_detached(GenericArray::from_slice(nonce), aad, buf)
            .unwrap()
            .to_vec()
    }

    fn cbc_seal<C: BlockEncryptMut + BlockCipher + KeyInit>(key: &[u8], iv: &[u8], buf: &mut [u8]) {
        let len = buf.len();
        cbc::Encryptor::<C>::new_from_slices(key, iv)
            .unwrap()
            .encrypt_padded_mut::<NoPadding>(buf, len)
            .unwrap();
    }

    /// A whole IKE_AUTH request carrying `INNER` in an SK (or SKF) payload, sealed with the
    /// initiator's keys; `pad` octets of padding.
    fn seal(keys: &SaKeys, pad: u8, frag: Option<(u16, u16)>) -> Vec<u8> {
        let encr = keys.encr;
        let iv: Vec<u8> = (0..encr.iv_len()).map(|i| 0xa0 + i as u8).collect();
        let mut pt = INNER.to_vec();
        pt.extend((1..=pad).map(|i| i.wrapping_mul(3)));
        pt.push(pad);
        let icv_len = encr.aead_icv_len().unwrap_or(keys.integ.icv_len());
        let head = if frag.is_some() { 8 } else { 4 };
        let plen = head + iv.len() + pt.len() + icv_len;
        let total = 28 + plen;
        let mut m = Vec::new();
        m.extend_from_slice(&SPI_I.to_be_bytes()); // IKE SA Initiator's SPI
        m.extend_from_slice(&SPI_R.to_be_bytes()); // IKE SA Responder's SPI
        m.push(if frag.is_some() { SKF } else { SK }); // Next Payload
        m.push(0x20); // Version 2.0
        m.push(35); // Exchange Type IKE_AUTH
        m.push(0x08); // Flags: Initiator
        m.extend_from_slice(&1u32.to_be_bytes()); // Message ID
        m.extend_from_slice(&(total as u32).to_be_bytes()); // Length
        m.push(41); // Next Payload: N
        m.push(0); // Critical, RESERVED
        m.extend_from_slice(&(plen as u16).to_be_bytes()); // Payload Length
        if let Some((n, t)) = frag {
            m.extend_from_slice(&n.to_be_bytes()); // Fragment Number
            m.extend_from_slice(&t.to_be_bytes()); // Total Fragments
        }
        let aad = m.clone();
        m.extend_from_slice(&iv); // Initialization Vector
        let (key, salt) = keys.sk_ei.split_at(encr.cipher_key_len());
        let nonce: Vec<u8> = salt.iter().chain(iv.iter()).copied().collect();
        let mut buf = pt.clone();
        let tag = match encr {
            Encr::Null => Vec::new(),
            Encr::TripleDesCbc => {
                cbc_seal::<des::TdesEde3>(key, &iv, &mut buf);
                Vec::new()
            }
            Encr::AesCbc(B128) => {
                cbc_seal::<aes::Aes128>(key, &iv, &mut buf);
                Vec::new()
            }
            Encr::AesCbc(B192) => {
                cbc_seal::<aes::Aes192>(key, &iv, &mut buf);
                Vec::new()
            }
            Encr::AesCbc(B256) => {
                cbc_seal::<aes::Aes256>(key, &iv, &mut buf);
                Vec::new()
            }
            Encr::AesCtr(B128) => {
                let block = counter_block(&[salt, &iv], 1).unwrap();
                ctr_apply::<aes::Aes128>(key, &block, &mut buf).unwrap();
                Vec::new()
            }
            Encr::AesGcm {
                key: B128,
                icv: Octets8,
            } => aead_seal::<AesGcm<aes::Aes128, U12, U16>>(key, &nonce, &aad, &mut buf)[..8]
                .to_vec(),
            Encr::AesGcm {
                key: B192,
                icv: Octets12,
            } => aead_seal::<AesGcm<aes::Aes192, U12, U12>>(key, &nonce, &aad, &mut buf),
            Encr::AesGcm {
                key: B128,
                icv: Octets16,
            } => aead_seal::<AesGcm<aes::Aes128, U12, U16>>(key, &nonce, &aad, &mut buf),
            Encr::AesCcm {
                key: B128,
                icv: Octets8,
            } => aead_seal::<Ccm<aes::Aes128, U8, U11>>(key, &nonce, &aad, &mut buf),
            Encr::AesCcm {
                key: B192,
                icv: Octets12,
            } => aead_seal::<Ccm<aes::Aes192, U12, U11>>(key, &nonce, &aad, &mut buf),
            Encr::AesCcm {
                key: B256,
                icv: Octets16,
            } => aead_seal::<Ccm<aes::Aes256, U16, U11>>(key, &nonce, &aad, &mut buf),
            Encr::ChaCha20Poly1305 => aead_seal::<ChaCha20Poly1305>(key, &nonce, &aad, &mut buf),
            other => panic!("no sealer for {other}"),
        };
        m.extend_from_slice(&buf); // Encrypted IKE Payloads, Padding, Pad Length
        if encr.is_aead() {
            m.extend_from_slice(&tag);
        } else {
            let k = &keys.sk_ai;
            let n = keys.integ.icv_len();
            let icv = match keys.integ {
                Integ::None => Vec::new(),
                Integ::HmacMd5_96 => mac::<Hmac<md5::Md5>>(k, &m, n),
                Integ::HmacSha1_96 => mac::<Hmac<sha1::Sha1>>(k, &m, n),
                Integ::HmacSha2_256_128 => mac::<Hmac<sha2::Sha256>>(k, &m, n),
                Integ::HmacSha2_384_192 => mac::<Hmac<sha2::Sha384>>(k, &m, n),
                Integ::HmacSha2_512_256 => mac::<Hmac<sha2::Sha512>>(k, &m, n),
                other => panic!("no MAC for {other}"),
            };
            m.extend_from_slice(&icv); // Integrity Checksum Data
        }
        assert_eq!(m.len(), total);
        m
    }

    fn cases() -> Vec<(SaKeys, u8)> {
        vec![
            (sa(Encr::Null, Integ::HmacSha2_256_128), 3),
            (sa(Encr::TripleDesCbc, Integ::HmacSha1_96), 3), // 12 + 3 + 1 = 16
            (sa(Encr::AesCbc(B128), Integ::HmacMd5_96), 19), // 12 + 19 + 1 = 32
            (sa(Encr::AesCbc(B192), Integ::HmacSha2_384_192), 3),
            (sa(Encr::AesCbc(B256), Integ::HmacSha2_512_256), 3),
            (sa(Encr::AesCtr(B128), Integ::HmacSha2_256_128), 0),
            (
                sa(
                    Encr::AesGcm {
                        key: B128,
                        icv: Octets8,
                    },
                    Integ::None,
                ),
                1,
            ),
            (
                sa(
                    Encr::AesGcm {
                        key: B192,
                        icv: Octets12,
                    },
                    Integ::None,
                ),
                0,
            ),
            (
                sa(
                    Encr::AesGcm {
                        key: B128,
                        icv: Octets16,
                    },
                    Integ::None,
                ),
                2,
            ),
            (
                sa(
                    Encr::AesCcm {
                        key: B128,
                        icv: Octets8,
                    },
                    Integ::None,
                ),
                0,
            ),
            (
                sa(
                    Encr::AesCcm {
                        key: B192,
                        icv: Octets12,
                    },
                    Integ::None,
                ),
                5,
            ),
            (
                sa(
                    Encr::AesCcm {
                        key: B256,
                        icv: Octets16,
                    },
                    Integ::None,
                ),
                0,
            ),
            (sa(Encr::ChaCha20Poly1305, Integ::None), 4),
        ]
    }

    #[test]
    fn every_cipher_round_trips() {
        for (keys, pad) in cases() {
            let m = seal(&keys, pad, None);
            let d = decrypt(&m, 28, &keys, true).unwrap_or_else(|e| panic!("{}: {e}", keys.encr));
            assert!(d.icv_ok, "{} / {}", keys.encr, keys.integ);
            assert_eq!(d.first_payload, 41);
            assert_eq!(d.plaintext, INNER, "{}", keys.encr);
            assert_eq!(d.pad_len, pad);
            assert_eq!(d.plaintext_offset, 32 + keys.encr.iv_len());
            assert_eq!(d.fragment, None);
        }
    }

    #[test]
    fn fragments_authenticate_their_number_fields() {
        for (keys, pad) in cases() {
            let m = seal(&keys, pad, Some((2, 3)));
            let d = decrypt(&m, 28, &keys, true).unwrap();
            assert!(d.icv_ok, "{}", keys.encr);
            assert_eq!(d.plaintext, INNER);
            assert_eq!(
                d.fragment,
                Some(Fragment {
                    number: 2,
                    total: 3
                })
            );
            // Fragment Number is covered by the ICV (HMAC input or AEAD associated data).
            let mut bad = m.clone();
            bad[33] = 1;
            let d = decrypt(&bad, 28, &keys, true).unwrap();
            assert!(!d.icv_ok, "{}", keys.encr);
        }
    }

    #[test]
    fn wrong_direction_or_altered_octets_fail_the_icv_without_panicking() {
        for (keys, pad) in cases() {
            let m = seal(&keys, pad, None);
            // Responder keys on an initiator message.
            match decrypt(&m, 28, &keys, false) {
                Ok(d) => assert!(!d.icv_ok, "{}", keys.encr),
                Err(e) => assert_eq!(e.field, "Integrity Checksum Data", "{}: {e}", keys.encr),
            }
            // Every single-octet change after the Length field (which would only truncate).
            for i in (0..m.len()).filter(|i| !(24..28).contains(i)) {
                let mut bad = m.clone();
                bad[i] ^= 0x01;
                if let Ok(d) = decrypt(&bad, 28, &keys, true) {
                    assert!(!d.icv_ok, "{}: octet {i} changed, ICV still ok", keys.encr);
                }
            }
        }
    }

    #[test]
    fn aead_mismatch_still_yields_the_plaintext() {
        // Only the tag is altered: the keystream fallback must give the right plaintext.
        for (keys, pad) in cases().into_iter().filter(|(k, _)| k.encr.is_aead()) {
            let mut m = seal(&keys, pad, None);
            let last = m.len() - 1;
            m[last] ^= 0x80;
            let d = decrypt(&m, 28, &keys, true).unwrap();
            assert!(!d.icv_ok, "{}", keys.encr);
            assert_eq!(d.plaintext, INNER, "{}", keys.encr);
        }
    }

    #[test]
    fn truncation_at_every_length_is_an_error() {
        for (keys, pad) in cases() {
            let m = seal(&keys, pad, None);
            for n in 0..m.len() {
                let mut cut = m[..n].to_vec();
                assert!(decrypt(&cut, 28, &keys, true).is_err());
                // Same with the Length field saying n: the SK payload's length then overruns.
                if n >= 28 {
                    cut[24..28].copy_from_slice(&(n as u32).to_be_bytes());
                    let e = decrypt(&cut, 28, &keys, true).unwrap_err();
                    assert!(
                        n == 28 || e.path == ["Encrypted payload"],
                        "{}: {e}",
                        keys.encr
                    );
                }
            }
        }
    }

    #[test]
    fn errors_name_field_and_offset() {
        let keys = sa(Encr::AesCbc(B128), Integ::HmacSha1_96);
        let m = seal(&keys, 3, None);
        // Payload Length 4 + 16 (IV) + 5 ciphertext + 12 ICV: not whole blocks.
        let mut bad = m[..28 + 4 + 16 + 5 + 12].to_vec();
        let l = bad.len();
        bad[24..28].copy_from_slice(&(l as u32).to_be_bytes()); // Length
        bad[30..32].copy_from_slice(&((l - 28) as u16).to_be_bytes()); // Payload Length
        let e = decrypt(&bad, 28, &keys, true).unwrap_err();
        assert_eq!((e.field, e.offset), ("Encrypted IKE Payloads", 48), "{e}");
        // Only room for part of the IV.
        let mut bad = m[..28 + 4 + 10].to_vec();
        let l = bad.len();
        bad[24..28].copy_from_slice(&(l as u32).to_be_bytes()); // Length
        bad[30..32].copy_from_slice(&14u16.to_be_bytes());
        let e = decrypt(&bad, 28, &keys, true).unwrap_err();
        assert_eq!((e.field, e.offset), ("Initialization Vector", 32), "{e}");
        assert_eq!(
            e.kind,
            crate::error::ErrorKind::Truncated {
                needed: 16,
                available: 10
            }
        );
        // Pad Length too large, with integrity not checked (so it is the padding's fault).
        let null = sa(Encr::Null, Integ::None);
        let mut m = seal(&null, 3, None);
        let last = m.len() - 1;
        m[last] = 200;
        let e = decrypt(&m, 28, &null, true).unwrap_err();
        assert_eq!((e.field, e.offset), ("Pad Length", last), "{e}");
        assert!(
            e.to_string().contains("Encrypted payload: Pad Length"),
            "{e}"
        );
        // The same with a checked HMAC: the ICV is the cause.
        let keys = sa(Encr::Null, Integ::HmacSha2_256_128);
        let mut m = seal(&keys, 3, None);
        let pad_at = m.len() - 17;
        m[pad_at] = 200;
        let e = decrypt(&m, 28, &keys, true).unwrap_err();
        assert_eq!(
            (e.field, e.offset),
            ("Integrity Checksum Data", pad_at + 1),
            "{e}"
        );
        // Not an SK payload, inside the header, past a payload, trailing octets.
        let keys = sa(Encr::AesCbc(B128), Integ::HmacSha1_96);
        let mut m = seal(&keys, 3, None);
        let e = decrypt(&m, 4, &keys, true).unwrap_err();
        assert_eq!(e.field, "Next Payload");
        let e = decrypt(&m, 40, &keys, true).unwrap_err();
        assert_eq!(e.field, "Next Payload", "{e}");
        m[16] = 41;
        let e = decrypt(&m, 28, &keys, true).unwrap_err();
        assert_eq!((e.field, e.offset), ("Next Payload", 16), "{e}");
        assert!(e.to_string().contains("type 41"), "{e}");
        let mut m = seal(&keys, 3, None);
        m.push(0);
        let l = m.len() as u32;
        m[24..28].copy_from_slice(&l.to_be_bytes());
        let e = decrypt(&m, 28, &keys, true).unwrap_err();
        assert_eq!(e.kind, crate::error::ErrorKind::Trailing { len: 1 }, "{e}");
        // SKF fragment numbers.
        let mut m = seal(&keys, 3, Some((1, 1)));
        m[32..34].copy_from_slice(&2u16.to_be_bytes());
        let e = decrypt(&m, 28, &keys, true).unwrap_err();
        assert_eq!((e.field, e.offset), ("Fragment Number", 32), "{e}");
        assert_eq!(e.path, ["Encrypted Fragment payload"]);
    }

    #[test]
    fn inconsistent_keys_are_an_error_not_a_panic() {
        let mut keys = sa(
            Encr::AesGcm {
                key: B256,
                icv: Octets16,
            },
            Integ::None,
        );
        let m = seal(
            &sa(
                Encr::AesGcm {
                    key: B128,
                    icv: Octets16,
                },
                Integ::None,
            ),
            0,
            None,
        );
        keys.sk_ei.pop();
        let e = decrypt(&m, 28, &keys, true).unwrap_err();
        assert_eq!(e.field, "SK_ei", "{e}");
    }

    #[test]
    fn walks_to_an_sk_payload_after_others() {
        // Header → N (8 octets) → SK: decrypt(…, 36, …) with the AAD/HMAC covering the N.
        let keys = sa(Encr::AesCbc(B128), Integ::HmacSha1_96);
        let m = seal(&keys, 3, None);
        let mut with_n = m[..28].to_vec();
        with_n[16] = 41; // Next Payload: N
        with_n.extend_from_slice(&[SK, 0, 0, 8, 0, 0, 0x40, 0x01]); // N payload, next = SK
        with_n.extend_from_slice(&m[28..]);
        let l = with_n.len() as u32;
        with_n[24..28].copy_from_slice(&l.to_be_bytes());
        let d = decrypt(&with_n, 36, &keys, true).unwrap();
        assert!(
            !d.icv_ok,
            "the HMAC was over the message without the N payload"
        );
        assert_eq!(d.plaintext_offset, 36 + 4 + 16);
    }
}
