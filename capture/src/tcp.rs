//! TCP stream reassembly, one direction at a time (keyed by source and destination socket
//! addresses), in sequence-number order (RFC 9293 §3.4, modulo-2³² comparisons).
//!
//! * A SYN fixes the initial sequence number: data starts at ISN + 1. A repeated SYN with the
//!   same ISN is a retransmission; a SYN with another ISN starts a new connection on the same
//!   4-tuple (the old state is dropped, with a note if data was still waiting).
//! * Without a SYN (the capture starts mid-stream) the first data segment seen fixes where the
//!   stream starts; [`Delivery::midstream`] says so.
//! * Retransmissions (fully old data) are dropped; partial overlaps are trimmed; out-of-order
//!   segments wait until the hole before them is filled.
//! * Bounded: per stream at most [`TcpConfig::max_stream_buffer`] octets wait; past that the
//!   hole is given up and the stream resumes after it ([`Delivery::gap_before`] says how many
//!   octets are missing). All streams together hold at most [`TcpConfig::max_total_buffer`]
//!   (further out-of-order data is dropped, with a note); at most [`TcpConfig::max_streams`]
//!   directions are tracked (least recently used evicted). Segments more than
//!   [`TcpConfig::max_window`] ahead are ignored as out of window.
//! * A segment the capture holds only partly (snapshot length) delivers what it has; the missing
//!   tail becomes a gap.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

/// Limits of a [`TcpReassembler`].
#[derive(Debug, Clone, Copy)]
pub struct TcpConfig {
    /// Out-of-order octets one direction may hold.
    pub max_stream_buffer: usize,
    /// Out-of-order octets all directions may hold together.
    pub max_total_buffer: usize,
    /// Directions tracked at once.
    pub max_streams: usize,
    /// How far ahead of the next expected octet a segment may start.
    pub max_window: u64,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            max_stream_buffer: 1 << 20,
            max_total_buffer: 64 << 20,
            max_streams: 4096,
            max_window: 16 << 20,
        }
    }
}

/// One TCP segment, as the caller parsed it.
#[derive(Debug, Clone, Copy)]
pub struct Segment<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence Number.
    pub seq: u32,
    /// SYN flag.
    pub syn: bool,
    /// ACK flag.
    pub ack: bool,
    /// FIN flag.
    pub fin: bool,
    /// RST flag.
    pub rst: bool,
    /// The captured payload.
    pub payload: &'a [u8],
    /// The payload's length on the wire (≥ `payload.len()`; more when the capture was cut).
    pub wire_len: usize,
}

/// Stream bytes that became available, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery<'a> {
    /// The bytes.
    pub bytes: Cow<'a, [u8]>,
    /// Octets of the stream that were never seen, just before these (0: contiguous).
    pub gap_before: u64,
    /// Offset of the first byte in this direction's stream (0 = the byte after the SYN, or
    /// the first byte seen when the capture started mid-stream).
    pub stream_offset: u64,
    /// `Some(true)` when this direction sent the SYN (opened the connection), `Some(false)`
    /// when it sent the SYN-ACK, `None` when no SYN was seen.
    pub from_initiator: Option<bool>,
    /// True when no SYN was seen: the stream's start is unknown.
    pub midstream: bool,
}

#[derive(Debug)]
struct Stream {
    /// Sequence number of the next in-order octet.
    next_seq: u32,
    /// Stream offset of the next in-order octet.
    delivered: u64,
    /// Out-of-order data by stream offset.
    ooo: BTreeMap<u64, Vec<u8>>,
    buffered: usize,
    isn: Option<u32>,
    initiator: Option<bool>,
    midstream: bool,
    /// Octets skipped since the last delivery.
    pending_gap: u64,
    fin: bool,
    last_used: u64,
}

/// Streaming TCP reassembly of every direction seen.
#[derive(Debug, Default)]
pub struct TcpReassembler {
    cfg: TcpConfig,
    streams: HashMap<(SocketAddr, SocketAddr), Stream>,
    total_buffered: usize,
    clock: u64,
    notes: Vec<String>,
    notes_dropped: usize,
}

const MAX_NOTES: usize = 1000;

