//! Key exchange for an IKE initiator (RFC 7296 §1.2, §3.4): the Key Exchange Data of the KE
//! payload and the shared secret g^ir, for the groups an initiator offers today.
//!
//! | ID | group | Key Exchange Data | shared secret |
//! |----|-------|-------------------|---------------|
//! | 14 | 2048-bit MODP (RFC 3526 §3) | g^x mod p, 256 octets, left-padded with zeros | g^xy mod p, 256 octets |
//! | 15 | 3072-bit MODP (RFC 3526 §4) | 384 octets | 384 octets |
//! | 19 | 256-bit random ECP (RFC 5903 §7) | x ‖ y, 64 octets (no 0x04 prefix) | x of the shared point, 32 octets |
//! | 20 | 384-bit random ECP | x ‖ y, 96 octets | x, 48 octets |
//! | 31 | Curve25519 (RFC 8031 §2) | the 32-octet u-coordinate (RFC 7748) | X25519 output, 32 octets |
//! | 32 | Curve448 (RFC 8031 §2) | the 56-octet u-coordinate | X448 output, 56 octets |
//!
//! RFC 7296 §2.14: the MODP shared secret is "represented as a string of octets in big endian
//! order padded with zeros if necessary to make it the length of the modulus". A peer's value is
//! checked before use: its length, for MODP 1 < y < p−1 (RFC 6989 §2.1: 0, 1 and p−1 would force
//! a known secret), for ECP that (x, y) is a point on the curve (RFC 6989 §2.3), for X25519 and
//! X448 that the shared secret is not all zeros (RFC 8031 §2, "MUST check").
//!
//! The curve arithmetic is RustCrypto's (`p256`, `p384`, `x448`) and dalek's `x25519-dalek`;
//! MODP uses `crypto-bigint`'s constant-time Montgomery exponentiation (already in the tree
//! through the curve crates) because no maintained crate ships the RFC 3526 groups ready to use.
//! Private keys come from the operating system's random source (`getrandom`).

use std::fmt;

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Encoding, U2048, U3072, U512};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use zeroize::Zeroizing;

use crate::crypto::random::{self, RandomError};
use crate::wire::registry::KeId;

/// Why a key exchange could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KexError {
    /// The group is not one of 14, 15, 19, 20, 31, 32.
    #[error("key exchange method {} ({}) is not supported (supported: 14, 15, 19, 20, 31, 32)", .0, .0 .0)]
    Unsupported(KeId),
    /// The peer's Key Exchange Data has the wrong length for the group.
    #[error("Key Exchange Data of {group} is {got} octet(s), expected {expected}")]
    Length {
        /// The group.
        group: KeId,
        /// Octets the group needs.
        expected: usize,
        /// Octets received.
        got: usize,
    },
    /// The peer's Key Exchange Data is not an acceptable public value.
    #[error("Key Exchange Data of {group} is not a valid public value: {reason}")]
    InvalidPublic {
        /// The group.
        group: KeId,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The private key given (test vectors) is not valid for the group.
    #[error("private key for {group} is not valid: {reason}")]
    InvalidPrivate {
        /// The group.
        group: KeId,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The operating system's random source failed.
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// RFC 3526 §3: the 2048-bit MODP group's prime, 2^2048 − 2^1984 − 1 + 2^64 · ⌊2^1918 π + 124476⌋.
const MODP_2048: U2048 = U2048::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF",
));

/// RFC 3526 §4: the 3072-bit MODP group's prime, 2^3072 − 2^3008 − 1 + 2^64 · ⌊2^2942 π + 1690314⌋.
const MODP_3072: U3072 = U3072::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
));

/// Length of a MODP private exponent: 512 bits, well above twice the strength RFC 3526 §8
/// estimates for either group (at most 420 bits for the 3072-bit group), as RFC 7296 §2.12
/// allows ("exponents … of the appropriate size"); shorter than the modulus, so exponentiation
/// is several times faster.
const MODP_EXPONENT_LEN: usize = 64;

/// The private part of a key exchange. Never printed.
enum Private {
    /// The MODP exponent, big-endian (zeroed on drop).
    Modp(Zeroizing<Vec<u8>>),
    /// A P-256 scalar (zeroed on drop by `p256`).
    P256(p256::SecretKey),
    /// A P-384 scalar.
    P384(p384::SecretKey),
    /// An X25519 scalar (zeroed on drop by `x25519-dalek`).
    X25519(x25519_dalek::StaticSecret),
    /// An X448 scalar (clamped), kept in a zeroing buffer.
    X448(Zeroizing<Vec<u8>>),
}

