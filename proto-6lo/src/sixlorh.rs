//! RFC 8138 6LoWPAN Routing Headers applied: the uncompressed IPv6 headers that the page-1
//! 6LoRHs parsed by [`crate::dispatch`] stand for.
//!
//! | 6LoRH | uncompressed form |
//! |---|---|
//! | IP-in-IP (elective type 6, RFC 8138 §7) | an outer IPv6 header (RFC 2473): Hop Limit from the 6LoRH, source = the encapsulator |
//! | RPI (critical type 5, RFC 8138 §6.3) | a Hop-by-Hop header holding the RPL Option (RFC 6553, type 0x63) |
//! | SRH (critical types 0–4, RFC 8138 §6.1) | an RPL Source Routing Header (RFC 6554, Routing Type 3), uncompressed |
//!
//! Address compression (RFC 8138 §5.3 / §6.2): a compressed address of 1, 2, 4, 8 or 16 octets
//! replaces the rightmost octets of a *reference* address ("coalescence"). The reference of the
//! encapsulator is the RPL root (the DODAGID, which the wire does not carry: the caller passes
//! it, [`expand`]'s `root`); an encapsulator elided altogether (Length 1) *is* the root. The
//! reference of the first SRH hop is the encapsulator, and of every further hop the hop before
//! it (across consecutive SRH-6LoRHs too).
//!
//! The uncompressed datagram is built in RFC 8200 order whatever the 6LoRH order on the wire:
//!
//! ```text
//!  outer IPv6 (src = encapsulator, dst = next hop, Hop Limit from the 6LoRH)
//!  Hop-by-Hop: RPL Option                  (if an RPI-6LoRH)
//!  Routing Type 3: the remaining hops      (if an SRH-6LoRH lists more than one hop)
//!  inner IPv6 datagram (from the IPHC)
//! ```
//!
//! Interpretations (the RFC leaves them to the RPL context; documented so they can be checked):
//! * SRH-6LoRH hops are listed from the current next hop on (RFC 8138 §6.3: consumed hops are
//!   removed), so the outer destination is the first hop and the RH3 holds the others with
//!   Segments Left = their count; a single hop gives no RH3.
//! * Without an SRH-6LoRH, the outer destination is the inner destination when the root is the
//!   encapsulator (a packet going down), else the root (a packet going up to the root).
//! * A compressed SenderRank (K = 1) is one octet of DAGRank; it is expanded with the default
//!   MinHopRankIncrease of 256 (RFC 6550 §17), i.e. rank = octet × 256.
//! * An RPI-6LoRH without IP-in-IP becomes a Hop-by-Hop header inserted in the IPHC datagram
//!   itself. An SRH-6LoRH without IP-in-IP is refused (it would rewrite the destination of the
//!   compressed header, and the elided UDP checksums with it): not applied.

use std::net::Ipv6Addr;

use crate::dispatch::{SixLoRh, SixLoRhDetail};
use crate::error::{Error, Layer, Result};
use crate::ipv6::{self, proto, ChecksumFix};

/// RFC 6553 RPL Option type (as RFC 8138 §6.3 decompresses it; RFC 9008's 0x23 is not used).
pub const RPL_OPTION_TYPE: u8 = 0x63;

/// Default MinHopRankIncrease (RFC 6550 §17) used to expand a compressed SenderRank.
pub const DEFAULT_MIN_HOP_RANK_INCREASE: u16 = 256;

/// Most RH3 addresses: the Hdr Ext Len of 16-octet addresses is twice their count, at most 255.
pub const MAX_SOURCE_ROUTE_HOPS: usize = 127;

/// The outer header an IP-in-IP 6LoRH stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct OuterHeader {
    /// The encapsulator (RFC 8138 §7).
    pub src: Ipv6Addr,
    /// The next hop: first SRH hop, the root, or the inner destination (see the module notes).
    pub dst: Ipv6Addr,
    /// Hop limit carried by the 6LoRH.
    pub hop_limit: u8,
    /// Whether the encapsulator address was elided (Length 1: the root).
    pub encapsulator_elided: bool,
}

