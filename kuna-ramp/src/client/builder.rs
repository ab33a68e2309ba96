//! [`KunaClientBuilder`]: the client's settings, checked once when it is built.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kukuruku_proto::{SharedTimeSource, TimeSource, is_loopback};
use kukuruku_tower::SystemClock;
use url::Url;

use super::session::{Auth, api_key_header};
use super::{Inner, KunaClient};
use crate::auth::Credentials;
use crate::error::Error;
use crate::token::DEFAULT_WIDGET_URL;
use crate::validate;

/// The default timeout of one call: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default: renew a login token 60 s before it expires.
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(60);
/// The default limit on an answer's size: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Builds a [`KunaClient`]: `KunaClient::builder(base_url, credentials)`.
#[must_use]
pub struct KunaClientBuilder {
    base_url: String,
    credentials: Credentials,
    widget_url: String,
    institution_id: Option<String>,
    timeout: Duration,
    renew_before: Duration,
    body_limit: usize,
    time_source: SharedTimeSource,
}

impl fmt::Debug for KunaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KunaClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("widget_url", &self.widget_url)
            .field("institution_id", &self.institution_id)
            .finish_non_exhaustive()
    }
}

impl KunaClient<()> {
    /// Starts a client for the institution API at `base_url` (required: Kuna gives it to each
    /// partner; `https://`, or `http://` on a loopback address for a local sandbox), with the
    /// `api-key` or login `credentials`.
    pub fn builder(
        base_url: impl Into<String>,
        credentials: impl Into<Credentials>,
    ) -> KunaClientBuilder {
        KunaClientBuilder {
            base_url: base_url.into(),
            credentials: credentials.into(),
            widget_url: DEFAULT_WIDGET_URL.into(),
            institution_id: None,
            timeout: DEFAULT_TIMEOUT,
            renew_before: DEFAULT_RENEW_BEFORE,
            body_limit: DEFAULT_BODY_LIMIT,
            time_source: SystemClock::shared(),
        }
    }
}

impl KunaClientBuilder {
    /// The widget host (default [`DEFAULT_WIDGET_URL`]); `institutionId` and `refreshToken` are
    /// appended to its query.
    pub fn widget_url(mut self, url: impl Into<String>) -> Self {
        self.widget_url = url.into();
        self
    }

    /// Your institution id, as Kuna gave it: needed for widget URLs.
    pub fn institution_id(mut self, id: impl Into<String>) -> Self {
        self.institution_id = Some(id.into());
        self
    }

    /// The timeout of one HTTP exchange (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Renew a login token this long before it expires (default 60 s; at most half its
    /// lifetime is used for short-lived tokens).
    pub fn renew_before(mut self, margin: Duration) -> Self {
        self.renew_before = margin;
        self
    }

    /// The largest answer accepted, in bytes (default 1 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Where the client reads the time to decide when a login token is due for renewal
    /// (default: `kukuruku_tower::SystemClock`). For tests: any [`TimeSource`], a closure
    /// `Fn() -> SystemTime` included.
    pub fn time_source(mut self, time_source: impl TimeSource) -> Self {
        self.time_source = SharedTimeSource::new(time_source);
        self
    }

    /// Builds the client over your own tower HTTP service.
    pub fn build_with<S>(self, service: S) -> Result<KunaClient<S>, Error> {
        let base = parse_base(&self.base_url)?;
        let widget = Url::parse(&self.widget_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .ok_or_else(|| Error::Config("the widget URL is not an http(s) URL".into()))?;
        if let Some(id) = &self.institution_id {
            validate::not_blank("institutionId", id)?;
        }
        let auth = match self.credentials {
            Credentials::ApiKey(key) => {
                validate::not_blank("api-key", key.expose())?;
                api_key_header(&key)?;
                Auth::api_key(key)
            }
            Credentials::Login(login) => {
                validate::not_blank("merchant_id", &login.merchant_id)?;
                validate::not_blank("login", &login.user)?;
                validate::not_blank("password", &login.password)?;
                if http::HeaderValue::from_str(&login.merchant_id).is_err() {
                    return Err(Error::Config(
                        "the merchant id has characters not allowed in a header".into(),
                    ));
                }
                Auth::login(login, self.renew_before)
            }
        };
        Ok(KunaClient {
            inner: Arc::new(Inner {
                base,
                widget,
                institution_id: self.institution_id,
                auth,
                timeout: self.timeout,
                body_limit: self.body_limit,
                time_source: self.time_source,
            }),
            service,
        })
    }

    /// Builds the client over `kukuruku-tower`'s HTTPS transport (hyper + rustls).
    #[cfg(feature = "transport")]
    pub fn build(self) -> Result<KunaClient<kukuruku_tower::transport::HttpsTransport>, Error> {
        let transport = kukuruku_tower::transport::HttpsTransport::new()
            .map_err(|e| Error::Config(e.to_string()))?;
        self.build_with(transport)
    }
}

/// The base URL: required, `https://` (or `http://` on loopback), no query, fragment or user
/// info, and a path ending in `/` so that endpoints join under it.
fn parse_base(text: &str) -> Result<Url, Error> {
    let bad = |why: &str| Error::Config(format!("the base URL {why}"));
    if text.trim().is_empty() {
        return Err(bad(
            "is required: Kuna publishes none; use the one Kuna gave you",
        ));
    }
    let mut url = Url::parse(text).map_err(|e| bad(&format!("is not a URL ({e})")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(bad(
                "must use https:// (plain http is allowed on loopback only)",
            ));
        }
        _ => return Err(bad("must be an https:// URL")),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("must not carry a query, a fragment or user info"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_path_ends_with_a_slash() {
        let url = parse_base("https://kuna.example/api").unwrap();
        assert_eq!(url.as_str(), "https://kuna.example/api/");
        assert_eq!(url.join("v2/x").unwrap().path(), "/api/v2/x");
        let url = parse_base("http://localhost:9/").unwrap();
        assert_eq!(url.as_str(), "http://localhost:9/");
    }

    #[test]
    fn plain_http_is_for_loopback_only() {
        for bad in [
            "http://kuna.example/",
            "http://10.0.0.1/",
            "https://user@kuna.example/",
            "https://kuna.example/#x",
        ] {
            assert!(matches!(parse_base(bad), Err(Error::Config(_))), "{bad}");
        }
        assert!(parse_base("http://127.0.0.2/").is_ok());
    }
}
