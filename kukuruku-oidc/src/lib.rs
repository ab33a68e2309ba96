#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod attempt;
mod autologin;
mod client;
mod clock;
mod error;
mod http;
mod provider;
mod redirect;
mod secret;
mod session;

pub use attempt::{AttemptStore, LoginAttempt, LoginOptions};
pub use autologin::AutoLogin;
pub use client::{
    ClientAuth, DEFAULT_API_BASE_URL, DEFAULT_ATTEMPT_TTL, DEFAULT_DISCOVERY_TTL, DEFAULT_ISSUER,
    DEFAULT_JWKS_REFETCH_INTERVAL, DEFAULT_LEEWAY, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, KukurukuId,
    KukurukuIdBuilder,
};
pub use clock::Clock;
pub use error::{AuthorizationErrorCode, BoxError, Error, IdTokenError, TokenErrorCode};
pub use session::{IdClaims, Session, UserInfo};

/// The profile model (`GET /api/v1/me`, PROTOCOL D5), its currency, and the Play query parser, from `kukuruku-proto`.
pub use kukuruku_proto::{AutoLoginQuery, Currency, Profile};
