//! A callback body: parsing never panics, and what parses serialises and parses back the same.
#![no_main]

use kukuruku_proto::parse_callback;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(order) = parse_callback(data) {
        let again = serde_json::to_vec(&order).map(|bytes| parse_callback(&bytes));
        match again {
            Ok(Ok(back)) => assert_eq!(back, order),
            other => panic!("a parsed order did not round-trip: {other:?}"),
        }
    }
});
