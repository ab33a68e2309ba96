//! Client side: verify the `signature` of Kukuruku's responses.
//!
//! Order-status answers are signed like callbacks (PROTOCOL 1.1). [`VerifyResponseLayer`]
//! collects a successful (2xx) response body, up to a limit (default 1 MiB), and checks its
//! `signature` header over the raw bytes with a [`Verifier`]. By default the header is
//! required; [`VerifyResponseLayer::optional`] checks it only when present. Error answers
//! (non-2xx) are passed through unchecked: they are not documented as signed, and an error is
//! never taken as a result.
//!
//! The response comes out as `http::Response<Full<Bytes>>` with a [`VerifiedSignature`]
//! extension when a signature matched. A failure is a [`ResponseSignatureError`] (boxed in the
//! service error).
//!
//! ```
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use kukuruku_sign::{SecretKey, Signer, Verifier};
//! use kukuruku_tower::{VerifyResponseLayer, verify_response::ResponseSignatureError};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl")?;
//! let service = ServiceBuilder::new()
//!     .layer(VerifyResponseLayer::new(Verifier::new(&key)))
//!     .service_fn(|_req: http::Request<()>| async {
//!         // An unsigned answer, as a man in the middle would send it.
//!         Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from_static(
//!             br#"{"status":"paid"}"#,
//!         ))))
//!     });
//! let err = service.oneshot(http::Request::new(())).await.unwrap_err();
//! assert!(matches!(
//!     err.downcast_ref::<ResponseSignatureError>(),
//!     Some(ResponseSignatureError::Missing)
//! ));
//! # Ok(())
//! # }
//! ```
//!
//! [`VerifiedSignature`]: crate::VerifiedSignature

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::response::Parts;
use http::{HeaderMap, Response};
use http_body::Body;
use http_body_util::Full;
use kukuruku_sign::{MatchedKey, Verifier, VerifyError};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::collect::{CollectBytes, CollectError};
use crate::sign_request::SIGNATURE;
use crate::{BoxError, VerifiedSignature};

/// The default limit on a response body: 1 MiB.
pub const DEFAULT_RESPONSE_LIMIT: usize = 1024 * 1024;

/// Why a response was not accepted as coming from Kukuruku.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseSignatureError {
    /// The response has no `signature` header although one is required.
    #[error(
        "the response has no `signature` header: it may not come from Kukuruku (check the base URL and any proxy in between)"
    )]
    Missing,
    /// The response has more than one `signature` header.
    #[error("the response has more than one `signature` header: refused as ambiguous")]
    Ambiguous,
    /// The header is malformed or matches no key (the [`VerifyError`] says which, and what to
    /// check).
    #[error(transparent)]
    Invalid(VerifyError),
    /// The response body is larger than the limit.
    #[error("the response body is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The response body could not be read.
    #[error("the response body could not be read")]
    BodyRead(#[source] BoxError),
}

/// Checks the signature of a response body; `Ok(None)` when it is absent and not required.
pub(crate) fn check_response(
    headers: &HeaderMap,
    body: &[u8],
    verifier: &Verifier,
    required: bool,
) -> Result<Option<MatchedKey>, ResponseSignatureError> {
    let mut values = headers.get_all(&SIGNATURE).iter();
    let Some(value) = values.next() else {
        return if required {
            Err(ResponseSignatureError::Missing)
        } else {
            Ok(None)
        };
    };
    if values.next().is_some() {
        return Err(ResponseSignatureError::Ambiguous);
    }
    verifier
        .verify(body, value.as_bytes())
        .map(Some)
        .map_err(ResponseSignatureError::Invalid)
}

/// Verifies response signatures: a [`Layer`] producing [`VerifyResponse`].
#[derive(Clone)]
pub struct VerifyResponseLayer {
    config: Config,
}

#[derive(Clone)]
struct Config {
    verifier: Arc<Verifier>,
    required: bool,
    limit: usize,
}

impl VerifyResponseLayer {
    /// Requires a valid signature on every 2xx response.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            config: Config {
                verifier: Arc::new(verifier),
                required: true,
                limit: DEFAULT_RESPONSE_LIMIT,
            },
        }
    }

    /// Checks the signature only when the response has one (a present but wrong one still
    /// fails).
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.config.required = false;
        self
    }

    /// Whether a 2xx response without a signature is an error (default: yes).
    #[must_use]
    pub fn required(mut self, required: bool) -> Self {
        self.config.required = required;
        self
    }

    /// The largest response body read, in bytes (default 1 MiB).
    #[must_use]
    pub fn limit(mut self, bytes: usize) -> Self {
        self.config.limit = bytes;
        self
    }
}

impl fmt::Debug for VerifyResponseLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyResponseLayer")
            .field("verifier", &self.config.verifier)
            .field("required", &self.config.required)
            .field("limit", &self.config.limit)
            .finish()
    }
}

