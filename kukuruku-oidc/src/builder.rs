//! [`KukurukuIdBuilder`]: the client's settings, their defaults, and the checks that turn them
//! into a [`KukurukuId`].

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use kukuruku_proto::{ApiConfig, MerchantId, SharedTimeSource, TimeSource};
use kukuruku_tower::{BoxError, SystemClock};
use tower::Service;
use url::Url;

use crate::client::{Inner, KukurukuId};
use crate::error::Error;
use crate::provider::ProviderCache;
use crate::secret::Secret;
use crate::transport::{BoxedService, Transport, boxed, is_secure_url};

/// The KukurukuID issuer (Keycloak realm `public`).
pub const DEFAULT_ISSUER: &str = "https://auth.kukuruku.win/realms/public";
/// The Kukuruku API base URL, where `GET /api/v1/me` lives.
pub const DEFAULT_API_BASE_URL: &str = "https://api.kukuruku.win";
/// How long a login attempt stays valid by default: 10 minutes.
pub const DEFAULT_ATTEMPT_TTL: Duration = Duration::from_secs(600);
/// The clock skew tolerated on ID-token `exp` and `iat` by default: 30 s.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
/// How long discovery (and the JWKS fetched with it) is cached by default: 1 hour.
pub const DEFAULT_DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// The least time between two JWKS refetches caused by an unknown `kid`, by default: 60 s.
pub const DEFAULT_JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// The default timeout of one HTTP exchange: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read by default: 1 MiB.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// How a confidential client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// `client_secret_basic`: HTTP Basic authentication (the OpenID default).
    #[default]
    Basic,
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    Post,
}

/// Builds a [`KukurukuId`]. Every setting but the client id and redirect URI has a default.
#[must_use]
pub struct KukurukuIdBuilder {
    issuer: String,
    client_id: String,
    client_secret: Option<Secret>,
    redirect_uri: String,
    post_logout_redirect_uris: Vec<String>,
    client_auth: ClientAuth,
    api_base_url: String,
    attempt_ttl: Duration,
    leeway: Duration,
    discovery_ttl: Duration,
    jwks_refetch_interval: Duration,
    timeout: Duration,
    max_body: usize,
    trusted_audiences: HashSet<String>,
    time_source: SharedTimeSource,
    service: Option<BoxedService>,
}

impl fmt::Debug for KukurukuIdBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KukurukuIdBuilder")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl KukurukuId {
    /// Starts building a client for `client_id`, whose users come back to `redirect_uri`
    /// (registered at KukurukuID, exactly).
    pub fn builder(
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> KukurukuIdBuilder {
        KukurukuIdBuilder {
            issuer: DEFAULT_ISSUER.to_owned(),
            client_id: client_id.into(),
            client_secret: None,
            redirect_uri: redirect_uri.into(),
            post_logout_redirect_uris: Vec::new(),
            client_auth: ClientAuth::default(),
            api_base_url: DEFAULT_API_BASE_URL.to_owned(),
            attempt_ttl: DEFAULT_ATTEMPT_TTL,
            leeway: DEFAULT_LEEWAY,
            discovery_ttl: DEFAULT_DISCOVERY_TTL,
            jwks_refetch_interval: DEFAULT_JWKS_REFETCH_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
            trusted_audiences: HashSet::new(),
            time_source: SystemClock::shared(),
            service: None,
        }
    }
}

