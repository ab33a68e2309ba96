//! One HTTP exchange within limits: the workspace's only way to call a server.
//!
//! [`round_trip`] sends a request through any tower HTTP service and reads the whole answer,
//! at most `limit` bytes of it, all within `timeout`. The payments [`Client`](crate::Client),
//! `kukuruku-oidc` (discovery, JWKS, token, userinfo) and `kuna-ramp` call it, so the three
//! agree on what a timeout, a too-large answer and a failed connection are.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use std::time::Duration;
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use kukuruku_tower::round_trip::{round_trip, RoundTripError};
//!
//! let server = tower::service_fn(|_request: http::Request<Full<Bytes>>| async {
//!     Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(Bytes::from("hello"))))
//! });
//! let request = http::Request::new(Full::new(Bytes::new()));
//! let answer = round_trip(server, request, Duration::from_secs(5), 1024).await.unwrap();
//! assert_eq!(answer.body(), "hello");
//!
//! let request = http::Request::new(Full::new(Bytes::new()));
//! let small = round_trip(server, request, Duration::from_secs(5), 3).await;
//! assert!(matches!(small, Err(RoundTripError::TooLarge { limit: 3, .. })));
//! # }
//! ```

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use tower::ServiceExt;
use tower_service::Service;

use crate::BoxError;
use crate::collect::{CollectBytes, CollectError};
use crate::error::is_connect_error;

/// Why an exchange did not produce a whole answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoundTripError {
    /// The request could not be sent, or the answer could not be read to its end.
    #[error("{}", if *.connect {
        "could not connect (nothing was sent)"
    } else {
        "the connection failed during the exchange"
    })]
    Transport {
        /// The transport's error.
        #[source]
        source: BoxError,
        /// `true` when the connection failed before a byte of the request was sent, so the
        /// server cannot have acted on it.
        connect: bool,
    },
    /// No complete answer within the timeout.
    #[error("no complete answer within {} ms", .timeout.as_millis())]
    Timeout {
        /// The timeout that passed.
        timeout: Duration,
    },
    /// The answer's body is larger than the limit; reading stopped there.
    #[error("the answer ({status}) is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The answer's HTTP status.
        status: StatusCode,
        /// The limit, in bytes.
        limit: usize,
    },
}

impl RoundTripError {
    /// `true` when nothing was sent: the server cannot have acted on the request.
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Transport { connect: true, .. })
    }
}

/// Sends `request` through `service` and reads the whole answer, at most `limit` bytes, all
/// within `timeout`.
pub async fn round_trip<S, ReqBody, ResBody>(
    service: S,
    request: Request<ReqBody>,
    timeout: Duration,
    limit: usize,
) -> Result<Response<Bytes>, RoundTripError>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    ResBody: Body,
    ResBody::Error: Into<BoxError>,
{
    let exchange = async {
        let response = service.oneshot(request).await.map_err(|err| {
            let source: BoxError = err.into();
            let connect = is_connect_error(&*source);
            RoundTripError::Transport { source, connect }
        })?;
        let (parts, body) = response.into_parts();
        match CollectBytes::limited(body, limit).await {
            Ok(bytes) => Ok(Response::from_parts(parts, bytes)),
            Err(CollectError::TooLarge) => Err(RoundTripError::TooLarge {
                status: parts.status,
                limit,
            }),
            Err(CollectError::Body(err)) => Err(RoundTripError::Transport {
                source: err.into(),
                connect: false,
            }),
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(RoundTripError::Timeout { timeout }))
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http_body_util::Full;

    use super::*;
    use crate::ConnectError;

    fn request() -> Request<Full<Bytes>> {
        Request::new(Full::new(Bytes::new()))
    }

    #[tokio::test]
    async fn a_connect_failure_says_nothing_was_sent() {
        let refused = tower::service_fn(|_: Request<Full<Bytes>>| async {
            Err::<Response<Full<Bytes>>, _>(ConnectError::new("refused"))
        });
        let err = round_trip(refused, request(), Duration::from_secs(1), 10)
            .await
            .unwrap_err();
        assert!(err.is_connect(), "{err:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_server_is_a_timeout() {
        let slow = tower::service_fn(|_: Request<Full<Bytes>>| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
        });
        let err = round_trip(slow, request(), Duration::from_secs(1), 10)
            .await
            .unwrap_err();
        assert!(
            matches!(err, RoundTripError::Timeout { timeout } if timeout == Duration::from_secs(1))
        );
    }

    #[tokio::test]
    async fn the_limit_is_inclusive() {
        let server = tower::service_fn(|_: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"abc"))))
        });
        let exact = round_trip(server, request(), Duration::from_secs(1), 3).await;
        assert_eq!(exact.unwrap().body(), "abc");
        let over = round_trip(server, request(), Duration::from_secs(1), 2).await;
        assert!(matches!(
            over,
            Err(RoundTripError::TooLarge {
                status: StatusCode::OK,
                limit: 2
            })
        ));
    }
}
