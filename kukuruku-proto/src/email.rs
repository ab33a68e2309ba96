//! E-mail addresses: the user who pays (`customer.client_id`) or is paid (`user_email`).

use std::fmt;
use std::str::FromStr;

/// An e-mail address that passed the SDK's check, the one the request builders apply to
/// `customer.client_id` and `user_email` (the server does the real one).
///
/// Deliberately simple: after trimming, at most 254 bytes, no whitespace or control
/// characters, exactly one `@` with 1 to 64 bytes before it, and after it a domain of at least
/// two dot-separated labels made of letters, digits and `-` (non-ASCII letters allowed), no
/// label empty or starting or ending with `-`.
///
/// ```
/// use kukuruku_proto::EmailAddress;
/// assert_eq!(EmailAddress::new(" user@example.com ")?.as_str(), "user@example.com");
/// let error = EmailAddress::new("user@localhost").unwrap_err();
/// assert_eq!(error.reason(), "the domain after the @ has no dot, such as example.com");
/// # Ok::<(), kukuruku_proto::EmailError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Checks `text` (trimmed first) and keeps the trimmed address.
    pub fn new(text: &str) -> Result<Self, EmailError> {
        let invalid = |reason| Err(EmailError { reason });
        let text = text.trim();
        if text.is_empty() {
            return invalid("it is empty");
        }
        if text.len() > 254 {
            return invalid("it is longer than 254 characters");
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid("it contains spaces or control characters");
        }
        let mut parts = text.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return invalid("it must contain exactly one @");
        };
        if local.is_empty() {
            return invalid("there is nothing before the @");
        }
        if local.len() > 64 {
            return invalid("the part before the @ is longer than 64 characters");
        }
        if domain.is_empty() {
            return invalid("there is no domain after the @");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return invalid("the domain after the @ has no dot, such as example.com");
        }
        let label_ok = |label: &&str| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if !labels.iter().all(label_ok) {
            return invalid("the domain after the @ is not a valid host name");
        }
        Ok(Self(text.to_owned()))
    }

    /// The address, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for EmailAddress {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, EmailError> {
        Self::new(s)
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<EmailAddress> for String {
    fn from(address: EmailAddress) -> String {
        address.0
    }
}

/// Why a text is not an [`EmailAddress`]: one sentence, such as "it must contain exactly one @".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this is not an e-mail address such as user@example.com: {reason}")]
pub struct EmailError {
    reason: &'static str,
}

impl EmailError {
    /// What is wrong with the text, as a sentence without a capital or a full stop.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_and_kept() {
        let address = EmailAddress::new("\tuser@example.com ").unwrap();
        assert_eq!(address.as_str(), "user@example.com");
        assert_eq!(address.to_string(), "user@example.com");
        assert_eq!(address.as_ref(), "user@example.com");
        assert_eq!(String::from(address.clone()), "user@example.com");
        assert_eq!("user@example.com".parse::<EmailAddress>(), Ok(address));
    }

    #[test]
    fn the_error_says_why_once() {
        let error = EmailAddress::new("user").unwrap_err();
        assert_eq!(error.reason(), "it must contain exactly one @");
        assert_eq!(
            error.to_string(),
            "this is not an e-mail address such as user@example.com: it must contain exactly one @"
        );
        assert!(std::error::Error::source(&error).is_none());
    }
}
