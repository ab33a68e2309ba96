//! The typed client over a mock tower service: wire bytes, signatures, retries, every error.
#![allow(
    clippy::type_complexity,
    clippy::similar_names,
    clippy::items_after_statements,
    clippy::unnecessary_wraps,
    clippy::format_push_string
)]
mod support;

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
use kukuruku_tower::{Client, ConnectError, Error, ResponseSignature, RetryPolicy};
use support::*;

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

#[tokio::test]
async fn api_errors_keep_status_message_and_raw_body() {
    const BODY: &str = r#"{"success":false,"err":"user_email is not a KukuPay user"}"#;
    let (sent, service) = mock(|_, _| async { reply(400, BODY) });
    let err = client(service).create_payout(&payout()).await.unwrap_err();
    assert_eq!(sent.lock().unwrap().len(), 1);
    let api = err.api_error().unwrap();
    assert_eq!(api.status(), 400);
    assert_eq!(api.message(), Some("user_email is not a KukuPay user"));
    assert_eq!(err.status(), Some(http::StatusCode::BAD_REQUEST));
    assert_eq!(err.body().unwrap(), BODY.as_bytes());
    assert!(err.to_string().contains("user_email is not a KukuPay user"));
}

#[tokio::test]
async fn an_unreadable_success_is_an_unexpected_response() {
    let (_, service) = mock(|_, _| async { reply(200, "<html>maintenance</html>") });
    let err = client(service).create_payin(&payin()).await.unwrap_err();
    match &err {
        Error::UnexpectedResponse { status, body, .. } => {
            assert_eq!(*status, 200);
            assert_eq!(body, "<html>maintenance</html>".as_bytes());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_answer_over_the_limit_is_not_read_whole() {
    let (_, service) = mock(|_, _| async {
        Ok(http::Response::new(Full::new(Bytes::from(vec![
            b' ';
            4096
        ]))))
    });
    let client = Client::builder("1", key())
        .response_limit(1024)
        .build_with(service)
        .unwrap();
    let err = client.create_payin(&payin()).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedResponse { message, .. } if message.contains("1024")),
        "{err:?}"
    );
}

#[tokio::test]
async fn invalid_requests_are_caught_before_sending() {
    let (sent, service) = mock(|_, _| async { reply(200, "{}") });
    let err = Client::builder("1", key())
        .base_url("http://api.kukuruku.win")
        .build_with(service.clone())
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRequest(RequestError::InsecureUrl { .. })),
        "{err:?}"
    );
    assert!(err.is_not_sent());

    let err = Client::builder("not a number", key())
        .merchant_id_format(MerchantIdFormat::Number)
        .build_with(service.clone())
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");

    /// A call whose request cannot be built.
    struct Broken;
    impl Endpoint for Broken {
        type Output = ();
        const METHOD: http::Method = http::Method::POST;
        fn path(&self) -> String {
            "/api/v1/orders/payins".into()
        }
        fn body(&self, _: &ApiConfig) -> Result<Option<Bytes>, RequestError> {
            Err(RequestError::Missing { field: "amount" })
        }
        fn parse_response(_: http::Response<Bytes>) -> Result<(), ResponseError> {
            Ok(())
        }
    }
    let err = client(service).call(&Broken).await.unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidRequest(RequestError::Missing { field: "amount" })
    ));
    assert!(err.to_string().contains("amount is required"), "{err}");
    assert!(sent.lock().unwrap().is_empty(), "nothing may be sent");
}

#[tokio::test]
async fn unusable_settings_are_a_config_error() {
    let (_, service) = mock(|_, _| async { reply(200, "{}") });
    let err = Client::builder("1", key())
        .timeout(Duration::ZERO)
        .build_with(service)
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("timeout"), "{err}");
    let err = Client::builder("1", key())
        .connect_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

mod retries {
    use super::*;

