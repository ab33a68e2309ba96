//! The order object (**D4**): the order status answer and the body of every callback.

use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::amount::Amount;
use crate::currency::Currency;
use crate::ids::{MerchantId, OrderId, OrderNumber};
use crate::order_read::read_order;
use crate::status::{OrderStatus, OrderType};
use crate::strict_json::{Found, Strict};

/// The names an order's id is read from, in order of preference (D4).
#[cfg(test)]
const ORDER_ID_FIELDS: [&str; 4] = ["uuid", "token", "order_id", "id"];

/// The documented names, written in this order when an order is serialised.
pub(crate) const DOCUMENTED: [&str; 9] = [
    "uuid",
    "order_number",
    "status",
    "amount",
    "currency",
    "type",
    "merchant_id",
    "created_at",
    "updated_at",
];

/// An order, as Kukuruku describes it in a status answer or a callback (**D4**).
///
/// Parsing is lenient about what is present and strict about what is there:
/// - only `status` and one id are required; the id is read from `uuid`, or else `token`,
///   `order_id` or `id` (the first present and not `null`); the other id names, if present,
///   stay in [`Order::extra`];
/// - a documented field that is `null` counts as absent;
/// - an unknown `status`, `type` or `currency` is kept as text, never an error;
/// - every field not documented is kept in [`Order::extra`];
/// - a documented field of the wrong kind (an amount that is a float, a status that is a
///   number…) is an error that names the field;
/// - a key that appears twice in any object of the body (`{"amount":1,"amount":500000}`, or
///   inside an extra field) is an error that names it, whichever deserializer is used: readers
///   disagree on which of the two values counts.
///
/// Serialising (the sandbox sends callbacks this way) writes `uuid`, then the documented
/// fields that are set, in the order `order_number, status, amount, currency, type,
/// merchant_id, created_at, updated_at`, then the extra fields (any extra field named like a
/// documented one is skipped).
///
/// ```
/// use kukuruku_proto::{Order, OrderStatus, OrderType};
/// let order: Order = serde_json::from_str(
///     r#"{"token":"0b7e3c4e","status":"paid","amount":50000,"currency":"RUB","type":"payin","fee":150}"#,
/// )?;
/// assert_eq!(order.id.as_str(), "0b7e3c4e");
/// assert_eq!(order.status, OrderStatus::Paid);
/// assert_eq!(order.order_type, Some(OrderType::Payin));
/// assert_eq!(order.extra["fee"], 150);
/// assert_eq!(
///     serde_json::to_string(&order)?,
///     r#"{"uuid":"0b7e3c4e","status":"paid","amount":50000,"currency":"RUB","type":"payin","fee":150}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Order {
    /// KukuPay's id of the order (`uuid`, or `token`, `order_id`, `id`).
    pub id: OrderId,
    /// The merchant's order number.
    pub order_number: Option<OrderNumber>,
    /// The status (unknown text kept in [`OrderStatus::Unknown`]).
    pub status: OrderStatus,
    /// The amount in minor units.
    pub amount: Option<Amount>,
    /// The currency.
    pub currency: Option<Currency>,
    /// `payin` or `payout` (the JSON field `type`).
    pub order_type: Option<OrderType>,
    /// The merchant's id (a JSON string or number).
    pub merchant_id: Option<MerchantId>,
    /// When the order was created, as sent (not interpreted).
    pub created_at: Option<String>,
    /// When the order last changed, as sent (not interpreted).
    pub updated_at: Option<String>,
    /// Every other field, as received.
    pub extra: Map<String, Value>,
}

impl Order {
    /// An order with only its id and status set.
    pub fn new(id: OrderId, status: OrderStatus) -> Self {
        Self {
            id,
            order_number: None,
            status,
            amount: None,
            currency: None,
            order_type: None,
            merchant_id: None,
            created_at: None,
            updated_at: None,
            extra: Map::new(),
        }
    }

