//! Sans-IO endpoints: the configuration, the [`Endpoint`] trait that turns a typed call into an
//! `http::Request<Bytes>` and an `http::Response<Bytes>` into a typed result, and the order
//! status and profile calls (payins and payouts live in their own modules).

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::validate::check_url;
use crate::{
    ApiError, MerchantId, MerchantIdFormat, Order, OrderId, Profile, RequestError, ResponseError,
};

/// The production API: `https://api.kukuruku.win`.
pub const DEFAULT_BASE_URL: &str = "https://api.kukuruku.win";

/// The local development API: `https://api.kukuruku.local`.
pub const LOCAL_BASE_URL: &str = "https://api.kukuruku.local";

/// The name of the environment variable the SDK's tools read a base URL from. This crate never
/// reads the environment itself; pass the value to [`ApiConfig::with_base_url`].
pub const BASE_URL_ENV: &str = "KUKURUKU_BASE_URL";

/// The media type of every body: `application/json`.
pub const JSON_CONTENT_TYPE: &str = "application/json";

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

/// `merchant_id` as a JSON string or number (D7).
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(untagged)]
pub(crate) enum MerchantIdJson<'a> {
    Text(&'a str),
    Number(u64),
}

impl<'a> MerchantIdJson<'a> {
    pub(crate) fn new(id: &'a MerchantId, format: MerchantIdFormat) -> Result<Self, RequestError> {
        match format {
            MerchantIdFormat::String => Ok(Self::Text(id.as_str())),
            MerchantIdFormat::Number => {
                id.as_number()
                    .map(Self::Number)
                    .ok_or_else(|| RequestError::MerchantIdNotNumeric {
                        merchant_id: crate::ids::shorten(id.as_str()),
                    })
            }
        }
    }
}

/// One Kukuruku API call, sans IO: how to build its request and how to read its answer.
///
/// Implemented by [`PayinRequest`](crate::PayinRequest), [`PayoutRequest`](crate::PayoutRequest),
/// [`OrderStatusRequest`] and [`ProfileRequest`]. Send the request with any HTTP client, then
/// give the answer (status, headers, full body) to [`Endpoint::parse_response`]. With the
/// `sign` feature, [`signed_request`](crate::signed_request) and
/// [`parse_verified_response`](crate::parse_verified_response) add the signatures.
///
/// ```
/// use kukuruku_proto::{ApiConfig, Endpoint, MerchantId, OrderId, OrderStatus, OrderStatusRequest};
/// let config = ApiConfig::new(MerchantId::new("1")?);
/// let call = OrderStatusRequest::new(OrderId::new("8f14e45f-ceea-467a-9575-4e1f0c2d7a11")?);
/// let request = call.to_request(&config)?;
/// assert_eq!(
///     request.uri(),
///     "https://api.kukuruku.win/api/v1/orders/8f14e45f-ceea-467a-9575-4e1f0c2d7a11?merchant_id=1"
/// );
///
/// // … send it, then:
/// let response = http::Response::builder()
///     .status(200)
///     .body(bytes::Bytes::from_static(br#"{"uuid":"8f14e45f-ceea-467a-9575-4e1f0c2d7a11","status":"paid"}"#))?;
/// let order = OrderStatusRequest::parse_response(response)?;
/// assert_eq!(order.status, OrderStatus::Paid);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Endpoint {
    /// The typed result of a successful call.
    type Output;

    /// The HTTP method.
    const METHOD: Method;

    /// Whether the request carries a `signature` header (all calls but the profile, which is
    /// authenticated by a bearer token).
    const REQUEST_SIGNED: bool = true;

    /// Whether a successful answer carries a `signature` header to verify (order status).
    const RESPONSE_SIGNED: bool = false;

    /// The path, percent-encoded, starting with `/`, e.g. `/api/v1/orders/payins`.
    fn path(&self) -> String;

    /// The query string, encoded, without `?` (`None`: no query).
    fn query(&self, config: &ApiConfig) -> Result<Option<String>, RequestError> {
        let _ = config;
        Ok(None)
    }

    /// The JSON body, serialised once (`None`: a body-less request).
    fn body(&self, config: &ApiConfig) -> Result<Option<Bytes>, RequestError>;

    /// Headers this call adds to `accept` and `content-type` (e.g. `authorization`).
    fn add_headers(&self, headers: &mut HeaderMap) -> Result<(), RequestError> {
        let _ = headers;
        Ok(())
    }

    /// The complete, unsigned request: method, URL, `accept: application/json`,
    /// `content-type: application/json` when there is a body, the call's own headers, and the
    /// body bytes (empty for a body-less call).
    fn to_request(&self, config: &ApiConfig) -> Result<Request<Bytes>, RequestError> {
        let body = self.body(config)?;
        let query = self.query(config)?;
        let uri = config.url(&self.path(), query.as_deref());
        let mut builder = Request::builder()
            .method(Self::METHOD)
            .uri(uri)
            .header(ACCEPT, JSON_CONTENT_TYPE);
        if body.is_some() {
            builder = builder.header(CONTENT_TYPE, JSON_CONTENT_TYPE);
        }
        let mut request =
            builder
                .body(body.unwrap_or_default())
                .map_err(|error| RequestError::Http {
                    reason: error.to_string(),
                })?;
        self.add_headers(request.headers_mut())?;
        Ok(request)
    }

    /// Reads the answer: a non-2xx status, or a 2xx body with `"success": false`, is
    /// [`ResponseError::Api`]; a 2xx body that does not parse is [`ResponseError::Malformed`].
    fn parse_response(response: Response<Bytes>) -> Result<Self::Output, ResponseError>;
}

