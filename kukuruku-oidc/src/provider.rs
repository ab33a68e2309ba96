//! OpenID discovery and the provider's keys (JWKS), cached, with a rate-limited refetch.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::header::ACCEPT;
use http::{Method, Request};
use http_body_util::Full;
use kukuruku_proto::Excerpt;
use openidconnect::core::CoreJsonWebKeySet;
use serde::Deserialize;
use url::Url;

use crate::error::Error;
use crate::transport::{Transport, is_secure_url};

/// What the client uses from the discovery document, and the keys.
#[derive(Debug)]
pub(crate) struct Provider {
    pub(crate) issuer: String,
    pub(crate) authorization_endpoint: Url,
    pub(crate) token_endpoint: Url,
    pub(crate) userinfo_endpoint: Option<Url>,
    pub(crate) end_session_endpoint: Option<Url>,
    pub(crate) jwks_uri: Url,
    /// RFC 9207: the provider always puts `iss` in its redirects.
    pub(crate) iss_parameter_supported: bool,
    /// `code_challenge_methods_supported`, when the document lists it.
    pub(crate) code_challenge_methods: Option<Vec<String>>,
    pub(crate) jwks: CoreJsonWebKeySet,
    pub(crate) fetched_at: SystemTime,
}

impl Provider {
    /// Refuses a provider whose discovery lists PKCE methods without `S256`: a login there
    /// would either fail or go without PKCE. A document that lists none is taken at its word
    /// that PKCE is not advertised and tried (Keycloak and most providers list it).
    pub(crate) fn check_pkce_s256(&self) -> Result<(), Error> {
        match &self.code_challenge_methods {
            Some(methods) if !methods.iter().any(|method| method == "S256") => {
                Err(Error::PkceUnsupported {
                    methods: methods
                        .iter()
                        .take(8)
                        .map(|method| format!("{:?}", Excerpt(method)))
                        .collect(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The same provider with a refetched JWKS.
    pub(crate) fn with_jwks(&self, jwks: CoreJsonWebKeySet) -> Self {
        Self {
            issuer: self.issuer.clone(),
            authorization_endpoint: self.authorization_endpoint.clone(),
            token_endpoint: self.token_endpoint.clone(),
            userinfo_endpoint: self.userinfo_endpoint.clone(),
            end_session_endpoint: self.end_session_endpoint.clone(),
            jwks_uri: self.jwks_uri.clone(),
            iss_parameter_supported: self.iss_parameter_supported,
            code_challenge_methods: self.code_challenge_methods.clone(),
            jwks,
            fetched_at: self.fetched_at,
        }
    }
}

#[derive(Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    authorization_endpoint: Url,
    token_endpoint: Url,
    #[serde(default)]
    userinfo_endpoint: Option<Url>,
    jwks_uri: Url,
    #[serde(default)]
    end_session_endpoint: Option<Url>,
    #[serde(default)]
    authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    code_challenge_methods_supported: Option<Vec<String>>,
}

/// The cache: the current provider, and when the JWKS was last refetched for an unknown `kid`.
#[derive(Debug, Default)]
pub(crate) struct ProviderCache {
    current: Mutex<Option<Arc<Provider>>>,
    last_kid_refetch: Mutex<Option<SystemTime>>,
}

impl ProviderCache {
    pub(crate) fn get(&self, now: SystemTime, ttl: Duration) -> Option<Arc<Provider>> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|provider| {
                now.duration_since(provider.fetched_at)
                    .is_ok_and(|age| age < ttl)
            })
            .cloned()
    }

    pub(crate) fn put(&self, provider: Arc<Provider>) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(provider);
    }

    /// Claims the right to refetch the JWKS for an unknown `kid`: at most once per `interval`.
    pub(crate) fn claim_kid_refetch(&self, now: SystemTime, interval: Duration) -> bool {
        let mut last = self
            .last_kid_refetch
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let allowed = last.is_none_or(|last| {
            now.duration_since(last)
                .is_ok_and(|since| since >= interval)
        });
        if allowed {
            *last = Some(now);
        }
        allowed
    }
}

async fn get_bytes(transport: &Transport, url: &Url) -> Result<Bytes, Error> {
    let request = Request::builder()
        .method(Method::GET)
        .uri(url.as_str())
        .header(ACCEPT, "application/json")
        .body(Full::new(Bytes::new()))
        .map_err(|error| Error::Config(format!("cannot request {url}: {error}")))?;
    let response = transport.send(request).await?;
    if !response.status().is_success() {
        return Err(Error::status(url, response.status(), response.body()));
    }
    Ok(response.into_body())
}

/// Fetches `{issuer}/.well-known/openid-configuration` and the JWKS it names.
/// `base` is the issuer without a trailing `/`; `issuer` the configured one, which the document
/// must name exactly.
pub(crate) async fn discover(
    transport: &Transport,
    base: &str,
    issuer: &str,
    now: SystemTime,
) -> Result<Provider, Error> {
    let url = Url::parse(&format!("{base}/.well-known/openid-configuration"))
        .map_err(|error| Error::Config(format!("issuer {issuer:?}: {error}")))?;
    let bad = |reason: String| Error::Discovery {
        url: url.to_string(),
        reason,
    };
    let body = get_bytes(transport, &url).await?;
    let document: DiscoveryDocument =
        kukuruku_proto::read_json(&body).map_err(|error| bad(error.to_string()))?;
    if document.issuer != issuer {
        return Err(bad(format!(
            "it names issuer {:?}, not the configured {issuer:?}",
            Excerpt(&document.issuer)
        )));
    }
    for endpoint in [
        Some(&document.authorization_endpoint),
        Some(&document.token_endpoint),
        Some(&document.jwks_uri),
        document.userinfo_endpoint.as_ref(),
        document.end_session_endpoint.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        if !is_secure_url(endpoint) {
            return Err(Error::InsecureUrl {
                url: endpoint.to_string(),
            });
        }
    }
    let jwks = fetch_jwks(transport, &document.jwks_uri).await?;
    Ok(Provider {
        issuer: document.issuer,
        authorization_endpoint: document.authorization_endpoint,
        token_endpoint: document.token_endpoint,
        userinfo_endpoint: document.userinfo_endpoint,
        end_session_endpoint: document.end_session_endpoint,
        jwks_uri: document.jwks_uri,
        iss_parameter_supported: document.authorization_response_iss_parameter_supported,
        code_challenge_methods: document.code_challenge_methods_supported,
        jwks,
        fetched_at: now,
    })
}

pub(crate) async fn fetch_jwks(
    transport: &Transport,
    url: &Url,
) -> Result<CoreJsonWebKeySet, Error> {
    let body = get_bytes(transport, url).await?;
    kukuruku_proto::read_json(&body).map_err(|error| Error::Discovery {
        url: url.to_string(),
        reason: format!("the JWKS is unusable: {error}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_refetch_is_rate_limited() {
        let cache = ProviderCache::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let minute = Duration::from_secs(60);
        assert!(cache.claim_kid_refetch(t0, minute));
        assert!(!cache.claim_kid_refetch(t0, minute));
        assert!(!cache.claim_kid_refetch(t0 + Duration::from_secs(59), minute));
        assert!(cache.claim_kid_refetch(t0 + minute, minute));
    }
}
