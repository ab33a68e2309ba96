//! An example merchant for demos and tests: the callback receiver a merchant writes, on
//! loopback, built on `kukuruku-ledger`.
//!
//! `POST /kukuruku/callback` is the ledger's [`callback_route`]: the signature checked over the
//! raw bytes (`VerifySignatureLayer`, 64 KiB at most), then the update recorded durably in a
//! SQLite ledger (a file in a temporary folder, or one given) **before** the 200 leaves: the
//! audit row, the forward-only status move (PROTOCOL 1.4) and its event, in one transaction.
//! A worker consumes the ledger's events exactly once ([`SqliteStore::complete_with`]: the
//! merchant's `credits` row and the event's completion in one transaction), so a paid payin is
//! credited once whatever is delivered twice, late, or recovered by the reconciler
//! ([`ExampleMerchant::reconcile`]).
//!
//! Around the route, the merchant can misbehave on purpose, to show the sandbox's retries:
//! [`Failure`] (500 before the route runs, or after it committed) and
//! [`ExampleMerchant::set_closed`] (down for a while). [`Books`] is an in-memory view of what the
//! ledger recorded and the worker credited, for the demo and the tests to read.
//!
//! `kukuruku demo` and the end-to-end tests share this one copy.
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

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, StatusCode};
use kukuruku_ledger::rusqlite::{self, params};
use kukuruku_ledger::{
    Error as LedgerError, Event, Outcome, Pass, Reconciler, Source, SqliteStore, StatusSource,
    Store, callback_route,
};
use kukuruku_proto::{Amount, Callback, OrderId, OrderStatus, StatusChange, parse_callback};
use kukuruku_sign::Verifier;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// The path the example merchant receives callbacks on.
const CALLBACK_PATH: &str = "/kukuruku/callback";

/// The answer to a delivery the merchant fails on purpose (PROTOCOL D6's error shape).
const TRY_AGAIN: &[u8] = br#"{"success":false,"err":"try again"}"#;

/// The most of a callback body the merchant reads (the verify layer's limit).
const BODY_LIMIT: usize = 64 * 1024;

/// How long the worker holds the events it claimed (another worker, or this one after a
/// restart, takes them over when it ends).
const LEASE: Duration = Duration::from_secs(5);

/// The merchant's own tables, beside the ledger's in the same file: what the worker applied.
const MERCHANT_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS consumed (
    event_id INTEGER NOT NULL, kukupay_id TEXT NOT NULL, to_status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS credits (
    event_id INTEGER NOT NULL, kukupay_id TEXT NOT NULL, minor_units INTEGER NOT NULL);";

/// How the example merchant misbehaves on its first deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Answers every delivery properly.
    None,
    /// Answers 500 to the first `n` deliveries before the ledger's route sees them (a crash
    /// before the database write).
    BeforeRecording(u32),
    /// Lets the ledger's route record the first `n` deliveries, then answers 500 (the
    /// acknowledgement is lost).
    AfterRecording(u32),
}

/// What the example merchant knows: a view of its ledger and of its worker's credits.
#[derive(Debug, Default)]
pub struct Books {
    /// Each order's status (by KukuPay id), as of the ledger's events the worker applied.
    pub statuses: HashMap<String, OrderStatus>,
    /// How many times the worker credited each payin (must never exceed 1).
    pub credits: HashMap<String, u32>,
    /// The balance credited, in minor units.
    pub balance: u64,
    /// Every update the ledger recorded (its audit log), in the order this view saw them.
    pub received: Vec<Received>,
    /// How many deliveries reached the merchant, recorded or not.
    pub deliveries: u32,
    seen: HashSet<i64>,
}

/// One update the ledger recorded.
#[derive(Debug, Clone)]
pub struct Received {
    /// The callback (or the reconciler's answer), as verified.
    pub callback: Callback,
    /// What it meant for the order when it arrived (the audit log's outcome).
    pub outcome: Outcome,
    /// A callback, or the reconciler's status call.
    pub source: Source,
    /// When this view saw it.
    pub at: Instant,
}

