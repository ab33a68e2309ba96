//! The contract of `Store`, backend-independent: every test takes an opener (a clock in, a
//! fresh `Backend` out). `store_suite!(opener)` makes one `#[tokio::test]` of each; the SQLite
//! and PostgreSQL modules run it.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use kukuruku_ledger::{Completion, Error, NewOrder, OrderKey, Outcome, Source, Store, Update};
use kukuruku_proto::{Amount, Currency, OrderId, OrderNumber, OrderStatus, OrderType};

use crate::support::{Backend, ManualClock, callback};

/// Makes one test per function of this module for the backend `$open` opens.
macro_rules! store_suite {
    ($open:path) => {
        $crate::suite::store_suite!($open, if true);
    };
    // `if $available`: each test returns early (passing) when `$available` is false, for a
    // backend whose server may be absent (it says why itself).
    ($open:path, if $available:expr) => {
        $crate::suite::store_suite!(@tests $open, $available;
            an_order_recorded_before_sending_is_completed_by_its_callback,
            statuses_only_move_forward_and_every_update_is_audited,
            a_stale_update_after_a_final_one_changes_nothing,
            an_unknown_status_is_audited_but_not_applied,
            the_same_callback_recorded_concurrently_gives_one_event,
            two_workers_never_hold_the_same_event,
            an_expired_lease_makes_an_event_claimable_again,
            recording_an_order_is_idempotent_and_checks_its_details,
            an_order_number_with_another_id_is_a_mismatch,
            the_reconciler_sees_only_unfinished_orders_past_their_backoff,
        );
    };
    (@tests $open:path, $available:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if !$available {
                    return;
                }
                $crate::suite::$name($open).await;
            }
        )*
    };
}
pub(crate) use store_suite;

async fn open<F, Fut>(opener: F) -> Backend
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    opener(ManualClock::new()).await
}

fn number(text: &str) -> OrderNumber {
    OrderNumber::new(text).unwrap()
}

fn id(text: &str) -> OrderId {
    OrderId::new(text).unwrap()
}

fn new_payin(order_number: &str, minor_units: u64) -> NewOrder {
    NewOrder::new(
        number(order_number),
        OrderType::Payin,
        Amount::new(minor_units).unwrap(),
        Currency::Rub,
    )
}

async fn record(store: &dyn Store, order: &str, number: Option<&str>, status: &str) -> Outcome {
    store
        .record_update(Update::callback(callback(order, number, status), 0).unwrap())
        .await
        .unwrap()
        .outcome
}

pub(crate) async fn an_order_recorded_before_sending_is_completed_by_its_callback<F, Fut>(opener: F)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    let backend = open(opener).await;
    let store = &*backend.store;
    // Recorded, then the process "crashed" before Kukuruku's answer: no id.
    store.record_order(&new_payin("o-1", 70_000)).await.unwrap();
    let order = store
        .order(OrderKey::Number(number("o-1")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.kukupay_id, None);
    assert_eq!(order.status, None);
    assert_eq!(order.created_at, backend.clock.now());

    assert_eq!(
        record(store, "k-1", Some("o-1"), "paid").await,
        Outcome::Advanced
    );
    let order = store.order(OrderKey::Id(id("k-1"))).await.unwrap().unwrap();
    assert_eq!(order.order_number, Some(number("o-1")));
    assert_eq!(order.status, Some(OrderStatus::Paid));
    // The recorded amount is kept (the callback's 50 000 fills only what is missing).
    assert_eq!(order.amount, Some(Amount::new(70_000).unwrap()));

    let events = store.claim("w", 10, Duration::from_secs(30)).await.unwrap();
    assert_eq!(events.len(), 1);
    assert!(events[0].is_paid_payin());
    assert_eq!(events[0].order_number, Some(number("o-1")));
    assert_eq!(events[0].amount, Some(Amount::new(70_000).unwrap()));
    assert_eq!(events[0].from, None);
    // Attaching the same id later (the answer came after all) is fine.
    store.attach_id(&number("o-1"), &id("k-1")).await.unwrap();
}

