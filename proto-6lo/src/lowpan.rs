//! The whole 6LoWPAN chain for one frame — MAC header, dispatch headers, header decompression —
//! and a stateful [`Decoder`] that carries reassembly across the frames of a capture.
//!
//! The decoder is sans-I/O: the caller feeds frames (bytes, FCS mode, frame number, capture time)
//! and gets a [`FrameReport`] for each, plus the datagrams completed by that frame.

use crate::dispatch::{self, Chain, DispatchHeader, Next};
use crate::error::Error;
use crate::ipv6::{self, ChecksumFix, Summary};
use crate::mac::{self, FcsMode};
use crate::reassembly::{Datagram, FragKey, Incomplete, Limits, Push, Reassembler};
use crate::{hc1, iphc, nhc, ContextTable, LinkAddr};

/// The header compression a frame used, as decoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Compression {
    /// Uncompressed IPv6 (dispatch 0x41).
    Ipv6,
    /// LOWPAN_IPHC with its NHC chain.
    Iphc {
        /// The IPHC fields.
        iphc: Box<iphc::IphcRepr>,
        /// The NHC headers, in wire order.
        nhc: Vec<nhc::NhcRepr>,
        /// Compressed header bytes.
        compressed_len: usize,
        /// Uncompressed header bytes they stand for.
        uncompressed_len: usize,
    },
    /// LOWPAN_HC1 (+HC2).
    Hc1 {
        /// The HC1/HC2 fields.
        hc1: Box<hc1::Decompressed>,
        /// Uncompressed header bytes they stand for.
        uncompressed_len: usize,
    },
}

/// Where a fragment belongs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FragmentInfo {
    /// The reassembly key: link (or mesh) source and destination, size and tag.
    pub key: FragKey,
    /// Byte offset of this fragment in the uncompressed datagram.
    pub offset: usize,
    /// Bytes of the uncompressed datagram this fragment carries.
    pub len: usize,
    /// True when this fragment completed its datagram.
    pub completes: bool,
}

/// A complete IPv6 datagram: unfragmented, or reassembled when this frame arrived.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DatagramReport {
    /// Length of the uncompressed datagram.
    pub length: usize,
    /// The frames it came from, first to last received (one for an unfragmented datagram).
    pub frames: Vec<u64>,
    /// True when at least one UDP checksum was elided on the wire and recomputed here.
    pub checksum_recomputed: bool,
    /// The IPv6 header and the upper layer, read back from the datagram.
    pub ipv6: Option<Summary>,
    /// Why `ipv6` is missing, when it is.
    pub ipv6_error: Option<Error>,
    /// The datagram bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// The 6LoWPAN part of one frame.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LowpanReport {
    /// Dispatch headers in wire order (mesh, BC0, fragment, page, 6LoRH, RFRAG…).
    pub dispatch: Vec<DispatchHeader>,
    /// 6LoWPAN page in force after the dispatch headers.
    pub page: u8,
    /// Header compression, when the frame carries the first bytes of a datagram.
    pub compression: Option<Compression>,
    /// The fragment this frame carries.
    pub fragment: Option<FragmentInfo>,
}

/// Everything decoded from one frame.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FrameReport<'a> {
    /// Capture frame number (1-based).
    pub frame: u64,
    /// The 802.15.4 MAC frame, when one was given and it parsed.
    pub mac: Option<mac::Frame<'a>>,
    /// The 6LoWPAN layer, when the frame carries one.
    pub lowpan: Option<LowpanReport>,
    /// Why there is no 6LoWPAN layer although the frame parsed (ACK, beacon, encrypted, not 6LoWPAN…).
    pub note: Option<String>,
    /// The datagram this frame completed.
    pub datagram: Option<DatagramReport>,
    /// The first error met; decoding stops at it.
    pub error: Option<Error>,
}

impl FrameReport<'_> {
    fn empty(frame: u64) -> Self {
        FrameReport {
            frame,
            mac: None,
            lowpan: None,
            note: None,
            datagram: None,
            error: None,
        }
    }
}

/// Fragments of a datagram that never completed.
pub type IncompleteDatagram = Incomplete;

/// Decodes the frames of one capture in order, reassembling fragments across them.
#[derive(Debug)]
pub struct Decoder {
    contexts: ContextTable,
    reassembler: Reassembler<Vec<ChecksumFix>>,
}

impl Decoder {
    /// A decoder with these contexts and reassembly limits.
    pub fn new(contexts: ContextTable, limits: Limits) -> Self {
        Decoder {
            contexts,
            reassembler: Reassembler::new(limits),
        }
    }

    /// The contexts in use.
    pub fn contexts(&self) -> &ContextTable {
        &self.contexts
    }

