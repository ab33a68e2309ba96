//! [`KunaConfig`]: credentials, lifetimes, the signing secret and the time source.

use std::fmt;
use std::time::{Duration, SystemTime};

use kukuruku_proto::{SharedTimeSource, TimeSource};
use kukuruku_tower::SystemClock;

use crate::random::unique_bytes;

/// A widget token's lifetime by default: 167 490 s (about 46.5 h), as in Kuna's example.
pub const DEFAULT_RAMP_TOKEN_LIFETIME: Duration = Duration::from_secs(167_490);
/// A login token's lifetime by default: 1 h.
pub const DEFAULT_LOGIN_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

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
    /// The most widget sessions (tokens) a customer has at once (default 100): each new
    /// token first drops the customer's expired ones, then, beyond this, the ones ending
    /// first (those tokens stop working).
    pub max_sessions_per_customer: usize,
    /// The HS256 key signing both kinds of token (default: 32 random bytes).
    pub hs256_secret: Vec<u8>,
    /// Where Kuna reads the time: token `iat`/`exp` and expiry, `createdAt`.
    time_source: SharedTimeSource,
}

impl KunaConfig {
    /// Where Kuna reads the time (default: the system clock, `kukuruku_tower::SystemClock`;
    /// tests move it to expire tokens). A [`Sandbox`](crate::Sandbox) gives it the sandbox's
    /// ([`SandboxBuilder::time_source`](crate::SandboxBuilder::time_source)).
    #[must_use]
    pub fn time_source(mut self, source: impl TimeSource) -> Self {
        self.time_source = SharedTimeSource::new(source);
        self
    }

    /// The current time by the configured time source.
    pub(crate) fn now(&self) -> SystemTime {
        self.time_source.now()
    }
}

impl Default for KunaConfig {
    fn default() -> Self {
        let key = const_hex::encode(unique_bytes::<12>());
        Self {
            api_keys: vec![format!("kuna_sandbox_{key}")],
            merchant_id: "sandbox-merchant".into(),
            login: "partner@sandbox.test".into(),
            password: "sandbox-password".into(),
            institution_id: "sandbox-institution".into(),
            ramp_token_lifetime: DEFAULT_RAMP_TOKEN_LIFETIME,
            login_token_lifetime: DEFAULT_LOGIN_TOKEN_LIFETIME,
            max_sessions_per_customer: 100,
            hs256_secret: unique_bytes::<32>().to_vec(),
            time_source: SystemClock::shared(),
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
            .field("max_sessions_per_customer", &self.max_sessions_per_customer)
            .field("hs256_secret", &"***")
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::super::KunaState;
    use super::*;

    #[test]
    fn config_debug_hides_secrets() {
        let config = KunaConfig::default();
        let key = config.api_keys[0].clone();
        let shown = format!("{:?}", KunaState::new(config));
        assert!(
            !shown.contains(&key) && !shown.contains("sandbox-password"),
            "{shown}"
        );
    }
}
