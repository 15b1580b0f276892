//! 6LoWPAN-GHC, Generic Header Compression (RFC 7400): the bytecode, and its LOWPAN_NHC codes.
//!
//! GHC is an LZ77-style bytecode. The decompressor appends to a buffer that is pre-filled with a
//! 48-octet dictionary (RFC 7400 §2): the IPv6 source address, the IPv6 destination address
//! (16 octets each, of the IPv6 header the compressed header belongs to) and 16 static octets
//! `16 fe fd 17 fe fd 00 01 00 00 00 00 00 01 00 00`. Only what is appended after the dictionary is
//! the decompressed data.
//!
//! ```text
//!  code byte  action                                                        argument
//!  0kkkkkkk   append the k (0 < k < 96) octets that follow                 k octets
//!  1000nnnn   append nnnn + 2 zero octets
//!  10010000   STOP: end of the compressed data
//!  101nssss   extended arguments for the next backreference:
//!             sa += 0b0ssss000, na += 0b0000n000
//!  11nnnkkk   backreference: n = na + nnn + 2, s = kkk + sa + n; append the n octets
//!             that start s octets before the end of the buffer; then na = sa = 0
//! ```
//!
//! Codes `011xxxxx` (k ≥ 96) and `1001nnnn` with nnnn ≠ 0 are reserved. Because s ≥ n, a
//! backreference never overlaps the octets it appends.
//!
//! LOWPAN_NHC codes (RFC 7400 §3, IANA "LOWPAN_NHC Header Type"):
//!
//! ```text
//!  11010CPP   UDP: ports and checksum as RFC 6282 §4.3.3 (C, P), then the UDP payload in GHC
//!  11011111   ICMPv6: the whole ICMPv6 message (header and body) in GHC
//!  10110IIN   extension header II (00 Hop-by-Hop, 01 Routing, 10 Fragment, 11 Destination
//!             Options) with the NH bit of RFC 6282 §4.2: the Next Header octet follows when N=0,
//!             then GHC up to a STOP code
//! ```
//!
//! The payload forms (UDP, ICMPv6) run to the first STOP code or to the end of the buffer
//! (RFC 7400 §3.1); anything after a STOP is carried uncompressed. For an extension header this
//! crate reads the GHC data as the header's octets after its Next Header and Length octets (for a
//! Fragment header: after Next Header and Reserved), the Length being derived from how many
//! octets decompress, as ns-3's `SixLowPanGhcExtension` does; the STOP code is then required.

use std::net::Ipv6Addr;

use crate::error::Result;
use crate::reader::Reader;

/// The 16 static octets that end the pre-filled dictionary (RFC 7400 §2).
pub const STATIC_DICTIONARY: [u8; 16] = [
    0x16, 0xfe, 0xfd, 0x17, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
];

/// Octets of the pre-filled dictionary: source, destination, static.
pub const DICTIONARY_LEN: usize = 48;

/// The STOP code.
pub const STOP: u8 = 0x90;

/// Most octets one APPEND carries (k < 96).
pub const MAX_APPEND: usize = 95;

/// Most octets one ZEROS code appends.
const MAX_ZEROS: usize = 17;

/// Most octets a GHC decompression may produce: a 6LoWPAN datagram is at most 2047 octets
/// (the 11-bit datagram_size of RFC 4944 §5.3), so no GHC-compressed part can be larger.
pub const MAX_OUTPUT: usize = 2047;

/// LOWPAN_NHC code for GHC-compressed UDP: `11010CPP`.
pub const NHC_UDP: u8 = 0b1101_0000;
/// Mask for [`NHC_UDP`].
pub const NHC_UDP_MASK: u8 = 0b1111_1000;
/// LOWPAN_NHC code for GHC-compressed ICMPv6.
pub const NHC_ICMPV6: u8 = 0b1101_1111;
/// LOWPAN_NHC code for a GHC-compressed extension header: `10110IIN`.
pub const NHC_EXT: u8 = 0b1011_0000;
/// Mask for [`NHC_EXT`].
pub const NHC_EXT_MASK: u8 = 0b1111_1000;

