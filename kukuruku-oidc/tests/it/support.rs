//! Shared by the integration tests: the sandbox identity provider (`kukuruku_sandbox::idp`),
//! shared RSA keys, a small HTTP helper, and a transport that rewrites the sandbox's answers
//! (the tests' own mock of a provider misbehaving in ways the sandbox does not offer).

pub(crate) use kukuruku_sandbox::idp;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use kukuruku_oidc::{KukurukuId, KukurukuIdBuilder, LoginAttempt, LoginOptions};
use kukuruku_proto::TimeSource;
use kukuruku_tower::BoxError;
use kukuruku_tower::transport::HttpsTransport;
use tower::{Service, ServiceExt};

use idp::{IdpClient, IdpConfig, IdpSigningKey, IdpState};

pub(crate) const REDIRECT: &str = "http://127.0.0.1:9/callback";
pub(crate) const SHOP: &str = "shop";
pub(crate) const SHOP_SECRET: &str = "shop-secret";
pub(crate) const SPA: &str = "spa";
pub(crate) const ANN: &str = "ann@example.com";
pub(crate) const BYE: &str = "http://127.0.0.1:9/bye";

/// Two RSA keys for every test of a binary: the signing key and the spare one.
pub(crate) fn keys() -> &'static (IdpSigningKey, IdpSigningKey) {
    static KEYS: OnceLock<(IdpSigningKey, IdpSigningKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        (
            IdpSigningKey::generate().unwrap(),
            IdpSigningKey::generate().unwrap(),
        )
    })
}

/// A sandbox IdP served on 127.0.0.1:0 (auth routes and `/api/v1/me` on the same host).
pub(crate) struct Idp {
    pub(crate) state: IdpState,
    pub(crate) issuer: String,
    pub(crate) base: String,
}

pub(crate) async fn start_idp() -> Idp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = format!("{base}{}", idp::REALM_PATH);
    let (key, spare) = keys().clone();
    let config = IdpConfig::new(issuer.clone())
        .signing_key(key)
        .spare_key(spare)
        .client(
            IdpClient::confidential(SHOP, SHOP_SECRET, [REDIRECT]).post_logout_redirect_uri(BYE),
        )
        .client(IdpClient::public(SPA, [REDIRECT]));
    let state = IdpState::new(config).unwrap();
    let app = idp::router(state.clone()).merge(idp::me_router(state.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Idp {
        state,
        issuer,
        base,
    }
}

impl Idp {
    pub(crate) fn confidential(&self) -> KukurukuIdBuilder {
        KukurukuId::builder(SHOP, REDIRECT)
            .issuer(&self.issuer)
            .api_base_url(&self.base)
            .client_secret(SHOP_SECRET)
            .post_logout_redirect_uri(BYE)
    }

    pub(crate) fn public(&self) -> KukurukuIdBuilder {
        KukurukuId::builder(SPA, REDIRECT)
            .issuer(&self.issuer)
            .api_base_url(&self.base)
    }
}

/// A time source that a test moves forward: the system clock plus the offset, in seconds.
pub(crate) fn movable_clock() -> (impl TimeSource, Arc<AtomicU64>) {
    let offset = Arc::new(AtomicU64::new(0));
    let read = offset.clone();
    let clock = move || SystemTime::now() + Duration::from_secs(read.load(Ordering::SeqCst));
    (clock, offset)
}

/// Options that make the sandbox log Ann in without a page.
pub(crate) fn as_ann() -> LoginOptions {
    LoginOptions::new(["profile", "email"])
        .login_hint(ANN)
        .prompt("none")
}

/// One GET, no redirect following.
pub(crate) async fn get(url: &str, cookies: &BTreeMap<String, String>) -> Response<Bytes> {
    send(Request::get(url), Bytes::new(), cookies).await
}

pub(crate) async fn send(
    builder: http::request::Builder,
    body: Bytes,
    cookies: &BTreeMap<String, String>,
) -> Response<Bytes> {
    let mut builder = builder;
    if !cookies.is_empty() {
        let header = cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        builder = builder.header(http::header::COOKIE, header);
    }
    let request: Request<Full<Bytes>> = builder.body(Full::new(body)).unwrap();
    let response = HttpsTransport::new()
        .unwrap()
        .oneshot(request)
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, body.collect().await.unwrap().to_bytes())
}

pub(crate) fn location(response: &Response<Bytes>) -> String {
    assert!(
        response.status().is_redirection(),
        "expected a redirect, got {} {}",
        response.status(),
        String::from_utf8_lossy(response.body())
    );
    response.headers()[http::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Follows the attempt's authorize URL at the sandbox (auto-approval) and returns the redirect
/// back (a URL whose query `finish_login` reads).
pub(crate) async fn authorize(attempt: &LoginAttempt) -> String {
    location(&get(attempt.authorize_url(), &BTreeMap::new()).await)
}

/// What a test does to the sandbox's JSON answers: given the request path, edit the answer.
pub(crate) type Edit = Arc<dyn Fn(&str, &mut serde_json::Value) + Send + Sync>;

/// A transport (for [`KukurukuIdBuilder::transport`]) to the sandbox that passes every
/// successful JSON answer through `edit` on its way back.
pub(crate) fn rewriting(
    edit: Edit,
) -> impl Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = BoxError,
    Future = impl Send + 'static,
> + Clone
+ Send
+ Sync
+ 'static {
    tower::service_fn(move |request: Request<Full<Bytes>>| {
        let edit = edit.clone();
        async move {
            let path = request.uri().path().to_owned();
            let response = HttpsTransport::new()?.oneshot(request).await?;
            let (mut parts, body) = response.into_parts();
            let mut bytes = body.collect().await?.to_bytes();
            if parts.status.is_success()
                && let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes)
            {
                edit(&path, &mut json);
                bytes = Bytes::from(serde_json::to_vec(&json)?);
                parts.headers.remove(http::header::CONTENT_LENGTH);
            }
            Ok::<_, BoxError>(Response::from_parts(parts, Full::new(bytes)))
        }
    })
}

/// An edit of the token endpoint's answers only.
pub(crate) fn on_token_answer(
    edit: impl Fn(&mut serde_json::Value) + Send + Sync + 'static,
) -> Edit {
    Arc::new(move |path: &str, json: &mut serde_json::Value| {
        if path.ends_with("/protocol/openid-connect/token") {
            edit(json);
        }
    })
}

/// Logs Ann in with `client`; returns the redirect's result.
pub(crate) async fn log_in(
    client: &KukurukuId,
) -> Result<kukuruku_oidc::Session, kukuruku_oidc::Error> {
    let attempt = client.start_login_with(as_ann()).await?;
    let back = authorize(&attempt).await;
    client.finish_login(attempt, &back).await
}
