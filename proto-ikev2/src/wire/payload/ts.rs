//! Traffic Selector payloads TSi and TSr (RFC 7296 §3.13; TS_SECLABEL, RFC 9478).
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Next Payload  |C|  RESERVED   |         Payload Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Number of TSs |                 RESERVED                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                       <Traffic Selectors>                     ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! Traffic Selector (§3.13.1), types 7 and 8:
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |   TS Type     |IP Protocol ID*|       Selector Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Start Port*         |           End Port*           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                         Starting Address*                     ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ~                         Ending Address*                       ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!
//! TS_SECLABEL (10): TS Type, Reserved (1), Selector Length, Security Label.
//! ```

use ietfwg_report::hex::Hex;
use serde_with::serde_as;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::{is_zero_3, Error, Reader, Result, Writer};
use crate::wire::registry::TsType;

/// Traffic Selector payload body.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ts {
    /// RESERVED (3 bytes), kept as received.
    #[serde(skip_serializing_if = "is_zero_3")]
    pub reserved: [u8; 3],
    /// The traffic selectors (their count is Number of TSs).
    pub selectors: Vec<TrafficSelector>,
}

/// One traffic selector.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficSelector {
    /// TS_IPV4_ADDR_RANGE (7).
    Ipv4Range {
        /// IP Protocol ID (0 = any).
        ip_protocol: u8,
        /// Start Port.
        start_port: u16,
        /// End Port.
        end_port: u16,
        /// Starting Address.
        start: Ipv4Addr,
        /// Ending Address.
        end: Ipv4Addr,
    },
    /// TS_IPV6_ADDR_RANGE (8).
    Ipv6Range {
        /// IP Protocol ID (0 = any).
        ip_protocol: u8,
        /// Start Port.
        start_port: u16,
        /// End Port.
        end_port: u16,
        /// Starting Address.
        start: Ipv6Addr,
        /// Ending Address.
        end: Ipv6Addr,
    },
    /// TS_SECLABEL (10, RFC 9478).
    SecLabel {
        /// The Reserved byte, kept as received.
        reserved: u8,
        /// Security Label.
        #[serde_as(as = "Hex")]
        label: Vec<u8>,
    },
    /// Any other TS Type: the second byte and the rest after Selector Length, raw.
    Unknown {
        /// TS Type.
        ts_type: TsType,
        /// The byte after TS Type.
        byte1: u8,
        /// The bytes after Selector Length.
        #[serde_as(as = "Hex")]
        data: Vec<u8>,
    },
}

impl TrafficSelector {
    /// Its TS Type.
    pub fn ts_type(&self) -> TsType {
        match self {
            TrafficSelector::Ipv4Range { .. } => TsType(7),
            TrafficSelector::Ipv6Range { .. } => TsType(8),
            TrafficSelector::SecLabel { .. } => TsType(10),
            TrafficSelector::Unknown { ts_type, .. } => *ts_type,
        }
    }

    fn parse(r: &mut Reader<'_>) -> Result<TrafficSelector> {
        let ts_type = TsType(r.u8("TS Type")?);
        let byte1 = r.u8("IP Protocol ID")?;
        let len_at = r.offset();
        let len = r.u16("Selector Length")?;
        let want = match ts_type.0 {
            7 => Some(16),
            8 => Some(40),
            _ => None,
        };
        if let Some(w) = want {
            if len != w {
                return Err(Error::invalid(
                    "Selector Length",
                    len_at,
                    format!("{len} for {ts_type}, expected {w}"),
                ));
            }
        }
        if len < 4 {
            return Err(Error::invalid(
                "Selector Length",
                len_at,
                format!("{len} is less than 4"),
            ));
        }
        let body_len = usize::from(len) - 4;
        if body_len > r.remaining() {
            return Err(Error::invalid(
                "Selector Length",
                len_at,
                format!(
                    "{len} runs {} byte(s) past the end of the payload",
                    body_len - r.remaining()
                ),
            ));
        }
        let mut b = r.sub(body_len, "traffic selector")?;
        Ok(match ts_type.0 {
            7 => TrafficSelector::Ipv4Range {
                ip_protocol: byte1,
                start_port: b.u16("Start Port")?,
                end_port: b.u16("End Port")?,
                start: Ipv4Addr::from(b.array::<4>("Starting Address")?),
                end: Ipv4Addr::from(b.array::<4>("Ending Address")?),
            },
            8 => TrafficSelector::Ipv6Range {
                ip_protocol: byte1,
                start_port: b.u16("Start Port")?,
                end_port: b.u16("End Port")?,
                start: Ipv6Addr::from(b.array::<16>("Starting Address")?),
                end: Ipv6Addr::from(b.array::<16>("Ending Address")?),
            },
            10 => TrafficSelector::SecLabel {
                reserved: byte1,
                label: b.take_rest().to_vec(),
            },
            _ => TrafficSelector::Unknown {
                ts_type,
                byte1,
                data: b.take_rest().to_vec(),
            },
        })
    }