    /// Reads an order from a JSON object's fields (the rules of the type's documentation).
    /// The error names the field that is missing or wrong.
    ///
    /// The fields kept in [`Order::extra`] stay in the order of `map`.
    pub fn from_map(map: Map<String, Value>) -> Result<Self, String> {
        read_order(Value::Object(map)).map_err(|error| error.to_string())
    }
}

/// Refuses an object with a key twice, at any depth, whatever the deserializer: a signed order
/// must read the same in every reader (see [`read_json`](crate::read_json)).
impl<'de> Deserialize<'de> for Order {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let found = Found::default();
        Order::from_checked(Strict::new(deserializer, &found))
    }
}

impl Order {
    /// Reads an order from a deserializer that already refuses duplicate keys.
    pub(crate) fn from_checked<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error> {
        read_order(deserializer)
    }
}

impl Serialize for Order {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("uuid", &self.id)?;
        if let Some(order_number) = &self.order_number {
            map.serialize_entry("order_number", order_number)?;
        }
        map.serialize_entry("status", &self.status)?;
        if let Some(amount) = &self.amount {
            map.serialize_entry("amount", amount)?;
        }
        if let Some(currency) = &self.currency {
            map.serialize_entry("currency", currency)?;
        }
        if let Some(order_type) = &self.order_type {
            map.serialize_entry("type", order_type)?;
        }
        if let Some(merchant_id) = &self.merchant_id {
            map.serialize_entry("merchant_id", merchant_id)?;
        }
        if let Some(created_at) = &self.created_at {
            map.serialize_entry("created_at", created_at)?;
        }
        if let Some(updated_at) = &self.updated_at {
            map.serialize_entry("updated_at", updated_at)?;
        }
        for (name, value) in &self.extra {
            if !DOCUMENTED.contains(&name.as_str()) {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Order, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn every_id_alias() {
        for name in ORDER_ID_FIELDS {
            let order = parse(&format!(r#"{{"{name}":"abc","status":"created"}}"#)).unwrap();
            assert_eq!(order.id.as_str(), "abc", "{name}");
            assert!(order.extra.is_empty(), "{name}");
        }
        let numeric = parse(r#"{"id":42,"status":"created"}"#).unwrap();
        assert_eq!(numeric.id.as_str(), "42");
    }

    #[test]
    fn id_preference_and_other_ids_kept() {
        let order = parse(r#"{"id":7,"token":"t","uuid":"u","status":"paid"}"#).unwrap();
        assert_eq!(order.id.as_str(), "u");
        assert_eq!(order.extra["token"], "t");
        assert_eq!(order.extra["id"], 7);
        let order = parse(r#"{"uuid":null,"order_id":"o","status":"paid"}"#).unwrap();
        assert_eq!(order.id.as_str(), "o");
        assert!(!order.extra.contains_key("uuid"));
    }

    #[test]
    fn extra_fields_and_unknown_values_are_kept() {
        let order = parse(
            r#"{"uuid":"u","status":"refunded","type":"refund","currency":"EUR","fee":{"value":1},"note":"n"}"#,
        )
        .unwrap();
        assert_eq!(order.status, OrderStatus::Unknown("refunded".into()));
        assert_eq!(order.order_type, Some(OrderType::Unknown("refund".into())));
        assert_eq!(order.currency, Some(Currency::Unknown("EUR".into())));
        assert_eq!(order.extra["fee"]["value"], 1);
        assert_eq!(order.extra["note"], "n");
        assert_eq!(order.extra.len(), 2);
    }

    #[test]
    fn all_documented_fields() {
        let order = parse(
            r#"{"uuid":"u","order_number":"order-123","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":1,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:01:00Z"}"#,
        )
        .unwrap();
        assert_eq!(order.order_number.as_ref().unwrap().as_str(), "order-123");
        assert_eq!(order.amount, Some(Amount::new(50_000).unwrap()));
        assert_eq!(order.currency, Some(Currency::Rub));
        assert_eq!(order.order_type, Some(OrderType::Payin));
        assert_eq!(order.merchant_id.as_ref().unwrap().as_str(), "1");
        assert_eq!(order.created_at.as_deref(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(order.updated_at.as_deref(), Some("2024-01-01T00:01:00Z"));
        assert!(order.extra.is_empty());
        assert_eq!(
            serde_json::to_string(&order).unwrap(),
            r#"{"uuid":"u","order_number":"order-123","status":"paid","amount":50000,"currency":"RUB","type":"payin","merchant_id":"1","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:01:00Z"}"#
        );
    }

    #[test]
    fn nulls_are_absent() {
        let order =
            parse(r#"{"uuid":"u","status":"paid","amount":null,"order_number":null}"#).unwrap();
        assert_eq!(order.amount, None);
        assert_eq!(order.order_number, None);
        assert!(order.extra.is_empty());
    }

    #[test]
    fn required_and_wrong_fields() {
        let error = parse(r#"{"status":"paid"}"#).unwrap_err().to_string();
        assert!(error.contains("no id"), "{error}");
        let error = parse(r#"{"uuid":"u"}"#).unwrap_err().to_string();
        assert!(error.contains("no status"), "{error}");
        let error = parse(r#"{"uuid":"u","status":null}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("no status"), "{error}");
        let error = parse(r#"{"uuid":"u","status":3}"#).unwrap_err().to_string();
        assert!(error.contains("field `status`"), "{error}");
        let error = parse(r#"{"uuid":"u","status":"paid","amount":1.5}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("field `amount`"), "{error}");
        let error = parse(r#"{"uuid":"","status":"paid"}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("field `uuid`"), "{error}");
        assert!(parse("[]").is_err());
        assert!(parse("null").is_err());
    }

    #[test]
    fn a_key_twice_is_refused_at_any_depth() {
        for (body, key) in [
            (
                r#"{"uuid":"u","status":"paid","amount":1,"amount":500000}"#,
                "amount",
            ),
            (r#"{"uuid":"a","uuid":"b","status":"paid"}"#, "uuid"),
            (r#"{"uuid":"u","status":"paid","fee":{"v":1,"v":2}}"#, "v"),
            (
                r#"{"uuid":"u","status":"paid","x":[{"k":1,"\u006b":2}]}"#,
                "k",
            ),
        ] {
            let error = parse(body).unwrap_err().to_string();
            assert!(
                error.contains(&format!("duplicate key \"{key}\"")),
                "{body}: {error}"
            );
            assert_eq!(
                crate::read_json::<Order>(body.as_bytes()),
                Err(crate::JsonError::DuplicateKey { key: key.into() }),
                "{body}"
            );
        }
    }

    #[test]
    fn extra_fields_keep_the_order_received() {
        let body =
            r#"{"zeta":1,"uuid":"u","alpha":2,"status":"paid","token":"t","mid":3,"amount":5}"#;
        let order = parse(body).unwrap();
        let names: Vec<&str> = order.extra.keys().map(String::as_str).collect();
        assert_eq!(names, ["zeta", "alpha", "token", "mid"]);
        assert_eq!(
            serde_json::to_string(&order).unwrap(),
            r#"{"uuid":"u","status":"paid","amount":5,"zeta":1,"alpha":2,"token":"t","mid":3}"#
        );
    }

    #[test]
    fn serialise_skips_documented_names_in_extra() {
        let mut order = Order::new(OrderId::new("u").unwrap(), OrderStatus::Paid);
        order.extra.insert("status".into(), Value::from("created"));
        order.extra.insert("uuid".into(), Value::from("other"));
        order.extra.insert("token".into(), Value::from("t"));
        assert_eq!(
            serde_json::to_string(&order).unwrap(),
            r#"{"uuid":"u","status":"paid","token":"t"}"#
        );
    }
}
