//! IANA registries of IKEv2 ("Internet Key Exchange Version 2 (IKEv2) Parameters", plus the EAP
//! codes and method types carried in the EAP payload), one newtype per registry. Unknown values
//! stay representable: `Display` prints the IANA name, or the number when the value is
//! unassigned (or reserved, or private use); JSON carries the number and the name
//! (`{"id": 12, "name": "ENCR_AES_CBC"}`, `name` null when unassigned).
//!
//! Contents follow the IANA registry as of its 2025 revision (exchange types up to
//! IKE_FOLLOWUP_KE 44, payload types up to PS 54, transform types up to GCAUTH 14, ML-KEM key
//! exchange methods 35–37, notify status types up to PPK_IDENTITY_KEY 16446). Names are the IANA
//! spellings; where the registry renamed an entry (RFC 9370: "Diffie-Hellman group" → "Key
//! Exchange Method"; "Extended Sequence Numbers" → "Sequence Numbers") the current name is used.
//! Reserved, unassigned and private-use values have no name.
//!
//! [`vendor_id`] recognises well-known Vendor ID payload contents (Wireshark's table).

/// Declares a code-point newtype with named constants and their IANA names.
macro_rules! codepoint {
    ($(#[$meta:meta])* $name:ident($inner:ty) { $($(#[$cmeta:meta])* $konst:ident = $value:expr => $label:expr,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $inner);

        impl $name {
            $($(#[$cmeta])* pub const $konst: $name = $name($value);)*

            /// The IANA name, when the value is assigned.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($label),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}", self.0),
                }
            }
        }

        impl serde::Serialize for $name {
            /// `{"id": 12, "name": "ENCR_AES_CBC"}`; `name` is null for unassigned values.
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut st = s.serialize_struct(stringify!($name), 2)?;
                st.serialize_field("id", &self.0)?;
                st.serialize_field("name", &self.name())?;
                st.end()
            }
        }

        impl From<$inner> for $name {
            fn from(v: $inner) -> Self {
                $name(v)
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use codepoint;

codepoint! {
    /// IKEv2 Exchange Types (RFC 7296 §3.1 and later).
    ExchangeType(u8) {
        IKE_SA_INIT = 34 => "IKE_SA_INIT",
        IKE_AUTH = 35 => "IKE_AUTH",
        CREATE_CHILD_SA = 36 => "CREATE_CHILD_SA",
        INFORMATIONAL = 37 => "INFORMATIONAL",
        /// RFC 5723.
        IKE_SESSION_RESUME = 38 => "IKE_SESSION_RESUME",
        /// G-IKEv2 (RFC 9838).
        GSA_AUTH = 39 => "GSA_AUTH",
        /// G-IKEv2 (RFC 9838).
        GSA_REGISTRATION = 40 => "GSA_REGISTRATION",
        /// G-IKEv2 (RFC 9838).
        GSA_REKEY = 41 => "GSA_REKEY",
        /// G-IKEv2 (RFC 9838).
        GSA_INBAND_REKEY = 42 => "GSA_INBAND_REKEY",
        /// RFC 9242.
        IKE_INTERMEDIATE = 43 => "IKE_INTERMEDIATE",
        /// RFC 9370.
        IKE_FOLLOWUP_KE = 44 => "IKE_FOLLOWUP_KE",
    }
}

codepoint! {
    /// IKEv2 Payload Types (RFC 7296 §3.2, RFC 6467, G-IKEv2, RFC 7383, RFC 8019). The name is
    /// the IANA "Next Payload Type"; [`PayloadType::short`] gives the notation (SA, KE, IDi…).
    PayloadType(u8) {
        NONE = 0 => "No Next Payload",
        SA = 33 => "Security Association",
        KE = 34 => "Key Exchange",
        IDI = 35 => "Identification - Initiator",
        IDR = 36 => "Identification - Responder",
        CERT = 37 => "Certificate",
        CERTREQ = 38 => "Certificate Request",
        AUTH = 39 => "Authentication",
        NONCE = 40 => "Nonce",
        NOTIFY = 41 => "Notify",
        DELETE = 42 => "Delete",
        VENDOR_ID = 43 => "Vendor ID",
        TSI = 44 => "Traffic Selector - Initiator",
        TSR = 45 => "Traffic Selector - Responder",
        SK = 46 => "Encrypted and Authenticated",
        CP = 47 => "Configuration",
        EAP = 48 => "Extensible Authentication",
        /// RFC 6467.
        GSPM = 49 => "Generic Secure Password Method",
        /// G-IKEv2.
        IDG = 50 => "Group Identification",
        /// G-IKEv2.
        GSA = 51 => "Group Security Association",
        /// G-IKEv2.
        KD = 52 => "Key Download",
        /// RFC 7383.
        SKF = 53 => "Encrypted and Authenticated Fragment",
        /// RFC 8019.
        PS = 54 => "Puzzle Solution",
    }
}

impl PayloadType {
    /// The IANA notation (Wireshark/strongSwan-style abbreviation): `SA`, `KE`, `IDi`, `IDr`,
    /// `CERT`, `CERTREQ`, `AUTH`, `Nonce` (Ni/Nr, as Wireshark writes it), `N`, `D`, `V`, `TSi`, `TSr`, `SK`, `CP`, `EAP`,
    /// `GSPM`, `IDg`, `GSA`, `KD`, `SKF`, `PS`. `None` for 0 and for unassigned values.
    pub fn short(self) -> Option<&'static str> {
        Some(match self.0 {
            33 => "SA",
            34 => "KE",
            35 => "IDi",
            36 => "IDr",
            37 => "CERT",
            38 => "CERTREQ",
            39 => "AUTH",
            40 => "Nonce",
            41 => "N",
            42 => "D",
            43 => "V",
            44 => "TSi",
            45 => "TSr",
            46 => "SK",
            47 => "CP",
            48 => "EAP",
            49 => "GSPM",
            50 => "IDg",
            51 => "GSA",
            52 => "KD",
            53 => "SKF",
            54 => "PS",
            _ => return None,
        })
    }

    /// 128–255 are reserved for private use.
    pub fn is_private_use(self) -> bool {
        self.0 >= 128
    }
}

codepoint! {
    /// Transform Type Values (RFC 7296 §3.3.2; RFC 9370 for ADDKE1–7; G-IKEv2 for 13–14).
    TransformType(u8) {
        ENCR = 1 => "Encryption Algorithm (ENCR)",
        PRF = 2 => "Pseudorandom Function (PRF)",
        INTEG = 3 => "Integrity Algorithm (INTEG)",
        /// Formerly "Diffie-Hellman group (D-H)" (renamed by RFC 9370).
        KE = 4 => "Key Exchange Method (KE)",
        /// Formerly "Extended Sequence Numbers (ESN)".
        ESN = 5 => "Sequence Numbers (SN)",
        ADDKE1 = 6 => "Additional Key Exchange 1 (ADDKE1)",
        ADDKE2 = 7 => "Additional Key Exchange 2 (ADDKE2)",
        ADDKE3 = 8 => "Additional Key Exchange 3 (ADDKE3)",
        ADDKE4 = 9 => "Additional Key Exchange 4 (ADDKE4)",
        ADDKE5 = 10 => "Additional Key Exchange 5 (ADDKE5)",
        ADDKE6 = 11 => "Additional Key Exchange 6 (ADDKE6)",
        ADDKE7 = 12 => "Additional Key Exchange 7 (ADDKE7)",
        KWA = 13 => "Key Wrap Algorithm (KWA)",
        GCAUTH = 14 => "Group Controller Authentication Method (GCAUTH)",
    }
}

impl TransformType {
    /// Alias of [`TransformType::ESN`] under the registry's current name.
    pub const SN: TransformType = TransformType(5);

    /// The abbreviation in parentheses of the IANA name: `ENCR`, `PRF`, `INTEG`, `KE`, `SN`,
    /// `ADDKE1`…`ADDKE7`, `KWA`, `GCAUTH`.
    pub fn short(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "ENCR",
            2 => "PRF",
            3 => "INTEG",
            4 => "KE",
            5 => "SN",
            6 => "ADDKE1",
            7 => "ADDKE2",
            8 => "ADDKE3",
            9 => "ADDKE4",
            10 => "ADDKE5",
            11 => "ADDKE6",
            12 => "ADDKE7",
            13 => "KWA",
            14 => "GCAUTH",
            _ => return None,
        })
    }

    /// Types whose Transform IDs are Key Exchange Method IDs ([`KeId`]): KE (4) and ADDKE1–7
    /// (6–12).
    pub fn is_key_exchange(self) -> bool {
        self.0 == 4 || (6..=12).contains(&self.0)
    }
}

codepoint! {
    /// Transform Type 1 — Encryption Algorithm Transform IDs.
    EncrId(u16) {
        DES_IV64 = 1 => "ENCR_DES_IV64",
        DES = 2 => "ENCR_DES",
        TRIPLE_DES = 3 => "ENCR_3DES",
        RC5 = 4 => "ENCR_RC5",
        IDEA = 5 => "ENCR_IDEA",
        CAST = 6 => "ENCR_CAST",
        BLOWFISH = 7 => "ENCR_BLOWFISH",
        TRIPLE_IDEA = 8 => "ENCR_3IDEA",
        DES_IV32 = 9 => "ENCR_DES_IV32",
        /// Registered for ESP only; not allowed in IKEv2.
        NULL = 11 => "ENCR_NULL",
        AES_CBC = 12 => "ENCR_AES_CBC",
        AES_CTR = 13 => "ENCR_AES_CTR",
        AES_CCM_8 = 14 => "ENCR_AES_CCM_8",
        AES_CCM_12 = 15 => "ENCR_AES_CCM_12",
        AES_CCM_16 = 16 => "ENCR_AES_CCM_16",
        AES_GCM_8 = 18 => "ENCR_AES_GCM_8",
        AES_GCM_12 = 19 => "ENCR_AES_GCM_12",
        AES_GCM_16 = 20 => "ENCR_AES_GCM_16",
        NULL_AUTH_AES_GMAC = 21 => "ENCR_NULL_AUTH_AES_GMAC",
        CAMELLIA_CBC = 23 => "ENCR_CAMELLIA_CBC",
        CAMELLIA_CTR = 24 => "ENCR_CAMELLIA_CTR",
        CAMELLIA_CCM_8 = 25 => "ENCR_CAMELLIA_CCM_8",
        CAMELLIA_CCM_12 = 26 => "ENCR_CAMELLIA_CCM_12",
        CAMELLIA_CCM_16 = 27 => "ENCR_CAMELLIA_CCM_16",
        /// RFC 7634.
        CHACHA20_POLY1305 = 28 => "ENCR_CHACHA20_POLY1305",
        /// RFC 8750 (ESP only).
        AES_CCM_8_IIV = 29 => "ENCR_AES_CCM_8_IIV",
        /// RFC 8750 (ESP only).
        AES_GCM_16_IIV = 30 => "ENCR_AES_GCM_16_IIV",
        /// RFC 8750 (ESP only).
        CHACHA20_POLY1305_IIV = 31 => "ENCR_CHACHA20_POLY1305_IIV",
        /// RFC 9227.
        KUZNYECHIK_MGM_KTREE = 32 => "ENCR_KUZNYECHIK_MGM_KTREE",
        /// RFC 9227.
        MAGMA_MGM_KTREE = 33 => "ENCR_MAGMA_MGM_KTREE",
        /// RFC 9227.
        KUZNYECHIK_MGM_MAC_KTREE = 34 => "ENCR_KUZNYECHIK_MGM_MAC_KTREE",
        /// RFC 9227.
        MAGMA_MGM_MAC_KTREE = 35 => "ENCR_MAGMA_MGM_MAC_KTREE",
    }
}

impl EncrId {
    /// AEAD ciphers (RFC 5282, RFC 7634, RFC 8750, RFC 9227): no separate INTEG transform.
    pub fn is_aead(self) -> bool {
        matches!(self.0, 14..=16 | 18..=21 | 25..=35)
    }
}

codepoint! {
    /// Transform Type 2 — Pseudorandom Function Transform IDs.
    PrfId(u16) {
        HMAC_MD5 = 1 => "PRF_HMAC_MD5",
        HMAC_SHA1 = 2 => "PRF_HMAC_SHA1",
        HMAC_TIGER = 3 => "PRF_HMAC_TIGER",
        AES128_XCBC = 4 => "PRF_AES128_XCBC",
        HMAC_SHA2_256 = 5 => "PRF_HMAC_SHA2_256",
        HMAC_SHA2_384 = 6 => "PRF_HMAC_SHA2_384",
        HMAC_SHA2_512 = 7 => "PRF_HMAC_SHA2_512",
        AES128_CMAC = 8 => "PRF_AES128_CMAC",
        /// RFC 9385.
        HMAC_STREEBOG_512 = 9 => "PRF_HMAC_STREEBOG_512",
    }
}

codepoint! {
    /// Transform Type 3 — Integrity Algorithm Transform IDs.
    IntegId(u16) {
        NONE = 0 => "NONE",
        HMAC_MD5_96 = 1 => "AUTH_HMAC_MD5_96",
        HMAC_SHA1_96 = 2 => "AUTH_HMAC_SHA1_96",
        DES_MAC = 3 => "AUTH_DES_MAC",
        KPDK_MD5 = 4 => "AUTH_KPDK_MD5",
        AES_XCBC_96 = 5 => "AUTH_AES_XCBC_96",
        HMAC_MD5_128 = 6 => "AUTH_HMAC_MD5_128",
        HMAC_SHA1_160 = 7 => "AUTH_HMAC_SHA1_160",
        AES_CMAC_96 = 8 => "AUTH_AES_CMAC_96",
        AES_128_GMAC = 9 => "AUTH_AES_128_GMAC",
        AES_192_GMAC = 10 => "AUTH_AES_192_GMAC",
        AES_256_GMAC = 11 => "AUTH_AES_256_GMAC",
        HMAC_SHA2_256_128 = 12 => "AUTH_HMAC_SHA2_256_128",
        HMAC_SHA2_384_192 = 13 => "AUTH_HMAC_SHA2_384_192",
        HMAC_SHA2_512_256 = 14 => "AUTH_HMAC_SHA2_512_256",
    }
}

codepoint! {
    /// Transform Types 4 and 6–12 — Key Exchange Method Transform IDs (formerly "Diffie-Hellman
    /// Group Transform IDs").
    KeId(u16) {
        NONE = 0 => "NONE",
        MODP_768 = 1 => "768-bit MODP Group",
        MODP_1024 = 2 => "1024-bit MODP Group",
        MODP_1536 = 5 => "1536-bit MODP Group",
        MODP_2048 = 14 => "2048-bit MODP Group",
        MODP_3072 = 15 => "3072-bit MODP Group",
        MODP_4096 = 16 => "4096-bit MODP Group",
        MODP_6144 = 17 => "6144-bit MODP Group",
        MODP_8192 = 18 => "8192-bit MODP Group",
        ECP_256 = 19 => "256-bit random ECP group",
        ECP_384 = 20 => "384-bit random ECP group",
        ECP_521 = 21 => "521-bit random ECP group",
        MODP_1024_160_POS = 22 => "1024-bit MODP Group with 160-bit Prime Order Subgroup",
        MODP_2048_224_POS = 23 => "2048-bit MODP Group with 224-bit Prime Order Subgroup",
        MODP_2048_256_POS = 24 => "2048-bit MODP Group with 256-bit Prime Order Subgroup",
        ECP_192 = 25 => "192-bit Random ECP Group",
        ECP_224 = 26 => "224-bit Random ECP Group",
        BRAINPOOL_P224R1 = 27 => "brainpoolP224r1",
        BRAINPOOL_P256R1 = 28 => "brainpoolP256r1",
        BRAINPOOL_P384R1 = 29 => "brainpoolP384r1",
        BRAINPOOL_P512R1 = 30 => "brainpoolP512r1",
        /// RFC 8031.
        CURVE25519 = 31 => "Curve25519",
        /// RFC 8031.
        CURVE448 = 32 => "Curve448",
        /// RFC 9385.
        GOST3410_2012_256 = 33 => "GOST3410_2012_256",
        /// RFC 9385.
        GOST3410_2012_512 = 34 => "GOST3410_2012_512",
        /// draft-ietf-ipsecme-ikev2-mlkem (FIPS 203).
        ML_KEM_512 = 35 => "ml-kem-512",
        /// draft-ietf-ipsecme-ikev2-mlkem (FIPS 203).
        ML_KEM_768 = 36 => "ml-kem-768",
        /// draft-ietf-ipsecme-ikev2-mlkem (FIPS 203).
        ML_KEM_1024 = 37 => "ml-kem-1024",
    }
}

impl KeId {
    /// Post-quantum KEMs (ML-KEM).
    pub fn is_post_quantum(self) -> bool {
        matches!(self.0, 35..=37)
    }
}

codepoint! {
    /// Transform Type 5 — Sequence Numbers Transform IDs (formerly "Extended Sequence Numbers
    /// Transform IDs"; the entries were renamed as the registry was).
    SeqNumId(u16) {
        /// Formerly "No Extended Sequence Numbers".
        NO_ESN = 0 => "32-bit Sequential Numbers",
        /// Formerly "Extended Sequence Numbers".
        ESN = 1 => "Partially Transmitted 64-bit Sequential Numbers",
        /// G-IKEv2 multicast SAs without replay protection.
        UNSPECIFIED_32 = 2 => "32-bit Unspecified Numbers",
    }
}

codepoint! {
    /// IKEv2 Transform Attribute Types (RFC 7296 §3.3.5). The value is the 15-bit type (AF bit
    /// removed).
    TransformAttrType(u16) {
        /// TV format, in bits.
        KEY_LENGTH = 14 => "Key Length (in bits)",
        /// G-IKEv2 (GCAUTH Digital Signature).
        SIGNATURE_ALGORITHM_IDENTIFIER = 18 => "Signature Algorithm Identifier",
    }
}

codepoint! {
    /// IKEv2 Security Protocol Identifiers (RFC 7296 §3.3.1).
    ProtocolId(u8) {
        IKE = 1 => "IKE",
        AH = 2 => "AH",
        ESP = 3 => "ESP",
        /// RFC 4595.
        FC_ESP_HEADER = 4 => "FC_ESP_HEADER",
        /// RFC 4595.
        FC_CT_AUTHENTICATION = 5 => "FC_CT_AUTHENTICATION",
        /// G-IKEv2.
        GIKE_UPDATE = 6 => "GIKE_UPDATE",
    }
}

codepoint! {
    /// IKEv2 Notify Message Types: error types (0–16383, private use 8192–16383) and status
    /// types (16384–65535, private use 40960–65535).
    NotifyType(u16) {
        UNSUPPORTED_CRITICAL_PAYLOAD = 1 => "UNSUPPORTED_CRITICAL_PAYLOAD",
        INVALID_IKE_SPI = 4 => "INVALID_IKE_SPI",
        INVALID_MAJOR_VERSION = 5 => "INVALID_MAJOR_VERSION",
        INVALID_SYNTAX = 7 => "INVALID_SYNTAX",
        INVALID_MESSAGE_ID = 9 => "INVALID_MESSAGE_ID",
        INVALID_SPI = 11 => "INVALID_SPI",
        NO_PROPOSAL_CHOSEN = 14 => "NO_PROPOSAL_CHOSEN",
        INVALID_KE_PAYLOAD = 17 => "INVALID_KE_PAYLOAD",
        AUTHENTICATION_FAILED = 24 => "AUTHENTICATION_FAILED",
        SINGLE_PAIR_REQUIRED = 34 => "SINGLE_PAIR_REQUIRED",
        NO_ADDITIONAL_SAS = 35 => "NO_ADDITIONAL_SAS",
        INTERNAL_ADDRESS_FAILURE = 36 => "INTERNAL_ADDRESS_FAILURE",
        FAILED_CP_REQUIRED = 37 => "FAILED_CP_REQUIRED",
        TS_UNACCEPTABLE = 38 => "TS_UNACCEPTABLE",
        INVALID_SELECTORS = 39 => "INVALID_SELECTORS",
        /// RFC 4555.
        UNACCEPTABLE_ADDRESSES = 40 => "UNACCEPTABLE_ADDRESSES",
        /// RFC 4555.
        UNEXPECTED_NAT_DETECTED = 41 => "UNEXPECTED_NAT_DETECTED",
        /// RFC 5026.
        USE_ASSIGNED_HOA = 42 => "USE_ASSIGNED_HoA",
        TEMPORARY_FAILURE = 43 => "TEMPORARY_FAILURE",
        CHILD_SA_NOT_FOUND = 44 => "CHILD_SA_NOT_FOUND",
        /// G-IKEv2.
        INVALID_GROUP_ID = 45 => "INVALID_GROUP_ID",
        /// G-IKEv2.
        AUTHORIZATION_FAILED = 46 => "AUTHORIZATION_FAILED",
        /// RFC 9593 (optional SA/TS payloads in child exchanges).
        STATE_NOT_FOUND = 47 => "STATE_NOT_FOUND",
        /// RFC 9611 (per-resource Child SAs).
        TS_MAX_QUEUE = 48 => "TS_MAX_QUEUE",
        /// G-IKEv2.
        REGISTRATION_FAILED = 49 => "REGISTRATION_FAILED",
        INITIAL_CONTACT = 16384 => "INITIAL_CONTACT",
        SET_WINDOW_SIZE = 16385 => "SET_WINDOW_SIZE",
        ADDITIONAL_TS_POSSIBLE = 16386 => "ADDITIONAL_TS_POSSIBLE",
        IPCOMP_SUPPORTED = 16387 => "IPCOMP_SUPPORTED",
        NAT_DETECTION_SOURCE_IP = 16388 => "NAT_DETECTION_SOURCE_IP",
        NAT_DETECTION_DESTINATION_IP = 16389 => "NAT_DETECTION_DESTINATION_IP",
        COOKIE = 16390 => "COOKIE",
        USE_TRANSPORT_MODE = 16391 => "USE_TRANSPORT_MODE",
        HTTP_CERT_LOOKUP_SUPPORTED = 16392 => "HTTP_CERT_LOOKUP_SUPPORTED",
        REKEY_SA = 16393 => "REKEY_SA",
        ESP_TFC_PADDING_NOT_SUPPORTED = 16394 => "ESP_TFC_PADDING_NOT_SUPPORTED",
        NON_FIRST_FRAGMENTS_ALSO = 16395 => "NON_FIRST_FRAGMENTS_ALSO",
        /// RFC 4555.
        MOBIKE_SUPPORTED = 16396 => "MOBIKE_SUPPORTED",
        ADDITIONAL_IP4_ADDRESS = 16397 => "ADDITIONAL_IP4_ADDRESS",
        ADDITIONAL_IP6_ADDRESS = 16398 => "ADDITIONAL_IP6_ADDRESS",
        NO_ADDITIONAL_ADDRESSES = 16399 => "NO_ADDITIONAL_ADDRESSES",
        UPDATE_SA_ADDRESSES = 16400 => "UPDATE_SA_ADDRESSES",
        COOKIE2 = 16401 => "COOKIE2",
        NO_NATS_ALLOWED = 16402 => "NO_NATS_ALLOWED",
        /// RFC 4478.
        AUTH_LIFETIME = 16403 => "AUTH_LIFETIME",
        /// RFC 4739.
        MULTIPLE_AUTH_SUPPORTED = 16404 => "MULTIPLE_AUTH_SUPPORTED",
        ANOTHER_AUTH_FOLLOWS = 16405 => "ANOTHER_AUTH_FOLLOWS",
        /// RFC 5685.
        REDIRECT_SUPPORTED = 16406 => "REDIRECT_SUPPORTED",
        REDIRECT = 16407 => "REDIRECT",
        REDIRECTED_FROM = 16408 => "REDIRECTED_FROM",
        /// RFC 5723.
        TICKET_LT_OPAQUE = 16409 => "TICKET_LT_OPAQUE",
        TICKET_REQUEST = 16410 => "TICKET_REQUEST",
        TICKET_ACK = 16411 => "TICKET_ACK",
        TICKET_NACK = 16412 => "TICKET_NACK",
        TICKET_OPAQUE = 16413 => "TICKET_OPAQUE",
        /// RFC 5739.
        LINK_ID = 16414 => "LINK_ID",
        /// RFC 5840.
        USE_WESP_MODE = 16415 => "USE_WESP_MODE",
        /// RFC 5857.
        ROHC_SUPPORTED = 16416 => "ROHC_SUPPORTED",
        /// RFC 5998.
        EAP_ONLY_AUTHENTICATION = 16417 => "EAP_ONLY_AUTHENTICATION",
        /// RFC 6023.
        CHILDLESS_IKEV2_SUPPORTED = 16418 => "CHILDLESS_IKEV2_SUPPORTED",
        /// RFC 6290.
        QUICK_CRASH_DETECTION = 16419 => "QUICK_CRASH_DETECTION",
        /// RFC 6311.
        IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420 => "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",
        IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED = 16421 => "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
        IKEV2_MESSAGE_ID_SYNC = 16422 => "IKEV2_MESSAGE_ID_SYNC",
        IPSEC_REPLAY_COUNTER_SYNC = 16423 => "IPSEC_REPLAY_COUNTER_SYNC",
        /// RFC 6467.
        SECURE_PASSWORD_METHODS = 16424 => "SECURE_PASSWORD_METHODS",
        /// RFC 6631.
        PSK_PERSIST = 16425 => "PSK_PERSIST",
        PSK_CONFIRM = 16426 => "PSK_CONFIRM",
        /// RFC 6867.
        ERX_SUPPORTED = 16427 => "ERX_SUPPORTED",
        /// 3GPP TS 24.303.
        IFOM_CAPABILITY = 16428 => "IFOM_CAPABILITY",
        /// G-IKEv2 (registered earlier as SENDER_REQUEST_ID).
        GROUP_SENDER = 16429 => "GROUP_SENDER",
        /// RFC 7383.
        IKEV2_FRAGMENTATION_SUPPORTED = 16430 => "IKEV2_FRAGMENTATION_SUPPORTED",
        /// RFC 7427.
        SIGNATURE_HASH_ALGORITHMS = 16431 => "SIGNATURE_HASH_ALGORITHMS",
        /// RFC 7791.
        CLONE_IKE_SA_SUPPORTED = 16432 => "CLONE_IKE_SA_SUPPORTED",
        CLONE_IKE_SA = 16433 => "CLONE_IKE_SA",
        /// RFC 8019.
        PUZZLE = 16434 => "PUZZLE",
        /// RFC 8784.
        USE_PPK = 16435 => "USE_PPK",
        PPK_IDENTITY = 16436 => "PPK_IDENTITY",
        NO_PPK_AUTH = 16437 => "NO_PPK_AUTH",
        /// RFC 9242.
        INTERMEDIATE_EXCHANGE_SUPPORTED = 16438 => "INTERMEDIATE_EXCHANGE_SUPPORTED",
        /// RFC 8983.
        IP4_ALLOWED = 16439 => "IP4_ALLOWED",
        IP6_ALLOWED = 16440 => "IP6_ALLOWED",
        /// RFC 9370.
        ADDITIONAL_KEY_EXCHANGE = 16441 => "ADDITIONAL_KEY_EXCHANGE",
        /// RFC 9347.
        USE_AGGFRAG = 16442 => "USE_AGGFRAG",
        /// RFC 9593.
        SUPPORTED_AUTH_METHODS = 16443 => "SUPPORTED_AUTH_METHODS",
        /// RFC 9611.
        SA_RESOURCE_INFO = 16444 => "SA_RESOURCE_INFO",
        /// RFC 9867.
        USE_PPK_INT = 16445 => "USE_PPK_INT",
        /// RFC 9867.
        PPK_IDENTITY_KEY = 16446 => "PPK_IDENTITY_KEY",
    }
}

impl NotifyType {
    /// Error types are below 16384 (RFC 7296 §3.10.1); an unrecognised error type in a
    /// response means the request failed.
    pub fn is_error(self) -> bool {
        self.0 < 16384
    }

    /// Status types are 16384 and above.
    pub fn is_status(self) -> bool {
        !self.is_error()
    }

    /// Private-use ranges: errors 8192–16383, status types 40960–65535.
    pub fn is_private_use(self) -> bool {
        (8192..16384).contains(&self.0) || self.0 >= 40960
    }
}

codepoint! {
    /// IKEv2 Identification Payload ID Types (RFC 7296 §3.5).
    IdType(u8) {
        ID_IPV4_ADDR = 1 => "ID_IPV4_ADDR",
        ID_FQDN = 2 => "ID_FQDN",
        ID_RFC822_ADDR = 3 => "ID_RFC822_ADDR",
        ID_IPV6_ADDR = 5 => "ID_IPV6_ADDR",
        ID_DER_ASN1_DN = 9 => "ID_DER_ASN1_DN",
        ID_DER_ASN1_GN = 10 => "ID_DER_ASN1_GN",
        ID_KEY_ID = 11 => "ID_KEY_ID",
        /// RFC 4595.
        ID_FC_NAME = 12 => "ID_FC_NAME",
        /// RFC 7619.
        ID_NULL = 13 => "ID_NULL",
    }
}

codepoint! {
    /// IKEv2 Authentication Method (RFC 7296 §3.8, RFC 4754, RFC 6467, RFC 7619, RFC 7427).
    AuthMethod(u8) {
        RSA_SIG = 1 => "RSA Digital Signature",
        SHARED_KEY_MIC = 2 => "Shared Key Message Integrity Code",
        DSS_SIG = 3 => "DSS Digital Signature",
        /// RFC 4754.
        ECDSA_SHA256_P256 = 9 => "ECDSA with SHA-256 on the P-256 curve",
        /// RFC 4754.
        ECDSA_SHA384_P384 = 10 => "ECDSA with SHA-384 on the P-384 curve",
        /// RFC 4754.
        ECDSA_SHA512_P521 = 11 => "ECDSA with SHA-512 on the P-521 curve",
        /// RFC 6467.
        GENERIC_SECURE_PASSWORD = 12 => "Generic Secure Password Authentication Method",
        /// RFC 7619.
        NULL_AUTH = 13 => "NULL Authentication",
        /// RFC 7427.
        DIGITAL_SIGNATURE = 14 => "Digital Signature",
    }
}

codepoint! {
    /// IKEv2 Certificate Encodings (RFC 7296 §3.6, RFC 4806, RFC 7670).
    CertEncoding(u8) {
        PKCS7_X509 = 1 => "PKCS #7 wrapped X.509 certificate",
        PGP = 2 => "PGP Certificate",
        DNS_SIGNED_KEY = 3 => "DNS Signed Key",
        X509_SIGNATURE = 4 => "X.509 Certificate - Signature",
        KERBEROS_TOKEN = 6 => "Kerberos Token",
        CRL = 7 => "Certificate Revocation List (CRL)",
        ARL = 8 => "Authority Revocation List (ARL)",
        SPKI = 9 => "SPKI Certificate",
        X509_ATTRIBUTE = 10 => "X.509 Certificate - Attribute",
        /// Deprecated by RFC 7670.
        RAW_RSA_KEY = 11 => "Raw RSA Key (DEPRECATED)",
        HASH_URL_X509_CERT = 12 => "Hash and URL of X.509 certificate",
        HASH_URL_X509_BUNDLE = 13 => "Hash and URL of X.509 bundle",
        /// RFC 4806.
        OCSP_CONTENT = 14 => "OCSP Content",
        /// RFC 7670.
        RAW_PUBLIC_KEY = 15 => "Raw Public Key",
    }
}

codepoint! {
    /// IKEv2 Traffic Selector Types (RFC 7296 §3.13.1, RFC 4595, RFC 9478).
    TsType(u8) {
        TS_IPV4_ADDR_RANGE = 7 => "TS_IPV4_ADDR_RANGE",
        TS_IPV6_ADDR_RANGE = 8 => "TS_IPV6_ADDR_RANGE",
        /// RFC 4595.
        TS_FC_ADDR_RANGE = 9 => "TS_FC_ADDR_RANGE",
        /// RFC 9478.
        TS_SECLABEL = 10 => "TS_SECLABEL",
    }
}

codepoint! {
    /// IKEv2 Configuration Payload CFG Types (RFC 7296 §3.15).
    CfgType(u8) {
        CFG_REQUEST = 1 => "CFG_REQUEST",
        CFG_REPLY = 2 => "CFG_REPLY",
        CFG_SET = 3 => "CFG_SET",
        CFG_ACK = 4 => "CFG_ACK",
    }
}

codepoint! {
    /// IKEv2 Configuration Payload Attribute Types (RFC 7296 §3.15.1 and later). The value is
    /// the 15-bit type (the reserved top bit removed).
    CfgAttrType(u16) {
        INTERNAL_IP4_ADDRESS = 1 => "INTERNAL_IP4_ADDRESS",
        INTERNAL_IP4_NETMASK = 2 => "INTERNAL_IP4_NETMASK",
        INTERNAL_IP4_DNS = 3 => "INTERNAL_IP4_DNS",
        INTERNAL_IP4_NBNS = 4 => "INTERNAL_IP4_NBNS",
        INTERNAL_IP4_DHCP = 6 => "INTERNAL_IP4_DHCP",
        APPLICATION_VERSION = 7 => "APPLICATION_VERSION",
        INTERNAL_IP6_ADDRESS = 8 => "INTERNAL_IP6_ADDRESS",
        INTERNAL_IP6_DNS = 10 => "INTERNAL_IP6_DNS",
        INTERNAL_IP6_DHCP = 12 => "INTERNAL_IP6_DHCP",
        INTERNAL_IP4_SUBNET = 13 => "INTERNAL_IP4_SUBNET",
        SUPPORTED_ATTRIBUTES = 14 => "SUPPORTED_ATTRIBUTES",
        INTERNAL_IP6_SUBNET = 15 => "INTERNAL_IP6_SUBNET",
        /// RFC 5026.
        MIP6_HOME_PREFIX = 16 => "MIP6_HOME_PREFIX",
        /// RFC 5739.
        INTERNAL_IP6_LINK = 17 => "INTERNAL_IP6_LINK",
        /// RFC 5739.
        INTERNAL_IP6_PREFIX = 18 => "INTERNAL_IP6_PREFIX",
        /// 3GPP TS 24.302.
        HOME_AGENT_ADDRESS = 19 => "HOME_AGENT_ADDRESS",
        /// RFC 7651.
        P_CSCF_IP4_ADDRESS = 20 => "P_CSCF_IP4_ADDRESS",
        /// RFC 7651.
        P_CSCF_IP6_ADDRESS = 21 => "P_CSCF_IP6_ADDRESS",
        /// 3GPP TS 24.302.
        FTT_KAT = 22 => "FTT_KAT",
        /// 3GPP TS 29.139.
        EXTERNAL_SOURCE_IP4_NAT_INFO = 23 => "EXTERNAL_SOURCE_IP4_NAT_INFO",
        /// 3GPP TS 24.302.
        TIMEOUT_PERIOD_FOR_LIVENESS_CHECK = 24 => "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK",
        /// RFC 8598.
        INTERNAL_DNS_DOMAIN = 25 => "INTERNAL_DNS_DOMAIN",
        /// RFC 8598.
        INTERNAL_DNSSEC_TA = 26 => "INTERNAL_DNSSEC_TA",
        /// RFC 9464.
        ENCDNS_IP4 = 27 => "ENCDNS_IP4",
        /// RFC 9464.
        ENCDNS_IP6 = 28 => "ENCDNS_IP6",
        /// RFC 9464.
        ENCDNS_DIGEST_INFO = 29 => "ENCDNS_DIGEST_INFO",
    }
}

codepoint! {
    /// IKEv2 Hash Algorithms (RFC 7427 §7, RFC 8420, RFC 9385), as listed in the
    /// SIGNATURE_HASH_ALGORITHMS notification.
    HashAlgorithm(u16) {
        SHA1 = 1 => "SHA1",
        SHA2_256 = 2 => "SHA2-256",
        SHA2_384 = 3 => "SHA2-384",
        SHA2_512 = 4 => "SHA2-512",
        /// RFC 8420 (EdDSA: the message is signed as is).
        IDENTITY = 5 => "Identity",
        /// RFC 9385.
        STREEBOG_256 = 6 => "STREEBOG_256",
        /// RFC 9385.
        STREEBOG_512 = 7 => "STREEBOG_512",
    }
}

codepoint! {
    /// EAP Codes (RFC 3748 §4, RFC 6696 for Initiate/Finish).
    EapCode(u8) {
        REQUEST = 1 => "Request",
        RESPONSE = 2 => "Response",
        SUCCESS = 3 => "Success",
        FAILURE = 4 => "Failure",
        /// RFC 6696.
        INITIATE = 5 => "Initiate",
        /// RFC 6696.
        FINISH = 6 => "Finish",
    }
}

codepoint! {
    /// EAP Method Types (IANA "Extensible Authentication Protocol (EAP) Registry", Method Types).
    EapType(u8) {
        IDENTITY = 1 => "Identity",
        NOTIFICATION = 2 => "Notification",
        NAK = 3 => "Legacy Nak",
        MD5_CHALLENGE = 4 => "MD5-Challenge",
        OTP = 5 => "One-Time Password (OTP)",
        GTC = 6 => "Generic Token Card (GTC)",
        RSA_PUBLIC_KEY = 9 => "RSA Public Key Authentication",
        DSS_UNILATERAL = 10 => "DSS Unilateral",
        KEA = 11 => "KEA",
        KEA_VALIDATE = 12 => "KEA-VALIDATE",
        TLS = 13 => "EAP-TLS",
        DEFENDER_TOKEN = 14 => "Defender Token (AXENT)",
        RSA_SECURID = 15 => "RSA Security SecurID EAP",
        ARCOT = 16 => "Arcot Systems EAP",
        LEAP = 17 => "EAP-Cisco Wireless",
        SIM = 18 => "GSM Subscriber Identity Modules (EAP-SIM)",
        SRP_SHA1 = 19 => "SRP-SHA1",
        TTLS = 21 => "EAP-TTLS",
        RAS = 22 => "Remote Access Service",
        AKA = 23 => "EAP-AKA Authentication",
        THREECOM_WIRELESS = 24 => "EAP-3Com Wireless",
        PEAP = 25 => "PEAP",
        MS_EAP_AUTH = 26 => "MS-EAP-Authentication",
        MAKE = 27 => "Mutual Authentication w/Key Exchange (MAKE)",
        CRYPTOCARD = 28 => "CRYPTOCard",
        MSCHAPV2 = 29 => "EAP-MSCHAP-V2",
        DYNAMID = 30 => "DynamID",
        ROB = 31 => "Rob EAP",
        POTP = 32 => "Protected One-Time Password",
        MS_AUTH_TLV = 33 => "MS-Authentication-TLV",
        SENTRINET = 34 => "SentriNET",
        ACTIONTEC = 35 => "EAP-Actiontec Wireless",
        COGENT_BIOMETRIC = 36 => "Cogent Systems Biometrics Authentication EAP",
        AIRFORTRESS = 37 => "AirFortress EAP",
        HTTP_DIGEST = 38 => "EAP-HTTP Digest",
        SECURESUITE = 39 => "SecureSuite EAP",
        DEVICECONNECT = 40 => "DeviceConnect EAP",
        SPEKE = 41 => "EAP-SPEKE",
        MOBAC = 42 => "EAP-MOBAC",
        FAST = 43 => "EAP-FAST",
        ZLXEAP = 44 => "ZoneLabs EAP (ZLXEAP)",
        LINK = 45 => "EAP-Link",
        PAX = 46 => "EAP-PAX",
        PSK = 47 => "EAP-PSK",
        SAKE = 48 => "EAP-SAKE",
        IKEV2 = 49 => "EAP-IKEv2",
        AKA_PRIME = 50 => "EAP-AKA'",
        GPSK = 51 => "EAP-GPSK",
        PWD = 52 => "EAP-pwd",
        EKE = 53 => "EAP-EKE Version 1",
        PT_EAP = 54 => "EAP Method Type for PT-EAP",
        TEAP = 55 => "TEAP",
        NOOB = 56 => "EAP-NOOB",
        EXPANDED = 254 => "Reserved for the Expanded Type",
        EXPERIMENTAL = 255 => "Experimental",
    }
}

codepoint! {
    /// IKEv2 Gateway Identity Types of REDIRECT / REDIRECTED_FROM (RFC 5685 §9).
    GatewayIdType(u8) {
        IPV4 = 1 => "IPv4 address of the new VPN gateway",
        IPV6 = 2 => "IPv6 address of the new VPN gateway",
        FQDN = 3 => "FQDN of the new VPN gateway",
    }
}

/// How a known Vendor ID is recognised.
#[derive(Debug, Clone, Copy)]
enum VidPattern {
    /// The payload starts with these bytes (given as lowercase hex); the Vendor ID payload may
    /// carry more (a version, flags) after them — Wireshark's `bytesprefix_to_str` semantics.
    HexPrefix(&'static str),
    /// The payload starts with this ASCII text.
    TextPrefix(&'static [u8]),
}

/// Known Vendor IDs, in Wireshark's `vendor_id[]` order (epan/dissectors/packet-isakmp.c): the
/// first entry whose bytes are a prefix of the payload wins, so the more specific entry comes
/// first (draft-beaulieu-ike-xauth-02 before the 8-byte XAUTH prefix). Names are Wireshark's
/// strings, so output lines up with tshark's `isakmp.vid_string`.
const VENDOR_IDS: &[(VidPattern, &str)] = {
    use VidPattern::{HexPrefix as H, TextPrefix as T};
    &[
        (
            H("fbf47614984031fa8e3bb6198089b223"),
            "Ssh Communications Security IPSEC Express version 1.1.0",
        ),
        (
            H("1952dc91ac20f646fb01cf42a33aee30"),
            "Ssh Communications Security IPSEC Express version 1.1.1",
        ),
        (
            H("e8bffa643e5c8f2cd10fda7370b6ebe5"),
            "Ssh Communications Security IPSEC Express version 1.1.2",
        ),
        (
            H("c1111b2dee8cbc3d620573ec57aab9cb"),
            "Ssh Communications Security IPSEC Express version 1.2.1",
        ),
        (
            H("09ec27bfbc09c75823cfecbffe565a2e"),
            "Ssh Communications Security IPSEC Express version 1.2.2",
        ),
        (
            H("7f21a596e4e318f0b2f4944c2384cb84"),
            "SSH Communications Security IPSEC Express version 2.0.0",
        ),
        (
            H("2836d1fd2807bc9e5ae30786320451ec"),
            "SSH Communications Security IPSEC Express version 2.1.0",
        ),
        (
            H("a68de756a9c5229bae66498040951ad5"),
            "SSH Communications Security IPSEC Express version 2.1.1",
        ),
        (
            H("3f2372867e237c1cd8250a75559cae20"),
            "SSH Communications Security IPSEC Express version 2.1.2",
        ),
        (
            H("0e58d5774df602007d0b02443660f7eb"),
            "SSH Communications Security IPSEC Express version 3.0.0",
        ),
        (
            H("f5ce31ebc210f44350cf71265b57380f"),
            "SSH Communications Security IPSEC Express version 3.0.1",
        ),
        (
            H("f64260af2e2742daddd56987068a99a0"),
            "SSH Communications Security IPSEC Express version 4.0.0",
        ),
        (
            H("7a54d3bdb3b1e6d923892064be2d981c"),
            "SSH Communications Security IPSEC Express version 4.0.1",
        ),
        (
            H("9aa1f3b43472a45d5f506aeb260cf214"),
            "SSH Communications Security IPSEC Express version 4.1.0",
        ),
        (
            H("89f7b760d86b012acf263382394d962f"),
            "SSH Communications Security IPSEC Express version 4.1.1",
        ),
        (
            H("6880c7d026099114e486c55430e7abee"),
            "SSH Communications Security IPSEC Express version 4.2.0",
        ),
        (
            H("b037a21aceccb5570f602546f97bde8c"),
            "SSH Communications Security IPSEC Express version 5.0",
        ),
        (
            H("2b2dad97c4d140930053287f996850b0"),
            "SSH Communications Security IPSEC Express version 5.0.0",
        ),
        (
            H("45e17f3abe93944cb202910c59ef806b"),
            "SSH Communications Security IPSEC Express version 5.1.0",
        ),
        (
            H("5925859f7377ed7816d2fb81c01fa551"),
            "SSH Communications Security IPSEC Express version 5.1.1",
        ),
        (H("054182a07c7ae206f9d2cf9d2432c482"), "SSH Sentinel"),
        (H("b91623e693ca18a54c6a2778552305e8"), "SSH Sentinel 1.1"),
        (H("5430888de01a31a6fa8f60224e449958"), "SSH Sentinel 1.2"),
        (H("7ee5cb85f71ce259c94a5c731ee4e752"), "SSH Sentinel 1.3"),
        (H("63d9a1a7009491b5a0a6fdeb2a8284f0"), "SSH Sentinel 1.4"),
        (H("eb4b0d96276b4e220ad16221a7b2a5e6"), "SSH Sentinel 1.4.1"),
        (
            H("37eba0c4136184e7daf8562a77060b4a"),
            "SSH Communications Security QuickSec 0.9.0",
        ),
        (
            H("5d72925e55948a9661a7fc48fdec7ff9"),
            "SSH Communications Security QuickSec 1.1.0",
        ),
        (
            H("777fbf4c5af6d1cdd4b895a05bf82594"),
            "SSH Communications Security QuickSec 1.1.1",
        ),
        (
            H("2cdf08e712ede8a5978761267cd19b91"),
            "SSH Communications Security QuickSec 1.1.2",
        ),
        (
            H("59e454a8c2cf02a34959121f1890bc87"),
            "SSH Communications Security QuickSec 1.1.3",
        ),
        (
            H("6a7434c19d7e36348090a02334c9c805"),
            "draft-huttunen-ipsec-esp-in-udp-00.txt",
        ),
        (
            H("50760f624c63e5c53eea386c685ca083"),
            "draft-huttunen-ipsec-esp-in-udp-01.txt (ESPThruNAT)",
        ),
        (
            H("27bab5dc01ea0760ea4e3190ac27c0d0"),
            "draft-stenberg-ipsec-nat-traversal-01",
        ),
        (
            H("6105c422e76847e43f9684801292aecd"),
            "draft-stenberg-ipsec-nat-traversal-02",
        ),
        (
            H("4df37928e9fc4fd1b3262170d515c662"),
            "draft-ietf-ipsec-nat-t-ike",
        ),
        (
            H("4485152d18b6bbcd0be8a8469579ddcc"),
            "draft-ietf-ipsec-nat-t-ike-00",
        ),
        (
            H("16f6ca16e4a4066d83821a0f0aeaa862"),
            "draft-ietf-ipsec-nat-t-ike-01",
        ),
        (
            H("cd60464335df21f87cfdb2fc68b6a448"),
            "draft-ietf-ipsec-nat-t-ike-02",
        ),
        (
            H("90cb80913ebb696e086381b5ec427b1f"),
            "draft-ietf-ipsec-nat-t-ike-02\\n",
        ),
        (
            H("7d9419a65310ca6f2c179d9215529d56"),
            "draft-ietf-ipsec-nat-t-ike-03",
        ),
        (
            H("9909b64eed937c6573de52ace952fa6b"),
            "draft-ietf-ipsec-nat-t-ike-04",
        ),
        (
            H("80d0bb3def54565ee84645d4c85ce3ee"),
            "draft-ietf-ipsec-nat-t-ike-05",
        ),
        (
            H("4d1e0e136deafa34c4f3ea9f02ec7285"),
            "draft-ietf-ipsec-nat-t-ike-06",
        ),
        (
            H("439b59f8ba676c4c7737ae22eab8f582"),
            "draft-ietf-ipsec-nat-t-ike-07",
        ),
        (
            H("8f8d83826d246b6fc7a8a6a428c11de8"),
            "draft-ietf-ipsec-nat-t-ike-08",
        ),
        (
            H("42ea5b6f898d9773a575df26e7dd19e1"),
            "draft-ietf-ipsec-nat-t-ike-09",
        ),
        (H("c40fee00d5d39ddb1fc762e09b7cfea7"), "Testing NAT-T RFC"),
        (
            H("4a131c81070358455c5728f20e95452f"),
            "RFC 3947 Negotiation of NAT-Traversal in the IKE",
        ),
        (
            H("09002689dfd6b71280a224dec33b81e5"),
            "draft-beaulieu-ike-xauth-02.txt",
        ),
        (H("09002689dfd6b712"), "XAUTH"),
        (
            H("afcad71368a1f1c96b8696fc77570100"),
            "RFC 3706 DPD (Dead Peer Detection)",
        ),
        (H("325df29a2319f2dd"), "draft-ietf-ipsec-antireplay-00.txt"),
        (H("8db7a41811221660"), "draft-ietf-ipsec-heartbeats-00.txt"),
        (
            H("ba290499c24e84e53a1d83a05e5f00c9"),
            "IKE Challenge/Response for Authenticated Cryptographic Keys",
        ),
        (
            H("0d33611a5d521b5e3c9c03d2fc107e12"),
            "IKE Challenge/Response for Authenticated Cryptographic Keys",
        ),
        (
            H("ad3251042cdc4652c9e0734ce5de4c7d"),
            "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)",
        ),
        (
            H("013f11823f966fa91900f024ba66a86b"),
            "IKE Challenge/Response for Authenticated Cryptographic Keys (Revised)",
        ),
        (H("4048b7d56ebce88525e7de7f00d6c2d3"), "Cisco Fragmentation"),
        (T(b"FLEXVPN-SUPPORTED"), "Cisco FlexVPN Supported"),
        (T(b"CISCO-DELETE-REASON"), "Cisco Delete Reason Supported"),
        (T(b"CISCO-DYNAMIC-ROUTE"), "Cisco Dynamic Route Supported"),
        (T(b"CISCOVPN-REV-02"), "Cisco VPN Revision 2"),
        (
            T(b"CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc."),
            "Cisco Copyright",
        ),
        (T(b"CISCO-GRE-MODE"), "Cisco GRE Mode Supported"),
        (
            H("26244d38eddb61b3172a36e3d0cfb819"),
            "Microsoft Vid-Initial-Contact",
        ),
        (
            H("b46d8914f3aaa3f2fedeb7c7db2943ca"),
            "A GSS-API Authentication Method for IKE",
        ),
        (
            H("ad2c0dd0b9c32083ccba25b8861ec455"),
            "A GSS-API Authentication Method for IKE",
        ),
        (H("621b04bb09882ac1e15935fefa24aeee"), "GSSAPI"),
        (H("1e2b516905991c7d7c96fcbfb587e461"), "MS NT5 ISAKMPOAKLEY"),
        (H("12f5f28c457168a9702d9fe274cc"), "CISCO-UNITY"),
        (H("1f07f70eaa6514d3b0fa96542a500100"), "CISCO-CONCENTRATOR"),
        (
            H("f4ed19e0c114eb516faaac0ee37daf2807b4381f"),
            "CryptoPro/GOST 0.1 / Check Point R65",
        ),
        (
            H("031017e07f7a82e3aa6950c999990100"),
            "CryptoPro/GOST 1.0 / Check Point R71",
        ),
        (H("031017e07f7a82e3aa6950c999990101"), "CryptoPro/GOST 1.1"),
        (H("9aa1f3b43472a45d5f506aeb26c0f214"), "CyberGuard"),
        (H("f14b94b7bff1fef02773b8c49feded26"), "Shrew Soft"),
        (H("882fe56d6fd20dbc2251613b2ebe5beb"), "strongSwan"),
        (H("7003cbc1097dbe9c2600ba6983bc8b35"), "KAME/racoon"),
        (H("20a3622c1cea7ce37bee3ca484425276"), "IPSec-Tools"),
        (H("299ee8289f40a8973bc78687e2e7226b532c3b76"), "Netscreen-1"),
        (H("3a15e1f3cf2a63582e3ac82d1c64cbe3b6d779e7"), "Netscreen-2"),
        (H("47d2b126bfcd83489760e2cf8c5d4d5a03497c15"), "Netscreen-3"),
        (H("4a4340b543e02b84c88a8b96a8af9ebe77d9accc"), "Netscreen-4"),
        (H("64405f46f03b7660a23be116a1975058e69e8387"), "Netscreen-5"),
        (H("699369228741c6d4ca094c93e242c9de19e7b7c6"), "Netscreen-6"),
        (H("8c0dc6cf62a0ef1b5c6eabd1b67ba69866adf16a"), "Netscreen-7"),
        (H("92d27a9ecb31d99246986d3453d0c3d57a222a61"), "Netscreen-8"),
        (H("9b096d9ac3275a7d6fe8b91c583111b09efed1a0"), "Netscreen-9"),
        (
            H("bf03746108d746c904f1f3547de24f78479fed12"),
            "Netscreen-10",
        ),
        (
            H("c2e80500f4cc5fbf5daaeed3bb59abaeee56c652"),
            "Netscreen-11",
        ),
        (
            H("c8660a62b03b1b6130bf781608d32a6a8d0fb89f"),
            "Netscreen-12",
        ),
        (
            H("f885da40b1e7a9abd17655ec5bbec0f21f0ed52e"),
            "Netscreen-13",
        ),
        (
            H("2a2bcac19b8e91b426107807e02e7249569d6fd3"),
            "Netscreen-14",
        ),
        (
            H("166f932d55eb64d8e4df4fd37e2313f0d0fd8451"),
            "Netscreen-15",
        ),
        (
            H("a35bfd05ca1ac0b3d2f24e9e82bfcbff9c9e52b5"),
            "Netscreen-16",
        ),
        (H("625027749d5ab97f5616c1602765cf480a3b7d0b"), "ZYWALL"),
        (H("8404adf9cda05760b2ca292e4bff537b"), "SIDEWINDER"),
        (H("404bf439522ca3f6"), "SonicWALL"),
        (T(b"HeartBeat_Notify"), "Heartbeat Notify"),
        (
            H("2d7922c6b301d9b0e1342739e9cfbbd5"),
            "DWR: Delete with reason",
        ),
        (
            H("ca3e2b854ba8030017dc1023a4fde2041f9f7463"),
            "Remote AP (Aruba Networks)",
        ),
        (
            H("3c8e70bdf9c7d74add53e4100915dc2e4bb51274"),
            "Controller (Aruba Networks)",
        ),
        (
            H("88f0e3149b3fa48b05aa7f685f0b766be186ccb8"),
            "VIA Client (Aruba Networks)",
        ),
        (
            T(b"VIA Auth Profile : "),
            "VIA Auth Profile (Aruba Networks)",
        ),
        (H("e3a5966a76379fe707228231e5ce8652"), "IKE CGA Version 1"),
        (
            H("fb1de3cdf341b7ea16b7e5be0855f120"),
            "MS-Negotiation Discovery Capable",
        ),
        (H("8299031757a36082c6a621de"), "Fortigate (Fortinet)"),
        (
            H("4c53427b6d465d1b337bb755a37a7fef"),
            "Forticlient connect license (Fortinet)",
        ),
        (
            H("b4f01ca951e9da8d0bafbbd34ad3044e"),
            "Endpoint Control (Fortinet)",
        ),
        // Not in Wireshark's table; sent by libreswan in IKEv2 with NULL authentication
        // (programs/pluto, "VID_OPPORTUNISTIC").
        (T(b"Opportunistic IPsec"), "Opportunistic IPsec (libreswan)"),
    ]
};

/// Names a well-known Vendor ID payload body (`bytes` is the payload data after the 4-byte
/// generic header), or `None`.
///
/// Matching follows Wireshark: a table entry matches when its bytes are a *prefix* of the
/// payload, first entry wins. This covers the documented variable tails: Cisco Unity
/// (`12f5f28c457168a9702d9fe274cc` + major/minor), MS NT5 ISAKMPOAKLEY (+ 4-byte version),
/// Cisco/Microsoft fragmentation (`4048b7d5…c2d3` + optional `80000000`/`c0000000` flags),
/// Check Point (20-byte prefix + product/version/timestamp/features), Fortigate (12-byte prefix +
/// release/build). In addition, Openswan/libreswan's own Vendor ID — 12 printable characters
/// starting with `OE` (e.g. `OEkRbGXRvmPE`) — is recognised by its shape.
///
/// Most entries are IKEv1-era; IKEv2 peers commonly send strongSwan, MS NT5 ISAKMPOAKLEY v7–v9,
/// MS-Negotiation Discovery Capable, Vid-Initial-Contact, IKE CGA, Cisco Delete Reason, FlexVPN,
/// Cisco Copyright and the fragmentation Vendor ID.
pub fn vendor_id(bytes: &[u8]) -> Option<&'static str> {
    let first = usize::from(*bytes.first()?);
    let head = head8(bytes);
    if let Some(&(_, name, ..)) = vendor_table().get(first).and_then(|bucket| {
        bucket
            .iter()
            .find(|(prefix, _, want, mask)| head & mask == *want && bytes.starts_with(prefix))
    }) {
        return Some(name);
    }
    if bytes.len() == 12
        && bytes.starts_with(b"OE")
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/' || *b == b'_')
    {
        return Some("Openswan/libreswan");
    }
    None
}

/// [`VENDOR_IDS`] with every pattern as bytes, grouped by first byte (256 buckets, each in
/// table order, so the first match in a bucket is the first match in the table), built once
/// (the table is kept as hex text to read like Wireshark's, from which it is transcribed). A
/// pattern that is not valid hex never matches and is left out.
/// Each entry also holds the pattern's first (up to) 8 bytes as a big-endian number and the
/// mask covering them, so most non-matching patterns are rejected by one comparison.
type VendorBucket = Vec<(Vec<u8>, &'static str, u64, u64)>;

/// The first 8 bytes of `b` as a big-endian number, zero-padded when shorter.
fn head8(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    let n = b.len().min(8);
    a[..n].copy_from_slice(&b[..n]);
    u64::from_be_bytes(a)
}

fn vendor_table() -> &'static [VendorBucket] {
    static TABLE: std::sync::OnceLock<Vec<VendorBucket>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut buckets: Vec<VendorBucket> = vec![Vec::new(); 256];
        for &(pattern, name) in VENDOR_IDS {
            let bytes = match pattern {
                VidPattern::HexPrefix(hex) => hex_bytes(hex),
                VidPattern::TextPrefix(text) => Some(text.to_vec()),
            };
            let Some(bytes) = bytes else { continue };
            if let Some(bucket) = bytes.first().and_then(|&b| buckets.get_mut(usize::from(b))) {
                // 1 to 8 bytes of the pattern are covered (it is not empty: it has a first byte).
                let n = bytes.len().min(8);
                let mask = u64::MAX << (8 * (8 - n));
                let head = head8(&bytes);
                bucket.push((bytes, name, head, mask));
            }
        }
        buckets
    })
}

