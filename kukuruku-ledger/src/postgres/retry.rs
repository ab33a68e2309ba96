//! Trying a transaction again after a deadlock or a serialization failure (SQLSTATE 40P01,
//! 40001: another instance's transaction won), a bounded number of times with a short pause.

use std::time::Duration;

use crate::error::Error;

/// How many times a transaction runs at most.
pub(crate) const ATTEMPTS: u32 = 5;

/// `true` for the failures that another attempt may not meet.
pub(crate) fn should_retry(error: &Error) -> bool {
    matches!(error, Error::Busy(_))
}

/// Waits before attempt `attempt + 1` and counts it; `false` once [`ATTEMPTS`] are spent.
pub(crate) async fn backoff(attempt: &mut u32) -> bool {
    if *attempt >= ATTEMPTS {
        return false;
    }
    tokio::time::sleep(Duration::from_millis(2 << *attempt)).await;
    *attempt += 1;
    true
}
