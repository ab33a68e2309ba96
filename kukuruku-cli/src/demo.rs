//! `kukuruku demo`: the whole integration, in-process, on loopback.
//!
//! A sandbox (the Kukuruku side: payments, KukurukuID, Kuna) and an example merchant (axum +
//! kukuruku-tower's `VerifySignatureLayer`, a callback handler that records the update before
//! acknowledging it, and a KukurukuID login with `kukuruku-oidc`) start on 127.0.0.1; the SDK
//! client then walks a payin through the pay page to its callback and its signed status, makes
//! a payout, logs a user in with KukurukuID, plays the Play auto-login, and opens and ends a
//! Kuna widget session with `kuna-ramp`. A small browser (`crate::browser`) follows the
//! redirects and submits the forms. Each step prints what was sent, what came back and how long
//! it took; any failure ends the walk with exit code 1.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderValue, StatusCode};
use kukuruku_oidc::{AttemptStore, KukurukuId, LoginOptions};
use kukuruku_proto::{
    Amount, ApiConfig, CALLBACK_ACK, Callback, Currency, Endpoint, JSON_CONTENT_TYPE, OrderId,
    OrderStatus, OrderType, PayinRequest, PayoutRequest, StatusChange,
};
use kukuruku_sandbox::{CallbackPolicy, DeliveryOutcome, KukuPayUser, Merchant, Sandbox};
use kukuruku_sign::{SecretKey, Verifier};
use kukuruku_tower::extract::Verified;
use kukuruku_tower::{Client, VerifySignatureLayer};
use kuna_ramp::{Credentials, KunaClient, NewCustomer};
use tokio::sync::mpsc;

use crate::browser::{Browser, Page, login_choices, login_form};

const MERCHANT_ID: &str = "demo-merchant";
const BUYER: &str = "buyer@example.com";
const BUYER_NAME: &str = "Bea Buyer";
const PAYEE: &str = "payee@example.com";
/// How long any one network step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(5);
/// The browser's User-Agent, which Kuna's widget token is bound to.
const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) kukuruku-demo";

type StepResult = Result<Vec<String>, String>;

/// Prints the transcript as the walk goes.
struct Transcript {
    steps: u32,
}

impl Transcript {
    fn record(&mut self, title: &str, elapsed: Duration, result: &StepResult) {
        self.steps += 1;
        let verdict = if result.is_ok() { "ok" } else { "FAILED" };
        println!(
            "[{}] {title:<40} {:>7.1} ms  {verdict}",
            self.steps,
            elapsed.as_secs_f64() * 1000.0
        );
        match result {
            Ok(lines) => {
                for line in lines {
                    println!("      {line}");
                }
            }
            Err(error) => println!("      error: {error}"),
        }
    }
}

/// Runs one step: times it, prints it, and turns a failure into `Err(())`.
async fn step<F, T>(transcript: &mut Transcript, title: &str, work: F) -> Result<T, ()>
where
    F: Future<Output = Result<(T, Vec<String>), String>>,
{
    let start = Instant::now();
    let outcome = match tokio::time::timeout(STEP_TIMEOUT, work).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("no result within {} s", STEP_TIMEOUT.as_secs())),
    };
    let elapsed = start.elapsed();
    match outcome {
        Ok((value, lines)) => {
            transcript.record(title, elapsed, &Ok(lines));
            Ok(value)
        }
        Err(error) => {
            transcript.record(title, elapsed, &Err(error));
            Err(())
        }
    }
}

/// A callback the merchant recorded, and when it arrived.
struct Arrival {
    update: Callback,
    change: StatusChange,
    at: Instant,
}

/// A login the merchant finished, and when.
struct LoggedIn {
    email: String,
    name: String,
    currency: String,
    subject: String,
    order_id: Option<String>,
    /// Whether that order was recorded paid when the login finished (credited by its callback).
    order_paid: bool,
    at: Instant,
}

