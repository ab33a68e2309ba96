//! How the ledger stores instants: whole milliseconds since the Unix epoch, as a signed 64-bit
//! integer (SQLite `INTEGER`, PostgreSQL `BIGINT`), read from the store's time source.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `time` as milliseconds since the Unix epoch (0 before it, `i64::MAX` past year 292 million).
pub(crate) fn to_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |elapsed| {
        i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
    })
}

/// The instant `millis` milliseconds after the Unix epoch (negative values read as the epoch).
pub(crate) fn from_millis(millis: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// A duration in milliseconds, saturating.
pub(crate) fn duration_millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(to_millis(t), 1_700_000_000_123);
        assert_eq!(from_millis(1_700_000_000_123), t);
        assert_eq!(to_millis(UNIX_EPOCH - Duration::from_secs(1)), 0);
        assert_eq!(from_millis(-5), UNIX_EPOCH);
        assert_eq!(duration_millis(Duration::MAX), i64::MAX);
    }
}
