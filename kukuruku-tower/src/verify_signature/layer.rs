//! [`VerifySignatureLayer`]: the settings (keys, limit, read timeout, answers) and the layer.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kukuruku_sign::Verifier;
use tower_layer::Layer;

use super::{DefaultRejection, OnRejection, VerifySignature};

/// The default body limit: 64 KiB (a callback is a few hundred bytes).
pub const DEFAULT_LIMIT: usize = 64 * 1024;
/// The default read timeout: 10 s.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Verifies the `signature` of request bodies: a [`Layer`] producing [`VerifySignature`].
#[derive(Clone)]
pub struct VerifySignatureLayer<R = DefaultRejection> {
    config: Config,
    reject: R,
}

/// What the layer and each of its services verify with.
#[derive(Clone)]
pub(super) struct Config {
    pub(super) verifier: Arc<Verifier>,
    pub(super) limit: usize,
    pub(super) read_timeout: Option<Duration>,
}

impl VerifySignatureLayer {
    /// Verifies with `verifier` (one key, or several during a rotation), a 64 KiB limit and a
    /// 10 s read timeout.
    pub fn new(verifier: Verifier) -> Self {
        Self {
            config: Config {
                verifier: Arc::new(verifier),
                limit: DEFAULT_LIMIT,
                read_timeout: Some(DEFAULT_READ_TIMEOUT),
            },
            reject: DefaultRejection,
        }
    }
}

impl<R> VerifySignatureLayer<R> {
    /// The largest body accepted, in bytes (default 64 KiB).
    #[must_use]
    pub fn limit(mut self, bytes: usize) -> Self {
        self.config.limit = bytes;
        self
    }

    /// How long the whole body may take to arrive (default 10 s).
    #[must_use]
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.config.read_timeout = Some(timeout);
        self
    }

    /// No read timeout: only do this when an outer layer or the server bounds it.
    #[must_use]
    pub fn no_read_timeout(mut self) -> Self {
        self.config.read_timeout = None;
        self
    }

    /// Replaces the answers to refused requests.
    pub fn on_rejection<R2: OnRejection + Clone>(self, reject: R2) -> VerifySignatureLayer<R2> {
        VerifySignatureLayer {
            config: self.config,
            reject,
        }
    }
}

impl<R> fmt::Debug for VerifySignatureLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifySignatureLayer")
            .field("verifier", &self.config.verifier)
            .field("limit", &self.config.limit)
            .field("read_timeout", &self.config.read_timeout)
            .finish_non_exhaustive()
    }
}

impl<S, R: Clone> Layer<S> for VerifySignatureLayer<R> {
    type Service = VerifySignature<S, R>;
    fn layer(&self, inner: S) -> Self::Service {
        VerifySignature {
            inner,
            config: self.config.clone(),
            reject: self.reject.clone(),
        }
    }
}