/// The example merchant's memory: each order's status, the balance credited, the callbacks,
/// the logins; and its KukurukuID client with the login attempts in flight.
struct Shop {
    orders: Mutex<HashMap<String, OrderStatus>>,
    credited_minor: Mutex<u64>,
    events: mpsc::UnboundedSender<Arrival>,
    kukuruku_id: KukurukuId,
    pending: AttemptStore,
    logins: mpsc::UnboundedSender<LoggedIn>,
}

impl Shop {
    fn credited(&self) -> u64 {
        *self
            .credited_minor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The merchant's callback handler: the body arrives verified (the layer checked the signature
/// over the raw bytes); record the update durably, then acknowledge. This is the only place an
/// order is credited.
async fn on_callback(
    State(shop): State<Arc<Shop>>,
    Verified(update): Verified<Callback>,
) -> Response {
    let change = {
        let mut orders = shop.orders.lock().unwrap_or_else(PoisonError::into_inner);
        let key = update.id.as_str().to_owned();
        let change = OrderStatus::apply(orders.get(&key), &update.status);
        if change.should_apply() {
            orders.insert(key, update.status.clone());
            if update.status == OrderStatus::Paid && update.order_type == Some(OrderType::Payin) {
                let amount = update.amount.map_or(0, Amount::minor_units);
                *shop
                    .credited_minor
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) += amount;
            }
        }
        change
    };
    let _ = shop.events.send(Arrival {
        update,
        change,
        at: Instant::now(),
    });
    let mut response = (StatusCode::OK, Bytes::from_static(CALLBACK_ACK)).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    response
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

/// The attempt store's client key: the demo serves one local browser. A real shop keys each
/// attempt by its requester (peer IP, session-cookie id), see `AttemptStore::insert`.
const DEMO_CLIENT: &str = "local-browser";

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
            format!("auto-login refused: {err}"),
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
        Err(err) => return (StatusCode::FORBIDDEN, format!("login failed: {err}")).into_response(),
    };
    let profile = match shop.kukuruku_id.profile(&session).await {
        Ok(profile) => profile,
        Err(err) => return (StatusCode::BAD_GATEWAY, format!("profile: {err}")).into_response(),
    };
    let order_id = session.order_id().map(str::to_owned);
    let order_paid = order_id.as_ref().is_some_and(|id| {
        shop.orders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            == Some(&OrderStatus::Paid)
    });
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

fn random_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| format!("no randomness for the demo secret: {err}"))?;
    Ok(bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    }))
}

async fn next_callback(
    events: &mut mpsc::UnboundedReceiver<Arrival>,
    id: &OrderId,
) -> Result<Arrival, String> {
    loop {
        match events.recv().await {
            Some(arrival) if arrival.update.id == *id => return Ok(arrival),
            Some(_) => {}
            None => return Err("the merchant stopped".to_owned()),
        }
    }
}

async fn next_login(logins: &mut mpsc::UnboundedReceiver<LoggedIn>) -> Result<LoggedIn, String> {
    logins
        .recv()
        .await
        .ok_or_else(|| "the merchant stopped".to_owned())
}

/// The JSON body a request carries, for the transcript (the client serialises its own copy).
fn body_text<E: Endpoint>(endpoint: &E, config: &ApiConfig) -> String {
    endpoint
        .body(config)
        .ok()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn rub(minor: u64) -> String {
    Amount::new(minor).map_or_else(
        |_| format!("{minor} minor units of RUB"),
        |amount| format!("{} RUB", amount.to_decimal_with_exponent(2)),
    )
}

/// A URL with the values of `secret` query parameters replaced by `***`.
fn redact(url: &str, secret: &[&str]) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return "***".to_owned();
    };
    let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    if pairs.is_empty() {
        return url.to_owned();
    }
    parsed
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs.iter().map(|(name, value)| {
            let shown = if secret.contains(&name.as_str()) {
                "***"
            } else {
                value.as_str()
            };
            (name.as_str(), shown)
        }));
    parsed.into()
}

/// Runs the demo; exit code 0 when every step passed.
pub(crate) async fn run() -> ExitCode {
    let started = Instant::now();
    let outcome = walk().await;
    ExitCode::from(conclude(outcome, started.elapsed()))
}

