//! Callback delivery (PROTOCOL 1.5, D8): signed POSTs of the order object to the merchant's
//! `callback_url`, at least once, retried with jittered exponential back-off, every try logged
//! (in a bounded log, `delivery_log.rs`). Logs (`tracing`) show the URL without its query and
//! user info: a callback URL may carry a token.

use std::error::Error as StdError;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Request, Uri};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use kukuruku_proto::{JSON_CONTENT_TYPE, OrderStatus, SharedTimeSource};
use kukuruku_sign::Signer;
use kukuruku_tower::round_trip::{RoundTripError, round_trip};
use serde::Serialize;
use tokio::sync::{Notify, watch};

use super::config::CallbackPolicy;
use super::delivery_log::DeliveryLog;
use super::jitter::Jitter;
use super::order::Order;
use crate::live::{Live, SandboxEvent};
use crate::log_url::loggable_url;
use crate::timestamp::rfc3339;

/// How much of a merchant's answer the log keeps (data in the log, not an error message).
const RESPONSE_EXCERPT: usize = 512;

/// The most of a merchant's answer read; a longer one is logged with its status and no text.
const RESPONSE_LIMIT: usize = 64 * 1024;

/// One callback: an order's new status sent to its `callback_url`, with every try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CallbackDelivery {
    /// Its number in the log, from 1.
    pub id: u64,
    /// The order.
    pub order_uuid: String,
    /// The merchant's number for the order.
    pub order_number: String,
    /// The merchant.
    pub merchant_id: String,
    /// The status this callback announces.
    pub status: OrderStatus,
    /// Where it is sent.
    pub url: String,
    /// The exact body sent (the order object, PROTOCOL D4).
    pub body: String,
    /// The `signature` header sent: HMAC-SHA512 of `body` with the merchant's secret.
    pub signature: String,
    /// Delivered, still being tried, or given up.
    pub outcome: DeliveryOutcome,
    /// Every try so far.
    pub attempts: Vec<DeliveryAttempt>,
}

impl CallbackDelivery {
    /// [`url`](Self::url) without user info, query and fragment (`http://h:1/cb` for
    /// `http://u:p@h:1/cb?token=t`): what to show in logs, where a token must not appear.
    pub fn url_for_logs(&self) -> String {
        loggable_url(&self.url)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// Not answered with 2xx yet; more tries are coming.
    Pending,
    /// The merchant answered 2xx.
    Delivered,
    /// Every try failed (or the URL cannot be reached by the sandbox); no more tries.
    Failed,
}

/// One try at delivering a callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// 1 for the first try.
    pub number: u32,
    /// When it started (RFC 3339, UTC).
    pub started_at: String,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// The merchant's HTTP status, if it answered.
    pub http_status: Option<u16>,
    /// The start of the merchant's answer, if it answered.
    pub response: Option<String>,
    /// Why the try failed without an answer (connection refused, timeout).
    pub error: Option<String>,
}

/// Sends callbacks and keeps the delivery log.
pub(crate) struct Dispatcher {
    client: Client<HttpConnector, Full<Bytes>>,
    policy: CallbackPolicy,
    log: Mutex<DeliveryLog>,
    changed: Notify,
    shutdown: watch::Receiver<bool>,
    runtime: tokio::runtime::Handle,
    time_source: SharedTimeSource,
    live: Arc<Live>,
}

