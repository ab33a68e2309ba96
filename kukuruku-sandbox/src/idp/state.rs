//! The provider's configuration and its in-memory state.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;
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
    /// Whether any `http` redirect URI on a loopback host (`127.0.0.1`, `[::1]`, `localhost`;
    /// any port and path) is accepted besides [`redirect_uris`](Self::redirect_uris), as for
    /// native apps (RFC 8252 7.3): a merchant on a random local port can log in without
    /// registering it. Off unless set with [`allow_loopback_redirects`](Self::allow_loopback_redirects).
    pub loopback_redirects: bool,
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
            loopback_redirects: false,
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
            loopback_redirects: false,
        }
    }

    /// Also accepts any `http` redirect URI on a loopback host (see
    /// [`loopback_redirects`](Self::loopback_redirects)).
    #[must_use]
    pub fn allow_loopback_redirects(mut self) -> Self {
        self.loopback_redirects = true;
        self
    }

    /// Adds an allowed redirect URI (matched exactly).
    #[must_use]
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Whether `uri` is a redirect URI of this client.
    pub fn accepts_redirect(&self, uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| registered == uri)
            || (self.loopback_redirects && is_loopback_http(uri))
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
            .field("loopback_redirects", &self.loopback_redirects)
            .finish_non_exhaustive()
    }
}

/// An absolute `http` URL on a loopback host, without user info or fragment.
fn is_loopback_http(uri: &str) -> bool {
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    url.scheme() == "http" && loopback && url.username().is_empty() && url.fragment().is_none()
}

/// The users a provider knows, by e-mail (case-insensitive). Cheap to clone; clones share the
/// list, so users added through one are seen by all: the full sandbox keeps its KukuPay users
/// here, and they are its KukurukuID users.
#[derive(Clone, Default)]
pub struct IdpUsers {
    users: Arc<Mutex<BTreeMap<String, IdpUser>>>,
}

impl IdpUsers {
    /// A list with these users (a later one with the same e-mail is ignored).
    pub fn new(users: impl IntoIterator<Item = IdpUser>) -> Self {
        let list = Self::default();
        for user in users {
            list.add(user);
        }
        list
    }

    /// Adds a user; `false` (and nothing changes) when one has this e-mail already.
    pub fn add(&self, user: IdpUser) -> bool {
        let mut users = lock(&self.users);
        let key = user.email.to_ascii_lowercase();
        if users.contains_key(&key) {
            return false;
        }
        users.insert(key, user);
        true
    }

    /// The user with this e-mail (any case).
    pub fn find(&self, email: &str) -> Option<IdpUser> {
        lock(&self.users).get(&email.to_ascii_lowercase()).cloned()
    }

    /// Every user, by e-mail.
    pub fn all(&self) -> Vec<IdpUser> {
        lock(&self.users).values().cloned().collect()
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        lock(&self.users).len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for IdpUsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(lock(&self.users).values().map(|user| &user.email))
            .finish()
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
    /// The users shown on the login page at start ([`IdpState::users`] holds them, and any
    /// added later).
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
    users: IdpUsers,
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
            None => Arc::new(generate_key().map_err(IdpError::KeyGeneration)?),
        };
        let current = SigningKey::new(key, "sandbox-1");
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

    pub(super) fn user_by_email(&self, email: &str) -> Option<IdpUser> {
        self.inner.users.find(email)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_are_accepted_only_when_allowed() {
        let exact = IdpClient::public("spa", ["https://shop.example/cb"]);
        let loopback = exact.clone().allow_loopback_redirects();
        for uri in [
            "http://127.0.0.1:41234/auth/callback",
            "http://localhost:3000/cb?x=1",
            "http://[::1]:8080/",
        ] {
            assert!(!exact.accepts_redirect(uri), "{uri}");
            assert!(loopback.accepts_redirect(uri), "{uri}");
        }
        for uri in [
            "https://127.0.0.1:1/cb",
            "http://127.0.0.1.evil.example/cb",
            "http://user@127.0.0.1:1/cb",
            "http://127.0.0.1:1/cb#frag",
            "http://shop.example/cb",
            "not a url",
        ] {
            assert!(!loopback.accepts_redirect(uri), "{uri}");
        }
        assert!(exact.accepts_redirect("https://shop.example/cb"));
        assert!(!exact.accepts_redirect("https://shop.example/cb/"));
    }

    #[test]
    fn users_are_one_shared_list_by_email() {
        let users = IdpUsers::new([IdpUser::new("1", "Ann@Example.com", "Ann")]);
        let shared = users.clone();
        assert!(!shared.add(IdpUser::new("2", "ann@example.COM", "Other Ann")));
        assert!(shared.add(IdpUser::new("3", "bob@example.com", "Bob")));
        assert_eq!(users.len(), 2);
        assert_eq!(
            users.find("ANN@example.com").map(|user| user.sub),
            Some("1".into())
        );
        assert_eq!(
            format!("{users:?}"),
            r#"["Ann@Example.com", "bob@example.com"]"#
        );
    }
}
