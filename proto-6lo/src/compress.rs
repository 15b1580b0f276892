//! LOWPAN_IPHC / LOWPAN_NHC compression (RFC 6282), optionally with 6LoWPAN-GHC (RFC 7400): the
//! inverse of [`crate::iphc::decompress`], choosing the smallest legal encoding.
//!
//! ```text
//!   IPv6 datagram:  | IPv6 header | ext headers … | UDP header | payload …            |
//!                   |<------------- consumed ------------------>|
//!   compressed:     | IPHC | NHC … | NHC UDP |                     payload … (as is)  |
//!                   |<--- bytes --------------->|
//! ```
//!
//! What is chosen (RFC 6282 §3.1.1, §3.2, §4):
//!
//! * TF: 11 when traffic class and flow label are zero, 10 when only the flow label is, 01 when
//!   only the DSCP is, else 00. HLIM: 01/10/11 for 1/64/255, else in line.
//! * Addresses: every form the decompressor accepts is tried — stateless fe80::/64 (IID elided
//!   when it is the one the link address (or, inside IPv6-in-IPv6, the encapsulating header)
//!   gives, 16 bits for `0000:00ff:fe00:XXXX`, else 64 bits), context-based with each configured
//!   context (the bits the context covers come from it, even past bit 64), `::` as SAC=1 SAM=00,
//!   multicast in 8/32/48 bits, RFC 3306 unicast-prefix-based (M=1 DAC=1 DAM=00), and 128 bits
//!   in line — and the source/destination pair with the fewest octets is taken, counting the CID
//!   octet needed when a context other than 0 is used. Ties go to stateless forms, then to the
//!   longest context prefix, then to the lowest context number.
//! * NHC: UDP (ports in 4, 8 or 16 bits; checksum elided only with
//!   [`Options::elide_udp_checksum`] and only when it is correct, since the receiver recomputes
//!   it), Hop-by-Hop, Routing, Fragment, Destination Options and Mobility headers (a trailing
//!   Pad1/PadN that only reaches the 8-octet multiple is elided, RFC 6282 §4.2), IPv6-in-IPv6
//!   (EID 7) recursively. A header that cannot be compressed exactly — a UDP Length that does
//!   not match the datagram, a Fragment header whose Reserved octet is not zero, an extension
//!   header longer than 257 octets, an inner IPv6 header whose Payload Length is off — ends the
//!   chain: it is carried as is, its protocol number in line in the header before it.
//! * With [`Options::ghc`], RFC 7400 forms are used where they are smaller: UDP payload
//!   (`11010CPP`), ICMPv6 message (`11011111`) and extension headers (`10110IIN`).
//!
//! Every result is decompressed again before it is returned and compared with the input byte for
//! byte; a mismatch (a bug) is an error, never a wrong frame.

use std::net::Ipv6Addr;

use ietfwg_report::hex::Hex;
use smallvec::SmallVec;

use crate::addr::{ContextTable, LinkAddr};
use crate::error::{Error, Layer, Result};
use crate::ipv6::{self, proto};
use crate::nhc::{eid, NhcRepr};
use crate::{ghc, iphc};

/// Compression choices the wire does not dictate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Elide UDP checksums (NHC C=1, RFC 6282 §4.3.2) — only those that are correct, since the
    /// receiver recomputes them.
    pub elide_udp_checksum: bool,
    /// Use RFC 7400 GHC for UDP payloads, ICMPv6 messages and extension headers when smaller.
    pub ghc: bool,
}

/// The compressed headers of one datagram.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Compressed {
    /// LOWPAN_IPHC and LOWPAN_NHC (or GHC) headers, starting with the `011xxxxx` dispatch.
    #[serde_as(as = "Hex")]
    pub bytes: Vec<u8>,
    /// Octets of the datagram they replace (IPv6 header, compressed extension headers, UDP
    /// header, and with GHC the compressed payload); `datagram[consumed..]` follows as is.
    pub consumed: usize,
    /// The IPHC fields, as the receiver decodes them.
    pub iphc: iphc::IphcRepr,
    /// The NHC headers, as the receiver decodes them.
    pub nhc: Vec<NhcRepr>,
}

/// Compresses the headers at the start of `datagram` (a complete IPv6 datagram) for a frame sent
/// from `link_src` to `link_dst` (the addresses the receiver will derive IIDs from — the MAC
/// addresses, or the mesh originator/final destination). The payload after `consumed` is
/// carried as is.
///
/// Errors ([`Layer::Ipv6`], offsets into `datagram`): shorter than an IPv6 header, a Version
/// other than 6, or a Payload Length that is not the datagram's length less 40 (IPHC always
/// elides it, so the receiver would derive another value).
pub fn compress(
    datagram: &[u8],
    link_src: LinkAddr,
    link_dst: LinkAddr,
    ctx: &ContextTable,
    opts: &Options,
) -> Result<Compressed> {
    compress_with(
        &mut Workspace::default(),
        datagram,
        link_src,
        link_dst,
        ctx,
        opts,
    )
}

/// Buffers [`compress_with`] reuses from one datagram to the next: the verification's
/// compressed frame and its decompressed form.
#[derive(Debug, Default)]
pub struct Workspace {
    /// The compressed headers followed by the rest of the datagram.
    frame: Vec<u8>,
    /// What they decompress to; `headers` then takes the rest of the datagram too.
    slot: iphc::Decompressed,
}

/// [`compress`], with the verification's buffers taken from `ws` (and left there for the next
/// datagram): the same result, fewer allocations for a caller compressing datagram after
/// datagram ([`crate::frame::Framer`]).
pub fn compress_with(
    ws: &mut Workspace,
    datagram: &[u8],
    link_src: LinkAddr,
    link_dst: LinkAddr,
    ctx: &ContextTable,
    opts: &Options,
) -> Result<Compressed> {
    let mut out = Compressed::empty();
    compress_into(ws, &mut out, datagram, link_src, link_dst, ctx, opts)?;
    Ok(out)
}

impl Compressed {
    /// Nothing compressed yet: a slot for [`compress_into`] to write into.
    pub(crate) fn empty() -> Self {
        Compressed {
            bytes: Vec::with_capacity(64),
            consumed: 0,
            iphc: iphc::IphcRepr::default(),
            nhc: Vec::new(),
        }
    }
}

/// [`compress_with`], the result written into `out` where it lies (its `bytes` emptied first:
/// a previous result's buffer, lent to this one). On error `out` holds no result (its fields
/// are left as they fell).
pub(crate) fn compress_into(
    ws: &mut Workspace,
    out: &mut Compressed,
    datagram: &[u8],
    link_src: LinkAddr,
    link_dst: LinkAddr,
    ctx: &ContextTable,
    opts: &Options,
) -> Result<()> {
    out.bytes.clear();
    let header = fixed_header(datagram, 0)?;
    if !header.length_ok {
        return Err(Error::invalid(
            Layer::Ipv6,
            "Payload Length",
            4,
            format!(
                "Payload Length {} does not match the {} octets after the IPv6 header; IPHC always elides it, so it must",
                header.payload_length,
                datagram.len() - ipv6::HEADER_LEN
            ),
        ));
    }
    let c = Compressor {
        d: datagram,
        ctx,
        opts,
    };
    let consumed = c.header(
        &header,
        0,
        link_src.iid(),
        link_dst.iid(),
        0,
        &mut out.bytes,
    );
    verify(ws, datagram, out, consumed, link_src, link_dst, ctx)
}

