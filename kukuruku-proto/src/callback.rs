//! Callbacks (Kukuruku → merchant, PROTOCOL 1.5): the body they carry and the answers the
//! merchant gives.

use crate::order::Order;
use crate::strict_json::{JsonError, ReadStrict, Strict, read_json_with};

/// The body of a callback: the order object ([`Order`], D4).
///
/// A type alias, not a new type: a callback is exactly the order as the status call returns
/// it, so everything [`Order`] offers (parsing rules, [`Order::status`] with
/// [`OrderStatus::apply`](crate::OrderStatus::apply)) applies to it.
pub type Callback = Order;

/// The body the merchant answers a callback with, with HTTP 200, once the update is durably
/// recorded: `{"success":true}`.
pub const CALLBACK_ACK: &[u8] = br#"{"success":true}"#;

/// The body the merchant answers a callback whose signature is missing, malformed or wrong
/// with, with HTTP 401 (**D2**): `{"success":false,"err":"Invalid signature"}`.
pub const INVALID_SIGNATURE_BODY: &[u8] = br#"{"success":false,"err":"Invalid signature"}"#;

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The signature is missing, malformed or wrong: answer 401 with
    /// [`INVALID_SIGNATURE_BODY`] (D2).
    #[cfg(feature = "sign")]
    #[error("callback refused: its signature does not verify")]
    Signature(#[from] kukuruku_sign::VerifyError),
    /// The body is not an order.
    #[error("the callback body is not an order: {message}")]
    Malformed {
        /// What the parser said.
        message: String,
    },
    /// The body has a key twice in one of its objects (`{"amount":1,"amount":500000}`).
    #[error(
        "the callback body has the key {key:?} twice in one object: refused, since readers disagree on which value counts"
    )]
    DuplicateKey {
        /// The key, cut to [`EXCERPT_CHARS`](crate::EXCERPT_CHARS) characters.
        key: String,
    },
}

/// Reads a callback body. Only call it on a body whose signature was verified (see
/// `verify_callback`, with the `sign` feature). A body with a key twice in any of its objects
/// is [`CallbackError::DuplicateKey`].
///
/// ```
/// use kukuruku_proto::{parse_callback, OrderStatus};
/// let callback = parse_callback(br#"{"uuid":"u-1","status":"paid","amount":50000}"#)?;
/// assert_eq!(callback.status, OrderStatus::Paid);
/// # Ok::<(), kukuruku_proto::CallbackError>(())
/// ```
pub fn parse_callback(body: &[u8]) -> Result<Callback, CallbackError> {
    read_json_with::<Order, OrderReader>(body).map_err(|error| match error {
        JsonError::DuplicateKey { key } => CallbackError::DuplicateKey { key },
        JsonError::Invalid { message } => CallbackError::Malformed { message },
    })
}

/// Reads an order with the duplicate-key check once, not once more inside `Order`'s own
/// `Deserialize`.
struct OrderReader;

impl<'de> ReadStrict<'de, Order> for OrderReader {
    fn read<D: serde::Deserializer<'de>>(json: Strict<'_, D>) -> Result<Order, D::Error> {
        Order::from_checked(json)
    }
}

