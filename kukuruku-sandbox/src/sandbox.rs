//! The running sandbox and its builder: the server's start and stop, and what it hands each
//! service (payments, KukurukuID, Kuna): the time source, the users, the issuer.

use std::collections::HashSet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use kukuruku_proto::{BodylessSigning, MerchantId, SharedTimeSource, TimeSource};
use kukuruku_sign::{Signer, Verifier};
use kukuruku_tower::SystemClock;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::idp::{self, IdpClient, IdpConfig, IdpError, IdpSigningKey, IdpState, IdpUsers};
use crate::kuna::{KunaConfig, KunaState};
use crate::live::{Live, SandboxEvents};
use crate::payments::{
    CallbackDelivery, CallbackPolicy, Dispatcher, KukuPayUser, Merchant, MerchantEntry, Order,
    PaymentsState,
};
use crate::server::{ServeLimits, serve};
use crate::{OrderStatus, SandboxError, ShutdownReport, StatusChangeError, UserError};

/// The `client_id` of the sandbox KukurukuID's confidential demo client (server side, with
/// [`IDP_CLIENT_SECRET`]). It accepts any `http` redirect URI on a loopback host, and those
/// given to [`SandboxBuilder::idp_redirect_uri`].
pub const IDP_CLIENT_ID: &str = "kukuruku-demo";
/// The `client_secret` of [`IDP_CLIENT_ID`]: a documented test credential of the local sandbox.
pub const IDP_CLIENT_SECRET: &str = "kukuruku-demo-secret";
/// The `client_id` of the sandbox KukurukuID's public demo client (no secret; PKCE S256
/// required). Redirect URIs as for [`IDP_CLIENT_ID`].
pub const IDP_PUBLIC_CLIENT_ID: &str = "kukuruku-demo-public";

/// How long [`Sandbox::shutdown`] waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The default of [`SandboxBuilder::read_timeout`].
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The default of [`SandboxBuilder::max_connections`].
const MAX_CONNECTIONS: usize = 256;

/// The default of [`SandboxBuilder::max_orders`].
const MAX_ORDERS: usize = 10_000;

/// Configures and starts a [`Sandbox`].
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use kukuruku_sandbox::{KukuPayUser, Merchant, Sandbox};
/// use kukuruku_sign::SecretKey;
///
/// let sandbox = Sandbox::builder()
///     .merchant(Merchant::new("1", SecretKey::new("test-secret")?))
///     .user(KukuPayUser::new("user@example.com", "Ann Example", "RUB"))
///     .start()
///     .await?;
/// println!("payments API at {}", sandbox.api_url());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct SandboxBuilder {
    listen: SocketAddr,
    merchants: Vec<Merchant>,
    users: Vec<KukuPayUser>,
    callbacks: CallbackPolicy,
    bodyless: BodylessSigning,
    read_timeout: Duration,
    max_connections: usize,
    max_orders: usize,
    idp_redirect_uris: Vec<String>,
    idp_clients: Vec<IdpClient>,
    kuna: KunaConfig,
    time_source: SharedTimeSource,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            merchants: Vec::new(),
            users: Vec::new(),
            callbacks: CallbackPolicy::default(),
            bodyless: BodylessSigning::default(),
            read_timeout: READ_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_orders: MAX_ORDERS,
            idp_redirect_uris: Vec::new(),
            idp_clients: Vec::new(),
            kuna: KunaConfig::default(),
            time_source: SystemClock::shared(),
        }
    }
}

