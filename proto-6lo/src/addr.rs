//! Link-layer addresses and the 6LoWPAN context table: the state that the wire does not carry and
//! that callers pass in explicitly.

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

/// An IEEE 802.15.4 address as carried in a MAC header (or a mesh header).
///
/// Extended addresses are kept in the order they are written for people (most significant octet
/// first, as in `00:12:4b:00:01:02:03:04`); on the 802.15.4 wire they are little-endian, and the
/// MAC parser reverses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum LinkAddr {
    /// No address field (addressing mode 0).
    #[default]
    Absent,
    /// 16-bit short address.
    Short(u16),
    /// 64-bit extended address (EUI-64), most significant octet first.
    Extended([u8; 8]),
}

impl LinkAddr {
    /// The 64-bit interface identifier RFC 4944 §6 / RFC 6282 §3.2.2 derive from this address:
    /// EUI-64 with the U/L bit inverted, or `0000:00ff:fe00:XXXX` for a short address.
    pub fn iid(&self) -> Option<[u8; 8]> {
        match *self {
            LinkAddr::Absent => None,
            // Computed as integers: built octet by octet, the array would be read back wider
            // than it was written (a store-forwarding stall on the decoding hot path).
            LinkAddr::Short(s) => Some((0x0000_00ff_fe00_0000 | u64::from(s)).to_be_bytes()),
            LinkAddr::Extended(e) => Some((u64::from_be_bytes(e) ^ (0x02 << 56)).to_be_bytes()),
        }
    }

    /// The link address that stands for a 48-bit MAC where 6LoWPAN runs over Ethernet (the
    /// LoWPAN EtherType, RFC 7973). RFC 7973 does not say how an elided address is derived
    /// from a MAC; this follows Linux (since 4.12) and Wireshark (its default): 0xFFFE
    /// inserted between the halves and the U/L bit left as it is in the MAC — unlike RFC 2464
    /// §4, which inverts it. The EUI-64 returned has the U/L bit pre-inverted so that
    /// [`LinkAddr::iid`] (which inverts it, RFC 4944 §6) gives that interface identifier.
    pub fn from_eui48(mac: [u8; 6]) -> LinkAddr {
        LinkAddr::Extended([
            mac[0] ^ 0x02,
            mac[1],
            mac[2],
            0xff,
            0xfe,
            mac[3],
            mac[4],
            mac[5],
        ])
    }

    /// True for the 802.15.4 broadcast short address 0xFFFF.
    pub fn is_broadcast(&self) -> bool {
        matches!(self, LinkAddr::Short(0xffff))
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

impl fmt::Display for LinkAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkAddr::Absent => f.write_str("-"),
            // Hex digits into a stack buffer, one write: `write!` with eight `{:02x}` cost
            // more than the rest of a frame's JSON record.
            LinkAddr::Short(s) => {
                let mut b = *b"0x0000";
                for (i, d) in b[2..].iter_mut().enumerate() {
                    *d = HEX_DIGITS[usize::from((s >> (12 - 4 * i)) & 0xf)];
                }
                f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?)
            }
            LinkAddr::Extended(e) => {
                let mut b = [b':'; 23];
                for (i, byte) in e.iter().enumerate() {
                    b[3 * i] = HEX_DIGITS[usize::from(byte >> 4)];
                    b[3 * i + 1] = HEX_DIGITS[usize::from(byte & 0xf)];
                }
                f.write_str(std::str::from_utf8(&b).map_err(|_| fmt::Error)?)
            }
        }
    }
}

impl serde::Serialize for LinkAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            LinkAddr::Absent => s.serialize_none(),
            other => s.collect_str(other),
        }
    }
}

impl FromStr for LinkAddr {
    type Err = String;

    /// `0xABCD` (short) or `aa:bb:cc:dd:ee:ff:00:11` / `aabbccddeeff0011` (extended).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let t = s.trim();
        if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            if h.len() <= 4 {
                return u16::from_str_radix(h, 16)
                    .map(LinkAddr::Short)
                    .map_err(|_| {
                        format!("`{s}`: a short address is 0x followed by up to 4 hex digits")
                    });
            }
        }
        let hex: String = t
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | '.'))
            .collect();
        if hex.len() == 16 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let mut e = [0u8; 8];
            for (i, b) in e.iter_mut().enumerate() {
                *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
            }
            return Ok(LinkAddr::Extended(e));
        }
        Err(format!(
            "`{s}`: expected a short address (0xABCD) or an extended one (aa:bb:cc:dd:ee:ff:00:11)"
        ))
    }
}

/// One 6LoWPAN context (RFC 6282 §3.1.2): a prefix of up to 128 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context {
    /// The prefix; bits past `len` are ignored.
    pub prefix: Ipv6Addr,
    /// Prefix length in bits, 0–128.
    pub len: u8,
}

impl FromStr for Context {
    type Err = String;

