//! An example merchant for demos and tests: the callback receiver a merchant writes, on
//! loopback, keeping its books in memory.
//!
//! `POST /kukuruku/callback` sits behind kukuruku-tower's `VerifySignatureLayer` (the signature
//! checked over the raw bytes, 64 KiB at most), and the handler takes the body as
//! `Verified<Callback>`. Each callback is recorded the way the protocol asks (PROTOCOL D8:
//! delivered at least once, maybe out of order) **before** it is acknowledged: a status is applied
//! only when it moves the order forward ([`OrderStatus::apply`]), and a paid payin is credited
//! once, by its first paid callback, whatever repeats follow. It can be told to fail its first
//! deliveries ([`Failure`]) or to be down for a while ([`ExampleMerchant::set_closed`]), to show
//! the sandbox's retries.
//!
//! `kukuruku demo` and the end-to-end tests share this one copy. A real merchant keeps its
//! books in a database, as `kukuruku-tower`'s `axum_callback` example does with SQLite.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use kukuruku_sandbox::merchant::{ExampleMerchant, Failure};
//! use kukuruku_sandbox::{Merchant, Sandbox, SecretKey};
//! use kukuruku_sign::Verifier;
//!
//! let key = SecretKey::new("test-secret")?;
//! let shop = ExampleMerchant::start(Verifier::new(&key), Failure::None).await?;
//! let sandbox = Sandbox::builder()
//!     .merchant(Merchant::new("1", key).callback_url(shop.callback_url()))
//!     .start()
//!     .await?;
//! // … create a payin with the SDK client and pay it on the pay page, then:
//! let within = std::time::Duration::from_secs(5);
//! let credited = shop.wait_until(within, |books| books.balance > 0).await;
//! # drop((sandbox, credited)); Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use kukuruku_proto::{Amount, CALLBACK_ACK, Callback, OrderStatus, OrderType, StatusChange};
use kukuruku_sign::Verifier;
use kukuruku_tower::VerifySignatureLayer;
use kukuruku_tower::extract::Verified;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// The path the example merchant receives callbacks on.
const CALLBACK_PATH: &str = "/kukuruku/callback";

/// The answer to a delivery the merchant fails on purpose (PROTOCOL D6's error shape).
const TRY_AGAIN: &[u8] = br#"{"success":false,"err":"try again"}"#;

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
    /// Every callback recorded (verified), in order of arrival.
    pub received: Vec<Received>,
    /// How many deliveries reached the handler, recorded or not.
    pub deliveries: u32,
}

/// One callback the merchant recorded.
#[derive(Debug, Clone)]
pub struct Received {
    /// The callback, as verified.
    pub callback: Callback,
    /// What it meant for the order when it arrived.
    pub change: StatusChange,
    /// When it was recorded.
    pub at: Instant,
}

impl Books {
    /// Records a verified callback: its status applied only if it moves the order forward, and
    /// a payin credited when it becomes paid. This is the only place an order is credited.
    fn record(&mut self, callback: Callback) {
        let id = callback.id.as_str().to_owned();
        let change = OrderStatus::apply(self.statuses.get(&id), &callback.status);
        if change.should_apply() {
            self.statuses.insert(id.clone(), callback.status.clone());
            if callback.status == OrderStatus::Paid && callback.order_type == Some(OrderType::Payin)
            {
                *self.credits.entry(id).or_default() += 1;
                self.balance += callback.amount.map_or(0, Amount::minor_units);
            }
        }
        self.received.push(Received {
            callback,
            change,
            at: Instant::now(),
        });
    }

    /// The first callback recorded for the order `id`.
    pub fn first_for(&self, id: &str) -> Option<&Received> {
        self.received
            .iter()
            .find(|received| received.callback.id.as_str() == id)
    }
}

struct Shared {
    books: Mutex<Books>,
    failure: Failure,
    /// While set, every delivery is answered 500 without being recorded (the merchant is down).
    closed: AtomicBool,
    changed: Notify,
    verifier: Verifier,
}

/// The example merchant: its books, and its callback route served on loopback. Clones share
/// the books.
#[derive(Clone)]
pub struct ExampleMerchant {
    url: String,
    shared: Arc<Shared>,
}

impl fmt::Debug for ExampleMerchant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExampleMerchant")
            .field("url", &self.url)
            .field("failure", &self.shared.failure)
            .finish_non_exhaustive()
    }
}

