//! Shared by the tests: the sandbox's Kuna module on loopback, a movable clock, raw GETs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use kukuruku_proto::TimeSource;
use kukuruku_tower::transport::HttpsTransport;
use kuna_ramp::{Credentials, KunaClient, Login, NewCustomer};
use tower::ServiceExt as _;

use kukuruku_sandbox::kuna::{self as kuna_sandbox, KunaConfig, KunaState};

/// A clock both sides share: the system time plus an offset tests move forward.
#[derive(Clone, Default)]
pub(crate) struct TestClock(Arc<AtomicU64>);

impl TestClock {
    pub(crate) fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
    }
}

impl TimeSource for TestClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
}

pub(crate) struct Kuna {
    pub(crate) state: KunaState,
    pub(crate) addr: SocketAddr,
    pub(crate) clock: TestClock,
}

impl Kuna {
    /// Serves the sandbox's Kuna on 127.0.0.1:0, with `change` applied to the default config.
    pub(crate) async fn start(change: impl FnOnce(&mut KunaConfig)) -> Self {
        let clock = TestClock::default();
        let shared = clock.clone();
        let mut config = KunaConfig::default().time_source(move || shared.now());
        change(&mut config);
        let state = KunaState::new(config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = kuna_sandbox::router(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { state, addr, clock }
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub(crate) fn widget_host(&self) -> String {
        format!("http://{}/widget", self.addr)
    }

    fn builder(&self, credentials: Credentials) -> kuna_ramp::KunaClientBuilder {
        let clock = self.clock.clone();
        KunaClient::builder(self.base_url(), credentials)
            .widget_url(self.widget_host())
            .institution_id(self.state.config().institution_id.clone())
            .time_source(clock)
            .timeout(Duration::from_secs(10))
    }

    /// A client with the sandbox's API key.
    pub(crate) fn api_key_client(&self) -> KunaClient<HttpsTransport> {
        self.builder(Credentials::api_key(self.state.api_key()))
            .build()
            .unwrap()
    }

    /// A client that logs in with the sandbox's login credentials.
    pub(crate) fn login_client(&self) -> KunaClient<HttpsTransport> {
        let c = self.state.config();
        let login = Login::new(c.merchant_id.clone(), c.login.clone(), c.password.clone());
        self.builder(Credentials::login(login)).build().unwrap()
    }

    /// A client with other credentials.
    pub(crate) fn client_with(&self, credentials: Credentials) -> KunaClient<HttpsTransport> {
        self.builder(credentials).build().unwrap()
    }
}

/// GETs `url` (a widget URL); the status and the JSON answer.
pub(crate) async fn get(url: &str) -> (http::StatusCode, serde_json::Value) {
    let request = http::Request::get(url)
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = HttpsTransport::new()
        .unwrap()
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

/// A valid customer with everything set.
pub(crate) fn customer(email: &str, external_id: &str) -> NewCustomer {
    NewCustomer::builder()
        .email(email)
        .phone_number("+380991234567")
        .first_name("Viktor")
        .last_name("Tatov")
        .comment("Customer of our test program")
        .external_id(external_id)
        .referral_id("wxzy9876-5432-1abc-def0-ghijklmnopqr")
        .country("UA")
        .verification_document_id("1237654")
        .residence_address("my street ap.12")
        .itn("1237654")
        .build()
        .unwrap()
}

pub(crate) const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