/// Prints the last line and gives the exit status: 0 when every step passed, 1 otherwise.
fn conclude(outcome: Result<u32, ()>, elapsed: Duration) -> u8 {
    let elapsed = elapsed.as_secs_f64() * 1000.0;
    if let Ok(steps) = outcome {
        println!("\nall {steps} steps passed in {elapsed:.0} ms");
        0
    } else {
        println!("\nthe demo FAILED after {elapsed:.0} ms (see the step above)");
        1
    }
}

/// Everything the steps share.
struct Demo {
    sandbox: Sandbox,
    shop: Arc<Shop>,
    events: mpsc::UnboundedReceiver<Arrival>,
    logins: mpsc::UnboundedReceiver<LoggedIn>,
    merchant_url: String,
    client: Client<kukuruku_tower::transport::HttpsTransport>,
    browser: Browser,
}

/// Setup: a secret for this run only, the sandbox, the example merchant, the SDK clients.
async fn start() -> Result<(Demo, Vec<String>), String> {
    let secret = random_secret()?;
    let key = SecretKey::new(secret).map_err(|err| err.to_string())?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|err| format!("the merchant cannot listen: {err}"))?;
    let merchant_url = format!(
        "http://{}",
        listener.local_addr().map_err(|err| err.to_string())?
    );
    // The merchant's callback URL is known to Kukuruku (its account settings): Play orders,
    // which Kukuruku creates, report there.
    let sandbox = Sandbox::builder()
        .merchant(
            Merchant::new(MERCHANT_ID, key.clone())
                .callback_url(format!("{merchant_url}/kukuruku/callback")),
        )
        .user(KukuPayUser::new(PAYEE, "Pat Payee", "RUB"))
        .user(KukuPayUser::new(BUYER, BUYER_NAME, "RUB"))
        .callback_policy(
            CallbackPolicy::default()
                .timeout(Duration::from_secs(2))
                .max_attempts(5)
                .initial_backoff(Duration::from_millis(50)),
        )
        .start()
        .await
        .map_err(|err| err.to_string())?;

    // The merchant is KukurukuID's confidential client; its redirect URI is on loopback, which
    // the sandbox's demo client accepts on any port.
    let kukuruku_id = KukurukuId::builder(
        sandbox.idp_client_id(),
        format!("{merchant_url}/auth/callback"),
    )
    .client_secret(sandbox.idp_client_secret())
    .issuer(sandbox.issuer())
    .api_base_url(sandbox.api_url())
    .timeout(STEP_TIMEOUT)
    .build()
    .map_err(|err| err.to_string())?;
    let (events, events_rx) = mpsc::unbounded_channel();
    let (logins, logins_rx) = mpsc::unbounded_channel();
    let shop = Arc::new(Shop {
        orders: Mutex::new(HashMap::new()),
        credited_minor: Mutex::new(0),
        events,
        kukuruku_id,
        pending: AttemptStore::new(100),
        logins,
    });
    let app = Router::new()
        .route("/kukuruku/callback", post(on_callback))
        .route_layer(VerifySignatureLayer::new(Verifier::new(&key)).limit(64 * 1024))
        .route("/shop/success", get(on_success))
        .route("/shop/fail", get(on_fail))
        .route("/login", get(on_login))
        .route("/auth/callback", get(on_auth_callback))
        .route("/play", get(on_play))
        .with_state(Arc::clone(&shop));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let client = Client::builder(MERCHANT_ID, key)
        .base_url(sandbox.api_url())
        .build()
        .map_err(|err| err.to_string())?;
    let lines = vec![
        format!(
            "sandbox   {} (merchant {MERCHANT_ID}, a secret generated for this run)",
            sandbox.api_url()
        ),
        format!(
            "          KukurukuID {} · Kuna {}",
            sandbox.issuer(),
            sandbox.kuna_url()
        ),
        format!(
            "merchant  {merchant_url} (axum + kukuruku-tower VerifySignatureLayer on /kukuruku/callback; /login, /auth/callback, /play with kukuruku-oidc)"
        ),
        "client    kukuruku_tower::Client (signs every request, verifies signed answers)"
            .to_owned(),
    ];
    let demo = Demo {
        sandbox,
        shop,
        events: events_rx,
        logins: logins_rx,
        merchant_url,
        client,
        browser: Browser::new(),
    };
    Ok((demo, lines))
}

