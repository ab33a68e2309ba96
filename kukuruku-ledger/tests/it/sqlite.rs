//! The SQLite backend: the shared suite, and what only SQLite has (its file, its pragmas,
//! group commit, the merchant's code in the ledger's transaction).

use std::sync::Arc;
use std::time::Duration;

use kukuruku_ledger::rusqlite::{self, Connection};
use kukuruku_ledger::{Completion, Error, OrderKey, Outcome, SqliteStore, Store, Update};
use kukuruku_proto::OrderId;

use crate::suite::store_suite;
use crate::support::{ManualClock, callback, sqlite};

store_suite!(crate::support::sqlite_backend);

fn update(order: &str, status: &str) -> Update {
    Update::callback(callback(order, Some(&format!("n-{order}")), status), 0).unwrap()
}

#[tokio::test]
async fn a_newer_schema_is_refused_with_a_typed_error() {
    let (store, dir) = sqlite(&ManualClock::new());
    let path = store.path().to_owned();
    drop(store);
    let db = Connection::open(&path).unwrap();
    db.execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(db);
    match SqliteStore::open(&path) {
        Err(Error::SchemaTooNew {
            found: 99,
            supported: 2,
        }) => {}
        other => panic!("{other:?}"),
    }
    drop(dir);
}

#[tokio::test]
async fn a_version_1_file_is_migrated_and_an_orders_audit_log_is_read_through_indexes() {
    let (store, _dir) = sqlite(&ManualClock::new());
    store.record_update(update("k-1", "paid")).await.unwrap();
    let path = store.path().to_owned();
    drop(store);
    // The file as version 1 left it.
    let db = Connection::open(&path).unwrap();
    db.execute_batch("DROP INDEX callbacks_mismatch; UPDATE schema_version SET version = 1")
        .unwrap();
    drop(db);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store
            .audit(&OrderId::new("k-1").unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
    let db = Connection::open(&path).unwrap();
    let version: i64 = db
        .query_row("SELECT version FROM schema_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 2);
    // Store::audit's query: no scan of the whole log (it ran once per delivery in the example
    // merchant, and slowed every answer as the log grew).
    let plan: Vec<String> = db
        .prepare(
            "EXPLAIN QUERY PLAN SELECT id FROM callbacks
             WHERE order_ref = (SELECT id FROM orders WHERE kukupay_id = ?1)
                OR (outcome = 'mismatch' AND kukupay_id = ?1) ORDER BY id",
        )
        .unwrap()
        .query_map(["k-1"], |row| row.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter().all(|step| !step.starts_with("SCAN callbacks")),
        "{plan:?}"
    );
}

#[tokio::test]
async fn reopening_keeps_everything_and_migrates_once() {
    let (store, _dir) = sqlite(&ManualClock::new());
    store.record_update(update("k-1", "paid")).await.unwrap();
    let path = store.path().to_owned();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    let order = store
        .order(OrderKey::Id(OrderId::new("k-1").unwrap()))
        .await
        .unwrap();
    assert!(order.unwrap().is_final());
    let db = Connection::open(&path).unwrap();
    let versions: i64 = db
        .query_row("SELECT count(*) FROM schema_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(versions, 1);
    let mode: String = db
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_read_only_database_is_a_typed_error() {
    let (store, _dir) = sqlite(&ManualClock::new());
    store
        .with_transaction(|db| db.execute_batch("PRAGMA query_only = ON"))
        .await
        .unwrap();
    match store.record_update(update("k-1", "paid")).await {
        Err(error @ Error::ReadOnly(_)) => assert!(!error.is_retryable()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_full_database_is_a_typed_error() {
    let (store, _dir) = sqlite(&ManualClock::new());
    store
        .with_transaction(|db| {
            let pages: i64 = db.query_row("PRAGMA page_count", [], |row| row.get(0))?;
            db.execute_batch(&format!("PRAGMA max_page_count = {pages}"))
        })
        .await
        .unwrap();
    let mut failure = None;
    for n in 0..200 {
        if let Err(error) = store.record_update(update(&format!("k-{n}"), "paid")).await {
            failure = Some(error);
            break;
        }
    }
    assert!(matches!(failure, Some(Error::Full(_))), "{failure:?}");
}

#[tokio::test]
async fn a_malformed_row_is_a_typed_error() {
    let (store, _dir) = sqlite(&ManualClock::new());
    store.record_update(update("k-1", "created")).await.unwrap();
    store
        .with_transaction(|db| db.execute("UPDATE orders SET amount = 'lots'", []))
        .await
        .unwrap();
    match store.record_update(update("k-1", "paid")).await {
        Err(Error::MalformedRow {
            table: "orders",
            what,
        }) => assert!(what.contains("amount"), "{what}"),
        other => panic!("{other:?}"),
    }
    store
        .with_transaction(|db| db.execute("UPDATE orders SET amount = -5", []))
        .await
        .unwrap_err(); // the schema's CHECK refuses it
}

#[tokio::test]
async fn complete_with_runs_the_merchants_code_once_in_the_same_transaction() {
    let (store, _dir) = sqlite(&ManualClock::new());
    store
        .with_transaction(|db| db.execute_batch("CREATE TABLE credits (event INTEGER PRIMARY KEY)"))
        .await
        .unwrap();
    store.record_update(update("k-1", "paid")).await.unwrap();
    let event = store
        .claim("w", 1, Duration::from_secs(30))
        .await
        .unwrap()
        .remove(0);
    // The merchant's code fails: nothing of it is kept and the event is not done.
    let failed = store
        .complete_with(event.id, move |db| {
            db.execute("INSERT INTO credits VALUES (?1)", [event.id.0])?;
            Err::<(), Box<dyn std::error::Error + Send + Sync>>(
                "the user's account is locked".into(),
            )
        })
        .await;
    assert!(matches!(failed, Err(Error::Closure(_))), "{failed:?}");
    let credit = |store: &SqliteStore| {
        let store = store.clone();
        async move {
            store
                .complete_with(event.id, move |db| {
                    db.execute("INSERT INTO credits VALUES (?1)", [event.id.0])
                })
                .await
                .unwrap()
        }
    };
    assert_eq!(credit(&store).await, Some(1));
    assert_eq!(credit(&store).await, None, "done already: not run again");
    let credits: i64 = store
        .with_transaction(|db| db.query_row("SELECT count(*) FROM credits", [], |row| row.get(0)))
        .await
        .unwrap();
    assert_eq!(credits, 1);
    assert_eq!(
        store.complete(event.id).await.unwrap(),
        Completion::AlreadyDone
    );
}

#[tokio::test]
async fn a_panic_in_the_merchants_code_is_an_error_and_the_writer_lives_on() {
    let (store, _dir) = sqlite(&ManualClock::new());
    let result: Result<(), Error> = store
        .with_transaction(|_| -> Result<(), rusqlite::Error> { panic!("boom") })
        .await;
    assert!(matches!(result, Err(Error::Panicked)));
    store.record_update(update("k-1", "paid")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_commit_acknowledges_each_callback_only_after_its_commit() {
    let (store, _dir) = sqlite(&ManualClock::new());
    let path = store.path().to_owned();
    let tasks: Vec<_> = (0..300)
        .map(|n| {
            let store = store.clone();
            let path = path.clone();
            tokio::spawn(async move {
                let recorded = store
                    .record_update(update(&format!("k-{n}"), "paid"))
                    .await
                    .unwrap();
                // Acknowledged: another connection (another process, say) must see it now.
                let reader = Connection::open(&path).unwrap();
                let seen: i64 = reader
                    .query_row(
                        "SELECT count(*) FROM callbacks WHERE id = ?1",
                        [recorded.audit_id],
                        |row| row.get(0),
                    )
                    .unwrap();
                assert_eq!(seen, 1, "acknowledged before it was committed");
                recorded.outcome
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Outcome::Advanced);
    }
    let events = store
        .claim("w", 1000, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(events.len(), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_behave_like_two_processes() {
    let clock = ManualClock::new();
    let (first, _dir) = sqlite(&clock);
    let second = SqliteStore::options(first.path())
        .time_source(clock.source())
        .open()
        .unwrap();
    let stores: [Arc<dyn Store>; 2] = [Arc::new(first), Arc::new(second)];
    let tasks: Vec<_> = (0..40)
        .map(|n| {
            let store = Arc::clone(&stores[n % 2]);
            tokio::spawn(async move {
                store
                    .record_update(update("k-1", "paid"))
                    .await
                    .unwrap()
                    .outcome
            })
        })
        .collect();
    let mut advanced = 0;
    for task in tasks {
        if task.await.unwrap() == Outcome::Advanced {
            advanced += 1;
        }
    }
    assert_eq!(advanced, 1);
    let a = stores[0]
        .claim("a", 10, Duration::from_secs(60))
        .await
        .unwrap();
    let b = stores[1]
        .claim("b", 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(a.len() + b.len(), 1);
}
