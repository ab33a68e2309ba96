//! Errors: a request that cannot be built, an answer that is an error or cannot be read, and
//! the error answer Kukuruku sends (D6).

use std::fmt;

use bytes::Bytes;
use http::StatusCode;

use crate::ids::IdError;
use crate::order_status::AnswerMismatch;
use crate::strict_json::{JsonError, read_json};
use crate::text::Excerpt;

/// An error answer from Kukuruku (**D6**): the HTTP status, the message if the body has one,
/// and the raw body bytes.
///
/// The message is read leniently from a JSON object's `err`, `error` or `message` field (in
/// that order; a nested `{"error":{"message":"…"}}` is also understood). Bodies that are not
/// JSON (an HTML page from a proxy, an empty body) are kept as they are, with no message.
///
/// ```
/// use kukuruku_proto::ApiError;
/// use http::StatusCode;
/// let error = ApiError::new(
///     StatusCode::UNAUTHORIZED,
///     &br#"{"success":false,"err":"Invalid signature"}"#[..],
/// );
/// assert_eq!(error.message(), Some("Invalid signature"));
/// assert_eq!(error.to_string(), "Kukuruku answered 401 Unauthorized: Invalid signature");
///
/// let html = ApiError::new(StatusCode::BAD_GATEWAY, &b"<html>Bad gateway</html>"[..]);
/// assert_eq!(html.message(), None);
/// assert_eq!(html.body().as_ref(), b"<html>Bad gateway</html>");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    message: Option<String>,
    success: Option<bool>,
    duplicate_key: Option<String>,
    body: Bytes,
}

impl ApiError {
    /// Reads an error answer. Never fails and never panics, whatever the body. A body with a
    /// key twice in an object is not read (no message, no `success`; see
    /// [`ApiError::duplicate_key`]): readers disagree on which value counts.
    pub fn new(status: StatusCode, body: impl Into<Bytes>) -> Self {
        let body = body.into();
        let (parsed, duplicate_key) = match read_json::<serde_json::Value>(&body) {
            Ok(value) => (Some(value), None),
            Err(JsonError::DuplicateKey { key }) => (None, Some(key)),
            Err(_) => (None, None),
        };
        let object = parsed.as_ref().and_then(serde_json::Value::as_object);
        let message = object.and_then(|object| {
            ["err", "error", "message"]
                .iter()
                .find_map(|key| object.get(*key).and_then(message_of))
        });
        let success = object
            .and_then(|object| object.get("success"))
            .and_then(serde_json::Value::as_bool);
        Self {
            status,
            message,
            success,
            duplicate_key,
            body,
        }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message of the body (`err`, `error` or `message`), if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The body's `success` field, if it had one.
    pub fn success(&self) -> Option<bool> {
        self.success
    }

    /// The key found twice in one object of the body, which was therefore not read (cut to
    /// [`EXCERPT_CHARS`](crate::EXCERPT_CHARS) characters).
    pub fn duplicate_key(&self) -> Option<&str> {
        self.duplicate_key.as_deref()
    }

    /// The raw body bytes, exactly as received.
    pub fn body(&self) -> &Bytes {
        &self.body
    }
}

fn message_of(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        serde_json::Value::Object(inner) => inner
            .get("message")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        _ => None,
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kukuruku answered {}", self.status)?;
        match &self.message {
            Some(message) => write!(f, ": {}", Excerpt(message)),
            None if self.duplicate_key.is_some() => write!(
                f,
                " with a body that has the key {:?} twice in one object (not read)",
                self.duplicate_key.as_deref().unwrap_or_default()
            ),
            None if self.body.is_empty() => f.write_str(" with an empty body"),
            None => write!(
                f,
                " with a body that is not a Kukuruku error: {:?}",
                Excerpt(&String::from_utf8_lossy(&self.body))
            ),
        }
    }
}

impl std::error::Error for ApiError {}

