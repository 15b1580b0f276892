//! A text record under construction: one reusable byte buffer per output, written into without
//! a `String` per field — numbers through `itoa`, hex straight into the buffer, colour only
//! when the output is coloured (through `colored`, so coloured text is exactly what it was).

use std::fmt;
use std::io::Write as _;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use colored::{ColoredString, Colorize};
use ietfwg_capture::Timestamp;

use crate::tape::Tape;

/// How a span is coloured (applied only when the output is).
pub type Style = fn(ColoredString) -> ColoredString;

pub fn bold(s: ColoredString) -> ColoredString {
    s.bold()
}
pub fn cyan(s: ColoredString) -> ColoredString {
    s.cyan()
}
pub fn green(s: ColoredString) -> ColoredString {
    s.green()
}
pub fn yellow(s: ColoredString) -> ColoredString {
    s.yellow()
}
pub fn dimmed(s: ColoredString) -> ColoredString {
    s.dimmed()
}
pub fn red(s: ColoredString) -> ColoredString {
    s.red()
}
pub fn red_bold(s: ColoredString) -> ColoredString {
    s.red().bold()
}
pub fn yellow_bold(s: ColoredString) -> ColoredString {
    s.yellow().bold()
}

/// The text of one record (or several), kept across records.
#[derive(Debug)]
pub struct Text {
    pub buf: Vec<u8>,
    pub color: bool,
    /// For generic `k=v` fields of codec types.
    pub tape: Tape,
    /// A span being built before it is coloured.
    scratch: Vec<u8>,
    /// A buffer a renderer may borrow (`std::mem::take`) for text it edits before writing it,
    /// kept across records.
    pub kv: Vec<u8>,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex digits of `n`, zero-padded to `digits` (at most 16), into the start of `out`;
/// returns how many.
fn hex_into(n: u64, digits: u32, out: &mut [u8; 16]) -> usize {
    let need = if n == 0 {
        1
    } else {
        (64 - n.leading_zeros()).div_ceil(4)
    };
    let len = need.max(digits.min(16)) as usize;
    for (k, o) in out[..len].iter_mut().enumerate() {
        let shift = 4 * (len - 1 - k);
        *o = if shift < 64 {
            HEX[((n >> shift) & 0xf) as usize]
        } else {
            b'0'
        };
    }
    len
}

impl Text {
    pub fn new(color: bool) -> Self {
        Text {
            buf: Vec::with_capacity(4096),
            color,
            tape: Tape::default(),
            scratch: Vec::new(),
            kv: Vec::new(),
        }
    }

    pub fn clear(&mut self) {
        self.buf.clear();
    }

    #[inline]
    pub fn s(&mut self, s: &str) -> &mut Self {
        self.buf.extend_from_slice(s.as_bytes());
        self
    }

    #[inline]
    pub fn n<I: itoa::Integer>(&mut self, n: I) -> &mut Self {
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        self
    }

    /// `Display` of anything (no allocation: the formatter writes into the buffer).
    #[inline]
    pub fn d(&mut self, v: impl fmt::Display) -> &mut Self {
        let _ = write!(self.buf, "{v}");
        self
    }

    /// One NDJSON line: `v` serialised straight into the buffer, then a newline.
    pub fn json<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> anyhow::Result<()> {
        crate::jsonser::to_vec(&mut self.buf, v)?;
        self.buf.push(b'\n');
        Ok(())
    }

    pub fn nl(&mut self) -> &mut Self {
        self.buf.push(b'\n');
        self
    }

    /// `0x` and `digits` lowercase hex digits (more when the value needs them), as `{:0N x}`.
    pub fn hex(&mut self, n: u64, digits: u32) -> &mut Self {
        self.s("0x").hex_digits(n, digits)
    }

    /// Lowercase hex digits of `n`, zero-padded to `digits`.
    pub fn hex_digits(&mut self, n: u64, digits: u32) -> &mut Self {
        let mut b = [b'0'; 16];
        let len = hex_into(n, digits, &mut b);
        self.buf.extend_from_slice(&b[..len]);
        self
    }

    /// Bytes as lowercase hex.
    pub fn hex_bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.reserve(2 * b.len());
        for x in b {
            self.buf.push(HEX[usize::from(x >> 4)]);
            self.buf.push(HEX[usize::from(x & 0xf)]);
        }
        self
    }