/// Decompresses `out.bytes` and checks that they give back `datagram`; then fills in the rest
/// of `out` from what they decompressed to.
fn verify(
    ws: &mut Workspace,
    datagram: &[u8],
    out: &mut Compressed,
    consumed: usize,
    link_src: LinkAddr,
    link_dst: LinkAddr,
    ctx: &ContextTable,
) -> Result<()> {
    let internal = |what: String| {
        Error::invalid(
            Layer::Iphc,
            "compression",
            0,
            format!("internal error, please report: {what}"),
        )
    };
    let bytes = &out.bytes;
    let rest = datagram.get(consumed..).unwrap_or_default();
    let Workspace { frame, slot: d } = ws;
    // The compressed headers alone are decompressed, told the datagram's size as a FRAG1
    // would tell it: the lengths IPHC elides then come out as from the whole frame (the
    // headers plus `rest`), without copying `rest` behind the headers first. A datagram too
    // long for the 16-bit size is decompressed from the whole frame instead.
    let decompressed = match u16::try_from(datagram.len()) {
        Ok(size) => iphc::decompress_to(d, bytes, 0, ctx, link_src, link_dst, Some(size)),
        Err(_) => {
            frame.clear();
            frame.extend_from_slice(bytes);
            frame.extend_from_slice(rest);
            iphc::decompress_to(d, frame, 0, ctx, link_src, link_dst, None)
        }
    };
    decompressed.map_err(|e| internal(format!("the compressed headers do not decompress: {e}")))?;
    if d.consumed != bytes.len() {
        return Err(internal(format!(
            "{} compressed octets written, {} read back",
            bytes.len(),
            d.consumed
        )));
    }
    // Without a checksum to compute over the whole datagram, the rebuilt datagram (the
    // decompressed headers, then `rest`) equals `datagram` exactly when the headers equal the
    // octets they replace: `rest` is `datagram[consumed..]` itself.
    if d.checksum_fixes.is_empty() && datagram.get(..consumed) == Some(&d.headers[..]) {
        out.consumed = consumed;
        out.iphc.clone_from(&d.iphc);
        std::mem::swap(&mut out.nhc, &mut d.nhc);
        return Ok(());
    }
    // The decompressed headers, then the rest: the datagram rebuilt (in the slot's buffer).
    let rebuilt = &mut d.headers;
    rebuilt.extend_from_slice(rest);
    ipv6::fill_checksums(rebuilt, &d.checksum_fixes);
    if rebuilt[..] != *datagram {
        let at = rebuilt
            .iter()
            .zip(datagram)
            .position(|(a, b)| a != b)
            .unwrap_or(rebuilt.len().min(datagram.len()));
        return Err(internal(format!(
            "the compressed headers decompress to a different datagram (first difference at octet {at})"
        )));
    }
    out.consumed = consumed;
    out.iphc.clone_from(&d.iphc);
    // The slot's NHC list is replaced at its next decompression: swapped, not copied.
    std::mem::swap(&mut out.nhc, &mut d.nhc);
    Ok(())
}

/// The fields of a fixed IPv6 header at `at`.
struct Header {
    traffic_class: u8,
    flow_label: u32,
    payload_length: u16,
    next_header: u8,
    hop_limit: u8,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    /// Payload Length equals the octets from the end of this header to the end of the datagram.
    length_ok: bool,
}

fn fixed_header(d: &[u8], at: usize) -> Result<Header> {
    let Some(h) = d.get(at..).and_then(|h| h.get(..ipv6::HEADER_LEN)) else {
        return Err(Error::truncated(
            Layer::Ipv6,
            "IPv6 header",
            at,
            ipv6::HEADER_LEN,
            d.len().saturating_sub(at),
        ));
    };
    if h[0] >> 4 != 6 {
        return Err(Error::invalid(
            Layer::Ipv6,
            "Version",
            at,
            format!("version {} is not IPv6", h[0] >> 4),
        ));
    }
    let first = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let payload_length = u16::from_be_bytes([h[4], h[5]]);
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&h[8..24]);
    dst.copy_from_slice(&h[24..40]);
    Ok(Header {
        traffic_class: (first >> 20) as u8,
        flow_label: first & 0x000f_ffff,
        payload_length,
        next_header: h[6],
        hop_limit: h[7],
        src: Ipv6Addr::from(src),
        dst: Ipv6Addr::from(dst),
        length_ok: usize::from(payload_length) + ipv6::HEADER_LEN + at == d.len(),
    })
}

/// The planned NHC chain: held inline, as a chain rarely has more than a few headers.
type Items = SmallVec<[Item; 4]>;

/// One header of the NHC chain, planned.
enum Item {
    /// An extension header at `at` of `len` octets: RFC 6282 form with `data` (padding possibly
    /// elided), or GHC `code` when smaller.
    Ext {
        eid: u8,
        next_header: u8,
        /// Where the data (the header after Next Header and Length, padding possibly elided)
        /// starts in the datagram, and its length.
        data_at: usize,
        data_len: usize,
        ghc: Option<Vec<u8>>,
    },
    /// A UDP header; `ghc` holds the payload's bytecode when that is used.
    Udp {
        src_port: u16,
        dst_port: u16,
        checksum: Option<u16>,
        ghc: Option<Vec<u8>>,
    },
    /// The whole ICMPv6 message in GHC.
    Icmpv6 { code: Vec<u8> },
    /// An encapsulated IPv6 header (EID 7) at `at`.
    Ipv6 { at: usize },
}

/// The contexts of a [`ContextTable`] that are set, by identifier, lowest first.
type Contexts<'a> = SmallVec<[(u8, &'a crate::addr::Context); 4]>;

struct Compressor<'a> {
    d: &'a [u8],
    ctx: &'a ContextTable,
    opts: &'a Options,
}

