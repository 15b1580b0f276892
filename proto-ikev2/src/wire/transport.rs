//! How IKE messages travel: UDP port 500, UDP port 4500 with the non-ESP marker (RFC 7296
//! §2.23, RFC 3948), and TCP encapsulation (RFC 9329). Sans-I/O: the caller hands in datagram
//! payloads or stream bytes, and gets IKE messages (or ESP packet summaries) back.
//!
//! UDP port 4500 (RFC 3948 §2.1–2.3) multiplexes three things on the same ports:
//!
//! ```text
//!  NAT-keepalive (RFC 3948 §2.3)      one octet 0xFF
//!
//!  IKE (RFC 7296 §2.23, RFC 3948 §2.2)
//!   0                   1                   2                   3
//!   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |                      Non-ESP Marker (0)                       |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  ~                    IKE header [RFC7296] ...                   ~
//!
//!  ESP-in-UDP (RFC 3948 §2.1): the ESP header, whose SPI is never 0
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |               Security Parameters Index (SPI)                 |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |                      Sequence Number                          |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! TCP encapsulation (RFC 9329 §3, §3.1–3.2): the TCP initiator first sends the six octets
//! "IKETCP" (the stream prefix, §4); then each direction is a sequence of
//!
//! ```text
//!   0                   1                   2                   3
//!   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |            Length             |  Non-ESP Marker (0) ...       |
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//!  |   ...                         |  IKE header ...               ~
//!
//!  or
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |            Length             |  ESP header (SPI != 0) ...     ~
//! ```
//!
//! where Length counts itself: the message occupies Length − 2 octets after it. RFC 9329 §3:
//! "The value in the Length field MUST NOT be 0 or 1. The receiver MUST treat either value as a
//! fatal error."

use crate::error::Error;
use crate::wire::header::Header;

/// The IANA port for IKE (RFC 7296 §2).
pub const IKE_PORT: u16 = 500;
/// The IANA port for IKE and ESP behind NAT (RFC 3948, RFC 7296 §2.23).
pub const NAT_T_PORT: u16 = 4500;
/// The RFC 3948 §2.2 non-ESP marker: four zero octets before an IKE message on port 4500.
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];
/// The RFC 9329 §4 stream prefix, sent once by the TCP initiator.
pub const IKETCP_PREFIX: [u8; 6] = *b"IKETCP";

/// What a UDP datagram on an IKE port carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpPayload<'a> {
    /// An IKE message. Port 500: the datagram as is (`non_esp_marker` false); port 4500: the bytes
    /// after the 4-octet zero non-ESP marker (RFC 3948 §2.2, RFC 7296 §2.23). Not validated
    /// beyond that: the message parser reports truncation precisely.
    Ike {
        /// True when the message followed a non-ESP marker (port 4500).
        non_esp_marker: bool,
        /// The IKE message, from its first header byte.
        message: &'a [u8],
    },
    /// An RFC 3948 §2.3 NAT-keepalive: one octet 0xFF on port 4500.
    Keepalive,
    /// ESP-in-UDP (RFC 3948 §2.1) on port 4500: the ESP header's SPI and sequence number, and the
    /// length of the whole ESP packet.
    Esp {
        /// Security Parameters Index (never 0).
        spi: u32,
        /// Sequence Number.
        seq: u32,
        /// Length of the ESP packet (the whole UDP payload).
        len: usize,
    },
    /// Not IKE; the reason.
    NotIke(&'static str),
}

/// Classifies a UDP payload by its ports: if either port is 4500 the RFC 3948 multiplexing rules
/// apply (a NAT may have rewritten the other port); otherwise if either port is 500 the payload is
/// an IKE message as is; otherwise it is not IKE.
pub fn classify_udp(src_port: u16, dst_port: u16, payload: &[u8]) -> UdpPayload<'_> {
    if src_port == NAT_T_PORT || dst_port == NAT_T_PORT {
        classify_4500(payload)
    } else if src_port == IKE_PORT || dst_port == IKE_PORT {
        if payload.is_empty() {
            UdpPayload::NotIke("empty UDP payload on port 500")
        } else {
            UdpPayload::Ike {
                non_esp_marker: false,
                message: payload,
            }
        }
    } else {
        UdpPayload::NotIke("neither UDP port is 500 or 4500")
    }
}

