//! A text record under construction: one reusable byte buffer per output, written into without
//! a `String` per field — numbers through `itoa`, hex straight into the buffer, colour only
//! when the output is coloured (through `colored`, so coloured text is exactly what it was).

use std::fmt;
use std::io::Write as _;

use colored::{ColoredString, Colorize};

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
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Text {
    pub fn new(color: bool) -> Self {
        Text {
            buf: Vec::with_capacity(4096),
            color,
            tape: Tape::default(),
            scratch: Vec::new(),
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
        let need = if n == 0 {
            1
        } else {
            (64 - n.leading_zeros()).div_ceil(4)
        };
        for _ in need..digits {
            self.buf.push(b'0');
        }
        for k in (0..need).rev() {
            self.buf.push(HEX[((n >> (4 * k)) & 0xf) as usize]);
        }
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
        t.pad("ab", 5).s("|").pad("abcdef", 3);
        assert_eq!(String::from_utf8_lossy(&t.buf), "ab   |abcdef");
    }
}
