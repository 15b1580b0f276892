//! RFC 4944 §5.3 fragment reassembly ([`Reassembler`]) and RFC 8931 recoverable-fragment
//! reassembly ([`RfragReassembler`]), bounded and expiring.
//!
//! Fragments of one datagram share the link-layer source and destination, the datagram_size and
//! the datagram_tag ([`FragKey`]). The receiver fills a buffer of datagram_size bytes (of the
//! *uncompressed* datagram: the caller passes a FRAG1's decompressed headers followed by the
//! rest of the fragment, and a FRAGN's payload at `datagram_offset * 8`); the datagram is
//! complete when every byte `0..datagram_size` has arrived. RFC 4944 §5.3 asks for a reassembly
//! timeout of at most 60 seconds, counted from the first fragment received.
//!
//! Exact duplicates and any arrival order are accepted. A fragment that overlaps bytes already
//! received with different content drops the datagram and is an error naming the frames that
//! disagree; a fragment reaching past datagram_size is an error (the datagram is kept).
//!
//! Memory is bounded whatever the input: at most `max_datagrams` datagrams whose buffers total
//! at most `max_bytes` (a new datagram evicts the oldest ones, reported as
//! [`IncompleteReason::Evicted`]); per datagram at most [`MAX_FRAMES`] frame numbers are kept;
//! at most `max(max_datagrams, 1)` undelivered [`Incomplete`] reports are queued (further ones are
//! counted by [`Reassembler::dropped_reports`]).
//!
//! Errors of this module use [`Layer::Reassembly`]; their `offset` is a byte offset **in the
//! reassembled datagram** (the reassembler does not see frame offsets).
//!
//! Both reassemblers keep their datagrams in one bookkeeping core (a private `Table`): the
//! datagrams by key with their cost against [`Limits::max_bytes`], expiry, eviction of the
//! oldest, the bounded report queue and the per-datagram frame list. What each keeps of a
//! datagram stays its own: a buffer of datagram_size bytes and a bitmap for RFC 4944, the
//! fragments as they came for RFC 8931, whose size is known only once the first fragment has
//! arrived. One store for both would make RFC 4944 keep (and copy) its fragments or RFC 8931
//! allocate a buffer of unknown size, and would change what counts against the byte limit.

use std::collections::HashMap;
use std::hash::Hash;

use crate::addr::LinkAddr;
use crate::error::{Error, Layer, Result};

/// Most frame numbers remembered per datagram (a 2047-byte datagram in 8-byte FRAGNs is 257
/// fragments; duplicates beyond this are accepted but not listed).
pub const MAX_FRAMES: usize = 512;

/// What identifies the fragments of one datagram (RFC 4944 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct FragKey {
    /// Link-layer source (or mesh originator).
    pub src: LinkAddr,
    /// Link-layer destination (or mesh final destination).
    pub dst: LinkAddr,
    /// datagram_size.
    pub size: u16,
    /// datagram_tag.
    pub tag: u16,
}

/// Bounds on what the reassembler holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Datagrams in flight at once (default 256).
    pub max_datagrams: usize,
    /// Total datagram buffer bytes in flight (default 1 MiB).
    pub max_bytes: usize,
    /// A datagram whose first fragment is older than this is dropped (default 60 s, RFC 4944
    /// §5.3).
    pub timeout_nanos: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_datagrams: 256,
            max_bytes: 1 << 20,
            timeout_nanos: 60_000_000_000,
        }
    }
}

/// Result of [`Reassembler::push`].
#[derive(Debug)]
pub enum Push<M> {
    /// The datagram still misses bytes.
    Pending,
    /// The datagram is complete.
    Complete(Datagram<M>),
}

/// A reassembled datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram<M> {
    /// Its key.
    pub key: FragKey,
    /// The `key.size` bytes of the uncompressed datagram.
    pub data: Vec<u8>,
    /// Metadata given with the first fragment (offset 0), if any.
    pub meta: Option<M>,
    /// Capture frame numbers of its fragments, in arrival order (duplicates included, at most
    /// [`MAX_FRAMES`]).
    pub frames: Vec<u64>,
    /// Capture time of the first fragment received.
    pub first_time: u64,
}

/// Why a datagram was given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncompleteReason {
    /// Its first fragment is older than the timeout.
    Expired,
    /// The capture ended.
    EndOfCapture,
    /// Dropped to make room under [`Limits`].
    Evicted,
    /// The sender aborted it (an RFC 8931 RFRAG with Fragment_Offset 0, or a NULL RFRAG-ACK).
    Aborted,
}

/// A datagram that never completed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Incomplete {
    /// Its key.
    pub key: FragKey,
    /// Bytes received (without double counting overlaps).
    pub received: usize,
    /// Frames of the fragments received.
    pub frames: Vec<u64>,
    /// Why it was given up.
    pub reason: IncompleteReason,
    /// True for an RFC 8931 RFRAG datagram: `received` and `key.size` count bytes of the
    /// compressed datagram, `key.size` is a lower bound (the end of the furthest fragment) when
    /// the first fragment never came, and `key.tag` holds the 8-bit Datagram_Tag.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recoverable: bool,
}

// ---------------------------------------------------------------------------------------------
// What both reassemblers share
// ---------------------------------------------------------------------------------------------

/// One datagram in flight, in either reassembler: what its fragments brought (`S`: a buffer for
/// RFC 4944, the pieces as they came for RFC 8931), the first fragment's metadata, the frames
/// and its age.
#[derive(Debug)]
struct Slot<S, M> {
    state: S,
    meta: Option<M>,
    /// Capture frame numbers of its fragments, in arrival order (at most [`MAX_FRAMES`]).
    frames: Vec<u64>,
    /// Capture time of the first fragment received.
    first_time: u64,
    /// Arrival order among the datagrams: the oldest is evicted and reported first.
    seq: u64,
}

