//! Field maps: where every field of a decoded frame or message lies in its bytes — the map an
//! annotated hex dump (`-x`) draws.
//!
//! Each protocol crate lays out its own fields from the values its decoder recorded
//! (`ietfwg_6lo::fields` for 802.15.4 and 6LoWPAN, `ietfwg_ikev2::wire::fields` for IKEv2),
//! with its own [`Layer`] type; this crate holds what they share: the [`Field`] and
//! [`BitField`] records, the [`Map`] that lays fields end to end in wire order and fills gaps,
//! and bit extraction from a field's word. The renderer reads any protocol's map through the
//! same types.
//!
//! A map covers its bytes exactly, each octet once: what a decoder did not reach is a field of
//! the layer's [`Layer::UNDECODED`]; a gap the layout rules do not account for is a field
//! named [`UNMAPPED`] (each protocol's tests check that real captures produce none).

use std::ops::Range;

/// The name of a field that fills a gap the layout rules did not account for.
pub const UNMAPPED: &str = "(not mapped)";

/// A protocol's layers (a hex dump labels and colours fields by layer).
pub trait Layer: Copy {
    /// The layer of bytes the decoder did not reach or could not read.
    const UNDECODED: Self;
    /// Short name for a column.
    fn name(self) -> &'static str;
}

/// Bits of a field: `len` bits starting `first` bits from the most significant bit of the
/// field's word ([`Field::word`], `width` bits wide).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BitField {
    /// First bit, counted from the most significant bit of the word (0-based).
    pub first: u8,
    /// Number of bits.
    pub len: u8,
    /// The bits' value.
    pub value: u32,
    /// The sub-field's name as the standard names it.
    pub name: &'static str,
    /// What the value means (empty: the value says it).
    pub meaning: String,
}

/// One field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Field<L> {
    /// Octets it occupies.
    pub range: Range<usize>,
    pub layer: L,
    /// Its name as the standard names it.
    pub name: String,
    /// Its value, decoded.
    pub value: String,
    /// The section that defines it (empty when none).
    pub reference: &'static str,
    /// For a bit field: the word the bits are read from (the octets as a number, in the byte
    /// order the standard reads them) and its width in bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub word: Option<(u32, u8)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bits: Vec<BitField>,
}

impl<L> Field<L> {
    /// Makes this a bit field read from `value`, `width` bits wide.
    pub fn word(&mut self, value: u32, width: u8) -> &mut Self {
        self.word = Some((value, width));
        self
    }

    /// Adds the sub-field of `len` bits at `first` (from the word's most significant bit); its
    /// value is read from the word set by [`Field::word`] (0 without one).
    pub fn bit(
        &mut self,
        first: u8,
        len: u8,
        name: &'static str,
        meaning: impl Into<String>,
    ) -> &mut Self {
        let (word, width) = self.word.unwrap_or((0, 0));
        let shift = u32::from(width.saturating_sub(first).saturating_sub(len));
        let mask = if len >= 32 {
            u32::MAX
        } else {
            (1u32 << len) - 1
        };
        self.bits.push(BitField {
            first,
            len,
            value: word.checked_shr(shift).unwrap_or(0) & mask,
            name,
            meaning: meaning.into(),
        });
        self
    }
}

/// Builds a map in wire order: each field starts where the one before ended.
#[derive(Debug)]
pub struct Map<L> {
    /// The fields so far.
    pub fields: Vec<Field<L>>,
    /// Where the next field starts.
    pub at: usize,
}

impl<L: Layer> Map<L> {
    /// An empty map whose first field starts at `at`.
    pub fn new(at: usize) -> Self {
        Map {
            fields: Vec::new(),
            at,
        }
    }

    /// Appends a field of `len` octets and returns it (to add its word and bits).
    pub fn push(
        &mut self,
        len: usize,
        layer: L,
        name: impl Into<String>,
        value: impl Into<String>,
        reference: &'static str,
    ) -> &mut Field<L> {
        let start = self.at;
        self.at += len;
        let i = self.fields.len();
        self.fields.push(Field {
            range: start..self.at,
            layer,
            name: name.into(),
            value: value.into(),
            reference,
            word: None,
            bits: Vec::new(),
        });
        &mut self.fields[i]
    }

    /// Moves to `to`, filling a gap with an [`UNMAPPED`] field.
    pub fn fill_to(&mut self, to: usize) {
        if to > self.at {
            let n = to - self.at;
            self.push(n, L::UNDECODED, UNMAPPED, format!("{n} byte(s)"), "");
        }
    }

    /// The fields, without empty ones.
    pub fn finish(mut self) -> Vec<Field<L>> {
        self.fields.retain(|f| !f.range.is_empty());
        self.fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum L {
        A,
        U,
    }
    impl Layer for L {
        const UNDECODED: Self = L::U;
        fn name(self) -> &'static str {
            "l"
        }
    }

    #[test]
    fn fields_follow_each_other_and_gaps_are_named() {
        let mut m = Map::new(2);
        m.push(3, L::A, "x", "1", "RFC 1 §1");
        m.fill_to(9);
        m.push(0, L::A, "empty", "", "");
        let f = m.finish();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].range, 2..5);
        assert_eq!((f[1].range.clone(), f[1].layer), (5..9, L::U));
        assert_eq!(
            (f[1].name.as_str(), f[1].value.as_str()),
            (UNMAPPED, "4 byte(s)")
        );
    }

    #[test]
    fn bits_are_read_from_the_word_msb_first() {
        let mut m = Map::new(0);
        // 0b1010_0110: bits 0..3 = 101, 3..5 = 00, 5..8 = 110.
        m.push(1, L::A, "w", "", "")
            .word(0b1010_0110, 8)
            .bit(0, 3, "a", "")
            .bit(3, 2, "b", "")
            .bit(5, 3, "c", "six");
        let v: Vec<u32> = m.fields[0].bits.iter().map(|b| b.value).collect();
        assert_eq!(v, [0b101, 0, 0b110]);
        // A 32-bit sub-field and one past the word do not overflow.
        let f = m
            .push(4, L::A, "w32", "", "")
            .word(u32::MAX, 32)
            .bit(0, 32, "all", "");
        assert_eq!(f.bits[0].value, u32::MAX);
        f.bit(40, 4, "outside", "");
        assert_eq!(f.bits[1].value, 0xf, "the shift saturates at 0");
    }
}
