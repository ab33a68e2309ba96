//! The `signature` header and the verification of a body.
//!
//! The input is both the header value and the body. Properties:
//! - `Signature::from_hex` accepts exactly what the verifier does not call malformed, and what
//!   it accepts prints back as the same hex (case and surrounding whitespace aside);
//! - a body signed by us verifies (the header as `Signer` writes it), and the same header over
//!   the body with any one byte changed, or one byte more or less, is a `Mismatch`.
#![no_main]

use kukuruku_sign::{SecretKey, Signature, Signer, Verifier, VerifyError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl").expect("key");
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

    let header = Signer::new(&key).sign(data).to_hex();
    verifier.verify(data, header.as_bytes()).expect("our own signature verifies");
    let mut changed = data.to_vec();
    if let Some(first) = changed.first().copied() {
        let at = usize::from(first) % changed.len();
        changed[at] ^= 1 << (first % 8);
        assert_eq!(verifier.verify(&changed, header.as_bytes()), Err(VerifyError::Mismatch));
        changed.pop();
        assert_eq!(verifier.verify(&changed, header.as_bytes()), Err(VerifyError::Mismatch));
    }
    let mut longer = data.to_vec();
    longer.push(b'\n');
    assert_eq!(verifier.verify(&longer, header.as_bytes()), Err(VerifyError::Mismatch));
});
