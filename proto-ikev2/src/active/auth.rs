//! How the initiator authenticates in IKE_AUTH and checks the responder, beyond a pre-shared
//! key: certificates and signatures.
//!
//! | method | RFC | here |
//! |---|---|---|
//! | 1 RSA Digital Signature | RFC 7296 §3.8 | RSASSA-PKCS1-v1_5 with SHA-1 (what strongSwan and libreswan sign and check) |
//! | 9 / 10 ECDSA with SHA-256 on P-256 / SHA-384 on P-384 | RFC 4754 | r ‖ s, fixed length |
//! | 11 ECDSA with SHA-512 on P-521 | RFC 4754 | not signed or checked: no well-kept crate at hand does P-521 |
//! | 14 Digital Signature | RFC 7427 | AlgorithmIdentifier + signature: RSASSA-PSS or PKCS1-v1_5 (SHA-256/384/512), ECDSA (DER), Ed25519 (RFC 8420, hash "Identity") |
//!
//! Signatures and their verification come from `ring` (RSASSA-PKCS1-v1_5 with SHA-1 from the
//! `rsa` crate: ring does not sign it), certificate paths from `rustls-webpki`, certificates
//! are read with `x509-parser`. What is signed is RFC 7296 §2.15's `<SignedOctets>`.
//!
//! Certificate paths are checked against the trust anchors given (`--cacert`), with the
//! responder's other CERT payloads as intermediates, at the current time, accepting any
//! Extended Key Usage (RFC 4945 §5.1.3.12: IKE does not require one).

use ring::rand::SystemRandom;
use ring::signature::{self as rsig, KeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use sha1::Digest;
use x509_parser::prelude::FromDer;

use crate::wire::payload::{payload_type, Auth, Cert, CertReq, Payload, PayloadBody};
use crate::wire::registry::{AuthMethod, CertEncoding};

/// Certificates and keys that cannot be used, or a signature that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A PEM file holds nothing usable.
    #[error("{what}: {reason}")]
    Pem {
        /// Which input (certificate, key, CA).
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The key and the certificate do not belong together, or the key type is not supported.
    #[error("{0}")]
    Key(String),
    /// The method asked for cannot be used with this key or with this responder.
    #[error("{0}")]
    Method(String),
}

/// The kind of a certificate's public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// RSA (any size ring accepts: 2048–8192 bits).
    Rsa,
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// ECDSA on P-521 (recognised, neither signed nor checked here).
    EcdsaP521,
    /// Ed25519 (RFC 8420).
    Ed25519,
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyKind::Rsa => "RSA",
            KeyKind::EcdsaP256 => "ECDSA P-256",
            KeyKind::EcdsaP384 => "ECDSA P-384",
            KeyKind::EcdsaP521 => "ECDSA P-521",
            KeyKind::Ed25519 => "Ed25519",
        })
    }
}

/// Which AUTH method the initiator uses with a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MethodChoice {
    /// RFC 7427 Digital Signature (14) when the responder sent SIGNATURE_HASH_ALGORITHMS with
    /// a hash the key can use, else the key type's classic method (1, 9, 10).
    #[default]
    Auto,
    /// Always Digital Signature (14).
    DigitalSignature,
    /// Always the classic method of the key type: RSA (1), ECDSA (9, 10).
    Classic,
}

/// RSA signature scheme inside method 14.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RsaScheme {
    /// RSASSA-PSS, salt as long as the hash, MGF1 with the same hash (RFC 7427 A.4).
    #[default]
    Pss,
    /// RSASSA-PKCS1-v1_5.
    Pkcs1,
}

/// RFC 7427 §7 hash algorithm identifiers.
pub mod hash {
    /// SHA1.
    pub const SHA1: u16 = 1;
    /// SHA2-256.
    pub const SHA256: u16 = 2;
    /// SHA2-384.
    pub const SHA384: u16 = 3;
    /// SHA2-512.
    pub const SHA512: u16 = 4;
    /// Identity (RFC 8420: Ed25519/Ed448 sign the data itself).
    pub const IDENTITY: u16 = 5;
}

/// The private key, in the forms the signing crates take.
enum PrivateKey {
    Rsa {
        ring: rsig::RsaKeyPair,
        /// For method 1 only (RSASSA-PKCS1-v1_5 with SHA-1).
        classic: Box<rsa::RsaPrivateKey>,
    },
    /// PKCS#8: a key pair is made per signature form (DER or fixed r ‖ s).
    Ecdsa {
        pkcs8: Vec<u8>,
        p384: bool,
    },
    Ed25519(rsig::Ed25519KeyPair),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(..)")
    }
}

/// A certificate, its private key and the trust anchors to check the responder with.
#[derive(Debug)]
pub struct CertCredential {
    /// Our certificates, DER, the end-entity certificate first.
    certs: Vec<Vec<u8>>,
    key: PrivateKey,
    kind: KeyKind,
    /// Trust anchors (CA certificates), DER.
    trust: Vec<Vec<u8>>,
    /// The end-entity certificate's subject, DER (the default IDi: ID_DER_ASN1_DN).
    subject_der: Vec<u8>,
    subject: String,
}

