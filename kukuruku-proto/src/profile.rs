//! The KukurukuID user's profile (**D5**) and the call that reads it: `GET /api/v1/me` with the
//! user's bearer access token.

use std::fmt;

use bytes::Bytes;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::ApiConfig;
use crate::currency::Currency;
use crate::endpoint::{Endpoint, parse_json_response};
use crate::error::{RequestError, ResponseError};

/// The profile of the logged-in KukurukuID user (**D5**): every documented field is optional,
/// and every other field is kept in [`Profile::extra`].
///
/// ```
/// use kukuruku_proto::{Currency, Profile};
/// let me: Profile = serde_json::from_str(
///     r#"{"name":"Ann","email":"ann@example.com","currency":"RUB","balance":100}"#,
/// )?;
/// assert_eq!(me.email.as_deref(), Some("ann@example.com"));
/// assert_eq!(me.currency, Some(Currency::Rub));
/// assert_eq!(me.extra["balance"], 100);
/// assert_eq!(serde_json::from_str::<Profile>("{}")?, Profile::default());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Profile {
    /// The user's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's confirmed e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The user's currency (an unknown code is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The KukurukuID user's profile: `GET /api/v1/me` with `Authorization: Bearer <access token>`,
/// answered with a [`Profile`].
///
/// The token is a credential: `Debug` never shows it, and the `authorization` header is marked
/// sensitive. This call is not HMAC-signed ([`Endpoint::REQUEST_SIGNED`] is `false`).
///
/// ```
/// use kukuruku_proto::{ApiConfig, Endpoint, MerchantId, ProfileRequest};
/// let call = ProfileRequest::new("eyJhbGciOi.secret.token")?;
/// assert!(!format!("{call:?}").contains("secret"));
/// let request = call.to_request(&ApiConfig::new(MerchantId::new("1")?))?;
/// assert!(request.headers()["authorization"].is_sensitive());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ProfileRequest {
    token: String,
}

impl ProfileRequest {
    /// The profile call with the user's access token (the token itself, without `Bearer `).
    /// Refuses an empty token or one that cannot go into an HTTP header.
    pub fn new(access_token: impl Into<String>) -> Result<Self, RequestError> {
        let token = access_token.into();
        let token = token.trim();
        if token.is_empty() || HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
            return Err(RequestError::InvalidAccessToken);
        }
        Ok(Self {
            token: token.to_owned(),
        })
    }
}

impl fmt::Debug for ProfileRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileRequest")
            .field("token", &"***")
            .finish()
    }
}

impl Endpoint for ProfileRequest {
    type Output = Profile;
    const METHOD: Method = Method::GET;
    const REQUEST_SIGNED: bool = false;

    fn path(&self) -> String {
        "/api/v1/me".to_owned()
    }

    fn body(&self, _config: &ApiConfig) -> Result<Option<Bytes>, RequestError> {
        Ok(None)
    }

    fn add_headers(&self, headers: &mut HeaderMap) -> Result<(), RequestError> {
        let mut value = HeaderValue::from_str(&format!("Bearer {}", self.token))
            .map_err(|_| RequestError::InvalidAccessToken)?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
        Ok(())
    }

    fn parse_response(
        &self,
        _config: &ApiConfig,
        response: Response<Bytes>,
    ) -> Result<Profile, ResponseError> {
        parse_json_response(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::MerchantId;

    fn config() -> ApiConfig {
        ApiConfig::new(MerchantId::new("1").unwrap())
    }

    #[test]
    fn optional_unknown_and_extra() {
        let profile: Profile =
            serde_json::from_str(r#"{"email":"a@b.co","currency":"KZT","id":"u-1","phone":null}"#)
                .unwrap();
        assert_eq!(profile.name, None);
        assert_eq!(profile.email.as_deref(), Some("a@b.co"));
        assert_eq!(profile.currency, Some(Currency::Unknown("KZT".into())));
        assert_eq!(profile.extra["id"], "u-1");
        assert_eq!(profile.extra["phone"], Value::Null);
        let again: Profile =
            serde_json::from_str(&serde_json::to_string(&profile).unwrap()).unwrap();
        assert_eq!(again, profile);
        let nulls: Profile =
            serde_json::from_str(r#"{"name":null,"email":null,"currency":null}"#).unwrap();
        assert_eq!(nulls, Profile::default());
        assert!(serde_json::from_str::<Profile>(r#"{"name":5}"#).is_err());
        assert!(serde_json::from_str::<Profile>("[]").is_err());
    }

    #[test]
    fn access_token_rules() {
        assert_eq!(
            ProfileRequest::new(""),
            Err(RequestError::InvalidAccessToken)
        );
        assert_eq!(
            ProfileRequest::new("  "),
            Err(RequestError::InvalidAccessToken)
        );
        assert_eq!(
            ProfileRequest::new("a\nb"),
            Err(RequestError::InvalidAccessToken)
        );
        let call = ProfileRequest::new("tok-SECRET").unwrap();
        assert_eq!(format!("{call:?}"), "ProfileRequest { token: \"***\" }");
        let request = call.to_request(&config()).unwrap();
        assert_eq!(request.headers()[AUTHORIZATION], "Bearer tok-SECRET");
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
        assert!(!format!("{:?}", request.headers()).contains("SECRET"));
    }

    #[test]
    fn response_parsing() {
        let response = |status: u16, body: &'static [u8]| {
            let mut response = Response::new(Bytes::from_static(body));
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
            response
        };
        let call = ProfileRequest::new("t").unwrap();
        let error = call
            .parse_response(&config(), response(502, b""))
            .unwrap_err();
        assert_eq!(error.status(), 502);
        let profile = call
            .parse_response(&config(), response(200, b"{}"))
            .unwrap();
        assert_eq!(profile, Profile::default());
        let twice = call.parse_response(
            &config(),
            response(200, br#"{"email":"a@b.co","email":"c@d.co"}"#),
        );
        assert!(
            matches!(&twice, Err(ResponseError::DuplicateKey { key, .. }) if key == "email"),
            "{twice:?}"
        );
    }
}
