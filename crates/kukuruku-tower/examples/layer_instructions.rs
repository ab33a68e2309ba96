//! A fixed workload for counting instructions with callgrind (`cargo xtask bench-count`):
//! the layers beside raw HMAC-SHA512 of the same bytes, without the noise of timing on a shared
//! machine.
//!
//! `layer_instructions CASE SIZE ITERATIONS`, CASE one of `inner` (call the in-memory inner
//! service), `hmac` (raw pre-keyed HMAC of the body), `verify` (the request through
//! `VerifySignature` + inner), `sign` (an unsigned request through `SignRequest` + inner).
//!
//! The requests are built before, and the answers dropped after, the function [`measured`],
//! which is all that the xtask counts (`callgrind --toggle-collect`), as criterion's
//! `iter_batched` leaves them out of its timings.
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
    // What the inner service receives in every case: the body, its type and its signature.
    // The sign layer starts from the same request before it is signed.
    let request = || {
        http::Request::post("/kukuruku/callback")
            .header("content-type", "application/json")
            .header("signature", signature.as_str())
            .body(Full::new(body.clone()))
            .unwrap()
    };
    let unsigned = || {
        http::Request::post("/kukuruku/callback")
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
            .unwrap()
    };
    let mut alone = inner();
    let mut verify = VerifySignatureLayer::new(Verifier::new(&key))
        .limit(usize::MAX)
        .layer(inner());
    let mut sign = SignRequestLayer::new(&key).layer(inner());
    // Built outside the counted part (none for `hmac`, which has no request), taken from the
    // end of the vector inside it.
    let mut requests: Vec<_> = (0..if case == "hmac" { 0 } else { iterations })
        .map(|_| {
            if case == "sign" {
                unsigned()
            } else {
                request()
            }
        })
        .collect();
    let mut answers = Vec::with_capacity(iterations);
    let mut step = || match case.as_str() {
        "hmac" => {
            black_box(signer.sign(black_box(&body)));
        }
        "inner" | "verify" | "sign" => {
            let req = requests.pop().unwrap();
            let answer = match case.as_str() {
                "inner" => alone.call(req).now_or_never().unwrap().unwrap(),
                "verify" => verify.call(req).now_or_never().unwrap().unwrap().map(drop),
                _ => sign.call(req).now_or_never().unwrap().unwrap(),
            };
            answers.push(answer);
        }
        other => {
            eprintln!("unknown case {other}");
            std::process::exit(2);
        }
    };
    measured(iterations, &mut step);
    assert!(answers.iter().all(|answer| answer.status() == 200));
}

/// The counted part: `iterations` steps of the case.
#[inline(never)]
fn measured(iterations: usize, step: &mut dyn FnMut()) {
    for _ in 0..iterations {
        step();
    }
}
