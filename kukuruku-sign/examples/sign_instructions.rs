//! A fixed workload for counting instructions with callgrind (`cargo xtask bench-count`):
//! timing on a shared machine is noisy, instruction counts are not.
//!
//! `sign_instructions CASE SIZE ITERATIONS`, where CASE is `ours-sign`, `rekeyed-sign`,
//! `prekeyed-sign`, `ours-verify`, `rekeyed-verify` or `prekeyed-verify`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_possible_truncation
)]

use std::hint::black_box;

use hmac::{Hmac, Mac};
use kukuruku_sign::{SecretKey, Signer, Verifier};
use sha2::Sha512;

const KEY: &str = "rmQXpjQyAtzS65oVhRLwY9s669UyDKJl";
type HmacSha512 = Hmac<Sha512>;

fn hex(bytes: &[u8]) -> [u8; 128] {
    let mut out = [0u8; 128];
    const_hex::encode_to_slice(bytes, &mut out).unwrap();
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [case, size, iterations] = &args[..] else {
        eprintln!("usage: sign_instructions CASE SIZE ITERATIONS");
        std::process::exit(2);
    };
    let size: usize = size.parse().expect("SIZE is a number of bytes");
    let iterations: usize = iterations.parse().expect("ITERATIONS is a number");
    let body: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    let key = SecretKey::new(KEY).unwrap();
    let signer = Signer::new(&key);
    let verifier = Verifier::new(&key);
    let prekeyed = HmacSha512::new_from_slice(KEY.as_bytes()).unwrap();
    let header = signer.sign(&body).to_hex().as_str().to_owned();
    for _ in 0..iterations {
        match case.as_str() {
            "ours-sign" => {
                black_box(signer.sign(black_box(&body)).to_hex());
            }
            "rekeyed-sign" => {
                let mut mac = HmacSha512::new_from_slice(black_box(KEY.as_bytes())).unwrap();
                mac.update(black_box(&body));
                black_box(hex(&mac.finalize().into_bytes()));
            }
            "prekeyed-sign" => {
                let mut mac = prekeyed.clone();
                mac.update(black_box(&body));
                black_box(hex(&mac.finalize().into_bytes()));
            }
            "ours-verify" => {
                verifier
                    .verify(black_box(&body), black_box(&header))
                    .unwrap();
            }
            "rekeyed-verify" => {
                let expected = const_hex::decode(black_box(&header)).unwrap();
                let mut mac = HmacSha512::new_from_slice(black_box(KEY.as_bytes())).unwrap();
                mac.update(black_box(&body));
                mac.verify_slice(&expected).unwrap();
            }
            "prekeyed-verify" => {
                let expected = const_hex::decode(black_box(&header)).unwrap();
                let mut mac = prekeyed.clone();
                mac.update(black_box(&body));
                mac.verify_slice(&expected).unwrap();
            }
            other => {
                eprintln!("unknown case {other}");
                std::process::exit(2);
            }
        }
    }
}
