//! Live capture from a network interface (pnet's datalink layer: an AF_PACKET socket on Linux),
//! or of ZEP datagrams sent to a UDP socket ([`ZepListener`]), handing out [`Packet`]s exactly
//! as the file reader does, so every command that reads a capture can also read live traffic.
//! Cargo feature `live`.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pnet_datalink::{Channel, DataLinkReceiver, NetworkInterface};

use etherparse::PacketBuilder;

use super::zep::{self, Zep, ZEP_PORT};
use super::{linktype, Packet, Timestamp};

/// Why a live capture could not start or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// No interface of that name; `available` lists the ones there are.
    #[error("no interface named {name:?} (interfaces here: {})", available.join(", "))]
    NoInterface {
        name: String,
        available: Vec<String>,
    },
    /// The capture socket cannot be opened.
    #[error("opening {name} for capture (this needs root or CAP_NET_RAW)")]
    Open {
        name: String,
        #[source]
        source: std::io::Error,
    },
    /// pnet offers a channel type other than Ethernet.
    #[error("{name}: unsupported channel type")]
    Channel { name: String },
    /// Reading from the socket failed.
    #[error("reading from the interface")]
    Read(#[source] std::io::Error),
    /// The UDP socket for ZEP cannot be bound.
    #[error("listening for ZEP on UDP {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// Receiving from the UDP socket failed.
    #[error("receiving ZEP on UDP {addr}")]
    Recv {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Packets from one interface until [`LiveCapture::stop_flag`] is set (Ctrl-C) or the caller
/// stops asking.
pub struct LiveCapture {
    rx: Box<dyn DataLinkReceiver>,
    linktype: u32,
    number: u64,
    stop: Arc<AtomicBool>,
    buf: Vec<u8>,
}

impl std::fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCapture")
            .field("linktype", &self.linktype)
            .field("number", &self.number)
            .finish()
    }
}

impl LiveCapture {
    /// Opens `name` for capture. Needs root or CAP_NET_RAW.
    pub fn open(name: &str) -> Result<Self, LiveError> {
        let interfaces = pnet_datalink::interfaces();
        let Some(iface) = interfaces.iter().find(|i| i.name == name) else {
            return Err(LiveError::NoInterface {
                name: name.to_string(),
                available: interfaces.iter().map(|i| i.name.clone()).collect(),
            });
        };
        let config = pnet_datalink::Config {
            // Wake up regularly to notice Ctrl-C even when no packet arrives.
            read_timeout: Some(Duration::from_millis(200)),
            ..Default::default()
        };
        let channel = pnet_datalink::channel(iface, config).map_err(|source| LiveError::Open {
            name: name.to_string(),
            source,
        })?;
        let rx = match channel {
            Channel::Ethernet(_tx, rx) => rx,
            _ => {
                return Err(LiveError::Channel {
                    name: name.to_string(),
                })
            }
        };
        Ok(LiveCapture {
            rx,
            linktype: linktype_of(iface),
            number: 0,
            stop: Arc::new(AtomicBool::new(false)),
            buf: Vec::new(),
        })
    }

    /// Set it (from a signal handler) to make [`LiveCapture::next_packet`] return `None`.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// The next packet, or `None` once stopped.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, LiveError> {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            match self.rx.next() {
                Ok(frame) => {
                    self.buf.clear();
                    self.buf.extend_from_slice(frame);
                    break;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(LiveError::Read(e)),
            }
        }
        self.number += 1;
        Ok(Some(Packet {
            number: self.number,
            ts: now(),
            linktype: self.linktype,
            data: &self.buf,
            orig_len: u32::try_from(self.buf.len()).unwrap_or(u32::MAX),
        }))
    }
}

/// `ARPHRD_IEEE802154` (`linux/if_arp.h`): a Linux wpan device.
const ARPHRD_IEEE802154: u32 = 804;
/// `ARPHRD_IEEE802154_MONITOR`: a wpan device in monitor mode (`iwpan … add … type monitor`).
const ARPHRD_IEEE802154_MONITOR: u32 = 805;

/// What an AF_PACKET socket delivers: the 802.15.4 MAC frame on a wpan device — without its
/// FCS on a node interface, with it on a monitor interface (mac802154 appends the CRC it
/// checked to what monitors receive), as libpcap labels them; LINKTYPE_ETHERNET on Ethernet
/// and on Linux loopback; LINKTYPE_RAW (bare IP packets) on point-to-point interfaces without
/// a link header (tun, wg).
fn linktype_of(iface: &NetworkInterface) -> u32 {
    match arphrd(&iface.name) {
        Some(ARPHRD_IEEE802154_MONITOR) => return linktype::IEEE802_15_4_WITHFCS,
        Some(ARPHRD_IEEE802154) => return linktype::IEEE802_15_4_NOFCS,
        _ => {}
    }
    if iface.is_point_to_point() && iface.mac.is_none() {
        linktype::RAW
    } else {
        linktype::ETHERNET
    }
}

/// The interface's ARPHRD_* hardware type, from `/sys/class/net/NAME/type` (pnet does not
/// report it); `None` where sysfs does not say (not Linux, or the name is odd).
fn arphrd(name: &str) -> Option<u32> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    let text = std::fs::read_to_string(format!("/sys/class/net/{name}/type")).ok()?;
    text.trim().parse().ok()
}

