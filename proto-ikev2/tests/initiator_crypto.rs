//! The initiator's cryptography (`keymat`, `protect`) against real strongSwan 5.9.8 exchanges:
//! the project's recordings `pcaps/ikev2/*.pcap`, their charon logs (`*.log`, ike=4: SKEYSEED
//! and every SK_* key as hex dumps, both sides) and key tables (`*.keys`), and tshark as an
//! independent decoder of what `protect::seal` builds.
//!
//! - Key split: for every IKE SA of every recording, prf+ of the logged SKEYSEED over the nonces
//!   and SPIs of the capture must give exactly the SK_* keys both daemons logged, and
//!   `table_line` must give the `.keys` line byte for byte (IKE_SA_INIT SAs and the IKE SA
//!   rekeyed with CREATE_CHILD_SA, whose nonces and SPIs come from decrypted payloads).
//! - AUTH: the AUTH payloads strongSwan sent in IKE_AUTH (decrypted with the `.keys`, fragments
//!   reassembled) equal `psk_auth(signed_octets(…))` computed from the IKE_SA_INIT bytes of the
//!   capture, the logged SK_pi/SK_pr and the lab's PSK `ietfwg-test-psk` (`pcaps/record-ikev2`);
//!   in `wrong-psk` the initiator's equals the one computed with its wrong key instead.
//! - seal: tshark 4.0 decrypts the IKE_AUTH-like messages `protect::seal` builds (and the
//!   RFC 7383 fragments of `protect::seal_fragments`) for nine cipher/integrity/PRF/group
//!   suites, each keyed by a real key agreement (`kex`) and `derive::derive_ike_sa`, with the
//!   `table_line` of its keys: every ICV "[correct]", the inner payloads shown; with one key
//!   octet changed every ICV "[incorrect]". (The round trip through `crypto::decrypt` for every
//!   cipher × integrity pair is in `protect`'s unit tests.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod capture;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ietfwg_ikev2::crypto::decrypt::decrypt;
use ietfwg_ikev2::crypto::derive::{self, IkeSaKeys, Prf};
use ietfwg_ikev2::crypto::keytable::{self, Encr, SaKeys};
use ietfwg_ikev2::wire::registry::PrfId;

use capture::{find_sk, ike_messages, Msg};

/// The PSK of the recording lab (`pcaps/record-ikev2`).
const LAB_PSK: &[u8] = b"ietfwg-test-psk";
/// The initiator's PSK in the `wrong-psk` recording.
const WRONG_PSK: &[u8] = b"ietfwg-wrong-psk";

fn recordings() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/ikev2")
}

/// (type, body) of each payload of a chain starting with type `first` at `chain[0]`.
fn payloads(first: u8, chain: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut next = first;
    let mut off = 0;
    while next != 0 && next != 46 && next != 53 {
        let len = usize::from(u16::from_be_bytes([chain[off + 2], chain[off + 3]]));
        assert!(len >= 4 && off + len <= chain.len(), "payload at {off}");
        out.push((next, chain[off + 4..off + len].to_vec()));
        next = chain[off];
        off += len;
    }
    out
}

/// The outer payloads of a message (up to, not including, SK/SKF).
fn outer(m: &Msg) -> Vec<(u8, Vec<u8>)> {
    payloads(m.bytes[16], &m.bytes[28..])
}

fn body_of(ps: &[(u8, Vec<u8>)], t: u8) -> Option<Vec<u8>> {
    ps.iter().find(|(pt, _)| *pt == t).map(|(_, b)| b.clone())
}

/// The chosen PRF transform of an SA payload body with one proposal.
fn chosen_prf(sa: &[u8]) -> Prf {
    let spi_size = usize::from(sa[6]);
    let mut off = 8 + spi_size;
    let n = usize::from(sa[7]);
    for _ in 0..n {
        let tlen = usize::from(u16::from_be_bytes([sa[off + 2], sa[off + 3]]));
        if sa[off + 4] == 2 {
            let id = u16::from_be_bytes([sa[off + 6], sa[off + 7]]);
            return Prf::from_id(PrfId(id)).unwrap_or_else(|| panic!("PRF {id}"));
        }
        off += tlen;
    }
    panic!("no PRF transform in {sa:02x?}")
}

