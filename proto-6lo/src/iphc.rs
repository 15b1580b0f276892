//! LOWPAN_IPHC decompression (RFC 6282 §3, with RFC 8066's note that 0x7F is IPHC, not ESC).
//!
//! ```text
//!   0                                       1
//!   0   1   2   3   4   5   6   7   8   9   0   1   2   3   4   5
//! +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//! | 0 | 1 | 1 |  TF   |NH | HLIM  |CID|SAC|  SAM  | M |DAC|  DAM  |
//! +---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+---+
//! ```
//!
//! The in-line fields follow in this order (RFC 6282 §3.2): the CID octet (SCI:4 | DCI:4) when
//! CID=1, then traffic class / flow label per TF, Next Header when NH=0, Hop Limit when HLIM=00,
//! the source address bits per SAC/SAM, the destination address bits per M/DAC/DAM. With NH=1 a
//! chain of LOWPAN_NHC headers ([`crate::nhc`]) follows.
//!
//! TF (RFC 6282 §3.1.1) — in-line, ECN comes first, then DSCP; the rebuilt IPv6 Traffic Class is
//! DSCP(6) | ECN(2):
//!
//! ```text
//!  TF=00: |ECN|  DSCP  |rsv|            Flow Label             |   4 octets
//!  TF=01: |ECN|rsv|             Flow Label                     |   3 octets
//!  TF=10: |ECN|  DSCP  |                                           1 octet
//!  TF=11: (elided: traffic class and flow label are zero)
//! ```
//!
//! Decompression is one pipeline in two steps: the compressed bytes are parsed into
//! [`IphcRepr`] / [`crate::nhc::NhcRepr`] values, then the uncompressed headers are emitted from
//! them once the datagram length is known (the same two steps serve an IPv6-in-IPv6 header
//! inside the chain). Its entry point is [`decompress_to`], which fills a reusable
//! [`Decompressed`] slot; [`decompress`] is the same into a new value.

use std::net::Ipv6Addr;

use crate::addr::{ContextTable, LinkAddr};
use crate::error::{Detail, Error, Layer, Result};
use crate::ipv6::{self, ChecksumFix};
use crate::nhc::{self, NhcRepr};
use crate::reader::Reader;

/// The 3-bit dispatch pattern of LOWPAN_IPHC: `011xxxxx`.
pub const DISPATCH: u8 = 0b0110_0000;
/// Mask selecting the dispatch bits.
pub const DISPATCH_MASK: u8 = 0b1110_0000;

/// The link-local prefix fe80::/64 used by stateless compression, as the high 64 bits.
const LINK_LOCAL: u64 = 0xfe80_0000_0000_0000;

/// True when `b` is a LOWPAN_IPHC dispatch byte (0x60..=0x7F; 0x7F included, RFC 8066).
pub fn is_iphc(b: u8) -> bool {
    b & DISPATCH_MASK == DISPATCH
}

/// Octets an address carries in line for its context bit (SAC or DAC), mode (SAM or DAM) and
/// M bit: the table of RFC 6282 §3.1.1, for the decoder and the compressor alike. The reserved
/// combination (M = 1, DAC = 1, DAM ≠ 00) carries none.
pub fn address_inline_len(stateful: bool, mode: u8, multicast: bool) -> usize {
    match (multicast, stateful, mode) {
        (false, false, 0) => 16,
        (false, true, 0) => 0,
        (false, _, 1) => 8,
        (false, _, 2) => 2,
        (false, _, _) => 0,
        (true, false, 0) => 16,
        (true, false, 1) => 6,
        (true, false, 2) => 4,
        (true, false, _) => 1,
        (true, true, 0) => 6,
        (true, true, _) => 0,
    }
}

/// One LOWPAN_IPHC header: the raw encoding fields and the values they decompress to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IphcRepr {
    /// Traffic class / flow label encoding (2 bits).
    pub tf: u8,
    /// Next Header compressed with LOWPAN_NHC.
    pub nh: bool,
    /// Hop limit encoding (2 bits): 00 in-line, 01 = 1, 10 = 64, 11 = 255.
    pub hlim: u8,
    /// Context Identifier Extension octet present.
    pub cid: bool,
    /// Source Address Compression: context-based when set.
    pub sac: bool,
    /// Source Address Mode (2 bits).
    pub sam: u8,
    /// Multicast destination.
    pub m: bool,
    /// Destination Address Compression: context-based when set.
    pub dac: bool,
    /// Destination Address Mode (2 bits).
    pub dam: u8,
    /// Source Context Identifier (0 when CID=0).
    pub sci: u8,
    /// Destination Context Identifier (0 when CID=0).
    pub dci: u8,
    /// Explicit Congestion Notification (2 bits).
    pub ecn: u8,
    /// Differentiated Services Code Point (6 bits).
    pub dscp: u8,
    /// Flow label (20 bits).
    pub flow_label: u32,
    /// The in-line Next Header; None when NH=1 (it comes from the first LOWPAN_NHC).
    pub next_header: Option<u8>,
    pub hop_limit: u8,
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    /// How the source address was carried, in words.
    pub src_mode: &'static str,
    /// How the destination address was carried, in words.
    pub dst_mode: &'static str,
    /// Octets of this IPHC header, including the 2 (or 3 with CID) base octets.
    pub inline_len: usize,
}

