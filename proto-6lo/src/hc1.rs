//! LOWPAN_HC1 and HC_UDP decompression (RFC 4944 §10.1, §10.2; deprecated by RFC 6282 but still
//! seen in old captures). Decode only.
//!
//! ```text
//!  0                   1                   2
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//! | HC1 Dispatch  |SP SI DP DI TF NH  H|  HC_UDP (H=1) | non-compressed fields …
//! |  0 1 0 0 0 0 1 0                   |S D L  rsv     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//! ```
//!
//! HC1 encoding: SP/DP source/destination prefix (0 in-line 64 bits, 1 link-local fe80::/64);
//! SI/DI interface identifier (0 in-line 64 bits, 1 derived from the link-layer address); TF (0
//! Traffic Class 8 bits + Flow Label 20 bits in-line, 1 both zero); NH (00 in-line, 01 UDP, 10
//! ICMP, 11 TCP); H: an HC2 encoding octet follows (defined for UDP only).
//!
//! The non-compressed fields follow in this order, NOT octet-aligned: Hop Limit (8, always),
//! source prefix, source IID, destination prefix, destination IID, Traffic Class + Flow Label
//! (28 bits), Next Header (8); then with HC_UDP: source port (16, or 4 bits + 0xF0B0 = ports
//! 61616–61631), destination port (same), Length (16 unless L=1), Checksum (16, always). The
//! payload starts at the next octet boundary.

use std::net::Ipv6Addr;

use crate::addr::LinkAddr;
use crate::error::{Error, Layer, Result};
use crate::ipv6::{self, proto, ChecksumFix};

/// The LOWPAN_HC1 dispatch octet.
pub const DISPATCH: u8 = 0x42;

/// Base of the 4-bit compressed UDP ports (RFC 4944 §10.2).
pub const PORT_BASE: u16 = 0xf0b0;

/// The LOWPAN_HC1 header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hc1Repr {
    /// The raw HC1 encoding octet.
    pub encoding: u8,
    /// Source prefix compressed (link-local fe80::/64).
    pub src_prefix_compressed: bool,
    /// Source IID derived from the link-layer source address.
    pub src_iid_compressed: bool,
    pub dst_prefix_compressed: bool,
    pub dst_iid_compressed: bool,
    /// Traffic Class and Flow Label zero and elided.
    pub tc_fl_compressed: bool,
    /// Next Header encoding: 0 in-line, 1 UDP, 2 ICMP, 3 TCP.
    pub next_header_mode: u8,
    /// An HC2 encoding octet follows.
    pub hc2: bool,
    pub traffic_class: u8,
    pub flow_label: u32,
    pub next_header: u8,
    pub hop_limit: u8,
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
}

/// The HC_UDP header (RFC 4944 §10.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hc2UdpRepr {
    /// The raw HC_UDP encoding octet.
    pub encoding: u8,
    pub src_port_compressed: bool,
    pub dst_port_compressed: bool,
    pub length_compressed: bool,
    /// The reserved bits 3–7 (should be zero).
    pub reserved: u8,
    pub src_port: u16,
    pub dst_port: u16,
    /// The UDP Length: in-line, or derived from the datagram.
    pub length: u16,
    pub checksum: u16,
}

/// The result of decompressing a LOWPAN_HC1 (+ HC_UDP) header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decompressed {
    pub hc1: Hc1Repr,
    pub hc2: Option<Hc2UdpRepr>,
    /// The uncompressed IPv6 header (and UDP header with HC_UDP), ready to be followed by the rest
    /// of the payload (`buf[consumed..]`).
    #[serde(skip)]
    pub headers: Vec<u8>,
    /// Compressed octets consumed (the partial last octet of unaligned fields included).
    pub consumed: usize,
    /// Always empty: HC1 never elides the UDP checksum. Kept for symmetry with IPHC.
    pub checksum_fixes: Vec<ChecksumFix>,
}

/// Reads bit fields MSB first; errors name the octet where the field starts.
struct Bits<'a> {
    buf: &'a [u8],
    bit: usize,
    base: usize,
}

impl Bits<'_> {
    fn get(&mut self, n: usize, field: &'static str) -> Result<u32> {
        let avail_bits = self.buf.len() * 8 - self.bit.min(self.buf.len() * 8);
        if n > avail_bits {
            let byte = self.bit / 8;
            return Err(Error::truncated(
                Layer::Hc1,
                field,
                self.base + byte,
                (self.bit % 8 + n).div_ceil(8),
                self.buf.len().saturating_sub(byte),
            ));
        }
        let mut v: u32 = 0;
        for _ in 0..n {
            let byte = self.buf.get(self.bit / 8).copied().unwrap_or(0);
            let b = (byte >> (7 - self.bit % 8)) & 1;
            v = (v << 1) | u32::from(b);
            self.bit += 1;
        }
        Ok(v)
    }

    fn octets8(&mut self, field: &'static str) -> Result<[u8; 8]> {
        let mut o = [0u8; 8];
        // Check the whole field first so a truncation names its start.
        if self.buf.len() * 8 < self.bit + 64 {
            self.get(64, field)?;
        }
        for b in &mut o {
            *b = self.get(8, field)? as u8;
        }
        Ok(o)
    }

    fn consumed(&self) -> usize {
        self.bit.div_ceil(8)
    }
}

