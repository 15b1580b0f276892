//! Certificate (RFC 7296 §3.6) and Certificate Request (§3.7) payloads.
//!
//! ```text
//! CERT:
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Cert Encoding |                                               |
//! +-+-+-+-+-+-+-+-+                                               |
//! ~                       Certificate Data                        ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! CERTREQ: the same, with "Certification Authority" (concatenated 20-byte SHA-1 hashes of
//! trusted CAs' public keys for X.509 encodings) in place of Certificate Data.
//! ```

use super::{utf8, Reader, Result, Writer};
use crate::wire::registry::CertEncoding;
use ietfwg_report::hex::Hex;
use serde_with::serde_as;

/// Certificate payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Cert {
    /// Cert Encoding.
    pub encoding: CertEncoding,
    /// Certificate Data, raw (what is emitted).
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
    /// For X.509 Certificate - Signature (4): the certificate's names, when the DER parses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x509: Option<X509Summary>,
    /// For Hash and URL encodings (12, 13): the SHA-1 hash and the URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_and_url: Option<HashAndUrl>,
}

/// What identifies an X.509 certificate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct X509Summary {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
}

/// Hash and URL of an X.509 certificate or bundle (RFC 7296 §3.6).
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HashAndUrl {
    /// SHA-1 hash (20 bytes).
    #[serde_as(as = "Hex")]
    pub hash: Vec<u8>,
    /// The URL (lossy UTF-8 for display).
    pub url: String,
}

/// Summary of a DER X.509 certificate, or None when it doesn't parse.
pub(crate) fn x509_summary(der: &[u8]) -> Option<X509Summary> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(X509Summary {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: hex::encode(cert.raw_serial()),
    })
}

impl Cert {
    /// Parses the body (all of `r`).
    pub fn parse(r: &mut Reader<'_>) -> Result<Cert> {
        let encoding = CertEncoding(r.u8("Cert Encoding")?);
        let data = r.take_rest().to_vec();
        let x509 = if encoding.0 == 4 {
            x509_summary(&data)
        } else {
            None
        };
        let hash_and_url = match (encoding.0, data.split_at_checked(20)) {
            (12 | 13, Some((hash, url))) => Some(HashAndUrl {
                hash: hash.to_vec(),
                url: utf8(url).unwrap_or_else(|| String::from_utf8_lossy(url).into_owned()),
            }),
            _ => None,
        };
        Ok(Cert {
            encoding,
            data,
            x509,
            hash_and_url,
        })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.u8(self.encoding.0);
        w.bytes(&self.data);
    }
}

/// Certificate Request payload body.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertReq {
    /// Cert Encoding.
    pub encoding: CertEncoding,
    /// Certification Authority, raw (what is emitted).
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
    /// For X.509 encodings (4, 12, 13): the 20-byte CA key hashes, when the data is a
    /// multiple of 20 bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_hashes: Option<Vec<CaHash>>,
}

/// SHA-1 hash of a trusted CA's Subject Public Key Info.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct CaHash(#[serde_as(as = "Hex")] pub [u8; 20]);

impl CertReq {
    /// Parses the body (all of `r`).
    pub fn parse(r: &mut Reader<'_>) -> Result<CertReq> {
        let encoding = CertEncoding(r.u8("Cert Encoding")?);
        let data = r.take_rest().to_vec();
        let ca_hashes = if matches!(encoding.0, 4 | 12 | 13) && data.len() % 20 == 0 {
            Some(
                data.chunks_exact(20)
                    .filter_map(|c| <[u8; 20]>::try_from(c).ok().map(CaHash))
                    .collect(),
            )
        } else {
            None
        };
        Ok(CertReq {
            encoding,
            data,
            ca_hashes,
        })
    }

