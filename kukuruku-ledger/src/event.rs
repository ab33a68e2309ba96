//! The outbox: one [`Event`] per forward status move, consumed exactly once.

use std::fmt;
use std::time::SystemTime;

use kukuruku_proto::{Amount, Currency, OrderId, OrderNumber, OrderStatus, OrderType};

/// The id of an [`Event`]: increasing in the order events were recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub i64);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A forward status move of one order, claimed by a worker
/// ([`Store::claim`](crate::Store::claim)).
///
/// The order's details are those the ledger holds when the event is claimed: what the
/// merchant recorded when creating it, completed from the callbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// The event's id: the idempotency key for effects outside the ledger's database.
    pub id: EventId,
    /// The merchant's order number, when known.
    pub order_number: Option<OrderNumber>,
    /// KukuPay's id of the order.
    pub kukupay_id: OrderId,
    /// Payin or payout, when known.
    pub order_type: Option<OrderType>,
    /// The amount in minor units, when known.
    pub amount: Option<Amount>,
    /// The currency, when known.
    pub currency: Option<Currency>,
    /// The status before the move (`None`: the first status the ledger heard).
    pub from: Option<OrderStatus>,
    /// The status after the move.
    pub to: OrderStatus,
    /// When the move was recorded.
    pub recorded_at: SystemTime,
    /// How many times the event was claimed, this claim included (above 1: a worker before
    /// this one claimed it and did not complete it in its lease).
    pub attempts: u32,
}

impl Event {
    /// `true` for the move that credits a user: a payin reaching `paid`.
    pub fn is_paid_payin(&self) -> bool {
        self.to == OrderStatus::Paid && self.order_type == Some(OrderType::Payin)
    }
}

/// What completing an event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Completion {
    /// The event is now done (it was not before).
    Completed,
    /// The event was done already (by this worker earlier, or by another after a lease
    /// expired): nothing changed, and `complete_with` did not run its closure.
    AlreadyDone,
}
