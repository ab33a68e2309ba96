//! Answers that carry a secret (a login token, a widget token): the secret is taken out of the
//! parsed answer, and the rest, parsed and raw, is zeroized, so no copy outlives the call.

use bytes::Bytes;
use kukuruku_proto::{JsonError, read_json};
use zeroize::Zeroize as _;

/// Takes the non-blank string at `pointer` out of a JSON answer that carries a secret, leaving
/// no copy in the parsed value: `Ok(None)` when there is none (or the answer is not JSON),
/// `Err(key)` when an object of the answer has `key` twice (which token would count is
/// ambiguous: nothing is taken).
pub(super) fn take_secret_string(answer: &Bytes, pointer: &str) -> Result<Option<String>, String> {
    let mut value: serde_json::Value = match read_json(answer) {
        Ok(value) => value,
        Err(JsonError::DuplicateKey { key }) => return Err(key),
        Err(_) => return Ok(None),
    };
    let taken = value.pointer_mut(pointer).map(serde_json::Value::take);
    wipe_value(&mut value);
    Ok(match taken {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s),
        Some(mut other) => {
            wipe_value(&mut other);
            None
        }
        None => None,
    })
}

/// Zeroizes the strings of a JSON value (best effort: the parser's own buffers are not ours).
pub(super) fn wipe_value(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => s.zeroize(),
        serde_json::Value::Array(items) => items.iter_mut().for_each(wipe_value),
        serde_json::Value::Object(map) => map.values_mut().for_each(wipe_value),
        _ => {}
    }
}

/// Zeroizes an answer body that carried a secret, when this is its only owner.
pub(super) fn wipe(body: Bytes) {
    if let Ok(mut owned) = body.try_into_mut() {
        owned.as_mut().zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_taken_only_when_it_is_a_non_blank_string() {
        let answer = Bytes::from_static(br#"{"data":{"token":"tok","other":"x"}}"#);
        assert_eq!(
            take_secret_string(&answer, "/data/token")
                .unwrap()
                .as_deref(),
            Some("tok")
        );
        for body in [
            &br#"{"data":{"token":"  "}}"#[..],
            br#"{"data":{"token":42}}"#,
            br#"{"data":{}}"#,
            b"not json",
        ] {
            let answer = Bytes::from_static(body);
            assert_eq!(take_secret_string(&answer, "/data/token"), Ok(None));
        }
        let twice = Bytes::from_static(br#"{"data":{"token":"a","token":"b"}}"#);
        assert_eq!(
            take_secret_string(&twice, "/data/token"),
            Err("token".to_owned())
        );
    }

    #[test]
    fn every_string_of_a_value_is_zeroized() {
        let mut value = serde_json::json!({"a": "secret", "b": ["s3", {"c": "s4"}], "n": 1});
        wipe_value(&mut value);
        let text = value.to_string();
        for secret in ["secret", "s3", "s4"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert_eq!(value["n"], 1);
    }
}
