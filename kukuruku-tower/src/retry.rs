//! When the client tries a call again, and how long it waits.

use std::time::Duration;

use http::{Method, StatusCode};
use tower::retry::backoff::{Backoff, ExponentialBackoff, ExponentialBackoffMaker, MakeBackoff};
use tower::util::rng::HasherRng;

/// How the [`Client`](crate::Client) retries.
///
/// Only calls that are safe to repeat are retried:
/// - a `GET` (the order status), after a transport failure, a timeout, or a 429/502/503/504;
/// - any call, a `POST` included, whose connection failed **before a byte was sent** (a
///   connect error): the server cannot have seen it.
///
/// A payin or payout that timed out, or whose connection broke after sending, is never sent
/// again: it may have been created. Waits grow exponentially from `min_backoff`, up to
/// `max_backoff`, each with random jitter (tower's `ExponentialBackoff`).
///
/// ```
/// use std::time::Duration;
/// use kukuruku_tower::RetryPolicy;
/// let policy = RetryPolicy::default()
///     .max_retries(3)
///     .backoff(Duration::from_millis(100), Duration::from_secs(2));
/// assert_eq!(policy.retries(), 3);
/// assert_eq!(RetryPolicy::none().retries(), 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    min_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries, waiting about 200 ms, then 400 ms (plus jitter), at most 5 s.
    fn default() -> Self {
        Self {
            max_retries: 2,
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// At most `retries` further attempts after the first.
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first wait and the longest (a `max` below `min` is raised to `min`).
    #[must_use]
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_backoff = min;
        self.max_backoff = max.max(min).max(Duration::from_millis(1));
        self
    }

    /// The retry cap.
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    pub(crate) fn backoffs(&self) -> Backoffs {
        let mut maker = ExponentialBackoffMaker::new(
            self.min_backoff,
            self.max_backoff,
            1.0,
            HasherRng::default(),
        )
        .unwrap_or_default();
        Backoffs(maker.make_backoff())
    }
}

/// The waits of one call.
pub(crate) struct Backoffs(ExponentialBackoff);

impl Backoffs {
    pub(crate) async fn wait(&mut self) {
        self.0.next_backoff().await;
    }
}

/// What happened to one attempt, for the retry decision.
pub(crate) enum Outcome {
    /// The connection failed before a byte was sent.
    ConnectFailed,
    /// The connection failed later, or the call timed out.
    Failed,
    /// The server answered with this status.
    Answered(StatusCode),
}

/// Whether an attempt with `outcome` may be repeated.
pub(crate) fn should_retry(method: &Method, outcome: &Outcome) -> bool {
    let idempotent = *method == Method::GET || *method == Method::HEAD;
    match outcome {
        Outcome::ConnectFailed => true,
        Outcome::Failed => idempotent,
        Outcome::Answered(status) => {
            idempotent
                && matches!(
                    *status,
                    StatusCode::TOO_MANY_REQUESTS
                        | StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_are_retried_only_after_a_connect_failure() {
        assert!(should_retry(&Method::POST, &Outcome::ConnectFailed));
        assert!(!should_retry(&Method::POST, &Outcome::Failed));
        assert!(!should_retry(
            &Method::POST,
            &Outcome::Answered(StatusCode::SERVICE_UNAVAILABLE)
        ));
        assert!(should_retry(&Method::GET, &Outcome::Failed));
        assert!(should_retry(
            &Method::GET,
            &Outcome::Answered(StatusCode::BAD_GATEWAY)
        ));
        assert!(!should_retry(
            &Method::GET,
            &Outcome::Answered(StatusCode::NOT_FOUND)
        ));
    }

    #[test]
    fn a_backward_range_is_fixed() {
        let policy = RetryPolicy::default().backoff(Duration::from_secs(2), Duration::ZERO);
        assert_eq!(policy.max_backoff, Duration::from_secs(2));
        let _ = policy.backoffs();
    }
}
