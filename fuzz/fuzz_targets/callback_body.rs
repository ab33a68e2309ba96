//! A callback body: parsing never panics, and what parses serialises and parses back the same
//! (a non-integer number kept in `extra` up to its last bits: see `support/json.rs`).
#![no_main]

use kukuruku_proto::parse_callback;
use libfuzzer_sys::fuzz_target;

#[path = "../support/json.rs"]
mod json;

fuzz_target!(|data: &[u8]| {
    if let Ok(order) = parse_callback(data) {
        let again = serde_json::to_vec(&order).map(|bytes| parse_callback(&bytes));
        match again {
            Ok(Ok(back)) => assert!(
                json::same(
                    &serde_json::to_value(&back).expect("an order serialises"),
                    &serde_json::to_value(&order).expect("an order serialises"),
                ),
                "a parsed order did not round-trip: {back:?} != {order:?}"
            ),
            other => panic!("a parsed order did not round-trip: {other:?}"),
        }
    }
});
