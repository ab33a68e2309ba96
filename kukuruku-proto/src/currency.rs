//! Currencies: the three Kukuruku documents, the ones a merchant opts into, and the codes
//! read from the server that this SDK does not know (**D3**).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::deserialize::open_text;
use crate::text::Excerpt;

/// The largest number of decimal places a custom currency may have.
pub const MAX_EXPONENT: u8 = 18;

/// A currency: the three Kukuruku documents, a custom one the merchant opted into, or an
/// unknown code read from the server.
///
/// On the wire it is the upper-case code (`"RUB"`). Parsing never fails: the known codes match
/// in any letter case, anything else becomes [`Currency::Unknown`] with the text kept as it came.
///
/// **D3**: an unknown currency deserialises (forward compatibility), but a request builder
/// refuses to create an order in it, because its number of decimal places is not known. To
/// create orders in another currency, opt in with [`Currency::custom`]:
///
/// ```
/// use kukuruku_proto::{Amount, Currency};
/// let eur = Currency::custom("EUR", 2)?;
/// assert_eq!(eur.code(), "EUR");
/// assert_eq!(Amount::from_decimal("1.25", &eur)?.minor_units(), 125);
///
/// let from_server: Currency = serde_json::from_str("\"EUR\"")?;
/// assert_eq!(from_server, Currency::Unknown("EUR".into()));
/// assert_eq!(from_server.exponent(), None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Currency {
    /// Russian rouble, counted in kopecks (2 decimals).
    Rub,
    /// US dollar, counted in cents (2 decimals).
    Usd,
    /// Tether, counted in hundredths (2 decimals in this API: 100 USDT = 10000).
    Usdt,
    /// A currency the merchant opted into with [`Currency::custom`], with its decimals.
    Custom(CustomCurrency),
    /// A code this SDK does not know, kept as it came. Its decimals are unknown, so no order
    /// can be created in it (D3).
    Unknown(String),
}

/// A currency the merchant opted into: an upper-case code and its number of decimal places.
/// Built by [`Currency::custom`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomCurrency {
    code: String,
    exponent: u8,
}

impl CustomCurrency {
    /// The upper-case code, e.g. `EUR`.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Its number of decimal places.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl Currency {
    /// The three currencies Kukuruku documents.
    pub const DOCUMENTED: [Currency; 3] = [Currency::Rub, Currency::Usd, Currency::Usdt];

