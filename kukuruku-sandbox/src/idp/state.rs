//! The provider's in-memory state: keys, codes, tokens, the misbehaviour switches and the
//! request counts.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::SystemTime;

use url::Url;

use super::config::{IdpClient, IdpConfig};
use super::error::IdpError;
use super::grants::{Expiring, GrantStore};
use super::logins::{RecentLogin, RecentLogins};
use super::signing_key::{IdpSigningKey, JwtKey};
use super::users::{IdpUser, IdpUsers};

/// Switches that make the provider misbehave on purpose, so relying parties can be tested
/// through real HTTP. All off by default; they apply to the ID tokens issued while they are set
/// (and [`Misbehave::wrong_iss_in_redirect`] to authorization redirects).
///
/// A plain set of switches (not `#[non_exhaustive]`), so tests write
/// `Misbehave { alg_none: true, ..Misbehave::default() }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // independent test switches, not a state machine
pub struct Misbehave {
    /// Sign ID tokens with another key, under the published `kid`.
    pub sign_with_other_key: bool,
    /// Sign ID tokens with another key whose `kid` the JWKS does not list.
    pub unknown_kid: bool,
    /// Issue unsigned ID tokens (`alg: none`).
    pub alg_none: bool,
    /// Put another client's id in `aud` (and `azp`).
    pub wrong_aud: bool,
    /// Add this audience to `aud` and leave `azp` out.
    pub extra_audience: Option<String>,
    /// Issue ID tokens that expired an hour ago.
    pub expired_id_token: bool,
    /// Put another `nonce` in ID tokens.
    pub wrong_nonce: bool,
    /// Put another `iss` in ID tokens.
    pub wrong_iss_in_token: bool,
    /// Put another `iss` in authorization redirects (RFC 9207 mix-up).
    pub wrong_iss_in_redirect: bool,
}

/// The endpoints, for [`IdpState::hits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdpEndpoint {
    /// `/.well-known/openid-configuration`
    Discovery,
    /// `/protocol/openid-connect/auth`
    Authorize,
    /// `/protocol/openid-connect/token`
    Token,
    /// `/protocol/openid-connect/userinfo`
    UserInfo,
    /// `/protocol/openid-connect/logout`
    Logout,
    /// `/protocol/openid-connect/certs`
    Jwks,
    /// `/api/v1/me`
    Me,
}

/// An authorization code waiting for the token endpoint.
#[derive(Debug, Clone)]
pub(super) struct CodeGrant {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) user: IdpUser,
    pub(super) nonce: Option<String>,
    pub(super) scope: String,
    pub(super) code_challenge: Option<String>,
    pub(super) session_id: String,
    pub(super) auth_time: u64,
    pub(super) expires_at: SystemTime,
}

/// What a refresh token or an access token stands for.
#[derive(Debug, Clone)]
pub(super) struct TokenGrant {
    pub(super) client_id: String,
    pub(super) user: IdpUser,
    pub(super) nonce: Option<String>,
    pub(super) scope: String,
    pub(super) session_id: String,
    pub(super) auth_time: u64,
    pub(super) expires_at: SystemTime,
}

impl Expiring for CodeGrant {
    fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

impl Expiring for TokenGrant {
    fn expires_at(&self) -> SystemTime {
        self.expires_at
    }
}

/// The provider's state: configuration, keys, codes and tokens. Cheap to clone.
#[derive(Clone)]
pub struct IdpState {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) config: IdpConfig,
    issuer_path: String,
    users: IdpUsers,
    pub(super) keys: Mutex<Keys>,
    spare: OnceLock<Result<JwtKey, IdpError>>,
    misbehave: Mutex<Misbehave>,
    pub(super) codes: Mutex<GrantStore<CodeGrant>>,
    pub(super) access_tokens: Mutex<GrantStore<TokenGrant>>,
    pub(super) refresh_tokens: Mutex<GrantStore<TokenGrant>>,
    hits: Mutex<HashMap<IdpEndpoint, u64>>,
    pub(super) logins: Mutex<RecentLogins>,
}

/// The current signing key, and the older ones still published.
pub(super) struct Keys {
    pub(super) current: JwtKey,
    pub(super) previous: Vec<JwtKey>,
}

