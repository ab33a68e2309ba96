//! Checks run on every request before it is sent: required fields, e-mail, E.164 phone numbers,
//! ISO 3166-1 alpha-2 countries, and no empty strings.

use std::fmt;

/// A field of a request that would be refused, found before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {problem}")]
pub struct ValidationError {
    /// The field, as Kuna names it on the wire (`email`, `phoneNumber`, `country`…).
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: Problem,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A required field was not set.
    Missing,
    /// The field is set but empty or only white space; leave an optional field unset instead.
    Empty,
    /// Not an e-mail address (`name@example.com`).
    InvalidEmail,
    /// Not a phone number in E.164 form (`+` then 7 to 15 digits, e.g. `+380991234567`).
    InvalidPhone,
    /// Not an ISO 3166-1 alpha-2 country code in upper case (e.g. `UA`, `PL`).
    InvalidCountry,
    /// An update that changes nothing: set at least one field besides `id`.
    NothingToUpdate,
    /// `take` must be at least 1.
    ZeroTake,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Missing => "is required but was not set",
            Self::Empty => "is empty; give a value or leave the optional field unset",
            Self::InvalidEmail => "is not an e-mail address (expected name@example.com)",
            Self::InvalidPhone => {
                "is not an E.164 phone number (expected `+` and 7 to 15 digits, e.g. +380991234567)"
            }
            Self::InvalidCountry => {
                "is not an ISO 3166-1 alpha-2 country code in upper case (e.g. UA, PL, DE)"
            }
            Self::NothingToUpdate => {
                "is the only field set: an update must change at least one field"
            }
            Self::ZeroTake => "must be at least 1",
        })
    }
}

pub(crate) fn err(field: &'static str, problem: Problem) -> ValidationError {
    ValidationError { field, problem }
}

/// A required field: set and not blank.
pub(crate) fn required<'a>(
    field: &'static str,
    value: Option<&'a str>,
) -> Result<&'a str, ValidationError> {
    let value = value.ok_or(err(field, Problem::Missing))?;
    not_blank(field, value)?;
    Ok(value)
}

/// An optional field: if set, not blank.
pub(crate) fn optional(field: &'static str, value: Option<&str>) -> Result<(), ValidationError> {
    value.map_or(Ok(()), |v| not_blank(field, v))
}

pub(crate) fn not_blank(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(err(field, Problem::Empty))
    } else {
        Ok(())
    }
}

/// A pragmatic e-mail check (RFC 5321 lengths, one `@`, a dotted domain of letters, digits and
/// hyphens, no white space); the server has the last word.
pub(crate) fn email(field: &'static str, value: &str) -> Result<(), ValidationError> {
    not_blank(field, value)?;
    let bad = || err(field, Problem::InvalidEmail);
    if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = value.split_once('@').ok_or_else(bad)?;
    if local.is_empty() || local.len() > 64 || domain.contains('@') {
        return Err(bad());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(bad());
    }
    Ok(())
}

/// E.164: `+`, a first digit 1–9, 7 to 15 digits in all, nothing else.
pub(crate) fn phone(field: &'static str, value: &str) -> Result<(), ValidationError> {
    not_blank(field, value)?;
    let digits = value
        .strip_prefix('+')
        .ok_or(err(field, Problem::InvalidPhone))?;
    let ok = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(err(field, Problem::InvalidPhone))
    }
}

/// ISO 3166-1 alpha-2, upper case, from the `iso3166` crate's list of assigned codes.
pub(crate) fn country(field: &'static str, value: &str) -> Result<(), ValidationError> {
    not_blank(field, value)?;
    let upper = value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase());
    if upper && iso3166::Country::from_alpha2(value).is_some() {
        Ok(())
    } else {
        Err(err(field, Problem::InvalidCountry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "viktor.tatov+kuna@example.com",
            "x@sub.example.ua",
        ] {
            assert_eq!(email("email", ok), Ok(()), "{ok}");
        }
        for bad in [
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@b..com",
            "a@-b.com",
            "a@b.com\n",
        ] {
            assert_eq!(
                email("email", bad),
                Err(err("email", Problem::InvalidEmail)),
                "{bad:?}"
            );
        }
        assert_eq!(email("email", "  "), Err(err("email", Problem::Empty)));
    }

    #[test]
    fn phones() {
        for ok in ["+380991234567", "+14155552671", "+4930123"] {
            assert_eq!(phone("phoneNumber", ok), Ok(()), "{ok}");
        }
        for bad in [
            "380991234567",
            "+0991234567",
            "+38099123456789012",
            "+380 99 123 45 67",
            "+38099-1234567",
            "+123456",
            "+",
        ] {
            assert_eq!(
                phone("phoneNumber", bad),
                Err(err("phoneNumber", Problem::InvalidPhone)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn countries() {
        for ok in ["UA", "PL", "DE", "US", "BQ", "SS"] {
            assert_eq!(country("country", ok), Ok(()), "{ok}");
        }
        // lower case, alpha-3, unassigned, withdrawn (Yugoslavia, Soviet Union)
        for bad in ["ua", "UKR", "ZZ", "XX", "YU", "SU", "U", "U1"] {
            assert_eq!(
                country("country", bad),
                Err(err("country", Problem::InvalidCountry)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn required_and_optional() {
        assert_eq!(
            required("firstName", None),
            Err(err("firstName", Problem::Missing))
        );
        assert_eq!(
            required("firstName", Some(" \t")),
            Err(err("firstName", Problem::Empty))
        );
        assert_eq!(required("firstName", Some("Viktor")), Ok("Viktor"));
        assert_eq!(optional("comment", None), Ok(()));
        assert_eq!(
            optional("comment", Some("")),
            Err(err("comment", Problem::Empty))
        );
    }

    #[test]
    fn messages_name_the_field_and_the_fix() {
        let e = err("phoneNumber", Problem::InvalidPhone);
        assert!(
            e.to_string()
                .starts_with("`phoneNumber` is not an E.164 phone number")
        );
    }
}