async fn walk() -> Result<u32, ()> {
    let mut t = Transcript { steps: 0 };
    println!("kukuruku demo: the whole integration against a local sandbox, on 127.0.0.1\n");
    let mut demo = step(&mut t, "start the sandbox and the merchant", start()).await?;
    payments(&mut t, &mut demo).await?;
    login(&mut t, &mut demo).await?;
    play(&mut t, &mut demo).await?;
    kuna(&mut t, &demo).await?;
    demo.sandbox.shutdown().await;
    Ok(t.steps)
}

/// Steps 1–8: payin, pay page, callback, status, payout.
#[allow(clippy::too_many_lines)] // one straight walk, step by step, reads best in one place
async fn payments(t: &mut Transcript, demo: &mut Demo) -> Result<(), ()> {
    let Demo {
        sandbox,
        shop,
        events,
        merchant_url,
        client,
        browser,
        ..
    } = demo;
    let merchant_url = merchant_url.as_str();

    // 1. Create a payin.
    let order_number = format!("demo-{}", &random_secret().unwrap_or_default()[..8]);
    let created = step(t, "create a payin", async {
        let payin = PayinRequest::builder()
            .amount(Amount::new(50_000).map_err(|err| err.to_string())?)
            .currency(Currency::Rub)
            .callback_url(format!("{merchant_url}/kukuruku/callback"))
            .order_number(order_number.clone())
            .redirect_success_url(format!("{merchant_url}/shop/success"))
            .redirect_fail_url(format!("{merchant_url}/shop/fail"))
            .client_id(BUYER)
            .build()
            .map_err(|err| err.to_string())?;
        let body = body_text(&payin, client.config());
        let created = client
            .create_payin(&payin)
            .await
            .map_err(|err| err.to_string())?;
        let lines = vec![
            format!("→ POST /api/v1/orders/payins (signed) {body}"),
            format!("← 200 token {}", created.token.as_str()),
            format!("      url   {}", created.url),
        ];
        Ok((created, lines))
    })
    .await?;

    // 2. The user opens the pay page.
    step(t, "open the pay page", async {
        let page = browser.get(&created.url).await?;
        let html = page.text();
        if page.status != StatusCode::OK {
            return Err(format!("the pay page answered {}", page.status));
        }
        if !html.contains("value=\"pay\"") || !html.contains("value=\"decline\"") {
            return Err("the pay page has no Pay / Decline forms".to_owned());
        }
        if !html.contains("500.00 RUB") || !html.contains(&order_number) {
            return Err("the pay page does not show the order".to_owned());
        }
        Ok((
            (),
            vec![
                format!("→ GET {}", created.url),
                format!(
                    "← {}, text/html, {} bytes: order {order_number}, 500.00 RUB, buttons Pay / Decline",
                    page.status,
                    page.body.len()
                ),
            ],
        ))
    })
    .await?;

    // 3. The user presses Pay.
    let location = step(t, "press Pay", async {
        let page = browser.post_form(&created.url, "action=pay").await?;
        if page.status != StatusCode::SEE_OTHER {
            return Err(format!("expected 303 See Other, got {}", page.status));
        }
        let location = page.location().ok_or("the 303 has no Location")?;
        Ok((
            location.clone(),
            vec![
                format!("→ POST {} action=pay", created.url),
                format!("← {}, Location: {location}", page.status),
            ],
        ))
    })
    .await?;

    // 4. The browser follows the redirect to the merchant.
    step(t, "follow the redirect to the merchant", async {
        let page = browser.get(&location).await?;
        if page.status != StatusCode::OK || !location.starts_with(merchant_url) {
            return Err(format!("{location} answered {}", page.status));
        }
        Ok((
            (),
            vec![
                format!("→ GET {location}"),
                format!("← {} \"{}\"", page.status, page.text()),
            ],
        ))
    })
    .await?;

    // 5. The callback arrives at the merchant.
    step(t, "receive the payin callback", async {
        let Arrival { update, change, .. } = next_callback(events, &created.token).await?;
        if update.status != OrderStatus::Paid {
            return Err(format!("the callback says {}, expected paid", update.status));
        }
        Ok((
            (),
            vec![
                format!(
                    "← POST /kukuruku/callback status {} for {}",
                    update.status,
                    update.id.as_str()
                ),
                format!(
                    "  signature verified over the raw bytes; recorded ({change:?}); answered 200 {}",
                    String::from_utf8_lossy(CALLBACK_ACK)
                ),
                format!("  merchant balance credited: {}", rub(shop.credited())),
            ],
        ))
    })
    .await?;

    // 6. The merchant asks for the status (the answer is signed; the client verifies it).
    step(t, "query the order status", async {
        let order = client
            .order(&created.token)
            .await
            .map_err(|err| err.to_string())?;
        if order.status != OrderStatus::Paid {
            return Err(format!("status {}, expected paid", order.status));
        }
        Ok((
            (),
            vec![
                format!(
                    "→ GET /api/v1/orders/{}?merchant_id={MERCHANT_ID} (signed over {{}}, D1)",
                    created.token.as_str()
                ),
                format!(
                    "← 200 status {} (the answer's signature verified)",
                    order.status
                ),
            ],
        ))
    })
    .await?;

    // 7. A payout to a KukuPay user.
    let payout = step(t, "create a payout", async {
        let payout = PayoutRequest::builder()
            .amount(Amount::new(10_000).map_err(|err| err.to_string())?)
            .currency(Currency::Rub)
            .order_number(format!("{order_number}-payout"))
            .callback_url(format!("{merchant_url}/kukuruku/callback"))
            .user_email(PAYEE)
            .build()
            .map_err(|err| err.to_string())?;
        let body = body_text(&payout, client.config());
        let created = client
            .create_payout(&payout)
            .await
            .map_err(|err| err.to_string())?;
        Ok((
            created.uuid.clone(),
            vec![
                format!("→ POST /api/v1/orders/payouts (signed) {body}"),
                format!("← 200 uuid {}", created.uuid.as_str()),
            ],
        ))
    })
    .await?;

    // 8. Its callback.
    step(t, "receive the payout callback", async {
        let Arrival { update, .. } = next_callback(events, &payout).await?;
        if update.status != OrderStatus::Paid {
            return Err(format!(
                "the callback says {}, expected paid",
                update.status
            ));
        }
        let log = sandbox.settled_callbacks(STEP_TIMEOUT).await;
        let delivered = log
            .iter()
            .filter(|d| d.outcome == DeliveryOutcome::Delivered)
            .count();
        Ok((
            (),
            vec![
                format!(
                    "← POST /kukuruku/callback status {} for the payout",
                    update.status
                ),
                format!(
                    "  sandbox delivery log: {delivered} of {} callbacks delivered",
                    log.len()
                ),
            ],
        ))
    })
    .await
}