impl Received {
    /// The outcome as PROTOCOL 1.4 names it.
    pub fn change(&self) -> StatusChange {
        match self.outcome {
            Outcome::Advanced => StatusChange::Advance,
            Outcome::Repeat => StatusChange::Repeat,
            Outcome::Stale => StatusChange::Stale,
            Outcome::Conflict | Outcome::Mismatch => StatusChange::Conflict,
            _ => StatusChange::Unrecognised,
        }
    }
}

impl Books {
    /// The first update recorded for the order `id`.
    pub fn first_for(&self, id: &str) -> Option<&Received> {
        self.received
            .iter()
            .find(|received| received.callback.id.as_str() == id)
    }
}

struct Shared {
    store: SqliteStore,
    ledger: Arc<dyn Store>,
    verifier: Verifier,
    failure: Failure,
    /// While set, every delivery is answered 500 before the route (the merchant is down).
    closed: AtomicBool,
    books: Mutex<Books>,
    changed: Notify,
    /// One drain of the events at a time in this merchant.
    worker: tokio::sync::Mutex<()>,
    worker_name: String,
    _dir: Option<TempDir>,
}

/// The example merchant: its ledger, its worker, its books, and its callback route served on
/// loopback. Clones share all of them.
#[derive(Clone)]
pub struct ExampleMerchant {
    url: String,
    shared: Arc<Shared>,
}

impl fmt::Debug for ExampleMerchant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExampleMerchant")
            .field("url", &self.url)
            .field("ledger", &self.shared.store)
            .field("failure", &self.shared.failure)
            .finish_non_exhaustive()
    }
}

static INSTANCES: AtomicU64 = AtomicU64::new(0);

impl ExampleMerchant {
    /// Starts the merchant on 127.0.0.1 (any free port), checking callbacks with `verifier`,
    /// its ledger in a temporary folder (removed when the last clone is dropped). The server
    /// and the worker run as long as the async runtime does.
    pub async fn start(verifier: Verifier, failure: Failure) -> io::Result<Self> {
        let (merchant, listener) = Self::bind(verifier, failure).await?;
        merchant.serve(listener);
        Ok(merchant)
    }

    /// The merchant and a listener on 127.0.0.1 (any free port), not served yet: serve
    /// [`ExampleMerchant::router`], merged with routes of your own, on it. The worker runs.
    pub async fn bind(verifier: Verifier, failure: Failure) -> io::Result<(Self, TcpListener)> {
        Self::bind_with(verifier, failure, None).await
    }

