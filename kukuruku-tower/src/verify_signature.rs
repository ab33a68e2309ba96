//! Server side: verify the `signature` of incoming callbacks before anything reads them.
//!
//! [`VerifySignatureLayer`] checks, in this order:
//!
//! 1. a `Content-Length` (or an exact body size hint) over the limit (default 64 KiB): **413**
//!    before a byte is read;
//! 2. the `signature` header: missing, sent more than once, or not 128 hex digits: **401**
//!    before a byte is read. A doubled header is refused as ambiguous: which of the two would
//!    Kukuruku have meant? A proxy that merges or duplicates headers is a misconfiguration
//!    worth hearing about, not something to guess around;
//! 3. the body, read up to the limit (a streamed body that grows past it: **413**, a body that
//!    fails mid-stream: **400**, one that is not complete within the read timeout, default
//!    10 s counted from the first time the body makes the server wait: **408**);
//! 4. HMAC-SHA512 of the raw bytes received, in constant time, against every key of the
//!    [`Verifier`] (several keys allow a key rotation): no match is **401**.
//!
//! The 401 answer is PROTOCOL D2: `{"success":false,"err":"Invalid signature"}`. Every answer
//! can be replaced with [`VerifySignatureLayer::on_rejection`].
//!
//! On success the inner service receives the same bytes, unchanged and not copied, as an
//! `http::Request<Full<Bytes>>`, with a [`VerifiedSignature`] extension that says which key
//! matched. The read timeout uses tokio's timer: run the service inside a tokio runtime (every
//! hyper or axum server does).
//!
//! # With axum
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use kukuruku_proto::Callback;
//! use kukuruku_sign::{SecretKey, Verifier};
//! use kukuruku_tower::{VerifySignatureLayer, extract::Verified};
//!
//! async fn callback(Verified(update): Verified<Callback>) -> &'static str {
//!     // ... record `update` durably, then:
//!     r#"{"success":true}"#
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = SecretKey::new(std::env::var("KUKURUKU_SECRET_KEY")?)?;
//! let app: Router = Router::new()
//!     .route("/kukuruku/callback", post(callback))
//!     .layer(VerifySignatureLayer::new(Verifier::new(&key)).limit(64 * 1024));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! # With plain hyper
//!
//! ```no_run
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use hyper_util::rt::{TokioExecutor, TokioIo};
//! use hyper_util::server::conn::auto;
//! use hyper_util::service::TowerToHyperService;
//! use kukuruku_sign::{SecretKey, Verifier};
//! use kukuruku_tower::{VerifiedSignature, VerifySignatureLayer};
//! use tower::ServiceBuilder;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = SecretKey::new(std::env::var("KUKURUKU_SECRET_KEY")?)?;
//! let service = ServiceBuilder::new()
//!     .layer(VerifySignatureLayer::new(Verifier::new(&key)))
//!     .service_fn(|req: http::Request<Full<Bytes>>| async move {
//!         assert!(req.extensions().get::<VerifiedSignature>().is_some());
//!         // ... parse and record req.body(), then:
//!         Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from_static(
//!             br#"{"success":true}"#,
//!         ))))
//!     });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! loop {
//!     let (stream, _) = listener.accept().await?;
//!     let service = TowerToHyperService::new(service.clone());
//!     tokio::spawn(async move {
//!         let _ = auto::Builder::new(TokioExecutor::new())
//!             .serve_connection(TokioIo::new(stream), service)
//!             .await;
//!     });
//! }
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{Either, Full};
use kukuruku_sign::{MatchedKey, Signature, Verifier, VerifyError};
use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tower_layer::Layer;
use tower_service::Service;

use crate::BoxError;
use crate::collect::{CollectBytes, CollectError};
use crate::sign_request::{SIGNATURE, polled_after_completion};

/// The default body limit: 64 KiB (a callback is a few hundred bytes).
pub const DEFAULT_LIMIT: usize = 64 * 1024;
/// The default read timeout: 10 s.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The request extension left by [`VerifySignature`] on a request whose signature matched.
///
/// Only verification creates it, so its presence means "these bytes were verified".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedSignature {
    matched: MatchedKey,
}

impl VerifiedSignature {
    pub(crate) fn new(matched: MatchedKey) -> Self {
        Self { matched }
    }

    /// Which key of the [`Verifier`] matched.
    pub fn matched_key(&self) -> MatchedKey {
        self.matched
    }

    /// The position of the matching key (0: the first, usually the current key).
    pub fn key_index(&self) -> usize {
        self.matched.index()
    }
}

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
            Self::BodyRead(err) => write!(f, "the body could not be read: {err}"),
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
            Self::InvalidSignature(err) => Some(err),
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

/// Verifies the `signature` of request bodies: a [`Layer`] producing [`VerifySignature`].
#[derive(Clone)]
pub struct VerifySignatureLayer<R = DefaultRejection> {
    config: Config,
    reject: R,
}

#[derive(Clone)]
struct Config {
    verifier: Arc<Verifier>,
    limit: usize,
    read_timeout: Option<Duration>,
}