/// Verifies a callback's `signature` header over the raw body bytes received, then reads the
/// body. Verification happens first, in constant time; a missing header is
/// [`CallbackError::Signature`] like a malformed or wrong one (answer all three with 401 and
/// [`INVALID_SIGNATURE_BODY`], D2).
///
/// ```
/// use kukuruku_proto::{verify_callback, OrderStatus};
/// use kukuruku_proto::kukuruku_sign::{SecretKey, Signer, Verifier};
/// let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl")?;
/// let body = br#"{"uuid":"u-1","status":"paid"}"#;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("signature", Signer::new(&key).sign(body).to_hex().as_str().parse()?);
///
/// let callback = verify_callback(&Verifier::new(&key), &headers, body)?;
/// assert_eq!(callback.status, OrderStatus::Paid);
/// assert!(verify_callback(&Verifier::new(&key), &headers, b"{}").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "sign")]
pub fn verify_callback(
    verifier: &kukuruku_sign::Verifier,
    headers: &http::HeaderMap,
    body: &[u8],
) -> Result<Callback, CallbackError> {
    let header = headers
        .get(kukuruku_sign::HEADER_NAME)
        .map_or(&[][..], http::HeaderValue::as_bytes);
    verifier.verify(body, header)?;
    parse_callback(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers() {
        assert_eq!(CALLBACK_ACK, b"{\"success\":true}");
        let value: serde_json::Value = serde_json::from_slice(INVALID_SIGNATURE_BODY).unwrap();
        assert_eq!(value["err"], "Invalid signature");
        assert_eq!(value["success"], false);
    }

    #[test]
    fn parsing() {
        let callback = parse_callback(br#"{"order_id":"x","status":"weird","n":1}"#).unwrap();
        assert_eq!(callback.id.as_str(), "x");
        assert_eq!(callback.status, crate::OrderStatus::Unknown("weird".into()));
        assert_eq!(callback.extra["n"], 1);
        assert!(matches!(
            parse_callback(b"{}"),
            Err(CallbackError::Malformed { .. })
        ));
        assert!(matches!(
            parse_callback(b""),
            Err(CallbackError::Malformed { .. })
        ));
        assert_eq!(
            parse_callback(br#"{"uuid":"u","status":"paid","amount":1,"amount":500000}"#),
            Err(CallbackError::DuplicateKey {
                key: "amount".into()
            })
        );
    }

    #[cfg(feature = "sign")]
    #[test]
    fn verification_comes_first() {
        use kukuruku_sign::{MalformedSignature, SecretKey, Signer, Verifier, VerifyError};
        let key = SecretKey::new("k").unwrap();
        let verifier = Verifier::new(&key);
        let body = br#"{"uuid":"u","status":"paid"}"#;
        let mut headers = http::HeaderMap::new();
        assert_eq!(
            verify_callback(&verifier, &headers, body),
            Err(CallbackError::Signature(VerifyError::Malformed(
                MalformedSignature::Empty
            )))
        );
        headers.insert("signature", http::HeaderValue::from_static("zz"));
        assert!(matches!(
            verify_callback(&verifier, &headers, body),
            Err(CallbackError::Signature(VerifyError::Malformed(_)))
        ));
        let wrong = Signer::new(&SecretKey::new("other").unwrap())
            .sign(body)
            .to_hex();
        headers.insert(
            "signature",
            http::HeaderValue::from_str(wrong.as_str()).unwrap(),
        );
        assert_eq!(
            verify_callback(&verifier, &headers, body),
            Err(CallbackError::Signature(VerifyError::Mismatch))
        );
        // A signed body that is not an order: verified, then refused as malformed.
        let sig = Signer::new(&key).sign(b"[]").to_hex();
        headers.insert(
            "signature",
            http::HeaderValue::from_str(sig.as_str()).unwrap(),
        );
        assert!(matches!(
            verify_callback(&verifier, &headers, b"[]"),
            Err(CallbackError::Malformed { .. })
        ));
        let sig = Signer::new(&key).sign(body).to_hex();
        headers.insert(
            "signature",
            http::HeaderValue::from_str(sig.as_str()).unwrap(),
        );
        assert_eq!(
            verify_callback(&verifier, &headers, body)
                .unwrap()
                .id
                .as_str(),
            "u"
        );
    }

    #[cfg(feature = "sign")]
    #[test]
    fn the_signature_cause_is_told_once() {
        use std::error::Error as _;
        let error = CallbackError::from(kukuruku_sign::VerifyError::Mismatch);
        assert_eq!(
            error.to_string(),
            "callback refused: its signature does not verify"
        );
        let cause = error.source().unwrap().to_string();
        assert!(cause.starts_with("signature mismatch"), "{cause}");
    }
}