/// The SPI of the first proposal of an SA payload body.
fn proposal_spi(sa: &[u8]) -> Vec<u8> {
    let spi_size = usize::from(sa[6]);
    sa[8..8 + spi_size].to_vec()
}

/// Decrypts the SK payload — or reassembles the SKF fragments (RFC 7383) — of the messages
/// `parts` (one message, or every fragment of one): the first inner type and the inner chain.
fn open(parts: &[&Msg], keys: &SaKeys) -> (u8, Vec<u8>) {
    let mut frags: BTreeMap<u16, (u8, Vec<u8>)> = BTreeMap::new();
    for m in parts {
        let (off, _) = find_sk(&m.bytes).unwrap();
        let d = decrypt(&m.bytes, off, keys, m.is_from_initiator())
            .unwrap_or_else(|e| panic!("frame {}: {e}", m.frame));
        assert!(d.icv_ok, "frame {}: ICV", m.frame);
        let n = d.fragment.map_or(1, |f| f.number);
        frags.insert(n, (d.first_payload, d.plaintext));
    }
    let first = frags.get(&1).map(|f| f.0).unwrap();
    (first, frags.into_values().flat_map(|f| f.1).collect())
}

/// The IKE SA key sets of a charon log (ike=4 hex dumps), per side, in log order: name →
/// bytes (`SKEYSEED`, `Sk_d`, `Sk_ai`, …).
fn log_key_sets(log: &str) -> Vec<(String, BTreeMap<String, Vec<u8>>)> {
    let mut sets: Vec<(String, BTreeMap<String, Vec<u8>>)> = Vec::new();
    let mut side = String::new();
    let mut current: Option<String> = None;
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("######## ") {
            side = rest.split(':').next().unwrap().to_string();
            current = None;
            continue;
        }
        if !line.contains("[IKE]") {
            continue;
        }
        let Some(after) = line.split_once("> ").map(|(_, a)| a) else {
            continue;
        };
        if let Some((name, _)) = after.split_once(" => ") {
            // Only the key dumps (a full log also dumps NAT-D hashes, AUTH octets, …).
            if name != "SKEYSEED" && !name.starts_with("Sk_") {
                current = None;
                continue;
            }
            let name = name.trim_end_matches(" secret").to_string();
            if name == "SKEYSEED" {
                sets.push((side.clone(), BTreeMap::new()));
            }
            sets.last_mut().unwrap().1.insert(name.clone(), Vec::new());
            current = Some(name);
        } else if let Some(cur) = &current {
            // "   16: 69 66 E9 … 63  if.....": the offset, 16 hex octets at most, the ASCII.
            let t = after.trim_start();
            let Some((_, rest)) = t.split_once(": ") else {
                continue;
            };
            let hexpart: String = rest.chars().take(16 * 3).collect();
            let v = sets.last_mut().unwrap().1.get_mut(cur).unwrap();
            for tok in hexpart.split_whitespace() {
                if tok.len() == 2 {
                    if let Ok(b) = u8::from_str_radix(tok, 16) {
                        v.push(b);
                        continue;
                    }
                }
                break;
            }
        }
    }
    sets
}

/// How one IKE SA of a recording was made: its nonces and SPIs, the messages that authenticate
/// it (IKE_SA_INIT request and response) when it was made by IKE_SA_INIT.
struct SaOrigin {
    ni: Vec<u8>,
    nr: Vec<u8>,
    prf: Prf,
    init: Option<(Msg, Msg)>,
}