fn addr(
    bits: &mut Bits<'_>,
    prefix_compressed: bool,
    iid_compressed: bool,
    link: LinkAddr,
    side: &'static str,
    enc_at: usize,
) -> Result<Ipv6Addr> {
    let (pfx_field, iid_field) = if side == "source" {
        ("source prefix", "source interface identifier")
    } else {
        ("destination prefix", "destination interface identifier")
    };
    let prefix = if prefix_compressed {
        [0xfe, 0x80, 0, 0, 0, 0, 0, 0]
    } else {
        bits.octets8(pfx_field)?
    };
    let iid = if iid_compressed {
        link.iid().ok_or_else(|| {
            Error::invalid(
                Layer::Hc1,
                iid_field,
                enc_at,
                format!("the {side} IID is elided but the link-layer {side} address it derives from is absent"),
            )
        })?
    } else {
        bits.octets8(iid_field)?
    };
    let mut a = [0u8; 16];
    a[..8].copy_from_slice(&prefix);
    a[8..].copy_from_slice(&iid);
    Ok(Ipv6Addr::from(a))
}

/// Decompresses the LOWPAN_HC1 header at `buf[0]` (the 0x42 dispatch octet) and its HC_UDP
/// header if any. Arguments as for [`crate::iphc::decompress`].
pub fn decompress(
    buf: &[u8],
    base: usize,
    link_src: LinkAddr,
    link_dst: LinkAddr,
    datagram_size: Option<u16>,
) -> Result<Decompressed> {
    let mut bits = Bits { buf, bit: 0, base };
    let d = bits.get(8, "HC1 dispatch")? as u8;
    if d != DISPATCH {
        return Err(Error::invalid(
            Layer::Hc1,
            "HC1 dispatch",
            base,
            format!("0x{d:02x} is not LOWPAN_HC1 (0x42)"),
        ));
    }
    let enc_at = base + 1;
    let encoding = bits.get(8, "HC1 encoding")? as u8;
    let src_prefix_compressed = encoding & 0x80 != 0;
    let src_iid_compressed = encoding & 0x40 != 0;
    let dst_prefix_compressed = encoding & 0x20 != 0;
    let dst_iid_compressed = encoding & 0x10 != 0;
    let tc_fl_compressed = encoding & 0x08 != 0;
    let next_header_mode = (encoding >> 1) & 0x03;
    let hc2 = encoding & 0x01 != 0;
    if hc2 && next_header_mode != 1 {
        return Err(Error::invalid(
            Layer::Hc1,
            "HC2",
            enc_at,
            format!(
                "HC2 encoding follows but the next header is {}: only HC_UDP is defined (RFC 4944 §10.2)",
                ["in-line", "UDP", "ICMP", "TCP"][usize::from(next_header_mode)]
            ),
        ));
    }
    let hc2_enc = if hc2 {
        Some(bits.get(8, "HC_UDP encoding")? as u8)
    } else {
        None
    };

    let hop_limit = bits.get(8, "Hop Limit")? as u8;
    let src = addr(
        &mut bits,
        src_prefix_compressed,
        src_iid_compressed,
        link_src,
        "source",
        enc_at,
    )?;
    let dst = addr(
        &mut bits,
        dst_prefix_compressed,
        dst_iid_compressed,
        link_dst,
        "destination",
        enc_at,
    )?;
    let (traffic_class, flow_label) = if tc_fl_compressed {
        (0, 0)
    } else {
        if bits.buf.len() * 8 < bits.bit + 28 {
            bits.get(28, "traffic class and flow label")?;
        }
        (
            bits.get(8, "traffic class")? as u8,
            bits.get(20, "flow label")?,
        )
    };
    let next_header = match next_header_mode {
        0 => bits.get(8, "Next Header")? as u8,
        1 => proto::UDP,
        2 => proto::ICMPV6,
        _ => 6, // TCP
    };

    let udp = match hc2_enc {
        None => None,
        Some(e) => {
            let src_port_compressed = e & 0x80 != 0;
            let dst_port_compressed = e & 0x40 != 0;
            let length_compressed = e & 0x20 != 0;
            let src_port = if src_port_compressed {
                PORT_BASE + bits.get(4, "UDP source port")? as u16
            } else {
                bits.get(16, "UDP source port")? as u16
            };
            let dst_port = if dst_port_compressed {
                PORT_BASE + bits.get(4, "UDP destination port")? as u16
            } else {
                bits.get(16, "UDP destination port")? as u16
            };
            let length = if length_compressed {
                None
            } else {
                Some(bits.get(16, "UDP length")? as u16)
            };
            let checksum = bits.get(16, "UDP checksum")? as u16;
            Some((
                e,
                src_port_compressed,
                dst_port_compressed,
                length_compressed,
                src_port,
                dst_port,
                length,
                checksum,
            ))
        }
    };

    let consumed = bits.consumed();
    let hdr_len = ipv6::HEADER_LEN + if udp.is_some() { 8 } else { 0 };
    let total = match datagram_size {
        Some(n) => {
            let n = usize::from(n);
            if n < hdr_len {
                return Err(Error::invalid(
                    Layer::Hc1,
                    "datagram size",
                    base,
                    format!("the FRAG1 datagram size {n} is smaller than the {hdr_len} octets of decompressed headers"),
                ));
            }
            n
        }
        None => hdr_len + buf.len().saturating_sub(consumed),
    };
    let payload_length = u16::try_from(total - ipv6::HEADER_LEN).map_err(|_| {
        Error::invalid(
            Layer::Hc1,
            "payload length",
            base,
            format!("the IPv6 payload length derived from a {total}-octet datagram does not fit in 16 bits"),
        )
    })?;
    let mut headers = Vec::with_capacity(hdr_len);
    ipv6::write_header(
        &mut headers,
        traffic_class,
        flow_label,
        payload_length,
        next_header,
        hop_limit,
        &src,
        &dst,
    );
    let hc2 = udp.map(
        |(encoding, spc, dpc, lc, src_port, dst_port, length, checksum)| {
            let length = length.unwrap_or(payload_length);
            headers.extend_from_slice(&src_port.to_be_bytes());
            headers.extend_from_slice(&dst_port.to_be_bytes());
            headers.extend_from_slice(&length.to_be_bytes());
            headers.extend_from_slice(&checksum.to_be_bytes());
            Hc2UdpRepr {
                encoding,
                src_port_compressed: spc,
                dst_port_compressed: dpc,
                length_compressed: lc,
                reserved: encoding & 0x1f,
                src_port,
                dst_port,
                length,
                checksum,
            }
        },
    );
    let hc1 = Hc1Repr {
        encoding,
        src_prefix_compressed,
        src_iid_compressed,
        dst_prefix_compressed,
        dst_iid_compressed,
        tc_fl_compressed,
        next_header_mode,
        hc2: hc2_enc.is_some(),
        traffic_class,
        flow_label,
        next_header,
        hop_limit,
        src,
        dst,
    };
    Ok(Decompressed {
        hc1,
        hc2,
        headers,
        consumed,
        checksum_fixes: Vec::new(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn fully_compressed_udp_4bit_ports() {
        let buf = [
            0x42, // HC1 dispatch
            0xfb, // SP=1 SI=1 DP=1 DI=1 TF=1 NH=01 (UDP) H=1
            0xe0, // HC_UDP: S=1 D=1 L=1
            0x40, // Hop Limit 64
            0x12, // src port nibble 1, dst port nibble 2
            0xbe, 0xef, // checksum
            b'a', b'b', // payload
        ];
        let d = decompress(
            &buf,
            3,
            LinkAddr::Short(0x0001),
            LinkAddr::Short(0x0002),
            None,
        )
        .unwrap();
        assert_eq!(d.consumed, 7);
        assert_eq!(d.hc1.src, "fe80::ff:fe00:1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(d.hc1.dst, "fe80::ff:fe00:2".parse::<Ipv6Addr>().unwrap());
        let u = d.hc2.unwrap();
        assert_eq!(
            (u.src_port, u.dst_port, u.length, u.checksum),
            (61617, 61618, 10, 0xbeef)
        );
        assert_eq!(&d.headers[..8], &[0x60, 0, 0, 0, 0, 10, 17, 64]);
        assert_eq!(
            &d.headers[40..],
            &[0xf0, 0xb1, 0xf0, 0xb2, 0, 10, 0xbe, 0xef]
        );
    }

    #[test]
    fn hc2_for_icmp_is_invalid() {
        let e = decompress(
            &[0x42, 0xfd, 0x00, 0x40],
            0,
            LinkAddr::Short(1),
            LinkAddr::Short(2),
            None,
        )
        .unwrap_err();
        assert_eq!((e.field(), e.offset()), ("HC2", 1));
    }
}
