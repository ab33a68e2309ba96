//! Reading untrusted JSON with each object key at most once: [`read_json`] and [`JsonError`].
//!
//! `serde_json` keeps the last of two equal keys (`{"amount":1,"amount":500000}` reads as
//! 500000), and other readers (a proxy, a log pipeline, the merchant's own code in another
//! language) may keep the first: two parties that read the same signed bytes then disagree. Every
//! body this workspace reads goes through this one check, in every object at every depth (the
//! extra fields of an order too).
//!
//! The check is a `serde::Deserializer` adapter ([`Strict`]) around the real deserializer: it
//! passes everything through unchanged and, in each object, reads the key once as text (borrowed
//! from the input when it has no escape), refuses it if the object had it already, then hands it
//! to the caller's visitor. The body is parsed once; no intermediate `Value` is built. The
//! depth limit of `serde_json` (128 levels) still applies: a deeper body is an error, never a
//! stack overflow.
//!
//! Keys are compared after unescaping (`"a"` and `"\u0061"` are the same key), then handed to
//! the visitor as text (or as the number it spells, for a map keyed by integers, as
//! `serde_json` does).

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use crate::text::Excerpt;

/// Why a JSON body was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// An object has the same key twice (at any depth).
    #[error(
        "the JSON has the key {key:?} twice in one object: refused, since readers disagree on which value counts"
    )]
    DuplicateKey {
        /// The key, cut to [`EXCERPT_CHARS`](crate::EXCERPT_CHARS) characters.
        key: String,
    },
    /// Not JSON, or not the expected shape (a missing field, a value of the wrong kind, nesting
    /// deeper than 128 levels, text that is not UTF-8).
    #[error("{message}")]
    Invalid {
        /// What the parser said, with the line and column.
        message: String,
    },
}

/// Reads `body` as `T`, refusing a body in which any object has a key twice
/// ([`JsonError::DuplicateKey`], naming the key). Never panics, whatever the bytes.
///
/// Use it, rather than `serde_json::from_slice`, for every body received from outside.
///
/// ```
/// use kukuruku_proto::{read_json, JsonError, Order};
/// let order: Order = read_json(br#"{"uuid":"u","status":"paid","amount":1}"#)?;
/// assert_eq!(order.amount.unwrap().minor_units(), 1);
///
/// let twice = read_json::<Order>(br#"{"uuid":"u","status":"paid","amount":1,"amount":500000}"#);
/// assert_eq!(twice, Err(JsonError::DuplicateKey { key: "amount".into() }));
/// let nested = read_json::<serde_json::Value>(br#"{"extra":{"a":1,"\u0061":2}}"#);
/// assert_eq!(nested, Err(JsonError::DuplicateKey { key: "a".into() }));
/// # Ok::<(), JsonError>(())
/// ```
pub fn read_json<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, JsonError> {
    read_json_with::<T, ByDeserialize>(body)
}

/// How [`read_json_with`] reads its value from the checked deserializer.
pub(crate) trait ReadStrict<'de, T> {
    /// Reads the value from `json`, which already refuses duplicate keys.
    fn read<D: Deserializer<'de>>(json: Strict<'_, D>) -> Result<T, D::Error>;
}

/// Reads with the type's own `Deserialize`.
pub(crate) struct ByDeserialize;

impl<'de, T: Deserialize<'de>> ReadStrict<'de, T> for ByDeserialize {
    fn read<D: Deserializer<'de>>(json: Strict<'_, D>) -> Result<T, D::Error> {
        T::deserialize(json)
    }
}

/// [`read_json`] with the reading done by `R`, for a type that would otherwise wrap the check a
/// second time ([`Order`](crate::Order), strict by itself).
///
/// A body that is UTF-8 as a whole (checked once) is read as text, so `serde_json` does not
/// check each string again; any other body is read as bytes, which finds the same errors.
pub(crate) fn read_json_with<'de, T, R: ReadStrict<'de, T>>(
    body: &'de [u8],
) -> Result<T, JsonError> {
    let found = Cell::new(None);
    let read = match std::str::from_utf8(body) {
        Ok(text) => read_from::<T, R, _>(serde_json::Deserializer::from_str(text), &found),
        Err(_) => read_from::<T, R, _>(serde_json::Deserializer::from_slice(body), &found),
    };
    // A duplicate wins over whatever error it caused (a `Deserialize` impl may reword it), and
    // over a success (an impl may have swallowed it).
    match (found.take(), read) {
        (Some(key), _) => Err(JsonError::DuplicateKey { key }),
        (None, Ok(value)) => Ok(value),
        (None, Err(error)) => Err(JsonError::Invalid {
            message: error.to_string(),
        }),
    }
}

