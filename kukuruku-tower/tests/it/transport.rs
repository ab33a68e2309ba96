//! The built-in transport against a real hyper server on 127.0.0.1.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use kukuruku_proto::{Amount, Currency, OrderId, OrderStatus, PayinRequest};
use kukuruku_tower::{Client, Error, RetryPolicy};

use crate::support::*;

const ORDER: &str = r#"{"uuid":"8f14e45f","status":"processing"}"#;

/// A tiny Kukuruku: records what it received, answers payins, and signed order statuses.
async fn kukuruku() -> (String, Arc<Mutex<Vec<(http::request::Parts, Bytes)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let seen = Arc::clone(&seen);
            let service = hyper::service::service_fn(
                move |req: http::Request<hyper::body::Incoming>| {
                    let seen = Arc::clone(&seen);
                    async move {
                        let (parts, body) = req.into_parts();
                        let bytes = body.collect().await.unwrap().to_bytes();
                        let path = parts.uri.path().to_owned();
                        seen.lock().unwrap().push((parts, bytes));
                        let mut response = if path == "/api/v1/orders/payins" {
                            http::Response::new(Full::new(Bytes::from_static(
                            br#"{"success":true,"token":"8f14e45f","url":"https://pay.example/8f14e45f"}"#,
                        )))
                        } else {
                            let mut response = http::Response::new(Full::new(Bytes::from_static(
                                ORDER.as_bytes(),
                            )));
                            response
                                .headers_mut()
                                .insert("signature", sign(ORDER.as_bytes()).parse().unwrap());
                            response
                        };
                        response
                            .headers_mut()
                            .insert("content-type", "application/json".parse().unwrap());
                        Ok::<_, Infallible>(response)
                    }
                },
            );
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}"), log)
}

fn payin() -> PayinRequest {
    PayinRequest::builder()
        .amount(Amount::new(50_000).unwrap())
        .currency(Currency::Rub)
        .order_number("order-123")
        .client_id("user@example.com")
        .build()
        .unwrap()
}

#[tokio::test]
async fn payin_then_status_over_loopback() {
    let (base_url, seen) = kukuruku().await;
    let client = Client::builder("1", key())
        .base_url(&base_url)
        .build()
        .unwrap();
    let created = client.create_payin(&payin()).await.unwrap();
    assert_eq!(created.token.as_str(), "8f14e45f");
    let order = client.order(&created.token).await.unwrap();
    assert_eq!(order.status, OrderStatus::Processing);

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let (parts, body) = &seen[0];
    assert_eq!(parts.method, http::Method::POST);
    assert_eq!(
        parts.headers["signature"],
        sign(body).as_str(),
        "the signature on the wire covers the bytes received"
    );
    assert_eq!(parts.headers["content-type"], "application/json");
    let (parts, body) = &seen[1];
    assert!(body.is_empty());
    assert_eq!(parts.uri, "/api/v1/orders/8f14e45f?merchant_id=1");
    assert_eq!(parts.headers["signature"], sign(b"{}").as_str());
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error_retried_up_to_the_cap() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::builder("1", key())
        .base_url(format!("http://{addr}"))
        .retry(
            RetryPolicy::default()
                .max_retries(1)
                .backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let err = client.create_payin(&payin()).await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { connect: true, .. }),
        "{err:?}"
    );
    assert!(err.is_not_sent());
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accept and hold connections without answering.
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&held);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            keep.lock().unwrap().push(stream);
        }
    });
    let client = Client::builder("1", key())
        .base_url(format!("http://{addr}"))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client.create_payin(&payin()).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(held.lock().unwrap().len(), 1, "the payin was sent once");
}

#[test]
fn plain_http_is_refused_for_other_hosts() {
    let err = Client::builder("1", key())
        .base_url("http://api.kukuruku.win")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    let client = Client::builder("1", key()).build().unwrap();
    assert_eq!(client.config().base_url(), "https://api.kukuruku.win");
    let _ = OrderId::new("x").unwrap();
}
