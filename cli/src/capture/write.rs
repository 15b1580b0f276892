//! Writing nanosecond-resolution pcap files.
//!
//! Hand-written rather than with the `pcap-file` crate: the format is a 24-byte file header and
//! a 16-byte record header per packet, so the writer is a few dozen lines, whereas `pcap-file`
//! would add a dependency (and its own packet/duration types to convert into) for no gain, and
//! we want exact control over the magic (ns), snaplen and truncation rules.
//!
//! ```text
//! file header (little-endian)            record header (little-endian)
//! +--------------------------------+     +--------------------------------+
//! | magic 0xa1b23c4d (ns)          |     | ts_sec                         |
//! | version 2 | 4                  |     | ts_nsec                        |
//! | thiszone 0                     |     | incl_len (≤ snaplen)           |
//! | sigfigs 0                      |     | orig_len                       |
//! | snaplen 262144                 |     +--------------------------------+
//! | link type                      |     | incl_len bytes of packet data  |
//! +--------------------------------+
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{bail, Context, Result};

use super::Timestamp;

/// Snapshot length written in the header; longer packets are truncated to it (their full length
/// is kept in `orig_len`).
pub const SNAPLEN: u32 = 262_144;

/// Pcap file writer; see the module documentation.
pub struct PcapWriter<W: Write> {
    w: W,
    linktype: u32,
    frames: u64,
}

impl<W: Write> std::fmt::Debug for PcapWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcapWriter")
            .field("linktype", &self.linktype)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl PcapWriter<BufWriter<File>> {
    /// Creates (truncates) `path`; `"-"` writes to standard output.
    ///
    /// For `"-"` the writer owns a duplicate of the stdout file descriptor, so nothing else
    /// should print to stdout while it is in use.
    pub fn create(path: &str, linktype: u32) -> Result<Self> {
        let file = if path == "-" {
            stdout_file().context("cannot write pcap to standard output")?
        } else {
            File::create(path).with_context(|| format!("cannot create {path}"))?
        };
        Self::new(BufWriter::new(file), linktype)
            .with_context(|| format!("cannot write pcap header to {path}"))
    }
}

