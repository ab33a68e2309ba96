//! [`KukurukuId`]: one concrete client for KukurukuID login, built with [`KukurukuIdBuilder`].

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use kukuruku_proto::{ApiConfig, Endpoint, MerchantId, Profile, ProfileRequest};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreIdToken, CoreIdTokenClaims,
    CoreJsonWebKeySet, CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    SignatureVerificationError, StandardErrorResponse, SubjectIdentifier, TokenResponse, TokenUrl,
    UserInfoError, UserInfoUrl,
};
use subtle::ConstantTimeEq;
use tower::Service;
use url::Url;

use crate::AttemptStore;
use crate::attempt::{LoginAttempt, LoginOptions};
use crate::autologin::AutoLogin;
use crate::clock::{Clock, unix_secs};
use crate::error::{AuthorizationErrorCode, BoxError, Error, IdTokenError, TokenErrorCode};
use crate::http::{Http, Transport, boxed, is_secure_url};
use crate::provider::{self, Provider, ProviderCache};
use crate::redirect::RedirectQuery;
use crate::secret::Secret;
use crate::session::{IdClaims, Session, UserInfo};

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

/// A marker in the `iat` verifier's message, to tell "issued in the future" from "expired".
const IAT_FUTURE: &str = "issued in the future";

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

/// The openidconnect client shape this crate uses (authorization and token endpoints set).
type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
>;

type TokenError =
    RequestTokenError<crate::http::HttpError, StandardErrorResponse<CoreErrorResponseType>>;

/// A KukurukuID client: login with PKCE, refresh, userinfo, profile, logout URL, Play.
///
/// One concrete type, cheap to clone (an `Arc` inside): build it once at start-up and share it.
/// It caches discovery and the provider's keys. See the [crate docs](crate) for the flow.
#[derive(Clone)]
pub struct KukurukuId {
    inner: Arc<Inner>,
}

struct Inner {
    issuer: String,
    client_id: String,
    client_secret: Option<Secret>,
    redirect_uri: Url,
    client_auth: ClientAuth,
    api: ApiConfig,
    attempt_ttl: Duration,
    leeway: Duration,
    discovery_ttl: Duration,
    jwks_refetch_interval: Duration,
    trusted_audiences: HashSet<String>,
    clock: Clock,
    http: Http,
    cache: ProviderCache,
}

impl fmt::Debug for KukurukuId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("KukurukuId")
            .field("issuer", &inner.issuer)
            .field("client_id", &inner.client_id)
            .field(
                "client_secret",
                &inner.client_secret.as_ref().map(|_| "***"),
            )
            .field("redirect_uri", &inner.redirect_uri.as_str())
            .field("client_auth", &inner.client_auth)
            .field("api_base_url", &inner.api.base_url())
            .finish_non_exhaustive()
    }
}

/// Builds a [`KukurukuId`]. Every setting but the client id and redirect URI has a default.
#[must_use]
pub struct KukurukuIdBuilder {
    issuer: String,
    client_id: String,
    client_secret: Option<Secret>,
    redirect_uri: String,
    client_auth: ClientAuth,
    api_base_url: String,
    attempt_ttl: Duration,
    leeway: Duration,
    discovery_ttl: Duration,
    jwks_refetch_interval: Duration,
    timeout: Duration,
    max_body: usize,
    trusted_audiences: HashSet<String>,
    clock: Clock,
    transport: Option<Transport>,
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

