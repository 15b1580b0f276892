//! The whole 6LoWPAN chain for one frame — MAC header, dispatch headers, header decompression —
//! and a stateful [`Decoder`] that carries reassembly across the frames of a capture.
//!
//! The decoder is sans-I/O: the caller feeds frames (bytes, FCS mode, frame number, capture time)
//! and gets a [`FrameReport`] for each, plus the datagrams completed by that frame.

use std::net::Ipv6Addr;

use crate::addr::Context;
use crate::dispatch::{self, Chain, DispatchHeader, Next, Rfrag, SixLoRh};
use crate::error::{Error, Layer};
use crate::ipv6::{self, ChecksumFix, Summary, Upper};
use crate::mac::{self, FcsMode};
use crate::reassembly::{
    Datagram, FragKey, Incomplete, Limits, Push, Reassembler, RfragKey, RfragReassembler,
};
use crate::security::{self, AddressBook, KeyTable, SecurityReport};
use crate::sixlorh::{self, Expansion};
use crate::{hc1, iphc, nhc, ContextTable, LinkAddr};

/// The header compression a frame used, as decoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Compression {
    /// Uncompressed IPv6 (dispatch 0x41).
    Ipv6,
    /// LOWPAN_IPHC with its NHC chain.
    Iphc {
        /// The IPHC fields (held in place, not boxed: nearly every frame has them).
        iphc: iphc::IphcRepr,
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

/// Where an RFC 8931 RFRAG fragment belongs. Offsets and sizes count bytes of the COMPRESSED
/// datagram (RFC 8931 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RfragFragmentInfo {
    /// Link (or mesh) source and destination, and the 8-bit Datagram_Tag.
    pub key: RfragKey,
    /// Sequence (0 for the first fragment).
    pub sequence: u8,
    /// X: an RFRAG-ACK is requested.
    pub ack_request: bool,
    /// Byte offset of this fragment in the compressed datagram.
    pub offset: usize,
    /// Fragment_Size.
    pub len: usize,
    /// The compressed Datagram_Size, once the first fragment has been seen.
    pub datagram_size: Option<usize>,
    /// The fragment aborts its datagram (Fragment_Offset 0, or a Datagram_Size of 0).
    pub abort: bool,
    /// True when this fragment completed its datagram.
    pub completes: bool,
}

/// An RFC 8931 RFRAG-ACK, read (RFC 8931 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RfragAckInfo {
    /// Datagram_Tag of the datagram acknowledged.
    pub datagram_tag: u8,
    /// The Sequence numbers the bitmap acknowledges, ascending.
    pub acknowledged: Vec<u8>,
    /// NULL bitmap: the receiver aborts the datagram.
    pub null: bool,
    /// FULL bitmap: the whole datagram was received.
    pub full: bool,
}

/// A context taken from a 6LoWPAN Context Option (RFC 6775 §4.2) with
/// [`Decoder::set_learn_contexts`] on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LearnedContext {
    /// Context ID, 0–15.
    pub cid: u8,
    /// The prefix (bits past `length` zeroed).
    pub prefix: Ipv6Addr,
    /// Prefix length in bits.
    pub length: u8,
    /// C flag: valid for compression (decompression uses it either way, RFC 6775 §4.2).
    pub compression: bool,
    /// Valid Lifetime, units of 60 seconds.
    pub valid_lifetime: u16,
    /// True when a Valid Lifetime of 0 withdrew the context (RFC 6775 §7.2).
    pub removed: bool,
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
    /// Octets that followed the end of the datagram its IPv6 Payload Length gives (RFC 8200 §3:
    /// the length of the payload following the header), cut off `bytes`: an uncompressed IPv6
    /// header (dispatch 0x41) or a FRAG1 Datagram Size can carry more than the datagram, and a
    /// receiving stack drops the excess. 0 when the datagram ends where it says (always with
    /// IPHC, whose Payload Length is inferred from the link).
    pub trailing: usize,
    /// The IPv6 header and the upper layer, read back from the datagram.
    pub ipv6: Option<Summary>,
    /// Why `ipv6` is missing, when it is.
    pub ipv6_error: Option<Error>,
    /// A Mesh Link Establishment message (UDP port 19788, [`crate::mle`]), decrypted with the
    /// Thread keys set when it is secured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mle: Option<Box<crate::mle::MleMessage>>,
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
    /// The RFC 8931 recoverable fragment this frame carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfrag: Option<Box<RfragFragmentInfo>>,
    /// What the frame's RFC 8138 6LoRHs stand for (outer IPv6 header, RPL Option, source
    /// route), as applied to the datagram.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sixlorh: Option<Box<Expansion>>,
    /// Why the 6LoRHs could not be applied (the inner datagram is then decoded alone). Not
    /// serialised with the report: a front end lists it among its warnings.
    #[serde(skip)]
    pub sixlorh_error: Option<Error>,
    /// An RFRAG-ACK, read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfrag_ack: Option<RfragAckInfo>,
}

/// Everything decoded from one frame.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FrameReport<'a> {
    /// Capture frame number (1-based).
    pub frame: u64,
    /// The link header of a frame from a link other than 802.15.4 ([`crate::link`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<Box<crate::link::LinkHeader>>,
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
    /// Contexts this frame's datagram set or withdrew (6CO options, with
    /// [`Decoder::set_learn_contexts`] on); they apply from the next frame on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub learned_contexts: Vec<LearnedContext>,
    /// For a secured frame, with keys given ([`Decoder::set_keys`]): whether it was decrypted
    /// and its MIC verified, with which key, or why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<Box<SecurityReport>>,
    /// A short → extended address mapping this frame showed (an association response), learnt
    /// for the nonces of the frames that follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learned_address: Option<LearnedAddress>,
    /// With `error`: what was read before it that the report does not hold otherwise (see
    /// [`Partial`]). Not serialised: the JSON record keeps its shape.
    #[serde(skip)]
    pub partial: Option<Box<Partial>>,
}

/// What a frame in error showed before the error, so that a front end can print every field
/// decoded before it: the dispatch headers read before an error in the chain, and the header
/// compression decoding stopped in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Partial {
    /// Dispatch headers read before an error in the dispatch chain (empty otherwise: when the
    /// chain parsed, `LowpanReport::dispatch` holds it).
    pub dispatch: Vec<DispatchHeader>,
    /// The header compression the error occurred in or after.
    pub compression: Option<PartialCompression>,
}

/// The part of a LOWPAN_IPHC or LOWPAN_HC1 header that was read before an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartialCompression {
    /// LOWPAN_IPHC at frame offset `at`: its encoding octets, and the whole header when the
    /// error came after it (in the NHC chain, or the lengths).
    Iphc {
        at: usize,
        encoding: iphc::Encoding,
        header: Option<Box<iphc::IphcRepr>>,
    },
    /// LOWPAN_HC1 at frame offset `at` (the 0x42 dispatch): its encoding octet and the HC_UDP
    /// encoding octet when H=1 and it is there.
    Hc1 {
        at: usize,
        encoding: u8,
        hc_udp: Option<u8>,
    },
}

impl Partial {
    /// What can be read of the compressed header starting at `buf[0]` (frame offset `at`),
    /// `next` saying which it is. Only called on the error path.
    #[cold]
    fn compression(
        next: Next,
        buf: &[u8],
        at: usize,
        ctx: &ContextTable,
        src: LinkAddr,
        dst: LinkAddr,
    ) -> Option<PartialCompression> {
        match next {
            Next::Iphc => Some(PartialCompression::Iphc {
                at,
                encoding: iphc::encoding(buf)?,
                header: iphc::header_before_error(buf, at, ctx, src, dst).map(Box::new),
            }),
            Next::Hc1 => {
                let (&d, &encoding) = (buf.first()?, buf.get(1)?);
                (d == hc1::DISPATCH).then_some(PartialCompression::Hc1 {
                    at,
                    encoding,
                    hc_udp: if encoding & 1 != 0 {
                        buf.get(2).copied()
                    } else {
                        None
                    },
                })
            }
            _ => None,
        }
    }
}

