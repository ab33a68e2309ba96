//! The typed client over a mock tower service: wire bytes, signatures, retries, every error.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use kukuruku_proto::{
    Amount, ApiConfig, Currency, Endpoint, MerchantIdFormat, OrderId, OrderStatus, PayinRequest,
    PayoutRequest, RequestError, ResponseError,
};
use kukuruku_tower::verify_response::ResponseSignatureError;
use kukuruku_tower::{BoxError, Client, ConnectError, Error, ResponseSignature, RetryPolicy};

use crate::support::*;

mod errors;
mod replay;
mod retries;
mod tracing_output;

const ORDER_ID: &str = "8f14e45f-ceea-467a-9575-4e1f0c2d7a11";
const ORDER: &str = r#"{"uuid":"8f14e45f-ceea-467a-9575-4e1f0c2d7a11","order_number":"order-123","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1"}"#;
const PAYIN_CREATED: &str = r#"{"success":true,"token":"8f14e45f-ceea-467a-9575-4e1f0c2d7a11","url":"https://pay.kukuruku.win/p/8f14"}"#;

/// What the mock transport received.
#[derive(Debug, Clone)]
struct Sent {
    method: http::Method,
    uri: http::Uri,
    headers: http::HeaderMap,
    body: Bytes,
}

type Reply = Result<http::Response<Full<Bytes>>, BoxError>;

/// A transport that records each request and answers with `answer(call number from 0, request)`.
#[allow(clippy::type_complexity)] // an `impl Service` cannot be named by an alias
fn mock<F, Fut>(
    answer: F,
) -> (
    Arc<Mutex<Vec<Sent>>>,
    impl tower::Service<
        http::Request<Full<Bytes>>,
        Response = http::Response<Full<Bytes>>,
        Error = BoxError,
        Future = impl Send,
    > + Clone,
)
where
    F: Fn(usize, Sent) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Reply> + Send,
{
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    let service = tower::service_fn(move |req: http::Request<Full<Bytes>>| {
        let seen = Arc::clone(&seen);
        let answer = answer.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = body.collect().await.unwrap().to_bytes();
            let sent = Sent {
                method: parts.method,
                uri: parts.uri,
                headers: parts.headers,
                body,
            };
            let n = {
                let mut seen = seen.lock().unwrap();
                seen.push(sent.clone());
                seen.len() - 1
            };
            answer(n, sent).await
        }
    });
    (log, service)
}

#[allow(clippy::unnecessary_wraps)] // a `Reply`, as every answer of the mock
fn reply(status: u16, body: &'static str) -> Reply {
    let mut response = http::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    Ok(response)
}

fn signed(status: u16, body: &'static str) -> Reply {
    let mut response = reply(status, body)?;
    response
        .headers_mut()
        .insert("signature", sign(body.as_bytes()).parse().unwrap());
    Ok(response)
}

fn payin() -> PayinRequest {
    PayinRequest::builder()
        .amount(Amount::from_decimal("500", &Currency::Rub).unwrap())
        .currency(Currency::Rub)
        .order_number("order-123")
        .callback_url("https://your-site.com/callback")
        .client_id("user@example.com")
        .build()
        .unwrap()
}

fn payout() -> PayoutRequest {
    PayoutRequest::builder()
        .amount(Amount::new(10_000).unwrap())
        .currency(Currency::Usdt)
        .order_number("payout-7")
        .user_email("someone@example.com")
        .build()
        .unwrap()
}

fn order_id() -> OrderId {
    OrderId::new(ORDER_ID).unwrap()
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(2)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
}

fn client<S>(service: S) -> Client<S> {
    Client::builder("1", key())
        .base_url("https://api.kukuruku.local")
        .retry(fast_retries())
        .timeout(Duration::from_secs(5))
        .build_with(service)
        .unwrap()
}

#[tokio::test]
async fn create_payin_sends_the_signed_proto_bytes() {
    let (sent, service) = mock(|_, _| async { reply(200, PAYIN_CREATED) });
    let created = client(service).create_payin(&payin()).await.unwrap();
    assert_eq!(created.token.as_str(), ORDER_ID);
    assert_eq!(created.url, "https://pay.kukuruku.win/p/8f14");

    let sent = sent.lock().unwrap();
    assert_eq!(sent.len(), 1);
    let req = &sent[0];
    assert_eq!(req.method, http::Method::POST);
    assert_eq!(req.uri, "https://api.kukuruku.local/api/v1/orders/payins");
    let expected = payin()
        .to_request(&ApiConfig::new(
            kukuruku_proto::MerchantId::new("1").unwrap(),
        ))
        .unwrap();
    assert_eq!(
        req.body,
        expected.body(),
        "the body is proto's, serialised once"
    );
    assert_eq!(req.headers["signature"], sign(&req.body).as_str());
    assert!(req.headers["signature"].is_sensitive());
    assert_eq!(req.headers["content-type"], "application/json");
}