impl VerifySignatureLayer {
    /// Verifies with `verifier` (one key, or several during a rotation), a 64 KiB limit and a
    /// 10 s read timeout.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            config: Config {
                verifier: Arc::new(verifier),
                limit: DEFAULT_LIMIT,
                read_timeout: Some(DEFAULT_READ_TIMEOUT),
            },
            reject: DefaultRejection,
        }
    }
}

impl<R> VerifySignatureLayer<R> {
    /// The largest body accepted, in bytes (default 64 KiB).
    #[must_use]
    pub fn limit(mut self, bytes: usize) -> Self {
        self.config.limit = bytes;
        self
    }

    /// How long the whole body may take to arrive (default 10 s).
    #[must_use]
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.config.read_timeout = Some(timeout);
        self
    }

    /// No read timeout: only do this when an outer layer or the server bounds it.
    #[must_use]
    pub fn no_read_timeout(mut self) -> Self {
        self.config.read_timeout = None;
        self
    }

    /// Replaces the answers to refused requests.
    pub fn on_rejection<R2: OnRejection + Clone>(self, reject: R2) -> VerifySignatureLayer<R2> {
        VerifySignatureLayer {
            config: self.config,
            reject,
        }
    }
}

impl<R> fmt::Debug for VerifySignatureLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifySignatureLayer")
            .field("verifier", &self.config.verifier)
            .field("limit", &self.config.limit)
            .field("read_timeout", &self.config.read_timeout)
            .finish_non_exhaustive()
    }
}

impl<S, R: Clone> Layer<S> for VerifySignatureLayer<R> {
    type Service = VerifySignature<S, R>;
    fn layer(&self, inner: S) -> Self::Service {
        VerifySignature {
            inner,
            config: self.config.clone(),
            reject: self.reject.clone(),
        }
    }
}

/// The service made by [`VerifySignatureLayer`].
#[derive(Clone)]
pub struct VerifySignature<S, R = DefaultRejection> {
    inner: S,
    config: Config,
    reject: R,
}

impl<S> VerifySignature<S> {
    /// Wraps `inner`, verifying with `verifier` and the defaults of [`VerifySignatureLayer::new`].
    pub fn new(inner: S, verifier: Verifier) -> Self {
        VerifySignatureLayer::new(verifier).layer(inner)
    }

    /// A layer that wraps services in [`VerifySignature`].
    pub fn layer(verifier: Verifier) -> VerifySignatureLayer {
        VerifySignatureLayer::new(verifier)
    }
}

impl<S, R> VerifySignature<S, R> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: fmt::Debug, R> fmt::Debug for VerifySignature<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifySignature")
            .field("inner", &self.inner)
            .field("verifier", &self.config.verifier)
            .field("limit", &self.config.limit)
            .finish_non_exhaustive()
    }
}

/// Checks what can be checked before reading: the size announced and the `signature` header.
///
/// One pass over the headers, comparing names, instead of two hash lookups: a callback carries
/// a handful of headers, and the pass neither hashes a name nor reads the map's separate hash
/// index. It measured about 20 ns less per request than `get` + `get_all` (a sixth of the
/// layer's own cost at 274 B). Every `Content-Length` value counts, not only the first.
pub(crate) fn check_head<B: Body>(
    headers: &HeaderMap,
    body: &B,
    limit: usize,
) -> Result<Signature, Rejection> {
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    let mut too_large = body.size_hint().lower() > limit_u64;
    let mut signature = None;
    let mut doubled = false;
    for (name, value) in headers {
        if *name == SIGNATURE {
            doubled |= signature.replace(value).is_some();
        } else if name == CONTENT_LENGTH {
            too_large |= value
                .to_str()
                .ok()
                .and_then(|value| value.trim().parse::<u64>().ok())
                .is_some_and(|len| len > limit_u64);
        }
    }
    if too_large {
        return Err(Rejection::TooLarge { limit });
    }
    let value = signature.ok_or(Rejection::MissingSignature)?;
    if doubled {
        return Err(Rejection::AmbiguousSignature);
    }
    Signature::from_hex(value.as_bytes())
        .map_err(|err| Rejection::InvalidSignature(VerifyError::Malformed(err)))
}

/// Turns a failure to read a body with [`CollectBytes::limited`] into a rejection.
pub(crate) fn read_error<E: Into<BoxError>>(err: CollectError<E>, limit: usize) -> Rejection {
    match err {
        CollectError::TooLarge => Rejection::TooLarge { limit },
        CollectError::Body(err) => Rejection::BodyRead(err.into()),
    }
}