impl TcpReassembler {
    /// A reassembler with these limits.
    pub fn new(cfg: TcpConfig) -> Self {
        TcpReassembler {
            cfg,
            ..Default::default()
        }
    }

    /// Directions tracked.
    pub fn streams(&self) -> usize {
        self.streams.len()
    }

    /// Out-of-order octets held.
    pub fn buffered(&self) -> usize {
        self.total_buffered
    }

    fn note(&mut self, n: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(n);
        } else {
            self.notes_dropped += 1;
        }
    }

    /// Notes gathered so far (gaps, dropped data) and on every direction that still holds data
    /// after a hole; clears the state.
    pub fn finish(&mut self) -> Vec<String> {
        let mut left: Vec<_> = self.streams.drain().collect();
        left.sort_by_key(|(k, _)| *k);
        for ((src, dst), s) in left {
            if s.buffered > 0 {
                let first = s.ooo.keys().next().copied().unwrap_or(s.delivered);
                self.note(format!(
                    "TCP {src} > {dst}: {} octet(s) never delivered: a hole of {} octet(s) at \
                     stream offset {} was never filled",
                    s.buffered,
                    first.saturating_sub(s.delivered),
                    s.delivered
                ));
            }
        }
        self.total_buffered = 0;
        let mut out = std::mem::take(&mut self.notes);
        if self.notes_dropped > 0 {
            out.push(format!(
                "... and {} more TCP reassembly notes",
                self.notes_dropped
            ));
            self.notes_dropped = 0;
        }
        out
    }

    fn drop_stream(&mut self, key: &(SocketAddr, SocketAddr), why: &str) {
        if let Some(s) = self.streams.remove(key) {
            self.total_buffered = self.total_buffered.saturating_sub(s.buffered);
            if s.buffered > 0 {
                self.note(format!(
                    "TCP {} > {}: {} out-of-order octet(s) discarded ({why})",
                    key.0, key.1, s.buffered
                ));
            }
        }
    }

    /// Evicts the least recently used directions (closed ones first) to make room for one.
    fn make_room(&mut self) {
        while self.streams.len() >= self.cfg.max_streams.max(1) {
            let Some(k) = self
                .streams
                .iter()
                .min_by_key(|(_, s)| (!s.fin, s.last_used))
                .map(|(k, _)| *k)
            else {
                break;
            };
            self.drop_stream(&k, "too many TCP streams; least recently used evicted");
        }
    }

    /// Feeds one segment; returns the bytes it made available in its direction, if any.
    pub fn push<'a>(&mut self, seg: Segment<'a>) -> Option<Delivery<'a>> {
        self.clock += 1;
        let key = (seg.src, seg.dst);
        if seg.rst {
            self.drop_stream(&key, "RST");
            self.drop_stream(&(seg.dst, seg.src), "RST");
            return None;
        }
        if seg.syn {
            let same = self
                .streams
                .get(&key)
                .is_some_and(|s| s.isn == Some(seg.seq));
            if !same {
                self.drop_stream(&key, "new SYN with another initial sequence number");
                self.make_room();
                self.streams.insert(
                    key,
                    Stream {
                        next_seq: seg.seq.wrapping_add(1),
                        delivered: 0,
                        ooo: BTreeMap::new(),
                        buffered: 0,
                        isn: Some(seg.seq),
                        initiator: Some(!seg.ack),
                        midstream: false,
                        pending_gap: 0,
                        fin: false,
                        last_used: self.clock,
                    },
                );
            }
        }
        // Data of a SYN segment (TCP Fast Open) starts at ISN + 1.
        let data_seq = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let captured = seg.payload;
        let wire_len = seg.wire_len.max(captured.len());
        if wire_len == 0 {
            if seg.fin {
                if let Some(s) = self.streams.get_mut(&key) {
                    s.fin = true;
                }
            }
            return None;
        }
        if !self.streams.contains_key(&key) {
            self.make_room();
            self.streams.insert(
                key,
                Stream {
                    next_seq: data_seq,
                    delivered: 0,
                    ooo: BTreeMap::new(),
                    buffered: 0,
                    isn: None,
                    initiator: None,
                    midstream: true,
                    pending_gap: 0,
                    fin: false,
                    last_used: self.clock,
                },
            );
        }
        let cfg = self.cfg;
        let total_room = cfg.max_total_buffer.saturating_sub(self.total_buffered);
        let clock = self.clock;
        let s = self.streams.get_mut(&key)?;
        s.last_used = clock;
        if seg.fin {
            s.fin = true;
        }
        let rel = i64::from(data_seq.wrapping_sub(s.next_seq) as i32);
        let start = s.delivered as i64 + rel;
        let end = start + wire_len as i64;
        if end <= s.delivered as i64 {
            return None; // retransmission of delivered data
        }
        if start < 0 {
            return None; // before the stream's start
        }
        let start = start as u64;
        if start > s.delivered {
            // Out of order: wait for the hole to fill.
            if start - s.delivered > cfg.max_window {
                let n = format!(
                    "TCP {} > {}: segment {} octet(s) ahead of the next expected octet ignored \
                     (out of window)",
                    seg.src,
                    seg.dst,
                    start - s.delivered
                );
                self.note(n);
                return None;
            }
            if captured.len() > total_room {
                let n = format!(
                    "TCP {} > {}: {} out-of-order octet(s) dropped (all streams' buffers full)",
                    seg.src,
                    seg.dst,
                    captured.len()
                );
                self.note(n);
                return None;
            }
            let mut added = 0usize;
            let keep = match s.ooo.get(&start) {
                Some(old) => old.len() < captured.len(),
                None => true,
            };
            if keep {
                let old = s
                    .ooo
                    .insert(start, captured.to_vec())
                    .map_or(0, |o| o.len());
                added = captured.len() - old;
                s.buffered += added;
            }
            let over = s.buffered > cfg.max_stream_buffer;
            self.total_buffered += added;
            if !over {
                return None;
            }
            // Give up the hole: resume at the first buffered segment.
            let s = self.streams.get_mut(&key)?;
            let first = s.ooo.keys().next().copied().unwrap_or(s.delivered);
            let skipped = first.saturating_sub(s.delivered);
            s.pending_gap += skipped;
            s.next_seq = s.next_seq.wrapping_add(skipped as u32);
            s.delivered = first;
            let (bytes, freed) = Self::drain(s, Vec::new());
            self.total_buffered = self.total_buffered.saturating_sub(freed);
            let n = format!(
                "TCP {} > {}: hole of {skipped} octet(s) given up (stream buffer limit)",
                seg.src, seg.dst
            );
            self.note(n);
            let s = self.streams.get_mut(&key)?;
            return Some(Self::deliver(s, Cow::Owned(bytes)));
        }
        // In order (possibly overlapping what was delivered): trim the front.
        let trim = usize::try_from(s.delivered - start).unwrap_or(usize::MAX);
        let fresh = captured.get(trim..).unwrap_or_default();
        let fresh_len = fresh.len();
        let missing_tail = wire_len.saturating_sub(trim.max(captured.len()));
        let offset = s.delivered;
        s.delivered += fresh_len as u64;
        s.next_seq = s.next_seq.wrapping_add(fresh_len as u32);
        let out = if s.ooo.is_empty() || missing_tail > 0 {
            Cow::Borrowed(fresh)
        } else {
            let (rest, freed) = Self::drain(s, fresh.to_vec());
            self.total_buffered = self.total_buffered.saturating_sub(freed);
            Cow::Owned(rest)
        };
        let s = self.streams.get_mut(&key)?;
        let d = Self::deliver_at(s, out, offset);
        if missing_tail > 0 {
            // The capture cut this segment: the rest of it is a gap.
            s.pending_gap += missing_tail as u64;
            s.delivered += missing_tail as u64;
            s.next_seq = s.next_seq.wrapping_add(missing_tail as u32);
        }
        if d.bytes.is_empty() && d.gap_before == 0 {
            return None;
        }
        Some(d)
    }

    /// Appends every buffered segment that is now in order to `out`; returns it and the octets
    /// freed from the buffer.
    fn drain(s: &mut Stream, mut out: Vec<u8>) -> (Vec<u8>, usize) {
        let mut freed = 0;
        while let Some((&off, _)) = s.ooo.iter().next() {
            if off > s.delivered {
                break;
            }
            let Some(data) = s.ooo.remove(&off) else {
                break;
            };
            freed += data.len();
            let end = off + data.len() as u64;
            if end > s.delivered {
                let skip = usize::try_from(s.delivered - off).unwrap_or(usize::MAX);
                let tail = data.get(skip..).unwrap_or_default();
                out.extend_from_slice(tail);
                s.delivered = end;
                s.next_seq = s.next_seq.wrapping_add(tail.len() as u32);
            }
        }
        s.buffered = s.buffered.saturating_sub(freed);
        (out, freed)
    }

    /// A delivery of `bytes` ending at `s.delivered`.
    fn deliver<'a>(s: &mut Stream, bytes: Cow<'a, [u8]>) -> Delivery<'a> {
        let offset = s.delivered - bytes.len() as u64;
        Self::deliver_at(s, bytes, offset)
    }

    fn deliver_at<'a>(s: &mut Stream, bytes: Cow<'a, [u8]>, offset: u64) -> Delivery<'a> {
        let gap_before = std::mem::take(&mut s.pending_gap);
        Delivery {
            bytes,
            gap_before,
            stream_offset: offset,
            from_initiator: s.initiator,
            midstream: s.midstream,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn a() -> SocketAddr {
        "192.0.2.1:40000".parse().unwrap()
    }
    fn b() -> SocketAddr {
        "198.51.100.2:4500".parse().unwrap()
    }

    fn seg(seq: u32, payload: &[u8]) -> Segment<'_> {
        Segment {
            src: a(),
            dst: b(),
            seq,
            syn: false,
            ack: true,
            fin: false,
            rst: false,
            payload,
            wire_len: payload.len(),
        }
    }

    fn syn(seq: u32, ack: bool, src: SocketAddr, dst: SocketAddr) -> Segment<'static> {
        Segment {
            src,
            dst,
            seq,
            syn: true,
            ack,
            fin: false,
            rst: false,
            payload: &[],
            wire_len: 0,
        }
    }

    /// Feeds segments, concatenating deliveries.
    fn run(r: &mut TcpReassembler, segs: &[Segment<'_>]) -> (Vec<u8>, Vec<Delivery<'static>>) {
        let mut all = Vec::new();
        let mut ds = Vec::new();
        for s in segs {
            if let Some(d) = r.push(*s) {
                all.extend_from_slice(&d.bytes);
                ds.push(Delivery {
                    bytes: Cow::Owned(d.bytes.into_owned()),
                    ..d
                });
            }
        }
        (all, ds)
    }

    #[test]
    fn in_order_after_syn_is_borrowed() {
        let mut r = TcpReassembler::default();
        assert!(r.push(syn(1000, false, a(), b())).is_none());
        assert!(r.push(syn(5000, true, b(), a())).is_none());
        let d = r.push(seg(1001, b"IKETCP")).unwrap();
        assert!(matches!(d.bytes, Cow::Borrowed(b"IKETCP")));
        assert_eq!(
            (d.from_initiator, d.midstream, d.stream_offset),
            (Some(true), false, 0)
        );
        let d = r.push(seg(1007, b"abc")).unwrap();
        assert_eq!(d.stream_offset, 6);
        let mut back = seg(5001, b"xyz");
        (back.src, back.dst) = (b(), a());
        assert_eq!(r.push(back).unwrap().from_initiator, Some(false));
        assert_eq!(r.streams(), 2);
    }

    #[test]
    fn out_of_order_and_retransmissions() {
        let mut r = TcpReassembler::default();
        let segs = [
            syn(u32::MAX - 3, false, a(), b()), // ISN near the wrap: data crosses 2^32
            seg(1, b"efgh"),                    // offset 4..8 (out of order)
            seg(u32::MAX - 2, b"abc"),          // offset 0..3
            seg(u32::MAX - 2, b"abc"),          // retransmission
            seg(1, b"efgh"),                    // duplicate of a waiting segment
            seg(u32::MAX, b"cdef"),             // offset 2..6, overlaps both sides
            seg(5, b"ij"),                      // offset 8..10
        ];
        let (all, ds) = run(&mut r, &segs);
        assert_eq!(all, b"abcdefghij");
        assert!(ds.iter().all(|d| d.gap_before == 0));
        assert_eq!(r.buffered(), 0);
        assert!(r.finish().is_empty());
    }

    #[test]
    fn midstream_start() {
        let mut r = TcpReassembler::default();
        let (all, ds) = run(
            &mut r,
            &[
                seg(777, b"\x00\x20rest"),
                seg(783, b"more"),
                seg(770, b"old"),
            ],
        );
        assert_eq!(all, b"\x00\x20restmore");
        assert!(ds[0].midstream && ds[0].from_initiator.is_none());
    }

    #[test]
    fn hole_given_up_at_the_stream_limit() {
        let mut r = TcpReassembler::new(TcpConfig {
            max_stream_buffer: 10,
            ..TcpConfig::default()
        });
        r.push(syn(0, false, a(), b()));
        let (all, ds) = run(
            &mut r,
            &[seg(1, b"ab"), seg(8, b"hijkl"), seg(13, b"mnopqr")],
        );
        // 5 octets (offsets 2..7) were never seen.
        assert_eq!(all, b"abhijklmnopqr");
        assert_eq!(ds[1].gap_before, 5);
        assert_eq!(ds[1].stream_offset, 7);
        let notes = r.finish();
        assert!(notes[0].contains("hole of 5"), "{notes:?}");
    }

    #[test]
    fn unfilled_hole_reported_and_new_syn_resets() {
        let mut r = TcpReassembler::default();
        r.push(syn(100, false, a(), b()));
        run(&mut r, &[seg(101, b"a"), seg(110, b"late")]);
        assert_eq!(r.buffered(), 4);
        // A new connection on the same 4-tuple.
        r.push(syn(9000, false, a(), b()));
        assert_eq!(r.buffered(), 0);
        let d = r.push(seg(9001, b"new")).unwrap();
        assert_eq!((d.stream_offset, &d.bytes[..]), (0, &b"new"[..]));
        run(&mut r, &[seg(9010, b"zz")]);
        let notes = r.finish();
        assert!(notes.iter().any(|n| n.contains("new SYN")), "{notes:?}");
        assert!(
            notes.iter().any(|n| n.contains("never delivered")),
            "{notes:?}"
        );
    }

    #[test]
    fn snapshot_cut_segment_becomes_a_gap() {
        let mut r = TcpReassembler::default();
        r.push(syn(0, false, a(), b()));
        let mut cut = seg(1, b"abcd");
        cut.wire_len = 10;
        let (all, ds) = run(&mut r, &[cut, seg(11, b"XY")]);
        assert_eq!(all, b"abcdXY");
        assert_eq!((ds[1].gap_before, ds[1].stream_offset), (6, 10));
    }

    #[test]
    fn limits_hold() {
        let mut r = TcpReassembler::new(TcpConfig {
            max_streams: 3,
            max_total_buffer: 100,
            ..TcpConfig::default()
        });
        for port in 0..10u16 {
            let mut s = seg(1, b"x");
            s.src.set_port(port);
            r.push(s);
        }
        assert_eq!(r.streams(), 3);
        r.push(syn(0, false, a(), b()));
        let big = [0u8; 80];
        run(&mut r, &[seg(50, &big), seg(500, &big)]);
        assert!(r.buffered() <= 100);
        // Far ahead: out of window.
        assert!(r.push(seg(1 << 30, b"far")).is_none());
        let notes = r.finish();
        assert!(
            notes.iter().any(|n| n.contains("buffers full")),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains("out of window")),
            "{notes:?}"
        );
    }

    #[test]
    fn rst_forgets_both_directions() {
        let mut r = TcpReassembler::default();
        r.push(syn(0, false, a(), b()));
        r.push(syn(0, true, b(), a()));
        let mut rst = seg(1, b"");
        rst.rst = true;
        r.push(rst);
        assert_eq!(r.streams(), 0);
    }
}
