//! Algorithm audit: how RFC 8247 ("Algorithm Implementation Requirements and Usage Guidance for
//! IKEv2", September 2017) rates an IKE SA transform or an authentication method, how RFC 8221
//! ("Cryptographic Algorithm Implementation Requirements and Usage Guidance for ESP and AH",
//! October 2017) rates a CHILD_SA's, both as updated by RFC 9395 (deprecation of IKEv1 and of
//! obsolete algorithms, April 2023) — as data, so a decoder can flag `ENCR_DES` or the
//! 768-bit MODP group in a captured proposal. Every [`Rating`] names the section it comes from.
//!
//! Scope:
//! - IKE SA transforms ([`rate`]): RFC 8247 §2.1 (encryption, with key lengths), §2.2 (PRF),
//!   §2.3 (integrity), §2.4 (Diffie-Hellman groups; also applied to ADDKE1–7, whose IDs are
//!   the same Key Exchange Method registry, RFC 9370), and §3 (authentication methods).
//!   RFC 8247 §1.3: algorithms the document does not list MAY be implemented — they rate MAY,
//!   citing §1.3 (ENCR_AES_CTR, ENCR_AES_GCM_8/12, PRF_HMAC_SHA2_384, Curve25519…).
//! - ESP and AH transforms of a CHILD_SA proposal ([`rate_child`]): RFC 8221 §5 (ESP
//!   encryption and AEAD) and §6 (authentication), RFC 9395's deprecations; the PFS group of
//!   a CHILD_SA is negotiated by IKE and rated by RFC 8247 §2.4.
//!
//! Requirement levels are RFC 8247 §1.1's (and RFC 8221 §1.1's): MUST, MUST- (same as MUST,
//! but expected to be downgraded), SHOULD+ (same as SHOULD, expected to be promoted to MUST),
//! SHOULD, MAY, SHOULD NOT, MUST NOT.

use crate::wire::registry::{AuthMethod, EncrId, IntegId, KeId, PrfId, TransformType};

/// An RFC 2119 / RFC 8247 §1.2 requirement level, ordered worst → best
/// (`MustNot < ShouldNot < Unspecified < May < Should < ShouldPlus < MustMinus < Must`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Requirement {
    /// MUST NOT be implemented / used.
    MustNot,
    /// SHOULD NOT.
    ShouldNot,
    /// The algorithm is not in the tables.
    Unspecified,
    /// MAY.
    May,
    /// SHOULD.
    Should,
    /// SHOULD+: SHOULD now, expected to be MUST in the future.
    ShouldPlus,
    /// MUST-: MUST now, expected to be downgraded in the future.
    MustMinus,
    /// MUST.
    Must,
}

