//! Opening ESP packets (RFC 4303) with the keys of their SA, checking the ICV and the
//! anti-replay window (§3.4.3), and giving back the inner packet.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
//! |               Security Parameters Index (SPI)                 | ^Int.
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
//! |                      Sequence Number                          | |ered
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
//! |                    Payload Data* (variable)                   | |   ^
//! ~                                                               ~ |   |
//! |                                                               | |Conf.
//! +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
//! |               |     Padding (0-255 bytes)                     | |ered*
//! +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
//! |                               |  Pad Length   | Next Header   | v   v
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
//! |         Integrity Check Value-ICV   (variable)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! - AES-GCM (RFC 4106 §5, §7) and ChaCha20-Poly1305 (RFC 7634 §2.1, §3): nonce = salt (last
//!   4 octets of the key) ‖ IV (8 octets, the start of Payload Data); AAD = SPI ‖ Sequence
//!   Number (with ESN: SPI ‖ high 32 bits ‖ low 32 bits); the ICV is the tag.
//! - AES-CBC (RFC 3602), AES-CTR (RFC 3686), 3DES, NULL with HMAC (RFC 2404, RFC 4868): the ICV
//!   is the truncated HMAC of SPI through the end of the ciphertext (with ESN, the high 32 bits
//!   of the sequence number are appended for the computation only, RFC 4303 §3.3.2.1).
//!
//! The ciphers and MACs are the ones the IKE SA decryption uses ([`crate::crypto::decrypt`]):
//! the key layouts are the same.

use std::collections::HashMap;

use super::sa::EspSa;
use crate::crypto::decrypt::{combined, integrity, separate};
use crate::crypto::keytable::Integ;
use crate::error::{Error, Result};

/// The anti-replay window size this receiver keeps (RFC 4303 §3.4.3: at least 32, 64
/// recommended).
pub const REPLAY_WINDOW: u64 = 64;

/// How the ICV of a packet was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Icv {
    /// It verified.
    Ok,
    /// The SA's integrity algorithm is one of Wireshark's "ANY … [no checking]": skipped.
    NotChecked,
    /// It did not verify: the plaintext is not authentic (wrong key, altered packet).
    Bad,
}

/// Where a sequence number falls in the anti-replay window (RFC 4303 §3.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Replay {
    /// Not seen before, inside or right of the window.
    New,
    /// Already received: a replay (or a duplicate in the capture).
    Duplicate,
    /// Left of the window: too old to be checked, a receiver drops it.
    TooOld,
}

/// One opened ESP packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// SPI.
    pub spi: u32,
    /// The full sequence number (with the inferred high-order half when ESN is on).
    pub seq: u64,
    /// Next Header: 4 IPv4 / 41 IPv6 (tunnel mode), 6, 17… (transport mode), 59 no next
    /// header (a dummy packet, RFC 4303 §2.6).
    pub next_header: u8,
    /// The payload: the inner packet (tunnel mode) or the transport payload, without the IV.
    pub payload: Vec<u8>,
    /// Pad Length.
    pub pad_len: u8,
    /// True when the Padding octets are not 1, 2, 3, … (RFC 4303 §2.4's default).
    pub odd_padding: bool,
    /// The ICV.
    pub icv: Icv,
    /// The anti-replay window's verdict.
    pub replay: Replay,
}

/// Next Header of a dummy packet (RFC 4303 §2.6: "no next header", IP protocol 59).
pub const NO_NEXT_HEADER: u8 = 59;

