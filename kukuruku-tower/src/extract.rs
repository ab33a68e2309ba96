//! axum extractors for verified callback bodies (feature `axum`).
//!
//! [`Verified<T>`] hands a handler the callback body, parsed into `T` (a `kukuruku-proto` type
//! such as `Callback`, or any `DeserializeOwned`), and only after its signature was verified
//! over the raw bytes. It works in two ways:
//!
//! - **behind [`VerifySignatureLayer`]**: the layer has verified the body and left a
//!   [`VerifiedSignature`] extension; the extractor only parses (no second verification);
//! - **alone**: with a [`Verifier`] in the request extensions (`axum::Extension(verifier)`), it
//!   does what the layer does itself: 64 KiB limit, 10 s read timeout, the same answers.
//!
//! [`VerifiedByState<T>`] is the same, alone, with the [`Verifier`] taken from the router state
//! through [`FromRef`].
//!
//! A body that verifies but does not fit `T`, or that has a key twice in one object (read with
//! [`kukuruku_proto::read_json`]), is answered with 400 and a message that names the problem
//! (`{"success":false,"err":"the body is not the expected JSON: missing field `status` at line 1
//! column 2"}`).
//!
//! ```no_run
//! use axum::{Extension, Router, routing::post};
//! use kukuruku_proto::Callback;
//! use kukuruku_sign::{SecretKey, Verifier};
//! use kukuruku_tower::extract::{Verified, VerifiedByState};
//!
//! async fn with_extension(Verified(update): Verified<Callback>) -> &'static str {
//!     r#"{"success":true}"#
//! }
//! async fn with_state(VerifiedByState(update): VerifiedByState<Callback>) -> &'static str {
//!     r#"{"success":true}"#
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = Verifier::new(&SecretKey::new(std::env::var("KUKURUKU_SECRET_KEY")?)?);
//! // No layer: the extractor verifies, with the verifier from an extension...
//! let by_extension: Router = Router::new()
//!     .route("/callback", post(with_extension))
//!     .layer(Extension(verifier.clone()));
//! // ... or from the state.
//! let by_state: Router = Router::new()
//!     .route("/callback", post(with_state))
//!     .with_state(verifier);
//! # Ok(()) }
//! ```
//!
//! [`VerifySignatureLayer`]: crate::VerifySignatureLayer

use std::fmt;

use crate::collect::CollectBytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue};
use kukuruku_proto::{JsonError, read_json};
use kukuruku_sign::Verifier;
use serde::de::DeserializeOwned;

use crate::VerifiedSignature;
use crate::verify_signature::{
    DEFAULT_LIMIT, DEFAULT_READ_TIMEOUT, Rejection, check_head, read_error,
};

/// The callback body, verified and parsed into `T`. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Verified<T>(pub T);

/// Like [`Verified`], verifying with the [`Verifier`] of the router state (`Verifier:
/// FromRef<S>`).
#[derive(Debug, Clone)]
pub struct VerifiedByState<T>(pub T);

/// Why [`Verified`] refused a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum VerifiedRejection {
    /// The signature, size or reading failed (401, 413, 400 or 408, as the layer answers).
    Signature(Rejection),
    /// The body was verified but is not the JSON expected, or has a key twice in one object
    /// (400).
    InvalidJson(JsonError),
    /// Neither a [`VerifySignatureLayer`](crate::VerifySignatureLayer) in front nor a
    /// [`Verifier`] in the extensions: a mistake in the server's setup (500).
    NotConfigured,
}

impl fmt::Display for VerifiedRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Signature(rejection) => fmt::Display::fmt(rejection, f),
            Self::InvalidJson(_) => f.write_str("the body is not the expected JSON"),
            Self::NotConfigured => f.write_str(
                "signature verification is not configured: put VerifySignatureLayer in front of this route, or add an Extension(Verifier)",
            ),
        }
    }
}

impl std::error::Error for VerifiedRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // Shown as itself: the rejection's message above, its cause here.
            Self::Signature(rejection) => rejection.source(),
            Self::InvalidJson(err) => Some(err),
            Self::NotConfigured => None,
        }
    }
}

impl IntoResponse for VerifiedRejection {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            Self::Signature(rejection) => return rejection.default_response().into_response(),
            // The sender is told what did not fit: the message and its cause, in one line.
            Self::InvalidJson(err) => (StatusCode::BAD_REQUEST, format!("{self}: {err}")),
            Self::NotConfigured => {
                tracing::error!("{self}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Signature verification is not configured".to_owned(),
                )
            }
        };
        let body = serde_json::json!({ "success": false, "err": message }).to_string();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl<S, T> FromRequest<S> for Verified<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = VerifiedRejection;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if req.extensions().get::<VerifiedSignature>().is_some() {
            // The layer read, limited and verified these bytes already.
            let bytes = CollectBytes::new(req.into_body())
                .await
                .map_err(|err| VerifiedRejection::Signature(read_error(err, usize::MAX)))?;
            return parse(&bytes).map(Self);
        }
        let Some(verifier) = req.extensions().get::<Verifier>().cloned() else {
            return Err(VerifiedRejection::NotConfigured);
        };
        verify_and_parse(req, &verifier).await.map(Self)
    }
}

impl<S, T> FromRequest<S> for VerifiedByState<T>
where
    S: Send + Sync,
    Verifier: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = VerifiedRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        verify_and_parse(req, &verifier).await.map(Self)
    }
}

/// What [`VerifySignatureLayer`](crate::VerifySignatureLayer) does, inside an extractor.
async fn verify_and_parse<T: DeserializeOwned>(
    req: Request,
    verifier: &Verifier,
) -> Result<T, VerifiedRejection> {
    let (parts, body) = req.into_parts();
    let signature =
        check_head(&parts.headers, &body, DEFAULT_LIMIT).map_err(VerifiedRejection::Signature)?;
    let read = CollectBytes::limited(body, DEFAULT_LIMIT);
    let bytes = match tokio::time::timeout(DEFAULT_READ_TIMEOUT, read).await {
        Err(_) => {
            return Err(VerifiedRejection::Signature(Rejection::Timeout(
                DEFAULT_READ_TIMEOUT,
            )));
        }
        Ok(Err(err)) => return Err(VerifiedRejection::Signature(read_error(err, DEFAULT_LIMIT))),
        Ok(Ok(bytes)) => bytes,
    };
    verifier
        .verify_signature(&bytes, &signature)
        .map_err(|err| VerifiedRejection::Signature(Rejection::InvalidSignature(err)))?;
    parse(&bytes)
}

fn parse<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, VerifiedRejection> {
    read_json(bytes).map_err(VerifiedRejection::InvalidJson)
}
