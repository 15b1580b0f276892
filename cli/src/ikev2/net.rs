//! The network side of `ietfwg ikev2 replay` and `probe`: where to send (and where never to),
//! a UDP transport with RFC 7296 §2.1 retransmission and RFC 7296 §2.23 / RFC 3948 NAT-T, and a
//! rate limiter.
//!
//! Safety rules every sender here follows:
//!
//! * one peer only: the socket is `connect`ed to the address [`resolve_target`] returned, so the
//!   kernel drops datagrams from anyone else and nothing is ever sent elsewhere (a REDIRECT
//!   target goes through [`check_target`] and a new transport);
//! * never a broadcast, multicast or unspecified destination ([`check_target`]);
//! * every datagram, retransmissions included, waits for the [`Pacer`] when one is set.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use anyhow::{bail, Context as _};
use ietfwg_ikev2::wire::reader::Reader;
use ietfwg_ikev2::wire::transport::{ike_after_marker, IKE_PORT, NAT_T_PORT, NON_ESP_MARKER};
use ietfwg_ikev2::Header;
use tokio::net::UdpSocket;
use tokio::time::Instant;

/// Why `addr` must not be a destination, or `None` when it may be.
///
/// Refused: the unspecified address (0.0.0.0, ::), the IPv4 limited broadcast
/// 255.255.255.255, IPv4 multicast 224.0.0.0/4 and IPv6 multicast ff00::/8 (IPv4-mapped forms
/// included). A subnet's directed broadcast (e.g. x.y.z.255) cannot be told from a host
/// address without knowing the prefix, so it is not refused here; the kernel refuses to send
/// to it without SO_BROADCAST, which these sockets never set.
pub fn refusal(addr: IpAddr) -> Option<&'static str> {
    let addr = match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    };
    match addr {
        IpAddr::V4(a) if a.is_unspecified() => Some("the unspecified address"),
        IpAddr::V4(a) if a.is_broadcast() => Some("the limited broadcast address"),
        IpAddr::V4(a) if a.is_multicast() => Some("a multicast address (224.0.0.0/4)"),
        IpAddr::V6(a) if a.is_unspecified() => Some("the unspecified address"),
        IpAddr::V6(a) if a.is_multicast() => Some("a multicast address (ff00::/8)"),
        _ => None,
    }
}

/// Errors unless `addr` may be sent to (see [`refusal`]); `what` names it in the message.
pub fn check_target(addr: IpAddr, what: &str) -> anyhow::Result<()> {
    match refusal(addr) {
        Some(why) => bail!(
            "refusing to send to {what} {addr}: it is {why}; IKE is sent to one unicast host only"
        ),
        None => Ok(()),
    }
}

