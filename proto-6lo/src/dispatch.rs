//! The 6LoWPAN dispatch layer: the headers that sit between the 802.15.4 MAC payload start and
//! the IPv6 header (compressed or not).
//!
//! Every 6LoWPAN header starts with a dispatch value in its first bits. In page 0 (RFC 4944 §5.1
//! as updated by RFC 6282 §2, RFC 8066 §3, RFC 8025 §3 and RFC 8931 §5):
//!
//! ```text
//!   Pattern        Header type
//!   00 xxxxxx      NALP        - not a LoWPAN frame
//!   01 000000      ESC         - an 8-bit extended dispatch follows (RFC 6282 §2, RFC 8066 §3)
//!   01 000001      IPv6        - uncompressed IPv6 header follows
//!   01 000010      LOWPAN_HC1  - HC1 compressed IPv6 header (RFC 4944 §10)
//!   01 000011 ..   reserved
//!   01 001111
//!   01 010000      LOWPAN_BC0  - broadcast header
//!   01 010001 ..   reserved
//!   01 011111
//!   01 1xxxxx      LOWPAN_IPHC (RFC 6282 §3; this range held ESC = 0x7F in RFC 4944)
//!   10 xxxxxx      MESH        - mesh header (page 0 only; in page 1 these are 6LoRH)
//!   11 000xxx      FRAG1       - first fragment header
//!   11 001000 ..   reserved
//!   11 011111
//!   11 100xxx      FRAGN       - subsequent fragment header
//!   11 10100x      RFRAG       - recoverable fragment, x = ECN bit E (RFC 8931 §5.1)
//!   11 10101x      RFRAG-ACK   - recoverable fragment acknowledgment (RFC 8931 §5.2)
//!   11 101100 ..   reserved
//!   11 101111
//!   11 11xxxx      Page switch to page xxxx (RFC 8025 §3)
//! ```
//!
//! In page 1 (RFC 8138 §4–5) the range `10 xxxxxx` is the 6LoWPAN Routing Header (6LoRH):
//! `100 xxxxx` critical, `101 xxxxx` elective. Page 1 keeps the other page-0 values. No other
//! page has registered dispatch values, so a switch to pages 2–15 is reported as an error.
//!
//! RFC 4944 §5 fixes the order: mesh header, then broadcast header, then fragment header, then
//! the header that carries the datagram (IPv6, HC1, IPHC, ESC). [`parse_chain`] enforces it and
//! names the header that broke it. RFRAG (RFC 8931) takes the place of a fragment header; a Page
//! switch may appear anywhere before the terminal header and 6LoRHs sit after the fragment
//! header and before the IPHC header (RFC 8138 §4).

use ietfwg_report::hex::Hex;

use crate::addr::LinkAddr;
use crate::error::{Layer, Result};
use crate::reader::Reader;

/// Named dispatch values and masks (page 0 unless noted).
pub mod code {
    /// `01 000000` ESC (RFC 6282 §2, RFC 8066 §3): an 8-bit extended dispatch follows.
    pub const ESC: u8 = 0x40;
    /// `01 000001` uncompressed IPv6 header follows.
    pub const IPV6: u8 = 0x41;
    /// `01 000010` LOWPAN_HC1 (RFC 4944 §10).
    pub const HC1: u8 = 0x42;
    /// `01 010000` LOWPAN_BC0 broadcast header.
    pub const BC0: u8 = 0x50;
    /// `01 1xxxxx` LOWPAN_IPHC (mask [`IPHC_MASK`]).
    pub const IPHC: u8 = 0x60;
    /// Mask for [`IPHC`].
    pub const IPHC_MASK: u8 = 0xe0;
    /// `10 xxxxxx` mesh header (page 0), mask [`MESH_MASK`].
    pub const MESH: u8 = 0x80;
    /// Mask for [`MESH`] (and for the 6LoRH range in page 1).
    pub const MESH_MASK: u8 = 0xc0;
    /// `100 xxxxx` critical 6LoRH (page 1, RFC 8138 §5.2), mask [`SIXLORH_MASK`].
    pub const SIXLORH_CRITICAL: u8 = 0x80;
    /// `101 xxxxx` elective 6LoRH (page 1, RFC 8138 §5.1), mask [`SIXLORH_MASK`].
    pub const SIXLORH_ELECTIVE: u8 = 0xa0;
    /// Mask for the 6LoRH forms.
    pub const SIXLORH_MASK: u8 = 0xe0;
    /// `11 000xxx` FRAG1, mask [`FRAG_MASK`].
    pub const FRAG1: u8 = 0xc0;
    /// `11 100xxx` FRAGN, mask [`FRAG_MASK`].
    pub const FRAGN: u8 = 0xe0;
    /// Mask for [`FRAG1`] and [`FRAGN`].
    pub const FRAG_MASK: u8 = 0xf8;
    /// `11 10100E` RFRAG (RFC 8931 §5.1), mask [`RFRAG_MASK`].
    pub const RFRAG: u8 = 0xe8;
    /// `11 10101E` RFRAG-ACK (RFC 8931 §5.2), mask [`RFRAG_MASK`].
    pub const RFRAG_ACK: u8 = 0xea;
    /// Mask for [`RFRAG`] and [`RFRAG_ACK`] (the low bit is the ECN bit E).
    pub const RFRAG_MASK: u8 = 0xfe;
    /// `11 11xxxx` page switch (RFC 8025 §3), mask [`PAGE_MASK`].
    pub const PAGE: u8 = 0xf0;
    /// Mask for [`PAGE`].
    pub const PAGE_MASK: u8 = 0xf0;
}

/// The LoWPAN mesh addressing header (RFC 4944 §5.2).
///
/// ```text
///    0                   1                   2                   3
///    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///   |1 0|V|F|HopsLft| [Deep Hops Left] originator address, final address
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// V (F) is 0 when the originator (final) address is an EUI-64 and 1 when it is a 16-bit
/// short address. Unlike in the MAC header, the addresses are written in network order (most
/// significant octet first), which is how [`LinkAddr`] keeps them too (Wireshark reads them with
/// `tvb_get_ntoh64`/`tvb_get_ntohs`). A Hops Left of 0xF means an 8-bit "Deep Hops Left" field
/// follows the first byte and holds the real count (as decoded by Wireshark and OpenThread).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MeshHeader {
    /// Hops left: the 4-bit field, or the Deep Hops Left byte when the 4-bit field is 0xF.
    pub hops_left: u8,
    /// Whether the 4-bit field was 0xF and a Deep Hops Left byte followed.
    pub deep_hops_left: bool,
    /// Originator ("very first") address: `Short` when V = 1, `Extended` when V = 0.
    pub originator: LinkAddr,
    /// Final destination address: `Short` when F = 1, `Extended` when F = 0.
    pub final_destination: LinkAddr,
}

impl MeshHeader {
    /// Encoded length in bytes.
    pub fn len(&self) -> usize {
        1 + usize::from(self.deep_hops_left)
            + addr_len(&self.originator)
            + addr_len(&self.final_destination)
    }

    /// Never empty (a mesh header is at least 5 bytes); here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    fn parse(r: &mut Reader<'_>) -> Result<Self> {
        let b = r.u8("mesh")?;
        let v_short = b & 0x20 != 0;
        let f_short = b & 0x10 != 0;
        let (hops_left, deep_hops_left) = match b & 0x0f {
            0x0f => (r.u8("deep_hops_left")?, true),
            h => (h, false),
        };
        let originator = mesh_addr(r, v_short, "originator")?;
        let final_destination = mesh_addr(r, f_short, "final_destination")?;
        Ok(MeshHeader {
            hops_left,
            deep_hops_left,
            originator,
            final_destination,
        })
    }
}

fn addr_len(a: &LinkAddr) -> usize {
    match a {
        LinkAddr::Absent => 0,
        LinkAddr::Short(_) => 2,
        LinkAddr::Extended(_) => 8,
    }
}

fn mesh_addr(r: &mut Reader<'_>, short: bool, field: &'static str) -> Result<LinkAddr> {
    if short {
        Ok(LinkAddr::Short(r.u16_be(field)?))
    } else {
        Ok(LinkAddr::Extended(r.array::<8>(field)?))
    }
}

/// Critical or elective 6LoRH (RFC 8138 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SixLoRhForm {
    /// `100 TSE(5) | Type(8)`: a node that does not know the type must drop the packet.
    Critical,
    /// `101 Length(5) | Type(8)`: the Length lets a node skip an unknown type.
    Elective,
}

