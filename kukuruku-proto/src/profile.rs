//! The KukurukuID user's profile: the answer to `GET /api/v1/me` (**D5**).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Currency;

/// The profile of the logged-in KukurukuID user (**D5**): every documented field is optional,
/// and every other field is kept in [`Profile::extra`].
///
/// ```
/// use kukuruku_proto::{Currency, Profile};
/// let me: Profile = serde_json::from_str(
///     r#"{"name":"Ann","email":"ann@example.com","currency":"RUB","balance":100}"#,
/// )?;
/// assert_eq!(me.email.as_deref(), Some("ann@example.com"));
/// assert_eq!(me.currency, Some(Currency::Rub));
/// assert_eq!(me.extra["balance"], 100);
/// assert_eq!(serde_json::from_str::<Profile>("{}")?, Profile::default());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Profile {
    /// The user's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's confirmed e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The user's currency (an unknown code is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Every other field, as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_unknown_and_extra() {
        let profile: Profile =
            serde_json::from_str(r#"{"email":"a@b.co","currency":"KZT","id":"u-1","phone":null}"#)
                .unwrap();
        assert_eq!(profile.name, None);
        assert_eq!(profile.email.as_deref(), Some("a@b.co"));
        assert_eq!(profile.currency, Some(Currency::Unknown("KZT".into())));
        assert_eq!(profile.extra["id"], "u-1");
        assert_eq!(profile.extra["phone"], Value::Null);
        let again: Profile =
            serde_json::from_str(&serde_json::to_string(&profile).unwrap()).unwrap();
        assert_eq!(again, profile);
        let nulls: Profile =
            serde_json::from_str(r#"{"name":null,"email":null,"currency":null}"#).unwrap();
        assert_eq!(nulls, Profile::default());
        assert!(serde_json::from_str::<Profile>(r#"{"name":5}"#).is_err());
        assert!(serde_json::from_str::<Profile>("[]").is_err());
    }
}
