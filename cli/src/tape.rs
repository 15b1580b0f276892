//! A serialised value kept as a flat list of events in reusable buffers: what the text
//! renderers walk to print a codec type's fields generically (`k=v k=v`) without building a
//! `serde_json::Value` tree — a map, a `String` per key and per string value — for every header
//! of every frame.
//!
//! [`Tape::record`] serialises any `Serialize` value the way `serde_json::to_value` would see it
//! (structs and maps as objects in field order, `None` and unit as null, enums in their serde
//! representation, bytes as an array of numbers, non-finite floats as null); the events and the
//! text of keys and strings go into vectors that keep their capacity from one call to the next.
//! Hand-written because serde's data model has to be walked once to reproduce exactly what the
//! previous `Value`-based renderers printed; no crate records a value without allocating per
//! node.

use std::fmt::Display;
use std::ops::Range;

use serde::ser::{self, Serialize};

/// One node of a recorded value. Containers are `Start…End` pairs; `Start` knows where its
/// `End` is, so a reader can skip or look ahead.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ev {
    /// `{`: the index of its matching `End`.
    Map(usize),
    /// `[`: the index of its matching `End`.
    Seq(usize),
    End,
    /// A key (text in the tape's string buffer).
    Key(usize, usize),
    Str(usize, usize),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    Null,
}

/// The recorded events of one value.
#[derive(Debug, Default)]
pub struct Tape {
    ev: Vec<Ev>,
    text: String,
    /// Open containers while recording (indexes into `ev`).
    open: Vec<usize>,
}

/// Recording failed: a map key that is not a string or a number (serde_json refuses those
/// too), or the value's own `Serialize` reported an error.
#[derive(Debug)]
pub struct TapeError(String);

impl Display for TapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TapeError {}
impl ser::Error for TapeError {
    fn custom<T: Display>(msg: T) -> Self {
        TapeError(msg.to_string())
    }
}

impl Tape {
    /// Records `v`, replacing what the tape held.
    pub fn record<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), TapeError> {
        self.ev.clear();
        self.text.clear();
        self.open.clear();
        v.serialize(&mut *self)
    }

    /// The recorded events.
    pub fn events(&self) -> &[Ev] {
        &self.ev
    }

    /// The text of a `Key` or `Str` event.
    pub fn str(&self, a: usize, b: usize) -> &str {
        self.text.get(a..b).unwrap_or("")
    }

    fn push_text(&mut self, s: &str) -> (usize, usize) {
        let a = self.text.len();
        self.text.push_str(s);
        (a, self.text.len())
    }

    fn open(&mut self, seq: bool) {
        self.open.push(self.ev.len());
        self.ev.push(if seq { Ev::Seq(0) } else { Ev::Map(0) });
    }

    fn close(&mut self) {
        let end = self.ev.len();
        self.ev.push(Ev::End);
        if let Some(start) = self.open.pop() {
            match &mut self.ev[start] {
                Ev::Map(e) | Ev::Seq(e) => *e = end,
                _ => {}
            }
        }
    }

    fn key(&mut self, k: &str) {
        let (a, b) = self.push_text(k);
        self.ev.push(Ev::Key(a, b));
    }

    /// The range of the value starting at event `i` (a scalar, or a container up to its `End`).
    pub fn span(&self, i: usize) -> Range<usize> {
        match self.ev.get(i) {
            Some(Ev::Map(e) | Ev::Seq(e)) => i..*e + 1,
            _ => i..i + 1,
        }
    }
}

type R = Result<(), TapeError>;

