//! The auto-login ("Play" button) query string (PROTOCOL 3), and its issuer, normalised.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::fmt;
use std::str::FromStr;

use url::Url;

use crate::ids::{IdError, OrderId};
use crate::text::Excerpt;
use crate::validate::is_loopback;

/// The query string a user lands with after pressing Play on kukuruku.win (PROTOCOL 3).
///
/// **Everything in it is untrusted**: nothing is signed. The issuer is returned as given
/// (decoded, not validated): check it against your allow-list as an [`Issuer`] (the
/// `kukuruku-oidc` crate does) before starting a login. Credit the order only from a
/// verified callback, never from this query.
///
/// Parameters read:
/// - the issuer from `custom4`, or the older `auth_url` (if both are present they must agree);
///   a value that is still percent-encoded (`https%3A%2F%2F…`, encoded twice) is decoded once
///   more;
/// - the order id from `order_id` or `custom2` (if both are present they must agree);
/// - `auto_login`, `joker_login`, `sub_id1`..`sub_id5` (`sub_id5` is the user's UUID),
///   `aff_click_id`, `custom1` (test flag), `custom3`, all as raw text;
/// - every other parameter is kept in [`AutoLoginQuery::other`].
///
/// A parameter given twice with different values is refused; empty values count as absent.
///
/// ```
/// use kukuruku_proto::{AutoLoginQuery, Issuer};
/// let query = AutoLoginQuery::parse(
///     "?auto_login=true&joker_login=true&custom4=https%3A%2F%2Fauth.kukuruku.win%2Frealms%2Fpublic\
///      &order_id=8f14e45f&custom2=8f14e45f&sub_id5=user-uuid&custom3=true&utm_source=x",
/// )?;
/// assert!(query.is_auto_login());
/// assert_eq!(query.issuer(), "https://auth.kukuruku.win/realms/public");
/// assert_eq!(query.order_id().as_str(), "8f14e45f");
/// assert_eq!(query.user_uuid(), Some("user-uuid"));
/// assert_eq!(query.other()["utm_source"], "x");
/// assert_eq!(Issuer::parse(query.issuer())?.as_str(), "https://auth.kukuruku.win/realms/public");
/// # Ok::<(), kukuruku_proto::AutoLoginError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoLoginQuery {
    issuer: String,
    order_id: OrderId,
    auto_login: Option<String>,
    joker_login: Option<String>,
    sub_ids: [Option<String>; 5],
    aff_click_id: Option<String>,
    custom1: Option<String>,
    custom3: Option<String>,
    other: BTreeMap<String, String>,
}

impl AutoLoginQuery {
    /// Reads the query string (with or without its leading `?`). Never panics.
    pub fn parse(query: &str) -> Result<Self, AutoLoginError> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut params: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match params.entry(name.into_owned()) {
                Entry::Vacant(entry) => {
                    entry.insert(value.into_owned());
                }
                Entry::Occupied(entry) => {
                    if *entry.get() != value {
                        return Err(AutoLoginError::Duplicate {
                            param: Excerpt(entry.key()).to_string(),
                        });
                    }
                }
            }
        }

        let custom4 = take(&mut params, "custom4").map(decode_issuer);
        let auth_url = take(&mut params, "auth_url").map(decode_issuer);
        let issuer = match (custom4, auth_url) {
            (Some(a), Some(b)) if a.trim_end_matches('/') != b.trim_end_matches('/') => {
                return Err(AutoLoginError::Conflict {
                    first: "custom4",
                    second: "auth_url",
                });
            }
            (a, b) => a.or(b).ok_or(AutoLoginError::MissingIssuer)?,
        };

        let order_id = take(&mut params, "order_id");
        let custom2 = take(&mut params, "custom2");
        let order_id = match (order_id, custom2) {
            (Some(a), Some(b)) if a != b => {
                return Err(AutoLoginError::Conflict {
                    first: "order_id",
                    second: "custom2",
                });
            }
            (a, b) => a.or(b).ok_or(AutoLoginError::MissingOrderId)?,
        };
        let order_id = OrderId::new(order_id).map_err(AutoLoginError::InvalidOrderId)?;

        let sub_ids = [
            take(&mut params, "sub_id1"),
            take(&mut params, "sub_id2"),
            take(&mut params, "sub_id3"),
            take(&mut params, "sub_id4"),
            take(&mut params, "sub_id5"),
        ];
        Ok(Self {
            issuer,
            order_id,
            auto_login: take(&mut params, "auto_login"),
            joker_login: take(&mut params, "joker_login"),
            sub_ids,
            aff_click_id: take(&mut params, "aff_click_id"),
            custom1: take(&mut params, "custom1"),
            custom3: take(&mut params, "custom3"),
            other: params,
        })
    }

    /// The issuer URL as given (`custom4` or `auth_url`), decoded but **not validated**.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The id of the order Kukuruku created and paid (`order_id` or `custom2`). Untrusted:
    /// credit it only from a verified callback.
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    /// `true` when `auto_login` is `true`.
    pub fn is_auto_login(&self) -> bool {
        self.auto_login.as_deref() == Some("true")
    }

    /// `true` when `joker_login` is `true`.
    pub fn is_joker_login(&self) -> bool {
        self.joker_login.as_deref() == Some("true")
    }

    /// The raw `auto_login` value.
    pub fn auto_login(&self) -> Option<&str> {
        self.auto_login.as_deref()
    }

    /// The raw `joker_login` value.
    pub fn joker_login(&self) -> Option<&str> {
        self.joker_login.as_deref()
    }

    /// The tracking field `sub_id1`..`sub_id5` (`n` from 1 to 5; `None` otherwise).
    pub fn sub_id(&self, n: usize) -> Option<&str> {
        n.checked_sub(1)
            .and_then(|index| self.sub_ids.get(index))
            .and_then(Option::as_deref)
    }

    /// `sub_id5`: the user's UUID at Kukuruku (untrusted).
    pub fn user_uuid(&self) -> Option<&str> {
        self.sub_id(5)
    }

    /// `aff_click_id`.
    pub fn aff_click_id(&self) -> Option<&str> {
        self.aff_click_id.as_deref()
    }

    /// `custom1` (the test flag), raw.
    pub fn custom1(&self) -> Option<&str> {
        self.custom1.as_deref()
    }

    /// `custom3`, raw.
    pub fn custom3(&self) -> Option<&str> {
        self.custom3.as_deref()
    }

    /// Every parameter not listed above, decoded.
    pub fn other(&self) -> &BTreeMap<String, String> {
        &self.other
    }
}

