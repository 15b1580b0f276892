//! RFC 9329 TCP encapsulation followed across the directions of a capture: one
//! [`TcpFramer`] per direction, and resynchronisation where message boundaries are unknown.
//!
//! The side that sent the SYN starts with the "IKETCP" prefix (RFC 9329 §4). When a direction
//! has a hole (octets the capture never saw) or the capture started mid-stream, message
//! boundaries are unknown: the stream is scanned for the next plausible `Length | 0x00000000 |
//! IKE header` whose IKE Length ([`Header::parse`]) agrees with the TCP Length, and framing
//! resumes there. Each direction holds at most one message (≤ 65535 octets) or, while
//! resynchronising, [`RESYNC_WINDOW`] octets; at most [`MAX_TCP_DIRECTIONS`] directions are
//! followed (the least recently used is dropped beyond).

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;

use crate::error::Error;
use crate::wire::header::Header;
use crate::wire::reader::Reader;
use crate::wire::transport::{TcpFrame, TcpFramer, IKETCP_PREFIX};

/// Octets a direction may hold while looking for a message boundary after a hole.
pub const RESYNC_WINDOW: usize = 128 * 1024;
/// TCP directions followed at once (least recently used dropped beyond).
pub const MAX_TCP_DIRECTIONS: usize = 4096;

/// `Length (2) | non-ESP marker (4) | IKE header (28)`: the shortest framed IKE message.
const MIN_FRAMED_IKE: usize = 2 + 4 + Header::LEN;

/// Stream octets of one TCP direction, in order, as a TCP reassembler hands them over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpChunk<'a> {
    /// The octets.
    pub bytes: &'a [u8],
    /// Offset of `bytes` in this direction's stream (0 = the first octet after the SYN).
    pub stream_offset: u64,
    /// Octets of the stream never seen just before `bytes` (0: contiguous).
    pub gap_before: u64,
    /// `Some(true)`: this direction opened the connection (sent the SYN); `Some(false)`: it
    /// sent the SYN-ACK; `None`: no SYN seen (the capture started mid-stream).
    pub from_initiator: Option<bool>,
}

/// A problem of one TCP direction's stream; `src > dst` names the direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpProblem {
    /// The connection restarted (a SYN on the same 4-tuple) in the middle of a message.
    Restarted {
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// Octets of the unfinished message.
        pending: usize,
    },
    /// Octets of the stream were not captured.
    Hole {
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// Octets missing.
        octets: u64,
    },
    /// Octets skipped before the next message once boundaries were unknown.
    Skipped {
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// Octets skipped.
        octets: u64,
    },
    /// RFC 9329 framing error.
    Framing {
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// What is wrong (offsets count from the first octet of the direction's stream).
        error: Error,
    },
}

impl fmt::Display for TcpProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpProblem::Restarted { src, dst, pending } => write!(
                f,
                "TCP {src} > {dst}: connection restarted with {pending} octet(s) of an \
                 unfinished message pending"
            ),
            TcpProblem::Hole { src, dst, octets } => write!(
                f,
                "TCP {src} > {dst}: {octets} octet(s) of the stream were not captured; looking \
                 for the next IKE message"
            ),
            TcpProblem::Skipped { src, dst, octets } => write!(
                f,
                "TCP {src} > {dst}: {octets} octet(s) skipped before the next IKE message \
                 (message boundaries were unknown)"
            ),
            TcpProblem::Framing { src, dst, error } => {
                write!(f, "TCP {src} > {dst}: RFC 9329 framing: {error}")
            }
        }
    }
}

/// What a TCP direction left behind (see [`crate::decoder::Decoder::finish`]), or a direction dropped
/// because too many were followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpLeftover {
    /// The direction was dropped: more than [`MAX_TCP_DIRECTIONS`] were followed.
    Dropped {
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
    },
    /// An unfinished message at the end of the capture.
    Unfinished {
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// Octets of it.
        octets: usize,
    },
    /// Octets after a hole that never led to a message boundary.
    Unsynchronised {
        /// Sender.
        src: SocketAddr,
        /// Receiver.
        dst: SocketAddr,
        /// Octets.
        octets: u64,
    },
}