impl KukurukuIdBuilder {
    /// The issuer (default [`DEFAULT_ISSUER`]). It must be exactly the `issuer` of the
    /// provider's discovery document; https, or http on loopback (a local sandbox).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The client secret: makes this a confidential client (server side). Without it the
    /// client is public and relies on PKCE alone (PKCE is sent in both cases).
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(Secret::new(secret.into()));
        self
    }

    /// A URI the user may be sent back to after logging out (registered at KukurukuID as a
    /// post-logout redirect URI, exactly). Call once per URI.
    /// [`KukurukuId::logout_url`] accepts only these: with none registered, it takes no
    /// `post_logout_redirect_uri` at all.
    pub fn post_logout_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_logout_redirect_uris.push(uri.into());
        self
    }

    /// How the secret is sent to the token endpoint (default [`ClientAuth::Basic`]).
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.client_auth = auth;
        self
    }

    /// The Kukuruku API base URL for [`KukurukuId::profile`] (default [`DEFAULT_API_BASE_URL`]).
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base_url = url.into();
        self
    }

    /// How long a login attempt stays valid (default [`DEFAULT_ATTEMPT_TTL`]).
    pub fn attempt_ttl(mut self, ttl: Duration) -> Self {
        self.attempt_ttl = ttl;
        self
    }

    /// The clock skew tolerated on ID-token `exp`/`iat` (default [`DEFAULT_LEEWAY`]).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// How long discovery and the JWKS are cached (default [`DEFAULT_DISCOVERY_TTL`]).
    pub fn discovery_ttl(mut self, ttl: Duration) -> Self {
        self.discovery_ttl = ttl;
        self
    }

    /// The least time between two JWKS refetches triggered by an ID token with an unknown
    /// `kid` (default [`DEFAULT_JWKS_REFETCH_INTERVAL`]): a forged token cannot make the
    /// client hammer the provider.
    pub fn jwks_refetch_interval(mut self, interval: Duration) -> Self {
        self.jwks_refetch_interval = interval;
        self
    }

    /// The timeout of one HTTP exchange (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest answer read, in bytes (default [`DEFAULT_MAX_BODY`]).
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Another audience the ID token may carry besides this client's id. When the token has
    /// several audiences, its `azp` must then be this client's id.
    pub fn trusted_audience(mut self, audience: impl Into<String>) -> Self {
        self.trusted_audiences.insert(audience.into());
        self
    }

    /// Where the client reads the time: attempt expiry, ID-token `exp`/`iat`, the discovery
    /// cache and the JWKS refetch limit (default: the system clock,
    /// [`kukuruku_tower::SystemClock`]). Any [`TimeSource`] fits, a closure included:
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use kukuruku_oidc::KukurukuId;
    /// let an_hour_later = SystemTime::now() + Duration::from_secs(3600);
    /// let builder = KukurukuId::builder("my-shop", "https://shop.example/auth/callback")
    ///     .time_source(move || an_hour_later);
    /// # let _ = builder;
    /// ```
    pub fn time_source(mut self, source: impl TimeSource) -> Self {
        self.time_source = SharedTimeSource::new(source);
        self
    }

    /// Your own tower HTTP service instead of the built-in transport (feature `transport`).
    /// It must not follow redirects. Any `Service<http::Request<Full<Bytes>>>` answering
    /// `http::Response<B>` fits: a hyper client, a `tower::ServiceBuilder` stack with your
    /// tracing and retry layers, or an in-process test service.
    pub fn transport<S, B>(mut self, service: S) -> Self
    where
        S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.service = Some(boxed(service));
        self
    }

    /// Checks the settings and builds the client. No request is made yet: discovery happens
    /// on first use (or call [`KukurukuId::discover`]).
    pub fn build(self) -> Result<KukurukuId, Error> {
        check_issuer(&self.issuer)?;
        if self.client_id.is_empty() {
            return Err(Error::Config("the client id is empty".into()));
        }
        let redirect_uri = redirect_uri(&self.redirect_uri)?;
        for uri in &self.post_logout_redirect_uris {
            redirect_uri_named("post-logout redirect URI", uri)?;
        }
        let api = api_config(&self.api_base_url)?;
        let service = match self.service {
            Some(service) => service,
            None => default_service()?,
        };
        Ok(KukurukuId {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                client_id: self.client_id,
                client_secret: self.client_secret,
                redirect_uri,
                post_logout_redirect_uris: self.post_logout_redirect_uris,
                client_auth: self.client_auth,
                api,
                attempt_ttl: self.attempt_ttl,
                leeway: self.leeway,
                discovery_ttl: self.discovery_ttl,
                jwks_refetch_interval: self.jwks_refetch_interval,
                trusted_audiences: self.trusted_audiences,
                time_source: self.time_source,
                transport: Transport::new(service, self.timeout, self.max_body),
                cache: ProviderCache::default(),
            }),
        })
    }
}

/// The issuer: a URL, https or loopback http, without query or fragment.
fn check_issuer(issuer: &str) -> Result<(), Error> {
    let url =
        Url::parse(issuer).map_err(|error| Error::Config(format!("issuer {issuer:?}: {error}")))?;
    if !is_secure_url(&url) {
        return Err(Error::InsecureUrl {
            url: issuer.to_owned(),
        });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(
            "the issuer must have no query or fragment".into(),
        ));
    }
    Ok(())
}

/// The redirect URI: a URL without fragment.
fn redirect_uri(text: &str) -> Result<Url, Error> {
    redirect_uri_named("redirect URI", text)
}

/// A redirect URI (`what` names which, for the message): a URL without fragment.
fn redirect_uri_named(what: &str, text: &str) -> Result<Url, Error> {
    let url =
        Url::parse(text).map_err(|error| Error::Config(format!("{what} {text:?}: {error}")))?;
    if url.fragment().is_some() {
        return Err(Error::Config(format!("the {what} must have no fragment")));
    }
    Ok(url)
}

/// The Kukuruku API settings for the profile call.
fn api_config(base_url: &str) -> Result<ApiConfig, Error> {
    MerchantId::new("kukuruku-oidc")
        .map_err(|error| Error::Config(error.to_string()))
        .and_then(|merchant| {
            ApiConfig::new(merchant)
                .with_base_url(base_url)
                .map_err(|error| Error::Config(format!("API base URL: {error}")))
        })
}

#[cfg(feature = "transport")]
fn default_service() -> Result<BoxedService, Error> {
    let transport = kukuruku_tower::transport::HttpsTransport::new()
        .map_err(|error| Error::Config(error.to_string()))?;
    Ok(boxed(transport))
}

#[cfg(not(feature = "transport"))]
fn default_service() -> Result<BoxedService, Error> {
    Err(Error::Config(
        "no HTTP transport: enable the `transport` feature or call KukurukuIdBuilder::transport"
            .into(),
    ))
}