/// Resolves `HOST[:PORT]` (`192.0.2.1`, `192.0.2.1:4500`, `vpn.example`, `[2001:db8::1]:500`,
/// `2001:db8::1`) to the one address that will be used, `default_port` when none is given.
/// Refuses broadcast, multicast and unspecified addresses — also when a name resolves to one.
pub fn resolve_target(host: &str, default_port: u16) -> anyhow::Result<SocketAddr> {
    let host = host.trim();
    if host.is_empty() {
        bail!("empty target: expected HOST[:PORT]");
    }
    // A bare IPv6 address has colons but no brackets.
    let (name, port) = if let Ok(ip) = host.parse::<IpAddr>() {
        (ip.to_string(), default_port)
    } else if let Ok(sa) = host.parse::<SocketAddr>() {
        (sa.ip().to_string(), sa.port())
    } else if let Some((h, p)) = host.rsplit_once(':') {
        if h.contains(':') && !h.starts_with('[') {
            bail!("target {host:?}: write an IPv6 address with a port as [ADDRESS]:PORT");
        }
        let port: u16 = p
            .parse()
            .with_context(|| format!("target {host:?}: port {p:?} is not a number 0–65535"))?;
        (h.trim_matches(['[', ']']).to_owned(), port)
    } else {
        (host.to_owned(), default_port)
    };
    if port == 0 {
        bail!("target {host:?}: port 0 cannot be sent to");
    }
    let addrs: Vec<SocketAddr> = (name.as_str(), port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {name}"))?
        .collect();
    let Some(first) = addrs.first().copied() else {
        bail!("{name} resolves to no address");
    };
    // A name that resolves to a multicast/broadcast address anywhere in its list is refused
    // outright rather than silently skipped: the user asked for that name.
    for a in &addrs {
        if let Some(why) = refusal(a.ip()) {
            let via = if name == a.ip().to_string() {
                String::new()
            } else {
                format!(" ({name} resolves to it)")
            };
            bail!(
                "refusing to send to {}{via}: it is {why}; IKE is sent to one unicast host only",
                a.ip()
            );
        }
    }
    Ok(first)
}

/// A rate limit: at most `rate` messages in any one-second window (one message every
/// 1/`rate` s). `--rate` of probe; replay uses one too.
#[derive(Debug, Clone)]
pub struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    /// `rate` messages per second (at least one message per hour is allowed whatever `rate`).
    pub fn new(rate: f64) -> Pacer {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            1.0 / 3600.0
        };
        Pacer {
            interval: Duration::from_secs_f64((1.0 / rate).min(3600.0)),
            next: None,
        }
    }

    /// Waits until the next message may go, and books that slot.
    pub async fn wait(&mut self) {
        let now = Instant::now();
        if let Some(at) = self.next {
            if at > now {
                tokio::time::sleep_until(at).await;
            }
        }
        let sent = Instant::now();
        self.next = Some(sent + self.interval);
    }
}

/// RFC 7296 §2.1 retransmission: the request is sent again after `initial`, then after twice
/// that, and so on (exponential backoff), at most `retries` times, and the exchange gives up
/// when `timeout` has passed since the first transmission.
#[derive(Debug, Clone, Copy)]
pub struct Retransmit {
    /// Wait before the first retransmission.
    pub initial: Duration,
    /// Retransmissions after the first transmission.
    pub retries: u32,
    /// Total time for the exchange.
    pub timeout: Duration,
}

impl Default for Retransmit {
    fn default() -> Self {
        Retransmit {
            initial: Duration::from_millis(500),
            retries: 5,
            timeout: Duration::from_secs(10),
        }
    }
}

/// What one request/response exchange gave.
#[derive(Debug, Clone)]
pub struct Exchanged {
    /// The response, from the first octet of the IKE header (non-ESP marker removed).
    pub response: Vec<u8>,
    /// How many times the request was sent (1 = no retransmission).
    pub transmissions: u32,
    /// Time from the first transmission to the response.
    pub elapsed: Duration,
}

/// A UDP "connection" to one IKE peer: port 500 (or the given port) first, port 4500 with the
/// non-ESP marker (RFC 3948 §2.2) after [`UdpTransport::switch_to_natt`].
#[derive(Debug)]
pub struct UdpTransport {
    sock: UdpSocket,
    peer: SocketAddr,
    natt: bool,
    pacer: Option<Pacer>,
    /// Largest datagram accepted.
    buf: Vec<u8>,
    /// Transmissions of the request of the last [`UdpTransport::exchange`].
    transmissions: u32,
}

impl UdpTransport {
    /// A socket on an ephemeral port (or `source_port`), connected to `peer`.
    pub async fn connect(peer: SocketAddr, source_port: Option<u16>) -> anyhow::Result<Self> {
        check_target(peer.ip(), "target")?;
        let sock = bind_connected(peer, source_port).await?;
        Ok(UdpTransport {
            sock,
            peer,
            natt: false,
            pacer: None,
            buf: vec![0; 65536],
            transmissions: 0,
        })
    }

    /// Every datagram (retransmissions too) will wait for `pacer`.
    pub fn set_pacer(&mut self, pacer: Pacer) {
        self.pacer = Some(pacer);
    }

    /// The peer.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The local address the peer sees (as the kernel chose it for this peer).
    pub fn local(&self) -> anyhow::Result<SocketAddr> {
        self.sock
            .local_addr()
            .context("local address of the socket")
    }