impl<S, R, B, ResBody> Service<Request<B>> for VerifySignature<S, R>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>> + Clone,
    R: OnRejection + Clone,
    B: Body,
    B::Error: Into<BoxError>,
{
    type Response = Response<Either<ResBody, Full<Bytes>>>;
    type Error = S::Error;
    type Future = ResponseFuture<B, S, R>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let (parts, body) = req.into_parts();
        let reject = self.reject.clone();
        match check_head(&parts.headers, &body, self.config.limit) {
            Err(rejection) => ResponseFuture {
                state: State::Rejected {
                    rejection: Some(rejection),
                },
                check: None,
                reject,
            },
            Ok(signature) => {
                // The ready service goes into the future; a fresh clone stays here (tower's
                // usual pattern for services that do async work before calling the inner one).
                let clone = self.inner.clone();
                ResponseFuture {
                    state: State::Reading {
                        collect: CollectBytes::limited(body, self.config.limit),
                        deadline: self.config.read_timeout,
                        sleep: None,
                    },
                    check: Some(Check {
                        // The request as it will be forwarded: its body is put in once verified.
                        request: Some(Request::from_parts(parts, Full::default())),
                        signature,
                        verifier: Arc::clone(&self.config.verifier),
                        inner: std::mem::replace(&mut self.inner, clone),
                    }),
                    reject,
                }
            }
        }
    }
}

fn reject<R: OnRejection>(reject: &R, rejection: &Rejection) -> Response<Full<Bytes>> {
    tracing::debug!(status = rejection.status().as_u16(), reason = %rejection, "kukuruku request refused");
    reject.on_rejection(rejection)
}

pin_project! {
    /// The future of [`VerifySignature`].
    pub struct ResponseFuture<B, S, R>
    where
        B: Body,
        B::Error: Into<BoxError>,
        S: Service<Request<Full<Bytes>>>,
    {
        #[pin]
        state: State<B, S::Future>,
        // What verifying and the inner call need waits beside the body being read, outside the
        // state, and only the request leaves by value: cheaper than moving it all. Absent for a
        // request refused before reading.
        check: Option<Check<S>>,
        reject: R,
    }
}

/// The request to forward (until it is), the signature to check, the keys to check it with,
/// and the ready inner service.
struct Check<S> {
    request: Option<Request<Full<Bytes>>>,
    signature: Signature,
    // Shared, not copied: the keyed HMAC states are as good as the key, and one copy of them is
    // better than one in every request in flight.
    verifier: Arc<Verifier>,
    inner: S,
}

pin_project! {
    #[project = StateProj]
    enum State<B, F>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        Reading {
            #[pin]
            collect: CollectBytes<B>,
            deadline: Option<Duration>,
            // Boxed: most bodies arrive at once and never need it, and it keeps the future small.
            sleep: Option<Pin<Box<Sleep>>>,
        },
        Calling {
            #[pin]
            future: F,
        },
        // The answer is built when the future is polled, by the layer's `OnRejection`.
        Rejected {
            rejection: Option<Rejection>,
        },
        Done,
    }
}

impl<B, S, R, ResBody> Future for ResponseFuture<B, S, R>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>>,
    R: OnRejection,
    B: Body,
    B::Error: Into<BoxError>,
{
    type Output = Result<Response<Either<ResBody, Full<Bytes>>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let rejection = loop {
            break match this.state.as_mut().project() {
                StateProj::Calling { future } => {
                    let response = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(response.map(Either::Left)));
                }
                StateProj::Rejected { rejection } => rejection
                    .take()
                    .unwrap_or_else(|| Rejection::BodyRead(polled_after_completion())),
                StateProj::Done => Rejection::BodyRead(polled_after_completion()),
                StateProj::Reading {
                    mut collect,
                    deadline,
                    sleep,
                } => {
                    let outcome = match collect.as_mut().poll(cx) {
                        Poll::Ready(Ok(body)) => Ok(body),
                        Poll::Ready(Err(err)) => Err(read_error(err, collect.limit())),
                        Poll::Pending => {
                            let Some(after) = *deadline else {
                                return Poll::Pending;
                            };
                            // The timer is armed only for a body that does not arrive at once,
                            // from the first moment it makes the server wait.
                            let timer =
                                sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(after)));
                            ready!(timer.as_mut().poll(cx));
                            Err(Rejection::Timeout(after))
                        }
                    };
                    let Some(check) = this.check.as_mut() else {
                        break Rejection::BodyRead(polled_after_completion());
                    };
                    let verified = outcome.and_then(|body| {
                        match check.verifier.verify_signature(&body, &check.signature) {
                            Ok(matched) => Ok((body, matched)),
                            Err(err) => Err(Rejection::InvalidSignature(err)),
                        }
                    });
                    match (verified, check.request.take()) {
                        (Ok((body, matched)), Some(mut request)) => {
                            *request.body_mut() = Full::new(body);
                            request
                                .extensions_mut()
                                .insert(VerifiedSignature::new(matched));
                            let future = check.inner.call(request);
                            this.state.set(State::Calling { future });
                            continue;
                        }
                        (Err(rejection), _) => rejection,
                        // The request leaves only with a call, which replaces this state.
                        (Ok(_), None) => Rejection::BodyRead(polled_after_completion()),
                    }
                }
            };
        };
        this.state.set(State::Done);
        Poll::Ready(Ok(reject(this.reject, &rejection).map(Either::Right)))
    }
}

impl<B, S, R> fmt::Debug for ResponseFuture<B, S, R>
where
    B: Body,
    B::Error: Into<BoxError>,
    S: Service<Request<Full<Bytes>>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
