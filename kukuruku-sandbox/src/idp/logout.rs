//! RP-initiated logout: ends the session's tokens, then redirects to a registered
//! `post_logout_redirect_uri` (or shows a page).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use url::Url;

use super::id_token::unverified_payload;
use super::oauth::params;
use super::state::{IdpEndpoint, IdpState, lock};
use crate::html_escape::html_escape;

pub(super) async fn logout_get(
    State(state): State<IdpState>,
    RawQuery(query): RawQuery,
) -> Response {
    match params(query.unwrap_or_default().as_bytes()) {
        Ok(params) => logout(&state, &params),
        Err(reason) => page(StatusCode::BAD_REQUEST, &reason),
    }
}

pub(super) async fn logout_post(State(state): State<IdpState>, body: Bytes) -> Response {
    match params(&body) {
        Ok(params) => logout(&state, &params),
        Err(reason) => page(StatusCode::BAD_REQUEST, &reason),
    }
}

fn logout(state: &IdpState, params: &BTreeMap<String, String>) -> Response {
    state.hit(IdpEndpoint::Logout);
    let hint = params
        .get("id_token_hint")
        .and_then(|token| unverified_payload(token));
    let hinted_client = hint
        .as_ref()
        .and_then(|claims| claims.get("azp").or_else(|| claims.get("aud")))
        .and_then(|value| value.as_str())
        .map(str::to_owned);
    let client_id = params.get("client_id").cloned().or(hinted_client);
    if let Some(redirect) = params.get("post_logout_redirect_uri") {
        let registered = client_id
            .as_deref()
            .and_then(|id| state.client(id))
            .is_some_and(|client| client.post_logout_redirect_uris.contains(redirect));
        if !registered {
            return page(
                StatusCode::BAD_REQUEST,
                "post_logout_redirect_uri is not registered for this client",
            );
        }
    }
    // The sandbox trusts its own hint's sid: it only ends sessions, never grants anything.
    if let Some(sid) = hint
        .as_ref()
        .and_then(|claims| claims.get("sid"))
        .and_then(|value| value.as_str())
    {
        lock(&state.inner.access_tokens).retain(|grant| grant.session_id != sid);
        lock(&state.inner.refresh_tokens).retain(|grant| grant.session_id != sid);
    }
    match params
        .get("post_logout_redirect_uri")
        .and_then(|uri| Url::parse(uri).ok())
    {
        Some(mut url) => {
            if let Some(client_state) = params.get("state") {
                url.query_pairs_mut().append_pair("state", client_state);
            }
            let mut response = StatusCode::FOUND.into_response();
            if let Ok(location) = HeaderValue::from_str(url.as_str()) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            response
        }
        None => page(
            StatusCode::OK,
            "You are logged out of the KukurukuID sandbox.",
        ),
    }
}

fn page(status: StatusCode, text: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>KukurukuID sandbox</title></head><body><p>{}</p></body></html>",
            html_escape(text)
        )),
    )
        .into_response()
}