impl SandboxBuilder {
    /// The address to listen on (default `127.0.0.1:0`: any free port). Loopback only: any
    /// other address makes [`start`](Self::start) fail with [`SandboxError::NotLoopback`].
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Listens on `127.0.0.1:port`.
    pub fn port(self, port: u16) -> Self {
        self.listen(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
    }

    /// Adds a merchant account. At least one is needed.
    pub fn merchant(mut self, merchant: Merchant) -> Self {
        self.merchants.push(merchant);
        self
    }

    /// Adds a user: a KukuPay user (a payee for payouts, a player for Play) who can also log in
    /// to the sandbox KukurukuID (one list of users for both).
    pub fn user(mut self, user: KukuPayUser) -> Self {
        self.users.push(user);
        self
    }

    /// How callbacks are retried (PROTOCOL D8; tests want milliseconds).
    pub fn callback_policy(mut self, policy: CallbackPolicy) -> Self {
        self.callbacks = policy;
        self
    }

    /// What a body-less request (`GET /api/v1/orders/{uuid}`) is signed over (PROTOCOL D1;
    /// default `{}`): the SDK client's own setting, `kukuruku_proto::BodylessSigning`, with the
    /// merchant id of `{"merchant_id":"…"}` taken from the `merchant_id` query parameter.
    pub fn bodyless_signing(mut self, signing: BodylessSigning) -> Self {
        self.bodyless = signing;
        self
    }

    /// How long a client may take to send a request's headers, and then as long again for its
    /// body (default 10 s). A client that is slower loses its connection (headers) or gets 408
    /// (body), so a stalled client cannot hold the sandbox's connections for ever.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// How many connections are served at once, at least 1 (default 256). A client beyond
    /// that waits, connected, until one of the served connections closes: a flood of idle
    /// connections cannot take every file descriptor of the process (each served one is also
    /// bounded by [`read_timeout`](Self::read_timeout)).
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// How many orders the sandbox keeps, at least 1 (default 10 000): the oldest is dropped
    /// (status, pay page and idempotency forgotten) when a new one would exceed it.
    pub fn max_orders(mut self, orders: usize) -> Self {
        self.max_orders = orders.max(1);
        self
    }

    /// Registers a redirect URI (matched exactly) on both demo KukurukuID clients
    /// ([`IDP_CLIENT_ID`], [`IDP_PUBLIC_CLIENT_ID`]). Loopback `http` redirect URIs need no
    /// registration: those clients accept any.
    pub fn idp_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.idp_redirect_uris.push(uri.into());
        self
    }

    /// Registers another KukurukuID client, besides the two demo clients.
    pub fn idp_client(mut self, client: IdpClient) -> Self {
        self.idp_clients.push(client);
        self
    }

    /// How the sandbox Kuna behaves: its API keys, login, institution id, token lifetimes
    /// (default [`KunaConfig::default`]: one random API key, 46.5 h widget tokens). Its time
    /// source is the sandbox's ([`time_source`](Self::time_source)), whatever `config` says.
    pub fn kuna(mut self, config: KunaConfig) -> Self {
        self.kuna = config;
        self
    }

    /// Where the sandbox reads the time, for all of it: order and callback time stamps,
    /// KukurukuID tokens and codes, Kuna tokens and `createdAt` (default: the system clock,
    /// `kukuruku_tower::SystemClock`). Tests pass a closure to move time forward:
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use kukuruku_sandbox::Sandbox;
    ///
    /// let seconds = Arc::new(AtomicU64::new(1_700_000_000));
    /// let now = Arc::clone(&seconds);
    /// let builder = Sandbox::builder()
    ///     .time_source(move || UNIX_EPOCH + Duration::from_secs(now.load(Ordering::SeqCst)));
    /// // Later: `seconds.fetch_add(3600, Ordering::SeqCst)` expires what lasts an hour.
    /// # drop((builder, seconds));
    /// ```
    pub fn time_source(mut self, source: impl TimeSource) -> Self {
        self.time_source = SharedTimeSource::new(source);
        self
    }

    /// The KukurukuID settings: no users of its own (the sandbox's users are its users), the
    /// process's key, the sandbox's time source, the two demo clients and any added.
    async fn idp_config(&self, issuer: String) -> Result<IdpConfig, SandboxError> {
        let uris = &self.idp_redirect_uris;
        let mut config = IdpConfig::new(issuer)
            .users(Vec::new())
            .time_source(self.time_source.clone())
            .signing_key(process_signing_key().await?)
            .client(
                IdpClient::confidential(IDP_CLIENT_ID, IDP_CLIENT_SECRET, uris.iter().cloned())
                    .allow_loopback_redirects(),
            )
            .client(
                IdpClient::public(IDP_PUBLIC_CLIENT_ID, uris.iter().cloned())
                    .allow_loopback_redirects(),
            );
        for client in &self.idp_clients {
            config = config.client(client.clone());
        }
        Ok(config)
    }

