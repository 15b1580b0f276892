//! Streaming reader for pcap and pcapng captures.
//!
//! Built on `pcap-parser`'s [`PcapReaderIterator`] (a fixed circular buffer): memory does not grow
//! with the file. The buffer grows only when one record is larger than it, and never past
//! [`MAX_BUFFER`].
//!
//! Formats recognised from the first four bytes:
//!
//! ```text
//! d4 c3 b2 a1 | a1 b2 c3 d4   pcap, µs timestamps, little / big endian
//! 4d 3c b2 a1 | a1 b2 3c 4d   pcap, ns timestamps, little / big endian
//! 34 cd b2 a1                 pcap, "modified" (Kuznetzov) records, little endian
//! 0a 0d 0d 0a                 pcapng section header block (either byte order)
//! ```

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::sync::{Arc, Mutex};

use pcap_parser::pcapng::{Block, OptionCode};
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, PcapNGReader};

use super::{Packet, Timestamp};

/// Initial size of the read buffer (big enough for every record of a normal capture).
pub const INITIAL_BUFFER: usize = 64 * 1024;
/// The buffer grows (for one oversized record) up to this size; a larger record (header
/// included) is an error.
pub const MAX_BUFFER: usize = 16 * 1024 * 1024;

const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// [`MAX_BUFFER`] in MiB, as error messages give it.
const MAX_BUFFER_MIB: usize = MAX_BUFFER / (1024 * 1024);

/// Why a capture could not be read. `name` is the path, `<stdin>` or `<input>`; `frame` is the
/// number the packet being read would have had (1-based, as tshark counts); `offset` is the file
/// offset of the record (block) being read. After an error the reader is finished.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file cannot be opened.
    #[error("cannot open capture {path}")]
    Open {
        path: String,
        #[source]
        source: io::Error,
    },
    /// The file header cannot be read.
    #[error("{name}: cannot read")]
    Unreadable {
        name: String,
        #[source]
        source: io::Error,
    },
    /// The input is not a capture this reader knows; `reason` says what it is instead.
    #[error("{name}: {reason}")]
    NotCapture { name: String, reason: FormatError },
    /// `pcap-parser` rejected the file header (`what`: "pcap file header" or "pcapng section
    /// header").
    #[error("{name}: invalid {what}: {detail}")]
    InvalidHeader {
        name: String,
        what: &'static str,
        detail: String,
    },
    /// A block was read but cannot be used; `reason` says why.
    #[error("{name}: frame {frame} (block at file offset {offset}): {reason}")]
    Block {
        name: String,
        frame: u64,
        offset: u64,
        reason: BlockError,
    },
    /// The underlying reader keeps returning no data without reaching its end.
    #[error("{name}: frame {frame} at file offset {offset}: reader makes no progress")]
    NoProgress {
        name: String,
        frame: u64,
        offset: u64,
    },
    /// A record still does not fit after the buffer grew to [`MAX_BUFFER`].
    #[error(
        "{name}: frame {frame} at file offset {offset}: record does not fit in the \
         {MAX_BUFFER_MIB} MiB buffer"
    )]
    DoesNotFit {
        name: String,
        frame: u64,
        offset: u64,
    },
    /// A record declares a length above [`MAX_BUFFER`].
    #[error(
        "{name}: frame {frame} at file offset {offset}: record of {len} bytes exceeds the \
         {MAX_BUFFER_MIB} MiB limit (corrupt length field?)"
    )]
    TooLarge {
        name: String,
        frame: u64,
        offset: u64,
        len: u64,
    },
    /// The file ends inside a pcap record header (`got` of `need` bytes).
    #[error(
        "{name}: frame {frame}: truncated record header at file offset {offset}: {got} of {need} \
         bytes before end of file"
    )]
    TruncatedRecordHeader {
        name: String,
        frame: u64,
        offset: u64,
        got: usize,
        need: usize,
    },
    /// The file ends inside a pcap record's data (`got` of `need` bytes; `need` unknown: `None`).
    #[error(
        "{name}: frame {frame}: truncated record at file offset {offset}: {got} of {} data \
         bytes before end of file",
        need.map_or_else(|| "?".to_string(), |n| n.to_string())
    )]
    TruncatedRecord {
        name: String,
        frame: u64,
        offset: u64,
        got: usize,
        need: Option<u64>,
    },
    /// The file ends inside a pcapng block (`got` of `need` bytes).
    #[error(
        "{name}: frame {frame}: truncated pcapng block at file offset {offset}: {got} of {need} \
         bytes before end of file"
    )]
    TruncatedBlock {
        name: String,
        frame: u64,
        offset: u64,
        got: usize,
        need: u64,
    },
    /// The file ends inside a pcapng block header.
    #[error(
        "{name}: frame {frame}: truncated pcapng block header at file offset {offset}: {got} \
         bytes before end of file"
    )]
    TruncatedBlockHeader {
        name: String,
        frame: u64,
        offset: u64,
        got: usize,
    },
    /// The underlying reader failed; `cause` is its error (pcap-parser keeps no more than that).
    #[error("{name}: frame {frame}: read failed at file offset {offset}: {cause}")]
    Io {
        name: String,
        frame: u64,
        offset: u64,
        cause: String,
    },
    /// `pcap-parser` rejected a record. `block` is the pcapng block's (type, length) when known.
    #[error(
        "{name}: frame {frame}: malformed record at file offset {offset}{}: {reason}",
        block.map_or_else(String::new, |(t, l)| format!(" (block type 0x{t:08x}, length {l})"))
    )]
    Malformed {
        name: String,
        frame: u64,
        offset: u64,
        block: Option<(u32, u32)>,
        reason: String,
    },
    /// A broken invariant of this reader (never expected).
    #[error("{name}: {what}")]
    Internal { name: String, what: String },
}

/// Why the first bytes of an input are not a capture this reader knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// No bytes at all.
    #[error("empty input: not a pcap or pcapng file")]
    Empty,
    /// Fewer than the 4 bytes of a magic number (`head`: those bytes in hex).
    #[error("not a pcap or pcapng file: only {got} bytes ({head})")]
    TooShort { got: usize, head: String },
    /// A pcap magic number, but the file header is cut short.
    #[error("truncated pcap file header: {got} of 24 bytes")]
    TruncatedPcapHeader { got: usize },
    /// A pcapng magic number, but the section header is cut short (`need`: its declared length,
    /// `None` when the length field itself is missing).
    #[error(
        "truncated pcapng section header: {got} of {}",
        need.map_or_else(|| "at least 28 bytes".to_string(), |n| format!("{n} bytes"))
    )]
    TruncatedSectionHeader { got: usize, need: Option<usize> },
    /// The section header's byte-order magic is neither 1a2b3c4d nor 4d3c2b1a (hex).
    #[error("pcapng section header with an invalid byte-order magic {bom}")]
    ByteOrderMagic { bom: String },
    /// The section header's length is below 28, above [`MAX_BUFFER`] or not a multiple of 4.
    #[error("pcapng section header block length {len} is invalid")]
    SectionLength { len: usize },
    /// gzip magic.
    #[error(
        "gzip-compressed input: not a pcap or pcapng file (decompress it first, e.g. `zcat FILE | ietfwg ... -`)"
    )]
    Gzip,
    /// A pcap-like magic this reader does not read (hex).
    #[error("unsupported pcap variant (magic {magic})")]
    UnsupportedVariant { magic: String },
    /// Anything else; `start` is the first (up to 8) bytes in hex.
    #[error("not a pcap or pcapng file (starts with {start})")]
    Unknown { start: String },
}

/// Why a block that `pcap-parser` read cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// An enhanced packet block names an interface the section did not describe.
    #[error(
        "enhanced packet block names interface {if_id} but {}",
        match described {
            0 => "no interface description block precedes it in this section".to_string(),
            1 => "the section describes only interface 0".to_string(),
            n => format!("the section describes only interfaces 0–{}", n - 1),
        }
    )]
    UnknownInterface { if_id: u32, described: usize },
    /// A pcapng timestamp that is before 1970 or does not fit.
    #[error(
        "timestamp {ticks} with if_tsresol 0x{tsresol:02x} and if_tsoffset {tsoffset} is not \
         representable"
    )]
    Timestamp {
        ticks: u64,
        tsresol: u8,
        tsoffset: i64,
    },
    /// A simple packet block before any interface description block.
    #[error("simple packet block before any interface description block")]
    NoInterface,
    /// A pcap record in a pcapng file or the reverse.
    #[error("frame {frame}: block does not belong to this file format")]
    WrongFormat { frame: u64 },
}

