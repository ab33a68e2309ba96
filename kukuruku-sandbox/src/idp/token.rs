//! The token endpoint: `authorization_code` (with PKCE) and `refresh_token`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kukuruku_proto::unix_seconds;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::client_auth::authenticate;
use super::id_token::id_token;
use super::oauth::{json_response, oauth_error, params, server_error};
use super::state::{IdpEndpoint, IdpState, TokenGrant, lock};
use crate::random::random_token;

pub(super) async fn token(
    State(state): State<IdpState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.hit(IdpEndpoint::Token);
    let params = match params(&body) {
        Ok(params) => params,
        Err(reason) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &reason),
    };
    let client_id = match authenticate(&state, &headers, &params) {
        Ok(client_id) => client_id,
        Err(response) => return response,
    };
    match params.get("grant_type").map(String::as_str) {
        Some("authorization_code") => authorization_code(&state, &client_id, &params),
        Some("refresh_token") => refresh_token(&state, &client_id, &params),
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ),
    }
}

fn authorization_code(
    state: &IdpState,
    client_id: &str,
    params: &BTreeMap<String, String>,
) -> Response {
    let invalid_grant =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description);
    let Some(code) = params.get("code") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code is missing",
        );
    };
    // Single use: the code is gone whatever happens next.
    let Some(grant) = lock(&state.inner.codes).remove(code) else {
        return invalid_grant("the code is unknown, expired or already used");
    };
    if grant.expires_at <= state.now() {
        return invalid_grant("the code has expired");
    }
    if grant.client_id != client_id {
        return invalid_grant("the code was issued to another client");
    }
    if params.get("redirect_uri") != Some(&grant.redirect_uri) {
        return invalid_grant("redirect_uri differs from the authorization request");
    }
    match (&grant.code_challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            let well_formed = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte));
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !well_formed || !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                return invalid_grant(
                    "PKCE verification failed: code_verifier does not match code_challenge",
                );
            }
        }
        (Some(_), None) => return invalid_grant("code_verifier is missing"),
        (None, Some(_)) => {
            return invalid_grant("code_verifier sent but no code_challenge was");
        }
        (None, None) => {}
    }
    let now = state.now();
    issue(
        state,
        TokenGrant {
            client_id: grant.client_id,
            user: grant.user,
            nonce: grant.nonce,
            scope: grant.scope,
            session_id: grant.session_id,
            auth_time: grant.auth_time,
            expires_at: now + state.config().refresh_token_ttl,
        },
    )
}

fn refresh_token(state: &IdpState, client_id: &str, params: &BTreeMap<String, String>) -> Response {
    let invalid_grant =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description);
    let Some(token) = params.get("refresh_token") else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is missing",
        );
    };
    // Rotation: the old refresh token is spent.
    let Some(grant) = lock(&state.inner.refresh_tokens).remove(token) else {
        return invalid_grant("the refresh token is unknown, expired or already used");
    };
    if grant.expires_at <= state.now() {
        return invalid_grant("the refresh token has expired");
    }
    if grant.client_id != client_id {
        return invalid_grant("the refresh token was issued to another client");
    }
    let expires_at = state.now() + state.config().refresh_token_ttl;
    issue(
        state,
        TokenGrant {
            expires_at,
            ..grant
        },
    )
}

/// Issues an access token, a refresh token and an ID token for `grant`.
fn issue(state: &IdpState, grant: TokenGrant) -> Response {
    let (Some(refresh), Some(jti)) = (random_token(), random_token()) else {
        return server_error();
    };
    let config = state.config();
    let now = state.now();
    let iat = unix_seconds(now);
    let scopes: Vec<&str> = grant.scope.split(' ').collect();
    let access_token = access_token(state, &grant, iat, &jti);
    let id_token = match id_token(state, &grant, &scopes, iat) {
        Ok(token) => token,
        Err(err) => {
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &err.to_string(),
            );
        }
    };

    lock(&state.inner.access_tokens).insert(
        access_token.clone(),
        TokenGrant {
            expires_at: now + config.access_token_ttl,
            ..grant.clone()
        },
        now,
    );
    let refresh_ttl = grant
        .expires_at
        .duration_since(now)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let session_id = grant.session_id.clone();
    let scope = grant.scope.clone();
    lock(&state.inner.refresh_tokens).insert(refresh.clone(), grant, now);
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": config.access_token_ttl.as_secs(),
            "refresh_token": refresh,
            "refresh_expires_in": refresh_ttl,
            "id_token": id_token,
            "scope": scope,
            "session_state": session_id,
            "not-before-policy": 0,
        }),
    )
}

/// The access token: an RS256 JWT carrying the confirmed e-mail (and phone).
fn access_token(state: &IdpState, grant: &TokenGrant, iat: u64, jti: &str) -> String {
    let user = &grant.user;
    let mut access_claims = json!({
        "iss": state.issuer(),
        "sub": user.sub,
        "aud": "account",
        "azp": grant.client_id,
        "typ": "Bearer",
        "iat": iat,
        "exp": iat + state.config().access_token_ttl.as_secs(),
        "jti": jti,
        "sid": grant.session_id,
        "scope": grant.scope,
        "email": user.email,
        "email_verified": true,
    });
    if let Some(phone) = &user.phone {
        access_claims["phone_number"] = json!(phone);
        access_claims["phone_number_verified"] = json!(true);
    }
    lock(&state.inner.keys).current.sign(&access_claims)
}
