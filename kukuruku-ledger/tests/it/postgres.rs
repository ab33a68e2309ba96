//! The PostgreSQL backend against a real server: the shared suite, and what matters across
//! instances (two stores = two pools on one database). The server's URL comes from
//! `KUKURUKU_TEST_POSTGRES_URL` (`cargo xtask test` and `cargo xtask pg -- …` start a
//! throwaway cluster); without it these tests say so and pass, unless
//! `KUKURUKU_REQUIRE_POSTGRES=1` (CI), where they fail. Each test works in its own schema.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use kukuruku_ledger::tokio_postgres::{self, NoTls};
use kukuruku_ledger::{Completion, Error, Outcome, PostgresOptions, PostgresStore, Store, Update};
use kukuruku_proto::OrderId;

use crate::suite::store_suite;
use crate::support::{Backend, ManualClock, callback};

store_suite!(crate::postgres::backend, if crate::postgres::available());

/// `true` when a server is configured; otherwise says so, and fails under
/// `KUKURUKU_REQUIRE_POSTGRES=1`.
pub(crate) fn available() -> bool {
    if std::env::var_os("KUKURUKU_TEST_POSTGRES_URL").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("KUKURUKU_REQUIRE_POSTGRES").is_none_or(|v| v != "1"),
        "KUKURUKU_REQUIRE_POSTGRES=1 but KUKURUKU_TEST_POSTGRES_URL is not set (run cargo xtask pg -- …)"
    );
    eprintln!("SKIP: no PostgreSQL (set KUKURUKU_TEST_POSTGRES_URL or run cargo xtask pg)");
    false
}

/// A fresh schema on the test server, dropped with the value.
pub(crate) struct Schema {
    /// The URL with `search_path` set to the schema.
    pub(crate) url: String,
    name: String,
    server: String,
}

impl Schema {
    pub(crate) async fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = std::env::var("KUKURUKU_TEST_POSTGRES_URL").unwrap();
        let name = format!(
            "ledger_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let client = connect(&server).await;
        client
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .unwrap();
        let separator = if server.contains('?') { '&' } else { '?' };
        let url =
            format!("{server}{separator}options=-c%20search_path%3D{name}&application_name={name}");
        Self { url, name, server }
    }

    pub(crate) fn options(&self, clock: &ManualClock) -> PostgresOptions {
        PostgresStore::options(&self.url).time_source(clock.source())
    }

    pub(crate) async fn store(&self, clock: &ManualClock) -> PostgresStore {
        self.options(clock).connect().await.unwrap()
    }

    /// A plain connection into the schema.
    pub(crate) async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Best effort, on a thread of its own (drop may run inside the runtime).
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let client = connect(&server).await;
                let _ = client
                    .batch_execute(&format!("DROP SCHEMA {name} CASCADE"))
                    .await;
            });
        })
        .join();
    }
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

/// The opener the suite runs the PostgreSQL backend with.
pub(crate) async fn backend(clock: ManualClock) -> Backend {
    let schema = Schema::new().await;
    let store = schema.store(&clock).await;
    Backend {
        store: Arc::new(store),
        clock,
        _keep: Box::new(schema),
    }
}