/// The pre-filled dictionary for a header between `src` and `dst`.
pub fn dictionary(src: &Ipv6Addr, dst: &Ipv6Addr) -> [u8; DICTIONARY_LEN] {
    let mut d = [0u8; DICTIONARY_LEN];
    d[..16].copy_from_slice(&src.octets());
    d[16..32].copy_from_slice(&dst.octets());
    d[32..].copy_from_slice(&STATIC_DICTIONARY);
    d
}

/// The result of decompressing one GHC bytecode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The decompressed octets (the dictionary not included).
    pub data: Vec<u8>,
    /// True when the bytecode ended with a STOP code (false: it ran to the end of the input).
    pub stopped: bool,
}

/// Decompresses the bytecode at `r` (to a STOP code or to the end of `r`) for a header between
/// `src` and `dst`. Errors name the code byte at fault; at most [`MAX_OUTPUT`] octets come out.
pub fn decompress(r: &mut Reader<'_>, src: &Ipv6Addr, dst: &Ipv6Addr) -> Result<Decoded> {
    let mut buf: Vec<u8> = Vec::with_capacity(DICTIONARY_LEN + 64);
    buf.extend_from_slice(&dictionary(src, dst));
    let (mut na, mut sa) = (0usize, 0usize);
    let mut stopped = false;
    while r.remaining() > 0 {
        let at = r.offset();
        let code = r.u8("GHC code")?;
        match code {
            STOP => {
                stopped = true;
                break;
            }
            0x00..=0x5f => {
                let k = usize::from(code);
                let lit = r.take(k, "GHC APPEND argument")?;
                check_room(r, &buf, k, at)?;
                buf.extend_from_slice(lit);
            }
            0x60..=0x7f => {
                return Err(r.invalid_at(
                    "GHC code",
                    at,
                    format!("0x{code:02x} is reserved (APPEND of k = {} octets: k must be below 96, RFC 7400 §2)", code & 0x7f),
                ))
            }
            0x80..=0x8f => {
                let n = usize::from(code & 0x0f) + 2;
                check_room(r, &buf, n, at)?;
                buf.resize(buf.len() + n, 0);
            }
            0x91..=0x9f => {
                return Err(r.invalid_at(
                    "GHC code",
                    at,
                    format!("0x{code:02x} is reserved (1001nnnn with nnnn != 0, RFC 7400 §2)"),
                ))
            }
            0xa0..=0xbf => {
                sa += usize::from(code & 0x0f) << 3;
                na += usize::from((code >> 4) & 0x01) << 3;
                if na > MAX_OUTPUT || sa > MAX_OUTPUT + DICTIONARY_LEN {
                    return Err(r.invalid_at(
                        "GHC extended arguments",
                        at,
                        format!("extended arguments na={na} sa={sa} reach past any datagram"),
                    ));
                }
            }
            _ => {
                let n = na + usize::from((code >> 3) & 0x07) + 2;
                let s = usize::from(code & 0x07) + sa + n;
                na = 0;
                sa = 0;
                if s > buf.len() {
                    return Err(r.invalid_at(
                        "GHC backreference",
                        at,
                        format!(
                            "the backreference starts {s} octets back, before the {} octets decompressed so far (dictionary included)",
                            buf.len()
                        ),
                    ));
                }
                check_room(r, &buf, n, at)?;
                let from = buf.len() - s;
                // s >= n: the source range ends at or before the current end, no overlap.
                buf.extend_from_within(from..from + n);
            }
        }
    }
    buf.drain(..DICTIONARY_LEN);
    Ok(Decoded { data: buf, stopped })
}

fn check_room(r: &Reader<'_>, buf: &[u8], n: usize, at: usize) -> Result<()> {
    if buf.len() - DICTIONARY_LEN + n > MAX_OUTPUT {
        return Err(r.invalid_at(
            "GHC code",
            at,
            format!("GHC decompression would exceed {MAX_OUTPUT} octets, more than any 6LoWPAN datagram"),
        ));
    }
    Ok(())
}

