//! Feature `sign`: signed requests and verified answers, with `kukuruku-sign`.
//!
//! Two ways to sign a request: [`build_signed_request`] builds an endpoint's complete request
//! and signs it (when the call is signed); [`add_signature`] signs a request that already
//! exists, in place (a client that built or changed the request itself).

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response};
use kukuruku_sign::{MatchedKey, Signature, Signer, Verifier};

use crate::config::ApiConfig;
use crate::endpoint::Endpoint;
use crate::error::{RequestError, ResponseError};

/// The `signature` header value of a computed `signature`: 128 lower-case hex digits, marked
/// sensitive so that HTTP libraries keep it out of logs. For a client that signs a body it
/// collected itself (a middleware); [`add_signature`] uses it.
pub fn signature_header_value(signature: &Signature) -> Result<HeaderValue, RequestError> {
    let hex = signature.to_hex();
    let mut value =
        HeaderValue::from_bytes(hex.as_bytes()).map_err(|error| RequestError::Http {
            reason: error.to_string(),
        })?;
    value.set_sensitive(true);
    Ok(value)
}

/// Adds the signature to an existing request, in place: sets its `signature` header to the HMAC
/// of the exact body bytes, or for a request with an empty body of the D1 bytes
/// ([`ApiConfig::signing_input`]). An existing `signature` header is replaced.
///
/// To build an endpoint's request and sign it in one step, use [`build_signed_request`].
pub fn add_signature<B: AsRef<[u8]>>(
    request: &mut Request<B>,
    config: &ApiConfig,
    signer: &Signer,
) -> Result<(), RequestError> {
    let value = signature_header_value(&signer.sign(&config.signing_input(request)))?;
    request
        .headers_mut()
        .insert(HeaderName::from_static(kukuruku_sign::HEADER_NAME), value);
    Ok(())
}

/// Builds the complete request of `endpoint` ([`Endpoint::to_request`]) and signs it when the
/// call is signed ([`Endpoint::REQUEST_SIGNED`]; the profile call is not, it carries a bearer
/// token): ready for any HTTP client.
///
/// ```
/// use kukuruku_proto::kukuruku_sign::{SecretKey, Signer};
/// use kukuruku_proto::{build_signed_request, Amount, ApiConfig, Currency, MerchantId, PayinRequest};
///
/// let config = ApiConfig::new(MerchantId::new("1")?);
/// let signer = Signer::new(&SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl")?);
/// let payin = PayinRequest::builder()
///     .amount(Amount::new(50_000)?)
///     .currency(Currency::Rub)
///     .callback_url("https://your-site.com/callback")
///     .order_number("order-123")
///     .redirect_success_url("https://your-site.com/success")
///     .redirect_fail_url("https://your-site.com/fail")
///     .client_id("user@example.com")
///     .build()?;
///
/// let request = build_signed_request(&payin, &config, &signer)?;
/// assert_eq!(
///     request.headers()["signature"],
///     "b7611a011a447edd6dee56f302722045d5e947411987d3884eb185157831d815a91293d64b07af6a571403e1665348237ef4d3dac8c83010ab823cc838b4308b"
/// );
/// // Send `request` (method, URI, headers, body bytes) with any HTTP client.
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_signed_request<E: Endpoint>(
    endpoint: &E,
    config: &ApiConfig,
    signer: &Signer,
) -> Result<Request<Bytes>, RequestError> {
    let mut request = endpoint.to_request(config)?;
    if E::REQUEST_SIGNED {
        add_signature(&mut request, config, signer)?;
    }
    Ok(request)
}

/// Verifies an answer's `signature` header over its raw body bytes, in constant time.
///
/// A missing header is [`ResponseError::Signature`] with
/// [`MalformedSignature::Empty`](kukuruku_sign::MalformedSignature::Empty), like a malformed
/// or a wrong one; the error keeps the status and the raw body.
pub fn verify_response(
    response: &Response<Bytes>,
    verifier: &Verifier,
) -> Result<MatchedKey, ResponseError> {
    let header = response
        .headers()
        .get(kukuruku_sign::HEADER_NAME)
        .map_or(&[][..], HeaderValue::as_bytes);
    verifier
        .verify(response.body(), header)
        .map_err(|source| ResponseError::Signature {
            status: response.status(),
            body: response.body().clone(),
            source,
        })
}

