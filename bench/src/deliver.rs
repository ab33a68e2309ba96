//! Callback delivery: payins created with our client (64 at a time) with their callback URL at
//! a receiver that answers at once (`serve sink`), then each moved to `paid` through the
//! sandbox's control API (64 at a time); delivery rate = callbacks the receiver counted over
//! the time from the first move to the last callback.

// Rates over counts far below 2^52.
#![allow(clippy::cast_precision_loss)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::payins::{client, each, payin};

/// The sandbox, the receiver, how many orders.
#[derive(Clone, Debug, clap::Args)]
pub(crate) struct Options {
    /// The sandbox's API base URL.
    #[arg(long)]
    pub(crate) api: String,
    /// The sandbox's control URL (`{base}/sandbox`).
    #[arg(long)]
    pub(crate) control: String,
    /// The receiver's callback URL (`serve sink`); its count is at `/count` beside it.
    #[arg(long)]
    pub(crate) sink: String,
    /// Orders to pay.
    #[arg(long, default_value_t = 5_000)]
    pub(crate) orders: u64,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 64)]
    pub(crate) concurrency: u64,
}

type Http = HttpClient<HttpConnector, Full<Bytes>>;

pub(crate) fn main(options: &Options) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let line = runtime.block_on(run(options))?;
    println!("{line}");
    Ok(())
}

async fn run(options: &Options) -> Result<serde_json::Value, String> {
    let payments = Arc::new(client(&options.api)?);
    let tokens = Arc::new(std::sync::Mutex::new(vec![
        String::new();
        to_usize(options.orders)
    ]));
    let (sink, stamp) = (options.sink.clone(), std::process::id());
    let (create_errors, create_seconds) = {
        let tokens = Arc::clone(&tokens);
        each(options.orders, options.concurrency, move |i| {
            let (payments, tokens, sink) =
                (Arc::clone(&payments), Arc::clone(&tokens), sink.clone());
            async move {
                let Ok(request) = payin(format!("deliver-{stamp}-{i}"), &sink) else {
                    return false;
                };
                let Ok(created) = payments.create_payin(&request).await else {
                    return false;
                };
                if let Ok(mut all) = tokens.lock() {
                    created.token.as_str().clone_into(&mut all[to_usize(i)]);
                }
                true
            }
        })
        .await
    };
    let http: Http = HttpClient::builder(TokioExecutor::new()).build_http();
    let count_url = options.sink.replace("/callback", "/count");
    let before = count(&http, &count_url).await?;
    let tokens: Arc<Vec<String>> = Arc::new(tokens.lock().map_err(|e| e.to_string())?.clone());
    let control = options.control.clone();
    let moves = {
        let http = http.clone();
        each(options.orders, options.concurrency, move |i| {
            let (http, tokens, control) = (http.clone(), Arc::clone(&tokens), control.clone());
            async move { pay(&http, &control, &tokens[to_usize(i)]).await }
        })
    };
    let started = Instant::now();
    let (move_errors, move_seconds) = moves.await;
    let expected = options.orders - move_errors;
    let mut delivered = count(&http, &count_url).await? - before;
    while delivered < expected && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(5)).await;
        delivered = count(&http, &count_url).await? - before;
    }
    let delivery_seconds = started.elapsed().as_secs_f64();
    Ok(serde_json::json!({
        "orders": options.orders,
        "create_errors": create_errors,
        "create_per_second": options.orders as f64 / create_seconds,
        "move_errors": move_errors,
        "moves_per_second": options.orders as f64 / move_seconds,
        "delivered": delivered,
        "delivery_seconds": delivery_seconds,
        "delivered_per_second": delivered as f64 / delivery_seconds,
    }))
}

pub(crate) fn to_usize(i: u64) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}

async fn pay(http: &Http, control: &str, token: &str) -> bool {
    let Ok(request) = http::Request::post(format!("{control}/orders/{token}/status"))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from_static(br#"{"status":"paid"}"#)))
    else {
        return false;
    };
    match http.request(request).await {
        Ok(answer) => answer.status().is_success() && answer.into_body().collect().await.is_ok(),
        Err(_) => false,
    }
}

async fn count(http: &Http, url: &str) -> Result<u64, String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| e.to_string())?;
    let answer = http.get(uri).await.map_err(|e| e.to_string())?;
    let body = answer
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    String::from_utf8_lossy(&body.to_bytes())
        .trim()
        .parse()
        .map_err(|e: std::num::ParseIntError| e.to_string())
}
