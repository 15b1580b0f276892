//! Probing which IKE SA algorithms a responder accepts, without I/O: proposals written in
//! strongSwan's swanctl syntax, the IKE_SA_INIT request of one offer, the classification of the
//! answer, and the plan of a scan that finds every accepted value in a bounded number of offers.
//!
//! # Proposals (swanctl syntax)
//!
//! `aes256-sha256-modp2048`, `aes128gcm16-prfsha256-ecp256`, several separated by `,`. Each
//! dash-separated keyword is an encryption algorithm, a PRF (`prf…`), an integrity algorithm or
//! a key exchange method; a proposal may list several of each (`aes128-aes256-sha256-ecp256-x25519`).
//! As in strongSwan, a proposal without a PRF gets the PRFs matching its integrity algorithms
//! (`sha256` → `prfsha256`); an AEAD proposal (GCM, CCM, ChaCha20-Poly1305) has no integrity
//! algorithm and needs an explicit PRF. AEAD and non-AEAD algorithms cannot share a proposal.
//!
//! # The scan
//!
//! A responder accepts a proposal when, for every transform type, one of its configured
//! proposals has a value in common with ours (RFC 7296 §2.7). Trying the full product
//! encryption × PRF × integrity × group would take thousands of offers; instead each probe
//! fixes **one** transform type to one candidate value and leaves the other types wide open
//! (every value this module knows), so the candidate is found whenever the responder accepts it
//! in any combination. Types are scanned in the order encryption, PRF, integrity, group; once a
//! type is scanned, later probes offer only the values found for it.
//!
//! The KE payload of these probes is for the 768-bit MODP group (the *decoy*: RFC 8247 says
//! MUST NOT, no sane responder selects it). A responder that selects a proposal with another
//! group answers INVALID_KE_PAYLOAD with that group (RFC 7296 §1.2, §3.10.1): the proposal
//! matched, the candidate is accepted, and the responder keeps no state (no half-open IKE SA,
//! so no DoS protection — cookies, per-address limits — is triggered). NO_PROPOSAL_CHOSEN means
//! the candidate is not accepted. For groups, the probe offers `{candidate, decoy}`: an
//! INVALID_KE_PAYLOAD asking for the candidate means it is accepted. If the responder does
//! accept the decoy (found by a first probe offering only it), the group probes offer the
//! candidate alone with real key exchange data instead, and acceptance means support.
//!
//! Bound: 1 (base) + every candidate of each type, see [`Scan::max_probes`].

use ietfwg_report::hex::Hex;
use serde_with::serde_as;
use std::fmt;
use std::net::SocketAddr;

use crate::active::initiator::notify;
use crate::crypto::key_exchange::{KexError, KeyExchange};
use crate::crypto::random::{self, RandomError};
use crate::ike_sa_init::{nat_detection_hash, Demand, InitResponse};
use crate::wire::header::Header;
use crate::wire::message::Message;
use crate::wire::payload::sa::AttrValue;
use crate::wire::payload::{
    notify_type, payload_type, Ke, Nonce, Payload, PayloadBody, Proposal, Sa, Transform,
    TransformAttr, TransformId,
};
use crate::wire::reader::Reader;
use crate::wire::registry::{
    EncrId, ExchangeType, IntegId, KeId, NotifyType, PrfId, ProtocolId, TransformAttrType,
    TransformType,
};

/// An encryption transform: its ID and Key Length attribute (bits; RFC 7296 §3.3.5), which AES
/// and Camellia require and the others must not carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Encryption {
    /// Transform ID (Transform Type 1).
    pub id: EncrId,
    /// Key Length attribute, in bits.
    pub key_len: Option<u16>,
}

impl Encryption {
    /// AEAD (RFC 5282, RFC 7634): a proposal with it has no integrity algorithm.
    pub fn is_aead(self) -> bool {
        self.id.is_aead()
    }

    /// The swanctl keyword (`aes256`, `aes128gcm16`, `chacha20poly1305`), or the IANA name
    /// and key length for values without one.
    pub fn keyword(self) -> String {
        KEYWORDS
            .iter()
            .find(|k| k.ty == 1 && k.id == self.id.0 && k.key_len == self.key_len)
            .map(|k| k.word.to_string())
            .unwrap_or_else(|| match self.key_len {
                Some(l) => format!("{}_{l}", self.id),
                None => self.id.to_string(),
            })
    }
}

impl fmt::Display for Encryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.keyword())
    }
}

impl serde::Serialize for Encryption {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Encryption", 3)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("key_len", &self.key_len)?;
        st.serialize_field("keyword", &self.keyword())?;
        st.end()
    }
}

/// One swanctl keyword: Transform Type, ID, Key Length.
#[derive(Debug, Clone, Copy)]
struct Keyword {
    word: &'static str,
    ty: u8,
    id: u16,
    key_len: Option<u16>,
}

const fn kw(word: &'static str, ty: u8, id: u16, key_len: Option<u16>) -> Keyword {
    Keyword {
        word,
        ty,
        id,
        key_len,
    }
}

