#![allow(clippy::unwrap_used)]

use super::emit::{ConnParams, ConnWriter};
use super::*;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn crc24_matches_an_independent_implementation() {
    // Vectors computed by scapy 2.8.0 (BTLE.compute_crc).
    let adv = h(
        "d6be898e45220100000000c0020000dc1b0050654c711234560000000000000000000000000000008ef861",
    );
    assert_eq!(
        crc24(ADVERTISING_CRC_INIT, &adv[4..adv.len() - 3]),
        [0x8e, 0xf8, 0x61]
    );
    let data = h("714c655002120e00050014010a00230040000005f7000a00dd1d41");
    let pdu = &data[4..data.len() - 3];
    assert_eq!(crc24(ADVERTISING_CRC_INIT, pdu), [0xdd, 0x1d, 0x41]);
    assert_eq!(crc24(0x12_3456, pdu), [0x8b, 0xa2, 0xbd]);
}

#[test]
fn iid_from_device_address_keeps_every_bit() {
    // RFC 7668 §3.2.2: no U/L inversion, public or random.
    let a = BdAddr {
        addr: [0xc0, 0x11, 0x22, 0x33, 0x44, 0x55],
        kind: AddrType::Random,
    };
    assert_eq!(a.iid(), [0xc0, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55]);
    assert_eq!(a.link_addr().iid(), Some(a.iid()));
    assert_eq!(BdAddr::from_iid(&a.iid()), Some(a.addr));
}

/// The writer's packets read back by the tracker: the SDUs come out whole, with the device
/// addresses of their sender and receiver, and every CRC checks.
#[test]
fn writer_and_tracker_round_trip() {
    let p = ConnParams::default();
    let mut w = ConnWriter::new(p);
    let mut pkts = w.open();
    let big: Vec<u8> = (0..600u32)
        .map(|i| if i == 0 { 0x7a } else { i as u8 })
        .collect();
    pkts.extend(w.sdu(Direction::CentralToPeripheral, &big));
    pkts.extend(w.sdu(Direction::PeripheralToCentral, &[0x7b, 0x33, 0x3a]));
    let mut t = Tracker::new(Limits::default());
    let mut sdus = Vec::new();
    for (i, o) in pkts.iter().enumerate() {
        let f = t.ll_packet(
            &o.bytes,
            Some(o.direction.is_none()),
            o.direction,
            i as u64 + 1,
        );
        assert!(f.error.is_none(), "{:?}", f.error);
        assert!(f.report.crc.unwrap().ok);
        if let Some(s) = f.sdu {
            sdus.push(s);
        }
    }
    assert_eq!(sdus.len(), 2);
    assert_eq!(sdus[0].bytes, big);
    assert_eq!(sdus[0].src, p.central.link_addr());
    assert_eq!(sdus[0].dst, p.peripheral.link_addr());
    assert_eq!(sdus[1].bytes, [0x7b, 0x33, 0x3a]);
    assert_eq!(sdus[1].src, p.peripheral.link_addr());
    assert_eq!(t.in_flight(), 0);
}

/// Without the signalling, a dynamic channel whose SDU starts with IPHC is taken as IPSP and
/// the report says so; one that does not is left alone.
#[test]
fn unsignalled_channel_is_ipsp_only_with_iphc() {
    let mut w = ConnWriter::new(ConnParams::default());
    let _ = w.open();
    let mut t = Tracker::new(Limits::default());
    let f = t.ll_packet(
        &w.sdu(Direction::CentralToPeripheral, &[0x7b, 0x33, 0x3a])[0].bytes,
        Some(false),
        Some(Direction::CentralToPeripheral),
        1,
    );
    let l = f.report.l2cap.as_ref().unwrap();
    assert_eq!((l.psm, l.psm_learned), (Some(PSM_IPSP), false));
    assert!(f.report.note.unwrap().contains("taken as IPSP"));
    assert_eq!(f.sdu.unwrap().src, LinkAddr::Absent);
    let f = t.ll_packet(
        &w.sdu(Direction::CentralToPeripheral, &[0x01, 0x02])[0].bytes,
        Some(false),
        Some(Direction::CentralToPeripheral),
        2,
    );
    assert!(f.sdu.is_none());
    assert!(f.report.note.unwrap().contains("not taken as IPSP"));
}

#[test]
fn every_prefix_fails_cleanly() {
    let mut w = ConnWriter::new(ConnParams::default());
    let pkts = w.open();
    for p in &pkts {
        for n in 0..p.bytes.len() {
            let mut t = Tracker::new(Limits::default());
            let f = t.ll_packet(&p.bytes[..n], None, Some(Direction::CentralToPeripheral), 1);
            let e = f.error.expect("a cut packet is an error");
            assert_eq!(e.layer(), Layer::Ble);
        }
    }
}

