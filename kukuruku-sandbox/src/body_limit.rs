//! Reading request bodies, for every area: at most [`BODY_LIMIT`] bytes, within the sandbox's
//! read timeout ([`SandboxBuilder::read_timeout`](crate::SandboxBuilder::read_timeout)), so a
//! slow or endless client holds a connection for a bounded time only.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, Request, StatusCode};
use kukuruku_tower::collect::{CollectBytes, CollectError};

use crate::payments::PaymentsState;
use crate::response::json_error;

/// The largest body accepted: 64 KiB (an order request is a few hundred bytes).
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

/// Whether the announced `Content-Length` is over [`BODY_LIMIT`] (answer [`too_large`] before
/// reading anything).
pub(crate) fn announced_too_large(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .is_some_and(|len| len > BODY_LIMIT as u64)
}

/// Reads the whole body: 413 past [`BODY_LIMIT`] bytes, 408 when it has not arrived within
/// `timeout`, 400 when the connection fails.
pub(crate) async fn collect(body: Body, timeout: Duration) -> Result<Bytes, Response> {
    match tokio::time::timeout(timeout, CollectBytes::limited(body, BODY_LIMIT)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(CollectError::TooLarge)) => Err(too_large()),
        Ok(Err(CollectError::Body(_))) => Err(json_error(
            StatusCode::BAD_REQUEST,
            "the body could not be read",
        )),
        Err(_) => Err(json_error(
            StatusCode::REQUEST_TIMEOUT,
            &format!("the body did not arrive within {}", human(timeout)),
        )),
    }
}

/// A request body read with [`announced_too_large`] and [`collect`]: the pay page's form, the control
/// API's JSON.
pub(crate) struct LimitedBody(pub(crate) Bytes);

impl FromRequest<Arc<PaymentsState>> for LimitedBody {
    type Rejection = Response;

    async fn from_request(
        request: Request<Body>,
        shared: &Arc<PaymentsState>,
    ) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        if announced_too_large(&parts.headers) {
            return Err(too_large());
        }
        collect(body, shared.read_timeout).await.map(Self)
    }
}

/// Middleware for handlers that take the body whole (the KukurukuID provider, Kuna): reads it
/// with [`announced_too_large`] and [`collect`] (413, 408, 400 as there), then hands it on.
pub(crate) async fn bounded(
    State(timeout): State<Duration>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    if announced_too_large(&parts.headers) {
        return too_large();
    }
    match collect(body, timeout).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(response) => response,
    }
}

/// 413, naming the limit.
pub(crate) fn too_large() -> Response {
    json_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is larger than {BODY_LIMIT} bytes"),
    )
}

/// `10 s`, `250 ms`.
fn human(duration: Duration) -> String {
    if duration.subsec_millis() == 0 && duration.as_secs() > 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[test]
    fn durations_for_people() {
        assert_eq!(human(Duration::from_secs(10)), "10 s");
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
        assert_eq!(human(Duration::from_millis(1500)), "1500 ms");
        assert_eq!(human(Duration::ZERO), "0 ms");
    }

    #[test]
    fn announced_lengths() {
        let mut headers = HeaderMap::new();
        assert!(!announced_too_large(&headers));
        headers.insert(CONTENT_LENGTH, "65536".parse().unwrap());
        assert!(!announced_too_large(&headers));
        headers.insert(CONTENT_LENGTH, " 65537 ".parse().unwrap());
        assert!(announced_too_large(&headers));
        headers.insert(CONTENT_LENGTH, "lots".parse().unwrap());
        assert!(!announced_too_large(&headers));
        assert_eq!(too_large().status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    /// A body whose bytes never come.
    struct Endless;

    impl http_body::Body for Endless {
        type Data = Bytes;
        type Error = std::io::Error;

        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
            std::task::Poll::Pending
        }
    }

    async fn text(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn bodies_are_bounded_in_time_and_size() {
        let started = std::time::Instant::now();
        let late = collect(Body::new(Endless), Duration::from_millis(50))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(late.status(), StatusCode::REQUEST_TIMEOUT);
        assert_eq!(
            text(late).await,
            r#"{"success":false,"err":"the body did not arrive within 50 ms"}"#
        );

        let big = collect(
            Body::from(vec![b'x'; BODY_LIMIT + 1]),
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
        assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(text(big).await.contains("larger than 65536 bytes"));

        let fits = collect(Body::from(vec![b'x'; BODY_LIMIT]), Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(fits.len(), BODY_LIMIT);
    }
}
