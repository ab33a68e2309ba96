//! What the steps share, and how it starts: a secret for this run only, the sandbox, the
//! example merchant on its own port, and the SDK's client.

use std::time::Duration;

use kukuruku_oidc::KukurukuId;
use kukuruku_proto::OrderId;
use kukuruku_sandbox::merchant::{ExampleMerchant, Failure, Received};
use kukuruku_sandbox::{CallbackPolicy, KukuPayUser, Merchant, Sandbox};
use kukuruku_sign::{SecretKey, Verifier};
use kukuruku_tower::Client;
use kukuruku_tower::transport::HttpsTransport;
use tokio::sync::mpsc;

use super::merchant::{LoggedIn, Shop};
use super::{BUYER, BUYER_NAME, MERCHANT_ID, PAYEE, STEP_TIMEOUT};
use crate::browser::Browser;
use crate::error_chain::chain;

/// Everything the steps share.
pub(super) struct Demo {
    pub(super) sandbox: Sandbox,
    /// The merchant's books (the example merchant's, shared with its server).
    pub(super) merchant: ExampleMerchant,
    logins: mpsc::UnboundedReceiver<LoggedIn>,
    pub(super) merchant_url: String,
    pub(super) client: Client<HttpsTransport>,
    pub(super) browser: Browser,
}

impl Demo {
    /// The first callback the merchant recorded for `id`, waiting for it.
    pub(super) async fn callback_for(&self, id: &OrderId) -> Result<Received, String> {
        self.merchant
            .wait_until(STEP_TIMEOUT, |books| books.first_for(id.as_str()).is_some())
            .await;
        self.merchant
            .books(|books| books.first_for(id.as_str()).cloned())
            .ok_or_else(|| format!("no callback for {}", id.as_str()))
    }

    /// The next login the merchant finished.
    pub(super) async fn next_login(&mut self) -> Result<LoggedIn, String> {
        self.logins
            .recv()
            .await
            .ok_or_else(|| "the merchant stopped".to_owned())
    }
}

/// `bytes` random bytes as lower-case hex.
pub(super) fn random_hex(bytes: usize) -> Result<String, String> {
    let mut random = vec![0u8; bytes];
    getrandom::fill(&mut random)
        .map_err(|err| format!("no randomness for the demo secret: {err}"))?;
    Ok(const_hex::encode(random))
}

/// Setup: a secret for this run only, the sandbox, the example merchant, the SDK clients.
pub(super) async fn start() -> Result<(Demo, Vec<String>), String> {
    let key = SecretKey::new(random_hex(32)?).map_err(|err| chain(&err))?;
    let (merchant, listener) = ExampleMerchant::bind(Verifier::new(&key), Failure::None)
        .await
        .map_err(|err| format!("the merchant cannot listen: {}", chain(&err)))?;
    let merchant_url = merchant.url().to_owned();
    let sandbox = start_sandbox(key.clone(), merchant.callback_url()).await?;

    // The merchant is KukurukuID's confidential client; its redirect URI is on loopback, which
    // the sandbox's demo client accepts on any port.
    let kukuruku_id = KukurukuId::builder(
        sandbox.idp_client_id(),
        format!("{merchant_url}/auth/callback"),
    )
    .client_secret(sandbox.idp_client_secret())
    .issuer(sandbox.issuer())
    .api_base_url(sandbox.api_url())
    .timeout(STEP_TIMEOUT)
    .build()
    .map_err(|err| chain(&err))?;
    let (app, logins) = Shop::router(merchant.clone(), kukuruku_id);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    let client = Client::builder(MERCHANT_ID, key)
        .base_url(sandbox.api_url())
        .build()
        .map_err(|err| chain(&err))?;
    let lines = vec![
        format!(
            "sandbox   {} (merchant {MERCHANT_ID}, a secret generated for this run)",
            sandbox.api_url()
        ),
        format!(
            "          KukurukuID {} · Kuna {}",
            sandbox.issuer(),
            sandbox.kuna_url()
        ),
        format!(
            "merchant  {merchant_url} (axum; /kukuruku/callback is kukuruku-ledger's callback_route: VerifySignatureLayer, then recorded durably before the 200; /login, /auth/callback, /play with kukuruku-oidc)"
        ),
        format!(
            "          ledger {} (SQLite in a temporary folder; a worker credits each paid payin once)",
            merchant.store().path().display()
        ),
        "client    kukuruku_tower::Client (signs every request, verifies signed answers)"
            .to_owned(),
    ];
    let demo = Demo {
        sandbox,
        merchant,
        logins,
        merchant_url,
        client,
        browser: Browser::new(),
    };
    Ok((demo, lines))
}

/// The sandbox, with the demo's merchant, its users, and callbacks retried quickly.
async fn start_sandbox(key: SecretKey, callback_url: String) -> Result<Sandbox, String> {
    // The merchant's callback URL is known to Kukuruku (its account settings): Play orders,
    // which Kukuruku creates, report there.
    Sandbox::builder()
        .merchant(Merchant::new(MERCHANT_ID, key).callback_url(callback_url))
        .user(KukuPayUser::new(PAYEE, "Pat Payee", "RUB"))
        .user(KukuPayUser::new(BUYER, BUYER_NAME, "RUB"))
        .callback_policy(
            CallbackPolicy::default()
                .timeout(Duration::from_secs(2))
                .max_attempts(5)
                .initial_backoff(Duration::from_millis(50)),
        )
        .start()
        .await
        .map_err(|err| chain(&err))
}
