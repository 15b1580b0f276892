//! IPv6 over Bluetooth LE (RFC 7668): the link layer under 6LoWPAN when the link is a Bluetooth
//! LE connection, from captured link-layer packets (a sniffer's view) or HCI packets (the host's
//! view) up to the L2CAP SDUs that carry IPHC-compressed IPv6.
//!
//! | what | where it is defined |
//! |---|---|
//! | LL packet: access address, PDU header, payload, CRC-24 | Bluetooth Core 5.3 Vol 6 Part B §2.1, §2.4 (data PDU header: LLID, NESN, SN, MD, Length), §3.1.1 (CRC) |
//! | CONNECT_IND (the access address, CRCInit and both device addresses of a connection) | Vol 6 Part B §2.3.3.1 |
//! | HCI ACL data packets (handle, Packet_Boundary flag) and the LE Connection Complete event | Vol 4 Part E §5.4.2, §7.7.65.1 / §7.7.65.10 |
//! | L2CAP basic header, LE-frames / K-frames (SDU Length in the first), signalling on CID 0x0005 (LE Credit Based Connection Request 0x14 / Response 0x15) | Vol 3 Part A §3.1, §3.4, §4.22, §4.23, §7.3 (segmentation and reassembly) |
//! | IPSP: SPSM 0x0023, MTU ≥ 1280 | RFC 7668 §2.2 (Internet Protocol Support Profile) |
//! | the link-local IID from the 48-bit device address: 0xFFFE in the middle, every bit as it is (public and random addresses alike) | RFC 7668 §3.2.2 |
//! | which 6LoWPAN headers appear: IPHC only; L2CAP segments, so no fragment header; a star of connections, so no mesh or broadcast header | RFC 7668 §3.2.3 (and §2.3, §3.2) |
//!
//! [`Tracker`] is sans-I/O: the caller hands in one link-layer or HCI packet at a time (with the
//! direction the capture's pseudo-header gives) and gets a [`BleFrame`]: what the packet was, and
//! the L2CAP SDU it completed, with the link addresses 6LoWPAN derives IIDs from. State is
//! bounded: at most [`Limits::connections`] connections, [`Limits::reassemblies`] L2CAP PDUs and
//! SDUs in progress, each at most 65,535 octets (their length fields allow no more).
//!
//! Which dynamic channel is IPSP is learnt from the LE Credit Based Connection Request naming
//! SPSM 0x0023 and its successful Response. A capture that starts after that signalling has no
//! such record: a dynamic channel (CID 0x0040–0x007F) whose SDU starts with a LOWPAN_IPHC
//! dispatch is then taken as IPSP, and the report says so ([`L2capReport::psm_learned`] false).
//!
//! Nothing here panics on input: every malformed packet is an [`Error`] naming the layer
//! ([`Layer::Ble`]), the field and the byte offset within the packet handed in.

pub mod emit;

use std::collections::HashMap;

use crate::error::{Error, Layer, Result};
use crate::LinkAddr;

/// The access address of the advertising channels (Vol 6 Part B §2.1.2).
pub const ADVERTISING_AA: u32 = 0x8e89_bed6;
/// The CRC preset of advertising-channel packets (Vol 6 Part B §3.1.1).
pub const ADVERTISING_CRC_INIT: u32 = 0x55_5555;
/// The LE signalling channel (Vol 3 Part A §2.1).
pub const CID_LE_SIGNALING: u16 = 0x0005;
/// The Internet Protocol Support Profile's SPSM (RFC 7668 §2.2).
pub const PSM_IPSP: u16 = 0x0023;
/// The LE dynamic CIDs (Vol 3 Part A §2.1, Table 2.3).
pub const LE_DYNAMIC_CIDS: std::ops::RangeInclusive<u16> = 0x0040..=0x007f;

/// Who sent a packet, as far as the capture says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    CentralToPeripheral,
    PeripheralToCentral,
    HostToController,
    ControllerToHost,
}

/// Whether a device address is public or random (the TxAdd/RxAdd bits, the HCI address type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddrType {
    Public,
    Random,
}

/// A 48-bit Bluetooth device address, most significant octet first (as people write it; the
/// air and HCI carry it least significant octet first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BdAddr {
    pub addr: [u8; 6],
    pub kind: AddrType,
}

impl BdAddr {
    /// From the 6 octets as carried on the air or over HCI (least significant first).
    pub fn from_wire(b: &[u8; 6], random: bool) -> BdAddr {
        BdAddr {
            addr: [b[5], b[4], b[3], b[2], b[1], b[0]],
            kind: if random {
                AddrType::Random
            } else {
                AddrType::Public
            },
        }
    }

    /// The 6 octets as the air carries them.
    pub fn to_wire(&self) -> [u8; 6] {
        let a = self.addr;
        [a[5], a[4], a[3], a[2], a[1], a[0]]
    }

