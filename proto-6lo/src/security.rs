//! IEEE 802.15.4 frame security: CCM* (IEEE 802.15.4-2015 §9.3, Annex B), the key table
//! (keys given by hand and Thread network keys), and the extended addresses the nonce needs.
//!
//! ```text
//! IEEE 802.15.4-2015 §9.3.2 / 802.15.4-2006 §7.6.3.2, the CCM* nonce (13 octets)
//!
//!   octets:        8                    4                  1
//!        +----------------------+------------------+----------------+
//!        | source ext. address  |  Frame Counter   | Security Level |
//!        | (most significant    |  (big-endian)    |                |
//!        |  octet first)        |                  |                |
//!        +----------------------+------------------+----------------+
//!
//! §9.3.4 (secured frame), a = open fields, m = private payload:
//!   levels 1-3 (MIC only):    a = MHR || aux. security header || header IEs || payload,  m = empty
//!   levels 5-7 (ENC + MIC):   a = MHR || aux. security header || header IEs (|| open fields),
//!                             m = private payload (payload IEs, command id (2015), payload)
//!   level 4 (ENC, no MIC):    CTR encryption of m only (CCM* with M = 0)
//! ```
//!
//! The open fields end where [`crate::mac::Frame::payload_offset`] starts for an encrypted frame
//! (the 2006 beacon fields and command identifier stay open; the 2015 payload IEs and command
//! identifier are private), so the split is the MAC decoder's.
//!
//! CCM with 4-, 8- and 16-octet tags is the `ccm` crate's (RustCrypto) over `aes`; only level 4,
//! which CCM proper does not define (M = 0), is CTR mode done with the `ctr` crate on the same
//! counter blocks CCM* uses (flags = L - 1 = 1, nonce, counter from 1).
//!
//! Thread (Thread 1.1 specification §7.1.4, "Thread hash" in Wireshark): the MAC and MLE keys of
//! key sequence `s` are `HMAC-SHA256(network key, s as 4 octets big-endian || "Thread")`, the
//! first 16 octets the MLE key and the last 16 the MAC key. MAC frames use key identifier mode 1
//! with Key Index = (s mod 128) + 1; the upper bits of `s` are not on the wire and come from a
//! configured key sequence, as in Wireshark (the neighbouring sequence with bit 7 flipped is
//! tried as well, for a wrap-around).

use std::collections::HashMap;
use std::fmt;

use aes::Aes128;
use ccm::aead::{AeadInPlace, KeyInit};
use ccm::consts::{U13, U16, U4, U8};
use ccm::Ccm;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use ietfwg_report::hex::Hex;
use sha2::Sha256;

use crate::addr::LinkAddr;
use crate::mac::{self, AuxSecurity, Frame, FrameVersion, KeyIdMode, SecurityLevel};

/// An AES-128 key.
pub type Key = [u8; 16];

/// At most this many keys of each kind in a [`KeyTable`].
pub const MAX_KEYS: usize = 64;

/// At most this many learnt short → extended address mappings in an [`AddressBook`].
pub const MAX_LEARNT_ADDRESSES: usize = 4096;

/// Wireshark's and OpenThread's well-known Thread key for key identifier mode 2, key source
/// 0xffffffff, key index 0xff (used by Thread 1.1 commissioning).
pub const THREAD_WELL_KNOWN_KEY: Key = [
    0x78, 0x58, 0x16, 0x86, 0xfd, 0xb4, 0x58, 0x0f, 0xb0, 0x92, 0x54, 0x6a, 0xec, 0xbd, 0x15, 0x66,
];

/// Parses 32 hex digits (`:`, `-` and spaces between them allowed) as an AES-128 key.
pub fn parse_key(s: &str) -> Result<Key, String> {
    let hex: String = s
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | ' '))
        .collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "`{s}`: a key is 16 octets, 32 hex digits ({} given)",
            hex.len()
        ));
    }
    let mut k = [0u8; 16];
    for (i, b) in k.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
    }
    Ok(k)
}

/// The MLE key (first) and MAC key (second) of Thread key sequence `sequence` (Thread 1.1
/// §7.1.4): HMAC-SHA256 keyed with the network key over the key sequence (4 octets,
/// big-endian) and the ASCII string "Thread".
pub fn thread_keys(network_key: &Key, sequence: u32) -> (Key, Key) {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(network_key) {
        Ok(m) => m,
        // HMAC takes a key of any length; a 16-octet key cannot be refused.
        Err(_) => return ([0; 16], [0; 16]),
    };
    mac.update(&sequence.to_be_bytes());
    mac.update(b"Thread");
    let digest = mac.finalize().into_bytes();
    let mut mle = [0u8; 16];
    let mut mac_key = [0u8; 16];
    mle.copy_from_slice(&digest[..16]);
    mac_key.copy_from_slice(&digest[16..32]);
    (mle, mac_key)
}