/// Finds how the SA `k` was made: by IKE_SA_INIT (last request with its SPIi before the
/// response carrying both SPIs), else by a CREATE_CHILD_SA rekey under another SA of `table`.
fn origin(msgs: &[Msg], k: &SaKeys, table: &[SaKeys]) -> SaOrigin {
    if let Some(ri) = msgs.iter().position(|m| {
        m.exchange() == 34 && m.response() && m.spi_i() == k.spi_i && m.spi_r() == k.spi_r
    }) {
        let req = msgs[..ri]
            .iter()
            .rev()
            .find(|m| m.exchange() == 34 && !m.response() && m.spi_i() == k.spi_i)
            .unwrap()
            .clone();
        let resp = msgs[ri].clone();
        let (rq, rs) = (outer(&req), outer(&resp));
        return SaOrigin {
            ni: body_of(&rq, 40).unwrap(),
            nr: body_of(&rs, 40).unwrap(),
            prf: chosen_prf(&body_of(&rs, 33).unwrap()),
            init: Some((req, resp)),
        };
    }
    // A rekey: the CREATE_CHILD_SA request whose SA proposal carries SPIi (8 octets), and its
    // response carrying SPIr, both encrypted under an older SA.
    for old in table.iter().filter(|o| o.spi_i != k.spi_i) {
        let under: Vec<&Msg> = msgs
            .iter()
            .filter(|m| m.exchange() == 36 && m.spi_i() == old.spi_i && m.spi_r() == old.spi_r)
            .collect();
        for req in under.iter().filter(|m| !m.response()) {
            let (first, inner) = open(&[req], old);
            let rq = payloads(first, &inner);
            let Some(sa) = body_of(&rq, 33) else { continue };
            if proposal_spi(&sa) != k.spi_i.to_be_bytes() {
                continue;
            }
            let resp = under
                .iter()
                .find(|m| m.response() && m.message_id() == req.message_id())
                .unwrap();
            let (first, inner) = open(&[resp], old);
            let rs = payloads(first, &inner);
            let sa_r = body_of(&rs, 33).unwrap();
            assert_eq!(proposal_spi(&sa_r), k.spi_r.to_be_bytes());
            return SaOrigin {
                ni: body_of(&rq, 40).unwrap(),
                nr: body_of(&rs, 40).unwrap(),
                prf: chosen_prf(&sa_r),
                init: None,
            };
        }
    }
    panic!(
        "no exchange creates the IKE SA {:016x}_{:016x}",
        k.spi_i, k.spi_r
    )
}

struct Recording {
    name: String,
    msgs: Vec<Msg>,
    table: Vec<SaKeys>,
    lines: Vec<String>,
    log: String,
}

fn load_recordings() -> Vec<Recording> {
    let dir = recordings();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "pcap").then(|| p.file_stem().unwrap().to_string_lossy().into())
        })
        // libreswan-*: ietfwg's own initiator against pluto; no daemon logged its keys (the
        // table is what `--keylog` wrote), so the charon-log checks here are not theirs.
        .filter(|n: &String| !n.starts_with("libreswan-"))
        .collect();
    names.sort();
    names
        .into_iter()
        .filter_map(|name| {
            let text = std::fs::read_to_string(dir.join(format!("{name}.keys"))).ok()?;
            let log = std::fs::read_to_string(dir.join(format!("{name}.log"))).ok()?;
            let table = keytable::parse_table(&text).unwrap();
            let lines = text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect();
            Some(Recording {
                msgs: ike_messages(&dir.join(format!("{name}.pcap"))),
                name,
                table,
                lines,
                log,
            })
        })
        .collect()
}

/// The keys derived from a logged SKEYSEED for the SA `k` made as `o` describes.
fn derive_from_log(o: &SaOrigin, k: &SaKeys, skeyseed: &[u8]) -> IkeSaKeys {
    derive::split(
        &o.prf,
        skeyseed.to_vec(),
        k.encr,
        k.integ,
        &o.ni,
        &o.nr,
        k.spi_i,
        k.spi_r,
    )
}

