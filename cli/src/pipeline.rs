//! Reading a capture on its own thread: packets are copied, a batch at a time, into buffers
//! that go round between a reader thread and the thread that decodes and renders them, so
//! that file I/O and pcap/pcapng parsing overlap with decoding on the second core. Batches in
//! flight are bounded, so memory does not grow with the capture.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use ietfwg_capture::{CaptureReader, Packet, ReadError, Timestamp};

/// Packets per batch.
const BATCH: usize = 512;
/// Batches queued between the threads (plus one being read and one being decoded).
const IN_FLIGHT: usize = 2;

/// One packet's place in a [`Batch`].
#[derive(Debug, Clone, Copy)]
struct Meta {
    number: u64,
    ts: Timestamp,
    linktype: u32,
    orig_len: u32,
    start: usize,
    end: usize,
}

/// Packets read together: their bytes in one buffer.
#[derive(Debug, Default)]
pub struct Batch {
    bytes: Vec<u8>,
    meta: Vec<Meta>,
    /// Bytes of the file consumed after the last packet (for progress bars).
    pub bytes_read: u64,
    /// The read error that ended the capture after these packets, if any.
    pub error: Option<ReadError>,
}

impl Batch {
    fn clear(&mut self) {
        self.bytes.clear();
        self.meta.clear();
        self.error = None;
    }

    fn push(&mut self, p: &Packet<'_>) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(p.data);
        self.meta.push(Meta {
            number: p.number,
            ts: p.ts,
            linktype: p.linktype,
            orig_len: p.orig_len,
            start,
            end: self.bytes.len(),
        });
    }

    /// How many packets it holds.
    pub fn packet_count(&self) -> usize {
        self.meta.len()
    }

    /// Packet `i` (from 0), in capture order.
    pub fn get(&self, i: usize) -> Option<Packet<'_>> {
        self.meta.get(i).map(|m| Packet {
            number: m.number,
            ts: m.ts,
            linktype: m.linktype,
            data: self.bytes.get(m.start..m.end).unwrap_or(&[]),
            orig_len: m.orig_len,
        })
    }

    /// The packets, in capture order.
    pub fn packets(&self) -> impl Iterator<Item = Packet<'_>> + '_ {
        self.meta.iter().map(|m| Packet {
            number: m.number,
            ts: m.ts,
            linktype: m.linktype,
            data: self.bytes.get(m.start..m.end).unwrap_or(&[]),
            orig_len: m.orig_len,
        })
    }
}

/// A capture read on another thread.
#[derive(Debug)]
pub struct ThreadedReader {
    full: Receiver<Batch>,
    empty: SyncSender<Batch>,
    thread: Option<JoinHandle<()>>,
}

impl ThreadedReader {
    /// Opens `path` (`-` for stdin) on a thread of its own and starts reading it there; returns
    /// once it is open (or failed to open), with the file's size when known.
    pub fn open(path: &str) -> anyhow::Result<(Self, Option<u64>)> {
        let (full_tx, full) = sync_channel::<Batch>(IN_FLIGHT);
        let (empty, empty_rx) = sync_channel::<Batch>(IN_FLIGHT + 2);
        let (opened_tx, opened) = sync_channel::<Result<Option<u64>, ReadError>>(1);
        let path = path.to_string();
        let thread = std::thread::Builder::new()
            .name("capture reader".into())
            .spawn(move || match CaptureReader::open(&path) {
                Ok(reader) => {
                    if opened_tx.send(Ok(reader.len())).is_ok() {
                        read_loop(reader, full_tx, empty_rx);
                    }
                }
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                }
            })?;
        let mut me = ThreadedReader {
            full,
            empty,
            thread: Some(thread),
        };
        match opened.recv() {
            Ok(Ok(len)) => Ok((me, len)),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => {
                me.join();
                Err(anyhow::anyhow!(
                    "the capture reader thread ended unexpectedly"
                ))
            }
        }
    }

    fn join(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// The next batch, `None` at the end of the capture.
    pub fn next_batch(&mut self) -> Option<Batch> {
        self.full.recv().ok()
    }

    /// Gives a batch's buffers back to the reader.
    pub fn recycle(&mut self, mut batch: Batch) {
        batch.clear();
        let _ = self.empty.try_send(batch);
    }
}

/// A [`ThreadedReader`] read packet by packet.
#[derive(Debug)]
pub struct ThreadedPackets {
    reader: ThreadedReader,
    batch: Option<Batch>,
    next: usize,
}

impl ThreadedPackets {
    /// Opens `path` (`-` for stdin) as [`ThreadedReader::open`] does.
    pub fn open(path: &str) -> anyhow::Result<Self> {
        let (reader, _) = ThreadedReader::open(path)?;
        Ok(ThreadedPackets {
            reader,
            batch: None,
            next: 0,
        })
    }

    /// The next packet, `None` at the end of the capture; the read error that ended it after
    /// the packets before it.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, ReadError> {
        loop {
            match &mut self.batch {
                Some(b) if self.next < b.packet_count() => break,
                Some(b) => {
                    if let Some(e) = b.error.take() {
                        return Err(e);
                    }
                    if let Some(done) = self.batch.take() {
                        self.reader.recycle(done);
                    }
                }
                None => match self.reader.next_batch() {
                    Some(b) => {
                        self.batch = Some(b);
                        self.next = 0;
                    }
                    None => return Ok(None),
                },
            }
        }
        let i = self.next;
        self.next += 1;
        Ok(self.batch.as_ref().and_then(|b| b.get(i)))
    }
}

impl Drop for ThreadedReader {
    fn drop(&mut self) {
        // Unblocks the reader (its sends fail once `full` is gone) and waits for it.
        let (_, dead) = sync_channel(0);
        self.full = dead;
        self.join();
    }
}

fn read_loop(mut reader: CaptureReader, full: SyncSender<Batch>, empty: Receiver<Batch>) {
    loop {
        let mut batch = empty.try_recv().unwrap_or_default();
        let mut end = false;
        while batch.meta.len() < BATCH {
            match reader.next_packet() {
                Ok(Some(p)) => batch.push(&p),
                Ok(None) => {
                    end = true;
                    break;
                }
                Err(e) => {
                    batch.error = Some(e);
                    end = true;
                    break;
                }
            }
        }
        batch.bytes_read = reader.bytes_read();
        if full.send(batch).is_err() || end {
            return;
        }
    }
}