/// The Thread MAC Key Index (key identifier mode 1) for key sequence `sequence`.
pub fn thread_key_index(sequence: u32) -> u8 {
    (sequence & 0x7f) as u8 + 1
}

/// A key given by hand, for frames with any Key Index or only one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PlainKey {
    index: Option<u8>,
    key: Key,
}

/// Where the key that (tried to) secure a frame came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyOrigin {
    /// The n-th key given (from 1), with the index it was given for.
    Key {
        number: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        index: Option<u8>,
    },
    /// The MAC key of a Thread key sequence, derived from the n-th network key given.
    Thread { number: usize, key_sequence: u32 },
    /// Thread's well-known commissioning key.
    ThreadWellKnown,
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyOrigin::Key {
                number,
                index: Some(i),
            } => write!(f, "key #{number} (index {i})"),
            KeyOrigin::Key {
                number,
                index: None,
            } => write!(f, "key #{number}"),
            KeyOrigin::Thread {
                number,
                key_sequence,
            } => write!(
                f,
                "Thread network key #{number}, key sequence {key_sequence}"
            ),
            KeyOrigin::ThreadWellKnown => f.write_str("Thread well-known key"),
        }
    }
}

/// The keys to try on secured frames: keys given as they are (optionally for one Key Index)
/// and Thread network keys, from which the MAC key of each key sequence is derived.
#[derive(Debug, Clone, Default)]
pub struct KeyTable {
    plain: Vec<PlainKey>,
    thread: Vec<Key>,
    /// The key sequence whose upper bits (above the 7 the Key Index carries) Thread frames of
    /// key identifier mode 1 are taken to share.
    thread_sequence: u32,
    /// Derived Thread MAC keys, by (network key number, key sequence); bounded.
    thread_cache: Vec<(usize, u32, Key)>,
}

impl KeyTable {
    /// An empty table: nothing is decrypted.
    pub fn new() -> Self {
        KeyTable::default()
    }

