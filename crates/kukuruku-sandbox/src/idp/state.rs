//! The provider's configuration and its in-memory state.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use rsa::RsaPrivateKey;
use url::Url;

use super::jwt::{SigningKey, generate_key};

/// Where the provider reads the time (token `iat`/`exp`, code and token expiry).
#[derive(Clone)]
pub struct IdpClock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl IdpClock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(SystemTime::now))
    }

    /// A clock that asks `now` (tests).
    pub fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl fmt::Debug for IdpClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdpClock")
    }
}

/// A registered client (relying party).
#[derive(Clone)]
#[non_exhaustive]
pub struct IdpClient {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`: `Some` for a confidential client (basic or post authentication), `None`
    /// for a public one (PKCE required).
    pub client_secret: Option<String>,
    /// The redirect URIs, matched exactly.
    pub redirect_uris: Vec<String>,
    /// The `post_logout_redirect_uri`s, matched exactly.
    pub post_logout_redirect_uris: Vec<String>,
}

impl IdpClient {
    /// A confidential client.
    pub fn confidential<I, S>(client_id: &str, secret: &str, redirect_uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            client_id: client_id.to_owned(),
            client_secret: Some(secret.to_owned()),
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
            post_logout_redirect_uris: Vec::new(),
        }
    }

    /// A public client (no secret; PKCE required).
    pub fn public<I, S>(client_id: &str, redirect_uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            client_id: client_id.to_owned(),
            client_secret: None,
            redirect_uris: redirect_uris.into_iter().map(Into::into).collect(),
            post_logout_redirect_uris: Vec::new(),
        }
    }

    /// Adds an allowed `post_logout_redirect_uri`.
    #[must_use]
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uris.push(uri.into());
        self
    }
}

impl fmt::Debug for IdpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

/// A sandbox user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdpUser {
    /// `sub`: the user's UUID.
    pub sub: String,
    /// The confirmed e-mail.
    pub email: String,
    /// The display name.
    pub name: String,
    /// The phone number, if any.
    pub phone: Option<String>,
    /// The currency of the user's Kukuruku balance (`RUB`, `USD`, `USDT`, …), if any.
    pub currency: Option<String>,
}

impl IdpUser {
    /// A user.
    pub fn new(sub: &str, email: &str, name: &str) -> Self {
        Self {
            sub: sub.to_owned(),
            email: email.to_owned(),
            name: name.to_owned(),
            phone: None,
            currency: None,
        }
    }

    /// With a phone number.
    #[must_use]
    pub fn phone(mut self, phone: &str) -> Self {
        self.phone = Some(phone.to_owned());
        self
    }

    /// With a currency.
    #[must_use]
    pub fn currency(mut self, currency: &str) -> Self {
        self.currency = Some(currency.to_owned());
        self
    }
}

/// The provider's settings. [`IdpConfig::new`] has two demo users and no client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdpConfig {
    /// The issuer, e.g. `http://127.0.0.1:PORT/realms/public`; the routes live under its path.
    pub issuer: String,
    /// The registered clients.
    pub clients: Vec<IdpClient>,
    /// The users shown on the login page.
    pub users: Vec<IdpUser>,
    /// Lifetime of access tokens (default 5 min).
    pub access_token_ttl: Duration,
    /// Lifetime of ID tokens (default 5 min).
    pub id_token_ttl: Duration,
    /// Lifetime of refresh tokens (default 30 min).
    pub refresh_token_ttl: Duration,
    /// Lifetime of authorization codes (default 60 s).
    pub code_ttl: Duration,
    /// The clock (default: the system's).
    pub clock: IdpClock,
    /// The RSA signing key; `None`: a 2048-bit key is generated at start.
    pub signing_key: Option<Arc<RsaPrivateKey>>,
    /// The key used by [`Misbehave::sign_with_other_key`] and [`Misbehave::unknown_kid`];
    /// `None`: generated when first needed.
    pub spare_key: Option<Arc<RsaPrivateKey>>,
}

impl IdpConfig {
    /// Settings for `issuer`, with the demo users `ann@example.com` (RUB, with a phone) and
    /// `bob@example.com` (USD), and no client.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            clients: Vec::new(),
            users: vec![
                IdpUser::new(
                    "9b2f4c1e-0d7a-4f7e-9a57-2d4f1c7e8a01",
                    "ann@example.com",
                    "Ann Example",
                )
                .phone("+70000000001")
                .currency("RUB"),
                IdpUser::new(
                    "4c1e9b2f-7a0d-4e7f-8a01-9a572d4f1c7e",
                    "bob@example.com",
                    "Bob Example",
                )
                .currency("USD"),
            ],
            access_token_ttl: Duration::from_secs(300),
            id_token_ttl: Duration::from_secs(300),
            refresh_token_ttl: Duration::from_secs(1800),
            code_ttl: Duration::from_secs(60),
            clock: IdpClock::system(),
            signing_key: None,
            spare_key: None,
        }
    }

    /// Adds a client.
    #[must_use]
    pub fn client(mut self, client: IdpClient) -> Self {
        self.clients.push(client);
        self
    }

    /// Replaces the users.
    #[must_use]
    pub fn users(mut self, users: Vec<IdpUser>) -> Self {
        self.users = users;
        self
    }

    /// Uses this signing key instead of generating one (tests share one).
    #[must_use]
    pub fn signing_key(mut self, key: Arc<RsaPrivateKey>) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// Uses this spare key for the misbehaviours that need another key.
    #[must_use]
    pub fn spare_key(mut self, key: Arc<RsaPrivateKey>) -> Self {
        self.spare_key = Some(key);
        self
    }

    /// Uses this clock.
    #[must_use]
    pub fn clock(mut self, clock: IdpClock) -> Self {
        self.clock = clock;
        self
    }
}

