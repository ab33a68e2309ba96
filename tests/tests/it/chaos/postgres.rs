//! The PostgreSQL side of the chaos run: a fresh schema per run on the server at
//! `KUKURUKU_TEST_POSTGRES_URL`, receivers that each open their own [`PostgresStore`] (their own
//! pool and writer tasks, as separate processes would) with their own worker and reconciler,
//! and the pass conditions read back from the schema.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kukuruku_ledger::tokio_postgres::{self, NoTls};
use kukuruku_ledger::{
    Error, Event, PostgresStore, Reconciler, Server, StatusSource, Store, callback_route,
};
use kukuruku_proto::Amount;
use kukuruku_sign::Verifier;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::verify::Ledger;

/// How long a worker holds the events it claimed (the example merchant's lease).
const LEASE: Duration = Duration::from_secs(5);

/// The merchant's own tables, beside the ledger's in the run's schema.
const MERCHANT_SCHEMA: &str = "
CREATE TABLE consumed (event_id BIGINT NOT NULL, kukupay_id TEXT NOT NULL, to_status TEXT NOT NULL);
CREATE TABLE credits (event_id BIGINT NOT NULL, kukupay_id TEXT NOT NULL, minor_units BIGINT NOT NULL);";

/// `true` when a server is configured; otherwise says so, and fails under
/// `KUKURUKU_REQUIRE_POSTGRES=1` (as the ledger's own PostgreSQL tests do).
pub(super) fn available() -> bool {
    if std::env::var_os("KUKURUKU_TEST_POSTGRES_URL").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("KUKURUKU_REQUIRE_POSTGRES").is_none_or(|v| v != "1"),
        "KUKURUKU_REQUIRE_POSTGRES=1 but KUKURUKU_TEST_POSTGRES_URL is not set (run cargo xtask pg -- …)"
    );
    println!(
        "chaos: SKIP PostgreSQL: no server (set KUKURUKU_TEST_POSTGRES_URL or run cargo xtask pg -- …)"
    );
    false
}

/// The run's own schema on the test server (runs never share tables), dropped with the value.
pub(super) struct Schema {
    /// The server's URL with `search_path` set to the schema.
    url: String,
    name: String,
    server: String,
}

impl Schema {
    pub(super) async fn create() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let server = std::env::var("KUKURUKU_TEST_POSTGRES_URL").unwrap();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!(
            "chaos_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        connect(&server)
            .await
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .unwrap();
        let separator = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{separator}options=-c%20search_path%3D{name}");
        let schema = Self { url, name, server };
        // The ledger's tables first (its migrations), then the merchant's beside them.
        drop(schema.store().await);
        schema
            .client()
            .await
            .batch_execute(MERCHANT_SCHEMA)
            .await
            .unwrap();
        schema
    }

    /// A store of its own: its own pool and writer tasks.
    pub(super) async fn store(&self) -> PostgresStore {
        PostgresStore::options(&self.url)
            .pool_size(4)
            .connect()
            .await
            .unwrap()
    }

