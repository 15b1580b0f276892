//! Whole IEEE 802.15.4 frames from uncompressed IPv6 datagrams: header compression
//! ([`crate::compress`]), optional mesh (RFC 4944 §5.2) and broadcast (§11.1) headers,
//! fragmentation when needed ([`crate::fragment`]), the MAC header ([`crate::mac::MacHeader`]) and
//! the FCS.
//!
//! ```text
//!   | MAC header | [Mesh] | [BC0] | [FRAG1/FRAGN] | IPHC + NHC (first piece) | payload | FCS |
//!   |<------------------------------ frame size (default 127) ------------------------->|
//! ```
//!
//! Everything in the frame counts towards the frame size, the FCS included — even when the
//! frames are written without it (pcap link type 230): it is on the air all the same.
//!
//! Sequence numbers: each frame takes the next MAC sequence number, starting at the target's
//! (when it gives one) or at the [`Framer`]'s own counter; BC0 headers take the framer's BC0
//! counter, one value per frame (each is a separate mesh broadcast); fragmented datagrams take
//! the framer's datagram tag, one per datagram, wrapping at 16 bits.

use std::net::Ipv6Addr;

use crate::addr::{ContextTable, LinkAddr};
use crate::compress::{self, Compressed, Options};
use crate::dispatch::{DispatchHeader, MeshHeader};
use crate::error::{Error, Layer, Result};
use crate::fragment;
use crate::mac::{self, FcsMode, MacHeader};

/// IEEE 802.15.4 aMaxPhyPacketSize: 127 octets, FCS included.
pub const DEFAULT_FRAME_SIZE: usize = 127;

/// How frames are built, for a whole run.
#[derive(Debug)]
pub struct Config {
    /// Largest frame, in octets, FCS included (127 for the 2.4 GHz O-QPSK PHY).
    pub frame_size: usize,
    /// Whether the built frames end with an FCS (CRC-16 for pcap link type 195).
    pub fcs: FcsMode,
    /// Header compression options.
    pub options: Options,
    /// Add a mesh header with this Hops Left (originator / final destination = the link source
    /// / destination, unless the target brings its own mesh header).
    pub mesh_hops: Option<u8>,
    /// Add a LOWPAN_BC0 header to every frame.
    pub bc0: bool,
}

impl Config {
    /// Frames of [`DEFAULT_FRAME_SIZE`] without FCS, no mesh, no BC0, these options.
    pub fn new(options: Options) -> Self {
        Config {
            frame_size: DEFAULT_FRAME_SIZE,
            fcs: FcsMode::None,
            options,
            mesh_hops: None,
            bc0: false,
        }
    }
}

/// Where one datagram goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The MAC header of the frames. `mac.seq`: Some(s) numbers the frames s, s+1, …; None takes
    /// numbers from the framer's counter.
    pub mac: MacHeader,
    /// A mesh header to carry (from a captured frame). With [`Config::mesh_hops`] its Hops Left
    /// is replaced.
    pub mesh: Option<MeshHeader>,
}

impl Target {
    /// A data frame between `src` and `dst` in `pan`, numbered by the framer.
    pub fn new(src: LinkAddr, dst: LinkAddr, pan: u16) -> Self {
        let mut mac = MacHeader::data(src, dst, pan, 0);
        mac.seq = None;
        Target { mac, mesh: None }
    }
}

/// The frames of one datagram.
#[derive(Debug, Default)]
pub struct Framed {
    /// Complete 802.15.4 frames, in order (with the FCS when the config asks for one).
    pub frames: Vec<Vec<u8>>,
    /// The compressed headers; None when the datagram went as uncompressed IPv6 (dispatch
    /// 0x41) because IPHC cannot describe it (see `uncompressed_because`).
    pub compressed: Option<Compressed>,
    /// Why the datagram was not compressed (the compressor's error), when it was not.
    pub uncompressed_because: Option<Error>,
    /// Octets of 6LoWPAN header in the first frame: IPHC + NHC, or the 0x41 dispatch.
    pub header_len: usize,
    /// Octets of the uncompressed datagram those headers stand for.
    pub consumed: usize,
    /// The datagram tag, when it was fragmented.
    pub datagram_tag: Option<u16>,
    /// Sum of the frames' MAC payload octets (6LoWPAN headers and data).
    pub payload_bytes: usize,
    /// Sum of the frames' octets as written (MAC header, payload, FCS if written).
    pub frame_bytes: usize,
}