impl Opened {
    /// The inner packet as an IP datagram: in tunnel mode (Next Header 4 or 41) the payload
    /// itself; in transport mode the payload behind an IP header rebuilt from the outer
    /// addresses `src` → `dst` (IPv4: 20 octets, TTL 64, checksum computed; IPv6: 40 octets,
    /// hop limit 64), as the receiver hands it on after removing ESP (RFC 4303 §3.4.4).
    /// `None` for a dummy packet, or a payload too long for the IP length field.
    pub fn inner_packet(&self, src: std::net::IpAddr, dst: std::net::IpAddr) -> Option<Vec<u8>> {
        use std::net::IpAddr;
        match self.next_header {
            NO_NEXT_HEADER => None,
            4 | 41 => Some(self.payload.clone()),
            nh => match (src, dst) {
                (IpAddr::V4(s), IpAddr::V4(d)) => {
                    let total = u16::try_from(20 + self.payload.len()).ok()?;
                    let mut h = vec![0x45, 0];
                    h.extend_from_slice(&total.to_be_bytes());
                    h.extend_from_slice(&[0, 0, 0x40, 0, 64, nh, 0, 0]);
                    h.extend_from_slice(&s.octets());
                    h.extend_from_slice(&d.octets());
                    let mut sum: u32 = h
                        .chunks_exact(2)
                        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
                        .sum();
                    while sum > 0xffff {
                        sum = (sum & 0xffff) + (sum >> 16);
                    }
                    let ck = !(sum as u16);
                    h[10..12].copy_from_slice(&ck.to_be_bytes());
                    h.extend_from_slice(&self.payload);
                    Some(h)
                }
                (IpAddr::V6(s), IpAddr::V6(d)) => {
                    let plen = u16::try_from(self.payload.len()).ok()?;
                    let mut h = vec![0x60, 0, 0, 0];
                    h.extend_from_slice(&plen.to_be_bytes());
                    h.extend_from_slice(&[nh, 64]);
                    h.extend_from_slice(&s.octets());
                    h.extend_from_slice(&d.octets());
                    h.extend_from_slice(&self.payload);
                    Some(h)
                }
                _ => None,
            },
        }
    }
}

/// A 64-packet sliding window (RFC 4303 §3.4.3, the bitmap of RFC 6479's simple form).
#[derive(Debug, Clone, Default)]
struct Window {
    /// Highest sequence number received (0: none yet).
    top: u64,
    /// Bit i set: `top - i` was received.
    bits: u64,
}

impl Window {
    fn check(&self, seq: u64) -> Replay {
        if seq > self.top {
            return Replay::New;
        }
        let diff = self.top - seq;
        if diff >= REPLAY_WINDOW {
            return Replay::TooOld;
        }
        if self.bits >> diff & 1 == 1 {
            Replay::Duplicate
        } else {
            Replay::New
        }
    }

    fn update(&mut self, seq: u64) {
        if seq > self.top {
            let shift = seq - self.top;
            self.bits = if shift >= REPLAY_WINDOW {
                0
            } else {
                self.bits << shift
            };
            self.bits |= 1;
            self.top = seq;
        } else {
            let diff = self.top - seq;
            if diff < REPLAY_WINDOW {
                self.bits |= 1 << diff;
            }
        }
    }

    /// RFC 4303 Appendix A2.2: the high-order 32 bits of an ESN sequence number whose low
    /// half `low` arrived.
    fn esn_high(&self, low: u32) -> u32 {
        let w = REPLAY_WINDOW as u32;
        let th = (self.top >> 32) as u32;
        let tl = self.top as u32;
        let bottom = tl.wrapping_sub(w).wrapping_add(1);
        if tl >= w - 1 {
            if low >= bottom {
                th
            } else {
                th.wrapping_add(1)
            }
        } else if low >= bottom {
            th.wrapping_sub(1)
        } else {
            th
        }
    }
}

#[derive(Debug)]
struct SaState {
    sa: EspSa,
    window: Window,
}

/// The ESP SAs of a capture, each with its anti-replay window.
#[derive(Debug, Default)]
pub struct EspDecryptor {
    sas: HashMap<u32, Vec<SaState>>,
}

impl EspDecryptor {
    /// For these SAs (an SPI may appear more than once: the outer addresses tell them apart).
    pub fn new(sas: impl IntoIterator<Item = EspSa>) -> Self {
        let mut map: HashMap<u32, Vec<SaState>> = HashMap::new();
        for sa in sas {
            map.entry(sa.spi).or_default().push(SaState {
                sa,
                window: Window::default(),
            });
        }
        EspDecryptor { sas: map }
    }

