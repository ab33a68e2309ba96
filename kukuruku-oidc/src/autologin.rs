//! The "Play" auto-login (PROTOCOL 3): the landing query is untrusted; its issuer must be one
//! you allow, and the order it names is credited only from the verified payment callback.

use kukuruku_proto::{AutoLoginQuery, Excerpt, Issuer};

use crate::error::Error;

/// A Play landing whose issuer passed the allow-list. Build it with [`AutoLogin::from_query`],
/// then start the login with [`KukurukuId::start_auto_login`](crate::KukurukuId::start_auto_login)
/// (or do both with [`KukurukuId::auto_login`](crate::KukurukuId::auto_login)).
///
/// Nothing in the query string is signed. The order id is only a hint for your UI ("your
/// payment is on its way"): **credit the order only when its signed callback arrives** (see
/// `kukuruku-tower`'s `VerifySignatureLayer`), never from this query or from a finished login.
///
/// ```
/// use kukuruku_oidc::{AutoLogin, Error};
/// let allowed = ["https://auth.kukuruku.win/realms/public"];
/// let play = AutoLogin::from_query(
///     "auto_login=true&joker_login=true&custom4=https%3A%2F%2Fauth.kukuruku.win%2F&order_id=8f14e45f&custom2=8f14e45f",
///     allowed,
/// )?;
/// assert_eq!(play.issuer(), "https://auth.kukuruku.win/realms/public"); // bare host = realm `public`
/// assert_eq!(play.order_id(), "8f14e45f");
///
/// // A link that names another issuer stops here, before any request is made.
/// let forged = AutoLogin::from_query("custom4=https%3A%2F%2Fevil.example&order_id=1", allowed);
/// assert!(matches!(forged, Err(Error::ForeignIssuer { .. })));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoLogin {
    query: AutoLoginQuery,
    issuer: String,
}

impl AutoLogin {
    /// Parses the landing query (with `kukuruku-proto`'s parser) and checks its issuer
    /// (`custom4`, or the older `auth_url`) against `allowed_issuers`: equal after normalising
    /// both (trailing `/` removed, scheme and host lower-cased, a bare host read as realm
    /// `public`). An issuer that is not allowed, or not a usable https URL, is
    /// [`Error::ForeignIssuer`].
    pub fn from_query<I, S>(query: &str, allowed_issuers: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let query = AutoLoginQuery::parse(query).map_err(Error::AutoLoginQuery)?;
        let Ok(issuer) = Issuer::parse(query.issuer()).map(String::from) else {
            return Err(Error::ForeignIssuer {
                issuer: Excerpt(query.issuer()).to_string(),
            });
        };
        let allowed = allowed_issuers
            .into_iter()
            .filter_map(|allowed| Issuer::parse(allowed.as_ref()).ok())
            .any(|allowed| allowed.as_str() == issuer);
        if !allowed {
            return Err(Error::ForeignIssuer { issuer });
        }
        Ok(Self { query, issuer })
    }

    /// The issuer, normalised.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The order id (`order_id` or `custom2`). Untrusted.
    pub fn order_id(&self) -> &str {
        self.query.order_id().as_str()
    }

    /// The whole parsed query (tracking fields `sub_id1`..`sub_id5`, `aff_click_id`, …).
    pub fn query(&self) -> &AutoLoginQuery {
        &self.query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "https://auth.kukuruku.win/realms/public";

    #[test]
    fn allow_list_is_exact_after_normalisation() {
        for custom4 in [
            "https%3A%2F%2Fauth.kukuruku.win",
            "https%3A%2F%2Fauth.kukuruku.win%2Frealms%2Fpublic%2F",
            "https%3A%2F%2FAUTH.kukuruku.win%2Frealms%2Fpublic",
        ] {
            let play =
                AutoLogin::from_query(format!("custom4={custom4}&order_id=o").as_str(), [PUBLIC])
                    .unwrap();
            assert_eq!(play.issuer(), PUBLIC);
        }
        for custom4 in [
            "https%3A%2F%2Fauth.kukuruku.win%2Frealms%2Fother",
            "https%3A%2F%2Fauth.kukuruku.win.evil.example",
            "http%3A%2F%2Fauth.kukuruku.win",
            "javascript%3Aalert(1)",
        ] {
            let error =
                AutoLogin::from_query(format!("custom4={custom4}&order_id=o").as_str(), [PUBLIC])
                    .unwrap_err();
            assert!(
                matches!(error, Error::ForeignIssuer { .. }),
                "{custom4}: {error}"
            );
        }
        assert!(matches!(
            AutoLogin::from_query("order_id=o", [PUBLIC]),
            Err(Error::AutoLoginQuery(_))
        ));
    }
}
