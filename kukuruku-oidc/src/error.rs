//! The one error type of this crate, in the words of a merchant integrating KukurukuID.

use std::fmt;

use http::StatusCode;
use kukuruku_proto::Excerpt;
use kukuruku_tower::BoxError;

/// Everything that can go wrong in a KukurukuID login. Never carries a token or a secret.
///
/// A cause is either in the message or behind [`source()`](std::error::Error::source), never
/// both: a reporter that walks the chain (anyhow, eyre) prints each sentence once.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client was configured with something unusable.
    #[error("invalid KukurukuID configuration: {0}")]
    Config(String),
    /// A URL (configured, discovered, or from a Play link) is not `https` and not on loopback.
    #[error(
        "refusing {url}: KukurukuID URLs must use https (plain http only for loopback addresses)"
    )]
    InsecureUrl {
        /// The refused URL.
        url: String,
    },
    /// The request did not reach the server, or the connection broke.
    #[error("could not reach {url}")]
    Transport {
        /// The URL called.
        url: String,
        /// What the transport said (a [`kukuruku_tower::BoxError`]).
        #[source]
        source: BoxError,
    },
    /// The server did not answer in time.
    #[error("{url} did not answer within the client's timeout")]
    Timeout {
        /// The URL called.
        url: String,
    },
    /// The answer was larger than the client accepts.
    #[error("the answer from {url} is larger than {limit} bytes: refusing to read it")]
    TooLarge {
        /// The URL called.
        url: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The identity provider answered with an unexpected HTTP status.
    #[error("the identity provider answered HTTP {status} at {url}")]
    Status {
        /// The URL called.
        url: String,
        /// The HTTP status.
        status: StatusCode,
        /// The start of the answer's body (at most 4 KiB), for diagnosis.
        body: String,
    },
    /// The OpenID discovery document (or the JWKS) is unusable.
    #[error("the identity provider's discovery document at {url} is unusable: {reason}")]
    Discovery {
        /// The document's URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The provider's discovery lists PKCE methods, and not `S256`: no login is started.
    #[error(
        "the identity provider does not support PKCE with S256 (its discovery lists only {}): refusing to start a login without it",
        .methods.join(", ")
    )]
    PkceUnsupported {
        /// The methods it lists (`code_challenge_methods_supported`), quoted and cut.
        methods: Vec<String>,
    },
    /// The `post_logout_redirect_uri` given to
    /// [`logout_url`](crate::KukurukuId::logout_url) is not one registered with
    /// [`KukurukuIdBuilder::post_logout_redirect_uri`](crate::KukurukuIdBuilder::post_logout_redirect_uri).
    #[error(
        "the post-logout redirect URI {uri} is not registered with this client: register it with KukurukuIdBuilder::post_logout_redirect_uri (and at KukurukuID)"
    )]
    UnregisteredPostLogoutRedirect {
        /// The URI given, quoted and cut.
        uri: String,
    },
    /// The login attempt is older than its time to live.
    #[error(
        "the login attempt has expired (it was valid for {ttl_secs} s): send the user to log in again"
    )]
    AttemptExpired {
        /// The attempt's time to live in seconds.
        ttl_secs: u64,
    },
    /// No pending attempt matches the redirect's `state` (the [`AttemptStore`](crate::AttemptStore) path).
    #[error(
        "no pending login matches this redirect: it was already finished (a replayed callback), has expired, or was never started here"
    )]
    UnknownAttempt,
    /// The redirect's `state` is not the attempt's.
    #[error(
        "state mismatch: this redirect does not belong to the user's login attempt (a forged or mixed-up callback); start a new login"
    )]
    StateMismatch,
    /// The redirect's `iss` (RFC 9207), or the attempt, names another issuer.
    #[error(
        "the redirect comes from issuer {found:?}, not {expected:?}: a mix-up attack or a wrong configuration"
    )]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The issuer found.
        found: String,
    },
    /// The provider announces RFC 9207 but the redirect has no `iss`.
    #[error(
        "the redirect has no iss parameter although the identity provider always sends one: refusing it (possible mix-up attack)"
    )]
    MissingIssuerParameter,
    /// The redirect's query string is malformed.
    #[error("the redirect's query string is malformed: {0}")]
    RedirectQuery(String),
    /// The identity provider refused the login (`error=` in the redirect).
    #[error("the login was refused by KukurukuID: {error}{}", describe(.description.as_deref()))]
    Authorization {
        /// The OAuth error code.
        error: AuthorizationErrorCode,
        /// The provider's `error_description`, if any.
        description: Option<String>,
    },
    /// The redirect carries neither `code` nor `error`.
    #[error("the redirect carries no authorization code")]
    MissingCode,
    /// The token endpoint refused the code or the refresh token.
    #[error("the token endpoint refused the request: {error}{}", describe(.description.as_deref()))]
    Token {
        /// The HTTP status, when the provider answered with an OAuth error.
        status: Option<StatusCode>,
        /// The OAuth error code.
        error: TokenErrorCode,
        /// The provider's `error_description`, if any.
        description: Option<String>,
    },
    /// The token endpoint gave a lifetime (`expires_in`) whose end no clock can represent.
    #[error(
        "the token endpoint answered expires_in = {expires_in} s, an expiry too far away to represent: refusing the answer (an identity provider bug)"
    )]
    TokenLifetime {
        /// The `expires_in` received, in seconds.
        expires_in: u64,
    },
    /// An answer could not be read.
    #[error("the answer from {url} could not be read: {reason}")]
    Malformed {
        /// The URL called.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The token answer has no ID token.
    #[error("the identity provider sent no ID token: was the `openid` scope requested?")]
    MissingIdToken,
    /// The ID token was refused.
    #[error("the ID token was refused")]
    IdToken(#[from] IdTokenError),
    /// The session has no refresh token.
    #[error("the session has no refresh token: log the user in again")]
    NoRefreshToken,
    /// The provider has no endpoint for this (e.g. no `userinfo_endpoint`, no `end_session_endpoint`).
    #[error("the identity provider announces no {0} endpoint")]
    NoEndpoint(&'static str),
    /// The userinfo answer is unusable (wrong subject, bad JSON, …).
    #[error("the userinfo answer is unusable: {0}")]
    UserInfo(String),
    /// The profile call (`GET /api/v1/me`) failed.
    #[error("the profile call failed")]
    Profile(#[source] kukuruku_proto::ResponseError),
    /// The Play query string is unusable (no issuer, no order id, conflicting values, …).
    #[error("the auto-login link is unusable")]
    AutoLoginQuery(#[source] kukuruku_proto::AutoLoginError),
    /// The Play link's issuer is not in the allow-list. No request was made to it.
    #[error(
        "the auto-login link names issuer {issuer:?}, which is not allowed: the link is forged or the allow-list is incomplete; no request was made to it"
    )]
    ForeignIssuer {
        /// The issuer named by the link (normalised when possible).
        issuer: String,
    },
}

/// The most of an unexpected answer's body kept in [`Error::Status`].
const STATUS_BODY_BYTES: usize = 4096;

impl Error {
    /// An unexpected HTTP status, with the start of the answer's body as text.
    pub(crate) fn status(url: &url::Url, status: StatusCode, body: &[u8]) -> Self {
        let end = body.len().min(STATUS_BODY_BYTES);
        Error::Status {
            url: url.to_string(),
            status,
            body: String::from_utf8_lossy(&body[..end]).into_owned(),
        }
    }
}

/// Untrusted text from the provider or the redirect, as this crate's errors and logs show it:
/// cut by [`Excerpt`], with control and bidirectional-override characters escaped (`\n`,
/// `\u{1b}`, …), so that it can neither forge log lines nor reorder a terminal's text.
pub(crate) fn provider_text(text: &str) -> String {
    let mut shown = String::new();
    for c in Excerpt(text).to_string().chars() {
        let hidden = c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if hidden {
            shown.extend(c.escape_default());
        } else {
            shown.push(c);
        }
    }
    shown
}

fn describe(description: Option<&str>) -> String {
    description.map_or_else(String::new, |text| format!(" ({text})"))
}

/// Why an ID token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// Not a JWT this crate can read.
    #[error("it is malformed: {0}")]
    Malformed(String),
    /// The signature does not verify with the provider's key.
    #[error("its signature does not verify against the provider's keys (forged or tampered)")]
    Signature,
    /// No key of the JWKS matches, even after refetching it.
    #[error(
        "it is signed with a key the provider does not publish (kid {kid:?}), even after refetching the JWKS"
    )]
    UnknownKey {
        /// The token's `kid`.
        kid: Option<String>,
    },
    /// The algorithm is not allowed (`none`, HMAC, …): only RS256 is.
    #[error("its algorithm is not allowed (only RS256 is): {0}")]
    Algorithm(String),
    /// `iss` is not the configured issuer.
    #[error("its issuer is wrong: {0}")]
    Issuer(String),
    /// `aud` does not contain the client id, or contains untrusted audiences.
    #[error("its audience is wrong: {0}")]
    Audience(String),
    /// Several audiences, and `azp` missing or not the client id.
    #[error("its authorized party (azp) is wrong: {0}")]
    AuthorizedParty(String),
    /// `exp` is past (beyond the leeway).
    #[error("it has expired: {0}")]
    Expired(String),
    /// `iat` is in the future (beyond the leeway).
    #[error("it was issued in the future: {0}")]
    IssuedInFuture(String),
    /// The `nonce` is not the attempt's (a replayed or injected token).
    #[error("its nonce does not match the login attempt (replayed or injected token): {0}")]
    Nonce(String),
    /// A refreshed ID token names another subject.
    #[error("it names another user than the session")]
    Subject,
    /// Anything else the verifier refused.
    #[error("{0}")]
    Other(String),
}

