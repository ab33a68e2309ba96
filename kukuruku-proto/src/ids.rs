//! Identifiers: the merchant's id, the merchant's order number, and KukuPay's order id.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use crate::amount::Amount;
use crate::deserialize::text_or_integer;

/// The longest identifier accepted, in bytes (UTF-8).
pub const MAX_ID_LEN: usize = 255;

/// The merchant's id, as shown in the merchant dashboard. Opaque text.
///
/// Built with [`MerchantId::new`]: surrounding whitespace is trimmed; empty text, control
/// characters and more than [`MAX_ID_LEN`] bytes are refused.
///
/// **D7**: it is serialised as a JSON string by default; [`MerchantIdFormat::Number`] sends it
/// as a JSON number instead (the older docs' example), which changes the signed bytes. When
/// parsing, both a string and a non-negative integer are accepted.
///
/// ```
/// use kukuruku_proto::MerchantId;
/// let id = MerchantId::new(" 42 ")?;
/// assert_eq!(id.as_str(), "42");
/// assert_eq!(id.as_number(), Some(42));
/// assert_eq!(serde_json::to_string(&id)?, "\"42\"");
/// assert_eq!(serde_json::from_str::<MerchantId>("42")?, id);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MerchantId(String);

impl MerchantId {
    /// A merchant id from its text (trimmed). See the type's documentation for the rules.
    pub fn new(id: impl AsRef<str>) -> Result<Self, IdError> {
        check_text("merchant_id", id.as_ref().trim()).map(|id| Self(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a JSON-safe number, when it can be sent as one without changing it: ASCII
    /// digits only, no leading zero (except `0` itself), at most 2^53 − 1.
    pub fn as_number(&self) -> Option<u64> {
        let text = self.0.as_str();
        if text.is_empty()
            || !text.bytes().all(|b| b.is_ascii_digit())
            || (text.len() > 1 && text.starts_with('0'))
        {
            return None;
        }
        text.parse::<u64>()
            .ok()
            .filter(|n| *n <= Amount::MAX.minor_units())
    }
}

impl fmt::Display for MerchantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for MerchantId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::new(s)
    }
}

impl AsRef<str> for MerchantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for MerchantId {
    /// Always a JSON string; the request bodies apply [`MerchantIdFormat`] themselves.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MerchantId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        text_or_integer(deserializer, "a merchant_id (a string or an integer)").and_then(|text| {
            let text = trim_owned(text);
            check_text("merchant_id", &text).map_err(de::Error::custom)?;
            Ok(MerchantId(text))
        })
    }
}

/// How `merchant_id` is written in request bodies (**D7**).
///
/// The payments documentation types it as a string (the default); the older docs' example
/// sends a number. The two give different bytes, hence different signatures: switch if your
/// account manager tells you the server expects a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MerchantIdFormat {
    /// `"merchant_id":"1"` (default).
    #[default]
    String,
    /// `"merchant_id":1`. Only for ids that are digits without a leading zero, at most
    /// 2^53 − 1; any other id is refused with
    /// [`RequestError::MerchantIdNotNumeric`](crate::RequestError::MerchantIdNotNumeric).
    Number,
}

/// The merchant's own order number (`order_number`), unique in the merchant's system.
///
/// Built with [`OrderNumber::new`]: trimmed; it must not be empty, must not contain control
/// characters, and must be at most [`MAX_ID_LEN`] bytes.
///
/// ```
/// use kukuruku_proto::OrderNumber;
/// assert_eq!(OrderNumber::new("  order-123 ")?.as_str(), "order-123");
/// assert!(OrderNumber::new("   ").is_err());
/// assert!(OrderNumber::new("a\nb").is_err());
/// # Ok::<(), kukuruku_proto::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderNumber(String);

impl OrderNumber {
    /// An order number from its text (trimmed). See the type's documentation for the rules.
    pub fn new(number: impl AsRef<str>) -> Result<Self, IdError> {
        check_text("order_number", number.as_ref().trim()).map(|n| Self(n.to_owned()))
    }

    /// The order number as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OrderNumber {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::new(s)
    }
}

impl AsRef<str> for OrderNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for OrderNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrderNumber {
    /// A string or an integer, checked like [`OrderNumber::new`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        text_or_integer(deserializer, "an order_number (a string)").and_then(|text| {
            let text = trim_owned(text);
            check_text("order_number", &text).map_err(de::Error::custom)?;
            Ok(OrderNumber(text))
        })
    }
}

/// KukuPay's id of an order: the UUID returned as `token` (payin) or `uuid` (payout). Opaque.
///
/// It must not be empty, must not contain control characters, and must be at most
/// [`MAX_ID_LEN`] bytes; it is not trimmed nor required to be a UUID. When it goes into a URL
/// path it is percent-encoded.
///
/// ```
/// use kukuruku_proto::OrderId;
/// let id = OrderId::new("0b7e3c4e-5d2a-4f8e-9a71-3c2d1e0f9a88")?;
/// assert_eq!(id.to_string(), "0b7e3c4e-5d2a-4f8e-9a71-3c2d1e0f9a88");
/// assert!(OrderId::new("").is_err());
/// # Ok::<(), kukuruku_proto::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(String);

impl OrderId {
    /// An order id from its text (not trimmed). See the type's documentation for the rules.
    pub fn new(id: impl Into<String>) -> Result<Self, IdError> {
        let id = id.into();
        check_text("order id", &id)?;
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for OrderId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::new(s)
    }
}

