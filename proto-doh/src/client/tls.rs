//! TLS for the client: trust anchors (system roots, webpki-roots as a fallback, or a
//! `--cacert` bundle), the `--insecure` verifier, failures in plain words, and what
//! `--tls` reports about the session and the server's chain.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, DigitallySignedStruct, SignatureScheme};
use sha2::Digest as _;

use super::{ClientError, HttpVersion};

/// The negotiated TLS session and the server's certificate chain (`--tls`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TlsInfo {
    /// "TLSv1.3" or "TLSv1.2".
    pub version: String,
    /// IANA name: "TLS_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", …;
    /// over HTTP/3 read from the QUIC connection's ServerHello (empty until it has come).
    pub cipher_suite: String,
    /// The protocol the server selected by ALPN (RFC 7301): "h2", "http/1.1", "h3", or none.
    pub alpn: Option<String>,
    /// The name the certificate was checked against (and sent as SNI unless an IP address).
    pub server_name: String,
    /// False with `--insecure`: the chain below was not verified.
    pub verified: bool,
    /// As the server sent it, leaf first.
    pub chain: Vec<CertInfo>,
    /// base64 of the SHA-256 of the leaf's SubjectPublicKeyInfo, as in HPKP (RFC 7469 §2.4)
    /// and curl's `--pinnedpubkey sha256//…`.
    pub spki_sha256: String,
}

/// One certificate of the server's chain.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CertInfo {
    /// Distinguished name, RFC 4514 style: "CN=localhost".
    pub subject: String,
    /// Distinguished name of the issuer.
    pub issuer: String,
    /// subjectAltName entries: DNS names and IP addresses as text, others tagged ("URI:…").
    pub sans: Vec<String>,
    /// RFC 3339, UTC.
    pub not_before: String,
    /// RFC 3339, UTC.
    pub not_after: String,
}

/// The end-entity certificate the verifier last saw, kept so that a failure can name what
/// the server presented (its names, its issuer).
pub(crate) type Seen = Arc<Mutex<Option<CertificateDer<'static>>>>;

/// The rustls configuration for one connection, and the slot where the verifier keeps the
/// leaf it was shown.
pub(crate) struct Built {
    pub config: Arc<rustls::ClientConfig>,
    pub seen: Seen,
    /// The session cache, which counts the TLS 1.3 tickets it received.
    pub sessions: Arc<Sessions>,
}

/// rustls's in-memory session cache, counting the TLS 1.3 tickets stored in it, so that a
/// caller opening several connections can wait for the first one's ticket before opening the
/// others (which then resume, RFC 8446 §2.2).
#[derive(Debug)]
pub(crate) struct Sessions {
    inner: rustls::client::ClientSessionMemoryCache,
    tickets: std::sync::atomic::AtomicU64,
    arrived: tokio::sync::Notify,
}

impl Sessions {
    fn new() -> Sessions {
        Sessions {
            inner: rustls::client::ClientSessionMemoryCache::new(256),
            tickets: std::sync::atomic::AtomicU64::new(0),
            arrived: tokio::sync::Notify::new(),
        }
    }

    /// Waits until at least one ticket has been stored, or `limit`.
    pub(crate) async fn wait_ticket(&self, limit: std::time::Duration) {
        let _ = tokio::time::timeout(limit, async {
            loop {
                let notified = self.arrived.notified();
                if self.tickets.load(std::sync::atomic::Ordering::Acquire) > 0 {
                    return;
                }
                notified.await;
            }
        })
        .await;
    }
}

impl rustls::client::ClientSessionStore for Sessions {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: rustls::NamedGroup) {
        self.inner.set_kx_hint(server_name, group)
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<rustls::NamedGroup> {
        self.inner.kx_hint(server_name)
    }

    fn set_tls12_session(
        &self,
        server_name: ServerName<'static>,
        value: rustls::client::Tls12ClientSessionValue,
    ) {
        self.inner.set_tls12_session(server_name, value);
        self.tickets
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.arrived.notify_waiters();
    }

