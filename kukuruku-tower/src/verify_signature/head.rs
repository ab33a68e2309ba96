//! What is checked before a byte of the body is read: the size announced and the `signature`
//! header.

use http::HeaderMap;
use http::header::CONTENT_LENGTH;
use http_body::Body;
use kukuruku_sign::{Signature, VerifyError};

use super::Rejection;
use crate::sign_request::SIGNATURE;

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
