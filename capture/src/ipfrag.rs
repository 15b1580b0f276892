//! IP fragment reassembly: IPv4 (RFC 791 §3.2 "Fragmentation and Reassembly") and IPv6 (RFC 8200
//! §4.5 Fragment header), streaming and bounded.
//!
//! ```text
//! IPv6 Fragment header (RFC 8200 §4.5)
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |                         Identification                        |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! * Keys: IPv4 (source, destination, identification, protocol) as RFC 791 says; IPv6 (source,
//!   destination, identification) — RFC 8200 §4.5: the Next Header values of the fragments may
//!   differ and only the offset-zero fragment's counts.
//! * Out-of-order fragments and exact duplicates (same offset, same bytes) are accepted.
//!   Overlapping fragments reject the whole datagram, and the rest of its fragments are dropped
//!   until it expires (RFC 5722 for IPv6; the same rule for IPv4, as modern stacks do). A
//!   non-final fragment whose length is not a multiple of 8, and fragments ending past 65535,
//!   are errors too.
//! * Bounded: at most [`FragConfig::max_datagrams`] datagrams and [`FragConfig::max_bytes`]
//!   buffered octets (the oldest datagram is evicted, with a note); a datagram is forgotten
//!   [`FragConfig::timeout_ns`] of capture time after its first fragment (30 s, like Linux's
//!   `ipfrag_time`; RFC 8200 allows 60 s).
//! * Atomic fragments (IPv6 Fragment header with offset 0 and M = 0, RFC 6946) are passed
//!   through as unfragmented.
//! * A fragment the capture holds only partly (snapshot length) cannot be reassembled: error.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;

use etherparse::{
    Ipv4HeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice, Ipv6RawExtHeaderSlice,
};

use super::Timestamp;

/// A malformed IP packet, or a fragment that made its datagram invalid. Header details in
/// etherparse's words; offsets are octets from the start of the IPv6 payload where they say so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IpError {
    /// No octets at all.
    #[error("empty IP packet")]
    Empty,
    /// A version field that is neither 4 nor 6.
    #[error("IP version {version}, not 4 or 6")]
    Version { version: u8 },
    /// The IPv4 header is cut short or malformed.
    #[error("IPv4 header: {detail}")]
    Ipv4Header { detail: String },
    /// The IPv4 Total Length is below the header length.
    #[error("IPv4 total length {total} is less than the header length {header}")]
    Ipv4TotalLength { total: usize, header: usize },
    /// The IPv6 header is cut short.
    #[error("IPv6 header: {detail}")]
    Ipv6Header { detail: String },
    /// A hop-by-hop, routing or destination options header is cut short.
    #[error("IPv6 extension header {next} at payload byte {at}: {detail}")]
    Ipv6ExtHeader { next: u8, at: usize, detail: String },
    /// An Authentication Header without its first two octets.
    #[error("IPv6 Authentication Header at payload byte {at}: truncated")]
    AuthTruncated { at: usize },
    /// An Authentication Header longer than what follows it.
    #[error("IPv6 Authentication Header at payload byte {at}: {len} octets, {present} present")]
    AuthLength {
        at: usize,
        len: usize,
        present: usize,
    },
    /// A Fragment header is cut short.
    #[error("IPv6 Fragment header at payload byte {at}: {detail}")]
    Ipv6FragmentHeader { at: usize, detail: String },
    /// The extension header walk stopped after 64 headers.
    #[error("more than 64 IPv6 extension headers")]
    TooManyExtHeaders,
    /// An atomic fragment followed by a second Fragment header.
    #[error("IPv6 packet with two Fragment headers")]
    TwoFragmentHeaders,
    /// A reassembled IPv6 datagram holds another Fragment header.
    #[error("reassembled IPv6 datagram of {key} contains a second Fragment header")]
    SecondFragmentHeader { key: FragKey },
    /// This fragment makes its datagram invalid (or cannot be used); the datagram is dropped.
    #[error("IP fragment of {key}: {problem}")]
    Fragment { key: FragKey, problem: FragProblem },
}