    /// The link address 6LoWPAN derives IIDs from: RFC 7668 §3.2.2 forms the IID by inserting
    /// 0xFFFE between the halves and copying every bit as it is (no U/L inversion, whether the
    /// address is public or random) — the same IID as [`LinkAddr::from_eui48`].
    pub fn link_addr(&self) -> LinkAddr {
        LinkAddr::from_eui48(self.addr)
    }

    /// The IID RFC 7668 §3.2.2 derives.
    pub fn iid(&self) -> [u8; 8] {
        let a = self.addr;
        [a[0], a[1], a[2], 0xff, 0xfe, a[3], a[4], a[5]]
    }

    /// The device address an IID was formed from (RFC 7668 §3.2.2), when it has the 0xFFFE form.
    pub fn from_iid(iid: &[u8]) -> Option<[u8; 6]> {
        match iid {
            [a, b, c, 0xff, 0xfe, d, e, f] => Some([*a, *b, *c, *d, *e, *f]),
            _ => None,
        }
    }
}

impl std::fmt::Display for BdAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = self.addr;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            a[0], a[1], a[2], a[3], a[4], a[5]
        )
    }
}

impl serde::Serialize for BdAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The Bluetooth LE CRC-24 (Vol 6 Part B §3.1.1): polynomial x²⁴+x¹⁰+x⁹+x⁶+x⁴+x³+x+1, shift
/// register preset with `init` (CRCInit of CONNECT_IND, or 0x555555), over the PDU header and
/// payload, least significant bit first; returned as the 3 octets in transmission order.
/// Written by hand: the `crc` crate's reflected form would need the preset bit-reversed per
/// octet, which hides the spec's picture; this is the LFSR of Figure 3.4 as it stands.
pub fn crc24(init: u32, pdu: &[u8]) -> [u8; 3] {
    let rev = |b: u32| u32::from((b as u8).reverse_bits());
    let mut state = rev(init & 0xff) | (rev((init >> 8) & 0xff) << 8) | (rev(init >> 16) << 16);
    for &byte in pdu {
        let mut b = byte;
        for _ in 0..8 {
            let bit = (state ^ u32::from(b)) & 1;
            b >>= 1;
            state >>= 1;
            if bit != 0 {
                state |= 1 << 23;
                state ^= 0x5a_6000;
            }
        }
    }
    let s = state.to_le_bytes();
    [s[0], s[1], s[2]]
}

/// What kind of packet a [`BleReport`] describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PduKind {
    /// An advertising-channel PDU other than CONNECT_IND (its PDU type in `adv_type`).
    Advertising,
    /// CONNECT_IND (CONNECT_REQ before Core 5.0): a connection starts.
    ConnectInd,
    /// A data-channel PDU with LLID 01 and no payload.
    Empty,
    /// A data-channel PDU carrying L2CAP (LLID 10 start, LLID 01 continuation).
    Data,
    /// An LL control PDU (LLID 11).
    Control,
    /// An HCI command.
    HciCommand,
    /// An HCI event.
    HciEvent,
    /// HCI ACL data carrying L2CAP.
    HciAcl,
    /// Other HCI packets (SCO, ISO) and Linux monitor records without one.
    HciOther,
}

/// The CRC of an LL packet, when the connection's CRCInit is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CrcCheck {
    pub received: u32,
    pub computed: u32,
    pub ok: bool,
}

/// A signalling command on CID 0x0005 (Vol 3 Part A §4).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    /// 0x14 (§4.22).
    LeCreditBasedConnectionRequest {
        identifier: u8,
        spsm: u16,
        scid: u16,
        mtu: u16,
        mps: u16,
        initial_credits: u16,
    },
    /// 0x15 (§4.23).
    LeCreditBasedConnectionResponse {
        identifier: u8,
        dcid: u16,
        mtu: u16,
        mps: u16,
        initial_credits: u16,
        result: u16,
    },
    /// 0x16 (§4.24).
    FlowControlCredit {
        identifier: u8,
        cid: u16,
        credits: u16,
    },
    /// 0x06 (§4.6).
    DisconnectionRequest {
        identifier: u8,
        dcid: u16,
        scid: u16,
    },
    /// Any other command: its code.
    Other { identifier: u8, code: u8 },
}

/// The L2CAP part of a packet.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct L2capReport {
    /// The channel (from the basic header of the PDU this packet belongs to).
    pub cid: u16,
    /// The basic header's Length, on the packet that starts the PDU.
    pub length: Option<u16>,
    /// `start` (this packet holds the basic header) or `continuation`.
    pub segment: &'static str,
    /// The SPSM the channel was opened for, when known.
    pub psm: Option<u16>,
    /// True when the PSM comes from the LE credit-based signalling seen in the capture; false
    /// when the channel is taken as IPSP because its SDU starts with LOWPAN_IPHC.
    pub psm_learned: bool,
    /// The SDU Length field of the first K-frame of an SDU (on the packet completing that
    /// K-frame).
    pub sdu_length: Option<u16>,
    /// A signalling command, on CID 0x0005.
    pub signal: Option<Signal>,
}

