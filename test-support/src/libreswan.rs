//! A libreswan 4.10 `pluto` IKEv2 responder, the second implementation the IKEv2 tests talk to.
//!
//! Facts this follows (as `../shared/lab/libreswan/run-pluto.sh` found them on this kind of
//! machine):
//! - Debian's `libreswan` package conflicts with strongSwan (installing it removes
//!   strongswan-charon): its .deb is only downloaded (`apt-get download`, once, into
//!   `$TMPDIR/ietfwg-libreswan-deb`, or `IETFWG_LIBRESWAN_DEB` naming a .deb) and unpacked
//!   into the lab's directory; its shared libraries (libnss3, libunbound8, libldns3,
//!   libevent…) and `certutil`/`pk12util` (libnss3-tools) are ordinary packages that
//!   `scripts/test` installs.
//! - pluto runs `/usr/libexec/ipsec/addconn` by absolute path: it runs in a private mount
//!   namespace with the unpacked `usr/libexec` bind-mounted over `/usr/libexec`.
//! - pluto 4.10 aborts when initiator and responder are both on `lo`: the responder lives in
//!   a network namespace of its own (192.0.2.1) joined by a veth pair to a second namespace
//!   (192.0.2.2) where the initiator — the binary under test — runs.
//!
//! Everything is stopped and both namespaces deleted on `Drop`.

use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::shared::ci;
use crate::strongswan::Capture;

/// The namespace name prefix: `IETFWG_NETNS_PREFIX` (default `ietfwg-`) and `lsw-`; the owner's
/// PID follows, so stale ones can be recognised.
fn ns_prefix() -> String {
    let base = std::env::var("IETFWG_NETNS_PREFIX").unwrap_or_else(|_| "ietfwg-".into());
    format!("{base}lsw-")
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The responder's address (inside its namespace).
pub const RESPONDER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The initiator's address (inside [`Pluto::command`]'s namespace).
pub const INITIATOR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);

/// How pluto authenticates.
#[derive(Debug, Clone)]
pub enum LswAuth {
    /// A pre-shared key; IDs `@responder.test.local` / `@initiator.test.local`.
    Psk(String),
    /// Certificates (PEM paths): the responder's own, its key, and the CA that certifies
    /// initiators; IDs from the certificates (`%fromcert`).
    Cert {
        /// The responder's certificate.
        cert: PathBuf,
        /// Its private key.
        key: PathBuf,
        /// The CA.
        cacert: PathBuf,
    },
}

/// The responder's configuration.
#[derive(Debug, Clone)]
pub struct LswConfig {
    /// `ike=` (libreswan syntax).
    pub ike: String,
    /// `esp=`.
    pub esp: String,
    /// Authentication.
    pub auth: LswAuth,
    /// Extra lines inside the conn.
    pub conn_extra: String,
    /// Extra lines of ipsec.secrets (e.g. a `PPKS` entry).
    pub secrets_extra: String,
    /// `plutodebug=` (`all`; `all,private` also logs the IKE and CHILD_SA keys).
    pub plutodebug: String,
}

impl Default for LswConfig {
    fn default() -> Self {
        LswConfig {
            ike: "aes128-sha2_256;modp2048,aes256-sha2_256;modp2048".into(),
            esp: "aes_gcm256,aes256-sha2_256,aes128-sha2_256".into(),
            auth: LswAuth::Psk("ietfwg-test-psk".into()),
            conn_extra: String::new(),
            secrets_extra: String::new(),
            plutodebug: "all".into(),
        }
    }
}

/// A running pluto. Dropping it stops pluto and deletes the namespaces.
#[derive(Debug)]
pub struct Pluto {
    ns_r: String,
    ns_i: String,
    dir: PathBuf,
    pluto: Option<Child>,
    created: Vec<String>,
    /// The initiator's end of the veth pair (in its namespace).
    veth_i: String,
}