/// Why a fragment condemns its datagram.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FragProblem {
    /// The capture cut the fragment short (snapshot length).
    #[error(
        "the capture holds only part of this fragment (snapshot length), so the datagram cannot \
         be reassembled"
    )]
    Snapped,
    /// A non-final fragment whose length is not a multiple of 8 (RFC 791, RFC 8200 §4.5).
    #[error("non-final fragment at offset {offset} carries {len} octets, not a multiple of 8")]
    NotMultipleOf8 { offset: usize, len: usize },
    /// A fragment ending past the 65535-octet maximum.
    #[error("fragment at offset {offset} ends at octet {end}, past 65535")]
    TooLong { offset: usize, end: usize },
    /// Overlapping fragments (RFC 5722).
    #[error(
        "fragment at offset {offset} (length {len}) overlaps {with}; the datagram is discarded \
         (RFC 5722)"
    )]
    Overlap {
        offset: usize,
        len: usize,
        with: Overlapped,
    },
    /// Two last fragments (M = 0) ending at different octets.
    #[error("a second last fragment ends at {end}, the first at {first}")]
    SecondLast { end: usize, first: usize },
    /// A last fragment ending before data already seen.
    #[error("the last fragment ends at {end} but data was already seen up to {seen}")]
    LastBeforeData { end: usize, seen: usize },
    /// A fragment ending past the last fragment's end.
    #[error("fragment ends at {end}, past the last fragment's end {last}")]
    PastLast { end: usize, last: usize },
}

/// What a fragment overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlapped {
    /// The octets `start..end` of a fragment stored before it.
    Octets { start: usize, end: usize },
    /// A fragment stored at this offset, after it.
    FragmentAt(usize),
}

impl fmt::Display for Overlapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Overlapped::Octets { start, end } => write!(f, "octets {start}..{end}"),
            Overlapped::FragmentAt(o) => write!(f, "a fragment at offset {o}"),
        }
    }
}

/// An IP packet's upper-layer payload, after reassembly when it was fragmented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPacket<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// The upper-layer protocol (after IPv6 extension headers): 17 UDP, 6 TCP, ...
    pub proto: u8,
    /// The upper-layer bytes (UDP header onwards, for UDP).
    pub payload: Cow<'a, [u8]>,
    /// True when the capture holds less than the IP header's length says (snapshot length).
    pub truncated: bool,
    /// How many fragments were reassembled (1 when the packet was not fragmented).
    pub fragments: usize,
}

/// Limits of a [`Reassembler`].
#[derive(Debug, Clone, Copy)]
pub struct FragConfig {
    /// Capture time after a datagram's first fragment when it is given up.
    pub timeout_ns: u64,
    /// Datagrams being reassembled at once.
    pub max_datagrams: usize,
    /// Fragment octets buffered at once.
    pub max_bytes: usize,
}

impl Default for FragConfig {
    fn default() -> Self {
        FragConfig {
            timeout_ns: 30_000_000_000,
            max_datagrams: 1024,
            max_bytes: 16 << 20,
        }
    }
}

/// What identifies the fragments of one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FragKey {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Identification (16 bits for IPv4, 32 for IPv6).
    pub id: u32,
    /// Protocol (IPv4 only; `None` for IPv6, see the module documentation).
    pub proto: Option<u8>,
}

impl fmt::Display for FragKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} > {} id 0x{:x}", self.src, self.dst, self.id)?;
        if let Some(p) = self.proto {
            write!(f, " proto {p}")?;
        }
        Ok(())
    }
}

/// A datagram being reassembled.
#[derive(Debug)]
struct Pending {
    first_ts: u64,
    first_frame: u64,
    /// Fragment data by byte offset; never overlapping.
    parts: BTreeMap<usize, Vec<u8>>,
    bytes: usize,
    /// Length of the whole payload, once the last fragment (M = 0) is seen.
    total: Option<usize>,
    /// Upper-layer protocol from the offset-zero fragment (IPv4: the header's).
    proto: Option<u8>,
    /// Set when the datagram was rejected: its later fragments are dropped silently.
    rejected: bool,
    frames: Vec<u64>,
}

/// Streaming reassembly of IPv4 and IPv6 fragments.
#[derive(Debug)]
pub struct Reassembler {
    cfg: FragConfig,
    pending: HashMap<FragKey, Pending>,
    bytes: usize,
    notes: Vec<String>,
    notes_dropped: usize,
    last_sweep: u64,
}

const MAX_NOTES: usize = 1000;
const MAX_PAYLOAD: usize = 65535;

/// One fragment, parsed.
struct Frag<'a> {
    key: FragKey,
    offset: usize,
    more: bool,
    data: &'a [u8],
    /// Upper-layer protocol as this fragment states it.
    proto: u8,
    truncated: bool,
}