fn update(order: &str, status: &str) -> Update {
    Update::callback(callback(order, Some(&format!("n-{order}")), status), 0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_at_once_migrate_once_and_a_newer_schema_is_refused() {
    if !available() {
        return;
    }
    let schema = Schema::new().await;
    let clock = ManualClock::new();
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let options = schema.options(&clock);
            tokio::spawn(async move { options.connect().await })
        })
        .collect();
    for start in starts {
        start.await.unwrap().unwrap();
    }
    let client = schema.client().await;
    let rows = client
        .query("SELECT version FROM schema_version", &[])
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, i64>(0), 2);
    client
        .execute("UPDATE schema_version SET version = 99", &[])
        .await
        .unwrap();
    match schema.options(&clock).connect().await {
        Err(Error::SchemaTooNew {
            found: 99,
            supported: 2,
        }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_callback_on_two_instances_at_once_gives_one_event() {
    if !available() {
        return;
    }
    let schema = Schema::new().await;
    let clock = ManualClock::new();
    let stores: [Arc<dyn Store>; 2] = [
        Arc::new(schema.store(&clock).await),
        Arc::new(schema.store(&clock).await),
    ];
    for round in 0..5 {
        let order = format!("k-{round}");
        let tasks: Vec<_> = (0..32)
            .map(|n| {
                let store = Arc::clone(&stores[n % 2]);
                let update = update(&order, "paid");
                tokio::spawn(async move { store.record_update(update).await.unwrap().outcome })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        let advanced = outcomes.iter().filter(|o| **o == Outcome::Advanced).count();
        assert_eq!(advanced, 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, Outcome::Advanced | Outcome::Repeat))
        );
        let id = OrderId::new(&order).unwrap();
        assert_eq!(stores[0].audit(&id).await.unwrap().len(), 32);
    }
    let events = stores[1]
        .claim("w", 100, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(events.len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_on_two_instances_never_share_an_event() {
    if !available() {
        return;
    }
    let schema = Schema::new().await;
    let clock = ManualClock::new();
    let stores: [Arc<dyn Store>; 2] = [
        Arc::new(schema.store(&clock).await),
        Arc::new(schema.store(&clock).await),
    ];
    for n in 0..120 {
        stores[n % 2]
            .record_update(update(&format!("k-{n}"), "paid"))
            .await
            .unwrap();
    }
    let workers: Vec<_> = (0..6)
        .map(|worker| {
            let store = Arc::clone(&stores[worker % 2]);
            tokio::spawn(async move {
                let mut held = Vec::new();
                loop {
                    let claimed = store
                        .claim(&format!("w-{worker}"), 5, Duration::from_secs(600))
                        .await
                        .unwrap();
                    if claimed.is_empty() {
                        return held;
                    }
                    held.extend(claimed.into_iter().map(|event| event.id));
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
    assert_eq!(seen.len(), 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_with_applies_the_merchants_change_once_in_the_ledgers_transaction() {
    if !available() {
        return;
    }
    let schema = Schema::new().await;
    let clock = ManualClock::new();
    let (a, b) = (schema.store(&clock).await, schema.store(&clock).await);
    a.with_transaction(|tx| {
        Box::pin(async move {
            tx.batch_execute(
                "CREATE TABLE credits (event BIGINT PRIMARY KEY, minor_units BIGINT NOT NULL)",
            )
            .await
        })
    })
    .await
    .unwrap();
    a.record_update(update("k-1", "paid")).await.unwrap();
    let event = a
        .claim("w", 10, Duration::from_secs(1))
        .await
        .unwrap()
        .remove(0);
    // The merchant's code fails: its row and the completion are rolled back.
    let failed = a
        .complete_with(event.id, move |tx| {
            Box::pin(async move {
                tx.execute("INSERT INTO credits VALUES ($1, 1)", &[&event.id.0])
                    .await?;
                Err::<(), Box<dyn std::error::Error + Send + Sync>>(
                    "the balance service said no".into(),
                )
            })
        })
        .await;
    assert!(matches!(failed, Err(Error::Closure(_))), "{failed:?}");
    // Two instances complete it at once: one applies, the other is told it is done.
    let apply = |store: PostgresStore| async move {
        store
            .complete_with(event.id, move |tx| {
                Box::pin(async move {
                    tx.execute("INSERT INTO credits VALUES ($1, 500)", &[&event.id.0])
                        .await
                })
            })
            .await
            .unwrap()
    };
    let (first, second) = tokio::join!(apply(a.clone()), apply(b.clone()));
    assert_eq!(
        [first, second]
            .iter()
            .filter(|applied| applied.is_some())
            .count(),
        1
    );
    let credits: i64 = schema
        .client()
        .await
        .query_one("SELECT count(*) FROM credits", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(credits, 1);
    assert_eq!(a.complete(event.id).await.unwrap(), Completion::AlreadyDone);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_server_is_a_typed_error_and_a_lost_connection_a_retryable_one() {
    if !available() {
        return;
    }
    let schema = Schema::new().await;
    let clock = ManualClock::new();
    let store = schema
        .options(&clock)
        .pool_size(1)
        .writers(1)
        .connect()
        .await
        .unwrap();
    store.record_update(update("k-1", "created")).await.unwrap();
    // The store's only connection is told to refuse writes.
    store
        .with_transaction(|tx| {
            Box::pin(async move {
                tx.batch_execute("SET SESSION default_transaction_read_only = on")
                    .await
            })
        })
        .await
        .unwrap();
    match store.record_update(update("k-1", "paid")).await {
        Err(error @ Error::ReadOnly(_)) => assert!(!error.is_retryable()),
        other => panic!("{other:?}"),
    }
    // The server ends that connection (a restart, a failover, a network cut).
    let admin = schema.client().await;
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&schema.name],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    match store.record_update(update("k-1", "paid")).await {
        Ok(recorded) => assert_eq!(recorded.outcome, Outcome::Advanced),
        Err(error) => {
            assert!(error.is_retryable(), "{error:?}");
            let recorded = store.record_update(update("k-1", "paid")).await.unwrap();
            assert_eq!(recorded.outcome, Outcome::Advanced);
        }
    }
}
