//! Everything a merchant sets once ([`ApiConfig`]): the API's base URL, the merchant id, and
//! the two wire choices the documentation leaves open (D1 [`BodylessSigning`], D7
//! [`MerchantIdFormat`](crate::MerchantIdFormat)).

use std::borrow::Cow;

use bytes::Bytes;
use http::Request;
use serde::Serialize;

use crate::body::{MerchantIdJson, to_json};
use crate::error::RequestError;
use crate::ids::{MerchantId, MerchantIdFormat};
use crate::validate::check_url;

/// The production API: `https://api.kukuruku.win`.
pub const DEFAULT_BASE_URL: &str = "https://api.kukuruku.win";

/// The local development API: `https://api.kukuruku.local`.
pub const LOCAL_BASE_URL: &str = "https://api.kukuruku.local";

/// The name of the environment variable the SDK's tools read a base URL from. This crate never
/// reads the environment itself; pass the value to [`ApiConfig::with_base_url`].
pub const BASE_URL_ENV: &str = "KUKURUKU_BASE_URL";

/// What is signed for a request without a body, such as the order status call (**D1**).
///
/// The documentation does not say. The default, `{}`, is what an Express server that
/// re-serialises its parsed body sees for a request without one. Switch if your account manager
/// tells you otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum BodylessSigning {
    /// Sign the two bytes `{}` (default).
    #[default]
    EmptyObject,
    /// Sign the empty string.
    EmptyString,
    /// Sign `{"merchant_id":"…"}` (with the merchant id written per [`MerchantIdFormat`]).
    MerchantIdObject,
}

impl BodylessSigning {
    /// The bytes to sign for a body-less request of `merchant_id`, written per `format`.
    ///
    /// ```
    /// use kukuruku_proto::{BodylessSigning, MerchantId, MerchantIdFormat};
    /// let id = MerchantId::new("42")?;
    /// let string = MerchantIdFormat::String;
    /// assert_eq!(BodylessSigning::EmptyObject.input(&id, string)?.as_ref(), b"{}");
    /// assert_eq!(BodylessSigning::EmptyString.input(&id, string)?.as_ref(), b"");
    /// assert_eq!(
    ///     BodylessSigning::MerchantIdObject.input(&id, string)?.as_ref(),
    ///     br#"{"merchant_id":"42"}"#
    /// );
    /// assert_eq!(
    ///     BodylessSigning::MerchantIdObject.input(&id, MerchantIdFormat::Number)?.as_ref(),
    ///     br#"{"merchant_id":42}"#
    /// );
    /// # Ok::<(), kukuruku_proto::RequestError>(())
    /// ```
    pub fn input(
        self,
        merchant_id: &MerchantId,
        format: MerchantIdFormat,
    ) -> Result<Bytes, RequestError> {
        match self {
            Self::EmptyObject => Ok(Bytes::from_static(b"{}")),
            Self::EmptyString => Ok(Bytes::new()),
            Self::MerchantIdObject => {
                #[derive(Serialize)]
                struct Body<'a> {
                    merchant_id: MerchantIdJson<'a>,
                }
                to_json(&Body {
                    merchant_id: MerchantIdJson::new(merchant_id, format)?,
                })
            }
        }
    }
}

/// Everything a merchant sets once: the API's base URL, the merchant id, and the two wire
/// choices the documentation leaves open (D1 [`BodylessSigning`], D7 [`MerchantIdFormat`]).
///
/// ```
/// use kukuruku_proto::{ApiConfig, BodylessSigning, MerchantId, MerchantIdFormat, LOCAL_BASE_URL};
/// let config = ApiConfig::new(MerchantId::new("1")?)
///     .with_base_url(LOCAL_BASE_URL)?
///     .with_merchant_id_format(MerchantIdFormat::Number)?
///     .with_bodyless_signing(BodylessSigning::MerchantIdObject);
/// assert_eq!(config.base_url(), "https://api.kukuruku.local");
/// assert_eq!(config.bodyless_signing_input().as_ref(), br#"{"merchant_id":1}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    base_url: String,
    merchant_id: MerchantId,
    merchant_id_format: MerchantIdFormat,
    bodyless_signing: BodylessSigning,
}

