//! The SQLite backend (feature `sqlite`, on by default): bundled SQLite, no server.
//!
//! - **Durable:** WAL journal, `synchronous=FULL`: a commit is on disk when it returns.
//! - **Group commit:** one writer thread per store commits whatever is queued in one
//!   transaction (see `writer.rs`), so 64 concurrent callbacks cost a few fsyncs, not 64; a
//!   lone callback is committed at once.
//! - **Several processes on one host:** every transaction is `BEGIN IMMEDIATE` (it takes the
//!   write lock first, so two processes never both read an order and then both move it), and
//!   a busy timeout makes a writer wait for another process instead of failing. Not for a
//!   database on a network file system (SQLite's locks are not reliable there): use the
//!   PostgreSQL backend for receivers on several machines.
//!
//! ```
//! use kukuruku_ledger::{SqliteStore, Store, NewOrder, Update, Outcome, OrderKey};
//! use kukuruku_proto::{Amount, Currency, OrderNumber, OrderType};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = SqliteStore::open(dir.path().join("ledger.sqlite3"))?;
//! let number = OrderNumber::new("order-1")?;
//! store.record_order(&NewOrder::new(number.clone(), OrderType::Payin, Amount::new(50_000)?, Currency::Rub)).await?;
//!
//! let body = br#"{"uuid":"u-1","order_number":"order-1","status":"paid"}"#;
//! let recorded = store.record_update(Update::callback(body.to_vec().into(), 0)?).await?;
//! assert_eq!(recorded.outcome, Outcome::Advanced);
//! let order = store.order(OrderKey::Number(number)).await?.unwrap();
//! assert!(order.is_final());
//! assert_eq!(order.kukupay_id.unwrap().as_str(), "u-1"); // completed by its callback
//! # Ok(()) }
//! ```

mod audit;
mod events;
mod failure;
mod orders;
mod record;
mod rows;
mod schema;
mod stats;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use kukuruku_proto::{OrderId, OrderNumber, SharedTimeSource};
use rusqlite::Connection;

use crate::audit::AuditEntry;
use crate::error::Error;
use crate::event::{Completion, Event, EventId};
use crate::order::{NewOrder, OrderKey, OrderRecord};
use crate::outcome::Recorded;
use crate::store::{BoxFuture, Store};
use crate::update::Update;
pub use stats::{BATCH_SIZE_BUCKETS, WriterStats};
use writer::Writer;

/// The default busy timeout: how long a write waits for another process's lock.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How many prepared statements the writer's connection keeps: more than the ledger's own,
/// leaving room for the merchant's in [`SqliteStore::complete_with`].
const STATEMENT_CACHE: usize = 64;
/// The default largest batch of the group commit.
pub const DEFAULT_MAX_BATCH: usize = 256;

/// How to open a [`SqliteStore`]: [`SqliteStore::options`].
#[derive(Debug, Clone)]
#[must_use]
pub struct SqliteOptions {
    path: PathBuf,
    busy_timeout: Duration,
    max_batch: usize,
    time_source: SharedTimeSource,
}

impl SqliteOptions {
    /// How long a write waits for another process's write lock before failing with
    /// [`Error::Busy`] (default [`DEFAULT_BUSY_TIMEOUT`]).
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The most jobs committed in one transaction (default [`DEFAULT_MAX_BATCH`]; 1 turns
    /// group commit off).
    pub fn max_batch(mut self, max: usize) -> Self {
        self.max_batch = max.max(1);
        self
    }

    /// The clock every time written comes from (default: the system clock).
    pub fn time_source(mut self, source: SharedTimeSource) -> Self {
        self.time_source = source;
        self
    }

    /// Opens (creating it if needed) and migrates the database, and starts the writer
    /// thread. Blocks for the file's opening and migration (and up to the busy timeout if
    /// another process is migrating it).
    pub fn open(self) -> Result<SqliteStore, Error> {
        let mut conn = Connection::open(&self.path).map_err(|e| Error::Open(Arc::new(e)))?;
        conn.busy_timeout(self.busy_timeout)
            .map_err(|e| Error::Open(Arc::new(e)))?;
        // journal_mode answers with the mode in force: a read-only database stays in its mode.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(failure::classify)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "ledger: the database is not in WAL mode");
        }
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
        )
        .map_err(failure::classify)?;
        schema::migrate(&mut conn)?;
        // Every statement the ledger runs, parsed once (rusqlite keeps 16 by default).
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(SqliteStore {
            writer: Writer::spawn(conn, self.max_batch)?,
            clock: self.time_source,
            path: Arc::from(self.path),
        })
    }
}

/// The SQLite ledger. Cheap to clone (all clones share one writer thread); the thread stops
/// when the last clone is dropped.
#[derive(Clone)]
pub struct SqliteStore {
    writer: Writer,
    clock: SharedTimeSource,
    path: Arc<Path>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// The settings for the database at `path`, to change before [`SqliteOptions::open`].
    pub fn options(path: impl Into<PathBuf>) -> SqliteOptions {
        SqliteOptions {
            path: path.into(),
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            max_batch: DEFAULT_MAX_BATCH,
            time_source: kukuruku_tower::SystemClock::shared(),
        }
    }