/// A short address found to belong to an extended one.
#[serde_with::serde_as]
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LearnedAddress {
    pub pan: u16,
    pub short: u16,
    #[serde_as(as = "ietfwg_report::hex::Hex")]
    pub extended: [u8; 8],
}

impl Default for FrameReport<'_> {
    /// An empty report (frame 0, nothing decoded): a slot for [`Decoder::decode_frame_into`].
    fn default() -> Self {
        FrameReport::empty(0)
    }
}

impl FrameReport<'_> {
    /// A report of frame `frame` with nothing decoded: for a link whose layers below 6LoWPAN
    /// are decoded elsewhere (Bluetooth LE, [`crate::ble`]) and that carried no 6LoWPAN payload.
    pub fn empty(frame: u64) -> Self {
        FrameReport {
            frame,
            link: None,
            mac: None,
            lowpan: None,
            note: None,
            datagram: None,
            error: None,
            learned_contexts: Vec::new(),
            security: None,
            learned_address: None,
            partial: None,
        }
    }
}

/// What the first fragment of an RFRAG datagram leaves for its completion: the uncompressed
/// headers, the checksums to fill, and how many compressed bytes they replace.
#[derive(Debug)]
struct RfragHead {
    head: Vec<u8>,
    fixes: Vec<ChecksumFix>,
    compressed_head: usize,
}

/// Allocations a previous report lends to the next frame's datagram (emptied before use):
/// its bytes, its frame list, and the box of its Neighbor Discovery message.
#[derive(Debug, Default)]
struct Scratch {
    bytes: Vec<u8>,
    frames: Vec<u64>,
    nd: Option<Box<crate::nd::NdMessage>>,
}

/// How the total size of the datagram is known to the header decompressor.
#[derive(Debug, Clone, Copy)]
enum Size {
    /// Unfragmented: from the bytes.
    Whole,
    /// RFC 4944 FRAG1 datagram_size: the uncompressed size.
    Uncompressed(u16),
    /// RFC 8931 Datagram_Size: the compressed size, counted from the start of the buffer given.
    Compressed(usize),
}

/// The uncompressed bytes a frame's first fragment (or whole datagram) stands for.
struct First {
    bytes: Vec<u8>,
    fixes: Vec<ChecksumFix>,
    /// Bytes at the end of `bytes` copied as they were (not headers).
    tail_len: usize,
}

/// Fragments of a datagram that never completed.
pub type IncompleteDatagram = Incomplete;

/// Decodes the frames of one capture in order, reassembling fragments across them.
#[derive(Debug)]
pub struct Decoder {
    contexts: ContextTable,
    reassembler: Reassembler<Vec<ChecksumFix>>,
    rfrag: RfragReassembler<RfragHead>,
    learn_contexts: bool,
    rpl_root: Option<Ipv6Addr>,
    /// Keys for secured frames; empty: secured frames are left as they are.
    keys: KeyTable,
    /// Extended addresses of short ones, for the nonces.
    addresses: AddressBook,
    /// [`Decoder::set_datagrams_only`].
    datagrams_only: bool,
    /// [`Decoder::set_fcs_unchecked`].
    fcs_unchecked: bool,
    /// [`Decoder::set_whole_iphc_unreported`].
    whole_iphc_unreported: bool,
    /// Buffers handed back with [`Decoder::recycle`], for the next frame whose report comes
    /// without a datagram to reuse.
    stash: Scratch,
}

impl Decoder {
    /// A decoder with these contexts and reassembly limits (the same limits bound RFC 4944 and
    /// RFC 8931 reassembly, each).
    pub fn new(contexts: ContextTable, limits: Limits) -> Self {
        Decoder {
            contexts,
            reassembler: Reassembler::new(limits),
            rfrag: RfragReassembler::new(limits),
            learn_contexts: false,
            rpl_root: None,
            keys: KeyTable::new(),
            addresses: AddressBook::new(),
            datagrams_only: false,
            fcs_unchecked: false,
            whole_iphc_unreported: false,
            stash: Scratch::default(),
        }
    }

    /// When on, the reports are cut to what a caller that writes the datagrams out needs
    /// (`6lo decompress`, `6lo compress`): a completed datagram is checked as
    /// [`ipv6::summary`] checks it — the same `ipv6_error` when it fails — but
    /// `DatagramReport::ipv6` then holds only its fixed header ([`ipv6::header`]: no extension
    /// headers, no upper layer, no checksum verdicts, no Neighbor Discovery message), and no
    /// MLE message is decoded. The datagram bytes, the errors, the MAC frame, the 6LoWPAN
    /// report and reassembly are as without it. While contexts are learnt
    /// ([`Decoder::set_learn_contexts`]) the summaries are built all the same: the 6CO options
    /// are read from them.
    pub fn set_datagrams_only(&mut self, on: bool) {
        self.datagrams_only = on;
    }

    /// When on, a frame's FCS is split off as the [`FcsMode`] given says but its CRC is not
    /// computed ([`mac::parse_fcs_unchecked`]): `FrameReport::mac`'s `fcs` is None; the rest of
    /// the report is as without it (nothing else the decoder does reads the FCS verdict). For a
    /// caller that does not read it (`6lo compress`).
    pub fn set_fcs_unchecked(&mut self, on: bool) {
        self.fcs_unchecked = on;
    }

    /// When on, a frame whose MAC payload is one whole LOWPAN_IPHC datagram (no dispatch header
    /// before it: no mesh, broadcast, fragment or page header) and that decodes gets no
    /// `FrameReport::lowpan` (its IPHC and NHC fields): its datagram holds all it carried.
    /// Every other frame — dispatch headers, fragments, an IPHC header in error — is reported
    /// as without it. For a caller that reads the datagrams, and the dispatch headers only
    /// where there are some (`6lo decompress`, `6lo compress`).
    pub fn set_whole_iphc_unreported(&mut self, on: bool) {
        self.whole_iphc_unreported = on;
    }

    /// Whether the read-back summary is cut to the fixed header: datagrams only, and no
    /// context to learn from the summary.
    #[inline(always)]
    fn lean(&self) -> bool {
        self.datagrams_only && !self.learn_contexts
    }

    /// Keys to unsecure secured frames with (IEEE 802.15.4-2015 §9, see [`crate::security`]).
    /// With an empty table (the default) secured frames are reported as they are: MIC-only
    /// ones decoded unverified, encrypted ones not decoded.
    pub fn set_keys(&mut self, keys: KeyTable) {
        self.keys = keys;
    }

    /// Short → extended address mappings for the nonces of frames sent from a short address;
    /// the decoder adds what it learns from the capture when keys are set.
    pub fn set_addresses(&mut self, addresses: AddressBook) {
        self.addresses = addresses;
    }

    /// The contexts in use.
    pub fn contexts(&self) -> &ContextTable {
        &self.contexts
    }

    /// When on, every 6LoWPAN Context Option (RFC 6775 §4.2) in a decoded datagram sets its
    /// context (C = 0 included: such a context still serves decompression) or, with a Valid
    /// Lifetime of 0, withdraws it (§7.2), from the next frame on. Lifetimes are not timed out.
    pub fn set_learn_contexts(&mut self, on: bool) {
        self.learn_contexts = on;
    }

    /// Whether 6CO contexts are learnt.
    pub fn learns_contexts(&self) -> bool {
        self.learn_contexts
    }

    /// The RPL root address (DODAGID) that RFC 8138 IP-in-IP and SRH-6LoRH addresses are
    /// compressed against; needed when the encapsulator is elided or compressed.
    pub fn set_rpl_root(&mut self, root: Option<Ipv6Addr>) {
        self.rpl_root = root;
    }

    /// The RPL root address in use.
    pub fn rpl_root(&self) -> Option<Ipv6Addr> {
        self.rpl_root
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
        self.decode_frame_with(frame, fcs, number, time_nanos, true, &mut report);
        self.learn_address(&mut report);
        self.decode_mle(&mut report);
        report
    }

