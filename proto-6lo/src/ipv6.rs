//! Uncompressed IPv6 (RFC 8200): the fixed header the 6LoWPAN decompressors rebuild, the UDP
//! checksums they must fill in afterwards (RFC 6282 §4.3.2, RFC 8200 §8.1), and a read-only
//! [`summary`] of a whole datagram — header, extension headers and upper layer.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Traffic Class |           Flow Label                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Payload Length        |  Next Header  |   Hop Limit   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Source Address (128 bits)                     |
//! |                 Destination Address (128 bits)                |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Errors from [`summary`] are reported against [`Layer::Ipv6`]; their offsets count from the
//! first byte of the datagram given.

use std::net::Ipv6Addr;

use crate::error::{Layer, Result};
use crate::reader::Reader;

/// Length of the fixed IPv6 header.
pub const HEADER_LEN: usize = 40;

/// IPv6 Next Header / IP protocol numbers this crate names.
pub mod proto {
    /// IPv6 Hop-by-Hop Options (RFC 8200 §4.3).
    pub const HOP_BY_HOP: u8 = 0;
    /// UDP (RFC 768).
    pub const UDP: u8 = 17;
    /// IPv6 encapsulated in IPv6 (RFC 2473).
    pub const IPV6: u8 = 41;
    /// Routing header (RFC 8200 §4.4).
    pub const ROUTING: u8 = 43;
    /// Fragment header (RFC 8200 §4.5).
    pub const FRAGMENT: u8 = 44;
    /// ICMPv6 (RFC 4443).
    pub const ICMPV6: u8 = 58;
    /// No Next Header (RFC 8200 §4.7).
    pub const NO_NEXT_HEADER: u8 = 59;
    /// Destination Options (RFC 8200 §4.6).
    pub const DEST_OPTIONS: u8 = 60;
    /// Mobility header (RFC 6275).
    pub const MOBILITY: u8 = 135;
}

/// A UDP checksum the compressed form elided (RFC 6282 §4.3.2, C=1): it can only be computed
/// once the whole datagram is known, by [`fill_checksums`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ChecksumFix {
    /// Offset in the datagram of the IPv6 header that encloses the UDP header.
    pub ipv6_at: usize,
    /// Offset in the datagram of the UDP header.
    pub udp_at: usize,
}

/// Writes a 40-byte IPv6 header to `out`.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn write_header(
    out: &mut Vec<u8>,
    traffic_class: u8,
    flow_label: u32,
    payload_length: u16,
    next_header: u8,
    hop_limit: u8,
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
) {
    // The first 8 octets as one word, then the addresses: three copies, each from a value the
    // width it is read at.
    let first = (6u32 << 28) | (u32::from(traffic_class) << 20) | (flow_label & 0x000f_ffff);
    let word = (u64::from(first) << 32)
        | (u64::from(payload_length) << 16)
        | (u64::from(next_header) << 8)
        | u64::from(hop_limit);
    out.reserve(HEADER_LEN);
    out.extend_from_slice(&word.to_be_bytes());
    out.extend_from_slice(&src.octets());
    out.extend_from_slice(&dst.octets());
}

