//! A local Kuna (KunaCore) institution API and widget, for tests and demos of `kuna-ramp`.
//!
//! The full [`Sandbox`](crate::Sandbox) serves it under `/kuna` (configure it with
//! [`SandboxBuilder::kuna`](crate::SandboxBuilder::kuna), reach its state with
//! [`Sandbox::kuna`](crate::Sandbox::kuna)). Alone: [`router`] returns an axum `Router<()>` to
//! nest or serve on loopback; all state lives in a [`KunaState`] built from a [`KunaConfig`].
//! API keys and the login password are compared in constant time. It reads the time from
//! [`KunaConfig::time_source`].
//!
//! | route | does |
//! |---|---|
//! | `POST /v2/auth/login` | `merchant_id` header + `{"email"` (or `"login"`)`, "password"}` → `{"data":{"token","expiresIn"}}`, an HS256 JWT valid for [`KunaConfig::login_token_lifetime`] |
//! | `POST /v2/customer/create` | required fields checked; a second customer with the same e-mail (any case) → 409 |
//! | `POST /v2/customer/update` | `id` + changed fields (`null` clears an optional one) |
//! | `POST /v2/customer/details` | `id` |
//! | `POST /v2/customer/find` | exact filters, `fullName` by substring, `createdFrom`/`createdTo`, `take` (default 10, max 100) / `skip` → `{"data":{"items":[…],"total":n}}` |
//! | `POST /v2/ramp/token` | `{customerId, userAgent}` → an HS256 JWT with `id` (a new session id), `fingerprint` (of the User-Agent), `sessionCreatedAt`, `iat`, `exp` (lifetime [`KunaConfig::ramp_token_lifetime`], 167 490 s by default) |
//! | `POST /v2/ramp/invalidate` | `{customerId}`: every widget token of the customer stops working |
//! | `GET /widget?institutionId=…&refreshToken=…` | 200 `{"valid":true,"customerId",…}` while the token works, else 401 `{"valid":false,"message"}` |
//!
//! Every `/v2` call but login needs `api-key: <one of KunaConfig::api_keys>` or
//! `Authorization: Bearer <login token>`; [`KunaState::fail_next_auth`] makes the next
//! authenticated call answer 401 whatever it carries (to test renewal). Success answers wrap the
//! result in `data`; errors answer `{"statusCode","message","error"}`.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use kukuruku_sandbox::kuna::{router, KunaConfig, KunaState};
//!
//! let state = KunaState::new(KunaConfig::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let api_key = state.api_key().to_owned(); // give it to the client
//! tokio::spawn(async move { axum::serve(listener, router(state)).await });
//! # let _ = api_key; Ok(()) }
//! ```

mod answer;
mod auth;
mod config;
mod customers;
mod fields;
mod hs256;
mod ramp;
mod state;

pub use config::{DEFAULT_LOGIN_TOKEN_LIFETIME, DEFAULT_RAMP_TOKEN_LIFETIME, KunaConfig};
pub use state::KunaState;

use axum::Router;
use axum::routing::{get, post};

/// The Kuna institution API and widget endpoint over `state`.
pub fn router(state: KunaState) -> Router {
    Router::new()
        .route("/v2/auth/login", post(auth::login))
        .route("/v2/customer/create", post(customers::create))
        .route("/v2/customer/update", post(customers::update))
        .route("/v2/customer/details", post(customers::details))
        .route("/v2/customer/find", post(customers::find))
        .route("/v2/ramp/token", post(ramp::ramp_token))
        .route("/v2/ramp/invalidate", post(ramp::invalidate))
        .route("/widget", get(ramp::widget))
        .with_state(state)
}