/// What the initiator signed with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LocalAuth {
    /// AUTH method, by name and number.
    pub method: String,
    /// The signature algorithm (e.g. `RSASSA-PSS with SHA2-256`, `Ed25519`).
    pub algorithm: String,
    /// Our key.
    pub key: KeyKind,
    /// Our certificate's subject.
    pub subject: String,
    /// CERT payloads sent.
    pub certs_sent: usize,
    /// CERTREQ sent (SHA-1 hashes of our trust anchors' public keys).
    pub certreq_sent: bool,
    /// The responder's CERTREQ (IKE_SA_INIT response), when it sent one: whether one of the CA
    /// key hashes it asked for is our issuer's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certreq_answered: Option<CertReqAnswer>,
}

/// The responder's CERTREQ and how ours answers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertReqAnswer {
    /// The CA public key hashes asked for (SHA-1, hex).
    pub ca_hashes: Vec<String>,
    /// One of them is the hash of a CA key of our chain (our issuer, or one of `--cacert`).
    pub ours_requested: bool,
}

/// What the responder authenticated with, and whether it checks out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PeerAuth {
    /// AUTH method, by name and number.
    pub method: String,
    /// The signature algorithm, for signature methods.
    pub algorithm: Option<String>,
    /// The responder's certificates (CERT payloads, X.509 ones), subject first.
    pub certificates: Vec<PeerCert>,
    /// The certificate path to a trust anchor: `verified`, the reason it does not verify, or
    /// `not checked` (no trust anchor given).
    pub chain: String,
    /// True when the path verified.
    pub chain_ok: bool,
    /// The AUTH signature (or MAC) verified.
    pub signature_ok: bool,
    /// Why it did not, when it did not.
    pub reason: Option<String>,
}

/// One of the responder's certificates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PeerCert {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Key type (when recognised).
    pub key: Option<KeyKind>,
    /// notAfter, RFC 2822 form.
    pub not_after: String,
}

fn pem_err(what: &'static str, reason: impl std::fmt::Display) -> AuthError {
    AuthError::Pem {
        what,
        reason: reason.to_string(),
    }
}

/// Every certificate of a PEM text (at most 16: a chain is never longer).
fn pem_certs(what: &'static str, pem: &[u8]) -> Result<Vec<Vec<u8>>, AuthError> {
    let mut out = Vec::new();
    for c in CertificateDer::pem_slice_iter(pem).take(16) {
        let c = c.map_err(|e| pem_err(what, format!("not a PEM certificate: {e}")))?;
        x509_parser::parse_x509_certificate(&c)
            .map_err(|e| pem_err(what, format!("the certificate does not parse: {e}")))?;
        out.push(c.to_vec());
    }
    if out.is_empty() {
        return Err(pem_err(what, "no CERTIFICATE block"));
    }
    Ok(out)
}

/// The key kind of a SubjectPublicKeyInfo.
fn spki_kind(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Option<KeyKind> {
    let alg = spki.algorithm.algorithm.to_id_string();
    match alg.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => Some(KeyKind::Rsa),
        "1.3.101.112" => Some(KeyKind::Ed25519),
        "1.2.840.10045.2.1" => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())?;
            match curve.as_str() {
                "1.2.840.10045.3.1.7" => Some(KeyKind::EcdsaP256),
                "1.3.132.0.34" => Some(KeyKind::EcdsaP384),
                "1.3.132.0.35" => Some(KeyKind::EcdsaP521),
                _ => None,
            }
        }
        _ => None,
    }
}

/// SHA-1 of a certificate's SubjectPublicKeyInfo: the CA hash of CERTREQ (RFC 7296 §3.7).
fn spki_sha1(der: &[u8]) -> Option<[u8; 20]> {
    let (_, c) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(sha1::Sha1::digest(c.tbs_certificate.subject_pki.raw).into())
}

