//! OAuth 2.0 messages (RFC 6749) as the provider reads and answers them: form or query
//! parameters, JSON answers that must not be cached, error answers.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::response;

/// Form or query parameters; a name given twice is an error (RFC 6749 3.1).
pub(super) fn params(input: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let mut params = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(input) {
        match params.entry(name.into_owned()) {
            Entry::Vacant(entry) => {
                entry.insert(value.into_owned());
            }
            Entry::Occupied(entry) => {
                return Err(format!("parameter {} is repeated", entry.key()));
            }
        }
    }
    Ok(params)
}

/// A JSON answer that must not be cached (token endpoint, userinfo).
pub(super) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = response::json_response(status, body.to_string());
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// An OAuth error answer (RFC 6749 5.2).
pub(super) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

/// 500 `server_error`: no randomness for a token.
pub(super) fn server_error() -> Response {
    oauth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "the sandbox could not make a random token",
    )
}
