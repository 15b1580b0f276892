//! A compact JSON serialiser that writes exactly what `serde_json::to_writer` writes (its compact
//! formatter), straight into a byte buffer, for the NDJSON records of every `--json` output.
//!
//! Written by hand because serde_json scans every string, the field names of every struct
//! included, byte by byte through its escape table, and hands each run to its writer apart:
//! on `6lo decode --json` that was over a third of the whole process's instructions. Here
//! every string, field names included, is checked with one branch-free pass and copied whole
//! when nothing in it needs escaping; a string that does, and floats, are handed to serde_json itself, so that
//! its escaping and its float formatting stay the reference.

use std::fmt::{self, Write as _};

use serde::ser::{self, Impossible, Serialize};

/// The error of a record that cannot be written as JSON (a map key that is not a string or a
/// number, or a `Serialize` impl that fails).
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error(e.to_string())
    }
}

type Result<T = ()> = std::result::Result<T, Error>;

/// `v` as compact JSON appended to `buf`, byte for byte what `serde_json::to_writer` writes.
pub fn to_vec<T: Serialize + ?Sized>(buf: &mut Vec<u8>, v: &T) -> Result {
    v.serialize(Ser { buf })
}

/// True when `s` holds a byte that JSON strings escape (`"`, backslash, a control character):
/// eight bytes at a time (the classic "has a zero / a smaller byte" word tests, exact as a yes
/// or no), the tail byte by byte.
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        let found = (x.wrapping_sub(ONES * 0x20) & !x)
            | (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash);
        if found & HIGH != 0 {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

fn write_str(buf: &mut Vec<u8>, s: &str) -> Result {
    if needs_escape(s.as_bytes()) {
        serde_json::to_writer(&mut *buf, s)?;
    } else {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    }
    Ok(())
}

fn write_int<I: itoa::Integer>(buf: &mut Vec<u8>, n: I) {
    let mut b = itoa::Buffer::new();
    buf.extend_from_slice(b.format(n).as_bytes());
}

/// Appends to the byte buffer through `core::fmt` (for `collect_str`).
struct FmtVec<'b>(&'b mut Vec<u8>);

impl fmt::Write for FmtVec<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

fn collect<T: fmt::Display + ?Sized>(buf: &mut Vec<u8>, v: &T) -> Result {
    buf.push(b'"');
    let start = buf.len();
    write!(FmtVec(buf), "{v}").map_err(|_| Error("a Display impl failed".into()))?;
    if needs_escape(&buf[start..]) {
        let text = String::from_utf8(buf.split_off(start)).map_err(|e| Error(e.to_string()))?;
        buf.pop();
        serde_json::to_writer(&mut *buf, &text)?;
    } else {
        buf.push(b'"');
    }
    Ok(())
}

struct Ser<'b> {
    buf: &'b mut Vec<u8>,
}

/// An object or an array being written; `first` until its first item.
pub struct Compound<'b> {
    buf: &'b mut Vec<u8>,
    first: bool,
    /// Closes a variant's wrapping object (`{"Variant":[…]}` / `{"Variant":{…}}`) too.
    variant: bool,
}

impl Compound<'_> {
    fn comma(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.buf.push(b',');
        }
    }

    /// A struct's field name: a Rust identifier or a `rename` written in this project's code,
    /// none of which needs escaping, so copied as it is (checked in debug builds).
    fn key(&mut self, key: &'static str) -> Result {
        debug_assert!(!needs_escape(key.as_bytes()), "field name {key:?}");
        self.comma();
        self.buf.reserve(key.len() + 3);
        self.buf.push(b'"');
        self.buf.extend_from_slice(key.as_bytes());
        self.buf.extend_from_slice(b"\":");
        Ok(())
    }

    fn close(self, c: u8) -> Result {
        self.buf.push(c);
        if self.variant {
            self.buf.push(b'}');
        }
        Ok(())
    }
}

