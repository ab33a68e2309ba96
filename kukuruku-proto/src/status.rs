//! Order statuses, the moves allowed between them (PROTOCOL 1.4), and what a callback's
//! status means for an order the merchant already knows.

use std::fmt;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize, Serializer};

use crate::deserialize::open_text;

/// The status of an order.
///
/// On the wire a lower-case string. Parsing never fails on a string: the known names match in
/// any letter case, and any other text becomes [`OrderStatus::Unknown`] keeping it as it came.
///
/// ```
/// use kukuruku_proto::OrderStatus;
/// let paid: OrderStatus = serde_json::from_str("\"paid\"")?;
/// assert!(paid.is_terminal());
/// assert!(OrderStatus::Created.can_move_to(&paid));
/// assert!(!paid.can_move_to(&OrderStatus::Created));
///
/// let refunded: OrderStatus = serde_json::from_str("\"refunded\"")?;
/// assert_eq!(refunded, OrderStatus::Unknown("refunded".into()));
/// assert_eq!(serde_json::to_string(&refunded)?, "\"refunded\"");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderStatus {
    /// `created`: awaiting payment.
    Created,
    /// `processing`: the payment is under way.
    Processing,
    /// `paid`: paid (terminal).
    Paid,
    /// `cancelled` (terminal).
    Cancelled,
    /// `expired` (terminal).
    Expired,
    /// `failed` (terminal).
    Failed,
    /// A status this SDK does not know, with the text as received. It is neither terminal nor
    /// part of any allowed move.
    Unknown(String),
}

impl OrderStatus {
    /// The six documented statuses, in the order of PROTOCOL 1.4.
    pub const KNOWN: [OrderStatus; 6] = [
        OrderStatus::Created,
        OrderStatus::Processing,
        OrderStatus::Paid,
        OrderStatus::Cancelled,
        OrderStatus::Expired,
        OrderStatus::Failed,
    ];

    /// The status for a wire string. Never fails (see [`OrderStatus::Unknown`]).
    pub fn parse(text: &str) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|known| known.as_str().eq_ignore_ascii_case(text))
            .unwrap_or_else(|| Self::Unknown(text.to_owned()))
    }

    /// The wire string: `created`, `processing`, …, or the unknown text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Created => "created",
            Self::Processing => "processing",
            Self::Paid => "paid",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Failed => "failed",
            Self::Unknown(text) => text,
        }
    }

    /// `true` for a documented status.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Unknown(_))
    }

    /// `true` for `paid`, `cancelled`, `expired` and `failed`: the order will not change again.
    /// An unknown status is not terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Cancelled | Self::Expired | Self::Failed
        )
    }

    /// Whether PROTOCOL 1.4 allows the order to move from `self` to `next`:
    /// created → processing | paid | cancelled | expired | failed, and
    /// processing → paid | failed | cancelled. Nothing else (staying put is not a move, and
    /// no move involves an unknown status).
    pub fn can_move_to(&self, next: &OrderStatus) -> bool {
        match self {
            Self::Created => matches!(
                next,
                Self::Processing | Self::Paid | Self::Cancelled | Self::Expired | Self::Failed
            ),
            Self::Processing => matches!(next, Self::Paid | Self::Failed | Self::Cancelled),
            _ => false,
        }
    }

    /// What a status received in a callback (or a status answer) means for an order whose
    /// recorded status is `current` (`None`: no status recorded yet).
    ///
    /// Callbacks are delivered at least once and may come out of order (D8): apply a status
    /// only on [`StatusChange::Advance`], and answer the callback with success for
    /// [`StatusChange::Repeat`] and [`StatusChange::Stale`] too. See [`StatusChange`] for every
    /// case, including unknown statuses.
    ///
    /// ```
    /// use kukuruku_proto::{OrderStatus, StatusChange};
    /// use OrderStatus::*;
    /// assert_eq!(OrderStatus::apply(Some(&Created), &Paid), StatusChange::Advance);
    /// assert_eq!(OrderStatus::apply(Some(&Paid), &Paid), StatusChange::Repeat);
    /// assert_eq!(OrderStatus::apply(Some(&Paid), &Processing), StatusChange::Stale);
    /// assert_eq!(OrderStatus::apply(Some(&Paid), &Failed), StatusChange::Conflict);
    /// assert_eq!(
    ///     OrderStatus::apply(Some(&Created), &Unknown("refunded".into())),
    ///     StatusChange::Unrecognised
    /// );
    /// ```
    pub fn apply(current: Option<&OrderStatus>, incoming: &OrderStatus) -> StatusChange {
        if !incoming.is_known() {
            return StatusChange::Unrecognised;
        }
        let Some(current) = current else {
            return StatusChange::Advance;
        };
        if !current.is_known() {
            StatusChange::Unrecognised
        } else if current == incoming {
            StatusChange::Repeat
        } else if current.can_move_to(incoming) {
            StatusChange::Advance
        } else if incoming.can_move_to(current) {
            StatusChange::Stale
        } else {
            StatusChange::Conflict
        }
    }
}

