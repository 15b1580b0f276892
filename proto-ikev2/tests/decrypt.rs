//! Decryption of the Encrypted (SK) and Encrypted Fragment (SKF) payloads of the keyed captures
//! in `shared/corpus/ikev2` (`$IETFWG_SHARED`, else `CARGO_MANIFEST_DIR/../../shared`):
//!
//! - `local-strongswan/*.pcap` with their `ikev2_decryption_table*` (AES-GCM-256-16; NAT-T
//!   float to 4500; RFC 7383 fragments),
//! - `wireshark-wiki/capture.pcapng` with its `ikev2_decryption_table` (AES-GCM-256-16,
//!   AES-CTR-256 + HMAC-SHA2-256-128, AES-CBC-256 + HMAC-SHA2-256-128, all on UDP 4500),
//! - `tcpdump/ikev2pI2.pcap` with `ikev2pI2-secrets.txt` (AES-CBC-128 + HMAC-SHA1-96).
//!
//! and the project's own strongSwan recordings `pcaps/ikev2/*.pcap` with their `.keys` tables
//! (3DES, AES-CBC, AES-CTR, AES-GCM, AES-CCM, ChaCha20-Poly1305; always present).
//!
//! Every SK/SKF payload is decrypted: the ICV must verify and the inner payload chain must walk
//! to its end exactly. The inner payload types and the identities are compared with what
//! tshark 4.0.17 shows for the same files and keys (values hard-coded below), e.g.
//! `tshark -r F -o "uat:ikev2_decryption_table:<line>" -T fields -e isakmp.nextpayload
//! -e isakmp.id.data.user_fqdn`.
//!
//! The corpus is optional locally (a notice, the test returns) and required in CI (`CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod capture;

use capture::{find_sk, ike_messages};
use ietfwg_ikev2::crypto::decrypt::{decrypt, Decrypted, Fragment};
use ietfwg_ikev2::crypto::keytable::{self, AesBits, Encr, Integ, SaKeys};

/// `corpus/ikev2` of the shared folder. None (with a notice) when absent; a panic when `CI=true`.
fn shared_dir() -> Option<PathBuf> {
    ietfwg_test_support::shared::corpus("ikev2")
}

/// Walks an inner payload chain to its end exactly: the payload types in order.
fn walk_inner(first: u8, chain: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut next = first;
    let mut off = 0;
    while next != 0 {
        assert!(
            off + 4 <= chain.len(),
            "inner chain cut at {off}: {types:?}"
        );
        let len = usize::from(u16::from_be_bytes([chain[off + 2], chain[off + 3]]));
        assert!(
            len >= 4 && off + len <= chain.len(),
            "inner payload at {off}: length {len}"
        );
        types.push(next);
        next = chain[off];
        off += len;
    }
    assert_eq!(off, chain.len(), "octets after the inner chain {types:?}");
    types
}

/// The Identification Data of the first inner payload of `type_`, as text.
fn id_data(first: u8, chain: &[u8], type_: u8) -> Option<String> {
    let mut next = first;
    let mut off = 0;
    while next != 0 {
        let len = usize::from(u16::from_be_bytes([chain[off + 2], chain[off + 3]]));
        if next == type_ {
            // Generic header (4), ID Type (1), RESERVED (3), then the data.
            return Some(String::from_utf8_lossy(&chain[off + 8..off + len]).into_owned());
        }
        next = chain[off];
        off += len;
    }
    None
}

/// A message decrypted: its inner types (reassembled for SKF), identities.
#[derive(Debug)]
struct Opened {
    frame: usize,
    exchange: u8,
    types: Vec<u8>,
    idi: Option<String>,
    idr: Option<String>,
    /// Pad Length (of the last fragment for SKF).
    pad_len: u8,
}

