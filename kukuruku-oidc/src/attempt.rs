//! A login attempt (state, PKCE verifier, nonce) between the redirect and the callback, and
//! when it stops being valid.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kukuruku_proto::{from_unix_seconds, unix_seconds};
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
/// replayed; [`AttemptStore`](crate::AttemptStore) enforces single use for you in memory. It also
/// expires: `finish_login` refuses it after its time to live (10 minutes by default).
///
/// A deserialised attempt is untrusted data: whatever numbers it carries, its time checks never
/// panic and fail closed (see [`is_expired`](Self::is_expired)).
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
        self.end_secs()
            .and_then(from_unix_seconds)
            .unwrap_or(UNIX_EPOCH)
    }

    /// Whether it has expired at `now`: `now` is at or past [`expires_at`](Self::expires_at).
    ///
    /// Fails closed on numbers no clock produced: an attempt whose end is beyond what
    /// `SystemTime` holds is expired, and so is one stamped at least its whole time to live
    /// ahead of `now` (a clock gone wrong, or a forged stamp), so that a far-future
    /// `created_at` cannot make an attempt live for ever. A stamp less than one TTL ahead (clock
    /// skew between servers) is accepted.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        let Some(end) = self.end_secs().and_then(from_unix_seconds) else {
            return true;
        };
        let ahead = self.created_at.saturating_sub(unix_seconds(now));
        now >= end || ahead >= self.ttl_secs
    }

    /// `created_at + ttl_secs` in Unix seconds, `None` if that overflows.
    fn end_secs(&self) -> Option<u64> {
        self.created_at.checked_add(self.ttl_secs)
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
    fn a_stamp_beyond_system_time_is_expired_not_a_panic() {
        let attempt = attempt("s-2", u64::MAX);
        assert_eq!(attempt.created_at(), UNIX_EPOCH);
        assert_eq!(attempt.expires_at(), UNIX_EPOCH);
        assert!(attempt.is_expired(at(0)));
        let overflowing = LoginAttempt {
            ttl_secs: u64::MAX,
            ..attempt_at(u64::MAX - 5)
        };
        assert_eq!(overflowing.expires_at(), UNIX_EPOCH);
        assert!(overflowing.is_expired(at(0)));
        assert!(overflowing.is_expired(at(u64::MAX / 4)));
    }

    fn attempt_at(created_at: u64) -> LoginAttempt {
        attempt("s", created_at)
    }

    #[test]
    fn a_stamp_a_whole_ttl_in_the_future_is_expired() {
        // Representable, but ten years ahead: without the check it would be valid for ten years.
        let ten_years = 10 * 365 * 24 * 3600;
        let forged = attempt_at(1_000 + ten_years);
        assert!(forged.is_expired(at(1_000)));
        // Clock skew of less than one TTL between the server that started and the one that
        // finishes is accepted.
        let skewed = attempt_at(1_030);
        assert!(!skewed.is_expired(at(1_000)));
        assert!(attempt_at(1_600).is_expired(at(1_000)));
        let zero_ttl = LoginAttempt {
            ttl_secs: 0,
            ..attempt_at(1_000)
        };
        assert!(zero_ttl.is_expired(at(1_000)));
    }
}
