//! The login: [`KukurukuId::start_login`] builds the authorization URL and the
//! [`LoginAttempt`]; [`KukurukuId::finish_login`] checks the redirect back and exchanges its code.

use std::collections::HashSet;
use std::fmt;

use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{
    AuthorizationCode, CsrfToken, Nonce, PkceCodeChallenge, PkceCodeVerifier, Scope, TokenResponse,
};
use subtle::ConstantTimeEq;

use crate::attempt::LoginAttempt;
use crate::attempt_store::AttemptStore;
use crate::autologin::AutoLogin;
use crate::client::KukurukuId;
use crate::error::{AuthorizationErrorCode, Error, provider_text};
use crate::id_token::NonceRule;
use crate::provider::Provider;
use crate::redirect::RedirectQuery;
use crate::secret::Secret;
use crate::session::Session;
use crate::token::token_error;

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

/// Options of a login beyond the scopes: hints for KukurukuID and extra parameters. `Debug`
/// hides the `login_hint` (an e-mail) and the extra parameters' values.
///
/// ```
/// use kukuruku_oidc::LoginOptions;
/// let options = LoginOptions::new(["profile", "email"]).login_hint("ann@example.com");
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct LoginOptions {
    pub(crate) scopes: Vec<String>,
    pub(crate) login_hint: Option<String>,
    pub(crate) prompt: Option<String>,
    pub(crate) extra: Vec<(String, String)>,
}

impl fmt::Debug for LoginOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.extra.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("LoginOptions")
            .field("scopes", &self.scopes)
            .field("login_hint", &self.login_hint.as_ref().map(|_| "***"))
            .field("prompt", &self.prompt)
            .field("extra", &names)
            .finish()
    }
}

impl LoginOptions {
    /// Options with these scopes (`openid` is always added).
    pub fn new<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            scopes: scopes.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// `login_hint`: the e-mail to pre-fill.
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// `prompt` (`none`, `login`, `consent`, `select_account`).
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }

    /// Any other authorization parameter (e.g. `ui_locales`). The parameters this crate sets
    /// itself (`state`, `nonce`, PKCE, `redirect_uri`, …) cannot be overridden: they are ignored.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }
}

impl KukurukuId {
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
        provider.check_pkce_s256()?;
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
            created_at: self.inner.time_source.unix_seconds(),
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
        self.check_attempt(&attempt, &query)?;
        let provider = self.provider().await?;
        check_redirect_issuer(&provider, &query)?;
        if let Some(error) = query.error.as_deref() {
            // Debug only, the provider's words cut and escaped; the description already is.
            tracing::debug!(
                error = ?provider_text(error),
                description = ?query.error_description,
                "KukurukuID refused the login"
            );
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
            .request_async(&self.inner.transport)
            .await
            .map_err(|error| token_error(error, &provider.token_endpoint))?;
        let id_token = response.id_token().ok_or(Error::MissingIdToken)?;
        let claims = self
            .verify_id_token(provider, id_token, NonceRule::Exact(attempt.nonce.expose()))
            .await?;
        Session::from_token_response(
            &response,
            claims,
            None,
            attempt.order_id.clone(),
            self.inner.time_source.now(),
        )
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

    /// The attempt is still valid, the redirect's `state` is its own (constant time), and it
    /// was started at this client's issuer.
    fn check_attempt(&self, attempt: &LoginAttempt, query: &RedirectQuery) -> Result<(), Error> {
        if attempt.is_expired(self.inner.time_source.now()) {
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
        Ok(())
    }
}

/// The redirect's `iss` (RFC 9207) is the provider's, and present if the provider always
/// sends it.
fn check_redirect_issuer(provider: &Provider, query: &RedirectQuery) -> Result<(), Error> {
    match query.iss.as_deref() {
        Some(iss) if iss != provider.issuer => Err(Error::IssuerMismatch {
            expected: provider.issuer.clone(),
            found: provider_text(iss),
        }),
        None if provider.iss_parameter_supported => Err(Error::MissingIssuerParameter),
        _ => Ok(()),
    }
}