/// The login page the browser is on: choose `email`'s form, submit it, and return the redirect
/// back to the merchant (not followed yet).
async fn choose_user(
    browser: &Browser,
    page: &Page,
    email: &str,
    merchant_url: &str,
) -> Result<(String, Vec<String>), String> {
    let (action, form) = login_form(&page.text(), email)
        .ok_or_else(|| format!("the login page offers no form for {email}"))?;
    let answer = browser.post_form(&action, &form).await?;
    let location = answer
        .location()
        .filter(|location| location.starts_with(&format!("{merchant_url}/auth/callback?")))
        .ok_or_else(|| {
            format!(
                "expected a redirect to the merchant's /auth/callback, got {} {}",
                answer.status,
                answer.text()
            )
        })?;
    let lines = vec![
        format!("→ POST {action} email={email} (the form of \"Log in as …\")"),
        format!(
            "← {} Location: {}",
            answer.status,
            redact(&location, &["code", "state", "session_state"])
        ),
    ];
    Ok((location, lines))
}

/// GETs the merchant's `/login` or Play landing and follows it to KukurukuID's login page.
async fn to_login_page(
    browser: &Browser,
    url: &str,
    lines: &mut Vec<String>,
) -> Result<Page, String> {
    let first = browser.get(url).await?;
    if !first.status.is_redirection() {
        return Err(format!(
            "the merchant answered {} {}",
            first.status,
            first.text()
        ));
    }
    let page = browser
        .follow(first, |from, to| {
            lines.push(format!(
                "← {}, → GET {}",
                from.status,
                redact(to, &["state", "nonce", "code_challenge"])
            ));
        })
        .await?;
    let choices = login_choices(&page.text());
    if page.status != StatusCode::OK || choices.is_empty() {
        return Err(format!("expected the login page, got {}", page.status));
    }
    lines.push(format!(
        "← {} KukurukuID login page: {}",
        page.status,
        choices.join(", ")
    ));
    Ok(page)
}