impl Compressor<'_> {
    /// Writes the IPHC header for the (valid) IPv6 header `h` at `at` and its NHC chain; returns
    /// the datagram offset where the uncompressed remainder starts.
    fn header(
        &self,
        h: &Header,
        at: usize,
        iid_src: Option<[u8; 8]>,
        iid_dst: Option<[u8; 8]>,
        depth: u8,
        out: &mut Vec<u8>,
    ) -> usize {
        // Filled where it lies (a SmallVec returned or iterated by value is copied whole).
        let mut items = Items::new();
        let end = self.plan(h, at, depth, &mut items);

        // TF (RFC 6282 §3.1.1): ECN first, then DSCP.
        let ecn = h.traffic_class & 0x03;
        let dscp = h.traffic_class >> 2;
        let fl = h.flow_label;
        // The in-line octets in a fixed array, `tf_len` of them used.
        let (tf, tf_bytes, tf_len): (u8, [u8; 4], usize) = if fl == 0 && h.traffic_class == 0 {
            (3, [0; 4], 0)
        } else if fl == 0 {
            (2, [(ecn << 6) | dscp, 0, 0, 0], 1)
        } else if dscp == 0 {
            (
                1,
                [
                    (ecn << 6) | ((fl >> 16) as u8 & 0x0f),
                    (fl >> 8) as u8,
                    fl as u8,
                    0,
                ],
                3,
            )
        } else {
            (
                0,
                [
                    (ecn << 6) | dscp,
                    (fl >> 16) as u8 & 0x0f,
                    (fl >> 8) as u8,
                    fl as u8,
                ],
                4,
            )
        };
        let hlim = match h.hop_limit {
            1 => 1,
            64 => 2,
            255 => 3,
            _ => 0,
        };
        let nh = !items.is_empty();
        let (s, dd) = match fully_elided_pair(&h.src, &h.dst, iid_src, iid_dst) {
            Some(pair) => pair,
            None => {
                // The configured contexts, listed once for both addresses.
                let contexts: Contexts<'_> = self.ctx.iter().collect();
                best_pair(
                    &unicast_options(&h.src, iid_src, &contexts, true),
                    &if h.dst.octets()[0] == 0xff {
                        multicast_options(&h.dst, &contexts)
                    } else {
                        unicast_options(&h.dst, iid_dst, &contexts, false)
                    },
                )
            }
        };
        let cid = s.ctx_id.unwrap_or(0) != 0 || dd.ctx_id.unwrap_or(0) != 0;

        out.push(iphc::DISPATCH | (tf << 3) | (u8::from(nh) << 2) | hlim);
        out.push(
            (u8::from(cid) << 7)
                | (u8::from(s.stateful) << 6)
                | (s.mode << 4)
                | (u8::from(dd.multicast) << 3)
                | (u8::from(dd.stateful) << 2)
                | dd.mode,
        );
        if cid {
            out.push((s.ctx_id.unwrap_or(0) << 4) | dd.ctx_id.unwrap_or(0));
        }
        out.extend_from_slice(&tf_bytes[..tf_len]);
        if !nh {
            out.push(h.next_header);
        }
        if hlim == 0 {
            out.push(h.hop_limit);
        }
        s.write_inline(&h.src.octets(), out);
        dd.write_inline(&h.dst.octets(), out);

        let n = items.len();
        for (i, item) in items.iter().enumerate() {
            let more = i + 1 < n;
            match item {
                &Item::Ext {
                    eid,
                    next_header,
                    data_at,
                    data_len,
                    ref ghc,
                } => match ghc {
                    Some(code) => {
                        out.push(ghc::NHC_EXT | (eid << 1) | u8::from(more));
                        if !more {
                            out.push(next_header);
                        }
                        out.extend_from_slice(code);
                    }
                    None => {
                        out.push(0xe0 | (eid << 1) | u8::from(more));
                        if !more {
                            out.push(next_header);
                        }
                        let data = self.d.get(data_at..data_at + data_len).unwrap_or_default();
                        out.push(data.len() as u8);
                        out.extend_from_slice(data);
                    }
                },
                &Item::Udp {
                    src_port,
                    dst_port,
                    checksum,
                    ref ghc,
                } => {
                    let (p, ports, ports_len) = udp_ports(src_port, dst_port);
                    let base = if ghc.is_some() { ghc::NHC_UDP } else { 0xf0 };
                    out.push(base | (u8::from(checksum.is_none()) << 2) | p);
                    out.extend_from_slice(&ports[..ports_len]);
                    if let Some(c) = checksum {
                        out.extend_from_slice(&c.to_be_bytes());
                    }
                    if let Some(code) = ghc {
                        out.extend_from_slice(code);
                    }
                }
                Item::Icmpv6 { code } => {
                    out.push(ghc::NHC_ICMPV6);
                    out.extend_from_slice(code);
                }
                &Item::Ipv6 { at: inner_at } => {
                    out.push(0xe0 | (eid::IPV6 << 1));
                    return match fixed_header(self.d, inner_at) {
                        Ok(inner) => self.header(
                            &inner,
                            inner_at,
                            Some(low64(&h.src)),
                            Some(low64(&h.dst)),
                            depth + 1,
                            out,
                        ),
                        // plan() checked it; not reached.
                        Err(_) => end,
                    };
                }
            }
        }
        end
    }

    /// The headers after the IPv6 header at `at` that can be compressed, in order, appended to
    /// `items`; returns the offset where the uncompressed remainder starts.
    fn plan(&self, h: &Header, at: usize, depth: u8, items: &mut Items) -> usize {
        let d = self.d;
        let total = d.len();
        let mut pos = at + ipv6::HEADER_LEN;
        let mut next = h.next_header;
        loop {
            match next {
                proto::HOP_BY_HOP
                | proto::ROUTING
                | proto::FRAGMENT
                | proto::DEST_OPTIONS
                | proto::MOBILITY => {
                    let Some((item, nh, len)) = self.plan_ext(h, pos, next) else {
                        break;
                    };
                    items.push(item);
                    pos += len;
                    next = nh;
                }
                proto::UDP => {
                    let Some(udp) = d.get(pos..pos + 8) else {
                        break;
                    };
                    let udp_len = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
                    if udp_len != total - pos {
                        // The receiver derives the UDP Length from the datagram: a header whose
                        // Length says otherwise is carried as is.
                        break;
                    }
                    let src_port = u16::from_be_bytes([udp[0], udp[1]]);
                    let dst_port = u16::from_be_bytes([udp[2], udp[3]]);
                    let orig = u16::from_be_bytes([udp[6], udp[7]]);
                    let checksum = if self.opts.elide_udp_checksum
                        && udp_checksum(&h.src, &h.dst, &d[pos..]) == orig
                    {
                        None
                    } else {
                        Some(orig)
                    };
                    let payload = &d[pos + 8..];
                    let ghc = (self.opts.ghc && !payload.is_empty())
                        .then(|| ghc::compress(payload, &h.src, &h.dst, false))
                        .filter(|code| code.len() < payload.len());
                    pos = if ghc.is_some() { total } else { pos + 8 };
                    items.push(Item::Udp {
                        src_port,
                        dst_port,
                        checksum,
                        ghc,
                    });
                    break;
                }
                proto::ICMPV6 if self.opts.ghc && pos < total => {
                    let msg = &d[pos..];
                    let code = ghc::compress(msg, &h.src, &h.dst, false);
                    if code.len() < msg.len() {
                        items.push(Item::Icmpv6 { code });
                        pos = total;
                    }
                    break;
                }
                proto::IPV6 if depth < iphc::MAX_DEPTH => {
                    if fixed_header(d, pos).is_ok_and(|inner| inner.length_ok) {
                        items.push(Item::Ipv6 { at: pos });
                    }
                    break;
                }
                _ => break,
            }
        }
        pos
    }

    /// An extension header of protocol `p` at `pos`: the planned item, its Next Header and its
    /// length; None when it cannot be compressed exactly.
    fn plan_ext(&self, h: &Header, pos: usize, p: u8) -> Option<(Item, u8, usize)> {
        let d = self.d;
        let head = d.get(pos..pos + 2)?;
        let next_header = head[0];
        let e = match p {
            proto::HOP_BY_HOP => eid::HOP_BY_HOP,
            proto::ROUTING => eid::ROUTING,
            proto::FRAGMENT => eid::FRAGMENT,
            proto::DEST_OPTIONS => eid::DEST_OPTIONS,
            _ => eid::MOBILITY,
        };
        let len = if e == eid::FRAGMENT {
            8
        } else {
            8 * (usize::from(head[1]) + 1)
        };
        let hdr = d.get(pos..pos + len)?;
        if e == eid::FRAGMENT && hdr[1] != 0 {
            // The decompressor rebuilds Reserved as zero.
            return None;
        }
        let body = &hdr[2..];
        let data = if matches!(e, eid::HOP_BY_HOP | eid::DEST_OPTIONS) {
            elide_padding(body)
        } else {
            body
        };
        if data.len() > 255 {
            return None;
        }
        let ghc = (self.opts.ghc && e <= eid::DEST_OPTIONS)
            .then(|| ghc::compress(body, &h.src, &h.dst, true))
            .filter(|code| code.len() < 1 + data.len());
        Some((
            Item::Ext {
                eid: e,
                next_header,
                data_at: pos + 2,
                data_len: data.len(),
                ghc,
            },
            next_header,
            len,
        ))
    }
}

