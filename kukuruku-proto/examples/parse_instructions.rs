//! A fixed workload for counting instructions with callgrind: reading the 271-byte callback
//! beside the HMAC-SHA512 that verifies it (issue #16, target 2: reading costs no more than
//! verifying).
//!
//! `parse_instructions CASE ITERATIONS`, CASE `parse` (`parse_callback`) or `hmac`
//! (`Verifier::verify` of the hex header: pre-keyed HMAC-SHA512 of the same bytes, as a
//! receiver does). Per call: the run's instructions minus those of the same run with 0
//! iterations, divided by ITERATIONS.
//!
//! CASE `ratio` times both instead, interleaved (ITERATIONS rounds of 1 000 calls of each, the
//! fastest round of each kept), and prints parse / verify: a ratio that a loaded machine
//! disturbs far less than two timings taken one after the other.
//!
//! ```text
//! cargo build --release -p kukuruku-proto --example parse_instructions
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/parse_instructions parse 1000
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use std::time::{Duration, Instant};

use kukuruku_proto::kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_proto::parse_callback;

/// The callback of `benches/parse.rs` (271 B).
const CALLBACK: &[u8] = br#"{"uuid":"8f14e45f-ceea-467a-9575-4e1f0c2d7a11","order_number":"order-123456","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1001","created_at":"2024-05-01T12:00:00Z","updated_at":"2024-05-01T12:03:10Z","fee":{"amount":150,"currency":"RUB"}}"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [case, iterations] = &args[..] else {
        eprintln!("usage: parse_instructions parse|hmac|ratio ITERATIONS");
        std::process::exit(2);
    };
    let iterations: usize = iterations.parse().expect("ITERATIONS is a number");
    let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl").unwrap();
    let verifier = Verifier::new(&key);
    let header = Signer::new(&key).sign(CALLBACK).to_hex();
    let parse = || drop(black_box(parse_callback(black_box(CALLBACK)).unwrap()));
    let verify = || {
        verifier
            .verify(black_box(CALLBACK), black_box(header.as_str()))
            .unwrap();
    };
    match case.as_str() {
        "parse" => (0..iterations).for_each(|_| parse()),
        "hmac" => (0..iterations).for_each(|_| verify()),
        "ratio" => {
            let (mut best_parse, mut best_verify) = (Duration::MAX, Duration::MAX);
            for _ in 0..iterations {
                best_parse = best_parse.min(round(parse));
                best_verify = best_verify.min(round(verify));
            }
            println!(
                "parse_callback {:.0} ns, verify {:.0} ns, parse / verify {:.2}",
                best_parse.as_secs_f64() * 1e6,
                best_verify.as_secs_f64() * 1e6,
                best_parse.as_secs_f64() / best_verify.as_secs_f64()
            );
        }
        _ => {
            eprintln!("CASE is parse, hmac or ratio");
            std::process::exit(2);
        }
    }
}

/// The time of 1 000 calls of `f`.
fn round(f: impl Fn()) -> Duration {
    let start = Instant::now();
    (0..1000).for_each(|_| f());
    start.elapsed()
}
