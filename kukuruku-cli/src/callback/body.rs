//! The callbacks the bench sends: the order object of PROTOCOL D4, serialised compactly as
//! Kukuruku does, or in another style for the serialisation checks, and signed over the exact
//! bytes.

use std::fmt::Write as _;

use bytes::Bytes;
use kukuruku_proto::OrderType;
use kukuruku_proto::{Amount, Currency, MerchantId, Order, OrderId, OrderNumber, OrderStatus};
use kukuruku_sign::Signer;
use serde_json::Value;

use crate::error_chain::chain;
use crate::json_style::{self, Style};

/// The size of the oversized body: one byte over 1 MiB.
pub(crate) const OVERSIZED_LEN: usize = 1024 * 1024 + 1;

/// The text the serialisation checks carry, so that escaping changes their bytes: `/` (PHP
/// escapes it) and `é` (Python's `ensure_ascii` and PHP write it `\u00e9`).
pub(crate) const DESCRIPTION: &str = "Kukuruku callback check: café/crème";

/// The serialisations the suite tries, one check each: `/` written `\/` (PHP), non-ASCII
/// written `\uXXXX` (Python's `ensure_ascii`, PHP), spaces after `:` and `,` (Python).
pub(crate) const STYLES: [Style; 3] = [
    Style {
        escape_slash: true,
        ..COMPACT
    },
    Style {
        ascii_only: true,
        ..COMPACT
    },
    Style {
        spaced: true,
        ..COMPACT
    },
];

/// Kukuruku's own serialisation: the default [`Style`], as a constant.
const COMPACT: Style = Style {
    spaced: false,
    sort_keys: false,
    escape_slash: false,
    ascii_only: false,
};

/// What every callback of a run has in common.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub(crate) merchant_id: MerchantId,
    pub(crate) amount: Amount,
    pub(crate) currency: Currency,
    pub(crate) order_type: OrderType,
}

impl Template {
    /// An order of this template.
    pub(crate) fn order(&self, id: OrderId, number: OrderNumber, status: OrderStatus) -> Order {
        let mut order = Order::new(id, status);
        order.order_number = Some(number);
        order.amount = Some(self.amount);
        order.currency = Some(self.currency.clone());
        order.order_type = Some(self.order_type.clone());
        order.merchant_id = Some(self.merchant_id.clone());
        order
    }
}

/// The bytes Kukuruku sends for `order`: compact JSON, fields in the order of D4.
pub(crate) fn compact(order: &Order) -> Bytes {
    styled(order, Style::default())
}

/// `order` written in `style` (compact, `\/`, `\uXXXX`, spaced…).
pub(crate) fn styled(order: &Order, style: Style) -> Bytes {
    // An `Order` is made of strings, integers and maps: it always converts.
    let value = serde_json::to_value(order).unwrap_or(Value::Null);
    Bytes::from(json_style::write(&value, style))
}

/// `order` padded with a `padding` field to exactly [`OVERSIZED_LEN`] bytes, compact.
pub(crate) fn oversized(order: &Order) -> Bytes {
    let mut padded = order.clone();
    padded
        .extra
        .insert("padding".to_owned(), Value::String(String::new()));
    let base = compact(&padded).len();
    let fill = OVERSIZED_LEN.saturating_sub(base);
    padded
        .extra
        .insert("padding".to_owned(), Value::String("x".repeat(fill)));
    compact(&padded)
}

/// `body` with the last digit of its `"amount":` changed (one byte), and the old and new
/// amounts as text; `None` when the body has no amount.
pub(crate) fn with_amount_changed(body: &[u8]) -> Option<(Bytes, String, String)> {
    let key = b"\"amount\":";
    let start = body.windows(key.len()).position(|w| w == key)? + key.len();
    let digits = body[start..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let last = start + digits - 1;
    let mut changed = body.to_vec();
    changed[last] = if body[last] == b'9' {
        b'8'
    } else {
        body[last] + 1
    };
    let old = String::from_utf8_lossy(&body[start..start + digits]).into_owned();
    let new = String::from_utf8_lossy(&changed[start..start + digits]).into_owned();
    Some((Bytes::from(changed), old, new))
}

/// The signature of `body`: 128 lower-case hex digits.
pub(crate) fn sign(signer: &Signer, body: &[u8]) -> String {
    signer.sign(body).to_hex().as_str().to_owned()
}

/// `count` random bytes as lower-case hex.
pub(crate) fn random_hex(count: usize) -> Result<String, String> {
    let mut bytes = vec![0u8; count];
    getrandom::fill(&mut bytes).map_err(|err| format!("no randomness: {err}"))?;
    Ok(bytes
        .iter()
        .fold(String::with_capacity(count * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        }))
}

/// A fresh random UUID (version 4), as KukuPay's order ids look.
pub(crate) fn fresh_uuid() -> Result<OrderId, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|err| format!("no randomness: {err}"))?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = bytes.iter().fold(String::with_capacity(36), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    });
    let uuid = format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    );
    OrderId::new(uuid).map_err(|err| chain(&err))
}

