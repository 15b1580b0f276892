//! A strongSwan charon IKEv2 responder in its own network namespace, for the IKEv2 tests.
//!
//! Each [`Responder`] gets:
//! - a network namespace of its own (`ip netns add ietfwg-sw-PID-N`), its loopback up: the
//!   responder listens on 127.0.0.1 (and ::1) UDP 500/4500 and nothing else can be reached;
//! - a private mount namespace with a tmpfs on `/run` (`unshare -m` + `mount -t tmpfs`), so
//!   several charons can run at once (each writes `/run/charon.pid`);
//! - its own directory with `strongswan.conf` (never `/etc`: `load_modular = no` and an explicit
//!   plugin list, `kernel-libipsec` for userspace ESP when asked), `swanctl.conf`, the VICI
//!   socket `swanctl` talks to, and charon's log (`ike = 4`: SKEYSEED, SK_* keys, nonces, DH
//!   values, as `pcaps/record-ikev2` records them).
//!
//! Everything (charon, captures) is stopped and the namespace deleted on `Drop`, also when a
//! test panics. Namespaces left behind by a killed test process are deleted by the next start.
//!
//! ```no_run
//! use ietfwg_test_support::strongswan::{Responder, ResponderConfig};
//! let Some(r) = Responder::start(ResponderConfig::default()) else { return };
//! let cap = r.capture(&std::env::temp_dir().join("x.pcap"));
//! let status = r.command("true").status().unwrap();
//! cap.stop();
//! ```

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::shared::ci;

/// The charon binary Debian's strongswan-charon installs.
pub const CHARON: &str = "/usr/lib/ipsec/charon";

/// Plugins every responder loads (crypto for every IKE algorithm strongSwan 5.9 offers, key
/// exchange MODP/ECP/Curve25519/Curve448, the socket and VICI). `md5`, `xcbc`, `cmac` give the
/// legacy integrity algorithms so that a responder can be configured with them.
const CRYPTO_PLUGINS: &str = "random nonce openssl aes des sha1 sha2 md5 hmac xcbc cmac gcm ccm ctr chapoly curve25519 gmp kdf pem pkcs1 pkcs8 x509 pubkey constraints";