/// The SDU a packet completed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SduReport {
    pub length: usize,
    /// The capture frames its octets came in, first to last.
    pub frames: Vec<u64>,
}

/// One Bluetooth LE packet, as the `ble` object of `6lo decode --json` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BleReport {
    /// Always `"ble"`: the link the 6LoWPAN payload came over.
    pub link: &'static str,
    /// `ll` (a sniffer's link-layer packet) or `hci` (the host's HCI packet).
    pub source: &'static str,
    pub pdu: PduKind,
    /// The access address, `0x` and 8 hex digits.
    pub access_address: Option<String>,
    /// The HCI connection handle.
    pub handle: Option<u16>,
    pub direction: Option<Direction>,
    /// The advertising PDU type (Vol 6 Part B §2.3), for advertising packets.
    pub adv_type: Option<u8>,
    /// LLID, SN, NESN, MD of a data-channel PDU header; Packet_Boundary flag of an ACL packet
    /// in `llid`'s place is `pb`.
    pub llid: Option<u8>,
    pub sn: Option<u8>,
    pub nesn: Option<u8>,
    pub md: Option<u8>,
    pub pb: Option<u8>,
    /// The PDU's Length field (LL) or the ACL Data_Total_Length.
    pub length: Option<u16>,
    /// The sender's device address, when the connection's addresses and the direction are known.
    pub src: Option<BdAddr>,
    pub dst: Option<BdAddr>,
    /// CONNECT_IND: both device addresses and the connection's parameters.
    pub connect: Option<ConnectInd>,
    pub crc: Option<CrcCheck>,
    pub l2cap: Option<L2capReport>,
    /// The L2CAP SDU this packet completed.
    pub sdu: Option<SduReport>,
    /// Something worth saying that is not an error.
    pub note: Option<String>,
}

impl BleReport {
    fn new(source: &'static str, pdu: PduKind) -> BleReport {
        BleReport {
            link: "ble",
            source,
            pdu,
            access_address: None,
            handle: None,
            direction: None,
            adv_type: None,
            llid: None,
            sn: None,
            nesn: None,
            md: None,
            pb: None,
            length: None,
            src: None,
            dst: None,
            connect: None,
            crc: None,
            l2cap: None,
            sdu: None,
            note: None,
        }
    }
}

/// The fields of CONNECT_IND that matter here (Vol 6 Part B §2.3.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ConnectInd {
    /// InitA: the central.
    pub central: BdAddr,
    /// AdvA: the peripheral.
    pub peripheral: BdAddr,
    pub access_address: u32,
    pub crc_init: u32,
    pub interval: u16,
}

/// An L2CAP SDU completed by a packet, with the link addresses of its sender and receiver
/// (`LinkAddr::Absent` where the capture does not tell them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdu {
    pub bytes: Vec<u8>,
    pub src: LinkAddr,
    pub dst: LinkAddr,
    /// The channel's PSM (IPSP when taken from the IPHC dispatch).
    pub psm: u16,
}

/// What one packet was.
#[derive(Debug, Clone)]
pub struct BleFrame {
    pub report: BleReport,
    /// The SDU it completed on an IPSP channel: a 6LoWPAN payload.
    pub sdu: Option<Sdu>,
    pub error: Option<Error>,
}

/// Bounds on the state a [`Tracker`] keeps.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections remembered (access addresses or HCI handles); the oldest is forgotten.
    pub connections: usize,
    /// L2CAP PDUs and SDUs being reassembled at once, over all connections.
    pub reassemblies: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            connections: 64,
            reassemblies: 256,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ConnId {
    Aa(u32),
    Handle { adapter: u16, handle: u16 },
}

#[derive(Debug, Default)]
struct Conn {
    /// LL: the central (InitA); HCI: this host.
    central: Option<BdAddr>,
    /// LL: the peripheral (AdvA); HCI: the peer.
    peripheral: Option<BdAddr>,
    crc_init: Option<u32>,
    /// CID → PSM, from the signalling.
    psm: HashMap<u16, u16>,
    /// Requests waiting for their response: (sender direction known?, identifier) → (spsm, scid).
    pending: HashMap<u8, (u16, u16)>,
    seen: u64,
}

/// An L2CAP PDU being put together from LL PDUs / ACL packets.
#[derive(Debug)]
struct PduAsm {
    buf: Vec<u8>,
    /// Basic header + Length.
    total: usize,
    frames: Vec<u64>,
}

#[derive(Debug)]
struct SduAsm {
    buf: Vec<u8>,
    total: usize,
    frames: Vec<u64>,
}

type DirKey = (ConnId, Option<Direction>);

/// Connection state over a capture (sans-I/O, bounded).
#[derive(Debug, Default)]
pub struct Tracker {
    limits: Limits,
    conns: HashMap<ConnId, Conn>,
    pdus: HashMap<DirKey, PduAsm>,
    sdus: HashMap<(DirKey, u16), SduAsm>,
    /// HCI: this host's address per adapter (Linux monitor New Index, Read_BD_ADDR).
    local: HashMap<u16, BdAddr>,
    clock: u64,
}

