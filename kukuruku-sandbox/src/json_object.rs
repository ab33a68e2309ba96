//! Reading a request body as a JSON object, refusing a key given twice in any object of it.
//!
//! `serde_json` keeps the last of two equal keys (`{"amount":1,"amount":500000}` reads as
//! 500000), so a body could mean one thing to a merchant's logger and another to the sandbox.
//! Every JSON body the sandbox accepts (payments API, test control, Play, Kuna) is read here,
//! with the SDK's own strict reader (`kukuruku_proto::read_json`).

use std::fmt;

use kukuruku_proto::{JsonError, read_json};
use serde_json::{Map, Value};

/// Why a body is not a JSON object the sandbox reads.
#[derive(Debug)]
pub(crate) enum JsonObjectError {
    /// Not JSON (the parser's own words, with line and column).
    Invalid(String),
    /// JSON, but not an object.
    NotAnObject,
    /// A key appears twice in one object.
    DuplicateKey(String),
}

impl fmt::Display for JsonObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(message) => write!(f, "the body is not valid JSON: {message}"),
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
    match read_json::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(JsonObjectError::NotAnObject),
        Err(JsonError::DuplicateKey { key }) => Err(JsonObjectError::DuplicateKey(key)),
        Err(JsonError::Invalid { message }) => Err(JsonObjectError::Invalid(message)),
        Err(other) => Err(JsonObjectError::Invalid(other.to_string())),
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