/// Receives ZEP datagrams (as Wireshark, whsniff and other sniffers send them) on a UDP socket
/// and hands each out as the packet a capture of it would hold: an IPv4 or IPv6 packet
/// (LINKTYPE_IPV4/IPV6) from the sender's address and port to the listening address and ZEP's
/// port 17754, whatever port the socket listens on, so that [`crate::wpan_frame`] — and
/// Wireshark, reading a capture written from these packets — finds the 802.15.4 frame in it as
/// in any capture of ZEP. A ZEP v2 datagram's own timestamp, when it has one, is the packet's
/// time (the sniffer's time of reception); otherwise the time it arrived here.
///
/// On a socket bound to an unspecified address (`0.0.0.0`, `::`) the packet's destination is
/// that unspecified address: which local address a datagram was sent to is not known here.
pub struct ZepListener {
    socket: UdpSocket,
    local: SocketAddr,
    stop: Arc<AtomicBool>,
    number: u64,
    recv: Vec<u8>,
    packet: Vec<u8>,
}

impl std::fmt::Debug for ZepListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZepListener")
            .field("local", &self.local)
            .field("number", &self.number)
            .finish()
    }
}

/// The largest UDP payload (a ZEP datagram is at most 32 + 127 bytes; longer ones are received
/// whole, so that the decoder reports them as malformed).
const MAX_DATAGRAM: usize = 65_507;

impl ZepListener {
    /// Binds a UDP socket to `addr` (port 0 picks a free port: see [`ZepListener::local_addr`]).
    pub fn bind(addr: SocketAddr) -> Result<Self, LiveError> {
        let socket = UdpSocket::bind(addr).map_err(|source| LiveError::Bind { addr, source })?;
        // Wake up regularly to notice Ctrl-C even when no datagram arrives.
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(|source| LiveError::Bind { addr, source })?;
        let local = socket
            .local_addr()
            .map_err(|source| LiveError::Bind { addr, source })?;
        Ok(ZepListener {
            socket,
            local,
            stop: Arc::new(AtomicBool::new(false)),
            number: 0,
            recv: vec![0; MAX_DATAGRAM],
            packet: Vec::new(),
        })
    }

    /// The address and port the socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// LINKTYPE_IPV4 or LINKTYPE_IPV6: the packets' link type, by the socket's address family.
    pub fn linktype(&self) -> u32 {
        match self.local {
            SocketAddr::V4(_) => linktype::IPV4,
            SocketAddr::V6(_) => linktype::IPV6,
        }
    }

    /// Set it (from a signal handler) to make [`ZepListener::next_packet`] return `None`.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// The next datagram as a packet, or `None` once stopped.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, LiveError> {
        let (len, peer) = loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(None);
            }
            match self.socket.recv_from(&mut self.recv) {
                Ok(got) => break got,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(source) => {
                    return Err(LiveError::Recv {
                        addr: self.local,
                        source,
                    })
                }
            }
        };
        let payload = self.recv.get(..len).unwrap_or(&[]);
        let ts = match zep::decode(payload) {
            Ok(Zep::Data { header, .. }) => header.ntp_time.and_then(zep::ntp_to_timestamp),
            _ => None,
        }
        .unwrap_or_else(now);
        self.packet.clear();
        ip_udp(&mut self.packet, peer, self.local, payload);
        self.number += 1;
        Ok(Some(Packet {
            number: self.number,
            ts,
            linktype: self.linktype(),
            data: &self.packet,
            orig_len: u32::try_from(self.packet.len()).unwrap_or(u32::MAX),
        }))
    }
}

fn now() -> Timestamp {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp {
        secs: now.as_secs(),
        nanos: now.subsec_nanos(),
    }
}

/// Writes the IP and UDP headers (etherparse's packet builder, checksum included) of a datagram
/// from `peer` to `local`'s address and ZEP's port, then `payload`, into `out`. The packet's
/// family is the socket's (an IPv4 peer of an IPv6 socket appears IPv4-mapped).
fn ip_udp(out: &mut Vec<u8>, peer: SocketAddr, local: SocketAddr, payload: &[u8]) {
    let builder = match (peer.ip(), local.ip()) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => {
            PacketBuilder::ipv4(src.octets(), dst.octets(), 64).udp(peer.port(), ZEP_PORT)
        }
        (src, dst) => {
            let v6 = |a: IpAddr| match a {
                IpAddr::V4(a) => a.to_ipv6_mapped(),
                IpAddr::V6(a) => a,
            };
            PacketBuilder::ipv6(v6(src).octets(), v6(dst).octets(), 64).udp(peer.port(), ZEP_PORT)
        }
    };
    // Only a payload too long for the IP length field fails; a UDP payload never is.
    if builder.write(out, payload).is_err() {
        out.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::wpan::{wpan_frame, Encap, Fcs, Wpan};
    use crate::zep::tests::zep_v2;

    #[test]
    fn zep_listener_hands_out_zep_packets_wpan_frame_decodes() {
        let mut l = ZepListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let to = l.local_addr();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let frame = [0x41, 0xd8, 0x01, 0xcd, 0xab, 0xff, 0xff, 0xaa, 0xbb];
        tx.send_to(&zep_v2(&frame, false), to).unwrap();
        tx.send_to(b"EX\x02\x01", to).unwrap();
        let p = l.next_packet().unwrap().unwrap();
        assert_eq!((p.number, p.linktype), (1, linktype::IPV4));
        // zep_v2's NTP time 0x01020304... is before 1970: the arrival time stands in.
        assert!(p.ts.secs > 1_700_000_000);
        match wpan_frame(&p).unwrap() {
            Wpan::Frame(w) => {
                assert_eq!(w.frame, &frame);
                assert_eq!(w.fcs, Fcs::Crc16);
                assert!(matches!(w.encap, Encap::Zep { seq: Some(77), .. }));
            }
            other => panic!("{other:?}"),
        }
        let p = l.next_packet().unwrap().unwrap();
        let e = wpan_frame(&p).unwrap_err().to_string();
        assert!(e.contains("4 of 32"), "{e}");
        l.stop_flag().store(true, Ordering::Relaxed);
        assert!(l.next_packet().unwrap().is_none());
    }
}