/// Decrypts every SK/SKF payload of `path` with `table`; asserts the ICVs (`icv_ok` as given)
/// and the chains; returns per message (SKF fragments reassembled onto the frame of the last
/// one).
fn open_all(path: &Path, table: &[SaKeys], icv_ok: bool) -> Vec<Opened> {
    let mut out = Vec::new();
    // (spi_i, message id, from initiator) → fragments so far.
    let mut frags: BTreeMap<(u64, u32, bool), Vec<Decrypted>> = BTreeMap::new();
    for m in ike_messages(path) {
        let Some((sk_at, kind)) = find_sk(&m.bytes) else {
            continue;
        };
        let keys = keytable::find(table, m.spi_i(), m.spi_r())
            .unwrap_or_else(|| panic!("{} frame {}: no keys", path.display(), m.frame));
        let d = decrypt(&m.bytes, sk_at, keys, m.is_from_initiator())
            .unwrap_or_else(|e| panic!("{} frame {}: {e}", path.display(), m.frame));
        assert_eq!(
            d.icv_ok,
            icv_ok,
            "{} frame {}: ICV",
            path.display(),
            m.frame
        );
        let pad_len = d.pad_len;
        let whole = if kind == 53 {
            let f = d.fragment.expect("SKF has fragment fields");
            let key = (m.spi_i(), m.message_id(), m.is_from_initiator());
            let list = frags.entry(key).or_default();
            list.push(d);
            if list.len() < usize::from(f.total) {
                continue;
            }
            // RFC 7383 §2.6: reassemble in Fragment Number order; the first carries the type.
            let mut list = frags.remove(&key).unwrap();
            list.sort_by_key(|d| d.fragment.unwrap().number);
            let numbers: Vec<u16> = list.iter().map(|d| d.fragment.unwrap().number).collect();
            assert_eq!(numbers, (1..=f.total).collect::<Vec<_>>());
            for later in &list[1..] {
                assert_eq!(
                    later.first_payload, 0,
                    "RFC 7383: only fragment 1 names the type"
                );
            }
            let first = list[0].first_payload;
            let chain: Vec<u8> = list.iter().flat_map(|d| d.plaintext.clone()).collect();
            (first, chain)
        } else {
            (d.first_payload, d.plaintext)
        };
        let (first, chain) = whole;
        out.push(Opened {
            frame: m.frame,
            exchange: m.exchange(),
            types: walk_inner(first, &chain),
            idi: id_data(first, &chain, 35),
            idr: id_data(first, &chain, 36),
            pad_len,
        });
    }
    assert!(
        frags.is_empty(),
        "incomplete fragment sets: {:?}",
        frags.keys()
    );
    out
}