fn run_ok(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn unavailable(why: &str) -> Option<Pluto> {
    if ci() {
        panic!("CI=true but the libreswan responder cannot run: {why}");
    }
    eprintln!("notice: {why}; skipping this test");
    None
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The libreswan .deb: `IETFWG_LIBRESWAN_DEB`, or downloaded once with `apt-get download`.
fn deb() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("IETFWG_LIBRESWAN_DEB") {
        return Ok(PathBuf::from(p));
    }
    let cache = std::env::temp_dir().join("ietfwg-libreswan-deb");
    let find = |d: &Path| -> Option<PathBuf> {
        fs::read_dir(d).ok()?.filter_map(|e| e.ok()).find_map(|e| {
            let p = e.path();
            let n = p.file_name()?.to_str()?.to_owned();
            (n.starts_with("libreswan_") && n.ends_with(".deb")).then_some(p)
        })
    };
    if let Some(p) = find(&cache) {
        return Ok(p);
    }
    fs::create_dir_all(&cache).map_err(|e| e.to_string())?;
    // a private folder first, renamed into place: two tests downloading at once never see a
    // half-written .deb
    let part = cache.join(format!("part-{}", std::process::id()));
    fs::create_dir_all(&part).map_err(|e| e.to_string())?;
    run_ok(
        Command::new("apt-get")
            .args(["download", "-q", "libreswan"])
            .current_dir(&part),
    )?;
    let got = find(&part).ok_or("apt-get download libreswan wrote no .deb")?;
    let dest = cache.join(got.file_name().ok_or("no file name")?);
    let _ = fs::rename(&got, &dest);
    let _ = fs::remove_dir_all(&part);
    find(&cache).ok_or_else(|| "the libreswan .deb did not land in the cache".into())
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
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Deletes `ietfwg-lsw-PID-*` namespaces whose process is gone.
fn delete_stale_namespaces() {
    let Ok(out) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let name = line.split_whitespace().next().unwrap_or("");
        let Some(rest) = name.strip_prefix(ns_prefix().as_str()) else {
            continue;
        };
        let pid = rest.split('-').nth(1).unwrap_or("");
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

impl Pluto {
    /// Starts pluto with `cfg`. None, with a notice, when not root or a tool is missing (a
    /// panic under `CI=true`); panics when pluto does not come up.
    pub fn start(cfg: LswConfig) -> Option<Pluto> {
        if !is_root() {
            return unavailable("the libreswan responder needs root (network namespaces)");
        }
        for p in [
            "apt-get", "dpkg-deb", "certutil", "pk12util", "ip", "unshare",
        ] {
            crate::shared::program(p)?;
        }
        let deb = match deb() {
            Ok(d) => d,
            Err(e) => return unavailable(&format!("no libreswan .deb: {e}")),
        };
        delete_stale_namespaces();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let dir = std::env::temp_dir().join(format!("ietfwg-lsw-{pid}-{n}"));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("lab directory");
        let mut p = Pluto {
            ns_r: format!("{}r-{pid}-{n}", ns_prefix()),
            ns_i: format!("{}i-{pid}-{n}", ns_prefix()),
            dir,
            pluto: None,
            created: Vec::new(),
            veth_i: String::new(),
        };
        if let Err(e) = p.boot(&cfg, &deb) {
            let out = fs::read_to_string(p.dir.join("pluto.out")).unwrap_or_default();
            drop(p);
            panic!("libreswan responder did not start: {e}\n--- pluto output:\n{out}");
        }
        Some(p)
    }

    fn boot(&mut self, cfg: &LswConfig, deb: &Path) -> Result<(), String> {
        let d = self.dir.clone();
        let root = d.join("root");
        run_ok(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&root))?;
        for sub in ["nss", "run"] {
            fs::create_dir_all(d.join(sub)).map_err(|e| e.to_string())?;
        }
        let nss = format!("sql:{}", d.join("nss").display());
        run_ok(
            Command::new("certutil")
                .args(["-N", "-d", &nss, "--empty-password"])
                .stdin(Stdio::null()),
        )?;
        let (auth, secrets) = match &cfg.auth {
            LswAuth::Psk(psk) => (
                "    authby=secret\n    leftid=@responder.test.local\n    rightid=@initiator.test.local\n"
                    .to_string(),
                format!("@responder.test.local @initiator.test.local : PSK \"{psk}\"\n"),
            ),
            LswAuth::Cert { cert, key, cacert } => {
                run_ok(Command::new("certutil").args(["-A", "-d", &nss, "-n", "ietfwg-ca", "-t", "CT,,", "-i"]).arg(cacert))?;
                let p12 = d.join("responder.p12");
                run_ok(
                    Command::new("openssl")
                        .args(["pkcs12", "-export", "-name", "responder", "-passout", "pass:"])
                        .arg("-in")
                        .arg(cert)
                        .arg("-inkey")
                        .arg(key)
                        .arg("-out")
                        .arg(&p12),
                )?;
                run_ok(
                    Command::new("pk12util")
                        .args(["-d", &nss, "-W", "", "-i"])
                        .arg(&p12),
                )?;
                (
                    "    leftcert=responder\n    leftid=%fromcert\n    leftsendcert=always\n    rightid=%fromcert\n    rightca=%any\n"
                        .to_string(),
                    String::new(),
                )
            }
        };
        let conf = format!(
            "# libreswan responder of an ietfwg test (written by test-support)\n\
config setup\n    logfile={d}/pluto.log\n    plutodebug={debug}\n\
conn resp\n{auth}    left={RESPONDER}\n    right=%any\n    ikev2=insist\n    ike={ike}\n    esp={esp}\n    \
leftsubnet={RESPONDER}/32\n    rightsubnet={INITIATOR}/32\n    auto=add\n{extra}",
            d = d.display(),
            ike = cfg.ike,
            esp = cfg.esp,
            extra = cfg.conn_extra,
            debug = cfg.plutodebug,
        );
        fs::write(d.join("ipsec.conf"), conf).map_err(|e| e.to_string())?;
        fs::write(
            d.join("ipsec.secrets"),
            format!("{secrets}{}", cfg.secrets_extra),
        )
        .map_err(|e| e.to_string())?;
        // namespaces and the veth pair (interface names are at most 15 characters)
        let n = self.ns_r.rsplit('-').next().unwrap_or("0").to_owned();
        let vr = format!("lr{}x{n}", std::process::id() % 1_000_000);
        let vi = format!("li{}x{n}", std::process::id() % 1_000_000);
        self.veth_i = vi.clone();
        for ns in [self.ns_r.clone(), self.ns_i.clone()] {
            run_ok(Command::new("ip").args(["netns", "add", &ns]))?;
            self.created.push(ns);
        }
        run_ok(Command::new("ip").args(["link", "add", &vr, "type", "veth", "peer", "name", &vi]))?;
        run_ok(Command::new("ip").args(["link", "set", &vr, "netns", &self.ns_r]))?;
        run_ok(Command::new("ip").args(["link", "set", &vi, "netns", &self.ns_i]))?;
        for (ns, dev, a) in [(&self.ns_r, &vr, RESPONDER), (&self.ns_i, &vi, INITIATOR)] {
            run_ok(Command::new("ip").args([
                "-n",
                ns,
                "addr",
                "add",
                &format!("{a}/24"),
                "dev",
                dev,
            ]))?;
            run_ok(Command::new("ip").args(["-n", ns, "link", "set", "lo", "up"]))?;
            run_ok(Command::new("ip").args(["-n", ns, "link", "set", dev, "up"]))?;
        }
        let out = fs::File::create(d.join("pluto.out")).map_err(|e| e.to_string())?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let script = format!(
            "mount --bind {root}/usr/libexec /usr/libexec && exec /usr/libexec/ipsec/pluto --config {d}/ipsec.conf --secretsfile {d}/ipsec.secrets --nssdir {d}/nss --rundir {d}/run --nofork --stderrlog",
            root = root.display(),
            d = d.display()
        );
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns_r,
                "unshare",
                "-m",
                "--propagation",
                "private",
            ])
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start pluto: {e}"))?;
        self.pluto = Some(child);
        let ns_r = self.ns_r.clone();
        let listening = wait_until(Duration::from_secs(20), || {
            Command::new("ip")
                .args(["netns", "exec", &ns_r, "ss", "-Hlun"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("192.0.2.1:500"))
        });
        if !listening {
            return Err("pluto does not listen on 192.0.2.1:500".into());
        }
        // the connection is added once pluto has read its config
        let added = wait_until(Duration::from_secs(20), || {
            self.log().contains("added IKEv2 connection")
        });
        if !added {
            return Err("pluto did not add the connection".into());
        }
        Ok(())
    }

    /// Where pluto listens.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(RESPONDER), 500)
    }

    /// `ip netns exec NS program`, in the initiator's namespace (192.0.2.2).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns_i]).arg(program);
        c
    }

    /// pluto's log so far (`plutodebug=all`; with `--stderrlog` it goes to `pluto.out`).
    pub fn log(&self) -> String {
        let mut s = fs::read_to_string(self.dir.join("pluto.out")).unwrap_or_default();
        s.push_str(&fs::read_to_string(self.dir.join("pluto.log")).unwrap_or_default());
        s
    }

    /// The lab's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// tcpdump of all UDP on the initiator's veth (Ethernet frames).
    pub fn capture(&self, pcap: &Path) -> Capture {
        Capture::start(self.command("tcpdump"), &["-i", &self.veth_i], pcap)
    }
}

impl Drop for Pluto {
    fn drop(&mut self) {
        if let Some(mut c) = self.pluto.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let done = wait_until(Duration::from_secs(5), || {
                matches!(c.try_wait(), Ok(Some(_)) | Err(_))
            });
            if !done {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        for ns in &self.created {
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-KILL", pid]).status();
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        if std::env::var_os("IETFWG_KEEP_LAB").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