/// What an incoming status means for an order, as computed by [`OrderStatus::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusChange {
    /// The status moves the order forward (or is the first one recorded): record it, then
    /// answer the callback with success.
    Advance,
    /// The order already has this status (a repeated delivery): change nothing, answer with
    /// success.
    Repeat,
    /// The order is already past this status (a delivery that arrived out of order): change
    /// nothing, answer with success.
    Stale,
    /// Neither status can lead to the other (e.g. `paid` then `failed`, or two different
    /// terminal statuses): change nothing and alert a human. Answering with success stops the
    /// redeliveries; answering with an error only repeats the same contradiction.
    Conflict,
    /// The incoming or the recorded status is unknown to this SDK, so no rule applies: change
    /// nothing automatically and decide yourself (log it, alert, or answer with an error so
    /// that Kukuruku retries the callback after you upgrade).
    Unrecognised,
}

impl StatusChange {
    /// `true` only for [`StatusChange::Advance`]: the incoming status should be recorded.
    pub fn should_apply(self) -> bool {
        matches!(self, Self::Advance)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for OrderStatus {
    fn from(text: &str) -> Self {
        Self::parse(text)
    }
}

impl Serialize for OrderStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OrderStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        open_text(
            deserializer,
            "an order status (a string such as \"paid\")",
            OrderStatus::parse,
        )
    }
}

/// The kind of an order: `payin` or `payout`.
///
/// Parsing never fails on a string: other text becomes [`OrderType::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderType {
    /// `payin`: the user pays the merchant.
    Payin,
    /// `payout`: the merchant pays the user.
    Payout,
    /// A type this SDK does not know, with the text as received.
    Unknown(String),
}

impl OrderType {
    /// The type for a wire string (any letter case). Never fails.
    pub fn parse(text: &str) -> Self {
        if text.eq_ignore_ascii_case("payin") {
            Self::Payin
        } else if text.eq_ignore_ascii_case("payout") {
            Self::Payout
        } else {
            Self::Unknown(text.to_owned())
        }
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Payin => "payin",
            Self::Payout => "payout",
            Self::Unknown(text) => text,
        }
    }
}

