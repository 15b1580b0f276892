//! How the initiator authenticates in IKE_AUTH and checks the responder, beyond a pre-shared
//! key: certificates and signatures.
//!
//! | method | RFC | here |
//! |---|---|---|
//! | 1 RSA Digital Signature | RFC 7296 §3.8 | RSASSA-PKCS1-v1_5 with SHA-1 (what strongSwan and libreswan sign and check) |
//! | 9 / 10 ECDSA with SHA-256 on P-256 / SHA-384 on P-384 | RFC 4754 | r ‖ s, fixed length |
//! | 11 ECDSA with SHA-512 on P-521 | RFC 4754 | r ‖ s, 66 octets each |
//! | 14 Digital Signature | RFC 7427 | AlgorithmIdentifier + signature: RSASSA-PSS or PKCS1-v1_5 (SHA-256/384/512), ECDSA (DER) on P-256/P-384/P-521, Ed25519 and Ed448 (RFC 8420, hash "Identity") |
//!
//! Signatures and their verification come from `ring` (RSASSA-PKCS1-v1_5 with SHA-1 from the
//! `rsa` crate: ring does not sign it; ECDSA on P-521 from the `p521` crate and Ed448 from
//! `ed448-goldilocks`: ring does neither), certificate paths from `rustls-webpki`, certificates
//! are read with `x509-parser`. What is signed is RFC 7296 §2.15's `<SignedOctets>`.
//!
//! The responder's IDr is compared with its end-entity certificate (RFC 7296 §3.5, RFC 4945
//! §3.1): an ID_DER_ASN1_DN with the subject, an ID_FQDN, ID_RFC822_ADDR or ID_IPV4/IPV6_ADDR
//! with a subjectAltName of that type.
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
    /// ECDSA on P-521.
    EcdsaP521,
    /// Ed25519 (RFC 8420).
    Ed25519,
    /// Ed448 (RFC 8420).
    Ed448,
}

impl std::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyKind::Rsa => "RSA",
            KeyKind::EcdsaP256 => "ECDSA P-256",
            KeyKind::EcdsaP384 => "ECDSA P-384",
            KeyKind::EcdsaP521 => "ECDSA P-521",
            KeyKind::Ed25519 => "Ed25519",
            KeyKind::Ed448 => "Ed448",
        })
    }
}

/// Which AUTH method the initiator uses with a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MethodChoice {
    /// RFC 7427 Digital Signature (14) when the responder sent SIGNATURE_HASH_ALGORITHMS with
    /// a hash the key can use, else the key type's classic method (1, 9, 10, 11).
    #[default]
    Auto,
    /// Always Digital Signature (14).
    DigitalSignature,
    /// Always the classic method of the key type: RSA (1), ECDSA (9, 10, 11).
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
    P521(Box<p521::ecdsa::SigningKey>),
    Ed448(Box<ed448_goldilocks::SigningKey>),
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
    /// IDr compared with the end-entity certificate (RFC 7296 §3.5, RFC 4945 §3.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_check: Option<IdCheck>,
}

/// The responder's IDr against its certificate's subject or subjectAltName.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IdCheck {
    /// `match`, `mismatch`, or `not_checked` (an ID type a certificate does not name).
    pub status: IdCheckStatus,
    /// What IDr was compared with (`subject`, `subjectAltName dNSName` …) and the values.
    pub detail: String,
    /// For a mismatch: the rule broken (RFC section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfc: Option<String>,
}