/// The RFC 6553 RPL Option an RPI-6LoRH stands for.
///
/// ```text
///  | Option Type=0x63 | Opt Data Len=4 |O|R|F|0|0|0|0|0| RPLInstanceID |  SenderRank (16)  |
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RplOption {
    /// O: down.
    pub down: bool,
    /// R: rank error.
    pub rank_error: bool,
    /// F: forwarding error.
    pub forwarding_error: bool,
    /// RPLInstanceID (0 when the 6LoRH elided it).
    pub instance_id: u8,
    /// SenderRank, expanded to 16 bits.
    pub sender_rank: u16,
}

/// What the 6LoRHs of one datagram stand for, and how many octets they add.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expansion {
    /// From the IP-in-IP 6LoRH.
    pub outer: Option<OuterHeader>,
    /// From the RPI-6LoRH.
    pub rpl_option: Option<RplOption>,
    /// From the SRH-6LoRHs: every hop, expanded, first = the next hop.
    pub source_route: Vec<Ipv6Addr>,
    /// Octets of uncompressed headers these add to the IPHC datagram.
    pub added_len: usize,
    /// When no SRH and the root encapsulates: take the outer destination from the inner header.
    #[serde(skip)]
    dst_from_inner: bool,
}

fn coalesce(reference: &Ipv6Addr, tail: &[u8]) -> Ipv6Addr {
    let mut o = reference.octets();
    let n = tail.len().min(16);
    o[16 - n..].copy_from_slice(&tail[tail.len() - n..]);
    Ipv6Addr::from(o)
}

fn need_root(root: Option<Ipv6Addr>, at: usize, what: &str) -> Result<Ipv6Addr> {
    root.ok_or_else(|| {
        Error::invalid(
            Layer::Dispatch,
            "6lorh",
            at,
            format!(
                "{what} is compressed against the RPL root's address (RFC 8138 §5.3), which the \
                 frame does not carry: give the DODAGID (root address) to decode it"
            ),
        )
    })
}

