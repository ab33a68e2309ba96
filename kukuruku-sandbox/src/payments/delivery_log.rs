//! The callback delivery log, bounded: at most [`CallbackPolicy::log_capacity`] deliveries,
//! the oldest settled one dropped first to make room (the oldest pending one, its tries
//! stopped, only when every delivery in the log is pending), so neither the log nor the
//! delivery tasks grow without bound. Per order, at most [`PER_ORDER`] deliveries are kept
//! (re-sends add one each: the order's oldest settled one makes room), and per delivery the
//! last [`ATTEMPTS_KEPT`] tries.
//!
//! [`CallbackPolicy::log_capacity`]: super::CallbackPolicy::log_capacity

use std::collections::VecDeque;

use tokio::task::AbortHandle;

use super::callbacks::{CallbackDelivery, DeliveryAttempt, DeliveryOutcome};

/// How many deliveries of one order the log keeps.
pub(crate) const PER_ORDER: usize = 20;

/// How many tries of one delivery the log keeps (the latest; each keeps its `number`).
pub(crate) const ATTEMPTS_KEPT: usize = 50;

/// The deliveries, oldest first, each with the task delivering it while it is pending.
pub(super) struct DeliveryLog {
    entries: VecDeque<Entry>,
    capacity: usize,
    last_id: u64,
}

struct Entry {
    delivery: CallbackDelivery,
    task: Option<AbortHandle>,
}

impl DeliveryLog {
    /// An empty log keeping at most `capacity` deliveries (at least 1).
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            last_id: 0,
        }
    }

    /// Adds the delivery `make(id)` with the next id, making room first; returns the id and
    /// the delivery dropped to make room, if one was still pending (its task is stopped).
    pub(super) fn push(
        &mut self,
        make: impl FnOnce(u64) -> CallbackDelivery,
    ) -> (u64, Option<CallbackDelivery>) {
        let mut given_up = None;
        let delivery = make(self.last_id.saturating_add(1));
        let of_order = |entry: &Entry| entry.delivery.order_uuid == delivery.order_uuid;
        if self.entries.iter().filter(|e| of_order(e)).count() >= PER_ORDER
            && let Some(index) = self.entries.iter().position(|entry| {
                of_order(entry) && entry.delivery.outcome != DeliveryOutcome::Pending
            })
        {
            self.entries.remove(index);
        }
        while self.entries.len() >= self.capacity {
            let settled = self
                .entries
                .iter()
                .position(|entry| entry.delivery.outcome != DeliveryOutcome::Pending);
            let Some(dropped) = self.entries.remove(settled.unwrap_or(0)) else {
                break;
            };
            if let Some(task) = dropped.task {
                task.abort();
            }
            if dropped.delivery.outcome == DeliveryOutcome::Pending {
                given_up = Some(dropped.delivery);
            }
        }
        self.last_id = self.last_id.saturating_add(1);
        self.entries.push_back(Entry {
            delivery,
            task: None,
        });
        (self.last_id, given_up)
    }

    /// Notes the task delivering `id`, while it is pending.
    pub(super) fn set_task(&mut self, id: u64, task: AbortHandle) {
        if let Some(entry) = self.entry(id)
            && entry.delivery.outcome == DeliveryOutcome::Pending
        {
            entry.task = Some(task);
        }
    }

    /// The delivery `id`, if still in the log.
    #[cfg(test)]
    pub(super) fn get_mut(&mut self, id: u64) -> Option<&mut CallbackDelivery> {
        self.entry(id).map(|entry| &mut entry.delivery)
    }

    /// Adds a try to the delivery `id` (keeping the last [`ATTEMPTS_KEPT`]); the delivery, if
    /// still in the log.
    pub(super) fn record(
        &mut self,
        id: u64,
        attempt: DeliveryAttempt,
    ) -> Option<&CallbackDelivery> {
        let delivery = &mut self.entry(id)?.delivery;
        if delivery.attempts.len() >= ATTEMPTS_KEPT {
            delivery.attempts.remove(0);
        }
        delivery.attempts.push(attempt);
        Some(delivery)
    }

    /// Settles the delivery `id` (no task any more); its order's uuid, if still in the log.
    pub(super) fn finish(&mut self, id: u64, outcome: DeliveryOutcome) -> Option<String> {
        let entry = self.entry(id)?;
        entry.delivery.outcome = outcome;
        entry.task = None;
        Some(entry.delivery.order_uuid.clone())
    }

    /// The newest delivery of the order `uuid` in the log.
    pub(super) fn last_for(&self, uuid: &str) -> Option<CallbackDelivery> {
        self.entries
            .iter()
            .rev()
            .find(|entry| entry.delivery.order_uuid == uuid)
            .map(|entry| entry.delivery.clone())
    }

    fn entry(&mut self, id: u64) -> Option<&mut Entry> {
        let index = self
            .entries
            .binary_search_by_key(&id, |entry| entry.delivery.id)
            .ok()?;
        self.entries.get_mut(index)
    }

    /// Every delivery in the log, oldest first.
    pub(super) fn all(&self) -> Vec<CallbackDelivery> {
        self.entries
            .iter()
            .map(|entry| entry.delivery.clone())
            .collect()
    }

    /// The deliveries still pending, oldest first.
    pub(super) fn pending(&self) -> Vec<CallbackDelivery> {
        self.entries
            .iter()
            .filter(|entry| entry.delivery.outcome == DeliveryOutcome::Pending)
            .map(|entry| entry.delivery.clone())
            .collect()
    }

    /// Whether no delivery is pending.
    pub(super) fn settled(&self) -> bool {
        self.entries
            .iter()
            .all(|entry| entry.delivery.outcome != DeliveryOutcome::Pending)
    }
}

