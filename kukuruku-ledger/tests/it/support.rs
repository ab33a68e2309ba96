//! Helpers shared by the tests: a clock the tests move, callback bodies, signing.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use kukuruku_ledger::{SqliteStore, Store};
use kukuruku_proto::SharedTimeSource;
use kukuruku_sign::{SecretKey, Signer, Verifier};

pub(crate) const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
pub(crate) const OLD_KEY: &str = "previous-secret-key-0123456789";

/// A clock that moves only when told, starting at 2023-11-14.
#[derive(Clone, Debug)]
pub(crate) struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    pub(crate) fn new() -> Self {
        Self(Arc::new(AtomicU64::new(1_700_000_000_000)))
    }

    pub(crate) fn advance(&self, by: Duration) {
        self.0
            .fetch_add(u64::try_from(by.as_millis()).unwrap(), Ordering::SeqCst);
    }

    pub(crate) fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0.load(Ordering::SeqCst))
    }

    pub(crate) fn source(&self) -> SharedTimeSource {
        let clock = self.clone();
        SharedTimeSource::new(move || clock.now())
    }
}

/// A store under test, with what must live as long as it (a temporary folder).
pub(crate) struct Backend {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: ManualClock,
    pub(crate) _keep: Box<dyn Any + Send>,
}

/// A fresh SQLite store in a temporary folder, on `clock`.
pub(crate) fn sqlite(clock: &ManualClock) -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::options(dir.path().join("ledger.sqlite3"))
        .time_source(clock.source())
        .open()
        .unwrap();
    (store, dir)
}

/// The opener the suite runs the SQLite backend with.
pub(crate) async fn sqlite_backend(clock: ManualClock) -> Backend {
    let (store, dir) = sqlite(&clock);
    Backend {
        store: Arc::new(store),
        clock,
        _keep: Box::new(dir),
    }
}

/// A callback body for order `id`.
pub(crate) fn callback(id: &str, number: Option<&str>, status: &str) -> Bytes {
    let mut body = serde_json::json!({ "uuid": id, "status": status, "amount": 50_000, "currency": "RUB", "type": "payin" });
    if let Some(number) = number {
        body["order_number"] = number.into();
    }
    Bytes::from(serde_json::to_vec(&body).unwrap())
}

pub(crate) fn key() -> SecretKey {
    SecretKey::new(KEY).unwrap()
}

pub(crate) fn verifier() -> Verifier {
    Verifier::new(&key())
}

/// The `signature` header value for `body` under `key`.
pub(crate) fn sign_with(key: &str, body: &[u8]) -> String {
    Signer::new(&SecretKey::new(key).unwrap())
        .sign(body)
        .to_hex()
        .as_str()
        .to_owned()
}
