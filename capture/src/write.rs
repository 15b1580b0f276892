//! Writing captures: pcap with nanosecond timestamps, or pcapng with `if_tsresol` = 9
//! (nanoseconds).
//!
//! The blocks are serialised by `pcap-parser` (its `serialize` feature), the same crate that
//! reads them, so that there is one definition of each layout:
//!
//! ```text
//! pcap (little-endian)                    pcapng (little-endian)
//! +--------------------------------+      +--------------------------------------------+
//! | magic 0xa1b23c4d (ns)          |      | section header block (version 1.0,         |
//! | version 2 | 4                  |      |   section length unknown)                  |
//! | thiszone 0, sigfigs 0          |      | interface description block: link type,   |
//! | snaplen 262144                 |      |   snaplen 262144, if_tsresol 9 (ns),       |
//! | link type                      |      |   if_tsoffset 0                            |
//! +--------------------------------+      +--------------------------------------------+
//! | per packet: ts_sec, ts_nsec,   |      | per packet: enhanced packet block on       |
//! |   incl_len, orig_len, data     |      |   interface 0, 64-bit ns timestamp         |
//! +--------------------------------+      +--------------------------------------------+
//! ```

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use pcap_parser::{
    EnhancedPacketBlock, InterfaceDescriptionBlock, Linktype, PcapHeader, SectionHeaderBlock, ToVec,
};

use super::Timestamp;

/// Snapshot length written in the header; longer packets are truncated to it (their full length
/// is kept in the record's original length).
pub const SNAPLEN: u32 = 262_144;

/// pcapng `if_tsresol` for nanoseconds (10^-9 s).
const TSRESOL_NANOS: u8 = 9;

/// The file format a [`CaptureWriter`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap, nanosecond timestamps (magic 0xa1b23c4d): seconds up to 2106.
    Pcap,
    /// pcapng: one section, one interface, enhanced packet blocks with nanosecond timestamps
    /// (up to the year 2554).
    PcapNg,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Pcap => "pcap",
            Format::PcapNg => "pcapng",
        })
    }
}

/// Why a capture could not be written. `frame` is the 1-based number of the packet being
/// written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Standard output cannot be used as a file.
    #[error("cannot write {format} to standard output")]
    Stdout {
        format: Format,
        #[source]
        source: io::Error,
    },
    /// The output file cannot be created.
    #[error("cannot create {path}")]
    Create {
        path: String,
        #[source]
        source: io::Error,
    },
    /// The file header (pcapng: section header and interface description) cannot be written.
    #[error(
        "{}writing the {format} file header",
        path.as_ref().map_or_else(String::new, |p| format!("cannot write {format} header to {p}: "))
    )]
    Header {
        format: Format,
        path: Option<String>,
        #[source]
        source: io::Error,
    },
    /// The timestamp is past what the format stores (pcap: 2106, pcapng with ns: 2554).
    #[error(
        "frame {frame}: timestamp {ts} is past {} and cannot be stored in {format}",
        match format { Format::Pcap => 2106, Format::PcapNg => 2554 }
    )]
    TimestampRange {
        frame: u64,
        ts: Timestamp,
        format: Format,
    },
    /// The timestamp's nanoseconds are not below one second.
    #[error("frame {frame}: invalid timestamp {ts}: nanoseconds ≥ 10^9")]
    Nanoseconds { frame: u64, ts: Timestamp },
    /// The packet is longer than a record's 32-bit length field.
    #[error("frame {frame}: {len} bytes do not fit in a {format} record")]
    TooLong {
        frame: u64,
        len: usize,
        format: Format,
    },
    /// Writing a record failed.
    #[error("writing {format} record for frame {frame}")]
    Record {
        frame: u64,
        format: Format,
        #[source]
        source: io::Error,
    },
    /// Flushing the output failed.
    #[error("flushing the {format} output")]
    Flush {
        format: Format,
        #[source]
        source: io::Error,
    },
    /// `pcap-parser` could not serialise a block.
    #[error("cannot serialise the {format} {what}: {detail}")]
    Serialize {
        format: Format,
        what: &'static str,
        detail: String,
    },
}

/// Capture file writer; see the module documentation.
pub struct CaptureWriter<W: Write> {
    w: W,
    format: Format,
    linktype: u32,
    frames: u64,
}