/// What the body of a known 6LoRH type says.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SixLoRhDetail {
    /// SRH-6LoRH (critical types 0–4, RFC 8138 §5.3): Size + 1 hops, each compressed to
    /// 1, 2, 4, 8 or 16 bytes (type 0, 1, 2, 3, 4).
    SourceRoute {
        /// Bytes per compressed address.
        address_len: u8,
        /// The compressed hop addresses, in order.
        #[serde_as(as = "Vec<Hex>")]
        hops: Vec<Vec<u8>>,
    },
    /// RPI-6LoRH (critical type 5, RFC 8138 §6.3): TSE = `O R F I K`.
    ///
    /// ```text
    ///   |1|0|0|O|R|F|I|K| 6LoRH Type=5 | [RPLInstanceID] | SenderRank (16 or 8 bits) |
    /// ```
    Rpi {
        /// O: down (RFC 6553).
        down: bool,
        /// R: rank error.
        rank_error: bool,
        /// F: forwarding error.
        forwarding_error: bool,
        /// RPLInstanceID; elided (I = 1) means the global instance 0.
        instance_id: u8,
        /// Whether the RPLInstanceID was elided (I = 1).
        instance_id_elided: bool,
        /// SenderRank as carried: 16 bits, or the single byte when K = 1 (RFC 8138 §6.3 says
        /// how that byte maps to a rank; it is not expanded here).
        sender_rank: u16,
        /// K: the SenderRank is one byte instead of two.
        rank_compressed: bool,
    },
    /// IP-in-IP 6LoRH (elective type 6, RFC 8138 §7): hop limit and optional encapsulator address
    /// (compressed as in the SRH, `Length - 1` bytes; absent when Length is 1).
    IpInIp {
        /// Hop limit of the outer header.
        hop_limit: u8,
        /// The encapsulator's address as carried (empty when elided).
        #[serde_as(as = "Hex")]
        encapsulator: Vec<u8>,
    },
    /// A type this decoder does not interpret; see `body`.
    Opaque,
}

/// A 6LoWPAN Routing Header (RFC 8138 §5), valid in page 1 only.
///
/// ```text
///    0                   1                   2
///    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- ... -+-+-+-+
///   |1|0|1| Length  |      Type     |    body      |   elective: body is Length bytes
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- ... -+-+-+-+
///   |1|0|0|   TSE   |      Type     |    body      |   critical: body size follows from Type/TSE
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+- ... -+-+-+-+
/// ```
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SixLoRh {
    /// Critical or elective.
    pub form: SixLoRhForm,
    /// The 6LoRH Type (critical and elective types are separate registries).
    pub rh_type: u8,
    /// The type's name (`srh_1`, …, `srh_16`, `rpi`, `ip_in_ip`, `bier…`, `unknown`).
    pub rh_type_name: &'static str,
    /// Critical form: the 5-bit Type-Specific Extension.
    pub tse: Option<u8>,
    /// Elective form: the 5-bit Length field (body bytes after the 2-byte head).
    pub length: Option<u8>,
    /// The bytes after the 2-byte head.
    #[serde_as(as = "Hex")]
    pub body: Vec<u8>,
    /// The body, interpreted when the type is known.
    pub detail: SixLoRhDetail,
}

impl SixLoRh {
    /// Critical SRH-6LoRH types 0–4.
    pub const SRH_1: u8 = 0;
    /// SRH-6LoRH, 2-byte addresses.
    pub const SRH_2: u8 = 1;
    /// SRH-6LoRH, 4-byte addresses.
    pub const SRH_4: u8 = 2;
    /// SRH-6LoRH, 8-byte addresses.
    pub const SRH_8: u8 = 3;
    /// SRH-6LoRH, full 16-byte addresses.
    pub const SRH_16: u8 = 4;
    /// Critical RPI-6LoRH.
    pub const RPI: u8 = 5;
    /// Elective IP-in-IP 6LoRH.
    pub const IP_IN_IP: u8 = 6;

    /// Encoded length in bytes.
    pub fn len(&self) -> usize {
        2 + self.body.len()
    }

    /// Never empty; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Name of a 6LoRH type in a form's registry (RFC 8138 §11; BIER types 15–19 are from
    /// draft-thubert-6lo-bier-dispatch, as Wireshark names them, and are not interpreted).
    pub fn type_name(form: SixLoRhForm, t: u8) -> &'static str {
        match (form, t) {
            (SixLoRhForm::Critical, 0) => "srh_1",
            (SixLoRhForm::Critical, 1) => "srh_2",
            (SixLoRhForm::Critical, 2) => "srh_4",
            (SixLoRhForm::Critical, 3) => "srh_8",
            (SixLoRhForm::Critical, 4) => "srh_16",
            (SixLoRhForm::Critical, 5) => "rpi",
            (SixLoRhForm::Elective, 6) => "ip_in_ip",
            (SixLoRhForm::Elective, 15..=19) => "bier",
            _ => "unknown",
        }
    }

    fn parse(r: &mut Reader<'_>) -> Result<Self> {
        let at = r.offset();
        let b0 = r.u8("6lorh")?;
        let rh_type = r.u8("6lorh_type")?;
        let low5 = b0 & 0x1f;
        if b0 & code::SIXLORH_MASK == code::SIXLORH_ELECTIVE {
            let form = SixLoRhForm::Elective;
            let body = r.take(usize::from(low5), "6lorh_body")?.to_vec();
            let detail = match rh_type {
                Self::IP_IN_IP => match body.split_first() {
                    Some((&hop_limit, rest)) => SixLoRhDetail::IpInIp {
                        hop_limit,
                        encapsulator: rest.to_vec(),
                    },
                    None => return Err(r.invalid_at(
                        "6lorh_length",
                        at,
                        "IP-in-IP 6LoRH with Length 0: the hop limit byte is missing (RFC 8138 §7)",
                    )),
                },
                _ => SixLoRhDetail::Opaque,
            };
            return Ok(SixLoRh {
                form,
                rh_type,
                rh_type_name: Self::type_name(form, rh_type),
                tse: None,
                length: Some(low5),
                body,
                detail,
            });
        }
        let form = SixLoRhForm::Critical;
        let (body, detail) = match rh_type {
            Self::SRH_1..=Self::SRH_16 => {
                let unit = 1usize << rh_type;
                let hops = usize::from(low5) + 1;
                let body = r.take(unit * hops, "6lorh_body")?;
                let hops = body.chunks(unit).map(<[u8]>::to_vec).collect();
                (body.to_vec(), SixLoRhDetail::SourceRoute { address_len: unit as u8, hops })
            }
            Self::RPI => {
                let instance_id_elided = low5 & 0x02 != 0;
                let rank_compressed = low5 & 0x01 != 0;
                let n = usize::from(!instance_id_elided) + if rank_compressed { 1 } else { 2 };
                let body = r.take(n, "6lorh_body")?;
                let (instance_id, rank) = match body.split_first() {
                    Some((&id, rest)) if !instance_id_elided => (id, rest),
                    _ => (0, body),
                };
                let sender_rank = match *rank {
                    [hi, lo] => u16::from_be_bytes([hi, lo]),
                    [one] => u16::from(one),
                    _ => 0,
                };
                (
                    body.to_vec(),
                    SixLoRhDetail::Rpi {
                        down: low5 & 0x10 != 0,
                        rank_error: low5 & 0x08 != 0,
                        forwarding_error: low5 & 0x04 != 0,
                        instance_id,
                        instance_id_elided,
                        sender_rank,
                        rank_compressed,
                    },
                )
            }
            t => {
                return Err(r.invalid_at(
                    "6lorh_type",
                    at + 1,
                    format!(
                        "unknown critical 6LoRH type {t}: its length cannot be known and RFC 8138 §5.2 \
                         requires the packet to be dropped"
                    ),
                ))
            }
        };
        Ok(SixLoRh {
            form,
            rh_type,
            rh_type_name: Self::type_name(form, rh_type),
            tse: Some(low5),
            length: None,
            body,
            detail,
        })
    }
}

