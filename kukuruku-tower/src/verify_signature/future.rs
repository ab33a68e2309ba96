//! [`ResponseFuture`]: reads the body within the limit and the read timeout, verifies it, then
//! calls the inner service, or answers the rejection.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::{Either, Full};
use kukuruku_sign::{Signature, Verifier};
use pin_project_lite::pin_project;
use tokio::time::Sleep;
use tower_service::Service;

use super::rejection::reject;
use super::{OnRejection, Rejection, VerifiedSignature, read_error};
use crate::BoxError;
use crate::collect::CollectBytes;
use crate::sign_request::polled_after_completion;

pin_project! {
    /// The future of [`VerifySignature`](super::VerifySignature).
    pub struct ResponseFuture<B, S, R>
    where
        B: Body,
        B::Error: Into<BoxError>,
        S: Service<Request<Full<Bytes>>>,
    {
        #[pin]
        pub(super) state: State<B, S::Future>,
        // What verifying and the inner call need waits beside the body being read, outside the
        // state, and only the request leaves by value: cheaper than moving it all. Absent for a
        // request refused before reading.
        pub(super) check: Option<Check<S>>,
        pub(super) reject: R,
    }
}

/// The request to forward (until it is), the signature to check, the keys to check it with,
/// and the ready inner service.
pub(super) struct Check<S> {
    pub(super) request: Option<Request<Full<Bytes>>>,
    pub(super) signature: Signature,
    // Shared, not copied: the keyed HMAC states are as good as the key, and one copy of them is
    // better than one in every request in flight.
    pub(super) verifier: Arc<Verifier>,
    pub(super) inner: S,
}

pin_project! {
    #[project = StateProj]
    pub(super) enum State<B, F>
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
