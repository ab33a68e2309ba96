//! [`KukurukuId`]: the one client type, what it shares between calls (settings, transport,
//! discovery cache), and the `openidconnect` client it builds for each call.
//!
//! Its other methods live with their concept: `builder.rs`, `login.rs`, `refresh.rs`,
//! `userinfo.rs`, `profile.rs`, `logout.rs`, and the ID-token checks in `id_token.rs`.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kukuruku_proto::{ApiConfig, SharedTimeSource};
use openidconnect::core::CoreClient;
use openidconnect::{
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointNotSet, EndpointSet, IssuerUrl, RedirectUrl,
    TokenUrl,
};
use url::Url;

use crate::builder::ClientAuth;
use crate::error::Error;
use crate::provider::{self, Provider, ProviderCache};
use crate::secret::Secret;
use crate::transport::Transport;

/// The openidconnect client shape this crate uses (authorization and token endpoints set).
pub(crate) type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
>;

/// A KukurukuID client: login with PKCE, refresh, userinfo, profile, logout URL, Play.
///
/// One concrete type, cheap to clone (an `Arc` inside): build it once at start-up with
/// [`KukurukuId::builder`] and share it. It caches discovery and the provider's keys. See the
/// [crate docs](crate) for the flow.
#[derive(Clone)]
pub struct KukurukuId {
    pub(crate) inner: Arc<Inner>,
}

/// The settings and state every clone of a client shares.
pub(crate) struct Inner {
    pub(crate) issuer: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<Secret>,
    pub(crate) redirect_uri: Url,
    pub(crate) post_logout_redirect_uris: Vec<String>,
    pub(crate) client_auth: ClientAuth,
    pub(crate) api: ApiConfig,
    pub(crate) attempt_ttl: Duration,
    pub(crate) leeway: Duration,
    pub(crate) discovery_ttl: Duration,
    pub(crate) jwks_refetch_interval: Duration,
    pub(crate) trusted_audiences: HashSet<String>,
    pub(crate) time_source: SharedTimeSource,
    pub(crate) transport: Transport,
    pub(crate) cache: ProviderCache,
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

impl KukurukuId {
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

    /// The provider from the cache, or discovered anew when the cache is older than its TTL.
    pub(crate) async fn provider(&self) -> Result<Arc<Provider>, Error> {
        let now = self.inner.time_source.now();
        if let Some(provider) = self.inner.cache.get(now, self.inner.discovery_ttl) {
            return Ok(provider);
        }
        let discovery_issuer = self.inner.issuer.trim_end_matches('/');
        let provider = provider::discover(
            &self.inner.transport,
            discovery_issuer,
            &self.inner.issuer,
            now,
        )
        .await?;
        let provider = Arc::new(provider);
        self.inner.cache.put(provider.clone());
        Ok(provider)
    }

    /// The `openidconnect` client for `provider`'s endpoints and this client's settings.
    pub(crate) fn oidc_client(&self, provider: &Provider) -> Result<OidcClient, Error> {
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
}
