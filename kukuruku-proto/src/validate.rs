//! Checks shared by the request builders: URLs (and where plain `http` is allowed), e-mail
//! fields, order amounts and currencies. Each names the field it refuses.

use url::{Host, Url};

use crate::amount::Amount;
use crate::currency::Currency;
use crate::email::EmailAddress;
use crate::error::RequestError;
use crate::text::Excerpt;

/// Parses a URL and checks it is `https`, or `http` on a loopback host (`localhost`,
/// 127.0.0.0/8, `::1`), without credentials.
pub(crate) fn check_url(field: &'static str, text: &str) -> Result<Url, RequestError> {
    let url =
        Url::parse(text.trim()).map_err(|source| RequestError::InvalidUrl { field, source })?;
    let allowed = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(&url),
        _ => false,
    };
    if !allowed {
        return Err(RequestError::InsecureUrl {
            field,
            scheme: url.scheme().to_owned(),
        });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RequestError::UrlWithCredentials { field });
    }
    Ok(url)
}

/// `true` when the URL's host is `localhost` or a loopback IP address: the one place the
/// workspace decides where plain `http` is allowed (a local sandbox).
///
/// ```
/// use url::Url;
/// assert!(kukuruku_proto::is_loopback(&Url::parse("http://127.0.0.1:8080/").unwrap()));
/// assert!(!kukuruku_proto::is_loopback(&Url::parse("http://example.com/").unwrap()));
/// ```
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An optional URL field: absent stays absent, present is checked like [`check_url`].
pub(crate) fn optional_url(
    field: &'static str,
    url: Option<&str>,
) -> Result<Option<Url>, RequestError> {
    url.map(|url| check_url(field, url)).transpose()
}

/// A customer e-mail field ([`EmailAddress`]'s rule): the trimmed address, or
/// [`RequestError::InvalidEmail`] naming `field` and saying what is wrong.
pub(crate) fn check_email(field: &'static str, text: &str) -> Result<String, RequestError> {
    EmailAddress::new(text)
        .map(String::from)
        .map_err(|error| RequestError::InvalidEmail {
            field,
            reason: error.reason(),
        })
}

/// An order amount: set, and above zero.
pub(crate) fn check_order_amount(amount: Option<Amount>) -> Result<Amount, RequestError> {
    let amount = amount.ok_or(RequestError::Missing { field: "amount" })?;
    if amount.is_zero() {
        return Err(RequestError::ZeroAmount);
    }
    Ok(amount)
}

/// An order currency: set, and with known decimals (D3).
pub(crate) fn check_order_currency(currency: Option<Currency>) -> Result<Currency, RequestError> {
    let currency = currency.ok_or(RequestError::Missing { field: "currency" })?;
    if !currency.is_usable_for_orders() {
        return Err(RequestError::UnknownCurrency {
            code: Excerpt(currency.code()).to_string(),
        });
    }
    Ok(currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        for ok in [
            "https://your-site.com/callback",
            "https://your-site.com",
            "http://localhost:8080/cb",
            "http://LOCALHOST/cb",
            "http://127.0.0.1:3000/x",
            "http://127.8.9.10/x",
            "http://[::1]:3000/x",
            " https://your-site.com/x ",
        ] {
            assert!(check_url("callback_url", ok).is_ok(), "{ok}");
        }
        for (bad, scheme) in [
            ("http://your-site.com/callback", "http"),
            ("http://10.0.0.1/x", "http"),
            ("http://[::2]/x", "http"),
            ("http://localhost.evil.com/x", "http"),
            ("ftp://your-site.com/x", "ftp"),
            ("javascript:alert(1)", "javascript"),
        ] {
            assert_eq!(
                check_url("callback_url", bad),
                Err(RequestError::InsecureUrl {
                    field: "callback_url",
                    scheme: scheme.into()
                }),
                "{bad}"
            );
        }
        assert!(matches!(
            check_url("redirect_fail_url", "/relative"),
            Err(RequestError::InvalidUrl {
                field: "redirect_fail_url",
                source: url::ParseError::RelativeUrlWithoutBase
            })
        ));
        assert!(matches!(
            check_url("callback_url", "https://"),
            Err(RequestError::InvalidUrl { .. })
        ));
        assert_eq!(
            check_url("callback_url", "https://user:pw@your-site.com/"),
            Err(RequestError::UrlWithCredentials {
                field: "callback_url"
            })
        );
    }

    #[test]
    fn emails() {
        for ok in [
            "user@example.com",
            "someuser@gmail.com",
            "first.last+tag@sub.example.co.uk",
            " user@example.com ",
            "пользователь@пример.рф",
        ] {
            assert!(check_email("client_id", ok).is_ok(), "{ok}");
        }
        assert_eq!(check_email("client_id", " a@b.cd ").unwrap(), "a@b.cd");
        for (bad, reason) in [
            ("", "it is empty"),
            ("   ", "it is empty"),
            ("user", "it must contain exactly one @"),
            ("a@b@c.com", "it must contain exactly one @"),
            ("@example.com", "there is nothing before the @"),
            ("user@", "there is no domain after the @"),
            (
                "user@localhost",
                "the domain after the @ has no dot, such as example.com",
            ),
            (
                "user@exa mple.com",
                "it contains spaces or control characters",
            ),
            (
                "user@example..com",
                "the domain after the @ is not a valid host name",
            ),
            (
                "user@-example.com",
                "the domain after the @ is not a valid host name",
            ),
            (
                "user@example.com.",
                "the domain after the @ is not a valid host name",
            ),
            (
                "user@exa_mple.com",
                "the domain after the @ is not a valid host name",
            ),
        ] {
            assert_eq!(
                check_email("client_id", bad),
                Err(RequestError::InvalidEmail {
                    field: "client_id",
                    reason
                }),
                "{bad:?}"
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(check_email("user_email", &long_local).is_err());
        let long = format!("a@{}.com", "b".repeat(260));
        assert!(check_email("user_email", &long).is_err());
    }

    #[test]
    fn amounts_and_currencies() {
        assert_eq!(
            check_order_amount(None),
            Err(RequestError::Missing { field: "amount" })
        );
        assert_eq!(
            check_order_amount(Some(Amount::ZERO)),
            Err(RequestError::ZeroAmount)
        );
        assert!(check_order_amount(Some(Amount::MAX)).is_ok());
        assert_eq!(
            check_order_currency(None),
            Err(RequestError::Missing { field: "currency" })
        );
        assert_eq!(
            check_order_currency(Some(Currency::Unknown("EUR".into()))),
            Err(RequestError::UnknownCurrency { code: "EUR".into() })
        );
        assert!(check_order_currency(Some(Currency::custom("EUR", 2).unwrap())).is_ok());
    }

    #[test]
    fn optional_urls() {
        assert_eq!(optional_url("callback_url", None), Ok(None));
        assert_eq!(
            optional_url("callback_url", Some(" https://your-site.com/cb "))
                .unwrap()
                .map(String::from),
            Some("https://your-site.com/cb".to_owned())
        );
        assert_eq!(
            optional_url("redirect_fail_url", Some("http://your-site.com/")),
            Err(RequestError::InsecureUrl {
                field: "redirect_fail_url",
                scheme: "http".into()
            })
        );
    }
}