impl CertCredential {
    /// Our certificate (PEM, the end-entity certificate first, then any intermediates), its
    /// private key (PEM: PKCS#8, or PKCS#1 for RSA), and the trust anchors that the
    /// responder's certificate must chain to (PEM, optional).
    pub fn from_pem(cert: &[u8], key: &[u8], ca: Option<&[u8]>) -> Result<Self, AuthError> {
        let certs = pem_certs("--cert", cert)?;
        let trust = match ca {
            Some(ca) => pem_certs("--cacert", ca)?,
            None => Vec::new(),
        };
        let (_, leaf) =
            x509_parser::parse_x509_certificate(&certs[0]).map_err(|e| pem_err("--cert", e))?;
        let spki = &leaf.tbs_certificate.subject_pki;
        let kind = spki_kind(spki).ok_or_else(|| {
            AuthError::Key(format!(
                "the certificate's key ({}) is not RSA, ECDSA P-256/P-384 or Ed25519",
                spki.algorithm.algorithm.to_id_string()
            ))
        })?;
        let public = spki.subject_public_key.data.to_vec();
        let key_der = PrivateKeyDer::from_pem_slice(key)
            .map_err(|e| pem_err("--key", format!("no private key: {e}")))?;
        let bad = |e: &dyn std::fmt::Display| AuthError::Key(format!("--key: {e}"));
        let key = match (kind, &key_der) {
            (KeyKind::Rsa, PrivateKeyDer::Pkcs8(k)) => {
                use rsa::pkcs8::DecodePrivateKey;
                PrivateKey::Rsa {
                    ring: rsig::RsaKeyPair::from_pkcs8(k.secret_pkcs8_der())
                        .map_err(|e| bad(&e))?,
                    classic: Box::new(
                        rsa::RsaPrivateKey::from_pkcs8_der(k.secret_pkcs8_der())
                            .map_err(|e| bad(&e))?,
                    ),
                }
            }
            (KeyKind::Rsa, PrivateKeyDer::Pkcs1(k)) => {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                PrivateKey::Rsa {
                    ring: rsig::RsaKeyPair::from_der(k.secret_pkcs1_der()).map_err(|e| bad(&e))?,
                    classic: Box::new(
                        rsa::RsaPrivateKey::from_pkcs1_der(k.secret_pkcs1_der())
                            .map_err(|e| bad(&e))?,
                    ),
                }
            }
            (KeyKind::EcdsaP256 | KeyKind::EcdsaP384, PrivateKeyDer::Pkcs8(k)) => {
                PrivateKey::Ecdsa {
                    pkcs8: k.secret_pkcs8_der().to_vec(),
                    p384: kind == KeyKind::EcdsaP384,
                }
            }
            (KeyKind::Ed25519, PrivateKeyDer::Pkcs8(k)) => PrivateKey::Ed25519(
                rsig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(k.secret_pkcs8_der())
                    .map_err(|e| bad(&e))?,
            ),
            (KeyKind::EcdsaP256 | KeyKind::EcdsaP384, PrivateKeyDer::Sec1(_)) => {
                return Err(AuthError::Key(
                    "--key: an SEC1 \"EC PRIVATE KEY\"; give it as PKCS#8 (openssl pkcs8 -topk8 -nocrypt)"
                        .into(),
                ))
            }
            (k, _) => {
                return Err(AuthError::Key(format!(
                    "--key: not a key of the certificate's type ({k})"
                )))
            }
        };
        let cred = CertCredential {
            subject_der: leaf.subject().as_raw().to_vec(),
            subject: leaf.subject().to_string(),
            certs,
            key,
            kind,
            trust,
        };
        if cred.public_key()? != public {
            return Err(AuthError::Key(
                "--key is not the private key of --cert's certificate".into(),
            ));
        }
        Ok(cred)
    }

    fn public_key(&self) -> Result<Vec<u8>, AuthError> {
        Ok(match &self.key {
            PrivateKey::Rsa { ring, .. } => ring.public_key().as_ref().to_vec(),
            PrivateKey::Ecdsa { pkcs8, p384 } => {
                let alg = if *p384 {
                    &rsig::ECDSA_P384_SHA384_ASN1_SIGNING
                } else {
                    &rsig::ECDSA_P256_SHA256_ASN1_SIGNING
                };
                rsig::EcdsaKeyPair::from_pkcs8(alg, pkcs8, &SystemRandom::new())
                    .map_err(|e| AuthError::Key(format!("--key: {e}")))?
                    .public_key()
                    .as_ref()
                    .to_vec()
            }
            PrivateKey::Ed25519(k) => k.public_key().as_ref().to_vec(),
        })
    }

    /// The trust anchors (DER).
    pub fn trust(&self) -> &[Vec<u8>] {
        &self.trust
    }

    /// The key type.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The end-entity certificate's subject DN (text).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The subject DN as DER: the data of an ID_DER_ASN1_DN identity.
    pub fn subject_der(&self) -> &[u8] {
        &self.subject_der
    }

    /// CERT payloads: every certificate of `--cert`, end-entity first (X.509 Certificate -
    /// Signature, encoding 4).
    pub fn cert_payloads(&self) -> Vec<Payload> {
        self.certs
            .iter()
            .map(|der| {
                let mut w = crate::wire::reader::Writer::new();
                w.u8(4);
                w.bytes(der);
                let mut r = crate::wire::reader::Reader::new(&w.buf, 0);
                let body = Cert::parse(&mut r).map_or_else(
                    |_| PayloadBody::Unknown {
                        data: w.buf.clone(),
                    },
                    |c| PayloadBody::Cert(Box::new(c)),
                );
                Payload::new(payload_type::CERT, body)
            })
            .collect()
    }

    /// A CERTREQ naming our trust anchors (SHA-1 of each one's public key), when there are any.
    pub fn certreq_payload(&self) -> Option<Payload> {
        let data: Vec<u8> = self
            .trust
            .iter()
            .filter_map(|d| spki_sha1(d))
            .flatten()
            .collect();
        if data.is_empty() {
            return None;
        }
        let mut w = crate::wire::reader::Writer::new();
        w.u8(4);
        w.bytes(&data);
        let mut r = crate::wire::reader::Reader::new(&w.buf, 0);
        let body = CertReq::parse(&mut r).ok()?;
        Some(Payload::new(
            payload_type::CERTREQ,
            PayloadBody::CertReq(body),
        ))
    }

