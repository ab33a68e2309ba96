//! The time source: where every crate of the workspace reads the wall clock.
//!
//! This crate reads no clock. It defines the one trait that every builder of the workspace takes
//! (`time_source(…)`), as quinn-proto's `TimeSource` does: the system implementation is
//! `kukuruku_tower::SystemClock`, and a test passes anything that says what time it is, a
//! closure included.
//!
//! ```
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//! use kukuruku_proto::{SharedTimeSource, TimeSource};
//!
//! let fixed = SharedTimeSource::new(|| UNIX_EPOCH + Duration::from_secs(1_700_000_000));
//! assert_eq!(fixed.unix_seconds(), 1_700_000_000);
//! assert_eq!(fixed.now(), UNIX_EPOCH + Duration::from_secs(1_700_000_000));
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Says what time it is.
///
/// Implemented for every `Fn() -> SystemTime + Send + Sync`, so a test can pass a closure.
pub trait TimeSource: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F> TimeSource for F
where
    F: Fn() -> SystemTime + Send + Sync + 'static,
{
    fn now(&self) -> SystemTime {
        self()
    }
}

/// A [`TimeSource`] behind an `Arc`: cheap to clone, what builders keep.
#[derive(Clone)]
pub struct SharedTimeSource(Arc<dyn TimeSource>);

impl SharedTimeSource {
    /// Shares `source`.
    pub fn new(source: impl TimeSource) -> Self {
        Self(Arc::new(source))
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        self.0.now()
    }

    /// The current time in whole seconds since the Unix epoch (0 before it).
    pub fn unix_seconds(&self) -> u64 {
        unix_seconds(self.now())
    }
}

impl TimeSource for SharedTimeSource {
    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

impl fmt::Debug for SharedTimeSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedTimeSource")
    }
}

/// `time` in whole seconds since the Unix epoch (0 before it).
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The time `secs` seconds after the Unix epoch, or `None` where `SystemTime` cannot hold it.
pub fn from_unix_seconds(secs: u64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_the_epoch_is_zero_and_huge_stamps_are_none() {
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), 0);
        assert_eq!(from_unix_seconds(u64::MAX), None);
        assert_eq!(
            from_unix_seconds(10),
            Some(UNIX_EPOCH + Duration::from_secs(10))
        );
    }

    #[test]
    fn a_shared_source_asks_the_one_it_wraps() {
        let shared = SharedTimeSource::new(|| UNIX_EPOCH + Duration::from_secs(42));
        assert_eq!(shared.clone().unix_seconds(), 42);
        assert_eq!(format!("{shared:?}"), "SharedTimeSource");
    }
}