    /// Takes the buffers of `d` (its bytes and frame list, left empty) for the next frame's
    /// datagram: for a caller that decodes each frame into a new report
    /// ([`Decoder::decode_frame_into`] with an empty one) and is done with this one's datagram.
    /// A report that still holds its datagram when passed to `decode_frame_into` lends its
    /// buffers itself.
    pub fn recycle(&mut self, d: &mut DatagramReport) {
        self.stash.bytes = std::mem::take(&mut d.bytes);
        self.stash.frames = std::mem::take(&mut d.frames);
    }

    /// A datagram to or from UDP port 19788 carries an MLE message: decoded, and decrypted
    /// with the Thread keys when it is secured.
    fn decode_mle(&mut self, report: &mut FrameReport<'_>) {
        if self.datagrams_only {
            return;
        }
        let Some(d) = report.datagram.as_mut() else {
            return;
        };
        let Some(ip) = d.ipv6.as_ref() else { return };
        let Upper::Udp {
            src_port, dst_port, ..
        } = ip.upper
        else {
            return;
        };
        if src_port != crate::mle::PORT && dst_port != crate::mle::PORT {
            return;
        }
        let udp_at = 40 + ip.ext_headers.iter().map(|(_, l)| *l).sum::<usize>();
        let end = (40 + usize::from(ip.payload_length)).min(d.bytes.len());
        let Some(payload) = d.bytes.get(udp_at + 8..end) else {
            return;
        };
        d.mle = Some(Box::new(crate::mle::decode(
            payload,
            udp_at + 8,
            &ip.src,
            &ip.dst,
            &mut self.keys,
        )));
    }

    /// With keys set: a datagram from an extended address whose IPv6 source is a short
    /// address's (Thread's RLOC16 addresses) says who owns that short address.
    fn learn_address(&mut self, report: &mut FrameReport<'_>) {
        if self.keys.is_empty() || report.learned_address.is_some() {
            return;
        }
        let (Some(m), Some(ip)) = (
            report.mac.as_ref(),
            report.datagram.as_ref().and_then(|d| d.ipv6.as_ref()),
        ) else {
            return;
        };
        let Some(pan) = m.src_pan else { return };
        if let Some((pan, short, extended)) = self.addresses.learn_from_datagram(pan, m.src, ip.src)
        {
            report.learned_address = Some(LearnedAddress {
                pan,
                short,
                extended,
            });
        }
    }