    /// An IPv4 address as its `Display` writes it.
    pub fn ipv4(&mut self, a: &Ipv4Addr) -> &mut Self {
        let [a, b, c, d] = a.octets();
        self.n(a).s(".").n(b).s(".").n(c).s(".").n(d)
    }

    /// An IPv6 address as its `Display` writes it (RFC 5952: lowercase, the longest run of
    /// two or more zero groups — the first of equal runs — as `::`; `::ffff:a.b.c.d` for an
    /// IPv4-mapped address).
    pub fn ipv6(&mut self, a: &Ipv6Addr) -> &mut Self {
        if let Some(v4) = a.to_ipv4_mapped() {
            return self.s("::ffff:").ipv4(&v4);
        }
        let seg = a.segments();
        let (mut best, mut best_len, mut cur, mut cur_len) = (0, 0, 0, 0);
        for (i, &s) in seg.iter().enumerate() {
            if s == 0 {
                if cur_len == 0 {
                    cur = i;
                }
                cur_len += 1;
                if cur_len > best_len {
                    best = cur;
                    best_len = cur_len;
                }
            } else {
                cur_len = 0;
            }
        }
        // At most 8 groups of 4 digits and 7 separators (or 6 and `::`): 39 bytes.
        let mut out = [0u8; 40];
        let mut at = 0;
        let groups = |g: &[u16], out: &mut [u8; 40], at: &mut usize| {
            for (i, &s) in g.iter().enumerate() {
                if i > 0 {
                    out[*at] = b':';
                    *at += 1;
                }
                let mut d = [0u8; 16];
                let len = hex_into(u64::from(s), 1, &mut d);
                out[*at..*at + len].copy_from_slice(&d[..len]);
                *at += len;
            }
        };
        if best_len > 1 {
            groups(&seg[..best], &mut out, &mut at);
            out[at..at + 2].copy_from_slice(b"::");
            at += 2;
            groups(&seg[best + best_len..], &mut out, &mut at);
        } else {
            groups(&seg, &mut out, &mut at);
        }
        self.buf.extend_from_slice(&out[..at]);
        self
    }

    /// A socket address as its `Display` writes it (`a.b.c.d:port`, `[v6]:port`,
    /// `[v6%scope]:port`).
    pub fn sock(&mut self, a: &SocketAddr) -> &mut Self {
        match a {
            SocketAddr::V4(a) => self.ipv4(a.ip()).s(":").n(a.port()),
            SocketAddr::V6(a) => {
                self.s("[").ipv6(a.ip());
                if a.scope_id() != 0 {
                    self.s("%").n(a.scope_id());
                }
                self.s("]:").n(a.port())
            }
        }
    }

    /// A capture time as `Timestamp`'s `Display` writes it: `secs.nnnnnnnnn`.
    pub fn ts(&mut self, ts: Timestamp) -> &mut Self {
        self.n(ts.secs).s(".");
        let mut b = itoa::Buffer::new();
        let ns = b.format(ts.nanos);
        for _ in ns.len()..9 {
            self.buf.push(b'0');
        }
        self.s(ns)
    }

