//! The typed payments client: [`Client`] and its calls; its settings are in `builder.rs`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::Full;
use kukuruku_proto::{
    ApiConfig, Endpoint, Order, OrderId, OrderStatusRequest, PayinCreated, PayinRequest,
    PayoutCreated, PayoutRequest, ResponseError,
};
use kukuruku_sign::{Signer, Verifier};
use tower_service::Service;
use tracing::Instrument;

use crate::retry::{Outcome, should_retry};
use crate::round_trip::{RoundTripError, round_trip};
use crate::verify_response::check_response;
use crate::{BoxError, Error, RetryPolicy};

mod builder;

pub use builder::{ClientBuilder, DEFAULT_TIMEOUT, ResponseSignature};

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

/// What every call of a client (and of its clones) uses, set once by [`ClientBuilder`].
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
    /// signature is verified (see [`ClientBuilder::response_signature`]), and the answer must be
    /// about this order and this client's merchant: a correctly signed body about another order
    /// (a replayed callback, say) is [`Error::Mismatch`].
    pub async fn order(&self, id: &OrderId) -> Result<Order, Error> {
        let call = OrderStatusRequest::new(id.clone());
        self.call_traced(&call, None, Some(id.as_str())).await
    }

    /// Any [`Endpoint`] of `kukuruku-proto`; its answer is read by the endpoint itself
    /// ([`Endpoint::parse_response`]), against the request it answers.
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
            // Recorded as an error, so the subscriber shows its causes too.
            Err(err) => tracing::warn!(
                latency_ms = latency,
                error = err as &(dyn std::error::Error + 'static),
                "kukuruku call failed"
            ),
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
                    Err(err) => tracing::debug!(
                        error = err as &(dyn std::error::Error + 'static),
                        "retrying"
                    ),
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
        endpoint
            .parse_response(&shared.config, Response::from_parts(parts, body))
            .map_err(from_response_error)
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
        ResponseError::DuplicateKey { status, body, key } => {
            Error::DuplicateKey { status, body, key }
        }
        ResponseError::Mismatch {
            status,
            body,
            source,
        } => Error::Mismatch {
            status,
            body,
            source,
        },
        other => Error::UnexpectedResponse {
            status: other.status(),
            body: other.body().clone(),
            message: other.to_string(),
        },
    }
}
