//! The ID-token checks: RS256 signature against the provider's keys (refetched once,
//! rate-limited, for an unknown `kid`), `iss`, `aud` and `azp`, `exp`/`iat` with the leeway,
//! `nonce`; and [`IdClaims`], what a verified token says.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kukuruku_proto::{Excerpt, unix_seconds};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    ClaimsVerificationError, ClientId, IssuerUrl, Nonce, SignatureVerificationError,
};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::client::KukurukuId;
use crate::error::{Error, IdTokenError};
use crate::provider::{self, Provider};

/// A marker in the `iat` verifier's message, to tell "issued in the future" from "expired".
const IAT_FUTURE: &str = "issued in the future";

/// The claims of a verified ID token that a merchant uses.
///
/// `Debug` hides the personal data (e-mail, phone number, names) and the nonce, so that a
/// logged session or error names the user by `subject` only; read the fields themselves.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IdClaims {
    /// `iss`: the issuer.
    pub issuer: String,
    /// `sub`: the user's stable id at KukurukuID. Key your accounts on (issuer, subject).
    pub subject: String,
    /// `aud`.
    pub audiences: Vec<String>,
    /// `iat`, seconds since the Unix epoch.
    pub issued_at: u64,
    /// `exp`, seconds since the Unix epoch.
    pub expires_at: u64,
    /// `nonce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `email_verified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// `phone_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// `phone_number_verified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `preferred_username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
}

/// `***` for a value that is there, `None` for one that is not.
fn redacted(value: Option<&String>) -> Option<&'static str> {
    value.map(|_| "***")
}

impl fmt::Debug for IdClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdClaims")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("audiences", &self.audiences)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("nonce", &redacted(self.nonce.as_ref()))
            .field("email", &redacted(self.email.as_ref()))
            .field("email_verified", &self.email_verified)
            .field("phone_number", &redacted(self.phone_number.as_ref()))
            .field("phone_number_verified", &self.phone_number_verified)
            .field("name", &redacted(self.name.as_ref()))
            .field(
                "preferred_username",
                &redacted(self.preferred_username.as_ref()),
            )
            .finish()
    }
}

/// How the nonce of an ID token is checked.
pub(crate) enum NonceRule<'a> {
    /// A login: the token's nonce must be the attempt's.
    Exact(&'a str),
    /// A refresh: absent, or the original one.
    AbsentOr(Option<&'a str>),
}

impl KukurukuId {
    /// Verifies against the cached keys; on an unknown `kid`, refetches the JWKS once (at most
    /// once per `jwks_refetch_interval`) and tries again.
    pub(crate) async fn verify_id_token(
        &self,
        provider: Arc<Provider>,
        token: &CoreIdToken,
        nonce: NonceRule<'_>,
    ) -> Result<IdClaims, Error> {
        match self.verify_with(&provider.jwks, token, &nonce) {
            Err(IdTokenError::UnknownKey { kid }) => {
                let now = self.inner.time_source.now();
                if !self
                    .inner
                    .cache
                    .claim_kid_refetch(now, self.inner.jwks_refetch_interval)
                {
                    return Err(IdTokenError::UnknownKey { kid }.into());
                }
                tracing::debug!(?kid, "unknown ID-token key id: refetching the JWKS");
                let jwks = provider::fetch_jwks(&self.inner.transport, &provider.jwks_uri).await?;
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
        let verifier = self.verifier(jwks)?;
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
        check_authorized_party(claims, &self.inner.client_id)?;
        Ok(id_claims(claims))
    }

    /// The verifier for this client: its id, the issuer, `keys`, the time with the leeway,
    /// and the audiences it trusts besides itself.
    ///
    /// RS256 only, named here rather than left to `openidconnect`'s default, and built as a
    /// public-client verifier even for a confidential client, so that it holds no symmetric
    /// key at all: an HS256 token (whether keyed with the client secret or with the
    /// provider's RSA public key, the key-confusion attack) is refused as
    /// [`IdTokenError::Algorithm`] before any key is tried.
    fn verifier(
        &self,
        jwks: &CoreJsonWebKeySet,
    ) -> Result<CoreIdTokenVerifier<'static>, IdTokenError> {
        let inner = &self.inner;
        let client_id = ClientId::new(inner.client_id.clone());
        let issuer = IssuerUrl::new(inner.issuer.clone())
            .map_err(|error| IdTokenError::Other(error.to_string()))?;
        let verifier = CoreIdTokenVerifier::new_public_client(client_id, issuer, jwks.clone())
            .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]);
        let now = inner.time_source.now();
        let leeway = inner.leeway;
        let trusted = inner.trusted_audiences.clone();
        Ok(verifier
            .set_time_fn(move || now.checked_sub(leeway).unwrap_or(now).into())
            .set_issue_time_verifier_fn(move |issued_at| {
                let issued_at: SystemTime = issued_at.into();
                if now
                    .checked_add(leeway)
                    .is_some_and(|latest| issued_at > latest)
                {
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
            .set_other_audience_verifier_fn(move |audience| trusted.contains(audience.as_str())))
    }
}

/// With several audiences, `azp` must be present; when present, it must be this client.
fn check_authorized_party(claims: &CoreIdTokenClaims, client_id: &str) -> Result<(), IdTokenError> {
    match claims.authorized_party() {
        Some(azp) if azp.as_str() != client_id => Err(IdTokenError::AuthorizedParty(format!(
            "azp is {:?}, not this client",
            Excerpt(azp.as_str())
        ))),
        None if claims.audiences().len() > 1 => Err(IdTokenError::AuthorizedParty(
            "several audiences and no azp".into(),
        )),
        _ => Ok(()),
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
        .map(|kid| Excerpt(kid).to_string())
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
        issued_at: unix_seconds(claims.issue_time().into()),
        expires_at: unix_seconds(claims.expiration().into()),
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
