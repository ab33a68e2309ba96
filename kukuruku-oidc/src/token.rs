//! What can go wrong at the token endpoint, for a login's code and a refresh alike, in this
//! crate's words.

use openidconnect::core::CoreErrorResponseType;
use openidconnect::{RequestTokenError, StandardErrorResponse};
use url::Url;

use crate::error::{Error, TokenErrorCode, provider_text};
use crate::transport::TransportError;

/// The error of `openidconnect`'s token requests over this crate's transport.
pub(crate) type TokenError =
    RequestTokenError<TransportError, StandardErrorResponse<CoreErrorResponseType>>;

/// The [`Error`] for a failed token request to `token_endpoint`.
pub(crate) fn token_error(error: TokenError, token_endpoint: &Url) -> Error {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let error = TokenErrorCode::parse(response.error().as_ref());
            let description = response.error_description().map(|text| provider_text(text));
            // Debug only, and only the provider's words (cut and escaped): never the request.
            tracing::debug!(
                endpoint = %token_endpoint,
                error = ?provider_text(error.as_str()),
                description = ?description,
                "the token endpoint refused the request"
            );
            Error::Token {
                status: None,
                error,
                description,
            }
        }
        RequestTokenError::Request(error) => error.into(),
        // Never the body: a token answer that fails to parse may still hold tokens.
        RequestTokenError::Parse(error, _) => Error::Malformed {
            url: token_endpoint.to_string(),
            reason: provider_text(&error.to_string()),
        },
        RequestTokenError::Other(reason) => Error::Malformed {
            url: token_endpoint.to_string(),
            reason,
        },
    }
}
