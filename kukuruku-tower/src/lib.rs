//! Tower middleware for Kukuruku payments, and the typed payments client.
//!
//! Kukuruku signs every server-to-server body with HMAC-SHA512 in a `signature` header
//! (PROTOCOL 1.1). This crate puts that signature where HTTP stacks expect it:
//!
//! | module | layer | side | does |
//! |---|---|---|---|
//! | [`sign_request`] | [`SignRequestLayer`] | client | signs the exact bytes sent |
//! | [`verify_signature`] | [`VerifySignatureLayer`] | server (callbacks) | limits, reads and verifies the raw body; 401/413/400/408 otherwise |
//! | [`verify_response`] | [`VerifyResponseLayer`] | client | verifies signed answers (order status) |
//! | `extract` (feature `axum`) | — | server | `Verified<T>`: the verified body, parsed |
//!
//! Each layer works in plain hyper, in axum, and in any `tower::ServiceBuilder` stack: see
//! the examples in each module.
//!
//! [`Client`] is the typed payments client (`create_payin`, `create_payout`, `order`), built on
//! the sans-IO endpoints of `kukuruku-proto` and generic over any tower HTTP service; the
//! default `transport` feature adds a ready HTTPS transport (hyper + rustls).
//!
//! Secrets never appear in `Debug` output, errors or traces.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
pub mod collect;
mod error;
mod retry;
pub mod round_trip;
pub mod sign_request;
mod time;
pub mod verify_response;
pub mod verify_signature;

#[cfg(feature = "axum")]
pub mod extract;
#[cfg(feature = "server")]
mod server;
#[cfg(feature = "transport")]
pub mod transport;

pub use sign_request::{SignRequest, SignRequestLayer};
pub use verify_response::{VerifyResponse, VerifyResponseLayer};
pub use verify_signature::{VerifiedSignature, VerifySignature, VerifySignatureLayer};

pub use client::{Client, ClientBuilder, DEFAULT_TIMEOUT, ResponseSignature};
pub use error::{ConnectError, Error};
pub use retry::RetryPolicy;
pub use round_trip::{RoundTripError, round_trip};
pub use time::SystemClock;

#[cfg(feature = "server")]
pub use server::{DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, Server};

pub use kukuruku_proto::{SharedTimeSource, TimeSource};

pub use kukuruku_proto::BodylessSigning;
pub use kukuruku_sign::{MatchedKey, SecretKey, Signer, Verifier};

/// A type-erased error, as tower uses them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
