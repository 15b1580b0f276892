//! Forwarding to a Do53 resolver (RFC 1035 §4.2): UDP first, TCP when the answer comes back
//! truncated (TC, RFC 7766 §5) or UDP gets no answer.
//!
//! Each upstream query carries a fresh random ID (the DoH query's is usually 0, RFC 8484 §4.1)
//! and an answer is accepted only from the upstream's address with that ID and the same
//! question; the client's ID is put back.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};

/// Where and how patiently to forward.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The resolver.
    pub addr: SocketAddr,
    /// How long each UDP attempt waits.
    pub udp_timeout: Duration,
    /// UDP attempts before TCP.
    pub udp_tries: u32,
    /// The whole TCP exchange.
    pub tcp_timeout: Duration,
}

impl Upstream {
    /// 2 s per UDP try, two tries, 5 s for TCP.
    pub fn new(addr: SocketAddr) -> Upstream {
        Upstream {
            addr,
            udp_timeout: Duration::from_secs(2),
            udp_tries: 2,
            tcp_timeout: Duration::from_secs(5),
        }
    }

    /// Sends `query` to the upstream; its answer with the client's ID, or why there is none.
    pub async fn forward(&self, query: &Message) -> Result<Message, String> {
        let client_id = query.id();
        let mut q = query.clone();
        q.set_id(random_id());
        let wire = q.to_vec().map_err(|e| format!("encoding the query: {e}"))?;
        let mut answer = match self.udp(&q, &wire).await {
            Ok(Some(m)) if !m.truncated() => m,
            Ok(_) => self.tcp(&q, &wire).await?,
            Err(e) => return Err(e),
        };
        answer.set_id(client_id);
        Ok(answer)
    }

    /// Ok(None): no answer over UDP, or a truncated one — try TCP.
    async fn udp(&self, q: &Message, wire: &[u8]) -> Result<Option<Message>, String> {
        let bind: SocketAddr = if self.addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let sock = UdpSocket::bind(bind)
            .await
            .map_err(|e| format!("upstream {}: UDP socket: {e}", self.addr))?;
        sock.connect(self.addr)
            .await
            .map_err(|e| format!("upstream {}: {e}", self.addr))?;
        let mut buf = vec![0u8; 65_535];
        for _ in 0..self.udp_tries.max(1) {
            sock.send(wire)
                .await
                .map_err(|e| format!("upstream {}: UDP send: {e}", self.addr))?;
            let deadline = tokio::time::Instant::now() + self.udp_timeout;
            loop {
                let got = tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await;
                let Ok(got) = got else { break };
                // ICMP port unreachable shows as an error: no resolver there, TCP won't help.
                let n = got.map_err(|e| format!("upstream {} over UDP: {e}", self.addr))?;
                if let Some(m) = matching(q, &buf[..n]) {
                    return Ok(Some(m));
                }
            }
        }
        Ok(None)
    }

    async fn tcp(&self, q: &Message, wire: &[u8]) -> Result<Message, String> {
        let exchange = async {
            let mut s = TcpStream::connect(self.addr).await?;
            let len = u16::try_from(wire.len()).unwrap_or(u16::MAX);
            let mut framed = Vec::with_capacity(wire.len() + 2);
            framed.extend_from_slice(&len.to_be_bytes());
            framed.extend_from_slice(wire);
            s.write_all(&framed).await?;
            loop {
                let n = usize::from(s.read_u16().await?);
                let mut buf = vec![0u8; n];
                s.read_exact(&mut buf).await?;
                if let Some(m) = matching(q, &buf) {
                    return Ok::<_, std::io::Error>(m);
                }
            }
        };
        match tokio::time::timeout(self.tcp_timeout, exchange).await {
            Ok(Ok(m)) => Ok(m),
            Ok(Err(e)) => Err(format!("upstream {} over TCP: {e}", self.addr)),
            Err(_) => Err(format!(
                "upstream {} did not answer (UDP and TCP, {} s)",
                self.addr,
                self.tcp_timeout.as_secs()
            )),
        }
    }
}

/// The answer when `b` is a response to `q` (same ID, same question).
fn matching(q: &Message, b: &[u8]) -> Option<Message> {
    let m = Message::from_vec(b).ok()?;
    (m.id() == q.id()
        && m.message_type() == hickory_proto::op::MessageType::Response
        && m.queries() == q.queries())
    .then_some(m)
}

fn random_id() -> u16 {
    let mut b = [0u8; 2];
    if getrandom::fill(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        return (t ^ (t >> 16)) as u16;
    }
    u16::from_be_bytes(b)
}