pub(crate) async fn statuses_only_move_forward_and_every_update_is_audited<F, Fut>(opener: F)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    let backend = open(opener).await;
    let store = &*backend.store;
    let steps = [
        ("created", Outcome::Advanced),
        ("processing", Outcome::Advanced),
        ("processing", Outcome::Repeat),
        ("created", Outcome::Stale),
        ("paid", Outcome::Advanced),
        ("failed", Outcome::Conflict),
        ("paid", Outcome::Repeat),
    ];
    for (status, expected) in steps {
        assert_eq!(
            record(store, "k-2", Some("o-2"), status).await,
            expected,
            "{status}"
        );
    }
    let order = store.order(OrderKey::Id(id("k-2"))).await.unwrap().unwrap();
    assert_eq!(order.status, Some(OrderStatus::Paid));
    let audit = store.audit(&id("k-2")).await.unwrap();
    let outcomes: Vec<Outcome> = audit.iter().map(|entry| entry.outcome).collect();
    assert_eq!(outcomes, steps.map(|(_, outcome)| outcome));
    assert!(audit.iter().all(|entry| entry.source == Source::Callback));
    assert!(audit.iter().all(|entry| entry.key_index == Some(0)));
    assert_eq!(audit[5].body, callback("k-2", Some("o-2"), "failed"));
    let events = store.claim("w", 10, Duration::from_secs(30)).await.unwrap();
    let moves: Vec<(Option<OrderStatus>, OrderStatus)> = events
        .iter()
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    assert_eq!(
        moves,
        [
            (None, OrderStatus::Created),
            (Some(OrderStatus::Created), OrderStatus::Processing),
            (Some(OrderStatus::Processing), OrderStatus::Paid),
        ]
    );
}

pub(crate) async fn a_stale_update_after_a_final_one_changes_nothing<F, Fut>(opener: F)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    let backend = open(opener).await;
    let store = &*backend.store;
    assert_eq!(record(store, "k-3", None, "paid").await, Outcome::Advanced);
    let before = store.order(OrderKey::Id(id("k-3"))).await.unwrap().unwrap();
    backend.clock.advance(Duration::from_secs(5));
    for status in ["created", "processing"] {
        assert_eq!(record(store, "k-3", None, status).await, Outcome::Stale);
    }
    let after = store.order(OrderKey::Id(id("k-3"))).await.unwrap().unwrap();
    assert_eq!(after, before, "nothing about the order changed");
    assert_eq!(
        store
            .claim("w", 10, Duration::from_secs(1))
            .await
            .unwrap()
            .len(),
        1
    );
}

pub(crate) async fn an_unknown_status_is_audited_but_not_applied<F, Fut>(opener: F)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    let backend = open(opener).await;
    let store = &*backend.store;
    assert_eq!(
        record(store, "k-4", None, "created").await,
        Outcome::Advanced
    );
    let recorded = store
        .record_update(Update::callback(callback("k-4", None, "refunded"), 0).unwrap())
        .await
        .unwrap();
    assert_eq!(recorded.outcome, Outcome::Unrecognised);
    assert_eq!(recorded.event, None);
    let order = store.order(OrderKey::Id(id("k-4"))).await.unwrap().unwrap();
    assert_eq!(order.status, Some(OrderStatus::Created));
    let audit = store.audit(&id("k-4")).await.unwrap();
    assert_eq!(audit.last().unwrap().outcome, Outcome::Unrecognised);
    assert_eq!(
        audit.last().unwrap().status,
        OrderStatus::Unknown("refunded".into())
    );
    assert_eq!(
        store
            .claim("w", 10, Duration::from_secs(1))
            .await
            .unwrap()
            .len(),
        1
    );
}

pub(crate) async fn the_same_callback_recorded_concurrently_gives_one_event<F, Fut>(opener: F)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    let backend = open(opener).await;
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let store = Arc::clone(&backend.store);
            tokio::spawn(async move { record(&*store, "k-5", Some("o-5"), "paid").await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Advanced).count(),
        1
    );
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Repeat).count(),
        31
    );
    let events = backend
        .store
        .claim("w", 100, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(backend.store.audit(&id("k-5")).await.unwrap().len(), 32);
}

