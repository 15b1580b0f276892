//! The server's certificate: PEM files given by the user, or a self-signed one made by rcgen
//! for the names the server listens on (written out, so that clients can trust it at once).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate chain and its key.
#[derive(Debug)]
pub struct Identity {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// The SPKI SHA-256 pin of the leaf, base64 (curl's `--pinnedpubkey sha256//…`).
    pub pin: String,
    /// Where the certificate is (the file to trust for a self-signed one).
    pub cert_path: PathBuf,
    /// Where the key is.
    pub key_path: PathBuf,
}

/// Reads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or SEC1).
pub fn load(cert: &Path, key: &Path) -> Result<Identity, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    let Some(leaf) = chain.first() else {
        return Err(format!("{}: no CERTIFICATE in it", cert.display()));
    };
    let pin = crate::client::spki_pin(leaf);
    let k = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    Ok(Identity {
        chain,
        key: k,
        pin,
        cert_path: cert.to_path_buf(),
        key_path: key.to_path_buf(),
    })
}

/// Makes a self-signed ECDSA P-256 certificate for `names` (DNS names and IP addresses) and
/// writes `cert.pem` and `key.pem` (mode 0600) into `dir`. It has `CA:TRUE`, so that it can
/// be given as the CA to trust (`ietfwg doh query --cacert`, `kdig +tls-ca=`, `curl --cacert`).
pub fn self_signed(names: &[String], dir: &Path) -> Result<Identity, String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut params =
        CertificateParams::new(names.to_vec()).map_err(|e| format!("certificate names: {e}"))?;
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().map(String::as_str).unwrap_or("localhost"),
    );
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(|e| format!("certificate key: {e}"))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("self-signed certificate: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.pem()).map_err(|e| format!("{}: {e}", cert_path.display()))?;
    write_private(&key_path, key.serialize_pem().as_bytes())?;
    let der = cert.der().clone();
    let pin = crate::client::spki_pin(&der);
    Ok(Identity {
        chain: vec![der],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        pin,
        cert_path,
        key_path,
    })
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    o.open(path)
        .and_then(|mut f| f.write_all(data))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// rustls's server configuration: TLS 1.2 and 1.3, the ring provider, ALPN `h2` then
/// `http/1.1` (RFC 8484 §5.2: HTTP/2 is the recommended minimum).
pub fn server_config(
    id: &Identity,
    http2: bool,
    http1: bool,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(id.chain.clone(), id.key.clone_key())
        .map_err(|e| format!("TLS: certificate {}: {e}", id.cert_path.display()))?;
    if http2 {
        cfg.alpn_protocols.push(b"h2".to_vec());
    }
    if http1 {
        cfg.alpn_protocols.push(b"http/1.1".to_vec());
    }
    Ok(Arc::new(cfg))
}