    fn emit(&self, w: &mut Writer) {
        let start = w.buf.len();
        w.u8(self.ts_type().0);
        let byte1 = match self {
            TrafficSelector::Ipv4Range { ip_protocol, .. }
            | TrafficSelector::Ipv6Range { ip_protocol, .. } => *ip_protocol,
            TrafficSelector::SecLabel { reserved, .. } => *reserved,
            TrafficSelector::Unknown { byte1, .. } => *byte1,
        };
        w.u8(byte1);
        let at = w.reserve_u16();
        match self {
            TrafficSelector::Ipv4Range {
                start_port,
                end_port,
                start,
                end,
                ..
            } => {
                w.u16(*start_port);
                w.u16(*end_port);
                w.bytes(&start.octets());
                w.bytes(&end.octets());
            }
            TrafficSelector::Ipv6Range {
                start_port,
                end_port,
                start,
                end,
                ..
            } => {
                w.u16(*start_port);
                w.u16(*end_port);
                w.bytes(&start.octets());
                w.bytes(&end.octets());
            }
            TrafficSelector::SecLabel { label: data, .. }
            | TrafficSelector::Unknown { data, .. } => w.bytes(data),
        }
        w.patch_len_u16(at, start);
    }
}

impl std::fmt::Display for TrafficSelector {
    /// An address range as `127.0.0.0/24` when it is a prefix, `10.0.0.1-10.0.0.9` otherwise
    /// (one address alone), then ` proto N` and ` port P` / ` ports A-B` when restricted;
    /// `seclabel LABEL` (RFC 9478); `TS of unknown type`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (range, proto, sp, ep) = match self {
            TrafficSelector::Ipv4Range {
                ip_protocol,
                start_port,
                end_port,
                start,
                end,
            } => (
                range_text(
                    u128::from(u32::from(*start)),
                    u128::from(u32::from(*end)),
                    32,
                    || (start.to_string(), end.to_string()),
                ),
                *ip_protocol,
                *start_port,
                *end_port,
            ),
            TrafficSelector::Ipv6Range {
                ip_protocol,
                start_port,
                end_port,
                start,
                end,
            } => (
                range_text(u128::from(*start), u128::from(*end), 128, || {
                    (start.to_string(), end.to_string())
                }),
                *ip_protocol,
                *start_port,
                *end_port,
            ),
            TrafficSelector::SecLabel { label, .. } => {
                return write!(f, "seclabel {}", String::from_utf8_lossy(label))
            }
            TrafficSelector::Unknown { .. } => return f.write_str("TS of unknown type"),
        };
        f.write_str(&range)?;
        if proto != 0 {
            write!(f, " proto {proto}")?;
        }
        if !(sp == 0 && ep == 65535) {
            if sp == ep {
                write!(f, " port {sp}")?;
            } else {
                write!(f, " ports {sp}-{ep}")?;
            }
        }
        Ok(())
    }
}

/// `start/len` when [start, end] is a prefix, else `start-end` (or one address).
fn range_text(start: u128, end: u128, bits: u32, show: impl Fn() -> (String, String)) -> String {
    let (s, e) = show();
    if start == end {
        return s;
    }
    if end < start {
        return format!("{s}-{e}");
    }
    let span = start ^ end;
    // span must be 2^k - 1 and start must have zero host bits.
    if span.checked_add(1).is_some_and(u128::is_power_of_two) && start & span == 0 {
        let host = 128 - span.leading_zeros();
        if host <= bits {
            return format!("{s}/{}", bits - host);
        }
    } else if span == u128::MAX && start == 0 {
        return format!("{s}/0");
    }
    format!("{s}-{e}")
}

