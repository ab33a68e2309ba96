//! The layers' cost beside raw HMAC-SHA512 in wall time, measured so that a shared, noisy
//! machine disturbs the ratio as little as possible (`cargo xtask bench-ratio`).
//!
//! `layer_ratio [ROUNDS]` times the cases of `benches/support/fixture.rs` at 274 B and at
//! 64 KiB: the in-memory inner service alone (fed a signed request, and an unsigned one), raw
//! pre-keyed HMAC of the body, a signed request through `VerifySignature` + inner and an
//! unsigned one through `SignRequest` + inner. Each
//! round times every case once, one batch each, in turn, so that a slow spell of the machine
//! falls on all of them alike; each case keeps its fastest batch over the rounds (noise only ever
//! adds time). It does so twice, with the two ways of feeding requests of the criterion bench
//! (`benches/layers.rs`): built per call inside the timed loop, or
//! prebuilt before the clock starts. Criterion's medians move by several percent from one run to
//! the next here; these minimums move less.
//!
//! The ratio is the issue's: (layer + inner − inner alone) ÷ raw HMAC, where "inner alone" is
//! fed the request the layer is given.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../benches/support/fixture.rs"]
mod fixture;

use std::hint::black_box;
use std::time::Instant;

use futures_util::FutureExt;
use tower::Service;

/// Inner alone (signed request), raw HMAC, verify + inner, sign + inner, inner alone (unsigned
/// request: the sign layer's baseline).
const CASES: usize = 5;

/// How the requests reach the services (see `benches/layers.rs`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Feed {
    /// Each call builds its request inside the timed loop, in the inner-alone case as in the
    /// layer cases (building cancels out in the subtraction): allocated and freed request by
    /// request, as in a server.
    PerCall,
    /// A batch of requests is built before the clock starts, and the answers are dropped after
    /// it stops.
    Prebuilt,
}

/// The fastest batch of each case, in nanoseconds per call.
fn measure(size: usize, batch: usize, rounds: usize, feed: Feed) -> [f64; CASES] {
    let mut f = fixture::fixture(size);
    let mut best = [f64::INFINITY; CASES];
    for round in 0..rounds {
        for step in 0..CASES {
            // A different case goes first in each round.
            let case = (round + step) % CASES;
            let prebuilt: Vec<_> = if feed == Feed::Prebuilt && case != 1 {
                (0..batch)
                    .map(|_| {
                        if case >= 3 {
                            f.requests.unsigned()
                        } else {
                            f.requests.signed()
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let mut answers = Vec::with_capacity(prebuilt.len());
            let mut requests = prebuilt.into_iter();
            // The next request: taken from the batch, or built now.
            let mut next = |signed: bool| match feed {
                Feed::Prebuilt => requests.next().unwrap(),
                Feed::PerCall if signed => f.requests.signed(),
                Feed::PerCall => f.requests.unsigned(),
            };
            let mut ok = true;
            let start = Instant::now();
            for _ in 0..batch {
                let answer = match case {
                    0 => f.alone.call(next(true)).now_or_never().unwrap().unwrap(),
                    1 => {
                        black_box(f.signer.sign(black_box(&f.requests.body)));
                        continue;
                    }
                    2 => f
                        .verify
                        .call(next(true))
                        .now_or_never()
                        .unwrap()
                        .unwrap()
                        .map(drop),
                    3 => f.sign.call(next(false)).now_or_never().unwrap().unwrap(),
                    _ => f.alone.call(next(false)).now_or_never().unwrap().unwrap(),
                };
                match feed {
                    Feed::PerCall => ok &= answer.status() == 200,
                    Feed::Prebuilt => answers.push(answer),
                }
            }
            let elapsed = start.elapsed();
            assert!(ok && answers.iter().all(|answer| answer.status() == 200));
            drop(answers);
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
        "| body | requests | inner alone, signed | inner alone, unsigned | raw HMAC | verify + inner | sign + inner | verify ratio | sign ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, size, batch) in [("274 B", 274, 1000), ("64 KiB", 64 * 1024, 20)] {
        for (feed, label) in [(Feed::PerCall, "per call"), (Feed::Prebuilt, "prebuilt")] {
            let [alone, hmac, verify, sign, alone_unsigned] = measure(size, batch, rounds, feed);
            println!(
                "| {name} | {label} | {} | {} | {} | {} | {} | {:.3}× | {:.3}× |",
                time(alone),
                time(alone_unsigned),
                time(hmac),
                time(verify),
                time(sign),
                (verify - alone) / hmac,
                (sign - alone_unsigned) / hmac,
            );
        }
    }
}
