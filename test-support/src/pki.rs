//! A test CA and leaf certificates made with the `openssl` command at test time (RSA, ECDSA
//! P-256/P-384, Ed25519 leaves; the CA is ECDSA P-256), for IKEv2 certificate authentication.
//!
//! ```no_run
//! use ietfwg_test_support::pki::{Ca, KeyType};
//! let dir = std::env::temp_dir().join("pki");
//! let Some(ca) = Ca::new(&dir) else { return };
//! let leaf = ca.leaf("initiator.test.local", KeyType::Ed25519);
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

/// A leaf key type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// RSA 2048.
    Rsa,
    /// ECDSA P-256.
    EcdsaP256,
    /// ECDSA P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

impl KeyType {
    fn genpkey_args(self) -> &'static [&'static str] {
        match self {
            KeyType::Rsa => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            KeyType::EcdsaP256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyType::EcdsaP384 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            KeyType::Ed25519 => &["-algorithm", "ED25519"],
        }
    }

    /// A short name for file names.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::EcdsaP256 => "p256",
            KeyType::EcdsaP384 => "p384",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

/// A CA: `ca.pem` and `ca.key` in its directory.
#[derive(Debug, Clone)]
pub struct Ca {
    dir: PathBuf,
}

/// A leaf certificate (SAN DNS:name, CN=name) and its PKCS#8 key, both PEM.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// Certificate.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Ca {
    /// Makes a CA in `dir` (created). None, with a notice, without openssl (a panic under
    /// `CI=true`).
    pub fn new(dir: &Path) -> Option<Ca> {
        crate::shared::program("openssl")?;
        std::fs::create_dir_all(dir).expect("PKI directory");
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/O=ietfwg test/CN=ietfwg test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        Some(Ca {
            dir: dir.to_path_buf(),
        })
    }

    /// The CA certificate.
    pub fn cert(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A leaf for `name` with a key of type `t`, signed by this CA.
    pub fn leaf(&self, name: &str, t: KeyType) -> Leaf {
        let base = format!("{name}-{}", t.name());
        let key = format!("{base}.key");
        let csr = format!("{base}.csr");
        let crt = format!("{base}.pem");
        let ext = format!("{base}.ext");
        let mut args = vec!["genpkey"];
        args.extend(t.genpkey_args());
        args.extend(["-out", &key]);
        openssl(&self.dir, &args);
        let subj = format!("/O=ietfwg test/CN={name}");
        openssl(
            &self.dir,
            &["req", "-new", "-key", &key, "-subj", &subj, "-out", &csr],
        );
        std::fs::write(
            self.dir.join(&ext),
            format!(
                "subjectAltName=DNS:{name}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            ),
        )
        .expect("extension file");
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &ext,
                "-out",
                &crt,
            ],
        );
        Leaf {
            cert: self.dir.join(crt),
            key: self.dir.join(key),
        }
    }
}
