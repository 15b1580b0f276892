//! IPv6 Neighbor Discovery (RFC 4861) and its 6LoWPAN optimisations (RFC 6775, RFC 8505): the
//! message bodies of ICMPv6 types 133–137 and 157/158, and their options.
//!
//! ```text
//!   0                   1                   2                   3
//!   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |     Type      |     Code      |          Checksum             |   ICMPv6 header
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |  message body (fixed per type) ...                            |   [`NdBody`]
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!  |     Type      |    Length     |   option body ...             |   [`NdOption`], Length
//!  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+   in units of 8 octets
//! ```
//!
//! [`parse`] never fails the whole message for a bad option: it returns the body and the options
//! read so far, plus the error that stopped it (RFC 4861 §4.6: an option of Length 0 makes the
//! message invalid; here it is reported, not hidden). Errors use [`Layer::Ipv6`] and absolute
//! offsets in the datagram.

use std::net::Ipv6Addr;

use ietfwg_report::hex::Hex;

use crate::addr::LinkAddr;
use crate::error::{Error, Layer, Result};
use crate::reader::Reader;

/// ICMPv6 types decoded here.
pub mod types {
    /// Router Solicitation (RFC 4861 §4.1).
    pub const RS: u8 = 133;
    /// Router Advertisement (RFC 4861 §4.2).
    pub const RA: u8 = 134;
    /// Neighbor Solicitation (RFC 4861 §4.3).
    pub const NS: u8 = 135;
    /// Neighbor Advertisement (RFC 4861 §4.4).
    pub const NA: u8 = 136;
    /// Redirect (RFC 4861 §4.5).
    pub const REDIRECT: u8 = 137;
    /// Duplicate Address Request (RFC 6775 §4.4, EDAR in RFC 8505 §6.1).
    pub const DAR: u8 = 157;
    /// Duplicate Address Confirmation (RFC 6775 §4.4, EDAC in RFC 8505 §6.1).
    pub const DAC: u8 = 158;
}

/// ND option types decoded here.
pub mod opt {
    /// Source Link-Layer Address (RFC 4861 §4.6.1, RFC 4944 §8).
    pub const SLLAO: u8 = 1;
    /// Target Link-Layer Address.
    pub const TLLAO: u8 = 2;
    /// Prefix Information (RFC 4861 §4.6.2).
    pub const PREFIX_INFO: u8 = 3;
    /// Redirected Header (RFC 4861 §4.6.3).
    pub const REDIRECTED_HEADER: u8 = 4;
    /// MTU (RFC 4861 §4.6.4).
    pub const MTU: u8 = 5;
    /// Route Information (RFC 4191 §2.3).
    pub const RIO: u8 = 24;
    /// Recursive DNS Server (RFC 8106 §5.1).
    pub const RDNSS: u8 = 25;
    /// Address Registration (RFC 6775 §4.1) / Extended ARO (RFC 8505 §4.1).
    pub const ARO: u8 = 33;
    /// 6LoWPAN Context (RFC 6775 §4.2).
    pub const SIXCO: u8 = 34;
    /// Authoritative Border Router (RFC 6775 §4.3).
    pub const ABRO: u8 = 35;
}

/// True for the ICMPv6 types [`parse`] decodes.
pub fn is_nd(type_: u8) -> bool {
    matches!(type_, types::RS..=types::REDIRECT | types::DAR | types::DAC)
}

/// A decoded ND message: the fixed body and the options.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NdMessage {
    /// The type-specific fields.
    #[serde(flatten)]
    pub body: NdBody,
    /// The options, in wire order (as far as they could be read).
    pub options: Vec<NdOption>,
}

impl NdMessage {
    /// The 6LoWPAN Context options (RFC 6775 §4.2) of this message.
    pub fn contexts(&self) -> impl Iterator<Item = &SixLowpanContext> {
        self.options.iter().filter_map(|o| match o {
            NdOption::SixLowpanContext(c) => Some(c),
            _ => None,
        })
    }
}

