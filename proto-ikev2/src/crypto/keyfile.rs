//! Keys where operators have them: one reader for every kind of key file `--keys` takes,
//! told apart by content, line by line (memory bounded by [`MAX_SAS`], not by the file):
//!
//! - Wireshark's `ikev2_decryption_table` ([`super::keytable`]) and `esp_sa` table
//!   ([`crate::esp::sa`]);
//! - a strongSwan **charon log** written by a `filelog` with `ike = 4` (and `chd = 4` for the
//!   CHILD_SA keys). charon dumps `Sk_d secret`, `Sk_ai secret`, `Sk_ar secret`,
//!   `Sk_ei secret`, `Sk_er secret`, … as hex (`keymat_v2.c`); it never prints the SPIs beside
//!   them, so they are taken from the same log: the `natd_chunk` dump (SPIi ‖ SPIr ‖ address ‖
//!   port, RFC 7296 §2.23) and the `octets = message + nonce + prf(Sk_px, IDx')` dump (whose
//!   first 16 octets are the IKE_SA_INIT header's SPIs, §2.15), both at `ike = 3`; and, for an
//!   IKE SA created by a rekey, the `checkin IKEv2 SA NAME[N] with SPIs …` lines of `mgr = 2`.
//!   Lines belong together by the IKE SA's unique id in `<NAME|N>` (`ike_name = yes`) or, if
//!   absent, by thread. The algorithms come from `selected proposal: IKE:…` / `ESP:…`
//!   (`cfg = 1`). The CHILD_SA keys (`encryption initiator key`, … at `chd = 4`) are bound to
//!   the SPIs of `CHILD_SA NAME{N} established with SPIs XXXXXXXX_i YYYYYYYY_o`; the
//!   initiator's keys protect what the initiator of that exchange sends (RFC 7296 §2.17),
//!   which this side is when it logged `establishing CHILD_SA NAME{N}`.
//! - a libreswan **pluto log** written with `plutodebug=private`: two lines per IKE SA,
//!   `| ikev2 I 0xSPIi 0xSPIr INTEG:0xSK_ai ENCRKEYLEN:0xSK_ei` and `| ikev2 R …` with SK_ar
//!   and SK_er (pluto's `ikev2_log_parentSA`, names as tcpdump spells them: `sha256`, `aes256`,
//!   `aes_gcm_16256`…). With `plutodebug=all,private` pluto also dumps each CHILD_SA half's ESP
//!   keys as it hands them to the kernel (`setup_half_ipsec_sa()`): `| kernel: looking for alg
//!   with encrypt: AES_CBC keylen: 128 integ: HMAC_SHA2_256_128`, `| ESP enckey:` and
//!   `| ESP authkey:` each followed by hex-dump lines (`|   ae 4c d1 5a  6f 4f …   .L.Zo…`), then
//!   `| kernel: add_sa() … SRC[SPI]==>DST …`, which names the SA: one `esp_sa` row per `add_sa()`.
//!
//! This is written by hand: no crate reads these logs.

use std::collections::HashMap;
use std::net::IpAddr;

use super::keytable::{self, AesBits, Encr, IcvLen, Integ, KeyTableError, SaKeys};
use crate::esp::sa::{self as espsa, EspSa};

/// Most SAs (IKE and ESP together) one reader keeps; more is an error naming the line.
pub const MAX_SAS: usize = 65_536;
/// Most IKE SAs whose log context is tracked at once (older contexts are forgotten).
const MAX_CONTEXTS: usize = 4096;

/// What kind of file the reader found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyFileKind {
    /// Wireshark `ikev2_decryption_table`.
    Ikev2Table,
    /// Wireshark `esp_sa`.
    EspTable,
    /// strongSwan charon log.
    CharonLog,
    /// libreswan pluto log.
    PlutoLog,
    /// Nothing but blank lines and comments.
    Empty,
}

impl KeyFileKind {
    /// A name for messages.
    pub fn describe(self) -> &'static str {
        match self {
            KeyFileKind::Ikev2Table => "Wireshark ikev2_decryption_table",
            KeyFileKind::EspTable => "Wireshark esp_sa table",
            KeyFileKind::CharonLog => "strongSwan charon log",
            KeyFileKind::PlutoLog => "libreswan pluto log",
            KeyFileKind::Empty => "empty key file",
        }
    }
}

/// Every key a file gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// IKE SAs.
    pub ike: Vec<SaKeys>,
    /// ESP SAs.
    pub esp: Vec<EspSa>,
    /// What could not be used, in plain words (keys without SPIs, unknown algorithms…).
    pub notes: Vec<String>,
}

/// Most notes one file keeps (the rest are counted in a last note).
pub const MAX_NOTES: usize = 256;

impl Keys {
    /// Adds a note, bounded by [`MAX_NOTES`].
    pub fn note(&mut self, text: String) {
        match self.notes.len() {
            n if n < MAX_NOTES => self.notes.push(text),
            n if n == MAX_NOTES => self
                .notes
                .push("more notes left out (the limit is 256 a file)".into()),
            _ => {}
        }
    }

    /// Adds `other`'s SAs; an SA already present (same SPIs) is kept once. Two files that give
    /// different keys for the same SPIs: the first is kept, and a note says so.
    pub fn merge(&mut self, other: Keys) {
        for k in other.ike {
            match self
                .ike
                .iter()
                .find(|x| x.spi_i == k.spi_i && x.spi_r == k.spi_r)
            {
                None => self.ike.push(k),
                Some(x) if *x == k => {}
                Some(_) => self.note(format!(
                    "IKE SA {:016x}/{:016x}: another file gave other keys for it; the first kept",
                    k.spi_i, k.spi_r
                )),
            }
        }
        for s in other.esp {
            match self
                .esp
                .iter()
                .find(|x| x.spi == s.spi && x.src == s.src && x.dst == s.dst)
            {
                None => self.esp.push(s),
                Some(x) if x.enc_key == s.enc_key && x.auth_key == s.auth_key => {}
                Some(_) => self.note(format!(
                    "ESP SA 0x{:08x}: another file gave other keys for it; the first kept",
                    s.spi
                )),
            }
        }
        for n in other.notes {
            self.note(n);
        }
    }
}

/// Reads a key file line by line.
#[derive(Debug, Default)]
pub struct KeyReader {
    kind: Option<KeyFileKind>,
    line: usize,
    out: Keys,
    charon: Charon,
    pluto: HashMap<(u64, u64), PlutoHalf>,
    pluto_child: PlutoChild,
}

impl KeyReader {
    /// A reader that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The kind of file, once a line told it.
    pub fn kind(&self) -> KeyFileKind {
        self.kind.unwrap_or(KeyFileKind::Empty)
    }

