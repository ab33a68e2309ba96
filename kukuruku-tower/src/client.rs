//! The typed payments client.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use kukuruku_proto::{
    ApiConfig, BodylessSigning, Endpoint, MerchantId, MerchantIdFormat, Order, OrderId,
    OrderStatusRequest, PayinCreated, PayinRequest, PayoutCreated, PayoutRequest, RequestError,
    ResponseError,
};
use kukuruku_sign::{SecretKey, Signer, Verifier};
use tower_service::Service;
use tracing::Instrument;

use crate::retry::{Outcome, should_retry};
use crate::round_trip::{RoundTripError, round_trip};
use crate::verify_response::{DEFAULT_RESPONSE_LIMIT, check_response};
use crate::{BoxError, Error, RetryPolicy};

#[cfg(feature = "transport")]
use crate::transport::HttpsTransport;

/// The default timeout of one attempt (sending and reading the whole answer): 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether an answer that Kukuruku signs (the order status) must carry a valid signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ResponseSignature {
    /// A missing or wrong signature is [`Error::BadSignature`] (default).
    #[default]
    Required,
    /// Checked when present; a missing one is accepted.
    IfPresent,
    /// Not checked. Only for tests against a server that does not sign.
    Ignore,
}

/// The Kukuruku payments client: typed calls over any tower HTTP service.
///
/// It turns each call into a request with `kukuruku-proto`, signs the exact body bytes (D1 for
/// the body-less order status), sends it through the service with a timeout and the retries of
/// its [`RetryPolicy`], verifies the answer's signature where Kukuruku signs it, and parses it.
/// Each call runs in a `tracing` span `kukuruku.call` with the method, path, order number,
/// status and latency (never the key or a signature).
///
/// With the default `transport` feature:
///
/// ```no_run
/// use kukuruku_proto::{Amount, Currency, PayinRequest};
/// use kukuruku_tower::{Client, SecretKey};
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = SecretKey::new(std::env::var("KUKURUKU_SECRET_KEY")?)?;
/// let client = Client::builder("1", key)
///     .base_url("https://api.kukuruku.local")
///     .build()?;
/// let payin = PayinRequest::builder()
///     .amount(Amount::from_decimal("500", &Currency::Rub)?)
///     .currency(Currency::Rub)
///     .order_number("order-123")
///     .client_id("user@example.com")
///     .build()?;
/// let created = client.create_payin(&payin).await?;
/// println!("send the user to {}", created.url);
/// let order = client.order(&created.token).await?; // the answer's signature is verified
/// println!("status: {}", order.status.as_str());
/// # Ok(()) }
/// ```
///
/// With your own stack (any `Service<http::Request<Full<Bytes>>, Response = http::Response<B>>`;
/// here an in-memory stand-in for Kukuruku):
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::Full;
/// use kukuruku_proto::{Amount, Currency, PayinRequest};
/// use kukuruku_tower::{Client, SecretKey};
/// use tower::ServiceBuilder;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let transport = ServiceBuilder::new()
///     .map_request(|mut req: http::Request<Full<Bytes>>| {
///         req.headers_mut().insert("user-agent", http::HeaderValue::from_static("my-shop/1.0"));
///         req
///     })
///     .service_fn(|req: http::Request<Full<Bytes>>| async move {
///         assert_eq!(req.headers()["signature"].len(), 128);
///         Ok::<_, std::io::Error>(http::Response::new(Full::new(Bytes::from_static(
///             br#"{"success":true,"token":"0b7e3c4e","url":"https://pay.example/0b7e3c4e"}"#,
///         ))))
///     });
/// let client = Client::builder("1", SecretKey::new("secret")?).build_with(transport)?;
/// let payin = PayinRequest::builder()
///     .amount(Amount::new(50_000)?)
///     .currency(Currency::Rub)
///     .order_number("order-123")
///     .client_id("user@example.com")
///     .build()?;
/// assert_eq!(client.create_payin(&payin).await?.token.as_str(), "0b7e3c4e");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client<S> {
    service: S,
    shared: Arc<Shared>,
}

struct Shared {
    config: ApiConfig,
    signer: Signer,
    verifier: Verifier,
    timeout: Duration,
    retry: RetryPolicy,
    response_signature: ResponseSignature,
    response_limit: usize,
}

impl<S> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.shared.config.base_url())
            .field("merchant_id", &self.shared.config.merchant_id().as_str())
            .field("timeout", &self.shared.timeout)
            .field("retry", &self.shared.retry)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]: [`Client::builder`].
