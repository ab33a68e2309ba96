//! `kukuruku demo`: the whole integration, in-process, on loopback.
//!
//! A sandbox (the Kukuruku side) and an example merchant (axum + kukuruku-tower's
//! `VerifySignatureLayer`, a callback handler that records the update before acknowledging it)
//! start on 127.0.0.1; the SDK client then walks a payin through the pay page to its callback
//! and its signed status, and makes a payout. Each step prints what was sent, what came back and
//! how long it took; any failure ends the walk with exit code 1.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kukuruku_proto::{
    Amount, CALLBACK_ACK, Callback, Currency, Endpoint, JSON_CONTENT_TYPE, OrderId, OrderStatus,
    PayinRequest, PayoutRequest, StatusChange,
};
use kukuruku_sandbox::{CallbackPolicy, DeliveryOutcome, KukuPayUser, Merchant, Sandbox};
use kukuruku_sign::{SecretKey, Verifier};
use kukuruku_tower::extract::Verified;
use kukuruku_tower::{Client, VerifySignatureLayer};
use tokio::sync::mpsc;

const MERCHANT_ID: &str = "demo-merchant";
const BUYER: &str = "buyer@example.com";
const PAYEE: &str = "payee@example.com";
/// How long any one network step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(5);

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

/// The example merchant's memory: each order's status, the balance credited, the callbacks.
struct Shop {
    orders: Mutex<HashMap<String, OrderStatus>>,
    credited_minor: Mutex<u64>,
    events: mpsc::UnboundedSender<(Callback, StatusChange)>,
}

/// The merchant's callback handler: the body arrives verified (the layer checked the signature
/// over the raw bytes); record the update durably, then acknowledge.
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
            if update.status == OrderStatus::Paid
                && update.order_type == Some(kukuruku_proto::OrderType::Payin)
            {
                let amount = update.amount.map_or(0, Amount::minor_units);
                *shop
                    .credited_minor
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) += amount;
            }
        }
        change
    };
    let _ = shop.events.send((update, change));
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

fn random_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| format!("no randomness for the demo secret: {err}"))?;
    Ok(bytes.iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    }))
}

type Http = HttpClient<HttpConnector, Full<Bytes>>;

