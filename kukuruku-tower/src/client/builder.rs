//! [`ClientBuilder`]: the client's settings, checked once when it is built.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use kukuruku_proto::{ApiConfig, BodylessSigning, MerchantId, MerchantIdFormat, RequestError};
use kukuruku_sign::{SecretKey, Signer, Verifier};

use super::{Client, Shared};
use crate::verify_response::DEFAULT_RESPONSE_LIMIT;
use crate::{Error, RetryPolicy};

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
