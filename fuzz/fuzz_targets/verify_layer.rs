//! The verify layer's checks (`kukuruku_tower::VerifySignature`) on arbitrary headers and body,
//! driven with `tower::ServiceExt::oneshot` in a current-thread tokio runtime.
//!
//! Input: header lines `name: value` (raw bytes), an empty line, then the body. A header value
//! `SIG1` / `SIG2` is replaced with the signature of the body by the first / second key of the
//! verifier (a key rotation). The limit is 1 KiB.
//!
//! Properties:
//! - the inner service is called if and only if the request has exactly one `signature`
//!   header, it is 128 hex digits, it is the HMAC of the body under one of the keys, and no
//!   size (`Content-Length` or the body) is over the limit; it then gets exactly the body
//!   bytes, and the `VerifiedSignature` names the key that matched;
//! - every refusal is 413 (over the limit) or 401 (signature), never another status;
//! - a body that passed, with any one byte changed, is refused (401).
#![no_main]

use std::convert::Infallible;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use kukuruku_sign::{SecretKey, Signer, Verifier};
use kukuruku_tower::{VerifiedSignature, VerifySignatureLayer};
use libfuzzer_sys::fuzz_target;
use tower::{Layer, ServiceExt, service_fn};

const LIMIT: usize = 1024;

fn keys() -> &'static [SecretKey; 2] {
    static KEYS: OnceLock<[SecretKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| {
        [
            SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl").expect("key"),
            SecretKey::new("previous-key-still-accepted").expect("key"),
        ]
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
    })
}

type Seen = Arc<Mutex<Option<(Bytes, Option<usize>)>>>;

/// Sends the request through the layer: the status, and what the inner service received.
fn send(headers: &[(HeaderName, HeaderValue)], body: &Bytes) -> (StatusCode, Option<(Bytes, Option<usize>)>) {
    let seen: Seen = Arc::default();
    let inner = {
        let seen = Arc::clone(&seen);
        service_fn(move |request: Request<Full<Bytes>>| {
            let seen = Arc::clone(&seen);
            async move {
                let key = request.extensions().get::<VerifiedSignature>().map(|v| v.key_index());
                let body = http_body_util::BodyExt::collect(request.into_body())
                    .await
                    .expect("infallible")
                    .to_bytes();
                *seen.lock().unwrap() = Some((body, key));
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"{\"success\":true}"))))
            }
        })
    };
    let verifier = Verifier::from_keys(keys().iter()).expect("keys");
    let service = VerifySignatureLayer::new(verifier).limit(LIMIT).layer(inner);
    let mut request = Request::new(Full::new(body.clone()));
    for (name, value) in headers {
        request.headers_mut().append(name.clone(), value.clone());
    }
    let response = runtime()
        .block_on(service.oneshot(request))
        .expect("the layer does not fail");
    let status = response.status();
    let inner = seen.lock().unwrap().take();
    (status, inner)
}

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (&[][..], data),
    };
    let body = Bytes::copy_from_slice(body);
    let signatures = keys().each_ref().map(|key| Signer::new(key).sign(&body).to_hex());
    let mut headers = Vec::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let Ok(name) = HeaderName::from_bytes(&line[..colon]) else { continue };
        let raw = line[colon + 1..].trim_ascii_start();
        let value = match raw {
            b"SIG1" => signatures[0].as_bytes(),
            b"SIG2" => signatures[1].as_bytes(),
            other => other,
        };
        let Ok(value) = HeaderValue::from_bytes(value) else { continue };
        headers.push((name, value));
    }

    // The model.
    let over = body.len() > LIMIT
        || headers.iter().any(|(n, v)| {
            n == http::header::CONTENT_LENGTH
                && v.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()).is_some_and(|n| n > LIMIT as u64)
        });
    let sigs: Vec<&HeaderValue> = headers.iter().filter(|(n, _)| n == "signature").map(|(_, v)| v).collect();
    let matched = match sigs.as_slice() {
        [one] => keys().iter().position(|key| Verifier::new(key).verify(&body, one.as_bytes()).is_ok()),
        _ => None,
    };
    let pass = !over && matched.is_some();

    let (status, inner) = send(&headers, &body);
    match inner {
        Some((received, key)) => {
            assert!(pass, "the inner service was called for a request that should be refused");
            assert_eq!(received, body, "the inner service got other bytes");
            assert_eq!(key, matched, "the extension names another key");
            assert_eq!(status, StatusCode::OK);
        }
        None => {
            assert!(!pass, "a request signed with the key was refused with {status}");
            let expected = if over { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::UNAUTHORIZED };
            assert_eq!(status, expected);
        }
    }
    if pass && !body.is_empty() {
        let mut changed = body.to_vec();
        let at = usize::from(changed[0]) % changed.len();
        changed[at] = changed[at].wrapping_add(1);
        let (status, inner) = send(&headers, &Bytes::from(changed));
        assert!(inner.is_none(), "a changed body passed");
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
});