/// The bytes spelled by `hex` (lowercase, even length), or `None` if it is not that.
fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    let digits = hex.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair.first())? << 4 | nibble(pair.get(1))?))
        .collect()
}

fn nibble(c: Option<&u8>) -> Option<u8> {
    match c {
        Some(c @ b'0'..=b'9') => Some(c - b'0'),
        Some(c @ b'a'..=b'f') => Some(c - b'a' + 10),
        _ => None,
    }
}

/// The Windows release behind an `MS NT5 ISAKMPOAKLEY` Vendor ID's 4-byte version, as
/// Wireshark's `ms_nt5_isakmpoakley_type` table names it (2–5); strongSwan knows v7–v9 (sent by
/// Windows 7 and later) without naming releases. `None` when `bytes` is not that Vendor ID or
/// carries no version.
pub fn ms_nt5_isakmpoakley_version(bytes: &[u8]) -> Option<u32> {
    const MS_NT5: [u8; 16] = [
        0x1e, 0x2b, 0x51, 0x69, 0x05, 0x99, 0x1c, 0x7d, 0x7c, 0x96, 0xfc, 0xbf, 0xb5, 0x87, 0xe4,
        0x61,
    ];
    let prefix_ok = bytes.starts_with(&MS_NT5);
    match (prefix_ok, bytes.get(16..20)) {
        (true, Some(&[a, b, c, d])) => Some(u32::from_be_bytes([a, b, c, d])),
        _ => None,
    }
}

