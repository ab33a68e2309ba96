//! What [`Sandbox::shutdown`](crate::Sandbox::shutdown) reports: the callbacks it stopped
//! delivering.

use crate::CallbackDelivery;

/// What a stopped sandbox left undone: the callback deliveries still pending when it stopped
/// (no 2xx yet, tries left), oldest first. Their merchants never got these callbacks from this
/// sandbox; each carries its order, status, body and the tries made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// The deliveries still pending, oldest first.
    pub pending: Vec<CallbackDelivery>,
}

impl ShutdownReport {
    /// Whether every callback was settled (delivered or given up) before the stop.
    pub fn is_clean(&self) -> bool {
        self.pending.is_empty()
    }
}
