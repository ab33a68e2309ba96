//! What the payments side is configured with: merchants, KukuPay users, the callback policy.

use std::fmt;
use std::time::Duration;

use kukuruku_sign::SecretKey;
use serde::Serialize;

use super::order::{documented_currency, email_problem};
use crate::UserError;

/// A merchant account: its id, its secret key, and where its callbacks go by default.
///
/// `Debug` never shows the secret.
#[derive(Clone)]
pub struct Merchant {
    pub(crate) id: String,
    pub(crate) key: SecretKey,
    pub(crate) callback_url: Option<String>,
}

impl Merchant {
    /// A merchant with this id (sent as `merchant_id`) and secret key.
    pub fn new(id: impl Into<String>, key: SecretKey) -> Self {
        Self {
            id: id.into(),
            key,
            callback_url: None,
        }
    }

    /// The merchant's default callback URL (an absolute `http` URL the sandbox can reach):
    /// where the callbacks of orders the merchant did not create go, i.e. Play orders
    /// (`POST /sandbox/play` without a `callback_url`).
    #[must_use]
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// The merchant's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The merchant's default callback URL, if set.
    pub fn default_callback_url(&self) -> Option<&str> {
        self.callback_url.as_deref()
    }
}

impl fmt::Debug for Merchant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Merchant")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("callback_url", &self.callback_url)
            .finish()
    }
}

/// A KukuPay user: someone who can pay (Play), receive payouts, and log in to the sandbox
/// KukurukuID (the sandbox keeps one list of users for both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KukuPayUser {
    email: String,
    name: String,
    currency: String,
}

impl KukuPayUser {
    /// A user with this e-mail, name and account currency (`RUB`, `USD` or `USDT`).
    pub fn new(
        email: impl Into<String>,
        name: impl Into<String>,
        currency: impl Into<String>,
    ) -> Self {
        Self {
            email: email.into(),
            name: name.into(),
            currency: currency.into(),
        }
    }

    /// The user's e-mail (their KukuPay login).
    pub fn email(&self) -> &str {
        &self.email
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The user's account currency.
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// Checks the fields: a plausible e-mail, a name, a known currency.
    pub fn validate(&self) -> Result<(), UserError> {
        if email_problem(&self.email).is_some() {
            return Err(UserError::Email(self.email.clone()));
        }
        if self.name.trim().is_empty() {
            return Err(UserError::Name);
        }
        if documented_currency(&self.currency).is_none() {
            return Err(UserError::Currency(self.currency.clone()));
        }
        Ok(())
    }
}

/// How callbacks are delivered (PROTOCOL D8): at least once, retried with exponential back-off
/// after a non-2xx answer or a timeout, and how many deliveries the log keeps.
///
/// The defaults are Kukuruku's: 5 s timeout per try, 8 tries, waiting 1 s before the second
/// try and doubling each time. Each wait is jittered ("equal jitter"): drawn between half the
/// nominal wait ([`backoff_before`](Self::backoff_before)) and the whole of it, so callbacks
/// that failed together do not all retry at once; [`jitter_seed`](Self::jitter_seed) makes the
/// draws the same on every run, [`jitter`](Self::jitter)`(false)` turns them off. The log keeps
/// the last 1000 deliveries ([`log_capacity`](Self::log_capacity)). Tests want milliseconds:
///
/// ```
/// use std::time::Duration;
/// use kukuruku_sandbox::CallbackPolicy;
/// let fast = CallbackPolicy::default()
///     .timeout(Duration::from_millis(500))
///     .max_attempts(4)
///     .initial_backoff(Duration::from_millis(10))
///     .jitter_seed(42);
/// assert_eq!(fast.backoff_before(2), Duration::from_millis(10));
/// assert_eq!(fast.backoff_before(4), Duration::from_millis(40));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallbackPolicy {
    timeout: Duration,
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    jitter: bool,
    jitter_seed: Option<u64>,
    log_capacity: usize,
}

/// The default of [`CallbackPolicy::log_capacity`].
const LOG_CAPACITY: usize = 1000;

impl Default for CallbackPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            max_attempts: 8,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            jitter: true,
            jitter_seed: None,
            log_capacity: LOG_CAPACITY,
        }
    }
}

impl CallbackPolicy {
    /// How long one try may take, connecting included (default 5 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many tries in all, at least 1 (default 8).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the second try; each later wait doubles (default 1 s).
    #[must_use]
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest wait between two tries (default 5 min).
    #[must_use]
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Whether each wait is jittered, drawn between half the nominal wait and the whole of it
    /// (default `true`).
    #[must_use]
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// Seeds the jitter: the same waits on every run (tests); by default each delivery draws
    /// from the operating system's randomness.
    #[must_use]
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// How many deliveries the callback log keeps, at least 1 (default 1000). To make room, the
    /// oldest settled (delivered or failed) delivery is dropped first; when every delivery in
    /// the log is still pending, the oldest pending one is given up (its tries stop).
    #[must_use]
    pub fn log_capacity(mut self, deliveries: usize) -> Self {
        self.log_capacity = deliveries.max(1);
        self
    }

    /// The number of deliveries the log keeps.
    pub fn max_logged(&self) -> usize {
        self.log_capacity
    }

    /// Whether waits are jittered, and with which seed.
    pub(crate) fn jitter_setting(&self) -> (bool, Option<u64>) {
        (self.jitter, self.jitter_seed)
    }

    /// The timeout of one try.
    pub fn try_timeout(&self) -> Duration {
        self.timeout
    }

    /// The number of tries.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The nominal wait before try number `attempt` (counting from 1; zero before the first):
    /// the longest the jittered wait can be.
    pub fn backoff_before(&self, attempt: u32) -> Duration {
        if attempt <= 1 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(attempt - 2).unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_d8() {
        let policy = CallbackPolicy::default();
        assert_eq!(policy.try_timeout(), Duration::from_secs(5));
        assert_eq!(policy.attempts(), 8);
        let waits: Vec<u64> = (1..=8)
            .map(|n| policy.backoff_before(n).as_secs())
            .collect();
        assert_eq!(waits, [0, 1, 2, 4, 8, 16, 32, 64]);
        assert_eq!(policy.backoff_before(60), Duration::from_secs(300));
    }

    #[test]
    fn users_validate() {
        assert!(
            KukuPayUser::new("user@example.com", "Ann", "RUB")
                .validate()
                .is_ok()
        );
        assert_eq!(
            KukuPayUser::new("user@example.com", "Ann", "EUR").validate(),
            Err(UserError::Currency("EUR".into()))
        );
        assert_eq!(
            KukuPayUser::new("user@example.com", " ", "RUB").validate(),
            Err(UserError::Name)
        );
    }

    #[test]
    fn merchant_debug_hides_the_secret() {
        let merchant = Merchant::new("1", SecretKey::new("very-secret-value").unwrap());
        let debug = format!("{merchant:?}");
        assert!(!debug.contains("very-secret-value"), "{debug}");
        assert!(debug.contains("\"1\""));
    }
}
