//! The Kukuruku payments protocol, sans IO.
//!
//! This crate turns typed calls into `http::Request<Bytes>` and `http::Response<Bytes>` into
//! typed results, and holds every model of the protocol (`PROTOCOL.md`): amounts and
//! currencies, identifiers, order statuses and their moves, payins, payouts, orders,
//! callbacks, the KukurukuID profile, errors, and the auto-login ("Play") query string. It does
//! no IO, reads no clock, spawns nothing and needs no async runtime: send its requests with
//! any HTTP client (`kukuruku-tower` provides one).
//!
//! Each body is serialised **once**: the bytes that are signed are the bytes that are sent.
//!
//! With the default feature `sign`, [`build_signed_request`] adds the `signature` header
//! (HMAC-SHA512, `kukuruku-sign`) and [`parse_verified_response`] checks the one on answers:
//!
//! ```
//! # #[cfg(feature = "sign")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use kukuruku_proto::kukuruku_sign::{SecretKey, Signer, Verifier};
//! use kukuruku_proto::{
//!     build_signed_request, parse_verified_response, Amount, ApiConfig, Currency, Endpoint,
//!     MerchantId, OrderStatus, OrderStatusRequest, PayinRequest,
//! };
//!
//! // Once: the merchant's settings and key.
//! let config = ApiConfig::new(MerchantId::new("1")?);
//! let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl")?;
//! let signer = Signer::new(&key);
//!
//! // A typed payin, checked before anything is sent.
//! let payin = PayinRequest::builder()
//!     .amount(Amount::from_decimal("500", &Currency::Rub)?)
//!     .currency(Currency::Rub)
//!     .order_number("order-123")
//!     .callback_url("https://your-site.com/callback")
//!     .client_id("user@example.com")
//!     .build()?;
//!
//! // A complete, signed http::Request<Bytes>: give it to any HTTP client.
//! let request = build_signed_request(&payin, &config, &signer)?;
//! assert_eq!(request.method(), "POST");
//! assert_eq!(request.uri(), "https://api.kukuruku.win/api/v1/orders/payins");
//! assert_eq!(request.headers()["content-type"], "application/json");
//! assert_eq!(request.headers()["signature"].len(), 128);
//!
//! // The client's answer, as an http::Response<Bytes>, becomes a typed result.
//! let answer = http::Response::builder().status(200).body(bytes::Bytes::from_static(
//!     br#"{"success":true,"token":"8f14e45f","url":"https://pay.kukuruku.win/8f14e45f"}"#,
//! ))?;
//! let created = payin.parse_response(&config, answer)?;
//! assert_eq!(created.url, "https://pay.kukuruku.win/8f14e45f"); // send the user there
//!
//! // Order status answers are signed: verify, then read, against the request they answer.
//! let call = OrderStatusRequest::new(created.token);
//! let status = build_signed_request(&call, &config, &signer)?;
//! assert_eq!(status.uri().query(), Some("merchant_id=1"));
//! let body = bytes::Bytes::from_static(br#"{"uuid":"8f14e45f","status":"paid"}"#);
//! let answer = http::Response::builder()
//!     .header("signature", signer.sign(&body).to_hex().as_str())
//!     .body(body)?;
//! let order = parse_verified_response(&call, &config, &Verifier::new(&key), answer)?;
//! assert_eq!(order.status, OrderStatus::Paid);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "sign"))]
//! # fn main() {}
//! ```
//!
//! Decisions taken where the documentation is silent (PROTOCOL.md, marked **D**) are settings:
//! [`BodylessSigning`] (D1), [`MerchantIdFormat`] (D7), [`Currency::custom`] (D3).
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod amount;
mod autologin;
mod body;
mod callback;
mod config;
mod currency;
mod deserialize;
mod email;
mod endpoint;
mod error;
mod ids;
mod order;
mod order_read;
mod order_status;
mod payin;
mod payout;
mod profile;
#[cfg(feature = "sign")]
mod signing;
mod status;
mod strict_json;
mod text;
mod time;
mod validate;

// Money and identifiers.
pub use amount::{Amount, AmountError};
pub use currency::{Currency, CurrencyError, CustomCurrency, MAX_EXPONENT};
pub use email::{EmailAddress, EmailError};
pub use ids::{IdError, MAX_ID_LEN, MerchantId, MerchantIdFormat, OrderId, OrderNumber};

// Orders, their statuses, and the callbacks that carry them.
#[cfg(feature = "sign")]
pub use callback::verify_callback;
pub use callback::{CALLBACK_ACK, Callback, CallbackError, INVALID_SIGNATURE_BODY, parse_callback};
pub use order::Order;
pub use status::{OrderStatus, OrderType, StatusChange};

// The merchant's settings and the calls, sans IO.
pub use config::{ApiConfig, BASE_URL_ENV, BodylessSigning, DEFAULT_BASE_URL, LOCAL_BASE_URL};
pub use endpoint::{Endpoint, JSON_CONTENT_TYPE, parse_json_response};
pub use error::{ApiError, RequestError, ResponseError};
pub use order_status::{AnswerMismatch, OrderStatusRequest};
pub use payin::{PayinCreated, PayinRequest, PayinRequestBuilder};
pub use payout::{PayoutCreated, PayoutRequest, PayoutRequestBuilder};
pub use profile::{Profile, ProfileRequest};

// Signing requests and verifying answers (feature `sign`).
#[cfg(feature = "sign")]
pub use signing::{
    add_signature, build_signed_request, parse_verified_response, signature_header_value,
    verify_response,
};

// The Play button's auto-login link.
pub use autologin::{AutoLoginError, AutoLoginQuery, Issuer};

// Shared by the workspace's crates: reading untrusted JSON, time, untrusted text in errors,
// loopback hosts.
pub use strict_json::{JsonError, read_json};
pub use text::{EXCERPT_CHARS, Excerpt};
pub use time::{SharedTimeSource, TimeSource, from_unix_seconds, unix_seconds};
pub use validate::is_loopback;

/// The README's examples, compiled and run as doc tests.
#[cfg(all(doctest, feature = "sign"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The signing crate, re-exported (feature `sign`): `SecretKey`, `Signer`, `Verifier`, ….
#[cfg(feature = "sign")]
pub use kukuruku_sign;
