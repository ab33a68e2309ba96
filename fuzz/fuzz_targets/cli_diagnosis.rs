//! The CLI's verify diagnosis (`kukuruku verify`: why a signature does not match). It lives in
//! the `kukuruku` binary crate (`pub(crate)`, no library target), so its two source files are
//! compiled into this target as they are, unchanged: `diagnose.rs` and `json_style.rs`.
//!
//! Input: the body that was received. Properties:
//! - with a signature over the body plus a trailing newline (a signer that added one), the
//!   diagnosis finds it (`Matched`);
//! - for a JSON body, with a signature over the same data in another JSON style the CLI knows
//!   (spaces, sorted keys, `\/`, `\uXXXX`), the diagnosis finds it;
//! - with a signature by another key, nothing explains it (`Unexplained`), and `json` says
//!   whether the body (without a trailing newline) is JSON;
//! - never a panic, and the explanation is always a sentence.
#![no_main]

#[path = "../../kukuruku-cli/src/diagnose.rs"]
#[allow(dead_code)]
mod diagnose;
#[path = "../../kukuruku-cli/src/json_style.rs"]
#[allow(dead_code)]
mod json_style;

use diagnose::{Diagnosis, diagnose};
use kukuruku_sign::{SecretKey, Signer, Verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl").expect("key");
    let other = SecretKey::new("not-the-signers-key").expect("key");
    let verifier = Verifier::new(&key);
    let signer = Signer::new(&key);

    // A signature by another key: nothing explains it.
    let foreign = Signer::new(&other).sign(body);
    let core = body
        .strip_suffix(b"\r\n")
        .or_else(|| body.strip_suffix(b"\n"))
        .unwrap_or(body);
    let is_json = json_style::parse(core).is_some();
    let diagnosis = diagnose(&verifier, body, &foreign);
    assert_eq!(diagnosis, Diagnosis::Unexplained { json: is_json });
    assert!(!diagnosis.explain().is_empty());

    // A signer that added a newline.
    if !body.ends_with(b"\n") {
        let mut with_newline = body.to_vec();
        with_newline.push(b'\n');
        let diagnosis = diagnose(&verifier, body, &signer.sign(&with_newline));
        assert!(matches!(diagnosis, Diagnosis::Matched(_)), "{diagnosis:?}");
        assert!(!diagnosis.explain().is_empty());
    }

    // A signer that serialised the same data in another style.
    if let Some(value) = json_style::parse(core) {
        let style = json_style::Style {
            spaced: true,
            sort_keys: false,
            escape_slash: false,
            ascii_only: false,
        };
        let restyled = json_style::write(&value, style);
        if restyled != body {
            let diagnosis = diagnose(&verifier, body, &signer.sign(&restyled));
            assert!(matches!(diagnosis, Diagnosis::Matched(_)), "{diagnosis:?}");
        }
    }
});