    /// True when no key of any kind was given.
    pub fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.thread.is_empty()
    }

    /// Adds a key for frames with Key Index `index` (any index, and key identifier mode 0,
    /// when `None`). Keys are tried in the order given.
    pub fn add(&mut self, index: Option<u8>, key: Key) -> Result<(), String> {
        if self.plain.len() >= MAX_KEYS {
            return Err(format!("at most {MAX_KEYS} keys"));
        }
        self.plain.push(PlainKey { index, key });
        Ok(())
    }

    /// Parses `[INDEX=]HEX`, as the command line gives it, and adds the key.
    pub fn add_from_arg(&mut self, arg: &str) -> Result<(), String> {
        let (index, hex) = match arg.split_once('=') {
            Some((i, h)) => {
                let i = i.trim();
                let n = match i.strip_prefix("0x").or_else(|| i.strip_prefix("0X")) {
                    Some(h) => u8::from_str_radix(h, 16),
                    None => i.parse(),
                }
                .map_err(|_| format!("`{i}` is not a key index 0-255"))?;
                (Some(n), h)
            }
            None => (None, arg),
        };
        self.add(index, parse_key(hex)?)
    }

    /// Adds a Thread network key (the MAC keys of every key sequence derive from it).
    pub fn add_thread(&mut self, network_key: Key) -> Result<(), String> {
        if self.thread.len() >= MAX_KEYS {
            return Err(format!("at most {MAX_KEYS} Thread keys"));
        }
        self.thread.push(network_key);
        Ok(())
    }

    /// Sets the Thread key sequence that frames of key identifier mode 1 are near (0 unless
    /// set): their key sequence is this one's upper bits with the Key Index's lower 7.
    pub fn set_thread_sequence(&mut self, sequence: u32) {
        self.thread_sequence = sequence;
    }

    fn thread_mac_key(&mut self, number: usize, sequence: u32) -> Option<Key> {
        if let Some((_, _, k)) = self
            .thread_cache
            .iter()
            .find(|(n, s, _)| *n == number && *s == sequence)
        {
            return Some(*k);
        }
        let network = self.thread.get(number)?;
        let (_, mac_key) = thread_keys(network, sequence);
        if self.thread_cache.len() >= 2 * MAX_KEYS {
            self.thread_cache.remove(0);
        }
        self.thread_cache.push((number, sequence, mac_key));
        Some(mac_key)
    }

    /// The MLE keys (Thread 1.1 §7.1.4, the first half of the derivation) that may have
    /// secured an MLE message with this key identifier: key identifier mode 2 carries the key
    /// sequence in its 4-octet key source; mode 1 carries its lower 7 bits in the Key Index,
    /// the upper ones come from the configured sequence (and its bit-7 neighbour). In the
    /// order to try, with the key sequence each stands for.
    pub fn mle_candidates(
        &self,
        key_id_mode: u8,
        key_index: Option<u8>,
        key_source: Option<&[u8]>,
    ) -> Vec<(Key, u32, KeyOrigin)> {
        let mut sequences = Vec::new();
        match (key_id_mode, key_index, key_source) {
            (2, _, Some(&[a, b, c, d])) => sequences.push(u32::from_be_bytes([a, b, c, d])),
            (1, Some(index), _) if index > 0 => {
                let base = (self.thread_sequence & !0x7f) | (u32::from(index - 1) & 0x7f);
                sequences.extend([base, base ^ 0x80]);
            }
            _ => {}
        }
        let mut v = Vec::new();
        for (number, network) in self.thread.iter().enumerate() {
            for &s in &sequences {
                let (mle, _) = thread_keys(network, s);
                v.push((
                    mle,
                    s,
                    KeyOrigin::Thread {
                        number: number + 1,
                        key_sequence: s,
                    },
                ));
            }
        }
        v
    }

    /// The keys that may have secured a frame with this auxiliary security header, in the
    /// order to try them.
    fn candidates(&mut self, aux: &AuxSecurity) -> Vec<(Key, KeyOrigin)> {
        let mut v = Vec::new();
        for (i, k) in self.plain.iter().enumerate() {
            let fits = match (k.index, aux.key_index) {
                (None, _) | (_, None) => true,
                (Some(want), Some(got)) => want == got,
            };
            if fits {
                v.push((
                    k.key,
                    KeyOrigin::Key {
                        number: i + 1,
                        index: k.index,
                    },
                ));
            }
        }
        if self.thread.is_empty() {
            return v;
        }
        let mut sequences: Vec<u32> = Vec::new();
        match (aux.key_id_mode, aux.key_index, aux.key_source.as_deref()) {
            (KeyIdMode::INDEX, Some(index), _) if index > 0 => {
                let low = u32::from(index - 1) & 0x7f;
                let base = (self.thread_sequence & !0x7f) | low;
                sequences.push(base);
                // A key sequence whose bit 7 changed since the configured one.
                sequences.push(base ^ 0x80);
            }
            (KeyIdMode::SOURCE4_INDEX, Some(0xff), Some([0xff, 0xff, 0xff, 0xff])) => {
                v.push((THREAD_WELL_KNOWN_KEY, KeyOrigin::ThreadWellKnown));
            }
            (KeyIdMode::SOURCE4_INDEX, Some(_), Some(&[a, b, c, d])) => {
                sequences.push(u32::from_be_bytes([a, b, c, d]));
            }
            _ => {}
        }
        for number in 0..self.thread.len() {
            for &s in &sequences {
                if let Some(k) = self.thread_mac_key(number, s) {
                    v.push((
                        k,
                        KeyOrigin::Thread {
                            number: number + 1,
                            key_sequence: s,
                        },
                    ));
                }
            }
        }
        v
    }
}

/// Short addresses mapped to extended ones: given by hand, and learnt from frames that show
/// both (a successful association response). Bounded: at most [`MAX_LEARNT_ADDRESSES`] learnt
/// mappings, the oldest forgotten first.
#[derive(Debug, Clone, Default)]
pub struct AddressBook {
    /// Given by hand, for any PAN.
    given: HashMap<u16, [u8; 8]>,
    /// Learnt, by (PAN, short address).
    learnt: HashMap<(u16, u16), [u8; 8]>,
    order: std::collections::VecDeque<(u16, u16)>,
}

impl AddressBook {
    /// An empty book.
    pub fn new() -> Self {
        AddressBook::default()
    }

    /// Maps `short` to `ext` in every PAN (it takes precedence over what is learnt).
    pub fn add(&mut self, short: u16, ext: [u8; 8]) -> Result<(), String> {
        if self.given.len() >= MAX_LEARNT_ADDRESSES && !self.given.contains_key(&short) {
            return Err(format!("at most {MAX_LEARNT_ADDRESSES} address mappings"));
        }
        self.given.insert(short, ext);
        Ok(())
    }

    /// Parses `SHORT=EXT` (`0x0002=00:12:4b:00:00:01:02:03`), as the command line gives it.
    pub fn add_from_arg(&mut self, arg: &str) -> Result<(), String> {
        let (s, e) = arg.split_once('=').ok_or_else(|| {
            format!("`{arg}`: expected SHORT=EXT, e.g. 0x0002=00:12:4b:00:00:01:02:03")
        })?;
        let short = match s.parse::<LinkAddr>()? {
            LinkAddr::Short(v) => v,
            _ => return Err(format!("`{s}`: expected a short address, 0xABCD")),
        };
        let ext = match e.parse::<LinkAddr>()? {
            LinkAddr::Extended(v) => v,
            _ => {
                return Err(format!(
                    "`{e}`: expected an extended address, aa:bb:cc:dd:ee:ff:00:11"
                ))
            }
        };
        self.add(short, ext)
    }