fn trunc(field: &'static str, offset: usize, needed: usize, available: usize) -> Error {
    Error::truncated(Layer::Ble, field, offset, needed, available)
}

fn le16(d: &[u8], at: usize, field: &'static str) -> Result<u16> {
    d.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| trunc(field, at, 2, d.len().saturating_sub(at)))
}

fn wire6(d: &[u8], at: usize, field: &'static str) -> Result<[u8; 6]> {
    d.get(at..at + 6)
        .and_then(|b| <[u8; 6]>::try_from(b).ok())
        .ok_or_else(|| trunc(field, at, 6, d.len().saturating_sub(at)))
}

/// RFC 7668 §3.2.3: the dispatch an IPSP SDU may start with. IPHC is the rule; an uncompressed
/// IPv6 header (0x41) is RFC 4944's escape and left to the 6LoWPAN decoder; the fragment, mesh
/// and broadcast headers have no place over Bluetooth LE (L2CAP segments and reassembles; the
/// links form a star).
pub fn check_dispatch(sdu: &[u8]) -> Result<()> {
    let Some(&d) = sdu.first() else {
        return Err(trunc("6LoWPAN dispatch", 0, 1, 0));
    };
    let what = match d {
        0x60..=0x7f | 0x41 => return Ok(()),
        0x80..=0xbf => "a mesh header (RFC 4944 §5.2)",
        0x50 => "a LOWPAN_BC0 broadcast header (RFC 4944 §11.1)",
        0xc0..=0xc7 | 0xe0..=0xe7 => "a fragment header (RFC 4944 §5.3)",
        _ => "a dispatch other than LOWPAN_IPHC",
    };
    Err(Error::invalid(
        Layer::Ble,
        "6LoWPAN dispatch",
        0,
        format!(
            "RFC 7668 §3.2.3: over Bluetooth LE only LOWPAN_IPHC appears (L2CAP segments and \
             reassembles SDUs; the links form a star), and 0x{d:02x} is {what}"
        ),
    ))
}

impl Tracker {
    pub fn new(limits: Limits) -> Tracker {
        Tracker {
            limits,
            ..Tracker::default()
        }
    }

    /// L2CAP PDUs and SDUs being reassembled now.
    pub fn in_flight(&self) -> usize {
        self.pdus.len() + self.sdus.len()
    }

    fn conn(&mut self, id: ConnId) -> &mut Conn {
        self.clock += 1;
        if !self.conns.contains_key(&id) && self.conns.len() >= self.limits.connections {
            // Forget the connection seen least recently, and what it was reassembling.
            if let Some(old) = self
                .conns
                .iter()
                .min_by_key(|(_, c)| c.seen)
                .map(|(k, _)| *k)
            {
                self.conns.remove(&old);
                self.pdus.retain(|k, _| k.0 != old);
                self.sdus.retain(|k, _| k.0 .0 != old);
            }
        }
        let clock = self.clock;
        let c = self.conns.entry(id).or_default();
        c.seen = clock;
        c
    }

    /// The connection's addresses for a packet going `dir`: (sender, receiver).
    fn endpoints(&self, id: ConnId, dir: Option<Direction>) -> (Option<BdAddr>, Option<BdAddr>) {
        let Some(c) = self.conns.get(&id) else {
            return (None, None);
        };
        match dir {
            Some(Direction::CentralToPeripheral | Direction::HostToController) => {
                (c.central, c.peripheral)
            }
            Some(Direction::PeripheralToCentral | Direction::ControllerToHost) => {
                (c.peripheral, c.central)
            }
            None => (None, None),
        }
    }

    /// One link-layer packet, from its access address to its CRC. `advertising` is what the
    /// pseudo-header says of the channel (`None`: told by the access address); `direction` is
    /// who sent a data-channel PDU.
    pub fn ll_packet(
        &mut self,
        packet: &[u8],
        advertising: Option<bool>,
        direction: Option<Direction>,
        number: u64,
    ) -> BleFrame {
        let mut report = BleReport::new("ll", PduKind::Data);
        report.direction = direction;
        match self.ll_inner(packet, advertising, direction, number, &mut report) {
            Ok(sdu) => BleFrame {
                report,
                sdu,
                error: None,
            },
            Err(e) => BleFrame {
                report,
                sdu: None,
                error: Some(e),
            },
        }
    }

