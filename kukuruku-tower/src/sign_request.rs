//! Client side: sign every outgoing request body.
//!
//! [`SignRequestLayer`] collects the request body (any [`http_body::Body`]), signs exactly the
//! bytes it forwards with HMAC-SHA512 and sets the `signature` header (marked sensitive, so
//! well-behaved loggers such as hyper's and tower-http's `Trace` hide it) and
//! `content-type: application/json` when the request carries a body and has none. A request
//! whose body is empty is signed as PROTOCOL D1 says: by default over `{}`; set the bytes with
//! [`SignRequestLayer::bodyless_input`] or take them from your `kukuruku_proto::ApiConfig`
//! (its `BodylessSigning` policy) with [`SignRequestLayer::for_config`].
//!
//! The inner service receives an `http::Request<Full<Bytes>>`. A body that arrives in one chunk
//! (the usual case: `Full`, `String`, `Bytes`) is forwarded without being copied.
//!
//! ```
//! use bytes::Bytes;
//! use http_body_util::{BodyExt, Full};
//! use kukuruku_sign::SecretKey;
//! use kukuruku_tower::SignRequestLayer;
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl")?;
//! let service = ServiceBuilder::new()
//!     .layer(SignRequestLayer::new(&key))
//!     .service_fn(|req: http::Request<Full<Bytes>>| async move {
//!         // Your HTTP client goes here; this one shows what it would send.
//!         let signature = req.headers()["signature"].clone();
//!         Ok::<_, std::convert::Infallible>(http::Response::new(signature))
//!     });
//!
//! let request = http::Request::post("https://api.kukuruku.win/api/v1/orders/payins")
//!     .body(Full::new(Bytes::from_static(br#"{"merchant_id":"1"}"#)))?;
//! let response = service.oneshot(request).await?;
//! assert_eq!(response.body().len(), 128);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::request::Parts;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use kukuruku_sign::{SecretKey, Signature, Signer};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use kukuruku_proto::ApiConfig;

use crate::BoxError;
use crate::collect::{CollectBytes, CollectError};

/// The `signature` header name.
pub(crate) static SIGNATURE: http::HeaderName = http::HeaderName::from_static("signature");

/// Signs request bodies: a [`Layer`] producing [`SignRequest`].
///
/// The key is set up once; the layer is cheap to clone.
#[derive(Clone)]
pub struct SignRequestLayer {
    shared: Arc<Shared>,
}

struct Shared {
    signer: Signer,
    bodyless: Bytes,
    // Signed once: every body-less request signs the same bytes.
    bodyless_signature: Signature,
}

impl Shared {
    fn new(signer: Signer, bodyless: Bytes) -> Arc<Self> {
        let bodyless_signature = signer.sign(&bodyless);
        Arc::new(Self {
            signer,
            bodyless,
            bodyless_signature,
        })
    }
}

impl SignRequestLayer {
    /// Signs with the merchant's `secret_key`.
    pub fn new(key: &SecretKey) -> Self {
        Self::from_signer(Signer::new(key))
    }

    /// Signs with an existing [`Signer`].
    pub fn from_signer(signer: Signer) -> Self {
        Self {
            shared: Shared::new(signer, Bytes::from_static(b"{}")),
        }
    }

    /// Signs with `key`, and signs body-less requests as `config`'s D1 policy says
    /// (`ApiConfig::bodyless_signing_input`).
    pub fn for_config(key: &SecretKey, config: &ApiConfig) -> Self {
        Self::new(key).bodyless_input(config.bodyless_signing_input())
    }

    /// The bytes signed for a request without a body (PROTOCOL D1; default: `{}`), e.g.
    /// `kukuruku_proto::BodylessSigning::EmptyString.input(..)`.
    #[must_use]
    pub fn bodyless_input(self, input: impl Into<Bytes>) -> Self {
        Self {
            shared: Shared::new(self.shared.signer.clone(), input.into()),
        }
    }
}

impl fmt::Debug for SignRequestLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignRequestLayer")
            .field("bodyless", &String::from_utf8_lossy(&self.shared.bodyless))
            .finish_non_exhaustive()
    }
}

impl<S> Layer<S> for SignRequestLayer {
    type Service = SignRequest<S>;
    fn layer(&self, inner: S) -> SignRequest<S> {
        SignRequest {
            inner,
            shared: Arc::clone(&self.shared),
        }
    }
}