/// The extended-argument and backreference codes for copying `n` octets from `s` octets back
/// (n ≥ 2, s ≥ n), appended to `out`.
fn emit_backref(out: &mut Vec<u8>, n: usize, s: usize) {
    let (a, nnn) = split(n - 2);
    let (b, kkk) = split(s - n);
    // a extended-argument codes carry the n bit; b units of 8 go into ssss (at most 15 each).
    let mut left_a = a;
    let mut left_b = b;
    while left_a > 0 || left_b > 0 {
        let nbit = u8::from(left_a > 0);
        let ssss = left_b.min(15);
        out.push(0xa0 | (nbit << 4) | ssss as u8);
        left_a = left_a.saturating_sub(1);
        left_b -= ssss;
    }
    out.push(0xc0 | ((nnn as u8) << 3) | kkk as u8);
}

/// `v` as `8 * units + low` with `low` in 0..=7 and as few units as possible.
fn split(v: usize) -> (usize, usize) {
    if v <= 7 {
        (0, v)
    } else {
        let units = (v - 7).div_ceil(8);
        (units, v - 8 * units)
    }
}

/// Octets [`emit_backref`] writes.
fn backref_cost(n: usize, s: usize) -> usize {
    let (a, _) = split(n - 2);
    let (b, _) = split(s - n);
    1 + a.max(b.div_ceil(15))
}

/// Compresses `data` (at most [`MAX_OUTPUT`] octets) for a header between `src` and `dst`: a
/// greedy LZ77 over the dictionary and the data already coded, with ZEROS runs. The result
/// decompresses to exactly `data` ([`decompress`]); `stop` appends a STOP code.
pub fn compress(data: &[u8], src: &Ipv6Addr, dst: &Ipv6Addr, stop: bool) -> Vec<u8> {
    let mut window: Vec<u8> = Vec::with_capacity(DICTIONARY_LEN + data.len());
    window.extend_from_slice(&dictionary(src, dst));
    window.extend_from_slice(data);
    let mut out = Vec::with_capacity(data.len() / 2 + 4);
    let mut literal: Vec<u8> = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let here = DICTIONARY_LEN + pos;
        let rest = &data[pos..];
        let zeros = rest.iter().take_while(|&&b| b == 0).count();
        // Longest match that saves at least one octet over coding it as literal.
        let mut best: Option<(usize, usize, usize)> = None; // (n, s, cost)
        if rest.len() >= 2 {
            for start in 0..here {
                let s = here - start;
                let max = rest.len().min(s);
                let n = window[start..start + max]
                    .iter()
                    .zip(rest)
                    .take_while(|(a, b)| a == b)
                    .count();
                if n < 2 {
                    continue;
                }
                let cost = backref_cost(n, s);
                let gain = n as isize - cost as isize;
                let better = match best {
                    None => gain > 0,
                    Some((bn, _, bc)) => gain > bn as isize - bc as isize,
                };
                if better {
                    best = Some((n, s, cost));
                }
            }
        }
        let zero_gain = zeros.min(MAX_ZEROS) as isize - 1;
        match best {
            Some((n, s, cost)) if (n as isize - cost as isize) >= zero_gain => {
                flush(&mut out, &mut literal);
                emit_backref(&mut out, n, s);
                pos += n;
            }
            _ if zeros >= 2 => {
                flush(&mut out, &mut literal);
                let z = zeros.min(MAX_ZEROS);
                out.push(0x80 | (z - 2) as u8);
                pos += z;
            }
            _ => {
                literal.push(rest[0]);
                if literal.len() == MAX_APPEND {
                    flush(&mut out, &mut literal);
                }
                pos += 1;
            }
        }
    }
    flush(&mut out, &mut literal);
    if stop {
        out.push(STOP);
    }
    out
}

