//! [`AttemptStore`]: pending login attempts in memory, taken once, bounded overall and per
//! client, evicted by age.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use kukuruku_proto::{SharedTimeSource, TimeSource};
use kukuruku_tower::SystemClock;

use crate::attempt::LoginAttempt;

/// How many pending attempts one client key may hold by default: 5 (a user with a few tabs).
pub const DEFAULT_ATTEMPTS_PER_CLIENT: usize = 5;

/// An in-memory store of pending login attempts that enforces single use: [`AttemptStore::take`]
/// removes the attempt, so a replayed callback finds nothing
/// ([`Error::UnknownAttempt`](crate::Error::UnknownAttempt)).
///
/// Starting a login needs no authentication, so anyone can fill the store. Two bounds keep a
/// flood from pushing out real users' attempts:
///
/// - **per client**: each attempt is inserted under a *client key* that you choose, such as the
///   requester's IP address or the id of its session cookie. A key holds at most
///   [`per_client`](Self::per_client) attempts ([`DEFAULT_ATTEMPTS_PER_CLIENT`]); beyond that,
///   *that key's* oldest attempt is dropped, never another key's. One client starting
///   thousands of logins only ever replaces its own.
/// - **overall**: at most `capacity` attempts; beyond that the oldest go first. Flushing a real
///   user's attempt this way takes `capacity / per_client` distinct client keys within one
///   attempt TTL: size `capacity` for that.
///
/// Expired attempts are dropped, oldest first, as new ones arrive. Attempts are kept in
/// insertion order (an ordered map beside the lookup by `state`), so an insert or a take costs
/// O(log n) (amortised, counting the expired attempts it drops), never a scan of the store.
///
/// Fits one server process; behind a load balancer, use a shared store (Redis, a database) with
/// the same take-once semantics (e.g. `GETDEL`) and the same per-client bound.
///
/// ```
/// use kukuruku_oidc::AttemptStore;
/// let store = AttemptStore::new(10_000).per_client(3);
/// assert!(store.is_empty());
/// ```
#[derive(Debug)]
pub struct AttemptStore {
    pending: Mutex<Pending>,
    capacity: usize,
    per_client: usize,
    time_source: SharedTimeSource,
}

/// The attempts, by `state`, by age and by client key.
#[derive(Debug, Default)]
struct Pending {
    /// `state` → the attempt's place in `by_age`.
    by_state: HashMap<String, u64>,
    /// Insertion order (a counter) → the attempt and its client key: the oldest first.
    by_age: BTreeMap<u64, Entry>,
    /// Client key → the places of its attempts, oldest first.
    by_client: HashMap<String, BTreeSet<u64>>,
    next: u64,
}

#[derive(Debug)]
struct Entry {
    attempt: LoginAttempt,
    client: String,
}

impl Pending {
    fn remove(&mut self, place: u64) -> Option<LoginAttempt> {
        let entry = self.by_age.remove(&place)?;
        self.by_state.remove(entry.attempt.state());
        if let Some(places) = self.by_client.get_mut(&entry.client) {
            places.remove(&place);
            if places.is_empty() {
                self.by_client.remove(&entry.client);
            }
        }
        Some(entry.attempt)
    }

    /// Drops expired attempts from the oldest end, up to the first that is still valid.
    fn drop_expired(&mut self, now: SystemTime) {
        while let Some((&place, entry)) = self.by_age.first_key_value() {
            if !entry.attempt.is_expired(now) {
                break;
            }
            self.remove(place);
        }
    }

    fn client_len(&self, client: &str) -> usize {
        self.by_client.get(client).map_or(0, BTreeSet::len)
    }

    fn oldest_of(&self, client: &str) -> Option<u64> {
        self.by_client.get(client)?.first().copied()
    }

    fn push(&mut self, client: &str, attempt: LoginAttempt) {
        let place = self.next;
        self.next += 1;
        self.by_state.insert(attempt.state().to_owned(), place);
        self.by_client
            .entry(client.to_owned())
            .or_default()
            .insert(place);
        self.by_age.insert(
            place,
            Entry {
                attempt,
                client: client.to_owned(),
            },
        );
    }
}

impl AttemptStore {
    /// A store holding at most `capacity` pending attempts (at least 1), and at most
    /// [`DEFAULT_ATTEMPTS_PER_CLIENT`] per client key.
    pub fn new(capacity: usize) -> Self {
        Self {
            pending: Mutex::new(Pending::default()),
            capacity: capacity.max(1),
            per_client: DEFAULT_ATTEMPTS_PER_CLIENT,
            time_source: SystemClock::shared(),
        }
    }