impl IphcRepr {
    /// The rebuilt IPv6 Traffic Class: DSCP in the 6 high bits, ECN in the 2 low bits.
    pub fn traffic_class(&self) -> u8 {
        (self.dscp << 2) | (self.ecn & 0x03)
    }
}

/// The result of decompressing a LOWPAN_IPHC header and its LOWPAN_NHC chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Decompressed {
    pub iphc: IphcRepr,
    /// LOWPAN_NHC headers in wire order; IPv6-in-IPv6 (EID 7) holds its inner header and chain.
    pub nhc: Vec<NhcRepr>,
    /// The uncompressed IPv6 header, extension headers and UDP header(s) — and, for the
    /// RFC 7400 GHC forms ([`crate::ghc`]), the payload they decompress to — ready to be
    /// followed by the rest of the payload (`buf[consumed..]`).
    #[serde(skip)]
    pub headers: Vec<u8>,
    /// Compressed octets consumed, counted from `buf[0]`.
    pub consumed: usize,
    /// UDP checksums elided (C=1), to be computed with [`ipv6::fill_checksums`] once the whole
    /// datagram is known.
    pub checksum_fixes: Vec<ChecksumFix>,
}

/// Where elided interface identifiers come from: the link layer (or mesh header) for the
/// outermost header, the encapsulating IPv6 header for an inner one (RFC 6282 §3.2.2, §4.2).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Iids {
    pub(crate) src: Option<[u8; 8]>,
    pub(crate) dst: Option<[u8; 8]>,
    pub(crate) from_ipv6: bool,
}

impl Iids {
    /// IIDs taken from an encapsulating IPv6 header.
    pub(crate) fn of_header(src: &Ipv6Addr, dst: &Ipv6Addr) -> Self {
        Iids {
            src: Some(low64(src)),
            dst: Some(low64(dst)),
            from_ipv6: true,
        }
    }
}

fn low64(a: &Ipv6Addr) -> [u8; 8] {
    let o = a.octets();
    let mut i = [0u8; 8];
    i.copy_from_slice(&o[8..]);
    i
}

/// Decompresses the LOWPAN_IPHC header at `buf[0]` (a `011xxxxx` dispatch byte) and any
/// LOWPAN_NHC chain after it: [`decompress_to`] into a new [`Decompressed`].
///
/// * `base`: absolute offset of `buf[0]` in the frame, for error offsets.
/// * `ctx`: the context table for SAC/DAC=1.
/// * `link_src` / `link_dst`: the addresses elided IIDs are derived from (MAC addresses, or the
///   mesh header's originator / final destination); an Absent one that is needed is an error.
/// * `datagram_size`: None when `buf` holds the whole datagram (IPv6 Payload Length and UDP
///   Length are derived from the bytes left); Some(n) for a FRAG1, where the datagram is n octets
///   in total (RFC 4944 §5.3, RFC 6282 §4.3.3).
pub fn decompress(
    buf: &[u8],
    base: usize,
    ctx: &ContextTable,
    link_src: LinkAddr,
    link_dst: LinkAddr,
    datagram_size: Option<u16>,
) -> Result<Decompressed> {
    let mut out = Decompressed::default();
    decompress_to(&mut out, buf, base, ctx, link_src, link_dst, datagram_size)?;
    Ok(out)
}

impl Default for IphcRepr {
    /// An all-zero header (TF=00, NH=0, HLIM=00, stateless in-line addresses `::`), a
    /// placeholder for [`Decompressed::default`].
    fn default() -> Self {
        IphcRepr {
            tf: 0,
            nh: false,
            hlim: 0,
            cid: false,
            sac: false,
            sam: 0,
            m: false,
            dac: false,
            dam: 0,
            sci: 0,
            dci: 0,
            ecn: 0,
            dscp: 0,
            flow_label: 0,
            next_header: None,
            hop_limit: 0,
            src: Ipv6Addr::UNSPECIFIED,
            dst: Ipv6Addr::UNSPECIFIED,
            src_mode: "",
            dst_mode: "",
            inline_len: 0,
        }
    }
}

impl Default for Decompressed {
    /// Empty: no headers, no chain. A slot for [`decompress_to`] to fill.
    fn default() -> Self {
        Decompressed {
            iphc: IphcRepr::default(),
            nhc: Vec::new(),
            headers: Vec::new(),
            consumed: 0,
            checksum_fixes: Vec::new(),
        }
    }
}

