//! Key material of an IKE SA (RFC 7296 §2.13, §2.14, §2.15, §2.17, §2.18): the pseudorandom
//! functions, prf+, SKEYSEED and the SK_* keys, the PSK AUTH value, CHILD_SA KEYMAT, and the
//! ikev2_decryption_table line that lets Wireshark (and `keytable::parse_table`) decrypt the SA.
//!
//! ```text
//! SKEYSEED = prf(Ni | Nr, g^ir)
//! {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
//! prf+ (K,S) = T1 | T2 | T3 | …   where T1 = prf (K, S | 0x01), T2 = prf (K, T1 | S | 0x02), …
//! AUTH (PSK) = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
//! KEYMAT     = prf+(SK_d, Ni | Nr)             (CHILD_SA, §2.17; with PFS: g^ir (new) | Ni | Nr)
//! SKEYSEED   = prf(SK_d (old), g^ir (new) | Ni | Nr)            (IKE SA rekey, §2.18)
//! ```
//!
//! SK_d, SK_pi and SK_pr have the PRF's preferred key length (its output length: 16 octets for
//! AES-XCBC and AES-CMAC); SK_ai/SK_ar the integrity algorithm's key length; SK_ei/SK_er the
//! cipher key plus, for counter and combined modes, the salt (RFC 5930 §3, RFC 5282 §7.1,
//! RFC 7634 §2), exactly as `keytable::Encr::sk_len` counts them. For the fixed-key PRFs (AES-XCBC,
//! AES-CMAC) SKEYSEED's key is the first 64 bits of Ni and of Nr only (§2.14).
//!
//! HMAC is RustCrypto's `hmac`, AES-CMAC RustCrypto's `cmac`; AES-XCBC-MAC (RFC 3566) is written
//! here on top of the `aes` block cipher because no maintained crate provides it (it is twenty
//! lines and checked against every test vector of RFC 3566 and RFC 4434).

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;
use hmac::{Hmac, Mac};

use crate::crypto::keytable::{Encr, Integ, SaKeys};
use crate::wire::registry::PrfId;

/// A pseudorandom function of IKEv2 (Transform Type 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prf {
    kind: PrfKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum PrfKind {
    HmacMd5,
    HmacSha1,
    Aes128Xcbc,
    HmacSha256,
    HmacSha384,
    HmacSha512,
    Aes128Cmac,
}

/// The longest prf+ output: 255 iterations (RFC 7296 §2.13: the counter is one octet).
const PRF_PLUS_MAX_ITERATIONS: usize = 255;

impl Prf {
    /// The PRF with Transform ID `id`: PRF_HMAC_MD5 (1), PRF_HMAC_SHA1 (2), PRF_AES128_XCBC (4,
    /// RFC 4434), PRF_HMAC_SHA2_256/384/512 (5–7, RFC 4868), PRF_AES128_CMAC (8, RFC 4615).
    pub fn from_id(id: PrfId) -> Option<Prf> {
        let kind = match id.0 {
            1 => PrfKind::HmacMd5,
            2 => PrfKind::HmacSha1,
            4 => PrfKind::Aes128Xcbc,
            5 => PrfKind::HmacSha256,
            6 => PrfKind::HmacSha384,
            7 => PrfKind::HmacSha512,
            8 => PrfKind::Aes128Cmac,
            _ => return None,
        };
        Some(Prf { kind })
    }

    /// The Transform ID.
    pub fn id(&self) -> PrfId {
        PrfId(match self.kind {
            PrfKind::HmacMd5 => 1,
            PrfKind::HmacSha1 => 2,
            PrfKind::Aes128Xcbc => 4,
            PrfKind::HmacSha256 => 5,
            PrfKind::HmacSha384 => 6,
            PrfKind::HmacSha512 => 7,
            PrfKind::Aes128Cmac => 8,
        })
    }