impl Requirement {
    /// The RFC spelling: `"MUST"`, `"MUST-"`, `"SHOULD+"`, `"SHOULD"`, `"MAY"`, `"SHOULD NOT"`,
    /// `"MUST NOT"`, or `"UNSPECIFIED"`. This is also the JSON form.
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::MustNot => "MUST NOT",
            Requirement::ShouldNot => "SHOULD NOT",
            Requirement::Unspecified => "UNSPECIFIED",
            Requirement::May => "MAY",
            Requirement::Should => "SHOULD",
            Requirement::ShouldPlus => "SHOULD+",
            Requirement::MustMinus => "MUST-",
            Requirement::Must => "MUST",
        }
    }

    /// SHOULD NOT or MUST NOT: worth a warning when seen in a proposal.
    pub fn is_discouraged(self) -> bool {
        self <= Requirement::ShouldNot
    }
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Requirement {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A verdict with its provenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Rating {
    /// The requirement level.
    pub requirement: Requirement,
    /// Where it comes from, e.g. `"RFC 8247 §3.1.1"`, `"RFC 9395 §5"`; `"RFC 8247"` for
    /// [`Requirement::Unspecified`].
    pub source: &'static str,
    /// Why, in a few words; `""` when the table gives no reason.
    pub note: &'static str,
}

const fn r(requirement: Requirement, source: &'static str, note: &'static str) -> Rating {
    Rating {
        requirement,
        source,
        note,
    }
}

const S_ENCR: &str = "RFC 8247 §2.1";
const S_PRF: &str = "RFC 8247 §2.2";
const S_INTEG: &str = "RFC 8247 §2.3";
const S_DH: &str = "RFC 8247 §2.4";
const S_AUTH: &str = "RFC 8247 §3";
const S_UNLISTED: &str = "RFC 8247 §1.3";
const S_9395: &str = "RFC 9395 §5";
const S_ESP_ENCR: &str = "RFC 8221 §5";
const S_ESP_AUTH: &str = "RFC 8221 §6";

/// RFC 8247 §1.3: what the document does not list MAY be implemented.
const UNLISTED: Rating = r(
    Requirement::May,
    S_UNLISTED,
    "not listed by RFC 8247: MAY be implemented",
);

/// Transform types RFC 8247 has no table for (ESN, and types newer than it).
const NOT_COVERED: Rating = r(
    Requirement::Unspecified,
    "RFC 8247",
    "not covered by RFC 8247",
);

/// RFC 8221 does not list it (RFC 8221 §1.3: MAY).
const ESP_UNLISTED: Rating = r(
    Requirement::May,
    "RFC 8221 §1.3",
    "not listed by RFC 8221: MAY be implemented",
);

use Requirement::{May, Must, MustMinus, MustNot, Should, ShouldNot, ShouldPlus};

/// Rates one IKE SA transform: its Transform Type, Transform ID, and the Key Length attribute
/// (in bits) when the transform carries one.
///
/// Key lengths matter for AES: RFC 8247 §2.1 note [1] puts only 128- and 256-bit keys at the
/// table's level for ENCR_AES_CBC and ENCR_AES_GCM_16 ("192-bit keys remain at the MAY level"),
/// and its [IoT] note only 128-bit keys for ENCR_AES_CCM_8. A key length AES does not define
/// (e.g. 64) is `Unspecified`. Without a Key Length attribute the headline level is returned,
/// with a note saying so (RFC 7296 §3.3.5 requires the attribute for AES).
pub fn rate(transform_type: TransformType, id: u16, key_length: Option<u16>) -> Rating {
    match transform_type.0 {
        1 => rate_encr(EncrId(id), key_length),
        2 => rate_prf(PrfId(id)),
        3 => rate_integ(IntegId(id)),
        4 => rate_ke(KeId(id)),
        6..=12 => {
            let base = rate_ke(KeId(id));
            Rating {
                note: match base.requirement {
                    MustNot | ShouldNot => "weak group; rated as a Transform Type 4 group (RFC 8247 predates ADDKE, RFC 9370)",
                    _ if base.source == S_UNLISTED => base.note,
                    _ => "rated as a Transform Type 4 group (RFC 8247 predates ADDKE, RFC 9370)",
                },
                ..base
            }
        }
        _ => NOT_COVERED,
    }
}

fn rate_encr(id: EncrId, key_length: Option<u16>) -> Rating {
    match id.0 {
        // ENCR_AES_CBC — MUST [1].
        12 => aes_levels(S_ENCR, key_length, Must, Must, "128- and 256-bit keys: MUST; 192-bit keys: MAY"),
        // ENCR_CHACHA20_POLY1305 — SHOULD. Fixed 256-bit key, no Key Length attribute (RFC 7634).
        28 => r(Should, S_ENCR, "AEAD; a modern alternative to AES"),
        // ENCR_AES_GCM_16 — SHOULD [1].
        20 => aes_levels(S_ENCR, key_length, Should, Should, "AEAD; 128- and 256-bit keys: SHOULD; 192-bit keys: MAY"),
        // ENCR_AES_CCM_8 — SHOULD [IoT]: only 128-bit keys at SHOULD.
        14 => aes_levels(S_ENCR, key_length, Should, May, "for IoT interoperability; only 128-bit keys at SHOULD, 192 and 256 MAY"),
        // ENCR_3DES — MAY (downgraded from RFC 4307's MUST-).
        3 => r(May, S_ENCR, "64-bit block, slow; kept only for interoperability"),
        // ENCR_DES — MUST NOT.
        2 => r(MustNot, S_ENCR, "DES is broken (56-bit key, brute-forced with off-the-shelf hardware)"),
        // ENCR_NULL is registered for ESP only.
        11 => r(MustNot, "IANA Transform Type 1 registry", "ENCR_NULL is registered for ESP only (IKEv2: \"Not allowed\"): IKE messages need confidentiality"),
        // RFC 9395 deprecations of IKEv1-era ciphers never specified for IKEv2.
        1 => r(MustNot, S_9395, "deprecated: DES with 64-bit IV (56-bit key)"),
        9 => r(MustNot, S_9395, "deprecated: DES with 32-bit IV (56-bit key)"),
        4 => r(MustNot, S_9395, "deprecated: RC5, never specified for IKEv2"),
        5 => r(MustNot, S_9395, "deprecated: IDEA (64-bit block), never specified for IKEv2"),
        6 => r(MustNot, S_9395, "deprecated: CAST (64-bit block), never specified for IKEv2"),
        7 => r(MustNot, S_9395, "deprecated: Blowfish (64-bit block), never specified for IKEv2"),
        8 => r(MustNot, S_9395, "deprecated: 3IDEA, never specified"),
        // ENCR_AES_CTR, ENCR_AES_GCM_8/12, ENCR_AES_CCM_12/16, Camellia…: not listed.
        _ => UNLISTED,
    }
}

/// The AES rows: `at_128` for 128-bit keys, `at_256` for 256-bit keys, MAY for 192-bit keys.
fn aes_levels(
    source: &'static str,
    key_length: Option<u16>,
    at_128: Requirement,
    at_256: Requirement,
    note: &'static str,
) -> Rating {
    match key_length {
        Some(128) => r(at_128, source, note),
        Some(256) => r(at_256, source, note),
        Some(192) => r(May, source, note),
        Some(_) => r(
            Requirement::Unspecified,
            source,
            "key length not defined for AES (128, 192 or 256 bits)",
        ),
        None => r(
            at_128,
            source,
            "no Key Length attribute (required for AES, RFC 7296 §3.3.5); level for 128-bit keys",
        ),
    }
}

fn rate_prf(id: PrfId) -> Rating {
    match id.0 {
        5 => r(Must, S_PRF, ""),
        7 => r(
            ShouldPlus,
            S_PRF,
            "SHOULD+: expected to be MUST in the future",
        ),
        2 => r(
            MustMinus,
            S_PRF,
            "MUST-: SHA-1 based, expected to be downgraded",
        ),
        4 => r(Should, S_PRF, "for IoT interoperability"),
        1 => r(MustNot, S_PRF, "MD5 is broken"),
        3 => r(
            MustNot,
            S_9395,
            "deprecated: Tiger, never specified for IKEv2",
        ),
        _ => UNLISTED,
    }
}

fn rate_integ(id: IntegId) -> Rating {
    match id.0 {
        12 => r(Must, S_INTEG, ""),
        14 => r(Should, S_INTEG, ""),
        2 => r(
            MustMinus,
            S_INTEG,
            "MUST-: SHA-1 based, expected to be downgraded",
        ),
        5 => r(Should, S_INTEG, "for IoT interoperability"),
        1 => r(MustNot, S_INTEG, "MD5 is broken"),
        3 => r(MustNot, S_INTEG, "DES-MAC is broken (DES)"),
        4 => r(MustNot, S_INTEG, "KPDK-MD5 is broken (MD5)"),
        6 => r(
            MustNot,
            S_9395,
            "deprecated: HMAC-MD5-128 (Fibre Channel only)",
        ),
        7 => r(
            MustNot,
            S_9395,
            "deprecated: HMAC-SHA1-160 (Fibre Channel only)",
        ),
        // NONE (with a combined-mode cipher) is no algorithm to rate.
        0 => r(
            Requirement::Unspecified,
            S_UNLISTED,
            "NONE: the integrity of a combined-mode cipher",
        ),
        _ => UNLISTED,
    }
}

fn rate_ke(id: KeId) -> Rating {
    match id.0 {
        14 => r(Must, S_DH, ""),
        19 => r(Should, S_DH, "widely implemented and considered secure"),
        5 => r(ShouldNot, S_DH, "1536-bit MODP: security margin too narrow"),
        2 => r(
            ShouldNot,
            S_DH,
            "1024-bit MODP: breakable with mass-computing resources",
        ),
        1 => r(
            MustNot,
            S_DH,
            "768-bit MODP: broken within hours with off-the-shelf hardware",
        ),
        22 => r(
            MustNot,
            S_DH,
            "1024-bit MODP with 160-bit prime order subgroup: too small, unknown seed generation",
        ),
        23 => r(
            ShouldNot,
            S_DH,
            "MODP with prime order subgroup: unknown seed generation",
        ),
        24 => r(
            ShouldNot,
            S_DH,
            "MODP with prime order subgroup: unknown seed generation",
        ),
        // NONE in a CHILD_SA proposal: no PFS; not an algorithm.
        0 => r(
            Requirement::Unspecified,
            S_UNLISTED,
            "NONE: no key exchange (no PFS for the CHILD_SA)",
        ),
        _ => UNLISTED,
    }
}

/// Rates one transform of a CHILD_SA proposal (Protocol ID ESP or AH), per RFC 8221 and RFC
/// 9395; the PFS group by RFC 8247 §2.4. `aead` says whether the proposal's cipher is a
/// combined mode, which decides the level of integrity `NONE` (RFC 8221 §6: MUST with AEAD,
/// MUST NOT otherwise). `ah` is true for AH, which has no encryption.
pub fn rate_child(
    transform_type: TransformType,
    id: u16,
    key_length: Option<u16>,
    aead: bool,
) -> Rating {
    match transform_type.0 {
        1 => match id {
            // ENCR_AES_GCM_16 — MUST [1]; ENCR_AES_CBC — MUST [1].
            20 => aes_levels(
                S_ESP_ENCR,
                key_length,
                Must,
                Must,
                "AEAD; 128- and 256-bit keys: MUST; 192-bit keys: MAY",
            ),
            12 => aes_levels(
                S_ESP_ENCR,
                key_length,
                Must,
                Must,
                "128- and 256-bit keys: MUST; 192-bit keys: MAY",
            ),
            // ENCR_AES_CCM_8 — SHOULD [IoT]: 128-bit keys.
            14 => aes_levels(
                S_ESP_ENCR,
                key_length,
                Should,
                May,
                "for IoT interoperability; only 128-bit keys at SHOULD",
            ),
            28 => r(Should, S_ESP_ENCR, "AEAD; a modern alternative to AES"),
            // ENCR_NULL — MUST (authentication-only ESP).
            11 => r(
                Must,
                S_ESP_ENCR,
                "no confidentiality: ESP with authentication only",
            ),
            3 => r(
                ShouldNot,
                S_ESP_ENCR,
                "64-bit block: a key must be changed well before 2^32 blocks",
            ),
            2 => r(MustNot, S_ESP_ENCR, "DES is broken (56-bit key)"),
            1 => r(MustNot, S_ESP_ENCR, "DES with 64-bit IV (56-bit key)"),
            9 => r(MustNot, S_ESP_ENCR, "DES with 32-bit IV (56-bit key)"),
            7 => r(MustNot, S_ESP_ENCR, "Blowfish (64-bit block)"),
            8 => r(MustNot, S_ESP_ENCR, "3IDEA"),
            4 => r(MustNot, S_9395, "deprecated: RC5"),
            5 => r(MustNot, S_9395, "deprecated: IDEA (64-bit block)"),
            6 => r(MustNot, S_9395, "deprecated: CAST (64-bit block)"),
            _ => ESP_UNLISTED,
        },
        3 => match id {
            12 => r(Must, S_ESP_AUTH, ""),
            14 => r(Should, S_ESP_AUTH, ""),
            2 => r(
                MustMinus,
                S_ESP_AUTH,
                "MUST-: SHA-1 based, expected to be downgraded",
            ),
            5 => r(
                Should,
                S_ESP_AUTH,
                "AES-XCBC: for IoT interoperability (MAY otherwise)",
            ),
            9 | 11 => r(
                May,
                S_ESP_AUTH,
                "AES-GMAC: authentication only, with ENCR_NULL",
            ),
            1 => r(MustNot, S_ESP_AUTH, "MD5 is broken"),
            3 => r(MustNot, S_ESP_AUTH, "DES-MAC is broken (DES)"),
            4 => r(MustNot, S_ESP_AUTH, "KPDK-MD5 is broken (MD5)"),
            6 => r(MustNot, S_9395, "deprecated: HMAC-MD5-128"),
            7 => r(MustNot, S_9395, "deprecated: HMAC-SHA1-160"),
            0 if aead => r(
                Must,
                S_ESP_AUTH,
                "NONE with a combined-mode cipher: its tag is the ICV",
            ),
            0 => r(
                MustNot,
                S_ESP_AUTH,
                "NONE without a combined-mode cipher: no integrity at all",
            ),
            _ => ESP_UNLISTED,
        },
        4 => {
            let base = rate_ke(KeId(id));
            if base.source == S_UNLISTED {
                base
            } else {
                Rating {
                    note: "the CHILD_SA's PFS group, negotiated by IKE",
                    ..base
                }
            }
        }
        6..=12 => rate(transform_type, id, key_length),
        _ => r(
            Requirement::Unspecified,
            "RFC 8221",
            "not covered by RFC 8221 (Extended Sequence Numbers are a choice, not an algorithm)",
        ),
    }
}

/// Rates an authentication method (RFC 8247 §3). The signature algorithm inside a
/// "Digital Signature" (14) AUTH payload is not rated here.
pub fn rate_auth(method: AuthMethod) -> Rating {
    match method.0 {
        1 => r(
            Must,
            S_AUTH,
            "with keys of at least 2048 bits; RSASSA-PKCS1-v1_5, expected to be downgraded",
        ),
        2 => r(Must, S_AUTH, "PSK: as strong as the shared secret"),
        3 => r(
            ShouldNot,
            S_AUTH,
            "DSS is bound to SHA-1, about as strong as 1024-bit RSA",
        ),
        9 => r(
            Should,
            S_AUTH,
            "no hash agility; expected to move to Digital Signature",
        ),
        10 => r(
            Should,
            S_AUTH,
            "no hash agility; expected to move to Digital Signature",
        ),
        11 => r(
            Should,
            S_AUTH,
            "no hash agility; expected to move to Digital Signature",
        ),
        14 => r(
            Should,
            S_AUTH,
            "RFC 7427: hash, format and algorithm agility; expected to be promoted",
        ),
        _ => UNLISTED,
    }
}

// ---------------------------------------------------------------------------------------------
// Audit of a captured IKE SA (`ietfwg ikev2 audit`)
// ---------------------------------------------------------------------------------------------

/// Where a rated transform appeared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Role {
    /// In the initiator's offer: `proposal` is the Proposal Num, `position` the 1-based
    /// position of the proposal in the SA payload (1 = the initiator's first choice).
    Offered {
        /// Proposal Num.
        proposal: u8,
        /// 1-based position of the proposal in the SA payload.
        position: usize,
    },
    /// In the responder's chosen proposal.
    Chosen,
}