    /// How our chain answers the responder's CERTREQ payloads.
    pub fn answer_certreq(&self, reqs: &[&CertReq]) -> Option<CertReqAnswer> {
        if reqs.is_empty() {
            return None;
        }
        let asked: Vec<[u8; 20]> = reqs
            .iter()
            .filter(|r| r.encoding == CertEncoding(4))
            .flat_map(|r| r.ca_hashes.iter().flatten().map(|h| h.0))
            .collect();
        // Our CA keys: every certificate after the end-entity one, and the trust anchors
        // (usually our issuer too).
        let ours: Vec<[u8; 20]> = self.certs[1..]
            .iter()
            .chain(&self.trust)
            .filter_map(|d| spki_sha1(d))
            .collect();
        Some(CertReqAnswer {
            ca_hashes: asked.iter().map(hex::encode).collect(),
            ours_requested: asked.iter().any(|h| ours.contains(h)),
        })
    }

    /// Signs `octets` (RFC 7296 §2.15 `<SignedOctets>`) for the AUTH payload: the method
    /// chosen, the Authentication Data, and a description. `peer_hashes`: the responder's
    /// SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4), empty when it sent none.
    pub fn sign(
        &self,
        choice: MethodChoice,
        rsa_scheme: RsaScheme,
        peer_hashes: &[u16],
        octets: &[u8],
    ) -> Result<(AuthMethod, Vec<u8>, LocalAuth), AuthError> {
        let rng = SystemRandom::new();
        let sig_hash = self.method14_hash(peer_hashes);
        let use14 = match choice {
            MethodChoice::DigitalSignature => true,
            MethodChoice::Classic => false,
            MethodChoice::Auto => sig_hash.is_some() || self.kind == KeyKind::Ed25519,
        };
        let failed = |e: ring::error::Unspecified| AuthError::Key(format!("signing failed: {e}"));
        let (method, data, algorithm) = if use14 {
            // RFC 7427 §4: only hashes the peer announced; without the notify, its first choice.
            let h = sig_hash.unwrap_or(match self.kind {
                KeyKind::Ed25519 => hash::IDENTITY,
                KeyKind::EcdsaP384 => hash::SHA384,
                _ => hash::SHA256,
            });
            let (alg_id, sig, name) = self.sign14(h, rsa_scheme, octets, &rng)?;
            // RFC 7427 §3: ASN.1 Length (1 octet), AlgorithmIdentifier, Signature Value.
            let len = u8::try_from(alg_id.len())
                .map_err(|_| AuthError::Method("AlgorithmIdentifier too long".into()))?;
            let mut data = vec![len];
            data.extend_from_slice(&alg_id);
            data.extend_from_slice(&sig);
            (AuthMethod(14), data, name)
        } else {
            match &self.key {
                PrivateKey::Rsa { classic, .. } => {
                    let digest = sha1::Sha1::digest(octets);
                    let mut rng06 = Rng06;
                    let sig = classic
                        .sign_with_rng(
                            &mut rng06,
                            rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                            &digest,
                        )
                        .map_err(|e| AuthError::Key(format!("signing failed: {e}")))?;
                    (AuthMethod(1), sig, "RSASSA-PKCS1-v1_5 with SHA1".to_string())
                }
                PrivateKey::Ecdsa { pkcs8, p384 } => {
                    let (alg, m, name) = if *p384 {
                        (
                            &rsig::ECDSA_P384_SHA384_FIXED_SIGNING,
                            10,
                            "ECDSA with SHA2-384 on P-384",
                        )
                    } else {
                        (
                            &rsig::ECDSA_P256_SHA256_FIXED_SIGNING,
                            9,
                            "ECDSA with SHA2-256 on P-256",
                        )
                    };
                    let kp = rsig::EcdsaKeyPair::from_pkcs8(alg, pkcs8, &rng)
                        .map_err(|e| AuthError::Key(format!("--key: {e}")))?;
                    let sig = kp.sign(&rng, octets).map_err(failed)?;
                    (AuthMethod(m), sig.as_ref().to_vec(), name.to_string())
                }
                PrivateKey::Ed25519(_) => {
                    return Err(AuthError::Method(
                        "Ed25519 has no classic AUTH method: RFC 8420 defines it for Digital Signature (14) only".into(),
                    ))
                }
            }
        };
        Ok((
            method,
            data,
            LocalAuth {
                method: method_name(method),
                algorithm,
                key: self.kind,
                subject: self.subject.clone(),
                certs_sent: self.certs.len(),
                certreq_sent: !self.trust.is_empty(),
                certreq_answered: None,
            },
        ))
    }

    /// The hash to use with method 14: one the responder announced that the key can use.
    fn method14_hash(&self, peer: &[u16]) -> Option<u16> {
        let prefs: &[u16] = match self.kind {
            KeyKind::Ed25519 => &[hash::IDENTITY],
            KeyKind::EcdsaP256 => &[hash::SHA256],
            KeyKind::EcdsaP384 => &[hash::SHA384],
            KeyKind::Rsa => &[hash::SHA256, hash::SHA384, hash::SHA512],
            KeyKind::EcdsaP521 => &[],
        };
        prefs.iter().copied().find(|h| peer.contains(h))
    }