impl fmt::Display for TcpLeftover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpLeftover::Dropped { src, dst } => write!(
                f,
                "TCP {src} > {dst}: no longer followed (more than {MAX_TCP_DIRECTIONS} TCP \
                 directions on port 4500)"
            ),
            TcpLeftover::Unfinished { src, dst, octets } => write!(
                f,
                "TCP {src} > {dst}: {octets} octet(s) of an unfinished message at the end of \
                 the capture"
            ),
            TcpLeftover::Unsynchronised { src, dst, octets } => write!(
                f,
                "TCP {src} > {dst}: {octets} octet(s) after a hole never led to an IKE message"
            ),
        }
    }
}

/// One unit out of a TCP direction.
#[derive(Debug)]
pub(crate) enum TcpUnit {
    /// A framed message (IKE, ESP, or a framing error).
    Frame(TcpFrame),
    /// A problem of the stream.
    Problem(TcpProblem),
}

#[derive(Debug)]
enum Framing {
    /// Boundaries known.
    Framed(TcpFramer),
    /// Looking for a boundary; the octets seen since, and how many were dropped.
    Resync { buf: Vec<u8>, dropped: u64 },
}

impl Framing {
    fn resync() -> Framing {
        Framing::Resync {
            buf: Vec::new(),
            dropped: 0,
        }
    }
}

#[derive(Debug)]
struct Direction {
    framing: Framing,
    /// Stream offset of the next octet expected.
    next_offset: u64,
    last_used: u64,
}

impl Direction {
    /// A direction whose first octets delivered are `chunk`'s.
    fn new(chunk: &TcpChunk<'_>, clock: u64) -> Direction {
        let start = chunk.gap_before == 0 && chunk.stream_offset == 0;
        let framing = match chunk.from_initiator {
            Some(initiator) if start => Framing::Framed(TcpFramer::new(initiator)),
            // The SYN was not seen: only a stream that starts with the prefix is known to start
            // at a boundary.
            None if start && chunk.bytes.starts_with(&IKETCP_PREFIX) => {
                Framing::Framed(TcpFramer::new(true))
            }
            _ => Framing::resync(),
        };
        Direction {
            framing,
            next_offset: chunk.stream_offset,
            last_used: clock,
        }
    }
}

/// Every TCP direction on port 4500, framed per RFC 9329.
#[derive(Debug, Default)]
pub(crate) struct TcpStreams {
    directions: HashMap<(SocketAddr, SocketAddr), Direction>,
    clock: u64,
    /// Directions dropped since the last [`TcpStreams::take_dropped`].
    dropped: Vec<TcpLeftover>,
}

impl TcpStreams {
    /// Stream octets of the direction `src` → `dst`: the units they complete, in order.
    pub(crate) fn push(
        &mut self,
        src: SocketAddr,
        dst: SocketAddr,
        chunk: &TcpChunk<'_>,
    ) -> Vec<TcpUnit> {
        self.clock += 1;
        let clock = self.clock;
        let key = (src, dst);
        let mut out = Vec::new();
        match self.directions.get_mut(&key) {
            Some(dir) if chunk.gap_before == 0 && chunk.stream_offset == dir.next_offset => {
                dir.last_used = clock;
            }
            Some(dir) if chunk.gap_before == 0 && chunk.stream_offset == 0 => {
                // A new connection on the same 4-tuple (SYN with another ISN).
                if let Framing::Framed(f) = &dir.framing {
                    if f.pending() > 0 {
                        out.push(TcpUnit::Problem(TcpProblem::Restarted {
                            src,
                            dst,
                            pending: f.pending(),
                        }));
                    }
                }
                *dir = Direction::new(chunk, clock);
            }
            Some(dir) => {
                dir.last_used = clock;
                if chunk.gap_before > 0 {
                    out.push(TcpUnit::Problem(TcpProblem::Hole {
                        src,
                        dst,
                        octets: chunk.gap_before,
                    }));
                }
                dir.framing = Framing::resync();
            }
            None => {
                if self.directions.len() >= MAX_TCP_DIRECTIONS {
                    if let Some(old) = self
                        .directions
                        .iter()
                        .min_by_key(|(_, d)| d.last_used)
                        .map(|(k, _)| *k)
                    {
                        self.directions.remove(&old);
                        if self.dropped.len() < 1000 {
                            self.dropped.push(TcpLeftover::Dropped {
                                src: old.0,
                                dst: old.1,
                            });
                        }
                    }
                }
                self.directions.insert(key, Direction::new(chunk, clock));
            }
        }
        let Some(dir) = self.directions.get_mut(&key) else {
            return out;
        };
        dir.next_offset = chunk.stream_offset.saturating_add(chunk.bytes.len() as u64);
        let mut resumed: Option<Vec<u8>> = None;
        if let Framing::Resync { buf, dropped } = &mut dir.framing {
            buf.extend_from_slice(chunk.bytes);
            let Some(p) = find_boundary(buf) else {
                if buf.len() > RESYNC_WINDOW {
                    let cut = buf.len() - (MIN_FRAMED_IKE - 1);
                    buf.drain(..cut);
                    *dropped += cut as u64;
                }
                return out;
            };
            let skipped = *dropped + p as u64;
            if skipped > 0 {
                out.push(TcpUnit::Problem(TcpProblem::Skipped {
                    src,
                    dst,
                    octets: skipped,
                }));
            }
            resumed = Some(buf.split_off(p));
            dir.framing = Framing::Framed(TcpFramer::new(false));
        }
        if let Framing::Framed(f) = &mut dir.framing {
            let data = resumed.as_deref().unwrap_or(chunk.bytes);
            out.extend(f.push(data).into_iter().map(TcpUnit::Frame));
        }
        out
    }