    fn ll_inner(
        &mut self,
        p: &[u8],
        advertising: Option<bool>,
        direction: Option<Direction>,
        number: u64,
        r: &mut BleReport,
    ) -> Result<Option<Sdu>> {
        let Some(aa) = p.get(..4) else {
            return Err(trunc("access address", 0, 4, p.len()));
        };
        let aa = u32::from_le_bytes([aa[0], aa[1], aa[2], aa[3]]);
        r.access_address = Some(format!("0x{aa:08x}"));
        let (Some(&h0), Some(&len)) = (p.get(4), p.get(5)) else {
            return Err(trunc("PDU header", 4, 2, p.len().saturating_sub(4)));
        };
        r.length = Some(u16::from(len));
        let end = 6 + usize::from(len);
        let Some(payload) = p.get(6..end) else {
            return Err(trunc("PDU payload", 6, usize::from(len), p.len() - 6));
        };
        let crc_rx = p
            .get(end..end + 3)
            .ok_or_else(|| trunc("CRC", end, 3, p.len().saturating_sub(end)))?;
        let received =
            u32::from(crc_rx[0]) | u32::from(crc_rx[1]) << 8 | u32::from(crc_rx[2]) << 16;
        let is_adv = advertising.unwrap_or(aa == ADVERTISING_AA);
        let init = if is_adv {
            Some(ADVERTISING_CRC_INIT)
        } else {
            self.conns.get(&ConnId::Aa(aa)).and_then(|c| c.crc_init)
        };
        if let Some(init) = init {
            let c = crc24(init, &p[4..end]);
            let computed = u32::from(c[0]) | u32::from(c[1]) << 8 | u32::from(c[2]) << 16;
            r.crc = Some(CrcCheck {
                received,
                computed,
                ok: received == computed,
            });
        }
        if p.len() > end + 3 {
            r.note = Some(format!(
                "{} octets after the CRC ignored",
                p.len() - end - 3
            ));
        }
        if is_adv {
            r.direction = None;
            return self.advertising(h0, payload, r).map(|()| None);
        }
        r.llid = Some(h0 & 0x03);
        r.nesn = Some((h0 >> 2) & 1);
        r.sn = Some((h0 >> 3) & 1);
        r.md = Some((h0 >> 4) & 1);
        let id = ConnId::Aa(aa);
        self.conn(id);
        let (src, dst) = self.endpoints(id, direction);
        (r.src, r.dst) = (src, dst);
        match (h0 & 0x03, payload.is_empty()) {
            (0b01, true) => {
                r.pdu = PduKind::Empty;
                Ok(None)
            }
            (0b11, _) => {
                r.pdu = PduKind::Control;
                Ok(None)
            }
            (0b00, _) => Err(Error::invalid(
                Layer::Ble,
                "LLID",
                4,
                "LLID 00 is reserved on a data channel (Core 5.3 Vol 6 Part B §2.4)",
            )),
            (llid, _) => {
                r.pdu = PduKind::Data;
                self.l2cap_fragment(id, direction, llid == 0b10, payload, 6, number, r)
            }
        }
    }

    fn advertising(&mut self, h0: u8, payload: &[u8], r: &mut BleReport) -> Result<()> {
        let pdu_type = h0 & 0x0f;
        r.adv_type = Some(pdu_type);
        r.pdu = PduKind::Advertising;
        if pdu_type != 0x05 {
            return Ok(());
        }
        // CONNECT_IND: InitA (6), AdvA (6), LLData: AA (4), CRCInit (3), WinSize (1),
        // WinOffset (2), Interval (2), Latency (2), Timeout (2), ChM (5), Hop/SCA (1).
        r.pdu = PduKind::ConnectInd;
        if payload.len() < 34 {
            return Err(trunc("CONNECT_IND LLData", 6, 34, payload.len()));
        }
        let central = BdAddr::from_wire(&wire6(payload, 0, "InitA")?, h0 & 0x40 != 0);
        let peripheral = BdAddr::from_wire(&wire6(payload, 6, "AdvA")?, h0 & 0x80 != 0);
        let a = &payload[12..16];
        let aa = u32::from_le_bytes([a[0], a[1], a[2], a[3]]);
        let crc_init =
            u32::from(payload[16]) | u32::from(payload[17]) << 8 | u32::from(payload[18]) << 16;
        let interval = le16(payload, 22, "Interval")?;
        let ci = ConnectInd {
            central,
            peripheral,
            access_address: aa,
            crc_init,
            interval,
        };
        r.connect = Some(ci);
        r.src = Some(central);
        r.dst = Some(peripheral);
        let id = ConnId::Aa(aa);
        // A new connection on this access address: what an old one was doing is over.
        self.conns.remove(&id);
        self.pdus.retain(|k, _| k.0 != id);
        self.sdus.retain(|k, _| k.0 .0 != id);
        let c = self.conn(id);
        c.central = Some(central);
        c.peripheral = Some(peripheral);
        c.crc_init = Some(crc_init);
        Ok(())
    }