    /// [`Decoder::decode_frame`] into `report`, which it overwrites entirely: the result is the
    /// report `decode_frame` returns. The previous contents of `report` lend their
    /// allocations — the datagram buffer, its frame list, a Neighbor Discovery message's box —
    /// so that a caller decoding a capture frame after frame with one report allocates less per
    /// frame.
    ///
    /// ```
    /// use ietfwg_6lo::lowpan::{Decoder, FrameReport};
    /// use ietfwg_6lo::mac::FcsMode;
    /// use ietfwg_6lo::{reassembly::Limits, ContextTable};
    ///
    /// // 802.15.4-2006 data frame, short addresses 0x0002 -> 0x0001 in PAN 0xabcd, carrying
    /// // IPHC (TF=11 NH=0 HLIM=10, both addresses from the link layer) and an ICMPv6 echo.
    /// let frame = [
    ///     0x41, 0x98, 0x01, 0xcd, 0xab, 0x01, 0x00, 0x02, 0x00, // MHR
    ///     0x7a, 0x33, 0x3a, // IPHC, Next Header 58
    ///     0x80, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, // ICMPv6 echo request
    /// ];
    /// let mut decoder = Decoder::new(ContextTable::new(), Limits::default());
    /// let mut report = FrameReport::default();
    /// for number in 1..=3 {
    ///     decoder.decode_frame_into(&frame, FcsMode::None, number, 0, &mut report);
    ///     let Some(datagram) = report.datagram.as_ref() else {
    ///         return Err(format!("frame {number}: no datagram: {:?}", report.error));
    ///     };
    ///     assert_eq!(datagram.frames, [number]);
    ///     assert_eq!(datagram.length, 48);
    /// }
    /// # Ok::<(), String>(())
    /// ```
    pub fn decode_frame_into<'a>(
        &mut self,
        frame: &'a [u8],
        fcs: FcsMode,
        number: u64,
        time_nanos: u64,
        report: &mut FrameReport<'a>,
    ) {
        self.decode_frame_with(frame, fcs, number, time_nanos, true, report);
        self.learn_address(report);
        self.decode_mle(report);
    }

    /// [`Decoder::decode_frame_into`]; `fast` takes [`Decoder::decode_iphc_frame`] for the
    /// frames it covers (always, outside the tests that compare it with the general path).
    #[inline(always)]
    fn decode_frame_with<'a>(
        &mut self,
        frame: &'a [u8],
        fcs: FcsMode,
        number: u64,
        time_nanos: u64,
        fast: bool,
        report: &mut FrameReport<'a>,
    ) {
        // The previous datagram's allocations, for the fast path to reuse, taken out of the old
        // report in place (moving the whole `DatagramReport` out would copy it); the rest of it
        // is dropped just below.
        let scratch = match &mut report.datagram {
            Some(d) => Scratch {
                bytes: std::mem::take(&mut d.bytes),
                frames: std::mem::take(&mut d.frames),
                nd: match &mut d.ipv6 {
                    Some(Summary {
                        upper: Upper::Icmpv6 { nd, .. },
                        ..
                    }) => nd.take(),
                    _ => None,
                },
            },
            None => std::mem::take(&mut self.stash),
        };
        // `FrameReport::empty(number)`, field by field, and the MAC frame parsed straight into
        // its place in the report (a `Frame` moved through locals is copied at every step).
        report.frame = number;
        report.lowpan = None;
        report.note = None;
        report.datagram = None;
        report.error = None;
        report.learned_contexts = Vec::new();
        report.security = None;
        report.learned_address = None;
        report.link = None;
        report.partial = None;
        let parsed = if self.fcs_unchecked {
            mac::parse_fcs_unchecked(frame, fcs)
        } else {
            mac::parse(frame, fcs)
        };
        report.mac = match parsed {
            Ok(f) => Some(f),
            Err(e) => {
                report.mac = None;
                report.error = Some(e);
                return;
            }
        };
        let Some(parsed) = report.mac.as_ref() else {
            return;
        };
        if !self.keys.is_empty() {
            if let Some((pan, short, extended)) = self.addresses.learn_from(parsed) {
                report.learned_address = Some(LearnedAddress {
                    pan,
                    short,
                    extended,
                });
            }
            if security::applies(parsed) {
                let body = &frame[..frame.len().saturating_sub(fcs.len())];
                return self.decode_secured(body, time_nanos, report, scratch);
            }
        }
        let (payload, base, src, dst) = (
            parsed.payload,
            parsed.payload_offset,
            parsed.src,
            parsed.dst,
        );
        let carries_lowpan = parsed.frame_type == mac::FrameType::DATA
            && !parsed.payload_encrypted
            && !payload.is_empty();
        if fast && carries_lowpan && payload.first().is_some_and(|&b| iphc::is_iphc(b)) {
            return self.decode_iphc_frame(report, payload, base, src, dst, number, scratch);
        }
        if !carries_lowpan {
            report.note = Some(if parsed.payload_encrypted {
                "payload is encrypted (MAC security enabled)".to_string()
            } else if parsed.frame_type != mac::FrameType::DATA {
                format!("{} frame: no 6LoWPAN payload", parsed.frame_type)
            } else {
                "data frame with an empty payload".to_string()
            });
        }
        if carries_lowpan {
            self.decode_into(report, payload, base, src, dst, time_nanos, scratch);
        }
    }

    /// A secured frame, keys given: unsecure it, then decode its private payload only when
    /// the MIC verified (or, at level 4, there is no MIC); otherwise say why not.
    fn decode_secured(
        &mut self,
        body: &[u8],
        time_nanos: u64,
        report: &mut FrameReport<'_>,
        scratch: Scratch,
    ) {
        let Some(parsed) = report.mac.as_ref() else {
            return;
        };
        let mut sec = security::unsecure(body, parsed, &mut self.keys, &self.addresses);
        let (src, dst, base, frame_type, mic_offset) = (
            parsed.src,
            parsed.dst,
            parsed.payload_offset,
            parsed.frame_type,
            body.len()
                .saturating_sub(parsed.mic.as_ref().map_or(0, Vec::len)),
        );
        if !sec.status.ok() {
            let key_index = parsed.security.as_ref().and_then(|a| a.key_index);
            match sec.status {
                security::Status::MicFailed => {
                    report.error = Some(Error::invalid(
                        Layer::Mac,
                        "MIC",
                        mic_offset,
                        format!(
                            "the MIC verifies with none of the {} key(s) tried \
                             (IEEE 802.15.4-2015 §9.2, incoming frame security procedure): payload not decoded",
                            sec.keys_tried
                        ),
                    ));
                }
                security::Status::NoKey => {
                    report.note = Some(match key_index {
                        Some(i) => format!("not decrypted: no key for key index {i}"),
                        None => "not decrypted: no key".to_string(),
                    });
                }
                security::Status::NoExtendedAddress => {
                    report.note = Some(format!(
                        "not decrypted: no extended address for 0x{:04x} (the nonce needs it)",
                        sec.short_source.unwrap_or_default()
                    ));
                }
                _ => {
                    report.note = Some(format!(
                        "not decrypted: {}",
                        sec.reason.as_deref().unwrap_or("unsupported")
                    ));
                }
            }
            report.security = Some(Box::new(sec));
            return;
        }
        let plain = sec.plaintext.clone().unwrap_or_default();
        let encrypted = parsed.payload_encrypted;
        let private = if encrypted {
            match mac::parse_private(parsed, &plain) {
                Ok(p) => Some(p),
                Err(e) => {
                    report.error = Some(e);
                    report.security = Some(Box::new(sec));
                    return;
                }
            }
        } else {
            None
        };
        let start = private.as_ref().map_or(0, |p| p.payload_start);
        if let (Some(p), Some(m)) = (private, report.mac.as_mut()) {
            if !p.payload_ies.is_empty() {
                m.payload_ies = p.payload_ies;
            }
            if p.command.is_some() {
                m.command = p.command;
            }
        }
        if !encrypted {
            // Levels 1-3: the payload was readable all along; only the MIC was unknown.
            sec.plaintext = None;
        }
        let payload = plain.get(start..).unwrap_or_default();
        report.security = Some(Box::new(sec));
        if frame_type != mac::FrameType::DATA {
            report.note = Some(format!("{frame_type} frame: no 6LoWPAN payload"));
        } else if payload.is_empty() {
            report.note = Some("data frame with an empty payload".to_string());
        } else {
            self.decode_into(report, payload, base + start, src, dst, time_nanos, scratch);
        }
    }

    /// [`Decoder::decode_frame`] for the common case, a MAC payload that starts with
    /// LOWPAN_IPHC (no mesh, broadcast, fragment, page or 6LoRH header before it): what
    /// `decode_into` would produce, written into `report` field by field so that the parts are
    /// moved once, and the headers are decompressed straight into the datagram buffer (the
    /// previous report's, when it had one).
    ///
    /// Kept beside the general path because it pays: on the decode benchmark's frames the
    /// general path, which moves its larger intermediate values (dispatch chain, 6LoRH
    /// expansion, `First`, the `Result`s) through several calls, runs about 30 % more
    /// instructions per frame (callgrind). `iphc_fast_path_matches_general_path` checks that
    /// both give the same report.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn decode_iphc_frame<'a>(
        &mut self,
        report: &mut FrameReport<'a>,
        payload: &[u8],
        base: usize,
        src: LinkAddr,
        dst: LinkAddr,
        number: u64,
        scratch: Scratch,
    ) {
        let Scratch {
            mut bytes,
            mut frames,
            nd: mut spare_nd,
        } = scratch;
        // The headers are decompressed into the datagram buffer, with room for the usual
        // headers (an IPv6 and a UDP header) and the rest of the payload after them.
        bytes.clear();
        bytes.reserve(ipv6::HEADER_LEN + 8 + payload.len());
        let mut fixes = Vec::new();
        let decompressed = iphc::pipeline(
            payload,
            base,
            &self.contexts,
            src,
            dst,
            None,
            &mut bytes,
            &mut fixes,
        );
        let (iphc, nhc, consumed) = match decompressed {
            Ok(d) => d,
            Err(e) => {
                report.lowpan = Some(LowpanReport {
                    dispatch: Vec::new(),
                    page: 0,
                    compression: None,
                    fragment: None,
                    rfrag: None,
                    sixlorh: None,
                    sixlorh_error: None,
                    rfrag_ack: None,
                });
                if matches!(e.layer(), Layer::Iphc | Layer::Nhc) {
                    report.partial = Some(Box::new(Partial {
                        dispatch: Vec::new(),
                        compression: Partial::compression(
                            Next::Iphc,
                            payload,
                            base,
                            &self.contexts,
                            src,
                            dst,
                        ),
                    }));
                }
                report.error = Some(e);
                return;
            }
        };
        let uncompressed_len = bytes.len();
        bytes.extend_from_slice(payload.get(consumed..).unwrap_or_default());
        // `datagram_report`, written out so that its parts are stored in the report directly.
        ipv6::fill_checksums(&mut bytes, &fixes);
        let (ipv6, ipv6_error) = read_back(&bytes, &mut spare_nd, self.lean());
        frames.clear();
        frames.push(number);
        if let Some(s) = &ipv6 {
            if self.learn_contexts {
                report.learned_contexts = self.learn_from(s);
            }
        }
        if !self.whole_iphc_unreported {
            report.lowpan = Some(LowpanReport {
                dispatch: Vec::new(),
                page: 0,
                compression: Some(Compression::Iphc {
                    iphc,
                    nhc,
                    compressed_len: consumed,
                    uncompressed_len,
                }),
                fragment: None,
                rfrag: None,
                sixlorh: None,
                sixlorh_error: None,
                rfrag_ack: None,
            });
        }
        report.datagram = Some(DatagramReport {
            length: bytes.len(),
            frames,
            checksum_recomputed: !fixes.is_empty(),
            // IPHC's Payload Length is the length of what follows the header: nothing trails.
            trailing: 0,
            ipv6,
            ipv6_error,
            mle: None,
            bytes,
        });
    }

    /// Decodes one frame of a link other than 802.15.4 ([`crate::link`]): its link header, then
    /// the 6LoWPAN payload it carries, whose elided addresses derive from the link's
    /// addresses. Error offsets in the 6LoWPAN payload count from its first octet.
    pub fn decode_link_frame<'a>(
        &mut self,
        kind: crate::link::LinkKind,
        frame: &[u8],
        number: u64,
        time_nanos: u64,
    ) -> FrameReport<'a> {
        let l = match crate::link::parse(kind, frame) {
            Ok(l) => l,
            Err(e) => {
                let mut r = FrameReport::empty(number);
                r.error = Some(e);
                return r;
            }
        };
        let mut report = match &l.payload {
            Some(p) => self.decode_payload(p, l.src, l.dst, number, time_nanos),
            None => FrameReport::empty(number),
        };
        if report.note.is_none() {
            report.note = l.note;
        }
        report.link = Some(Box::new(l.header));
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
        self.decode_into(
            &mut report,
            payload,
            0,
            src,
            dst,
            time_nanos,
            Scratch::default(),
        );
        self.decode_mle(&mut report);
        report
    }

    /// Fragmented datagrams being reassembled now (bounded by the reassembly limits).
    pub fn in_flight(&self) -> usize {
        self.reassembler.in_flight() + self.rfrag.in_flight()
    }

    /// Datagrams given up (timed out, evicted, aborted by the sender) since the last call.
    pub fn take_expired(&mut self) -> Vec<IncompleteDatagram> {
        let mut v = self.reassembler.take_expired();
        let rfrag = self.rfrag.take_expired();
        if !rfrag.is_empty() {
            v.extend(rfrag);
        }
        v
    }

    /// End of capture: every datagram still incomplete.
    pub fn finish(&mut self) -> Vec<IncompleteDatagram> {
        let mut v = self.reassembler.finish();
        v.extend(self.rfrag.finish());
        v
    }

    #[allow(clippy::too_many_arguments)]
    fn decode_into(
        &mut self,
        report: &mut FrameReport<'_>,
        payload: &[u8],
        base: usize,
        mac_src: LinkAddr,
        mac_dst: LinkAddr,
        time_nanos: u64,
        scratch: Scratch,
    ) {
        let chain = match dispatch::parse_chain(payload, base) {
            Ok(c) => c,
            Err(e) => {
                let dispatch = dispatch::headers_before_error(payload, base);
                if !dispatch.is_empty() {
                    report.partial = Some(Box::new(Partial {
                        dispatch,
                        compression: None,
                    }));
                }
                report.error = Some(e);
                return;
            }
        };
        let mut lowpan = LowpanReport {
            dispatch: Vec::new(),
            page: chain.page,
            compression: None,
            fragment: None,
            rfrag: None,
            sixlorh: None,
            sixlorh_error: None,
            rfrag_ack: None,
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
            scratch,
        );
        match result {
            Ok(dg) => report.datagram = dg,
            Err(e) => {
                if matches!(e.layer(), Layer::Iphc | Layer::Nhc | Layer::Hc1)
                    && lowpan.compression.is_none()
                {
                    report.partial = partial_compression(
                        &chain,
                        payload,
                        base,
                        &self.contexts,
                        mac_src,
                        mac_dst,
                    );
                }
                report.error = Some(e);
            }
        }
        lowpan.dispatch = chain.headers;
        if lowpan
            .dispatch
            .iter()
            .any(|h| matches!(h, DispatchHeader::Nalp { .. }))
        {
            report.note = Some("not a 6LoWPAN frame (NALP dispatch)".to_string());
        } else if let Some(a) = &lowpan.rfrag_ack {
            report.note = Some(if a.null {
                format!(
                    "RFC 8931 RFRAG-ACK for tag {}: NULL bitmap, datagram aborted",
                    a.datagram_tag
                )
            } else {
                format!(
                    "RFC 8931 RFRAG-ACK for tag {}: fragments {:?} acknowledged",
                    a.datagram_tag, a.acknowledged
                )
            });
        } else if lowpan.rfrag.as_ref().is_some_and(|f| f.abort) {
            report.note = Some("RFC 8931 RFRAG abort: the datagram is dropped".to_string());
        }
        report.lowpan = Some(lowpan);
        if self.learn_contexts {
            if let Some(s) = report.datagram.as_ref().and_then(|d| d.ipv6.as_ref()) {
                report.learned_contexts = self.learn_from(s);
            }
        }
    }

    /// Applies the 6CO options of `s` (and of any IPv6-in-IPv6 inside) to the context table.
    fn learn_from(&mut self, s: &Summary) -> Vec<LearnedContext> {
        let mut learned = Vec::new();
        let mut cur = Some(s);
        while let Some(s) = cur {
            cur = None;
            match &s.upper {
                Upper::Icmpv6 { nd: Some(m), .. } => {
                    for c in m.contexts() {
                        let mut p = c.prefix.octets();
                        let len = c.context_length.min(128);
                        for (i, b) in p.iter_mut().enumerate() {
                            let bit = i * 8;
                            let keep = usize::from(len).saturating_sub(bit).min(8);
                            *b &= !(0xffu8.checked_shr(keep as u32).unwrap_or(0));
                        }
                        let prefix = Ipv6Addr::from(p);
                        let removed = c.valid_lifetime == 0;
                        if removed {
                            let mut t = ContextTable::new();
                            for (id, ctx) in self.contexts.iter().filter(|(id, _)| *id != c.cid) {
                                t.set(id, *ctx);
                            }
                            self.contexts = t;
                        } else {
                            self.contexts.set(c.cid, Context { prefix, len });
                        }
                        learned.push(LearnedContext {
                            cid: c.cid,
                            prefix,
                            length: len,
                            compression: c.compression,
                            valid_lifetime: c.valid_lifetime,
                            removed,
                        });
                    }
                }
                Upper::Ipv6(inner) => cur = Some(inner),
                _ => {}
            }
        }
        learned
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
        scratch: Scratch,
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
        // Offsets (relative to `payload`) of each dispatch header.
        let mut starts = Vec::with_capacity(chain.headers.len());
        let mut at = 0usize;
        for h in &chain.headers {
            starts.push(at);
            at += h.len();
        }
        for (i, h) in chain.headers.iter().enumerate() {
            match h {
                DispatchHeader::Rfrag(rf) => {
                    let start = starts.get(i).copied().unwrap_or(0);
                    return self.decode_rfrag(
                        chain, i, start, rf, lowpan, number, payload, base, src, dst, time_nanos,
                    );
                }
                DispatchHeader::RfragAck(a) => {
                    let acknowledged = (0u8..32).filter(|&q| a.acked(q)).collect();
                    lowpan.rfrag_ack = Some(RfragAckInfo {
                        datagram_tag: a.datagram_tag,
                        acknowledged,
                        null: a.is_null(),
                        full: a.is_full(),
                    });
                    if a.is_null() {
                        // The ACK flows back from the reassembler to the fragmenter.
                        if let Some(inc) = self.rfrag.abort(&RfragKey {
                            src: dst,
                            dst: src,
                            tag: a.datagram_tag,
                        }) {
                            log_abort(inc);
                        }
                    }
                    return Ok(None);
                }
                _ => {}
            }
        }
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
        let size = match frag {
            Some((s, _, _)) => Size::Uncompressed(s),
            None => Size::Whole,
        };
        let lorhs: Vec<(usize, &SixLoRh)> = chain
            .headers
            .iter()
            .zip(&starts)
            .filter_map(|(h, &s)| match h {
                DispatchHeader::SixLoRh(l) => Some((base + s, l)),
                _ => None,
            })
            .collect();
        // The uncompressed bytes this frame contributes, and the checksums to fill in later.
        let Scratch {
            bytes,
            mut frames,
            mut nd,
        } = scratch;
        let Some(First { bytes, fixes, .. }) = self.first(
            chain.next, &lorhs, lowpan, payload, 0, at, base, src, dst, size, bytes,
        )?
        else {
            return Ok(None);
        };
        let Some((size, tag, offset)) = frag else {
            frames.clear();
            frames.push(number);
            return Ok(Some(datagram_report(
                bytes,
                &fixes,
                frames,
                &mut nd,
                self.lean(),
            )));
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
                    &mut nd,
                    self.lean(),
                )))
            }
        }
    }

    /// The uncompressed form of the datagram start in `payload[from..]`, whose header
    /// (`next`) starts at `payload[at]`: 6LoRHs applied, then IPHC / HC1 / IPv6. `buf` lends
    /// its allocation to the bytes.
    #[allow(clippy::too_many_arguments)]
    fn first(
        &self,
        next: Next,
        lorhs: &[(usize, &SixLoRh)],
        lowpan: &mut LowpanReport,
        payload: &[u8],
        from: usize,
        at: usize,
        base: usize,
        src: LinkAddr,
        dst: LinkAddr,
        size: Size,
        mut buf: Vec<u8>,
    ) -> crate::Result<Option<First>> {
        if matches!(next, Next::None) {
            return Ok(None);
        }
        let rest = payload.get(at..).unwrap_or_default();
        buf.clear();
        if matches!(next, Next::FragmentPayload) {
            buf.extend_from_slice(rest);
            return Ok(Some(First {
                bytes: buf,
                fixes: Vec::new(),
                tail_len: rest.len(),
            }));
        }
        let mut expansion = match sixlorh::expand(lorhs, self.rpl_root) {
            Ok(e) => e,
            Err(e) => {
                lowpan.sixlorh_error = Some(e);
                None
            }
        };
        let added = expansion.as_ref().map_or(0, |e| e.added_len);
        let lorh_at = lorhs.first().map_or(base + at, |(a, _)| *a);
        // The size the inner (IPHC/HC1/IPv6) datagram is given, when known from a header.
        let inner_size = |hdr_len: usize, consumed: usize| -> crate::Result<Option<u16>> {
            match size {
                Size::Whole => Ok(None),
                Size::Uncompressed(n) => usize::from(n)
                    .checked_sub(added)
                    .and_then(|n| u16::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| {
                        Error::invalid(
                            Layer::Dispatch,
                            "datagram_size",
                            lorh_at,
                            format!(
                                "datagram size {n} is smaller than the {added} octets of headers the 6LoRHs stand for"
                            ),
                        )
                    }),
                Size::Compressed(c) => {
                    // Compressed bytes of the datagram after the compressed headers.
                    let used = at.saturating_sub(from) + consumed;
                    let rest = c.checked_sub(used).ok_or_else(|| {
                        Error::invalid(
                            Layer::Reassembly,
                            "datagram_size",
                            base + from,
                            format!("Datagram_Size {c} is smaller than the {used} octets of compressed headers"),
                        )
                    })?;
                    u16::try_from(hdr_len + rest).map(Some).map_err(|_| {
                        Error::invalid(
                            Layer::Reassembly,
                            "datagram_size",
                            base + from,
                            format!(
                                "the uncompressed datagram would be {} octets, over 65535",
                                hdr_len + rest + added
                            ),
                        )
                    })
                }
            }
        };
        let (inner, mut fixes, tail_len, inner_total) = match next {
            Next::Iphc => {
                let pre = match size {
                    Size::Compressed(_) => {
                        let d = iphc::decompress(rest, base + at, &self.contexts, src, dst, None)?;
                        inner_size(d.headers.len(), d.consumed)?
                    }
                    _ => inner_size(0, 0)?,
                };
                // The headers go straight into the datagram buffer, with room for the usual
                // headers (an IPv6 and a UDP header) and the rest of the payload after them.
                let mut bytes = buf;
                bytes.reserve(ipv6::HEADER_LEN + 8 + rest.len());
                let mut checksum_fixes = Vec::new();
                let (iphc, nhc, consumed) = iphc::pipeline(
                    rest,
                    base + at,
                    &self.contexts,
                    src,
                    dst,
                    pre,
                    &mut bytes,
                    &mut checksum_fixes,
                )?;
                let uncompressed_len = bytes.len();
                let tail = rest.get(consumed..).unwrap_or_default();
                bytes.extend_from_slice(tail);
                lowpan.compression = Some(Compression::Iphc {
                    compressed_len: consumed,
                    uncompressed_len,
                    iphc,
                    nhc,
                });
                let total = pre.map_or(bytes.len(), usize::from);
                (bytes, checksum_fixes, tail.len(), total)
            }
            Next::Hc1 => {
                // The chain points past the 0x42 dispatch; the HC1 decoder starts at it.
                let from_hc1 = at.saturating_sub(1);
                let hc1_buf = payload.get(from_hc1..).unwrap_or_default();
                let pre = match size {
                    Size::Compressed(_) => {
                        let d = hc1::decompress(hc1_buf, base + from_hc1, src, dst, None)?;
                        // `consumed` counts from the 0x42 byte, one before `at`.
                        inner_size(d.headers.len(), d.consumed.saturating_sub(1))?
                    }
                    _ => inner_size(0, 0)?,
                };
                let d = hc1::decompress(hc1_buf, base + from_hc1, src, dst, pre)?;
                let tail = hc1_buf.get(d.consumed..).unwrap_or_default();
                let mut bytes = Vec::with_capacity(d.headers.len() + tail.len());
                bytes.extend_from_slice(&d.headers);
                bytes.extend_from_slice(tail);
                let fixes = d.checksum_fixes.clone();
                let uncompressed_len = d.headers.len();
                let tail_len = tail.len();
                lowpan.compression = Some(Compression::Hc1 {
                    hc1: Box::new(d),
                    uncompressed_len,
                });
                let total = pre.map_or(bytes.len(), usize::from);
                (bytes, fixes, tail_len, total)
            }
            _ => {
                lowpan.compression = Some(Compression::Ipv6);
                let total = inner_size(0, 0)?.map_or(rest.len(), usize::from);
                // The fixed header counts as header (a Hop-by-Hop header may be put after it).
                let tail_len = rest.len().saturating_sub(ipv6::HEADER_LEN);
                buf.extend_from_slice(rest);
                (buf, Vec::new(), tail_len, total)
            }
        };
        let bytes = match expansion.as_mut() {
            Some(e) => match e.apply(&inner, inner_total, &mut fixes) {
                Ok(b) => b,
                Err(err) => return Err(err.at(lorh_at)),
            },
            None => inner,
        };
        lowpan.sixlorh = expansion.map(Box::new);
        Ok(Some(First {
            bytes,
            fixes,
            tail_len,
        }))
    }

    /// One RFC 8931 RFRAG fragment: the header at `payload[start]` (index `i` of the chain).
    #[allow(clippy::too_many_arguments)]
    fn decode_rfrag(
        &mut self,
        chain: &Chain,
        i: usize,
        start: usize,
        rf: &Rfrag,
        lowpan: &mut LowpanReport,
        number: u64,
        payload: &[u8],
        base: usize,
        src: LinkAddr,
        dst: LinkAddr,
        time_nanos: u64,
    ) -> crate::Result<Option<DatagramReport>> {
        let data_at = start + rf.len();
        let need = usize::from(rf.fragment_size);
        let avail = payload.len().saturating_sub(data_at);
        let key = RfragKey {
            src,
            dst,
            tag: rf.datagram_tag,
        };
        let abort = (rf.sequence == 0 && rf.datagram_size == Some(0))
            || (rf.sequence != 0 && rf.fragment_offset == 0);
        let offset = if rf.sequence == 0 {
            0
        } else {
            usize::from(rf.fragment_offset)
        };
        let info = |datagram_size: Option<usize>| RfragFragmentInfo {
            key,
            sequence: rf.sequence,
            ack_request: rf.ack_request,
            offset,
            len: need,
            datagram_size,
            abort,
            completes: false,
        };
        if abort {
            lowpan.rfrag = Some(Box::new(info(self.rfrag.known_size(&key))));
            if let Some(inc) = self.rfrag.abort(&key) {
                log_abort(inc);
            }
            return Ok(None);
        }
        if avail < need {
            return Err(Error::truncated(
                Layer::Dispatch,
                "RFRAG fragment",
                base + data_at,
                need,
                avail,
            ));
        }
        let data = payload.get(data_at..data_at + need).unwrap_or_default();
        let meta = if rf.sequence == 0 {
            let after = chain.headers.get(i + 1..).unwrap_or_default();
            let mut lorhs = Vec::new();
            let mut pos = data_at;
            for h in after {
                if let DispatchHeader::SixLoRh(l) = h {
                    lorhs.push((base + pos, l));
                }
                pos += h.len();
            }
            let at = chain.payload_offset.min(payload.len());
            if at > data_at + need {
                return Err(Error::invalid(
                    Layer::Dispatch,
                    "fragment_size",
                    base + start + 2,
                    format!(
                        "Fragment_Size {need} ends inside the dispatch headers of the first fragment \
                         ({} octets)",
                        at - data_at
                    ),
                ));
            }
            let compressed = rf.datagram_size.map_or(need, usize::from);
            // Only the fragment's own bytes feed the decompressor.
            let fragment = payload.get(..data_at + need).unwrap_or_default();
            self.first(
                chain.next,
                &lorhs,
                lowpan,
                fragment,
                data_at,
                at,
                base,
                src,
                dst,
                Size::Compressed(compressed),
                Vec::new(),
            )?
            .map(|f| RfragHead {
                head: f
                    .bytes
                    .get(..f.bytes.len().saturating_sub(f.tail_len))
                    .unwrap_or_default()
                    .to_vec(),
                fixes: f.fixes,
                compressed_head: need.saturating_sub(f.tail_len),
            })
        } else {
            None
        };
        let pushed = self
            .rfrag
            .push(
                key,
                offset,
                rf.datagram_size,
                data,
                meta,
                number,
                time_nanos,
            )
            .map_err(|e| e.at(base + start + 4));
        lowpan.rfrag = Some(Box::new(info(
            rf.datagram_size
                .map(usize::from)
                .or_else(|| self.rfrag.known_size(&key)),
        )));
        match pushed? {
            Push::Pending => Ok(None),
            Push::Complete(Datagram {
                data, meta, frames, ..
            }) => {
                if let Some(f) = lowpan.rfrag.as_mut() {
                    f.completes = true;
                    f.datagram_size = Some(data.len());
                }
                let Some(m) = meta else {
                    return Err(Error::invalid(
                        Layer::Reassembly,
                        "sequence",
                        base + start + 2,
                        "RFRAG datagram complete but its first fragment carried no datagram header",
                    ));
                };
                let mut bytes = m.head;
                bytes.extend_from_slice(data.get(m.compressed_head..).unwrap_or_default());
                Ok(Some(datagram_report(
                    bytes,
                    &m.fixes,
                    frames,
                    &mut None,
                    self.lean(),
                )))
            }
        }
    }
}