/// strongSwan's proposal keywords (its `proposal_keywords_static.txt`) for the IKE SA
/// algorithms of the IANA registries. The first keyword of a value is the one printed; the
/// aliases after it are accepted when parsing.
const KEYWORDS: &[Keyword] = &[
    // Transform Type 1, encryption (RFC 7296 §3.3.2; AES key lengths RFC 3602, 3686, 4106, 4309)
    kw("aes128", 1, 12, Some(128)),
    kw("aes192", 1, 12, Some(192)),
    kw("aes256", 1, 12, Some(256)),
    kw("aes", 1, 12, Some(128)),
    kw("aes128ctr", 1, 13, Some(128)),
    kw("aes192ctr", 1, 13, Some(192)),
    kw("aes256ctr", 1, 13, Some(256)),
    kw("aes128ccm8", 1, 14, Some(128)),
    kw("aes192ccm8", 1, 14, Some(192)),
    kw("aes256ccm8", 1, 14, Some(256)),
    kw("aes128ccm12", 1, 15, Some(128)),
    kw("aes192ccm12", 1, 15, Some(192)),
    kw("aes256ccm12", 1, 15, Some(256)),
    kw("aes128ccm16", 1, 16, Some(128)),
    kw("aes192ccm16", 1, 16, Some(192)),
    kw("aes256ccm16", 1, 16, Some(256)),
    kw("aes128gcm8", 1, 18, Some(128)),
    kw("aes192gcm8", 1, 18, Some(192)),
    kw("aes256gcm8", 1, 18, Some(256)),
    kw("aes128gcm12", 1, 19, Some(128)),
    kw("aes192gcm12", 1, 19, Some(192)),
    kw("aes256gcm12", 1, 19, Some(256)),
    kw("aes128gcm16", 1, 20, Some(128)),
    kw("aes192gcm16", 1, 20, Some(192)),
    kw("aes256gcm16", 1, 20, Some(256)),
    kw("aes128ccm64", 1, 14, Some(128)),
    kw("aes192ccm64", 1, 14, Some(192)),
    kw("aes256ccm64", 1, 14, Some(256)),
    kw("aes128ccm96", 1, 15, Some(128)),
    kw("aes192ccm96", 1, 15, Some(192)),
    kw("aes256ccm96", 1, 15, Some(256)),
    kw("aes128ccm128", 1, 16, Some(128)),
    kw("aes192ccm128", 1, 16, Some(192)),
    kw("aes256ccm128", 1, 16, Some(256)),
    kw("aes128ccm", 1, 16, Some(128)),
    kw("aes192ccm", 1, 16, Some(192)),
    kw("aes256ccm", 1, 16, Some(256)),
    kw("aes128gcm64", 1, 18, Some(128)),
    kw("aes192gcm64", 1, 18, Some(192)),
    kw("aes256gcm64", 1, 18, Some(256)),
    kw("aes128gcm96", 1, 19, Some(128)),
    kw("aes192gcm96", 1, 19, Some(192)),
    kw("aes256gcm96", 1, 19, Some(256)),
    kw("aes128gcm128", 1, 20, Some(128)),
    kw("aes192gcm128", 1, 20, Some(192)),
    kw("aes256gcm128", 1, 20, Some(256)),
    kw("aes128gcm", 1, 20, Some(128)),
    kw("aes192gcm", 1, 20, Some(192)),
    kw("aes256gcm", 1, 20, Some(256)),
    kw("chacha20poly1305", 1, 28, None),
    kw("3des", 1, 3, None),
    kw("des", 1, 2, None),
    kw("cast128", 1, 6, Some(128)),
    kw("blowfish128", 1, 7, Some(128)),
    kw("blowfish", 1, 7, Some(128)),
    kw("null", 1, 11, None),
    kw("camellia128", 1, 23, Some(128)),
    kw("camellia192", 1, 23, Some(192)),
    kw("camellia256", 1, 23, Some(256)),
    kw("camellia", 1, 23, Some(128)),
    kw("camellia128ctr", 1, 24, Some(128)),
    kw("camellia192ctr", 1, 24, Some(192)),
    kw("camellia256ctr", 1, 24, Some(256)),
    // Transform Type 2, PRF
    kw("prfmd5", 2, 1, None),
    kw("prfsha1", 2, 2, None),
    kw("prfaesxcbc", 2, 4, None),
    kw("prfsha256", 2, 5, None),
    kw("prfsha384", 2, 6, None),
    kw("prfsha512", 2, 7, None),
    kw("prfaescmac", 2, 8, None),
    kw("prfsha2_256", 2, 5, None),
    kw("prfsha2_384", 2, 6, None),
    kw("prfsha2_512", 2, 7, None),
    // Transform Type 3, integrity
    kw("md5", 3, 1, None),
    kw("sha1", 3, 2, None),
    kw("aesxcbc", 3, 5, None),
    kw("md5_128", 3, 6, None),
    kw("sha1_160", 3, 7, None),
    kw("aescmac", 3, 8, None),
    kw("sha256", 3, 12, None),
    kw("sha384", 3, 13, None),
    kw("sha512", 3, 14, None),
    kw("sha", 3, 2, None),
    kw("sha2_256", 3, 12, None),
    kw("sha2_384", 3, 13, None),
    kw("sha2_512", 3, 14, None),
    // Transform Type 4, key exchange method (RFC 3526, 5114, 5903, 6954, 8031)
    kw("modp768", 4, 1, None),
    kw("modp1024", 4, 2, None),
    kw("modp1536", 4, 5, None),
    kw("modp2048", 4, 14, None),
    kw("modp3072", 4, 15, None),
    kw("modp4096", 4, 16, None),
    kw("modp6144", 4, 17, None),
    kw("modp8192", 4, 18, None),
    kw("ecp256", 4, 19, None),
    kw("ecp384", 4, 20, None),
    kw("ecp521", 4, 21, None),
    kw("modp1024s160", 4, 22, None),
    kw("modp2048s224", 4, 23, None),
    kw("modp2048s256", 4, 24, None),
    kw("ecp192", 4, 25, None),
    kw("ecp224", 4, 26, None),
    kw("ecp224bp", 4, 27, None),
    kw("ecp256bp", 4, 28, None),
    kw("ecp384bp", 4, 29, None),
    kw("ecp512bp", 4, 30, None),
    kw("curve25519", 4, 31, None),
    kw("curve448", 4, 32, None),
    kw("x25519", 4, 31, None),
    kw("x448", 4, 32, None),
];

/// The printed keyword of a PRF, integrity or group value (the IANA name when swanctl has none).
pub fn keyword(t: TransformType, id: u16) -> String {
    if t.0 == 1 {
        return Encryption {
            id: EncrId(id),
            key_len: None,
        }
        .keyword();
    }
    KEYWORDS
        .iter()
        .find(|k| k.ty == t.0 && k.id == id)
        .map(|k| k.word.to_string())
        .unwrap_or_else(|| TransformId::new(t, id).to_string())
}

/// The PRF strongSwan pairs with an integrity algorithm when a proposal names no PRF.
fn prf_for_integ(i: IntegId) -> Option<PrfId> {
    Some(match i.0 {
        1 | 6 => PrfId::HMAC_MD5,
        2 | 7 => PrfId::HMAC_SHA1,
        5 => PrfId::AES128_XCBC,
        8 => PrfId::AES128_CMAC,
        12 => PrfId::HMAC_SHA2_256,
        13 => PrfId::HMAC_SHA2_384,
        14 => PrfId::HMAC_SHA2_512,
        _ => return None,
    })
}

/// Why a `--proposals` string is not a proposal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    /// A keyword strongSwan's syntax (as this module knows it) has no meaning for.
    #[error("proposal {proposal:?}: unknown algorithm keyword {keyword:?} (expected e.g. aes256, aes128gcm16, prfsha256, sha256, modp2048, ecp256, x25519)")]
    UnknownKeyword {
        /// The proposal.
        proposal: String,
        /// The keyword.
        keyword: String,
    },
    /// No value of a transform type the IKE SA needs.
    #[error("proposal {proposal:?} has no {what}")]
    Missing {
        /// The proposal.
        proposal: String,
        /// What is missing ("encryption algorithm", "key exchange method", …).
        what: &'static str,
    },
    /// AEAD and non-AEAD encryption in one proposal (RFC 5282 §8: separate proposals).
    #[error("proposal {proposal:?} mixes AEAD ({aead}) and non-AEAD ({other}) encryption; write two proposals separated by ','")]
    MixedAead {
        /// The proposal.
        proposal: String,
        /// The AEAD keyword.
        aead: String,
        /// The other keyword.
        other: String,
    },
    /// An integrity algorithm in an AEAD proposal.
    #[error("proposal {proposal:?}: {integ} is an integrity algorithm, but AEAD encryption has none (RFC 5282 §8)")]
    IntegWithAead {
        /// The proposal.
        proposal: String,
        /// The keyword.
        integ: String,
    },
    /// Nothing at all.
    #[error("empty proposal list")]
    Empty,
}

/// One IKE SA proposal (RFC 7296 §3.3.1): the values of each transform type it offers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwanctlProposal {
    /// Encryption algorithms.
    pub encr: Vec<Encryption>,
    /// PRFs.
    pub prf: Vec<PrfId>,
    /// Integrity algorithms (empty for AEAD).
    pub integ: Vec<IntegId>,
    /// Key exchange methods (Transform Type 4).
    pub ke: Vec<KeId>,
}

impl SwanctlProposal {
    /// True when the encryption algorithms are AEAD.
    pub fn is_aead(&self) -> bool {
        self.encr.first().is_some_and(|e| e.is_aead())
    }

    /// The SA payload proposal: Protocol ID IKE, no SPI (RFC 7296 §3.3.1), transforms in the
    /// order encryption, PRF, integrity, key exchange.
    pub fn proposal(&self, num: u8) -> Proposal {
        let t = |ty: TransformType, id: u16, attrs: Vec<TransformAttr>| Transform {
            reserved1: 0,
            length: 0,
            transform_type: ty,
            reserved2: 0,
            transform_id: TransformId::new(ty, id),
            attributes: attrs.into(),
        };
        let mut transforms = Vec::new();
        for e in &self.encr {
            let attrs = e
                .key_len
                .map(|l| {
                    vec![TransformAttr {
                        attr_type: TransformAttrType::KEY_LENGTH,
                        value: AttrValue::Tv(l),
                    }]
                })
                .unwrap_or_default();
            transforms.push(t(TransformType::ENCR, e.id.0, attrs));
        }
        for p in &self.prf {
            transforms.push(t(TransformType::PRF, p.0, Vec::new()));
        }
        for i in &self.integ {
            transforms.push(t(TransformType::INTEG, i.0, Vec::new()));
        }
        for k in &self.ke {
            transforms.push(t(TransformType::KE, k.0, Vec::new()));
        }
        Proposal {
            reserved: 0,
            length: 0,
            proposal_num: num,
            protocol_id: ProtocolId::IKE,
            spi: Vec::new(),
            transforms,
        }
    }
}

