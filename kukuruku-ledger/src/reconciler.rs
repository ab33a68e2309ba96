//! The reconciler: asks Kukuruku about orders left unfinished.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use kukuruku_proto::{Order, OrderId};
use kukuruku_tower::{BoxError, Client};
use tower_service::Service;

use crate::error::Error;
use crate::order::OrderRecord;
use crate::outcome::Outcome;
use crate::store::{BoxFuture, Store};
use crate::update::Update;

/// Where the reconciler asks for an order's status: the payments [`Client`], or a fake in
/// tests.
pub trait StatusSource: Send + Sync + 'static {
    /// The order with KukuPay id `id`, as Kukuruku describes it now (its signature checked).
    fn order_status<'a>(&'a self, id: &'a OrderId) -> BoxFuture<'a, Result<Order, BoxError>>;
}

impl<S, B> StatusSource for Client<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    fn order_status<'a>(&'a self, id: &'a OrderId) -> BoxFuture<'a, Result<Order, BoxError>> {
        Box::pin(async move { self.order(id).await.map_err(BoxError::from) })
    }
}

/// What one pass of the reconciler did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pass {
    /// Orders asked about.
    pub checked: usize,
    /// Answers that moved an order forward (each added one event).
    pub advanced: usize,
    /// Answers that changed nothing (repeat, stale, conflict, unknown status).
    pub unchanged: usize,
    /// Questions that failed (Kukuruku unreachable, a bad signature…); asked again after
    /// the back-off.
    pub failed: usize,
}

impl Pass {
    fn add(&mut self, other: Self) {
        self.checked += other.checked;
        self.advanced += other.advanced;
        self.unchanged += other.unchanged;
        self.failed += other.failed;
    }
}

/// Asks Kukuruku for the status of every order left unfinished, so that a
/// callback lost for good still ends in the right status and one event.
///
/// Each pass takes the orders [`Store::due_for_check`] returns (a KukuPay id known, not
/// final, recorded at least `min_age` ago, back-off passed), asks their status from a
/// [`StatusSource`] (the payments [`Client`], whose `order` call verifies the answer's
/// signature), and records each answer with [`Store::record_update`]: the **same** path as a
/// callback, with its own audit row (`source = reconciler`) and the same exactly-once events.
/// After each question, asked or failed, the order's next check waits `first × 2^checks`,
/// capped at `max`.
///
/// An order recorded without a KukuPay id (the create call failed or its answer was lost) is
/// not asked about: the status call needs the id. Its callback, if Kukuruku created it,
/// completes it.
#[derive(Clone)]
#[must_use]
pub struct Reconciler {
    store: Arc<dyn Store>,
    source: Arc<dyn StatusSource>,
    min_age: Duration,
    interval: Duration,
    batch: usize,
    concurrency: usize,
    first: Duration,
    max: Duration,
}

/// The default of [`Reconciler::concurrency`].
pub const DEFAULT_RECONCILER_CONCURRENCY: usize = 16;

impl std::fmt::Debug for Reconciler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reconciler")
            .field("store", &self.store)
            .field("min_age", &self.min_age)
            .field("interval", &self.interval)
            .field("batch", &self.batch)
            .field("concurrency", &self.concurrency)
            .field("backoff", &(self.first, self.max))
            .finish_non_exhaustive()
    }
}

impl Reconciler {
    /// A reconciler over `store` asking `source`, with the defaults: orders older than
    /// 5 minutes (past the sandbox's whole retry schedule, about 3 minutes), a pass every
    /// 30 s, 100 orders a pass, back-off from 1 minute doubling to 1 hour.
    pub fn new(store: Arc<dyn Store>, source: impl StatusSource) -> Self {
        Self {
            store,
            source: Arc::new(source),
            min_age: Duration::from_secs(300),
            interval: Duration::from_secs(30),
            batch: 100,
            concurrency: DEFAULT_RECONCILER_CONCURRENCY,
            first: Duration::from_secs(60),
            max: Duration::from_secs(3600),
        }
    }

    /// Orders younger than this are left to their callbacks.
    pub fn min_age(mut self, age: Duration) -> Self {
        self.min_age = age;
        self
    }