/// Standard output as a `File` (a duplicated descriptor/handle: safe code, works for pipes,
/// files and sockets alike).
fn stdout_file() -> io::Result<File> {
    io::stdout().flush()?;
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        Ok(File::from(io::stdout().as_fd().try_clone_to_owned()?))
    }
    #[cfg(windows)]
    {
        use std::os::windows::io::AsHandle;
        Ok(File::from(io::stdout().as_handle().try_clone_to_owned()?))
    }
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header for `linktype` (LINKTYPE_* value) to `w`.
    pub fn new(mut w: W, linktype: u32) -> Result<Self> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&0xa1b2_3c4du32.to_le_bytes()); // magic: ns timestamps
        h[4..6].copy_from_slice(&2u16.to_le_bytes()); // version major
        h[6..8].copy_from_slice(&4u16.to_le_bytes()); // version minor
                                                      // thiszone, sigfigs: 0
        h[16..20].copy_from_slice(&SNAPLEN.to_le_bytes()); // snaplen
        h[20..24].copy_from_slice(&linktype.to_le_bytes()); // link type
        w.write_all(&h).context("writing the pcap file header")?;
        Ok(PcapWriter {
            w,
            linktype,
            frames: 0,
        })
    }

    /// Appends one packet. Data longer than [`SNAPLEN`] is truncated to it (the record's
    /// `orig_len` keeps the full length).
    pub fn write(&mut self, ts: Timestamp, data: &[u8]) -> Result<()> {
        let frame = self.frames + 1;
        let Ok(secs) = u32::try_from(ts.secs) else {
            bail!("frame {frame}: timestamp {ts} is past 2106 and cannot be stored in pcap");
        };
        if ts.nanos >= 1_000_000_000 {
            bail!("frame {frame}: invalid timestamp {ts}: nanoseconds ≥ 10^9");
        }
        let Ok(orig_len) = u32::try_from(data.len()) else {
            bail!(
                "frame {frame}: {} bytes do not fit in a pcap record",
                data.len()
            );
        };
        let incl = orig_len.min(SNAPLEN);
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&secs.to_le_bytes()); // ts_sec
        h[4..8].copy_from_slice(&ts.nanos.to_le_bytes()); // ts_nsec
        h[8..12].copy_from_slice(&incl.to_le_bytes()); // incl_len
        h[12..16].copy_from_slice(&orig_len.to_le_bytes()); // orig_len
        self.w
            .write_all(&h)
            .and_then(|()| self.w.write_all(&data[..incl as usize]))
            .with_context(|| format!("writing pcap record for frame {frame}"))?;
        self.frames = frame;
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W> {
        self.w.flush().context("flushing the pcap output")?;
        Ok(self.w)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::capture::CaptureReader;
    use std::io::Cursor;

    #[test]
    fn header_bytes() {
        let out = PcapWriter::new(Vec::new(), 195).unwrap().finish().unwrap();
        assert_eq!(
            out,
            [
                0x4d, 0x3c, 0xb2, 0xa1, // magic (ns), little-endian
                2, 0, 4, 0, // version 2.4
                0, 0, 0, 0, // thiszone
                0, 0, 0, 0, // sigfigs
                0, 0, 4, 0, // snaplen 262144
                195, 0, 0, 0, // link type
            ]
        );
    }

    #[test]
    fn round_trip() {
        let pkts: Vec<(Timestamp, Vec<u8>)> = vec![
            (
                Timestamp {
                    secs: 1_464_257_477,
                    nanos: 935_494_123,
                },
                b"first".to_vec(),
            ),
            (Timestamp { secs: 0, nanos: 0 }, Vec::new()),
            (
                Timestamp {
                    secs: u64::from(u32::MAX),
                    nanos: 999_999_999,
                },
                vec![0xee; 1500],
            ),
        ];
        let mut w = PcapWriter::new(Vec::new(), 230).unwrap();
        for (ts, d) in &pkts {
            w.write(*ts, d).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes))).unwrap();
        for (i, (ts, d)) in pkts.iter().enumerate() {
            let p = r.next_packet().unwrap().unwrap();
            assert_eq!(p.number, i as u64 + 1);
            assert_eq!(p.ts, *ts);
            assert_eq!(p.data, d.as_slice());
            assert_eq!(p.orig_len as usize, d.len());
            assert_eq!(p.linktype, 230);
        }
        assert!(r.next_packet().unwrap().is_none());
    }

    #[test]
    fn oversized_is_truncated_to_snaplen() {
        let mut w = PcapWriter::new(Vec::new(), 1).unwrap();
        let big = vec![7u8; SNAPLEN as usize + 10];
        w.write(Timestamp::default(), &big).unwrap();
        let bytes = w.finish().unwrap();
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes))).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.data.len(), SNAPLEN as usize);
        assert_eq!(p.orig_len, SNAPLEN + 10);
    }

    #[test]
    fn bad_timestamps_are_errors() {
        let mut w = PcapWriter::new(Vec::new(), 1).unwrap();
        let e = w
            .write(
                Timestamp {
                    secs: 1 << 32,
                    nanos: 0,
                },
                b"x",
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("frame 1") && e.contains("2106"), "{e}");
        let e = w
            .write(
                Timestamp {
                    secs: 1,
                    nanos: 1_000_000_000,
                },
                b"x",
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("nanoseconds"), "{e}");
        assert_eq!(
            w.finish().unwrap().len(),
            24,
            "nothing written after the header"
        );
    }

    #[test]
    fn create_file_and_read_back() {
        let path = std::env::temp_dir().join(format!("ietfwg-write-{}.pcap", std::process::id()));
        let p = path.to_str().unwrap();
        let mut w = PcapWriter::create(p, 229).unwrap();
        w.write(Timestamp { secs: 5, nanos: 6 }, b"\x60abc")
            .unwrap();
        drop(w.finish().unwrap());
        let mut r = CaptureReader::open(p).unwrap();
        let pkt = r.next_packet().unwrap().unwrap();
        assert_eq!(
            (pkt.linktype, pkt.ts.secs, pkt.ts.nanos, pkt.data),
            (229, 5, 6, &b"\x60abc"[..])
        );
        std::fs::remove_file(&path).ok();
        assert!(PcapWriter::create("/nonexistent-dir/x.pcap", 1).is_err());
    }
}