/// Removes a parameter; an empty value counts as absent.
fn take(params: &mut BTreeMap<String, String>, name: &str) -> Option<String> {
    params.remove(name).filter(|value| !value.is_empty())
}

/// Decodes an issuer once more when it arrived encoded twice (`https%3A%2F%2F…`).
fn decode_issuer(value: String) -> String {
    let lower = value.get(..8).map(str::to_ascii_lowercase);
    let twice_encoded = matches!(lower.as_deref(), Some("https%3a" | "http%3a%"));
    if !twice_encoded {
        return value;
    }
    let decoded = percent_encoding::percent_decode_str(&value)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned);
    decoded.unwrap_or(value)
}

/// The realm path a bare issuer host stands for.
const DEFAULT_REALM_PATH: &str = "/realms/public";

/// An issuer URL, normalised for comparison with an allow-list (PROTOCOL 3): scheme and host
/// lower-cased, default port dropped, trailing `/` removed, and a bare host
/// (`https://auth.kukuruku.win`) read as its realm `public`
/// (`https://auth.kukuruku.win/realms/public`).
///
/// Two issuers are the same realm exactly when their `Issuer`s are equal: normalise both the
/// Play link's issuer ([`AutoLoginQuery::issuer`]) and every allowed one, then compare (the
/// `kukuruku-oidc` crate does).
///
/// ```
/// use kukuruku_proto::Issuer;
/// let public = "https://auth.kukuruku.win/realms/public";
/// assert_eq!(Issuer::parse("https://auth.kukuruku.win")?.as_str(), public);
/// assert_eq!(
///     Issuer::parse("https://AUTH.kukuruku.win:443/realms/public/")?,
///     Issuer::parse(public)?
/// );
/// assert!(Issuer::parse("http://auth.kukuruku.win").is_err());
/// # Ok::<(), kukuruku_proto::AutoLoginError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Issuer(String);

