//! How fast the PostgreSQL ledger records callbacks durably with 4 receivers (4 stores, each
//! its own pool, as 4 instances would be) sharing one database, beside one transaction per
//! callback (the same stores with `max_batch(1)`: every callback its own commit), in the same
//! run, on the same server.
//!
//! ```sh
//! cargo build --release -p kukuruku-ledger --features postgres --example pg_record_bench
//! cargo xtask pg -- ./target/release/examples/pg_record_bench 20000 64   # callbacks, concurrency
//! ```
//!
//! The server's URL comes from `KUKURUKU_TEST_POSTGRES_URL` (`cargo xtask pg` sets it); each
//! run gets a fresh schema. The ways run in the order A B B A; the latency is the
//! acknowledgement's (handed over → committed). Then both again one callback at a time.

// Statistics over counts far below 2^52, and percentile indices within the vector.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::sync::Arc;
use std::time::Instant;

#[path = "shared/run.rs"]
mod run;
use run::Run;

use bytes::Bytes;
use kukuruku_ledger::tokio_postgres::{self, NoTls};
use kukuruku_ledger::{PostgresStore, Store, Update};

/// Receivers (stores with their own pools) sharing the database.
const RECEIVERS: usize = 4;

fn body(n: usize) -> Bytes {
    Bytes::from(format!(
        r#"{{"uuid":"k-{n}","order_number":"o-{n}","status":"paid","amount":50000,"currency":"RUB","type":"payin"}}"#
    ))
}

/// A fresh schema; the URL that uses it.
async fn schema(server: &str, name: &str) -> String {
    let (client, connection) = tokio_postgres::connect(server, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
        ))
        .await
        .unwrap();
    let separator = if server.contains('?') { '&' } else { '?' };
    format!("{server}{separator}options=-c%20search_path%3D{name}")
}

async fn run(
    server: &str,
    round: usize,
    grouped: bool,
    callbacks: usize,
    concurrency: usize,
) -> Run {
    let url = schema(server, &format!("bench_{round}_{concurrency}")).await;
    let mut stores: Vec<Arc<dyn Store>> = Vec::new();
    for _ in 0..RECEIVERS {
        let options = PostgresStore::options(&url);
        let options = if grouped {
            match std::env::var("BENCH_WRITERS") {
                Ok(writers) => options.writers(writers.parse().unwrap()),
                Err(_) => options,
            }
        } else {
            options
                .max_batch(1)
                .writers(kukuruku_ledger::DEFAULT_POOL_SIZE)
        };
        stores.push(Arc::new(options.connect().await.unwrap()));
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|worker| {
            let store = Arc::clone(&stores[worker % RECEIVERS]);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for n in (worker..callbacks).step_by(concurrency) {
                    let update = Update::callback(body(n), 0).unwrap();
                    let sent = Instant::now();
                    store.record_update(update).await.unwrap();
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    Run {
        name: match (grouped, concurrency == 1) {
            (true, false) => "ledger, 4 receivers (group commit)",
            (false, false) => "baseline, 4 receivers (one transaction each)",
            (true, true) => "ledger, one at a time",
            (false, true) => "baseline, one at a time",
        },
        concurrency,
        elapsed: started.elapsed(),
        latencies,
    }
}

fn merge(runs: &[Run]) -> Run {
    Run {
        name: runs[0].name,
        concurrency: runs[0].concurrency,
        elapsed: runs.iter().map(|run| run.elapsed).sum(),
        latencies: runs.iter().flat_map(|run| run.latencies.clone()).collect(),
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let callbacks: usize = args.next().map_or(20_000, |n| n.parse().unwrap());
    let concurrency: usize = args.next().map_or(64, |n| n.parse().unwrap());
    let server = std::env::var("KUKURUKU_TEST_POSTGRES_URL")
        .expect("set KUKURUKU_TEST_POSTGRES_URL, or run through `cargo xtask pg -- …`");
    let half = callbacks / 2;
    let lone = (callbacks / 40).max(100);
    let (mut base, mut grouped, mut lone_base, mut lone_grouped) = (vec![], vec![], vec![], vec![]);
    for (round, grouped_way) in [false, true, true, false].into_iter().enumerate() {
        let loaded = run(&server, round, grouped_way, half, concurrency).await;
        let single = run(&server, round, grouped_way, lone, 1).await;
        if grouped_way {
            grouped.push(loaded);
            lone_grouped.push(single);
        } else {
            base.push(loaded);
            lone_base.push(single);
        }
    }
    let (base, grouped) = (merge(&base), merge(&grouped));
    println!("| way | concurrency | callbacks | per second | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    base.print();
    grouped.print();
    merge(&lone_base).print();
    merge(&lone_grouped).print();
    println!(
        "\nledger ÷ baseline at concurrency {concurrency}, {RECEIVERS} receivers: {:.1}×",
        grouped.per_second() / base.per_second()
    );
}