/// GETs the redirect back at the merchant, which finishes the login; returns the login.
async fn finish_at_merchant(
    demo: &mut Demo,
    location: &str,
) -> Result<(LoggedIn, Vec<String>), String> {
    let page = demo.browser.get(location).await?;
    if page.status != StatusCode::OK {
        return Err(format!(
            "the merchant answered {} {}",
            page.status,
            page.text()
        ));
    }
    let login = next_login(&mut demo.logins).await?;
    let expected_sub = demo.sandbox.user_id(BUYER).unwrap_or_default();
    if login.email != BUYER || login.subject != expected_sub || login.currency != "RUB" {
        return Err(format!(
            "logged in as {} ({}), expected {BUYER} ({expected_sub})",
            login.email, login.subject
        ));
    }
    let issuer = demo.sandbox.issuer();
    let lines = vec![
        format!(
            "→ GET {}",
            redact(location, &["code", "state", "session_state"])
        ),
        "  merchant: finish_login: state (constant time) and iss checked".to_owned(),
        format!(
            "  merchant: → POST {issuer}/protocol/openid-connect/token (code + PKCE verifier + client secret)"
        ),
        "  merchant: ID token verified: RS256 against the JWKS, iss, aud, exp, nonce".to_owned(),
        format!(
            "  merchant: → GET {}/api/v1/me (Bearer) ← name {:?}, email {}, currency {}, sub {}",
            demo.sandbox.api_url(),
            login.name,
            login.email,
            login.currency,
            login.subject
        ),
        format!("← {} \"{}\"", page.status, page.text()),
    ];
    Ok((login, lines))
}

/// Steps 9–11: a KukurukuID login with `kukuruku-oidc`, through the login page.
async fn login(t: &mut Transcript, demo: &mut Demo) -> Result<(), ()> {
    let merchant_url = demo.merchant_url.clone();
    let page = step(t, "KukurukuID: open the login page", async {
        let url = format!("{merchant_url}/login");
        let mut lines = vec![format!(
            "→ GET {url} (the merchant: start_login, keeps state, PKCE verifier and nonce)"
        )];
        let page = to_login_page(&demo.browser, &url, &mut lines).await?;
        Ok((page, lines))
    })
    .await?;
    let location = step(t, "KukurukuID: choose the user", async {
        choose_user(&demo.browser, &page, BUYER, &merchant_url).await
    })
    .await?;
    step(t, "KukurukuID: finish the login", async {
        let (_, lines) = finish_at_merchant(demo, &location).await?;
        Ok(((), lines))
    })
    .await
}