/// `body` (the options of a Hop-by-Hop or Destination Options header, after Next Header and
/// Length) without its last option when that option is a Pad1 or a zero-filled PadN that the
/// decompressor restores exactly (RFC 6282 §4.2); else `body` unchanged.
fn elide_padding(body: &[u8]) -> &[u8] {
    let mut i = 0;
    let mut last = None;
    while i < body.len() {
        let t = body[i];
        let n = if t == 0 {
            1
        } else {
            match body.get(i + 1) {
                Some(&l) => 2 + usize::from(l),
                None => return body,
            }
        };
        last = Some((i, t, n));
        i += n;
    }
    if i != body.len() {
        return body;
    }
    let Some((start, t, n)) = last else {
        return body;
    };
    let canonical = match t {
        0 => n == 1,
        1 => body[start + 2..start + n].iter().all(|&b| b == 0),
        _ => false,
    };
    // The decompressor adds (8 - (2 + len) % 8) % 8 octets: exactly n only when n < 8.
    if canonical && n < 8 && (8 - (2 + start) % 8) % 8 == n {
        &body[..start]
    } else {
        body
    }
}

/// The UDP checksum of `udp` (header and payload, its checksum field ignored) as
/// [`ipv6::fill_checksums`] computes it.
fn udp_checksum(src: &Ipv6Addr, dst: &Ipv6Addr, udp: &[u8]) -> u16 {
    let mut u = udp.to_vec();
    if let Some(c) = u.get_mut(6..8) {
        c.copy_from_slice(&[0, 0]);
    }
    match ipv6::upper_layer_checksum(src, dst, proto::UDP, &u) {
        0 => 0xffff,
        c => c,
    }
}

/// The P bits and in-line port octets (RFC 6282 §4.3.3): the first `len` octets of the array.
fn udp_ports(src: u16, dst: u16) -> (u8, [u8; 4], usize) {
    let [sh, sl] = src.to_be_bytes();
    let [dh, dl] = dst.to_be_bytes();
    if src & 0xfff0 == 0xf0b0 && dst & 0xfff0 == 0xf0b0 {
        (3, [((sl & 0x0f) << 4) | (dl & 0x0f), 0, 0, 0], 1)
    } else if dst & 0xff00 == 0xf000 {
        (1, [sh, sl, dl, 0], 3)
    } else if src & 0xff00 == 0xf000 {
        (2, [sl, dh, dl, 0], 3)
    } else {
        (0, [sh, sl, dh, dl], 4)
    }
}

fn low64(a: &Ipv6Addr) -> [u8; 8] {
    let mut i = [0u8; 8];
    i.copy_from_slice(&a.octets()[8..]);
    i
}

/// One way of carrying an address: a few octets of flags, the in-line octets left in the
/// address (they are a fixed selection of its octets for each SAC/SAM, M/DAC/DAM combination,
/// [`AddrForm::write_inline`]), so that the candidate forms of an address are built, moved and
/// compared without copying any address octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AddrForm {
    /// SAC / DAC.
    stateful: bool,
    /// SAM / DAM.
    mode: u8,
    /// M (destination only).
    multicast: bool,
    /// The context used, if any.
    ctx_id: Option<u8>,
    /// Its prefix length (for tie-breaking: longest first).
    ctx_len: u8,
    /// How many octets the form carries in line (at most 16).
    inline_len: u8,
}

/// The candidate forms of one address, inline up to 8 (every stateless form, and a context or
/// two; more contexts spill to the heap).
type Forms = SmallVec<[AddrForm; 8]>;

impl AddrForm {
    fn new(stateful: bool, mode: u8, multicast: bool, ctx: Option<(u8, u8)>) -> Self {
        // At most 16: fits the form's octet count.
        let inline_len = iphc::address_inline_len(stateful, mode, multicast) as u8;
        AddrForm {
            stateful,
            mode,
            multicast,
            ctx_id: ctx.map(|(id, _)| id),
            ctx_len: ctx.map_or(0, |(_, len)| len),
            inline_len,
        }
    }

    fn stateless(mode: u8, multicast: bool) -> Self {
        AddrForm::new(false, mode, multicast, None)
    }

    /// Appends the octets of `o` (the address) this form carries in line (RFC 6282 §3.1.1,
    /// §3.2.2): all 16, the IID, the last 16 bits, none; for a multicast address `ffXX::00XX:XXXX:
    /// XXXX`, `ffXX::00XX:XXXX`, `ff02::00XX` or, with a context (RFC 3306), flags, scope,
    /// RIID and group ID.
    fn write_inline(&self, o: &[u8; 16], out: &mut Vec<u8>) {
        match (self.multicast, self.stateful, self.mode) {
            (false, false, 0) => out.extend_from_slice(o),
            (false, _, 1) => out.extend_from_slice(&o[8..]),
            (false, _, 2) => out.extend_from_slice(&o[14..]),
            (false, _, _) => {}
            (true, false, 0) => out.extend_from_slice(o),
            (true, false, 1) => out.extend_from_slice(&[o[1], o[11], o[12], o[13], o[14], o[15]]),
            (true, false, 2) => out.extend_from_slice(&[o[1], o[13], o[14], o[15]]),
            (true, false, _) => out.push(o[15]),
            (true, true, _) => out.extend_from_slice(&[o[1], o[2], o[12], o[13], o[14], o[15]]),
        }
    }

    /// Preference among forms of equal size: stateless first, then the longest context prefix,
    /// then the lowest context number; then `position`, the order the forms were listed in.
    /// Packed into one integer that orders as the tuple (inline length, stateful, 128 − prefix
    /// length, context number, position) does: 5 + 1 + 8 + 8 + 16 bits.
    fn rank(&self, position: usize) -> u64 {
        (u64::from(self.inline_len) << 33)
            | (u64::from(self.stateful) << 32)
            | (u64::from(128 - self.ctx_len.min(128)) << 24)
            | (u64::from(self.ctx_id.unwrap_or(0)) << 16)
            | position.min(0xffff) as u64
    }

