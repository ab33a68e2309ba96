//! Kuna's answers: success wrapped in `{"data":…}`, errors as `{"statusCode","message","error"}`.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Map, Value, json};

use crate::response;

/// A JSON answer.
pub(super) fn json_response(status: StatusCode, body: &Value) -> Response {
    response::json_response(status, body.to_string())
}

/// A success: `{"data":…}`.
pub(super) fn ok(data: Value) -> Response {
    let mut envelope = Map::new();
    envelope.insert("data".into(), data);
    json_response(StatusCode::OK, &Value::Object(envelope))
}

/// An error answer: `{"statusCode","message","error"}`.
pub(super) struct Fail(StatusCode, String);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let Self(status, message) = self;
        json_response(
            status,
            &json!({
                "statusCode": status.as_u16(),
                "message": message,
                "error": status.canonical_reason().unwrap_or("Error"),
            }),
        )
    }
}

/// An error answer with this status and message.
pub(super) fn fail(status: StatusCode, message: &str) -> Fail {
    Fail(status, message.to_owned())
}

/// 500: a token could not be signed.
pub(super) fn unsigned() -> Fail {
    fail(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the sandbox could not sign the token",
    )
}
