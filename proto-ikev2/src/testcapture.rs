//! Test support: the UDP datagrams of one of the project's own captures (`pcaps/ikev2/`,
//! recorded on loopback-like Ethernet with IPv4: Ethernet (14) + IPv4 (20) + UDP (8)).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{Ipv4Addr, SocketAddr};

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
    let data = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut off = 24; // pcap file header
    while off + 16 <= data.len() {
        let incl = u32::from_le_bytes(data[off + 8..off + 12].try_into().unwrap()) as usize;
        let frame = &data[off + 16..off + 16 + incl];
        off += 16 + incl;
        let ip = |at: usize| Ipv4Addr::from(<[u8; 4]>::try_from(&frame[at..at + 4]).unwrap());
        let udp = &frame[34..];
        let port = |at: usize| u16::from_be_bytes([udp[at], udp[at + 1]]);
        out.push(Datagram {
            frame: out.len() as u64 + 1,
            src: SocketAddr::new(ip(26).into(), port(0)),
            dst: SocketAddr::new(ip(30).into(), port(2)),
            payload: udp[8..].to_vec(),
        });
    }
    out
}

/// The key table recorded with `pcaps/ikev2/{name}.pcap`.
pub(crate) fn keys(name: &str) -> Vec<crate::crypto::keytable::SaKeys> {
    let path = format!("{}/../pcaps/ikev2/{name}.keys", env!("CARGO_MANIFEST_DIR"));
    crate::crypto::keytable::parse_table(&std::fs::read_to_string(path).unwrap()).unwrap()
}