/// [`Partial`] for a frame whose header decompression failed after the dispatch chain
/// `chain` parsed: the compressed header starts at `payload[chain.payload_offset]` (one octet
/// earlier for HC1, whose 0x42 dispatch the chain steps over).
#[cold]
fn partial_compression(
    chain: &Chain,
    payload: &[u8],
    base: usize,
    ctx: &ContextTable,
    mac_src: LinkAddr,
    mac_dst: LinkAddr,
) -> Option<Box<Partial>> {
    let (src, dst) = chain
        .headers
        .iter()
        .find_map(|h| match h {
            DispatchHeader::Mesh(m) => Some((m.originator, m.final_destination)),
            _ => None,
        })
        .unwrap_or((mac_src, mac_dst));
    let at = match chain.next {
        Next::Hc1 => chain.payload_offset.saturating_sub(1),
        _ => chain.payload_offset,
    };
    let buf = payload.get(at..)?;
    let compression = Partial::compression(chain.next, buf, base + at, ctx, src, dst)?;
    Some(Box::new(Partial {
        dispatch: Vec::new(),
        compression: Some(compression),
    }))
}

/// An RFRAG datagram dropped by an abort is simply forgotten (it completed nothing); kept as a
/// function so the intent is named.
fn log_abort(_: Incomplete) {}

