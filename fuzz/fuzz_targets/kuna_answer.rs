//! Kuna's answers and error bodies, read by `KunaClient` over an in-memory service (the
//! client's readers are private: this drives the public calls). Input: one byte choosing the
//! call, the status as three ASCII digits, then the body (`0200{"data":{"id":"c-1"}}`).
//!
//! Calls: `0` customer details, `1` find customers, `2` ramp (widget) token, `3` customer
//! details with login credentials, where the input is the **login** answer.
//!
//! Properties:
//! - a non-2xx answer is an error with that status and the raw body; 401 and 403 (to an
//!   api-key call) are `Unauthorized`, the others `Api`; Kuna's message is read only from JSON;
//! - a success is read only from a JSON body with `data`, and re-serialised inside `{"data":…}`
//!   reads back equal (round trip);
//! - an answer that carries a credential (widget token, login token) is never kept in an
//!   error, and a widget token read is exactly the string at `data.token`;
//! - with login credentials, the call is sent only with the token the login answer gave.
#![no_main]

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use kuna_ramp::{CustomerQuery, Error, KunaClient, Login};
use libfuzzer_sys::fuzz_target;
use tower::service_fn;

const BASE: &str = "https://kuna.example/";
const GOOD: &[u8] = br#"{"data":{"id":"c-1","email":"ann@example.com"}}"#;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime")
    })
}

#[derive(Default)]
struct Seen {
    bearers: Vec<String>,
}

/// The body as JSON. Lossy: `serde_json` (like the client) does not check the UTF-8 of values
/// it skips, so a success may carry invalid UTF-8 in a field nobody reads.
fn json(body: &[u8]) -> Option<serde_json::Value> {
    serde_json::from_str(&String::from_utf8_lossy(body)).ok()
}

fuzz_target!(|data: &[u8]| {
    let [which, a, b, c, body @ ..] = data else {
        return;
    };
    let code = [a, b, c].iter().fold(0u16, |n, d| n * 10 + u16::from(d.wrapping_sub(b'0') % 10));
    let Ok(status) = StatusCode::from_u16(code.clamp(100, 999)) else {
        return;
    };
    let which = which.wrapping_sub(b'0') % 4;
    let body = Bytes::copy_from_slice(body);
    let seen = Arc::new(Mutex::new(Seen::default()));

    let answer = {
        let (body, seen) = (body.clone(), Arc::clone(&seen));
        move |request: Request<Full<Bytes>>| -> Ready<Result<Response<Full<Bytes>>, Infallible>> {
            let login = request.uri().path().ends_with("/auth/login");
            if let Some(value) = request.headers().get("authorization") {
                seen.lock().unwrap().bearers.push(String::from_utf8_lossy(value.as_bytes()).into());
            }
            let (status, body) = if which == 3 && !login {
                (StatusCode::OK, Bytes::from_static(GOOD))
            } else {
                (status, body.clone())
            };
            let mut response = Response::new(Full::new(body));
            *response.status_mut() = status;
            ready(Ok(response))
        }
    };
    let credentials = if which == 3 {
        kuna_ramp::Credentials::login(Login::new("m-1", "shop@example.com", "pw"))
    } else {
        kuna_ramp::Credentials::api_key("key-1")
    };
    let client = KunaClient::builder(BASE, credentials)
        .institution_id("inst-1")
        .build_with(service_fn(answer))
        .expect("client");
    let rt = runtime();

    let check_error = |error: &Error, credential: bool| {
        let _ = error.to_string();
        if !status.is_success() {
            assert_eq!(error.status(), Some(status), "{error:?}");
            assert_eq!(error.body(), Some(&body), "the raw error body was not kept");
            let unauthorized = status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN;
            assert_eq!(matches!(error, Error::Unauthorized { .. }), unauthorized, "{error:?}");
            assert_eq!(matches!(error, Error::Api { .. }), !unauthorized, "{error:?}");
            if error.message().is_some() {
                assert!(json(&body).is_some(), "a message from a body that is not JSON");
            }
        } else if credential {
            if let Some(kept) = error.body() {
                assert!(kept.is_empty(), "an answer carrying a credential was kept: {error:?}");
            }
        }
    };

    match which {
        0 | 3 => match rt.block_on(client.customer("c-1")) {
            Ok(customer) => {
                if which == 0 {
                    assert!(status.is_success());
                    let value = json(&body).expect("a success is JSON");
                    assert_eq!(value["data"]["id"], customer.id.as_str());
                }
                let again = serde_json::to_vec(&serde_json::json!({ "data": customer })).unwrap();
                let back: serde_json::Value = serde_json::from_slice(&again).unwrap();
                let back: kuna_ramp::Customer = serde_json::from_value(back["data"].clone())
                    .expect("a customer re-serialised reads back");
                assert_eq!(back, customer, "customer round trip");
                if which == 3 {
                    let token = json(&body)
                        .and_then(|v| v.pointer("/data/token").and_then(|t| t.as_str()).map(str::to_owned))
                        .expect("a login answer with a token at data.token");
                    let bearers = &seen.lock().unwrap().bearers;
                    assert!(!bearers.is_empty() && bearers.iter().all(|b| *b == format!("Bearer {token}")), "{bearers:?}");
                }
            }
            Err(error) => check_error(&error, which == 3),
        },
        1 => match rt.block_on(client.find_customers(&CustomerQuery::new().take(10))) {
            Ok(page) => {
                assert!(status.is_success());
                let again = serde_json::to_vec(&page).expect("a page serialises");
                let back: kuna_ramp::CustomerPage =
                    serde_json::from_slice(&again).expect("a page re-serialised reads back");
                assert_eq!(back, page, "page round trip");
            }
            Err(error) => check_error(&error, false),
        },
        _ => match rt.block_on(client.ramp_token("c-1", "Mozilla/5.0")) {
            Ok(token) => {
                assert!(status.is_success());
                let value = json(&body).expect("a token comes from JSON");
                assert_eq!(value.pointer("/data/token").and_then(|t| t.as_str()), Some(token.expose_secret()));
            }
            Err(error) => check_error(&error, true),
        },
    }
});
