//! Live capture from a network interface (pnet's datalink layer: an AF_PACKET socket on Linux),
//! handing out [`Packet`]s exactly as the file reader does, so every command that reads a capture
//! can also read an interface. Cargo feature `live`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pnet_datalink::{Channel, DataLinkReceiver, NetworkInterface};

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
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Ok(Some(Packet {
            number: self.number,
            ts: Timestamp {
                secs: now.as_secs(),
                nanos: now.subsec_nanos(),
            },
            linktype: self.linktype,
            data: &self.buf,
            orig_len: u32::try_from(self.buf.len()).unwrap_or(u32::MAX),
        }))
    }
}

/// What an AF_PACKET socket delivers: LINKTYPE_ETHERNET on Ethernet and on Linux loopback;
/// LINKTYPE_RAW (bare IP packets) on point-to-point interfaces without a link header (tun, wg).
fn linktype_of(iface: &NetworkInterface) -> u32 {
    if iface.is_point_to_point() && iface.mac.is_none() {
        linktype::RAW
    } else {
        linktype::ETHERNET
    }
}