/// A request that cannot be built: checked before anything is sent.
///
/// Each variant names the field and says what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// A required field was not set on the builder.
    #[error("{field} is required but was not set")]
    Missing {
        /// The field.
        field: &'static str,
    },
    /// An order of 0.
    #[error("amount must be greater than zero: Kukuruku refuses orders of 0")]
    ZeroAmount,
    /// A currency whose decimals are not known (D3).
    #[error(
        "currency {code:?} is not one this SDK knows (RUB, USD, USDT): to create an order in it, opt in with Currency::custom(code, decimal places)"
    )]
    UnknownCurrency {
        /// The currency code.
        code: String,
    },
    /// An identifier that is empty, too long or has control characters.
    #[error(transparent)]
    InvalidId(#[from] IdError),
    /// A URL that does not parse.
    #[error("{field} is not a valid absolute URL: give one such as https://your-site.com/callback")]
    InvalidUrl {
        /// The field.
        field: &'static str,
        /// What the URL parser said.
        #[source]
        source: url::ParseError,
    },
    /// A URL that is not `https` (and not `http` on a loopback host).
    #[error(
        "{field} must be an https URL (http is allowed only for localhost, 127.0.0.0/8 and ::1 during development), got scheme {scheme:?}"
    )]
    InsecureUrl {
        /// The field.
        field: &'static str,
        /// The scheme found.
        scheme: String,
    },
    /// A URL with a user name or password in it.
    #[error("{field} must not contain a user name or password")]
    UrlWithCredentials {
        /// The field.
        field: &'static str,
    },
    /// A customer e-mail that does not look like one.
    #[error("{field} must be the user's e-mail address, such as user@example.com: {reason}")]
    InvalidEmail {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// [`MerchantIdFormat::Number`](crate::MerchantIdFormat::Number) with an id that is not a
    /// plain number.
    #[error(
        "merchant_id {merchant_id:?} cannot be sent as a JSON number (MerchantIdFormat::Number): it must be digits only, without a leading zero, at most 9007199254740991"
    )]
    MerchantIdNotNumeric {
        /// The merchant id.
        merchant_id: String,
    },
    /// The base URL is unusable.
    #[error("the base URL is not usable: {reason}")]
    InvalidBaseUrl {
        /// Why.
        reason: String,
    },
    /// The bearer access token cannot go into an HTTP header.
    #[error(
        "the access token is empty or contains characters not allowed in an HTTP header (give the token itself, without \"Bearer \")"
    )]
    InvalidAccessToken,
    /// The `http` crate refused the request (should not happen for requests of this crate).
    #[error("the HTTP request could not be built: {reason}")]
    Http {
        /// What `http` said.
        reason: String,
    },
    /// The body could not be encoded as JSON (should not happen for requests of this crate).
    #[error("the request body could not be encoded as JSON: {reason}")]
    Encode {
        /// What `serde_json` said.
        reason: String,
    },
}

/// An answer that is not the expected success: an error answer, a body that cannot be read,
/// or (feature `sign`) a signature that does not verify.
///
/// Every variant keeps the HTTP status and the raw body bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// Kukuruku answered with an error: a status that is not 2xx, or a 2xx body with
    /// `"success": false`.
    #[error(transparent)]
    Api(ApiError),
    /// A 2xx answer whose body is not what this endpoint returns.
    #[error(
        "Kukuruku answered {status} with a body this SDK could not read ({message}); the raw body is kept in the error"
    )]
    Malformed {
        /// The HTTP status.
        status: StatusCode,
        /// The raw body bytes.
        body: Bytes,
        /// What the JSON parser said.
        message: String,
    },
    /// A 2xx answer with a key twice in one of its objects (`{"amount":1,"amount":500000}`):
    /// refused, since readers disagree on which value counts.
    #[error(
        "Kukuruku answered {status} with a body that has the key {key:?} twice in one object: refused, since readers disagree on which value counts"
    )]
    DuplicateKey {
        /// The HTTP status.
        status: StatusCode,
        /// The raw body bytes.
        body: Bytes,
        /// The key, cut to [`EXCERPT_CHARS`](crate::EXCERPT_CHARS) characters.
        key: String,
    },
    /// A 2xx answer that is not about what was asked: an order status answer about another
    /// order, or for another merchant (a replayed or misrouted answer, even when correctly
    /// signed). The source says which.
    #[error("Kukuruku's answer {status} was refused: it does not answer this request")]
    Mismatch {
        /// The HTTP status.
        status: StatusCode,
        /// The raw body bytes.
        body: Bytes,
        /// What differs.
        #[source]
        source: AnswerMismatch,
    },
    /// The answer's `signature` header is missing, malformed, or does not match its body.
    #[cfg(feature = "sign")]
    #[error("the answer's signature does not verify, so it was not trusted")]
    Signature {
        /// The HTTP status.
        status: StatusCode,
        /// The raw body bytes.
        body: Bytes,
        /// Why it did not verify.
        #[source]
        source: kukuruku_sign::VerifyError,
    },
}

impl ResponseError {
    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Api(error) => error.status(),
            Self::Malformed { status, .. }
            | Self::DuplicateKey { status, .. }
            | Self::Mismatch { status, .. } => *status,
            #[cfg(feature = "sign")]
            Self::Signature { status, .. } => *status,
        }
    }

    /// The raw body bytes of the answer.
    pub fn body(&self) -> &Bytes {
        match self {
            Self::Api(error) => error.body(),
            Self::Malformed { body, .. }
            | Self::DuplicateKey { body, .. }
            | Self::Mismatch { body, .. } => body,
            #[cfg(feature = "sign")]
            Self::Signature { body, .. } => body,
        }
    }

    /// The error answer, when Kukuruku answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(error) => Some(error),
            _ => None,
        }
    }
}