/// A minimal JSON writer for tests (this crate has no serde_json dependency): scalars, options,
/// strings, sequences and structs — what the registry and audit types serialise to.
#[cfg(test)]
pub(crate) mod testjson {
    use serde::ser::{self, Serialize};
    use std::fmt::Write as _;

    #[derive(Debug)]
    pub(crate) struct Unsupported(String);
    impl std::fmt::Display for Unsupported {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }
    impl std::error::Error for Unsupported {}
    impl ser::Error for Unsupported {
        fn custom<T: std::fmt::Display>(msg: T) -> Self {
            Unsupported(msg.to_string())
        }
    }

    /// `value` as compact JSON.
    pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
        let mut out = String::new();
        match value.serialize(Json { out: &mut out }) {
            Ok(()) => out,
            Err(e) => format!("<unsupported: {e}>"),
        }
    }

    pub(crate) struct Json<'a> {
        out: &'a mut String,
    }

    fn quote(out: &mut String, s: &str) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }

    macro_rules! num {
        ($($f:ident: $t:ty),*) => {$(
            fn $f(self, v: $t) -> Result<(), Unsupported> {
                let _ = write!(self.out, "{v}");
                Ok(())
            }
        )*};
    }

    impl<'a> ser::Serializer for Json<'a> {
        type Ok = ();
        type Error = Unsupported;
        type SerializeSeq = Compound<'a>;
        type SerializeTuple = ser::Impossible<(), Unsupported>;
        type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
        type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
        type SerializeMap = ser::Impossible<(), Unsupported>;
        type SerializeStruct = Compound<'a>;
        type SerializeStructVariant = ser::Impossible<(), Unsupported>;

        num!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
             serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
             serialize_f32: f32, serialize_f64: f64);

        fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
            self.out.push_str(if v { "true" } else { "false" });
            Ok(())
        }
        fn serialize_char(self, v: char) -> Result<(), Unsupported> {
            quote(self.out, &v.to_string());
            Ok(())
        }
        fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
            quote(self.out, v);
            Ok(())
        }
        fn serialize_bytes(self, _: &[u8]) -> Result<(), Unsupported> {
            Err(ser::Error::custom("bytes"))
        }
        fn serialize_none(self) -> Result<(), Unsupported> {
            self.out.push_str("null");
            Ok(())
        }
        fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Unsupported> {
            v.serialize(self)
        }
        fn serialize_unit(self) -> Result<(), Unsupported> {
            self.out.push_str("null");
            Ok(())
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
            self.serialize_unit()
        }
        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            v: &'static str,
        ) -> Result<(), Unsupported> {
            self.serialize_str(v)
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            v: &T,
        ) -> Result<(), Unsupported> {
            v.serialize(self)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<(), Unsupported> {
            Err(ser::Error::custom("newtype variant"))
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Unsupported> {
            self.out.push('[');
            Ok(Compound {
                out: self.out,
                first: true,
                close: ']',
            })
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
            Err(ser::Error::custom("tuple"))
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, Unsupported> {
            Err(ser::Error::custom("tuple struct"))
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Unsupported> {
            Err(ser::Error::custom("tuple variant"))
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
            Err(ser::Error::custom("map"))
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Unsupported> {
            self.out.push('{');
            Ok(Compound {
                out: self.out,
                first: true,
                close: '}',
            })
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Unsupported> {
            Err(ser::Error::custom("struct variant"))
        }
    }

    pub(crate) struct Compound<'a> {
        out: &'a mut String,
        first: bool,
        close: char,
    }

    impl Compound<'_> {
        fn sep(&mut self) {
            if !self.first {
                self.out.push(',');
            }
            self.first = false;
        }
    }

    impl ser::SerializeSeq for Compound<'_> {
        type Ok = ();
        type Error = Unsupported;
        fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Unsupported> {
            self.sep();
            v.serialize(Json { out: self.out })
        }
        fn end(self) -> Result<(), Unsupported> {
            self.out.push(self.close);
            Ok(())
        }
    }

    impl ser::SerializeStruct for Compound<'_> {
        type Ok = ();
        type Error = Unsupported;
        fn serialize_field<T: Serialize + ?Sized>(
            &mut self,
            key: &'static str,
            v: &T,
        ) -> Result<(), Unsupported> {
            self.sep();
            quote(self.out, key);
            self.out.push(':');
            v.serialize(Json { out: self.out })
        }
        fn end(self) -> Result<(), Unsupported> {
            self.out.push(self.close);
            Ok(())
        }
    }
}