/// The fixed part of each ND message.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "message", rename_all = "snake_case")]
pub enum NdBody {
    /// RS (RFC 4861 §4.1): a 32-bit reserved field.
    RouterSolicitation,
    /// RA (RFC 4861 §4.2, flags of RFC 3775/4191/5175).
    ///
    /// ```text
    ///  | Cur Hop Limit |M|O|H|Prf|P|R R|       Router Lifetime         |
    ///  |                         Reachable Time                        |
    ///  |                          Retrans Timer                        |
    /// ```
    RouterAdvertisement {
        cur_hop_limit: u8,
        managed: bool,
        other: bool,
        home_agent: bool,
        /// Default Router Preference (RFC 4191): 0 medium, 1 high, 3 low, 2 reserved.
        preference: u8,
        proxy: bool,
        /// Seconds.
        router_lifetime: u16,
        /// Milliseconds.
        reachable_time: u32,
        /// Milliseconds.
        retrans_timer: u32,
    },
    /// NS (RFC 4861 §4.3).
    NeighborSolicitation { target: Ipv6Addr },
    /// NA (RFC 4861 §4.4): `|R|S|O| Reserved(29) |` then the target.
    NeighborAdvertisement {
        router: bool,
        solicited: bool,
        #[serde(rename = "override")]
        override_: bool,
        target: Ipv6Addr,
    },
    /// Redirect (RFC 4861 §4.5).
    Redirect {
        target: Ipv6Addr,
        destination: Ipv6Addr,
    },
    /// DAR/DAC (RFC 6775 §4.4) and EDAR/EDAC (RFC 8505 §6.1).
    ///
    /// ```text
    ///  |     Type      |CodePfx|CodeSfx|          Checksum             |
    ///  |    Status     |     TID       |     Registration Lifetime     |
    ///  |   ROVR (EUI-64 in RFC 6775; 64, 128, 192 or 256 bits)  ...    |
    ///  |                  Registered Address (128 bits)                |
    /// ```
    ///
    /// The ROVR size is taken from the message length (what is left once the 4 fixed octets and
    /// the 16-octet Registered Address are counted).
    DuplicateAddress {
        /// True for a DAC (type 158), false for a DAR (157).
        confirmation: bool,
        /// The high 4 bits of the ICMPv6 Code (RFC 8505: the ROVR size in 64-bit units).
        code_prefix: u8,
        /// The low 4 bits of the ICMPv6 Code.
        code_suffix: u8,
        status: u8,
        status_name: &'static str,
        /// Transaction ID (RFC 8505; the Reserved octet of RFC 6775).
        tid: u8,
        /// Units of 60 seconds.
        registration_lifetime: u16,
        /// Registration Ownership Verifier (the EUI-64 for RFC 6775).
        #[serde_as(as = "Hex")]
        rovr: Vec<u8>,
        registered_address: Ipv6Addr,
    },
}

