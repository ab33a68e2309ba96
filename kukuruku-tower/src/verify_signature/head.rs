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

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http_body_util::{Empty, Full};
    use kukuruku_sign::{SecretKey, Signer};

    use super::*;

    fn signature() -> String {
        let key = SecretKey::new("secret").unwrap();
        Signer::new(&key).sign(b"{}").to_hex().as_str().to_owned()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn a_single_well_formed_signature_passes() {
        let good = signature();
        let head = headers(&[("content-length", "2"), ("signature", &good)]);
        let parsed = check_head(&head, &Full::new(Bytes::from_static(b"{}")), 10).unwrap();
        assert_eq!(parsed.to_hex().as_str(), good);
    }

    #[test]
    fn the_size_is_checked_first_from_every_length_and_the_body_hint() {
        let body = Empty::<Bytes>::new();
        for lengths in [&["11"][..], &["2", "11"], &[" 11 "]] {
            let mut head = headers(&[]);
            for length in lengths {
                head.append(CONTENT_LENGTH, length.parse().unwrap());
            }
            let refused = check_head(&head, &body, 10).unwrap_err();
            assert!(
                matches!(refused, Rejection::TooLarge { limit: 10 }),
                "{lengths:?}"
            );
        }
        let big = Full::new(Bytes::from_static(b"eleven byte"));
        let refused = check_head(&headers(&[]), &big, 10).unwrap_err();
        assert!(matches!(refused, Rejection::TooLarge { limit: 10 }));
        // A length that is not a number is not a size: the signature decides.
        let head = headers(&[("content-length", "many")]);
        let refused = check_head(&head, &body, 10).unwrap_err();
        assert!(matches!(refused, Rejection::MissingSignature));
    }

    #[test]
    fn missing_doubled_and_malformed_signatures_are_refused() {
        let body = Empty::<Bytes>::new();
        let good = signature();
        let missing = check_head(&headers(&[]), &body, 10).unwrap_err();
        assert!(matches!(missing, Rejection::MissingSignature));
        let doubled = headers(&[("signature", &good), ("signature", &good)]);
        let doubled = check_head(&doubled, &body, 10).unwrap_err();
        assert!(matches!(doubled, Rejection::AmbiguousSignature));
        let short = check_head(&headers(&[("signature", &good[..10])]), &body, 10).unwrap_err();
        assert!(
            matches!(short, Rejection::InvalidSignature(err) if err.is_malformed()),
            "{short:?}"
        );
    }
}
