//! The time source: the system clock, or one a test sets.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the client reads the time: attempt expiry, ID-token `exp`/`iat`, the discovery cache
/// and the JWKS refetch limit. [`Clock::system`] by default; tests move it with
/// [`Clock::from_fn`].
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use kukuruku_oidc::Clock;
/// let later = Clock::from_fn(|| SystemTime::now() + Duration::from_secs(3600));
/// assert!(later.now() > Clock::system().now());
/// ```
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(Arc::new(SystemTime::now))
    }

    /// A clock that asks `now`.
    pub fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(now))
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }

    /// The current time in whole seconds since the Unix epoch (0 before it).
    pub(crate) fn unix(&self) -> u64 {
        unix_secs(self.now())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

pub(crate) fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

pub(crate) fn from_unix(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}