impl ExampleMerchant {
    /// Starts the merchant on 127.0.0.1 (any free port), checking callbacks with `verifier`.
    /// The server runs as long as the async runtime does.
    pub async fn start(verifier: Verifier, failure: Failure) -> io::Result<Self> {
        let (merchant, listener) = Self::bind(verifier, failure).await?;
        let app = merchant.router();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(merchant)
    }

    /// The merchant and a listener on 127.0.0.1 (any free port), not served yet: serve
    /// [`ExampleMerchant::router`], merged with routes of your own, on it.
    pub async fn bind(verifier: Verifier, failure: Failure) -> io::Result<(Self, TcpListener)> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared {
            books: Mutex::new(Books::default()),
            failure,
            closed: AtomicBool::new(false),
            changed: Notify::new(),
            verifier,
        });
        Ok((Self { url, shared }, listener))
    }

    /// The callback route, `POST /kukuruku/callback`, behind `VerifySignatureLayer`.
    pub fn router(&self) -> Router {
        Router::new()
            .route(CALLBACK_PATH, post(on_callback))
            .route_layer(VerifySignatureLayer::new(self.shared.verifier.clone()))
            .with_state(Arc::clone(&self.shared))
    }

    /// The merchant's root URL (`http://127.0.0.1:{port}`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The callback URL to give the sandbox.
    pub fn callback_url(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.url)
    }

    /// Closes (`true`) or reopens the merchant: while closed, deliveries are answered 500 and
    /// not recorded, so the sandbox retries them.
    pub fn set_closed(&self, closed: bool) {
        self.shared.closed.store(closed, Ordering::SeqCst);
    }

    /// Reads the books.
    pub fn books<T>(&self, read: impl FnOnce(&Books) -> T) -> T {
        read(
            &self
                .shared
                .books
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        )
    }

    /// Waits until `done` holds for the books, at most `within`; returns whether it did.
    pub async fn wait_until(&self, within: Duration, done: impl Fn(&Books) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.shared.changed.notified();
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

/// The callback handler: the body arrives verified (the layer checked the signature over the
/// raw bytes); record it, then acknowledge, unless told to fail.
async fn on_callback(
    State(shared): State<Arc<Shared>>,
    Verified(update): Verified<Callback>,
) -> Response {
    let fail = {
        let mut books = shared.books.lock().unwrap_or_else(PoisonError::into_inner);
        books.deliveries += 1;
        let delivery = books.deliveries;
        let (fail_before, fail_after) = match shared.failure {
            _ if shared.closed.load(Ordering::SeqCst) => (true, false),
            Failure::None => (false, false),
            Failure::BeforeRecording(n) => (delivery <= n, false),
            Failure::AfterRecording(n) => (false, delivery <= n),
        };
        if !fail_before {
            books.record(update);
        }
        fail_before || fail_after
    };
    shared.changed.notify_waiters();
    let (status, body) = if fail {
        (StatusCode::INTERNAL_SERVER_ERROR, TRY_AGAIN)
    } else {
        (StatusCode::OK, CALLBACK_ACK)
    };
    let mut response = (status, Bytes::from_static(body)).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use kukuruku_proto::parse_callback;

    use super::*;

    fn callback(id: &str, status: &str, order_type: &str) -> Callback {
        let body = format!(
            r#"{{"uuid":"{id}","status":"{status}","amount":2500,"currency":"RUB","type":"{order_type}","merchant_id":"1"}}"#
        );
        parse_callback(body.as_bytes()).unwrap_or_else(|err| panic!("{err}: {body}"))
    }

    #[test]
    fn a_paid_payin_is_credited_once_and_a_late_status_changes_nothing() {
        let mut books = Books::default();
        books.record(callback("a", "created", "payin"));
        books.record(callback("a", "paid", "payin"));
        books.record(callback("a", "paid", "payin"));
        books.record(callback("a", "created", "payin"));
        assert_eq!(books.credits["a"], 1);
        assert_eq!(books.balance, 2500);
        assert_eq!(books.statuses["a"], OrderStatus::Paid);
        assert_eq!(books.received.len(), 4);
        assert_eq!(
            books.first_for("a").map(|r| r.change),
            Some(books.received[0].change)
        );
        assert!(books.received[1].change.should_apply());
        assert!(!books.received[2].change.should_apply());
        assert!(!books.received[3].change.should_apply());
    }

    #[test]
    fn a_paid_payout_credits_nothing() {
        let mut books = Books::default();
        books.record(callback("b", "paid", "payout"));
        assert_eq!(books.statuses["b"], OrderStatus::Paid);
        assert!(books.credits.is_empty());
        assert_eq!(books.balance, 0);
        assert!(books.first_for("c").is_none());
    }
}
