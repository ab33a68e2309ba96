//! The layers' cost beside raw HMAC-SHA512 in wall time, measured so that a shared, noisy
//! machine disturbs the ratio as little as possible (`cargo xtask bench-ratio`).
//!
//! `layer_ratio [ROUNDS]` times four cases at 274 B and at 64 KiB: the in-memory inner service
//! alone, raw pre-keyed HMAC of the body, `VerifySignature` + inner and `SignRequest` + inner.
//! Each round times every case once, one batch each, in turn, so that a slow spell of the machine
//! falls on all of them alike; each case keeps its fastest batch over the rounds (noise only ever
//! adds time). Requests are built before a batch's clock starts and its answers dropped after it
//! stops, as in the criterion bench (`benches/layers.rs`), whose medians move by several percent
//! from one run to the next here.
//!
//! The ratio is the issue's: (layer + inner − inner alone) ÷ raw HMAC.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::convert::Infallible;
use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use futures_util::FutureExt;
use http_body_util::Full;
use kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_tower::{SignRequestLayer, VerifySignatureLayer};
use tower::{Layer, Service};

const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
const CASES: [&str; 4] = [
    "inner service alone",
    "raw HMAC-SHA512",
    "VerifySignature + inner",
    "SignRequest + inner",
];

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

/// The fastest batch of each case, in nanoseconds per call.
fn measure(size: usize, batch: usize, rounds: usize) -> [f64; 4] {
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
        .limit(64 * 1024)
        .layer(inner());
    let mut sign = SignRequestLayer::new(&key).layer(inner());
    let mut best = [f64::INFINITY; 4];
    for round in 0..rounds {
        for step in 0..CASES.len() {
            // A different case goes first in each round.
            let case = (round + step) % CASES.len();
            let requests: Vec<_> = (0..batch)
                .map(|_| if case == 3 { unsigned() } else { request() })
                .collect();
            let mut answers = Vec::with_capacity(batch);
            let mut unused = Vec::new();
            let start = Instant::now();
            match case {
                0 => {
                    for req in requests {
                        answers.push(alone.call(req).now_or_never().unwrap().unwrap().map(drop));
                    }
                }
                1 => {
                    for _ in 0..batch {
                        black_box(signer.sign(black_box(&body)));
                    }
                    unused = requests;
                }
                2 => {
                    for req in requests {
                        let answer = verify.call(req).now_or_never().unwrap().unwrap();
                        answers.push(answer.map(drop));
                    }
                }
                _ => {
                    for req in requests {
                        let answer = sign.call(req).now_or_never().unwrap().unwrap();
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
        let (unit, scale) = if hmac > 10_000.0 {
            ("µs", 1000.0)
        } else {
            ("ns", 1.0)
        };
        println!(
            "| {name} | {:.1} {unit} | {:.1} {unit} | {:.1} {unit} | {:.1} {unit} | {:.3}× | {:.3}× |",
            alone / scale,
            hmac / scale,
            verify / scale,
            sign / scale,
            (verify - alone) / hmac,
            (sign - alone) / hmac,
        );
    }
}
