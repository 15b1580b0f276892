//! The audit table held against the RFC tables it was read from: every row of RFC 8247 §2.1–2.4
//! (IKE SA transforms) and of RFC 8221 §5–6 (ESP and AH), with its status, as the RFCs print
//! them (name and status columns; notes in brackets), plus the rows that follow from the
//! documents' text (RFC 8247 §1.3: what is not listed MAY be implemented; RFC 9395's
//! deprecations). Each name is looked up in the IANA registry names, so a row that names a
//! transform wrongly fails too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ietfwg_ikev2::analysis::audit::{rate, rate_child, Requirement};
use ietfwg_ikev2::wire::registry::{EncrId, IntegId, KeId, PrfId, TransformType};

/// RFC 8247 §2.1, Type 1 - IKEv2 Encryption Algorithm Transforms. [1]: "for 128-bit and 256-bit
/// keys. 192-bit keys remain at the MAY level"; [IoT]: "Only 128-bit keys are at the SHOULD
/// level. 192-bit and 256-bit keys remain at the MAY level."
const RFC8247_2_1: &str = "
| ENCR_AES_CBC            | MUST     | [1]   |
| ENCR_CHACHA20_POLY1305  | SHOULD   |       |
| ENCR_AES_GCM_16         | SHOULD   | [1]   |
| ENCR_AES_CCM_8          | SHOULD   | [IoT] |
| ENCR_3DES               | MAY      |       |
| ENCR_DES                | MUST NOT |       |
";

/// RFC 8247 §2.2, Type 2 - IKEv2 Pseudorandom Function Transforms.
const RFC8247_2_2: &str = "
| PRF_HMAC_SHA2_256 | MUST     |       |
| PRF_HMAC_SHA2_512 | SHOULD+  |       |
| PRF_HMAC_SHA1     | MUST-    |       |
| PRF_AES128_XCBC   | SHOULD   | [IoT] |
| PRF_HMAC_MD5      | MUST NOT |       |
";

/// RFC 8247 §2.3, Type 3 - IKEv2 Integrity Algorithm Transforms.
const RFC8247_2_3: &str = "
| AUTH_HMAC_SHA2_256_128 | MUST     |       |
| AUTH_HMAC_SHA2_512_256 | SHOULD   |       |
| AUTH_HMAC_SHA1_96      | MUST-    |       |
| AUTH_AES_XCBC_96       | SHOULD   | [IoT] |
| AUTH_HMAC_MD5_96       | MUST NOT |       |
| AUTH_DES_MAC           | MUST NOT |       |
| AUTH_KPDK_MD5          | MUST NOT |       |
";

/// RFC 8247 §2.4, Type 4 - IKEv2 Diffie-Hellman Group Transforms (by number).
const RFC8247_2_4: &str = "
| 14 | MUST       |
| 19 | SHOULD     |
| 5  | SHOULD NOT |
| 2  | SHOULD NOT |
| 1  | MUST NOT   |
| 22 | MUST NOT   |
| 23 | SHOULD NOT |
| 24 | SHOULD NOT |
";

/// RFC 8247 §1.3 (and §2.5's "(*) This algorithm is not mentioned in the above sections, so it
/// defaults to MAY"): transforms the tables do not list.
const RFC8247_1_3: &str = "
| ENCR_AES_CTR       | MAY |
| ENCR_AES_GCM_8     | MAY |
| ENCR_AES_GCM_12    | MAY |
| ENCR_AES_CCM_16    | MAY |
| PRF_HMAC_SHA2_384  | MAY |
| PRF_AES128_CMAC    | MAY |
| AUTH_HMAC_SHA2_384_192 | MAY |
";

/// RFC 8221 §5, ESP encryption algorithms.
const RFC8221_5: &str = "
| ENCR_DES_IV64          | MUST NOT   |
| ENCR_DES               | MUST NOT   |
| ENCR_3DES              | SHOULD NOT |
| ENCR_BLOWFISH          | MUST NOT   |
| ENCR_3IDEA             | MUST NOT   |
| ENCR_DES_IV32          | MUST NOT   |
| ENCR_NULL              | MUST       |
| ENCR_AES_CBC           | MUST       | [1] |
| ENCR_AES_CCM_8         | SHOULD     | [IoT] |
| ENCR_AES_GCM_16        | MUST       | [1] |
| ENCR_CHACHA20_POLY1305 | SHOULD     |
";

/// RFC 8221 §6, ESP and AH authentication algorithms (AUTH_NONE: MUST with AEAD, MUST NOT
/// without).
const RFC8221_6: &str = "
| AUTH_HMAC_MD5_96       | MUST NOT |
| AUTH_HMAC_SHA1_96      | MUST-    |
| AUTH_DES_MAC           | MUST NOT |
| AUTH_KPDK_MD5          | MUST NOT |
| AUTH_AES_XCBC_96       | SHOULD   | [IoT] |
| AUTH_AES_128_GMAC      | MAY      |
| AUTH_AES_256_GMAC      | MAY      |
| AUTH_HMAC_SHA2_256_128 | MUST     |
| AUTH_HMAC_SHA2_512_256 | SHOULD   |
";

