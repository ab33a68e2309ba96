//! What the group commit did: how many batches, how large, and where the writer thread's time
//! went ([`SqliteStore::writer_stats`](super::SqliteStore::writer_stats)).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The upper bounds of the batch-size histogram's buckets, [`WriterStats::batch_sizes`]:
/// 1, 2–3, 4–7, 8–15, 16–31, 32–63, 64–127, 128 and more.
pub const BATCH_SIZE_BUCKETS: [usize; 8] = [1, 3, 7, 15, 31, 63, 127, usize::MAX];

/// What the writer thread of a [`SqliteStore`](super::SqliteStore) did since it started: a
/// snapshot, for a benchmark or a metrics exporter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriterStats {
    /// Transactions committed (or failed): one per batch.
    pub batches: u64,
    /// Jobs run (updates, orders, claims, reads…): the sum of the batches' sizes.
    pub jobs: u64,
    /// The largest batch.
    pub largest_batch: u64,
    /// How many batches fell in each bucket of [`BATCH_SIZE_BUCKETS`].
    pub batch_sizes: [u64; 8],
    /// Time spent running the jobs' SQL (between `BEGIN` and `COMMIT`).
    pub running: Duration,
    /// Time spent in `BEGIN IMMEDIATE` and `COMMIT` (the commit's fsync).
    pub committing: Duration,
}

impl WriterStats {
    /// The mean batch size (0 before the first batch).
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    pub fn mean_batch(&self) -> f64 {
        if self.batches == 0 {
            0.0
        } else {
            self.jobs as f64 / self.batches as f64
        }
    }
}

/// The counters behind [`WriterStats`], updated by the writer thread.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    batches: AtomicU64,
    jobs: AtomicU64,
    largest: AtomicU64,
    buckets: [AtomicU64; 8],
    running_nanos: AtomicU64,
    committing_nanos: AtomicU64,
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl Counters {
    /// Notes one batch of `size` jobs.
    pub(crate) fn batch(&self, size: usize, running: Duration, committing: Duration) {
        let size64 = u64::try_from(size).unwrap_or(u64::MAX);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.jobs.fetch_add(size64, Ordering::Relaxed);
        self.largest.fetch_max(size64, Ordering::Relaxed);
        let bucket = BATCH_SIZE_BUCKETS
            .iter()
            .position(|bound| size <= *bound)
            .unwrap_or(BATCH_SIZE_BUCKETS.len() - 1);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.running_nanos
            .fetch_add(nanos(running), Ordering::Relaxed);
        self.committing_nanos
            .fetch_add(nanos(committing), Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> WriterStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        WriterStats {
            batches: load(&self.batches),
            jobs: load(&self.jobs),
            largest_batch: load(&self.largest),
            batch_sizes: self.buckets.each_ref().map(load),
            running: Duration::from_nanos(load(&self.running_nanos)),
            committing: Duration::from_nanos(load(&self.committing_nanos)),
        }
    }
}
