//! The one place the backend is chosen: the run's ledger and its receivers.
//!
//! - **SQLite:** one store (one writer thread, group commit) shared by two receivers (the
//!   example merchant, each with its worker and reconciler) and the application, as in one
//!   process.
//! - **PostgreSQL:** a fresh schema per run; four receivers, each with its own store (pool,
//!   writer tasks), worker and reconciler, as four processes would be; the application has a
//!   store of its own.

use std::sync::Arc;
use std::time::Duration;

use kukuruku_e2e::{client, key};
use kukuruku_ledger::{Reconciler, Server, SqliteStore, Store};
use kukuruku_sandbox::Sandbox;
use kukuruku_sandbox::merchant::{ExampleMerchant, Failure};
use kukuruku_sign::Verifier;
use tempfile::TempDir;
use tokio::task::JoinHandle;

use super::postgres;
use super::verify;

/// Which ledger backend the receivers share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// How many receivers the proxy spreads deliveries across.
    pub(super) fn receivers(self) -> usize {
        match self {
            Self::Sqlite => 2,
            Self::Postgres => 4,
        }
    }
}

/// The run's ledger.
pub(super) enum Ledger {
    Sqlite { store: SqliteStore, _dir: TempDir },
    Postgres(postgres::Schema),
}

/// A receiver of the run: its route served on loopback, its worker, its reconciler.
pub(super) enum Receiver {
    Merchant {
        merchant: ExampleMerchant,
        tasks: [JoinHandle<()>; 2],
    },
    Postgres(postgres::Receiver),
}

/// The receivers' reconciler settings during the run: orders older than 300 ms, back-off.
fn during_run(reconciler: Reconciler) -> Reconciler {
    reconciler
        .min_age(Duration::from_millis(300))
        .interval(Duration::from_millis(100))
        .backoff(Duration::from_millis(200), Duration::from_secs(2))
        .batch(200)
}

impl Ledger {
    /// A fresh ledger on `backend`.
    pub(super) async fn open(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let store = SqliteStore::open(dir.path().join("ledger.sqlite3")).unwrap();
                Self::Sqlite { store, _dir: dir }
            }
            Backend::Postgres => Self::Postgres(postgres::Schema::create().await),
        }
    }

    /// The application's handle on the ledger (creating orders, the last reconciliation).
    pub(super) async fn app_store(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite { store, .. } => Arc::new(store.clone()),
            Self::Postgres(schema) => Arc::new(schema.store().await),
        }
    }

    /// Starts receiver number `index` (a new one each time: a restart calls this again).
    pub(super) async fn receiver(&self, index: usize, sandbox: &Sandbox) -> Receiver {
        let verifier = Verifier::new(&key());
        match self {
            Self::Sqlite { store, .. } => {
                let (merchant, listener) =
                    ExampleMerchant::bind_with(verifier, Failure::None, Some(store.clone()))
                        .await
                        .unwrap();
                let app = merchant.router();
                let server = tokio::spawn(async move {
                    let _ = Server::new().serve(listener, app).await;
                });
                let reconciler = during_run(Reconciler::new(merchant.ledger(), client(sandbox)));
                let reconciler = tokio::spawn(reconciler.run());
                Receiver::Merchant {
                    merchant,
                    tasks: [server, reconciler],
                }
            }
            Self::Postgres(schema) => {
                let name = format!("receiver-{index}-{}", rand_suffix());
                let receiver =
                    postgres::Receiver::start(schema, name, verifier, client(sandbox), during_run);
                Receiver::Postgres(receiver.await)
            }
        }
    }

    /// The SQLite writer's figures (how busy the one writer thread was), printed.
    pub(super) fn print_writer(&self) {
        if let Self::Sqlite { store, .. } = self {
            let stats = store.writer_stats();
            println!(
                "  SQLite writer: {} jobs in {} batches (mean {:.1}, largest {}), running jobs {:.1} s, BEGIN+COMMIT {:.1} s",
                stats.jobs,
                stats.batches,
                stats.mean_batch(),
                stats.largest_batch,
                stats.running.as_secs_f64(),
                stats.committing.as_secs_f64(),
            );
        }
    }

    /// What the ledger holds now.
    pub(super) async fn load(&self) -> verify::Ledger {
        match self {
            Self::Sqlite { store, .. } => verify::Ledger::load(store).await,
            Self::Postgres(schema) => schema.load().await,
        }
    }
}

/// A suffix telling apart the workers of two starts of one receiver.
fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

impl Receiver {
    pub(super) fn callback_url(&self) -> String {
        match self {
            Self::Merchant { merchant, .. } => merchant.callback_url(),
            Self::Postgres(receiver) => receiver.url.clone(),
        }
    }

    /// Applies every event claimable now.
    pub(super) async fn drain(&self) {
        match self {
            Self::Merchant { merchant, .. } => merchant.drain().await.unwrap(),
            Self::Postgres(receiver) => receiver.drain().await.unwrap(),
        };
    }

    /// Stops the receiver as a crash would.
    pub(super) fn stop(self) {
        match self {
            Self::Merchant { tasks, .. } => tasks.into_iter().for_each(|task| task.abort()),
            Self::Postgres(receiver) => receiver.stop(),
        }
    }
}
