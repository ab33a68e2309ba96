//! A logged-in user: the tokens of the token endpoint's answer and the verified ID-token claims.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use kukuruku_proto::{from_unix_seconds, unix_seconds};
use openidconnect::core::CoreTokenResponse;
use openidconnect::{OAuth2TokenResponse, TokenResponse};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::id_token::IdClaims;
use crate::secret::Secret;

/// The result of a finished login (or a refresh): the tokens and the verified identity.
///
/// Serialisable, to keep in a server-side session store. The tokens are credentials: `Debug`
/// redacts them and they are wiped on drop; never send them to the browser.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub(crate) access_token: Secret,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<u64>,
    #[serde(default)]
    pub(crate) scopes: Vec<String>,
    pub(crate) claims: IdClaims,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) order_id: Option<String>,
}

impl Session {
    /// The access token (for `Authorization: Bearer …`).
    pub fn access_token(&self) -> &str {
        self.access_token.expose()
    }

    /// The refresh token, if the provider gave one.
    pub fn refresh_token(&self) -> Option<&str> {
        self.refresh_token.as_ref().map(Secret::expose)
    }

    /// The raw ID token (used as `id_token_hint` at logout).
    pub fn id_token(&self) -> Option<&str> {
        self.id_token.as_ref().map(Secret::expose)
    }

    /// When the access token expires, if the provider said. A stored expiry beyond what
    /// `SystemTime` holds (a tampered or corrupted session) reads as the Unix epoch: expired,
    /// so the session is refreshed rather than trusted for ever.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
            .map(|secs| from_unix_seconds(secs).unwrap_or(UNIX_EPOCH))
    }

    /// Whether the access token has expired at `now` (`false` when the expiry is unknown).
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at().is_some_and(|expiry| now >= expiry)
    }

    /// The scopes granted, when the provider listed them.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The verified identity.
    pub fn claims(&self) -> &IdClaims {
        &self.claims
    }

    /// The Play order the login was bound to, if it started from an auto-login link.
    /// Untrusted: credit the order only from its verified payment callback.
    pub fn order_id(&self) -> Option<&str> {
        self.order_id.as_deref()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("id_token", &self.id_token.as_ref().map(|_| "***"))
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("claims", &self.claims)
            .field("order_id", &self.order_id)
            .finish()
    }
}

impl Session {
    /// The session a token answer opens at `now`: its tokens, and the `previous` session's
    /// refresh and ID tokens where a refresh answer leaves them out.
    ///
    /// An `expires_in` whose end (`now + expires_in`) no `SystemTime` can hold is refused with
    /// [`Error::TokenLifetime`] rather than clamped: a clamp would invent an expiry the
    /// provider never gave, and "never expires" would keep a token past its real end.
    pub(crate) fn from_token_response(
        response: &CoreTokenResponse,
        claims: IdClaims,
        previous: Option<&Session>,
        order_id: Option<String>,
        now: SystemTime,
    ) -> Result<Self, Error> {
        let expires_at = match response.expires_in() {
            Some(lifetime) => Some(expiry(now, lifetime.as_secs())?),
            None => None,
        };
        Ok(Session {
            access_token: Secret::new(response.access_token().secret().clone()),
            refresh_token: response
                .refresh_token()
                .map(|token| Secret::new(token.secret().clone()))
                .or_else(|| previous.and_then(|session| session.refresh_token.clone())),
            id_token: response
                .id_token()
                .map(|token| Secret::new(token.to_string()))
                .or_else(|| previous.and_then(|session| session.id_token.clone())),
            expires_at,
            scopes: response
                .scopes()
                .map(|scopes| {
                    scopes
                        .iter()
                        .map(|scope| scope.as_str().to_owned())
                        .collect()
                })
                .unwrap_or_default(),
            claims,
            order_id,
        })
    }
}

/// `now + expires_in` in Unix seconds, when a `SystemTime` can hold it.
fn expiry(now: SystemTime, expires_in: u64) -> Result<u64, Error> {
    unix_seconds(now)
        .checked_add(expires_in)
        .filter(|secs| from_unix_seconds(*secs).is_some())
        .ok_or(Error::TokenLifetime { expires_in })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_every_token() {
        let session = Session {
            access_token: Secret::new("AT-SECRET".into()),
            refresh_token: Some(Secret::new("RT-SECRET".into())),
            id_token: Some(Secret::new("IT-SECRET".into())),
            expires_at: Some(10),
            scopes: vec!["openid".into()],
            claims: IdClaims {
                issuer: "https://i".into(),
                subject: "u".into(),
                audiences: vec!["c".into()],
                issued_at: 1,
                expires_at: 2,
                nonce: None,
                email: Some("a@b.co".into()),
                email_verified: Some(true),
                phone_number: None,
                phone_number_verified: None,
                name: None,
                preferred_username: None,
            },
            order_id: None,
        };
        let debug = format!("{session:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        // Personal data stays out of Debug as well (issue 15, item 7).
        assert!(!debug.contains("a@b.co"), "{debug}");
        assert!(debug.contains("expires_at: Some(10)"), "{debug}");
        assert!(session.is_expired(from_unix_seconds(10).unwrap()));
        assert!(!session.is_expired(from_unix_seconds(9).unwrap()));
        let json = serde_json::to_string(&session).unwrap();
        assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), session);
    }

    #[test]
    fn an_unrepresentable_lifetime_is_a_typed_error_and_a_stored_one_is_expired() {
        let now = from_unix_seconds(1_000).unwrap();
        assert_eq!(expiry(now, 60).unwrap(), 1_060);
        for huge in [u64::MAX, u64::MAX - 999, u64::MAX - 1_000] {
            assert!(
                matches!(expiry(now, huge), Err(Error::TokenLifetime { expires_in }) if expires_in == huge),
                "{huge}"
            );
        }
        let stored: Session = serde_json::from_value(serde_json::json!({
            "access_token": "a",
            "expires_at": u64::MAX,
            "claims": {"issuer": "i", "subject": "s", "audiences": [], "issued_at": 0, "expires_at": 0},
        }))
        .unwrap();
        assert_eq!(stored.expires_at(), Some(UNIX_EPOCH));
        assert!(stored.is_expired(now));
    }
}
