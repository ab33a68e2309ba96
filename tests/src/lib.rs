//! End-to-end tests across the kukuruku-rs crates, and the support code they share.
//!
//! The tests themselves live in `tests/tests/it/` (one test binary, a module per area). This
//! crate gives them:
//!
//! - [`start_sandbox`]: a sandbox on loopback with one merchant, one KukuPay user and a callback
//!   policy in milliseconds;
//! - [`client`]: the SDK's client pointed at it;
//! - [`shop`]: the sandbox's example merchant ([`kukuruku_sandbox::merchant`]: axum +
//!   kukuruku-tower's `VerifySignatureLayer`, recording callbacks the way the protocol asks),
//!   with merchant `1`'s key;
//! - [`Http`]: a plain HTTP client for sending exact bytes (bad input, pay page forms).
#![deny(missing_docs)]

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kukuruku_proto::OrderStatus;
use kukuruku_sandbox::merchant::{ExampleMerchant, Failure};
use kukuruku_sandbox::{CallbackPolicy, KukuPayUser, Merchant, Sandbox};
use kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_tower::Client;
use kukuruku_tower::transport::HttpsTransport;

/// The merchant's secret in these tests (the test vector key of PROTOCOL 1.1).
pub const SECRET: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
/// The merchant's id.
pub const MERCHANT_ID: &str = "1";
/// A second merchant, with its own secret.
pub const OTHER_MERCHANT_ID: &str = "2";
/// The second merchant's secret.
pub const OTHER_SECRET: &str = "other-merchant-secret";
/// A KukuPay user known to the sandbox.
pub const PAYEE: &str = "payee@example.com";
/// How long a test waits for something that should take milliseconds.
pub const WAIT: Duration = Duration::from_secs(5);

/// The merchant's key.
pub fn key() -> SecretKey {
    SecretKey::new(SECRET).unwrap_or_else(|err| unreachable!("{err}"))
}

/// Signs `body` with the merchant's key: the `signature` header value.
pub fn sign(body: &[u8]) -> String {
    Signer::new(&key()).sign(body).to_hex().as_str().to_owned()
}

/// The callback policy of the tests: 500 ms per try, 6 tries, 10 ms doubling.
pub fn fast_callbacks() -> CallbackPolicy {
    CallbackPolicy::default()
        .timeout(Duration::from_millis(500))
        .max_attempts(6)
        .initial_backoff(Duration::from_millis(10))
}

/// A sandbox with merchants `1` and `2`, the user [`PAYEE`], and [`fast_callbacks`].
pub async fn start_sandbox() -> Sandbox {
    Sandbox::builder()
        .merchant(Merchant::new(MERCHANT_ID, key()))
        .merchant(Merchant::new(
            OTHER_MERCHANT_ID,
            SecretKey::new(OTHER_SECRET).unwrap_or_else(|err| unreachable!("{err}")),
        ))
        .user(KukuPayUser::new(PAYEE, "Pat Payee", "RUB"))
        .callback_policy(fast_callbacks())
        .start()
        .await
        .unwrap_or_else(|err| panic!("the sandbox did not start: {err}"))
}

/// The SDK client for merchant `1`, against the sandbox.
pub fn client(sandbox: &Sandbox) -> Client<HttpsTransport> {
    Client::builder(MERCHANT_ID, key())
        .base_url(sandbox.api_url())
        .build()
        .unwrap_or_else(|err| panic!("the client did not build: {err}"))
}

/// The sandbox's example merchant, checking callbacks with merchant `1`'s key, on loopback.
pub async fn shop(failure: Failure) -> ExampleMerchant {
    ExampleMerchant::start(Verifier::new(&key()), failure)
        .await
        .unwrap_or_else(|err| panic!("the shop cannot listen: {err}"))
}

/// Whether `shop` records `status` for the order `id` within [`WAIT`].
pub async fn recorded(shop: &ExampleMerchant, id: &str, status: OrderStatus) -> bool {
    shop.wait_until(WAIT, |books| books.statuses.get(id) == Some(&status))
        .await
}

/// An answer received by [`Http`].
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Answer {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The D6 error message (`err`), if any.
    pub fn err(&self) -> String {
        self.json()["err"].as_str().unwrap_or_default().to_owned()
    }
}

/// A plain HTTP/1 client over loopback for exact bytes.
#[derive(Clone)]
pub struct Http {
    client: HttpClient<HttpConnector, Full<Bytes>>,
}

impl Default for Http {
    fn default() -> Self {
        Self {
            client: HttpClient::builder(TokioExecutor::new()).build(HttpConnector::new()),
        }
    }
}

impl Http {
    /// Sends a request with these headers and body; panics on a transport failure.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Answer {
        let mut builder = Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(body.into()))
            .unwrap_or_else(|err| panic!("bad request: {err}"));
        let response = tokio::time::timeout(WAIT, self.client.request(request))
            .await
            .unwrap_or_else(|_| panic!("{url}: no answer within {WAIT:?}"))
            .unwrap_or_else(|err| panic!("{url}: {err}"));
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .unwrap_or_else(|err| panic!("{url}: {err}"))
            .to_bytes();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// POSTs `body` as JSON, signed with the merchant's key.
    pub async fn post_signed(&self, url: &str, body: &str) -> Answer {
        let signature = sign(body.as_bytes());
        self.send(
            Method::POST,
            url,
            &[
                ("content-type", "application/json"),
                ("signature", &signature),
            ],
            body.to_owned(),
        )
        .await
    }

    /// POSTs `body` as JSON without a signature (the control API).
    pub async fn post_json(&self, url: &str, body: &str) -> Answer {
        self.send(
            Method::POST,
            url,
            &[("content-type", "application/json")],
            body.to_owned(),
        )
        .await
    }

    /// GETs `url`.
    pub async fn get(&self, url: &str) -> Answer {
        self.send(Method::GET, url, &[], Bytes::new()).await
    }

    /// POSTs the pay page's form.
    pub async fn post_form(&self, url: &str, form: &str) -> Answer {
        self.send(
            Method::POST,
            url,
            &[("content-type", "application/x-www-form-urlencoded")],
            form.to_owned(),
        )
        .await
    }
}

/// A payin body in the documented field order, with `fields` replaced (a `null` removes one).
pub fn payin_body(
    order_number: &str,
    callback_url: &str,
    fields: &[(&str, serde_json::Value)],
) -> String {
    let mut body = serde_json::json!({
        "merchant_id": MERCHANT_ID,
        "amount": 50000,
        "currency": "RUB",
        "callback_url": callback_url,
        "order_number": order_number,
        "redirect_success_url": "https://shop.example/success",
        "redirect_fail_url": "https://shop.example/fail",
        "customer": {"client_id": "user@example.com"},
    });
    patch(&mut body, fields);
    body.to_string()
}

/// A payout body, with `fields` replaced (a `null` removes one).
pub fn payout_body(order_number: &str, fields: &[(&str, serde_json::Value)]) -> String {
    let mut body = serde_json::json!({
        "merchant_id": MERCHANT_ID,
        "amount": 10000,
        "currency": "RUB",
        "order_number": order_number,
        "user_email": PAYEE,
    });
    patch(&mut body, fields);
    body.to_string()
}

fn patch(body: &mut serde_json::Value, fields: &[(&str, serde_json::Value)]) {
    if let Some(map) = body.as_object_mut() {
        for (name, value) in fields {
            if value.is_null() {
                map.remove(*name);
            } else {
                map.insert((*name).to_owned(), value.clone());
            }
        }
    }
}
