//! IANA registries of IKEv2 ("Internet Key Exchange Version 2 (IKEv2) Parameters"), one newtype
//! per registry. Unknown values stay representable: `Display` prints the IANA name, or the
//! number when the value is unassigned; JSON carries the number and the name.

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
    /// IKEv2 Exchange Types (RFC 7296 §3.1).
    ExchangeType(u8) {
        IKE_SA_INIT = 34 => "IKE_SA_INIT",
        IKE_AUTH = 35 => "IKE_AUTH",
        CREATE_CHILD_SA = 36 => "CREATE_CHILD_SA",
        INFORMATIONAL = 37 => "INFORMATIONAL",
    }
}

codepoint! {
    /// IKEv2 Payload Types (RFC 7296 §3.2, RFC 7383, RFC 8019).
    PayloadType(u8) {
        NONE = 0 => "No Next Payload",
        SA = 33 => "SA",
    }
}

codepoint! {
    /// Transform Types (RFC 7296 §3.3.2, RFC 9370 for 6–12).
    TransformType(u8) {
        ENCR = 1 => "ENCR",
        PRF = 2 => "PRF",
        INTEG = 3 => "INTEG",
        KE = 4 => "KE",
        ESN = 5 => "ESN",
    }
}

codepoint! {
    /// Transform Type 1 — Encryption Algorithm Transform IDs.
    EncrId(u16) {
        AES_CBC = 12 => "ENCR_AES_CBC",
    }
}

codepoint! {
    /// Transform Type 2 — Pseudorandom Function Transform IDs.
    PrfId(u16) {
        HMAC_SHA2_256 = 5 => "PRF_HMAC_SHA2_256",
    }
}

codepoint! {
    /// Transform Type 3 — Integrity Algorithm Transform IDs.
    IntegId(u16) {
        NONE = 0 => "NONE",
    }
}

codepoint! {
    /// Transform Types 4 and 6–12 — Key Exchange Method Transform IDs (formerly DH groups).
    KeId(u16) {
        NONE = 0 => "NONE",
        MODP_2048 = 14 => "2048-bit MODP Group",
    }
}

codepoint! {
    /// Transform Type 5 — Sequence Numbers (formerly Extended Sequence Numbers) Transform IDs.
    SeqNumId(u16) {
        NO_ESN = 0 => "No Extended Sequence Numbers",
        ESN = 1 => "Extended Sequence Numbers",
    }
}

codepoint! {
    /// Transform Attribute Types (RFC 7296 §3.3.5).
    TransformAttrType(u16) {
        KEY_LENGTH = 14 => "Key Length",
    }
}

codepoint! {
    /// Security Protocol Identifiers (RFC 7296 §3.3.1).
    ProtocolId(u8) {
        IKE = 1 => "IKE",
        AH = 2 => "AH",
        ESP = 3 => "ESP",
    }
}

codepoint! {
    /// IKEv2 Notify Message Types — error (1–16383) and status (16384–65535) types.
    NotifyType(u16) {
        NO_PROPOSAL_CHOSEN = 14 => "NO_PROPOSAL_CHOSEN",
    }
}

codepoint! {
    /// IKEv2 Identification Payload ID Types (RFC 7296 §3.5).
    IdType(u8) {
        ID_IPV4_ADDR = 1 => "ID_IPV4_ADDR",
    }
}

codepoint! {
    /// IKEv2 Authentication Methods (RFC 7296 §3.8, RFC 7427 etc.).
    AuthMethod(u8) {
        SHARED_KEY_MIC = 2 => "Shared Key Message Integrity Code",
    }
}

codepoint! {
    /// IKEv2 Certificate Encodings (RFC 7296 §3.6).
    CertEncoding(u8) {
        X509_SIGNATURE = 4 => "X.509 Certificate - Signature",
    }
}

codepoint! {
    /// IKEv2 Traffic Selector Types (RFC 7296 §3.13.1, RFC 9478).
    TsType(u8) {
        TS_IPV4_ADDR_RANGE = 7 => "TS_IPV4_ADDR_RANGE",
        TS_IPV6_ADDR_RANGE = 8 => "TS_IPV6_ADDR_RANGE",
    }
}

codepoint! {
    /// IKEv2 Configuration Payload CFG Types (RFC 7296 §3.15).
    CfgType(u8) {
        CFG_REQUEST = 1 => "CFG_REQUEST",
    }
}

codepoint! {
    /// IKEv2 Configuration Payload Attribute Types (RFC 7296 §3.15.1 and later).
    CfgAttrType(u16) {
        INTERNAL_IP4_ADDRESS = 1 => "INTERNAL_IP4_ADDRESS",
    }
}

codepoint! {
    /// IKEv2 Hash Algorithms (RFC 7427 §7, for SIGNATURE_HASH_ALGORITHMS).
    HashAlgorithm(u16) {
        SHA2_256 = 2 => "SHA2-256",
    }
}

codepoint! {
    /// EAP Codes (RFC 3748 §4).
    EapCode(u8) {
        REQUEST = 1 => "Request",
    }
}

codepoint! {
    /// EAP Method Types (RFC 3748 §5 and the IANA EAP registry).
    EapType(u8) {
        IDENTITY = 1 => "Identity",
    }
}

codepoint! {
    /// Gateway Identity Types of REDIRECT (RFC 5685 §9).
    GatewayIdType(u8) {
        IPV4 = 1 => "IPv4 address",
        IPV6 = 2 => "IPv6 address",
        FQDN = 3 => "FQDN",
    }
}
