//! The test-control API, unsigned, under `/sandbox`: drive orders, read the callback log, add
//! KukuPay users.
//!
//! | call | does |
//! |---|---|
//! | `POST /sandbox/orders/{uuid}/status` `{"status":"paid"}` | any move PROTOCOL 1.4 allows (409 otherwise); sends the callback |
//! | `GET /sandbox/orders` / `GET /sandbox/orders/{uuid}` | the orders (D4 objects) |
//! | `POST /sandbox/orders/{uuid}/resend` | re-sends the order's last callback now (same body and signature, a new delivery): 202 `{"delivery_id":N}`; 404 no order; 409 no callback yet |
//! | `GET /sandbox/callbacks` | every callback delivery with its tries and outcome |
//! | `POST /sandbox/users` `{"email","name","currency"}` / `GET /sandbox/users` | KukuPay users |

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use http::StatusCode;
use serde_json::Value;

use super::config::KukuPayUser;
use super::fields::parse_object;
use super::order::known_status;
use super::state::PaymentsState;
use crate::body_limit::LimitedBody;
use crate::response::{json_error, json_response};
use crate::{StatusChangeError, UserError};

pub(super) fn routes() -> Router<Arc<PaymentsState>> {
    Router::new()
        .route("/sandbox/orders", get(list_orders))
        .route("/sandbox/orders/{uuid}", get(get_order))
        .route("/sandbox/orders/{uuid}/status", post(set_status))
        .route("/sandbox/orders/{uuid}/resend", post(resend))
        .route("/sandbox/callbacks", get(callbacks))
        .route("/sandbox/users", get(list_users).post(add_user))
}

fn order_list_json(shared: &PaymentsState) -> Vec<u8> {
    let mut out = b"[".to_vec();
    for (i, order) in shared.orders().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&order.to_json());
    }
    out.push(b']');
    out
}

async fn list_orders(State(shared): State<Arc<PaymentsState>>) -> Response {
    json_response(StatusCode::OK, order_list_json(&shared))
}

async fn get_order(State(shared): State<Arc<PaymentsState>>, Path(uuid): Path<String>) -> Response {
    match shared.order(&uuid) {
        Some(order) => json_response(StatusCode::OK, order.to_json()),
        None => json_error(
            StatusCode::NOT_FOUND,
            &format!("no order with uuid {uuid:?}"),
        ),
    }
}

async fn set_status(
    State(shared): State<Arc<PaymentsState>>,
    Path(uuid): Path<String>,
    LimitedBody(body): LimitedBody,
) -> Response {
    let map = match parse_object(&body) {
        Ok(map) => map,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
    };
    let status = match map.get("status") {
        Some(Value::String(text)) => match known_status(text) {
            Ok(status) => status,
            Err(err) => return json_error(StatusCode::BAD_REQUEST, &format!("status: {err}")),
        },
        _ => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "status is missing: send {\"status\":\"paid\"} (or processing, cancelled, expired, failed)",
            );
        }
    };
    match shared.change_status(&uuid, status) {
        Ok(order) => json_response(StatusCode::OK, order.to_json()),
        Err(err @ StatusChangeError::NotFound(_)) => {
            json_error(StatusCode::NOT_FOUND, &err.to_string())
        }
        Err(err) => json_error(StatusCode::CONFLICT, &err.to_string()),
    }
}

async fn resend(State(shared): State<Arc<PaymentsState>>, Path(uuid): Path<String>) -> Response {
    if shared.order(&uuid).is_none() {
        return json_error(
            StatusCode::NOT_FOUND,
            &format!("no order with uuid {uuid:?}"),
        );
    }
    match shared.callbacks.resend_last(&uuid) {
        Some(id) => json_response(
            StatusCode::ACCEPTED,
            serde_json::json!({ "delivery_id": id, "order_uuid": uuid }).to_string(),
        ),
        None => json_error(
            StatusCode::CONFLICT,
            "no callback was sent for this order yet (or the log no longer holds it)",
        ),
    }
}

async fn callbacks(State(shared): State<Arc<PaymentsState>>) -> Response {
    let log = shared.callbacks.deliveries();
    json_response(
        StatusCode::OK,
        serde_json::to_vec(&log).unwrap_or_else(|_| b"[]".to_vec()),
    )
}

async fn list_users(State(shared): State<Arc<PaymentsState>>) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_vec(&shared.users()).unwrap_or_else(|_| b"[]".to_vec()),
    )
}

async fn add_user(
    State(shared): State<Arc<PaymentsState>>,
    LimitedBody(body): LimitedBody,
) -> Response {
    let map = match parse_object(&body) {
        Ok(map) => map,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, &message),
    };
    let mut fields = Vec::with_capacity(3);
    for name in ["email", "name", "currency"] {
        match map.get(name) {
            Some(Value::String(text)) => fields.push(text.clone()),
            Some(other) => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    &format!("{name} must be a string, got {other}"),
                );
            }
            None => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    &format!("{name} is missing: send {{\"email\",\"name\",\"currency\"}}"),
                );
            }
        }
    }
    let [email, name, currency] = <[String; 3]>::try_from(fields).unwrap_or_default();
    let user = KukuPayUser::new(email, name, currency);
    match shared.add_user(&user) {
        Ok(()) => json_response(
            StatusCode::CREATED,
            serde_json::to_vec(&user).unwrap_or_default(),
        ),
        Err(err @ UserError::Exists(_)) => json_error(StatusCode::CONFLICT, &err.to_string()),
        Err(err) => json_error(StatusCode::BAD_REQUEST, &err.to_string()),
    }
}
