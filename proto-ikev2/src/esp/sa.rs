//! The keys of one ESP SA (one direction of a CHILD_SA), and Wireshark's `esp_sa` table that
//! names them (the "ESP SAs" UAT of packet-ipsec.c, in the file format tshark reads).
//!
//! One line per SA, eight comma-separated quoted fields:
//!
//! ```text
//! "Protocol","Src IP","Dest IP","SPI","Encryption","Encryption Key","Authentication","Authentication Key"
//! "IPv4","127.0.0.1","127.0.0.1","0x928f93a1","AES-GCM with 16 octet ICV [RFC4106]","0x4c56…3f","NULL",""
//! ```
//!
//! Addresses may be `*` (any). Keys are `0x` and hex. For AES-CTR, AES-GCM and
//! ChaCha20-Poly1305 the encryption key is the cipher key followed by the 4-octet salt/nonce
//! (RFC 3686 §5.1, RFC 4106 §8.1, RFC 7634 §2), exactly as IKEv2 derives it (RFC 7296 §2.17):
//! the cipher names below are the IKE key table's [`Encr`], which has the same key layout.

use std::fmt;
use std::net::IpAddr;

use crate::crypto::keytable::{split_fields, AesBits, Encr, IcvLen, Integ, KeyTableError};

/// The keys of one ESP SA: the SA the receiver chose `spi` for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspSa {
    /// Security Parameters Index (RFC 4303 §2.1).
    pub spi: u32,
    /// Source address of the outer packets, if known.
    pub src: Option<IpAddr>,
    /// Destination address of the outer packets, if known.
    pub dst: Option<IpAddr>,
    /// Encryption (or combined-mode) algorithm.
    pub encr: Encr,
    /// Encryption key, with the salt/nonce for CTR, GCM and ChaCha20-Poly1305.
    pub enc_key: Vec<u8>,
    /// Integrity algorithm (`NONE` with a combined-mode cipher).
    pub integ: Integ,
    /// Integrity key.
    pub auth_key: Vec<u8>,
    /// Extended Sequence Numbers negotiated (RFC 4303 §2.2.1): the ICV then also covers the
    /// high-order 32 bits.
    pub esn: bool,
}

