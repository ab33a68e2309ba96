//! What the sandbox keeps about an order. The protocol's own types (statuses and their moves,
//! amounts, currencies, identifiers, the D4 order object) are `kukuruku-proto`'s.

use kukuruku_proto::{
    Amount, Currency, EmailAddress, MerchantId, OrderId, OrderNumber, OrderStatus, OrderType,
};

/// A status name that is not one of PROTOCOL 1.4's, as the test-control API refuses it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown order status {0:?}: use one of created, processing, paid, cancelled, expired, failed"
)]
pub(crate) struct UnknownStatus(String);

/// A status the control API may set: one of PROTOCOL 1.4's names, exactly (lower case).
pub(crate) fn known_status(text: &str) -> Result<OrderStatus, UnknownStatus> {
    OrderStatus::KNOWN
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| UnknownStatus(text.to_owned()))
}

/// One of the currencies Kukuruku documents (RUB, USD, USDT), by its exact upper-case code.
pub(crate) fn documented_currency(code: &str) -> Option<Currency> {
    Currency::DOCUMENTED
        .into_iter()
        .find(|currency| currency.code() == code)
}

/// Why `text` is not an e-mail address the sandbox accepts: the SDK's own check
/// ([`EmailAddress`]), on text given without surrounding whitespace and without
/// `<`, `>`, `"` or `,` (a display name or a list, not one address).
pub(crate) fn email_problem(text: &str) -> Option<&'static str> {
    match EmailAddress::new(text) {
        Err(error) => Some(error.reason()),
        Ok(trimmed) if trimmed.as_str() != text => Some("it has spaces around it"),
        Ok(_) if text.contains(['<', '>', '"', ',']) => {
            Some("it contains <, >, \" or , (give the address alone)")
        }
        Ok(_) => None,
    }
}

/// An order as the sandbox holds it: the D4 fields, and what the sandbox needs besides
/// (where callbacks and the pay page send things, who pays or is paid).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Order {
    /// The order's UUID (the payin `token`, the payout `uuid`).
    pub uuid: OrderId,
    /// The merchant's own number for it.
    pub order_number: OrderNumber,
    /// Its status now (always one of PROTOCOL 1.4's).
    pub status: OrderStatus,
    /// The amount in the smallest unit (above zero).
    pub amount: Amount,
    /// The currency (RUB, USD or USDT).
    pub currency: Currency,
    /// Payin or payout.
    pub order_type: OrderType,
    /// The merchant it belongs to.
    pub merchant_id: MerchantId,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When its status last changed (RFC 3339, UTC).
    pub updated_at: String,
    /// Where its callbacks go, if anywhere.
    pub callback_url: Option<String>,
    /// Where the pay page sends the user after paying.
    pub redirect_success_url: Option<String>,
    /// Where the pay page sends the user after declining.
    pub redirect_fail_url: Option<String>,
    /// The paying user's e-mail (payin `customer.client_id`) or the payee's (payout `user_email`).
    pub email: String,
}

impl Order {
    /// The order object as Kukuruku sends it (status answers and callbacks, PROTOCOL D4):
    /// `kukuruku_proto::Order`, with every documented field set.
    pub fn to_proto(&self) -> kukuruku_proto::Order {
        let mut order = kukuruku_proto::Order::new(self.uuid.clone(), self.status.clone());
        order.order_number = Some(self.order_number.clone());
        order.amount = Some(self.amount);
        order.currency = Some(self.currency.clone());
        order.order_type = Some(self.order_type.clone());
        order.merchant_id = Some(self.merchant_id.clone());
        order.created_at = Some(self.created_at.clone());
        order.updated_at = Some(self.updated_at.clone());
        order
    }

    /// The bytes of the order object (PROTOCOL D4), fields in the documented order:
    /// `uuid, order_number, status, amount, currency, type, merchant_id, created_at, updated_at`.
    pub fn to_json(&self) -> Vec<u8> {
        // Strings and integers only: serialising into a Vec cannot fail.
        serde_json::to_vec(&self.to_proto()).unwrap_or_default()
    }

    /// The amount for people: `50000` RUB is `500.00 RUB`.
    pub fn display_amount(&self) -> String {
        let decimal = self
            .amount
            .to_decimal(&self.currency)
            .unwrap_or_else(|_| self.amount.minor_units().to_string());
        format!("{decimal} {}", self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        Order {
            uuid: OrderId::new("u").unwrap(),
            order_number: OrderNumber::new("n").unwrap(),
            status: OrderStatus::Paid,
            amount: Amount::new(500).unwrap(),
            currency: Currency::Rub,
            order_type: OrderType::Payin,
            merchant_id: MerchantId::new("1").unwrap(),
            created_at: "c".into(),
            updated_at: "d".into(),
            callback_url: None,
            redirect_success_url: None,
            redirect_fail_url: None,
            email: "a@b.c".into(),
        }
    }

    #[test]
    fn control_statuses_are_the_exact_protocol_names() {
        for status in OrderStatus::KNOWN {
            assert_eq!(known_status(status.as_str()), Ok(status));
        }
        for other in ["PAID", "Paid", "refunded", "", " paid"] {
            assert_eq!(known_status(other), Err(UnknownStatus(other.into())));
        }
    }

    #[test]
    fn emails() {
        for good in [
            "user@example.com",
            "a.b+c@sub.example.org",
            "o'neil&co@example.com",
        ] {
            assert_eq!(email_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "user",
            "user@",
            "@example.com",
            "user@example",
            "a b@example.com",
            "user@example..com",
            "<a>@example.com",
            "a,b@example.com",
            " user@example.com",
            "user@exa_mple.com",
        ] {
            assert!(email_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(email_problem("user"), Some("it must contain exactly one @"));
    }

    #[test]
    fn currencies_are_the_documented_codes_exactly() {
        assert_eq!(documented_currency("RUB"), Some(Currency::Rub));
        assert_eq!(documented_currency("USDT"), Some(Currency::Usdt));
        assert_eq!(documented_currency("rub"), None);
        assert_eq!(documented_currency("EUR"), None);
    }

    #[test]
    fn wire_order_has_d4_fields_in_order() {
        let order = order();
        assert_eq!(
            String::from_utf8(order.to_json()).unwrap(),
            r#"{"uuid":"u","order_number":"n","status":"paid","amount":500,"currency":"RUB","type":"payin","merchant_id":"1","created_at":"c","updated_at":"d"}"#
        );
        assert_eq!(order.display_amount(), "5.00 RUB");
        // What a merchant reads back is what the sandbox holds.
        let read: kukuruku_proto::Order = serde_json::from_slice(&order.to_json()).unwrap();
        assert_eq!(read, order.to_proto());
        assert!(read.extra.is_empty());
    }

    #[test]
    fn display_amount_pads_minor_units() {
        let mut order = order();
        order.amount = Amount::new(5).unwrap();
        order.currency = Currency::Usdt;
        assert_eq!(order.display_amount(), "0.05 USDT");
    }
}