impl AsRef<str> for OrderId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for OrderId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OrderId {
    /// A string, or an integer (kept as its decimal text).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        text_or_integer(deserializer, "an order id (a string)")
            .and_then(|text| OrderId::new(text).map_err(de::Error::custom))
    }
}

/// Why a text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Empty (after trimming, for trimmed identifiers).
    #[error("{field} is empty")]
    Empty {
        /// Which identifier: `merchant_id`, `order_number` or `order id`.
        field: &'static str,
    },
    /// Longer than [`MAX_ID_LEN`] bytes.
    #[error("{field} is {found} bytes long; at most {max} are allowed")]
    TooLong {
        /// Which identifier.
        field: &'static str,
        /// Its length in bytes.
        found: usize,
        /// The limit.
        max: usize,
    },
    /// A control character (such as a newline or a NUL).
    #[error("{field} contains a control character at byte {position}; use printable text only")]
    ControlCharacter {
        /// Which identifier.
        field: &'static str,
        /// The byte position of the character.
        position: usize,
    },
}

/// `text` trimmed, in its own buffer when there is nothing to trim (no second copy).
fn trim_owned(text: String) -> String {
    let trimmed = text.trim();
    if trimmed.len() == text.len() {
        text
    } else {
        trimmed.to_owned()
    }
}

fn check_text<'a>(field: &'static str, text: &'a str) -> Result<&'a str, IdError> {
    if text.is_empty() {
        return Err(IdError::Empty { field });
    }
    if text.len() > MAX_ID_LEN {
        return Err(IdError::TooLong {
            field,
            found: text.len(),
            max: MAX_ID_LEN,
        });
    }
    // Printable ASCII (the usual id) has no control character: checked a byte at a time.
    if text.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return Ok(text);
    }
    if let Some((position, _)) = text.char_indices().find(|(_, c)| c.is_control()) {
        return Err(IdError::ControlCharacter { field, position });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchant_id_rules() {
        assert_eq!(MerchantId::new(" 1 ").unwrap().as_str(), "1");
        assert_eq!(
            MerchantId::new("  "),
            Err(IdError::Empty {
                field: "merchant_id"
            })
        );
        assert_eq!(
            MerchantId::new("a\u{0}b"),
            Err(IdError::ControlCharacter {
                field: "merchant_id",
                position: 1
            })
        );
        assert!(matches!(
            MerchantId::new("x".repeat(256)),
            Err(IdError::TooLong { found: 256, .. })
        ));
        assert!(MerchantId::new("x".repeat(255)).is_ok());
    }

    #[test]
    fn merchant_id_as_number() {
        let n = |s: &str| MerchantId::new(s).unwrap().as_number();
        assert_eq!(n("1"), Some(1));
        assert_eq!(n("0"), Some(0));
        assert_eq!(n("9007199254740991"), Some(9_007_199_254_740_991));
        assert_eq!(n("9007199254740992"), None);
        assert_eq!(n("01"), None);
        assert_eq!(n("m-1"), None);
        assert_eq!(n("1.0"), None);
        assert_eq!(n("99999999999999999999999"), None);
    }

    #[test]
    fn merchant_id_parses_string_or_number() {
        let expected = MerchantId::new("1").unwrap();
        assert_eq!(
            serde_json::from_str::<MerchantId>("\"1\"").unwrap(),
            expected
        );
        assert_eq!(serde_json::from_str::<MerchantId>("1").unwrap(), expected);
        assert_eq!(serde_json::to_string(&expected).unwrap(), "\"1\"");
        assert!(serde_json::from_str::<MerchantId>("-1").is_err());
        assert!(serde_json::from_str::<MerchantId>("1.5").is_err());
        assert!(serde_json::from_str::<MerchantId>("\"\"").is_err());
        assert!(serde_json::from_str::<MerchantId>("null").is_err());
    }

    #[test]
    fn order_number_rules() {
        assert_eq!(OrderNumber::new("\torder-1 ").unwrap().as_str(), "order-1");
        assert_eq!(
            OrderNumber::new(""),
            Err(IdError::Empty {
                field: "order_number"
            })
        );
        assert_eq!(
            OrderNumber::new("a\u{7f}"),
            Err(IdError::ControlCharacter {
                field: "order_number",
                position: 1
            })
        );
        assert!(OrderNumber::new("я".repeat(128)).is_err()); // 256 bytes
        assert!(OrderNumber::new("я".repeat(127)).is_ok());
        assert_eq!(
            serde_json::from_str::<OrderNumber>("\"n-1\"")
                .unwrap()
                .as_str(),
            "n-1"
        );
        assert!(serde_json::from_str::<OrderNumber>("\" \"").is_err());
        let error = OrderNumber::new(" ").unwrap_err().to_string();
        assert_eq!(error, "order_number is empty");
    }

    #[test]
    fn order_id_rules() {
        assert_eq!(OrderId::new("abc").unwrap().as_str(), "abc");
        assert_eq!(OrderId::new(""), Err(IdError::Empty { field: "order id" }));
        assert!(OrderId::new("a\rb").is_err());
        assert_eq!(
            serde_json::from_str::<OrderId>("42").unwrap().as_str(),
            "42"
        );
        assert!(serde_json::from_str::<OrderId>("{}").is_err());
        assert_eq!(
            serde_json::to_string(&OrderId::new("u").unwrap()).unwrap(),
            "\"u\""
        );
    }
}