/// RFRAG, the recoverable fragment header (RFC 8931 §5.1).
///
/// ```text
///    0                   1                   2                   3
///    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///   |1 1 1 0 1 0 0|E|  Datagram_Tag |X| Sequence|   Fragment_Size   |
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///   |       Fragment_Offset         |
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// In the first fragment (Sequence 0) the last field carries the Datagram_Size instead.
/// Offsets and sizes count bytes of the compressed datagram.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rfrag {
    /// E: explicit congestion notification.
    pub ecn: bool,
    /// Datagram_Tag (8 bits).
    pub datagram_tag: u8,
    /// X: an RFRAG-ACK is requested.
    pub ack_request: bool,
    /// Sequence (5 bits).
    pub sequence: u8,
    /// Fragment_Size (10 bits), in bytes.
    pub fragment_size: u16,
    /// Datagram_Size, carried only by the first fragment (sequence 0).
    pub datagram_size: Option<u16>,
    /// Fragment_Offset (0 for the first fragment).
    pub fragment_offset: u16,
}

impl Rfrag {
    /// Encoded length in bytes.
    pub fn len(&self) -> usize {
        6
    }

    /// Never empty; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    fn parse(r: &mut Reader<'_>) -> Result<Self> {
        let b0 = r.u8("rfrag")?;
        let datagram_tag = r.u8("datagram_tag")?;
        let w = r.u16_be("fragment_size")?;
        let last = r.u16_be("fragment_offset")?;
        let sequence = ((w >> 10) & 0x1f) as u8;
        let (datagram_size, fragment_offset) = if sequence == 0 {
            (Some(last), 0)
        } else {
            (None, last)
        };
        Ok(Rfrag {
            ecn: b0 & 0x01 != 0,
            datagram_tag,
            ack_request: w & 0x8000 != 0,
            sequence,
            fragment_size: w & 0x03ff,
            datagram_size,
            fragment_offset,
        })
    }
}

/// RFRAG-ACK (RFC 8931 §5.2).
///
/// ```text
///    0                   1                   2                   3
///    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///   |1 1 1 0 1 0 1|E|  Datagram_Tag |
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///   |                    RFRAG-ACK Bitmap (32 bits)                 |
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// Bit 0 (the most significant) acknowledges sequence 0.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RfragAck {
    /// E: echoes congestion seen on the fragments.
    pub ecn: bool,
    /// Datagram_Tag (8 bits).
    pub datagram_tag: u8,
    /// The acknowledgment bitmap, most significant bit = sequence 0.
    pub bitmap: u32,
}

impl RfragAck {
    /// Encoded length in bytes.
    pub fn len(&self) -> usize {
        6
    }

    /// Never empty; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The NULL bitmap (all zeros) aborts the datagram (RFC 8931 §5.2).
    pub fn is_null(&self) -> bool {
        self.bitmap == 0
    }

    /// The FULL bitmap (all ones) acknowledges the whole datagram (RFC 8931 §5.2).
    pub fn is_full(&self) -> bool {
        self.bitmap == u32::MAX
    }

    /// Whether fragment `sequence` (0–31) is acknowledged.
    pub fn acked(&self, sequence: u8) -> bool {
        sequence < 32 && self.bitmap & (0x8000_0000u32 >> sequence) != 0
    }
}

/// One 6LoWPAN dispatch header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DispatchHeader {
    /// `00xxxxxx`: not a LoWPAN frame; the payload (this byte included) belongs to another
    /// protocol.
    Nalp {
        /// The whole first byte.
        dispatch: u8,
    },
    /// ESC `0x40` and its 8-bit extended dispatch (RFC 8066 §3).
    Esc {
        /// The extension type octet.
        extended_dispatch: u8,
    },
    /// Mesh header (RFC 4944 §5.2).
    Mesh(MeshHeader),
    /// LOWPAN_BC0 `0x50` and its sequence number (RFC 4944 §11.1).
    Bc0 {
        /// Sequence number.
        seq: u8,
    },
    /// First fragment header (RFC 4944 §5.3).
    ///
    /// ```text
    ///   |1 1 0 0 0|    datagram_size    |         datagram_tag          |
    /// ```
    Frag1 {
        /// datagram_size (11 bits): size of the uncompressed IP datagram.
        datagram_size: u16,
        /// datagram_tag.
        datagram_tag: u16,
    },
    /// Subsequent fragment header (RFC 4944 §5.3).
    ///
    /// ```text
    ///   |1 1 1 0 0|    datagram_size    |         datagram_tag          |datagram_offset|
    /// ```
    FragN {
        /// datagram_size (11 bits).
        datagram_size: u16,
        /// datagram_tag.
        datagram_tag: u16,
        /// datagram_offset, in units of 8 octets of the uncompressed datagram.
        datagram_offset: u8,
    },
    /// Page switch `1111xxxx` (RFC 8025 §3).
    PageSwitch {
        /// New page, 0–15.
        page: u8,
    },
    /// 6LoWPAN Routing Header (RFC 8138, page 1).
    SixLoRh(SixLoRh),
    /// Recoverable fragment (RFC 8931 §5.1).
    Rfrag(Rfrag),
    /// Recoverable fragment acknowledgment (RFC 8931 §5.2).
    RfragAck(RfragAck),
}

impl DispatchHeader {
    /// Encoded length in bytes (for NALP: the one dispatch byte, which stays part of the
    /// foreign payload; see [`Chain::payload_offset`]).
    pub fn len(&self) -> usize {
        match self {
            DispatchHeader::Nalp { .. } | DispatchHeader::PageSwitch { .. } => 1,
            DispatchHeader::Esc { .. } | DispatchHeader::Bc0 { .. } => 2,
            DispatchHeader::Mesh(m) => m.len(),
            DispatchHeader::Frag1 { .. } => 4,
            DispatchHeader::FragN { .. } => 5,
            DispatchHeader::SixLoRh(h) => h.len(),
            DispatchHeader::Rfrag(h) => h.len(),
            DispatchHeader::RfragAck(h) => h.len(),
        }
    }

    /// Never empty; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Short name, as in the JSON `type` tag.
    pub fn name(&self) -> &'static str {
        match self {
            DispatchHeader::Nalp { .. } => "nalp",
            DispatchHeader::Esc { .. } => "esc",
            DispatchHeader::Mesh(_) => "mesh",
            DispatchHeader::Bc0 { .. } => "bc0",
            DispatchHeader::Frag1 { .. } => "frag1",
            DispatchHeader::FragN { .. } => "frag_n",
            DispatchHeader::PageSwitch { .. } => "page_switch",
            DispatchHeader::SixLoRh(_) => "six_lo_rh",
            DispatchHeader::Rfrag(_) => "rfrag",
            DispatchHeader::RfragAck(_) => "rfrag_ack",
        }
    }
}

/// What follows the last dispatch header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Next {
    /// `0x41` was read; an uncompressed IPv6 header starts at `payload_offset` (after the 0x41).
    Ipv6,
    /// An IPHC header starts at `payload_offset` (pointing AT the `011xxxxx` byte, which is part
    /// of the IPHC encoding).
    Iphc,
    /// `0x42` was read; `payload_offset` points at the HC1 encoding byte after it.
    Hc1,
    /// After a FRAGN (or a non-first RFRAG): raw datagram bytes from `payload_offset`.
    FragmentPayload,
    /// Nothing to decompress: NALP (`payload_offset` at the NALP byte), ESC (after the extended
    /// dispatch byte), RFRAG-ACK (after it), or an empty payload.
    None,
}

/// The dispatch headers of one MAC payload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Chain {
    /// Headers in wire order.
    pub headers: Vec<DispatchHeader>,
    /// What starts at `payload_offset`.
    pub next: Next,
    /// Offset of what follows, relative to `buf[0]` (see [`Next`] for each case).
    pub payload_offset: usize,
    /// The page in force at `payload_offset` (0 unless a page switch was seen).
    pub page: u8,
}

impl Chain {
    /// The first fragment header (FRAG1/FRAGN/RFRAG), if any.
    pub fn fragment(&self) -> Option<&DispatchHeader> {
        self.headers.iter().find(|h| {
            matches!(
                h,
                DispatchHeader::Frag1 { .. }
                    | DispatchHeader::FragN { .. }
                    | DispatchHeader::Rfrag(_)
            )
        })
    }

    /// The mesh header, if any.
    pub fn mesh(&self) -> Option<&MeshHeader> {
        self.headers.iter().find_map(|h| match h {
            DispatchHeader::Mesh(m) => Some(m),
            _ => None,
        })
    }
}