    /// Binds the address and starts serving, on the current tokio runtime.
    ///
    /// The KukurukuID provider signs with a 2048-bit RSA key made once per process (on the
    /// first start, off the async threads) and shared by every sandbox of the process: each
    /// has its own issuer, so tokens of one are still refused by another.
    pub async fn start(self) -> Result<Sandbox, SandboxError> {
        if !self.listen.ip().is_loopback() {
            return Err(SandboxError::NotLoopback { addr: self.listen });
        }
        let (verifier, merchants) = self.merchant_entries()?;
        let bind_error = |source| SandboxError::Bind {
            addr: self.listen,
            source,
        };
        let listener = TcpListener::bind(self.listen).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let base_url = format!("http://{addr}");

        let (shutdown, shutdown_rx) = watch::channel(false);
        let issuer = format!("{base_url}{}", idp::REALM_PATH);
        let users = IdpUsers::default();
        let idp = IdpState::with_users(self.idp_config(issuer.clone()).await?, users.clone())?;
        let kuna = KunaState::new(self.kuna.time_source(self.time_source.clone()));
        let live = Arc::new(Live::new(self.max_orders));
        let payments = Arc::new(PaymentsState {
            base_url: base_url.clone(),
            issuer,
            users,
            merchants,
            verifier,
            bodyless: self.bodyless,
            read_timeout: self.read_timeout,
            max_orders: self.max_orders,
            store: Mutex::default(),
            callbacks: Arc::new(Dispatcher::new(
                self.callbacks,
                shutdown_rx.clone(),
                tokio::runtime::Handle::current(),
                self.time_source.clone(),
                Arc::clone(&live),
            )),
            time_source: self.time_source,
            live,
        });
        for user in &self.users {
            payments.add_user(user)?;
        }

        let app = crate::router::router(
            Arc::clone(&payments),
            idp.clone(),
            kuna.clone(),
            shutdown_rx.clone(),
        );
        let limits = ServeLimits {
            header_timeout: self.read_timeout,
            max_connections: self.max_connections,
        };
        let server = tokio::spawn(serve(listener, app, limits, shutdown_rx));
        tracing::info!(%base_url, issuer = %payments.issuer, "Kukuruku sandbox listening");
        Ok(Sandbox {
            payments,
            idp,
            kuna,
            addr,
            base_url,
            shutdown,
            server: Some(server),
        })
    }

    /// The merchants, checked (at least one; ids valid and distinct; default callback URLs
    /// absolute http(s)), with the verifier of their keys, in the same order.
    fn merchant_entries(&self) -> Result<(Verifier, Vec<MerchantEntry>), SandboxError> {
        if self.merchants.is_empty() {
            return Err(SandboxError::NoMerchant);
        }
        let mut entries = Vec::with_capacity(self.merchants.len());
        let mut seen = HashSet::new();
        for merchant in &self.merchants {
            if let Some(url) = &merchant.callback_url {
                let usable = url::Url::parse(url)
                    .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
                if !usable {
                    return Err(SandboxError::CallbackUrl {
                        id: merchant.id.clone(),
                        url: url.clone(),
                    });
                }
            }
            let id = MerchantId::new(&merchant.id).map_err(|source| {
                SandboxError::InvalidMerchantId {
                    id: merchant.id.clone(),
                    source,
                }
            })?;
            if !seen.insert(id.clone()) {
                return Err(SandboxError::DuplicateMerchant(merchant.id.clone()));
            }
            entries.push(MerchantEntry {
                id,
                key: merchant.key.clone(),
                signer: Signer::new(&merchant.key),
                callback_url: merchant.callback_url.clone(),
            });
        }
        let verifier = Verifier::from_keys(self.merchants.iter().map(|m| &m.key))
            .map_err(|_| SandboxError::NoMerchant)?;
        Ok((verifier, entries))
    }
}

/// A running sandbox: a local Kukuruku on loopback, with its state in memory.
///
/// It stops when dropped (or, waiting for open connections, with [`shutdown`](Self::shutdown)).
/// Routes:
///
/// | area | routes |
/// |---|---|
/// | payments API (PROTOCOL 1.3, signed) | `POST /api/v1/orders/payins`, `POST /api/v1/orders/payouts`, `GET /api/v1/orders/{uuid}` |
/// | KukuPay pay page | `GET /pay/{uuid}`, `POST /pay/{uuid}` (`action=pay|decline`), `GET /pay/{uuid}/result` |
/// | test control (unsigned) | `POST /sandbox/orders/{uuid}/status`, `POST /sandbox/orders/{uuid}/resend`, `GET /sandbox/orders[/{uuid}]`, `GET /sandbox/callbacks`, `GET|POST /sandbox/users`, `POST /sandbox/play` |
/// | dashboard (HTML, [`dashboard_url`](Self::dashboard_url)) | `GET /sandbox`, `GET /sandbox/dashboard/orders/{uuid}` (+ `POST …/status`, `POST …/resend`: its buttons), `GET /sandbox/dashboard/people`, `GET /sandbox/events` (server-sent events) |
/// | KukurukuID ([`issuer`](Self::issuer) `{base}/realms/public`) | `/.well-known/openid-configuration`, `/protocol/openid-connect/{auth,token,userinfo,logout,certs}` under the issuer; `GET /api/v1/me` |
/// | Kuna ([`kuna_url`](Self::kuna_url) `{base}/kuna`) | `POST /kuna/v2/auth/login`, `/kuna/v2/customer/{create,update,details,find}`, `/kuna/v2/ramp/{token,invalidate}`; `GET /kuna/widget` |
pub struct Sandbox {
    payments: Arc<PaymentsState>,
    idp: IdpState,
    kuna: KunaState,
    addr: SocketAddr,
    base_url: String,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// A builder: `127.0.0.1:0`, no merchant yet, Kukuruku's callback policy.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its root URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The payments API base URL, to give the SDK client in place of `https://api.kukuruku.win`.
    pub fn api_url(&self) -> &str {
        &self.base_url
    }

