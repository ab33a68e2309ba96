//! [`KunaClient`]: the institution API over any tower HTTP service.
//!
//! | file | holds |
//! |---|---|
//! | `mod.rs` | the client itself and what every call shares |
//! | `builder.rs` | [`KunaClientBuilder`], its defaults, the base URL's checks |
//! | `customers.rs` | the customer calls: create, update, details, find |
//! | `widget.rs` | widget tokens, widget URLs, [`WidgetSession`] and `open_widget` |
//! | `session.rs` | authentication on each call: the `api-key` header, or the login token, cached and renewed |
//! | `exchange.rs` | one JSON `POST` and its answer: the request, the round trip, the `data` envelope |
//! | `wipe.rs` | zeroizing answers that carried a secret |

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kukuruku_proto::SharedTimeSource;
use url::Url;

mod builder;
mod customers;
mod exchange;
mod session;
mod widget;
mod wipe;

pub use builder::{DEFAULT_BODY_LIMIT, DEFAULT_RENEW_BEFORE, DEFAULT_TIMEOUT, KunaClientBuilder};
pub use widget::WidgetSession;

use session::Auth;

/// The Kuna institution API client, generic over a tower HTTP service `S` taking
/// `http::Request<Full<Bytes>>` (such as `kukuruku_tower::transport::HttpsTransport`, the default
/// with [`KunaClientBuilder::build`]). Cheap to clone: clones share the login token cache.
///
/// Every call validates its input first ([`Error::Invalid`](crate::Error::Invalid), nothing
/// sent), sends a JSON `POST`, and unwraps the answer's `data`.
pub struct KunaClient<S> {
    inner: Arc<Inner>,
    service: S,
}

/// What clones of a client share.
struct Inner {
    base: Url,
    widget: Url,
    institution_id: Option<String>,
    auth: Auth,
    timeout: Duration,
    body_limit: usize,
    time_source: SharedTimeSource,
}

impl<S: Clone> Clone for KunaClient<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            service: self.service.clone(),
        }
    }
}

impl<S> fmt::Debug for KunaClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KunaClient")
            .field("base_url", &self.inner.base.as_str())
            .field("widget_url", &self.inner.widget.as_str())
            .field("institution_id", &self.inner.institution_id)
            .field("auth", &self.inner.auth)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use bytes::Bytes;
    use http::{Request, Response};
    use http_body_util::Full;

    use crate::{Credentials, CustomerQuery, KunaClient, RampToken};

    /// The calls' futures can be spawned on a multi-threaded runtime.
    #[test]
    fn calls_are_send() {
        fn spawnable<T: Send + 'static>(_: &T) {}
        let service = tower::service_fn(|_: Request<Full<Bytes>>| async {
            Ok::<_, Infallible>(Response::new(Full::new(Bytes::new())))
        });
        let client = KunaClient::builder("https://kuna.example/", Credentials::api_key("k"))
            .build_with(service)
            .unwrap();
        let owned = client.clone();
        spawnable(&async move { owned.customer("c").await });
        let owned = client.clone();
        spawnable(&async move { owned.find_customers(&CustomerQuery::new()).await });
        let owned = client.clone();
        spawnable(&async move { owned.ramp_token("c", "UA").await });
        spawnable(&async move { client.widget_url(&RampToken::new("t")) });
    }
}
