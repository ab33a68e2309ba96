//! [`IdpError`]: why the provider could not start or build a URL.

use std::error::Error as StdError;
use std::sync::Arc;

/// Why the provider could not start or build a URL.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum IdpError {
    /// The issuer is not an absolute http(s) URL without query or fragment.
    #[error("the sandbox issuer {0:?} is not an absolute http(s) URL without query or fragment")]
    InvalidIssuer(String),
    /// The RSA key could not be generated (the operating system gave no randomness).
    #[error("could not generate the sandbox IdP's RSA key")]
    KeyGeneration {
        /// What failed.
        #[source]
        source: Arc<dyn StdError + Send + Sync>,
    },
    /// The merchant URL of a Play redirect is not an absolute http(s) URL.
    #[error("the merchant URL {0:?} is not an absolute http(s) URL")]
    InvalidMerchantUrl(String),
}

impl IdpError {
    /// [`IdpError::KeyGeneration`], caused by `source`.
    pub(crate) fn key_generation(source: impl StdError + Send + Sync + 'static) -> Self {
        Self::KeyGeneration {
            source: Arc::new(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_is_said_once() {
        let error = IdpError::key_generation(std::io::Error::other("no entropy"));
        assert_eq!(
            error.to_string(),
            "could not generate the sandbox IdP's RSA key"
        );
        assert_eq!(
            error.source().map(ToString::to_string),
            Some("no entropy".into())
        );
    }
}
