//! Decimal amount text: parsing never panics, and what parses formats back to a text that
//! parses to the same amount.
#![no_main]

use kukuruku_proto::Amount;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u8, &str)| {
    let (exponent, text) = input;
    let exponent = exponent % 19;
    if let Ok(amount) = Amount::from_decimal_with_exponent(text, exponent) {
        let formatted = amount.to_decimal_with_exponent(exponent);
        assert_eq!(
            Amount::from_decimal_with_exponent(&formatted, exponent).ok(),
            Some(amount)
        );
    }
});
