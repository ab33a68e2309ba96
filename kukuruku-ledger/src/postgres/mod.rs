//! The PostgreSQL backend (feature `postgres`): several receivers on several machines sharing
//! one database.
//!
//! - **Durable:** every connection runs with `synchronous_commit=on`: a commit is on disk (and
//!   on the synchronous standbys the server is configured with) when it returns.
//! - **Never twice:** an update locks its order's row (`SELECT … FOR UPDATE`) for its
//!   transaction, so concurrent updates of one order, from any instance, take turns; an order
//!   made known by two instances at once is inserted once (`ON CONFLICT DO NOTHING`, then
//!   locked). Workers claim events with `FOR UPDATE SKIP LOCKED`: two never take the same one,
//!   and neither waits for the other. Completing is a conditional update.
//! - **Retries:** a deadlock or a serialization failure (SQLSTATE 40P01, 40001) runs the
//!   transaction again, up to five times, then is [`Error::Busy`].
//! - **Group commit:** updates queued together are recorded in one transaction by a few writer
//!   tasks per store (`batch.rs`), one WAL flush for many callbacks.
//! - **Migrations** run on connect under an advisory lock (`schema.rs`).

mod audit;
mod batch;
mod events;
mod failure;
mod orders;
mod pool;
mod record;
mod retry;
mod rows;
mod schema;
mod store;

pub use pool::Connector;
pub use store::{
    DEFAULT_MAX_BATCH, DEFAULT_POOL_SIZE, DEFAULT_WRITERS, PostgresOptions, PostgresStore,
};
