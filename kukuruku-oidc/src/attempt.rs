//! A login attempt (state, PKCE verifier, nonce) between the redirect and the callback, and an
//! optional in-memory store that makes it single-use.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, from_unix};
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

    /// When the attempt was created.
    pub fn created_at(&self) -> SystemTime {
        from_unix(self.created_at)
    }

    /// How long it stays valid.
    pub fn ttl(&self) -> Duration {
        Duration::from_secs(self.ttl_secs)
    }

    /// When it stops being valid.
    pub fn expires_at(&self) -> SystemTime {
        from_unix(self.created_at.saturating_add(self.ttl_secs))
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

/// Options of a login beyond the scopes: hints for KukurukuID and extra parameters.
///
/// ```
/// use kukuruku_oidc::LoginOptions;
/// let options = LoginOptions::new(["profile", "email"]).login_hint("ann@example.com");
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct LoginOptions {
    pub(crate) scopes: Vec<String>,
    pub(crate) login_hint: Option<String>,
    pub(crate) prompt: Option<String>,
    pub(crate) extra: Vec<(String, String)>,
}

impl LoginOptions {
    /// Options with these scopes (`openid` is always added).
    pub fn new<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            scopes: scopes.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// `login_hint`: the e-mail to pre-fill.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// `prompt` (`none`, `login`, `consent`, `select_account`).
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }

    /// Any other authorization parameter (e.g. `ui_locales`). The parameters this crate sets
    /// itself (`state`, `nonce`, PKCE, `redirect_uri`, …) cannot be overridden: they are ignored.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
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
    clock: Clock,
}

impl AttemptStore {
    /// A store holding at most `capacity` pending attempts (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            attempts: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            clock: Clock::system(),
        }
    }

    /// The same, with another clock (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Keeps an attempt until its callback arrives.
    pub fn insert(&self, attempt: LoginAttempt) {
        let now = self.clock.now();
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
        assert_eq!(back.expires_at(), from_unix(700));
        assert!(!back.is_expired(from_unix(699)));
        assert!(back.is_expired(from_unix(700)));
    }

    #[test]
    fn store_is_take_once_bounded_and_drops_expired() {
        let now = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(100));
        let clock_now = now.clone();
        let store = AttemptStore::new(2).with_clock(Clock::from_fn(move || {
            from_unix(clock_now.load(std::sync::atomic::Ordering::SeqCst))
        }));
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
}