impl fmt::Display for SwanctlProposal {
    /// swanctl syntax; PRFs are always written (also when strongSwan would derive them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words: Vec<String> = self.encr.iter().map(|e| e.keyword()).collect();
        words.extend(self.prf.iter().map(|p| keyword(TransformType::PRF, p.0)));
        words.extend(
            self.integ
                .iter()
                .map(|i| keyword(TransformType::INTEG, i.0)),
        );
        words.extend(self.ke.iter().map(|k| keyword(TransformType::KE, k.0)));
        f.write_str(&words.join("-"))
    }
}

/// Parses one proposal (`aes256-sha256-modp2048`).
pub fn parse_proposal(s: &str) -> Result<SwanctlProposal, ProposalError> {
    let proposal = s.trim().to_string();
    let mut o = SwanctlProposal::default();
    for word in s.trim().split('-') {
        let w = word.trim().to_ascii_lowercase();
        let Some(k) = KEYWORDS.iter().find(|k| k.word == w) else {
            return Err(ProposalError::UnknownKeyword {
                proposal,
                keyword: word.to_string(),
            });
        };
        match k.ty {
            1 => push_unique(
                &mut o.encr,
                Encryption {
                    id: EncrId(k.id),
                    key_len: k.key_len,
                },
            ),
            2 => push_unique(&mut o.prf, PrfId(k.id)),
            3 => push_unique(&mut o.integ, IntegId(k.id)),
            _ => push_unique(&mut o.ke, KeId(k.id)),
        }
    }
    let Some(first) = o.encr.first().copied() else {
        return Err(ProposalError::Missing {
            proposal,
            what: "encryption algorithm",
        });
    };
    if let Some(other) = o.encr.iter().find(|e| e.is_aead() != first.is_aead()) {
        let (aead, other) = if first.is_aead() {
            (first, *other)
        } else {
            (*other, first)
        };
        return Err(ProposalError::MixedAead {
            proposal,
            aead: aead.keyword(),
            other: other.keyword(),
        });
    }
    if first.is_aead() {
        if let Some(i) = o.integ.first() {
            return Err(ProposalError::IntegWithAead {
                proposal,
                integ: keyword(TransformType::INTEG, i.0),
            });
        }
    } else if o.integ.is_empty() {
        return Err(ProposalError::Missing {
            proposal,
            what: "integrity algorithm (non-AEAD encryption needs one, e.g. sha256)",
        });
    }
    if o.prf.is_empty() {
        let derived: Vec<PrfId> = o.integ.iter().filter_map(|i| prf_for_integ(*i)).collect();
        for p in derived {
            push_unique(&mut o.prf, p);
        }
    }
    if o.prf.is_empty() {
        return Err(ProposalError::Missing {
            proposal,
            what: "PRF (AEAD proposals need one, e.g. prfsha256)",
        });
    }
    if o.ke.is_empty() {
        return Err(ProposalError::Missing {
            proposal,
            what: "key exchange method (e.g. modp2048, ecp256, x25519)",
        });
    }
    Ok(o)
}

/// Parses a list of proposals separated by `,` (swanctl's `proposals = …`).
pub fn parse_proposals(s: &str) -> Result<Vec<SwanctlProposal>, ProposalError> {
    let v = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(parse_proposal)
        .collect::<Result<Vec<_>, _>>()?;
    if v.is_empty() {
        return Err(ProposalError::Empty);
    }
    Ok(v)
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// Length of the Key Exchange Data of a group (RFC 7296 §3.4: MODP values padded to the prime's
/// length; RFC 5903 §7 and RFC 6954: ECP x||y; RFC 8031: 32 and 56 bytes). None when unknown.
pub fn ke_data_len(group: KeId) -> Option<usize> {
    Some(match group.0 {
        1 => 96,
        2 | 22 => 128,
        5 => 192,
        14 | 23 | 24 => 256,
        15 => 384,
        16 => 512,
        17 => 768,
        18 => 1024,
        19 | 28 => 64,
        20 | 29 => 96,
        21 => 132,
        25 => 48,
        26 | 27 => 56,
        30 => 128,
        31 => 32,
        32 => 56,
        _ => return None,
    })
}

/// Fresh secrets of one IKE_SA_INIT: initiator SPI, nonce and Key Exchange Data.
#[derive(Debug, Clone)]
pub struct Material {
    /// A random non-zero SPIi.
    pub spi_i: u64,
    /// A random 32-byte Ni (RFC 7296 §2.10: at least half the PRF key size, 16–256 bytes).
    pub nonce: Vec<u8>,
    /// The KE payload's data.
    pub ke_data: Vec<u8>,
    /// `ke_data` is a real public value ([`KeyExchange`]); else random bytes of the group's
    /// length (MODP: below the prime, so still a valid-looking value; ECP: most likely not a
    /// point — a responder that selects that group may refuse it).
    pub real_ke: bool,
}

/// Why fresh material could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MaterialError {
    /// The operating system's random source failed.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// Key generation failed.
    #[error("key exchange: {0}")]
    Kex(#[from] KexError),
    /// A group whose Key Exchange Data length is not known.
    #[error("no key exchange data length known for group {0}")]
    UnknownGroup(KeId),
}

/// Fresh SPIi, nonce and KE data for `group`: a real key pair when [`KeyExchange::supported`],
/// random bytes of [`ke_data_len`] otherwise (the scan's decoy and groups it never lets the
/// responder accept).
pub fn fresh(group: KeId) -> Result<Material, MaterialError> {
    let spi_i = random::spi()?;
    let mut nonce = vec![0u8; 32];
    random::fill(&mut nonce)?;
    let (ke_data, real_ke) = if KeyExchange::supported(group) {
        (KeyExchange::generate(group)?.public().to_vec(), true)
    } else {
        let len = ke_data_len(group).ok_or(MaterialError::UnknownGroup(group))?;
        let mut d = vec![0u8; len];
        random::fill(&mut d)?;
        if let Some(b) = d.first_mut() {
            // every MODP prime starts with 64 one bits (RFC 2409, RFC 3526): stay below it
            *b &= 0x7f;
        }
        (d, false)
    };
    Ok(Material {
        spi_i,
        nonce,
        ke_data,
        real_ke,
    })
}

/// One IKE_SA_INIT request of a probe.
#[derive(Debug, Clone)]
pub struct InitRequest<'a> {
    /// Initiator SPI (fresh, non-zero).
    pub spi_i: u64,
    /// The proposals, numbered from 1.
    pub offers: &'a [SwanctlProposal],
    /// The KE payload's group.
    pub ke_group: KeId,
    /// The KE payload's data.
    pub ke_data: &'a [u8],
    /// Ni (16–256 bytes, RFC 7296 §2.10).
    pub nonce: &'a [u8],
    /// A responder's COOKIE to return, as the first payload (RFC 7296 §2.6).
    pub cookie: Option<&'a [u8]>,
    /// Source and destination of the datagram: NAT_DETECTION_SOURCE_IP and _DESTINATION_IP
    /// (RFC 7296 §2.23) are added when given.
    pub nat: Option<(SocketAddr, SocketAddr)>,
}