pub(crate) async fn two_workers_never_hold_the_same_event<F, Fut>(opener: F)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    let backend = open(opener).await;
    for n in 0..60 {
        record(&*backend.store, &format!("k-{n}"), None, "paid").await;
    }
    let workers: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|worker| {
            let store = Arc::clone(&backend.store);
            tokio::spawn(async move {
                let mut held = Vec::new();
                loop {
                    let claimed = store
                        .claim(worker, 7, Duration::from_secs(600))
                        .await
                        .unwrap();
                    if claimed.is_empty() {
                        return held;
                    }
                    held.extend(claimed.into_iter().map(|event| event.id));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for worker in workers {
        for event in worker.await.unwrap() {
            assert!(
                seen.insert(event),
                "event {event} was handed to two workers"
            );
        }
    }
    assert_eq!(seen.len(), 60);
}

pub(crate) async fn an_expired_lease_makes_an_event_claimable_again<F, Fut>(opener: F)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    let backend = open(opener).await;
    let store = &*backend.store;
    record(store, "k-6", None, "paid").await;
    let first = store
        .claim("crashes", 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempts, 1);
    // The worker "crashes" between claim and complete. Within the lease, nobody else gets it.
    backend.clock.advance(Duration::from_secs(29));
    assert!(
        store
            .claim("other", 10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty()
    );
    backend.clock.advance(Duration::from_secs(1));
    let again = store
        .claim("other", 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, first[0].id);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(
        store.complete(again[0].id).await.unwrap(),
        Completion::Completed
    );
    assert_eq!(
        store.complete(again[0].id).await.unwrap(),
        Completion::AlreadyDone
    );
    backend.clock.advance(Duration::from_secs(3600));
    assert!(
        store
            .claim("other", 10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.complete(kukuruku_ledger::EventId(9999)).await,
        Err(Error::UnknownEvent(9999))
    ));
}

pub(crate) async fn recording_an_order_is_idempotent_and_checks_its_details<F, Fut>(opener: F)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    let backend = open(opener).await;
    let store = &*backend.store;
    store.record_order(&new_payin("o-7", 100)).await.unwrap();
    store.record_order(&new_payin("o-7", 100)).await.unwrap();
    assert!(matches!(
        store.record_order(&new_payin("o-7", 200)).await,
        Err(Error::OrderNumberTaken { .. })
    ));
    store.attach_id(&number("o-7"), &id("k-7")).await.unwrap();
    assert!(matches!(
        store.attach_id(&number("o-7"), &id("k-other")).await,
        Err(Error::OrderNumberTaken { .. })
    ));
    assert!(matches!(
        store.attach_id(&number("nope"), &id("k-x")).await,
        Err(Error::UnknownOrder { .. })
    ));
    // A callback made the order known first (a Play payin, or a very fast callback): the
    // merchant's record agrees with it and fills what it lacked.
    record(store, "k-8", Some("o-8"), "created").await;
    store.record_order(&new_payin("o-8", 50_000)).await.unwrap();
    store.attach_id(&number("o-8"), &id("k-8")).await.unwrap();
}

pub(crate) async fn an_order_number_with_another_id_is_a_mismatch<F, Fut>(opener: F)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    let backend = open(opener).await;
    let store = &*backend.store;
    store.record_order(&new_payin("o-9", 100)).await.unwrap();
    store.attach_id(&number("o-9"), &id("k-9")).await.unwrap();
    assert_eq!(
        record(store, "k-imposter", Some("o-9"), "paid").await,
        Outcome::Mismatch
    );
    let order = store
        .order(OrderKey::Number(number("o-9")))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.status, None);
    assert!(
        store
            .claim("w", 10, Duration::from_secs(1))
            .await
            .unwrap()
            .is_empty()
    );
    // The mismatch is in the audit log under both ids: the callback's, and the order's.
    for key in ["k-imposter", "k-9"] {
        let log = store.audit(&id(key)).await.unwrap();
        assert_eq!(log.len(), 1, "{key}");
        assert_eq!(log[0].outcome, Outcome::Mismatch, "{key}");
    }
}

pub(crate) async fn the_reconciler_sees_only_unfinished_orders_past_their_backoff<F, Fut>(opener: F)
where
    F: FnOnce(ManualClock) -> Fut,
    Fut: Future<Output = Backend>,
{
    let backend = open(opener).await;
    let store = &*backend.store;
    let age = Duration::from_secs(300);
    for n in 0..3 {
        store
            .record_order(&new_payin(&format!("o-{n}"), 100))
            .await
            .unwrap();
    }
    store.attach_id(&number("o-0"), &id("k-0")).await.unwrap();
    store.attach_id(&number("o-1"), &id("k-1")).await.unwrap();
    // o-2 has no id: it cannot be asked about.
    record(store, "k-1", Some("o-1"), "paid").await;
    assert!(
        store.due_for_check(age, 10).await.unwrap().is_empty(),
        "too young"
    );
    backend.clock.advance(age);
    let due = store.due_for_check(age, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].kukupay_id, Some(id("k-0")));
    assert_eq!(due[0].checks, 0);
    let next = backend.store.now() + Duration::from_secs(60);
    store.schedule_check(&id("k-0"), next).await.unwrap();
    assert!(
        store.due_for_check(age, 10).await.unwrap().is_empty(),
        "backing off"
    );
    backend.clock.advance(Duration::from_secs(60));
    let due = store.due_for_check(age, 10).await.unwrap();
    assert_eq!(due[0].checks, 1);
    assert_eq!(due[0].next_check_at, Some(next));
}
