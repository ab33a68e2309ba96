#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// One concept per file; every public type is re-exported below, under one path.
mod attempt;
mod attempt_store;
mod autologin;
mod builder;
mod client;
mod error;
mod id_token;
mod login;
mod logout;
mod profile;
mod provider;
mod redirect;
mod refresh;
mod secret;
mod session;
mod token;
mod transport;
mod userinfo;

pub use attempt::LoginAttempt;
pub use attempt_store::{AttemptStore, DEFAULT_ATTEMPTS_PER_CLIENT};
pub use autologin::AutoLogin;
pub use builder::{
    ClientAuth, DEFAULT_API_BASE_URL, DEFAULT_ATTEMPT_TTL, DEFAULT_DISCOVERY_TTL, DEFAULT_ISSUER,
    DEFAULT_JWKS_REFETCH_INTERVAL, DEFAULT_LEEWAY, DEFAULT_MAX_BODY, DEFAULT_TIMEOUT,
    KukurukuIdBuilder,
};
pub use client::KukurukuId;
pub use error::{AuthorizationErrorCode, Error, IdTokenError, TokenErrorCode};
pub use id_token::IdClaims;
pub use login::LoginOptions;
pub use session::Session;
pub use userinfo::UserInfo;

/// The profile model (`GET /api/v1/me`, PROTOCOL D5), its currency, and the Play query parser, from `kukuruku-proto`.
pub use kukuruku_proto::{AutoLoginQuery, Currency, Profile};