    /// Remembers that `short` in `pan` belongs to `ext`. Returns true when that is news (a new
    /// mapping, or a changed one).
    pub fn learn(&mut self, pan: u16, short: u16, ext: [u8; 8]) -> bool {
        match self.learnt.insert((pan, short), ext) {
            Some(old) => old != ext,
            None => {
                self.order.push_back((pan, short));
                while self.order.len() > MAX_LEARNT_ADDRESSES {
                    if let Some(old) = self.order.pop_front() {
                        self.learnt.remove(&old);
                    }
                }
                true
            }
        }
    }

    /// Learns from a datagram sent from an extended MAC address whose IPv6 source has the
    /// interface identifier of a short address, `0000:00ff:fe00:XXXX` (RFC 4944 §6; Thread's
    /// RLOC16 addresses): the sender owns short address XXXX in `pan`. Returns the mapping when
    /// it is news.
    pub fn learn_from_datagram(
        &mut self,
        pan: u16,
        mac_src: LinkAddr,
        ipv6_src: std::net::Ipv6Addr,
    ) -> Option<(u16, u16, [u8; 8])> {
        let LinkAddr::Extended(ext) = mac_src else {
            return None;
        };
        let o = ipv6_src.octets();
        let short = match o[8..] {
            [0, 0, 0, 0xff, 0xfe, 0, hi, lo] => u16::from_be_bytes([hi, lo]),
            _ => return None,
        };
        if short >= 0xfffe || self.given.contains_key(&short) {
            return None;
        }
        self.learn(pan, short, ext).then_some((pan, short, ext))
    }

    /// The extended address of `short` in `pan`.
    pub fn lookup(&self, pan: Option<u16>, short: u16) -> Option<[u8; 8]> {
        if let Some(e) = self.given.get(&short) {
            return Some(*e);
        }
        self.learnt.get(&(pan?, short)).copied()
    }

    /// Learns what a frame shows: a successful Association Response (802.15.4-2015 §7.5.3)
    /// gives the short address the coordinator allocated to the device it is sent to.
    /// Returns the mapping learnt.
    pub fn learn_from(&mut self, frame: &Frame<'_>) -> Option<(u16, u16, [u8; 8])> {
        let cmd = frame.command.as_ref()?;
        if cmd.id != mac::CommandId::ASSOCIATION_RESPONSE {
            return None;
        }
        let (LinkAddr::Extended(ext), Some(pan)) = (frame.dst, frame.dst_pan.or(frame.src_pan))
        else {
            return None;
        };
        let [lo, hi, status, ..] = cmd.content[..] else {
            return None;
        };
        let short = u16::from_le_bytes([lo, hi]);
        // Status 0 is success; 0xfffe/0xffff mean "no short address" (use the extended one).
        if status != 0 || short >= 0xfffe {
            return None;
        }
        self.learn(pan, short, ext).then_some((pan, short, ext))
    }
}

/// What became of a secured frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Decrypted (levels 5–7) or not encrypted (levels 1–3), and the MIC verified.
    Verified,
    /// Level 4: decrypted, but there is no MIC to verify it with.
    Unauthenticated,
    /// No key given verified the MIC: the payload is not decoded.
    MicFailed,
    /// No key given applies to the frame's key identifier.
    NoKey,
    /// The nonce needs the sender's extended address, and it is not known.
    NoExtendedAddress,
    /// The frame cannot be unsecured here (reason given).
    Unsupported,
}

impl Status {
    /// True when the private payload may be decoded.
    pub fn ok(self) -> bool {
        matches!(self, Status::Verified | Status::Unauthenticated)
    }
}

/// The outcome of unsecuring one frame.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecurityReport {
    pub status: Status,
    /// The key that verified the MIC (or decrypted a level-4 frame).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyOrigin>,
    /// How many keys were tried.
    pub keys_tried: usize,
    /// The extended source address the nonce was built from.
    #[serde_as(as = "Option<Hex>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_source: Option<[u8; 8]>,
    /// The frame's short source address, when the extended one was missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub short_source: Option<u16>,
    /// Why, for [`Status::Unsupported`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The private payload in clear (for levels 1–3, the payload as it was), when the status
    /// allows decoding it.
    #[serde_as(as = "Option<Hex>")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<Vec<u8>>,
}