/// Steps 12–16: Play: an order created and paid by Kukuruku, the auto-login landing, the
/// login, the callback that credits it; a forged landing refused.
#[allow(clippy::too_many_lines)] // one straight walk, step by step, reads best in one place
async fn play(t: &mut Transcript, demo: &mut Demo) -> Result<(), ()> {
    let merchant_url = demo.merchant_url.clone();
    let credited_before = demo.shop.credited();
    let started = Instant::now();
    let (order_id, redirect) = step(t, "Play: Kukuruku creates and pays an order", async {
        let body = serde_json::json!({
            "email": BUYER,
            "amount": 25_000,
            "currency": "RUB",
            "merchant_url": format!("{merchant_url}/play"),
        })
        .to_string();
        let url = format!("{}/play", demo.sandbox.control_url());
        let answer = demo.browser.post_json(&url, &body).await?;
        let json: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|err| format!("{} {}: {err}", answer.status, answer.text()))?;
        let (Some(order_id), Some(redirect)) =
            (json["order_id"].as_str(), json["redirect"].as_str())
        else {
            return Err(format!("{} {}", answer.status, answer.text()));
        };
        let lines = vec![
            format!("→ POST {url} {body}"),
            format!(
                "← {} order_id {order_id} (created and paid: its callback is on its way)",
                answer.status
            ),
            format!("      redirect {redirect}"),
        ];
        Ok(((order_id.to_owned(), redirect.to_owned()), lines))
    })
    .await?;

    let page = step(t, "Play: land on the merchant", async {
        let mut lines = vec![
            format!("→ GET {redirect}"),
            format!(
                "  merchant: auto_login: custom4 = {} is this client's issuer; login bound to order {order_id}; the query credits nothing",
                demo.sandbox.issuer()
            ),
        ];
        let page = to_login_page(&demo.browser, &redirect, &mut lines).await?;
        Ok((page, lines))
    })
    .await?;

    let location = step(t, "Play: log in", async {
        choose_user(&demo.browser, &page, BUYER, &merchant_url).await
    })
    .await?;
    let login = step(t, "Play: finish the login", async {
        let (login, mut lines) = finish_at_merchant(demo, &location).await?;
        if login.order_id.as_deref() != Some(order_id.as_str()) {
            return Err(format!(
                "the session is bound to {:?}, expected the Play order {order_id}",
                login.order_id
            ));
        }
        lines.push(format!(
            "  session.order_id() = {order_id}; the order was {} when the login finished",
            if login.order_paid {
                "already credited by its callback"
            } else {
                "not yet credited (its callback had not arrived)"
            }
        ));
        Ok((login, lines))
    })
    .await?;

    step(t, "Play: the callback credits the order", async {
        let order = OrderId::new(order_id.as_str()).map_err(|err| err.to_string())?;
        let arrival = next_callback(&mut demo.events, &order).await?;
        if arrival.update.status != OrderStatus::Paid {
            return Err(format!("the callback says {}", arrival.update.status));
        }
        let credited = demo.shop.credited() - credited_before;
        if credited != 25_000 {
            return Err(format!("credited {}, expected 250.00 RUB once", rub(credited)));
        }
        let ms = |at: Instant| at.duration_since(started).as_secs_f64() * 1000.0;
        let first = if arrival.at <= login.at {
            "the callback came before the login"
        } else {
            "the login came before the callback"
        };
        Ok((
            (),
            vec![
                format!(
                    "← POST /kukuruku/callback status paid for {order_id} at +{:.1} ms: signature verified, recorded ({:?})",
                    ms(arrival.at),
                    arrival.change
                ),
                format!("  login finished at +{:.1} ms: {first}", ms(login.at)),
                format!(
                    "  credited {} once, from the verified callback only (never from the landing query or the login)",
                    rub(credited)
                ),
            ],
        ))
    })
    .await?;

    step(t, "Play: a forged landing is refused", async {
        let evil = "https://auth.evil.example/realms/public";
        let url = format!(
            "{merchant_url}/play?auto_login=true&joker_login=true&custom4={}&order_id={order_id}&custom2={order_id}",
            form_urlencoded::byte_serialize(evil.as_bytes()).collect::<String>()
        );
        let page = demo.browser.get(&url).await?;
        if page.status != StatusCode::BAD_REQUEST {
            return Err(format!("expected 400, got {} {}", page.status, page.text()));
        }
        Ok((
            (),
            vec![
                format!("→ GET {url}"),
                format!("← {} \"{}\"", page.status, page.text()),
            ],
        ))
    })
    .await
}