/// Builds the IKE_SA_INIT request (RFC 7296 §1.2): `[N(COOKIE),] SA, KE, Ni,
/// [N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),] N(IKEV2_FRAGMENTATION_SUPPORTED),
/// N(SIGNATURE_HASH_ALGORITHMS)`. The last two make the responder show its own support
/// (RFC 7383 §2.3, RFC 7427 §4).
pub fn build_init(req: &InitRequest<'_>) -> Vec<u8> {
    let mut payloads = Vec::new();
    if let Some(c) = req.cookie {
        payloads.push(notify(notify_type::COOKIE, c.to_vec()));
    }
    let proposals = req
        .offers
        .iter()
        .enumerate()
        .map(|(i, o)| o.proposal(u8::try_from(i + 1).unwrap_or(u8::MAX)))
        .collect();
    payloads.push(Payload::new(
        payload_type::SA,
        PayloadBody::Sa(Sa { proposals }),
    ));
    payloads.push(Payload::new(
        payload_type::KE,
        PayloadBody::Ke(Ke {
            group: req.ke_group,
            reserved: 0,
            data: req.ke_data.to_vec(),
        }),
    ));
    payloads.push(Payload::new(
        payload_type::NONCE,
        PayloadBody::Nonce(Nonce {
            data: req.nonce.to_vec(),
        }),
    ));
    if let Some((src, dst)) = req.nat {
        payloads.push(notify(
            notify_type::NAT_DETECTION_SOURCE_IP,
            nat_detection_hash(req.spi_i, 0, src).to_vec(),
        ));
        payloads.push(notify(
            notify_type::NAT_DETECTION_DESTINATION_IP,
            nat_detection_hash(req.spi_i, 0, dst).to_vec(),
        ));
    }
    payloads.push(notify(
        notify_type::IKEV2_FRAGMENTATION_SUPPORTED,
        Vec::new(),
    ));
    // RFC 7427 §7 hash algorithms 2, 3, 4: SHA2-256, SHA2-384, SHA2-512
    payloads.push(notify(
        notify_type::SIGNATURE_HASH_ALGORITHMS,
        vec![0, 2, 0, 3, 0, 4],
    ));
    Message {
        header: Header {
            spi_i: req.spi_i,
            spi_r: 0,
            next_payload: payload_type::NONE,
            major_version: 2,
            minor_version: 0,
            exchange: ExchangeType::IKE_SA_INIT,
            flags: Header::FLAG_INITIATOR,
            message_id: 0,
            length: 0,
        },
        payloads,
    }
    .emit()
}

/// The transforms a responder chose (its SA payload: one proposal, one transform per type).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChosenTransforms {
    /// Encryption.
    pub encr: Option<Encryption>,
    /// PRF.
    pub prf: Option<PrfId>,
    /// Integrity (None for AEAD).
    pub integ: Option<IntegId>,
    /// Key exchange method.
    pub ke: Option<KeId>,
}

impl fmt::Display for ChosenTransforms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = Vec::new();
        if let Some(e) = self.encr {
            words.push(e.keyword());
        }
        if let Some(p) = self.prf {
            words.push(keyword(TransformType::PRF, p.0));
        }
        if let Some(i) = self.integ {
            words.push(keyword(TransformType::INTEG, i.0));
        }
        if let Some(k) = self.ke {
            words.push(keyword(TransformType::KE, k.0));
        }
        f.write_str(&words.join("-"))
    }
}

/// What a responder answered to one IKE_SA_INIT.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResponseKind {
    /// An SA payload: the offer is accepted (a half-open IKE SA now exists on the responder,
    /// until its timeout: nothing can delete it without completing IKE_AUTH).
    Accepted {
        /// The chosen transforms.
        chosen: ChosenTransforms,
    },
    /// N(NO_PROPOSAL_CHOSEN): nothing offered is acceptable.
    NoProposalChosen,
    /// N(INVALID_KE_PAYLOAD): a proposal matched, with another group than the KE payload's.
    InvalidKe {
        /// The group the responder asks for.
        requested: KeId,
    },
    /// N(COOKIE): resend the request with it (RFC 7296 §2.6).
    Cookie {
        /// The cookie.
        #[serde_as(as = "Hex")]
        cookie: Vec<u8>,
    },
    /// N(REDIRECT) (RFC 5685): the responder sends us elsewhere.
    Redirect,
    /// Another error notify.
    Error {
        /// The notify type.
        notify: NotifyType,
    },
    /// Not a well-formed answer to our request.
    Unexpected {
        /// Why.
        reason: String,
    },
}

impl ResponseKind {
    /// `accepted`, `rejected`, `invalid_ke`, `cookie`, `redirect`, `error`, `unexpected`.
    pub fn label(&self) -> &'static str {
        match self {
            ResponseKind::Accepted { .. } => "accepted",
            ResponseKind::NoProposalChosen => "rejected",
            ResponseKind::InvalidKe { .. } => "invalid_ke",
            ResponseKind::Cookie { .. } => "cookie",
            ResponseKind::Redirect => "redirect",
            ResponseKind::Error { .. } => "error",
            ResponseKind::Unexpected { .. } => "unexpected",
        }
    }

    /// True when a proposal matched: accepted, or INVALID_KE_PAYLOAD.
    pub fn matched(&self) -> bool {
        matches!(
            self,
            ResponseKind::Accepted { .. } | ResponseKind::InvalidKe { .. }
        )
    }
}

/// A classified response.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Response {
    /// The verdict.
    pub outcome: ResponseKind,
    /// The responder's SPI (0 in error answers).
    pub spi_r: u64,
    /// Every notify type in the answer, in order.
    pub notifies: Vec<NotifyType>,
    /// Vendor IDs, named when known (else hex).
    pub vendor_ids: Vec<String>,
    /// N(IKEV2_FRAGMENTATION_SUPPORTED) present.
    pub fragmentation: bool,
    /// NAT_DETECTION_* notifies present (the responder does NAT-T).
    pub nat_detection: bool,
}

/// True when `bytes` looks like the answer to the request with SPIi `spi_i` (IKE_SA_INIT,
/// response flag, message ID 0) — for a receive loop dropping stray datagrams.
pub fn is_response_to(bytes: &[u8], spi_i: u64) -> bool {
    Header::parse(&mut Reader::new(bytes, 0)).is_ok_and(|h| {
        h.spi_i == spi_i
            && h.exchange == ExchangeType::IKE_SA_INIT
            && h.response()
            && h.message_id == 0
    })
}

/// Classifies the responder's answer to a request with SPIi `spi_i` that offered `offers`.
/// An SA payload choosing anything we did not offer is [`ResponseKind::Unexpected`].
pub fn classify(bytes: &[u8], spi_i: u64, offers: &[SwanctlProposal]) -> Response {
    let read = match Message::parse(bytes) {
        Ok(m) => InitResponse::read(&m),
        Err(e) => {
            return Response {
                outcome: ResponseKind::Unexpected {
                    reason: format!("malformed response: {e}"),
                },
                spi_r: 0,
                notifies: Vec::new(),
                vendor_ids: Vec::new(),
                fragmentation: false,
                nat_detection: false,
            }
        }
    };
    let h = &read.header;
    let mut r = Response {
        outcome: ResponseKind::Unexpected {
            reason: "no SA payload and no error notify".into(),
        },
        spi_r: h.spi_r,
        notifies: read.notifies.clone(),
        vendor_ids: read.vendor_ids.clone(),
        fragmentation: read.fragmentation,
        nat_detection: !read.nat_source.is_empty() || !read.nat_destination.is_empty(),
    };
    if h.spi_i != spi_i {
        r.outcome = ResponseKind::Unexpected {
            reason: format!("SPIi {:016x} is not ours ({spi_i:016x})", h.spi_i),
        };
        return r;
    }
    if h.exchange != ExchangeType::IKE_SA_INIT || !h.response() {
        r.outcome = ResponseKind::Unexpected {
            reason: format!(
                "{} {}, not an IKE_SA_INIT response",
                h.exchange,
                if h.response() { "response" } else { "request" }
            ),
        };
        return r;
    }
    // The first demand or refusal decides; a REDIRECT without a readable gateway says nothing.
    let refusal = read.demands.iter().find_map(|d| match d {
        Demand::NoProposalChosen => Some(ResponseKind::NoProposalChosen),
        Demand::InvalidKe(Some(group)) => Some(ResponseKind::InvalidKe { requested: *group }),
        Demand::InvalidKe(None) => Some(ResponseKind::Error {
            notify: notify_type::INVALID_KE_PAYLOAD,
        }),
        Demand::Cookie(cookie) => Some(ResponseKind::Cookie {
            cookie: cookie.clone(),
        }),
        Demand::Redirect(Some(_)) => Some(ResponseKind::Redirect),
        Demand::Redirect(None) => None,
        Demand::Error(n) => Some(ResponseKind::Error {
            notify: n.notify_type,
        }),
    });
    if let Some(e) = refusal {
        r.outcome = e;
        return r;
    }
    if let Some(proposals) = read.proposals.as_deref() {
        r.outcome = chosen_from(proposals, offers);
    }
    r
}

