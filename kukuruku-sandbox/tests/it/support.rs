//! What the tests share: a sandbox with one merchant and one user, a movable clock, plain HTTP
//! requests, and signing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use kukuruku_sandbox::{KukuPayUser, Merchant, SandboxBuilder};
use kukuruku_sign::{SecretKey, Signer};

pub(crate) const SECRET: &str = "sandbox-it-secret";
pub(crate) const USER: &str = "payer@example.com";

/// A clock the test moves: seconds since the epoch.
#[derive(Clone)]
pub(crate) struct Clock(Arc<AtomicU64>);

impl Clock {
    pub(crate) fn new() -> Self {
        Self(Arc::new(AtomicU64::new(1_700_000_000)))
    }

    pub(crate) fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
    }

    pub(crate) fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
}

/// Merchant "1" (key [`SECRET`]) and the user [`USER`], on the clock.
pub(crate) fn builder(clock: &Clock) -> SandboxBuilder {
    let clock = clock.clone();
    kukuruku_sandbox::Sandbox::builder()
        .merchant(Merchant::new("1", SecretKey::new(SECRET).unwrap()))
        .user(KukuPayUser::new(USER, "Pat Payer", "RUB"))
        .time_source(move || clock.now())
}

/// The hex signature of `body` with [`SECRET`].
pub(crate) fn sign(body: &[u8]) -> String {
    Signer::new(&SecretKey::new(SECRET).unwrap())
        .sign(body)
        .to_hex()
        .as_str()
        .to_owned()
}

/// A request's answer: status, `Location` (if any) and body text.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) body: String,
}

/// Sends one request with `headers` and `body`.
pub(crate) async fn send(
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get(http::header::LOCATION)
        .map(|value| value.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// POSTs a JSON body.
pub(crate) async fn post_json(url: &str, body: &str) -> Answer {
    send(
        Method::POST,
        url,
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
    .await
}

/// POSTs a JSON body signed with [`SECRET`].
pub(crate) async fn post_signed(url: &str, body: &str) -> Answer {
    let signature = sign(body.as_bytes());
    send(
        Method::POST,
        url,
        &[
            ("content-type", "application/json"),
            ("signature", &signature),
        ],
        body.as_bytes(),
    )
    .await
}
