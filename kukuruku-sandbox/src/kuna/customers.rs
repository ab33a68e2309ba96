//! The customer routes: `POST /v2/customer/create`, `/update`, `/details`, `/find`.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value, json};

use super::answer::{Fail, fail, ok};
use super::auth::authenticate;
use super::fields::{INPUT_FIELDS, REQUIRED, check_formats, object, required, string};
use super::state::{CustomerRecord, KunaState, Store};
use crate::random::new_uuid;
use crate::timestamp::rfc3339;

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

/// Whether another customer (not `except_id`) has this e-mail, in any case.
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

/// Where the customer `id` is in the store; 404 when nowhere.
pub(super) fn customer_index(store: &Store, id: &str) -> Result<usize, Fail> {
    store
        .customers
        .iter()
        .position(|c| c.str("id") == Some(id))
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, "Customer not found"))
}

/// `POST /v2/customer/create`: the required fields checked; an e-mail taken (any case): 409.
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
    fields.insert("createdAt".into(), json!(rfc3339(state.config().now())));
    fields.insert("verificationStatus".into(), json!("ACCEPTED"));
    fields.insert("walletStatus".into(), json!("Active"));
    let record = CustomerRecord {
        fields,
        live_sessions: HashMap::new(),
    };
    let answer = public(&record);
    store.customers.push(record);
    Ok(ok(answer))
}

/// `POST /v2/customer/update`: `id` and the changed fields (`null` clears an optional one).
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
    if let Some(email) = string(&body, "email")?
        && email_taken(&store, email, Some(id))
    {
        return Err(fail(
            StatusCode::CONFLICT,
            "Customer with this email already exists",
        ));
    }
    let customer = &mut store.customers[index];
    for field in INPUT_FIELDS {
        if let Some(value) = body.get(field) {
            customer.fields.insert(field.into(), value.clone());
        }
    }
    Ok(ok(public(customer)))
}

/// `POST /v2/customer/details`: the customer `id`.
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

/// `POST /v2/customer/find`: exact filters, `fullName` by substring, `createdFrom`/`createdTo`,
/// `take`/`skip`.
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
