//! The live feed: what happens in the sandbox (orders created, status moves, callback tries),
//! pushed to whoever listens (the dashboard's server-sent events, `kukuruku sandbox`'s log
//! lines) over a bounded broadcast channel, and each order's status moves, bounded, for the
//! dashboard's order page.
//!
//! Publishing never waits: a listener that falls more than [`CHANNEL_CAPACITY`] events behind
//! misses the oldest ones (it is told how many), and nobody listening costs nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use kukuruku_proto::OrderStatus;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::payments::{DeliveryAttempt, DeliveryOutcome, Order, uuid_key};

/// How many events a slow listener may fall behind before it misses some.
pub(crate) const CHANNEL_CAPACITY: usize = 256;

/// How many status moves are kept per order (PROTOCOL 1.4's moves allow at most 3).
const MOVES_PER_ORDER: usize = 16;

/// Something that happened in the sandbox, as the live feed tells it (`GET /sandbox/events`
/// sends each as JSON with its `kind`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SandboxEvent {
    /// An order was created.
    OrderCreated {
        /// The order.
        order_uuid: String,
        /// The merchant.
        merchant_id: String,
        /// The merchant's number for it.
        order_number: String,
    },
    /// An order's status moved.
    StatusMoved {
        /// The order.
        order_uuid: String,
        /// Its status before.
        from: OrderStatus,
        /// Its status now.
        to: OrderStatus,
        /// When (RFC 3339, UTC).
        at: String,
    },
    /// One try at delivering a callback was made.
    DeliveryAttempt {
        /// The delivery's number in the callback log.
        delivery_id: u64,
        /// The order.
        order_uuid: String,
        /// The status the callback announces.
        status: OrderStatus,
        /// Where it went, without query or user info (it may carry a token).
        url: String,
        /// The try.
        attempt: DeliveryAttempt,
    },
    /// A delivery ended: delivered or given up.
    DeliverySettled {
        /// The delivery's number in the callback log.
        delivery_id: u64,
        /// The order.
        order_uuid: String,
        /// How it ended.
        outcome: DeliveryOutcome,
    },
}

impl SandboxEvent {
    /// The order it is about.
    pub fn order_uuid(&self) -> &str {
        match self {
            Self::OrderCreated { order_uuid, .. }
            | Self::StatusMoved { order_uuid, .. }
            | Self::DeliveryAttempt { order_uuid, .. }
            | Self::DeliverySettled { order_uuid, .. } => order_uuid,
        }
    }
}

/// What one listener receives ([`Sandbox::events`](crate::Sandbox::events)).
#[derive(Debug)]
pub struct SandboxEvents {
    receiver: broadcast::Receiver<SandboxEvent>,
}

impl SandboxEvents {
    /// The next event; `Err(n)` when this listener fell behind and missed `n` events (the
    /// next call goes on with the oldest kept); `Ok(None)` once the sandbox is gone.
    pub async fn next(&mut self) -> Result<Option<SandboxEvent>, u64> {
        match self.receiver.recv().await {
            Ok(event) => Ok(Some(event)),
            Err(broadcast::error::RecvError::Lagged(missed)) => Err(missed),
            Err(broadcast::error::RecvError::Closed) => Ok(None),
        }
    }
}

/// A status an order reached, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusMove {
    pub(crate) status: OrderStatus,
    pub(crate) at: String,
}

/// The feed, and the status moves of the last `max_orders` orders.
pub(crate) struct Live {
    sender: broadcast::Sender<SandboxEvent>,
    moves: Mutex<Moves>,
}

/// Keyed by the order store's uuid key (`payments::uuid_key`), not a copy of the uuid's text.
struct Moves {
    by_order: HashMap<u128, Vec<StatusMove>>,
    oldest_first: VecDeque<u128>,
    max_orders: usize,
}

impl Live {
    /// A feed keeping the status moves of at most `max_orders` orders (the order store's cap).
    pub(crate) fn new(max_orders: usize) -> Self {
        let (sender, _) = broadcast::channel(CHANNEL_CAPACITY);
        Self {
            sender,
            moves: Mutex::new(Moves {
                by_order: HashMap::new(),
                oldest_first: VecDeque::new(),
                max_orders: max_orders.max(1),
            }),
        }
    }