/// The outcome of [`IdCheck`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdCheckStatus {
    /// IDr is the certificate's subject, or one of its subjectAltNames of the ID's type.
    Match,
    /// It is not: the responder is not who its certificate says.
    Mismatch,
    /// The ID type is not one a certificate names (ID_KEY_ID, …).
    NotChecked,
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
        "1.3.101.113" => Some(KeyKind::Ed448),
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
                "the certificate's key ({}) is not RSA, ECDSA P-256/P-384/P-521, Ed25519 or Ed448",
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
            (KeyKind::EcdsaP521, PrivateKeyDer::Pkcs8(k)) => {
                use p521::pkcs8::DecodePrivateKey;
                PrivateKey::P521(Box::new(
                    p521::ecdsa::SigningKey::from_pkcs8_der(k.secret_pkcs8_der())
                        .map_err(|e| bad(&e))?,
                ))
            }
            (KeyKind::Ed448, PrivateKeyDer::Pkcs8(k)) => {
                use ed448_goldilocks::pkcs8::DecodePrivateKey;
                PrivateKey::Ed448(Box::new(
                    ed448_goldilocks::SigningKey::from_pkcs8_der(k.secret_pkcs8_der())
                        .map_err(|e| bad(&e))?,
                ))
            }
            (
                KeyKind::EcdsaP256 | KeyKind::EcdsaP384 | KeyKind::EcdsaP521,
                PrivateKeyDer::Sec1(_),
            ) => {
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
            PrivateKey::P521(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            PrivateKey::Ed448(k) => k.verifying_key().as_bytes().to_vec(),
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
            MethodChoice::Auto => {
                sig_hash.is_some() || matches!(self.kind, KeyKind::Ed25519 | KeyKind::Ed448)
            }
        };
        let failed = |e: ring::error::Unspecified| AuthError::Key(format!("signing failed: {e}"));
        let (method, data, algorithm) = if use14 {
            // RFC 7427 §4: only hashes the peer announced; without the notify, its first choice.
            let h = sig_hash.unwrap_or(match self.kind {
                KeyKind::Ed25519 | KeyKind::Ed448 => hash::IDENTITY,
                KeyKind::EcdsaP384 => hash::SHA384,
                KeyKind::EcdsaP521 => hash::SHA512,
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
                PrivateKey::P521(k) => {
                    use p521::ecdsa::signature::Signer;
                    // RFC 4754 §7: r ‖ s, each 66 octets; the hash is SHA-512.
                    let sig: p521::ecdsa::Signature = k
                        .try_sign(octets)
                        .map_err(|e| AuthError::Key(format!("signing failed: {e}")))?;
                    (
                        AuthMethod(11),
                        sig.to_bytes().to_vec(),
                        "ECDSA with SHA2-512 on P-521".to_string(),
                    )
                }
                PrivateKey::Ed25519(_) | PrivateKey::Ed448(_) => {
                    return Err(AuthError::Method(format!(
                        "{} has no classic AUTH method: RFC 8420 defines it for Digital Signature (14) only",
                        self.kind
                    )))
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
            KeyKind::Ed25519 | KeyKind::Ed448 => &[hash::IDENTITY],
            KeyKind::EcdsaP256 => &[hash::SHA256],
            KeyKind::EcdsaP384 => &[hash::SHA384],
            KeyKind::Rsa => &[hash::SHA256, hash::SHA384, hash::SHA512],
            KeyKind::EcdsaP521 => &[hash::SHA512],
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
            PrivateKey::P521(k) => {
                use p521::ecdsa::signature::Signer;
                if h != hash::SHA512 {
                    return Err(no_hash());
                }
                let sig: p521::ecdsa::Signature = k
                    .try_sign(octets)
                    .map_err(|e| AuthError::Key(format!("signing failed: {e}")))?;
                // ecdsa-with-SHA512: 1.2.840.10045.4.3.4, no parameters (RFC 5758 §3.2).
                let alg_id = der_seq(&[der_oid(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 4])]);
                Ok((
                    alg_id,
                    sig.to_der().as_bytes().to_vec(),
                    "ECDSA with SHA2-512".into(),
                ))
            }
            PrivateKey::Ed448(k) => {
                if h != hash::IDENTITY {
                    return Err(no_hash());
                }
                // id-Ed448 1.3.101.113, parameters absent (RFC 8410 §3); pure Ed448 with an
                // empty context (RFC 8420 §2).
                let alg_id = der_seq(&[der_oid(&[0x2b, 0x65, 0x71])]);
                Ok((
                    alg_id,
                    k.sign_raw(octets).to_bytes().to_vec(),
                    "Ed448".into(),
                ))
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

/// Compares IDr (`id_type`, `data`: the Identification Data) with the end-entity certificate
/// `der`: RFC 4945 §3.1 (ID_IPV4_ADDR/ID_IPV6_ADDR with an iPAddress, ID_FQDN with a dNSName,
/// ID_RFC822_ADDR with an rfc822Name, all in subjectAltName; ID_DER_ASN1_DN with the subject),
/// as RFC 7296 §3.5 asks ("the identity … MUST be … verified to be consistent with the
/// certificate").
pub fn check_id(id_type: u8, data: &[u8], der: &[u8]) -> Option<IdCheck> {
    use x509_parser::extensions::GeneralName;
    let (_, c) = x509_parser::parse_x509_certificate(der).ok()?;
    let sans: Vec<GeneralName<'_>> = c
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|e| e.value.general_names.clone())
        .unwrap_or_default();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (kind, section, want, found): (&str, &str, String, Vec<String>) = match id_type {
        1 | 5 => {
            let ips: Vec<&[u8]> = sans
                .iter()
                .filter_map(|g| match g {
                    GeneralName::IPAddress(a) => Some(*a),
                    _ => None,
                })
                .collect();
            let show = |b: &[u8]| match b.len() {
                4 => <[u8; 4]>::try_from(b).map_or_else(
                    |_| hex::encode(b),
                    |a| std::net::Ipv4Addr::from(a).to_string(),
                ),
                16 => <[u8; 16]>::try_from(b).map_or_else(
                    |_| hex::encode(b),
                    |a| std::net::Ipv6Addr::from(a).to_string(),
                ),
                _ => hex::encode(b),
            };
            let ok = ips.contains(&data);
            return Some(id_result(
                ok,
                "subjectAltName iPAddress",
                "RFC 4945 §3.1.1",
                &show(data),
                &ips.iter().map(|b| show(b)).collect::<Vec<_>>(),
            ));
        }
        2 => (
            "subjectAltName dNSName",
            "RFC 4945 §3.1.2",
            text(data),
            sans.iter()
                .filter_map(|g| match g {
                    GeneralName::DNSName(n) => Some((*n).to_string()),
                    _ => None,
                })
                .collect(),
        ),
        3 => (
            "subjectAltName rfc822Name",
            "RFC 4945 §3.1.3",
            text(data),
            sans.iter()
                .filter_map(|g| match g {
                    GeneralName::RFC822Name(n) => Some((*n).to_string()),
                    _ => None,
                })
                .collect(),
        ),
        9 => {
            // RFC 4945 §3.1.5: the DN must equal the subject; compared as DER and, for
            // encodings that differ (PrintableString against UTF8String), as parsed text.
            let subject = c.subject();
            let ok = data == subject.as_raw()
                || x509_parser::x509::X509Name::from_der(data)
                    .is_ok_and(|(_, n)| n.to_string() == subject.to_string());
            let want = x509_parser::x509::X509Name::from_der(data)
                .map_or_else(|_| hex::encode(data), |(_, n)| n.to_string());
            return Some(id_result(
                ok,
                "subject",
                "RFC 4945 §3.1.5",
                &want,
                &[subject.to_string()],
            ));
        }
        _ => {
            return Some(IdCheck {
                status: IdCheckStatus::NotChecked,
                detail: format!("ID type {id_type} is not one a certificate names"),
                rfc: None,
            })
        }
    };
    // FQDNs and mail addresses compare without regard to case (RFC 4343, RFC 5280 §7.5).
    let ok = found.iter().any(|f| f.eq_ignore_ascii_case(&want));
    Some(id_result(ok, kind, section, &want, &found))
}

fn id_result(ok: bool, kind: &str, section: &str, want: &str, found: &[String]) -> IdCheck {
    let names = if found.is_empty() {
        "none".to_string()
    } else {
        found.join(", ")
    };
    if ok {
        IdCheck {
            status: IdCheckStatus::Match,
            detail: format!("IDr {want} is the certificate's {kind}"),
            rfc: None,
        }
    } else {
        IdCheck {
            status: IdCheckStatus::Mismatch,
            detail: format!("IDr {want} is not the certificate's {kind} ({names})"),
            rfc: Some(format!(
                "RFC 7296 §3.5, {section}: the identity must be consistent with the certificate"
            )),
        }
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

/// How a signature is checked: by ring, or by the crates that do what ring does not.
#[derive(Clone, Copy)]
enum Check {
    Ring(&'static dyn rsig::VerificationAlgorithm),
    /// ECDSA on P-521 over hash `h` (RFC 7427 §7 number): r ‖ s (method 11) or DER (method 14).
    P521 {
        h: u16,
        der: bool,
    },
    /// Pure Ed448, empty context (RFC 8420 §2).
    Ed448,
}

/// Whether `sig` over `octets` verifies with `public` (a SubjectPublicKeyInfo's key bits).
fn check_sig(c: Check, public: &[u8], octets: &[u8], sig: &[u8]) -> bool {
    match c {
        Check::Ring(alg) => rsig::UnparsedPublicKey::new(alg, public)
            .verify(octets, sig)
            .is_ok(),
        Check::P521 { h, der } => {
            use p521::ecdsa::signature::hazmat::PrehashVerifier;
            let Ok(vk) = p521::ecdsa::VerifyingKey::from_sec1_bytes(public) else {
                return false;
            };
            let sig = if der {
                p521::ecdsa::Signature::from_der(sig)
            } else {
                p521::ecdsa::Signature::from_slice(sig)
            };
            let Ok(sig) = sig else {
                return false;
            };
            let digest: Vec<u8> = match h {
                hash::SHA256 => sha2::Sha256::digest(octets).to_vec(),
                hash::SHA384 => sha2::Sha384::digest(octets).to_vec(),
                _ => sha2::Sha512::digest(octets).to_vec(),
            };
            vk.verify_prehash(&digest, &sig).is_ok()
        }
        Check::Ed448 => {
            let Ok(pb) = <[u8; 57]>::try_from(public) else {
                return false;
            };
            let Ok(vk) = ed448_goldilocks::VerifyingKey::from_bytes(&pb) else {
                return false;
            };
            let Ok(sig) = ed448_goldilocks::Signature::from_slice(sig) else {
                return false;
            };
            vk.verify_raw(&sig, octets).is_ok()
        }
    }
}

/// The verification for a method-14 AlgorithmIdentifier and a key kind.
fn alg14(alg_id: &[u8], kind: KeyKind) -> Result<(Check, String), String> {
    let (_, ai) = x509_parser::x509::AlgorithmIdentifier::from_der(alg_id)
        .map_err(|e| format!("the AlgorithmIdentifier does not parse: {e}"))?;
    let oid = ai.algorithm.to_id_string();
    let sa = x509_parser::signature_algorithm::SignatureAlgorithm::try_from(&ai).ok();
    use x509_parser::signature_algorithm::SignatureAlgorithm as S;
    let named = |alg: &'static dyn rsig::VerificationAlgorithm, n: &str| {
        Ok((Check::Ring(alg), n.to_string()))
    };
    let p521 = |h: u16| {
        Ok((
            Check::P521 { h, der: true },
            format!("ECDSA with {}", hash_name(h)),
        ))
    };
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
        (KeyKind::EcdsaP521, "1.2.840.10045.4.3.2", _) => p521(hash::SHA256),
        (KeyKind::EcdsaP521, "1.2.840.10045.4.3.3", _) => p521(hash::SHA384),
        (KeyKind::EcdsaP521, "1.2.840.10045.4.3.4", _) => p521(hash::SHA512),
        (KeyKind::Ed25519, "1.3.101.112", _) => named(&rsig::ED25519, "Ed25519"),
        (KeyKind::Ed448, "1.3.101.113", _) => Ok((Check::Ed448, "Ed448".into())),
        (k, o, _) => Err(format!(
            "signature algorithm {o} (AlgorithmIdentifier {}) with a {k} key is not supported here",
            hex::encode(alg_id)
        )),
    }
}

/// A verification algorithm to try, its name, and the signature bytes.
type Candidate<'a> = (Check, String, &'a [u8]);

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
        id_check: None,
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
                Check::Ring(&rsig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY),
                "RSASSA-PKCS1-v1_5 with SHA1".into(),
                data,
            ),
            (
                Check::Ring(&rsig::RSA_PKCS1_2048_8192_SHA256),
                "RSASSA-PKCS1-v1_5 with SHA2-256".into(),
                data,
            ),
        ]),
        (9, KeyKind::EcdsaP256) => Ok(vec![(
            Check::Ring(&rsig::ECDSA_P256_SHA256_FIXED),
            "ECDSA with SHA2-256 on P-256".into(),
            data,
        )]),
        (10, KeyKind::EcdsaP384) => Ok(vec![(
            Check::Ring(&rsig::ECDSA_P384_SHA384_FIXED),
            "ECDSA with SHA2-384 on P-384".into(),
            data,
        )]),
        (11, KeyKind::EcdsaP521) => Ok(vec![(
            Check::P521 {
                h: hash::SHA512,
                der: false,
            },
            "ECDSA with SHA2-512 on P-521".into(),
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
                if check_sig(alg, public.as_ref(), octets, sig) {
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

    /// P-521 (methods 11 and 14) and Ed448 (method 14), with keys and certificates openssl
    /// makes (rcgen's ring backend makes neither): signed here, verified here, and a changed
    /// octet refused.
    #[test]
    fn p521_and_ed448_sign_and_verify() {
        use ietfwg_test_support::pki::{Ca, KeyType};
        let dir = std::env::temp_dir().join(format!("ietfwg-auth-unit-{}", std::process::id()));
        let Some(ca) = Ca::new(&dir) else {
            return;
        };
        let octets = b"signed octets of RFC 7296 section 2.15";
        let all = [hash::SHA256, hash::SHA384, hash::SHA512, hash::IDENTITY];
        for (t, kind, want) in [
            (
                KeyType::EcdsaP521,
                KeyKind::EcdsaP521,
                [
                    (14, "ECDSA with SHA2-512"),
                    (11, "ECDSA with SHA2-512 on P-521"),
                ],
            ),
            (
                KeyType::Ed448,
                KeyKind::Ed448,
                [(14, "Ed448"), (14, "Ed448")],
            ),
        ] {
            let leaf = ca.leaf("initiator.test.local", t);
            let pem = std::fs::read(&leaf.cert).unwrap();
            let key = std::fs::read(&leaf.key).unwrap();
            let capem = std::fs::read(ca.cert()).unwrap();
            let c = CertCredential::from_pem(&pem, &key, Some(&capem)).unwrap();
            assert_eq!(c.kind(), kind);
            let der = pem_certs("t", &pem).unwrap().remove(0);
            for (choice, (m, alg)) in [MethodChoice::Auto, MethodChoice::Classic]
                .into_iter()
                .zip(want)
            {
                let r = c.sign(choice, RsaScheme::Pss, &all, octets);
                if kind == KeyKind::Ed448 && choice == MethodChoice::Classic {
                    assert!(r.unwrap_err().to_string().contains("RFC 8420"));
                    continue;
                }
                let (method, data, local) = r.unwrap();
                assert_eq!((method.0, local.algorithm.as_str()), (m, alg));
                let auth = Auth {
                    method,
                    reserved: [0; 3],
                    data: data.clone(),
                    signature: None,
                };
                let v = c.verify_peer(std::slice::from_ref(&der), &auth, octets);
                assert!(v.signature_ok && v.chain_ok, "{kind} {choice:?} {v:?}");
                assert_eq!(v.algorithm.as_deref(), Some(alg));
                assert!(
                    !c.verify_peer(std::slice::from_ref(&der), &auth, b"other octets")
                        .signature_ok
                );
            }
            // an Ed448 or P-521 key of another certificate is refused
            let other = ca.leaf("other.test.local", t);
            let e = CertCredential::from_pem(&pem, &std::fs::read(&other.key).unwrap(), None)
                .unwrap_err();
            assert!(e.to_string().contains("not the private key"), "{e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn idr_is_compared_with_the_certificate() {
        let (_, der, _) = cred_pem(&rcgen::PKCS_ECDSA_P256_SHA256);
        let fqdn = check_id(2, b"initiator.test.local", &der).unwrap();
        assert_eq!(fqdn.status, IdCheckStatus::Match, "{fqdn:?}");
        let upper = check_id(2, b"INITIATOR.test.local", &der).unwrap();
        assert_eq!(upper.status, IdCheckStatus::Match);
        let other = check_id(2, b"responder.test.local", &der).unwrap();
        assert_eq!(other.status, IdCheckStatus::Mismatch);
        assert!(other.rfc.as_deref().unwrap().contains("RFC 4945 §3.1.2"));
        assert!(other.detail.contains("(initiator.test.local)"), "{other:?}");
        let (_, c) = x509_parser::parse_x509_certificate(&der).unwrap();
        let dn = check_id(9, c.subject().as_raw(), &der).unwrap();
        assert_eq!(dn.status, IdCheckStatus::Match);
        let ip = check_id(1, &[127, 0, 0, 1], &der).unwrap();
        assert_eq!(ip.status, IdCheckStatus::Mismatch);
        assert!(
            ip.detail.contains("127.0.0.1") && ip.detail.contains("none"),
            "{ip:?}"
        );
        assert_eq!(
            check_id(11, b"key", &der).unwrap().status,
            IdCheckStatus::NotChecked
        );
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