    /// Whether a CID octet is needed for this form.
    fn needs_cid(&self) -> bool {
        self.ctx_id.unwrap_or(0) != 0
    }
}

/// The address the decompressor rebuilds from a 64-bit IID and a context (RFC 6282 §3.1.1: the
/// context's bits win, even over the IID).
fn with_context(iid: [u8; 8], c: &crate::addr::Context) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[8..].copy_from_slice(&iid);
    iphc::apply_prefix(&mut a, &c.prefix.octets(), c.len);
    a
}

fn is_short_form(iid: &[u8]) -> bool {
    matches!(iid, [0, 0, 0, 0xff, 0xfe, 0, _, _])
}

/// Every SAC/SAM (or M=0 DAC/DAM) form that rebuilds `addr`.
fn unicast_options(
    addr: &Ipv6Addr,
    iid: Option<[u8; 8]>,
    ctx: &[(u8, &crate::addr::Context)],
    source: bool,
) -> Forms {
    let o = addr.octets();
    let low = low64(addr);
    let short = is_short_form(&low);
    let mut v = Forms::new();
    v.push(AddrForm::stateless(0, false));
    if source && addr.is_unspecified() {
        // `::` (SAC=1 SAM=00): no context, ranked as if its prefix were the whole address.
        let mut unspecified = AddrForm::new(true, 0, false, None);
        unspecified.ctx_len = 128;
        v.push(unspecified);
    }
    if o[..8] == [0xfe, 0x80, 0, 0, 0, 0, 0, 0] {
        v.push(AddrForm::stateless(1, false));
        if short {
            v.push(AddrForm::stateless(2, false));
        }
        if iid == Some(low) {
            v.push(AddrForm::stateless(3, false));
        }
    }
    for &(id, c) in ctx {
        let form = |mode: u8| AddrForm::new(true, mode, false, Some((id, c.len)));
        if with_context(low, c) == o {
            v.push(form(1));
            if short {
                v.push(form(2));
            }
        }
        if let Some(i) = iid {
            if with_context(i, c) == o {
                v.push(form(3));
            }
        }
    }
    v
}

/// Every M=1 DAC/DAM form that rebuilds the multicast `addr`.
fn multicast_options(addr: &Ipv6Addr, ctx: &[(u8, &crate::addr::Context)]) -> Forms {
    let o = addr.octets();
    let mut v = Forms::new();
    v.push(AddrForm::stateless(0, true));
    let zero = |r: std::ops::Range<usize>| o[r].iter().all(|&b| b == 0);
    if zero(2..11) {
        v.push(AddrForm::stateless(1, true));
    }
    if zero(2..13) {
        v.push(AddrForm::stateless(2, true));
    }
    if o[1] == 0x02 && zero(2..15) {
        v.push(AddrForm::stateless(3, true));
    }
    // RFC 3306: ffXX:XXLL:PPPP:PPPP:PPPP:PPPP:XXXX:XXXX with L and P from the context.
    for &(id, c) in ctx {
        let plen = c.len.min(64);
        let mut p = [0u8; 16];
        iphc::apply_prefix(&mut p, &c.prefix.octets(), plen);
        let mut a = [0u8; 16];
        a[0] = 0xff;
        a[1] = o[1];
        a[2] = o[2];
        a[3] = plen;
        a[4..12].copy_from_slice(&p[..8]);
        a[12..16].copy_from_slice(&o[12..16]);
        if a == o {
            v.push(AddrForm::new(true, 0, true, Some((id, c.len))));
        }
    }
    v
}

/// The pair [`best_pair`] picks from the full lists when the source is a link-local address
/// whose IID the link address gives (SAC=0 SAM=11, no octet in line) and the destination is
/// either the same (M=0 DAC=0 DAM=11) or a multicast `ff02::00XX` (M=1 DAC=0 DAM=11, one
/// octet): the commonest datagrams on a 6LoWPAN link. None otherwise.
///
/// Why it is that pair: no form carries fewer octets (no source form carries fewer than 0, no
/// multicast form fewer than 1), neither needs the CID octet, so the pair costs the least any
/// pair can; and among the forms of that length the stateless ones rank first
/// ([`AddrForm::rank`]), and each list holds one stateless form of each mode. So the lists,
/// their contexts and the pair search are skipped; a test compares it with [`best_pair`].
fn fully_elided_pair(
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
    iid_src: Option<[u8; 8]>,
    iid_dst: Option<[u8; 8]>,
) -> Option<(AddrForm, AddrForm)> {
    const LINK_LOCAL: [u8; 8] = [0xfe, 0x80, 0, 0, 0, 0, 0, 0];
    let (s, d) = (src.octets(), dst.octets());
    if s[..8] != LINK_LOCAL || iid_src != Some(low64(src)) {
        return None;
    }
    let dst_form = if d[0] == 0xff {
        // `ff02::00XX`: DAM=11 (the same test as `multicast_options`).
        if d[1] != 0x02 || d[2..15].iter().any(|&b| b != 0) {
            return None;
        }
        AddrForm::stateless(3, true)
    } else {
        if d[..8] != LINK_LOCAL || iid_dst != Some(low64(dst)) {
            return None;
        }
        AddrForm::stateless(3, false)
    };
    Some((AddrForm::stateless(3, false), dst_form))
}

