//! The running sandbox and its builder.

use std::collections::HashSet;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kukuruku_sign::{Signer, Verifier};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::callbacks::Dispatcher;
use crate::state::{MerchantEntry, Shared, Store};
use crate::{
    BodylessInput, CallbackDelivery, CallbackPolicy, KukuPayUser, Merchant, Order, OrderStatus,
    SandboxError, StatusChangeError, UserError,
};

/// How long [`Sandbox::shutdown`] waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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
    bodyless: BodylessInput,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            merchants: Vec::new(),
            users: Vec::new(),
            callbacks: CallbackPolicy::default(),
            bodyless: BodylessInput::default(),
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

    /// Adds a KukuPay user (a payee for payouts).
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
    /// default `{}`).
    pub fn bodyless_signing(mut self, signing: BodylessInput) -> Self {
        self.bodyless = signing;
        self
    }

    /// Binds the address and starts serving, on the current tokio runtime.
    pub async fn start(self) -> Result<Sandbox, SandboxError> {
        if !self.listen.ip().is_loopback() {
            return Err(SandboxError::NotLoopback { addr: self.listen });
        }
        if self.merchants.is_empty() {
            return Err(SandboxError::NoMerchant);
        }
        let mut seen = HashSet::new();
        for merchant in &self.merchants {
            if !seen.insert(merchant.id.as_str()) {
                return Err(SandboxError::DuplicateMerchant(merchant.id.clone()));
            }
        }
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: self.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: self.listen,
            source,
        })?;
        let base_url = format!("http://{addr}");

        let (shutdown, shutdown_rx) = watch::channel(false);
        let verifier = Verifier::from_keys(self.merchants.iter().map(|m| &m.key))
            .map_err(|_| SandboxError::NoMerchant)?;
        let merchants = self
            .merchants
            .iter()
            .map(|m| MerchantEntry {
                id: m.id.clone(),
                key: m.key.clone(),
                signer: Signer::new(&m.key),
            })
            .collect();
        let shared = Arc::new(Shared {
            base_url: base_url.clone(),
            merchants,
            verifier,
            bodyless: self.bodyless,
            store: Mutex::new(Store::default()),
            callbacks: Arc::new(Dispatcher::new(
                self.callbacks,
                shutdown_rx.clone(),
                tokio::runtime::Handle::current(),
            )),
        });
        for user in self.users {
            shared.add_user(user)?;
        }

        let app = crate::routes::router(Arc::clone(&shared));
        let mut stop = shutdown_rx;
        let server = tokio::spawn(async move {
            let graceful = axum::serve(listener, app).with_graceful_shutdown(async move {
                // Stops on `true`, or when the handle (the sender) is gone.
                let _ = stop.wait_for(|stopped| *stopped).await;
            });
            if let Err(err) = graceful.await {
                tracing::error!(error = %err, "the sandbox server stopped");
            }
        });
        tracing::info!(%base_url, "Kukuruku sandbox listening");
        Ok(Sandbox {
            shared,
            addr,
            base_url,
            shutdown,
            server: Some(server),
        })
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
/// | test control (unsigned) | `POST /sandbox/orders/{uuid}/status`, `GET /sandbox/orders[/{uuid}]`, `GET /sandbox/callbacks`, `GET|POST /sandbox/users` |
pub struct Sandbox {
    shared: Arc<Shared>,
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

    /// The ids of the configured merchants.
    pub fn merchant_ids(&self) -> Vec<String> {
        self.shared.merchants.iter().map(|m| m.id.clone()).collect()
    }

    /// The order with this UUID.
    pub fn order(&self, uuid: &str) -> Option<Order> {
        self.shared.order(uuid)
    }

    /// Every order, oldest first.
    pub fn orders(&self) -> Vec<Order> {
        self.shared.orders()
    }

    /// Moves an order to `status` if PROTOCOL 1.4 allows it, and sends its callback (what
    /// `POST /sandbox/orders/{uuid}/status` does).
    pub fn set_status(&self, uuid: &str, status: OrderStatus) -> Result<Order, StatusChangeError> {
        self.shared.change_status(uuid, status)
    }

    /// Adds a KukuPay user.
    pub fn add_user(&self, user: KukuPayUser) -> Result<(), UserError> {
        self.shared.add_user(user)
    }

    /// The KukuPay users.
    pub fn users(&self) -> Vec<KukuPayUser> {
        self.shared.users()
    }

    /// Every callback delivery so far, oldest first, with its tries.
    pub fn callbacks(&self) -> Vec<CallbackDelivery> {
        self.shared.callbacks.deliveries()
    }

    /// Waits until no callback delivery is pending (each was delivered or given up), at most
    /// `timeout`, and returns the log.
    pub async fn settled_callbacks(&self, timeout: Duration) -> Vec<CallbackDelivery> {
        self.shared.callbacks.settled(timeout).await
    }

    /// Stops accepting connections, stops delivering callbacks, and waits (at most 5 s) for
    /// open connections to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, server).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