#[cfg(test)]
mod tests {
    use kukuruku_proto::OrderStatus;

    use super::*;

    fn delivery(id: u64) -> CallbackDelivery {
        CallbackDelivery {
            id,
            order_uuid: format!("order-{id}"),
            order_number: String::new(),
            merchant_id: "1".into(),
            status: OrderStatus::Paid,
            url: "http://127.0.0.1:1/cb".into(),
            body: String::new(),
            signature: String::new(),
            outcome: DeliveryOutcome::Pending,
            attempts: Vec::new(),
        }
    }

    fn ids(log: &DeliveryLog) -> Vec<u64> {
        log.all().iter().map(|d| d.id).collect()
    }

    #[test]
    fn the_cap_holds_dropping_the_oldest_settled_first() {
        let mut log = DeliveryLog::new(3);
        for _ in 0..3 {
            log.push(delivery);
        }
        log.finish(2, DeliveryOutcome::Delivered);
        log.finish(3, DeliveryOutcome::Failed);
        // 1 is pending: the oldest settled (2) goes first, then 3.
        assert_eq!(log.push(delivery).1, None);
        assert_eq!(ids(&log), [1, 3, 4]);
        assert_eq!(log.push(delivery).1, None);
        assert_eq!(ids(&log), [1, 4, 5]);
        // All pending: the oldest pending is given up.
        let (id, given_up) = log.push(delivery);
        assert_eq!(id, 6);
        assert_eq!(given_up.map(|d| d.id), Some(1));
        assert_eq!(ids(&log), [4, 5, 6]);
        for _ in 0..1000 {
            log.push(delivery);
            assert_eq!(log.all().len(), 3);
        }
        assert!(log.get_mut(1).is_none());
        assert_eq!(log.get_mut(1006).map(|d| d.id), Some(1006));
        assert_eq!(log.pending().len(), 3);
        assert!(!log.settled());
    }

    fn attempt(number: u32) -> DeliveryAttempt {
        DeliveryAttempt {
            number,
            started_at: String::new(),
            duration_ms: 0,
            http_status: Some(500),
            response: None,
            error: None,
        }
    }

    #[test]
    fn one_order_keeps_at_most_its_cap_of_deliveries_and_tries() {
        let mut log = DeliveryLog::new(1000);
        let same_order = |id| CallbackDelivery {
            order_uuid: "one".into(),
            ..delivery(id)
        };
        for _ in 0..PER_ORDER * 3 {
            let (id, _) = log.push(same_order);
            log.finish(id, DeliveryOutcome::Failed);
        }
        assert_eq!(log.all().len(), PER_ORDER);
        assert_eq!(
            log.last_for("one").map(|d| d.id),
            Some(3 * PER_ORDER as u64)
        );
        // Another order's deliveries are not touched.
        log.push(delivery);
        assert_eq!(log.all().len(), PER_ORDER + 1);
        let (id, _) = log.push(same_order);
        for number in 1..=200 {
            log.record(id, attempt(number));
        }
        let kept = log.last_for("one").unwrap().attempts;
        assert_eq!(kept.len(), ATTEMPTS_KEPT);
        assert_eq!(kept.last().map(|a| a.number), Some(200));
        assert_eq!(log.all().len(), PER_ORDER + 1);
    }
}
