//! Counters over the frames of a capture, as the interface that received them would keep
//! them: the RFC 7388 LOWPAN-MIB `lowpanStats` input counters, plus the figures a
//! troubleshooter asks for first (conversations, dispatch headers seen, fragments, errors,
//! how much header compression saved).
//!
//! RFC 7388 §6 defines the counters for a node's own 6LoWPAN layer; from a capture they are
//! counted as the interface that received the frames would have counted them, one received
//! 802.15.4 data frame carrying a 6LoWPAN payload being one received 6LoWPAN datagram. Frames
//! the MAC layer drops never reach the 6LoWPAN layer and count nowhere: a bad FCS, a MAC header
//! or frame security in error (a MIC that does not verify), an encrypted payload without its
//! key. Each counter's doc comment on [`LowpanMib`] quotes the MIB's DESCRIPTION clause and
//! says what is counted for it.
//!
//! The output counters of `6lo compress` are [`LowpanMibOut`].

use std::collections::BTreeMap;

use crate::dispatch::DispatchHeader;
use crate::error::{Error, Layer};
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
    /// "The total number of 6LoWPAN datagrams received, including those received in error."
    /// Data frames with a 6LoWPAN payload that the MAC layer passed up (not NALP, not
    /// encrypted, not empty, FCS and frame security not in error), those that fail to decode
    /// included.
    pub lowpanInReceives: u64,
    /// "The number of received 6LoWPAN datagrams discarded due to errors in their headers,
    /// including unknown dispatch values." Of the received, those whose dispatch headers
    /// (mesh, BC0, fragment, page, 6LoRH, RFRAG, or an unknown dispatch value) are in error.
    /// Errors in IPHC/NHC/HC1 count as decompression failures, errors found by reassembly as
    /// reassembly failures.
    pub lowpanInHdrErrors: u64,
    /// "The number of received 6LoWPAN datagrams with a MESH header." Of the received, those
    /// whose first dispatch header is a mesh header (RFC 4944 §5.2), whatever follows it.
    pub lowpanInMeshReceives: u64,
    /// "The number of received 6LoWPAN fragments that needed to be reassembled. This includes
    /// both FRAG1 and FRAGN 6LoWPAN datagrams." Of the received, those with a FRAG1, FRAGN or
    /// RFC 8931 RFRAG header, whatever became of them.
    pub lowpanInReasmReqds: u64,
    /// "The number of failures detected by the re-assembly algorithm (e.g., timeouts)."
    /// Datagrams given up (timed out, evicted, aborted by their sender, incomplete at the end
    /// of the capture) and fragments reassembly rejected (overlaps, a size that changed).
    pub lowpanInReasmFails: u64,
    /// "The number of IPv6 packets successfully reassembled." Fragments that completed their
    /// datagram.
    pub lowpanInReasmOKs: u64,
    /// "The number of 6LoWPAN datagrams requiring header decompression." Of the received,
    /// those whose datagram starts with LOWPAN_IPHC or LOWPAN_HC1 (first fragments and
    /// unfragmented datagrams).
    pub lowpanInCompReqds: u64,
    /// "The number of 6LoWPAN datagrams where header decompression failed (e.g., because the
    /// necessary context information was not available)." Of those, the ones whose IPHC, NHC
    /// or HC1 decoding failed.
    pub lowpanInCompFails: u64,
    /// "The number of 6LoWPAN datagrams where header decompression was successful." Of those,
    /// the ones decompressed.
    pub lowpanInCompOKs: u64,
    /// "The number of received 6LoWPAN datagrams that were discarded (e.g., for lack of buffer
    /// space) even though no problems were encountered to prevent their continued processing.
    /// [...] does not include any datagrams discarded due to a reassembly failure or a
    /// compression failure." Always 0: a capture reader keeps every datagram it can decode.
    pub lowpanInDiscards: u64,
    /// "The total number of IPv6 packets successfully delivered to the IPv6 layer." Complete
    /// datagrams, unfragmented or reassembled, whatever the IPv6 layer then makes of them.
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
        let bad_fcs = m.fcs.as_ref().is_some_and(|f| !f.ok);
        self.bad_fcs += u64::from(bad_fcs);
        self.conversation(m.src, m.dst, len);
        let dispatch = r.lowpan.as_ref().map(|l| l.dispatch.as_slice());
        let before_error = r.partial.as_ref().map(|p| p.dispatch.as_slice());
        let headers = || {
            dispatch
                .unwrap_or_default()
                .iter()
                .chain(before_error.unwrap_or_default())
        };
        let nalp = headers().any(|h| matches!(h, DispatchHeader::Nalp { .. }));
        // What the MAC layer passes up to 6LoWPAN: data frames with a readable payload whose
        // FCS and frame security (MIC) are not in error.
        let carries = m.frame_type == FrameType::DATA
            && !m.payload_encrypted
            && !m.payload.is_empty()
            && !nalp
            && !bad_fcs
            && err_layer != Some(Layer::Mac);
        if let Some(l) = &r.lowpan {
            for h in &l.dispatch {
                bump(&mut self.dispatch, h.name());
            }
        }
        if !carries {
            return;
        }
        let mib = &mut self.mib;
        mib.lowpanInReceives += 1;
        mib.lowpanInHdrErrors += u64::from(err_layer == Some(Layer::Dispatch));
        mib.lowpanInMeshReceives +=
            u64::from(matches!(headers().next(), Some(DispatchHeader::Mesh(_))));
        mib.lowpanInReasmReqds += u64::from(headers().any(|h| {
            matches!(
                h,
                DispatchHeader::Frag1 { .. }
                    | DispatchHeader::FragN { .. }
                    | DispatchHeader::Rfrag(_)
            )
        }));
        let comp_failed = matches!(err_layer, Some(Layer::Iphc | Layer::Nhc | Layer::Hc1));
        mib.lowpanInCompFails += u64::from(comp_failed);
        mib.lowpanInCompReqds += u64::from(comp_failed);
        mib.lowpanInReasmFails += u64::from(err_layer == Some(Layer::Reassembly));
        if let Some(l) = &r.lowpan {
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
            self.mib.lowpanInDelivers += 1;
            self.ipv6_octets += d.length as u64;
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

/// RFC 7388 LOWPAN-MIB output counters, as the node that sent the frames `6lo compress` writes
/// would count them (JSON keys are the MIB names). Each doc comment quotes the MIB's
/// DESCRIPTION clause, then says what is counted for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[allow(non_snake_case)]
pub struct LowpanMibOut {
    /// "The total number of IPv6 packets supplied by the IPv6 layer." Every datagram handed
    /// to the compressor, those that could not be sent included.
    pub lowpanOutRequests: u64,
    /// "The total number of IPv6 packets for which header compression was attempted." The
    /// same datagrams: each one is compressed when it can be.
    pub lowpanOutCompReqds: u64,
    /// "The total number of IPv6 packets for which header compression failed." Datagrams the
    /// compressor rejected, and those IPHC cannot describe, sent as uncompressed IPv6 (0x41).
    pub lowpanOutCompFails: u64,
    /// "The total number of IPv6 packets for which header compression was successful."
    pub lowpanOutCompOKs: u64,
    /// "The number of IPv6 packets that required fragmentation in order to be transmitted."
    /// Datagrams larger than one frame, fragmented or not.
    pub lowpanOutFragReqds: u64,
    /// "The number of IPv6 packets that have been discarded because fragmentation failed."
    /// Datagrams whose headers leave no room in a frame of the size asked for.
    pub lowpanOutFragFails: u64,
    /// "The number of IPv6 packets that have been successfully fragmented."
    pub lowpanOutFragOKs: u64,
    /// "The number of 6LoWPAN fragments that have been generated as a result of
    /// fragmentation. This includes both FRAG1 and FRAGN 6LoWPAN datagrams." Frames of the
    /// fragmented datagrams.
    pub lowpanOutFragCreates: u64,
    /// "The number of 6LoWPAN datagrams with a MESH header that were dropped because the hop
    /// limit was exceeded." Always 0: `compress` originates (or sends again) frames and
    /// forwards none, and only forwarding decrements Hops Left (RFC 4944 §5.2).
    pub lowpanOutMeshHopLimitExceeds: u64,
    /// "The number of 6LoWPAN datagrams with a MESH header that were dropped because there was
    /// no forwarding information available." Always 0: the final destination is the frame's
    /// own link destination.
    pub lowpanOutMeshNoRoutes: u64,
    /// "The number of 6LoWPAN datagrams requiring MESH header encapsulation." Datagrams sent
    /// with a mesh header (`--mesh-hops`, or one carried over from the input frame).
    pub lowpanOutMeshRequests: u64,
    /// "The number of 6LoWPAN datagrams with a MESH header for which suitable forwarding
    /// information was available." The same datagrams (see `lowpanOutMeshNoRoutes`).
    pub lowpanOutMeshForwds: u64,
    /// "The number of 6LoWPAN datagrams with a MESH header created." Frames written with a
    /// mesh header (each fragment carries its own).
    pub lowpanOutMeshTransmits: u64,
    /// "The number of IPv6 packets that were discarded (e.g., for lack of buffer space) even
    /// though no problem was encountered to prevent their transmission to their destination."
    /// Always 0: nothing is dropped for lack of resources.
    pub lowpanOutDiscards: u64,
    /// "The total number of 6LoWPAN datagram that this entity supplied to the lower layers for
    /// transmission." Frames written.
    pub lowpanOutTransmits: u64,
}

impl LowpanMibOut {
    /// Counts one datagram given to [`crate::frame::Framer::frame`] and what it returned;
    /// `mesh`: the frames carry a mesh header.
    pub fn add(&mut self, framed: std::result::Result<&crate::frame::Framed, &Error>, mesh: bool) {
        self.lowpanOutRequests += 1;
        self.lowpanOutCompReqds += 1;
        match framed {
            Ok(f) => {
                let frames = f.frames.len() as u64;
                if f.compressed.is_some() {
                    self.lowpanOutCompOKs += 1;
                } else {
                    self.lowpanOutCompFails += 1;
                }
                if f.datagram_tag.is_some() {
                    self.lowpanOutFragReqds += 1;
                    self.lowpanOutFragOKs += 1;
                    self.lowpanOutFragCreates += frames;
                }
                if mesh {
                    self.lowpanOutMeshRequests += 1;
                    self.lowpanOutMeshForwds += 1;
                    self.lowpanOutMeshTransmits += frames;
                }
                self.lowpanOutTransmits += frames;
            }
            Err(e) => match e.layer() {
                Layer::Ipv6 | Layer::Iphc | Layer::Nhc => self.lowpanOutCompFails += 1,
                // Compressed, but the frame size leaves no room (MAC), or the fragments could
                // not be cut (dispatch).
                _ => {
                    self.lowpanOutCompOKs += 1;
                    self.lowpanOutFragReqds += 1;
                    self.lowpanOutFragFails += 1;
                }
            },
        }
    }

    /// Counts a datagram that could not be handed to the compressor (not IPv6, no link
    /// addresses for it): requested, and its compression failed.
    pub fn add_not_compressed(&mut self) {
        self.lowpanOutRequests += 1;
        self.lowpanOutCompReqds += 1;
        self.lowpanOutCompFails += 1;
    }

    /// (name, value) for each counter, in MIB order.
    pub fn rows(&self) -> [(&'static str, u64); 15] {
        [
            ("lowpanOutRequests", self.lowpanOutRequests),
            ("lowpanOutCompReqds", self.lowpanOutCompReqds),
            ("lowpanOutCompFails", self.lowpanOutCompFails),
            ("lowpanOutCompOKs", self.lowpanOutCompOKs),
            ("lowpanOutFragReqds", self.lowpanOutFragReqds),
            ("lowpanOutFragFails", self.lowpanOutFragFails),
            ("lowpanOutFragOKs", self.lowpanOutFragOKs),
            ("lowpanOutFragCreates", self.lowpanOutFragCreates),
            (
                "lowpanOutMeshHopLimitExceeds",
                self.lowpanOutMeshHopLimitExceeds,
            ),
            ("lowpanOutMeshNoRoutes", self.lowpanOutMeshNoRoutes),
            ("lowpanOutMeshRequests", self.lowpanOutMeshRequests),
            ("lowpanOutMeshForwds", self.lowpanOutMeshForwds),
            ("lowpanOutMeshTransmits", self.lowpanOutMeshTransmits),
            ("lowpanOutDiscards", self.lowpanOutDiscards),
            ("lowpanOutTransmits", self.lowpanOutTransmits),
        ]
    }
}