    /// Length of one output block.
    pub fn output_len(&self) -> usize {
        match self.kind {
            PrfKind::HmacMd5 | PrfKind::Aes128Xcbc | PrfKind::Aes128Cmac => 16,
            PrfKind::HmacSha1 => 20,
            PrfKind::HmacSha256 => 32,
            PrfKind::HmacSha384 => 48,
            PrfKind::HmacSha512 => 64,
        }
    }

    /// The preferred key length, i.e. the length of SK_d, SK_pi and SK_pr (RFC 7296 §2.13:
    /// the output length for HMAC; 128 bits for AES-XCBC and AES-CMAC).
    pub fn key_len(&self) -> usize {
        self.output_len()
    }

    /// True for the PRFs with a fixed 128-bit key (AES-XCBC, AES-CMAC), for which SKEYSEED
    /// takes only the first 64 bits of each nonce (RFC 7296 §2.14).
    pub fn is_fixed_key(&self) -> bool {
        matches!(self.kind, PrfKind::Aes128Xcbc | PrfKind::Aes128Cmac)
    }

    /// prf(key, data). Keys of any length are accepted: HMAC hashes long keys (RFC 2104);
    /// AES-XCBC-PRF-128 pads short keys with zeros and shortens long ones with a zero-key
    /// XCBC-MAC (RFC 4434 §2); AES-CMAC-PRF-128 derives any key that is not 128 bits with a
    /// zero-key CMAC (RFC 4615 §3).
    pub fn prf(&self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self.kind {
            PrfKind::HmacMd5 => hmac::<Hmac<md5::Md5>>(key, data),
            PrfKind::HmacSha1 => hmac::<Hmac<sha1::Sha1>>(key, data),
            PrfKind::HmacSha256 => hmac::<Hmac<sha2::Sha256>>(key, data),
            PrfKind::HmacSha384 => hmac::<Hmac<sha2::Sha384>>(key, data),
            PrfKind::HmacSha512 => hmac::<Hmac<sha2::Sha512>>(key, data),
            PrfKind::Aes128Xcbc => {
                let k: [u8; 16] = match key.len() {
                    16 => array16(key),
                    n if n < 16 => {
                        let mut k = [0u8; 16];
                        k[..n].copy_from_slice(key);
                        k
                    }
                    _ => xcbc_mac(&[0u8; 16], key),
                };
                xcbc_mac(&k, data).to_vec()
            }
            PrfKind::Aes128Cmac => {
                let k = if key.len() == 16 {
                    array16(key)
                } else {
                    cmac(&[0u8; 16], key)
                };
                cmac(&k, data).to_vec()
            }
        }
    }

    /// prf+(key, seed) cut to `len` octets (RFC 7296 §2.13). prf+ is defined for at most 255
    /// blocks; a longer request yields those 255 blocks only (see [`Prf::try_prf_plus`]).
    pub fn prf_plus(&self, key: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
        let max = PRF_PLUS_MAX_ITERATIONS * self.output_len();
        self.expand(key, seed, len.min(max))
    }

    /// prf+(key, seed) of `len` octets, or `None` when `len` needs more than 255 blocks.
    pub fn try_prf_plus(&self, key: &[u8], seed: &[u8], len: usize) -> Option<Vec<u8>> {
        (len <= PRF_PLUS_MAX_ITERATIONS * self.output_len()).then(|| self.expand(key, seed, len))
    }

    fn expand(&self, key: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + self.output_len());
        let mut t: Vec<u8> = Vec::new();
        let mut input = Vec::with_capacity(self.output_len() + seed.len() + 1);
        let mut counter: u8 = 1;
        while out.len() < len {
            input.clear();
            input.extend_from_slice(&t);
            input.extend_from_slice(seed);
            input.push(counter);
            t = self.prf(key, &input);
            out.extend_from_slice(&t);
            counter = counter.wrapping_add(1);
        }
        out.truncate(len);
        out
    }
}

fn hmac<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of every length, so `new_from_slice` cannot fail for it.
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn array16(b: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    a
}

fn aes_block(cipher: &Aes128, block: [u8; 16]) -> [u8; 16] {
    let mut b = block.into();
    cipher.encrypt_block(&mut b);
    b.into()
}