/// Decompresses as [`decompress`] does (same arguments, same errors) into `out`, reusing the
/// allocations of its vectors: for a caller that
/// decompresses many headers in a row, no allocation at all once `out.headers` has grown to the
/// largest header set (and `out.checksum_fixes` to the longest chain; a non-empty `out.nhc` is
/// replaced). Every field of `out` is overwritten; on error its contents are unspecified (but
/// valid).
///
/// ```
/// use ietfwg_6lo::{iphc, ContextTable, LinkAddr};
///
/// let mut slot = iphc::Decompressed::default();
/// let ctx = ContextTable::new();
/// let src = LinkAddr::Short(0x0001);
/// let dst = LinkAddr::Short(0x0002);
/// // TF=11 NH=0 HLIM=10, SAM=11 DAM=11: both addresses from the link layer.
/// for packet in [&[0x7a, 0x33, 0x3a, 0x80][..], &[0x7a, 0x33, 0x11, 0x00, 0x01]] {
///     iphc::decompress_to(&mut slot, packet, 0, &ctx, src, dst, None)?;
///     assert_eq!(slot.headers.len(), 40);
///     assert_eq!(slot.consumed, 3);
/// }
/// assert_eq!(slot.iphc.next_header, Some(0x11));
/// # Ok::<(), ietfwg_6lo::Error>(())
/// ```
#[inline]
pub fn decompress_to(
    out: &mut Decompressed,
    buf: &[u8],
    base: usize,
    ctx: &ContextTable,
    link_src: LinkAddr,
    link_dst: LinkAddr,
    datagram_size: Option<u16>,
) -> Result<()> {
    out.headers.clear();
    out.checksum_fixes.clear();
    (out.iphc, out.nhc, out.consumed) = pipeline(
        buf,
        base,
        ctx,
        link_src,
        link_dst,
        datagram_size,
        &mut out.headers,
        &mut out.checksum_fixes,
    )?;
    Ok(())
}

/// The decompression pipeline behind [`decompress_to`] (arguments as for [`decompress`]):
/// [`parse`] the header and its chain (RFC 6282 §3.1–3.2, §4), then, once the datagram length
/// is known, emit the uncompressed headers ([`emit`], as for an IPv6-in-IPv6 header inside the
/// chain). The headers are appended to `headers` (empty on entry: a caller that reserved room
/// for the rest of the payload appends it after them, and `headers` is the datagram without a
/// copy), the checksums to fill to `fixes`; the header, its chain and the compressed octets
/// consumed are returned.
///
/// [`crate::lowpan::Decoder`] calls it with its datagram buffer, and stores the header fields
/// it returns straight into its report (through a [`Decompressed`] slot they would be copied
/// once more per frame).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn pipeline(
    buf: &[u8],
    base: usize,
    ctx: &ContextTable,
    link_src: LinkAddr,
    link_dst: LinkAddr,
    datagram_size: Option<u16>,
    headers: &mut Vec<u8>,
    fixes: &mut Vec<ChecksumFix>,
) -> Result<(IphcRepr, Vec<NhcRepr>, usize)> {
    let mut r = Reader::new(buf, base, Layer::Iphc);
    let iids = Iids {
        src: link_src.iid(),
        dst: link_dst.iid(),
        from_ipv6: false,
    };
    let iphc = parse_header(&mut r, ctx, &iids)?;
    let mut chain = parse_nhc(&mut r, ctx, &iphc, 0)?;
    let hdr_len = ipv6::HEADER_LEN + nhc::chain_len(&chain);
    let total = datagram_total(datagram_size, hdr_len, r.remaining(), base)?;
    headers.reserve(hdr_len);
    emit_fields(
        iphc.traffic_class(),
        iphc.flow_label,
        iphc.next_header,
        iphc.hop_limit,
        iphc.src,
        iphc.dst,
        &mut chain,
        total,
        base,
        headers,
        fixes,
    )?;
    Ok((iphc, chain, r.consumed()))
}

/// The datagram's total uncompressed length: `datagram_size` (a FRAG1's), checked against the
/// decompressed headers, or the headers plus the `remaining` octets of the buffer.
#[inline(always)]
fn datagram_total(
    datagram_size: Option<u16>,
    hdr_len: usize,
    remaining: usize,
    base: usize,
) -> Result<usize> {
    match datagram_size {
        Some(n) => {
            let n = usize::from(n);
            if n < hdr_len {
                return Err(datagram_size_error(base, n, hdr_len));
            }
            Ok(n)
        }
        None => Ok(hdr_len + remaining),
    }
}

#[cold]
#[inline(never)]
fn datagram_size_error(base: usize, n: usize, hdr_len: usize) -> Error {
    Error::invalid(
        Layer::Iphc,
        "datagram size",
        base,
        format!("the FRAG1 datagram size {n} is smaller than the {hdr_len} octets of decompressed headers"),
    )
}

#[cold]
#[inline(never)]
fn payload_length_error(base: usize, total: usize) -> Error {
    Error::invalid(
        Layer::Iphc,
        "payload length",
        base,
        format!(
            "the IPv6 payload length derived from a {total}-octet datagram does not fit in 16 bits"
        ),
    )
}

/// Emits the uncompressed IPv6 header (RFC 8200 §3) for `iphc` and then its chain, at
/// `out.len()` in a datagram of `total` octets; fills in the derived lengths of `chain`.
#[inline]
pub(crate) fn emit(
    iphc: &IphcRepr,
    chain: &mut [NhcRepr],
    total: usize,
    base: usize,
    out: &mut Vec<u8>,
    fixes: &mut Vec<ChecksumFix>,
) -> Result<()> {
    emit_fields(
        iphc.traffic_class(),
        iphc.flow_label,
        iphc.next_header,
        iphc.hop_limit,
        iphc.src,
        iphc.dst,
        chain,
        total,
        base,
        out,
        fixes,
    )
}

