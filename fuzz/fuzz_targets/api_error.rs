//! Kukuruku's error answer (`ApiError::new`, D6) for any status and body.
//!
//! Properties: never panics; the status and raw body are kept byte for byte; reading the kept
//! body again gives an equal error (idempotent); a message is found only in a JSON object and is
//! never blank; `success` is exactly the body's boolean `success`; the text shown to a person is
//! bounded (untrusted text is cut to an excerpt) whatever the body's size.
#![no_main]

use bytes::Bytes;
use http::StatusCode;
use kukuruku_proto::{ApiError, EXCERPT_CHARS};
use libfuzzer_sys::fuzz_target;

// Input: the status as three ASCII digits, then the body (`401{"err":"Invalid signature"}`).
fuzz_target!(|data: &[u8]| {
    let [a, b, c, body @ ..] = data else {
        return;
    };
    let code = [a, b, c].iter().fold(0u16, |n, d| n * 10 + u16::from(d.wrapping_sub(b'0') % 10));
    let Ok(status) = StatusCode::from_u16(code.clamp(100, 999)) else {
        return;
    };
    let error = ApiError::new(status, Bytes::copy_from_slice(body));
    assert_eq!(error.status(), status);
    assert_eq!(error.body().as_ref(), body);
    assert_eq!(ApiError::new(status, error.body().clone()), error);

    // Read as the SDK reads it: a body with a key twice in one object is kept raw, but no message
    // or `success` is taken from it.
    let json = kukuruku_proto::read_json::<serde_json::Value>(body).ok();
    let object = json.as_ref().and_then(|v| v.as_object());
    if let Some(message) = error.message() {
        assert!(object.is_some(), "a message was read from a body that is not a JSON object");
        assert!(!message.trim().is_empty() || object.is_some_and(|o| o.values().any(|v| v.is_object())));
    }
    assert_eq!(
        error.success(),
        object.and_then(|o| o.get("success")).and_then(|v| v.as_bool())
    );
    let shown = error.to_string();
    // "Kukuruku answered <status>" + a fixed sentence + an excerpt (chars may be 4 bytes, or
    // escaped by Debug as up to 10).
    assert!(
        shown.len() <= 200 + EXCERPT_CHARS * 10,
        "{} bytes of text shown for a {}-byte body",
        shown.len(),
        body.len()
    );
});