impl<S, M> Slot<S, M> {
    fn note_frame(&mut self, frame: u64) {
        if self.frames.len() < MAX_FRAMES {
            self.frames.push(frame);
        } else if let Some(last) = self.frames.last_mut() {
            // Full: keep the first frames and always the latest, so the frame that completes
            // the datagram is listed.
            *last = frame;
        }
    }

    /// `meta` is kept from the first fragment (offset 0); the first one given wins.
    fn keep_meta(&mut self, offset: usize, meta: Option<M>) {
        if offset == 0 && self.meta.is_none() {
            self.meta = meta;
        }
    }
}

/// What the shared bookkeeping needs of a datagram's state.
trait State<K> {
    /// Bytes it holds, counted against [`Limits::max_bytes`].
    fn cost(&self) -> usize;
    /// The report of the datagram given up for `reason`.
    fn incomplete(&self, key: &K, frames: Vec<u64>, reason: IncompleteReason) -> Incomplete;
}

/// The bookkeeping both reassemblers share: the datagrams in flight by key, the bytes they
/// cost, expiry `timeout_nanos` after a datagram's first fragment, eviction of the oldest to
/// stay within the [`Limits`], and the bounded queue of [`Incomplete`] reports.
#[derive(Debug)]
struct Table<K, S, M> {
    limits: Limits,
    slots: HashMap<K, Slot<S, M>>,
    bytes: usize,
    next_seq: u64,
    reports: Vec<Incomplete>,
    dropped_reports: u64,
}

impl<K: Copy + Eq + Hash, S: State<K>, M> Table<K, S, M> {
    fn new(limits: Limits) -> Self {
        Table {
            limits,
            slots: HashMap::new(),
            bytes: 0,
            next_seq: 0,
            reports: Vec::new(),
            dropped_reports: 0,
        }
    }

    /// Starts a datagram (the newest), charging its cost.
    fn insert(&mut self, key: K, state: S, first_time: u64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += state.cost();
        self.slots.insert(
            key,
            Slot {
                state,
                meta: None,
                frames: Vec::new(),
                first_time,
                seq,
            },
        );
    }

    fn remove(&mut self, key: &K) -> Option<Slot<S, M>> {
        let slot = self.slots.remove(key)?;
        self.bytes = self.bytes.saturating_sub(slot.state.cost());
        Some(slot)
    }

    fn report(&mut self, key: K, slot: Slot<S, M>, reason: IncompleteReason) {
        if self.reports.len() >= self.limits.max_datagrams.max(1) {
            self.dropped_reports += 1;
            return;
        }
        let inc = slot.state.incomplete(&key, slot.frames, reason);
        self.reports.push(inc);
    }

    /// Gives up, oldest first, the datagrams whose first fragment is older than the timeout.
    fn expire(&mut self, now: u64) {
        let timeout = self.limits.timeout_nanos;
        let mut old: Vec<(u64, K)> = self
            .slots
            .iter()
            .filter(|(_, s)| now.saturating_sub(s.first_time) > timeout)
            .map(|(k, s)| (s.seq, *k))
            .collect();
        old.sort_unstable_by_key(|(seq, _)| *seq);
        for (_, key) in old {
            if let Some(slot) = self.remove(&key) {
                self.report(key, slot, IncompleteReason::Expired);
            }
        }
    }

    /// Evicts the oldest datagrams other than `keep` until `need` more bytes — and, for a new
    /// datagram (`keep` None), one more datagram — fit the limits. False when they still do
    /// not and nothing is left to evict.
    fn make_room(&mut self, need: usize, keep: Option<K>) -> bool {
        loop {
            let slots_full = keep.is_none() && self.slots.len() >= self.limits.max_datagrams;
            if !slots_full && self.bytes + need <= self.limits.max_bytes {
                return true;
            }
            let Some(key) = self
                .slots
                .iter()
                .filter(|(k, _)| Some(**k) != keep)
                .min_by_key(|(_, s)| s.seq)
                .map(|(k, _)| *k)
            else {
                return false;
            };
            if let Some(slot) = self.remove(&key) {
                self.report(key, slot, IncompleteReason::Evicted);
            }
        }
    }

    fn take_expired(&mut self) -> Vec<Incomplete> {
        std::mem::take(&mut self.reports)
    }

    /// The reports not yet taken, then every datagram still in flight (oldest first) as
    /// [`IncompleteReason::EndOfCapture`]; the table is left empty.
    fn finish(&mut self) -> Vec<Incomplete> {
        let mut out = std::mem::take(&mut self.reports);
        let mut left: Vec<(K, Slot<S, M>)> = self.slots.drain().collect();
        left.sort_by_key(|(_, s)| s.seq);
        self.bytes = 0;
        out.extend(left.into_iter().map(|(key, s)| {
            s.state
                .incomplete(&key, s.frames, IncompleteReason::EndOfCapture)
        }));
        out
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 4944 fragments
// ---------------------------------------------------------------------------------------------

/// A piece of the datagram that brought new bytes, for naming the frame that wrote a byte.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    frame: u64,
}

/// An RFC 4944 datagram being filled: its buffer of datagram_size bytes and which of them have
/// arrived.
#[derive(Debug)]
struct Buffer {
    data: Vec<u8>,
    /// One bit per datagram byte.
    have: Vec<u64>,
    received: usize,
    pieces: Vec<Piece>,
}

impl Buffer {
    fn new(size: usize) -> Self {
        Buffer {
            data: vec![0; size],
            have: vec![0; size.div_ceil(64)],
            received: 0,
            pieces: Vec::new(),
        }
    }

    fn has(&self, i: usize) -> bool {
        self.have
            .get(i / 64)
            .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
    }

    fn set(&mut self, i: usize) {
        if let Some(w) = self.have.get_mut(i / 64) {
            *w |= 1u64 << (i % 64);
        }
    }

