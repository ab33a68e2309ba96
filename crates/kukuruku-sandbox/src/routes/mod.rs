//! The sandbox's HTTP routes, one module per area. Later areas (a KukurukuID identity provider,
//! a Kuna institution API) are more modules here, merged into [`router`].

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use http::StatusCode;

use crate::state::Shared;
use crate::util::{json_error, json_response};

mod body;
pub(crate) mod control;
pub(crate) mod pay_page;
pub(crate) mod payments;
mod signed;

/// Every route of the sandbox.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(index))
        .merge(payments::routes())
        .merge(pay_page::routes())
        .merge(control::routes())
        .fallback(not_found)
        .with_state(shared)
}

/// `GET /`: where everything is.
async fn index(State(shared): State<Arc<Shared>>) -> Response {
    let base = &shared.base_url;
    let merchants: Vec<&str> = shared.merchants.iter().map(|m| m.id.as_str()).collect();
    let body = serde_json::json!({
        "api": base,
        "pay_page": format!("{base}/pay/{{uuid}}"),
        "control": format!("{base}/sandbox"),
        "merchants": merchants,
    });
    json_response(StatusCode::OK, body.to_string())
}

async fn not_found() -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "no such route in the Kukuruku sandbox (see GET / for what there is)",
    )
}