    fn sign14(
        &self,
        h: u16,
        scheme: RsaScheme,
        octets: &[u8],
        rng: &SystemRandom,
    ) -> Result<(Vec<u8>, Vec<u8>, String), AuthError> {
        let failed = |e: ring::error::Unspecified| AuthError::Key(format!("signing failed: {e}"));
        let no_hash = || {
            AuthError::Method(format!(
                "a {} key cannot sign with hash {} under method 14",
                self.kind,
                hash_name(h)
            ))
        };
        match &self.key {
            PrivateKey::Rsa { ring, .. } => {
                let (enc, alg_id, name): (&'static dyn rsig::RsaEncoding, Vec<u8>, String) =
                    match (scheme, h) {
                        (RsaScheme::Pss, hash::SHA256) => {
                            (&rsig::RSA_PSS_SHA256, pss_alg_id(h), "RSASSA-PSS".into())
                        }
                        (RsaScheme::Pss, hash::SHA384) => {
                            (&rsig::RSA_PSS_SHA384, pss_alg_id(h), "RSASSA-PSS".into())
                        }
                        (RsaScheme::Pss, hash::SHA512) => {
                            (&rsig::RSA_PSS_SHA512, pss_alg_id(h), "RSASSA-PSS".into())
                        }
                        (RsaScheme::Pkcs1, hash::SHA256) => (
                            &rsig::RSA_PKCS1_SHA256,
                            alg_id_null(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11]),
                            "RSASSA-PKCS1-v1_5".into(),
                        ),
                        (RsaScheme::Pkcs1, hash::SHA384) => (
                            &rsig::RSA_PKCS1_SHA384,
                            alg_id_null(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 12]),
                            "RSASSA-PKCS1-v1_5".into(),
                        ),
                        (RsaScheme::Pkcs1, hash::SHA512) => (
                            &rsig::RSA_PKCS1_SHA512,
                            alg_id_null(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 13]),
                            "RSASSA-PKCS1-v1_5".into(),
                        ),
                        _ => return Err(no_hash()),
                    };
                let mut sig = vec![0u8; ring.public().modulus_len()];
                ring.sign(enc, rng, octets, &mut sig).map_err(failed)?;
                Ok((alg_id, sig, format!("{name} with {}", hash_name(h))))
            }
            PrivateKey::Ecdsa { pkcs8, p384 } => {
                let (alg, oid_last) = match (p384, h) {
                    (false, hash::SHA256) => (&rsig::ECDSA_P256_SHA256_ASN1_SIGNING, 2),
                    (true, hash::SHA384) => (&rsig::ECDSA_P384_SHA384_ASN1_SIGNING, 3),
                    _ => return Err(no_hash()),
                };
                let kp = rsig::EcdsaKeyPair::from_pkcs8(alg, pkcs8, rng)
                    .map_err(|e| AuthError::Key(format!("--key: {e}")))?;
                let sig = kp.sign(rng, octets).map_err(failed)?;
                // ecdsa-with-SHA256/384: 1.2.840.10045.4.3.2/3, no parameters (RFC 5758 §3.2).
                let alg_id = der_seq(&[der_oid(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, oid_last])]);
                Ok((
                    alg_id,
                    sig.as_ref().to_vec(),
                    format!("ECDSA with {}", hash_name(h)),
                ))
            }
            PrivateKey::Ed25519(k) => {
                if h != hash::IDENTITY {
                    return Err(no_hash());
                }
                // id-Ed25519 1.3.101.112, parameters absent (RFC 8410 §3).
                let alg_id = der_seq(&[der_oid(&[0x2b, 0x65, 0x70])]);
                Ok((alg_id, k.sign(octets).as_ref().to_vec(), "Ed25519".into()))
            }
        }
    }

    /// Checks the responder: its certificate path to our trust anchors and its AUTH over
    /// `octets` (its `<SignedOctets>`), with the end-entity certificate's key.
    pub fn verify_peer(&self, certs: &[Vec<u8>], auth: &Auth, octets: &[u8]) -> PeerAuth {
        verify_peer(&self.trust, certs, auth, octets)
    }
}

/// A rand_core 0.6 RNG over the system's, for the `rsa` crate's blinding.
struct Rng06;

impl rsa::rand_core::RngCore for Rng06 {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // A failing system RNG leaves zeros: blinding is then weaker, the signature still right.
        let _ = crate::crypto::random::fill(dest);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
        crate::crypto::random::fill(dest)
            .map_err(|e| rsa::rand_core::Error::new(std::io::Error::other(e.to_string())))
    }
}

impl rsa::rand_core::CryptoRng for Rng06 {}

/// RFC 7427 §7 hash names.
pub fn hash_name(h: u16) -> &'static str {
    match h {
        hash::SHA1 => "SHA1",
        hash::SHA256 => "SHA2-256",
        hash::SHA384 => "SHA2-384",
        hash::SHA512 => "SHA2-512",
        hash::IDENTITY => "Identity",
        _ => "unknown hash",
    }
}

/// An AUTH method by name and number.
pub fn method_name(m: AuthMethod) -> String {
    format!("{m} ({})", m.0)
}