/// Works out what `lorhs` (each with its absolute offset in the frame, in wire order) stand
/// for. `root` is the RPL root's address (DODAGID) when known. Returns None when there is no
/// RPI, SRH or IP-in-IP 6LoRH (other types stay opaque and add nothing).
pub fn expand(lorhs: &[(usize, &SixLoRh)], root: Option<Ipv6Addr>) -> Result<Option<Expansion>> {
    let mut ipinip = None;
    let mut rpi = None;
    let mut srh: Vec<(usize, &SixLoRh)> = Vec::new();
    for &(at, h) in lorhs {
        match &h.detail {
            SixLoRhDetail::IpInIp { .. } => {
                if ipinip.is_some() {
                    return Err(Error::invalid(
                        Layer::Dispatch,
                        "6lorh",
                        at,
                        "a second IP-in-IP 6LoRH: nested encapsulation is not applied",
                    ));
                }
                ipinip = Some((at, h));
            }
            SixLoRhDetail::Rpi { .. } => {
                if rpi.is_some() {
                    return Err(Error::invalid(
                        Layer::Dispatch,
                        "6lorh",
                        at,
                        "a second RPI-6LoRH: one RPL Option per header (RFC 6553)",
                    ));
                }
                rpi = Some((at, h));
            }
            SixLoRhDetail::SourceRoute { .. } => srh.push((at, h)),
            SixLoRhDetail::Opaque => {}
        }
    }
    if ipinip.is_none() && rpi.is_none() && srh.is_empty() {
        return Ok(None);
    }
    if let (None, Some(&(at, _))) = (ipinip, srh.first()) {
        return Err(Error::invalid(
            Layer::Dispatch,
            "6lorh",
            at,
            "SRH-6LoRH without an IP-in-IP 6LoRH: not applied (the source route would replace the \
             destination of the IPHC header)",
        ));
    }

    let rpl_option = rpi.and_then(|(_, h)| match h.detail {
        SixLoRhDetail::Rpi {
            down,
            rank_error,
            forwarding_error,
            instance_id,
            sender_rank,
            rank_compressed,
            ..
        } => Some(RplOption {
            down,
            rank_error,
            forwarding_error,
            instance_id,
            sender_rank: if rank_compressed {
                sender_rank.saturating_mul(DEFAULT_MIN_HOP_RANK_INCREASE)
            } else {
                sender_rank
            },
        }),
        _ => None,
    });

    let mut outer = None;
    let mut source_route = Vec::new();
    let mut dst_from_inner = false;
    if let Some((at, h)) = ipinip {
        let SixLoRhDetail::IpInIp {
            hop_limit,
            encapsulator,
        } = &h.detail
        else {
            return Ok(None);
        };
        if !matches!(encapsulator.len(), 0 | 1 | 2 | 4 | 8 | 16) {
            return Err(Error::invalid(
                Layer::Dispatch,
                "6lorh_length",
                at,
                format!(
                    "IP-in-IP 6LoRH Length {}: the encapsulator address must be elided or 1, 2, 4, 8 or 16 \
                     octets (RFC 8138 §7)",
                    encapsulator.len() + 1
                ),
            ));
        }
        let src = match encapsulator.len() {
            16 => coalesce(&Ipv6Addr::UNSPECIFIED, encapsulator),
            0 => need_root(root, at, "an elided encapsulator address")?,
            _ => coalesce(
                &need_root(root, at, "the encapsulator address")?,
                encapsulator,
            ),
        };
        let mut reference = src;
        for &(at, h) in &srh {
            let SixLoRhDetail::SourceRoute { hops, .. } = &h.detail else {
                continue;
            };
            for hop in hops {
                if source_route.len() > MAX_SOURCE_ROUTE_HOPS {
                    return Err(Error::invalid(
                        Layer::Dispatch,
                        "6lorh",
                        at,
                        format!(
                            "more than {} source-route hops: an RFC 6554 header cannot hold them",
                            MAX_SOURCE_ROUTE_HOPS + 1
                        ),
                    ));
                }
                let a = coalesce(&reference, hop);
                source_route.push(a);
                reference = a;
            }
        }
        let src_is_root = encapsulator.is_empty() || Some(src) == root;
        let dst = match source_route.first() {
            Some(&first) => first,
            None if src_is_root => {
                dst_from_inner = true;
                Ipv6Addr::UNSPECIFIED
            }
            None => need_root(
                root,
                at,
                "the outer destination (the root, for a packet going up)",
            )?,
        };
        outer = Some(OuterHeader {
            src,
            dst,
            hop_limit: *hop_limit,
            encapsulator_elided: encapsulator.is_empty(),
        });
    }
    let rh_len = match source_route.len() {
        0 | 1 => 0,
        n => 8 + 16 * (n - 1),
    };
    let added_len = outer.map_or(0, |_| ipv6::HEADER_LEN) + rpl_option.map_or(0, |_| 8) + rh_len;
    Ok(Some(Expansion {
        outer,
        rpl_option,
        source_route,
        added_len,
        dst_from_inner,
    }))
}

