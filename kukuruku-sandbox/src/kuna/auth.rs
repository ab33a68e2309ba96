//! Kuna's credentials: `POST /v2/auth/login` (an HS256 login token for the merchant's login and
//! password), and the check every other call passes (`api-key` header or login bearer token,
//! compared in constant time; the 401 switch).

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, StatusCode};
use kukuruku_proto::unix_seconds;
use serde_json::{Map, Value, json};

use super::answer::{Fail, fail, ok, unsigned};
use super::fields::object;
use super::hs256;
use super::state::{KunaState, Store};
use crate::constant_time::secrets_equal;
use crate::random::new_uuid;

/// 401, counted ([`KunaState::unauthorized_count`]).
fn unauthorized(store: &mut Store, message: &str) -> Fail {
    store.unauthorized += 1;
    fail(StatusCode::UNAUTHORIZED, message)
}

/// Checks `api-key` or `Authorization: Bearer`, and the 401 switch.
pub(super) fn authenticate(state: &KunaState, headers: &HeaderMap) -> Result<(), Fail> {
    let config = state.config();
    let mut store = state.store();
    if store.fail_next_auth > 0 {
        store.fail_next_auth -= 1;
        return Err(unauthorized(
            &mut store,
            "Unauthorized (sandbox: fail_next_auth)",
        ));
    }
    if let Some(key) = headers.get("api-key") {
        // Every configured key is compared, each in constant time.
        let known = config.api_keys.iter().fold(false, |found, accepted| {
            secrets_equal(accepted.as_bytes(), key.as_bytes()) | found
        });
        return if known {
            Ok(())
        } else {
            Err(unauthorized(&mut store, "Invalid api-key"))
        };
    }
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = bearer else {
        return Err(unauthorized(
            &mut store,
            "Missing credentials: send an api-key header or a Bearer token",
        ));
    };
    match hs256::verify(&config.hs256_secret, token, config.now()) {
        Ok(claims) if claims.get("typ").and_then(Value::as_str) == Some("login") => Ok(()),
        Ok(_) => Err(unauthorized(&mut store, "Not a login token")),
        Err(why) => Err(unauthorized(&mut store, &format!("Invalid token: {why}"))),
    }
}

/// `POST /v2/auth/login`: the `merchant_id` header and `{"email"` (or `"login"`)`,"password"}`
/// give a login token, `{"data":{"token","expiresIn"}}`.
pub(super) async fn login(
    State(state): State<KunaState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    let config = state.config();
    let body = object(&body)?;
    let merchant_ok = headers
        .get("merchant_id")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| m == config.merchant_id);
    let login = body
        .get("email")
        .or_else(|| body.get("login"))
        .and_then(Value::as_str);
    let password = body.get("password").and_then(Value::as_str);
    let mut store = state.store();
    if !merchant_ok {
        return Err(unauthorized(&mut store, "Unknown merchant_id"));
    }
    let password_ok =
        password.is_some_and(|given| secrets_equal(config.password.as_bytes(), given.as_bytes()));
    if login != Some(config.login.as_str()) || !password_ok {
        return Err(unauthorized(&mut store, "Invalid login or password"));
    }
    store.logins += 1;
    let now = config.now();
    let iat = unix_seconds(now);
    let lifetime = config.login_token_lifetime.as_secs().max(1);
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(config.merchant_id));
    claims.insert("typ".into(), json!("login"));
    claims.insert("jti".into(), json!(new_uuid()));
    claims.insert("iat".into(), json!(iat));
    claims.insert("exp".into(), json!(iat + lifetime));
    let token = hs256::sign(&config.hs256_secret, &claims).ok_or_else(unsigned)?;
    Ok(ok(json!({ "token": token, "expiresIn": lifetime })))
}
