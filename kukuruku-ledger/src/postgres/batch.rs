//! Group commit for PostgreSQL: a few writer tasks per store take whatever updates are queued
//! and record them in one transaction, then answer every caller after the commit.
//!
//! Each writer takes the first update queued and every one queued behind it (up to the batch
//! size), sorts them by KukuPay id (so two instances' batches lock orders in the same order
//! and rarely deadlock), records them in one transaction and commits once. It never waits for
//! more work: a lone callback is committed at once, and under load batches form while the
//! writers' commits run. One commit (one WAL flush) then covers many callbacks.
//!
//! If an update fails inside the batch (a deadlock with another instance, a malformed row),
//! the transaction is rolled back and each update of the batch is recorded again on its own,
//! with the store's retries; nothing of the failed transaction was durable. If the commit
//! itself fails, every caller gets the error (503 for a callback: Kukuruku sends it again,
//! and a repeat is recorded as such).

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::future::join_all;
use kukuruku_proto::OrderNumber;

use tokio::sync::{Mutex, mpsc, oneshot};

use super::pool::Pool;
use super::record::record_update;
use super::retry::{backoff, should_retry};
use crate::error::Error;
use crate::outcome::Recorded;
use crate::update::Update;

/// How many updates may wait in the queue before callers wait to enqueue.
const QUEUE: usize = 4096;

struct Job {
    update: Update,
    now: i64,
    reply: oneshot::Sender<Result<Recorded, Error>>,
}

/// The handle to a store's writer tasks; they stop once every handle is dropped and the
/// queue is drained.
#[derive(Debug, Clone)]
pub(crate) struct Batcher {
    sender: mpsc::Sender<Job>,
}

impl Batcher {
    /// Starts `writers` tasks committing up to `max_batch` updates at a time.
    pub(crate) fn spawn(pool: &Arc<Pool>, writers: usize, max_batch: usize) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..writers.max(1) {
            tokio::spawn(writer(
                Arc::clone(pool),
                Arc::clone(&receiver),
                max_batch.max(1),
            ));
        }
        Self { sender }
    }

    /// Records `update` in the next batch; resolves once that batch committed.
    pub(crate) async fn record(&self, update: Update, now: i64) -> Result<Recorded, Error> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Job { update, now, reply })
            .await
            .map_err(|_| Error::WriterStopped)?;
        answer.await.map_err(|_| Error::WriterStopped)?
    }
}

async fn writer(pool: Arc<Pool>, receiver: Arc<Mutex<mpsc::Receiver<Job>>>, max_batch: usize) {
    loop {
        let mut batch = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match receiver.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        batch.sort_by(|a, b| a.update.order.id.as_str().cmp(b.update.order.id.as_str()));
        commit(&pool, batch).await;
    }
}

/// Where a batch failed.
enum Failure {
    /// Before the commit: nothing is durable, each update can be recorded again.
    Update(Error),
    /// The commit (or the connection): whether it is durable is unknown.
    Commit(Error),
}

async fn commit(pool: &Arc<Pool>, batch: Vec<Job>) {
    let size = batch.len();
    match try_batch(pool, &batch).await {
        Ok(recorded) => {
            for (job, recorded) in batch.into_iter().zip(recorded) {
                let _ = job.reply.send(Ok(recorded));
            }
        }
        Err(Failure::Update(error)) if size > 1 => {
            tracing::debug!(
                error = &error as &dyn std::error::Error,
                size,
                "ledger: a batch failed; recording its updates one by one"
            );
            for job in batch {
                let result = alone(pool, &job).await;
                let _ = job.reply.send(result);
            }
        }
        Err(Failure::Update(error)) => {
            let job = batch.into_iter().next().unwrap_or_else(|| unreachable!());
            let result = if should_retry(&error) {
                alone(pool, &job).await
            } else {
                Err(error)
            };
            let _ = job.reply.send(result);
        }
        Err(Failure::Commit(error)) => {
            tracing::error!(
                error = &error as &dyn std::error::Error,
                size,
                "ledger: a batch was not committed"
            );
            for job in batch {
                let _ = job.reply.send(Err(error.clone()));
            }
        }
    }
}

async fn try_batch(pool: &Arc<Pool>, batch: &[Job]) -> Result<Vec<Recorded>, Failure> {
    let mut conn = pool.get().await.map_err(Failure::Update)?;
    let tx = conn.begin().await.map_err(Failure::Update)?;
    let mut recorded: Vec<Option<Recorded>> = vec![None; batch.len()];
    for wave in waves(batch) {
        let results = join_all(
            wave.iter()
                .map(|&index| record_update(&tx, &batch[index].update, batch[index].now)),
        )
        .await;
        for (index, result) in wave.into_iter().zip(results) {
            recorded[index] = Some(result.map_err(Failure::Update)?);
        }
    }
    tx.commit().await.map_err(Failure::Commit)?;
    Ok(recorded.into_iter().flatten().collect())
}

/// The batch's updates in waves whose updates concern different orders (different KukuPay
/// ids and order numbers), in their order: a wave's updates run concurrently, statements
/// pipelined; two updates of one order run one after the other, as they would alone.
fn waves(batch: &[Job]) -> Vec<Vec<usize>> {
    let mut waves: Vec<(Vec<usize>, HashSet<&str>)> = Vec::new();
    for (index, job) in batch.iter().enumerate() {
        let order = &job.update.order;
        let keys: Vec<&str> = std::iter::once(order.id.as_str())
            .chain(order.order_number.as_ref().map(OrderNumber::as_str))
            .collect();
        // After the last wave that holds one of its keys.
        let after = waves
            .iter()
            .rposition(|(_, held)| keys.iter().any(|key| held.contains(key)))
            .map_or(0, |last| last + 1);
        if after == waves.len() {
            waves.push((Vec::new(), HashSet::new()));
        }
        let (members, held) = &mut waves[after];
        members.push(index);
        held.extend(keys);
    }
    waves.into_iter().map(|(members, _)| members).collect()
}

/// One update in its own transaction, tried again after a deadlock or a serialization
/// failure (a bounded number of times).
async fn alone(pool: &Arc<Pool>, job: &Job) -> Result<Recorded, Error> {
    let mut attempt = 1;
    loop {
        let result = match try_batch(pool, std::slice::from_ref(job)).await {
            Ok(mut recorded) => return Ok(recorded.remove(0)),
            Err(Failure::Commit(error)) => return Err(error),
            Err(Failure::Update(error)) => error,
        };
        if !should_retry(&result) || !backoff(&mut attempt).await {
            return Err(result);
        }
    }
}
