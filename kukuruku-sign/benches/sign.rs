//! Signing and verification against raw `hmac`, re-keyed per message (what the providers'
//! example code does) and pre-keyed.
//!
//! `cargo bench -p kukuruku-sign`
#![allow(missing_docs, clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use kukuruku_sign::{SecretKey, Signer, Verifier};
use sha2::Sha512;

const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
const VECTOR_BODY: &[u8] = br#"{"merchant_id":"1","amount":50000,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"order-123","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"user@example.com"}}"#;

fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let filler = |n: usize| (0..n).map(|i| b'a' + (i % 26) as u8).collect::<Vec<u8>>();
    vec![
        ("64B", filler(64)),
        ("274B", VECTOR_BODY.to_vec()),
        ("1KiB", filler(1024)),
        ("16KiB", filler(16 * 1024)),
        ("1MiB", filler(1024 * 1024)),
    ]
}

type HmacSha512 = Hmac<Sha512>;

fn hex(bytes: &[u8]) -> [u8; 128] {
    let mut out = [0u8; 128];
    const_hex::encode_to_slice(bytes, &mut out).unwrap();
    out
}

fn sign(c: &mut Criterion) {
    let key = SecretKey::new(KEY).unwrap();
    let signer = Signer::new(&key);
    let prekeyed = HmacSha512::new_from_slice(KEY.as_bytes()).unwrap();
    let mut group = c.benchmark_group("sign+hex");
    for (name, body) in bodies() {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("kukuruku-sign", name), &body, |b, body| {
            b.iter(|| signer.sign(black_box(body)).to_hex());
        });
        group.bench_with_input(BenchmarkId::new("hmac-rekeyed", name), &body, |b, body| {
            b.iter(|| {
                let mut mac = HmacSha512::new_from_slice(black_box(KEY.as_bytes())).unwrap();
                mac.update(black_box(body));
                hex(&mac.finalize().into_bytes())
            });
        });
        group.bench_with_input(BenchmarkId::new("hmac-prekeyed", name), &body, |b, body| {
            b.iter(|| {
                let mut mac = prekeyed.clone();
                mac.update(black_box(body));
                hex(&mac.finalize().into_bytes())
            });
        });
    }
    group.finish();
}

fn verify(c: &mut Criterion) {
    let key = SecretKey::new(KEY).unwrap();
    let verifier = Verifier::new(&key);
    let signer = Signer::new(&key);
    let prekeyed = HmacSha512::new_from_slice(KEY.as_bytes()).unwrap();
    let mut group = c.benchmark_group("verify");
    for (name, body) in bodies() {
        let header = signer.sign(&body).to_hex();
        let header = header.as_str().to_owned();
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_with_input(BenchmarkId::new("kukuruku-sign", name), &body, |b, body| {
            b.iter(|| {
                verifier
                    .verify(black_box(body), black_box(&header))
                    .unwrap()
            });
        });
        group.bench_with_input(BenchmarkId::new("hmac-rekeyed", name), &body, |b, body| {
            b.iter(|| {
                let expected = const_hex::decode(black_box(&header)).unwrap();
                let mut mac = HmacSha512::new_from_slice(black_box(KEY.as_bytes())).unwrap();
                mac.update(black_box(body));
                mac.verify_slice(&expected).unwrap();
            });
        });
        group.bench_with_input(BenchmarkId::new("hmac-prekeyed", name), &body, |b, body| {
            b.iter(|| {
                let expected = const_hex::decode(black_box(&header)).unwrap();
                let mut mac = prekeyed.clone();
                mac.update(black_box(body));
                mac.verify_slice(&expected).unwrap();
            });
        });
    }
    group.finish();
}

criterion_group!(benches, sign, verify);
criterion_main!(benches);