    /// Moves to the peer's port 4500 (RFC 7296 §2.23) from a new ephemeral local port: every
    /// IKE message from now on carries the non-ESP marker. Only when the peer was reached on
    /// port 500 (its NAT-T port is not known otherwise); returns whether it moved.
    pub async fn switch_to_natt(&mut self) -> anyhow::Result<bool> {
        if self.natt || self.peer.port() != IKE_PORT {
            return Ok(false);
        }
        let peer = SocketAddr::new(self.peer.ip(), NAT_T_PORT);
        self.sock = bind_connected(peer, None).await?;
        self.peer = peer;
        self.natt = true;
        Ok(true)
    }

    /// How many times the last [`UdpTransport::exchange`] sent its request (also when it got
    /// no answer).
    pub fn transmissions(&self) -> u32 {
        self.transmissions
    }

    /// Sends one IKE message (no retransmission, no answer awaited).
    pub async fn send(&mut self, message: &[u8]) -> anyhow::Result<()> {
        if let Some(p) = self.pacer.as_mut() {
            p.wait().await;
        }
        let res = if self.natt {
            let mut d = Vec::with_capacity(message.len() + 4);
            d.extend_from_slice(&NON_ESP_MARKER);
            d.extend_from_slice(message);
            self.sock.send(&d).await
        } else {
            self.sock.send(message).await
        };
        match res {
            Ok(_) => Ok(()),
            Err(e) => Err(e).with_context(|| format!("sending to {}", self.peer)),
        }
    }

    /// Sends `request` and waits for the datagram `is_response` accepts, retransmitting per
    /// `rt`. Datagrams it does not accept (late duplicates of an earlier response, ESP, NAT
    /// keepalives) are skipped. `None` when the time is up. An ICMP port unreachable ends the
    /// exchange with an error.
    pub async fn exchange(
        &mut self,
        request: &[u8],
        rt: Retransmit,
        is_response: impl Fn(&[u8]) -> bool,
    ) -> anyhow::Result<Option<Exchanged>> {
        let start = Instant::now();
        let deadline = start + rt.timeout;
        let mut wait = rt.initial;
        let mut transmissions = 0u32;
        loop {
            self.send(request).await?;
            transmissions += 1;
            self.transmissions = transmissions;
            let resend_at = if transmissions > rt.retries {
                deadline
            } else {
                (Instant::now() + wait).min(deadline)
            };
            while let Some(got) = self.recv_until(resend_at).await? {
                if is_response(got) {
                    return Ok(Some(Exchanged {
                        response: got.to_vec(),
                        transmissions,
                        elapsed: start.elapsed(),
                    }));
                }
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            wait = wait.saturating_mul(2);
        }
    }

    /// The next IKE message received before `until` (marker removed on 4500), or `None`.
    pub async fn recv_until(&mut self, until: Instant) -> anyhow::Result<Option<&[u8]>> {
        loop {
            let n = match tokio::time::timeout_at(until, self.sock.recv(&mut self.buf)).await {
                Err(_) => return Ok(None),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    bail!(
                        "{} refused the datagram (ICMP port unreachable): nothing listens there",
                        self.peer
                    )
                }
                Ok(Err(e)) => {
                    return Err(e).with_context(|| format!("receiving from {}", self.peer))
                }
                Ok(Ok(n)) => n,
            };
            let d = &self.buf[..n];
            let msg = if self.natt {
                // RFC 3948 §2: 0xFF alone is a keepalive, anything without the marker is ESP.
                match ike_after_marker(d) {
                    Some(m) => m,
                    None => continue,
                }
            } else {
                d
            };
            if msg.len() < Header::LEN {
                continue;
            }
            let len = msg.len();
            let start = n - len;
            return Ok(Some(&self.buf[start..n]));
        }
    }
}

async fn bind_connected(peer: SocketAddr, source_port: Option<u16>) -> anyhow::Result<UdpSocket> {
    let local: SocketAddr = match peer {
        SocketAddr::V4(_) => (std::net::Ipv4Addr::UNSPECIFIED, source_port.unwrap_or(0)).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, source_port.unwrap_or(0)).into(),
    };
    let sock = UdpSocket::bind(local)
        .await
        .with_context(|| format!("binding UDP {local}"))?;
    sock.connect(peer)
        .await
        .with_context(|| format!("connecting the UDP socket to {peer}"))?;
    Ok(sock)
}

