//! Answers that carry a secret (a login token, a widget token): the secret is taken out of the
//! parsed answer, and the rest, parsed and raw, is zeroized, so no copy outlives the call.

use bytes::Bytes;
use zeroize::Zeroize as _;

/// Takes the non-blank string at `pointer` out of a JSON answer that carries a secret, leaving
/// no copy in the parsed value.
pub(super) fn take_secret_string(answer: &mut Bytes, pointer: &str) -> Option<String> {
    let mut value: serde_json::Value = serde_json::from_slice(answer).ok()?;
    let taken = value.pointer_mut(pointer).map(serde_json::Value::take);
    wipe_value(&mut value);
    match taken {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s),
        Some(mut other) => {
            wipe_value(&mut other);
            None
        }
        None => None,
    }
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
        let mut answer = Bytes::from_static(br#"{"data":{"token":"tok","other":"x"}}"#);
        assert_eq!(
            take_secret_string(&mut answer, "/data/token").as_deref(),
            Some("tok")
        );
        for body in [
            &br#"{"data":{"token":"  "}}"#[..],
            br#"{"data":{"token":42}}"#,
            br#"{"data":{}}"#,
            b"not json",
        ] {
            let mut answer = Bytes::from_static(body);
            assert_eq!(take_secret_string(&mut answer, "/data/token"), None);
        }
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