/// One's-complement sum of `data` (as big-endian 16-bit words, odd length padded with a zero
/// octet) added to `acc`, not yet folded. Eight octets are added at a time as two 32-bit words:
/// 2^16 ≡ 1 (mod 0xffff), so once folded the sum is the same as word by word (RFC 1071 §2).
fn sum_words(mut acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let w = u64::from_be_bytes(w);
        acc += (w >> 32) + (w & 0xffff_ffff);
    }
    let mut pairs = chunks.remainder().chunks_exact(2);
    for c in &mut pairs {
        acc += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = pairs.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The folded one's-complement sum of the RFC 8200 §8.1 pseudo-header and `data` (not inverted).
fn pseudo_sum(src: &[u8; 16], dst: &[u8; 16], protocol: u8, data: &[u8]) -> u16 {
    let mut acc = sum_words(0, src);
    acc = sum_words(acc, dst);
    acc += data.len() as u64; // the 32-bit Upper-Layer Packet Length, as two 16-bit words
    acc += u64::from(protocol);
    acc = sum_words(acc, data);
    fold(acc)
}

/// The Internet checksum of `data` (an upper-layer packet whose own checksum field is zero) under
/// the RFC 8200 §8.1 pseudo-header. A UDP result of 0 must be sent as 0xFFFF; this function does
/// not do that substitution.
pub fn upper_layer_checksum(src: &Ipv6Addr, dst: &Ipv6Addr, protocol: u8, data: &[u8]) -> u16 {
    !pseudo_sum(&src.octets(), &dst.octets(), protocol, data)
}

/// Computes every elided UDP checksum in `datagram` (the decompressed headers followed by the rest
/// of the payload). The UDP length is taken from the UDP header; a fix whose offsets or length do
/// not fit in `datagram` is skipped, never panics.
pub fn fill_checksums(datagram: &mut [u8], fixes: &[ChecksumFix]) {
    for fix in fixes {
        let Some(ip) = datagram
            .get(fix.ipv6_at..)
            .and_then(|d| d.get(..HEADER_LEN))
        else {
            continue;
        };
        let mut src = [0u8; 16];
        let mut dst = [0u8; 16];
        src.copy_from_slice(&ip[8..24]);
        dst.copy_from_slice(&ip[24..40]);
        let Some(hdr) = datagram.get(fix.udp_at..).and_then(|d| d.get(..8)) else {
            continue;
        };
        let udp_len = usize::from(u16::from_be_bytes([hdr[4], hdr[5]]));
        if udp_len < 8 {
            continue;
        }
        let Some(end) = fix.udp_at.checked_add(udp_len) else {
            continue;
        };
        let Some(udp) = datagram.get_mut(fix.udp_at..end) else {
            continue;
        };
        udp[6] = 0;
        udp[7] = 0;
        let mut c = !pseudo_sum(&src, &dst, proto::UDP, udp);
        if c == 0 {
            c = 0xffff;
        }
        udp[6..8].copy_from_slice(&c.to_be_bytes());
    }
}

/// The upper-layer protocol found after the extension headers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Upper {
    /// UDP (RFC 768).
    Udp {
        src_port: u16,
        dst_port: u16,
        length: u16,
        checksum: u16,
        /// None when the checksum cannot be verified here: the datagram is incomplete, or a
        /// Routing header still has segments left (the pseudo-header then uses the final
        /// destination). A zero UDP checksum is not ok over IPv6 (RFC 8200 §8.1).
        checksum_ok: Option<bool>,
    },
    /// ICMPv6 (RFC 4443).
    Icmpv6 {
        #[serde(rename = "type")]
        type_: u8,
        code: u8,
        name: &'static str,
        checksum: u16,
        /// As for UDP.
        checksum_ok: Option<bool>,
        /// Neighbor Discovery (types 133–137, RFC 4861) and 6LoWPAN-ND (157/158, RFC 6775 /
        /// RFC 8505): the message body and its options, as far as they parse.
        #[serde(skip_serializing_if = "Option::is_none")]
        nd: Option<Box<crate::nd::NdMessage>>,
        /// Why `nd` is missing or stops early (a bad option); the summary itself stands. Not
        /// serialised with the summary: a front end lists it among its warnings.
        #[serde(skip)]
        nd_error: Option<crate::error::Error>,
    },
    /// IPv6 in IPv6 (RFC 2473): the inner datagram.
    Ipv6(Box<Summary>),
    /// Any other protocol, or the rest of a non-first fragment; not decoded.
    Other { protocol: u8 },
    /// No Next Header (59).
    None,
}

/// A read-only summary of an uncompressed IPv6 datagram.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub payload_length: u16,
    /// The IPv6 header's Next Header field.
    pub next_header: u8,
    pub hop_limit: u8,
    pub traffic_class: u8,
    pub flow_label: u32,
    /// Extension headers in order: (type, length in octets).
    pub ext_headers: Vec<(u8, usize)>,
    pub upper: Upper,
}

