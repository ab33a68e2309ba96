//! What verifying a callback costs the whole server (issue #16, target 1): one receiver served
//! by hyper on one thread, with and without verification, both reading the `Callback`.
//!
//! ```text
//! receiver_cost serve MODE N        # prints the port, serves one connection, then exits
//! receiver_cost send PORT SIZE N    # sends N signed callbacks of SIZE bytes on one connection
//! ```
//!
//! MODE is one of
//! - `axum-plain`: axum's router, the handler takes the body as `Bytes` and reads it with
//!   `parse_callback` (no verification);
//! - `axum-verify`: the same router with `VerifySignatureLayer` as a route layer and a
//!   `Verified<Callback>` handler (what the README shows);
//! - `axum-extractor`: `Verified<Callback>` alone, its verifier in an `Extension`;
//! - `hyper-plain`: a `tower::service_fn` that collects the body and calls `parse_callback`,
//!   served by hyper without axum;
//! - `hyper-verify`: the same service behind `VerifySignatureLayer`.
//!
//! Run the server under `valgrind --tool=callgrind` and the sender natively, twice (N = 200 and
//! N = 2 200): the difference of the server's instruction counts over 2 000 is its cost per
//! request, start-up and shut-down left out. Natively, the server prints the CPU time it spent
//! (user and system) per request, N being the number the sender sends. SIZE is 271 (the callback of
//! `kukuruku-proto/benches/parse.rs`) or any larger size, padded with an extra field.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::hint::black_box;
use std::io::Write;

use axum::Router;
use axum::extract::Extension;
use axum::routing::post;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use kukuruku_proto::{CALLBACK_ACK, Callback, parse_callback};
use kukuruku_tower::extract::Verified;
use kukuruku_tower::{SecretKey, Signer, Verifier, VerifySignatureLayer};
use tokio::net::{TcpListener, TcpStream};
use tower::Layer;

const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
const CALLBACK: &str = r#"{"uuid":"8f14e45f-ceea-467a-9575-4e1f0c2d7a11","order_number":"order-123456","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1001","created_at":"2024-05-01T12:00:00Z","updated_at":"2024-05-01T12:03:10Z","fee":{"amount":150,"currency":"RUB"}}"#;
const PATH: &str = "/kukuruku/callback";

/// The callback, padded to `size` bytes with a `"pad"` field when larger.
fn body(size: usize) -> Bytes {
    if size <= CALLBACK.len() {
        return Bytes::from_static(CALLBACK.as_bytes());
    }
    let fill = size - CALLBACK.len() - r#","pad":"""#.len();
    let head = &CALLBACK[..CALLBACK.len() - 1];
    Bytes::from(format!(r#"{head},"pad":"{}"}}"#, "x".repeat(fill)))
}

fn verifier() -> Verifier {
    Verifier::new(&SecretKey::new(KEY).unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match &args[..] {
        [serve, mode, n] if serve == "serve" => {
            let start = cpu_ns();
            runtime.block_on(serve_one(mode));
            let n: u64 = n.parse().unwrap();
            let spent = cpu_ns() - start;
            // Nanoseconds in a run and requests per run stay far below 2^52.
            #[allow(clippy::cast_precision_loss)]
            let per_request = spent as f64 / n.max(1) as f64 / 1e3;
            eprintln!("server CPU per request: {per_request:.2} us");
        }
        [send, port, size, n] if send == "send" => {
            runtime.block_on(send_all(port, size.parse().unwrap(), n.parse().unwrap()));
        }
        _ => {
            eprintln!("usage: receiver_cost serve MODE SIZE | send PORT SIZE N");
            std::process::exit(2);
        }
    }
}

async fn on_plain(body: Bytes) -> &'static [u8] {
    black_box(parse_callback(&body).unwrap());
    CALLBACK_ACK
}

async fn on_verified(Verified(update): Verified<Callback>) -> &'static [u8] {
    black_box(update);
    CALLBACK_ACK
}

/// The plain-hyper inner service: collects the body and reads it.
async fn inner<B: Body<Data = Bytes>>(req: Request<B>) -> Result<Response<Full<Bytes>>, Infallible>
where
    B::Error: std::fmt::Debug,
{
    let body = req.into_body().collect().await.unwrap().to_bytes();
    black_box(parse_callback(&body).unwrap());
    Ok(Response::new(Full::new(Bytes::from_static(CALLBACK_ACK))))
}

/// The CPU time this process has run so far, user and system, in nanoseconds (Linux's
/// `/proc/self/schedstat`; 0 elsewhere).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Serves one connection with `mode`, then returns.
async fn serve_one(mode: &str) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    println!("{port}");
    std::io::stdout().flush().unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    let io = TokioIo::new(stream);
    let http = hyper::server::conn::http1::Builder::new();
    let layer = VerifySignatureLayer::new(verifier());
    let served = match mode {
        "axum-plain" => {
            let app = Router::new().route(PATH, post(on_plain));
            http.serve_connection(io, TowerToHyperService::new(app))
                .await
        }
        "axum-verify" => {
            let app = Router::new()
                .route(PATH, post(on_verified))
                .route_layer(layer);
            http.serve_connection(io, TowerToHyperService::new(app))
                .await
        }
        "axum-extractor" => {
            let app = Router::new()
                .route(PATH, post(on_verified))
                .layer(Extension(verifier()));
            http.serve_connection(io, TowerToHyperService::new(app))
                .await
        }
        "hyper-plain" => {
            let service = tower::service_fn(inner);
            http.serve_connection(io, TowerToHyperService::new(service))
                .await
        }
        "hyper-verify" => {
            let service = layer.layer(tower::service_fn(inner));
            http.serve_connection(io, TowerToHyperService::new(service))
                .await
        }
        other => panic!("unknown MODE {other}"),
    };
    served.unwrap();
}

/// Sends `n` signed callbacks of `size` bytes on one connection, each answered 200.
async fn send_all(port: &str, size: usize, n: usize) {
    let stream = TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let driver = tokio::spawn(connection);
    let body = body(size);
    let key = SecretKey::new(KEY).unwrap();
    let signature = Signer::new(&key).sign(&body).to_hex();
    for _ in 0..n {
        let request = Request::post(PATH)
            .header("host", "127.0.0.1")
            .header("content-type", "application/json")
            .header("signature", signature.as_str())
            .body(Full::new(body.clone()))
            .unwrap();
        sender.ready().await.unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let answer = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&answer[..], CALLBACK_ACK);
    }
    drop(sender);
    driver.await.unwrap().unwrap();
}