    /// The pause between passes of [`Reconciler::run`].
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The most orders asked about in one pass.
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// How many orders of a pass are asked about at once (default
    /// [`DEFAULT_RECONCILER_CONCURRENCY`]). Their answers reach the store together, so the
    /// SQLite writer commits them in a few batches instead of one fsync after another.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The back-off per order: `first` after the first check, doubling, at most `max`.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.first = first;
        self.max = max.max(first);
        self
    }

    /// The wait after an order's `checks`-th check.
    fn delay(&self, checks: u32) -> Duration {
        let factor = 1u32.checked_shl(checks.min(31)).unwrap_or(u32::MAX);
        self.first.saturating_mul(factor).min(self.max)
    }

    /// One pass, [`Reconciler::concurrency`] orders at a time. A store failure ends it with
    /// the error (once the questions under way are answered); a failed question is counted and
    /// the pass goes on.
    pub async fn run_once(&self) -> Result<Pass, Error> {
        let mut due = self
            .store
            .due_for_check(self.min_age, self.batch)
            .await?
            .into_iter();
        let mut pass = Pass::default();
        let mut failure = None;
        let mut checks = tokio::task::JoinSet::new();
        loop {
            while failure.is_none() && checks.len() < self.concurrency {
                let Some(order) = due.next() else { break };
                let this = self.clone();
                checks.spawn(async move {
                    let mut one = Pass::default();
                    this.check(&order, &mut one).await.map(|()| one)
                });
            }
            let Some(done) = checks.join_next().await else {
                break;
            };
            match done {
                Ok(Ok(one)) => pass.add(one),
                Ok(Err(error)) => failure = failure.or(Some(error)),
                // The status source panicked: as it would have without the task around it.
                Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
                Err(_cancelled) => {} // the runtime is shutting down
            }
        }
        failure.map_or(Ok(pass), Err)
    }

    async fn check(&self, order: &OrderRecord, pass: &mut Pass) -> Result<(), Error> {
        let Some(id) = &order.kukupay_id else {
            return Ok(());
        };
        pass.checked += 1;
        match self.source.order_status(id).await {
            Ok(mut answer) => {
                // The question was about `id`: record the answer there, whatever id field
                // the answer used.
                answer.id = id.clone();
                let recorded = self.store.record_update(Update::reconciled(answer)).await?;
                if recorded.outcome == Outcome::Advanced {
                    pass.advanced += 1;
                    tracing::info!(order = id.as_str(), "reconciler: order moved forward");
                } else {
                    pass.unchanged += 1;
                }
            }
            Err(error) => {
                pass.failed += 1;
                tracing::warn!(
                    order = id.as_str(),
                    error = &*error as &dyn std::error::Error,
                    "reconciler: status call failed"
                );
            }
        }
        let next = self.store.now() + self.delay(order.checks);
        self.store.schedule_check(id, next).await
    }

    /// Runs a pass every `interval`, forever (spawn it; drop the task to stop). Failures are
    /// logged and the next pass tries again.
    pub async fn run(self) {
        loop {
            match self.run_once().await {
                Ok(pass) if pass.checked > 0 => tracing::info!(?pass, "reconciler pass"),
                Ok(_) => {}
                Err(error) => tracing::error!(
                    error = &error as &dyn std::error::Error,
                    "reconciler pass failed"
                ),
            }
            tokio::time::sleep(self.interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Never;
    impl StatusSource for Never {
        fn order_status<'a>(&'a self, _: &'a OrderId) -> BoxFuture<'a, Result<Order, BoxError>> {
            Box::pin(async { Err("never".into()) })
        }
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn backoff_doubles_and_is_capped() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::SqliteStore::open(dir.path().join("l.sqlite3")).unwrap();
        let reconciler = Reconciler::new(Arc::new(store), Never)
            .backoff(Duration::from_secs(10), Duration::from_secs(60));
        let delays: Vec<u64> = (0..6).map(|n| reconciler.delay(n).as_secs()).collect();
        assert_eq!(delays, [10, 20, 40, 60, 60, 60]);
        assert_eq!(reconciler.delay(u32::MAX), Duration::from_secs(60));
    }
}
