//! # ietfwg-capture
//!
//! Packet captures, with no protocol knowledge above UDP and TCP: what the `ietfwg` binary reads
//! and writes, and where in a captured packet the bytes a protocol decoder wants are.
//!
//! | module | covers |
//! |---|---|
//! | [`read`] | [`CaptureReader`]: streaming pcap (both byte orders, µs and ns) and pcapng (several interfaces and link types, `if_tsresol`/`if_tsoffset`) over any [`std::io::Read`] |
//! | [`mod@write`] | [`CaptureWriter`]: pcap (ns) and pcapng (`if_tsresol` = ns) output, to any [`std::io::Write`], a file or stdout |
//! | [`link`] | link-layer walking (Ethernet + 802.1Q/QinQ, BSD loopback, raw IP, Linux SLL/SLL2) and [`ip_payload`] |
//! | [`wpan`] | [`wpan_frame`]: where an IEEE 802.15.4 frame sits in a packet and what the encapsulation says about its FCS (DLT 195/230/283, ZEP, Linux wpan devices, raw frames under DLT 101) |
//! | [`ble`] | [`ble_packet`]: the Bluetooth LE link-layer packet or HCI packet of DLT 251/256/272/201/254, with the direction and radio metadata their pseudo-headers give |
//! | [`lowpan_eth`] | [`lowpan_ethernet`]: a bare 6LoWPAN payload in Ethernet with the LoWPAN EtherType 0xA0ED (RFC 7973), and writing such frames |
//! | [`zep`] | the ZigBee Encapsulation Protocol header (v1, v2 data, v2 ack) |
//! | [`ipfrag`] | IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5) fragment reassembly, bounded |
//! | [`tcp`] | TCP stream reassembly per direction (RFC 9293 §3.4), bounded |
//! | [`flows`] | [`Flows`]: packets → UDP datagrams and in-order TCP stream bytes |
//! | `live` | `LiveCapture` (cargo feature `live`): packets from a network interface through pnet (Ethernet, loopback, raw IP, Linux wpan and wpan monitor devices); `ZepListener`: ZEP datagrams received on a UDP socket, as packets |
//!
//! Everything but `live` and the file/stdout constructors is sans-I/O: the reader takes any
//! byte stream, the writer any sink, the reassemblers take packets.
//!
//! Nothing here panics on input: every malformed capture or packet is an error value. Errors of
//! the reader and writer ([`ReadError`], [`WriteError`]) name the frame number and the file
//! offset; errors about one packet ([`LinkError`], [`WpanError`], [`IpError`], [`FlowError`])
//! name the byte offset within the layer they concern (the caller has [`Packet::number`]).
//! [`Error`] gathers them all.
#![forbid(unsafe_code)]

pub mod ble;
pub mod flows;
pub mod ipfrag;
pub mod link;
#[cfg(feature = "live")]
pub mod live;
pub mod lowpan_eth;
pub mod read;
pub mod tcp;
pub mod wpan;
pub mod write;
pub mod zep;

use std::fmt;

pub use ble::{ble_packet, is_ble_linktype, Ble, BleDirection, HciType, LlMeta};
pub use flows::{FlowError, Flows};
pub use ipfrag::IpError;
pub use link::{ip_payload, LinkError};
#[cfg(feature = "live")]
pub use live::{LiveCapture, LiveError, ZepListener};
pub use lowpan_eth::{lowpan_ethernet, LowpanEthernet};
pub use read::{CaptureReader, ReadError};
pub use wpan::{wpan_frame, Encap, Fcs, Wpan, WpanError, WpanFrame};
pub use write::{CaptureWriter, Format, WriteError};
pub use zep::{ZepError, ZepHeader};

