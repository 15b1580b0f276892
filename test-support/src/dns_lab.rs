//! BIND 9.18 and unbound 1.17 serving DNS over HTTPS (RFC 8484) on loopback, for tests.
//!
//! Each daemon runs in its own temporary directory with free ports (picked by binding
//! `127.0.0.1:0` and releasing), a CA and a server certificate made at start-up with rcgen
//! (`cacert()` is the CA to trust, e.g. `--cacert` / `kdig +tls-ca=`), and is stopped on Drop.
//!
//! ```text
//!  client ──DoH (h2, TLS)──► unbound 1.17 ──DNS──► BIND 9.18 (authoritative for example.test)
//!  client ──DoH (h2, TLS)────────────────────────► BIND 9.18
//! ```
//!
//! BIND is authoritative for [`ZONE`] (see [`zone_file`]): A/AAAA/TXT/MX/CNAME data, a name whose
//! TXT RRset makes a response larger than 4 KB ([`BIG_TXT`]), [`BULK`] names `nI.bulk.example.test`
//! for load tests, and anything else is NXDOMAIN. unbound forwards everything to a BIND.
//!
//! When `named`/`unbound` are not installed, `start()` prints a notice and returns None (the
//! test skips), except under `CI=true`, where it panics. A daemon that is installed but fails
//! to start is always a panic, with its log.
//!
//! Daemons are started under a small `sh` wrapper that stops them when our end of its stdin
//! closes: that happens on Drop, and also when the test process ends without running Drop
//! (a lab kept in a `static OnceLock` is never dropped), so no daemon outlives the tests.

use std::fmt::Write as _;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::shared::program;

/// The zone BIND serves.
pub const ZONE: &str = "example.test";
/// The DoH endpoint path of both servers.
pub const DOH_PATH: &str = "/dns-query";
/// The zone's default TTL (and the SOA MINIMUM): BIND sends `Cache-Control: max-age=300` for
/// answers with this TTL.
pub const TTL: u32 = 300;
/// A name whose TXT RRset makes a response larger than 4 KB ([`BIG_TXT_COUNT`] strings of
/// [`big_txt`]).
pub const BIG_TXT: &str = "big.example.test";
/// How many TXT records [`BIG_TXT`] has.
pub const BIG_TXT_COUNT: usize = 24;
/// How many `nI.bulk.example.test` names exist (I in 0..BULK), each with one A record
/// [`bulk_addr`]`(I)`.
pub const BULK: usize = 10_000;
/// A name that does not exist (NXDOMAIN).
pub const MISSING: &str = "no-such-name.example.test";

/// The records of the zone other than the bulk and big ones, as `(owner, type, data)` in
/// presentation format, for tests that compare answers.
pub const RECORDS: &[(&str, &str, &str)] = &[
    ("www.example.test", "A", "192.0.2.10"),
    ("www.example.test", "A", "192.0.2.11"),
    ("www.example.test", "AAAA", "2001:db8::10"),
    ("www.example.test", "AAAA", "2001:db8::11"),
    ("www.example.test", "TXT", "\"v=lab1\" \"a second string\""),
    ("www.example.test", "TXT", "\"hello, world\""),
    ("example.test", "MX", "10 mail.example.test."),
    ("example.test", "MX", "20 mail2.example.test."),
    ("mail.example.test", "A", "192.0.2.25"),
    ("mail2.example.test", "A", "192.0.2.26"),
    ("alias.example.test", "CNAME", "www.example.test."),
    ("short.example.test", "A", "192.0.2.60"),
];

/// Internationalised names of the zone (IDNA 2008 A-labels), as `(owner, type, data)`:
/// `bücher.example.test` with an address, `例え.example.test` with a TXT, and an ASCII alias
/// whose CNAME target is an A-label. Kept apart from [`RECORDS`], which tests walk whole.
pub const IDN_RECORDS: &[(&str, &str, &str)] = &[
    ("xn--bcher-kva.example.test", "A", "192.0.2.70"),
    ("xn--r8jz45g.example.test", "TXT", "\"idn\""),
    (
        "idn-alias.example.test",
        "CNAME",
        "xn--bcher-kva.example.test.",
    ),
];

/// The TTL of `short.example.test` (smaller than [`TTL`]).
pub const SHORT_TTL: u32 = 60;

