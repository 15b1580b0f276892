//! IKE SA keys for decrypting Encrypted (SK) and Encrypted Fragment (SKF) payloads, read from
//! Wireshark's `ikev2_decryption_table` (the "IKEv2 Decryption Table" UAT of packet-isakmp.c,
//! in the file format that Wireshark writes and tshark reads).
//!
//! One line per IKE SA, eight comma-separated fields:
//!
//! ```text
//! SPIi,SPIr,SK_ei,SK_er,"Encryption algorithm",SK_ai,SK_ar,"Integrity algorithm"
//! 4385413886274e9f,2d09281710795d69,8f90…2f,2cd0…4b,"AES-GCM-256 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"
//! ```
//!
//! SPIs are 8 octets and the keys are in hex; the algorithm names are Wireshark's exact
//! strings. For the counter and combined modes, SK_e carries the key followed by the salt
//! (RFC 5930 §3, RFC 5282 §7.1, RFC 7634 §2): 4 octets for AES-CTR, AES-GCM and
//! ChaCha20-Poly1305, 3 octets for AES-CCM. Lines that are empty or start with `#` are skipped.

use std::fmt;

/// AES key sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum AesBits {
    /// AES-128.
    B128,
    /// AES-192.
    B192,
    /// AES-256.
    B256,
}

impl AesBits {
    /// The key size in bits.
    pub fn bits(self) -> u16 {
        match self {
            AesBits::B128 => 128,
            AesBits::B192 => 192,
            AesBits::B256 => 256,
        }
    }

    /// The key size in octets.
    pub fn octets(self) -> usize {
        usize::from(self.bits() / 8)
    }

    /// The size for a Key Length attribute of `bits` (128, 192 or 256).
    pub fn from_bits(bits: u16) -> Option<Self> {
        match bits {
            128 => Some(AesBits::B128),
            192 => Some(AesBits::B192),
            256 => Some(AesBits::B256),
            _ => None,
        }
    }
}

/// The Integrity Check Value length of a combined-mode cipher (RFC 5282 §8: 8, 12 or 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum IcvLen {
    /// 8 octets (ENCR_AES_GCM_8 = 18, ENCR_AES_CCM_8 = 14).
    Octets8,
    /// 12 octets (ENCR_AES_GCM_12 = 19, ENCR_AES_CCM_12 = 15).
    Octets12,
    /// 16 octets (ENCR_AES_GCM_16 = 20, ENCR_AES_CCM_16 = 16).
    Octets16,
}

impl IcvLen {
    /// The length in octets.
    pub fn octets(self) -> usize {
        match self {
            IcvLen::Octets8 => 8,
            IcvLen::Octets12 => 12,
            IcvLen::Octets16 => 16,
        }
    }

    /// The ICV length of `n` octets (8, 12 or 16).
    pub fn from_octets(n: usize) -> Option<Self> {
        match n {
            8 => Some(IcvLen::Octets8),
            12 => Some(IcvLen::Octets12),
            16 => Some(IcvLen::Octets16),
            _ => None,
        }
    }
}

/// The encryption algorithm of an IKE SA, as Wireshark's table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Encr {
    /// `NULL [RFC2410]`: no encryption (the payload still carries Padding and Pad Length).
    Null,
    /// `3DES [RFC2451]`: 3DES-EDE in CBC mode, 24-octet key, 8-octet IV.
    TripleDesCbc,
    /// `AES-CBC-128 [RFC3602]` …: AES-CBC, 16-octet IV.
    AesCbc(AesBits),
    /// `AES-CTR-128 [RFC5930]` …: AES-CTR, SK_e = key ‖ 4-octet nonce, 8-octet IV.
    AesCtr(AesBits),
    /// `AES-GCM-128 with 16 octet ICV [RFC5282]` …: SK_e = key ‖ 4-octet salt, 8-octet IV.
    AesGcm {
        /// AES key size.
        key: AesBits,
        /// Tag length.
        icv: IcvLen,
    },
    /// `AES-CCM-128 with 16 octet ICV [RFC5282]` …: SK_e = key ‖ 3-octet salt, 8-octet IV.
    AesCcm {
        /// AES key size.
        key: AesBits,
        /// Tag length.
        icv: IcvLen,
    },
    /// `ChaCha20-Poly1305 [RFC7634]`: SK_e = 32-octet key ‖ 4-octet salt, 8-octet IV, 16-octet
    /// tag. (Not in tshark 4.0's table; the name follows its pattern.)
    ChaCha20Poly1305,
}