impl From<ApiError> for ResponseError {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d6_message_fields() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (
                br#"{"success":false,"err":"Invalid signature"}"#,
                Some("Invalid signature"),
            ),
            (br#"{"error":"not found"}"#, Some("not found")),
            (
                br#"{"message":"user_email is not a KukuPay user"}"#,
                Some("user_email is not a KukuPay user"),
            ),
            (br#"{"error":{"message":"nested"}}"#, Some("nested")),
            (
                br#"{"err":"first","error":"second","message":"third"}"#,
                Some("first"),
            ),
            (br#"{"err":"","message":"fallback"}"#, Some("fallback")),
            (br#"{"err":42}"#, None),
            (br#"["err"]"#, None),
            (b"not json", None),
            (b"", None),
            (b"\xff\xfe", None),
        ];
        for (body, expected) in cases {
            let error = ApiError::new(StatusCode::BAD_REQUEST, Bytes::copy_from_slice(body));
            assert_eq!(
                error.message(),
                *expected,
                "{:?}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(error.body().as_ref(), *body);
            assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn an_error_body_with_a_key_twice_is_not_read() {
        let error = ApiError::new(
            StatusCode::BAD_REQUEST,
            &br#"{"success":false,"err":"a","err":"b"}"#[..],
        );
        assert_eq!(error.message(), None);
        assert_eq!(error.success(), None);
        assert_eq!(error.duplicate_key(), Some("err"));
        assert_eq!(
            error.to_string(),
            "Kukuruku answered 400 Bad Request with a body that has the key \"err\" twice in one object (not read)"
        );
        let fine = ApiError::new(StatusCode::BAD_REQUEST, &br#"{"err":"a"}"#[..]);
        assert_eq!(fine.duplicate_key(), None);
    }

    #[test]
    fn success_flag_is_kept() {
        let error = ApiError::new(StatusCode::OK, &br#"{"success":false}"#[..]);
        assert_eq!(error.success(), Some(false));
        assert_eq!(error.message(), None);
        assert_eq!(
            error.to_string(),
            "Kukuruku answered 200 OK with a body that is not a Kukuruku error: \"{\\\"success\\\":false}\""
        );
    }

    #[test]
    fn display_of_odd_bodies() {
        let empty = ApiError::new(StatusCode::BAD_GATEWAY, Bytes::new());
        assert_eq!(
            empty.to_string(),
            "Kukuruku answered 502 Bad Gateway with an empty body"
        );
        let long = "x".repeat(1000);
        let shown = ApiError::new(StatusCode::BAD_GATEWAY, long).to_string();
        assert!(shown.len() < 200, "{shown}");
    }

    #[test]
    fn response_error_accessors() {
        let api = ResponseError::from(ApiError::new(StatusCode::NOT_FOUND, "nope"));
        assert_eq!(api.status(), StatusCode::NOT_FOUND);
        assert_eq!(api.body().as_ref(), b"nope");
        assert!(api.api_error().is_some());
        let malformed = ResponseError::Malformed {
            status: StatusCode::OK,
            body: Bytes::from_static(b"{}"),
            message: "missing field `token`".into(),
        };
        assert_eq!(malformed.status(), StatusCode::OK);
        assert!(malformed.api_error().is_none());
        assert!(malformed.to_string().contains("missing field `token`"));
    }

    #[test]
    fn request_errors_name_the_field() {
        let error = RequestError::InsecureUrl {
            field: "callback_url",
            scheme: "http".into(),
        };
        assert!(
            error
                .to_string()
                .starts_with("callback_url must be an https URL")
        );
        let error = RequestError::from(IdError::Empty {
            field: "order_number",
        });
        assert_eq!(error.to_string(), "order_number is empty");
    }

    #[test]
    fn each_cause_is_told_once() {
        use std::error::Error as _;
        let error = RequestError::InvalidUrl {
            field: "callback_url",
            source: url::ParseError::RelativeUrlWithoutBase,
        };
        assert_eq!(
            error.to_string(),
            "callback_url is not a valid absolute URL: give one such as https://your-site.com/callback"
        );
        let cause = error.source().unwrap().to_string();
        assert!(!error.to_string().contains(&cause), "{error}");
        #[cfg(feature = "sign")]
        {
            let error = ResponseError::Signature {
                status: StatusCode::OK,
                body: Bytes::new(),
                source: kukuruku_sign::VerifyError::Mismatch,
            };
            let cause = error.source().unwrap().to_string();
            assert_eq!(
                error.to_string(),
                "the answer's signature does not verify, so it was not trusted"
            );
            assert!(
                cause.contains("secret_key"),
                "the advice is the cause's: {cause}"
            );
        }
    }
}
