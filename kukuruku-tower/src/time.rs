//! The system clock: the [`TimeSource`] every builder of the workspace uses unless a test gives
//! another. One of the two places in the workspace's libraries that read the wall clock.

use std::time::SystemTime;

use kukuruku_proto::{SharedTimeSource, TimeSource};

/// The operating system's wall clock.
///
/// ```
/// use kukuruku_tower::{SystemClock, TimeSource};
/// assert!(SystemClock.now() > std::time::UNIX_EPOCH);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SystemClock {
    /// The system clock, shared: what builders keep by default.
    pub fn shared() -> SharedTimeSource {
        SharedTimeSource::new(SystemClock)
    }
}

impl TimeSource for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}
