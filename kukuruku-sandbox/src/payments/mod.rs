//! Payments: the payments API (PROTOCOL 1.3), the KukuPay pay page, signed callbacks, the
//! test-control API under `/sandbox` and the Play button, over one in-memory state.
//!
//! | file | does |
//! |---|---|
//! | `config.rs` | merchants, KukuPay users, the callback policy |
//! | `order.rs` | what the sandbox keeps about an order |
//! | `state.rs` | the orders, users and merchants; the moves between statuses |
//! | `callbacks.rs` | delivering callbacks (PROTOCOL 1.5, D8) |
//! | `delivery_log.rs` | the callback log, bounded |
//! | `jitter.rs` | the jitter of the callback back-off |
//! | `signed.rs` | reading and verifying a signed request |
//! | `fields.rs` | the fields of a payments request body, checked |
//! | `api.rs` | `POST /api/v1/orders/payins`, `/payouts`, `GET /api/v1/orders/{uuid}` |
//! | `pay_page.rs` | `GET`/`POST /pay/{uuid}`, `/pay/{uuid}/result` |
//! | `control.rs` | the test-control API under `/sandbox` |
//! | `play.rs` | `POST /sandbox/play` and the redirect it answers (PROTOCOL 3) |

mod api;
mod callbacks;
mod config;
mod control;
mod delivery_log;
mod fields;
mod jitter;
mod order;
mod pay_page;
mod play;
mod signed;
mod state;

use std::sync::Arc;

use axum::Router;

pub use callbacks::{CallbackDelivery, DeliveryAttempt, DeliveryOutcome};
pub use config::{CallbackPolicy, KukuPayUser, Merchant};
pub use order::Order;
pub use play::{PlayTracking, play_redirect_url};

pub(crate) use callbacks::Dispatcher;
pub(crate) use order::{known_status, uuid_key};
pub(crate) use state::{MerchantEntry, PaymentsState};

/// The payments side's routes: the payments API, the pay page, the test-control API, Play.
pub(crate) fn routes() -> Router<Arc<PaymentsState>> {
    Router::new()
        .merge(api::routes())
        .merge(pay_page::routes())
        .merge(control::routes())
        .merge(play::routes())
}
