//! The sandbox KukurukuID: a small OpenID Provider in the Keycloak layout (PROTOCOL 2), in memory,
//! for demos and tests on loopback.
//!
//! The full [`Sandbox`](crate::Sandbox) mounts it on its one server: [`router`] under the
//! issuer's path ([`Sandbox::issuer`](crate::Sandbox::issuer), `{base}/realms/public`) and
//! [`me_router`] beside the payments API, with the sandbox's users ([`IdpUsers`], shared with
//! KukuPay) and two demo clients ([`IDP_CLIENT_ID`](crate::IDP_CLIENT_ID),
//! [`IDP_PUBLIC_CLIENT_ID`](crate::IDP_PUBLIC_CLIENT_ID)). Alone: mount [`router`] on the auth
//! host and [`me_router`] on the API host (`GET /api/v1/me`), as below.
//!
//! | path (under the issuer) | does |
//! |---|---|
//! | `/.well-known/openid-configuration` | discovery |
//! | `/protocol/openid-connect/auth` | `GET`: an HTML page listing the sandbox users (each a form `POST`ing back); with `login_hint=<email>&prompt=none`, logs that user in at once (tests); `prompt=none` without a known hint answers `error=login_required` |
//! | `/protocol/openid-connect/token` | `authorization_code` (PKCE S256 checked; required for public clients) and `refresh_token` (rotated); `client_secret_basic` or `client_secret_post` for confidential clients |
//! | `/protocol/openid-connect/userinfo` | the user's claims, for an access token it issued |
//! | `/protocol/openid-connect/logout` | ends the session; redirects to a registered `post_logout_redirect_uri` |
//! | `/protocol/openid-connect/certs` | the JWKS (one RSA 2048 key made at start, RS256) |
//!
//! ID tokens and access tokens are RS256 JWTs; the access token carries the confirmed e-mail (and
//! phone). Authorization redirects carry `code`, `state`, `session_state` and `iss` (RFC 9207).
//!
//! Tests can make it misbehave on purpose ([`Misbehave`]: another signing key, an unknown `kid`,
//! `alg: none`, a wrong `aud`/`iss`/`nonce`, an expired token), rotate its key
//! ([`IdpState::rotate_key`]) and count the requests each endpoint received ([`IdpState::hits`]).
//! It signs with an [`IdpSigningKey`] ([`IdpConfig::signing_key`]; one is generated at start
//! unless given) and reads the time from [`IdpConfig::time_source`].
//!
//! The [`Sandbox`](crate::Sandbox) mounts it under `/realms/public`; served alone:
//!
//! ```no_run
//! use kukuruku_sandbox::idp::{self, IdpClient, IdpConfig, IdpState};
//!
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let issuer = format!("http://{}/realms/public", listener.local_addr()?);
//! let config = IdpConfig::new(issuer).client(IdpClient::confidential(
//!     "shop",
//!     "secret",
//!     ["http://127.0.0.1:3000/cb"],
//! ));
//! let state = IdpState::new(config)?;
//! axum::serve(listener, idp::router(state.clone()).merge(idp::me_router(state))).await?;
//! # Ok(())
//! # }
//! ```

// Handlers answer early with a whole `Response` (the axum idiom); boxing it buys nothing here.
#![allow(clippy::result_large_err)]

mod authorize;
mod client_auth;
mod config;
mod discovery;
mod error;
mod grants;
mod id_token;
mod logins;
mod logout;
mod oauth;
mod signing_key;
mod state;
mod token;
mod userinfo;
mod users;

use axum::Router;
use axum::routing::get;

pub use config::{IdpClient, IdpConfig};
pub use error::IdpError;
pub use signing_key::IdpSigningKey;
pub use state::{IdpEndpoint, IdpState, Misbehave};
pub use users::{IdpUser, IdpUsers};

/// The Play redirect (PROTOCOL 3), which the payments side's `POST /sandbox/play` answers.
pub use crate::payments::{PlayTracking, play_redirect_url};

/// The Keycloak realm path of the sandbox issuer.
pub const REALM_PATH: &str = "/realms/public";

/// The identity provider's routes, under the issuer's path (`/realms/public/...` for an issuer
/// `http://127.0.0.1:PORT/realms/public`). A `Router<()>`: its state is inside.
pub fn router(state: IdpState) -> Router {
    let base = state.issuer_path().to_owned();
    let oidc = format!("{base}/protocol/openid-connect");
    Router::new()
        .route(
            &format!("{base}/.well-known/openid-configuration"),
            get(discovery::discovery),
        )
        .route(
            &format!("{oidc}/auth"),
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(&format!("{oidc}/token"), axum::routing::post(token::token))
        .route(
            &format!("{oidc}/userinfo"),
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(
            &format!("{oidc}/logout"),
            get(logout::logout_get).post(logout::logout_post),
        )
        .route(&format!("{oidc}/certs"), get(discovery::jwks))
        .with_state(state)
}

/// `GET /api/v1/me` (PROTOCOL 1.3, D5) for the bearer tokens this provider issued: the user's
/// `name`, `email`, `currency` (and `phone`, `id`). To mount on the API host.
pub fn me_router(state: IdpState) -> Router {
    Router::new()
        .route("/api/v1/me", get(userinfo::me))
        .with_state(state)
}