impl Issuer {
    /// Normalises `issuer` (trimmed first).
    ///
    /// Refused with [`AutoLoginError::InvalidIssuer`]: text that is not an absolute URL, a
    /// scheme other than `https` (`http` only on loopback hosts, for a local sandbox),
    /// credentials, a query or a fragment.
    pub fn parse(issuer: &str) -> Result<Self, AutoLoginError> {
        let invalid = |reason: &str| AutoLoginError::InvalidIssuer {
            reason: reason.to_owned(),
        };
        let url = Url::parse(issuer.trim())
            .map_err(|error| invalid(&format!("it is not an absolute URL ({error})")))?;
        match url.scheme() {
            "https" if url.host().is_some() => {}
            "http" if is_loopback(&url) => {}
            _ => return Err(invalid("it must be an https URL")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not contain a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it must not have a query (?…) or a fragment (#…)"));
        }
        let path = url.path().trim_end_matches('/');
        let path = if path.is_empty() {
            DEFAULT_REALM_PATH
        } else {
            path
        };
        Ok(Self(format!(
            "{}{path}",
            url.origin().ascii_serialization()
        )))
    }

    /// The normalised URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Issuer {
    type Err = AutoLoginError;
    fn from_str(s: &str) -> Result<Self, AutoLoginError> {
        Self::parse(s)
    }
}

impl AsRef<str> for Issuer {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Issuer> for String {
    fn from(issuer: Issuer) -> String {
        issuer.0
    }
}

/// Why an auto-login query string or an issuer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AutoLoginError {
    /// Neither `custom4` nor `auth_url` is present.
    #[error(
        "the auto-login link has no issuer (custom4 or auth_url): it did not come from the Kukuruku Play button"
    )]
    MissingIssuer,
    /// Neither `order_id` nor `custom2` is present.
    #[error(
        "the auto-login link has no order id (order_id or custom2): it did not come from the Kukuruku Play button"
    )]
    MissingOrderId,
    /// Two parameters that must carry the same value differ.
    #[error("the auto-login link has different values in {first} and {second}: refusing it")]
    Conflict {
        /// The first parameter.
        first: &'static str,
        /// The second parameter.
        second: &'static str,
    },
    /// A parameter given twice with different values.
    #[error(
        "the auto-login link gives parameter {param:?} twice with different values: refusing it"
    )]
    Duplicate {
        /// The parameter name (shortened if long).
        param: String,
    },
    /// The order id is not a valid id.
    #[error("the auto-login link's order id is not valid")]
    InvalidOrderId(#[source] IdError),
    /// The issuer is not a usable URL.
    #[error("the issuer URL is not valid: {reason}")]
    InvalidIssuer {
        /// Why.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https%3A%2F%2Fauth.kukuruku.win%2Frealms%2Fpublic";

    #[test]
    fn full_query() {
        let query = AutoLoginQuery::parse(&format!(
            "auto_login=true&joker_login=true&custom4={ISSUER}&order_id=o-1&custom2=o-1\
             &sub_id1=a&sub_id2=b&sub_id3=c&sub_id4=d&sub_id5=e&aff_click_id=f&custom1=1&custom3=true&x=y+z"
        ))
        .unwrap();
        assert_eq!(query.issuer(), "https://auth.kukuruku.win/realms/public");
        assert_eq!(query.order_id().as_str(), "o-1");
        assert!(query.is_auto_login());
        assert!(query.is_joker_login());
        assert_eq!(query.auto_login(), Some("true"));
        assert_eq!(query.joker_login(), Some("true"));
        assert_eq!(
            (1..=5).map(|n| query.sub_id(n)).collect::<Vec<_>>(),
            [Some("a"), Some("b"), Some("c"), Some("d"), Some("e")]
        );
        assert_eq!(query.sub_id(0), None);
        assert_eq!(query.sub_id(6), None);
        assert_eq!(query.user_uuid(), Some("e"));
        assert_eq!(query.aff_click_id(), Some("f"));
        assert_eq!(query.custom1(), Some("1"));
        assert_eq!(query.custom3(), Some("true"));
        assert_eq!(query.other().len(), 1);
        assert_eq!(query.other()["x"], "y z");
    }

    #[test]
    fn older_names_and_leading_question_mark() {
        let query = AutoLoginQuery::parse(&format!("?auth_url={ISSUER}&custom2=o-2")).unwrap();
        assert_eq!(query.issuer(), "https://auth.kukuruku.win/realms/public");
        assert_eq!(query.order_id().as_str(), "o-2");
        assert!(!query.is_auto_login());
        assert_eq!(query.user_uuid(), None);
    }

    #[test]
    fn both_names_must_agree() {
        assert!(
            AutoLoginQuery::parse(&format!("custom4={ISSUER}&auth_url={ISSUER}%2F&order_id=o"))
                .is_ok()
        );
        assert_eq!(
            AutoLoginQuery::parse(&format!(
                "custom4={ISSUER}&auth_url=https%3A%2F%2Fevil.example&order_id=o"
            )),
            Err(AutoLoginError::Conflict {
                first: "custom4",
                second: "auth_url"
            })
        );
        assert_eq!(
            AutoLoginQuery::parse(&format!("custom4={ISSUER}&order_id=a&custom2=b")),
            Err(AutoLoginError::Conflict {
                first: "order_id",
                second: "custom2"
            })
        );
    }

    #[test]
    fn duplicates() {
        assert_eq!(
            AutoLoginQuery::parse(&format!("custom4={ISSUER}&order_id=a&order_id=b")),
            Err(AutoLoginError::Duplicate {
                param: "order_id".into()
            })
        );
        assert_eq!(
            AutoLoginQuery::parse(&format!("custom4={ISSUER}&order_id=a&sub_id5=x&sub_id5=y")),
            Err(AutoLoginError::Duplicate {
                param: "sub_id5".into()
            })
        );
        let same = AutoLoginQuery::parse(&format!("custom4={ISSUER}&order_id=a&order_id=a"));
        assert_eq!(same.unwrap().order_id().as_str(), "a");
    }

    #[test]
    fn missing_and_invalid() {
        assert_eq!(
            AutoLoginQuery::parse("order_id=a"),
            Err(AutoLoginError::MissingIssuer)
        );
        assert_eq!(
            AutoLoginQuery::parse("custom4=&order_id=a"),
            Err(AutoLoginError::MissingIssuer)
        );
        assert_eq!(
            AutoLoginQuery::parse(&format!("custom4={ISSUER}")),
            Err(AutoLoginError::MissingOrderId)
        );
        assert_eq!(
            AutoLoginQuery::parse(""),
            Err(AutoLoginError::MissingIssuer)
        );
        assert_eq!(
            AutoLoginQuery::parse(&format!("custom4={ISSUER}&order_id=%0A")),
            Err(AutoLoginError::InvalidOrderId(IdError::ControlCharacter {
                field: "order id",
                position: 0
            }))
        );
    }

    #[test]
    fn issuer_is_not_validated_here() {
        let query = AutoLoginQuery::parse("custom4=javascript%3Aalert(1)&order_id=a").unwrap();
        assert_eq!(query.issuer(), "javascript:alert(1)");
        assert!(Issuer::parse(query.issuer()).is_err());
    }

    #[test]
    fn double_encoded_issuer() {
        let twice = "https%253A%252F%252Fauth.kukuruku.win%252Frealms%252Fpublic";
        let query = AutoLoginQuery::parse(&format!("custom4={twice}&order_id=a")).unwrap();
        assert_eq!(query.issuer(), "https://auth.kukuruku.win/realms/public");
    }

    #[test]
    fn issuer_normalisation() {
        let public = "https://auth.kukuruku.win/realms/public";
        for input in [
            "https://auth.kukuruku.win",
            "https://auth.kukuruku.win/",
            "https://auth.kukuruku.win/realms/public",
            "https://auth.kukuruku.win/realms/public/",
            "HTTPS://Auth.Kukuruku.Win:443/realms/public",
            " https://auth.kukuruku.win ",
        ] {
            assert_eq!(Issuer::parse(input).unwrap().as_str(), public, "{input}");
        }
        assert_eq!(
            Issuer::parse("https://auth.kukuruku.win/realms/other/")
                .unwrap()
                .as_str(),
            "https://auth.kukuruku.win/realms/other"
        );
        assert_eq!(
            Issuer::parse("http://127.0.0.1:8080/realms/public")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/realms/public"
        );
        assert_eq!(
            Issuer::parse("http://localhost:8080").unwrap().as_str(),
            "http://localhost:8080/realms/public"
        );
        for bad in [
            "auth.kukuruku.win",
            "http://auth.kukuruku.win",
            "ftp://auth.kukuruku.win",
            "https://u:p@auth.kukuruku.win",
            "https://auth.kukuruku.win/?x=1",
            "https://auth.kukuruku.win/#x",
            "",
        ] {
            assert!(
                matches!(
                    Issuer::parse(bad),
                    Err(AutoLoginError::InvalidIssuer { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_invalid_order_id_is_told_once() {
        use std::error::Error as _;
        let error = AutoLoginQuery::parse(&format!("custom4={ISSUER}&order_id=%0A")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the auto-login link's order id is not valid"
        );
        assert_eq!(
            error.source().unwrap().to_string(),
            "order id contains a control character at byte 0; use printable text only"
        );
    }

    #[test]
    fn an_issuer_reads_and_prints_as_its_url() {
        let issuer: Issuer = "https://Auth.Kukuruku.Win/".parse().unwrap();
        assert_eq!(
            issuer.to_string(),
            "https://auth.kukuruku.win/realms/public"
        );
        assert_eq!(issuer.as_ref(), issuer.as_str());
        assert_eq!(
            String::from(issuer),
            "https://auth.kukuruku.win/realms/public"
        );
    }
}