fn table(path: &Path) -> Vec<SaKeys> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    keytable::parse_table(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// Inner payload types (RFC 7296 §3.2): 33 SA, 35 IDi, 36 IDr, 37 CERT, 38 CERTREQ, 39 AUTH,
// 40 Ni/Nr, 41 N, 42 D, 44 TSi, 45 TSr, 47 CP.
const IKE_AUTH_I: &[u8] = &[35, 41, 36, 39, 33, 44, 45, 41, 41, 41, 41, 41];
const IKE_AUTH_R: &[u8] = &[36, 39, 33, 44, 45, 41, 41];

#[test]
fn strongswan_natt() {
    let Some(dir) = shared_dir() else { return };
    let dir = dir.join("local-strongswan");
    let t = table(&dir.join("ikev2_decryption_table"));
    assert_eq!(t.len(), 1);
    let got = open_all(&dir.join("strongswan-loopback-psk-natt.pcap"), &t, true);
    // tshark: frames 3–10 are SK; 1–2 are IKE_SA_INIT in clear.
    let frames: Vec<usize> = got.iter().map(|o| o.frame).collect();
    assert_eq!(frames, [3, 4, 5, 6, 7, 8, 9, 10]);
    assert_eq!(got[0].exchange, 35);
    assert_eq!(got[0].types, IKE_AUTH_I);
    assert_eq!(got[0].idi.as_deref(), Some("initiator@test.local"));
    assert_eq!(got[0].idr.as_deref(), Some("responder@test.local"));
    assert_eq!(got[1].types, IKE_AUTH_R);
    assert_eq!(got[1].idr.as_deref(), Some("responder@test.local"));
    // CREATE_CHILD_SA rekeying the CHILD_SA without PFS: N(REKEY_SA), SA, Ni, TSi, TSr /
    // SA, Nr, TSi, TSr (tshark: "46,41,33,40,0,3,0,44,45,0", proposal/transforms aside).
    assert_eq!(got[2].exchange, 36);
    assert_eq!(got[2].types, [41, 33, 40, 44, 45]);
    assert_eq!(got[3].types, [33, 40, 44, 45]);
    // INFORMATIONAL: Delete, empty answer, Delete, empty answer.
    let info: Vec<&[u8]> = got[4..].iter().map(|o| o.types.as_slice()).collect();
    assert_eq!(info, [&[42][..], &[42], &[42], &[]]);
}

#[test]
fn strongswan_fragments_decrypt_one_by_one() {
    let Some(dir) = shared_dir() else { return };
    let dir = dir.join("local-strongswan");
    let t = table(&dir.join("ikev2_decryption_table.ikefrag"));
    let path = dir.join("strongswan-loopback-psk-ikefrag.pcap");
    // Each fragment on its own: tshark shows SKF 1/3 (next 35), 2/3, 3/3, then 1/2 (next 36), 2/2.
    let mut seen = Vec::new();
    for m in ike_messages(&path) {
        let Some((at, 53)) = find_sk(&m.bytes) else {
            continue;
        };
        let k = keytable::find(&t, m.spi_i(), m.spi_r()).unwrap();
        let d = decrypt(&m.bytes, at, k, m.is_from_initiator()).unwrap();
        assert!(d.icv_ok, "frame {}", m.frame);
        assert!(!d.plaintext.is_empty());
        let Fragment { number, total } = d.fragment.unwrap();
        seen.push((m.frame, number, total, d.first_payload, d.pad_len));
    }
    assert_eq!(
        seen,
        [
            (3, 1, 3, 35, 0),
            (4, 2, 3, 0, 0),
            (5, 3, 3, 0, 0),
            (6, 1, 2, 36, 0),
            (7, 2, 2, 0, 0)
        ]
    );
    // Reassembled: the same IKE_AUTH chains as without fragmentation.
    let got = open_all(&path, &t, true);
    let frames: Vec<usize> = got.iter().map(|o| o.frame).collect();
    assert_eq!(frames, [5, 7, 8, 9]);
    assert_eq!(got[0].types, IKE_AUTH_I);
    assert_eq!(got[0].idi.as_deref(), Some("initiator@test.local"));
    assert_eq!(got[0].idr.as_deref(), Some("responder@test.local"));
    assert_eq!(got[1].types, IKE_AUTH_R);
    assert_eq!(got[1].idr.as_deref(), Some("responder@test.local"));
    assert_eq!(got[2].types, [42]);
    assert_eq!(got[3].types, [] as [u8; 0]);
}

#[test]
fn project_recordings_every_cipher() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/ikev2");
    let mut seen = std::collections::BTreeSet::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    paths.sort();
    for pcap in paths {
        let Ok(text) = std::fs::read_to_string(pcap.with_extension("keys")) else {
            continue;
        };
        let t = keytable::parse_table(&text).unwrap_or_else(|e| panic!("{}: {e}", pcap.display()));
        let got = open_all(&pcap, &t, true);
        for k in &t {
            seen.insert(k.encr.name());
        }
        if !t.is_empty() {
            assert!(!got.is_empty(), "{}: no SK payload", pcap.display());
        }
    }
    for e in [
        "3DES [RFC2451]",
        "AES-CBC-128 [RFC3602]",
        "AES-CTR-256 [RFC5930]",
        "AES-GCM-256 with 16 octet ICV [RFC5282]",
        "AES-CCM-128 with 16 octet ICV [RFC5282]",
        "ChaCha20-Poly1305 [RFC7634]",
    ] {
        assert!(seen.contains(e), "no recording with {e}: {seen:?}");
    }
}

