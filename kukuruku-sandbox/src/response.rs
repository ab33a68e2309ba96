//! The sandbox's answers, for every area: JSON with its content type, Kukuruku's JSON error body
//! (PROTOCOL D6), HTML pages.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use kukuruku_proto::JSON_CONTENT_TYPE;
use serde::Serialize;

/// A JSON answer with the given status and body bytes.
pub(crate) fn json_response(status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut response = (status, body.into()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

/// Kukuruku's error body (PROTOCOL D6), fields in this order.
#[derive(Serialize)]
struct ErrorBody<'a> {
    success: bool,
    err: &'a str,
}

/// A JSON answer in Kukuruku's error shape (PROTOCOL D6): `{"success":false,"err":"..."}`.
pub(crate) fn json_error(status: StatusCode, message: &str) -> Response {
    let body = ErrorBody {
        success: false,
        err: message,
    };
    // A bool and a string: writing them into a Vec cannot fail.
    let bytes = serde_json::to_vec(&body)
        .map_or_else(|_| Bytes::from_static(br#"{"success":false}"#), Bytes::from);
    json_response(status, bytes)
}

/// An HTML answer.
pub(crate) fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn error_bodies_have_the_d6_field_order() {
        let response = json_error(StatusCode::UNAUTHORIZED, "Invalid signature");
        assert_eq!(response.headers()[CONTENT_TYPE], JSON_CONTENT_TYPE);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"success":false,"err":"Invalid signature"}"#);
    }

    #[tokio::test]
    async fn d6_messages_are_json_escaped() {
        let response = json_error(StatusCode::BAD_REQUEST, "say \"hi\"\n");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"success":false,"err":"say \"hi\"\n"}"#);
    }

    /// Every D6 body the sandbox writes reads back with the SDK's own `ApiError`.
    #[tokio::test]
    async fn error_bodies_read_back() {
        let response = json_error(StatusCode::UNAUTHORIZED, "Invalid signature");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body.as_ref(), kukuruku_proto::INVALID_SIGNATURE_BODY);
        for message in [
            "plain",
            "with \"quotes\" and \\ backslash",
            "https://x/y",
            "юникод 😀",
            "line\nbreak",
            "",
        ] {
            let response = json_error(StatusCode::BAD_REQUEST, message);
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let error = kukuruku_proto::ApiError::new(StatusCode::BAD_REQUEST, body.clone());
            assert_eq!(error.success(), Some(false), "{message:?}");
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(value["err"], message);
            let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["success", "err"], "D6 field order");
        }
    }
}