    /// Feeds the next line (without its line end).
    pub fn push_line(&mut self, line: &str) -> Result<(), KeyTableError> {
        self.line += 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        let kind = match self.kind {
            Some(k) => k,
            None => {
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') {
                    return Ok(());
                }
                let k = if charon_line(line).is_some() {
                    KeyFileKind::CharonLog
                } else if pluto_keys(line).is_some()
                    || t.starts_with("| ")
                    || t.contains("pluto[")
                    || t.contains("pluto: ")
                    || pluto_timestamp(t)
                    || t.contains(" | ")
                {
                    KeyFileKind::PlutoLog
                } else if espsa::is_esp_sa_line(line) {
                    KeyFileKind::EspTable
                } else {
                    KeyFileKind::Ikev2Table
                };
                self.kind = Some(k);
                k
            }
        };
        let n = self.line;
        match kind {
            KeyFileKind::Ikev2Table | KeyFileKind::EspTable => {
                let t = line.trim();
                if t.is_empty() || t.starts_with('#') {
                    return Ok(());
                }
                self.room(n)?;
                // `ietfwg ikev2 keys` prints both kinds of row in one file.
                if espsa::is_esp_sa_line(line) {
                    self.out.esp.push(espsa::parse_esp_sa_line(line, n)?);
                } else {
                    let k = keytable::parse_line(line).map_err(|(column, field, reason)| {
                        KeyTableError {
                            line: n,
                            column,
                            field,
                            reason,
                        }
                    })?;
                    self.out.ike.push(k);
                }
            }
            KeyFileKind::CharonLog => {
                self.room(n)?;
                self.charon.line(line, n, &mut self.out);
            }
            KeyFileKind::PlutoLog => {
                self.room(n)?;
                if let Some(p) = pluto_keys(line) {
                    self.pluto_line(p, n);
                } else if let Some(sa) = self.pluto_child.line(line, n, &mut self.out.notes) {
                    if !self
                        .out
                        .esp
                        .iter()
                        .any(|x| x.spi == sa.spi && x.dst == sa.dst)
                    {
                        self.out.esp.push(sa);
                    }
                }
            }
            KeyFileKind::Empty => {}
        }
        Ok(())
    }

    fn room(&self, line: usize) -> Result<(), KeyTableError> {
        if self.out.ike.len() + self.out.esp.len() >= MAX_SAS {
            return Err(KeyTableError {
                line,
                column: 1,
                field: None,
                reason: format!("more than {MAX_SAS} SAs in one key file"),
            });
        }
        Ok(())
    }

    fn pluto_line(&mut self, p: PlutoLine, line: usize) {
        let key = (p.spi_i, p.spi_r);
        if !self.pluto.contains_key(&key) && self.pluto.len() >= MAX_SAS {
            self.out.note(format!(
                "line {line}: more than {MAX_SAS} unpaired ikev2 I/R lines; this one is ignored"
            ));
            return;
        }
        let half = self.pluto.entry(key).or_default();
        let slot = if p.initiator {
            &mut half.i
        } else {
            &mut half.r
        };
        *slot = Some((p.integ, p.auth_key, p.encr, p.enc_key, line));
        if let (Some(i), Some(r)) = (&half.i, &half.r) {
            let (i, r) = (i.clone(), r.clone());
            self.pluto.remove(&key);
            let keys = SaKeys {
                spi_i: p.spi_i,
                spi_r: p.spi_r,
                sk_ei: i.3,
                sk_er: r.3,
                encr: i.2,
                sk_ai: i.1,
                sk_ar: r.1,
                integ: i.0,
            };
            match (keys.check(), i.2 == r.2 && i.0 == r.0) {
                (Ok(()), true) => {
                    if !self
                        .out
                        .ike
                        .iter()
                        .any(|k| k.spi_i == keys.spi_i && k.spi_r == keys.spi_r)
                    {
                        self.out.ike.push(keys)
                    }
                }
                (Err((field, why)), _) => self.out.note(format!(
                    "lines {} and {line}: IKE SA {:016x}/{:016x}: {field}: {why}{}",
                    i.4,
                    p.spi_i,
                    p.spi_r,
                    if i.2.salt_len() > 0 {
                        " (pluto prints at most 32 octets of a key: a 256-bit key's salt is cut off)"
                    } else {
                        ""
                    }
                )),
                (Ok(()), false) => self.out.note(format!(
                    "lines {} and {line}: IKE SA {:016x}/{:016x}: the I and R lines name different algorithms",
                    i.4, p.spi_i, p.spi_r
                )),
            }
        }
    }

    /// Ends the file: the keys, with notes on what could not be used.
    pub fn finish(mut self) -> Keys {
        if self.kind == Some(KeyFileKind::CharonLog) {
            self.charon.finish(&mut self.out);
        }
        for ((i, r), h) in std::mem::take(&mut self.pluto) {
            let line = h.i.as_ref().or(h.r.as_ref()).map_or(0, |x| x.4);
            self.out.note(format!(
                "line {line}: IKE SA {i:016x}/{r:016x}: only the {} line of the pair was found",
                if h.i.is_some() { "ikev2 I" } else { "ikev2 R" }
            ));
        }
        self.out
    }
}

/// Reads a whole key file held in memory.
pub fn read_keys(text: &str) -> Result<(KeyFileKind, Keys), KeyTableError> {
    let mut r = KeyReader::new();
    for line in text.split('\n') {
        r.push_line(line)?;
    }
    let kind = r.kind();
    Ok((kind, r.finish()))
}

// ------------------------------------------------------------------ pluto

/// Which hex dump a pluto log line continues.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum PlutoDump {
    #[default]
    None,
    Enc,
    Auth,
}

/// One CHILD_SA half being handed to the kernel, as pluto logs it (see the module doc).
#[derive(Debug, Default)]
struct PlutoChild {
    algs: Option<(Encr, Integ)>,
    /// `encrypt_keymat_size`, `integ_keymat_size` of the `keymat_len=` line.
    sizes: Option<(usize, usize)>,
    enc_key: Vec<u8>,
    auth_key: Vec<u8>,
    dump: PlutoDump,
}

/// The most octets one key dump holds (a 256-bit key and its salt fit with room to spare).
const PLUTO_MAX_KEY: usize = 128;

