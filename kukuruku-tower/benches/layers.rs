//! The cost of the layers beside raw HMAC-SHA512 of the same bytes.
//!
//! `cargo bench -p kukuruku-tower -- --warm-up-time 1 --measurement-time 4`, then
//! `cargo xtask bench-table`.
//!
//! For each body size, the cases of `support/fixture.rs`: the inner (in-memory) service alone
//! (fed a signed request, and an unsigned one), raw HMAC of the body, a signed request through
//! the verify service and an unsigned one through the sign service, over the same inner service.
//! Every future completes on its first poll (the body is in memory), so no runtime is involved.
//! A layer's cost is (layer + inner − inner alone) ÷ raw HMAC, "inner alone" fed the request the
//! layer is given.
//!
//! Two ways to feed the requests:
//!
//! - **per call**: each iteration builds its request, sends it and drops the answer, in the
//!   inner-alone case as in the layer cases, so building it cancels out in the subtraction.
//!   Memory is allocated and freed request by request, as in a server.
//! - **prebuilt**: criterion's `iter_batched` builds a batch of requests before timing them.
//!   Freeing hundreds of requests built earlier leaves the system allocator in a state a server
//!   does not see, and the allocations the verify layer makes per request (the
//!   `VerifiedSignature` extension) then cost more.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "support/fixture.rs"]
mod fixture;

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::FutureExt;
use tower::Service;

/// Sends `req` through `service` (every future here completes on its first poll).
fn send<S, R>(service: &mut S, req: R) -> S::Response
where
    S: Service<R>,
    S::Error: std::fmt::Debug,
{
    service.call(req).now_or_never().unwrap().unwrap()
}

/// The answer of a verified request, checked: the success path is what is measured.
fn ok<B>(response: http::Response<B>) -> http::Response<B> {
    assert_eq!(response.status(), 200);
    response
}

fn layers(c: &mut Criterion) {
    for (name, len) in [("274B", 274usize), ("64KiB", 64 * 1024)] {
        let mut f = fixture::fixture(len);
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(len as u64));

        group.bench_function("inner service alone", |b| {
            b.iter(|| send(&mut f.alone, f.requests.signed()));
        });
        group.bench_function("inner service alone, unsigned", |b| {
            b.iter(|| send(&mut f.alone, f.requests.unsigned()));
        });
        group.bench_function("raw HMAC-SHA512", |b| {
            b.iter(|| f.signer.sign(black_box(&f.requests.body)));
        });
        group.bench_function("VerifySignature + inner", |b| {
            b.iter(|| ok(send(&mut f.verify, f.requests.signed())));
        });
        group.bench_function("SignRequest + inner", |b| {
            b.iter(|| send(&mut f.sign, f.requests.unsigned()));
        });
        group.bench_function("inner service alone, prebuilt", |b| {
            b.iter_batched(
                || f.requests.signed(),
                |req| send(&mut f.alone, req),
                BatchSize::SmallInput,
            );
        });
        group.bench_function("inner service alone, unsigned, prebuilt", |b| {
            b.iter_batched(
                || f.requests.unsigned(),
                |req| send(&mut f.alone, req),
                BatchSize::SmallInput,
            );
        });
        group.bench_function("VerifySignature + inner, prebuilt", |b| {
            b.iter_batched(
                || f.requests.signed(),
                |req| ok(send(&mut f.verify, req)),
                BatchSize::SmallInput,
            );
        });
        group.bench_function("SignRequest + inner, prebuilt", |b| {
            b.iter_batched(
                || f.requests.unsigned(),
                |req| send(&mut f.sign, req),
                BatchSize::SmallInput,
            );
        });
        group.finish();
    }
}

criterion_group!(benches, layers);
criterion_main!(benches);