    /// The clock (default [`Clock::system`]).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
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
        self.transport = Some(boxed(service));
        self
    }

    /// Checks the settings and builds the client. No request is made yet: discovery happens
    /// on first use (or call [`KukurukuId::discover`]).
    pub fn build(self) -> Result<KukurukuId, Error> {
        let issuer_url = Url::parse(&self.issuer)
            .map_err(|error| Error::Config(format!("issuer {:?}: {error}", self.issuer)))?;
        if !is_secure_url(&issuer_url) {
            return Err(Error::InsecureUrl { url: self.issuer });
        }
        if issuer_url.query().is_some() || issuer_url.fragment().is_some() {
            return Err(Error::Config(
                "the issuer must have no query or fragment".into(),
            ));
        }
        if self.client_id.is_empty() {
            return Err(Error::Config("the client id is empty".into()));
        }
        let redirect_uri = Url::parse(&self.redirect_uri).map_err(|error| {
            Error::Config(format!("redirect URI {:?}: {error}", self.redirect_uri))
        })?;
        if redirect_uri.fragment().is_some() {
            return Err(Error::Config(
                "the redirect URI must have no fragment".into(),
            ));
        }
        let api = MerchantId::new("kukuruku-oidc")
            .map_err(|error| Error::Config(error.to_string()))
            .and_then(|merchant| {
                ApiConfig::new(merchant)
                    .with_base_url(&self.api_base_url)
                    .map_err(|error| Error::Config(format!("API base URL: {error}")))
            })?;
        let transport = match self.transport {
            Some(transport) => transport,
            None => default_transport()?,
        };
        Ok(KukurukuId {
            inner: Arc::new(Inner {
                issuer: self.issuer,
                client_id: self.client_id,
                client_secret: self.client_secret,
                redirect_uri,
                client_auth: self.client_auth,
                api,
                attempt_ttl: self.attempt_ttl,
                leeway: self.leeway,
                discovery_ttl: self.discovery_ttl,
                jwks_refetch_interval: self.jwks_refetch_interval,
                trusted_audiences: self.trusted_audiences,
                clock: self.clock,
                http: Http::new(transport, self.timeout, self.max_body),
                cache: ProviderCache::default(),
            }),
        })
    }
}

#[cfg(feature = "transport")]
fn default_transport() -> Result<Transport, Error> {
    let transport = kukuruku_tower::transport::HttpsTransport::new()
        .map_err(|error| Error::Config(error.to_string()))?;
    Ok(boxed(transport))
}

#[cfg(not(feature = "transport"))]
fn default_transport() -> Result<Transport, Error> {
    Err(Error::Config(
        "no HTTP transport: enable the `transport` feature or call KukurukuIdBuilder::transport"
            .into(),
    ))
}