impl PlutoChild {
    fn line(&mut self, line: &str, n: usize, notes: &mut Vec<String>) -> Option<EspSa> {
        let msg = line.find("| ").map(|at| &line[at + 2..])?;
        if self.dump != PlutoDump::None {
            let want = self.sizes.map(|(e, a)| match self.dump {
                PlutoDump::Enc => e,
                _ => a,
            });
            let buf = if self.dump == PlutoDump::Enc {
                &mut self.enc_key
            } else {
                &mut self.auth_key
            };
            if let Some(bytes) = pluto_dump_line(msg) {
                if want.is_none_or(|w| buf.len() < w) && buf.len() + bytes.len() <= PLUTO_MAX_KEY {
                    buf.extend_from_slice(&bytes);
                    return None;
                }
            }
            self.dump = PlutoDump::None;
        }
        let m = msg.trim_start();
        if let Some(rest) = m.strip_prefix("kernel: looking for alg with encrypt: ") {
            *self = PlutoChild {
                algs: pluto_child_algs(rest),
                ..PlutoChild::default()
            };
            if self.algs.is_none() {
                notes.push(format!(
                    "line {n}: pluto's CHILD_SA algorithms {rest:?} are not ones this reader knows; its keys are skipped"
                ));
            }
        } else if let Some(rest) = m.strip_prefix("kernel: st->st_esp.keymat_len=") {
            let size = |label: &str| -> Option<usize> {
                let at = rest.find(label)? + label.len();
                let digits: String = rest[at..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse().ok()
            };
            self.sizes = size("encrypt_keymat_size=").zip(size("integ_keymat_size="));
        } else if m.starts_with("ESP enckey:") {
            self.enc_key.clear();
            self.dump = PlutoDump::Enc;
        } else if m.starts_with("ESP authkey:") {
            self.auth_key.clear();
            self.dump = PlutoDump::Auth;
        } else if m.starts_with("kernel: add_sa()") {
            let taken = std::mem::take(self);
            let (encr, integ) = taken.algs?;
            let (src, spi, dst) = pluto_add_sa(m)?;
            let sa = EspSa {
                spi,
                src: Some(src),
                dst: Some(dst),
                encr,
                enc_key: taken.enc_key,
                integ,
                auth_key: taken.auth_key,
                // pluto logs no ESN choice here; RFC 7296 §3.3.2 makes "no ESN" the usual one.
                esn: false,
            };
            if let Err((field, why)) = sa.check() {
                notes.push(format!(
                    "line {n}: ESP SA 0x{spi:08x} from pluto's log: {field}: {why}"
                ));
                return None;
            }
            return Some(sa);
        }
        None
    }
}

/// One line of pluto's hex dump (`  ae 4c d1 5a  6f 4f 97 86  …   .L.Zo…`): up to 16 octets,
/// two hex digits each, one or two spaces apart; three or more spaces end them (the ASCII
/// column follows). `None` when the line is not a dump line.
fn pluto_dump_line(msg: &str) -> Option<Vec<u8>> {
    let t = msg.strip_prefix("  ")?;
    let b = t.as_bytes();
    let mut out = Vec::with_capacity(16);
    let mut i = 0;
    while out.len() < 16 && i + 2 <= b.len() {
        let h = std::str::from_utf8(&b[i..i + 2]).ok()?;
        out.push(u8::from_str_radix(h, 16).ok()?);
        i += 2;
        let spaces = b[i..].iter().take_while(|&&c| c == b' ').count();
        if spaces == 0 && i < b.len() {
            return None;
        }
        if spaces >= 3 || i + spaces >= b.len() {
            break;
        }
        i += spaces;
    }
    (!out.is_empty()).then_some(out)
}

/// `AES_CBC keylen: 128 integ: HMAC_SHA2_256_128` → the ESP algorithms.
fn pluto_child_algs(rest: &str) -> Option<(Encr, Integ)> {
    let mut w = rest.split_ascii_whitespace();
    let ename = w.next()?;
    let bits: u16 = match (w.next(), w.next()) {
        (Some("keylen:"), Some(k)) => k.parse().ok()?,
        _ => return None,
    };
    let iname = match (w.next(), w.next()) {
        (Some("integ:"), Some(i)) => i,
        _ => return None,
    };
    let aes = || AesBits::from_bits(bits);
    let encr = match ename {
        "AES_CBC" => Encr::AesCbc(aes()?),
        "AES_CTR" => Encr::AesCtr(aes()?),
        "AES_GCM_16" | "AES_GCM_C" => Encr::AesGcm {
            key: aes()?,
            icv: IcvLen::Octets16,
        },
        "AES_GCM_12" | "AES_GCM_B" => Encr::AesGcm {
            key: aes()?,
            icv: IcvLen::Octets12,
        },
        "AES_GCM_8" | "AES_GCM_A" => Encr::AesGcm {
            key: aes()?,
            icv: IcvLen::Octets8,
        },
        "AES_CCM_16" | "AES_CCM_C" => Encr::AesCcm {
            key: aes()?,
            icv: IcvLen::Octets16,
        },
        "AES_CCM_12" | "AES_CCM_B" => Encr::AesCcm {
            key: aes()?,
            icv: IcvLen::Octets12,
        },
        "AES_CCM_8" | "AES_CCM_A" => Encr::AesCcm {
            key: aes()?,
            icv: IcvLen::Octets8,
        },
        "CHACHA20_POLY1305" => Encr::ChaCha20Poly1305,
        "3DES_CBC" | "3DES" => Encr::TripleDesCbc,
        "NULL" => Encr::Null,
        _ => return None,
    };
    let integ = match iname {
        "NONE" | "none" | "NULL" => Integ::None,
        "HMAC_MD5_96" => Integ::HmacMd5_96,
        "HMAC_SHA1_96" => Integ::HmacSha1_96,
        "HMAC_SHA2_256_128" => Integ::HmacSha2_256_128,
        "HMAC_SHA2_384_192" => Integ::HmacSha2_384_192,
        "HMAC_SHA2_512_256" => Integ::HmacSha2_512_256,
        _ => return None,
    };
    Some((encr, integ))
}

/// `kernel: add_sa() level=0 outbound tunnel 192.0.2.1/32-ALL->192.0.2.1[da6abdfe]==>192.0.2.2-ALL->…`
/// → (outer source, SPI, outer destination).
fn pluto_add_sa(msg: &str) -> Option<(IpAddr, u32, IpAddr)> {
    let token = msg.split_ascii_whitespace().find(|t| t.contains("]==>"))?;
    let (left, right) = token.split_once("]==>")?;
    let (src_part, spi_hex) = left.rsplit_once('[')?;
    let src = src_part.rsplit("->").next()?;
    let spi = u32::from_str_radix(spi_hex.trim_start_matches("0x"), 16).ok()?;
    let dst: String = right
        .chars()
        .take_while(|c| c.is_ascii_hexdigit() || *c == '.' || *c == ':')
        .collect();
    Some((src.parse().ok()?, spi, dst.parse().ok()?))
}

type PlutoSide = (Integ, Vec<u8>, Encr, Vec<u8>, usize);

#[derive(Debug, Default)]
struct PlutoHalf {
    i: Option<PlutoSide>,
    r: Option<PlutoSide>,
}

#[derive(Debug)]
struct PlutoLine {
    initiator: bool,
    spi_i: u64,
    spi_r: u64,
    integ: Integ,
    auth_key: Vec<u8>,
    encr: Encr,
    enc_key: Vec<u8>,
}

fn hex0x(t: &str) -> Option<Vec<u8>> {
    let h = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X"))?;
    hex::decode(h).ok()
}

/// pluto's own log file stamps lines `Dec  7 17:35:15.030246: ` (month, day, time with
/// microseconds, colon).
fn pluto_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() > 17
        && b[..3].iter().all(u8::is_ascii_alphabetic)
        && b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[6] == b' '
        && b[7..9].iter().all(u8::is_ascii_digit)
        && b[9] == b':'
        && t.get(..40)
            .unwrap_or(t)
            .split_once(": ")
            .is_some_and(|(stamp, _)| stamp.contains('.'))
}

/// `ikev2 I 0xSPIi 0xSPIr sha256:0x… aes256:0x…` anywhere in the line.
fn pluto_keys(line: &str) -> Option<PlutoLine> {
    let at = line
        .find("ikev2 I 0x")
        .or_else(|| line.find("ikev2 R 0x"))?;
    let mut w = line[at..].split_ascii_whitespace().skip(1);
    let initiator = w.next()? == "I";
    let spi = |t: &str| -> Option<u64> {
        let b = hex0x(t)?;
        Some(u64::from_be_bytes(b.as_slice().try_into().ok()?))
    };
    let spi_i = spi(w.next()?)?;
    let spi_r = spi(w.next()?)?;
    let (iname, ikey) = w.next()?.split_once(':')?;
    let (ename, ekey) = w.next()?.split_once(':')?;
    let auth_key = if ikey.is_empty() {
        Vec::new()
    } else {
        hex0x(ikey)?
    };
    let enc_key = if ekey.is_empty() {
        Vec::new()
    } else {
        hex0x(ekey)?
    };
    let integ = match iname {
        "none" | "null" => Integ::None,
        "md5" => Integ::HmacMd5_96,
        "sha1" | "sha" => Integ::HmacSha1_96,
        "sha256" | "sha2_256" => Integ::HmacSha2_256_128,
        "sha384" | "sha2_384" => Integ::HmacSha2_384_192,
        "sha512" | "sha2_512" => Integ::HmacSha2_512_256,
        _ => return None,
    };
    let encr = pluto_encr(ename)?;
    Some(PlutoLine {
        initiator,
        spi_i,
        spi_r,
        integ,
        auth_key,
        encr,
        enc_key,
    })
}