    /// `PREFIX/LEN`, e.g. `2001:db8:1::/64`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (p, l) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}`: expected PREFIX/LEN"))?;
        let prefix: Ipv6Addr = p
            .parse()
            .map_err(|_| format!("`{p}` is not an IPv6 prefix"))?;
        let len: u8 = l
            .parse()
            .map_err(|_| format!("`{l}` is not a prefix length"))?;
        if len > 128 {
            return Err(format!("prefix length {len} is over 128"));
        }
        Ok(Context { prefix, len })
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.prefix, self.len)
    }
}

/// Contexts 0–15, as configured (`--context N=PREFIX/LEN`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextTable {
    entries: [Option<Context>; 16],
    /// Bit `i` set when `entries[i]` is: [`ContextTable::iter`] visits the set entries only
    /// (the compressor lists them for every datagram, and most tables hold none or one).
    set: u16,
}

impl ContextTable {
    /// An empty table: any context-based compression is then an error naming the context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets context `id` (0–15); returns false when `id` is out of range.
    pub fn set(&mut self, id: u8, ctx: Context) -> bool {
        match self.entries.get_mut(usize::from(id)) {
            Some(slot) => {
                *slot = Some(ctx);
                self.set |= 1 << id;
                true
            }
            None => false,
        }
    }

    /// Context `id`, when configured.
    pub fn get(&self, id: u8) -> Option<&Context> {
        self.entries.get(usize::from(id)).and_then(Option::as_ref)
    }

    /// The configured contexts, with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &Context)> {
        let mut left = self.set;
        std::iter::from_fn(move || {
            // The lowest id still to visit.
            let id = u8::try_from(left.trailing_zeros())
                .ok()
                .filter(|&i| i < 16)?;
            left &= left - 1;
            Some((id, self.entries.get(usize::from(id))?.as_ref()?))
        })
    }

    /// Parses `N=PREFIX/LEN`, as the command line gives it, and sets it.
    pub fn set_from_arg(&mut self, arg: &str) -> std::result::Result<(), String> {
        let (n, c) = arg
            .split_once('=')
            .ok_or_else(|| format!("`{arg}`: expected N=PREFIX/LEN"))?;
        let id: u8 = n
            .trim()
            .parse()
            .map_err(|_| format!("`{n}` is not a context number 0-15"))?;
        let ctx: Context = c.parse()?;
        if !self.set(id, ctx) {
            return Err(format!("context {id} is out of range 0-15"));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn iid_from_link_addresses() {
        assert_eq!(
            LinkAddr::Short(0x1234).iid(),
            Some([0, 0, 0, 0xff, 0xfe, 0, 0x12, 0x34])
        );
        let e: LinkAddr = "00:12:4b:00:01:02:03:04".parse().unwrap();
        assert_eq!(e.iid(), Some([0x02, 0x12, 0x4b, 0, 1, 2, 3, 4]));
        assert_eq!(LinkAddr::Absent.iid(), None);
        // A MAC over the LoWPAN EtherType: 34-56-78-9A-BC-DE gives 3456:78FF:FE9A:BCDE, the
        // U/L bit as in the MAC (Linux, Wireshark), not 3656:… as RFC 2464 §4 would.
        assert_eq!(
            LinkAddr::from_eui48([0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]).iid(),
            Some([0x34, 0x56, 0x78, 0xff, 0xfe, 0x9a, 0xbc, 0xde])
        );
    }

    #[test]
    fn parse_and_print() {
        assert_eq!("0xabcd".parse::<LinkAddr>(), Ok(LinkAddr::Short(0xabcd)));
        assert_eq!(LinkAddr::Short(0xabcd).to_string(), "0xabcd");
        assert!("zz".parse::<LinkAddr>().is_err());
        let mut t = ContextTable::new();
        t.set_from_arg("3=2001:db8::/64").unwrap();
        assert_eq!(t.get(3).unwrap().len, 64);
        assert!(t.set_from_arg("16=2001:db8::/64").is_err());
        assert!(t.set_from_arg("1=2001:db8::/129").is_err());
    }

    /// `iter` lists exactly the contexts `get` finds, lowest id first, whatever the order they
    /// were set in (an id set twice once, with its last value); `set` refuses ids past 15.
    #[test]
    fn iter_lists_the_set_contexts_in_id_order() {
        let ctx = |n: u8| Context {
            prefix: Ipv6Addr::new(0x2001, 0xdb8, u16::from(n), 0, 0, 0, 0, 0),
            len: 48 + n,
        };
        assert_eq!(ContextTable::new().iter().count(), 0);
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..500 {
            let mut t = ContextTable::new();
            for k in 0..(x % 20) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let id = (x % 17) as u8;
                assert_eq!(t.set(id, ctx(id.wrapping_add(k as u8))), id < 16);
            }
            let want: Vec<(u8, Context)> = (0..16u8)
                .filter_map(|i| t.get(i).map(|c| (i, *c)))
                .collect();
            let got: Vec<(u8, Context)> = t.iter().map(|(i, c)| (i, *c)).collect();
            assert_eq!(got, want);
        }
    }
}
