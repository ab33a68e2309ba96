//! The cost of the layers beside raw HMAC-SHA512 of the same bytes.
//!
//! `cargo bench -p kukuruku-tower -- --warm-up-time 1 --measurement-time 3`
//!
//! For each body size: the inner (in-memory) service alone, raw HMAC of the body, the verify
//! service and the sign service over the same inner service. Requests are built outside the
//! timed section; every future completes on its first poll (the body is in memory), so no
//! runtime is involved.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::hint::black_box;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::FutureExt;
use http_body_util::Full;
use kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_tower::{SignRequestLayer, VerifySignatureLayer};
use tower::{Layer, Service};

const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";

fn body(len: usize) -> Bytes {
    let mut text =
        String::from(r#"{"uuid":"5d0f2a4e-0000-4000-8000-000000000001","status":"paid","pad":""#);
    while text.len() < len - 2 {
        text.push('x');
    }
    text.push_str("\"}");
    Bytes::from(text)
}

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

fn layers(c: &mut Criterion) {
    let key = SecretKey::new(KEY).unwrap();
    let signer = Signer::new(&key);
    for (name, len) in [("274B", 274usize), ("64KiB", 64 * 1024)] {
        let body = body(len);
        assert_eq!(body.len(), len);
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

        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(len as u64));

        let mut alone = inner();
        group.bench_function("inner service alone", |b| {
            b.iter_batched(
                request,
                |req| alone.call(req).now_or_never().unwrap().unwrap(),
                BatchSize::SmallInput,
            );
        });
        group.bench_function("raw HMAC-SHA512", |b| {
            b.iter(|| signer.sign(black_box(&body)));
        });
        let mut verify = VerifySignatureLayer::new(Verifier::new(&key))
            .limit(64 * 1024)
            .layer(inner());
        group.bench_function("VerifySignature + inner", |b| {
            b.iter_batched(
                request,
                |req| {
                    let response = verify.call(req).now_or_never().unwrap().unwrap();
                    assert_eq!(response.status(), 200);
                    response
                },
                BatchSize::SmallInput,
            );
        });
        let mut sign = SignRequestLayer::new(&key).layer(inner());
        group.bench_function("SignRequest + inner", |b| {
            b.iter_batched(
                unsigned,
                |req| sign.call(req).now_or_never().unwrap().unwrap(),
                BatchSize::SmallInput,
            );
        });
        group.finish();
    }
}

criterion_group!(benches, layers);
criterion_main!(benches);