impl EspSa {
    /// Checks the key lengths against the algorithms; the error names the field.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.enc_key.len() != self.encr.sk_len() {
            return Err((
                "Encryption Key",
                format!(
                    "{} octet(s), but {} needs {}{}",
                    self.enc_key.len(),
                    esp_encr_name(self.encr),
                    self.encr.sk_len(),
                    if self.encr.salt_len() > 0 {
                        format!(" (key and {}-octet salt)", self.encr.salt_len())
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        if self.encr.is_aead() && self.integ != Integ::None {
            return Err((
                "Authentication",
                format!(
                    "{} carries its own ICV: authentication must be NULL",
                    esp_encr_name(self.encr)
                ),
            ));
        }
        if self.auth_key.len() != self.integ.key_len() {
            return Err((
                "Authentication Key",
                format!(
                    "{} octet(s), but {} needs {}",
                    self.auth_key.len(),
                    esp_integ_name(self.integ),
                    self.integ.key_len()
                ),
            ));
        }
        Ok(())
    }
}

/// Wireshark's ESP name of an encryption algorithm (packet-ipsec.c `esp_encryption_type_vals`).
pub fn esp_encr_name(e: Encr) -> String {
    match e {
        Encr::Null => "NULL".into(),
        Encr::TripleDesCbc => "TripleDES-CBC [RFC2451]".into(),
        Encr::AesCbc(_) => "AES-CBC [RFC3602]".into(),
        Encr::AesCtr(_) => "AES-CTR [RFC3686]".into(),
        Encr::AesGcm { icv, .. } => format!("AES-GCM with {} octet ICV [RFC4106]", icv.octets()),
        Encr::AesCcm { icv, .. } => format!("AES-CCM with {} octet ICV [RFC4309]", icv.octets()),
        Encr::ChaCha20Poly1305 => "ChaCha20 with Poly1305 [RFC7634]".into(),
    }
}

/// Wireshark's ESP name of an integrity algorithm (`esp_authentication_type_vals`).
pub fn esp_integ_name(i: Integ) -> String {
    match i {
        Integ::None => "NULL".into(),
        Integ::HmacSha1_96 => "HMAC-SHA-1-96 [RFC2404]".into(),
        Integ::HmacSha2_256_96 => "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]".into(),
        Integ::HmacSha2_256_128 => "HMAC-SHA-256-128 [RFC4868]".into(),
        Integ::HmacSha2_384_192 => "HMAC-SHA-384-192 [RFC4868]".into(),
        Integ::HmacSha2_512_256 => "HMAC-SHA-512-256 [RFC4868]".into(),
        Integ::HmacMd5_96 => "HMAC-MD5-96 [RFC2403]".into(),
        Integ::HmacMd5_128 => "HMAC-MD5-128 [RFC4595]".into(),
        Integ::HmacSha1_160 => "HMAC-SHA-1-160 [RFC4595]".into(),
        Integ::Unchecked(n) => format!("ANY {} bit authentication [no checking]", u16::from(n) * 8),
    }
}

/// The encryption algorithm of a Wireshark ESP name and key length (AES key sizes come from
/// the key's length).
fn encr_from_esp_name(name: &str, key_len: usize) -> Option<Encr> {
    let n = name.trim();
    let aes =
        |extra: usize| AesBits::from_bits(u16::try_from((key_len.checked_sub(extra)?) * 8).ok()?);
    let eq = |s: &str| n.eq_ignore_ascii_case(s);
    if eq("NULL") {
        return Some(Encr::Null);
    }
    if eq("TripleDES-CBC [RFC2451]") {
        return Some(Encr::TripleDesCbc);
    }
    if eq("AES-CBC [RFC3602]") {
        return aes(0).map(Encr::AesCbc);
    }
    if eq("AES-CTR [RFC3686]") {
        return aes(4).map(Encr::AesCtr);
    }
    if eq("ChaCha20 with Poly1305 [RFC7634]") {
        return Some(Encr::ChaCha20Poly1305);
    }
    for icv in [IcvLen::Octets8, IcvLen::Octets12, IcvLen::Octets16] {
        if eq(&format!(
            "AES-GCM with {} octet ICV [RFC4106]",
            icv.octets()
        )) {
            return aes(4).map(|key| Encr::AesGcm { key, icv });
        }
        // Not a Wireshark name (Wireshark 4.0 has no ESP AES-CCM): ours, in its pattern. The
        // key is followed by the 3-octet salt (RFC 4309 §7.1).
        if eq(&format!(
            "AES-CCM with {} octet ICV [RFC4309]",
            icv.octets()
        )) {
            return aes(3).map(|key| Encr::AesCcm { key, icv });
        }
    }
    None
}

fn integ_from_esp_name(name: &str) -> Option<Integ> {
    let n = name.trim();
    Integ::ALL
        .into_iter()
        .find(|i| esp_integ_name(*i).eq_ignore_ascii_case(n))
}

/// Where an address field says "any".
fn addr_field(text: &str) -> Result<Option<IpAddr>, String> {
    let t = text.trim();
    if t.is_empty() || t == "*" {
        return Ok(None);
    }
    t.parse::<IpAddr>()
        .map(Some)
        .map_err(|_| format!("{t:?} is neither an IP address nor '*'"))
}

/// A `0x…` key (or empty).
fn key_field(text: &str) -> Result<Vec<u8>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) else {
        return Err("a key is written 0x followed by hex digits".into());
    };
    hex::decode(h).map_err(|e| format!("not hex: {e}"))
}

const FIELDS: [&str; 8] = [
    "Protocol",
    "Src IP",
    "Dest IP",
    "SPI",
    "Encryption",
    "Encryption Key",
    "Authentication",
    "Authentication Key",
];

/// True when `line` looks like an `esp_sa` row (its first field is a protocol name).
pub fn is_esp_sa_line(line: &str) -> bool {
    split_fields(line)
        .ok()
        .and_then(|f| f.first().map(|f| f.text.clone()))
        .is_some_and(|p| matches!(p.as_str(), "IPv4" | "IPv6" | "Any"))
}

/// Reads one `esp_sa` row; errors name the column and the field.
pub fn parse_esp_sa_line(line: &str, line_no: usize) -> Result<EspSa, KeyTableError> {
    let err = |column: usize, field: Option<&'static str>, reason: String| KeyTableError {
        line: line_no,
        column,
        field,
        reason,
    };
    let f = split_fields(line).map_err(|(c, f, r)| err(c, f, r))?;
    if f.len() < FIELDS.len() {
        return Err(err(
            f.last().map_or(1, |x| x.column),
            None,
            format!(
                "{} field(s), expected {} ({})",
                f.len(),
                FIELDS.len(),
                FIELDS.join(", ")
            ),
        ));
    }
    let at = |i: usize, r: String| err(f[i].column, Some(FIELDS[i]), r);
    let src = addr_field(&f[1].text).map_err(|r| at(1, r))?;
    let dst = addr_field(&f[2].text).map_err(|r| at(2, r))?;
    let spi_text = f[3].text.trim();
    let spi = spi_text
        .strip_prefix("0x")
        .or_else(|| spi_text.strip_prefix("0X"))
        .and_then(|h| u32::from_str_radix(h, 16).ok())
        .ok_or_else(|| {
            at(
                3,
                format!("{spi_text:?}: an SPI is 0x and up to 8 hex digits"),
            )
        })?;
    let enc_key = key_field(&f[5].text).map_err(|r| at(5, r))?;
    let encr = encr_from_esp_name(&f[4].text, enc_key.len()).ok_or_else(|| {
        at(
            4,
            format!(
                "{:?} with a {}-octet key is not a cipher this reader knows (NULL, TripleDES-CBC [RFC2451], AES-CBC [RFC3602], AES-CTR [RFC3686], AES-GCM with 8/12/16 octet ICV [RFC4106], ChaCha20 with Poly1305 [RFC7634])",
                f[4].text,
                enc_key.len()
            ),
        )
    })?;
    let integ = integ_from_esp_name(&f[6].text).ok_or_else(|| {
        at(
            6,
            format!(
                "unknown {:?}; expected e.g. \"HMAC-SHA-256-128 [RFC4868]\" or \"NULL\"",
                f[6].text
            ),
        )
    })?;
    let auth_key = key_field(&f[7].text).map_err(|r| at(7, r))?;
    let sa = EspSa {
        spi,
        src,
        dst,
        encr,
        enc_key,
        integ,
        auth_key,
        esn: false,
    };
    sa.check().map_err(|(field, r)| {
        let i = FIELDS.iter().position(|n| *n == field).unwrap_or(0);
        at(i, r)
    })?;
    Ok(sa)
}

