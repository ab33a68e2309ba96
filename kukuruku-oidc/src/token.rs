//! What can go wrong at the token endpoint, for a login's code and a refresh alike, in this
//! crate's words.

use kukuruku_proto::Excerpt;
use openidconnect::core::CoreErrorResponseType;
use openidconnect::{RequestTokenError, StandardErrorResponse};
use url::Url;

use crate::error::{Error, TokenErrorCode};
use crate::transport::TransportError;

/// The error of `openidconnect`'s token requests over this crate's transport.
pub(crate) type TokenError =
    RequestTokenError<TransportError, StandardErrorResponse<CoreErrorResponseType>>;

/// The [`Error`] for a failed token request to `token_endpoint`.
pub(crate) fn token_error(error: TokenError, token_endpoint: &Url) -> Error {
    match error {
        RequestTokenError::ServerResponse(response) => Error::Token {
            status: None,
            error: TokenErrorCode::parse(response.error().as_ref()),
            description: response
                .error_description()
                .map(|text| Excerpt(text).to_string()),
        },
        RequestTokenError::Request(error) => error.into(),
        // Never the body: a token answer that fails to parse may still hold tokens.
        RequestTokenError::Parse(error, _) => Error::Malformed {
            url: token_endpoint.to_string(),
            reason: error.to_string(),
        },
        RequestTokenError::Other(reason) => Error::Malformed {
            url: token_endpoint.to_string(),
            reason,
        },
    }
}