impl Encr {
    /// Every algorithm, in Wireshark's table order (ChaCha20-Poly1305 last).
    pub const ALL: [Encr; 27] = {
        use AesBits::*;
        use IcvLen::*;
        [
            Encr::TripleDesCbc,
            Encr::AesCbc(B128),
            Encr::AesCbc(B192),
            Encr::AesCbc(B256),
            Encr::Null,
            Encr::AesCtr(B128),
            Encr::AesCtr(B192),
            Encr::AesCtr(B256),
            Encr::AesGcm {
                key: B128,
                icv: Octets16,
            },
            Encr::AesGcm {
                key: B192,
                icv: Octets16,
            },
            Encr::AesGcm {
                key: B256,
                icv: Octets16,
            },
            Encr::AesGcm {
                key: B128,
                icv: Octets8,
            },
            Encr::AesGcm {
                key: B192,
                icv: Octets8,
            },
            Encr::AesGcm {
                key: B256,
                icv: Octets8,
            },
            Encr::AesGcm {
                key: B128,
                icv: Octets12,
            },
            Encr::AesGcm {
                key: B192,
                icv: Octets12,
            },
            Encr::AesGcm {
                key: B256,
                icv: Octets12,
            },
            Encr::AesCcm {
                key: B128,
                icv: Octets16,
            },
            Encr::AesCcm {
                key: B192,
                icv: Octets16,
            },
            Encr::AesCcm {
                key: B256,
                icv: Octets16,
            },
            Encr::AesCcm {
                key: B128,
                icv: Octets8,
            },
            Encr::AesCcm {
                key: B192,
                icv: Octets8,
            },
            Encr::AesCcm {
                key: B256,
                icv: Octets8,
            },
            Encr::AesCcm {
                key: B128,
                icv: Octets12,
            },
            Encr::AesCcm {
                key: B192,
                icv: Octets12,
            },
            Encr::AesCcm {
                key: B256,
                icv: Octets12,
            },
            Encr::ChaCha20Poly1305,
        ]
    };

    /// Wireshark's name, e.g. `AES-GCM-256 with 16 octet ICV [RFC5282]`.
    pub fn name(self) -> String {
        match self {
            Encr::Null => "NULL [RFC2410]".into(),
            Encr::TripleDesCbc => "3DES [RFC2451]".into(),
            Encr::AesCbc(k) => format!("AES-CBC-{} [RFC3602]", k.bits()),
            Encr::AesCtr(k) => format!("AES-CTR-{} [RFC5930]", k.bits()),
            Encr::AesGcm { key, icv } => format!(
                "AES-GCM-{} with {} octet ICV [RFC5282]",
                key.bits(),
                icv.octets()
            ),
            Encr::AesCcm { key, icv } => format!(
                "AES-CCM-{} with {} octet ICV [RFC5282]",
                key.bits(),
                icv.octets()
            ),
            Encr::ChaCha20Poly1305 => "ChaCha20-Poly1305 [RFC7634]".into(),
        }
    }