enum Parsed<'a> {
    Whole(IpPacket<'a>),
    Fragment(Frag<'a>),
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new(FragConfig::default())
    }
}

impl Reassembler {
    /// A reassembler with these limits.
    pub fn new(cfg: FragConfig) -> Self {
        Reassembler {
            cfg,
            pending: HashMap::new(),
            bytes: 0,
            notes: Vec::new(),
            notes_dropped: 0,
            last_sweep: 0,
        }
    }

    /// Datagrams being reassembled.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Fragment octets buffered.
    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// One IP packet (from its IPv4/IPv6 header) of frame `frame` captured at `ts`.
    ///
    /// `Ok(Some)`: an unfragmented packet (borrowed) or a datagram this fragment completed
    /// (owned). `Ok(None)`: a fragment was stored (or was a duplicate, or belongs to a rejected
    /// datagram). `Err`: the packet is malformed, or this fragment made its datagram invalid.
    pub fn push<'a>(
        &mut self,
        frame: u64,
        ts: Timestamp,
        ip: &'a [u8],
    ) -> Result<Option<IpPacket<'a>>, IpError> {
        let now = ts.as_nanos();
        self.sweep(now);
        let frag = match parse(ip)? {
            Parsed::Whole(p) => return Ok(Some(p)),
            Parsed::Fragment(f) => f,
        };
        self.fragment(frame, now, frag)
    }

    /// The sweep [`Reassembler::push`] makes before reading a packet, for a caller that read a
    /// whole (unfragmented) packet itself.
    pub(crate) fn sweep_at(&mut self, ts: Timestamp) {
        self.sweep(ts.as_nanos());
    }

    /// Notes on what went wrong without an error (expired or evicted datagrams), and every
    /// datagram still incomplete; clears the state.
    pub fn finish(&mut self) -> Vec<String> {
        let mut left: Vec<(FragKey, Pending)> = self.pending.drain().collect();
        left.sort_by_key(|(_, p)| p.first_frame);
        for (k, p) in left {
            if !p.rejected {
                let n = describe(&k, &p, "never completed");
                self.note(n);
            }
        }
        self.bytes = 0;
        let mut out = std::mem::take(&mut self.notes);
        if self.notes_dropped > 0 {
            out.push(format!(
                "... and {} more IP reassembly notes",
                self.notes_dropped
            ));
            self.notes_dropped = 0;
        }
        out
    }

    fn note(&mut self, n: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(n);
        } else {
            self.notes_dropped += 1;
        }
    }

    /// Forgets datagrams older than the timeout (at most once per capture second).
    fn sweep(&mut self, now: u64) {
        if now < self.last_sweep.saturating_add(1_000_000_000) && now >= self.last_sweep {
            return;
        }
        self.last_sweep = now;
        if self.pending.is_empty() {
            // Nothing to expire (the usual case): no list of expired keys to build.
            return;
        }
        let timeout = self.cfg.timeout_ns;
        let mut expired: Vec<FragKey> = self
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.first_ts) > timeout)
            .map(|(k, _)| *k)
            .collect();
        expired.sort_by_key(|k| self.pending.get(k).map(|p| p.first_frame));
        for k in expired {
            if let Some(p) = self.pending.remove(&k) {
                self.bytes = self.bytes.saturating_sub(p.bytes);
                if !p.rejected {
                    let n = describe(
                        &k,
                        &p,
                        &format!("expired after {} s", timeout / 1_000_000_000),
                    );
                    self.note(n);
                }
            }
        }
    }

    /// Drops `key`'s datagram: it is kept (without data) as rejected, so later fragments go.
    fn reject(&mut self, key: &FragKey) {
        if let Some(p) = self.pending.get_mut(key) {
            self.bytes = self.bytes.saturating_sub(p.bytes);
            p.parts.clear();
            p.bytes = 0;
            p.rejected = true;
        }
    }

    fn fragment<'a>(
        &mut self,
        frame: u64,
        now: u64,
        f: Frag<'a>,
    ) -> Result<Option<IpPacket<'a>>, IpError> {
        let key = f.key;
        let end = f.offset + f.data.len();
        if self.pending.get(&key).is_some_and(|p| p.rejected) {
            return Ok(None);
        }
        // Errors that condemn the datagram.
        let fatal = if f.truncated {
            Some(FragProblem::Snapped)
        } else if f.more && f.data.len() % 8 != 0 {
            Some(FragProblem::NotMultipleOf8 {
                offset: f.offset,
                len: f.data.len(),
            })
        } else if end > MAX_PAYLOAD {
            Some(FragProblem::TooLong {
                offset: f.offset,
                end,
            })
        } else {
            None
        };
        if !self.pending.contains_key(&key) {
            self.make_room(f.data.len());
            self.pending.insert(
                key,
                Pending {
                    first_ts: now,
                    first_frame: frame,
                    parts: BTreeMap::new(),
                    bytes: 0,
                    total: None,
                    proto: None,
                    rejected: false,
                    frames: Vec::new(),
                },
            );
        }
        if let Some(problem) = fatal {
            self.reject(&key);
            return Err(IpError::Fragment { key, problem });
        }
        let Some(p) = self.pending.get_mut(&key) else {
            return Ok(None);
        };
        // Duplicates and overlaps.
        if let Some(existing) = p.parts.get(&f.offset) {
            if existing.as_slice() == f.data {
                return Ok(None);
            }
        }
        let before = p
            .parts
            .range(..=f.offset)
            .next_back()
            .map(|(o, d)| (*o, o + d.len()));
        let after = p.parts.range(f.offset + 1..).next().map(|(o, _)| *o);
        let overlap = match (before, after) {
            (Some((start, end)), _) if start == f.offset || end > f.offset => {
                Some(Overlapped::Octets { start, end })
            }
            (_, Some(o)) if o < end => Some(Overlapped::FragmentAt(o)),
            _ => None,
        };
        let bad_total = match (f.more, p.total) {
            (false, Some(first)) if first != end => Some(FragProblem::SecondLast { end, first }),
            (false, None) => p
                .parts
                .iter()
                .next_back()
                .map(|(o, d)| o + d.len())
                .filter(|&seen| seen > end)
                .map(|seen| FragProblem::LastBeforeData { end, seen }),
            (true, Some(last)) if end > last => Some(FragProblem::PastLast { end, last }),
            _ => None,
        };
        let overlap = overlap.map(|with| FragProblem::Overlap {
            offset: f.offset,
            len: f.data.len(),
            with,
        });
        if let Some(problem) = overlap.or(bad_total) {
            self.reject(&key);
            return Err(IpError::Fragment { key, problem });
        }
        if f.offset == 0 {
            p.proto = Some(f.proto);
        }
        if !f.more {
            p.total = Some(end);
        }
        p.parts.insert(f.offset, f.data.to_vec());
        p.bytes += f.data.len();
        p.frames.push(frame);
        self.bytes += f.data.len();
        // Complete?
        let Some(total) = p.total else {
            return Ok(None);
        };
        let mut reach = 0;
        for (o, d) in &p.parts {
            if *o > reach {
                return Ok(None);
            }
            reach = reach.max(o + d.len());
        }
        if reach != total {
            return Ok(None);
        }
        let Some(p) = self.pending.remove(&key) else {
            return Ok(None);
        };
        self.bytes = self.bytes.saturating_sub(p.bytes);
        let mut payload = Vec::with_capacity(total);
        for d in p.parts.values() {
            payload.extend_from_slice(d);
        }
        let fragments = p.parts.len();
        let proto = p.proto.unwrap_or(f.proto);
        // IPv6: the fragmentable part may start with extension headers (RFC 8200 §4.5).
        let (proto, skip) = if key.proto.is_none() {
            match ipv6_exts(proto, &payload)? {
                (_, _, Some(_)) => return Err(IpError::SecondFragmentHeader { key }),
                (proto, skip, None) => (proto, skip),
            }
        } else {
            (proto, 0)
        };
        payload.drain(..skip);
        Ok(Some(IpPacket {
            src: key.src,
            dst: key.dst,
            proto,
            payload: Cow::Owned(payload),
            truncated: false,
            fragments,
        }))
    }

    /// Evicts the oldest datagrams until one more of `len` octets fits.
    fn make_room(&mut self, len: usize) {
        while !self.pending.is_empty()
            && (self.pending.len() >= self.cfg.max_datagrams
                || self.bytes + len > self.cfg.max_bytes)
        {
            let Some(oldest) = self
                .pending
                .iter()
                .min_by_key(|(_, p)| (p.first_ts, p.first_frame))
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some(p) = self.pending.remove(&oldest) {
                self.bytes = self.bytes.saturating_sub(p.bytes);
                if !p.rejected {
                    let n = describe(&oldest, &p, "evicted (reassembly limits reached)");
                    self.note(n);
                }
            }
        }
    }
}

