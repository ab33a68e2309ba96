//! Issue 15, item 7: every type that holds a secret or a token, built with distinctive secret
//! values; its `Debug`, `Display`, the errors that mention it and the `tracing` output (TRACE,
//! every crate) of the calls that use it are captured, and no secret's bytes may appear there.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use kukuruku_e2e::{Http, PAYEE};
use kukuruku_oidc::{KukurukuId, LoginOptions};
use kukuruku_proto::{Amount, Currency, OrderId, PayinRequest};
use kukuruku_sandbox::idp::IdpClient;
use kukuruku_sandbox::kuna::KunaConfig;
use kukuruku_sandbox::{KukuPayUser, Merchant, Sandbox, SecretKey};
use kukuruku_sign::{Signer, Verifier};
use kukuruku_tower::Client;
use kuna_ramp::{Credentials, KunaClient, Login, NewCustomer};
use tracing_subscriber::fmt::MakeWriter;

const HMAC_KEY: &str = "hmac-key-Zq8Xw3Lp9Tv2Rk7Mb5Nc1Dg4";
const CLIENT_ID: &str = "secrets-shop";
const CLIENT_SECRET: &str = "oidc-secret-Vb4Nq7Ws2Xe9Ry6Tu1Io";
const KUNA_API_KEY: &str = "kuna-apikey-Gh5Jk8Lz3Xc6Vb9Nm2Qw";
const KUNA_LOGIN: &str = "partner@sandbox.test";
const KUNA_PASSWORD: &str = "kuna-password-Pl0Ok9Ij8Uh7Yg6Tf5";
const REDIRECT: &str = "http://127.0.0.1:9/auth/callback";
const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) secrets";

