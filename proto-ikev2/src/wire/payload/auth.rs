//! Authentication payload (RFC 7296 §3.8), with Digital Signature (RFC 7427 §3) decoding.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Auth Method   |                RESERVED                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                      Authentication Data                      ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! Authentication Data for Auth Method 14, Digital Signature (RFC 7427 §3):
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | ASN.1 Length  | AlgorithmIdentifier ASN.1 object              |
//! +-+-+-+-+-+-+-+-+                                               +
//! ~        AlgorithmIdentifier ASN.1 object continuing            ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                         Signature Value                       ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::{is_zero_3, Reader, Result, Writer};
use crate::wire::registry::AuthMethod;
use ietfwg_report::hex::Hex;
use serde_with::serde_as;

/// Authentication payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Auth {
    /// Auth Method.
    pub method: AuthMethod,
    /// RESERVED (3 bytes), kept as received.
    #[serde(skip_serializing_if = "is_zero_3")]
    pub reserved: [u8; 3],
    /// Authentication Data, raw (what is emitted).
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
    /// For Auth Method 14 (Digital Signature): the decoded layout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureInfo>,
}

/// The RFC 7427 layout, or why the data doesn't fit it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureInfo {
    /// Decoded.
    Decoded(DigitalSignature),
    /// The data doesn't fit the layout.
    Malformed {
        /// Why.
        reason: String,
    },
}

/// Digital Signature authentication data (RFC 7427 §3).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DigitalSignature {
    /// ASN.1 Length: the size of the AlgorithmIdentifier.
    pub asn1_length: u8,
    /// The AlgorithmIdentifier DER.
    #[serde_as(as = "Hex")]
    pub algorithm_identifier: Vec<u8>,
    /// Its algorithm OID, dotted.
    pub oid: String,
    /// The algorithm's name, when the OID is a known signature algorithm.
    pub algorithm: Option<&'static str>,
    /// Signature Value.
    #[serde_as(as = "Hex")]
    pub signature: Vec<u8>,
}

/// Signature algorithm OIDs seen in RFC 7427 AlgorithmIdentifiers (RFC 7427 Appendix A,
/// RFC 8420).
const SIG_ALGS: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.1", "rsaEncryption"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.2.840.113549.1.1.10", "RSASSA-PSS"),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
    ("1.2.840.10040.4.3", "dsa-with-sha1"),
    ("2.16.840.1.101.3.4.3.2", "dsa-with-sha256"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
    ("1.3.101.112", "Ed25519"),
    ("1.3.101.113", "Ed448"),
];

/// Reads a DER tag + definite length at `data[*pos..]`; returns (tag, content range).
fn der_tlv(
    data: &[u8],
    pos: &mut usize,
) -> std::result::Result<(u8, std::ops::Range<usize>), String> {
    let tag = *data.get(*pos).ok_or("DER tag missing")?;
    let l0 = *data.get(*pos + 1).ok_or("DER length missing")?;
    let mut p = *pos + 2;
    let len = if l0 < 0x80 {
        usize::from(l0)
    } else {
        let n = usize::from(l0 & 0x7f);
        if n == 0 || n > 3 {
            return Err(format!("DER length form 0x{l0:02x} not supported"));
        }
        let mut v = 0usize;
        for _ in 0..n {
            v = (v << 8) | usize::from(*data.get(p).ok_or("DER length truncated")?);
            p += 1;
        }
        v
    };
    let end = p
        .checked_add(len)
        .filter(|&e| e <= data.len())
        .ok_or("DER value runs past its container")?;
    *pos = end;
    Ok((tag, p..end))
}

/// Dotted form of DER OID content bytes.
pub(crate) fn oid_string(c: &[u8]) -> std::result::Result<String, String> {
    let mut arcs: Vec<u128> = Vec::new();
    let mut v: u128 = 0;
    let mut open = false;
    for &b in c {
        if v > (u128::MAX >> 8) {
            return Err("OID arc too large".into());
        }
        v = (v << 7) | u128::from(b & 0x7f);
        open = b & 0x80 != 0;
        if !open {
            if arcs.is_empty() {
                let (a, b) = if v < 40 {
                    (0, v)
                } else if v < 80 {
                    (1, v - 40)
                } else {
                    (2, v - 80)
                };
                arcs.push(a);
                arcs.push(b);
            } else {
                arcs.push(v);
            }
            v = 0;
        }
    }
    if open || arcs.is_empty() {
        return Err("OID truncated".into());
    }
    Ok(arcs
        .iter()
        .map(u128::to_string)
        .collect::<Vec<_>>()
        .join("."))
}

