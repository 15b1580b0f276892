//! hypercorn serving DNS over HTTP/3 (RFC 9114, through aioquic) and HTTP/2 on loopback: an
//! HTTP/3 DoH server independent of `ietfwg`'s, for tests.
//!
//! ```text
//!  client ──DoH (h3, QUIC, UDP)──► hypercorn + python/doh_h3_app.py ──Do53──► BIND 9.18
//! ```
//!
//! The ASGI application (`test-support/python/doh_h3_app.py`) forwards each query unchanged to
//! a Do53 server (the [`Bind`](crate::dns_lab::Bind) lab server), so its answers are BIND's.
//! The certificate is made at start-up by [`make_certs`] (a CA and a leaf for `localhost` and
//! `127.0.0.1`). hypercorn, aioquic, dnspython and httpx come from PyPI (scripts/test installs
//! them); when they are missing `start()` skips with a notice, and panics under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::dns_lab::{free_port, make_certs, start_retrying, temp_dir, Certs, Daemon};
use crate::shared::{ci, program};

/// The Python modules the HTTP/3 peers need.
pub const PY_MODULES: &str = "hypercorn, aioquic, dns.query, httpx";

/// A running hypercorn. Stopped on Drop.
#[derive(Debug)]
pub struct Hypercorn {
    daemon: Daemon,
    certs: Certs,
    /// UDP port of the HTTP/3 (QUIC) listener.
    quic_port: u16,
    /// TCP port of the HTTP/1.1 and HTTP/2 listener.
    tcp_port: u16,
}

/// `python3`, when it and [`PY_MODULES`] are installed; None with a notice otherwise (a panic
/// under `CI=true`).
pub fn python_with_h3() -> Option<PathBuf> {
    let python = program("python3")?;
    let ok = Command::new(&python)
        .args(["-c", &format!("import {PY_MODULES}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    if ci() {
        panic!(
            "CI=true but the Python modules {PY_MODULES} are missing (scripts/test installs them)"
        );
    }
    eprintln!("notice: the Python modules {PY_MODULES} are not installed; skipping this test");
    None
}

impl Hypercorn {
    /// Starts hypercorn forwarding to the Do53 server on `127.0.0.1:upstream_port`, or None
    /// with a notice when Python or its modules are missing.
    pub fn start(upstream_port: u16) -> Option<Hypercorn> {
        let python = python_with_h3()?;
        let env = program("env")?;
        Some(start_retrying("hypercorn", || {
            Hypercorn::try_start(&env, &python, upstream_port)
        }))
    }

    fn try_start(env: &Path, python: &Path, upstream_port: u16) -> Result<Hypercorn, String> {
        let dir = temp_dir("hypercorn");
        let certs = make_certs(&dir);
        let (tcp_port, quic_port) = (free_port(false), free_port(true));
        let app_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("python");
        let upstream = format!("DOH_UPSTREAM_PORT={upstream_port}");
        let pythonpath = format!("PYTHONPATH={}", app_dir.display());
        let bind = format!("127.0.0.1:{tcp_port}");
        let quic_bind = format!("127.0.0.1:{quic_port}");
        let (cert, key) = (
            certs.chain.display().to_string(),
            certs.key.display().to_string(),
        );
        let python = python.display().to_string();
        let mut daemon = Daemon::spawn(
            "hypercorn",
            &dir,
            env,
            &[
                &upstream,
                &pythonpath,
                &python,
                "-m",
                "hypercorn",
                "--certfile",
                &cert,
                "--keyfile",
                &key,
                "--bind",
                &bind,
                "--quic-bind",
                &quic_bind,
                "--workers",
                "1",
                "--log-level",
                "info",
                "doh_h3_app:app",
            ],
        );
        let log_path = dir.join("hypercorn.log");
        daemon.wait_ready(|| {
            std::fs::read_to_string(&log_path).is_ok_and(|l| l.contains("(QUIC)"))
        })?;
        Ok(Hypercorn {
            daemon,
            certs,
            quic_port,
            tcp_port,
        })
    }

    /// `https://127.0.0.1:PORT/dns-query`, PORT being the QUIC listener's (UDP).
    pub fn h3_url(&self) -> String {
        format!("https://127.0.0.1:{}/dns-query", self.quic_port)
    }

    /// `https://127.0.0.1:PORT/dns-query` on the TCP listener (HTTP/2, HTTP/1.1).
    pub fn h2_url(&self) -> String {
        format!("https://127.0.0.1:{}/dns-query", self.tcp_port)
    }

    /// The CA certificate that signed hypercorn's.
    pub fn cacert(&self) -> PathBuf {
        self.certs.ca.clone()
    }

    /// hypercorn's output so far.
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}