impl Dispatcher {
    pub(crate) fn new(
        policy: CallbackPolicy,
        shutdown: watch::Receiver<bool>,
        runtime: tokio::runtime::Handle,
        time_source: SharedTimeSource,
        live: Arc<Live>,
    ) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(policy.try_timeout()));
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Self {
            client,
            policy,
            log: Mutex::new(DeliveryLog::new(policy.max_logged())),
            changed: Notify::new(),
            shutdown,
            runtime,
            time_source,
            live,
        }
    }

    /// The current time by the sandbox's time source, as a try's `started_at`.
    fn now_rfc3339(&self) -> String {
        rfc3339(self.time_source.now())
    }

    fn log(&self) -> MutexGuard<'_, DeliveryLog> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every delivery in the log, oldest first.
    pub(crate) fn deliveries(&self) -> Vec<CallbackDelivery> {
        self.log().all()
    }

    /// The deliveries still pending, oldest first.
    pub(crate) fn pending(&self) -> Vec<CallbackDelivery> {
        self.log().pending()
    }

    /// Waits until no delivery is pending, or `timeout` has passed; returns the log.
    pub(crate) async fn settled(&self, timeout: Duration) -> Vec<CallbackDelivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let log = self.log();
                if log.settled() {
                    return log.all();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.deliveries();
            }
        }
    }

    /// Logs a callback for `order` (if it has a `callback_url`) and starts delivering it.
    pub(crate) fn send(self: &Arc<Self>, order: &Order, signer: &Signer) {
        let Some(url) = order.callback_url.clone() else {
            return;
        };
        let body = order.to_json();
        let signature = signer.sign(&body).to_hex();
        self.start(CallbackDelivery {
            id: 0,
            order_uuid: order.uuid.to_string(),
            order_number: order.order_number.to_string(),
            merchant_id: order.merchant_id.to_string(),
            status: order.status.clone(),
            url,
            body: String::from_utf8_lossy(&body).into_owned(),
            signature: signature.as_str().to_owned(),
            outcome: DeliveryOutcome::Pending,
            attempts: Vec::new(),
        });
    }

    /// Sends the last callback of the order `uuid` again, now, as a new delivery with the same
    /// body and signature; its id, or `None` if the log holds no callback for that order.
    pub(crate) fn resend_last(self: &Arc<Self>, uuid: &str) -> Option<u64> {
        let mut again = self.log().last_for(uuid)?;
        again.outcome = DeliveryOutcome::Pending;
        again.attempts = Vec::new();
        Some(self.start(again))
    }

    /// Logs `delivery` under a new id and starts delivering it; its id.
    fn start(self: &Arc<Self>, delivery: CallbackDelivery) -> u64 {
        let url = delivery.url.clone();
        let body = Bytes::from(delivery.body.clone().into_bytes());
        let signature = delivery.signature.clone();
        let (id, given_up) = self.log().push(|id| CallbackDelivery { id, ..delivery });
        if let Some(dropped) = given_up {
            tracing::warn!(
                id = dropped.id,
                order = %dropped.order_uuid,
                url = %dropped.url_for_logs(),
                capacity = self.policy.max_logged(),
                "callback log full of pending deliveries: the oldest is given up"
            );
        }
        self.changed.notify_waiters();
        let this = Arc::clone(self);
        let task = self.runtime.spawn(async move {
            this.deliver(id, &url, body, &signature).await;
        });
        self.log().set_task(id, task.abort_handle());
        id
    }

    /// The wait before try `number`: the policy's, jittered unless it says not.
    fn wait_before(&self, number: u32, jitter: &mut Jitter) -> Duration {
        let nominal = self.policy.backoff_before(number);
        if self.policy.jitter_setting().0 {
            jitter.wait(nominal)
        } else {
            nominal
        }
    }

    async fn deliver(&self, id: u64, url: &str, body: Bytes, signature: &str) {
        let target = match target(url, signature) {
            Ok(target) => target,
            Err(error) => {
                self.record(
                    id,
                    attempt_without_answer(1, &self.now_rfc3339(), Duration::ZERO, error),
                );
                self.finish(id, DeliveryOutcome::Failed);
                return;
            }
        };
        let mut shutdown = self.shutdown.clone();
        let attempts = self.policy.attempts();
        let mut jitter = Jitter::for_delivery(self.policy.jitter_setting().1, id);
        let logged_url = loggable_url(url);
        for number in 1..=attempts {
            let wait = self.wait_before(number, &mut jitter);
            if !wait.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => return,
                }
            }
            let started_at = self.now_rfc3339();
            let start = Instant::now();
            let result = tokio::select! {
                result = self.post(&target, body.clone()) => result,
                _ = shutdown.changed() => return,
            };
            let elapsed = start.elapsed();
            let attempt = match result {
                Ok((status, response)) => DeliveryAttempt {
                    number,
                    started_at,
                    duration_ms: millis(elapsed),
                    http_status: Some(status),
                    response: Some(response),
                    error: None,
                },
                Err(error) => attempt_without_answer(number, &started_at, elapsed, error),
            };
            let delivered = attempt.http_status.is_some_and(|s| (200..300).contains(&s));
            tracing::info!(
                url = %logged_url,
                attempt = number,
                status = ?attempt.http_status,
                error = ?attempt.error,
                "callback try"
            );
            self.record(id, attempt);
            if delivered {
                self.finish(id, DeliveryOutcome::Delivered);
                return;
            }
        }
        tracing::warn!(url = %logged_url, attempts, "callback given up");
        self.finish(id, DeliveryOutcome::Failed);
    }

    /// One try: the merchant's status and the start of its answer, or why there is none.
    async fn post(&self, target: &Target, body: Bytes) -> Result<(u16, String), String> {
        let mut request = Request::post(target.uri.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE))
            .body(Full::new(body))
            .map_err(|err| err.to_string())?;
        request
            .headers_mut()
            .insert(kukuruku_sign::HEADER_NAME, target.signature.clone());
        let timeout = self.policy.try_timeout();
        match round_trip(&self.client, request, timeout, RESPONSE_LIMIT).await {
            Ok(response) => {
                let text = String::from_utf8_lossy(response.body());
                let excerpt: String = text.chars().take(RESPONSE_EXCERPT).collect();
                Ok((response.status().as_u16(), excerpt))
            }
            // The merchant answered: its status counts; its answer is too long to keep.
            Err(RoundTripError::TooLarge { status, .. }) => Ok((status.as_u16(), String::new())),
            Err(RoundTripError::Timeout { timeout }) => {
                Err(format!("no answer within {} ms", millis(timeout)))
            }
            Err(err) => Err(describe(&err)),
        }
    }

    fn record(&self, id: u64, attempt: DeliveryAttempt) {
        let event =
            self.log()
                .record(id, attempt.clone())
                .map(|delivery| SandboxEvent::DeliveryAttempt {
                    delivery_id: id,
                    order_uuid: delivery.order_uuid.clone(),
                    status: delivery.status.clone(),
                    url: delivery.url_for_logs(),
                    attempt,
                });
        self.changed.notify_waiters();
        if let Some(event) = event {
            self.live.publish(event);
        }
    }

    fn finish(&self, id: u64, outcome: DeliveryOutcome) {
        let order_uuid = self.log().finish(id, outcome);
        self.changed.notify_waiters();
        if let Some(order_uuid) = order_uuid {
            self.live.publish(SandboxEvent::DeliverySettled {
                delivery_id: id,
                order_uuid,
                outcome,
            });
        }
    }
}

struct Target {
    uri: Uri,
    signature: HeaderValue,
}

fn target(url: &str, signature: &str) -> Result<Target, String> {
    let uri: Uri = url
        .parse()
        .map_err(|err| format!("callback_url {url:?} is not a URL: {err}"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(format!(
                "the sandbox delivers callbacks over plain http only; {url:?} is https: \
                 give the sandbox an http:// callback_url (e.g. http://127.0.0.1:PORT/callback)"
            ));
        }
        _ => return Err(format!("callback_url {url:?} is not an http URL")),
    }
    let signature =
        HeaderValue::from_str(signature).map_err(|err| format!("bad signature header: {err}"))?;
    Ok(Target { uri, signature })
}

fn attempt_without_answer(
    number: u32,
    started_at: &str,
    elapsed: Duration,
    error: String,
) -> DeliveryAttempt {
    DeliveryAttempt {
        number,
        started_at: started_at.to_owned(),
        duration_ms: millis(elapsed),
        http_status: None,
        response: None,
        error: Some(error),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// An error with its causes, for the delivery log, e.g. "could not connect (nothing was sent):
/// client error (Connect): tcp connect error: Connection refused".
fn describe(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