fn describe(k: &FragKey, p: &Pending, what: &str) -> String {
    let have = p.bytes;
    let total = p.total.map_or_else(
        || "unknown (last fragment missing)".to_string(),
        |t| t.to_string(),
    );
    let frames: Vec<String> = p.frames.iter().take(8).map(u64::to_string).collect();
    format!(
        "IP datagram {k} (first fragment in frame {}) {what}: {have} octets of {total} seen in {} fragment(s), frames {}{}",
        p.first_frame,
        p.parts.len(),
        frames.join(","),
        if p.frames.len() > 8 { ",..." } else { "" }
    )
}

/// Splits an IP packet into header facts and payload.
fn parse(ip: &[u8]) -> Result<Parsed<'_>, IpError> {
    match ip.first().map(|b| b >> 4) {
        Some(4) => parse_v4(ip),
        Some(6) => parse_v6(ip),
        Some(version) => Err(IpError::Version { version }),
        None => Err(IpError::Empty),
    }
}

fn parse_v4(ip: &[u8]) -> Result<Parsed<'_>, IpError> {
    let h = Ipv4HeaderSlice::from_slice(ip).map_err(|e| IpError::Ipv4Header {
        detail: e.to_string(),
    })?;
    let hlen = h.slice().len();
    let total = usize::from(h.total_len());
    if total < hlen {
        return Err(IpError::Ipv4TotalLength {
            total,
            header: hlen,
        });
    }
    let truncated = total > ip.len();
    let payload = ip.get(hlen..total.min(ip.len())).unwrap_or_default();
    let src = IpAddr::V4(h.source_addr());
    let dst = IpAddr::V4(h.destination_addr());
    let proto = h.protocol().0;
    let offset = usize::from(h.fragments_offset().byte_offset());
    let more = h.more_fragments();
    if offset == 0 && !more {
        return Ok(Parsed::Whole(IpPacket {
            src,
            dst,
            proto,
            payload: Cow::Borrowed(payload),
            truncated,
            fragments: 1,
        }));
    }
    Ok(Parsed::Fragment(Frag {
        key: FragKey {
            src,
            dst,
            id: u32::from(h.identification()),
            proto: Some(proto),
        },
        offset,
        more,
        data: payload,
        proto,
        truncated,
    }))
}

