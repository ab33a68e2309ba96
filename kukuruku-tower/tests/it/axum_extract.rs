//! The `Verified<T>` extractor, behind the layer and alone.

use axum::routing::post;
use axum::{Extension, Router};
use bytes::Bytes;
use http_body_util::Full;
use kukuruku_proto::{Callback, OrderStatus};
use kukuruku_tower::VerifySignatureLayer;
use kukuruku_tower::extract::{Verified, VerifiedByState};
use serde::Deserialize;
use tower::ServiceExt;

use crate::support::*;

async fn handler(Verified(callback): Verified<Callback>) -> String {
    format!("{}:{}", callback.id.as_str(), callback.status)
}

async fn by_state(VerifiedByState(callback): VerifiedByState<Callback>) -> String {
    callback.status.to_string()
}

fn callback_request(body: &'static str, signature: Option<String>) -> http::Request<Full<Bytes>> {
    let mut builder = http::Request::post("/callback").header("content-type", "application/json");
    if let Some(signature) = signature {
        builder = builder.header("signature", signature);
    }
    builder
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

async fn send(app: Router, req: http::Request<Full<Bytes>>) -> (u16, String) {
    let response = app.oneshot(req).await.unwrap();
    let status = response.status().as_u16();
    (status, body_text(response.into_body()).await)
}

fn behind_layer() -> Router {
    Router::new()
        .route("/callback", post(handler))
        .layer(VerifySignatureLayer::new(verifier()))
}

fn with_extension() -> Router {
    Router::new()
        .route("/callback", post(handler))
        .layer(Extension(verifier()))
}

fn with_state() -> Router {
    Router::new()
        .route("/callback", post(by_state))
        .with_state(verifier())
}

#[tokio::test]
async fn behind_the_layer_the_body_is_parsed() {
    let (status, text) = send(
        behind_layer(),
        callback_request(CALLBACK, Some(sign(CALLBACK.as_bytes()))),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(text, "5d0f2a4e-0000-4000-8000-000000000001:paid");
}

#[tokio::test]
async fn behind_the_layer_a_bad_signature_never_reaches_the_extractor() {
    let (status, text) = send(behind_layer(), callback_request(CALLBACK, Some(sign(b"x")))).await;
    assert_eq!(status, 401);
    assert_eq!(text, r#"{"success":false,"err":"Invalid signature"}"#);
}

#[tokio::test]
async fn a_verified_body_that_is_not_the_type_is_a_clear_400() {
    const NO_STATUS: &str = r#"{"uuid":"u-1"}"#;
    for app in [behind_layer(), with_extension(), with_state()] {
        let (status, text) = send(
            app,
            callback_request(NO_STATUS, Some(sign(NO_STATUS.as_bytes()))),
        )
        .await;
        assert_eq!(status, 400, "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["success"], false);
        let err = json["err"].as_str().unwrap();
        assert!(
            err.starts_with("the body is not the expected JSON"),
            "{err}"
        );
        assert!(err.contains("status"), "{err}");
    }
}

#[tokio::test]
async fn a_verified_body_with_a_key_twice_is_a_clear_400() {
    const TWICE: &str = r#"{"uuid":"u-1","status":"paid","amount":1,"amount":500000}"#;
    for app in [behind_layer(), with_extension(), with_state()] {
        let (status, text) = send(app, callback_request(TWICE, Some(sign(TWICE.as_bytes())))).await;
        assert_eq!(status, 400, "{text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let err = json["err"].as_str().unwrap();
        assert!(err.contains(r#"the key "amount" twice"#), "{err}");
    }
}

#[tokio::test]
async fn alone_with_an_extension_or_the_state_it_verifies() {
    for app in [with_extension(), with_state()] {
        let (status, text) = send(
            app.clone(),
            callback_request(CALLBACK, Some(sign(CALLBACK.as_bytes()))),
        )
        .await;
        assert_eq!(status, 200, "{text}");
        assert!(text.ends_with("paid"));
        let (status, text) = send(app.clone(), callback_request(CALLBACK, Some(sign(b"x")))).await;
        assert_eq!(
            (status, text.as_str()),
            (401, r#"{"success":false,"err":"Invalid signature"}"#)
        );
        let (status, _) = send(app, callback_request(CALLBACK, None)).await;
        assert_eq!(status, 401);
    }
}

#[tokio::test]
async fn alone_it_enforces_the_size_limit() {
    let big: &'static str = Box::leak("x".repeat(70 * 1024).into_boxed_str());
    let (status, _) = send(
        with_extension(),
        callback_request(big, Some(sign(big.as_bytes()))),
    )
    .await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn without_a_layer_or_a_verifier_it_fails_closed() {
    let app = Router::new().route("/callback", post(handler));
    let (status, text) = send(
        app,
        callback_request(CALLBACK, Some(sign(CALLBACK.as_bytes()))),
    )
    .await;
    assert_eq!(status, 500);
    assert!(text.contains("not configured"), "{text}");
}

#[tokio::test]
async fn any_deserialize_type_works() {
    #[derive(Deserialize)]
    struct Mine {
        order_number: String,
    }
    async fn mine(Verified(mine): Verified<Mine>) -> String {
        mine.order_number
    }
    let app = Router::new()
        .route("/callback", post(mine))
        .layer(VerifySignatureLayer::new(verifier()));
    let (status, text) = send(
        app,
        callback_request(CALLBACK, Some(sign(CALLBACK.as_bytes()))),
    )
    .await;
    assert_eq!((status, text.as_str()), (200, "order-123"));
    let _ = OrderStatus::Paid;
}