/// [`emit`] from the header fields it needs, passed by value: [`pipeline`] then never takes
/// the address of its [`IphcRepr`], which the optimiser keeps in registers and stores once,
/// where it ends up.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn emit_fields(
    traffic_class: u8,
    flow_label: u32,
    next_header: Option<u8>,
    hop_limit: u8,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    chain: &mut [NhcRepr],
    total: usize,
    base: usize,
    out: &mut Vec<u8>,
    fixes: &mut Vec<ChecksumFix>,
) -> Result<()> {
    let at = out.len();
    let payload = match total
        .checked_sub(at + ipv6::HEADER_LEN)
        .and_then(|p| u16::try_from(p).ok())
    {
        Some(p) => p,
        None => return Err(payload_length_error(base, total)),
    };
    let next_header = match next_header {
        Some(n) => n,
        None => chain
            .first()
            .map_or(ipv6::proto::NO_NEXT_HEADER, NhcRepr::protocol),
    };
    ipv6::write_header(
        out,
        traffic_class,
        flow_label,
        payload,
        next_header,
        hop_limit,
        &src,
        &dst,
    );
    if chain.is_empty() {
        return Ok(());
    }
    nhc::emit_chain(chain, at, total, base, out, fixes)
}

/// `"context N, …"` strings for N = 0..15, so that modes stay `&'static str`.
macro_rules! per_context {
    ($what:literal) => {
        [
            concat!("context 0, ", $what),
            concat!("context 1, ", $what),
            concat!("context 2, ", $what),
            concat!("context 3, ", $what),
            concat!("context 4, ", $what),
            concat!("context 5, ", $what),
            concat!("context 6, ", $what),
            concat!("context 7, ", $what),
            concat!("context 8, ", $what),
            concat!("context 9, ", $what),
            concat!("context 10, ", $what),
            concat!("context 11, ", $what),
            concat!("context 12, ", $what),
            concat!("context 13, ", $what),
            concat!("context 14, ", $what),
            concat!("context 15, ", $what),
        ]
    };
}

const CTX_64: [&str; 16] = per_context!("64 bits inline");
const CTX_16: [&str; 16] = per_context!("16 bits inline");
const CTX_0: [&str; 16] = per_context!("fully elided (from link address)");
const CTX_0_IPV6: [&str; 16] = per_context!("fully elided (from encapsulating IPv6 header)");
const CTX_3306: [&str; 16] = per_context!("RFC 3306 unicast-prefix-based (48 bits)");

fn ctx_mode(table: &'static [&'static str; 16], id: u8) -> &'static str {
    table
        .get(usize::from(id))
        .copied()
        .unwrap_or("context-based")
}

/// Copies the first `len` bits of `prefix` over `addr` (RFC 6282 §3.1.1: bits covered by the
/// context are always taken from it, even when they overlap the IID).
pub(crate) fn apply_prefix(addr: &mut [u8; 16], prefix: &[u8; 16], len: u8) {
    let len = usize::from(len.min(128));
    let full = len / 8;
    addr[..full].copy_from_slice(&prefix[..full]);
    let rem = len % 8;
    if rem != 0 {
        let mask = 0xffu8 << (8 - rem);
        addr[full] = (addr[full] & !mask) | (prefix[full] & mask);
    }
}

// Addresses are assembled as integers rather than octet by octet: an array written a byte at a
// time and then read back whole stalls store forwarding, which showed in the profiles.

/// The 16-bit short-address IID form `0000:00ff:fe00:XXXX` (RFC 6282 §3.2.2).
#[inline(always)]
fn short_iid(x: [u8; 2]) -> u64 {
    0x0000_00ff_fe00_0000 | u64::from(u16::from_be_bytes(x))
}

/// The address `prefix64` (high 64 bits) + `iid`, as an integer (converted to [`Ipv6Addr`] only
/// when stored, so that it stays in registers).
#[inline(always)]
fn with_iid(prefix64: u64, iid: u64) -> u128 {
    (u128::from(prefix64) << 64) | u128::from(iid)
}

/// Which address an error or lookup is about.
#[derive(Clone, Copy)]
struct Side {
    mode_field: &'static str,
    ctx_field: &'static str,
    link_name: &'static str,
}

const SRC: Side = Side {
    mode_field: "SAM",
    ctx_field: "SCI",
    link_name: "source",
};
const DST: Side = Side {
    mode_field: "DAM",
    ctx_field: "DCI",
    link_name: "destination",
};

#[cold]
#[inline(never)]
fn elided_iid_error(from_ipv6: bool, side: Side, enc_at: usize) -> Error {
    Error::invalid(
        Layer::Iphc,
        side.mode_field,
        enc_at,
        format!(
            "the address is fully elided ({}=11) but the link-layer {} address it derives from is absent{}",
            side.mode_field,
            side.link_name,
            if from_ipv6 { " in the encapsulating header" } else { "" }
        ),
    )
}

#[inline(always)]
fn elided_iid(iid: Option<[u8; 8]>, from_ipv6: bool, side: Side, enc_at: usize) -> Result<[u8; 8]> {
    match iid {
        Some(i) => Ok(i),
        None => Err(elided_iid_error(from_ipv6, side, enc_at)),
    }
}