pub struct ClientBuilder {
    merchant_id: String,
    key: SecretKey,
    previous_keys: Vec<SecretKey>,
    base_url: Option<String>,
    merchant_id_format: MerchantIdFormat,
    bodyless: BodylessSigning,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    response_signature: ResponseSignature,
    response_limit: usize,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("merchant_id", &self.merchant_id)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Client<()> {
    /// Starts a client for `merchant_id` with its `secret_key`, against
    /// `https://api.kukuruku.win` unless [`ClientBuilder::base_url`] says otherwise.
    pub fn builder(merchant_id: impl Into<String>, secret_key: SecretKey) -> ClientBuilder {
        ClientBuilder {
            merchant_id: merchant_id.into(),
            key: secret_key,
            previous_keys: Vec::new(),
            base_url: None,
            merchant_id_format: MerchantIdFormat::default(),
            bodyless: BodylessSigning::default(),
            timeout: DEFAULT_TIMEOUT,
            #[cfg(feature = "transport")]
            connect_timeout: crate::transport::DEFAULT_CONNECT_TIMEOUT,
            #[cfg(not(feature = "transport"))]
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            response_signature: ResponseSignature::default(),
            response_limit: DEFAULT_RESPONSE_LIMIT,
        }
    }
}

impl ClientBuilder {
    /// The API's base URL: `https://api.kukuruku.win` by default, `https://api.kukuruku.local`
    /// for local development, or a sandbox on `http://127.0.0.1:PORT` (plain http is allowed
    /// for loopback hosts only).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How `merchant_id` is written in bodies (D7; default: a JSON string).
    #[must_use]
    pub fn merchant_id_format(mut self, format: MerchantIdFormat) -> Self {
        self.merchant_id_format = format;
        self
    }

    /// What is signed for the body-less order-status call (D1; default `{}`).
    #[must_use]
    pub fn bodyless_signing(mut self, policy: BodylessSigning) -> Self {
        self.bodyless = policy;
        self
    }

    /// Also accept answers signed with this key (during a key rotation).
    #[must_use]
    pub fn previous_key(mut self, key: SecretKey) -> Self {
        self.previous_keys.push(key);
        self
    }

    /// The timeout of one attempt, from sending to the end of the answer (default 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The TCP connect timeout of the built-in transport (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// When calls are retried (default: [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Whether order-status answers must be signed (default: required).
    #[must_use]
    pub fn response_signature(mut self, policy: ResponseSignature) -> Self {
        self.response_signature = policy;
        self
    }

    /// The largest answer body read, in bytes (default 1 MiB).
    #[must_use]
    pub fn response_limit(mut self, bytes: usize) -> Self {
        self.response_limit = bytes;
        self
    }

    /// Builds the client with the built-in HTTPS transport.
    #[cfg(feature = "transport")]
    pub fn build(self) -> Result<Client<HttpsTransport>, Error> {
        if self.connect_timeout.is_zero() {
            return Err(Error::Config(
                "the connect timeout must be above zero (no connection could be made)".into(),
            ));
        }
        let transport = HttpsTransport::with_connect_timeout(self.connect_timeout)
            .map_err(|err| Error::Config(err.into()))?;
        self.build_with(transport)
    }

    /// Builds the client over your own tower HTTP service.
    pub fn build_with<S>(self, service: S) -> Result<Client<S>, Error> {
        if self.timeout.is_zero() {
            return Err(Error::Config(
                "the request timeout must be above zero (every call would time out)".into(),
            ));
        }
        let merchant_id = MerchantId::new(&self.merchant_id).map_err(RequestError::from)?;
        let mut config = ApiConfig::new(merchant_id)
            .with_merchant_id_format(self.merchant_id_format)?
            .with_bodyless_signing(self.bodyless);
        if let Some(url) = &self.base_url {
            config = config.with_base_url(url)?;
        }
        let mut verifier = Verifier::new(&self.key);
        for key in &self.previous_keys {
            verifier = verifier.with_key(key);
        }
        Ok(Client {
            service,
            shared: Arc::new(Shared {
                config,
                signer: Signer::new(&self.key),
                verifier,
                timeout: self.timeout,
                retry: self.retry,
                response_signature: self.response_signature,
                response_limit: self.response_limit,
            }),
        })
    }
}

impl<S> Client<S> {
    /// The protocol configuration (base URL, merchant id, D1 and D7 choices).
    pub fn config(&self) -> &ApiConfig {
        &self.shared.config
    }

