//! A test CA and leaf certificates made with the `openssl` command at test time (RSA, ECDSA
//! P-256/P-384/P-521, Ed25519 and Ed448 leaves; the CA is ECDSA P-256), for IKEv2 certificate
//! authentication.
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
    /// ECDSA P-521.
    EcdsaP521,
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
}

impl KeyType {
    fn genpkey_args(self) -> &'static [&'static str] {
        match self {
            KeyType::Rsa => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            KeyType::EcdsaP256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyType::EcdsaP384 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            KeyType::EcdsaP521 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
            KeyType::Ed25519 => &["-algorithm", "ED25519"],
            KeyType::Ed448 => &["-algorithm", "ED448"],
        }
    }

    /// A short name for file names.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::EcdsaP256 => "p256",
            KeyType::EcdsaP384 => "p384",
            KeyType::EcdsaP521 => "p521",
            KeyType::Ed25519 => "ed25519",
            KeyType::Ed448 => "ed448",
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
        self.make_leaf(
            name,
            t,
            &format!("DNS:{name}"),
            format!("{name}-{}", t.name()),
        )
    }

    /// A leaf with subject CN=`name` whose subjectAltName is `san` (openssl syntax, e.g.
    /// `DNS:other.test.local`), e.g. one that does not name the identity a peer claims.
    pub fn leaf_with_san(&self, name: &str, t: KeyType, san: &str) -> Leaf {
        let tag: String = san
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.make_leaf(name, t, san, format!("{name}-{}-{tag}", t.name()))
    }

    fn make_leaf(&self, name: &str, t: KeyType, san: &str, base: String) -> Leaf {
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
                "subjectAltName={san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
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
