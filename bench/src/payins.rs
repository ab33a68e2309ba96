//! Payins created against the sandbox: by our payments [`Client`], or by a raw hyper loop that
//! sends bodies signed beforehand through the client's own transport (the same connection pool):
//! the floor for our stack.

// Rates over counts far below 2^52.
#![allow(clippy::cast_precision_loss)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use kukuruku_proto::{Amount, Currency, PayinRequest};
use kukuruku_sign::Signer;
use kukuruku_tower::transport::HttpsTransport;
use kukuruku_tower::{Client, SecretKey};
use tower::ServiceExt as _;

use crate::deliver::to_usize;

/// Which driver, against which sandbox, how many, how many at once.
#[derive(Clone, Debug, clap::Args)]
pub(crate) struct Options {
    /// The sandbox's API base URL.
    #[arg(long)]
    pub(crate) api: String,
    /// `client` (our `Client::create_payin`) or `raw` (pre-signed bodies, same transport).
    #[arg(long, default_value = "client")]
    pub(crate) driver: String,
    /// Payins to create.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) count: u64,
    /// Payins in flight at once.
    #[arg(long, default_value_t = 1)]
    pub(crate) concurrency: u64,
    /// Order numbers are `PREFIX-N`: a fresh prefix per run keeps them new to the sandbox.
    #[arg(long, default_value = "bench")]
    pub(crate) prefix: String,
}

/// The recipe's payin (seed 002): 500.00 RUB, its callback and redirect URLs.
pub(crate) fn payin(order_number: String, callback_url: &str) -> Result<PayinRequest, String> {
    PayinRequest::builder()
        .amount(Amount::from_decimal("500", &Currency::Rub).map_err(|e| e.to_string())?)
        .currency(Currency::Rub)
        .order_number(order_number)
        .callback_url(callback_url)
        .redirect_success_url("https://your-site.com/success")
        .redirect_fail_url("https://your-site.com/fail")
        .client_id("user@example.com")
        .build()
        .map_err(|e| e.to_string())
}

/// Our client for merchant `1` against `api`.
pub(crate) fn client(api: &str) -> Result<Client<HttpsTransport>, String> {
    let key = SecretKey::new(crate::secret()).map_err(|e| e.to_string())?;
    Client::builder("1", key)
        .base_url(api)
        .build()
        .map_err(|e| e.to_string())
}

/// Runs `work(i)` for every `i` below `count`, `concurrency` at a time; returns the failures
/// and the seconds taken.
pub(crate) async fn each<F, Fut>(count: u64, concurrency: u64, work: F) -> (u64, f64)
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (next, failed, work) = (Arc::clone(&next), Arc::clone(&failed), work.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    if !work(i).await {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    (
        failed.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64(),
    )
}

pub(crate) fn main(options: &Options) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (errors, seconds) = runtime.block_on(run(options))?;
    println!(
        "{}",
        serde_json::json!({
            "count": options.count,
            "errors": errors,
            "seconds": seconds,
            "per_second": options.count as f64 / seconds.max(1e-9),
        })
    );
    Ok(())
}

async fn run(options: &Options) -> Result<(u64, f64), String> {
    let client = Arc::new(client(&options.api)?);
    let callback = "http://127.0.0.1:9/callback";
    let prefix = options.prefix.clone();
    match options.driver.as_str() {
        "client" => {
            let payins: Arc<Vec<PayinRequest>> = Arc::new(
                (0..options.count)
                    .map(|i| payin(format!("{prefix}-{i}"), callback))
                    .collect::<Result<_, _>>()?,
            );
            Ok(each(options.count, options.concurrency, move |i| {
                let (client, payins) = (Arc::clone(&client), Arc::clone(&payins));
                async move { client.create_payin(&payins[to_usize(i)]).await.is_ok() }
            })
            .await)
        }
        "raw" => {
            let signer = Signer::new(&SecretKey::new(crate::secret()).map_err(|e| e.to_string())?);
            let bodies: Arc<Vec<(Bytes, String)>> = Arc::new(
                (0..options.count)
                    .map(|i| {
                        let body = Bytes::from(recipe_body(&format!("{prefix}-{i}"), callback));
                        let signature = signer.sign(&body).to_hex().as_str().to_owned();
                        (body, signature)
                    })
                    .collect(),
            );
            let url = format!("{}/api/v1/orders/payins", options.api);
            Ok(each(options.count, options.concurrency, move |i| {
                let (client, bodies, url) = (Arc::clone(&client), Arc::clone(&bodies), url.clone());
                async move { raw(client.service().clone(), &url, &bodies[to_usize(i)]).await }
            })
            .await)
        }
        other => Err(format!("unknown driver {other}: client or raw")),
    }
}

/// The payin body as the providers' recipe writes it (compact JSON, its field order).
fn recipe_body(order_number: &str, callback_url: &str) -> String {
    serde_json::json!({
        "merchant_id": "1",
        "amount": 50000,
        "currency": "RUB",
        "callback_url": callback_url,
        "order_number": order_number,
        "redirect_success_url": "https://your-site.com/success",
        "redirect_fail_url": "https://your-site.com/fail",
        "customer": {"client_id": "user@example.com"},
    })
    .to_string()
}

async fn raw(transport: HttpsTransport, url: &str, (body, signature): &(Bytes, String)) -> bool {
    let Ok(request) = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("signature", signature.as_str())
        .body(Full::new(body.clone()))
    else {
        return false;
    };
    match transport.oneshot(request).await {
        Ok(answer) => {
            let ok = answer.status().is_success();
            ok && answer.into_body().collect().await.is_ok()
        }
        Err(_) => false,
    }
}