#[test]
fn key_split_matches_charon_logs_and_key_tables() {
    let recs = load_recordings();
    let mut sas = 0;
    let mut seen = std::collections::BTreeSet::new();
    for r in &recs {
        let sets = log_key_sets(&r.log);
        for (k, line) in r.table.iter().zip(&r.lines) {
            let o = origin(&r.msgs, k, &r.table);
            // The sets both daemons logged for this SA (SK_ei includes the salt in the log).
            let mine: Vec<&BTreeMap<String, Vec<u8>>> = sets
                .iter()
                .filter(|(_, s)| s.get("Sk_ei") == Some(&k.sk_ei))
                .map(|(_, s)| s)
                .collect();
            assert_eq!(mine.len(), 2, "{}: initiator and responder sets", r.name);
            for s in mine {
                let d = derive_from_log(&o, k, &s["SKEYSEED"]);
                let empty = Vec::new();
                for (name, got) in [
                    ("Sk_d", &d.sk_d),
                    ("Sk_ai", &d.sk_ai),
                    ("Sk_ar", &d.sk_ar),
                    ("Sk_ei", &d.sk_ei),
                    ("Sk_er", &d.sk_er),
                    ("Sk_pi", &d.sk_pi),
                    ("Sk_pr", &d.sk_pr),
                ] {
                    assert_eq!(got, s.get(name).unwrap_or(&empty), "{}: {name}", r.name);
                }
                let t = d.table_keys(k.spi_i, k.spi_r, k.encr, k.integ);
                assert_eq!(&t, k, "{}", r.name);
                let ours = keytable::table_line(&t);
                if k.encr == Encr::ChaCha20Poly1305 {
                    // The recording spells it "CHACHA20-POLY1305 [RFC7634]", `Encr::name`
                    // "ChaCha20-Poly1305 [RFC7634]"; both read alike (names ignore case).
                    assert_eq!(ours.to_ascii_lowercase(), line.to_ascii_lowercase());
                } else {
                    assert_eq!(ours, *line, "{}", r.name);
                }
                assert_eq!(keytable::parse_table(&ours).unwrap(), vec![k.clone()]);
            }
            seen.insert((
                k.encr.name(),
                k.integ.name(),
                o.prf.id().0,
                o.init.is_some(),
            ));
            sas += 1;
        }
    }
    assert!(sas >= 14, "only {sas} IKE SAs checked");
    for want in [
        ("3DES [RFC2451]", "HMAC_SHA1_96 [RFC2404]", 2),
        ("AES-CBC-128 [RFC3602]", "HMAC_SHA2_256_128 [RFC4868]", 5),
        ("AES-CTR-256 [RFC5930]", "HMAC_SHA2_256_128 [RFC4868]", 5),
        (
            "AES-GCM-256 with 16 octet ICV [RFC5282]",
            "NONE [RFC4306]",
            6,
        ),
        (
            "AES-CCM-128 with 16 octet ICV [RFC5282]",
            "NONE [RFC4306]",
            5,
        ),
        ("ChaCha20-Poly1305 [RFC7634]", "NONE [RFC4306]", 5),
    ] {
        assert!(
            seen.iter()
                .any(|s| (s.0.as_str(), s.1.as_str(), s.2) == want),
            "no recording with {want:?}: {seen:?}"
        );
    }
    assert!(
        seen.iter().any(|s| !s.3),
        "no IKE SA rekeyed by CREATE_CHILD_SA: {seen:?}"
    );
}

/// The IKE_AUTH messages of SA `k` from one side: every fragment of the first such message.
fn ike_auth<'a>(msgs: &'a [Msg], k: &SaKeys, from_initiator: bool) -> Vec<&'a Msg> {
    msgs.iter()
        .filter(|m| {
            m.exchange() == 35
                && m.spi_i() == k.spi_i
                && m.spi_r() == k.spi_r
                && m.is_from_initiator() == from_initiator
                && m.message_id() == 1
        })
        .collect()
}

