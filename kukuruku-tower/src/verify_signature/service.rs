//! [`VerifySignature`]: checks the head of each request, then hands the body to its
//! [`ResponseFuture`] to read and verify.

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::{Either, Full};
use kukuruku_sign::Verifier;
use tower_layer::Layer;
use tower_service::Service;

use super::future::{Check, State};
use super::layer::Config;
use super::{DefaultRejection, OnRejection, ResponseFuture, VerifySignatureLayer, check_head};
use crate::BoxError;
use crate::collect::CollectBytes;

/// The service made by [`VerifySignatureLayer`].
#[derive(Clone)]
pub struct VerifySignature<S, R = DefaultRejection> {
    pub(super) inner: S,
    pub(super) config: Config,
    pub(super) reject: R,
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