    /// The pay page of a payin: the `url` a payin answer carries.
    pub fn pay_page_url(&self, uuid: &str) -> String {
        format!("{}/pay/{uuid}", self.base_url)
    }

    /// The root of the test-control API: `{base}/sandbox`.
    pub fn control_url(&self) -> String {
        format!("{}/sandbox", self.base_url)
    }

    /// The dashboard: `{base}/sandbox`, the orders, callbacks and tries in a browser, live.
    pub fn dashboard_url(&self) -> String {
        format!("{}{}", self.base_url, crate::dashboard::PATH)
    }

    /// Listens to what happens from now on: orders created, status moves, callback tries and
    /// their outcomes (what `GET /sandbox/events` streams). A listener that falls more than
    /// 256 events behind misses the oldest; publishing never waits for it.
    pub fn events(&self) -> SandboxEvents {
        self.payments.live.subscribe()
    }

    /// Sends the order's last callback again, now (same body and signature, a new delivery
    /// in the log); its id in the log, or `None` if the log holds no callback for the order
    /// (what `POST /sandbox/orders/{uuid}/resend` does).
    pub fn resend_last_callback(&self, uuid: &str) -> Option<u64> {
        self.payments.callbacks.resend_last(uuid)
    }

    /// The KukurukuID issuer: `{base}/realms/public` (discovery at
    /// `{issuer}/.well-known/openid-configuration`).
    pub fn issuer(&self) -> &str {
        &self.payments.issuer
    }

