//! The HTTP side: any tower service, boxed once, called through `kukuruku-tower`'s
//! [`round_trip`] with the client's limits, and `oauth2`'s async HTTP client trait over it.
//!
//! `openidconnect`/`oauth2` ask for an [`AsyncHttpClient`]; [`Transport`] is one, built on the
//! tower transport of `kukuruku-tower` (feature `transport`) or on the service the merchant
//! passes to [`KukurukuIdBuilder::transport`](crate::KukurukuIdBuilder::transport). No second
//! HTTP stack.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use kukuruku_proto::is_loopback;
use kukuruku_tower::BoxError;
use kukuruku_tower::round_trip::{RoundTripError, round_trip};
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};
use url::Url;

use crate::error::Error;

/// The response body the boxed service yields.
type BoxBody = UnsyncBoxBody<Bytes, BoxError>;

/// A tower HTTP service, boxed: concrete, cheap to clone, `Send + Sync`.
pub(crate) type BoxedService =
    BoxCloneSyncService<Request<Full<Bytes>>, Response<BoxBody>, BoxError>;

/// Boxes any tower HTTP service into the one the client keeps.
pub(crate) fn boxed<S, B>(service: S) -> BoxedService
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    BoxCloneSyncService::new(
        service
            .map_response(|response: Response<B>| {
                response.map(|body| body.map_err(Into::into).boxed_unsync())
            })
            .map_err(Into::into),
    )
}

/// The boxed service with the client's limits: request timeout and largest answer.
#[derive(Clone)]
pub(crate) struct Transport {
    service: BoxedService,
    timeout: Duration,
    max_body: usize,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

/// Why an HTTP exchange failed (turned into [`Error`] at the crate's surface).
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    #[error("refusing {url}: not https and not loopback")]
    Insecure { url: String },
    #[error("{url} timed out")]
    Timeout { url: String },
    #[error("could not reach {url}")]
    Transport {
        url: String,
        #[source]
        source: BoxError,
    },
    #[error("answer from {url} larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
}

impl TransportError {
    fn from_round_trip(error: RoundTripError, url: String) -> Self {
        match error {
            RoundTripError::Timeout { .. } => Self::Timeout { url },
            RoundTripError::TooLarge { limit, .. } => Self::TooLarge { url, limit },
            RoundTripError::Transport { source, .. } => Self::Transport { url, source },
            // `RoundTripError` is non-exhaustive: whatever it grows is a failed exchange.
            other => Self::Transport {
                url,
                source: Box::new(other),
            },
        }
    }
}

impl From<TransportError> for Error {
    fn from(error: TransportError) -> Self {
        match error {
            TransportError::Insecure { url } => Error::InsecureUrl { url },
            TransportError::Timeout { url } => Error::Timeout { url },
            TransportError::Transport { url, source } => Error::Transport { url, source },
            TransportError::TooLarge { url, limit } => Error::TooLarge { url, limit },
        }
    }
}

impl Transport {
    pub(crate) fn new(service: BoxedService, timeout: Duration, max_body: usize) -> Self {
        Self {
            service,
            timeout,
            max_body,
        }
    }

    /// Sends one request and reads the whole answer (bounded in time and size). Refuses any
    /// URL that is not https or loopback http, whoever produced it (configuration, discovery).
    pub(crate) async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Bytes>, TransportError> {
        let url = request.uri().to_string();
        if !Url::parse(&url).is_ok_and(|parsed| is_secure_url(&parsed)) {
            return Err(TransportError::Insecure { url });
        }
        round_trip(self.service.clone(), request, self.timeout, self.max_body)
            .await
            .map_err(|error| TransportError::from_round_trip(error, url))
    }
}

impl<'c> AsyncHttpClient<'c> for Transport {
    type Error = TransportError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .send(Request::from_parts(parts, Full::new(Bytes::from(body))))
                .await?;
            let (parts, body) = response.into_parts();
            Ok(Response::from_parts(parts, body.to_vec()))
        })
    }
}

/// `https`, or `http` to a loopback host (a local sandbox).
pub(crate) fn is_secure_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(url),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::*;

    fn is_secure(url: &str) -> bool {
        Url::parse(url).is_ok_and(|url| is_secure_url(&url))
    }

    #[test]
    fn only_https_or_loopback() {
        for ok in [
            "https://auth.kukuruku.win/realms/public",
            "http://127.0.0.1:8080/x",
            "http://127.5.6.7/",
            "http://[::1]:9/",
            "http://localhost:1/",
        ] {
            assert!(is_secure(ok), "{ok}");
        }
        for bad in [
            "http://auth.kukuruku.win/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(!is_secure(bad), "{bad}");
        }
    }

    fn transport(body: &'static str, delay: Duration, max_body: usize) -> Transport {
        let service = tower::service_fn(move |_: Request<Full<Bytes>>| async move {
            tokio::time::sleep(delay).await;
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(
                body.as_bytes(),
            ))))
        });
        Transport::new(boxed(service), Duration::from_millis(50), max_body)
    }

    fn get(url: &str) -> Request<Full<Bytes>> {
        Request::get(url).body(Full::new(Bytes::new())).unwrap()
    }

    #[tokio::test]
    async fn round_trip_failures_keep_their_variants() {
        let ok = transport("{}", Duration::ZERO, 2);
        assert_eq!(
            ok.send(get("http://127.0.0.1/")).await.unwrap().body(),
            "{}"
        );
        let insecure = ok.send(get("http://auth.example/")).await.unwrap_err();
        assert!(
            matches!(insecure, TransportError::Insecure { .. }),
            "{insecure}"
        );
        let large = transport("{ }", Duration::ZERO, 2)
            .send(get("http://127.0.0.1/"))
            .await
            .unwrap_err();
        assert!(
            matches!(large, TransportError::TooLarge { limit: 2, .. }),
            "{large}"
        );
        let slow = transport("{}", Duration::from_secs(5), 2)
            .send(get("http://127.0.0.1/"))
            .await
            .unwrap_err();
        assert!(matches!(slow, TransportError::Timeout { .. }), "{slow}");
    }
}