    /// The frame that first wrote byte `i`.
    fn writer(&self, i: usize) -> Option<u64> {
        self.pieces
            .iter()
            .find(|p| p.start <= i && i < p.end)
            .map(|p| p.frame)
    }
}

impl State<FragKey> for Buffer {
    fn cost(&self) -> usize {
        cost(self.data.len())
    }

    fn incomplete(&self, key: &FragKey, frames: Vec<u64>, reason: IncompleteReason) -> Incomplete {
        Incomplete {
            key: *key,
            received: self.received,
            frames,
            reason,
            recoverable: false,
        }
    }
}

/// Bytes a datagram of `size` costs against [`Limits::max_bytes`].
fn cost(size: usize) -> usize {
    size + size.div_ceil(64) * 8
}

/// Reassembles RFC 4944 fragments; `M` is metadata attached by the first fragment (offset 0),
/// for instance what the decompressor needs to finish the datagram, and returned on completion.
#[derive(Debug)]
pub struct Reassembler<M> {
    table: Table<FragKey, Buffer, M>,
}

impl<M> Reassembler<M> {
    /// An empty reassembler.
    pub fn new(limits: Limits) -> Self {
        Reassembler {
            table: Table::new(limits),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.table.limits
    }

    /// Adds one fragment.
    ///
    /// `offset` is in bytes of the UNCOMPRESSED datagram (FRAG1: 0; FRAGN: `datagram_offset * 8`);
    /// `data` the bytes (for FRAG1, the decompressed headers followed by the rest of the
    /// fragment); `meta` is kept when `offset` is 0 (the first one given wins); `frame` is the
    /// capture frame number and `time_nanos` the capture time. Anything whose first fragment is
    /// older than the timeout is expired first (see [`take_expired`](Self::take_expired)).
    pub fn push(
        &mut self,
        key: FragKey,
        offset: usize,
        data: &[u8],
        meta: Option<M>,
        frame: u64,
        time_nanos: u64,
    ) -> Result<Push<M>> {
        self.table.expire(time_nanos);
        let size = usize::from(key.size);
        if size == 0 {
            return Err(Error::invalid(
                Layer::Reassembly,
                "datagram_size",
                0,
                format!("frame {frame}: datagram_size 0"),
            ));
        }
        let end = offset.saturating_add(data.len());
        if end > size {
            return Err(Error::invalid(
                Layer::Reassembly,
                "datagram_offset",
                offset,
                format!(
                    "frame {frame}: fragment covers datagram bytes {offset}..{end}, past datagram_size {size} \
                     (tag 0x{:04x})",
                    key.tag
                ),
            ));
        }
        if !self.table.slots.contains_key(&key) {
            self.make_room(cost(size), frame)?;
            self.table.insert(key, Buffer::new(size), time_nanos);
        }
        let Some(slot) = self.table.slots.get_mut(&key) else {
            return Ok(Push::Pending);
        };
        let buf = &mut slot.state;

        // Disagreeing overlap: drop the datagram.
        let mut conflict = None;
        for (i, &b) in data.iter().enumerate() {
            let pos = offset + i;
            if buf.has(pos) && buf.data.get(pos) != Some(&b) {
                conflict = Some(pos);
                break;
            }
        }
        if let Some(pos) = conflict {
            let earlier = buf
                .writer(pos)
                .map_or_else(|| "an earlier frame".to_string(), |f| format!("frame {f}"));
            let was = buf.data.get(pos).copied().unwrap_or(0);
            let now = data.get(pos - offset).copied().unwrap_or(0);
            self.table.remove(&key);
            return Err(Error::invalid(
                Layer::Reassembly,
                "datagram_offset",
                pos,
                format!(
                    "frame {frame} and {earlier} disagree at datagram byte {pos} (0x{now:02x} vs 0x{was:02x}, \
                     tag 0x{:04x}); datagram dropped",
                    key.tag
                ),
            ));
        }

        let mut new_bytes = 0;
        let mut run_start = None;
        for (i, &b) in data.iter().enumerate() {
            let pos = offset + i;
            if buf.has(pos) {
                if let Some(s) = run_start.take() {
                    buf.pieces.push(Piece {
                        start: s,
                        end: pos,
                        frame,
                    });
                }
                continue;
            }
            if let Some(d) = buf.data.get_mut(pos) {
                *d = b;
            }
            buf.set(pos);
            new_bytes += 1;
            run_start.get_or_insert(pos);
        }
        if let Some(s) = run_start {
            buf.pieces.push(Piece {
                start: s,
                end,
                frame,
            });
        }
        buf.received += new_bytes;
        let complete = buf.received >= size;
        slot.note_frame(frame);
        slot.keep_meta(offset, meta);
        if !complete {
            return Ok(Push::Pending);
        }
        match self.table.remove(&key) {
            Some(slot) => Ok(Push::Complete(Datagram {
                key,
                data: slot.state.data,
                meta: slot.meta,
                frames: slot.frames,
                first_time: slot.first_time,
            })),
            None => Ok(Push::Pending),
        }
    }

    /// Datagrams given up (expired, or evicted to make room) since the last call.
    pub fn take_expired(&mut self) -> Vec<Incomplete> {
        self.table.take_expired()
    }

    /// End of capture: the reports not yet taken, then every datagram still in flight (oldest
    /// first) as [`IncompleteReason::EndOfCapture`]. Leaves the reassembler empty.
    pub fn finish(&mut self) -> Vec<Incomplete> {
        self.table.finish()
    }

    /// Datagrams in flight.
    pub fn in_flight(&self) -> usize {
        self.table.slots.len()
    }

    /// Buffer bytes in flight (counted against [`Limits::max_bytes`]).
    pub fn bytes_in_flight(&self) -> usize {
        self.table.bytes
    }

    /// Reports discarded because [`take_expired`](Self::take_expired) was not called often
    /// enough.
    pub fn dropped_reports(&self) -> u64 {
        self.table.dropped_reports
    }

    /// Evicts the oldest datagrams until one more of `need` bytes fits.
    fn make_room(&mut self, need: usize, frame: u64) -> Result<()> {
        let limits = self.table.limits;
        if need > limits.max_bytes || limits.max_datagrams == 0 {
            return Err(Error::invalid(
                Layer::Reassembly,
                "datagram_size",
                0,
                format!(
                    "frame {frame}: a datagram needing {need} buffer bytes cannot fit the limits \
                     ({} datagrams, {} bytes)",
                    limits.max_datagrams, limits.max_bytes
                ),
            ));
        }
        // With `need` within the limits there is always room once every other datagram is
        // evicted.
        self.table.make_room(need, None);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 8931 recoverable fragments
// ---------------------------------------------------------------------------------------------

/// What identifies the fragments of one RFRAG datagram (RFC 8931 §5.1: the Datagram_Tag is
/// unique per link-layer source and destination; the size is only in the first fragment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct RfragKey {
    /// Link-layer source (or mesh originator).
    pub src: LinkAddr,
    /// Link-layer destination (or mesh final destination).
    pub dst: LinkAddr,
    /// Datagram_Tag (8 bits).
    pub tag: u8,
}

/// Most fragments (distinct pieces) kept per RFRAG datagram; exact duplicates are not kept.
pub const MAX_RFRAG_PIECES: usize = 256;

/// Highest end offset of an RFRAG: the Datagram_Size is a 16-bit field (RFC 8931 §5.1).
pub const MAX_RFRAG_END: usize = 0xffff;

#[derive(Debug)]
struct RPiece {
    start: usize,
    data: Vec<u8>,
    frame: u64,
}

impl RPiece {
    fn end(&self) -> usize {
        self.start + self.data.len()
    }
}

/// An RFRAG datagram being collected: its fragments as they came (the size, and so a buffer, is
/// known only once the first fragment has arrived).
#[derive(Debug)]
struct Pieces {
    size: Option<usize>,
    /// Sorted by `start`.
    pieces: Vec<RPiece>,
    held: usize,
}

impl Pieces {
    /// Bytes covered, without double counting overlaps, and whether `0..size` is covered.
    fn coverage(&self) -> (usize, bool) {
        let (mut covered_to, mut total, mut gap) = (0usize, 0usize, false);
        for p in &self.pieces {
            if p.start > covered_to {
                gap = true;
                total += p.end() - p.start;
                covered_to = p.end();
            } else if p.end() > covered_to {
                total += p.end() - covered_to;
                covered_to = p.end();
            }
        }
        let complete = self.size.is_some_and(|s| {
            !gap && covered_to >= s && self.pieces.first().is_some_and(|p| p.start == 0)
        });
        (total, complete)
    }
}

impl State<RfragKey> for Pieces {
    fn cost(&self) -> usize {
        self.held
    }

    fn incomplete(&self, key: &RfragKey, frames: Vec<u64>, reason: IncompleteReason) -> Incomplete {
        let received = self.coverage().0;
        // Without the first fragment the size is unknown: the end of the furthest piece is a
        // lower bound.
        let size = self
            .size
            .or_else(|| self.pieces.iter().map(RPiece::end).max());
        Incomplete {
            key: frag_key(key, size),
            received,
            frames,
            reason,
            recoverable: true,
        }
    }
}

/// Reassembles RFC 8931 RFRAG fragments. Unlike RFC 4944, offsets and the Datagram_Size count
/// bytes of the **compressed** datagram (§5.1): the first fragment (Sequence 0) carries the
/// compressed headers and the Datagram_Size, later ones a Fragment_Offset. Fragments may come in
/// any order, the first one last; until it arrives the size is unknown and the pieces are kept
/// as they came (bounded by [`MAX_RFRAG_PIECES`] and the [`Limits`]).
///
/// Bounds and expiry are those of [`Reassembler`]: at most `max_datagrams` datagrams, whose
/// stored bytes total at most `max_bytes`, each given up `timeout_nanos` after its first
/// fragment. Errors use [`Layer::Reassembly`] with offsets in the compressed datagram.
#[derive(Debug)]
pub struct RfragReassembler<M> {
    table: Table<RfragKey, Pieces, M>,
}

fn frag_key(key: &RfragKey, size: Option<usize>) -> FragKey {
    FragKey {
        src: key.src,
        dst: key.dst,
        size: size.and_then(|s| u16::try_from(s).ok()).unwrap_or(0),
        tag: u16::from(key.tag),
    }
}

impl<M> RfragReassembler<M> {
    /// An empty reassembler.
    pub fn new(limits: Limits) -> Self {
        RfragReassembler {
            table: Table::new(limits),
        }
    }

    /// Adds one fragment: `offset` in the compressed datagram (0 for the first fragment),
    /// `datagram_size` as carried by the first fragment, `data` the Fragment_Size bytes after the
    /// RFRAG header; `meta` is kept from the fragment at offset 0.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        key: RfragKey,
        offset: usize,
        datagram_size: Option<u16>,
        data: &[u8],
        meta: Option<M>,
        frame: u64,
        time_nanos: u64,
    ) -> Result<Push<M>> {
        self.table.expire(time_nanos);
        let err = |field: &'static str, at: usize, reason: String| {
            Error::invalid(
                Layer::Reassembly,
                field,
                at,
                format!("frame {frame}: {reason}"),
            )
        };
        if datagram_size == Some(0) {
            return Err(err("datagram_size", 0, "Datagram_Size 0".into()));
        }
        let end = offset.saturating_add(data.len());
        if end > MAX_RFRAG_END {
            return Err(err(
                "fragment_offset",
                offset,
                format!("fragment ends at byte {end}, past the largest Datagram_Size (65535)"),
            ));
        }
        if !self.table.slots.contains_key(&key) {
            self.make_room(data.len(), None, frame)?;
            let pieces = Pieces {
                size: None,
                pieces: Vec::new(),
                held: 0,
            };
            self.table.insert(key, pieces, time_nanos);
        }
        // Size: learnt from the first fragment; every piece must fit it.
        let tag = key.tag;
        let drop_err = {
            let Some(slot) = self.table.slots.get_mut(&key) else {
                return Ok(Push::Pending);
            };
            let slot = &mut slot.state;
            let mut drop_err = None;
            if let Some(n) = datagram_size.map(usize::from) {
                match slot.size {
                    Some(s) if s != n => {
                        drop_err = Some(err(
                            "datagram_size",
                            0,
                            format!("Datagram_Size {n} differs from the {s} given before (tag {tag}); datagram dropped"),
                        ));
                    }
                    _ => {
                        if let Some(p) = slot.pieces.iter().find(|p| p.end() > n) {
                            drop_err = Some(err(
                                "datagram_size",
                                0,
                                format!(
                                    "Datagram_Size {n} is smaller than the bytes {}..{} frame {} carried (tag {tag}); \
                                     datagram dropped",
                                    p.start,
                                    p.end(),
                                    p.frame
                                ),
                            ));
                        }
                        slot.size = Some(n);
                    }
                }
            }
            if drop_err.is_none() {
                if let Some(s) = slot.size {
                    if end > s {
                        return Err(err(
                            "fragment_offset",
                            offset,
                            format!("fragment covers compressed bytes {offset}..{end}, past Datagram_Size {s} (tag {tag})"),
                        ));
                    }
                }
                for p in slot
                    .pieces
                    .iter()
                    .filter(|p| p.start < end && offset < p.end())
                {
                    let from = p.start.max(offset);
                    let to = p.end().min(end);
                    if let Some(pos) =
                        (from..to).find(|&i| p.data.get(i - p.start) != data.get(i - offset))
                    {
                        drop_err = Some(err(
                            "fragment_offset",
                            pos,
                            format!(
                                "disagrees with frame {} at compressed byte {pos} (tag {tag}); datagram dropped",
                                p.frame
                            ),
                        ));
                        break;
                    }
                }
            }
            drop_err
        };
        if let Some(e) = drop_err {
            self.table.remove(&key);
            return Err(e);
        }
        let (duplicate, too_many) = match self.table.slots.get(&key) {
            Some(slot) => (
                slot.state
                    .pieces
                    .iter()
                    .any(|p| p.start <= offset && end <= p.end()),
                slot.state.pieces.len() >= MAX_RFRAG_PIECES,
            ),
            None => return Ok(Push::Pending),
        };
        if !duplicate && !data.is_empty() {
            if too_many {
                return Err(err(
                    "sequence",
                    offset,
                    format!("more than {MAX_RFRAG_PIECES} distinct fragments for tag {tag}"),
                ));
            }
            self.make_room(data.len(), Some(key), frame)?;
            let Some(slot) = self.table.slots.get_mut(&key) else {
                return Ok(Push::Pending);
            };
            let pieces = &mut slot.state;
            let at = pieces.pieces.partition_point(|p| p.start <= offset);
            pieces.pieces.insert(
                at,
                RPiece {
                    start: offset,
                    data: data.to_vec(),
                    frame,
                },
            );
            pieces.held += data.len();
            self.table.bytes += data.len();
        }
        let Some(slot) = self.table.slots.get_mut(&key) else {
            return Ok(Push::Pending);
        };
        slot.note_frame(frame);
        slot.keep_meta(offset, meta);
        if !slot.state.coverage().1 {
            return Ok(Push::Pending);
        }
        let Some(slot) = self.table.remove(&key) else {
            return Ok(Push::Pending);
        };
        let size = slot.state.size.unwrap_or(0);
        let mut buf = vec![0u8; size];
        for p in &slot.state.pieces {
            if let Some(dst) = buf.get_mut(p.start..p.end()) {
                dst.copy_from_slice(&p.data);
            }
        }
        Ok(Push::Complete(Datagram {
            key: frag_key(&key, slot.state.size),
            data: buf,
            meta: slot.meta,
            frames: slot.frames,
            first_time: slot.first_time,
        }))
    }