/// The source/destination pair with the fewest octets, the CID octet included; among pairs of
/// equal cost the one whose source ranks first ([`AddrForm::rank`], then the order the forms
/// were listed in), then whose destination does. That is the first pair of least cost met
/// when both lists are stably sorted by rank and walked source by source.
///
/// Found in one pass over each list instead of over every pair: the cost is the two in-line
/// lengths plus one CID octet when either form uses a context other than 0, so a source that
/// needs the CID octet pairs best with the destination of least rank (whose in-line length
/// is the least: it leads the rank), and a source that does not with the destination of least
/// (in-line length + its own CID octet, rank). Among sources, (cost, rank) decides; the rank
/// includes the position, so no two sources tie.
fn best_pair(src: &Forms, dst: &Forms) -> (AddrForm, AddrForm) {
    // (rank, index) of the destination of least rank; (cost, rank, index) of the one of least
    // in-line length with its own CID octet.
    let mut any: Option<(u64, usize)> = None;
    let mut own: Option<(u8, u64, usize)> = None;
    for (j, d) in dst.iter().enumerate() {
        let r = d.rank(j);
        if any.is_none_or(|(br, _)| r < br) {
            any = Some((r, j));
        }
        let c = d.inline_len + u8::from(d.needs_cid());
        if own.is_none_or(|(bc, br, _)| (c, r) < (bc, br)) {
            own = Some((c, r, j));
        }
    }
    let mut best: Option<(u8, u64, usize, usize)> = None;
    if let (Some((_, ja)), Some((co, _, jo))) = (any, own) {
        let la = dst.get(ja).map_or(16, |d| d.inline_len);
        for (i, s) in src.iter().enumerate() {
            let (cost, j) = if s.needs_cid() {
                (s.inline_len + la + 1, ja)
            } else {
                (s.inline_len + co, jo)
            };
            let r = s.rank(i);
            if best.is_none_or(|(bc, br, _, _)| (cost, r) < (bc, br)) {
                best = Some((cost, r, i, j));
            }
        }
    }
    match best.and_then(|(_, _, i, j)| Some((*src.get(i)?, *dst.get(j)?))) {
        Some(pair) => pair,
        // Both lists start with the 128-bit in-line form; not reached.
        None => (AddrForm::stateless(0, false), AddrForm::stateless(0, false)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::addr::Context;

    const MAC_SRC: LinkAddr = LinkAddr::Extended([0x00, 0x12, 0x4b, 0x00, 0x01, 0x02, 0x03, 0x04]);
    const MAC_DST: LinkAddr = LinkAddr::Short(0xabcd);

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    /// An IPv6 datagram with `next` and `payload`.
    fn dgram(tc: u8, fl: u32, next: u8, hlim: u8, src: &str, dst: &str, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        ipv6::write_header(
            &mut v,
            tc,
            fl,
            payload.len() as u16,
            next,
            hlim,
            &a(src),
            &a(dst),
        );
        v.extend_from_slice(payload);
        v
    }

    fn udp(src: u16, dst: u16, data: &[u8], s: &str, d: &str) -> Vec<u8> {
        let mut u = Vec::new();
        u.extend_from_slice(&src.to_be_bytes());
        u.extend_from_slice(&dst.to_be_bytes());
        u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(data);
        let c = udp_checksum(&a(s), &a(d), &u);
        u[6..8].copy_from_slice(&c.to_be_bytes());
        u
    }

    fn ctx() -> ContextTable {
        let mut t = ContextTable::new();
        t.set(
            0,
            Context {
                prefix: a("2001:db8:1::"),
                len: 64,
            },
        );
        t.set(
            5,
            Context {
                prefix: a("2001:db8:5:6::"),
                len: 64,
            },
        );
        t
    }

    #[test]
    fn link_local_fully_elided_udp_4bit_ports() {
        let s = "fe80::212:4b00:102:304";
        let d = "fe80::ff:fe00:abcd";
        let u = udp(0xf0b1, 0xf0b2, b"x", s, d);
        let dg = dgram(0, 0, 17, 64, s, d, &u);
        let c = compress(&dg, MAC_SRC, MAC_DST, &ctx(), &Options::default()).unwrap();
        assert_eq!(
            c.bytes,
            [
                0x7e, // 011 TF=11 NH=1 HLIM=10
                0x33, // SAM=11 DAM=11
                0xf3, // UDP C=0 P=11
                0x12, // ports
                u[6], u[7] // checksum
            ]
        );
        assert_eq!(c.consumed, 48);
        let c = compress(
            &dg,
            MAC_SRC,
            MAC_DST,
            &ctx(),
            &Options {
                elide_udp_checksum: true,
                ghc: false,
            },
        )
        .unwrap();
        assert_eq!(c.bytes, [0x7e, 0x33, 0xf7, 0x12]);
    }

    #[test]
    fn context_and_cid() {
        // Source in context 5 (needs CID), IID from the 16-bit form; destination context 0.
        let s = "2001:db8:5:6::ff:fe00:42";
        let d = "2001:db8:1::ff:fe00:abcd";
        let dg = dgram(0, 0, 59, 255, s, d, &[]);
        let c = compress(&dg, MAC_SRC, MAC_DST, &ctx(), &Options::default()).unwrap();
        assert_eq!(
            c.bytes,
            [
                0x7b, // TF=11 NH=0 HLIM=11
                0xe7, // CID=1 SAC=1 SAM=10 M=0 DAC=1 DAM=11
                0x50, // SCI=5 DCI=0
                59,   // Next Header
                0x00, 0x42, // source IID 16 bits
            ]
        );
        assert_eq!(c.iphc.src_mode, "context 5, 16 bits inline");
    }

    #[test]
    fn multicast_forms() {
        let cases: [(&str, &[u8]); 5] = [
            ("ff02::1", &[0x01]),
            ("ff05::1:3", &[0x05, 0x01, 0x00, 0x03]),
            ("ff0e::12:3456:789a", &[0x0e, 0x12, 0x34, 0x56, 0x78, 0x9a]),
            // RFC 3306 with context 0 (2001:db8:1::/64): ff3e:0040:2001:db8:1:0:1234:5678.
            (
                "ff3e:40:2001:db8:1:0:1234:5678",
                &[0x3e, 0x00, 0x12, 0x34, 0x56, 0x78],
            ),
            (
                "ff02:1::2",
                &[0xff, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            ),
        ];
        for (dst, inline) in cases {
            let dg = dgram(0, 0, 59, 64, "fe80::ff:fe00:1", dst, &[]);
            let c = compress(
                &dg,
                LinkAddr::Short(1),
                LinkAddr::Short(0xffff),
                &ctx(),
                &Options::default(),
            )
            .unwrap();
            // IPHC (2), Next Header (1), source elided: the destination follows.
            assert_eq!(&c.bytes[3..], inline, "{dst}");
            assert!(c.iphc.m);
        }
    }

    #[test]
    fn unspecified_source() {
        let dg = dgram(0, 0, 58, 255, "::", "ff02::1:ff00:1", &[0x87, 0, 0, 0]);
        let c = compress(
            &dg,
            LinkAddr::Absent,
            LinkAddr::Short(0xffff),
            &ctx(),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(c.bytes[1] >> 4, 0b0100); // SAC=1 SAM=00
        assert_eq!(c.iphc.src_mode, "unspecified address ::");
    }

    #[test]
    fn tf_forms_keep_traffic_class_and_flow_label() {
        for (tc, fl, tf, len) in [
            (0u8, 0u32, 3u8, 0usize),
            (0xb9, 0, 2, 1),
            (0x01, 0xabcde, 1, 3),
            (0x02, 0x12345, 1, 3),
            (0xfe, 0xfffff, 0, 4),
        ] {
            let dg = dgram(tc, fl, 59, 64, "fe80::ff:fe00:1", "fe80::ff:fe00:2", &[]);
            let c = compress(
                &dg,
                LinkAddr::Short(1),
                LinkAddr::Short(2),
                &ctx(),
                &Options::default(),
            )
            .unwrap();
            assert_eq!(c.iphc.tf, tf, "tc {tc:#x} fl {fl:#x}");
            assert_eq!(c.iphc.traffic_class(), tc);
            assert_eq!(c.iphc.flow_label, fl);
            assert_eq!(c.bytes.len(), 2 + len + 1);
        }
    }

    #[test]
    fn bad_payload_length_and_version() {
        let mut dg = dgram(0, 0, 59, 64, "::1", "::2", &[1, 2]);
        dg[5] = 3;
        let e = compress(
            &dg,
            LinkAddr::Absent,
            LinkAddr::Absent,
            &ctx(),
            &Options::default(),
        )
        .unwrap_err();
        assert_eq!((e.field(), e.offset()), ("Payload Length", 4));
        dg[0] = 0x45;
        let e = compress(
            &dg,
            LinkAddr::Absent,
            LinkAddr::Absent,
            &ctx(),
            &Options::default(),
        )
        .unwrap_err();
        assert_eq!(e.field(), "Version");
        let e = compress(
            &dg[..20],
            LinkAddr::Absent,
            LinkAddr::Absent,
            &ctx(),
            &Options::default(),
        )
        .unwrap_err();
        assert_eq!(e.field(), "IPv6 header");
    }

    #[test]
    fn udp_length_mismatch_is_carried_inline() {
        let s = "fe80::ff:fe00:1";
        let d = "fe80::ff:fe00:2";
        let mut u = udp(1000, 2000, b"abcd", s, d);
        u[5] = 10; // says 10, is 12
        let dg = dgram(0, 0, 17, 64, s, d, &u);
        let c = compress(
            &dg,
            LinkAddr::Short(1),
            LinkAddr::Short(2),
            &ctx(),
            &Options::default(),
        )
        .unwrap();
        assert!(c.nhc.is_empty());
        assert_eq!(c.iphc.next_header, Some(17));
        assert_eq!(c.consumed, 40);
    }

    #[test]
    fn hop_by_hop_padding() {
        let s = "fe80::ff:fe00:1";
        let d = "fe80::ff:fe00:2";
        let u = udp(0xf0b1, 0xf0b2, b"", s, d);
        // Canonical PadN of 2: elided.
        let mut p = vec![17, 0, 0x63, 0x02, 0xab, 0xcd, 0x01, 0x00];
        p.extend_from_slice(&u);
        let dg = dgram(0, 0, 0, 64, s, d, &p);
        let c = compress(
            &dg,
            LinkAddr::Short(1),
            LinkAddr::Short(2),
            &ctx(),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(
            &c.bytes[2..6],
            &[0xe1, 0x04, 0x63, 0x02] // EID 0 NH=1, Length 4, option…
        );
        // A PadN with non-zero content is kept: options 0x63 (no data), PadN(2) = ff ee.
        let mut p = vec![17, 0, 0x63, 0x00, 0x01, 0x02, 0xff, 0xee];
        p.extend_from_slice(&u);
        let dg = dgram(0, 0, 0, 64, s, d, &p);
        let c = compress(
            &dg,
            LinkAddr::Short(1),
            LinkAddr::Short(2),
            &ctx(),
            &Options::default(),
        )
        .unwrap();
        assert_eq!(&c.bytes[2..4], &[0xe1, 0x06]); // Length 6: nothing elided
    }

    #[test]
    fn ghc_forms_round_trip() {
        let s = "2001:db8:1::1";
        let d = "2001:db8:1::2";
        let mut payload = vec![0u8; 20];
        payload.extend_from_slice(&a(d).octets());
        let u = udp(5683, 5684, &payload, s, d);
        let dg = dgram(0, 0, 17, 64, s, d, &u);
        let opts = Options {
            elide_udp_checksum: false,
            ghc: true,
        };
        let c = compress(&dg, MAC_SRC, MAC_DST, &ctx(), &opts).unwrap();
        assert!(matches!(c.nhc[..], [NhcRepr::GhcUdp { .. }]), "{:?}", c.nhc);
        assert_eq!(c.consumed, dg.len());
        let plain = compress(&dg, MAC_SRC, MAC_DST, &ctx(), &Options::default()).unwrap();
        assert!(c.bytes.len() + 20 < plain.bytes.len() + (dg.len() - plain.consumed));
        let mut icmp = vec![0x9b, 0x01, 0x12, 0x34];
        icmp.extend_from_slice(&[0; 24]);
        let dg = dgram(0, 0, 58, 64, s, d, &icmp);
        let c = compress(&dg, MAC_SRC, MAC_DST, &ctx(), &opts).unwrap();
        assert!(
            matches!(c.nhc[..], [NhcRepr::GhcIcmpv6 { .. }]),
            "{:?}",
            c.nhc
        );
    }

    #[test]
    fn never_panics_on_random_bytes() {
        let mut x = 0x1234_5678_9abc_def0u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 120) as usize;
            let mut v: Vec<u8> = (0..len)
                .map(|i| (x.rotate_left(i as u32 * 7) >> 3) as u8)
                .collect();
            if let Some(b) = v.first_mut() {
                *b = 0x60 | (*b & 0x0f);
            }
            if v.len() >= 6 && x & 1 == 0 {
                let pl = (v.len().saturating_sub(40)) as u16;
                v[4..6].copy_from_slice(&pl.to_be_bytes());
            }
            for opts in [
                Options::default(),
                Options {
                    elide_udp_checksum: true,
                    ghc: true,
                },
            ] {
                if let Err(e) = compress(&v, MAC_SRC, MAC_DST, &ctx(), &opts) {
                    assert_eq!(e.layer(), Layer::Ipv6, "{e}");
                }
            }
        }
    }

    /// `best_pair` picks what its definition says: the first pair of least cost (in-line octets
    /// plus the CID octet) when both lists are stably sorted by (in-line length, stateful,
    /// 128 − prefix length, context number) and walked source by source — the selection the
    /// compressor made with a sort over every pair — on 50,000 random lists of forms.
    #[test]
    fn best_pair_is_the_first_least_cost_pair_of_the_sorted_lists() {
        fn reference(src: &Forms, dst: &Forms) -> (AddrForm, AddrForm) {
            let rank = |f: &AddrForm| {
                (
                    f.inline_len,
                    f.stateful,
                    128 - f.ctx_len.min(128),
                    f.ctx_id.unwrap_or(0),
                )
            };
            let (mut s, mut d) = (src.to_vec(), dst.to_vec());
            s.sort_by_key(rank);
            d.sort_by_key(rank);
            let mut best: Option<(u8, AddrForm, AddrForm)> = None;
            for a in &s {
                for b in &d {
                    let cost =
                        a.inline_len + b.inline_len + u8::from(a.needs_cid() || b.needs_cid());
                    if best.is_none_or(|(c, _, _)| cost < c) {
                        best = Some((cost, *a, *b));
                    }
                }
            }
            let (_, a, b) = best.unwrap();
            (a, b)
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut form = |multicast: bool| {
            let r = next();
            let stateful = r & 1 == 1;
            let ctx = stateful.then(|| {
                (
                    (r >> 8) as u8 % 16,
                    [0u8, 48, 64, 96, 128][(r >> 16) as usize % 5],
                )
            });
            let mut f = AddrForm::new(stateful, (r >> 1) as u8 % 4, multicast, ctx);
            if r >> 40 & 7 == 0 {
                f.ctx_len = 128; // as `::` is ranked
            }
            f
        };
        let mut differing_choices = 0;
        for n in 0..50_000u32 {
            let (ns, nd) = (1 + n as usize % 7, 1 + (n as usize / 7) % 9);
            let src: Forms = (0..ns).map(|_| form(false)).collect();
            let dst: Forms = (0..nd).map(|_| form(n % 2 == 0)).collect();
            let got = best_pair(&src, &dst);
            assert_eq!(got, reference(&src, &dst), "{src:?} {dst:?}");
            differing_choices += usize::from(got.0 != src[0] || got.1 != dst[0]);
        }
        assert!(differing_choices > 10_000, "{differing_choices}");
    }

    /// The stateless multicast forms offered for an address are those RFC 6282 §3.1.1 allows:
    /// 48 bits for `ffXX::00XX:XXXX:XXXX`, 32 bits for `ffXX::00XX:XXXX`, 8 bits for
    /// `ff02::00XX`, on addresses with a non-zero octet at each place in turn.
    #[test]
    fn multicast_forms_offered_by_zero_ranges() {
        for scope in [0x02u8, 0x05] {
            for hole in 2..16usize {
                let mut o = [0u8; 16];
                o[0] = 0xff;
                o[1] = scope;
                o[hole] = 0x40;
                let want: &[u8] = match hole {
                    2..=10 => &[0],
                    11..=12 => &[0, 1],
                    13..=14 => &[0, 1, 2],
                    _ if scope == 0x02 => &[0, 1, 2, 3],
                    _ => &[0, 1, 2],
                };
                let got: Vec<u8> = multicast_options(&Ipv6Addr::from(o), &[])
                    .iter()
                    .map(|f| f.mode)
                    .collect();
                assert_eq!(got, want, "{}", Ipv6Addr::from(o));
            }
        }
    }

    /// The full search the compressor falls back on, with the contexts of `t`.
    fn searched_pair(
        src: &Ipv6Addr,
        dst: &Ipv6Addr,
        iid_src: Option<[u8; 8]>,
        iid_dst: Option<[u8; 8]>,
        t: &ContextTable,
    ) -> (AddrForm, AddrForm) {
        let contexts: Contexts<'_> = t.iter().collect();
        best_pair(
            &unicast_options(src, iid_src, &contexts, true),
            &if dst.octets()[0] == 0xff {
                multicast_options(dst, &contexts)
            } else {
                unicast_options(dst, iid_dst, &contexts, false)
            },
        )
    }

    #[test]
    fn fully_elided_pair_is_the_searched_pair() {
        // Addresses and IIDs near the fast path's edges: link-local or not, IID given by the
        // link or not, 16-bit short form or not, multicast of every scope and zero range.
        let addrs: Vec<Ipv6Addr> = [
            "fe80::ff:fe00:1",
            "fe80::ff:fe00:2",
            "fe80::212:4b00:102:304",
            "fe80:0:0:1::ff:fe00:1",
            "fe81::ff:fe00:1",
            "2001:db8:1::ff:fe00:1",
            "2001:db8:5:6:212:4b00:102:304",
            "::",
            "::1",
            "ff02::1",
            "ff02::1a",
            "ff02::1:ff00:1",
            "ff02::100",
            "ff05::1",
            "ff12::1",
            "ff32:40:2001:db8:1::1",
            "ff02:0:0:0:0:0:0:1",
        ]
        .iter()
        .map(|s| a(s))
        .collect();
        let iids = [
            None,
            Some([0, 0, 0, 0xff, 0xfe, 0, 0, 1]),
            Some([0, 0, 0, 0xff, 0xfe, 0, 0, 2]),
            Some([0x02, 0x12, 0x4b, 0, 0x01, 0x02, 0x03, 0x04]),
        ];
        let mut with_fe80_ctx = ctx();
        with_fe80_ctx.set(
            1,
            Context {
                prefix: a("fe80::"),
                len: 64,
            },
        );
        let tables = [ContextTable::new(), ctx(), with_fe80_ctx];
        let (mut fast, mut slow) = (0, 0);
        for t in &tables {
            for src in &addrs {
                for dst in &addrs {
                    for is in iids {
                        for id in iids {
                            let searched = searched_pair(src, dst, is, id, t);
                            match fully_elided_pair(src, dst, is, id) {
                                Some(p) => {
                                    assert_eq!(p, searched, "{src} {dst} {is:?} {id:?}");
                                    fast += 1;
                                }
                                None => slow += 1,
                            }
                        }
                    }
                }
            }
        }
        assert!(fast > 100 && slow > 1_000, "{fast} {slow}");
        // The commonest cases do take it.
        let iid1 = Some([0, 0, 0, 0xff, 0xfe, 0, 0, 1]);
        let iid2 = Some([0, 0, 0, 0xff, 0xfe, 0, 0, 2]);
        let (s1, s2, all) = (a("fe80::ff:fe00:1"), a("fe80::ff:fe00:2"), a("ff02::1"));
        assert!(fully_elided_pair(&s1, &s2, iid1, iid2).is_some());
        assert!(fully_elided_pair(&s1, &all, iid1, None).is_some());
        assert!(fully_elided_pair(&s1, &s2, iid2, iid2).is_none());
        assert!(fully_elided_pair(&s1, &a("ff05::1"), iid1, None).is_none());
    }

    #[test]
    fn verification_with_and_without_checksum_to_compute() {
        // Link-local and global, UDP with the checksum kept and elided, an ICMPv6 message:
        // every one verified, and what it verified decompresses back to the datagram.
        let t = ctx();
        for elide in [false, true] {
            let opts = Options {
                elide_udp_checksum: elide,
                ghc: false,
            };
            for (s, d) in [
                ("fe80::ff:fe00:1", "fe80::ff:fe00:abcd"),
                ("fe80::ff:fe00:1", "ff02::1"),
                ("2001:db8:1::5", "2001:db8:5:6::7"),
            ] {
                let u = udp(5683, 61616, b"hello", s, d);
                let dg = dgram(0, 0, proto::UDP, 64, s, d, &u);
                let link_src = LinkAddr::Short(1);
                let c = compress(&dg, link_src, MAC_DST, &t, &opts).unwrap();
                let mut frame = c.bytes.clone();
                frame.extend_from_slice(&dg[c.consumed..]);
                let back = iphc::decompress(&frame, 0, &t, link_src, MAC_DST, None).unwrap();
                let mut rebuilt = back.headers.clone();
                rebuilt.extend_from_slice(&frame[back.consumed..]);
                ipv6::fill_checksums(&mut rebuilt, &back.checksum_fixes);
                assert_eq!(rebuilt, dg, "{s} {d} elide={elide}");
                assert_eq!(back.checksum_fixes.is_empty(), !elide, "{s} {d}");
            }
        }
        // A datagram longer than a 16-bit size (Payload Length 65,535) is verified from the
        // whole frame.
        let (s, d) = ("fe80::ff:fe00:1", "ff02::1");
        let data: Vec<u8> = (0..65_527u32).map(|i| i as u8).collect();
        let dg = dgram(0, 0, proto::UDP, 64, s, d, &udp(5683, 5683, &data, s, d));
        assert_eq!(dg.len(), 65_575);
        let c = compress(&dg, LinkAddr::Short(1), MAC_DST, &t, &Options::default()).unwrap();
        assert_eq!(c.consumed, 48);
    }
}
