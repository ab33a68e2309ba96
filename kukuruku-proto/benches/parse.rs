//! The cost of refusing duplicate keys (`read_json`) on the bodies read on every request.
//!
//! `cargo bench -p kukuruku-proto --bench parse -- --warm-up-time 1 --measurement-time 4`
//!
//! Each group reads the same bytes twice: as this crate does (`parse_callback`, `read_json`),
//! and the way it did before duplicate keys were refused (`serde_json` into a map, then
//! `Order::from_map`; `serde_json::from_slice` for a `Value`), which keeps the last of two
//! equal keys. The difference is the price of the check.
//!
//! The first function of the group is the HMAC-SHA512 of the same bytes (pre-keyed, as a
//! receiver verifies them, hex header decoded and compared): issue #16 asks that reading a
//! callback costs no more than verifying it. Instruction counts of both:
//! `examples/parse_instructions.rs`.
//!
//! Issue #16 (2026-11-29, release build): the order is now read in one pass, the documented
//! fields taken by name as they come and only the others put in `extra` (no intermediate map
//! of the whole object), and a body that is UTF-8 as a whole is read as text. `parse_callback`
//! went from 35.5 k to 13.7 k instructions (verify: 18.5 k), and from 3.44× to 1.12× the time
//! of `Verifier::verify` (`parse_instructions ratio 300`: fastest of 300 interleaved rounds,
//! 3.15 µs → 1.03 µs against 0.92 µs).
//!
//! Measured when the check was added (release build, valgrind's callgrind, instructions per
//! call, which a loaded machine does not disturb): `parse_callback` 33.3 k before, 35.5 k with
//! the check (+6.6 %); a `Value` 19.8 k before, 21.9 k with the check (+10.7 %).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kukuruku_proto::kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_proto::{Order, parse_callback, read_json};
use serde_json::{Map, Value};

/// A callback as Kukuruku sends it: the documented fields and one nested extra field (271 B).
const CALLBACK: &[u8] = br#"{"uuid":"8f14e45f-ceea-467a-9575-4e1f0c2d7a11","order_number":"order-123456","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1001","created_at":"2024-05-01T12:00:00Z","updated_at":"2024-05-01T12:03:10Z","fee":{"amount":150,"currency":"RUB"}}"#;

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group(format!("callback {}B", CALLBACK.len()));
    group.throughput(Throughput::Bytes(CALLBACK.len() as u64));
    let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl").unwrap();
    let verifier = Verifier::new(&key);
    let header = Signer::new(&key).sign(CALLBACK).to_hex();
    group.bench_function("HMAC-SHA512 verify of the body (Verifier::verify)", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(CALLBACK), black_box(header.as_str()))
                .unwrap();
        });
    });
    group.bench_function("parse_callback (duplicate keys refused)", |b| {
        b.iter(|| parse_callback(black_box(CALLBACK)).unwrap());
    });
    group.bench_function("serde_json map + Order::from_map (last key wins)", |b| {
        b.iter(|| {
            let map: Map<String, Value> = serde_json::from_slice(black_box(CALLBACK)).unwrap();
            Order::from_map(map).unwrap()
        });
    });
    group.bench_function("read_json::<Value> (duplicate keys refused)", |b| {
        b.iter(|| read_json::<Value>(black_box(CALLBACK)).unwrap());
    });
    group.bench_function("serde_json::from_slice::<Value> (last key wins)", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(CALLBACK)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