/// RFC 9395 §5: deprecated for IKEv2 (and ESP).
const RFC9395_5: &str = "
| ENCR_RC5          | MUST NOT |
| ENCR_IDEA         | MUST NOT |
| ENCR_CAST         | MUST NOT |
| PRF_HMAC_TIGER    | MUST NOT |
| AUTH_HMAC_MD5_128 | MUST NOT |
| AUTH_HMAC_SHA1_160 | MUST NOT |
";

fn level(s: &str) -> Requirement {
    match s {
        "MUST" => Requirement::Must,
        "MUST-" => Requirement::MustMinus,
        "SHOULD+" => Requirement::ShouldPlus,
        "SHOULD" => Requirement::Should,
        "MAY" => Requirement::May,
        "SHOULD NOT" => Requirement::ShouldNot,
        "MUST NOT" => Requirement::MustNot,
        other => panic!("not a level: {other}"),
    }
}

/// (name, status) of every row.
fn rows(table: &str) -> Vec<(String, Requirement)> {
    table
        .lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            (cols[1].to_string(), level(cols[2]))
        })
        .collect()
}

/// The transform a registry name stands for.
fn lookup(name: &str) -> (TransformType, u16) {
    for id in 0..1024u16 {
        if EncrId(id).name() == Some(name) {
            return (TransformType::ENCR, id);
        }
        if PrfId(id).name() == Some(name) {
            return (TransformType::PRF, id);
        }
        if IntegId(id).name() == Some(name) {
            return (TransformType::INTEG, id);
        }
    }
    panic!("{name} is not an IANA IKEv2 transform name");
}

/// 128-bit keys for AES: the level the tables give (notes [1] and [IoT]).
fn key_length(t: TransformType, id: u16) -> Option<u16> {
    (t == TransformType::ENCR && matches!(id, 12..=20)).then_some(128)
}

#[test]
fn ike_rows_match_rfc_8247() {
    let mut n = 0;
    for (table, section) in [
        (RFC8247_2_1, "RFC 8247 §2.1"),
        (RFC8247_2_2, "RFC 8247 §2.2"),
        (RFC8247_2_3, "RFC 8247 §2.3"),
        (RFC8247_1_3, "RFC 8247 §1.3"),
        (RFC9395_5, "RFC 9395 §5"),
    ] {
        for (name, want) in rows(table) {
            let (t, id) = lookup(&name);
            let got = rate(t, id, key_length(t, id));
            assert_eq!(
                (got.requirement, got.source),
                (want, section),
                "{name}: {got:?}"
            );
            n += 1;
        }
    }
    for (number, want) in rows(RFC8247_2_4) {
        let id: u16 = number.parse().unwrap();
        let got = rate(TransformType::KE, id, None);
        assert_eq!(
            (got.requirement, got.source),
            (want, "RFC 8247 §2.4"),
            "{}",
            KeId(id)
        );
        n += 1;
    }
    assert_eq!(n, 39);
    // Notes [1] and [IoT]: 192-bit AES keys stay MAY; 256-bit CCM_8 keys too.
    assert_eq!(
        rate(TransformType::ENCR, 12, Some(192)).requirement,
        Requirement::May
    );
    assert_eq!(
        rate(TransformType::ENCR, 14, Some(256)).requirement,
        Requirement::May
    );
}

#[test]
fn child_sa_rows_match_rfc_8221() {
    let mut n = 0;
    for (table, section) in [(RFC8221_5, "RFC 8221 §5"), (RFC8221_6, "RFC 8221 §6")] {
        for (name, want) in rows(table) {
            let (t, id) = lookup(&name);
            let got = rate_child(t, id, key_length(t, id), false);
            assert_eq!(
                (got.requirement, got.source),
                (want, section),
                "{name}: {got:?}"
            );
            n += 1;
        }
    }
    assert_eq!(n, 20);
    // AUTH_NONE: MUST with a combined-mode cipher, MUST NOT without.
    assert_eq!(
        rate_child(TransformType::INTEG, 0, None, true).requirement,
        Requirement::Must
    );
    assert_eq!(
        rate_child(TransformType::INTEG, 0, None, false).requirement,
        Requirement::MustNot
    );
    // ENCR_NULL is MUST for ESP but not allowed for IKE.
    assert_eq!(
        rate(TransformType::ENCR, 11, None).requirement,
        Requirement::MustNot
    );
    // RFC 9395's deprecations hold for ESP too.
    for (name, want) in rows(RFC9395_5) {
        let (t, id) = lookup(&name);
        if t == TransformType::PRF {
            continue;
        }
        assert_eq!(rate_child(t, id, None, false).requirement, want, "{name}");
    }
}
