//! The body of a Kukuruku error answer (PROTOCOL D6), as this fake server writes it:
//! `{"success":false,"err":"…"}`. Merchants only read it (`kukuruku_proto::ApiError`).

use bytes::Bytes;

/// `{"success":false,"err":"<message>"}`, the message written as a JSON string; for a bad
/// signature the body is `kukuruku_proto::INVALID_SIGNATURE_BODY` (D2).
pub(crate) fn error_body(message: &str) -> Bytes {
    #[derive(serde::Serialize)]
    struct ErrorBody<'a> {
        success: bool,
        err: &'a str,
    }
    let body = ErrorBody {
        success: false,
        err: message,
    };
    // A bool and a string: writing them into a Vec cannot fail.
    serde_json::to_vec(&body)
        .map_or_else(|_| Bytes::from_static(br#"{"success":false}"#), Bytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use kukuruku_proto::ApiError;

    #[test]
    fn error_bodies_read_back() {
        assert_eq!(
            error_body("Invalid signature").as_ref(),
            kukuruku_proto::INVALID_SIGNATURE_BODY
        );
        for message in [
            "plain",
            "with \"quotes\" and \\ backslash",
            "https://x/y",
            "юникод 😀",
            "line\nbreak",
            "",
        ] {
            let body = error_body(message);
            let error = ApiError::new(StatusCode::BAD_REQUEST, body.clone());
            assert_eq!(error.success(), Some(false), "{message:?}");
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(value["err"], message);
            let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["success", "err"], "D6 field order");
        }
    }
}