    /// `f`'s text, coloured with `style` when the output is coloured.
    pub fn styled(&mut self, style: Style, f: impl FnOnce(&mut Text)) -> &mut Self {
        if !self.color {
            f(self);
            return self;
        }
        let start = self.buf.len();
        f(self);
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.buf[start..]);
        self.buf.truncate(start);
        let text = String::from_utf8_lossy(&self.scratch).into_owned();
        let _ = write!(self.buf, "{}", style(text.as_str().normal()));
        self
    }

    /// `s`, coloured with `style` when the output is coloured.
    pub fn st(&mut self, style: Style, s: &str) -> &mut Self {
        if self.color {
            let _ = write!(self.buf, "{}", style(s.normal()));
        } else {
            self.s(s);
        }
        self
    }

    /// `s` left-aligned in `width` characters (`{:<width}`).
    pub fn pad(&mut self, s: &str, width: usize) -> &mut Self {
        self.s(s);
        for _ in s.chars().count()..width {
            self.buf.push(b' ');
        }
        self
    }

    /// `v`'s `Display` left-aligned in `width` characters (`{:<width}`), without a `String`.
    pub fn pad_d(&mut self, v: impl fmt::Display, width: usize) -> &mut Self {
        let start = self.buf.len();
        let _ = write!(self.buf, "{v}");
        let chars = std::str::from_utf8(&self.buf[start..]).map_or(0, |s| s.chars().count());
        for _ in chars..width {
            self.buf.push(b' ');
        }
        self
    }

    /// Generic `k=v` text of a codec value (see [`Tape::write_fields`]); a value that cannot be
    /// recorded prints as nothing.
    pub fn fields<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> &mut Self {
        if self.tape.record(v).is_ok() {
            self.tape.write_all_fields(&mut self.buf);
        }
        self
    }

    /// The tag of a codec enum value, then (after `between`) its `k=v` fields.
    pub fn tagged<T: serde::Serialize + ?Sized>(
        &mut self,
        v: &T,
        upper: bool,
        between: &str,
    ) -> &mut Self {
        if self.tape.record(v).is_err() {
            return self;
        }
        let (t, at) = self.tape.tag();
        if upper {
            self.buf.extend_from_slice(t.to_uppercase().as_bytes());
        } else {
            self.buf.extend_from_slice(t.as_bytes());
        }
        self.buf.extend_from_slice(between.as_bytes());
        self.tape.write_tagged_fields(at, &mut self.buf);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_numbers_match_format() {
        let mut t = Text::new(false);
        for (n, d) in [
            (0u64, 2u32),
            (5, 2),
            (0xabc, 2),
            (0xabcd, 4),
            (0x12345, 5),
            (1, 16),
        ] {
            t.clear();
            t.hex(n, d);
            assert_eq!(
                String::from_utf8_lossy(&t.buf),
                format!("0x{n:0w$x}", w = d as usize)
            );
        }
        t.clear();
        t.hex_bytes(&[0, 0xab, 0x7f]).n(-12i64).n(u64::MAX);
        assert_eq!(
            String::from_utf8_lossy(&t.buf),
            format!("00ab7f-12{}", u64::MAX)
        );
        t.clear();
        t.pad("ab", 5)
            .s("|")
            .pad("abcdef", 3)
            .s("|")
            .pad_d("é", 3)
            .s("|")
            .pad_d(1234, 2);
        assert_eq!(String::from_utf8_lossy(&t.buf), "ab   |abcdef|é  |1234");
    }

    /// Addresses and times are written as their `Display` writes them: every pattern of zero
    /// groups an IPv6 address can have, IPv4-mapped and -compatible forms, scopes, ports.
    #[test]
    fn addresses_and_times_match_display() {
        let mut t = Text::new(false);
        let check = |t: &mut Text, expected: String| {
            assert_eq!(String::from_utf8_lossy(&t.buf), expected);
            t.clear();
        };
        for mask in 0u32..256 {
            for fill in [1u16, 0xabcd, 0x0f00] {
                let seg: [u16; 8] =
                    std::array::from_fn(|i| if mask & (1 << i) != 0 { fill } else { 0 });
                let a = Ipv6Addr::from(seg);
                t.ipv6(&a);
                check(&mut t, a.to_string());
                let s = SocketAddr::from((a, 500));
                t.sock(&s);
                check(&mut t, s.to_string());
            }
        }
        for a in [
            "::ffff:192.0.2.1",
            "::192.0.2.1",
            "fe80::1",
            "::",
            "::1",
            "1::",
        ] {
            let a: Ipv6Addr = a.parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
            t.ipv6(&a);
            check(&mut t, a.to_string());
        }
        let s6 = std::net::SocketAddrV6::new(Ipv6Addr::LOCALHOST, 4500, 0, 7);
        t.sock(&SocketAddr::V6(s6));
        check(&mut t, s6.to_string());
        let s4 = SocketAddr::from(([10, 0, 255, 1], 4500));
        t.sock(&s4);
        check(&mut t, s4.to_string());
        for (secs, nanos) in [
            (0, 0),
            (1_700_000_100, 20_000_000),
            (5, 999_999_999),
            (7, 1),
        ] {
            let ts = Timestamp { secs, nanos };
            t.ts(ts);
            check(&mut t, ts.to_string());
        }
    }
}