impl fmt::Display for OrderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for OrderType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for OrderType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        open_text(
            deserializer,
            "an order type (\"payin\" or \"payout\")",
            OrderType::parse,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::{Cancelled, Created, Expired, Failed, Paid, Processing};
    use super::*;

    /// PROTOCOL 1.4, written out: the allowed (from, to) pairs.
    const ALLOWED: [(OrderStatus, OrderStatus); 8] = [
        (Created, Processing),
        (Created, Paid),
        (Created, Cancelled),
        (Created, Expired),
        (Created, Failed),
        (Processing, Paid),
        (Processing, Failed),
        (Processing, Cancelled),
    ];

    #[test]
    fn every_pair_of_the_transition_table() {
        let mut checked = 0;
        for from in &OrderStatus::KNOWN {
            for to in &OrderStatus::KNOWN {
                let expected = ALLOWED.iter().any(|(a, b)| a == from && b == to);
                assert_eq!(from.can_move_to(to), expected, "{from} -> {to}");
                checked += 1;
            }
        }
        assert_eq!(checked, 36);
    }

    #[test]
    fn terminal_statuses() {
        let terminal: Vec<_> = OrderStatus::KNOWN
            .iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal, [&Paid, &Cancelled, &Expired, &Failed]);
        for status in terminal {
            assert!(
                OrderStatus::KNOWN
                    .iter()
                    .all(|next| !status.can_move_to(next)),
                "{status} is terminal yet can move"
            );
        }
        assert!(!OrderStatus::Unknown("x".into()).is_terminal());
    }

    #[test]
    fn unknown_never_moves() {
        let unknown = OrderStatus::Unknown("refunded".into());
        for known in &OrderStatus::KNOWN {
            assert!(!unknown.can_move_to(known));
            assert!(!known.can_move_to(&unknown));
        }
    }

    #[test]
    fn apply_for_every_pair() {
        for current in &OrderStatus::KNOWN {
            for incoming in &OrderStatus::KNOWN {
                let change = OrderStatus::apply(Some(current), incoming);
                let expected = if current == incoming {
                    StatusChange::Repeat
                } else if current.can_move_to(incoming) {
                    StatusChange::Advance
                } else if incoming.can_move_to(current) {
                    StatusChange::Stale
                } else {
                    StatusChange::Conflict
                };
                assert_eq!(change, expected, "{current} then {incoming}");
            }
            assert_eq!(OrderStatus::apply(None, current), StatusChange::Advance);
        }
        // Spot checks that mean something to a merchant.
        assert_eq!(
            OrderStatus::apply(Some(&Processing), &Created),
            StatusChange::Stale
        );
        assert_eq!(
            OrderStatus::apply(Some(&Paid), &Created),
            StatusChange::Stale
        );
        assert_eq!(
            OrderStatus::apply(Some(&Expired), &Paid),
            StatusChange::Conflict
        );
        assert_eq!(
            OrderStatus::apply(Some(&Processing), &Expired),
            StatusChange::Conflict
        );
        assert!(OrderStatus::apply(Some(&Created), &Paid).should_apply());
        assert!(!OrderStatus::apply(Some(&Paid), &Paid).should_apply());
    }

    #[test]
    fn apply_with_unknown() {
        let unknown = OrderStatus::Unknown("refunded".into());
        assert_eq!(
            OrderStatus::apply(None, &unknown),
            StatusChange::Unrecognised
        );
        assert_eq!(
            OrderStatus::apply(Some(&Paid), &unknown),
            StatusChange::Unrecognised
        );
        assert_eq!(
            OrderStatus::apply(Some(&unknown), &Paid),
            StatusChange::Unrecognised
        );
        assert_eq!(
            OrderStatus::apply(Some(&unknown), &unknown),
            StatusChange::Unrecognised
        );
        assert!(!StatusChange::Unrecognised.should_apply());
    }

    #[test]
    fn serde_of_statuses() {
        for status in OrderStatus::KNOWN {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<OrderStatus>(&json).unwrap(), status);
        }
        assert_eq!(
            serde_json::from_str::<OrderStatus>("\"PAID\"").unwrap(),
            Paid
        );
        assert_eq!(
            serde_json::from_str::<OrderStatus>("\"canceled\"").unwrap(),
            OrderStatus::Unknown("canceled".into())
        );
        assert_eq!(
            serde_json::from_str::<OrderStatus>("\"\"").unwrap(),
            OrderStatus::Unknown(String::new())
        );
        assert!(serde_json::from_str::<OrderStatus>("1").is_err());
    }

    #[test]
    fn order_types() {
        assert_eq!(
            serde_json::from_str::<OrderType>("\"payin\"").unwrap(),
            OrderType::Payin
        );
        assert_eq!(
            serde_json::from_str::<OrderType>("\"payout\"").unwrap(),
            OrderType::Payout
        );
        let other = serde_json::from_str::<OrderType>("\"refund\"").unwrap();
        assert_eq!(other, OrderType::Unknown("refund".into()));
        assert_eq!(serde_json::to_string(&other).unwrap(), "\"refund\"");
        assert_eq!(
            serde_json::to_string(&OrderType::Payin).unwrap(),
            "\"payin\""
        );
    }
}
