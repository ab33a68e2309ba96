//! What recording an update did: [`Outcome`] (the audit log's `outcome` column) and
//! [`Recorded`].

use std::fmt;

use kukuruku_proto::{OrderStatus, StatusChange};

use crate::event::EventId;

/// What an update meant for its order, as recorded in the audit log.
///
/// The first five are [`StatusChange`] (PROTOCOL 1.4, [`OrderStatus::apply`]); the route
/// answers each as [`Outcome::acknowledges`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// The status moved the order forward: the order changed and one event was added.
    Advanced,
    /// The order already had this status (a repeated delivery): nothing changed.
    Repeat,
    /// The order is already past this status (a late delivery): nothing changed.
    Stale,
    /// The status contradicts the recorded one (`paid` then `failed`): nothing changed, a
    /// human should look (logged at `warn`).
    Conflict,
    /// The incoming or recorded status is unknown to this code: nothing changed; the route
    /// answers 422 so that Kukuruku delivers it again after an upgrade.
    Unrecognised,
    /// The update's order number belongs to an order recorded with another KukuPay id:
    /// nothing changed, a human should look (logged at `error`).
    Mismatch,
}

impl Outcome {
    /// The outcome of a status change.
    pub fn from_change(change: StatusChange) -> Self {
        match change {
            StatusChange::Advance => Self::Advanced,
            StatusChange::Repeat => Self::Repeat,
            StatusChange::Stale => Self::Stale,
            StatusChange::Conflict => Self::Conflict,
            _ => Self::Unrecognised,
        }
    }

    /// The outcome of `incoming` for an order whose status is `current`.
    pub fn of(current: Option<&OrderStatus>, incoming: &OrderStatus) -> Self {
        Self::from_change(OrderStatus::apply(current, incoming))
    }

    /// The text stored: `advanced`, `repeat`, `stale`, `conflict`, `unrecognised`, `mismatch`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Advanced => "advanced",
            Self::Repeat => "repeat",
            Self::Stale => "stale",
            Self::Conflict => "conflict",
            Self::Unrecognised => "unrecognised",
            Self::Mismatch => "mismatch",
        }
    }

    /// The outcome for a stored text.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Advanced,
            Self::Repeat,
            Self::Stale,
            Self::Conflict,
            Self::Unrecognised,
            Self::Mismatch,
        ]
        .into_iter()
        .find(|outcome| outcome.as_str() == text)
    }

    /// Whether the callback is answered 200 `{"success":true}`: every outcome but
    /// [`Outcome::Unrecognised`]. A conflict or a mismatch is recorded and acknowledged:
    /// redelivering the same contradiction would change nothing (PROTOCOL 1.4,
    /// [`StatusChange::Conflict`]); it is logged for a human instead.
    pub fn acknowledges(self) -> bool {
        !matches!(self, Self::Unrecognised)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`Store::record_update`](crate::Store::record_update) recorded, durably (the
/// transaction committed before this is returned).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recorded {
    /// What the update meant.
    pub outcome: Outcome,
    /// The id of its row in the audit log.
    pub audit_id: i64,
    /// The event added, for [`Outcome::Advanced`] only.
    pub event: Option<EventId>,
    /// The order's status before the update.
    pub previous: Option<OrderStatus>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::{Created, Failed, Paid};

    #[test]
    fn names_round_trip_and_answers() {
        for outcome in [
            Outcome::Advanced,
            Outcome::Repeat,
            Outcome::Stale,
            Outcome::Conflict,
            Outcome::Unrecognised,
            Outcome::Mismatch,
        ] {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
            assert_eq!(outcome.acknowledges(), outcome != Outcome::Unrecognised);
        }
        assert_eq!(Outcome::parse("other"), None);
        assert_eq!(Outcome::of(Some(&Created), &Paid), Outcome::Advanced);
        assert_eq!(Outcome::of(Some(&Paid), &Failed), Outcome::Conflict);
        assert_eq!(
            Outcome::of(None, &OrderStatus::Unknown("x".into())),
            Outcome::Unrecognised
        );
    }
}