impl ApiConfig {
    /// A configuration for `merchant_id` against [`DEFAULT_BASE_URL`], with the documented
    /// defaults: `merchant_id` as a string, `{}` signed for body-less requests.
    pub fn new(merchant_id: MerchantId) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            merchant_id,
            merchant_id_format: MerchantIdFormat::default(),
            bodyless_signing: BodylessSigning::default(),
        }
    }

    /// Another base URL, e.g. [`LOCAL_BASE_URL`] or a sandbox on `http://127.0.0.1:PORT`.
    ///
    /// It must be `https` (`http` only on loopback hosts), without credentials, query or
    /// fragment; a path prefix is kept (`https://host/prefix` gives `https://host/prefix/api/…`)
    /// and a trailing `/` is dropped.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, RequestError> {
        let url = check_url("base_url", base_url)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(RequestError::InvalidBaseUrl {
                reason: "it must not have a query (?…) or a fragment (#…)".into(),
            });
        }
        url.as_str()
            .trim_end_matches('/')
            .clone_into(&mut self.base_url);
        Ok(self)
    }

    /// How `merchant_id` is written in bodies (D7). [`MerchantIdFormat::Number`] is refused
    /// for an id that is not a plain number.
    pub fn with_merchant_id_format(
        mut self,
        format: MerchantIdFormat,
    ) -> Result<Self, RequestError> {
        MerchantIdJson::new(&self.merchant_id, format)?;
        self.merchant_id_format = format;
        Ok(self)
    }

    /// What is signed for body-less requests (D1).
    #[must_use]
    pub fn with_bodyless_signing(mut self, policy: BodylessSigning) -> Self {
        self.bodyless_signing = policy;
        self
    }

    /// The base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The merchant id sent with every call.
    pub fn merchant_id(&self) -> &MerchantId {
        &self.merchant_id
    }

    /// How `merchant_id` is written in bodies.
    pub fn merchant_id_format(&self) -> MerchantIdFormat {
        self.merchant_id_format
    }

    /// What is signed for body-less requests.
    pub fn bodyless_signing(&self) -> BodylessSigning {
        self.bodyless_signing
    }

    /// The bytes to sign for a body-less request under this configuration (D1).
    pub fn bodyless_signing_input(&self) -> Bytes {
        // The format was checked against the id when it was set, so this does not fail; if it
        // ever did, signing `{}` is the documented default.
        self.bodyless_signing
            .input(&self.merchant_id, self.merchant_id_format)
            .unwrap_or_else(|_| Bytes::from_static(b"{}"))
    }

    /// The bytes to sign for `request`: its body, or for a request with an empty body the D1
    /// bytes of [`ApiConfig::bodyless_signing_input`]. The `signature` header is the hex
    /// HMAC-SHA512 of these bytes.
    pub fn signing_input<'a, B: AsRef<[u8]>>(&self, request: &'a Request<B>) -> Cow<'a, [u8]> {
        let body = request.body().as_ref();
        if body.is_empty() {
            Cow::Owned(self.bodyless_signing_input().to_vec())
        } else {
            Cow::Borrowed(body)
        }
    }

    /// The full URL of `path` (already percent-encoded, starting with `/`) and optional
    /// `query` (already encoded, without `?`).
    pub fn url(&self, path: &str, query: Option<&str>) -> String {
        match query {
            Some(query) => format!("{}{path}?{query}", self.base_url),
            None => format!("{}{path}", self.base_url),
        }
    }

    /// `merchant_id` ready to serialise per the configured format.
    pub(crate) fn merchant_id_json(&self) -> Result<MerchantIdJson<'_>, RequestError> {
        MerchantIdJson::new(&self.merchant_id, self.merchant_id_format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ApiConfig {
        ApiConfig::new(MerchantId::new("1").unwrap())
    }

    #[test]
    fn base_url_rules() {
        let c = config()
            .with_base_url("https://api.kukuruku.local/")
            .unwrap();
        assert_eq!(c.base_url(), "https://api.kukuruku.local");
        let c = config()
            .with_base_url("http://127.0.0.1:8080/prefix/")
            .unwrap();
        assert_eq!(
            c.url("/api/v1/me", None),
            "http://127.0.0.1:8080/prefix/api/v1/me"
        );
        assert!(matches!(
            config().with_base_url("http://api.kukuruku.win"),
            Err(RequestError::InsecureUrl {
                field: "base_url",
                ..
            })
        ));
        assert!(matches!(
            config().with_base_url("https://api.kukuruku.win/?x=1"),
            Err(RequestError::InvalidBaseUrl { .. })
        ));
        assert!(matches!(
            config().with_base_url("not a url"),
            Err(RequestError::InvalidUrl {
                field: "base_url",
                ..
            })
        ));
        assert_eq!(config().base_url(), DEFAULT_BASE_URL);
    }

    #[test]
    fn number_format_needs_a_numeric_id() {
        let c = ApiConfig::new(MerchantId::new("m-1").unwrap());
        assert_eq!(
            c.with_merchant_id_format(MerchantIdFormat::Number),
            Err(RequestError::MerchantIdNotNumeric {
                merchant_id: "m-1".into()
            })
        );
        assert_eq!(
            BodylessSigning::MerchantIdObject
                .input(&MerchantId::new("007").unwrap(), MerchantIdFormat::Number),
            Err(RequestError::MerchantIdNotNumeric {
                merchant_id: "007".into()
            })
        );
    }

    #[test]
    fn bodyless_inputs() {
        assert_eq!(config().bodyless_signing_input().as_ref(), b"{}");
        let c = config().with_bodyless_signing(BodylessSigning::EmptyString);
        assert_eq!(c.bodyless_signing_input().as_ref(), b"");
        let c = ApiConfig::new(MerchantId::new("a\"b").unwrap())
            .with_bodyless_signing(BodylessSigning::MerchantIdObject);
        assert_eq!(
            c.bodyless_signing_input().as_ref(),
            br#"{"merchant_id":"a\"b"}"#
        );
    }

    #[test]
    fn signing_input_is_body_or_d1() {
        let c = config();
        let with_body = Request::new(Bytes::from_static(b"{\"a\":1}"));
        assert_eq!(c.signing_input(&with_body).as_ref(), b"{\"a\":1}");
        let without = Request::new(Bytes::new());
        assert_eq!(c.signing_input(&without).as_ref(), b"{}");
    }
}