impl<'b> ser::Serializer for Ser<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'b>;
    type SerializeTuple = Compound<'b>;
    type SerializeTupleStruct = Compound<'b>;
    type SerializeTupleVariant = Compound<'b>;
    type SerializeMap = Compound<'b>;
    type SerializeStruct = Compound<'b>;
    type SerializeStructVariant = Compound<'b>;

    fn serialize_bool(self, v: bool) -> Result {
        self.buf
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result {
        write_int(self.buf, v);
        Ok(())
    }
    fn serialize_i16(self, v: i16) -> Result {
        write_int(self.buf, v);
        Ok(())
    }
    fn serialize_i32(self, v: i32) -> Result {
        write_int(self.buf, v);
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result {
        write_int(self.buf, v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result {
        write_int(self.buf, v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result {
        write_int(self.buf, v);
        Ok(())
    }
    fn serialize_u16(self, v: u16) -> Result {
        write_int(self.buf, v);
        Ok(())
    }
    fn serialize_u32(self, v: u32) -> Result {
        write_int(self.buf, v);
        Ok(())
    }
    fn serialize_u64(self, v: u64) -> Result {
        write_int(self.buf, v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result {
        write_int(self.buf, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result {
        serde_json::to_writer(&mut *self.buf, &v)?;
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result {
        serde_json::to_writer(&mut *self.buf, &v)?;
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        write_str(self.buf, v.encode_utf8(&mut [0u8; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        write_str(self.buf, v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        // As serde_json: an array of numbers.
        self.buf.push(b'[');
        for (i, b) in v.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            write_int(self.buf, *b);
        }
        self.buf.push(b']');
        Ok(())
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.buf.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        write_str(self.buf, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Result {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result {
        self.buf.push(b'{');
        write_str(self.buf, variant)?;
        self.buf.push(b':');
        v.serialize(Ser { buf: self.buf })?;
        self.buf.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'b>> {
        self.buf.push(b'[');
        Ok(Compound {
            buf: self.buf,
            first: true,
            variant: false,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'b>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'b>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'b>> {
        self.buf.push(b'{');
        write_str(self.buf, variant)?;
        self.buf.extend_from_slice(b":[");
        Ok(Compound {
            buf: self.buf,
            first: true,
            variant: true,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'b>> {
        self.buf.push(b'{');
        Ok(Compound {
            buf: self.buf,
            first: true,
            variant: false,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'b>> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'b>> {
        self.buf.push(b'{');
        write_str(self.buf, variant)?;
        self.buf.extend_from_slice(b":{");
        Ok(Compound {
            buf: self.buf,
            first: true,
            variant: true,
        })
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, v: &T) -> Result {
        collect(self.buf, v)
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result {
        self.comma();
        v.serialize(Ser { buf: self.buf })
    }
    fn end(self) -> Result {
        self.close(b']')
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result {
        self.close(b']')
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result {
        self.close(b']')
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result {
        self.close(b']')
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.comma();
        key.serialize(KeySer { buf: self.buf })?;
        self.buf.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result {
        v.serialize(Ser { buf: self.buf })
    }
    fn end(self) -> Result {
        self.close(b'}')
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result {
        self.key(key)?;
        v.serialize(Ser { buf: self.buf })
    }
    fn end(self) -> Result {
        self.close(b'}')
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> Result {
        ser::SerializeStruct::serialize_field(self, key, v)
    }
    fn end(self) -> Result {
        self.close(b'}')
    }
}

/// A map key: a string, or a number or boolean written as a string, as serde_json writes keys.
struct KeySer<'b> {
    buf: &'b mut Vec<u8>,
}

fn key_must_be_a_string() -> Error {
    Error("key must be a string".into())
}

impl KeySer<'_> {
    fn quoted_int<I: itoa::Integer>(self, n: I) -> Result {
        self.buf.push(b'"');
        write_int(self.buf, n);
        self.buf.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for KeySer<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result {
        self.buf
            .extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.quoted_int(v)
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.quoted_int(v)
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.quoted_int(v)
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.quoted_int(v)
    }
    fn serialize_i128(self, v: i128) -> Result {
        self.quoted_int(v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.quoted_int(v)
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.quoted_int(v)
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.quoted_int(v)
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.quoted_int(v)
    }
    fn serialize_u128(self, v: u128) -> Result {
        self.quoted_int(v)
    }
    fn serialize_f32(self, _: f32) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _: f64) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_char(self, v: char) -> Result {
        write_str(self.buf, v.encode_utf8(&mut [0u8; 4]))
    }
    fn serialize_str(self, v: &str) -> Result {
        write_str(self.buf, v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        write_str(self.buf, variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Result {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
    fn collect_str<T: fmt::Display + ?Sized>(self, v: &T) -> Result {
        collect(self.buf, v)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::to_vec;

    #[derive(Serialize)]
    enum E {
        Unit,
        New(u8),
        Tuple(u8, i64),
        Struct { a: Option<bool>, b: f64 },
    }

    #[derive(Serialize)]
    struct Rec<'a> {
        s: &'a str,
        #[serde(rename = "with space")]
        n: i32,
        list: Vec<E>,
        map: BTreeMap<u16, &'a str>,
        bytes: &'a serde_bytes_like::Bytes,
        t: (u8, char),
        unit: (),
        f: f32,
        shown: std::net::Ipv6Addr,
    }

    mod serde_bytes_like {
        /// Serialises through `serialize_bytes`.
        pub struct Bytes(pub [u8; 3]);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    /// Every shape serde gives, and strings that need escaping, written as serde_json writes them.
    #[test]
    fn writes_what_serde_json_writes() -> anyhow::Result<()> {
        let bytes = serde_bytes_like::Bytes([0, 7, 255]);
        for s in [
            "plain",
            "quote \" and \\ back",
            "ctl \u{1}\n\t",
            "é ü 日本",
            "",
        ] {
            let rec = Rec {
                s,
                n: -42,
                list: vec![
                    E::Unit,
                    E::New(3),
                    E::Tuple(1, i64::MIN),
                    E::Struct { a: None, b: 0.1 },
                    E::Struct {
                        a: Some(true),
                        b: f64::NAN,
                    },
                ],
                map: BTreeMap::from([(1, s), (65535, "x")]),
                bytes: &bytes,
                t: (9, '"'),
                unit: (),
                f: 1.5e-7,
                shown: "fe80::1".parse()?,
            };
            let mut ours = Vec::new();
            to_vec(&mut ours, &rec)?;
            assert_eq!(String::from_utf8(ours)?, serde_json::to_string(&rec)?);
        }
        let v = serde_json::json!({"k": [1, -2, 3.25, null, "a\"b", {"z": false}]});
        let mut ours = Vec::new();
        to_vec(&mut ours, &v)?;
        assert_eq!(String::from_utf8(ours)?, serde_json::to_string(&v)?);
        Ok(())
    }

    /// The word test finds every byte that needs escaping, wherever it sits, and nothing else.
    #[test]
    fn escape_test_is_exact() {
        for len in 0..20 {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut s = vec![b'a'; len];
                    s[at] = b;
                    let want = b < 0x20 || b == b'"' || b == b'\\';
                    assert_eq!(
                        super::needs_escape(&s),
                        want,
                        "byte {b:#x} at {at} of {len}"
                    );
                }
            }
        }
        assert!(!super::needs_escape("é ü 日本 ~\u{7f}".as_bytes()));
    }

    /// `collect_str` output that needs escaping is escaped, not copied.
    #[test]
    fn displayed_strings_are_escaped() -> anyhow::Result<()> {
        struct D;
        impl serde::Serialize for D {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&"say \"hi\"\n")
            }
        }
        let mut ours = Vec::new();
        to_vec(&mut ours, &[D, D])?;
        assert_eq!(String::from_utf8(ours)?, serde_json::to_string(&[D, D])?);
        Ok(())
    }
}