#[test]
fn wireshark_wiki_gcm_ctr_cbc() {
    let Some(dir) = shared_dir() else { return };
    let dir = dir.join("wireshark-wiki");
    let t = table(&dir.join("ikev2_decryption_table"));
    assert_eq!(
        t.iter().map(|k| (k.encr, k.integ)).collect::<Vec<_>>(),
        [
            (
                Encr::AesGcm {
                    key: AesBits::B256,
                    icv: keytable::IcvLen::Octets16
                },
                Integ::None
            ),
            (Encr::AesCtr(AesBits::B256), Integ::HmacSha2_256_128),
            (Encr::AesCbc(AesBits::B256), Integ::HmacSha2_256_128),
        ]
    );
    let got = open_all(&dir.join("capture.pcapng"), &t, true);
    // tshark: per SA, IKE_AUTH request/response, then 3 INFORMATIONAL pairs.
    let frames: Vec<usize> = got.iter().map(|o| o.frame).collect();
    assert_eq!(
        frames,
        [
            3, 4, 13, 14, 15, 16, 17, 18, 21, 22, 31, 32, 33, 34, 35, 36, 39, 40, 49, 50, 51, 52,
            53, 54
        ]
    );
    // tshark -e isakmp.enc.pad_length, same frames.
    let pads: Vec<u8> = got.iter().map(|o| o.pad_len).collect();
    assert_eq!(
        pads,
        [4, 7, 3, 7, 3, 7, 7, 7, 4, 6, 3, 7, 3, 7, 7, 7, 5, 15, 3, 15, 3, 15, 7, 15]
    );
    for sa in 0..3 {
        let o = &got[sa * 8..sa * 8 + 8];
        // IDi, CERT, N, N, CERTREQ, AUTH, CP, SA, TSi, TSr, VID×3, N, N.
        assert_eq!(
            o[0].types,
            [35, 37, 41, 41, 38, 39, 47, 33, 44, 45, 43, 43, 43, 41, 41],
            "SA {sa}"
        );
        assert_eq!(o[0].idi.as_deref(), Some("ikev2-cert"), "SA {sa}");
        // IDr, CERT, AUTH, CP, SA, Nr (sic: tshark shows it too), TSi, TSr, VID, N.
        assert_eq!(
            o[1].types,
            [36, 37, 39, 47, 33, 40, 44, 45, 43, 41],
            "SA {sa}"
        );
        let info: Vec<&[u8]> = o[2..].iter().map(|x| x.types.as_slice()).collect();
        assert_eq!(info, [&[42][..], &[], &[42], &[], &[42], &[]], "SA {sa}");
    }
}

