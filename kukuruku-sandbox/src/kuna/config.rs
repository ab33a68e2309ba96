//! [`KunaConfig`]: credentials, lifetimes, the signing secret and the clock.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::util::{hex, unique_bytes};

/// A widget token's lifetime by default: 167 490 s (about 46.5 h), as in Kuna's example.
pub const DEFAULT_RAMP_TOKEN_LIFETIME: Duration = Duration::from_secs(167_490);
/// A login token's lifetime by default: 1 h.
pub const DEFAULT_LOGIN_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The sandbox's clock (tests move it to expire tokens).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// How the sandbox's Kuna behaves. Start from [`KunaConfig::default`] and change fields.
/// `Debug` hides the API keys, the password and the HS256 secret.
#[derive(Clone)]
#[non_exhaustive]
pub struct KunaConfig {
    /// API keys accepted in the `api-key` header (default: one random `kuna_sandbox_…` key).
    pub api_keys: Vec<String>,
    /// The `merchant_id` header login requires (default `sandbox-merchant`).
    pub merchant_id: String,
    /// The login (`email` or `login` field) login accepts (default `partner@sandbox.test`).
    pub login: String,
    /// The password login accepts (default `sandbox-password`).
    pub password: String,
    /// The institution id the widget accepts (default `sandbox-institution`).
    pub institution_id: String,
    /// Lifetime of widget tokens (default [`DEFAULT_RAMP_TOKEN_LIFETIME`]).
    pub ramp_token_lifetime: Duration,
    /// Lifetime of login tokens (default [`DEFAULT_LOGIN_TOKEN_LIFETIME`]; make it short to test
    /// renewal).
    pub login_token_lifetime: Duration,
    /// The HS256 key signing both kinds of token (default: 32 random bytes).
    pub hs256_secret: Vec<u8>,
    /// The clock (default: the system clock).
    pub clock: Clock,
}

impl KunaConfig {
    /// The current time by the configured clock.
    pub fn now(&self) -> SystemTime {
        (self.clock)()
    }

    /// Replaces the clock.
    #[must_use]
    pub fn with_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}

impl Default for KunaConfig {
    fn default() -> Self {
        let key = hex(&unique_bytes::<12>());
        Self {
            api_keys: vec![format!("kuna_sandbox_{key}")],
            merchant_id: "sandbox-merchant".into(),
            login: "partner@sandbox.test".into(),
            password: "sandbox-password".into(),
            institution_id: "sandbox-institution".into(),
            ramp_token_lifetime: DEFAULT_RAMP_TOKEN_LIFETIME,
            login_token_lifetime: DEFAULT_LOGIN_TOKEN_LIFETIME,
            hs256_secret: unique_bytes::<32>().to_vec(),
            clock: Arc::new(SystemTime::now),
        }
    }
}

impl fmt::Debug for KunaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KunaConfig")
            .field("api_keys", &format_args!("[*** x{}]", self.api_keys.len()))
            .field("merchant_id", &self.merchant_id)
            .field("login", &self.login)
            .field("password", &"***")
            .field("institution_id", &self.institution_id)
            .field("ramp_token_lifetime", &self.ramp_token_lifetime)
            .field("login_token_lifetime", &self.login_token_lifetime)
            .field("hs256_secret", &"***")
            .finish_non_exhaustive()
    }
}
