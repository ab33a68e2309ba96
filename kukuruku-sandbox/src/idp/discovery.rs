//! Discovery and the JWKS.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::oauth::json_response;
use super::signing_key::JwtKey;
use super::state::{IdpEndpoint, IdpState, lock};

pub(super) async fn discovery(State(state): State<IdpState>) -> Response {
    state.hit(IdpEndpoint::Discovery);
    let issuer = state.issuer();
    let oidc = format!("{issuer}/protocol/openid-connect");
    json_response(
        StatusCode::OK,
        &json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{oidc}/auth"),
            "token_endpoint": format!("{oidc}/token"),
            "userinfo_endpoint": format!("{oidc}/userinfo"),
            "end_session_endpoint": format!("{oidc}/logout"),
            "jwks_uri": format!("{oidc}/certs"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "email", "phone"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "azp", "sid",
                "email", "email_verified", "name", "preferred_username", "phone_number"],
            "authorization_response_iss_parameter_supported": true,
            "frontchannel_logout_supported": false,
        }),
    )
}

pub(super) async fn jwks(State(state): State<IdpState>) -> Response {
    state.hit(IdpEndpoint::Jwks);
    let keys = lock(&state.inner.keys);
    let mut published: Vec<_> = vec![keys.current.jwk()];
    published.extend(keys.previous.iter().map(JwtKey::jwk));
    json_response(StatusCode::OK, &json!({ "keys": published }))
}
