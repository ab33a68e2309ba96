//! One exchange with Kuna: the JSON `POST` request, the round trip through the tower service
//! (within the client's timeout and body limit), and the `{"data": …}` envelope of the answer.

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::{Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::Full;
use kukuruku_proto::{JsonError, read_json};
use kukuruku_tower::BoxError;
use kukuruku_tower::round_trip::{RoundTripError, round_trip};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower_service::Service;
use url::Url;

use super::KunaClient;
use crate::error::Error;

/// Every successful answer: `{"data": …}`.
#[derive(serde::Deserialize)]
struct Envelope<T> {
    data: T,
}

impl<S, B> KunaClient<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    /// An authenticated call whose answer carries no secret: `body` posted to `path`, the
    /// answer's `data` read as `R` (a key twice in any object is [`Error::DuplicateKey`]).
    pub(super) async fn call<T: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &T,
    ) -> Result<R, Error> {
        let (status, answer) = self.post_authenticated(path, body).await?;
        match read_json::<Envelope<R>>(&answer) {
            Ok(envelope) => Ok(envelope.data),
            Err(JsonError::DuplicateKey { key }) => Err(Error::DuplicateKey {
                status,
                key,
                body: answer,
            }),
            Err(error) => Err(Error::UnexpectedBody {
                status,
                reason: format!("not the expected `data`: {error}"),
                body: answer,
            }),
        }
    }

    /// Sends `request` and reads the whole answer, within the client's timeout and body limit.
    pub(super) async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), Error> {
        let answer = round_trip(
            self.service.clone(),
            request,
            self.inner.timeout,
            self.inner.body_limit,
        )
        .await
        .map_err(|err| match err {
            RoundTripError::Timeout { timeout } => Error::Timeout(timeout),
            RoundTripError::TooLarge { limit, .. } => Error::BodyTooLarge { limit },
            RoundTripError::Transport { source, .. } => Error::Transport(source),
            // A kind of failure added to the round trip later: still a transport failure.
            other => Error::Transport(other.into()),
        })?;
        let (parts, body) = answer.into_parts();
        Ok((parts.status, body))
    }

    /// The URL of `path` under the base URL.
    pub(super) fn endpoint(&self, path: &str) -> Result<Url, Error> {
        self.inner
            .base
            .join(path)
            .map_err(|e| Error::Config(format!("cannot build the URL of {path}: {e}")))
    }
}

/// A JSON `POST` of `body` to `url`, without credentials.
pub(super) fn json_request(url: &Url, body: Bytes) -> Result<Request<Full<Bytes>>, Error> {
    Request::builder()
        .method(Method::POST)
        .uri(url.as_str())
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, concat!("kuna-ramp/", env!("CARGO_PKG_VERSION")))
        .body(Full::new(body))
        .map_err(|e| Error::Config(format!("cannot build the request: {e}")))
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::error::Error as _;
    use std::time::Duration;

    use crate::{Credentials, KunaClient};

    use super::*;

    fn request() -> Request<Full<Bytes>> {
        json_request(&"https://kuna.example/v2/x".parse().unwrap(), Bytes::new()).unwrap()
    }

    #[tokio::test]
    async fn a_slow_answer_is_a_timeout() {
        let slow = tower::service_fn(|_: Request<Full<Bytes>>| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
        });
        let client = KunaClient::builder("https://kuna.example/", Credentials::api_key("k"))
            .timeout(Duration::from_millis(20))
            .build_with(slow)
            .unwrap();
        let err = client.send(request()).await.unwrap_err();
        assert!(
            matches!(err, Error::Timeout(t) if t == Duration::from_millis(20)),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_failed_service_is_a_transport_error_with_its_cause() {
        let broken = tower::service_fn(|_: Request<Full<Bytes>>| async {
            Err::<Response<Full<Bytes>>, _>(std::io::Error::other("connection reset"))
        });
        let client = KunaClient::builder("https://kuna.example/", Credentials::api_key("k"))
            .build_with(broken)
            .unwrap();
        let err = client.send(request()).await.unwrap_err();
        assert!(matches!(err, Error::Transport(_)), "{err:?}");
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("connection reset")
        );
    }

    #[tokio::test]
    async fn the_body_limit_is_inclusive() {
        let server = tower::service_fn(|_: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"abcd"))))
        });
        let client = |limit| {
            KunaClient::builder("https://kuna.example/", Credentials::api_key("k"))
                .body_limit(limit)
                .build_with(server)
                .unwrap()
        };
        let (status, body) = client(4).send(request()).await.unwrap();
        assert_eq!((status, &body[..]), (StatusCode::OK, &b"abcd"[..]));
        let err = client(3).send(request()).await.unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 3 }), "{err:?}");
    }
}
