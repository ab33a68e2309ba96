//! How fast the SQLite ledger records callbacks durably, beside the one-transaction-per-callback
//! way (one connection behind a `Mutex`, one fsync'd transaction per callback: the old
//! `axum_callback` example's way), in the same run, on the same disk.
//!
//! ```sh
//! cargo run --release -p kukuruku-ledger --example record_bench -- [callbacks] [concurrency]
//! ```
//!
//! Both write the same rows per callback (the order, the audit row, the event) with WAL and
//! `synchronous=FULL`. The latency is the acknowledgement's: from handing the callback over to
//! being told it is durable. Then both again one callback at a time: the latency of a lone
//! callback (group commit must not make it wait). The group commit's own figures follow each
//! ledger run (`SqliteStore::writer_stats`: batches, their sizes, the writer thread's time),
//! and last the floor: raw rusqlite, one thread, the same three rows per callback with statements
//! prepared once a transaction, 64 callbacks per transaction (what no ledger on this disk can beat).

// Statistics over counts far below 2^52, and percentile indices within the vector.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::sync::{Arc, Mutex};
use std::time::Instant;

#[path = "shared/run.rs"]
mod run;
use run::Run;

use bytes::Bytes;
use kukuruku_ledger::rusqlite::{Connection, params};
use kukuruku_ledger::{BATCH_SIZE_BUCKETS, SqliteStore, Store, Update, WriterStats};

fn body(n: usize) -> Bytes {
    Bytes::from(format!(
        r#"{{"uuid":"k-{n}","order_number":"o-{n}","status":"paid","amount":50000,"currency":"RUB","type":"payin"}}"#
    ))
}