/// Reads the whole of `json` (nothing but white space after the value) through `R`.
fn read_from<'de, T, R: ReadStrict<'de, T>, J: serde_json::de::Read<'de>>(
    mut json: serde_json::Deserializer<J>,
    found: &Found,
) -> Result<T, serde_json::Error> {
    let value = R::read(Strict::new(&mut json, found))?;
    json.end()?;
    Ok(value)
}

/// Where the first duplicate key found is written (cut to an excerpt), for a typed error.
pub(crate) type Found = Cell<Option<String>>;

/// A deserializer that refuses an object with a key twice, at any depth, around `D`.
pub(crate) struct Strict<'f, D> {
    inner: D,
    found: &'f Found,
}

impl<'f, D> Strict<'f, D> {
    /// Wraps `inner`; the first duplicate key is also written to `found`.
    pub(crate) fn new(inner: D, found: &'f Found) -> Self {
        Self { inner, found }
    }
}

/// Forwards `deserialize_*` methods to the inner deserializer, with the visitor wrapped.
macro_rules! forward_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method($($arg,)* Wrap { visitor, found: self.found })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<'_, D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
    }

    /// Skipped values are checked too: the whole body has no duplicate, read or not.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.deserialize_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A visitor whose nested values (elements, entries, variants) are read strictly.
struct Wrap<'f, V> {
    visitor: V,
    found: &'f Found,
}

/// Forwards `visit_*` methods of plain values to the wrapped visitor.
macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.visitor.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Strict::new(d, self.found))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.visitor
            .visit_newtype_struct(Strict::new(d, self.found))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(Elements {
            inner: seq,
            found: self.found,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(Entries {
            inner: map,
            found: self.found,
            seen: Seen::default(),
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_enum(Variant {
            inner: data,
            found: self.found,
        })
    }
}

/// A seed whose value is read strictly.
struct Seed<'f, S> {
    seed: S,
    found: &'f Found,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Strict::new(d, self.found))
    }
}