/// One IKE SA transform of a captured SA, rated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// The SA's initiator SPI (16 hex digits); `spi_i` as in the SA summary.
    #[serde(rename = "spi_i")]
    pub sa_spi_i: String,
    /// Offered or chosen.
    pub role: Role,
    /// Transform Type.
    pub transform_type: TransformType,
    /// Transform ID.
    pub id: u16,
    /// Display name (`ENCR_AES_CBC_128`, `2048-bit MODP Group (14)`).
    pub name: String,
    /// Key Length attribute, bits.
    pub key_length: Option<u16>,
    /// RFC 8247 / RFC 8221 / RFC 9395 rating.
    pub rating: Rating,
    /// The proposal's Protocol ID: `IKE`, `ESP` or `AH` (IKE SA transforms are rated by RFC
    /// 8247, CHILD_SA ones by RFC 8221).
    pub protocol: String,
}

/// Rates every transform of the SA's proposals: the initiator's last IKE_SA_INIT offer (or,
/// for an SA created by a decrypted rekey, the rekey's offer) and the responder's choice, by
/// RFC 8247; and the CHILD_SA proposals seen (decrypted IKE_AUTH, CREATE_CHILD_SA), by RFC 8221.
pub fn audit(sa: &crate::analysis::summary::SaSummary) -> Vec<AuditEntry> {
    let mut out = Vec::new();
    let mut push = |role: Role, p: &crate::analysis::summary::ProposalSummary| {
        let ike = p.protocol == "IKE";
        // A combined-mode cipher in the proposal makes integrity NONE right (RFC 8221 §6).
        let aead = p
            .transforms
            .iter()
            .any(|t| t.transform_type.0 == 1 && matches!(t.id, 14..=16 | 18..=20 | 28));
        for t in &p.transforms {
            // Extended Sequence Numbers are a choice, not an algorithm: nothing to rate.
            if t.transform_type == TransformType::ESN {
                continue;
            }
            let rating = if ike {
                rate(t.transform_type, t.id, t.key_length)
            } else {
                rate_child(t.transform_type, t.id, t.key_length, aead)
            };
            out.push(AuditEntry {
                sa_spi_i: sa.spi_i.clone(),
                role,
                transform_type: t.transform_type,
                id: t.id,
                name: t.name.clone(),
                key_length: t.key_length,
                rating,
                protocol: p.protocol.clone(),
            });
        }
    };
    if let Some(offer) = &sa.offered {
        for p in &offer.proposals {
            push(
                Role::Offered {
                    proposal: p.number,
                    position: p.position,
                },
                p,
            );
        }
    }
    if let Some(c) = &sa.chosen {
        push(Role::Chosen, &c.proposal);
    }
    // CHILD_SA proposals (IKE_AUTH, CREATE_CHILD_SA; seen when decrypted): RFC 8221.
    for child in &sa.child_sas {
        for p in &child.offered {
            push(
                Role::Offered {
                    proposal: p.number,
                    position: p.position,
                },
                p,
            );
        }
        if let Some(p) = &child.chosen {
            push(Role::Chosen, p);
        }
    }
    out
}

