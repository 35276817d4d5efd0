//! `plan.json`'s writer: the bytes of `serde_json::to_string_pretty`, faster.
//!
//! [`Json`] is serde_json's `Serializer` with its pretty formatter, method by method (the same
//! [`serde_json::ser::Formatter`] calls in the same order: see `serde_json/src/ser.rs`), except
//! for strings: serde_json looks every byte of every string up in its escape table, which was
//! a tenth of rendering a large plan. Here a string with nothing to escape (almost every name,
//! message and statement: no control character, `"` nor `\`) is found so by one scan that the
//! compiler vectorizes, and copied whole; any other goes through serde_json's own escaping.
//!
//! Struct field and enum variant names (`&'static str`s from serde's derive) are not scanned at
//! all: they never need escaping in this crate (checked in debug builds).
//!
//! Two differences: a map key must be a string (serde_json also takes numbers and booleans,
//! written as strings), and a field or variant name needing escapes would be written as is
//! (a debug build panics); the plan has neither.

use std::fmt;
use std::io;

use serde::ser::{self, Impossible, Serialize};
use serde_json::ser::Formatter;
use serde_json::Error;

type Result<T = ()> = std::result::Result<T, Error>;

/// serde_json's `PrettyFormatter` with its default two-space indent (the format of
/// `serde_json::to_string_pretty`), writing each line break with its indentation in one call
/// rather than one call per level.
#[derive(Default)]
pub(super) struct PrettyJson {
    level: usize,
    has_value: bool,
}

/// Levels [`BREAK`] indents without a loop (plan.json nests 7 deep).
pub(super) const BREAK_LEVELS: usize = 32;

/// `,`, a line break and the indentation of [`BREAK_LEVELS`] levels: a line break at level `n`
/// is a prefix of it (after the comma when there is none).
const BREAK: [u8; 2 + 2 * BREAK_LEVELS] = {
    let mut b = [b' '; 2 + 2 * BREAK_LEVELS];
    b[0] = b',';
    b[1] = b'\n';
    b
};