#[test]
fn fragment_and_mesh_headers_are_refused() {
    assert!(check_dispatch(&[0x7a, 0x33]).is_ok());
    let e = check_dispatch(&[0xc0, 0x50, 0x12, 0x34]).unwrap_err();
    assert!(e.to_string().contains("RFC 7668 §3.2.3"), "{e}");
    assert!(check_dispatch(&[0xbf]).is_err());
    assert!(check_dispatch(&[]).is_err());
}

#[test]
fn hci_acl_reassembles_with_addresses_from_the_events() {
    let mut t = Tracker::new(Limits::default());
    t.local_address(0, [0x00, 0x1a, 0x7d, 0xda, 0x71, 0x13]);
    // LE Connection Complete: status 0, handle 0x0040, role central, peer random c0:…:01.
    let ev = h("3e1301004000000101000000 00c0 38000000f40101"
        .replace(' ', "")
        .as_str());
    let f = t.hci_packet(4, &ev, Some(Direction::ControllerToHost), 0, 1);
    assert!(f.error.is_none(), "{:?}", f.error);
    // ACL from the controller: L2CAP PDU of 7 on CID 0x0040 split over two ACL packets.
    let a1 = h("4020070007004000");
    let f = t.hci_packet(
        2,
        &[&a1[..], &[0x05, 0x00, 0x7b]].concat(),
        Some(Direction::ControllerToHost),
        0,
        2,
    );
    assert!(f.sdu.is_none() && f.error.is_none(), "{:?}", f.error);
    let f = t.hci_packet(
        2,
        &h("40100400333a0102"),
        Some(Direction::ControllerToHost),
        0,
        3,
    );
    assert!(f.error.is_none(), "{:?}", f.error);
    let s = f.sdu.unwrap();
    assert_eq!(s.bytes, [0x7b, 0x33, 0x3a, 0x01, 0x02]);
    assert_eq!(
        s.dst,
        LinkAddr::from_eui48([0x00, 0x1a, 0x7d, 0xda, 0x71, 0x13])
    );
    assert_eq!(
        s.src,
        LinkAddr::from_eui48([0xc0, 0x00, 0x00, 0x00, 0x00, 0x01])
    );
}

mod random {
    use super::*;
    use proptest::prelude::*;

    fn dir() -> impl Strategy<Value = Option<Direction>> {
        prop_oneof![
            Just(None),
            Just(Some(Direction::CentralToPeripheral)),
            Just(Some(Direction::PeripheralToCentral)),
            Just(Some(Direction::HostToController)),
            Just(Some(Direction::ControllerToHost)),
        ]
    }

    proptest! {
        /// Any sequence of LL and HCI packets — random, or real ones with octets changed —
        /// never panics, and the tracker holds no more than its limits allow.
        #[test]
        fn tracker_never_panics_and_stays_bounded(
            pkts in proptest::collection::vec(
                (any::<bool>(), proptest::option::of(any::<bool>()), dir(), 0u8..6,
                 proptest::collection::vec(any::<u8>(), 0..80), any::<u16>(), any::<u8>()),
                1..60),
        ) {
            let limits = Limits { connections: 4, reassemblies: 8 };
            let mut t = Tracker::new(limits);
            let mut w = ConnWriter::new(ConnParams::default());
            let mut real: Vec<Vec<u8>> = w.open().into_iter().map(|o| o.bytes).collect();
            real.extend(w.sdu(Direction::CentralToPeripheral, &[0x7a; 300]).into_iter().map(|o| o.bytes));
            for (i, (ll, adv, d, h4, bytes, at, x)) in pkts.into_iter().enumerate() {
                let mut p = if bytes.len() % 3 == 0 {
                    real[usize::from(at) % real.len()].clone()
                } else {
                    bytes
                };
                if let Some(b) = p.get_mut(usize::from(at) % 64) {
                    *b ^= x;
                }
                let f = if ll {
                    t.ll_packet(&p, adv, d, i as u64)
                } else {
                    t.hci_packet(h4, &p, d, 0, i as u64)
                };
                if let Some(s) = &f.sdu {
                    prop_assert!(s.bytes.len() <= usize::from(u16::MAX));
                    let _ = check_dispatch(&s.bytes);
                }
                prop_assert!(t.in_flight() <= limits.reassemblies);
                prop_assert!(t.conns.len() <= limits.connections);
            }
        }
    }
}