/// libreswan's `encrypt_tcpdump_name` followed by the key length in bits (`aes256`,
/// `aes_gcm_16256`, `3des`). libreswan names AES-GCM with an 8-octet ICV `aes_gcm`.
fn pluto_encr(name: &str) -> Option<Encr> {
    const NAMES: [&str; 11] = [
        "chacha20_poly1305",
        "aes_gcm_16",
        "aes_gcm_12",
        "aes_gcm_8",
        "aes_gcm",
        "aes_ccm_16",
        "aes_ccm_12",
        "aes_ccm_8",
        "aes_ctr",
        "aes",
        "3des",
    ];
    let base = NAMES.iter().find(|n| name.starts_with(**n))?;
    let rest = &name[base.len()..];
    let bits = if rest.is_empty() {
        None
    } else {
        Some(rest.parse::<u16>().ok()?)
    };
    let aes = || AesBits::from_bits(bits.unwrap_or(128));
    Some(match *base {
        "chacha20_poly1305" => Encr::ChaCha20Poly1305,
        "3des" => Encr::TripleDesCbc,
        "aes" => Encr::AesCbc(aes()?),
        "aes_ctr" => Encr::AesCtr(aes()?),
        "aes_gcm_16" => Encr::AesGcm {
            key: aes()?,
            icv: IcvLen::Octets16,
        },
        "aes_gcm_12" => Encr::AesGcm {
            key: aes()?,
            icv: IcvLen::Octets12,
        },
        "aes_gcm_8" | "aes_gcm" => Encr::AesGcm {
            key: aes()?,
            icv: IcvLen::Octets8,
        },
        "aes_ccm_16" => Encr::AesCcm {
            key: aes()?,
            icv: IcvLen::Octets16,
        },
        "aes_ccm_12" => Encr::AesCcm {
            key: aes()?,
            icv: IcvLen::Octets12,
        },
        _ => Encr::AesCcm {
            key: aes()?,
            icv: IcvLen::Octets8,
        },
    })
}

// ------------------------------------------------------------------ charon

/// A charon log line: thread, group (`IKE`, `CHD`…), the IKE SA's unique id when the line
/// names one (`<init|3>` or `<3>`), and the message after them.
#[derive(Debug)]
struct CharonLine<'a> {
    thread: u32,
    group: &'a str,
    uid: Option<u64>,
    msg: &'a str,
}

fn charon_line(line: &str) -> Option<CharonLine<'_>> {
    let b = line.as_bytes();
    let mut i = 0;
    while let Some(off) = line[i..].find('[') {
        let at = i + off;
        let group_ok = b.len() > at + 5
            && b[at + 1..at + 4].iter().all(u8::is_ascii_uppercase)
            && b[at + 4] == b']'
            && b[at + 5] == b' ';
        let digits_start = line[..at]
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_ascii_digit())
            .map_or(0, |(p, c)| p + c.len_utf8());
        if group_ok && digits_start < at {
            let thread = line[digits_start..at].parse().ok()?;
            let group = &line[at + 1..at + 4];
            let mut rest = &line[at + 6..];
            let mut uid = None;
            if rest.starts_with('<') {
                if let Some(end) = rest.find('>') {
                    let inner = &rest[1..end];
                    let num = inner.rsplit('|').next().unwrap_or(inner);
                    uid = num.parse().ok();
                    rest = rest[end + 1..]
                        .strip_prefix(' ')
                        .unwrap_or(&rest[end + 1..]);
                }
            }
            return Some(CharonLine {
                thread,
                group,
                uid,
                msg: rest,
            });
        }
        i = at + 1;
    }
    None
}

/// Where a log line belongs: its IKE SA, or its thread when the log does not name SAs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Ctx {
    Sa(u64),
    Thread(u32),
}

/// A hex dump being read (`NAME => N bytes @ 0x…` then `  OFF: XX XX …` lines).
#[derive(Debug)]
struct Dump {
    name: String,
    ctx: Ctx,
    total: usize,
    want: usize,
    bytes: Vec<u8>,
    line: usize,
}

/// The dumps this reader needs, and how many octets of each.
fn wanted(name: &str, total: usize) -> Option<usize> {
    match name {
        "Sk_d secret"
        | "Sk_ai secret"
        | "Sk_ar secret"
        | "Sk_ei secret"
        | "Sk_er secret"
        | "encryption initiator key"
        | "encryption responder key"
        | "integrity initiator key"
        | "integrity responder key" => Some(total.min(1024)),
        "natd_chunk" | "octets = message + nonce + prf(Sk_px, IDx')" => Some(total.min(16)),
        _ => None,
    }
}

#[derive(Debug, Default, Clone)]
struct IkeKeysPartial {
    ei: Option<Vec<u8>>,
    er: Option<Vec<u8>>,
    ai: Option<Vec<u8>>,
    ar: Option<Vec<u8>>,
    line: usize,
}

#[derive(Debug, Default, Clone)]
struct ChildKeysPartial {
    ei: Option<Vec<u8>>,
    er: Option<Vec<u8>>,
    ai: Option<Vec<u8>>,
    ar: Option<Vec<u8>>,
    line: usize,
}

#[derive(Debug, Default)]
struct CtxState {
    ike_proposal: Option<Result<(Encr, Integ), String>>,
    esp_proposal: Option<Result<(Encr, Integ, bool), String>>,
    ike_keys: Option<IkeKeysPartial>,
    child_keys: Option<ChildKeysPartial>,
    pending_spis: Option<(u64, u64)>,
    /// Index in `Charon::sas` of the last IKE key set derived here.
    last_sa: Option<usize>,
    /// CHILD_SA unique ids this side initiated the exchange for.
    child_initiator: Vec<u64>,
    used: u64,
}

#[derive(Debug)]
struct CharonSa {
    uid: Option<Ctx>,
    /// Derived by a rekey in the old SA's context: waits for `IKE_SA NAME[N] rekeyed`.
    rekey: bool,
    spis: Option<(u64, u64)>,
    keys: Result<(Encr, Integ, IkeKeysPartial), String>,
}

#[derive(Debug, Default)]
struct Charon {
    dumps: HashMap<u32, Dump>,
    ctxs: HashMap<Ctx, CtxState>,
    sas: Vec<CharonSa>,
    spis_by_uid: HashMap<u64, (u64, u64)>,
    esp_addrs: HashMap<u32, (IpAddr, IpAddr)>,
    /// The last `selected proposal` lines of the whole log: a rekeyed IKE SA's responder
    /// derives its keys in the new SA's context, after the old one logged the proposal.
    last_ike_proposal: Option<Result<(Encr, Integ), String>>,
    last_esp_proposal: Option<Result<(Encr, Integ, bool), String>>,
    tick: u64,
}