    #[tokio::test]
    async fn a_post_whose_connection_failed_is_retried_then_succeeds() {
        let (sent, service) = mock(|n, _| async move {
            if n == 0 {
                Err(ConnectError::new("connection refused").into())
            } else {
                reply(200, PAYIN_CREATED)
            }
        });
        client(service).create_payin(&payin()).await.unwrap();
        let sent = sent.lock().unwrap();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0].body, sent[1].body, "the same bytes...");
        assert_eq!(sent[0].headers["signature"], sent[1].headers["signature"]);
    }

    #[tokio::test]
    async fn connect_failures_are_retried_up_to_the_cap() {
        let (sent, service) =
            mock(|_, _| async { Err(ConnectError::new("connection refused").into()) });
        let err = client(service).create_payin(&payin()).await.unwrap_err();
        assert_eq!(sent.lock().unwrap().len(), 3, "1 try + 2 retries");
        assert!(
            matches!(err, Error::Transport { connect: true, .. }),
            "{err:?}"
        );
        assert!(err.is_not_sent());
        assert!(err.to_string().contains("nothing was sent"), "{err}");
    }

    #[tokio::test]
    async fn a_post_that_failed_after_sending_is_never_repeated() {
        let (sent, service) = mock(|_, _| async { Err("connection reset by peer".into()) });
        let err = client(service).create_payin(&payin()).await.unwrap_err();
        assert_eq!(sent.lock().unwrap().len(), 1);
        assert!(
            matches!(err, Error::Transport { connect: false, .. }),
            "{err:?}"
        );
        assert!(!err.is_not_sent());
    }

    #[tokio::test(start_paused = true)]
    async fn a_payin_that_timed_out_is_never_sent_twice() {
        let (sent, service) = mock(|_, _| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            reply(200, PAYIN_CREATED)
        });
        let err = client(service).create_payin(&payin()).await.unwrap_err();
        assert_eq!(sent.lock().unwrap().len(), 1, "a second payin was sent");
        assert!(
            matches!(err, Error::Timeout(d) if d == Duration::from_secs(5)),
            "{err:?}"
        );
        assert!(err.is_timeout());
        assert!(
            err.to_string().contains("check the order's status"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_post_answered_503_is_not_repeated() {
        let (sent, service) = mock(|_, _| async { reply(503, "") });
        let err = client(service).create_payin(&payin()).await.unwrap_err();
        assert_eq!(sent.lock().unwrap().len(), 1);
        assert_eq!(err.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    }

    #[tokio::test(start_paused = true)]
    async fn a_get_is_retried_after_a_timeout_and_a_503() {
        let (sent, service) = mock(|n, _| async move {
            match n {
                0 => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    reply(200, ORDER)
                }
                1 => reply(503, ""),
                _ => signed(200, ORDER),
            }
        });
        let order = client(service).order(&order_id()).await.unwrap();
        assert_eq!(order.status, OrderStatus::Paid);
        assert_eq!(sent.lock().unwrap().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_are_capped_and_back_off_exponentially_with_jitter() {
        let times = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&times);
        let (sent, service) = mock(move |_, _| {
            let log = Arc::clone(&log);
            async move {
                log.lock().unwrap().push(tokio::time::Instant::now());
                Err::<http::Response<Full<Bytes>>, BoxError>("reset".into())
            }
        });
        let client = Client::builder("1", key())
            .retry(
                RetryPolicy::default()
                    .max_retries(3)
                    .backoff(Duration::from_millis(100), Duration::from_secs(10)),
            )
            .build_with(service)
            .unwrap();
        let err = client.order(&order_id()).await.unwrap_err();
        assert!(matches!(err, Error::Transport { .. }));
        assert_eq!(sent.lock().unwrap().len(), 4);
        let times = times.lock().unwrap();
        let waits: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        // Base 100, 200, 400 ms, each plus up to 100% jitter.
        for (wait, base) in waits.iter().zip([100u64, 200, 400]) {
            let base = Duration::from_millis(base);
            assert!(*wait >= base && *wait <= base * 2, "{waits:?}");
        }
    }

    #[tokio::test]
    async fn no_retries_when_disabled() {
        let (sent, service) = mock(|_, _| async { Err(ConnectError::new("refused").into()) });
        let client = Client::builder("1", key())
            .retry(RetryPolicy::none())
            .build_with(service)
            .unwrap();
        assert!(client.order(&order_id()).await.is_err());
        assert_eq!(sent.lock().unwrap().len(), 1);
    }
}

mod tracing_output {
    use super::*;
    use std::io::Write;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn spans_name_the_call_but_never_the_secret_or_a_signature() {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let (sent, service) = mock(|n, _| async move {
            if n == 0 {
                reply(200, PAYIN_CREATED)
            } else {
                reply(200, ORDER)
            }
        });
        let client = client(service);
        client.create_payin(&payin()).await.unwrap();
        let _ = client.order(&order_id()).await.unwrap_err();
        let output = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();

        assert!(output.contains("kukuruku.call"), "{output}");
        assert!(output.contains("method=POST"), "{output}");
        assert!(output.contains("path=/api/v1/orders/payins"), "{output}");
        assert!(
            output.contains("order_number=\"order-123\"")
                || output.contains("order_number=order-123"),
            "{output}"
        );
        assert!(output.contains("status=200"), "{output}");
        assert!(output.contains("latency_ms="), "{output}");
        assert!(output.contains(ORDER_ID), "{output}");
        assert!(!output.contains(KEY), "the secret leaked: {output}");
        for request in sent.lock().unwrap().iter() {
            let signature = request.headers["signature"].to_str().unwrap();
            assert!(!output.contains(signature), "a signature leaked: {output}");
        }
        assert!(!output.contains(&sign(ORDER.as_bytes())));
        let debug = format!("{client:?}");
        assert!(!debug.contains(KEY), "{debug}");
    }
}
