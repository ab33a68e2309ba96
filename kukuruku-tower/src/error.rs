//! The client's error: what went wrong with a call, in words a merchant can act on.

use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use kukuruku_proto::{AnswerMismatch, ApiError, RequestError};

use crate::BoxError;
use crate::verify_response::ResponseSignatureError;

/// Why a [`Client`](crate::Client) call failed.
///
/// Errors never carry the secret key or a signature. Where Kukuruku answered, the HTTP status
/// and the raw body are kept ([`Error::status`], [`Error::body`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before anything was sent (a missing field, an amount of 0, a
    /// base URL that is not https, ...).
    #[error("the request is not valid and was not sent")]
    InvalidRequest(#[from] RequestError),
    /// The client's settings are not usable (a zero timeout, a TLS setup failure).
    #[error("the Kukuruku client cannot be built")]
    Config(#[source] BoxError),
    /// The server could not be reached, or the connection failed during the exchange.
    ///
    /// `connect` is `true` when the connection failed before any byte of the request was sent,
    /// so the server cannot have acted on it.
    #[error("{}", if *.connect {
        "could not connect to Kukuruku (nothing was sent); check the base URL and the network"
    } else {
        "the connection to Kukuruku failed during the call; the server may or may not have received the request: check the order's status before creating it again"
    })]
    Transport {
        /// The transport's error.
        #[source]
        source: BoxError,
        /// The connection failed before a byte of the request was sent.
        connect: bool,
    },
    /// No complete answer within the request timeout. For a payin or payout the order may
    /// have been created: look it up rather than creating it again.
    #[error(
        "Kukuruku did not answer within {} ms; the request may still have been processed: check the order's status before creating it again",
        .0.as_millis()
    )]
    Timeout(Duration),
    /// Kukuruku answered with an error (D6): the status, the message it gave, the raw body.
    #[error(transparent)]
    Api(ApiError),
    /// A successful status whose body is not the answer this call expects.
    #[error(
        "Kukuruku answered {status} with a body this SDK could not read ({message}); the raw body is kept in the error"
    )]
    UnexpectedResponse {
        /// The HTTP status.
        status: StatusCode,
        /// The raw body.
        body: Bytes,
        /// What was wrong with it.
        message: String,
    },
    /// A successful answer with a key twice in one of its objects
    /// (`{"amount":1,"amount":500000}`): refused, since readers disagree on which value counts.
    #[error(
        "Kukuruku answered {status} with a body that has the key {key:?} twice in one object: refused, since readers disagree on which value counts"
    )]
    DuplicateKey {
        /// The HTTP status.
        status: StatusCode,
        /// The raw body.
        body: Bytes,
        /// The key, cut to [`kukuruku_proto::EXCERPT_CHARS`] characters.
        key: String,
    },
    /// A correctly signed answer that does not answer this request: an order status about
    /// another order, or for another merchant (a replayed or misrouted answer). The source says
    /// which.
    #[error("Kukuruku's answer {status} was refused: it does not answer this request")]
    Mismatch {
        /// The HTTP status.
        status: StatusCode,
        /// The raw body.
        body: Bytes,
        /// What differs.
        #[source]
        source: AnswerMismatch,
    },
    /// The answer's `signature` is missing or does not verify: it was not trusted. The source
    /// says what was wrong and what to check.
    #[error("Kukuruku's answer was not trusted")]
    BadSignature {
        /// The HTTP status.
        status: StatusCode,
        /// The raw body.
        body: Bytes,
        /// What was wrong with the signature.
        #[source]
        source: ResponseSignatureError,
    },
}

impl Error {
    /// The HTTP status, when Kukuruku answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(error) => Some(error.status()),
            Self::UnexpectedResponse { status, .. }
            | Self::DuplicateKey { status, .. }
            | Self::Mismatch { status, .. }
            | Self::BadSignature { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The raw body of the answer, when Kukuruku answered.
    pub fn body(&self) -> Option<&Bytes> {
        match self {
            Self::Api(error) => Some(error.body()),
            Self::UnexpectedResponse { body, .. }
            | Self::DuplicateKey { body, .. }
            | Self::Mismatch { body, .. }
            | Self::BadSignature { body, .. } => Some(body),
            _ => None,
        }
    }

    /// The parsed error answer (D6), when Kukuruku answered with one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(error) => Some(error),
            _ => None,
        }
    }

    /// `true` for [`Error::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// `true` when the request certainly did not reach the server (refused before sending,
    /// or the connection failed before a byte was sent): creating the order again is safe.
    pub fn is_not_sent(&self) -> bool {
        matches!(
            self,
            Self::InvalidRequest(_) | Self::Config(_) | Self::Transport { connect: true, .. }
        )
    }
}

/// A transport failure that happened before any byte of the request was sent (typically:
/// the TCP or TLS connection could not be made).
///
/// The [`Client`](crate::Client) retries such failures even for a POST, since the server
/// cannot have seen the request. Its own HTTPS transport reports them on its own; a custom
/// transport returns (or wraps, anywhere in its error's `source()` chain) this type to opt in.
///
/// It only marks the transport's error: it shows as that error (its message, its source), so
/// a report says "could not connect" once, at the level that knows what was being connected to.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ConnectError(BoxError);

impl ConnectError {
    /// Marks the transport's own error as a failure to connect.
    pub fn new(source: impl Into<BoxError>) -> Self {
        Self(source.into())
    }
}

/// `true` when `error` (or a source of it) says the connection failed before sending.
pub(crate) fn is_connect_error(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<ConnectError>() {
            return true;
        }
        #[cfg(feature = "transport")]
        if let Some(error) = error.downcast_ref::<hyper_util::client::legacy::Error>()
            && error.is_connect()
        {
            return true;
        }
        current = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    /// A transport's own error that wraps the connect failure, as a custom stack would.
    #[derive(Debug, thiserror::Error)]
    #[error("the transport failed")]
    struct Wrapper(#[source] ConnectError);

    #[test]
    fn a_connect_error_is_found_anywhere_in_the_chain() {
        assert!(is_connect_error(&ConnectError::new("refused")));
        assert!(is_connect_error(&Wrapper(ConnectError::new("refused"))));
        let reset: BoxError = "connection reset by peer".into();
        assert!(!is_connect_error(&*reset));
    }

    #[test]
    fn a_cause_is_behind_source_not_in_the_message() {
        let errors = [
            Error::Config("the request timeout must be above zero".into()),
            Error::InvalidRequest(RequestError::Missing { field: "amount" }),
            Error::Transport {
                source: ConnectError::new("refused").into(),
                connect: true,
            },
            Error::BadSignature {
                status: StatusCode::OK,
                body: Bytes::new(),
                source: ResponseSignatureError::Missing,
            },
            Error::Mismatch {
                status: StatusCode::OK,
                body: Bytes::new(),
                source: AnswerMismatch::Order {
                    asked: kukuruku_proto::OrderId::new("A").unwrap(),
                    answered: kukuruku_proto::OrderId::new("B").unwrap(),
                },
            },
        ];
        for error in errors {
            let cause = error.source().map(ToString::to_string).unwrap_or_default();
            assert!(!cause.is_empty(), "{error:?}");
            assert!(!error.to_string().contains(&cause), "{error}: {cause}");
        }
    }
}
