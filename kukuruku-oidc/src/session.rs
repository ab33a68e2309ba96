//! A logged-in user: tokens and the verified ID-token claims; and what userinfo says.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::clock::from_unix;
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

    /// When the access token expires, if the provider said.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at.map(from_unix)
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

/// The claims of a verified ID token that a merchant uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdClaims {
    /// `iss`: the issuer.
    pub issuer: String,
    /// `sub`: the user's stable id at KukurukuID. Key your accounts on (issuer, subject).
    pub subject: String,
    /// `aud`.
    pub audiences: Vec<String>,
    /// `iat`, seconds since the Unix epoch.
    pub issued_at: u64,
    /// `exp`, seconds since the Unix epoch.
    pub expires_at: u64,
    /// `nonce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `email_verified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// `phone_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// `phone_number_verified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `preferred_username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
}

/// What the standard userinfo endpoint says about the user (its `sub` checked against the
/// session's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// `sub`.
    pub subject: String,
    /// `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `email_verified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// `phone_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `preferred_username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
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
        assert!(debug.contains("a@b.co"));
        assert!(session.is_expired(from_unix(10)));
        let json = serde_json::to_string(&session).unwrap();
        assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), session);
    }
}