macro_rules! error_code {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A code this crate does not know, kept as received.
            Other(String),
        }

        impl $name {
            /// Reads a code; an unknown one is kept in `Other`.
            pub fn parse(code: &str) -> Self {
                match code {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }

            /// The code as on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(other) => other,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

error_code! {
    /// The `error` of an authorization answer (RFC 6749 4.1.2.1, OpenID Connect Core 3.1.2.6).
    AuthorizationErrorCode {
        /// `invalid_request`
        InvalidRequest = "invalid_request",
        /// `unauthorized_client`
        UnauthorizedClient = "unauthorized_client",
        /// `access_denied`: the user declined.
        AccessDenied = "access_denied",
        /// `unsupported_response_type`
        UnsupportedResponseType = "unsupported_response_type",
        /// `invalid_scope`
        InvalidScope = "invalid_scope",
        /// `server_error`
        ServerError = "server_error",
        /// `temporarily_unavailable`
        TemporarilyUnavailable = "temporarily_unavailable",
        /// `interaction_required`
        InteractionRequired = "interaction_required",
        /// `login_required`: `prompt=none` and the user is not logged in.
        LoginRequired = "login_required",
        /// `account_selection_required`
        AccountSelectionRequired = "account_selection_required",
        /// `consent_required`
        ConsentRequired = "consent_required",
    }
}

error_code! {
    /// The `error` of a token endpoint answer (RFC 6749 5.2).
    TokenErrorCode {
        /// `invalid_request`
        InvalidRequest = "invalid_request",
        /// `invalid_client`: wrong client id or secret, or wrong authentication method.
        InvalidClient = "invalid_client",
        /// `invalid_grant`: the code or refresh token is invalid, expired, used, or the PKCE
        /// verifier does not match.
        InvalidGrant = "invalid_grant",
        /// `unauthorized_client`
        UnauthorizedClient = "unauthorized_client",
        /// `unsupported_grant_type`
        UnsupportedGrantType = "unsupported_grant_type",
        /// `invalid_scope`
        InvalidScope = "invalid_scope",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_keep_unknown_values() {
        assert_eq!(
            AuthorizationErrorCode::parse("login_required"),
            AuthorizationErrorCode::LoginRequired
        );
        let other = AuthorizationErrorCode::parse("temporarily_sleepy");
        assert_eq!(
            other,
            AuthorizationErrorCode::Other("temporarily_sleepy".into())
        );
        assert_eq!(other.as_str(), "temporarily_sleepy");
        assert_eq!(
            TokenErrorCode::parse("invalid_grant").to_string(),
            "invalid_grant"
        );
    }

    #[test]
    fn messages_speak_merchant() {
        let error = Error::Authorization {
            error: AuthorizationErrorCode::AccessDenied,
            description: Some("user said no".into()),
        };
        assert_eq!(
            error.to_string(),
            "the login was refused by KukurukuID: access_denied (user said no)"
        );
    }

    #[test]
    fn provider_text_is_cut_and_escaped() {
        assert_eq!(provider_text("user said no"), "user said no");
        assert_eq!(
            provider_text("no\nINFO forged line\r\u{1b}[2J\u{202e}"),
            "no\\nINFO forged line\\r\\u{1b}[2J\\u{202e}"
        );
        let long = "é".repeat(200);
        assert_eq!(
            provider_text(&long).chars().count(),
            kukuruku_proto::EXCERPT_CHARS + 1
        );
    }

    /// Every message of the chain that `source()` walks, outermost first.
    fn chain(error: &dyn std::error::Error) -> Vec<String> {
        std::iter::successors(Some(error), |error| error.source())
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_reporter_prints_each_cause_once() {
        let io = std::io::Error::other("connection reset by peer");
        let errors = [
            Error::Transport {
                url: "https://auth.example/token".into(),
                source: Box::new(io),
            },
            Error::IdToken(IdTokenError::Signature),
            Error::IdToken(IdTokenError::Expired("exp is 40 s ago".into())),
        ];
        for error in errors {
            let chain = chain(&error);
            assert!(chain.len() > 1, "{chain:?}");
            for (outer, inner) in chain.iter().zip(chain.iter().skip(1)) {
                assert!(!outer.contains(inner.as_str()), "{chain:?}");
            }
        }
        let error = Error::IdToken(IdTokenError::Signature);
        assert_eq!(
            chain(&error),
            [
                "the ID token was refused",
                "its signature does not verify against the provider's keys (forged or tampered)"
            ]
        );
    }
}