/// How the nonce of an ID token is checked.
enum NonceRule<'a> {
    /// A login: the token's nonce must be the attempt's.
    Exact(&'a str),
    /// A refresh: absent, or the original one.
    AbsentOr(Option<&'a str>),
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
            client_auth: ClientAuth::default(),
            api_base_url: DEFAULT_API_BASE_URL.to_owned(),
            attempt_ttl: DEFAULT_ATTEMPT_TTL,
            leeway: DEFAULT_LEEWAY,
            discovery_ttl: DEFAULT_DISCOVERY_TTL,
            jwks_refetch_interval: DEFAULT_JWKS_REFETCH_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
            trusted_audiences: HashSet::new(),
            clock: Clock::system(),
            transport: None,
        }
    }

    /// The configured issuer.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// Whether this is a confidential client (it has a secret).
    pub fn is_confidential(&self) -> bool {
        self.inner.client_secret.is_some()
    }

    /// Fetches (or refreshes) discovery and the JWKS now, e.g. at start-up to fail fast.
    pub async fn discover(&self) -> Result<(), Error> {
        self.provider().await.map(|_| ())
    }

    /// Starts a login asking for `scopes` (`openid` is always added): returns the attempt to
    /// store and whose [`authorize_url`](LoginAttempt::authorize_url) to redirect the user to.
    pub async fn start_login<I, S>(&self, scopes: I) -> Result<LoginAttempt, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.start_login_with(LoginOptions::new(scopes)).await
    }

    /// [`start_login`](Self::start_login) with hints and extra parameters.
    pub async fn start_login_with(&self, options: LoginOptions) -> Result<LoginAttempt, Error> {
        self.start(options, None).await
    }

    /// Starts the login of a Play landing whose issuer passed the allow-list, bound to its
    /// order id ([`LoginAttempt::order_id`], then [`Session::order_id`]). The issuer must be
    /// this client's, else [`Error::ForeignIssuer`] and no request is made.
    pub async fn start_auto_login(
        &self,
        play: &AutoLogin,
        options: LoginOptions,
    ) -> Result<LoginAttempt, Error> {
        let own = kukuruku_proto::Issuer::parse(&self.inner.issuer).ok();
        if own.as_ref().map(kukuruku_proto::Issuer::as_str) != Some(play.issuer()) {
            return Err(Error::ForeignIssuer {
                issuer: play.issuer().to_owned(),
            });
        }
        self.start(options, Some(play.order_id().to_owned())).await
    }

    /// Reads a Play landing query, checks its issuer against this client's (the allow-list
    /// of one), and starts the login bound to its order. See [`AutoLogin`].
    pub async fn auto_login(
        &self,
        query: &str,
        options: LoginOptions,
    ) -> Result<LoginAttempt, Error> {
        let play = AutoLogin::from_query(query, [self.inner.issuer.as_str()])?;
        self.start_auto_login(&play, options).await
    }

    async fn start(
        &self,
        options: LoginOptions,
        order_id: Option<String>,
    ) -> Result<LoginAttempt, Error> {
        let provider = self.provider().await?;
        let client = self.oidc_client(&provider)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        let mut seen = HashSet::new();
        for scope in options.scopes {
            if scope != "openid" && !scope.is_empty() && seen.insert(scope.clone()) {
                request = request.add_scope(Scope::new(scope));
            }
        }
        if let Some(hint) = options.login_hint {
            request = request.add_extra_param("login_hint", hint);
        }
        if let Some(prompt) = options.prompt {
            request = request.add_extra_param("prompt", prompt);
        }
        for (name, value) in options.extra {
            if !RESERVED_PARAMS.contains(&name.as_str()) {
                request = request.add_extra_param(name, value);
            }
        }
        let (url, state, nonce) = request.url();
        Ok(LoginAttempt {
            state: Secret::new(state.into_secret()),
            nonce: Secret::new(nonce.secret().clone()),
            pkce_verifier: Secret::new(verifier.into_secret()),
            authorize_url: url.into(),
            issuer: self.inner.issuer.clone(),
            created_at: self.inner.clock.unix(),
            ttl_secs: self.inner.attempt_ttl.as_secs(),
            order_id,
        })
    }

    /// Finishes a login: `redirect_query` is the query string (or whole URL) the user came back
    /// with, `attempt` the one stored at [`start_login`](Self::start_login), which this consumes:
    /// delete your stored copy.
    ///
    /// Checks, in order: the attempt's age, `state` (constant time), the issuer (`iss`,
    /// RFC 9207), `error=`; then exchanges the code with the PKCE verifier (and the secret,
    /// for a confidential client) and verifies the ID token: RS256 signature against the
    /// provider's JWKS (refetched once, rate-limited, for an unknown `kid`), `iss`, `aud`
    /// (and `azp` with several audiences), `exp`/`iat` with the leeway, and `nonce`.
    pub async fn finish_login(
        &self,
        attempt: LoginAttempt,
        redirect_query: &str,
    ) -> Result<Session, Error> {
        let query = RedirectQuery::parse(redirect_query)?;
        if attempt.is_expired(self.inner.clock.now()) {
            return Err(Error::AttemptExpired {
                ttl_secs: attempt.ttl_secs,
            });
        }
        let state_matches = query
            .state
            .as_deref()
            .is_some_and(|state| bool::from(state.as_bytes().ct_eq(attempt.state().as_bytes())));
        if !state_matches {
            return Err(Error::StateMismatch);
        }
        if attempt.issuer != self.inner.issuer {
            return Err(Error::IssuerMismatch {
                expected: self.inner.issuer.clone(),
                found: attempt.issuer.clone(),
            });
        }
        let provider = self.provider().await?;
        match query.iss.as_deref() {
            Some(iss) if iss != provider.issuer => {
                return Err(Error::IssuerMismatch {
                    expected: provider.issuer.clone(),
                    found: iss.chars().take(200).collect(),
                });
            }
            None if provider.iss_parameter_supported => return Err(Error::MissingIssuerParameter),
            _ => {}
        }
        if let Some(error) = query.error.as_deref() {
            return Err(Error::Authorization {
                error: AuthorizationErrorCode::parse(error),
                description: query.error_description,
            });
        }
        let code = query.code.ok_or(Error::MissingCode)?;
        let client = self.oidc_client(&provider)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(
                attempt.pkce_verifier.expose().to_owned(),
            ))
            .request_async(&self.inner.http)
            .await
            .map_err(|error| token_error(error, &provider.token_endpoint))?;
        let id_token = response.id_token().ok_or(Error::MissingIdToken)?;
        let claims = self
            .verify_id_token(provider, id_token, NonceRule::Exact(attempt.nonce.expose()))
            .await?;
        Ok(self.session(&response, claims, None, attempt.order_id.clone()))
    }

    /// [`finish_login`](Self::finish_login) with the attempt taken out of `store` by the
    /// redirect's `state`: a second callback with the same `state` finds nothing
    /// ([`Error::UnknownAttempt`]).
    pub async fn finish_login_with_store(
        &self,
        store: &AttemptStore,
        redirect_query: &str,
    ) -> Result<Session, Error> {
        let query = RedirectQuery::parse(redirect_query)?;
        let state = query.state.ok_or(Error::StateMismatch)?;
        let attempt = store.take(&state).ok_or(Error::UnknownAttempt)?;
        self.finish_login(attempt, redirect_query).await
    }

    /// Uses the session's refresh token for new tokens. A new ID token, if sent, is verified
    /// like at login (its nonce absent or the original one) and must name the same user.
    pub async fn refresh(&self, session: &Session) -> Result<Session, Error> {
        let refresh_token = session
            .refresh_token
            .as_ref()
            .ok_or(Error::NoRefreshToken)?;
        let provider = self.provider().await?;
        let client = self.oidc_client(&provider)?;
        let refresh_token = RefreshToken::new(refresh_token.expose().to_owned());
        let response = client
            .exchange_refresh_token(&refresh_token)
            .request_async(&self.inner.http)
            .await
            .map_err(|error| token_error(error, &provider.token_endpoint))?;
        let claims = match response.id_token() {
            Some(id_token) => {
                let claims = self
                    .verify_id_token(
                        provider,
                        id_token,
                        NonceRule::AbsentOr(session.claims.nonce.as_deref()),
                    )
                    .await?;
                if claims.subject != session.claims.subject {
                    return Err(IdTokenError::Subject.into());
                }
                claims
            }
            None => session.claims.clone(),
        };
        Ok(self.session(&response, claims, Some(session), session.order_id.clone()))
    }

    /// Calls the standard userinfo endpoint with the session's access token; its `sub` must
    /// be the session's.
    pub async fn userinfo(&self, session: &Session) -> Result<UserInfo, Error> {
        let provider = self.provider().await?;
        let url = provider
            .userinfo_endpoint
            .clone()
            .ok_or(Error::NoEndpoint("userinfo"))?;
        let client = self
            .oidc_client(&provider)?
            .set_user_info_url(UserInfoUrl::from_url(url.clone()));
        let claims: CoreUserInfoClaims = client
            .user_info(
                AccessToken::new(session.access_token().to_owned()),
                Some(SubjectIdentifier::new(session.claims.subject.clone())),
            )
            .request_async(&self.inner.http)
            .await
            .map_err(|error| match error {
                UserInfoError::Request(error) => error.into(),
                UserInfoError::Response(status, body, _) => Error::Status {
                    url: url.to_string(),
                    status,
                    body: provider::body_excerpt(&body),
                },
                UserInfoError::ClaimsVerification(error) => Error::UserInfo(error.to_string()),
                other => Error::UserInfo(other.to_string()),
            })?;
        Ok(UserInfo {
            subject: claims.subject().as_str().to_owned(),
            email: claims.email().map(|email| email.as_str().to_owned()),
            email_verified: claims.email_verified(),
            phone_number: claims.phone_number().map(|phone| phone.as_str().to_owned()),
            name: claims
                .name()
                .and_then(|name| name.get(None))
                .map(|name| name.as_str().to_owned()),
            preferred_username: claims
                .preferred_username()
                .map(|name| name.as_str().to_owned()),
        })
    }

    /// The user's Kukuruku profile: `GET {api_base_url}/api/v1/me` with the session's access
    /// token (PROTOCOL D5: every field optional, unknown fields kept).
    pub async fn profile(&self, session: &Session) -> Result<Profile, Error> {
        let url = self.inner.api.url("/api/v1/me", None);
        let request = ProfileRequest::new(session.access_token())
            .and_then(|call| call.to_request(&self.inner.api))
            .map_err(|error| Error::Malformed {
                url: url.clone(),
                reason: error.to_string(),
            })?;
        let response = self.inner.http.send(request.map(Full::new)).await?;
        ProfileRequest::parse_response(response).map_err(Error::Profile)
    }

    /// Where to send the user to log out of KukurukuID (RP-initiated logout): the provider's
    /// `end_session_endpoint` with `id_token_hint`, `client_id`, and `post_logout_redirect_uri`
    /// when given (it must be registered). Forget your session as well.
    pub async fn logout_url(
        &self,
        session: &Session,
        post_logout_redirect_uri: Option<&str>,
    ) -> Result<String, Error> {
        let provider = self.provider().await?;
        let mut url = provider
            .end_session_endpoint
            .clone()
            .ok_or(Error::NoEndpoint("end_session"))?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(id_token) = session.id_token() {
                query.append_pair("id_token_hint", id_token);
            }
            query.append_pair("client_id", &self.inner.client_id);
            if let Some(redirect) = post_logout_redirect_uri {
                query.append_pair("post_logout_redirect_uri", redirect);
            }
        }
        Ok(url.into())
    }

    async fn provider(&self) -> Result<Arc<Provider>, Error> {
        let now = self.inner.clock.now();
        if let Some(provider) = self.inner.cache.get(now, self.inner.discovery_ttl) {
            return Ok(provider);
        }
        let discovery_issuer = self.inner.issuer.trim_end_matches('/');
        let provider =
            provider::discover(&self.inner.http, discovery_issuer, &self.inner.issuer, now).await?;
        let provider = Arc::new(provider);
        self.inner.cache.put(provider.clone());
        Ok(provider)
    }

    fn oidc_client(&self, provider: &Provider) -> Result<OidcClient, Error> {
        let issuer = IssuerUrl::new(provider.issuer.clone())
            .map_err(|error| Error::Config(format!("issuer: {error}")))?;
        let mut client = CoreClient::new(
            ClientId::new(self.inner.client_id.clone()),
            issuer,
            provider.jwks.clone(),
        )
        .set_auth_uri(AuthUrl::from_url(provider.authorization_endpoint.clone()))
        .set_token_uri(TokenUrl::from_url(provider.token_endpoint.clone()))
        .set_redirect_uri(RedirectUrl::from_url(self.inner.redirect_uri.clone()))
        .set_auth_type(match self.inner.client_auth {
            ClientAuth::Basic => AuthType::BasicAuth,
            ClientAuth::Post => AuthType::RequestBody,
        });
        if let Some(secret) = &self.inner.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose().to_owned()));
        }
        Ok(client)
    }

    /// Verifies against the cached keys; on an unknown `kid`, refetches the JWKS once (at most
    /// once per `jwks_refetch_interval`) and tries again.
    async fn verify_id_token(
        &self,
        provider: Arc<Provider>,
        token: &CoreIdToken,
        nonce: NonceRule<'_>,
    ) -> Result<IdClaims, Error> {
        match self.verify_with(&provider.jwks, token, &nonce) {
            Err(IdTokenError::UnknownKey { kid }) => {
                let now = self.inner.clock.now();
                if !self
                    .inner
                    .cache
                    .claim_kid_refetch(now, self.inner.jwks_refetch_interval)
                {
                    return Err(IdTokenError::UnknownKey { kid }.into());
                }
                tracing::debug!(?kid, "unknown ID-token key id: refetching the JWKS");
                let jwks = provider::fetch_jwks(&self.inner.http, &provider.jwks_uri).await?;
                let claims = self.verify_with(&jwks, token, &nonce);
                self.inner.cache.put(Arc::new(provider.with_jwks(jwks)));
                Ok(claims?)
            }
            other => Ok(other?),
        }
    }

    fn verify_with(
        &self,
        jwks: &CoreJsonWebKeySet,
        token: &CoreIdToken,
        nonce: &NonceRule<'_>,
    ) -> Result<IdClaims, IdTokenError> {
        let inner = &self.inner;
        let client_id = ClientId::new(inner.client_id.clone());
        let issuer = IssuerUrl::new(inner.issuer.clone())
            .map_err(|error| IdTokenError::Other(error.to_string()))?;
        let verifier = match &inner.client_secret {
            Some(secret) => openidconnect::core::CoreIdTokenVerifier::new_confidential_client(
                client_id,
                ClientSecret::new(secret.expose().to_owned()),
                issuer,
                jwks.clone(),
            ),
            None => openidconnect::core::CoreIdTokenVerifier::new_public_client(
                client_id,
                issuer,
                jwks.clone(),
            ),
        };
        let now = inner.clock.now();
        let leeway = inner.leeway;
        let trusted = inner.trusted_audiences.clone();
        let verifier = verifier
            .set_time_fn(move || now.checked_sub(leeway).unwrap_or(now).into())
            .set_issue_time_verifier_fn(move |issued_at| {
                let issued_at: SystemTime = issued_at.into();
                if issued_at > now + leeway {
                    Err(format!(
                        "{IAT_FUTURE}: iat is {} s ahead",
                        issued_at
                            .duration_since(now)
                            .map_or(0, |ahead| ahead.as_secs())
                    ))
                } else {
                    Ok(())
                }
            })
            .set_other_audience_verifier_fn(move |audience| trusted.contains(audience.as_str()));
        let claims = match nonce {
            NonceRule::Exact(expected) => {
                token.claims(&verifier, &Nonce::new((*expected).to_owned()))
            }
            NonceRule::AbsentOr(original) => {
                token.claims(&verifier, |found: Option<&Nonce>| match (found, original) {
                    (None, _) => Ok(()),
                    (Some(found), Some(original))
                        if bool::from(found.secret().as_bytes().ct_eq(original.as_bytes())) =>
                    {
                        Ok(())
                    }
                    (Some(_), _) => Err("the refreshed ID token carries another nonce".to_owned()),
                })
            }
        }
        .map_err(|error| claims_error(error, token))?;
        let audiences = claims.audiences();
        match claims.authorized_party() {
            Some(azp) if azp.as_str() != inner.client_id => {
                return Err(IdTokenError::AuthorizedParty(format!(
                    "azp is {:?}, not this client",
                    azp.as_str()
                )));
            }
            None if audiences.len() > 1 => {
                return Err(IdTokenError::AuthorizedParty(
                    "several audiences and no azp".into(),
                ));
            }
            _ => {}
        }
        Ok(id_claims(claims))
    }

    fn session(
        &self,
        response: &CoreTokenResponse,
        claims: IdClaims,
        previous: Option<&Session>,
        order_id: Option<String>,
    ) -> Session {
        let now = self.inner.clock.now();
        Session {
            access_token: Secret::new(response.access_token().secret().clone()),
            refresh_token: response
                .refresh_token()
                .map(|token| Secret::new(token.secret().clone()))
                .or_else(|| previous.and_then(|session| session.refresh_token.clone())),
            id_token: response
                .id_token()
                .map(|token| Secret::new(token.to_string()))
                .or_else(|| previous.and_then(|session| session.id_token.clone())),
            expires_at: response
                .expires_in()
                .map(|lifetime| unix_secs(now + lifetime)),
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
        }
    }
}