/// The name of an ICMPv6 type (RFC 4443, 4861, 2710, 3810, 6550, 6775/8505).
pub fn icmpv6_name(type_: u8) -> &'static str {
    match type_ {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded",
        4 => "parameter problem",
        100 | 101 | 200 | 201 => "private experimentation",
        127 | 255 => "reserved for expansion",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        138 => "router renumbering",
        139 => "node information query",
        140 => "node information response",
        141 => "inverse neighbor discovery solicitation",
        142 => "inverse neighbor discovery advertisement",
        143 => "multicast listener report v2",
        144 => "home agent address discovery request",
        145 => "home agent address discovery reply",
        146 => "mobile prefix solicitation",
        147 => "mobile prefix advertisement",
        148 => "certification path solicitation",
        149 => "certification path advertisement",
        151 => "multicast router advertisement",
        152 => "multicast router solicitation",
        153 => "multicast router termination",
        155 => "RPL control message",
        157 => "duplicate address request",
        158 => "duplicate address confirmation",
        160 => "extended echo request",
        161 => "extended echo reply",
        _ => "unknown",
    }
}

/// Nested IPv6-in-IPv6 levels [`summary`] follows before reporting `Upper::Other`.
const MAX_NESTING: u8 = 8;

/// Summarises an uncompressed IPv6 datagram: fixed header, extension headers (Hop-by-Hop,
/// Routing, Fragment, Destination Options, Mobility), and the upper layer with its checksum
/// verified when the datagram is complete. Data beyond the Payload Length is ignored; a datagram
/// shorter than its Payload Length (e.g. a first fragment) is summarised as far as it goes.
pub fn summary(datagram: &[u8]) -> Result<Summary> {
    summary_at(datagram, 0, 0, &mut None)
}

/// [`summary`], building a Neighbor Discovery message (if the datagram carries one) in `spare`
/// when it holds a box — a previous summary's, whose allocations (box and option vector) are
/// reused — rather than in a new one.
pub(crate) fn summary_reusing(
    datagram: &[u8],
    spare: &mut Option<Box<crate::nd::NdMessage>>,
) -> Result<Summary> {
    summary_at(datagram, 0, 0, spare)
}

/// What [`summary`] would say of `datagram`, without building it: the same error when it
/// fails; when it succeeds, only the fixed header (as [`header`] gives it, `upper` left as
/// `Other { protocol: next header }`). No checksum is verified, no Neighbor Discovery message
/// read: for a caller that only needs the datagram and its verdict
/// ([`crate::lowpan::Decoder::set_datagrams_only`]). Reads exactly the fields `summary` reads,
/// in the same order, so that the first field to fail is the same.
pub fn check(datagram: &[u8]) -> Result<Summary> {
    let f = check_at(datagram, 0, 0)?;
    Ok(f.header_summary())
}

/// Walks the extension headers (RFC 8200 §4) from `nh`, handing each one's Next Header value,
/// length and body (after its two first octets) to `each`; returns the upper-layer protocol and
/// whether the walk stopped at a non-first fragment (offset ≠ 0), which does not start with the
/// upper-layer header.
fn extension_headers<'a>(
    p: &mut Reader<'a>,
    mut nh: u8,
    mut each: impl FnMut(u8, usize, &'a [u8]),
) -> Result<(u8, bool)> {
    while matches!(
        nh,
        proto::HOP_BY_HOP
            | proto::ROUTING
            | proto::DEST_OPTIONS
            | proto::MOBILITY
            | proto::FRAGMENT
    ) {
        let next = p.u8("extension header Next Header")?;
        let len_byte = p.u8("extension header Length")?;
        let len = if nh == proto::FRAGMENT {
            8
        } else {
            (usize::from(len_byte) + 1) * 8
        };
        let body = p.take(len - 2, "extension header")?;
        let later_fragment =
            nh == proto::FRAGMENT && u16::from_be_bytes([body[0], body[1]]) >> 3 != 0;
        each(nh, len, body);
        nh = next;
        if later_fragment {
            return Ok((nh, true));
        }
    }
    Ok((nh, false))
}