async fn ledger(dir: &std::path::Path, callbacks: usize, concurrency: usize) -> Run {
    let path = dir.join(format!("ledger-{concurrency}.sqlite3"));
    let sqlite = SqliteStore::open(path).unwrap();
    let store: Arc<dyn Store> = Arc::new(sqlite.clone());
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|worker| {
            let store = Arc::clone(&store);
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
    print_stats(concurrency, &sqlite.writer_stats());
    Run {
        name: if concurrency == 1 {
            "ledger, one at a time"
        } else {
            "ledger (group commit)"
        },
        concurrency,
        elapsed: started.elapsed(),
        latencies,
    }
}

/// The group commit's figures for one run.
fn print_stats(concurrency: usize, stats: &WriterStats) {
    let mut lower = 1;
    let histogram: Vec<String> = BATCH_SIZE_BUCKETS
        .iter()
        .zip(stats.batch_sizes)
        .filter(|(_, n)| *n > 0)
        .map(|(upper, n)| {
            let range = match *upper {
                usize::MAX => format!("{lower}+"),
                upper if upper == lower => format!("{upper}"),
                upper => format!("{lower}-{upper}"),
            };
            lower = upper.saturating_add(1);
            format!("{range}: {n}")
        })
        .collect();
    println!(
        "  writer at concurrency {concurrency}: {} jobs in {} batches (mean {:.1}, largest {}; sizes {}), \
         running jobs {:.0} ms ({:.1} µs a job), BEGIN+COMMIT {:.0} ms ({:.2} ms a batch)",
        stats.jobs,
        stats.batches,
        stats.mean_batch(),
        stats.largest_batch,
        histogram.join(", "),
        stats.running.as_secs_f64() * 1e3,
        stats.running.as_secs_f64() * 1e6 / stats.jobs.max(1) as f64,
        stats.committing.as_secs_f64() * 1e3,
        stats.committing.as_secs_f64() * 1e3 / stats.batches.max(1) as f64,
    );
}

/// The floor: raw rusqlite on one thread, the three rows of `per_tx` callbacks per transaction,
/// statements prepared once a transaction, no savepoints, no JSON. Callbacks per second.
fn floor(dir: &std::path::Path, callbacks: usize, per_tx: usize) -> f64 {
    let path = dir.join("floor.sqlite3");
    drop(SqliteStore::open(&path).unwrap()); // the same schema
    let mut db = Connection::open(&path).unwrap();
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .unwrap();
    let now = 1_700_000_000_000_i64;
    let started = Instant::now();
    for chunk in (0..callbacks).collect::<Vec<_>>().chunks(per_tx) {
        let tx = db.transaction().unwrap();
        {
            let mut orders = tx
                .prepare(
                    "INSERT INTO orders (order_number, kukupay_id, order_type, amount, currency, status, created_at, updated_at)
                     VALUES (?1, ?2, 'payin', 50000, 'RUB', 'paid', ?3, ?3)",
                )
                .unwrap();
            let mut callbacks = tx
                .prepare(
                    "INSERT INTO callbacks (order_ref, kukupay_id, status, body, key_index, source, outcome, received_at)
                     VALUES (?1, ?2, 'paid', ?3, 0, 'callback', 'advanced', ?4)",
                )
                .unwrap();
            let mut events = tx
                .prepare(
                    "INSERT INTO events (order_ref, callback_id, to_status, created_at) VALUES (?1, ?2, 'paid', ?3)",
                )
                .unwrap();
            for &n in chunk {
                let order = orders
                    .insert(params![format!("o-{n}"), format!("k-{n}"), now])
                    .unwrap();
                let callback = callbacks
                    .insert(params![order, format!("k-{n}"), body(n).as_ref(), now])
                    .unwrap();
                events.execute(params![order, callback, now]).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    callbacks as f64 / started.elapsed().as_secs_f64()
}

/// The old example's way: one connection behind a mutex, one transaction per callback.
fn record_one(db: &mut Connection, n: usize, body: &[u8]) {
    let tx = db.transaction().unwrap();
    let now = 1_700_000_000_000_i64;
    let status: Option<String> = tx
        .query_row(
            "SELECT status FROM orders WHERE kukupay_id = ?1",
            [format!("k-{n}")],
            |row| row.get(0),
        )
        .ok();
    assert!(status.is_none());
    tx.execute(
        "INSERT INTO orders (order_number, kukupay_id, order_type, amount, currency, status, created_at, updated_at)
         VALUES (?1, ?2, 'payin', 50000, 'RUB', 'paid', ?3, ?3)",
        params![format!("o-{n}"), format!("k-{n}"), now],
    )
    .unwrap();
    let order = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO callbacks (order_ref, kukupay_id, status, body, key_index, source, outcome, received_at)
         VALUES (?1, ?2, 'paid', ?3, 0, 'callback', 'advanced', ?4)",
        params![order, format!("k-{n}"), body, now],
    )
    .unwrap();
    let callback = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO events (order_ref, callback_id, to_status, created_at) VALUES (?1, ?2, 'paid', ?3)",
        params![order, callback, now],
    )
    .unwrap();
    tx.commit().unwrap();
}

async fn baseline(dir: &std::path::Path, callbacks: usize, concurrency: usize) -> Run {
    let path = dir.join(format!("baseline-{concurrency}.sqlite3"));
    drop(SqliteStore::open(&path).unwrap()); // the same schema
    let db = Connection::open(&path).unwrap();
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .unwrap();
    let db = Arc::new(Mutex::new(db));
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|worker| {
            let db = Arc::clone(&db);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                for n in (worker..callbacks).step_by(concurrency) {
                    let db = Arc::clone(&db);
                    let sent = Instant::now();
                    tokio::task::spawn_blocking(move || {
                        record_one(&mut db.lock().unwrap(), n, &body(n));
                    })
                    .await
                    .unwrap();
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
        name: if concurrency == 1 {
            "baseline, one at a time"
        } else {
            "baseline (mutex, one transaction each)"
        },
        concurrency,
        elapsed: started.elapsed(),
        latencies,
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let callbacks: usize = args.next().map_or(20_000, |n| n.parse().unwrap());
    let concurrency: usize = args.next().map_or(64, |n| n.parse().unwrap());
    let dir =
        tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| ".".into())).unwrap();
    // Each way runs twice, in the order A B B A, with the disk's dirty pages flushed before
    // each run (`sync`), so that neither inherits the other's write-back.
    let half = callbacks / 2;
    let mut runs = Vec::new();
    for (round, ledger_way) in [false, true, true, false].into_iter().enumerate() {
        let round_dir = tempfile::tempdir_in(dir.path()).unwrap();
        let _ = std::process::Command::new("sync").status();
        let lone = (callbacks / 40).max(100);
        let run = if ledger_way {
            (ledger(round_dir.path(), half, concurrency).await, {
                let _ = std::process::Command::new("sync").status();
                ledger(round_dir.path(), lone, 1).await
            })
        } else {
            (baseline(round_dir.path(), half, concurrency).await, {
                let _ = std::process::Command::new("sync").status();
                baseline(round_dir.path(), lone, 1).await
            })
        };
        runs.push((round, run));
    }
    let merge = |pick: &dyn Fn(&(Run, Run)) -> &Run, ledger_way: bool| {
        let chosen: Vec<&Run> = runs
            .iter()
            .filter(|(round, _)| (*round == 1 || *round == 2) == ledger_way)
            .map(|(_, pair)| pick(pair))
            .collect();
        Run {
            name: chosen[0].name,
            concurrency: chosen[0].concurrency,
            elapsed: chosen.iter().map(|run| run.elapsed).sum(),
            latencies: chosen
                .iter()
                .flat_map(|run| run.latencies.clone())
                .collect(),
        }
    };
    let base = merge(&|pair| &pair.0, false);
    let grouped = merge(&|pair| &pair.0, true);
    let lone_base = merge(&|pair| &pair.1, false);
    let lone = merge(&|pair| &pair.1, true);
    println!("| way | concurrency | callbacks | per second | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    base.print();
    grouped.print();
    lone_base.print();
    lone.print();
    println!(
        "\nledger ÷ baseline at concurrency {concurrency}: {:.1}×",
        grouped.per_second() / base.per_second()
    );
    let _ = std::process::Command::new("sync").status();
    let floor_dir = tempfile::tempdir_in(dir.path()).unwrap();
    println!(
        "floor (raw rusqlite, one thread, 64 callbacks per transaction): {:.0} per second",
        floor(floor_dir.path(), half, 64)
    );
}