impl SecurityReport {
    fn new(status: Status) -> Self {
        SecurityReport {
            status,
            key: None,
            keys_tried: 0,
            nonce_source: None,
            short_source: None,
            reason: None,
            plaintext: None,
        }
    }

    fn unsupported(reason: impl Into<String>) -> Self {
        SecurityReport {
            reason: Some(reason.into()),
            ..SecurityReport::new(Status::Unsupported)
        }
    }
}

/// The CCM* nonce of 802.15.4-2015 §9.3.2.
pub fn nonce(source: [u8; 8], frame_counter: u32, level: SecurityLevel) -> [u8; 13] {
    let mut n = [0u8; 13];
    n[..8].copy_from_slice(&source);
    n[8..12].copy_from_slice(&frame_counter.to_be_bytes());
    n[12] = level.0;
    n
}

/// CCM* decryption and authentication of `m` in place, `a` the open data, `mic` the frame's MIC
/// (0, 4, 8 or 16 octets, by `level`). Returns whether the MIC verified; for level 4 (no MIC)
/// it always decrypts and returns true. On failure `m` holds no plaintext (the `ccm` crate
/// zeroes it).
pub fn ccm_star_open(
    key: &Key,
    nonce: &[u8; 13],
    level: SecurityLevel,
    a: &[u8],
    m: &mut [u8],
    mic: &[u8],
) -> bool {
    let n = ccm::aead::generic_array::GenericArray::from_slice(nonce);
    let k = ccm::aead::generic_array::GenericArray::from_slice(key);
    macro_rules! open {
        ($tag:ty) => {{
            let cipher = Ccm::<Aes128, $tag, U13>::new(k);
            if mic.len() != <$tag as ccm::aead::generic_array::typenum::Unsigned>::USIZE {
                return false;
            }
            let tag = ccm::aead::generic_array::GenericArray::from_slice(mic);
            cipher.decrypt_in_place_detached(n, a, m, tag).is_ok()
        }};
    }
    match level.mic_len() {
        4 => open!(U4),
        8 => open!(U8),
        16 => open!(U16),
        _ => {
            ccm_star_ctr(key, nonce, m);
            true
        }
    }
}

/// CCM* encryption (the inverse of [`ccm_star_open`]): encrypts `m` in place for levels 4–7 and
/// returns the MIC (empty for level 4).
pub fn ccm_star_seal(
    key: &Key,
    nonce: &[u8; 13],
    level: SecurityLevel,
    a: &[u8],
    m: &mut [u8],
) -> Vec<u8> {
    let n = ccm::aead::generic_array::GenericArray::from_slice(nonce);
    let k = ccm::aead::generic_array::GenericArray::from_slice(key);
    // For levels 1–3 the payload is authenticated, not encrypted: it belongs to `a`.
    macro_rules! seal {
        ($tag:ty) => {{
            let cipher = Ccm::<Aes128, $tag, U13>::new(k);
            let mut empty: [u8; 0] = [];
            let buf: &mut [u8] = if level.encrypts() { m } else { &mut empty };
            match cipher.encrypt_in_place_detached(n, a, buf) {
                Ok(t) => t.to_vec(),
                Err(_) => Vec::new(),
            }
        }};
    }
    match level.mic_len() {
        4 => seal!(U4),
        8 => seal!(U8),
        16 => seal!(U16),
        _ => {
            if level.encrypts() {
                ccm_star_ctr(key, nonce, m);
            }
            Vec::new()
        }
    }
}

/// CTR with CCM*'s counter blocks A_i = flags (L - 1 = 1) || nonce || i, i from 1: level 4's
/// encryption, which the `ccm` crate does not offer (its tags are 4 to 16 octets).
fn ccm_star_ctr(key: &Key, nonce: &[u8; 13], m: &mut [u8]) {
    let mut iv = [0u8; 16];
    iv[0] = 0x01;
    iv[1..14].copy_from_slice(nonce);
    iv[15] = 0x01;
    let mut c = ctr::Ctr128BE::<Aes128>::new(key.into(), (&iv).into());
    c.apply_keystream(m);
}

