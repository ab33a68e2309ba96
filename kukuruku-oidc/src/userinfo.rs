//! [`KukurukuId::userinfo`]: the standard userinfo endpoint, and [`UserInfo`], what it says.

use std::fmt;

use openidconnect::core::CoreUserInfoClaims;
use openidconnect::{AccessToken, SubjectIdentifier, UserInfoError, UserInfoUrl};
use serde::{Deserialize, Serialize};

use crate::client::KukurukuId;
use crate::error::Error;
use crate::session::Session;

/// What the standard userinfo endpoint says about the user (its `sub` checked against the
/// session's). `Debug` hides the personal data (e-mail, phone number, names).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// `sub`.
    pub subject: String,
    /// `email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `email_verified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// `phone_number`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `preferred_username`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
}

impl fmt::Debug for UserInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "***");
        f.debug_struct("UserInfo")
            .field("subject", &self.subject)
            .field("email", &redacted(&self.email))
            .field("email_verified", &self.email_verified)
            .field("phone_number", &redacted(&self.phone_number))
            .field("name", &redacted(&self.name))
            .field("preferred_username", &redacted(&self.preferred_username))
            .finish()
    }
}

impl UserInfo {
    fn from_claims(claims: &CoreUserInfoClaims) -> Self {
        UserInfo {
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
        }
    }
}

impl KukurukuId {
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
            .request_async(&self.inner.transport)
            .await
            .map_err(|error| match error {
                UserInfoError::Request(error) => error.into(),
                UserInfoError::Response(status, body, _) => Error::status(&url, status, &body),
                UserInfoError::ClaimsVerification(error) => Error::UserInfo(error.to_string()),
                other => Error::UserInfo(other.to_string()),
            })?;
        Ok(UserInfo::from_claims(&claims))
    }
}