#[cold]
#[inline(never)]
fn context_error(id: u8, side: Side, ctx_at: usize) -> Error {
    Error::invalid_with(
        Layer::Iphc,
        side.ctx_field,
        ctx_at,
        format!("context {id} is not configured"),
        Detail::ContextNotConfigured { id },
    )
}

#[inline]
fn context(ctx: &ContextTable, id: u8, side: Side, ctx_at: usize) -> Result<&crate::addr::Context> {
    match ctx.get(id) {
        Some(c) => Ok(c),
        None => Err(context_error(id, side, ctx_at)),
    }
}

/// A unicast address per SAC/SAM (or DAC/DAM with M=0). `ctx_id` is used only when `stateful`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn unicast(
    r: &mut Reader<'_>,
    ctx: &ContextTable,
    stateful: bool,
    mode: u8,
    ctx_id: u8,
    iid: Option<[u8; 8]>,
    from_ipv6: bool,
    side: Side,
    enc_at: usize,
    ctx_at: usize,
    field: &'static str,
) -> Result<(u128, &'static str)> {
    if !stateful {
        return Ok(match mode {
            0 => (
                u128::from_be_bytes(r.array::<16>(field)?),
                "stateless, 128 bits inline",
            ),
            1 => (
                with_iid(LINK_LOCAL, u64::from_be_bytes(r.array(field)?)),
                "stateless, fe80::/64 + 64 bits inline",
            ),
            2 => (
                with_iid(LINK_LOCAL, short_iid(r.array(field)?)),
                "stateless, fe80::ff:fe00:XXXX (16 bits inline)",
            ),
            _ => {
                let i = elided_iid(iid, from_ipv6, side, enc_at)?;
                let mode = if from_ipv6 {
                    "stateless, fully elided (from encapsulating IPv6 header)"
                } else {
                    "stateless, fully elided (from link address)"
                };
                (with_iid(LINK_LOCAL, u64::from_be_bytes(i)), mode)
            }
        });
    }
    // Out of line, on a copy of the reader, so that `r` itself never has its address taken.
    let mut t = r.clone();
    let res = stateful_unicast(
        &mut t, ctx, mode, ctx_id, iid, from_ipv6, side, enc_at, ctx_at, field,
    );
    *r = t;
    res.map(|(a, m)| (u128::from(a), m))
}

/// The context-based (SAC/DAC=1) forms of [`unicast`], out of line.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn stateful_unicast(
    r: &mut Reader<'_>,
    ctx: &ContextTable,
    mode: u8,
    ctx_id: u8,
    iid: Option<[u8; 8]>,
    from_ipv6: bool,
    side: Side,
    enc_at: usize,
    ctx_at: usize,
    field: &'static str,
) -> Result<(Ipv6Addr, &'static str)> {
    // Stateful: mode 0 is handled by the callers (unspecified / reserved).
    let (i, table) = match mode {
        1 => (u64::from_be_bytes(r.array(field)?), &CTX_64),
        2 => (short_iid(r.array(field)?), &CTX_16),
        _ => (
            u64::from_be_bytes(elided_iid(iid, from_ipv6, side, enc_at)?),
            if from_ipv6 { &CTX_0_IPV6 } else { &CTX_0 },
        ),
    };
    let c = context(ctx, ctx_id, side, ctx_at)?;
    let mut a = with_iid(0, i).to_be_bytes();
    apply_prefix(&mut a, &c.prefix.octets(), c.len);
    Ok((Ipv6Addr::from(a), ctx_mode(table, ctx_id)))
}

/// The LOWPAN_IPHC encoding fields (RFC 6282 §3.1.1) and the CID octet (§3.1.2), read from
/// the first octets of a header alone: what can be shown of a header whose decoding failed
/// further on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    pub tf: u8,
    pub nh: bool,
    pub hlim: u8,
    pub cid: bool,
    pub sac: bool,
    pub sam: u8,
    pub m: bool,
    pub dac: bool,
    pub dam: u8,
    /// Source and destination context identifiers, when CID=1 and the CID octet is there.
    pub sci_dci: Option<(u8, u8)>,
}

/// The encoding fields of the LOWPAN_IPHC header at `buf[0]`: None when `buf` does not start
/// with an IPHC dispatch or holds fewer than its two base octets.
pub fn encoding(buf: &[u8]) -> Option<Encoding> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    if !is_iphc(b0) {
        return None;
    }
    let cid = b1 & 0x80 != 0;
    Some(Encoding {
        tf: (b0 >> 3) & 0x03,
        nh: b0 & 0x04 != 0,
        hlim: b0 & 0x03,
        cid,
        sac: b1 & 0x40 != 0,
        sam: (b1 >> 4) & 0x03,
        m: b1 & 0x08 != 0,
        dac: b1 & 0x04 != 0,
        dam: b1 & 0x03,
        sci_dci: if cid {
            buf.get(2).map(|c| (c >> 4, c & 0x0f))
        } else {
            None
        },
    })
}