#[test]
fn strongswan_auth_payloads_recomputed_with_psk() {
    let recs = load_recordings();
    let mut checked = 0;
    for r in &recs {
        let sets = log_key_sets(&r.log);
        for k in &r.table {
            let o = origin(&r.msgs, k, &r.table);
            let Some((req, resp)) = &o.init else { continue };
            let s = &sets
                .iter()
                .find(|(_, s)| s.get("Sk_ei") == Some(&k.sk_ei))
                .unwrap()
                .1;
            let (sk_pi, sk_pr) = (&s["Sk_pi"], &s["Sk_pr"]);
            for from_initiator in [true, false] {
                // Retransmissions and fragments alike: `open` keys them by Fragment Number.
                let parts = ike_auth(&r.msgs, k, from_initiator);
                if parts.is_empty() {
                    continue;
                }
                let (first, inner) = open(&parts, k);
                let ps = payloads(first, &inner);
                let id_type = if from_initiator { 35 } else { 36 };
                let Some(auth) = body_of(&ps, 39) else {
                    // The responder answers a failed authentication without AUTH.
                    assert!(!from_initiator, "{}: initiator sent no AUTH", r.name);
                    assert_eq!(r.name, "wrong-psk");
                    continue;
                };
                let id = body_of(&ps, id_type).unwrap();
                assert_eq!(auth[0], 2, "{}: Shared Key Message Integrity Code", r.name);
                let so = if from_initiator {
                    derive::signed_octets(&o.prf, &req.bytes, &o.nr, sk_pi, &id)
                } else {
                    derive::signed_octets(&o.prf, &resp.bytes, &o.ni, sk_pr, &id)
                };
                let good = derive::psk_auth(&o.prf, LAB_PSK, &so);
                if r.name == "wrong-psk" && from_initiator {
                    assert_ne!(auth[4..], good[..]);
                    assert_eq!(auth[4..], derive::psk_auth(&o.prf, WRONG_PSK, &so)[..]);
                } else {
                    assert_eq!(
                        auth[4..],
                        good[..],
                        "{} {}",
                        r.name,
                        if from_initiator {
                            "initiator"
                        } else {
                            "responder"
                        }
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} AUTH payloads checked");
}

/// tshark on PATH (or /usr/sbin), or None with a notice; a failure under `CI=true`.
fn tshark() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("tshark"))
        .find(|p| p.is_file());
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but tshark is not installed (scripts/test installs it)");
        }
        eprintln!("notice: tshark is not installed; skipping this test");
    }
    found
}

/// A pcap (LINKTYPE_RAW) with each message in an IPv4/UDP 500 → 500 datagram on loopback.
fn write_pcap(path: &Path, messages: &[Vec<u8>]) {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes()); // magic, microseconds
    f.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    f.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    f.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
    f.extend_from_slice(&101u32.to_le_bytes()); // LINKTYPE_RAW
    for (i, m) in messages.iter().enumerate() {
        let b = etherparse::PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64).udp(500, 500);
        let mut pkt = Vec::with_capacity(b.size(m.len()));
        b.write(&mut pkt, m).unwrap();
        f.extend_from_slice(&(1_700_000_000u32 + i as u32).to_le_bytes()); // ts_sec
        f.extend_from_slice(&0u32.to_le_bytes()); // ts_usec
        f.extend_from_slice(&(pkt.len() as u32).to_le_bytes()); // incl_len
        f.extend_from_slice(&(pkt.len() as u32).to_le_bytes()); // orig_len
        f.extend_from_slice(&pkt);
    }
    std::fs::write(path, f).unwrap();
}