/// Walks IPv6 extension headers from `next` over `data`: returns the upper-layer protocol, the
/// octets the extension headers take, and the Fragment header if one was met (the walk stops
/// right after it).
fn ipv6_exts(
    mut next: u8,
    data: &[u8],
) -> Result<(u8, usize, Option<Ipv6FragmentHeaderSlice<'_>>), IpError> {
    let mut at = 0;
    // At most a few dozen headers fit in 65535 octets; bound the walk anyway.
    for _ in 0..64 {
        let rest = data.get(at..).unwrap_or_default();
        match next {
            0 | 43 | 60 => {
                let h = Ipv6RawExtHeaderSlice::from_slice(rest).map_err(|e| {
                    IpError::Ipv6ExtHeader {
                        next,
                        at,
                        detail: e.to_string(),
                    }
                })?;
                next = h.next_header().0;
                at += h.slice().len();
            }
            51 => {
                // Authentication Header: Payload Len in 4-octet units, minus 2 (RFC 4302 §2.2).
                let Some(&[nh, len]) = rest.get(..2) else {
                    return Err(IpError::AuthTruncated { at });
                };
                let l = (usize::from(len) + 2) * 4;
                if rest.len() < l {
                    return Err(IpError::AuthLength {
                        at,
                        len: l,
                        present: rest.len(),
                    });
                }
                next = nh;
                at += l;
            }
            44 => {
                let h = Ipv6FragmentHeaderSlice::from_slice(rest).map_err(|e| {
                    IpError::Ipv6FragmentHeader {
                        at,
                        detail: e.to_string(),
                    }
                })?;
                let nh = h.next_header().0;
                return Ok((nh, at + 8, Some(h)));
            }
            p => return Ok((p, at, None)),
        }
    }
    Err(IpError::TooManyExtHeaders)
}

