//! The query string KukurukuID redirects the user back with (untrusted input).

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use kukuruku_proto::Excerpt;

use crate::error::{Error, provider_text};

/// The parameters of the redirect back (`?code=…&state=…&session_state=…&iss=…`, or `?error=…`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RedirectQuery {
    pub(crate) code: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) iss: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) error_description: Option<String>,
}

/// The longest query string read (the redirect is short; anything longer is not KukurukuID's).
const MAX_QUERY_LEN: usize = 16 * 1024;

impl RedirectQuery {
    /// Reads the query (with or without `?`, or a whole URL). A parameter given twice is
    /// refused (RFC 6749 3.1); an empty value counts as absent. Never panics.
    pub(crate) fn parse(input: &str) -> Result<Self, Error> {
        if input.len() > MAX_QUERY_LEN {
            return Err(Error::RedirectQuery(format!(
                "longer than {MAX_QUERY_LEN} bytes"
            )));
        }
        let query = match input.split_once('?') {
            Some((_, query)) => query,
            None => input,
        };
        let query = query.split_once('#').map_or(query, |(query, _)| query);
        let mut params = BTreeMap::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match params.entry(name.into_owned()) {
                Entry::Vacant(entry) => {
                    entry.insert(value.into_owned());
                }
                Entry::Occupied(entry) => {
                    return Err(Error::RedirectQuery(format!(
                        "parameter {:?} is given twice",
                        Excerpt(entry.key())
                    )));
                }
            }
        }
        let mut take = |name: &str| params.remove(name).filter(|value| !value.is_empty());
        Ok(Self {
            code: take("code"),
            state: take("state"),
            iss: take("iss"),
            error: take("error"),
            error_description: take("error_description").map(|text| provider_text(&text)),
        })
    }
}

#[cfg(test)]
mod tests {
    use kukuruku_proto::EXCERPT_CHARS;

    use super::*;

    #[test]
    fn reads_code_state_iss() {
        let query = RedirectQuery::parse(
            "https://shop.example/cb?code=c1&state=s1&session_state=x&iss=https%3A%2F%2Fa%2Frealms%2Fpublic#frag",
        )
        .unwrap();
        assert_eq!(query.code.as_deref(), Some("c1"));
        assert_eq!(query.state.as_deref(), Some("s1"));
        assert_eq!(query.iss.as_deref(), Some("https://a/realms/public"));
        assert_eq!(query.error, None);
        assert_eq!(RedirectQuery::parse("").unwrap(), RedirectQuery::default());
        let error =
            RedirectQuery::parse("?error=access_denied&error_description=no+way&state=s").unwrap();
        assert_eq!(error.error.as_deref(), Some("access_denied"));
        assert_eq!(error.error_description.as_deref(), Some("no way"));
    }

    #[test]
    fn refuses_duplicates_and_huge_input() {
        assert!(matches!(
            RedirectQuery::parse("code=a&code=b&state=s"),
            Err(Error::RedirectQuery(_))
        ));
        assert!(matches!(
            RedirectQuery::parse(&"a".repeat(MAX_QUERY_LEN + 1)),
            Err(Error::RedirectQuery(_))
        ));
    }

    #[test]
    fn long_untrusted_text_is_cut() {
        let long = "x".repeat(EXCERPT_CHARS * 3);
        let query = RedirectQuery::parse(&format!("error=e&error_description={long}")).unwrap();
        let description = query.error_description.unwrap();
        assert_eq!(description, format!("{}…", &long[..EXCERPT_CHARS]));
        let Err(Error::RedirectQuery(reason)) = RedirectQuery::parse(&format!("{long}=a&{long}=b"))
        else {
            panic!("a duplicate is refused");
        };
        assert!(reason.len() < long.len(), "{reason}");
    }
}
