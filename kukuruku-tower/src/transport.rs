//! The ready HTTPS transport (feature `transport`, on by default).
//!
//! hyper 1 with hyper-util's pooled client, TLS by rustls with the `ring` provider and the
//! Mozilla root certificates (webpki-roots), HTTP/1.1 or HTTP/2 as the server offers by ALPN,
//! and a connect timeout. It speaks plain `http://` too, which [`Client`](crate::Client)
//! allows for loopback addresses only (a local sandbox).
//!
//! A connection that the pool had kept and the server closed before the request was written
//! is retried by hyper-util on a fresh connection; nothing that reached the server is.

use std::fmt;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::{self, ResponseFuture};
use hyper_util::rt::TokioExecutor;
use tower_service::Service;

/// The default connect timeout: 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTPS transport: a tower `Service<http::Request<Full<Bytes>>>`. Cheap to clone; clones
/// share one connection pool.
#[derive(Clone)]
pub struct HttpsTransport {
    client: legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// The TLS setup failed (the `ring` provider refused the default protocol versions).
#[derive(Debug, thiserror::Error)]
#[error("could not set up TLS")]
pub struct TransportError(#[source] rustls::Error);

impl HttpsTransport {
    /// A transport with the default connect timeout (10 s).
    pub fn new() -> Result<Self, TransportError> {
        Self::with_connect_timeout(DEFAULT_CONNECT_TIMEOUT)
    }

    /// A transport that gives up a TCP connect after `timeout` (the whole call, TLS included, is
    /// bounded by the client's request timeout).
    pub fn with_connect_timeout(timeout: Duration) -> Result<Self, TransportError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        let https = HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
            .map_err(TransportError)?
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(http);
        let client = legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https);
        Ok(Self { client })
    }
}

impl fmt::Debug for HttpsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsTransport").finish_non_exhaustive()
    }
}

impl Service<Request<Full<Bytes>>> for HttpsTransport {
    type Response = Response<Incoming>;
    type Error = legacy::Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Service::<Request<Full<Bytes>>>::poll_ready(&mut self.client, cx)
    }

    fn call(&mut self, req: Request<Full<Bytes>>) -> Self::Future {
        self.client.request(req)
    }
}