// DER building for the few AlgorithmIdentifiers sent: written here because they are constant
// shapes of at most 70 octets (short-form lengths only).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag, content.len() as u8];
    v.extend_from_slice(content);
    v
}
fn der_seq(parts: &[Vec<u8>]) -> Vec<u8> {
    der(0x30, &parts.concat())
}
fn der_oid(arcs: &[u8]) -> Vec<u8> {
    der(0x06, arcs)
}
fn alg_id_null(oid: &[u8]) -> Vec<u8> {
    der_seq(&[der_oid(oid), vec![0x05, 0x00]])
}

/// RSASSA-PSS AlgorithmIdentifier (RFC 4055 §3.1, RFC 7427 A.4): hash `h`, MGF1 with `h`, salt
/// as long as the hash, trailer field 1 (the default, omitted).
fn pss_alg_id(h: u16) -> Vec<u8> {
    let (last, salt) = match h {
        hash::SHA384 => (2u8, 48u8),
        hash::SHA512 => (3, 64),
        _ => (1, 32),
    };
    let hash_alg = alg_id_null(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, last]);
    let mgf1 = der_seq(&[
        der_oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 8]),
        hash_alg.clone(),
    ]);
    let params = der_seq(&[
        der(0xa0, &hash_alg),
        der(0xa1, &mgf1),
        der(0xa2, &der(0x02, &[salt])),
    ]);
    der_seq(&[
        der_oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 10]),
        params,
    ])
}

/// Accepts any Extended Key Usage: IKE does not require one (RFC 4945 §5.1.3.12).
struct AnyEku;

impl webpki::ExtendedKeyUsageValidator for AnyEku {
    fn validate(&self, iter: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        for p in iter {
            p?;
        }
        Ok(())
    }
}

/// The responder's certificate path to `trust` (intermediates: `certs[1..]`).
fn check_chain(trust: &[Vec<u8>], certs: &[Vec<u8>]) -> (String, bool) {
    let Some(leaf) = certs.first() else {
        return ("no certificate received".into(), false);
    };
    if trust.is_empty() {
        return ("not checked (no trust anchor given)".into(), false);
    }
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let ee = match webpki::EndEntityCert::try_from(&leaf_der) {
        Ok(ee) => ee,
        Err(e) => return (format!("the certificate is not usable: {e}"), false),
    };
    let trust_der: Vec<CertificateDer<'_>> = trust
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    let mut anchors = Vec::new();
    for t in &trust_der {
        match webpki::anchor_from_trusted_cert(t) {
            Ok(a) => anchors.push(a),
            Err(e) => return (format!("a trust anchor is not usable: {e}"), false),
        }
    }
    let intermediates: Vec<CertificateDer<'_>> = certs[1..]
        .iter()
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();
    match ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &intermediates,
        UnixTime::now(),
        AnyEku,
        None,
        None,
    ) {
        Ok(path) => {
            let n = path.intermediate_certificates().count();
            (
                format!(
                    "verified ({} intermediate{} to a trust anchor)",
                    n,
                    if n == 1 { "" } else { "s" }
                ),
                true,
            )
        }
        Err(e) => (format!("does not verify: {e:?}"), false),
    }
}

fn peer_cert(der: &[u8]) -> Option<PeerCert> {
    let (_, c) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(PeerCert {
        subject: c.subject().to_string(),
        issuer: c.issuer().to_string(),
        key: spki_kind(&c.tbs_certificate.subject_pki),
        not_after: c.validity().not_after.to_string(),
    })
}