/// Reads the answer to `endpoint`, sent with `config`, like [`Endpoint::parse_response`],
/// first verifying its signature when the endpoint's answers are signed
/// ([`Endpoint::RESPONSE_SIGNED`], the order status) and the status is 2xx. Error answers
/// (non-2xx) are not signed and are reported as [`ResponseError::Api`]. A signed answer that
/// is not about what `endpoint` asked (another order, another merchant) is
/// [`ResponseError::Mismatch`]: its signature only proves that Kukuruku wrote it, at some time.
///
/// ```
/// use kukuruku_proto::kukuruku_sign::{SecretKey, Signer, Verifier};
/// use kukuruku_proto::{
///     parse_verified_response, ApiConfig, MerchantId, OrderId, OrderStatus, OrderStatusRequest,
///     ResponseError,
/// };
///
/// let config = ApiConfig::new(MerchantId::new("1")?);
/// let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl")?;
/// let verifier = Verifier::new(&key);
/// let signed = |body: &'static [u8]| {
///     let signature = Signer::new(&key).sign(body).to_hex();
///     http::Response::builder()
///         .status(200)
///         .header("signature", signature.as_str())
///         .body(bytes::Bytes::from_static(body))
/// };
/// let call = OrderStatusRequest::new(OrderId::new("u-1")?);
/// let answer = signed(br#"{"uuid":"u-1","status":"paid"}"#)?;
/// let order = parse_verified_response(&call, &config, &verifier, answer)?;
/// assert_eq!(order.status, OrderStatus::Paid);
///
/// // Correctly signed, but about another order: refused.
/// let replayed = signed(br#"{"uuid":"u-2","status":"paid"}"#)?;
/// let error = parse_verified_response(&call, &config, &verifier, replayed);
/// assert!(matches!(error, Err(ResponseError::Mismatch { .. })));
///
/// let unsigned = http::Response::builder()
///     .status(200)
///     .body(bytes::Bytes::from_static(br#"{"uuid":"u-1","status":"paid"}"#))?;
/// let error = parse_verified_response(&call, &config, &verifier, unsigned);
/// assert!(matches!(error, Err(ResponseError::Signature { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_verified_response<E: Endpoint>(
    endpoint: &E,
    config: &ApiConfig,
    verifier: &Verifier,
    response: Response<Bytes>,
) -> Result<E::Output, ResponseError> {
    if E::RESPONSE_SIGNED && response.status().is_success() {
        verify_response(&response, verifier)?;
    }
    endpoint.parse_response(config, response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{MerchantId, OrderId};
    use crate::order_status::OrderStatusRequest;
    use crate::profile::ProfileRequest;
    use kukuruku_sign::{MalformedSignature, SecretKey, VerifyError};

    fn key() -> SecretKey {
        SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl").unwrap()
    }

    #[test]
    fn bodyless_request_signs_d1_bytes() {
        let config = ApiConfig::new(MerchantId::new("1").unwrap());
        let signer = Signer::new(&key());
        let request = build_signed_request(
            &OrderStatusRequest::new(OrderId::new("u").unwrap()),
            &config,
            &signer,
        )
        .unwrap();
        let header = &request.headers()["signature"];
        assert!(header.is_sensitive());
        assert_eq!(header.as_bytes(), signer.sign(b"{}").to_hex().as_bytes());
        // The published vector for `{}` (kukuruku-sign/tests/vectors/empty_object.sig).
        assert!(
            Verifier::new(&key())
                .verify(b"{}", header.as_bytes())
                .is_ok()
        );
    }

    #[test]
    fn profile_is_not_hmac_signed() {
        let config = ApiConfig::new(MerchantId::new("1").unwrap());
        let request = build_signed_request(
            &ProfileRequest::new("t").unwrap(),
            &config,
            &Signer::new(&key()),
        )
        .unwrap();
        assert!(request.headers().get("signature").is_none());
    }

    #[test]
    fn add_signature_replaces_an_old_header() {
        let config = ApiConfig::new(MerchantId::new("1").unwrap());
        let mut request = Request::new(Bytes::from_static(b"{\"a\":1}"));
        request
            .headers_mut()
            .insert("signature", HeaderValue::from_static("old"));
        add_signature(&mut request, &config, &Signer::new(&key())).unwrap();
        assert_eq!(request.headers().get_all("signature").iter().count(), 1);
        assert!(
            Verifier::new(&key())
                .verify(b"{\"a\":1}", request.headers()["signature"].as_bytes())
                .is_ok()
        );
    }

    #[test]
    fn response_verification_errors() {
        let verifier = Verifier::new(&key());
        let body = Bytes::from_static(br#"{"uuid":"u","status":"paid"}"#);
        let missing = Response::new(body.clone());
        match verify_response(&missing, &verifier) {
            Err(ResponseError::Signature {
                status,
                body: kept,
                source,
            }) => {
                assert_eq!(status, 200);
                assert_eq!(kept, body);
                assert_eq!(source, VerifyError::Malformed(MalformedSignature::Empty));
            }
            other => panic!("{other:?}"),
        }
        let mut tampered = Response::new(Bytes::from_static(br#"{"uuid":"u","status":"failed"}"#));
        let sig = Signer::new(&key()).sign(&body).to_hex();
        tampered.headers_mut().insert(
            "signature",
            HeaderValue::from_bytes(sig.as_bytes()).unwrap(),
        );
        let config = ApiConfig::new(MerchantId::new("1").unwrap());
        let call = OrderStatusRequest::new(OrderId::new("u").unwrap());
        assert!(matches!(
            parse_verified_response(&call, &config, &verifier, tampered),
            Err(ResponseError::Signature {
                source: VerifyError::Mismatch,
                ..
            })
        ));
        // Error answers are not signed: they come back as API errors.
        let mut not_found = Response::new(Bytes::from_static(br#"{"err":"not found"}"#));
        *not_found.status_mut() = http::StatusCode::NOT_FOUND;
        let error = parse_verified_response(&call, &config, &verifier, not_found).unwrap_err();
        assert_eq!(error.api_error().unwrap().message(), Some("not found"));
        // Unsigned endpoints are not verified.
        let profile = Response::new(Bytes::from_static(b"{}"));
        let me = ProfileRequest::new("t").unwrap();
        assert!(parse_verified_response(&me, &config, &verifier, profile).is_ok());
    }
}
