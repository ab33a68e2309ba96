//! Reading a signed request: limit, read and verify the raw bytes before anything parses them,
//! with the SDK's own verifier (`kukuruku_sign::Verifier`, one key per merchant: the key that
//! matched says which merchant signed).

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use kukuruku_proto::{BodylessSigning, INVALID_SIGNATURE_BODY, MerchantId, MerchantIdFormat};

use super::state::PaymentsState;
use crate::body_limit::{announced_too_large, collect, too_large};
use crate::response::json_response;

/// The D2 answer to a missing, malformed or wrong signature: 401 with `kukuruku-proto`'s
/// [`INVALID_SIGNATURE_BODY`].
pub(crate) fn invalid_signature() -> Response {
    json_response(
        StatusCode::UNAUTHORIZED,
        Bytes::from_static(INVALID_SIGNATURE_BODY),
    )
}

/// The one `signature` header value; `None` when it is missing or sent twice (ambiguous).
pub(crate) fn signature_header(headers: &HeaderMap) -> Option<&[u8]> {
    let mut values = headers.get_all(kukuruku_sign::HEADER_NAME).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => Some(value.as_bytes()),
        _ => None,
    }
}

/// Reads the body (at most 64 KiB, within the read timeout) and verifies its signature.
/// Returns the index of the merchant whose key matched, and the exact bytes received.
pub(crate) async fn read_signed(
    shared: &PaymentsState,
    request: Request<Body>,
) -> Result<(usize, Bytes), Response> {
    let (parts, body) = request.into_parts();
    if announced_too_large(&parts.headers) {
        return Err(too_large());
    }
    let header = signature_header(&parts.headers).ok_or_else(invalid_signature)?;
    let bytes = collect(body, shared.read_timeout).await?;
    match shared.verifier.verify(&bytes, header) {
        Ok(matched) => Ok((matched.index(), bytes)),
        Err(err) => {
            tracing::info!(reason = %err, "request refused: bad signature");
            Err(invalid_signature())
        }
    }
}

/// The bytes a body-less request claiming `merchant_id` is signed over (PROTOCOL D1), as the
/// SDK's client computes them ([`BodylessSigning::input`], `merchant_id` written as a string).
///
/// `{}` and the empty string do not depend on the id (any configured merchant's stands in);
/// `{"merchant_id":…}` does, so without a valid `merchant_id` there is nothing it could have
/// been signed over (`None`: the request is refused as unsigned).
pub(crate) fn bodyless_input(
    shared: &PaymentsState,
    merchant_id: Option<&MerchantId>,
) -> Option<Bytes> {
    let id = match (shared.bodyless, merchant_id) {
        (_, Some(id)) => id,
        (BodylessSigning::MerchantIdObject, None) => return None,
        (_, None) => &shared.merchants.first()?.id,
    };
    shared.bodyless.input(id, MerchantIdFormat::String).ok()
}
