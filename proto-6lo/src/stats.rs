//! Counters over the frames of a capture, as the interface that received them would keep
//! them: the RFC 7388 LOWPAN-MIB `lowpanStats` input counters, plus the figures a
//! troubleshooter asks for first (conversations, dispatch headers seen, fragments, errors,
//! how much header compression saved).
//!
//! RFC 7388 §6 defines the counters for a node's own 6LoWPAN layer; from a capture they are
//! counted as that node would have counted the frames captured, one received 802.15.4 data
//! frame carrying a 6LoWPAN payload being one received 6LoWPAN datagram:
//!
//! | counter (RFC 7388 §6) | counted here |
//! |---|---|
//! | lowpanInReceives | data frames whose payload is 6LoWPAN (not NALP, not encrypted, not empty), those that fail included |
//! | lowpanInHdrErrors | of those, frames whose dispatch headers (mesh, BC0, fragment, page, 6LoRH, RFRAG) are in error |
//! | lowpanInMeshReceives | frames with a Mesh header (RFC 4944 §5.2) |
//! | lowpanInReasmReqds | fragments received (FRAG1, FRAGN, RFRAG) |
//! | lowpanInReasmOKs | IPv6 packets reassembled from them |
//! | lowpanInReasmFails | reassembly failures: datagrams given up (timed out, evicted, aborted, left incomplete at the end) and fragments in error |
//! | lowpanInCompReqds | frames whose payload needed header decompression (IPHC, HC1) |
//! | lowpanInCompOKs | of those, decompressed |
//! | lowpanInCompFails | of those, failed (e.g. a context not configured) |
//! | lowpanInDiscards | always 0: a capture reader discards nothing for lack of resources |
//! | lowpanInDelivers | IPv6 packets handed to the IPv6 layer (unfragmented or reassembled) |

use std::collections::BTreeMap;

use crate::dispatch::DispatchHeader;
use crate::error::Layer;
use crate::lowpan::{Compression, FrameReport, IncompleteDatagram};
use crate::mac::FrameType;
use crate::LinkAddr;

/// Conversations kept at most (the rest are counted together).
pub const MAX_CONVERSATIONS: usize = 4096;

/// RFC 7388 LOWPAN-MIB input counters, named as the MIB names them (JSON keys are the MIB
/// names too).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[allow(non_snake_case)]
pub struct LowpanMib {
    pub lowpanInReceives: u64,
    pub lowpanInHdrErrors: u64,
    pub lowpanInMeshReceives: u64,
    pub lowpanInReasmReqds: u64,
    pub lowpanInReasmFails: u64,
    pub lowpanInReasmOKs: u64,
    pub lowpanInCompReqds: u64,
    pub lowpanInCompFails: u64,
    pub lowpanInCompOKs: u64,
    pub lowpanInDiscards: u64,
    pub lowpanInDelivers: u64,
}

impl LowpanMib {
    /// (name, value, what RFC 7388 §6 counts) for each counter, in MIB order.
    pub fn rows(&self) -> [(&'static str, u64, &'static str); 11] {
        [
            (
                "lowpanInReceives",
                self.lowpanInReceives,
                "6LoWPAN datagrams received, those in error included",
            ),
            (
                "lowpanInHdrErrors",
                self.lowpanInHdrErrors,
                "received datagrams discarded for errors in their 6LoWPAN headers",
            ),
            (
                "lowpanInMeshReceives",
                self.lowpanInMeshReceives,
                "received datagrams with a Mesh header",
            ),
            (
                "lowpanInReasmReqds",
                self.lowpanInReasmReqds,
                "received fragments that needed reassembly (FRAG1, FRAGN)",
            ),
            (
                "lowpanInReasmFails",
                self.lowpanInReasmFails,
                "failures detected by reassembly (e.g. timeouts)",
            ),
            (
                "lowpanInReasmOKs",
                self.lowpanInReasmOKs,
                "IPv6 packets reassembled",
            ),
            (
                "lowpanInCompReqds",
                self.lowpanInCompReqds,
                "datagrams requiring header decompression",
            ),
            (
                "lowpanInCompFails",
                self.lowpanInCompFails,
                "datagrams whose header decompression failed",
            ),
            (
                "lowpanInCompOKs",
                self.lowpanInCompOKs,
                "datagrams whose header decompression succeeded",
            ),
            (
                "lowpanInDiscards",
                self.lowpanInDiscards,
                "datagrams discarded for lack of resources",
            ),
            (
                "lowpanInDelivers",
                self.lowpanInDelivers,
                "IPv6 packets delivered to the IPv6 layer",
            ),
        ]
    }
}

/// Frames and octets between two link addresses (the MAC source and destination).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Conversation {
    pub src: String,
    pub dst: String,
    pub frames: u64,
    pub octets: u64,
}

/// Everything counted over a capture.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Packets read.
    pub packets: u64,
    /// 802.15.4 frames among them, by frame type.
    pub mac_frames: BTreeMap<String, u64>,
    /// Dispatch headers and header compressions seen (`frag1`, `iphc`, `hc1`, `ipv6`…).
    pub dispatch: BTreeMap<String, u64>,
    /// Frames that did not decode.
    pub errors: u64,
    /// Errors by layer.
    pub errors_by_layer: BTreeMap<String, u64>,
    /// Frames with a bad FCS.
    pub bad_fcs: u64,
    /// Compressed header octets (IPHC/NHC) and the uncompressed octets they stood for.
    pub compressed_header_octets: u64,
    pub uncompressed_header_octets: u64,
    /// IPv6 octets delivered, and the 802.15.4 frame octets that carried them.
    pub ipv6_octets: u64,
    pub frame_octets: u64,
    /// Link-layer conversations, by (source, destination) in order of first appearance.
    pub conversations: Vec<Conversation>,
    /// Conversations past [`MAX_CONVERSATIONS`], counted together.
    pub conversations_not_listed: u64,
    /// RFC 7388 LOWPAN-MIB input counters.
    pub mib: LowpanMib,
    #[serde(skip)]
    index: BTreeMap<(LinkAddr, LinkAddr), usize>,
}

