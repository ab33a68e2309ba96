//! What the sandbox keeps: orders, their statuses, currencies, KukuPay users.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The currencies the sandbox accepts (PROTOCOL 1.2), all with two decimals.
pub const CURRENCIES: [&str; 3] = ["RUB", "USD", "USDT"];

/// The largest amount accepted: JavaScript's largest safe integer, 2^53 − 1 (the server is Node).
pub const MAX_AMOUNT: u64 = (1 << 53) - 1;

/// The status of an order (PROTOCOL 1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OrderStatus {
    /// Awaiting payment.
    Created,
    /// Being processed.
    Processing,
    /// Paid (terminal).
    Paid,
    /// Cancelled (terminal).
    Cancelled,
    /// Expired (terminal).
    Expired,
    /// Failed (terminal).
    Failed,
}

impl OrderStatus {
    /// Every status, in the order of PROTOCOL 1.4.
    pub const ALL: [Self; 6] = [
        Self::Created,
        Self::Processing,
        Self::Paid,
        Self::Cancelled,
        Self::Expired,
        Self::Failed,
    ];

    /// The wire name, e.g. `"paid"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Processing => "processing",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }

    /// `true` for `paid`, `cancelled`, `expired` and `failed`: nothing moves an order on from there.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Cancelled | Self::Expired | Self::Failed
        )
    }

    /// Whether PROTOCOL 1.4 allows the move `self → next`: created → processing | paid |
    /// cancelled | expired | failed; processing → paid | failed | cancelled.
    pub const fn can_move_to(self, next: Self) -> bool {
        match self {
            Self::Created => !matches!(next, Self::Created),
            Self::Processing => matches!(next, Self::Paid | Self::Failed | Self::Cancelled),
            _ => false,
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of PROTOCOL 1.4's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown order status {0:?}: use one of created, processing, paid, cancelled, expired, failed"
)]
pub struct UnknownStatus(pub String);

impl FromStr for OrderStatus {
    type Err = UnknownStatus;
    fn from_str(text: &str) -> Result<Self, UnknownStatus> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| UnknownStatus(text.to_owned()))
    }
}

/// Whether an order pays the merchant (payin) or the merchant pays a KukuPay user (payout).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum OrderKind {
    /// A user pays the merchant.
    Payin,
    /// The merchant pays a user.
    Payout,
}

impl OrderKind {
    /// The wire name: `"payin"` or `"payout"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Payin => "payin",
            Self::Payout => "payout",
        }
    }
}

impl fmt::Display for OrderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order as the sandbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Order {
    /// The order's UUID (the payin `token`, the payout `uuid`).
    pub uuid: String,
    /// The merchant's own number for it.
    pub order_number: String,
    /// Its status now.
    pub status: OrderStatus,
    /// The amount in the smallest unit.
    pub amount: u64,
    /// The currency code.
    pub currency: String,
    /// Payin or payout.
    pub kind: OrderKind,
    /// The merchant it belongs to.
    pub merchant_id: String,
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

/// The order object on the wire (PROTOCOL D4), fields in this order.
#[derive(Serialize)]
struct WireOrder<'a> {
    uuid: &'a str,
    order_number: &'a str,
    status: OrderStatus,
    amount: u64,
    currency: &'a str,
    #[serde(rename = "type")]
    kind: OrderKind,
    merchant_id: &'a str,
    created_at: &'a str,
    updated_at: &'a str,
}

impl Order {
    /// The order object as Kukuruku sends it (status answers and callbacks, PROTOCOL D4):
    /// `uuid, order_number, status, amount, currency, type, merchant_id, created_at, updated_at`.
    pub fn to_json(&self) -> Vec<u8> {
        let wire = WireOrder {
            uuid: &self.uuid,
            order_number: &self.order_number,
            status: self.status,
            amount: self.amount,
            currency: &self.currency,
            kind: self.kind,
            merchant_id: &self.merchant_id,
            created_at: &self.created_at,
            updated_at: &self.updated_at,
        };
        // Plain strings and integers: serialising cannot fail.
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// The amount for people: `50000` RUB is `500.00 RUB`.
    pub fn display_amount(&self) -> String {
        format!(
            "{}.{:02} {}",
            self.amount / 100,
            self.amount % 100,
            self.currency
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_protocol_1_4() {
        use OrderStatus::{Cancelled, Created, Expired, Failed, Paid, Processing};
        for next in [Processing, Paid, Cancelled, Expired, Failed] {
            assert!(Created.can_move_to(next));
        }
        assert!(!Created.can_move_to(Created));
        assert!(Processing.can_move_to(Paid));
        assert!(Processing.can_move_to(Failed));
        assert!(Processing.can_move_to(Cancelled));
        assert!(!Processing.can_move_to(Expired));
        assert!(!Processing.can_move_to(Created));
        for terminal in [Paid, Cancelled, Expired, Failed] {
            assert!(terminal.is_terminal());
            for next in OrderStatus::ALL {
                assert!(!terminal.can_move_to(next), "{terminal} -> {next}");
            }
        }
    }

    #[test]
    fn statuses_round_trip_their_names() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>(), Ok(status));
        }
        assert!("PAID".parse::<OrderStatus>().is_err());
    }

    #[test]
    fn wire_order_has_d4_fields_in_order() {
        let order = Order {
            uuid: "u".into(),
            order_number: "n".into(),
            status: OrderStatus::Paid,
            amount: 500,
            currency: "RUB".into(),
            kind: OrderKind::Payin,
            merchant_id: "1".into(),
            created_at: "c".into(),
            updated_at: "d".into(),
            callback_url: None,
            redirect_success_url: None,
            redirect_fail_url: None,
            email: "a@b.c".into(),
        };
        assert_eq!(
            String::from_utf8(order.to_json()).unwrap(),
            r#"{"uuid":"u","order_number":"n","status":"paid","amount":500,"currency":"RUB","type":"payin","merchant_id":"1","created_at":"c","updated_at":"d"}"#
        );
        assert_eq!(order.display_amount(), "5.00 RUB");
    }
}