/// Reads a JSON answer as `T`, the way every [`Endpoint`] of this crate does: a non-2xx
/// status, or a body whose `success` is `false`, is [`ResponseError::Api`] (status, message,
/// raw body); a 2xx body that is not `T` is [`ResponseError::Malformed`] (status, raw body,
/// parser message). Never panics.
pub fn parse_json_response<T: DeserializeOwned>(
    response: Response<Bytes>,
) -> Result<T, ResponseError> {
    let (parts, body) = response.into_parts();
    let status = parts.status;
    if !status.is_success() {
        return Err(ApiError::new(status, body).into());
    }
    let malformed = |error: serde_json::Error, body: Bytes| ResponseError::Malformed {
        status,
        body,
        message: error.to_string(),
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => return Err(malformed(error, body)),
    };
    if value.get("success") == Some(&serde_json::Value::Bool(false)) {
        return Err(ApiError::new(status, body).into());
    }
    serde_json::from_value(value).map_err(|error| malformed(error, body))
}

/// Serialises a body once.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<Bytes, RequestError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|error| RequestError::Encode {
            reason: error.to_string(),
        })
}

/// The characters percent-encoded in a path segment: the URL standard's path-segment set, plus
/// `%` so that an id is never decoded twice.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']');

/// The status of one order: `GET /api/v1/orders/{uuid}?merchant_id=…` (D1), answered with the
/// order ([`Order`]) and a `signature` header over the answer's body.
///
/// It has no body; its signature is over [`ApiConfig::bodyless_signing_input`] (D1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStatusRequest {
    /// KukuPay's id of the order (`token` of the payin, `uuid` of the payout).
    pub id: OrderId,
}

impl OrderStatusRequest {
    /// The status call for order `id`.
    pub fn new(id: OrderId) -> Self {
        Self { id }
    }
}

impl Endpoint for OrderStatusRequest {
    type Output = Order;
    const METHOD: Method = Method::GET;
    const RESPONSE_SIGNED: bool = true;

    fn path(&self) -> String {
        format!(
            "/api/v1/orders/{}",
            utf8_percent_encode(self.id.as_str(), SEGMENT)
        )
    }

    fn query(&self, config: &ApiConfig) -> Result<Option<String>, RequestError> {
        Ok(Some(
            form_urlencoded::Serializer::new(String::new())
                .append_pair("merchant_id", config.merchant_id().as_str())
                .finish(),
        ))
    }

    fn body(&self, _config: &ApiConfig) -> Result<Option<Bytes>, RequestError> {
        Ok(None)
    }

    fn parse_response(response: Response<Bytes>) -> Result<Order, ResponseError> {
        parse_json_response(response)
    }
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

    fn parse_response(response: Response<Bytes>) -> Result<Profile, ResponseError> {
        parse_json_response(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OrderStatus;

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

    #[test]
    fn order_id_is_encoded_in_the_path() {
        let call = OrderStatusRequest::new(OrderId::new("a/b?c#d%e f").unwrap());
        assert_eq!(call.path(), "/api/v1/orders/a%2Fb%3Fc%23d%25e%20f");
        let request = call.to_request(&config()).unwrap();
        assert_eq!(request.uri().path(), "/api/v1/orders/a%2Fb%3Fc%23d%25e%20f");
        let call = OrderStatusRequest::new(OrderId::new("заказ").unwrap());
        assert!(call.to_request(&config()).is_ok());
    }

    #[test]
    fn merchant_id_query_is_encoded() {
        let c = ApiConfig::new(MerchantId::new("a&b=c d").unwrap());
        let request = OrderStatusRequest::new(OrderId::new("x").unwrap())
            .to_request(&c)
            .unwrap();
        assert_eq!(request.uri().query(), Some("merchant_id=a%26b%3Dc+d"));
        assert!(request.body().is_empty());
        assert!(request.headers().get(CONTENT_TYPE).is_none());
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

    fn response(status: u16, body: &'static [u8]) -> Response<Bytes> {
        let mut response = Response::new(Bytes::from_static(body));
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
        response
    }

    #[test]
    fn response_parsing() {
        let order =
            OrderStatusRequest::parse_response(response(200, br#"{"uuid":"u","status":"paid"}"#))
                .unwrap();
        assert_eq!(order.status, OrderStatus::Paid);

        let error = OrderStatusRequest::parse_response(response(
            404,
            br#"{"success":false,"err":"Order not found"}"#,
        ))
        .unwrap_err();
        let api = error.api_error().unwrap();
        assert_eq!(api.status(), 404);
        assert_eq!(api.message(), Some("Order not found"));
        assert_eq!(
            error.body().as_ref(),
            br#"{"success":false,"err":"Order not found"}"#
        );

        let error =
            OrderStatusRequest::parse_response(response(200, br#"{"success":false,"err":"nope"}"#))
                .unwrap_err();
        assert_eq!(error.api_error().unwrap().message(), Some("nope"));
        assert_eq!(error.status(), 200);

        let error =
            OrderStatusRequest::parse_response(response(200, b"<html>oops</html>")).unwrap_err();
        assert!(matches!(error, ResponseError::Malformed { .. }));
        assert_eq!(error.body().as_ref(), b"<html>oops</html>");

        let error =
            OrderStatusRequest::parse_response(response(200, br#"{"uuid":"u"}"#)).unwrap_err();
        match error {
            ResponseError::Malformed { message, body, .. } => {
                assert!(message.contains("status"), "{message}");
                assert_eq!(body.as_ref(), br#"{"uuid":"u"}"#);
            }
            other => panic!("{other:?}"),
        }

        let error = ProfileRequest::parse_response(response(502, b"")).unwrap_err();
        assert_eq!(error.status(), 502);
        let profile = ProfileRequest::parse_response(response(200, b"{}")).unwrap();
        assert_eq!(profile, Profile::default());
    }
}