/// Everything the subscriber writes, and every `Debug` / `Display` / error text noted.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn note(&self, what: &str, text: &dyn std::fmt::Debug) {
        let line = format!("\n[{what}] {text:?}\n");
        self.0.lock().unwrap().extend_from_slice(line.as_bytes());
    }

    /// An error's `Debug`, its `Display` and each cause's `Display` (the chain a reporter prints).
    fn error(&self, what: &str, error: &(dyn std::error::Error + 'static)) {
        self.note(what, error);
        let mut cause = Some(error);
        while let Some(err) = cause {
            self.note(what, &format_args!("{err}"));
            cause = err.source();
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

fn key() -> SecretKey {
    SecretKey::new(HMAC_KEY).unwrap()
}

async fn sandbox() -> Sandbox {
    let mut kuna = KunaConfig::default();
    kuna.api_keys = vec![KUNA_API_KEY.to_owned()];
    KUNA_LOGIN.clone_into(&mut kuna.login);
    KUNA_PASSWORD.clone_into(&mut kuna.password);
    Sandbox::builder()
        .merchant(Merchant::new("1", key()))
        .user(KukuPayUser::new(PAYEE, "Pat Payee", "RUB"))
        .idp_client(IdpClient::confidential(
            CLIENT_ID,
            CLIENT_SECRET,
            [REDIRECT],
        ))
        .kuna(kuna)
        .start()
        .await
        .unwrap()
}

/// The HMAC key, the `Signer` and `Verifier` built from it, and a payin and status calls with
/// the payments client (one failing).
async fn payments(sandbox: &Sandbox, seen: &Captured) {
    let key = key();
    seen.note("SecretKey", &key);
    let signer = Signer::new(&key);
    seen.note("Signer", &signer);
    seen.note("Signing", &signer.begin());
    let verifier = Verifier::new(&key);
    seen.note("Verifier", &verifier);
    let signature = signer.sign(b"{}");
    seen.note("Signature", &signature);
    seen.error(
        "verify",
        &verifier
            .verify(b"{ }", signature.to_hex().as_str())
            .unwrap_err(),
    );
    seen.error("verify", &verifier.verify(b"{}", "abc").unwrap_err());
    seen.error(
        "sign verify",
        &signer.verify_signature(b"{ }", &signature).unwrap_err(),
    );

    let client = Client::builder("1", key)
        .base_url(sandbox.api_url())
        .build()
        .unwrap();
    seen.note("Client", &client);
    let request = PayinRequest::builder()
        .amount(Amount::new(50_000).unwrap())
        .currency(Currency::Rub)
        .callback_url("http://127.0.0.1:9/cb?token=cb-token")
        .order_number("secrets-1")
        .redirect_success_url("http://127.0.0.1:9/ok")
        .redirect_fail_url("http://127.0.0.1:9/fail")
        .client_id("buyer@example.com")
        .build()
        .unwrap();
    let created = client.create_payin(&request).await.unwrap();
    seen.note("PayinCreated", &created);
    seen.note("Order", &client.order(&created.token).await.unwrap());
    let missing = OrderId::new("00000000-0000-4000-8000-000000000000").unwrap();
    seen.error("order error", &client.order(&missing).await.unwrap_err());
    let stranger = Client::builder("1", SecretKey::new("other").unwrap())
        .base_url(sandbox.api_url())
        .build()
        .unwrap();
    seen.error(
        "wrong-key error",
        &stranger.order(&created.token).await.unwrap_err(),
    );
}

/// A KukurukuID client with its secret: login, refresh, profile; the tokens it got, returned.
async fn identity(sandbox: &Sandbox, seen: &Captured) -> Vec<String> {
    let client = KukurukuId::builder(CLIENT_ID, REDIRECT)
        .client_secret(CLIENT_SECRET)
        .issuer(sandbox.issuer())
        .api_base_url(sandbox.api_url())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    seen.note("KukurukuId", &client);
    let options = LoginOptions::new(["profile", "email"])
        .login_hint(PAYEE)
        .prompt("none");
    let attempt = client.start_login_with(options.clone()).await.unwrap();
    seen.note("LoginAttempt", &attempt);
    let back = redirect_back(attempt.authorize_url()).await;
    let session = client.finish_login(attempt, &back).await.unwrap();
    seen.note("Session", &session);
    seen.note("Profile", &client.profile(&session).await.unwrap());
    let refreshed = client.refresh(&session).await.unwrap();
    seen.note("Session (refreshed)", &refreshed);
    // Errors: a code used twice (the token endpoint refuses, authenticated with the secret),
    // and a refresh token used after its rotation.
    let again = client.start_login_with(options).await.unwrap();
    let query = back.split_once('?').unwrap().1;
    let state = url::Url::parse(again.authorize_url()).unwrap();
    let state = state.query_pairs().find(|(k, _)| k == "state").unwrap().1;
    let replay = format!("{REDIRECT}?{}", replace_state(query, &state));
    seen.error(
        "code reuse",
        &client.finish_login(again, &replay).await.unwrap_err(),
    );
    if let Err(err) = client.refresh(&session).await {
        seen.error("refresh reuse", &err);
    }
    let mut tokens = Vec::new();
    for s in [&session, &refreshed] {
        tokens.push(s.access_token().to_owned());
        tokens.extend(s.refresh_token().map(str::to_owned));
        tokens.extend(s.id_token().map(str::to_owned));
    }
    tokens
}

/// The query `query` with its `state` replaced by `state`.
fn replace_state(query: &str, state: &str) -> String {
    let pairs = url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| {
        if k == "state" {
            (k, state.to_owned().into())
        } else {
            (k, v)
        }
    });
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn redirect_back(authorize_url: &str) -> String {
    let answer = Http::default().get(authorize_url).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.text());
    answer.headers[http::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

fn customer() -> NewCustomer {
    NewCustomer::builder()
        .email("viktor@example.com")
        .first_name("Viktor")
        .last_name("Tatov")
        .country("UA")
        .verification_document_id("1237654")
        .residence_address("my street ap.12")
        .external_id("user-1")
        .build()
        .unwrap()
}

/// Kuna with an API key and with a login: a customer and a widget token each, a failed call
/// each; the widget tokens, returned.
async fn kuna(sandbox: &Sandbox, seen: &Captured) -> Vec<String> {
    let login = Login::new("sandbox-merchant", KUNA_LOGIN, KUNA_PASSWORD);
    seen.note("Login", &login);
    let mut tokens = Vec::new();
    for credentials in [
        Credentials::api_key(KUNA_API_KEY),
        Credentials::login(login),
    ] {
        seen.note("Credentials", &credentials);
        let client = KunaClient::builder(sandbox.kuna_url(), credentials)
            .widget_url(sandbox.kuna_widget_url())
            .institution_id(sandbox.kuna_institution_id())
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        seen.note("KunaClient", &client);
        let session = client.open_widget(&customer(), BROWSER).await.unwrap();
        seen.note("WidgetSession", &session);
        let token = client
            .ramp_token(&session.customer.id, BROWSER)
            .await
            .unwrap();
        seen.note("RampToken", &token);
        seen.note(
            "WidgetUrl",
            &token.widget_url(sandbox.kuna_institution_id()).unwrap(),
        );
        seen.error(
            "missing customer",
            &client.customer("no-such-customer").await.unwrap_err(),
        );
        let url = session.url.expose_secret();
        tokens.push(url.rsplit_once('=').unwrap().1.to_owned());
        tokens.push(token.expose_secret().to_owned());
    }
    let wrong = Login::new("sandbox-merchant", KUNA_LOGIN, "not-the-password");
    let client = KunaClient::builder(sandbox.kuna_url(), Credentials::login(wrong))
        .build()
        .unwrap();
    seen.error("wrong password", &client.customer("x").await.unwrap_err());
    tokens
}

/// Each secret, and for a JWT its signature, which alone would let it be forged back.
fn needles(tokens: Vec<String>) -> Vec<String> {
    let hex: String = HMAC_KEY.bytes().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    });
    let mut all = vec![HMAC_KEY.into(), hex, CLIENT_SECRET.into()];
    all.extend([KUNA_API_KEY.into(), KUNA_PASSWORD.into()]);
    for token in tokens {
        if let Some((_, signature)) = token.rsplit_once('.') {
            all.push(signature.to_owned());
        }
        all.push(token);
    }
    all
}

// One thread (the test's runtime): the sandbox's tasks log to the subscriber set here too.
#[tokio::test(flavor = "current_thread")]
async fn no_secret_or_token_appears_in_debug_display_errors_or_traces() {
    let seen = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(seen.clone())
        .finish();
    // With a single subscriber registered, tracing caches a callsite's interest from the
    // subscriber of whichever thread hits it first: another test's thread would cache
    // "never" for good. A global no-op subscriber makes two, so every callsite stays
    // "sometimes" and each call asks the current thread's subscriber.
    let _ = tracing::subscriber::set_global_default(tracing::subscriber::NoSubscriber::default());
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let sandbox = sandbox().await;
    payments(&sandbox, &seen).await;
    let mut tokens = identity(&sandbox, &seen).await;
    tokens.extend(kuna(&sandbox, &seen).await);
    tracing::info!("done");

    let text = seen.text();
    assert!(
        text.contains("kukuruku.call"),
        "the calls were traced: {text}"
    );
    assert!(text.contains("[Session]"), "{text}");
    for needle in needles(tokens) {
        assert!(needle.len() >= 16, "a distinctive secret: {needle:?}");
        if let Some(at) = text.find(&needle) {
            let from = at.saturating_sub(300);
            panic!(
                "{needle:?} leaked: …{}",
                &text[from..(at + needle.len() + 100).min(text.len())]
            );
        }
    }
}