impl PrettyJson {
    /// `[` or `{`: one level in, nothing in it yet.
    fn open<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    /// `]` or `}`, on a line of its own when something is inside.
    fn close<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.line_break(w, false)?;
        }
        w.write_all(bracket)
    }

    /// A line break (after a `,` when `comma`) and the current indentation.
    fn line_break<W: ?Sized + io::Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        let from = usize::from(!comma);
        if self.level <= BREAK_LEVELS {
            return w.write_all(&BREAK[from..2 + 2 * self.level]);
        }
        w.write_all(&BREAK[from..2])?;
        for _ in 0..self.level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl Formatter for PrettyJson {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.line_break(w, !first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.line_break(w, !first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// True when JSON needs `s` escaped: a control character, `"` or `\` (serde_json's escape
/// table). 16 bytes at a time, each block without an early exit (branch-free, so the compiler
/// vectorizes it), then the rest byte by byte.
fn needs_escape(s: &str) -> bool {
    let escaped = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
    let mut blocks = s.as_bytes().chunks_exact(16);
    blocks
        .by_ref()
        .any(|block| block.iter().fold(false, |e, &b| e | escaped(b)))
        || blocks.remainder().iter().any(|&b| escaped(b))
}

/// `value` as `serde_json::to_string_pretty` writes it, into a buffer of `capacity` bytes (so
/// that a large document is not copied again as it grows).
pub(super) fn pretty<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Result<String> {
    let mut ser = Json {
        out: Vec::with_capacity(capacity),
        fmt: PrettyJson::default(),
    };
    value.serialize(&mut ser)?;
    // Every byte written is from a `str` or ASCII.
    String::from_utf8(ser.out).map_err(ser::Error::custom)
}

/// The serializer: serde_json's, with [`PrettyJson`] writing into a `Vec` (which cannot fail).
struct Json {
    out: Vec<u8>,
    fmt: PrettyJson,
}

impl Json {
    /// A JSON string: copied whole between quotes when nothing in it needs escaping.
    fn string(&mut self, s: &str) -> Result {
        if needs_escape(s) {
            return serde_json::to_writer(&mut self.out, s);
        }
        self.out.reserve(s.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
        Ok(())
    }

    /// A struct field's or enum variant's name, given by serde's derive as a `&'static str`:
    /// a Rust identifier or a `rename` of this crate, so nothing in it needs escaping and it is
    /// copied without the scan (field names are a third of plan.json's strings; a debug build
    /// checks).
    fn name(&mut self, s: &'static str) {
        debug_assert!(!needs_escape(s), "{s:?} needs escaping");
        self.out.reserve(s.len() + 2);
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
    }

    /// Part of a string, after its opening quote: escaped as serde_json does.
    fn string_part(&mut self, s: &str) {
        if needs_escape(s) {
            // serde_json's escaping of the whole string, without its quotes.
            let at = self.out.len();
            // Writing to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut self.out, s);
            self.out.pop();
            self.out.remove(at);
        } else {
            self.out.extend_from_slice(s.as_bytes());
        }
    }

    /// `{"variant": ` of an externally tagged enum variant with content.
    fn begin_variant(&mut self, variant: &'static str) -> Result {
        self.fmt.begin_object(&mut self.out).map_err(Error::io)?;
        self.fmt
            .begin_object_key(&mut self.out, true)
            .map_err(Error::io)?;
        self.name(variant);
        self.fmt.end_object_key(&mut self.out).map_err(Error::io)?;
        self.fmt
            .begin_object_value(&mut self.out)
            .map_err(Error::io)
    }

    /// `}` closing [`Json::begin_variant`].
    fn end_variant(&mut self) -> Result {
        self.fmt
            .end_object_value(&mut self.out)
            .map_err(Error::io)?;
        self.fmt.end_object(&mut self.out).map_err(Error::io)
    }
}

/// A scalar as serde_json writes it (the same at every indentation).
macro_rules! scalar {
    ($($method:ident: $t:ty,)*) => {$(
        fn $method(self, v: $t) -> Result {
            serde_json::to_writer(&mut self.out, &v)
        }
    )*};
}

impl<'a> ser::Serializer for &'a mut Json {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    scalar! {
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
        serialize_f32: f32,
        serialize_f64: f64,
    }

    fn serialize_char(self, v: char) -> Result {
        self.string(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result {
        self.string(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result {
        // An array of numbers, as serde_json's `Formatter::write_byte_array`.
        self.collect_seq(v)
    }

    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result {
        self.name(variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.begin_variant(variant)?;
        value.serialize(&mut *self)?;
        self.end_variant()
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>> {
        self.fmt.begin_array(&mut self.out).map_err(Error::io)?;
        if len == Some(0) {
            self.fmt.end_array(&mut self.out).map_err(Error::io)?;
        }
        Ok(Compound {
            state: if len == Some(0) {
                State::Empty
            } else {
                State::First
            },
            ser: self,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>> {
        self.begin_variant(variant)?;
        self.serialize_seq(Some(len))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>> {
        self.fmt.begin_object(&mut self.out).map_err(Error::io)?;
        if len == Some(0) {
            self.fmt.end_object(&mut self.out).map_err(Error::io)?;
        }
        Ok(Compound {
            state: if len == Some(0) {
                State::Empty
            } else {
                State::First
            },
            ser: self,
        })
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>> {
        self.begin_variant(variant)?;
        self.serialize_map(Some(len))
    }

    /// Written into the string as it is displayed (a `QName` is three writes), with no
    /// `String` of it.
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result {
        struct Part<'s>(&'s mut Json);
        impl fmt::Write for Part<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0.string_part(s);
                Ok(())
            }
        }
        self.out.push(b'"');
        fmt::write(&mut Part(self), format_args!("{value}")).map_err(ser::Error::custom)?;
        self.out.push(b'"');
        Ok(())
    }
}

/// Whether a container has no element yet, or is empty and already closed.
#[derive(PartialEq, Eq)]
enum State {
    Empty,
    First,
    Rest,
}

/// An array or object being written (serde_json's `Compound::Map`).
struct Compound<'a> {
    ser: &'a mut Json,
    state: State,
}

impl<'a> Compound<'a> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        let ser = &mut *self.ser;
        ser.fmt
            .begin_array_value(&mut ser.out, self.state == State::First)
            .map_err(Error::io)?;
        self.state = State::Rest;
        value.serialize(&mut *ser)?;
        ser.fmt.end_array_value(&mut ser.out).map_err(Error::io)
    }

    /// Closes the array (an empty one was closed when opened); returns the serializer, for
    /// a variant's closing brace.
    fn end_array(self) -> Result<&'a mut Json> {
        if self.state != State::Empty {
            self.ser
                .fmt
                .end_array(&mut self.ser.out)
                .map_err(Error::io)?;
        }
        Ok(self.ser)
    }

    /// An object key, written by `write` between the formatter's key framing.
    fn key_with(&mut self, write: impl FnOnce(&mut Json) -> Result) -> Result {
        let ser = &mut *self.ser;
        ser.fmt
            .begin_object_key(&mut ser.out, self.state == State::First)
            .map_err(Error::io)?;
        self.state = State::Rest;
        write(&mut *ser)?;
        ser.fmt.end_object_key(&mut ser.out).map_err(Error::io)
    }

    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.key_with(|ser| key.serialize(Key(ser)))
    }

    /// [`key`](Self::key) of a struct field (see [`Json::name`]).
    fn field_key(&mut self, key: &'static str) -> Result {
        self.key_with(|ser| {
            ser.name(key);
            Ok(())
        })
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        let ser = &mut *self.ser;
        ser.fmt
            .begin_object_value(&mut ser.out)
            .map_err(Error::io)?;
        value.serialize(&mut *ser)?;
        ser.fmt.end_object_value(&mut ser.out).map_err(Error::io)
    }

    /// [`end_array`](Self::end_array) for an object.
    fn end_object(self) -> Result<&'a mut Json> {
        if self.state != State::Empty {
            self.ser
                .fmt
                .end_object(&mut self.ser.out)
                .map_err(Error::io)?;
        }
        Ok(self.ser)
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.end_array().map(drop)
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.end_array().map(drop)
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.end_array().map(drop)
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }
    fn end(self) -> Result {
        self.end_array()?.end_variant()
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.value(value)
    }
    fn end(self) -> Result {
        self.end_object().map(drop)
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.field_key(key)?;
        self.value(value)
    }
    fn end(self) -> Result {
        self.end_object().map(drop)
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.field_key(key)?;
        self.value(value)
    }
    fn end(self) -> Result {
        self.end_object()?.end_variant()
    }
}

/// A map key: a string (see the module documentation).
struct Key<'a>(&'a mut Json);

fn key_must_be_a_string() -> Error {
    ser::Error::custom("a map key must be a string")
}

/// A key of any other kind is refused.
macro_rules! not_a_key {
    ($($method:ident: $t:ty,)*) => {$(
        fn $method(self, _v: $t) -> Result {
            Err(key_must_be_a_string())
        }
    )*};
}

impl ser::Serializer for Key<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result {
        self.0.string(v)
    }

    fn serialize_char(self, v: char) -> Result {
        self.0.string(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result {
        self.0.string(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }

    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result {
        ser::Serializer::collect_str(self.0, value)
    }

    not_a_key! {
        serialize_bool: bool,
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_f32: f32,
        serialize_f64: f64,
        serialize_bytes: &[u8],
    }

    fn serialize_none(self) -> Result {
        Err(key_must_be_a_string())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result {
        Err(key_must_be_a_string())
    }

    fn serialize_unit(self) -> Result {
        Err(key_must_be_a_string())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        Err(key_must_be_a_string())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result {
        Err(key_must_be_a_string())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::json;

    #[test]
    fn writes_what_serde_json_writes() {
        // Empty and nested containers, escapes, and levels deeper than BREAK covers.
        let mut deep = json!(["bottom", {}, [], {"k": []}]);
        for i in 0..BREAK_LEVELS + 3 {
            deep = json!({"level": i, "inner": deep, "list": [1, "two\n\"3\"\\", null, [], {}]});
        }
        for v in [
            deep,
            json!({}),
            json!([]),
            json!("x"),
            json!([[]]),
            json!({"a": {}}),
            json!({"ctl\u{1}\u{1f}\t\r\u{8}\u{c}": "é\u{7f}\u{2028}", "n": [-1, 1.5, 1e300, true]}),
        ] {
            for capacity in [0, 4096] {
                assert_eq!(
                    pretty(&v, capacity).unwrap(),
                    serde_json::to_string_pretty(&v).unwrap()
                );
            }
        }
    }

    #[test]
    fn every_kind_of_value_is_written_as_serde_json_writes_it() {
        #[derive(Serialize)]
        enum E {
            Unit,
            New(u8),
            Tuple(i64, &'static str),
            Empty(),
            Struct { a: Option<u32>, b: () },
            NoFields {},
        }
        #[derive(Serialize)]
        struct Newtype(&'static str);
        #[derive(Serialize)]
        struct UnitStruct;
        #[derive(Serialize)]
        struct TupleStruct(char, f32);
        #[derive(Serialize)]
        #[serde(tag = "kind", content = "name")]
        enum Adjacent {
            A(String),
        }
        #[derive(Serialize)]
        #[serde(tag = "kind")]
        enum Internal {
            B { x: i8 },
        }
        /// Displayed in three parts, one of them to escape (as `QName` is).
        struct Shown;
        impl fmt::Display for Shown {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a\"b")?;
                f.write_str(".")?;
                f.write_str("plain")
            }
        }
        impl Serialize for Shown {
            fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        #[derive(Serialize)]
        struct All {
            units: Vec<E>,
            newtype: Newtype,
            unit_struct: UnitStruct,
            tuple_struct: TupleStruct,
            tuple: (u128, i128, bool),
            bytes: serde_bytes_like::Bytes,
            nan: f64,
            map: std::collections::BTreeMap<String, Vec<u16>>,
            empty_map: std::collections::BTreeMap<String, u8>,
            adjacent: Adjacent,
            internal: Internal,
            shown: Shown,
            shown_keys: std::collections::BTreeMap<Newtype2, char>,
        }
        #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
        struct Newtype2(String);
        mod serde_bytes_like {
            /// Serialized with `serialize_bytes`.
            pub struct Bytes(pub Vec<u8>);
            impl serde::Serialize for Bytes {
                fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    s.serialize_bytes(&self.0)
                }
            }
        }
        let all = All {
            units: vec![
                E::Unit,
                E::New(7),
                E::Tuple(-3, "t\n"),
                E::Empty(),
                E::Struct { a: None, b: () },
                E::Struct { a: Some(1), b: () },
                E::NoFields {},
            ],
            newtype: Newtype("n"),
            unit_struct: UnitStruct,
            tuple_struct: TupleStruct('"', 0.1),
            tuple: (u128::MAX, i128::MIN, false),
            bytes: serde_bytes_like::Bytes(vec![0, 255]),
            nan: f64::NAN,
            map: [("k\\".to_string(), vec![1, 2]), ("e".into(), vec![])]
                .into_iter()
                .collect(),
            empty_map: Default::default(),
            adjacent: Adjacent::A("x".into()),
            internal: Internal::B { x: -1 },
            shown: Shown,
            shown_keys: [(Newtype2("q\"".into()), 'c')].into_iter().collect(),
        };
        assert_eq!(
            pretty(&all, 0).unwrap(),
            serde_json::to_string_pretty(&all).unwrap()
        );
    }

    #[test]
    fn a_key_that_is_not_a_string_is_refused() {
        let m: std::collections::BTreeMap<u8, u8> = [(1, 2)].into_iter().collect();
        assert!(pretty(&m, 0).is_err());
    }

    #[test]
    fn the_escape_scan_finds_every_byte_to_escape() {
        // Every ASCII byte, at every place of a 16-byte block and of the rest after them.
        for b in 0u8..=127 {
            for at in 0..40 {
                let mut s = "x".repeat(40);
                s.replace_range(at..at + 1, char::from(b).encode_utf8(&mut [0; 4]));
                let serde = serde_json::to_string(&s).unwrap();
                assert_eq!(
                    needs_escape(&s),
                    serde != format!("\"{s}\""),
                    "byte {b} at {at}"
                );
            }
        }
        assert!(!needs_escape("é\u{7f}\u{2028}"));
    }
}