    /// Opens the database at `path` with the default settings.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, Error> {
        Self::options(path).open()
    }

    /// The database's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the group commit did since the store opened (shared by its clones): batches,
    /// their sizes, and the writer thread's time running jobs and committing.
    pub fn writer_stats(&self) -> WriterStats {
        self.writer.stats()
    }

    /// Completes `event` and runs `apply` **in the same transaction**: the pattern for a
    /// merchant whose balances live in this database. Either both are durable or neither.
    ///
    /// `apply` runs on the writer thread, inside a savepoint of the ledger's transaction: it
    /// must not `BEGIN`, `COMMIT` or `ROLLBACK`, and should be quick (the batch waits for it).
    /// Returns `Ok(None)` without running `apply` when the event was done already (by another
    /// worker whose lease had expired, say): the effect happens exactly once. An error from
    /// `apply` rolls back its changes and leaves the event to be claimed again.
    ///
    /// ```
    /// # use kukuruku_ledger::{SqliteStore, Store, Update};
    /// # use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// let store = SqliteStore::open(dir.path().join("ledger.sqlite3"))?;
    /// store.with_transaction(|db| db.execute_batch(
    ///     "CREATE TABLE IF NOT EXISTS balances (user TEXT PRIMARY KEY, minor_units INTEGER NOT NULL)",
    /// )).await?;
    /// # let body = br#"{"uuid":"u-1","status":"paid","type":"payin","amount":500}"#;
    /// # store.record_update(Update::callback(body.to_vec().into(), 0)?).await?;
    /// for event in store.claim("worker-1", 16, Duration::from_secs(30)).await? {
    ///     let amount = event.amount.map_or(0, |a| a.minor_units() as i64);
    ///     let credit = event.is_paid_payin();
    ///     store.complete_with(event.id, move |db| {
    ///         if credit {
    ///             db.execute(
    ///                 "INSERT INTO balances VALUES ('alice', ?1)
    ///                  ON CONFLICT (user) DO UPDATE SET minor_units = minor_units + ?1",
    ///                 [amount],
    ///             )?;
    ///         }
    ///         Ok::<_, kukuruku_ledger::rusqlite::Error>(())
    ///     }).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn complete_with<T, E, F>(&self, event: EventId, apply: F) -> Result<Option<T>, Error>
    where
        T: Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let now = self.clock.now();
        self.writer
            .run(move |conn| {
                match events::complete(conn, event, now)? {
                    Completion::AlreadyDone => return Ok(None),
                    Completion::Completed => {}
                }
                apply(conn).map(Some).map_err(Error::closure)
            })
            .await
    }

    /// Runs `work` inside the ledger's transaction (on the writer thread, in a savepoint):
    /// for the merchant's own tables in this database (create them, read balances). Same
    /// rules as [`SqliteStore::complete_with`].
    pub async fn with_transaction<T, E, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        self.writer
            .run(move |conn| work(conn).map_err(Error::closure))
            .await
    }
}

impl Store for SqliteStore {
    fn record_order<'a>(&'a self, order: &'a NewOrder) -> BoxFuture<'a, Result<(), Error>> {
        let order = order.clone();
        let now = self.clock.now();
        Box::pin(
            self.writer
                .run(move |conn| orders::record(conn, &order, now)),
        )
    }

    fn attach_id<'a>(
        &'a self,
        order_number: &'a OrderNumber,
        id: &'a OrderId,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let (number, id) = (order_number.clone(), id.clone());
        let now = self.clock.now();
        Box::pin(
            self.writer
                .run(move |conn| orders::attach_id(conn, &number, &id, now)),
        )
    }

    fn record_update(&self, update: Update) -> BoxFuture<'_, Result<Recorded, Error>> {
        let now = self.clock.now();
        Box::pin(
            self.writer
                .run(move |conn| record::record_update(conn, &update, now)),
        )
    }

    fn order(&self, key: OrderKey) -> BoxFuture<'_, Result<Option<OrderRecord>, Error>> {
        Box::pin(
            self.writer.run(move |conn| {
                orders::find(conn, &key).map(|found| found.map(|(_, record)| record))
            }),
        )
    }

    fn audit<'a>(&'a self, id: &'a OrderId) -> BoxFuture<'a, Result<Vec<AuditEntry>, Error>> {
        let id = id.clone();
        Box::pin(self.writer.run(move |conn| audit::audit_of(conn, &id)))
    }

    fn due_for_check(
        &self,
        min_age: Duration,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<OrderRecord>, Error>> {
        let now = self.clock.now();
        Box::pin(
            self.writer
                .run(move |conn| orders::due_for_check(conn, now, min_age, limit)),
        )
    }

    fn schedule_check<'a>(
        &'a self,
        id: &'a OrderId,
        next_check_at: SystemTime,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let id = id.clone();
        Box::pin(
            self.writer
                .run(move |conn| orders::schedule_check(conn, &id, next_check_at)),
        )
    }

    fn claim<'a>(
        &'a self,
        worker: &'a str,
        max: usize,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Event>, Error>> {
        let worker = worker.to_owned();
        let now = self.clock.now();
        Box::pin(
            self.writer
                .run(move |conn| events::claim(conn, &worker, max, lease, now)),
        )
    }

    fn complete(&self, event: EventId) -> BoxFuture<'_, Result<Completion, Error>> {
        let now = self.clock.now();
        Box::pin(
            self.writer
                .run(move |conn| events::complete(conn, event, now)),
        )
    }

    fn now(&self) -> SystemTime {
        self.clock.now()
    }
}
