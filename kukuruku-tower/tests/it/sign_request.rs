//! SignRequest: the signature covers exactly the bytes forwarded.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use kukuruku_proto::{ApiConfig, BodylessSigning, MerchantId, MerchantIdFormat};
use kukuruku_tower::SignRequestLayer;
use kukuruku_tower::sign_request::BodyReadError;
use tower::{Layer, ServiceBuilder, ServiceExt};

use crate::support::*;

fn request<B>(body: B) -> http::Request<B> {
    http::Request::post("http://127.0.0.1/api/v1/orders/payins")
        .body(body)
        .unwrap()
}

#[tokio::test]
async fn signs_the_protocol_vector_and_sets_headers() {
    let (seen, inner) = recording();
    let service = SignRequestLayer::new(&key()).layer(inner);
    let response = service.oneshot(request(full(VECTOR_BODY))).await.unwrap();
    assert_eq!(response.status(), 200);
    let seen = seen.lock().unwrap();
    let seen = &seen[0];
    assert_eq!(seen.body, VECTOR_BODY.as_bytes());
    let signature = &seen.headers["signature"];
    assert_eq!(signature, VECTOR_SIG);
    assert!(
        signature.is_sensitive(),
        "the signature must be marked sensitive"
    );
    assert_eq!(seen.headers["content-type"], "application/json");
}

#[tokio::test]
async fn keeps_an_existing_content_type_and_replaces_a_stale_signature() {
    let (seen, inner) = recording();
    let service = SignRequestLayer::new(&key()).layer(inner);
    let mut req = request(full("{}"));
    req.headers_mut().insert(
        "content-type",
        "application/json; charset=utf-8".parse().unwrap(),
    );
    req.headers_mut()
        .insert("signature", "00".repeat(64).parse().unwrap());
    service.oneshot(req).await.unwrap();
    let seen = &seen.lock().unwrap()[0];
    assert_eq!(
        seen.headers["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(seen.headers.get_all("signature").iter().count(), 1);
    assert_eq!(seen.headers["signature"], sign(b"{}").as_str());
}

#[tokio::test]
async fn a_single_chunk_body_is_forwarded_without_a_copy() {
    let original = Bytes::from(VECTOR_BODY.as_bytes().to_vec());
    let original_ptr = original.as_ptr();
    let forwarded = Arc::new(Mutex::new(None::<Bytes>));
    let slot = Arc::clone(&forwarded);
    let inner = tower::service_fn(move |req: http::Request<Full<Bytes>>| {
        let slot = Arc::clone(&slot);
        async move {
            let bytes = req.into_body().collect().await.unwrap().to_bytes();
            *slot.lock().unwrap() = Some(bytes);
            Ok::<_, Infallible>(http::Response::new(()))
        }
    });
    SignRequestLayer::new(&key())
        .layer(inner)
        .oneshot(request(Full::new(original)))
        .await
        .unwrap();
    let forwarded = forwarded.lock().unwrap().clone().unwrap();
    assert_eq!(
        forwarded.as_ptr(),
        original_ptr,
        "the body bytes were copied"
    );
    assert_eq!(forwarded.len(), VECTOR_BODY.len());
}

#[tokio::test]
async fn a_streamed_body_is_signed_whole() {
    let (seen, inner) = recording();
    let service = SignRequestLayer::new(&key()).layer(inner);
    let (a, b) = VECTOR_BODY.split_at(100);
    let a: &'static str = a;
    let b: &'static str = b;
    service
        .oneshot(request(chunks(&[a.as_bytes(), b"", b.as_bytes()])))
        .await
        .unwrap();
    let seen = &seen.lock().unwrap()[0];
    assert_eq!(seen.body, VECTOR_BODY.as_bytes());
    assert_eq!(seen.headers["signature"], VECTOR_SIG);
}

#[tokio::test]
async fn a_bodyless_request_follows_d1() {
    let config = |policy| {
        ApiConfig::new(MerchantId::new("42").unwrap())
            .with_merchant_id_format(MerchantIdFormat::String)
            .unwrap()
            .with_bodyless_signing(policy)
    };
    let layers = [
        (SignRequestLayer::new(&key()), &b"{}"[..]),
        (
            SignRequestLayer::for_config(&key(), &config(BodylessSigning::EmptyString)),
            &b""[..],
        ),
        (
            SignRequestLayer::for_config(&key(), &config(BodylessSigning::MerchantIdObject)),
            &br#"{"merchant_id":"42"}"#[..],
        ),
        (
            SignRequestLayer::new(&key()).bodyless_input(Bytes::from_static(b"[]")),
            &b"[]"[..],
        ),
    ];
    for (layer, signed) in layers {
        let (seen, inner) = recording();
        let service = layer.layer(inner);
        let req = http::Request::get("http://127.0.0.1/api/v1/orders/x")
            .body(Empty::<Bytes>::new())
            .unwrap();
        service.oneshot(req).await.unwrap();
        let seen = &seen.lock().unwrap()[0];
        assert!(seen.body.is_empty(), "nothing is sent");
        assert_eq!(seen.headers["signature"], sign(signed).as_str());
        assert!(
            seen.headers.get("content-type").is_none(),
            "no content-type without a body"
        );
    }
}

#[tokio::test]
async fn a_body_that_fails_is_an_error_and_nothing_is_sent() {
    let (seen, inner) = recording();
    let service = ServiceBuilder::new()
        .layer(SignRequestLayer::new(&key()))
        .service(inner);
    let err = service
        .oneshot(request(failing_after(b"{\"merchant")))
        .await
        .unwrap_err();
    assert!(err.downcast_ref::<BodyReadError>().is_some(), "{err}");
    assert!(err.to_string().contains("could not read the request body"));
    assert_eq!(
        report(&*err),
        "could not read the request body to sign it: connection reset by peer"
    );
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn debug_shows_no_secret() {
    let layer = SignRequestLayer::new(&key());
    let text = format!("{layer:?}");
    assert!(!text.contains(KEY), "{text}");
    assert!(text.contains("SignRequestLayer"));
}

/// Over a real loopback connection: the signature on the wire is the HMAC of the exact bytes
/// the server received.
#[tokio::test]
async fn on_the_wire_the_signature_matches_the_bytes_received() {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let received = Arc::new(Mutex::new(None::<(http::HeaderMap, Bytes)>));
    let slot = Arc::clone(&received);
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let service =
            hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let slot = Arc::clone(&slot);
                async move {
                    let (parts, body) = req.into_parts();
                    let bytes = body.collect().await.unwrap().to_bytes();
                    *slot.lock().unwrap() = Some((parts.headers, bytes));
                    Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(b"{}"))))
                }
            });
        hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .await
            .unwrap();
    });

    let http = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let service = ServiceBuilder::new()
        .layer(SignRequestLayer::new(&key()))
        .service(http);
    let body = r#"{"merchant_id":"1","amount":500,"note":"caf\u00e9 ☕ / \\ \""}"#;
    let req = http::Request::post(format!("http://{addr}/api/v1/orders/payins"))
        .body(chunks(&[&body.as_bytes()[..7], &body.as_bytes()[7..]]))
        .unwrap();
    let response = service.oneshot(req).await.unwrap();
    assert_eq!(response.status(), 200);
    drop(server);

    let (headers, bytes) = received.lock().unwrap().clone().unwrap();
    assert_eq!(bytes, body.as_bytes());
    assert_eq!(headers["signature"], sign(&bytes).as_str());
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["content-length"], body.len().to_string().as_str());
}
