//! The `signature` header: parsing never panics, and what parses verifies or mismatches.
#![no_main]

use kukuruku_sign::{SecretKey, Signature, Verifier, VerifyError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(key) = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl") else {
        return;
    };
    let verifier = Verifier::new(&key);
    // The header value is the input; the body is the input too.
    match (Signature::from_hex(data), verifier.verify(data, data)) {
        (Ok(sig), result) => {
            assert!(sig.to_hex().as_str().eq_ignore_ascii_case(
                std::str::from_utf8(data.trim_ascii()).unwrap_or_default()
            ));
            assert!(!matches!(result, Err(VerifyError::Malformed(_))));
        }
        (Err(err), result) => assert_eq!(result, Err(VerifyError::Malformed(err))),
    }
});