/// One ND option.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "option", rename_all = "snake_case")]
pub enum NdOption {
    /// SLLAO (type 1).
    SourceLinkLayerAddress(LinkLayerAddress),
    /// TLLAO (type 2).
    TargetLinkLayerAddress(LinkLayerAddress),
    /// Prefix Information (type 3, RFC 4861 §4.6.2).
    ///
    /// ```text
    ///  |     Type      |    Length     | Prefix Length |L|A|R|Reserved1|
    ///  |                         Valid Lifetime                        |
    ///  |                       Preferred Lifetime                      |
    ///  |                           Reserved2                           |
    ///  |                            Prefix (128 bits)                  |
    /// ```
    PrefixInformation {
        prefix_length: u8,
        on_link: bool,
        autonomous: bool,
        /// R: router address (RFC 6275).
        router_address: bool,
        /// Seconds.
        valid_lifetime: u32,
        /// Seconds.
        preferred_lifetime: u32,
        prefix: Ipv6Addr,
    },
    /// MTU (type 5, RFC 4861 §4.6.4).
    Mtu { mtu: u32 },
    /// Route Information (type 24, RFC 4191 §2.3): prefix of 0, 8 or 16 octets (Length 1–3).
    RouteInformation {
        prefix_length: u8,
        /// Route Preference: 0 medium, 1 high, 3 low, 2 reserved.
        preference: u8,
        /// Seconds.
        route_lifetime: u32,
        prefix: Ipv6Addr,
    },
    /// Recursive DNS Server (type 25, RFC 8106 §5.1).
    RecursiveDnsServer {
        /// Seconds.
        lifetime: u32,
        servers: Vec<Ipv6Addr>,
    },
    /// ARO (RFC 6775 §4.1) or EARO (RFC 8505 §4.1), type 33.
    ///
    /// ```text
    ///  |   Type = 33   |    Length     |    Status     |    Opaque     |
    ///  |  Rsvd |  I|R|T|      TID      |     Registration Lifetime     |
    ///  |              ROVR (64, 128, 192 or 256 bits) ...              |
    /// ```
    ///
    /// RFC 6775's ARO is the same layout with Opaque, flags and TID reserved (zero) and an
    /// EUI-64 as ROVR (Length 2).
    AddressRegistration {
        status: u8,
        status_name: &'static str,
        opaque: u8,
        /// I: what Opaque holds (0 = an abstract index).
        i: u8,
        /// R: the registering node is a router that wants routing services for the address.
        r: bool,
        /// T: the TID field is valid (set: an EARO of RFC 8505; clear: an RFC 6775 ARO).
        t: bool,
        tid: u8,
        /// Units of 60 seconds.
        registration_lifetime: u16,
        /// ROVR (the EUI-64 of an RFC 6775 ARO).
        #[serde_as(as = "Hex")]
        rovr: Vec<u8>,
    },
    /// 6LoWPAN Context Option (6CO, type 34, RFC 6775 §4.2).
    SixLowpanContext(SixLowpanContext),
    /// Authoritative Border Router Option (ABRO, type 35, RFC 6775 §4.3).
    ///
    /// ```text
    ///  |   Type = 35   |  Length = 3   |       Version Low             |
    ///  |       Version High            |        Valid Lifetime         |
    ///  |                     6LBR Address (128 bits)                   |
    /// ```
    AuthoritativeBorderRouter {
        version_low: u16,
        version_high: u16,
        /// The 32-bit version number, `version_high << 16 | version_low`.
        version: u32,
        /// Units of 60 seconds (0 means the default, 10000).
        valid_lifetime: u16,
        border_router: Ipv6Addr,
    },
    /// Any other option (Redirected Header, Nonce, …): type and raw body.
    Other {
        #[serde(rename = "type")]
        type_: u8,
        /// Length field, in units of 8 octets.
        length: u8,
        #[serde_as(as = "Hex")]
        data: Vec<u8>,
    },
}

/// A link-layer address option (RFC 4861 §4.6.1) as 802.15.4 carries it (RFC 4944 §8): a 16-bit
/// short address padded to Length 1, or an EUI-64 padded to Length 2.
#[serde_with::serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LinkLayerAddress {
    /// The 802.15.4 address when the option reads as one (Length 1 with a zero tail: short;
    /// Length 2 with a zero tail: extended).
    pub address: Option<LinkAddr>,
    /// The option body after Type and Length, padding included.
    #[serde_as(as = "Hex")]
    pub data: Vec<u8>,
}

/// The 6LoWPAN Context Option (RFC 6775 §4.2).
///
/// ```text
///  |     Type      |     Length    |Context Length | Res |C|  CID  |
///  |            Reserved           |         Valid Lifetime        |
///  .                       Context Prefix  (64 or 128 bits)        .
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SixLowpanContext {
    /// Context Length in bits (0–128).
    pub context_length: u8,
    /// C: valid for compression. A context with C = 0 must not be used to compress but should
    /// still be used to decompress (RFC 6775 §4.2).
    pub compression: bool,
    /// Context ID, 0–15.
    pub cid: u8,
    /// Units of 60 seconds; 0 withdraws the context (RFC 6775 §7.2).
    pub valid_lifetime: u16,
    /// The prefix, zero-padded to 128 bits.
    pub prefix: Ipv6Addr,
}

