//! Writing IPSP traffic as a sniffer would capture it: a CONNECT_IND, the LE Credit Based
//! Connection Request/Response for SPSM 0x0023, then each 6LoWPAN payload as one L2CAP SDU in
//! K-frames of at most MPS octets, each L2CAP PDU in LL data PDUs of at most `ll_payload`
//! octets (LLID 10 then 01), with SN/NESN kept per direction and the CRC-24 computed from the
//! connection's CRCInit (Bluetooth Core 5.3 Vol 6 Part B §2.3.3.1, §2.4, §3.1.1; Vol 3 Part A
//! §3.4, §4.22, §4.23, §7.3; RFC 7668 §2.2).

use super::{
    crc24, BdAddr, Direction, ADVERTISING_AA, ADVERTISING_CRC_INIT, CID_LE_SIGNALING, PSM_IPSP,
};

/// Parameters of the connection written.
#[derive(Debug, Clone, Copy)]
pub struct ConnParams {
    pub central: BdAddr,
    pub peripheral: BdAddr,
    pub access_address: u32,
    pub crc_init: u32,
    /// Largest LL data PDU payload: 27 (Core 4.x) to 251 (Data Length Extension).
    pub ll_payload: usize,
    /// MTU and MPS announced for the IPSP channel (RFC 7668 §2.2: MTU ≥ 1280).
    pub mtu: u16,
    pub mps: u16,
    /// The CIDs each side receives on.
    pub central_cid: u16,
    pub peripheral_cid: u16,
}

impl Default for ConnParams {
    fn default() -> Self {
        ConnParams {
            central: BdAddr {
                addr: [0xc0, 0x00, 0x00, 0x00, 0x00, 0x01],
                kind: super::AddrType::Random,
            },
            peripheral: BdAddr {
                addr: [0x00, 0x1b, 0xdc, 0x00, 0x00, 0x02],
                kind: super::AddrType::Public,
            },
            access_address: 0x5065_4c71,
            crc_init: 0x12_3456,
            ll_payload: 27,
            mtu: 1280,
            mps: 247,
            central_cid: 0x0040,
            peripheral_cid: 0x0041,
        }
    }
}

/// One LL packet written: who sends it (`None` on an advertising channel) and its bytes from
/// the access address to the CRC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlOut {
    pub direction: Option<Direction>,
    pub bytes: Vec<u8>,
}

/// An LL packet: access address, header, payload, CRC-24.
pub fn ll_packet(aa: u32, h0: u8, payload: &[u8], crc_init: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(9 + payload.len());
    v.extend(aa.to_le_bytes());
    v.push(h0);
    v.push(payload.len() as u8);
    v.extend_from_slice(payload);
    let crc = crc24(crc_init, &v[4..]);
    v.extend(crc);
    v
}

/// The 10-octet LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR header: RF channel, no signal/noise, flags
/// dewhitened | CRC checked | CRC valid | the PDU type (0 advertising, 2 central → peripheral, 3
/// peripheral → central).
pub fn phdr(channel: u8, direction: Option<Direction>) -> [u8; 10] {
    let kind: u16 = match direction {
        None => 0,
        Some(Direction::CentralToPeripheral | Direction::HostToController) => 2,
        Some(_) => 3,
    };
    let flags: u16 = 0x0001 | 0x0400 | 0x0800 | (kind << 7);
    let f = flags.to_le_bytes();
    [channel, 0, 0, 0, 0, 0, 0, 0, f[0], f[1]]
}

/// Writes one connection's packets.
#[derive(Debug, Clone)]
pub struct ConnWriter {
    p: ConnParams,
    /// Next SN of the central [0] and the peripheral [1]; NESN is the complement of the last SN
    /// heard from the other side.
    sn: [u8; 2],
    heard: [Option<u8>; 2],
}

impl ConnWriter {
    pub fn new(p: ConnParams) -> ConnWriter {
        ConnWriter {
            p,
            sn: [0, 0],
            heard: [None, None],
        }
    }

    pub fn params(&self) -> &ConnParams {
        &self.p
    }

