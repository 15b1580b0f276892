//! `ietfwg doh serve` started for a test: a zone written to a temporary directory, a port the
//! system picks, the self-signed certificate written beside it; killed on Drop.
#![allow(dead_code)]
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// The lab zone (`examples/lab.test.zone`): positive answers, a CNAME chain, a wildcard, a
/// delegation with glue, a name with a short TTL, and a TXT RRset over 512 octets.
pub const ZONE: &str = include_str!("../../../examples/lab.test.zone");

/// A running `ietfwg doh serve`.
#[derive(Debug)]
pub struct Serve {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
    /// The self-signed certificate (None with --http).
    pub cert: Option<PathBuf>,
    /// The stderr lines printed at start.
    pub banner: Vec<String>,
}

impl Serve {
    /// `https://localhost:PORT/dns-query` (or `http://` with --http).
    pub fn url(&self) -> String {
        let scheme = if self.cert.is_some() { "https" } else { "http" };
        format!("{scheme}://localhost:{}/dns-query", self.port)
    }

    pub fn cacert(&self) -> PathBuf {
        self.cert.clone().expect("a TLS server")
    }

    /// The access log (`--log` is always given).
    pub fn log(&self) -> PathBuf {
        self.dir.join("access.log")
    }

    /// SIGTERM, then the exit status and the rest of stderr.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("doh serve did not stop within 10 s of SIGTERM");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static N: AtomicUsize = AtomicUsize::new(0);

/// A fresh temporary directory.
pub fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "ietfwg-test-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Starts `ietfwg doh serve --zone ZONE --listen 127.0.0.1:0 --log DIR/access.log EXTRA…`
/// (or with `--upstream` when `extra` has it) and waits for its "listening on" line.
#[allow(clippy::zombie_processes)] // a server that fails to start ends the test
pub fn start(extra: &[&str]) -> Serve {
    let dir = tempdir("serve");
    let zone = dir.join("lab.zone");
    std::fs::write(&zone, ZONE).unwrap();
    let mut args: Vec<String> = vec!["doh".into(), "serve".into()];
    if !extra.contains(&"--upstream") {
        args.extend(["--zone".into(), zone.display().to_string()]);
    }
    args.extend([
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--log".into(),
        dir.join("access.log").display().to_string(),
        "--cert-dir".into(),
        dir.join("cert").display().to_string(),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_ietfwg"))
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ietfwg doh serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut banner = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|e| panic!("doh serve did not start ({e}): {banner:?}"));
        banner.push(line.clone());
        if let Some(rest) = line.strip_prefix("listening on ") {
            let port = rest
                .split(':')
                .nth(2)
                .and_then(|p| p.split('/').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("no port in {line:?}"));
            let cert = rest
                .starts_with("https")
                .then(|| dir.join("cert").join("cert.pem"));
            // Keep draining stderr so that the server never blocks on it.
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return Serve {
                child,
                port,
                dir,
                cert,
                banner,
            };
        }
    }
}
