//! Why a request was refused, and the answer sent for it.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;
use kukuruku_sign::VerifyError;

use crate::BoxError;
use crate::collect::CollectError;

/// Why a request was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum Rejection {
    /// The body is larger than the limit (by its `Content-Length`, or while it was read).
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// No `signature` header.
    MissingSignature,
    /// More than one `signature` header: ambiguous, refused.
    AmbiguousSignature,
    /// The `signature` header is malformed, or matches no key.
    InvalidSignature(VerifyError),
    /// The body could not be read (the connection failed or the client sent garbage).
    BodyRead(BoxError),
    /// The body did not arrive within the read timeout.
    Timeout(Duration),
}

impl Rejection {
    /// The HTTP status of the default answer: 413, 401, 400 or 408.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MissingSignature | Self::AmbiguousSignature | Self::InvalidSignature(_) => {
                StatusCode::UNAUTHORIZED
            }
            Self::BodyRead(_) => StatusCode::BAD_REQUEST,
            Self::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// `true` for the 401 cases: the signature is missing, doubled, malformed or wrong.
    pub fn is_signature(&self) -> bool {
        self.status() == StatusCode::UNAUTHORIZED
    }

    /// The default answer: the status above and a JSON body in Kukuruku's error shape, e.g.
    /// `{"success":false,"err":"Invalid signature"}` (PROTOCOL D2).
    pub fn default_response(&self) -> Response<Full<Bytes>> {
        let body: &'static [u8] = match self {
            Self::TooLarge { .. } => br#"{"success":false,"err":"Body too large"}"#,
            Self::MissingSignature | Self::AmbiguousSignature | Self::InvalidSignature(_) => {
                br#"{"success":false,"err":"Invalid signature"}"#
            }
            Self::BodyRead(_) => br#"{"success":false,"err":"Could not read the body"}"#,
            Self::Timeout(_) => br#"{"success":false,"err":"Timed out reading the body"}"#,
        };
        let mut response = Response::new(Full::new(Bytes::from_static(body)));
        *response.status_mut() = self.status();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// The cause is said once: a signature error is shown as itself (its own message, its own
/// source), and the reason a body could not be read is behind `source()`.
impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { limit } => {
                write!(f, "the body is larger than the limit of {limit} bytes")
            }
            Self::MissingSignature => f.write_str("the request has no `signature` header"),
            Self::AmbiguousSignature => f.write_str(
                "the request has more than one `signature` header: refused as ambiguous",
            ),
            Self::InvalidSignature(err) => fmt::Display::fmt(err, f),
            Self::BodyRead(_) => f.write_str("the body could not be read"),
            Self::Timeout(after) => write!(
                f,
                "the body did not arrive within the read timeout of {} ms",
                after.as_millis()
            ),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InvalidSignature(err) => err.source(),
            Self::BodyRead(err) => Some(&**err),
            _ => None,
        }
    }
}

/// Builds the answer to a refused request. Implemented by closures
/// `Fn(&Rejection) -> Response<Full<Bytes>>` and by [`DefaultRejection`].
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::Full;
/// use kukuruku_sign::{SecretKey, Verifier};
/// use kukuruku_tower::{VerifySignatureLayer, verify_signature::Rejection};
///
/// let verifier = Verifier::new(&SecretKey::new("secret")?);
/// let layer = VerifySignatureLayer::new(verifier).on_rejection(|rejection: &Rejection| {
///     let mut response = http::Response::new(Full::new(Bytes::from(rejection.to_string())));
///     *response.status_mut() = rejection.status();
///     response
/// });
/// # Ok::<(), kukuruku_sign::KeyError>(())
/// ```
pub trait OnRejection {
    /// The answer to send for `rejection`.
    fn on_rejection(&self, rejection: &Rejection) -> Response<Full<Bytes>>;
}

impl<F> OnRejection for F
where
    F: Fn(&Rejection) -> Response<Full<Bytes>>,
{
    fn on_rejection(&self, rejection: &Rejection) -> Response<Full<Bytes>> {
        self(rejection)
    }
}

/// The default answers: [`Rejection::default_response`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRejection;

impl OnRejection for DefaultRejection {
    fn on_rejection(&self, rejection: &Rejection) -> Response<Full<Bytes>> {
        rejection.default_response()
    }
}

/// Logs `rejection` (with its cause) and builds the answer with `reject`.
pub(super) fn reject<R: OnRejection>(reject: &R, rejection: &Rejection) -> Response<Full<Bytes>> {
    tracing::debug!(
        status = rejection.status().as_u16(),
        reason = rejection as &(dyn std::error::Error + 'static),
        "kukuruku request refused"
    );
    reject.on_rejection(rejection)
}

/// Turns a failure to read a body with [`CollectBytes::limited`] into a rejection.
///
/// [`CollectBytes::limited`]: crate::collect::CollectBytes::limited
pub(crate) fn read_error<E: Into<BoxError>>(err: CollectError<E>, limit: usize) -> Rejection {
    match err {
        CollectError::TooLarge => Rejection::TooLarge { limit },
        CollectError::Body(err) => Rejection::BodyRead(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use kukuruku_sign::MalformedSignature;

    use super::*;

    #[test]
    fn rejections_explain_themselves() {
        let text = Rejection::TooLarge { limit: 65536 }.to_string();
        assert!(text.contains("65536"), "{text}");
        assert_eq!(Rejection::MissingSignature.status(), 401);
        assert_eq!(Rejection::Timeout(Duration::from_secs(1)).status(), 408);
    }

    #[test]
    fn each_cause_is_said_once() {
        let read = Rejection::BodyRead("connection reset by peer".into());
        assert_eq!(read.to_string(), "the body could not be read");
        assert_eq!(
            read.source().map(ToString::to_string).as_deref(),
            Some("connection reset by peer")
        );

        let mismatch = Rejection::InvalidSignature(VerifyError::Mismatch);
        assert_eq!(mismatch.to_string(), VerifyError::Mismatch.to_string());
        assert!(mismatch.source().is_none());
        let malformed = Rejection::InvalidSignature(MalformedSignature::Length { found: 3 }.into());
        assert!(malformed.to_string().starts_with("malformed signature"));
        assert!(malformed.source().is_none());
    }

    #[test]
    fn every_default_answer_is_json_with_its_status() {
        for rejection in [
            Rejection::TooLarge { limit: 1 },
            Rejection::MissingSignature,
            Rejection::AmbiguousSignature,
            Rejection::InvalidSignature(VerifyError::Mismatch),
            Rejection::BodyRead("reset".into()),
            Rejection::Timeout(Duration::from_secs(1)),
        ] {
            let response = DefaultRejection.on_rejection(&rejection);
            assert_eq!(response.status(), rejection.status(), "{rejection}");
            assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        }
    }

    #[test]
    fn a_read_failure_becomes_413_or_400() {
        let too_large = read_error(CollectError::<BoxError>::TooLarge, 10);
        assert!(matches!(too_large, Rejection::TooLarge { limit: 10 }));
        let failed = read_error(CollectError::Body("reset"), 10);
        assert_eq!(failed.status(), StatusCode::BAD_REQUEST);
    }
}
