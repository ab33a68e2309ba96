//! The callback route through the real `VerifySignatureLayer`, with signed bodies.

use std::sync::Arc;

use axum::Router;
use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use kukuruku_ledger::{
    NOT_RECORDED_BODY, Outcome, SqliteStore, Store, UNKNOWN_STATUS_BODY, callback_route,
};
use kukuruku_proto::{CALLBACK_ACK, INVALID_SIGNATURE_BODY, OrderId};
use kukuruku_sign::{SecretKey, Verifier};
use tower::ServiceExt;

use crate::support::{KEY, ManualClock, OLD_KEY, callback, sign_with, sqlite, verifier};

fn app(store: &SqliteStore, verifier: Verifier) -> Router {
    let store: Arc<dyn Store> = Arc::new(store.clone());
    Router::new().route("/kukuruku/callback", callback_route(store, verifier))
}

async fn post(app: &Router, body: Bytes, signature: Option<String>) -> (StatusCode, Bytes) {
    let mut request =
        Request::post("/kukuruku/callback").header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("signature", signature);
    }
    let response = app
        .clone()
        .oneshot(request.body(Full::new(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

async fn signed(app: &Router, body: Bytes) -> (StatusCode, Bytes) {
    let signature = sign_with(KEY, &body);
    post(app, body, Some(signature)).await
}

fn id(text: &str) -> OrderId {
    OrderId::new(text).unwrap()
}

#[tokio::test]
async fn the_d2_answers() {
    let (store, _dir) = sqlite(&ManualClock::new());
    let app = app(&store, verifier());
    let ack = (StatusCode::OK, Bytes::from_static(CALLBACK_ACK));
    assert_eq!(
        signed(&app, callback("k-1", Some("o-1"), "processing")).await,
        ack
    );
    assert_eq!(
        signed(&app, callback("k-1", Some("o-1"), "paid")).await,
        ack
    );
    assert_eq!(
        signed(&app, callback("k-1", Some("o-1"), "paid")).await,
        ack,
        "repeat"
    );
    assert_eq!(
        signed(&app, callback("k-1", Some("o-1"), "created")).await,
        ack,
        "stale"
    );
    assert_eq!(
        signed(&app, callback("k-1", Some("o-1"), "failed")).await,
        ack,
        "conflict"
    );
    assert_eq!(
        signed(&app, callback("k-1", Some("o-1"), "refunded")).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Bytes::from_static(UNKNOWN_STATUS_BODY)
        )
    );
    let outcomes: Vec<Outcome> = store
        .audit(&id("k-1"))
        .await
        .unwrap()
        .iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Advanced,
            Outcome::Advanced,
            Outcome::Repeat,
            Outcome::Stale,
            Outcome::Conflict,
            Outcome::Unrecognised
        ]
    );
    let (status, _) = signed(&app, Bytes::from_static(b"[1,2]")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_bad_signature_is_401_and_records_nothing() {
    let (store, _dir) = sqlite(&ManualClock::new());
    let app = app(&store, verifier());
    let body = callback("k-2", None, "paid");
    let unauthorised = (
        StatusCode::UNAUTHORIZED,
        Bytes::from_static(INVALID_SIGNATURE_BODY),
    );
    assert_eq!(post(&app, body.clone(), None).await, unauthorised);
    assert_eq!(
        post(&app, body.clone(), Some(sign_with("wrong", &body))).await,
        unauthorised
    );
    assert_eq!(post(&app, body, Some("zz".into())).await, unauthorised);
    assert!(store.audit(&id("k-2")).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_matched_key_is_recorded() {
    let (store, _dir) = sqlite(&ManualClock::new());
    let current = SecretKey::new(KEY).unwrap();
    let previous = SecretKey::new(OLD_KEY).unwrap();
    let app = app(&store, Verifier::new(&current).with_key(&previous));
    let body = callback("k-3", None, "paid");
    let signature = sign_with(OLD_KEY, &body);
    assert_eq!(
        post(&app, body.clone(), Some(signature)).await.0,
        StatusCode::OK
    );
    let audit = store.audit(&id("k-3")).await.unwrap();
    assert_eq!(audit[0].key_index, Some(1));
    assert_eq!(audit[0].body, body, "the raw bytes, as received");
}

#[tokio::test]
async fn a_database_failure_is_503_never_200() {
    let (store, _dir) = sqlite(&ManualClock::new());
    let app = app(&store, verifier());
    store
        .with_transaction(|db| db.execute_batch("PRAGMA query_only = ON"))
        .await
        .unwrap();
    assert_eq!(
        signed(&app, callback("k-4", None, "paid")).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Bytes::from_static(NOT_RECORDED_BODY)
        )
    );
    // The operator fixes the database and restarts the receiver; Kukuruku retries.
    let path = store.path().to_owned();
    drop((app, store));
    let store = SqliteStore::open(&path).unwrap();
    assert!(
        store.audit(&id("k-4")).await.unwrap().is_empty(),
        "the 503 recorded nothing"
    );
    let app = self::app(&store, verifier());
    assert_eq!(
        signed(&app, callback("k-4", None, "paid")).await.0,
        StatusCode::OK
    );
    assert_eq!(store.audit(&id("k-4")).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_malformed_row_is_503() {
    let (store, _dir) = sqlite(&ManualClock::new());
    let app = app(&store, verifier());
    assert_eq!(
        signed(&app, callback("k-5", None, "created")).await.0,
        StatusCode::OK
    );
    store
        .with_transaction(|db| db.execute("UPDATE orders SET checks = 'many'", []))
        .await
        .unwrap();
    assert_eq!(
        signed(&app, callback("k-5", None, "paid")).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
}
