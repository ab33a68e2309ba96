//! The merchant's durable record of its Kukuruku orders: every paid order credited exactly
//! once, and none lost.
//!
//! (Crate docs are completed below.)
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod audit;
mod client;
mod error;
mod event;
mod order;
mod outcome;
mod reconciler;
mod route;
mod server;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
mod timestamp;
mod update;

pub use audit::AuditEntry;
pub use client::LedgerClient;
pub use error::{Cause, Error};
pub use event::{Completion, Event, EventId};
pub use order::{NewOrder, OrderKey, OrderRecord};
pub use outcome::{Outcome, Recorded};
pub use reconciler::{Pass, Reconciler, StatusSource};
pub use route::{NOT_RECORDED_BODY, UNKNOWN_STATUS_BODY, callback_route, callback_route_with};
pub use server::{DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, Server};
pub use store::{BoxFuture, Store};
pub use update::{Source, Update};

/// rusqlite, re-exported (feature `sqlite`): the connection type of
/// [`SqliteStore::complete_with`] and [`SqliteStore::with_transaction`].
#[cfg(feature = "sqlite")]
pub use rusqlite;
#[cfg(feature = "sqlite")]
pub use sqlite::{DEFAULT_BUSY_TIMEOUT, DEFAULT_MAX_BATCH, SqliteOptions, SqliteStore};
