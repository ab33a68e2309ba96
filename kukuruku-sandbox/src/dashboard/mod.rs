//! The dashboard: the sandbox seen in a browser, at `GET /sandbox`. Plain server-rendered HTML
//! (every value from a merchant or a request escaped, a Content-Security-Policy that lets only
//! the page's own inline script run), a little inline JavaScript for the live part, no build
//! step, nothing from the network.
//!
//! | file | does |
//! |---|---|
//! | `layout.rs` | the page around every view: CSS (readable from 360 px), the live script |
//! | `home.rs` | `GET /` for browsers: links to everything |
//! | `orders_page.rs` | `GET /sandbox`: the orders, newest first, filtered by status and merchant |
//! | `order_page.rs` | `GET /sandbox/dashboard/orders/{uuid}`: moves, callbacks, tries, buttons |
//! | `actions.rs` | the buttons' forms: move an order, re-send its last callback |
//! | `people_page.rs` | `GET /sandbox/dashboard/people`: KukurukuID users and logins, Kuna customers |
//! | `events.rs` | `GET /sandbox/events`: the live feed as server-sent events |

mod actions;
mod events;
mod home;
mod layout;
mod order_page;
mod orders_page;
mod people_page;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tokio::sync::watch;

use crate::idp::IdpState;
use crate::kuna::KunaState;
use crate::payments::PaymentsState;

pub(crate) use home::{index_html, prefers_html};

/// The dashboard's path.
pub(crate) const PATH: &str = "/sandbox";

/// What the dashboard's views read.
#[derive(Clone)]
pub(crate) struct Dashboard {
    pub(crate) payments: Arc<PaymentsState>,
    pub(crate) idp: IdpState,
    pub(crate) kuna: KunaState,
    /// Ends the live feeds when the sandbox stops.
    pub(crate) shutdown: watch::Receiver<bool>,
}

/// The order page's path.
pub(crate) fn order_path(uuid: &str) -> String {
    format!("/sandbox/dashboard/orders/{uuid}")
}

/// The dashboard's routes.
pub(crate) fn routes(dashboard: Dashboard) -> Router {
    let timeout = dashboard.payments.read_timeout;
    Router::new()
        .route(PATH, get(orders_page::show))
        .route("/sandbox/dashboard/orders/{uuid}", get(order_page::show))
        .route(
            "/sandbox/dashboard/orders/{uuid}/status",
            post(actions::move_order),
        )
        .route(
            "/sandbox/dashboard/orders/{uuid}/resend",
            post(actions::resend),
        )
        .route("/sandbox/dashboard/people", get(people_page::show))
        .route("/sandbox/events", get(events::stream))
        .with_state(dashboard)
        .layer(axum::middleware::from_fn_with_state(
            timeout,
            crate::body_limit::bounded,
        ))
}