    /// Directions dropped since the last call (more than [`MAX_TCP_DIRECTIONS`] followed).
    pub(crate) fn take_dropped(&mut self) -> Vec<TcpLeftover> {
        std::mem::take(&mut self.dropped)
    }

    /// What was left incomplete, by direction; clears the state.
    pub(crate) fn finish(&mut self) -> Vec<TcpLeftover> {
        let mut left: Vec<_> = self.directions.drain().collect();
        left.sort_by_key(|(k, _)| *k);
        let mut out = Vec::new();
        for ((src, dst), d) in left {
            match d.framing {
                Framing::Framed(f) if f.pending() > 0 => out.push(TcpLeftover::Unfinished {
                    src,
                    dst,
                    octets: f.pending(),
                }),
                Framing::Resync { buf, dropped } if !buf.is_empty() || dropped > 0 => {
                    out.push(TcpLeftover::Unsynchronised {
                        src,
                        dst,
                        octets: buf.len() as u64 + dropped,
                    })
                }
                _ => {}
            }
        }
        out
    }
}

/// The first offset in `buf` where an RFC 9329 frame holding an IKE message plausibly starts:
/// `Length`, the non-ESP marker, an IKE header of major version 1 or 2 whose Length is the TCP
/// Length minus the 6 octets before it.
fn find_boundary(buf: &[u8]) -> Option<usize> {
    let last = buf.len().checked_sub(MIN_FRAMED_IKE)?;
    (0..=last).find(|&p| {
        let mut r = Reader::new(&buf[p..p + MIN_FRAMED_IKE], p);
        let (Ok(len), Ok(marker)) = (r.u16("Length"), r.u32("non-ESP marker")) else {
            return false;
        };
        let Ok(h) = Header::parse(&mut r) else {
            return false;
        };
        let len = usize::from(len);
        marker == 0
            && matches!(h.major_version, 1 | 2)
            && len >= MIN_FRAMED_IKE
            && usize::try_from(h.length).is_ok_and(|l| l + 6 == len)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 28-octet IKEv2 header: IKE_SA_INIT request, no payloads.
    fn ike() -> Vec<u8> {
        let mut v = vec![1; 8]; // IKE SA Initiator's SPI
        v.extend([0; 8]); // IKE SA Responder's SPI
        v.extend([0, 0x20, 34, 0x08]); // Next Payload, version 2.0, IKE_SA_INIT, Flags: I
        v.extend([0, 0, 0, 0]); // Message ID 0
        v.extend(28u32.to_be_bytes()); // Length 28
        v
    }

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 2 + 4) as u16).to_be_bytes().to_vec(); // Length counts itself
        v.extend([0, 0, 0, 0]); // non-ESP marker
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn boundary_scan() {
        let mut b = vec![1, 2, 3];
        b.extend(framed(&ike()));
        assert_eq!(find_boundary(&b), Some(3));
        assert_eq!(find_boundary(&b[..20]), None);
        // Wrong IKE Length: not a boundary.
        let mut bad = framed(&ike());
        bad[2 + 4 + 27] = 29;
        assert_eq!(find_boundary(&bad), None);
    }
}