fn bump(m: &mut BTreeMap<String, u64>, k: &str) {
    *m.entry(k.to_string()).or_default() += 1;
}

impl Stats {
    /// Counts one frame as decoded, `len` its captured octets.
    pub fn add(&mut self, r: &FrameReport<'_>, len: usize) {
        self.packets += 1;
        self.frame_octets += len as u64;
        let err_layer = r.error.as_ref().map(|e| e.layer());
        // A frame fails when it does not decode, or when the datagram it completes is
        // malformed (as `6lo decode` counts them).
        let failed_layer = err_layer.or_else(|| {
            r.datagram
                .as_ref()
                .and_then(|d| d.ipv6_error.as_ref())
                .map(|e| e.layer())
        });
        if let Some(l) = failed_layer {
            self.errors += 1;
            bump(&mut self.errors_by_layer, &l.to_string());
        }
        let Some(m) = &r.mac else {
            return;
        };
        bump(
            &mut self.mac_frames,
            m.frame_type.key().unwrap_or("unknown"),
        );
        self.bad_fcs += u64::from(m.fcs.as_ref().is_some_and(|f| !f.ok));
        self.conversation(m.src, m.dst, len);
        let nalp = r.lowpan.as_ref().is_some_and(|l| {
            l.dispatch
                .iter()
                .any(|h| matches!(h, DispatchHeader::Nalp { .. }))
        });
        let carries = m.frame_type == FrameType::DATA
            && !m.payload_encrypted
            && !m.payload.is_empty()
            && !nalp;
        if !carries {
            return;
        }
        let mib = &mut self.mib;
        mib.lowpanInReceives += 1;
        mib.lowpanInHdrErrors += u64::from(err_layer == Some(Layer::Dispatch));
        let comp_failed = matches!(err_layer, Some(Layer::Iphc | Layer::Nhc | Layer::Hc1));
        mib.lowpanInCompFails += u64::from(comp_failed);
        mib.lowpanInCompReqds += u64::from(comp_failed);
        mib.lowpanInReasmFails += u64::from(err_layer == Some(Layer::Reassembly));
        if let Some(l) = &r.lowpan {
            for h in &l.dispatch {
                bump(&mut self.dispatch, h.name());
            }
            if l.dispatch
                .iter()
                .any(|h| matches!(h, DispatchHeader::Mesh(_)))
            {
                mib.lowpanInMeshReceives += 1;
            }
            if l.fragment.is_some() || l.rfrag.is_some() {
                mib.lowpanInReasmReqds += 1;
            }
            if l.fragment.as_ref().is_some_and(|f| f.completes)
                || l.rfrag.as_ref().is_some_and(|f| f.completes)
            {
                mib.lowpanInReasmOKs += 1;
            }
            match &l.compression {
                Some(Compression::Iphc {
                    compressed_len,
                    uncompressed_len,
                    ..
                }) => {
                    bump(&mut self.dispatch, "iphc");
                    mib.lowpanInCompReqds += 1;
                    mib.lowpanInCompOKs += 1;
                    self.compressed_header_octets += *compressed_len as u64;
                    self.uncompressed_header_octets += *uncompressed_len as u64;
                }
                Some(Compression::Hc1 { .. }) => {
                    bump(&mut self.dispatch, "hc1");
                    mib.lowpanInCompReqds += 1;
                    mib.lowpanInCompOKs += 1;
                }
                Some(Compression::Ipv6) => bump(&mut self.dispatch, "ipv6"),
                None => {}
            }
        }
        if let Some(d) = &r.datagram {
            if d.ipv6.is_some() && d.ipv6_error.is_none() {
                self.mib.lowpanInDelivers += 1;
                self.ipv6_octets += d.length as u64;
            }
        }
    }

    /// Counts a datagram given up by reassembly.
    pub fn add_incomplete(&mut self, _inc: &IncompleteDatagram) {
        self.mib.lowpanInReasmFails += 1;
    }

    /// Counts a packet that is not an 802.15.4 frame.
    pub fn add_other(&mut self) {
        self.packets += 1;
    }

    /// Counts a packet whose link-layer encapsulation did not decode: a failed frame (layer
    /// `link`), as `6lo decode` counts it.
    pub fn add_link_error(&mut self) {
        self.packets += 1;
        self.errors += 1;
        bump(&mut self.errors_by_layer, "link");
    }

    fn conversation(&mut self, src: LinkAddr, dst: LinkAddr, len: usize) {
        match self.index.get(&(src, dst)) {
            Some(&i) => {
                if let Some(c) = self.conversations.get_mut(i) {
                    c.frames += 1;
                    c.octets += len as u64;
                }
            }
            None if self.conversations.len() < MAX_CONVERSATIONS => {
                self.index.insert((src, dst), self.conversations.len());
                self.conversations.push(Conversation {
                    src: src.to_string(),
                    dst: dst.to_string(),
                    frames: 1,
                    octets: len as u64,
                });
            }
            None => self.conversations_not_listed += 1,
        }
    }

    /// Compressed IPHC/NHC header octets per uncompressed header octet (None before any).
    pub fn header_ratio(&self) -> Option<f64> {
        (self.uncompressed_header_octets > 0)
            .then(|| self.compressed_header_octets as f64 / self.uncompressed_header_octets as f64)
    }
}