/// The I-th TXT string of [`BIG_TXT`]: 200 octets, distinct per I.
pub fn big_txt(i: usize) -> String {
    let mut s = format!("big-{i:02}-");
    while s.len() < 200 {
        s.push(char::from(b'a' + (s.len() % 26) as u8));
    }
    s
}

/// The I-th bulk name, `nI.bulk.example.test`.
pub fn bulk_name(i: usize) -> String {
    format!("n{i}.bulk.{ZONE}")
}

/// The A record of the I-th bulk name: 198.18.0.0/15 (RFC 2544 benchmarking space).
pub fn bulk_addr(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(198, 18 + (i >> 16) as u8, (i >> 8) as u8, i as u8)
}

/// A zone signed with NSEC and Ed25519 keys (served by [`Bind::start_signed`]).
pub const SIGNED_ZONE: &str = "signed.test";
/// The child of [`SIGNED_ZONE`], signed with NSEC3 (salt `AB12`, no extra iterations) and
/// ECDSA P-256 keys; it publishes CDS and CDNSKEY records for its KSK, and the parent its DS.
pub const NSEC3_ZONE: &str = "n3.signed.test";

fn run_tool(dir: &Path, tool: &str, args: &[&str]) -> Result<String, String> {
    let path = program(tool).ok_or_else(|| format!("{tool} is not installed"))?;
    let out = Command::new(path)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("{tool}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Makes keys for [`NSEC3_ZONE`] and [`SIGNED_ZONE`], signs both zones into `dir`, and returns
/// the `zone` statements that serve them.
fn sign_zones(dir: &Path) -> Result<String, String> {
    let keygen = |alg: &str, ksk: bool, zone: &str| {
        let mut args = vec!["-q", "-a", alg, "-K", "."];
        if ksk {
            args.extend(["-f", "KSK"]);
        }
        args.push(zone);
        run_tool(dir, "dnssec-keygen", &args)
    };
    let read = |f: &str| fs::read_to_string(dir.join(f)).map_err(|e| format!("{f}: {e}"));
    // The child: NSEC3, with CDS (RFC 7344 §3.1) and CDNSKEY (§3.2) for its KSK.
    let ksk = keygen("ECDSAP256SHA256", true, NSEC3_ZONE)?;
    let zsk = keygen("ECDSAP256SHA256", false, NSEC3_ZONE)?;
    let mut child = format!(
        "$ORIGIN {NSEC3_ZONE}.\n$TTL {TTL}\n@ IN SOA ns hostmaster 1 3600 600 86400 {TTL}\n\
         @ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\n"
    );
    let ksk_key = read(&format!("{ksk}.key"))?;
    child.push_str(&ksk_key);
    child.push_str(&read(&format!("{zsk}.key"))?);
    child.push_str(&run_tool(
        dir,
        "dnssec-dsfromkey",
        &["-C", "-2", &format!("{ksk}.key")],
    )?);
    child.push('\n');
    for line in ksk_key.lines().filter(|l| l.contains(" DNSKEY ")) {
        child.push_str(&line.replace(" DNSKEY ", " CDNSKEY "));
        child.push('\n');
    }
    fs::write(dir.join("n3.zone"), child).map_err(|e| e.to_string())?;
    run_tool(
        dir,
        "dnssec-signzone",
        &[
            "-q",
            "-3",
            "AB12",
            "-H",
            "0",
            "-o",
            NSEC3_ZONE,
            "-f",
            "n3.signed",
            "n3.zone",
            &format!("{ksk}.key"),
            &format!("{zsk}.key"),
        ],
    )?;
    // The parent: NSEC, with the child's DS from the dsset file dnssec-signzone wrote.
    let pksk = keygen("ED25519", true, SIGNED_ZONE)?;
    let pzsk = keygen("ED25519", false, SIGNED_ZONE)?;
    let mut parent = format!(
        "$ORIGIN {SIGNED_ZONE}.\n$TTL {TTL}\n@ IN SOA ns hostmaster 1 3600 600 86400 {TTL}\n\
         @ IN NS ns\nns IN A 192.0.2.1\nwww IN A 192.0.2.10\n\
         n3 IN NS ns.n3\nns.n3 IN A 192.0.2.53\n"
    );
    parent.push_str(&read(&format!("{pksk}.key"))?);
    parent.push_str(&read(&format!("{pzsk}.key"))?);
    parent.push_str(&read(&format!("dsset-{NSEC3_ZONE}."))?);
    fs::write(dir.join("signed.zone"), parent).map_err(|e| e.to_string())?;
    run_tool(
        dir,
        "dnssec-signzone",
        &[
            "-q",
            "-o",
            SIGNED_ZONE,
            "-f",
            "signed.signed",
            "signed.zone",
            &format!("{pksk}.key"),
            &format!("{pzsk}.key"),
        ],
    )?;
    let d = dir.display();
    Ok(format!(
        "zone \"{SIGNED_ZONE}\" {{ type primary; file \"{d}/signed.signed\"; }};\n\
         zone \"{NSEC3_ZONE}\" {{ type primary; file \"{d}/n3.signed\"; }};\n"
    ))
}

/// The zone file for [`ZONE`].
pub fn zone_file() -> String {
    let mut z = String::with_capacity(64 * 1024 + BULK * 40);
    let _ = writeln!(z, "$ORIGIN {ZONE}.\n$TTL {TTL}");
    let _ = writeln!(z, "@ IN SOA ns1 hostmaster 1 3600 600 86400 {TTL}");
    let _ = writeln!(z, "@ IN NS ns1");
    let _ = writeln!(z, "ns1 IN A 127.0.0.1");
    for (owner, rtype, data) in RECORDS.iter().chain(IDN_RECORDS) {
        let rel = owner
            .strip_suffix(ZONE)
            .map(|s| s.trim_end_matches('.'))
            .unwrap_or(owner);
        let rel = if rel.is_empty() { "@" } else { rel };
        let ttl = if *owner == "short.example.test" {
            SHORT_TTL
        } else {
            TTL
        };
        let _ = writeln!(z, "{rel} {ttl} IN {rtype} {data}");
    }
    for i in 0..BIG_TXT_COUNT {
        let _ = writeln!(z, "big IN TXT \"{}\"", big_txt(i));
    }
    for i in 0..BULK {
        let _ = writeln!(z, "n{i}.bulk IN A {}", bulk_addr(i));
    }
    z
}

/// Certificates made at start-up: a CA, and a server certificate for `localhost` and
/// `127.0.0.1` signed by it.
#[derive(Debug, Clone)]
pub struct Certs {
    /// The CA certificate (PEM): what a client trusts.
    pub ca: PathBuf,
    /// The server certificate followed by the CA certificate (PEM).
    pub chain: PathBuf,
    /// The server's private key (PKCS#8 PEM).
    pub key: PathBuf,
}

/// Makes a CA and a server certificate (for `localhost` and `127.0.0.1`, valid from yesterday
/// for 30 days) in `dir`.
pub fn make_certs(dir: &Path) -> Certs {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    let today = days_since_epoch();
    let (y0, m0, d0) = civil_from_days(today - 1);
    let (y1, m1, d1) = civil_from_days(today + 30);

    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "ietfwg test lab CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = rcgen::date_time_ymd(y0, m0, d0);
    ca.not_after = rcgen::date_time_ymd(y1, m1, d1);
    let ca_key = KeyPair::generate().expect("CA key");
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("server params");
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    leaf.not_before = rcgen::date_time_ymd(y0, m0, d0);
    leaf.not_after = rcgen::date_time_ymd(y1, m1, d1);
    let leaf_key = KeyPair::generate().expect("server key");
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .expect("server certificate");

    let certs = Certs {
        ca: dir.join("ca.pem"),
        chain: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    fs::write(&certs.ca, ca_cert.pem()).expect("write ca.pem");
    fs::write(
        &certs.chain,
        format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
    )
    .expect("write cert.pem");
    fs::write(&certs.key, leaf_key.serialize_pem()).expect("write key.pem");
    certs
}

fn days_since_epoch() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs / 86_400) as i64
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm;
/// written out because test-support has no date crate and rcgen takes y/m/d).
fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    ((if m <= 2 { y + 1 } else { y }) as i32, m as u8, d as u8)
}

/// A port that was free on 127.0.0.1 for TCP (and, with `udp`, for UDP) a moment ago.
pub fn free_port(udp: bool) -> u16 {
    for _ in 0..100 {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = tcp.local_addr().expect("local_addr").port();
        if !udp || UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on 127.0.0.1");
}

/// A fresh temporary directory (removed by [`Daemon`]'s Drop).
pub(crate) fn temp_dir(what: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "ietfwg-{what}-{}-{n}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    fs::create_dir_all(&dir).expect("create lab directory");
    dir
}

/// Runs `"$@"` with stdin from /dev/null and stops it (SIGTERM) when the wrapper's stdin reaches
/// end of file — our write end closing, on Drop or when the test process ends. After a stop it
/// removes the lab directory `$1`; when the daemon ends on its own the directory stays, so that
/// its log can be read.
const WRAPPER: &str = r#"
dir=$1; shift
exec 3<&0 </dev/null
"$@" 3<&- &
p=$!
( read _ <&3; : > "$dir/.stop"; kill $p 2>/dev/null ) &
w=$!
exec 3<&-
wait $p
rc=$?
if [ -e "$dir/.stop" ]; then rm -rf "$dir"; else kill $w 2>/dev/null; fi
exit $rc
"#;

/// One daemon under the stop-on-EOF wrapper, in its own directory.
#[derive(Debug)]
pub(crate) struct Daemon {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    dir: PathBuf,
    log: PathBuf,
}

impl Daemon {
    pub(crate) fn spawn(name: &'static str, dir: &Path, program: &Path, args: &[&str]) -> Daemon {
        let log = dir.join(format!("{name}.log"));
        let log_file = fs::File::create(&log).expect("create daemon log");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WRAPPER)
            .arg("sh")
            .arg(dir)
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run sh to start {name}: {e}"));
        let stdin = child.stdin.take();
        Daemon {
            name,
            child,
            stdin,
            dir: dir.to_path_buf(),
            log,
        }
    }

    pub(crate) fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `ready` says yes (polling every 50 ms) for up to 20 s. Err(log) when the
    /// daemon ended or the time ran out.
    pub(crate) fn wait_ready(&mut self, mut ready: impl FnMut() -> bool) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("{} exited ({status}):\n{}", self.name, self.log()));
            }
            if ready() {
                return Ok(());
            }
            if start.elapsed() > Duration::from_secs(20) {
                return Err(format!(
                    "{} did not become ready within 20 s:\n{}",
                    self.name,
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // EOF on the wrapper's stdin: it sends SIGTERM to the daemon and waits for it.
        drop(self.stdin.take());
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// True when a TCP connection to 127.0.0.1:port is accepted.
fn accepts(port: u16) -> bool {
    TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// True when 127.0.0.1:port answers a plain DNS query (UDP) for `SOA example.test` with
/// NOERROR and an answer: the zone is loaded (and, for unbound, forwarding works).
///
/// The 30-octet query is written by hand: test-support has no DNS library, and a readiness
/// probe needs only the header (RFC 1035 §4.1.1) and one question.
fn answers_soa(port: u16) -> bool {
    let Ok(sock) = UdpSocket::bind("127.0.0.1:0") else {
        return false;
    };
    let _ = sock.set_read_timeout(Some(Duration::from_millis(300)));
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ZONE.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 6, 0, 1]); // root, QTYPE SOA, QCLASS IN
    if sock.send_to(&q, ("127.0.0.1", port)).is_err() {
        return false;
    }
    let mut buf = [0u8; 1500];
    match sock.recv(&mut buf) {
        Ok(n) if n >= 12 => {
            buf[0..2] == [0x12, 0x34]
                && buf[3] & 0x0f == 0
                && u16::from_be_bytes([buf[6], buf[7]]) > 0
        }
        _ => false,
    }
}

fn port_in_use(log: &str) -> bool {
    let l = log.to_ascii_lowercase();
    l.contains("address in use") || l.contains("address already in use")
}

/// Runs `attempt` up to three times while the daemon's log says a port was taken (a port
/// found free may be taken again before the daemon binds it). Panics with the log otherwise.
pub(crate) fn start_retrying<T>(what: &str, mut attempt: impl FnMut() -> Result<T, String>) -> T {
    let mut last = String::new();
    for _ in 0..3 {
        match attempt() {
            Ok(started) => return started,
            Err(log) if port_in_use(&log) => last = log,
            Err(log) => panic!("{what} did not start: {log}"),
        }
    }
    panic!("{what} did not start (ports taken three times): {last}");
}

/// A daemon of the lab serving DoH and plain DNS on 127.0.0.1 — [`Bind`] or [`Unbound`], whose
/// own parts are `K` — with a certificate made at start-up. Stopped on Drop.
#[derive(Debug)]
pub struct LabServer<K> {
    daemon: Daemon,
    certs: Certs,
    dns_port: u16,
    doh_port: u16,
    own: K,
}

impl<K> LabServer<K> {
    /// `https://127.0.0.1:PORT/dns-query` (the certificate names `127.0.0.1` and `localhost`).
    pub fn doh_url(&self) -> String {
        format!("https://127.0.0.1:{}{DOH_PATH}", self.doh_port)
    }

    /// The DoH (HTTPS) port.
    pub fn doh_port(&self) -> u16 {
        self.doh_port
    }

    /// The plain DNS port (UDP and TCP).
    pub fn dns_port(&self) -> u16 {
        self.dns_port
    }

    /// The CA certificate (PEM) that signed the server's certificate.
    pub fn cacert(&self) -> PathBuf {
        self.certs.ca.clone()
    }

    /// The lab directory (config, certificates, the daemon's log; BIND's zone).
    pub fn dir(&self) -> &Path {
        &self.daemon.dir
    }

    /// The daemon's output so far.
    pub fn log(&self) -> String {
        self.daemon.log()
    }
}

/// BIND 9.18 authoritative for [`ZONE`], serving DoH over HTTP/2 + TLS, cleartext DoH and plain
/// DNS on 127.0.0.1, with a statistics channel (for [`Bind::accepted_connections`]). Stopped on
/// Drop.
pub type Bind = LabServer<BindOwn>;

/// What only [`Bind`] has: the cleartext DoH listener and the statistics channel.
#[derive(Debug)]
pub struct BindOwn {
    http_port: u16,
    stats_port: u16,
    /// Statistics requests made so far (each is an accepted TCP connection too).
    stats_reads: AtomicUsize,
}

impl Bind {
    /// Starts BIND, or returns None with a notice when `named` is not installed (a panic under
    /// `CI=true`). Panics with named's log when it is installed but does not start.
    pub fn start() -> Option<Bind> {
        let named = program("named")?;
        Some(start_retrying("BIND", || Bind::try_start(&named, false)))
    }

    /// [`Bind::start`], also serving the DNSSEC-signed zones [`SIGNED_ZONE`] (NSEC, Ed25519)
    /// and its delegated child [`NSEC3_ZONE`] (NSEC3 with salt, ECDSA P-256, CDS and CDNSKEY),
    /// signed at start-up with BIND's `dnssec-keygen` and `dnssec-signzone`. None with a
    /// notice when named or those tools are not installed (a panic under `CI=true`).
    pub fn start_signed() -> Option<Bind> {
        let named = program("named")?;
        program("dnssec-keygen")?;
        program("dnssec-signzone")?;
        program("dnssec-dsfromkey")?;
        Some(start_retrying("BIND", || Bind::try_start(&named, true)))
    }

    fn try_start(named: &Path, signed: bool) -> Result<Bind, String> {
        let dir = temp_dir("bind");
        let certs = make_certs(&dir);
        let (dns_port, doh_port, http_port, stats_port) = (
            free_port(true),
            free_port(false),
            free_port(false),
            free_port(false),
        );
        fs::write(dir.join("example.test.zone"), zone_file()).expect("write zone");
        let extra = if signed {
            sign_zones(&dir)?
        } else {
            String::new()
        };
        let d = dir.display();
        let conf = format!(
            r#"// BIND 9.18 DoH lab on loopback, authoritative only
tls lab-tls {{ cert-file "{d}/cert.pem"; key-file "{d}/key.pem"; }};
http lab-http {{ endpoints {{ "{DOH_PATH}"; }}; }};
options {{
  directory "{d}";
  pid-file "{d}/named.pid";
  session-keyfile "{d}/session.key";
  managed-keys-directory "{d}";
  listen-on port {dns_port} {{ 127.0.0.1; }};
  listen-on port {doh_port} tls lab-tls http lab-http {{ 127.0.0.1; }};
  listen-on port {http_port} tls none http lab-http {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  dnssec-validation no;   // no RFC 5011 trust-anchor refresh: no queries leave loopback
  notify no;
}};
controls {{ }};
statistics-channels {{ inet 127.0.0.1 port {stats_port} allow {{ 127.0.0.1; }}; }};
zone "{ZONE}" {{ type primary; file "{d}/example.test.zone"; }};
{extra}"#
        );
        let conf_path = dir.join("named.conf");
        fs::write(&conf_path, conf).expect("write named.conf");
        let conf_arg = conf_path.to_string_lossy().into_owned();
        let mut daemon = Daemon::spawn(
            "named",
            &dir,
            named,
            &["-g", "-4", "-n", "2", "-c", &conf_arg],
        );
        daemon.wait_ready(|| accepts(doh_port) && accepts(http_port) && answers_soa(dns_port))?;
        Ok(Bind {
            daemon,
            certs,
            dns_port,
            doh_port,
            own: BindOwn {
                http_port,
                stats_port,
                stats_reads: AtomicUsize::new(0),
            },
        })
    }

    /// Cleartext DoH: `http://127.0.0.1:PORT/dns-query` (HTTP/2 with prior knowledge).
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}{DOH_PATH}", self.own.http_port)
    }

    /// TCP connections named has accepted so far on all its listeners (DoH, cleartext DoH,
    /// DNS over TCP), from its statistics channel (`sockstats` counter `TCP4Accept`), not
    /// counting the statistics requests themselves. Compare two readings to count the
    /// connections a client opened in between.
    pub fn accepted_connections(&self) -> u64 {
        let reads = self.own.stats_reads.fetch_add(1, Ordering::SeqCst) as u64 + 1;
        let mut s =
            TcpStream::connect(("127.0.0.1", self.own.stats_port)).expect("statistics channel");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        s.write_all(b"GET /json/v1/net HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .expect("statistics request");
        let mut body = String::new();
        s.read_to_string(&mut body).expect("statistics response");
        let key = "\"TCP4Accept\":";
        let at = body
            .find(key)
            .unwrap_or_else(|| panic!("no TCP4Accept in named's statistics: {body}"));
        let n: u64 = body[at + key.len()..]
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .expect("TCP4Accept value");
        n.saturating_sub(reads)
    }
}

/// unbound 1.17 serving DoH (HTTP/2 + TLS) and plain DNS on 127.0.0.1, forwarding everything
/// to a [`Bind`]. Sends no Cache-Control. Stopped on Drop.
pub type Unbound = LabServer<UnboundOwn>;

/// What only [`Unbound`] has: the BIND it forwards to, when [`Unbound::start`] started one
/// for it.
#[derive(Debug)]
pub struct UnboundOwn {
    _upstream: Option<Bind>,
}

impl Unbound {
    /// Starts a BIND and an unbound forwarding to it, or None with a notice when `named` or
    /// `unbound` is not installed (a panic under `CI=true`).
    pub fn start() -> Option<Unbound> {
        program("unbound")?;
        let bind = Bind::start()?;
        let mut u = Unbound::start_with(&bind)?;
        u.own._upstream = Some(bind);
        Some(u)
    }

    /// Starts an unbound forwarding to `bind` (which must outlive it), or None with a notice
    /// when `unbound` is not installed (a panic under `CI=true`).
    pub fn start_with(bind: &Bind) -> Option<Unbound> {
        let unbound = program("unbound")?;
        Some(start_retrying("unbound", || {
            Unbound::try_start(&unbound, bind.dns_port())
        }))
    }

    fn try_start(unbound: &Path, upstream: u16) -> Result<Unbound, String> {
        let dir = temp_dir("unbound");
        let certs = make_certs(&dir);
        let (dns_port, doh_port) = (free_port(true), free_port(false));
        let d = dir.display();
        let conf = format!(
            r#"# unbound 1.17 DoH lab on loopback, forwarding everything to BIND
server:
    interface: 127.0.0.1@{dns_port}
    interface: 127.0.0.1@{doh_port}
    https-port: {doh_port}
    http-endpoint: "{DOH_PATH}"
    tls-service-key: "{d}/key.pem"
    tls-service-pem: "{d}/cert.pem"
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "{d}"
    pidfile: "{d}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    do-ip6: no
    do-not-query-localhost: no
    module-config: "iterator"
    # .test is a default local zone (RFC 6761): let it through to BIND
    local-zone: "test." nodefault
remote-control:
    control-enable: no
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@{upstream}
"#
        );
        let conf_path = dir.join("unbound.conf");
        fs::write(&conf_path, conf).expect("write unbound.conf");
        let conf_arg = conf_path.to_string_lossy().into_owned();
        let mut daemon = Daemon::spawn("unbound", &dir, unbound, &["-d", "-c", &conf_arg]);
        daemon.wait_ready(|| accepts(doh_port) && answers_soa(dns_port))?;
        Ok(Unbound {
            daemon,
            certs,
            dns_port,
            doh_port,
            own: UnboundOwn { _upstream: None },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn zone_has_the_material() {
        let z = zone_file();
        assert!(z.contains("www 300 IN A 192.0.2.10"));
        assert!(z.contains("short 60 IN A 192.0.2.60"));
        assert!(z.contains("@ 300 IN MX 10 mail.example.test."));
        assert!(z.contains(&format!("n9999.bulk IN A {}", bulk_addr(9999))));
        let big: usize = (0..BIG_TXT_COUNT).map(|i| big_txt(i).len() + 1).sum();
        assert!(big > 4096, "TXT RRset of {big} octets");
        assert_eq!(bulk_addr(258), Ipv4Addr::new(198, 18, 1, 2));
    }

    /// A raw DoH/2 exchange is beyond this crate; readiness covers the DNS side: BIND answers
    /// the SOA, and after Drop the port is closed and the directory gone.
    #[test]
    fn bind_starts_answers_and_stops() {
        let Some(bind) = Bind::start() else { return };
        assert!(answers_soa(bind.dns_port()));
        // named counts an accepted connection a little after the client sees it accepted:
        // the start-up probes may still be on their way into the counter, so read it once it
        // has stopped moving, before and after.
        let settled = |at_least: u64| {
            let mut last = bind.accepted_connections();
            for _ in 0..100 {
                std::thread::sleep(Duration::from_millis(30));
                let now = bind.accepted_connections();
                if now == last && now >= at_least {
                    break;
                }
                last = now;
            }
            last
        };
        let before = settled(0);
        assert!(accepts(bind.doh_port()));
        assert!(accepts(bind.doh_port()));
        // The two probes above, counted once they are accepted.
        let after = settled(before + 2);
        assert_eq!(after - before, 2, "accepted connections");
        let (port, dir) = (bind.doh_port(), bind.dir().to_path_buf());
        drop(bind);
        assert!(!accepts(port), "named still listening after Drop");
        assert!(!dir.exists(), "lab directory left behind");
    }

    #[test]
    fn unbound_forwards_to_bind() {
        let Some(u) = Unbound::start() else { return };
        assert!(answers_soa(u.dns_port()));
        assert!(accepts(u.doh_port()));
        let port = u.doh_port();
        drop(u);
        assert!(!accepts(port), "unbound still listening after Drop");
    }

    #[test]
    fn tls_probe_sees_a_certificate() {
        // The DoH port speaks TLS: a ClientHello gets a handshake record back (type 22).
        let Some(bind) = Bind::start() else { return };
        let mut s = TcpStream::connect(("127.0.0.1", bind.doh_port())).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(&client_hello()).unwrap();
        let mut b = [0u8; 5];
        s.read_exact(&mut b).unwrap();
        assert_eq!(b[0], 22, "not a TLS handshake record: {b:02x?}");
    }

    /// A minimal TLS 1.2 ClientHello offering one ECDHE suite (enough to get a ServerHello).
    fn client_hello() -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend([7u8; 32]); // random
        body.push(0); // session id
        body.extend([0, 4, 0xc0, 0x2b, 0xc0, 0x2f]); // ECDHE-ECDSA/RSA-AES128-GCM-SHA256
        body.extend([1, 0]); // compression: null
        let mut ext = Vec::new();
        ext.extend([0, 10, 0, 4, 0, 2, 0, 23]); // supported_groups: secp256r1
        ext.extend([0, 11, 0, 2, 1, 0]); // ec_point_formats
        ext.extend([0, 13, 0, 6, 0, 4, 4, 3, 4, 1]); // signature_algorithms
        body.extend((ext.len() as u16).to_be_bytes());
        body.extend(ext);
        let mut hs = vec![1, 0];
        hs.extend((body.len() as u16).to_be_bytes());
        hs.extend(body);
        let mut rec = vec![22, 3, 1];
        rec.extend((hs.len() as u16).to_be_bytes());
        rec.extend(hs);
        rec
    }
}