/// `AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_256` → the encryption and integrity algorithms
/// and whether Extended Sequence Numbers were chosen.
fn strongswan_proposal(p: &str) -> Result<(Encr, Integ, bool), String> {
    let mut encr = None;
    let mut integ = Integ::None;
    let mut esn = false;
    for t in p.split('/') {
        let t = t.trim();
        let aes = |rest: &str| rest.parse::<u16>().ok().and_then(AesBits::from_bits);
        let icv = |n: &str| match n {
            "8" => Some(IcvLen::Octets8),
            "12" => Some(IcvLen::Octets12),
            "16" => Some(IcvLen::Octets16),
            _ => None,
        };
        let e = if let Some(r) = t.strip_prefix("AES_CBC_") {
            aes(r).map(Encr::AesCbc)
        } else if let Some(r) = t.strip_prefix("AES_CTR_") {
            aes(r).map(Encr::AesCtr)
        } else if let Some(r) = t.strip_prefix("AES_GCM_") {
            r.split_once('_').and_then(|(i, k)| {
                Some(Encr::AesGcm {
                    key: aes(k)?,
                    icv: icv(i)?,
                })
            })
        } else if let Some(r) = t.strip_prefix("AES_CCM_") {
            r.split_once('_').and_then(|(i, k)| {
                Some(Encr::AesCcm {
                    key: aes(k)?,
                    icv: icv(i)?,
                })
            })
        } else if t.starts_with("CHACHA20_POLY1305") {
            Some(Encr::ChaCha20Poly1305)
        } else if t == "3DES_CBC" {
            Some(Encr::TripleDesCbc)
        } else if t == "NULL" {
            Some(Encr::Null)
        } else {
            None
        };
        if let Some(e) = e {
            encr = Some(e);
            continue;
        }
        if t.starts_with("HMAC_") || t.starts_with("AES_XCBC") || t.starts_with("AES_CMAC") {
            integ = match t {
                "HMAC_MD5_96" => Integ::HmacMd5_96,
                "HMAC_MD5_128" => Integ::HmacMd5_128,
                "HMAC_SHA1_96" => Integ::HmacSha1_96,
                "HMAC_SHA1_160" => Integ::HmacSha1_160,
                "HMAC_SHA2_256_96" => Integ::HmacSha2_256_96,
                "HMAC_SHA2_256_128" => Integ::HmacSha2_256_128,
                "HMAC_SHA2_384_192" => Integ::HmacSha2_384_192,
                "HMAC_SHA2_512_256" => Integ::HmacSha2_512_256,
                other => return Err(format!("integrity algorithm {other} is not supported")),
            };
        }
        if t == "EXT_SEQ" {
            esn = true;
        }
    }
    let encr = encr.ok_or_else(|| format!("no encryption algorithm this reader knows in {p}"))?;
    Ok((encr, integ, esn))
}

fn hex_bytes(t: &str, max: usize, out: &mut Vec<u8>) {
    for w in t.split(' ').filter(|w| !w.is_empty()) {
        if out.len() >= max || w.len() != 2 {
            return;
        }
        match u8::from_str_radix(w, 16) {
            Ok(b) => out.push(b),
            Err(_) => return,
        }
    }
}

fn spi_pair(b: &[u8]) -> Option<(u64, u64)> {
    let i = u64::from_be_bytes(b.get(..8)?.try_into().ok()?);
    let r = u64::from_be_bytes(b.get(8..16)?.try_into().ok()?);
    (i != 0 && r != 0).then_some((i, r))
}

/// `NAME[N]` in `… SA NAME[N] …`.
fn sa_uid(msg: &str, after: &str) -> Option<u64> {
    let rest = &msg[msg.find(after)? + after.len()..];
    let open = rest.find('[')?;
    let close = rest[open..].find(']')? + open;
    rest[open + 1..close].parse().ok()
}

/// `NAME{N}` in the message.
fn child_uid(msg: &str) -> Option<u64> {
    let open = msg.find('{')?;
    let close = msg[open..].find('}')? + open;
    msg[open + 1..close].parse().ok()
}