/// Builds frames for datagram after datagram, keeping the sequence numbers and tags.
#[derive(Debug)]
pub struct Framer {
    config: Config,
    contexts: ContextTable,
    next_seq: u8,
    next_bc0: u8,
    next_tag: u16,
    /// The compressor's verification buffers, kept from one datagram to the next.
    workspace: compress::Workspace,
}

impl Framer {
    /// A framer; every counter starts at 0.
    pub fn new(config: Config, contexts: ContextTable) -> Self {
        Framer {
            config,
            contexts,
            next_seq: 0,
            next_bc0: 0,
            next_tag: 0,
            workspace: compress::Workspace::default(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Compresses `datagram` (a whole uncompressed IPv6 datagram) and builds its frames.
    ///
    /// Errors: the compressor's (layer IPv6/IPHC/NHC), a frame size too small for the MAC
    /// header and dispatch headers (layer MAC, field `frame size`) or for the fragments
    /// (layer dispatch), a mesh header without link addresses. Counters only move on success.
    pub fn frame(&mut self, datagram: &[u8], target: &Target) -> Result<Framed> {
        let mut out = Framed::default();
        self.frame_into(datagram, target, &mut out)?;
        Ok(out)
    }

    /// [`Framer::frame`] into `out`, which it overwrites on success: the previous contents of
    /// `out` lend their allocations (the frame list, a frame's buffer, the compressed header
    /// buffer), so that a caller framing datagram after datagram with one `Framed` allocates
    /// less per datagram. On error `out` is left empty.
    pub fn frame_into(&mut self, datagram: &[u8], target: &Target, out: &mut Framed) -> Result<()> {
        let r = self.frame_in_place(datagram, target, out);
        if r.is_err() {
            *out = Framed::default();
        }
        r
    }

    /// [`Framer::frame_into`] without the clean-up on error: `out` is written field by field
    /// where it lies (a `Framed` or `Compressed` built in locals and moved into place is copied
    /// at every step).
    fn frame_in_place(&mut self, datagram: &[u8], target: &Target, out: &mut Framed) -> Result<()> {
        out.uncompressed_because = None;
        out.datagram_tag = None;
        let mesh = match (&target.mesh, self.config.mesh_hops) {
            (Some(m), Some(h)) => Some(MeshHeader::new(h, m.originator, m.final_destination)),
            (Some(m), None) => Some(m.clone()),
            (None, Some(h)) => Some(MeshHeader::new(h, target.mac.src, target.mac.dst)),
            (None, None) => None,
        };
        // Behind a mesh header, IIDs come from the originator / final destination.
        let (iid_src, iid_dst) = match &mesh {
            Some(m) => (m.originator, m.final_destination),
            None => (target.mac.src, target.mac.dst),
        };
        // The previous datagram's compressed headers lend their buffer to this one's.
        let slot = out.compressed.get_or_insert_with(Compressed::empty);
        let consumed = match compress::compress_into(
            &mut self.workspace,
            slot,
            datagram,
            iid_src,
            iid_dst,
            &self.contexts,
            &self.config.options,
        ) {
            Ok(()) => slot.consumed,
            // An IPv6 datagram IPHC cannot describe (a Payload Length that disagrees with its
            // size…) still travels faithfully behind the uncompressed IPv6 dispatch; the whole
            // datagram, header included, is then payload that fragments anywhere.
            Err(e) if e.layer() == Layer::Ipv6 && is_ipv6(datagram) => {
                out.compressed = None;
                out.uncompressed_because = Some(e);
                0
            }
            Err(e) => return Err(e),
        };
        out.consumed = consumed;
        let header: &[u8] = match &out.compressed {
            Some(c) => &c.bytes,
            None => &[crate::dispatch::code::IPV6],
        };
        out.header_len = header.len();

        let mut prefix = Vec::new();
        if let Some(m) = &mesh {
            m.emit(&mut prefix)?;
        }
        let bc0_at = prefix.len();
        if self.config.bc0 {
            DispatchHeader::Bc0 { seq: 0 }.emit(&mut prefix)?;
        }
        let mut mac_header = target.mac.clone();
        let first_seq = target.mac.seq.unwrap_or(self.next_seq);
        mac_header.seq = Some(first_seq);
        // Assembled once: its length decides the room left, and a datagram that fits one frame
        // is written behind it.
        let mhr = mac_header.mhr();
        let mac_len = mhr.bytes().len();
        let on_air_fcs = self.config.fcs.len().max(2);
        let fixed = mac_len + on_air_fcs + prefix.len();
        let room = self
            .config
            .frame_size
            .checked_sub(fixed)
            .filter(|r| *r > 0)
            .ok_or_else(|| {
                Error::invalid(
                    Layer::Mac,
                    "frame size",
                    0,
                    format!(
                        "{} octets leave no room after the MAC header ({mac_len}), FCS \
                         ({on_air_fcs}) and mesh/BC0 headers ({})",
                        self.config.frame_size,
                        prefix.len()
                    ),
                )
            })?;
        let tag = self.next_tag;
        let mut bc0 = self.next_bc0;
        // A datagram that fits one frame (what `fragment::fragment` returns as one piece: the
        // compressed headers, then the rest) is written straight into its frame.
        if let Some(rest) = datagram
            .get(consumed..)
            .filter(|rest| header.len() + rest.len() <= room)
        {
            if self.config.bc0 {
                if let Some(b) = prefix.get_mut(bc0_at + 1) {
                    *b = bc0;
                }
                bc0 = bc0.wrapping_add(1);
            }
            let payload_bytes = prefix.len() + header.len() + rest.len();
            // The previous datagram's first frame buffer, if any.
            out.frames.truncate(1);
            if out.frames.is_empty() {
                out.frames.push(Vec::new());
            }
            let f = &mut out.frames[0];
            f.clear();
            f.reserve(mac_len + payload_bytes + self.config.fcs.len());
            f.extend_from_slice(mhr.bytes());
            f.extend_from_slice(&prefix);
            f.extend_from_slice(header);
            f.extend_from_slice(rest);
            mac::append_fcs(f, self.config.fcs);
            if target.mac.seq.is_none() {
                self.next_seq = first_seq.wrapping_add(1);
            }
            self.next_bc0 = bc0;
            out.frame_bytes = f.len();
            out.payload_bytes = payload_bytes;
            return Ok(());
        }
        let pieces = fragment::fragment(datagram, header, consumed, room, tag)?;
        let fragmented = pieces.first().is_some_and(|p| p.header.is_some());

        out.frames.clear();
        out.frames.reserve(pieces.len());
        let (mut payload_bytes, mut frame_bytes) = (0, 0);
        for (i, piece) in pieces.iter().enumerate() {
            mac_header.seq = Some(first_seq.wrapping_add(i as u8));
            if self.config.bc0 {
                if let Some(b) = prefix.get_mut(bc0_at + 1) {
                    *b = bc0;
                }
                bc0 = bc0.wrapping_add(1);
            }
            let mut payload = Vec::with_capacity(prefix.len() + piece.bytes.len());
            payload.extend_from_slice(&prefix);
            payload.extend_from_slice(&piece.bytes);
            let f = mac::emit(&mac_header, &payload, self.config.fcs);
            payload_bytes += payload.len();
            frame_bytes += f.len();
            out.frames.push(f);
        }
        if target.mac.seq.is_none() {
            self.next_seq = first_seq.wrapping_add(pieces.len() as u8);
        }
        self.next_bc0 = bc0;
        if fragmented {
            self.next_tag = tag.wrapping_add(1);
        }
        out.datagram_tag = fragmented.then_some(tag);
        out.payload_bytes = payload_bytes;
        out.frame_bytes = frame_bytes;
        Ok(())
    }
}

/// At least a fixed header, version 6.
fn is_ipv6(d: &[u8]) -> bool {
    d.len() >= crate::ipv6::HEADER_LEN && d.first().is_some_and(|b| b >> 4 == 6)
}

/// The link address an IPv6 address maps to when the link addressing is not given: 0xFFFF for
/// a multicast address; the 16-bit short address when the IID is `0000:00ff:fe00:XXXX`
/// (RFC 4944 §6); otherwise the EUI-64 the IID was formed from (U/L bit flipped back).
pub fn link_addr_from_ipv6(addr: &Ipv6Addr) -> LinkAddr {
    let o = addr.octets();
    if o[0] == 0xff {
        return LinkAddr::Short(0xffff);
    }
    let mut iid = [0u8; 8];
    iid.copy_from_slice(&o[8..]);
    if iid[..6] == [0, 0, 0, 0xff, 0xfe, 0] {
        return LinkAddr::Short(u16::from_be_bytes([iid[6], iid[7]]));
    }
    iid[0] ^= 0x02;
    LinkAddr::Extended(iid)
}

/// The source and destination link addresses [`link_addr_from_ipv6`] derives from a datagram's
/// IPv6 header.
pub fn link_addrs(datagram: &[u8]) -> Result<(LinkAddr, LinkAddr)> {
    let h = crate::ipv6::header(datagram)?;
    Ok((link_addr_from_ipv6(&h.src), link_addr_from_ipv6(&h.dst)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::lowpan::Decoder;
    use crate::reassembly::Limits;

    /// An IPv6/UDP datagram fe80::ff:fe00:1 → `dst`, `n` payload octets.
    fn udp(dst: Ipv6Addr, n: usize) -> Vec<u8> {
        let src: Ipv6Addr = "fe80::ff:fe00:1".parse().unwrap();
        let plen = (8 + n) as u16;
        let mut d = vec![0x60, 0, 0, 0];
        d.extend_from_slice(&plen.to_be_bytes());
        d.extend_from_slice(&[17, 64]);
        d.extend_from_slice(&src.octets());
        d.extend_from_slice(&dst.octets());
        d.extend_from_slice(&[0x16, 0x33, 0x16, 0x34]); // ports 5683, 5684
        d.extend_from_slice(&plen.to_be_bytes());
        d.extend_from_slice(&[0, 0]); // checksum (filled below)
        d.extend((0..n).map(|i| i as u8));
        let ck = crate::ipv6::upper_layer_checksum(&src, &dst, 17, &d[40..]);
        d[46..48].copy_from_slice(&ck.to_be_bytes());
        d
    }

    fn decode_all(frames: &[Vec<u8>], fcs: FcsMode) -> Vec<Vec<u8>> {
        let mut dec = Decoder::new(ContextTable::new(), Limits::default());
        let mut out = Vec::new();
        for (i, f) in frames.iter().enumerate() {
            let r = dec.decode_frame(f, fcs, i as u64 + 1, 0);
            assert!(r.error.is_none(), "frame {}: {:?}", i + 1, r.error);
            if let Some(fc) = r.mac.as_ref().and_then(|m| m.fcs) {
                assert!(fc.ok);
            }
            if let Some(d) = r.datagram {
                out.push(d.bytes);
            }
        }
        out
    }

    fn opts() -> Options {
        Options {
            elide_udp_checksum: false,
            ghc: false,
        }
    }

    #[test]
    fn derived_link_addresses() {
        let a = |s: &str| link_addr_from_ipv6(&s.parse().unwrap());
        assert_eq!(a("fe80::ff:fe00:1234"), LinkAddr::Short(0x1234));
        assert_eq!(a("ff02::1"), LinkAddr::Short(0xffff));
        assert_eq!(
            a("fe80::212:4b00:102:304"),
            LinkAddr::Extended([0x00, 0x12, 0x4b, 0x00, 0x01, 0x02, 0x03, 0x04])
        );
        let d = udp("ff02::1a".parse().unwrap(), 4);
        assert_eq!(
            link_addrs(&d).unwrap(),
            (LinkAddr::Short(1), LinkAddr::Short(0xffff))
        );
    }

    #[test]
    fn small_datagram_one_frame() {
        let d = udp("fe80::ff:fe00:2".parse().unwrap(), 10);
        let mut f = Framer::new(Config::new(opts()), ContextTable::new());
        let t = Target::new(LinkAddr::Short(1), LinkAddr::Short(2), 0xabcd);
        let out = f.frame(&d, &t).unwrap();
        assert_eq!(out.frames.len(), 1);
        assert_eq!(out.datagram_tag, None);
        assert_eq!(decode_all(&out.frames, FcsMode::None), vec![d.clone()]);
        let m = mac::parse(&out.frames[0], FcsMode::None).unwrap();
        assert_eq!((m.seq, m.dst_pan), (Some(0), Some(0xabcd)));
        // The next datagram takes the next sequence number.
        let out = f.frame(&d, &t).unwrap();
        let m = mac::parse(&out.frames[0], FcsMode::None).unwrap();
        assert_eq!(m.seq, Some(1));
        assert_eq!(out.payload_bytes, out.header_len + d.len() - out.consumed);
        assert!(out.compressed.is_some() && out.uncompressed_because.is_none());
    }

    #[test]
    fn fragments_fit_and_reassemble() {
        for size in [80usize, 100, 127] {
            for (mesh, bc0) in [
                (None, false),
                (Some(5u8), false),
                (Some(20), true),
                (None, true),
            ] {
                for fcs in [FcsMode::None, FcsMode::Crc16] {
                    let d = udp("fe80::212:4b00:102:304".parse().unwrap(), 300);
                    let mut cfg = Config::new(opts());
                    cfg.frame_size = size;
                    cfg.fcs = fcs;
                    cfg.mesh_hops = mesh;
                    cfg.bc0 = bc0;
                    let mut f = Framer::new(cfg, ContextTable::new());
                    let t = Target::new(
                        LinkAddr::Short(1),
                        link_addr_from_ipv6(&"fe80::212:4b00:102:304".parse().unwrap()),
                        0x1234,
                    );
                    let a = f.frame(&d, &t).unwrap();
                    let b = f.frame(&d, &t).unwrap();
                    assert_eq!((a.datagram_tag, b.datagram_tag), (Some(0), Some(1)));
                    for fr in a.frames.iter().chain(&b.frames) {
                        assert!(fr.len() + 2 - fcs.len() <= size, "{} > {size}", fr.len());
                    }
                    let mut all = a.frames.clone();
                    all.extend(b.frames.iter().cloned());
                    assert_eq!(decode_all(&all, fcs), vec![d.clone(), d.clone()]);
                    // Sequence numbers run on across datagrams; BC0 numbers too.
                    let seqs: Vec<_> = all
                        .iter()
                        .map(|x| mac::parse(x, fcs).unwrap().seq.unwrap())
                        .collect();
                    assert_eq!(seqs, (0..all.len() as u8).collect::<Vec<_>>());
                    if let Some(h) = mesh {
                        let m = mac::parse(&all[0], fcs).unwrap();
                        let c = crate::dispatch::parse_chain(m.payload, 0).unwrap();
                        let mh = c.mesh().unwrap();
                        assert_eq!(mh.hops_left, h);
                        assert_eq!(mh.originator, LinkAddr::Short(1));
                        assert_eq!(
                            c.headers
                                .iter()
                                .any(|x| matches!(x, DispatchHeader::Bc0 { .. })),
                            bc0
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn target_sequence_numbers_are_kept() {
        let d = udp("fe80::ff:fe00:2".parse().unwrap(), 400);
        let mut f = Framer::new(Config::new(opts()), ContextTable::new());
        let mut t = Target::new(LinkAddr::Short(1), LinkAddr::Short(2), 0xabcd);
        t.mac.seq = Some(0xfe);
        let out = f.frame(&d, &t).unwrap();
        let seqs: Vec<_> = out
            .frames
            .iter()
            .map(|x| mac::parse(x, FcsMode::None).unwrap().seq.unwrap())
            .collect();
        assert!(seqs.len() >= 3, "{seqs:?}");
        let want: Vec<u8> = (0..seqs.len())
            .map(|i| 0xfeu8.wrapping_add(i as u8))
            .collect();
        assert_eq!(seqs, want);
    }

    #[test]
    fn frame_too_small() {
        let d = udp("fe80::ff:fe00:2".parse().unwrap(), 200);
        let mut cfg = Config::new(opts());
        cfg.frame_size = 20;
        let mut f = Framer::new(cfg, ContextTable::new());
        let t = Target::new(
            LinkAddr::Extended([1; 8]),
            LinkAddr::Extended([2; 8]),
            0xabcd,
        );
        let e = f.frame(&d, &t).unwrap_err();
        assert_eq!((e.layer(), e.field()), (Layer::Mac, "frame size"));
        assert!(e.to_string().contains("MAC header (21)"), "{e}");
    }

    #[test]
    fn inconsistent_payload_length_goes_uncompressed() {
        let mut d = udp("fe80::ff:fe00:2".parse().unwrap(), 20);
        d[5] = 6; // Payload Length 6, but 28 octets follow
        let mut f = Framer::new(Config::new(opts()), ContextTable::new());
        let t = Target::new(LinkAddr::Short(1), LinkAddr::Short(2), 0xabcd);
        let out = f.frame(&d, &t).unwrap();
        assert!(out.compressed.is_none());
        assert_eq!(
            out.uncompressed_because.as_ref().unwrap().field(),
            "Payload Length"
        );
        assert_eq!((out.header_len, out.consumed), (1, 0));
        let m = mac::parse(&out.frames[0], FcsMode::None).unwrap();
        assert_eq!(m.payload[0], 0x41);
        // Sent as given; the receiver keeps the 46 octets the Payload Length covers.
        assert_eq!(
            decode_all(&out.frames, FcsMode::None),
            vec![d[..46].to_vec()]
        );
        // Not IPv6 at all: an error.
        let e = f.frame(&[0x45; 60], &t).unwrap_err();
        assert_eq!(e.layer(), Layer::Ipv6);
    }
}