async fn http_call(
    http: &Http,
    method: Method,
    url: &str,
    form: Option<&'static str>,
) -> Result<(StatusCode, http::HeaderMap, Bytes), String> {
    let mut builder = Request::builder().method(method).uri(url);
    let body = match form {
        Some(form) => {
            builder = builder.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
            Bytes::from_static(form.as_bytes())
        }
        None => Bytes::new(),
    };
    let request = builder
        .body(Full::new(body))
        .map_err(|err| format!("bad request for {url}: {err}"))?;
    let response = http
        .request(request)
        .await
        .map_err(|err| format!("{url}: {err}"))?;
    let (parts, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .map_err(|err| format!("{url}: reading the answer: {err}"))?
        .to_bytes();
    Ok((parts.status, parts.headers, bytes))
}

async fn next_callback(
    events: &mut mpsc::UnboundedReceiver<(Callback, StatusChange)>,
    id: &OrderId,
) -> Result<(Callback, StatusChange), String> {
    loop {
        match events.recv().await {
            Some((update, change)) if update.id == *id => return Ok((update, change)),
            Some(_) => {}
            None => return Err("the merchant stopped".to_owned()),
        }
    }
}

/// Runs the demo; exit code 0 when every step passed.
pub(crate) async fn run() -> ExitCode {
    let started = Instant::now();
    let outcome = walk().await;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(steps) = outcome {
        println!("\nall {steps} steps passed in {elapsed:.0} ms");
        ExitCode::SUCCESS
    } else {
        println!("\nthe demo FAILED after {elapsed:.0} ms (see the step above)");
        ExitCode::from(1)
    }
}

#[allow(clippy::too_many_lines)] // one straight walk, step by step, reads best in one place
async fn walk() -> Result<u32, ()> {
    let mut t = Transcript { steps: 0 };
    println!("kukuruku demo: the whole integration against a local sandbox, on 127.0.0.1\n");

    // Setup: a secret for this run only, the sandbox, the example merchant, the SDK client.
    let setup = step(&mut t, "start the sandbox and the merchant", async {
        let secret = random_secret()?;
        let key = SecretKey::new(secret).map_err(|err| err.to_string())?;
        let sandbox = Sandbox::builder()
            .merchant(Merchant::new(MERCHANT_ID, key.clone()))
            .user(KukuPayUser::new(PAYEE, "Pat Payee", "RUB"))
            .callback_policy(
                CallbackPolicy::default()
                    .timeout(Duration::from_secs(2))
                    .max_attempts(5)
                    .initial_backoff(Duration::from_millis(50)),
            )
            .start()
            .await
            .map_err(|err| err.to_string())?;

        let (events, receiver) = mpsc::unbounded_channel();
        let shop = Arc::new(Shop {
            orders: Mutex::new(HashMap::new()),
            credited_minor: Mutex::new(0),
            events,
        });
        let app = Router::new()
            .route("/kukuruku/callback", post(on_callback))
            .route_layer(VerifySignatureLayer::new(Verifier::new(&key)).limit(64 * 1024))
            .route("/shop/success", get(on_success))
            .route("/shop/fail", get(on_fail))
            .with_state(Arc::clone(&shop));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|err| format!("the merchant cannot listen: {err}"))?;
        let merchant_url = format!(
            "http://{}",
            listener.local_addr().map_err(|err| err.to_string())?
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });

        let client = Client::builder(MERCHANT_ID, key)
            .base_url(sandbox.api_url())
            .build()
            .map_err(|err| err.to_string())?;
        let lines = vec![
            format!("sandbox   {} (merchant {MERCHANT_ID}, a secret generated for this run)", sandbox.api_url()),
            format!("merchant  {merchant_url} (axum + kukuruku-tower VerifySignatureLayer on /kukuruku/callback)"),
            "client    kukuruku_tower::Client (signs every request, verifies signed answers)".to_owned(),
        ];
        Ok(((sandbox, shop, receiver, merchant_url, client), lines))
    })
    .await?;
    let (sandbox, shop, mut events, merchant_url, client) = setup;
    let http: Http = HttpClient::builder(TokioExecutor::new()).build(HttpConnector::new());

    // 1. Create a payin.
    let order_number = format!("demo-{}", &random_secret().unwrap_or_default()[..8]);
    let created = step(&mut t, "create a payin", async {
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
        let body = payin
            .body(client.config())
            .ok()
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
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
    step(&mut t, "open the pay page", async {
        let (status, _, body) = http_call(&http, Method::GET, &created.url, None).await?;
        let page = String::from_utf8_lossy(&body);
        if status != StatusCode::OK {
            return Err(format!("the pay page answered {status}"));
        }
        if !page.contains("value=\"pay\"") || !page.contains("value=\"decline\"") {
            return Err("the pay page has no Pay / Decline forms".to_owned());
        }
        if !page.contains("500.00 RUB") || !page.contains(&order_number) {
            return Err("the pay page does not show the order".to_owned());
        }
        Ok((
            (),
            vec![
                format!("→ GET {}", created.url),
                format!(
                    "← {status}, text/html, {} bytes: order {order_number}, 500.00 RUB, buttons Pay / Decline",
                    body.len()
                ),
            ],
        ))
    })
    .await?;

    // 3. The user presses Pay.
    let location = step(&mut t, "press Pay", async {
        let (status, headers, _) =
            http_call(&http, Method::POST, &created.url, Some("action=pay")).await?;
        if status != StatusCode::SEE_OTHER {
            return Err(format!("expected 303 See Other, got {status}"));
        }
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or("the 303 has no Location")?
            .to_owned();
        Ok((
            location.clone(),
            vec![
                format!("→ POST {} action=pay", created.url),
                format!("← {status}, Location: {location}"),
            ],
        ))
    })
    .await?;

    // 4. The browser follows the redirect to the merchant.
    step(&mut t, "follow the redirect to the merchant", async {
        let (status, _, body) = http_call(&http, Method::GET, &location, None).await?;
        if status != StatusCode::OK || !location.starts_with(&merchant_url) {
            return Err(format!("{location} answered {status}"));
        }
        Ok((
            (),
            vec![
                format!("→ GET {location}"),
                format!("← {status} \"{}\"", String::from_utf8_lossy(&body)),
            ],
        ))
    })
    .await?;

    // 5. The callback arrives at the merchant.
    step(&mut t, "receive the payin callback", async {
        let (update, change) = next_callback(&mut events, &created.token).await?;
        if update.status != OrderStatus::Paid {
            return Err(format!("the callback says {}, expected paid", update.status));
        }
        let credited = *shop.credited_minor.lock().unwrap_or_else(PoisonError::into_inner);
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
                format!(
                    "  merchant balance credited: {} RUB",
                    Amount::new(credited).map_or_else(
                        |_| format!("{credited} minor units of"),
                        |amount| amount.to_decimal_with_exponent(2)
                    )
                ),
            ],
        ))
    })
    .await?;

    // 6. The merchant asks for the status (the answer is signed; the client verifies it).
    step(&mut t, "query the order status", async {
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
    let payout = step(&mut t, "create a payout", async {
        let payout = PayoutRequest::builder()
            .amount(Amount::new(10_000).map_err(|err| err.to_string())?)
            .currency(Currency::Rub)
            .order_number(format!("{order_number}-payout"))
            .callback_url(format!("{merchant_url}/kukuruku/callback"))
            .user_email(PAYEE)
            .build()
            .map_err(|err| err.to_string())?;
        let body = payout
            .body(client.config())
            .ok()
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
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
    step(&mut t, "receive the payout callback", async {
        let (update, _) = next_callback(&mut events, &payout).await?;
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
    .await?;

    // Later steps go here, in this order, once the sandbox serves them:
    //   - KukurukuID login (authorization code + PKCE against the sandbox's identity provider);
    //   - Play auto-login (a paid payin, then the redirect with auto_login=true);
    //   - the Kuna on-ramp widget (customer, ramp token, widget URL).
    println!(
        "\n(next, when the sandbox serves them: KukurukuID login, Play auto-login, Kuna widget)"
    );
    sandbox.shutdown().await;
    Ok(t.steps)
}