#[test]
fn tcpdump_ikev2pi2_cbc_sha1() {
    let Some(dir) = shared_dir() else { return };
    let dir = dir.join("tcpdump");
    // tcpdump's "ikev2 I|R SPIi SPIr sha1:0xSK_a aes128:0xSK_e" lines: I for the initiator's keys.
    let secrets = std::fs::read_to_string(dir.join("ikev2pI2-secrets.txt")).unwrap();
    // Direction → (SPIi, SPIr, SK_a, SK_e).
    type Line = (u64, u64, Vec<u8>, Vec<u8>);
    let mut ks: BTreeMap<&str, Line> = BTreeMap::new();
    for line in secrets.lines().filter(|l| !l.trim().is_empty()) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let hex = |s: &str| -> Vec<u8> {
            let s = s.split_once(":0x").unwrap().1;
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        let spi = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
        ks.insert(w[1], (spi(w[2]), spi(w[3]), hex(w[4]), hex(w[5])));
    }
    let (spi_i, spi_r, sk_ai, sk_ei) = ks["I"].clone();
    let (_, _, sk_ar, sk_er) = ks["R"].clone();
    let keys = SaKeys {
        spi_i,
        spi_r,
        sk_ei,
        sk_er,
        encr: Encr::AesCbc(AesBits::B128),
        sk_ai,
        sk_ar,
        integ: Integ::HmacSha1_96,
    };
    keys.check().unwrap();
    let path = dir.join("ikev2pI2.pcap");
    // The capture is synthetic (libreswan test suite): its ICV is wrong. tshark agrees:
    // "Integrity Checksum Data: e5119d72d74e695b1032b957 [incorrect, should be
    // 579ae74ad294a105b0b6f1c4]". The plaintext is still right (CBC needs no ICV).
    let got = open_all(&path, std::slice::from_ref(&keys), false);
    // tcpdump's ikev2pI2.out and tshark: frame 2 holds IDi (FQDN "west") and AUTH, then
    // 11 octets of padding.
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].frame, 2);
    assert_eq!(got[0].types, [35, 39]);
    assert_eq!(got[0].idi.as_deref(), Some("west"));
    let m = &ike_messages(&path)[1];
    let d = decrypt(&m.bytes, 28, &keys, true).unwrap();
    assert_eq!(d.pad_len, 11);
    assert_eq!(d.plaintext.len(), 212);
    // The HMAC we check against is the one tshark computes.
    use hmac::Mac;
    let mut mac = <hmac::Hmac<sha1::Sha1> as Mac>::new_from_slice(&keys.sk_ai).unwrap();
    mac.update(&m.bytes[..m.bytes.len() - 12]);
    assert_eq!(
        mac.finalize().into_bytes()[..12],
        [0x57, 0x9a, 0xe7, 0x4a, 0xd2, 0x94, 0xa1, 0x05, 0xb0, 0xb6, 0xf1, 0xc4]
    );
}

/// Wrong keys: ICV mismatch (icv_ok false) or an Error naming the ICV — never a panic, never a
/// verified plaintext.
fn assert_all_rejected(path: &Path, table: &[SaKeys]) -> usize {
    let mut n = 0;
    for m in ike_messages(path) {
        let Some((at, _)) = find_sk(&m.bytes) else {
            continue;
        };
        let Some(k) = keytable::find(table, m.spi_i(), m.spi_r()) else {
            continue;
        };
        match decrypt(&m.bytes, at, k, m.is_from_initiator()) {
            Ok(d) => assert!(!d.icv_ok, "{} frame {}", path.display(), m.frame),
            Err(e) => assert_eq!(e.field, "Integrity Checksum Data", "frame {}: {e}", m.frame),
        }
        n += 1;
    }
    n
}