fn parse_v6(ip: &[u8]) -> Result<Parsed<'_>, IpError> {
    let h = Ipv6HeaderSlice::from_slice(ip).map_err(|e| IpError::Ipv6Header {
        detail: e.to_string(),
    })?;
    let plen = usize::from(h.payload_length());
    let body = ip.get(40..).unwrap_or_default();
    // Payload length 0: a jumbogram (RFC 2675) or an unset length: take what was captured.
    let (body, truncated) = if plen == 0 {
        (body, false)
    } else {
        (body.get(..plen).unwrap_or(body), plen > body.len())
    };
    let src = IpAddr::V6(h.source_addr());
    let dst = IpAddr::V6(h.destination_addr());
    let (proto, skip, frag) = ipv6_exts(h.next_header().0, body)?;
    let payload = body.get(skip..).unwrap_or_default();
    match frag {
        Some(f) if f.is_fragmenting_payload() => Ok(Parsed::Fragment(Frag {
            key: FragKey {
                src,
                dst,
                id: f.identification(),
                proto: None,
            },
            offset: usize::from(f.fragment_offset().byte_offset()),
            more: f.more_fragments(),
            data: payload,
            proto,
            truncated,
        })),
        Some(_) => {
            // Atomic fragment: the rest may hold more extension headers.
            let (proto, skip2, again) = ipv6_exts(proto, payload)?;
            if again.is_some() {
                return Err(IpError::TwoFragmentHeaders);
            }
            let payload = payload.get(skip2..).unwrap_or_default();
            Ok(Parsed::Whole(IpPacket {
                src,
                dst,
                proto,
                payload: Cow::Borrowed(payload),
                truncated,
                fragments: 1,
            }))
        }
        None => Ok(Parsed::Whole(IpPacket {
            src,
            dst,
            proto,
            payload: Cow::Borrowed(payload),
            truncated,
            fragments: 1,
        })),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod tests {
    use super::*;
    use etherparse::{IpNumber, Ipv4Header, Ipv6FragmentHeader, Ipv6Header, PacketBuilder};

    pub(crate) fn ts(secs: u64) -> Timestamp {
        Timestamp { secs, nanos: 0 }
    }

    /// A UDP datagram (header + payload) as one IPv4 packet, built by etherparse.
    pub(crate) fn udp4(payload: &[u8], sport: u16, dport: u16) -> Vec<u8> {
        let b = PacketBuilder::ipv4([192, 0, 2, 1], [198, 51, 100, 2], 64).udp(sport, dport);
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        v
    }

    /// Splits an IPv4/UDP packet built by [`udp4`] into fragments of `chunk` payload octets
    /// (a multiple of 8), with identification `id`.
    pub(crate) fn fragment4(packet: &[u8], id: u16, chunk: usize) -> Vec<Vec<u8>> {
        let h = Ipv4HeaderSlice::from_slice(packet).unwrap().to_header();
        let data = &packet[20..];
        let mut out = Vec::new();
        let mut off = 0;
        while off < data.len() {
            let end = (off + chunk).min(data.len());
            let mut fh: Ipv4Header = h.clone();
            fh.identification = id;
            fh.more_fragments = end < data.len();
            fh.fragment_offset = etherparse::IpFragOffset::try_new((off / 8) as u16).unwrap();
            fh.set_payload_len(end - off).unwrap();
            fh.header_checksum = fh.calc_header_checksum();
            let mut v = fh.to_bytes().to_vec();
            v.extend_from_slice(&data[off..end]);
            out.push(v);
            off = end;
        }
        out
    }

    /// The same for IPv6: each fragment is IPv6 header + Fragment header + a slice of the
    /// original payload (UDP header onwards).
    fn fragment6(payload_with_udp: &[u8], id: u32, chunk: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut off = 0;
        while off < payload_with_udp.len() {
            let end = (off + chunk).min(payload_with_udp.len());
            let fh = Ipv6FragmentHeader::new(
                IpNumber::UDP,
                etherparse::IpFragOffset::try_new((off / 8) as u16).unwrap(),
                end < payload_with_udp.len(),
                id,
            );
            let h = Ipv6Header {
                traffic_class: 0,
                flow_label: Default::default(),
                payload_length: (8 + end - off) as u16,
                next_header: IpNumber::IPV6_FRAGMENTATION_HEADER,
                hop_limit: 64,
                source: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                destination: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            };
            let mut v = h.to_bytes().to_vec();
            v.extend_from_slice(&fh.to_bytes());
            v.extend_from_slice(&payload_with_udp[off..end]);
            out.push(v);
            off = end;
        }
        out
    }

    fn udp_bytes(payload: &[u8]) -> Vec<u8> {
        let mut v = 4500u16.to_be_bytes().to_vec(); // source port
        v.extend(4500u16.to_be_bytes()); // destination port
        v.extend(((8 + payload.len()) as u16).to_be_bytes()); // length
        v.extend([0, 0]); // checksum
        v.extend_from_slice(payload);
        v
    }

    fn body(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 3) as u8).collect()
    }

    #[test]
    fn unfragmented_passes_through_borrowed() {
        let p = udp4(b"hello", 500, 500);
        let mut r = Reassembler::default();
        let got = r.push(1, ts(0), &p).unwrap().unwrap();
        assert!(matches!(got.payload, Cow::Borrowed(_)));
        assert_eq!((got.proto, got.fragments, got.payload.len()), (17, 1, 13));
        assert_eq!(got.src, "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn ipv4_out_of_order_and_duplicates() {
        let data = body(3000);
        let p = udp4(&data, 4500, 4500);
        let frags = fragment4(&p, 0x1b1e, 1480);
        assert_eq!(frags.len(), 3);
        let mut r = Reassembler::default();
        assert!(r.push(1, ts(0), &frags[2]).unwrap().is_none());
        assert!(r.push(2, ts(0), &frags[0]).unwrap().is_none());
        assert!(
            r.push(3, ts(0), &frags[0]).unwrap().is_none(),
            "exact duplicate ignored"
        );
        assert_eq!(r.pending(), 1);
        let got = r.push(4, ts(1), &frags[1]).unwrap().unwrap();
        assert_eq!(got.fragments, 3);
        assert_eq!(&got.payload[..], &p[20..]);
        assert_eq!(r.pending(), 0);
        assert_eq!(r.buffered_bytes(), 0);
        // A late duplicate starts a new datagram that never completes: reported at finish.
        assert!(r.push(5, ts(2), &frags[1]).unwrap().is_none());
        let notes = r.finish();
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("never completed") && notes[0].contains("id 0x1b1e"),
            "{notes:?}"
        );
    }

    #[test]
    fn ipv4_key_includes_protocol_and_addresses() {
        let p = udp4(&body(100), 4500, 4500);
        let f = fragment4(&p, 7, 56);
        let mut other = f[1].clone();
        other[9] = 6; // protocol TCP: a different datagram
        let mut r = Reassembler::default();
        assert!(r.push(1, ts(0), &f[0]).unwrap().is_none());
        assert!(r.push(2, ts(0), &other).unwrap().is_none());
        assert_eq!(r.pending(), 2);
        assert!(r.push(3, ts(0), &f[1]).unwrap().is_some());
    }

    #[test]
    fn overlap_rejects_the_datagram() {
        let p = udp4(&body(200), 4500, 4500);
        let f = fragment4(&p, 9, 64);
        let mut r = Reassembler::default();
        r.push(1, ts(0), &f[0]).unwrap();
        // A fragment at offset 32 of 64 octets overlaps the first (0..64).
        let mut h = Ipv4HeaderSlice::from_slice(&f[1]).unwrap().to_header();
        h.fragment_offset = etherparse::IpFragOffset::try_new(4).unwrap();
        let mut bad = h.to_bytes().to_vec();
        bad.extend_from_slice(&f[1][20..]);
        let e = r.push(2, ts(0), &bad).unwrap_err().to_string();
        assert!(e.contains("overlaps") && e.contains("offset 32"), "{e}");
        // The rest of that datagram is dropped silently, and it never completes.
        for (i, x) in f.iter().enumerate().skip(1) {
            assert!(r.push(3 + i as u64, ts(0), x).unwrap().is_none());
        }
        assert_eq!(r.buffered_bytes(), 0);
        // Same offset, different bytes: also an overlap.
        let mut r = Reassembler::default();
        r.push(1, ts(0), &f[1]).unwrap();
        let mut changed = f[1].clone();
        changed[30] ^= 0xff;
        assert!(r
            .push(2, ts(0), &changed)
            .unwrap_err()
            .to_string()
            .contains("overlaps"));
    }

    #[test]
    fn bad_fragment_lengths() {
        let p = udp4(&body(100), 4500, 4500);
        let f = fragment4(&p, 11, 64);
        // Cut the first (non-final) fragment to 60 octets of data, fixing its total length.
        let mut h = Ipv4HeaderSlice::from_slice(&f[0]).unwrap().to_header();
        h.set_payload_len(60).unwrap();
        let mut odd = h.to_bytes().to_vec();
        odd.extend_from_slice(&f[0][20..80]);
        let mut r = Reassembler::default();
        let e = r.push(1, ts(0), &odd).unwrap_err().to_string();
        assert!(e.contains("not a multiple of 8"), "{e}");
        // A fragment the capture cut short.
        let mut r = Reassembler::default();
        let e = r.push(1, ts(0), &f[0][..50]).unwrap_err().to_string();
        assert!(e.contains("snapshot length"), "{e}");
    }

    #[test]
    fn expiry_by_capture_time_and_limits() {
        let p = udp4(&body(100), 4500, 4500);
        let f = fragment4(&p, 12, 64);
        let mut r = Reassembler::default();
        r.push(1, ts(100), &f[0]).unwrap();
        // 31 s later the first fragment is gone: the second alone cannot complete.
        assert!(r.push(2, ts(131), &f[1]).unwrap().is_none());
        let notes = r.finish();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(
            notes[0].contains("expired after 30 s") && notes[0].contains("frame 1"),
            "{notes:?}"
        );
        assert!(notes[1].contains("never completed"), "{notes:?}");

        let mut r = Reassembler::new(FragConfig {
            max_datagrams: 2,
            ..FragConfig::default()
        });
        for id in 0..5u16 {
            let f = fragment4(&p, id, 64);
            r.push(u64::from(id), ts(0), &f[0]).unwrap();
        }
        assert_eq!(r.pending(), 2);
        let notes = r.finish();
        assert_eq!(
            notes.iter().filter(|n| n.contains("evicted")).count(),
            3,
            "{notes:?}"
        );
    }

    #[test]
    fn ipv6_fragments_out_of_order() {
        let data = body(2500);
        let udp = udp_bytes(&data);
        let frags = fragment6(&udp, 0xdead_beef, 1232);
        assert_eq!(frags.len(), 3);
        let mut r = Reassembler::default();
        assert!(r.push(1, ts(0), &frags[1]).unwrap().is_none());
        assert!(r.push(2, ts(0), &frags[2]).unwrap().is_none());
        assert!(r.push(3, ts(0), &frags[2]).unwrap().is_none());
        let got = r.push(4, ts(0), &frags[0]).unwrap().unwrap();
        assert_eq!(got.proto, 17);
        assert_eq!(&got.payload[..], &udp[..]);
        assert_eq!(got.dst, "2001:db8::2".parse::<IpAddr>().unwrap());

        // Overlap in IPv6.
        let mut r = Reassembler::default();
        r.push(1, ts(0), &frags[0]).unwrap();
        let mut bad = frags[1].clone();
        bad[42..44].copy_from_slice(&((1224u16 / 8) << 3).to_be_bytes()); // offset 1224 < 1232
        assert!(r
            .push(2, ts(0), &bad)
            .unwrap_err()
            .to_string()
            .contains("overlaps"));
    }

    #[test]
    fn ipv6_atomic_fragment_is_whole() {
        let udp = udp_bytes(b"x");
        let frags = fragment6(&udp, 5, 1232);
        assert_eq!(frags.len(), 1);
        let mut r = Reassembler::default();
        let got = r.push(1, ts(0), &frags[0]).unwrap().unwrap();
        assert_eq!((got.proto, &got.payload[..]), (17, &udp[..]));
        assert_eq!(r.pending(), 0);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut r = Reassembler::default();
        assert!(r.push(1, ts(0), &[]).is_err());
        assert!(r.push(1, ts(0), &[0x45, 0, 0]).is_err());
        assert!(r.push(1, ts(0), &[0x60; 39]).is_err());
        let mut seed = 7u32;
        let p = udp4(&body(300), 4500, 4500);
        for f in fragment4(&p, 3, 128).iter().cycle().take(3000) {
            let mut g = f.clone();
            for _ in 0..2 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let i = (seed as usize >> 8) % g.len();
                g[i] = (seed >> 24) as u8;
            }
            let _ = r.push(1, ts(0), &g);
        }
        assert!(r.buffered_bytes() <= FragConfig::default().max_bytes);
    }
}
