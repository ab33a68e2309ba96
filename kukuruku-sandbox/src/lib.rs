//! A local Kukuruku for demos and tests: the payments API, the KukuPay pay page, signed
//! callbacks, a test-control API with the Play button, a KukurukuID provider and a Kuna
//! institution API, in memory, on loopback, on one server.
//!
//! Merchants run their whole integration against it without an account, on their laptop and in
//! CI, the way Stripe users run stripe-mock:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use kukuruku_sandbox::{CallbackPolicy, KukuPayUser, Merchant, Sandbox};
//! use kukuruku_sign::SecretKey;
//!
//! let sandbox = Sandbox::builder()
//!     .merchant(Merchant::new("1", SecretKey::new("test-secret")?))
//!     .user(KukuPayUser::new("payee@example.com", "Pat Payee", "RUB"))
//!     .callback_policy(CallbackPolicy::default().initial_backoff(Duration::from_millis(20)))
//!     .start()
//!     .await?;
//! // Point the SDK client at `sandbox.api_url()`, send users to the payin's `url`
//! // (`sandbox.pay_page_url(uuid)`), drive orders with `sandbox.set_status(..)` or
//! // `POST {control_url}/orders/{uuid}/status`, and read `sandbox.callbacks()`.
//! # drop(sandbox); Ok(()) }
//! ```
//!
//! What it implements (PROTOCOL 1 and its decisions):
//!
//! - the payments API, requests verified over the raw bytes with the SDK's own code
//!   (`kukuruku_sign::Verifier`, before anything parses them; the GET over its D1 input,
//!   [`BodylessSigning`]); 401 `{"success":false,"err":"Invalid signature"}` (D2) for a missing
//!   or wrong signature; 400 with a D6 body naming the field for invalid input (checked with
//!   `kukuruku-proto`'s types: [`kukuruku_proto::Amount`], `MerchantId`, `OrderNumber`, …);
//!   409 for a reused `order_number` with different content (the same content returns the
//!   same order); order-status answers signed with the merchant's secret;
//! - order statuses and their moves are `kukuruku-proto`'s ([`OrderStatus::can_move_to`]);
//! - the pay page, with Pay / Decline forms and a 303 to the merchant;
//! - callbacks (PROTOCOL 1.5): the D4 order object, signed, delivered at least once with the
//!   D8 retry policy ([`CallbackPolicy`]), every try in a log ([`CallbackDelivery`]);
//! - the test-control API under `/sandbox` (unsigned), with `POST /sandbox/play`: an order
//!   created **and paid** for a user, its callback sent, and the merchant URL with the
//!   auto-login parameters (PROTOCOL 3);
//! - KukurukuID ([`idp`], PROTOCOL 2) under [`Sandbox::issuer`] (`{base}/realms/public`), and
//!   `GET /api/v1/me` beside the payments API; two demo clients, confidential
//!   ([`IDP_CLIENT_ID`] / [`IDP_CLIENT_SECRET`]) and public ([`IDP_PUBLIC_CLIENT_ID`], PKCE),
//!   which accept any loopback redirect URI. Its users are the KukuPay users: one list;
//! - Kuna ([`kuna`], PROTOCOL 4) under [`Sandbox::kuna_url`] (`{base}/kuna`), its widget at
//!   [`Sandbox::kuna_widget_url`];
//! - bounded reads: a client has [`SandboxBuilder::read_timeout`] (10 s by default) to send a
//!   request's headers, and as long again to send its body; bodies are limited to 64 KiB, on
//!   every route; at most [`SandboxBuilder::max_connections`] connections are served at once
//!   (256 by default; later ones wait to be accepted);
//! - bounded memory: the orders ([`SandboxBuilder::max_orders`], 10 000, oldest dropped
//!   first), the callback log ([`CallbackPolicy::log_capacity`], 1000 deliveries; at most 20
//!   per order and the last 50 tries per delivery), KukurukuID codes and
//!   tokens (expired ones purged as new ones are stored, at most
//!   [`idp::IdpConfig::max_grants`] of each kind) and Kuna widget sessions (expired ones
//!   purged, at most [`kuna::KunaConfig::max_sessions_per_customer`] each);
//! - a JSON body with a key given twice (`{"amount":1,"amount":500000}`), in any object of it,
//!   is refused with a 400 naming the key, never read as "last wins";
//! - the dashboard at [`Sandbox::dashboard_url`] (`GET /sandbox`): the orders, each order's
//!   status moves, callbacks and tries, buttons that move it or re-send its last callback
//!   (`POST /sandbox/orders/{uuid}/resend` for scripts), KukurukuID users and logins, Kuna
//!   customers; live through server-sent events (`GET /sandbox/events`, in Rust
//!   [`Sandbox::events`]: a bounded broadcast that never makes publishing wait); every value
//!   from a merchant or a request escaped;
//! - [`Sandbox::shutdown`] reports the callback deliveries still pending ([`ShutdownReport`]);
//! - one clock: every time stamp, token lifetime and expiry reads the one time source given to
//!   [`SandboxBuilder::time_source`] (the system clock by default).
//!
//! Each service has the same shape, one folder each: `payments/`, `idp/` and `kuna/`, each with
//! its `config.rs`, `state.rs` and one file per group of routes. What all three share is at the
//! root, in a file named for it: the server's start and stop (`sandbox.rs`, `server.rs`), the
//! router (`router.rs`), errors (`error.rs`), answers (`response.rs`), bounded bodies
//! (`body_limit.rs`), JSON bodies (`json_object.rs`), URLs as logged (`log_url.rs`), the
//! shutdown report, randomness, time stamps, constant-time comparison and HTML escaping.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod body_limit;
mod constant_time;
mod dashboard;
mod error;
mod html_escape;
pub mod idp;
mod json_object;
pub mod kuna;
mod live;
mod log_url;
pub mod merchant;
mod payments;
mod random;
mod response;
mod router;
mod sandbox;
mod server;
mod shutdown_report;
mod timestamp;

pub use error::{SandboxError, StatusChangeError, UserError};
pub use live::{SandboxEvent, SandboxEvents};
pub use payments::{
    CallbackDelivery, CallbackPolicy, DeliveryAttempt, DeliveryOutcome, KukuPayUser, Merchant,
    Order,
};
pub use sandbox::{
    IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_PUBLIC_CLIENT_ID, Sandbox, SandboxBuilder,
};
pub use shutdown_report::ShutdownReport;

/// The protocol's types, which the sandbox uses as they are: statuses and the moves between
/// them, order types, the D1 signing choices, and (in the crate) amounts, currencies, ids and
/// the D4 order object.
pub use kukuruku_proto::{self, BodylessSigning, OrderStatus, OrderType};
pub use kukuruku_sign::SecretKey;
