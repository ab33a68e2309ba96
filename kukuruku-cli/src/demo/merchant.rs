//! The example merchant the demo runs: the sandbox's [`ExampleMerchant`] (its verified callback
//! route and its books, the only place an order is credited), plus the pages a shop adds: the
//! pay page's return pages, and a KukurukuID login with `kukuruku-oidc` (`/login`, the Play
//! landing `/play`, `/auth/callback`).

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::header::LOCATION;
use http::{HeaderValue, StatusCode};
use kukuruku_oidc::{AttemptStore, KukurukuId, LoginOptions};
use kukuruku_proto::OrderStatus;
use kukuruku_sandbox::merchant::ExampleMerchant;
use tokio::sync::mpsc;

use crate::error_chain::chain;

/// The attempt store's client key: the demo serves one local browser. A real shop keys each
/// attempt by its requester (peer IP, session-cookie id), see `AttemptStore::insert`.
const DEMO_CLIENT: &str = "local-browser";

/// A login the merchant finished, and when.
pub(super) struct LoggedIn {
    pub(super) email: String,
    pub(super) name: String,
    pub(super) currency: String,
    pub(super) subject: String,
    pub(super) order_id: Option<String>,
    /// Whether that order was recorded paid when the login finished (credited by its callback).
    pub(super) order_paid: bool,
    pub(super) at: Instant,
}

/// The merchant's web app: its books (the example merchant's), its KukurukuID client with the
/// login attempts in flight, and where it reports the logins it finished.
pub(super) struct Shop {
    merchant: ExampleMerchant,
    kukuruku_id: KukurukuId,
    pending: AttemptStore,
    logins: mpsc::UnboundedSender<LoggedIn>,
}

impl Shop {
    /// The merchant's routes: the example merchant's `/kukuruku/callback`, the return pages and
    /// the login; each finished login is sent to the returned receiver.
    pub(super) fn router(
        merchant: ExampleMerchant,
        kukuruku_id: KukurukuId,
    ) -> (Router, mpsc::UnboundedReceiver<LoggedIn>) {
        let (logins, logins_rx) = mpsc::unbounded_channel();
        let callbacks = merchant.router();
        let shop = Arc::new(Self {
            merchant,
            kukuruku_id,
            pending: AttemptStore::new(100),
            logins,
        });
        let app = Router::new()
            .route("/shop/success", get(on_success))
            .route("/shop/fail", get(on_fail))
            .route("/login", get(on_login))
            .route("/auth/callback", get(on_auth_callback))
            .route("/play", get(on_play))
            .with_state(shop)
            .merge(callbacks);
        (app, logins_rx)
    }
}

async fn on_success() -> &'static str {
    "Thank you: your payment is being confirmed."
}

async fn on_fail() -> &'static str {
    "The payment was not completed."
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

fn login_options() -> LoginOptions {
    LoginOptions::new(["profile", "email"])
}

/// `GET /login`: start a KukurukuID login, keep the attempt, send the browser to KukurukuID.
async fn on_login(State(shop): State<Arc<Shop>>) -> Response {
    match shop.kukuruku_id.start_login_with(login_options()).await {
        Ok(attempt) => {
            let location = attempt.authorize_url().to_owned();
            shop.pending.insert(DEMO_CLIENT, attempt);
            see_other(&location)
        }
        Err(err) => (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    }
}

/// `GET /play?auto_login=true&custom4=…&order_id=…`: the Play landing. The query is untrusted:
/// its issuer must be ours (else no request at all), and it credits nothing.
async fn on_play(State(shop): State<Arc<Shop>>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    match shop.kukuruku_id.auto_login(&query, login_options()).await {
        Ok(attempt) => {
            let location = attempt.authorize_url().to_owned();
            shop.pending.insert(DEMO_CLIENT, attempt);
            see_other(&location)
        }
        Err(err) => (
            StatusCode::BAD_REQUEST,
            format!("auto-login refused: {}", chain(&err)),
        )
            .into_response(),
    }
}

/// `GET /auth/callback?code=…&state=…&iss=…`: finish the login (state, iss, code exchange, ID
/// token), read the profile (`GET /api/v1/me`), log the user in.
async fn on_auth_callback(State(shop): State<Arc<Shop>>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let session = match shop
        .kukuruku_id
        .finish_login_with_store(&shop.pending, &query)
        .await
    {
        Ok(session) => session,
        Err(err) => {
            return (
                StatusCode::FORBIDDEN,
                format!("login failed: {}", chain(&err)),
            )
                .into_response();
        }
    };
    let profile = match shop.kukuruku_id.profile(&session).await {
        Ok(profile) => profile,
        Err(err) => {
            return (StatusCode::BAD_GATEWAY, format!("profile: {}", chain(&err))).into_response();
        }
    };
    let order_id = session.order_id().map(str::to_owned);
    let order_paid = order_id
        .as_ref()
        .is_some_and(|id| shop.merchant.status(id) == Some(OrderStatus::Paid));
    let login = LoggedIn {
        email: profile.email.clone().unwrap_or_default(),
        name: profile.name.clone().unwrap_or_default(),
        currency: profile
            .currency
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        subject: session.claims().subject.clone(),
        order_id,
        order_paid,
        at: Instant::now(),
    };
    let mut page = format!("Welcome, {} ({})", login.name, login.email);
    if let Some(order) = &login.order_id {
        let _ = write!(
            page,
            "; order {order}: {}",
            if order_paid {
                "paid, credited"
            } else {
                "payment on its way"
            }
        );
    }
    let _ = shop.logins.send(login);
    (StatusCode::OK, page).into_response()
}
