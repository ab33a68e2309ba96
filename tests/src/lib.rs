//! End-to-end tests across the kukuruku-rs crates, and the support code they share.
//!
//! The tests themselves live in `tests/tests/`. This crate gives them:
//!
//! - [`start_sandbox`]: a sandbox on loopback with one merchant, one KukuPay user and a callback
//!   policy in milliseconds;
//! - [`client`]: the SDK's client pointed at it;
//! - [`Shop`]: an example merchant (axum + kukuruku-tower's `VerifySignatureLayer`) that records
//!   callbacks the way the protocol asks (apply a status only if it moves the order forward,
//!   credit a paid payin once), and can be told to fail its first deliveries;
//! - [`Http`]: a plain HTTP client for sending exact bytes (bad input, pay page forms).
#![deny(missing_docs)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kukuruku_proto::{Amount, CALLBACK_ACK, Callback, JSON_CONTENT_TYPE, OrderStatus, OrderType};
use kukuruku_sandbox::{CallbackPolicy, KukuPayUser, Merchant, Sandbox};
use kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_tower::extract::Verified;
use kukuruku_tower::transport::HttpsTransport;
use kukuruku_tower::{Client, VerifySignatureLayer};
use tokio::sync::Notify;

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

/// How the example merchant misbehaves on its first deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Answers every delivery properly.
    None,
    /// Answers 500 to the first `n` deliveries without recording them (a crash before the
    /// database write).
    BeforeRecording(u32),
    /// Records the first `n` deliveries but answers 500 (the acknowledgement is lost).
    AfterRecording(u32),
}

/// What the example merchant knows.
#[derive(Debug, Default)]
pub struct Books {
    /// Each order's status, as recorded.
    pub statuses: HashMap<String, OrderStatus>,
    /// How many times each payin was credited (must never exceed 1).
    pub credits: HashMap<String, u32>,
    /// The balance credited, in minor units.
    pub balance: u64,
    /// Every callback received (verified), in order of arrival.
    pub received: Vec<Callback>,
    /// How many deliveries reached the handler.
    pub deliveries: u32,
}

struct ShopState {
    books: Mutex<Books>,
    failure: Failure,
    /// While set, every delivery is answered 500 without being recorded (the merchant is down).
    closed: AtomicBool,
    changed: Notify,
}

/// An example merchant server on loopback: `POST /kukuruku/callback` behind kukuruku-tower's
/// `VerifySignatureLayer` with the merchant's key.
pub struct Shop {
    url: String,
    state: Arc<ShopState>,
    _server: tokio::task::JoinHandle<()>,
}

async fn on_callback(
    State(state): State<Arc<ShopState>>,
    Verified(update): Verified<Callback>,
) -> Response {
    let fail = {
        let mut books = state.books.lock().unwrap_or_else(PoisonError::into_inner);
        books.deliveries += 1;
        let delivery = books.deliveries;
        let (fail_before, fail_after) = match state.failure {
            _ if state.closed.load(Ordering::SeqCst) => (true, false),
            Failure::None => (false, false),
            Failure::BeforeRecording(n) => (delivery <= n, false),
            Failure::AfterRecording(n) => (false, delivery <= n),
        };
        if !fail_before {
            let id = update.id.as_str().to_owned();
            let change = OrderStatus::apply(books.statuses.get(&id), &update.status);
            if change.should_apply() {
                books.statuses.insert(id.clone(), update.status.clone());
                if update.status == OrderStatus::Paid && update.order_type == Some(OrderType::Payin)
                {
                    *books.credits.entry(id).or_default() += 1;
                    books.balance += update.amount.map_or(0, Amount::minor_units);
                }
            }
            books.received.push(update);
        }
        fail_before || fail_after
    };
    state.changed.notify_waiters();
    let (status, body) = if fail {
        // An error answer in Kukuruku's shape (D6).
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Bytes::from_static(br#"{"success":false,"err":"try again"}"#),
        )
    } else {
        (StatusCode::OK, Bytes::from_static(CALLBACK_ACK))
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
}

impl Shop {
    /// Starts the merchant with the key of merchant `1`.
    pub async fn start(failure: Failure) -> Self {
        let state = Arc::new(ShopState {
            books: Mutex::new(Books::default()),
            failure,
            closed: AtomicBool::new(false),
            changed: Notify::new(),
        });
        let app = Router::new()
            .route("/kukuruku/callback", post(on_callback))
            .route_layer(VerifySignatureLayer::new(Verifier::new(&key())))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|err| panic!("the shop cannot listen: {err}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|err| panic!("no address: {err}"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}"),
            state,
            _server: server,
        }
    }

    /// Closes (`true`) or reopens the merchant: while closed, deliveries are answered 500 and
    /// not recorded, so the sandbox retries them.
    pub fn set_closed(&self, closed: bool) {
        self.state.closed.store(closed, Ordering::SeqCst);
    }

    /// The callback URL to give the sandbox.
    pub fn callback_url(&self) -> String {
        format!("{}/kukuruku/callback", self.url)
    }

    /// The merchant's root URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Reads the books.
    pub fn books<T>(&self, read: impl FnOnce(&Books) -> T) -> T {
        read(
            &self
                .state
                .books
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Waits until `done` holds for the books (at most [`WAIT`]); returns whether it did.
    pub async fn wait_until(&self, done: impl Fn(&Books) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let notified = self.state.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.books(&done) {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.books(&done);
            }
        }
    }

    /// The recorded status of an order.
    pub fn status(&self, id: &str) -> Option<OrderStatus> {
        self.books(|books| books.statuses.get(id).cloned())
    }
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
