//! The Play auto-login query string and the issuer normaliser: untrusted input, never a panic.
#![no_main]

use kukuruku_proto::{AutoLoginQuery, Issuer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(query) = AutoLoginQuery::parse(text) {
        // An issuer that normalises once is stable under a second normalisation.
        if let Ok(issuer) = Issuer::parse(query.issuer()) {
            assert_eq!(Issuer::parse(issuer.as_str()).ok(), Some(issuer));
        }
    }
    let _ = Issuer::parse(text);
});
