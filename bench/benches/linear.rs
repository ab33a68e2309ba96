//! Cost against body size: sign, verify and the whole request through the axum receiver
//! (`VerifySignatureLayer` + `Verified<Callback>`, in memory) at 271 B, 4 KiB and 64 KiB.
//! `cargo xtask bench` runs it and reads the medians from `target/criterion`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use axum::Router;
use axum::body::Body;
use axum::routing::post;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kukuruku_proto::{CALLBACK_ACK, Callback};
use kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_tower::VerifySignatureLayer;
use kukuruku_tower::extract::Verified;
use tower::ServiceExt as _;

#[path = "../src/callback.rs"]
#[allow(dead_code)]
mod callback;

const SIZES: [(&str, usize); 3] = [("271B", 271), ("4KiB", 4096), ("64KiB", 65_536)];

async fn handler(Verified(update): Verified<Callback>) -> &'static [u8] {
    black_box(&update);
    CALLBACK_ACK
}

fn linear(c: &mut Criterion) {
    let key = SecretKey::new("bench-secret").unwrap();
    let (signer, verifier) = (Signer::new(&key), Verifier::new(&key));
    let app = Router::new()
        .route("/callback", post(handler))
        .route_layer(VerifySignatureLayer::new(verifier.clone()));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("linear");
    for (name, size) in SIZES {
        let body = callback::body(1, size);
        let header = signer.sign(&body).to_hex().as_str().to_owned();
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("sign", name), &body, |b, body| {
            b.iter(|| signer.sign(black_box(body)).to_hex());
        });
        group.bench_with_input(BenchmarkId::new("verify", name), &body, |b, body| {
            b.iter(|| {
                verifier
                    .verify(black_box(body), black_box(&header))
                    .unwrap()
            });
        });
        group.bench_with_input(BenchmarkId::new("whole request", name), &body, |b, body| {
            b.iter(|| {
                let request = http::Request::post("/callback")
                    .header("content-type", "application/json")
                    .header("signature", header.as_str())
                    .body(Body::from(body.clone()))
                    .unwrap();
                let answer = runtime.block_on(app.clone().oneshot(request)).unwrap();
                assert!(answer.status().is_success());
            });
        });
    }
    group.finish();
}

criterion_group!(benches, linear);
criterion_main!(benches);