    /// The algorithm named `name`: Wireshark's string, compared ignoring ASCII case (so the
    /// `CHACHA20-POLY1305 [RFC7634]` spelling is accepted too); surrounding blanks ignored.
    pub fn from_name(name: &str) -> Option<Encr> {
        let name = name.trim();
        Encr::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(name))
    }

    /// Length of SK_e: the cipher key plus the salt/nonce.
    pub fn sk_len(self) -> usize {
        self.cipher_key_len() + self.salt_len()
    }

    /// Length of the cipher key proper.
    pub fn cipher_key_len(self) -> usize {
        match self {
            Encr::Null => 0,
            Encr::TripleDesCbc => 24,
            Encr::AesCbc(k) | Encr::AesCtr(k) => k.octets(),
            Encr::AesGcm { key, .. } | Encr::AesCcm { key, .. } => key.octets(),
            Encr::ChaCha20Poly1305 => 32,
        }
    }

    /// Length of the salt (RFC 5282, RFC 7634) or nonce (RFC 5930) at the end of SK_e.
    pub fn salt_len(self) -> usize {
        match self {
            Encr::Null | Encr::TripleDesCbc | Encr::AesCbc(_) => 0,
            Encr::AesCtr(_) | Encr::AesGcm { .. } | Encr::ChaCha20Poly1305 => 4,
            Encr::AesCcm { .. } => 3,
        }
    }

    /// Length of the Initialization Vector field of the Encrypted payload.
    pub fn iv_len(self) -> usize {
        match self {
            Encr::Null => 0,
            Encr::TripleDesCbc => 8,
            Encr::AesCbc(_) => 16,
            Encr::AesCtr(_)
            | Encr::AesGcm { .. }
            | Encr::AesCcm { .. }
            | Encr::ChaCha20Poly1305 => 8,
        }
    }

    /// The ciphertext must be a multiple of this (1 for the stream-like modes).
    pub fn block_len(self) -> usize {
        match self {
            Encr::TripleDesCbc => 8,
            Encr::AesCbc(_) => 16,
            _ => 1,
        }
    }

    /// True for combined-mode (AEAD) ciphers, whose tag is the ICV.
    pub fn is_aead(self) -> bool {
        self.aead_icv_len().is_some()
    }

    /// The tag length of a combined-mode cipher.
    pub fn aead_icv_len(self) -> Option<usize> {
        match self {
            Encr::AesGcm { icv, .. } | Encr::AesCcm { icv, .. } => Some(icv.octets()),
            Encr::ChaCha20Poly1305 => Some(16),
            _ => None,
        }
    }
}

impl fmt::Display for Encr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The integrity algorithm of an IKE SA, as Wireshark's table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Integ {
    /// `NONE [RFC4306]` (with a combined-mode cipher).
    None,
    /// `HMAC_MD5_96 [RFC2403]`.
    HmacMd5_96,
    /// `HMAC_SHA1_96 [RFC2404]`.
    HmacSha1_96,
    /// `HMAC_MD5_128 [RFC4595]`.
    HmacMd5_128,
    /// `HMAC_SHA1_160 [RFC4595]`.
    HmacSha1_160,
    /// `HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]` (pre-RFC 4868 truncation).
    HmacSha2_256_96,
    /// `HMAC_SHA2_256_128 [RFC4868]`.
    HmacSha2_256_128,
    /// `HMAC_SHA2_384_192 [RFC4868]`.
    HmacSha2_384_192,
    /// `HMAC_SHA2_512_256 [RFC4868]`.
    HmacSha2_512_256,
    /// `ANY 96-bits of Authentication [No Checking]` and the like: an ICV of this many octets
    /// (8, 12, 16, 20, 24 or 32) that is skipped, not checked; SK_a is empty.
    Unchecked(u8),
}

impl Integ {
    /// Every algorithm, in Wireshark's table order.
    pub const ALL: [Integ; 15] = [
        Integ::HmacMd5_96,
        Integ::HmacSha1_96,
        Integ::HmacMd5_128,
        Integ::HmacSha1_160,
        Integ::HmacSha2_256_96,
        Integ::HmacSha2_256_128,
        Integ::HmacSha2_384_192,
        Integ::HmacSha2_512_256,
        Integ::None,
        Integ::Unchecked(8),
        Integ::Unchecked(12),
        Integ::Unchecked(16),
        Integ::Unchecked(20),
        Integ::Unchecked(24),
        Integ::Unchecked(32),
    ];

