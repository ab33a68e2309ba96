//! Jitter for the callback back-off ("equal jitter"): each wait is drawn between half the
//! nominal D8 wait and the whole of it, so deliveries that failed together do not retry in
//! step, and no wait is longer than the documented one. A delivery's draws come from a small
//! seeded generator (SplitMix64): a test that fixes the seed
//! ([`CallbackPolicy::jitter_seed`](super::CallbackPolicy::jitter_seed)) gets the same waits
//! on every run.

use std::time::Duration;

use crate::random::unique_bytes;

/// The mixing constant of SplitMix64 (2^64 / φ).
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// The draws of one delivery.
#[derive(Debug, Clone)]
pub(super) struct Jitter {
    state: u64,
}

impl Jitter {
    /// The generator of delivery `id`: from `seed` if given (the same waits every run), else
    /// from the operating system's randomness.
    pub(super) fn for_delivery(seed: Option<u64>, id: u64) -> Self {
        let seed = seed.unwrap_or_else(|| u64::from_le_bytes(unique_bytes::<8>()));
        Self {
            state: seed ^ id.wrapping_mul(GOLDEN),
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A wait between `nominal / 2` and `nominal`, both included.
    pub(super) fn wait(&mut self, nominal: Duration) -> Duration {
        let nanos = u64::try_from(nominal.as_nanos()).unwrap_or(u64::MAX);
        let half = nanos / 2;
        let spread = nanos - half;
        let extra = match spread.checked_add(1) {
            Some(range) => self.next_u64() % range,
            None => self.next_u64(),
        };
        Duration::from_nanos(half + extra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_stay_within_half_and_whole_and_differ() {
        let nominal = Duration::from_secs(8);
        let mut jitter = Jitter::for_delivery(Some(7), 1);
        let waits: Vec<Duration> = (0..64).map(|_| jitter.wait(nominal)).collect();
        assert!(
            waits
                .iter()
                .all(|wait| *wait >= nominal / 2 && *wait <= nominal),
            "{waits:?}"
        );
        let mut distinct = waits.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() > 60, "{waits:?}");
        // Seeded: the same draws every time; another delivery draws others.
        let mut again = Jitter::for_delivery(Some(7), 1);
        assert_eq!(waits[0], again.wait(nominal));
        let mut other = Jitter::for_delivery(Some(7), 2);
        assert_ne!(waits[0], other.wait(nominal));
        assert_eq!(jitter.wait(Duration::ZERO), Duration::ZERO);
        let most = jitter.wait(Duration::MAX);
        assert!(most >= Duration::from_nanos(u64::MAX / 2), "{most:?}");
    }
}
