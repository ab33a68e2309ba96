//! A fixed workload for counting instructions with callgrind (`cargo xtask bench-count`):
//! the layers beside raw HMAC-SHA512 of the same bytes, without the noise of timing on a shared
//! machine.
//!
//! `layer_instructions CASE SIZE ITERATIONS`, CASE one of those of
//! `benches/support/fixture.rs`: `inner` (a signed request to the in-memory inner service),
//! `inner-unsigned` (an unsigned one), `hmac` (raw pre-keyed HMAC of the body), `verify` (a
//! signed request through `VerifySignature` + inner), `sign` (an unsigned request through
//! `SignRequest` + inner).
//!
//! The requests are built before, and the answers dropped after, the function `measured`, which
//! is all that the xtask counts (`callgrind --toggle-collect`), as criterion's `iter_batched`
//! leaves them out of its timings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/fixture.rs"]
mod fixture;

use std::hint::black_box;

use futures_util::FutureExt;
use tower::Service;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [case, size, iterations] = &args[..] else {
        eprintln!("usage: layer_instructions CASE SIZE ITERATIONS");
        std::process::exit(2);
    };
    let size: usize = size.parse().expect("SIZE is a number of bytes");
    let iterations: usize = iterations.parse().expect("ITERATIONS is a number");
    let mut f = fixture::fixture(size);
    // Built outside the counted part (none for `hmac`, which has no request), taken from the
    // end of the vector inside it.
    let mut batch: Vec<_> = (0..if case == "hmac" { 0 } else { iterations })
        .map(|_| {
            if case == "sign" || case == "inner-unsigned" {
                f.requests.unsigned()
            } else {
                f.requests.signed()
            }
        })
        .collect();
    let mut answers = Vec::with_capacity(iterations);
    let mut step = || match case.as_str() {
        "hmac" => {
            black_box(f.signer.sign(black_box(&f.requests.body)));
        }
        "inner" | "inner-unsigned" | "verify" | "sign" => {
            let req = batch.pop().unwrap();
            let answer = match case.as_str() {
                "inner" | "inner-unsigned" => f.alone.call(req).now_or_never().unwrap().unwrap(),
                "verify" => f
                    .verify
                    .call(req)
                    .now_or_never()
                    .unwrap()
                    .unwrap()
                    .map(drop),
                _ => f.sign.call(req).now_or_never().unwrap().unwrap(),
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
