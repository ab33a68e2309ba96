//! The route handlers.

use std::collections::HashSet;
use std::time::UNIX_EPOCH;

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::jwt;
use super::state::{CustomerRecord, KunaState, Store};
use crate::util::{hex, new_uuid, rfc3339_at, secrets_equal, unix_millis, unix_secs};

/// Every field of a customer, in the order Kuna answers them.
const CUSTOMER_FIELDS: [&str; 12] = [
    "id",
    "email",
    "walletId",
    "phoneNumber",
    "firstName",
    "lastName",
    "comment",
    "externalId",
    "createdAt",
    "referralId",
    "verificationStatus",
    "walletStatus",
];
/// Fields a partner sends on create/update.
const INPUT_FIELDS: [&str; 11] = [
    "email",
    "phoneNumber",
    "firstName",
    "lastName",
    "comment",
    "externalId",
    "referralId",
    "country",
    "verificationDocumentId",
    "residenceAddress",
    "itn",
];
const REQUIRED: [&str; 6] = [
    "email",
    "firstName",
    "lastName",
    "country",
    "verificationDocumentId",
    "residenceAddress",
];

fn json_response(status: StatusCode, body: &Value) -> Response {
    crate::util::json_response(status, body.to_string())
}

fn ok(data: Value) -> Response {
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

fn fail(status: StatusCode, message: &str) -> Fail {
    Fail(status, message.to_owned())
}

fn unsigned() -> Fail {
    fail(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the sandbox could not sign the token",
    )
}

fn unauthorized(store: &mut Store, message: &str) -> Fail {
    store.unauthorized += 1;
    fail(StatusCode::UNAUTHORIZED, message)
}

/// Checks `api-key` or `Authorization: Bearer`, and the 401 switch.
fn authenticate(state: &KunaState, headers: &HeaderMap) -> Result<(), Fail> {
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
    match jwt::verify(&config.hs256_secret, token, config.now()) {
        Ok(claims) if claims.get("typ").and_then(Value::as_str) == Some("login") => Ok(()),
        Ok(_) => Err(unauthorized(&mut store, "Not a login token")),
        Err(why) => Err(unauthorized(&mut store, &format!("Invalid token: {why}"))),
    }
}

/// The JSON object body, or a 400.
fn object(body: &[u8]) -> Result<Map<String, Value>, Fail> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(fail(StatusCode::BAD_REQUEST, "Body must be a JSON object")),
    }
}

/// A string field: `Ok(None)` when absent or null; 400 when not a string.
fn string<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, Fail> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(fail(
            StatusCode::BAD_REQUEST,
            &format!("{field} must be a string"),
        )),
    }
}

fn required<'a>(body: &'a Map<String, Value>, field: &str) -> Result<&'a str, Fail> {
    match string(body, field)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(fail(
            StatusCode::BAD_REQUEST,
            &format!("{field} should not be empty"),
        )),
    }
}

/// Format checks on whichever input fields are present.
fn check_formats(body: &Map<String, Value>) -> Result<(), Fail> {
    for field in INPUT_FIELDS {
        if let Some(value) = string(body, field)? {
            if value.trim().is_empty() {
                return Err(fail(
                    StatusCode::BAD_REQUEST,
                    &format!("{field} should not be empty"),
                ));
            }
        }
    }
    if let Some(email) = string(body, "email")? {
        let valid = email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
        if !valid {
            return Err(fail(StatusCode::BAD_REQUEST, "email must be an email"));
        }
    }
    if let Some(phone) = string(body, "phoneNumber")? {
        let digits = phone.strip_prefix('+').unwrap_or("");
        if !(7..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "phoneNumber must be a valid phone number",
            ));
        }
    }
    if let Some(country) = string(body, "country")? {
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "country must be a valid ISO31661 Alpha2 code",
            ));
        }
    }
    Ok(())
}

fn email_taken(store: &Store, email: &str, except_id: Option<&str>) -> bool {
    store.customers.iter().any(|c| {
        c.str("email")
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
            && c.str("id") != except_id
    })
}

/// The customer as answered: the wire fields only (no `country`, documents or itn).
fn public(customer: &CustomerRecord) -> Value {
    let mut out = Map::new();
    for field in CUSTOMER_FIELDS {
        out.insert(
            field.into(),
            customer.fields.get(field).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

fn customer_index(store: &Store, id: &str) -> Result<usize, Fail> {
    store
        .customers
        .iter()
        .position(|c| c.str("id") == Some(id))
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, "Customer not found"))
}

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
    let iat = unix_secs(now);
    let lifetime = config.login_token_lifetime.as_secs().max(1);
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(config.merchant_id));
    claims.insert("typ".into(), json!("login"));
    claims.insert("jti".into(), json!(new_uuid()));
    claims.insert("iat".into(), json!(iat));
    claims.insert("exp".into(), json!(iat + lifetime));
    let token = jwt::sign(&config.hs256_secret, &claims).ok_or_else(unsigned)?;
    Ok(ok(json!({ "token": token, "expiresIn": lifetime })))
}

