//! Test support: the UDP datagrams of one of the project's own captures (`pcaps/ikev2/`), read
//! by test-support's capture reader (the one the binary uses) and sliced by etherparse.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};

/// One UDP datagram of a capture.
#[derive(Debug, Clone)]
pub(crate) struct Datagram {
    /// 1-based frame number.
    pub frame: u64,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// The UDP payload (non-ESP marker included).
    pub payload: Vec<u8>,
}

/// Every UDP datagram of `pcaps/ikev2/{name}.pcap`, in order.
pub(crate) fn datagrams(name: &str) -> Vec<Datagram> {
    let path = format!("{}/../pcaps/ikev2/{name}.pcap", env!("CARGO_MANIFEST_DIR"));
    let packets = ietfwg_test_support::capture::read_capture(std::path::Path::new(&path), name);
    let mut out = Vec::new();
    for p in &packets {
        let sliced = SlicedPacket::from_ethernet(&p.data)
            .unwrap_or_else(|e| panic!("{name} frame {}: {e}", p.number));
        let (Some(NetSlice::Ipv4(ip)), Some(TransportSlice::Udp(udp))) =
            (sliced.net, sliced.transport)
        else {
            continue;
        };
        let (src, dst) = (ip.header().source_addr(), ip.header().destination_addr());
        out.push(Datagram {
            frame: p.number as u64,
            src: SocketAddr::new(src.into(), udp.source_port()),
            dst: SocketAddr::new(dst.into(), udp.destination_port()),
            payload: udp.payload().to_vec(),
        });
    }
    out
}

/// The key table recorded with `pcaps/ikev2/{name}.pcap`.
pub(crate) fn keys(name: &str) -> Vec<crate::crypto::keytable::SaKeys> {
    let path = format!("{}/../pcaps/ikev2/{name}.keys", env!("CARGO_MANIFEST_DIR"));
    crate::crypto::keytable::parse_table(&std::fs::read_to_string(path).unwrap()).unwrap()
}
