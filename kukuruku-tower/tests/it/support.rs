//! Helpers shared by the integration tests.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_tower::BoxError;

pub(crate) const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
pub(crate) const OTHER_KEY: &str = "previous-secret-key-0123456789";

/// The first test vector of PROTOCOL 1.1.
pub(crate) const VECTOR_BODY: &str = r#"{"merchant_id":"1","amount":50000,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"order-123","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"user@example.com"}}"#;
pub(crate) const VECTOR_SIG: &str = "b7611a011a447edd6dee56f302722045d5e947411987d3884eb185157831d815a91293d64b07af6a571403e1665348237ef4d3dac8c83010ab823cc838b4308b";

pub(crate) const CALLBACK: &str = r#"{"uuid":"5d0f2a4e-0000-4000-8000-000000000001","order_number":"order-123","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1"}"#;

pub(crate) fn key() -> SecretKey {
    SecretKey::new(KEY).unwrap()
}

pub(crate) fn other_key() -> SecretKey {
    SecretKey::new(OTHER_KEY).unwrap()
}

pub(crate) fn verifier() -> Verifier {
    Verifier::new(&key())
}

pub(crate) fn sign(body: &[u8]) -> String {
    Signer::new(&key()).sign(body).to_hex().as_str().to_owned()
}

pub(crate) type TestBody = http_body_util::combinators::UnsyncBoxBody<Bytes, BoxError>;

/// A body that arrives in the given chunks.
pub(crate) fn chunks(parts: &[&'static [u8]]) -> TestBody {
    let frames: Vec<Result<Frame<Bytes>, BoxError>> = parts
        .iter()
        .map(|part| Ok(Frame::data(Bytes::from_static(part))))
        .collect();
    StreamBody::new(stream::iter(frames)).boxed_unsync()
}

/// A body that sends `first`, then fails.
pub(crate) fn failing_after(first: &'static [u8]) -> TestBody {
    let frames: Vec<Result<Frame<Bytes>, BoxError>> = vec![
        Ok(Frame::data(Bytes::from_static(first))),
        Err("connection reset by peer".into()),
    ];
    StreamBody::new(stream::iter(frames)).boxed_unsync()
}

/// A body that sends `first`, then never anything again.
pub(crate) fn stalling_after(first: &'static [u8]) -> TestBody {
    let head = stream::iter(vec![Ok::<_, BoxError>(Frame::data(Bytes::from_static(
        first,
    )))]);
    StreamBody::new(head.chain(stream::pending())).boxed_unsync()
}

/// A body that records whether anyone polled it.
pub(crate) fn watched(flag: Arc<Mutex<bool>>, data: &'static [u8]) -> TestBody {
    let stream = stream::once(async move {
        *flag.lock().unwrap() = true;
        Ok::<_, BoxError>(Frame::data(Bytes::from_static(data)))
    });
    StreamBody::new(stream).boxed_unsync()
}

pub(crate) fn full(body: impl Into<Bytes>) -> Full<Bytes> {
    Full::new(body.into())
}

/// What an inner service saw.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) extensions: http::Extensions,
}

/// An inner service that records each request and answers 200 `{"success":true}`.
#[allow(clippy::type_complexity)] // an `impl Service` cannot be named by an alias
pub(crate) fn recording() -> (
    Arc<Mutex<Vec<Seen>>>,
    impl tower::Service<
        http::Request<Full<Bytes>>,
        Response = http::Response<Full<Bytes>>,
        Error = Infallible,
        Future = impl Send,
    > + Clone,
) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let service = tower::service_fn(move |req: http::Request<Full<Bytes>>| {
        let log = Arc::clone(&log);
        async move {
            let (parts, body) = req.into_parts();
            let body = body.collect().await.unwrap().to_bytes();
            log.lock().unwrap().push(Seen {
                headers: parts.headers,
                body,
                extensions: parts.extensions,
            });
            Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(
                br#"{"success":true}"#,
            ))))
        }
    });
    (seen, service)
}

pub(crate) async fn body_text<B>(body: B) -> String
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// Runs the interop tools check: `true` when the test may run, `false` (after printing SKIP)
/// when it must be skipped; panics when `KUKURUKU_REQUIRE_INTEROP=1` and a tool is missing.
pub(crate) fn interop_available(tool: &str, why_missing: Option<String>) -> bool {
    let Some(why) = why_missing else { return true };
    assert!(
        std::env::var("KUKURUKU_REQUIRE_INTEROP").as_deref() != Ok("1"),
        "KUKURUKU_REQUIRE_INTEROP=1 but the {tool} interop test cannot run: {why}"
    );
    println!(
        "SKIP: {tool} interop test: {why} (set KUKURUKU_REQUIRE_INTEROP=1 to make this a failure)"
    );
    false
}

/// An error and its causes, joined with ": ", as anyhow and eyre print a report (`{:#}`).
pub(crate) fn report(err: &(dyn std::error::Error + 'static)) -> String {
    let mut report = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        report.push_str(": ");
        report.push_str(&cause.to_string());
        source = cause.source();
    }
    report
}
