//! The query string KukurukuID redirects the user back with, read by
//! `KukurukuId::finish_login` (its parser, `RedirectQuery`, is private: this drives the public
//! call, against an in-memory provider whose token endpoint refuses every code).
//!
//! The input is the query; every `STATE` in it is replaced with the login attempt's real state,
//! so that the fuzzer gets past the state check. Properties:
//! - never a session (the provider gave no valid ID token);
//! - a redirect whose `state` is not the attempt's (absent, other, or a parameter given twice)
//!   is refused before anything is sent: the token endpoint is not called;
//! - the code is exchanged only when `state` and `iss` are right, there is no `error`, and a
//!   `code` is present (a model of the checks, computed here with `form_urlencoded`);
//! - whatever the query, the error's text is bounded (untrusted text is cut).
#![no_main]

#[path = "../support/idp.rs"]
mod idp;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use kukuruku_oidc::{Error, KukurukuId};
use libfuzzer_sys::fuzz_target;

fn setup() -> &'static (Arc<idp::Idp>, KukurukuId) {
    static SETUP: OnceLock<(Arc<idp::Idp>, KukurukuId)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let provider = Arc::new(idp::Idp::default());
        *provider.discovery.lock().unwrap() = Bytes::from(idp::discovery(true));
        *provider.jwks.lock().unwrap() = Bytes::from_static(idp::JWKS);
        let client = idp::client(&provider);
        (provider, client)
    })
}

/// What the checks before the code exchange should conclude, or `None`: the code is exchanged.
fn expected_refusal(query: &str, state: &str) -> Option<&'static str> {
    if query.len() > 16 * 1024 {
        return Some("RedirectQuery");
    }
    let query = query.split_once('?').map_or(query, |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let mut params = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if params.insert(name.into_owned(), value.into_owned()).is_some() {
            return Some("RedirectQuery");
        }
    }
    let get = |name: &str| params.get(name).filter(|v| !v.is_empty());
    if get("state").map(String::as_str) != Some(state) {
        return Some("StateMismatch");
    }
    match get("iss") {
        None => return Some("MissingIssuerParameter"),
        Some(iss) if iss != idp::ISSUER => return Some("IssuerMismatch"),
        Some(_) => {}
    }
    if get("error").is_some() {
        return Some("Authorization");
    }
    if get("code").is_none() {
        return Some("MissingCode");
    }
    None
}

fn kind(error: &Error) -> &'static str {
    match error {
        Error::RedirectQuery(_) => "RedirectQuery",
        Error::StateMismatch => "StateMismatch",
        Error::MissingIssuerParameter => "MissingIssuerParameter",
        Error::IssuerMismatch { .. } => "IssuerMismatch",
        Error::Authorization { .. } => "Authorization",
        Error::MissingCode => "MissingCode",
        _ => "other",
    }
}

fuzz_target!(|text: &str| {
    let (provider, client) = setup();
    let runtime = idp::runtime();
    let attempt = runtime
        .block_on(client.start_login(["openid", "email"]))
        .expect("a login starts");
    let state = attempt.state().to_owned();
    let query = text.replace("STATE", &state);
    let before = provider.token_calls.load(Ordering::SeqCst);
    let result = runtime.block_on(client.finish_login(attempt, &query));
    let exchanged = provider.token_calls.load(Ordering::SeqCst) > before;
    let error = match result {
        Ok(session) => panic!("a session from a provider that issues none: {session:?}"),
        Err(error) => error,
    };
    match expected_refusal(&query, &state) {
        Some(expected) => {
            assert!(!exchanged, "the code was exchanged, yet the redirect should be refused ({expected}): {error}");
            assert_eq!(kind(&error), expected, "{error}");
        }
        None => assert!(exchanged, "a good redirect was refused: {error}"),
    }
    let shown = error.to_string();
    assert!(shown.len() <= 4096 + 2 * idp::ISSUER.len(), "{} bytes of error text", shown.len());
});
