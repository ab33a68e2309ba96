//! The [`Endpoint`] trait: one Kukuruku API call, sans IO. It turns a typed call into an
//! `http::Request<Bytes>` and an `http::Response<Bytes>` into a typed result; each call is in
//! its own module (`payin`, `payout`, `order_status`, `profile`).

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, Method, Request, Response};
use serde::de::DeserializeOwned;

use crate::config::ApiConfig;
use crate::error::{ApiError, RequestError, ResponseError};
use crate::strict_json::{JsonError, read_json};

/// The media type of every body: `application/json` (requests, answers, and the merchant's
/// answers to callbacks).
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// One Kukuruku API call, sans IO: how to build its request and how to read its answer.
///
/// Implemented by [`PayinRequest`](crate::PayinRequest), [`PayoutRequest`](crate::PayoutRequest),
/// [`OrderStatusRequest`](crate::OrderStatusRequest) and
/// [`ProfileRequest`](crate::ProfileRequest). Send the request with any HTTP client, then
/// give the answer (status, headers, full body) to the same call's
/// [`Endpoint::parse_response`], with the same [`ApiConfig`]: an answer is read against the
/// request it answers (the order status refuses an answer about another order or merchant). With the
/// `sign` feature, [`build_signed_request`](crate::build_signed_request) and
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
/// let order = call.parse_response(&config, response)?;
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

    /// Reads the answer to this call, sent with `config`: a non-2xx status, or a 2xx body with
    /// `"success": false`, is [`ResponseError::Api`]; a 2xx body that does not parse is
    /// [`ResponseError::Malformed`], one with a key twice [`ResponseError::DuplicateKey`]; an
    /// answer that is not about what was asked (another order, another merchant) is
    /// [`ResponseError::Mismatch`].
    fn parse_response(
        &self,
        config: &ApiConfig,
        response: Response<Bytes>,
    ) -> Result<Self::Output, ResponseError>;
}

/// Reads a JSON answer as `T`, the way every [`Endpoint`] of this crate does: a non-2xx
/// status, or a body whose `success` is `false`, is [`ResponseError::Api`] (status, message,
/// raw body); a 2xx body with a key twice in an object is [`ResponseError::DuplicateKey`]
/// ([`read_json`](crate::read_json)); a 2xx body that is not `T` is
/// [`ResponseError::Malformed`] (status, raw body, parser message). Never panics.
pub fn parse_json_response<T: DeserializeOwned>(
    response: Response<Bytes>,
) -> Result<T, ResponseError> {
    let (parts, body) = response.into_parts();
    let status = parts.status;
    if !status.is_success() {
        return Err(ApiError::new(status, body).into());
    }
    let value: serde_json::Value = match read_json(&body) {
        Ok(value) => value,
        Err(JsonError::DuplicateKey { key }) => {
            return Err(ResponseError::DuplicateKey { status, body, key });
        }
        Err(JsonError::Invalid { message }) => {
            return Err(ResponseError::Malformed {
                status,
                body,
                message,
            });
        }
    };
    if value.get("success") == Some(&serde_json::Value::Bool(false)) {
        return Err(ApiError::new(status, body).into());
    }
    // The body has no duplicate key (checked above): `from_value` reads what was checked.
    serde_json::from_value(value).map_err(|error| ResponseError::Malformed {
        status,
        body,
        message: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &'static [u8]) -> Response<Bytes> {
        let mut response = Response::new(Bytes::from_static(body));
        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
        response
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Answer {
        token: String,
    }

    #[test]
    fn json_answers() {
        let answer: Answer = parse_json_response(response(200, br#"{"token":"t"}"#)).unwrap();
        assert_eq!(answer.token, "t");
        let answer: Answer =
            parse_json_response(response(201, br#"{"success":true,"token":"t"}"#)).unwrap();
        assert_eq!(answer.token, "t");
        let error = parse_json_response::<Answer>(response(200, br#"{"success":false}"#));
        assert!(matches!(error, Err(ResponseError::Api(_))));
        let error = parse_json_response::<Answer>(response(500, br#"{"token":"t"}"#));
        assert!(matches!(error, Err(ResponseError::Api(_))));
        let error = parse_json_response::<Answer>(response(200, b"[1]")).unwrap_err();
        assert!(
            matches!(error, ResponseError::Malformed { .. }),
            "{error:?}"
        );
        assert_eq!(error.body().as_ref(), b"[1]");
        let error = parse_json_response::<Answer>(response(200, br#"{"token":"a","token":"b"}"#));
        assert!(
            matches!(&error, Err(ResponseError::DuplicateKey { key, .. }) if key == "token"),
            "{error:?}"
        );
        // `success` twice: neither value is believed.
        let error = parse_json_response::<Answer>(response(
            200,
            br#"{"success":false,"success":true,"token":"t"}"#,
        ));
        assert!(
            matches!(&error, Err(ResponseError::DuplicateKey { key, .. }) if key == "success"),
            "{error:?}"
        );
    }
}
