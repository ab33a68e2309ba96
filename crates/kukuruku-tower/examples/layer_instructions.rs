//! A fixed workload for counting instructions with callgrind (`cargo xtask bench-count`):
//! the layers beside raw HMAC-SHA512 of the same bytes, without the noise of timing on a shared
//! machine.
//!
//! `layer_instructions CASE SIZE ITERATIONS`, CASE one of `inner` (build a request, call the in-memory
//! inner service), `hmac` (raw pre-keyed HMAC of the body), `verify` (the request through
//! `VerifySignature` + inner), `sign` (through `SignRequest` + inner).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::Full;
use kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_tower::{SignRequestLayer, VerifySignatureLayer};
use tower::{Layer, Service};

const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";

fn inner() -> impl Service<
    http::Request<Full<Bytes>>,
    Response = http::Response<()>,
    Error = Infallible,
    Future = std::future::Ready<Result<http::Response<()>, Infallible>>,
> + Clone {
    tower::service_fn(|req: http::Request<Full<Bytes>>| {
        black_box(&req);
        std::future::ready(Ok(http::Response::new(())))
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [case, size, iterations] = &args[..] else {
        eprintln!("usage: layer_instructions CASE SIZE ITERATIONS");
        std::process::exit(2);
    };
    let size: usize = size.parse().expect("SIZE is a number of bytes");
    let iterations: usize = iterations.parse().expect("ITERATIONS is a number");
    let body = Bytes::from(vec![b'x'; size]);
    let key = SecretKey::new(KEY).unwrap();
    let signer = Signer::new(&key);
    let signature = signer.sign(&body).to_hex();
    let request = || {
        http::Request::post("/kukuruku/callback")
            .header("content-type", "application/json")
            .header("signature", signature.as_str())
            .body(Full::new(body.clone()))
            .unwrap()
    };
    let mut alone = inner();
    let mut verify = VerifySignatureLayer::new(Verifier::new(&key))
        .limit(usize::MAX)
        .layer(inner());
    let mut sign = SignRequestLayer::new(&key).layer(inner());
    for _ in 0..iterations {
        match case.as_str() {
            "inner" => {
                black_box(alone.call(request()).now_or_never().unwrap().unwrap());
            }
            "hmac" => {
                black_box(signer.sign(black_box(&body)));
            }
            "verify" => {
                let response = verify.call(request()).now_or_never().unwrap().unwrap();
                assert_eq!(response.status(), 200);
                black_box(response);
            }
            "sign" => {
                black_box(sign.call(request()).now_or_never().unwrap().unwrap());
            }
            other => {
                eprintln!("unknown case {other}");
                std::process::exit(2);
            }
        }
    }
}