/// The authorization parameters this crate sets itself.
const RESERVED_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
    "prompt",
];

fn token_error(error: TokenError, token_endpoint: &Url) -> Error {
    match error {
        RequestTokenError::ServerResponse(response) => Error::Token {
            status: None,
            error: TokenErrorCode::parse(response.error().as_ref()),
            description: response
                .error_description()
                .map(|text| text.chars().take(200).collect()),
        },
        RequestTokenError::Request(error) => error.into(),
        // Never the body: a token answer that fails to parse may still hold tokens.
        RequestTokenError::Parse(error, _) => Error::Malformed {
            url: token_endpoint.to_string(),
            reason: error.to_string(),
        },
        RequestTokenError::Other(reason) => Error::Malformed {
            url: token_endpoint.to_string(),
            reason,
        },
    }
}

fn claims_error(error: ClaimsVerificationError, token: &CoreIdToken) -> IdTokenError {
    use SignatureVerificationError as Sig;
    match error {
        ClaimsVerificationError::Expired(text) if text.starts_with(IAT_FUTURE) => {
            IdTokenError::IssuedInFuture(text)
        }
        ClaimsVerificationError::Expired(text) => IdTokenError::Expired(text),
        ClaimsVerificationError::InvalidAudience(text) => IdTokenError::Audience(text),
        ClaimsVerificationError::InvalidIssuer(text) => IdTokenError::Issuer(text),
        ClaimsVerificationError::InvalidNonce(text) => IdTokenError::Nonce(text),
        ClaimsVerificationError::SignatureVerification(error) => match error {
            Sig::NoMatchingKey => IdTokenError::UnknownKey {
                kid: unverified_kid(token),
            },
            Sig::DisallowedAlg(text) | Sig::UnsupportedAlg(text) => IdTokenError::Algorithm(text),
            Sig::NoSignature => {
                IdTokenError::Algorithm("the token is not signed (alg none)".into())
            }
            Sig::CryptoError(_) | Sig::InvalidKey(_) | Sig::AmbiguousKeyId(_) => {
                IdTokenError::Signature
            }
            other => IdTokenError::Other(other.to_string()),
        },
        ClaimsVerificationError::Unsupported(text) => IdTokenError::Malformed(text),
        other => IdTokenError::Other(other.to_string()),
    }
}

/// The `kid` of the token's header, for the error message (header only, never the claims).
fn unverified_kid(token: &CoreIdToken) -> Option<String> {
    let text = token.to_string();
    let header = text.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(header).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value
        .get("kid")?
        .as_str()
        .map(|kid| kid.chars().take(100).collect())
}

fn id_claims(claims: &CoreIdTokenClaims) -> IdClaims {
    IdClaims {
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        audiences: claims
            .audiences()
            .iter()
            .map(|aud| aud.as_str().to_owned())
            .collect(),
        issued_at: unix_secs(claims.issue_time().into()),
        expires_at: unix_secs(claims.expiration().into()),
        nonce: claims.nonce().map(|nonce| nonce.secret().clone()),
        email: claims.email().map(|email| email.as_str().to_owned()),
        email_verified: claims.email_verified(),
        phone_number: claims.phone_number().map(|phone| phone.as_str().to_owned()),
        phone_number_verified: claims.phone_number_verified(),
        name: claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_owned()),
        preferred_username: claims
            .preferred_username()
            .map(|name| name.as_str().to_owned()),
    }
}
