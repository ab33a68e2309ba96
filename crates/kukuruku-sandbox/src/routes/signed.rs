//! Reading a signed request: limit, read and verify the raw bytes before anything parses them,
//! with the SDK's own verifier (`kukuruku_sign::Verifier`, one key per merchant: the key that
//! matched says which merchant signed).

use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::state::Shared;
use crate::util::json_error;

/// The largest body accepted: 64 KiB (an order request is a few hundred bytes).
pub(crate) const BODY_LIMIT: usize = 64 * 1024;
/// How long a client may take to send its body.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The D2 answer to a missing, malformed or wrong signature.
pub(crate) fn invalid_signature() -> Response {
    json_error(StatusCode::UNAUTHORIZED, "Invalid signature")
}

/// The one `signature` header value; `None` when it is missing or sent twice (ambiguous).
pub(crate) fn signature_header(headers: &HeaderMap) -> Option<&[u8]> {
    let mut values = headers.get_all(kukuruku_sign::HEADER_NAME).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => Some(value.as_bytes()),
        _ => None,
    }
}

/// Reads the body (at most [`BODY_LIMIT`] bytes, within 10 s) and verifies its signature.
/// Returns the index of the merchant whose key matched, and the exact bytes received.
pub(crate) async fn read_signed(
    shared: &Shared,
    request: Request<Body>,
) -> Result<(usize, Bytes), Response> {
    let (parts, body) = request.into_parts();
    let announced = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if announced.is_some_and(|len| len > BODY_LIMIT as u64) {
        return Err(too_large());
    }
    let header = signature_header(&parts.headers).ok_or_else(invalid_signature)?;
    let read = tokio::time::timeout(READ_TIMEOUT, Limited::new(body, BODY_LIMIT).collect()).await;
    let bytes = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(too_large());
        }
        Ok(Err(_)) => {
            return Err(json_error(
                StatusCode::BAD_REQUEST,
                "the body could not be read",
            ));
        }
        Err(_) => {
            return Err(json_error(
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive within 10 s",
            ));
        }
    };
    match shared.verifier.verify(&bytes, header) {
        Ok(matched) => Ok((matched.index(), bytes)),
        Err(err) => {
            tracing::info!(reason = %err, "request refused: bad signature");
            Err(invalid_signature())
        }
    }
}

fn too_large() -> Response {
    json_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is larger than {BODY_LIMIT} bytes"),
    )
}
