//! The reconciler against a fake status source: a lost callback still ends in the right
//! status and one event, through the same path as a callback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kukuruku_ledger::{
    BoxFuture, NewOrder, OrderKey, Outcome, Pass, Reconciler, Source, StatusSource, Store, Update,
};
use kukuruku_proto::{Amount, Currency, Order, OrderId, OrderNumber, OrderStatus, OrderType};
use kukuruku_tower::BoxError;

use crate::support::{ManualClock, callback, sqlite};

/// Kukuruku's view of the orders; an id absent from it fails the call.
#[derive(Clone, Default)]
struct FakeKukuruku(Arc<Mutex<HashMap<String, OrderStatus>>>);

impl FakeKukuruku {
    fn set(&self, id: &str, status: OrderStatus) {
        self.0.lock().unwrap().insert(id.to_owned(), status);
    }
}

impl StatusSource for FakeKukuruku {
    fn order_status<'a>(&'a self, id: &'a OrderId) -> BoxFuture<'a, Result<Order, BoxError>> {
        let status = self.0.lock().unwrap().get(id.as_str()).cloned();
        Box::pin(async move {
            let status = status.ok_or("connection refused")?;
            // Kukuruku answers with `token` as its id field: the reconciler records it under
            // the id it asked about.
            let mut order = Order::new(OrderId::new("ignored").unwrap(), status);
            order.order_number = None;
            Ok(order)
        })
    }
}

fn id(text: &str) -> OrderId {
    OrderId::new(text).unwrap()
}

async fn created_order(store: &dyn Store, number: &str, kukupay: &str) {
    let number = OrderNumber::new(number).unwrap();
    store
        .record_order(&NewOrder::new(
            number.clone(),
            OrderType::Payin,
            Amount::new(900).unwrap(),
            Currency::Usd,
        ))
        .await
        .unwrap();
    store.attach_id(&number, &id(kukupay)).await.unwrap();
}

#[tokio::test]
async fn a_lost_callback_is_recovered_once() {
    let clock = ManualClock::new();
    let (store, _dir) = sqlite(&clock);
    let store: Arc<dyn Store> = Arc::new(store);
    let kukuruku = FakeKukuruku::default();
    let reconciler = Reconciler::new(Arc::clone(&store), kukuruku.clone())
        .min_age(Duration::from_secs(300))
        .backoff(Duration::from_secs(60), Duration::from_secs(600));
    created_order(&*store, "o-1", "k-1").await;
    created_order(&*store, "o-2", "k-2").await;
    kukuruku.set("k-1", OrderStatus::Paid); // its callbacks were all lost
    kukuruku.set("k-2", OrderStatus::Created);

    assert_eq!(
        reconciler.run_once().await.unwrap(),
        Pass::default(),
        "too young"
    );
    clock.advance(Duration::from_secs(300));
    let pass = reconciler.run_once().await.unwrap();
    assert_eq!(
        (pass.checked, pass.advanced, pass.unchanged, pass.failed),
        (2, 2, 0, 0)
    );
    let order = store.order(OrderKey::Id(id("k-1"))).await.unwrap().unwrap();
    assert_eq!(order.status, Some(OrderStatus::Paid));
    let audit = store.audit(&id("k-1")).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].source, Source::Reconciler);
    assert_eq!(audit[0].key_index, None);

    // The late callback is a repeat: still one event for k-1.
    let late = Update::callback(callback("k-1", Some("o-1"), "paid"), 0).unwrap();
    assert_eq!(
        store.record_update(late).await.unwrap().outcome,
        Outcome::Repeat
    );
    let events = store.claim("w", 10, Duration::from_secs(30)).await.unwrap();
    let k1: Vec<_> = events
        .iter()
        .filter(|e| e.kukupay_id == id("k-1"))
        .collect();
    assert_eq!(k1.len(), 1);
    assert!(k1[0].is_paid_payin());
    assert_eq!(k1[0].amount, Some(Amount::new(900).unwrap()));

    // k-2 is not final: asked again only after its back-off (60 s after one check).
    assert_eq!(reconciler.run_once().await.unwrap().checked, 0);
    kukuruku.set("k-2", OrderStatus::Expired);
    clock.advance(Duration::from_secs(60));
    let pass = reconciler.run_once().await.unwrap();
    assert_eq!((pass.checked, pass.advanced), (1, 1));
    clock.advance(Duration::from_secs(3600));
    assert_eq!(
        reconciler.run_once().await.unwrap().checked,
        0,
        "both final"
    );
}

#[tokio::test]
async fn a_failing_status_call_backs_off_and_is_retried() {
    let clock = ManualClock::new();
    let (store, _dir) = sqlite(&clock);
    let store: Arc<dyn Store> = Arc::new(store);
    let kukuruku = FakeKukuruku::default();
    let reconciler = Reconciler::new(Arc::clone(&store), kukuruku.clone())
        .min_age(Duration::ZERO)
        .backoff(Duration::from_secs(10), Duration::from_secs(40));
    created_order(&*store, "o-1", "k-1").await;
    let mut waits = Vec::new();
    for _ in 0..4 {
        let pass = reconciler.run_once().await.unwrap();
        assert_eq!((pass.checked, pass.failed), (1, 1));
        let order = store.order(OrderKey::Id(id("k-1"))).await.unwrap().unwrap();
        let wait = order
            .next_check_at
            .unwrap()
            .duration_since(clock.now())
            .unwrap();
        waits.push(wait.as_secs());
        assert_eq!(reconciler.run_once().await.unwrap().checked, 0);
        clock.advance(wait);
    }
    assert_eq!(waits, [10, 20, 40, 40]);
    kukuruku.set("k-1", OrderStatus::Failed);
    assert_eq!(reconciler.run_once().await.unwrap().advanced, 1);
}

/// Answers only once `expected` questions are waiting at the same time.
struct AllAtOnce {
    barrier: Arc<tokio::sync::Barrier>,
}

impl StatusSource for AllAtOnce {
    fn order_status<'a>(&'a self, _: &'a OrderId) -> BoxFuture<'a, Result<Order, BoxError>> {
        Box::pin(async move {
            self.barrier.wait().await;
            Ok(Order::new(id("ignored"), OrderStatus::Paid))
        })
    }
}

#[tokio::test]
async fn the_orders_of_a_pass_are_asked_about_concurrently() {
    let clock = ManualClock::new();
    let (store, _dir) = sqlite(&clock);
    let store: Arc<dyn Store> = Arc::new(store);
    for n in 0..8 {
        created_order(&*store, &format!("n-{n}"), &format!("k-{n}")).await;
    }
    // One at a time, the first question would wait for the eighth forever.
    let source = AllAtOnce {
        barrier: Arc::new(tokio::sync::Barrier::new(8)),
    };
    let reconciler = Reconciler::new(Arc::clone(&store), source)
        .min_age(Duration::ZERO)
        .concurrency(8);
    let pass = tokio::time::timeout(Duration::from_secs(10), reconciler.run_once())
        .await
        .expect("the questions were asked one at a time")
        .unwrap();
    assert_eq!((pass.checked, pass.advanced, pass.failed), (8, 8, 0));
    for n in 0..8 {
        let order = store.order(OrderKey::Id(id(&format!("k-{n}")))).await;
        assert!(order.unwrap().unwrap().is_final());
    }
}