/// The IKE message a datagram on port 4500 carries after the non-ESP marker (RFC 3948 §2.2);
/// `None` for a NAT-keepalive, ESP, or anything else.
pub fn ike_after_marker(datagram: &[u8]) -> Option<&[u8]> {
    match classify_4500(datagram) {
        UdpPayload::Ike { message, .. } => Some(message),
        _ => None,
    }
}

/// RFC 3948 §2: keepalive, non-ESP marker + IKE, or ESP.
fn classify_4500(payload: &[u8]) -> UdpPayload<'_> {
    match payload {
        [] => UdpPayload::NotIke("empty UDP payload on port 4500"),
        [0xff] => UdpPayload::Keepalive,
        [_] => UdpPayload::NotIke("1-octet UDP payload on port 4500 that is not the 0xFF NAT-keepalive"),
        [0, 0, 0, 0, message @ ..] => UdpPayload::Ike { non_esp_marker: true, message },
        [a, b, c, d, e, f, g, h, ..] => UdpPayload::Esp {
            spi: u32::from_be_bytes([*a, *b, *c, *d]),
            seq: u32::from_be_bytes([*e, *f, *g, *h]),
            len: payload.len(),
        },
        _ => UdpPayload::NotIke(
            "UDP payload on port 4500 too short for an ESP header (8 octets) and without a non-ESP marker",
        ),
    }
}

/// The (major, minor) version of an IKE message, read by [`Header::parse`], when the message
/// holds a whole fixed header (RFC 7296 §3.1; the ISAKMP header of RFC 2408 §3.1 has the same
/// size and places its version octet at the same offset). IKEv2 is (2, 0); IKEv1/ISAKMP is
/// (1, 0).
pub fn ike_version(message: &[u8]) -> Option<(u8, u8)> {
    if message.len() < Header::LEN {
        return None;
    }
    // The Version octet of a whole header (what `Header::parse` reads there, without the rest).
    let version = *message.get(17)?;
    Some((version >> 4, version & 0x0f))
}

/// One message out of an RFC 9329 TCP stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TcpFrame {
    /// An IKE message (the bytes after the length and the non-ESP marker).
    Ike(Vec<u8>),
    /// An ESP packet: its SPI, sequence number and length (without the 2-octet length field).
    Esp {
        /// Security Parameters Index (never 0).
        spi: u32,
        /// Sequence Number.
        seq: u32,
        /// Length of the ESP packet.
        len: usize,
    },
    /// A framing error. `offset` in the error counts from the first byte of this direction of
    /// the stream. After a fatal one (missing prefix, Length 0 or 1) the framer discards the
    /// rest of the stream, since message boundaries are lost.
    Error(Error),
}

/// Where a [`TcpFramer`] is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting the 6-octet "IKETCP" prefix (initiator side only).
    Prefix,
    /// Expecting a 2-octet Length.
    Length,
    /// Expecting `Length − 2` octets of message.
    Body(usize),
    /// Framing was lost; everything is discarded.
    Failed,
}

/// RFC 9329 TCP encapsulation: one direction of a TCP stream in, messages out.
///
/// Memory is bounded: at most one message (≤ 65533 octets) is buffered, whatever the size of the
/// chunks pushed.
#[derive(Debug, Clone)]
pub struct TcpFramer {
    state: State,
    buf: Vec<u8>,
    /// Offset in the stream of the first byte of `buf` (or of the next byte when it is empty).
    start: usize,
    /// Octets consumed so far.
    consumed: usize,
    /// Octets discarded after a fatal error.
    discarded: usize,
}