impl Ts {
    /// Parses the body (all of `r`).
    pub fn parse(r: &mut Reader<'_>) -> Result<Ts> {
        let n_at = r.offset();
        let n = r.u8("Number of TSs")?;
        let reserved = r.array::<3>("RESERVED")?;
        let mut selectors = Vec::with_capacity(usize::from(n));
        for i in 1..=usize::from(n) {
            if r.is_empty() {
                return Err(Error::invalid(
                    "Number of TSs",
                    n_at,
                    format!("{n}, but the payload ends after {} selector(s)", i - 1),
                ));
            }
            selectors.push(TrafficSelector::parse(r).map_err(|e| e.within(format!("TS #{i}")))?);
        }
        if !r.is_empty() {
            return Err(Error::trailing("Number of TSs", r.offset(), r.remaining()));
        }
        Ok(Ts {
            reserved,
            selectors,
        })
    }

    /// Writes the body (Number of TSs from the list).
    pub fn emit(&self, w: &mut Writer) {
        w.u8(u8::try_from(self.selectors.len()).unwrap_or(u8::MAX));
        w.bytes(&self.reserved);
        for s in &self.selectors {
            s.emit(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_selector_text() {
        let v4 = TrafficSelector::Ipv4Range {
            ip_protocol: 0,
            start_port: 0,
            end_port: 65535,
            start: "10.1.0.0".parse().unwrap(),
            end: "10.1.255.255".parse().unwrap(),
        };
        assert_eq!(v4.to_string(), "10.1.0.0/16");
        let odd = TrafficSelector::Ipv4Range {
            ip_protocol: 17,
            start_port: 500,
            end_port: 500,
            start: "10.0.0.1".parse().unwrap(),
            end: "10.0.0.9".parse().unwrap(),
        };
        assert_eq!(odd.to_string(), "10.0.0.1-10.0.0.9 proto 17 port 500");
        let all6 = TrafficSelector::Ipv6Range {
            ip_protocol: 0,
            start_port: 0,
            end_port: 65535,
            start: "::".parse().unwrap(),
            end: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap(),
        };
        assert_eq!(all6.to_string(), "::/0");
    }

    #[test]
    fn ts_ranges_roundtrip() {
        let mut body = vec![
            3, 0, 0, 0, // Number of TSs 3, RESERVED
            7, 6, 0, 16, // TS_IPV4_ADDR_RANGE, TCP, Selector Length 16
            0, 80, 0, 80, // ports 80-80
            10, 0, 0, 0, // 10.0.0.0
            10, 0, 0, 255, // 10.0.0.255
            8, 0, 0, 40, // TS_IPV6_ADDR_RANGE, any protocol, Selector Length 40
            0, 0, 0xff, 0xff, // ports 0-65535
        ];
        body.extend([0u8; 16]); // ::
        body.extend([0xffu8; 16]); // ffff:...:ffff
        body.extend([10, 0, 0, 7, b'l', b'b', b'l']); // TS_SECLABEL, reserved 0, length 7, "lbl"
        let ts = Ts::parse(&mut Reader::new(&body, 0)).unwrap();
        assert_eq!(
            ts.selectors[0],
            TrafficSelector::Ipv4Range {
                ip_protocol: 6,
                start_port: 80,
                end_port: 80,
                start: Ipv4Addr::new(10, 0, 0, 0),
                end: Ipv4Addr::new(10, 0, 0, 255)
            }
        );
        assert!(matches!(
            ts.selectors[1],
            TrafficSelector::Ipv6Range {
                end_port: 65535,
                ..
            }
        ));
        assert_eq!(
            ts.selectors[2],
            TrafficSelector::SecLabel {
                reserved: 0,
                label: b"lbl".to_vec()
            }
        );
        let mut w = Writer::new();
        ts.emit(&mut w);
        assert_eq!(w.buf, body);
        // Wrong selector length for IPv4.
        let mut b = body.clone();
        b[7] = 17;
        let e = Ts::parse(&mut Reader::new(&b, 0)).unwrap_err();
        assert_eq!(
            (e.field, e.offset, e.path.clone()),
            ("Selector Length", 6, vec!["TS #1".to_string()])
        );
        // Count 4 but 3 present; count 2 with a third left over.
        let mut b = body.clone();
        b[0] = 4;
        assert_eq!(
            Ts::parse(&mut Reader::new(&b, 0)).unwrap_err().field,
            "Number of TSs"
        );
        b[0] = 2;
        assert!(matches!(
            Ts::parse(&mut Reader::new(&b, 0)).unwrap_err().kind,
            crate::ErrorKind::Trailing { len: 7 }
        ));
    }
}
