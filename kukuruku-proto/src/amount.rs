//! Amounts in minor units and exact decimal text.
//!
//! Kukuruku counts money as integers of the currency's smallest unit (PROTOCOL 1.2): kopecks
//! for RUB, cents for USD, hundredths for USDT. This module never uses floating point: decimal
//! text such as `"10.50"` is converted digit by digit, and anything that is not exact is an
//! error, never a rounding.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::currency::Currency;
use crate::text::Excerpt;

/// An amount of money in the smallest unit of its currency (kopecks, cents, …).
///
/// Always an integer, never a float, and never above [`Amount::MAX`] (2^53 − 1), the largest
/// integer a JavaScript server (Kukuruku runs on Node) represents exactly.
///
/// `Amount` itself allows zero (an order answer may carry 0), but the request builders
/// ([`PayinRequest`](crate::PayinRequest), [`PayoutRequest`](crate::PayoutRequest)) refuse to
/// create an order of 0 with [`RequestError::ZeroAmount`](crate::RequestError::ZeroAmount).
///
/// On the wire it is a JSON integer. When parsing, a JSON string of ASCII digits (`"50000"`) is
/// also accepted, since Node database drivers often return big integers as strings; floats,
/// negative numbers and values above [`Amount::MAX`] are refused.
///
/// ```
/// use kukuruku_proto::{Amount, Currency};
/// let price = Amount::from_decimal("10.50", &Currency::Usd)?;
/// assert_eq!(price.minor_units(), 1050);
/// assert_eq!(price.to_decimal(&Currency::Usd)?, "10.50");
/// assert_eq!(Amount::from_decimal("500", &Currency::Rub)?, Amount::new(50_000)?);
/// assert!(Amount::from_decimal("1e3", &Currency::Rub).is_err());
/// # Ok::<(), kukuruku_proto::AmountError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(u64);

impl Amount {
    /// The largest amount: 2^53 − 1 = 9 007 199 254 740 991 minor units (JavaScript's
    /// `Number.MAX_SAFE_INTEGER`).
    pub const MAX: Amount = Amount((1 << 53) - 1);

    /// Zero minor units.
    pub const ZERO: Amount = Amount(0);

    /// An amount of `minor_units` (kopecks, cents, …). Refuses values above [`Amount::MAX`].
    pub const fn new(minor_units: u64) -> Result<Self, AmountError> {
        if minor_units > Self::MAX.0 {
            Err(AmountError::TooLarge)
        } else {
            Ok(Self(minor_units))
        }
    }

    /// The amount in minor units, as sent on the wire.
    pub const fn minor_units(self) -> u64 {
        self.0
    }

    /// `true` for zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Parses decimal text in the currency's major unit: `"10.50"` USD is 1050 cents.
    ///
    /// Accepted: ASCII digits, optionally followed by `.` and at most as many digits as the
    /// currency has decimal places (leading zeros are fine). Refused, each with its own
    /// [`AmountError`]: an empty text, signs, whitespace, exponent notation (`1e3`), a decimal
    /// comma or any other character, a point without digits on both sides, more decimals than
    /// the currency has (even zeros: nothing is rounded or dropped), values above
    /// [`Amount::MAX`], and a currency whose decimal places are not known.
    pub fn from_decimal(text: &str, currency: &Currency) -> Result<Self, AmountError> {
        let exponent = currency
            .exponent()
            .ok_or_else(|| AmountError::UnknownExponent {
                currency: currency.code().to_owned(),
            })?;
        Self::from_decimal_with_exponent(text, exponent)
    }