/// The namespace name prefix: `IETFWG_NETNS_PREFIX` (default `ietfwg-`) and `sw-`; the owner's
/// PID follows, so stale ones can be recognised.
fn ns_prefix() -> String {
    let base = std::env::var("IETFWG_NETNS_PREFIX").unwrap_or_else(|_| "ietfwg-".into());
    format!("{base}sw-")
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// How the responder is configured. Start from `ResponderConfig::default()` and change fields.
#[derive(Debug, Clone)]
pub struct ResponderConfig {
    /// swanctl `proposals` of the IKE SA, e.g. `"aes256-sha256-modp2048,aes128gcm16-prfsha256-ecp256"`.
    pub ike_proposals: String,
    /// swanctl `esp_proposals` of the CHILD_SA.
    pub esp_proposals: String,
    /// The pre-shared key (both IDs: `%any`).
    pub psk: String,
    /// `Some(n)`: `charon.dos_protection = yes`, `cookie_threshold = n` and
    /// `cookie_threshold_ip = n` — the responder answers IKE_SA_INIT with N(COOKIE) (RFC 7296
    /// §2.6) once `n` IKE SAs are half open (`Some(1)`: from the second IKE_SA_INIT on while
    /// the first SA is half open). strongSwan reads 0 as "never" (the check is skipped), so
    /// `Some(0)` disables cookies. `None`: strongSwan's defaults (30, and 3 per IP; and at
    /// most 5 half-open SAs per IP, `block_threshold`).
    pub cookie_threshold: Option<u32>,
    /// `fragmentation = yes` on the connection (RFC 7383; `no` when false).
    pub fragmentation: bool,
    /// The CHILD_SA's `local_ts`.
    pub local_ts: String,
    /// The CHILD_SA's `remote_ts`.
    pub remote_ts: String,
    /// Load `kernel-libipsec` (userspace ESP: this kernel may have no ESP), so CHILD_SAs can
    /// be installed.
    pub libipsec: bool,
    /// Extra lines inside `charon { … }` of strongswan.conf (e.g. `block_threshold = 100`).
    pub charon_extra: String,
    /// Extra lines inside the connection of swanctl.conf (e.g. `unique = never`).
    pub conn_extra: String,
    /// Certificate authentication instead of the PSK (both directions: `auth = pubkey`).
    pub pubkey: Option<PubkeyAuth>,
    /// Extra sections inside `secrets { … }` of swanctl.conf (e.g. a `ppk` secret).
    pub secrets_extra: String,
}

/// Certificate authentication of a responder: absolute paths of PEM files.
#[derive(Debug, Clone)]
pub struct PubkeyAuth {
    /// The responder's certificate (its `local.certs`).
    pub cert: PathBuf,
    /// Its private key (a `private` secret).
    pub key: PathBuf,
    /// The CA the initiator's certificate must chain to (`remote.cacerts`).
    pub cacert: PathBuf,
    /// The responder's identity (`local.id`), contained in its certificate.
    pub id: String,
}

impl Default for ResponderConfig {
    fn default() -> Self {
        ResponderConfig {
            ike_proposals: "aes128-sha256-modp2048".into(),
            esp_proposals: "aes128gcm16".into(),
            psk: "ietfwg-test-psk".into(),
            cookie_threshold: None,
            fragmentation: true,
            local_ts: "127.0.0.0/24".into(),
            remote_ts: "127.0.0.0/24".into(),
            libipsec: true,
            charon_extra: String::new(),
            conn_extra: String::new(),
            pubkey: None,
            secrets_extra: String::new(),
        }
    }
}

/// A running charon responder in its own network namespace. Dropping it stops everything.
#[derive(Debug)]
pub struct Responder {
    ns: String,
    dir: PathBuf,
    charon: Option<Child>,
    ns_created: bool,
}

/// A tcpdump capture of the responder's loopback (all UDP). [`Capture::stop`] (or `Drop`)
/// ends it; the pcap then holds every packet.
#[derive(Debug)]
pub struct Capture {
    child: Option<Child>,
    path: PathBuf,
}

fn run_ok(cmd: &mut Command) -> Result<Output, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{cmd:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn is_root() -> bool {
    // `id -u` rather than a libc call: this crate has no unsafe code and no libc dependency.
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Skips (None, with a notice) or, under `CI=true`, fails.
fn unavailable(why: &str) -> Option<Responder> {
    if ci() {
        panic!("CI=true but the strongSwan responder cannot run: {why}");
    }
    eprintln!("notice: {why}; skipping this test");
    None
}

/// Deletes `ietfwg-sw-PID-*` namespaces whose process is gone (a test process that was killed
/// could not run its `Drop`).
fn delete_stale_namespaces() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(rest) = name.strip_prefix(ns_prefix().as_str()) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM (then SIGKILL after 5 s) and reap.
fn terminate(child: &mut Child, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let done = wait_until(Duration::from_secs(5), || {
        matches!(child.try_wait(), Ok(Some(_)) | Err(_))
    });
    if !done {
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Responder {
    /// Starts charon with `cfg` and loads the connection `resp`. None, with a notice, when not
    /// root or strongSwan is missing (a panic under `CI=true`); panics when charon does not
    /// come up (a broken lab is a failure, not a skip).
    pub fn start(cfg: ResponderConfig) -> Option<Responder> {
        if !is_root() {
            return unavailable("the strongSwan responder needs root (network namespaces)");
        }
        if !Path::new(CHARON).is_file() {
            return unavailable(&format!(
                "{CHARON} is not installed (strongswan-charon; scripts/test installs it)"
            ));
        }
        for p in ["swanctl", "ip", "unshare"] {
            crate::shared::program(p)?;
        }
        delete_stale_namespaces();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let ns = format!("{}{}-{n}", ns_prefix(), std::process::id());
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "ietfwg-swan-{}-{n}-{nanos:08x}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("responder directory");
        let mut r = Responder {
            ns,
            dir,
            charon: None,
            ns_created: false,
        };
        if let Err(e) = r.boot(&cfg) {
            let log = r.log();
            let stdout = fs::read_to_string(r.dir.join("charon.stdout")).unwrap_or_default();
            drop(r);
            panic!("strongSwan responder did not start: {e}\n--- charon output:\n{stdout}\n--- charon log:\n{log}");
        }
        Some(r)
    }

    fn boot(&mut self, cfg: &ResponderConfig) -> Result<(), String> {
        fs::write(self.dir.join("strongswan.conf"), self.strongswan_conf(cfg))
            .map_err(|e| e.to_string())?;
        fs::write(self.dir.join("swanctl.conf"), swanctl_conf(cfg)).map_err(|e| e.to_string())?;
        // swanctl loads private keys only from its folders (`private/`… beside the file given
        // with --file), never from a path in swanctl.conf.
        let private = self.dir.join("private");
        fs::create_dir_all(&private).map_err(|e| e.to_string())?;
        if let Some(p) = &cfg.pubkey {
            fs::copy(&p.key, private.join("responder.key")).map_err(|e| e.to_string())?;
        }
        run_ok(Command::new("ip").args(["netns", "add", &self.ns]))?;
        self.ns_created = true;
        run_ok(Command::new("ip").args(["-n", &self.ns, "link", "set", "lo", "up"]))?;
        let stdout = fs::File::create(self.dir.join("charon.stdout")).map_err(|e| e.to_string())?;
        let stderr = stdout.try_clone().map_err(|e| e.to_string())?;
        // ip netns exec → unshare → sh → charon all exec(): the child's PID is charon's.
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns,
                "unshare",
                "-m",
                "--propagation",
                "private",
            ])
            .args([
                "sh",
                "-c",
                "mount -t tmpfs ietfwg-run /run && exec \"$0\"",
                CHARON,
            ])
            .env("STRONGSWAN_CONF", self.dir.join("strongswan.conf"))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start charon: {e}"))?;
        self.charon = Some(child);
        let vici = self.dir.join("charon.vici");
        let charon = self.charon.as_mut().ok_or("no charon")?;
        let up = wait_until(Duration::from_secs(20), || {
            vici.exists() || matches!(charon.try_wait(), Ok(Some(_)))
        });
        if !up || !vici.exists() {
            return Err("charon's VICI socket did not appear".into());
        }
        // swanctl answers once charon has opened the socket and runs its threads
        let answered = wait_until(Duration::from_secs(20), || {
            self.swanctl(&["--stats"]).status.success()
        });
        if !answered {
            return Err("swanctl --stats gets no answer".into());
        }
        let conf = self.dir.join("swanctl.conf");
        let out = self.swanctl(&["--load-all", "--file", &conf.to_string_lossy()]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // swanctl --load-all exits 0 even on a config syntax error: look for the line
        if !out.status.success() || !text.contains("loaded connection 'resp'") {
            return Err(format!("swanctl --load-all: {text}"));
        }
        Ok(())
    }

    fn strongswan_conf(&self, cfg: &ResponderConfig) -> String {
        let mut plugins = CRYPTO_PLUGINS.to_string();
        if cfg.libipsec {
            plugins.push_str(" kernel-libipsec");
        }
        plugins.push_str(" kernel-netlink socket-default vici");
        let cookie = match cfg.cookie_threshold {
            Some(n) => format!(
                "  dos_protection = yes\n  cookie_threshold = {n}\n  cookie_threshold_ip = {n}\n"
            ),
            None => String::new(),
        };
        let dir = self.dir.display();
        format!(
            "# strongswan.conf of an ietfwg test responder (written by test-support)\n\
charon {{\n  port = 500\n  port_nat_t = 4500\n  install_routes = no\n  install_virtual_ip = no\n\
  retransmit_tries = 2\n  load_modular = no\n  load = {plugins}\n\
  plugins {{\n    vici {{\n      socket = unix://{dir}/charon.vici\n    }}\n  }}\n\
{cookie}{extra}\n\
  filelog {{\n    log {{\n      path = {dir}/charon.log\n      time_format = %T\n      time_add_ms = yes\n\
      ike_name = yes\n      append = no\n      flush_line = yes\n      default = 1\n      ike = 4\n\
      net = 2\n      enc = 2\n      cfg = 2\n    }}\n  }}\n\
  syslog {{\n    daemon {{\n      default = -1\n    }}\n  }}\n}}\n\
swanctl {{\n  load = pem pkcs1 pkcs8 x509 pubkey openssl random\n}}\n",
            extra = cfg.charon_extra,
        )
    }

    /// The namespace's name (for `ip netns exec`).
    pub fn netns(&self) -> &str {
        &self.ns
    }

    /// Where the responder listens: 127.0.0.1:500 inside [`Responder::netns`].
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 500)
    }

    /// The responder's working directory (configs, `charon.log`, the VICI socket).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `ip netns exec NS program`: add arguments and run it inside the responder's namespace.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns]).arg(program);
        c
    }

    /// `swanctl ARGS` against this charon's VICI socket (with its strongswan.conf).
    pub fn swanctl(&self, args: &[&str]) -> Output {
        let uri = format!("unix://{}", self.dir.join("charon.vici").display());
        Command::new("swanctl")
            .args(args)
            .args(["--uri", &uri])
            .env("STRONGSWAN_CONF", self.dir.join("strongswan.conf"))
            .stdin(Stdio::null())
            .output()
            .expect("swanctl runs")
    }

    /// Starts `tcpdump -U -i lo -w PCAP udp` in the namespace and returns once it listens.
    pub fn capture(&self, pcap: &Path) -> Capture {
        Capture::start(self.command("tcpdump"), &["-i", "lo"], pcap)
    }

    /// charon's log so far (`ike = 4`, `net`/`enc`/`cfg` = 2).
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = fs::File::open(self.dir.join("charon.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }
}

fn swanctl_conf(cfg: &ResponderConfig) -> String {
    let frag = if cfg.fragmentation { "yes" } else { "no" };
    let (local, remote, key) = match &cfg.pubkey {
        None => (
            "      auth = psk\n      id = responder@test.local\n".to_string(),
            "      auth = psk\n      id = %any\n".to_string(),
            String::new(),
        ),
        Some(p) => (
            format!(
                "      auth = pubkey\n      certs = {}\n      id = {}\n",
                p.cert.display(),
                p.id
            ),
            format!(
                "      auth = pubkey\n      cacerts = {}\n      id = %any\n",
                p.cacert.display()
            ),
            // the key itself is copied into private/ by `boot`
            String::new(),
        ),
    };
    format!(
        "# swanctl.conf of an ietfwg test responder (written by test-support)\n\
connections {{\n  resp {{\n    version = 2\n    local_addrs = 127.0.0.1, ::1\n    remote_addrs = %any\n\
    proposals = {ike}\n    fragmentation = {frag}\n{extra}\n\
    local {{\n{local}    }}\n\
    remote {{\n{remote}    }}\n\
    children {{\n      child {{\n        mode = tunnel\n        local_ts = {lts}\n        remote_ts = {rts}\n\
        esp_proposals = {esp}\n        start_action = none\n      }}\n    }}\n  }}\n}}\n\
secrets {{\n  ike-psk {{\n    secret = \"{psk}\"\n  }}\n{key}{secrets}}}\n",
        ike = cfg.ike_proposals,
        esp = cfg.esp_proposals,
        lts = cfg.local_ts,
        rts = cfg.remote_ts,
        psk = cfg.psk,
        extra = cfg.conn_extra,
        secrets = cfg.secrets_extra,
    )
}

impl Drop for Responder {
    fn drop(&mut self) {
        if let Some(mut c) = self.charon.take() {
            terminate(&mut c, "-TERM");
        }
        if self.ns_created {
            // processes still in the namespace (a capture not stopped, a probe left running)
            if let Ok(out) = Command::new("ip")
                .args(["netns", "pids", &self.ns])
                .output()
            {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-KILL", pid]).status();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
        }
        if std::env::var_os("IETFWG_KEEP_LAB").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

impl Capture {
    /// Starts `tcpdump` (the command given, e.g. wrapped in `ip netns exec`) with `iface`
    /// (`-i lo`) writing all UDP to `pcap`, and returns once it listens.
    pub fn start(mut tcpdump: Command, iface: &[&str], pcap: &Path) -> Capture {
        let err_path = pcap.with_extension("tcpdump-err");
        let err = fs::File::create(&err_path).expect("tcpdump stderr file");
        let child = tcpdump
            .args(["-Z", "root"])
            .args(iface)
            .args(["-n", "-U", "--immediate-mode"])
            .args(["-s", "65535", "-w"])
            .arg(pcap)
            .arg("udp")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .expect("tcpdump starts");
        let cap = Capture {
            child: Some(child),
            path: pcap.to_path_buf(),
        };
        let listening = wait_until(Duration::from_secs(10), || {
            fs::read_to_string(&err_path).is_ok_and(|s| s.contains("listening on"))
        });
        if !listening {
            let msg = fs::read_to_string(&err_path).unwrap_or_default();
            cap.stop();
            panic!("tcpdump did not start: {msg}");
        }
        let _ = fs::remove_file(&err_path);
        cap
    }

    /// SIGINT to tcpdump and wait for it: the pcap is then complete. Returns its path.
    pub fn stop(mut self) -> PathBuf {
        self.finish();
        self.path.clone()
    }

    /// The pcap being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn finish(&mut self) {
        if let Some(mut c) = self.child.take() {
            // -U --immediate-mode: every packet seen is already written; a short pause lets
            // the last ones on loopback reach the ring before SIGINT.
            std::thread::sleep(Duration::from_millis(300));
            terminate(&mut c, "-INT");
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn netns_exists(name: &str) -> bool {
        let out = Command::new("ip").args(["netns", "list"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.split_whitespace().next() == Some(name))
    }

    #[test]
    fn starts_loads_the_connection_and_cleans_up() {
        let cfg = ResponderConfig {
            ike_proposals: "aes256-sha256-modp2048,aes128gcm16-prfsha256-ecp256".into(),
            ..ResponderConfig::default()
        };
        let Some(r) = Responder::start(cfg) else {
            return;
        };
        let ns = r.netns().to_string();
        let dir = r.dir().to_path_buf();
        assert!(netns_exists(&ns));
        let out = r.swanctl(&["--list-conns"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("resp: IKEv2"), "{text}");
        // charon listens on UDP 500 inside the namespace, not outside
        let ss = r.command("ss").args(["-Hunl"]).output().unwrap();
        let ss = String::from_utf8_lossy(&ss.stdout);
        assert!(ss.contains(":500 "), "{ss}");
        assert!(r.log().contains("loaded"), "{}", r.log());
        drop(r);
        assert!(!netns_exists(&ns), "namespace {ns} left behind");
        assert!(!dir.exists());
    }

    #[test]
    fn two_responders_run_at_once_and_capture_sees_traffic() {
        let Some(a) = Responder::start(ResponderConfig::default()) else {
            return;
        };
        let b = Responder::start(ResponderConfig {
            cookie_threshold: Some(1),
            fragmentation: false,
            ..ResponderConfig::default()
        })
        .unwrap();
        assert_ne!(a.netns(), b.netns());
        assert!(b.swanctl(&["--list-conns"]).status.success());
        assert!(fs::read_to_string(b.dir().join("strongswan.conf"))
            .unwrap()
            .contains("cookie_threshold = 1"));
        // a datagram to the responder shows in the capture (and charon logs it as garbage)
        let pcap = a.dir().join("t.pcap");
        let cap = a.capture(&pcap);
        let sent = a
            .command("bash")
            .args(["-c", "printf 'hello' > /dev/udp/127.0.0.1/500"])
            .status()
            .unwrap();
        assert!(sent.success());
        let path = cap.stop();
        let bytes = fs::read(&path).unwrap();
        assert!(bytes.len() > 24 + 16, "capture holds no packet");
        assert!(bytes.windows(5).any(|w| w == b"hello"));
    }

    #[test]
    fn panicking_test_still_deletes_the_namespace() {
        let Some(r) = Responder::start(ResponderConfig::default()) else {
            return;
        };
        let ns = r.netns().to_string();
        let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _r = r;
            panic!("test failure");
        }));
        assert!(res.is_err());
        assert!(!netns_exists(&ns));
    }
}
