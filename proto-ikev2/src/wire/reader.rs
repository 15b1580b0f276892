//! A bounded reader over a byte slice that knows its absolute offset in the message (rustls's
//! `msgs/codec.rs` `Reader`, plus offsets and field names), and the writer side for emitting.

use crate::error::{Error, Result};

/// Reads fields front to back; never panics, never reads past the end.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    /// The bytes not read yet.
    rest: &'a [u8],
    /// Absolute offset of `rest[0]`.
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, whose first byte sits at absolute offset `base`.
    #[inline]
    pub fn new(buf: &'a [u8], base: usize) -> Self {
        Reader {
            rest: buf,
            offset: base,
        }
    }

    /// Absolute offset of the next byte.
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Bytes left.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// True when every byte was read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The bytes not read yet (not consumed).
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// The next `N` bytes, not consumed (`None` when fewer are left): for reading a fixed
    /// header at once, then [`Reader::skip`]ping it.
    #[inline]
    pub fn peek<const N: usize>(&self) -> Option<&'a [u8; N]> {
        self.rest.first_chunk::<N>()
    }

    /// Consumes `n` bytes unread (at most what is left).
    #[inline]
    pub fn skip(&mut self, n: usize) {
        let n = n.min(self.rest.len());
        self.rest = self.rest.get(n..).unwrap_or_default();
        self.offset += n;
    }

    /// Takes every byte left.
    #[inline]
    pub fn take_rest(&mut self) -> &'a [u8] {
        let r = self.rest;
        self.offset += r.len();
        self.rest = &[];
        r
    }

    /// Takes `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8]> {
        match self.rest.split_at_checked(n) {
            Some((r, rest)) => {
                self.rest = rest;
                self.offset += n;
                Ok(r)
            }
            None => Err(self.truncated(field, n)),
        }
    }

    #[cold]
    #[inline(never)]
    fn truncated(&self, field: &'static str, n: usize) -> Error {
        Error::truncated(field, self.offset, n, self.rest.len())
    }

    /// Exactly `N` bytes as an array.
    #[inline]
    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        match self.rest.split_first_chunk::<N>() {
            Some((a, rest)) => {
                self.rest = rest;
                self.offset += N;
                Ok(*a)
            }
            None => Err(self.truncated(field, N)),
        }
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self, field: &'static str) -> Result<u8> {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                self.offset += 1;
                Ok(b)
            }
            None => Err(self.truncated(field, 1)),
        }
    }

    /// A big-endian u16.
    #[inline]
    pub fn u16(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    /// A big-endian u32.
    #[inline]
    pub fn u32(&mut self, field: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// A big-endian u64.
    #[inline]
    pub fn u64(&mut self, field: &'static str) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// A sub-reader over the next `n` bytes (consumed from this one), for a length-delimited
    /// region; check it with [`Reader::expect_end`] when the region must be read whole.
    #[inline]
    pub fn sub(&mut self, n: usize, field: &'static str) -> Result<Reader<'a>> {
        let offset = self.offset;
        let s = self.take(n, field)?;
        Ok(Reader { rest: s, offset })
    }

    /// An error unless every byte was read: `field` ended with bytes left over.
    #[inline]
    pub fn expect_end(&self, field: &'static str) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(Error::trailing(field, self.offset(), self.remaining()))
        }
    }
}

/// Appends big-endian fields to a buffer, with a length placeholder patched when the
/// length-prefixed structure is complete (rustls's `LengthPrefixedBuffer`, for IKEv2's
/// "Payload Length includes the generic header" lengths).
#[derive(Debug, Default)]
pub struct Writer {
    /// The bytes written so far.
    pub buf: Vec<u8>,
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Writer::default()
    }

    /// An empty writer with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Writer {
            buf: Vec::with_capacity(n),
        }
    }

    /// One byte.
    #[inline]
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    /// A big-endian u16.
    #[inline]
    pub fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// A big-endian u32.
    #[inline]
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// A big-endian u64.
    #[inline]
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    /// Raw bytes.
    #[inline]
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    /// Reserves a 16-bit length at the current position; returns where it is.
    #[inline]
    pub fn reserve_u16(&mut self) -> usize {
        let at = self.buf.len();
        self.u16(0);
        at
    }

    /// Writes at `at` (from [`Writer::reserve_u16`]) the number of bytes from `start` to the
    /// end; saturates at 65535 (an emitter must not build longer structures).
    #[inline]
    pub fn patch_len_u16(&mut self, at: usize, start: usize) {
        let len = u16::try_from(self.buf.len().saturating_sub(start)).unwrap_or(u16::MAX);
        if let Some(slot) = self.buf.get_mut(at..at + 2) {
            slot.copy_from_slice(&len.to_be_bytes());
        }
    }
}
