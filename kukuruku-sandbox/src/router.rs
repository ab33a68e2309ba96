//! The sandbox's one router: the payments side ([`crate::payments`]: the payments API, the pay
//! page, the test-control API and Play), the KukurukuID provider ([`crate::idp`], under the
//! issuer's path, and `GET /api/v1/me`) and Kuna ([`crate::kuna`], under `/kuna`), their bodies
//! bounded alike.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use http::{HeaderMap, StatusCode};
use tokio::sync::watch;

use crate::body_limit;
use crate::dashboard::{self, Dashboard};
use crate::idp::{self, IdpState};
use crate::kuna::{self, KunaState};
use crate::payments::{self, PaymentsState};
use crate::response::{html_response, json_error, json_response};

/// Every route of the sandbox.
pub(crate) fn router(
    payments: Arc<PaymentsState>,
    idp: IdpState,
    kuna: KunaState,
    shutdown: watch::Receiver<bool>,
) -> Router {
    let dashboard = dashboard::routes(Dashboard {
        payments: Arc::clone(&payments),
        idp: idp.clone(),
        kuna: kuna.clone(),
        shutdown,
    });
    // The provider's and Kuna's handlers take the body whole: read it for them first, at most
    // 64 KiB within the read timeout, as every other route does.
    let mounted = idp::router(idp.clone())
        .merge(idp::me_router(idp))
        .nest("/kuna", kuna::router(kuna))
        .layer(axum::middleware::from_fn_with_state(
            payments.read_timeout,
            body_limit::bounded,
        ));
    Router::new()
        .route("/", get(index))
        .merge(payments::routes())
        .fallback(not_found)
        .with_state(payments)
        .merge(mounted)
        .merge(dashboard)
}

/// `GET /`: where everything is; as links for a browser (a client preferring HTML), as JSON
/// for every other client.
async fn index(State(shared): State<Arc<PaymentsState>>, headers: HeaderMap) -> Response {
    let base = &shared.base_url;
    if dashboard::prefers_html(&headers) {
        return html_response(StatusCode::OK, dashboard::index_html(base, &shared.issuer));
    }
    let merchants: Vec<&str> = shared.merchants.iter().map(|m| m.id.as_str()).collect();
    let body = serde_json::json!({
        "api": base,
        "pay_page": format!("{base}/pay/{{uuid}}"),
        "control": format!("{base}/sandbox"),
        "play": format!("{base}/sandbox/play"),
        "issuer": shared.issuer,
        "kuna": format!("{base}/kuna"),
        "kuna_widget": format!("{base}/kuna/widget"),
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