fn chosen_from(proposals: &[Proposal], offers: &[SwanctlProposal]) -> ResponseKind {
    let [p] = proposals else {
        return ResponseKind::Unexpected {
            reason: format!(
                "the SA payload has {} proposals (RFC 7296 §3.3: exactly one in a response)",
                proposals.len()
            ),
        };
    };
    let mut c = ChosenTransforms {
        encr: None,
        prf: None,
        integ: None,
        ke: None,
    };
    for t in &p.transforms {
        match t.transform_id {
            TransformId::Encr(id) => {
                c.encr = Some(Encryption {
                    id,
                    key_len: t.key_length(),
                })
            }
            TransformId::Prf(id) => c.prf = Some(id),
            TransformId::Integ(id) if id.0 != 0 => c.integ = Some(id),
            TransformId::Ke(id) if t.transform_type == TransformType::KE => c.ke = Some(id),
            _ => {}
        }
    }
    let offered = offers.iter().any(|o| {
        c.encr.is_some_and(|e| o.encr.contains(&e))
            && c.prf.is_some_and(|p| o.prf.contains(&p))
            && c.integ.map_or(o.integ.is_empty(), |i| o.integ.contains(&i))
            && c.ke.is_some_and(|k| o.ke.contains(&k))
    });
    if !offered {
        return ResponseKind::Unexpected {
            reason: format!("the responder chose {c}, which no offered proposal holds"),
        };
    }
    ResponseKind::Accepted { chosen: c }
}

/// The decoy group of the scan: 768-bit MODP (RFC 8247 §3.1.4: MUST NOT).
pub const DECOY: KeId = KeId::MODP_768;

/// Encryption candidates of a scan (every IKE encryption algorithm of RFC 8247 §3.1.1 and the
/// ones strongSwan implements, at each AES key length).
pub fn encr_candidates() -> Vec<Encryption> {
    let mut v: Vec<Encryption> = Vec::new();
    for k in KEYWORDS.iter().filter(|k| k.ty == 1) {
        push_unique(
            &mut v,
            Encryption {
                id: EncrId(k.id),
                key_len: k.key_len,
            },
        );
    }
    v
}

fn ids(ty: u8) -> Vec<u16> {
    let mut v = Vec::new();
    for k in KEYWORDS.iter().filter(|k| k.ty == ty) {
        push_unique(&mut v, k.id);
    }
    v
}

/// PRF candidates.
pub fn prf_candidates() -> Vec<PrfId> {
    ids(2).into_iter().map(PrfId).collect()
}

/// Integrity candidates.
pub fn integ_candidates() -> Vec<IntegId> {
    ids(3).into_iter().map(IntegId).collect()
}

/// Key exchange candidates (the decoy first).
pub fn group_candidates() -> Vec<KeId> {
    ids(4).into_iter().map(KeId).collect()
}

/// What one scan probe tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "step", content = "candidate", rename_all = "snake_case")]
pub enum ScanStep {
    /// Everything known, wide open: does the responder accept anything at all?
    Base,
    /// One encryption algorithm.
    Encr(Encryption),
    /// One PRF.
    Prf(PrfId),
    /// One integrity algorithm.
    Integ(IntegId),
    /// One group.
    Group(KeId),
}

impl ScanStep {
    /// The transform type tested, None for the base.
    pub fn transform_type(&self) -> Option<TransformType> {
        match self {
            ScanStep::Base => None,
            ScanStep::Encr(_) => Some(TransformType::ENCR),
            ScanStep::Prf(_) => Some(TransformType::PRF),
            ScanStep::Integ(_) => Some(TransformType::INTEG),
            ScanStep::Group(_) => Some(TransformType::KE),
        }
    }

    /// The candidate's keyword (`"base"` for the base).
    pub fn candidate(&self) -> String {
        match self {
            ScanStep::Base => "base".into(),
            ScanStep::Encr(e) => e.keyword(),
            ScanStep::Prf(p) => keyword(TransformType::PRF, p.0),
            ScanStep::Integ(i) => keyword(TransformType::INTEG, i.0),
            ScanStep::Group(g) => keyword(TransformType::KE, g.0),
        }
    }
}

/// One planned probe: the proposals to offer and the KE payload's group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// What it tests.
    pub step: ScanStep,
    /// The proposals (one AEAD and/or one non-AEAD).
    pub offers: Vec<SwanctlProposal>,
    /// The group of the KE payload. Key exchange data must be real (a valid public value) when
    /// [`Probe::real_ke`], else any bytes of [`ke_data_len`] do.
    pub ke_group: KeId,
    /// The responder may accept this offer with `ke_group`: send a valid public value.
    pub real_ke: bool,
}

/// The verdict on one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The responder accepts it (in some combination).
    Accepted,
    /// NO_PROPOSAL_CHOSEN.
    Rejected,
    /// No answer, or an answer that says nothing about it.
    Unknown,
}

/// Results of a scan: the accepted values of each transform type.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ScanResult {
    /// Accepted encryption algorithms.
    pub encr: Vec<Encryption>,
    /// Accepted PRFs.
    pub prf: Vec<PrfId>,
    /// Accepted integrity algorithms.
    pub integ: Vec<IntegId>,
    /// Accepted groups.
    pub ke: Vec<KeId>,
    /// Candidates without a verdict (no answer, unexpected answer), as keywords.
    pub unknown: Vec<String>,
    /// The base offer matched nothing: the responder accepts none of the known algorithms.
    pub nothing_accepted: bool,
    /// Probes recorded so far.
    pub probes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Base,
    Encr,
    Prf,
    Integ,
    DecoyGroup,
    Groups,
    Done,
}

/// The scan planner: ask [`Scan::next_probe`], send it, report the answer with
/// [`Scan::record`], until `next_probe` returns None; then [`Scan::result`].
#[derive(Debug, Clone)]
pub struct Scan {
    stage: Stage,
    index: usize,
    encr_c: Vec<Encryption>,
    prf_c: Vec<PrfId>,
    integ_c: Vec<IntegId>,
    group_c: Vec<KeId>,
    decoy_accepted: bool,
    result: ScanResult,
    pending: Option<ScanStep>,
}

impl Default for Scan {
    fn default() -> Self {
        Scan::new()
    }
}

impl Scan {
    /// A scan over every value this module knows.
    pub fn new() -> Scan {
        Scan::with_candidates(
            encr_candidates(),
            prf_candidates(),
            integ_candidates(),
            group_candidates(),
        )
    }

