//! The one error type of this crate.

use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;

use crate::validate::ValidationError;

/// A type-erased error from the HTTP service.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What went wrong talking to Kuna. Never carries a credential: no API key, password, login
/// token or widget token appears in any variant, its `Display` or its `Debug`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request field would be refused; nothing was sent.
    #[error("invalid request, nothing was sent: {0}")]
    Invalid(#[from] ValidationError),

    /// The client is not set up right (base URL, institution id, credentials).
    #[error("client configuration: {0}")]
    Config(String),

    /// Kuna refused the credentials (HTTP 401/403): check the API key, or the login, password
    /// and merchant id. With login credentials the client has already logged in again once.
    #[error("Kuna refused the credentials (HTTP {status}){}; check the API key or the login, password and merchant id", message_suffix(.message.as_deref()))]
    Unauthorized {
        /// The HTTP status (401 or 403).
        status: StatusCode,
        /// Kuna's `message` / `error`, when the body had one.
        message: Option<String>,
        /// The raw body Kuna sent.
        body: Bytes,
    },

    /// Kuna answered with an error status (duplicate e-mail, unknown customer, bad field…).
    #[error("Kuna answered HTTP {status}{}", message_suffix(.message.as_deref()))]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// Kuna's `message` / `error`, when the body had one.
        message: Option<String>,
        /// The raw body Kuna sent.
        body: Bytes,
    },

    /// Kuna answered with success but not the expected JSON (`{"data": …}`).
    #[error("Kuna answered HTTP {status} with a body this client cannot read: {reason}")]
    UnexpectedBody {
        /// The HTTP status.
        status: StatusCode,
        /// What was missing or malformed.
        reason: String,
        /// The raw body; empty for answers that carry a credential (login, widget token).
        body: Bytes,
    },

    /// The answer was larger than the client accepts.
    #[error("Kuna's answer is larger than {limit} bytes; refused")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },

    /// No answer within the client's timeout.
    #[error("no answer from Kuna within {0:?}")]
    Timeout(Duration),

    /// The request could not be sent or its answer not read (DNS, TCP, TLS, connection closed).
    #[error("could not reach Kuna: {0}")]
    Transport(#[source] BoxError),
}

impl Error {
    /// The HTTP status, when Kuna answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Unauthorized { status, .. }
            | Self::Api { status, .. }
            | Self::UnexpectedBody { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The raw body Kuna answered, when it did (and the body carries no credential).
    pub fn body(&self) -> Option<&Bytes> {
        match self {
            Self::Unauthorized { body, .. }
            | Self::Api { body, .. }
            | Self::UnexpectedBody { body, .. } => Some(body),
            _ => None,
        }
    }

    /// Kuna's own words (`message`, else `error`), when the error body had them.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Unauthorized { message, .. } | Self::Api { message, .. } => message.as_deref(),
            _ => None,
        }
    }
}

fn message_suffix(message: Option<&str>) -> String {
    message.map_or_else(String::new, |m| format!(": {m}"))
}

/// D9: error bodies are not documented; take `message` (a string or a list of strings), else
/// `error`, when the body is JSON with them.
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = |v: &serde_json::Value| -> Option<String> {
        match v {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            serde_json::Value::Array(items) => {
                let parts: Vec<&str> = items.iter().filter_map(serde_json::Value::as_str).collect();
                (!parts.is_empty()).then(|| parts.join("; "))
            }
            _ => None,
        }
    };
    let field = |name: &str| value.get(name).and_then(text);
    field("message")
        .or_else(|| field("error"))
        .or_else(|| {
            value
                .get("data")
                .and_then(|d| d.get("message"))
                .and_then(text)
        })
        .map(|m| m.chars().take(500).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_parsed_when_present() {
        assert_eq!(
            error_message(br#"{"statusCode":409,"message":"email taken","error":"Conflict"}"#),
            Some("email taken".into())
        );
        assert_eq!(
            error_message(br#"{"message":["email must be an email","country bad"]}"#),
            Some("email must be an email; country bad".into())
        );
        assert_eq!(
            error_message(br#"{"error":"Forbidden"}"#),
            Some("Forbidden".into())
        );
        assert_eq!(error_message(b"<html>502</html>"), None);
        assert_eq!(error_message(br#"{"other":1}"#), None);
    }

    #[test]
    fn display_keeps_status_and_message() {
        let e = Error::Api {
            status: StatusCode::CONFLICT,
            message: Some("email taken".into()),
            body: Bytes::from_static(b"{}"),
        };
        assert_eq!(
            e.to_string(),
            "Kuna answered HTTP 409 Conflict: email taken"
        );
        assert_eq!(e.status(), Some(StatusCode::CONFLICT));
        let e = Error::Api {
            status: StatusCode::BAD_GATEWAY,
            message: None,
            body: Bytes::from_static(b"<html>"),
        };
        assert_eq!(e.to_string(), "Kuna answered HTTP 502 Bad Gateway");
        assert_eq!(e.body().map(|b| &b[..]), Some(&b"<html>"[..]));
    }
}