    /// CONNECT_IND, then the central's LE Credit Based Connection Request for IPSP and the
    /// peripheral's successful Response.
    pub fn open(&mut self) -> Vec<LlOut> {
        let p = self.p;
        let mut ind = Vec::with_capacity(34);
        ind.extend(p.central.to_wire());
        ind.extend(p.peripheral.to_wire());
        ind.extend(p.access_address.to_le_bytes());
        ind.extend(&p.crc_init.to_le_bytes()[..3]);
        ind.push(2); // WinSize
        ind.extend(0u16.to_le_bytes()); // WinOffset
        ind.extend(24u16.to_le_bytes()); // Interval: 30 ms
        ind.extend(0u16.to_le_bytes()); // Latency
        ind.extend(400u16.to_le_bytes()); // Timeout: 4 s
        ind.extend([0xff, 0xff, 0xff, 0xff, 0x1f]); // all 37 data channels
        ind.push(0x05 | (5 << 5)); // Hop 5, SCA 5
        let tx = u8::from(p.central.kind == super::AddrType::Random) << 6;
        let rx = u8::from(p.peripheral.kind == super::AddrType::Random) << 7;
        let mut out = vec![LlOut {
            direction: None,
            bytes: ll_packet(ADVERTISING_AA, 0x05 | tx | rx, &ind, ADVERTISING_CRC_INIT),
        }];
        let mut req = vec![0x14, 1, 10, 0];
        for v in [PSM_IPSP, p.central_cid, p.mtu, p.mps, 10] {
            req.extend(v.to_le_bytes());
        }
        out.extend(self.l2cap(Direction::CentralToPeripheral, CID_LE_SIGNALING, &req));
        let mut rsp = vec![0x15, 1, 10, 0];
        for v in [p.peripheral_cid, p.mtu, p.mps, 10, 0] {
            rsp.extend(v.to_le_bytes());
        }
        out.extend(self.l2cap(Direction::PeripheralToCentral, CID_LE_SIGNALING, &rsp));
        out
    }

    /// One SDU (a 6LoWPAN payload) from `direction`'s side, on the IPSP channel of the receiver.
    pub fn sdu(&mut self, direction: Direction, sdu: &[u8]) -> Vec<LlOut> {
        let cid = match direction {
            Direction::CentralToPeripheral | Direction::HostToController => self.p.peripheral_cid,
            _ => self.p.central_cid,
        };
        let mps = usize::from(self.p.mps.max(23));
        let mut out = Vec::new();
        let mut rest = sdu;
        let mut first = true;
        while first || !rest.is_empty() {
            let room = if first { mps - 2 } else { mps };
            let n = rest.len().min(room);
            let mut k = Vec::with_capacity(n + 2);
            if first {
                k.extend((sdu.len() as u16).to_le_bytes());
            }
            k.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
            first = false;
            out.extend(self.l2cap(direction, cid, &k));
        }
        out
    }

    /// One L2CAP PDU (basic header + `info`) in LL data PDUs.
    fn l2cap(&mut self, direction: Direction, cid: u16, info: &[u8]) -> Vec<LlOut> {
        let mut pdu = Vec::with_capacity(4 + info.len());
        pdu.extend((info.len() as u16).to_le_bytes());
        pdu.extend(cid.to_le_bytes());
        pdu.extend_from_slice(info);
        let me = usize::from(!matches!(
            direction,
            Direction::CentralToPeripheral | Direction::HostToController
        ));
        let size = self.p.ll_payload.clamp(27, 251);
        pdu.chunks(size)
            .enumerate()
            .map(|(i, chunk)| {
                let llid = if i == 0 { 0b10 } else { 0b01 };
                let sn = self.sn[me];
                self.sn[me] ^= 1;
                let nesn = self.heard[me].map_or(0, |s| s ^ 1);
                self.heard[1 - me] = Some(sn);
                let h0 = llid | (nesn << 2) | (sn << 3);
                LlOut {
                    direction: Some(direction),
                    bytes: ll_packet(self.p.access_address, h0, chunk, self.p.crc_init),
                }
            })
            .collect()
    }
}