    /// Opts into a currency this SDK does not know, with its number of decimal places (D3).
    ///
    /// The code is trimmed and upper-cased and must be 1 to 16 ASCII letters or digits; the
    /// exponent must be at most [`MAX_EXPONENT`]. A documented code gives the documented
    /// currency (`custom("rub", 2)` is [`Currency::Rub`]); a documented code with other
    /// decimals is refused.
    pub fn custom(code: &str, exponent: u8) -> Result<Self, CurrencyError> {
        let code = code.trim();
        if code.is_empty() || code.len() > 16 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CurrencyError::InvalidCode {
                code: Excerpt(code).to_string(),
            });
        }
        if exponent > MAX_EXPONENT {
            return Err(CurrencyError::ExponentTooLarge { exponent });
        }
        let code = code.to_ascii_uppercase();
        match Self::from_code(&code) {
            Self::Unknown(code) => Ok(Self::Custom(CustomCurrency { code, exponent })),
            known => match known.exponent() {
                Some(documented) if documented == exponent => Ok(known),
                Some(documented) => Err(CurrencyError::DocumentedExponent {
                    code,
                    documented,
                    requested: exponent,
                }),
                None => Ok(known),
            },
        }
    }

    /// The currency for a code from the wire: a documented one (any letter case) or
    /// [`Currency::Unknown`] keeping the text as given. Never fails.
    pub fn from_code(code: &str) -> Self {
        if code.eq_ignore_ascii_case("RUB") {
            Self::Rub
        } else if code.eq_ignore_ascii_case("USD") {
            Self::Usd
        } else if code.eq_ignore_ascii_case("USDT") {
            Self::Usdt
        } else {
            Self::Unknown(code.to_owned())
        }
    }

    /// The code sent on the wire: `RUB`, `USD`, `USDT`, a custom code, or the unknown text.
    pub fn code(&self) -> &str {
        match self {
            Self::Rub => "RUB",
            Self::Usd => "USD",
            Self::Usdt => "USDT",
            Self::Custom(custom) => &custom.code,
            Self::Unknown(code) => code,
        }
    }

    /// The number of decimal places (2 for RUB, USD and USDT), `None` when unknown.
    pub fn exponent(&self) -> Option<u8> {
        match self {
            Self::Rub | Self::Usd | Self::Usdt => Some(2),
            Self::Custom(custom) => Some(custom.exponent),
            Self::Unknown(_) => None,
        }
    }

    /// `true` when orders can be created in this currency (its decimals are known).
    pub fn is_usable_for_orders(&self) -> bool {
        self.exponent().is_some()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = std::convert::Infallible;
    /// Same as [`Currency::from_code`]: never fails.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from_code(s))
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        open_text(
            deserializer,
            "a currency code such as \"RUB\"",
            Currency::from_code,
        )
    }
}
/// Why [`Currency::custom`] refused a currency.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CurrencyError {
    /// The code is empty, too long or not ASCII letters and digits.
    #[error(
        "currency code {code:?} is not valid: use 1 to 16 ASCII letters or digits, such as EUR"
    )]
    InvalidCode {
        /// The code given (shortened if long).
        code: String,
    },
    /// More decimals than [`MAX_EXPONENT`].
    #[error("a currency with {exponent} decimal places is not supported (at most 18)")]
    ExponentTooLarge {
        /// The exponent given.
        exponent: u8,
    },
    /// A documented currency with other decimals than documented.
    #[error("currency {code} has {documented} decimal places in the Kukuruku API, not {requested}")]
    DocumentedExponent {
        /// The code.
        code: String,
        /// The documented decimals.
        documented: u8,
        /// The decimals asked for.
        requested: u8,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_currency_rules() {
        assert_eq!(Currency::custom("rub", 2).unwrap(), Currency::Rub);
        assert!(matches!(
            Currency::custom("RUB", 3),
            Err(CurrencyError::DocumentedExponent {
                documented: 2,
                requested: 3,
                ..
            })
        ));
        assert!(matches!(
            Currency::custom("", 2),
            Err(CurrencyError::InvalidCode { .. })
        ));
        assert!(matches!(
            Currency::custom("E U R", 2),
            Err(CurrencyError::InvalidCode { .. })
        ));
        assert!(matches!(
            Currency::custom("ABCDEFGHIJKLMNOPQ", 2),
            Err(CurrencyError::InvalidCode { .. })
        ));
        assert_eq!(
            Currency::custom("EUR", 19),
            Err(CurrencyError::ExponentTooLarge { exponent: 19 })
        );
        assert!(Currency::custom("BTC", 18).is_ok());
    }

    #[test]
    fn currency_serde() {
        for (currency, text) in [
            (Currency::Rub, "\"RUB\""),
            (Currency::Usd, "\"USD\""),
            (Currency::Usdt, "\"USDT\""),
        ] {
            assert_eq!(serde_json::to_string(&currency).unwrap(), text);
            assert_eq!(serde_json::from_str::<Currency>(text).unwrap(), currency);
        }
        assert_eq!(
            serde_json::from_str::<Currency>("\"rub\"").unwrap(),
            Currency::Rub
        );
        let unknown: Currency = serde_json::from_str("\"eur\"").unwrap();
        assert_eq!(unknown, Currency::Unknown("eur".into()));
        assert_eq!(serde_json::to_string(&unknown).unwrap(), "\"eur\"");
        assert_eq!(
            serde_json::to_string(&Currency::custom("EUR", 2).unwrap()).unwrap(),
            "\"EUR\""
        );
        assert!(serde_json::from_str::<Currency>("5").is_err());
        assert_eq!("USDT".parse::<Currency>().unwrap(), Currency::Usdt);
        assert_eq!(Currency::Usdt.to_string(), "USDT");
    }
}