    /// Writes the body.
    pub fn emit(&self, w: &mut Writer) {
        w.u8(self.encoding.0);
        w.bytes(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certreq_hashes_and_hash_url() {
        let mut body = vec![4u8]; // Cert Encoding 4 = X.509 Certificate - Signature
        body.extend([0x11; 20]); // CA hash 1
        body.extend([0x22; 20]); // CA hash 2
        let c = CertReq::parse(&mut Reader::new(&body, 0)).unwrap();
        assert_eq!(
            c.ca_hashes,
            Some(vec![CaHash([0x11; 20]), CaHash([0x22; 20])])
        );
        let mut w = Writer::new();
        c.emit(&mut w);
        assert_eq!(w.buf, body);
        // 21 bytes: not a list of hashes.
        body.push(0);
        assert_eq!(
            CertReq::parse(&mut Reader::new(&body, 0))
                .unwrap()
                .ca_hashes,
            None
        );

        let mut body = vec![12u8]; // Hash and URL of X.509 certificate
        body.extend([0xab; 20]); // SHA-1 hash
        body.extend(b"http://ca/c.der"); // URL
        let c = Cert::parse(&mut Reader::new(&body, 0)).unwrap();
        let hu = c.hash_and_url.unwrap();
        assert_eq!(
            (hu.hash, hu.url.as_str()),
            (vec![0xab; 20], "http://ca/c.der")
        );
        // Garbage DER: no summary, no error.
        let c = Cert::parse(&mut Reader::new(&[4, 0x30, 0x03, 1], 0)).unwrap();
        assert_eq!(c.x509, None);
    }

    /// A self-signed P-256 certificate (458 bytes DER), made for this test with
    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes
    ///  -subj "/C=CH/O=ietfwg test/CN=responder.test.local" -set_serial 0x1234 -outform DER`.
    const CERT_DER_HEX: &[&str] = &[
        "308201c63082016da00302010202021234300a06082a8648ce3d0403023042310b300906035504061302434831143012",
        "060355040a0c0b6965746677672074657374311d301b06035504030c14726573706f6e6465722e746573742e6c6f6361",
        "6c301e170d3236313132373135313733375a170d3336313132343135313733375a3042310b3009060355040613024348",
        "31143012060355040a0c0b6965746677672074657374311d301b06035504030c14726573706f6e6465722e746573742e",
        "6c6f63616c3059301306072a8648ce3d020106082a8648ce3d03010703420004b098fd2d04ec001385936afae9c74862",
        "46c8045e96f6b29b1fdeca268131b7437482f5f9be09165bd710182d13e08dfd0d508ff079ad334186b572bcfbfd0bf9",
        "a3533051301d0603551d0e04160414057fda86b9b151e7557d66b37ad19acf2ebc29d1301f0603551d23041830168014",
        "057fda86b9b151e7557d66b37ad19acf2ebc29d1300f0603551d130101ff040530030101ff300a06082a8648ce3d0403",
        "02034700304402207a8083446892734681f276088712051869fc5d21c7782a8f0864397f401936b002203210425c19be",
        "ecaa3d14f1cf2f4dbacb408e3a231de2098f77e6aa63f9661092",
    ];

    #[test]
    fn x509_certificate_summary() {
        let der = hex::decode(CERT_DER_HEX.concat()).unwrap();
        let mut body = vec![4u8]; // Cert Encoding 4 = X.509 Certificate - Signature
        body.extend(&der); // Certificate Data
        let c = Cert::parse(&mut Reader::new(&body, 0)).unwrap();
        let x = c.x509.as_ref().unwrap();
        assert_eq!(x.subject, "C=CH, O=ietfwg test, CN=responder.test.local");
        assert_eq!(x.issuer, x.subject);
        assert_eq!(x.serial, "1234");
        let mut w = Writer::new();
        c.emit(&mut w);
        assert_eq!(w.buf, body);
        // Truncated DER: no summary, data kept.
        let c = Cert::parse(&mut Reader::new(&body[..100], 0)).unwrap();
        assert_eq!((c.x509, c.data.len()), (None, 99));
    }
}
