//! [`PostgresStore`]: the pool, the writer tasks, the [`Store`] implementation and the
//! merchant's code in the ledger's transaction.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use kukuruku_proto::{OrderId, OrderNumber, SharedTimeSource};
use tokio_postgres::{Config, Transaction};

use super::batch::Batcher;
use super::pool::{Connector, Pool, Tx, no_tls};
use super::retry::{backoff, should_retry};
use super::{audit, events, orders, schema};
use crate::audit::AuditEntry;
use crate::error::Error;
use crate::event::{Completion, Event, EventId};
use crate::order::{NewOrder, OrderKey, OrderRecord};
use crate::outcome::Recorded;
use crate::store::{BoxFuture, Store};
use crate::timestamp::to_millis;
use crate::update::Update;

/// The default number of connections of one store.
pub const DEFAULT_POOL_SIZE: usize = 8;
/// The default number of writer tasks of one store (each uses a pooled connection while it
/// commits a batch).
pub const DEFAULT_WRITERS: usize = 2;
/// The default largest batch of the group commit.
pub const DEFAULT_MAX_BATCH: usize = 64;

/// How to connect a [`PostgresStore`]: [`PostgresStore::options`].
#[must_use]
pub struct PostgresOptions {
    url: String,
    pool_size: usize,
    writers: usize,
    max_batch: usize,
    time_source: SharedTimeSource,
    connector: Connector,
}

impl fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: not printed.
        f.debug_struct("PostgresOptions")
            .field("pool_size", &self.pool_size)
            .field("writers", &self.writers)
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}

impl PostgresOptions {
    /// How many connections the store keeps at most (default [`DEFAULT_POOL_SIZE`]).
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How many writer tasks commit batches of updates concurrently (default
    /// [`DEFAULT_WRITERS`]; at most the pool size).
    pub fn writers(mut self, writers: usize) -> Self {
        self.writers = writers.max(1);
        self
    }

    /// The most updates committed in one transaction (default [`DEFAULT_MAX_BATCH`]; 1
    /// turns group commit off: one transaction per callback).
    pub fn max_batch(mut self, max: usize) -> Self {
        self.max_batch = max.max(1);
        self
    }

    /// The clock every time written comes from (default: the system clock).
    pub fn time_source(mut self, source: SharedTimeSource) -> Self {
        self.time_source = source;
        self
    }

    /// How each connection is opened: the place for TLS. The default is
    /// `config.connect(NoTls)` with the connection driven by a spawned task; see
    /// "PostgreSQL over TLS" in the crate README for a rustls connector.
    pub fn connector(mut self, connector: Connector) -> Self {
        self.connector = connector;
        self
    }

    /// Connects, brings the schema up to date (under an advisory lock: several instances may
    /// start at once) and starts the writer tasks (on the current tokio runtime).
    pub async fn connect(self) -> Result<PostgresStore, Error> {
        let config: Config = self.url.parse().map_err(|e| Error::Open(Arc::new(e)))?;
        let pool = Pool::new(config, self.connector, self.pool_size);
        let mut client = pool.open().await.map_err(|error| match error {
            Error::Database(cause) | Error::Busy(cause) => Error::Open(cause),
            other => other,
        })?;
        schema::migrate(&mut client).await?;
        drop(client);
        let batcher = Batcher::spawn(&pool, self.writers.min(self.pool_size), self.max_batch);
        Ok(PostgresStore {
            inner: Arc::new(Inner {
                pool,
                batcher,
                clock: self.time_source,
            }),
        })
    }
}

/// The PostgreSQL ledger. Cheap to clone (clones share the pool and the writers); the writer
/// tasks stop when the last clone is dropped.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Arc<Pool>,
    batcher: Batcher,
    clock: SharedTimeSource,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("pool", &self.inner.pool)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// The settings for the database at `url` (`postgresql://user:password@host:port/db`,
    /// or libpq's `host=… user=…` form), to change before [`PostgresOptions::connect`].
    pub fn options(url: impl Into<String>) -> PostgresOptions {
        PostgresOptions {
            url: url.into(),
            pool_size: DEFAULT_POOL_SIZE,
            writers: DEFAULT_WRITERS,
            max_batch: DEFAULT_MAX_BATCH,
            time_source: kukuruku_tower::SystemClock::shared(),
            connector: no_tls(),
        }
    }

    /// Connects to the database at `url` with the default settings (no TLS).
    pub async fn connect(url: impl Into<String>) -> Result<Self, Error> {
        Self::options(url).connect().await
    }

    /// Runs `work` in its own transaction, tried again after a deadlock or a serialization
    /// failure.
    async fn transaction<T, W>(&self, work: W) -> Result<T, Error>
    where
        W: for<'t, 'c> Fn(&'t Tx<'c>) -> BoxFuture<'t, Result<T, Error>>,
    {
        let mut attempt = 1;
        loop {
            let result = async {
                let mut conn = self.inner.pool.get().await?;
                let tx = conn.begin().await?;
                let value = work(&tx).await?;
                tx.commit().await?;
                Ok(value)
            }
            .await;
            match result {
                Err(error) if should_retry(&error) && backoff(&mut attempt).await => {}
                other => return other,
            }
        }
    }