    /// A scan over the given candidates (the decoy group is always tested first).
    pub fn with_candidates(
        encr: Vec<Encryption>,
        prf: Vec<PrfId>,
        integ: Vec<IntegId>,
        groups: Vec<KeId>,
    ) -> Scan {
        let group_c = groups.into_iter().filter(|g| *g != DECOY).collect();
        Scan {
            stage: Stage::Base,
            index: 0,
            encr_c: encr,
            prf_c: prf,
            integ_c: integ,
            group_c,
            decoy_accepted: false,
            result: ScanResult::default(),
            pending: None,
        }
    }

    /// The most probes this scan sends: base, decoy, and every candidate.
    pub fn max_probes(&self) -> usize {
        2 + self.encr_c.len() + self.prf_c.len() + self.integ_c.len() + self.group_c.len()
    }

    fn all_groups(&self) -> Vec<KeId> {
        let mut g = self.group_c.clone();
        g.push(DECOY);
        g
    }

    /// Offers: one non-AEAD and one AEAD proposal from the encryption set, PRFs, integs, groups.
    fn offers(
        encr: &[Encryption],
        prf: &[PrfId],
        integ: &[IntegId],
        ke: &[KeId],
    ) -> Vec<SwanctlProposal> {
        let mut v = Vec::new();
        let plain: Vec<Encryption> = encr.iter().copied().filter(|e| !e.is_aead()).collect();
        let aead: Vec<Encryption> = encr.iter().copied().filter(|e| e.is_aead()).collect();
        if !plain.is_empty() && !integ.is_empty() {
            v.push(SwanctlProposal {
                encr: plain,
                prf: prf.to_vec(),
                integ: integ.to_vec(),
                ke: ke.to_vec(),
            });
        }
        if !aead.is_empty() {
            v.push(SwanctlProposal {
                encr: aead,
                prf: prf.to_vec(),
                integ: Vec::new(),
                ke: ke.to_vec(),
            });
        }
        v
    }

    fn known_encr(&self) -> Vec<Encryption> {
        if self.stage_after(Stage::Encr) {
            self.result.encr.clone()
        } else {
            self.encr_c.clone()
        }
    }

    fn stage_after(&self, s: Stage) -> bool {
        let order = |s: Stage| s as u8;
        order(self.stage) > order(s)
    }

    /// The next probe, or None when the scan is over.
    pub fn next_probe(&mut self) -> Option<Probe> {
        loop {
            let groups = self.all_groups();
            let probe = match self.stage {
                Stage::Done => return None,
                Stage::Base => Some(Probe {
                    step: ScanStep::Base,
                    offers: Self::offers(&self.encr_c, &self.prf_c, &self.integ_c, &groups),
                    ke_group: DECOY,
                    real_ke: false,
                }),
                Stage::Encr => self.encr_c.get(self.index).map(|e| Probe {
                    step: ScanStep::Encr(*e),
                    offers: Self::offers(&[*e], &self.prf_c, &self.integ_c, &groups),
                    ke_group: DECOY,
                    real_ke: false,
                }),
                Stage::Prf => self.prf_c.get(self.index).map(|p| Probe {
                    step: ScanStep::Prf(*p),
                    offers: Self::offers(&self.known_encr(), &[*p], &self.integ_c, &groups),
                    ke_group: DECOY,
                    real_ke: false,
                }),
                Stage::Integ => {
                    let plain: Vec<Encryption> = self
                        .known_encr()
                        .into_iter()
                        .filter(|e| !e.is_aead())
                        .collect();
                    if plain.is_empty() {
                        None
                    } else {
                        self.integ_c.get(self.index).map(|i| Probe {
                            step: ScanStep::Integ(*i),
                            offers: Self::offers(&plain, &self.result.prf, &[*i], &groups),
                            ke_group: DECOY,
                            real_ke: false,
                        })
                    }
                }
                Stage::DecoyGroup => (self.index == 0).then(|| Probe {
                    step: ScanStep::Group(DECOY),
                    offers: Self::offers(
                        &self.result.encr,
                        &self.result.prf,
                        &self.result.integ,
                        &[DECOY],
                    ),
                    ke_group: DECOY,
                    real_ke: true,
                }),
                Stage::Groups => self.group_c.get(self.index).map(|g| {
                    let (ke, ke_group, real_ke) = if self.decoy_accepted {
                        (vec![*g], *g, true)
                    } else {
                        (vec![*g, DECOY], DECOY, false)
                    };
                    Probe {
                        step: ScanStep::Group(*g),
                        offers: Self::offers(
                            &self.result.encr,
                            &self.result.prf,
                            &self.result.integ,
                            &ke,
                        ),
                        ke_group,
                        real_ke,
                    }
                }),
            };
            match probe {
                Some(p) if !p.offers.is_empty() => {
                    self.pending = Some(p.step);
                    return Some(p);
                }
                _ => self.advance_stage(),
            }
        }
    }

    fn advance_stage(&mut self) {
        self.index = 0;
        self.stage = match self.stage {
            Stage::Base => Stage::Encr,
            Stage::Encr => Stage::Prf,
            Stage::Prf => Stage::Integ,
            Stage::Integ => Stage::DecoyGroup,
            Stage::DecoyGroup => Stage::Groups,
            Stage::Groups | Stage::Done => Stage::Done,
        };
        if matches!(self.stage, Stage::Prf | Stage::Integ | Stage::DecoyGroup)
            && self.result.encr.is_empty()
        {
            // nothing matched any single encryption: no combination to test the others with
            self.stage = Stage::Done;
        }
    }

    /// Records the final outcome of the probe last returned (None: no answer). Returns the
    /// verdict on its candidate.
    pub fn record(&mut self, outcome: Option<&ResponseKind>) -> Verdict {
        let Some(step) = self.pending.take() else {
            return Verdict::Unknown;
        };
        self.result.probes += 1;
        let verdict = match (step, outcome) {
            (_, None) => Verdict::Unknown,
            (ScanStep::Group(g), Some(ResponseKind::InvalidKe { requested })) => {
                if *requested == g {
                    Verdict::Accepted
                } else {
                    Verdict::Unknown
                }
            }
            (ScanStep::Group(g), Some(ResponseKind::Accepted { chosen })) => {
                if chosen.ke == Some(g) {
                    Verdict::Accepted
                } else {
                    Verdict::Unknown
                }
            }
            (_, Some(o)) if o.matched() => Verdict::Accepted,
            (_, Some(ResponseKind::NoProposalChosen)) => Verdict::Rejected,
            (_, Some(_)) => Verdict::Unknown,
        };
        match step {
            ScanStep::Base if verdict == Verdict::Rejected => {
                self.result.nothing_accepted = true;
                self.stage = Stage::Done;
                return verdict;
            }
            ScanStep::Encr(e) if verdict == Verdict::Accepted => self.result.encr.push(e),
            ScanStep::Prf(p) if verdict == Verdict::Accepted => self.result.prf.push(p),
            ScanStep::Integ(i) if verdict == Verdict::Accepted => self.result.integ.push(i),
            ScanStep::Group(g) if verdict == Verdict::Accepted => {
                if g == DECOY {
                    self.decoy_accepted = true;
                }
                self.result.ke.push(g);
            }
            _ => {}
        }
        if verdict == Verdict::Unknown && step != ScanStep::Base {
            self.result.unknown.push(format!(
                "{} {}",
                step.transform_type().and_then(|t| t.short()).unwrap_or("?"),
                step.candidate()
            ));
        }
        if step == ScanStep::Base {
            self.advance_stage();
        } else {
            self.index += 1;
        }
        verdict
    }