/// One side of a key exchange: the group, a fresh private key and the public value that goes
/// in the KE payload. `Debug` shows the group and the public value only.
pub struct KeyExchange {
    group: KeId,
    public: Vec<u8>,
    private: Private,
}

impl fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyExchange")
            .field("group", &self.group)
            .field("public_len", &self.public.len())
            .field("private", &"<redacted>")
            .finish()
    }
}

/// Length of the Key Exchange Data for `group`, if supported.
pub fn public_len(group: KeId) -> Option<usize> {
    match group.0 {
        14 => Some(256),
        15 => Some(384),
        19 => Some(64),
        20 => Some(96),
        31 => Some(32),
        32 => Some(56),
        _ => None,
    }
}

/// Length of the shared secret g^ir for `group`, if supported.
pub fn shared_len(group: KeId) -> Option<usize> {
    match group.0 {
        14 => Some(256),
        15 => Some(384),
        19 => Some(32),
        20 => Some(48),
        31 => Some(32),
        32 => Some(56),
        _ => None,
    }
}

impl KeyExchange {
    /// Whether `group` is one this module implements (14, 15, 19, 20, 31, 32).
    pub fn supported(group: KeId) -> bool {
        public_len(group).is_some()
    }

    /// A fresh private key for `group` from the OS random source, and its public value.
    pub fn generate(group: KeId) -> Result<KeyExchange, KexError> {
        match group.0 {
            14 | 15 => {
                // A 512-bit exponent ≥ 2 (an exponent of 0 or 1 would give g^x = 1 or g).
                loop {
                    let mut x = Zeroizing::new(vec![0u8; MODP_EXPONENT_LEN]);
                    random::fill(&mut x)?;
                    if x[..MODP_EXPONENT_LEN - 1].iter().any(|&b| b != 0)
                        || x[MODP_EXPONENT_LEN - 1] > 1
                    {
                        return Self::from_private(group, &x);
                    }
                }
            }
            19 | 20 => loop {
                // Rejection sampling: a scalar must be in [1, n−1]; the curve crates refuse
                // anything else, which for random input happens with probability < 2^-32.
                let mut d = Zeroizing::new(vec![0u8; if group.0 == 19 { 32 } else { 48 }]);
                random::fill(&mut d)?;
                match Self::from_private(group, &d) {
                    Err(KexError::InvalidPrivate { .. }) => continue,
                    other => return other,
                }
            },
            31 => {
                let mut k = Zeroizing::new([0u8; 32]);
                random::fill(&mut k[..])?;
                Self::from_private(group, &k[..])
            }
            32 => {
                let mut k = Zeroizing::new([0u8; 56]);
                random::fill(&mut k[..])?;
                Self::from_private(group, &k[..])
            }
            _ => Err(KexError::Unsupported(group)),
        }
    }

