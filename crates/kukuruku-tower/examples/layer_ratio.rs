//! The layers' cost beside raw HMAC-SHA512 in wall time, measured so that a shared, noisy
//! machine disturbs the ratio as little as possible (`cargo xtask bench-ratio`).
//!
//! `layer_ratio [ROUNDS]` times the four cases of `benches/support/fixture.rs` at 274 B and at
//! 64 KiB: the in-memory inner service alone, raw pre-keyed HMAC of the body, a signed request
//! through `VerifySignature` + inner and an unsigned one through `SignRequest` + inner. Each
//! round times every case once, one batch each, in turn, so that a slow spell of the machine
//! falls on all of them alike; each case keeps its fastest batch over the rounds (noise only ever
//! adds time). Requests are built before a batch's clock starts and its answers dropped after it
//! stops, as in the criterion bench (`benches/layers.rs`), whose medians move by several percent
//! from one run to the next here.
//!
//! The ratio is the issue's: (layer + inner − inner alone) ÷ raw HMAC.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/fixture.rs"]
mod fixture;

use std::hint::black_box;
use std::time::Instant;

use futures_util::FutureExt;
use tower::Service;

const CASES: usize = 4;

/// The fastest batch of each case, in nanoseconds per call.
fn measure(size: usize, batch: usize, rounds: usize) -> [f64; CASES] {
    let mut f = fixture::fixture(size);
    let mut best = [f64::INFINITY; CASES];
    for round in 0..rounds {
        for step in 0..CASES {
            // A different case goes first in each round.
            let case = (round + step) % CASES;
            let batch_of: Vec<_> = (0..batch)
                .map(|_| {
                    if case == 3 {
                        f.requests.unsigned()
                    } else {
                        f.requests.signed()
                    }
                })
                .collect();
            let mut answers = Vec::with_capacity(batch);
            let mut unused = Vec::new();
            let start = Instant::now();
            match case {
                0 => {
                    for req in batch_of {
                        answers.push(f.alone.call(req).now_or_never().unwrap().unwrap().map(drop));
                    }
                }
                1 => {
                    for _ in 0..batch {
                        black_box(f.signer.sign(black_box(&f.requests.body)));
                    }
                    unused = batch_of;
                }
                2 => {
                    for req in batch_of {
                        let answer = f.verify.call(req).now_or_never().unwrap().unwrap();
                        answers.push(answer.map(drop));
                    }
                }
                _ => {
                    for req in batch_of {
                        let answer = f.sign.call(req).now_or_never().unwrap().unwrap();
                        answers.push(answer.map(drop));
                    }
                }
            }
            let elapsed = start.elapsed();
            assert!(answers.iter().all(|answer| answer.status() == 200));
            drop((answers, unused));
            #[allow(clippy::cast_precision_loss)]
            let per_call = elapsed.as_nanos() as f64 / batch as f64;
            best[case] = best[case].min(per_call);
        }
    }
    best
}

/// Nanoseconds as text, in µs from 10 µs up.
fn time(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .map_or(200, |text| text.parse().expect("ROUNDS is a number"));
    println!(
        "| body | inner alone | raw HMAC | verify + inner | sign + inner | verify ratio | sign ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, size, batch) in [("274 B", 274, 1000), ("64 KiB", 64 * 1024, 20)] {
        let [alone, hmac, verify, sign] = measure(size, batch, rounds);
        println!(
            "| {name} | {} | {} | {} | {} | {:.3}× | {:.3}× |",
            time(alone),
            time(hmac),
            time(verify),
            time(sign),
            (verify - alone) / hmac,
            (sign - alone) / hmac,
        );
    }
}