    /// Like [`Amount::from_decimal`], with the number of decimal places given directly.
    ///
    /// ```
    /// use kukuruku_proto::{Amount, AmountError};
    /// assert_eq!(Amount::from_decimal_with_exponent("0.5", 2)?.minor_units(), 50);
    /// assert_eq!(Amount::from_decimal_with_exponent("7", 0)?.minor_units(), 7);
    /// assert_eq!(
    ///     Amount::from_decimal_with_exponent("1.234", 2),
    ///     Err(AmountError::TooManyDecimals { found: 3, allowed: 2 })
    /// );
    /// # Ok::<(), AmountError>(())
    /// ```
    pub fn from_decimal_with_exponent(text: &str, exponent: u8) -> Result<Self, AmountError> {
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let mut points = 0usize;
        for (position, character) in text.char_indices() {
            match character {
                '0'..='9' => {}
                '.' => points += 1,
                '+' | '-' => return Err(AmountError::Sign),
                'e' | 'E' => return Err(AmountError::ExponentNotation),
                c if c.is_whitespace() => return Err(AmountError::Whitespace),
                character => {
                    return Err(AmountError::InvalidCharacter {
                        character,
                        position,
                    });
                }
            }
        }
        if points > 1 {
            return Err(AmountError::MultipleDecimalPoints);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (text, ""),
        };
        if whole.is_empty() || (points == 1 && fraction.is_empty()) {
            return Err(AmountError::MissingDigits);
        }
        if fraction.len() > usize::from(exponent) {
            return Err(AmountError::TooManyDecimals {
                found: fraction.len(),
                allowed: exponent,
            });
        }
        let padding = usize::from(exponent) - fraction.len();
        let digits = whole
            .bytes()
            .chain(fraction.bytes())
            .chain(std::iter::repeat_n(b'0', padding));
        let mut value: u64 = 0;
        for digit in digits {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit - b'0')))
                .ok_or(AmountError::TooLarge)?;
        }
        Self::new(value)
    }

    /// Formats the amount as decimal text in the currency's major unit, with exactly as many
    /// decimals as the currency has: 1050 USD cents is `"10.50"`.
    ///
    /// Fails only for a currency whose decimal places are not known
    /// ([`Currency::Unknown`]).
    pub fn to_decimal(self, currency: &Currency) -> Result<String, AmountError> {
        let exponent = currency
            .exponent()
            .ok_or_else(|| AmountError::UnknownExponent {
                currency: currency.code().to_owned(),
            })?;
        Ok(self.to_decimal_with_exponent(exponent))
    }

    /// Formats the amount with `exponent` decimals: `Amount::new(5)?.to_decimal_with_exponent(2)`
    /// is `"0.05"`; with 0 decimals there is no point.
    pub fn to_decimal_with_exponent(self, exponent: u8) -> String {
        let digits = self.0.to_string();
        let exponent = usize::from(exponent);
        if exponent == 0 {
            return digits;
        }
        let padded = if digits.len() <= exponent {
            let mut padded = "0".repeat(exponent + 1 - digits.len());
            padded.push_str(&digits);
            padded
        } else {
            digits
        };
        let split = padded.len() - exponent;
        format!("{}.{}", &padded[..split], &padded[split..])
    }
}

impl TryFrom<u64> for Amount {
    type Error = AmountError;
    fn try_from(minor_units: u64) -> Result<Self, AmountError> {
        Self::new(minor_units)
    }
}

impl From<Amount> for u64 {
    fn from(amount: Amount) -> u64 {
        amount.0
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AmountVisitor;

        impl Visitor<'_> for AmountVisitor {
            type Value = Amount;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount: a non-negative integer number of minor units")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Amount::new(v).map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                let v = u64::try_from(v).map_err(|_| E::custom(AmountError::Sign))?;
                self.visit_u64(v)
            }

            fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Amount, E> {
                Err(E::custom(
                    "an amount must be an integer number of minor units, not a float",
                ))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::custom(format_args!(
                        "an amount given as text must be ASCII digits only (minor units), got {:?}",
                        Excerpt(v)
                    )));
                }
                Amount::from_decimal_with_exponent(v, 0).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(AmountVisitor)
    }
}