/// The ring verification algorithm for a method-14 AlgorithmIdentifier and a key kind.
fn alg14(
    alg_id: &[u8],
    kind: KeyKind,
) -> Result<(&'static dyn rsig::VerificationAlgorithm, String), String> {
    let (_, ai) = x509_parser::x509::AlgorithmIdentifier::from_der(alg_id)
        .map_err(|e| format!("the AlgorithmIdentifier does not parse: {e}"))?;
    let oid = ai.algorithm.to_id_string();
    let sa = x509_parser::signature_algorithm::SignatureAlgorithm::try_from(&ai).ok();
    use x509_parser::signature_algorithm::SignatureAlgorithm as S;
    let named = |alg: &'static dyn rsig::VerificationAlgorithm, n: &str| Ok((alg, n.to_string()));
    match (kind, oid.as_str(), sa) {
        (KeyKind::Rsa, _, Some(S::RSASSA_PSS(p))) => {
            match p.hash_algorithm_oid().to_id_string().as_str() {
                "2.16.840.1.101.3.4.2.1" => {
                    named(&rsig::RSA_PSS_2048_8192_SHA256, "RSASSA-PSS with SHA2-256")
                }
                "2.16.840.1.101.3.4.2.2" => {
                    named(&rsig::RSA_PSS_2048_8192_SHA384, "RSASSA-PSS with SHA2-384")
                }
                "2.16.840.1.101.3.4.2.3" => {
                    named(&rsig::RSA_PSS_2048_8192_SHA512, "RSASSA-PSS with SHA2-512")
                }
                h => Err(format!("RSASSA-PSS with hash {h} is not supported")),
            }
        }
        (KeyKind::Rsa, "1.2.840.113549.1.1.11", _) => named(
            &rsig::RSA_PKCS1_2048_8192_SHA256,
            "RSASSA-PKCS1-v1_5 with SHA2-256",
        ),
        (KeyKind::Rsa, "1.2.840.113549.1.1.12", _) => named(
            &rsig::RSA_PKCS1_2048_8192_SHA384,
            "RSASSA-PKCS1-v1_5 with SHA2-384",
        ),
        (KeyKind::Rsa, "1.2.840.113549.1.1.13", _) => named(
            &rsig::RSA_PKCS1_2048_8192_SHA512,
            "RSASSA-PKCS1-v1_5 with SHA2-512",
        ),
        (KeyKind::Rsa, "1.2.840.113549.1.1.5", _) => named(
            &rsig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            "RSASSA-PKCS1-v1_5 with SHA1",
        ),
        (KeyKind::EcdsaP256, "1.2.840.10045.4.3.2", _) => {
            named(&rsig::ECDSA_P256_SHA256_ASN1, "ECDSA with SHA2-256")
        }
        (KeyKind::EcdsaP256, "1.2.840.10045.4.3.3", _) => {
            named(&rsig::ECDSA_P256_SHA384_ASN1, "ECDSA with SHA2-384")
        }
        (KeyKind::EcdsaP384, "1.2.840.10045.4.3.2", _) => {
            named(&rsig::ECDSA_P384_SHA256_ASN1, "ECDSA with SHA2-256")
        }
        (KeyKind::EcdsaP384, "1.2.840.10045.4.3.3", _) => {
            named(&rsig::ECDSA_P384_SHA384_ASN1, "ECDSA with SHA2-384")
        }
        (KeyKind::Ed25519, "1.3.101.112", _) => named(&rsig::ED25519, "Ed25519"),
        (k, o, _) => Err(format!(
            "signature algorithm {o} (AlgorithmIdentifier {}) with a {k} key is not supported here",
            hex::encode(alg_id)
        )),
    }
}

/// A verification algorithm to try, its name, and the signature bytes.
type Candidate<'a> = (&'static dyn rsig::VerificationAlgorithm, String, &'a [u8]);

