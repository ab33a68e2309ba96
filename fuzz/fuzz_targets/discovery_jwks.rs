//! OpenID discovery and the JWKS, as `KukurukuId::discover` reads them from the provider
//! (the client's `DiscoveryDocument` is private; the JWKS is `openidconnect`'s
//! `CoreJsonWebKeySet`, also read directly here).
//!
//! Input: the discovery document, then a 0xFF byte, then the JWKS (without 0xFF: the JWKS is a
//! valid one). Properties:
//! - never a panic;
//! - a document accepted by the client names exactly the configured issuer, gives only
//!   https (or loopback http) endpoints, and its authorization endpoint is where a login then
//!   sends the user; a document that lists PKCE methods without S256 starts no login
//!   (`Error::PkceUnsupported`);
//! - a JWKS that `CoreJsonWebKeySet` reads re-serialises to one that reads the same
//!   (serialise, parse, serialise is idempotent);
//! - the client accepts a JWKS only if `CoreJsonWebKeySet` reads it.
#![no_main]

#[path = "../support/idp.rs"]
mod idp;

use std::sync::Arc;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use openidconnect::core::CoreJsonWebKeySet;

fn secure(url: &url::Url) -> bool {
    url.scheme() == "https"
        || (url.scheme() == "http"
            && match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            })
}

fuzz_target!(|data: &[u8]| {
    let (document, jwks) = match data.iter().position(|b| *b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, idp::JWKS),
    };

    let keys = serde_json::from_slice::<CoreJsonWebKeySet>(jwks).ok();
    if let Some(keys) = &keys {
        let once = serde_json::to_vec(keys).expect("a key set serialises");
        let back: CoreJsonWebKeySet =
            serde_json::from_slice(&once).expect("a serialised key set reads back");
        let twice = serde_json::to_vec(&back).expect("a key set serialises");
        assert_eq!(
            String::from_utf8_lossy(&once),
            String::from_utf8_lossy(&twice),
            "JWKS round trip is not stable"
        );
    }

    let provider = Arc::new(idp::Idp::default());
    *provider.discovery.lock().unwrap() = Bytes::copy_from_slice(document);
    *provider.jwks.lock().unwrap() = Bytes::copy_from_slice(jwks);
    let client = idp::client(&provider);
    let runtime = idp::runtime();
    if runtime.block_on(client.discover()).is_err() {
        return;
    }
    assert!(keys.is_some(), "the client accepted a JWKS that CoreJsonWebKeySet refuses");
    // Lossy: serde_json does not check the UTF-8 of values it skips (fields the client does
    // not read), so an accepted document may carry invalid UTF-8 there.
    let value: serde_json::Value = serde_json::from_str(&String::from_utf8_lossy(document))
        .expect("an accepted document is JSON");
    assert_eq!(value["issuer"], idp::ISSUER, "a document naming another issuer was accepted");
    for field in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "userinfo_endpoint",
        "end_session_endpoint",
    ] {
        if let Some(text) = value.get(field).and_then(|v| v.as_str()) {
            let url = url::Url::parse(text).expect("an accepted endpoint is a URL");
            assert!(secure(&url), "insecure {field} accepted: {text}");
        }
    }
    if let Some(methods) = value
        .get("code_challenge_methods_supported")
        .filter(|v| !v.is_null())
    {
        if !methods.as_array().is_some_and(|m| m.iter().any(|x| x == "S256")) {
            // Discovery may read such a provider; no login starts with it.
            let refused = runtime.block_on(client.start_login(["openid"]));
            assert!(
                matches!(refused, Err(kukuruku_oidc::Error::PkceUnsupported { .. })),
                "a login started with a provider without S256: {refused:?}"
            );
            return;
        }
    }
    let attempt = runtime
        .block_on(client.start_login(["openid"]))
        .expect("a login starts once discovery succeeded");
    let endpoint = url::Url::parse(value["authorization_endpoint"].as_str().expect("string"))
        .expect("url");
    let authorize = url::Url::parse(attempt.authorize_url()).expect("the authorize URL parses");
    assert_eq!(
        (authorize.scheme(), authorize.host(), authorize.port(), authorize.path()),
        (endpoint.scheme(), endpoint.host(), endpoint.port(), endpoint.path()),
        "the login does not go to the discovered authorization endpoint"
    );
});
