//! Live capture from a network interface (pnet's datalink layer: an AF_PACKET socket on Linux),
//! handing out [`Packet`]s exactly as the file reader does, so every command that reads a capture
//! can also read an interface.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use pnet_datalink::{Channel, DataLinkReceiver, NetworkInterface};

use super::{Packet, Timestamp};

/// LINKTYPE_ETHERNET: what an AF_PACKET socket delivers on Ethernet and on Linux loopback.
const LINKTYPE_ETHERNET: u32 = 1;
/// LINKTYPE_RAW: what it delivers on point-to-point interfaces without a link header (tun, wg).
const LINKTYPE_RAW: u32 = 101;

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
    pub fn open(name: &str) -> anyhow::Result<Self> {
        let interfaces = pnet_datalink::interfaces();
        let Some(iface) = interfaces.iter().find(|i| i.name == name) else {
            let names: Vec<&str> = interfaces.iter().map(|i| i.name.as_str()).collect();
            bail!(
                "no interface named {name:?} (interfaces here: {})",
                names.join(", ")
            );
        };
        let config = pnet_datalink::Config {
            // Wake up regularly to notice Ctrl-C even when no packet arrives.
            read_timeout: Some(Duration::from_millis(200)),
            ..Default::default()
        };
        let rx = match pnet_datalink::channel(iface, config).with_context(|| {
            format!("opening {name} for capture (this needs root or CAP_NET_RAW)")
        })? {
            Channel::Ethernet(_tx, rx) => rx,
            _ => return Err(anyhow!("{name}: unsupported channel type")),
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
    pub fn next_packet(&mut self) -> anyhow::Result<Option<Packet<'_>>> {
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
                Err(e) => return Err(anyhow!(e).context("reading from the interface")),
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

/// Interfaces without a link-layer header deliver bare IP packets.
fn linktype_of(iface: &NetworkInterface) -> u32 {
    if iface.is_point_to_point() && iface.mac.is_none() {
        LINKTYPE_RAW
    } else {
        LINKTYPE_ETHERNET
    }
}