impl fmt::Debug for IdpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpState")
            .field("issuer", &self.inner.config.issuer)
            .finish_non_exhaustive()
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl IdpState {
    /// Starts the provider's state: checks the issuer and generates the RSA key unless one
    /// is configured (a second or so in a debug build).
    pub fn new(config: IdpConfig) -> Result<Self, IdpError> {
        let users = IdpUsers::new(config.users.iter().cloned());
        Self::with_users(config, users)
    }

    /// [`new`](Self::new), with the users in `users` (shared with whoever holds a clone of it)
    /// instead of `config.users`.
    pub fn with_users(mut config: IdpConfig, users: IdpUsers) -> Result<Self, IdpError> {
        let trimmed = config.issuer.trim_end_matches('/').len();
        config.issuer.truncate(trimmed);
        let url = Url::parse(&config.issuer)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .filter(|url| url.host().is_some() && url.query().is_none() && url.fragment().is_none())
            .ok_or_else(|| IdpError::InvalidIssuer(config.issuer.clone()))?;
        let issuer_path = url.path().trim_end_matches('/').to_owned();
        let key = match &config.signing_key {
            Some(key) => key.clone(),
            None => IdpSigningKey::generate()?,
        };
        let current = JwtKey::new(&key, "sandbox-1");
        let max = config.max_grants;
        let codes = Mutex::new(GrantStore::new(max, config.code_ttl));
        let access_tokens = Mutex::new(GrantStore::new(max, config.access_token_ttl));
        let refresh_tokens = Mutex::new(GrantStore::new(max, config.refresh_token_ttl));
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                issuer_path,
                users,
                keys: Mutex::new(Keys {
                    current,
                    previous: Vec::new(),
                }),
                spare: OnceLock::new(),
                misbehave: Mutex::new(Misbehave::default()),
                codes,
                access_tokens,
                refresh_tokens,
                hits: Mutex::new(HashMap::new()),
                logins: Mutex::default(),
            }),
        })
    }

    /// The issuer.
    pub fn issuer(&self) -> &str {
        &self.inner.config.issuer
    }

    /// The path part of the issuer (`/realms/public`), under which [`router`](super::router)
    /// serves.
    pub fn issuer_path(&self) -> &str {
        &self.inner.issuer_path
    }

    /// The users who can log in (add more with [`IdpUsers::add`]).
    pub fn users(&self) -> &IdpUsers {
        &self.inner.users
    }

    /// The configuration.
    pub fn config(&self) -> &IdpConfig {
        &self.inner.config
    }

    /// Sets the misbehaviour switches (tests).
    pub fn set_misbehave(&self, misbehave: Misbehave) {
        *lock(&self.inner.misbehave) = misbehave;
    }

    pub(super) fn misbehave(&self) -> Misbehave {
        lock(&self.inner.misbehave).clone()
    }

    /// Rotates the signing key: `key` (or a new one) signs from now on under a new `kid`; the
    /// old key stays in the JWKS. Returns the new `kid`.
    pub fn rotate_key(&self, key: Option<IdpSigningKey>) -> Result<String, IdpError> {
        let key = match key {
            Some(key) => key,
            None => IdpSigningKey::generate()?,
        };
        let mut keys = lock(&self.inner.keys);
        let kid = format!("sandbox-{}", keys.previous.len() + 2);
        let old = std::mem::replace(&mut keys.current, JwtKey::new(&key, &kid));
        keys.previous.push(old);
        Ok(kid)
    }

    /// How many requests `endpoint` has received.
    pub fn hits(&self, endpoint: IdpEndpoint) -> u64 {
        lock(&self.inner.hits).get(&endpoint).copied().unwrap_or(0)
    }

    pub(super) fn hit(&self, endpoint: IdpEndpoint) {
        *lock(&self.inner.hits).entry(endpoint).or_insert(0) += 1;
    }

    /// The newest logins, newest first (at most 50).
    pub(crate) fn recent_logins(&self) -> Vec<RecentLogin> {
        lock(&self.inner.logins).newest_first()
    }

    pub(super) fn now(&self) -> SystemTime {
        self.inner.config.now()
    }

    pub(super) fn client(&self, client_id: &str) -> Option<&IdpClient> {
        self.inner
            .config
            .clients
            .iter()
            .find(|client| client.client_id == client_id)
    }

    pub(super) fn user_by_email(&self, email: &str) -> Option<IdpUser> {
        self.inner.users.find(email)
    }

    /// The spare key, made on first use unless configured.
    pub(super) fn spare_key(&self, kid: &str) -> Result<JwtKey, IdpError> {
        let spare = self.inner.spare.get_or_init(|| {
            match &self.inner.config.spare_key {
                Some(key) => Ok(key.clone()),
                None => IdpSigningKey::generate(),
            }
            .map(|key| JwtKey::new(&key, "spare"))
        });
        spare.clone().map(|key| key.with_kid(kid))
    }

    /// The grant of a live access token (an expired one is dropped).
    pub(super) fn access_grant(&self, token: &str) -> Option<TokenGrant> {
        let now = self.now();
        lock(&self.inner.access_tokens).live(token, now).cloned()
    }

    /// How many authorization codes the provider holds (issued, not used; expired ones are
    /// purged as new ones are issued, at most [`IdpConfig::max_grants`]).
    pub fn code_count(&self) -> usize {
        lock(&self.inner.codes).len()
    }

    /// How many access and refresh tokens the provider holds (expired ones are purged as new
    /// ones are issued, at most [`IdpConfig::max_grants`] of each).
    pub fn token_count(&self) -> usize {
        lock(&self.inner.access_tokens).len() + lock(&self.inner.refresh_tokens).len()
    }
}