/// The name of an ARO/EARO/DAR/DAC status (RFC 6775 §4.1, RFC 8505 §4.1 / IANA).
pub fn status_name(status: u8) -> &'static str {
    match status {
        0 => "success",
        1 => "duplicate address",
        2 => "neighbor cache full",
        3 => "moved",
        4 => "removed",
        5 => "validation requested",
        6 => "duplicate source address",
        7 => "invalid source address",
        8 => "registered address topologically incorrect",
        9 => "6LBR registry saturated",
        10 => "validation failed",
        _ => "unknown",
    }
}

/// Decodes the body of an ND message of ICMPv6 type `type_` and code `code`; `body` is what
/// follows the 4-octet ICMPv6 header and starts at absolute offset `base`.
///
/// Returns None and the error when the fixed body does not parse; otherwise the message with the
/// options read so far, and the error that stopped the options, if any. Types other than those
/// of [`is_nd`] give `(None, None)`.
pub fn parse(type_: u8, code: u8, body: &[u8], base: usize) -> (Option<NdMessage>, Option<Error>) {
    if !is_nd(type_) {
        return (None, None);
    }
    let mut r = Reader::new(body, base, Layer::Ipv6);
    let fixed = match parse_body(type_, code, &mut r) {
        Ok(b) => b,
        Err(e) => return (None, Some(e)),
    };
    let mut options = Vec::new();
    let error = parse_options(&mut r, &mut options);
    (
        Some(NdMessage {
            body: fixed,
            options,
        }),
        error,
    )
}

/// [`parse`], with the message built in its box (what [`crate::ipv6::summary`] keeps) rather
/// than on the stack and copied there: the box `spare` holds, when it holds one (its option
/// vector emptied and reused), else a new one.
pub(crate) fn parse_boxed(
    type_: u8,
    code: u8,
    body: &[u8],
    base: usize,
    spare: &mut Option<Box<NdMessage>>,
) -> (Option<Box<NdMessage>>, Option<Error>) {
    if !is_nd(type_) {
        return (None, None);
    }
    let mut r = Reader::new(body, base, Layer::Ipv6);
    let fixed = match parse_body(type_, code, &mut r) {
        Ok(b) => b,
        Err(e) => return (None, Some(e)),
    };
    let mut m = match spare.take() {
        Some(mut m) => {
            m.body = fixed;
            m.options.clear();
            m
        }
        None => Box::new(NdMessage {
            body: fixed,
            options: Vec::new(),
        }),
    };
    let error = parse_options(&mut r, &mut m.options);
    (Some(m), error)
}

/// The options after the fixed body, into `options`, up to the first that does not parse (its
/// error is returned).
fn parse_options(r: &mut Reader<'_>, options: &mut Vec<NdOption>) -> Option<Error> {
    while r.remaining() > 0 {
        match parse_option(r) {
            Ok(o) => options.push(o),
            Err(e) => return Some(e),
        }
    }
    None
}

fn addr(r: &mut Reader<'_>, field: &'static str) -> Result<Ipv6Addr> {
    Ok(Ipv6Addr::from(r.array::<16>(field)?))
}