fn flush(out: &mut Vec<u8>, literal: &mut Vec<u8>) {
    if !literal.is_empty() {
        out.push(literal.len() as u8);
        out.append(literal);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::error::Layer;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    fn dec(code: &[u8]) -> Result<Decoded> {
        decompress(
            &mut Reader::new(code, 0, Layer::Nhc),
            &a("fe80::1"),
            &a("ff02::1a"),
        )
    }

    #[test]
    fn each_code() {
        // APPEND 2, ZEROS 3, backref n=2 s=2 (the two zeros just written), STOP.
        let d = dec(&[
            0x02, 0xaa, 0xbb, // APPEND k=2
            0x81, // ZEROS nnnn=1: 3 zero octets
            0xc0, // backref nnn=0 kkk=0: n=2, s=2
            0x90, // STOP
            0x55, // not read
        ])
        .unwrap();
        assert_eq!(d.data, [0xaa, 0xbb, 0, 0, 0, 0, 0]);
        assert!(d.stopped);
        // A backreference into the dictionary: the static part starts 16 octets back.
        // n = 8 (nnn=6), s = 16 (kkk = 16 - 8 = 8: needs sa=8 and kkk=0).
        let d = dec(&[
            0xa1, // extended: ssss=1 -> sa = 8
            0xf0, // backref nnn=6 kkk=0: n = 8, s = 0 + 8 + 8 = 16
        ])
        .unwrap();
        assert_eq!(d.data, STATIC_DICTIONARY[..8]);
        assert!(!d.stopped);
        // The destination address, 32 octets back: n=16 (na=8, nnn=6), s=32 (sa=16, kkk=0).
        let d = dec(&[
            0xb2, // n bit, ssss=2: na=8 sa=16
            0xf0, // nnn=6 kkk=0: n=16, s=32
        ])
        .unwrap();
        assert_eq!(d.data, a("ff02::1a").octets());
    }

    #[test]
    fn reserved_and_bad_codes_are_named() {
        let e = dec(&[0x01, 0x00, 0x60]).unwrap_err();
        assert_eq!((e.field(), e.offset()), ("GHC code", 2));
        let e = dec(&[0x91]).unwrap_err();
        assert_eq!(e.field(), "GHC code");
        let e = dec(&[0x05, 1, 2]).unwrap_err();
        assert_eq!(e.field(), "GHC APPEND argument");
        // 49 octets back: one more than the dictionary holds.
        let e = dec(&[0xa5, 0xc7, 0xc0]).unwrap_err();
        assert_eq!((e.field(), e.offset()), ("GHC backreference", 1));
    }

    #[test]
    fn output_is_bounded() {
        let code = vec![0x8f; 200]; // 17 zeros each
        let e = dec(&code).unwrap_err();
        assert!(e.to_string().contains("2047"), "{e}");
    }

    #[test]
    fn compress_round_trips_and_shrinks() {
        let src = a("2001:db8::1");
        let dst = a("2001:db8::2");
        let mut data = vec![0x9b, 0x01, 0x7a, 0x5f, 0, 0, 0, 0, 0, 0];
        data.extend_from_slice(&dst.octets());
        data.extend_from_slice(&STATIC_DICTIONARY);
        data.extend_from_slice(b"hello hello hello");
        for stop in [false, true] {
            let c = compress(&data, &src, &dst, stop);
            assert!(c.len() < data.len() / 2, "{} vs {}", c.len(), data.len());
            let d = decompress(&mut Reader::new(&c, 0, Layer::Nhc), &src, &dst).unwrap();
            assert_eq!(d.data, data);
            assert_eq!(d.stopped, stop);
        }
    }

    #[test]
    fn long_backrefs_need_extended_arguments() {
        let src = a("::1");
        let dst = a("::2");
        let block: Vec<u8> = (1..=200u8).collect();
        let mut data = block.clone();
        data.extend_from_slice(&block);
        let c = compress(&data, &src, &dst, false);
        // 200 literal octets (3 APPENDs), then one backreference of n=200 at s=200: 24
        // extended-argument codes (na = 192) and the backreference code.
        assert_eq!(c.len(), 200 + 3 + 25);
        let d = decompress(&mut Reader::new(&c, 0, Layer::Nhc), &src, &dst).unwrap();
        assert_eq!(d.data, data);
    }
}
