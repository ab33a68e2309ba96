//! A login attempt (state, PKCE verifier, nonce) between the redirect and the callback, and an
//! optional in-memory store that makes it single-use.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kukuruku_proto::{SharedTimeSource, TimeSource, from_unix_seconds};
use kukuruku_tower::SystemClock;
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// What [`KukurukuId::start_login`](crate::KukurukuId::start_login) hands back: where to send the
/// user, and what [`finish_login`](crate::KukurukuId::finish_login) needs when they come back.
///
/// It holds secrets (the PKCE verifier above all): `Debug` redacts them, and they are wiped
/// when it is dropped. It serialises with serde, so it can live in a server-side session store
/// or in an **encrypted, `HttpOnly`, `Secure`, `SameSite=Lax`** cookie (Lax: the callback is a
/// top-level navigation back from KukurukuID, which Lax cookies accompany).
///
/// **Single use.** `finish_login` takes it by value; delete it from wherever you stored it as
/// soon as the callback arrives, whatever the outcome. A copy kept in a cookie could otherwise be
/// replayed; [`AttemptStore`] enforces single use for you in memory. It also expires:
/// `finish_login` refuses it after its time to live (10 minutes by default).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempt {
    pub(crate) state: Secret,
    pub(crate) nonce: Secret,
    pub(crate) pkce_verifier: Secret,
    pub(crate) authorize_url: String,
    pub(crate) issuer: String,
    pub(crate) created_at: u64,
    pub(crate) ttl_secs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) order_id: Option<String>,
}

impl LoginAttempt {
    /// Where to redirect the user's browser (HTTP 302/303 to this URL).
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    /// The `state` sent to KukurukuID; it comes back in the redirect. Use it as the key of a
    /// server-side store. (It is not the secret part: the PKCE verifier and nonce are.)
    pub fn state(&self) -> &str {
        self.state.expose()
    }

    /// The issuer this attempt logs in at.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// When the attempt was created (the Unix epoch if the stored time is beyond what
    /// `SystemTime` holds).
    pub fn created_at(&self) -> SystemTime {
        from_unix_seconds(self.created_at).unwrap_or(UNIX_EPOCH)
    }

    /// How long it stays valid.
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_secs)
    }

    /// When it stops being valid (the Unix epoch, so already expired, if that time is beyond
    /// what `SystemTime` holds).
    pub fn expires_at(&self) -> SystemTime {
        from_unix_seconds(self.created_at.saturating_add(self.ttl_secs)).unwrap_or(UNIX_EPOCH)
    }

    /// Whether it has expired at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        now >= self.expires_at()
    }

    /// The Play order this login is bound to ([`KukurukuId::start_auto_login`](crate::KukurukuId::start_auto_login)).
    /// Untrusted: credit the order only from its verified payment callback.
    pub fn order_id(&self) -> Option<&str> {
        self.order_id.as_deref()
    }
}

impl fmt::Debug for LoginAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginAttempt")
            .field("state", &self.state)
            .field("nonce", &self.nonce)
            .field("pkce_verifier", &self.pkce_verifier)
            .field("issuer", &self.issuer)
            .field("created_at", &self.created_at)
            .field("ttl_secs", &self.ttl_secs)
            .field("order_id", &self.order_id)
            .finish_non_exhaustive()
    }
}

/// An in-memory store of pending login attempts that enforces single use: [`AttemptStore::take`]
/// removes the attempt, so a replayed callback finds nothing
/// ([`Error::UnknownAttempt`](crate::Error::UnknownAttempt)). Expired attempts are dropped as
/// new ones arrive; beyond `capacity`, the oldest go first.
///
/// Fits one server process; behind a load balancer, use a shared store (Redis, a database) with
/// the same take-once semantics (e.g. `GETDEL`).
///
/// ```
/// use kukuruku_oidc::AttemptStore;
/// let store = AttemptStore::new(10_000);
/// assert!(store.is_empty());
/// ```
#[derive(Debug)]
pub struct AttemptStore {
    attempts: Mutex<HashMap<String, LoginAttempt>>,
    capacity: usize,
    time_source: SharedTimeSource,
}

impl AttemptStore {
    /// A store holding at most `capacity` pending attempts (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            attempts: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            time_source: SystemClock::shared(),
        }
    }

    /// The same, reading the time from `source` (default: the system clock), e.g. a closure
    /// in tests.
    #[must_use]
    pub fn time_source(mut self, source: impl TimeSource) -> Self {
        self.time_source = SharedTimeSource::new(source);
        self
    }

    /// Keeps an attempt until its callback arrives.
    pub fn insert(&self, attempt: LoginAttempt) {
        let now = self.time_source.now();
        let mut attempts = self.attempts.lock().unwrap_or_else(PoisonError::into_inner);
        attempts.retain(|_, pending| !pending.is_expired(now));
        while attempts.len() >= self.capacity {
            let oldest = attempts
                .iter()
                .min_by_key(|(_, pending)| pending.created_at)
                .map(|(state, _)| state.clone());
            match oldest {
                Some(state) => attempts.remove(&state),
                None => break,
            };
        }
        attempts.insert(attempt.state().to_owned(), attempt);
    }

    /// Removes and returns the attempt with this `state`: a second call returns `None`.
    pub fn take(&self, state: &str) -> Option<LoginAttempt> {
        self.attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(state)
    }

    /// How many attempts are pending.
    pub fn len(&self) -> usize {
        self.attempts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether none is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        from_unix_seconds(secs).unwrap()
    }

    fn attempt(state: &str, created_at: u64) -> LoginAttempt {
        LoginAttempt {
            state: Secret::new(state.into()),
            nonce: Secret::new("n-SECRET".into()),
            pkce_verifier: Secret::new("v-SECRET".into()),
            authorize_url: "https://auth.example/auth".into(),
            issuer: "https://auth.example/realms/public".into(),
            created_at,
            ttl_secs: 600,
            order_id: None,
        }
    }

    #[test]
    fn debug_hides_secrets_and_serde_round_trips() {
        let attempt = attempt("s-1", 100);
        let debug = format!("{attempt:?}");
        assert!(
            !debug.contains("SECRET") && !debug.contains("s-1"),
            "{debug}"
        );
        let json = serde_json::to_string(&attempt).unwrap();
        let back: LoginAttempt = serde_json::from_str(&json).unwrap();
        assert_eq!(back, attempt);
        assert_eq!(back.expires_at(), at(700));
        assert!(!back.is_expired(at(699)));
        assert!(back.is_expired(at(700)));
    }

    #[test]
    fn store_is_take_once_bounded_and_drops_expired() {
        let now = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(100));
        let clock_now = now.clone();
        let store = AttemptStore::new(2)
            .time_source(move || at(clock_now.load(std::sync::atomic::Ordering::SeqCst)));
        store.insert(attempt("a", 100));
        store.insert(attempt("b", 101));
        store.insert(attempt("c", 102));
        assert_eq!(store.len(), 2);
        assert!(store.take("a").is_none(), "the oldest was evicted");
        assert_eq!(store.take("b").unwrap().state(), "b");
        assert!(store.take("b").is_none(), "single use");
        now.store(10_000, std::sync::atomic::Ordering::SeqCst);
        store.insert(attempt("d", 10_000));
        assert!(store.take("c").is_none(), "expired ones are dropped");
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn a_stamp_beyond_system_time_is_expired_not_a_panic() {
        let attempt = attempt("s-2", u64::MAX);
        assert_eq!(attempt.created_at(), UNIX_EPOCH);
        assert_eq!(attempt.expires_at(), UNIX_EPOCH);
        assert!(attempt.is_expired(at(0)));
    }
}