/// [`summary_at`]'s walk over the extension headers and the upper-layer header, reads only;
/// the fixed header read.
fn check_at(d: &[u8], base: usize, depth: u8) -> Result<Fixed> {
    let mut r = Reader::new(d, base, Layer::Ipv6);
    let f = Fixed::read(&mut r)?;
    let plen = usize::from(f.payload_length);
    let mut p = r.sub(plen.min(r.remaining()), "payload")?;
    let (nh, later_fragment) = extension_headers(&mut p, f.next_header, |_, _, _| {})?;
    if later_fragment {
        return Ok(f);
    }
    let upper_bytes = p.rest();
    match nh {
        proto::UDP => {
            p.u16_be("UDP source port")?;
            p.u16_be("UDP destination port")?;
            p.u16_be("UDP length")?;
            p.u16_be("UDP checksum")?;
        }
        proto::ICMPV6 => {
            p.u8("ICMPv6 type")?;
            p.u8("ICMPv6 code")?;
            p.u16_be("ICMPv6 checksum")?;
        }
        proto::IPV6 if depth < MAX_NESTING => {
            check_at(upper_bytes, p.offset(), depth + 1)?;
        }
        _ => {}
    }
    Ok(f)
}

/// The fixed 40-byte header (RFC 8200 §3), read with a reader positioned at its first byte.
struct Fixed {
    traffic_class: u8,
    flow_label: u32,
    payload_length: u16,
    next_header: u8,
    hop_limit: u8,
    // Integers rather than octet arrays: the optimiser keeps them whole (an array got split
    // into odd pieces and read back wider, stalling store forwarding).
    src: u128,
    dst: u128,
}

impl Fixed {
    /// The fixed header alone as a [`Summary`]: no extension headers, the upper layer named
    /// by its Next Header only.
    fn header_summary(&self) -> Summary {
        Summary {
            src: Ipv6Addr::from(self.src),
            dst: Ipv6Addr::from(self.dst),
            payload_length: self.payload_length,
            next_header: self.next_header,
            hop_limit: self.hop_limit,
            traffic_class: self.traffic_class,
            flow_label: self.flow_label,
            ext_headers: Vec::new(),
            upper: Upper::Other {
                protocol: self.next_header,
            },
        }
    }

    #[inline(always)]
    fn read(r: &mut Reader<'_>) -> Result<Fixed> {
        let at = r.offset();
        let first = r.u32_be("IPv6 version/traffic class/flow label")?;
        if first >> 28 != 6 {
            return Err(r.invalid_at(
                "IPv6 version",
                at,
                format!("version {} is not 6", first >> 28),
            ));
        }
        Ok(Fixed {
            traffic_class: ((first >> 20) & 0xff) as u8,
            flow_label: first & 0x000f_ffff,
            payload_length: r.u16_be("Payload Length")?,
            next_header: r.u8("Next Header")?,
            hop_limit: r.u8("Hop Limit")?,
            src: u128::from_be_bytes(r.array("Source Address")?),
            dst: u128::from_be_bytes(r.array("Destination Address")?),
        })
    }
}

/// Only the fixed IPv6 header, with `upper` left as `Other { protocol: next header }`: what can
/// still be shown of a datagram whose extension headers or upper layer [`summary`] rejects.
pub fn header(datagram: &[u8]) -> Result<Summary> {
    let mut r = Reader::new(datagram, 0, Layer::Ipv6);
    let f = Fixed::read(&mut r)?;
    Ok(f.header_summary())
}

/// How many octets of `datagram` follow the end its fixed header's Payload Length gives (RFC 8200
/// §3, "Payload Length: length of the IPv6 payload, i.e., the rest of the packet following this
/// IPv6 header"); 0 when it ends there or earlier, when it is not an IPv6 header, or when the
/// Payload Length is 0 (a jumbogram's, RFC 2675 §2, whose length is in a Hop-by-Hop option).
pub fn trailing_octets(datagram: &[u8]) -> usize {
    match datagram {
        [v, _, _, _, hi, lo, ..] if v >> 4 == 6 && datagram.len() >= HEADER_LEN => {
            let ends_at = HEADER_LEN + usize::from(u16::from_be_bytes([*hi, *lo]));
            if ends_at == HEADER_LEN {
                0
            } else {
                datagram.len().saturating_sub(ends_at)
            }
        }
        _ => 0,
    }
}

