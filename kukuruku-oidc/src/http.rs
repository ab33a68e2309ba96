//! The HTTP side: any tower service, boxed once, and `oauth2`'s async HTTP client trait over it.
//!
//! `openidconnect`/`oauth2` ask for an [`AsyncHttpClient`]; [`Http`] is one, built on the tower
//! transport of `kukuruku-tower` (feature `transport`) or on the service the merchant passes to
//! [`KukurukuIdBuilder::transport`](crate::KukurukuIdBuilder::transport). No second HTTP stack.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use tower::util::BoxCloneSyncService;
use tower::{Service, ServiceExt};
use url::Url;

use crate::error::{BoxError, Error};

/// The response body the boxed transport yields.
type BoxBody = UnsyncBoxBody<Bytes, BoxError>;

/// The transport, boxed: concrete, cheap to clone, `Send + Sync`.
type HttpService = BoxCloneSyncService<Request<Full<Bytes>>, Response<BoxBody>, BoxError>;

/// Boxes any tower HTTP service into the transport the client uses.
pub(crate) fn boxed<S, B>(service: S) -> Transport
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Transport(BoxCloneSyncService::new(
        service
            .map_response(|response: Response<B>| {
                response.map(|body| body.map_err(Into::into).boxed_unsync())
            })
            .map_err(Into::into),
    ))
}

/// A boxed tower HTTP service.
#[derive(Clone)]
pub(crate) struct Transport(HttpService);

/// The transport with the client's limits: request timeout and largest answer.
#[derive(Clone)]
pub(crate) struct Http {
    transport: Transport,
    timeout: Duration,
    max_body: usize,
}

impl fmt::Debug for Http {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http")
            .field("timeout", &self.timeout)
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

/// Why an HTTP exchange failed (turned into [`Error`] at the crate's surface).
#[derive(Debug, thiserror::Error)]
pub(crate) enum HttpError {
    #[error("refusing {url}: not https and not loopback")]
    Insecure { url: String },
    #[error("{url} timed out")]
    Timeout { url: String },
    #[error("could not reach {url}: {source}")]
    Transport {
        url: String,
        #[source]
        source: BoxError,
    },
    #[error("answer from {url} larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
}

impl From<HttpError> for Error {
    fn from(error: HttpError) -> Self {
        match error {
            HttpError::Insecure { url } => Error::InsecureUrl { url },
            HttpError::Timeout { url } => Error::Timeout { url },
            HttpError::Transport { url, source } => Error::Transport { url, source },
            HttpError::TooLarge { url, limit } => Error::TooLarge { url, limit },
        }
    }
}

impl Http {
    pub(crate) fn new(transport: Transport, timeout: Duration, max_body: usize) -> Self {
        Self {
            transport,
            timeout,
            max_body,
        }
    }

    /// Sends one request and reads the whole answer (bounded in time and size). Refuses any
    /// URL that is not https or loopback http, whoever produced it (configuration, discovery).
    pub(crate) async fn send(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<Response<Bytes>, HttpError> {
        let url = request.uri().to_string();
        if !is_secure_url_str(&url) {
            return Err(HttpError::Insecure { url });
        }
        let exchange = async {
            let response = self
                .transport
                .0
                .clone()
                .oneshot(request)
                .await
                .map_err(|source| HttpError::Transport {
                    url: url.clone(),
                    source,
                })?;
            let (parts, body) = response.into_parts();
            let collected = collect(body, self.max_body)
                .await
                .map_err(|source| HttpError::Transport {
                    url: url.clone(),
                    source,
                })?
                .ok_or_else(|| HttpError::TooLarge {
                    url: url.clone(),
                    limit: self.max_body,
                })?;
            Ok(Response::from_parts(parts, collected))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(HttpError::Timeout { url }),
        }
    }
}

/// Reads a whole body, at most `limit` bytes (`Ok(None)` past the limit). A plain frame loop:
/// `http_body_util::Limited` over a boxed-error body trips rustc's higher-ranked lifetime check
/// when the future must be `Send` (rust-lang/rust#102211).
async fn collect(mut body: BoxBody, limit: usize) -> Result<Option<Bytes>, BoxError> {
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            if bytes.len().saturating_add(data.len()) > limit {
                return Ok(None);
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(Some(Bytes::from(bytes)))
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .send(Request::from_parts(parts, Full::new(Bytes::from(body))))
                .await?;
            let (parts, body) = response.into_parts();
            Ok(Response::from_parts(parts, body.to_vec()))
        })
    }
}

/// `https`, or `http` to a loopback host (a local sandbox).
pub(crate) fn is_secure_url(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        },
        _ => false,
    }
}

fn is_secure_url_str(url: &str) -> bool {
    Url::parse(url).is_ok_and(|url| is_secure_url(&url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback() {
        for ok in [
            "https://auth.kukuruku.win/realms/public",
            "http://127.0.0.1:8080/x",
            "http://127.5.6.7/",
            "http://[::1]:9/",
            "http://localhost:1/",
        ] {
            assert!(is_secure_url_str(ok), "{ok}");
        }
        for bad in [
            "http://auth.kukuruku.win/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(!is_secure_url_str(bad), "{bad}");
        }
    }
}