/// The elements of an array, each read strictly.
struct Elements<'f, A> {
    inner: A,
    found: &'f Found,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Elements<'_, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(Seed {
            seed,
            found: self.found,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// The entries of an object: each key checked against the ones before it, each value read
/// strictly.
struct Entries<'de, 'f, A> {
    inner: A,
    found: &'f Found,
    seen: Seen<'de>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Entries<'de, '_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let Some(key) = self.inner.next_key_seed(KeyText)? else {
            return Ok(None);
        };
        if self.seen.contains(&key) {
            let shown = Excerpt(&key).to_string();
            let error = de::Error::custom(format_args!("duplicate key {shown:?} in an object"));
            self.found.set(Some(shown));
            return Err(error);
        }
        let value = seed.deserialize(Key {
            text: &key,
            error: PhantomData,
        })?;
        self.seen.insert(key);
        Ok(Some(value))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(Seed {
            seed,
            found: self.found,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// The variant of an enum (`{"Variant": …}`), its content read strictly.
struct Variant<'f, A> {
    inner: A,
    found: &'f Found,
}

impl<'de, 'f, A: EnumAccess<'de>> EnumAccess<'de> for Variant<'f, A> {
    type Error = A::Error;
    type Variant = Variant<'f, A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let (value, inner) = self.inner.variant_seed(seed)?;
        Ok((
            value,
            Variant {
                inner,
                found: self.found,
            },
        ))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.newtype_variant_seed(Seed {
            seed,
            found: self.found,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        let found = self.found;
        self.inner.tuple_variant(len, Wrap { visitor, found })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let found = self.found;
        self.inner.struct_variant(fields, Wrap { visitor, found })
    }
}

/// Reads an object key as text, borrowed from the input when it has no escape.
struct KeyText;

impl<'de> DeserializeSeed<'de> for KeyText {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyText {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

/// An object key, handed to the caller's seed: text (borrowed from the input when the key had no
/// escape), or a number read from that text when the caller asks for one, as `serde_json` does.
struct Key<'k, 'de, E> {
    text: &'k Cow<'de, str>,
    error: PhantomData<E>,
}

/// Reads the key as the integer type `$method` asks for, like `serde_json`'s own keys.
macro_rules! integer_key {
    ($($method:ident => $visit:ident($ty:ty);)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
            match self.text.parse::<$ty>() {
                Ok(number) => visitor.$visit(number),
                Err(_) => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de, E: de::Error> Deserializer<'de> for Key<'_, 'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.text {
            Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
            Cow::Owned(text) => visitor.visit_str(text),
        }
    }

    integer_key! {
        deserialize_i8 => visit_i8(i8);
        deserialize_i16 => visit_i16(i16);
        deserialize_i32 => visit_i32(i32);
        deserialize_i64 => visit_i64(i64);
        deserialize_u8 => visit_u8(u8);
        deserialize_u16 => visit_u16(u16);
        deserialize_u32 => visit_u32(u32);
        deserialize_u64 => visit_u64(u64);
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string bytes byte_buf option unit unit_struct seq
        tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// The keys of one object so far: the first [`FEW`] in place (most objects have a handful of
/// keys: no allocation, a linear search), the rest in a hash set, so that a hostile body with
/// many keys still costs linear time.
struct Seen<'de> {
    few: [Cow<'de, str>; FEW],
    len: usize,
    many: Option<HashSet<Cow<'de, str>>>,
}

/// Up to this many keys, a linear search beats hashing.
const FEW: usize = 16;

impl Default for Seen<'_> {
    fn default() -> Self {
        Self {
            few: [const { Cow::Borrowed("") }; FEW],
            len: 0,
            many: None,
        }
    }
}

impl<'de> Seen<'de> {
    fn contains(&self, key: &str) -> bool {
        self.few[..self.len].iter().any(|seen| seen == key)
            || self.many.as_ref().is_some_and(|many| many.contains(key))
    }

    fn insert(&mut self, key: Cow<'de, str>) {
        if let Some(slot) = self.few.get_mut(self.len) {
            *slot = key;
            self.len += 1;
        } else {
            self.many.get_or_insert_with(HashSet::new).insert(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::*;

    fn duplicate(key: &str) -> Result<Value, JsonError> {
        Err(JsonError::DuplicateKey { key: key.into() })
    }

    #[test]
    fn duplicates_are_refused_at_every_depth() {
        assert_eq!(read_json::<Value>(br#"{"a":1,"a":1}"#), duplicate("a"));
        assert_eq!(
            read_json::<Value>(br#"[{"x":{"b":[{"c":1,"c":2}]}}]"#),
            duplicate("c")
        );
        assert_eq!(
            read_json::<Value>(r#"{"\u00e9":1,"é":2}"#.as_bytes()),
            duplicate("é")
        );
        let many: String = (0..100)
            .map(|i| format!(r#""k{i}":{i},"#))
            .collect::<Vec<_>>()
            .concat();
        let body = format!(r#"{{{many}"k7":0}}"#);
        assert_eq!(read_json::<Value>(body.as_bytes()), duplicate("k7"));
        let body = format!(r#"{{{many}"k100":0}}"#);
        assert!(read_json::<Value>(body.as_bytes()).is_ok());
    }

    #[test]
    fn typed_targets_are_checked_too() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Known {
            a: u8,
            #[serde(flatten)]
            rest: BTreeMap<String, Value>,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Only {
            a: u8,
        }
        let error = read_json::<Known>(br#"{"a":1,"z":1,"z":2}"#).unwrap_err();
        assert_eq!(error, JsonError::DuplicateKey { key: "z".into() });
        let error = read_json::<Known>(br#"{"a":1,"skip":{"y":1,"y":2}}"#).unwrap_err();
        assert_eq!(error, JsonError::DuplicateKey { key: "y".into() });
        let error = read_json::<Only>(br#"{"a":1,"ignored":{"y":1,"y":2}}"#).unwrap_err();
        assert_eq!(error, JsonError::DuplicateKey { key: "y".into() });
        assert_eq!(read_json::<BTreeMap<u8, u8>>(br#"{"1":2}"#).unwrap()[&1], 2);
    }

    #[test]
    fn other_errors_are_invalid_and_nothing_panics() {
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let objects = format!("{}1{}", r#"{"a":"#.repeat(1000), "}".repeat(1000));
        for body in [
            deep.as_bytes(),
            objects.as_bytes(),
            b"{\"a\":",
            b"\xff\xfe",
            b"{\"a\":\"\xff\"}",
            b"{} {}",
        ] {
            match read_json::<Value>(body) {
                Err(JsonError::Invalid { message }) => assert!(!message.is_empty()),
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
    }

    #[test]
    fn a_long_key_is_cut() {
        let key = "k".repeat(500);
        let body = format!(r#"{{"{key}":1,"{key}":2}}"#);
        let Err(JsonError::DuplicateKey { key: shown }) = read_json::<Value>(body.as_bytes())
        else {
            panic!("not refused");
        };
        assert_eq!(shown, Excerpt(&key).to_string());
        let message = JsonError::DuplicateKey { key: shown }.to_string();
        assert!(message.len() < 250, "{message}");
    }
}