/// Streaming reader over a pcap or pcapng capture; see the module documentation.
pub struct CaptureReader {
    /// Name used in error messages: the path, `<stdin>` or `<input>`.
    name: String,
    inner: Box<dyn PcapReaderIterator>,
    format: Format,
    /// Length of the block returned by the last `next_packet`, consumed lazily at the next call
    /// (the returned `Packet` borrows it until then).
    pending: usize,
    /// File offset of the first unconsumed byte, i.e. of the block being parsed.
    offset: u64,
    /// Packets returned so far.
    frames: u64,
    /// Current buffer capacity (only [`CaptureReader::grow_for`] changes it).
    capacity: usize,
    len: Option<u64>,
    /// The last I/O error of the underlying reader (`pcap-parser` reports only "ReadError").
    io_error: Arc<Mutex<Option<io::Error>>>,
    done: bool,
}

impl std::fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureReader")
            .field("name", &self.name)
            .field("offset", &self.offset)
            .field("frames", &self.frames)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

enum Format {
    Pcap {
        linktype: u32,
        nanos: bool,
        big_endian: bool,
        /// Record header length: 16, or 24 in the "modified" format.
        rec_hdr: usize,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    snaplen: u32,
    /// `if_tsresol` as stored: bit 7 clear = 10^-n s, set = 2^-n s.
    tsresol: u8,
    /// `if_tsoffset`, seconds added to every timestamp.
    tsoffset: i64,
}

/// What one block turned out to be (owned, so the buffer borrow ends before we act on it).
enum Step {
    Skip,
    Packet {
        /// Address of the first data byte (located again in `inner.data()` afterwards).
        addr: usize,
        len: usize,
        ts: Timestamp,
        linktype: u32,
        orig_len: u32,
    },
}

/// What went wrong in `pcap-parser`, owned.
enum Fail {
    Eof,
    Incomplete,
    BufferTooSmall,
    UnexpectedEof,
    ReadError,
    Malformed(String),
}

impl CaptureReader {
    /// Opens a capture file; `"-"` reads standard input.
    pub fn open(path: &str) -> Result<Self, ReadError> {
        if path == "-" {
            return Self::with_name("<stdin>".to_string(), Box::new(io::stdin()), None);
        }
        let file = File::open(path).map_err(|source| ReadError::Open {
            path: path.to_string(),
            source,
        })?;
        let len = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        Self::with_name(path.to_string(), Box::new(file), len)
    }

    /// Reads a capture from any byte stream (stdin, a decompressor, a test buffer); errors name
    /// it `<input>`.
    pub fn from_reader(reader: impl Read + 'static) -> Result<Self, ReadError> {
        Self::with_name("<input>".to_string(), Box::new(reader), None)
    }

    fn with_name(
        name: String,
        mut reader: Box<dyn Read>,
        len: Option<u64>,
    ) -> Result<Self, ReadError> {
        let io_error = Arc::new(Mutex::new(None));
        let head = match read_head(&mut reader) {
            Ok(h) => h,
            Err(source) => return Err(ReadError::Unreadable { name, source }),
        };
        let kind = match sniff(&head) {
            Ok(k) => k,
            Err(reason) => return Err(ReadError::NotCapture { name, reason }),
        };
        let capacity = INITIAL_BUFFER.max(head.len().next_power_of_two());
        // The head goes back in front of the stream, so pcap-parser's first (single) read sees
        // the complete file header even on a pipe that delivers a few bytes at a time.
        let stream = Cursor::new(head).chain(KeepError {
            inner: reader,
            slot: Arc::clone(&io_error),
        });
        let invalid = |what: &'static str, e: PcapError<&[u8]>| ReadError::InvalidHeader {
            name: name.clone(),
            what,
            detail: e.to_string(),
        };
        let (inner, format): (Box<dyn PcapReaderIterator>, Format) = match kind {
            Kind::Pcap => (
                Box::new(
                    LegacyPcapReader::new(capacity, stream)
                        .map_err(|e| invalid("pcap file header", e))?,
                ),
                Format::Pcap {
                    linktype: 0,
                    nanos: false,
                    big_endian: false,
                    rec_hdr: 16,
                },
            ),
            Kind::PcapNg => (
                Box::new(
                    PcapNGReader::new(capacity, stream)
                        .map_err(|e| invalid("pcapng section header", e))?,
                ),
                Format::PcapNg {
                    big_endian: false,
                    interfaces: Vec::new(),
                },
            ),
        };
        Ok(CaptureReader {
            name,
            inner,
            format,
            pending: 0,
            offset: 0,
            frames: 0,
            capacity,
            len,
            io_error,
            done: false,
        })
    }

    /// Bytes of the file consumed so far, including the packet last returned (for progress bars).
    pub fn bytes_read(&self) -> u64 {
        self.offset + self.pending as u64
    }

    /// The file's size when known (`None` for stdin, pipes and readers).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> Option<u64> {
        self.len
    }

    /// Current read-buffer capacity (constant unless a record was larger than the buffer).
    #[cfg(test)]
    pub(crate) fn buffer_capacity(&self) -> usize {
        debug_assert!(self.inner.data().len() <= self.capacity);
        self.capacity
    }

    /// The next packet, `Ok(None)` at the clean end of the capture.
    ///
    /// Errors (truncated or malformed record, oversized record, I/O) name the frame number and
    /// the file offset of the offending record; after an error the reader is finished.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, ReadError> {
        // `consume_noshift`: the buffer is compacted only by `refill`, when a block runs past
        // its end (a partial block moved to the front), not each time half of it has been
        // consumed (`consume` moved the unread half: as many octets as the file holds, again).
        if self.pending > 0 {
            self.inner.consume_noshift(self.pending);
            self.offset += self.pending as u64;
            self.pending = 0;
        }
        if self.done {
            return Ok(None);
        }
        let mut stalls = 0u32;
        let (block_len, step) = loop {
            let frame = self.frames + 1;
            let offset = self.offset;
            if let Format::PcapNg {
                big_endian: false,
                interfaces,
            } = &self.format
            {
                if let Some(fast) = plain_epb_le(self.inner.data(), interfaces) {
                    break fast;
                }
            }
            let outcome = match self.inner.next() {
                Ok((len, block)) => Ok((len, classify(&mut self.format, block, frame))),
                Err(e) => Err(fail_kind(e)),
            };
            match outcome {
                Ok((len, Ok(Step::Skip))) => {
                    self.inner.consume_noshift(len);
                    self.offset += len as u64;
                }
                Ok((len, Ok(step))) => break (len, step),
                Ok((_, Err(reason))) => {
                    self.done = true;
                    return Err(ReadError::Block {
                        name: self.name.clone(),
                        frame,
                        offset,
                        reason,
                    });
                }
                Err(Fail::Eof) => {
                    self.done = true;
                    return Ok(None);
                }
                Err(Fail::Incomplete) => {
                    let before = self.inner.data().len();
                    if self.inner.refill().is_err() {
                        self.done = true;
                        return Err(self.read_error(frame, offset));
                    }
                    if self.inner.data().len() == before && !self.inner.reader_exhausted() {
                        stalls += 1;
                        if stalls > 64 {
                            self.done = true;
                            return Err(ReadError::NoProgress {
                                name: self.name.clone(),
                                frame,
                                offset,
                            });
                        }
                    } else {
                        stalls = 0;
                    }
                }
                Err(Fail::BufferTooSmall) => {
                    let before = (self.capacity, self.inner.data().len());
                    if let Err(e) = self.grow_for(frame, offset) {
                        self.done = true;
                        return Err(e);
                    }
                    if (self.capacity, self.inner.data().len()) == before {
                        stalls += 1;
                        if stalls > 64 {
                            self.done = true;
                            return Err(ReadError::DoesNotFit {
                                name: self.name.clone(),
                                frame,
                                offset,
                            });
                        }
                    } else {
                        stalls = 0;
                    }
                }
                Err(Fail::UnexpectedEof) => {
                    self.done = true;
                    return Err(self.truncated(frame, offset));
                }
                Err(Fail::ReadError) => {
                    self.done = true;
                    return Err(self.read_error(frame, offset));
                }
                Err(Fail::Malformed(reason)) => {
                    self.done = true;
                    return Err(ReadError::Malformed {
                        name: self.name.clone(),
                        frame,
                        offset,
                        block: self.block_header(),
                        reason,
                    });
                }
            }
        };
        let Step::Packet {
            addr,
            len,
            ts,
            linktype,
            orig_len,
        } = step
        else {
            // `Skip` never leaves the loop.
            return Err(ReadError::Internal {
                name: self.name.clone(),
                what: "internal error: skipped block returned".to_string(),
            });
        };
        self.pending = block_len;
        self.frames += 1;
        let buf = self.inner.data();
        let data = addr
            .checked_sub(buf.as_ptr() as usize)
            .and_then(|start| buf.get(start..start.checked_add(len)?))
            .ok_or_else(|| ReadError::Internal {
                name: self.name.clone(),
                what: format!(
                    "frame {}: internal error: packet data outside the read buffer",
                    self.frames
                ),
            })?;
        Ok(Some(Packet {
            number: self.frames,
            ts,
            linktype,
            data,
            orig_len,
        }))
    }

    /// The record at the head of the buffer does not fit: grow the buffer to hold it.
    fn grow_for(&mut self, frame: u64, offset: u64) -> Result<(), ReadError> {
        let needed = self
            .declared_block_len()
            .unwrap_or(self.capacity as u64 * 2);
        if needed > MAX_BUFFER as u64 {
            return Err(ReadError::TooLarge {
                name: self.name.clone(),
                frame,
                offset,
                len: needed,
            });
        }
        // `needed` ≤ MAX_BUFFER, so this fits in usize; +1 because pcap-parser wants strictly more.
        let new_cap = (needed as usize + 1)
            .next_power_of_two()
            .max(self.capacity.saturating_mul(2))
            .min(MAX_BUFFER);
        if new_cap > self.capacity {
            self.inner.grow(new_cap);
            self.capacity = new_cap;
        }
        // pcap-parser reports "too small" one byte early (a record exactly as large as the
        // buffer): when the buffer is at its maximum, refilling it is what completes the record.
        // Make room for the rest of the record now; a failed read shows up at the next parse.
        let _ = self.inner.refill();
        Ok(())
    }

    /// Total length (header included) declared by the record at the head of the buffer.
    fn declared_block_len(&self) -> Option<u64> {
        let d = self.inner.data();
        match &self.format {
            Format::Pcap {
                big_endian,
                rec_hdr,
                ..
            } => {
                // ts_sec, ts_frac, caplen, origlen
                let caplen = u32_at(d, 8, *big_endian)?;
                Some(*rec_hdr as u64 + u64::from(caplen))
            }
            Format::PcapNg { big_endian, .. } => u32_at(d, 4, *big_endian).map(u64::from),
        }
    }

    fn truncated(&self, frame: u64, offset: u64) -> ReadError {
        let name = self.name.clone();
        let got = self.inner.data().len();
        match &self.format {
            Format::Pcap { rec_hdr, .. } if got < *rec_hdr => ReadError::TruncatedRecordHeader {
                name,
                frame,
                offset,
                got,
                need: *rec_hdr,
            },
            Format::Pcap { rec_hdr, .. } => ReadError::TruncatedRecord {
                name,
                frame,
                offset,
                got: got - rec_hdr,
                need: self.declared_block_len().map(|n| n - *rec_hdr as u64),
            },
            Format::PcapNg { .. } => match self.declared_block_len() {
                Some(need) => ReadError::TruncatedBlock {
                    name,
                    frame,
                    offset,
                    got,
                    need,
                },
                None => ReadError::TruncatedBlockHeader {
                    name,
                    frame,
                    offset,
                    got,
                },
            },
        }
    }

    fn read_error(&self, frame: u64, offset: u64) -> ReadError {
        let cause = self
            .io_error
            .lock()
            .ok()
            .and_then(|mut g| g.take())
            .map_or_else(|| "read error".to_string(), |e| e.to_string());
        ReadError::Io {
            name: self.name.clone(),
            frame,
            offset,
            cause,
        }
    }

    /// The (type, length) of the pcapng block at the head of the buffer.
    fn block_header(&self) -> Option<(u32, u32)> {
        let d = self.inner.data();
        match &self.format {
            Format::PcapNg { big_endian, .. } => {
                Some((u32_at(d, 0, *big_endian)?, u32_at(d, 4, *big_endian)?))
            }
            Format::Pcap { .. } => None,
        }
    }
}