    /// Decodes one whole 802.15.4 frame.
    pub fn decode_frame<'a>(
        &mut self,
        frame: &'a [u8],
        fcs: FcsMode,
        number: u64,
        time_nanos: u64,
    ) -> FrameReport<'a> {
        let mut report = FrameReport::empty(number);
        let parsed = match mac::parse(frame, fcs) {
            Ok(f) => f,
            Err(e) => {
                report.error = Some(e);
                return report;
            }
        };
        let (payload, base, src, dst) = (
            parsed.payload,
            parsed.payload_offset,
            parsed.src,
            parsed.dst,
        );
        let carries_lowpan = parsed.frame_type == mac::FrameType::DATA
            && !parsed.payload_encrypted
            && !payload.is_empty();
        if !carries_lowpan {
            report.note = Some(if parsed.payload_encrypted {
                "payload is encrypted (MAC security enabled)".to_string()
            } else if parsed.frame_type != mac::FrameType::DATA {
                format!("{} frame: no 6LoWPAN payload", parsed.frame_type)
            } else {
                "data frame with an empty payload".to_string()
            });
        }
        report.mac = Some(parsed);
        if carries_lowpan {
            self.decode_into(&mut report, payload, base, src, dst, time_nanos);
        }
        report
    }

    /// Decodes a bare 6LoWPAN payload that arrived between `src` and `dst`.
    pub fn decode_payload<'a>(
        &mut self,
        payload: &[u8],
        src: LinkAddr,
        dst: LinkAddr,
        number: u64,
        time_nanos: u64,
    ) -> FrameReport<'a> {
        let mut report = FrameReport::empty(number);
        self.decode_into(&mut report, payload, 0, src, dst, time_nanos);
        report
    }

    /// Fragmented datagrams being reassembled now (bounded by the reassembly limits).
    pub fn in_flight(&self) -> usize {
        self.reassembler.in_flight()
    }

    /// Datagrams given up because they timed out, since the last call.
    pub fn take_expired(&mut self) -> Vec<IncompleteDatagram> {
        self.reassembler.take_expired()
    }

    /// End of capture: every datagram still incomplete.
    pub fn finish(&mut self) -> Vec<IncompleteDatagram> {
        self.reassembler.finish()
    }

    fn decode_into(
        &mut self,
        report: &mut FrameReport<'_>,
        payload: &[u8],
        base: usize,
        mac_src: LinkAddr,
        mac_dst: LinkAddr,
        time_nanos: u64,
    ) {
        let chain = match dispatch::parse_chain(payload, base) {
            Ok(c) => c,
            Err(e) => {
                report.error = Some(e);
                return;
            }
        };
        let mut lowpan = LowpanReport {
            dispatch: Vec::new(),
            page: chain.page,
            compression: None,
            fragment: None,
        };
        let result = self.decode_chain(
            &chain,
            &mut lowpan,
            report.frame,
            payload,
            base,
            mac_src,
            mac_dst,
            time_nanos,
        );
        lowpan.dispatch = chain.headers;
        match result {
            Ok(dg) => report.datagram = dg,
            Err(e) => report.error = Some(e),
        }
        if lowpan
            .dispatch
            .iter()
            .any(|h| matches!(h, DispatchHeader::Nalp { .. }))
        {
            report.note = Some("not a 6LoWPAN frame (NALP dispatch)".to_string());
        } else if lowpan
            .dispatch
            .iter()
            .any(|h| matches!(h, DispatchHeader::Rfrag(_)))
        {
            report.note = Some("RFC 8931 RFRAG fragment: recognised, not reassembled".to_string());
        }
        report.lowpan = Some(lowpan);
    }

    #[allow(clippy::too_many_arguments)]
    fn decode_chain(
        &mut self,
        chain: &Chain,
        lowpan: &mut LowpanReport,
        number: u64,
        payload: &[u8],
        base: usize,
        mac_src: LinkAddr,
        mac_dst: LinkAddr,
        time_nanos: u64,
    ) -> crate::Result<Option<DatagramReport>> {
        // RFC 4944 §5.2/§11: behind a mesh header, addresses (for IIDs and for reassembly) are
        // the originator and final destination, not the hop's MAC addresses.
        let (src, dst) = chain
            .headers
            .iter()
            .find_map(|h| match h {
                DispatchHeader::Mesh(m) => Some((m.originator, m.final_destination)),
                _ => None,
            })
            .unwrap_or((mac_src, mac_dst));
        let frag = chain.headers.iter().find_map(|h| match *h {
            DispatchHeader::Frag1 {
                datagram_size,
                datagram_tag,
            } => Some((datagram_size, datagram_tag, 0usize)),
            DispatchHeader::FragN {
                datagram_size,
                datagram_tag,
                datagram_offset,
            } => Some((
                datagram_size,
                datagram_tag,
                usize::from(datagram_offset) * 8,
            )),
            _ => None,
        });
        let at = chain.payload_offset.min(payload.len());
        let rest = &payload[at..];
        let size = frag.map(|(s, _, _)| s);
        // The uncompressed bytes this frame contributes, and the checksums to fill in later.
        let (bytes, fixes): (Vec<u8>, Vec<ChecksumFix>) = match chain.next {
            Next::Iphc => {
                let d = iphc::decompress(rest, base + at, &self.contexts, src, dst, size)?;
                let tail = rest.get(d.consumed..).unwrap_or_default();
                let mut bytes = Vec::with_capacity(d.headers.len() + tail.len());
                bytes.extend_from_slice(&d.headers);
                bytes.extend_from_slice(tail);
                lowpan.compression = Some(Compression::Iphc {
                    compressed_len: d.consumed,
                    uncompressed_len: d.headers.len(),
                    iphc: Box::new(d.iphc),
                    nhc: d.nhc,
                });
                (bytes, d.checksum_fixes)
            }
            Next::Hc1 => {
                // The chain points past the 0x42 dispatch; the HC1 decoder starts at it.
                let from = at.saturating_sub(1);
                let hc1_buf = &payload[from..];
                let d = hc1::decompress(hc1_buf, base + from, src, dst, size)?;
                let tail = hc1_buf.get(d.consumed..).unwrap_or_default();
                let mut bytes = Vec::with_capacity(d.headers.len() + tail.len());
                bytes.extend_from_slice(&d.headers);
                bytes.extend_from_slice(tail);
                let fixes = d.checksum_fixes.clone();
                let uncompressed_len = d.headers.len();
                lowpan.compression = Some(Compression::Hc1 {
                    hc1: Box::new(d),
                    uncompressed_len,
                });
                (bytes, fixes)
            }
            Next::Ipv6 => {
                lowpan.compression = Some(Compression::Ipv6);
                (rest.to_vec(), Vec::new())
            }
            Next::FragmentPayload => (rest.to_vec(), Vec::new()),
            Next::None => return Ok(None),
        };
        if chain
            .headers
            .iter()
            .any(|h| matches!(h, DispatchHeader::Rfrag(_)))
        {
            // RFC 8931 offsets count compressed bytes: recognised and shown, not reassembled.
            return Ok(None);
        }
        let Some((size, tag, offset)) = frag else {
            return Ok(Some(datagram_report(bytes, &fixes, vec![number])));
        };
        let key = FragKey {
            src,
            dst,
            size,
            tag,
        };
        let len = bytes.len();
        let meta = (offset == 0).then_some(fixes);
        // The reassembler counts in datagram bytes; its errors must point into this frame: at
        // the FRAGN's datagram_offset octet, or at the FRAG1 header.
        let frag_at = base
            + chain
                .headers
                .iter()
                .take_while(|h| {
                    !matches!(
                        h,
                        DispatchHeader::Frag1 { .. } | DispatchHeader::FragN { .. }
                    )
                })
                .map(DispatchHeader::len)
                .sum::<usize>();
        let field_at = if offset == 0 { frag_at } else { frag_at + 4 };
        let pushed = self
            .reassembler
            .push(key, offset, &bytes, meta, number, time_nanos)
            .map_err(|e| e.at(field_at));
        lowpan.fragment = Some(FragmentInfo {
            key,
            offset,
            len,
            completes: false,
        });
        match pushed? {
            Push::Pending => Ok(None),
            Push::Complete(Datagram {
                data, meta, frames, ..
            }) => {
                if let Some(f) = lowpan.fragment.as_mut() {
                    f.completes = true;
                }
                Ok(Some(datagram_report(
                    data,
                    meta.as_deref().unwrap_or_default(),
                    frames,
                )))
            }
        }
    }
}

fn datagram_report(mut bytes: Vec<u8>, fixes: &[ChecksumFix], frames: Vec<u64>) -> DatagramReport {
    ipv6::fill_checksums(&mut bytes, fixes);
    // A datagram whose extension headers or upper layer do not parse still shows its fixed
    // header, next to the error.
    let (ipv6, ipv6_error) = match ipv6::summary(&bytes) {
        Ok(s) => (Some(s), None),
        Err(e) => (ipv6::header(&bytes).ok(), Some(e)),
    };
    DatagramReport {
        length: bytes.len(),
        frames,
        checksum_recomputed: !fixes.is_empty(),
        ipv6,
        ipv6_error,
        bytes,
    }
}
