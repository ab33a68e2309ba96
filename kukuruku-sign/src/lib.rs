//! HMAC-SHA512 signing and constant-time verification for Kukuruku.
//!
//! Kukuruku signs every server-to-server body with HMAC-SHA512 keyed by the merchant's
//! `secret_key`, and carries the result as 128 lower-case hex digits in the `signature` header
//! (see `PROTOCOL.md` 1.1). This crate is that signature and nothing else: bytes in, bytes out.
//! It is `#![no_std]` (with `alloc`), does no IO, and knows nothing of HTTP or JSON, so it also
//! runs at the edge (`wasm32-unknown-unknown`).
//!
//! ```
//! use kukuruku_sign::{SecretKey, Signer, Verifier};
//!
//! let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl")?;
//! let body = br#"{"merchant_id":"1","amount":50000}"#;
//!
//! // Sending: sign the exact bytes you send.
//! let signer = Signer::new(&key);
//! let header = signer.sign(body).to_hex();
//! assert_eq!(header.as_str().len(), 128);
//!
//! // Receiving: verify the raw bytes you received, before parsing them.
//! let verifier = Verifier::new(&key);
//! let matched = verifier.verify(body, header.as_str())?;
//! assert_eq!(matched.index(), 0);
//!
//! // Any change to the body is a mismatch.
//! assert!(verifier.verify(b"{}", header.as_str()).unwrap_err().is_mismatch());
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
//!
//! The keyed HMAC state is computed once per [`Signer`] (and once per key in a [`Verifier`]) and
//! cloned for each message, so signing a message costs no key setup.
#![no_std]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;

mod error;
mod key;
mod signature;
mod signer;
mod verify;

pub use error::{KeyError, MalformedSignature, VerifyError};
pub use key::SecretKey;
pub use signature::{HexSignature, Signature};
pub use signer::{Signer, Signing};
pub use verify::{MatchedKey, Verifier};

/// The name of the HTTP header that carries the signature: `signature`.
pub const HEADER_NAME: &str = "signature";