/// An inner chain as an IKE_AUTH carries it: IDi/IDr (ID_RFC822_ADDR) → AUTH (PSK, 32 octets)
/// → N(INITIAL_CONTACT).
fn auth_inner(id: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&[39, 0]); // IDx: Next Payload = AUTH
    v.extend_from_slice(&((8 + id.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[3, 0, 0, 0]); // ID_RFC822_ADDR, RESERVED
    v.extend_from_slice(id);
    v.extend_from_slice(&[41, 0, 0, 40, 2, 0, 0, 0]); // AUTH → N, method 2
    v.extend_from_slice(&[0xa5; 32]);
    v.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0x40, 0x00]); // N(INITIAL_CONTACT)
    v
}

#[test]
fn tshark_decrypts_what_seal_builds() {
    use ietfwg_ikev2::crypto::key_exchange::KeyExchange;
    use ietfwg_ikev2::crypto::keytable::{AesBits::*, IcvLen::*, Integ};
    use ietfwg_ikev2::crypto::protect::{seal, seal_fragments};
    use ietfwg_ikev2::wire::header::Header;
    use ietfwg_ikev2::wire::registry::{ExchangeType, KeId, PayloadType};
    let Some(tshark) = tshark() else { return };
    // tshark 4.0's table has every cipher but ChaCha20-Poly1305.
    let suites = [
        (Encr::TripleDesCbc, Integ::HmacSha1_96, 2, KeId::MODP_2048),
        (Encr::AesCbc(B128), Integ::HmacMd5_96, 1, KeId::CURVE25519),
        (
            Encr::AesCbc(B256),
            Integ::HmacSha2_512_256,
            7,
            KeId::ECP_384,
        ),
        (
            Encr::AesCtr(B192),
            Integ::HmacSha2_384_192,
            6,
            KeId::ECP_256,
        ),
        (Encr::Null, Integ::HmacSha2_256_128, 5, KeId::CURVE448),
        (
            Encr::AesGcm {
                key: B128,
                icv: Octets8,
            },
            Integ::None,
            5,
            KeId::CURVE25519,
        ),
        (
            Encr::AesGcm {
                key: B256,
                icv: Octets16,
            },
            Integ::None,
            6,
            KeId::ECP_256,
        ),
        (
            Encr::AesCcm {
                key: B256,
                icv: Octets12,
            },
            Integ::None,
            5,
            KeId::CURVE25519,
        ),
        (
            Encr::AesCcm {
                key: B128,
                icv: Octets8,
            },
            Integ::None,
            8,
            KeId::CURVE25519,
        ),
    ];
    let dir = std::env::temp_dir().join(format!("ietfwg-seal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut messages = Vec::new();
    let mut lines = Vec::new();
    let mut bad_lines = Vec::new();
    let mut fragments = Vec::new();
    for (n, (encr, integ, prf_id, group)) in suites.into_iter().enumerate() {
        // A whole key agreement: both sides' KE, g^ir, SKEYSEED and the split.
        let i = KeyExchange::generate(group).unwrap();
        let r = KeyExchange::generate(group).unwrap();
        let gir = i.shared_secret(r.public()).unwrap();
        assert_eq!(gir, r.shared_secret(i.public()).unwrap());
        let prf = Prf::from_id(PrfId(prf_id)).unwrap();
        let (ni, nr) = ([0x11u8; 32], [0x22u8; 32]);
        let (spi_i, spi_r) = (0x0102_0304_0506_0700 + n as u64, 0xa1a2_a3a4_a5a6_a7a8);
        let sa = derive::derive_ike_sa(&prf, encr, integ, &ni, &nr, &gir, spi_i, spi_r);
        let k = sa.table_keys(spi_i, spi_r, encr, integ);
        let header = |flags: u8| Header {
            spi_i,
            spi_r,
            next_payload: PayloadType(0),
            major_version: 2,
            minor_version: 0,
            exchange: ExchangeType(35),
            flags,
            message_id: 1,
            length: 0,
        };
        // The IKE_AUTH request and response.
        let (request, from_i) = (
            auth_inner(b"initiator@test.local"),
            header(Header::FLAG_INITIATOR),
        );
        messages.push(seal(&from_i, PayloadType(35), &request, &k, true).unwrap());
        messages.push(
            seal(
                &header(Header::FLAG_RESPONSE),
                PayloadType(36),
                &auth_inner(b"responder@test.local"),
                &k,
                false,
            )
            .unwrap(),
        );
        if n == 2 || n == 6 {
            // The same IKE_AUTH request in RFC 7383 fragments of at most 100 octets.
            let frags = seal_fragments(&from_i, PayloadType(35), &request, &k, true, 100).unwrap();
            assert!(frags.len() >= 2, "{encr}: {} fragment(s)", frags.len());
            fragments.push((n, frags));
        }
        lines.push(keytable::table_line(&k));
        // Control: one octet of SK_ai and SK_ar (for AEAD: SK_ei and SK_er) changed.
        let mut bad = k.clone();
        if encr.is_aead() {
            bad.sk_ei[0] ^= 1;
            bad.sk_er[0] ^= 1;
        } else {
            bad.sk_ai[0] ^= 1;
            bad.sk_ar[0] ^= 1;
        }
        bad_lines.push(keytable::table_line(&bad));
    }
    let whole = messages.len();
    let mut fragment_frames = Vec::new(); // (suite, Fragment Number, Total Fragments)
    for (n, frags) in &fragments {
        for (i, f) in frags.iter().enumerate() {
            fragment_frames.push((*n, i + 1, frags.len()));
            messages.push(f.clone());
        }
    }
    let pcap = dir.join("sealed.pcap");
    write_pcap(&pcap, &messages);
    // tshark -V, one text per frame.
    let run = |lines: &[String]| -> Vec<String> {
        let mut cmd = std::process::Command::new(&tshark);
        cmd.arg("-r").arg(&pcap).arg("-V");
        for l in lines {
            cmd.args(["-o", &format!("uat:ikev2_decryption_table:{l}")]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let frames: Vec<String> = text.split("\nFrame ").map(str::to_string).collect();
        assert_eq!(frames.len(), messages.len(), "{text}");
        frames
    };
    let frames = run(&lines);
    for (f, text) in frames.iter().enumerate().skip(whole) {
        let (n, number, total) = fragment_frames[f - whole];
        let (encr, integ, _, _) = suites[n];
        let what = format!("frame {}: {encr} / {integ}, fragment {number}", f + 1);
        for want in [
            "Payload: Encrypted and Authenticated Fragment (53)".to_string(),
            format!("Fragment Number: {number}"),
            format!("Total Fragments: {total}"),
        ] {
            assert!(text.contains(&want), "{what}: no {want:?}:\n{text}");
        }
        assert_eq!(text.matches("[correct]").count(), 1, "{what}:\n{text}");
    }
    for (f, text) in frames.iter().enumerate().take(whole) {
        let (encr, integ, _, _) = suites[f / 2];
        let what = format!("frame {}: {encr} / {integ}", f + 1);
        let (mine, theirs) = if f % 2 == 0 {
            ("Initiator (35)", "initiator@test.local")
        } else {
            ("Responder (36)", "responder@test.local")
        };
        for want in [
            "Integrity Checksum Data: ".to_string(),
            format!("Payload: Identification - {mine}"),
            format!("Identification Data:{theirs}"),
            "Authentication Method: Shared Key Message Integrity Code (2)".to_string(),
            "Payload: Notify (41) - INITIAL_CONTACT".to_string(),
        ] {
            assert!(text.contains(&want), "{what}: no {want:?}:\n{text}");
        }
        assert_eq!(text.matches("[correct]").count(), 1, "{what}:\n{text}");
        assert!(!text.contains("Malformed"), "{what}:\n{text}");
    }
    for (f, text) in run(&bad_lines).iter().enumerate() {
        assert!(
            text.contains("[incorrect") && !text.contains("[correct]"),
            "frame {}: an altered key still verifies:\n{text}",
            f + 1
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
