//! The provider's settings: [`IdpConfig`] and the clients it knows ([`IdpClient`]).

use std::fmt;
use std::time::{Duration, SystemTime};

use kukuruku_proto::{SharedTimeSource, TimeSource, is_loopback};
use kukuruku_tower::SystemClock;
use url::Url;

use super::signing_key::IdpSigningKey;
use super::users::IdpUser;

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

/// An absolute `http` URL on a loopback host ([`kukuruku_proto::is_loopback`]), without user
/// name or fragment.
fn is_loopback_http(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|url| {
        url.scheme() == "http"
            && is_loopback(&url)
            && url.username().is_empty()
            && url.fragment().is_none()
    })
}

/// The provider's settings. [`IdpConfig::new`] has two demo users and no client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IdpConfig {
    /// The issuer, e.g. `http://127.0.0.1:PORT/realms/public`; the routes live under its path.
    pub issuer: String,
    /// The registered clients.
    pub clients: Vec<IdpClient>,
    /// The users shown on the login page at start
    /// ([`IdpState::users`](super::IdpState::users) holds them, and any added later).
    pub users: Vec<IdpUser>,
    /// Lifetime of access tokens (default 5 min).
    pub access_token_ttl: Duration,
    /// Lifetime of ID tokens (default 5 min).
    pub id_token_ttl: Duration,
    /// Lifetime of refresh tokens (default 30 min).
    pub refresh_token_ttl: Duration,
    /// Lifetime of authorization codes (default 60 s).
    pub code_ttl: Duration,
    /// The most codes, and the most access and refresh tokens, held at once, each (default
    /// 10 000). Expired ones are purged as new ones are issued (and on use); beyond the cap
    /// the ones closest to expiring are dropped first (they stop working early).
    pub max_grants: usize,
    /// The signing key; `None`: a 2048-bit RSA key is generated at start.
    pub signing_key: Option<IdpSigningKey>,
    /// The key used by the misbehaviours that need another key
    /// ([`Misbehave::sign_with_other_key`](super::Misbehave::sign_with_other_key),
    /// [`Misbehave::unknown_kid`](super::Misbehave::unknown_kid)); `None`: generated when first
    /// needed.
    pub spare_key: Option<IdpSigningKey>,
    /// Where the provider reads the time: token `iat`/`exp`, code and token expiry.
    time_source: SharedTimeSource,
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
            max_grants: 10_000,
            signing_key: None,
            spare_key: None,
            time_source: SystemClock::shared(),
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
    pub fn signing_key(mut self, key: IdpSigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// Uses this spare key for the misbehaviours that need another key.
    #[must_use]
    pub fn spare_key(mut self, key: IdpSigningKey) -> Self {
        self.spare_key = Some(key);
        self
    }

    /// Where the provider reads the time (default: the system clock,
    /// `kukuruku_tower::SystemClock`). A [`Sandbox`](crate::Sandbox) gives it the sandbox's
    /// ([`SandboxBuilder::time_source`](crate::SandboxBuilder::time_source)).
    #[must_use]
    pub fn time_source(mut self, source: impl TimeSource) -> Self {
        self.time_source = SharedTimeSource::new(source);
        self
    }

    /// The current time by the configured time source.
    pub(crate) fn now(&self) -> SystemTime {
        self.time_source.now()
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
}
