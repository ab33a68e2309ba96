//! One benchmark run's figures (throughput, latency percentiles) and its Markdown row: shared by
//! `record_bench` (SQLite) and `pg_record_bench` (PostgreSQL).

use std::time::Duration;

pub(crate) struct Run {
    pub(crate) name: &'static str,
    pub(crate) concurrency: usize,
    pub(crate) elapsed: Duration,
    pub(crate) latencies: Vec<Duration>,
}

impl Run {
    pub(crate) fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    pub(crate) fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[index]
    }

    pub(crate) fn print(&self) {
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} |",
            self.name,
            self.concurrency,
            self.latencies.len(),
            self.per_second(),
            self.percentile(0.50).as_secs_f64() * 1000.0,
            self.percentile(0.99).as_secs_f64() * 1000.0,
        );
    }
}
