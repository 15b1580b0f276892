//! A bounded reader over a byte slice that knows its absolute offset in the frame, so every error
//! it raises names the byte where the missing or bad field starts (the idea of rustls's
//! `msgs/codec.rs` `Reader`, plus offsets and field names).

use crate::error::{Error, Layer, Result};

/// Reads fields front to back out of `buf`; never panics, never reads past the end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
    layer: Layer,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, whose first byte sits at absolute offset `base` of the frame.
    #[inline]
    pub fn new(buf: &'a [u8], base: usize, layer: Layer) -> Self {
        Reader {
            buf,
            pos: 0,
            base,
            layer,
        }
    }

    /// The same reader, reporting errors against another layer from now on.
    #[inline]
    pub fn set_layer(&mut self, layer: Layer) {
        self.layer = layer;
    }

    /// The layer errors are reported against.
    #[inline]
    pub fn layer(&self) -> Layer {
        self.layer
    }

    /// Absolute offset of the next byte to be read.
    #[inline]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes consumed so far.
    #[inline]
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The bytes not read yet (does not consume them).
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// Takes every byte left.
    #[inline]
    pub fn take_rest(&mut self) -> &'a [u8] {
        let r = &self.buf[self.pos..];
        self.pos = self.buf.len();
        r
    }

    /// The error for `field` needing `needed` bytes at the current position.
    #[inline]
    pub fn truncated(&self, field: &'static str, needed: usize) -> Error {
        Error::truncated(self.layer, field, self.offset(), needed, self.remaining())
    }

    /// An [`crate::ErrorKind::Invalid`] error for `field` at absolute offset `offset`.
    #[inline]
    pub fn invalid_at(
        &self,
        field: &'static str,
        offset: usize,
        reason: impl Into<String>,
    ) -> Error {
        Error::invalid(self.layer, field, offset, reason)
    }

    /// Takes `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(self.truncated(field, n));
        }
        let r = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(r)
    }

    /// Takes exactly `N` bytes as an array.
    #[inline]
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let s = self.take(N, field)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Looks at the next byte without consuming it.
    #[inline]
    pub fn peek(&self, field: &'static str) -> Result<u8> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.truncated(field, 1))
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self, field: &'static str) -> Result<u8> {
        let b = self.peek(field)?;
        self.pos += 1;
        Ok(b)
    }

    /// A big-endian (network order) u16.
    #[inline]
    pub fn u16_be(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// A little-endian u16 (802.15.4 fields are little-endian).
    #[inline]
    pub fn u16_le(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    /// A big-endian u32.
    #[inline]
    pub fn u32_be(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// A little-endian u32.
    #[inline]
    pub fn u32_le(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    /// A sub-reader over the next `n` bytes (consumed from this one), for a nested region.
    #[inline]
    pub fn sub(&mut self, n: usize, field: &'static str) -> Result<Reader<'a>> {
        let base = self.offset();
        let s = self.take(n, field)?;
        Ok(Reader {
            buf: s,
            pos: 0,
            base,
            layer: self.layer,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_truncation() {
        let mut r = Reader::new(&[1, 2, 3], 10, Layer::Iphc);
        assert_eq!(r.u8("a"), Ok(1));
        assert_eq!(r.offset(), 11);
        let e = r.u32_be("b").unwrap_err();
        assert_eq!(
            *e.kind(),
            crate::ErrorKind::Truncated {
                layer: Layer::Iphc,
                field: "b",
                offset: 11,
                needed: 4,
                available: 2
            }
        );
        assert_eq!(r.u16_be("c"), Ok(0x0203));
        assert_eq!(r.remaining(), 0);
    }
}
