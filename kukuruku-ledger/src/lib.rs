//! The merchant's durable record of its Kukuruku orders: every paid order credited exactly
//! once, and none lost, on one machine (SQLite) or many (PostgreSQL, feature `postgres`).
//!
//! | piece | what it does |
//! |---|---|
//! | [`callback_route`] | the callback route: [`VerifySignatureLayer`](kukuruku_tower::VerifySignatureLayer), then [`Store::record_update`], then the D2 answer (200 only once durable; 422 for an unknown status; 503 when the database fails) |
//! | [`Store`] | the storage trait: orders, the append-only audit log of every update (raw bytes, matched key, source, outcome), the outbox of events; one transaction per update |
//! | [`SqliteStore`] | the embedded backend: WAL, `synchronous=FULL`, group commit by one writer thread, safe with several processes on one host |
//! | `PostgresStore` | (feature `postgres`) the server backend: several receivers on several machines sharing one database; row locks, `FOR UPDATE SKIP LOCKED` claims, group commit |
//! | [`LedgerClient`] | the payments client that records each order **before** sending it, then completes it with KukuPay's id |
//! | [`Reconciler`] | asks Kukuruku about orders left unfinished (with back-off per order) and records the answers through the same path as callbacks |
//! | [`Server`] | serves the route with a header-read timeout and a connection cap |
//!
//! # Exactly once
//!
//! Each forward status move (PROTOCOL 1.4, [`OrderStatus::apply`](kukuruku_proto::OrderStatus::apply))
//! adds one [`Event`], in the same transaction as the audit row and the order's new status;
//! repeats and late deliveries are recorded as [`Outcome::Repeat`] and [`Outcome::Stale`]
//! and add nothing. The merchant's code consumes events with
//! [`Store::claim`] (a lease; two workers never hold one event at once, and an event whose
//! worker died is claimable again when the lease ends) and [`Store::complete`]:
//!
//! - **balances in the ledger's database**: [`SqliteStore::complete_with`] (and
//!   `PostgresStore::complete_with`) runs the merchant's code and completes the event in
//!   **one** transaction: both or neither;
//! - **balances elsewhere**: apply the effect idempotently, keyed by [`Event::id`] (a unique
//!   column in the merchant's table, an idempotency key of their API), then
//!   [`Store::complete`]. A crash between the two re-delivers the event; the key absorbs it.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use kukuruku_ledger::{SqliteStore, Store, Update};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("ledger.sqlite3"))?);
//! # let body = br#"{"uuid":"u-1","order_number":"o-1","status":"paid","type":"payin","amount":500}"#;
//! # store.record_update(Update::callback(body.to_vec().into(), 0)?).await?;
//! // A worker: claim, apply, complete.
//! for event in store.claim("worker-1", 32, Duration::from_secs(60)).await? {
//!     if event.is_paid_payin() {
//!         // credit the user, idempotently by `event.id`
//!     }
//!     store.complete(event.id).await?;
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod audit;
mod client;
mod columns;
mod error;
mod event;
mod order;
mod outcome;
#[cfg(feature = "postgres")]
mod postgres;
mod reconciler;
mod route;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
mod timestamp;
mod update;

// The storage contract and what it records.
pub use audit::AuditEntry;
pub use error::{Cause, Error};
pub use event::{Completion, Event, EventId};
pub use order::{NewOrder, OrderKey, OrderRecord};
pub use outcome::{Outcome, Recorded};
pub use store::{BoxFuture, Store};
pub use update::{Source, Update};

// Receiving callbacks.
/// The server with a header-read timeout and a connection cap, from `kukuruku-tower` (feature
/// `server`), re-exported: the callback route is meant to be served by it.
pub use kukuruku_tower::{DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, Server};
pub use route::{NOT_RECORDED_BODY, UNKNOWN_STATUS_BODY, callback_route, callback_route_with};

// Creating orders, and asking about the unfinished ones.
pub use client::LedgerClient;
pub use reconciler::{DEFAULT_RECONCILER_CONCURRENCY, Pass, Reconciler, StatusSource};

// The SQLite backend (feature `sqlite`, default).
/// rusqlite, re-exported (feature `sqlite`): the connection type of
/// [`SqliteStore::complete_with`] and [`SqliteStore::with_transaction`].
#[cfg(feature = "sqlite")]
pub use rusqlite;
#[cfg(feature = "sqlite")]
pub use sqlite::{
    BATCH_SIZE_BUCKETS, DEFAULT_BUSY_TIMEOUT, DEFAULT_MAX_BATCH, SqliteOptions, SqliteStore,
    WriterStats,
};

// The PostgreSQL backend (feature `postgres`).
#[cfg(feature = "postgres")]
pub use postgres::{
    Connector, DEFAULT_MAX_BATCH as DEFAULT_POSTGRES_MAX_BATCH, DEFAULT_POOL_SIZE, DEFAULT_WRITERS,
    PostgresOptions, PostgresStore,
};
/// tokio-postgres, re-exported (feature `postgres`): the transaction type of
/// [`PostgresStore::complete_with`], and its `Config` and `Client` for a [`Connector`].
#[cfg(feature = "postgres")]
pub use tokio_postgres;

/// The README's examples, compiled as doc tests.
#[cfg(all(doctest, feature = "sqlite"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