/// Unsecures one parsed frame. `body` is the frame without its FCS (the bytes `frame` was
/// parsed from). The report's plaintext, when present, is the private payload in clear: for
/// an encrypted frame the bytes at `frame.payload_offset`, in place of the ciphertext.
pub fn unsecure(
    body: &[u8],
    frame: &Frame<'_>,
    keys: &mut KeyTable,
    book: &AddressBook,
) -> SecurityReport {
    let Some(aux) = frame.security.as_deref() else {
        return SecurityReport::unsupported(
            "802.15.4-2003 security: the security suite comes from the ACL, not the frame",
        );
    };
    if aux.security_level == SecurityLevel::NONE {
        return SecurityReport::unsupported("security level 0 with security enabled");
    }
    let Some(counter) = aux.frame_counter else {
        return SecurityReport::unsupported(
            "frame counter suppressed: the nonce needs the TSCH ASN (not decoded)",
        );
    };
    if aux.asn_in_nonce {
        return SecurityReport::unsupported(
            "ASN in nonce: the nonce needs the TSCH ASN (not decoded)",
        );
    }
    let candidates = keys.candidates(aux);
    if candidates.is_empty() {
        return SecurityReport::new(Status::NoKey);
    }
    let source = match frame.src {
        LinkAddr::Extended(e) => e,
        LinkAddr::Short(s) => match book.lookup(frame.src_pan, s) {
            Some(e) => e,
            None => {
                return SecurityReport {
                    short_source: Some(s),
                    ..SecurityReport::new(Status::NoExtendedAddress)
                }
            }
        },
        LinkAddr::Absent => {
            return SecurityReport::unsupported(
                "no source address: the nonce needs the PAN coordinator's extended address",
            )
        }
    };
    let mic_len = aux.mic_len();
    let Some(mic_start) = body.len().checked_sub(mic_len) else {
        return SecurityReport::unsupported("frame shorter than its MIC");
    };
    let encrypted = aux.security_level.encrypts();
    let private_start = if encrypted {
        frame.payload_offset
    } else {
        mic_start
    };
    let (Some(a), Some(m), Some(mic)) = (
        body.get(..private_start),
        body.get(private_start..mic_start),
        body.get(mic_start..),
    ) else {
        return SecurityReport::unsupported("private payload outside the frame");
    };
    let n = nonce(source, counter, aux.security_level);
    let mut report = SecurityReport {
        nonce_source: Some(source),
        ..SecurityReport::new(Status::NoKey)
    };
    let mut buf = Vec::with_capacity(m.len());
    for (key, origin) in candidates {
        report.keys_tried += 1;
        buf.clear();
        buf.extend_from_slice(m);
        if ccm_star_open(&key, &n, aux.security_level, a, &mut buf, mic) {
            report.status = if mic_len == 0 {
                Status::Unauthenticated
            } else {
                Status::Verified
            };
            report.key = Some(origin);
            report.plaintext = Some(if encrypted {
                buf
            } else {
                frame.payload.to_vec()
            });
            return report;
        }
    }
    if report.keys_tried > 0 {
        report.status = Status::MicFailed;
    }
    report
}

/// What the private payload holds once in clear: payload IEs (2015), the command identifier
/// (2015 MAC command frames), then the payload proper from `payload_start` (an index into the
/// plaintext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivatePayload {
    pub payload_ies: Vec<mac::PayloadIe>,
    pub command: Option<Box<mac::MacCommand>>,
    pub payload_start: usize,
}

/// Reads the private fields that [`mac::parse`] left unread because they were ciphertext.
pub fn parse_private(frame: &Frame<'_>, plaintext: &[u8]) -> crate::Result<PrivatePayload> {
    mac::parse_private(frame, plaintext)
}

