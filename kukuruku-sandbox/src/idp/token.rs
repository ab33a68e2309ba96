//! The token endpoint: `authorization_code` (with PKCE) and `refresh_token`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::jwt;
use super::state::{IdpEndpoint, IdpState, TokenGrant, lock};
use super::util::{json_response, oauth_error, params, random_token, server_error};
use crate::util::{base64url, secrets_equal, unix_secs};

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

/// Client authentication: `client_secret_basic`, `client_secret_post`, or `none` for a public
/// client. Returns the client id.
fn authenticate(
    state: &IdpState,
    headers: &HeaderMap,
    params: &BTreeMap<String, String>,
) -> Result<String, Response> {
    let invalid_client = |description: &str, basic: bool| {
        let mut response = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description);
        if basic {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"sandbox\""),
            );
        }
        response
    };
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, encoded) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("basic")
                .then_some(encoded.trim())
        });
    let (client_id, secret, used_basic) = if let Some(encoded) = basic {
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
        (id, Some(decode(secret)), true)
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
            let computed = base64url(Sha256::digest(verifier.as_bytes()));
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
    let iat = unix_secs(now);
    let user = &grant.user;
    let scopes: Vec<&str> = grant.scope.split(' ').collect();

    let mut access_claims = json!({
        "iss": state.issuer(),
        "sub": user.sub,
        "aud": "account",
        "azp": grant.client_id,
        "typ": "Bearer",
        "iat": iat,
        "exp": iat + config.access_token_ttl.as_secs(),
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
    let access_token = lock(&state.inner.keys).current.sign(&access_claims);

    let id_token = match id_token(state, &grant, &scopes, iat) {
        Ok(token) => token,
        Err(reason) => {
            return oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &reason);
        }
    };

    lock(&state.inner.access_tokens).insert(
        access_token.clone(),
        TokenGrant {
            expires_at: now + config.access_token_ttl,
            ..grant.clone()
        },
    );
    let refresh_ttl = grant
        .expires_at
        .duration_since(now)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let session_id = grant.session_id.clone();
    let scope = grant.scope.clone();
    lock(&state.inner.refresh_tokens).insert(refresh.clone(), grant);
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

/// The ID token, with the misbehaviour switches applied.
fn id_token(
    state: &IdpState,
    grant: &TokenGrant,
    scopes: &[&str],
    iat: u64,
) -> Result<String, String> {
    let misbehave = state.misbehave();
    let user = &grant.user;
    let ttl = state.config().id_token_ttl.as_secs();
    let (iat, exp) = if misbehave.expired_id_token {
        (iat.saturating_sub(7200), iat.saturating_sub(3600))
    } else {
        (iat, iat + ttl)
    };
    let audience = if misbehave.wrong_aud {
        "another-client".to_owned()
    } else {
        grant.client_id.clone()
    };
    let mut claims = json!({
        "iss": if misbehave.wrong_iss_in_token { "https://mix-up.example/realms/public" } else { state.issuer() },
        "sub": user.sub,
        "aud": audience,
        "azp": audience,
        "typ": "ID",
        "iat": iat,
        "exp": exp,
        "auth_time": grant.auth_time,
        "sid": grant.session_id,
        "email": user.email,
        "email_verified": true,
    });
    if let Some(extra) = &misbehave.extra_audience {
        claims["aud"] = json!([audience, extra]);
        if let Value::Object(map) = &mut claims {
            map.remove("azp");
        }
    }
    if let Some(nonce) = &grant.nonce {
        claims["nonce"] = json!(if misbehave.wrong_nonce {
            "not-your-nonce"
        } else {
            nonce.as_str()
        });
    }
    if scopes.contains(&"profile") {
        claims["name"] = json!(user.name);
        claims["preferred_username"] = json!(user.email);
    }
    if let Some(phone) = &user.phone {
        claims["phone_number"] = json!(phone);
        claims["phone_number_verified"] = json!(true);
    }
    if misbehave.alg_none {
        return Ok(jwt::unsigned(&claims));
    }
    if misbehave.unknown_kid {
        return Ok(state.spare_key("rotated-away")?.sign(&claims));
    }
    if misbehave.sign_with_other_key {
        let kid = lock(&state.inner.keys).current.kid.clone();
        return Ok(state.spare_key(&kid)?.sign(&claims));
    }
    Ok(lock(&state.inner.keys).current.sign(&claims))
}
