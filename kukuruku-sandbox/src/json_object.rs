//! Reading a request body as a JSON object, refusing a key given twice in any object of it.
//!
//! `serde_json` keeps the last of two equal keys (`{"amount":1,"amount":500000}` reads as
//! 500000), so a body could mean one thing to a merchant's logger and another to the sandbox.
//! Every JSON body the sandbox accepts (payments API, test control, Play, Kuna) is read here,
//! through [`json_object`] only: the one place to switch to `kukuruku-proto`'s reader.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why a body is not a JSON object the sandbox reads.
#[derive(Debug)]
pub(crate) enum JsonObjectError {
    /// Not JSON (the parser's own words, with line and column).
    Invalid(serde_json::Error),
    /// JSON, but not an object.
    NotAnObject,
    /// A key appears twice in one object.
    DuplicateKey(String),
}

impl fmt::Display for JsonObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(err) => write!(f, "the body is not valid JSON: {err}"),
            Self::NotAnObject => f.write_str("the body must be a JSON object"),
            Self::DuplicateKey(key) => write!(
                f,
                "the body has the key {key:?} more than once: send each key once"
            ),
        }
    }
}

/// The body as a JSON object; a key given twice in any object of it is refused.
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, JsonObjectError> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = UniqueKeys(&duplicate)
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(JsonObjectError::NotAnObject),
        Err(err) => match duplicate.into_inner() {
            Some(key) => Err(JsonObjectError::DuplicateKey(key)),
            None => Err(JsonObjectError::Invalid(err)),
        },
    }
}

/// A `serde_json::Value` seed that stops at the first repeated key, noting it.
#[derive(Clone, Copy)]
struct UniqueKeys<'a>(&'a RefCell<Option<String>>);

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                let message = format!("duplicate key {key:?}");
                *self.0.borrow_mut() = Some(key);
                return Err(de::Error::custom(message));
            }
            let value = access.next_value_seed(self)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_is_refused_at_any_depth() {
        for (body, key) in [
            (r#"{"amount":1,"amount":500000}"#, "amount"),
            (
                r#"{"customer":{"client_id":"a","client_id":"b"}}"#,
                "client_id",
            ),
            (r#"{"list":[{"x":1,"x":1}]}"#, "x"),
        ] {
            match json_object(body.as_bytes()) {
                Err(JsonObjectError::DuplicateKey(found)) => assert_eq!(found, key, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let error = json_object(br#"{"amount":1,"amount":2}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            r#"the body has the key "amount" more than once: send each key once"#
        );
    }

    #[test]
    fn objects_read_as_serde_json_reads_them() {
        let body = br#"{"a":1,"b":[true,null,-2,1.5,"s"],"c":{"a":{}},"u":18446744073709551615}"#;
        let map = json_object(body).unwrap();
        let expected: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(Value::Object(map), expected);
        assert!(matches!(
            json_object(b"[1]"),
            Err(JsonObjectError::NotAnObject)
        ));
        assert!(matches!(
            json_object(b"{\"a\":1} x"),
            Err(JsonObjectError::Invalid(_))
        ));
        assert!(matches!(
            json_object(b"{\"a\":"),
            Err(JsonObjectError::Invalid(_))
        ));
    }
}