/// The LOWPAN_IPHC header at `buf[0]` (arguments as for [`decompress`]) when it parses on its
/// own, although decompression as a whole failed (in the NHC chain after it, or in deriving
/// the lengths): the header a front end shows before the error. None when the header itself
/// is in error.
#[cold]
pub fn header_before_error(
    buf: &[u8],
    base: usize,
    ctx: &ContextTable,
    link_src: LinkAddr,
    link_dst: LinkAddr,
) -> Option<IphcRepr> {
    let mut r = Reader::new(buf, base, Layer::Iphc);
    let iids = Iids {
        src: link_src.iid(),
        dst: link_dst.iid(),
        from_ipv6: false,
    };
    parse_header(&mut r, ctx, &iids).ok()
}

/// Nested IPv6-in-IPv6 (EID 7) levels accepted below the outermost IPHC header.
pub(crate) const MAX_DEPTH: u8 = 4;

/// Parses one LOWPAN_IPHC header and, with NH=1, its LOWPAN_NHC chain from `r`: an
/// IPv6-in-IPv6 one (`depth` > 0) for [`nhc::parse_chain`]. The outermost header is read the
/// same way by [`pipeline`], which takes the two steps itself (a header and its chain returned
/// together in one `Result` were copied once more per frame).
pub(crate) fn parse(
    r: &mut Reader<'_>,
    ctx: &ContextTable,
    iids: &Iids,
    depth: u8,
) -> Result<(IphcRepr, Vec<NhcRepr>)> {
    r.set_layer(Layer::Iphc);
    let iphc = parse_header(r, ctx, iids)?;
    let chain = parse_nhc(r, ctx, &iphc, depth)?;
    r.set_layer(Layer::Iphc);
    Ok((iphc, chain))
}

/// The LOWPAN_NHC chain after `iphc` (RFC 6282 §4): empty with NH=0.
#[inline(always)]
fn parse_nhc(
    r: &mut Reader<'_>,
    ctx: &ContextTable,
    iphc: &IphcRepr,
    depth: u8,
) -> Result<Vec<NhcRepr>> {
    if !iphc.nh {
        return Ok(Vec::new());
    }
    // On a copy of the reader, so that the caller's never has its address taken and stays in
    // registers.
    let mut t = r.clone();
    let chain = nhc::parse_chain(&mut t, ctx, iphc, depth);
    *r = t;
    chain
}

#[cold]
#[inline(never)]
fn not_iphc(at: usize, b0: u8) -> Error {
    Error::invalid(
        Layer::Iphc,
        "IPHC dispatch",
        at,
        format!("0x{b0:02x} is not a LOWPAN_IPHC dispatch (011xxxxx)"),
    )
}

#[cold]
#[inline(never)]
fn reserved_dst_mode(enc_at: usize, m: bool, dam: u8) -> Error {
    if m {
        Error::invalid(
            Layer::Iphc,
            "M/DAC/DAM",
            enc_at,
            format!("M=1 DAC=1 DAM={dam:02b} is reserved (RFC 6282 §3.1.1)"),
        )
    } else {
        Error::invalid(
            Layer::Iphc,
            "DAC/DAM",
            enc_at,
            "M=0 DAC=1 DAM=00 is reserved (RFC 6282 §3.1.1)",
        )
    }
}

