//! The pass conditions, read from the ledger's file and the sandbox, and the run's counts.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use kukuruku_ledger::SqliteStore;
use kukuruku_ledger::rusqlite::{self, Connection};
use kukuruku_sandbox::{CallbackDelivery, Order, OrderStatus, OrderType};

/// What the ledger's file holds, read in one transaction.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    /// KukuPay id → status.
    pub(super) statuses: HashMap<String, Option<String>>,
    /// Events in order: (event id, KukuPay id, from, to, done).
    pub(super) events: Vec<(i64, String, Option<String>, String, bool)>,
    /// Event id → times consumed.
    pub(super) consumed: HashMap<i64, u32>,
    /// KukuPay id → credits.
    pub(super) credits: HashMap<String, u32>,
    /// Audit log: (body, source, outcome).
    pub(super) audit: Vec<(Vec<u8>, String, String)>,
}

fn read(db: &Connection) -> rusqlite::Result<Ledger> {
    let mut ledger = Ledger::default();
    let mut rows =
        db.prepare("SELECT kukupay_id, status FROM orders WHERE kukupay_id IS NOT NULL")?;
    for row in rows.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (id, status) = row?;
        ledger.statuses.insert(id, status);
    }
    let mut rows = db.prepare(
        "SELECT e.id, o.kukupay_id, e.from_status, e.to_status, e.done_at IS NOT NULL
         FROM events e JOIN orders o ON o.id = e.order_ref ORDER BY e.id",
    )?;
    for row in rows.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })? {
        ledger.events.push(row?);
    }
    let mut rows = db.prepare("SELECT event_id, count(*) FROM consumed GROUP BY event_id")?;
    for row in rows.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (id, n) = row?;
        ledger.consumed.insert(id, n);
    }
    let mut rows = db.prepare("SELECT kukupay_id, count(*) FROM credits GROUP BY kukupay_id")?;
    for row in rows.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (id, n) = row?;
        ledger.credits.insert(id, n);
    }
    let mut rows = db.prepare("SELECT body, source, outcome FROM callbacks ORDER BY id")?;
    for row in rows.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
        ledger.audit.push(row?);
    }
    Ok(ledger)
}

impl Ledger {
    pub(super) async fn load(store: &SqliteStore) -> Self {
        store.with_transaction(read).await.unwrap()
    }

    /// Events not done yet.
    pub(super) fn pending(&self) -> usize {
        self.events.iter().filter(|e| !e.4).count()
    }

    fn outcomes(&self, source: &str, outcome: &str) -> usize {
        self.audit
            .iter()
            .filter(|(_, s, o)| s == source && o == outcome)
            .count()
    }
}

/// The run's counts, and what failed.
#[derive(Debug, Default)]
pub(super) struct Report {
    pub(super) orders: usize,
    pub(super) deliveries: usize,
    pub(super) attempts: usize,
    pub(super) retries: usize,
    pub(super) given_up: usize,
    pub(super) duplicates_absorbed: usize,
    pub(super) stale_ignored: usize,
    pub(super) recovered: usize,
    pub(super) credits: usize,
    pub(super) lost: usize,
    pub(super) failures: Vec<String>,
}

/// Checks every pass condition.
pub(super) fn check(
    sandbox: &[Order],
    log: &[CallbackDelivery],
    ledger: &Ledger,
    acknowledged: &[Bytes],
) -> Report {
    let mut report = Report {
        orders: sandbox.len(),
        deliveries: log.len(),
        attempts: log.iter().map(|d| d.attempts.len()).sum(),
        given_up: log
            .iter()
            .filter(|d| d.outcome == kukuruku_sandbox::DeliveryOutcome::Failed)
            .count(),
        duplicates_absorbed: ledger.outcomes("callback", "repeat"),
        stale_ignored: ledger.outcomes("callback", "stale"),
        recovered: ledger.outcomes("reconciler", "advanced"),
        credits: ledger.credits.values().map(|n| *n as usize).sum(),
        ..Report::default()
    };
    report.retries = report.attempts - report.deliveries;
    let fail = &mut report.failures;
    for order in sandbox {
        let id = order.uuid.as_str();
        let recorded = ledger.statuses.get(id).cloned().flatten();
        if recorded.as_deref() != Some(order.status.as_str()) {
            report.lost += 1;
            fail.push(format!(
                "{id}: sandbox {}, ledger {recorded:?}",
                order.status
            ));
        }
        let credits = ledger.credits.get(id).copied().unwrap_or(0);
        let owed =
            u32::from(order.status == OrderStatus::Paid && order.order_type == OrderType::Payin);
        if credits != owed {
            fail.push(format!("{id}: {credits} credits, expected {owed}"));
        }
    }
    let mut last: HashMap<&str, &str> = HashMap::new();
    for (event, id, from, to, done) in &ledger.events {
        let moved = last.insert(id, to).map(str::to_owned);
        let forward = from
            .as_ref()
            .is_none_or(|from| OrderStatus::parse(from).can_move_to(&OrderStatus::parse(to)));
        if moved != *from || !forward {
            fail.push(format!(
                "{id}: event {event} moves {from:?} → {to} after {moved:?}"
            ));
        }
        let consumed = ledger.consumed.get(event).copied().unwrap_or(0);
        if !*done || consumed != 1 {
            fail.push(format!(
                "event {event}: done {done}, consumed {consumed} times"
            ));
        }
    }
    let logged: HashSet<&[u8]> = ledger
        .audit
        .iter()
        .map(|(body, _, _)| body.as_slice())
        .collect();
    let missing = acknowledged
        .iter()
        .filter(|body| !logged.contains(body.as_ref()))
        .count();
    if missing > 0 {
        fail.push(format!(
            "{missing} callbacks answered 2xx are not in the audit log"
        ));
    }
    report
}