/// The service made by [`SignRequestLayer`]: signs each request body, then calls the inner
/// service with an `http::Request<Full<Bytes>>`.
#[derive(Clone)]
pub struct SignRequest<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> SignRequest<S> {
    /// Wraps `inner`, signing with `key`.
    pub fn new(inner: S, key: &SecretKey) -> Self {
        SignRequestLayer::new(key).layer(inner)
    }

    /// A layer that wraps services in [`SignRequest`].
    pub fn layer(key: &SecretKey) -> SignRequestLayer {
        SignRequestLayer::new(key)
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: fmt::Debug> fmt::Debug for SignRequest<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignRequest")
            .field("inner", &self.inner)
            .field("bodyless", &String::from_utf8_lossy(&self.shared.bodyless))
            .finish_non_exhaustive()
    }
}

impl<S, B, ResBody> Service<Request<B>> for SignRequest<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>> + Clone,
    S::Error: Into<BoxError>,
    B: Body,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResBody>;
    type Error = BoxError;
    type Future = ResponseFuture<B, S>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        // The ready service goes into the future; a fresh clone stays here (tower's usual
        // pattern for services that do async work before calling the inner one).
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let (parts, body) = req.into_parts();
        ResponseFuture {
            state: State::Collecting {
                collect: CollectBytes::new(body),
                parts: Some(parts),
                inner: Some(inner),
                // Shared, not copied: the keyed HMAC state is as good as the key, and one copy
                // of it is better than one in every request in flight.
                shared: Arc::clone(&self.shared),
            },
        }
    }
}

/// Signs `body` (or, when it is empty, uses the signature of the D1 input) and sets the headers
/// on `parts`.
pub(crate) fn sign_parts(parts: &mut Parts, body: &Bytes, signer: &Signer, bodyless: &Signature) {
    let signature = if body.is_empty() {
        *bodyless
    } else {
        if !parts.headers.contains_key(CONTENT_TYPE) {
            parts
                .headers
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        signer.sign(body)
    };
    // 128 ASCII hex digits are always a valid header value.
    if let Ok(value) = kukuruku_proto::signature_header_value(&signature) {
        parts.headers.insert(SIGNATURE.clone(), value);
    }
}

/// A body that could not be read, so nothing was signed or sent. The body's own error is
/// behind `source()`.
#[derive(Debug, thiserror::Error)]
#[error("could not read the request body to sign it")]
pub struct BodyReadError(#[source] BoxError);

impl BodyReadError {
    /// Wraps the body's own error (kept behind `source()`).
    pub fn new(source: impl Into<BoxError>) -> Self {
        Self(source.into())
    }
}

pin_project! {
    /// The future of [`SignRequest`]: reads the body, then calls the inner service.
    pub struct ResponseFuture<B, S>
    where
        B: Body,
        S: Service<Request<Full<Bytes>>>,
    {
        #[pin]
        state: State<B, S>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<B, S>
    where
        B: Body,
        S: Service<Request<Full<Bytes>>>,
    {
        Collecting {
            #[pin]
            collect: CollectBytes<B>,
            parts: Option<Parts>,
            inner: Option<S>,
            shared: Arc<Shared>,
        },
        Calling {
            #[pin]
            future: S::Future,
        },
    }
}

impl<B, S, ResBody> Future for ResponseFuture<B, S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    B: Body,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response<ResBody>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Collecting {
                    collect,
                    parts,
                    inner,
                    shared,
                } => {
                    // Does not copy a body that arrived in one chunk.
                    let body = match ready!(collect.poll(cx)) {
                        Ok(body) => body,
                        Err(CollectError::Body(err)) => {
                            return Poll::Ready(Err(BodyReadError::new(err).into()));
                        }
                        // Not reached: the collector has no limit here.
                        Err(CollectError::TooLarge) => {
                            return Poll::Ready(Err(
                                BodyReadError::new("the body is too large").into()
                            ));
                        }
                    };
                    let (Some(mut parts), Some(mut inner)) = (parts.take(), inner.take()) else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    sign_parts(
                        &mut parts,
                        &body,
                        &shared.signer,
                        &shared.bodyless_signature,
                    );
                    let future = inner.call(Request::from_parts(parts, Full::new(body)));
                    this.state.set(State::Calling { future });
                }
                StateProj::Calling { future } => {
                    return future.poll(cx).map_err(Into::into);
                }
            }
        }
    }
}

impl<B, S> fmt::Debug for ResponseFuture<B, S>
where
    B: Body,
    S: Service<Request<Full<Bytes>>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

pub(crate) fn polled_after_completion() -> BoxError {
    "the request future was polled after it completed".into()
}