    async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }

    /// What the ledger and the merchant's tables hold, read in one snapshot.
    pub(super) async fn load(&self) -> Ledger {
        let mut client = self.client().await;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .unwrap();
        let mut ledger = Ledger::default();
        let query = "SELECT kukupay_id, status FROM orders WHERE kukupay_id IS NOT NULL";
        for row in tx.query(query, &[]).await.unwrap() {
            ledger.statuses.insert(row.get(0), row.get(1));
        }
        let query = "SELECT e.id, o.kukupay_id, e.from_status, e.to_status, e.done_at IS NOT NULL
             FROM events e JOIN orders o ON o.id = e.order_ref ORDER BY e.id";
        for row in tx.query(query, &[]).await.unwrap() {
            let event = (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
            ledger.events.push(event);
        }
        let count = |row: &tokio_postgres::Row| u32::try_from(row.get::<_, i64>(1)).unwrap();
        let query = "SELECT event_id, count(*) FROM consumed GROUP BY event_id";
        for row in tx.query(query, &[]).await.unwrap() {
            ledger.consumed.insert(row.get(0), count(&row));
        }
        let query = "SELECT kukupay_id, count(*) FROM credits GROUP BY kukupay_id";
        for row in tx.query(query, &[]).await.unwrap() {
            ledger.credits.insert(row.get(0), count(&row));
        }
        let query = "SELECT body, source, outcome FROM callbacks ORDER BY id";
        for row in tx.query(query, &[]).await.unwrap() {
            ledger.audit.push((row.get(0), row.get(1), row.get(2)));
        }
        tx.commit().await.unwrap();
        ledger
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

/// One receiver instance: the ledger's callback route on its own store, served on loopback,
/// with its own event worker and reconciler.
pub(super) struct Receiver {
    pub(super) url: String,
    store: PostgresStore,
    name: String,
    tasks: [JoinHandle<()>; 3],
}

impl Receiver {
    pub(super) async fn start(
        schema: &Schema,
        name: String,
        verifier: Verifier,
        source: impl StatusSource,
        reconciler: impl FnOnce(Reconciler) -> Reconciler,
    ) -> Self {
        let store = schema.store().await;
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/kukuruku/callback",
            listener.local_addr().unwrap()
        );
        let app = axum::Router::new().route(
            "/kukuruku/callback",
            callback_route(Arc::clone(&shared), verifier),
        );
        let server = tokio::spawn(async move {
            let _ = Server::new().serve(listener, app).await;
        });
        let (worker_store, worker_name) = (store.clone(), name.clone());
        let worker = tokio::spawn(async move {
            loop {
                if let Err(error) = drain(&worker_store, &worker_name).await {
                    eprintln!("chaos: {worker_name}: applying events failed ({error}); again");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let reconciler = tokio::spawn(reconciler(Reconciler::new(shared, source)).run());
        Self {
            url,
            store,
            name,
            tasks: [server, worker, reconciler],
        }
    }

    /// Applies every event claimable now.
    pub(super) async fn drain(&self) -> Result<usize, Error> {
        drain(&self.store, &self.name).await
    }

    /// Stops the receiver as a crash would: its server, worker (events it holds come back when
    /// their lease ends) and reconciler.
    pub(super) fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// Claims and applies events until none is left.
async fn drain(store: &PostgresStore, worker: &str) -> Result<usize, Error> {
    let mut applied = 0;
    loop {
        let events = store.claim(worker, 64, LEASE).await?;
        if events.is_empty() {
            return Ok(applied);
        }
        let mut batch = tokio::task::JoinSet::new();
        for event in events {
            let store = store.clone();
            batch.spawn(async move { apply(&store, event).await });
        }
        while let Some(done) = batch.join_next().await {
            done.unwrap()?;
            applied += 1;
        }
    }
}

/// The merchant's code for one event: the `consumed` row and a paid payin's credit, in the
/// ledger's transaction that completes the event (the example merchant's pattern).
async fn apply(store: &PostgresStore, event: Event) -> Result<(), Error> {
    let credit = event
        .is_paid_payin()
        .then(|| i64::try_from(event.amount.map_or(0, Amount::minor_units)).unwrap());
    let (row, id, to) = (
        event.id.0,
        event.kukupay_id.as_str().to_owned(),
        event.to.as_str().to_owned(),
    );
    store
        .complete_with(event.id, move |tx| {
            Box::pin(async move {
                tx.execute(
                    "INSERT INTO consumed (event_id, kukupay_id, to_status) VALUES ($1, $2, $3)",
                    &[&row, &id, &to],
                )
                .await?;
                if let Some(units) = credit {
                    tx.execute(
                        "INSERT INTO credits (event_id, kukupay_id, minor_units) VALUES ($1, $2, $3)",
                        &[&row, &id, &units],
                    )
                    .await?;
                }
                Ok::<_, tokio_postgres::Error>(())
            })
        })
        .await?;
    Ok(())
}