    /// The SA for `spi` between these outer addresses, if any.
    pub fn sa(
        &self,
        spi: u32,
        src: Option<std::net::IpAddr>,
        dst: Option<std::net::IpAddr>,
    ) -> Option<&EspSa> {
        self.find(spi, src, dst)
            .and_then(|i| self.sas.get(&spi).and_then(|v| v.get(i)))
            .map(|s| &s.sa)
    }

    fn find(
        &self,
        spi: u32,
        src: Option<std::net::IpAddr>,
        dst: Option<std::net::IpAddr>,
    ) -> Option<usize> {
        let v = self.sas.get(&spi)?;
        v.iter().position(|s| {
            (s.sa.src.is_none() || src.is_none() || s.sa.src == src)
                && (s.sa.dst.is_none() || dst.is_none() || s.sa.dst == dst)
        })
    }

    /// Opens one ESP packet (`esp` from the SPI to the end of the ICV), sent from `src` to
    /// `dst`. `Ok(None)`: no SA for its SPI. Errors name the field and its offset in `esp`.
    /// The anti-replay window moves only for packets whose ICV verified (§3.4.3).
    pub fn open(
        &mut self,
        esp: &[u8],
        src: Option<std::net::IpAddr>,
        dst: Option<std::net::IpAddr>,
    ) -> Result<Option<Opened>> {
        if esp.len() < 8 {
            return Err(Error::truncated("Sequence Number", 0, 8, esp.len()));
        }
        let spi = u32::from_be_bytes([esp[0], esp[1], esp[2], esp[3]]);
        let low = u32::from_be_bytes([esp[4], esp[5], esp[6], esp[7]]);
        let Some(i) = self.find(spi, src, dst) else {
            return Ok(None);
        };
        let Some(st) = self.sas.get_mut(&spi).and_then(|v| v.get_mut(i)) else {
            return Ok(None);
        };
        let sa = &st.sa;
        let high = if sa.esn { st.window.esn_high(low) } else { 0 };
        let seq = u64::from(high) << 32 | u64::from(low);
        let encr = sa.encr;
        let iv_len = encr.iv_len();
        let icv_len = encr.aead_icv_len().unwrap_or(sa.integ.icv_len());
        let need = 8 + iv_len + 2 + icv_len;
        if esp.len() < need {
            return Err(Error::truncated("Payload Data", 8, need - 8, esp.len() - 8));
        }
        let iv = &esp[8..8 + iv_len];
        let ct_at = 8 + iv_len;
        let icv_at = esp.len() - icv_len;
        let ct = &esp[ct_at..icv_at];
        let icv_bytes = &esp[icv_at..];
        if ct.len() % encr.block_len().max(1) != 0 {
            return Err(Error::invalid(
                "Payload Data",
                ct_at,
                format!(
                    "{} octets: not a whole number of {}-octet blocks of {encr}",
                    ct.len(),
                    encr.block_len()
                ),
            ));
        }
        let (key, salt) = sa
            .enc_key
            .split_at(encr.cipher_key_len().min(sa.enc_key.len()));
        let rejected = || Error::invalid("SPI", 0, format!("the SA's key was rejected by {encr}"));
        let (plain, icv) = if encr.is_aead() {
            let mut nonce = Vec::with_capacity(12);
            nonce.extend_from_slice(salt);
            nonce.extend_from_slice(iv);
            let mut aad = Vec::with_capacity(12);
            aad.extend_from_slice(&esp[..4]);
            if sa.esn {
                aad.extend_from_slice(&high.to_be_bytes());
            }
            aad.extend_from_slice(&esp[4..8]);
            let (p, ok) = combined(encr, key, &nonce, &aad, ct, icv_bytes).ok_or_else(rejected)?;
            (p, if ok { Icv::Ok } else { Icv::Bad })
        } else {
            let mut buf = ct.to_vec();
            separate(encr, key, salt, iv, &mut buf).ok_or_else(rejected)?;
            let icv = match sa.integ {
                Integ::None => Icv::NotChecked,
                Integ::Unchecked(_) => Icv::NotChecked,
                integ => {
                    let mut signed = esp[..icv_at].to_vec();
                    if sa.esn {
                        signed.extend_from_slice(&high.to_be_bytes());
                    }
                    let ok =
                        integrity(integ, &sa.auth_key, &signed, icv_bytes).ok_or_else(|| {
                            Error::invalid(
                                "ICV",
                                icv_at,
                                format!("the key was rejected by {integ}"),
                            )
                        })?;
                    if ok {
                        Icv::Ok
                    } else {
                        Icv::Bad
                    }
                }
            };
            (buf, icv)
        };
        let replay = st.window.check(seq);
        if icv != Icv::Bad {
            st.window.update(seq);
        }
        let n = plain.len();
        if n < 2 {
            return Err(Error::truncated("Next Header", ct_at, 2, n));
        }
        let next_header = plain[n - 1];
        let pad_len = plain[n - 2];
        let body_len = n - 2;
        if usize::from(pad_len) > body_len {
            if icv == Icv::Bad {
                // Garbage from a wrong key or an altered packet: the ICV says so first.
                return Ok(Some(Opened {
                    spi,
                    seq,
                    next_header,
                    payload: Vec::new(),
                    pad_len,
                    odd_padding: true,
                    icv,
                    replay,
                }));
            }
            return Err(Error::invalid(
                "Pad Length",
                ct_at + n - 2,
                format!(
                    "{pad_len} octets of Padding, but only {body_len} octet(s) precede the Pad Length"
                ),
            ));
        }
        let pay_len = body_len - usize::from(pad_len);
        let odd_padding = plain[pay_len..body_len]
            .iter()
            .enumerate()
            .any(|(i, &b)| usize::from(b) != i + 1);
        let mut payload = plain;
        payload.truncate(pay_len);
        Ok(Some(Opened {
            spi,
            seq,
            next_header,
            payload,
            pad_len,
            odd_padding,
            icv,
            replay,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keytable::{AesBits, Encr, IcvLen};

    /// Seals like a sender would, with the same crates, to test the layout both ways.
    fn seal_gcm(key: &[u8], spi: u32, seq: u32, iv: [u8; 8], inner: &[u8], nh: u8) -> Vec<u8> {
        use aes_gcm::aead::{AeadInPlace, KeyInit};
        let (k, salt) = key.split_at(16);
        let cipher = aes_gcm::Aes128Gcm::new_from_slice(k).unwrap();
        let mut nonce = salt.to_vec();
        nonce.extend_from_slice(&iv);
        let mut pt = inner.to_vec();
        let pad = (4 - (pt.len() + 2) % 4) % 4;
        for i in 0..pad {
            pt.push(i as u8 + 1);
        }
        pt.push(pad as u8);
        pt.push(nh);
        let mut aad = spi.to_be_bytes().to_vec();
        aad.extend_from_slice(&seq.to_be_bytes());
        let tag = cipher
            .encrypt_in_place_detached(aes_gcm::Nonce::from_slice(&nonce), &aad, &mut pt)
            .unwrap();
        let mut out = aad;
        out.extend_from_slice(&iv);
        out.extend_from_slice(&pt);
        out.extend_from_slice(&tag);
        out
    }

    fn gcm_sa(key: &[u8]) -> EspSa {
        EspSa {
            spi: 0x1234_5678,
            src: None,
            dst: None,
            encr: Encr::AesGcm {
                key: AesBits::B128,
                icv: IcvLen::Octets16,
            },
            enc_key: key.to_vec(),
            integ: Integ::None,
            auth_key: Vec::new(),
            esn: false,
        }
    }

    #[test]
    fn gcm_opens_and_the_window_catches_replays() {
        let key: Vec<u8> = (0u8..20).collect();
        let mut d = EspDecryptor::new([gcm_sa(&key)]);
        let inner = b"\x45\x00\x00\x14inner-ipv4-packet";
        let p1 = seal_gcm(&key, 0x1234_5678, 1, [7; 8], inner, 4);
        let o = d.open(&p1, None, None).unwrap().unwrap();
        assert_eq!(
            (o.seq, o.next_header, o.icv, o.replay),
            (1, 4, Icv::Ok, Replay::New)
        );
        assert_eq!(o.payload, inner);
        assert!(!o.odd_padding);
        // The same packet again: a duplicate.
        let o = d.open(&p1, None, None).unwrap().unwrap();
        assert_eq!(o.replay, Replay::Duplicate);
        // Far ahead, then an old one left of the window.
        let p100 = seal_gcm(&key, 0x1234_5678, 100, [8; 8], inner, 4);
        assert_eq!(
            d.open(&p100, None, None).unwrap().unwrap().replay,
            Replay::New
        );
        let p2 = seal_gcm(&key, 0x1234_5678, 2, [9; 8], inner, 4);
        assert_eq!(
            d.open(&p2, None, None).unwrap().unwrap().replay,
            Replay::TooOld
        );
        let p90 = seal_gcm(&key, 0x1234_5678, 90, [9; 8], inner, 4);
        assert_eq!(
            d.open(&p90, None, None).unwrap().unwrap().replay,
            Replay::New
        );
        // One bit changed: ICV bad, window untouched.
        let mut bad = seal_gcm(&key, 0x1234_5678, 101, [1; 8], inner, 4);
        bad[20] ^= 1;
        let o = d.open(&bad, None, None).unwrap().unwrap();
        assert_eq!(o.icv, Icv::Bad);
        let good = seal_gcm(&key, 0x1234_5678, 101, [1; 8], inner, 4);
        assert_eq!(
            d.open(&good, None, None).unwrap().unwrap().replay,
            Replay::New
        );
        // Unknown SPI.
        let mut other = p1.clone();
        other[0] = 0;
        assert!(d.open(&other, None, None).unwrap().is_none());
    }

    #[test]
    fn every_prefix_fails_cleanly() {
        let key: Vec<u8> = (0u8..20).collect();
        let p = seal_gcm(&key, 0x1234_5678, 1, [7; 8], b"abc", 17);
        for n in 0..p.len() {
            let mut d = EspDecryptor::new([gcm_sa(&key)]);
            match d.open(&p[..n], None, None) {
                Err(_) => {}
                Ok(Some(o)) => assert_eq!(o.icv, Icv::Bad, "prefix {n}"),
                Ok(None) => panic!("prefix {n}: SA not found"),
            }
        }
    }

    #[test]
    fn transport_mode_gets_its_header_back() {
        let o = Opened {
            spi: 1,
            seq: 1,
            next_header: 17,
            payload: vec![0x9c, 0x40, 0x27, 0x0f, 0, 8, 0, 0],
            pad_len: 0,
            odd_padding: false,
            icv: Icv::Ok,
            replay: Replay::New,
        };
        let ip = o
            .inner_packet([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
            .unwrap();
        assert_eq!(&ip[..4], &[0x45, 0, 0, 28]);
        assert_eq!(ip[9], 17);
        // The header checksum sums to 0xffff.
        let sum: u32 = ip[..20]
            .chunks_exact(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        assert_eq!((sum & 0xffff) + (sum >> 16), 0xffff);
        let tunnel = Opened {
            next_header: 4,
            ..o.clone()
        };
        assert_eq!(
            tunnel
                .inner_packet([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
                .unwrap(),
            o.payload
        );
        let dummy = Opened {
            next_header: NO_NEXT_HEADER,
            ..o
        };
        assert!(dummy
            .inner_packet([10, 0, 0, 1].into(), [10, 0, 0, 2].into())
            .is_none());
    }

    #[test]
    fn esn_high_half_follows_the_window() {
        let mut w = Window::default();
        assert_eq!(w.esn_high(5), 0);
        w.update(0xffff_fff0);
        assert_eq!(w.esn_high(0xffff_fff8), 0);
        assert_eq!(w.esn_high(3), 1);
        w.update(0x1_0000_0003);
        assert_eq!(w.esn_high(0xffff_fff9), 0);
        assert_eq!(w.esn_high(4), 1);
    }
}
