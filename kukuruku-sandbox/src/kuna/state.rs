//! [`KunaState`]: the customers, the live widget tokens, and the test switches.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value};

use super::config::KunaConfig;

/// The sandbox Kuna's state, shared by the handlers of [`router`](super::router). Cheap to
/// clone; clones share everything. Keep a clone to look inside or flip test switches.
#[derive(Clone)]
pub struct KunaState {
    pub(super) shared: Arc<Shared>,
}

pub(super) struct Shared {
    pub(super) config: KunaConfig,
    store: Mutex<Store>,
}

#[derive(Default)]
pub(super) struct Store {
    /// In creation order.
    pub(super) customers: Vec<CustomerRecord>,
    pub(super) fail_next_auth: u32,
    pub(super) logins: u64,
    pub(super) unauthorized: u64,
}

/// A customer as stored: every wire field, `null` when unset.
pub(super) struct CustomerRecord {
    pub(super) fields: Map<String, Value>,
    /// The session ids (the widget tokens' `id` claim) issued and not invalidated, with their
    /// tokens' `exp` (Unix seconds). Bounded: see [`CustomerRecord::add_session`].
    pub(super) live_sessions: HashMap<String, u64>,
}

/// A customer as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CustomerRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) email: String,
    /// When its longest-lasting valid widget session ends (Unix seconds); `None`: no valid one.
    pub(crate) session_ends: Option<u64>,
}

impl CustomerRecord {
    /// Records a new session ending at `exp`, first dropping the expired ones (at `now`) and,
    /// beyond `max` sessions (at least 1), the ones ending first: their tokens stop working.
    pub(super) fn add_session(&mut self, id: String, exp: u64, now: u64, max: usize) {
        self.live_sessions.retain(|_, ends| *ends > now);
        while self.live_sessions.len() >= max.max(1) {
            let first = self
                .live_sessions
                .iter()
                .min_by_key(|(_, ends)| **ends)
                .map(|(id, _)| id.clone());
            let Some(first) = first else { break };
            self.live_sessions.remove(&first);
        }
        self.live_sessions.insert(id, exp);
    }

    pub(super) fn str(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }
}

impl KunaState {
    /// A fresh state: no customers.
    pub fn new(config: KunaConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                store: Mutex::new(Store::default()),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &KunaConfig {
        &self.shared.config
    }

    /// The first accepted API key (for a ready line: `"kuna_api_key"`); empty if none.
    pub fn api_key(&self) -> &str {
        self.shared
            .config
            .api_keys
            .first()
            .map_or("", String::as_str)
    }

    /// Makes the next authenticated call answer 401, whatever credentials it carries; calling
    /// it twice fails the next two calls, and so on.
    pub fn fail_next_auth(&self) {
        let mut store = self.store();
        store.fail_next_auth = store.fail_next_auth.saturating_add(1);
    }

    /// How many logins succeeded.
    pub fn login_count(&self) -> u64 {
        self.store().logins
    }

    /// How many calls were answered 401 (bad, expired or missing credentials, or the switch).
    pub fn unauthorized_count(&self) -> u64 {
        self.store().unauthorized
    }

    /// The customers, oldest first, as the dashboard shows them.
    pub(crate) fn customer_rows(&self) -> Vec<CustomerRow> {
        let now = kukuruku_proto::unix_seconds(self.shared.config.now());
        let store = self.store();
        store
            .customers
            .iter()
            .map(|customer| {
                let text = |field| customer.str(field).unwrap_or("").to_owned();
                CustomerRow {
                    id: text("id"),
                    name: format!("{} {}", text("firstName"), text("lastName")),
                    email: text("email"),
                    session_ends: customer
                        .live_sessions
                        .values()
                        .copied()
                        .filter(|ends| *ends > now)
                        .max(),
                }
            })
            .collect()
    }

    /// How many customers exist.
    pub fn customer_count(&self) -> usize {
        self.store().customers.len()
    }

    /// Sets a customer's `walletStatus` to any text (e.g. `Blocked`, or a value clients do not
    /// know); `false` if there is no such customer.
    pub fn set_wallet_status(&self, customer_id: &str, status: &str) -> bool {
        self.set_field(customer_id, "walletStatus", status)
    }

    /// Sets a customer's `verificationStatus` to any text; `false` if there is no such customer.
    pub fn set_verification_status(&self, customer_id: &str, status: &str) -> bool {
        self.set_field(customer_id, "verificationStatus", status)
    }

    /// How many widget tokens of the customer work now (issued, not invalidated, not expired).
    pub fn live_token_count(&self, customer_id: &str) -> usize {
        let now = kukuruku_proto::unix_seconds(self.shared.config.now());
        self.store()
            .customers
            .iter()
            .find(|c| c.str("id") == Some(customer_id))
            .map_or(0, |c| {
                c.live_sessions.values().filter(|exp| **exp > now).count()
            })
    }

    fn set_field(&self, customer_id: &str, field: &str, value: &str) -> bool {
        let mut store = self.store();
        let Some(customer) = store
            .customers
            .iter_mut()
            .find(|c| c.str("id") == Some(customer_id))
        else {
            return false;
        };
        customer
            .fields
            .insert(field.into(), Value::String(value.into()));
        true
    }

    pub(super) fn store(&self) -> MutexGuard<'_, Store> {
        // A handler never panics while holding the lock; recover the data if one did.
        self.shared
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for KunaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KunaState")
            .field("config", &self.shared.config)
            .field("customers", &self.customer_count())
            .finish_non_exhaustive()
    }
}