/// The 32-bit field at `at` of `d`, in the file's byte order.
fn u32_at(d: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let b: [u8; 4] = d.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

/// Reads the file header ahead of pcap-parser: the 24-byte pcap header, or the complete pcapng
/// section header block (whose length is in its first 12 bytes).
fn read_head(reader: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(64);
    fill_to(reader, &mut head, 12)?;
    if head.len() == 12 && head[0..4] == PCAPNG_MAGIC {
        let len_bytes = [head[4], head[5], head[6], head[7]];
        let shb_len = match head[8..12] {
            [0x4d, 0x3c, 0x2b, 0x1a] => u32::from_le_bytes(len_bytes),
            [0x1a, 0x2b, 0x3c, 0x4d] => u32::from_be_bytes(len_bytes),
            _ => 0,
        } as usize;
        if (28..=MAX_BUFFER).contains(&shb_len) {
            fill_to(reader, &mut head, shb_len)?;
        }
    } else {
        fill_to(reader, &mut head, 24)?;
    }
    Ok(head)
}

/// Reads until `buf` holds `want` bytes or the stream ends.
fn fill_to(reader: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> io::Result<()> {
    let mut chunk = [0u8; 4096];
    while buf.len() < want {
        let n = (want - buf.len()).min(chunk.len());
        match reader.read(&mut chunk[..n]) {
            Ok(0) => break,
            Ok(got) => buf.extend_from_slice(&chunk[..got.min(n)]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

enum Kind {
    Pcap,
    PcapNg,
}

fn sniff(head: &[u8]) -> Result<Kind, FormatError> {
    let Some(magic) = head.get(0..4) else {
        if head.is_empty() {
            return Err(FormatError::Empty);
        }
        return Err(FormatError::TooShort {
            got: head.len(),
            head: hex::encode(head),
        });
    };
    match magic {
        [0xd4, 0xc3, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0xc3, 0xd4]
        | [0x4d, 0x3c, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0x3c, 0x4d]
        | [0x34, 0xcd, 0xb2, 0xa1] => {
            if head.len() < 24 {
                return Err(FormatError::TruncatedPcapHeader { got: head.len() });
            }
            Ok(Kind::Pcap)
        }
        [0x0a, 0x0d, 0x0d, 0x0a] => {
            let (Some(len), Some(bom)) = (head.get(4..8), head.get(8..12)) else {
                return Err(FormatError::TruncatedSectionHeader {
                    got: head.len(),
                    need: None,
                });
            };
            let len = [len[0], len[1], len[2], len[3]];
            let declared = match bom {
                [0x4d, 0x3c, 0x2b, 0x1a] => u32::from_le_bytes(len),
                [0x1a, 0x2b, 0x3c, 0x4d] => u32::from_be_bytes(len),
                _ => {
                    return Err(FormatError::ByteOrderMagic {
                        bom: hex::encode(bom),
                    })
                }
            } as usize;
            if !(28..=MAX_BUFFER).contains(&declared) || declared % 4 != 0 {
                return Err(FormatError::SectionLength { len: declared });
            }
            if head.len() < declared {
                return Err(FormatError::TruncatedSectionHeader {
                    got: head.len(),
                    need: Some(declared),
                });
            }
            Ok(Kind::PcapNg)
        }
        [0x1f, 0x8b, _, _] => Err(FormatError::Gzip),
        [0x34, 0xcd, _, _] | [_, _, 0xcd, 0x34] => Err(FormatError::UnsupportedVariant {
            magic: hex::encode(magic),
        }),
        _ => Err(FormatError::Unknown {
            start: hex::encode(&head[..head.len().min(8)]),
        }),
    }
}

fn fail_kind(e: PcapError<&[u8]>) -> Fail {
    match e {
        PcapError::Eof => Fail::Eof,
        PcapError::Incomplete(_) => Fail::Incomplete,
        PcapError::BufferTooSmall => Fail::BufferTooSmall,
        PcapError::UnexpectedEof => Fail::UnexpectedEof,
        PcapError::ReadError => Fail::ReadError,
        PcapError::HeaderNotRecognized => Fail::Malformed("header not recognised".to_string()),
        // pcap-parser reports a failed check by the parser combinator's name; say what it
        // checks instead (its block parsers `verify` the length fields).
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            Fail::Malformed(match kind {
                pcap_parser::nom::error::ErrorKind::Verify => {
                    "a length field is inconsistent: the block total \
                     length is too small for the block's fixed fields, not a multiple of 4, or \
                     differs from the copy that ends the block"
                        .to_string()
                }
                pcap_parser::nom::error::ErrorKind::Eof
                | pcap_parser::nom::error::ErrorKind::Complete => {
                    "a field runs past the end of its block".to_string()
                }
                kind => format!("the block's layout is invalid (parser check {kind:?} failed)"),
            })
        }
    }
}

/// Turns one block into a step, updating the format state (link types, interfaces).
fn classify(
    format: &mut Format,
    block: PcapBlockOwned<'_>,
    frame: u64,
) -> Result<Step, BlockError> {
    match (format, block) {
        (
            Format::Pcap {
                linktype,
                nanos,
                big_endian,
                rec_hdr,
            },
            PcapBlockOwned::LegacyHeader(h),
        ) => {
            // The low 16 bits are the link type; the upper bits may carry FCS information.
            *linktype = (h.network.0 as u32) & 0xffff;
            *nanos = h.is_nanosecond_precision();
            *big_endian = h.is_bigendian();
            *rec_hdr = if h.is_modified_format() { 24 } else { 16 };
            Ok(Step::Skip)
        }
        (
            Format::Pcap {
                linktype, nanos, ..
            },
            PcapBlockOwned::Legacy(b),
        ) => {
            let units: u64 = if *nanos { 1_000_000_000 } else { 1_000_000 };
            // A fraction ≥ one second (seen in broken writers) carries into the seconds.
            let frac = u64::from(b.ts_usec);
            let ts = Timestamp {
                secs: u64::from(b.ts_sec) + frac / units,
                nanos: ((frac % units) * (1_000_000_000 / units)) as u32,
            };
            Ok(Step::Packet {
                addr: b.data.as_ptr() as usize,
                len: b.data.len(),
                ts,
                linktype: *linktype,
                orig_len: b.origlen,
            })
        }
        (
            Format::PcapNg {
                big_endian,
                interfaces,
            },
            PcapBlockOwned::NG(block),
        ) => match block {
            Block::SectionHeader(shb) => {
                *big_endian = shb.big_endian();
                interfaces.clear();
                Ok(Step::Skip)
            }
            Block::InterfaceDescription(idb) => {
                let tsoffset = if *big_endian {
                    // pcap-parser decodes if_tsoffset as little-endian whatever the section's
                    // byte order; re-read it for big-endian sections.
                    idb.options
                        .iter()
                        .find(|o| o.code == OptionCode::IfTsoffset)
                        .and_then(|o| o.value.get(..8)?.try_into().ok())
                        .map_or(0, i64::from_be_bytes)
                } else {
                    idb.if_tsoffset
                };
                interfaces.push(Interface {
                    linktype: u32::from(idb.linktype.0 as u16),
                    snaplen: idb.snaplen,
                    tsresol: idb.if_tsresol,
                    tsoffset,
                });
                Ok(Step::Skip)
            }
            Block::EnhancedPacket(epb) => {
                let iface =
                    interfaces
                        .get(epb.if_id as usize)
                        .ok_or(BlockError::UnknownInterface {
                            if_id: epb.if_id,
                            described: interfaces.len(),
                        })?;
                let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let ts = ticks_to_ts(ticks, iface.tsresol, iface.tsoffset).ok_or(
                    BlockError::Timestamp {
                        ticks,
                        tsresol: iface.tsresol,
                        tsoffset: iface.tsoffset,
                    },
                )?;
                let data = epb.packet_data();
                Ok(Step::Packet {
                    addr: data.as_ptr() as usize,
                    len: data.len(),
                    ts,
                    linktype: iface.linktype,
                    orig_len: epb.origlen,
                })
            }
            Block::SimplePacket(spb) => {
                let iface = interfaces.first().ok_or(BlockError::NoInterface)?;
                let mut data = spb.packet_data();
                if iface.snaplen != 0 {
                    data = data.get(..iface.snaplen as usize).unwrap_or(data);
                }
                // A simple packet block has no timestamp.
                Ok(Step::Packet {
                    addr: data.as_ptr() as usize,
                    len: data.len(),
                    ts: Timestamp::default(),
                    linktype: iface.linktype,
                    orig_len: spb.origlen,
                })
            }
            _ => Ok(Step::Skip),
        },
        (_, _) => Err(BlockError::WrongFormat { frame }),
    }
}

/// A little-endian Enhanced Packet Block without options at the head of `data`, read
/// directly: (block length, packet). Written by hand because `pcap-parser` builds a block
/// enum with an options `Vec` for every packet and dispatches on every block type, which was a
/// sixth of the instructions of `ikev2 summary`. Only a block that `pcap-parser` parses to the
/// same packet is taken here (complete in the buffer, type 6, both lengths equal, the padded
/// data filling the block exactly, a described interface, a timestamp in range); anything else
/// gives `None` and goes through `pcap-parser` and [`classify`], which name its error.
fn plain_epb_le(data: &[u8], interfaces: &[Interface]) -> Option<(usize, Step)> {
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(
            data.get(at..at.checked_add(4)?)?.try_into().ok()?,
        ))
    };
    // Block Type 6, Block Total Length, Interface ID, Timestamp (high, low), Captured and
    // Original Packet Length, Packet Data, Block Total Length (pcapng §4.3).
    if word(0)? != 6 {
        return None;
    }
    let block_len = word(4)? as usize;
    let caplen = word(20)?;
    if block_len < 32 || data.len() < block_len || word(block_len - 4)? as usize != block_len {
        return None;
    }
    // pcap-parser refuses these lengths; no options: the data, padded to 32 bits, ends the body.
    if caplen >= u32::MAX - 4 || 32 + (caplen as usize).next_multiple_of(4) != block_len {
        return None;
    }
    let iface = interfaces.get(word(8)? as usize)?;
    let ticks = (u64::from(word(12)?) << 32) | u64::from(word(16)?);
    let ts = ticks_to_ts(ticks, iface.tsresol, iface.tsoffset)?;
    let packet = data.get(28..28 + caplen as usize)?;
    Some((
        block_len,
        Step::Packet {
            addr: packet.as_ptr() as usize,
            len: packet.len(),
            ts,
            linktype: iface.linktype,
            orig_len: word(24)?,
        },
    ))
}

/// Converts a pcapng timestamp (`ticks` units of 10^-n or 2^-n s, plus `if_tsoffset` seconds).
fn ticks_to_ts(ticks: u64, tsresol: u8, tsoffset: i64) -> Option<Timestamp> {
    // The usual resolutions, 10^-0 to 10^-9 s (microseconds by default), in 64-bit
    // arithmetic: 10^9 is a multiple of the unit, so the nanoseconds are exact. The general
    // case below divides 128-bit numbers (a library call each).
    // Microseconds, the default and by far the most common, divide by a constant (a multiply);
    // the unit of the others is looked up, not raised to its power for every packet.
    const POW10: [u64; 10] = [
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10_000_000,
        100_000_000,
        1_000_000_000,
    ];
    let split = |units: u64| -> Option<Timestamp> {
        // ticks / units + tsoffset is below 0 or above u64::MAX exactly when it overflows here.
        Some(Timestamp {
            secs: (ticks / units).checked_add_signed(tsoffset)?,
            nanos: u32::try_from((ticks % units) * (1_000_000_000 / units)).ok()?,
        })
    };
    if tsresol == 6 {
        return split(1_000_000);
    }
    if let Some(&units) = POW10.get(usize::from(tsresol)) {
        return split(units);
    }
    ticks_to_ts_wide(ticks, tsresol, tsoffset)
}

/// [`ticks_to_ts`] for any resolution, in 128-bit arithmetic.
fn ticks_to_ts_wide(ticks: u64, tsresol: u8, tsoffset: i64) -> Option<Timestamp> {
    let exp = u32::from(tsresol & 0x7f);
    let units: u128 = if tsresol & 0x80 == 0 {
        10u128.checked_pow(exp)?
    } else {
        1u128.checked_shl(exp)?
    };
    let ticks = u128::from(ticks);
    let secs = i128::try_from(ticks / units).ok()? + i128::from(tsoffset);
    // frac < 2^64, so frac * 10^9 < 2^94 fits.
    let nanos = (ticks % units) * 1_000_000_000 / units;
    Some(Timestamp {
        secs: u64::try_from(secs).ok()?,
        nanos: u32::try_from(nanos).ok()?,
    })
}

/// Wraps the byte source: retries `Interrupted`, and keeps the last I/O error so it can be
/// reported (pcap-parser reduces every failure to `ReadError`).
struct KeepError {
    inner: Box<dyn Read>,
    slot: Arc<Mutex<Option<io::Error>>>,
}

impl Read for KeepError {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let copy = io::Error::new(e.kind(), e.to_string());
                    if let Ok(mut g) = self.slot.lock() {
                        *g = Some(e);
                    }
                    return Err(copy);
                }
                ok => return ok,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use crate::testutil;

    /// Builds a classic pcap file. `be`: big-endian; `nanos`: ns magic.
    pub(crate) fn pcap_bytes(
        be: bool,
        nanos: bool,
        linktype: u32,
        recs: &[(u32, u32, &[u8])],
    ) -> Vec<u8> {
        let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let u16b = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut out = Vec::new();
        out.extend(u32b(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 })); // magic
        out.extend(u16b(2)); // version major
        out.extend(u16b(4)); // version minor
        out.extend(u32b(0)); // thiszone
        out.extend(u32b(0)); // sigfigs
        out.extend(u32b(65535)); // snaplen
        out.extend(u32b(linktype)); // network
        for &(sec, frac, data) in recs {
            out.extend(u32b(sec)); // ts_sec
            out.extend(u32b(frac)); // ts_usec / ts_nsec
            out.extend(u32b(data.len() as u32)); // incl_len
            out.extend(u32b(data.len() as u32 + 4)); // orig_len (pretend 4 bytes sliced off)
            out.extend_from_slice(data);
        }
        out
    }

    /// (number, ts, linktype, data, orig_len)
    type Row = (u64, Timestamp, u32, Vec<u8>, u32);

    fn read_all(bytes: Vec<u8>) -> Result<Vec<Row>, ReadError> {
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes)))?;
        let mut out = Vec::new();
        while let Some(p) = r.next_packet()? {
            out.push((p.number, p.ts, p.linktype, p.data.to_vec(), p.orig_len));
        }
        Ok(out)
    }

    #[test]
    fn pcap_all_byte_orders_and_resolutions() {
        for be in [false, true] {
            for nanos in [false, true] {
                let frac = if nanos { 123_456_789 } else { 123_456 };
                let bytes = pcap_bytes(be, nanos, 195, &[(100, frac, b"abc"), (101, 0, b"")]);
                let pkts = read_all(bytes).unwrap_or_else(|e| panic!("be={be} ns={nanos}: {e:#}"));
                assert_eq!(pkts.len(), 2, "be={be} ns={nanos}");
                assert_eq!(pkts[0].0, 1);
                assert_eq!(pkts[1].0, 2);
                let want_nanos = if nanos { 123_456_789 } else { 123_456_000 };
                assert_eq!(
                    pkts[0].1,
                    Timestamp {
                        secs: 100,
                        nanos: want_nanos
                    }
                );
                assert_eq!(pkts[0].2, 195);
                assert_eq!(pkts[0].3, b"abc");
                assert_eq!(pkts[0].4, 7);
                assert_eq!(pkts[1].3, b"");
                assert_eq!(pkts[1].1.secs, 101);
            }
        }
    }

    #[test]
    fn pcap_fraction_overflow_carries() {
        let bytes = pcap_bytes(false, false, 1, &[(5, 2_500_000, b"x")]);
        let pkts = read_all(bytes).unwrap();
        assert_eq!(
            pkts[0].1,
            Timestamp {
                secs: 7,
                nanos: 500_000_000
            }
        );
    }

    /// pcapng block builder (little- or big-endian).
    pub(crate) struct Ng {
        be: bool,
        pub(crate) out: Vec<u8>,
    }

    impl Ng {
        pub(crate) fn new(be: bool) -> Self {
            let mut ng = Ng {
                be,
                out: Vec::new(),
            };
            // SHB: byte-order magic, version 1.0, section length -1, no options.
            let mut body = Vec::new();
            body.extend(ng.u32(0x1a2b_3c4d)); // byte-order magic
            body.extend(ng.u16(1)); // major
            body.extend(ng.u16(0)); // minor
            body.extend([0xff; 8]); // section length: unknown
            ng.block(0x0a0d_0d0a, &body);
            ng
        }
        fn u32(&self, v: u32) -> [u8; 4] {
            if self.be {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }
        fn u16(&self, v: u16) -> [u8; 2] {
            if self.be {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }
        fn block(&mut self, ty: u32, body: &[u8]) {
            let mut body = body.to_vec();
            while body.len() % 4 != 0 {
                body.push(0);
            }
            let total = 12 + body.len() as u32;
            let ty = if ty == 0x0a0d_0d0a {
                [0x0a, 0x0d, 0x0d, 0x0a]
            } else {
                self.u32(ty)
            };
            self.out.extend(ty);
            self.out.extend(self.u32(total));
            self.out.extend(body);
            self.out.extend(self.u32(total));
        }
        /// IDB with optional if_tsresol (code 9) and if_tsoffset (code 14).
        pub(crate) fn idb(&mut self, linktype: u16, tsresol: Option<u8>, tsoffset: Option<i64>) {
            let mut body = Vec::new();
            body.extend(self.u16(linktype)); // link type
            body.extend(self.u16(0)); // reserved
            body.extend(self.u32(0)); // snaplen: unlimited
            if let Some(r) = tsresol {
                body.extend(self.u16(9)); // if_tsresol
                body.extend(self.u16(1));
                body.extend([r, 0, 0, 0]); // value + padding
            }
            if let Some(o) = tsoffset {
                body.extend(self.u16(14)); // if_tsoffset
                body.extend(self.u16(8));
                body.extend(if self.be {
                    o.to_be_bytes()
                } else {
                    o.to_le_bytes()
                });
            }
            if tsresol.is_some() || tsoffset.is_some() {
                body.extend(self.u16(0)); // opt_endofopt
                body.extend(self.u16(0));
            }
            self.block(1, &body);
        }
        pub(crate) fn epb(&mut self, if_id: u32, ticks: u64, data: &[u8]) {
            let mut body = Vec::new();
            body.extend(self.u32(if_id)); // interface id
            body.extend(self.u32((ticks >> 32) as u32)); // timestamp (high)
            body.extend(self.u32(ticks as u32)); // timestamp (low)
            body.extend(self.u32(data.len() as u32)); // captured length
            body.extend(self.u32(data.len() as u32)); // original length
            body.extend_from_slice(data);
            self.block(6, &body);
        }
    }

    #[test]
    fn pcapng_two_interfaces_tsresol_and_offset() {
        for be in [false, true] {
            let mut ng = Ng::new(be);
            ng.idb(1, None, None); // Ethernet, default µs
            ng.idb(195, Some(9), None); // 802.15.4, ns
            ng.idb(230, Some(0x80 | 20), Some(-100)); // 2^-20 s, offset -100 s
            ng.block(4, &[0u8; 4]); // a name resolution block (ends immediately): skipped
            ng.epb(0, 1_500_000_250_000, b"eth");
            ng.epb(1, 1_500_000_000_123_456_789, b"wpan");
            ng.epb(2, (1000u64 << 20) | (1 << 19), b"nofcs");
            let pkts = read_all(ng.out).unwrap_or_else(|e| panic!("be={be}: {e:#}"));
            assert_eq!(pkts.len(), 3, "be={be}");
            assert_eq!(
                (pkts[0].0, pkts[0].2, pkts[0].3.as_slice()),
                (1, 1, &b"eth"[..])
            );
            assert_eq!(
                pkts[0].1,
                Timestamp {
                    secs: 1_500_000,
                    nanos: 250_000_000
                }
            );
            assert_eq!(
                (pkts[1].0, pkts[1].2, pkts[1].3.as_slice()),
                (2, 195, &b"wpan"[..])
            );
            assert_eq!(
                pkts[1].1,
                Timestamp {
                    secs: 1_500_000_000,
                    nanos: 123_456_789
                }
            );
            assert_eq!((pkts[2].2, pkts[2].3.as_slice()), (230, &b"nofcs"[..]));
            assert_eq!(
                pkts[2].1,
                Timestamp {
                    secs: 900,
                    nanos: 500_000_000
                },
                "be={be}"
            );
        }
    }

    /// The hand-read Enhanced Packet Block takes only what `pcap-parser` and [`classify`]
    /// read to the same packet: over well-formed blocks (padded or not, with options, on a
    /// second interface), every prefix of each and each header or trailer octet set in turn to
    /// several values, it either declines or agrees exactly.
    #[test]
    fn plain_epb_agrees_with_pcap_parser() {
        use pcap_parser::pcapng::parse_block_le;
        let interfaces = [
            Interface {
                linktype: 1,
                snaplen: 0,
                tsresol: 6,
                tsoffset: 0,
            },
            Interface {
                linktype: 195,
                snaplen: 0,
                tsresol: 9,
                tsoffset: -5,
            },
        ];
        let mut blocks = Vec::new();
        for (if_id, data) in [(0u32, &b"four"[..]), (1, b"odd"), (0, b""), (1, &[7u8; 61])] {
            let mut ng = Ng::new(false);
            let start = ng.out.len();
            ng.epb(if_id, 1_700_000_000_123_456, data);
            blocks.push(ng.out[start..].to_vec());
        }
        // With an option (opt_comment "hi", then opt_endofopt): declined, pcap-parser reads it.
        let mut ng = Ng::new(false);
        let start = ng.out.len();
        let mut body = Vec::new();
        for v in [0u32, 0, 42, 4, 4] {
            body.extend(v.to_le_bytes());
        }
        body.extend(b"abcd");
        body.extend([1, 0, 2, 0, b'h', b'i', 0, 0, 0, 0, 0, 0]);
        ng.block(6, &body);
        let with_option = ng.out[start..].to_vec();
        blocks.push(with_option.clone());
        let mut variants = Vec::new();
        for b in &blocks {
            for cut in 0..b.len() {
                variants.push(b[..cut].to_vec());
            }
            let fixed = (0..28).chain(b.len() - 4..b.len());
            for at in fixed {
                for v in [0u8, 1, 3, 4, 5, 6, 0x20, 0x7f, 0xfc, 0xff] {
                    let mut m = b.clone();
                    m[at] = v;
                    variants.push(m);
                }
            }
            variants.push(b.clone());
        }
        let mut taken = 0;
        for v in &variants {
            let Some((len, fast)) = plain_epb_le(v, &interfaces) else {
                continue;
            };
            taken += 1;
            let mut format = Format::PcapNg {
                big_endian: false,
                interfaces: interfaces.to_vec(),
            };
            let (rest, block) =
                parse_block_le(v).expect("taken by hand but refused by pcap-parser");
            let slow = classify(&mut format, PcapBlockOwned::NG(block), 1)
                .unwrap_or_else(|e| panic!("taken by hand but refused: {e}"));
            assert_eq!(len, v.len() - rest.len());
            let (
                Step::Packet {
                    addr,
                    len,
                    ts,
                    linktype,
                    orig_len,
                },
                Step::Packet {
                    addr: a2,
                    len: l2,
                    ts: t2,
                    linktype: k2,
                    orig_len: o2,
                },
            ) = (fast, slow)
            else {
                panic!("not a packet");
            };
            assert_eq!((addr, len, ts, linktype, orig_len), (a2, l2, t2, k2, o2));
        }
        assert!(taken >= blocks.len() - 1, "{taken}");
        assert!(plain_epb_le(&with_option, &interfaces).is_none());
    }

    #[test]
    fn pcapng_unknown_interface_is_an_error() {
        let mut ng = Ng::new(false);
        ng.idb(1, None, None);
        ng.epb(0, 0, b"ok");
        ng.epb(3, 0, b"bad");
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(ng.out))).unwrap();
        assert!(r.next_packet().unwrap().is_some());
        let e = format!("{:#}", r.next_packet().unwrap_err());
        assert!(e.contains("frame 2") && e.contains("interface 3"), "{e}");
        assert!(e.contains("the section describes only interface 0"), "{e}");
        assert!(
            r.next_packet().unwrap().is_none(),
            "reader is finished after an error"
        );
        // No interface description at all before the packet.
        let mut ng = Ng::new(false);
        ng.epb(0, 0, b"bad");
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(ng.out))).unwrap();
        let e = format!("{:#}", r.next_packet().unwrap_err());
        assert!(
            e.contains("interface 0 but no interface description block precedes it"),
            "{e}"
        );
    }

    /// A block whose total length is smaller than its fixed fields: the message says which
    /// check failed in words, not by the parser's internal name.
    #[test]
    fn pcapng_inconsistent_block_length_is_explained() {
        let mut ng = Ng::new(false);
        ng.idb(1, None, None);
        ng.epb(0, 0, b"ok");
        let start = ng.out.len();
        ng.epb(0, 0, b"bad!");
        // Enhanced packet block: total length 8 (both copies) cannot hold its 20 fixed octets.
        ng.out[start + 4..start + 8].copy_from_slice(&8u32.to_le_bytes());
        let end = ng.out.len();
        ng.out[end - 4..].copy_from_slice(&8u32.to_le_bytes());
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(ng.out))).unwrap();
        assert!(r.next_packet().unwrap().is_some());
        let e = format!("{:#}", r.next_packet().unwrap_err());
        assert!(e.contains("frame 2"), "{e}");
        assert!(!e.contains("Verify"), "{e}");
        assert!(e.contains("length"), "{e}");
    }

    #[test]
    fn truncated_record_names_frame_and_offset() {
        let mut bytes = pcap_bytes(false, false, 1, &[(1, 0, &[1; 10]), (2, 0, &[2; 10])]);
        bytes.truncate(bytes.len() - 3);
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes))).unwrap();
        assert_eq!(r.next_packet().unwrap().unwrap().data, &[1; 10]);
        let e = format!("{:#}", r.next_packet().unwrap_err());
        // second record starts at 24 + 16 + 10 = 50
        assert!(e.contains("frame 2") && e.contains("offset 50"), "{e}");
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn truncated_record_header_and_pcapng_block() {
        let mut bytes = pcap_bytes(false, true, 1, &[(1, 0, b"abcd")]);
        bytes.extend([0u8; 5]); // 5 bytes of a second record header
        let e = format!("{:#}", read_all(bytes).unwrap_err());
        assert!(
            e.contains("frame 2") && e.contains("offset 44") && e.contains("5 of 16"),
            "{e}"
        );

        let mut ng = Ng::new(false);
        ng.idb(1, None, None);
        let epb_at = ng.out.len();
        ng.epb(0, 0, &[7; 40]);
        ng.out.truncate(ng.out.len() - 10);
        let e = format!("{:#}", read_all(ng.out).unwrap_err());
        assert!(
            e.contains("frame 1") && e.contains(&format!("offset {epb_at}")) && e.contains("of 72"),
            "{e}"
        );
    }

    #[test]
    fn malformed_pcapng_block_names_offset_and_type() {
        let mut ng = Ng::new(false);
        ng.idb(1, None, None);
        let at = ng.out.len();
        ng.epb(0, 0, b"abcd");
        let n = ng.out.len();
        ng.out[n - 4] ^= 0xff; // trailing block length no longer matches the leading one
        let e = format!("{:#}", read_all(ng.out).unwrap_err());
        assert!(
            e.contains("frame 1")
                && e.contains(&format!("offset {at}"))
                && e.contains("0x00000006"),
            "{e}"
        );
    }

    #[test]
    fn garbage_and_empty_inputs_are_clear_errors() {
        for (input, want) in [
            (
                b"hello world, this is not a capture".to_vec(),
                "not a pcap or pcapng file",
            ),
            (Vec::new(), "empty input"),
            (vec![0xd4, 0xc3], "not a pcap or pcapng file"),
            (
                vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0],
                "truncated pcap file header",
            ),
            (vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0], "gzip"),
            (
                vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4],
                "byte-order magic",
            ),
            (
                vec![
                    0x0a, 0x0d, 0x0d, 0x0a, 0xff, 0xff, 0xff, 0x7f, 0x4d, 0x3c, 0x2b, 0x1a,
                ],
                "block length 2147483647 is invalid",
            ),
            (
                vec![
                    0x0a, 0x0d, 0x0d, 0x0a, 32, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0,
                ],
                "14 of 32 bytes",
            ),
        ] {
            let e = CaptureReader::from_reader(Box::new(Cursor::new(input.clone())))
                .err()
                .map(|e| format!("{e:#}"))
                .unwrap_or_default();
            assert!(e.contains(want), "{input:02x?}: {e}");
        }
    }

    #[test]
    fn oversized_record_is_an_error_without_allocation() {
        let mut bytes = pcap_bytes(false, false, 1, &[]);
        bytes.extend(1u32.to_le_bytes()); // ts_sec
        bytes.extend(0u32.to_le_bytes()); // ts_usec
        bytes.extend(0x7fff_fff0u32.to_le_bytes()); // incl_len: 2 GiB
        bytes.extend(0x7fff_fff0u32.to_le_bytes()); // orig_len
        bytes.extend([0u8; 100]);
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes))).unwrap();
        let e = format!("{:#}", r.next_packet().unwrap_err());
        assert!(e.contains("frame 1") && e.contains("MiB limit"), "{e}");
        assert_eq!(r.buffer_capacity(), INITIAL_BUFFER);
    }

    #[test]
    fn record_bigger_than_buffer_grows_it() {
        let big = vec![0x5a; 200_000];
        let bytes = pcap_bytes(true, false, 1, &[(1, 0, b"a"), (2, 0, &big), (3, 0, b"c")]);
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes))).unwrap();
        assert_eq!(r.next_packet().unwrap().unwrap().data, b"a");
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!((p.number, p.data.len()), (2, 200_000));
        assert!(p.data.iter().all(|&b| b == 0x5a));
        assert_eq!(r.next_packet().unwrap().unwrap().data, b"c");
        assert!(r.next_packet().unwrap().is_none());
        assert!(r.buffer_capacity() > 200_000 && r.buffer_capacity() <= MAX_BUFFER);
    }

    #[test]
    fn records_up_to_the_limit_grow_the_buffer_to_it() {
        // Record header + data = MAX_BUFFER: the largest record that is accepted.
        let big = vec![1u8; MAX_BUFFER - 16];
        let rec = |bytes: &mut Vec<u8>, data: &[u8]| {
            bytes.extend(1u32.to_le_bytes()); // ts_sec
            bytes.extend(0u32.to_le_bytes()); // ts_usec
            bytes.extend((data.len() as u32).to_le_bytes()); // incl_len
            bytes.extend((data.len() as u32).to_le_bytes()); // orig_len
            bytes.extend(data);
        };
        let mut bytes = pcap_bytes(false, false, 1, &[(1, 0, &[9; 300_000])]);
        rec(&mut bytes, &big);
        rec(&mut bytes, &big);
        let too_big_at = bytes.len();
        let mut bigger = big.clone();
        bigger.push(1);
        rec(&mut bytes, &bigger);
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes))).unwrap();
        let lens: Vec<_> = (0..3)
            .map(|_| r.next_packet().unwrap().map(|p| p.data.len()))
            .collect();
        assert_eq!(lens, [Some(300_000), Some(big.len()), Some(big.len())]);
        assert_eq!(r.buffer_capacity(), MAX_BUFFER);
        let e = match r.next_packet() {
            Ok(p) => panic!("accepted: {:?}", p.map(|p| p.data.len())),
            Err(e) => format!("{e:#}"),
        };
        assert!(
            e.contains("frame 4")
                && e.contains(&format!("offset {too_big_at}"))
                && e.contains("limit"),
            "{e}"
        );
    }

    /// Delivers at most one byte per read, like a slow pipe.
    struct Trickle(Cursor<Vec<u8>>);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(1);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn trickling_reader_works_for_both_formats() {
        let bytes = pcap_bytes(false, false, 229, &[(1, 1, b"hello"), (2, 2, b"world")]);
        let mut r = CaptureReader::from_reader(Box::new(Trickle(Cursor::new(bytes)))).unwrap();
        let mut got = Vec::new();
        while let Some(p) = r.next_packet().unwrap() {
            got.push(p.data.to_vec());
        }
        assert_eq!(got, vec![b"hello".to_vec(), b"world".to_vec()]);

        let mut ng = Ng::new(false);
        ng.idb(1, Some(9), None);
        ng.epb(0, 5, b"ng-data");
        let mut r = CaptureReader::from_reader(Box::new(Trickle(Cursor::new(ng.out)))).unwrap();
        assert_eq!(r.next_packet().unwrap().unwrap().data, b"ng-data");
        assert!(r.next_packet().unwrap().is_none());
    }

    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }

    #[test]
    fn io_error_is_reported_with_its_cause() {
        let head = pcap_bytes(false, false, 1, &[]);
        let src = Cursor::new(head).chain(Failing);
        let mut r = CaptureReader::from_reader(Box::new(src)).unwrap();
        let e = format!("{:#}", r.next_packet().unwrap_err());
        assert!(e.contains("disk on fire") && e.contains("frame 1"), "{e}");
    }

    #[test]
    fn open_file_path_len_and_bytes_read() {
        let bytes = pcap_bytes(false, true, 1, &[(9, 9, b"0123456789")]);
        let path = std::env::temp_dir().join(format!("ietfwg-read-{}.pcap", std::process::id()));
        std::fs::write(&path, &bytes).unwrap();
        let mut r = CaptureReader::open(path.to_str().unwrap()).unwrap();
        assert_eq!(r.len(), Some(bytes.len() as u64));
        assert_eq!(r.bytes_read(), 0);
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!((p.number, p.ts.nanos, p.data), (1, 9, &b"0123456789"[..]));
        assert!(r.next_packet().unwrap().is_none());
        assert_eq!(r.bytes_read(), bytes.len() as u64);
        std::fs::remove_file(&path).ok();

        let e = format!(
            "{:#}",
            CaptureReader::open("/nonexistent/x.pcap").unwrap_err()
        );
        assert!(e.contains("/nonexistent/x.pcap"), "{e}");
    }

    #[test]
    fn ticks_decimal_fast_path_equals_the_wide_one() {
        let ticks = [
            0,
            1,
            999,
            1_000_000,
            1_672_531_200_123_456,
            u64::MAX - 1,
            u64::MAX,
        ];
        for tsresol in 0..=9u8 {
            for t in ticks {
                for off in [0, -1, 7, i64::MIN, i64::MAX] {
                    assert_eq!(
                        ticks_to_ts(t, tsresol, off),
                        ticks_to_ts_wide(t, tsresol, off),
                        "{t} {tsresol} {off}"
                    );
                }
            }
        }
    }

    #[test]
    fn ticks_conversion_edges() {
        assert_eq!(ticks_to_ts(u64::MAX, 19, 0).map(|t| t.secs), Some(1));
        assert_eq!(
            ticks_to_ts(3, 0x81, 0),
            Some(Timestamp {
                secs: 1,
                nanos: 500_000_000
            })
        );
        assert_eq!(
            ticks_to_ts(3, 0x80, 0),
            Some(Timestamp { secs: 3, nanos: 0 })
        );
        assert_eq!(ticks_to_ts(0, 6, -1), None, "before 1970");
        assert_eq!(ticks_to_ts(1, 0x7f, 0), None, "10^-127 s does not fit");
        assert_eq!(
            ticks_to_ts(1, 0xff, 0),
            Some(Timestamp { secs: 0, nanos: 0 })
        );
    }

    /// Frame counts from `capinfos -c` (Wireshark 4.0) for every corpus capture.
    pub(crate) const COUNTS: &[(&str, u64)] = &[
        ("6lo/6lowpan_dissector_enourmously_big_trace.pcap", 6565),
        ("6lo/6lowpan_stimuli_01.pcap", 2),
        ("6lo/6lowpan_stimuli_02.pcap", 2),
        ("6lo/802154_no_FCS_6lowpan_ICMPv6.pcap", 4),
        ("6lo/802154_with_FCS_6lowpan_ICMPv6.pcap", 4),
        ("6lo/802_15_4-data.pcap", 1),
        ("6lo/802_15_4-oobr-1.pcap", 1),
        ("6lo/802_15_4-oobr-2.pcap", 1),
        ("6lo/802_15_4_ACKS.pcap", 7),
        ("6lo/802_15_4_beacon.pcap", 1),
        ("6lo/802_15_4_simple_FCS_test.pcap", 1),
        ("6lo/802_15_4_with_FCS_13_frames.pcap", 13),
        ("6lo/802_15_4_with_FCS_seven_frames.pcap", 7),
        ("6lo/802_15_4_with_FCS_twelve_frames.pcap", 12),
        ("6lo/TD_6LOWPAN_HC_01.pcap", 4),
        ("6lo/TD_6LOWPAN_HC_01_PASS.pcap", 2),
        (
            "6lo/TD_6LOWPAN_HC_02_starting_with_one_dummy_packet.pcap",
            3,
        ),
        ("6lo/TD_6LOWPAN_HC_03_PASS.pcap", 2),
        ("6lo/TD_6LOWPAN_HC_04_PASS.pcap", 2),
        ("6lo/TD_6LOWPAN_HC_06_PASS.pcap", 2),
        ("6lo/TD_6LOWPAN_HC_07_PASS.pcap", 2),
        ("6lo/TD_6LOWPAN_HC_09_PASS.pcap", 2),
        ("6lo/TD_6LOWPAN_HC_10_PASS.pcap", 2),
        ("6lo/TD_6LOWPAN_HC_12_PASS.pcap", 2),
        ("6lo/TD_6LOWPAN_HC_13_INCONCLUSIVE.pcap", 2),
        ("6lo/TD_6LOWPAN_HC_14_PASS.pcap", 2),
        ("6lo/TD_6LOWPAN_HC_15_PASS.pcap", 2),
        ("6lo/TD_6LOWPAN_HC_16_INCONCLUSIVE.pcap", 2),
        ("6lo/TD_6LOWPAN_ND_01.pcap", 4),
        ("6lo/TD_6LOWPAN_ND_02.pcap", 4),
        ("6lo/TD_6LOWPAN_ND_03.pcap", 3),
        ("6lo/TD_6LOWPAN_ND_04.pcap", 4),
        ("6lo/TD_6LOWPAN_RS_ADDR16-16_05.pcap", 2),
        ("6lo/TD_6LOWPAN_RS_ADDR16-64_01.pcap", 2),
        ("6lo/TD_6LOWPAN_RS_ADDR64-16_06.pcap", 2),
        ("6lo/TD_6LOWPAN_RS_ADDR64-64_02.pcap", 2),
        ("6lo/TD_6LOWPAN_RS_BRDCST_16-16_01.pcap", 2),
        ("6lo/TD_6LOWPAN_RS_BRDCST_16-64_01.pcap", 2),
        ("6lo/TD_6LOWPAN_RS_BRDCST_64-16_03.pcap", 2),
        ("6lo/TD_6LOWPAN_RS_BRDCST_64-64_01.pcap", 2),
        (
            "6lo/TD_6lowpan_HC_02_starting_with_one_dummy_packet.pcap",
            3,
        ),
        (
            "6lo/echo_req_and_reply_and_other_packets_with_openmote_sniffer.pcap",
            572,
        ),
        (
            "6lo/echo_req_and_reply_for_6lowpan_hc_with_openmote_sniffer.pcap",
            2,
        ),
        ("6lo/single_zep_and_sixlo_frame.pcap", 1),
        ("6lo/wpan_802_15_4_LLT_195_6lowpan.pcap", 84),
        ("6lo/zigbee-join-authenticate.pcap", 54),
        ("6lo/zigbee-transport-key-skke_1.pcap", 1),
        (
            "ikev2/local-strongswan/strongswan-loopback-psk-ikefrag.pcap",
            9,
        ),
        (
            "ikev2/local-strongswan/strongswan-loopback-psk-natt.pcap",
            10,
        ),
        (
            "ikev2/local-strongswan/strongswan-loopback-psk-noprop-kernel.pcap",
            4,
        ),
        ("ikev2/scapy/ikev2_nat_t.pcapng", 54),
        ("ikev2/scapy/ikev2_notify_redirect.pcap", 4),
        ("ikev2/tcpdump/ISAKMP_sa_setup.pcap", 9),
        ("ikev2/tcpdump/espudp1.pcap", 8),
        ("ikev2/tcpdump/ikev1_id_ipv6_addr_subnet-oobr.pcap", 1),
        ("ikev2/tcpdump/ikev2-id-normal.pcap", 1),
        ("ikev2/tcpdump/ikev2-id-short.pcap", 1),
        ("ikev2/tcpdump/ikev2four.pcap", 21),
        ("ikev2/tcpdump/ikev2pI2-segfault.pcapng", 1),
        ("ikev2/tcpdump/ikev2pI2.pcap", 2),
        ("ikev2/tcpdump/isakmp-3948-oobr-2.pcap", 1),
        ("ikev2/tcpdump/isakmp-delete-segfault.pcap", 1),
        ("ikev2/tcpdump/isakmp-identification-segfault.pcap", 1),
        ("ikev2/tcpdump/isakmp-ikev1_n_print-oobr.pcap", 3),
        ("ikev2/tcpdump/isakmp-no-none-np.pcapng", 1),
        ("ikev2/tcpdump/isakmp-pointer-loop.pcap", 1),
        ("ikev2/tcpdump/isakmp-rfc3948-oobr.pcap", 23),
        ("ikev2/tcpdump/isakmp-various-oobr.pcap", 2),
        ("ikev2/tcpdump/isakmp4500.pcap", 35),
        ("ikev2/tcpdump/isakmpv1-attr-oobr.pcap", 1),
        ("ikev2/wireshark-wiki/attachment_ikev1_main_mode.pcap", 12),
        ("ikev2/wireshark-wiki/capture.pcapng", 54),
        ("ikev2/wireshark-wiki/ipsec.cap", 346),
        ("ikev2/wireshark-wiki/test1.pcap", 53),
        ("ikev2/zeek-spicy-ipsec/IPsec_ESP-AH_tunnel_mode.cap", 10),
        ("ikev2/zeek-spicy-ipsec/ikev1-certs.pcap", 10),
        (
            "ikev2/zeek-spicy-ipsec/ipsec-ikev1-isakmp-aggressive-mode.pcap",
            6,
        ),
        (
            "ikev2/zeek-spicy-ipsec/ipsec-ikev1-isakmp-main-mode.pcap",
            9,
        ),
        (
            "ikev2/zeek-spicy-ipsec/ipsec-ikev1-payload-bad-length.pcap",
            1,
        ),
        ("ikev2/zeek-spicy-ipsec/ipsec-ikev1-zero-length.pcap", 1),
        ("ikev2/zeek-spicy-ipsec/ipsec.cap", 27),
        ("ikev2/zeek-spicy-ipsec/ipsec_client.pcap", 11),
    ];

    /// Reads a whole capture, returning (frames, first ts, last ts, bytes_read, len).
    fn drain(path: &std::path::Path) -> Result<(u64, String, String, u64, Option<u64>), ReadError> {
        let mut r = CaptureReader::open(path.to_str().unwrap_or("?"))?;
        let (mut n, mut first, mut last) = (0, String::new(), String::new());
        while let Some(p) = r.next_packet()? {
            n += 1;
            assert_eq!(p.number, n);
            assert!(p.data.len() as u64 <= u64::from(p.orig_len).max(p.data.len() as u64));
            if n == 1 {
                first = p.ts.to_string();
            }
            last = p.ts.to_string();
        }
        Ok((n, first, last, r.bytes_read(), r.len()))
    }

    #[test]
    fn corpus_frame_counts_match_tshark() {
        let (Some(sixlo), Some(ikev2)) = (testutil::corpus("6lo"), testutil::corpus("ikev2"))
        else {
            return;
        };
        let root = sixlo.parent().unwrap().to_path_buf();
        let mut files = testutil::capture_files(&sixlo);
        files.extend(testutil::capture_files(&ikev2));
        assert!(files.len() >= COUNTS.len(), "{} files found", files.len());
        for f in &files {
            let rel = f
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let (n, _, _, read, len) = drain(f).unwrap_or_else(|e| panic!("{rel}: {e:#}"));
            assert_eq!(Some(read), len, "{rel}: read to the end");
            match COUNTS.iter().find(|(name, _)| *name == rel) {
                Some((_, want)) => assert_eq!(n, *want, "{rel}"),
                None => eprintln!("notice: {rel} ({n} frames) has no recorded tshark count"),
            }
        }
    }

    #[test]
    fn corpus_timestamps_match_tshark() {
        let Some(dir) = testutil::corpus("") else {
            return;
        };
        // (file, first frame epoch, last frame epoch) from `tshark -T fields -e frame.time_epoch`.
        for (rel, first, last) in [
            (
                "6lo/6lowpan_dissector_enourmously_big_trace.pcap",
                "1464257477.935494000",
                "1464271866.267156000",
            ),
            (
                "6lo/802_15_4_ACKS.pcap",
                "1470645342.756921000",
                "1470645345.249059000",
            ),
            (
                "ikev2/scapy/ikev2_nat_t.pcapng",
                "1623613953.582635172",
                "1623613983.755091229",
            ),
            (
                "ikev2/tcpdump/ikev2pI2-segfault.pcapng",
                "86400.000000000",
                "86400.000000000",
            ),
            (
                "ikev2/tcpdump/ikev2four.pcap",
                "1186402884.386989000",
                "1186402884.517735000",
            ),
            (
                "ikev2/wireshark-wiki/ipsec.cap",
                "1223596826.799833000",
                "1223596865.056118000",
            ),
        ] {
            let (_, f, l, _, _) = drain(&dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e:#}"));
            assert_eq!((f.as_str(), l.as_str()), (first, last), "{rel}");
        }
    }

    #[test]
    fn streaming_buffer_does_not_grow() {
        let Some(dir) = testutil::corpus("6lo") else {
            return;
        };
        let path = dir.join("6lowpan_dissector_enourmously_big_trace.pcap");
        for _ in 0..2 {
            let mut r = CaptureReader::open(path.to_str().unwrap()).unwrap();
            let mut n = 0u64;
            while let Some(_p) = r.next_packet().unwrap() {
                n += 1;
                if n % 500 == 0 {
                    assert_eq!(r.buffer_capacity(), INITIAL_BUFFER, "frame {n}");
                }
            }
            assert_eq!(n, 6565);
            assert_eq!(r.buffer_capacity(), INITIAL_BUFFER);
            assert!(
                r.len().unwrap() > INITIAL_BUFFER as u64,
                "file is bigger than the buffer"
            );
        }
    }
}