    /// The results so far.
    pub fn result(&self) -> &ScanResult {
        &self.result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(id: EncrId, l: Option<u16>) -> Encryption {
        Encryption { id, key_len: l }
    }

    #[test]
    fn parses_swanctl_proposals() {
        let v = parse_proposals(
            "aes256-sha256-modp2048,aes128gcm16-prfsha256-ecp256,chacha20poly1305-prfsha512-x25519",
        )
        .unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].encr, vec![enc(EncrId::AES_CBC, Some(256))]);
        assert_eq!(v[0].integ, vec![IntegId::HMAC_SHA2_256_128]);
        assert_eq!(
            v[0].prf,
            vec![PrfId::HMAC_SHA2_256],
            "PRF derived from integrity"
        );
        assert_eq!(v[0].ke, vec![KeId::MODP_2048]);
        assert_eq!(v[1].encr, vec![enc(EncrId::AES_GCM_16, Some(128))]);
        assert!(v[1].integ.is_empty() && v[1].is_aead());
        assert_eq!(v[1].ke, vec![KeId::ECP_256]);
        assert_eq!(v[2].encr, vec![enc(EncrId::CHACHA20_POLY1305, None)]);
        assert_eq!(v[2].prf, vec![PrfId::HMAC_SHA2_512]);
        assert_eq!(v[2].ke, vec![KeId::CURVE25519]);
        assert_eq!(v[2].to_string(), "chacha20poly1305-prfsha512-curve25519");
        assert_eq!(v[0].to_string(), "aes256-prfsha256-sha256-modp2048");
        let o =
            parse_proposal("AES128-aes256ctr-3DES-sha1-md5-aesxcbc-ecp384-modp1024-x448-ecp521")
                .unwrap();
        assert_eq!(o.encr.len(), 3);
        assert_eq!(o.encr[1], enc(EncrId::AES_CTR, Some(256)));
        assert_eq!(o.encr[2], enc(EncrId::TRIPLE_DES, None));
        assert_eq!(
            o.prf,
            vec![PrfId::HMAC_SHA1, PrfId::HMAC_MD5, PrfId::AES128_XCBC]
        );
        assert_eq!(
            o.ke,
            vec![
                KeId::ECP_384,
                KeId::MODP_1024,
                KeId::CURVE448,
                KeId::ECP_521
            ]
        );
        let o =
            parse_proposal("aes192ccm8-aes256gcm12-prfaescmac-curve25519-modp2048s256-ecp256bp")
                .unwrap();
        assert_eq!(
            o.encr,
            vec![
                enc(EncrId::AES_CCM_8, Some(192)),
                enc(EncrId::AES_GCM_12, Some(256))
            ]
        );
        assert_eq!(o.prf, vec![PrfId::AES128_CMAC]);
        assert_eq!(
            o.ke,
            vec![KeId::CURVE25519, KeId::MODP_2048_256_POS, KeId(28)]
        );
    }

    #[test]
    fn rejects_bad_proposals() {
        assert!(matches!(
            parse_proposal("aes256-sha256-modp2049"),
            Err(ProposalError::UnknownKeyword { keyword, .. }) if keyword == "modp2049"
        ));
        assert!(matches!(
            parse_proposal("sha256-modp2048"),
            Err(ProposalError::Missing {
                what: "encryption algorithm",
                ..
            })
        ));
        assert!(matches!(
            parse_proposal("aes256-sha256"),
            Err(ProposalError::Missing { .. })
        ));
        assert!(matches!(
            parse_proposal("aes128gcm16-ecp256"),
            Err(ProposalError::Missing { .. })
        ));
        assert!(matches!(
            parse_proposal("aes128gcm16-aes128-prfsha256-sha256-ecp256"),
            Err(ProposalError::MixedAead { .. })
        ));
        assert!(matches!(
            parse_proposal("aes128gcm16-sha256-ecp256"),
            Err(ProposalError::IntegWithAead { .. })
        ));
        assert!(matches!(
            parse_proposal("aes128-prfsha256-ecp256"),
            Err(ProposalError::Missing { .. })
        ));
        assert_eq!(parse_proposals(" , "), Err(ProposalError::Empty));
        let e = parse_proposal("aes256-sha256-foo").unwrap_err().to_string();
        assert!(e.contains("\"foo\""), "{e}");
    }

    #[test]
    fn builds_a_parseable_ike_sa_init() {
        let offers =
            parse_proposals("aes256-sha256-modp2048,aes128gcm16-prfsha256-ecp256").unwrap();
        let ke = vec![7u8; 256];
        let nonce = vec![9u8; 32];
        let src: SocketAddr = "127.0.0.1:500".parse().unwrap();
        let dst: SocketAddr = "127.0.0.1:500".parse().unwrap();
        let bytes = build_init(&InitRequest {
            spi_i: 0x0102030405060708,
            offers: &offers,
            ke_group: KeId::MODP_2048,
            ke_data: &ke,
            nonce: &nonce,
            cookie: Some(&[1, 2, 3, 4]),
            nat: Some((src, dst)),
        });
        let m = Message::parse(&bytes).unwrap();
        assert_eq!(m.emit(), bytes);
        assert_eq!(m.header.exchange, ExchangeType::IKE_SA_INIT);
        assert!(m.header.initiator() && !m.header.response());
        assert_eq!(m.header.spi_r, 0);
        let types: Vec<u8> = m.payloads.iter().map(|p| p.payload_type.0).collect();
        assert_eq!(types, vec![41, 33, 34, 40, 41, 41, 41, 41]);
        let PayloadBody::Notify(n) = &m.payloads[0].body else {
            panic!()
        };
        assert_eq!(n.notify_type, notify_type::COOKIE);
        let PayloadBody::Sa(sa) = &m.payloads[1].body else {
            panic!()
        };
        assert_eq!(sa.proposals.len(), 2);
        assert_eq!(sa.proposals[0].proposal_num, 1);
        assert_eq!(sa.proposals[1].proposal_num, 2);
        assert_eq!(sa.proposals[0].transforms.len(), 4);
        assert_eq!(sa.proposals[0].transforms[0].key_length(), Some(256));
        assert_eq!(sa.proposals[1].transforms.len(), 3);
        let PayloadBody::Ke(k) = &m.payloads[2].body else {
            panic!()
        };
        assert_eq!((k.group, k.data.len()), (KeId::MODP_2048, 256));
        assert!(is_response_to(
            &{
                let mut b = bytes.clone();
                b[19] = Header::FLAG_RESPONSE;
                b
            },
            0x0102030405060708
        ));
        assert!(!is_response_to(&bytes, 0x0102030405060708));
    }

    /// A responder's answer built with the codec.
    fn answer(spi_i: u64, payloads: Vec<Payload>) -> Vec<u8> {
        Message {
            header: Header {
                spi_i,
                spi_r: 0x99,
                next_payload: payload_type::NONE,
                major_version: 2,
                minor_version: 0,
                exchange: ExchangeType::IKE_SA_INIT,
                flags: Header::FLAG_RESPONSE,
                message_id: 0,
                length: 0,
            },
            payloads,
        }
        .emit()
    }

    #[test]
    fn classifies_answers() {
        let offers =
            parse_proposals("aes256-sha256-modp2048,aes128gcm16-prfsha256-ecp256").unwrap();
        let chosen = parse_proposal("aes128gcm16-prfsha256-ecp256").unwrap();
        let ok = answer(
            5,
            vec![
                Payload::new(
                    payload_type::SA,
                    PayloadBody::Sa(Sa {
                        proposals: smallvec::smallvec![chosen.proposal(2)],
                    }),
                ),
                notify(notify_type::IKEV2_FRAGMENTATION_SUPPORTED, Vec::new()),
            ],
        );
        let r = classify(&ok, 5, &offers);
        let ResponseKind::Accepted { chosen: c } = &r.outcome else {
            panic!("{r:?}")
        };
        assert_eq!(c.to_string(), "aes128gcm16-prfsha256-ecp256");
        assert!(r.fragmentation && !r.nat_detection);
        // chosen but never offered
        let r = classify(&ok, 5, &offers[..1]);
        assert!(
            matches!(r.outcome, ResponseKind::Unexpected { .. }),
            "{r:?}"
        );
        // not our SPI
        let r = classify(&ok, 6, &offers);
        assert!(matches!(r.outcome, ResponseKind::Unexpected { .. }));
        let npc = answer(5, vec![notify(notify_type::NO_PROPOSAL_CHOSEN, Vec::new())]);
        assert_eq!(
            classify(&npc, 5, &offers).outcome,
            ResponseKind::NoProposalChosen
        );
        let ike = answer(
            5,
            vec![notify(notify_type::INVALID_KE_PAYLOAD, vec![0, 19])],
        );
        assert_eq!(
            classify(&ike, 5, &offers).outcome,
            ResponseKind::InvalidKe {
                requested: KeId::ECP_256
            }
        );
        let ck = answer(5, vec![notify(notify_type::COOKIE, vec![0xab; 20])]);
        assert_eq!(
            classify(&ck, 5, &offers).outcome,
            ResponseKind::Cookie {
                cookie: vec![0xab; 20]
            }
        );
        let r = classify(&ok[..40], 5, &offers);
        assert!(matches!(r.outcome, ResponseKind::Unexpected { .. }));
    }

    /// A model responder: strongSwan's selection over configured proposals (each type must
    /// intersect), INVALID_KE_PAYLOAD when the KE group is not the selected one.
    fn respond(configured: &[SwanctlProposal], p: &Probe) -> ResponseKind {
        for c in configured {
            for o in &p.offers {
                let e = c.encr.iter().find(|x| o.encr.contains(x));
                let pr = c.prf.iter().find(|x| o.prf.contains(x));
                let i_ok = if c.is_aead() {
                    o.integ.is_empty()
                } else {
                    c.integ.iter().any(|x| o.integ.contains(x))
                };
                let groups: Vec<KeId> = c.ke.iter().copied().filter(|x| o.ke.contains(x)).collect();
                if let (Some(_), Some(_), true, Some(g)) = (e, pr, i_ok, groups.first()) {
                    if groups.contains(&p.ke_group) {
                        return ResponseKind::Accepted {
                            chosen: ChosenTransforms {
                                encr: e.copied(),
                                prf: pr.copied(),
                                integ: if c.is_aead() {
                                    None
                                } else {
                                    c.integ.first().copied()
                                },
                                ke: Some(p.ke_group),
                            },
                        };
                    }
                    return ResponseKind::InvalidKe { requested: *g };
                }
            }
        }
        ResponseKind::NoProposalChosen
    }

    fn run_scan(configured: &str) -> (ScanResult, usize) {
        let configured = parse_proposals(configured).unwrap();
        let mut s = Scan::new();
        let max = s.max_probes();
        let mut n = 0;
        while let Some(p) = s.next_probe() {
            n += 1;
            assert!(n <= max, "more probes than the bound");
            let o = respond(&configured, &p);
            s.record(Some(&o));
        }
        assert_eq!(s.result().probes, n);
        (s.result().clone(), max)
    }

    #[test]
    fn scan_finds_exactly_the_configured_values() {
        let (r, max) = run_scan(
            "aes256-sha256-modp2048,aes128gcm16-prfsha256-ecp256,chacha20poly1305-prfsha512-x25519",
        );
        assert_eq!(
            r.encr,
            vec![
                enc(EncrId::AES_CBC, Some(256)),
                enc(EncrId::AES_GCM_16, Some(128)),
                enc(EncrId::CHACHA20_POLY1305, None)
            ]
        );
        assert_eq!(r.prf, vec![PrfId::HMAC_SHA2_256, PrfId::HMAC_SHA2_512]);
        assert_eq!(r.integ, vec![IntegId::HMAC_SHA2_256_128]);
        assert_eq!(r.ke, vec![KeId::MODP_2048, KeId::ECP_256, KeId::CURVE25519]);
        assert!(r.unknown.is_empty() && !r.nothing_accepted);
        assert!(r.probes <= max);
        assert!(max < 80, "{max}");
    }

    #[test]
    fn scan_with_the_decoy_group_accepted_uses_real_key_exchange() {
        let configured = parse_proposals("3des-sha1-modp768-modp1024").unwrap();
        let mut s = Scan::new();
        let mut real = Vec::new();
        while let Some(p) = s.next_probe() {
            if p.real_ke {
                real.push(p.ke_group);
            }
            let o = respond(&configured, &p);
            s.record(Some(&o));
        }
        let r = s.result();
        assert_eq!(r.encr, vec![enc(EncrId::TRIPLE_DES, None)]);
        assert_eq!(r.prf, vec![PrfId::HMAC_SHA1]);
        assert_eq!(r.integ, vec![IntegId::HMAC_SHA1_96]);
        assert_eq!(r.ke, vec![KeId::MODP_768, KeId::MODP_1024]);
        assert_eq!(real.first(), Some(&DECOY));
        assert!(
            real.contains(&KeId::MODP_2048),
            "groups probed alone with real KE"
        );
    }

    #[test]
    fn scan_stops_after_a_rejected_base_and_counts_silence_as_unknown() {
        let mut s = Scan::new();
        let p = s.next_probe().unwrap();
        assert_eq!(p.step, ScanStep::Base);
        assert_eq!(p.offers.len(), 2, "one non-AEAD and one AEAD proposal");
        assert_eq!(
            s.record(Some(&ResponseKind::NoProposalChosen)),
            Verdict::Rejected
        );
        assert!(s.next_probe().is_none());
        assert!(s.result().nothing_accepted);

        let mut s = Scan::with_candidates(
            vec![enc(EncrId::AES_CBC, Some(128))],
            vec![PrfId::HMAC_SHA2_256],
            vec![IntegId::HMAC_SHA2_256_128],
            vec![KeId::MODP_2048],
        );
        assert_eq!(s.max_probes(), 6);
        let _ = s.next_probe().unwrap();
        s.record(Some(&ResponseKind::InvalidKe {
            requested: KeId::MODP_2048,
        }));
        let p = s.next_probe().unwrap();
        assert!(matches!(p.step, ScanStep::Encr(_)));
        assert_eq!(s.record(None), Verdict::Unknown);
        assert!(
            s.next_probe().is_none(),
            "no encryption found: nothing left to test"
        );
        assert_eq!(s.result().unknown, vec!["ENCR aes128".to_string()]);
    }

    #[test]
    fn fresh_material_is_random_and_of_the_group_length() {
        for g in [
            KeId::MODP_2048,
            KeId::ECP_256,
            KeId::CURVE25519,
            DECOY,
            KeId::ECP_521,
        ] {
            let a = fresh(g).unwrap();
            let b = fresh(g).unwrap();
            assert_eq!(a.ke_data.len(), ke_data_len(g).unwrap(), "{g}");
            assert_eq!(a.real_ke, KeyExchange::supported(g));
            assert_ne!(a.spi_i, 0);
            assert_ne!(a.spi_i, b.spi_i);
            assert_ne!(a.nonce, b.nonce);
            assert_ne!(a.ke_data, b.ke_data);
        }
        assert!(matches!(
            fresh(KeId(1000)),
            Err(MaterialError::UnknownGroup(KeId(1000)))
        ));
    }

    #[test]
    fn every_candidate_has_a_key_exchange_length_and_a_keyword() {
        for g in group_candidates() {
            assert!(ke_data_len(g).is_some(), "{g}");
        }
        for e in encr_candidates() {
            assert!(
                parse_proposal(&format!("{}-prfsha256-sha256-modp2048", e.keyword())).is_ok()
                    || e.is_aead()
            );
        }
        assert_eq!(keyword(TransformType::KE, 31), "curve25519");
        assert_eq!(keyword(TransformType::PRF, 5), "prfsha256");
        assert_eq!(keyword(TransformType::INTEG, 9), "AUTH_AES_128_GMAC");
    }
}