/// True when `msg` is the response to the request with `spi_i` and `message_id`: an IKE header
/// ([`Header::parse`]) with the R flag, the same SPIi and Message ID. The caller parses the
/// whole message afterwards.
pub fn is_response_to(msg: &[u8], spi_i: u64, message_id: u32) -> bool {
    Header::parse(&mut Reader::new(msg, 0))
        .is_ok_and(|h| h.spi_i == spi_i && h.message_id == message_id && h.response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_broadcast_multicast_unspecified() {
        for t in [
            "255.255.255.255",
            "224.0.0.1",
            "239.255.255.250:500",
            "0.0.0.0",
            "ff02::1",
            "[ff05::2]:4500",
            "::",
            "::ffff:224.0.0.5",
        ] {
            let e = resolve_target(t, 500).unwrap_err().to_string();
            assert!(e.contains("refusing to send"), "{t}: {e}");
        }
        let e = resolve_target("224.0.0.1", 500).unwrap_err().to_string();
        assert!(e.contains("multicast"), "{e}");
    }

    #[test]
    fn resolves_forms() {
        for (target, want) in [
            ("127.0.0.1", "127.0.0.1:500"),
            ("192.0.2.255:4500", "192.0.2.255:4500"),
            ("::1", "[::1]:500"),
            ("[::1]:600", "[::1]:600"),
        ] {
            let want: SocketAddr = want.parse().unwrap();
            assert_eq!(resolve_target(target, 500).unwrap(), want, "{target}");
        }
        assert!(resolve_target("127.0.0.1:x", 500).is_err());
        assert!(resolve_target("127.0.0.1:0", 500).is_err());
        assert!(resolve_target("", 500).is_err());
    }

    #[tokio::test]
    async fn pacer_never_exceeds_the_rate() {
        let mut p = Pacer::new(100.0);
        let t0 = Instant::now();
        for _ in 0..11 {
            p.wait().await;
        }
        // 11 messages at 100/s: the 11th cannot go before 100 ms after the first.
        assert!(t0.elapsed() >= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn retransmits_and_matches() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        let mut t = UdpTransport::connect(addr, None).await.unwrap();
        let mut req = vec![0u8; 28];
        req[..8].copy_from_slice(&7u64.to_be_bytes());
        let h = std::thread::spawn(move || {
            let mut b = [0u8; 100];
            // Ignore the first transmission; answer the second with a wrong and a right reply.
            let (_, _) = server.recv_from(&mut b).unwrap();
            let (n, from) = server.recv_from(&mut b).unwrap();
            let mut resp = b[..n].to_vec();
            server.send_to(&resp, from).unwrap(); // no R flag: skipped
            resp[19] = 0x20;
            server.send_to(&resp, from).unwrap();
        });
        let rt = Retransmit {
            initial: Duration::from_millis(50),
            retries: 3,
            timeout: Duration::from_secs(5),
        };
        let got = t
            .exchange(&req, rt, |m| is_response_to(m, 7, 0))
            .await
            .unwrap()
            .unwrap();
        h.join().unwrap();
        assert_eq!(got.transmissions, 2);
        assert_eq!(got.response[19], 0x20);
    }

    #[tokio::test]
    async fn gives_up_after_the_retries() {
        // A peer that receives but never answers.
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut t = UdpTransport::connect(server.local_addr().unwrap(), None)
            .await
            .unwrap();
        let rt = Retransmit {
            initial: Duration::from_millis(20),
            retries: 2,
            timeout: Duration::from_millis(400),
        };
        let got = t.exchange(&[0u8; 28], rt, |_| true).await.unwrap();
        assert!(got.is_none());
        assert_eq!(t.transmissions(), 3);
        let mut b = [0u8; 64];
        server.set_nonblocking(true).unwrap();
        let mut n = 0;
        while server.recv(&mut b).is_ok() {
            n += 1;
        }
        assert_eq!(n, 3);
    }
}
