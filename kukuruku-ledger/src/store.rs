//! The storage trait every backend implements: SQLite and PostgreSQL.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use kukuruku_proto::{OrderId, OrderNumber};

use crate::audit::AuditEntry;
use crate::error::Error;
use crate::event::{Completion, Event, EventId};
use crate::order::{NewOrder, OrderKey, OrderRecord};
use crate::outcome::Recorded;
use crate::update::Update;

/// A boxed, `Send` future: what every [`Store`] method returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the ledger keeps orders, the audit log and the events.
///
/// # Why an object-safe trait with boxed futures
///
/// The route, the reconciler and [`LedgerClient`](crate::LedgerClient) hold an
/// `Arc<dyn Store>`, so a merchant picks the backend when the program starts (from its
/// configuration) without making every type of theirs generic. Each call returns a
/// [`BoxFuture`]: one allocation per call, nothing beside the fsync every write waits for.
/// (`async fn` in traits is not object-safe, and `impl Future` in a trait is not either.)
///
/// # The contract, for every backend
///
/// - **Durable before answered.** A write's future resolves with `Ok` only after its
///   transaction committed durably (SQLite `synchronous=FULL`, PostgreSQL
///   `synchronous_commit=on`).
/// - **One transaction per update.** [`Store::record_update`] reads the order, appends the
///   audit row, moves the status only forward ([`OrderStatus::apply`]) and adds the event,
///   all in one transaction; concurrent updates of one order (from this process or another)
///   are serialised, so the same status recorded twice gives one event.
/// - **Exclusive claims.** [`Store::claim`] never hands an event to two workers whose
///   leases overlap; an event not completed when its lease ends can be claimed again.
/// - **The store's clock.** Every time written (created, received, leases, back-off) comes
///   from the store's time source, so tests can move time.
///
/// The shared test suite (`tests/it/suite.rs`) checks this contract; a new backend runs it
/// with one line.
///
/// [`OrderStatus::apply`]: kukuruku_proto::OrderStatus::apply
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// Records an order before it is sent to Kukuruku.
    ///
    /// Recording the same order again (same number, type, amount and currency) succeeds and
    /// changes nothing; so does recording one its callback already made known, when the
    /// details agree (the missing ones are filled in). Other details under a known number:
    /// [`Error::OrderNumberTaken`].
    fn record_order<'a>(&'a self, order: &'a NewOrder) -> BoxFuture<'a, Result<(), Error>>;

    /// Completes a recorded order with KukuPay's id from Kukuruku's answer. Idempotent;
    /// an unknown number is [`Error::UnknownOrder`], an order that already has another id
    /// [`Error::OrderNumberTaken`].
    fn attach_id<'a>(
        &'a self,
        order_number: &'a OrderNumber,
        id: &'a OrderId,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Records a status update in one transaction: the audit row, the forward move, the
    /// event. The order is found by KukuPay id, else by order number (completing an order
    /// created just before a crash), else made known from the update.
    fn record_update(&self, update: Update) -> BoxFuture<'_, Result<Recorded, Error>>;

    /// The order, if known.
    fn order(&self, key: OrderKey) -> BoxFuture<'_, Result<Option<OrderRecord>, Error>>;

    /// The audit log of one order, oldest first.
    fn audit<'a>(&'a self, id: &'a OrderId) -> BoxFuture<'a, Result<Vec<AuditEntry>, Error>>;

    /// Up to `limit` orders the reconciler should ask about now: a KukuPay id known, no
    /// final status, recorded at least `min_age` ago, and their back-off passed
    /// (`next_check_at` unset or reached). Oldest check first.
    fn due_for_check(
        &self,
        min_age: Duration,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<OrderRecord>, Error>>;

    /// Notes that the reconciler asked about order `id`: one more check, and the next one
    /// not before `next_check_at`.
    fn schedule_check<'a>(
        &'a self,
        id: &'a OrderId,
        next_check_at: SystemTime,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Claims up to `max` events not done and not held by a live lease, oldest first, for
    /// `worker` until now + `lease`.
    fn claim<'a>(
        &'a self,
        worker: &'a str,
        max: usize,
        lease: Duration,
    ) -> BoxFuture<'a, Result<Vec<Event>, Error>>;

    /// Marks an event done (whoever holds it). Idempotent: [`Completion::AlreadyDone`] the
    /// second time; an unknown id is [`Error::UnknownEvent`].
    fn complete(&self, event: EventId) -> BoxFuture<'_, Result<Completion, Error>>;

    /// The store's clock.
    fn now(&self) -> SystemTime;
}