impl Expansion {
    /// Builds the uncompressed datagram from `inner`, the IPHC-decompressed datagram (or its
    /// first part), whose full length is `inner_total` octets. `fixes` (elided UDP checksums of
    /// `inner`) are moved to their offsets in the result.
    pub fn apply(
        &mut self,
        inner: &[u8],
        inner_total: usize,
        fixes: &mut [ChecksumFix],
    ) -> Result<Vec<u8>> {
        let bad = |reason: String| Error::invalid(Layer::Ipv6, "Payload Length", 4, reason);
        let mut out = Vec::with_capacity(self.added_len + inner.len());
        let hbh = |next: u8, o: &RplOption| {
            let flags = u8::from(o.down) << 7
                | u8::from(o.rank_error) << 6
                | u8::from(o.forwarding_error) << 5;
            let [rh, rl] = o.sender_rank.to_be_bytes();
            // Next Header, Hdr Ext Len 0 (8 octets), RPL Option: type, length 4, flags,
            // RPLInstanceID, SenderRank.
            [next, 0, RPL_OPTION_TYPE, 4, flags, o.instance_id, rh, rl]
        };
        match self.outer.as_mut() {
            Some(outer) => {
                if self.dst_from_inner {
                    let d: [u8; 16] = inner
                        .get(24..40)
                        .and_then(|s| s.try_into().ok())
                        .ok_or_else(|| bad("the inner datagram has no IPv6 header".into()))?;
                    outer.dst = Ipv6Addr::from(d);
                }
                let rest = self.added_len - ipv6::HEADER_LEN;
                let plen = u16::try_from(rest + inner_total).map_err(|_| {
                    bad(format!(
                        "outer payload of {} octets does not fit a 16-bit Payload Length",
                        rest + inner_total
                    ))
                })?;
                let n_rh = self.source_route.len().saturating_sub(1);
                let after_hbh = if n_rh > 0 {
                    proto::ROUTING
                } else {
                    proto::IPV6
                };
                let first = if self.rpl_option.is_some() {
                    proto::HOP_BY_HOP
                } else {
                    after_hbh
                };
                ipv6::write_header(
                    &mut out,
                    0,
                    0,
                    plen,
                    first,
                    outer.hop_limit,
                    &outer.src,
                    &outer.dst,
                );
                if let Some(o) = &self.rpl_option {
                    out.extend_from_slice(&hbh(after_hbh, o));
                }
                if n_rh > 0 {
                    // RFC 6554: Next Header, Hdr Ext Len, Routing Type 3, Segments Left,
                    // CmprI 0 | CmprE 0 | Pad 0 | Reserved, then the addresses in full.
                    out.extend_from_slice(&[proto::IPV6, (2 * n_rh) as u8, 3, n_rh as u8]);
                    out.extend_from_slice(&[0, 0, 0, 0]);
                    for a in &self.source_route[1..] {
                        out.extend_from_slice(&a.octets());
                    }
                }
                out.extend_from_slice(inner);
                for f in fixes.iter_mut() {
                    f.ipv6_at += self.added_len;
                    f.udp_at += self.added_len;
                }
            }
            None => {
                let Some(o) = self.rpl_option else {
                    out.extend_from_slice(inner);
                    return Ok(out);
                };
                let (Some(fixed), Some(tail)) =
                    (inner.get(..ipv6::HEADER_LEN), inner.get(ipv6::HEADER_LEN..))
                else {
                    return Err(bad("the inner datagram has no IPv6 header".into()));
                };
                let plen = u16::from_be_bytes([fixed[4], fixed[5]]);
                let plen = plen.checked_add(8).ok_or_else(|| {
                    bad("Payload Length overflows with the Hop-by-Hop header".into())
                })?;
                out.extend_from_slice(fixed);
                out[4..6].copy_from_slice(&plen.to_be_bytes());
                out[6] = proto::HOP_BY_HOP;
                out.extend_from_slice(&hbh(fixed[6], &o));
                out.extend_from_slice(tail);
                for f in fixes.iter_mut() {
                    if f.ipv6_at >= ipv6::HEADER_LEN {
                        f.ipv6_at += 8;
                    }
                    if f.udp_at >= ipv6::HEADER_LEN {
                        f.udp_at += 8;
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::dispatch::{self, DispatchHeader};

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    fn lorhs(buf: &[u8]) -> Vec<(usize, SixLoRh)> {
        let c = dispatch::parse_chain(buf, 0).unwrap();
        let mut at = 0;
        let mut out = Vec::new();
        for h in c.headers {
            let len = h.len();
            if let DispatchHeader::SixLoRh(l) = h {
                out.push((at, l));
            }
            at += len;
        }
        out
    }

    fn refs(v: &[(usize, SixLoRh)]) -> Vec<(usize, &SixLoRh)> {
        v.iter().map(|(a, h)| (*a, h)).collect()
    }

    /// A minimal inner datagram: fe80::1 -> 2001:db8::77, No Next Header, 4 payload octets.
    fn inner() -> Vec<u8> {
        let mut d = Vec::new();
        ipv6::write_header(&mut d, 0, 0, 4, 59, 64, &a("fe80::1"), &a("2001:db8::77"));
        d.extend_from_slice(&[1, 2, 3, 4]);
        d
    }

    /// Root to a node down a source route (the RFC 8138 §8 non-storing-mode downward case):
    /// page 1, IP-in-IP with the root elided, SRH-6LoRH of 2-octet hops, RPI, then IPHC.
    const DOWN: [u8; 15] = [
        0xf1, // page 1
        0xa1, 0x06, // elective, Length 1, type 6 IP-in-IP: encapsulator elided (the root)
        0x3f, //   hop limit 63
        0x81, 0x01, // critical, Size 1 (2 hops), type 1: 2-octet addresses
        0x00, 0x11, //   hop 1: coalesced onto the root
        0x00, 0x22, //   hop 2: coalesced onto hop 1
        0x91, 0x05, // critical, TSE = O1 R0 F0 I0 K1, type 5 RPI
        0x02, //   RPLInstanceID 2
        0x03, //   SenderRank octet 3 (K=1): rank 768
        0x7a, // IPHC (not used here)
    ];

    #[test]
    fn root_down_with_source_route() {
        let l = lorhs(&DOWN);
        assert!(
            expand(&refs(&l), None).is_err(),
            "an elided root needs the root"
        );
        let root = a("2001:db8::1");
        let mut e = expand(&refs(&l), Some(root)).unwrap().unwrap();
        assert_eq!(
            e.outer,
            Some(OuterHeader {
                src: root,
                dst: a("2001:db8::11"),
                hop_limit: 63,
                encapsulator_elided: true
            })
        );
        assert_eq!(e.source_route, vec![a("2001:db8::11"), a("2001:db8::22")]);
        assert_eq!(
            e.rpl_option,
            Some(RplOption {
                down: true,
                rank_error: false,
                forwarding_error: false,
                instance_id: 2,
                sender_rank: 768
            })
        );
        assert_eq!(e.added_len, 40 + 8 + 24);
        let inner = inner();
        let mut fixes = vec![ChecksumFix {
            ipv6_at: 0,
            udp_at: 40,
        }];
        let d = e.apply(&inner, inner.len(), &mut fixes).unwrap();
        assert_eq!(
            fixes[0],
            ChecksumFix {
                ipv6_at: 72,
                udp_at: 112
            }
        );
        assert_eq!(d.len(), 72 + inner.len());
        // Outer header: payload length, next header HbH, hop limit 63.
        assert_eq!(&d[4..8], &[0, 32 + 44, 0, 63]);
        // HbH: next Routing, len 0, RPL option 0x63 len 4, O flag, instance 2, rank 0x0300.
        assert_eq!(&d[40..48], &[43, 0, 0x63, 4, 0x80, 2, 0x03, 0x00]);
        // RH3: next IPv6, Hdr Ext Len 2, type 3, segments left 1, then hop 2.
        assert_eq!(&d[48..56], &[41, 2, 3, 1, 0, 0, 0, 0]);
        assert_eq!(&d[56..72], &a("2001:db8::22").octets());
        let s = ipv6::summary(&d).unwrap();
        assert_eq!((s.src, s.dst, s.hop_limit), (root, a("2001:db8::11"), 63));
        assert_eq!(s.ext_headers, vec![(0, 8), (43, 24)]);
        let ipv6::Upper::Ipv6(inner_s) = s.upper else {
            panic!("{s:?}")
        };
        assert_eq!(inner_s.dst, a("2001:db8::77"));
    }

    #[test]
    fn up_to_root_and_down_without_srh() {
        // IP-in-IP with an 8-octet encapsulator (coalesced onto the root), no SRH: going up.
        let v = [0xf1, 0xa9, 0x06, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x42, 0x7a];
        let l = lorhs(&v);
        let root = a("2001:db8::1");
        let mut e = expand(&refs(&l), Some(root)).unwrap().unwrap();
        let o = e.outer.unwrap();
        assert_eq!((o.src, o.dst), (a("2001:db8::42"), root));
        let d = e.apply(&inner(), 44, &mut []).unwrap();
        assert_eq!(d[6], 41); // straight to IPv6
                              // Elided encapsulator, no SRH: the root sends down, the outer destination is the inner's.
        let l = lorhs(&[0xf1, 0xa1, 0x06, 0x40, 0x7a]);
        let mut e = expand(&refs(&l), Some(root)).unwrap().unwrap();
        e.apply(&inner(), 44, &mut []).unwrap();
        assert_eq!(e.outer.unwrap().dst, a("2001:db8::77"));
        // A 3-octet encapsulator is not a compressed form.
        let l = lorhs(&[0xf1, 0xa4, 0x06, 0x40, 1, 2, 3, 0x7a]);
        assert_eq!(
            expand(&refs(&l), Some(root)).unwrap_err().field(),
            "6lorh_length"
        );
    }

    #[test]
    fn rpi_alone_goes_into_the_iphc_datagram() {
        // page 1; RPI: O0 R1 F0 I1 K0 -> instance elided, 2-octet rank 0x0123.
        let l = lorhs(&[0xf1, 0x8a, 0x05, 0x01, 0x23, 0x7a]);
        let mut e = expand(&refs(&l), None).unwrap().unwrap();
        assert_eq!((e.outer, e.added_len), (None, 8));
        let mut fixes = vec![ChecksumFix {
            ipv6_at: 0,
            udp_at: 40,
        }];
        let d = e.apply(&inner(), 44, &mut fixes).unwrap();
        assert_eq!(
            fixes[0],
            ChecksumFix {
                ipv6_at: 0,
                udp_at: 48
            }
        );
        assert_eq!(&d[4..7], &[0, 12, 0]);
        assert_eq!(&d[40..48], &[59, 0, 0x63, 4, 0x40, 0, 0x01, 0x23]);
        let s = ipv6::summary(&d).unwrap();
        assert_eq!(
            (s.ext_headers.clone(), s.upper),
            (vec![(0, 8)], ipv6::Upper::None)
        );
    }

    #[test]
    fn refusals() {
        // SRH without IP-in-IP.
        let l = lorhs(&[
            0xf1, 0x80, 0x04, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x7a,
        ]);
        let e = expand(&refs(&l), None).unwrap_err();
        assert_eq!(e.offset(), 1);
        // Full 16-octet encapsulator and SRH: no root needed.
        let mut v = vec![0xf1, 0xb1, 0x06, 0x40];
        v.extend_from_slice(&a("2001:db8::1").octets());
        v.extend_from_slice(&[0x80, 0x00, 0x99, 0x7a]); // SRH of one 1-octet hop
        let l = lorhs(&v);
        let e = expand(&refs(&l), None).unwrap().unwrap();
        assert_eq!(e.outer.unwrap().dst, a("2001:db8::99"));
        assert_eq!(e.added_len, 40); // a single hop: no RH3
                                     // Opaque types alone: nothing to do.
        let mut v = vec![0xf1, 0xa2, 0x09, 0, 0];
        v.push(0x7a);
        assert_eq!(expand(&refs(&lorhs(&v)), None).unwrap(), None);
        // Payload too large for the outer header.
        let l = lorhs(&[0xf1, 0xa1, 0x06, 0x40, 0x7a]);
        let mut e = expand(&refs(&l), Some(a("::1"))).unwrap().unwrap();
        assert!(e.apply(&inner(), 70_000, &mut []).is_err());
        assert!(e.apply(&[0u8; 10], 10, &mut []).is_err());
    }
}