    /// [`ExampleMerchant::bind`] with the ledger `ledger` (a [`SqliteStore`] the caller opened:
    /// several merchants may share one, as several receivers of one process would; or open the
    /// same file, as several processes would), or a new one in a temporary folder when `None`.
    pub async fn bind_with(
        verifier: Verifier,
        failure: Failure,
        ledger: Option<SqliteStore>,
    ) -> io::Result<(Self, TcpListener)> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let (dir, store) = if let Some(store) = ledger {
            (None, store)
        } else {
            let dir = tempfile::Builder::new()
                .prefix("kukuruku-merchant")
                .tempdir()?;
            let store =
                SqliteStore::open(dir.path().join("ledger.sqlite3")).map_err(io::Error::other)?;
            (Some(dir), store)
        };
        store
            .with_transaction(|db| db.execute_batch(MERCHANT_SCHEMA))
            .await
            .map_err(io::Error::other)?;
        let instance = INSTANCES.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::new(Shared {
            ledger: Arc::new(store.clone()),
            store,
            verifier,
            failure,
            closed: AtomicBool::new(false),
            books: Mutex::new(Books::default()),
            changed: Notify::new(),
            worker: tokio::sync::Mutex::new(()),
            worker_name: format!("example-merchant-{}-{instance}", std::process::id()),
            _dir: dir,
        });
        tokio::spawn(run_worker(Arc::downgrade(&shared)));
        Ok((Self { url, shared }, listener))
    }

    /// Serves [`ExampleMerchant::router`] on `listener` with the ledger's [`kukuruku_ledger::Server`].
    pub fn serve(&self, listener: TcpListener) {
        let app = self.router();
        tokio::spawn(async move {
            let _ = kukuruku_ledger::Server::new().serve(listener, app).await;
        });
    }

    /// The callback route, `POST /kukuruku/callback`: the ledger's [`callback_route`] behind the
    /// merchant's failures on purpose.
    pub fn router(&self) -> Router {
        let shared = &self.shared;
        Router::new()
            .route(
                CALLBACK_PATH,
                callback_route(Arc::clone(&shared.ledger), shared.verifier.clone()),
            )
            .route_layer(middleware::from_fn_with_state(
                Arc::clone(shared),
                around_route,
            ))
    }

    /// The merchant's root URL (`http://127.0.0.1:{port}`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The callback URL to give the sandbox.
    pub fn callback_url(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.url)
    }

    /// The ledger (for `LedgerClient`, a reconciler, or reading what was recorded).
    pub fn ledger(&self) -> Arc<dyn Store> {
        Arc::clone(&self.shared.ledger)
    }

    /// The ledger's SQLite backend (its file also holds the merchant's `consumed` and
    /// `credits` tables: one row per event applied, one per credit).
    pub fn store(&self) -> &SqliteStore {
        &self.shared.store
    }

    /// Closes (`true`) or reopens the merchant: while closed, deliveries are answered 500
    /// before the route sees them, so the sandbox retries them.
    pub fn set_closed(&self, closed: bool) {
        self.shared.closed.store(closed, Ordering::SeqCst);
    }

    /// One pass of the ledger's [`Reconciler`] over every unfinished order (no minimum age),
    /// asking `source` (the payments client), then the worker's drain of the events it added.
    pub async fn reconcile(&self, source: impl StatusSource) -> Result<Pass, LedgerError> {
        let pass = Reconciler::new(self.ledger(), source)
            .min_age(Duration::ZERO)
            .backoff(Duration::from_millis(10), Duration::from_secs(1))
            .run_once()
            .await?;
        self.shared.drain().await?;
        Ok(pass)
    }

    /// Applies every event the ledger holds now (the worker also does, on its own).
    pub async fn drain(&self) -> Result<usize, LedgerError> {
        self.shared.drain().await
    }

    /// Reads the books.
    pub fn books<T>(&self, read: impl FnOnce(&Books) -> T) -> T {
        read(&self.shared.books())
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

impl Shared {
    fn books(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims and applies events until none is left.
    async fn drain(self: &Arc<Self>) -> Result<usize, LedgerError> {
        let mut applied = 0;
        loop {
            match self.drain_round().await? {
                0 => return Ok(applied),
                n => applied += n,
            }
        }
    }

    /// Claims up to 64 events and applies them together, so the ledger commits them in one
    /// group (one fsync, not one each). One round at a time in this merchant: once a round
    /// begins, the events an earlier round claimed are applied.
    async fn drain_round(self: &Arc<Self>) -> Result<usize, LedgerError> {
        let _one_at_a_time = self.worker.lock().await;
        let events = self.ledger.claim(&self.worker_name, 64, LEASE).await?;
        let mut batch = tokio::task::JoinSet::new();
        for event in events {
            let shared = Arc::clone(self);
            batch.spawn(async move { shared.apply(event).await });
        }
        let mut applied = 0;
        while let Some(done) = batch.join_next().await {
            done.map_err(|join| LedgerError::Closure(Arc::new(join)))??;
            applied += 1;
        }
        Ok(applied)
    }

    /// Applies one event: the `consumed` row, the credit of a paid payin, and the event's
    /// completion, in one transaction; then the books.
    async fn apply(&self, event: Event) -> Result<(), LedgerError> {
        let credit = event
            .is_paid_payin()
            .then(|| event.amount.map_or(0, Amount::minor_units));
        let id = event.kukupay_id.clone();
        let (row, key, to) = (
            event.id.0,
            id.as_str().to_owned(),
            event.to.as_str().to_owned(),
        );
        let done = self
            .store
            .complete_with(event.id, move |db| {
                db.execute(
                    "INSERT INTO consumed (event_id, kukupay_id, to_status) VALUES (?1, ?2, ?3)",
                    params![row, key, to],
                )?;
                if let Some(units) = credit {
                    let units = i64::try_from(units).unwrap_or(i64::MAX);
                    db.execute(
                        "INSERT INTO credits (event_id, kukupay_id, minor_units) VALUES (?1, ?2, ?3)",
                        params![row, key, units],
                    )?;
                }
                Ok::<_, rusqlite::Error>(())
            })
            .await?;
        {
            // The books follow the events applied: a status shows once its credit is counted.
            let mut books = self.books();
            if let (Some(()), Some(units)) = (done, credit) {
                *books.credits.entry(id.as_str().to_owned()).or_default() += 1;
                books.balance += units;
            }
            let key = id.as_str().to_owned();
            if OrderStatus::apply(books.statuses.get(&key), &event.to).should_apply() {
                books.statuses.insert(key, event.to);
            }
        }
        self.refresh(&id).await
    }

    /// Brings the books' list of updates received for order `id` up to date with the ledger's
    /// audit log.
    async fn refresh(&self, id: &OrderId) -> Result<(), LedgerError> {
        let audit = self.ledger.audit(id).await?;
        {
            let mut books = self.books();
            for entry in audit {
                if !books.seen.insert(entry.id) {
                    continue;
                }
                if let Ok(callback) = parse_callback(&entry.body) {
                    books.received.push(Received {
                        callback,
                        outcome: entry.outcome,
                        source: entry.source,
                        at: Instant::now(),
                    });
                }
            }
        }
        self.changed.notify_waiters();
        Ok(())
    }
}

/// The worker: drains the events every 50 ms (the route also drains after each delivery),
/// until the merchant is dropped.
async fn run_worker(shared: std::sync::Weak<Shared>) {
    loop {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if let Err(error) = shared.drain().await {
            tracing::warn!(
                error = &error as &dyn std::error::Error,
                "example merchant: applying events failed; trying again"
            );
        }
        drop(shared);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Around the ledger's route: counts the delivery, fails on purpose before or after the route,
/// and, once the route answered, runs a round of the worker and updates the books before
/// answering (so that they are current when the sandbox sees the answer).
async fn around_route(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let delivery = {
        let mut books = shared.books();
        books.deliveries += 1;
        books.deliveries
    };
    shared.changed.notify_waiters();
    let (fail_before, fail_after) = match shared.failure {
        _ if shared.closed.load(Ordering::SeqCst) => (true, false),
        Failure::None => (false, false),
        Failure::BeforeRecording(n) => (delivery <= n, false),
        Failure::AfterRecording(n) => (false, delivery <= n),
    };
    if fail_before {
        return try_again();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT + 1).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let order = parse_callback(&bytes).ok().map(|order| order.id);
    let answer = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let recorded =
        answer.status().is_success() || answer.status() == StatusCode::UNPROCESSABLE_ENTITY;
    if let (true, Some(id)) = (recorded, order) {
        let caught_up = async {
            shared.drain_round().await?;
            shared.refresh(&id).await
        };
        if let Err(error) = caught_up.await {
            tracing::warn!(
                error = &error as &dyn std::error::Error,
                "example merchant: the books are behind the ledger; the worker catches up"
            );
        }
    }
    if fail_after { try_again() } else { answer }
}

fn try_again() -> Response {
    let mut response = (
        StatusCode::INTERNAL_SERVER_ERROR,
        Bytes::from_static(TRY_AGAIN),
    )
        .into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