/// An exchange type kept as its printed name (`IKE_SA_INIT`, or the number when unassigned),
/// serialised as the code point `{"id": 34, "name": "IKE_SA_INIT"}`, as a message header's
/// exchange is: the same thing in the same shape in every record (`serialize_with`). The
/// registry is looked up by name (a few dozen comparisons, on the JSON path only); a name that
/// is neither gives `{"id": null, "name": …}`.
pub fn exchange_name_as_code_point<N: AsRef<str>, S: serde::Serializer>(
    name: &N,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    let name = name.as_ref();
    let t = name.parse::<u8>().ok().map(ExchangeType).or_else(|| {
        (0..=u8::MAX)
            .map(ExchangeType)
            .find(|t| t.name() == Some(name))
    });
    match t {
        Some(t) => code_point(t.0, t.name(), s),
        None => code_point(None::<u8>, Some(name), s),
    }
}

/// A key exchange group kept as its printed name (`"2048-bit MODP Group (14)"`, the number
/// last in parentheses, or the bare number), serialised as the code point
/// `{"id": 14, "name": "2048-bit MODP Group"}` as the KE groups of `decode` and `probe` are
/// (`serialize_with` on an `Option`). Written by hand: the number is the text after the last
/// `(`, a format this crate's `Transform::write_name` fixes.
pub fn ke_name_as_code_point<N: AsRef<str>, S: serde::Serializer>(
    name: &Option<N>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    let Some(name) = name.as_ref().map(AsRef::as_ref) else {
        return s.serialize_none();
    };
    let digits = match name.rsplit_once('(') {
        Some((_, tail)) => tail.trim_end_matches(')'),
        None => name,
    };
    match digits.parse::<u16>() {
        Ok(id) => code_point(id, KeId(id).name(), s),
        Err(_) => code_point(None::<u16>, Some(name), s),
    }
}

