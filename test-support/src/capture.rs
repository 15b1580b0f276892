//! Packets of a capture file with their link types, for the benchmarks and tests that build
//! their input from the corpus, read with `ietfwg-capture` — the reader the binary uses — and
//! the IEEE 802.15.4 frames they carry, found by `ietfwg_capture::wpan_frame` (link types
//! 195/230/283, ZEP over UDP, Linux wpan devices, raw frames under link type 101): one path from
//! a capture file to a frame for every test, benchmark and the binary.

use std::path::Path;

use ietfwg_capture::{wpan_frame, CaptureReader};
pub use ietfwg_capture::{Encap, Fcs, Packet, Timestamp, WpanFrame};

/// One packet as captured.
#[derive(Debug, Clone)]
pub struct Raw {
    /// The label the caller gave the file.
    pub file: String,
    /// 1-based frame number in the file, as tshark counts.
    pub number: usize,
    /// The LINKTYPE_* value: of the pcap header (its low 16 bits), or of the pcapng packet's
    /// interface.
    pub linktype: i32,
    /// Capture time.
    pub ts: Timestamp,
    /// Length on the wire (more than `data.len()` when the capture cut the packet).
    pub orig_len: u32,
    pub data: Vec<u8>,
}

impl Raw {
    /// The packet as `ietfwg-capture` hands it out.
    pub fn packet(&self) -> Packet<'_> {
        Packet {
            number: self.number as u64,
            ts: self.ts,
            linktype: self.linktype as u32,
            data: &self.data,
            orig_len: self.orig_len,
        }
    }

    /// The IEEE 802.15.4 frame this packet carries, with what its encapsulation says about the
    /// FCS (`ietfwg_6lo::encap::capture_fcs` turns that into an `FcsMode`); `None` when it
    /// carries none or the encapsulation is malformed.
    pub fn wpan(&self) -> Option<WpanFrame<'_>> {
        wpan_frame(&self.packet()).ok()?.frame()
    }
}

/// Every packet of `path` (pcap of either byte order and resolution, or pcapng), labelled
/// `label`. A file cut short or unreadable part-way is read up to there, with a notice on stderr.
pub fn read_capture(path: &Path, label: &str) -> Vec<Raw> {
    let name = path
        .to_str()
        .unwrap_or_else(|| panic!("{}: not UTF-8", path.display()));
    let mut reader = CaptureReader::open(name).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => out.push(Raw {
                file: label.to_owned(),
                number: out.len() + 1,
                linktype: p.linktype as i32,
                ts: p.ts,
                orig_len: p.orig_len,
                data: p.data.to_vec(),
            }),
            Ok(None) => break,
            Err(e) => {
                eprintln!("{label}: {e}, stopping there");
                break;
            }
        }
    }
    out
}
