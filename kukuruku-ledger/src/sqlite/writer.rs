//! Group commit: one writer thread owns the connection; whatever is queued when it is free is
//! committed in one transaction, then each caller gets its answer.
//!
//! A caller sends a job and waits. The thread takes the first job queued, then every job
//! queued behind it (up to the batch size), opens one `BEGIN IMMEDIATE` transaction, runs each
//! job inside its own savepoint (a failing job rolls back only itself), commits once and
//! answers every caller. It never waits for more work to arrive: a lone job is committed at
//! once, and while one commit's fsync runs the next batch forms in the queue. So durability
//! costs one fsync per batch, not per callback, and no caller is told "done" before the
//! commit that made its change durable.
//!
//! If the database abandons the transaction (it does after a full disk or an I/O error), or
//! the commit fails, every job of the batch is answered with the error: none of them is
//! durable.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::failure::classify;
use super::stats::{Counters, WriterStats};
use crate::error::Error;

/// What a job hands back once it ran: the answer to send once the commit's result is known,
/// and the job's own error, if it failed.
type Ran = (Reply, Option<Error>);
/// A job: runs inside the batch's transaction (or is told that the transaction could not be
/// opened).
type Job = Box<dyn FnOnce(Result<&Connection, &Error>) -> Ran + Send>;
/// Sends a job's answer, given the commit's result.
type Reply = Box<dyn FnOnce(Result<(), &Error>) + Send>;

/// How many jobs may wait in the queue before callers wait to enqueue.
const QUEUE: usize = 4096;

/// The handle to the writer thread. Dropping every handle stops the thread once the queue is
/// drained.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    sender: mpsc::Sender<Job>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer thread over `conn`, committing up to `max_batch` jobs at a time.
    pub(crate) fn spawn(conn: Connection, max_batch: usize) -> Result<Self, Error> {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let counters = Arc::new(Counters::default());
        let noted = Arc::clone(&counters);
        std::thread::Builder::new()
            .name("kukuruku-ledger-writer".to_owned())
            .spawn(move || run_writer(&conn, receiver, max_batch.max(1), &noted))
            .map_err(|error| Error::Open(Arc::new(error)))?;
        Ok(Self { sender, counters })
    }

    /// What the writer thread did so far.
    pub(crate) fn stats(&self) -> WriterStats {
        self.counters.snapshot()
    }

    /// Runs `work` in the next batch's transaction; resolves once the batch committed.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                Ok(conn) => in_savepoint(conn, work),
                Err(error) => Err(error.clone()),
            };
            let failure = result.as_ref().err().cloned();
            let reply: Reply = Box::new(move |commit| {
                let _ = answer.send(commit.map_err(Clone::clone).and(result));
            });
            (reply, failure)
        });
        self.sender
            .send(job)
            .await
            .map_err(|_| Error::WriterStopped)?;
        answered.await.map_err(|_| Error::WriterStopped)?
    }
}

/// Runs `work` inside a savepoint: released on success, rolled back on an error or a panic.
fn in_savepoint<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, Error>,
) -> Result<T, Error> {
    run_cached(conn, "SAVEPOINT job")?;
    let result = catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or(Err(Error::Panicked));
    let end = if result.is_ok() {
        run_cached(conn, "RELEASE job")
    } else {
        run_cached(conn, "ROLLBACK TO job").and_then(|()| run_cached(conn, "RELEASE job"))
    };
    // After a full disk or an I/O error SQLite may have rolled the whole transaction back;
    // the batch notices (`is_autocommit`) and fails every job.
    match end {
        Err(error) if result.is_ok() => Err(error),
        _ => result,
    }
}

/// Runs one statement without parameters from the connection's statement cache (the writer
/// runs the same few for every job and batch: parsed once, not each time).
fn run_cached(conn: &Connection, sql: &str) -> Result<(), Error> {
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute([]))
        .map(drop)
        .map_err(classify)
}

fn run_writer(
    conn: &Connection,
    mut receiver: mpsc::Receiver<Job>,
    max_batch: usize,
    counters: &Counters,
) {
    while let Some(first) = receiver.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(conn, batch, counters);
    }
}

fn commit_batch(conn: &Connection, batch: Vec<Job>, counters: &Counters) {
    let started = Instant::now();
    if let Err(error) = run_cached(conn, "BEGIN IMMEDIATE") {
        tracing::error!(
            error = &error as &dyn std::error::Error,
            "ledger: cannot begin a transaction"
        );
        for job in batch {
            let (reply, _) = job(Err(&error));
            reply(Err(&error));
        }
        return;
    }
    let size = batch.len();
    let began = Instant::now();
    let mut replies = Vec::with_capacity(size);
    let mut abandoned = None;
    for job in batch {
        if let Some(error) = &abandoned {
            let (reply, _) = job(Err(error));
            replies.push(reply);
            continue;
        }
        let (reply, failure) = job(Ok(conn));
        replies.push(reply);
        if conn.is_autocommit() {
            // The transaction is gone: what ran before it is not durable either.
            abandoned = Some(failure.unwrap_or_else(|| {
                Error::Database(Arc::from(Box::<dyn std::error::Error + Send + Sync>::from(
                    "the ledger's transaction ended inside a job (did the code run in it commit or roll back?)",
                )))
            }));
        }
    }
    let ran = Instant::now();
    let outcome = match abandoned {
        Some(error) => Err(error),
        None => run_cached(conn, "COMMIT"),
    };
    counters.batch(size, ran - began, (began - started) + ran.elapsed());
    if let Err(error) = &outcome {
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        tracing::error!(
            error = error as &dyn std::error::Error,
            jobs = size,
            "ledger: a batch was not committed"
        );
    }
    for reply in replies {
        reply(outcome.as_ref().copied());
    }
}