/// A complete datagram read back: its summary (a Neighbor Discovery message built in
/// `spare_nd`'s box when it holds one), or with `lean` only its fixed header after the same
/// checks ([`ipv6::check`]); and why the summary failed, when it did. A datagram whose
/// extension headers or upper layer do not parse still shows its fixed header, next to the
/// error.
#[inline(always)]
fn read_back(
    bytes: &[u8],
    spare_nd: &mut Option<Box<crate::nd::NdMessage>>,
    lean: bool,
) -> (Option<Summary>, Option<Error>) {
    let summary = if lean {
        ipv6::check(bytes)
    } else {
        ipv6::summary_reusing(bytes, spare_nd)
    };
    match summary {
        Ok(s) => (Some(s), None),
        Err(e) => (ipv6::header(bytes).ok(), Some(e)),
    }
}

/// The report of a complete datagram: elided checksums filled, read back ([`read_back`]). A Neighbor Discovery
/// message is built in `spare_nd`'s box when it holds one.
#[inline]
fn datagram_report(
    mut bytes: Vec<u8>,
    fixes: &[ChecksumFix],
    frames: Vec<u64>,
    spare_nd: &mut Option<Box<crate::nd::NdMessage>>,
    lean: bool,
) -> DatagramReport {
    ipv6::fill_checksums(&mut bytes, fixes);
    let trailing = ipv6::trailing_octets(&bytes);
    bytes.truncate(bytes.len() - trailing);
    let (ipv6, ipv6_error) = read_back(&bytes, spare_nd, lean);
    DatagramReport {
        length: bytes.len(),
        frames,
        checksum_recomputed: !fixes.is_empty(),
        trailing,
        ipv6,
        ipv6_error,
        mle: None,
        bytes,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// Classic pcap captures of link type 195 / 230 in `dir`, with their frames (also used by
    /// `fields`' tests).
    pub(crate) fn captures(dir: &Path) -> Vec<(PathBuf, FcsMode, Vec<Vec<u8>>)> {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut paths: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
            .collect();
        paths.sort();
        let mut out = Vec::new();
        for path in paths {
            let data = std::fs::read(&path).unwrap();
            let Ok((mut rest, header)) = pcap_parser::parse_pcap_header(&data) else {
                continue; // pcapng
            };
            let fcs = match header.network.0 {
                230 => FcsMode::None,
                195 => FcsMode::Crc16,
                _ => continue,
            };
            let mut frames = Vec::new();
            while !rest.is_empty() {
                let parsed = if header.is_bigendian() {
                    pcap_parser::parse_pcap_frame_be(rest)
                } else {
                    pcap_parser::parse_pcap_frame(rest)
                };
                let Ok((r, b)) = parsed else { break };
                frames.push(b.data.to_vec());
                rest = r;
            }
            out.push((path, fcs, frames));
        }
        out
    }

    /// `iphc::decompress_to` with one slot reused for a whole capture gives what
    /// `iphc::decompress` gives, frame by frame (errors included), over the same captures as
    /// below: every frame whose payload has an IPHC header after its dispatch headers.
    #[test]
    fn decompress_to_with_a_reused_slot_matches_decompress() {
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo")];
        dirs.extend(ietfwg_test_support::shared::corpus("6lo"));
        let ctx = ContextTable::new();
        let (mut ok, mut err, mut with_nhc) = (0usize, 0usize, 0usize);
        for dir in dirs {
            for (path, fcs, frames) in captures(&dir) {
                let mut slot = iphc::Decompressed::default();
                for (i, f) in frames.iter().enumerate() {
                    let Ok(m) = mac::parse(f, fcs) else { continue };
                    let Ok(chain) = dispatch::parse_chain(m.payload, m.payload_offset) else {
                        continue;
                    };
                    let Some(rest) = m.payload.get(chain.payload_offset..) else {
                        continue;
                    };
                    if !rest.first().is_some_and(|&b| iphc::is_iphc(b)) {
                        continue;
                    }
                    let base = m.payload_offset + chain.payload_offset;
                    let fresh = iphc::decompress(rest, base, &ctx, m.src, m.dst, None);
                    let reused =
                        iphc::decompress_to(&mut slot, rest, base, &ctx, m.src, m.dst, None);
                    let at = format!("{} frame {}", path.display(), i + 1);
                    match (fresh, reused) {
                        (Ok(d), Ok(())) => {
                            assert_eq!(slot, d, "{at}");
                            // `headers` is not part of the serialised form: compare it too.
                            assert_eq!(slot.headers, d.headers, "{at}");
                            ok += 1;
                            with_nhc += usize::from(!d.nhc.is_empty());
                        }
                        (Err(a), Err(b)) => {
                            assert_eq!(a, b, "{at}");
                            err += 1;
                        }
                        (a, b) => panic!("{at}: decompress {a:?}, decompress_to {b:?}"),
                    }
                }
            }
        }
        assert!(ok > 0 && with_nhc > 0, "{ok} {err} {with_nhc}");
    }

    /// The IPHC fast path (`decode_iphc_frame`) gives exactly the report of the general path,
    /// and so does `decode_frame_into` with one report reused from frame to frame, frame by
    /// frame, over the project's captures and (when it is there) the
    /// third-party corpus, FCS checked and not, contexts learnt or not.
    #[test]
    fn iphc_fast_path_matches_general_path() {
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo")];
        dirs.extend(ietfwg_test_support::shared::corpus("6lo"));
        let (mut frames_seen, mut fast_frames) = (0usize, 0usize);
        for dir in dirs {
            for (path, fcs, frames) in captures(&dir) {
                for learn in [false, true] {
                    let mut fast = Decoder::new(ContextTable::new(), Limits::default());
                    let mut general = Decoder::new(ContextTable::new(), Limits::default());
                    let mut reusing = Decoder::new(ContextTable::new(), Limits::default());
                    fast.set_learn_contexts(learn);
                    general.set_learn_contexts(learn);
                    reusing.set_learn_contexts(learn);
                    // One report for the whole capture, its buffers passed from frame to frame.
                    let mut reused = FrameReport::default();
                    for (i, f) in frames.iter().enumerate() {
                        let n = i as u64 + 1;
                        // With the FCS as captured, and without it (link type 195 only).
                        let mut variants = vec![(&f[..], fcs)];
                        if fcs == FcsMode::Crc16 && f.len() >= 2 {
                            variants.push((&f[..f.len() - 2], FcsMode::None));
                        }
                        for (bytes, mode) in variants {
                            let mut a = FrameReport::default();
                            fast.decode_frame_with(bytes, mode, n, 0, true, &mut a);
                            let mut b = FrameReport::default();
                            general.decode_frame_with(bytes, mode, n, 0, false, &mut b);
                            assert_eq!(a, b, "{} frame {n} ({mode:?})", path.display());
                            reusing.decode_frame_into(bytes, mode, n, 0, &mut reused);
                            assert_eq!(
                                reused,
                                a,
                                "{} frame {n} ({mode:?}), report reused",
                                path.display()
                            );
                            frames_seen += 1;
                            let iphc_first = a.mac.as_ref().is_some_and(|m| {
                                m.frame_type == mac::FrameType::DATA
                                    && !m.payload_encrypted
                                    && m.payload.first().is_some_and(|&b| iphc::is_iphc(b))
                            });
                            fast_frames += usize::from(iphc_first);
                        }
                    }
                }
            }
        }
        assert!(
            frames_seen > 0 && fast_frames > 0,
            "{frames_seen} {fast_frames}"
        );
    }

    /// `set_datagrams_only` changes nothing a caller writing datagrams reads: over every frame
    /// of the project's and the corpus's 802.15.4 captures (with and without the FCS, and cut
    /// short at several lengths, so that errors occur in every layer), the error, MAC frame,
    /// 6LoWPAN report, datagram bytes and frames, `ipv6_error` and the incomplete datagrams
    /// are those of a full decoder; `ipv6` is the fixed header, present exactly when the full
    /// summary (or, after an error, its fixed header) is. And `ipv6::check` fails exactly as
    /// `ipv6::summary` does on every prefix of every datagram seen.
    #[test]
    fn datagrams_only_keeps_datagrams_and_verdicts() {
        let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../pcaps/6lo")];
        dirs.extend(ietfwg_test_support::shared::corpus("6lo"));
        let (mut datagrams, mut ipv6_errors, mut frame_errors) = (0usize, 0usize, 0usize);
        let (mut unchecked_fcs, mut unreported) = (0usize, 0usize);
        let mut seen = std::collections::HashSet::new();
        for dir in dirs {
            for (path, fcs, frames) in captures(&dir) {
                let mut full = Decoder::new(ContextTable::new(), Limits::default());
                let mut lean = Decoder::new(ContextTable::new(), Limits::default());
                lean.set_datagrams_only(true);
                let mut reused = FrameReport::default();
                // As `6lo compress` decodes: datagrams only, the FCS not checked, no 6LoWPAN
                // report for a frame that is one whole IPHC datagram.
                let mut unchecked = Decoder::new(ContextTable::new(), Limits::default());
                unchecked.set_datagrams_only(true);
                unchecked.set_fcs_unchecked(true);
                unchecked.set_whole_iphc_unreported(true);
                let mut reused_unchecked = FrameReport::default();
                for (i, f) in frames.iter().enumerate() {
                    let n = i as u64 + 1;
                    let mut variants = vec![(&f[..], fcs)];
                    if fcs == FcsMode::Crc16 && f.len() >= 2 {
                        variants.push((&f[..f.len() - 2], FcsMode::None));
                    }
                    // Cut short (small captures only: the big trace is covered whole above).
                    if frames.len() < 200 {
                        for cut in [1, 3, 9, 20, 30, 45, 60] {
                            if let Some(l) = f.len().checked_sub(cut) {
                                variants.push((&f[..l], FcsMode::None));
                            }
                        }
                    }
                    for (bytes, mode) in variants {
                        let at = format!(
                            "{} frame {n} ({} octets, {mode:?})",
                            path.display(),
                            bytes.len()
                        );
                        let a = full.decode_frame(bytes, mode, n, 0);
                        lean.decode_frame_into(bytes, mode, n, 0, &mut reused);
                        let b = &reused;
                        unchecked.decode_frame_into(bytes, mode, n, 0, &mut reused_unchecked);
                        let u = &reused_unchecked;
                        let mut mac_unchecked = b.mac.clone();
                        if let Some(m) = mac_unchecked.as_mut() {
                            m.fcs = None;
                        }
                        assert_eq!(u.mac, mac_unchecked, "{at}");
                        assert_eq!((&u.error, &u.note), (&b.error, &b.note), "{at}");
                        match (&u.lowpan, &b.lowpan) {
                            (None, Some(l)) => {
                                assert!(
                                    l.dispatch.is_empty()
                                        && matches!(l.compression, Some(Compression::Iphc { .. }))
                                        && l.fragment.is_none()
                                        && b.error.is_none()
                                        && b.datagram.is_some(),
                                    "{at}: {l:?}"
                                );
                                unreported += 1;
                            }
                            (x, y) => assert_eq!(x, y, "{at}"),
                        }
                        assert_eq!(
                            u.datagram.as_ref().map(|d| (
                                &d.bytes,
                                &d.frames,
                                &d.ipv6,
                                &d.ipv6_error
                            )),
                            b.datagram.as_ref().map(|d| (
                                &d.bytes,
                                &d.frames,
                                &d.ipv6,
                                &d.ipv6_error
                            )),
                            "{at}"
                        );
                        unchecked_fcs +=
                            usize::from(b.mac.as_ref().is_some_and(|m| m.fcs.is_some()));
                        assert_eq!(b.error, a.error, "{at}");
                        assert_eq!(b.mac, a.mac, "{at}");
                        assert_eq!(b.lowpan, a.lowpan, "{at}");
                        assert_eq!(b.note, a.note, "{at}");
                        frame_errors += usize::from(a.error.is_some());
                        match (&a.datagram, &b.datagram) {
                            (None, None) => {}
                            (Some(x), Some(y)) => {
                                assert_eq!(y.bytes, x.bytes, "{at}");
                                assert_eq!(y.frames, x.frames, "{at}");
                                assert_eq!(y.length, x.length, "{at}");
                                assert_eq!(y.checksum_recomputed, x.checksum_recomputed, "{at}");
                                assert_eq!(y.ipv6_error, x.ipv6_error, "{at}");
                                assert_eq!(y.ipv6.is_some(), x.ipv6.is_some(), "{at}");
                                assert_eq!(y.ipv6, ipv6::header(&y.bytes).ok(), "{at}");
                                assert!(y.mle.is_none(), "{at}");
                                datagrams += 1;
                                ipv6_errors += usize::from(x.ipv6_error.is_some());
                                if seen.len() < 3000 && seen.insert(x.bytes.clone()) {
                                    for l in 0..=x.bytes.len() {
                                        let d = &x.bytes[..l];
                                        assert_eq!(
                                            ipv6::check(d).err(),
                                            ipv6::summary(d).err(),
                                            "{at}: prefix of {l} octets"
                                        );
                                    }
                                }
                            }
                            (x, y) => panic!("{at}: datagram {x:?} / {y:?}"),
                        }
                        let expired = lean.take_expired();
                        assert_eq!(unchecked.take_expired(), expired, "{at}");
                        assert_eq!(expired, full.take_expired(), "{at}");
                    }
                }
                let lean_left = lean.finish();
                assert_eq!(unchecked.finish(), lean_left, "{}", path.display());
                assert_eq!(lean_left, full.finish(), "{}", path.display());
            }
        }
        assert!(unchecked_fcs > 1000, "{unchecked_fcs} frames with an FCS");
        assert!(unreported > 1000, "{unreported} whole IPHC frames");
        assert!(
            datagrams > 100 && frame_errors > 0,
            "{datagrams} datagrams, {frame_errors} frame errors, {ipv6_errors} IPv6 errors"
        );
    }
}