fn parse_body(type_: u8, code: u8, r: &mut Reader<'_>) -> Result<NdBody> {
    Ok(match type_ {
        types::RS => {
            r.u32_be("RS reserved")?;
            NdBody::RouterSolicitation
        }
        types::RA => {
            let cur_hop_limit = r.u8("RA Cur Hop Limit")?;
            let f = r.u8("RA flags")?;
            NdBody::RouterAdvertisement {
                cur_hop_limit,
                managed: f & 0x80 != 0,
                other: f & 0x40 != 0,
                home_agent: f & 0x20 != 0,
                preference: (f >> 3) & 0x03,
                proxy: f & 0x04 != 0,
                router_lifetime: r.u16_be("RA Router Lifetime")?,
                reachable_time: r.u32_be("RA Reachable Time")?,
                retrans_timer: r.u32_be("RA Retrans Timer")?,
            }
        }
        types::NS => {
            r.u32_be("NS reserved")?;
            NdBody::NeighborSolicitation {
                target: addr(r, "NS Target Address")?,
            }
        }
        types::NA => {
            let f = r.u32_be("NA flags")?;
            NdBody::NeighborAdvertisement {
                router: f & 0x8000_0000 != 0,
                solicited: f & 0x4000_0000 != 0,
                override_: f & 0x2000_0000 != 0,
                target: addr(r, "NA Target Address")?,
            }
        }
        types::REDIRECT => {
            r.u32_be("Redirect reserved")?;
            NdBody::Redirect {
                target: addr(r, "Redirect Target Address")?,
                destination: addr(r, "Redirect Destination Address")?,
            }
        }
        _ => {
            // DAR / DAC: 4 fixed octets, the ROVR, then the 16-octet Registered Address.
            let status = r.u8("DAR/DAC Status")?;
            let tid = r.u8("DAR/DAC TID")?;
            let registration_lifetime = r.u16_be("DAR/DAC Registration Lifetime")?;
            let at = r.offset();
            let rovr_len = r.remaining().saturating_sub(16);
            if !matches!(rovr_len, 8 | 16 | 24 | 32) {
                return Err(r.invalid_at(
                    "DAR/DAC ROVR",
                    at,
                    format!(
                        "{} octets left for ROVR and Registered Address: expected 24, 32, 40 or 48 \
                         (a 64 to 256-bit ROVR and a 128-bit address, RFC 8505 §6.1)",
                        r.remaining()
                    ),
                ));
            }
            let rovr = r.take(rovr_len, "DAR/DAC ROVR")?.to_vec();
            NdBody::DuplicateAddress {
                confirmation: type_ == types::DAC,
                code_prefix: code >> 4,
                code_suffix: code & 0x0f,
                status,
                status_name: status_name(status),
                tid,
                registration_lifetime,
                rovr,
                registered_address: addr(r, "DAR/DAC Registered Address")?,
            }
        }
    })
}