/// A code point that has no registry type here, in the shape of those that do:
/// `{"id": 1, "name": null}`.
pub(crate) fn code_point<S: serde::Serializer, N: serde::Serialize>(
    id: N,
    name: Option<&str>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("CodePoint", 2)?;
    st.serialize_field("id", &id)?;
    st.serialize_field("name", &name)?;
    st.end()
}

#[cfg(test)]
mod tests {
    use super::testjson::to_json;
    use super::*;

    /// An exchange kept as its printed name serialises as the header's code point.
    #[test]
    fn exchange_names_serialise_as_code_points() {
        #[derive(serde::Serialize)]
        struct W(#[serde(serialize_with = "exchange_name_as_code_point")] String);
        for (name, want) in [
            ("IKE_AUTH", r#"{"id":35,"name":"IKE_AUTH"}"#),
            ("IKE_SA_INIT", r#"{"id":34,"name":"IKE_SA_INIT"}"#),
            ("33", r#"{"id":33,"name":null}"#),
        ] {
            assert_eq!(
                serde_json::to_string(&W(name.into())).unwrap(),
                want,
                "{name}"
            );
            assert_eq!(ExchangeType(34).to_string(), "IKE_SA_INIT");
        }
        #[derive(serde::Serialize)]
        struct K(#[serde(serialize_with = "ke_name_as_code_point")] Option<String>);
        for (name, want) in [
            (
                Some("2048-bit MODP Group (14)"),
                r#"{"id":14,"name":"2048-bit MODP Group"}"#,
            ),
            (Some("1234"), r#"{"id":1234,"name":null}"#),
            (None, "null"),
        ] {
            assert_eq!(
                serde_json::to_string(&K(name.map(str::to_string))).unwrap(),
                want,
                "{name:?}"
            );
        }
        assert_eq!(
            crate::wire::payload::Transform::name_of(TransformType::KE, 14, None),
            "2048-bit MODP Group (14)"
        );
    }

    /// (value, IANA name) samples per registry, checked both ways: `name()` and `Display`.
    fn check<T: Copy + std::fmt::Display, F: Fn(T) -> Option<&'static str>>(
        name: F,
        rows: &[(T, &str)],
    ) {
        for &(v, expect) in rows {
            assert_eq!(name(v), Some(expect));
            assert_eq!(v.to_string(), expect);
        }
    }

    #[test]
    fn exchange_types() {
        check(
            ExchangeType::name,
            &[
                (ExchangeType(34), "IKE_SA_INIT"),
                (ExchangeType(37), "INFORMATIONAL"),
                (ExchangeType(38), "IKE_SESSION_RESUME"),
                (ExchangeType(39), "GSA_AUTH"),
                (ExchangeType(42), "GSA_INBAND_REKEY"),
                (ExchangeType(43), "IKE_INTERMEDIATE"),
                (ExchangeType(44), "IKE_FOLLOWUP_KE"),
            ],
        );
        assert_eq!(ExchangeType(33).name(), None);
        assert_eq!(ExchangeType(45).to_string(), "45");
        assert_eq!(ExchangeType::IKE_FOLLOWUP_KE, ExchangeType(44));
    }

    #[test]
    fn payload_types_and_notation() {
        check(
            PayloadType::name,
            &[
                (PayloadType(0), "No Next Payload"),
                (PayloadType(33), "Security Association"),
                (PayloadType(40), "Nonce"),
                (PayloadType(46), "Encrypted and Authenticated"),
                (PayloadType(49), "Generic Secure Password Method"),
                (PayloadType(53), "Encrypted and Authenticated Fragment"),
                (PayloadType(54), "Puzzle Solution"),
            ],
        );
        let shorts: Vec<_> = (33..=54)
            .map(|v| PayloadType(v).short().unwrap_or("?"))
            .collect();
        assert_eq!(
            shorts.join(" "),
            "SA KE IDi IDr CERT CERTREQ AUTH Nonce N D V TSi TSr SK CP EAP GSPM IDg GSA KD SKF PS"
        );
        assert_eq!(PayloadType::NONE.short(), None);
        assert_eq!(PayloadType(55).short(), None);
        assert_eq!(PayloadType(55).to_string(), "55");
        assert!(PayloadType(132).is_private_use() && !PayloadType(54).is_private_use());
    }

    #[test]
    fn transform_types() {
        check(
            TransformType::name,
            &[
                (TransformType(1), "Encryption Algorithm (ENCR)"),
                (TransformType(4), "Key Exchange Method (KE)"),
                (TransformType(5), "Sequence Numbers (SN)"),
                (TransformType(6), "Additional Key Exchange 1 (ADDKE1)"),
                (TransformType(12), "Additional Key Exchange 7 (ADDKE7)"),
                (
                    TransformType(14),
                    "Group Controller Authentication Method (GCAUTH)",
                ),
            ],
        );
        assert_eq!(TransformType(9).short(), Some("ADDKE4"));
        assert_eq!(TransformType::SN, TransformType::ESN);
        assert!(TransformType(4).is_key_exchange() && TransformType(12).is_key_exchange());
        assert!(!TransformType(5).is_key_exchange() && !TransformType(13).is_key_exchange());
        assert_eq!(TransformType(15).to_string(), "15");
    }

    #[test]
    fn transform_ids() {
        check(
            EncrId::name,
            &[
                (EncrId(3), "ENCR_3DES"),
                (EncrId(12), "ENCR_AES_CBC"),
                (EncrId(14), "ENCR_AES_CCM_8"),
                (EncrId(20), "ENCR_AES_GCM_16"),
                (EncrId(21), "ENCR_NULL_AUTH_AES_GMAC"),
                (EncrId(28), "ENCR_CHACHA20_POLY1305"),
                (EncrId(35), "ENCR_MAGMA_MGM_MAC_KTREE"),
            ],
        );
        assert_eq!(EncrId(10).name(), None, "10 is reserved");
        assert_eq!(EncrId(17).name(), None, "17 is unassigned");
        assert_eq!(
            EncrId(22).name(),
            None,
            "22 is reserved for IEEE P1619 XTS-AES"
        );
        assert!(EncrId::AES_GCM_16.is_aead() && !EncrId::AES_CBC.is_aead());
        check(
            PrfId::name,
            &[
                (PrfId(1), "PRF_HMAC_MD5"),
                (PrfId(4), "PRF_AES128_XCBC"),
                (PrfId(8), "PRF_AES128_CMAC"),
                (PrfId(9), "PRF_HMAC_STREEBOG_512"),
            ],
        );
        check(
            IntegId::name,
            &[
                (IntegId(0), "NONE"),
                (IntegId(2), "AUTH_HMAC_SHA1_96"),
                (IntegId(9), "AUTH_AES_128_GMAC"),
                (IntegId(12), "AUTH_HMAC_SHA2_256_128"),
                (IntegId(14), "AUTH_HMAC_SHA2_512_256"),
            ],
        );
        assert_eq!(IntegId(15).to_string(), "15");
        check(
            KeId::name,
            &[
                (KeId(1), "768-bit MODP Group"),
                (KeId(14), "2048-bit MODP Group"),
                (KeId(19), "256-bit random ECP group"),
                (
                    KeId(24),
                    "2048-bit MODP Group with 256-bit Prime Order Subgroup",
                ),
                (KeId(28), "brainpoolP256r1"),
                (KeId(31), "Curve25519"),
                (KeId(32), "Curve448"),
                (KeId(33), "GOST3410_2012_256"),
                (KeId(36), "ml-kem-768"),
            ],
        );
        assert_eq!(KeId(3).name(), None);
        assert!(KeId::ML_KEM_1024.is_post_quantum() && !KeId::CURVE25519.is_post_quantum());
        check(
            SeqNumId::name,
            &[
                (SeqNumId(0), "32-bit Sequential Numbers"),
                (
                    SeqNumId(1),
                    "Partially Transmitted 64-bit Sequential Numbers",
                ),
            ],
        );
        check(
            TransformAttrType::name,
            &[(TransformAttrType(14), "Key Length (in bits)")],
        );
        assert_eq!(
            TransformAttrType(1).name(),
            None,
            "IKEv1 attribute types are reserved"
        );
    }

    #[test]
    fn notify_types() {
        check(
            NotifyType::name,
            &[
                (NotifyType(1), "UNSUPPORTED_CRITICAL_PAYLOAD"),
                (NotifyType(14), "NO_PROPOSAL_CHOSEN"),
                (NotifyType(17), "INVALID_KE_PAYLOAD"),
                (NotifyType(24), "AUTHENTICATION_FAILED"),
                (NotifyType(42), "USE_ASSIGNED_HoA"),
                (NotifyType(44), "CHILD_SA_NOT_FOUND"),
                (NotifyType(16384), "INITIAL_CONTACT"),
                (NotifyType(16388), "NAT_DETECTION_SOURCE_IP"),
                (NotifyType(16390), "COOKIE"),
                (NotifyType(16407), "REDIRECT"),
                (NotifyType(16430), "IKEV2_FRAGMENTATION_SUPPORTED"),
                (NotifyType(16431), "SIGNATURE_HASH_ALGORITHMS"),
                (NotifyType(16435), "USE_PPK"),
                (NotifyType(16436), "PPK_IDENTITY"),
                (NotifyType(16437), "NO_PPK_AUTH"),
                (NotifyType(16438), "INTERMEDIATE_EXCHANGE_SUPPORTED"),
                (NotifyType(16439), "IP4_ALLOWED"),
                (NotifyType(16440), "IP6_ALLOWED"),
                (NotifyType(16441), "ADDITIONAL_KEY_EXCHANGE"),
                (NotifyType(16442), "USE_AGGFRAG"),
                (NotifyType(16443), "SUPPORTED_AUTH_METHODS"),
                (NotifyType(16444), "SA_RESOURCE_INFO"),
                (NotifyType(16445), "USE_PPK_INT"),
                (NotifyType(16446), "PPK_IDENTITY_KEY"),
            ],
        );
        assert!(NotifyType::NO_PROPOSAL_CHOSEN.is_error());
        assert!(NotifyType(16383).is_error() && !NotifyType(16384).is_error());
        assert!(NotifyType::COOKIE.is_status());
        assert!(NotifyType(8192).is_private_use() && NotifyType(40960).is_private_use());
        assert!(!NotifyType(16384).is_private_use());
        // 3GPP uses private-use values; they are not IANA names.
        assert_eq!(NotifyType(41101).to_string(), "41101");
    }

    #[test]
    fn identification_auth_cert_ts_cp() {
        check(
            IdType::name,
            &[
                (IdType(1), "ID_IPV4_ADDR"),
                (IdType(2), "ID_FQDN"),
                (IdType(3), "ID_RFC822_ADDR"),
                (IdType(5), "ID_IPV6_ADDR"),
                (IdType(9), "ID_DER_ASN1_DN"),
                (IdType(11), "ID_KEY_ID"),
                (IdType(12), "ID_FC_NAME"),
                (IdType(13), "ID_NULL"),
            ],
        );
        assert_eq!(IdType(4).name(), None);
        check(
            AuthMethod::name,
            &[
                (AuthMethod(1), "RSA Digital Signature"),
                (AuthMethod(2), "Shared Key Message Integrity Code"),
                (AuthMethod(9), "ECDSA with SHA-256 on the P-256 curve"),
                (AuthMethod(13), "NULL Authentication"),
                (AuthMethod(14), "Digital Signature"),
            ],
        );
        assert_eq!(AuthMethod(4).to_string(), "4");
        check(
            CertEncoding::name,
            &[
                (CertEncoding(1), "PKCS #7 wrapped X.509 certificate"),
                (CertEncoding(4), "X.509 Certificate - Signature"),
                (CertEncoding(7), "Certificate Revocation List (CRL)"),
                (CertEncoding(12), "Hash and URL of X.509 certificate"),
                (CertEncoding(14), "OCSP Content"),
                (CertEncoding(15), "Raw Public Key"),
            ],
        );
        assert_eq!(CertEncoding(5).name(), None);
        check(
            TsType::name,
            &[
                (TsType(7), "TS_IPV4_ADDR_RANGE"),
                (TsType(8), "TS_IPV6_ADDR_RANGE"),
                (TsType(9), "TS_FC_ADDR_RANGE"),
                (TsType(10), "TS_SECLABEL"),
            ],
        );
        check(
            CfgType::name,
            &[(CfgType(1), "CFG_REQUEST"), (CfgType(4), "CFG_ACK")],
        );
        check(
            CfgAttrType::name,
            &[
                (CfgAttrType(1), "INTERNAL_IP4_ADDRESS"),
                (CfgAttrType(3), "INTERNAL_IP4_DNS"),
                (CfgAttrType(10), "INTERNAL_IP6_DNS"),
                (CfgAttrType(14), "SUPPORTED_ATTRIBUTES"),
                (CfgAttrType(20), "P_CSCF_IP4_ADDRESS"),
                (CfgAttrType(25), "INTERNAL_DNS_DOMAIN"),
                (CfgAttrType(26), "INTERNAL_DNSSEC_TA"),
                (CfgAttrType(29), "ENCDNS_DIGEST_INFO"),
            ],
        );
        assert_eq!(
            CfgAttrType(5).name(),
            None,
            "INTERNAL_ADDRESS_EXPIRY is reserved in IKEv2"
        );
        assert_eq!(
            CfgAttrType(28675).to_string(),
            "28675",
            "Cisco Unity private use"
        );
        check(
            ProtocolId::name,
            &[
                (ProtocolId(1), "IKE"),
                (ProtocolId(3), "ESP"),
                (ProtocolId(6), "GIKE_UPDATE"),
            ],
        );
        check(
            HashAlgorithm::name,
            &[
                (HashAlgorithm(1), "SHA1"),
                (HashAlgorithm(2), "SHA2-256"),
                (HashAlgorithm(4), "SHA2-512"),
                (HashAlgorithm(5), "Identity"),
                (HashAlgorithm(7), "STREEBOG_512"),
            ],
        );
        check(
            GatewayIdType::name,
            &[(GatewayIdType(3), "FQDN of the new VPN gateway")],
        );
    }

    #[test]
    fn eap() {
        check(
            EapCode::name,
            &[
                (EapCode(1), "Request"),
                (EapCode(3), "Success"),
                (EapCode(6), "Finish"),
            ],
        );
        check(
            EapType::name,
            &[
                (EapType(1), "Identity"),
                (EapType(2), "Notification"),
                (EapType(3), "Legacy Nak"),
                (EapType(4), "MD5-Challenge"),
                (EapType(5), "One-Time Password (OTP)"),
                (EapType(6), "Generic Token Card (GTC)"),
                (EapType(13), "EAP-TLS"),
                (EapType(18), "GSM Subscriber Identity Modules (EAP-SIM)"),
                (EapType(21), "EAP-TTLS"),
                (EapType(23), "EAP-AKA Authentication"),
                (EapType(25), "PEAP"),
                (EapType(29), "EAP-MSCHAP-V2"),
                (EapType(43), "EAP-FAST"),
                (EapType(50), "EAP-AKA'"),
                (EapType(52), "EAP-pwd"),
                (EapType(55), "TEAP"),
                (EapType(254), "Reserved for the Expanded Type"),
            ],
        );
        assert_eq!(EapType(20).to_string(), "20");
    }

    #[test]
    fn json_form() {
        assert_eq!(
            to_json(&EncrId::AES_CBC),
            r#"{"id":12,"name":"ENCR_AES_CBC"}"#
        );
        assert_eq!(
            to_json(&NotifyType(16446)),
            r#"{"id":16446,"name":"PPK_IDENTITY_KEY"}"#
        );
        assert_eq!(to_json(&PayloadType(200)), r#"{"id":200,"name":null}"#);
        assert_eq!(to_json(&KeId(0)), r#"{"id":0,"name":"NONE"}"#);
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .filter_map(|i| s.get(2 * i..2 * i + 2))
            .filter_map(|p| u8::from_str_radix(p, 16).ok())
            .collect()
    }

    #[test]
    fn vendor_ids_exact() {
        // Values seen in this project's corpus (tshark's isakmp.vid_string agrees).
        for (hex, name) in [
            ("882fe56d6fd20dbc2251613b2ebe5beb", "strongSwan"),
            (
                "afcad71368a1f1c96b8696fc77570100",
                "RFC 3706 DPD (Dead Peer Detection)",
            ),
            (
                "4a131c81070358455c5728f20e95452f",
                "RFC 3947 Negotiation of NAT-Traversal in the IKE",
            ),
            (
                "7d9419a65310ca6f2c179d9215529d56",
                "draft-ietf-ipsec-nat-t-ike-03",
            ),
            (
                "90cb80913ebb696e086381b5ec427b1f",
                "draft-ietf-ipsec-nat-t-ike-02\\n",
            ),
            ("09002689dfd6b712", "XAUTH"),
            ("4048b7d56ebce88525e7de7f00d6c2d3", "Cisco Fragmentation"),
            (
                "fb1de3cdf341b7ea16b7e5be0855f120",
                "MS-Negotiation Discovery Capable",
            ),
            (
                "26244d38eddb61b3172a36e3d0cfb819",
                "Microsoft Vid-Initial-Contact",
            ),
            ("e3a5966a76379fe707228231e5ce8652", "IKE CGA Version 1"),
            ("699369228741c6d4ca094c93e242c9de19e7b7c6", "Netscreen-6"),
            ("625027749d5ab97f5616c1602765cf480a3b7d0b", "ZYWALL"),
            ("7003cbc1097dbe9c2600ba6983bc8b35", "KAME/racoon"),
            ("20a3622c1cea7ce37bee3ca484425276", "IPSec-Tools"),
            (
                "4c53427b6d465d1b337bb755a37a7fef",
                "Forticlient connect license (Fortinet)",
            ),
        ] {
            assert_eq!(vendor_id(&unhex(hex)), Some(name), "{hex}");
        }
    }

    #[test]
    fn vendor_ids_prefixes_and_text() {
        // Cisco Unity: 14-byte prefix + major 1, minor 0.
        assert_eq!(
            vendor_id(&unhex("12f5f28c457168a9702d9fe274cc0100")),
            Some("CISCO-UNITY")
        );
        // Fragmentation VID with the Cisco flags tail.
        assert_eq!(
            vendor_id(&unhex("4048b7d56ebce88525e7de7f00d6c2d3c0000000")),
            Some("Cisco Fragmentation")
        );
        // MS NT5 ISAKMPOAKLEY v9 (Windows 8.1 and later), as strongSwan lists it.
        let ms = unhex("1e2b516905991c7d7c96fcbfb587e46100000009");
        assert_eq!(vendor_id(&ms), Some("MS NT5 ISAKMPOAKLEY"));
        assert_eq!(ms_nt5_isakmpoakley_version(&ms), Some(9));
        assert_eq!(ms_nt5_isakmpoakley_version(&ms[..16]), None);
        assert_eq!(
            ms_nt5_isakmpoakley_version(&unhex("882fe56d6fd20dbc2251613b2ebe5beb00000009")),
            None
        );
        // beaulieu's 16 bytes win over the 8-byte XAUTH prefix they start with.
        assert_eq!(
            vendor_id(&unhex("09002689dfd6b71280a224dec33b81e5")),
            Some("draft-beaulieu-ike-xauth-02.txt")
        );
        // Fortigate: 12-byte prefix + release/build.
        assert_eq!(
            vendor_id(&unhex("8299031757a36082c6a621de000502ef")),
            Some("Fortigate (Fortinet)")
        );
        // Check Point: 20-byte prefix + product, version, timestamp, reserved, features.
        let cp = unhex("f4ed19e0c114eb516faaac0ee37daf2807b4381f00000001000138630000000000000000");
        assert_eq!(vendor_id(&cp), Some("CryptoPro/GOST 0.1 / Check Point R65"));
        // Plain-text Cisco VIDs (IKEv2).
        assert_eq!(
            vendor_id(b"CISCO-DELETE-REASON"),
            Some("Cisco Delete Reason Supported")
        );
        assert_eq!(
            vendor_id(b"FLEXVPN-SUPPORTED"),
            Some("Cisco FlexVPN Supported")
        );
        assert_eq!(
            vendor_id(b"CISCO(COPYRIGHT)&Copyright (c) 2009 Cisco Systems, Inc."),
            Some("Cisco Copyright")
        );
        // Openswan/libreswan "OE" Vendor ID (from wireshark-wiki/test1.pcap).
        assert_eq!(
            vendor_id(&unhex("4f456b5262475852766d5045")),
            Some("Openswan/libreswan")
        );
        assert_eq!(
            vendor_id(b"OEkRbGXRvmP"),
            None,
            "11 characters: not the OE shape"
        );
        assert_eq!(
            vendor_id(b"OEkRbGXRvmP\x01"),
            None,
            "non-printable: not the OE shape"
        );
    }

    #[test]
    fn vendor_ids_unknown_and_short() {
        assert_eq!(vendor_id(&[]), None);
        // A truncated strongSwan hash is not strongSwan.
        assert_eq!(vendor_id(&unhex("882fe56d6fd20dbc2251613b2ebe5b")), None);
        assert_eq!(vendor_id(&unhex("eb4c1b788afd4a9cb7730a68d56c5321")), None);
        assert_eq!(vendor_id(b"CISCO-DELETE-REAS"), None);
        // Every table entry is well-formed hex (odd length or bad digits would never match).
        for (pattern, name) in VENDOR_IDS {
            if let VidPattern::HexPrefix(h) = pattern {
                assert!(h.len() % 2 == 0 && h.len() >= 16, "{name}");
                assert!(
                    h.bytes()
                        .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
                    "{name}"
                );
                // No entry is shadowed by an earlier, shorter prefix with another name.
                assert_eq!(vendor_id(&unhex(h)), Some(*name), "{name}");
            }
        }
    }
}