    /// Wireshark's name, e.g. `HMAC_SHA2_256_128 [RFC4868]`.
    pub fn name(self) -> String {
        match self {
            Integ::None => "NONE [RFC4306]".into(),
            Integ::HmacMd5_96 => "HMAC_MD5_96 [RFC2403]".into(),
            Integ::HmacSha1_96 => "HMAC_SHA1_96 [RFC2404]".into(),
            Integ::HmacMd5_128 => "HMAC_MD5_128 [RFC4595]".into(),
            Integ::HmacSha1_160 => "HMAC_SHA1_160 [RFC4595]".into(),
            Integ::HmacSha2_256_96 => "HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]".into(),
            Integ::HmacSha2_256_128 => "HMAC_SHA2_256_128 [RFC4868]".into(),
            Integ::HmacSha2_384_192 => "HMAC_SHA2_384_192 [RFC4868]".into(),
            Integ::HmacSha2_512_256 => "HMAC_SHA2_512_256 [RFC4868]".into(),
            Integ::Unchecked(n) => format!(
                "ANY {}-bits of Authentication [No Checking]",
                u16::from(n) * 8
            ),
        }
    }

    /// The algorithm named `name`: Wireshark's string, compared ignoring ASCII case;
    /// surrounding blanks ignored.
    pub fn from_name(name: &str) -> Option<Integ> {
        let name = name.trim();
        Integ::ALL
            .into_iter()
            .find(|i| i.name().eq_ignore_ascii_case(name))
    }

    /// Length of the Integrity Checksum Data field (the truncated HMAC).
    pub fn icv_len(self) -> usize {
        match self {
            Integ::None => 0,
            Integ::HmacMd5_96 | Integ::HmacSha1_96 | Integ::HmacSha2_256_96 => 12,
            Integ::HmacMd5_128 | Integ::HmacSha2_256_128 => 16,
            Integ::HmacSha1_160 => 20,
            Integ::HmacSha2_384_192 => 24,
            Integ::HmacSha2_512_256 => 32,
            Integ::Unchecked(n) => usize::from(n),
        }
    }

    /// Length of SK_a (the hash output length, RFC 7296 §2.14; RFC 4868 §2.1.1).
    pub fn key_len(self) -> usize {
        match self {
            Integ::None | Integ::Unchecked(_) => 0,
            Integ::HmacMd5_96 | Integ::HmacMd5_128 => 16,
            Integ::HmacSha1_96 | Integ::HmacSha1_160 => 20,
            Integ::HmacSha2_256_96 | Integ::HmacSha2_256_128 => 32,
            Integ::HmacSha2_384_192 => 48,
            Integ::HmacSha2_512_256 => 64,
        }
    }
}

impl fmt::Display for Integ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The keys of one IKE SA (one line of the table). Keys are secrets: `Debug` prints them, as
/// an analysis tool must be able to; don't log it where that matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaKeys {
    /// IKE SA Initiator's SPI.
    pub spi_i: u64,
    /// IKE SA Responder's SPI.
    pub spi_r: u64,
    /// SK_ei (with the salt for CTR/GCM/CCM/ChaCha20-Poly1305).
    pub sk_ei: Vec<u8>,
    /// SK_er (ditto).
    pub sk_er: Vec<u8>,
    /// Encryption algorithm.
    pub encr: Encr,
    /// SK_ai (empty for NONE).
    pub sk_ai: Vec<u8>,
    /// SK_ar (empty for NONE).
    pub sk_ar: Vec<u8>,
    /// Integrity algorithm.
    pub integ: Integ,
}