    fn moves(&self) -> MutexGuard<'_, Moves> {
        self.moves.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new listener, from now on.
    pub(crate) fn subscribe(&self) -> SandboxEvents {
        SandboxEvents {
            receiver: self.sender.subscribe(),
        }
    }

    /// Tells the listeners, never waiting (none listening is fine).
    pub(crate) fn publish(&self, event: SandboxEvent) {
        let _ = self.sender.send(event);
    }

    /// An order was created: its first status, and the event.
    pub(crate) fn order_created(&self, order: &Order) {
        if let Some(key) = uuid_key(order.uuid.as_str()) {
            let mut moves = self.moves();
            moves.by_order.insert(
                key,
                vec![StatusMove {
                    status: order.status.clone(),
                    at: order.created_at.clone(),
                }],
            );
            moves.oldest_first.push_back(key);
            while moves.by_order.len() > moves.max_orders {
                let Some(oldest) = moves.oldest_first.pop_front() else {
                    break;
                };
                moves.by_order.remove(&oldest);
            }
        }
        self.publish(SandboxEvent::OrderCreated {
            order_uuid: order.uuid.to_string(),
            merchant_id: order.merchant_id.to_string(),
            order_number: order.order_number.to_string(),
        });
    }

    /// `order` moved from `from` to its status now.
    pub(crate) fn status_moved(&self, order: &Order, from: &OrderStatus) {
        if let Some(key) = uuid_key(order.uuid.as_str())
            && let Some(list) = self.moves().by_order.get_mut(&key)
            && list.len() < MOVES_PER_ORDER
        {
            list.push(StatusMove {
                status: order.status.clone(),
                at: order.updated_at.clone(),
            });
        }
        self.publish(SandboxEvent::StatusMoved {
            order_uuid: order.uuid.to_string(),
            from: from.clone(),
            to: order.status.clone(),
            at: order.updated_at.clone(),
        });
    }

    /// The status moves of an order, oldest first (empty if it is no longer kept).
    pub(crate) fn moves_of(&self, uuid: &str) -> Vec<StatusMove> {
        uuid_key(uuid)
            .and_then(|key| self.moves().by_order.get(&key).cloned())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use kukuruku_proto::{Amount, Currency, MerchantId, OrderId, OrderNumber, OrderType};

    use super::*;

    fn order(uuid: &str) -> Order {
        Order {
            uuid: OrderId::new(uuid).unwrap(),
            order_number: OrderNumber::new("n").unwrap(),
            status: OrderStatus::Created,
            amount: Amount::new(500).unwrap(),
            currency: Currency::Rub,
            order_type: OrderType::Payin,
            merchant_id: MerchantId::new("1").unwrap(),
            created_at: "c".into(),
            updated_at: "c".into(),
            callback_url: None,
            redirect_success_url: None,
            redirect_fail_url: None,
            email: "a@b.c".into(),
        }
    }

    #[tokio::test]
    async fn moves_are_kept_for_the_newest_orders_and_published() {
        let live = Live::new(2);
        let mut events = live.subscribe();
        // Uuids as the store writes them: the moves are kept under the store's uuid key.
        let [a, b, c] = [0xa_u128, 0xb, 0xc].map(|n| format!("00000000-0000-4000-8000-{n:012x}"));
        for uuid in [&a, &b, &c] {
            live.order_created(&order(uuid));
        }
        assert!(live.moves_of(&a).is_empty(), "the oldest is dropped");
        let mut paid = order(&c);
        paid.status = OrderStatus::Paid;
        paid.updated_at = "d".into();
        live.status_moved(&paid, &OrderStatus::Created);
        let statuses: Vec<_> = live.moves_of(&c).into_iter().map(|m| m.status).collect();
        assert_eq!(statuses, [OrderStatus::Created, OrderStatus::Paid]);
        let first = events.next().await.unwrap().unwrap();
        assert_eq!(first.order_uuid(), a);
    }

    #[tokio::test]
    async fn a_slow_listener_never_blocks_publishing() {
        let live = Live::new(10);
        let mut slow = live.subscribe();
        for i in 0..CHANNEL_CAPACITY + 10 {
            live.order_created(&order(&format!("o{i}")));
        }
        assert_eq!(slow.next().await, Err(10));
        let next = slow.next().await.unwrap().unwrap();
        assert_eq!(next.order_uuid(), "o10");
    }
}