/// Switches that make the provider misbehave on purpose, so relying parties can be tested
/// through real HTTP. All off by default; they apply to the ID tokens issued while they are set
/// (and [`Misbehave::wrong_iss_in_redirect`] to authorization redirects).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
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

/// Why the provider could not start or build a URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IdpError {
    /// The issuer is not an absolute http(s) URL without query or fragment.
    #[error("the sandbox issuer {0:?} is not an absolute http(s) URL without query or fragment")]
    InvalidIssuer(String),
    /// The RSA key could not be generated.
    #[error("could not generate the sandbox IdP's RSA key: {0}")]
    KeyGeneration(String),
    /// The merchant URL of a Play redirect is not an absolute http(s) URL.
    #[error("the merchant URL {0:?} is not an absolute http(s) URL")]
    InvalidMerchantUrl(String),
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

/// The provider's state: configuration, keys, codes and tokens. Cheap to clone.
#[derive(Clone)]
pub struct IdpState {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) config: IdpConfig,
    issuer_path: String,
    pub(super) keys: Mutex<Keys>,
    spare: OnceLock<Result<SigningKey, String>>,
    misbehave: Mutex<Misbehave>,
    pub(super) codes: Mutex<HashMap<String, CodeGrant>>,
    pub(super) access_tokens: Mutex<HashMap<String, TokenGrant>>,
    pub(super) refresh_tokens: Mutex<HashMap<String, TokenGrant>>,
    hits: Mutex<HashMap<IdpEndpoint, u64>>,
}

/// The current signing key, and the older ones still published.
pub(super) struct Keys {
    pub(super) current: SigningKey,
    pub(super) previous: Vec<SigningKey>,
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
    pub fn new(mut config: IdpConfig) -> Result<Self, IdpError> {
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
            None => Arc::new(generate_key().map_err(IdpError::KeyGeneration)?),
        };
        let current = SigningKey::new(key, "sandbox-1");
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                issuer_path,
                keys: Mutex::new(Keys {
                    current,
                    previous: Vec::new(),
                }),
                spare: OnceLock::new(),
                misbehave: Mutex::new(Misbehave::default()),
                codes: Mutex::new(HashMap::new()),
                access_tokens: Mutex::new(HashMap::new()),
                refresh_tokens: Mutex::new(HashMap::new()),
                hits: Mutex::new(HashMap::new()),
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
    pub fn rotate_key(&self, key: Option<Arc<RsaPrivateKey>>) -> Result<String, IdpError> {
        let key = match key {
            Some(key) => key,
            None => Arc::new(generate_key().map_err(IdpError::KeyGeneration)?),
        };
        let mut keys = lock(&self.inner.keys);
        let kid = format!("sandbox-{}", keys.previous.len() + 2);
        let old = std::mem::replace(&mut keys.current, SigningKey::new(key, &kid));
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

    pub(super) fn now(&self) -> SystemTime {
        self.inner.config.clock.now()
    }

    pub(super) fn client(&self, client_id: &str) -> Option<&IdpClient> {
        self.inner
            .config
            .clients
            .iter()
            .find(|client| client.client_id == client_id)
    }

    pub(super) fn user_by_email(&self, email: &str) -> Option<&IdpUser> {
        self.inner
            .config
            .users
            .iter()
            .find(|user| user.email.eq_ignore_ascii_case(email))
    }

    /// The spare key, made on first use unless configured.
    pub(super) fn spare_key(&self, kid: &str) -> Result<SigningKey, String> {
        let spare = self.inner.spare.get_or_init(|| {
            match &self.inner.config.spare_key {
                Some(key) => Ok(key.clone()),
                None => generate_key().map(Arc::new),
            }
            .map(|key| SigningKey::new(key, "spare"))
        });
        spare.clone().map(|key| key.with_kid(kid))
    }

    /// The grant of a live access token.
    pub(super) fn access_grant(&self, token: &str) -> Option<TokenGrant> {
        let now = self.now();
        lock(&self.inner.access_tokens)
            .get(token)
            .filter(|grant| grant.expires_at > now)
            .cloned()
    }
}
