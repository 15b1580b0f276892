//! Packets of a capture file with their link types, for the benchmarks and tests that build
//! their input from the corpus. Read with `pcap-parser`, independently of the binary's own
//! capture reader (`cli/src/capture`), so that the libraries are measured on bytes the binary
//! did not prepare.

use std::path::Path;

use pcap_parser::{create_reader, Block, PcapBlockOwned, PcapError};

/// One packet as captured.
#[derive(Debug, Clone)]
pub struct Raw {
    /// The label the caller gave the file.
    pub file: String,
    /// 1-based frame number in the file, as tshark counts.
    pub number: usize,
    /// The link type: of the pcap header (whole, high bits included), or of the pcapng
    /// packet's interface (-1 when the packet names no described interface).
    pub linktype: i32,
    pub data: Vec<u8>,
}

/// Every packet of `path` (pcap of either byte order, or pcapng), labelled `label`. A file cut
/// short or unreadable part-way is read up to there, with a notice on stderr.
pub fn read_capture(path: &Path, label: &str) -> Vec<Raw> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = create_reader(1 << 16, file)
        .unwrap_or_else(|e| panic!("{}: not a capture: {e:?}", path.display()));
    let mut out = Vec::new();
    let mut legacy_linktype = 0i32;
    let mut ng_linktypes: Vec<i32> = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                let packet = match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        legacy_linktype = h.network.0;
                        None
                    }
                    PcapBlockOwned::Legacy(b) => Some((legacy_linktype, b.data.to_vec())),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        ng_linktypes.push(idb.linktype.0);
                        None
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let lt = ng_linktypes.get(epb.if_id as usize).copied().unwrap_or(-1);
                        let len = (epb.caplen as usize).min(epb.data.len());
                        Some((lt, epb.data[..len].to_vec()))
                    }
                    PcapBlockOwned::NG(_) => None,
                };
                if let Some((linktype, data)) = packet {
                    out.push(Raw {
                        file: label.to_owned(),
                        number: out.len() + 1,
                        linktype,
                        data,
                    });
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() {
                    eprintln!("{label}: truncated at the end, stopping there");
                    break;
                }
            }
            Err(e) => {
                eprintln!("{label}: read error {e:?}, stopping there");
                break;
            }
        }
    }
    out
}