    /// Completes `event` and runs `apply` **in the same transaction**: the pattern for a
    /// merchant whose balances live in this database. Either both are durable or neither.
    ///
    /// `apply` gets the ledger's [`Transaction`] (it must not commit or roll it back) and
    /// returns a boxed future. Returns `Ok(None)` without running `apply` when the event was
    /// done already (by another worker, on any instance: the event's row is locked until this
    /// transaction ends, so the effect happens exactly once). An error from `apply` rolls
    /// everything back and leaves the event to be claimed again. Not tried again after a
    /// deadlock (`apply` runs once): the error is returned, and the event stays claimable.
    ///
    /// ```no_run
    /// # use kukuruku_ledger::{PostgresStore, Store};
    /// # use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = PostgresStore::connect("postgresql://ledger@localhost/shop").await?;
    /// for event in store.claim("worker-1", 16, Duration::from_secs(30)).await? {
    ///     let amount = event.amount.map_or(0, |a| a.minor_units() as i64);
    ///     let credit = event.is_paid_payin();
    ///     store.complete_with(event.id, move |tx| Box::pin(async move {
    ///         if credit {
    ///             tx.execute(
    ///                 "INSERT INTO balances (owner, minor_units) VALUES ('alice', $1)
    ///                  ON CONFLICT (owner) DO UPDATE SET minor_units = balances.minor_units + $1",
    ///                 &[&amount],
    ///             ).await?;
    ///         }
    ///         Ok::<_, kukuruku_ledger::tokio_postgres::Error>(())
    ///     })).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn complete_with<T, E, F>(&self, event: EventId, apply: F) -> Result<Option<T>, Error>
    where
        T: Send,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: for<'t> FnOnce(&'t Transaction<'t>) -> BoxFuture<'t, Result<T, E>> + Send,
    {
        let now = self.inner.clock.now();
        let mut conn = self.inner.pool.get().await?;
        let tx = conn.begin().await?;
        match events::complete(&tx, event, now).await? {
            Completion::AlreadyDone => return Ok(None),
            Completion::Completed => {}
        }
        let value = apply(tx.transaction()).await.map_err(Error::closure)?;
        tx.commit().await?;
        Ok(Some(value))
    }

    /// Runs `work` in a transaction of the ledger's pool, committed when it succeeds: for the
    /// merchant's own tables in this database (create them, read balances).
    pub async fn with_transaction<T, E, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: for<'t> FnOnce(&'t Transaction<'t>) -> BoxFuture<'t, Result<T, E>> + Send,
    {
        let mut conn = self.inner.pool.get().await?;
        let tx = conn.begin().await?;
        let value = work(tx.transaction()).await.map_err(Error::closure)?;
        tx.commit().await?;
        Ok(value)
    }
}

impl Store for PostgresStore {
    fn record_order<'a>(&'a self, order: &'a NewOrder) -> BoxFuture<'a, Result<(), Error>> {
        let now = self.now();
        Box::pin(self.transaction(move |tx| {
            let order = order.clone();
            Box::pin(async move { orders::record(tx, &order, now).await })
        }))
    }

    fn attach_id<'a>(
        &'a self,
        order_number: &'a OrderNumber,
        id: &'a OrderId,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let now = self.now();
        Box::pin(self.transaction(move |tx| {
            let (number, id) = (order_number.clone(), id.clone());
            Box::pin(async move { orders::attach_id(tx, &number, &id, now).await })
        }))
    }

    fn record_update(&self, update: Update) -> BoxFuture<'_, Result<Recorded, Error>> {
        let now = to_millis(self.now());
        Box::pin(self.inner.batcher.record(update, now))
    }

    fn order(&self, key: OrderKey) -> BoxFuture<'_, Result<Option<OrderRecord>, Error>> {
        Box::pin(async move {
            let found = self
                .transaction(|tx| {
                    let key = key.clone();
                    Box::pin(async move { orders::find(tx, &key).await })
                })
                .await?;
            Ok(found.map(|(_, record)| record))
        })
    }

    fn audit<'a>(&'a self, id: &'a OrderId) -> BoxFuture<'a, Result<Vec<AuditEntry>, Error>> {
        Box::pin(self.transaction(move |tx| {
            let id = id.clone();
            Box::pin(async move { audit::audit_of(tx, &id).await })
        }))
    }

    fn due_for_check(
        &self,
        min_age: Duration,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<OrderRecord>, Error>> {
        let now = self.now();
        Box::pin(
            self.transaction(move |tx| Box::pin(orders::due_for_check(tx, now, min_age, limit))),
        )
    }

    fn schedule_check<'a>(
        &'a self,
        id: &'a OrderId,
        next_check_at: SystemTime,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.transaction(move |tx| {
            let id = id.clone();
            Box::pin(async move { orders::schedule_check(tx, &id, next_check_at).await })
        }))
    }

    fn claim<'a>(
        &'a self,
        worker: &'a str,
        max: usize,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Event>, Error>> {
        let now = self.now();
        Box::pin(self.transaction(move |tx| {
            let worker = worker.to_owned();
            Box::pin(async move { events::claim(tx, &worker, max, lease, now).await })
        }))
    }

    fn complete(&self, event: EventId) -> BoxFuture<'_, Result<Completion, Error>> {
        let now = self.now();
        Box::pin(self.transaction(move |tx| Box::pin(events::complete(tx, event, now))))
    }

    fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }
}
