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

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::failure::classify;
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
}

impl Writer {
    /// Starts the writer thread over `conn`, committing up to `max_batch` jobs at a time.
    pub(crate) fn spawn(conn: Connection, max_batch: usize) -> Result<Self, Error> {
        let (sender, receiver) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("kukuruku-ledger-writer".to_owned())
            .spawn(move || run_writer(&conn, receiver, max_batch.max(1)))
            .map_err(|error| Error::Open(Arc::new(error)))?;
        Ok(Self { sender })
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
    conn.execute_batch("SAVEPOINT job").map_err(classify)?;
    let result = catch_unwind(AssertUnwindSafe(|| work(conn))).unwrap_or(Err(Error::Panicked));
    let end = if result.is_ok() {
        "RELEASE job"
    } else {
        "ROLLBACK TO job; RELEASE job"
    };
    // After a full disk or an I/O error SQLite may have rolled the whole transaction back;
    // the batch notices (`is_autocommit`) and fails every job.
    match conn.execute_batch(end) {
        Err(error) if result.is_ok() => Err(classify(error)),
        _ => result,
    }
}

fn run_writer(conn: &Connection, mut receiver: mpsc::Receiver<Job>, max_batch: usize) {
    while let Some(first) = receiver.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(conn, batch);
    }
}

fn commit_batch(conn: &Connection, batch: Vec<Job>) {
    if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE") {
        let error = classify(error);
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
    let outcome = match abandoned {
        Some(error) => Err(error),
        None => conn.execute_batch("COMMIT").map_err(classify),
    };
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
