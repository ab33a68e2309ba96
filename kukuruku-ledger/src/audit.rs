//! The audit log: every update received, raw bytes and all, appended and never changed.

use std::time::SystemTime;

use bytes::Bytes;
use kukuruku_proto::{OrderId, OrderStatus};

use crate::outcome::Outcome;
use crate::update::Source;

/// One row of the audit log (the `callbacks` table).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditEntry {
    /// The row's id, increasing in the order of recording.
    pub id: i64,
    /// KukuPay's id of the order the update was about.
    pub kukupay_id: OrderId,
    /// The status it carried.
    pub status: OrderStatus,
    /// The raw bytes (see [`Update::body`](crate::Update::body)).
    pub body: Bytes,
    /// Which key of the verifier matched; `None` for the reconciler.
    pub key_index: Option<usize>,
    /// Callback or reconciler.
    pub source: Source,
    /// What it meant.
    pub outcome: Outcome,
    /// When the ledger recorded it.
    pub received_at: SystemTime,
}