    fn tls12_session(
        &self,
        server_name: &ServerName<'_>,
    ) -> Option<rustls::client::Tls12ClientSessionValue> {
        self.inner.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.inner.remove_tls12_session(server_name)
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: rustls::client::Tls13ClientSessionValue,
    ) {
        self.inner.insert_tls13_ticket(server_name, value);
        self.tickets
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        self.arrived.notify_waiters();
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        self.inner.take_tls13_ticket(server_name)
    }
}

pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Client configuration: ALPN offers only the asked protocol (RFC 8484 §5.2 recommends
/// HTTP/2; `--http1.1` asks for "http/1.1").
pub(crate) fn build(
    cacert: Option<&Path>,
    insecure: bool,
    http: HttpVersion,
) -> Result<Built, ClientError> {
    let provider = provider();
    let seen: Seen = Arc::new(Mutex::new(None));
    let verifier: Arc<dyn ServerCertVerifier> = if insecure {
        Arc::new(NoVerification(provider.clone()))
    } else {
        let (roots, pinned) = roots(cacert)?;
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| ClientError::TlsConfig {
                reason: e.to_string(),
            })?;
        Arc::new(Recording {
            inner,
            pinned,
            seen: seen.clone(),
        })
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::TlsConfig {
            reason: e.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![http.alpn().as_bytes().to_vec()];
    let sessions = Arc::new(Sessions::new());
    config.resumption = rustls::client::Resumption::store(sessions.clone());
    Ok(Built {
        config: Arc::new(config),
        seen,
        sessions,
    })
}

/// `--cacert FILE` replaces the system roots; without it the system store, or the Mozilla
/// roots of webpki-roots when the system has none. Also returns the `--cacert` certificates
/// themselves (see [`Recording`]).
fn roots(
    cacert: Option<&Path>,
) -> Result<(rustls::RootCertStore, Vec<CertificateDer<'static>>), ClientError> {
    let mut store = rustls::RootCertStore::empty();
    let mut pinned = Vec::new();
    if let Some(path) = cacert {
        let ca_err = |reason: String| ClientError::CaFile {
            path: path.to_path_buf(),
            reason,
        };
        let iter = CertificateDer::pem_file_iter(path).map_err(|e| ca_err(pem_reason(&e)))?;
        let mut n = 0usize;
        for (i, cert) in iter.enumerate() {
            let cert = cert.map_err(|e| ca_err(pem_reason(&e)))?;
            pinned.push(cert.clone());
            store
                .add(cert)
                .map_err(|e| ca_err(format!("certificate #{} is not usable: {e}", i + 1)))?;
            n += 1;
        }
        if n == 0 {
            return Err(ca_err(
                "holds no PEM \"CERTIFICATE\" block (a PEM bundle of CA certificates is expected)"
                    .into(),
            ));
        }
        return Ok((store, pinned));
    }
    let native = rustls_native_certs::load_native_certs();
    store.add_parsable_certificates(native.certs);
    if store.is_empty() {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    Ok((store, pinned))
}

fn pem_reason(e: &rustls::pki_types::pem::Error) -> String {
    match e {
        rustls::pki_types::pem::Error::Io(io) => io.to_string(),
        other => format!("not a PEM file: {other:?}"),
    }
}

/// The WebPKI verifier, remembering the leaf it was shown.
///
/// One exception to WebPKI: a server certificate that is itself, byte for byte, in the
/// `--cacert` file is trusted even when it says `CA:TRUE` — what `openssl req -x509` makes by
/// default, and what curl, kdig and dig accept when given it as the trusted certificate.
/// Its name and validity period are still checked.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    seen: Seen,
}

impl Recording {
    fn pinned_self(
        &self,
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        let (_, x) = x509_parser::parse_x509_certificate(end_entity.as_ref())
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if now_secs < x.validity().not_before.timestamp() {
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet,
            ));
        }
        if now_secs > x.validity().not_after.timestamp() {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
        }
        Ok(ServerCertVerified::assertion())
    }
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut slot) = self.seen.lock() {
            *slot = Some(end_entity.clone().into_owned());
        }
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verdict {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(_)))
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                self.pinned_self(end_entity, server_name, now)
            }
            v => v,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `--insecure`: any certificate for any name is accepted. The handshake signatures are