/// Position in RFC 4944's header order; a header may only follow lower stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Start,
    Mesh,
    Bc0,
    Frag,
    SixLoRh,
}

impl Stage {
    fn describe(self) -> &'static str {
        match self {
            Stage::Start => "nothing",
            Stage::Mesh => "a mesh header",
            Stage::Bc0 => "a BC0 header",
            Stage::Frag => "a fragment header",
            Stage::SixLoRh => "a 6LoRH",
        }
    }

    /// What may come after this stage.
    fn expected(self) -> &'static str {
        match self {
            Stage::Start => "any dispatch",
            Stage::Mesh => "BC0, a fragment header or a header carrying the datagram",
            Stage::Bc0 => "a fragment header or a header carrying the datagram",
            Stage::Frag => "a page switch, a 6LoRH (page 1) or a header carrying the datagram (IPv6, HC1, IPHC, ESC)",
            Stage::SixLoRh => "another 6LoRH or a header carrying the datagram",
        }
    }
}

const ORDER: &str = "RFC 4944 §5 order is mesh, BC0, fragment header, then IPv6/HC1/IPHC/ESC";

/// A header of stage `new` may follow headers of lower stages only (6LoRHs may repeat).
fn check_order(r: &Reader<'_>, at: usize, name: &str, stage: Stage, new: Stage) -> Result<()> {
    if stage > new || (stage == new && new != Stage::SixLoRh) {
        Err(r.invalid_at(
            "dispatch",
            at,
            format!(
                "{name} after {}: expected {} ({ORDER})",
                stage.describe(),
                stage.expected()
            ),
        ))
    } else {
        Ok(())
    }
}

/// Name of a dispatch byte in `page`, for messages.
pub fn dispatch_name(b: u8, page: u8) -> &'static str {
    match b {
        0x00..=0x3f => "NALP",
        code::ESC => "ESC",
        code::IPV6 => "IPv6",
        code::HC1 => "HC1",
        code::BC0 => "BC0",
        0x60..=0x7f => "IPHC",
        0x80..=0x9f if page == 1 => "critical 6LoRH",
        0xa0..=0xbf if page == 1 => "elective 6LoRH",
        0x80..=0xbf => "MESH",
        0xc0..=0xc7 => "FRAG1",
        0xe0..=0xe7 => "FRAGN",
        0xe8 | 0xe9 => "RFRAG",
        0xea | 0xeb => "RFRAG-ACK",
        0xf0..=0xff => "page switch",
        _ => "reserved",
    }
}

/// Parses the dispatch headers at the start of a MAC payload.
///
/// `buf` is the MAC payload; `base` its absolute offset in the frame (error offsets are
/// absolute). An empty payload gives an empty chain with [`Next::None`]. A payload that ends
/// right after a header that must be followed by another (mesh, BC0, FRAG1, first RFRAG, page
/// switch, 6LoRH) is [`crate::ErrorKind::Truncated`]. Header order violations, reserved values
/// and unknown pages or critical 6LoRH types are [`crate::ErrorKind::Invalid`] with field
/// `dispatch` (or the field at fault) at the offending byte.
#[inline]
pub fn parse_chain(buf: &[u8], base: usize) -> Result<Chain> {
    // The common case, small enough to be inlined into the caller (which then sees the
    // constant chain): the payload starts with LOWPAN_IPHC, no dispatch header before it.
    if let Some(0x60..=0x7f) = buf.first() {
        return Ok(Chain {
            headers: Vec::new(),
            next: Next::Iphc,
            payload_offset: 0,
            page: 0,
        });
    }
    parse_headers(buf, base)
}

/// The dispatch headers [`parse_chain`] read before the error it returned for `buf` (none when
/// it returned none): what a front end shows of a frame whose chain is in error.
#[cold]
pub fn headers_before_error(buf: &[u8], base: usize) -> Vec<DispatchHeader> {
    let mut headers = Vec::new();
    match parse_headers_into(buf, base, &mut headers) {
        Ok(_) => Vec::new(),
        Err(_) => headers,
    }
}

/// [`parse_chain`] when the payload does not start with LOWPAN_IPHC.
#[inline(never)]
fn parse_headers(buf: &[u8], base: usize) -> Result<Chain> {
    parse_headers_into(buf, base, &mut Vec::new())
}