    /// One HCI packet (from its own header on) of `kind` H4 type: 1 command, 2 ACL, 4 event.
    pub fn hci_packet(
        &mut self,
        h4_type: u8,
        packet: &[u8],
        direction: Option<Direction>,
        adapter: u16,
        number: u64,
    ) -> BleFrame {
        let mut report = BleReport::new("hci", PduKind::HciOther);
        report.direction = direction;
        let res = match h4_type {
            1 => {
                report.pdu = PduKind::HciCommand;
                Ok(None)
            }
            4 => {
                report.pdu = PduKind::HciEvent;
                self.hci_event(packet, adapter, &mut report).map(|()| None)
            }
            2 => {
                report.pdu = PduKind::HciAcl;
                self.hci_acl(packet, direction, adapter, number, &mut report)
            }
            _ => Ok(None),
        };
        match res {
            Ok(sdu) => BleFrame {
                report,
                sdu,
                error: None,
            },
            Err(e) => BleFrame {
                report,
                sdu: None,
                error: Some(e),
            },
        }
    }

    /// A Linux monitor record that is no HCI packet (opcode 0 New Index gives the adapter's
    /// public address, most significant octet first).
    pub fn monitor_record(
        &mut self,
        adapter: u16,
        opcode: u16,
        address: Option<[u8; 6]>,
    ) -> BleFrame {
        let mut report = BleReport::new("hci", PduKind::HciOther);
        report.note = Some(match address {
            Some(a) => {
                self.local_address(adapter, a);
                format!(
                    "Linux monitor New Index: adapter {adapter} is {}",
                    BdAddr {
                        addr: a,
                        kind: AddrType::Public
                    }
                )
            }
            None => format!("Linux monitor record, opcode {opcode}: no HCI packet"),
        });
        BleFrame {
            report,
            sdu: None,
            error: None,
        }
    }

    /// A Linux monitor New Index record: the adapter's public address.
    pub fn local_address(&mut self, adapter: u16, addr: [u8; 6]) {
        self.local.insert(
            adapter,
            BdAddr {
                addr,
                kind: AddrType::Public,
            },
        );
    }