    /// The key exchange with the given private key: for MODP the exponent (big-endian, at most
    /// 64 octets), for ECP the scalar (32 or 48 octets, big-endian, in [1, n−1]), for X25519
    /// and X448 the 32 or 56 scalar octets before clamping (RFC 7748 §5). For known-answer
    /// tests; use [`KeyExchange::generate`] otherwise.
    #[doc(hidden)]
    pub fn from_private(group: KeId, private: &[u8]) -> Result<KeyExchange, KexError> {
        let bad = |reason| KexError::InvalidPrivate { group, reason };
        let (public, private) = match group.0 {
            14 | 15 => {
                if private.len() > MODP_EXPONENT_LEN {
                    return Err(bad("a MODP exponent here has at most 64 octets"));
                }
                let mut x = Zeroizing::new(vec![0u8; MODP_EXPONENT_LEN]);
                x[MODP_EXPONENT_LEN - private.len()..].copy_from_slice(private);
                let public = if group.0 == 14 {
                    modp_pow(&MODP_2048, &U2048::from_u8(2), &x)
                } else {
                    modp_pow(&MODP_3072, &U3072::from_u8(2), &x)
                };
                (public, Private::Modp(x))
            }
            19 => {
                let sk = p256::SecretKey::from_slice(private)
                    .map_err(|_| bad("not a scalar in [1, n-1] of 32 octets"))?;
                let point = sk.public_key().to_encoded_point(false);
                (point.as_bytes()[1..].to_vec(), Private::P256(sk))
            }
            20 => {
                let sk = p384::SecretKey::from_slice(private)
                    .map_err(|_| bad("not a scalar in [1, n-1] of 48 octets"))?;
                let point = sk.public_key().to_encoded_point(false);
                (point.as_bytes()[1..].to_vec(), Private::P384(sk))
            }
            31 => {
                let k: [u8; 32] = private.try_into().map_err(|_| bad("not 32 octets"))?;
                let sk = x25519_dalek::StaticSecret::from(k);
                let public = x25519_dalek::PublicKey::from(&sk).as_bytes().to_vec();
                (public, Private::X25519(sk))
            }
            32 => {
                let sk = x448::Secret::from_bytes(private).ok_or_else(|| bad("not 56 octets"))?;
                let public = x448::PublicKey::from(&sk).as_bytes().to_vec();
                (
                    public,
                    Private::X448(Zeroizing::new(sk.as_bytes().to_vec())),
                )
            }
            _ => return Err(KexError::Unsupported(group)),
        };
        Ok(KeyExchange {
            group,
            public,
            private,
        })
    }

    /// The group.
    pub fn group(&self) -> KeId {
        self.group
    }

    /// The Key Exchange Data exactly as it goes in the KE payload (RFC 7296 §3.4).
    pub fn public(&self) -> &[u8] {
        &self.public
    }

    /// The shared secret g^ir with the peer's Key Exchange Data `peer`, as RFC 7296 §2.14 feeds
    /// it to the PRF: checks the peer's value first (length, range or point, contributory).
    pub fn shared_secret(&self, peer: &[u8]) -> Result<Vec<u8>, KexError> {
        let group = self.group;
        let expected = public_len(group).ok_or(KexError::Unsupported(group))?;
        if peer.len() != expected {
            return Err(KexError::Length {
                group,
                expected,
                got: peer.len(),
            });
        }
        let invalid = |reason| KexError::InvalidPublic { group, reason };
        match &self.private {
            Private::Modp(x) => {
                if group.0 == 14 {
                    modp_shared(&MODP_2048, peer, x).ok_or_else(|| invalid(MODP_RANGE))
                } else {
                    modp_shared(&MODP_3072, peer, x).ok_or_else(|| invalid(MODP_RANGE))
                }
            }
            Private::P256(sk) => {
                let pk = p256::PublicKey::from_sec1_bytes(&uncompressed(peer))
                    .map_err(|_| invalid("(x, y) is not a point on the P-256 curve"))?;
                let s = p256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                Ok(s.raw_secret_bytes().to_vec())
            }
            Private::P384(sk) => {
                let pk = p384::PublicKey::from_sec1_bytes(&uncompressed(peer))
                    .map_err(|_| invalid("(x, y) is not a point on the P-384 curve"))?;
                let s = p384::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
                Ok(s.raw_secret_bytes().to_vec())
            }
            Private::X25519(sk) => {
                let mut u = [0u8; 32];
                u.copy_from_slice(peer);
                let s = sk.diffie_hellman(&x25519_dalek::PublicKey::from(u));
                if !s.was_contributory() {
                    return Err(invalid(ZERO_SECRET));
                }
                Ok(s.as_bytes().to_vec())
            }
            Private::X448(k) => {
                let sk =
                    x448::Secret::from_bytes(k).ok_or_else(|| invalid("internal key length"))?;
                // `from_bytes_unchecked` only checks the length; `as_diffie_hellman` refuses
                // the low-order points, whose shared secret would be all zeros.
                let pk = x448::PublicKey::from_bytes_unchecked(peer)
                    .ok_or_else(|| invalid("not 56 octets"))?;
                let s = sk
                    .as_diffie_hellman(&pk)
                    .ok_or_else(|| invalid(ZERO_SECRET))?;
                let s = s.as_bytes().to_vec();
                if s.iter().all(|&b| b == 0) {
                    return Err(invalid(ZERO_SECRET));
                }
                Ok(s)
            }
        }
    }
}

