//! The callback route, ready to mount: the verify layer, the ledger, the D2 answers.

use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use kukuruku_proto::{CALLBACK_ACK, Excerpt};
use kukuruku_sign::Verifier;
use kukuruku_tower::{VerifiedSignature, VerifySignatureLayer};

use crate::outcome::Outcome;
use crate::store::Store;
use crate::update::Update;

/// The body of the 422 answer to an unknown status.
pub const UNKNOWN_STATUS_BODY: &[u8] = br#"{"success":false,"err":"Unknown status"}"#;
/// The body of the 503 answer when the update could not be recorded.
pub const NOT_RECORDED_BODY: &[u8] = br#"{"success":false,"err":"Not recorded"}"#;

/// The callback route: `POST`, verified by [`VerifySignatureLayer`] with `verifier` (64 KiB
/// limit, 10 s read timeout), recorded in `store`, answered as follows.
///
/// | what happened | answer | Kukuruku then |
/// |---|---|---|
/// | signature missing, malformed or wrong | 401 `{"success":false,"err":"Invalid signature"}` (the layer) | retries; nothing recorded |
/// | body over 64 KiB / unreadable / too slow | 413 / 400 / 408 (the layer) | retries; nothing recorded |
/// | verified, but not an order | 400 | retries; nothing recorded (logged) |
/// | recorded: advanced, repeat, stale | 200 `{"success":true}` | stops |
/// | recorded: conflict or mismatch | 200 `{"success":true}`, logged for a human | stops (a redelivery would repeat the contradiction, PROTOCOL 1.4) |
/// | unknown status (recorded in the audit log only) | 422 `{"success":false,"err":"Unknown status"}` | retries, so an upgraded receiver applies it |
/// | the database failed (read-only, full, busy, malformed row, newer schema…) | 503 `{"success":false,"err":"Not recorded"}` | retries |
///
/// A 200 leaves only after the update's transaction committed (see the crate docs).
///
/// ```no_run
/// use std::sync::Arc;
/// use axum::Router;
/// use kukuruku_ledger::{SqliteStore, Store, callback_route};
/// use kukuruku_sign::{SecretKey, Verifier};
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store: Arc<dyn Store> = Arc::new(SqliteStore::open("ledger.sqlite3")?);
/// let verifier = Verifier::new(&SecretKey::new(std::env::var("KUKURUKU_SECRET_KEY")?)?);
/// let app: Router = Router::new().route("/kukuruku/callback", callback_route(store, verifier));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// kukuruku_ledger::Server::new().serve(listener, app).await?;
/// # Ok(()) }
/// ```
///
/// To change the layer's settings, use [`callback_route_with`].
pub fn callback_route<S>(store: Arc<dyn Store>, verifier: Verifier) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    callback_route_with(store, VerifySignatureLayer::new(verifier))
}

/// [`callback_route`] behind a [`VerifySignatureLayer`] set up by the caller (a limit, a read
/// timeout, its own rejections).
pub fn callback_route_with<S>(store: Arc<dyn Store>, layer: VerifySignatureLayer) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    post(receive).with_state(store).layer(layer)
}

fn answer(status: StatusCode, body: &'static [u8]) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

async fn receive(
    State(store): State<Arc<dyn Store>>,
    Extension(verified): Extension<VerifiedSignature>,
    body: Bytes,
) -> Response {
    let update = match Update::callback(body.clone(), verified.key_index()) {
        Ok(update) => update,
        Err(error) => {
            tracing::warn!(
                error = &error as &dyn std::error::Error,
                body = %Excerpt(&String::from_utf8_lossy(&body)),
                "kukuruku callback: a verified body that is not an order"
            );
            let body = serde_json::json!({ "success": false, "err": error.to_string() });
            return (
                StatusCode::BAD_REQUEST,
                [(CONTENT_TYPE, "application/json")],
                body.to_string(),
            )
                .into_response();
        }
    };
    let (id, status) = (update.order.id.clone(), update.order.status.clone());
    match store.record_update(update).await {
        Ok(recorded) => {
            let outcome = recorded.outcome;
            let (id, status) = (id.as_str(), status.as_str());
            match outcome {
                Outcome::Conflict => tracing::warn!(
                    order = id,
                    status,
                    "kukuruku callback contradicts the recorded status: not applied, a human should look"
                ),
                Outcome::Mismatch => tracing::error!(
                    order = id,
                    status,
                    "kukuruku callback's order number belongs to another order: not applied, a human should look"
                ),
                Outcome::Unrecognised => tracing::warn!(
                    order = id,
                    status,
                    "kukuruku callback with an unknown status: answered 422 so that it comes again after an upgrade"
                ),
                _ => tracing::info!(order = id, status, %outcome, "kukuruku callback recorded"),
            }
            if outcome.acknowledges() {
                answer(StatusCode::OK, CALLBACK_ACK)
            } else {
                answer(StatusCode::UNPROCESSABLE_ENTITY, UNKNOWN_STATUS_BODY)
            }
        }
        Err(error) => {
            tracing::error!(
                order = id.as_str(),
                error = &error as &dyn std::error::Error,
                "kukuruku callback not recorded: answered 503"
            );
            let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, NOT_RECORDED_BODY);
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}