/// still checked, so the peer holds the key of the certificate it shows.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A failed handshake in plain words, with what to do about it.
pub(crate) fn handshake_error(
    err: &std::io::Error,
    addr: SocketAddr,
    host: &str,
    name: &str,
    http: HttpVersion,
    seen: &Seen,
) -> ClientError {
    let leaf = seen.lock().ok().and_then(|s| s.clone());
    let leaf_info = leaf.as_ref().map(|c| cert_info(c));
    let reason = match err.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(ce)) => certificate_reason(ce, name, leaf_info),
        Some(rustls::Error::AlertReceived(AlertDescription::NoApplicationProtocol))
        | Some(rustls::Error::NoApplicationProtocol) => match http {
            HttpVersion::Http2 => "the server does not offer HTTP/2 (it refused ALPN \"h2\") — try --http1.1".to_string(),
            HttpVersion::Http11 => "the server does not offer HTTP/1.1 (it refused ALPN \"http/1.1\") — drop --http1.1 to use HTTP/2".to_string(),
            HttpVersion::Http3 => "the server does not offer HTTP/3 (it refused ALPN \"h3\") — drop --http3 to use HTTP/2".to_string(),
        },
        Some(rustls::Error::AlertReceived(alert)) => {
            format!("the server refused the handshake with alert {alert:?}")
        }
        Some(rustls::Error::InvalidMessage(_)) => {
            "the server does not answer with TLS — is it a cleartext port (then use http://)?"
                .to_string()
        }
        Some(other) => format!("handshake failed: {other}"),
        None => match err.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                "the server closed the connection during the handshake".to_string()
            }
            _ => format!("handshake failed: {err}"),
        },
    };
    ClientError::Tls {
        addr,
        host: host.to_string(),
        reason,
    }
}

/// [`certificate_reason`] from rustls's error as text: quinn reports a certificate the
/// verifier rejected only as its message ("invalid peer certificate: UnknownIssuer").
pub(crate) fn certificate_reason_text(text: &str, name: &str, seen: &Seen) -> String {
    let leaf = seen.lock().ok().and_then(|s| s.clone());
    let leaf_info = leaf.as_ref().map(|c| cert_info(c));
    let ce = if text.contains("UnknownIssuer") {
        CertificateError::UnknownIssuer
    } else if text.contains("NotValidForName") {
        CertificateError::NotValidForName
    } else if text.contains("Expired") {
        CertificateError::Expired
    } else if text.contains("NotValidYet") {
        CertificateError::NotValidYet
    } else if text.contains("BadSignature") {
        CertificateError::BadSignature
    } else if text.contains("CaUsedAsEndEntity") {
        return match leaf_info {
            Some(l) if l.subject == l.issuer => format!(
                "certificate for {name} is not trusted: it is self-signed ({}, CA:TRUE) — pass --cacert FILE with this very certificate, or --insecure",
                l.subject
            ),
            _ => format!("certificate for {name} was rejected: {text}"),
        };
    } else {
        return format!("certificate for {name} was rejected: {text}");
    };
    certificate_reason(&ce, name, leaf_info)
}

fn certificate_reason(ce: &CertificateError, name: &str, leaf: Option<CertInfo>) -> String {
    let issuer = leaf
        .as_ref()
        .map(|l| format!(" (issuer: {})", l.issuer))
        .unwrap_or_default();
    match ce {
        CertificateError::UnknownIssuer => format!(
            "certificate for {name} is not trusted: UnknownIssuer{issuer} — pass --cacert FILE with the issuing CA, or --insecure"
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let names = match leaf {
                Some(l) if !l.sans.is_empty() => l.sans.join(", "),
                Some(l) => format!("no name (subject {}, no subjectAltName)", l.subject),
                None => "other names".to_string(),
            };
            format!(
                "certificate is valid for {names}, not for {name} — connect with a name it carries (--tls-name NAME, or --resolve NAME:IP), or --insecure"
            )
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let when = leaf.map(|l| format!(" on {}", l.not_after)).unwrap_or_default();
            format!("certificate for {name} expired{when} — check the server's certificate and this machine's clock")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            let when = leaf.map(|l| format!(" before {}", l.not_before)).unwrap_or_default();
            format!("certificate for {name} is not valid{when} — check the server's certificate and this machine's clock")
        }
        CertificateError::BadSignature => {
            format!("certificate for {name} has a bad signature{issuer}")
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            format!("certificate for {name} is not for TLS server authentication (extendedKeyUsage)")
        }
        CertificateError::Other(e) if format!("{e:?}").contains("CaUsedAsEndEntity") => {
            match leaf {
                Some(l) if l.subject == l.issuer => format!(
                    "certificate for {name} is not trusted: it is self-signed ({}, CA:TRUE) — pass --cacert FILE with this very certificate, or --insecure",
                    l.subject
                ),
                _ => format!(
                    "certificate for {name} is a CA certificate (basicConstraints CA:TRUE) used as the server's own{issuer} — pass --cacert FILE with this very certificate, or --insecure"
                ),
            }
        }
        other => format!("certificate for {name} was rejected: {other}"),
    }
}