    /// The confidential demo client's id ([`IDP_CLIENT_ID`]).
    pub fn idp_client_id(&self) -> &'static str {
        IDP_CLIENT_ID
    }

    /// The confidential demo client's secret ([`IDP_CLIENT_SECRET`], a documented test
    /// credential).
    pub fn idp_client_secret(&self) -> &'static str {
        IDP_CLIENT_SECRET
    }

    /// The public (PKCE) demo client's id ([`IDP_PUBLIC_CLIENT_ID`]).
    pub fn idp_public_client_id(&self) -> &'static str {
        IDP_PUBLIC_CLIENT_ID
    }

    /// The KukurukuID provider's state: its switches ([`IdpState::set_misbehave`]), key
    /// rotation, request counts ([`IdpState::hits`]).
    pub fn idp(&self) -> &IdpState {
        &self.idp
    }

    /// The Kuna institution API base URL: `{base}/kuna` (`POST {kuna_url}/v2/...`).
    pub fn kuna_url(&self) -> String {
        format!("{}/kuna", self.base_url)
    }

    /// An API key the sandbox Kuna accepts (the first of [`KunaConfig::api_keys`]).
    pub fn kuna_api_key(&self) -> &str {
        self.kuna.api_key()
    }

    /// The institution id the sandbox Kuna widget accepts.
    pub fn kuna_institution_id(&self) -> &str {
        &self.kuna.config().institution_id
    }

    /// The sandbox Kuna widget: `{base}/kuna/widget` (`?institutionId=…&refreshToken=…`).
    pub fn kuna_widget_url(&self) -> String {
        format!("{}/kuna/widget", self.base_url)
    }

    /// The sandbox Kuna's state: its customers and test switches
    /// ([`KunaState::fail_next_auth`], ...).
    pub fn kuna(&self) -> &KunaState {
        &self.kuna
    }

    /// The ids of the configured merchants.
    pub fn merchant_ids(&self) -> Vec<String> {
        self.payments
            .merchants
            .iter()
            .map(|m| m.id.to_string())
            .collect()
    }

    /// The order with this UUID.
    pub fn order(&self, uuid: &str) -> Option<Order> {
        self.payments.order(uuid)
    }

    /// Every order, oldest first.
    pub fn orders(&self) -> Vec<Order> {
        self.payments.orders()
    }

    /// Moves an order to `status` if PROTOCOL 1.4 allows it, and sends its callback (what
    /// `POST /sandbox/orders/{uuid}/status` does).
    pub fn set_status(&self, uuid: &str, status: OrderStatus) -> Result<Order, StatusChangeError> {
        self.payments.change_status(uuid, status)
    }

    /// Adds a KukuPay user.
    #[allow(clippy::needless_pass_by_value)] // by value, like `SandboxBuilder::user`
    pub fn add_user(&self, user: KukuPayUser) -> Result<(), UserError> {
        self.payments.add_user(&user)
    }

    /// The users (KukuPay's, who are also KukurukuID's), by e-mail.
    pub fn users(&self) -> Vec<KukuPayUser> {
        self.payments.users()
    }

    /// The UUID of the user with this e-mail: their KukurukuID `sub`, and Play's `sub_id5`.
    pub fn user_id(&self, email: &str) -> Option<String> {
        self.payments.users.find(email).map(|user| user.sub)
    }

    /// Every callback delivery so far, oldest first, with its tries.
    pub fn callbacks(&self) -> Vec<CallbackDelivery> {
        self.payments.callbacks.deliveries()
    }

    /// Waits until no callback delivery is pending (each was delivered or given up), at most
    /// `timeout`, and returns the log.
    pub async fn settled_callbacks(&self, timeout: Duration) -> Vec<CallbackDelivery> {
        self.payments.callbacks.settled(timeout).await
    }

    /// Stops accepting connections, stops delivering callbacks, waits (at most 5 s) for open
    /// connections to finish, and reports the callback deliveries it stopped while they were
    /// still pending ([`ShutdownReport::pending`]): callbacks their merchants never got.
    pub async fn shutdown(mut self) -> ShutdownReport {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, server).await.is_err() {
                abort.abort();
            }
        }
        ShutdownReport {
            pending: self.payments.callbacks.pending(),
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// The KukurukuID signing key of every sandbox in this process, made on first use.
async fn process_signing_key() -> Result<IdpSigningKey, SandboxError> {
    static KEY: OnceLock<Result<IdpSigningKey, IdpError>> = OnceLock::new();
    let made = tokio::task::spawn_blocking(|| KEY.get_or_init(IdpSigningKey::generate).clone())
        .await
        .map_err(IdpError::key_generation)?;
    Ok(made?)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use kukuruku_sign::SecretKey;

    use super::*;

    #[tokio::test]
    async fn merchant_ids_follow_the_sdk_rules() {
        let key = SecretKey::new("k").unwrap();
        let error = Sandbox::builder()
            .merchant(Merchant::new(" ", key.clone()))
            .start()
            .await
            .unwrap_err();
        assert!(matches!(error, SandboxError::InvalidMerchantId { .. }));
        // The cause once: behind `source()`, not repeated in the message.
        assert_eq!(error.to_string(), "merchant id \" \" is not valid");
        assert_eq!(
            std::error::Error::source(&error).map(ToString::to_string),
            Some("merchant_id is empty".to_owned())
        );
        let error = Sandbox::builder()
            .merchant(Merchant::new("1", key.clone()))
            .merchant(Merchant::new(" 1 ", key.clone()))
            .start()
            .await
            .unwrap_err();
        assert!(matches!(error, SandboxError::DuplicateMerchant(id) if id == " 1 "));
        let sandbox = Sandbox::builder()
            .merchant(Merchant::new(" 7 ", key))
            .start()
            .await
            .unwrap();
        assert_eq!(sandbox.merchant_ids(), ["7"]);
    }

    #[tokio::test]
    async fn every_service_reads_the_one_time_source() {
        let key = SecretKey::new("k").unwrap();
        let at = UNIX_EPOCH + Duration::from_millis(1_730_448_079_952);
        let sandbox = Sandbox::builder()
            .merchant(Merchant::new("1", key))
            .time_source(move || at)
            .start()
            .await
            .unwrap();
        assert_eq!(sandbox.kuna().config().now(), at);
        assert_eq!(sandbox.idp().config().now(), at);
        assert_eq!(sandbox.payments.time_source.now(), at);
    }
}