/// The LOWPAN_IPHC header proper (RFC 6282 §3.1–3.2), without the NHC chain.
#[inline(always)]
fn parse_header(r: &mut Reader<'_>, ctx: &ContextTable, iids: &Iids) -> Result<IphcRepr> {
    let start = r.consumed();
    let at = r.offset();
    let b0 = r.u8("IPHC dispatch")?;
    if !is_iphc(b0) {
        return Err(not_iphc(at, b0));
    }
    let enc_at = r.offset();
    let b1 = r.u8("IPHC encoding")?;
    let tf = (b0 >> 3) & 0x03;
    let nh = b0 & 0x04 != 0;
    let hlim = b0 & 0x03;
    let cid = b1 & 0x80 != 0;
    let sac = b1 & 0x40 != 0;
    let sam = (b1 >> 4) & 0x03;
    let m = b1 & 0x08 != 0;
    let dac = b1 & 0x04 != 0;
    let dam = b1 & 0x03;

    // Reserved destination modes, reported before reading further.
    if dac && ((m && dam != 0) || (!m && dam == 0)) {
        return Err(reserved_dst_mode(enc_at, m, dam));
    }

    let (sci, dci, ctx_at) = if cid {
        let o = r.offset();
        let c = r.u8("CID")?;
        (c >> 4, c & 0x0f, o)
    } else {
        (0, 0, enc_at)
    };

    let (ecn, dscp, flow_label) = match tf {
        0 => {
            let v = r.u32_be("traffic class and flow label")?;
            let b = (v >> 24) as u8;
            (b >> 6, b & 0x3f, v & 0x000f_ffff)
        }
        1 => {
            let v: [u8; 3] = r.array("ECN and flow label")?;
            let fl = (u32::from(v[0] & 0x0f) << 16) | (u32::from(v[1]) << 8) | u32::from(v[2]);
            (v[0] >> 6, 0, fl)
        }
        2 => {
            let b = r.u8("traffic class")?;
            (b >> 6, b & 0x3f, 0)
        }
        _ => (0, 0, 0),
    };
    let next_header = if nh { None } else { Some(r.u8("Next Header")?) };
    let hop_limit = match hlim {
        0 => r.u8("Hop Limit")?,
        1 => 1,
        2 => 64,
        _ => 255,
    };

    let (src, src_mode) = if sac && sam == 0 {
        (0u128, "unspecified address ::")
    } else {
        unicast(
            r,
            ctx,
            sac,
            sam,
            sci,
            iids.src,
            iids.from_ipv6,
            SRC,
            enc_at,
            ctx_at,
            "source address",
        )?
    };

    let (dst, dst_mode) = if !m {
        unicast(
            r,
            ctx,
            dac,
            dam,
            dci,
            iids.dst,
            iids.from_ipv6,
            DST,
            enc_at,
            ctx_at,
            "destination address",
        )?
    } else if !dac {
        // ffXX::… with the in-line octets at the end (RFC 6282 §3.1.1, DAM for M=1).
        let be = |v: &[u8]| v.iter().fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
        match dam {
            0 => (
                u128::from_be_bytes(r.array::<16>("destination address")?),
                "multicast, 128 bits inline",
            ),
            1 => {
                let v: [u8; 6] = r.array("destination address")?;
                (
                    (0xff << 120) | (u128::from(v[0]) << 112) | be(&v[1..]),
                    "multicast ffXX::00XX:XXXX:XXXX (48 bits)",
                )
            }
            2 => {
                let v: [u8; 4] = r.array("destination address")?;
                (
                    (0xff << 120) | (u128::from(v[0]) << 112) | be(&v[1..]),
                    "multicast ffXX::00XX:XXXX (32 bits)",
                )
            }
            _ => (
                (0xff02 << 112) | u128::from(r.u8("destination address")?),
                "multicast ff02::00XX (8 bits)",
            ),
        }
    } else {
        let mut t = r.clone();
        let res = multicast_3306(&mut t, ctx, dci, ctx_at);
        *r = t;
        let (a, m) = res?;
        (u128::from(a), m)
    };

    Ok(IphcRepr {
        tf,
        nh,
        hlim,
        cid,
        sac,
        sam,
        m,
        dac,
        dam,
        sci,
        dci,
        ecn,
        dscp,
        flow_label,
        next_header,
        hop_limit,
        src: Ipv6Addr::from(src),
        dst: Ipv6Addr::from(dst),
        src_mode,
        dst_mode,
        inline_len: r.consumed() - start,
    })
}