/// One `esp_sa` row as Wireshark writes it.
pub fn esp_sa_line(sa: &EspSa) -> String {
    let proto = match (sa.src, sa.dst) {
        (Some(IpAddr::V6(_)), _) | (_, Some(IpAddr::V6(_))) => "IPv6",
        (Some(_), _) | (_, Some(_)) => "IPv4",
        _ => "Any",
    };
    let addr = |a: Option<IpAddr>| a.map_or_else(|| "*".to_string(), |a| a.to_string());
    let key = |k: &[u8]| {
        if k.is_empty() {
            String::new()
        } else {
            format!("0x{}", hex::encode(k))
        }
    };
    format!(
        "\"{proto}\",\"{}\",\"{}\",\"0x{:08x}\",\"{}\",\"{}\",\"{}\",\"{}\"",
        addr(sa.src),
        addr(sa.dst),
        sa.spi,
        esp_encr_name(sa.encr),
        key(&sa.enc_key),
        esp_integ_name(sa.integ),
        key(&sa.auth_key)
    )
}

impl fmt::Display for EspSa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ESP SA 0x{:08x} {} / {}",
            self.spi,
            self.encr,
            if self.encr.is_aead() {
                "(combined)".to_string()
            } else {
                self.integ.to_string()
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esp_sa_rows_round_trip() {
        let line = "\"IPv4\",\"127.0.0.1\",\"*\",\"0x928f93a1\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x4c567cd98432eac5309ee5ebe0278c2499865f3f\",\"NULL\",\"\"";
        assert!(is_esp_sa_line(line));
        let sa = parse_esp_sa_line(line, 1).unwrap();
        assert_eq!(sa.spi, 0x928f_93a1);
        assert_eq!(
            sa.encr,
            Encr::AesGcm {
                key: AesBits::B128,
                icv: IcvLen::Octets16
            }
        );
        assert_eq!(sa.dst, None);
        assert_eq!(esp_sa_line(&sa), line);
        let cbc = "\"IPv4\",\"*\",\"*\",\"0x00000001\",\"AES-CBC [RFC3602]\",\"0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f\",\"HMAC-SHA-256-128 [RFC4868]\",\"0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f\"";
        let sa = parse_esp_sa_line(cbc, 1).unwrap();
        assert_eq!(sa.encr, Encr::AesCbc(AesBits::B256));
        assert_eq!(sa.integ, Integ::HmacSha2_256_128);
    }

    #[test]
    fn esp_sa_errors_name_the_field() {
        let bad = "\"IPv4\",\"*\",\"*\",\"0x1\",\"AES-CBC [RFC3602]\",\"0x0001\",\"NULL\",\"\"";
        let e = parse_esp_sa_line(bad, 3).unwrap_err().to_string();
        assert!(e.starts_with("line 3, column"), "{e}");
        assert!(e.contains("(Encryption)"), "{e}");
        let bad =
            "\"IPv4\",\"*\",\"*\",\"0x1\",\"NULL\",\"\",\"HMAC-SHA-256-128 [RFC4868]\",\"0x00\"";
        let e = parse_esp_sa_line(bad, 1).unwrap_err().to_string();
        assert!(
            e.contains("(Authentication Key): 1 octet(s), but HMAC-SHA-256-128 [RFC4868] needs 32"),
            "{e}"
        );
        let e = parse_esp_sa_line("\"IPv4\",\"x\"", 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("2 field(s), expected 8"), "{e}");
    }
}