const MODP_RANGE: &str = "y must satisfy 1 < y < p-1 (RFC 6989 §2.1)";
const ZERO_SECRET: &str = "a low-order point: the shared secret would be all zeros (RFC 8031 §2)";

/// x ‖ y → the SEC 1 uncompressed encoding 0x04 ‖ x ‖ y (RFC 5903 §7 drops the 0x04).
fn uncompressed(xy: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(xy.len() + 1);
    v.push(0x04);
    v.extend_from_slice(xy);
    v
}

/// base^x mod p, as big-endian octets of the modulus' length.
fn modp_pow<const L: usize>(
    p: &crypto_bigint::Uint<L>,
    base: &crypto_bigint::Uint<L>,
    x: &[u8],
) -> Vec<u8>
where
    crypto_bigint::Uint<L>: Encoding,
{
    let params = DynResidueParams::new(p);
    let exp = U512::from_be_slice(x);
    let r = DynResidue::new(base, params).pow(&exp).retrieve();
    r.to_be_bytes().as_ref().to_vec()
}

/// peer^x mod p after checking 1 < peer < p−1; `None` when out of range.
fn modp_shared<const L: usize>(p: &crypto_bigint::Uint<L>, peer: &[u8], x: &[u8]) -> Option<Vec<u8>>
where
    crypto_bigint::Uint<L>: Encoding,
{
    let y = crypto_bigint::Uint::<L>::from_be_slice(peer);
    let one = crypto_bigint::Uint::<L>::ONE;
    let p_minus_1 = p.wrapping_sub(&one);
    if y <= one || y >= p_minus_1 {
        return None;
    }
    let s = modp_pow(p, &y, x);
    // p is a safe prime: with y in range, y^x is never 1 for x ≥ 1; checked anyway.
    let mut one_be = vec![0u8; s.len()];
    if let Some(last) = one_be.last_mut() {
        *last = 1;
    }
    (s != one_be).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hex digits (white space ignored) to octets.
    fn hex(s: &str) -> Vec<u8> {
        ::hex::decode(s.split_whitespace().collect::<String>()).unwrap()
    }

    const ALL: [KeId; 6] = [
        KeId::MODP_2048,
        KeId::MODP_3072,
        KeId::ECP_256,
        KeId::ECP_384,
        KeId::CURVE25519,
        KeId::CURVE448,
    ];

    #[test]
    fn supported_groups_and_lengths() {
        for g in ALL {
            assert!(KeyExchange::supported(g), "{g}");
        }
        for g in [
            KeId::MODP_1024,
            KeId::ECP_521,
            KeId(0),
            KeId(36),
            KeId(65535),
        ] {
            assert!(!KeyExchange::supported(g));
            assert_eq!(
                KeyExchange::generate(g).unwrap_err(),
                KexError::Unsupported(g)
            );
        }
        assert_eq!(public_len(KeId::ECP_384), Some(96));
        assert_eq!(shared_len(KeId::ECP_384), Some(48));
    }

    #[test]
    fn two_parties_agree_in_every_group() {
        for g in ALL {
            let a = KeyExchange::generate(g).unwrap();
            let b = KeyExchange::generate(g).unwrap();
            assert_eq!(a.group(), g);
            assert_eq!(a.public().len(), public_len(g).unwrap(), "{g}");
            assert_ne!(a.public(), b.public(), "{g}");
            let s1 = a.shared_secret(b.public()).unwrap();
            let s2 = b.shared_secret(a.public()).unwrap();
            assert_eq!(s1, s2, "{g}");
            assert_eq!(s1.len(), shared_len(g).unwrap(), "{g}");
            assert!(s1.iter().any(|&b| b != 0));
            // Debug never shows the private key.
            let d = format!("{a:?}");
            assert!(
                d.contains("redacted") && !d.contains("Modp") && !d.contains("Secret"),
                "{d}"
            );
        }
    }

    /// Both parties of a published test vector: each private key gives its public value, and
    /// each side computes the same shared secret from the other's public value.
    fn check_vector(group: KeId, a: [&str; 2], b: [&str; 2], shared: &str) {
        let [a_private, a_public] = a;
        let [b_private, b_public] = b;
        let a = KeyExchange::from_private(group, &hex(a_private)).unwrap();
        assert_eq!(a.public(), hex(a_public), "{group}");
        let b = KeyExchange::from_private(group, &hex(b_private)).unwrap();
        assert_eq!(b.public(), hex(b_public), "{group}");
        let k = hex(shared);
        assert_eq!(a.shared_secret(b.public()).unwrap(), k, "{group}");
        assert_eq!(b.shared_secret(a.public()).unwrap(), k, "{group}");
    }

    /// RFC 7748 §6.1.
    #[test]
    fn x25519_rfc7748_vectors() {
        check_vector(
            KeId::CURVE25519,
            [
                "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
                "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
            ],
            [
                "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
                "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
            ],
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
        );
    }

    /// RFC 7748 §6.2.
    #[test]
    fn x448_rfc7748_vectors() {
        check_vector(
            KeId::CURVE448,
            [
                "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28d
                 d9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b",
                "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c
                 22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0",
            ],
            [
                "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d
                 6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d",
                "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b430
                 27d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609",
            ],
            "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282b
             b60c0b56fd2464c335543936521c24403085d59a449a5037514a879d",
        );
    }

    /// RFC 5903 §8.1.
    #[test]
    fn ecp256_rfc5903_vectors() {
        check_vector(
            KeId::ECP_256,
            [
                "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433",
                "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180
                 5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3",
            ],
            [
                "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53",
                "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63
                 56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB",
            ],
            "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE",
        );
    }

    /// RFC 5903 §8.2.
    #[test]
    fn ecp384_rfc5903_vectors() {
        check_vector(
            KeId::ECP_384,
            [
                "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655
                 E35B5380 41E649EE 3FAEF896 783AB194",
                "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6
                 DE3AC808 ACB4BDB4 C88732AE E95F41AA 9482ED1F C0EEB9CA FC498462 5CCFC23F
                 65032149 E0E144AD A0241815 35A0F38E EB9FCFF3 C2C947DA E69B4C63 4573A81C",
            ],
            [
                "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942
                 E0308312 916B8ED2 960E4BD5 5A7448FC",
                "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D
                 0D1AC43A 0336DEF9 6FDA41D0 774A3571 DCFBEC7A ACF31964 72169E83 8430367F
                 66EEBE3C 6E70C416 DD5F0C68 759DD1FF F83FA401 42209DFF 5EAAD96D B9E6386C",
            ],
            "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4
             D6031355 69B9E9D0 9CF5D4A2 70F59746",
        );
    }

    /// MODP with known exponents: 2^2 = 4 padded to the modulus' length, (2^2)^3 = 64, and
    /// for two 16- and 17-octet exponents the SHA-256 of g^a and of (g^b)^a as an independent
    /// big-integer implementation (Python's `pow(2, a, p)`) computed them.
    #[test]
    fn modp_known_answers_and_padding() {
        use sha2::{Digest, Sha256};
        let sha = |v: &[u8]| hex(&format!("{:x}", Sha256::digest(v)));
        for (g, len, ga, gab) in [
            (
                KeId::MODP_2048,
                256,
                "3b36b7552f9010682160aabe52cff766356b11d367b9709cc063b0b7b4f7ab61",
                "d3bbb0d3faded27699a9e8c5716b7cc21fee7b55bc1a7c6f79142577b1586720",
            ),
            (
                KeId::MODP_3072,
                384,
                "c9bdd827763e64a97329928cf534feef30233f8c4c5a7429f617e2c82c9be25a",
                "cdbfffc040c5c1137fa1ca728423b73851928677a86020292a7f75d5f3a58888",
            ),
        ] {
            let k = KeyExchange::from_private(g, &[2]).unwrap();
            let mut four = vec![0u8; len];
            four[len - 1] = 4;
            assert_eq!(k.public(), four, "{g}");
            let k3 = KeyExchange::from_private(g, &[3]).unwrap();
            let mut s = vec![0u8; len];
            s[len - 1] = 64;
            assert_eq!(k3.shared_secret(&four).unwrap(), s);
            let a = KeyExchange::from_private(g, &hex("0123456789abcdef0123456789abcdef")).unwrap();
            let b =
                KeyExchange::from_private(g, &hex("fedcba9876543210fedcba9876543210ff")).unwrap();
            assert_eq!(sha(a.public()), hex(ga), "{g}");
            let s = a.shared_secret(b.public()).unwrap();
            assert_eq!(s.len(), len);
            assert_eq!(sha(&s), hex(gab), "{g}");
            assert_eq!(b.shared_secret(a.public()).unwrap(), s);
        }
        assert!(matches!(
            KeyExchange::from_private(KeId::MODP_2048, &[1; 65]),
            Err(KexError::InvalidPrivate { .. })
        ));
    }

    #[test]
    fn modp_rejects_0_1_p_minus_1_and_p() {
        for (g, p) in [
            (KeId::MODP_2048, MODP_2048.to_be_bytes().to_vec()),
            (KeId::MODP_3072, MODP_3072.to_be_bytes().to_vec()),
        ] {
            let k = KeyExchange::generate(g).unwrap();
            let len = p.len();
            let mut zero = vec![0u8; len];
            let mut one = zero.clone();
            one[len - 1] = 1;
            let mut p_minus_1 = p.clone();
            p_minus_1[len - 1] -= 1;
            let ones = vec![0xffu8; len];
            for bad in [&zero, &one, &p_minus_1, &p, &ones] {
                assert!(
                    matches!(
                        k.shared_secret(bad),
                        Err(KexError::InvalidPublic { group, .. }) if group == g
                    ),
                    "{g}"
                );
            }
            // 2 and p−2 are fine.
            zero[len - 1] = 2;
            assert!(k.shared_secret(&zero).is_ok());
            p_minus_1[len - 1] -= 1;
            assert!(k.shared_secret(&p_minus_1).is_ok());
        }
    }

    #[test]
    fn wrong_lengths_are_rejected() {
        for g in ALL {
            let k = KeyExchange::generate(g).unwrap();
            let n = public_len(g).unwrap();
            for len in [0, 1, n - 1, n + 1, 2 * n] {
                assert_eq!(
                    k.shared_secret(&vec![7u8; len]).unwrap_err(),
                    KexError::Length {
                        group: g,
                        expected: n,
                        got: len
                    },
                    "{g}"
                );
            }
        }
        let e = KeyExchange::generate(KeId::ECP_256)
            .unwrap()
            .shared_secret(&[0; 65])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Key Exchange Data of 256-bit random ECP group is 65 octet(s), expected 64"
        );
    }

    #[test]
    fn ecp_points_off_the_curve_are_rejected() {
        for g in [KeId::ECP_256, KeId::ECP_384] {
            let a = KeyExchange::generate(g).unwrap();
            let b = KeyExchange::generate(g).unwrap();
            let mut bad = b.public().to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 1; // y changed: (x, y') is not on the curve
            assert!(matches!(
                a.shared_secret(&bad),
                Err(KexError::InvalidPublic { .. })
            ));
            // All zeros (the point at infinity has no x ‖ y encoding) and all ones (≥ p).
            let n = bad.len();
            for v in [vec![0u8; n], vec![0xffu8; n]] {
                assert!(matches!(
                    a.shared_secret(&v),
                    Err(KexError::InvalidPublic { .. })
                ));
            }
        }
        assert!(matches!(
            KeyExchange::from_private(KeId::ECP_256, &[0; 32]),
            Err(KexError::InvalidPrivate { .. })
        ));
        assert!(matches!(
            KeyExchange::from_private(KeId::ECP_384, &[0xff; 48]),
            Err(KexError::InvalidPrivate { .. })
        ));
    }

    /// RFC 8031 §2: low-order points give an all-zero secret, which MUST be rejected.
    #[test]
    fn low_order_points_are_rejected() {
        let k = KeyExchange::generate(KeId::CURVE25519).unwrap();
        // u = 0, u = 1, and the order-8 point of RFC 7748's Curve25519 (from libsodium's list).
        for u in [
            vec![0u8; 32],
            {
                let mut v = vec![0u8; 32];
                v[0] = 1;
                v
            },
            hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        ] {
            assert!(
                matches!(k.shared_secret(&u), Err(KexError::InvalidPublic { reason, .. }) if reason == ZERO_SECRET),
                "{u:02x?}"
            );
        }
        let k = KeyExchange::generate(KeId::CURVE448).unwrap();
        for u in [vec![0u8; 56], {
            let mut v = vec![0u8; 56];
            v[0] = 1;
            v
        }] {
            assert!(
                matches!(k.shared_secret(&u), Err(KexError::InvalidPublic { reason, .. }) if reason == ZERO_SECRET),
                "{u:02x?}"
            );
        }
    }
}