    /// Drops the datagram of `key` (an abort); returns what had been received, if anything.
    pub fn abort(&mut self, key: &RfragKey) -> Option<Incomplete> {
        let slot = self.table.remove(key)?;
        Some(
            slot.state
                .incomplete(key, slot.frames, IncompleteReason::Aborted),
        )
    }

    /// The Datagram_Size of `key`, once its first fragment has been seen.
    pub fn known_size(&self, key: &RfragKey) -> Option<usize> {
        self.table.slots.get(key).and_then(|s| s.state.size)
    }

    /// Datagrams given up (expired or evicted) since the last call.
    pub fn take_expired(&mut self) -> Vec<Incomplete> {
        self.table.take_expired()
    }

    /// End of capture: the reports not yet taken, then every datagram still in flight.
    pub fn finish(&mut self) -> Vec<Incomplete> {
        self.table.finish()
    }

    /// Datagrams in flight.
    pub fn in_flight(&self) -> usize {
        self.table.slots.len()
    }

    /// Fragment bytes held.
    pub fn bytes_in_flight(&self) -> usize {
        self.table.bytes
    }

    /// Reports discarded because [`take_expired`](Self::take_expired) was not called often
    /// enough.
    pub fn dropped_reports(&self) -> u64 {
        self.table.dropped_reports
    }