/// Steps 17–19: the Kuna widget with `kuna-ramp`: open, valid, invalidated.
async fn kuna(t: &mut Transcript, demo: &Demo) -> Result<(), ()> {
    let sandbox = &demo.sandbox;
    let (kuna, session) = step(t, "Kuna: open the widget", async {
        let kuna = KunaClient::builder(sandbox.kuna_url(), Credentials::api_key(sandbox.kuna_api_key()))
            .widget_url(sandbox.kuna_widget_url())
            .institution_id(sandbox.kuna_institution_id())
            .timeout(STEP_TIMEOUT)
            .build()
            .map_err(|err| err.to_string())?;
        let customer = NewCustomer::builder()
            .email(BUYER)
            .first_name("Bea")
            .last_name("Buyer")
            .country("UA")
            .verification_document_id("1237654")
            .residence_address("1 Demo Street")
            .external_id("demo-user-1")
            .build()
            .map_err(|err| err.to_string())?;
        let session = kuna
            .open_widget(&customer, USER_AGENT)
            .await
            .map_err(|err| err.to_string())?;
        let created = &session.customer;
        let lines = vec![
            format!("→ POST {}/v2/customer/find {{\"externalId\":\"demo-user-1\"}} (api-key header)", sandbox.kuna_url()),
            format!(
                "→ POST {}/v2/customer/create ← customer {}, wallet {}, verification {}",
                sandbox.kuna_url(),
                created.id,
                created.wallet_status.as_ref().map_or_else(String::new, ToString::to_string),
                created.verification_status.as_ref().map_or_else(String::new, ToString::to_string),
            ),
            format!(
                "→ POST {}/v2/ramp/token {{customerId, userAgent}} ← a widget token (never printed), valid {:.1} h",
                sandbox.kuna_url(),
                session
                    .token
                    .expires_at()
                    .and_then(|at| at.duration_since(std::time::SystemTime::now()).ok())
                    .map_or(0.0, |left| left.as_secs_f64() / 3600.0)
            ),
            format!("  widget URL {:?}", session.url),
        ];
        Ok(((kuna, session), lines))
    })
    .await?;
    let shown = redact(session.url.expose_secret(), &["refreshToken"]);

    step(t, "Kuna: the widget accepts the token", async {
        let page = demo.browser.get(session.url.expose_secret()).await?;
        if page.status != StatusCode::OK || !page.text().contains(r#""valid":true"#) {
            return Err(format!("{} {}", page.status, page.text()));
        }
        Ok((
            (),
            vec![
                format!("→ GET {shown}"),
                format!("← {} {}", page.status, page.text()),
            ],
        ))
    })
    .await?;

    step(t, "Kuna: invalidate, the widget refuses", async {
        kuna.invalidate(&session.customer.id)
            .await
            .map_err(|err| err.to_string())?;
        let page = demo.browser.get(session.url.expose_secret()).await?;
        if page.status != StatusCode::UNAUTHORIZED || !page.text().contains(r#""valid":false"#) {
            return Err(format!("{} {}", page.status, page.text()));
        }
        Ok((
            (),
            vec![
                format!(
                    "→ POST {}/v2/ramp/invalidate {{\"customerId\":\"{}\"}} ← 200",
                    sandbox.kuna_url(),
                    session.customer.id
                ),
                format!("→ GET {shown}"),
                format!("← {} {}", page.status, page.text()),
            ],
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn two_steps(fail_first: bool) -> Result<u32, ()> {
        let mut t = Transcript { steps: 0 };
        step(&mut t, "first", async {
            if fail_first {
                Err("broken on purpose".to_owned())
            } else {
                Ok(((), vec![]))
            }
        })
        .await?;
        step(&mut t, "second", async { Ok(((), vec![])) }).await?;
        Ok(t.steps)
    }

    #[tokio::test]
    async fn a_failing_step_stops_the_walk_and_exits_non_zero() {
        let failed = two_steps(true).await;
        assert_eq!(failed, Err(()));
        assert_eq!(conclude(failed, Duration::ZERO), 1);

        let passed = two_steps(false).await;
        assert_eq!(passed, Ok(2));
        assert_eq!(conclude(passed, Duration::ZERO), 0);
    }
}