#[test]
fn wrong_keys_fail_the_icv() {
    let Some(dir) = shared_dir() else { return };
    let ss = dir.join("local-strongswan");
    let cases = [
        (
            ss.join("ikev2_decryption_table"),
            ss.join("strongswan-loopback-psk-natt.pcap"),
        ),
        (
            ss.join("ikev2_decryption_table.ikefrag"),
            ss.join("strongswan-loopback-psk-ikefrag.pcap"),
        ),
        (
            dir.join("wireshark-wiki/ikev2_decryption_table"),
            dir.join("wireshark-wiki/capture.pcapng"),
        ),
    ];
    for (tpath, cap) in &cases {
        let good = table(tpath);
        // One bit of one key of every SA: the last octet, i.e. for GCM/CTR the salt.
        for which in [Key::Ei, Key::Er, Key::Ai, Key::Ar] {
            let mut bad = good.clone();
            for k in &mut bad {
                if let Some(last) = which.of(k).last_mut() {
                    *last ^= 0x01;
                }
            }
            check_altered(cap, &good, &bad, which);
        }
        // Keys of the other direction.
        let swapped: Vec<SaKeys> = good
            .iter()
            .map(|k| SaKeys {
                sk_ei: k.sk_er.clone(),
                sk_er: k.sk_ei.clone(),
                sk_ai: k.sk_ar.clone(),
                sk_ar: k.sk_ai.clone(),
                ..k.clone()
            })
            .collect();
        assert!(assert_all_rejected(cap, &swapped) > 0);
    }
    // The noprop-kernel table of the corpus carries the natt run's keys (same SK_ei/SK_er as
    // that table's line) under other SPIs: its two SK messages must fail, as they do in tshark
    // ("Integrity Checksum Data … [incorrect, should be …]").
    let n = assert_all_rejected(
        &ss.join("strongswan-loopback-psk-noprop-kernel.pcap"),
        &table(&ss.join("ikev2_decryption_table.noprop-kernel")),
    );
    assert_eq!(n, 2);
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Key {
    Ei,
    Er,
    Ai,
    Ar,
}

impl Key {
    fn of(self, k: &mut SaKeys) -> &mut Vec<u8> {
        match self {
            Key::Ei => &mut k.sk_ei,
            Key::Er => &mut k.sk_er,
            Key::Ai => &mut k.sk_ai,
            Key::Ar => &mut k.sk_ar,
        }
    }
}

/// With one key altered (`bad`), each message protected by it must fail: the ICV when the key
/// is an AEAD key or an SK_a; with a separate-integrity cipher's SK_e the ICV (over the
/// ciphertext) still verifies but the plaintext differs, or its padding is impossible. The
/// other messages still decrypt as with `good`.
fn check_altered(path: &Path, good: &[SaKeys], bad: &[SaKeys], which: Key) {
    for m in ike_messages(path) {
        let Some((at, _)) = find_sk(&m.bytes) else {
            continue;
        };
        let g = keytable::find(good, m.spi_i(), m.spi_r()).unwrap();
        let b = keytable::find(bad, m.spi_i(), m.spi_r()).unwrap();
        let right = decrypt(&m.bytes, at, g, m.is_from_initiator()).unwrap();
        let got = decrypt(&m.bytes, at, b, m.is_from_initiator());
        let initiator_key = matches!(which, Key::Ei | Key::Ai);
        let uses = initiator_key == m.is_from_initiator()
            && (matches!(which, Key::Ei | Key::Er) || !g.sk_ai.is_empty());
        let ctx = format!("{} frame {} {which:?}", path.display(), m.frame);
        if !uses {
            assert_eq!(got.unwrap(), right, "{ctx}");
        } else if g.encr.is_aead() || matches!(which, Key::Ai | Key::Ar) {
            match got {
                Ok(d) => assert!(!d.icv_ok, "{ctx}"),
                Err(e) => assert_eq!(e.field, "Integrity Checksum Data", "{ctx}: {e}"),
            }
        } else {
            match got {
                Ok(d) => {
                    assert!(d.icv_ok, "{ctx}");
                    assert_ne!(d.plaintext, right.plaintext, "{ctx}");
                }
                Err(e) => assert_eq!(e.field, "Pad Length", "{ctx}: {e}"),
            }
        }
    }
}

#[test]
fn truncated_and_altered_capture_messages_never_panic() {
    let Some(dir) = shared_dir() else { return };
    let t = table(&dir.join("wireshark-wiki/ikev2_decryption_table"));
    let mut checked = 0;
    for m in ike_messages(&dir.join("wireshark-wiki/capture.pcapng")) {
        let Some((at, _)) = find_sk(&m.bytes) else {
            continue;
        };
        let k = keytable::find(&t, m.spi_i(), m.spi_r()).unwrap();
        for cut in 0..m.bytes.len() {
            assert!(decrypt(&m.bytes[..cut], at, k, m.is_from_initiator()).is_err());
        }
        for i in (0..m.bytes.len()).step_by(7) {
            let mut b = m.bytes.clone();
            b[i] ^= 0x5a;
            if let Ok(d) = decrypt(&b, at, k, m.is_from_initiator()) {
                assert!(!d.icv_ok, "frame {} octet {i}", m.frame);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 24);
}