/// Why a number or a text is not an [`Amount`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// The text is empty.
    #[error("the amount is empty: write it with digits, such as 10.50")]
    Empty,
    /// A `+` or `-` sign.
    #[error(
        "the amount has a sign ('+' or '-'): amounts are never negative, write the digits only"
    )]
    Sign,
    /// Whitespace anywhere in the text.
    #[error("the amount contains whitespace: write the digits only, such as 1000.50")]
    Whitespace,
    /// Exponent notation such as `1e3`.
    #[error("the amount is in exponent notation (such as 1e3): write all its digits, such as 1000")]
    ExponentNotation,
    /// A character that is not a digit or a `.`.
    #[error(
        "the amount has {character:?} at position {position}: only digits and one '.' as the decimal separator are allowed"
    )]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its byte position in the text.
        position: usize,
    },
    /// More than one `.`.
    #[error("the amount has more than one decimal point")]
    MultipleDecimalPoints,
    /// A `.` without digits before or after it (`.5`, `5.`).
    #[error("the amount needs digits on both sides of the decimal point, such as 0.50")]
    MissingDigits,
    /// More decimals than the currency has.
    #[error(
        "the amount has {found} decimal places but the currency has {allowed}: amounts are never rounded"
    )]
    TooManyDecimals {
        /// Decimals in the text.
        found: usize,
        /// Decimals of the currency.
        allowed: u8,
    },
    /// Above [`Amount::MAX`].
    #[error(
        "the amount is above the maximum of 9007199254740991 minor units (the largest integer Kukuruku's JavaScript server handles exactly)"
    )]
    TooLarge,
    /// The currency's decimal places are not known.
    #[error(
        "the number of decimal places of currency {currency:?} is not known: opt in with Currency::custom(code, decimal places)"
    )]
    UnknownExponent {
        /// The currency code.
        currency: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples() {
        assert_eq!(
            Amount::from_decimal("10.50", &Currency::Usd)
                .unwrap()
                .minor_units(),
            1050
        );
        assert_eq!(
            Amount::from_decimal("500", &Currency::Rub)
                .unwrap()
                .minor_units(),
            50_000
        );
        assert_eq!(
            Amount::from_decimal("0.5", &Currency::Rub)
                .unwrap()
                .minor_units(),
            50
        );
        assert_eq!(
            Amount::from_decimal("100", &Currency::Usdt)
                .unwrap()
                .minor_units(),
            10_000
        );
        assert_eq!(
            Amount::new(1050)
                .unwrap()
                .to_decimal(&Currency::Usd)
                .unwrap(),
            "10.50"
        );
        assert_eq!(Amount::new(5).unwrap().to_decimal_with_exponent(2), "0.05");
        assert_eq!(Amount::ZERO.to_decimal_with_exponent(2), "0.00");
        assert_eq!(Amount::new(123).unwrap().to_decimal_with_exponent(0), "123");
        assert_eq!(
            Amount::from_decimal("007.10", &Currency::Rub)
                .unwrap()
                .minor_units(),
            710
        );
    }

    #[test]
    fn each_parse_error() {
        let rub = Currency::Rub;
        let cases: &[(&str, AmountError)] = &[
            ("", AmountError::Empty),
            ("+1", AmountError::Sign),
            ("-1", AmountError::Sign),
            ("1e3", AmountError::ExponentNotation),
            ("1E3", AmountError::ExponentNotation),
            ("1 000", AmountError::Whitespace),
            (" 1", AmountError::Whitespace),
            ("1\t", AmountError::Whitespace),
            (
                "1,50",
                AmountError::InvalidCharacter {
                    character: ',',
                    position: 1,
                },
            ),
            (
                "abc",
                AmountError::InvalidCharacter {
                    character: 'a',
                    position: 0,
                },
            ),
            (
                "١",
                AmountError::InvalidCharacter {
                    character: '١',
                    position: 0,
                },
            ),
            ("1.2.3", AmountError::MultipleDecimalPoints),
            (".5", AmountError::MissingDigits),
            ("5.", AmountError::MissingDigits),
            (".", AmountError::MissingDigits),
            (
                "1.234",
                AmountError::TooManyDecimals {
                    found: 3,
                    allowed: 2,
                },
            ),
            (
                "1.500",
                AmountError::TooManyDecimals {
                    found: 3,
                    allowed: 2,
                },
            ),
            ("90071992547409.92", AmountError::TooLarge),
            ("99999999999999999999999999", AmountError::TooLarge),
        ];
        for (text, expected) in cases {
            assert_eq!(
                Amount::from_decimal(text, &rub).as_ref(),
                Err(expected),
                "{text:?}"
            );
        }
        assert_eq!(
            Amount::from_decimal("90071992547409.91", &rub).unwrap(),
            Amount::MAX
        );
    }

    #[test]
    fn max_is_javascript_safe_integer() {
        assert_eq!(Amount::MAX.minor_units(), 9_007_199_254_740_991);
        assert!(Amount::new(9_007_199_254_740_991).is_ok());
        assert_eq!(
            Amount::new(9_007_199_254_740_992),
            Err(AmountError::TooLarge)
        );
        assert_eq!(Amount::try_from(u64::MAX), Err(AmountError::TooLarge));
    }

    #[test]
    fn unknown_currency_has_no_exponent() {
        let unknown = Currency::Unknown("EUR".into());
        assert_eq!(
            Amount::from_decimal("1", &unknown),
            Err(AmountError::UnknownExponent {
                currency: "EUR".into()
            })
        );
        assert!(Amount::ZERO.to_decimal(&unknown).is_err());
        let eur = Currency::custom(" eur ", 2).unwrap();
        assert_eq!(eur.code(), "EUR");
        assert_eq!(
            Amount::from_decimal("1.25", &eur).unwrap().minor_units(),
            125
        );
        let jpy = Currency::custom("JPY", 0).unwrap();
        assert_eq!(
            Amount::from_decimal("100", &jpy).unwrap().minor_units(),
            100
        );
        assert!(Amount::from_decimal("1.0", &jpy).is_err());
    }

    #[test]
    fn amount_serde() {
        assert_eq!(
            serde_json::to_string(&Amount::new(500).unwrap()).unwrap(),
            "500"
        );
        assert_eq!(
            serde_json::from_str::<Amount>("500").unwrap().minor_units(),
            500
        );
        assert_eq!(
            serde_json::from_str::<Amount>("\"500\"")
                .unwrap()
                .minor_units(),
            500
        );
        assert!(serde_json::from_str::<Amount>("5.5").is_err());
        assert!(serde_json::from_str::<Amount>("500.0").is_err());
        assert!(serde_json::from_str::<Amount>("-1").is_err());
        assert!(serde_json::from_str::<Amount>("9007199254740992").is_err());
        assert!(serde_json::from_str::<Amount>("\"5.00\"").is_err());
        assert!(serde_json::from_str::<Amount>("\"\"").is_err());
        assert!(serde_json::from_str::<Amount>("null").is_err());
        assert!(serde_json::from_str::<Amount>("true").is_err());
    }
}
