//! [`LedgerClient`]: the payments client that records each order before sending it.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use kukuruku_proto::{
    OrderId, OrderNumber, PayinCreated, PayinRequest, PayoutCreated, PayoutRequest,
};
use kukuruku_tower::{BoxError, Client};
use tower_service::Service;

use crate::error::Error;
use crate::order::NewOrder;
use crate::store::Store;

/// A [`kukuruku_tower::Client`] whose payins and payouts are recorded in the ledger:
/// **before** the call (order number, type, amount, currency, created-at), then completed
/// with KukuPay's id from the answer.
///
/// So an order created just before a crash is still known: its callback carries the order
/// number, and the ledger completes the order with the callback's id.
///
/// If recording fails, nothing is sent ([`Error`] from the store). If Kukuruku refuses or
/// does not answer, the order stays recorded without an id ([`Error::Kukuruku`]): a callback
/// (if Kukuruku did create it) completes it; send it again with the **same** order number
/// and the ledger accepts it. If the id cannot be recorded after Kukuruku created the order,
/// the answer is still returned (the user must be sent to pay) and the failure is logged at
/// `error`: the callback completes the order.
///
/// ```
/// use std::sync::Arc;
/// use bytes::Bytes;
/// use http_body_util::Full;
/// use kukuruku_ledger::{LedgerClient, OrderKey, SqliteStore, Store};
/// use kukuruku_proto::{Amount, Currency, OrderNumber, PayinRequest};
/// use kukuruku_tower::{Client, SecretKey};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// // A stand-in for Kukuruku; in production `Client::builder(..).build()?` (HTTPS).
/// let kukuruku = tower::service_fn(|_req: http::Request<Full<Bytes>>| async {
///     Ok::<_, std::io::Error>(http::Response::new(Full::new(Bytes::from_static(
///         br#"{"success":true,"token":"0b7e3c4e","url":"https://pay.example/0b7e3c4e"}"#,
///     ))))
/// });
/// let client = Client::builder("1", SecretKey::new("secret")?).build_with(kukuruku)?;
/// let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("ledger.sqlite3"))?);
/// let payments = LedgerClient::new(client, Arc::clone(&store));
///
/// let payin = PayinRequest::builder()
///     .amount(Amount::new(50_000)?)
///     .currency(Currency::Rub)
///     .order_number("order-123")
///     .client_id("user@example.com")
///     .build()?;
/// let created = payments.create_payin(&payin).await?;
/// let order = store.order(OrderKey::Number(OrderNumber::new("order-123")?)).await?.unwrap();
/// assert_eq!(order.kukupay_id, Some(created.token));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LedgerClient<S> {
    client: Client<S>,
    store: Arc<dyn Store>,
}

impl<S> fmt::Debug for LedgerClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LedgerClient")
            .field("client", &self.client)
            .field("store", &self.store)
            .finish()
    }
}

impl<S> LedgerClient<S> {
    /// Records the orders `client` creates in `store`.
    pub fn new(client: Client<S>, store: Arc<dyn Store>) -> Self {
        Self { client, store }
    }

    /// The payments client (for the calls that create nothing, such as `order`).
    pub fn client(&self) -> &Client<S> {
        &self.client
    }

    /// The ledger.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}

impl<S, B> LedgerClient<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone,
    S::Error: Into<BoxError>,
    B: Body,
    B::Error: Into<BoxError>,
{
    /// Records the payin, creates it, records its KukuPay id. See the type's docs.
    pub async fn create_payin(&self, payin: &PayinRequest) -> Result<PayinCreated, Error> {
        self.store.record_order(&NewOrder::payin(payin)).await?;
        let created = self.client.create_payin(payin).await?;
        self.attach(payin.order_number(), &created.token).await;
        Ok(created)
    }

    /// Records the payout, creates it, records its KukuPay id. See the type's docs.
    pub async fn create_payout(&self, payout: &PayoutRequest) -> Result<PayoutCreated, Error> {
        self.store.record_order(&NewOrder::payout(payout)).await?;
        let created = self.client.create_payout(payout).await?;
        self.attach(payout.order_number(), &created.uuid).await;
        Ok(created)
    }

    async fn attach(&self, number: &OrderNumber, id: &OrderId) {
        if let Err(error) = self.store.attach_id(number, id).await {
            tracing::error!(
                order_number = number.as_str(),
                order = id.as_str(),
                error = &error as &dyn std::error::Error,
                "the order was created but its KukuPay id not recorded; its callback will complete it"
            );
        }
    }
}