#[cfg(test)]
mod tests {
    use kukuruku_sign::SecretKey;

    use super::*;

    fn template() -> Template {
        Template {
            merchant_id: MerchantId::new("1").unwrap(),
            amount: Amount::new(50_000).unwrap(),
            currency: Currency::Rub,
            order_type: OrderType::Payin,
        }
    }

    fn order() -> Order {
        template().order(
            OrderId::new("5d0f2a4e-0000-4000-8000-000000000001").unwrap(),
            OrderNumber::new("order/1").unwrap(),
            OrderStatus::Paid,
        )
    }

    #[test]
    fn compact_is_the_d4_order_as_serde_writes_it() {
        let body = compact(&order());
        assert_eq!(
            body,
            r#"{"uuid":"5d0f2a4e-0000-4000-8000-000000000001","order_number":"order/1","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1"}"#
        );
        assert_eq!(body, serde_json::to_vec(&order()).unwrap());
        let parsed: Order = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed, order());
    }

    #[test]
    fn styles_change_the_bytes_not_the_data() {
        let mut order = order();
        order.extra.insert("description".into(), DESCRIPTION.into());
        let compact = compact(&order);
        for style in STYLES {
            let other = styled(&order, style);
            assert_ne!(other, compact, "{style:?}");
            let a: Value = serde_json::from_slice(&other).unwrap();
            let b: Value = serde_json::from_slice(&compact).unwrap();
            assert_eq!(a, b);
        }
        assert!(
            styled(
                &order,
                Style {
                    ascii_only: true,
                    ..Style::default()
                }
            )
            .windows(6)
            .any(|w| w == br"\u00e9")
        );
    }

    #[test]
    fn oversized_is_one_byte_over_a_mebibyte_and_still_an_order() {
        let body = oversized(&order());
        assert_eq!(body.len(), OVERSIZED_LEN);
        let parsed: Order = serde_json::from_slice(&body).unwrap();
        assert_eq!(parsed.id, order().id);
    }

    #[test]
    fn one_byte_of_the_amount_changes() {
        let body = compact(&order());
        let (changed, old, new) = with_amount_changed(&body).unwrap();
        assert_eq!((old.as_str(), new.as_str()), ("50000", "50001"));
        assert_eq!(changed.len(), body.len());
        let differing = body
            .iter()
            .zip(&changed[..])
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(differing, 1);
        let (_, _, nine) = with_amount_changed(br#"{"amount":19}"#).unwrap();
        assert_eq!(nine, "18");
        assert!(with_amount_changed(br#"{"amount":"x"}"#).is_none());
        assert!(with_amount_changed(b"{}").is_none());
    }

    #[test]
    fn uuids_are_version_4_and_fresh() {
        let a = fresh_uuid().unwrap();
        let b = fresh_uuid().unwrap();
        assert_ne!(a, b);
        let text = a.as_str();
        assert_eq!(text.len(), 36);
        assert_eq!(&text[14..15], "4");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(random_hex(4).unwrap().len(), 8);
    }

    #[test]
    fn signs_the_protocol_vector() {
        let key = SecretKey::new("rmQXpjQyAtzS65oVhRLwY9s669UyDKJl").unwrap();
        let body = r#"{"merchant_id":"1","amount":50000,"currency":"RUB","callback_url":"https://your-site.com/callback","order_number":"order-123","redirect_success_url":"https://your-site.com/success","redirect_fail_url":"https://your-site.com/fail","customer":{"client_id":"user@example.com"}}"#;
        assert_eq!(
            sign(&Signer::new(&key), body.as_bytes()),
            "b7611a011a447edd6dee56f302722045d5e947411987d3884eb185157831d815a91293d64b07af6a571403e1665348237ef4d3dac8c83010ab823cc838b4308b"
        );
    }
}