impl ser::Serializer for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> R {
        self.ev.push(Ev::Bool(v));
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> R {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> R {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> R {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> R {
        // serde_json keeps non-negative integers as unsigned.
        self.ev.push(match u64::try_from(v) {
            Ok(u) => Ev::U64(u),
            Err(_) => Ev::I64(v),
        });
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> R {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> R {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> R {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> R {
        self.ev.push(Ev::U64(v));
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> R {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> R {
        self.ev
            .push(if v.is_finite() { Ev::F64(v) } else { Ev::Null });
        Ok(())
    }
    fn serialize_char(self, v: char) -> R {
        let mut b = [0; 4];
        self.serialize_str(v.encode_utf8(&mut b))
    }
    fn serialize_str(self, v: &str) -> R {
        let (a, b) = self.push_text(v);
        self.ev.push(Ev::Str(a, b));
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> R {
        self.open(true);
        for b in v {
            self.ev.push(Ev::U64(u64::from(*b)));
        }
        self.close();
        Ok(())
    }
    fn serialize_none(self) -> R {
        self.ev.push(Ev::Null);
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_unit(self) -> R {
        self.ev.push(Ev::Null);
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> R {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> R {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> R {
        self.open(false);
        self.key(variant);
        v.serialize(&mut *self)?;
        self.close();
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, TapeError> {
        self.open(true);
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, TapeError> {
        self.serialize_seq(None)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, TapeError> {
        self.serialize_seq(None)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, TapeError> {
        self.open(false);
        self.key(variant);
        self.open(true);
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, TapeError> {
        self.open(false);
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, TapeError> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, TapeError> {
        self.open(false);
        self.key(variant);
        self.open(false);
        Ok(self)
    }
}

impl ser::SerializeSeq for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        v.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.close();
        Ok(())
    }
}
impl ser::SerializeTuple for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        v.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.close();
        Ok(())
    }
}
impl ser::SerializeTupleStruct for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        v.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.close();
        Ok(())
    }
}
impl ser::SerializeTupleVariant for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        v.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.close(); // the array
        self.close(); // {variant: …}
        Ok(())
    }
}

/// Map keys as serde_json takes them: strings, and numbers, chars and bools as their text.
struct KeySer<'a>(&'a mut Tape);

impl ser::Serializer for KeySer<'_> {
    type Ok = ();
    type Error = TapeError;
    type SerializeSeq = ser::Impossible<(), TapeError>;
    type SerializeTuple = ser::Impossible<(), TapeError>;
    type SerializeTupleStruct = ser::Impossible<(), TapeError>;
    type SerializeTupleVariant = ser::Impossible<(), TapeError>;
    type SerializeMap = ser::Impossible<(), TapeError>;
    type SerializeStruct = ser::Impossible<(), TapeError>;
    type SerializeStructVariant = ser::Impossible<(), TapeError>;

    fn serialize_str(self, v: &str) -> R {
        self.0.key(v);
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> R {
        self.serialize_str(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> R {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> R {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> R {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> R {
        self.serialize_str(itoa::Buffer::new().format(v))
    }
    fn serialize_u8(self, v: u8) -> R {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> R {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> R {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> R {
        self.serialize_str(itoa::Buffer::new().format(v))
    }
    fn serialize_f32(self, _: f32) -> R {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_f64(self, _: f64) -> R {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_char(self, v: char) -> R {
        let mut b = [0; 4];
        self.serialize_str(v.encode_utf8(&mut b))
    }
    fn serialize_bytes(self, _: &[u8]) -> R {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_none(self) -> R {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> R {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_unit(self) -> R {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_unit_struct(self, _: &'static str) -> R {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> R {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> R {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, TapeError> {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, TapeError> {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, TapeError> {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, TapeError> {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, TapeError> {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, TapeError> {
        Err(TapeError("key must be a string".into()))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, TapeError> {
        Err(TapeError("key must be a string".into()))
    }
}

impl ser::SerializeMap for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> R {
        k.serialize(KeySer(self))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        v.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.close();
        Ok(())
    }
}
impl ser::SerializeStruct for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, k: &'static str, v: &T) -> R {
        self.key(k);
        v.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.close();
        Ok(())
    }
}
impl ser::SerializeStructVariant for &mut Tape {
    type Ok = ();
    type Error = TapeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, k: &'static str, v: &T) -> R {
        self.key(k);
        v.serialize(&mut **self)
    }
    fn end(self) -> R {
        self.close(); // the fields
        self.close(); // {variant: …}
        Ok(())
    }
}

// ---------------------------------------------------------------- `k=v` text

/// Keys whose numbers print as `0x%04x` in `k=v` text.
fn hex_key(k: &str) -> bool {
    k == "checksum" || k.ends_with("_tag")
}

impl Tape {
    /// The entries of the map starting at event `i`: `(key, value index)`.
    fn entries(&self, i: usize) -> impl Iterator<Item = (&str, usize)> + '_ {
        let end = match self.ev.get(i) {
            Some(Ev::Map(e)) => *e,
            _ => i,
        };
        let mut j = i + 1;
        std::iter::from_fn(move || {
            if j >= end {
                return None;
            }
            let Some(Ev::Key(a, b)) = self.ev.get(j).copied() else {
                return None;
            };
            let v = j + 1;
            j = self.span(v).end;
            Some((self.str(a, b), v))
        })
    }

    /// The value of `key` in the map at `i`: the last one, as a map keeps the last value given
    /// for a key.
    fn get(&self, i: usize, key: &str) -> Option<usize> {
        self.entries(i)
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .last()
    }

    fn is_str(&self, i: usize) -> bool {
        matches!(self.ev.get(i), Some(Ev::Str(..)))
    }

    /// The key that tags a serialised enum: the codec crates use `type` (dispatch headers) or
    /// `kind` (NHC, upper layers, encapsulations).
    fn tag_key(&self, i: usize) -> Option<&'static str> {
        ["kind", "type"]
            .into_iter()
            .find(|k| self.get(i, k).is_some_and(|v| self.is_str(v)))
    }

    /// The value at `i` as compact JSON text (what `serde_json::Value`'s `Display` prints).
    pub fn write_json(&self, i: usize, out: &mut Vec<u8>) {
        match self.ev.get(i).copied() {
            Some(Ev::Map(_)) => {
                out.push(b'{');
                for (n, (k, v)) in self.entries(i).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    json_str(k, out);
                    out.push(b':');
                    self.write_json(v, out);
                }
                out.push(b'}');
            }
            Some(Ev::Seq(e)) => {
                out.push(b'[');
                let mut j = i + 1;
                while j < e {
                    if j > i + 1 {
                        out.push(b',');
                    }
                    self.write_json(j, out);
                    j = self.span(j).end;
                }
                out.push(b']');
            }
            Some(Ev::Str(a, b)) => json_str(self.str(a, b), out),
            Some(Ev::U64(n)) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            Some(Ev::I64(n)) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
            Some(Ev::F64(f)) => {
                let _ = serde_json::to_writer(&mut *out, &f);
            }
            Some(Ev::Bool(b)) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Some(Ev::Null | Ev::End | Ev::Key(..)) | None => out.extend_from_slice(b"null"),
        }
    }

    /// `k=v k=v` of the value at `i`, skipping the enum tag, nulls and empty lists; a value
    /// that is not a map as its JSON text.
    pub fn write_fields(&self, i: usize, out: &mut Vec<u8>) {
        if !matches!(self.ev.get(i), Some(Ev::Map(_))) {
            return self.write_json(i, out);
        }
        let skip = self.tag_key(i);
        let mut first = true;
        for (k, v) in self.entries(i) {
            let ev = self.ev.get(v).copied();
            let empty_seq = matches!(ev, Some(Ev::Seq(e)) if e == v + 1);
            if Some(k) == skip || matches!(ev, Some(Ev::Null)) || empty_seq {
                continue;
            }
            if !first {
                out.push(b' ');
            }
            first = false;
            out.extend_from_slice(k.as_bytes());
            out.push(b'=');
            match ev {
                Some(Ev::Str(a, b)) => out.extend_from_slice(self.str(a, b).as_bytes()),
                Some(Ev::Map(_)) => {
                    out.push(b'{');
                    self.write_fields(v, out);
                    out.push(b'}');
                }
                Some(Ev::Seq(e)) => {
                    let mut j = v + 1;
                    while j < e {
                        if j > v + 1 {
                            out.extend_from_slice(b", ");
                        }
                        self.write_fields(j, out);
                        j = self.span(j).end;
                    }
                }
                Some(Ev::U64(n)) if hex_key(k) => hex04(n, out),
                Some(Ev::I64(_) | Ev::F64(_)) if hex_key(k) => hex04(0, out),
                _ => self.write_json(v, out),
            }
        }
    }

    /// The tag of the recorded enum and the event to list fields of (`None`: the value has no
    /// fields, and prints as `null`): a tagged map's tag, a one-entry map's key (an externally
    /// tagged enum), a string (a unit variant).
    pub fn tag(&self) -> (std::borrow::Cow<'_, str>, Option<usize>) {
        match self.ev.first().copied() {
            Some(Ev::Map(_)) => match self.tag_key(0) {
                Some(k) => match self.get(0, k).and_then(|v| self.ev.get(v).copied()) {
                    Some(Ev::Str(a, b)) => (self.str(a, b).into(), Some(0)),
                    _ => ("?".into(), Some(0)),
                },
                None => {
                    let mut it = self.entries(0);
                    match (it.next(), it.next()) {
                        (Some((k, v)), None) => (k.into(), Some(v)),
                        (None, _) => (Default::default(), Some(0)),
                        _ => (Default::default(), Some(0)),
                    }
                }
            },
            Some(Ev::Str(a, b)) => (self.str(a, b).into(), None),
            _ => {
                let mut s = Vec::new();
                self.write_json(0, &mut s);
                (String::from_utf8_lossy(&s).into_owned().into(), None)
            }
        }
    }

    /// `k=v` text of the whole recorded value.
    pub fn write_all_fields(&self, out: &mut Vec<u8>) {
        self.write_fields(0, out)
    }

    /// After [`Tape::tag`]: the fields of `at`, or `null`.
    pub fn write_tagged_fields(&self, at: Option<usize>, out: &mut Vec<u8>) {
        match at {
            Some(i) => self.write_fields(i, out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

// ---------------------------------------------------------------- IKE `k=v` text

impl Tape {
    fn map_len(&self, i: usize) -> usize {
        self.entries(i).count()
    }

    /// A registry value `{"id", "name"}` (exactly those two keys): their events.
    fn registry(&self, i: usize) -> Option<(usize, usize)> {
        if !matches!(self.ev.get(i), Some(Ev::Map(_))) || self.map_len(i) != 2 {
            return None;
        }
        Some((self.get(i, "id")?, self.get(i, "name")?))
    }

    /// The `ikev2 decode` text of a serialised value: `k=v k=v`, registry values as
    /// `NAME (id)`, nested maps in braces, lists in brackets, long hex strings cut.
    pub fn write_kv(&self, i: usize, out: &mut Vec<u8>, hex_max: usize) {
        if !matches!(self.ev.get(i), Some(Ev::Map(_))) {
            return self.write_kv_value(i, out, hex_max);
        }
        if let Some((id, name)) = self.registry(i) {
            if let Some(Ev::Str(a, b)) = self.ev.get(name).copied() {
                out.extend_from_slice(self.str(a, b).as_bytes());
                out.extend_from_slice(b" (");
                self.write_json(id, out);
                out.push(b')');
            } else {
                self.write_json(id, out);
            }
            return;
        }
        let mut first = true;
        for (k, v) in self.entries(i) {
            let ev = self.ev.get(v).copied();
            if matches!(ev, Some(Ev::Null)) || matches!(ev, Some(Ev::Seq(e)) if e == v + 1) {
                continue;
            }
            if !first {
                out.push(b' ');
            }
            first = false;
            out.extend_from_slice(k.as_bytes());
            out.push(b'=');
            self.write_kv_value(v, out, hex_max);
        }
    }

    fn write_kv_value(&self, i: usize, out: &mut Vec<u8>, hex_max: usize) {
        match self.ev.get(i).copied() {
            Some(Ev::Str(a, b)) => {
                let s = self.str(a, b);
                match s.get(..2 * hex_max) {
                    Some(head)
                        if s.len() > 2 * hex_max && s.bytes().all(|c| c.is_ascii_hexdigit()) =>
                    {
                        out.extend_from_slice(head.as_bytes());
                        out.extend_from_slice("… (".as_bytes());
                        out.extend_from_slice(itoa::Buffer::new().format(s.len() / 2).as_bytes());
                        out.extend_from_slice(b" octets)");
                    }
                    _ => out.extend_from_slice(s.as_bytes()),
                }
            }
            Some(Ev::Map(_)) if self.registry(i).is_some() => self.write_kv(i, out, hex_max),
            Some(Ev::Map(_)) => {
                out.push(b'{');
                self.write_kv(i, out, hex_max);
                out.push(b'}');
            }
            Some(Ev::Seq(e)) => {
                out.push(b'[');
                let mut j = i + 1;
                while j < e {
                    if j > i + 1 {
                        out.extend_from_slice(b", ");
                    }
                    self.write_kv(j, out, hex_max);
                    j = self.span(j).end;
                }
                out.push(b']');
            }
            _ => self.write_json(i, out),
        }
    }

    /// The string value of `key` in the recorded map, if it is one.
    pub fn top_str(&self, key: &str) -> Option<&str> {
        match self.ev.get(self.get(0, key)?).copied() {
            Some(Ev::Str(a, b)) => Some(self.str(a, b)),
            _ => None,
        }
    }
}

/// `0x%04x`.
pub fn hex04(n: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"0x");
    let digits = if n == 0 {
        1
    } else {
        (64 - n.leading_zeros()).div_ceil(4)
    };
    for _ in digits..4 {
        out.push(b'0');
    }
    for k in (0..digits).rev() {
        out.push(b"0123456789abcdef"[((n >> (4 * k)) & 0xf) as usize]);
    }
}

/// A JSON string literal.
fn json_str(s: &str, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Map, Value};

    /// What the tape's text must equal: the renderer it replaces, over a `serde_json::Value`.
    fn fields(v: &Value) -> String {
        let Value::Object(m) = v else {
            return v.to_string();
        };
        let skip = ["kind", "type"]
            .into_iter()
            .find(|k| m.get(*k).is_some_and(Value::is_string));
        let mut parts = Vec::new();
        for (k, v) in m {
            if Some(k.as_str()) == skip || v.is_null() || v.as_array().is_some_and(|a| a.is_empty())
            {
                continue;
            }
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Object(_) => format!("{{{}}}", fields(v)),
                Value::Array(a) => a.iter().map(fields).collect::<Vec<_>>().join(", "),
                Value::Number(n) if k == "checksum" || k.ends_with("_tag") => {
                    format!("0x{:04x}", n.as_u64().unwrap_or(0))
                }
                other => other.to_string(),
            };
            parts.push(format!("{k}={s}"));
        }
        parts.join(" ")
    }

    fn tag(v: &Value) -> (String, Value) {
        match v {
            Value::Object(m) => match ["kind", "type"]
                .into_iter()
                .find(|k| m.get(*k).is_some_and(Value::is_string))
            {
                Some(k) => (m[k].as_str().unwrap_or("?").to_string(), v.clone()),
                None if m.len() == 1 => m
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_default(),
                None => (String::new(), v.clone()),
            },
            Value::String(s) => (s.clone(), Value::Null),
            other => (other.to_string(), Value::Null),
        }
    }

    #[derive(serde::Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Tagged {
        Udp {
            checksum: u16,
            datagram_tag: u16,
            ports: Vec<u16>,
            none: Option<u8>,
            empty: Vec<u8>,
        },
        Unit,
    }

    #[derive(serde::Serialize)]
    enum External {
        Tuple(u8, String),
        Newtype(Vec<Option<bool>>),
        Struct {
            a: i32,
            b: f64,
            nested: Map<String, Value>,
        },
        Unit,
    }

    #[test]
    fn tape_text_equals_the_value_renderer() -> Result<(), TapeError> {
        let mut nested = Map::new();
        nested.insert("type".into(), json!(3));
        nested.insert("kind".into(), json!("x\"y"));
        nested.insert("list".into(), json!([{"a": 1}, "s", [1, 2], null, -3, 1.5]));
        let values: Vec<Box<dyn erased::Ser>> = vec![
            Box::new(Tagged::Udp {
                checksum: 0xab,
                datagram_tag: 0x1234,
                ports: vec![1, 2],
                none: None,
                empty: vec![],
            }),
            Box::new(Tagged::Unit),
            Box::new(External::Tuple(7, "t".into())),
            Box::new(External::Newtype(vec![Some(true), None])),
            Box::new(External::Struct {
                a: -4,
                b: 0.25,
                nested: nested.clone(),
            }),
            Box::new(External::Unit),
            Box::new(Value::Object(nested)),
            Box::new(json!({"checksum": -1, "x_tag": 2.5, "y": {"type": "t", "z": [[]]}})),
            Box::new(json!(42)),
            Box::new(json!({})),
            Box::new(json!({"only": {"k": "v"}})),
        ];
        let mut tape = Tape::default();
        for v in &values {
            let value = v.to_value();
            v.record(&mut tape)?;
            let mut out = Vec::new();
            tape.write_all_fields(&mut out);
            assert_eq!(String::from_utf8_lossy(&out), fields(&value), "{value}");
            let (t, inner) = tag(&value);
            let (tt, at) = tape.tag();
            let mut out = Vec::new();
            tape.write_tagged_fields(at, &mut out);
            assert_eq!(
                (tt.into_owned(), String::from_utf8_lossy(&out).into_owned()),
                (t, fields(&inner)),
                "{value}"
            );
            let mut out = Vec::new();
            tape.write_json(0, &mut out);
            assert_eq!(String::from_utf8_lossy(&out), value.to_string());
        }
        Ok(())
    }

    /// The `ikev2 decode` renderer the tape's `write_kv` replaces, over a `serde_json::Value`.
    fn kv(v: &Value) -> String {
        match v {
            Value::Object(m) => {
                if let (Some(id), Some(name), 2) = (m.get("id"), m.get("name"), m.len()) {
                    return match name.as_str() {
                        Some(s) => format!("{s} ({id})"),
                        None => format!("{id}"),
                    };
                }
                let mut parts = Vec::new();
                for (k, v) in m {
                    if v.is_null() || v.as_array().is_some_and(|a| a.is_empty()) {
                        continue;
                    }
                    parts.push(format!("{k}={}", kv_value(v)));
                }
                parts.join(" ")
            }
            other => kv_value(other),
        }
    }

    fn kv_value(v: &Value) -> String {
        match v {
            Value::String(s) if s.len() > 8 && s.bytes().all(|c| c.is_ascii_hexdigit()) => {
                format!("{}… ({} octets)", &s[..8], s.len() / 2)
            }
            Value::String(s) => s.clone(),
            Value::Object(m) if m.len() == 2 && m.contains_key("id") && m.contains_key("name") => {
                kv(v)
            }
            Value::Object(_) => format!("{{{}}}", kv(v)),
            Value::Array(a) => format!("[{}]", a.iter().map(kv).collect::<Vec<_>>().join(", ")),
            other => other.to_string(),
        }
    }

    #[test]
    fn tape_kv_equals_the_value_renderer() -> Result<(), TapeError> {
        let values = [
            json!({"kind": "sa", "doi": {"id": 1, "name": "IPSEC"}, "x": {"id": 2, "name": null},
                   "spi": "0123456789abcdef0123", "short": "abcd", "notes": [], "n": null,
                   "list": [{"id": 3, "name": "A"}, {"k": [1, "s", {"id": "q", "name": "B"}]}, 4],
                   "nested": {"a": true, "b": -2, "c": 0.5}}),
            json!({"id": 7, "name": "ONLY"}),
            json!("0123456789abcdefXX"),
            json!([1, {"id": 1, "name": "N", "extra": 0}]),
            json!(12),
        ];
        let mut tape = Tape::default();
        for value in &values {
            tape.record(value)?;
            let mut out = Vec::new();
            tape.write_kv(0, &mut out, 4);
            assert_eq!(String::from_utf8_lossy(&out), kv(value), "{value}");
        }
        Ok(())
    }

    #[test]
    fn hex04_pads_to_four_digits() {
        for n in [0u64, 1, 0xab, 0x1234, 0x12345, u64::MAX] {
            let mut out = Vec::new();
            hex04(n, &mut out);
            assert_eq!(String::from_utf8_lossy(&out), format!("0x{n:04x}"));
        }
    }

    mod erased {
        use super::*;
        pub trait Ser {
            fn to_value(&self) -> Value;
            fn record(&self, t: &mut Tape) -> Result<(), TapeError>;
        }
        impl<T: serde::Serialize> Ser for T {
            fn to_value(&self) -> Value {
                serde_json::to_value(self).unwrap_or(Value::Null)
            }
            fn record(&self, t: &mut Tape) -> Result<(), TapeError> {
                t.record(self)
            }
        }
    }
}
