//! A status update to record: a verified callback, or the reconciler's answer from Kukuruku.

use std::fmt;

use bytes::Bytes;
use kukuruku_proto::{CallbackError, Order, parse_callback};

/// Where an update came from (the audit log's `source` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// A callback Kukuruku posted, whose signature the route verified.
    Callback,
    /// The reconciler's status call (`GET /api/v1/orders/{uuid}`), whose answer's signature
    /// the payments client verified.
    Reconciler,
}

impl Source {
    /// The text stored: `callback` or `reconciler`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Callback => "callback",
            Self::Reconciler => "reconciler",
        }
    }

    /// The source for a stored text.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "callback" => Some(Self::Callback),
            "reconciler" => Some(Self::Reconciler),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One status update for one order, with the raw bytes it came in.
///
/// Build it with [`Update::callback`] (the route does) or [`Update::reconciled`] (the
/// reconciler does); both go through the same [`Store::record_update`](crate::Store::record_update).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Update {
    /// The order as Kukuruku described it.
    pub order: Order,
    /// The raw bytes: the callback's body exactly as received, or the reconciler's order
    /// serialised again (the payments client does not keep the answer's bytes).
    pub body: Bytes,
    /// Which key of the `Verifier` matched (0: the first); `None` for the reconciler.
    pub key_index: Option<usize>,
    /// Where it came from.
    pub source: Source,
}

impl Update {
    /// A callback body whose signature was verified with key number `key_index`.
    ///
    /// ```
    /// use kukuruku_ledger::Update;
    /// let update = Update::callback(br#"{"uuid":"u-1","status":"paid"}"#.to_vec().into(), 0)?;
    /// assert_eq!(update.order.id.as_str(), "u-1");
    /// # Ok::<(), kukuruku_proto::CallbackError>(())
    /// ```
    pub fn callback(body: Bytes, key_index: usize) -> Result<Self, CallbackError> {
        let order = parse_callback(&body)?;
        Ok(Self {
            order,
            body,
            key_index: Some(key_index),
            source: Source::Callback,
        })
    }

    /// The order as the status call returned it.
    pub fn reconciled(order: Order) -> Self {
        // Serialising an `Order` (strings, integers, JSON values) cannot fail.
        let body = serde_json::to_vec(&order)
            .map(Bytes::from)
            .unwrap_or_default();
        Self {
            order,
            body,
            key_index: None,
            source: Source::Reconciler,
        }
    }
}