fn summary_at(
    d: &[u8],
    base: usize,
    depth: u8,
    spare: &mut Option<Box<crate::nd::NdMessage>>,
) -> Result<Summary> {
    let mut r = Reader::new(d, base, Layer::Ipv6);
    let Fixed {
        traffic_class,
        flow_label,
        payload_length,
        next_header,
        hop_limit,
        src,
        dst,
    } = Fixed::read(&mut r)?;
    let plen = usize::from(payload_length);
    let complete = r.remaining() >= plen;
    let mut p = r.sub(plen.min(r.remaining()), "payload")?;

    let mut ext_headers = Vec::new();
    let mut routing_pending = false;
    let (nh, later_fragment) = extension_headers(&mut p, next_header, |nh, len, body| {
        if nh == proto::ROUTING && body.get(1).is_some_and(|&left| left != 0) {
            routing_pending = true;
        }
        ext_headers.push((nh, len));
    })?;
    let upper_bytes = p.rest();
    let verifiable = complete && !routing_pending;
    // A later fragment does not start with the upper-layer header.
    let upper = if later_fragment {
        Upper::Other { protocol: nh }
    } else {
        match nh {
            proto::UDP => {
                let src_port = p.u16_be("UDP source port")?;
                let dst_port = p.u16_be("UDP destination port")?;
                let length = p.u16_be("UDP length")?;
                let checksum = p.u16_be("UDP checksum")?;
                let ulen = usize::from(length);
                let checksum_ok = if !verifiable {
                    None
                } else if checksum == 0 || ulen < 8 || ulen > upper_bytes.len() {
                    Some(false)
                } else {
                    Some(
                        pseudo_sum(
                            &src.to_be_bytes(),
                            &dst.to_be_bytes(),
                            proto::UDP,
                            &upper_bytes[..ulen],
                        ) == 0xffff,
                    )
                };
                Upper::Udp {
                    src_port,
                    dst_port,
                    length,
                    checksum,
                    checksum_ok,
                }
            }
            proto::ICMPV6 => {
                let type_ = p.u8("ICMPv6 type")?;
                let code = p.u8("ICMPv6 code")?;
                let checksum = p.u16_be("ICMPv6 checksum")?;
                let checksum_ok = verifiable.then(|| {
                    pseudo_sum(
                        &src.to_be_bytes(),
                        &dst.to_be_bytes(),
                        proto::ICMPV6,
                        upper_bytes,
                    ) == 0xffff
                });
                let (nd, nd_error) =
                    crate::nd::parse_boxed(type_, code, p.rest(), p.offset(), spare);
                Upper::Icmpv6 {
                    type_,
                    code,
                    name: icmpv6_name(type_),
                    checksum,
                    checksum_ok,
                    nd,
                    nd_error,
                }
            }
            proto::IPV6 if depth < MAX_NESTING => Upper::Ipv6(Box::new(summary_at(
                upper_bytes,
                p.offset(),
                depth + 1,
                spare,
            )?)),
            proto::NO_NEXT_HEADER => Upper::None,
            protocol => Upper::Other { protocol },
        }
    };
    Ok(Summary {
        src: Ipv6Addr::from(src),
        dst: Ipv6Addr::from(dst),
        payload_length,
        next_header,
        hop_limit,
        traffic_class,
        flow_label,
        ext_headers,
        upper,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn trailing_octets_are_those_past_the_payload_length() {
        let mut d = vec![0u8; 46];
        d[0] = 0x60;
        d[5] = 6; // Payload Length 6: the datagram is exactly 46 octets
        assert_eq!(trailing_octets(&d), 0);
        d.extend_from_slice(&[0xaa; 63]);
        assert_eq!(trailing_octets(&d), 63);
        // Shorter than the Payload Length (a first fragment): nothing trails.
        assert_eq!(trailing_octets(&d[..45]), 0);
        // Payload Length 0 (a jumbogram's, RFC 2675): its length is elsewhere.
        d[5] = 0;
        assert_eq!(trailing_octets(&d), 0);
        // Not IPv6, or shorter than a header.
        d[5] = 6;
        d[0] = 0x45;
        assert_eq!(trailing_octets(&d), 0);
        d[0] = 0x60;
        assert_eq!(trailing_octets(&d[..39]), 0);
    }

    /// fe80::1 -> fe80::2, UDP 1234 -> 5678, payload "hi", checksum to be filled.
    fn udp_datagram() -> Vec<u8> {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst: Ipv6Addr = "fe80::2".parse().unwrap();
        let mut d = Vec::new();
        write_header(&mut d, 0, 0, 10, proto::UDP, 64, &src, &dst);
        d.extend_from_slice(&[0x04, 0xd2, 0x16, 0x2e, 0x00, 0x0a, 0x00, 0x00, b'h', b'i']);
        d
    }

    /// `check` fails as `summary` does — the same error, field and offset — on every prefix of
    /// datagrams with extension headers, a later fragment, ICMPv6 and IPv6-in-IPv6, and with
    /// each Payload Length; on success it gives `header`.
    #[test]
    fn check_fails_as_summary_does() {
        let src: Ipv6Addr = "fe80::1".parse().unwrap();
        let dst: Ipv6Addr = "fe80::2".parse().unwrap();
        let udp = [0x04, 0xd2, 0x16, 0x2e, 0x00, 0x0a, 0x00, 0x00, b'h', b'i'];
        let icmp = [0x80, 0, 0, 0, 0, 1, 0, 1];
        let hbh = [proto::UDP, 0, 1, 4, 0, 0, 0, 0];
        let frag_later = [proto::UDP, 0, 0x00, 0x10, 0, 0, 0, 1];
        let mut bodies: Vec<(u8, Vec<u8>)> = vec![
            (proto::UDP, udp.to_vec()),
            (proto::ICMPV6, icmp.to_vec()),
            (proto::HOP_BY_HOP, [&hbh[..], &udp].concat()),
            (proto::FRAGMENT, [&frag_later[..], &udp].concat()),
            (proto::NO_NEXT_HEADER, vec![]),
            (proto::ROUTING, vec![proto::ICMPV6, 0, 0, 1, 0, 0, 0, 0]),
        ];
        let mut inner = Vec::new();
        write_header(
            &mut inner,
            0,
            0,
            udp.len() as u16,
            proto::UDP,
            64,
            &src,
            &dst,
        );
        inner.extend_from_slice(&udp);
        bodies.push((proto::IPV6, inner));
        let mut cases = 0;
        for (next, body) in bodies {
            for plen in [body.len(), body.len() + 3, body.len().saturating_sub(3), 0] {
                let mut d = Vec::new();
                write_header(&mut d, 0, 0, plen as u16, next, 64, &src, &dst);
                d.extend_from_slice(&body);
                for l in 0..=d.len() {
                    let p = &d[..l];
                    match (check(p), summary(p)) {
                        (Ok(c), Ok(_)) => assert_eq!(c, header(p).unwrap()),
                        (Err(a), Err(b)) => assert_eq!(a, b, "next {next} plen {plen} len {l}"),
                        (a, b) => panic!("next {next} plen {plen} len {l}: {a:?} / {b:?}"),
                    }
                    cases += 1;
                }
            }
        }
        let mut v4 = vec![0x45u8; 40];
        v4[4] = 0;
        assert_eq!(check(&v4).err(), summary(&v4).err());
        assert!(check(&v4).is_err());
        assert!(cases > 500, "{cases}");
    }

    #[test]
    fn fill_then_verify_udp_checksum() {
        let mut d = udp_datagram();
        fill_checksums(
            &mut d,
            &[ChecksumFix {
                ipv6_at: 0,
                udp_at: 40,
            }],
        );
        let c = u16::from_be_bytes([d[46], d[47]]);
        assert_ne!(c, 0);
        // Independent computation, written out: pseudo-header words + UDP words.
        let mut acc: u32 = 0xfe80 + 1 + 0xfe80 + 2 + 10 + 17;
        acc += 0x04d2 + 0x162e + 0x000a + 0x6869;
        while acc > 0xffff {
            acc = (acc & 0xffff) + (acc >> 16);
        }
        assert_eq!(c, !(acc as u16));
        let s = summary(&d).unwrap();
        assert_eq!(
            s.upper,
            Upper::Udp {
                src_port: 1234,
                dst_port: 5678,
                length: 10,
                checksum: c,
                checksum_ok: Some(true)
            }
        );
        d[49] ^= 1;
        match summary(&d).unwrap().upper {
            Upper::Udp { checksum_ok, .. } => assert_eq!(checksum_ok, Some(false)),
            u => panic!("{u:?}"),
        }
    }

    /// The 8-octets-at-a-time sum folds to the RFC 1071 word-by-word sum, for every length
    /// (odd ones included) and for values that carry.
    #[test]
    fn sum_words_matches_word_by_word() {
        fn naive(data: &[u8]) -> u64 {
            let mut acc = 0u64;
            for c in data.chunks(2) {
                acc += u64::from(c[0]) << 8 | u64::from(c.get(1).copied().unwrap_or(0));
            }
            acc
        }
        let mut x = 0x1234_5678u32;
        let mut data = Vec::new();
        for _ in 0..300 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            data.push((x >> 24) as u8);
        }
        for fill in [None, Some(0xffu8), Some(0u8)] {
            let d: Vec<u8> = match fill {
                Some(b) => vec![b; data.len()],
                None => data.clone(),
            };
            for len in 0..d.len() {
                for start in 0..3.min(len + 1) {
                    let s = &d[start..len];
                    assert_eq!(fold(sum_words(7, s)), fold(7 + naive(s)), "{start}..{len}");
                }
            }
        }
    }

    #[test]
    fn fill_skips_bad_offsets() {
        let mut d = udp_datagram();
        let before = d.clone();
        fill_checksums(
            &mut d,
            &[
                ChecksumFix {
                    ipv6_at: 100,
                    udp_at: 40,
                },
                ChecksumFix {
                    ipv6_at: 0,
                    udp_at: 45,
                },
                ChecksumFix {
                    ipv6_at: usize::MAX,
                    udp_at: usize::MAX,
                },
            ],
        );
        assert_eq!(d, before);
    }

    #[test]
    fn summary_walks_extension_headers() {
        let src: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let dst: Ipv6Addr = "2001:db8::2".parse().unwrap();
        let mut d = Vec::new();
        write_header(
            &mut d,
            0xb8,
            0x12345,
            8 + 8 + 8,
            proto::HOP_BY_HOP,
            255,
            &src,
            &dst,
        );
        d.extend_from_slice(&[proto::DEST_OPTIONS, 0, 1, 4, 0, 0, 0, 0]); // HbH: PadN(4)
        d.extend_from_slice(&[proto::ICMPV6, 0, 1, 4, 0, 0, 0, 0]); // DestOpts: PadN(4)
        let mut icmp = [128u8, 0, 0, 0, 0x12, 0x34, 0, 1];
        let c = upper_layer_checksum(&src, &dst, proto::ICMPV6, &icmp);
        icmp[2..4].copy_from_slice(&c.to_be_bytes());
        d.extend_from_slice(&icmp);
        let s = summary(&d).unwrap();
        assert_eq!(s.traffic_class, 0xb8);
        assert_eq!(s.flow_label, 0x12345);
        assert_eq!(s.ext_headers, vec![(0, 8), (60, 8)]);
        assert_eq!(
            s.upper,
            Upper::Icmpv6 {
                type_: 128,
                code: 0,
                name: "echo request",
                checksum: c,
                checksum_ok: Some(true),
                nd: None,
                nd_error: None,
            }
        );
        // Truncated inside the extension headers: an error, no panic.
        for n in 0..d.len() {
            let _ = summary(&d[..n]);
        }
        assert!(summary(&d[..45]).is_err());
        // Partial datagram: checksum unknown.
        let mut short = d.clone();
        short.truncate(d.len() - 2);
        match summary(&short).unwrap().upper {
            Upper::Icmpv6 { checksum_ok, .. } => assert_eq!(checksum_ok, None),
            u => panic!("{u:?}"),
        }
    }

    #[test]
    fn summary_rejects_version_4() {
        let mut d = udp_datagram();
        d[0] = 0x45;
        let e = summary(&d).unwrap_err();
        assert_eq!(e.field(), "IPv6 version");
        assert_eq!(e.offset(), 0);
    }

    #[test]
    fn icmp_names() {
        assert_eq!(icmpv6_name(155), "RPL control message");
        assert_eq!(icmpv6_name(157), "duplicate address request");
        assert_eq!(icmpv6_name(158), "duplicate address confirmation");
        assert_eq!(icmpv6_name(133), "router solicitation");
    }
}