impl<W: Write> fmt::Debug for CaptureWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureWriter")
            .field("format", &self.format)
            .field("linktype", &self.linktype)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl CaptureWriter<BufWriter<File>> {
    /// Creates (truncates) `path`; `"-"` writes to standard output.
    ///
    /// For `"-"` the writer owns a duplicate of the stdout file descriptor, so nothing else
    /// should print to stdout while it is in use.
    pub fn create(path: &str, format: Format, linktype: u32) -> Result<Self, WriteError> {
        let file = if path == "-" {
            stdout_file().map_err(|source| WriteError::Stdout { format, source })?
        } else {
            File::create(path).map_err(|source| WriteError::Create {
                path: path.to_string(),
                source,
            })?
        };
        // 256 KiB: a capture is written in few large writes (the default 8 KiB means a system
        // call every hundred-odd frames).
        Self::start(
            BufWriter::with_capacity(256 * 1024, file),
            format,
            linktype,
            Some(path),
        )
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

impl<W: Write> CaptureWriter<W> {
    /// Writes the file header for `linktype` (LINKTYPE_* value) to `w`.
    pub fn new(w: W, format: Format, linktype: u32) -> Result<Self, WriteError> {
        Self::start(w, format, linktype, None)
    }

    fn start(
        mut w: W,
        format: Format,
        linktype: u32,
        path: Option<&str>,
    ) -> Result<Self, WriteError> {
        let network = Linktype(linktype as i32);
        let header = match format {
            Format::Pcap => PcapHeader {
                magic_number: 0xa1b2_3c4d, // nanosecond timestamps
                version_major: 2,
                version_minor: 4,
                thiszone: 0,
                sigfigs: 0,
                snaplen: SNAPLEN,
                network,
            }
            .to_vec()
            .map_err(|e| serialize_error(format, "file header", e))?,
            Format::PcapNg => {
                // `to_vec` fills in the magic numbers, the lengths and the end of options.
                let mut shb = SectionHeaderBlock {
                    block_type: 0,
                    block_len1: 0,
                    bom: 0,
                    major_version: 1,
                    minor_version: 0,
                    section_len: -1, // unknown: the file is streamed
                    options: Vec::new(),
                    block_len2: 0,
                }
                .to_vec()
                .map_err(|e| serialize_error(format, "section header block", e))?;
                let idb = InterfaceDescriptionBlock {
                    block_type: 0,
                    block_len1: 0,
                    linktype: network,
                    reserved: 0,
                    snaplen: SNAPLEN,
                    options: Vec::new(),
                    block_len2: 0,
                    if_tsresol: TSRESOL_NANOS,
                    if_tsoffset: 0,
                }
                .to_vec()
                .map_err(|e| serialize_error(format, "interface description block", e))?;
                shb.extend_from_slice(&idb);
                shb
            }
        };
        w.write_all(&header).map_err(|source| WriteError::Header {
            format,
            path: path.map(str::to_string),
            source,
        })?;
        Ok(CaptureWriter {
            w,
            format,
            linktype,
            frames: 0,
        })
    }

    /// Appends one packet. Data longer than [`SNAPLEN`] is truncated to it (the record's
    /// original length keeps the full length).
    pub fn write(&mut self, ts: Timestamp, data: &[u8]) -> Result<(), WriteError> {
        let frame = self.frames + 1;
        let format = self.format;
        let range = WriteError::TimestampRange { frame, ts, format };
        let pcap_secs = u32::try_from(ts.secs);
        if format == Format::Pcap && pcap_secs.is_err() {
            return Err(range);
        }
        if ts.nanos >= 1_000_000_000 {
            return Err(WriteError::Nanoseconds { frame, ts });
        }
        let Ok(orig_len) = u32::try_from(data.len()) else {
            return Err(WriteError::TooLong {
                frame,
                len: data.len(),
                format,
            });
        };
        let incl = orig_len.min(SNAPLEN);
        let captured = &data[..incl as usize];
        let record = match format {
            Format::Pcap => {
                // The 16-octet record header, written here rather than through
                // `LegacyPcapBlock::to_vec`: that builds a `Vec` per packet, which a long
                // capture pays for in allocations and copies. The same octets (little-endian,
                // as the file header's magic number is written); a test compares the two.
                let secs = pcap_secs.unwrap_or_default(); // checked above
                let header = legacy_record_header(secs, ts.nanos, incl, orig_len);
                self.w
                    .write_all(&header)
                    .and_then(|()| self.w.write_all(captured))
                    .map_err(|source| WriteError::Record {
                        frame,
                        format,
                        source,
                    })?;
                self.frames = frame;
                return Ok(());
            }
            Format::PcapNg => {
                let Some(ticks) = ts
                    .secs
                    .checked_mul(1_000_000_000)
                    .and_then(|n| n.checked_add(u64::from(ts.nanos)))
                else {
                    return Err(range);
                };
                EnhancedPacketBlock {
                    block_type: 0,
                    block_len1: 0,
                    if_id: 0,
                    ts_high: (ticks >> 32) as u32,
                    ts_low: ticks as u32,
                    caplen: incl,
                    origlen: orig_len,
                    data: captured,
                    options: Vec::new(),
                    block_len2: 0,
                }
                .to_vec()
            }
        }
        .map_err(|e| serialize_error(format, "packet record", e))?;
        self.w
            .write_all(&record)
            .map_err(|source| WriteError::Record {
                frame,
                format,
                source,
            })?;
        self.frames = frame;
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> Result<W, WriteError> {
        let format = self.format;
        self.w
            .flush()
            .map_err(|source| WriteError::Flush { format, source })?;
        Ok(self.w)
    }
}

/// A legacy pcap record header: seconds, nanoseconds (the file's magic says nanoseconds),
/// captured and original length, little-endian like the file header.
fn legacy_record_header(secs: u32, nanos: u32, caplen: u32, origlen: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[0..4].copy_from_slice(&secs.to_le_bytes());
    h[4..8].copy_from_slice(&nanos.to_le_bytes());
    h[8..12].copy_from_slice(&caplen.to_le_bytes());
    h[12..16].copy_from_slice(&origlen.to_le_bytes());
    h
}

/// A serialisation failure of `pcap-parser` (its error type, cookie-factory's `GenError`, is not
/// re-exported; into a `Vec` it does not happen).
fn serialize_error(format: Format, what: &'static str, e: impl fmt::Debug) -> WriteError {
    WriteError::Serialize {
        format,
        what,
        detail: format!("{e:?}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::CaptureReader;
    use pcap_parser::LegacyPcapBlock;
    use std::io::Cursor;

    #[test]
    fn header_bytes() {
        let out = CaptureWriter::new(Vec::new(), Format::Pcap, 195)
            .unwrap()
            .finish()
            .unwrap();
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

    /// Writes three packets in `format` (the last at `last_secs`) and reads them back.
    fn round_trip_in(format: Format, last_secs: u64) {
        let pkts: Vec<(Timestamp, Vec<u8>)> = vec![
            (
                Timestamp {
                    secs: 1_464_257_477,
                    nanos: 935_494_123,
                },
                b"first".to_vec(), // 5 octets: padded to 8 in a pcapng block
            ),
            (Timestamp { secs: 0, nanos: 0 }, Vec::new()),
            (
                Timestamp {
                    secs: last_secs,
                    nanos: 999_999_999,
                },
                vec![0xee; 1500],
            ),
        ];
        let mut w = CaptureWriter::new(Vec::new(), format, 230).unwrap();
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

    /// The hand-written record header is the octets `pcap-parser` serialises.
    #[test]
    fn legacy_record_header_matches_pcap_parser() {
        for (secs, nanos, incl, orig) in [
            (0u32, 0u32, 0u32, 0u32),
            (1_700_000_000, 999_999_999, 127, 127),
            (u32::MAX, 1, 5, 70_000),
        ] {
            let data = vec![0xabu8; incl as usize];
            let theirs = LegacyPcapBlock {
                ts_sec: secs,
                ts_usec: nanos,
                caplen: incl,
                origlen: orig,
                data: &data,
            }
            .to_vec()
            .unwrap();
            let mut ours = legacy_record_header(secs, nanos, incl, orig).to_vec();
            ours.extend_from_slice(&data);
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn round_trip() {
        round_trip_in(Format::Pcap, u64::from(u32::MAX));
    }

    #[test]
    fn oversized_is_truncated_to_snaplen() {
        let mut w = CaptureWriter::new(Vec::new(), Format::Pcap, 1).unwrap();
        let big = vec![7u8; SNAPLEN as usize + 10];
        w.write(Timestamp::default(), &big).unwrap();
        let bytes = w.finish().unwrap();
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes))).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.data.len(), SNAPLEN as usize);
        assert_eq!(p.orig_len, SNAPLEN + 10);
    }

    /// The error writing a one-octet packet stamped `secs`.`nanos`.
    fn write_error(w: &mut CaptureWriter<Vec<u8>>, secs: u64, nanos: u32) -> String {
        w.write(Timestamp { secs, nanos }, b"x")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_timestamps_are_errors() {
        let mut w = CaptureWriter::new(Vec::new(), Format::Pcap, 1).unwrap();
        let e = write_error(&mut w, 1 << 32, 0);
        assert!(e.contains("frame 1") && e.contains("2106"), "{e}");
        let e = write_error(&mut w, 1, 1_000_000_000);
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
        let mut w = CaptureWriter::create(p, Format::Pcap, 229).unwrap();
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
        assert!(CaptureWriter::create("/nonexistent-dir/x.pcap", Format::Pcap, 1).is_err());
    }

    /// The pcapng header: a section header block, then an interface description block with
    /// the link type, the snapshot length, if_tsresol = 9 and if_tsoffset = 0.
    #[test]
    fn pcapng_header_bytes() {
        let out = CaptureWriter::new(Vec::new(), Format::PcapNg, 195)
            .unwrap()
            .finish()
            .unwrap();
        let mut want = vec![
            0x0a, 0x0d, 0x0d, 0x0a, // block type: section header
            28, 0, 0, 0, // block length
            0x4d, 0x3c, 0x2b, 0x1a, // byte-order magic
            1, 0, 0, 0, // version 1.0
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // section length: unknown
            28, 0, 0, 0, // block length
        ];
        want.extend([
            1, 0, 0, 0, // block type: interface description
            44, 0, 0, 0, // block length
            195, 0, 0, 0, // link type, reserved
            0, 0, 4, 0, // snaplen 262144
            9, 0, 1, 0, 9, 0, 0, 0, // if_tsresol: 9 (ns), padded
            14, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, // if_tsoffset: 0
            0, 0, 0, 0, // opt_endofopt
            44, 0, 0, 0, // block length
        ]);
        assert_eq!(out, want);
    }

    #[test]
    fn pcapng_round_trip() {
        // Past what pcap can store.
        round_trip_in(Format::PcapNg, u64::from(u32::MAX) + 1);
    }

    #[test]
    fn pcapng_truncates_to_snaplen_and_bounds_timestamps() {
        let mut w = CaptureWriter::new(Vec::new(), Format::PcapNg, 1).unwrap();
        let big = vec![7u8; SNAPLEN as usize + 10];
        w.write(Timestamp::default(), &big).unwrap();
        let e = write_error(&mut w, u64::MAX / 1_000_000_000 + 1, 0);
        assert!(e.contains("frame 2") && e.contains("2554"), "{e}");
        let e = write_error(&mut w, 1, 1_000_000_000);
        assert!(e.contains("nanoseconds"), "{e}");
        let bytes = w.finish().unwrap();
        let mut r = CaptureReader::from_reader(Box::new(Cursor::new(bytes))).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.data.len(), SNAPLEN as usize);
        assert_eq!(p.orig_len, SNAPLEN + 10);
        assert!(
            r.next_packet().unwrap().is_none(),
            "nothing after the error"
        );
    }

    /// tshark's capinfos reads the pcapng we write: encapsulation, resolution, packet count.
    #[test]
    fn pcapng_read_by_capinfos() {
        let Some(capinfos) = ietfwg_test_support::shared::program("capinfos") else {
            return;
        };
        let path = std::env::temp_dir().join(format!("ietfwg-write-{}.pcapng", std::process::id()));
        let p = path.to_str().unwrap();
        let mut w = CaptureWriter::create(p, Format::PcapNg, 195).unwrap();
        for i in 0..3u32 {
            let ts = Timestamp {
                secs: 1_700_000_000 + u64::from(i),
                nanos: 123_456_789,
            };
            w.write(ts, &[0x41, 0x88, i as u8, 0xcd, 0xab]).unwrap();
        }
        drop(w.finish().unwrap());
        let out = std::process::Command::new(capinfos)
            .args(["-t", "-E", "-c", "-i", "-a", "-S", p])
            .output()
            .unwrap();
        std::fs::remove_file(&path).ok();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("pcapng"), "{text}");
        assert!(text.contains("IEEE 802.15.4 Wireless PAN"), "{text}");
        assert!(text.contains("Number of packets:   3"), "{text}");
        assert!(text.contains("1700000000.123456789"), "{text}");
    }
}