/// Checks a responder's certificates (`certs`, DER, end-entity first) against `trust` and its
/// AUTH payload over `octets`. The signature is checked with the end-entity certificate's key
/// whether or not the path verified; both are reported.
pub fn verify_peer(trust: &[Vec<u8>], certs: &[Vec<u8>], auth: &Auth, octets: &[u8]) -> PeerAuth {
    let (chain, chain_ok) = check_chain(trust, certs);
    let mut out = PeerAuth {
        method: method_name(auth.method),
        algorithm: None,
        certificates: certs.iter().filter_map(|c| peer_cert(c)).collect(),
        chain,
        chain_ok,
        signature_ok: false,
        reason: None,
    };
    let leaf = certs
        .first()
        .and_then(|d| x509_parser::parse_x509_certificate(d).ok());
    let Some((_, leaf)) = leaf else {
        out.reason = Some("the responder sent no X.509 certificate to check its AUTH with".into());
        return out;
    };
    let spki = &leaf.tbs_certificate.subject_pki;
    let Some(kind) = spki_kind(spki) else {
        out.reason = Some(format!(
            "the responder's key type {} is not supported here",
            spki.algorithm.algorithm.to_id_string()
        ));
        return out;
    };
    let public = &spki.subject_public_key.data;
    let data = &auth.data[..];
    let candidates: Result<Vec<Candidate<'_>>, String> = match (auth.method.0, kind) {
        (1, KeyKind::Rsa) => Ok(vec![
            (
                &rsig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                "RSASSA-PKCS1-v1_5 with SHA1".into(),
                data,
            ),
            (
                &rsig::RSA_PKCS1_2048_8192_SHA256,
                "RSASSA-PKCS1-v1_5 with SHA2-256".into(),
                data,
            ),
        ]),
        (9, KeyKind::EcdsaP256) => Ok(vec![(
            &rsig::ECDSA_P256_SHA256_FIXED,
            "ECDSA with SHA2-256 on P-256".into(),
            data,
        )]),
        (10, KeyKind::EcdsaP384) => Ok(vec![(
            &rsig::ECDSA_P384_SHA384_FIXED,
            "ECDSA with SHA2-384 on P-384".into(),
            data,
        )]),
        (14, k) => {
            // RFC 7427 §3: ASN.1 Length, AlgorithmIdentifier, Signature Value.
            match data.split_first() {
                Some((&n, rest)) if rest.len() >= usize::from(n) => {
                    let (alg_id, sig) = rest.split_at(usize::from(n));
                    alg14(alg_id, k).map(|(a, name)| vec![(a, name, sig)])
                }
                _ => Err("the Digital Signature data is shorter than its ASN.1 Length".into()),
            }
        }
        (m, k) => Err(format!(
            "AUTH method {} with a {k} certificate is not supported here",
            method_name(AuthMethod(m))
        )),
    };
    match candidates {
        Err(e) => out.reason = Some(e),
        Ok(c) => {
            for (alg, name, sig) in c {
                if rsig::UnparsedPublicKey::new(alg, public.as_ref())
                    .verify(octets, sig)
                    .is_ok()
                {
                    out.signature_ok = true;
                    out.algorithm = Some(name);
                    break;
                }
                out.algorithm.get_or_insert(name);
            }
            if !out.signature_ok {
                out.reason =
                    Some("the signature does not verify with the certificate's key".into());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pss_algorithm_identifier_is_rfc_7427_a_4_3() {
        // RFC 7427 Appendix A.4.3 (RSASSA-PSS with SHA-256, MGF1 SHA-256, salt 32) with the
        // optional NULL parameters of the hash AlgorithmIdentifiers present.
        let want = "3041\
            06092a864886f70d01010a\
            3034\
            a00f300d06096086480165030402010500\
            a11c301a06092a864886f70d010108300d06096086480165030402010500\
            a203020120";
        assert_eq!(hex::encode(pss_alg_id(hash::SHA256)), want);
        let der384 = pss_alg_id(hash::SHA384);
        let (_, ai) = x509_parser::x509::AlgorithmIdentifier::from_der(&der384).unwrap();
        let Ok(x509_parser::signature_algorithm::SignatureAlgorithm::RSASSA_PSS(p)) =
            x509_parser::signature_algorithm::SignatureAlgorithm::try_from(&ai)
        else {
            panic!("not PSS")
        };
        assert_eq!(
            p.hash_algorithm_oid().to_id_string(),
            "2.16.840.1.101.3.4.2.2"
        );
        assert_eq!(p.salt_length(), 48);
    }

    fn cred(alg: &'static rcgen::SignatureAlgorithm) -> (CertCredential, Vec<u8>) {
        let (c, d, _) = cred_pem(alg);
        (c, d)
    }

    fn cred_pem(alg: &'static rcgen::SignatureAlgorithm) -> (CertCredential, Vec<u8>, String) {
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "ietfwg test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let mut p = rcgen::CertificateParams::new(vec!["initiator.test.local".into()]).unwrap();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "initiator.test.local");
        let cert = p.signed_by(&key, &issuer).unwrap();
        let c = CertCredential::from_pem(
            cert.pem().as_bytes(),
            key.serialize_pem().as_bytes(),
            Some(ca_cert.pem().as_bytes()),
        )
        .unwrap();
        (c, cert.der().to_vec(), cert.pem())
    }

    #[test]
    fn signatures_verify_with_every_method() {
        let octets = b"signed octets of RFC 7296 section 2.15";
        for (alg, kind) in [
            (&rcgen::PKCS_ECDSA_P256_SHA256, KeyKind::EcdsaP256),
            (&rcgen::PKCS_ECDSA_P384_SHA384, KeyKind::EcdsaP384),
            (&rcgen::PKCS_ED25519, KeyKind::Ed25519),
        ] {
            let (c, der) = cred(alg);
            assert_eq!(c.kind(), kind);
            let all = [hash::SHA256, hash::SHA384, hash::SHA512, hash::IDENTITY];
            for choice in [MethodChoice::DigitalSignature, MethodChoice::Classic] {
                let Ok((method, data, local)) = c.sign(choice, RsaScheme::Pss, &all, octets) else {
                    assert_eq!(kind, KeyKind::Ed25519, "{choice:?}");
                    continue;
                };
                let auth = Auth {
                    method,
                    reserved: [0; 3],
                    data: data.clone(),
                    signature: None,
                };
                let v = c.verify_peer(std::slice::from_ref(&der), &auth, octets);
                assert!(v.signature_ok, "{kind} {choice:?} {v:?}");
                assert!(v.chain_ok, "{v:?}");
                if method.0 == 14 {
                    assert_eq!(v.algorithm.as_deref(), Some(local.algorithm.as_str()));
                }
                // one flipped bit and it fails
                let mut bad = data;
                let last = bad.len() - 1;
                bad[last] ^= 1;
                let auth = Auth { data: bad, ..auth };
                assert!(
                    !c.verify_peer(std::slice::from_ref(&der), &auth, octets)
                        .signature_ok
                );
            }
        }
    }

    #[test]
    fn auto_falls_back_to_the_classic_method_without_hash_algorithms() {
        let (c, _) = cred(&rcgen::PKCS_ECDSA_P384_SHA384);
        let (m, _, _) = c
            .sign(MethodChoice::Auto, RsaScheme::Pss, &[], b"x")
            .unwrap();
        assert_eq!(m.0, 10);
        let (m, _, l) = c
            .sign(MethodChoice::Auto, RsaScheme::Pss, &[hash::SHA384], b"x")
            .unwrap();
        assert_eq!((m.0, l.algorithm.as_str()), (14, "ECDSA with SHA2-384"));
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let (_, _, pem) = cred_pem(&rcgen::PKCS_ECDSA_P256_SHA256);
        let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let e = CertCredential::from_pem(pem.as_bytes(), other.serialize_pem().as_bytes(), None)
            .unwrap_err();
        assert!(e.to_string().contains("not the private key"), "{e}");
        let e = CertCredential::from_pem(b"garbage", other.serialize_pem().as_bytes(), None)
            .unwrap_err();
        assert!(e.to_string().contains("--cert"), "{e}");
    }
}