impl SaKeys {
    /// Checks the key lengths against the algorithms, as Wireshark does when the table is
    /// loaded; the error names the field (`SK_ei`, `SK_ai`, `Integrity algorithm`) and what
    /// was expected.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let enc = self.encr.sk_len();
        for (field, key) in [("SK_ei", &self.sk_ei), ("SK_er", &self.sk_er)] {
            if key.len() != enc {
                return Err((
                    field,
                    format!(
                        "{} octet(s), but {} needs {enc}{}",
                        key.len(),
                        self.encr,
                        if self.encr.salt_len() > 0 {
                            format!(" (key and {}-octet salt)", self.encr.salt_len())
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
        }
        if self.encr.is_aead() && self.integ != Integ::None {
            return Err((
                "Integrity algorithm",
                format!(
                    "{} carries its own ICV: the integrity algorithm must be {}",
                    self.encr,
                    Integ::None
                ),
            ));
        }
        let auth = self.integ.key_len();
        for (field, key) in [("SK_ai", &self.sk_ai), ("SK_ar", &self.sk_ar)] {
            if key.len() != auth {
                return Err((
                    field,
                    format!("{} octet(s), but {} needs {auth}", key.len(), self.integ),
                ));
            }
        }
        Ok(())
    }
}

/// The entry for the IKE SA (`spi_i`, `spi_r`), if the table has one.
pub fn find(table: &[SaKeys], spi_i: u64, spi_r: u64) -> Option<&SaKeys> {
    table.iter().find(|k| k.spi_i == spi_i && k.spi_r == spi_r)
}

const FIELDS: [&str; 8] = [
    "SPIi",
    "SPIr",
    "SK_ei",
    "SK_er",
    "Encryption algorithm",
    "SK_ai",
    "SK_ar",
    "Integrity algorithm",
];

/// One field of a line: its text (unquoted and unescaped) and its 1-based column.
pub(crate) struct Field {
    pub(crate) text: String,
    pub(crate) column: usize,
}

/// Why an `ikev2_decryption_table` file is not usable: where (line, column, field) and why.
/// Displayed as `line 3, column 42 (SK_ei): …`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}{}: {reason}", .field.map(|f| format!(" ({f})")).unwrap_or_default())]
pub struct KeyTableError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The field, when the error is about one (`SK_ei`, `Encryption algorithm`…).
    pub field: Option<&'static str>,
    /// What is wrong.
    pub reason: String,
}

/// Reads a whole `ikev2_decryption_table` file.
pub fn parse_table(text: &str) -> Result<Vec<SaKeys>, KeyTableError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        out.push(
            parse_line(line).map_err(|(column, field, reason)| KeyTableError {
                line: i + 1,
                column,
                field,
                reason,
            })?,
        );
    }
    Ok(out)
}

pub(crate) type LineError = (usize, Option<&'static str>, String);

pub(crate) fn parse_line(line: &str) -> Result<SaKeys, LineError> {
    let fields = split_fields(line)?;
    if fields.len() != FIELDS.len() {
        let col = fields.last().map_or(1, |f| f.column);
        return Err((
            col,
            None,
            format!(
                "{} field(s), expected {} ({})",
                fields.len(),
                FIELDS.len(),
                FIELDS.join(", ")
            ),
        ));
    }
    let f = |i: usize| -> &Field { &fields[i] };
    let spi = |i: usize| -> Result<u64, LineError> {
        let b = hex_field(f(i), FIELDS[i])?;
        let a: [u8; 8] = b.as_slice().try_into().map_err(|_| {
            (
                f(i).column,
                Some(FIELDS[i]),
                format!("{} octet(s), an SPI has 8", b.len()),
            )
        })?;
        Ok(u64::from_be_bytes(a))
    };
    let spi_i = spi(0)?;
    let spi_r = spi(1)?;
    let sk_ei = hex_field(f(2), FIELDS[2])?;
    let sk_er = hex_field(f(3), FIELDS[3])?;
    let encr = Encr::from_name(&f(4).text).ok_or_else(|| {
        (
            f(4).column,
            Some(FIELDS[4]),
            format!(
                "unknown {:?}; expected one of Wireshark's names, e.g. \"AES-CBC-256 [RFC3602]\", \"AES-GCM-256 with 16 octet ICV [RFC5282]\"",
                f(4).text
            ),
        )
    })?;
    let sk_ai = hex_field(f(5), FIELDS[5])?;
    let sk_ar = hex_field(f(6), FIELDS[6])?;
    let integ = Integ::from_name(&f(7).text).ok_or_else(|| {
        (
            f(7).column,
            Some(FIELDS[7]),
            format!(
                "unknown {:?}; expected one of Wireshark's names, e.g. \"HMAC_SHA2_256_128 [RFC4868]\", \"NONE [RFC4306]\"",
                f(7).text
            ),
        )
    })?;
    let keys = SaKeys {
        spi_i,
        spi_r,
        sk_ei,
        sk_er,
        encr,
        sk_ai,
        sk_ar,
        integ,
    };
    keys.check().map_err(|(field, msg)| {
        let idx = FIELDS.iter().position(|n| *n == field).unwrap_or(0);
        (fields[idx].column, Some(FIELDS[idx]), msg)
    })?;
    Ok(keys)
}

/// Splits on commas outside quotes; a quoted field is `"…"` with Wireshark's escapes
/// (`\xHH`, `\\`, `\"`). Blanks around a field are ignored.
pub(crate) fn split_fields(line: &str) -> Result<Vec<Field>, LineError> {
    let chars: Vec<char> = line.chars().collect();
    let mut fields = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        let column = i + 1;
        let mut text = String::new();
        if i < chars.len() && chars[i] == '"' {
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err((column, None, "quoted field has no closing '\"'".into()));
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => match chars.get(i + 1) {
                        Some('x') => {
                            let h: String = chars.iter().skip(i + 2).take(2).collect();
                            let v = u8::from_str_radix(&h, 16)
                                .ok()
                                .filter(|_| h.len() == 2)
                                .ok_or_else(|| {
                                    (
                                        i + 1,
                                        None,
                                        format!("bad escape \\x{h}: needs two hex digits"),
                                    )
                                })?;
                            text.push(char::from(v));
                            i += 4;
                        }
                        Some(&c @ ('\\' | '"')) => {
                            text.push(c);
                            i += 2;
                        }
                        _ => {
                            return Err((
                                i + 1,
                                None,
                                "bad escape: expected \\xHH, \\\\ or \\\"".into(),
                            ))
                        }
                    },
                    Some(&c) => {
                        text.push(c);
                        i += 1;
                    }
                }
            }
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                i += 1;
            }
            if i < chars.len() && chars[i] != ',' {
                return Err((i + 1, None, "expected ',' after the quoted field".into()));
            }
        } else {
            while i < chars.len() && chars[i] != ',' {
                text.push(chars[i]);
                i += 1;
            }
            let t = text.trim_end().to_string();
            text = t;
        }
        fields.push(Field { text, column });
        if i >= chars.len() {
            break;
        }
        i += 1; // the comma
    }
    Ok(fields)
}