    /// The HTTP service underneath.
    pub fn service(&self) -> &S {
        &self.service
    }
}

impl<S, B> Client<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone,
    S::Error: Into<BoxError>,
    B: Body,
    B::Error: Into<BoxError>,
{
    /// Creates a payin (the user pays the merchant). Send the user to the answer's `url`.
    ///
    /// Never sent twice unless the connection failed before a byte went out.
    pub async fn create_payin(&self, payin: &PayinRequest) -> Result<PayinCreated, Error> {
        self.call_traced(payin, Some(payin.order_number().as_str()), None)
            .await
    }

    /// Creates a payout to a KukuPay user (their e-mail).
    ///
    /// Never sent twice unless the connection failed before a byte went out.
    pub async fn create_payout(&self, payout: &PayoutRequest) -> Result<PayoutCreated, Error> {
        self.call_traced(payout, Some(payout.order_number().as_str()), None)
            .await
    }

    /// The order with KukuPay id `id` (a payin's `token`, a payout's `uuid`). The answer's
    /// signature is verified (see [`ClientBuilder::response_signature`]).
    pub async fn order(&self, id: &OrderId) -> Result<Order, Error> {
        let call = OrderStatusRequest::new(id.clone());
        self.call_traced(&call, None, Some(id.as_str())).await
    }

    /// Any [`Endpoint`] of `kukuruku-proto`.
    pub async fn call<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        self.call_traced(endpoint, None, None).await
    }

    async fn call_traced<E: Endpoint>(
        &self,
        endpoint: &E,
        order_number: Option<&str>,
        order_id: Option<&str>,
    ) -> Result<E::Output, Error> {
        let path = endpoint.path();
        let span = tracing::info_span!(
            "kukuruku.call",
            method = %E::METHOD,
            path = %path,
            order_number = order_number,
            order_id = order_id,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = tokio::time::Instant::now();
        let result = self.call_inner(endpoint).instrument(span.clone()).await;
        let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("latency_ms", latency);
        let _entered = span.enter();
        match &result {
            Ok(_) => tracing::info!(latency_ms = latency, "kukuruku call succeeded"),
            Err(err) => tracing::warn!(latency_ms = latency, error = %err, "kukuruku call failed"),
        }
        result
    }

    async fn call_inner<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let shared = &self.shared;
        let mut request = endpoint.to_request(&shared.config)?;
        if E::REQUEST_SIGNED {
            // proto's signing: the exact body bytes, or the D1 input for a body-less call.
            kukuruku_proto::add_signature(&mut request, &shared.config, &shared.signer)?;
        }
        let (parts, body) = request.into_parts();
        let method = parts.method.clone();
        let mut backoffs = shared.retry.backoffs();
        let mut attempt: u32 = 0;
        let (parts, body) = loop {
            attempt += 1;
            tracing::Span::current().record("attempts", attempt);
            let request = clone_request(&parts, &body);
            let outcome = self.attempt(request).await;
            let kind = match &outcome {
                Ok((parts, _)) => Outcome::Answered(parts.status),
                Err(Error::Transport { connect: true, .. }) => Outcome::ConnectFailed,
                Err(_) => Outcome::Failed,
            };
            if attempt <= shared.retry.retries() && should_retry(&method, &kind) {
                match &outcome {
                    Ok((parts, _)) => {
                        tracing::debug!(status = parts.status.as_u16(), "retrying");
                    }
                    Err(err) => tracing::debug!(error = %err, "retrying"),
                }
                backoffs.wait().await;
                continue;
            }
            break outcome?;
        };
        tracing::Span::current().record("status", parts.status.as_u16());

        if E::RESPONSE_SIGNED
            && parts.status.is_success()
            && shared.response_signature != ResponseSignature::Ignore
        {
            let required = shared.response_signature == ResponseSignature::Required;
            if let Err(source) = check_response(&parts.headers, &body, &shared.verifier, required) {
                return Err(Error::BadSignature {
                    status: parts.status,
                    body,
                    source,
                });
            }
        }
        E::parse_response(Response::from_parts(parts, body)).map_err(from_response_error)
    }

    /// One attempt: send, and read the whole answer, within the timeout.
    async fn attempt(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<(http::response::Parts, Bytes), Error> {
        let limit = self.shared.response_limit;
        match round_trip(self.service.clone(), request, self.shared.timeout, limit).await {
            Ok(response) => Ok(response.into_parts()),
            Err(RoundTripError::TooLarge { status, limit }) => Err(Error::UnexpectedResponse {
                status,
                body: Bytes::new(),
                message: format!("the answer is larger than the limit of {limit} bytes"),
            }),
            Err(RoundTripError::Timeout { timeout }) => Err(Error::Timeout(timeout)),
            Err(RoundTripError::Transport { source, connect }) => {
                Err(Error::Transport { source, connect })
            }
        }
    }
}

fn clone_request(parts: &http::request::Parts, body: &Bytes) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(body.clone()));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    *request.extensions_mut() = parts.extensions.clone();
    request
}

fn from_response_error(error: ResponseError) -> Error {
    match error {
        ResponseError::Api(api) => Error::Api(api),
        ResponseError::Malformed {
            status,
            body,
            message,
        } => Error::UnexpectedResponse {
            status,
            body,
            message,
        },
        other => Error::UnexpectedResponse {
            status: other.status(),
            body: other.body().clone(),
            message: other.to_string(),
        },
    }
}