/// M=1 DAC=1 DAM=00: ffXX:XXLL:PPPP:PPPP:PPPP:PPPP:XXXX:XXXX (RFC 3306), X in-line in order,
/// L (prefix length, at most 64) and P (prefix) from the context.
#[inline(never)]
fn multicast_3306(
    r: &mut Reader<'_>,
    ctx: &ContextTable,
    dci: u8,
    ctx_at: usize,
) -> Result<(Ipv6Addr, &'static str)> {
    let v: [u8; 6] = r.array("destination address")?;
    let c = context(ctx, dci, DST, ctx_at)?;
    let plen = c.len.min(64);
    let mut p = [0u8; 16];
    apply_prefix(&mut p, &c.prefix.octets(), plen);
    let mut a = [0u8; 16];
    a[0] = 0xff;
    a[1] = v[0];
    a[2] = v[1];
    a[3] = plen;
    a[4..12].copy_from_slice(&p[..8]);
    a[12..16].copy_from_slice(&v[2..]);
    Ok((Ipv6Addr::from(a), ctx_mode(&CTX_3306, dci)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::addr::Context;

    const MAC_SRC: LinkAddr = LinkAddr::Extended([0x00, 0x12, 0x4b, 0x00, 0x01, 0x02, 0x03, 0x04]);
    const MAC_DST: LinkAddr = LinkAddr::Short(0xabcd);

    fn ctx() -> ContextTable {
        let mut t = ContextTable::new();
        t.set(
            0,
            Context {
                prefix: "2001:db8:1::".parse().unwrap(),
                len: 64,
            },
        );
        t.set(
            3,
            Context {
                prefix: "2001:db8:3:4:5678::".parse().unwrap(),
                len: 80,
            },
        );
        t
    }

    /// The table the compressor and the field map use is what the decoder reads: for every
    /// SAC/SAM and M/DAC/DAM, the octets it consumes after the IPHC and Next Header octets.
    #[test]
    fn address_inline_len_is_what_the_decoder_reads() {
        let mut checked = 0;
        for sac in [false, true] {
            for sam in 0..4u8 {
                for (m, dac) in [(false, false), (false, true), (true, false), (true, true)] {
                    for dam in 0..4u8 {
                        // TF=11, NH inline, HLIM=01 (64); CID=0 (context 0).
                        let b1 = u8::from(sac) << 6
                            | sam << 4
                            | u8::from(m) << 3
                            | u8::from(dac) << 2
                            | dam;
                        let mut buf = vec![0x79, b1, 59];
                        buf.extend(1..=40u8); // in-line octets, then payload
                        let want =
                            address_inline_len(sac, sam, false) + address_inline_len(dac, dam, m);
                        match decompress(&buf, 0, &ctx(), MAC_SRC, MAC_DST, None) {
                            Ok(d) => {
                                assert_eq!(
                                    d.iphc.inline_len,
                                    3 + want, // the two IPHC octets, Next Header, the addresses
                                    "{sac} {sam} {m} {dac} {dam}"
                                );
                                checked += 1;
                            }
                            // Reserved (RFC 6282 §3.1.1): M=0, DAC=1, DAM=00; M=1, DAC=1, DAM≠00.
                            Err(_) => {
                                assert!(dac && (m != (dam == 0)), "{sac} {sam} {m} {dac} {dam}")
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 2 * 4 * 12);
    }

    #[test]
    fn fully_elided_link_local_with_hlim_64() {
        let buf = [
            0x7a, // 011 TF=11 NH=0 HLIM=10 (64)
            0x33, // CID=0 SAC=0 SAM=11 M=0 DAC=0 DAM=11
            0x3a, // Next Header: ICMPv6
            0x80, 0x00, // payload
        ];
        let d = decompress(&buf, 5, &ctx(), MAC_SRC, MAC_DST, None).unwrap();
        assert_eq!(
            d.iphc.src,
            "fe80::212:4b00:102:304".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(
            d.iphc.dst,
            "fe80::ff:fe00:abcd".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(d.iphc.hop_limit, 64);
        assert_eq!(d.consumed, 3);
        assert_eq!(d.iphc.inline_len, 3);
        assert_eq!(&d.headers[..8], &[0x60, 0, 0, 0, 0x00, 0x02, 0x3a, 0x40]);
        assert_eq!(d.headers.len(), 40);
    }

    #[test]
    fn absent_link_address_names_the_field() {
        let buf = [0x7a, 0x33, 0x3a];
        let e = decompress(&buf, 9, &ctx(), LinkAddr::Absent, MAC_DST, None).unwrap_err();
        assert_eq!(e.field(), "SAM");
        assert_eq!(e.offset(), 10);
        let e = decompress(&buf, 9, &ctx(), MAC_SRC, LinkAddr::Absent, None).unwrap_err();
        assert_eq!(e.field(), "DAM");
    }

    #[test]
    fn context_prefix_longer_than_64_bits_overrides_iid() {
        let buf = [
            0x7b, // TF=11 NH=0 HLIM=11 (255)
            0xe0, // CID=1 SAC=1 SAM=10 (16 bits) M=0 DAC=0 DAM=00
            0x30, // SCI=3 DCI=0
            0x11, // Next Header: UDP (not compressed)
            0x00, 0x42, // source: 16 bits
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x09, // dst 128 bits
        ];
        let d = decompress(&buf, 0, &ctx(), MAC_SRC, MAC_DST, None).unwrap();
        // IID 0000:00ff:fe00:0042; context bits 64..80 (0x5678) override 0x0000.
        assert_eq!(
            d.iphc.src,
            "2001:db8:3:4:5678:ff:fe00:42".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(d.iphc.src_mode, "context 3, 16 bits inline");
        assert_eq!(d.iphc.dst, "2001:db8::9".parse::<Ipv6Addr>().unwrap());
    }

    #[test]
    fn unknown_context_is_named() {
        let buf = [0x7b, 0xf0, 0x50, 0x11, 0x00];
        let e = decompress(&buf, 2, &ctx(), MAC_SRC, MAC_DST, None).unwrap_err();
        assert_eq!(e.field(), "SCI");
        assert_eq!(e.offset(), 4);
        assert!(e.to_string().contains("context 5"), "{e}");
    }

    #[test]
    fn unknown_context_carries_its_number_and_names_no_option() {
        let buf = [0x7b, 0xb7, 0x07, 0x3a];
        let e = decompress(&buf, 0, &ctx(), MAC_SRC, MAC_DST, None).unwrap_err();
        assert_eq!(e.field(), "DCI");
        assert_eq!(e.detail(), Some(Detail::ContextNotConfigured { id: 7 }));
        assert_eq!(
            e.to_string(),
            "IPHC: byte 2: DCI: context 7 is not configured"
        );
        let e = decompress(&[0x7b, 0x34, 0x3a], 0, &ctx(), MAC_SRC, MAC_DST, None).unwrap_err();
        assert_eq!(e.detail(), None);
    }

    #[test]
    fn reserved_modes() {
        let e = decompress(&[0x7b, 0x0d, 0x11], 0, &ctx(), MAC_SRC, MAC_DST, None).unwrap_err();
        assert_eq!(e.field(), "M/DAC/DAM");
        assert_eq!(e.offset(), 1);
        let e = decompress(&[0x7b, 0x04, 0x11], 0, &ctx(), MAC_SRC, MAC_DST, None).unwrap_err();
        assert_eq!(e.field(), "DAC/DAM");
        let e = decompress(&[0x5b, 0x04, 0x11], 0, &ctx(), MAC_SRC, MAC_DST, None).unwrap_err();
        assert_eq!(e.field(), "IPHC dispatch");
    }

    #[test]
    fn apply_prefix_partial_byte() {
        let mut a = [0xffu8; 16];
        let mut p = [0u8; 16];
        p[0] = 0xa5;
        apply_prefix(&mut a, &p, 4);
        assert_eq!(a[0], 0xaf);
        assert_eq!(a[1], 0xff);
    }
}