impl Charon {
    fn ctx(&mut self, c: Ctx) -> &mut CtxState {
        self.tick += 1;
        if !self.ctxs.contains_key(&c) && self.ctxs.len() >= MAX_CONTEXTS {
            // Forget the least recently used context.
            if let Some(old) = self
                .ctxs
                .iter()
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| *k)
            {
                self.ctxs.remove(&old);
            }
        }
        let tick = self.tick;
        let s = self.ctxs.entry(c).or_default();
        s.used = tick;
        s
    }

    fn line(&mut self, line: &str, n: usize, out: &mut Keys) {
        let Some(l) = charon_line(line) else {
            return;
        };
        if l.msg.starts_with("Starting IKE charon daemon") {
            // A new daemon (a restart, or the next log of a concatenation): its SA ids and
            // threads start again.
            self.finish(out);
            *self = Charon::default();
            return;
        }
        let ctx = l.uid.map_or(Ctx::Thread(l.thread), Ctx::Sa);
        // A hex dump continues on the same thread.
        if let Some(d) = self.dumps.get_mut(&l.thread) {
            let t = l.msg.trim_start();
            if let Some((off, rest)) = t.split_once(": ") {
                if off.chars().all(|c| c.is_ascii_digit()) && !off.is_empty() {
                    let room = d.want.saturating_sub(d.bytes.len()).min(16);
                    let mut got = Vec::with_capacity(16);
                    hex_bytes(rest, room, &mut got);
                    d.bytes.extend_from_slice(&got);
                    if d.bytes.len() >= d.want {
                        if let Some(d) = self.dumps.remove(&l.thread) {
                            self.dump_done(d, out);
                        }
                    }
                    return;
                }
            }
            // Something else on this thread: the dump ended early.
            if let Some(d) = self.dumps.remove(&l.thread) {
                if d.bytes.len() >= d.want.min(16) {
                    self.dump_done(d, out);
                }
            }
        }
        let msg = l.msg;
        if let Some((name, rest)) = msg.split_once(" => ") {
            if let Some(total) = rest
                .split_once(" bytes")
                .and_then(|(t, _)| t.trim().parse::<usize>().ok())
            {
                if let Some(want) = wanted(name, total) {
                    if !self.dumps.contains_key(&l.thread) && self.dumps.len() >= MAX_CONTEXTS {
                        // As many unfinished dumps as threads a daemon never has: drop them.
                        self.dumps.clear();
                    }
                    self.dumps.insert(
                        l.thread,
                        Dump {
                            name: name.to_string(),
                            ctx,
                            total,
                            want,
                            bytes: Vec::with_capacity(want.min(64)),
                            line: n,
                        },
                    );
                    if want == 0 {
                        if let Some(d) = self.dumps.remove(&l.thread) {
                            self.dump_done(d, out);
                        }
                    }
                }
                return;
            }
        }
        if let Some(p) = msg.strip_prefix("selected proposal: ") {
            if let Some(p) = p.strip_prefix("IKE:") {
                let r = strongswan_proposal(p).map(|(e, i, _)| (e, i));
                self.last_ike_proposal = Some(r.clone());
                self.ctx(ctx).ike_proposal = Some(r);
            } else if let Some(p) = p.strip_prefix("ESP:") {
                let r = strongswan_proposal(p);
                self.last_esp_proposal = Some(r.clone());
                self.ctx(ctx).esp_proposal = Some(r);
            }
            return;
        }
        if msg.starts_with("establishing CHILD_SA ") {
            if let Some(c) = child_uid(msg) {
                let s = self.ctx(ctx);
                if s.child_initiator.len() < 64 {
                    s.child_initiator.push(c);
                }
            }
            return;
        }
        if l.group == "CHD" {
            // "  SPI 0x928f93a1, src 127.0.0.1 dst 127.0.0.1"
            let t = msg.trim_start();
            if let Some(r) = t.strip_prefix("SPI 0x") {
                let mut w = r.split([',', ' ']).filter(|w| !w.is_empty());
                let spi = w.next().and_then(|s| u32::from_str_radix(s, 16).ok());
                let (src, dst) = (w.nth(1), w.nth(1));
                if let (Some(spi), Some(src), Some(dst)) = (spi, src, dst) {
                    if let (Ok(s), Ok(d)) = (src.parse(), dst.parse()) {
                        if self.esp_addrs.len() < MAX_SAS {
                            self.esp_addrs.insert(spi, (s, d));
                        }
                    }
                }
                return;
            }
        }
        if msg.contains("CHILD_SA ") && msg.contains(" established with SPIs ") {
            self.child_established(ctx, msg, n, out);
            return;
        }
        if msg.starts_with("IKE_SA ") && msg.contains(" rekeyed between ") {
            if let Some(new_uid) = sa_uid(msg, "IKE_SA ") {
                let idx = self.sas.iter().rposition(|s| s.rekey && s.uid == Some(ctx));
                if let Some(i) = idx {
                    self.sas[i].rekey = false;
                    self.sas[i].uid = Some(Ctx::Sa(new_uid));
                    if self.sas[i].spis.is_none() {
                        self.sas[i].spis = self.spis_by_uid.get(&new_uid).copied();
                    }
                }
            }
            return;
        }
        if l.group == "MGR" && msg.contains(" SA ") && msg.contains(" with SPIs ") {
            // "checkin IKEv2 SA init[2] with SPIs 38f61f527c12d51e_i 08365a19777b99c9_r"
            let Some(uid) = sa_uid(msg, " SA ") else {
                return;
            };
            let Some(rest) = msg.split(" with SPIs ").nth(1) else {
                return;
            };
            let mut w = rest.split_ascii_whitespace();
            let i = w
                .next()
                .and_then(|s| s.strip_suffix("_i"))
                .and_then(|s| u64::from_str_radix(s, 16).ok());
            let r = w
                .next()
                .and_then(|s| s.strip_suffix("_r"))
                .and_then(|s| u64::from_str_radix(s, 16).ok());
            if let (Some(i), Some(r)) = (i, r) {
                if i != 0 && r != 0 {
                    if self.spis_by_uid.len() < MAX_SAS {
                        self.spis_by_uid.insert(uid, (i, r));
                    }
                    for s in &mut self.sas {
                        if s.uid == Some(Ctx::Sa(uid)) && !s.rekey && s.spis.is_none() {
                            s.spis = Some((i, r));
                        }
                    }
                }
            }
        }
    }

    fn dump_done(&mut self, d: Dump, out: &mut Keys) {
        let _ = d.total;
        let ctx = d.ctx;
        match d.name.as_str() {
            "Sk_d secret" => {
                self.finish_ike_keys(ctx);
                self.ctx(ctx).ike_keys = Some(IkeKeysPartial {
                    line: d.line,
                    ..Default::default()
                });
            }
            "Sk_ai secret" | "Sk_ar secret" | "Sk_ei secret" | "Sk_er secret" => {
                let s = self.ctx(ctx);
                let k = s.ike_keys.get_or_insert_with(|| IkeKeysPartial {
                    line: d.line,
                    ..Default::default()
                });
                let slot = match d.name.as_str() {
                    "Sk_ai secret" => &mut k.ai,
                    "Sk_ar secret" => &mut k.ar,
                    "Sk_ei secret" => &mut k.ei,
                    _ => &mut k.er,
                };
                *slot = Some(d.bytes);
                if k.er.is_some() && k.ei.is_some() {
                    // Sk_ai, Sk_ar, Sk_ei, Sk_er are dumped in this order: SK_er is last.
                    self.finish_ike_keys(ctx);
                }
            }
            "encryption initiator key"
            | "encryption responder key"
            | "integrity initiator key"
            | "integrity responder key" => {
                let s = self.ctx(ctx);
                if d.name == "encryption initiator key" || s.child_keys.is_none() {
                    s.child_keys = Some(ChildKeysPartial {
                        line: d.line,
                        ..Default::default()
                    });
                }
                if let Some(k) = s.child_keys.as_mut() {
                    let slot = match d.name.as_str() {
                        "encryption initiator key" => &mut k.ei,
                        "encryption responder key" => &mut k.er,
                        "integrity initiator key" => &mut k.ai,
                        _ => &mut k.ar,
                    };
                    *slot = Some(d.bytes);
                }
            }
            _ => {
                // natd_chunk / AUTH octets: the SPIs of this context's IKE SA.
                if let Some(p) = spi_pair(&d.bytes) {
                    self.observe_spis(ctx, p);
                }
            }
        }
        let _ = out;
    }

    fn observe_spis(&mut self, ctx: Ctx, p: (u64, u64)) {
        let last = self.ctx(ctx).last_sa;
        if let Some(i) = last {
            if let Some(sa) = self.sas.get_mut(i) {
                if !sa.rekey && sa.uid == Some(ctx) {
                    match sa.spis {
                        None => {
                            sa.spis = Some(p);
                            return;
                        }
                        Some(q) if q == p => return,
                        Some(_) => {}
                    }
                }
            }
        }
        self.ctx(ctx).pending_spis = Some(p);
    }

    fn finish_ike_keys(&mut self, ctx: Ctx) {
        let fallback = self.last_ike_proposal.clone();
        let s = self.ctx(ctx);
        let Some(k) = s.ike_keys.take() else {
            return;
        };
        if k.ei.is_none() || k.er.is_none() {
            return;
        }
        let rekey = s.last_sa.is_some();
        let spis = if rekey { None } else { s.pending_spis.take() };
        let keys = match s.ike_proposal.as_ref().or(fallback.as_ref()) {
            Some(Ok((e, i))) => Ok((*e, *i, k)),
            Some(Err(e)) => Err(e.clone()),
            None => {
                Err("no `selected proposal: IKE:…` line before the keys (log with cfg >= 1)".into())
            }
        };
        if self.sas.len() >= MAX_SAS {
            return;
        }
        self.sas.push(CharonSa {
            uid: Some(ctx),
            rekey,
            spis,
            keys,
        });
        let idx = self.sas.len() - 1;
        self.ctx(ctx).last_sa = Some(idx);
    }

    fn child_established(&mut self, ctx: Ctx, msg: &str, n: usize, out: &mut Keys) {
        let Some(rest) = msg.split(" established with SPIs ").nth(1) else {
            return;
        };
        let mut w = rest.split_ascii_whitespace();
        let inbound = w
            .next()
            .and_then(|s| s.strip_suffix("_i"))
            .and_then(|s| u32::from_str_radix(s, 16).ok());
        let outbound = w
            .next()
            .and_then(|s| s.strip_suffix("_o"))
            .and_then(|s| u32::from_str_radix(s, 16).ok());
        let (Some(inb), Some(outb)) = (inbound, outbound) else {
            return;
        };
        let child = child_uid(msg);
        let fallback = self.last_esp_proposal.clone();
        let s = self.ctx(ctx);
        let Some(k) = s.child_keys.clone() else {
            out.note(format!(
                "line {n}: CHILD_SA with SPIs {inb:08x}/{outb:08x}: no CHILD_SA keys in the log before it (log with chd = 4)"
            ));
            return;
        };
        let initiator = child.is_some_and(|c| s.child_initiator.contains(&c));
        let (e, i, esn) = match s.esp_proposal.as_ref().or(fallback.as_ref()) {
            Some(Ok(p)) => *p,
            Some(Err(e)) => {
                out.note(format!(
                    "line {n}: CHILD_SA with SPIs {inb:08x}/{outb:08x}: {e}"
                ));
                return;
            }
            None => {
                out.note(format!(
                    "line {n}: CHILD_SA with SPIs {inb:08x}/{outb:08x}: no `selected proposal: ESP:…` line before it"
                ));
                return;
            }
        };
        // Initiator keys protect what the exchange's initiator sends: its outbound SA.
        let (i_spi, r_spi) = if initiator { (outb, inb) } else { (inb, outb) };
        for (spi, ek, ak) in [(i_spi, &k.ei, &k.ai), (r_spi, &k.er, &k.ar)] {
            if out.esp.iter().any(|x| x.spi == spi) {
                continue;
            }
            let (src, dst) = self
                .esp_addrs
                .get(&spi)
                .map_or((None, None), |(s, d)| (Some(*s), Some(*d)));
            let sa = EspSa {
                spi,
                src,
                dst,
                encr: e,
                enc_key: ek.clone().unwrap_or_default(),
                integ: i,
                auth_key: ak.clone().unwrap_or_default(),
                esn,
            };
            match sa.check() {
                Ok(()) => out.esp.push(sa),
                Err((f, why)) => out
                    .notes
                    .push(format!("line {}: ESP SA {spi:08x}: {f}: {why}", k.line)),
            }
        }
    }

    fn finish(&mut self, out: &mut Keys) {
        let ctxs: Vec<Ctx> = self.ctxs.keys().copied().collect();
        for c in ctxs {
            self.finish_ike_keys(c);
        }
        for sa in self.sas.drain(..) {
            let (e, i, k) = match sa.keys {
                Ok(x) => x,
                Err(why) => {
                    out.note(format!(
                        "IKE SA keys{}: {why}",
                        sa.spis
                            .map(|(i, r)| format!(" of {i:016x}/{r:016x}"))
                            .unwrap_or_default()
                    ));
                    continue;
                }
            };
            let Some((spi_i, spi_r)) = sa.spis else {
                out.note(format!(
                    "line {}: IKE SA keys whose SPIs the log does not give ({}; log with ike = 4{} to have them)",
                    k.line,
                    if sa.rekey { "created by a rekey" } else { "no natd_chunk or AUTH octets dump" },
                    if sa.rekey { " and mgr = 2" } else { "" }
                ));
                continue;
            };
            let keys = SaKeys {
                spi_i,
                spi_r,
                sk_ei: k.ei.unwrap_or_default(),
                sk_er: k.er.unwrap_or_default(),
                encr: e,
                sk_ai: if e.is_aead() {
                    Vec::new()
                } else {
                    k.ai.unwrap_or_default()
                },
                sk_ar: if e.is_aead() {
                    Vec::new()
                } else {
                    k.ar.unwrap_or_default()
                },
                integ: if e.is_aead() { Integ::None } else { i },
            };
            if out.ike.iter().any(|x| x.spi_i == spi_i && x.spi_r == spi_r) {
                continue;
            }
            match keys.check() {
                Ok(()) => out.ike.push(keys),
                Err((f, why)) => out.note(format!(
                    "line {}: IKE SA {spi_i:016x}/{spi_r:016x}: {f}: {why}",
                    k.line
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charon_lines_split() {
        let l =
            charon_line("16:36:19.536 12[IKE] <init|1> Sk_d secret => 48 bytes @ 0x7f").unwrap();
        assert_eq!((l.thread, l.group, l.uid), (12, "IKE", Some(1)));
        assert_eq!(l.msg, "Sk_d secret => 48 bytes @ 0x7f");
        let l = charon_line("Dec  7 16:36:19 host charon: 05[CFG] <3> selected proposal: IKE:X")
            .unwrap();
        assert_eq!((l.thread, l.group, l.uid), (5, "CFG", Some(3)));
        let l = charon_line("12[IKE]    0: 2A 1F").unwrap();
        assert_eq!((l.uid, l.msg), (None, "   0: 2A 1F"));
        assert!(charon_line("no [brackets] here").is_none());
        assert!(charon_line("[IKE] x").is_none());
    }

    #[test]
    fn strongswan_proposals() {
        assert_eq!(
            strongswan_proposal("AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_256").unwrap(),
            (
                Encr::AesGcm {
                    key: AesBits::B256,
                    icv: IcvLen::Octets16
                },
                Integ::None,
                false
            )
        );
        assert_eq!(
            strongswan_proposal("AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ").unwrap(),
            (Encr::AesCbc(AesBits::B128), Integ::HmacSha2_256_128, true)
        );
        assert!(strongswan_proposal("AES_CBC_128/AES_XCBC_96").is_err());
        assert!(strongswan_proposal("CAMELLIA_CBC_128").is_err());
    }

    // Lines in the documented pluto format (libreswan's ikev2_log_parentSA), with a key from
    // RFC 3602's test vectors in place of a real one.
    const PLUTO: &str = "\
Dec  7 12:00:00.000000: | ikev2 I 0x0102030405060708 0x1112131415161718 sha256:0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f aes256:0x202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f
Dec  7 12:00:00.000001: | ikev2 R 0x0102030405060708 0x1112131415161718 sha256:0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f aes256:0x606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f
| ikev2 I 0xaaaaaaaaaaaaaaaa 0xbbbbbbbbbbbbbbbb none: aes_gcm_16128:0x000102030405060708090a0b0c0d0e0f10111213
| ikev2 R 0xaaaaaaaaaaaaaaaa 0xbbbbbbbbbbbbbbbb none: aes_gcm_16128:0x202122232425262728292a2b2c2d2e2f30313233
| ikev2 I 0xcccccccccccccccc 0xdddddddddddddddd none: aes_gcm_16256:0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
| ikev2 R 0xcccccccccccccccc 0xdddddddddddddddd none: aes_gcm_16256:0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
";

    // pluto 4.10's CHILD_SA key lines (plutodebug=all,private), shape as logged, with an IPv6
    // SA, a 20-octet GCM key whose dump ends mid-line, and keys of RFC 3602's test vectors.
    const PLUTO_CHILD: &str = "\
Dec  7 20:14:15.931900: | kernel: looking for alg with encrypt: AES_GCM_16 keylen: 128 integ: NONE
Dec  7 20:14:15.931903: | kernel: st->st_esp.keymat_len=20 is encrypt_keymat_size=20 + integ_keymat_size=0
Dec  7 20:14:15.931907: | ESP enckey:
Dec  7 20:14:15.931908: |   00 01 02 03  04 05 06 07  08 09 0a 0b  0c 0d 0e 0f   ................
Dec  7 20:14:15.931909: |   c0 ff ee 20                                        ... 
Dec  7 20:14:15.931910: | ESP authkey:
Dec  7 20:14:15.931911: | kernel: NIC esp-hw-offload not for connection 'psk' not available on interface ilr1
Dec  7 20:14:15.931918: | kernel: add_sa() level=0 inbound tunnel 2001:db8::2/128-ALL->2001:db8::2[c0ffee01]==>2001:db8::1-ALL->2001:db8::1/128 replay_window=128 AES_GCM_16:20
";

    #[test]
    fn pluto_child_sa_lines_give_esp_keys() {
        let (kind, k) = read_keys(PLUTO_CHILD).unwrap();
        assert_eq!(kind, KeyFileKind::PlutoLog);
        assert_eq!(k.esp.len(), 1, "{:?}", k.notes);
        let sa = &k.esp[0];
        assert_eq!(sa.spi, 0xc0ff_ee01);
        assert_eq!(sa.src, "2001:db8::2".parse().ok());
        assert_eq!(sa.dst, "2001:db8::1".parse().ok());
        assert_eq!(
            sa.encr,
            Encr::AesGcm {
                key: AesBits::B128,
                icv: IcvLen::Octets16
            }
        );
        assert_eq!(sa.enc_key.len(), 20);
        assert_eq!(&sa.enc_key[16..], [0xc0, 0xff, 0xee, 0x20]);
        assert!(sa.auth_key.is_empty());
        // A dump cut short is named, not used.
        let cut = PLUTO_CHILD.replace(
            "Dec  7 20:14:15.931909: |   c0 ff ee 20                                        ... \n",
            "",
        );
        let (_, k) = read_keys(&cut).unwrap();
        assert!(k.esp.is_empty());
        assert!(k.notes[0].contains("ESP SA 0xc0ffee01"), "{:?}", k.notes);
        assert_eq!(pluto_dump_line("  ESP authkey:"), None);
        assert_eq!(pluto_dump_line("  ab"), Some(vec![0xab]));
    }

    #[test]
    fn pluto_lines_give_ike_keys() {
        let (kind, k) = read_keys(PLUTO).unwrap();
        assert_eq!(kind, KeyFileKind::PlutoLog);
        assert_eq!(k.ike.len(), 2, "{:?}", k.notes);
        let a = &k.ike[0];
        assert_eq!(
            (a.spi_i, a.spi_r),
            (0x0102_0304_0506_0708, 0x1112_1314_1516_1718)
        );
        assert_eq!(a.encr, Encr::AesCbc(AesBits::B256));
        assert_eq!(a.integ, Integ::HmacSha2_256_128);
        assert_eq!(a.sk_ai[0], 0x00);
        assert_eq!(a.sk_ar[0], 0x40);
        assert_eq!(a.sk_ei[0], 0x20);
        assert_eq!(a.sk_er[0], 0x60);
        let g = &k.ike[1];
        assert_eq!(
            g.encr,
            Encr::AesGcm {
                key: AesBits::B128,
                icv: IcvLen::Octets16
            }
        );
        assert_eq!(g.sk_ei.len(), 20);
        assert_eq!(g.integ, Integ::None);
        // The 256-bit GCM keys are cut at 32 octets by pluto: said, not used.
        assert_eq!(k.notes.len(), 1, "{:?}", k.notes);
        assert!(k.notes[0].contains("salt is cut off"), "{}", k.notes[0]);
        assert_eq!(pluto_encr("aes_ctr192"), Some(Encr::AesCtr(AesBits::B192)));
        assert_eq!(pluto_encr("3des"), Some(Encr::TripleDesCbc));
        assert_eq!(pluto_encr("twofish256"), None);
    }

    #[test]
    fn tables_are_told_apart() {
        let ike = "4385413886274e9f,2d09281710795d69,8f90d851ae8f7d466e053816957a79f354ef59914c294b8c4fb23514b4c059a652db072f,2cd0e891356a5af23428914cac06df899d8ceee2f3e8df3fa99efa56dfe951ed6e74c74b,\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"";
        let (kind, k) = read_keys(&format!("# x\n{ike}\n")).unwrap();
        assert_eq!((kind, k.ike.len()), (KeyFileKind::Ikev2Table, 1));
        let esp = "\"IPv4\",\"*\",\"*\",\"0x00000001\",\"NULL\",\"\",\"NULL\",\"\"";
        let (kind, k) = read_keys(esp).unwrap();
        assert_eq!((kind, k.esp.len()), (KeyFileKind::EspTable, 1));
        let e = read_keys(&format!("{ike}\nnonsense")).unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(read_keys("\n# only\n").unwrap().0, KeyFileKind::Empty);
    }

    #[test]
    fn mutated_logs_never_panic() {
        let base = format!(
            "{PLUTO}\n00:00:00.000 12[CFG] <c|1> selected proposal: IKE:AES_CBC_128/PRF_HMAC_SHA2_256/MODP_2048\n\
             00:00:00.001 12[IKE] <c|1> natd_chunk => 22 bytes @ 0x1\n\
             00:00:00.001 12[IKE] <c|1>    0: 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10  ................\n\
             00:00:00.001 12[IKE] <c|1> Sk_ei secret => 16 bytes @ 0x1\n\
             00:00:00.001 12[IKE] <c|1>    0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................\n\
             00:00:00.001 12[IKE] <c|1> Sk_er secret => 16 bytes @ 0x1\n\
             00:00:00.001 12[IKE] <c|1>    0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F  ................\n\
             00:00:00.002 13[IKE] <c|1> CHILD_SA c{{1}} established with SPIs 0000abcd_i 0000dcba_o and TS\n"
        );
        // The unmutated log gives keys; every mutation is read without a panic.
        let charon: String = base.lines().skip(6).collect::<Vec<_>>().join("\n");
        let (kind, k) = read_keys(&charon).unwrap();
        assert_eq!(kind, KeyFileKind::CharonLog);
        assert_eq!(k.ike.len(), 1, "{:?}", k.notes);
        assert_eq!(
            (k.ike[0].spi_i, k.ike[0].spi_r),
            (0x0102_0304_0506_0708, 0x090a_0b0c_0d0e_0f10)
        );
        let bytes = base.as_bytes();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut m = bytes.to_vec();
            let at = (x as usize) % m.len();
            m[at] = (x >> 32) as u8;
            if x % 3 == 0 {
                m.truncate((x as usize >> 8) % bytes.len());
            }
            let text = String::from_utf8_lossy(&m);
            let _ = read_keys(&text);
            let mut r = KeyReader::new();
            for line in text.lines().skip(6) {
                let _ = r.push_line(line);
            }
            let _ = r.finish();
        }
        // Multi-byte text before a thread number.
        assert!(charon_line("é12[IKE] x").is_some());
        assert!(charon_line("éé[IKE] x").is_none());
    }

    #[test]
    fn never_panics_on_odd_logs() {
        for s in [
            "1[IKE] ",
            "1[IKE] <",
            "1[IKE] <a|> Sk_d secret => 99999999999999999999 bytes",
            "1[IKE] Sk_ei secret => 4 bytes @ 0\n1[IKE]    0: ZZ",
            "1[MGR] checkin IKEv2 SA x[ with SPIs",
            "1[IKE] CHILD_SA x{ established with SPIs _i _o",
            "| ikev2 I 0x 0x a:b c:d",
            "| ikev2 I 0x0102030405060708 0x0102030405060708 sha256:0x aes999:0x00",
        ] {
            let _ = read_keys(s);
        }
    }
}