pub(super) async fn create(
    State(state): State<KunaState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    authenticate(&state, &headers)?;
    let body = object(&body)?;
    for field in REQUIRED {
        required(&body, field)?;
    }
    check_formats(&body)?;
    let email = required(&body, "email")?;
    let mut store = state.store();
    if email_taken(&store, email, None) {
        return Err(fail(
            StatusCode::CONFLICT,
            "Customer with this email already exists",
        ));
    }
    let mut fields = Map::new();
    for field in INPUT_FIELDS {
        let value = body.get(field).cloned().unwrap_or(Value::Null);
        fields.insert(field.into(), value);
    }
    fields.insert("id".into(), json!(new_uuid()));
    fields.insert("walletId".into(), json!(new_uuid()));
    fields.insert("createdAt".into(), json!(rfc3339_at(state.config().now())));
    fields.insert("verificationStatus".into(), json!("ACCEPTED"));
    fields.insert("walletStatus".into(), json!("Active"));
    let record = CustomerRecord {
        fields,
        live_sessions: HashSet::new(),
    };
    let answer = public(&record);
    store.customers.push(record);
    Ok(ok(answer))
}

pub(super) async fn update(
    State(state): State<KunaState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    authenticate(&state, &headers)?;
    let body = object(&body)?;
    let id = required(&body, "id")?;
    check_formats(&body)?;
    for field in REQUIRED {
        if body.get(field) == Some(&Value::Null) {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                &format!("{field} should not be empty"),
            ));
        }
    }
    let mut store = state.store();
    let index = customer_index(&store, id)?;
    if let Some(email) = string(&body, "email")? {
        if email_taken(&store, email, Some(id)) {
            return Err(fail(
                StatusCode::CONFLICT,
                "Customer with this email already exists",
            ));
        }
    }
    let customer = &mut store.customers[index];
    for field in INPUT_FIELDS {
        if let Some(value) = body.get(field) {
            customer.fields.insert(field.into(), value.clone());
        }
    }
    Ok(ok(public(customer)))
}

pub(super) async fn details(
    State(state): State<KunaState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    authenticate(&state, &headers)?;
    let body = object(&body)?;
    let id = required(&body, "id")?;
    let store = state.store();
    let index = customer_index(&store, id)?;
    Ok(ok(public(&store.customers[index])))
}

pub(super) async fn find(
    State(state): State<KunaState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Fail> {
    authenticate(&state, &headers)?;
    let body = object(&body)?;
    let number = |field: &str, default: u64| -> Result<u64, Fail> {
        match body.get(field) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_u64().ok_or_else(|| {
                fail(
                    StatusCode::BAD_REQUEST,
                    &format!("{field} must be a non-negative integer"),
                )
            }),
        }
    };
    let take = number("take", 10)?.clamp(1, 100);
    let skip = number("skip", 0)?;
    let exact = [
        "email",
        "walletId",
        "phoneNumber",
        "comment",
        "externalId",
        "referralId",
    ];
    let mut filters = Vec::new();
    for field in exact {
        if let Some(value) = string(&body, field)? {
            filters.push((field, value));
        }
    }
    let full_name = string(&body, "fullName")?.map(str::to_lowercase);
    let from = string(&body, "createdFrom")?;
    let to = string(&body, "createdTo")?;
    let store = state.store();
    let matching: Vec<&CustomerRecord> = store
        .customers
        .iter()
        .filter(|c| filters.iter().all(|(f, v)| c.str(f) == Some(*v)))
        .filter(|c| {
            full_name.as_ref().is_none_or(|needle| {
                let name = format!(
                    "{} {}",
                    c.str("firstName").unwrap_or(""),
                    c.str("lastName").unwrap_or("")
                );
                name.to_lowercase().contains(needle)
            })
        })
        .filter(|c| {
            let created = c.str("createdAt").unwrap_or("");
            from.is_none_or(|f| created >= f) && to.is_none_or(|t| created <= t)
        })
        .collect();
    let total = matching.len();
    let items: Vec<Value> = matching
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(usize::try_from(take).unwrap_or(100))
        .map(public)
        .collect();
    Ok(ok(json!({ "items": items, "total": total })))
}

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
    let iat = unix_secs(now);
    let fingerprint = hex(&Sha256::digest(user_agent.as_bytes())[..16]);
    let mut claims = Map::new();
    // `id` is the session's id (in Kuna's example it differs from the customerId).
    let session_id = new_uuid();
    claims.insert("id".into(), json!(session_id));
    claims.insert("fingerprint".into(), json!(fingerprint));
    claims.insert("sessionCreatedAt".into(), json!(unix_millis(now)));
    claims.insert("iat".into(), json!(iat));
    claims.insert(
        "exp".into(),
        json!(iat + config.ramp_token_lifetime.as_secs().max(1)),
    );
    let token = jwt::sign(&config.hs256_secret, &claims).ok_or_else(unsigned)?;
    store.customers[index].live_sessions.insert(session_id);
    Ok(ok(json!({ "token": token })))
}

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
    let claims = match jwt::verify(&config.hs256_secret, &token, config.now()) {
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
        .find(|c| c.live_sessions.contains(session_id));
    let Some(customer_id) = customer.and_then(|c| c.str("id")) else {
        return refuse("Session ended: the token was invalidated");
    };
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    let expires_at = rfc3339_at(UNIX_EPOCH + std::time::Duration::from_secs(exp));
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
