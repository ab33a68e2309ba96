//! The widget's tokens: `POST /v2/ramp/token` (an HS256 widget token for a customer),
//! `POST /v2/ramp/invalidate`, and `GET /widget`, which says whether a token still works.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use kukuruku_proto::unix_seconds;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::answer::{Fail, json_response, ok, unsigned};
use super::auth::authenticate;
use super::customers::customer_index;
use super::fields::{object, required};
use super::hs256;
use super::state::KunaState;
use crate::random::new_uuid;
use crate::timestamp::{rfc3339_from_unix_millis, unix_millis};

/// `POST /v2/ramp/token`: a widget token for `{customerId, userAgent}`, a new session.
pub(super) async fn ramp_token(
    State(state): State<KunaState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    authenticate(&state, &headers)?;
    let body = object(&body)?;
    let customer_id = required(&body, "customerId")?;
    let user_agent = required(&body, "userAgent")?;
    let config = state.config();
    let mut store = state.store();
    let index = customer_index(&store, customer_id)?;
    let now = config.now();
    let iat = unix_seconds(now);
    let fingerprint = const_hex::encode(&Sha256::digest(user_agent.as_bytes())[..16]);
    let mut claims = Map::new();
    // `id` is the session's id (in Kuna's example it differs from the customerId).
    let session_id = new_uuid();
    claims.insert("id".into(), json!(session_id));
    claims.insert("fingerprint".into(), json!(fingerprint));
    claims.insert("sessionCreatedAt".into(), json!(unix_millis(now)));
    let exp = iat.saturating_add(config.ramp_token_lifetime.as_secs().max(1));
    claims.insert("iat".into(), json!(iat));
    claims.insert("exp".into(), json!(exp));
    let token = hs256::sign(&config.hs256_secret, &claims).ok_or_else(unsigned)?;
    store.customers[index].add_session(session_id, exp, iat, config.max_sessions_per_customer);
    Ok(ok(json!({ "token": token })))
}

/// `POST /v2/ramp/invalidate`: every widget token of the customer stops working.
pub(super) async fn invalidate(
    State(state): State<KunaState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    authenticate(&state, &headers)?;
    let body = object(&body)?;
    let customer_id = required(&body, "customerId")?;
    let mut store = state.store();
    let index = customer_index(&store, customer_id)?;
    store.customers[index].live_sessions.clear();
    Ok(ok(json!({ "success": true })))
}

/// `GET /widget?institutionId=…&refreshToken=…`: 200 while the token works, else 401.
pub(super) async fn widget(State(state): State<KunaState>, RawQuery(query): RawQuery) -> Response {
    let refuse = |message: &str| {
        json_response(
            StatusCode::UNAUTHORIZED,
            &json!({ "valid": false, "message": message }),
        )
    };
    let mut institution = None;
    let mut token = None;
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*name {
            "institutionId" => institution = Some(value.into_owned()),
            "refreshToken" => token = Some(value.into_owned()),
            _ => {}
        }
    }
    let config = state.config();
    if institution.as_deref() != Some(config.institution_id.as_str()) {
        return refuse("Unknown institutionId");
    }
    let Some(token) = token else {
        return refuse("Missing refreshToken");
    };
    let claims = match hs256::verify(&config.hs256_secret, &token, config.now()) {
        Ok(claims) => claims,
        Err(why) => return refuse(&format!("Invalid refreshToken: {why}")),
    };
    let Some(session_id) = claims.get("id").and_then(Value::as_str) else {
        return refuse("Not a widget token");
    };
    let store = state.store();
    let customer = store
        .customers
        .iter()
        .find(|c| c.live_sessions.contains_key(session_id));
    let Some(customer_id) = customer.and_then(|c| c.str("id")) else {
        return refuse("Session ended: the token was invalidated");
    };
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    let expires_at = rfc3339_from_unix_millis(exp.saturating_mul(1000));
    json_response(
        StatusCode::OK,
        &json!({
            "valid": true,
            "customerId": customer_id,
            "institutionId": config.institution_id,
            "expiresAt": expires_at,
        }),
    )
}