    fn hci_event(&mut self, p: &[u8], adapter: u16, r: &mut BleReport) -> Result<()> {
        let (Some(&code), Some(&len)) = (p.first(), p.get(1)) else {
            return Err(trunc("HCI event header", 0, 2, p.len()));
        };
        let params = p
            .get(2..2 + usize::from(len))
            .ok_or_else(|| trunc("HCI event parameters", 2, usize::from(len), p.len() - 2))?;
        match code {
            // Command Complete of Read_BD_ADDR (opcode 0x1009): status, BD_ADDR.
            0x0e if params.get(1..3) == Some(&[0x09, 0x10]) && params.get(3) == Some(&0) => {
                let a = wire6(params, 4, "BD_ADDR")?;
                let addr = BdAddr::from_wire(&a, false);
                self.local.insert(adapter, addr);
                r.note = Some(format!("this controller's address is {addr}"));
            }
            // Disconnection Complete: status, handle, reason.
            0x05 => {
                let handle = le16(params, 1, "Connection_Handle")? & 0x0fff;
                r.handle = Some(handle);
                let id = ConnId::Handle { adapter, handle };
                self.conns.remove(&id);
                self.pdus.retain(|k, _| k.0 != id);
                self.sdus.retain(|k, _| k.0 .0 != id);
            }
            // LE Meta: LE Connection Complete (0x01) and Enhanced (0x0A, 0x29): status, handle,
            // role, peer address type, peer address.
            0x3e if matches!(params.first(), Some(0x01 | 0x0a | 0x29)) => {
                if params.get(1) != Some(&0) {
                    return Ok(());
                }
                let handle = le16(params, 2, "Connection_Handle")? & 0x0fff;
                let peer_type = *params
                    .get(5)
                    .ok_or_else(|| trunc("Peer_Address_Type", 2 + 5, 1, 0))?;
                let peer =
                    BdAddr::from_wire(&wire6(params, 6, "Peer_Address")?, peer_type & 1 != 0);
                r.handle = Some(handle);
                r.dst = Some(peer);
                let local = self.local.get(&adapter).copied();
                let c = self.conn(ConnId::Handle { adapter, handle });
                c.central = local;
                c.peripheral = Some(peer);
                r.note = Some(format!(
                    "LE connection {handle} with {peer} ({})",
                    if local.is_some() {
                        "this host's address known"
                    } else {
                        "this host's address not seen: its IIDs cannot be derived"
                    }
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn hci_acl(
        &mut self,
        p: &[u8],
        direction: Option<Direction>,
        adapter: u16,
        number: u64,
        r: &mut BleReport,
    ) -> Result<Option<Sdu>> {
        let hf = le16(p, 0, "ACL handle and flags")?;
        let len = le16(p, 2, "Data_Total_Length")?;
        let handle = hf & 0x0fff;
        let pb = ((hf >> 12) & 0x3) as u8;
        r.handle = Some(handle);
        r.pb = Some(pb);
        r.length = Some(len);
        let data = p
            .get(4..4 + usize::from(len))
            .ok_or_else(|| trunc("ACL data", 4, usize::from(len), p.len().saturating_sub(4)))?;
        let id = ConnId::Handle { adapter, handle };
        if !self.conns.contains_key(&id) {
            // A capture that starts after the connection: only this host's address is known.
            let local = self.local.get(&adapter).copied();
            self.conn(id).central = local;
        }
        self.conn(id);
        // The host is the "central" side of the pair here: its packets go host → controller.
        let (src, dst) = self.endpoints(id, direction);
        (r.src, r.dst) = (src, dst);
        // Packet_Boundary: 00 first non-automatically-flushable, 10 first flushable, 01
        // continuing (Vol 4 Part E §5.4.2).
        let start = match pb {
            0b00 | 0b10 => true,
            0b01 => false,
            _ => {
                return Err(Error::invalid(
                    Layer::Ble,
                    "Packet_Boundary_Flag",
                    1,
                    "11 is not used on an LE-U logical link (Core 5.3 Vol 4 Part E §5.4.2)",
                ))
            }
        };
        self.l2cap_fragment(id, direction, start, data, 4, number, r)
    }

    /// A piece of an L2CAP PDU: `start` when it begins one (LLID 10, ACL first).
    #[allow(clippy::too_many_arguments)]
    fn l2cap_fragment(
        &mut self,
        id: ConnId,
        direction: Option<Direction>,
        start: bool,
        data: &[u8],
        offset: usize,
        number: u64,
        r: &mut BleReport,
    ) -> Result<Option<Sdu>> {
        let key = (id, direction);
        let mut asm = if start {
            let length = le16(data, 0, "L2CAP Length").map_err(|e| e.at(offset))?;
            let cid = le16(data, 2, "L2CAP CID").map_err(|e| e.at(offset + 2))?;
            r.l2cap = Some(L2capReport {
                cid,
                length: Some(length),
                segment: "start",
                psm: None,
                psm_learned: false,
                sdu_length: None,
                signal: None,
            });
            if self.pdus.remove(&key).is_some() {
                r.note = Some("an unfinished L2CAP PDU before this one was dropped".into());
            }
            PduAsm {
                buf: Vec::with_capacity(4 + usize::from(length)),
                total: 4 + usize::from(length),
                frames: Vec::new(),
            }
        } else {
            match self.pdus.remove(&key) {
                Some(a) => a,
                None => {
                    r.note = Some(
                        "continuation of an L2CAP PDU whose start is not in the capture: skipped"
                            .into(),
                    );
                    return Ok(None);
                }
            }
        };
        if asm.buf.len() + data.len() > asm.total {
            return Err(Error::invalid(
                Layer::Ble,
                "L2CAP PDU",
                offset,
                format!(
                    "{} octets go past the basic header's Length ({} with the header) (Core 5.3 Vol 3 Part A §3.1)",
                    asm.buf.len() + data.len(),
                    asm.total
                ),
            ));
        }
        asm.buf.extend_from_slice(data);
        asm.frames.push(number);
        let cid = u16::from_le_bytes([asm.buf[2], asm.buf[3]]);
        if r.l2cap.is_none() {
            r.l2cap = Some(L2capReport {
                cid,
                length: None,
                segment: "continuation",
                psm: None,
                psm_learned: false,
                sdu_length: None,
                signal: None,
            });
        }
        if asm.buf.len() < asm.total {
            if self.in_flight() >= self.limits.reassemblies {
                return Err(Error::invalid(
                    Layer::Ble,
                    "L2CAP PDU",
                    offset,
                    format!(
                        "{} reassemblies already in progress: dropped",
                        self.limits.reassemblies
                    ),
                ));
            }
            self.pdus.insert(key, asm);
            return Ok(None);
        }
        let info = asm.buf.get(4..).unwrap_or_default().to_vec();
        self.l2cap_pdu(key, cid, &info, asm.frames, r)
    }

    /// A whole L2CAP PDU (its information payload) on `cid`.
    fn l2cap_pdu(
        &mut self,
        key: DirKey,
        cid: u16,
        info: &[u8],
        frames: Vec<u64>,
        r: &mut BleReport,
    ) -> Result<Option<Sdu>> {
        if cid == CID_LE_SIGNALING {
            let sig = self.signal(key.0, info)?;
            if let Some(l) = r.l2cap.as_mut() {
                l.signal = Some(sig);
            }
            return Ok(None);
        }
        if !LE_DYNAMIC_CIDS.contains(&cid) {
            return Ok(None);
        }
        let known = self
            .conns
            .get(&key.0)
            .and_then(|c| c.psm.get(&cid).copied());
        if known.is_some_and(|p| p != PSM_IPSP) {
            if let Some(l) = r.l2cap.as_mut() {
                l.psm = known;
                l.psm_learned = true;
            }
            return Ok(None);
        }
        // K-frame: the first of an SDU starts with the SDU Length (Vol 3 Part A §3.4.3).
        let skey = (key, cid);
        let (mut sdu, payload) = match self.sdus.remove(&skey) {
            Some(s) => (s, info),
            None => {
                let total = usize::from(le16(info, 0, "SDU Length")?);
                if let Some(l) = r.l2cap.as_mut() {
                    l.sdu_length = Some(total as u16);
                }
                (
                    SduAsm {
                        buf: Vec::with_capacity(total),
                        total,
                        frames: Vec::new(),
                    },
                    &info[2..],
                )
            }
        };
        if sdu.buf.len() + payload.len() > sdu.total {
            return Err(Error::invalid(
                Layer::Ble,
                "K-frame",
                0,
                format!(
                    "{} octets go past the SDU Length {} (Core 5.3 Vol 3 Part A §7.3.2)",
                    sdu.buf.len() + payload.len(),
                    sdu.total
                ),
            ));
        }
        sdu.buf.extend_from_slice(payload);
        sdu.frames.extend(frames);
        let learned = known.is_some();
        if let Some(l) = r.l2cap.as_mut() {
            l.psm = Some(PSM_IPSP);
            l.psm_learned = learned;
        }
        if sdu.buf.len() < sdu.total {
            if self.in_flight() >= self.limits.reassemblies {
                return Err(Error::invalid(
                    Layer::Ble,
                    "K-frame",
                    0,
                    format!(
                        "{} reassemblies already in progress: dropped",
                        self.limits.reassemblies
                    ),
                ));
            }
            self.sdus.insert(skey, sdu);
            return Ok(None);
        }
        if !learned {
            if sdu.buf.first().is_some_and(|d| (0x60..=0x7f).contains(d)) {
                r.note = Some(format!(
                    "no LE Credit Based Connection for CID 0x{cid:04x} in the capture: taken as IPSP (PSM 0x0023) because its SDU starts with LOWPAN_IPHC"
                ));
            } else {
                if let Some(l) = r.l2cap.as_mut() {
                    l.psm = None;
                }
                r.note = Some(format!(
                    "CID 0x{cid:04x}: no LE Credit Based Connection in the capture and the SDU does not start with LOWPAN_IPHC: not taken as IPSP"
                ));
                return Ok(None);
            }
        }
        r.sdu = Some(SduReport {
            length: sdu.buf.len(),
            frames: sdu.frames,
        });
        let (src, dst) = self.endpoints(key.0, key.1);
        Ok(Some(Sdu {
            bytes: sdu.buf,
            src: src.map_or(LinkAddr::Absent, |a| a.link_addr()),
            dst: dst.map_or(LinkAddr::Absent, |a| a.link_addr()),
            psm: PSM_IPSP,
        }))
    }

    /// A signalling command (Vol 3 Part A §4): code, identifier, length, data. The LE credit
    /// based connection pair teaches which CIDs carry which PSM.
    fn signal(&mut self, id: ConnId, p: &[u8]) -> Result<Signal> {
        let (Some(&code), Some(&ident)) = (p.first(), p.get(1)) else {
            return Err(trunc("signalling command header", 0, 4, p.len()));
        };
        let len = usize::from(le16(p, 2, "signalling Length")?);
        let d = p
            .get(4..4 + len)
            .ok_or_else(|| trunc("signalling data", 4, len, p.len().saturating_sub(4)))?;
        let u = |i: usize, f: &'static str| le16(d, i, f).map_err(|e| e.at(4 + i));
        Ok(match code {
            0x14 => {
                let (spsm, scid) = (u(0, "SPSM")?, u(2, "Source CID")?);
                self.conn(id).pending.insert(ident, (spsm, scid));
                Signal::LeCreditBasedConnectionRequest {
                    identifier: ident,
                    spsm,
                    scid,
                    mtu: u(4, "MTU")?,
                    mps: u(6, "MPS")?,
                    initial_credits: u(8, "Initial Credits")?,
                }
            }
            0x15 => {
                let (dcid, result) = (u(0, "Destination CID")?, u(8, "Result")?);
                let c = self.conn(id);
                if let Some((spsm, scid)) = c.pending.remove(&ident) {
                    if result == 0 {
                        c.psm.insert(scid, spsm);
                        c.psm.insert(dcid, spsm);
                    }
                }
                Signal::LeCreditBasedConnectionResponse {
                    identifier: ident,
                    dcid,
                    mtu: u(2, "MTU")?,
                    mps: u(4, "MPS")?,
                    initial_credits: u(6, "Initial Credits")?,
                    result,
                }
            }
            0x16 => Signal::FlowControlCredit {
                identifier: ident,
                cid: u(0, "CID")?,
                credits: u(2, "Credits")?,
            },
            0x06 => {
                let (dcid, scid) = (u(0, "Destination CID")?, u(2, "Source CID")?);
                let c = self.conn(id);
                c.psm.remove(&dcid);
                c.psm.remove(&scid);
                Signal::DisconnectionRequest {
                    identifier: ident,
                    dcid,
                    scid,
                }
            }
            code => Signal::Other {
                identifier: ident,
                code,
            },
        })
    }
}

#[cfg(test)]
mod tests;