impl<S> Layer<S> for VerifyResponseLayer {
    type Service = VerifyResponse<S>;
    fn layer(&self, inner: S) -> VerifyResponse<S> {
        VerifyResponse {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service made by [`VerifyResponseLayer`].
#[derive(Clone)]
pub struct VerifyResponse<S> {
    inner: S,
    config: Config,
}

impl<S> VerifyResponse<S> {
    /// Wraps `inner`, requiring signed 2xx responses.
    pub fn new(inner: S, verifier: Verifier) -> Self {
        VerifyResponseLayer::new(verifier).layer(inner)
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: fmt::Debug> fmt::Debug for VerifyResponse<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyResponse")
            .field("inner", &self.inner)
            .field("required", &self.config.required)
            .finish_non_exhaustive()
    }
}

impl<S, Req, B> Service<Req> for VerifyResponse<S>
where
    S: Service<Req, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: Body,
    B::Error: Into<BoxError>,
{
    type Response = Response<Full<Bytes>>;
    type Error = BoxError;
    type Future = ResponseFuture<S::Future, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        ResponseFuture {
            state: State::Calling {
                future: self.inner.call(req),
            },
            config: self.config.clone(),
        }
    }
}

pin_project! {
    /// The future of [`VerifyResponse`].
    pub struct ResponseFuture<F, B>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        #[pin]
        state: State<F, B>,
        config: Config,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        Calling {
            #[pin]
            future: F,
        },
        Reading {
            #[pin]
            collect: CollectBytes<B>,
            parts: Option<Parts>,
        },
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
    B: Body,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response<Full<Bytes>>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Calling { future } => {
                    let response = ready!(future.poll(cx)).map_err(Into::into)?;
                    let (parts, body) = response.into_parts();
                    this.state.set(State::Reading {
                        collect: CollectBytes::limited(body, this.config.limit),
                        parts: Some(parts),
                    });
                }
                StateProj::Reading { collect, parts } => {
                    let outcome = ready!(collect.poll(cx));
                    let Some(mut parts) = parts.take() else {
                        return Poll::Ready(Err(
                            "the response future was polled after it completed".into(),
                        ));
                    };
                    let body = match outcome {
                        Ok(bytes) => bytes,
                        Err(CollectError::TooLarge) => {
                            let limit = this.config.limit;
                            return Poll::Ready(Err(
                                ResponseSignatureError::TooLarge { limit }.into()
                            ));
                        }
                        Err(CollectError::Body(err)) => {
                            return Poll::Ready(Err(
                                ResponseSignatureError::BodyRead(err.into()).into()
                            ));
                        }
                    };
                    if parts.status.is_success() {
                        let matched = check_response(
                            &parts.headers,
                            &body,
                            &this.config.verifier,
                            this.config.required,
                        )?;
                        if let Some(matched) = matched {
                            parts.extensions.insert(VerifiedSignature::new(matched));
                        }
                    }
                    return Poll::Ready(Ok(Response::from_parts(parts, Full::new(body))));
                }
            }
        }
    }
}

impl<F, B> fmt::Debug for ResponseFuture<F, B>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use kukuruku_sign::{SecretKey, Signer};

    use super::*;

    const BODY: &[u8] = br#"{"status":"paid"}"#;

    fn keys() -> (Signer, Verifier) {
        let key = SecretKey::new("secret").unwrap();
        (Signer::new(&key), Verifier::new(&key))
    }

    fn signed(signatures: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for signature in signatures {
            headers.append(&SIGNATURE, signature.parse().unwrap());
        }
        headers
    }

    #[test]
    fn absent_is_refused_only_when_required() {
        let (_, verifier) = keys();
        let none = signed(&[]);
        assert!(matches!(
            check_response(&none, BODY, &verifier, true),
            Err(ResponseSignatureError::Missing)
        ));
        assert_eq!(check_response(&none, BODY, &verifier, false).unwrap(), None);
    }

    #[test]
    fn present_is_checked_either_way() {
        let (signer, verifier) = keys();
        let good = signer.sign(BODY).to_hex();
        for required in [true, false] {
            let matched = check_response(&signed(&[good.as_str()]), BODY, &verifier, required);
            assert_eq!(matched.unwrap().map(MatchedKey::index), Some(0));
            let wrong = check_response(&signed(&[good.as_str()]), b"{}", &verifier, required);
            assert!(
                matches!(wrong, Err(ResponseSignatureError::Invalid(err)) if err.is_mismatch())
            );
            let doubled = signed(&[good.as_str(), good.as_str()]);
            assert!(matches!(
                check_response(&doubled, BODY, &verifier, required),
                Err(ResponseSignatureError::Ambiguous)
            ));
        }
    }
}
