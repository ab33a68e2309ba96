//! The Play auto-login query string (`AutoLoginQuery::parse`), the issuer normaliser
//! (`Issuer::parse`) and the allow-list check on top of them (`kukuruku_oidc::AutoLogin`).
//!
//! Properties:
//! - an issuer that normalises once is stable under a second normalisation (idempotent);
//! - `AutoLogin::from_query` accepts a query only if the query parses and its issuer
//!   normalises to the allowed issuer, and then reports that issuer and the parsed order id;
//! - a query refused by the parser stays refused by `AutoLogin` (with any allow-list).
#![no_main]

use kukuruku_oidc::AutoLogin;
use kukuruku_proto::{AutoLoginQuery, Issuer};
use libfuzzer_sys::fuzz_target;

const ALLOWED: &str = "https://auth.kukuruku.win/realms/public";

fuzz_target!(|text: &str| {
    let parsed = AutoLoginQuery::parse(text);
    if let Ok(query) = &parsed {
        if let Ok(issuer) = Issuer::parse(query.issuer()) {
            assert_eq!(Issuer::parse(issuer.as_str()).ok(), Some(issuer));
        }
    }
    if let Ok(issuer) = Issuer::parse(text) {
        assert_eq!(Issuer::parse(issuer.as_str()).ok(), Some(issuer));
    }

    let allowed = Issuer::parse(ALLOWED).expect("the allowed issuer");
    match AutoLogin::from_query(text, [ALLOWED]) {
        Ok(play) => {
            let query = parsed.as_ref().expect("AutoLogin accepted what the parser refuses");
            let issuer = Issuer::parse(query.issuer()).expect("an accepted issuer normalises");
            assert_eq!(issuer, allowed, "a foreign issuer was accepted");
            assert_eq!(play.issuer(), allowed.as_str());
            assert_eq!(play.order_id(), query.order_id().as_str());
        }
        Err(_) => {
            if let Ok(query) = &parsed {
                assert_ne!(Issuer::parse(query.issuer()).ok(), Some(allowed), "an allowed issuer was refused");
            }
        }
    }
    if parsed.is_err() {
        let everything = [ALLOWED, text, "https://evil.example"];
        assert!(AutoLogin::from_query(text, everything).is_err());
    }
});