/// [`parse_headers`], pushing each header onto `headers` as it is read: after an error,
/// `headers` holds every header read before it.
fn parse_headers_into(buf: &[u8], base: usize, headers: &mut Vec<DispatchHeader>) -> Result<Chain> {
    let mut r = Reader::new(buf, base, Layer::Dispatch);
    let mut page = 0u8;
    let mut stage = Stage::Start;
    if buf.is_empty() {
        return Ok(Chain {
            headers: std::mem::take(headers),
            next: Next::None,
            payload_offset: 0,
            page,
        });
    }
    loop {
        let at = r.offset();
        let start = r.consumed();
        let b = r.peek("dispatch")?;
        match b {
            0x00..=0x3f => {
                if !headers.is_empty() {
                    return Err(r.invalid_at(
                        "dispatch",
                        at,
                        format!("NALP value 0x{b:02x} after a LoWPAN header: NALP only marks a whole non-LoWPAN payload"),
                    ));
                }
                headers.push(DispatchHeader::Nalp { dispatch: b });
                return Ok(Chain {
                    headers: std::mem::take(headers),
                    next: Next::None,
                    payload_offset: start,
                    page,
                });
            }
            code::ESC => {
                r.u8("dispatch")?;
                let extended_dispatch = r.u8("extended_dispatch")?;
                headers.push(DispatchHeader::Esc { extended_dispatch });
                return Ok(Chain {
                    headers: std::mem::take(headers),
                    next: Next::None,
                    payload_offset: r.consumed(),
                    page,
                });
            }
            code::IPV6 => {
                r.u8("dispatch")?;
                return Ok(Chain {
                    headers: std::mem::take(headers),
                    next: Next::Ipv6,
                    payload_offset: r.consumed(),
                    page,
                });
            }
            code::HC1 => {
                r.u8("dispatch")?;
                return Ok(Chain {
                    headers: std::mem::take(headers),
                    next: Next::Hc1,
                    payload_offset: r.consumed(),
                    page,
                });
            }
            0x60..=0x7f => {
                return Ok(Chain {
                    headers: std::mem::take(headers),
                    next: Next::Iphc,
                    payload_offset: start,
                    page,
                })
            }
            code::BC0 => {
                check_order(&r, at, "BC0", stage, Stage::Bc0)?;
                r.u8("dispatch")?;
                let seq = r.u8("bc0_seq")?;
                headers.push(DispatchHeader::Bc0 { seq });
                stage = Stage::Bc0;
            }
            0x80..=0xbf if page == 1 => {
                check_order(&r, at, "6LoRH", stage, Stage::SixLoRh)?;
                headers.push(DispatchHeader::SixLoRh(SixLoRh::parse(&mut r)?));
                stage = Stage::SixLoRh;
            }
            0x80..=0xbf => {
                check_order(&r, at, "mesh header", stage, Stage::Mesh)?;
                headers.push(DispatchHeader::Mesh(MeshHeader::parse(&mut r)?));
                stage = Stage::Mesh;
            }
            0xc0..=0xc7 => {
                check_order(&r, at, "FRAG1", stage, Stage::Frag)?;
                let w = r.u16_be("datagram_size")?;
                let datagram_tag = r.u16_be("datagram_tag")?;
                headers.push(DispatchHeader::Frag1 {
                    datagram_size: w & 0x07ff,
                    datagram_tag,
                });
                stage = Stage::Frag;
            }
            0xe0..=0xe7 => {
                check_order(&r, at, "FRAGN", stage, Stage::Frag)?;
                let w = r.u16_be("datagram_size")?;
                let datagram_tag = r.u16_be("datagram_tag")?;
                let datagram_offset = r.u8("datagram_offset")?;
                headers.push(DispatchHeader::FragN {
                    datagram_size: w & 0x07ff,
                    datagram_tag,
                    datagram_offset,
                });
                return Ok(Chain {
                    headers: std::mem::take(headers),
                    next: Next::FragmentPayload,
                    payload_offset: r.consumed(),
                    page,
                });
            }
            0xe8 | 0xe9 => {
                check_order(&r, at, "RFRAG", stage, Stage::Frag)?;
                let h = Rfrag::parse(&mut r)?;
                let first = h.sequence == 0;
                headers.push(DispatchHeader::Rfrag(h));
                if !first {
                    return Ok(Chain {
                        headers: std::mem::take(headers),
                        next: Next::FragmentPayload,
                        payload_offset: r.consumed(),
                        page,
                    });
                }
                stage = Stage::Frag;
            }
            0xea | 0xeb => {
                check_order(&r, at, "RFRAG-ACK", stage, Stage::Frag)?;
                r.u8("dispatch")?;
                let datagram_tag = r.u8("datagram_tag")?;
                let bitmap = r.u32_be("rfrag_ack_bitmap")?;
                headers.push(DispatchHeader::RfragAck(RfragAck {
                    ecn: b & 0x01 != 0,
                    datagram_tag,
                    bitmap,
                }));
                return Ok(Chain {
                    headers: std::mem::take(headers),
                    next: Next::None,
                    payload_offset: r.consumed(),
                    page,
                });
            }
            0xf0..=0xff => {
                let p = b & 0x0f;
                if p > 1 {
                    return Err(r.invalid_at(
                        "page",
                        at,
                        format!("page switch to page {p}: only pages 0 and 1 (RFC 8025, RFC 8138) have dispatch values"),
                    ));
                }
                r.u8("dispatch")?;
                page = p;
                headers.push(DispatchHeader::PageSwitch { page });
            }
            _ => {
                return Err(r.invalid_at(
                    "dispatch",
                    at,
                    format!("reserved dispatch value 0x{b:02x} (RFC 4944 §5.1, RFC 8931 §5)"),
                ))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Emitters: the exact inverse of `parse_chain`.
// ---------------------------------------------------------------------------------------------

fn emit_err(buf: &[u8], field: &'static str, reason: impl Into<String>) -> crate::Error {
    crate::Error::invalid(Layer::Dispatch, field, buf.len(), reason)
}

impl MeshHeader {
    /// A mesh header with `hops_left` hops to go; a Deep Hops Left byte is used when the count
    /// does not fit the 4-bit field (15 and above, RFC 4944 §5.2 as extended by Wireshark and
    /// OpenThread's reading of 0xF).
    pub fn new(hops_left: u8, originator: LinkAddr, final_destination: LinkAddr) -> Self {
        MeshHeader {
            hops_left,
            deep_hops_left: hops_left >= 0x0f,
            originator,
            final_destination,
        }
    }

    /// Appends the header. Errors (offset = `buf.len()` at the call) when an address is
    /// [`LinkAddr::Absent`] or when `hops_left` ≥ 15 without `deep_hops_left`.
    pub fn emit(&self, buf: &mut Vec<u8>) -> Result<()> {
        let v = match self.originator {
            LinkAddr::Short(_) => 0x20,
            LinkAddr::Extended(_) => 0,
            LinkAddr::Absent => {
                return Err(emit_err(
                    buf,
                    "originator",
                    "a mesh header needs an originator address",
                ))
            }
        };
        let f = match self.final_destination {
            LinkAddr::Short(_) => 0x10,
            LinkAddr::Extended(_) => 0,
            LinkAddr::Absent => {
                return Err(emit_err(
                    buf,
                    "final_destination",
                    "a mesh header needs a final destination address",
                ))
            }
        };
        if self.deep_hops_left {
            buf.extend_from_slice(&[code::MESH | v | f | 0x0f, self.hops_left]);
        } else if self.hops_left >= 0x0f {
            return Err(emit_err(
                buf,
                "hops_left",
                format!("{} does not fit 4 bits: set deep_hops_left", self.hops_left),
            ));
        } else {
            buf.push(code::MESH | v | f | self.hops_left);
        }
        for a in [&self.originator, &self.final_destination] {
            match a {
                LinkAddr::Short(s) => buf.extend_from_slice(&s.to_be_bytes()),
                LinkAddr::Extended(e) => buf.extend_from_slice(e),
                LinkAddr::Absent => {}
            }
        }
        Ok(())
    }
}

impl SixLoRh {
    /// Appends the 6LoRH: the 2-octet head (form, TSE or Length, Type) and the body.
    pub fn emit(&self, buf: &mut Vec<u8>) -> Result<()> {
        let low5 = match self.form {
            SixLoRhForm::Elective => {
                let n = self.body.len();
                if n > 0x1f {
                    return Err(emit_err(
                        buf,
                        "6lorh_length",
                        format!("body of {n} bytes does not fit 5 bits"),
                    ));
                }
                n as u8
            }
            SixLoRhForm::Critical => self.tse.unwrap_or(0),
        };
        if low5 > 0x1f {
            return Err(emit_err(
                buf,
                "6lorh",
                format!("TSE {low5} does not fit 5 bits"),
            ));
        }
        let head = match self.form {
            SixLoRhForm::Elective => code::SIXLORH_ELECTIVE,
            SixLoRhForm::Critical => code::SIXLORH_CRITICAL,
        };
        buf.extend_from_slice(&[head | low5, self.rh_type]);
        buf.extend_from_slice(&self.body);
        Ok(())
    }
}

impl Rfrag {
    /// Appends the 6-octet RFRAG header.
    pub fn emit(&self, buf: &mut Vec<u8>) -> Result<()> {
        if self.sequence > 0x1f || self.fragment_size > 0x03ff {
            return Err(emit_err(
                buf,
                "rfrag",
                "sequence is 5 bits and fragment_size 10 bits",
            ));
        }
        let w = (u16::from(self.ack_request) << 15)
            | (u16::from(self.sequence) << 10)
            | self.fragment_size;
        let last = match (self.sequence, self.datagram_size) {
            (0, Some(size)) => size,
            _ => self.fragment_offset,
        };
        buf.extend_from_slice(&[code::RFRAG | u8::from(self.ecn), self.datagram_tag]);
        buf.extend_from_slice(&w.to_be_bytes());
        buf.extend_from_slice(&last.to_be_bytes());
        Ok(())
    }
}

impl RfragAck {
    /// Appends the 6-octet RFRAG-ACK header.
    pub fn emit(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&[code::RFRAG_ACK | u8::from(self.ecn), self.datagram_tag]);
        buf.extend_from_slice(&self.bitmap.to_be_bytes());
    }
}

impl DispatchHeader {
    /// Appends this header as [`parse_chain`] reads it. NALP writes nothing: its byte is the
    /// first byte of the foreign payload. Values that cannot be encoded (an 11-bit
    /// datagram_size over 2047, a page over 15, an absent mesh address…) are an
    /// [`crate::ErrorKind::Invalid`] whose offset is `buf.len()` at the call.
    pub fn emit(&self, buf: &mut Vec<u8>) -> Result<()> {
        match self {
            DispatchHeader::Nalp { .. } => {}
            DispatchHeader::Esc { extended_dispatch } => {
                buf.extend_from_slice(&[code::ESC, *extended_dispatch]);
            }
            DispatchHeader::Mesh(m) => m.emit(buf)?,
            DispatchHeader::Bc0 { seq } => buf.extend_from_slice(&[code::BC0, *seq]),
            DispatchHeader::Frag1 {
                datagram_size,
                datagram_tag,
            } => {
                let size = frag_size(buf, *datagram_size)?;
                buf.extend_from_slice(&((u16::from(code::FRAG1) << 8) | size).to_be_bytes());
                buf.extend_from_slice(&datagram_tag.to_be_bytes());
            }
            DispatchHeader::FragN {
                datagram_size,
                datagram_tag,
                datagram_offset,
            } => {
                let size = frag_size(buf, *datagram_size)?;
                buf.extend_from_slice(&((u16::from(code::FRAGN) << 8) | size).to_be_bytes());
                buf.extend_from_slice(&datagram_tag.to_be_bytes());
                buf.push(*datagram_offset);
            }
            DispatchHeader::PageSwitch { page } => {
                if *page > 0x0f {
                    return Err(emit_err(buf, "page", format!("page {page} is over 15")));
                }
                buf.push(code::PAGE | page);
            }
            DispatchHeader::SixLoRh(h) => h.emit(buf)?,
            DispatchHeader::Rfrag(h) => h.emit(buf)?,
            DispatchHeader::RfragAck(h) => h.emit(buf),
        }
        Ok(())
    }
}

fn frag_size(buf: &[u8], size: u16) -> Result<u16> {
    if size > 0x07ff {
        Err(emit_err(
            buf,
            "datagram_size",
            format!("{size} does not fit 11 bits (RFC 4944 §5.3: at most 2047)"),
        ))
    } else {
        Ok(size)
    }
}

impl Chain {
    /// Appends the headers and the dispatch byte that ends the chain (0x41 for
    /// [`Next::Ipv6`], 0x42 for [`Next::Hc1`]; IPHC, NALP and fragment payloads start with their
    /// own bytes). `emit` then the bytes from `payload_offset` on rebuilds the parsed buffer.
    pub fn emit(&self, buf: &mut Vec<u8>) -> Result<()> {
        for h in &self.headers {
            h.emit(buf)?;
        }
        match self.next {
            Next::Ipv6 => buf.push(code::IPV6),
            Next::Hc1 => buf.push(code::HC1),
            Next::Iphc | Next::FragmentPayload | Next::None => {}
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};

    const BASE: usize = 100;

    fn ok(buf: &[u8]) -> Chain {
        match parse_chain(buf, BASE) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    fn err(buf: &[u8]) -> Error {
        match parse_chain(buf, BASE) {
            Ok(c) => panic!("expected an error, got {c:?}"),
            Err(e) => e,
        }
    }

    fn assert_invalid(e: &Error, field: &str, offset: usize, needle: &str) {
        match e.kind() {
            ErrorKind::Invalid {
                layer,
                field: f,
                offset: o,
                reason,
            } => {
                assert_eq!(*layer, Layer::Dispatch);
                assert_eq!(*f, field, "{e}");
                assert_eq!(*o, offset, "{e}");
                assert!(reason.contains(needle), "`{reason}` lacks `{needle}`");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    /// (vector, bytes of dispatch headers before the payload) for every header kind.
    fn vectors() -> Vec<(Vec<u8>, usize)> {
        vec![
            (MESH_SHORT.to_vec(), 5),
            (MESH_DEEP_EXT.to_vec(), 19),
            (MESH_BC0_FRAG1.to_vec(), 11),
            (FRAG1_REAL.to_vec(), 4),
            (FRAGN_REAL.to_vec(), 5),
            (ESC.to_vec(), 2),
            (PAGE1_6LORH.to_vec(), 14),
            (RFRAG_FIRST.to_vec(), 6),
            (RFRAG_LATER.to_vec(), 6),
            (RFRAG_ACK.to_vec(), 6),
            (vec![0x41, 0x60, 0x00], 1),
            (vec![0x42, 0xfb], 1),
        ]
    }

    /// RFC 4944 §5.2 mesh header, both addresses short.
    const MESH_SHORT: [u8; 7] = [
        0xb5, // 10 V=1 F=1 HopsLeft=5
        0x12, 0x34, // originator 0x1234 (network order)
        0x56, 0x78, // final destination 0x5678
        0x7a, 0x33, // IPHC follows
    ];

    /// Mesh header, both addresses EUI-64, Hops Left 0xF with a Deep Hops Left byte.
    const MESH_DEEP_EXT: [u8; 21] = [
        0x8f, // 10 V=0 F=0 HopsLeft=0xF
        0x20, // Deep Hops Left = 32
        0x00, 0x12, 0x4b, 0x00, 0x01, 0x02, 0x03, 0x04, // originator, MSB first
        0x02, 0x12, 0x4b, 0x00, 0x05, 0x06, 0x07, 0x08, // final destination, MSB first
        0x41, // IPv6 dispatch
        0x60, 0x00, // start of an uncompressed IPv6 header
    ];

    /// Mesh, then BC0, then FRAG1, then IPHC: the full RFC 4944 §5 order.
    const MESH_BC0_FRAG1: [u8; 13] = [
        0xb3, // mesh: V=1 F=1 HopsLeft=3
        0x00, 0x01, // originator 0x0001
        0xff, 0xff, // final destination 0xffff
        0x50, // LOWPAN_BC0
        0x07, // sequence number 7
        0xc0, 0xbc, // FRAG1, datagram_size 188
        0x00, 0x01, // datagram_tag 1
        0x6f, 0x1b, // IPHC
    ];

    /// A FRAG1 from echo_req_and_reply_and_other_packets_with_openmote_sniffer.pcap frame 45.
    const FRAG1_REAL: [u8; 8] = [
        0xc0, 0xbc, // 11000 datagram_size=0x0bc (188)
        0x00, 0x01, // datagram_tag 1
        0x6f, 0x1b, 0x04, 0xba, // IPHC ...
    ];

    /// A FRAGN from the same capture, frame 16.
    const FRAGN_REAL: [u8; 9] = [
        0xe0, 0x88, // 11100 datagram_size=0x088 (136)
        0x00, 0x00, // datagram_tag 0
        0x0d, // datagram_offset 13 (x8 = 104)
        0x00, 0x00, 0x00, 0x00, // payload
    ];

    /// RFC 8066 §3: ESC followed by an extended dispatch.
    const ESC: [u8; 4] = [
        0x40, // ESC
        0x01, // extension type 1
        0xaa, 0xbb, // extended dispatch payload
    ];

    /// RFC 8025 page switch to page 1, then RFC 8138 6LoRHs, then IPHC.
    const PAGE1_6LORH: [u8; 16] = [
        0xf1, // 1111 page 1
        0xa1, 0x06, // elective 101 Length=1, type 6 IP-in-IP
        0x40, //   hop limit 64 (encapsulator elided)
        0x81, 0x01, // critical 100 TSE(size)=1, type 1 SRH-6LoRH with 2-byte addresses
        0xaa, 0xbb, 0xcc, 0xdd, //   two hops
        0x80, 0x05, // critical 100 TSE=O0 R0 F0 I0 K0, type 5 RPI-6LoRH
        0x1e, //   RPLInstanceID 30
        0x01, 0x00, //   SenderRank 256
        0x7a, // IPHC
    ];

    /// RFC 8931 §5.1 RFRAG, first fragment.
    const RFRAG_FIRST: [u8; 8] = [
        0xe8, // 1110100 E=0
        0x2a, // Datagram_Tag 42
        0x80, 0x50, // X=1 Sequence=0 Fragment_Size=80
        0x01, 0x2c, // (sequence 0) Datagram_Size 300
        0x7a, 0x33, // IPHC
    ];

    /// RFC 8931 §5.1 RFRAG, later fragment.
    const RFRAG_LATER: [u8; 8] = [
        0xe9, // 1110100 E=1
        0x2a, // Datagram_Tag 42
        0x0c, 0x40, // X=0 Sequence=3 Fragment_Size=64
        0x00, 0x50, // Fragment_Offset 80
        0xde, 0xad, // payload
    ];

    /// RFC 8931 §5.2 RFRAG-ACK.
    const RFRAG_ACK: [u8; 6] = [
        0xeb, // 1110101 E=1
        0x2a, // Datagram_Tag 42
        0xf0, 0x00, 0x00, 0x00, // bitmap: sequences 0-3 acknowledged
    ];

    #[test]
    fn mesh_short_addresses() {
        let c = ok(&MESH_SHORT);
        let m = MeshHeader {
            hops_left: 5,
            deep_hops_left: false,
            originator: LinkAddr::Short(0x1234),
            final_destination: LinkAddr::Short(0x5678),
        };
        assert_eq!(c.headers, vec![DispatchHeader::Mesh(m.clone())]);
        assert_eq!((c.next, c.payload_offset, c.page), (Next::Iphc, 5, 0));
        assert_eq!(m.len(), 5);
        assert_eq!(c.mesh(), Some(&m));
    }

    #[test]
    fn mesh_extended_and_deep_hops() {
        let c = ok(&MESH_DEEP_EXT);
        let DispatchHeader::Mesh(m) = &c.headers[0] else {
            panic!("{c:?}")
        };
        assert_eq!(m.hops_left, 32);
        assert!(m.deep_hops_left);
        assert_eq!(
            m.originator,
            LinkAddr::Extended([0x00, 0x12, 0x4b, 0x00, 0x01, 0x02, 0x03, 0x04])
        );
        assert_eq!(m.originator.to_string(), "00:12:4b:00:01:02:03:04");
        assert_eq!(
            m.final_destination,
            LinkAddr::Extended([0x02, 0x12, 0x4b, 0x00, 0x05, 0x06, 0x07, 0x08])
        );
        assert_eq!(m.len(), 18);
        assert_eq!((c.next, c.payload_offset), (Next::Ipv6, 19));
    }

    #[test]
    fn full_rfc4944_order() {
        let c = ok(&MESH_BC0_FRAG1);
        let names: Vec<_> = c.headers.iter().map(DispatchHeader::name).collect();
        assert_eq!(names, ["mesh", "bc0", "frag1"]);
        assert_eq!(c.headers[1], DispatchHeader::Bc0 { seq: 7 });
        assert_eq!(
            c.headers[2],
            DispatchHeader::Frag1 {
                datagram_size: 188,
                datagram_tag: 1
            }
        );
        assert_eq!(c.fragment(), Some(&c.headers[2]));
        assert_eq!((c.next, c.payload_offset), (Next::Iphc, 11));
        assert_eq!(c.headers.iter().map(DispatchHeader::len).sum::<usize>(), 11);
    }

    #[test]
    fn real_fragments() {
        let c = ok(&FRAG1_REAL);
        assert_eq!(
            c.headers,
            vec![DispatchHeader::Frag1 {
                datagram_size: 188,
                datagram_tag: 1
            }]
        );
        assert_eq!((c.next, c.payload_offset), (Next::Iphc, 4));
        let c = ok(&FRAGN_REAL);
        assert_eq!(
            c.headers,
            vec![DispatchHeader::FragN {
                datagram_size: 136,
                datagram_tag: 0,
                datagram_offset: 13
            }]
        );
        assert_eq!((c.next, c.payload_offset), (Next::FragmentPayload, 5));
        assert_eq!(c.headers[0].len(), 5);
    }

    #[test]
    fn terminal_dispatches() {
        let c = ok(&ESC);
        assert_eq!(
            c.headers,
            vec![DispatchHeader::Esc {
                extended_dispatch: 1
            }]
        );
        assert_eq!((c.next, c.payload_offset), (Next::None, 2));
        let c = ok(&[0x41, 0x60]);
        assert_eq!(
            (c.headers.len(), c.next, c.payload_offset),
            (0, Next::Ipv6, 1)
        );
        let c = ok(&[0x42, 0xfb]);
        assert_eq!((c.next, c.payload_offset), (Next::Hc1, 1));
        // 0x7F was ESC in RFC 4944 but is IPHC since RFC 6282.
        let c = ok(&[0x7f, 0x00]);
        assert_eq!((c.next, c.payload_offset), (Next::Iphc, 0));
        let c = ok(&[0x3f, 0x01, 0x02]);
        assert_eq!(c.headers, vec![DispatchHeader::Nalp { dispatch: 0x3f }]);
        assert_eq!((c.next, c.payload_offset), (Next::None, 0));
        let c = ok(&[]);
        assert_eq!(
            (c.headers.len(), c.next, c.payload_offset),
            (0, Next::None, 0)
        );
    }

    #[test]
    fn page1_routing_headers() {
        let c = ok(&PAGE1_6LORH);
        assert_eq!(c.page, 1);
        assert_eq!((c.next, c.payload_offset), (Next::Iphc, 15));
        assert_eq!(c.headers[0], DispatchHeader::PageSwitch { page: 1 });
        let DispatchHeader::SixLoRh(ipip) = &c.headers[1] else {
            panic!("{c:?}")
        };
        assert_eq!(
            (ipip.form, ipip.rh_type, ipip.rh_type_name),
            (SixLoRhForm::Elective, 6, "ip_in_ip")
        );
        assert_eq!((ipip.length, ipip.tse), (Some(1), None));
        assert_eq!(
            ipip.detail,
            SixLoRhDetail::IpInIp {
                hop_limit: 64,
                encapsulator: vec![]
            }
        );
        let DispatchHeader::SixLoRh(srh) = &c.headers[2] else {
            panic!("{c:?}")
        };
        assert_eq!(
            (srh.form, srh.rh_type_name, srh.tse, srh.len()),
            (SixLoRhForm::Critical, "srh_2", Some(1), 6)
        );
        assert_eq!(
            srh.detail,
            SixLoRhDetail::SourceRoute {
                address_len: 2,
                hops: vec![vec![0xaa, 0xbb], vec![0xcc, 0xdd]]
            }
        );
        let DispatchHeader::SixLoRh(rpi) = &c.headers[3] else {
            panic!("{c:?}")
        };
        assert_eq!(rpi.rh_type_name, "rpi");
        assert_eq!(rpi.body, vec![0x1e, 0x01, 0x00]);
        assert_eq!(
            rpi.detail,
            SixLoRhDetail::Rpi {
                down: false,
                rank_error: false,
                forwarding_error: false,
                instance_id: 30,
                instance_id_elided: false,
                sender_rank: 256,
                rank_compressed: false,
            }
        );
    }

    #[test]
    fn rpi_compressed_forms() {
        // page 1; critical TSE = O1 R0 F1 I1 K1, type 5; SenderRank one byte 0x09; IPHC.
        let c = ok(&[0xf1, 0x97, 0x05, 0x09, 0x7a]);
        let DispatchHeader::SixLoRh(rpi) = &c.headers[1] else {
            panic!("{c:?}")
        };
        assert_eq!(rpi.len(), 3);
        let SixLoRhDetail::Rpi {
            down,
            forwarding_error,
            instance_id,
            instance_id_elided,
            sender_rank,
            ..
        } = rpi.detail
        else {
            panic!("{rpi:?}")
        };
        assert!(down && forwarding_error && instance_id_elided);
        assert_eq!((instance_id, sender_rank), (0, 9));
        assert_eq!(c.payload_offset, 4);
    }

    #[test]
    fn page1_reuses_mesh_range_page0_does_not() {
        // 0xB5 in page 1 is an elective 6LoRH of Length 21 (unknown type 9: kept opaque).
        let mut v = vec![0xf1, 0xb5, 0x09];
        v.extend([0u8; 21]);
        v.push(0x7a);
        let c = ok(&v);
        let DispatchHeader::SixLoRh(h) = &c.headers[1] else {
            panic!("{c:?}")
        };
        assert_eq!(
            (h.rh_type_name, h.body.len(), h.detail.clone()),
            ("unknown", 21, SixLoRhDetail::Opaque)
        );
        // Switching back to page 0 makes 10xxxxxx a mesh header again.
        let c = ok(&[0xf1, 0xf0, 0xb5, 0, 1, 0, 2, 0x7a]);
        assert_eq!(c.page, 0);
        assert!(c.mesh().is_some());
    }

    #[test]
    fn recoverable_fragments() {
        let c = ok(&RFRAG_FIRST);
        assert_eq!(
            c.headers,
            vec![DispatchHeader::Rfrag(Rfrag {
                ecn: false,
                datagram_tag: 42,
                ack_request: true,
                sequence: 0,
                fragment_size: 80,
                datagram_size: Some(300),
                fragment_offset: 0,
            })]
        );
        assert_eq!((c.next, c.payload_offset), (Next::Iphc, 6));
        let c = ok(&RFRAG_LATER);
        let DispatchHeader::Rfrag(h) = &c.headers[0] else {
            panic!("{c:?}")
        };
        assert_eq!(
            (h.ecn, h.ack_request, h.sequence, h.fragment_size),
            (true, false, 3, 64)
        );
        assert_eq!((h.datagram_size, h.fragment_offset), (None, 80));
        assert_eq!((c.next, c.payload_offset), (Next::FragmentPayload, 6));
        let c = ok(&RFRAG_ACK);
        let DispatchHeader::RfragAck(a) = &c.headers[0] else {
            panic!("{c:?}")
        };
        assert_eq!((a.ecn, a.datagram_tag, a.bitmap), (true, 42, 0xf000_0000));
        assert!(a.acked(0) && a.acked(3) && !a.acked(4) && !a.acked(40));
        assert!(!a.is_null() && !a.is_full());
        assert_eq!((c.next, c.payload_offset), (Next::None, 6));
    }

    #[test]
    fn order_violations() {
        // BC0 then mesh.
        assert_invalid(
            &err(&[0x50, 0x01, 0xb5, 0, 1, 0, 2, 0x7a]),
            "dispatch",
            BASE + 2,
            "mesh header after a BC0",
        );
        // FRAG1 then BC0.
        assert_invalid(
            &err(&[0xc0, 0x50, 0, 1, 0x50, 1, 0x7a]),
            "dispatch",
            BASE + 4,
            "BC0 after a fragment header",
        );
        // FRAG1 then FRAGN.
        assert_invalid(
            &err(&[0xc0, 0x50, 0, 1, 0xe0, 0x50, 0, 1, 2]),
            "dispatch",
            BASE + 4,
            "FRAGN after a fragment",
        );
        // Two mesh headers.
        assert_invalid(
            &err(&[0xb1, 0, 1, 0, 2, 0xb1, 0, 1, 0, 2, 0x7a]),
            "dispatch",
            BASE + 5,
            "expected BC0",
        );
        // Two BC0.
        assert_invalid(
            &err(&[0x50, 1, 0x50, 2, 0x7a]),
            "dispatch",
            BASE + 2,
            "BC0 after a BC0",
        );
        // RFRAG after FRAG1.
        assert_invalid(
            &err(&[0xc0, 0x50, 0, 1, 0xe8, 1, 0, 1, 0, 1, 0x7a]),
            "dispatch",
            BASE + 4,
            "RFRAG",
        );
        // A fragment header after a 6LoRH.
        assert_invalid(
            &err(&[0xf1, 0xa1, 0x06, 0x40, 0xc0, 0x50, 0, 1, 0x7a]),
            "dispatch",
            BASE + 4,
            "6LoRH",
        );
        // NALP after a header.
        assert_invalid(&err(&[0x50, 1, 0x00]), "dispatch", BASE + 2, "NALP");
    }

    #[test]
    fn reserved_and_unknown_values() {
        for b in [0x43u8, 0x4f, 0x51, 0x5f, 0xc8, 0xdf, 0xec, 0xef] {
            assert_invalid(
                &err(&[b, 0, 0, 0, 0, 0, 0]),
                "dispatch",
                BASE,
                &format!("0x{b:02x}"),
            );
            assert_eq!(dispatch_name(b, 0), "reserved");
        }
        // Reserved after a valid header: offset names the reserved byte.
        assert_invalid(&err(&[0x50, 1, 0x44]), "dispatch", BASE + 2, "0x44");
        assert_invalid(&err(&[0xf2, 0x7a]), "page", BASE, "page 2");
        assert_invalid(
            &err(&[0xf1, 0x80, 0x07, 0x7a]),
            "6lorh_type",
            BASE + 2,
            "unknown critical 6LoRH type 7",
        );
        assert_invalid(
            &err(&[0xf1, 0xa0, 0x06, 0x7a]),
            "6lorh_length",
            BASE + 1,
            "hop limit",
        );
    }

    #[test]
    fn truncation_after_non_terminal_headers() {
        for v in [
            &[0x50u8, 0x01][..],
            &[0xc0, 0x50, 0, 1],
            &[0xf1],
            &[0xb1, 0, 1, 0, 2],
        ] {
            match err(v).into_kind() {
                ErrorKind::Truncated {
                    field,
                    offset,
                    needed,
                    available,
                    ..
                } => {
                    assert_eq!(
                        (field, offset, needed, available),
                        ("dispatch", BASE + v.len(), 1, 0)
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        match err(&[0xc0, 0x50, 0]).into_kind() {
            ErrorKind::Truncated {
                field,
                offset,
                needed,
                available,
                ..
            } => {
                assert_eq!(
                    (field, offset, needed, available),
                    ("datagram_tag", BASE + 2, 2, 1)
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_prefix_errors_cleanly() {
        for (v, header_end) in vectors() {
            let full = ok(&v);
            assert!(full.payload_offset <= v.len());
            for len in 0..v.len() {
                match parse_chain(&v[..len], BASE) {
                    Ok(c) => {
                        assert!(
                            len >= header_end || len == 0,
                            "prefix {len} of {v:02x?} parsed: {c:?}"
                        );
                        assert!(c.payload_offset <= len);
                    }
                    Err(e) => assert!(e.offset() <= BASE + len, "prefix {len} of {v:02x?}: {e}"),
                }
            }
        }
    }

    #[test]
    fn random_inputs_never_panic() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let interesting = [
            0x40u8, 0x41, 0x42, 0x50, 0x7a, 0x80, 0x8f, 0xa1, 0xb5, 0xc0, 0xe0, 0xe8, 0xea, 0xf1,
            0xf0,
        ];
        let mut oks = 0;
        for _ in 0..200_000 {
            let len = (next() % 48) as usize;
            let mut buf = Vec::with_capacity(len);
            for _ in 0..len {
                let r = next();
                buf.push(if r % 3 == 0 {
                    interesting[(r >> 8) as usize % interesting.len()]
                } else {
                    (r >> 16) as u8
                });
            }
            match parse_chain(&buf, 7) {
                Ok(c) => {
                    oks += 1;
                    assert!(c.payload_offset <= buf.len());
                    let hdr: usize = c
                        .headers
                        .iter()
                        .filter(|h| !matches!(h, DispatchHeader::Nalp { .. }))
                        .map(DispatchHeader::len)
                        .sum();
                    assert!(hdr <= c.payload_offset, "{buf:02x?} {c:?}");
                    // Emitting the chain rebuilds the input exactly.
                    let mut again = Vec::new();
                    c.emit(&mut again).unwrap();
                    again.extend_from_slice(&buf[c.payload_offset..]);
                    assert_eq!(again, buf, "{c:?}");
                }
                Err(e) => assert!(e.offset() <= 7 + buf.len(), "{buf:02x?}: {e}"),
            }
        }
        assert!(oks > 1000, "only {oks} inputs parsed");
    }

    #[test]
    fn emit_is_the_inverse_of_parse() {
        let mut extra = vectors();
        extra.push((RFRAG_ACK.to_vec(), 6));
        extra.push((vec![0xf1, 0x97, 0x05, 0x09, 0x7a], 4));
        extra.push((vec![0x3f, 0x01, 0x02], 0));
        for (v, _) in extra {
            let c = ok(&v);
            let mut out = Vec::new();
            c.emit(&mut out).unwrap();
            out.extend_from_slice(&v[c.payload_offset..]);
            assert_eq!(out, v, "{c:?}");
        }
    }

    #[test]
    fn mesh_new_picks_deep_hops() {
        for hops in [0u8, 5, 14, 15, 16, 200, 255] {
            let m = MeshHeader::new(hops, LinkAddr::Short(0x0102), LinkAddr::Extended([9; 8]));
            assert_eq!(m.deep_hops_left, hops >= 15);
            let mut buf = Vec::new();
            DispatchHeader::Mesh(m.clone()).emit(&mut buf).unwrap();
            assert_eq!(buf.len(), m.len());
            buf.push(0x7a);
            let c = ok(&buf);
            assert_eq!(c.mesh(), Some(&m));
            // V=1 (short originator), F=0 (extended final destination).
            assert_eq!(buf[0] & 0xf0, 0xa0);
            assert_eq!(
                &buf[buf.len() - 11..buf.len() - 9],
                &[0x01, 0x02],
                "network order"
            );
        }
    }

    #[test]
    fn emit_rejects_what_cannot_be_encoded() {
        let mut buf = vec![0u8; 3];
        let e = DispatchHeader::Frag1 {
            datagram_size: 2048,
            datagram_tag: 1,
        }
        .emit(&mut buf)
        .unwrap_err();
        assert_eq!((e.field(), e.offset()), ("datagram_size", 3));
        let m = MeshHeader {
            hops_left: 15,
            deep_hops_left: false,
            originator: LinkAddr::Short(1),
            final_destination: LinkAddr::Short(2),
        };
        assert_eq!(m.emit(&mut buf).unwrap_err().field(), "hops_left");
        let m = MeshHeader::new(3, LinkAddr::Absent, LinkAddr::Short(2));
        assert_eq!(m.emit(&mut buf).unwrap_err().field(), "originator");
        assert_eq!(
            DispatchHeader::PageSwitch { page: 16 }
                .emit(&mut buf)
                .unwrap_err()
                .field(),
            "page"
        );
        assert_eq!(buf.len(), 3, "nothing written on error");
    }

    #[test]
    fn frag_headers_bytes() {
        let mut buf = Vec::new();
        DispatchHeader::Frag1 {
            datagram_size: 188,
            datagram_tag: 1,
        }
        .emit(&mut buf)
        .unwrap();
        DispatchHeader::FragN {
            datagram_size: 136,
            datagram_tag: 0x1234,
            datagram_offset: 13,
        }
        .emit(&mut buf)
        .unwrap();
        assert_eq!(buf, [0xc0, 0xbc, 0x00, 0x01, 0xe0, 0x88, 0x12, 0x34, 0x0d]);
    }
}
