//! Reading the wire's text, shared by the models: identifiers sent as a string or an integer,
//! string enums that keep the values they do not know, and the default of an answer's
//! `success`.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Visitor};

/// Reads a string, or a non-negative integer as its decimal text (identifiers: Node servers
/// send some as numbers). `expecting` names the field in the error for anything else.
pub(crate) fn text_or_integer<'de, D>(
    deserializer: D,
    expecting: &'static str,
) -> Result<String, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_any(TextOrInteger(expecting))
}

/// Deserialises a string-valued wire enum that never fails on text (unknown values are kept):
/// `parse` maps the text, `expecting` names it in the error for a non-string.
pub(crate) fn open_text<'de, D, T>(
    deserializer: D,
    expecting: &'static str,
    parse: fn(&str) -> T,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    deserializer.deserialize_str(OpenText { expecting, parse })
}

/// The default of an answer's `success` field when it is missing: `true` (a body with
/// `"success": false` is an error answer, read before this).
pub(crate) fn success_default() -> bool {
    true
}

/// Reads a string, or an integer as its decimal text.
struct TextOrInteger(&'static str);

impl Visitor<'_> for TextOrInteger {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        if v < 0 {
            Err(E::custom(format_args!(
                "expected {}, got the negative number {v}",
                self.0
            )))
        } else {
            Ok(v.to_string())
        }
    }
}

/// Reads a string through `parse`, which never fails.
struct OpenText<T> {
    expecting: &'static str,
    parse: fn(&str) -> T,
}

impl<T> Visitor<'_> for OpenText<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok((self.parse)(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(json: &str) -> Result<String, serde_json::Error> {
        text_or_integer(&mut serde_json::Deserializer::from_str(json), "an id")
    }

    fn open(json: &str) -> Result<String, serde_json::Error> {
        open_text(
            &mut serde_json::Deserializer::from_str(json),
            "a name",
            str::to_uppercase,
        )
    }

    #[test]
    fn text_or_integer_reads_strings_and_non_negative_integers() {
        assert_eq!(text(r#""a-1""#).unwrap(), "a-1");
        assert_eq!(text("42").unwrap(), "42");
        assert_eq!(text("0").unwrap(), "0");
        let negative = text("-1").unwrap_err().to_string();
        assert!(
            negative.contains("expected an id, got the negative number -1"),
            "{negative}"
        );
        for other in ["1.5", "null", "true", "{}", "[]"] {
            let error = text(other).unwrap_err().to_string();
            assert!(error.contains("expected an id"), "{other}: {error}");
        }
    }

    #[test]
    fn open_text_keeps_any_string_and_refuses_the_rest() {
        assert_eq!(open(r#""paid""#).unwrap(), "PAID");
        assert_eq!(open(r#""""#).unwrap(), "");
        for other in ["5", "null", "{}"] {
            let error = open(other).unwrap_err().to_string();
            assert!(error.contains("expected a name"), "{other}: {error}");
        }
    }

    #[test]
    fn a_missing_success_is_true() {
        assert!(success_default());
    }
}