impl DigitalSignature {
    /// Decodes RFC 7427 authentication data.
    pub fn decode(data: &[u8]) -> std::result::Result<DigitalSignature, String> {
        let (&asn1_length, rest) = data.split_first().ok_or("no ASN.1 Length")?;
        let (ai, signature) = rest
            .split_at_checked(usize::from(asn1_length))
            .ok_or_else(|| {
                format!(
                    "ASN.1 Length {asn1_length} runs past the {} byte(s) of data",
                    rest.len()
                )
            })?;
        let mut pos = 0;
        let (tag, seq) = der_tlv(ai, &mut pos)?;
        if tag != 0x30 {
            return Err(format!(
                "AlgorithmIdentifier starts with tag 0x{tag:02x}, expected SEQUENCE"
            ));
        }
        if pos != ai.len() {
            return Err(format!(
                "{} byte(s) after the AlgorithmIdentifier",
                ai.len() - pos
            ));
        }
        let mut p = seq.start;
        let (tag, oid) = der_tlv(ai, &mut p)?;
        if tag != 0x06 {
            return Err(format!(
                "algorithm has tag 0x{tag:02x}, expected OBJECT IDENTIFIER"
            ));
        }
        let oid = oid_string(ai.get(oid).unwrap_or_default())?;
        let algorithm = SIG_ALGS.iter().find(|(o, _)| *o == oid).map(|(_, n)| *n);
        Ok(DigitalSignature {
            asn1_length,
            algorithm_identifier: ai.to_vec(),
            oid,
            algorithm,
            signature: signature.to_vec(),
        })
    }
}

impl Auth {
    /// Parses the body (all of `r`).
    pub fn parse(r: &mut Reader<'_>) -> Result<Auth> {
        let method = AuthMethod(r.u8("Auth Method")?);
        let reserved = r.array::<3>("RESERVED")?;
        let data = r.take_rest().to_vec();
        let signature = (method.0 == 14).then(|| match DigitalSignature::decode(&data) {
            Ok(d) => SignatureInfo::Decoded(d),
            Err(reason) => SignatureInfo::Malformed { reason },
        });
        Ok(Auth {
            method,
            reserved,
            data,
            signature,
        })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.u8(self.method.0);
        w.bytes(&self.reserved);
        w.bytes(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digital_signature_auth() {
        let body = [
            14, // Auth Method 14 = Digital Signature
            0, 0, 0,  // RESERVED
            15, // ASN.1 Length 15
            // AlgorithmIdentifier: SEQUENCE { OID 1.2.840.113549.1.1.11, NULL }
            0x30, 0x0d, // SEQUENCE, 13
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
            0x0b, // OID sha256WithRSA
            0x05, 0x00, // NULL parameters
            0xde, 0xad, 0xbe, 0xef, // Signature Value (shortened)
        ];
        let a = Auth::parse(&mut Reader::new(&body, 0)).unwrap();
        let Some(SignatureInfo::Decoded(d)) = &a.signature else {
            panic!("{:?}", a.signature)
        };
        assert_eq!(d.oid, "1.2.840.113549.1.1.11");
        assert_eq!(d.algorithm, Some("sha256WithRSAEncryption"));
        assert_eq!(d.signature, vec![0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(d.algorithm_identifier.len(), 15);
        let mut w = Writer::new();
        a.emit(&mut w);
        assert_eq!(w.buf, body);
        // ASN.1 Length past the data.
        let mut b = body;
        b[4] = 200;
        let a = Auth::parse(&mut Reader::new(&b, 0)).unwrap();
        assert!(matches!(a.signature, Some(SignatureInfo::Malformed { .. })));
        // Ed25519: SEQUENCE { OID 1.3.101.112 }.
        let d =
            DigitalSignature::decode(&[7, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 1]).unwrap();
        assert_eq!(
            (d.oid.as_str(), d.algorithm),
            ("1.3.101.112", Some("Ed25519"))
        );
        // Shared key MIC: no signature decoding.
        let a = Auth::parse(&mut Reader::new(&[2, 0, 0, 0, 9], 0)).unwrap();
        assert_eq!(a.signature, None);
    }
}
