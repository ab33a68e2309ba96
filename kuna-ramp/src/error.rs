//! The one error type of this crate.

use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use kukuruku_proto::{Excerpt, read_json};
use kukuruku_tower::BoxError;

use crate::validate::ValidationError;

/// What went wrong talking to Kuna. Never carries a credential: no API key, password, login
/// token or widget token appears in any variant, its `Display` or its `Debug`.
///
/// Each variant says its cause once: in its message, or (for [`Invalid`](Self::Invalid) and
/// [`Transport`](Self::Transport)) as its [`source`](std::error::Error::source), which a
/// reporter walking the chain (anyhow, eyre) prints next. Kuna's own words are shown cut to
/// [`kukuruku_proto::EXCERPT_CHARS`] characters; [`message`](Self::message) has them whole.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request field would be refused; nothing was sent. The field and what is wrong with it
    /// are the source.
    #[error("invalid request, nothing was sent")]
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

    /// Kuna answered with a body that has a key twice in one of its objects: refused, since
    /// readers disagree on which value counts.
    #[error(
        "Kuna answered HTTP {status} with a body that has the key {key:?} twice in one object: refused, since readers disagree on which value counts"
    )]
    DuplicateKey {
        /// The HTTP status.
        status: StatusCode,
        /// The key, cut to [`kukuruku_proto::EXCERPT_CHARS`] characters.
        key: String,
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

    /// The request could not be sent or its answer not read (DNS, TCP, TLS, connection closed);
    /// the transport's error is the source.
    #[error("could not reach Kuna")]
    Transport(#[source] BoxError),
}

impl Error {
    /// The HTTP status, when Kuna answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Unauthorized { status, .. }
            | Self::Api { status, .. }
            | Self::UnexpectedBody { status, .. }
            | Self::DuplicateKey { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The raw body Kuna answered, when it did (and the body carries no credential).
    pub fn body(&self) -> Option<&Bytes> {
        match self {
            Self::Unauthorized { body, .. }
            | Self::Api { body, .. }
            | Self::UnexpectedBody { body, .. }
            | Self::DuplicateKey { body, .. } => Some(body),
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

    /// The error for a non-2xx answer: [`Unauthorized`](Self::Unauthorized) for 401 and 403,
    /// else [`Api`](Self::Api), with Kuna's message when the body has one.
    pub(crate) fn from_answer(status: StatusCode, body: Bytes) -> Self {
        let message = error_message(&body);
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            Self::Unauthorized {
                status,
                message,
                body,
            }
        } else {
            Self::Api {
                status,
                message,
                body,
            }
        }
    }
}

/// `: <Kuna's message>`, cut to an excerpt, or nothing.
fn message_suffix(message: Option<&str>) -> String {
    message.map_or_else(String::new, |m| format!(": {}", Excerpt(m)))
}

/// D9: error bodies are not documented; take `message` (a string or a list of strings), else
/// `error`, when the body is JSON with them (and no key twice in an object: such a body is not
/// read, see [`read_json`]).
fn error_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = read_json(body).ok()?;
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
    field("message").or_else(|| field("error")).or_else(|| {
        value
            .get("data")
            .and_then(|d| d.get("message"))
            .and_then(text)
    })
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
        assert_eq!(error_message(br#"{"message":"a","message":"b"}"#), None);
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

    #[test]
    fn a_long_message_is_shown_as_an_excerpt_and_kept_whole() {
        let long = "x".repeat(600);
        let e = Error::from_answer(
            StatusCode::BAD_REQUEST,
            Bytes::from(format!(r#"{{"message":"{long}"}}"#)),
        );
        assert_eq!(e.message(), Some(long.as_str()));
        assert_eq!(
            e.to_string(),
            format!(
                "Kuna answered HTTP 400 Bad Request: {}",
                kukuruku_proto::Excerpt(&long)
            )
        );
        assert!(e.to_string().len() < 120, "{e}");
    }

    #[test]
    fn refusals_of_the_credentials_are_unauthorized() {
        for status in [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN] {
            let e = Error::from_answer(status, Bytes::from_static(br#"{"error":"Forbidden"}"#));
            assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
            assert_eq!(e.message(), Some("Forbidden"));
        }
        let e = Error::from_answer(StatusCode::NOT_FOUND, Bytes::new());
        assert!(matches!(e, Error::Api { message: None, .. }), "{e:?}");
    }

    #[test]
    fn each_cause_is_said_once() {
        use std::error::Error as _;

        let invalid = Error::from(crate::validate::err("email", crate::Problem::Empty));
        let cause = invalid.source().map(ToString::to_string).unwrap();
        assert!(cause.starts_with("`email` is empty"), "{cause}");
        assert_eq!(invalid.to_string(), "invalid request, nothing was sent");

        let transport = Error::Transport("connection refused".into());
        assert_eq!(transport.to_string(), "could not reach Kuna");
        assert_eq!(
            transport.source().map(ToString::to_string).as_deref(),
            Some("connection refused")
        );
    }
}