fn xor16(a: &mut [u8; 16], b: &[u8]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// AES-XCBC-MAC (RFC 3566 §4), full 128-bit output.
///
/// K1 = E(K, 0x01…), K2 = E(K, 0x02…), K3 = E(K, 0x03…); CBC-MAC under K1, where the last
/// block is XORed with K2 when it is complete, else padded with 0x80 00… and XORed with K3.
fn xcbc_mac(key: &[u8; 16], msg: &[u8]) -> [u8; 16] {
    let k = Aes128::new(key.into());
    let k1 = aes_block(&k, [1; 16]);
    let k2 = aes_block(&k, [2; 16]);
    let k3 = aes_block(&k, [3; 16]);
    let c1 = Aes128::new(&k1.into());
    let blocks = msg.len().div_ceil(16).max(1);
    let mut e = [0u8; 16];
    for i in 0..blocks - 1 {
        xor16(&mut e, &msg[16 * i..16 * i + 16]);
        e = aes_block(&c1, e);
    }
    let last = &msg[16 * (blocks - 1)..];
    xor16(&mut e, last);
    if last.len() == 16 {
        xor16(&mut e, &k2);
    } else {
        e[last.len()] ^= 0x80;
        xor16(&mut e, &k3);
    }
    aes_block(&c1, e)
}

/// AES-CMAC (RFC 4493) with a 128-bit key.
fn cmac(key: &[u8; 16], msg: &[u8]) -> [u8; 16] {
    let mut m = <cmac::Cmac<Aes128> as KeyInit>::new(key.into());
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// The keys of an IKE SA (RFC 7296 §2.14). Secrets: `Debug` prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeSaKeys {
    /// SKEYSEED.
    pub skeyseed: Vec<u8>,
    /// SK_d, for deriving CHILD_SA keys and the keys of a rekeyed IKE SA.
    pub sk_d: Vec<u8>,
    /// SK_ai (empty for combined-mode ciphers).
    pub sk_ai: Vec<u8>,
    /// SK_ar.
    pub sk_ar: Vec<u8>,
    /// SK_ei, with the salt for counter and combined modes.
    pub sk_ei: Vec<u8>,
    /// SK_er.
    pub sk_er: Vec<u8>,
    /// SK_pi, for the initiator's AUTH.
    pub sk_pi: Vec<u8>,
    /// SK_pr, for the responder's AUTH.
    pub sk_pr: Vec<u8>,
}

/// SKEYSEED = prf(Ni | Nr, g^ir), and the SK_* from it (RFC 7296 §2.14). `ni` and `nr` are
/// the Nonce Data of the IKE_SA_INIT exchange, `shared` g^ir from `key_exchange::KeyExchange`.
#[allow(clippy::too_many_arguments)]
pub fn derive_ike_sa(
    prf: &Prf,
    encr: Encr,
    integ: Integ,
    ni: &[u8],
    nr: &[u8],
    shared: &[u8],
    spi_i: u64,
    spi_r: u64,
) -> IkeSaKeys {
    let key: Vec<u8> = if prf.is_fixed_key() {
        // §2.14: "only the first 64 bits of Ni and the first 64 bits of Nr are used in
        // calculating SKEYSEED, but all the bits are used for input to the prf+ function".
        let half = |n: &[u8]| n[..n.len().min(8)].to_vec();
        [half(ni), half(nr)].concat()
    } else {
        [ni, nr].concat()
    };
    let skeyseed = prf.prf(&key, shared);
    split(prf, skeyseed, encr, integ, ni, nr, spi_i, spi_r)
}

/// The keys of the new IKE SA of a CREATE_CHILD_SA rekey (RFC 7296 §2.18):
/// SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), then the split of §2.14 with the new SPIs
/// and the nonces of the CREATE_CHILD_SA exchange. `prf` is the new SA's PRF.
#[allow(clippy::too_many_arguments)]
pub fn derive_rekeyed_ike_sa(
    prf: &Prf,
    old_sk_d: &[u8],
    encr: Encr,
    integ: Integ,
    ni: &[u8],
    nr: &[u8],
    shared: &[u8],
    spi_i: u64,
    spi_r: u64,
) -> IkeSaKeys {
    let skeyseed = prf.prf(old_sk_d, &[shared, ni, nr].concat());
    split(prf, skeyseed, encr, integ, ni, nr, spi_i, spi_r)
}

/// {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr).
#[allow(clippy::too_many_arguments)]
pub fn split(
    prf: &Prf,
    skeyseed: Vec<u8>,
    encr: Encr,
    integ: Integ,
    ni: &[u8],
    nr: &[u8],
    spi_i: u64,
    spi_r: u64,
) -> IkeSaKeys {
    let (d, a, e) = (prf.key_len(), integ.key_len(), encr.sk_len());
    let seed = [ni, nr, &spi_i.to_be_bytes(), &spi_r.to_be_bytes()].concat();
    let total = d + 2 * a + 2 * e + 2 * d;
    let km = prf.prf_plus(&skeyseed, &seed, total);
    let mut at = 0;
    let mut take = |n: usize| {
        let v = km.get(at..at + n).map(<[u8]>::to_vec).unwrap_or_default();
        at += n;
        v
    };
    IkeSaKeys {
        sk_d: take(d),
        sk_ai: take(a),
        sk_ar: take(a),
        sk_ei: take(e),
        sk_er: take(e),
        sk_pi: take(d),
        sk_pr: take(d),
        skeyseed,
    }
}

impl IkeSaKeys {
    /// The keys as one line of Wireshark's ikev2_decryption_table.
    pub fn table_keys(&self, spi_i: u64, spi_r: u64, encr: Encr, integ: Integ) -> SaKeys {
        SaKeys {
            spi_i,
            spi_r,
            sk_ei: self.sk_ei.clone(),
            sk_er: self.sk_er.clone(),
            encr,
            sk_ai: self.sk_ai.clone(),
            sk_ar: self.sk_ar.clone(),
            integ,
        }
    }
}

/// The key pad of RFC 7296 §2.15 (17 ASCII characters, no terminating NUL).
pub const KEY_PAD: &[u8] = b"Key Pad for IKEv2";

/// `AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)` (RFC 7296 §2.15), the
/// Authentication Data of an AUTH payload with method Shared Key Message Integrity Code (2).
pub fn psk_auth(prf: &Prf, psk: &[u8], signed_octets: &[u8]) -> Vec<u8> {
    prf.prf(&prf.prf(psk, KEY_PAD), signed_octets)
}

/// `<SignedOctets>` of RFC 7296 §2.15: `real_message` (the sender's whole first message: the
/// IKE_SA_INIT request for the initiator, the response for the responder) | the peer's Nonce
/// Data | prf(SK_p, RestOf…IDPayload), where `sk_p` is the sender's SK_pi or SK_pr and
/// `id_body` the sender's ID payload from the ID Type octet on (without the generic header).
pub fn signed_octets(
    prf: &Prf,
    real_message: &[u8],
    peer_nonce: &[u8],
    sk_p: &[u8],
    id_body: &[u8],
) -> Vec<u8> {
    let maced_id = prf.prf(sk_p, id_body);
    [real_message, peer_nonce, &maced_id].concat()
}

/// KEYMAT = prf+(SK_d, Ni | Nr) (RFC 7296 §2.17), `len` octets, for a CHILD_SA created in
/// IKE_AUTH or without PFS; `ni`, `nr` are the nonces of the exchange that creates it.
pub fn derive_child_sa(prf: &Prf, sk_d: &[u8], ni: &[u8], nr: &[u8], len: usize) -> Vec<u8> {
    prf.prf_plus(sk_d, &[ni, nr].concat(), len)
}

/// KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr) (RFC 7296 §2.17), a CHILD_SA with PFS.
pub fn derive_child_sa_pfs(
    prf: &Prf,
    sk_d: &[u8],
    shared: &[u8],
    ni: &[u8],
    nr: &[u8],
    len: usize,
) -> Vec<u8> {
    prf.prf_plus(sk_d, &[shared, ni, nr].concat(), len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keytable::{parse_table, table_line, AesBits, IcvLen};

    /// Hex digits (white space ignored) to octets.
    fn hexd(s: &str) -> Vec<u8> {
        ::hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    fn prf(id: u16) -> Prf {
        Prf::from_id(PrfId(id)).unwrap()
    }

    #[test]
    fn ids_and_lengths() {
        for (id, out) in [
            (1, 16),
            (2, 20),
            (4, 16),
            (5, 32),
            (6, 48),
            (7, 64),
            (8, 16),
        ] {
            let p = prf(id);
            assert_eq!(p.id(), PrfId(id));
            assert_eq!(p.output_len(), out);
            assert_eq!(p.key_len(), out);
            assert_eq!(p.prf(b"k", b"d").len(), out);
            assert_eq!(p.is_fixed_key(), id == 4 || id == 8);
        }
        for id in [0, 3, 9, 1024] {
            assert!(Prf::from_id(PrfId(id)).is_none());
        }
    }

    /// RFC 4231 §4.2/§4.3 (SHA-2), RFC 2202 §2/§3 (MD5, SHA-1): HMAC is RustCrypto's; this
    /// checks the wiring to the right hash.
    #[test]
    fn hmac_known_answers() {
        let key = [0x0b; 20];
        assert_eq!(
            prf(5).prf(&key, b"Hi There"),
            hexd("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        );
        assert_eq!(
            prf(6).prf(&key, b"Hi There"),
            hexd("afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6")
        );
        assert_eq!(
            prf(7).prf(&key, b"Hi There"),
            hexd("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")
        );
        assert_eq!(
            prf(1).prf(&[0x0b; 16], b"Hi There"),
            hexd("9294727a3638bb1c13f48ef8158bfc9d")
        );
        assert_eq!(
            prf(2).prf(b"Jefe", b"what do ya want for nothing?"),
            hexd("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
    }

    /// RFC 3566 §4.6 (AES-XCBC-MAC, full 128 bits) and RFC 4434 §5 (key lengths 10 and 18).
    #[test]
    fn aes_xcbc_prf_rfc3566_rfc4434() {
        let p = prf(4);
        let key = hexd("000102030405060708090a0b0c0d0e0f");
        let msg: Vec<u8> = (0u8..34).collect();
        for (n, out) in [
            (0, "75f0251d528ac01c4573dfd584d79f29"),
            (3, "5b376580ae2f19afe7219ceef172756f"),
            (16, "d2a246fa349b68a79998a4394ff7a263"),
            (20, "47f51b4564966215b8985c63055ed308"),
            (32, "f54f0ec8d2b9f3d36807734bd5283fd4"),
            (34, "becbb3bccdb518a30677d5481fb6b4d8"),
        ] {
            assert_eq!(p.prf(&key, &msg[..n]), hexd(out), "{n}-octet input");
        }
        assert_eq!(
            p.prf(&key, &[0u8; 1000]),
            hexd("f0dafee895db30253761103b5d84528f")
        );
        assert_eq!(
            p.prf(&hexd("00010203040506070809"), &msg[..20]),
            hexd("0fa087af7d866e7653434e602fdde835")
        );
        assert_eq!(
            p.prf(&hexd("000102030405060708090a0b0c0d0e0fedcb"), &msg[..20]),
            hexd("8cd3c93ae598a9803006ffb67c40e9e4")
        );
    }

    /// RFC 4615 §4 (AES-CMAC-PRF-128 with key lengths 18, 16 and 10).
    #[test]
    fn aes_cmac_prf_rfc4615() {
        let p = prf(8);
        let msg: Vec<u8> = (0u8..20).collect();
        for (key, out) in [
            (
                "000102030405060708090a0b0c0d0e0fedcb",
                "84a348a4a45d235babfffc0d2b4da09a",
            ),
            (
                "000102030405060708090a0b0c0d0e0f",
                "980ae87b5f4c9c5214f5b6a8455e4c2d",
            ),
            ("00010203040506070809", "290d9e112edb09ee141fcf64c0b72f3d"),
        ] {
            assert_eq!(p.prf(&hexd(key), &msg), hexd(out), "key {key}");
        }
    }

    /// NIST CAVP's IKEv2 KDF vector (SP 800-135, HMAC-SHA1): SKEYSEED, the 132-octet prf+
    /// output (DKM) and the rekey SKEYSEED.
    #[test]
    fn cavp_ikev2_kdf_sha1() {
        let p = prf(2);
        let ni = hexd("32b50d5f4a3763f3");
        let nr = hexd("9206a04b26564cb1");
        let gir = hexd("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52");
        let gir_new = hexd("863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330");
        let (spi_i, spi_r) = (0x34c9_e7c1_8886_8785, 0x3ff7_7d76_0d2b_2199);
        let dkm = hexd(
            "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002
             a2a63080e514a062768b76606f9fa5e992204fc5a670bde3f10d6b027113936a
             5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd1119
             8af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435
             a7a56cc4",
        );
        // AES-CBC-128 + HMAC-SHA1-96: 20 + 2·20 + 2·16 + 2·20 = 132 octets, the DKM's length.
        let encr = Encr::AesCbc(AesBits::B128);
        let integ = Integ::HmacSha1_96;
        let k = derive_ike_sa(&p, encr, integ, &ni, &nr, &gir, spi_i, spi_r);
        assert_eq!(k.skeyseed, hexd("a9a7b222b59f8f48645f28a1db5b5f5d7479cba7"));
        let all = [
            &k.sk_d[..],
            &k.sk_ai,
            &k.sk_ar,
            &k.sk_ei,
            &k.sk_er,
            &k.sk_pi,
            &k.sk_pr,
        ]
        .concat();
        assert_eq!(all, dkm);
        assert_eq!(
            p.prf_plus(
                &k.skeyseed,
                &[&ni[..], &nr, &hexd("34c9e7c1888687853ff77d760d2b2199")].concat(),
                132
            ),
            dkm
        );
        let r = derive_rekeyed_ike_sa(&p, &k.sk_d, encr, integ, &ni, &nr, &gir_new, 1, 2);
        assert_eq!(r.skeyseed, hexd("63e81194946ebd05df7df5ebf5d8750056bf1f1d"));
    }

    #[test]
    fn prf_plus_structure_and_limits() {
        let p = prf(5);
        let (k, s) = (b"key".as_slice(), b"seed".as_slice());
        let t1 = p.prf(k, &[s, &[1]].concat());
        let t2 = p.prf(k, &[&t1[..], s, &[2]].concat());
        let out = p.prf_plus(k, s, 40);
        assert_eq!(out, [&t1[..], &t2[..8]].concat());
        assert_eq!(p.prf_plus(k, s, 0), Vec::<u8>::new());
        assert_eq!(
            p.try_prf_plus(k, s, 255 * 32).map(|v| v.len()),
            Some(255 * 32)
        );
        assert_eq!(p.try_prf_plus(k, s, 255 * 32 + 1), None);
        assert_eq!(p.prf_plus(k, s, 300 * 32).len(), 255 * 32);
    }

    #[test]
    fn fixed_key_prfs_use_64_bits_of_each_nonce() {
        let ni: Vec<u8> = (0u8..32).collect();
        let nr: Vec<u8> = (100u8..132).collect();
        let encr = Encr::AesCbc(AesBits::B128);
        for id in [4, 8] {
            let p = prf(id);
            let k = derive_ike_sa(&p, encr, Integ::HmacSha1_96, &ni, &nr, b"gir", 1, 2);
            let key = [&ni[..8], &nr[..8]].concat();
            assert_eq!(k.skeyseed, p.prf(&key, b"gir"));
            // prf+ still takes the whole nonces.
            let seed = [&ni[..], &nr, &1u64.to_be_bytes(), &2u64.to_be_bytes()].concat();
            assert_eq!(k.sk_d, p.prf_plus(&k.skeyseed, &seed, 16));
        }
        let p = prf(5);
        let k = derive_ike_sa(&p, encr, Integ::HmacSha1_96, &ni, &nr, b"gir", 1, 2);
        assert_eq!(k.skeyseed, p.prf(&[&ni[..], &nr].concat(), b"gir"));
    }

    #[test]
    fn split_lengths_follow_the_algorithms() {
        let p = prf(6);
        let gcm = Encr::AesGcm {
            key: AesBits::B256,
            icv: IcvLen::Octets16,
        };
        let k = derive_ike_sa(&p, gcm, Integ::None, b"ni", b"nr", b"s", 1, 2);
        assert_eq!(
            [k.sk_d.len(), k.sk_ai.len(), k.sk_ei.len(), k.sk_pr.len()],
            [48, 0, 36, 48]
        );
        let k = derive_ike_sa(
            &p,
            Encr::AesCcm {
                key: AesBits::B128,
                icv: IcvLen::Octets8,
            },
            Integ::None,
            b"ni",
            b"nr",
            b"s",
            1,
            2,
        );
        assert_eq!(k.sk_er.len(), 19);
        let k = derive_ike_sa(
            &p,
            Encr::TripleDesCbc,
            Integ::HmacSha2_512_256,
            b"n",
            b"n",
            b"s",
            1,
            2,
        );
        assert_eq!([k.sk_ai.len(), k.sk_ei.len()], [64, 24]);
    }

    #[test]
    fn table_line_round_trips_through_parse_table() {
        let p = prf(5);
        for (encr, integ) in [
            (Encr::AesCbc(AesBits::B256), Integ::HmacSha2_256_128),
            (
                Encr::AesGcm {
                    key: AesBits::B128,
                    icv: IcvLen::Octets16,
                },
                Integ::None,
            ),
            (Encr::ChaCha20Poly1305, Integ::None),
            (Encr::Null, Integ::HmacSha1_96),
        ] {
            let k = derive_ike_sa(&p, encr, integ, b"ni", b"nr", b"s", 0x0102, 0xfedc);
            let t = k.table_keys(0x0102, 0xfedc, encr, integ);
            let line = table_line(&t);
            assert!(
                line.starts_with("0000000000000102,000000000000fedc,"),
                "{line}"
            );
            assert_eq!(parse_table(&line).unwrap(), vec![t]);
        }
        let gcm = SaKeys {
            spi_i: 0x4385_4138_8627_4e9f,
            spi_r: 0x2d09_2817_1079_5d69,
            sk_ei: vec![0xab; 36],
            sk_er: vec![0x01; 36],
            encr: Encr::AesGcm {
                key: AesBits::B256,
                icv: IcvLen::Octets16,
            },
            sk_ai: vec![],
            sk_ar: vec![],
            integ: Integ::None,
        };
        assert_eq!(
            table_line(&gcm),
            format!(
                "4385413886274e9f,2d09281710795d69,{},{},\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"",
                "ab".repeat(36),
                "01".repeat(36)
            )
        );
    }

    #[test]
    fn psk_auth_is_the_nested_prf() {
        let p = prf(5);
        let so = signed_octets(&p, b"msg", b"nonce", b"skp", b"\x03\0\0\0id");
        assert_eq!(
            so,
            [&b"msgnonce"[..], &p.prf(b"skp", b"\x03\0\0\0id")].concat()
        );
        let a = psk_auth(&p, b"secret", &so);
        assert_eq!(a, p.prf(&p.prf(b"secret", b"Key Pad for IKEv2"), &so));
        assert_eq!(KEY_PAD.len(), 17);
    }

    #[test]
    fn child_sa_keymat() {
        let p = prf(5);
        assert_eq!(
            derive_child_sa(&p, b"skd", b"ni", b"nr", 72),
            p.prf_plus(b"skd", b"ninr", 72)
        );
        assert_eq!(
            derive_child_sa_pfs(&p, b"skd", b"g", b"ni", b"nr", 40),
            p.prf_plus(b"skd", b"gninr", 40)
        );
    }
}