    /// Evicts the oldest datagrams other than `keep` until `need` more bytes (and, for a new
    /// datagram, one more slot) fit.
    fn make_room(&mut self, need: usize, keep: Option<RfragKey>, frame: u64) -> Result<()> {
        let limits = self.table.limits;
        if need > limits.max_bytes || limits.max_datagrams == 0 {
            return Err(Error::invalid(
                Layer::Reassembly,
                "fragment_size",
                0,
                format!(
                    "frame {frame}: {need} fragment bytes cannot fit the limits ({} datagrams, {} bytes)",
                    limits.max_datagrams, limits.max_bytes
                ),
            ));
        }
        if self.table.make_room(need, keep) {
            return Ok(());
        }
        Err(Error::invalid(
            Layer::Reassembly,
            "fragment_size",
            0,
            format!(
                "frame {frame}: the datagram outgrew the reassembly byte limit ({})",
                limits.max_bytes
            ),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const SEC: u64 = 1_000_000_000;

    fn key(tag: u16, size: u16) -> FragKey {
        FragKey {
            src: LinkAddr::Short(0x0001),
            dst: LinkAddr::Short(0x0002),
            size,
            tag,
        }
    }

    /// A datagram of `n` bytes with recognisable content.
    fn payload(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 3) as u8).collect()
    }

    fn complete<M: std::fmt::Debug>(p: Result<Push<M>>) -> Datagram<M> {
        match p {
            Ok(Push::Complete(d)) => d,
            other => panic!("expected completion, got {other:?}"),
        }
    }

    fn pending<M: std::fmt::Debug>(p: Result<Push<M>>) {
        assert!(
            matches!(p, Ok(Push::Pending)),
            "expected pending, got {p:?}"
        );
    }

    #[test]
    fn in_order() {
        let data = payload(100);
        let k = key(7, 100);
        let mut r = Reassembler::new(Limits::default());
        pending(r.push(k, 0, &data[..48], Some("meta"), 1, 10));
        assert_eq!(r.in_flight(), 1);
        pending(r.push(k, 48, &data[48..96], None, 2, 11));
        let d = complete(r.push(k, 96, &data[96..], None, 3, 12));
        assert_eq!(d.data, data);
        assert_eq!(d.meta, Some("meta"));
        assert_eq!(d.frames, vec![1, 2, 3]);
        assert_eq!((d.first_time, d.key), (10, k));
        assert_eq!((r.in_flight(), r.bytes_in_flight()), (0, 0));
        assert!(r.finish().is_empty());
    }

    #[test]
    fn out_of_order_and_duplicates() {
        let data = payload(64);
        let k = key(1, 64);
        let mut r = Reassembler::new(Limits::default());
        pending(r.push(k, 40, &data[40..], None, 1, 0));
        pending(r.push(k, 40, &data[40..], None, 2, 0)); // exact duplicate
        pending(r.push(k, 16, &data[16..40], None, 3, 0));
        pending(r.push(k, 8, &data[8..24], None, 4, 0)); // overlaps 16..24 with the same bytes
        let d = complete(r.push(k, 0, &data[..8], Some(5u32), 5, 0));
        assert_eq!(d.data, data);
        assert_eq!(d.meta, Some(5));
        assert_eq!(d.frames, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn meta_only_from_offset_zero() {
        let data = payload(16);
        let k = key(1, 16);
        let mut r = Reassembler::new(Limits::default());
        pending(r.push(k, 8, &data[8..], Some(99u8), 1, 0));
        let d = complete(r.push(k, 0, &data[..8], None, 2, 0));
        assert_eq!(d.meta, None);
    }

    #[test]
    fn disagreeing_overlap_drops_the_datagram() {
        let data = payload(32);
        let k = key(3, 32);
        let mut r = Reassembler::<()>::new(Limits::default());
        pending(r.push(k, 0, &data[..16], None, 10, 0));
        let mut bad = data[8..24].to_vec();
        bad[5] ^= 0xff; // datagram byte 13
        match r.push(k, 8, &bad, None, 11, 0).map_err(Error::into_kind) {
            Err(ErrorKind::Invalid {
                layer,
                field,
                offset,
                reason,
            }) => {
                assert_eq!(
                    (layer, field, offset),
                    (Layer::Reassembly, "datagram_offset", 13)
                );
                assert!(
                    reason.contains("frame 11 and frame 10 disagree"),
                    "{reason}"
                );
                assert!(reason.contains("dropped"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!((r.in_flight(), r.bytes_in_flight()), (0, 0));
        // Starting over works.
        pending(r.push(k, 0, &data[..16], None, 12, 0));
        complete(r.push(k, 16, &data[16..], None, 13, 0));
    }

    #[test]
    fn past_end_is_an_error_and_keeps_the_datagram() {
        let data = payload(20);
        let k = key(4, 20);
        let mut r = Reassembler::<()>::new(Limits::default());
        pending(r.push(k, 0, &data[..8], None, 1, 0));
        match r
            .push(k, 16, &[0u8; 8], None, 2, 0)
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::Invalid {
                layer,
                field,
                offset,
                reason,
            }) => {
                assert_eq!(
                    (layer, field, offset),
                    (Layer::Reassembly, "datagram_offset", 16)
                );
                assert!(
                    reason.contains("16..24") && reason.contains("datagram_size 20"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(r.push(key(5, 8), usize::MAX, &[1], None, 3, 0).is_err());
        assert!(r.push(key(6, 0), 0, &[], None, 4, 0).is_err());
        assert_eq!(r.in_flight(), 1);
        complete(r.push(k, 8, &data[8..], None, 5, 0));
    }

    #[test]
    fn expiry_by_time() {
        let k1 = key(1, 16);
        let k2 = key(2, 16);
        let mut r = Reassembler::<()>::new(Limits {
            timeout_nanos: 60 * SEC,
            ..Limits::default()
        });
        pending(r.push(k1, 0, &[1; 8], None, 1, 0));
        pending(r.push(k2, 0, &[2; 8], None, 2, 30 * SEC));
        // Exactly at the timeout nothing expires; just after, k1 does.
        pending(r.push(key(3, 16), 0, &[3; 8], None, 3, 60 * SEC));
        assert!(r.take_expired().is_empty());
        pending(r.push(key(4, 16), 0, &[4; 8], None, 4, 60 * SEC + 1));
        let gone = r.take_expired();
        assert_eq!(gone.len(), 1);
        assert_eq!(
            gone[0],
            Incomplete {
                key: k1,
                received: 8,
                frames: vec![1],
                reason: IncompleteReason::Expired,
                recoverable: false,
            }
        );
        assert!(r.take_expired().is_empty());
        // The late second half of k1 starts a new datagram instead of completing the old one.
        pending(r.push(k1, 8, &[1; 8], None, 5, 61 * SEC));
        assert_eq!(r.in_flight(), 4);
    }

    #[test]
    fn eviction_by_count() {
        let mut r = Reassembler::<()>::new(Limits {
            max_datagrams: 2,
            ..Limits::default()
        });
        pending(r.push(key(1, 16), 0, &[1; 8], None, 1, 0));
        pending(r.push(key(2, 16), 0, &[2; 8], None, 2, 0));
        pending(r.push(key(3, 16), 0, &[3; 8], None, 3, 0));
        assert_eq!(r.in_flight(), 2);
        let gone = r.take_expired();
        assert_eq!(gone.len(), 1);
        assert_eq!(
            (gone[0].key.tag, gone[0].reason),
            (1, IncompleteReason::Evicted)
        );
        // Fragments of a datagram in flight do not evict anything.
        complete(r.push(key(2, 16), 8, &[2; 8], None, 4, 0));
        assert!(r.take_expired().is_empty());
    }

    #[test]
    fn eviction_by_bytes() {
        // Each 1000-byte datagram costs 1000 + 16*8 = 1128 bytes.
        let mut r = Reassembler::<()>::new(Limits {
            max_bytes: 2500,
            ..Limits::default()
        });
        pending(r.push(key(1, 1000), 0, &[1; 8], None, 1, 0));
        pending(r.push(key(2, 1000), 0, &[2; 8], None, 2, 0));
        assert_eq!(r.bytes_in_flight(), 2256);
        pending(r.push(key(3, 1000), 0, &[3; 8], None, 3, 0));
        assert_eq!((r.in_flight(), r.bytes_in_flight()), (2, 2256));
        let gone = r.take_expired();
        assert_eq!(
            gone.iter()
                .map(|i| (i.key.tag, i.reason))
                .collect::<Vec<_>>(),
            [(1, IncompleteReason::Evicted)]
        );
        // A datagram that can never fit is refused outright.
        match r
            .push(key(4, 3000), 0, &[4; 8], None, 4, 0)
            .map_err(Error::into_kind)
        {
            Err(ErrorKind::Invalid { field, .. }) => assert_eq!(field, "datagram_size"),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.in_flight(), 2);
    }

    #[test]
    fn finish_lists_incompletes() {
        let mut r = Reassembler::<()>::new(Limits {
            max_datagrams: 2,
            ..Limits::default()
        });
        pending(r.push(key(1, 32), 0, &[1; 8], None, 1, 0));
        pending(r.push(key(2, 32), 8, &[2; 16], None, 2, 0));
        pending(r.push(key(2, 32), 8, &[2; 16], None, 3, 0));
        pending(r.push(key(3, 32), 0, &[3; 8], None, 4, 0)); // evicts tag 1
        let left = r.finish();
        let got: Vec<_> = left
            .iter()
            .map(|i| (i.key.tag, i.received, i.frames.clone(), i.reason))
            .collect();
        assert_eq!(
            got,
            [
                (1, 8, vec![1], IncompleteReason::Evicted),
                (2, 16, vec![2, 3], IncompleteReason::EndOfCapture),
                (3, 8, vec![4], IncompleteReason::EndOfCapture),
            ]
        );
        assert_eq!((r.in_flight(), r.bytes_in_flight()), (0, 0));
        assert!(r.finish().is_empty());
    }

    #[test]
    fn interleaved_datagrams_with_different_keys() {
        let a = payload(24);
        let b: Vec<u8> = payload(24).iter().map(|x| !x).collect();
        let ka = key(9, 24);
        let kb = key(10, 24); // same addresses, other tag
        let kc = FragKey {
            src: LinkAddr::Extended([1, 2, 3, 4, 5, 6, 7, 8]),
            ..ka
        }; // same tag, other source
        let mut r = Reassembler::new(Limits::default());
        pending(r.push(ka, 0, &a[..8], Some('a'), 1, 0));
        pending(r.push(kb, 16, &b[16..], None, 2, 0));
        pending(r.push(kc, 0, &b[..8], Some('c'), 3, 0));
        pending(r.push(kb, 0, &b[..8], Some('b'), 4, 0));
        pending(r.push(ka, 8, &a[8..16], None, 5, 0));
        let db = complete(r.push(kb, 8, &b[8..16], None, 6, 0));
        assert_eq!(
            (db.data.clone(), db.meta, db.frames.clone()),
            (b.clone(), Some('b'), vec![2, 4, 6])
        );
        let da = complete(r.push(ka, 16, &a[16..], None, 7, 0));
        assert_eq!((da.data, da.meta, da.frames), (a, Some('a'), vec![1, 5, 7]));
        assert_eq!(r.in_flight(), 1);
        let left = r.finish();
        assert_eq!((left.len(), left[0].key, left[0].received), (1, kc, 8));
    }

    #[test]
    fn bounded_under_a_flood() {
        let mut r = Reassembler::<()>::new(Limits {
            max_datagrams: 8,
            max_bytes: 20_000,
            timeout_nanos: SEC,
        });
        let mut state = 12345u64;
        for frame in 0..50_000u64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let size = ((state >> 33) % 2048) as u16;
            let tag = ((state >> 20) % 16) as u16;
            let off = (((state >> 45) % 256) * 8) as usize;
            let len = ((state >> 10) % 96) as usize;
            let _ = r.push(
                key(tag, size),
                off,
                &vec![(state >> 3) as u8; len],
                None,
                frame,
                frame * 1000,
            );
            assert!(r.in_flight() <= 8 && r.bytes_in_flight() <= 20_000);
            if frame % 1000 == 0 {
                let _ = r.take_expired();
            }
        }
        assert!(r.take_expired().len() <= 8);
        // Many duplicates of one fragment: the frame list stays bounded.
        let mut r = Reassembler::<()>::new(Limits::default());
        for frame in 0..2000 {
            pending(r.push(key(1, 16), 0, &[1; 8], None, frame, 0));
        }
        let left = r.finish();
        assert_eq!(left[0].frames.len(), MAX_FRAMES);
    }

    fn rkey(tag: u8) -> RfragKey {
        RfragKey {
            src: LinkAddr::Short(1),
            dst: LinkAddr::Short(2),
            tag,
        }
    }

    #[test]
    fn rfrag_size_rules() {
        let data = payload(30);
        let mut r = RfragReassembler::<()>::new(Limits::default());
        // A later fragment first, then a first fragment whose size cannot hold it: dropped.
        pending(r.push(rkey(1), 20, None, &data[20..], None, 1, 0));
        let e = r
            .push(rkey(1), 0, Some(25), &data[..10], None, 2, 0)
            .unwrap_err();
        assert_eq!(e.field(), "datagram_size");
        assert!(e.to_string().contains("bytes 20..30 frame 1"), "{e}");
        assert_eq!((r.in_flight(), r.bytes_in_flight()), (0, 0));
        // Size known first: a fragment past it is an error, the datagram is kept.
        pending(r.push(rkey(2), 0, Some(30), &data[..10], Some(()), 3, 0));
        let e = r
            .push(rkey(2), 25, None, &data[..10], None, 4, 0)
            .unwrap_err();
        assert!(e.to_string().contains("past Datagram_Size 30"), "{e}");
        assert_eq!(e.offset(), 25);
        // A first fragment repeating another size: dropped.
        let e = r
            .push(rkey(2), 0, Some(31), &data[..10], None, 5, 0)
            .unwrap_err();
        assert!(e.to_string().contains("differs"), "{e}");
        assert_eq!(r.in_flight(), 0);
        // Datagram_Size 0 and fragments past 65535 are refused.
        assert!(r.push(rkey(3), 0, Some(0), &[1], None, 6, 0).is_err());
        assert!(r.push(rkey(3), 0xfff0, None, &[0; 32], None, 7, 0).is_err());
        // Overlapping pieces that agree complete the datagram.
        pending(r.push(rkey(4), 5, None, &data[5..20], None, 8, 0));
        pending(r.push(rkey(4), 15, None, &data[15..30], None, 9, 0));
        let d = complete(r.push(rkey(4), 0, Some(30), &data[..8], Some(()), 10, 0));
        assert_eq!(
            (d.data, d.meta, d.key.size, d.key.tag),
            (data.clone(), Some(()), 30, 4)
        );
        assert_eq!(r.bytes_in_flight(), 0);
    }

    #[test]
    fn rfrag_abort_expiry_and_bounds() {
        let mut r = RfragReassembler::<()>::new(Limits {
            max_datagrams: 2,
            max_bytes: 100,
            timeout_nanos: 10,
        });
        pending(r.push(rkey(1), 0, Some(50), &[1; 20], None, 1, 0));
        let inc = r.abort(&rkey(1)).unwrap();
        assert_eq!(
            (inc.received, inc.reason, inc.recoverable),
            (20, IncompleteReason::Aborted, true)
        );
        assert!(r.abort(&rkey(1)).is_none());
        // Eviction by count and by bytes, oldest first.
        pending(r.push(rkey(2), 10, None, &[2; 40], None, 2, 0));
        pending(r.push(rkey(3), 10, None, &[3; 40], None, 3, 0));
        pending(r.push(rkey(4), 10, None, &[4; 40], None, 4, 0));
        pending(r.push(rkey(4), 60, None, &[4; 30], None, 5, 0));
        let gone: Vec<_> = r
            .take_expired()
            .iter()
            .map(|i| (i.key.tag, i.key.size, i.reason))
            .collect();
        assert_eq!(
            gone,
            [
                (2, 50, IncompleteReason::Evicted),
                (3, 50, IncompleteReason::Evicted)
            ]
        );
        assert!(r.bytes_in_flight() <= 100);
        // Expiry.
        pending(r.push(rkey(5), 0, Some(9), &[5; 4], None, 6, 100));
        let gone = r.take_expired();
        assert_eq!(
            (gone[0].key.tag, gone[0].reason),
            (4, IncompleteReason::Expired)
        );
        let left = r.finish();
        assert_eq!(
            (left[0].key.tag, left[0].received, left[0].key.size),
            (5, 4, 9)
        );
        // A flood stays bounded.
        let mut r = RfragReassembler::<()>::new(Limits {
            max_datagrams: 8,
            max_bytes: 5_000,
            timeout_nanos: 1_000_000,
        });
        let mut state = 99u64;
        for frame in 0..30_000u64 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let tag = (state >> 40) as u8 % 16;
            let off = ((state >> 20) % 2000) as usize;
            let len = ((state >> 8) % 120) as usize;
            let size = (state % 7 == 0).then_some(((state >> 30) % 2100) as u16 + 1);
            let _ = r.push(
                rkey(tag),
                off,
                size,
                &vec![(state >> 50) as u8; len],
                None,
                frame,
                frame,
            );
            assert!(r.in_flight() <= 8 && r.bytes_in_flight() <= 5_000);
            if frame % 500 == 0 {
                let _ = r.take_expired();
            }
        }
        assert!(r.take_expired().len() <= 8);
    }
}
