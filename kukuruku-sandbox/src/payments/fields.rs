//! The fields of a payments request body (PROTOCOL 1.3), each checked with `kukuruku-proto`'s
//! types; a refusal is the message of a 400 with a D6 body, naming the field.

use kukuruku_proto::{Amount, Currency, IdError, MAX_ID_LEN, MerchantId, OrderNumber};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::order::{documented_currency, email_problem};
use crate::json_object::json_object;

/// The body as a JSON object, a key given twice refused ([`json_object`]).
pub(super) fn parse_object(body: &[u8]) -> Result<Map<String, Value>, String> {
    json_object(body).map_err(|err| err.to_string())
}

/// `merchant_id`: a string (PROTOCOL D7), or an integer as older clients send it; a valid
/// [`MerchantId`].
pub(super) fn merchant_id(map: &Map<String, Value>) -> Result<MerchantId, String> {
    match map.get("merchant_id") {
        None | Some(Value::Null) => {
            Err("merchant_id is missing: every request body carries the merchant's id".to_owned())
        }
        Some(value) => MerchantId::deserialize(value).map_err(|err| {
            format!("merchant_id must be the merchant's id as a string, got {value} ({err})")
        }),
    }
}

/// `amount`: a JSON integer above zero, at most [`Amount::MAX`] (never text, never a fraction).
pub(super) fn amount(map: &Map<String, Value>) -> Result<Amount, String> {
    const HINT: &str =
        "an integer number of the smallest currency unit (e.g. 50000 for 500.00 RUB)";
    let value = match map.get("amount") {
        None | Some(Value::Null) => return Err(format!("amount is missing: send {HINT}")),
        Some(value) => value,
    };
    let Value::Number(number) = value else {
        return Err(format!("amount must be {HINT}, got {value}"));
    };
    if let Some(units) = number.as_u64() {
        if units == 0 {
            return Err(format!("amount must be greater than 0, got {number}"));
        }
        return Amount::new(units).map_err(|_| {
            format!(
                "amount must be at most {} (2^53 - 1, JavaScript's safe integer range), got {number}",
                Amount::MAX.minor_units()
            )
        });
    }
    if number.as_i64().is_some() {
        return Err(format!("amount must be greater than 0, got {number}"));
    }
    Err(format!(
        "amount must be {HINT}, not a fraction, got {number}"
    ))
}

/// `currency`: one of the documented codes, exactly (`RUB`, `USD`, `USDT`).
pub(super) fn currency(map: &Map<String, Value>) -> Result<Currency, String> {
    match map.get("currency") {
        None | Some(Value::Null) => Err("currency is missing: send RUB, USD or USDT".to_owned()),
        Some(Value::String(code)) => documented_currency(code)
            .ok_or_else(|| format!("currency {code:?} is not supported: use RUB, USD or USDT")),
        Some(other) => Err(format!(
            "currency must be a string (RUB, USD or USDT), got {other}"
        )),
    }
}

/// `order_number`: a string, a valid [`OrderNumber`].
pub(super) fn order_number(map: &Map<String, Value>) -> Result<OrderNumber, String> {
    match map.get("order_number") {
        None | Some(Value::Null) => {
            Err("order_number is missing: send your own unique number for this order".to_owned())
        }
        Some(Value::String(number)) => OrderNumber::new(number).map_err(|err| match err {
            IdError::Empty { .. } => "order_number must not be empty".to_owned(),
            IdError::TooLong { .. } => {
                format!("order_number must be at most {MAX_ID_LEN} bytes long")
            }
            other => other.to_string(),
        }),
        Some(other) => Err(format!("order_number must be a string, got {other}")),
    }
}

/// An optional URL field: absent or `null`, or an absolute http(s) URL.
pub(super) fn optional_url(
    map: &Map<String, Value>,
    field: &str,
) -> Result<Option<String>, String> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => match url::Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
                Ok(Some(text.clone()))
            }
            _ => Err(format!(
                "{field} must be an absolute http(s) URL, got {text:?}"
            )),
        },
        Some(other) => Err(format!("{field} must be a URL string, got {other}")),
    }
}

/// An e-mail field: a plausible address of one user (the SDK's own check).
pub(super) fn email(value: Option<&Value>, field: &str) -> Result<String, String> {
    match value {
        None | Some(Value::Null) => Err(format!(
            "{field} is missing: send the user's e-mail address"
        )),
        Some(Value::String(text)) => match email_problem(text) {
            None => Ok(text.clone()),
            Some(problem) => Err(format!(
                "{field} must be the user's e-mail address, got {text:?}: {problem}"
            )),
        },
        Some(other) => Err(format!(
            "{field} must be an e-mail address string, got {other}"
        )),
    }
}