/// Reads one option (Type, Length in 8-octet units, body).
fn parse_option(r: &mut Reader<'_>) -> Result<NdOption> {
    let at = r.offset();
    let type_ = r.u8("ND option Type")?;
    let length = r.u8("ND option Length")?;
    if length == 0 {
        return Err(r.invalid_at(
            "ND option Length",
            at + 1,
            format!(
                "option type {type_} with Length 0 (RFC 4861 §4.6: the message must be discarded)"
            ),
        ));
    }
    let body_len = usize::from(length) * 8 - 2;
    let mut b = r.sub(body_len, "ND option body")?;
    let bad_len = |expected: &str| {
        Error::invalid(
            Layer::Ipv6,
            "ND option Length",
            at + 1,
            format!("option type {type_} with Length {length}: expected {expected}"),
        )
    };
    Ok(match type_ {
        opt::SLLAO | opt::TLLAO => {
            let data = b.take_rest().to_vec();
            let zero_tail =
                |from: usize| data.get(from..).is_some_and(|t| t.iter().all(|&x| x == 0));
            let address = match (length, data.as_slice()) {
                (1, [h, l, ..]) if zero_tail(2) => {
                    Some(LinkAddr::Short(u16::from_be_bytes([*h, *l])))
                }
                (2, [a, b0, c, d, e, f, g, h, ..]) if zero_tail(8) => {
                    Some(LinkAddr::Extended([*a, *b0, *c, *d, *e, *f, *g, *h]))
                }
                _ => None,
            };
            let lla = LinkLayerAddress { address, data };
            if type_ == opt::SLLAO {
                NdOption::SourceLinkLayerAddress(lla)
            } else {
                NdOption::TargetLinkLayerAddress(lla)
            }
        }
        opt::PREFIX_INFO => {
            if length != 4 {
                return Err(bad_len("4"));
            }
            let prefix_length = b.u8("Prefix Length")?;
            let f = b.u8("Prefix Information flags")?;
            let valid_lifetime = b.u32_be("Valid Lifetime")?;
            let preferred_lifetime = b.u32_be("Preferred Lifetime")?;
            b.u32_be("Reserved2")?;
            NdOption::PrefixInformation {
                prefix_length,
                on_link: f & 0x80 != 0,
                autonomous: f & 0x40 != 0,
                router_address: f & 0x20 != 0,
                valid_lifetime,
                preferred_lifetime,
                prefix: addr(&mut b, "Prefix")?,
            }
        }
        opt::MTU => {
            if length != 1 {
                return Err(bad_len("1"));
            }
            b.u16_be("MTU reserved")?;
            NdOption::Mtu {
                mtu: b.u32_be("MTU")?,
            }
        }
        opt::RIO => {
            if length > 3 {
                return Err(bad_len("1, 2 or 3"));
            }
            let prefix_length = b.u8("Route Information Prefix Length")?;
            let f = b.u8("Route Information flags")?;
            let route_lifetime = b.u32_be("Route Lifetime")?;
            let mut p = [0u8; 16];
            let rest = b.take_rest();
            p[..rest.len()].copy_from_slice(rest);
            NdOption::RouteInformation {
                prefix_length,
                preference: (f >> 3) & 0x03,
                route_lifetime,
                prefix: Ipv6Addr::from(p),
            }
        }
        opt::RDNSS => {
            if length < 3 || length % 2 == 0 {
                return Err(bad_len("an odd value of at least 3 (RFC 8106 §5.1)"));
            }
            b.u16_be("RDNSS reserved")?;
            let lifetime = b.u32_be("RDNSS Lifetime")?;
            let mut servers = Vec::new();
            while b.remaining() >= 16 {
                servers.push(addr(&mut b, "RDNSS address")?);
            }
            NdOption::RecursiveDnsServer { lifetime, servers }
        }
        opt::ARO => {
            if !(2..=5).contains(&length) {
                return Err(bad_len("2 to 5 (a 64 to 256-bit ROVR, RFC 8505 §4.1)"));
            }
            let status = b.u8("ARO Status")?;
            let opaque = b.u8("EARO Opaque")?;
            let f = b.u8("EARO flags")?;
            let tid = b.u8("EARO TID")?;
            let registration_lifetime = b.u16_be("ARO Registration Lifetime")?;
            NdOption::AddressRegistration {
                status,
                status_name: status_name(status),
                opaque,
                i: (f >> 2) & 0x03,
                r: f & 0x02 != 0,
                t: f & 0x01 != 0,
                tid,
                registration_lifetime,
                rovr: b.take_rest().to_vec(),
            }
        }
        opt::SIXCO => {
            if !(2..=3).contains(&length) {
                return Err(bad_len("2 or 3"));
            }
            let context_length = b.u8("6CO Context Length")?;
            let f = b.u8("6CO flags")?;
            b.u16_be("6CO reserved")?;
            let valid_lifetime = b.u16_be("6CO Valid Lifetime")?;
            if context_length > 128 || (context_length > 64 && length != 3) {
                return Err(Error::invalid(
                    Layer::Ipv6,
                    "6CO Context Length",
                    at + 2,
                    format!(
                        "context length {context_length} with option Length {length} (RFC 6775 §4.2: at most \
                         64 bits in Length 2, 128 in Length 3)"
                    ),
                ));
            }
            let mut p = [0u8; 16];
            let rest = b.take_rest();
            p[..rest.len()].copy_from_slice(rest);
            NdOption::SixLowpanContext(SixLowpanContext {
                context_length,
                compression: f & 0x10 != 0,
                cid: f & 0x0f,
                valid_lifetime,
                prefix: Ipv6Addr::from(p),
            })
        }
        opt::ABRO => {
            if length != 3 {
                return Err(bad_len("3"));
            }
            let version_low = b.u16_be("ABRO Version Low")?;
            let version_high = b.u16_be("ABRO Version High")?;
            NdOption::AuthoritativeBorderRouter {
                version_low,
                version_high,
                version: u32::from(version_high) << 16 | u32::from(version_low),
                valid_lifetime: b.u16_be("ABRO Valid Lifetime")?,
                border_router: addr(&mut b, "ABRO 6LBR Address")?,
            }
        }
        _ => NdOption::Other {
            type_,
            length,
            data: b.take_rest().to_vec(),
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn router_advertisement_with_6lowpan_options() {
        let mut body = vec![
            64,   // Cur Hop Limit
            0xc8, // M=1 O=1 H=0 Prf=01 (high) P=0
            0x07, 0x08, // Router Lifetime 1800
            0, 0, 0, 10, // Reachable Time 10
            0, 0, 0, 20, // Retrans Timer 20
            // 6CO: Length 2, context length 64, C=1 CID=3, lifetime 0x0102, prefix 2001:db8:1::
            34, 2, 64, 0x13, 0, 0, 0x01, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
            // ABRO: version low 1, high 2, lifetime 3, 6LBR fe80::1
            35, 3, 0, 1, 0, 2, 0, 3,
        ];
        body.extend_from_slice(&a("fe80::1").octets());
        // MTU 1280
        body.extend_from_slice(&[5, 1, 0, 0, 0, 0, 0x05, 0x00]);
        let (m, e) = parse(types::RA, 0, &body, 44);
        assert_eq!(e, None);
        let m = m.unwrap();
        assert_eq!(
            m.body,
            NdBody::RouterAdvertisement {
                cur_hop_limit: 64,
                managed: true,
                other: true,
                home_agent: false,
                preference: 1,
                proxy: false,
                router_lifetime: 1800,
                reachable_time: 10,
                retrans_timer: 20
            }
        );
        assert_eq!(
            m.options[0],
            NdOption::SixLowpanContext(SixLowpanContext {
                context_length: 64,
                compression: true,
                cid: 3,
                valid_lifetime: 0x0102,
                prefix: a("2001:db8:1::")
            })
        );
        assert_eq!(
            m.options[1],
            NdOption::AuthoritativeBorderRouter {
                version_low: 1,
                version_high: 2,
                version: 0x0002_0001,
                valid_lifetime: 3,
                border_router: a("fe80::1")
            }
        );
        assert_eq!(m.options[2], NdOption::Mtu { mtu: 1280 });
        assert_eq!(m.contexts().count(), 1);
    }

    #[test]
    fn ns_with_earo_and_sllao() {
        let mut body = vec![0, 0, 0, 0]; // reserved
        body.extend_from_slice(&a("2001:db8::5").octets());
        // SLLAO Length 2: EUI-64 00:12:4b:00:01:02:03:04 + 6 octets padding
        body.extend_from_slice(&[1, 2, 0x00, 0x12, 0x4b, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0]);
        // EARO Length 3: status 0, opaque 7, I=1 R=1 T=1, TID 9, lifetime 60, 128-bit ROVR
        body.extend_from_slice(&[33, 3, 0, 7, 0x07, 9, 0, 60]);
        body.extend_from_slice(&[0xaa; 16]);
        // SLLAO Length 1: short address 0xbeef + 4 octets padding
        body.extend_from_slice(&[1, 1, 0xbe, 0xef, 0, 0, 0, 0]);
        let (m, e) = parse(types::NS, 0, &body, 0);
        assert_eq!(e, None);
        let m = m.unwrap();
        assert_eq!(
            m.body,
            NdBody::NeighborSolicitation {
                target: a("2001:db8::5")
            }
        );
        let NdOption::SourceLinkLayerAddress(l) = &m.options[0] else {
            panic!("{m:?}")
        };
        assert_eq!(
            l.address,
            Some(LinkAddr::Extended([0, 0x12, 0x4b, 0, 1, 2, 3, 4]))
        );
        assert_eq!(
            m.options[1],
            NdOption::AddressRegistration {
                status: 0,
                status_name: "success",
                opaque: 7,
                i: 1,
                r: true,
                t: true,
                tid: 9,
                registration_lifetime: 60,
                rovr: vec![0xaa; 16]
            }
        );
        let NdOption::SourceLinkLayerAddress(l) = &m.options[2] else {
            panic!("{m:?}")
        };
        assert_eq!(l.address, Some(LinkAddr::Short(0xbeef)));
    }

    #[test]
    fn dar_and_edac() {
        // RFC 6775 DAR: status 0, reserved, lifetime 10, EUI-64, registered address.
        let mut body = vec![0, 0, 0, 10, 1, 2, 3, 4, 5, 6, 7, 8];
        body.extend_from_slice(&a("2001:db8::9").octets());
        let (m, e) = parse(types::DAR, 0, &body, 0);
        assert_eq!(e, None);
        let NdBody::DuplicateAddress {
            confirmation,
            rovr,
            registered_address,
            registration_lifetime,
            ..
        } = m.unwrap().body
        else {
            panic!()
        };
        assert!(!confirmation);
        assert_eq!(rovr, vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            (registered_address, registration_lifetime),
            (a("2001:db8::9"), 10)
        );
        // RFC 8505 EDAC: CodePfx 2, status 1 (duplicate), TID 5, 128-bit ROVR.
        let mut body = vec![1, 5, 0, 0];
        body.extend_from_slice(&[0x55; 16]);
        body.extend_from_slice(&a("2001:db8::9").octets());
        let (m, e) = parse(types::DAC, 0x20, &body, 0);
        assert_eq!(e, None);
        let NdBody::DuplicateAddress {
            confirmation,
            code_prefix,
            status_name,
            tid,
            rovr,
            ..
        } = m.unwrap().body
        else {
            panic!()
        };
        assert!(confirmation);
        assert_eq!(
            (code_prefix, status_name, tid, rovr.len()),
            (2, "duplicate address", 5, 16)
        );
        // A ROVR of 12 octets is not a valid size.
        let (m, e) = parse(types::DAC, 0, &[0u8; 32], 100);
        assert!(m.is_none());
        assert_eq!(e.unwrap().offset(), 104);
    }

    #[test]
    fn bad_options_keep_what_was_read() {
        let mut body = vec![0, 0, 0, 0];
        body.extend_from_slice(&a("fe80::1").octets());
        body.extend_from_slice(&[1, 1, 0xbe, 0xef, 0, 0, 0, 0]); // SLLAO short
        body.extend_from_slice(&[33, 0, 0, 0]); // ARO with Length 0
        let (m, e) = parse(types::NS, 0, &body, 48);
        assert_eq!(m.unwrap().options.len(), 1);
        let e = e.unwrap();
        assert_eq!((e.field(), e.offset()), ("ND option Length", 48 + 28 + 1));
        // An option longer than the message: truncated, naming the option body.
        let mut body = vec![0, 0, 0, 0];
        body.extend_from_slice(&a("fe80::1").octets());
        body.extend_from_slice(&[34, 3, 64, 0x11, 0, 0]);
        let (m, e) = parse(types::NS, 0, &body, 0);
        assert!(m.unwrap().options.is_empty());
        assert!(matches!(
            e.as_ref().map(Error::kind),
            Some(crate::ErrorKind::Truncated {
                field: "ND option body",
                offset: 22,
                ..
            })
        ));
        // 6CO whose context length does not fit its Length.
        let mut body = vec![0; 12];
        body.extend_from_slice(&[34, 2, 96, 0x11, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        let (_, e) = parse(types::RA, 0, &body, 0);
        assert_eq!(e.unwrap().field(), "6CO Context Length");
        // Truncated fixed body.
        let (m, e) = parse(types::NA, 0, &[0xe0, 0, 0, 0, 0xfe], 0);
        assert!(m.is_none());
        assert!(matches!(
            e.as_ref().map(Error::kind),
            Some(crate::ErrorKind::Truncated {
                field: "NA Target Address",
                ..
            })
        ));
        // Not ND.
        assert_eq!(parse(128, 0, &[], 0), (None, None));
    }

    #[test]
    fn every_prefix_and_random_bytes_never_panic() {
        let mut state = 0x1234_5678_9abc_def0u64;
        for _ in 0..50_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 80) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| match (state >> (i % 56)) as u8 % 5 {
                    0 => [1, 2, 3, 5, 24, 25, 33, 34, 35][(i * 7) % 9],
                    1 => (i % 6) as u8,
                    _ => (state >> (i % 60)) as u8,
                })
                .collect();
            for t in [133u8, 134, 135, 136, 137, 157, 158] {
                let (m, e) = parse(t, (state >> 3) as u8, &bytes, 9);
                assert!(m.is_some() || e.is_some());
                if let Some(e) = e {
                    assert!(e.offset() <= 9 + bytes.len());
                }
            }
        }
    }
}
