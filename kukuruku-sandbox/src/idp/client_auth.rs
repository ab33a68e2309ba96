//! Client authentication at the token endpoint (RFC 6749 2.3.1): `client_secret_basic`,
//! `client_secret_post`, or `none` for a public client.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::oauth::oauth_error;
use super::state::IdpState;
use crate::constant_time::secrets_equal;

/// Client authentication: `client_secret_basic`, `client_secret_post`, or `none` for a public
/// client. Returns the client id.
pub(super) fn authenticate(
    state: &IdpState,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<String, Response> {
    let (client_id, secret, used_basic) = if let Some(encoded) = basic_credentials(headers) {
        let (id, secret) = from_basic(encoded, params)?;
        (id, Some(secret), true)
    } else {
        let id = params
            .get("client_id")
            .cloned()
            .ok_or_else(|| invalid_client("client authentication is missing", false))?;
        (id, params.get("client_secret").cloned(), false)
    };
    let client = state
        .client(&client_id)
        .ok_or_else(|| invalid_client("unknown client", used_basic))?;
    match (&client.client_secret, secret) {
        (Some(expected), Some(given)) => {
            if !secrets_equal(expected.as_bytes(), given.as_bytes()) {
                return Err(invalid_client("wrong client secret", used_basic));
            }
        }
        (Some(_), None) => {
            return Err(invalid_client(
                "this confidential client must authenticate",
                used_basic,
            ));
        }
        (None, Some(_)) => {
            return Err(invalid_client(
                "this public client has no secret",
                used_basic,
            ));
        }
        (None, None) => {}
    }
    Ok(client_id)
}

/// The base64 credentials of `Authorization: Basic …`, if the request has them.
fn basic_credentials(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, encoded) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then_some(encoded.trim())
        })
}

/// The client id and secret of basic credentials, checked against the body's parameters (one
/// authentication method; the same `client_id`).
fn from_basic(
    encoded: &str,
    params: &BTreeMap<String, String>,
) -> Result<(String, String), Response> {
    if params.contains_key("client_secret") {
        return Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "use one client authentication method, not two",
        ));
    }
    let decoded = STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| invalid_client("malformed basic credentials", true))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| invalid_client("malformed basic credentials", true))?;
    // RFC 6749 2.3.1: both parts are form-urlencoded before base64.
    let decode = |text: &str| -> String {
        form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    let id = decode(id);
    if params
        .get("client_id")
        .is_some_and(|body_id| *body_id != id)
    {
        return Err(invalid_client(
            "client_id differs from the basic credentials",
            true,
        ));
    }
    Ok((id, decode(secret)))
}

/// 401 `invalid_client`; after basic credentials, with the `WWW-Authenticate` challenge.
fn invalid_client(description: &str, basic: bool) -> Response {
    let mut response = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description);
    if basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"sandbox\""),
        );
    }
    response
}