    /// The most pending attempts one client key holds (at least 1; default
    /// [`DEFAULT_ATTEMPTS_PER_CLIENT`]).
    #[must_use]
    pub fn per_client(mut self, limit: usize) -> Self {
        self.per_client = limit.max(1);
        self
    }

    /// The same, reading the time from `source` (default: the system clock), e.g. a closure
    /// in tests.
    #[must_use]
    pub fn time_source(mut self, source: impl TimeSource) -> Self {
        self.time_source = SharedTimeSource::new(source);
        self
    }

    /// Keeps an attempt until its callback arrives, under `client_key`: whatever identifies
    /// the requester that started it (its IP address, the id of its session cookie). If that
    /// key already holds [`per_client`](Self::per_client) attempts, its oldest is dropped; if
    /// the store is full, the oldest of all is. An attempt with the `state` of one already
    /// pending replaces it.
    pub fn insert(&self, client_key: &str, attempt: LoginAttempt) {
        let now = self.time_source.now();
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        pending.drop_expired(now);
        if let Some(place) = pending.by_state.get(attempt.state()).copied() {
            pending.remove(place);
        }
        while pending.client_len(client_key) >= self.per_client {
            let Some(place) = pending.oldest_of(client_key) else {
                break;
            };
            pending.remove(place);
        }
        while pending.by_age.len() >= self.capacity {
            let Some(place) = pending.by_age.keys().next().copied() else {
                break;
            };
            pending.remove(place);
        }
        pending.push(client_key, attempt);
    }

    /// Removes and returns the attempt with this `state`: a second call returns `None`.
    pub fn take(&self, state: &str) -> Option<LoginAttempt> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let place = pending.by_state.get(state).copied()?;
        pending.remove(place)
    }

    /// How many attempts are pending.
    pub fn len(&self) -> usize {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_age
            .len()
    }

    /// Whether none is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use kukuruku_proto::from_unix_seconds;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        from_unix_seconds(secs).unwrap()
    }

    fn attempt(state: &str, created_at: u64) -> LoginAttempt {
        serde_json::from_value(serde_json::json!({
            "state": state,
            "nonce": "n",
            "pkce_verifier": "v",
            "authorize_url": "https://auth.example/auth",
            "issuer": "https://auth.example/realms/public",
            "created_at": created_at,
            "ttl_secs": 600,
        }))
        .unwrap()
    }

    fn store_at(capacity: usize) -> (AttemptStore, Arc<AtomicU64>) {
        let now = Arc::new(AtomicU64::new(100));
        let clock = now.clone();
        let store =
            AttemptStore::new(capacity).time_source(move || at(clock.load(Ordering::SeqCst)));
        (store, now)
    }

    #[test]
    fn store_is_take_once_bounded_and_drops_expired() {
        let (store, now) = store_at(2);
        store.insert("ann", attempt("a", 100));
        store.insert("bob", attempt("b", 101));
        store.insert("cid", attempt("c", 102));
        assert_eq!(store.len(), 2);
        assert!(store.take("a").is_none(), "the oldest was evicted");
        assert_eq!(store.take("b").unwrap().state(), "b");
        assert!(store.take("b").is_none(), "single use");
        now.store(10_000, Ordering::SeqCst);
        store.insert("ann", attempt("d", 10_000));
        assert!(store.take("c").is_none(), "expired ones are dropped");
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn a_client_beyond_its_cap_replaces_its_own_oldest_only() {
        let (store, _) = store_at(100);
        let store = store.per_client(3);
        store.insert("real-user", attempt("mine", 100));
        for n in 0..50 {
            store.insert("flood", attempt(&format!("f{n}"), 100));
        }
        assert_eq!(store.len(), 4);
        assert!(
            store.take("f46").is_none(),
            "the flood's older attempts went"
        );
        assert!(store.take("f49").is_some());
        assert_eq!(store.take("mine").unwrap().state(), "mine");
        assert_eq!(store.len(), 2, "f47 and f48 remain");
    }

    #[test]
    fn the_same_state_twice_replaces_and_indexes_stay_consistent() {
        let (store, _) = store_at(10);
        store.insert("ann", attempt("s", 100));
        store.insert("bob", attempt("s", 100));
        assert_eq!(store.len(), 1);
        let pending = store.pending.lock().unwrap();
        assert_eq!(pending.by_client.len(), 1);
        assert_eq!(pending.client_len("bob"), 1);
        assert_eq!(pending.by_state.len(), 1);
    }
}