/// True when a MUST NOT transform was chosen, or offered in the initiator's first proposal:
/// `ietfwg ikev2 audit` then exits with status 1. A MUST NOT in a later, fallback proposal that
/// was not chosen is reported but does not fail.
pub fn fails(entries: &[AuditEntry]) -> bool {
    entries.iter().any(|e| {
        e.rating.requirement == Requirement::MustNot
            && matches!(e.role, Role::Chosen | Role::Offered { position: 1, .. })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::registry::testjson::to_json;
    use Requirement::Unspecified;

    const ENCR: TransformType = TransformType::ENCR;
    const PRF: TransformType = TransformType::PRF;
    const INTEG: TransformType = TransformType::INTEG;
    const KE: TransformType = TransformType::KE;

    /// RFC 8247 §2.1, one row per (transform, key length) case.
    #[test]
    fn encryption_table() {
        let rows: &[(u16, Option<u16>, Requirement)] = &[
            (12, Some(128), Must),   // ENCR_AES_CBC [1]
            (12, Some(256), Must),   // ENCR_AES_CBC [1]
            (12, Some(192), May),    // [1]: 192-bit keys remain MAY
            (28, None, Should),      // ENCR_CHACHA20_POLY1305
            (20, Some(128), Should), // ENCR_AES_GCM_16 [1]
            (20, Some(256), Should), // ENCR_AES_GCM_16 [1]
            (20, Some(192), May),    // [1]
            (14, Some(128), Should), // ENCR_AES_CCM_8 [IoT]
            (14, Some(256), May),    // [IoT]: only 128-bit keys at SHOULD
            (14, Some(192), May),    // [IoT]
            (3, None, May),          // ENCR_3DES
            (2, None, MustNot),      // ENCR_DES
        ];
        for &(id, kl, want) in rows {
            let got = rate(ENCR, id, kl);
            assert_eq!(got.requirement, want, "{} {kl:?}", EncrId(id));
            assert_eq!(got.source, "RFC 8247 §2.1", "{}", EncrId(id));
        }
    }

    #[test]
    fn encryption_edges() {
        let odd = rate(ENCR, 12, Some(64));
        assert_eq!(odd.requirement, Unspecified);
        assert!(odd.note.contains("key length"));
        let bare = rate(ENCR, 12, None);
        assert_eq!(bare.requirement, Must);
        assert!(bare.note.contains("no Key Length"));
        assert_eq!(
            rate(ENCR, 11, None).requirement,
            MustNot,
            "ENCR_NULL in IKE"
        );
        // Not in the table: AES-CTR, Camellia, GOST ciphers, AES-GCM with 8/12-octet ICV.
        // RFC 8247 §1.3: not listed, MAY (ENCR_AES_CTR, ENCR_AES_GCM_8/12, Camellia, …).
        for id in [13, 18, 19, 23, 32] {
            assert_eq!(rate(ENCR, id, Some(128)), UNLISTED, "{}", EncrId(id));
        }
    }

    /// RFC 9395 §5's deprecations of IKEv1-era transforms.
    #[test]
    fn rfc9395_deprecations() {
        for id in [1, 4, 5, 6, 7, 8, 9] {
            let got = rate(ENCR, id, None);
            assert_eq!(
                (got.requirement, got.source),
                (MustNot, "RFC 9395 §5"),
                "{}",
                EncrId(id)
            );
            assert!(got.note.starts_with("deprecated"));
        }
        assert_eq!(rate(PRF, 3, None).source, "RFC 9395 §5");
        assert_eq!(rate(INTEG, 6, None).requirement, MustNot);
        assert_eq!(rate(INTEG, 7, None).requirement, MustNot);
    }

    /// RFC 8247 §2.2.
    #[test]
    fn prf_table() {
        let rows = [
            (5, Must),
            (7, ShouldPlus),
            (2, MustMinus),
            (4, Should),
            (1, MustNot),
        ];
        for (id, want) in rows {
            let got = rate(PRF, id, None);
            assert_eq!(
                (got.requirement, got.source),
                (want, "RFC 8247 §2.2"),
                "{}",
                PrfId(id)
            );
        }
        assert_eq!(
            rate(PRF, 6, None),
            UNLISTED,
            "PRF_HMAC_SHA2_384 is not listed: MAY (§1.3)"
        );
    }

    /// RFC 8247 §2.3.
    #[test]
    fn integrity_table() {
        let rows = [
            (12, Must),
            (14, Should),
            (2, MustMinus),
            (5, Should),
            (1, MustNot),
            (3, MustNot),
            (4, MustNot),
        ];
        for (id, want) in rows {
            let got = rate(INTEG, id, None);
            assert_eq!(
                (got.requirement, got.source),
                (want, "RFC 8247 §2.3"),
                "{}",
                IntegId(id)
            );
        }
        assert_eq!(
            rate(INTEG, 0, None).requirement,
            Unspecified,
            "NONE (with AEAD) is no algorithm"
        );
    }

    /// RFC 8247 §2.4.
    #[test]
    fn dh_table() {
        let rows = [
            (14, Must),
            (19, Should),
            (5, ShouldNot),
            (2, ShouldNot),
            (1, MustNot),
            (22, MustNot),
            (23, ShouldNot),
            (24, ShouldNot),
        ];
        for (id, want) in rows {
            let got = rate(KE, id, None);
            assert_eq!(
                (got.requirement, got.source),
                (want, "RFC 8247 §2.4"),
                "{}",
                KeId(id)
            );
        }
        for id in [15, 20, 21, 31, 32, 35, 36, 37] {
            assert_eq!(rate(KE, id, None), UNLISTED, "{}", KeId(id));
        }
    }

    #[test]
    fn addke_uses_the_group_table() {
        let weak = rate(TransformType::ADDKE1, 1, None);
        assert_eq!(weak.requirement, MustNot);
        assert!(weak.note.contains("RFC 9370"));
        assert_eq!(rate(TransformType::ADDKE7, 14, None).requirement, Must);
        assert_eq!(
            rate(TransformType::ADDKE2, 36, None),
            UNLISTED,
            "ML-KEM is newer than RFC 8247: not listed, MAY"
        );
    }

    #[test]
    fn other_types_are_not_covered() {
        assert_eq!(rate(TransformType::ESN, 1, None), NOT_COVERED);
        assert_eq!(rate(TransformType(13), 1, None), NOT_COVERED);
        assert_eq!(rate(TransformType(200), 12, Some(128)), NOT_COVERED);
        assert_eq!(NOT_COVERED.note, "not covered by RFC 8247");
    }

    /// RFC 8247 §3.
    #[test]
    fn auth_table() {
        let rows = [
            (AuthMethod::RSA_SIG, Must),
            (AuthMethod::SHARED_KEY_MIC, Must),
            (AuthMethod::DSS_SIG, ShouldNot),
            (AuthMethod::ECDSA_SHA256_P256, Should),
            (AuthMethod::ECDSA_SHA384_P384, Should),
            (AuthMethod::ECDSA_SHA512_P521, Should),
            (AuthMethod::DIGITAL_SIGNATURE, Should),
        ];
        for (m, want) in rows {
            let got = rate_auth(m);
            assert_eq!((got.requirement, got.source), (want, "RFC 8247 §3"), "{m}");
        }
        assert!(rate_auth(AuthMethod::RSA_SIG).note.contains("2048"));
        assert_eq!(rate_auth(AuthMethod::NULL_AUTH), UNLISTED);
        assert_eq!(rate_auth(AuthMethod(200)), UNLISTED);
    }

    #[test]
    fn requirement_order_and_strings() {
        let all = [
            MustNot,
            ShouldNot,
            Unspecified,
            May,
            Should,
            ShouldPlus,
            MustMinus,
            Must,
        ];
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        let strs: Vec<_> = all.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            strs.join("|"),
            "MUST NOT|SHOULD NOT|UNSPECIFIED|MAY|SHOULD|SHOULD+|MUST-|MUST"
        );
        assert!(
            MustNot.is_discouraged() && ShouldNot.is_discouraged() && !Unspecified.is_discouraged()
        );
        assert_eq!(ShouldPlus.to_string(), "SHOULD+");
    }

    #[test]
    fn rating_json() {
        assert_eq!(
            to_json(&rate(KE, 1, None)),
            r#"{"requirement":"MUST NOT","source":"RFC 8247 §2.4","note":"768-bit MODP: broken within hours with off-the-shelf hardware"}"#
        );
        assert_eq!(
            to_json(&rate(PRF, 7, None)),
            r#"{"requirement":"SHOULD+","source":"RFC 8247 §2.2","note":"SHOULD+: expected to be MUST in the future"}"#
        );
    }
}
