//! Time stamps as the sandbox writes them: RFC 3339 in UTC with milliseconds
//! (`2025-01-31T12:00:00.123Z`), for orders, callback tries and Kuna's `createdAt`, written by
//! `chrono`. The time itself comes from the sandbox's one time source.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |elapsed| {
        u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
    })
}

/// `time` as RFC 3339 in UTC with milliseconds, e.g. `2025-01-31T12:00:00.123Z` (ISO 8601, as
/// Kuna writes `createdAt`). Before the epoch: the epoch.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    rfc3339_from_unix_millis(unix_millis(time))
}

/// [`rfc3339`] of the instant `millis` milliseconds after the Unix epoch; past chrono's range
/// (about 262 000 years), its last instant.
pub(crate) fn rfc3339_from_unix_millis(millis: u64) -> String {
    i64::try_from(millis)
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339_from_unix_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_from_unix_millis(951_782_400_005),
            "2000-02-29T00:00:00.005Z"
        );
        assert_eq!(
            rfc3339_from_unix_millis(1_735_689_599_999),
            "2024-12-31T23:59:59.999Z"
        );
        let at = UNIX_EPOCH + Duration::from_millis(1_730_448_079_952);
        assert_eq!(rfc3339(at), "2024-11-01T08:01:19.952Z");
        assert_eq!(kukuruku_proto::unix_seconds(at), 1_730_448_079);
        assert_eq!(unix_millis(UNIX_EPOCH), 0);
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(1)),
            "1970-01-01T00:00:00.000Z"
        );
        assert!(rfc3339_from_unix_millis(u64::MAX).ends_with('Z'));
    }

    #[test]
    fn created_at_is_iso8601_with_milliseconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_730_448_079_952);
        assert_eq!(rfc3339(t), "2024-11-01T08:01:19.952Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }
}
