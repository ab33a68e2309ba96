//! Reading an order (**D4**) from a JSON object in one pass.
//!
//! The documented fields are recognised by name as they come and kept as the scalar they are
//! (text borrowed from the body when it has no escape); only the fields left go into
//! [`Order::extra`], in the order received. No intermediate map of the whole object is built
//! (which cost more than the HMAC that verifies a callback: issue #16). The kept values are
//! converted once the object is read, in the order of the type's rules, so the error told
//! (no id, then the id, then the status, then the other fields) does not depend on where a
//! field stands in the body.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::value::{
    BoolDeserializer, BorrowedStrDeserializer, F64Deserializer, I64Deserializer,
    MapAccessDeserializer, SeqAccessDeserializer, StringDeserializer, U64Deserializer,
};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::order::{DOCUMENTED, Order};

/// The other names an order's id is read from when `uuid` is absent or `null`, in order of
/// preference (D4). When not used as the id, they stay in [`Order::extra`].
const OTHER_ID_FIELDS: [&str; 3] = ["token", "order_id", "id"];

/// Reads an order from a deserializer's map (the rules of [`Order`]'s documentation).
pub(crate) fn read_order<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Order, D::Error> {
    deserializer.deserialize_map(OrderVisitor)
}

struct OrderVisitor;

impl<'de> Visitor<'de> for OrderVisitor {
    type Value = Order;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an order (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Order, A::Error> {
        let mut documented: [Option<Field<'de>>; DOCUMENTED.len()] = Default::default();
        let mut extra = Map::new();
        while let Some(name) = map.next_key_seed(NameSeed)? {
            match name {
                Name::Documented(index) => {
                    documented[index] = map.next_value_seed(FieldSeed)?;
                }
                Name::Other(name) => {
                    let value = map.next_value::<Value>()?;
                    extra.insert(name.into_owned(), value);
                }
            }
        }
        build(documented, extra).map_err(de::Error::custom)
    }
}

/// The documented fields read so far, indexed like [`DOCUMENTED`].
type Documented<'de> = [Option<Field<'de>>; DOCUMENTED.len()];

/// The order from its documented fields and the others.
fn build(mut documented: Documented<'_>, mut extra: Map<String, Value>) -> Result<Order, String> {
    let id = if let Some(uuid) = take(&mut documented, "uuid") {
        uuid.read("uuid")?
    } else {
        let name = OTHER_ID_FIELDS
            .into_iter()
            .find(|name| extra.get(*name).is_some_and(|value| !value.is_null()))
            .ok_or("the order has no id: expected one of the fields uuid, token, order_id or id")?;
        let value = extra.shift_remove(name).ok_or("the order has no id")?;
        Field::Other(Box::new(value)).read(name)?
    };
    let status = take(&mut documented, "status")
        .ok_or("the order has no status (field `status`)")?
        .read("status")?;
    let d = &mut documented;
    Ok(Order {
        id,
        order_number: optional(d, "order_number")?,
        status,
        amount: optional(d, "amount")?,
        currency: optional(d, "currency")?,
        order_type: optional(d, "type")?,
        merchant_id: optional(d, "merchant_id")?,
        created_at: optional(d, "created_at")?,
        updated_at: optional(d, "updated_at")?,
        extra,
    })
}

/// Takes the documented field `name` out, if it was there and not `null`.
fn take<'de>(documented: &mut Documented<'de>, name: &str) -> Option<Field<'de>> {
    index(name).and_then(|index| documented[index].take())
}

/// Reads the documented field `name`; absent or `null` is `None`.
fn optional<'de, T: Deserialize<'de>>(
    documented: &mut Documented<'de>,
    name: &str,
) -> Result<Option<T>, String> {
    take(documented, name)
        .map(|field| field.read(name))
        .transpose()
}

/// An object key: a documented field (its index in [`DOCUMENTED`]) or another name.
enum Name<'de> {
    Documented(usize),
    Other(Cow<'de, str>),
}

struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Name<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Name<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Name<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Name<'de>, E> {
        Ok(documented(v).unwrap_or(Name::Other(Cow::Borrowed(v))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Name<'de>, E> {
        Ok(documented(v).unwrap_or_else(|| Name::Other(Cow::Owned(v.to_owned()))))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Name<'de>, E> {
        Ok(documented(&v).unwrap_or(Name::Other(Cow::Owned(v))))
    }
}

fn documented(name: &str) -> Option<Name<'static>> {
    index(name).map(Name::Documented)
}

/// The index of `name` in [`DOCUMENTED`], if documented (a `match`: no loop over the names).
fn index(name: &str) -> Option<usize> {
    Some(match name {
        "uuid" => 0,
        "order_number" => 1,
        "status" => 2,
        "amount" => 3,
        "currency" => 4,
        "type" => 5,
        "merchant_id" => 6,
        "created_at" => 7,
        "updated_at" => 8,
        _ => return None,
    })
}

/// A documented field's value as read (`null` is `None`, as absent): a scalar, text borrowed
/// from the body when it can be, or (for an object or array, an error later) a boxed [`Value`]
/// (which, unboxed, would make every slot as large as a map).
enum Field<'de> {
    Text(Cow<'de, str>),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Bool(bool),
    Other(Box<Value>),
}

impl<'de> Field<'de> {
    /// Reads the field as `T`; the error names the field.
    fn read<T: Deserialize<'de>>(self, name: &str) -> Result<T, String> {
        type E = serde_json::Error;
        match self {
            Field::Text(Cow::Borrowed(text)) => {
                T::deserialize(BorrowedStrDeserializer::<E>::new(text))
            }
            Field::Text(Cow::Owned(text)) => T::deserialize(StringDeserializer::<E>::new(text)),
            Field::Unsigned(n) => T::deserialize(U64Deserializer::<E>::new(n)),
            Field::Signed(n) => T::deserialize(I64Deserializer::<E>::new(n)),
            Field::Float(n) => T::deserialize(F64Deserializer::<E>::new(n)),
            Field::Bool(b) => T::deserialize(BoolDeserializer::<E>::new(b)),
            Field::Other(value) => T::deserialize(*value),
        }
        .map_err(|error| format!("field `{name}` of the order: {error}"))
    }
}

struct FieldSeed;

impl<'de> DeserializeSeed<'de> for FieldSeed {
    type Value = Option<Field<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed {
    type Value = Option<Field<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Field::Text(Cow::Borrowed(v))))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Field::Text(Cow::Owned(v.to_owned()))))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Field::Text(Cow::Owned(v))))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Field::Unsigned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Field::Signed(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Field::Float(v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Field::Bool(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map))
            .map(|value| Some(Field::Other(Box::new(value))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq))
            .map(|value| Some(Field::Other(Box::new(value))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_of_each_documented_name() {
        for (i, name) in DOCUMENTED.into_iter().enumerate() {
            assert_eq!(index(name), Some(i), "{name}");
        }
        assert_eq!(index("token"), None);
        assert_eq!(index("Status"), None);
    }
}