/// Any error of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a capture.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Writing a capture.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// A packet's link layer.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// Finding a packet's IEEE 802.15.4 frame.
    #[error(transparent)]
    Wpan(#[from] WpanError),
    /// An IP header or fragment.
    #[error(transparent)]
    Ip(#[from] IpError),
    /// A packet's transport layer.
    #[error(transparent)]
    Flow(#[from] FlowError),
    /// Live capture.
    #[cfg(feature = "live")]
    #[error(transparent)]
    Live(#[from] LiveError),
}

/// A capture timestamp: seconds since the Unix epoch and nanoseconds within the second.
///
/// Displays as `secs.nnnnnnnnn` (always nine fraction digits, like `tshark -t e`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub secs: u64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    /// Nanoseconds since the epoch (saturates at `u64::MAX`, i.e. in the year 2554).
    pub fn as_nanos(&self) -> u64 {
        self.secs
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(self.nanos))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

/// One captured packet, borrowed from the reader's buffer until the next
/// [`CaptureReader::next_packet`] call.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// 1-based frame number, as tshark numbers frames.
    pub number: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// LINKTYPE_* value of the interface the packet was captured on (per interface in pcapng).
    pub linktype: u32,
    /// The captured bytes (at most the snapshot length).
    pub data: &'a [u8],
    /// The packet's length on the wire (may exceed `data.len()` when the capture was sliced).
    pub orig_len: u32,
}

/// LINKTYPE_* values this crate knows by name (tcpdump.org link-layer header types registry).
pub mod linktype {
    /// BSD loopback, 4-byte address family in the capturing host's byte order.
    pub const NULL: u32 = 0;
    /// IEEE 802.3 Ethernet.
    pub const ETHERNET: u32 = 1;
    /// Raw IP (IPv4 or IPv6, decided by the version nibble).
    pub const RAW: u32 = 101;
    /// OpenBSD loopback, 4-byte address family in network byte order.
    pub const LOOP: u32 = 108;
    /// Linux "cooked" capture v1 (16-byte header).
    pub const LINUX_SLL: u32 = 113;
    /// IEEE 802.15.4 with a 2-byte FCS at the end.
    pub const IEEE802_15_4_WITHFCS: u32 = 195;
    /// Bluetooth HCI over the H4 UART transport, with a 4-byte direction header.
    pub const BLUETOOTH_HCI_H4_WITH_PHDR: u32 = 201;
    /// Bluetooth LE link-layer packets (access address to CRC).
    pub const BLUETOOTH_LE_LL: u32 = 251;
    /// Linux Bluetooth monitor (btmon): adapter index and opcode, then the HCI packet.
    pub const BLUETOOTH_LINUX_MONITOR: u32 = 254;
    /// Bluetooth LE link-layer packets after a 10-byte radio pseudo-header.
    pub const BLUETOOTH_LE_LL_WITH_PHDR: u32 = 256;
    /// Nordic Semiconductor nRF Sniffer for Bluetooth LE records.
    pub const NORDIC_BLE: u32 = 272;
    /// IEEE 802.15.4 non-ASK PHY (preamble, SFD and PHR before the frame).
    pub const IEEE802_15_4_NONASK_PHY: u32 = 215;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// IEEE 802.15.4 without FCS.
    pub const IEEE802_15_4_NOFCS: u32 = 230;
    /// Linux "cooked" capture v2 (20-byte header).
    pub const LINUX_SLL2: u32 = 276;
    /// IEEE 802.15.4 with a TAP (TLV metadata) header.
    pub const IEEE802_15_4_TAP: u32 = 283;
    /// BACnet MS/TP frames, preamble first (6LoWPAN in frame type 34, RFC 8163).
    pub const BACNET_MS_TP: u32 = 165;
    /// NFC LLCP PDUs behind a 2-octet pseudo-header (6LoWPAN in UI/I PDUs, RFC 9428).
    pub const NFC_LLCP: u32 = 245;
    /// ITU-T G.9959 (Z-Wave) R1/R2 frames (6LoWPAN, RFC 7428).
    pub const ZWAVE_R1_R2: u32 = 261;

    /// The registry name of a link type, or `"unknown"`.
    pub fn name(linktype: u32) -> &'static str {
        match linktype {
            NULL => "NULL",
            ETHERNET => "ETHERNET",
            RAW => "RAW",
            LOOP => "LOOP",
            LINUX_SLL => "LINUX_SLL",
            IEEE802_15_4_WITHFCS => "IEEE802_15_4_WITHFCS",
            IEEE802_15_4_NONASK_PHY => "IEEE802_15_4_NONASK_PHY",
            IPV4 => "IPV4",
            IPV6 => "IPV6",
            IEEE802_15_4_NOFCS => "IEEE802_15_4_NOFCS",
            LINUX_SLL2 => "LINUX_SLL2",
            IEEE802_15_4_TAP => "IEEE802_15_4_TAP",
            BACNET_MS_TP => "BACNET_MS_TP",
            NFC_LLCP => "NFC_LLCP",
            ZWAVE_R1_R2 => "ZWAVE_R1_R2",
            BLUETOOTH_HCI_H4_WITH_PHDR => "BLUETOOTH_HCI_H4_WITH_PHDR",
            BLUETOOTH_LE_LL => "BLUETOOTH_LE_LL",
            BLUETOOTH_LINUX_MONITOR => "BLUETOOTH_LINUX_MONITOR",
            BLUETOOTH_LE_LL_WITH_PHDR => "BLUETOOTH_LE_LL_WITH_PHDR",
            NORDIC_BLE => "NORDIC_BLE",
            105 => "IEEE802_11",
            127 => "IEEE802_11_RADIOTAP",
            147..=162 => "USER",
            252 => "WIRESHARK_UPPER_PDU",
            _ => "unknown",
        }
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Helpers for tests that read the shared third-party corpus.

    use std::path::PathBuf;

    use super::{Packet, Timestamp};

    /// A packet of `linktype` holding `data`, as the reader would hand it out.
    pub fn pkt(linktype: u32, data: &[u8]) -> Packet<'_> {
        Packet {
            number: 1,
            ts: Timestamp::default(),
            linktype,
            data,
            orig_len: data.len() as u32,
        }
    }

    /// `shared/corpus/<sub>` through the workspace's corpus locator: `None` (with a notice) when
    /// the corpus is absent, a failure under `CI=true`.
    pub fn corpus(sub: &str) -> Option<PathBuf> {
        Some(
            ietfwg_test_support::shared::shared()?
                .join("corpus")
                .join(sub),
        )
    }

    /// Every capture file under `dir`, recursively, sorted (the workspace's one lister).
    pub use ietfwg_test_support::shared::capture_files;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_display_and_nanos() {
        let ts = Timestamp {
            secs: 1_464_257_477,
            nanos: 935_494_000,
        };
        assert_eq!(ts.to_string(), "1464257477.935494000");
        assert_eq!(ts.as_nanos(), 1_464_257_477_935_494_000);
        let small = Timestamp { secs: 0, nanos: 7 };
        assert_eq!(small.to_string(), "0.000000007");
        let huge = Timestamp {
            secs: u64::MAX,
            nanos: 1,
        };
        assert_eq!(huge.as_nanos(), u64::MAX);
    }

    #[test]
    fn linktype_names() {
        assert_eq!(linktype::name(195), "IEEE802_15_4_WITHFCS");
        assert_eq!(linktype::name(276), "LINUX_SLL2");
        assert_eq!(linktype::name(9999), "unknown");
    }
}