impl TcpFramer {
    /// A framer for one direction. The side that opened the TCP connection (sent the SYN)
    /// starts its stream with the "IKETCP" prefix (RFC 9329 §4); the other side does not.
    pub fn new(is_initiator_side: bool) -> Self {
        TcpFramer {
            state: if is_initiator_side {
                State::Prefix
            } else {
                State::Length
            },
            buf: Vec::new(),
            start: 0,
            consumed: 0,
            discarded: 0,
        }
    }

    /// Octets received but not yet part of a complete message (or prefix).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Octets thrown away after a fatal framing error.
    pub fn discarded(&self) -> usize {
        self.discarded
    }

    /// True once framing was lost (a fatal error was reported).
    pub fn failed(&self) -> bool {
        self.state == State::Failed
    }

    /// Feeds the next bytes of the stream; returns every message they complete, in order.
    pub fn push(&mut self, mut bytes: &[u8]) -> Vec<TcpFrame> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let want = match self.state {
                State::Failed => {
                    self.discarded = self.discarded.saturating_add(bytes.len());
                    self.consumed = self.consumed.saturating_add(bytes.len());
                    break;
                }
                State::Prefix => IKETCP_PREFIX.len(),
                State::Length => 2,
                State::Body(n) => n,
            };
            let take = want.saturating_sub(self.buf.len()).min(bytes.len());
            let (head, tail) = bytes.split_at(take);
            self.buf.extend_from_slice(head);
            self.consumed = self.consumed.saturating_add(take);
            bytes = tail;
            if self.buf.len() < want {
                break;
            }
            if let Some(frame) = self.complete() {
                out.push(frame);
            }
        }
        out
    }

    /// `buf` holds exactly what the state wanted: act on it.
    fn complete(&mut self) -> Option<TcpFrame> {
        let at = self.start;
        let buf = std::mem::take(&mut self.buf);
        self.start = self.start.saturating_add(buf.len());
        match self.state {
            State::Prefix => {
                if buf == IKETCP_PREFIX {
                    self.state = State::Length;
                    return None;
                }
                self.state = State::Failed;
                let reason = if buf.first() == Some(&0x16) && buf.get(1) == Some(&0x03) {
                    format!(
                        "expected the \"IKETCP\" stream prefix, found a TLS handshake record ({}): \
                         the stream is TLS-protected (RFC 9329 §3.3) and cannot be decoded",
                        hex::encode(&buf)
                    )
                } else {
                    format!(
                        "expected the \"IKETCP\" stream prefix (RFC 9329 §4), found {}; framing \
                         is lost (did the capture start mid-stream?)",
                        hex::encode(&buf)
                    )
                };
                Some(TcpFrame::Error(Error::invalid("stream prefix", at, reason)))
            }
            State::Length => {
                let len = match buf.as_slice() {
                    [a, b] => usize::from(u16::from_be_bytes([*a, *b])),
                    _ => 0,
                };
                match len {
                    0 | 1 => {
                        self.state = State::Failed;
                        Some(TcpFrame::Error(Error::invalid(
                            "Length",
                            at,
                            format!(
                                "Length {len} is a fatal error (RFC 9329 §3: it counts its own 2 \
                                 octets, so it MUST NOT be 0 or 1); framing is lost"
                            ),
                        )))
                    }
                    2 => Some(TcpFrame::Error(Error::invalid(
                        "Length",
                        at,
                        "Length 2: an empty message (neither a non-ESP marker nor an ESP header)",
                    ))),
                    n => {
                        self.state = State::Body(n - 2);
                        None
                    }
                }
            }
            State::Body(_) => {
                self.state = State::Length;
                Some(Self::message(buf, at))
            }
            State::Failed => None,
        }
    }

    /// A complete message body that started at stream offset `at`.
    fn message(body: Vec<u8>, at: usize) -> TcpFrame {
        match body.as_slice() {
            [0, 0, 0, 0, rest @ ..] => TcpFrame::Ike(rest.to_vec()),
            [a, b, c, d, e, f, g, h, ..] => TcpFrame::Esp {
                spi: u32::from_be_bytes([*a, *b, *c, *d]),
                seq: u32::from_be_bytes([*e, *f, *g, *h]),
                len: body.len(),
            },
            _ => TcpFrame::Error(Error::invalid(
                "Length",
                at.saturating_sub(2),
                format!(
                    "Length {}: a {}-octet message is neither a non-ESP marker + IKE message nor \
                     an 8-octet ESP header (skipped)",
                    body.len() + 2,
                    body.len()
                ),
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    /// A 28-octet IKEv2 header (IKE_SA_INIT request, no payloads).
    fn ike_header() -> Vec<u8> {
        let mut v = vec![0x11; 8]; // IKE SA initiator's SPI
        v.extend([0; 8]); // IKE SA responder's SPI
        v.push(0); // Next Payload: none
        v.push(0x20); // MjVer 2, MnVer 0
        v.push(34); // Exchange Type IKE_SA_INIT
        v.push(0x08); // Flags: Initiator
        v.extend([0, 0, 0, 0]); // Message ID
        v.extend(28u32.to_be_bytes()); // Length
        v
    }

    #[test]
    fn udp_port_500_is_the_message_as_is() {
        let h = ike_header();
        assert_eq!(
            classify_udp(500, 500, &h),
            UdpPayload::Ike {
                non_esp_marker: false,
                message: &h
            }
        );
        // NAT rewrote the source port.
        assert_eq!(
            classify_udp(1500, 500, &h),
            UdpPayload::Ike {
                non_esp_marker: false,
                message: &h
            }
        );
        assert!(matches!(classify_udp(500, 500, &[]), UdpPayload::NotIke(_)));
        assert!(matches!(classify_udp(53, 5353, &h), UdpPayload::NotIke(r) if r.contains("500")));
    }

    #[test]
    fn udp_port_4500_marker_keepalive_esp() {
        let h = ike_header();
        let mut with_marker = vec![0, 0, 0, 0]; // non-ESP marker
        with_marker.extend(&h);
        assert_eq!(
            classify_udp(14500, 4500, &with_marker),
            UdpPayload::Ike {
                non_esp_marker: true,
                message: &h
            }
        );
        assert_eq!(classify_udp(4500, 4500, &[0xff]), UdpPayload::Keepalive);
        assert!(matches!(
            classify_udp(4500, 4500, &[0x00]),
            UdpPayload::NotIke(_)
        ));
        let esp = [
            0xc0, 0x01, 0x02, 0x03, // SPI
            0x00, 0x00, 0x00, 0x07, // Sequence Number
            0xaa, 0xbb, // payload...
        ];
        assert_eq!(
            classify_udp(4500, 61000, &esp),
            UdpPayload::Esp {
                spi: 0xc001_0203,
                seq: 7,
                len: 10
            }
        );
        assert!(matches!(
            classify_udp(4500, 4500, &[1, 2, 3, 4, 5]),
            UdpPayload::NotIke(_)
        ));
        // 4500 wins over 500 when both appear.
        assert_eq!(classify_udp(500, 4500, &[0xff]), UdpPayload::Keepalive);
    }

    #[test]
    fn version_octet() {
        let mut h = ike_header();
        assert_eq!(ike_version(&h), Some((2, 0)));
        h[17] = 0x10;
        assert_eq!(ike_version(&h), Some((1, 0)));
        assert_eq!(ike_version(&h[..27]), None);
    }

    fn framed(body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 2) as u16).to_be_bytes().to_vec(); // Length, counts itself
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn tcp_initiator_stream_byte_by_byte() {
        let h = ike_header();
        let mut stream = IKETCP_PREFIX.to_vec();
        let mut ike = vec![0, 0, 0, 0]; // non-ESP marker
        ike.extend(&h);
        stream.extend(framed(&ike));
        let esp = [0, 0, 0x10, 0x01, 0, 0, 0, 3, 0xde, 0xad]; // SPI 0x1001, seq 3, 2 bytes
        stream.extend(framed(&esp));

        let mut f = TcpFramer::new(true);
        let mut got = Vec::new();
        for b in &stream {
            got.extend(f.push(std::slice::from_ref(b)));
        }
        assert_eq!(
            got,
            vec![
                TcpFrame::Ike(h.clone()),
                TcpFrame::Esp {
                    spi: 0x1001,
                    seq: 3,
                    len: 10
                }
            ]
        );
        assert_eq!(f.pending(), 0);

        // All at once gives the same.
        let mut f = TcpFramer::new(true);
        assert_eq!(f.push(&stream).len(), 2);

        // Half a message stays pending.
        let mut f = TcpFramer::new(true);
        assert!(f.push(&stream[..20]).is_empty());
        assert_eq!(f.pending(), 20 - 6 - 2);
    }

    #[test]
    fn tcp_responder_has_no_prefix() {
        let h = ike_header();
        let mut ike = vec![0, 0, 0, 0];
        ike.extend(&h);
        let mut f = TcpFramer::new(false);
        assert_eq!(f.push(&framed(&ike)), vec![TcpFrame::Ike(h)]);
    }

    #[test]
    fn tcp_missing_prefix_is_fatal() {
        let mut f = TcpFramer::new(true);
        let out = f.push(b"\x00\x20\x00\x00\x00\x00rest of it");
        let [TcpFrame::Error(e)] = out.as_slice() else {
            panic!("{out:?}")
        };
        assert_eq!(e.field, "stream prefix");
        assert_eq!(e.offset, 0);
        assert!(e.to_string().contains("IKETCP"), "{e}");
        assert!(f.failed());
        assert!(f.push(b"more").is_empty());
        assert_eq!(f.discarded(), 10 + 4);

        let mut f = TcpFramer::new(true);
        let out = f.push(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]);
        let [TcpFrame::Error(e)] = out.as_slice() else {
            panic!("{out:?}")
        };
        assert!(e.to_string().contains("TLS"), "{e}");
    }

    #[test]
    fn tcp_bad_lengths() {
        // Length 1: fatal.
        let mut f = TcpFramer::new(false);
        let out = f.push(&[0x00, 0x01, 0xaa]);
        let [TcpFrame::Error(e)] = out.as_slice() else {
            panic!("{out:?}")
        };
        assert_eq!((e.field, e.offset), ("Length", 0));
        assert!(f.failed());

        // Length 5: three octets, skipped; the next message still decodes.
        let mut f = TcpFramer::new(false);
        let mut s = framed(&[1, 2, 3]);
        let esp = [0, 0, 0, 9, 0, 0, 0, 1];
        s.extend(framed(&esp));
        let out = f.push(&s);
        assert_eq!(out.len(), 2, "{out:?}");
        let TcpFrame::Error(e) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(e.offset, 0);
        assert!(e.to_string().contains("Length 5"), "{e}");
        assert_eq!(
            out[1],
            TcpFrame::Esp {
                spi: 9,
                seq: 1,
                len: 8
            }
        );

        // Length 2: empty message, reported and skipped.
        let mut f = TcpFramer::new(false);
        let out = f.push(&[
            0, 2, // Length 2: nothing follows
            0, 10, // Length 10
            0, 0, 0, 9, // SPI 9
            0, 0, 0, 1, // Sequence Number 1
        ]);
        assert!(matches!(&out[0], TcpFrame::Error(e) if e.to_string().contains("empty")));
        assert_eq!(
            out[1],
            TcpFrame::Esp {
                spi: 9,
                seq: 1,
                len: 8
            }
        );
    }

    #[test]
    fn tcp_buffer_is_bounded_by_one_message() {
        let mut f = TcpFramer::new(false);
        let mut body = vec![0u8; 4]; // non-ESP marker
        body.resize(65533, 0x5a); // the largest message Length 65535 allows
        let msg = framed(&body);
        let mut s = Vec::new();
        for _ in 0..4 {
            s.extend(&msg);
        }
        let out = f.push(&s);
        assert_eq!(out.len(), 4);
        assert!(matches!(&out[3], TcpFrame::Ike(m) if m.len() == 65529));
        assert_eq!(f.pending(), 0);
        assert!(f.buf.capacity() <= 65535);
    }
}
