//! Userinfo and the Kukuruku profile (`GET /api/v1/me`) for the access tokens issued here.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::oauth::json_response;
use super::state::{IdpEndpoint, IdpState, TokenGrant};

fn grant(state: &IdpState, headers: &HeaderMap) -> Result<TokenGrant, Response> {
    bearer(headers)
        .and_then(|token| state.access_grant(token))
        .ok_or_else(|| {
            let mut response = json_response(
                StatusCode::UNAUTHORIZED,
                &json!({"error": "invalid_token", "error_description": "missing, unknown or expired access token"}),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            response
        })
}

pub(super) async fn userinfo(State(state): State<IdpState>, headers: HeaderMap) -> Response {
    state.hit(IdpEndpoint::UserInfo);
    let grant = match grant(&state, &headers) {
        Ok(grant) => grant,
        Err(response) => return response,
    };
    let user = &grant.user;
    let mut body = json!({
        "sub": user.sub,
        "email": user.email,
        "email_verified": true,
    });
    if grant.scope.split(' ').any(|scope| scope == "profile") {
        body["name"] = json!(user.name);
        body["preferred_username"] = json!(user.email);
    }
    if let Some(phone) = &user.phone {
        body["phone_number"] = json!(phone);
        body["phone_number_verified"] = json!(true);
    }
    json_response(StatusCode::OK, &body)
}

pub(super) async fn me(State(state): State<IdpState>, headers: HeaderMap) -> Response {
    state.hit(IdpEndpoint::Me);
    let grant = match grant(&state, &headers) {
        Ok(grant) => grant,
        Err(response) => {
            return json_response(
                response.status(),
                &json!({"success": false, "err": "Unauthorized"}),
            );
        }
    };
    let user = &grant.user;
    let mut body = json!({
        "id": user.sub,
        "name": user.name,
        "email": user.email,
    });
    if let Some(currency) = &user.currency {
        body["currency"] = json!(currency);
    }
    if let Some(phone) = &user.phone {
        body["phone"] = json!(phone);
    }
    json_response(StatusCode::OK, &body)
}

/// The bearer token of `Authorization: Bearer …`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}