#[tokio::test]
async fn create_payout_follows_the_merchant_id_format() {
    let (sent, service) =
        mock(|_, _| async { reply(200, r#"{"success":true,"uuid":"0b7e3c4e"}"#) });
    let client = Client::builder("77", key())
        .merchant_id_format(MerchantIdFormat::Number)
        .build_with(service)
        .unwrap();
    let created = client.create_payout(&payout()).await.unwrap();
    assert_eq!(created.uuid.as_str(), "0b7e3c4e");
    let sent = sent.lock().unwrap();
    assert!(
        sent[0].body.starts_with(br#"{"merchant_id":77,"#),
        "{:?}",
        sent[0].body
    );
    assert_eq!(
        sent[0].uri,
        "https://api.kukuruku.win/api/v1/orders/payouts"
    );
    assert_eq!(sent[0].headers["signature"], sign(&sent[0].body).as_str());
}

#[tokio::test]
async fn order_status_is_signed_per_d1_and_its_answer_verified() {
    let (sent, service) = mock(|_, _| async { signed(200, ORDER) });
    let order = client(service).order(&order_id()).await.unwrap();
    assert_eq!(order.status, OrderStatus::Paid);
    let sent = sent.lock().unwrap();
    assert_eq!(sent[0].method, http::Method::GET);
    assert_eq!(
        sent[0].uri,
        "https://api.kukuruku.local/api/v1/orders/8f14e45f-ceea-467a-9575-4e1f0c2d7a11?merchant_id=1"
    );
    assert!(sent[0].body.is_empty());
    assert_eq!(sent[0].headers["signature"], sign(b"{}").as_str());
}

#[tokio::test]
async fn an_unsigned_or_wrongly_signed_status_is_refused() {
    let (_, service) = mock(|_, _| async { reply(200, ORDER) });
    let err = client(service).order(&order_id()).await.unwrap_err();
    match &err {
        Error::BadSignature {
            status,
            body,
            source,
        } => {
            assert_eq!(*status, 200);
            assert_eq!(body, ORDER.as_bytes());
            assert!(matches!(source, ResponseSignatureError::Missing));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("not trusted"), "{err}");

    let (_, service) = mock(|_, _| async {
        let mut response = reply(200, ORDER)?;
        response
            .headers_mut()
            .insert("signature", sign(b"another body").parse().unwrap());
        Ok(response)
    });
    let err = client(service).order(&order_id()).await.unwrap_err();
    assert!(
        matches!(&err, Error::BadSignature { source: ResponseSignatureError::Invalid(e), .. } if e.is_mismatch()),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_response_signature_policy_is_configurable() {
    let (_, service) = mock(|_, _| async { reply(200, ORDER) });
    let client = Client::builder("1", key())
        .response_signature(ResponseSignature::IfPresent)
        .build_with(service)
        .unwrap();
    assert!(client.order(&order_id()).await.is_ok(), "absent is fine");

    let (_, service) = mock(|_, _| async {
        let mut response = reply(200, ORDER)?;
        response
            .headers_mut()
            .insert("signature", sign(b"x").parse().unwrap());
        Ok(response)
    });
    let client = Client::builder("1", key())
        .response_signature(ResponseSignature::IfPresent)
        .build_with(service.clone())
        .unwrap();
    assert!(
        matches!(
            client.order(&order_id()).await,
            Err(Error::BadSignature { .. })
        ),
        "present and wrong still fails"
    );
    let client = Client::builder("1", key())
        .response_signature(ResponseSignature::Ignore)
        .build_with(service)
        .unwrap();
    assert!(client.order(&order_id()).await.is_ok());
}

#[tokio::test]
async fn a_previous_key_is_accepted_on_answers() {
    let (_, service) = mock(|_, _| async {
        let mut response = reply(200, ORDER)?;
        let signature = kukuruku_sign::Signer::new(&other_key())
            .sign(ORDER.as_bytes())
            .to_hex();
        response
            .headers_mut()
            .insert("signature", signature.as_str().parse().unwrap());
        Ok(response)
    });
    let client = Client::builder("1", key())
        .previous_key(other_key())
        .build_with(service)
        .unwrap();
    assert!(client.order(&order_id()).await.is_ok());
}