/// True for frames this module can be asked about: security enabled in a 2006 or 2015 frame,
/// at a security level above 0 (level 0 protects nothing: the frame is read as it is).
pub fn applies(frame: &Frame<'_>) -> bool {
    frame.security_enabled
        && frame.version != FrameVersion::V2003
        && frame
            .security
            .as_ref()
            .is_none_or(|a| a.security_level != SecurityLevel::NONE)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// Thread 1.1 specification §7.1.4.1–3, Test Vectors 1–3 (network key
    /// 00112233445566778899aabbccddeeff, key sequences 0, 1, 2).
    #[test]
    fn thread_key_derivation_matches_the_thread_test_vectors() {
        let k = parse_key("00112233445566778899aabbccddeeff").unwrap();
        for (seq, mle, mac) in [
            (
                0,
                "5445f4158fd75912175809f8b57a66a4",
                "de89c53af382b421e0fde5a9bae3bef0",
            ),
            (
                1,
                "8f4cd1a27d95c07d12db8974bd615c13",
                "9be0d1af7bd87350deabcdd07febb9d5",
            ),
            (
                2,
                "016e2ab8ec88879687a72e0a357ecf2a",
                "564109e9d2aad7f723ec3b96110eefa3",
            ),
        ] {
            let (got_mle, got_mac) = thread_keys(&k, seq);
            assert_eq!(hex::encode(got_mle), mle, "MLE key, sequence {seq}");
            assert_eq!(hex::encode(got_mac), mac, "MAC key, sequence {seq}");
        }
        assert_eq!(thread_key_index(0), 1);
        assert_eq!(thread_key_index(129), 2);
    }

    #[test]
    fn rfc3610_packet_vector_1_opens() {
        // RFC 3610 §8 Packet Vector #1: 13-octet nonce, 8 octets of header, M = 8.
        let key = parse_key("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf").unwrap();
        let nonce: [u8; 13] = hex::decode("00000003020100a0a1a2a3a4a5")
            .unwrap()
            .try_into()
            .unwrap();
        let a = hex::decode("0001020304050607").unwrap();
        let mut m = hex::decode("588c979a61c663d2f066d0c2c0f989806d5f6b61dac384").unwrap();
        let mic = hex::decode("17e8d12cfdf926e0").unwrap();
        assert!(ccm_star_open(
            &key,
            &nonce,
            SecurityLevel::ENC_MIC_64,
            &a,
            &mut m,
            &mic
        ));
        assert_eq!(
            hex::encode(&m),
            "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e"
        );
        let mut bad = mic.clone();
        bad[0] ^= 1;
        let mut m2 = hex::decode("588c979a61c663d2f066d0c2c0f989806d5f6b61dac384").unwrap();
        assert!(!ccm_star_open(
            &key,
            &nonce,
            SecurityLevel::ENC_MIC_64,
            &a,
            &mut m2,
            &bad
        ));
    }

    #[test]
    fn seal_then_open_every_level() {
        let key = [7u8; 16];
        let n = nonce([1, 2, 3, 4, 5, 6, 7, 8], 42, SecurityLevel(5));
        for level in 1..=7u8 {
            let level = SecurityLevel(level);
            let a = b"open header";
            let clear = b"private payload, 27 octets".to_vec();
            let mut m = clear.clone();
            let mic = ccm_star_seal(&key, &n, level, a, &mut m);
            assert_eq!(mic.len(), level.mic_len());
            assert_eq!(m != clear, level.encrypts(), "level {level}");
            let mut open = m.clone();
            if level.encrypts() {
                assert!(ccm_star_open(&key, &n, level, a, &mut open, &mic));
                assert_eq!(open, clear);
            } else {
                // MIC-only: the payload is part of the authenticated data, nothing is
                // encrypted; a changed payload fails.
                let mut a_all = a.to_vec();
                a_all.extend_from_slice(&clear);
                let mic = ccm_star_seal(&key, &n, level, &a_all, &mut []);
                assert!(ccm_star_open(&key, &n, level, &a_all, &mut [], &mic));
                a_all[12] ^= 1;
                assert!(!ccm_star_open(&key, &n, level, &a_all, &mut [], &mic));
            }
            if level.mic_len() > 0 && level.encrypts() {
                let mut bad = m.clone();
                bad[0] ^= 1;
                assert!(!ccm_star_open(&key, &n, level, a, &mut bad, &mic));
                assert!(bad.iter().all(|&b| b == 0), "no plaintext left behind");
            }
        }
    }

    /// An 802.15.4-2015 data frame with a header IE list ended by HT1 and a private payload
    /// holding a Payload Termination IE before the 6LoWPAN payload: the open part ends after
    /// HT1, the payload IEs are read from the plaintext, and IPHC starts after them.
    fn secured_2015_frame(key: &Key, level: SecurityLevel) -> Vec<u8> {
        let src: [u8; 8] = [0x00, 0x12, 0x4b, 0, 0, 0x01, 0x02, 0x03];
        let dst: [u8; 8] = [0x00, 0x12, 0x4b, 0, 0, 0x04, 0x05, 0x06];
        // Data, security, IE present, dst ext, version 2015, src ext; PAN ID compression 0:
        // the destination PAN alone (802.15.4-2015 Table 7-2, row 7).
        let fcf: u16 = 0x0001 | 0x0008 | 0x0200 | (3 << 10) | (2 << 12) | (3 << 14);
        let mut f = fcf.to_le_bytes().to_vec();
        f.push(0x42); // sequence number
        f.extend_from_slice(&0xabcdu16.to_le_bytes()); // destination PAN
        f.extend(dst.iter().rev());
        f.extend(src.iter().rev());
        let counter: u32 = 7;
        f.push(level.0 | (1 << 3)); // security control: key id mode 1
        f.extend_from_slice(&counter.to_le_bytes());
        f.push(1); // key index
        f.extend_from_slice(&[0x00, 0x3f]); // HT1 (element id 0x7e, length 0)
        let open = f.len();
        let mut private = vec![0x00, 0xf8]; // Payload Termination IE (group 0xf, length 0)
        private.extend_from_slice(&[0x7a, 0x33, 0x3a]); // IPHC, next header 58
        private.extend_from_slice(&[0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
        let n = nonce(src, counter, level);
        let mic = if level.encrypts() {
            ccm_star_seal(key, &n, level, &f[..open], &mut private)
        } else {
            let mut a = f.clone();
            a.extend_from_slice(&private);
            ccm_star_seal(key, &n, level, &a, &mut [])
        };
        f.extend_from_slice(&private);
        f.extend_from_slice(&mic);
        f
    }

    #[test]
    fn secured_2015_frames_with_private_payload_ies_decode() {
        use crate::lowpan::Decoder;
        use crate::mac::FcsMode;
        let key = [0x11u8; 16];
        for level in [1u8, 3, 4, 5, 6, 7] {
            let frame = secured_2015_frame(&key, SecurityLevel(level));
            let mut keys = KeyTable::new();
            keys.add(Some(1), key).unwrap();
            let mut d = Decoder::new(crate::ContextTable::new(), Default::default());
            d.set_keys(keys);
            let r = d.decode_frame(&frame, FcsMode::None, 1, 0);
            let sec = r.security.as_ref().unwrap_or_else(|| {
                panic!(
                    "level {level}: no security report: {:?} {:?}",
                    r.error, r.mac
                )
            });
            assert!(sec.status.ok(), "level {level}: {sec:?} {:?}", r.error);
            let mac = r.mac.as_ref().unwrap();
            assert_eq!(mac.payload_ies.len(), 1, "level {level}");
            let dg = r
                .datagram
                .as_ref()
                .unwrap_or_else(|| panic!("level {level}: {r:?}"));
            assert_eq!(dg.length, 48);
            // Any changed octet of the open part or the payload fails the MIC (not level 4).
            if level != 4 {
                for at in [0, 20, frame.len() - 1] {
                    let mut bad = frame.clone();
                    bad[at] ^= 0x80;
                    let r = d.decode_frame(&bad, FcsMode::None, 2, 0);
                    if let Some(sec) = r.security.as_ref() {
                        assert!(!sec.status.ok(), "level {level}, octet {at}");
                    }
                    assert!(r.datagram.is_none(), "level {level}, octet {at}");
                }
            }
            // Without the key nothing is decoded.
            let mut keys = KeyTable::new();
            keys.add(None, [0x22; 16]).unwrap();
            d.set_keys(keys);
            let r = d.decode_frame(&frame, FcsMode::None, 3, 0);
            if level != 4 {
                assert_eq!(r.security.as_ref().unwrap().status, Status::MicFailed);
                assert!(r.error.is_some() && r.datagram.is_none());
            }
        }
    }

    #[test]
    fn key_arguments() {
        let mut t = KeyTable::new();
        t.add_from_arg("00112233445566778899aabbccddeeff").unwrap();
        t.add_from_arg("2=00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff")
            .unwrap();
        assert!(t.add_from_arg("x=00").is_err());
        assert!(t
            .add_from_arg("0011")
            .unwrap_err()
            .contains("32 hex digits"));
        let mut b = AddressBook::new();
        b.add_from_arg("0x0002=00:12:4b:00:00:01:02:03").unwrap();
        assert_eq!(b.lookup(None, 2), Some([0x00, 0x12, 0x4b, 0, 0, 1, 2, 3]));
        assert!(b.add_from_arg("0x0002").is_err());
        assert!(b.add_from_arg("00:12:4b:00:00:01:02:03=0x0002").is_err());
    }

    #[test]
    fn short_address_iids_from_extended_senders_are_learnt() {
        let mut b = AddressBook::new();
        let ext = [0x00, 0x12, 0x4b, 0, 0, 1, 2, 3];
        let rloc: std::net::Ipv6Addr = "fd00::ff:fe00:2c00".parse().unwrap();
        assert_eq!(
            b.learn_from_datagram(0xabcd, LinkAddr::Extended(ext), rloc),
            Some((0xabcd, 0x2c00, ext))
        );
        assert_eq!(b.lookup(Some(0xabcd), 0x2c00), Some(ext));
        // Already known: not news. A short sender, another IID form: nothing learnt.
        assert_eq!(
            b.learn_from_datagram(0xabcd, LinkAddr::Extended(ext), rloc),
            None
        );
        assert_eq!(
            b.learn_from_datagram(0xabcd, LinkAddr::Short(5), rloc),
            None
        );
        let other: std::net::Ipv6Addr = "fe80::212:4b00:1:203".parse().unwrap();
        assert_eq!(
            b.learn_from_datagram(0xabcd, LinkAddr::Extended(ext), other),
            None
        );
    }

    #[test]
    fn learnt_addresses_are_bounded() {
        let mut b = AddressBook::new();
        for i in 0..(MAX_LEARNT_ADDRESSES as u32 + 10) {
            b.learn(1, i as u16, [0; 8]);
        }
        assert_eq!(b.learnt.len(), MAX_LEARNT_ADDRESSES);
        assert_eq!(b.lookup(Some(1), 0), None);
        assert!(b.lookup(Some(1), 20).is_some());
    }
}