/// A hex byte string (empty allowed).
pub(crate) fn hex_field(f: &Field, name: &'static str) -> Result<Vec<u8>, LineError> {
    let t = f.text.as_bytes();
    if t.len() % 2 != 0 {
        return Err((
            f.column,
            Some(name),
            format!("odd number of hex digits ({})", t.len()),
        ));
    }
    let mut out = Vec::with_capacity(t.len() / 2);
    for (k, pair) in t.chunks_exact(2).enumerate() {
        let digit = |j: usize| -> Result<u8, LineError> {
            let c = pair[j];
            char::from(c)
                .to_digit(16)
                .and_then(|d| u8::try_from(d).ok())
                .ok_or_else(|| {
                    (
                        f.column + 2 * k + j,
                        Some(name),
                        format!("{:?} is not a hex digit", char::from(c)),
                    )
                })
        };
        out.push(digit(0)? << 4 | digit(1)?);
    }
    Ok(out)
}

/// One line of Wireshark's `ikev2_decryption_table` (no line end), as Wireshark writes it
/// and `keytable::parse_table` reads it:
///
/// ```text
/// SPIi,SPIr,SK_ei,SK_er,"Encryption algorithm",SK_ai,SK_ar,"Integrity algorithm"
/// ```
///
/// SPIs as 16 hex digits, keys in lowercase hex (empty for none), algorithm names quoted.
pub fn table_line(k: &SaKeys) -> String {
    format!(
        "{:016x},{:016x},{},{},\"{}\",{},{},\"{}\"",
        k.spi_i,
        k.spi_r,
        hex::encode(&k.sk_ei),
        hex::encode(&k.sk_er),
        k.encr.name(),
        hex::encode(&k.sk_ai),
        hex::encode(&k.sk_ar),
        k.integ.name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const GCM_LINE: &str = "4385413886274e9f,2d09281710795d69,8f90d851ae8f7d466e053816957a79f354ef59914c294b8c4fb23514b4c059a652db072f,2cd0e891356a5af23428914cac06df899d8ceee2f3e8df3fa99efa56dfe951ed6e74c74b,\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"";

    #[test]
    fn every_name_round_trips() {
        for e in Encr::ALL {
            assert_eq!(Encr::from_name(&e.name()), Some(e), "{e}");
        }
        for i in Integ::ALL {
            assert_eq!(Integ::from_name(&i.name()), Some(i), "{i}");
        }
        assert_eq!(
            Encr::from_name("AES-CCM-192 with 12 octet ICV [RFC5282]"),
            Some(Encr::AesCcm {
                key: AesBits::B192,
                icv: IcvLen::Octets12
            })
        );
        assert_eq!(
            Encr::from_name("CHACHA20-POLY1305 [RFC7634]"),
            Some(Encr::ChaCha20Poly1305)
        );
        assert_eq!(
            Integ::from_name("ANY 96-bits of Authentication [No Checking]"),
            Some(Integ::Unchecked(12))
        );
    }

    #[test]
    fn key_and_salt_lengths_match_wireshark() {
        // packet-isakmp.c ikev2_encr_algs[]: key_len includes the salt.
        assert_eq!(Encr::TripleDesCbc.sk_len(), 24);
        assert_eq!(Encr::AesCtr(AesBits::B128).sk_len(), 20);
        assert_eq!(Encr::AesCtr(AesBits::B256).sk_len(), 36);
        let gcm = Encr::AesGcm {
            key: AesBits::B192,
            icv: IcvLen::Octets8,
        };
        assert_eq!(
            (gcm.sk_len(), gcm.iv_len(), gcm.aead_icv_len()),
            (28, 8, Some(8))
        );
        let ccm = Encr::AesCcm {
            key: AesBits::B256,
            icv: IcvLen::Octets12,
        };
        assert_eq!(
            (ccm.sk_len(), ccm.salt_len(), ccm.aead_icv_len()),
            (35, 3, Some(12))
        );
        assert_eq!(Encr::ChaCha20Poly1305.sk_len(), 36);
        assert_eq!(Integ::HmacSha2_384_192.icv_len(), 24);
        assert_eq!(Integ::HmacSha2_384_192.key_len(), 48);
        assert_eq!(Integ::HmacSha1_96.key_len(), 20);
    }

    #[test]
    fn parses_wireshark_lines() {
        let text = format!(
            "# comment\n\n{GCM_LINE}\n99feb3adea1ee8f8,85a3428fbdd9e1df,e7c504282820eca3e4326b2bebd325d8dbcb2d79c40003a4ac197ffc09871aeaddb61e2c,d9bd1198df34db0dc7636be01be0297709d8555fce6a162f0da809348169bd9963c694a7,\"AES-CTR-256 [RFC5930]\",945ec3f494d2295f8cd5e8d74ac67e694171d042719d6f8f577268de66a80cfa,fb1aaaab2165f88d43045e8864c05e460f6ad8ac05d27ff8dfba83c920b0111a,\"HMAC_SHA2_256_128 [RFC4868]\"\r\n"
        );
        let t = parse_table(&text).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].spi_i, 0x4385_4138_8627_4e9f);
        assert_eq!(t[0].spi_r, 0x2d09_2817_1079_5d69);
        assert_eq!(t[0].sk_ei.len(), 36);
        assert_eq!(t[0].sk_ei[0], 0x8f);
        assert_eq!(t[0].sk_er[35], 0x4b);
        assert_eq!(
            t[0].encr,
            Encr::AesGcm {
                key: AesBits::B256,
                icv: IcvLen::Octets16
            }
        );
        assert_eq!(t[0].integ, Integ::None);
        assert!(t[0].sk_ai.is_empty());
        assert_eq!(t[1].encr, Encr::AesCtr(AesBits::B256));
        assert_eq!(t[1].integ, Integ::HmacSha2_256_128);
        assert_eq!(t[1].sk_ar[0], 0xfb);
        assert!(find(&t, 0x99fe_b3ad_ea1e_e8f8, 0x85a3_428f_bdd9_e1df).is_some());
        assert!(find(&t, 0x99fe_b3ad_ea1e_e8f8, 0).is_none());
    }

    #[test]
    fn quoted_hex_blanks_and_escapes() {
        let line = " \"0001020304050607\" , \"08090a0b0c0d0e0f\",\"\",\"\",\"NULL [RFC2410]\",00112233445566778899aabbccddeeff00112233,00112233445566778899aabbccddeeff00112233,\"HMAC\\x5fSHA1_96 [RFC2404]\"";
        let t = parse_table(line).unwrap();
        assert_eq!(t[0].spi_i, 0x0001_0203_0405_0607);
        assert_eq!(t[0].encr, Encr::Null);
        assert_eq!(t[0].integ, Integ::HmacSha1_96);
    }

    #[test]
    fn errors_name_line_column_and_field() {
        // Short SK_ei (35 octets instead of 36) on line 2.
        let bad = GCM_LINE.replacen("8f90d851", "8f90d8", 1);
        let e = parse_table(&format!("# x\n{bad}")).unwrap_err().to_string();
        assert!(
            e.starts_with("line 2, column 35 (SK_ei): 35 octet(s), but AES-GCM-256 with 16 octet ICV [RFC5282] needs 36"),
            "{e}"
        );
        let e = parse_table(&GCM_LINE.replacen("4385", "43g5", 1))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("line 1, column 3 (SPIi): 'g' is not a hex digit"),
            "{e}"
        );
        let e = parse_table(&GCM_LINE.replacen("4385413886274e9f", "43854138", 1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("(SPIi): 4 octet(s), an SPI has 8"), "{e}");
        let e = parse_table(&GCM_LINE.replacen("AES-GCM-256", "AES-GCM-257", 1))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line 1, column 1"), "{e}");
        assert!(
            e.contains("(Encryption algorithm): unknown \"AES-GCM-257"),
            "{e}"
        );
        let e = parse_table(&GCM_LINE.replacen(",,,", ",,", 1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("7 field(s), expected 8"), "{e}");
        let e = parse_table(&GCM_LINE.replacen("\"NONE [RFC4306]\"", "\"NONE", 1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no closing"), "{e}");
        let e = parse_table(&GCM_LINE.replacen(
            "\"NONE [RFC4306]\"",
            "\"HMAC_SHA2_256_128 [RFC4868]\"",
            1,
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("(Integrity algorithm)"), "{e}");
        let e = parse_table(&GCM_LINE.replacen(",,,", ",00,,", 1))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("(SK_ai): 1 octet(s), but NONE [RFC4306] needs 0"),
            "{e}"
        );
        let e = parse_table(&GCM_LINE.replacen("4385", "438", 1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("odd number of hex digits"), "{e}");
    }

    #[test]
    fn never_panics_on_odd_text() {
        for s in [
            "\"", "\\", ",", ",,,,,,,", "\"\\x", "\"\\x4", "\"\\q\"", "é,é", "\"a\"b", "\u{0}",
        ] {
            assert!(parse_table(s).is_err(), "{s:?}");
        }
    }
}
