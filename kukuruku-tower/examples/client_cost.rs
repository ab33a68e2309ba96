//! What the payments client costs over a raw hyper loop (issue #16, target 4): one process, one
//! thread, an in-process hyper server answering every POST with a canned, signed
//! `PayinCreated`, and N calls, one at a time, over the same pooled connection.
//!
//! ```text
//! client_cost client N   # N × Client::create_payin (serialise, sign, send, verify, read)
//! client_cost raw N      # N × hyper_util's legacy client POSTing the same pre-signed bytes
//! client_cost sandbox URL N C   # N payins, C at a time, against a running sandbox at URL
//! ```
//!
//! The `sandbox` mode is the load of issue #16's target 5 (`kukuruku sandbox`, the secret key
//! in `KUKURUKU_SECRET_KEY`, merchant 1): each payin has its own order number; it prints the
//! payins per second.
//!
//! Run `client` and `raw` under `valgrind --tool=callgrind` twice (N = 200 and N = 2 200): the
//! difference of the instruction counts over 2 000 is the cost of one call, server included
//! (the same in both), start-up left out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as RawClient;
use hyper_util::rt::{TokioExecutor, TokioIo};
use kukuruku_proto::{Amount, Currency, Endpoint, PayinRequest, add_signature};
use kukuruku_tower::{Client, SecretKey, Signer};
use tokio::net::TcpListener;

const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
const ANSWER: &[u8] = br#"{"success":true,"token":"8f14e45f-ceea-467a-9575-4e1f0c2d7a11","url":"https://pay.example.com/8f14e45f-ceea-467a-9575-4e1f0c2d7a11"}"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match &args[..] {
        [mode, n] => runtime.block_on(run(mode, n.parse().unwrap())),
        [sandbox, url, n, c] if sandbox == "sandbox" => {
            runtime.block_on(load(url, n.parse().unwrap(), c.parse().unwrap()));
        }
        _ => {
            eprintln!("usage: client_cost client|raw N | sandbox URL N C");
            std::process::exit(2);
        }
    }
}

/// `n` payins against the sandbox at `url`, `c` at a time; prints the rate.
async fn load(url: &str, n: usize, c: usize) {
    let key = SecretKey::new(std::env::var("KUKURUKU_SECRET_KEY").unwrap()).unwrap();
    let client = Client::builder("1", key).base_url(url).build().unwrap();
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..c)
        .map(|task| {
            let client = client.clone();
            tokio::spawn(async move {
                for i in (task..n).step_by(c) {
                    let payin = PayinRequest::builder()
                        .amount(Amount::new(50_000).unwrap())
                        .currency(Currency::Rub)
                        .order_number(format!("kukuruku-load-{}-{i}", std::process::id()))
                        .callback_url("https://merchant.example.com/kukuruku/callback")
                        .redirect_success_url("https://merchant.example.com/paid")
                        .redirect_fail_url("https://merchant.example.com/failed")
                        .client_id("customer@example.com")
                        .build()
                        .unwrap();
                    black_box(client.create_payin(&payin).await.unwrap());
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{n} payins, {c} at a time: {:.0} payins/s",
        n as f64 / elapsed
    );
}

/// Serves every connection with the canned answer, signed.
async fn serve(listener: TcpListener) {
    let key = SecretKey::new(KEY).unwrap();
    let signature = Signer::new(&key).sign(ANSWER).to_hex();
    let signature = http::HeaderValue::from_str(signature.as_str()).unwrap();
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        let signature = signature.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let signature = signature.clone();
                async move {
                    black_box(req.into_body().collect().await.unwrap().to_bytes());
                    let mut response = Response::new(Full::new(Bytes::from_static(ANSWER)));
                    response.headers_mut().insert("signature", signature);
                    response.headers_mut().insert(
                        "content-type",
                        http::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(response)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn run(mode: &str, n: usize) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    tokio::spawn(serve(listener));
    let key = SecretKey::new(KEY).unwrap();
    let client = Client::builder("1001", key.clone())
        .base_url(&base)
        .build()
        .unwrap();
    let payin = PayinRequest::builder()
        .amount(Amount::new(50_000).unwrap())
        .currency(Currency::Rub)
        .order_number("order-123456")
        .callback_url("https://merchant.example.com/kukuruku/callback")
        .redirect_success_url("https://merchant.example.com/paid")
        .redirect_fail_url("https://merchant.example.com/failed")
        .client_id("customer@example.com")
        .build()
        .unwrap();
    match mode {
        "client" => {
            for _ in 0..n {
                black_box(client.create_payin(&payin).await.unwrap());
            }
        }
        "raw" => {
            let mut signed = payin.to_request(client.config()).unwrap();
            add_signature(&mut signed, client.config(), &Signer::new(&key)).unwrap();
            let (parts, body) = signed.into_parts();
            let raw = RawClient::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
            for _ in 0..n {
                let mut request = Request::new(Full::new(body.clone()));
                *request.method_mut() = parts.method.clone();
                *request.uri_mut() = parts.uri.clone();
                *request.headers_mut() = parts.headers.clone();
                let response = raw.request(request).await.unwrap();
                assert!(response.status().is_success());
                black_box(response.into_body().collect().await.unwrap().to_bytes());
            }
        }
        other => panic!("unknown mode {other}"),
    }
}