/// What `--tls` shows about an established session.
pub(crate) fn session_info(
    conn: &rustls::ClientConnection,
    server_name: &str,
    verified: bool,
) -> TlsInfo {
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2".to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    };
    let cipher_suite = conn
        .negotiated_cipher_suite()
        .map(|s| iana_suite_name(&format!("{:?}", s.suite())))
        .unwrap_or_default();
    let alpn = conn
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let certs = conn.peer_certificates().unwrap_or(&[]);
    let chain = certs.iter().map(cert_info).collect();
    let spki_sha256 = certs.first().map(spki_pin).unwrap_or_default();
    TlsInfo {
        version,
        cipher_suite,
        alpn,
        server_name: server_name.to_string(),
        verified,
        chain,
        spki_sha256,
    }
}

/// rustls names TLS 1.3 suites "TLS13_…"; IANA's registry says "TLS_…".
pub(crate) fn iana_suite_name(debug: &str) -> String {
    match debug.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => debug.to_string(),
    }
}

/// base64(SHA-256(SubjectPublicKeyInfo)) of a certificate, or empty when it does not parse.
pub fn spki_pin(cert: &CertificateDer<'_>) -> String {
    match x509_parser::parse_x509_certificate(cert.as_ref()) {
        Ok((_, x)) => base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(x.tbs_certificate.subject_pki.raw)),
        Err(_) => String::new(),
    }
}

/// Subject, issuer, names and validity of one certificate.
pub fn cert_info(cert: &CertificateDer<'_>) -> CertInfo {
    use x509_parser::extensions::GeneralName;
    let (_, x) = match x509_parser::parse_x509_certificate(cert.as_ref()) {
        Ok(v) => v,
        Err(e) => {
            return CertInfo {
                subject: format!("(certificate does not parse: {e})"),
                issuer: String::new(),
                sans: Vec::new(),
                not_before: String::new(),
                not_after: String::new(),
            }
        }
    };
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = x.subject_alternative_name() {
        for gn in &ext.value.general_names {
            sans.push(match gn {
                GeneralName::DNSName(s) => (*s).to_string(),
                GeneralName::IPAddress(b) => ip_text(b),
                GeneralName::RFC822Name(s) => format!("email:{s}"),
                GeneralName::URI(s) => format!("URI:{s}"),
                GeneralName::DirectoryName(n) => format!("DirName:{n}"),
                other => format!("{other:?}"),
            });
        }
    }
    CertInfo {
        subject: x.subject().to_string(),
        issuer: x.issuer().to_string(),
        sans,
        not_before: rfc3339(x.validity().not_before.timestamp()),
        not_after: rfc3339(x.validity().not_after.timestamp()),
    }
}

fn ip_text(b: &[u8]) -> String {
    match b.len() {
        4 => std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => format!("IP:{}", hex::encode(b)),
    }
}

/// Unix seconds as RFC 3339 UTC ("2026-11-27T17:26:09Z"). Written here (Howard Hinnant's
/// days-to-civil algorithm) rather than enabling the `time` crate's formatting for one line.
pub(crate) fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_800_369), "2026-11-27T17:26:09Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn suite_names_follow_iana() {
        assert_eq!(
            iana_suite_name("TLS13_AES_128_GCM_SHA256"),
            "TLS_AES_128_GCM_SHA256"
        );
        assert_eq!(
            iana_suite_name("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
        );
    }
}
